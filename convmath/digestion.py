r"""Continuous convolution through the food-digestion model (d2l lecture 19).

A person eats ``f(t)`` (food per hour) and a meal eaten ``s`` hours ago is
still ``g(s)`` undigested (a fraction, zero for ``s < 0``). The food in the
stomach at time ``t`` is the convolution

.. math:: c(t) = (f * g)(t) = \int_{-\infty}^{\infty} f(\tau)\, g(t - \tau)\, d\tau .

``g`` appears flipped because a meal eaten at ``tau`` has been digesting for
``t - tau`` hours; with no digestion (``g = 1``) the content is the
cumulative intake.

Inputs
------
``meals`` is a list of

* ``(start, duration, rate)`` triples or :class:`Meal`: a rectangular pulse,
  ``rate`` per hour from ``start`` to ``start + duration``;
* ``("impulse", time, amount)`` or :class:`Impulse`: an instantaneous meal,
  ``amount * DiracDelta(t - time)``;
* a sympy expression of one variable: an intake rate from time 0 on (zero
  before 0). Slow: one symbolic integration per expression, cached.

``retention`` is ``("exponential", lam)`` (``exp(-lam s)``), ``("linear", T)``
(``max(0, 1 - s/T)``), ``("piecewise", [(end_1, level_1), ...])`` (``level_k``
from ``end_{k-1}`` to ``end_k`` with ``end_0 = 0``, zero after the last end,
which may be ``sympy.oo``), or a sympy expression of one variable: the
retention for ``s >= 0`` (a constant such as 1 included: no digestion). An
expression that states its own values for ``s < 0`` (``Heaviside``,
``Piecewise``) must make them zero.

How it is fast
--------------
A pulse of unit rate on ``[0, D)`` leaves ``G(t) - G(t - D)`` where
``G(x) = \int_0^x g`` (zero for ``x < 0``). ``G`` is derived once per
retention family with symbolic parameters (:func:`functools.lru_cache`),
compiled with ``lambdify``, and every meal is a shifted, scaled copy
(linearity and shift invariance). A new parameter set costs microseconds with
floats and well under a millisecond with exact numbers.

Examples
--------
Breakfast 7:00-7:30 at 800 g/h, half of what is left digested every
``ln 2 / lam`` hours:

>>> import sympy
>>> food_content(8, [(7, sympy.Rational(1, 2), 800)], ("exponential", 1))
-800*exp(-1) + 800*exp(-1/2)
>>> round(food_content(8.0, [(7, 0.5, 800)], ("exponential", 1)), 6)  # 800 (e^-1/2 - e^-1)
190.920975
>>> food_content(9, [(7, 1, 300)], 1)  # no digestion: everything eaten is still there
300
"""

from __future__ import annotations

import fractions
import functools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import mpmath
import numpy as np
import sympy

from ._validate import check_choice, fmt
from .errors import ConvMathError

__all__ = [
    "t",
    "Meal",
    "Impulse",
    "food_content",
    "food_content_expr",
    "retention_expr",
    "intake_expr",
    "peak_time",
    "time_below",
    "cumulative_intake",
    "food_content_quad",
    "discrete_food_content",
    "sampled_food_content",
    "EXAMPLE_MEALS",
    "EXAMPLE_RETENTION",
]

t = sympy.Symbol("t", real=True)
"""The time variable of every closed form returned here."""

_s = sympy.Symbol("s", real=True)  # time since a meal: the retention's variable
_x = sympy.Symbol("x", nonnegative=True)  # the upper limit of G(x) = int_0^x g
_y = sympy.Symbol("y", nonnegative=True)  # the upper limit of an expression-intake integral
_tau = sympy.Symbol("tau", real=True)
_KINDS = ("exponential", "linear", "piecewise")
_STRUCTURE = (sympy.Heaviside, sympy.Piecewise, sympy.DiracDelta, sympy.Max, sympy.Min, sympy.Abs, sympy.sign)


@dataclass(frozen=True)
class Meal:
    """A meal eaten at a constant rate: a rectangular pulse of intake."""

    start: Any
    """When eating starts (hours; any real, a sympy number or symbol)."""
    duration: Any
    """How long eating lasts (positive)."""
    rate: Any
    """Amount eaten per hour while eating (non-negative)."""


@dataclass(frozen=True)
class Impulse:
    """An instantaneous meal: ``amount * DiracDelta(t - time)``."""

    time: Any
    """When it is eaten."""
    amount: Any
    """How much is eaten (non-negative)."""


@dataclass(frozen=True)
class _Intake:
    """An intake rate given as an expression of time, from time 0 on."""

    expr: sympy.Expr
    """The rate as an expression of :data:`_tau`."""


Item = Union[Meal, Impulse, _Intake]


@dataclass(frozen=True)
class _Retention:
    """A validated retention: a family and its parameter values."""

    kind: str
    """``exponential``, ``linear``, ``piecewise`` or ``expression``."""
    params: tuple[Any, ...]
    """The parameter values, in the order of the family's symbols."""
    expr: sympy.Expr | None = None
    """For ``expression``: ``g(s)`` for ``s >= 0`` in the variable ``_s``."""

    @property
    def key(self) -> tuple[Any, ...]:
        if self.kind == "piecewise":
            return (self.kind, len(self.params) // 2)
        return (self.kind, self.expr)


@dataclass(frozen=True)
class _Piece:
    """One piece ``lo <= x < hi`` of a retention and of its running integral ``G``."""

    lo: sympy.Expr
    hi: sympy.Expr
    g: sympy.Expr
    G: sympy.Expr


@dataclass(frozen=True)
class _Family:
    """A retention family derived once with symbolic parameters, compiled both ways."""

    symbols: tuple[sympy.Symbol, ...]
    pieces: tuple[_Piece, ...]
    compiled: dict[str, tuple[Callable[..., Any], ...]]


# --- validation -----------------------------------------------------------------
def _number(name: str, value: Any, *, where: str, minimum: str | None = None) -> Any:
    """A real number (int, float, Fraction, sympy number) or a real sympy expression."""
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        raise ConvMathError(f"{fmt(name, value)} must be a real number ({where})")
    if isinstance(value, sympy.Rational):  # fast path: the sign of p/q without sympy's assumption system
        sign: Any = (value.p > 0) - (value.p < 0)
        return _check_sign(name, value, sign, where, minimum)
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
    return _check_sign(name, value, sign, where, minimum)


def _check_sign(name: str, value: Any, sign: int | None, where: str, minimum: str | None) -> Any:
    """Refuse a value whose sign (``-1, 0, 1``, or None when unknown) breaks ``minimum``."""
    if minimum == "positive" and sign is not None and sign <= 0:
        raise ConvMathError(f"{fmt(name, value)} must be positive ({where})")
    if minimum == "nonnegative" and sign is not None and sign < 0:
        raise ConvMathError(f"{fmt(name, value)} must be non-negative ({where})")
    return value


def _meal(index: int, item: Any) -> Item:
    where = f"meals[{index}]"
    if isinstance(item, (sympy.Expr, sympy.Basic)):
        return _intake(index, item)
    if isinstance(item, Impulse) or (isinstance(item, (tuple, list)) and len(item) == 3 and isinstance(item[0], str) and item[0] == "impulse"):
        time, amount = (item.time, item.amount) if isinstance(item, Impulse) else item[1:]
        return Impulse(_number("time", time, where=where), _number("amount", amount, where=where, minimum="nonnegative"))
    if isinstance(item, Meal):
        item = (item.start, item.duration, item.rate)
    if not isinstance(item, (tuple, list)) or len(item) != 3 or isinstance(item[0], str):
        raise ConvMathError(
            f"{where}={item!r} is not a meal; use (start, duration, rate), ('impulse', time, amount) or a sympy expression"
        )
    start, duration, rate = item
    if _is_real_number(duration) and duration == 0:
        raise ConvMathError(
            f"duration=0 must be positive ({where}; an instantaneous meal is ('impulse', time, amount))"
        )
    return Meal(
        _number("start", start, where=where),
        _number("duration", duration, where=where, minimum="positive"),
        _number("rate", rate, where=where, minimum="nonnegative"),
    )


def _intake(index: int, expr: Any) -> _Intake:
    expr = sympy.sympify(expr)
    free = sorted(expr.free_symbols, key=str)
    if len(free) > 1:
        raise ConvMathError(f"meals[{index}]={expr} must be an expression of one variable; it has {free}")
    return _Intake(expr.xreplace({free[0]: _tau}) if free else expr)


def _meals(meals: Any) -> tuple[Item, ...]:
    if isinstance(meals, (sympy.Basic, Meal, Impulse)):
        meals = [meals]
    if not isinstance(meals, (list, tuple)) or (len(meals) == 3 and _is_real_number(meals[0])):
        raise ConvMathError(f"meals={meals!r} must be a list of meals, e.g. [(7, 0.5, 800)]")
    return tuple(_meal(index, item) for index, item in enumerate(meals))


def _retention(retention: Any) -> _Retention:
    if isinstance(retention, (tuple, list)) and retention and isinstance(retention[0], str):
        kind = check_choice("retention kind", retention[0], _KINDS, extra=", or pass a sympy expression")
        if len(retention) != 2:
            raise ConvMathError(f"retention={tuple(retention)!r} must be ({kind!r}, parameter)")
        if kind == "exponential":
            where = "retention ('exponential', lam) is exp(-lam*t)"
            return _Retention(kind, (_number("lam", retention[1], where=where, minimum="positive"),))
        if kind == "linear":
            where = "retention ('linear', T) is max(0, 1 - t/T)"
            return _Retention(kind, (_number("T", retention[1], where=where, minimum="positive"),))
        return _piecewise_retention(retention[1])
    if isinstance(retention, (numbers.Real, sympy.Basic)) and not isinstance(retention, bool):
        return _expression_retention(sympy.sympify(retention))
    raise ConvMathError(
        f"retention={retention!r} is not allowed; use ('exponential', lam), ('linear', T), "
        "('piecewise', [(end, level), ...]) or a sympy expression"
    )


def _piecewise_retention(steps: Any) -> _Retention:
    where = "retention ('piecewise', [(end, level), ...])"
    if not isinstance(steps, (list, tuple)) or not steps or not all(
        isinstance(step, (list, tuple)) and len(step) == 2 for step in steps
    ):
        raise ConvMathError(f"steps={steps!r} must be a non-empty list of (end, level) pairs ({where})")
    ends = [step[0] if step[0] in (sympy.oo, math.inf) else _number("end", step[0], where=where, minimum="positive")
            for step in steps]
    ends = [sympy.oo if end == math.inf else end for end in ends]
    levels = [_number("level", step[1], where=where, minimum="nonnegative") for step in steps]
    for level in levels:
        if _is_real_number(level) and level > 1:
            raise ConvMathError(f"{fmt('level', level)} must be at most 1: a retained fraction lies in [0, 1] ({where})")
    for before, after in zip(ends, ends[1:]):
        if _is_real_number(before) and (after == sympy.oo or _is_real_number(after)) and not after > before:
            raise ConvMathError(f"end={after} must be larger than the end before it, {before} ({where})")
    return _Retention("piecewise", (*ends, *levels))


def _expression_retention(expr: sympy.Expr) -> _Retention:
    free = sorted(expr.free_symbols, key=str)
    if len(free) > 1:
        raise ConvMathError(f"retention={expr} must be an expression of one variable; it has {free}")
    g0 = expr.xreplace({free[0]: _s}) if free else expr
    if g0.has(*_STRUCTURE):
        for probe in (sympy.Rational(-1, 1000), sympy.Rational(-1, 2), -1, -2, -10):
            value = g0.subs(_s, probe)
            value = value.rewrite(sympy.Piecewise) if value.has(sympy.Heaviside) else value
            if sympy.N(value) != 0:
                raise ConvMathError(
                    f"retention={expr} is not zero for negative time (at {free[0]}={probe} it is {value}); "
                    "a retention is zero before the meal: give its formula for t >= 0 only"
                )
    elif g0.is_number and g0.is_negative:
        raise ConvMathError(f"retention={expr} must be non-negative")
    else:
        start = g0.xreplace({_s: sympy.S.Zero})
        if start.is_number and start.is_real and start > 1:
            at = "" if g0.is_number else f" (at {free[0]}=0 it is {start})"
            raise ConvMathError(f"retention={expr} must be at most 1{at}: a retained fraction lies in [0, 1]")
    _check_nonnegative_retention(expr, g0, free[0] if free else _s)
    return _Retention("expression", (), g0)


#: Times (hours since the meal) where a retention expression is probed for a negative value
#: when sympy cannot decide its sign: dense early on, then out to a week.
_SIGN_PROBES = tuple(sympy.Rational(k, 8) for k in range(0, 97)) + tuple(sympy.Integer(k) for k in range(13, 169))


def _check_nonnegative_retention(expr: sympy.Expr, g0: sympy.Expr, name: sympy.Symbol) -> None:
    """Refuse a retention that goes negative for some ``s >= 0`` (a negative amount of food left)."""
    since = sympy.Symbol("s", nonnegative=True)
    if g0.xreplace({_s: since}).is_nonnegative:
        return
    fn = sympy.lambdify(_s, g0, ["math", "mpmath", "sympy"])
    for probe in _SIGN_PROBES:
        try:
            value = float(fn(float(probe)))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
        exact = g0.subs(_s, probe)
        if value < 0 and float(exact.evalf()) < 0:
            shown = exact if exact.is_Rational else f"{float(exact.evalf()):.6g}"
            raise ConvMathError(f"retention={expr} goes negative (at {name}={probe} it is {shown}): "
                                "a retained fraction lies in [0, 1]")


def _is_real_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) or (isinstance(value, sympy.Expr) and value.is_number)


# --- the families, derived once ------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _family(key: tuple[Any, ...]) -> _Family:
    """Derive ``g`` and ``G(x) = int_0^x g`` piece by piece with symbolic parameters."""
    kind, detail = key
    if kind == "exponential":
        lam = sympy.Symbol("lambda", positive=True)
        symbols: tuple[sympy.Symbol, ...] = (lam,)
        raw = [(sympy.S.Zero, sympy.oo, sympy.exp(-lam * _s))]
    elif kind == "linear":
        T = sympy.Symbol("T", positive=True)
        symbols = (T,)
        raw = [(sympy.S.Zero, T, 1 - _s / T), (T, sympy.oo, sympy.S.Zero)]
    elif kind == "piecewise":
        ends = sympy.symbols(f"e1:{detail + 1}", positive=True)
        levels = sympy.symbols(f"v1:{detail + 1}", nonnegative=True)
        symbols = (*ends, *levels)
        starts = (sympy.S.Zero, *ends[:-1])
        raw = [(lo, hi, level) for lo, hi, level in zip(starts, ends, levels)]
        raw.append((ends[-1], sympy.oo, sympy.S.Zero))
    else:
        symbols, raw = (), [(sympy.S.Zero, sympy.oo, detail)]
    pieces = []
    done: sympy.Expr = sympy.S.Zero  # int_0^lo g
    for lo, hi, g in raw:
        part = sympy.integrate(g, (_s, lo, _x))
        if part.has(sympy.Integral):
            raise ConvMathError(f"retention={g} has no antiderivative sympy can find; use a simpler retention")
        pieces.append(_Piece(lo, hi, g, done + part))
        if hi != sympy.oo:
            done = done + sympy.integrate(g, (_s, lo, hi))
    return _Family(symbols, tuple(pieces), _compile(symbols, pieces))


def _compile(symbols: tuple[sympy.Symbol, ...], pieces: Sequence[_Piece]) -> dict[str, tuple[Callable[..., Any], ...]]:
    floats = ["math", "mpmath", "sympy"]
    out: dict[str, tuple[Callable[..., Any], ...]] = {
        "G_float": tuple(sympy.lambdify((_x, *symbols), piece.G, floats) for piece in pieces),
        "g_float": tuple(sympy.lambdify((_s, *symbols), piece.g, floats) for piece in pieces),
        "hi_float": tuple(sympy.lambdify(symbols, piece.hi, floats) for piece in pieces),
    }
    # exact: substitute into the expressions themselves (lambdify would print 1/2 as a float)
    out["G_exact"] = tuple(_substituter((_x, *symbols), piece.G) for piece in pieces)
    out["g_exact"] = tuple(_substituter((_s, *symbols), piece.g) for piece in pieces)
    out["hi_exact"] = tuple(_substituter(symbols, piece.hi) for piece in pieces)
    return out


def _substituter(symbols: Sequence[sympy.Symbol], expr: sympy.Expr) -> Callable[..., Any]:
    return lambda *values: expr.xreplace(dict(zip(symbols, values)))


def _piece_index(family: _Family, x: Any, params: tuple[Any, ...], mode: str) -> int:
    for index, hi in enumerate(family.compiled[f"hi_{mode}"]):
        if bool(x < hi(*params)):
            return index
    return len(family.pieces) - 1


def _G(family: _Family, x: Any, params: tuple[Any, ...], mode: str) -> Any:
    if bool(x <= 0):
        return 0.0 if mode == "float" else sympy.S.Zero
    index = _piece_index(family, x, params, mode)
    return family.compiled[f"G_{mode}"][index](x, *params)


def _g(family: _Family, x: Any, params: tuple[Any, ...], mode: str) -> Any:
    if bool(x < 0):
        return 0.0 if mode == "float" else sympy.S.Zero
    index = _piece_index(family, x, params, mode)
    return family.compiled[f"g_{mode}"][index](x, *params)


@functools.lru_cache(maxsize=64)
def _intake_family(expr: sympy.Expr, key: tuple[Any, ...]) -> tuple[sympy.Expr, Callable[..., Any], Callable[..., Any]]:
    """``int_0^t f(tau) g(t - tau) dtau`` for an intake expression, piece by piece, with symbolic parameters."""
    family = _family(key)
    total: sympy.Expr = sympy.S.Zero
    for piece in family.pieces:
        if piece.g == 0:
            continue
        H = sympy.integrate(expr * piece.g.xreplace({_s: t - _tau}), (_tau, 0, _y))
        if H.has(sympy.Integral):
            raise ConvMathError(f"meals={expr} against this retention has no closed form sympy can find")
        # tau runs over [max(0, t - hi), max(0, t - lo)]
        total += sympy.Piecewise((0, t < piece.lo), (H.xreplace({_y: t - piece.lo}), True))
        if piece.hi != sympy.oo:
            total -= sympy.Piecewise((0, t < piece.hi), (H.xreplace({_y: t - piece.hi}), True))
    args = (t, *family.symbols)
    return total, sympy.lambdify(args, total, ["math", "mpmath", "sympy"]), _substituter(args, total)


# --- evaluation -------------------------------------------------------------------
def _inputs(meals: Any, retention: Any) -> tuple[tuple[Item, ...], _Retention, _Family]:
    items, ret = _meals(meals), _retention(retention)
    return items, ret, _family(ret.key)


def _values(items: Sequence[Item], ret: _Retention) -> list[Any]:
    out: list[Any] = list(ret.params)
    for item in items:
        out.extend(vars(item).values() if not isinstance(item, _Intake) else [item.expr])
    if ret.expr is not None:
        out.append(ret.expr)
    return out


def _mode(*values: Any) -> str:
    """``float`` if any input is a float, ``symbolic`` if any has free symbols, else ``exact``."""
    mode = "exact"
    for value in values:
        if isinstance(value, float):
            mode = "float"
        elif isinstance(value, sympy.Basic):
            if value.free_symbols - {_tau, _s}:
                return "symbolic"
            if value.has(sympy.Float):
                mode = "float"
    return mode


def _convert(value: Any, mode: str) -> Any:
    if mode == "float":
        return float(value)
    return sympy.sympify(value)


def _exponential_pulse(since: float, duration: float, lam: float) -> float:
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


def _content(time: Any, items: Sequence[Item], ret: _Retention, family: _Family, mode: str) -> Any:
    params = tuple(_convert(p, mode) for p in ret.params)
    total: Any = 0.0 if mode == "float" else sympy.S.Zero
    stable = mode == "float" and ret.kind == "exponential"
    for item in items:
        if isinstance(item, Meal):
            start, duration, rate = (_convert(v, mode) for v in (item.start, item.duration, item.rate))
            since = time - start
            if stable:
                total += rate * _exponential_pulse(since, duration, params[0])
                continue
            total += rate * (_G(family, since, params, mode) - _G(family, since - duration, params, mode))
        elif isinstance(item, Impulse):
            total += _convert(item.amount, mode) * _g(family, time - _convert(item.time, mode), params, mode)
        else:
            _, as_float, as_exact = _intake_family(item.expr, ret.key)
            if bool(time > 0):
                total += (as_float if mode == "float" else as_exact)(time, *params)
    return float(total) if mode == "float" else total


def food_content(t: Any, meals: Any, retention: Any) -> Any:
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
    items, ret, family = _inputs(meals, retention)
    if isinstance(t, (np.ndarray, list, tuple)):
        return _content_array(t, items, ret, family)
    time = _number("t", t, where="the time")
    mode = _mode(time, *_values(items, ret))
    if mode == "symbolic":
        return food_content_expr(_items_to_public(items), _public_retention(ret)).xreplace({globals()["t"]: time})
    return _content(_convert(time, mode), items, ret, family, mode)


def _content_array(times: Any, items: Sequence[Item], ret: _Retention, family: _Family) -> np.ndarray:
    """:func:`food_content` at every time of an array, as float64 of the same shape."""
    try:
        grid = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ConvMathError(f"t={times!r} must be a number, a sympy expression or an array of numbers") from err
    if not np.all(np.isfinite(grid)):
        raise ConvMathError(f"t={times!r} must hold finite times")
    if _mode(*_values(items, ret)) == "symbolic":
        raise ConvMathError("an array of times needs numeric meals and retention, not symbols")
    flat = [_content(float(x), items, ret, family, "float") for x in grid.ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(grid.shape)


def _items_to_public(items: Sequence[Item]) -> list[Any]:
    """Validated items back to the public input forms (internal helper)."""
    return [item.expr.xreplace({_tau: t}) if isinstance(item, _Intake) else item for item in items]


def _public_retention(ret: _Retention) -> Any:
    if ret.kind == "expression":
        return ret.expr
    if ret.kind == "piecewise":
        n = len(ret.params) // 2
        return ("piecewise", list(zip(ret.params[:n], ret.params[n:])))
    return (ret.kind, ret.params[0])


def retention_expr(retention: Any) -> sympy.Expr:
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
    convmath.errors.ConvMathError: level=2 must be at most 1: a retained fraction lies in [0, 1] (retention ('piecewise', [(end, level), ...]))
    """
    ret = _retention(retention)
    family = _family(ret.key)
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    return _shifted(family, values, "g", sympy.S.Zero)


def intake_expr(meals: Any) -> sympy.Expr:
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
    for item in _meals(meals):
        if isinstance(item, Meal):
            start, end = sympy.sympify(item.start), sympy.sympify(item.start) + item.duration
            total += sympy.Piecewise((0, t < start), (sympy.sympify(item.rate), t < end), (0, True))
        elif isinstance(item, Impulse):
            total += item.amount * sympy.DiracDelta(t - item.time)
        else:
            total += sympy.Piecewise((0, t < 0), (item.expr.xreplace({_tau: t}), True))
    return total


def _shifted(family: _Family, values: dict[sympy.Symbol, Any], which: str, shift: Any) -> sympy.Expr:
    """``G(t - shift)`` or ``g(t - shift)`` as a Piecewise in ``t`` with conditions ``t < shift + hi``."""
    args: list[tuple[sympy.Expr, Any]] = [(sympy.S.Zero, t < shift)]
    for piece in family.pieces:
        expr = getattr(piece, which).xreplace(values).xreplace({_x: t - shift, _s: t - shift})
        hi = piece.hi.xreplace(values)
        args.append((expr, True if hi == sympy.oo else t < shift + hi))
    return sympy.Piecewise(*args)


def food_content_expr(meals: Any, retention: Any) -> sympy.Expr:
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
    -Piecewise((0, D > t), (1/lambda - exp(-lambda*(-D + t))/lambda, True)) + Piecewise((0, t < 0), (1/lambda - exp(-lambda*t)/lambda, True))
    >>> food_content_expr([(0, 3, 1)], 1)  # no digestion: the cumulative intake
    Piecewise((0, t < 0), (t, t < 3), (3, True))
    """
    items, ret, family = _inputs(meals, retention)
    terms = _terms(items, ret, family)
    total = sympy.Add(*terms)
    points = _breakpoints(items, ret, family)
    if points is None:
        return total
    return _by_segment(total, points)


def _terms(items: Sequence[Item], ret: _Retention, family: _Family) -> list[sympy.Expr]:
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    terms = []
    for item in items:
        if isinstance(item, Meal):
            start, end = sympy.sympify(item.start), sympy.sympify(item.start) + item.duration
            terms.append(item.rate * (_shifted(family, values, "G", start) - _shifted(family, values, "G", end)))
        elif isinstance(item, Impulse):
            terms.append(item.amount * _shifted(family, values, "g", sympy.sympify(item.time)))
        else:
            terms.append(_intake_family(item.expr, ret.key)[0].xreplace(values))
    return terms


def _by_segment(total: sympy.Expr, points: list[Any]) -> sympy.Expr:
    """Fold a sum of Piecewise terms into one Piecewise over the segments between ``points``."""
    bounds = [points[0] - 1] + [(lo + hi) / 2 for lo, hi in zip(points, points[1:])] + [points[-1] + 1]
    exprs = [_segment(total, probe) for probe in bounds]
    args: list[tuple[sympy.Expr, Any]] = []
    for expr, point in zip(exprs, points):
        if args and args[-1][0] == expr:
            args[-1] = (expr, t < point)
        else:
            args.append((expr, t < point))
    args.append((exprs[-1], True)) if not args or args[-1][0] != exprs[-1] else args.__setitem__(-1, (exprs[-1], True))
    return sympy.Piecewise(*args)


def _segment(expr: sympy.Expr, probe: Any) -> sympy.Expr:
    """The expression that ``expr`` (a sum of Piecewise in ``t``) equals near ``t = probe``."""
    def pick(pw: sympy.Piecewise) -> sympy.Expr:
        for value, cond in pw.args:
            if cond is sympy.true or bool(cond.xreplace({t: probe})):
                return value
        return sympy.nan  # pragma: no cover - every Piecewise here ends with True
    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), pick)


def _breakpoints(items: Sequence[Item], ret: _Retention, family: _Family) -> list[Any] | None:
    """Sorted times where the content may have a kink or a jump; None when some are symbols."""
    events: list[Any] = []
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
        offsets |= _expression_kinks(ret.expr)
    points = {event + offset for event in events for offset in offsets}
    if any(not point.is_number for point in points):
        return None
    return sorted((p for p in points if p.is_finite is not False), key=lambda p: float(p))


def _expression_kinks(expr: sympy.Expr) -> set[sympy.Expr]:
    """Positive roots of the Heaviside arguments and Piecewise conditions of a retention (best effort)."""
    found: set[sympy.Expr] = set()
    arguments = [h.args[0] for h in expr.atoms(sympy.Heaviside)]
    arguments += [rel.lhs - rel.rhs for rel in expr.atoms(sympy.core.relational.Relational)]
    for arg in arguments:
        poly = sympy.Poly(arg, _s) if arg.is_polynomial(_s) else None
        if poly is not None and poly.degree() == 1:
            root = sympy.solve(arg, _s)[0]
            if root.is_number and root > 0:
                found.add(root)
    return found


# --- questions a lecture asks -------------------------------------------------------
def cumulative_intake(t: Any, meals: Any) -> Any:
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


def _float_content(items: Sequence[Item], ret: _Retention, family: _Family) -> Callable[[float], float]:
    return lambda time: _content(float(time), items, ret, family, "float")


def _horizon(items: Sequence[Item], ret: _Retention, points: list[Any]) -> float:
    last = float(points[-1])
    span = max(last - float(points[0]), 1.0)
    if ret.kind == "exponential":
        return last + max(span, 40.0 / float(ret.params[0]))
    if ret.kind == "expression":
        return last + max(span, 24.0)
    return last + span


def peak_time(meals: Any, retention: Any, *, horizon: Any = None) -> Any:
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
    items, ret, family = _inputs(meals, retention)
    points, mode, content = _setup(items, ret, family)
    end = float(horizon) if horizon is not None else _horizon(items, ret, points)
    candidates: list[tuple[float, Any]] = [(float(p), p) for p in points if float(p) <= end] + [(end, None)]
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


def _setup(items: Sequence[Item], ret: _Retention, family: _Family) -> tuple[list[Any], str, Callable[[float], float]]:
    mode = _mode(*_values(items, ret))
    if mode == "symbolic":
        raise ConvMathError("meals and retention must be numbers here, not symbols; use food_content_expr")
    points = _breakpoints(items, ret, family)
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


def time_below(level: Any, meals: Any, retention: Any, *, after: Any = None, horizon: Any = None) -> Any:
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
    items, ret, family = _inputs(meals, retention)
    level = _number("level", level, where="the amount of food", minimum="nonnegative")
    points, mode, content = _setup(items, ret, family)
    flevel = float(level)
    start = _last_event(items) if after is None else _number("after", after, where="the time")
    fstart = float(start)
    if content(fstart) <= flevel:
        return fstart if mode == "float" else sympy.sympify(start)
    edges = [fstart] + [float(p) for p in points if float(p) > fstart]
    step = max(edges[-1] - edges[0], 1.0)
    limit = float(horizon) if horizon is not None else math.inf
    if float(level) == 0 and ret.kind == "exponential" and any(not isinstance(i, _Intake) for i in items):
        raise ConvMathError("level=0 is never reached: exponential retention leaves a positive amount forever")
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


def _last_event(items: Sequence[Item]) -> Any:
    ends = [sympy.sympify(i.start) + i.duration if isinstance(i, Meal) else sympy.sympify(i.time)
            for i in items if not isinstance(i, _Intake)]
    return max(ends, key=float) if ends else sympy.S.Zero


def _bisect(fn: Callable[[float], float], level: float, lo: float, hi: float) -> float:
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (lo, mid) if fn(mid) <= level else (mid, hi)
    return hi


def _exact_root(items: Sequence[Item], ret: _Retention, family: _Family, level: Any, root: float,
                lo: float, hi: float) -> Any:
    for point in _breakpoints(items, ret, family) or []:
        near = abs(float(point) - root) <= 1e-7 * max(1.0, abs(root))
        if near and bool(_content(point, items, ret, family, "exact") <= level):
            return point
    rational = sympy.nsimplify(root, rational=True, tolerance=1e-9 * max(1.0, abs(root)))
    if _is_first_time_below(items, ret, family, level, rational):
        return rational  # a rational root, checked exactly (sympy's solvers may not give it)
    probe = sympy.nsimplify((max(lo, root - 1e-9) + min(hi, root + 1e-9)) / 2) if hi > lo else sympy.nsimplify(root)
    expr = _segment(sympy.Add(*_terms(items, ret, family)), probe)
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


def _is_first_time_below(items: Sequence[Item], ret: _Retention, family: _Family, level: Any, time: Any) -> bool:
    """True when the content is exactly ``level`` at ``time`` (exact arithmetic): the root, not a neighbour."""
    if not isinstance(time, sympy.Rational):
        return False
    return bool(sympy.simplify(_content(time, items, ret, family, "exact") - level) == 0)


# --- independent witnesses ---------------------------------------------------------
def _retention_callable(ret: _Retention) -> Callable[[float], float]:
    """``g`` as a float function, written directly from the definition (no integration)."""
    if ret.kind == "exponential":
        lam = float(ret.params[0])
        return lambda s: math.exp(-lam * s) if s >= 0 else 0.0
    if ret.kind == "linear":
        T = float(ret.params[0])
        return lambda s: max(0.0, 1.0 - s / T) if s >= 0 else 0.0
    if ret.kind == "piecewise":
        n = len(ret.params) // 2
        ends, levels = [float(e) for e in ret.params[:n]], [float(v) for v in ret.params[n:]]
        return lambda s: 0.0 if s < 0 else next((v for e, v in zip(ends, levels) if s < e), 0.0)
    fn = sympy.lambdify(_s, ret.expr, ["math", "mpmath", "sympy"])
    return lambda s: float(fn(s)) if s >= 0 else 0.0


def food_content_quad(t: Any, meals: Any, retention: Any) -> float:
    """The content at ``t`` by numerical quadrature (mpmath.quad), independent of sympy's integration.

    The integral of each pulse (and intake expression) against ``g`` is split
    at the breakpoints of ``g`` shifted to ``t``; impulses add ``amount *
    g(t - time)`` (the definition of the Dirac delta).

    Parameters
    ----------
    t : number
        The time (hours); converted to a float.
    meals, retention
        As for :func:`food_content`.

    Returns
    -------
    float
        The content, to mpmath's quadrature accuracy.

    Examples
    --------
    >>> round(food_content_quad(8, [(7, 0.5, 800)], ("exponential", 1)), 6)  # 800 (e^-1/2 - e^-1)
    190.920975

    300 g/h from 7:00 to 8:00, digested linearly over 2 hours: at 8:00,
    ``300 * int_0^1 (1 - u/2) du = 300 * 3/4``, as the closed form says.

    >>> food_content_quad(8, [(7, 1, 300)], ("linear", 2)), food_content(8, [(7, 1, 300)], ("linear", 2))
    (225.0, 225)
    """
    items, ret, family = _inputs(meals, retention)
    time = float(_number("t", t, where="the time"))
    g = _retention_callable(ret)
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    kinks = [float(p.hi.xreplace(values)) for p in family.pieces if p.hi != sympy.oo]
    if ret.kind == "expression":
        kinks += [float(k) for k in _expression_kinks(ret.expr)]
    total = mpmath.mpf(0)
    for item in items:
        if isinstance(item, Impulse):
            total += float(item.amount) * g(time - float(item.time))
            continue
        if isinstance(item, Meal):
            lo, hi, rate = float(item.start), float(item.start) + float(item.duration), float(item.rate)
            integrand = lambda tau, rate=rate: rate * g(time - float(tau))  # noqa: E731
        else:
            lo, hi = 0.0, time
            f = sympy.lambdify(_tau, item.expr, ["math", "mpmath", "sympy"])
            integrand = lambda tau, f=f: float(f(float(tau))) * g(time - float(tau))  # noqa: E731
        hi = min(hi, time)
        if hi <= lo:
            continue
        cuts = sorted({lo, hi} | {time - k for k in kinks if lo < time - k < hi})
        total += mpmath.quad(integrand, cuts)
    return float(total)


def discrete_food_content(intake: Sequence[Any], retention: Sequence[Any]) -> np.ndarray:
    r"""The discrete model: meals at whole hours, ``numpy.convolve`` of the two sequences.

    Parameters
    ----------
    intake : sequence
        ``intake[m]`` is the amount eaten at hour ``m``.
    retention : sequence
        ``retention[n]`` is the fraction of a meal left ``n`` hours after it.

    Returns
    -------
    numpy.ndarray
        ``content[n]`` for ``n = 0 .. len(intake) + len(retention) - 2``;
        exact for ints and Fractions (object arrays).

    Notes
    -----
    .. math:: c[n] = \sum_m f[m]\, g[n - m]

    Examples
    --------
    >>> discrete_food_content([2, 0, 4], [1, 0.5, 0.25]).tolist()  # c[2] = 2*0.25 + 0*0.5 + 4*1
    [2.0, 1.0, 4.5, 2.0, 1.0]
    """
    f = np.asarray(intake)
    g = np.asarray(retention)
    for name, arr in (("intake", f), ("retention", g)):
        if arr.ndim != 1 or arr.size == 0:
            raise ConvMathError(f"{name} must be a non-empty 1-D sequence, got shape {arr.shape}")
    return np.convolve(f, g)


def sampled_food_content(meals: Any, retention: Any, *, step: float, until: float | None = None,
                         start: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The continuous content approximated on a grid of width ``step``: intake per cell convolved with ``g``.

    Parameters
    ----------
    meals, retention
        As for :func:`food_content`, with numbers.
    step : float
        The cell width (hours). The approximation error shrinks with it.
    until, start : float, optional
        The time range; by default from the first event to the horizon
        used by :func:`peak_time`.

    Returns
    -------
    times, content : numpy.ndarray
        ``content[n]`` approximates the content at ``times[n]``, the end of
        cell ``n``.

    Notes
    -----
    ``F[m]`` is the food eaten in cell ``m`` (exactly; an impulse on the
    boundary of two cells falls in the earlier one, so it counts at the
    sample time it is eaten) and ``G[m] = g((m + 1/2) step)``;
    ``content = numpy.convolve(F, G)``. Since ``F[m] ≈ step * f(t_m)``
    this is the Riemann sum of the convolution integral, scaled by the step.

    Examples
    --------
    >>> times, content = sampled_food_content([(0, 1, 1)], ("linear", 2), step=0.25, until=1)
    >>> times.tolist()
    [0.25, 0.5, 0.75, 1.0]
    >>> [round(float(c), 6) for c in content]  # exact: t - t^2/4 = 0.234375, 0.4375, 0.609375, 0.75
    [0.234375, 0.4375, 0.609375, 0.75]
    """
    items, ret, family = _inputs(meals, retention)
    if not isinstance(step, numbers.Real) or not step > 0:
        raise ConvMathError(f"{fmt('step', step)} must be a positive number")
    points = [float(p) for p in (_breakpoints(items, ret, family) or [])]
    t0 = float(start) if start is not None else (points[0] if points else 0.0)
    t1 = float(until) if until is not None else _horizon(items, ret, points)
    cells = max(1, int(round((t1 - t0) / step)))
    edges = t0 + step * np.arange(cells + 1)
    eaten = np.zeros(cells)
    for item in items:
        if isinstance(item, Meal):
            lo, hi = float(item.start), float(item.start) + float(item.duration)
            eaten += float(item.rate) * np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0, None)
        elif isinstance(item, Impulse):
            # cells are (edges[m], edges[m + 1]]: an impulse on an edge counts at that sample time
            cell = max(int(np.searchsorted(edges, float(item.time), side="left")) - 1, 0)
            if edges[0] <= float(item.time) <= edges[-1]:
                eaten[cell] += float(item.amount)
        else:
            f = sympy.lambdify(_tau, item.expr, ["math", "mpmath", "sympy"])
            mids = (edges[:-1] + edges[1:]) / 2
            eaten += step * np.array([float(f(m)) if m >= 0 else 0.0 for m in mids])
    g = _retention_callable(ret)
    kept = np.array([g((m + 0.5) * step) for m in range(cells)])
    return edges[1:], np.convolve(eaten, kept)[:cells]


EXAMPLE_MEALS: tuple[Meal, ...] = (
    Meal(7, sympy.Rational(1, 2), 800),
    Meal(12, sympy.Rational(3, 4), 1000),
    Meal(sympy.Rational(37, 2), 1, 800),
)
"""Breakfast 7:00-7:30 (400 g), lunch 12:00-12:45 (750 g), dinner 18:30-19:30 (800 g); rates in g/h."""

EXAMPLE_RETENTION = ("exponential", sympy.Rational(1, 2))
"""Half of what is in the stomach is digested every ``2 ln 2 ≈ 1.39`` hours."""
