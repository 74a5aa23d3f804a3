r"""Where an expression answer holds, and the one set of points at which it is compared.

An expression answer (``AnswerSpec(kind="expression")``) names each symbol's
*domain* (:data:`DOMAINS`) and may narrow it with *bounds* (the prompt's
"for :math:`t \ge 3`"). Two expressions are the same answer when they agree
at every point of :func:`sample_points` where the key is defined. The
generator (:func:`exercises.families.accept`, ``same_value``), the
self-tests (:mod:`exercises.selftest`) and the grader
(:mod:`grader.checks`) all draw their points here, so there is one sampler
and one definition of the domains; the grader only evaluates faster (exact
rationals and float enclosures, sympy where those cannot decide), with the
same decision rule, :func:`close`.

The points cover the whole domain: the smallest values (1, 2, 3 or the lower
bound), small ones (the sizes of a prompt), moderate ones (up to 40) and
large ones (up to :data:`LARGE`), far beyond any prompt, so a form that is
only right for small values (``floor(n/41)`` added) is told apart.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from convmath.errors import ConvMathError

__all__ = ["DOMAINS", "LARGE", "POINTS", "SEED", "check_bounds", "close", "differs", "sample_points", "value_at"]

#: Expression-answer domains and the sympy assumptions of each.
DOMAINS: dict[str, dict[str, bool]] = {
    "positive_integer": {"integer": True, "positive": True},
    "nonnegative_integer": {"integer": True, "nonnegative": True},
    "positive_real": {"real": True, "positive": True},
    "real": {"real": True},
}

#: Largest magnitude sampled (the last sixth of the points reach it).
LARGE = 10**6
#: Points drawn per comparison (plus the smallest values).
POINTS = 60
#: Seed of the points: the same for every student, every run, generator and grader.
SEED = 0

Bounds = Mapping[str, tuple[Any, Any]]


def check_bounds(
    domains: Mapping[str, str], bounds: Bounds | None
) -> dict[str, tuple[Fraction | None, Fraction | None]]:
    """Validate ``bounds`` (symbol -> ``(low, high)``, inclusive, ``None`` for open) against ``domains``.

    Parameters
    ----------
    domains : mapping of str to str
        Symbol name -> one of :data:`DOMAINS`.
    bounds : mapping, optional
        Symbol name -> ``(low, high)``; numbers (ints, Fractions, or strings such as ``"5/2"``) or ``None``.

    Returns
    -------
    dict
        The bounds as Fractions.

    Examples
    --------
    >>> check_bounds({"t": "positive_real"}, {"t": (3, None)})
    {'t': (Fraction(3, 1), None)}
    >>> check_bounds({"t": "positive_real"}, {"s": (3, None)})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: bounds symbol 's' is not one of the answer's symbols 't'
    """
    out: dict[str, tuple[Fraction | None, Fraction | None]] = {}
    for name, domain in domains.items():
        if domain not in DOMAINS:
            allowed = ", ".join(repr(d) for d in DOMAINS)
            raise ConvMathError(f"domain={domain!r} of symbol {name} is not allowed; use one of {allowed}")
    for name, pair in (bounds or {}).items():
        if name not in domains:
            raise ConvMathError(
                f"bounds symbol {name!r} is not one of the answer's symbols {', '.join(repr(s) for s in domains)}"
            )
        try:
            low, high = pair
            lo = None if low is None else Fraction(str(low))
            hi = None if high is None else Fraction(str(high))
        except (TypeError, ValueError, ZeroDivisionError):
            raise ConvMathError(f"bounds[{name!r}]={pair!r} must be (low, high) numbers or None") from None
        if lo is not None and hi is not None and lo > hi:
            raise ConvMathError(f"bounds[{name!r}]={pair!r} is empty: low > high")
        out[name] = (lo, hi)
    return out


def sample_points(
    domains: Mapping[str, str], bounds: Bounds | None = None, *, seed: int = SEED, count: int = POINTS
) -> tuple[dict[str, Any], ...]:
    """The points at which expression answers over ``domains`` are compared (ints and sympy Rationals).

    Parameters
    ----------
    domains : mapping of str to str
        Symbol name -> one of :data:`DOMAINS`.
    bounds : mapping, optional
        Symbol name -> ``(low, high)`` inclusive (``None``: open), where the prompt says the answer holds.
    seed : int, optional
        The same seed gives the same points (default :data:`SEED`).
    count : int, optional
        Random points besides the smallest values (default :data:`POINTS`).

    Returns
    -------
    tuple of dict
        Symbol name -> value: a third of the points at most 6, a third at most 40, the rest up to
        :data:`LARGE` (integers) or large rationals, all inside the domain and the bounds.

    Examples
    --------
    >>> pts = sample_points({"n": "positive_integer"})
    >>> pts[0], min(p["n"] for p in pts) >= 1, max(p["n"] for p in pts) > 1000
    ({'n': 1}, True, True)
    >>> all(p["t"] >= 3 for p in sample_points({"t": "positive_real"}, {"t": (3, None)}))
    True
    """
    checked = check_bounds(domains, bounds)
    key = tuple((name, domain, checked.get(name, (None, None))) for name, domain in domains.items())
    return _sample(key, seed, count)


@functools.lru_cache(maxsize=128)
def _sample(
    key: tuple[tuple[str, str, tuple[Fraction | None, Fraction | None]], ...], seed: int, count: int
) -> tuple[dict[str, Any], ...]:
    rng = random.Random(seed)
    points: list[dict[str, Any]] = []
    for start in (1, 2, 3):
        point = {}
        for name, domain, (lo, hi) in key:
            value = Fraction(start) if lo is None else lo + start - 1
            if hi is not None and value > hi:
                value = hi
            point[name] = _as_sympy(value, domain)
        if point not in points:
            points.append(point)
    for i in range(count):
        top = 6 if i < count // 3 else 40 if i < 2 * count // 3 else LARGE
        points.append({name: _as_sympy(_draw(rng, domain, lo, hi, top), domain) for name, domain, (lo, hi) in key})
    return tuple(points)


def _draw(rng: random.Random, domain: str, lo: Fraction | None, hi: Fraction | None, top: int) -> Fraction:
    integer = "integer" in domain
    low = {
        "positive_integer": Fraction(1),
        "nonnegative_integer": Fraction(0),
        "positive_real": Fraction(1, 20),
        "real": Fraction(-top),
    }[domain]
    low = max(low, lo) if lo is not None else low
    high = Fraction(top) + (0 if lo is None else max(Fraction(0), lo))  # at or above the bound's start
    high = min(high, hi) if hi is not None else high
    high = max(high, low)
    if integer:
        a, b = -(-low.numerator // low.denominator), high.numerator // high.denominator
        return Fraction(rng.randint(a, max(a, b)))
    den = rng.randint(1, 20)
    a, b = -(-(low * den).numerator // (low * den).denominator), (high * den).numerator // (high * den).denominator
    value = Fraction(rng.randint(a, max(a, b)), den)
    return max(min(value, high), low)


def _as_sympy(value: Fraction, domain: str) -> Any:
    if "integer" in domain or value.denominator == 1:
        return int(value) if "integer" in domain else sympy.Integer(int(value))
    return sympy.Rational(value.numerator, value.denominator)


def value_at(expr: sympy.Basic, point: Mapping[str, Any]) -> sympy.Expr | None:
    """The value of ``expr`` at ``point`` (exact when rational, else 30 digits); ``None`` where undefined.

    Examples
    --------
    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> value_at(sympy.floor(n / 2) + 1, {"n": 7}), value_at(1 / (n - 7), {"n": 7}) is None
    (4, True)
    """
    try:
        values = {s: sympy.sympify(point[s.name]) for s in expr.free_symbols if s.name in point}
        result = expr.xreplace(values)
        if result.free_symbols or result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        if not result.is_Rational:
            result = sympy.N(result, 30)
        return result if result.is_real else None
    except (TypeError, ValueError, ArithmeticError):
        return None


def close(a: sympy.Expr, b: sympy.Expr) -> bool:
    """The one decision rule: exact for two rationals, else relative ``1e-9`` (absolute below 1).

    Examples
    --------
    >>> close(sympy.Rational(1, 3), sympy.Rational(1, 3)), close(sympy.Float(1.0), sympy.Float(1.0 + 1e-12))
    (True, True)
    """
    if a.is_Rational and b.is_Rational:
        return bool(a == b)
    fa, fb = float(a), float(b)
    if math.isfinite(fa) and math.isfinite(fb):
        return abs(fa - fb) <= 1e-9 * max(1.0, abs(fb))
    diff, scale = sympy.N(sympy.Abs(a - b), 30), sympy.N(sympy.Max(1, sympy.Abs(b)), 30)  # beyond floats
    return bool(diff <= sympy.Float("1e-9", 30) * scale)


def differs(
    student: sympy.Basic,
    expected: sympy.Basic,
    domains: Mapping[str, str],
    bounds: Bounds | None = None,
    *,
    seed: int = SEED,
    count: int = POINTS,
) -> dict[str, Any] | None:
    """The first sample point where ``student`` differs from ``expected`` (defined there), else ``None``.

    This is the comparison of expression answers; the grader makes the same
    decisions with a faster evaluator on the same points.

    Examples
    --------
    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> differs(sympy.floor(n / 2) * 2, n - n % 2, {"n": "positive_integer"}) is None
    True
    >>> differs(n + sympy.floor(n / 41), n, {"n": "positive_integer"}) is not None
    True
    """
    for point in sample_points(domains, bounds, seed=seed, count=count):
        e = value_at(expected, point)
        if e is None:
            continue
        v = value_at(student, point)
        if v is None or not close(v, e):
            return {k: (int(x) if isinstance(x, int) else str(x)) for k, x in point.items()}
    return None
