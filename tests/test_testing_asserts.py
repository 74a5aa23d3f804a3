"""convmath.testing.assert_*_like: pass on correct code, name the mistake in buggy code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from convmath import numeric
from convmath.testing import (
    ConvMathAssertionError,
    assert_convolves_like,
    assert_correlates_like,
    assert_output_size_like,
    assert_pools_like,
)

# Few examples, fixed seed: each failing case still shrinks to its smallest call.
FAST = settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


# ------------------------------------------------------------ implementations written here


def corr2d_loops(X: Any, K: Any) -> np.ndarray:
    """The d2l loop: an independent, obviously correct witness."""
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def corr2d_flipped(X: Any, K: Any) -> np.ndarray:
    return corr2d_loops(X, np.asarray(K)[::-1, ::-1])


def corr2d_off_by_one(X: Any, K: Any) -> np.ndarray:
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h, X.shape[1] - w))  # forgot the + 1
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def conv2d_pad_stride(X: Any, K: Any, *, stride: int = 1, padding: int = 0) -> np.ndarray:
    X = np.pad(np.asarray(X, dtype=float), padding)
    full = corr2d_loops(X, K)
    return full[::stride, ::stride]


def conv2d_pad_left(X: Any, K: Any, *, padding: int = 0) -> np.ndarray:
    return corr2d_loops(np.pad(np.asarray(X, dtype=float), ((padding, 0), (padding, 0))), K)


def conv2d_pad_twice_left(X: Any, K: Any, *, padding: int = 0) -> np.ndarray:
    return corr2d_loops(np.pad(np.asarray(X, dtype=float), ((2 * padding, 0), (2 * padding, 0))), K)


def conv2d_no_stride(X: Any, K: Any, *, stride: int = 1) -> np.ndarray:
    return corr2d_loops(X, K)


def multi_in(X: Any, K: Any) -> np.ndarray:
    return sum(corr2d_loops(x, k) for x, k in zip(X, K))


def multi_in_unsummed(X: Any, K: Any) -> np.ndarray:
    return np.stack([corr2d_loops(x, k) for x, k in zip(X, K)])


def multi_in_out_bias(X: Any, K: Any, b: Any) -> np.ndarray:
    return np.stack([multi_in(X, k) + bo for k, bo in zip(K, b)])


def multi_in_out_bias_per_input(X: Any, K: Any, b: Any) -> np.ndarray:
    return np.stack([sum(corr2d_loops(x, kc) + bo for x, kc in zip(X, k)) for k, bo in zip(K, b)])


# ------------------------------------------------------------ passing


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda X, K: numeric.corr2d(X, K), id="numeric.corr2d"),
        pytest.param(corr2d_loops, id="loops"),
    ],
)
def test_correct_corr2d_passes(fn: Callable[..., Any]) -> None:
    assert_correlates_like(fn, settings=FAST)


def test_scipy_correlate2d_passes() -> None:
    signal = pytest.importorskip("scipy.signal")
    assert_correlates_like(lambda X, K: signal.correlate2d(X, K, mode="valid"), settings=FAST)
    assert_convolves_like(lambda X, K: signal.convolve2d(X, K, mode="valid"), settings=FAST)


def test_numeric_backend_passes_in_every_layout() -> None:
    assert_correlates_like(
        numeric.correlate,
        layout="batch",
        stride=True,
        padding=("int", "pair", "same", "full"),
        dilation=True,
        groups=True,
        bias=True,
        option_form="tuple",
        settings=FAST,
    )
    assert_convolves_like(numeric.convolve, layout="batch", ndim=1, stride=True, padding=True, settings=FAST)
    assert_correlates_like(numeric.correlate, layout="multi_in_out", ndim=3, max_size=4, settings=FAST)


@pytest.mark.parametrize(
    "fn, options",
    [
        pytest.param(conv2d_pad_stride, {"stride": True, "padding": True}, id="pad-and-stride"),
        pytest.param(multi_in, {"layout": "multi_in"}, id="multi-in"),
        pytest.param(multi_in_out_bias, {"layout": "multi_in_out", "bias": True}, id="multi-in-out-bias"),
    ],
)
def test_correct_variants_pass(fn: Callable[..., Any], options: dict[str, Any]) -> None:
    assert_correlates_like(fn, settings=FAST, **options)


def test_pooling_and_output_size_pass() -> None:
    assert_pools_like(
        lambda X, k, *, stride=None, padding=0: numeric.max_pool(X[None], k, stride=stride, padding=padding)[0],
        stride=True,
        padding=True,
        settings=FAST,
    )
    assert_pools_like(lambda X, k: numeric.avg_pool(X, k), mode="avg", layout="multi_in", settings=FAST)
    assert_output_size_like(lambda n, k, p, s: (n + 2 * p - k) // s + 1, settings=FAST)
    assert_output_size_like(lambda n, k, p_h, s: (n - k + p_h + s) // s, padding_convention="total", settings=FAST)


# ------------------------------------------------------------ failing, with the mistake named


@pytest.mark.parametrize(
    "fn, options, label, message",
    [
        pytest.param(corr2d_flipped, {}, "kernel_flipped", r"flips the kernel", id="kernel-flipped"),
        pytest.param(
            corr2d_off_by_one,
            {},
            "forgot_plus_one",
            r"does not have correct shape--got: \(\d, \d\), expected: \(\d, \d\).*without the final \+1",
            id="off-by-one",
        ),
        pytest.param(
            conv2d_pad_left,
            {"padding": True},
            "padding_once",
            r"padding counted once, p instead of 2p",
            id="padding-one-side-once",
        ),
        pytest.param(
            conv2d_pad_twice_left, {"padding": True}, "padding_one_side", r"on one side", id="padding-one-side-all"
        ),
        pytest.param(conv2d_no_stride, {"stride": True}, "ignored_stride", r"with stride 1", id="stride-ignored"),
        pytest.param(
            multi_in_unsummed,
            {"layout": "multi_in"},
            "channels_not_summed",
            r"one result per input channel",
            id="channels-not-summed",
        ),
        pytest.param(
            multi_in_out_bias_per_input,
            {"layout": "multi_in_out", "bias": True},
            "bias_per_input_channel",
            r"per input channel",
            id="bias-per-input-channel",
        ),
    ],
)
def test_bug_is_named(fn: Callable[..., Any], options: dict[str, Any], label: str, message: str) -> None:
    with pytest.raises(ConvMathAssertionError, match=message) as err:
        assert_correlates_like(fn, settings=FAST, **options)
    failure = err.value.report.failure
    assert failure is not None and failure.misconception == label
    assert str(err.value).startswith(f"{fn.__name__}(X=")  # the smallest failing call is shown


def test_convolution_without_flip_is_named() -> None:
    with pytest.raises(ConvMathAssertionError, match=r"is the cross-correlation; a true convolution turns the kernel"):
        assert_convolves_like(corr2d_loops, settings=FAST)


def test_smallest_failing_input_is_reported() -> None:
    with pytest.raises(ConvMathAssertionError) as err:
        assert_correlates_like(corr2d_flipped, settings=FAST)
    # the shrunk example: a 1x2 kernel is the smallest that a flip changes
    assert "expected" in str(err.value) and err.value.report.failure.size <= 6


def test_pool_stride_ignored_is_named() -> None:
    def pool(X: Any, k: Any) -> np.ndarray:
        return numeric.max_pool(np.asarray(X)[None], k, stride=1)[0]

    with pytest.raises(ConvMathAssertionError, match=r"a pooling layer's stride defaults to its window size"):
        assert_pools_like(pool, settings=FAST)


@pytest.mark.parametrize(
    "fn, label",
    [
        pytest.param(lambda n, k, p, s: (n + p - k) // s + 1, "padding_once", id="p-instead-of-2p"),
        pytest.param(lambda n, k, p, s: (n + 2 * p - k) // s, "forgot_plus_one", id="forgot-plus-one"),
        pytest.param(lambda n, k, p, s: (n + 2 * p - k) / s + 1, "no_floor", id="no-floor"),
        pytest.param(lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1, "ceil_not_floor", id="ceil"),
        pytest.param(lambda n, k, p, s: n + 2 * p - k + 1, "ignored_stride", id="stride-ignored"),
    ],
)
def test_output_size_bug_is_named(fn: Callable[..., Any], label: str) -> None:
    with pytest.raises(ConvMathAssertionError, match=r"fn\(n=\d+, kernel_size=\d+, padding=\d+, stride=\d+\)") as err:
        assert_output_size_like(fn, settings=FAST)
    assert err.value.report.failure.misconception == label


def test_exception_in_function_is_reported() -> None:
    def broken(X: Any, K: Any) -> None:
        raise IndexError("index 3 is out of bounds")

    with pytest.raises(ConvMathAssertionError, match=r"broken\(X=\[\[0\]\], K=\[\[0\]\]\) raised IndexError: index 3"):
        assert_correlates_like(broken, settings=FAST)


def test_stub_is_reported() -> None:
    def corr2d(X: Any, K: Any) -> None:
        raise NotImplementedError

    with pytest.raises(ConvMathAssertionError, match="corr2d raises NotImplementedError"):
        assert_correlates_like(corr2d, settings=FAST)


# ------------------------------------------------------------------ the cached plan of check_function
# With derandomized settings, check_function replays a cached plan (the cases hypothesis
# draws for a passing function, with the reference results) and searches with hypothesis
# only when a call fails. These tests hold the replay to the search it stands for.

from convmath.testing import runner  # noqa: E402
from convmath.testing.functions import Supports  # noqa: E402
from convmath.testing.runner import Outcome, check_function, grader_settings, local_call  # noqa: E402

PLAN_CONFIGS = [
    pytest.param(Supports(), id="corr2d"),
    pytest.param(
        Supports(op="convolve", layout="multi_in_out", bias=True, stride=True, padding=("int", "same")), id="conv-multi"
    ),
    pytest.param(Supports(op="max_pool", layout="multi_in", stride=True, padding=("int",)), id="max-pool"),
    pytest.param(Supports(op="output_size", args=("n", "kernel_size", "padding", "stride")), id="output-size"),
]


def recorded(fn: Callable[..., Any], log: list[str]) -> Callable[..., Outcome]:
    inner = local_call(fn)

    def call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Outcome:
        log.append(repr([np.asarray(a).tolist() for a in args]) + repr(sorted(kwargs.items())))
        return inner(args, kwargs)

    return call


def reference_fn(supports: Supports) -> Callable[..., Any]:
    """The reference as the student's function (it passes every case)."""
    reference_of = runner._reference_of(supports, None)

    def fn(*args: Any, **kwargs: Any) -> Any:
        matches = [c for c in plan_of(supports).cases if repr(c.args) == repr(args) and c.kwargs == kwargs]
        return reference_of(matches[0])

    return fn


def plan_of(supports: Supports, max_examples: int = 20) -> runner._Plan:
    settings_ = runner.Settings(grader_settings(max_examples), report_multiple_bugs=False)
    plan = runner._plan(supports, None, runner._reference_of(supports, None), 1e-9, 1e-9, settings_, 60.0, 300)
    assert plan is not None
    return plan


@pytest.mark.parametrize("supports", PLAN_CONFIGS)
def test_replay_calls_exactly_what_the_search_draws(supports: Supports) -> None:
    runner._PLANS.clear()
    searched: list[str] = []
    report = runner._search(
        recorded(reference_fn(supports), searched),
        supports,
        runner._reference_of(supports, None),
        1e-9,
        1e-9,
        runner.Settings(grader_settings(20), report_multiple_bugs=False),
        60.0,
        300,
    )
    replayed: list[str] = []
    cached = check_function(recorded(reference_fn(supports), replayed), supports, settings=grader_settings(20))
    assert report.passed and cached.passed and cached.calls == report.calls == len(searched) > 1
    # the same cases (a student gains nothing from the replay), the discriminating ones first
    assert sorted(replayed) == sorted(searched)
    plan = plan_of(supports)
    flags = [runner.discriminates(c, e) for c, e in zip(plan.cases, plan.expected)]
    assert flags[0] and flags == sorted(flags, reverse=True)


def test_second_check_does_not_search(monkeypatch: pytest.MonkeyPatch) -> None:
    check_function(local_call(corr2d_loops), Supports(), settings=grader_settings(20))  # builds the plan
    searches: list[int] = []
    real = runner._search
    monkeypatch.setattr(runner, "_search", lambda *a, **k: searches.append(1) or real(*a, **k))
    passed = check_function(local_call(corr2d_loops), Supports(), settings=grader_settings(20))
    failed = check_function(local_call(corr2d_flipped), Supports(), settings=grader_settings(20))
    assert passed.passed and passed.calls == 20 and searches == []  # a failing function is not searched either:
    assert failed.failure is not None and failed.failure.misconception == "kernel_flipped"  # the replay shrinks
    assert failed.failure.size <= 4 and failed.calls <= 20 + runner.SHRINK_CALLS


@pytest.mark.parametrize(
    "status, at",
    [
        pytest.param("timeout", 1, id="timeout-first"),
        pytest.param("timeout", 6, id="timeout-sixth"),
        pytest.param("crashed", 3, id="crashed-third"),
        pytest.param("error", 1, id="stub-first"),
    ],
)
def test_replay_reports_stalls_as_the_search_does(status: str, at: int) -> None:
    def stalling() -> Callable[..., Outcome]:
        count = [0]
        good = local_call(corr2d_loops)

        def call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Outcome:
            count[0] += 1
            if count[0] >= at:
                return Outcome(status, None, "NotImplementedError: " if status == "error" else "stuck")
            return good(args, kwargs)

        return call

    settings_ = grader_settings(20)
    searched = runner._search(
        stalling(),
        Supports(),
        runner._reference_of(Supports(), None),
        1e-9,
        1e-9,
        runner.Settings(settings_, report_multiple_bugs=False),
        60.0,
        300,
    )
    check_function(local_call(corr2d_loops), Supports(), settings=settings_)  # the plan exists
    replayed = check_function(stalling(), Supports(), settings=settings_)
    assert (replayed.passed, replayed.missing, replayed.calls) == (searched.passed, searched.missing, searched.calls)
    assert replayed.failure is None or (replayed.failure.status, replayed.failure.message) == (
        searched.failure.status,
        searched.failure.message,
    )  # type: ignore[union-attr]
    assert replayed.missing == (status == "error") and replayed.calls == at


def test_function_right_only_when_called_again_still_fails() -> None:
    calls = [0]

    def sly(X: Any, K: Any) -> np.ndarray:  # wrong on its first call, right ever after
        calls[0] += 1
        return corr2d_loops(X, K) + (calls[0] == 1)

    report = check_function(local_call(sly), Supports(), settings=grader_settings(20))
    assert not report.passed and report.failure is not None and report.failure.status == "wrong"


def test_function_that_writes_into_its_input_cannot_change_the_plan() -> None:
    def vandal(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Outcome:  # no copies, as a careless caller
        X, K = args
        out = corr2d_loops(X, K)
        X[...] = 7
        return Outcome("ok", out)

    runner._PLANS.clear()
    first = check_function(vandal, Supports(), settings=grader_settings(20))
    again = check_function(local_call(corr2d_loops), Supports(), settings=grader_settings(20))
    assert first.passed and again.passed


def test_no_plan_without_derandomized_settings() -> None:
    random_settings = settings(max_examples=5, deadline=None, derandomize=False, database=None)
    assert (
        runner._plan(Supports(), None, runner._reference_of(Supports(), None), 1e-9, 1e-9, random_settings, 60.0, 300)
        is None
    )
