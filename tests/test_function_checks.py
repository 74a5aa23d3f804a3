"""Function checks test exactly what the prompt asks (issue 12), and a check that runs out of time fails (issue 11)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from convmath.errors import ConvMathError
from convmath.numeric import corr2d
from convmath.testing import runner
from convmath.testing.functions import Case, Supports, cases, supports_for
from convmath.testing.runner import (
    check_function,
    discriminates,
    grader_settings,
    local_call,
)
from exercises.families import generate
from grader.checks import check_part

CONFIGS = [
    pytest.param(Supports(op="correlate", layout="single"), id="corr2d"),
    pytest.param(Supports(op="correlate", layout="multi_in"), id="multi-in"),
    pytest.param(Supports(op="max_pool", layout="single", implied_stride="one", mode_arg=True), id="pool2d"),
    pytest.param(Supports(op="output_size", args=("n", "kernel_size", "padding", "stride")), id="out-size"),
]


def _shape(X: Any, K: Any) -> tuple[int, int]:
    X, K = np.asarray(X), np.asarray(K)
    return X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1


# ------------------------------------------------------------------ running out the clock


def test_a_check_that_runs_out_of_time_is_a_fail_with_the_reason() -> None:
    def zeros_slowly(X: Any, K: Any) -> np.ndarray:
        time.sleep(0.1)
        return np.zeros(_shape(X, K))

    report = check_function(local_call(zeros_slowly), Supports(), settings=grader_settings(30), time_limit=0.35)
    assert not report.passed and report.failure is not None
    # the first case discriminates, so the zeros are caught before the budget runs out
    assert report.failure.status == "wrong"


def test_a_right_but_stalling_function_is_too_slow_not_passed() -> None:
    def right_slowly(X: Any, K: Any) -> np.ndarray:
        time.sleep(0.1)
        return corr2d(X, K)

    report = check_function(local_call(right_slowly), Supports(), settings=grader_settings(30), time_limit=0.35)
    assert not report.passed and report.stopped == "time"
    assert report.failure is not None and report.failure.status == "slow"
    assert "too slow:" in report.message("corr2d") and "of 30 cases ran in the 0.35 s budget" in report.message(
        "corr2d"
    )


@pytest.mark.parametrize("supports", CONFIGS)
def test_the_first_cases_of_a_plan_discriminate(supports: Supports) -> None:
    check_function(local_call(lambda *a, **k: None), supports, settings=grader_settings(30))
    plan = next(p for key, p in runner._PLANS.items() if key[0] == supports)
    assert all(discriminates(c, e) for c, e in zip(plan.cases[:3], plan.expected[:3]))


@pytest.mark.parametrize(
    "trivial",
    [
        pytest.param(lambda X, K: np.zeros(_shape(X, K)), id="zeros"),
        pytest.param(lambda X, K: np.full(_shape(X, K), 3.0), id="constant"),
        pytest.param(lambda X, K: corr2d(X, K).T, id="transposed"),
        pytest.param(lambda X, K: np.asarray(X, dtype=float)[: _shape(X, K)[0], : _shape(X, K)[1]], id="the-input"),
    ],
)
def test_one_call_catches_a_trivial_function(trivial: Any) -> None:
    report = check_function(local_call(trivial), Supports(), settings=grader_settings(30), max_calls=1)
    assert not report.passed and report.calls == 1


def test_a_correct_pure_python_corr2d_is_never_cut() -> None:
    def loops(X: Any, K: Any) -> list[list[float]]:
        h, w = len(K), len(K[0])
        return [
            [
                sum(float(X[i + a][j + b]) * float(K[a][b]) for a in range(h) for b in range(w))
                for j in range(len(X[0]) - w + 1)
            ]
            for i in range(len(X) - h + 1)
        ]

    report = check_function(local_call(loops), Supports(), settings=grader_settings(30))
    assert report.passed and report.calls == 30


# ------------------------------------------------------------------ every argument, the whole domain


def _pool_part() -> Any:
    ex = generate("implement_function", 0, difficulty=3)
    return ex.parts[0]


def _pool_ok(X: Any, p: Any, mode: str = "max") -> np.ndarray:
    from exercises.families.implement import pool2d_reference

    return pool2d_reference(X, p, mode)


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda X, p, mode="max": _pool_ok(X, p, "max"), id="ignores-mode"),
        pytest.param(
            lambda X, p, mode="max": _pool_ok(X, p, mode) * (np.prod(p) if mode == "avg" else 1), id="avg-is-sum"
        ),
        pytest.param(lambda X, p, mode="max": _pool_ok(X, p, mode) if mode == "max" else 1 / 0, id="raises-on-avg"),
    ],
)
def test_pool2d_is_checked_in_both_modes(wrong: Any) -> None:
    part = _pool_part()
    assert check_part(part, None, call=local_call(wrong)).status in ("incorrect", "error")
    assert check_part(part, None, call=local_call(_pool_ok)).status == "correct"


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda n, k, p=0, s=1: (n + 2 * p - k) // s + (1 if s < 5 else 0), id="wrong-for-stride-5-up"),
        pytest.param(lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1 + n // 41, id="wrong-above-40"),
        pytest.param(lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1 + (p > 3), id="wrong-for-padding-4-up"),
        pytest.param(lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1 + (k > 11), id="wrong-for-big-kernels"),
    ],
)
def test_out_size_is_sampled_over_the_whole_domain(wrong: Any) -> None:
    sup = supports_for({"op": "output_size", "args": ["n", "kernel_size", "padding", "stride"]})
    assert sup.max_value >= 10**6
    assert not check_function(local_call(wrong), sup, settings=grader_settings(30)).passed


def _out_size_part() -> Any:
    return generate("implement_function", 0, difficulty=1, options={"function": "out_size"}).parts[0]


def _out_ok(n: int, k: int, p: int = 0, s: int = 1) -> int:
    return (n + 2 * p - k) // s + 1


@pytest.mark.parametrize(
    "part, wrong",
    [
        pytest.param(_out_size_part, lambda n, k, p=0, s=2: _out_ok(n, k, p, s), id="out_size-stride-default-2"),
        pytest.param(_out_size_part, lambda n, k, p=1, s=1: _out_ok(n, k, p, s), id="out_size-padding-default-1"),
        pytest.param(_out_size_part, lambda n, k, p, s: _out_ok(n, k, p, s), id="out_size-no-defaults"),
        pytest.param(_pool_part, lambda X, p, mode="avg": _pool_ok(X, p, mode), id="pool2d-mode-default-avg"),
        pytest.param(_pool_part, lambda X, p, mode: _pool_ok(X, p, mode), id="pool2d-no-default"),
    ],
)
def test_the_signature_s_defaults_are_called(part: Any, wrong: Any) -> None:
    """A function whose defaults differ from the signature the prompt shows (or that has none) fails: some calls
    leave the defaulted arguments out; the failing call shown is small and leaves them out too."""
    part = part()
    assert "=" in part.answer.signature
    result = check_part(part, None, call=local_call(wrong))
    assert result.status in ("incorrect", "error"), result.message
    call = result.details["call"]
    assert len(call) < 60 and ("stride" not in call or "padding" not in call) and "mode" not in call, call


@pytest.mark.parametrize("right", [_out_ok, lambda n, k, p=0, s=1, *rest: _out_ok(n, k, p, s)], ids=["plain", "more"])
def test_a_function_with_the_signature_s_defaults_passes(right: Any) -> None:
    assert check_part(_out_size_part(), None, call=local_call(right)).status == "correct"


def test_defaults_come_from_the_signature() -> None:
    sup = supports_for(
        {"op": "output_size", "args": ["n", "kernel_size", "padding", "stride"]}, "", "f(n, k, p=0, s=1)"
    )
    assert sup.defaults == (("padding", 0), ("stride", 1))
    pool = supports_for({"op": "max_pool", "mode_arg": True}, "", 'pool2d(X, pool_size, mode="max")')
    assert pool.defaults == (("mode", "max"),)
    assert supports_for({"layout": "single"}, "", "corr2d(X, K)").defaults == ()
    with pytest.raises(ConvMathError, match="signature='f\\(n, k=\\)' is not a Python signature"):
        supports_for({"op": "output_size"}, "", "f(n, k=)")


def test_the_domain_is_in_the_supports_metadata() -> None:
    sup = supports_for({"op": "output_size", "args": ["n", "kernel_size", "padding", "stride"], "max_value": 500})
    from hypothesis import given, settings

    @settings(derandomize=True, database=None)
    @given(cases(sup))
    def within(case: Any) -> None:
        assert max(case.args[1:]) <= 500

    within()


# ------------------------------------------------------------------ diagnosis


def test_a_wrong_function_is_shrunk_cheaply_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # the shrink stops at SHRINK_CALLS calls or SHRINK_TIME seconds; on a busy CI worker the 30 ms could end it
    # early, so bound it by calls alone here (deterministic) and check the cost separately below
    import convmath.testing.runner as runner

    monkeypatch.setattr(runner, "SHRINK_TIME", 5.0)
    check_function(local_call(corr2d), Supports(), settings=grader_settings(30))
    start = time.perf_counter()
    report = check_function(local_call(lambda X, K: corr2d(X, np.flip(K))), Supports(), settings=grader_settings(30))
    assert time.perf_counter() - start < 2.0  # generous: the machine is shared; bench_checks measures
    assert report.failure is not None and report.failure.misconception == "kernel_flipped"
    assert report.failure.size <= 4


@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cases(Supports()))
def test_the_greedy_shrink_reaches_a_smallest_case_from_any_failure(case: Any) -> None:
    """From any failing case of a flipped kernel, the budgeted shrink ends at the smallest one (2x1 by 2x1):
    it may drop the first row or column as well as the last, so it is not stuck where only the first mattered."""
    flipped = local_call(lambda X, K: corr2d(X, np.flip(K)))
    reference_of = runner._reference_of(Supports(), None)
    expected, got = reference_of(case), flipped(tuple(case.args), dict(case.kwargs))
    assume(runner.compare(expected, got.value) is not None)
    smallest, *_ = runner._shrink(
        flipped,
        Supports(),
        reference_of,
        case,
        expected,
        got,
        1e-6,
        1e-6,
        deadline=float("inf"),
        max_calls=runner.SHRINK_CALLS,
    )
    assert smallest.size <= 4, smallest.args


def test_two_mistakes_that_explain_every_result_are_both_named() -> None:
    sup = Supports(op="output_size", args=("n", "kernel_size", "padding"))

    def both(n: int, k: int, p: int) -> int:  # p instead of 2p AND the +1 forgotten: no single mistake explains it
        return n + p - k

    report = check_function(local_call(both), sup, settings=grader_settings(30))
    assert report.failure is not None and report.failure.misconception is None


class _Marked:
    """What a stand-in catalogue model returns: it names its label and kind (and survives any re-layout)."""

    def __init__(self, label: str, kind: str) -> None:
        self.mark = (label, kind)

    def __getitem__(self, index: Any) -> _Marked:
        return self


#: Function kinds whose cases, together, meet every modelled mistake.
_ALL_KINDS = [
    Supports(op="output_size", args=("n", "kernel_size", "padding", "stride", "dilation")),
    Supports(op="output_size", args=("n", "kernel_size", "padding", "stride"), padding_convention="total"),
    Supports(op="correlate", layout="single", stride=True, padding=("int",), dilation=True, bias=True),
    Supports(op="convolve", layout="multi_in", padding=("int",)),
    Supports(op="correlate", layout="multi_in_out", bias=True, groups=True),
    Supports(op="max_pool", layout="single", stride=True, padding=("int",), ceil_mode=True),
    Supports(op="avg_pool", layout="multi_in", implied_stride="one", mode_arg=True),
]


def test_one_misconception_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every mistake a function check names is computed by its catalogue entry, nowhere else.

    Each entry's ``wrong`` and ``models`` are replaced by stand-ins that return a marked value: every output
    the checks model must then be that entry's mark (a model computed in :mod:`convmath.testing` instead
    gives a real value and fails), and every label the checks may name must be met."""
    from dataclasses import replace

    from hypothesis import given, settings

    from convmath.misconceptions import CATALOGUE, KINDS
    from convmath.testing import runner as run
    from convmath.testing.functions import LABELS, misconception_outputs

    assert LABELS <= set(CATALOGUE) and not hasattr(run, "FALLBACK")

    def stand_in(label: str, kind: str) -> Any:
        def model(*args: Any, **kwargs: Any) -> Any:
            return _Marked(label, kind) if kind == "wrong" else iter([_Marked(label, kind)])

        return model

    for label in LABELS:
        entry = CATALOGUE[label]
        models = {kind: stand_in(label, kind) for kind in entry.models}
        monkeypatch.setitem(CATALOGUE, label, replace(entry, wrong=stand_in(label, "wrong"), models=models))
    met: set[str] = set()

    def only_the_catalogue(sup: Supports) -> None:
        kind = "wrong" if sup.op == "output_size" else "pool" if sup.is_pool else "conv"

        @settings(derandomize=True, database=None, deadline=None)
        @given(cases(sup))
        def check(case: Any) -> None:
            for label, value in misconception_outputs(sup, case):
                assert isinstance(value, _Marked) and value.mark == (label, kind), (label, value)
                met.add(label)

        check()

    for sup in _ALL_KINDS:
        only_the_catalogue(sup)
    assert met == LABELS
    assert {kind for label in LABELS for kind in CATALOGUE[label].models} <= set(KINDS)


def test_the_catalogue_models_are_the_catalogue_mistakes() -> None:
    """The array model of an entry that has a 2-D array quantity computes that quantity's ``wrong``."""
    from convmath.misconceptions import CATALOGUE

    X, K = np.arange(16.0).reshape(4, 4), np.array([[1.0, 2.0], [0.0, -1.0]])
    flipped = next(CATALOGUE["kernel_flipped"].models["conv"](X[None], K[None, None], None, op="correlate"))
    np.testing.assert_array_equal(flipped[0], CATALOGUE["kernel_flipped"].wrong(X, K))
    one_side = list(CATALOGUE["padding_one_side"].models["conv"](X[None], K[None, None], None, padding=1))
    np.testing.assert_array_equal(one_side[1][0], CATALOGUE["padding_one_side"].wrong(X, K, padding=1))
    np.testing.assert_array_equal(one_side[1][0][:2, :2], corr2d(X[:3, :3], K))  # X in the top-left corner
    pooled = next(CATALOGUE["pool_stride_default_kernel"].models["pool"](X[None], (2, 2), stride=(1, 1)))
    np.testing.assert_array_equal(pooled[0], [[5, 7], [13, 15]])
    with pytest.raises(ConvMathError):  # a mistake that does not apply here says so
        next(CATALOGUE["kernel_flipped"].models["conv"](X[None], K[None, None], None, op="convolve"))


def _int_accumulator(X: Any, K: Any) -> np.ndarray:
    X, K = np.asarray(X), np.asarray(K)
    Y = np.zeros(_shape(X, K), dtype=int)  # a common slip: results truncated to integers
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + K.shape[0], j : j + K.shape[1]] * K).sum()
    return Y


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(_int_accumulator, id="integer-accumulator"),
        pytest.param(lambda X, K: corr2d(np.clip(X, -10, 10), K), id="clipped-input"),
        pytest.param(lambda X, K: corr2d(np.round(X), K), id="rounded-input"),
    ],
)
def test_values_beyond_small_integers_are_sampled(wrong: Any) -> None:
    assert not check_function(local_call(wrong), Supports(), settings=grader_settings(30)).passed


def test_a_mistake_undefined_on_a_failing_call_is_not_contradicted_by_it() -> None:
    """Counting the padding once, ``(n + p - k) // s + 1``, gives 0 where that formula has no window
    (``n + p < k``): the catalogue's ``padding_once`` does not apply there, so that call neither explains nor
    contradicts it, on the search path as on the replay path; ``forgot_plus_one`` is contradicted elsewhere."""
    sup = Supports(op="output_size", args=("n", "kernel_size", "padding", "stride"))
    once = local_call(lambda n, k, p, s: (n + p - k) // s + 1)

    def failure(n: int, k: int, p: int, s: int) -> Any:
        case = Case((n, k, p, s), {}, sup.args, {"n": n, "kernel_size": k, "padding": p, "stride": s, "dilation": 1})
        return runner._judge(sup, case, runner.expected_output(sup, case), once((n, k, p, s), {}), 0.0, 0.0)

    undefined, plain, telling = failure(534, 1298, 587, 17058), failure(1, 1, 1, 1), failure(37820, 676, 92070, 28957)
    assert undefined.labels == ("forgot_plus_one",) and "padding_once" not in undefined.contradicted
    assert plain.labels == ("forgot_plus_one", "padding_once") and "forgot_plus_one" in telling.contradicted
    assert runner._diagnosed([plain, undefined, telling]).misconception == "padding_once"
