r"""Food digestion: the convolution that d2l's lecture starts from (the notes on Mu Li's d2l lectures 19-21).

A person eats at rate ``f(t)`` (rectangular meals) and a meal eaten ``s``
hours ago is still ``g(s) = exp(-lam s)`` undigested; the stomach holds
:math:`c(t) = \int f(\tau)\, g(t - \tau)\, d\tau`.

Difficulty 1: one meal; the content at a time after it and the closed form
after it (``c(t) = C e^{-\lambda t}``). Difficulty 2: two meals, the content
at a time between them (the second meal must not count yet). Difficulty 3:
adds the discrete version, meals at whole hours and ``numpy.convolve`` of the
intake with a retention sequence. Option ``discrete`` (bool) adds or drops
the discrete part at any difficulty.

Values come from :func:`convmath.food_content` and
:func:`convmath.digestion.discrete_food_content`; the closed form from
:func:`convmath.food_content_expr`, derived once per number of meals with
symbolic meal times and rate, then instantiated by substitution (a
derivation takes ~0.1 s; a substitution well under a millisecond). The
discrete part has a time step ``h`` (1/2 or 1/4 hour): ``f`` holds eating
rates, and the content is the Riemann sum ``h * numpy.convolve(f, g)``
(:func:`convmath.digestion.discrete_food_content` of the amounts ``h * f``).

Wrong answers are the catalogue's digestion misconceptions
(:mod:`convmath.misconceptions`), computed with :mod:`convmath.digestion`:

* ``retention_not_flipped``: the cross-correlation
  :math:`\int f(\tau)\, g(\tau - t)\, d\tau`, which counts only meals eaten
  after ``t`` (0 after the last meal); discrete: ``h * numpy.correlate(f, g, "full")``;
* ``meal_as_impulse``: each meal eaten at once at its start;
* ``retention_ignored``: no digestion, the cumulative intake; discrete: ``h * cumsum(f)``;
* ``discrete_step_ignored``: the discrete sum without the step ``h``.

The closed-form wrong answers are derived like the right one: once per
misconception for one symbolic meal (each of them is linear in the intake),
then instantiated by substitution and summed over the meals.

Three steps (:mod:`exercises.families._staged`): :func:`draw`, :func:`solve`,
:func:`render`; the texts are ``texts/food_digestion.toml``. :func:`draw` turns
down a continuous part that cannot be diagnosed before it draws the discrete
part, as the family always did, so that every seed draws the variant it drew
before the restructuring.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from convmath.errors import ConvMathError

from ..model import AnswerSpec
from ._arrays import code_line, tex_matrix, wrong_answers
from ._common import wrong_answers as expression_wrong_answers
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "closed_form_after_meals", "draw", "render", "solve", "wrong_closed_form_after_meals"]

NAME = "food_digestion"
#: The expression answer's variable: time in hours, positive.
T = sympy.Symbol("t", positive=True)
_LAMBDAS = tuple(map(sympy.Rational, ("1/2", "1/3", "1/4", "1/5", "1", "2")))
_VALUE_RTOL = 1e-3
#: Time steps (hours) of the discrete part: never 1, so that leaving the step out is a visible mistake.
_STEPS = (0.5, 0.25)
_PLAIN_T = sympy.Symbol("t")
_T_DOMAIN = {"t": "positive_real"}


@functools.cache
def _symbolic_tail(count: int) -> tuple[sympy.Expr, tuple[sympy.Symbol, ...], sympy.Symbol]:
    """c(t) for t after every meal, for ``count`` symbolic meals and exponential retention."""
    from convmath.digestion import food_content_expr, t

    params: list[sympy.Symbol] = []
    meals = []
    for i in range(count):
        start, duration, rate = sympy.symbols(f"a{i} D{i} r{i}", positive=True)
        meals.append((start, duration, rate))
        params += [start, duration, rate]
    lam = sympy.Symbol("lam", positive=True)
    expr = food_content_expr(meals, ("exponential", lam))
    tail = expr.replace(lambda e: isinstance(e, sympy.Piecewise), lambda pw: pw.args[-1][0])
    # substituting numbers next to a plain symbol is 3x faster than next to the positive ``T``
    return tail.xreplace({t: _PLAIN_T}), tuple(params), lam


@functools.lru_cache(maxsize=4096)
def _meal_tail(start: int, duration: int, rate: int, lam: sympy.Expr) -> tuple[sympy.Expr, str]:
    """One meal's share of the content after it ends, and its ``str`` (cached: variants reuse meals)."""
    tail, params, lam_symbol = _symbolic_tail(1)
    values = dict(zip(params, map(sympy.Integer, (start, duration, rate))))
    expr = tail.xreplace({**values, lam_symbol: lam}).xreplace({_PLAIN_T: T})
    return expr, str(expr)


def closed_form_after_meals(meals: list[tuple[int, int, int]], lam: sympy.Expr) -> sympy.Expr:
    r"""The stomach content after the last meal, in the symbol ``t > 0`` (exponential retention).

    The last piece of :func:`convmath.food_content_expr` for one symbolic meal,
    numbers substituted, summed over the meals (the content is linear in the
    intake).

    Examples
    --------
    >>> closed_form_after_meals([(0, 2, 3)], sympy.Rational(1, 2))  # (3 / (1/2)) (e^{-(t-2)/2} - e^{-t/2})
    6*exp(1 - t/2) - 6*exp(-t/2)
    """
    return sympy.Add(*(_meal_tail(a, d, r, lam)[0] for a, d, r in meals))


def _closed_form_text(meals: list[tuple[int, int, int]], lam: sympy.Expr) -> str:
    return " + ".join(f"({_meal_tail(a, d, r, lam)[1]})" for a, d, r in meals)


def _tex_exp(lam: sympy.Expr, shift: int, var: str = "t") -> str:
    lam_tex = "" if lam == 1 else _tex_lam(lam)
    if shift:
        return rf"e^{{-{lam_tex}({var} - {shift})}}"
    if lam_tex and var[0].isdigit():
        return rf"e^{{-{lam_tex}\cdot {var}}}"
    return rf"e^{{-{lam_tex}{var}}}"


@functools.cache
def _tex_lam(lam: sympy.Expr) -> str:
    return sympy.latex(lam)


def _tex_tail(meals: list[tuple[int, int, int]], lam: sympy.Expr, var: str = "t") -> str:
    """The closed form after the meals, written meal by meal: sum of r/lam (e^{-lam(t-b)} - e^{-lam(t-a)})."""
    coef = lambda r: str(r) if lam == 1 else sympy.latex(r / lam)  # noqa: E731
    return " + ".join(
        rf"{coef(r)}\left({_tex_exp(lam, a + d, var)} - {_tex_exp(lam, a, var)}\right)" for a, d, r in meals
    )


#: Misconceptions of the value and closed-form parts, most specific first.
_CONTINUOUS = ("retention_not_flipped", "meal_as_impulse", "retention_ignored")


def _after(expr: sympy.Expr, probe: sympy.Expr) -> sympy.Expr:
    """Each ``Piecewise`` of ``expr`` (in the plain ``t``) replaced by its piece at ``t = probe``."""

    def pick(pw: sympy.Piecewise) -> sympy.Expr:
        for piece, cond in pw.args:
            holds = cond.xreplace({_PLAIN_T: probe})
            if holds is sympy.true:
                return piece
            if holds is not sympy.false:
                raise ConvMathError(f"cannot tell whether {cond} holds after the meals")
        raise ConvMathError(f"{pw} has no piece after the meals")

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), pick)


@functools.cache
def _symbolic_wrong_tail(label: str) -> tuple[sympy.Expr, tuple[sympy.Symbol, ...], sympy.Symbol]:
    """Misconception ``label``'s content after one symbolic meal, exponential retention."""
    from convmath.misconceptions import CATALOGUE

    start, duration, rate = sympy.symbols("a0 D0 r0", positive=True)
    lam = sympy.Symbol("lam", positive=True)
    expr = CATALOGUE[label].wrong(_PLAIN_T, [(start, duration, rate)], ("exponential", lam))
    return _after(sympy.sympify(expr), start + duration + 1), (start, duration, rate), lam


@functools.lru_cache(maxsize=4096)
def _wrong_meal_tail(label: str, start: int, duration: int, rate: int, lam: sympy.Expr) -> sympy.Expr:
    tail, params, lam_symbol = _symbolic_wrong_tail(label)
    values = dict(zip(params, map(sympy.Integer, (start, duration, rate))))
    return tail.xreplace({**values, lam_symbol: lam}).xreplace({_PLAIN_T: T})


def wrong_closed_form_after_meals(label: str, meals: list[tuple[int, int, int]], lam: sympy.Expr) -> sympy.Expr:
    r"""What misconception ``label`` gives for the closed form after the last meal, in ``t > 0``.

    ``label`` is one of ``retention_not_flipped``, ``meal_as_impulse``,
    ``retention_ignored`` (each linear in the intake, so it is summed meal by meal).

    Examples
    --------
    >>> wrong_closed_form_after_meals("meal_as_impulse", [(0, 2, 3)], sympy.Rational(1, 2))  # 3*2 e^{-t/2}
    6*exp(-t/2)
    >>> wrong_closed_form_after_meals("retention_ignored", [(0, 2, 3), (5, 1, 2)], sympy.Rational(1, 2))  # 3*2 + 2*1
    8
    >>> wrong_closed_form_after_meals("retention_not_flipped", [(0, 2, 3)], sympy.Rational(1, 2))  # none after t
    0
    """
    return sympy.Add(*(_wrong_meal_tail(label, a, d, r, lam) for a, d, r in meals))


def _discrete_wrongs(f: list[int], g: list[float], h: float) -> list[tuple[str, Any]]:
    """``(label, thunk)`` for the discrete part (``f`` rates, step ``h``): see the module docstring."""
    from convmath.digestion import discrete_food_content
    from convmath.misconceptions import CATALOGUE

    amounts = [h * v for v in f]
    length = len(f) + len(g) - 1
    return [
        ("retention_not_flipped", lambda: np.asarray(discrete_food_content(amounts, g[::-1]), dtype=np.float64)),
        (
            "discrete_step_ignored",
            lambda: np.asarray(CATALOGUE["discrete_step_ignored"].wrong(f, g, step=h), dtype=np.float64),
        ),
        (
            "retention_ignored",
            lambda: np.asarray(discrete_food_content(amounts, [1] * length)[:length], dtype=np.float64),
        ),
    ]


Meals = tuple[tuple[int, int, int], ...]


@functools.lru_cache(maxsize=1024)
def _continuous(meals: Meals, lam: sympy.Expr, t1: int) -> tuple[Any, Any, sympy.Expr, Any] | None:
    """The content at ``t1`` and the closed form after the meals, each with its mistakes' answers.

    ``None`` when a mistake gives the key (the variant cannot be diagnosed). Cached: :func:`draw` asks first.
    """
    from convmath.digestion import food_content
    from convmath.misconceptions import CATALOGUE

    end = max(a + d for a, d, _ in meals)
    float_meals = [(float(a), float(d), float(r)) for a, d, r in meals]
    float_ret = ("exponential", float(lam))
    value = np.array(float(food_content(float(t1), float_meals, float_ret)))
    tail = closed_form_after_meals(list(meals), lam)
    probe = end + 1
    witness = float(food_content(float(probe), float_meals, float_ret))
    if abs(float(tail.xreplace({T: probe})) - witness) > 1e-9 * (1 + float(value)):
        raise ConvMathError("the closed form and food_content disagree")  # two witnesses of one quantity

    def value_of(label: str) -> Any:
        return np.array(float(CATALOGUE[label].wrong(float(t1), float_meals, float_ret)))

    value_wrong = wrong_answers(
        value,
        [(label, functools.partial(value_of, label)) for label in _CONTINUOUS],
        required=_CONTINUOUS,
        rtol=_VALUE_RTOL,
        atol=1e-6,
    )
    tail_wrong = expression_wrong_answers(
        tail,
        {label: functools.partial(wrong_closed_form_after_meals, label, list(meals), lam) for label in _CONTINUOUS},
        symbols=_T_DOMAIN,
        bounds={"t": (end, None)},
    )
    if value_wrong is None or tail_wrong is None:
        return None
    return value, value_wrong, tail, tail_wrong


def _draw_meals(rng: random.Random, difficulty: int) -> tuple[list[tuple[int, int, int]], int]:
    """The meals ``(start, duration, rate)`` and the time asked about (between the meals from level 2)."""
    if difficulty == 1:
        meals = [(rng.randrange(4), rng.choice([1, 2, 3]), rng.randrange(1, 9))]
        return meals, meals[0][0] + meals[0][1] + rng.choice([1, 2, 3])
    first = (rng.choice([0, 1]), rng.choice([1, 2]), rng.choice([2, 3, 4]))
    gap = rng.choice([2, 3, 4])
    second = (first[0] + first[1] + gap, rng.choice([1, 2]), rng.choice([2, 3, 4, 6]))
    return [first, second], first[0] + first[1] + rng.randrange(1, gap)


def _draw_discrete(rng: random.Random) -> dict[str, Any] | None:
    """The discrete part's step, eating rates and retention (``None`` when fewer than two steps eat)."""
    hours = rng.choice([4, 5])
    h = rng.choice(_STEPS)
    f = [rng.choice([0, 0, 2, 4, 6]) for _ in range(hours)]
    f[0] = rng.choice([2, 4, 6])
    if sum(1 for v in f if v) < 2:
        return None
    g = rng.choice([[1, 0.5, 0.25, 0.125], [1, 0.5, 0.25], [1, 0.75, 0.5, 0.25]])
    return {"step": h, "f": f, "g": g}


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The meals, the retention rate, the time asked about and (option ``discrete``) the discrete part.

    A continuous part that cannot be diagnosed is drawn again before the discrete part is drawn, as it always
    was: the random draws, hence every seed's variant, are those of the family before its restructuring.

    Examples
    --------
    >>> draw(random.Random(0), 1, {})
    {'meals': [[3, 1, 5]], 'lam': '1/5', 't1': 7, 'discrete': False}
    >>> sorted(draw(random.Random(0), 3, {}))
    ['discrete', 'f', 'g', 'lam', 'meals', 'step', 't1']
    """
    for key in options:
        if key != "discrete":
            raise ConvMathError(f"option {key!r} is not allowed; use 'discrete'")
    discrete = options.get("discrete", difficulty >= 3)
    if not isinstance(discrete, bool):
        raise ConvMathError(f"discrete={discrete!r} must be true or false")
    lam = rng.choice(_LAMBDAS)
    meals, t1 = _draw_meals(rng, difficulty)
    if _continuous(tuple(meals), lam, t1) is None:
        return None
    params = {"meals": [list(m) for m in meals], "lam": str(lam), "t1": t1, "discrete": discrete}
    if not discrete:
        return params
    more = _draw_discrete(rng)
    return None if more is None else {**params, **more}


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The content at ``t1``, the closed form and the discrete content, with the mistakes' answers.

    Examples
    --------
    >>> p = {"meals": [[0, 2, 3]], "lam": "1/2", "t1": 3, "discrete": False}
    >>> at, closed = solve(p).answers
    >>> round(float(at.spec.expected), 4), closed.spec.expected    # 6 (e^{-1/2} - e^{-3/2})
    (2.3004, 6*exp(1 - t/2) - 6*exp(-t/2))
    """
    meals = [(a, d, r) for a, d, r in params["meals"]]
    lam = sympy.Rational(params["lam"])
    continuous = _continuous(tuple(meals), lam, params["t1"])
    if continuous is None:
        return None
    value, value_wrong, tail, tail_wrong = continuous
    end = max(a + d for a, d, _ in meals)
    answers = [
        Answer(
            "a",
            AnswerSpec("array", "content_at", expected=value, rtol=_VALUE_RTOL, atol=1e-6),
            f"{{name}} = {float(value)!r}",
            value_wrong,
            2.0,
        ),
        Answer(
            "b",
            AnswerSpec("expression", "content_expr", expected=tail, symbols=_T_DOMAIN, bounds={"t": (end, None)}),
            f"{{name}} = {_closed_form_text(meals, lam)!r}",
            tail_wrong,
            2.0,
        ),
    ]
    setup = f"import numpy as np\n\nmeals = {meals!r}\nlam = {float(lam)!r}  # {lam}"
    values: dict[str, Any] = {"value": float(value), "end": end}
    if params["discrete"]:
        from convmath.digestion import discrete_food_content

        h, f, g = params["step"], params["f"], params["g"]
        content = np.asarray(discrete_food_content([h * v for v in f], g), dtype=np.float64)
        wrongs = _discrete_wrongs(f, g, h)
        c_wrong = wrong_answers(content, wrongs, required=["retention_not_flipped", "discrete_step_ignored"], atol=1e-9)
        if c_wrong is None:
            return None
        spec = AnswerSpec("array", "content_seq", expected=content, atol=1e-9)
        answers.append(Answer("c", spec, code_line("{name}", "array", content), c_wrong, 2.0))
        setup += f"\nh = {h!r}\nf = {f!r}\ng = {g!r}"
        values["content"] = content
    return Solved(tuple(answers), setup, values)


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    r"""The retention rate and the closed forms in TeX, the value rounded, the discrete content as a matrix.

    Examples
    --------
    >>> p = {"meals": [[0, 2, 3]], "lam": "1/2", "t1": 3, "discrete": False}
    >>> print(render(p, solve(p), {})["before_tex"])
    6\left(e^{-\frac{1}{2}(3 - 2)} - e^{-\frac{1}{2}\cdot 3}\right)
    """
    meals = [(a, d, r) for a, d, r in params["meals"]]
    lam, t1 = sympy.Rational(params["lam"]), params["t1"]
    out: dict[str, Any] = {
        "lam_tex": "" if lam == 1 else _tex_lam(lam),
        "lam_latex": _tex_lam(lam),
        "tail_tex": _tex_tail(meals, lam),
        "before_tex": _tex_tail([m for m in meals if m[0] + m[1] <= t1], lam, str(t1)),
        "rounded": f"{solved.values['value']:.6g}",
    }
    if params["discrete"]:
        out |= {"content_tex": tex_matrix(solved.values["content"]), "last": len(params["f"]) + len(params["g"]) - 2}
    return out


FAMILY = staged(
    NAME,
    title={"en": "Food digestion: convolution in time", "zh": "食物消化：时间上的卷积"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
    options={"discrete": "true at difficulty 3, else false"},
)
