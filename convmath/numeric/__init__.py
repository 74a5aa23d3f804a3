"""The numeric backend: convolution arithmetic carried out on numpy arrays.

An independent witness for the formulas of :mod:`convmath.sizes`: the arrays
these functions return have the sizes the formulas state, and the property
tests hold the two against each other. PyTorch's semantics and argument names
throughout; numpy only.

Cross-correlation is what deep-learning "convolution" layers compute;
convolution flips the kernel. The names say which:

========================  ====================================================
:func:`correlate`         cross-correlation (``torch.nn.functional.conv2d``)
:func:`convolve`          true convolution: the kernel flipped on every axis
:func:`corr2d`            one matrix, one kernel, valid cross-correlation (d2l)
:func:`conv_transpose`    transposed convolution, the adjoint of correlate
:func:`max_pool`          max pooling, PyTorch's ``ceil_mode`` rule
:func:`avg_pool`          average pooling, PyTorch's divisors
========================  ====================================================

Examples
--------
>>> import numpy as np
>>> from convmath.numeric import correlate, convolve
>>> x = np.array([[0, 1, 2, 3]])
>>> w = np.array([[[1, 2]]])
>>> correlate(x, w), convolve(x, w)          # 0*1 + 1*2 = 2 vs 0*2 + 1*1 = 1
(array([[2, 5, 8]]), array([[1, 4, 7]]))
"""

from __future__ import annotations

from .conv import convolve, corr2d, correlate
from .pool import avg_pool, max_pool
from .transpose import conv_transpose

__all__ = ["correlate", "convolve", "corr2d", "conv_transpose", "max_pool", "avg_pool"]
