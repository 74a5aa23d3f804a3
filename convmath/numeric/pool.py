r"""Max and average pooling on numpy arrays, with PyTorch's rules.

Output sizes come from :func:`convmath.sizes.pool_output_size` (stride
defaulting to the window, padding at most half the window, ``ceil_mode``
keeping a last window only when it starts inside the input or the left
padding). The windows are one strided view of the padded input, reduced at
once; no Python loop over output positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .._validate import check_bool, fmt
from ..errors import ConvMathError
from ..sizes import pool_output_size
from ._args import as_numeric_array, batch_view, pad, refuse_symbols, spread_ints, windows

__all__ = ["max_pool", "avg_pool"]


def _geometry(
    x: npt.ArrayLike, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any
) -> tuple[
    np.ndarray, bool, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[tuple[int, int], ...], tuple[int, ...]
]:
    """Validate a pooling call; return ``xb, batched, kernel, out, strides, pads, dilations``.

    ``pads`` already holds the extra right padding that lets a ``ceil_mode``
    window run off the end, so that every window lies inside the padded input.
    """
    if isinstance(kernel_size, (tuple, list)):
        ndim = len(kernel_size)
        if ndim not in (1, 2, 3):
            raise ConvMathError(
                f"{fmt('kernel_size', tuple(kernel_size))} has {ndim} entries; "
                "pooling takes 1, 2 or 3 spatial dimensions"
            )
        what = f"kernel_size={tuple(kernel_size)}"
    else:
        ndim = 2
        what = f"kernel_size={kernel_size} (an int means a 2-D window; pass a tuple for 1-D or 3-D)"
    check_bool("ceil_mode", ceil_mode)
    refuse_symbols(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    x = as_numeric_array("x", x)
    xb, batched = batch_view(x, ndim, what=what)
    spatial = xb.shape[2:]
    out = pool_output_size(spatial, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    kernel = spread_ints(kernel_size, ndim)
    strides = kernel if stride is None else spread_ints(stride, ndim)
    dilations = spread_ints(dilation, ndim)
    pads = []
    for n, k, o, s, d, p in zip(spatial, kernel, out, strides, dilations, spread_ints(padding, ndim)):
        overhang = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        pads.append((p, p + overhang))
    return xb, batched, kernel, tuple(out), strides, tuple(pads), dilations


def max_pool(
    x: npt.ArrayLike,
    kernel_size: int | tuple[int, ...],
    *,
    stride: int | tuple[int, ...] | None = None,
    padding: int | tuple[int, ...] = 0,
    dilation: int | tuple[int, ...] = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    r"""Max pooling (PyTorch's ``max_pool1d/2d/3d``).

    Parameters
    ----------
    x : array_like
        ``(C, *spatial)`` or ``(N, C, *spatial)``.
    kernel_size : int or tuple
        The window. An int means a square 2-D window (``x`` is then
        ``(C, H, W)`` or ``(N, C, H, W)``); a tuple's length gives the number
        of spatial dimensions (1, 2 or 3).
    stride : int, tuple or None, optional
        Step between windows; ``None`` (default) means ``kernel_size``.
    padding : int or tuple, optional
        Implicit padding on both sides, never chosen as a maximum; at most
        ``kernel_size // 2``.
    dilation : int or tuple, optional
        Spacing between window taps.
    ceil_mode : bool, optional
        Round the output size up: a last window may run off the end, if it
        starts inside the input or the left padding.

    Returns
    -------
    numpy.ndarray
        Same dtype as ``x``; spatial size :func:`convmath.sizes.pool_output_size`.
        A dilated window can fall entirely in the padding; it gives ``-inf``
        as in PyTorch (the dtype's minimum for integers).

    See Also
    --------
    avg_pool, convmath.sizes.pool_output_size

    Notes
    -----
    .. math:: y[a] = \max_{u} \; x[s a + d u - p]

    over the window taps :math:`u` that fall inside the input.

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial: 2×2 max pooling with stride 2 of a 4×4 feature map keeps the
    largest value of each block.

    >>> import numpy as np
    >>> A = np.array([[29, 28, 25, 29],
    ...               [20, 24, 30, 26],
    ...               [27, 23, 26, 27],
    ...               [24, 25, 23, 31]])
    >>> max_pool(A[np.newaxis], 2)[0]        # max(29, 28, 20, 24) = 29, ...
    array([[29, 30],
           [27, 31]])
    >>> max_pool(A[np.newaxis], 2)[0].ravel()   # flattened, as the tutorial feeds it on
    array([29, 30, 27, 31])

    ``ceil_mode`` keeps the window that runs off the end:

    >>> max_pool([[1, 5, 2, 7, 3]], (2,)), max_pool([[1, 5, 2, 7, 3]], (2,), ceil_mode=True)
    (array([[5, 7]]), array([[5, 7, 3]]))
    """
    xb, batched, kernel, out, strides, pads, dilations = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    fill = -np.inf if xb.dtype.kind == "f" else np.iinfo(xb.dtype).min
    xp = pad(xb, pads, fill=fill)
    ndim = len(kernel)
    y = windows(xp, kernel, out, strides, dilations, kernel_first=False).max(axis=tuple(range(2 + ndim, 2 + 2 * ndim)))
    return y if batched else y[0]


def avg_pool(
    x: npt.ArrayLike,
    kernel_size: int | tuple[int, ...],
    *,
    stride: int | tuple[int, ...] | None = None,
    padding: int | tuple[int, ...] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    r"""Average pooling (PyTorch's ``avg_pool1d/2d/3d``), with PyTorch's divisors.

    Parameters
    ----------
    x : array_like
        ``(C, *spatial)`` or ``(N, C, *spatial)``.
    kernel_size : int or tuple
        The window; an int means a square 2-D window, a tuple's length gives
        the number of spatial dimensions.
    stride : int, tuple or None, optional
        Step between windows; ``None`` (default) means ``kernel_size``.
    padding : int or tuple, optional
        Zero padding on both sides, at most ``kernel_size // 2``.
    ceil_mode : bool, optional
        Round the output size up (see :func:`max_pool`).
    count_include_pad : bool, optional
        Whether the padding counts in the divisor (default True, as in
        PyTorch). The part of a ``ceil_mode`` window that runs past the
        padding never counts.

    Returns
    -------
    numpy.ndarray
        Floats: float inputs keep their dtype, integers give float64.

    See Also
    --------
    max_pool, convmath.sizes.pool_output_size

    Notes
    -----
    Per dimension, for the window starting at :math:`t = s a - p`, the sum is
    divided by the product over dimensions of

    .. math:: \min(t + k,\, n + p) - t \quad\text{(count_include_pad)}, \qquad
              \min(t + k,\, n) - \max(t,\, 0) \quad\text{(otherwise)}.

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial's 4×4 feature map, averaged in 2×2 blocks:

    >>> import numpy as np
    >>> A = np.array([[29, 28, 25, 29],
    ...               [20, 24, 30, 26],
    ...               [27, 23, 26, 27],
    ...               [24, 25, 23, 31]])
    >>> avg_pool(A[np.newaxis], 2)[0]        # (29 + 28 + 20 + 24) / 4 = 25.25, ...
    array([[25.25, 27.5 ],
           [24.75, 26.75]])

    The divisors at the borders: windows ``[pad, 1, 2]``, ``[2, 3, 4]`` and
    ``[4, pad, overhang]`` of ``[1, 2, 3, 4]`` (kernel 3, stride 2, padding 1,
    ``ceil_mode``):

    >>> x = np.array([[1.0, 2.0, 3.0, 4.0]])
    >>> avg_pool(x, (3,), stride=2, padding=1, ceil_mode=True)            # 3/3, 9/3, 4/2
    array([[1., 3., 2.]])
    >>> avg_pool(x, (3,), stride=2, padding=1, ceil_mode=True, count_include_pad=False)  # 3/2, 9/3, 4/1
    array([[1.5, 3. , 4. ]])
    """
    check_bool("count_include_pad", count_include_pad)
    xb, batched, kernel, out, strides, pads, dilations = _geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    dtype = xb.dtype if xb.dtype.kind == "f" else np.dtype(np.float64)
    ndim = len(kernel)
    xp = pad(xb.astype(dtype, copy=False), pads)
    sums = windows(xp, kernel, out, strides, dilations, kernel_first=False).sum(
        axis=tuple(range(2 + ndim, 2 + 2 * ndim))
    )
    divisor = np.ones(out, dtype=dtype)
    for axis, (n, k, o, s, (p, _)) in enumerate(zip(xb.shape[2:], kernel, out, strides, pads)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        count = end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
        shape = [1] * ndim
        shape[axis] = o
        divisor = divisor * count.reshape(shape).astype(dtype)
    y = sums / divisor
    return y if batched else y[0]
