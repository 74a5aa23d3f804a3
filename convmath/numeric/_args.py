"""Argument checks shared by the numeric backend.

Every public function of :mod:`convmath.numeric` validates its arguments here,
up front, before any array is allocated. Sizes are checked by the formulas of
:mod:`convmath.sizes` themselves (the backend computes no output size of its
own), so the backend and the formulas refuse the same configurations with the
same messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

from .._validate import check_choice, check_positive_int, fmt, is_symbolic
from ..errors import ConvMathError

__all__ = [
    "PADDING_MODES",
    "add_bias",
    "as_numeric_array",
    "batch_view",
    "check_bias",
    "check_groups",
    "check_padding_mode",
    "check_weight",
    "compute_dtype",
    "conv_operands",
    "normalise_padding",
    "pad",
    "refuse_symbols",
    "spread",
    "spread_ints",
    "windows",
]

#: ``padding_mode`` values and the :func:`numpy.pad` mode that implements each.
PADDING_MODES: dict[str, str] = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}

_DIM_NAMES = {1: "L", 2: "H, W", 3: "D, H, W"}


def as_numeric_array(name: str, value: npt.ArrayLike) -> np.ndarray:
    """``value`` as an array of integers or floats (booleans count as integers).

    >>> as_numeric_array("x", [[1, 2], [3, 4]]).dtype.kind
    'i'
    >>> as_numeric_array("x", ["a", "b"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: x has dtype <U1; it must hold integers or floats
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise ConvMathError(f"{name} is not an array: {err}") from None
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    if array.dtype.kind not in "iuf":
        raise ConvMathError(f"{name} has dtype {array.dtype}; it must hold integers or floats")
    return array


def compute_dtype(*arrays: np.ndarray | None) -> np.dtype:
    """Result dtype: floats stay as precise as the most precise input, integers become int64."""
    dtype = np.result_type(*(a for a in arrays if a is not None))
    if dtype.kind in "iu":
        return np.dtype(np.int64)
    return dtype


def batch_view(x: np.ndarray, ndim: int, *, what: str) -> tuple[np.ndarray, bool]:
    """``x`` with a batch axis, and whether it had one.

    ``x`` must be ``(C, *spatial)`` or ``(N, C, *spatial)`` with ``ndim``
    spatial dimensions; ``what`` says which argument fixed ``ndim``.
    """
    dims = _DIM_NAMES[ndim]
    if x.ndim == ndim + 2:
        batched = x
    elif x.ndim == ndim + 1:
        batched = x[np.newaxis]
    else:
        raise ConvMathError(
            f"x has shape {x.shape} (ndim {x.ndim}) but {what} needs x shaped "
            f"(C, {dims}) or (N, C, {dims}): ndim {ndim + 1} or {ndim + 2}"
        )
    if batched.shape[1] == 0:
        raise ConvMathError(f"x has shape {x.shape}: it has no channels")
    return batched, x.ndim == ndim + 2


def check_groups(groups: Any, in_channels: int, out_channels: int | None, per_group: int, *, transposed: bool) -> int:
    """Check ``groups`` against the channels of ``x`` and ``weight``.

    ``per_group`` is the input-channel entry of the weight (``C_in / groups``
    for a convolution); for a transposed convolution the weight's first axis
    holds all ``C_in`` input channels instead, and ``out_channels`` is
    ``None`` (the weight holds ``C_out / groups``, so any count divides).
    """
    groups = check_positive_int("groups", groups)
    if in_channels % groups:
        raise ConvMathError(f"groups={groups} must divide the {in_channels} channels of x")
    if out_channels is not None and out_channels % groups:
        raise ConvMathError(f"groups={groups} must divide the {out_channels} output channels of weight")
    if transposed:
        if per_group != in_channels:
            raise ConvMathError(
                f"weight has {per_group} input channels but x has {in_channels} channels "
                "(a transposed convolution's weight is (C_in, C_out/groups, *kernel))"
            )
    elif per_group * groups != in_channels:
        raise ConvMathError(
            f"weight has {per_group} input channels per group but x has {in_channels} channels and groups={groups}"
        )
    return groups


def normalise_padding(padding: Any, ndim: int) -> Any:
    """``padding`` in the per-dimension form :func:`convmath.sizes.conv_output_size` reads.

    A scalar or a string is left alone (it applies to every dimension), and so
    is a tuple with one entry per dimension. With one spatial dimension a pair
    of integers is that dimension's ``(left, right)``, as it is for
    ``conv_output_size(n, k, padding=(left, right))`` with an integer ``n``.

    >>> normalise_padding((1, 2), 1)
    ((1, 2),)
    >>> normalise_padding((1, 2), 2)
    (1, 2)
    """
    if isinstance(padding, list):
        padding = tuple(tuple(p) if isinstance(p, list) else p for p in padding)
    if (
        ndim == 1
        and isinstance(padding, tuple)
        and len(padding) == 2
        and not any(isinstance(p, (tuple, str)) for p in padding)
    ):
        return (padding,)
    return padding


def check_padding_mode(padding_mode: Any, pads: tuple[tuple[int, int], ...], spatial: tuple[int, ...]) -> str:
    """Check ``padding_mode`` and that the padding fits it, as PyTorch does."""
    check_choice("padding_mode", padding_mode, tuple(PADDING_MODES))
    for (left, right), n in zip(pads, spatial):
        if padding_mode == "reflect" and max(left, right) >= n:
            raise ConvMathError(
                f"padding=({left}, {right}) must be smaller than the input size {n} with padding_mode='reflect'"
            )
        if padding_mode == "circular" and max(left, right) > n:
            raise ConvMathError(
                f"padding=({left}, {right}) must be at most the input size {n} with padding_mode='circular'"
            )
    return padding_mode


def pad(x: np.ndarray, pads: tuple[tuple[int, int], ...], mode: str = "zeros", *, fill: Any = 0) -> np.ndarray:
    """Pad the spatial axes (all axes after the first two) of a batched ``x``."""
    if not any(left or right for left, right in pads):
        return x
    width = ((0, 0), (0, 0), *pads)
    if mode == "zeros":
        return np.pad(x, width, mode="constant", constant_values=fill)
    return np.pad(x, width, mode=PADDING_MODES[mode])  # type: ignore[call-overload]  # a str from the table


def windows(
    xp: np.ndarray,
    kernel: tuple[int, ...],
    out: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    *,
    kernel_first: bool,
) -> np.ndarray:
    """A read-only strided view of every window of the padded, batched ``xp``.

    The view is ``(N, C, *kernel, *out)`` when ``kernel_first`` (the im2col
    layout: each kernel offset reads a strided plane of the input) and
    ``(N, C, *out, *kernel)`` otherwise. The caller has sized ``xp`` so that
    every window lies inside it: ``(o - 1) s + d (k - 1) + 1 <= n`` per axis.
    """
    ndim = len(kernel)
    for n, k, o, s, d in zip(xp.shape[2:], kernel, out, stride, dilation):
        if (o - 1) * s + d * (k - 1) + 1 > n:  # pragma: no cover - guarded by the callers
            raise AssertionError(f"window out of bounds: {xp.shape} {kernel} {out} {stride} {dilation}")
    spatial = xp.strides[2:]
    kernel_strides = tuple(d * st for d, st in zip(dilation, spatial))
    out_strides = tuple(s * st for s, st in zip(stride, spatial))
    if kernel_first:
        shape, strides = kernel + out, kernel_strides + out_strides
    else:
        shape, strides = out + kernel, out_strides + kernel_strides
    assert len(shape) == 2 * ndim
    return as_strided(xp, xp.shape[:2] + shape, xp.strides[:2] + strides, writeable=False)


def refuse_symbols(**values: Any) -> None:
    """Arrays need concrete sizes: refuse a sympy symbol anywhere in ``values``.

    >>> import sympy
    >>> refuse_symbols(stride=(1, sympy.Symbol("s")))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: stride=(1, s) must hold integers:
    the numeric backend computes with arrays, not symbols
    """

    def symbolic(value: Any) -> bool:
        if isinstance(value, (tuple, list)):
            return any(symbolic(v) for v in value)
        return is_symbolic(value)

    for name, value in values.items():
        if symbolic(value):
            raise ConvMathError(
                f"{fmt(name, value)} must hold integers: the numeric backend computes with arrays, not symbols"
            )


def check_weight(weight: np.ndarray, *, layout: str) -> int:
    """Number of spatial dimensions of ``weight`` (1, 2 or 3)."""
    if weight.ndim not in (3, 4, 5):
        hint = "; corr2d takes a single 2-D kernel" if weight.ndim == 2 else ""
        raise ConvMathError(
            f"weight has shape {weight.shape} (ndim {weight.ndim}); it must be {layout} "
            f"with 1, 2 or 3 spatial dimensions: ndim 3, 4 or 5{hint}"
        )
    if 0 in weight.shape[:2]:
        raise ConvMathError(f"weight has shape {weight.shape}: it has no channels")
    return weight.ndim - 2


def check_bias(bias: npt.ArrayLike | None, out_channels: int) -> np.ndarray | None:
    """``bias`` as an array of shape ``(out_channels,)``, or None."""
    if bias is None:
        return None
    bias = as_numeric_array("bias", bias)
    if bias.shape != (out_channels,):
        raise ConvMathError(f"bias has shape {bias.shape}; expected ({out_channels},), one value per output channel")
    return bias


def spread(value: Any, ndim: int) -> tuple[Any, ...]:
    """A per-dimension option as a tuple (already validated by the size formula)."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * ndim


def spread_ints(value: Any, ndim: int) -> tuple[int, ...]:
    """:func:`spread`, each entry as a Python ``int`` (stride, dilation, ... once symbols are refused).

    >>> spread_ints(2, 3)
    (2, 2, 2)
    """
    return tuple(int(v) for v in spread(value, ndim))


def conv_operands(x: npt.ArrayLike, weight: npt.ArrayLike, *, layout: str) -> tuple[np.ndarray, bool, np.ndarray, int]:
    """Check the operands of a (transposed) convolution: ``(xb, batched, weight, ndim)``.

    ``weight`` fixes the number of spatial dimensions ``ndim`` (``layout``
    names its axes in the error message); ``xb`` is ``x`` with a batch axis
    (:func:`batch_view`) and ``batched`` says whether it had one.
    """
    x = as_numeric_array("x", x)
    weight = as_numeric_array("weight", weight)
    ndim = check_weight(weight, layout=layout)
    xb, batched = batch_view(x, ndim, what=f"a weight of shape {weight.shape}")
    return xb, batched, weight, ndim


def add_bias(y: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """Add one bias value per channel (axis 1) of a batched ``y``, in place."""
    if bias is not None:
        y += bias.astype(y.dtype).reshape((1, -1) + (1,) * (y.ndim - 2))
    return y
