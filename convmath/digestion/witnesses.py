"""Independent witnesses: quadrature, the discrete convolution and sampling, written without the families."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import mpmath
import numpy as np
import numpy.typing as npt
import sympy

from .._validate import fmt
from ..errors import ConvMathError
from ._evaluate import breakpoints_of, default_horizon, expression_kinks, parse_inputs
from ._inputs import (
    SINCE,
    Impulse,
    Meal,
    Meals,
    Number,
    Retention,
    RetentionLike,
    real_number,
    retention_expression,
)
from ._inputs import t as TIME  # food_content_quad's parameter t is a number

__all__ = ["food_content_quad", "discrete_food_content", "sampled_food_content"]


# --- independent witnesses ---------------------------------------------------------
def retention_callable(ret: Retention) -> Callable[[float], float]:
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
    fn = sympy.lambdify(SINCE, retention_expression(ret), ["math", "mpmath", "sympy"])
    return lambda s: float(fn(s)) if s >= 0 else 0.0


def food_content_quad(t: Number, meals: Meals, retention: RetentionLike) -> float:
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

    >>> from convmath.digestion import food_content
    >>> food_content_quad(8, [(7, 1, 300)], ("linear", 2)), food_content(8, [(7, 1, 300)], ("linear", 2))
    (225.0, 225)
    """
    items, ret, family = parse_inputs(meals, retention)
    time = float(real_number("t", t, where="the time"))
    g = retention_callable(ret)
    values = dict(zip(family.symbols, map(sympy.sympify, ret.params)))
    kinks = [float(p.hi.xreplace(values)) for p in family.pieces if p.hi != sympy.oo]
    if ret.kind == "expression":
        kinks += [float(k) for k in expression_kinks(retention_expression(ret))]
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
            f = sympy.lambdify(TIME, item.expr, ["math", "mpmath", "sympy"])
            integrand = lambda tau, f=f: float(f(float(tau))) * g(time - float(tau))  # noqa: E731
        hi = min(hi, time)
        if hi <= lo:
            continue
        cuts = sorted({lo, hi} | {time - k for k in kinks if lo < time - k < hi})
        total += mpmath.quad(integrand, cuts)
    return float(total)


def discrete_food_content(intake: npt.ArrayLike, retention: npt.ArrayLike) -> np.ndarray:
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


def sampled_food_content(
    meals: Meals, retention: RetentionLike, *, step: float, until: float | None = None, start: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
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
    items, ret, family = parse_inputs(meals, retention)
    if not isinstance(step, numbers.Real) or not step > 0:
        raise ConvMathError(f"{fmt('step', step)} must be a positive number")
    points = [float(p) for p in (breakpoints_of(items, ret, family) or [])]
    t0 = float(start) if start is not None else (points[0] if points else 0.0)
    t1 = float(until) if until is not None else default_horizon(items, ret, points)
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
            f = sympy.lambdify(TIME, item.expr, ["math", "mpmath", "sympy"])
            mids = (edges[:-1] + edges[1:]) / 2
            eaten += step * np.array([float(f(m)) if m >= 0 else 0.0 for m in mids])
    g = retention_callable(ret)
    kept = np.array([g((m + 0.5) * step) for m in range(cells)])
    return edges[1:], np.convolve(eaten, kept)[:cells]
