"""Hypothesis strategies, assertion helpers and a pytest plugin for a course's own CI.

>>> from convmath.testing import assert_correlates_like
>>> from convmath import numeric
>>> assert_correlates_like(numeric.corr2d)

Submodules: :mod:`~convmath.testing.strategies` (valid configurations),
:mod:`~convmath.testing.asserts` (the ``assert_*_like`` helpers),
:mod:`~convmath.testing.runner` and :mod:`~convmath.testing.functions` (the
property check and misconception models the grader shares),
:mod:`~convmath.testing.comparison` (the one comparison), and
:mod:`~convmath.testing.plugin` (hypothesis profiles and the ``convmath`` marker).
Names are imported lazily, so loading the pytest plugin stays cheap.
"""

from __future__ import annotations

from convmath._lazy import lazy_exports

_EXPORTS = {
    "assert_correlates_like": "convmath.testing.asserts",
    "assert_convolves_like": "convmath.testing.asserts",
    "assert_pools_like": "convmath.testing.asserts",
    "assert_output_size_like": "convmath.testing.asserts",
    "ConvMathAssertionError": "convmath.testing.asserts",
    "check_function": "convmath.testing.runner",
    "local_call": "convmath.testing.runner",
    "FunctionReport": "convmath.testing.runner",
    "Supports": "convmath.testing.functions",
    "compare": "convmath.testing.comparison",
    "Mismatch": "convmath.testing.comparison",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
