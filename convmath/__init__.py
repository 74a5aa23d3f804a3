"""convmath: the arithmetic of convolutional layers, stated and computed.

Formulas (output sizes, parameter counts, MACs, receptive fields) accept ints
and sympy symbols; :mod:`convmath.numeric` is an independent numpy backend
that the formulas are tested against.

Names are exported lazily (PEP 562), so ``import convmath`` stays cheap and a
module is imported the first time one of its names is used. Each group below
belongs to one module; add a name to the group of the module that defines it.
"""

from __future__ import annotations

from ._lazy import lazy_exports
from .errors import ConvMathError

#: The release, read by the packaging metadata (``pyproject.toml``) and ``convmath --version``.
__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # --- core arithmetic: convmath.sizes, convmath.symbols -------------------
    "conv_output_size": "convmath.sizes",
    "conv_transpose_output_size": "convmath.sizes",
    "pool_output_size": "convmath.sizes",
    "same_padding": "convmath.sizes",
    "d2l_output_size": "convmath.sizes",
    "solve_for": "convmath.sizes",
    "n": "convmath.symbols",
    "k": "convmath.symbols",
    "s": "convmath.symbols",
    "p": "convmath.symbols",
    "d": "convmath.symbols",
    "p_h": "convmath.symbols",
    "op": "convmath.symbols",
    "c_in": "convmath.symbols",
    "c_out": "convmath.symbols",
    "g": "convmath.symbols",
    "m": "convmath.symbols",
    # --- counting, receptive fields, networks -------------------------------
    "conv_params": "convmath.counting",
    "conv_transpose_params": "convmath.counting",
    "linear_params": "convmath.counting",
    "batchnorm_params": "convmath.counting",
    "BatchNormCount": "convmath.counting",
    "depthwise_separable_params": "convmath.counting",
    "conv_macs": "convmath.counting",
    "conv_transpose_macs": "convmath.counting",
    "linear_macs": "convmath.counting",
    "receptive_field": "convmath.receptive",
    "ReceptiveField": "convmath.receptive",
    "effective_kernel_size": "convmath.sizes",
    "Network": "convmath.network",
    "bundled_specs": "convmath.network",
    "Summary": "convmath.summary",
    "SummaryRow": "convmath.summary",
    # --- definitions, food digestion -----------------------------------------
    "Statement": "convmath.definitions",
    "Relation": "convmath.definitions",
    "DEFINITIONS": "convmath.definitions",
    "RELATIONS": "convmath.definitions",
    "fc_to_conv_derivation": "convmath.definitions",
    "verify_derivation": "convmath.definitions",
    "evaluate_discrete": "convmath.definitions",
    "render_statements": "convmath.definitions",
    "Meal": "convmath.digestion",
    "Impulse": "convmath.digestion",
    "ExponentialRetention": "convmath.digestion",
    "LinearRetention": "convmath.digestion",
    "PiecewiseRetention": "convmath.digestion",
    "ExpressionRetention": "convmath.digestion",
    "food_content": "convmath.digestion",
    "food_content_expr": "convmath.digestion",
    "retention_expr": "convmath.digestion",
    "intake_expr": "convmath.digestion",
    "peak_time": "convmath.digestion",
    "time_below": "convmath.digestion",
    "cumulative_intake": "convmath.digestion",
    "food_content_quad": "convmath.digestion",
    "discrete_food_content": "convmath.digestion",
    "sampled_food_content": "convmath.digestion",
    "plot_food_digestion": "convmath.plot",
    # --- misconceptions catalogue --------------------------------------------
    "CATALOGUE": "convmath.misconceptions",
    "Misconception": "convmath.misconceptions",
}

__all__ = ["ConvMathError", *_EXPORTS]


#: submodules reachable as attributes (``convmath.numeric``) without an explicit import
_SUBMODULES = (
    "sizes",
    "symbols",
    "numeric",
    "counting",
    "receptive",
    "network",
    "summary",
    "definitions",
    "digestion",
    "misconceptions",
    "testing",
)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), submodules=_SUBMODULES)
