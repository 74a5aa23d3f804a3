"""Shared argument validators.

Every public entry point checks its arguments up front with these helpers, so
every message has the same form: ``name=value is/must be ...``. Symbolic
(sympy) values pass through wherever a formula accepts them; only what can be
decided about them is checked (a symbol declared negative is still refused).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import sympy

from .errors import ConvMathError

IntLike: TypeAlias = int | sympy.Expr
"""A plain ``int`` or a sympy expression standing for an integer."""

__all__ = [
    "IntLike",
    "is_symbolic",
    "check_int",
    "check_positive_int",
    "check_nonnegative_int",
    "check_choice",
    "check_bool",
    "fmt",
]


def fmt(name: str, value: Any) -> str:
    """Render ``name=value`` the way every message starts."""
    return f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"


def is_symbolic(value: Any) -> bool:
    """True for a sympy expression that is not a plain number."""
    return isinstance(value, sympy.Basic) and not isinstance(value, sympy.Integer)


def check_int(name: str, value: Any, *, minimum: int | None = None, what: str | None = None) -> IntLike:
    """Return ``value`` as an ``int`` (or the sympy expression it is).

    Accepts Python and numpy integers and sympy integers; refuses ``bool``,
    floats (even integral ones: sizes are exact), strings and anything else.
    ``minimum`` is checked for numbers, and for symbols whose assumptions
    decide it.

    >>> check_int("stride", 2, minimum=1)
    2
    >>> check_int("stride", 0, minimum=1)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: stride=0 must be a positive integer
    """
    if type(value) is int and (minimum is None or value >= minimum):
        return value  # the common case, without the ABC checks below
    if what is None:
        what = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
    if isinstance(value, bool) or value is None:
        raise ConvMathError(f"{fmt(name, value)} must be {what}")
    if isinstance(value, sympy.Integer):
        value = int(value)
    if isinstance(value, numbers.Integral):
        value = int(value)
        if minimum is not None and value < minimum:
            raise ConvMathError(f"{fmt(name, value)} must be {what}")
        return value
    if isinstance(value, sympy.Expr) and not value.is_number:
        if value.is_integer is False:
            raise ConvMathError(f"{fmt(name, value)} must be {what} (the symbol is declared non-integer)")
        if minimum is not None and (value - minimum).is_negative:
            raise ConvMathError(f"{fmt(name, value)} must be {what}")
        return value
    raise ConvMathError(f"{fmt(name, value)} must be {what}, not {type(value).__name__}")


def check_positive_int(name: str, value: Any) -> IntLike:
    """``check_int`` with ``minimum=1``."""
    return check_int(name, value, minimum=1)


def check_nonnegative_int(name: str, value: Any) -> IntLike:
    """``check_int`` with ``minimum=0``."""
    return check_int(name, value, minimum=0)


def check_choice(name: str, value: Any, allowed: Sequence[str], *, extra: str = "") -> str:
    """Check that ``value`` is one of the strings ``allowed``.

    >>> check_choice("padding_mode", "wrap", ["zeros", "reflect"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: padding_mode='wrap' is not allowed; use one of 'zeros', 'reflect'
    """
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ConvMathError(f"{fmt(name, value)} is not allowed; use one of {choices}{extra}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Check that ``value`` is a ``bool`` (numpy bools included)."""
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return bool(value)
    raise ConvMathError(f"{fmt(name, value)} must be True or False")


def per_dim(name: str, value: Any, ndim: int) -> tuple[Any, ...]:
    """Spread a scalar over ``ndim`` dimensions, or check a tuple's length.

    >>> per_dim("stride", 2, 3)
    (2, 2, 2)
    >>> per_dim("stride", (1, 2), 3)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: stride=(1, 2) has 2 entries; expected 1 or 3 (one per spatial dimension)
    """
    if isinstance(value, (list, tuple)):
        if len(value) == ndim:
            return tuple(value)
        if len(value) == 1:
            return tuple(value) * ndim
        raise ConvMathError(
            f"{fmt(name, tuple(value))} has {len(value)} entries; expected 1 or {ndim} (one per spatial dimension)"
        )
    return (value,) * ndim


def as_iterable(value: Any) -> Iterable[Any]:
    """``value`` itself when it is a list or tuple, else a one-element tuple."""
    return value if isinstance(value, (list, tuple)) else (value,)
