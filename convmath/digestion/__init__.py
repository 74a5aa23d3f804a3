r"""Continuous convolution through the food-digestion model.

The model is the one the study notes on Mu Li's d2l lectures 19-21 ("學習筆記-李沐動手學深度學習(七)") use to
introduce convolution.

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

:func:`as_meals` and :func:`as_retention` return the validated forms (:class:`Meal`, :class:`Impulse`,
:class:`Intake`; the four retention shapes), which every function here accepts back. For a plot or a table,
:func:`intake_rate` and :func:`retention_at` evaluate ``f`` and ``g`` in floats (a number or an array of times),
:func:`food_content` takes an array of times, and :func:`breakpoints` and :func:`search_horizon` give the times where
the content may kink or jump and how far :func:`peak_time` looks.

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

from ._inputs import (
    EXAMPLE_MEALS,
    EXAMPLE_RETENTION,
    ExponentialRetention,
    ExpressionRetention,
    Impulse,
    Intake,
    LinearRetention,
    Meal,
    Meals,
    Number,
    PiecewiseRetention,
    Retention,
    RetentionLike,
    as_meals,
    as_retention,
    t,
)
from .content import (
    cumulative_intake,
    food_content,
    food_content_expr,
    intake_expr,
    intake_rate,
    retention_at,
    retention_expr,
)
from .times import breakpoints, peak_time, search_horizon, time_below
from .witnesses import discrete_food_content, food_content_quad, sampled_food_content

__all__ = [
    "t",
    "Meal",
    "Impulse",
    "Intake",
    "as_meals",
    "as_retention",
    "food_content",
    "food_content_expr",
    "retention_expr",
    "intake_expr",
    "retention_at",
    "intake_rate",
    "peak_time",
    "time_below",
    "breakpoints",
    "search_horizon",
    "cumulative_intake",
    "food_content_quad",
    "discrete_food_content",
    "sampled_food_content",
    "EXAMPLE_MEALS",
    "EXAMPLE_RETENTION",
    "ExponentialRetention",
    "LinearRetention",
    "PiecewiseRetention",
    "ExpressionRetention",
    "Number",
    "Meals",
    "RetentionLike",
    "Retention",
]
