"""Retention families derived once with symbolic parameters: ``g`` and ``G(x) = int_0^x g`` piece by piece, compiled."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import sympy

from ..errors import ConvMathError
from ._inputs import SINCE, TAU, UPPER, UPPER_INTAKE, FamilyKey, t

__all__ = []


@dataclass(frozen=True)
class Piece:
    """One piece ``lo <= x < hi`` of a retention and of its running integral ``G``."""

    lo: sympy.Expr
    hi: sympy.Expr
    g: sympy.Expr
    G: sympy.Expr


@dataclass(frozen=True)
class Family:
    """A retention family derived once with symbolic parameters, compiled both ways."""

    symbols: tuple[sympy.Symbol, ...]
    pieces: tuple[Piece, ...]
    compiled: dict[str, tuple[Callable[..., float | sympy.Expr], ...]]
    """``G_float``, ``g_float``, ``hi_float`` (lambdified) and ``G_exact``, ``g_exact``, ``hi_exact``, one per piece."""


# --- the families, derived once ------------------------------------------------------
@functools.lru_cache(maxsize=64)
def derive_family(key: FamilyKey) -> Family:
    """Derive ``g`` and ``G(x) = int_0^x g`` piece by piece with symbolic parameters."""
    kind, detail = key
    if kind == "exponential":
        lam = sympy.Symbol("lambda", positive=True)
        symbols: tuple[sympy.Symbol, ...] = (lam,)
        raw = [(sympy.S.Zero, sympy.oo, sympy.exp(-lam * SINCE))]
    elif kind == "linear":
        T = sympy.Symbol("T", positive=True)
        symbols = (T,)
        raw = [(sympy.S.Zero, T, 1 - SINCE / T), (T, sympy.oo, sympy.S.Zero)]
    elif kind == "piecewise":
        assert isinstance(detail, int)  # the number of steps
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
        part = sympy.integrate(g, (SINCE, lo, UPPER))
        if part.has(sympy.Integral):
            raise ConvMathError(f"retention={g} has no antiderivative sympy can find; use a simpler retention")
        pieces.append(Piece(lo, hi, g, done + part))
        if hi != sympy.oo:
            done = done + sympy.integrate(g, (SINCE, lo, hi))
    return Family(symbols, tuple(pieces), compile_family(symbols, pieces))


def compile_family(
    symbols: tuple[sympy.Symbol, ...], pieces: Sequence[Piece]
) -> dict[str, tuple[Callable[..., float | sympy.Expr], ...]]:
    floats = ["math", "mpmath", "sympy"]
    out: dict[str, tuple[Callable[..., float | sympy.Expr], ...]] = {
        "G_float": tuple(sympy.lambdify((UPPER, *symbols), piece.G, floats) for piece in pieces),
        "g_float": tuple(sympy.lambdify((SINCE, *symbols), piece.g, floats) for piece in pieces),
        "hi_float": tuple(sympy.lambdify(symbols, piece.hi, floats) for piece in pieces),
    }
    # exact: substitute into the expressions themselves (lambdify would print 1/2 as a float)
    out["G_exact"] = tuple(substituter((UPPER, *symbols), piece.G) for piece in pieces)
    out["g_exact"] = tuple(substituter((SINCE, *symbols), piece.g) for piece in pieces)
    out["hi_exact"] = tuple(substituter(symbols, piece.hi) for piece in pieces)
    return out


def substituter(symbols: Sequence[sympy.Symbol], expr: sympy.Expr) -> Callable[..., sympy.Expr]:
    return lambda *values: expr.xreplace(dict(zip(symbols, values)))


Value: TypeAlias = float | sympy.Expr
"""A time or a parameter value: a float in float mode, a sympy number in exact mode."""

Mode: TypeAlias = Literal["exact", "float", "symbolic"]
"""How a content is computed: sympy numbers, floats, or a closed form in the symbols of the inputs."""


def piece_index(family: Family, x: Value, params: tuple[Value, ...], mode: Mode) -> int:
    for index, hi in enumerate(family.compiled[f"hi_{mode}"]):
        if bool(x < hi(*params)):
            return index
    return len(family.pieces) - 1


def G_at(family: Family, x: Value, params: tuple[Value, ...], mode: Mode) -> Value:
    if bool(x <= 0):
        return 0.0 if mode == "float" else sympy.S.Zero
    index = piece_index(family, x, params, mode)
    return family.compiled[f"G_{mode}"][index](x, *params)


def g_at(family: Family, x: Value, params: tuple[Value, ...], mode: Mode) -> Value:
    if bool(x < 0):
        return 0.0 if mode == "float" else sympy.S.Zero
    index = piece_index(family, x, params, mode)
    return family.compiled[f"g_{mode}"][index](x, *params)


@functools.lru_cache(maxsize=64)
def intake_family(
    expr: sympy.Expr, key: FamilyKey
) -> tuple[sympy.Expr, Callable[..., float], Callable[..., sympy.Expr]]:
    """``int_0^t f(tau) g(t - tau) dtau`` for an intake expression ``f`` in ``t``, piece by piece, with symbolic
    parameters: the closed form, and the same compiled for floats and for exact numbers."""
    family = derive_family(key)
    expr = expr.xreplace({t: TAU})
    total: sympy.Expr = sympy.S.Zero
    for piece in family.pieces:
        if piece.g == 0:
            continue
        H = sympy.integrate(expr * piece.g.xreplace({SINCE: t - TAU}), (TAU, 0, UPPER_INTAKE))
        if H.has(sympy.Integral):
            raise ConvMathError(f"meals={expr} against this retention has no closed form sympy can find")
        # tau runs over [max(0, t - hi), max(0, t - lo)]
        total += sympy.Piecewise((0, t < piece.lo), (H.xreplace({UPPER_INTAKE: t - piece.lo}), True))
        if piece.hi != sympy.oo:
            total -= sympy.Piecewise((0, t < piece.hi), (H.xreplace({UPPER_INTAKE: t - piece.hi}), True))
    args = (t, *family.symbols)
    return total, sympy.lambdify(args, total, ["math", "mpmath", "sympy"]), substituter(args, total)
