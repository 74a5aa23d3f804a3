r"""Parameter counts and multiply-accumulate counts: one function per quantity.

Like :mod:`convmath.sizes`, every function accepts plain ints *and* sympy
symbols: ints give an exact ``int``, symbols a sympy expression built by the
same line of code.

Conventions for operation counts
--------------------------------
There is no single definition of "the cost" of a layer; the tools students
meet count differently, so :func:`conv_macs` and its siblings take one
``convention=`` argument:

``"torchinfo"`` (default)
    torchinfo's "Mult-Adds" column [1]_: every *parameter* of a convolution
    (weights **and** bias) is multiplied by the number of output positions,
    so the bias counts once per output element; a ``Linear`` or
    ``BatchNorm`` layer counts its number of parameters once per sample.
    (Earlier torchinfo releases left the convolution bias out: the same test
    table [1]_ once read 7.69 M mult-adds for a batch of 16, which is the
    bias-free count.)
``"macs"``
    Multiply-accumulates of the weights only, bias and normalisation left
    out: fvcore's ``FlopCountAnalysis`` ("we count one fused multiply-add as
    one flop") [2]_. For a transposed convolution the products are counted
    per *input* position, as PyTorch's flop counter does [3]_.
``"flops"``
    ``2 * macs``: one multiplication and one addition per multiply-accumulate,
    bias ignored, as ``torch.utils.flop_counter`` counts a convolution [3]_.

References
----------
.. [1] torchinfo, ``torchinfo/layer_info.py`` (``LayerInfo.calculate_macs``)
       and ``tests/test_output/groups.out``, ``single_input.out``
       (github.com/TylerYep/torchinfo).
.. [2] fvcore, ``fvcore/nn/flop_count.py`` (``FlopCountAnalysis`` docstring:
       ``Conv2d(3, 10, 1)`` on a 10×10 input counts 3000).
.. [3] PyTorch, ``torch/utils/flop_counter.py`` (``conv_flop_count``: "only
       multiplication is counted. Computation for bias are ignored", times 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import sympy

from . import sizes
from ._validate import IntLike, check_bool, check_choice, check_int, check_positive_int, fmt, is_symbolic
from .errors import ConvMathError

__all__ = [
    "BatchNormCount",
    "CONVENTIONS",
    "conv_params",
    "conv_transpose_params",
    "linear_params",
    "batchnorm_params",
    "depthwise_separable_params",
    "conv_macs",
    "conv_transpose_macs",
    "linear_macs",
]

Convention = Literal["torchinfo", "macs", "flops"]
CONVENTIONS: tuple[str, ...] = ("torchinfo", "macs", "flops")
"""The accepted values of every ``convention=`` argument."""


def _prod(values: Any) -> IntLike:
    """Product of ints or sympy expressions (``math.prod`` keeps ints exact)."""
    return math.prod(values)


def _kernel(kernel_size: Any, ndim: int | None) -> tuple[IntLike, ...]:
    """Kernel sizes per spatial dimension: an int is spread over ``ndim`` (default 2)."""
    if ndim is not None:
        ndim = check_positive_int("ndim", ndim)
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) == 0:
            raise ConvMathError("kernel_size=() must have at least one spatial dimension")
        if ndim is not None and len(kernel_size) != ndim:
            raise ConvMathError(
                f"{fmt('kernel_size', tuple(kernel_size))} has {len(kernel_size)} entries but ndim={ndim}"
            )
        return tuple(check_positive_int("kernel_size", k) for k in kernel_size)
    return (check_positive_int("kernel_size", kernel_size),) * (2 if ndim is None else ndim)


def _per_group(channels: IntLike, groups: IntLike, name: str) -> IntLike:
    """``channels / groups``, refusing a group count that does not divide (ints)."""
    if is_symbolic(channels) or is_symbolic(groups):
        return channels if groups == 1 else channels / sympy.sympify(groups)
    if channels % groups:
        raise ConvMathError(f"{fmt(name, channels)} must be divisible by groups={groups}")
    return channels // groups


def check_convention(convention: Any) -> Convention:
    """Validate a counting convention: one of :data:`CONVENTIONS`.

    Parameters
    ----------
    convention : str
        ``"torchinfo"``, ``"macs"`` or ``"flops"``.

    Returns
    -------
    str
        ``convention``, checked.

    Examples
    --------
    >>> check_convention("macs")
    'macs'
    >>> check_convention("mults")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: convention='mults' ...
    """
    return cast(Convention, check_choice("convention", convention, CONVENTIONS))


_check_convention = check_convention  # the module's own spelling (kept so that edits in flight merge cleanly)


def _conv_weights(
    in_channels: Any, out_channels: Any, kernel_size: Any, groups: Any, ndim: int | None
) -> tuple[IntLike, IntLike, tuple[IntLike, ...]]:
    """Validated ``(weights, out_channels, kernel)`` of a (transposed) convolution."""
    in_channels = check_positive_int("in_channels", in_channels)
    out_channels = check_positive_int("out_channels", out_channels)
    groups = check_positive_int("groups", groups)
    kernel = _kernel(kernel_size, ndim)
    per_group_in = _per_group(in_channels, groups, "in_channels")
    _per_group(out_channels, groups, "out_channels")
    return out_channels * per_group_in * _prod(kernel), out_channels, kernel


def _conv_layer_params(
    in_channels: Any, out_channels: Any, kernel_size: Any, groups: Any, bias: Any, ndim: int | None
) -> IntLike:
    """Weights plus one bias per output channel: the count of a convolution and of a transposed one."""
    bias = check_bool("bias", bias)
    weights, out_channels, _ = _conv_weights(in_channels, out_channels, kernel_size, groups, ndim)
    return weights + (out_channels if bias else 0)


def conv_params(
    in_channels: IntLike,
    out_channels: IntLike,
    kernel_size: IntLike | tuple[IntLike, ...],
    *,
    groups: IntLike = 1,
    bias: bool = True,
    ndim: int | None = None,
) -> IntLike:
    r"""Number of trainable parameters of a convolution layer (``ConvNd``).

    Parameters
    ----------
    in_channels, out_channels : int or sympy.Expr
        Channels ``c_in`` and ``c_out``; both must be divisible by ``groups``.
    kernel_size : int, sympy.Expr or tuple
        Kernel size; an int means a square (cubic, ...) kernel of ``ndim``
        dimensions, a tuple gives one entry per spatial dimension.
    groups : int or sympy.Expr, optional
        Number of groups ``g`` (default 1): each output channel sees
        ``c_in / g`` input channels.
    bias : bool, optional
        Whether the layer has a bias (default True, as in PyTorch).
    ndim : int, optional
        Spatial dimensions when ``kernel_size`` is an int (default 2, as for
        ``Conv2d``).

    Returns
    -------
    int or sympy.Expr

    Notes
    -----
    The weight tensor has shape :math:`(c_{out}, c_{in}/g, k_1, \dots, k_n)`:

    .. math:: \#\text{params} = c_{out} \frac{c_{in}}{g} \prod_i k_i + [\text{bias}]\, c_{out}

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial: ``Conv2d(1, 1, 3)`` has 3 × 3 = 9 weights and one bias.

    >>> conv_params(1, 1, 3)            # 1*1*3*3 + 1
    10
    >>> conv_params(3, 64, 11)          # AlexNet's first layer: 64*3*11*11 + 64
    23296
    >>> conv_params(16, 32, 3, groups=4)    # 32*(16/4)*3*3 + 32, torchinfo's groups.out
    1184
    >>> conv_params(2, 4, (3, 5, 7), bias=False)   # Conv3d: 4*2*3*5*7
    840
    >>> from convmath import c_in, c_out, k, g
    >>> conv_params(c_in, c_out, k)
    c_in*c_out*k**2 + c_out
    >>> conv_params(c_in, c_out, k, groups=g, bias=False)
    c_in*c_out*k**2/g
    """
    return _conv_layer_params(in_channels, out_channels, kernel_size, groups, bias, ndim)


def conv_transpose_params(
    in_channels: IntLike,
    out_channels: IntLike,
    kernel_size: IntLike | tuple[IntLike, ...],
    *,
    groups: IntLike = 1,
    bias: bool = True,
    ndim: int | None = None,
) -> IntLike:
    r"""Number of trainable parameters of a transposed convolution (``ConvTransposeNd``).

    The weight tensor is :math:`(c_{in}, c_{out}/g, k_1, \dots, k_n)`: the
    same count as the convolution it transposes, with the bias on the
    *output* channels.

    Parameters
    ----------
    in_channels, out_channels : int or sympy.Expr
        Channels; both divisible by ``groups``.
    kernel_size : int, sympy.Expr or tuple
        Kernel size (an int is spread over ``ndim`` dimensions, default 2).
    groups : int or sympy.Expr, optional
        Number of groups (default 1).
    bias : bool, optional
        Whether the layer has a bias (default True).
    ndim : int, optional
        Spatial dimensions for an int ``kernel_size`` (default 2).

    Returns
    -------
    int or sympy.Expr

    Notes
    -----
    .. math:: \#\text{params} = c_{in} \frac{c_{out}}{g} \prod_i k_i + [\text{bias}]\, c_{out}

    Examples
    --------
    >>> conv_transpose_params(64, 3, 4)      # 64*3*4*4 + 3
    3075
    >>> conv_transpose_params(64, 3, 4) == conv_params(3, 64, 4) - 64 + 3
    True
    """
    return _conv_layer_params(in_channels, out_channels, kernel_size, groups, bias, ndim)


def linear_params(in_features: IntLike, out_features: IntLike, *, bias: bool = True) -> IntLike:
    r"""Number of trainable parameters of a fully connected layer (``Linear``).

    Parameters
    ----------
    in_features, out_features : int or sympy.Expr
        Input and output features.
    bias : bool, optional
        Whether the layer has a bias (default True).

    Returns
    -------
    int or sympy.Expr

    Notes
    -----
    .. math:: \#\text{params} = n_{in} n_{out} + [\text{bias}]\, n_{out}

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial: ``Linear(1, 1)`` has one weight and one bias, and the tiny
    CNN of that tutorial has 10 + 2 = 12 parameters.

    >>> linear_params(1, 1)
    2
    >>> conv_params(1, 1, 3) + linear_params(1, 1)
    12

    The "PyTorch deep learning in practice (11)" tutorial: a 300 × 300 image flattened into 1000 hidden units.
    The tutorial writes the product as "900000x1000=90000000"; the input has 300 * 300 = 90000 pixels, not 900000:

    >>> linear_params(300 * 300, 1000, bias=False)     # 90000 * 1000
    90000000
    >>> linear_params(300 * 300, 1000)                 # and 1000 biases
    90001000

    The notes on Mu Li's d2l lectures 19-21: a 12-megapixel RGB photo is 36 million values; into 100
    hidden units that is 3.6 billion weights ("36亿"):

    >>> linear_params(12_000_000 * 3, 100, bias=False)   # 36M * 100
    3600000000

    >>> from convmath import m
    >>> linear_params(m, 10)
    10*m + 10
    """
    in_features = check_positive_int("in_features", in_features)
    out_features = check_positive_int("out_features", out_features)
    bias = check_bool("bias", bias)
    return in_features * out_features + (out_features if bias else 0)


@dataclass(frozen=True)
class BatchNormCount:
    """Parameters and buffers of a batch-normalisation layer, counted apart."""

    params: IntLike
    """Trainable parameters: the scale and shift (``weight``, ``bias``) when affine."""
    buffers: IntLike
    """Non-trainable state: ``running_mean``, ``running_var`` and the scalar
    ``num_batches_tracked`` when running statistics are tracked."""

    @property
    def total(self) -> IntLike:
        """Everything stored in the layer's ``state_dict``."""
        return self.params + self.buffers


def batchnorm_params(num_features: IntLike, *, affine: bool = True, track_running_stats: bool = True) -> BatchNormCount:
    r"""Trainable parameters and buffers of ``BatchNorm1d/2d/3d``.

    Parameters
    ----------
    num_features : int or sympy.Expr
        Channels ``C``.
    affine : bool, optional
        Learn a scale and a shift per channel (default True).
    track_running_stats : bool, optional
        Keep running mean and variance (default True).

    Returns
    -------
    BatchNormCount
        ``params`` (what ``model.parameters()`` holds and torchinfo's "Param #"
        counts) and ``buffers`` (the running statistics).

    Notes
    -----
    params :math:`= 2C` when affine; buffers :math:`= 2C + 1` (mean, variance
    and the counter ``num_batches_tracked``) when running statistics are kept.

    Examples
    --------
    >>> batchnorm_params(64)
    BatchNormCount(params=128, buffers=129)
    >>> batchnorm_params(64, affine=False, track_running_stats=False)
    BatchNormCount(params=0, buffers=0)
    >>> from convmath import c_out
    >>> batchnorm_params(c_out).total
    4*c_out + 1
    """
    num_features = check_positive_int("num_features", num_features)
    affine = check_bool("affine", affine)
    track_running_stats = check_bool("track_running_stats", track_running_stats)
    return BatchNormCount(
        params=2 * num_features if affine else 0,
        buffers=2 * num_features + 1 if track_running_stats else 0,
    )


def depthwise_separable_params(
    in_channels: IntLike,
    out_channels: IntLike,
    kernel_size: IntLike | tuple[IntLike, ...],
    *,
    depth_multiplier: IntLike = 1,
    bias: bool = True,
    ndim: int | None = None,
) -> IntLike:
    r"""Parameters of a depthwise-separable block: a depthwise then a pointwise convolution.

    The block is ``ConvNd(c_in, m c_in, k, groups=c_in)`` followed by
    ``ConvNd(m c_in, c_out, 1)`` (MobileNet, Xception), both with or both
    without bias.

    Parameters
    ----------
    in_channels, out_channels : int or sympy.Expr
        Channels into and out of the block.
    kernel_size : int, sympy.Expr or tuple
        Kernel of the depthwise convolution.
    depth_multiplier : int or sympy.Expr, optional
        Output channels per input channel of the depthwise step (default 1).
    bias : bool, optional
        Whether both convolutions have a bias (default True).
    ndim : int, optional
        Spatial dimensions for an int ``kernel_size`` (default 2).

    Returns
    -------
    int or sympy.Expr

    Notes
    -----
    With :math:`m` the depth multiplier and no bias:

    .. math:: m\, c_{in} \prod_i k_i + m\, c_{in} c_{out}

    against :math:`c_{in} c_{out} \prod_i k_i` for a full convolution.

    Examples
    --------
    >>> depthwise_separable_params(32, 64, 3, bias=False)   # 32*3*3 + 32*64
    2336
    >>> conv_params(32, 64, 3, bias=False)                  # 64*32*3*3, about 8x more
    18432
    >>> depthwise_separable_params(32, 64, 3)               # + 32 + 64 biases
    2432
    >>> from convmath import c_in, c_out, k
    >>> depthwise_separable_params(c_in, c_out, k, bias=False)
    c_in*c_out + c_in*k**2
    """
    in_channels = check_positive_int("in_channels", in_channels)
    depth_multiplier = check_positive_int("depth_multiplier", depth_multiplier)
    mid = depth_multiplier * in_channels
    depthwise = conv_params(in_channels, mid, kernel_size, groups=in_channels, bias=bias, ndim=ndim)
    kernel = _kernel(kernel_size, ndim)
    pointwise = conv_params(mid, out_channels, 1, bias=bias, ndim=len(kernel))
    return depthwise + pointwise


def _spatial(n: Any, ndim: int) -> tuple[Any, ...]:
    if isinstance(n, (tuple, list)):
        if len(n) != ndim:
            raise ConvMathError(f"{fmt('n', tuple(n))} has {len(n)} entries but the kernel has {ndim} dimensions")
        return tuple(n)
    return (n,) * ndim


def _conv_cost(
    in_channels: Any,
    out_channels: Any,
    kernel_size: Any,
    n: Any,
    *,
    groups: Any,
    bias: Any,
    convention: Any,
    output_size: Callable[[tuple[Any, ...], tuple[IntLike, ...]], Any],
    per_input: bool,
) -> IntLike:
    """Operation count of a (transposed) convolution, shared by :func:`conv_macs` and :func:`conv_transpose_macs`.

    ``output_size(spatial, kernel)`` is the layer's size formula. torchinfo
    counts every parameter once per output position; ``"macs"`` counts the
    weights once per output position, or once per *input* position when
    ``per_input`` (a transposed convolution).
    """
    bias = check_bool("bias", bias)
    convention = _check_convention(convention)
    ndim = (
        len(kernel_size) if isinstance(kernel_size, (tuple, list)) else (len(n) if isinstance(n, (tuple, list)) else 2)
    )
    weights, out_channels, kernel = _conv_weights(in_channels, out_channels, kernel_size, groups, ndim)
    spatial = _spatial(n, ndim)
    out = output_size(spatial, kernel)
    if convention == "torchinfo":
        return (weights + (out_channels if bias else 0)) * _prod(out)
    macs = weights * (_prod(check_positive_int("n", v) for v in spatial) if per_input else _prod(out))
    return 2 * macs if convention == "flops" else macs


def conv_macs(
    in_channels: IntLike,
    out_channels: IntLike,
    kernel_size: IntLike | tuple[IntLike, ...],
    n: IntLike | tuple[IntLike, ...],
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: IntLike = 1,
    bias: bool = True,
    convention: Convention = "torchinfo",
) -> IntLike:
    r"""Multiply-accumulate count of one convolution layer on one input sample.

    Parameters
    ----------
    in_channels, out_channels : int or sympy.Expr
        Channels.
    kernel_size : int, sympy.Expr or tuple
        Kernel size; an int is spread over the dimensions of ``n`` (two when
        ``n`` is an int too).
    n : int, sympy.Expr or tuple
        Input spatial size (an int means a square input).
    stride, padding, dilation
        As in :func:`convmath.sizes.conv_output_size`, which gives the output size.
    groups : int or sympy.Expr, optional
        Number of groups (default 1).
    bias : bool, optional
        Whether the layer has a bias (default True).
    convention : {"torchinfo", "macs", "flops"}, optional
        How to count (see the module docstring); default ``"torchinfo"``.

    Returns
    -------
    int or sympy.Expr
        The count for one sample; multiply by the batch size for a batch, as
        torchinfo's totals do.

    Notes
    -----
    With :math:`O` output positions (the product of the output sizes):

    .. math::
        \text{torchinfo} &= O \cdot c_{out} \left(\tfrac{c_{in}}{g} \textstyle\prod_i k_i + [\text{bias}]\right) \\
        \text{macs} &= O \cdot c_{out} \tfrac{c_{in}}{g} \textstyle\prod_i k_i,
        \qquad \text{flops} = 2\,\text{macs}

    This is the :math:`O(c_i c_o k_h k_w m_h m_w)` cost given in the notes on Mu Li's d2l lectures 19-21.

    Examples
    --------
    torchinfo's own test table ``groups.out``: ``Conv2d(16, 32, 3, groups=4)``
    on a batch of 7 inputs of 28 × 28 reads 5,602,688 mult-adds:

    >>> 7 * conv_macs(16, 32, 3, 28, groups=4)     # 7 * (32*4*3*3 + 32) * 26*26
    5602688

    fvcore's example, ``Conv2d(3, 10, 1)`` on 10 × 10, counts 3000:

    >>> conv_macs(3, 10, 1, 10, convention="macs")   # 10*3*1*1 * 10*10
    3000
    >>> conv_macs(3, 10, 1, 10, convention="flops")
    6000
    >>> conv_macs(3, 10, 1, 10)                      # + one bias per output element
    4000

    Symbols give the closed form:

    >>> from convmath import c_in, c_out, k, n
    >>> conv_macs(c_in, c_out, k, n, padding="same", convention="macs")
    c_in*c_out*k**2*n**2
    """
    return _conv_cost(
        in_channels,
        out_channels,
        kernel_size,
        n,
        groups=groups,
        bias=bias,
        convention=convention,
        output_size=lambda spatial, kernel: sizes.conv_output_size(
            spatial, kernel, stride=stride, padding=padding, dilation=dilation
        ),
        per_input=False,
    )


def conv_transpose_macs(
    in_channels: IntLike,
    out_channels: IntLike,
    kernel_size: IntLike | tuple[IntLike, ...],
    n: IntLike | tuple[IntLike, ...],
    *,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    output_padding: Any = 0,
    groups: IntLike = 1,
    bias: bool = True,
    convention: Convention = "torchinfo",
) -> IntLike:
    r"""Multiply-accumulate count of one transposed convolution on one input sample.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, groups, bias
        As in :func:`conv_transpose_params`.
    n : int, sympy.Expr or tuple
        Input spatial size.
    stride, padding, dilation, output_padding
        As in :func:`convmath.sizes.conv_transpose_output_size`.
    convention : {"torchinfo", "macs", "flops"}, optional
        Default ``"torchinfo"``.

    Returns
    -------
    int or sympy.Expr

    Notes
    -----
    Each input position is multiplied by the whole kernel, so the true count
    scales with the *input* positions :math:`I`; torchinfo multiplies the
    parameters by the *output* positions :math:`O` as for any "Conv" layer,
    which over-counts by about :math:`s^n`:

    .. math::
        \text{torchinfo} &= O \cdot \left(c_{in} \tfrac{c_{out}}{g} \textstyle\prod_i k_i
            + [\text{bias}]\,c_{out}\right) \\
        \text{macs} &= I \cdot c_{in} \tfrac{c_{out}}{g} \textstyle\prod_i k_i,
        \qquad \text{flops} = 2\,\text{macs}

    Examples
    --------
    >>> conv_transpose_macs(8, 4, 2, 5, stride=2, convention="macs")   # 8*4*2*2 * 5*5
    3200
    >>> conv_transpose_macs(8, 4, 2, 5, stride=2)     # (8*4*2*2 + 4) * 10*10
    13200
    """
    return _conv_cost(
        in_channels,
        out_channels,
        kernel_size,
        n,
        groups=groups,
        bias=bias,
        convention=convention,
        output_size=lambda spatial, kernel: sizes.conv_transpose_output_size(
            spatial, kernel, stride=stride, padding=padding, dilation=dilation, output_padding=output_padding
        ),
        per_input=True,
    )


def linear_macs(
    in_features: IntLike, out_features: IntLike, *, bias: bool = True, convention: Convention = "torchinfo"
) -> IntLike:
    r"""Multiply-accumulate count of a ``Linear`` layer on one input vector.

    Parameters
    ----------
    in_features, out_features : int or sympy.Expr
        Features.
    bias : bool, optional
        Whether the layer has a bias (default True).
    convention : {"torchinfo", "macs", "flops"}, optional
        Default ``"torchinfo"``, which counts the parameters once per sample.

    Returns
    -------
    int or sympy.Expr

    Notes
    -----
    torchinfo: :math:`n_{in} n_{out} + [\text{bias}]\,n_{out}`; macs:
    :math:`n_{in} n_{out}`; flops: :math:`2 n_{in} n_{out}`.

    Examples
    --------
    fvcore's example, ``Linear(1000, 10)``, counts 10000:

    >>> linear_macs(1000, 10, convention="macs")
    10000
    >>> linear_macs(1000, 10)          # torchinfo: 1000*10 + 10
    10010
    """
    convention = _check_convention(convention)
    in_features = check_int("in_features", in_features, minimum=1)
    if convention == "torchinfo":
        return linear_params(in_features, out_features, bias=bias)
    macs = linear_params(in_features, out_features, bias=False)
    check_bool("bias", bias)
    return 2 * macs if convention == "flops" else macs
