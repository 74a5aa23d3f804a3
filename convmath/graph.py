"""Networks with branches: nested block specs read into a graph of layers, and the joins' shapes.

A network spec is a list of items. An item is a layer (a PyTorch class name
and its arguments, as in :mod:`convmath.layers`) or a block:

* ``{"type": "Sequential", "name": ..., "layer": [...]}`` groups layers under a name;
* ``{"type": "Add", "name": ..., "branch": [...]}`` runs every branch on the
  block's input and adds the results (a residual connection is two branches,
  one of them empty: the identity);
* ``{"type": "Concat", "branch": [...], "dim": 1}`` concatenates them along
  the channels (``dim`` counts the batch as 0, as in ``torch.cat``);
* ``{"type": "Multiply", "branch": [...]}`` multiplies them, broadcasting
  size-1 dimensions (a squeeze-and-excitation gate).

A branch is a list of items, or ``{"name": ..., "layer": [...]}``. Blocks nest.
Every node gets a dotted path like torchvision's module names
(``layer1.0.body.0``): given names where the spec has them, else positions
counting from 0. A plain sequence of layers is the special case without
blocks.

Any item may instead name its inputs, ``"inputs": ["layer1.0.bn2", "maxpool"]``
(paths of earlier items; ``"input"`` is the network input); a join given
``inputs`` needs no branches. This is the flat form of the same graph, as
:meth:`convmath.Network.from_torch` writes it.

In TOML a residual block reads like the model::

    [[layer]]
    type = "Add"
    name = "layer1.0"
    [[layer.branch]]
    name = "body"
    layer = [{type = "Conv2d", out_channels = 64, kernel_size = 3, padding = 1}, {type = "ReLU"}]
    [[layer.branch]]
    name = "shortcut"        # no layers: the identity
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from . import layers as _layers
from ._validate import check_int, is_symbolic
from .errors import ConvMathError

__all__ = ["Node", "JOIN_TYPES", "BLOCK_TYPES", "build_graph", "apply_join"]

JOIN_TYPES: tuple[str, ...] = ("Add", "Concat", "Multiply")
"""Blocks whose branches meet in one node."""
BLOCK_TYPES: tuple[str, ...] = ("Sequential", *JOIN_TYPES)
"""Every ``type`` that opens a block rather than naming a layer."""

_LIST_KEYS = ("layer", "layers")
MAX_DEPTH = 64
"""Blocks nest at most this deep (torchvision's models need 5); deeper specs are refused, not recursed into."""
_BRANCH_KEYS = ("branch", "branches")


@dataclass(frozen=True)
class Node:
    """One node of a network graph: a layer, or the join at the end of a block."""

    layer: _layers.Layer
    """The layer (its ``index`` is the node's number, counting from 1); joins have family ``"join"``."""
    inputs: tuple[int, ...]
    """The nodes feeding this one; 0 is the network input."""
    branches: tuple[str, ...] = ()
    """For a join, the name of the branch each input comes from (``"identity"`` for an empty one)."""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _items(value: Any, where: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ConvMathError(f"{where}={value!r} must be a list of layers or blocks")
    return value


class _Builder:
    """Walks the nested spec depth first, numbering the nodes as it meets them."""

    def __init__(self, geometry_only: bool) -> None:
        self.nodes: list[Node] = []
        self.names: dict[str, int] = {}
        self.geometry_only = geometry_only

    def sequence(self, items: Sequence[Any], source: int, path: str, *, named: bool) -> int:
        if path.count(".") >= MAX_DEPTH:
            raise ConvMathError(f"block {path[:60]!r}...: blocks nest more than {MAX_DEPTH} deep")
        for position, item in enumerate(items):
            source = self.item(item, source, path, position, named=named)
        return source

    def item(self, spec: Any, source: int, path: str, position: int, *, named: bool) -> int:
        index = len(self.nodes) + 1
        if not isinstance(spec, Mapping):
            raise ConvMathError(f"layer {index}: {spec!r} must be a table/dict with a 'type' key")
        name = spec.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            raise ConvMathError(f"layer {index}: name={name!r} must be a non-empty string")
        type_ = spec.get("type")
        here = _join(path, name if name is not None else str(position)) if (named or name is not None) else ""
        if "inputs" in spec:
            return self.wired(spec, here or f"{type_}-{index}", index)
        if type_ == "Sequential":
            _only(spec, ("type", "name", *_LIST_KEYS), index)
            items = _items(_get(spec, _LIST_KEYS, index), "layer")
            end = self.sequence(items, source, here or str(position), named=True)
            self.names[here or str(position)] = end
            return end
        if type_ in JOIN_TYPES:
            return self.join(spec, source, here or f"{type_.lower()}{index}")
        return self.add(spec, (source,), here)

    def add(self, spec: Mapping[str, Any], sources: tuple[int, ...], path: str, branches: tuple[str, ...] = ()) -> int:
        args = {k: v for k, v in spec.items() if k not in ("name", "inputs")}
        layer = _layers.parse_layer(args, len(self.nodes) + 1, geometry_only=self.geometry_only)
        self.nodes.append(Node(_layers.with_path(layer, path), sources, branches))
        if path:
            self.names[path] = len(self.nodes)
        return len(self.nodes)

    def wired(self, spec: Mapping[str, Any], path: str, index: int) -> int:
        """An item that names its inputs (the flat form of a graph)."""
        names = spec["inputs"]
        if isinstance(names, str) or not isinstance(names, Sequence) or not names:
            raise ConvMathError(f"layer {index} ({path}): inputs={names!r} must be a non-empty list of names")
        sources = []
        for name in names:
            if name != "input" and name not in self.names:
                raise ConvMathError(
                    f"layer {index} ({path}): inputs names {name!r}, which no earlier layer is called; "
                    "use 'input' for the network input"
                )
            sources.append(0 if name == "input" else self.names[name])
        if spec.get("type") in JOIN_TYPES:
            _only(spec, ("type", "name", "inputs", *(("dim",) if spec["type"] == "Concat" else ())), index)
            if len(sources) < 2:
                raise ConvMathError(
                    f"block {path!r} ({spec['type']}): inputs={list(names)!r} names {len(sources)} "
                    "input; a join needs at least 2"
                )
            return self.add(spec, tuple(sources), path, tuple(str(n) for n in names))
        if len(sources) != 1:
            raise ConvMathError(
                f"layer {index} ({path}): inputs={list(names)!r} must name one input; only a join "
                "(Add, Concat, Multiply) takes several"
            )
        return self.add(spec, (sources[0],), path)

    def join(self, spec: Mapping[str, Any], source: int, path: str) -> int:
        type_ = spec["type"]
        index = len(self.nodes) + 1
        _only(spec, ("type", "name", *_BRANCH_KEYS, *(("dim",) if type_ == "Concat" else ())), index)
        branches = _items(_get(spec, _BRANCH_KEYS, index), "branch")
        if len(branches) < 2:
            raise ConvMathError(
                f"block {path!r} ({type_}): branch=... has {len(branches)} branches; a join needs at "
                "least 2 (an empty branch is the identity)"
            )
        ends, names = [], []
        for number, branch in enumerate(branches):
            if isinstance(branch, Mapping):
                _only(branch, ("name", *_LIST_KEYS), index, what=f"branch {number} of block {path!r}")
                label = branch.get("name", str(number))
                items = _items(branch.get("layer", branch.get("layers", [])), "layer")
            else:
                label, items = str(number), _items(branch, "branch")
            ends.append(self.sequence(items, source, _join(path, str(label)), named=True))
            names.append(str(label) if items else f"{label} (identity)")
        args = {"type": type_, **({"dim": spec["dim"]} if "dim" in spec else {})}
        return self.add(args, tuple(ends), path, tuple(names))


def _get(spec: Mapping[str, Any], keys: tuple[str, ...], index: int) -> Any:
    for key in keys:
        if key in spec:
            return spec[key]
    raise ConvMathError(f"layer {index}: block {spec.get('type')!r} needs {keys[0]}=[...]")


def _only(spec: Mapping[str, Any], allowed: tuple[str, ...], index: int, *, what: str | None = None) -> None:
    for key in spec:
        if key not in allowed:
            where = what or f"block {spec.get('type')!r}"
            raise ConvMathError(
                f"layer {index}: {where} does not take {key!r}; use one of " + ", ".join(repr(a) for a in allowed)
            )


def build_graph(items: Sequence[Any], *, geometry_only: bool = False) -> tuple[Node, ...]:
    """Number the layers and joins of a (possibly nested) spec, inputs first.

    Parameters
    ----------
    items : list
        Layers and blocks (see the module docstring).
    geometry_only : bool, optional
        Let convolutions leave ``out_channels`` out (for receptive fields only).

    Returns
    -------
    tuple of Node
        In an order where every node comes after its inputs.

    Examples
    --------
    A residual block: two convolutions added to the identity.

    >>> conv = {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}
    >>> nodes = build_graph([{"type": "Add", "name": "res", "branch": [[conv, conv], []]}])
    >>> [(node.layer.type, node.layer.path, node.inputs) for node in nodes]
    [('Conv2d', 'res.0.0', (0,)), ('Conv2d', 'res.0.1', (1,)), ('Add', 'res', (2, 0))]
    """
    builder = _Builder(geometry_only)
    builder.sequence(_items(items, "layers"), 0, "", named=False)
    if not builder.nodes:
        raise ConvMathError("layers=[] must hold at least one layer")
    return tuple(builder.nodes)


def _equal(a: Any, b: Any) -> bool:
    """Sizes equal, or not decidably different (symbols)."""
    if is_symbolic(a) or is_symbolic(b):
        return sympy.simplify(a - b).is_nonzero is not True
    return bool(a == b)


def apply_join(node: Node, shapes: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The shape after a join, checking that the branches meet.

    Parameters
    ----------
    node : Node
        A join node (``Add``, ``Concat`` or ``Multiply``).
    shapes : list of tuple
        The per-sample shape of each input, in the order of ``node.inputs``.

    Returns
    -------
    tuple
        The shape coming out.

    Examples
    --------
    A residual block whose shortcut skips the stride (the message goes on: an addition needs equal shapes):

    >>> down = {"type": "Conv2d", "out_channels": 8, "kernel_size": 1, "stride": 2}
    >>> nodes = build_graph([{"type": "Add", "name": "res", "branch": [[down], []]}])
    >>> apply_join(nodes[-1], [(8, 28, 28), (8, 28, 28)])
    (8, 28, 28)
    >>> apply_join(nodes[-1], [(8, 28, 28), (4, 56, 56)])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: block 'res' (Add): branch 0 gives 8x28x28 but branch 1 (identity) gives 4x56x56; ...
    """
    type_, path = node.layer.type, node.layer.path
    first, label = shapes[0], node.branches[0]

    def mismatch(shape: tuple[Any, ...], other: str, need: str) -> ConvMathError:
        return ConvMathError(
            f"block {path!r} ({type_}): branch {label} gives {_layers.shape_str(first)} but branch "
            f"{other} gives {_layers.shape_str(shape)}; {need}"
        )

    if type_ == "Add":
        for shape, other in zip(shapes[1:], node.branches[1:]):
            if len(shape) != len(first) or not all(_equal(a, b) for a, b in zip(first, shape)):
                raise mismatch(shape, other, "an addition needs equal shapes")
        return tuple(first)
    if type_ == "Multiply":
        out = list(first)
        for shape, other in zip(shapes[1:], node.branches[1:]):
            if len(shape) != len(out):
                raise mismatch(shape, other, "a product needs the same number of dimensions")
            for i, (a, b) in enumerate(zip(out, shape)):
                if _equal(a, b) or b == 1:
                    continue
                if a == 1:
                    out[i] = b
                    continue
                raise mismatch(shape, other, "a product needs equal sizes or 1 (broadcasting)")
        return tuple(out)
    dim = check_int("dim", node.layer["dim"])
    rank = len(first) + 1
    axis = (dim + rank if dim < 0 else dim) - 1
    if not 0 <= axis < len(first):
        raise ConvMathError(
            f"block {path!r} (Concat): dim={dim} is out of range for inputs of {rank} dimensions "
            "with the batch; dim=1 joins the channels"
        )
    for shape, other in zip(shapes[1:], node.branches[1:]):
        if len(shape) != len(first) or not all(_equal(a, b) for i, (a, b) in enumerate(zip(first, shape)) if i != axis):
            raise mismatch(shape, other, f"a concatenation along dim={dim} needs every other size equal")
    total = sum((shape[axis] for shape in shapes), start=0)
    return (*first[:axis], total, *first[axis + 1 :])


def chain(count: int) -> tuple[tuple[int, ...], ...]:
    """The inputs of a plain sequence of ``count`` layers: each takes the one before.

    Examples
    --------
    >>> chain(3)
    ((0,), (1,), (2,))
    """
    return tuple((i,) for i in range(count))
