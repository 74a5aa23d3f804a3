r"""Receptive fields of a stack of convolution and pooling layers.

Follows A. Araujo, W. Norris and J. Sim, "Computing Receptive Fields of
Convolutional Neural Networks", *Distill*, 2019 [1]_. For layers
:math:`l = 1, \dots, L` with kernel :math:`k_l`, stride :math:`s_l`, left
padding :math:`p_l` and dilation :math:`d_l`, a dilated kernel acts as a
kernel of effective size :math:`d_l (k_l - 1) + 1`, and seen from the input
(layer 0) one unit of layer :math:`L` covers

.. math::
    r_0 = \sum_{l=1}^{L} (k_l - 1) \prod_{i=1}^{l-1} s_i + 1, \qquad
    S_0 = \prod_{l=1}^{L} s_l, \qquad
    P_0 = \sum_{l=1}^{L} p_l \prod_{i=1}^{l-1} s_i,

the closed forms of the recurrence :math:`r_{l-1} = s_l r_l + (k_l - s_l)`
run from the top (:math:`r_L = 1`). Output unit :math:`i` sees the input
positions :math:`[\,i S_0 - P_0,\; i S_0 - P_0 + r_0 - 1\,]` (negative ones
fall in the padding); the centre of the first unit's field is
:math:`(r_0 - 1)/2 - P_0`.

:math:`r_0` is the *extent* of the field: with dilation, or a stride larger
than the kernel, some positions inside it do not reach the unit.

References
----------
.. [1] https://distill.pub/2019/computing-receptive-fields/, doi
       10.23915/distill.00021, section "Single-path networks" (receptive
       field size, and receptive field region in the input image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import sympy

from . import layers as _layers
from ._validate import IntLike, check_positive_int, is_symbolic
from .errors import ConvMathError

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

__all__ = ["ReceptiveField", "receptive_field", "effective_kernel_size"]


def effective_kernel_size(kernel_size: IntLike, *, dilation: IntLike = 1) -> IntLike:
    r"""Span of a dilated kernel: :math:`d (k - 1) + 1` inputs.

    Examples
    --------
    >>> effective_kernel_size(3, dilation=2)      # 2*(3 - 1) + 1
    5
    >>> from convmath import k, d
    >>> effective_kernel_size(k, dilation=d)
    d*(k - 1) + 1
    """
    kernel_size = check_positive_int("kernel_size", kernel_size)
    dilation = check_positive_int("dilation", dilation)
    return dilation * (kernel_size - 1) + 1


def _half(value: IntLike) -> IntLike:
    """``value / 2``: an int when even, a sympy Rational or expression otherwise."""
    if is_symbolic(value):
        return value / 2
    return value // 2 if value % 2 == 0 else sympy.Rational(value, 2)


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of one unit of a layer's output, seen from the network input.

    Every field holds one entry per spatial dimension (height before width).
    """

    index: int
    """Position of the layer in the network, counting from 1."""
    name: str
    """The layer's type, e.g. ``"Conv2d"``."""
    r: tuple[IntLike, ...]
    """Receptive-field size: how many input positions one output unit spans."""
    S: tuple[IntLike, ...]
    """Effective stride: input positions between neighbouring output units."""
    P: tuple[IntLike, ...]
    """Effective (left) padding: the first unit's field starts at input position ``-P``."""
    centre: tuple[IntLike, ...]
    """Centre of the first output unit's field, ``(r - 1)/2 - P`` (may be a half integer)."""

    def region(self, *position: int) -> tuple[tuple[IntLike, IntLike], ...]:
        """First and last input position (inclusive) seen by the output unit at ``position``.

        Positions outside ``[0, n)`` are padding.

        Examples
        --------
        >>> rf = receptive_field([{"type": "Conv1d", "out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}])[0]
        >>> rf.region(0), rf.region(4)      # 4*2 - 1 .. 4*2 - 1 + 3 - 1
        (((-1, 1),), ((7, 9),))
        """
        if len(position) != len(self.r):
            raise ConvMathError(f"position={position} has {len(position)} entries; the field has {len(self.r)} dimensions")
        starts = tuple(i * s - p for i, s, p in zip(position, self.S, self.P))
        return tuple((a, a + r - 1) for a, r in zip(starts, self.r))


Layers = Union["Network", Sequence[Union[Mapping[str, Any], "_layers.Layer"]]]


def _prepare(layers: Any) -> tuple[list[_layers.Layer], list[Any], int | None]:
    """Parsed layers, the input shape of each (None when unknown) and the spatial rank."""
    from .network import Network

    if isinstance(layers, Network):
        return list(layers.layers), list(layers.in_shapes), len(layers.input_shape) - 1
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise ConvMathError(f"layers={layers!r} must be a Network or a list of layer dicts")
    if len(layers) == 0:
        raise ConvMathError(f"layers={list(layers)!r} must hold at least one layer")
    parsed = [spec if isinstance(spec, _layers.Layer) else _layers.parse_layer(spec, i, geometry_only=True) for i, spec in enumerate(layers, 1)]
    ndim = next((layer.ndim for layer in parsed if layer.ndim is not None), None)
    return parsed, [None] * len(parsed), ndim


def receptive_field(layers: Layers) -> tuple[ReceptiveField | None, ...]:
    r"""Receptive field, effective stride and effective padding after every layer.

    Parameters
    ----------
    layers : Network or list of dict
        A :class:`convmath.Network`, or layer dicts as a ``Network`` takes
        them (no input shape needed; ``in_channels`` and ``out_channels`` do
        not matter here and may be left out of convolutions).

    Returns
    -------
    tuple of ReceptiveField or None
        One record per layer; ``None`` where a receptive field is not defined
        (from a ``Flatten``, ``Linear`` or transposed convolution on, or an
        adaptive pooling with unequal windows; and for a list of element-wise
        layers only, where nothing fixes the number of spatial dimensions).

    Notes
    -----
    Computed by the forward recurrence (layer by layer from the input), which
    sums to the closed forms of the module docstring:

    .. math:: r_l = r_{l-1} + (k'_l - 1) S_{l-1}, \quad
              P_l = P_{l-1} + p_l S_{l-1}, \quad S_l = S_{l-1} s_l

    with :math:`k'_l = d_l (k_l - 1) + 1`, :math:`r_0 = S_0 = 1`, :math:`P_0 = 0`.
    Element-wise layers (activations, dropout, batch norm) leave the field as it is.

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial says that after two conv+pool stages on a 100 × 100 image,
    each of the 25 × 25 outputs "corresponds to a 4 × 4 region". With 3 × 3
    convolutions padded to keep the size and 2 × 2 max pooling:

    >>> stage = [{"type": "Conv2d", "kernel_size": 3, "padding": 1}, {"type": "MaxPool2d", "kernel_size": 2}]
    >>> last = receptive_field(stage + stage)[-1]
    >>> last.S      # 2 * 2: neighbouring outputs are 4 pixels apart (100 / 25)
    (4, 4)
    >>> last.r      # 1 + (3-1)*1 + (2-1)*1 + (3-1)*2 + (2-1)*2: each output sees 10 x 10
    (10, 10)

    The 4 × 4 is the effective stride; the receptive field is 10 × 10, and
    neighbouring fields overlap by 6 pixels.

    >>> [rf.r[0] for rf in receptive_field(stage + stage)]
    [3, 4, 8, 10]

    Dilation enlarges the kernel to ``d (k - 1) + 1``:

    >>> receptive_field([{"type": "Conv1d", "kernel_size": 3, "dilation": 2}] * 2)[-1].r   # 1 + 4 + 4
    (9,)

    Symbols give the closed form :math:`r = (k_1 - 1) + (k_2 - 1) s_1 + 1`:

    >>> import sympy
    >>> k1, k2, s1, s2, p1, p2 = sympy.symbols("k1 k2 s1 s2 p1 p2", integer=True, positive=True)
    >>> two = receptive_field([{"type": "Conv1d", "kernel_size": k1, "stride": s1, "padding": p1},
    ...                        {"type": "Conv1d", "kernel_size": k2, "stride": s2, "padding": p2}])[-1]
    >>> two.r, two.S, two.P
    ((k1 + s1*(k2 - 1),), (s1*s2,), (p1 + p2*s1,))
    """
    parsed, in_shapes, ndim = _prepare(layers)
    records: list[ReceptiveField | None] = []
    if ndim is None or ndim < 1:
        return tuple(None for _ in parsed)
    r: tuple[Any, ...] = (1,) * ndim
    S: tuple[Any, ...] = (1,) * ndim
    P: tuple[Any, ...] = (0,) * ndim
    defined = True
    for layer, in_shape in zip(parsed, in_shapes):
        if defined and layer.ndim is not None and layer.ndim != ndim and layer.family != "linear":
            raise ConvMathError(f"{layer.context}: works on {layer.ndim} spatial dimensions but the stack has {ndim}")
        geometry = _layers.layer_geometry(layer, in_shape) if defined else None
        if geometry is None:
            defined = False
            records.append(None)
            continue
        if geometry is not _layers.IDENTITY:
            grown = []
            for (k, s, p, d), r_i, S_i, P_i in zip(geometry, r, S, P):
                k_eff = effective_kernel_size(k, dilation=d)
                grown.append((r_i + (k_eff - 1) * S_i, S_i * check_positive_int("stride", s), P_i + p * S_i))
            r, S, P = (tuple(v) for v in zip(*grown))
        centre = tuple(_half(r_i - 1) - P_i for r_i, P_i in zip(r, P))
        records.append(ReceptiveField(index=layer.index, name=layer.type, r=r, S=S, P=P, centre=centre))
    return tuple(records)
