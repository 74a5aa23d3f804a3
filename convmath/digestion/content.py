"""The stomach content: numbers (exact or float) and closed forms, from the derived families."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import sympy

from ..errors import ConvMathError
from ._evaluate import (
    breakpoints_of,
    by_segment,
    content_array,
    content_at,
    content_terms,
    convert_to,
    input_values,
    mode_of,
    parse_inputs,
    shifted,
)
from ._families import derive_family, g_at
from ._inputs import (
    Impulse,
    Intake,
    Meal,
    Meals,
    Number,
    RetentionLike,
    family_key,
    parse_meals,
    parse_retention,
    real_number,
    retention_expression,
    t,
)
from ._inputs import t as TIME  # for functions whose parameter t is a time value

__all__ = [
    "food_content",
    "food_content_expr",
    "retention_expr",
    "intake_expr",
    "retention_at",
    "intake_rate",
    "cumulative_intake",
]


def food_content(t: Number | npt.ArrayLike, meals: Meals, retention: RetentionLike) -> sympy.Expr | float | np.ndarray:
    r"""The food in the stomach at time ``t``: :math:`(f * g)(t)`.

    Parameters
    ----------
    t : number, sympy.Expr or array_like
        The time (hours). A symbol gives the closed form in that symbol; an
        array (or list) of times gives a float64 array of the same shape.
    meals : list
        ``(start, duration, rate)`` triples, :class:`Meal`, ``("impulse",
        time, amount)`` / :class:`Impulse`, or sympy expressions of time
        (see the module docstring).
    retention : tuple or sympy.Expr
        ``("exponential", lam)``, ``("linear", T)``, ``("piecewise",
        [(end, level), ...])`` or an expression of one variable.

    Returns
    -------
    sympy.Expr, float or numpy.ndarray
        Exact (a sympy number) when every input is exact (ints, Fractions,
        sympy numbers); a ``float`` when any input is a float; a float64
        array for an array of times.

    Notes
    -----
    A pulse of rate ``r`` on ``[s, s + D)`` contributes
    :math:`r\,(G(t - s) - G(t - s - D))` with :math:`G(x) = \int_0^x g`; an
    impulse of ``A`` at ``s`` contributes :math:`A\, g(t - s)`.

    Examples
    --------
    >>> food_content(3, [(0, 2, 1)], ("linear", 4))  # G(3) - G(1) = (3 - 9/8) - (1 - 1/8)
    1
    >>> food_content(2, [("impulse", 0, 10)], ("exponential", 1))  # 10 e^-2
    10*exp(-2)
    >>> food_content(5, [(0, 2, 1)], ("piecewise", [(1, 1), (3, sympy.Rational(1, 2))]))  # G(5) - G(3) = 0
    0

    An array of times gives an array (floats), as numpy users expect:

    >>> import numpy as np
    >>> food_content(np.array([0.0, 1.0, 2.0, 3.0]), [(0, 2, 1)], ("linear", 4)).tolist()  # G(t) - G(t - 2)
    [0.0, 0.875, 1.5, 1.0]
    """
    items, ret, family = parse_inputs(meals, retention)
    if isinstance(t, (np.ndarray, list, tuple)):
        return content_array(t, items, ret, family)
    time = real_number("t", t, where="the time")
    mode = mode_of(time, *input_values(items, ret))
    if mode == "symbolic":
        return food_content_expr(items, ret).xreplace({TIME: time})
    return content_at(convert_to(time, mode), items, ret, family, mode)


def retention_expr(retention: RetentionLike) -> sympy.Expr:
    """The retention ``g`` as a sympy expression of :data:`t`, zero for ``t < 0``.

    Parameters
    ----------
    retention : tuple or sympy expression
        ``("exponential", lam)``, ``("linear", T)``, ``("piecewise", [(end, level), ...])``
        or an expression of one variable (see the module docstring). Levels
        lie in [0, 1]: a retention is the fraction of a meal still there.

    Returns
    -------
    sympy.Expr
        A ``Piecewise`` in :data:`t`.

    Examples
    --------
    Linear digestion over 4 hours: after 1 hour ``1 - 1/4 = 3/4`` of a meal is left.

    >>> retention_expr(("linear", 4))
    Piecewise((0, t < 0), (1 - t/4, t < 4), (0, True))
    >>> retention_expr(("exponential", sympy.Rational(1, 2)))
    Piecewise((0, t < 0), (exp(-t/2), True))

    Everything kept for an hour, half of it until hour 3, nothing after:

    >>> retention_expr(("piecewise", [(1, 1), (3, sympy.Rational(1, 2))]))
    Piecewise((0, t < 0), (1, t < 1), (1/2, t < 3), (0, True))
    >>> retention_expr(("piecewise", [(1, 2)]))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: level=2 must be at most 1: a retained fraction lies in [0, 1]
    (retention ('piecewise', [(end, level), ...]))
    """
    ret = parse_retention(retention)
    family = derive_family(family_key(ret))
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    return shifted(family, values, "g", sympy.S.Zero)


def intake_expr(meals: Meals) -> sympy.Expr:
    """The intake rate ``f`` as a sympy expression of :data:`t` (impulses as ``DiracDelta``).

    Parameters
    ----------
    meals : list
        ``(start, duration, rate)`` pulses, ``("impulse", time, amount)``
        and intake expressions (see the module docstring).

    Returns
    -------
    sympy.Expr
        The sum of one term per meal.

    Examples
    --------
    300 g/h from 7:00 to 8:00, and a 50 g snack at noon:

    >>> intake_expr([(7, 1, 300), ("impulse", 12, 50)])
    Piecewise((0, t < 7), (300, t < 8), (0, True)) + 50*DiracDelta(t - 12)
    """
    total: sympy.Expr = sympy.S.Zero
    for item in parse_meals(meals):
        if isinstance(item, Meal):
            start, end = sympy.sympify(item.start), sympy.sympify(item.start) + item.duration
            total += sympy.Piecewise((0, t < start), (sympy.sympify(item.rate), t < end), (0, True))
        elif isinstance(item, Impulse):
            total += item.amount * sympy.DiracDelta(t - item.time)
        else:
            total += sympy.Piecewise((0, t < 0), (item.expr, True))
    return total


def _float_times(name: str, times: Number | npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        grid = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ConvMathError(f"{name}={times!r} must be a number or an array of numbers") from err
    if not np.all(np.isfinite(grid)):
        raise ConvMathError(f"{name}={times!r} must hold finite times")
    return grid


def retention_at(s: Number | npt.ArrayLike, retention: RetentionLike) -> float | npt.NDArray[np.float64]:
    """The retention ``g`` in floats: the fraction of a meal still undigested ``s`` hours after eating it.

    Parameters
    ----------
    s : number or array_like
        Hours since the meal; ``g`` is 0 before the meal (``s < 0``).
    retention : tuple or sympy.Expr
        As for :func:`food_content`, with numbers (no symbols).

    Returns
    -------
    float or numpy.ndarray
        A float for one time, a float64 array of the same shape for an array of times.

    Examples
    --------
    >>> retention_at(1, ("linear", 4))
    0.75
    >>> retention_at([-1, 0, 2, 4, 6], ("linear", 4)).tolist()
    [0.0, 1.0, 0.5, 0.0, 0.0]
    >>> round(retention_at(2, ("exponential", 0.5)), 6)  # e^-1
    0.367879
    """
    ret = parse_retention(retention)
    if mode_of(*ret.params, retention_expression(ret)) == "symbolic":
        raise ConvMathError(f"retention={retention!r} must hold numbers here, not symbols; use retention_expr")
    family = derive_family(family_key(ret))
    params = tuple(float(p) for p in ret.params)
    grid = _float_times("s", s)
    values = np.array([float(g_at(family, float(x), params, "float")) for x in grid.ravel()], dtype=np.float64)
    return float(values[0]) if grid.ndim == 0 else values.reshape(grid.shape)


def intake_rate(t: Number | npt.ArrayLike, meals: Meals) -> float | npt.NDArray[np.float64]:
    """The intake rate ``f`` in floats: what is being eaten per hour at time ``t``.

    Parameters
    ----------
    t : number or array_like
        The time (hours).
    meals : list
        As for :func:`food_content`, with numbers (no symbols).

    Returns
    -------
    float or numpy.ndarray
        The sum of the rates of the meals under way at ``t`` (a meal on ``[start, start + duration)``) and of the
        intake expressions (zero before time 0). Impulses are instantaneous, not a rate: they add nothing here
        (their ``DiracDelta`` is in :func:`intake_expr`; :func:`as_meals` lists them).

    Examples
    --------
    >>> intake_rate([6.5, 7, 7.25, 7.5], [(7, 0.5, 800), ("impulse", 7.25, 50)]).tolist()
    [0.0, 800.0, 800.0, 0.0]
    >>> x = sympy.Symbol("x")
    >>> intake_rate(3, [2 * x])  # 2 t from time 0 on
    6.0
    """
    items = parse_meals(meals)
    grid = _float_times("t", t)
    values = np.zeros(grid.shape, dtype=np.float64)
    for item in items:
        if isinstance(item, Meal):
            begin, end = float(item.start), float(item.start) + float(item.duration)
            values += np.where((grid >= begin) & (grid < end), float(item.rate), 0.0)
        elif isinstance(item, Intake):
            rate = sympy.lambdify(TIME, item.expr, ["math", "mpmath", "sympy"])
            values += np.array([float(rate(x)) if x >= 0 else 0.0 for x in grid.ravel()]).reshape(grid.shape)
    return float(values) if grid.ndim == 0 else values


def food_content_expr(meals: Meals, retention: RetentionLike) -> sympy.Expr:
    r"""The stomach content :math:`(f * g)(t)` as a closed form in :data:`t`.

    Parameters
    ----------
    meals, retention
        As for :func:`food_content`; numbers or sympy symbols.

    Returns
    -------
    sympy.Expr
        One ``Piecewise`` over the time intervals between breakpoints when
        every breakpoint is a number; a sum of one ``Piecewise`` per meal
        when meal times or retention parameters are symbols.

    Examples
    --------
    >>> food_content_expr([(0, 2, 1)], ("exponential", 1))
    Piecewise((0, t < 0), (1 - exp(-t), t < 2), (exp(2 - t) - exp(-t), True))
    >>> lam, D = sympy.symbols("lambda D", positive=True)
    >>> food_content_expr([(0, D, 1)], ("exponential", lam))
    -Piecewise((0, D > t), (1/lambda - exp(-lambda*(-D + t))/lambda, True))
    + Piecewise((0, t < 0), (1/lambda - exp(-lambda*t)/lambda, True))
    >>> food_content_expr([(0, 3, 1)], 1)  # no digestion: the cumulative intake
    Piecewise((0, t < 0), (t, t < 3), (3, True))
    """
    items, ret, family = parse_inputs(meals, retention)
    terms = content_terms(items, ret, family)
    total = sympy.Add(*terms)
    points = breakpoints_of(items, ret, family)
    if not points:  # symbolic breakpoints (None), or no meals at all
        return total
    return by_segment(total, points)


# --- questions a lecture asks -------------------------------------------------------
def cumulative_intake(t: Number, meals: Meals) -> sympy.Expr | float:
    """Everything eaten up to time ``t``: the content when nothing is digested (``g = 1``).

    Parameters
    ----------
    t : number or sympy expression
        The time (hours).
    meals : list
        As for :func:`food_content`.

    Returns
    -------
    number or sympy expression
        Exact for exact inputs, a float for float inputs.

    Examples
    --------
    >>> cumulative_intake(8, [(7, 2, 300), ("impulse", 7, 50)])  # 300 * 1 + 50
    350
    >>> cumulative_intake(8, [(7, 2, 300)]) == food_content(8, [(7, 2, 300)], 1)
    True
    """
    return food_content(t, meals, 1)
