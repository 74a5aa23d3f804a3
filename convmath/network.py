"""Whole networks: a sequence of PyTorch-style layer specs with an input shape.

:class:`Network` parses the layer dicts (see :mod:`convmath.layers`), runs the
shapes through them once, and :meth:`Network.summary` tabulates output
shapes, parameters, multiply-accumulates and receptive fields, like
torchinfo's ``summary``. Rendering lives in :mod:`convmath.summary`.

Spec files (TOML or JSON) hold the same data::

    name = "LeNet-5"
    input_shape = [1, 28, 28]

    [[layer]]
    type = "Conv2d"
    out_channels = 6
    kernel_size = 5
    padding = 2

Bundled specs (``lenet5``, ``alexnet``, ``vgg16``) live in ``convmath/specs``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import layers as _layers
from ._validate import check_positive_int
from .errors import ConvMathError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Network", "bundled_specs", "SPECS_DIR"]

SPECS_DIR = Path(__file__).with_name("specs")
"""Where the bundled specs live."""


def bundled_specs() -> tuple[str, ...]:
    """Names of the bundled specs, for :meth:`Network.bundled`.

    Returns
    -------
    tuple of str
        The stems of ``convmath/specs/*.toml``, sorted.

    Examples
    --------
    >>> bundled_specs()
    ('alexnet', 'lenet5', 'vgg16')
    >>> Network.bundled(bundled_specs()[1]).input_shape
    (1, 28, 28)
    """
    return tuple(sorted(p.stem for p in SPECS_DIR.glob("*.toml")))


def _input_rank(layers: Sequence[_layers.Layer]) -> int | None:
    """Dimensions of one (unbatched) input sample, as fixed by the first layer that fixes it.

    Element-wise layers (and ``BatchNorm1d``, which takes ``(C,)`` or
    ``(C, L)``) pass any rank on; a ``Flatten`` first leaves it open.
    """
    for layer in layers:
        if layer.family == "flatten":
            return None
        if layer.family == "linear":
            return 1
        if layer.ndim is not None and not (layer.family == "batchnorm" and layer.ndim == 1):
            return layer.ndim + 1
    return None


class Network:
    """A sequence of layers with an input shape, its shapes resolved.

    Parameters
    ----------
    layers : list of dict
        Layer specs with PyTorch class names, argument names and defaults,
        e.g. ``{"type": "Conv2d", "out_channels": 64, "kernel_size": 11,
        "stride": 4, "padding": 2}``. ``in_channels`` / ``in_features`` /
        ``num_features`` may be given (then checked against the incoming
        shape) or left out (then inferred).
    input_shape : sequence of int
        Channels first, e.g. ``(C, H, W)``. With one more entry than the first
        layer that fixes the rank takes (``(N, C, H, W)`` before a ``Conv2d``,
        element-wise layers in between), the first entry is the batch size:
        output shapes then show it and MACs count the batch.
    name : str, optional
        A label for the summary.

    Attributes
    ----------
    layers : tuple of Layer
        The parsed layers, inferred channels filled in.
    input_shape : tuple
        The shape of one sample (batch dimension removed).
    batch_size : int or None
        The batch size, when ``input_shape`` had one.
    in_shapes, out_shapes : tuple of tuple
        The per-sample shape going into and coming out of each layer.

    Raises
    ------
    ConvMathError
        Naming the layer and the numbers, e.g.
        ``layer 7 (MaxPool2d, kernel_size=2): input 1x1 is smaller than the window (2x2)``.

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
    """

    def __init__(self, layers: Sequence[Mapping[str, Any]], input_shape: Sequence[Any], *, name: str | None = None) -> None:
        if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence):
            raise ConvMathError(f"layers={layers!r} must be a list of layer dicts")
        if len(layers) == 0:
            raise ConvMathError("layers=[] must hold at least one layer")
        if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence) or len(input_shape) == 0:
            raise ConvMathError(f"input_shape={input_shape!r} must be a non-empty list of sizes, channels first")
        shape = tuple(check_positive_int("input_shape", v) for v in input_shape)
        parsed = [_layers.parse_layer(spec, i) for i, spec in enumerate(layers, 1)]
        rank = _input_rank(parsed)
        self.batch_size: Any = None
        if rank is not None and len(shape) == rank + 1:
            self.batch_size, shape = shape[0], shape[1:]
        self.name = name
        self.input_shape: tuple[Any, ...] = shape
        applied, in_shapes, out_shapes = [], [], []
        for layer in parsed:
            in_shapes.append(shape)
            try:
                layer, shape = _layers.apply_layer(layer, shape)
            except ConvMathError as err:
                raise ConvMathError(f"{layer.context}: {err}") from err
            applied.append(layer)
            out_shapes.append(shape)
        self.layers: tuple[_layers.Layer, ...] = tuple(applied)
        self.in_shapes: tuple[tuple[Any, ...], ...] = tuple(in_shapes)
        self.out_shapes: tuple[tuple[Any, ...], ...] = tuple(out_shapes)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Network({label}{len(self.layers)} layers, input_shape={self.input_shape})"

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """Shape of one sample after the last layer."""
        return self.out_shapes[-1]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Network:
        """Build from ``{"input_shape": [...], "layer": [{...}, ...]}`` (``layers`` also accepted).

        >>> Network.from_dict({"input_shape": [3, 8, 8], "layer": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}]}).output_shape
        (4, 6, 6)
        """
        if not isinstance(data, Mapping):
            raise ConvMathError(f"a network spec must be a table/dict, not {type(data).__name__}")
        unknown = sorted(set(data) - {"input_shape", "layer", "layers", "name", "source", "notes"})
        if unknown:
            raise ConvMathError(f"spec key {unknown[0]!r} is not allowed; use 'input_shape', 'layer' (or 'layers'), 'name', 'source', 'notes'")
        if "input_shape" not in data:
            raise ConvMathError("the spec has no input_shape = [C, H, W]")
        layer_list = data.get("layer", data.get("layers"))
        if layer_list is None:
            raise ConvMathError("the spec has no layers: add [[layer]] tables (TOML) or a \"layer\" list (JSON)")
        return cls(layer_list, data["input_shape"], name=data.get("name"))

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
        except (ValueError, UnicodeDecodeError) as err:
            if isinstance(err, ConvMathError):
                raise
            raise ConvMathError(f"spec file {str(path)!r} is not valid {path.suffix[1:].upper()}: {err}") from err
        try:
            return cls.from_dict(data)
        except ConvMathError as err:
            raise ConvMathError(f"{path.name}: {err}") from err

    @classmethod
    def bundled(cls, name: str) -> Network:
        """A bundled spec by name: one of :func:`bundled_specs`.

        >>> Network.bundled("alexnet").summary().total_params
        61100840
        """
        if name not in bundled_specs():
            allowed = ", ".join(repr(n) for n in bundled_specs())
            raise ConvMathError(f"spec {name!r} is not a bundled spec; use a .toml/.json path or one of {allowed}")
        return cls.from_file(SPECS_DIR / f"{name}.toml")

    @classmethod
    def load(cls, spec: str | Path) -> Network:
        """A path to a spec file, or the name of a bundled spec."""
        if isinstance(spec, Path) or Path(spec).suffix.lower() in (".toml", ".json"):
            return cls.from_file(spec)
        return cls.bundled(str(spec))

    def summary(self, *, convention: str = "torchinfo") -> Any:
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
        SummaryRow(index=1, name='Conv2d-1', type='Conv2d', output_shape=(6, 28, 28), params=156, macs=122304, r=(5, 5), S=(1, 1), P=(2, 2))
        """
        from .summary import build_summary

        return build_summary(self, convention=convention)
