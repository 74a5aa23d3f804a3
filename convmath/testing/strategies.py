"""Hypothesis strategies for valid convolution and pooling configurations.

Every strategy here draws configurations that the layer would accept: the
(dilated) kernel fits the padded input, ``padding="same"`` comes only with
stride 1, ``groups`` divides both channel counts, pooling padding is at most
``kernel_size // 2``. The constraints are those of :mod:`convmath.sizes`,
which also computes each configuration's output shape, so a strategy never
re-derives a formula.

Each strategy says what it shrinks towards; a failing example is therefore
reported as the smallest configuration that fails: one channel, a 1-wide
kernel, stride 1, no padding, and an input just large enough for the kernel
(the "kernel as large as the input" case).

Examples
--------
>>> from hypothesis import given
>>> @given(conv_configs(max_size=5))
... def test_shape(config):
...     assert all(o >= 1 for o in config.output_shape[-config.ndim:])
>>> test_shape()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from convmath._validate import check_int, check_positive_int
from convmath.errors import ConvMathError
from convmath.sizes import conv_output_size, pool_output_size, resolve_padding

__all__ = [
    "PADDING_FORMS",
    "ConvConfig",
    "PoolConfig",
    "conv_configs",
    "conv_arrays",
    "int_arrays",
    "pool_configs",
    "output_size_arguments",
    "layer_stacks",
    "small_int_matrices",
    "corr2d_inputs",
]

#: The ways a ``padding=`` argument can be written (see :func:`convmath.conv_output_size`).
PADDING_FORMS: tuple[str, ...] = ("int", "per_dim", "pair", "valid", "same", "full")


@dataclass(frozen=True)
class ConvConfig:
    """One valid convolution layer applied to one input (PyTorch's layouts)."""

    batch: int | None
    """Batch size ``N``, or ``None`` for an unbatched input ``(C_in, *spatial)``."""

    in_channels: int
    """Input channels ``C_in``."""

    out_channels: int
    """Output channels ``C_out``."""

    spatial: tuple[int, ...]
    """Input size per spatial dimension."""

    kernel_size: tuple[int, ...]
    """Kernel size per spatial dimension."""

    stride: tuple[int, ...]
    """Stride per spatial dimension."""

    padding: Any
    """``padding=`` exactly as it is passed: an int, a tuple of ints (one per
    dimension), a tuple of ``(left, right)`` pairs, or ``"valid"``/``"same"``/``"full"``."""

    dilation: tuple[int, ...]
    """Dilation per spatial dimension."""

    groups: int
    """Groups; divides both channel counts."""

    bias: bool
    """Whether the layer has a bias (one value per output channel)."""

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return len(self.spatial)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of ``x``: ``(N, C_in, *spatial)`` or ``(C_in, *spatial)``."""
        lead = () if self.batch is None else (self.batch,)
        return (*lead, self.in_channels, *self.spatial)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape of the weight: ``(C_out, C_in / groups, *kernel_size)``."""
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        """``(left, right)`` padding per spatial dimension, whatever the form."""
        return _pads(self.padding, self.kernel_size, self.dilation, self.stride)

    @property
    def output_spatial(self) -> tuple[int, ...]:
        """Output size per spatial dimension, from :func:`convmath.conv_output_size`."""
        return tuple(
            conv_output_size(
                tuple(self.spatial),
                tuple(self.kernel_size),
                stride=tuple(self.stride),
                padding=self.pads,
                dilation=tuple(self.dilation),
            )
        )

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of the output: ``(N, C_out, *out)`` or ``(C_out, *out)``."""
        lead = () if self.batch is None else (self.batch,)
        return (*lead, self.out_channels, *self.output_spatial)

    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`convmath.numeric.correlate` for this layer."""
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation, "groups": self.groups}


def _pads(
    padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    per = padding if isinstance(padding, tuple) else (padding,) * len(kernel)
    return tuple(
        tuple(resolve_padding(p, k, dilation=d, stride=s))  # type: ignore[misc]
        for p, k, d, s in zip(per, kernel, dilation, stride)
    )


def _check_forms(forms: Any) -> tuple[str, ...]:
    forms = tuple(forms)
    for form in forms:
        if form not in PADDING_FORMS:
            allowed = ", ".join(repr(f) for f in PADDING_FORMS)
            raise ConvMathError(f"padding_forms entry {form!r} is not allowed; use {allowed}")
    if not forms:
        raise ConvMathError("padding_forms=() must name at least one form, e.g. ('valid',)")
    return forms


def conv_configs(
    *,
    ndim: int = 2,
    max_size: int = 8,
    max_kernel: int = 4,
    max_in_channels: int = 3,
    max_out_channels: int = 3,
    max_groups: int = 1,
    batch: bool = False,
    padding_forms: tuple[str, ...] = PADDING_FORMS,
    max_padding: int = 2,
    max_stride: int = 3,
    max_dilation: int = 2,
    bias: bool | None = None,
    square_options: bool = False,
) -> st.SearchStrategy[ConvConfig]:
    """Valid convolution configurations.

    Parameters
    ----------
    ndim : int, optional
        Spatial dimensions (default 2).
    max_size : int, optional
        Largest input size per dimension (the input grows beyond it only when
        the dilated kernel needs more).
    max_kernel, max_padding, max_stride, max_dilation : int, optional
        Largest kernel size, per-side padding, stride and dilation drawn;
        ``max_stride=1`` / ``max_dilation=1`` fixes them at 1.
    max_in_channels, max_out_channels : int, optional
        Largest channel counts *per group*; 1 gives single-channel layers.
    max_groups : int, optional
        Largest number of groups (default 1: no grouping).
    batch : bool, optional
        Draw a batch size and a batched input ``(N, C, *spatial)``.
    padding_forms : tuple of str, optional
        Which forms of ``padding=`` to draw, from :data:`PADDING_FORMS`.
    bias : bool or None, optional
        Whether the layer has a bias; ``None`` draws it.
    square_options : bool, optional
        One stride and one dilation for every dimension (for functions that
        take them as ints).

    Returns
    -------
    hypothesis.strategies.SearchStrategy of ConvConfig

    Notes
    -----
    Shrinks towards: one channel in and out, one group, batch 1, a kernel of
    size 1, stride 1, dilation 1, no bias and an input of size 1 per
    dimension. The padding form it shrinks to is not the first one listed
    but the one that needs the fewest draws: ``'same'`` when it is allowed
    (it fixes the stride at 1 and draws no padding), else the first of
    ``'valid'``/``'full'`` listed, else ``'int'`` with padding 0 before
    ``'per_dim'`` and ``'pair'``. So ``hypothesis.find(conv_configs(),
    lambda c: True)`` gives the 1 x 1 ``'same'`` layer
    ``ConvConfig(batch=None, in_channels=1, out_channels=1, spatial=(1, 1),
    kernel_size=(1, 1), stride=(1, 1), padding='same', dilation=(1, 1),
    groups=1, bias=False)``. Under a condition, the smallest input the
    kernel fits is reached (kernel as large as the padded input).

    Examples
    --------
    :func:`hypothesis.find` returns the smallest configuration that meets a
    condition: a 3 x 3 kernel shrinks onto a 3 x 3 input, one output unit.

    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> c = find(conv_configs(padding_forms=("valid",), max_stride=1, max_dilation=1),
    ...          lambda c: c.kernel_size == (3, 3), settings=DET)
    >>> c.input_shape, c.weight_shape, c.output_shape     # (3 - 3)//1 + 1 = 1
    ((1, 3, 3), (1, 1, 3, 3), (1, 1, 1))
    >>> conv_configs(padding_forms=("half",))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: padding_forms entry 'half' is not allowed; use 'int', 'per_dim', 'pair', 'valid', ...
    """
    ndim = check_positive_int("ndim", ndim)
    forms = _check_forms(padding_forms)
    for name, value in (
        ("max_size", max_size),
        ("max_kernel", max_kernel),
        ("max_stride", max_stride),
        ("max_dilation", max_dilation),
        ("max_in_channels", max_in_channels),
        ("max_out_channels", max_out_channels),
        ("max_groups", max_groups),
    ):
        check_positive_int(name, value)
    check_int("max_padding", max_padding, minimum=0)
    return _conv_configs(
        ndim,
        max_size,
        max_kernel,
        max_in_channels,
        max_out_channels,
        max_groups,
        batch,
        forms,
        max_padding,
        max_stride,
        max_dilation,
        bias,
        square_options,
    )


@st.composite
def _conv_configs(
    draw: Any,
    ndim: int,
    max_size: int,
    max_kernel: int,
    max_in_channels: int,
    max_out_channels: int,
    max_groups: int,
    batch: bool,
    forms: tuple[str, ...],
    max_padding: int,
    max_stride: int,
    max_dilation: int,
    bias: bool | None,
    square_options: bool,
) -> ConvConfig:
    groups = draw(st.integers(1, max_groups), label="groups")
    cin = groups * draw(st.integers(1, max_in_channels), label="in_channels per group")
    cout = groups * draw(st.integers(1, max_out_channels), label="out_channels per group")
    n_batch = draw(st.integers(1, 2), label="batch") if batch else None
    form = draw(st.sampled_from(forms), label="padding form")
    kernel = tuple(draw(st.lists(st.integers(1, max_kernel), min_size=ndim, max_size=ndim), label="kernel_size"))
    count = 1 if square_options else ndim
    dilation = tuple(draw(st.lists(st.integers(1, max_dilation), min_size=count, max_size=count), label="dilation"))
    if form == "same":
        stride = (1,) * count
    else:
        stride = tuple(draw(st.lists(st.integers(1, max_stride), min_size=count, max_size=count), label="stride"))
    if square_options:
        dilation, stride = dilation * ndim, stride * ndim
    padding: Any
    if form in ("valid", "same", "full"):
        padding = form
    elif form == "int":
        padding = draw(st.integers(0, max_padding), label="padding")
    elif form == "per_dim":
        padding = tuple(draw(st.lists(st.integers(0, max_padding), min_size=ndim, max_size=ndim), label="padding"))
    else:
        pair = st.tuples(st.integers(0, max_padding), st.integers(0, max_padding))
        padding = tuple(draw(st.lists(pair, min_size=ndim, max_size=ndim), label="padding"))
    pads = _pads(padding, kernel, dilation, stride)
    spatial = []
    for k, d, (left, right) in zip(kernel, dilation, pads):
        smallest = max(1, d * (k - 1) + 1 - left - right)
        spatial.append(smallest + draw(st.integers(0, max(0, max_size - smallest)), label="input size"))
    has_bias = draw(st.booleans(), label="bias") if bias is None else bias
    return ConvConfig(n_batch, cin, cout, tuple(spatial), kernel, stride, padding, dilation, groups, has_bias)


@st.composite
def conv_arrays(
    draw: Any, config: ConvConfig, *, min_value: int = -4, max_value: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(x, weight, bias)`` for ``config``: float arrays holding small integers.

    Integer values keep every sum exact, so a result can be compared exactly
    and a misconception's output recognised. Shrinks towards all zeros.

    Parameters
    ----------
    config : ConvConfig
        The layer; the arrays take its ``input_shape`` and ``weight_shape``.
    min_value, max_value : int, optional
        Range of the entries.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of (x, weight, bias)
        ``bias`` is ``None`` when ``config.bias`` is False.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> c = find(conv_configs(padding_forms=("valid",), max_stride=1, max_dilation=1),
    ...          lambda c: c.kernel_size == (3, 3), settings=DET)
    >>> x, weight, bias = find(conv_arrays(c), lambda a: a[0].sum() > 0, settings=DET)
    >>> x.shape, weight.shape, bias, float(x.sum())     # a single 1 in x: the smallest non-zero input
    ((1, 3, 3), (1, 1, 3, 3), None, 1.0)
    """

    def array(shape: tuple[int, ...], label: str) -> np.ndarray:
        return draw(int_arrays(shape, min_value=min_value, max_value=max_value), label=label).astype(np.float64)

    x = array(config.input_shape, "x")
    weight = array(config.weight_shape, "weight")
    bias = array((config.out_channels,), "bias") if config.bias else None
    return x, weight, bias


def int_arrays(shape: tuple[int, ...], *, min_value: int = -4, max_value: int = 4) -> st.SearchStrategy[np.ndarray]:
    """``int64`` arrays of ``shape`` with entries in ``[min_value, max_value]``.

    Drawn sparsely over a background of zeros (``hypothesis.extra.numpy.arrays``
    with a fill), which keeps shrinking fast. Shrinks towards all zeros
    (towards ``min_value`` when 0 is out of range).

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    min_value, max_value : int, optional
        Range of the entries.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of numpy.ndarray

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> find(int_arrays((2, 3)), lambda a: a.min() < 0, settings=DET)        # one -1, the rest zeros
    array([[-1,  0,  0],
           [ 0,  0,  0]])
    >>> find(int_arrays((2, 3), min_value=1, max_value=3), lambda a: True, settings=DET)
    array([[1, 1, 1],
           [1, 1, 1]])
    """
    fill = 0 if min_value <= 0 <= max_value else min_value
    return hnp.arrays(np.int64, shape, elements=st.integers(min_value, max_value), fill=st.just(fill))


@dataclass(frozen=True)
class PoolConfig:
    """One valid pooling layer applied to one input (PyTorch's rules)."""

    batch: int | None
    """Batch size, or ``None`` for an unbatched input."""

    channels: int
    """Channels (pooling keeps them apart)."""

    spatial: tuple[int, ...]
    """Input size per spatial dimension."""

    kernel_size: tuple[int, ...]
    """Window size per spatial dimension."""

    stride: tuple[int, ...] | None
    """Stride per dimension, or ``None`` for the default (the window size)."""

    padding: tuple[int, ...]
    """Padding per dimension (both sides), at most ``kernel_size // 2``."""

    dilation: tuple[int, ...]
    """Dilation per dimension (max pooling only)."""

    ceil_mode: bool
    """Round the output size up."""

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return len(self.spatial)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of ``x``: ``(N, C, *spatial)`` or ``(C, *spatial)``."""
        lead = () if self.batch is None else (self.batch,)
        return (*lead, self.channels, *self.spatial)

    @property
    def output_spatial(self) -> tuple[int, ...]:
        """Output size per dimension, from :func:`convmath.pool_output_size`."""
        return tuple(
            pool_output_size(
                tuple(self.spatial),
                tuple(self.kernel_size),
                stride=self.stride,
                padding=tuple(self.padding),
                dilation=tuple(self.dilation),
                ceil_mode=self.ceil_mode,
            )
        )


@st.composite
def pool_configs(
    draw: Any,
    *,
    ndim: int = 2,
    max_size: int = 8,
    max_kernel: int = 3,
    max_channels: int = 2,
    batch: bool = False,
    stride: bool = True,
    padding: bool = True,
    dilation: bool = False,
    ceil_mode: bool = True,
    square: bool = False,
) -> PoolConfig:
    """Valid pooling configurations.

    ``stride``, ``padding``, ``dilation`` and ``ceil_mode`` say whether each
    is drawn (``False`` leaves PyTorch's default: stride = window, no padding,
    no dilation, floor). ``square=True`` draws one window size, stride and
    padding for every dimension (for functions that take ``kernel_size`` as an int).

    Notes
    -----
    Shrinks towards: one channel, a window of 1, the default stride, no
    padding, floor mode, and the smallest input the window fits.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of PoolConfig

    Examples
    --------
    A 2-wide window shrinks onto an input of 2 (the stride defaults to the window):

    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> c = find(pool_configs(padding=False), lambda c: c.kernel_size[0] == 2, settings=DET)
    >>> c.input_shape, c.stride, c.output_spatial       # (2 - 2)//2 + 1 = 1
    ((1, 2, 1), None, (1, 1))
    """
    ndim = check_positive_int("ndim", ndim)
    channels = draw(st.integers(1, max_channels), label="channels")
    n_batch = draw(st.integers(1, 2), label="batch") if batch else None
    count = 1 if square else ndim
    kernel = tuple(draw(st.lists(st.integers(1, max_kernel), min_size=count, max_size=count), label="kernel_size"))
    dil = tuple(draw(st.integers(1, 2), label="dilation") if dilation else 1 for _ in kernel)
    strides = None
    if stride and draw(st.booleans(), label="explicit stride"):
        strides = tuple(draw(st.integers(1, max_kernel), label="stride") for _ in kernel)
    pads = tuple(draw(st.integers(0, k // 2), label="padding") if padding else 0 for k in kernel)
    if square:
        kernel, dil, pads = kernel * ndim, dil * ndim, pads * ndim
        strides = None if strides is None else strides * ndim
    ceil = draw(st.booleans(), label="ceil_mode") if ceil_mode else False
    spatial = []
    for k, d, p in zip(kernel, dil, pads):
        smallest = max(1, d * (k - 1) + 1 - 2 * p)
        spatial.append(smallest + draw(st.integers(0, max(0, max_size - smallest)), label="input size"))
    return PoolConfig(n_batch, channels, tuple(spatial), kernel, strides, pads, dil, ceil)


def output_size_arguments(
    *,
    layer: str = "conv",
    max_size: int = 64,
    max_kernel: int = 7,
    max_stride: int = 4,
    max_padding: int = 3,
    dilation: bool = True,
) -> st.SearchStrategy[dict[str, int]]:
    """Integer arguments ``n, kernel_size, stride, padding, dilation`` valid for a formula.

    ``layer`` is ``"conv"`` (:func:`convmath.conv_output_size`) or ``"pool"``
    (:func:`convmath.pool_output_size`: padding at most ``kernel_size // 2``).

    Notes
    -----
    Shrinks towards ``kernel_size=1, stride=1, padding=0, dilation=1`` and the
    smallest ``n`` the kernel fits.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of dict
        Keyword arguments for the formula (``n`` included).

    Examples
    --------
    The smallest padded pooling: a 2-wide window padded by 1 on an input of 1.

    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> from convmath import pool_output_size
    >>> args = find(output_size_arguments(layer="pool"), lambda a: a["padding"] > 0, settings=DET)
    >>> args
    {'n': 1, 'kernel_size': 2, 'stride': 1, 'padding': 1, 'dilation': 1}
    >>> pool_output_size(args.pop("n"), args.pop("kernel_size"), **args)   # (1 + 2*1 - 2)//1 + 1
    2
    >>> output_size_arguments(layer="fc")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: layer='fc' is not allowed; use one of 'conv', 'pool'
    """
    if layer not in ("conv", "pool"):
        raise ConvMathError(f"layer={layer!r} is not allowed; use one of 'conv', 'pool'")
    return _output_size_arguments(layer, max_size, max_kernel, max_stride, max_padding, dilation)


@st.composite
def _output_size_arguments(
    draw: Any, layer: str, max_size: int, max_kernel: int, max_stride: int, max_padding: int, dilation: bool
) -> dict[str, int]:
    k = draw(st.integers(1, max_kernel), label="kernel_size")
    s = draw(st.integers(1, max_stride), label="stride")
    d = draw(st.integers(1, 3), label="dilation") if dilation else 1
    limit = k // 2 if layer == "pool" else max_padding
    p = draw(st.integers(0, min(limit, max_padding)), label="padding")
    smallest = max(1, d * (k - 1) + 1 - 2 * p)
    n = smallest + draw(st.integers(0, max(0, max_size - smallest)), label="n")
    return {"n": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d}


_CONV_TYPES = {1: "Conv1d", 2: "Conv2d", 3: "Conv3d"}


@st.composite
def layer_stacks(
    draw: Any, *, max_layers: int = 4, max_size: int = 32, max_channels: int = 8
) -> tuple[tuple[int, ...], list[dict[str, Any]]]:
    """``(input_shape, layers)``: a stack of ``Conv2d``/``MaxPool2d``/``AvgPool2d``/``ReLU`` dicts that applies.

    The layers use PyTorch's names and arguments (the format of
    :class:`convmath.Network`); every layer fits the shape reaching it, as
    computed by :func:`convmath.conv_output_size` and :func:`convmath.pool_output_size`.

    Notes
    -----
    Shrinks towards one layer on a 1×1×1 input: a ``ReLU`` (it draws the
    fewest values), or a ``Conv2d`` with a 1×1 kernel when a convolution is needed.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of (input_shape, layers)

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> from convmath import Network
    >>> shape, layers = find(layer_stacks(), lambda s: any(layer["type"] == "Conv2d" for layer in s[1]), settings=DET)
    >>> shape, layers
    ((1, 1, 1), [{'type': 'Conv2d', 'in_channels': 1, 'out_channels': 1, 'kernel_size': 1, 'stride': 1, 'padding': 0}])
    >>> Network(layers, input_shape=shape).output_shape      # (1 + 2*0 - 1)//1 + 1 = 1
    (1, 1, 1)
    """
    channels = draw(st.integers(1, 3), label="input channels")
    size = draw(st.integers(1, max_size), label="input size")
    input_shape = (channels, size, size)
    layers: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, max_layers), label="layers")):
        kind = draw(st.sampled_from(["Conv2d", "MaxPool2d", "ReLU", "AvgPool2d"]), label="layer type")
        if kind == "ReLU":
            layers.append({"type": "ReLU"})
            continue
        k = draw(st.integers(1, min(5, size)), label="kernel_size")
        if kind == "Conv2d":
            p = draw(st.integers(0, 2), label="padding")
            s = draw(st.integers(1, 2), label="stride")
            out = draw(st.integers(1, max_channels), label="out_channels")
            layers.append(
                {
                    "type": "Conv2d",
                    "in_channels": channels,
                    "out_channels": out,
                    "kernel_size": k,
                    "stride": s,
                    "padding": p,
                }
            )
            size = conv_output_size(size, k, stride=s, padding=p)
            channels = out
        else:
            p = draw(st.integers(0, k // 2), label="padding")
            layers.append({"type": kind, "kernel_size": k, "padding": p})
            size = pool_output_size(size, k, padding=p)
    return input_shape, layers


def small_int_matrices(
    *,
    shape: tuple[int, int] | None = None,
    min_side: int = 1,
    max_side: int = 5,
    min_value: int = -3,
    max_value: int = 9,
) -> st.SearchStrategy[np.ndarray]:
    """Small integer matrices (``int64``) of the kind correlated by hand.

    Parameters
    ----------
    shape : (int, int), optional
        A fixed shape; otherwise each side is drawn in ``[min_side, max_side]``.
    min_value, max_value : int, optional
        Range of the entries (default -3..9: one digit, a few negatives).

    Notes
    -----
    Shrinks towards a 1×1 (or the fixed shape) matrix of zeros.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(small_int_matrices(shape=(2, 3)))
    ... def test(m):
    ...     assert m.shape == (2, 3) and m.dtype == np.int64
    >>> test()
    """
    check_int("min_value", min_value)
    check_int("max_value", max_value, minimum=min_value)
    if shape is None:
        check_positive_int("min_side", min_side)
        check_int("max_side", max_side, minimum=min_side)
        shapes = st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side))
    else:
        shapes = st.just(cast("tuple[int, int]", tuple(check_positive_int("shape", v) for v in shape)))
    return shapes.flatmap(lambda sh: int_arrays(sh, min_value=min_value, max_value=max_value))


@st.composite
def corr2d_inputs(
    draw: Any, *, max_side: int = 6, min_value: int = -3, max_value: int = 9
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, K)`` small integer matrices with ``K`` no larger than ``X`` in either direction.

    Parameters
    ----------
    max_side : int, optional
        Largest side of ``X``.
    min_value, max_value : int, optional
        Range of the entries of both.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of (X, K)

    Notes
    -----
    Shrinks towards a 1×1 ``X`` and ``K`` of zeros.

    Examples
    --------
    A 2 × 2 kernel needs an ``X`` at least 2 × 2, so that is where it shrinks:

    >>> from hypothesis import find, settings
    >>> DET = settings(derandomize=True, database=None, max_examples=1000)  # the same shrink on every run
    >>> X, K = find(corr2d_inputs(), lambda xk: xk[1].shape == (2, 2), settings=DET)
    >>> X.shape, K.shape, int(abs(X).sum() + abs(K).sum())
    ((2, 2), (2, 2), 0)
    """
    x = draw(small_int_matrices(max_side=max_side, min_value=min_value, max_value=max_value), label="X")
    kh = draw(st.integers(1, x.shape[0]), label="kernel rows")
    kw = draw(st.integers(1, x.shape[1]), label="kernel columns")
    k = draw(small_int_matrices(shape=(kh, kw), min_value=min_value, max_value=max_value), label="K")
    return x, k
