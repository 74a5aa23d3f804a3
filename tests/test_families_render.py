"""The render-side families: by hand, the flip, 1x1 convolutions, network tables,
food digestion, implement-a-function."""

from __future__ import annotations

import importlib
import math
import random

import numpy as np
import pytest
import sympy

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from exercises.families import accept, families, generate
from exercises.families._common import parse_expression, same_value, to_plain

FAMILIES = (
    "cross_correlation_by_hand",
    "convolution_vs_correlation",
    "conv1x1_as_linear",
    "network_table",
    "food_digestion",
    "implement_function",
)
SEEDS = range(12)


def test_registered():
    registry = families()
    for name in FAMILIES:
        assert registry[name].difficulties == (1, 2, 3)
        assert set(registry[name].title) == {"en", "zh"}


@pytest.mark.parametrize("difficulty", [1, 2, 3])
@pytest.mark.parametrize("name", FAMILIES)
def test_variants_valid_reproducible_and_diagnosable(name, difficulty):
    for seed in SEEDS:
        exercise = generate(name, seed, difficulty=difficulty)
        assert accept(exercise) is None
        assert to_plain(exercise) == to_plain(generate(name, seed, difficulty=difficulty))
        assert exercise.prompt["zh"] != exercise.prompt["en"]
        for part in exercise.parts:
            spec = part.answer
            for wrong in part.wrong_answers:
                if spec.kind == "array":
                    differs = np.shape(wrong.value) != np.shape(spec.expected) or not np.allclose(
                        wrong.value, spec.expected, rtol=spec.rtol, atol=spec.atol
                    )
                else:
                    differs = not same_value(wrong.value, spec.expected, symbols=spec.symbols)
                assert differs, (name, seed, part.key, wrong.label)


@pytest.mark.parametrize("name", FAMILIES)
def test_students_get_distinct_variants(name):
    # 200 seeds as 200 students: measured rate of repeated variants (same drawn parameters)
    variants = [repr(to_plain(generate(name, 10_000 + i, difficulty=1).params)) for i in range(200)]
    duplicates = 1 - len(set(variants)) / len(variants)
    assert duplicates < 0.10, f"{name}: {duplicates:.0%} of variants repeat"


# --- hand-computed examples -------------------------------------------------------


def test_seed_003_correlation_example():
    # seed 003: 0..8 with 0..3 gives 19 = 0*0 + 1*1 + 3*2 + 4*3, 25, 37, 43
    from exercises.families.by_hand import correlate_int

    y = correlate_int(np.arange(9).reshape(1, 3, 3), np.arange(4).reshape(1, 2, 2))
    assert y.tolist() == [
        [0 * 0 + 1 * 1 + 3 * 2 + 4 * 3, 1 * 0 + 2 * 1 + 4 * 2 + 5 * 3],
        [3 * 0 + 4 * 1 + 6 * 2 + 7 * 3, 4 * 0 + 5 * 1 + 7 * 2 + 8 * 3],
    ]


@pytest.mark.parametrize(
    "meals, lam, t, expected",
    [
        pytest.param([(0, 2, 3)], sympy.Rational(1, 2), 4, 6 * (sympy.exp(-1) - sympy.exp(-2)), id="one-meal"),
        # 3/(1/3) (e^{-(7-2)/3} - e^{-(7-1)/3}) + 2/(1/3) (e^{-(7-6)/3} - e^{-(7-5)/3})
        pytest.param(
            [(1, 1, 3), (5, 1, 2)],
            sympy.Rational(1, 3),
            7,
            9 * (sympy.exp(-sympy.Rational(5, 3)) - sympy.exp(-2))
            + 6 * (sympy.exp(-sympy.Rational(1, 3)) - sympy.exp(-sympy.Rational(2, 3))),
            id="two-meals",
        ),
    ],
)
def test_closed_form_after_meals(meals, lam, t, expected):
    from exercises.families.digestion import T, closed_form_after_meals

    value = closed_form_after_meals(meals, lam).subs(T, t)
    assert abs(float(value - expected)) < 1e-12


def test_network_table_lenet_row():
    # Conv2d(1, 6, 5, padding=2) on 28x28: (28 + 2*2 - 5)//1 + 1 = 28; 6*1*5*5 + 6 parameters
    exercise = generate("network_table", 0, difficulty=2)
    layers = exercise.params["layers"]
    shape_0 = exercise.params["input_shape"]
    first = exercise.parts[0].answer
    k, p = layers[0]["kernel_size"], layers[0].get("padding", 0)
    size = (shape_0[1] + 2 * p - k) // layers[0].get("stride", 1) + 1
    assert first.name == "shape_1"
    assert first.expected[1] == size
    params = exercise.parts[1].answer
    assert params.expected == layers[0]["out_channels"] * shape_0[0] * k * k + layers[0]["out_channels"]


def _namespace(exercise) -> dict:
    namespace: dict = {}
    exec(exercise.setup_code, namespace)
    return namespace


@pytest.mark.parametrize("seed", [3, 4, 11])
def test_food_digestion_discrete_wrongs_by_hand(seed):
    exercise = generate("food_digestion", seed, difficulty=3)
    part = exercise.parts[2]
    ns = _namespace(exercise)
    h, f, g = ns["h"], ns["f"], ns["g"]
    assert h in (0.5, 0.25) and exercise.params["step"] == h
    n = len(f) + len(g) - 1
    # c[k] = h * sum_m f[m] g[k - m]
    right = [h * sum(f[m] * g[k - m] for m in range(len(f)) if 0 <= k - m < len(g)) for k in range(n)]
    assert np.allclose(part.answer.expected, right)
    wrong = {w.label: w.value for w in part.wrong_answers}
    assert list(wrong)[:2] == ["retention_not_flipped", "discrete_step_ignored"]
    # not flipped: sum_m f[m] g[m - j], lags j = -(len(g) - 1) .. len(f) - 1, times h
    lags = range(-(len(g) - 1), len(f))
    assert np.allclose(
        wrong["retention_not_flipped"],
        [h * sum(f[m] * g[m - j] for m in range(len(f)) if 0 <= m - j < len(g)) for j in lags],
    )
    assert np.allclose(wrong["discrete_step_ignored"], np.array(right) / h)
    if "retention_ignored" in wrong:  # g = 1: everything eaten so far
        assert np.allclose(wrong["retention_ignored"], [h * sum(f[: k + 1]) for k in range(n)])


@pytest.mark.parametrize("difficulty, seed", [(1, 0), (1, 5), (2, 1), (2, 7), (3, 2)])
def test_food_digestion_value_and_closed_form_wrongs_by_hand(difficulty, seed):
    exercise = generate("food_digestion", seed, difficulty=difficulty)
    meals, lam, t1 = exercise.params["meals"], sympy.Rational(exercise.params["lam"]), exercise.params["t1"]
    lam_f = float(lam)
    # every meal is over by t1 or starts after it (t1 falls between meals)
    eaten = [(a, d, r) for a, d, r in meals if a + d <= t1]
    later = [(a, d, r) for a, d, r in meals if a >= t1]
    assert len(eaten) + len(later) == len(meals)
    by_hand = {
        "retention_ignored": sum(r * d for a, d, r in eaten),
        "meal_as_impulse": sum(r * d * math.exp(-lam_f * (t1 - a)) for a, d, r in eaten),
        # ∫_a^b r e^{-λ(τ - t1)} dτ for meals after t1: only those count
        "retention_not_flipped": sum(
            r / lam_f * (math.exp(-lam_f * (a - t1)) - math.exp(-lam_f * (a + d - t1))) for a, d, r in later
        ),
    }
    value_part, expr_part = exercise.parts[0], exercise.parts[1]
    assert [w.label for w in value_part.wrong_answers] == list(by_hand)[::-1]
    for wrong in value_part.wrong_answers:
        assert float(wrong.value) == pytest.approx(by_hand[wrong.label], rel=1e-12, abs=1e-12), wrong.label
    t = sympy.Symbol("t", positive=True)
    closed = {
        "retention_ignored": sum(r * d for a, d, r in meals),
        "meal_as_impulse": sum(r * d * sympy.exp(-lam * (t - a)) for a, d, r in meals),
        "retention_not_flipped": 0,
    }
    assert {w.label for w in expr_part.wrong_answers} == set(closed)
    for wrong in expr_part.wrong_answers:
        for probe in (7, 12, sympy.Rational(25, 2)):
            got = sympy.sympify(wrong.value).subs(sympy.Symbol("t", positive=True), probe)
            assert abs(float(got - sympy.sympify(closed[wrong.label]).subs(t, probe))) < 1e-12, wrong.label


def test_food_digestion_misconceptions_are_named_by_the_grader():
    from grader.checks import check_part

    exercise = generate("food_digestion", 2, difficulty=3)
    for part in exercise.parts:
        for wrong in part.wrong_answers:
            answer = str(wrong.value) if part.answer.kind == "expression" else wrong.value
            for locale in ("en", "zh"):
                result = check_part(part, answer, locale=locale)
                assert result.status == "incorrect" and result.misconception == wrong.label, (part.key, wrong.label)
                assert CATALOGUE[wrong.label].feedback[locale].split("{value}")[1][:12] in result.message


def test_by_hand_padding_one_side_by_hand():
    exercise = generate(
        "cross_correlation_by_hand", 1, difficulty=2, options={"padding": 1, "stride": 1, "channels": 1}
    )
    x, k = np.array(exercise.params["x"])[0], np.array(exercise.params["kernel"])[0]
    n, kk = x.shape[0], k.shape[0]
    z = np.zeros((n + 2, n + 2), dtype=int)
    z[:n, :n] = x  # X copied into the top-left corner
    by_hand = [
        [int((z[i : i + kk, j : j + kk] * k).sum()) for j in range(n + 2 - kk + 1)] for i in range(n + 2 - kk + 1)
    ]
    wrong = {w.label: w.value for w in exercise.parts[1].wrong_answers}
    assert np.array_equal(wrong["padding_one_side"], by_hand)
    assert np.asarray(wrong["padding_one_side"]).shape == exercise.parts[1].answer.expected.shape


def test_implement_pool2d_default_stride_by_hand():
    exercise = generate("implement_function", 2, difficulty=3)
    x, mode = np.array(exercise.params["X"], dtype=float), exercise.params["mode"]
    reduce = np.max if mode == "max" else np.mean
    # the 2x2 window moved by 2 instead of 1
    by_hand = [
        [reduce(x[i : i + 2, j : j + 2]) for j in range(0, x.shape[1] - 1, 2)] for i in range(0, x.shape[0] - 1, 2)
    ]
    example = exercise.parts[1]
    assert [w.label for w in example.wrong_answers] == ["pool_stride_default_kernel"]
    assert np.allclose(example.wrong_answers[0].value, by_hand)
    assert example.answer.expected.shape == (x.shape[0] - 1, x.shape[1] - 1)


def test_expression_solution_parses_to_expected():
    exercise = generate("food_digestion", 5, difficulty=2)
    part = exercise.parts[1]
    namespace: dict = {}
    exec(part.solution_code, namespace)
    parsed = parse_expression(namespace["content_expr"], part.answer.symbols)
    assert same_value(parsed, part.answer.expected, symbols=part.answer.symbols)


@pytest.mark.parametrize("function", ["corr2d", "corr2d_multi_in", "pool2d", "out_size"])
def test_implement_solution_matches_reference(function):
    exercise = generate("implement_function", 1, difficulty=1, options={"function": function})
    spec = exercise.parts[0].answer
    assert spec.forbidden_imports[:1] == ("convmath",) and "torch" in spec.forbidden_imports
    namespace: dict = {}
    exec(exercise.parts[0].solution_code, namespace)
    student = namespace[spec.name]
    module, _, attr = spec.reference.partition(":")
    reference = getattr(importlib.import_module(module), attr)
    rng = np.random.default_rng(0)
    for _ in range(20):
        if function == "out_size":
            n, k, p, s = (
                int(rng.integers(5, 40)),
                int(rng.integers(1, 6)),
                int(rng.integers(0, 3)),
                int(rng.integers(1, 4)),
            )
            assert student(n, k, p, s) == reference(n, k, p, s)
            continue
        h, w = int(rng.integers(2, 7)), int(rng.integers(2, 7))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        if function == "corr2d":
            args = (rng.normal(size=(h, w)), rng.normal(size=(kh, kw)))
        elif function == "corr2d_multi_in":
            c = int(rng.integers(1, 4))
            args = (rng.normal(size=(c, h, w)), rng.normal(size=(c, kh, kw)))
        else:
            args = (rng.normal(size=(h, w)), (kh, kw), random.Random(0).choice(["max", "avg"]))
        assert np.allclose(student(*args), reference(*args))


def test_implement_example_and_its_misconception():
    # corr2d by hand on the example: kernel flipped is the named mistake
    exercise = generate("implement_function", 4, difficulty=1, options={"function": "corr2d"})
    example = exercise.parts[1]
    assert [w.label for w in example.wrong_answers] == ["kernel_flipped"]


@pytest.mark.parametrize(
    "name, options, message",
    [
        pytest.param("cross_correlation_by_hand", {"channels": 5}, r"channels=5 must be 1, 2 or 3", id="channels"),
        pytest.param("cross_correlation_by_hand", {"colour": 1}, r"option 'colour' is not allowed", id="unknown"),
        pytest.param("convolution_vs_correlation", {"dims": 3}, r"dims=3 must be 1 or 2", id="dims"),
        pytest.param("implement_function", {"function": "conv3d"}, r"function='conv3d' is not allowed", id="function"),
        pytest.param("food_digestion", {"discrete": "yes"}, r"discrete='yes' must be true or false", id="discrete"),
        pytest.param("network_table", {"depth": 3}, r"option 'depth' is not allowed", id="no-options"),
    ],
)
def test_bad_options(name, options, message):
    with pytest.raises(ConvMathError, match=message):
        generate(name, 0, options=options)


@pytest.mark.parametrize("name", FAMILIES)
def test_options_respected(name):
    options = {
        "cross_correlation_by_hand": {"channels": 2, "stride": 2},
        "convolution_vs_correlation": {"dims": 1},
        "conv1x1_as_linear": {},
        "network_table": {},
        "food_digestion": {"discrete": False},
        "implement_function": {"function": "pool2d"},
    }[name]
    exercise = generate(name, 7, difficulty=2, options=options)
    if name == "cross_correlation_by_hand":
        assert exercise.params["stride"] == 2 and np.asarray(exercise.params["x"]).shape[0] == 2
    if name == "convolution_vs_correlation":
        assert exercise.params["dims"] == 1
    if name == "food_digestion":
        assert len(exercise.parts) == 2
    if name == "implement_function":
        assert exercise.parts[0].answer.name == "pool2d"


def test_fc_vs_conv_ratio_rounded_to_nearest():
    # seed 3, level 3: Conv2d(3, 16, 5, stride=2) on 56x56 -> 16*26*26 features into Linear(., 500);
    # (16*26*26*500 + 500) / (3*5*5*16 + 16) = 5408500 / 1216 = 4447.8, so "about 4448 times"
    exercise = generate("fc_vs_conv", 3, difficulty=3)
    assert exercise.solution["en"][-1].endswith(
        f"about {round((16 * 26 * 26 * 500 + 500) / (3 * 5 * 5 * 16 + 16))} times the convolution's."
    )
    assert "约为卷积层的 4448 倍" in exercise.solution["zh"][-1]
