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
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from convmath.errors import ConvMathError

from ..model import AnswerSpec, Exercise, Part
from . import Family, register
from ._arrays import code_line, tex_matrix, wrong_answers
from ._common import wrong_answers as expression_wrong_answers

__all__ = ["FAMILY", "closed_form_after_meals", "wrong_closed_form_after_meals"]

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
    >>> wrong_closed_form_after_meals("retention_not_flipped", [(0, 2, 3)], sympy.Rational(1, 2))  # nothing eaten after t
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


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    """Draw one variant."""
    from convmath.digestion import discrete_food_content, food_content
    from convmath.misconceptions import CATALOGUE

    for key in options:
        if key != "discrete":
            raise ConvMathError(f"option {key!r} is not allowed; use 'discrete'")
    discrete = options.get("discrete", difficulty >= 3)
    if not isinstance(discrete, bool):
        raise ConvMathError(f"discrete={discrete!r} must be true or false")
    lam = rng.choice(_LAMBDAS)
    ret = ("exponential", lam)
    if difficulty == 1:
        meals = [(rng.randrange(4), rng.choice([1, 2, 3]), rng.randrange(1, 9))]
        t1 = meals[0][0] + meals[0][1] + rng.choice([1, 2, 3])
    else:
        first = (rng.choice([0, 1]), rng.choice([1, 2]), rng.choice([2, 3, 4]))
        gap = rng.choice([2, 3, 4])
        second = (first[0] + first[1] + gap, rng.choice([1, 2]), rng.choice([2, 3, 4, 6]))
        meals = [first, second]
        t1 = first[0] + first[1] + rng.randrange(1, gap)
    end = max(a + d for a, d, _ in meals)
    float_meals = [(float(a), float(d), float(r)) for a, d, r in meals]
    float_ret = ("exponential", float(lam))
    value = float(food_content(float(t1), float_meals, float_ret))
    tail = closed_form_after_meals(meals, lam)
    probe = end + 1
    if abs(float(tail.xreplace({T: probe})) - float(food_content(float(probe), float_meals, float_ret))) > 1e-9 * (
        1 + value
    ):
        raise ConvMathError("the closed form and food_content disagree")  # two witnesses of one quantity
    expected_value = np.array(value)
    value_wrong = wrong_answers(
        expected_value,
        [
            (label, lambda label=label: np.array(float(CATALOGUE[label].wrong(float(t1), float_meals, float_ret))))
            for label in _CONTINUOUS
        ],
        required=_CONTINUOUS,
        rtol=_VALUE_RTOL,
        atol=1e-6,
    )
    tail_wrong = expression_wrong_answers(
        tail,
        {label: (lambda label=label: wrong_closed_form_after_meals(label, meals, lam)) for label in _CONTINUOUS},
        symbols=_T_DOMAIN,
        bounds={"t": (end, None)},
    )
    if value_wrong is None or tail_wrong is None:
        return None
    lam_tex = "" if lam == 1 else _tex_lam(lam)
    meal_lines_en = "\n".join(f"- from $t = {a}$ to $t = {a + d}$ h at {r} units per hour" for a, d, r in meals)
    meal_lines_zh = "\n".join(f"- 从 $t = {a}$ 到 $t = {a + d}$ 小时，每小时 {r} 个单位" for a, d, r in meals)
    prompt = {
        "en": (
            "A person eats only at these times (time $t$ in hours):\n\n" + meal_lines_en + "\n\n"
            rf"A meal eaten $s$ hours ago is still the fraction $g(s) = e^{{-{lam_tex} s}}$ undigested ($g(s) = 0$ for $s < 0$). "
            r"With $f(t)$ the eating rate, the food in the stomach at time $t$ is the convolution "
            r"$c(t) = (f * g)(t) = \int_{-\infty}^{\infty} f(\tau)\, g(t - \tau)\, d\tau$. "
            "The setup cell defines `meals` as (start, duration, rate) triples and `lam`."
        ),
        "zh": (
            "某人只在以下时间进食（时间 $t$ 以小时计）：\n\n" + meal_lines_zh + "\n\n"
            rf"$s$ 小时前吃下的食物还剩比例 $g(s) = e^{{-{lam_tex} s}}$ 未消化（$s < 0$ 时 $g(s) = 0$）。"
            r"设 $f(t)$ 为进食速率，则 $t$ 时刻胃里的食物量为卷积 "
            r"$c(t) = (f * g)(t) = \int_{-\infty}^{\infty} f(\tau)\, g(t - \tau)\, d\tau$。"
            "下面的代码单元把 `meals` 定义为 (开始时间, 持续时间, 速率) 三元组，并定义了 `lam`。"
        ),
    }
    parts = [
        Part(
            "a",
            {
                "en": f"The food in the stomach at $t = {t1}$ (a number, at least 4 significant digits); define `content_at`.",
                "zh": f"$t = {t1}$ 时胃里的食物量（一个数，至少 4 位有效数字）；定义 `content_at`。",
            },
            AnswerSpec("array", "content_at", expected=expected_value, rtol=_VALUE_RTOL, atol=1e-6),
            2.0,
            value_wrong,
            f"content_at = {value!r}",
        ),
        Part(
            "b",
            {
                "en": (
                    f"The closed form of $c(t)$ for $t \\ge {end}$, as a string in `t` (write $e^x$ as `exp(x)`); "
                    "define `content_expr`."
                ),
                "zh": f"$t \\ge {end}$ 时 $c(t)$ 的解析式，写成关于 `t` 的字符串（$e^x$ 写作 `exp(x)`）；定义 `content_expr`。",
            },
            AnswerSpec("expression", "content_expr", expected=tail, symbols=_T_DOMAIN, bounds={"t": (end, None)}),
            2.0,
            tail_wrong,
            f"content_expr = {_closed_form_text(meals, lam)!r}",
        ),
    ]
    lam_f = float(lam)
    before = [meal for meal in meals if meal[0] + meal[1] <= t1]
    steps_en = [
        r"A meal eaten at time $\tau$ has been digesting for $t - \tau$ hours, so it counts with weight $g(t - \tau)$: "
        r"that is why $g$ appears flipped and shifted, and why meals after $t$ do not count ($g(t - \tau) = 0$ for $\tau > t$).",
        rf"For a meal of rate $r$ on $[a, b)$ and $t \ge b$: $\int_a^b r\, e^{{-\lambda (t - \tau)}}\, d\tau = "
        rf"\frac{{r}}{{\lambda}}\left(e^{{-\lambda (t - b)}} - e^{{-\lambda (t - a)}}\right)$, with $\lambda = {_tex_lam(lam)}$.",
        rf"Summing the meals, for $t \ge {end}$: $c(t) = {_tex_tail(meals, lam)}$.",
        rf"At $t = {t1}$ only the meals eaten before count: $c({t1}) = {_tex_tail(before, lam, str(t1))} \approx {value:.6g}$.",
    ]
    steps_zh = [
        r"在 $\tau$ 时刻吃下的食物已经消化了 $t - \tau$ 小时，所以权重是 $g(t - \tau)$：这就是 $g$ 要翻转并平移的原因，"
        r"而 $t$ 之后的进食不计入（$\tau > t$ 时 $g(t - \tau) = 0$）。",
        rf"速率为 $r$、时间段 $[a, b)$ 的一餐，当 $t \ge b$ 时：$\int_a^b r\, e^{{-\lambda (t - \tau)}}\, d\tau = "
        rf"\frac{{r}}{{\lambda}}\left(e^{{-\lambda (t - b)}} - e^{{-\lambda (t - a)}}\right)$，其中 $\lambda = {_tex_lam(lam)}$。",
        rf"把各餐相加，$t \ge {end}$ 时：$c(t) = {_tex_tail(meals, lam)}$。",
        rf"在 $t = {t1}$ 时只计之前吃下的：$c({t1}) = {_tex_tail(before, lam, str(t1))} \approx {value:.6g}$。",
    ]
    setup = f"import numpy as np\n\nmeals = {meals!r}\nlam = {lam_f!r}  # {lam}"
    discrete_params: dict[str, Any] = {}
    if discrete:
        hours = rng.choice([4, 5])
        h = rng.choice(_STEPS)
        f = [rng.choice([0, 0, 2, 4, 6]) for _ in range(hours)]
        f[0] = rng.choice([2, 4, 6])
        if sum(1 for v in f if v) < 2:
            return None
        g = rng.choice([[1, 0.5, 0.25, 0.125], [1, 0.5, 0.25], [1, 0.75, 0.5, 0.25]])
        content = np.asarray(discrete_food_content([h * v for v in f], g), dtype=np.float64)
        c_wrong = wrong_answers(
            content, _discrete_wrongs(f, g, h), required=["retention_not_flipped", "discrete_step_ignored"], atol=1e-9
        )
        if c_wrong is None:
            return None
        last = len(f) + len(g) - 2
        parts.append(
            Part(
                "c",
                {
                    "en": (
                        f"The discrete version with a time step of $h = {h}$ hour: `f[m]` is the eating rate (units per hour) "
                        f"during step $m$, `f = {f}`, and `g[k]` the fraction left $k$ steps ($kh$ hours) after eating, "
                        f"`g = {g}`. With $d\\tau$ replaced by $h$ the integral becomes the sum "
                        f"$c[n] = h \\sum_m f[m]\\, g[n - m]$, the content at $t = nh$. "
                        f"Give $c[0], \\dots, c[{last}]$ as an array; define `content_seq`."
                    ),
                    "zh": (
                        f"离散版本，时间步长 $h = {h}$ 小时：`f[m]` 是第 $m$ 个步长内的进食速率（每小时的单位数），`f = {f}`；"
                        f"`g[k]` 是进食 $k$ 个步长（$kh$ 小时）后剩下的比例，`g = {g}`。把 $d\\tau$ 换成 $h$，积分就变成求和 "
                        f"$c[n] = h \\sum_m f[m]\\, g[n - m]$，即 $t = nh$ 时的食物量。给出 $c[0], \\dots, c[{last}]$（数组）；"
                        "定义 `content_seq`。"
                    ),
                },
                AnswerSpec("array", "content_seq", expected=content, atol=1e-9),
                2.0,
                c_wrong,
                code_line("content_seq", "array", content),
            )
        )
        setup += f"\nh = {h!r}\nf = {f!r}\ng = {g!r}"
        discrete_params = {"step": h, "f": f, "g": g}
        steps_en.append(
            rf"Discrete: $c = h\,(f * g)$ (`h * numpy.convolve(f, g)`, $g$ flipped under the sum) $= {tex_matrix(content)}$."
        )
        steps_zh.append(
            rf"离散情形：$c = h\,(f * g)$（即 `h * numpy.convolve(f, g)`，求和中 $g$ 是翻转的）$= {tex_matrix(content)}$。"
        )
    labels = tuple(dict.fromkeys(w.label for part in parts for w in part.wrong_answers))
    return Exercise(
        family=NAME,
        difficulty=difficulty,
        seed=0,
        params={"meals": [list(m) for m in meals], "lam": str(lam), "t1": t1, "discrete": discrete, **discrete_params},
        prompt=prompt,
        parts=tuple(parts),
        solution={"en": tuple(steps_en), "zh": tuple(steps_zh)},
        setup_code=setup,
        misconceptions=labels,
    )


FAMILY = register(
    Family(
        name=NAME,
        title={"en": "Food digestion: convolution in time", "zh": "食物消化：时间上的卷积"},
        difficulties=(1, 2, 3),
        draw=draw,
    )
)
