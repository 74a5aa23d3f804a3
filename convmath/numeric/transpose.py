r"""Transposed convolution on numpy arrays (PyTorch's ``conv_transpose1d/2d/3d``).

The output size comes from :func:`convmath.sizes.conv_transpose_output_size`.
One matrix product turns every input position into a column of kernel-shaped
contributions; one loop over kernel offsets scatters those columns into the
output (each step touches all positions at once), and the padding is cut off.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
import numpy.typing as npt

from ..sizes import conv_transpose_output_size, resolve_padding
from ._args import (
    add_bias,
    check_bias,
    check_groups,
    compute_dtype,
    conv_operands,
    normalise_padding,
    refuse_symbols,
    spread,
    spread_ints,
)

__all__ = ["conv_transpose"]


def conv_transpose(
    x: npt.ArrayLike,
    weight: npt.ArrayLike,
    bias: npt.ArrayLike | None = None,
    *,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[Any, ...] = 0,
    output_padding: int | tuple[int, ...] = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""Transposed convolution (PyTorch's ``conv_transpose1d/2d/3d``).

    Each input value scatters a copy of the kernel, scaled by that value, into
    the output, ``stride`` apart; ``padding`` is then cut from the borders. It
    is the adjoint (the transpose) of :func:`correlate` with the same
    ``stride``, ``padding``, ``dilation`` and ``groups``: a gradient, not an
    inverse.

    Parameters
    ----------
    x : array_like
        ``(C_in, *spatial)`` or ``(N, C_in, *spatial)``.
    weight : array_like
        ``(C_in, C_out / groups, *kernel)``: PyTorch's layout for transposed
        convolutions, the first two axes swapped relative to :func:`correlate`.
    bias : array_like, optional
        ``(C_out,)``.
    stride, padding, dilation : int or tuple, optional
        Those of the convolution being transposed; ``padding`` is an int or
        ``(left, right)`` per dimension (no strings).
    output_padding : int or tuple, optional
        Extra size on the right/bottom, smaller than ``stride`` or ``dilation``.
    groups : int, optional
        Independent channel groups.

    Returns
    -------
    numpy.ndarray
        ``(C_out, *out)`` or ``(N, C_out, *out)`` with ``out`` given by
        :func:`convmath.sizes.conv_transpose_output_size`.

    See Also
    --------
    convmath.numeric.correlate, convmath.sizes.conv_transpose_output_size

    Notes
    -----
    Before cropping, in 1-D and one channel:

    .. math:: z[s i + d u] \mathrel{+}= x[i] \, w[u]

    and the output is ``z[p_left : len(z) - p_right]``, with ``output_padding``
    extra zeros at the end of ``z``.

    Examples
    --------
    Dumoulin & Visin, figure 4.1: a 2×2 input and a 3×3 kernel give 4×4.

    >>> import numpy as np
    >>> conv_transpose(np.ones((1, 2, 2)), np.ones((1, 1, 3, 3)))[0]   # 1, 2, 2, 1 overlaps per axis
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])

    Stride 2 spreads the copies out (figure 4.5's shapes: 2 → (2 - 1)*2 + 3 = 5):

    >>> conv_transpose(np.array([[1, 10]]), np.array([[[1, 2, 3]]]), stride=2)
    array([[ 1,  2, 13, 20, 30]])
    """
    xb, batched, weight, ndim = conv_operands(x, weight, layout="(C_in, C_out/groups, *kernel)")
    in_channels, out_per_group = weight.shape[:2]
    groups = check_groups(groups, xb.shape[1], None, in_channels, transposed=True)
    out_channels = out_per_group * groups
    bias = check_bias(bias, out_channels)
    spatial, kernel = xb.shape[2:], weight.shape[2:]
    padding = normalise_padding(padding, ndim)
    refuse_symbols(stride=stride, padding=padding, dilation=dilation, output_padding=output_padding)
    out = conv_transpose_output_size(
        spatial, kernel, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding
    )
    strides, dilations = spread_ints(stride, ndim), spread_ints(dilation, ndim)
    extra = spread_ints(output_padding, ndim)
    pads = tuple(
        (int(left), int(right))
        for left, right in (resolve_padding(p, k) for p, k in zip(spread(padding, ndim), kernel))
    )

    dtype = compute_dtype(xb, weight, bias)
    n = xb.shape[0]
    cin_g = in_channels // groups
    # columns: (N, groups, C_out/groups * prod(kernel), prod(spatial)), one matrix product
    w = weight.astype(dtype, copy=False).reshape(groups, cin_g, -1).transpose(0, 2, 1)
    cols = np.matmul(w, xb.astype(dtype, copy=False).reshape(n, groups, cin_g, prod(spatial)))
    cols = cols.reshape((n, out_channels) + tuple(kernel) + tuple(spatial))
    full = tuple((i - 1) * s + d * (k - 1) + 1 + e for i, s, d, k, e in zip(spatial, strides, dilations, kernel, extra))
    z = np.zeros((n, out_channels) + full, dtype=dtype)
    for offset in np.ndindex(*kernel):  # one scatter per kernel tap, each over all positions
        target = tuple(
            slice(u * d, u * d + (i - 1) * s + 1, s) for u, d, i, s in zip(offset, dilations, spatial, strides)
        )
        z[(slice(None), slice(None)) + target] += cols[(slice(None), slice(None)) + offset]
    crop = tuple(slice(left, f - right) for (left, right), f in zip(pads, full))
    y = z[(slice(None), slice(None)) + crop]
    assert y.shape[2:] == tuple(out)
    y = add_bias(np.ascontiguousarray(y), bias)
    return y if batched else y[0]
