"""convmath.misconceptions: each wrong formula against a hand computation, and the feedback texts."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convmath
from convmath import conv_output_size, d, k, n, p, s
from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE, QUANTITIES, Misconception, feedback

STAGE = [{"type": "Conv2d", "kernel_size": 3, "padding": 1}, {"type": "MaxPool2d", "kernel_size": 2}]
X = np.arange(9).reshape(3, 3)
K = np.arange(4).reshape(2, 2)

# label, positional args, keyword args, the wrong answer as the student computes it by hand
CASES = [
    ("forgot_plus_one", (32, 5), dict(stride=2, padding=1), (32 + 2 * 1 - 5) // 2),
    ("ceil_not_floor", (32, 5), dict(stride=2, padding=1), math.ceil((32 + 2 * 1 - 5) / 2) + 1),
    ("no_floor", (32, 5), dict(stride=2, padding=1), (32 + 2 * 1 - 5) / 2 + 1),
    ("padding_once", (32, 5), dict(padding=2), 32 + 2 - 5 + 1),
    ("padding_total_doubled", (8, 3), dict(total_padding=2), (8 - 3 + 2 * 2 + 1) // 1),
    ("ignored_dilation", (7, 3), dict(dilation=2), 7 - 3 + 1),
    ("dilated_kernel_dk", (7, 3), dict(dilation=2), 7 - 2 * 3 + 1),
    ("ignored_stride", (8, 3), dict(stride=2, padding=1), 8 + 2 * 1 - 3 + 1),
    ("transpose_as_conv", (3, 3), dict(stride=2, padding=1), (3 + 2 * 1 - 3) // 2 + 1),
    ("transpose_padding_added", (3, 3), dict(stride=2, padding=1), (3 - 1) * 2 + 2 * 1 + (3 - 1) + 1),
    ("transpose_n_times_s", (3, 3), dict(stride=2, padding=1), 3 * 2 - 2 * 1 + (3 - 1) + 1),
    ("output_padding_ignored", (3, 3), dict(stride=2, padding=1, output_padding=1), (3 - 1) * 2 - 2 * 1 + (3 - 1) + 1),
    ("pool_stride_one", (4, 2), {}, (4 - 2) // 1 + 1),
    ("pool_padding_one_side", (5, 2), dict(padding=1), (5 + 1 - 2) // 2 + 1),
    ("ceil_mode_ignored", (5, 2), dict(ceil_mode=True), (5 - 2) // 2 + 1),
    ("ceil_mode_last_window_kept", (5, 2), dict(padding=1, ceil_mode=True), math.ceil((5 + 2 * 1 - 2) / 2) + 1),
    ("forgot_bias", (1, 1, 3), {}, 1 * 3 * 3 * 1),
    ("bias_per_input_channel", (3, 16, 3), {}, 3 * 3 * 3 * 16 + 3),
    ("groups_ignored", (16, 32, 3), dict(groups=4), 16 * 3 * 3 * 32 + 32),
    ("kernel_not_squared", (16, 32, 3), {}, 16 * 3 * 32 + 32),
    ("params_ignored_in_channels", (16, 32, 3), {}, 3 * 3 * 32 + 32),
    ("in_out_swapped", (32, 64, 3), dict(bias=False), 64 * 3 * 3 + 32 * 64),
    ("macs_as_flops", (3, 10, 1, 10), dict(convention="macs"), 2 * (10 * 3 * 1 * 1 * 10 * 10)),
    ("macs_bias_counted", (3, 10, 1, 10), dict(convention="macs"), (10 * 3 + 10) * 10 * 10),
    ("macs_input_size", (3, 10, 3, 10), dict(convention="macs"), 10 * 3 * 3 * 3 * 10 * 10),
    ("macs_per_position", (3, 10, 3, 10), dict(convention="macs"), 10 * 3 * 3 * 3),
    ("rf_sum_of_kernels", (STAGE + STAGE,), {}, 3 + 2 + 3 + 2),
    ("rf_ignored_strides", (STAGE + STAGE,), {}, 1 + 2 + 1 + 2 + 1),
    ("rf_own_stride_included", (STAGE + STAGE,), {}, 1 + 2 * 1 + 1 * 2 + 2 * 2 + 1 * 4),
    ("rf_is_effective_stride", (STAGE + STAGE,), {}, 1 * 2 * 1 * 2),
    ("rf_ignored_dilation", ([{"type": "Conv1d", "kernel_size": 3, "dilation": 2}] * 2,), {}, 1 + 2 + 2),
]

# a 1-D stack whose MaxPool1d leaves its stride to PyTorch's default, the window (2)
STAGE_1D = [
    {"type": "Conv1d", "kernel_size": 3},
    {"type": "MaxPool1d", "kernel_size": 2},
    {"type": "Conv1d", "kernel_size": 3},
]
CASES += [
    ("rf_own_stride_included", (STAGE_1D,), {}, 1 + 2 * 1 + 1 * 2 + 2 * 2),
    ("rf_is_effective_stride", (STAGE_1D,), {}, 1 * 2 * 1),
    ("rf_ignored_strides", ([{"type": "AvgPool3d", "kernel_size": 2}] * 2,), {}, 1 + 1 + 1),
    ("rf_own_stride_included", ([{"type": "AvgPool3d", "kernel_size": 2}] * 2,), {}, 1 + 1 * 2 + 1 * 4),
]


@pytest.mark.parametrize("label, args, kwargs, expected", CASES, ids=[case[0] for case in CASES])
def test_wrong_formula_by_hand(label: str, args: tuple, kwargs: dict, expected: object) -> None:
    assert CATALOGUE[label].wrong(*args, **kwargs) == expected


def test_receptive_field_misconceptions_refuse_tuple_kernels() -> None:
    layers = [{"type": "Conv2d", "kernel_size": (3, 5)}]
    with pytest.raises(ConvMathError, match=r"kernel_size=\(3, 5\) is not allowed; use one int per layer"):
        CATALOGUE["rf_ignored_strides"].wrong(layers)


def test_array_misconceptions_by_hand() -> None:
    # seed 003: the 3x3 input 0..8 correlated with the 2x2 kernel 0..3 gives 19, 25, 37, 43
    np.testing.assert_array_equal(CATALOGUE["kernel_not_flipped"].wrong(X, K), [[19, 25], [37, 43]])
    # flipped kernel [[3, 2], [1, 0]]: 0*3 + 1*2 + 3*1 + 4*0 = 5, ...
    np.testing.assert_array_equal(CATALOGUE["kernel_flipped"].wrong(X, K), [[5, 11], [23, 29]])
    per_channel = CATALOGUE["channels_not_summed"].wrong(np.stack([X, X + 1]), np.stack([K, K]))
    assert per_channel.shape == (2, 2, 2)
    np.testing.assert_array_equal(per_channel[1], [[19 + 6, 25 + 6], [37 + 6, 43 + 6]])  # +1 everywhere: + (0+1+2+3)


def test_symbolic_wrong_formulas() -> None:
    right = conv_output_size(n, k, stride=s, padding=p, dilation=d)
    assert CATALOGUE["forgot_plus_one"].wrong(n, k, stride=s, padding=p, dilation=d) == right - 1
    assert CATALOGUE["ceil_not_floor"].wrong(n, k, stride=s, padding=p, dilation=d) == right.replace(
        sympy.floor, sympy.ceiling
    )
    assert CATALOGUE["padding_once"].wrong(n, k, stride=s, padding=p, dilation=d) == conv_output_size(
        n + p, k, stride=s, padding=0, dilation=d
    )
    assert CATALOGUE["no_floor"].wrong(n, k, stride=s, padding=p) == (n + 2 * p - k) / s + 1


def test_catalogue_shape() -> None:
    assert len(CATALOGUE) >= 20
    assert convmath.CATALOGUE is CATALOGUE and convmath.Misconception is Misconception
    for label, item in CATALOGUE.items():
        assert item.label == label and re.fullmatch(r"[a-z0-9_]+", label)
        assert item.quantity in QUANTITIES
        assert callable(item.wrong)
        for locale in ("en", "zh"):
            assert item.title[locale] and "{value}" in item.feedback[locale]
        assert re.search(r"[\u4e00-\u9fff]", item.feedback["zh"]), label


def test_every_catalogue_label_has_a_case() -> None:
    tested = (
        {case[0] for case in CASES}
        | {case[0] for case in DIGESTION_CASES}
        | set(ARRAY_LABELS)
        | {"kernel_not_flipped", "kernel_flipped", "channels_not_summed"}
    )
    assert tested == set(CATALOGUE)


@pytest.mark.parametrize(
    "label, value, locale, text",
    [
        pytest.param(
            "padding_once", 15, "en", "15 is what you get with padding counted once, p instead of 2p", id="en"
        ),
        pytest.param("padding_once", 15, "zh", "15 是只加了一次填充（用 p 而不是 2p）", id="zh"),
        pytest.param("no_floor", 15.5, "en", "15.5 is not a whole number", id="float"),
        pytest.param("forgot_bias", 9.0, "en", "9 counts the weights only", id="integral-float"),
    ],
)
def test_feedback(label: str, value: object, locale: str, text: str) -> None:
    assert feedback(label, value, locale).startswith(text)


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(("nope", 1), r"label='nope' is not allowed", id="label"),
        pytest.param(("forgot_bias", 1, "fr"), r"locale='fr' is not allowed; use one of 'en', 'zh'", id="locale"),
    ],
)
def test_feedback_invalid(args: tuple, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        feedback(*args)


SIZE_LABELS = [
    "forgot_plus_one",
    "ceil_not_floor",
    "no_floor",
    "padding_once",
    "ignored_dilation",
    "dilated_kernel_dk",
    "ignored_stride",
]


@given(
    size=st.integers(1, 64),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
)
def test_size_misconceptions_are_defined_or_refuse(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> None:
    """A wrong formula either gives a number or refuses with ConvMathError; never anything else."""
    try:
        right = conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
    except ConvMathError:
        assume(False)
    for label in SIZE_LABELS:
        try:
            value = CATALOGUE[label].wrong(size, kernel, stride=stride, padding=padding, dilation=dilation)
        except ConvMathError:
            continue
        assert isinstance(value, (int, float))
    assert (
        CATALOGUE["forgot_plus_one"].wrong(size, kernel, stride=stride, padding=padding, dilation=dilation) == right - 1
    )
    assert (
        right - 1
        < CATALOGUE["no_floor"].wrong(size, kernel, stride=stride, padding=padding, dilation=dilation)
        < right + 1
    )


# --------------------------------------------------------------------------
# arrays: padding on one side, pooling by the window size, the discrete digestion step

ARRAY_LABELS = ("padding_one_side", "pool_stride_default_kernel", "discrete_step_ignored")


def test_padding_one_side_by_hand() -> None:
    # X (0..8) copied into the top-left corner of a 5x5 of zeros, correlated with K = [[0, 1], [2, 3]]:
    # Y[i, j] = Z[i, j+1] + 2 Z[i+1, j] + 3 Z[i+1, j+1]
    got = CATALOGUE["padding_one_side"].wrong(X, K, padding=1)
    np.testing.assert_array_equal(
        got,
        [
            [19, 25, 5 * 2, 0],  # Y[0, 2] = Z[0, 3] + 2 Z[1, 2] + 3 Z[1, 3] = 0 + 2*5 + 0
            [37, 43, 8 * 2, 0],
            [7 * 1, 8 * 1, 0, 0],  # Y[2, 0] = Z[2, 1] + 2 Z[3, 0] + 3 Z[3, 1] = 7
            [0, 0, 0, 0],
        ],
    )
    right = convmath.numeric.correlate(X[None], K[None, None], padding=1)[0]
    assert got.shape == right.shape and not np.array_equal(got, right)  # the size is right, the values are not
    # padding counted once changes the size instead: (3 + 1 - 2) + 1 = 3, not (3 + 2 - 2) + 1 = 4
    assert CATALOGUE["padding_once"].wrong(3, 2, padding=1) == 3 + 1 - 2 + 1


def test_padding_one_side_with_stride() -> None:
    got = CATALOGUE["padding_one_side"].wrong(np.ones((4, 4)), np.ones((3, 3)), stride=2, padding=1)
    # padded 6x6 with ones in [0:4, 0:4]; windows start at 0 and 2: 9, 6 / 6, 4
    np.testing.assert_array_equal(got, [[9, 3 * 2], [2 * 3, 2 * 2]])


@pytest.mark.parametrize(
    "mode, expected",
    [
        pytest.param("max", [[5, 7], [13, 15]], id="max"),  # windows {0,1,4,5}, {2,3,6,7}, {8,9,12,13}, {10,11,14,15}
        pytest.param(
            "avg",
            [[(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4], [(8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]],
            id="avg",
        ),
    ],
)
def test_pool_stride_default_kernel_by_hand(mode: str, expected: list) -> None:
    x = np.arange(16).reshape(4, 4)
    np.testing.assert_array_equal(CATALOGUE["pool_stride_default_kernel"].wrong(x, (2, 2), mode=mode), expected)
    # d2l's pool2d (stride 1) gives (4 - 2 + 1) x (4 - 2 + 1)
    assert convmath.numeric.max_pool(x[None], 2, stride=1)[0].shape == (4 - 2 + 1, 4 - 2 + 1)


def test_discrete_step_ignored_by_hand() -> None:
    rates, g = [4, 0, 2], [1, 0.5, 0.25]
    wrong = CATALOGUE["discrete_step_ignored"].wrong(rates, g, step=0.5)
    # c[2] without the step: 4*0.25 + 0*0.5 + 2*1 = 3; with it, half of that
    np.testing.assert_array_equal(wrong, [4, 4 * 0.5, 4 * 0.25 + 2, 2 * 0.5, 2 * 0.25])
    right = convmath.discrete_food_content([0.5 * r for r in rates], g)
    np.testing.assert_array_equal(wrong, right / 0.5)


def test_kernel_flipped_with_padding_and_stride() -> None:
    # flipped kernel [[3, 2], [1, 0]] over X padded by 1, every other window
    got = CATALOGUE["kernel_flipped"].wrong(X, K, stride=2, padding=1)
    np.testing.assert_array_equal(got, [[0 * 0, 1 * 1 + 2 * 0], [3 * 2 + 6 * 0, 4 * 3 + 5 * 2 + 7 * 1 + 8 * 0]])


# --------------------------------------------------------------------------
# food digestion: c(t) = ∫ f(τ) g(t − τ) dτ, meals (start, duration, rate)

HALF = sympy.Rational(1, 2)
EXP_HALF = ("exponential", HALF)
TWO_MEALS = [(0, 2, 3), (5, 1, 2)]
E = sympy.exp

# label, (t, meals, retention), the wrong content by hand
DIGESTION_CASES = [
    ("retention_ignored", (7, TWO_MEALS, EXP_HALF), 3 * 2 + 2 * 1),
    ("retention_ignored", (1, TWO_MEALS, EXP_HALF), 3 * 1),  # half of the first meal eaten so far
    ("retention_ignored", (sympy.Rational(11, 2), TWO_MEALS, ("linear", 4)), 3 * 2 + 2 * HALF),
    ("meal_as_impulse", (3, TWO_MEALS, EXP_HALF), 3 * 2 * E(-HALF * 3)),  # 6 units at t = 0, 3 hours ago
    ("meal_as_impulse", (7, TWO_MEALS, EXP_HALF), 3 * 2 * E(-HALF * 7) + 2 * 1 * E(-HALF * (7 - 5))),
    ("meal_as_impulse", (3, TWO_MEALS + [("impulse", 1, 4)], ("linear", 4)), 6 * (1 - sympy.Rational(3, 4)) + 4 * HALF),
    # the cross-correlation at 3 counts only the second meal: 2 ∫_5^6 e^{-(τ - 3)/2} dτ = 4 (e^{-1} - e^{-3/2})
    ("retention_not_flipped", (3, TWO_MEALS, EXP_HALF), 2 * 2 * (E(-1) - E(-sympy.Rational(3, 2)))),
    ("retention_not_flipped", (7, TWO_MEALS, EXP_HALF), 0),  # nothing is eaten after t = 7
    # at t = 1: 3 ∫_1^2 e^{-(τ - 1)/2} dτ + 2 ∫_5^6 e^{-(τ - 1)/2} dτ
    ("retention_not_flipped", (1, TWO_MEALS, EXP_HALF), 3 * 2 * (1 - E(-HALF)) + 2 * 2 * (E(-2) - E(-HALF * 5))),
    # an impulse of 4 at 6, seen from t = 4 with g(6 - 4) = 1 - 2/4
    ("retention_not_flipped", (4, [("impulse", 6, 4)], ("linear", 4)), 4 * HALF),
]


@pytest.mark.parametrize(
    "label, args, expected",
    DIGESTION_CASES,
    ids=[f"{case[0]}-{case[1][2][0]}-t={case[1][0]}" for case in DIGESTION_CASES],
)
def test_digestion_wrong_content_by_hand(label: str, args: tuple, expected: object) -> None:
    got = CATALOGUE[label].wrong(*args)
    assert sympy.simplify(got - expected) == 0
    t, meals, (kind, param) = args
    floats = [m if m[0] == "impulse" else tuple(map(float, m)) for m in meals]
    assert CATALOGUE[label].wrong(float(t), floats, (kind, float(param))) == pytest.approx(float(expected), abs=1e-12)


def test_digestion_wrong_closed_forms() -> None:
    t = sympy.Symbol("t", positive=True)
    impulse = CATALOGUE["meal_as_impulse"].wrong(t, TWO_MEALS, EXP_HALF)
    after = impulse.subs(t, 8)
    assert sympy.simplify(after - (6 * E(-HALF * 8) + 2 * E(-HALF * (8 - 5)))) == 0
    ignored = CATALOGUE["retention_ignored"].wrong(t, TWO_MEALS, EXP_HALF)
    assert [ignored.subs(t, v) for v in (1, 3, HALF * 11, 9)] == [3 * 1, 3 * 2, 3 * 2 + 2 * HALF, 3 * 2 + 2 * 1]
    flipped = CATALOGUE["retention_not_flipped"].wrong(t, TWO_MEALS, EXP_HALF)
    assert flipped.subs(t, 6) == 0 and flipped.subs(t, 9) == 0
    assert sympy.simplify(flipped.subs(t, 3) - 4 * (E(-1) - E(-sympy.Rational(3, 2)))) == 0


@settings(deadline=None)
@given(
    meals=st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3), st.integers(1, 5)), min_size=1, max_size=3),
    t=st.integers(0, 10).map(lambda v: v + 0.5),
    kind=st.sampled_from([("exponential", 0.5), ("linear", 3.0)]),
)
def test_retention_not_flipped_is_the_cross_correlation(meals: list, t: float, kind: tuple) -> None:
    """Witness: the definition ∫ f(τ) g(τ − t) dτ by quadrature, independent of the mirrored-meal construction."""
    import mpmath

    g = (
        (lambda s: math.exp(-kind[1] * s) if s >= 0 else 0.0)
        if kind[0] == "exponential"
        else (lambda s: max(0.0, 1 - s / kind[1]) if s >= 0 else 0.0)
    )
    total = 0.0
    for start, duration, rate in meals:
        lo, hi = max(start, t), start + duration
        if hi > lo:
            cuts = sorted({lo, hi} | {x for x in (t + kind[1],) if lo < x < hi})  # the kink of the linear g
            total += rate * float(mpmath.quad(lambda tau: g(float(tau) - t), cuts))
    float_meals = [tuple(map(float, m)) for m in meals]
    assert CATALOGUE["retention_not_flipped"].wrong(t, float_meals, kind) == pytest.approx(total, rel=1e-9, abs=1e-9)


@settings(deadline=None)
@given(start=st.integers(0, 5), amount=st.integers(1, 8), after=st.integers(1, 6))
def test_meal_as_impulse_is_the_limit_of_short_meals(start: int, amount: int, after: int) -> None:
    """A meal of the same amount eaten ever faster tends to what meal_as_impulse says of a long one."""
    right_short = convmath.food_content(
        float(start + after), [(float(start), 1e-6, amount / 1e-6)], ("exponential", 0.5)
    )
    wrong_long = CATALOGUE["meal_as_impulse"].wrong(
        float(start + after), [(float(start), 2.0, amount / 2)], ("exponential", 0.5)
    )
    assert wrong_long == pytest.approx(right_short, rel=1e-5)


@pytest.mark.parametrize(
    "label, args, kwargs, message",
    [
        pytest.param("padding_one_side", (X, K), {}, r"padding=0 pads nothing", id="one-side-no-padding"),
        pytest.param(
            "pool_stride_default_kernel", (X, (2, 2)), dict(mode="min"), r"mode='min' is not allowed", id="pool-mode"
        ),
        pytest.param(
            "meal_as_impulse",
            (3, [("impulse", 0, 5)], EXP_HALF),
            {},
            r"every meal is already an impulse",
            id="impulses-only",
        ),
        pytest.param(
            "retention_not_flipped",
            (3, [sympy.exp(-sympy.Symbol("x"))], EXP_HALF),
            {},
            r"retention_not_flipped is defined for pulse and impulse meals",
            id="intake-expression",
        ),
        pytest.param("discrete_step_ignored", ([1, 2], [1, 0.5]), dict(step=0), r"step=0 must be positive", id="step"),
    ],
)
def test_new_wrong_formulas_refuse(label: str, args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        CATALOGUE[label].wrong(*args, **kwargs)


NEW_LABELS = (
    "padding_one_side",
    "pool_stride_default_kernel",
    "retention_ignored",
    "meal_as_impulse",
    "retention_not_flipped",
    "discrete_step_ignored",
)


@pytest.mark.parametrize(
    "label, en, zh",
    [
        pytest.param(
            "padding_one_side", "puts all 2p rows and columns of padding on one side", "全部补在了一侧", id="one-side"
        ),
        pytest.param("pool_stride_default_kernel", "moves the window by its own size", "步幅为 1", id="pool-stride"),
        pytest.param(
            "retention_ignored", "as if nothing were digested (g ≡ 1)", "完全没有消化", id="retention-ignored"
        ),
        pytest.param("meal_as_impulse", "as eaten all at once at its start", "一下子吃完", id="impulse"),
        pytest.param("retention_not_flipped", "with g(τ − t), the cross-correlation", "这是互相关", id="not-flipped"),
        pytest.param("discrete_step_ignored", "leaves out the step h", "漏乘了步长 h", id="step"),
    ],
)
def test_new_feedback_in_both_locales(label: str, en: str, zh: str) -> None:
    assert label in NEW_LABELS
    assert feedback(label, 1.25, "en").startswith("1.25 ") and en in feedback(label, 1.25, "en")
    assert feedback(label, 1.25, "zh").startswith("1.25 ") and zh in feedback(label, 1.25, "zh")
    item = CATALOGUE[label]
    assert item.quantity in {"correlate2d", "pool2d", "food_content", "discrete_food_content"}
    assert item.title["en"] != item.title["zh"]


def test_feedback_shows_arrays_and_expressions() -> None:
    text = feedback("padding_one_side", np.array([[1, 2], [3, 4]]), "en")
    assert text.startswith("[[1, 2],\n [3, 4]] puts all")
    assert feedback("meal_as_impulse", 6 * E(-sympy.Symbol("t") / 2), "zh").startswith("6*exp(-t/2) 把每一餐")
