"""grader.checks.check_part: every answer kind, and the diagnosis of misconceptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import sympy

from exercises.model import AnswerSpec, Part, WrongAnswer
from grader.checks import CheckOptions, PartResult, check_part

n, k, p, s = sympy.symbols("n k p s", integer=True, positive=True)
OUT = sympy.floor((n + 2 * p - k) / s) + 1
DOMAINS = {"n": "positive_integer", "k": "positive_integer", "p": "nonnegative_integer", "s": "positive_integer"}


def part(kind: str, expected: Any = None, *wrong: tuple[str, Any], **spec: Any) -> Part:
    name = spec.pop("name", "ans")
    return Part(
        "a",
        {"en": "?"},
        AnswerSpec(kind, name, expected=expected, **spec),
        2.0,
        tuple(WrongAnswer(label, value) for label, value in wrong),
    )


# ------------------------------------------------------------------ integer

OUT17 = part(
    "integer",
    (32 + 2 * 2 - 3) // 2 + 1,
    ("padding_once", (32 + 2 - 3) // 2 + 1),
    ("no_floor", (32 + 2 * 2 - 3) / 2 + 1),
    name="n_out",
)


@pytest.mark.parametrize(
    "answer, status, label, message",
    [
        pytest.param(17, "correct", None, r"^'n_out' is correct$", id="int"),
        pytest.param(np.int64(17), "correct", None, r"correct", id="numpy-int"),
        pytest.param(np.array(17), "correct", None, r"correct", id="0-d-array"),
        pytest.param(17.0, "correct", None, r"given as the float 17; an integer was expected", id="integral-float"),
        pytest.param(
            16,
            "incorrect",
            "padding_once",
            r"16 is what you get with padding counted once, p instead of 2p",
            id="padding-once",
        ),
        pytest.param(17.5, "incorrect", "no_floor", r"must be rounded down", id="no-floor"),
        pytest.param(18, "incorrect", None, r"^'n_out' = 18 is not correct; expected 17$", id="wrong"),
        pytest.param(
            17 + 1e-9,
            "incorrect",
            None,
            r"^'n_out' = 17.0+1 is not correct; expected 17$",
            id="non-integral-float-within-1e-9",
        ),
        pytest.param(
            np.float64(17 - 1e-12), "incorrect", None, r"is not correct; expected 17$", id="numpy-float-just-below"
        ),
        pytest.param(float("inf"), "incorrect", None, r"= inf is not correct", id="inf"),
        pytest.param(float("nan"), "incorrect", None, r"= nan is not correct", id="nan"),
        pytest.param(True, "incorrect", None, r"must be an integer, not bool", id="bool"),
        pytest.param("17", "incorrect", None, r"must be an integer, not the string '17'", id="string"),
        pytest.param(None, "missing", None, r"'n_out' was not answered", id="missing"),
    ],
)
def test_integer(answer: Any, status: str, label: str | None, message: str) -> None:
    result = check_part(OUT17, answer)
    assert (result.status, result.misconception) == (status, label)
    assert result.score == (2.0 if status == "correct" else 0.0) and result.max_score == 2.0
    assert __import__("re").search(message, result.message)


def test_integral_float_can_be_refused() -> None:
    result = check_part(OUT17, 17.0, options=CheckOptions(accept_integral_float=False))
    assert (result.status, result.message) == ("incorrect", "'n_out' must be an integer, not the float 17.0")


def test_misconception_credit_makes_partial() -> None:
    result = check_part(OUT17, 16, options=CheckOptions(misconception_credit=0.5))
    assert (result.status, result.score, result.misconception) == ("partial", 1.0, "padding_once")


def test_chinese_message() -> None:
    result = check_part(OUT17, 16, locale="zh")
    assert result.message.startswith("'n_out' = 16 不正确，应为 17") and "p 而不是 2p" in result.message


def test_expected_hidden() -> None:
    result = check_part(OUT17, 18, options=CheckOptions(reveal_expected=False))
    assert result.message == "'n_out' = 18 is not correct"


def test_result_is_frozen() -> None:
    result = check_part(OUT17, 17)
    assert isinstance(result, PartResult)
    with pytest.raises(AttributeError):
        result.score = 0.0  # type: ignore[misc]


# ------------------------------------------------------------------ shape

SHAPE = part("shape", (3, 3), ("forgot_plus_one", (2, 2)), name="out_shape")


@pytest.mark.parametrize(
    "answer, status, label, message",
    [
        pytest.param((3, 3), "correct", None, r"correct", id="tuple"),
        pytest.param([3, 3], "correct", None, r"correct", id="list"),
        pytest.param((np.int64(3), 3), "correct", None, r"correct", id="numpy-ints"),
        pytest.param(
            (4, 4),
            "incorrect",
            None,
            r"^'out_shape' does not have correct shape--got: \(4, 4\), expected: \(3, 3\)$",
            id="wrong",
        ),
        pytest.param((2, 2), "incorrect", "forgot_plus_one", r"without the final \+1", id="forgot-plus-one"),
        pytest.param((3.0, 3.0), "correct", None, r"correct \(given with floats", id="integral-floats"),
        pytest.param(
            (3.5, 3),
            "incorrect",
            None,
            r"must be a tuple of integers such as \(3, 3\), not a tuple holding 3.5",
            id="floats",
        ),
        pytest.param(9, "incorrect", None, r"not int", id="not-a-tuple"),
    ],
)
def test_shape(answer: Any, status: str, label: str | None, message: str) -> None:
    result = check_part(SHAPE, answer)
    assert (result.status, result.misconception) == (status, label)
    assert __import__("re").search(message, result.message)


# ------------------------------------------------------------------ array

Y = np.array([[19.0, 25.0], [37.0, 43.0]])  # seed 003: 3x3 input 0..8, 2x2 kernel 0..3
Y_FLIPPED = np.array([[5.0, 11.0], [23.0, 29.0]])
ARRAY = part("array", Y, ("kernel_flipped", Y_FLIPPED), ("forgot_plus_one", Y[:1, :1]), atol=1e-9, name="Y")


@pytest.mark.parametrize(
    "answer, status, label, message",
    [
        pytest.param(Y, "correct", None, r"correct", id="exact"),
        pytest.param([[19, 25], [37, 43]], "correct", None, r"correct", id="nested-list-of-ints"),
        pytest.param(Y + 1e-12, "correct", None, r"correct", id="within-atol"),
        pytest.param(Y_FLIPPED, "incorrect", "kernel_flipped", r"flips the kernel", id="kernel-flipped"),
        pytest.param(
            [[19.0]],
            "incorrect",
            "forgot_plus_one",
            r"^'Y' does not have correct shape--got: \(1, 1\), expected: \(2, 2\).*without the final \+1",
            id="forgot-plus-one",
        ),
        pytest.param(Y.T.reshape(2, 2)[:, :1].T, "incorrect", None, r"got: \(1, 2\), expected: \(2, 2\)", id="shape"),
        pytest.param(Y[None], "incorrect", None, r"an axis of length 1 too many or too few", id="extra-axis"),
        pytest.param(
            np.array([[19.0, 25.0], [37.0, np.nan]]),
            "incorrect",
            None,
            r"1 of 4 values differ; the first at index \(1, 1\): got nan, expected 43",
            id="nan",
        ),
        pytest.param(
            [[19, 25], [37, 44]],
            "incorrect",
            None,
            r"^'Y' has the correct shape \(2, 2\) but 1 of 4 values differ",
            id="value",
        ),
        pytest.param("[[19, 25], [37, 43]]", "incorrect", None, r"must be an array of numbers, not str", id="string"),
        pytest.param([[19, 25], [37]], "incorrect", None, r"not a ragged nested list", id="ragged"),
    ],
)
def test_array(answer: Any, status: str, label: str | None, message: str) -> None:
    result = check_part(ARRAY, answer)
    assert (result.status, result.misconception) == (status, label)
    assert __import__("re").search(message, result.message), result.message


def test_array_nan_where_expected() -> None:
    spec = part("array", np.array([1.0, np.nan, np.inf]))
    assert check_part(spec, [1.0, np.nan, np.inf]).status == "correct"
    assert check_part(spec, [1.0, np.nan, -np.inf]).status == "incorrect"


# ------------------------------------------------------------------ expression

EXPR = part(
    "expression",
    OUT,
    ("padding_once", sympy.floor((n + p - k) / s) + 1),
    ("forgot_plus_one", sympy.floor((n + 2 * p - k) / s)),
    symbols=DOMAINS,
    name="formula",
)


@pytest.mark.parametrize(
    "answer, status, label, message",
    [
        pytest.param("(n + 2*p - k)//s + 1", "correct", None, r"correct", id="floordiv"),
        pytest.param("floor((n - k + 2*p)/s) + 1", "correct", None, r"correct", id="floor-reordered"),
        pytest.param("ceil((n + 2*p - k + 1)/s)", "correct", None, r"correct", id="ceil-equivalent-on-integers"),
        pytest.param("floor((n + 2*p - k + s)/s)", "correct", None, r"correct", id="d2l-form"),
        pytest.param("(n + p - k)//s + 1", "incorrect", "padding_once", r"p instead of 2p", id="padding-once"),
        pytest.param("(n + 2*p - k)//s", "incorrect", "forgot_plus_one", r"without the final \+1", id="plus-one"),
        pytest.param(
            "(n + 2*p - k)/s + 1", "incorrect", None, r"differs from the right expression, e\.g\. at", id="no-floor"
        ),
        pytest.param("n^2", "error", None, r"could not be read: '\^' is not allowed; use \*\* for powers", id="caret"),
        pytest.param(
            "__import__('os').system('true')", "error", None, r"could not be read: attribute access", id="hostile"
        ),
        pytest.param("x + 1", "error", None, r"name 'x' is not allowed", id="unknown-symbol"),
    ],
)
def test_expression(answer: Any, status: str, label: str | None, message: str) -> None:
    result = check_part(EXPR, answer)
    assert (result.status, result.misconception) == (status, label)
    assert __import__("re").search(message, result.message), result.message


def test_expression_dunder_name() -> None:
    result = check_part(EXPR, "__import__('os')")
    assert result.status == "error" and "double underscores" in result.message


def test_expression_real_domain() -> None:
    t = sympy.Symbol("t", real=True)
    spec = part("expression", sympy.exp(-t) * (1 - t) ** 2, symbols={"t": "real"})
    assert check_part(spec, "exp(-t)*(t - 1)**2").status == "correct"
    assert check_part(spec, "exp(-t)*(t**2 - 1)").status == "incorrect"


@pytest.mark.parametrize(
    "expected, symbols, answer, status",
    [
        pytest.param(
            sympy.Symbol("p", integer=True, nonnegative=True) / (sympy.Symbol("p", integer=True, nonnegative=True) + 1),
            {"p": "nonnegative_integer"},
            "1/(1 + 1/p)",
            "correct",
            id="sympy-decides-p=0",
        ),
        pytest.param(OUT, DOMAINS, "(n + 2*p - k)//s + 1 + 1/10**30", "incorrect", id="exact-tiny-offset"),
        pytest.param(
            sympy.exp(-sympy.Symbol("t", real=True)),
            {"t": "real"},
            "exp(-t) + 1e-39",
            "incorrect",
            id="tiny-constant-under-the-tolerance",
        ),
        pytest.param(
            sympy.exp(-sympy.Symbol("t", real=True)),
            {"t": "real"},
            "exp(-t) + exp(-100)",
            "incorrect",
            id="tiny-transcendental-constant",
        ),
        pytest.param(
            sympy.exp(-sympy.Symbol("t", real=True)),
            {"t": "real"},
            "exp(-t)*(1 + 1e-18*t)",
            "correct",
            id="non-constant-difference-under-the-tolerance",
        ),
        pytest.param(
            sympy.exp(-sympy.Symbol("t", real=True)),
            {"t": "real"},
            "exp(-t)*(1 + 1e-8)",
            "incorrect",
            id="relative-difference-over-the-tolerance",
        ),
        pytest.param(
            sympy.exp(1 - sympy.Symbol("t", positive=True)),
            {"t": "positive_real"},
            "E/exp(t)",
            "correct",
            id="rearranged-exp",
        ),
        pytest.param(
            sympy.sqrt(sympy.Symbol("n", integer=True, positive=True)),
            {"n": "positive_integer"},
            "n**(1/2)",
            "correct",
            id="root",
        ),
        pytest.param(
            sympy.Symbol("n", integer=True, positive=True),
            {"n": "positive_integer"},
            "n**(n**n)",
            "incorrect",
            id="huge-power-no-hang",
        ),
    ],
)
def test_expression_edges(expected: Any, symbols: dict[str, str], answer: str, status: str) -> None:
    assert check_part(part("expression", expected, symbols=symbols), answer).status == status


def test_expression_exact_agreement_needs_no_simplify(monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.checks as checks

    called: list[Any] = []
    monkeypatch.setattr(checks.sympy, "simplify", lambda e: called.append(e) or e)
    assert check_part(EXPR, "floor((n + 2*p - k + s)/s)").status == "correct"
    assert called == []  # equal exact values at a point: the difference is no nonzero constant


def test_expression_key_is_evaluated_once() -> None:
    import grader.checks as checks

    checks._values.cache_clear()
    check_part(EXPR, "(n + 2*p - k)//s + 1")  # the key's form: one evaluation serves both
    check_part(EXPR, "ceil((n + 2*p - k + 1)/s)")
    info = checks._values.cache_info()
    assert (info.hits, info.misses) == (2, 2)  # key (miss, then hit twice), the other answer (miss)


# ------------------------------------------------------------------ choice

CHOICE = part("choice", "b", ("kernel_flipped", "a"), choices=("a", "b", "c"), name="which")


@pytest.mark.parametrize(
    "answer, status, label, message",
    [
        pytest.param("b", "correct", None, r"correct", id="right"),
        pytest.param(" B ", "correct", None, r"correct", id="case-and-blanks"),
        pytest.param("a", "incorrect", "kernel_flipped", r"'which' = 'a' is not the right choice", id="diagnosed"),
        pytest.param("c", "incorrect", None, r"not the right choice$", id="wrong"),
        pytest.param("z", "incorrect", None, r"is not one of the choices 'a', 'b', 'c'", id="unknown"),
        pytest.param(np.array([1, 2]), "incorrect", None, r"is not one of the choices", id="array"),
        pytest.param(["b"], "incorrect", None, r"is not one of the choices", id="list-holding-the-key"),
    ],
)
def test_choice(answer: Any, status: str, label: str | None, message: str) -> None:
    result = check_part(CHOICE, answer)
    assert (result.status, result.misconception) == (status, label)
    assert __import__("re").search(message, result.message)


# ------------------------------------------------------------------ function


@dataclass(frozen=True)
class FakeCallResult:
    status: str
    value: Any = None
    message: str = ""


def sandbox_like(fn: Any) -> Any:
    """A pipeline-style call(args, kwargs) returning CallResult-like objects."""

    def call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> FakeCallResult:
        try:
            return FakeCallResult("ok", fn(*args, **kwargs))
        except Exception as err:
            return FakeCallResult("error", None, f"{type(err).__name__}: {err}")

    return call


FUNC = part(
    "function",
    None,
    name="corr2d",
    signature="corr2d(X, K)",
    reference="convmath.numeric:corr2d",
    config={"op": "correlate", "layout": "single"},
)
FAST = CheckOptions(max_examples=20)


def loops(X: Any, K: Any) -> np.ndarray:
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    return np.array(
        [[(X[i : i + h, j : j + w] * K).sum() for j in range(X.shape[1] - w + 1)] for i in range(X.shape[0] - h + 1)]
    )


def test_function_correct() -> None:
    result = check_part(FUNC, None, call=sandbox_like(loops), options=FAST)
    assert result.status == "correct" and result.score == 2.0
    assert result.message.startswith("corr2d agrees with the reference on")


def test_function_kernel_flipped_is_named() -> None:
    result = check_part(FUNC, None, call=sandbox_like(lambda X, K: loops(X, np.asarray(K)[::-1, ::-1])), options=FAST)
    assert (result.status, result.misconception) == ("incorrect", "kernel_flipped")
    assert result.message.startswith("corr2d(X=") and "flips the kernel" in result.message
    assert result.details["call"].startswith("X=")


@pytest.mark.parametrize(
    "outcome, status, message",
    [
        pytest.param(
            FakeCallResult("error", None, "NotImplementedError: "), "missing", r"still raises NotImplemented", id="stub"
        ),
        pytest.param(
            FakeCallResult("error", None, "ZeroDivisionError: division by zero"),
            "error",
            r"raised ZeroDivisionError",
            id="error",
        ),
        pytest.param(FakeCallResult("timeout", None, "2 s"), "error", r"did not return in time", id="timeout"),
        pytest.param(
            FakeCallResult("crashed", None, "killed by SIGKILL"), "error", r"crashed the process", id="crashed"
        ),
    ],
)
def test_function_failures(outcome: FakeCallResult, status: str, message: str) -> None:
    calls = []

    def call(args: tuple[Any, ...]) -> FakeCallResult:  # the one-argument form is accepted too
        calls.append(args)
        return outcome

    result = check_part(FUNC, None, call=call, options=FAST)
    assert result.status == status
    assert __import__("re").search(message, result.message), result.message
    if outcome.status in ("timeout", "crashed"):
        assert len(calls) == 1  # no more calls into a stuck or dead process


def test_function_not_defined() -> None:
    assert check_part(FUNC, None, call=None).status == "missing"


def test_function_out_size_reference_by_name() -> None:
    spec = part(
        "function",
        None,
        name="out_size",
        reference="convmath.sizes:conv_output_size",
        config={"args": ["n", "kernel_size", "padding", "stride"]},
    )
    good = check_part(spec, None, call=sandbox_like(lambda n, k, p, s: (n + 2 * p - k) // s + 1), options=FAST)
    bad = check_part(spec, None, call=sandbox_like(lambda n, k, p, s: (n + p - k) // s + 1), options=FAST)
    assert good.status == "correct"
    assert (bad.status, bad.misconception) == ("incorrect", "padding_once")


def pool2d_loops(X: Any, pool_size: Any, mode: str = "max", *, by_window: bool = False) -> np.ndarray:
    """d2l's ``pool2d`` loop; ``by_window`` moves the window by its own size (PyTorch's default stride)."""
    X = np.asarray(X, dtype=float)
    p_h, p_w = pool_size
    s_h, s_w = (p_h, p_w) if by_window else (1, 1)
    rows, cols = (X.shape[0] - p_h) // s_h + 1, (X.shape[1] - p_w) // s_w + 1
    reduce = np.max if mode == "max" else np.mean
    return np.array(
        [[reduce(X[i * s_h : i * s_h + p_h, j * s_w : j * s_w + p_w]) for j in range(cols)] for i in range(rows)]
    ).reshape(rows, cols)


@pytest.mark.parametrize(
    "by_window, status, label",
    [
        pytest.param(False, "correct", None, id="stride-1"),
        pytest.param(True, "incorrect", "pool_stride_default_kernel", id="stride-window"),
    ],
)
def test_function_pool2d_stride_default_kernel_is_named(by_window: bool, status: str, label: str | None) -> None:
    from exercises.families.implement import FUNCTIONS

    signature, reference, config, _ = FUNCTIONS["pool2d"]
    assert reference == "exercises.families.implement:pool2d_reference"
    spec = part("function", None, name="pool2d", signature=signature, reference=reference, config=config)
    student = sandbox_like(lambda X, k, mode="max": pool2d_loops(X, k, mode, by_window=by_window))
    result = check_part(spec, None, call=student, options=FAST)
    assert (result.status, result.misconception) == (status, label)
    if label is not None:
        assert result.message.startswith("pool2d(X=") and "moves the window by its own size" in result.message
