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

Networks with branches (residual additions, concatenations; Araujo et al.,
section "Multi-path networks"): every path from the input to a unit gives a
field; the record keeps the smallest region holding all of them (the largest
field over the paths), and :attr:`ReceptiveField.aligned` says whether the
paths agree on the centre. Where they do not, the fields are *misaligned*: the
unit does not look at the middle of its region through every path. Paths
that meet with different effective strides (a global pooling broadcast back
by a product) leave the field undefined.

References
----------
.. [1] https://distill.pub/2019/computing-receptive-fields/, doi
       10.23915/distill.00021, section "Single-path networks" (receptive
       field size, and receptive field region in the input image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sympy

from . import layers as _layers
from ._validate import IntLike, check_positive_int, is_symbolic
from .errors import ConvMathError
from .graph import build_graph, chain
from .sizes import effective_kernel_size

__all__ = ["ReceptiveField", "receptive_field", "HasLayers"]


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
    aligned: bool = True
    """False where paths through branches put the centre of the field in different places."""

    def region(self, *position: int) -> tuple[tuple[IntLike, IntLike], ...]:
        """First and last input position (inclusive) seen by the output unit at ``position``.

        Positions outside ``[0, n)`` are padding.

        Examples
        --------
        >>> conv = {"type": "Conv1d", "out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}
        >>> rf = receptive_field([conv])[0]
        >>> rf.region(0), rf.region(4)      # 4*2 - 1 .. 4*2 - 1 + 3 - 1
        (((-1, 1),), ((7, 9),))
        """
        if len(position) != len(self.r):
            raise ConvMathError(
                f"position={position} has {len(position)} entries; the field has {len(self.r)} dimensions"
            )
        starts = tuple(i * s - p for i, s, p in zip(position, self.S, self.P))
        return tuple((a, a + r - 1) for a, r in zip(starts, self.r))


class HasLayers(Protocol):
    """Anything with parsed layers and the shape going into each: a :class:`convmath.Network`, say.

    An ``inputs`` attribute (the nodes feeding each layer, 0 for the network
    input) makes it a graph; without one the layers form a chain.
    """

    @property
    def layers(self) -> Sequence[_layers.Layer]: ...  # pragma: no cover

    @property
    def in_shapes(self) -> Sequence[tuple[Any, ...] | None]: ...  # pragma: no cover


Layers = HasLayers | Sequence[Mapping[str, Any] | _layers.Layer]

Pairs = frozenset[tuple[Any, Any]]
#: Per node: the effective stride per dimension and, per dimension, the set of
#: (first input position, size) of the field of unit 0 through each path; None when undefined.
_Field = tuple[tuple[Any, ...], tuple[Pairs, ...]] | None


def _prepare(layers: Any) -> tuple[list[_layers.Layer], list[Any], list[tuple[int, ...]], int | None]:
    """Parsed layers, the input shape of each (None when unknown), their inputs and the spatial rank."""
    if hasattr(layers, "layers") and hasattr(layers, "in_shapes"):
        parsed = list(layers.layers)
        inputs = list(getattr(layers, "inputs", None) or chain(len(parsed)))
        input_shape = getattr(layers, "input_shape", None)
        ndim = len(input_shape) - 1 if input_shape is not None else _first_ndim(parsed)
        return parsed, list(layers.in_shapes), inputs, ndim
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
        raise ConvMathError(
            f"layers={layers!r} must be a Network or a list of layer dicts (or anything with layers and in_shapes)"
        )
    if len(layers) == 0:
        raise ConvMathError(f"layers={list(layers)!r} must hold at least one layer")
    if all(isinstance(spec, _layers.Layer) for spec in layers):
        parsed, inputs = list(layers), list(chain(len(layers)))
    else:
        nodes = build_graph([_as_spec(spec) for spec in layers], geometry_only=True)
        parsed, inputs = [node.layer for node in nodes], [node.inputs for node in nodes]
    return parsed, [None] * len(parsed), inputs, _first_ndim(parsed)


def _as_spec(spec: Any) -> Any:
    if isinstance(spec, _layers.Layer):
        return {"type": spec.type, **dict(spec.given)}
    return spec


def _first_ndim(parsed: Sequence[_layers.Layer]) -> int | None:
    return next((layer.ndim for layer in parsed if layer.ndim is not None), None)


def _extreme(values: Sequence[Any], *, low: bool) -> Any:
    if len(values) == 1:
        return values[0]
    if not all(type(v) is int for v in values) and any(is_symbolic(v) for v in values):
        return sympy.Min(*values) if low else sympy.Max(*values)
    return min(values) if low else max(values)


def _grow(field: _Field, geometry: Any) -> _Field:
    """The field after one layer of ``(kernel, stride, left padding, dilation)`` per dimension."""
    if field is None or geometry is None:
        return None
    if geometry is _layers.IDENTITY:
        return field
    strides, spans = field
    new_strides, new_spans = [], []
    for (k, s, p, d), S, pairs in zip(geometry, strides, spans):
        reach = effective_kernel_size(k, dilation=d) - 1
        new_spans.append(frozenset((start - p * S, size + reach * S) for start, size in pairs))
        new_strides.append(S * check_positive_int("stride", s))
    return tuple(new_strides), tuple(new_spans)


def _meet(fields: Sequence[_Field]) -> _Field:
    """Branches joining: every path kept; undefined when the effective strides differ."""
    known = [f for f in fields if f is not None]
    if len(known) < len(fields):
        return None
    strides = known[0][0]
    if any(not all(_same(a, b) for a, b in zip(strides, other[0])) for other in known[1:]):
        return None
    return strides, tuple(frozenset().union(*(f[1][i] for f in known)) for i in range(len(strides)))


def _same(a: Any, b: Any) -> bool:
    return bool(sympy.simplify(a - b) == 0) if is_symbolic(a) or is_symbolic(b) else bool(a == b)


def _record(layer: _layers.Layer, field: _Field) -> ReceptiveField | None:
    if field is None:
        return None
    strides, spans = field
    r, P, aligned = [], [], True
    for pairs in spans:
        first = _extreme([start for start, _ in pairs], low=True)
        r.append(_extreme([start + size - first for start, size in pairs], low=False))
        P.append(-first)
        # the centre of a path's field is start + (size - 1)/2: compare 2*start + size
        if len(pairs) > 1:
            centres = {2 * start + size for start, size in pairs}
            aligned = aligned and len({sympy.expand(c) if is_symbolic(c) else c for c in centres}) == 1
    centre = tuple(_half(r_i - 1) - P_i for r_i, P_i in zip(r, P))
    return ReceptiveField(
        index=layer.index, name=layer.type, r=tuple(r), S=strides, P=tuple(P), centre=centre, aligned=aligned
    )


def receptive_field(layers: Layers) -> tuple[ReceptiveField | None, ...]:
    r"""Receptive field, effective stride and effective padding after every layer.

    Parameters
    ----------
    layers : Network, anything with ``layers`` and ``in_shapes``, or list of dict
        A :class:`convmath.Network` (or any object with ``layers``,
        ``in_shapes`` and optionally ``inputs``), or layer dicts and blocks as
        a ``Network`` takes them (no input shape needed; ``in_channels`` and
        ``out_channels`` do not matter here and may be left out of convolutions).

    Returns
    -------
    tuple of ReceptiveField or None
        One record per layer (and per join of a block with branches); ``None`` where a receptive field is not defined
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

    Through branches, the largest field over the paths: a 3-wide and a 5-wide
    convolution side by side, both centred, then one whose 2-wide kernel is
    not centred (paths disagree on the centre: misaligned):

    >>> conv = lambda k, p: {"type": "Conv1d", "kernel_size": k, "padding": p}
    >>> cat = receptive_field([{"type": "Concat", "branch": [[conv(3, 1)], [conv(5, 2)]]}])[-1]
    >>> cat.r, cat.P, cat.aligned
    ((5,), (2,), True)
    >>> receptive_field([{"type": "Add", "branch": [[conv(2, 0)], []]}])[-1].aligned
    False
    """
    parsed, in_shapes, inputs, ndim = _prepare(layers)
    if ndim is None or ndim < 1:
        return tuple(None for _ in parsed)
    fields: list[_Field] = [((1,) * ndim, (frozenset({(0, 1)}),) * ndim)]
    for layer, in_shape, sources in zip(parsed, in_shapes, inputs):
        if (
            layer.ndim is not None
            and layer.ndim != ndim
            and layer.family != "linear"
            and fields[sources[0]] is not None
        ):
            raise ConvMathError(f"{layer.context}: works on {layer.ndim} spatial dimensions but the stack has {ndim}")
        if layer.family == "join":
            fields.append(_meet([fields[i] for i in sources]))
        else:
            fields.append(_grow(fields[sources[0]], _layers.layer_geometry(layer, in_shape)))
    return tuple(_record(layer, field) for layer, field in zip(parsed, fields[1:]))
