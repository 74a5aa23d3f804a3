"""Times of interest: when the content peaks and when it first falls to a level."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import sympy

from ..errors import ConvMathError
from ._evaluate import (
    breakpoints_of,
    content_at,
    content_terms,
    default_horizon,
    input_values,
    mode_of,
    parse_inputs,
    segment_of,
)
from ._families import Family, Mode
from ._inputs import Intake, Item, Meal, Meals, Number, PiecewiseRetention, Retention, RetentionLike, real_number, t

__all__ = ["peak_time", "time_below", "breakpoints", "search_horizon"]


def breakpoints(meals: Meals, retention: RetentionLike) -> list[sympy.Expr]:
    """The times where the stomach content may have a kink or a jump, sorted.

    Between two of them the content is one smooth expression (one piece of :func:`food_content_expr`).

    Parameters
    ----------
    meals, retention
        As for :func:`food_content`, with numbers (no symbols).

    Returns
    -------
    list of sympy.Expr
        Sympy numbers in increasing order: the start and end of every meal, every impulse and time 0 for an intake
        expression, each also shifted by the ends of the retention's steps. Empty when there are no meals.

    Raises
    ------
    ConvMathError
        When a meal time or a retention parameter is a symbol (the order of the times is then unknown).

    Examples
    --------
    A meal from 7:00 to 7:30 digested linearly in 2 hours: eating starts and stops, and each of those is felt again
    2 hours later, when the first and the last bite are fully digested.

    >>> breakpoints([(7, sympy.Rational(1, 2), 800)], ("linear", 2))
    [7, 15/2, 9, 19/2]
    >>> breakpoints([], ("exponential", 1))
    []
    """
    items, ret, family = parse_inputs(meals, retention)
    points = breakpoints_of(items, ret, family)
    if points is None:
        raise ConvMathError("meals and retention must be numbers here, not symbols: the breakpoints have no order")
    return points


def search_horizon(meals: Meals, retention: RetentionLike) -> float:
    """The time up to which :func:`peak_time` looks for the largest content by default.

    Parameters
    ----------
    meals, retention
        As for :func:`food_content`, with numbers (no symbols).

    Returns
    -------
    float
        The last breakpoint plus the span of the breakpoints, and at least ``40 / lam`` hours past it for exponential
        retention (a fraction ``e^-40`` of the last meal left) or 24 hours for a retention expression; 24 when there
        are no meals.

    Raises
    ------
    ConvMathError
        When a meal time or a retention parameter is a symbol.

    Examples
    --------
    >>> search_horizon([(7, 1, 300), (12, 1, 300)], ("linear", 2))  # 15 + (15 - 7)
    23.0
    >>> search_horizon([(7, 1, 300)], ("exponential", 2))  # 8 + 40 / 2
    28.0
    """
    items, ret, _ = parse_inputs(meals, retention)
    return default_horizon(items, ret, breakpoints(items, ret))


def _float_content(items: Sequence[Item], ret: Retention, family: Family) -> Callable[[float], float]:
    return lambda time: content_at(float(time), items, ret, family, "float")


def peak_time(meals: Meals, retention: RetentionLike, *, horizon: Number | None = None) -> sympy.Expr | float:
    """The earliest time at which the stomach content is largest.

    Parameters
    ----------
    meals, retention
        As for :func:`food_content` (numbers, no symbols).
    horizon : number, optional
        Search up to this time; by default the last breakpoint plus the span
        of the meals, at least ``40 / lam`` for exponential retention and 24
        hours for a retention expression.

    Returns
    -------
    sympy.Expr or float
        A breakpoint (exact for exact inputs) when the peak is at one, e.g.
        the end of a meal; otherwise the interior maximum found numerically
        (a ``sympy.Float`` for exact inputs).

    Notes
    -----
    Between breakpoints the content is smooth; each segment is sampled and a
    sampled local maximum refined by golden-section search.

    Examples
    --------
    >>> peak_time([(7, 1, 300), (12, 1, 300)], ("exponential", 1))  # the end of the fuller stomach: lunch
    13
    >>> peak_time([(0, 6, 1)], ("linear", 2))  # plateau from T = 2 until the meal ends: the earliest
    2
    """
    items, ret, family = parse_inputs(meals, retention)
    if not items:
        raise ConvMathError("meals=[] has no peak: nothing is eaten, so the content is 0 at every time")
    points, mode, content = _setup(items, ret, family)
    end = float(horizon) if horizon is not None else default_horizon(items, ret, points)
    candidates: list[tuple[float, sympy.Expr | float | None]] = [(float(p), p) for p in points if float(p) <= end] + [
        (end, None)
    ]
    edges = [float(p) for p in points if float(p) < end] + [end]
    for lo, hi in zip(edges, edges[1:]):
        grid = np.linspace(lo, hi, 34)
        values = [content(x) for x in grid]
        for n in range(1, len(grid) - 1):
            if values[n] > values[n - 1] and values[n] >= values[n + 1]:
                candidates.append((_golden_max(content, grid[n - 1], grid[n + 1]), None))
    best = max(content(x) for x, _ in candidates)
    tolerance = 1e-12 * max(abs(best), 1.0)
    x, exact = min((c for c in candidates if content(c[0]) >= best - tolerance), key=lambda c: c[0])
    if mode == "float":
        return x
    return exact if exact is not None else sympy.Float(x)


def _setup(
    items: Sequence[Item], ret: Retention, family: Family
) -> tuple[list[sympy.Expr | float], Mode, Callable[[float], float]]:
    mode = mode_of(*input_values(items, ret))
    if mode == "symbolic":
        raise ConvMathError("meals and retention must be numbers here, not symbols; use food_content_expr")
    points = breakpoints_of(items, ret, family)
    assert points is not None
    if mode == "float":
        points = sorted({float(p) for p in points})
    return points, mode, _float_content(items, ret, family)


def _golden_max(fn: Callable[[float], float], lo: float, hi: float) -> float:
    ratio = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    for _ in range(200):
        if b - a <= 1e-13 * max(1.0, abs(a)):
            break
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if fn(c) >= fn(d):
            b = d
        else:
            a = c
    return (a + b) / 2


def time_below(
    level: Number, meals: Meals, retention: RetentionLike, *, after: Number | None = None, horizon: Number | None = None
) -> sympy.Expr | float:
    r"""The first time, at or after ``after``, when the content is at most ``level``.

    Parameters
    ----------
    level : number
        A non-negative amount of food.
    meals, retention
        As for :func:`food_content` (numbers, no symbols).
    after : number, optional
        Start looking here; by default at the end of the last meal.
    horizon : number, optional
        Give up after this time; by default the search doubles its window
        up to 30 times past the last breakpoint.

    Returns
    -------
    sympy.Expr or float
        Exact when the inputs are exact and sympy solves the segment's
        closed form (e.g. ``log`` for exponential retention); otherwise a
        bisection root (a ``sympy.Float`` for exact inputs).

    Raises
    ------
    ConvMathError
        When the content never falls to ``level`` (e.g. ``g = 1``, or level
        0 with exponential retention).

    Examples
    --------
    >>> time_below(1, [("impulse", 0, 8)], ("exponential", sympy.log(2)))  # halves every hour: 8, 4, 2, 1
    3
    >>> time_below(50, [(7, 1, 300)], ("exponential", 1))  # 300 (1 - e^-1) e^-(t-8) = 50
    log(-1 + E) + log(6) + 7
    """
    items, ret, family = parse_inputs(meals, retention)
    level = real_number("level", level, where="the amount of food", minimum="nonnegative")
    points, mode, content = _setup(items, ret, family)
    flevel = float(level)
    start = _last_event(items) if after is None else real_number("after", after, where="the time")
    fstart = float(start)
    if content(fstart) <= flevel:
        return fstart if mode == "float" else sympy.sympify(start)
    limit = float(horizon) if horizon is not None else math.inf
    edges = [fstart] + [float(p) for p in points if fstart < float(p) < limit]
    step = max(edges[-1] - edges[0], 1.0)
    if float(level) == 0 and ret.kind == "exponential" and any(not isinstance(i, Intake) for i in items):
        raise ConvMathError("level=0 is never reached: exponential retention leaves a positive amount forever")
    _refuse_below_the_limit(level, items, ret)
    for _ in range(30):
        if edges[-1] >= limit:
            break
        edges.append(min(edges[-1] + step, limit))
        step *= 2
    for lo, hi in zip(edges, edges[1:]):
        grid = np.linspace(lo, hi, 33)
        below = [x for x in grid[1:] if content(x) <= flevel]
        if below:
            root = _bisect(content, flevel, grid[list(grid).index(below[0]) - 1], below[0])
            if mode == "float":
                return root
            return _exact_root(items, ret, family, level, root, lo, hi)
    raise ConvMathError(
        f"level={level} is never reached: the content stays above it up to t={edges[-1]:.6g} "
        f"(it is {content(edges[-1]):.6g} there)"
    )


def _refuse_below_the_limit(level: Number, items: Sequence[Item], ret: Retention) -> None:
    """A retention whose last step never ends keeps that fraction of every meal forever: refuse a level below it."""
    if not isinstance(ret, PiecewiseRetention) or ret.ends[-1] != sympy.oo or any(isinstance(i, Intake) for i in items):
        return
    eaten = sum(
        (
            sympy.sympify(i.rate) * i.duration if isinstance(i, Meal) else sympy.sympify(i.amount)
            for i in items
            if not isinstance(i, Intake)
        ),
        start=sympy.S.Zero,
    )
    forever = sympy.sympify(ret.levels[-1]) * eaten
    if forever.is_number and bool(forever > level):
        raise ConvMathError(
            f"level={level} is never reached: the retention keeps {ret.levels[-1]} of every meal "
            f"forever (its last step never ends), so the content tends to {forever}"
        )


def _last_event(items: Sequence[Item]) -> sympy.Expr:
    ends = [
        sympy.sympify(i.start) + i.duration if isinstance(i, Meal) else sympy.sympify(i.time)
        for i in items
        if not isinstance(i, Intake)
    ]
    return max(ends, key=float) if ends else sympy.S.Zero


def _bisect(fn: Callable[[float], float], level: float, lo: float, hi: float) -> float:
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (lo, mid) if fn(mid) <= level else (mid, hi)
    return hi


def _exact_root(
    items: Sequence[Item], ret: Retention, family: Family, level: Number, root: float, lo: float, hi: float
) -> sympy.Expr:
    for point in breakpoints_of(items, ret, family) or []:
        near = abs(float(point) - root) <= 1e-7 * max(1.0, abs(root))
        if near and bool(content_at(point, items, ret, family, "exact") <= level):
            return point
    rational = sympy.nsimplify(root, rational=True, tolerance=1e-9 * max(1.0, abs(root)))
    if _is_first_time_below(items, ret, family, level, rational):
        return rational  # a rational root, checked exactly (sympy's solvers may not give it)
    probe = sympy.nsimplify((max(lo, root - 1e-9) + min(hi, root + 1e-9)) / 2) if hi > lo else sympy.nsimplify(root)
    expr = segment_of(sympy.Add(*content_terms(items, ret, family)), probe)
    expr = sympy.collect(sympy.expand(expr), [e for e in sympy.expand(expr).atoms(sympy.exp) if e.has(t)])
    try:
        solutions = sympy.solve(sympy.Eq(expr, level), t)
    except NotImplementedError:  # pragma: no cover - depends on sympy's solvers
        solutions = []
    for solution in solutions:
        value = complex(sympy.N(solution))
        if abs(value.imag) < 1e-12 and abs(value.real - root) <= 1e-7 * max(1.0, abs(root)):
            return solution
    return sympy.Float(root)


def _is_first_time_below(
    items: Sequence[Item], ret: Retention, family: Family, level: Number, time: sympy.Expr
) -> bool:
    """True when the content is exactly ``level`` at ``time`` (exact arithmetic): the root, not a neighbour."""
    if not isinstance(time, sympy.Rational):
        return False
    return bool(sympy.simplify(content_at(time, items, ret, family, "exact") - level) == 0)
