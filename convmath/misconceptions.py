r"""The catalogue of known wrong formulas and procedures (misconceptions).

A misconception is mathematics: a wrong formula a student actually uses, such
as counting the padding once (``p`` instead of ``2p``) or forgetting the
``+ 1``. Each entry of :data:`CATALOGUE` names the quantity it miscomputes and
carries a callable ``wrong`` that takes *the same arguments as the right
formula* and returns the answer a student holding that misconception gives.
Exercise families evaluate these callables for their variant, and the grader
compares a wrong answer with the values: a match names the mistake, in English
or Chinese, through :func:`feedback`.

The wrong formulas are built from the right ones in :mod:`convmath.sizes`
where that is possible (padding counted once *is* the convolution with
padding ``(p, 0)``), otherwise written out; like the right formulas they
accept ints and, where the mistake is a formula, sympy symbols. A wrong
formula that is not defined for some arguments (the kernel no longer fits)
raises :class:`~convmath.errors.ConvMathError`; that misconception then does
not apply to the variant.

Quantities, and the arguments their ``wrong`` callables take:

``conv_output_size``
    ``n, kernel_size, *, stride=1, padding=0, dilation=1``
``d2l_output_size``
    ``n, kernel_size, *, stride=1, total_padding=0``
``conv_transpose_output_size``
    ``n, kernel_size, *, stride=1, padding=0, dilation=1, output_padding=0``
``pool_output_size``
    ``n, kernel_size, *, stride=None, padding=0, dilation=1, ceil_mode=False``
``conv_params``
    ``in_channels, out_channels, kernel_size, *, groups=1, bias=True, ndim=None``
``depthwise_separable_params``
    ``in_channels, out_channels, kernel_size, *, depth_multiplier=1, bias=True, ndim=None``
``conv_macs``
    ``in_channels, out_channels, kernel_size, n, *, stride=1, padding=0, dilation=1, groups=1, bias=True,
    convention="torchinfo"``
``receptive_field``
    ``layers`` (dicts with ``kernel_size``, ``stride``, ``dilation``)
``correlate2d``
    ``x, kernel, *, stride=1, padding=0`` (2-D arrays; cross-correlation, ``padding`` zeros on every side)
``convolve2d``
    ``x, kernel`` (2-D arrays; true convolution, "valid")
``correlate2d_multichannel``
    ``x, kernel`` (``(C, H, W)`` and ``(C, kh, kw)``; summed over channels)
``pool2d``
    ``x, pool_size, *, mode="max"`` (2-D array; d2l's ``pool2d``: stride 1, no padding)
``food_content``
    ``t, meals, retention`` (as :func:`convmath.digestion.food_content`; a sympy ``t`` gives the closed form)
``discrete_food_content``
    ``intake, retention, *, step=1`` (``intake[m]`` the eating rate over step ``m``; right:
    ``discrete_food_content(step * intake, retention)``)

The same mistake made by a whole function (a student's ``corr2d`` or ``pool2d``
under test) is an entry's :attr:`Misconception.models`: one model per kind of
function (:data:`KINDS`: convolutions and poolings in any layout, from PyTorch's
canonical arrays), which the function checks of :mod:`convmath.testing` call;
an output-size function's model is ``wrong`` itself. So every mistake is
written once, here.

The conv-size entries also describe pooling in floor mode (pooling *is* that
formula with the stride written out), and ``forgot_bias`` describes a
``Linear`` layer (a 1x1 convolution): families use them that way. Likewise
``retention_not_flipped`` and ``retention_ignored``, defined on the continuous
``food_content``, describe the discrete model too: their discrete answers are
``discrete_food_content(step * intake, retention[::-1])`` (the
cross-correlation listed from lag ``-(len(retention) - 1)``, i.e.
``numpy.correlate(intake, retention, "full")`` scaled by the step) and the
running sum ``step * cumsum(intake)`` over the same indices.

Two entries are easily confused with neighbours:

* ``padding_one_side`` keeps the total padding ``2p`` but puts all of it on
  one side: ``x`` copied into the top-left corner of the ``(n + 2p)``-sized
  zero array, i.e. the padding ``(0, 2p)`` in every dimension. The output
  *size* is right (so it is no size misconception); the *values* shift.
  ``padding_once`` instead pads ``p`` in all, ``(p, 0)``: the size is wrong.
  (The entry's model of a whole function, below, makes it on both sides,
  ``(2p, 0)`` and ``(0, 2p)``, under the one label.)
* ``pool_stride_default_kernel`` slides a pooling window by its own size
  (PyTorch's default ``stride=kernel_size``) where the window moves by 1
  (d2l's ``pool2d``); ``pool_stride_one`` is the converse.

``retention_not_flipped`` is the cross-correlation
:math:`\int f(\tau)\, g(\tau - t)\, d\tau`: the retention used without the
flip (its shift by ``t`` kept). It counts only food eaten *after* ``t``, so
after the last meal it is 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from . import counting, digestion
from ._validate import check_choice, is_symbolic
from .errors import ConvMathError
from .numeric import avg_pool, convolve, corr2d, correlate, max_pool
from .sizes import (
    conv_output_size,
    conv_transpose_output_size,
    d2l_output_size,
    pool_output_size,
    resolve_padding,
)
from .sizes import floordiv as _floordiv

__all__ = ["Misconception", "CATALOGUE", "feedback", "QUANTITIES", "KINDS"]

QUANTITIES: tuple[str, ...] = (
    "conv_output_size",
    "d2l_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "conv_params",
    "depthwise_separable_params",
    "conv_macs",
    "receptive_field",
    "correlate2d",
    "convolve2d",
    "correlate2d_multichannel",
    "pool2d",
    "food_content",
    "discrete_food_content",
)


#: Kinds of whole function a misconception may have a model for (:attr:`Misconception.models`), and the
#: canonical arguments the model takes (PyTorch's layouts, as :mod:`convmath.numeric`; the function check
#: brings its output into the layout of the function under test):
#:
#: * ``"conv"``: ``x, weight, bias, *, op, stride, padding, dilation, groups`` with ``x`` of shape
#:   ``(C_in, *spatial)`` or ``(N, C_in, *spatial)``, ``weight`` ``(C_out, C_in / groups, *kernel)``,
#:   ``bias`` ``(C_out,)`` or ``None``, ``op`` ``"correlate"`` or ``"convolve"`` (what is asked for) and
#:   the options of :func:`convmath.numeric.correlate`; outputs ``(..., C_out, *out)``
#:   (``channels_not_summed``: ``(..., C_out, C_in, *out)``).
#: * ``"pool"``: ``x, kernel_size, *, op, stride, padding, dilation, ceil_mode`` with ``x`` as above,
#:   ``op`` ``"max_pool"`` or ``"avg_pool"`` and per-dimension tuples (``stride=None``: the window);
#:   outputs ``(..., C, *out)``.
KINDS: tuple[str, ...] = ("conv", "pool")


@dataclass(frozen=True)
class Misconception:
    """A known wrong formula or procedure, with what to tell the student."""

    label: str
    """Stable key, e.g. ``"padding_once"``; recorded in gradebooks."""

    title: Mapping[str, str]
    """Locale -> a short name of the mistake."""

    feedback: Mapping[str, str]
    """Locale -> feedback template; ``{value}`` is replaced by the answer."""

    quantity: str
    """The quantity it miscomputes, one of :data:`QUANTITIES`."""

    wrong: Callable[..., Any]
    """Same arguments as the right formula for ``quantity``; returns the wrong
    answer (raises ``ConvMathError`` where the wrong formula is undefined)."""

    models: Mapping[str, Callable[..., Iterator[Any]]] = field(default_factory=dict)
    """Kind of answer (one of :data:`KINDS`) -> the same mistake made by a whole function of that kind,
    for the function checks of :mod:`convmath.testing`: called with the kind's canonical arguments, it
    yields the wrong outputs, one per way of making the mistake (padding on the left or on the right),
    and raises ``ConvMathError`` where the mistake does not apply. An output-size function's model is
    ``wrong`` itself (the entries of the size quantities)."""


# --------------------------------------------------------------------------
# small arithmetic helpers (ints exactly, symbols as sympy)


def _ceildiv(a: Any, b: Any) -> Any:
    if is_symbolic(a) or is_symbolic(b):
        return sympy.ceiling(sympy.sympify(a) / b)
    return -(-a // b)


def _truediv(a: Any, b: Any) -> Any:
    """``a / b`` without rounding: an int when exact, else a float (or sympy)."""
    if is_symbolic(a) or is_symbolic(b):
        return sympy.sympify(a) / b
    q = Fraction(a, b)
    return int(q) if q.denominator == 1 else float(q)


def _conv_numerator(n: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> Any:
    """``n + left + right - d (k - 1) - 1`` after checking the right formula applies."""
    conv_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation)
    left, right = resolve_padding(padding, kernel_size, dilation=dilation, stride=stride)
    return n + left + right - dilation * (kernel_size - 1) - 1


# --------------------------------------------------------------------------
# conv_output_size


def _forgot_plus_one(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    return conv_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation) - 1


def _ceil_not_floor(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    return _ceildiv(_conv_numerator(n, kernel_size, stride, padding, dilation), stride) + 1


def _no_floor(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    return _truediv(_conv_numerator(n, kernel_size, stride, padding, dilation), stride) + 1


def _padding_once(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    left, _ = resolve_padding(padding, kernel_size, dilation=dilation, stride=stride)
    return conv_output_size(n, kernel_size, stride=stride, padding=(left, 0), dilation=dilation)


def _ignored_dilation(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    left, right = resolve_padding(padding, kernel_size, dilation=dilation, stride=stride)
    return conv_output_size(n, kernel_size, stride=stride, padding=(left, right))


def _dilated_kernel_dk(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    # the dilated kernel taken as d*k wide instead of d*(k - 1) + 1
    left, right = resolve_padding(padding, kernel_size, dilation=dilation, stride=stride)
    return conv_output_size(n, dilation * kernel_size, stride=stride, padding=(left, right))


def _ignored_stride(n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1) -> Any:
    left, right = resolve_padding(padding, kernel_size, dilation=dilation, stride=stride)
    return conv_output_size(n, kernel_size, padding=(left, right), dilation=dilation)


def _padding_total_doubled(n: Any, kernel_size: Any, *, stride: Any = 1, total_padding: Any = 0) -> Any:
    return d2l_output_size(n, kernel_size, stride=stride, total_padding=2 * total_padding)


# --------------------------------------------------------------------------
# conv_transpose_output_size


def _transpose_as_conv(
    n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1, output_padding: Any = 0
) -> Any:
    return conv_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation)


def _transpose_padding_added(
    n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1, output_padding: Any = 0
) -> Any:
    left, right = resolve_padding(padding, kernel_size, dilation=dilation)
    right_size = conv_transpose_output_size(
        n, kernel_size, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding
    )
    return right_size + 2 * (left + right)


def _transpose_n_times_s(
    n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1, output_padding: Any = 0
) -> Any:
    right_size = conv_transpose_output_size(
        n, kernel_size, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding
    )
    return right_size + stride


def _output_padding_ignored(
    n: Any, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1, output_padding: Any = 0
) -> Any:
    return conv_transpose_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation)


# --------------------------------------------------------------------------
# pool_output_size


def _pool_numerator(
    n: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any
) -> tuple[Any, Any]:
    pool_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    stride = kernel_size if stride is None else stride
    return n + 2 * padding - dilation * (kernel_size - 1) - 1, stride


def _pool_stride_one(
    n: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: Any = False
) -> Any:
    return pool_output_size(n, kernel_size, stride=1, padding=padding, dilation=dilation, ceil_mode=ceil_mode)


def _pool_padding_one_side(
    n: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: Any = False
) -> Any:
    numerator, stride = _pool_numerator(n, kernel_size, stride, padding, dilation, ceil_mode)
    numerator -= padding
    if not is_symbolic(numerator) and numerator < 0:
        raise ConvMathError(f"padding={padding} on one side leaves no window for n={n}")
    return (_ceildiv if ceil_mode else _floordiv)(numerator, stride) + 1


def _ceil_mode_ignored(
    n: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: Any = False
) -> Any:
    return pool_output_size(n, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=not ceil_mode)


def _ceil_mode_last_window_kept(
    n: Any, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: Any = False
) -> Any:
    numerator, stride = _pool_numerator(n, kernel_size, stride, padding, dilation, ceil_mode)
    return _ceildiv(numerator, stride) + 1


# --------------------------------------------------------------------------
# parameter counts and multiply-accumulates, from convmath.counting


def _forgot_bias(
    in_channels: Any, out_channels: Any, kernel_size: Any, *, groups: Any = 1, bias: Any = True, ndim: Any = None
) -> Any:
    return counting.conv_params(in_channels, out_channels, kernel_size, groups=groups, bias=False, ndim=ndim)


def _bias_per_input_channel(
    in_channels: Any, out_channels: Any, kernel_size: Any, *, groups: Any = 1, bias: Any = True, ndim: Any = None
) -> Any:
    weights = counting.conv_params(in_channels, out_channels, kernel_size, groups=groups, bias=False, ndim=ndim)
    return weights + in_channels


def _groups_ignored(
    in_channels: Any, out_channels: Any, kernel_size: Any, *, groups: Any = 1, bias: Any = True, ndim: Any = None
) -> Any:
    return counting.conv_params(in_channels, out_channels, kernel_size, bias=bias, ndim=ndim)


def _kernel_not_squared(
    in_channels: Any, out_channels: Any, kernel_size: Any, *, groups: Any = 1, bias: Any = True, ndim: Any = None
) -> Any:
    # a k x k kernel counted as k weights: the 1-D layer
    if isinstance(kernel_size, (tuple, list)):
        kernel_size = kernel_size[0]
    return counting.conv_params(in_channels, out_channels, kernel_size, groups=groups, bias=bias, ndim=1)


def _params_ignored_in_channels(
    in_channels: Any, out_channels: Any, kernel_size: Any, *, groups: Any = 1, bias: Any = True, ndim: Any = None
) -> Any:
    # every filter taken as one k x k slice: the layer with a single input channel
    return counting.conv_params(1, out_channels, kernel_size, bias=bias, ndim=ndim)


def _in_out_swapped(
    in_channels: Any,
    out_channels: Any,
    kernel_size: Any,
    *,
    depth_multiplier: Any = 1,
    bias: Any = True,
    ndim: Any = None,
) -> Any:
    # the depthwise step run over the output channels instead of the input channels
    depthwise = counting.conv_params(
        out_channels, depth_multiplier * out_channels, kernel_size, groups=out_channels, bias=bias, ndim=ndim
    )
    pointwise = counting.conv_params(depth_multiplier * in_channels, out_channels, 1, bias=bias, ndim=ndim)
    return depthwise + pointwise


def _macs_split(
    in_channels: Any, out_channels: Any, kernel_size: Any, n: Any, options: Mapping[str, Any]
) -> tuple[Any, Any, Any]:
    """(count, output positions, input positions) of the right formula."""
    count = counting.conv_macs(in_channels, out_channels, kernel_size, n, **options)
    ndim = (
        len(kernel_size) if isinstance(kernel_size, (tuple, list)) else (len(n) if isinstance(n, (tuple, list)) else 2)
    )
    spatial = tuple(n) if isinstance(n, (tuple, list)) else (n,) * ndim
    out = conv_output_size(
        spatial,
        kernel_size,
        stride=options.get("stride", 1),
        padding=options.get("padding", 0),
        dilation=options.get("dilation", 1),
    )
    return count, _prod(out), _prod(spatial)


def _prod(values: Sequence[Any]) -> Any:
    out = 1
    for value in values:
        out = out * value
    return out


def _macs_as_flops(in_channels: Any, out_channels: Any, kernel_size: Any, n: Any, **options: Any) -> Any:
    return counting.conv_macs(in_channels, out_channels, kernel_size, n, **{**options, "convention": "flops"})


def _macs_bias_counted(in_channels: Any, out_channels: Any, kernel_size: Any, n: Any, **options: Any) -> Any:
    return counting.conv_macs(in_channels, out_channels, kernel_size, n, **{**options, "convention": "torchinfo"})


def _macs_input_size(in_channels: Any, out_channels: Any, kernel_size: Any, n: Any, **options: Any) -> Any:
    count, out_positions, in_positions = _macs_split(in_channels, out_channels, kernel_size, n, options)
    return count // out_positions * in_positions if not is_symbolic(count) else count / out_positions * in_positions


def _macs_per_position(in_channels: Any, out_channels: Any, kernel_size: Any, n: Any, **options: Any) -> Any:
    count, out_positions, _ = _macs_split(in_channels, out_channels, kernel_size, n, options)
    return count // out_positions if not is_symbolic(count) else count / out_positions


# --------------------------------------------------------------------------
# receptive fields: r = sum_l (k_l' - 1) prod_{i<l} s_i + 1, k' = d (k - 1) + 1


def _layer_values(layer: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    kernel = layer["kernel_size"]
    if isinstance(kernel, (tuple, list)):
        raise ConvMathError(
            f"kernel_size={tuple(kernel)!r} is not allowed; use one int per layer (the wrong receptive-field "
            "formulas are one-dimensional)"
        )
    stride = layer.get("stride")
    # PyTorch's MaxPool/AvgPool in 1, 2 or 3 dimensions default their stride to the window
    stride = (
        kernel if stride is None and re.fullmatch(r"(Max|Avg)Pool[123]d", str(layer.get("type", ""))) else (stride or 1)
    )
    return kernel, stride, layer.get("dilation", 1)


def _rf(
    layers: Sequence[Mapping[str, Any]], *, own_stride: bool = False, strides: bool = True, dilation: bool = True
) -> Any:
    total, jump = 1, 1
    for layer in layers:
        kernel, stride, dil = _layer_values(layer)
        span = (dil * (kernel - 1) + 1) if dilation else kernel
        if own_stride and strides:
            jump = jump * stride
        total = total + (span - 1) * jump
        if strides and not own_stride:
            jump = jump * stride
    return total


def _rf_sum_of_kernels(layers: Sequence[Mapping[str, Any]]) -> Any:
    return sum((_layer_values(layer)[0] for layer in layers), 0)


def _rf_ignored_strides(layers: Sequence[Mapping[str, Any]]) -> Any:
    return _rf(layers, strides=False)


def _rf_own_stride_included(layers: Sequence[Mapping[str, Any]]) -> Any:
    return _rf(layers, own_stride=True)


def _rf_is_effective_stride(layers: Sequence[Mapping[str, Any]]) -> Any:
    jump = 1
    for layer in layers:
        jump = jump * _layer_values(layer)[1]
    return jump


def _rf_ignored_dilation(layers: Sequence[Mapping[str, Any]]) -> Any:
    return _rf(layers, dilation=False)


# --------------------------------------------------------------------------
# arrays: the numeric backend computes them, with the wrong operation or kernel


def _kernel_not_flipped(x: Any, kernel: Any, bias: Any = None, **options: Any) -> np.ndarray:
    """A true convolution computed as a cross-correlation (the kernel not flipped).

    ``x`` and ``kernel`` 2-D: the valid 2-D case. Otherwise PyTorch's layout
    (``x`` of shape ``(N, C, ...)`` or ``(C, ...)``, ``kernel`` of shape
    ``(C_out, C/groups, ...)``), a bias and ``convmath.numeric.convolve``'s options
    (the function checks of :mod:`convmath.testing` call it this way)."""
    if np.ndim(x) == 2 and np.ndim(kernel) == 2 and bias is None and not options:
        return corr2d(x, kernel)
    return correlate(np.asarray(x), np.asarray(kernel), bias, **options)


def _kernel_flipped(
    x: Any, kernel: Any, bias: Any = None, *, stride: Any = 1, padding: Any = 0, **options: Any
) -> np.ndarray:
    """A cross-correlation computed as a true convolution (the kernel flipped); the layouts of
    :func:`_kernel_not_flipped`."""
    x, kernel = np.asarray(x), np.asarray(kernel)
    if x.ndim == 2 and kernel.ndim == 2 and bias is None and not options:
        return convolve(x[np.newaxis], kernel[np.newaxis, np.newaxis], stride=stride, padding=padding)[0]
    return convolve(x, kernel, bias, stride=stride, padding=padding, **options)


def _padding_one_side(x: Any, kernel: Any, *, stride: Any = 1, padding: Any = 0) -> np.ndarray:
    """All ``2p`` of the padding after the input: ``x`` copied into the top-left corner of the padded zeros."""
    x, kernel = np.asarray(x), np.asarray(kernel)
    variants = _padding_one_side_model(
        x[np.newaxis], kernel[np.newaxis, np.newaxis], None, stride=stride, padding=padding
    )
    next(variants)  # all of it before the input
    return next(variants)[0]


def _per_dim(value: Any, ndim: int) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def _pool_stride_default_kernel(x: Any, pool_size: Any, *, mode: str = "max") -> np.ndarray:
    """d2l's stride-1 ``pool2d`` computed with PyTorch's default stride, the window size."""
    check_choice("mode", mode, ("max", "avg"))
    x = np.asarray(x)
    size = _per_dim(pool_size, x.ndim)
    model = _pool_stride_default_kernel_model(x[np.newaxis], size, op=f"{mode}_pool", stride=(1,) * x.ndim)
    return next(model)[0]


# --------------------------------------------------------------------------
# food digestion, computed with convmath.digestion (c(t) = ∫ f(τ) g(t − τ) dτ)


def _pulses_only(meals: Any, label: str) -> list[Any]:
    meals = [meals] if isinstance(meals, (digestion.Meal, digestion.Impulse)) else meals
    if not isinstance(meals, (list, tuple)) or any(isinstance(item, sympy.Basic) for item in meals):
        raise ConvMathError(f"{label} is defined for pulse and impulse meals, not for meals={meals!r}")
    return list(meals)


def _is_impulse(item: Any) -> bool:
    return isinstance(item, digestion.Impulse) or (isinstance(item, (tuple, list)) and item[0] == "impulse")


def _pulse(item: Any) -> tuple[Any, Any, Any]:
    return (item.start, item.duration, item.rate) if isinstance(item, digestion.Meal) else tuple(item)


def _retention_ignored(t: Any, meals: Any, retention: Any) -> Any:
    """No digestion (``g = 1``): everything eaten up to ``t``; ``retention`` is what is ignored."""
    return digestion.cumulative_intake(t, meals)


def _meal_as_impulse(t: Any, meals: Any, retention: Any) -> Any:
    """Each pulse meal (``rate`` on ``[start, start + duration)``) eaten at once at ``start``."""
    items = _pulses_only(meals, "meal_as_impulse")
    if all(_is_impulse(item) for item in items):
        raise ConvMathError("meal_as_impulse needs a meal that lasts; every meal is already an impulse")
    impulses: list[Any] = []
    for item in items:
        if _is_impulse(item):
            impulses.append(item)
        else:
            start, duration, rate = _pulse(item)
            impulses.append(("impulse", start, rate * duration))
    return digestion.food_content(t, impulses, retention)


def _retention_not_flipped(t: Any, meals: Any, retention: Any) -> Any:
    r"""The cross-correlation :math:`\int f(\tau) g(\tau - t) d\tau`: the convolution of the mirrored intake at
    ``-t``."""
    mirrored: list[Any] = []
    for item in _pulses_only(meals, "retention_not_flipped"):
        if isinstance(item, digestion.Impulse):
            mirrored.append(("impulse", -item.time, item.amount))
        elif _is_impulse(item):
            mirrored.append(("impulse", -item[1], item[2]))
        else:
            start, duration, rate = _pulse(item)
            mirrored.append((-start - duration, duration, rate))
    return digestion.food_content(-t, mirrored, retention)


def _discrete_step_ignored(intake: Sequence[Any], retention: Sequence[Any], *, step: Any = 1) -> np.ndarray:
    """The Riemann sum without the step: the rates convolved as if they were amounts."""
    if not step > 0:
        raise ConvMathError(f"step={step!r} must be positive")
    return digestion.discrete_food_content(intake, retention)


def _channels_not_summed(x: Any, kernel: Any) -> np.ndarray:
    """Each channel correlated with its own kernel slice and kept apart."""
    x, kernel = np.asarray(x), np.asarray(kernel)
    return next(_channels_not_summed_model(x, kernel[np.newaxis], None))[0]


# --------------------------------------------------------------------------
# the mistakes made by a whole function (the models of the function checks, see KINDS)


def _conv_op(op: str) -> Callable[..., np.ndarray]:
    check_choice("op", op, ("correlate", "convolve"))
    return correlate if op == "correlate" else convolve


def _conv_right(x: Any, weight: Any, bias: Any, *, op: str = "correlate", **options: Any) -> np.ndarray:
    return _conv_op(op)(x, weight, bias, **options)


def _pads(padding: Any, kernel: Sequence[int], dilation: Any, stride: Any) -> tuple[tuple[Any, Any], ...]:
    """``(left, right)`` per spatial dimension, whatever the form of ``padding``."""
    nd = len(kernel)
    return tuple(
        tuple(resolve_padding(p, k, dilation=d, stride=s))  # type: ignore[misc]
        for p, k, d, s in zip(_per_dim(padding, nd), kernel, _per_dim(dilation, nd), _per_dim(stride, nd))
    )


def _pooled(
    x: np.ndarray,
    kernel_size: tuple[int, ...],
    *,
    op: str = "max_pool",
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    check_choice("op", op, ("max_pool", "avg_pool"))
    if op == "max_pool":
        return max_pool(x, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    return avg_pool(x, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)


def _last_dropped(out: np.ndarray, nd: int) -> np.ndarray:
    """The output without its last row (column, ...) in each of its ``nd`` spatial dimensions."""
    return out[(Ellipsis,) + (slice(0, -1),) * nd]


def _kernel_flipped_model(x: Any, weight: Any, bias: Any, *, op: str = "correlate", **options: Any) -> Iterator[Any]:
    if op != "correlate":
        raise ConvMathError("kernel_flipped is a mistake of a cross-correlation")
    yield _kernel_flipped(x, weight, bias, **options)


def _kernel_not_flipped_model(
    x: Any, weight: Any, bias: Any, *, op: str = "correlate", **options: Any
) -> Iterator[Any]:
    if op != "convolve":
        raise ConvMathError("kernel_not_flipped is a mistake of a true convolution")
    yield _kernel_not_flipped(x, weight, bias, **options)


def _forgot_plus_one_conv(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    yield _last_dropped(_conv_right(x, weight, bias, **options), np.ndim(weight) - 2)


def _padded_conv(
    x: Any, weight: Any, bias: Any, sides: Sequence[tuple[Any, Any]], options: Mapping[str, Any]
) -> np.ndarray:
    """The valid result on ``x`` padded by ``sides`` (zeros), the rest of ``options`` as given."""
    x = np.asarray(x)
    lead = [(0, 0)] * (x.ndim - len(sides))
    return _conv_right(np.pad(x, lead + list(sides)), weight, bias, **{**options, "padding": 0})


def _padding_variants(
    x: Any, weight: Any, bias: Any, options: Mapping[str, Any], sides: Callable[[Any, Any], Sequence[Any]]
) -> Iterator[Any]:
    kernel = np.shape(weight)[2:]
    pads = _pads(options.get("padding", 0), kernel, options.get("dilation", 1), options.get("stride", 1))
    if not any(left or right for left, right in pads):
        raise ConvMathError(f"padding={options.get('padding', 0)!r} pads nothing")
    for which in (0, 1):
        yield _padded_conv(x, weight, bias, [sides(left, right)[which] for left, right in pads], options)


def _padding_once_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    """``p`` in all instead of ``2p``: the left padding only, or the right one only."""
    return _padding_variants(x, weight, bias, options, lambda left, right: ((left, 0), (0, right)))


def _padding_one_side_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    """All ``2p`` on one side: before the input, or after it (``x`` in a corner of the padded zeros)."""
    return _padding_variants(x, weight, bias, options, lambda left, right: ((left + right, 0), (0, left + right)))


def _ignored_stride_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    if not any(s > 1 for s in _per_dim(options.get("stride", 1), np.ndim(weight) - 2)):
        raise ConvMathError("stride 1 cannot be ignored")
    if options.get("padding") == "same":
        raise ConvMathError("padding='same' is defined for stride 1 only")
    yield _conv_right(x, weight, bias, **{**options, "stride": 1})


def _ignored_dilation_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    if not any(d > 1 for d in _per_dim(options.get("dilation", 1), np.ndim(weight) - 2)):
        raise ConvMathError("dilation 1 cannot be ignored")
    if options.get("padding") in ("same", "full"):
        raise ConvMathError(f"padding={options['padding']!r} follows the dilation")
    yield _conv_right(x, weight, bias, **{**options, "dilation": 1})


def _channels_not_summed_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    """One result per input channel (stacked after the output channels), or the first channel's only."""
    if options.get("groups", 1) != 1:
        raise ConvMathError("channels_not_summed is modelled without groups")
    x, weight = np.asarray(x), np.asarray(weight)
    caxis = x.ndim - (weight.ndim - 2) - 1
    cin = x.shape[caxis]
    parts = [_conv_right(np.take(x, [c], axis=caxis), weight[:, c : c + 1], bias, **options) for c in range(cin)]
    yield np.stack(parts, axis=caxis + 1)
    if cin > 1:
        yield parts[0]


def _bias_per_input_channel_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    per_group = np.shape(weight)[1]
    if bias is None or per_group < 2:
        raise ConvMathError("a bias per input channel needs a bias and more than one input channel per group")
    bias = np.asarray(bias)
    right = _conv_right(x, weight, bias, **options)
    yield right + (per_group - 1) * bias.reshape((-1,) + (1,) * (np.ndim(weight) - 2))


def _forgot_bias_model(x: Any, weight: Any, bias: Any, **options: Any) -> Iterator[Any]:
    if bias is None or not np.any(bias):
        raise ConvMathError("forgot_bias needs a bias that is not zero")
    bias = np.asarray(bias)
    right = _conv_right(x, weight, bias, **options)
    yield right - bias.reshape((-1,) + (1,) * (np.ndim(weight) - 2))


def _window_stride(kernel_size: tuple[int, ...], stride: Any) -> tuple[int, ...]:
    return tuple(kernel_size) if stride is None else _per_dim(stride, len(kernel_size))


def _pool_stride_one_model(x: Any, kernel_size: Any, *, stride: Any = None, **options: Any) -> Iterator[Any]:
    if all(s == 1 for s in _window_stride(kernel_size, stride)):
        raise ConvMathError("the stride is already 1")
    yield _pooled(x, kernel_size, **options, stride=(1,) * len(kernel_size))


def _pool_stride_default_kernel_model(x: Any, kernel_size: Any, *, stride: Any = None, **options: Any) -> Iterator[Any]:
    if any(s != 1 for s in _window_stride(kernel_size, stride)) or all(k == 1 for k in kernel_size):
        raise ConvMathError("pool_stride_default_kernel is a mistake of a stride-1 pooling with a window above 1")
    yield _pooled(x, kernel_size, **options, stride=tuple(kernel_size))


def _forgot_plus_one_pool(x: Any, kernel_size: Any, **options: Any) -> Iterator[Any]:
    yield _last_dropped(_pooled(x, kernel_size, **options), len(kernel_size))


def _ceil_mode_ignored_pool(x: Any, kernel_size: Any, *, ceil_mode: bool = False, **options: Any) -> Iterator[Any]:
    yield _pooled(x, kernel_size, **options, ceil_mode=not ceil_mode)


def _pool_padding_one_side_model(
    x: Any, kernel_size: Any, *, op: str = "max_pool", padding: Any = 0, **options: Any
) -> Iterator[Any]:
    """Max pooling with all the padding (of ``-inf``) on the left, or all on the right."""
    pads = _per_dim(padding, len(kernel_size))
    if op != "max_pool" or not any(pads):
        raise ConvMathError("pool_padding_one_side is modelled for a padded max pooling")
    x = np.asarray(x)
    lead = [(0, 0)] * (x.ndim - len(kernel_size))
    for side in ([(p, 0) for p in pads], [(0, p) for p in pads]):
        padded = np.pad(x, lead + side, constant_values=-np.inf)
        yield _pooled(padded, kernel_size, op=op, **options, padding=(0,) * len(kernel_size))


#: Label -> kind -> model (see :attr:`Misconception.models`).
_MODELS: dict[str, dict[str, Callable[..., Iterator[Any]]]] = {
    "kernel_flipped": {"conv": _kernel_flipped_model},
    "kernel_not_flipped": {"conv": _kernel_not_flipped_model},
    "forgot_plus_one": {"conv": _forgot_plus_one_conv, "pool": _forgot_plus_one_pool},
    "padding_once": {"conv": _padding_once_model},
    "padding_one_side": {"conv": _padding_one_side_model},
    "ignored_stride": {"conv": _ignored_stride_model},
    "ignored_dilation": {"conv": _ignored_dilation_model},
    "channels_not_summed": {"conv": _channels_not_summed_model},
    "bias_per_input_channel": {"conv": _bias_per_input_channel_model},
    "forgot_bias": {"conv": _forgot_bias_model},
    "pool_stride_one": {"pool": _pool_stride_one_model},
    "pool_stride_default_kernel": {"pool": _pool_stride_default_kernel_model},
    "ceil_mode_ignored": {"pool": _ceil_mode_ignored_pool},
    "pool_padding_one_side": {"pool": _pool_padding_one_side_model},
}


# --------------------------------------------------------------------------
# the catalogue

_ENTRIES: tuple[tuple[str, str, Callable[..., Any], str, str, str, str], ...] = (
    # label, quantity, wrong, title en, title zh, feedback en, feedback zh
    (
        "forgot_plus_one",
        "conv_output_size",
        _forgot_plus_one,
        "forgot the +1",
        "漏掉了 +1",
        "{value} is what you get without the final +1: the first window position counts too, "
        "so the output is ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1.",
        "{value} 是漏掉最后的 +1 得到的结果：卷积核的第一个位置也要计数，输出大小是 ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1。",
    ),
    (
        "ceil_not_floor",
        "conv_output_size",
        _ceil_not_floor,
        "ceil instead of floor",
        "向上取整而不是向下取整",
        "{value} is what you get by rounding up; a window that would run past the (padded) input is not used, "
        "so the division is rounded down.",
        "{value} 是向上取整得到的结果；超出（填充后）输入边界的窗口不会被计算，所以除法要向下取整。",
    ),
    (
        "no_floor",
        "conv_output_size",
        _no_floor,
        "no floor at all",
        "没有取整",
        "{value} is not a whole number of positions: the quotient (n + 2p − d(k−1) − 1)/s must be rounded down.",
        "{value} 不是整数个位置：商 (n + 2p − d(k−1) − 1)/s 必须向下取整。",
    ),
    (
        "padding_once",
        "conv_output_size",
        _padding_once,
        "padding counted once",
        "填充只算了一次",
        "{value} is what you get with padding counted once, p instead of 2p: padding=p adds p on each side.",
        "{value} 是只加了一次填充（用 p 而不是 2p）得到的结果：padding=p 表示两侧各填充 p。",
    ),
    (
        "padding_total_doubled",
        "d2l_output_size",
        _padding_total_doubled,
        "2p where p was already the total",
        "p_h 已是总填充却又乘了 2",
        "{value} is what you get by doubling a padding that was already the total (d2l's p_h counts both sides).",
        "{value} 是把已经是总填充量的 p_h 又乘以 2 得到的结果（李沐课程中的 p_h 已经包含了两侧的填充）。",
    ),
    (
        "ignored_dilation",
        "conv_output_size",
        _ignored_dilation,
        "dilation ignored",
        "忽略了膨胀（空洞）率",
        "{value} is what you get ignoring the dilation: a dilated kernel spans d(k − 1) + 1 inputs.",
        "{value} 是忽略膨胀率得到的结果：膨胀后的卷积核覆盖 d(k − 1) + 1 个输入位置。",
    ),
    (
        "dilated_kernel_dk",
        "conv_output_size",
        _dilated_kernel_dk,
        "dilated kernel taken as d·k wide",
        "把膨胀后的核宽算成 d·k",
        "{value} is what you get taking the dilated kernel as d·k wide; it spans d(k − 1) + 1 inputs.",
        "{value} 是把膨胀后的卷积核宽度算成 d·k 得到的结果；它实际覆盖 d(k − 1) + 1 个输入位置。",
    ),
    (
        "ignored_stride",
        "conv_output_size",
        _ignored_stride,
        "stride ignored",
        "忽略了步幅",
        "{value} is what you get with stride 1; with stride s the window moves s positions at a time.",
        "{value} 是按步幅 1 计算的结果；步幅为 s 时窗口每次移动 s 个位置。",
    ),
    (
        "transpose_as_conv",
        "conv_transpose_output_size",
        _transpose_as_conv,
        "transposed convolution computed as a convolution",
        "把转置卷积当成普通卷积计算",
        "{value} is the output of an ordinary convolution; a transposed convolution enlarges: "
        "(n − 1)s − 2p + d(k − 1) + output_padding + 1.",
        "{value} 是普通卷积的输出大小；转置卷积会放大尺寸：(n − 1)s − 2p + d(k − 1) + output_padding + 1。",
    ),
    (
        "transpose_padding_added",
        "conv_transpose_output_size",
        _transpose_padding_added,
        "padding added in a transposed convolution",
        "转置卷积中把填充加上而不是减去",
        "{value} is what you get adding 2p; in a transposed convolution the padding is removed from the output.",
        "{value} 是加上 2p 得到的结果；转置卷积中的 padding 是从输出中去掉的。",
    ),
    (
        "transpose_n_times_s",
        "conv_transpose_output_size",
        _transpose_n_times_s,
        "n·s instead of (n − 1)·s",
        "用 n·s 代替 (n − 1)·s",
        "{value} is what you get with n·s; n inputs are n − 1 strides apart, so the term is (n − 1)s.",
        "{value} 是用 n·s 得到的结果；n 个输入之间只有 n − 1 个步幅间隔，应为 (n − 1)s。",
    ),
    (
        "output_padding_ignored",
        "conv_transpose_output_size",
        _output_padding_ignored,
        "output_padding ignored",
        "忽略了 output_padding",
        "{value} is what you get ignoring output_padding, which adds that many positions to the output.",
        "{value} 是忽略 output_padding 得到的结果；output_padding 会在输出的一侧再加上相应的行（列）数。",
    ),
    (
        "pool_stride_one",
        "pool_output_size",
        _pool_stride_one,
        "pooling stride taken as 1",
        "把池化步幅当成 1",
        "{value} is what you get with stride 1; a pooling layer's stride defaults to its window size.",
        "{value} 是按步幅 1 计算的结果；池化层的步幅默认等于窗口大小。",
    ),
    (
        "pool_padding_one_side",
        "pool_output_size",
        _pool_padding_one_side,
        "pooling padding on one side only",
        "池化的填充只算了一侧",
        "{value} is what you get padding one side only; pooling pads p on both sides, 2p in all.",
        "{value} 是只在一侧填充得到的结果；池化层在两侧各填充 p，总共 2p。",
    ),
    (
        "ceil_mode_ignored",
        "pool_output_size",
        _ceil_mode_ignored,
        "ceil_mode ignored",
        "忽略了 ceil_mode",
        "{value} is what you get with the other rounding; ceil_mode=True rounds up, ceil_mode=False rounds down.",
        "{value} 是用了另一种取整方式的结果；ceil_mode=True 向上取整，ceil_mode=False 向下取整。",
    ),
    (
        "ceil_mode_last_window_kept",
        "pool_output_size",
        _ceil_mode_last_window_kept,
        "a window starting in the right padding kept",
        "保留了从右侧填充开始的窗口",
        "{value} is what you get by rounding up without the rule that the last window must start inside "
        "the input or the left padding.",
        "{value} 是向上取整后没有去掉最后一个窗口得到的结果：最后一个窗口必须从输入或左侧填充内开始。",
    ),
    (
        "forgot_bias",
        "conv_params",
        _forgot_bias,
        "forgot the bias",
        "漏掉了偏置",
        "{value} counts the weights only; every output channel (or unit) also has one bias.",
        "{value} 只计算了权重；每个输出通道（或神经元）还有一个偏置参数。",
    ),
    (
        "bias_per_input_channel",
        "conv_params",
        _bias_per_input_channel,
        "a bias per input channel",
        "按输入通道计算偏置",
        "{value} counts one bias per input channel; there is one bias per output channel.",
        "{value} 按输入通道数计算了偏置；偏置的个数等于输出通道数。",
    ),
    (
        "groups_ignored",
        "conv_params",
        _groups_ignored,
        "groups ignored",
        "忽略了分组",
        "{value} is what you get ignoring groups; each filter sees only in_channels / groups input channels.",
        "{value} 是忽略分组得到的结果；每个卷积核只连接 in_channels / groups 个输入通道。",
    ),
    (
        "kernel_not_squared",
        "conv_params",
        _kernel_not_squared,
        "k instead of k×k",
        "用 k 代替 k×k",
        "{value} counts k weights per channel pair; a 2-D kernel has k × k weights.",
        "{value} 每对通道只算了 k 个权重；二维卷积核有 k × k 个权重。",
    ),
    (
        "params_ignored_in_channels",
        "conv_params",
        _params_ignored_in_channels,
        "input channels ignored in the filter size",
        "卷积核没有乘输入通道数",
        "{value} counts a k×k filter per output channel; each filter has one k×k slice per input channel.",
        "{value} 对每个输出通道只算了一个 k×k 卷积核；实际上每个卷积核对每个输入通道都有一个 k×k 切片。",
    ),
    (
        "in_out_swapped",
        "depthwise_separable_params",
        _in_out_swapped,
        "input and output channels swapped",
        "输入与输出通道数弄反了",
        "{value} runs the depthwise step over the output channels; it filters each *input* channel.",
        "{value} 把逐通道（depthwise）卷积算在了输出通道上；它作用于每个*输入*通道。",
    ),
    (
        "macs_as_flops",
        "conv_macs",
        _macs_as_flops,
        "FLOPs given for MACs",
        "把 FLOPs 当成 MACs",
        "{value} counts a multiply and an add separately (FLOPs = 2 × MACs); a MAC is one multiply-accumulate.",
        "{value} 把乘法和加法分开计数（FLOPs = 2 × MACs）；一次乘加（MAC）只算一次。",
    ),
    (
        "macs_bias_counted",
        "conv_macs",
        _macs_bias_counted,
        "bias counted as a multiply-accumulate",
        "把偏置也算进了乘加次数",
        "{value} adds one operation per output element for the bias; the multiply-accumulates asked for are those "
        "of the weights.",
        "{value} 为偏置在每个输出元素上多算了一次运算；这里要求的只是权重的乘加次数。",
    ),
    (
        "macs_input_size",
        "conv_macs",
        _macs_input_size,
        "input size used instead of output size",
        "用输入尺寸代替输出尺寸",
        "{value} multiplies by the input's spatial size; the kernel is applied once per *output* position.",
        "{value} 乘的是输入的空间大小；卷积核在每个*输出*位置各计算一次。",
    ),
    (
        "macs_per_position",
        "conv_macs",
        _macs_per_position,
        "one output position only",
        "只算了一个输出位置",
        "{value} counts one output position; multiply by the number of output positions H_out × W_out.",
        "{value} 只算了一个输出位置；还要乘以输出位置数 H_out × W_out。",
    ),
    (
        "rf_sum_of_kernels",
        "receptive_field",
        _rf_sum_of_kernels,
        "receptive field as a sum of kernel sizes",
        "把感受野算成卷积核大小之和",
        "{value} adds the kernel sizes; each layer adds (k − 1) × (product of the earlier strides).",
        "{value} 是把各层卷积核大小直接相加；每一层增加的是 (k − 1) × 前面各层步幅之积。",
    ),
    (
        "rf_ignored_strides",
        "receptive_field",
        _rf_ignored_strides,
        "receptive field ignoring strides",
        "计算感受野时忽略了步幅",
        "{value} ignores the strides; after a stride-s layer, each step of a later kernel covers s inputs.",
        "{value} 忽略了步幅；经过步幅为 s 的层后，后面卷积核每移动一格对应输入上的 s 个位置。",
    ),
    (
        "rf_own_stride_included",
        "receptive_field",
        _rf_own_stride_included,
        "a layer's own stride in its product",
        "乘上了本层自己的步幅",
        "{value} multiplies each layer's k − 1 by its own stride too; only the strides of the layers before it count.",
        "{value} 把每层的 k − 1 也乘上了本层的步幅；只应乘以它之前各层的步幅。",
    ),
    (
        "rf_is_effective_stride",
        "receptive_field",
        _rf_is_effective_stride,
        "receptive field taken as the product of strides",
        "把感受野当成步幅之积",
        "{value} is the effective stride (the product of the strides), not the receptive field.",
        "{value} 是等效步幅（各层步幅之积），不是感受野。",
    ),
    (
        "rf_ignored_dilation",
        "receptive_field",
        _rf_ignored_dilation,
        "receptive field ignoring dilation",
        "计算感受野时忽略了膨胀率",
        "{value} ignores the dilation; a dilated kernel spans d(k − 1) + 1 inputs.",
        "{value} 忽略了膨胀率；膨胀后的卷积核覆盖 d(k − 1) + 1 个位置。",
    ),
    (
        "kernel_not_flipped",
        "convolve2d",
        _kernel_not_flipped,
        "kernel not flipped in a true convolution",
        "数学卷积没有翻转卷积核",
        "{value} is the cross-correlation; a true convolution turns the kernel by 180° first.",
        "{value} 是互相关的结果；数学意义上的卷积要先把卷积核旋转 180°。",
    ),
    (
        "kernel_flipped",
        "correlate2d",
        _kernel_flipped,
        "kernel flipped in a cross-correlation",
        "互相关时翻转了卷积核",
        "{value} flips the kernel; the cross-correlation (deep learning's 'convolution') uses it as it is.",
        "{value} 翻转了卷积核；互相关运算（深度学习中的“卷积”）直接使用原卷积核。",
    ),
    (
        "padding_one_side",
        "correlate2d",
        _padding_one_side,
        "all the padding on one side",
        "填充全部补在了一侧",
        "{value} puts all 2p rows and columns of padding on one side (X copied into a corner of the zero array); "
        "padding=p adds p on every side, so X sits in the middle.",
        "{value} 把 2p 行（列）填充全部补在了一侧（把 X 复制到了零数组的一角）；"
        "padding=p 表示每一侧各补 p，X 应位于正中。",
    ),
    (
        "pool_stride_default_kernel",
        "pool2d",
        _pool_stride_default_kernel,
        "pooling window moved by its own size",
        "池化窗口按窗口大小移动",
        "{value} moves the window by its own size, PyTorch's default stride for nn.MaxPool2d(k); "
        "here (d2l's pool2d) the window moves one position at a time, stride 1.",
        "{value} 是窗口每次移动一个窗口大小得到的结果（PyTorch 中 nn.MaxPool2d(k) 的默认步幅）；"
        "这里（d2l 的 pool2d）窗口每次只移动一个位置，步幅为 1。",
    ),
    (
        "retention_ignored",
        "food_content",
        _retention_ignored,
        "digestion ignored (g ≡ 1)",
        "忽略了消化（g ≡ 1）",
        "{value} is everything eaten so far, as if nothing were digested (g ≡ 1); "
        "food eaten at τ counts only with the fraction g(t − τ) still left.",
        "{value} 是到此为止吃下的全部食物，相当于完全没有消化（g ≡ 1）；τ 时刻吃下的食物只剩下比例 g(t − τ)。",
    ),
    (
        "meal_as_impulse",
        "food_content",
        _meal_as_impulse,
        "a meal taken as eaten all at once",
        "把一餐当成一下子吃完",
        "{value} treats each meal as eaten all at once at its start; a meal eaten at rate r from a to b "
        "is spread over that time, so integrate r·g(t − τ) over τ from a to b.",
        "{value} 把每一餐都当成在开始时刻一下子吃完；以速率 r 从 a 吃到 b 的一餐分布在这段时间里，"
        "要对 τ 从 a 到 b 积分 r·g(t − τ)。",
    ),
    (
        "retention_not_flipped",
        "food_content",
        _retention_not_flipped,
        "retention not flipped (the cross-correlation)",
        "没有翻转 g（算成了互相关）",
        "{value} weighs food eaten at τ with g(τ − t), the cross-correlation, which counts only what is eaten after t; "
        "food eaten at τ has been digesting for t − τ hours, so the convolution uses g(t − τ).",
        "{value} 用 g(τ − t) 给 τ 时刻吃下的食物加权，这是互相关，只计入 t 之后吃的食物；"
        "τ 时刻吃下的食物已经消化了 t − τ 小时，卷积要用 g(t − τ)。",
    ),
    (
        "discrete_step_ignored",
        "discrete_food_content",
        _discrete_step_ignored,
        "the time step left out of the sum",
        "求和时漏乘了时间步长",
        "{value} leaves out the step h: the sum approximates the integral only with dτ replaced by h, "
        "c[n] = h·Σ f[m] g[n − m] when f holds rates.",
        "{value} 漏乘了步长 h：只有把 dτ 换成 h，求和才近似于积分；f 为速率时 c[n] = h·Σ f[m] g[n − m]。",
    ),
    (
        "channels_not_summed",
        "correlate2d_multichannel",
        _channels_not_summed,
        "channels not summed",
        "没有对各通道求和",
        "{value} keeps one result per input channel; a multi-channel correlation sums them into one.",
        "{value} 保留了每个输入通道各自的结果；多通道互相关要把各通道的结果相加。",
    ),
)

#: Label -> misconception.
CATALOGUE: dict[str, Misconception] = {
    label: Misconception(
        label, {"en": t_en, "zh": t_zh}, {"en": f_en, "zh": f_zh}, quantity, wrong, _MODELS.get(label, {})
    )
    for label, quantity, wrong, t_en, t_zh, f_en, f_zh in _ENTRIES
}


def _format_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def feedback(label: str, value: Any, locale: str = "en") -> str:
    """The feedback sentence of misconception ``label`` for the answer ``value``.

    Parameters
    ----------
    label : str
        A key of :data:`CATALOGUE`.
    value : object
        The student's answer (an int, a float, a tuple, an array, an expression).
    locale : {"en", "zh"}, optional
        Language of the sentence (default English).

    Returns
    -------
    str

    Examples
    --------
    >>> CATALOGUE["padding_once"].wrong(32, 5, padding=2)   # (32 + 2 - 5) + 1, not (32 + 4 - 5) + 1
    30
    >>> feedback("padding_once", 30)
    '30 is what you get with padding counted once, p instead of 2p: padding=p adds p on each side.'
    >>> feedback("forgot_bias", 9, locale="zh")
    '9 只计算了权重；每个输出通道（或神经元）还有一个偏置参数。'
    >>> meals, retention = [(0, 2, 3), (5, 1, 2)], ("exponential", 1)
    >>> CATALOGUE["retention_ignored"].wrong(7, meals, retention)  # nothing digested: 3*2 + 2*1
    8
    >>> CATALOGUE["meal_as_impulse"].wrong(3, meals, retention)  # 3*2 eaten at t = 0, 3 hours ago
    6*exp(-3)
    >>> CATALOGUE["retention_not_flipped"].wrong(7, meals, retention)  # g(τ − 7): only food eaten after 7 counts
    0
    >>> feedback("made_up", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: label='made_up' is not allowed; use one of the labels of ...CATALOGUE
    """
    if label not in CATALOGUE:
        raise ConvMathError(
            f"label={label!r} is not allowed; use one of the labels of convmath.misconceptions.CATALOGUE"
        )
    check_choice("locale", locale, ("en", "zh"))
    return CATALOGUE[label].feedback[locale].format(value=_format_value(value))
