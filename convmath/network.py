"""Whole networks: PyTorch-style layer specs with an input shape, in sequence or with branches.

:class:`Network` parses the layer dicts and blocks (see :mod:`convmath.layers`
and, for residual additions, concatenations and products of branches,
:mod:`convmath.graph`), runs the shapes through the graph once (checking the
shapes at every join), and :meth:`Network.summary` tabulates output shapes,
parameters, multiply-accumulates and receptive fields, like torchinfo's
``summary``. Rendering lives in :mod:`convmath.summary`. A plain sequence of
layers is the special case of a graph without branches.

Spec files (TOML or JSON) hold the same data::

    name = "LeNet-5"
    input_shape = [1, 28, 28]

    [[layer]]
    type = "Conv2d"
    out_channels = 6
    kernel_size = 5
    padding = 2

Bundled specs live in ``convmath/specs``: TOML files (``lenet5``, ``alexnet``,
``vgg16``) and Python modules whose ``spec()`` returns the same data
(``resnet18``, ``resnet50``, ``densenet121``, ``googlenet``, ``squeezenet1_0``,
``mobilenet_v2``, ``mobilenet_v3_small``, written like torchvision's models).
"""

from __future__ import annotations

import importlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import layers as _layers
from ._validate import check_positive_int
from .errors import ConvMathError
from .from_torch import torch_spec
from .graph import Node, apply_join, build_graph
from .summary import Summary, build_summary

__all__ = ["Network", "bundled_specs", "SPECS_DIR"]

SPECS_DIR = Path(__file__).with_name("specs")
"""Where the bundled specs live."""

_SPEC_KEYS = ("input_shape", "layer", "layers", "name", "source", "notes", "batch")


def bundled_specs() -> tuple[str, ...]:
    """Names of the bundled specs, for :meth:`Network.bundled`.

    Returns
    -------
    tuple of str
        The stems of ``convmath/specs/*.toml`` and of its Python spec modules, sorted.

    Examples
    --------
    >>> bundled_specs()[:3]
    ('alexnet', 'densenet121', 'googlenet')
    >>> Network.bundled("lenet5").input_shape
    (1, 28, 28)
    """
    names = {p.stem for p in SPECS_DIR.glob("*.toml")}
    names |= {p.stem for p in SPECS_DIR.glob("*.py") if not p.stem.startswith("_")}
    return tuple(sorted(names))


def _batch(batch: bool | int, shape: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """``(batch size or None, per-sample shape)`` from the ``batch`` argument."""
    if batch is True:
        if len(shape) < 2:
            raise ConvMathError(
                f"input_shape={shape} has no room for a batch size; batch=True reads the first entry as one"
            )
        return shape[0], shape[1:]
    if batch is False:
        return None, shape
    return check_positive_int("batch", batch), shape


class Network:
    """Layers, in sequence or in blocks with branches, with an input shape, their shapes resolved.

    Parameters
    ----------
    layers : list of dict
        Layer specs with PyTorch class names, argument names and defaults,
        e.g. ``{"type": "Conv2d", "out_channels": 64, "kernel_size": 11,
        "stride": 4, "padding": 2}``. ``in_channels`` / ``in_features`` /
        ``num_features`` may be given (then checked against the incoming
        shape) or left out (then inferred). Blocks (``Sequential``, ``Add``,
        ``Concat``, ``Multiply``, see :mod:`convmath.graph`) hold branches.
    input_shape : sequence of int
        One sample, channels first, e.g. ``(C, H, W)``.
    name : str, optional
        A label for the summary.
    batch : bool or int, optional
        ``True``: the first entry of ``input_shape`` is the batch size. An
        int: the batch size, ``input_shape`` being one sample. Output shapes
        then show it and MACs count the batch. Default ``False``: no batch
        (never guessed from the rank: a rank-free layer such as ``ReLU``
        cannot tell a batch from a channel).

    Attributes
    ----------
    layers : tuple of Layer
        The parsed layers and joins, numbered from 1, inferred channels filled in.
    nodes : tuple of Node
        The same, with the inputs of each (0 is the network input).
    inputs : tuple of tuple of int
        The nodes feeding each layer; a plain sequence is ``(0,), (1,), ...``.
    input_shape : tuple
        The shape of one sample (batch dimension removed).
    batch_size : int or None
        The batch size, when one was given.
    in_shapes, out_shapes : tuple of tuple
        The per-sample shape going into (the first input, for a join) and
        coming out of each layer.

    Raises
    ------
    ConvMathError
        Naming the layer and the numbers, e.g.
        ``layer 7 (MaxPool2d, kernel_size=2): input 1x1 is smaller than the window (2x2)``,
        or both shapes where branches do not meet.

    Examples
    --------
    The "PyTorch deep learning in practice (11)" tutorial's tiny CNN on a 1 × 4 × 4 input: 10 + 2 = 12 parameters.

    >>> net = Network([
    ...     {"type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": 3},
    ...     {"type": "MaxPool2d", "kernel_size": 2},
    ...     {"type": "ReLU"},
    ...     {"type": "Flatten"},
    ...     {"type": "Linear", "in_features": 1, "out_features": 1},
    ... ], input_shape=(1, 4, 4))
    >>> net.out_shapes
    ((1, 2, 2), (1, 1, 1), (1, 1, 1), (1,), (1,))
    >>> net.summary().total_params
    12

    A batch is explicit: ``Flatten`` then sees 3 * 4 * 4 = 48 features per sample.

    >>> Network([{"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 5}], (2, 3, 4, 4),
    ...         batch=True).layers[-1]["in_features"]
    48

    A residual block whose shortcut does not match names both shapes:

    >>> conv = {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}
    >>> Network([{"type": "Add", "name": "block", "branch": [{"name": "body", "layer": [conv]}, []]}], (4, 8, 8))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: block 'block' (Add): branch body gives 8x8x8 but branch 1 (identity) gives 4x8x8;
    an addition needs equal shapes
    """

    def __init__(
        self,
        layers: Sequence[Mapping[str, Any]],
        input_shape: Sequence[Any],
        *,
        name: str | None = None,
        batch: bool | int = False,
    ) -> None:
        if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
            raise ConvMathError(f"layers={layers!r} must be a list of layer dicts")
        if len(layers) == 0:
            raise ConvMathError("layers=[] must hold at least one layer")
        if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence) or len(input_shape) == 0:
            raise ConvMathError(f"input_shape={input_shape!r} must be a non-empty list of sizes, channels first")
        shape = tuple(check_positive_int("input_shape", v) for v in input_shape)
        self.batch_size: Any
        self.batch_size, shape = _batch(batch, shape)
        self.name = name
        self.input_shape: tuple[Any, ...] = shape
        shapes: list[tuple[Any, ...]] = [shape]
        nodes: list[Node] = []
        for node in build_graph(layers):
            layer = node.layer
            if layer.family == "join":
                out = apply_join(node, [shapes[i] for i in node.inputs])
            else:
                try:
                    layer, out = _layers.apply_layer(layer, shapes[node.inputs[0]])
                except ConvMathError as err:
                    raise ConvMathError(f"{layer.context}: {err}") from err
            nodes.append(Node(layer, node.inputs, node.branches))
            shapes.append(out)
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.layers: tuple[_layers.Layer, ...] = tuple(node.layer for node in nodes)
        self.inputs: tuple[tuple[int, ...], ...] = tuple(node.inputs for node in nodes)
        self.in_shapes: tuple[tuple[Any, ...], ...] = tuple(shapes[node.inputs[0]] for node in nodes)
        self.out_shapes: tuple[tuple[Any, ...], ...] = tuple(shapes[1:])

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Network({label}{len(self.layers)} layers, input_shape={self.input_shape})"

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """Shape of one sample after the last layer."""
        return self.out_shapes[-1]

    @property
    def is_sequence(self) -> bool:
        """True when every layer takes the one before it (no branches).

        Examples
        --------
        >>> Network.bundled("lenet5").is_sequence, Network.bundled("resnet18").is_sequence
        (True, False)
        """
        return all(node.inputs == (i,) for i, node in enumerate(self.nodes))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Network:
        """Build from ``{"input_shape": [...], "layer": [{...}, ...]}`` (``layers`` also accepted).

        ``batch`` (``true`` or a batch size) is passed on as :class:`Network`'s argument.

        >>> conv = {"type": "Conv2d", "out_channels": 4, "kernel_size": 3}
        >>> Network.from_dict({"input_shape": [3, 8, 8], "layer": [conv]}).output_shape
        (4, 6, 6)
        """
        if not isinstance(data, Mapping):
            raise ConvMathError(f"a network spec must be a table/dict, not {type(data).__name__}")
        unknown = sorted(set(data) - set(_SPEC_KEYS))
        if unknown:
            raise ConvMathError(
                f"spec key {unknown[0]!r} is not allowed; use 'input_shape', 'layer' (or 'layers'), "
                "'name', 'source', 'notes', 'batch'"
            )
        if "input_shape" not in data:
            raise ConvMathError("the spec has no input_shape = [C, H, W]")
        layer_list = data.get("layer", data.get("layers"))
        if layer_list is None:
            raise ConvMathError('the spec has no layers: add [[layer]] tables (TOML) or a "layer" list (JSON)')
        batch = data.get("batch", False)
        if not isinstance(batch, bool):
            batch = check_positive_int("batch", batch)
        return cls(layer_list, data["input_shape"], name=data.get("name"), batch=batch)

    @classmethod
    def from_file(cls, path: str | Path) -> Network:
        """Read a spec from a ``.toml`` or ``.json`` file.

        >>> Network.from_file(SPECS_DIR / "lenet5.toml").output_shape
        (10,)
        """
        path = Path(path)
        try:
            text = path.read_bytes()
        except OSError as err:
            raise ConvMathError(f"spec file {str(path)!r} cannot be read: {err.strerror}") from err
        try:
            if path.suffix.lower() == ".json":
                data = json.loads(text)
            elif path.suffix.lower() == ".toml":
                data = tomllib.loads(text.decode("utf-8"))
            else:
                raise ConvMathError(f"spec file {str(path)!r} must end in .toml or .json")
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            if isinstance(err, ConvMathError):
                raise
            why = "nested too deeply" if isinstance(err, RecursionError) else err
            raise ConvMathError(f"spec file {str(path)!r} is not valid {path.suffix[1:].upper()}: {why}") from err
        try:
            return cls.from_dict(data)
        except ConvMathError as err:
            raise ConvMathError(f"{path.name}: {err}") from err

    @classmethod
    def bundled(cls, name: str) -> Network:
        """A bundled spec by name: one of :func:`bundled_specs`.

        >>> Network.bundled("alexnet").summary().total_params
        61100840
        >>> Network.bundled("resnet18").summary().total_params   # torchvision's ResNet18_Weights: 11,689,512
        11689512
        """
        if name not in bundled_specs():
            allowed = ", ".join(repr(n) for n in bundled_specs())
            raise ConvMathError(f"spec {name!r} is not a bundled spec; use a .toml/.json path or one of {allowed}")
        if (SPECS_DIR / f"{name}.toml").is_file():
            return cls.from_file(SPECS_DIR / f"{name}.toml")
        module = importlib.import_module(f"convmath.specs.{name}")
        return cls.from_dict(module.spec())

    @classmethod
    def load(cls, spec: str | Path) -> Network:
        """A path to a spec file, or the name of a bundled spec.

        >>> Network.load("lenet5").output_shape
        (10,)
        """
        if isinstance(spec, Path) or Path(spec).suffix.lower() in (".toml", ".json"):
            return cls.from_file(spec)
        return cls.bundled(str(spec))

    @classmethod
    def from_torch(cls, module: Any, input_shape: Sequence[int], *, name: str | None = None) -> Network:
        """Read a live ``torch.nn.Module`` into a Network (PyTorch must be installed, never a dependency).

        The module is traced with ``torch.fx`` (forward hooks where tracing
        fails); see :func:`convmath.from_torch.torch_spec`. The summary then
        matches torchinfo's, with convmath's symbolic and receptive-field view.

        Parameters
        ----------
        module : torch.nn.Module
            The model.
        input_shape : sequence of int
            One sample, channels first (no batch).
        name : str, optional
            A label (default: the module's class name).

        Returns
        -------
        Network

        Examples
        --------
        >>> import torch  # doctest: +SKIP
        >>> model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())  # doctest: +SKIP
        >>> Network.from_torch(model, (3, 32, 32)).output_shape  # doctest: +SKIP
        (8, 30, 30)
        """
        return cls.from_dict(torch_spec(module, input_shape, name=name))

    def summary(self, *, convention: str = "torchinfo") -> Summary:
        """The table of shapes, parameters, MACs and receptive fields: a :class:`convmath.summary.Summary`.

        Parameters
        ----------
        convention : {"torchinfo", "macs", "flops"}, optional
            How MACs are counted (see :mod:`convmath.counting`).

        Examples
        --------
        >>> s = Network.bundled("lenet5").summary()
        >>> s.total_params           # 156 + 2416 + 48120 + 10164 + 850
        61706
        >>> s.rows[0]
        SummaryRow(index=1, name='Conv2d-1', type='Conv2d', output_shape=(6, 28, 28), params=156, macs=122304,
                   r=(5, 5), S=(1, 1), P=(2, 2), block='', depth=0, aligned=True)
        """
        return build_summary(self, convention=convention)
