r"""Cross-correlation and convolution on numpy arrays.

Deep-learning "convolution" layers compute a **cross-correlation**: the kernel
is laid on the input as it is. :func:`correlate` computes that (PyTorch's
``torch.nn.functional.conv1d/2d/3d``), :func:`convolve` computes the
mathematical **convolution**, which turns the kernel by 180° first (flips it on
every spatial axis). :func:`corr2d` is the one-channel, valid-mode
cross-correlation that tutorials write by hand.

Every output size comes from :mod:`convmath.sizes`; this module only moves
numbers. The work is one matrix product over an im2col patch matrix, built
from a strided view of the padded input (no Python loop over output
positions); :func:`corr2d` (one channel, where a patch matrix
would cost more than it saves) adds one shifted copy of the input per kernel
tap.
"""

from __future__ import annotations

from math import prod
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._validate import check_choice
from ..errors import ConvMathError
from ..sizes import conv_output_size, resolve_padding
from ._args import (
    PADDING_MODES,
    add_bias,
    as_numeric_array,
    check_bias,
    check_groups,
    check_padding_mode,
    compute_dtype,
    conv_operands,
    normalise_padding,
    pad,
    refuse_symbols,
    spread,
    spread_ints,
    windows,
)

__all__ = ["correlate", "convolve", "corr2d"]

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]


def _correlate(
    x: npt.ArrayLike,
    weight: npt.ArrayLike,
    bias: npt.ArrayLike | None,
    *,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    padding_mode: Any,
    flip: bool,
) -> np.ndarray:
    """Validate everything, then one im2col matrix product (shared by correlate and convolve)."""
    check_choice("padding_mode", padding_mode, tuple(PADDING_MODES))
    xb, batched, weight, ndim = conv_operands(x, weight, layout="(C_out, C_in/groups, *kernel)")
    out_channels, per_group = weight.shape[:2]
    groups = check_groups(groups, xb.shape[1], out_channels, per_group, transposed=False)
    bias = check_bias(bias, out_channels)
    spatial, kernel = xb.shape[2:], weight.shape[2:]
    padding = normalise_padding(padding, ndim)
    refuse_symbols(stride=stride, padding=padding, dilation=dilation)
    out = conv_output_size(spatial, kernel, stride=stride, padding=padding, dilation=dilation)
    strides, dilations = spread_ints(stride, ndim), spread_ints(dilation, ndim)
    pads = tuple(
        (int(left), int(right))
        for left, right in (
            resolve_padding(p, k, dilation=d, stride=s)
            for p, k, d, s in zip(spread(padding, ndim), kernel, dilations, strides)
        )
    )
    check_padding_mode(padding_mode, pads, spatial)

    dtype = compute_dtype(xb, weight, bias)
    if flip:
        weight = weight[(slice(None), slice(None)) + (slice(None, None, -1),) * ndim]
    xp = pad(xb.astype(dtype, copy=False), pads, padding_mode)
    n, c = xp.shape[:2]
    # im2col: (N, C, *kernel, *out) -> (N, groups, C/groups * prod(kernel), prod(out)), one copy
    cols = windows(xp, kernel, out, strides, dilations, kernel_first=True)
    cols = cols.reshape(n, groups, (c // groups) * prod(kernel), prod(out))
    w = weight.astype(dtype, copy=False).reshape(groups, out_channels // groups, -1)
    y = np.matmul(w, cols).reshape((n, out_channels) + tuple(out))
    y = add_bias(y, bias)
    return y if batched else y[0]


def correlate(
    x: npt.ArrayLike,
    weight: npt.ArrayLike,
    bias: npt.ArrayLike | None = None,
    *,
    stride: int | tuple[int, ...] = 1,
    padding: Any = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
) -> np.ndarray:
    r"""Cross-correlation, as a deep-learning "convolution" layer computes it.

    The kernel is **not** flipped: this is what ``torch.nn.Conv1d/2d/3d`` and
    ``torch.nn.functional.conv1d/2d/3d`` compute. For the mathematical
    convolution, which flips the kernel, use :func:`convolve`.

    Parameters
    ----------
    x : array_like
        Input, ``(C_in, *spatial)`` or ``(N, C_in, *spatial)``, with 1, 2 or 3
        spatial dimensions (as many as ``weight`` has).
    weight : array_like
        Kernels, ``(C_out, C_in / groups, *kernel)`` (PyTorch's layout).
    bias : array_like, optional
        ``(C_out,)``, added to each output channel.
    stride : int or tuple, optional
        Step between windows, one entry per spatial dimension or one for all.
    padding : int, tuple, (left, right) pairs or {"valid", "same", "full"}, optional
        Anything :func:`convmath.sizes.conv_output_size` accepts: an int pads
        each side; a tuple gives one entry (int, ``(left, right)`` pair or
        string) per spatial dimension; with one spatial dimension a pair of
        ints is that dimension's ``(left, right)``.
    dilation : int or tuple, optional
        Spacing between kernel taps.
    groups : int, optional
        Split the channels into ``groups`` independent convolutions.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, optional
        What the padding holds, as in ``torch.nn.Conv2d``: zeros, the input
        mirrored without repeating the edge, the edge repeated, or the input
        wrapped around.

    Returns
    -------
    numpy.ndarray
        ``(C_out, *out)`` or ``(N, C_out, *out)`` with ``out`` given by
        :func:`convmath.sizes.conv_output_size`. Integer inputs give an exact
        ``int64`` result; floats keep their precision (float32 stays float32).

    Raises
    ------
    ConvMathError
        On a wrong number of dimensions, mismatched channels or groups, a bad
        stride, padding, dilation or padding mode, or a kernel larger than the
        padded input.

    See Also
    --------
    convolve, corr2d, convmath.numeric.conv_transpose, convmath.sizes.conv_output_size

    Notes
    -----
    For one output channel :math:`j` of group :math:`g` (2-D, one sample):

    .. math:: y_{j}[a, b] = \beta_j + \sum_{c \in g} \sum_{u, v}
              w_{j, c}[u, v] \; x_c[s_h a + d_h u - p_h,\; s_w b + d_w v - p_w]

    with :math:`x` read as the padding value outside the input.

    Examples
    --------
    d2l 7.4 (and the notes on Mu Li's d2l lectures 19-21): two input channels, each correlated with its
    own 2×2 kernel, summed.

    >>> import numpy as np
    >>> X = np.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]],
    ...               [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
    >>> K = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])
    >>> correlate(X, K[np.newaxis])      # 19 + (1*1 + 2*2 + 4*3 + 5*4) = 19 + 37 = 56
    array([[[ 56,  72],
            [104, 120]]])

    The "principle of convolution" tutorial: a 6×6 image, three columns of 10 then three of −3, with the
    vertical-edge filter ``[[1, 0, -1]] * 3``; the edge lights up as 39.

    >>> image = np.array([[10, 10, 10, -3, -3, -3]] * 6)
    >>> edge = np.array([[1, 0, -1]] * 3)
    >>> correlate(image[np.newaxis], edge[np.newaxis, np.newaxis])[0]   # 3*10 - 3*(-3) = 39
    array([[ 0, 39, 39,  0],
           [ 0, 39, 39,  0],
           [ 0, 39, 39,  0],
           [ 0, 39, 39,  0]])

    The output size is the formula's (here :math:`\lfloor (5 + 2 - 3)/2 \rfloor + 1 = 3`):

    >>> correlate(np.ones((1, 5, 5)), np.ones((2, 1, 3, 3)), stride=2, padding=1).shape
    (2, 3, 3)
    >>> correlate(np.ones((1, 8)), np.ones((1, 1, 4)), padding="same").shape   # total 3: (1, 2)
    (1, 8)
    >>> correlate(np.ones((4, 5, 5)), np.ones((2, 3, 3, 3)))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: weight has 3 input channels per group but x has 4 channels and groups=1
    """
    return _correlate(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=False,
    )


def convolve(
    x: npt.ArrayLike,
    weight: npt.ArrayLike,
    bias: npt.ArrayLike | None = None,
    *,
    stride: int | tuple[int, ...] = 1,
    padding: Any = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
) -> np.ndarray:
    r"""True (mathematical) convolution: the kernel is flipped on every spatial axis.

    ``convolve(x, w, ...)`` is ``correlate(x, w[..., ::-1, ::-1], ...)``: the
    kernel turned by 180° (in 2-D), then laid on the input. This is the
    convolution of signal processing (``numpy.convolve``,
    ``scipy.signal.convolve``), *not* what deep-learning "convolution" layers
    compute; for those use :func:`correlate`. Arguments, shapes and errors are
    those of :func:`correlate`; ``padding="same"`` pads the flipped kernel as
    :func:`correlate` would pad it.

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation, groups, padding_mode
        As for :func:`correlate`.

    Returns
    -------
    numpy.ndarray

    See Also
    --------
    correlate

    Notes
    -----
    In one dimension, with ``padding="full"``:

    .. math:: (x * w)[t] = \sum_{\tau} x[\tau] \, w[t - \tau]

    the discrete form of the food-digestion integral of the notes on Mu Li's d2l lectures 19-21,
    :math:`\int f(\tau)\, g(t - \tau)\, d\tau`.

    Examples
    --------
    With full padding it is :func:`numpy.convolve`:

    >>> import numpy as np
    >>> f, g = np.array([1, 2, 3]), np.array([0, 1, 10])
    >>> convolve(f[np.newaxis], g[np.newaxis, np.newaxis], padding="full")[0]
    array([ 0,  1, 12, 23, 30])
    >>> np.convolve(f, g)
    array([ 0,  1, 12, 23, 30])

    and it differs from :func:`correlate` unless the kernel is symmetric:

    >>> correlate(f[np.newaxis], g[np.newaxis, np.newaxis], padding="full")[0]
    array([10, 21, 32,  3,  0])
    """
    return _correlate(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        flip=True,
    )


def corr2d(X: npt.ArrayLike, K: npt.ArrayLike) -> np.ndarray:
    r"""Valid-mode 2-D cross-correlation of one matrix with one kernel (d2l's ``corr2d``).

    The function tutorials write by hand with two loops: slide ``K`` over
    ``X``, multiply elementwise and sum. No channels, no padding, stride 1, the
    kernel not flipped.

    Parameters
    ----------
    X : array_like
        The input matrix, ``(h, w)``.
    K : array_like
        The kernel, ``(k_h, k_w)``, at most as large as ``X``.

    Returns
    -------
    numpy.ndarray
        ``(h - k_h + 1, w - k_w + 1)``.

    See Also
    --------
    correlate : channels, batches, stride, padding, dilation, groups.

    Notes
    -----
    .. math:: Y[i, j] = \sum_{a=0}^{k_h - 1} \sum_{b=0}^{k_w - 1} X[i + a, j + b] \, K[a, b]

    Examples
    --------
    The "theory of convolutional neural networks" tutorial (and d2l 7.2, figure 7.2.1): the 3×3 input 0..8 with the 2×2
    kernel 0..3.

    >>> import numpy as np
    >>> corr2d(np.arange(9).reshape(3, 3), np.arange(4).reshape(2, 2))
    array([[19, 25],
           [37, 43]])

    The first entry is ``0*0 + 1*1 + 3*2 + 4*3 = 19``.

    The "PyTorch deep learning in practice (11)" tutorial slides a 3×3 kernel over a 5×5 matrix and writes every step
    out. Its first three rows and the kernel can be read off the steps (the
    matrices themselves are images):

    >>> A = np.array([[1, 2, 0, 2, 3],
    ...               [1, 1, 1, 2, 0],
    ...               [3, 3, 2, 1, 2]])
    >>> B = np.array([[3, 1, 1], [2, 3, 1], [2, 2, 3]])
    >>> corr2d(A, B)          # steps 1-3: 1*3 + 2*1 + 0*1 + 1*2 + 1*3 + 1*1 + 3*2 + 3*2 + 2*3 = 29, ...
    array([[29, 28, 25]])

    Step 4 adds row ``[1, 0, 2, ...]``. The tutorial's final matrix is
    ``[[29, 28, 25], [30, 30, 27], [20, 24, 34]]``, but its centre entry cannot
    be 30: the centre window gives ``23 + 3 * A[3, 3]``, never 30 for an integer
    ``A[3, 3]``. The one completion with entries 0..9 that matches the other
    eight values gives 32 there (a slip in that tutorial):

    >>> A5 = np.vstack([A, [[1, 0, 2, 3, 1], [1, 0, 0, 1, 3]]])
    >>> corr2d(A5, B)
    array([[29, 28, 25],
           [30, 32, 27],
           [20, 24, 34]])
    """
    X = as_numeric_array("X", X)
    K = as_numeric_array("K", K)
    for name, array in (("X", X), ("K", K)):
        if array.ndim != 2:
            raise ConvMathError(
                f"{name} has shape {array.shape} (ndim {array.ndim}); corr2d takes one 2-D array "
                "(use correlate for channels and batches)"
            )
    out_h, out_w = conv_output_size(X.shape, K.shape)  # validates the sizes, with the formula's messages
    dtype = compute_dtype(X, K)
    X, K = X.astype(dtype, copy=False), K.astype(dtype, copy=False)
    # one pass over the whole output per kernel tap: no patch matrix to build
    Y = np.zeros((out_h, out_w), dtype=dtype)
    for a, b in np.ndindex(*K.shape):
        Y += K[a, b] * X[a : a + out_h, b : b + out_w]
    return Y
