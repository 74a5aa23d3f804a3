"""Inputs of the digestion model: meals, retentions (small frozen dataclasses) and their validation."""

from __future__ import annotations

import fractions
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

import sympy

from .._validate import check_choice, fmt
from ..errors import ConvMathError

__all__ = [
    "t",
    "Meal",
    "Impulse",
    "Intake",
    "as_meals",
    "as_retention",
    "ExponentialRetention",
    "LinearRetention",
    "PiecewiseRetention",
    "ExpressionRetention",
    "EXAMPLE_MEALS",
    "EXAMPLE_RETENTION",
]


t = sympy.Symbol("t", real=True)
"""The time variable of every closed form returned here."""


SINCE = sympy.Symbol("s", real=True)  # time since a meal: the retention's variable
UPPER = sympy.Symbol("x", nonnegative=True)  # the upper limit of G(x) = int_0^x g
UPPER_INTAKE = sympy.Symbol("y", nonnegative=True)  # the upper limit of an expression-intake integral
TAU = sympy.Symbol("tau", real=True)
KINDS = ("exponential", "linear", "piecewise")


STRUCTURE = (sympy.Heaviside, sympy.Piecewise, sympy.DiracDelta, sympy.Max, sympy.Min, sympy.Abs, sympy.sign)


Number: TypeAlias = int | float | fractions.Fraction | sympy.Expr
"""A time or an amount: exact (``int``, ``Fraction``, a sympy number or symbol) or a ``float``."""


@dataclass(frozen=True)
class Meal:
    """A meal eaten at a constant rate: a rectangular pulse of intake."""

    start: Number
    """When eating starts (hours; any real, a sympy number or symbol)."""
    duration: Number
    """How long eating lasts (positive)."""
    rate: Number
    """Amount eaten per hour while eating (non-negative)."""


@dataclass(frozen=True)
class Impulse:
    """An instantaneous meal: ``amount * DiracDelta(t - time)``."""

    time: Number
    """When it is eaten."""
    amount: Number
    """How much is eaten (non-negative)."""


@dataclass(frozen=True)
class Intake:
    """An intake rate given as an expression of time, eaten from time 0 on (nothing before 0)."""

    expr: sympy.Expr
    """The rate as an expression of :data:`t`."""


Item: TypeAlias = Meal | Impulse | Intake
"""A validated meal: what :func:`as_meals` returns one of per meal."""


@dataclass(frozen=True)
class ExponentialRetention:
    """``g(s) = exp(-lam s)``: the same fraction of what is left is digested every hour."""

    lam: Number
    """The digestion rate (positive, per hour)."""
    kind: ClassVar[str] = "exponential"

    @property
    def params(self) -> tuple[Number, ...]:
        """The parameter values, in the order of the family's symbols."""
        return (self.lam,)


@dataclass(frozen=True)
class LinearRetention:
    """``g(s) = max(0, 1 - s/T)``: everything is digested, evenly, within ``T`` hours."""

    T: Number
    """The time until a meal is fully digested (positive, hours)."""
    kind: ClassVar[str] = "linear"

    @property
    def params(self) -> tuple[Number, ...]:
        """The parameter values, in the order of the family's symbols."""
        return (self.T,)


@dataclass(frozen=True)
class PiecewiseRetention:
    """``g(s) = levels[k]`` from ``ends[k-1]`` to ``ends[k]`` (``ends[-1]`` may be ``oo``), zero after."""

    ends: tuple[Number, ...]
    """Increasing positive end times of the steps (the first step starts at 0)."""
    levels: tuple[Number, ...]
    """The retained fraction on each step, in ``[0, 1]``."""
    kind: ClassVar[str] = "piecewise"

    @property
    def params(self) -> tuple[Number, ...]:
        """The parameter values: the ends, then the levels."""
        return (*self.ends, *self.levels)


@dataclass(frozen=True)
class ExpressionRetention:
    """``g`` given as a sympy expression for ``s >= 0`` (non-negative, at most 1 at ``s = 0``)."""

    expr: sympy.Expr
    """``g(s)``, in the real symbol ``s`` (the hours since a meal)."""
    kind: ClassVar[str] = "expression"

    @property
    def params(self) -> tuple[Number, ...]:
        """No parameters: the expression is its own family."""
        return ()


Retention: TypeAlias = ExponentialRetention | LinearRetention | PiecewiseRetention | ExpressionRetention
"""A validated retention shape."""

RetentionLike: TypeAlias = (
    Retention | tuple[str, Number] | tuple[str, Sequence[tuple[Number, Number]]] | sympy.Expr | int | float
)
"""What the public functions accept as ``retention``: a shape, ``("exponential", lam)``, ``("linear", T)``,
``("piecewise", [(end, level), ...])``, or an expression of one variable."""

MealLike: TypeAlias = Meal | Impulse | Intake | tuple[Number, Number, Number] | tuple[str, Number, Number] | sympy.Expr
"""One meal: ``(start, duration, rate)``, :class:`Meal`, ``("impulse", time, amount)``, :class:`Impulse`, an intake
expression or :class:`Intake`."""

Meals: TypeAlias = Sequence[MealLike] | Meal | Impulse | Intake | sympy.Expr
"""What the public functions accept as ``meals``."""


FamilyKey: TypeAlias = tuple[str, int | sympy.Expr | None]
"""The cache key of a retention family: its kind, with the number of steps or the expression."""


def family_key(retention: Retention) -> FamilyKey:
    """The cache key of a retention's family: its kind, and the number of steps or the expression."""
    if isinstance(retention, PiecewiseRetention):
        return (retention.kind, len(retention.ends))
    if isinstance(retention, ExpressionRetention):
        return (retention.kind, retention.expr)
    return (retention.kind, None)


def retention_expression(retention: Retention) -> sympy.Expr | None:
    """The expression of an :class:`ExpressionRetention`, None for the parametric shapes."""
    return retention.expr if isinstance(retention, ExpressionRetention) else None


# --- validation -----------------------------------------------------------------
def real_number(name: str, value: object, *, where: str, minimum: str | None = None) -> Number:
    """A real number (int, float, Fraction, sympy number) or a real sympy expression."""
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        raise ConvMathError(f"{fmt(name, value)} must be a real number ({where})")
    if isinstance(value, sympy.Rational):  # fast path: the sign of p/q without sympy's assumption system
        sign: int | None = (value.p > 0) - (value.p < 0)
        return check_sign(name, value, sign, where, minimum)
    if isinstance(value, sympy.Basic):
        pass
    elif isinstance(value, numbers.Real):
        if isinstance(value, numbers.Integral):
            value = int(value)
        elif isinstance(value, fractions.Fraction):
            value = sympy.Rational(value.numerator, value.denominator)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ConvMathError(f"{fmt(name, value)} must be finite ({where})")
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr) or value.is_real is False:
            raise ConvMathError(f"{fmt(name, value)} must be real ({where})")
    elif not isinstance(value, (int, float)):
        raise ConvMathError(f"{fmt(name, value)} must be a real number, not {type(value).__name__} ({where})")
    if isinstance(value, (int, float)):
        sign = (value > 0) - (value < 0)
    elif minimum is None:
        sign = None
    else:
        sign = -1 if value.is_negative else 0 if value.is_zero else 1 if value.is_positive else None
        if sign is None and minimum == "positive" and value.is_nonpositive:
            sign = 0
    return check_sign(name, value, sign, where, minimum)


def check_sign(name: str, value: Number, sign: int | None, where: str, minimum: str | None) -> Number:
    """Refuse a value whose sign (``-1, 0, 1``, or None when unknown) breaks ``minimum``."""
    if minimum == "positive" and sign is not None and sign <= 0:
        raise ConvMathError(f"{fmt(name, value)} must be positive ({where})")
    if minimum == "nonnegative" and sign is not None and sign < 0:
        raise ConvMathError(f"{fmt(name, value)} must be non-negative ({where})")
    return value


def parse_meal(index: int, item: object) -> Item:
    where = f"meals[{index}]"
    if isinstance(item, Intake):
        item = item.expr
    if isinstance(item, (sympy.Expr, sympy.Basic)):
        return parse_intake(index, item)
    if isinstance(item, Impulse) or (
        isinstance(item, (tuple, list)) and len(item) == 3 and isinstance(item[0], str) and item[0] == "impulse"
    ):
        time, amount = (item.time, item.amount) if isinstance(item, Impulse) else item[1:]
        return Impulse(
            real_number("time", time, where=where), real_number("amount", amount, where=where, minimum="nonnegative")
        )
    if isinstance(item, Meal):
        item = (item.start, item.duration, item.rate)
    if not isinstance(item, (tuple, list)) or len(item) != 3 or isinstance(item[0], str):
        raise ConvMathError(
            f"{where}={item!r} is not a meal; use (start, duration, rate), ('impulse', time, amount) "
            "or a sympy expression"
        )
    start, duration, rate = item
    if is_real_number(duration) and duration == 0:
        raise ConvMathError(
            f"duration=0 must be positive ({where}; an instantaneous meal is ('impulse', time, amount))"
        )
    return Meal(
        real_number("start", start, where=where),
        real_number("duration", duration, where=where, minimum="positive"),
        real_number("rate", rate, where=where, minimum="nonnegative"),
    )


def parse_intake(index: int, expr: sympy.Basic) -> Intake:
    expr = sympy.sympify(expr)
    free = sorted(expr.free_symbols, key=str)
    if len(free) > 1:
        raise ConvMathError(f"meals[{index}]={expr} must be an expression of one variable; it has {free}")
    return Intake(expr.xreplace({free[0]: t}) if free else expr)


def parse_meals(meals: object) -> tuple[Item, ...]:
    if isinstance(meals, (sympy.Basic, Meal, Impulse, Intake)):
        meals = [meals]
    if not isinstance(meals, (list, tuple)) or (len(meals) == 3 and is_real_number(meals[0])):
        raise ConvMathError(f"meals={meals!r} must be a list of meals, e.g. [(7, 0.5, 800)]")
    return tuple(parse_meal(index, item) for index, item in enumerate(meals))


def parse_retention(retention: object) -> Retention:
    if isinstance(retention, ExponentialRetention):
        retention = ("exponential", retention.lam)
    elif isinstance(retention, LinearRetention):
        retention = ("linear", retention.T)
    elif isinstance(retention, PiecewiseRetention):
        retention = ("piecewise", list(zip(retention.ends, retention.levels)))
    elif isinstance(retention, ExpressionRetention):
        retention = retention.expr
    if isinstance(retention, (tuple, list)) and retention and isinstance(retention[0], str):
        kind = check_choice("retention kind", retention[0], KINDS, extra=", or pass a sympy expression")
        if len(retention) != 2:
            raise ConvMathError(f"retention={tuple(retention)!r} must be ({kind!r}, parameter)")
        if kind == "exponential":
            where = "retention ('exponential', lam) is exp(-lam*t)"
            return ExponentialRetention(real_number("lam", retention[1], where=where, minimum="positive"))
        if kind == "linear":
            where = "retention ('linear', T) is max(0, 1 - t/T)"
            return LinearRetention(real_number("T", retention[1], where=where, minimum="positive"))
        return piecewise_retention(retention[1])
    if isinstance(retention, (numbers.Real, sympy.Basic)) and not isinstance(retention, bool):
        return expression_retention(sympy.sympify(retention))
    raise ConvMathError(
        f"retention={retention!r} is not allowed; use ('exponential', lam), ('linear', T), "
        "('piecewise', [(end, level), ...]) or a sympy expression"
    )


def piecewise_retention(steps: object) -> Retention:
    where = "retention ('piecewise', [(end, level), ...])"
    if (
        not isinstance(steps, (list, tuple))
        or not steps
        or not all(isinstance(step, (list, tuple)) and len(step) == 2 for step in steps)
    ):
        raise ConvMathError(f"steps={steps!r} must be a non-empty list of (end, level) pairs ({where})")
    ends = [
        step[0] if step[0] in (sympy.oo, math.inf) else real_number("end", step[0], where=where, minimum="positive")
        for step in steps
    ]
    ends = [sympy.oo if end == math.inf else end for end in ends]
    levels = [real_number("level", step[1], where=where, minimum="nonnegative") for step in steps]
    for level in levels:
        if is_real_number(level) and level > 1:
            raise ConvMathError(
                f"{fmt('level', level)} must be at most 1: a retained fraction lies in [0, 1] ({where})"
            )
    for before, after in zip(ends, ends[1:]):
        if is_real_number(before) and (after == sympy.oo or is_real_number(after)) and not after > before:
            raise ConvMathError(f"end={after} must be larger than the end before it, {before} ({where})")
    return PiecewiseRetention(tuple(ends), tuple(levels))


def expression_retention(expr: sympy.Expr) -> Retention:
    free = sorted(expr.free_symbols, key=str)
    if len(free) > 1:
        raise ConvMathError(f"retention={expr} must be an expression of one variable; it has {free}")
    g0 = expr.xreplace({free[0]: SINCE}) if free else expr
    if g0.has(*STRUCTURE):
        for probe in (sympy.Rational(-1, 1000), sympy.Rational(-1, 2), -1, -2, -10):
            value = g0.subs(SINCE, probe)
            value = value.rewrite(sympy.Piecewise) if value.has(sympy.Heaviside) else value
            if sympy.N(value) != 0:
                raise ConvMathError(
                    f"retention={expr} is not zero for negative time (at {free[0]}={probe} it is {value}); "
                    "a retention is zero before the meal: give its formula for t >= 0 only"
                )
    elif g0.is_number and g0.is_negative:
        raise ConvMathError(f"retention={expr} must be non-negative")
    else:
        start = g0.xreplace({SINCE: sympy.S.Zero})
        if start.is_number and start.is_real and start > 1:
            at = "" if g0.is_number else f" (at {free[0]}=0 it is {start})"
            raise ConvMathError(f"retention={expr} must be at most 1{at}: a retained fraction lies in [0, 1]")
    check_nonnegative_retention(expr, g0, free[0] if free else SINCE)
    return ExpressionRetention(g0)


#: Times (hours since the meal) where a retention expression is probed for a negative value
#: when sympy cannot decide its sign: dense early on, then out to a week.
SIGN_PROBES = tuple(sympy.Rational(k, 8) for k in range(0, 97)) + tuple(sympy.Integer(k) for k in range(13, 169))


def check_nonnegative_retention(expr: sympy.Expr, g0: sympy.Expr, name: sympy.Symbol) -> None:
    """Refuse a retention that goes negative for some ``s >= 0`` (a negative amount of food left)."""
    since = sympy.Symbol("s", nonnegative=True)
    if g0.xreplace({SINCE: since}).is_nonnegative:
        return
    fn = sympy.lambdify(SINCE, g0, ["math", "mpmath", "sympy"])
    for probe in SIGN_PROBES:
        try:
            value = float(fn(float(probe)))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        exact = g0.subs(SINCE, probe)
        if value < 0 and float(exact.evalf()) < 0:
            shown = exact if exact.is_Rational else f"{float(exact.evalf()):.6g}"
            raise ConvMathError(
                f"retention={expr} goes negative (at {name}={probe} it is {shown}): a retained fraction lies in [0, 1]"
            )


def is_real_number(value: object) -> bool:
    return isinstance(value, numbers.Real) or (isinstance(value, sympy.Expr) and value.is_number)


# --- the validated forms, public -----------------------------------------------------
def as_meals(meals: Meals) -> tuple[Item, ...]:
    """The meals validated, one :class:`Meal`, :class:`Impulse` or :class:`Intake` each.

    Parameters
    ----------
    meals : list
        As for :func:`~convmath.digestion.food_content`: ``(start, duration, rate)`` triples, ``("impulse", time,
        amount)``, sympy expressions of one variable (an intake rate from time 0 on), or the classes themselves.

    Returns
    -------
    tuple of Meal, Impulse and Intake
        In the order given; a ``Fraction`` becomes a sympy ``Rational`` and an intake expression is rewritten in
        :data:`t`. Every function of :mod:`convmath.digestion` accepts the result as ``meals``.

    Raises
    ------
    ConvMathError
        When a meal is malformed, naming it (``meals[1]``) and the value at fault.

    Examples
    --------
    >>> as_meals([(7, 0.5, 800), ("impulse", 12, 50)])
    (Meal(start=7, duration=0.5, rate=800), Impulse(time=12, amount=50))
    >>> x = sympy.Symbol("x")
    >>> as_meals([x / 2])
    (Intake(expr=t/2),)
    >>> as_meals([(7, 0, 800)])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: duration=0 must be positive
    (meals[0]; an instantaneous meal is ('impulse', time, amount))
    """
    return parse_meals(meals)


def as_retention(retention: RetentionLike) -> Retention:
    """The retention validated, as one of the four shape classes.

    Parameters
    ----------
    retention : tuple or sympy.Expr
        ``("exponential", lam)``, ``("linear", T)``, ``("piecewise", [(end, level), ...])``, an expression of one
        variable, or a shape class itself.

    Returns
    -------
    ExponentialRetention, LinearRetention, PiecewiseRetention or ExpressionRetention
        Every function of :mod:`convmath.digestion` accepts the result as ``retention``.

    Raises
    ------
    ConvMathError
        When a parameter is out of range, naming it and the allowed values.

    Examples
    --------
    >>> as_retention(("exponential", sympy.Rational(1, 2)))
    ExponentialRetention(lam=1/2)
    >>> as_retention(("piecewise", [(1, 1), (3, 0.5)]))
    PiecewiseRetention(ends=(1, 3), levels=(1, 0.5))
    >>> as_retention(("linear", -2))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: T=-2 must be positive (retention ('linear', T) is max(0, 1 - t/T))
    """
    return parse_retention(retention)


EXAMPLE_MEALS: tuple[Meal, ...] = (
    Meal(7, sympy.Rational(1, 2), 800),
    Meal(12, sympy.Rational(3, 4), 1000),
    Meal(sympy.Rational(37, 2), 1, 800),
)
"""Breakfast 7:00-7:30 (400 g), lunch 12:00-12:45 (750 g), dinner 18:30-19:30 (800 g); rates in g/h."""


EXAMPLE_RETENTION: tuple[str, Number] = ("exponential", sympy.Rational(1, 2))
"""Half of what is in the stomach is digested every ``2 ln 2 ≈ 1.39`` hours."""
