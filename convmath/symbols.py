"""Standard symbols with the assumptions the formulas need.

``n`` (input size), ``k`` (kernel size), ``s`` (stride) and ``d`` (dilation)
are positive integers; ``p`` (padding per side), ``p_h`` (total padding in the
d2l convention) and ``op`` (output padding) are non-negative integers.

>>> from convmath import conv_output_size, n, k, s, p, d
>>> conv_output_size(n, k, stride=s, padding=p, dilation=d)
floor((-d*(k - 1) + n + 2*p - 1)/s) + 1
"""

from __future__ import annotations

import sympy

__all__ = ["n", "k", "s", "p", "d", "p_h", "op", "c_in", "c_out", "g", "m"]

n, k, s, d = sympy.symbols("n k s d", integer=True, positive=True)
p, p_h, op = sympy.symbols("p p_h op", integer=True, nonnegative=True)
c_in, c_out, g, m = sympy.symbols("c_in c_out g m", integer=True, positive=True)
