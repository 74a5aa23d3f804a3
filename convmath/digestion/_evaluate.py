"""Evaluation shared by the public functions: inputs parsed, exact, float or symbolic mode, content at a time,
breakpoints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import sympy

from ..errors import ConvMathError
from ._families import Family, G_at, Mode, derive_family, g_at, intake_family
from ._inputs import (
    SINCE,
    TAU,
    UPPER,
    Impulse,
    Intake,
    Item,
    Meal,
    Meals,
    Number,
    Retention,
    RetentionLike,
    family_key,
    parse_meals,
    parse_retention,
    retention_expression,
    t,
)

__all__ = []


# --- evaluation -------------------------------------------------------------------
def parse_inputs(meals: Meals, retention: RetentionLike) -> tuple[tuple[Item, ...], Retention, Family]:
    items, ret = parse_meals(meals), parse_retention(retention)
    return items, ret, derive_family(family_key(ret))


def input_values(items: Sequence[Item], ret: Retention) -> list[Number]:
    """Every number (or expression) the inputs hold, for :func:`mode_of`; an intake's own variable is not a symbol."""
    out: list[Number] = list(ret.params)
    for item in items:
        out.extend(vars(item).values() if not isinstance(item, Intake) else [item.expr.xreplace({t: TAU})])
    if retention_expression(ret) is not None:
        out.append(retention_expression(ret))
    return out


def mode_of(*values: object) -> Mode:
    """``float`` if any input is a float, ``symbolic`` if any has free symbols, else ``exact``."""
    mode: Mode = "exact"
    for value in values:
        if isinstance(value, float):
            mode = "float"
        elif isinstance(value, sympy.Basic):
            if value.free_symbols - {TAU, SINCE}:
                return "symbolic"
            if value.has(sympy.Float):
                mode = "float"
    return mode


def convert_to(value: Number, mode: Mode) -> float | sympy.Expr:
    if mode == "float":
        return float(value)
    return sympy.sympify(value)


def exponential_pulse(since: float, duration: float, lam: float) -> float:
    r"""``G(a) - G(a - D)`` for ``g = e^{-lam s}`` in floats, without cancelling two values near ``1/lam``.

    .. math:: G(a) - G(a - D) = e^{-\lambda (a - D)} \, (1 - e^{-\lambda D}) / \lambda \quad (a \ge D),
              \qquad (1 - e^{-\lambda a}) / \lambda \quad (0 < a < D),

    with ``1 - e^{-x}`` as ``-expm1(-x)``, exact to the last bits even when tiny.
    """
    if since <= 0:
        return 0.0
    if since <= duration:
        return -math.expm1(-lam * since) / lam
    return math.exp(-lam * (since - duration)) * -math.expm1(-lam * duration) / lam


def content_at(
    time: float | sympy.Expr, items: Sequence[Item], ret: Retention, family: Family, mode: Mode
) -> float | sympy.Expr:
    params = tuple(convert_to(p, mode) for p in ret.params)
    total: float | sympy.Expr = 0.0 if mode == "float" else sympy.S.Zero
    stable = mode == "float" and ret.kind == "exponential"
    for item in items:
        if isinstance(item, Meal):
            start, duration, rate = (convert_to(v, mode) for v in (item.start, item.duration, item.rate))
            since = time - start
            if stable:
                total += rate * exponential_pulse(since, duration, params[0])
                continue
            total += rate * (G_at(family, since, params, mode) - G_at(family, since - duration, params, mode))
        elif isinstance(item, Impulse):
            total += convert_to(item.amount, mode) * g_at(family, time - convert_to(item.time, mode), params, mode)
        else:
            _, as_float, as_exact = intake_family(item.expr, family_key(ret))
            if bool(time > 0):
                total += (as_float if mode == "float" else as_exact)(time, *params)
    return float(total) if mode == "float" else total


def content_array(
    times: npt.ArrayLike, items: Sequence[Item], ret: Retention, family: Family
) -> npt.NDArray[np.float64]:
    """:func:`food_content` at every time of an array, as float64 of the same shape."""
    try:
        grid = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ConvMathError(f"t={times!r} must be a number, a sympy expression or an array of numbers") from err
    if not np.all(np.isfinite(grid)):
        raise ConvMathError(f"t={times!r} must hold finite times")
    if mode_of(*input_values(items, ret)) == "symbolic":
        raise ConvMathError("an array of times needs numeric meals and retention, not symbols")
    flat = [content_at(float(x), items, ret, family, "float") for x in grid.ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(grid.shape)


def shifted(
    family: Family, values: dict[sympy.Symbol, sympy.Expr], which: Literal["g", "G"], shift: sympy.Expr
) -> sympy.Expr:
    """``G(t - shift)`` or ``g(t - shift)`` as a Piecewise in ``t`` with conditions ``t < shift + hi``."""
    args: list[tuple[sympy.Expr, sympy.Basic | bool]] = [(sympy.S.Zero, t < shift)]
    for piece in family.pieces:
        expr = getattr(piece, which).xreplace(values).xreplace({UPPER: t - shift, SINCE: t - shift})
        hi = piece.hi.xreplace(values)
        args.append((expr, True if hi == sympy.oo else t < shift + hi))
    return sympy.Piecewise(*args)


def content_terms(items: Sequence[Item], ret: Retention, family: Family) -> list[sympy.Expr]:
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    terms = []
    for item in items:
        if isinstance(item, Meal):
            start, end = sympy.sympify(item.start), sympy.sympify(item.start) + item.duration
            terms.append(item.rate * (shifted(family, values, "G", start) - shifted(family, values, "G", end)))
        elif isinstance(item, Impulse):
            terms.append(item.amount * shifted(family, values, "g", sympy.sympify(item.time)))
        else:
            terms.append(intake_family(item.expr, family_key(ret))[0].xreplace(values))
    return terms


def by_segment(total: sympy.Expr, points: list[sympy.Expr]) -> sympy.Expr:
    """Fold a sum of Piecewise terms into one Piecewise over the segments between ``points``."""
    bounds = [points[0] - 1] + [(lo + hi) / 2 for lo, hi in zip(points, points[1:])] + [points[-1] + 1]
    exprs = [segment_of(total, probe) for probe in bounds]
    args: list[tuple[sympy.Expr, sympy.Basic | bool]] = []
    for expr, point in zip(exprs, points):
        if args and args[-1][0] == expr:
            args[-1] = (expr, t < point)
        else:
            args.append((expr, t < point))
    args.append((exprs[-1], True)) if not args or args[-1][0] != exprs[-1] else args.__setitem__(-1, (exprs[-1], True))
    return sympy.Piecewise(*args)


def segment_of(expr: sympy.Expr, probe: sympy.Expr) -> sympy.Expr:
    """The expression that ``expr`` (a sum of Piecewise in ``t``) equals near ``t = probe``."""

    def pick(pw: sympy.Piecewise) -> sympy.Expr:
        for value, cond in pw.args:
            if cond is sympy.true or bool(cond.xreplace({t: probe})):
                return value
        return sympy.nan  # pragma: no cover - every Piecewise here ends with True

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), pick)


def breakpoints_of(items: Sequence[Item], ret: Retention, family: Family) -> list[sympy.Expr] | None:
    """Sorted times where the content may have a kink or a jump; None when some are symbols."""
    events: list[sympy.Expr] = []
    for item in items:
        if isinstance(item, Meal):
            events += [sympy.sympify(item.start), sympy.sympify(item.start) + item.duration]
        elif isinstance(item, Impulse):
            events.append(sympy.sympify(item.time))
        else:
            events.append(sympy.S.Zero)
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    offsets = {sympy.S.Zero} | {p.hi.xreplace(values) for p in family.pieces if p.hi != sympy.oo}
    if ret.kind == "expression":
        offsets |= expression_kinks(retention_expression(ret))
    points = {event + offset for event in events for offset in offsets}
    if any(not point.is_number for point in points):
        return None
    return sorted((p for p in points if p.is_finite is not False), key=lambda p: float(p))


def expression_kinks(expr: sympy.Expr) -> set[sympy.Expr]:
    """Positive roots of the Heaviside arguments and Piecewise conditions of a retention (best effort)."""
    found: set[sympy.Expr] = set()
    arguments = [h.args[0] for h in expr.atoms(sympy.Heaviside)]
    arguments += [rel.lhs - rel.rhs for rel in expr.atoms(sympy.core.relational.Relational)]
    for arg in arguments:
        poly = sympy.Poly(arg, SINCE) if arg.is_polynomial(SINCE) else None
        if poly is not None and poly.degree() == 1:
            root = sympy.solve(arg, SINCE)[0]
            if root.is_number and root > 0:
                found.add(root)
    return found


def default_horizon(items: Sequence[Item], ret: Retention, points: Sequence[sympy.Expr | float]) -> float:
    """How far :func:`peak_time` looks: past the last breakpoint by the span of the meals, at least ``40 / lam``
    hours for exponential retention (a factor ``e^-40`` left) and 24 hours for a retention expression."""
    if not points:  # nothing eaten: a day from time 0
        return 24.0
    last = float(points[-1])
    span = max(last - float(points[0]), 1.0)
    if ret.kind == "exponential":
        return last + max(span, 40.0 / float(ret.params[0]))
    if ret.kind == "expression":
        return last + max(span, 24.0)
    return last + span
