"""convmath.digestion: closed forms vs hand computation, quadrature, direct integration and the discrete model."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import convmath
from convmath import ConvMathError
from convmath import digestion as dg
from convmath.digestion import (
    Impulse,
    Meal,
    cumulative_intake,
    discrete_food_content,
    food_content,
    food_content_expr,
    food_content_quad,
    intake_expr,
    peak_time,
    retention_expr,
    sampled_food_content,
    t,
    time_below,
)

R = sympy.Rational
E = sympy.exp


# --- hand computations ------------------------------------------------------------
@pytest.mark.parametrize(
    "time, meals, retention, expected",
    [
        (1, [(0, 2, 3)], ("exponential", 2), 3 * (1 - E(-2 * 1)) / 2),  # during: r (1 - e^-lam t) / lam
        (
            5,
            [(0, 2, 3)],
            ("exponential", 2),
            3 * (E(-2 * (5 - 2)) - E(-2 * 5)) / 2,
        ),  # after: r (e^-lam(t-D) - e^-lam t)/lam
        (3, [(0, 2, 1)], ("linear", 4), (3 - R(9, 8)) - (1 - R(1, 8))),  # G(3) - G(1), G(x) = x - x^2/(2T)
        (9, [(0, 2, 1)], ("linear", 4), 4 / R(2) - 4 / R(2)),  # both past T: T/2 - T/2
        (
            R(5, 2),
            [(0, 2, 1)],
            ("piecewise", [(1, 1), (3, R(1, 2))]),
            (1 + R(3, 2) / 2) - R(1, 2) * 1,
        ),  # G(5/2) - G(1/2)
        (2, [("impulse", 0, 10)], ("exponential", 1), 10 * E(-2)),
        (0, [("impulse", 0, 10)], ("linear", 4), 10),  # the impulse counts at its own time
        (3, [Impulse(1, 6)], ("linear", 4), 6 * (1 - R(2, 4))),
        (3, [Meal(1, 4, 5)], 1, 5 * (3 - 1)),  # no digestion: eaten so far
        (2, [(0, 1, 1), ("impulse", 1, 2)], ("linear", 4), (2 - R(4, 8)) - (1 - R(1, 8)) + 2 * (1 - R(1, 4))),
        (-1, [(0, 1, 1)], ("exponential", 1), 0),  # before anything is eaten
    ],
    ids=[
        "exp-during",
        "exp-after",
        "linear-overlap",
        "linear-done",
        "piecewise",
        "impulse-exp",
        "impulse-at-time",
        "Impulse-class",
        "Meal-no-digestion",
        "pulse-plus-impulse",
        "before",
    ],
)
def test_exact_values(time, meals, retention, expected) -> None:
    got = food_content(time, meals, retention)
    assert isinstance(got, sympy.Expr)
    assert sympy.simplify(got - expected) == 0


def test_float_inputs_give_floats_exact_inputs_exact() -> None:
    exact = food_content(5, [(1, 2, 3)], ("exponential", R(1, 2)))
    flt = food_content(5.0, [(1, 2, 3)], ("exponential", 0.5))
    assert isinstance(flt, float) and isinstance(exact, sympy.Expr) and not exact.has(sympy.Float)
    assert flt == pytest.approx(float(exact), rel=1e-13)


def test_symbolic_time_gives_the_closed_form() -> None:
    u = sympy.Symbol("u", real=True)
    expr = food_content(u, [(0, 2, 1)], ("exponential", 1))
    assert expr.free_symbols == {u}
    assert expr.subs(u, 3) == food_content(3, [(0, 2, 1)], ("exponential", 1))


def test_closed_form_pieces() -> None:
    assert food_content_expr([(0, 3, 1)], 1) == sympy.Piecewise((0, t < 0), (t, t < 3), (3, True))
    assert food_content_expr([(0, 2, 1)], ("exponential", 1)) == sympy.Piecewise(
        (0, t < 0), (1 - E(-t), t < 2), (E(2 - t) - E(-t), True)
    )
    assert retention_expr(("linear", 4)) == sympy.Piecewise((0, t < 0), (1 - t / 4, t < 4), (0, True))
    assert intake_expr([(7, 1, 300)]) == sympy.Piecewise((0, t < 7), (300, t < 8), (0, True))


def test_symbolic_parameters_give_a_sum_of_piecewise_terms() -> None:
    lam, D, r = sympy.symbols("lambda D r", positive=True)
    expr = food_content_expr([(0, D, r)], ("exponential", lam))
    during = expr.subs({D: 2}).subs(t, 1)
    assert sympy.simplify(during - r * (1 - E(-lam)) / lam) == 0
    after = expr.subs({D: 2}).subs(t, 5)
    assert sympy.simplify(after - r * (E(-3 * lam) - E(-5 * lam)) / lam) == 0


# --- the cached closed form vs fresh derivations -----------------------------------
@pytest.mark.parametrize(
    "meals, retention, times",
    [
        ([(0, 2, 1)], ("exponential", 1), [R(1, 2), 3, R(9, 2)]),
        ([(1, 2, 3), ("impulse", R(7, 2), 2)], ("linear", 3), [R(1, 2), 3, R(9, 2), 6]),
    ],
    ids=["pulse-exp", "pulse-impulse-linear"],
)
def test_closed_form_equals_direct_integration(meals, retention, times) -> None:
    tau = sympy.Symbol("tau", real=True)
    integrand = intake_expr(meals).subs(t, tau) * retention_expr(retention).subs(t, t - tau)
    closed = food_content_expr(meals, retention)
    for time in times:
        direct = sympy.integrate(integrand.subs(t, time), (tau, -sympy.oo, sympy.oo))
        assert sympy.simplify(direct - food_content(time, meals, retention)) == 0
        assert sympy.simplify(direct - closed.subs(t, time)) == 0


@pytest.mark.parametrize(
    "kind, first, other",
    [
        ("exponential", R(1, 2), 3),
        ("linear", 2, R(7, 2)),
        ("piecewise", [(1, 1), (3, R(1, 2))], [(2, R(1, 3)), (5, 1)]),
    ],
    ids=["exponential", "linear", "piecewise"],
)
def test_a_family_reused_with_other_parameters_gives_the_same_closed_form(kind, first, other) -> None:
    """Each family is derived once and cached; a parameter set used in between leaves no trace in it."""
    meals = [(0, 2, 1), ("impulse", 3, 5)]
    before = food_content_expr(meals, (kind, first))
    food_content_expr(meals, (kind, other))
    assert food_content_expr(meals, (kind, first)) == before
    tau = sympy.Symbol("tau", real=True)
    integrand = intake_expr(meals).subs(t, tau) * retention_expr((kind, first)).subs(t, t - tau)
    for time in (1, R(5, 2), R(17, 4), 7):  # no impulse on a step of g (sympy halves a delta there)
        direct = sympy.integrate(integrand.subs(t, time), (tau, -sympy.oo, sympy.oo))
        assert sympy.simplify(before.subs(t, time) - direct) == 0


def test_a_unit_meal_under_way_holds_the_running_integral_of_g() -> None:
    """A meal of rate 1 from time 0, still going at ``x``, leaves ``G(x) = int_0^x g`` (symbolic parameters)."""
    x, y = sympy.symbols("x y", positive=True)
    lam, T = sympy.symbols("lam T", positive=True)
    exponential = food_content_expr([(0, x + 1, 1)], ("exponential", lam)).subs(t, x)
    assert sympy.simplify(exponential - (1 - E(-lam * x)) / lam) == 0
    within = food_content_expr([(0, x + 3, 1)], ("linear", x + 2)).subs(t, x)  # x < T
    assert sympy.simplify(within - (x - x**2 / (2 * (x + 2)))) == 0
    after = food_content_expr([(0, T + y + 1, 1)], ("linear", T)).subs(t, T + y)  # x > T: all of it digested
    assert sympy.simplify(after - T / 2) == 0


# --- properties against quadrature ----------------------------------------------------
@st.composite
def scenario(draw):
    meals = []
    for _ in range(draw(st.integers(1, 3), label="pulses")):
        meals.append((draw(st.floats(-2, 10)), draw(st.floats(0.1, 3)), draw(st.floats(0, 5))))
    if draw(st.booleans(), label="impulse"):
        meals.append(("impulse", draw(st.floats(-2, 10)), draw(st.floats(0, 5))))
    kind = draw(st.sampled_from(["exponential", "linear", "piecewise", "expression", "none"]), label="retention")
    if kind == "exponential":
        retention = ("exponential", draw(st.floats(0.05, 3)))
    elif kind == "linear":
        retention = ("linear", draw(st.floats(0.2, 8)))
    elif kind == "piecewise":
        ends = sorted(set(round(draw(st.floats(0.1, 6)), 3) for _ in range(3)))
        retention = ("piecewise", [(e, draw(st.floats(0, 1))) for e in ends])
    elif kind == "expression":
        retention = (1 + sympy.Symbol("s")) * sympy.exp(-sympy.Symbol("s"))
    else:
        retention = 1
    return meals, retention


@settings(deadline=None)
@given(case=scenario(), time=st.floats(-3, 20))
def test_closed_form_matches_quadrature(case, time) -> None:
    meals, retention = case
    total = sum(m[2] * m[1] if m[0] != "impulse" else m[2] for m in meals)
    assert food_content(time, meals, retention) == pytest.approx(
        food_content_quad(time, meals, retention), rel=1e-9, abs=1e-9 * (1 + total)
    )


@settings(deadline=None)
@given(first=scenario(), second=scenario(), time=st.floats(-3, 20), scale=st.floats(0.1, 4))
def test_linear_in_the_intake(first, second, time, scale) -> None:
    meals_a, retention = first
    meals_b = second[0]
    both = food_content(time, meals_a + meals_b, retention)
    apart = food_content(time, meals_a, retention) + food_content(time, meals_b, retention)
    assert both == pytest.approx(apart, rel=1e-9, abs=1e-9)
    scaled = [(m[0], m[1], m[2] * scale) if m[0] != "impulse" else (m[0], m[1], m[2] * scale) for m in meals_a]
    assert food_content(time, scaled, retention) == pytest.approx(
        scale * food_content(time, meals_a, retention), rel=1e-9, abs=1e-9
    )


def dyadic(lo: int, hi: int) -> st.SearchStrategy[float]:
    """Multiples of 1/64: sums stay exact, so a meal never moves across a sample time by rounding."""
    return st.integers(lo * 64, hi * 64).map(lambda n: n / 64)


@settings(deadline=None)
@given(case=scenario(), time=dyadic(-3, 20), shift=dyadic(-5, 5))
def test_shifting_the_meals_shifts_the_content(case, time, shift) -> None:
    meals, retention = case
    meals = [
        (round(m[0] * 64) / 64, m[1], m[2]) if m[0] != "impulse" else (m[0], round(m[1] * 64) / 64, m[2]) for m in meals
    ]
    moved = [(m[0] + shift, m[1], m[2]) if m[0] != "impulse" else (m[0], m[1] + shift, m[2]) for m in meals]
    assert food_content(time + shift, moved, retention) == pytest.approx(
        food_content(time, meals, retention), rel=1e-9, abs=1e-9
    )


@settings(deadline=None)
@given(case=scenario(), time=st.floats(-3, 20))
def test_no_digestion_gives_the_cumulative_intake(case, time) -> None:
    meals, _ = case
    eaten = sum(
        m[2] * min(max(time - m[0], 0.0), m[1]) if m[0] != "impulse" else (m[2] if m[1] <= time else 0.0) for m in meals
    )
    assert cumulative_intake(time, meals) == pytest.approx(eaten, rel=1e-12, abs=1e-12)
    assert food_content(time, meals, 1) == pytest.approx(eaten, rel=1e-12, abs=1e-12)


@settings(deadline=None)
@given(case=scenario(), lam=st.floats(0.1, 2))
def test_exponential_retention_decays_to_zero_after_the_last_meal(case, lam) -> None:
    meals, _ = case
    last = max(m[0] + m[1] if m[0] != "impulse" else m[1] for m in meals)
    at_last = food_content(last, meals, ("exponential", lam))
    for hours in (1.0, 5.0, 20.0):  # after the last meal c(t) = c(last) e^{-lam (t - last)}
        later = food_content(last + hours, meals, ("exponential", lam))
        assert later == pytest.approx(at_last * math.exp(-lam * hours), rel=1e-9, abs=1e-12)
    assert food_content(last + 60 / lam, meals, ("exponential", lam)) < 1e-20 * (1 + at_last)


def test_expression_intake_matches_quadrature() -> None:
    s = sympy.Symbol("s")
    for retention in [("exponential", 1), ("linear", 2), ("piecewise", [(1, 1), (2, 0.5)])]:
        for time in (0.5, 1.5, 3.0):
            assert food_content(time, [s**2], retention) == pytest.approx(
                food_content_quad(time, [s**2], retention), rel=1e-10
            )
    # t^2 intake with g = e^{-t}: e^{-2} [e^tau (tau^2 - 2 tau + 2)]_0^2 = e^{-2} (2 e^2 - 2)
    assert sympy.simplify(food_content(2, [s**2], ("exponential", 1)) - E(-2) * (2 * E(2) - 2)) == 0


# --- questions ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "meals, retention, expected",
    [
        ([(7, 1, 300)], ("exponential", 1), 7 + 1),  # rises while eating, falls after: the end of the meal
        ([(7, 1, 300), (12, 1, 300)], ("exponential", 1), 12 + 1),  # lunch on top of the breakfast left
        ([(0, 6, 1)], ("linear", 2), 2),  # plateau T/2 from t = T to the end of the meal: earliest
        ([(0, 2, 1), (3, 1, 1)], 1, 3 + 1),  # no digestion: when eating stops for good
        ([("impulse", 5, 2)], ("exponential", 1), 5),
    ],
    ids=["one-meal", "two-meals", "linear-plateau", "no-digestion", "impulse"],
)
def test_peak_time_exact(meals, retention, expected) -> None:
    assert peak_time(meals, retention) == expected


def test_peak_time_interior() -> None:
    s = sympy.Symbol("s")
    # g(s) = s e^{-s} rises until s = 1: an impulse at 2 peaks at 2 + 1
    assert float(peak_time([("impulse", 2, 1)], s * sympy.exp(-s))) == pytest.approx(3, abs=1e-6)
    assert peak_time([("impulse", 2.0, 1.0)], s * sympy.exp(-s)) == pytest.approx(3, abs=1e-6)


@pytest.mark.parametrize(
    "level, meals, retention, expected",
    [
        (1, [("impulse", 0, 8)], ("exponential", sympy.log(2)), 3),  # 8 -> 4 -> 2 -> 1
        (50, [(7, 1, 300)], ("exponential", 1), 8 + sympy.log(300 * (1 - E(-1)) / 50)),
        (R(1, 10), [(0, 1, 1)], ("linear", 2), 3 - 2 / sympy.sqrt(10)),  # ((3 - t)/2)^2 = 1/10
        (0, [(0, 1, 1)], ("linear", 2), 3),  # empty at last start + T
        (5, [(0, 1, 1)], ("exponential", 1), 1),  # already below when the meal ends
    ],
    ids=["halving", "exp-log", "linear-quadratic", "linear-empty", "already-below"],
)
def test_time_below_exact(level, meals, retention, expected) -> None:
    got = time_below(level, meals, retention)
    assert sympy.simplify(got - expected) == 0


def test_time_below_float_and_after() -> None:
    got = time_below(50.0, [(7.0, 1.0, 300.0)], ("exponential", 1.0))
    assert got == pytest.approx(8 + math.log(300 * (1 - math.exp(-1)) / 50), rel=1e-12)
    # between meals: looking after breakfast finds the dip before lunch
    dip = time_below(10, [(7, 1, 300), (12, 1, 300)], ("exponential", 1), after=8)
    assert 8 < float(dip) < 12


# --- the discrete model ------------------------------------------------------------
@pytest.mark.parametrize(
    "intake, retention, expected",
    [
        ([2, 0, 4], [1, R(1, 2), R(1, 4)], [2, 2 * R(1, 2), 2 * R(1, 4) + 4, 4 * R(1, 2), 4 * R(1, 4)]),
        ([3, 3], [1, 1, 1], [3, 3 + 3, 3 + 3, 3]),  # no digestion for 3 hours
    ],
    ids=["halving", "no-digestion-window"],
)
def test_discrete_whole_hours(intake, retention, expected) -> None:
    got = discrete_food_content(np.array(intake, dtype=object), np.array(retention, dtype=object))
    assert got.tolist() == expected


@pytest.mark.parametrize(
    "meals, retention",
    [
        ([(7, 0.5, 800), (12, 0.75, 1000), ("impulse", 15, 100)], ("exponential", 0.5)),
        ([(0.3, 1.7, 1), (3.1, 0.9, 2), ("impulse", 4.45, 1)], ("linear", 2.9)),
    ],
    ids=["exponential", "linear"],
)
def test_sampled_approaches_the_continuous_content(meals, retention) -> None:
    errors = []
    for step in (0.5, 0.1, 0.02):
        times, content = sampled_food_content(meals, retention, step=step)
        exact = np.array([food_content(float(x), meals, retention) for x in times])
        errors.append(float(np.max(np.abs(content - exact))) / float(np.max(exact)))
    assert errors[0] > errors[2] and errors[1] <= errors[0] and errors[2] <= errors[1] + 1e-12
    assert errors[2] < 0.02


# --- errors ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: food_content(1, [(0, -1, 2)], ("exponential", 1)), r"duration=-1 must be positive \(meals\[0\]\)"),
        (lambda: food_content(1, [(0, 0, 2)], ("exponential", 1)), r"duration=0 must be positive .*'impulse'"),
        (lambda: food_content(1, [(0, 1, 1), (0, 1, -2)], 1), r"rate=-2 must be non-negative \(meals\[1\]\)"),
        (lambda: food_content(1, [("impulse", 0, -3)], 1), r"amount=-3 must be non-negative"),
        (lambda: food_content(1, [(0, 1, 1)], ("exponential", 0)), r"lam=0 must be positive"),
        (lambda: food_content(1, [(0, 1, 1)], ("exponential", -0.5)), r"lam=-0.5 must be positive"),
        (lambda: food_content(1, [(0, 1, 1)], ("linear", 0)), r"T=0 must be positive"),
        (lambda: food_content(1, [(0, 1, 1)], ("cubic", 2)), r"retention kind='cubic' is not allowed; use one of"),
        (
            lambda: food_content(1, [(0, 1, 1)], sympy.Heaviside(sympy.Symbol("s") + 1)),
            r"is not zero for negative time \(at s=-1/1000 it is 1\)",
        ),
        (
            lambda: food_content(1, [(0, 1, 1)], sympy.Symbol("a") * sympy.Symbol("b")),
            r"must be an expression of one variable",
        ),
        (
            lambda: food_content(1, [(0, 1, 1)], ("piecewise", [(2, 1), (1, 0.5)])),
            r"end=1 must be larger than the end before it, 2",
        ),
        (lambda: food_content(1, [(0, 1, 1)], ("piecewise", [(1, -1)])), r"level=-1 must be non-negative"),
        (
            lambda: food_content(1, [(0, 1, 1)], 5),
            r"^retention=5 must be at most 1: a retained fraction lies in \[0, 1\]$",
        ),
        (
            lambda: food_content(1, [(0, 1, 1)], ("piecewise", [(1, 1), (3, 2)])),
            r"^level=2 must be at most 1: a retained fraction lies in \[0, 1\] \(retention \('piecewise'",
        ),
        (
            lambda: food_content(1, [(0, 1, 1)], 2 * sympy.exp(-sympy.Symbol("s"))),
            r"retention=2\*exp\(-s\) must be at most 1 \(at s=0 it is 2\)",
        ),
        (lambda: food_content(1, [(0, 1)], 1), r"meals\[0\]=\(0, 1\) is not a meal"),
        (lambda: food_content(1, (0, 1, 1), 1), r"meals=\(0, 1, 1\) must be a list of meals"),
        (lambda: food_content("noon", [(0, 1, 1)], 1), r"t='noon' must be a real number"),
        (lambda: food_content(1, [(0, 1, 1)], "fast"), r"retention='fast' is not allowed"),
        (lambda: time_below(-1, [(0, 1, 1)], ("exponential", 1)), r"level=-1 must be non-negative"),
        (lambda: time_below(0, [(0, 1, 1)], ("exponential", 1)), r"level=0 is never reached"),
        (lambda: time_below(1, [(0, 3, 1)], 1), r"level=1 is never reached: the content stays above it"),
        (lambda: peak_time([(sympy.Symbol("a"), 1, 1)], 1), r"must be numbers here, not symbols"),
        (lambda: sampled_food_content([(0, 1, 1)], 1, step=0), r"step=0 must be a positive number"),
        (lambda: discrete_food_content([], [1]), r"intake must be a non-empty 1-D sequence"),
    ],
    ids=[
        "negative-duration",
        "zero-duration",
        "negative-rate",
        "negative-amount",
        "lam-zero",
        "lam-negative",
        "T-zero",
        "unknown-kind",
        "not-causal",
        "two-variables",
        "ends-not-increasing",
        "negative-level",
        "constant-above-1",
        "piecewise-level-above-1",
        "expression-starts-above-1",
        "short-tuple",
        "one-meal-not-list",
        "time-string",
        "retention-string",
        "level-negative",
        "never-zero",
        "never-below",
        "symbolic-peak",
        "step-zero",
        "empty-intake",
    ],
)
def test_invalid_calls(call, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        call()


def test_exported_from_the_package() -> None:
    assert convmath.food_content is food_content
    assert convmath.food_content_expr is food_content_expr


def test_plot_has_three_panels_and_marks_the_peak(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from convmath.plot import plot_food_digestion

    fig = plot_food_digestion([(7, 0.5, 800), ("impulse", 10, 200)], ("exponential", 0.5), until=20)
    assert [ax.get_ylabel() for ax in fig.axes] == ["intake f(t)", "retention g(t)", "content (f * g)(t)"]
    content = fig.axes[2].lines[0].get_ydata()
    meals = [(7, 0.5, 800), ("impulse", 10, 200)]
    assert peak_time(meals, ("exponential", 0.5)) == 7.5  # 1600 (1 - e^-1/4) = 354 beats 354 e^-5/4 + 200
    assert max(content) == pytest.approx(
        float(food_content(R(15, 2), meals, ("exponential", R(1, 2)))), rel=1e-2
    )  # sampled
    fig.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 10_000


# --- parity: negative retention, unbounded pieces, precision, exact roots, arrays ----------

_S = sympy.Symbol("s")


@pytest.mark.parametrize(
    "retention",
    [
        pytest.param(1 - _S, id="1-s"),
        pytest.param(1 - _S / 10, id="1-s/10"),
        pytest.param(sympy.exp(-_S) * (1 - _S / 20), id="turns-negative-late"),
        pytest.param(sympy.cos(_S), id="cos"),
    ],
)
def test_a_retention_that_goes_negative_is_refused(retention):
    with pytest.raises(
        ConvMathError, match=r"goes negative \(at s=.* it is -.*\): a retained fraction lies in \[0, 1\]"
    ):
        food_content(3, [(0, 1, 1)], retention)


@pytest.mark.parametrize(
    "retention",
    [sympy.exp(-_S), 1 / (1 + _S), 1 / (1 + _S) ** 2, sympy.Integer(1)],
    ids=["exp", "1/(1+s)", "1/(1+s)^2", "one"],
)
def test_non_negative_retentions_are_accepted(retention):
    assert food_content(3, [(0, 1, 1)], retention) >= 0


def test_time_below_with_an_unbounded_last_piece_names_a_finite_time():
    with pytest.raises(
        ConvMathError,
        match=r"^level=0.25 is never reached: the retention keeps 0.5 of every meal "
        r"forever \(its last step never ends\), so the content tends to 0.5\d*$",
    ):
        time_below(0.25, [(0, 1, 1)], ("piecewise", [(2, 1), (sympy.oo, 0.5)]))
    with pytest.raises(ConvMathError, match=r"content tends to 3/2$"):
        time_below(1, [(0, 1, 1), ("impulse", 3, 2)], ("piecewise", [(2, 1), (sympy.oo, sympy.Rational(1, 2))]))
    # at t = 3: 1/2 of the meal + 2; at 5 the impulse is halved too: 1/2 + 1 <= 2
    assert time_below(2, [(0, 1, 1), ("impulse", 3, 2)], ("piecewise", [(2, 1), (sympy.oo, sympy.Rational(1, 2))])) == 5
    with pytest.raises(ConvMathError, match=r"stays above it up to t=[0-9.e+]+ \(it is [0-9.e+-]+ there\)"):
        time_below(0.25, [(0, 1, 1)], ("piecewise", [(2, 1), (10**12, 0.5)]), horizon=100)


@settings(deadline=None)
@given(hours=st.floats(10, 700), lam=st.floats(0.2, 3), duration=st.floats(0.1, 3))
def test_float_content_long_after_a_meal_keeps_its_relative_precision(hours, lam, duration):
    """1/lam - e^{-lam x}/lam cancels; the expm1 form keeps every digit (mpmath at 50 digits as the witness)."""
    got = food_content(hours, [(0.0, duration, 1.0)], ("exponential", lam))
    with mpmath.workdps(50):
        exact = mpmath.exp(-lam * (hours - duration)) * (1 - mpmath.exp(-lam * duration)) / lam
    if exact < 1e-300:  # below the smallest normal float
        return
    assert got == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.parametrize(
    "level, meals, retention, expected",
    [
        pytest.param(sympy.Rational(1, 2), [(0, 1, 1)], ("linear", 2), sympy.Rational(3, 2), id="linear"),
        pytest.param(
            sympy.Rational(1, 10), [("impulse", 0, 1)], ("linear", 3), sympy.Rational(27, 10), id="impulse-linear"
        ),
        pytest.param(
            sympy.Rational(1, 3),
            [(0, 1, 1)],
            ("piecewise", [(2, 1), (5, sympy.Rational(1, 2))]),
            sympy.Rational(16, 3),
            id="piecewise-slope",
        ),
        pytest.param(sympy.Rational(1, 8), [(0, 2, 1)], ("linear", 1), sympy.Rational(5, 2), id="after-the-meal"),
    ],
)
def test_exact_time_below_is_rational_where_the_root_is(level, meals, retention, expected):
    got = time_below(level, meals, retention)
    assert isinstance(got, sympy.Rational) and got == expected
    assert food_content(got, meals, retention) == level


def test_food_content_takes_an_array_of_times():
    times = np.linspace(0, 6, 13).reshape(13, 1)
    got = food_content(times, [(0, 2, 1)], ("linear", 4))
    assert got.shape == (13, 1) and got.dtype == np.float64
    assert got.ravel().tolist() == pytest.approx(
        [float(food_content(float(x), [(0, 2, 1)], ("linear", 4))) for x in times.ravel()]
    )
    assert food_content([1, 2], [(0, 2, 1)], ("linear", 4)).tolist() == [0.875, 1.5]
    with pytest.raises(ConvMathError, match=r"must hold finite times"):
        food_content([1.0, np.nan], [(0, 2, 1)], ("linear", 4))


# --- the public API of the curves a plot draws ------------------------------------------
def test_the_validated_forms_are_accepted_back_and_give_the_same_content() -> None:
    x = sympy.Symbol("x")
    meals = [(7, 0.5, 800), ("impulse", 10, 200), x / 4]
    items = dg.as_meals(meals)
    assert items == (Meal(7, 0.5, 800), Impulse(10, 200), dg.Intake(t / 4))
    ret = dg.as_retention(("piecewise", [(1, 1), (3, 0.5)]))
    assert isinstance(ret, dg.PiecewiseRetention) and ret.ends == (1, 3)
    assert dg.as_meals(items) == items and dg.as_retention(ret) == ret
    for time in (7.25, 9.0, 12.5):
        assert food_content(time, items, ret) == food_content(time, meals, ("piecewise", [(1, 1), (3, 0.5)]))
    assert intake_expr(items) == intake_expr(meals)


def test_breakpoints_and_the_search_horizon() -> None:
    meals = [(7, R(1, 2), 800), ("impulse", 10, 200)]
    assert dg.breakpoints(meals, ("linear", 2)) == [7, R(15, 2), 9, R(19, 2), 10, 12]
    assert dg.breakpoints(meals, ("exponential", 1)) == [7, R(15, 2), 10]
    assert dg.breakpoints([], ("exponential", 1)) == []
    assert dg.search_horizon(meals, ("linear", 2)) == 12 + (12 - 7)
    assert dg.search_horizon(meals, ("exponential", R(1, 4))) == 10 + 160
    assert dg.search_horizon([], ("linear", 2)) == 24.0
    with pytest.raises(ConvMathError, match="not symbols"):
        dg.breakpoints([(sympy.Symbol("a"), 1, 1)], ("linear", 2))


@settings(deadline=None)
@given(case=scenario(), times=st.lists(st.floats(-3, 20), min_size=1, max_size=5))
def test_retention_at_and_intake_rate_agree_with_the_closed_forms(case, times) -> None:
    meals, retention = case
    g, f = retention_expr(retention), intake_expr([m for m in meals if m[0] != "impulse"])
    assert dg.retention_at(times, retention).tolist() == pytest.approx(
        [float(g.subs(t, time)) for time in times], abs=1e-12
    )
    assert dg.intake_rate(np.array(times), meals).tolist() == pytest.approx(
        [float(f.subs(t, time)) for time in times], abs=1e-12
    )
    assert isinstance(dg.retention_at(times[0], retention), float)


def test_no_meals_at_all() -> None:
    assert food_content_expr([], ("linear", 2)) == 0
    times, content = sampled_food_content([], ("linear", 2), step=1)
    assert len(times) == 24 and not content.any()
    with pytest.raises(ConvMathError, match=r"meals=\[\] has no peak"):
        peak_time([], ("linear", 2))


def test_the_plot_draws_the_public_curves() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from convmath.plot import plot_food_digestion

    x = sympy.Symbol("x")
    meals, retention = [(7, 0.5, 800), 10 * x], ("linear", 3)
    fig = plot_food_digestion(meals, retention, start=6, until=12, points=61)
    intake, kept, content = (ax.lines[0] for ax in fig.axes)
    assert intake.get_ydata().tolist() == pytest.approx(dg.intake_rate(intake.get_xdata(), meals).tolist())
    assert kept.get_ydata().tolist() == pytest.approx(dg.retention_at(kept.get_xdata(), retention).tolist())
    assert content.get_ydata().tolist() == pytest.approx(food_content(content.get_xdata(), meals, retention).tolist())
    plt.close(fig)
