"""Layer specs: PyTorch class names, argument names and defaults, parsed and applied.

A layer is described by a plain mapping such as
``{"type": "Conv2d", "out_channels": 64, "kernel_size": 11, "stride": 4}``.
:func:`parse_layer` checks it against the PyTorch signature (unknown types or
arguments are refused with the accepted ones listed) and fills in the
defaults; :func:`apply_layer` takes the shape coming in (channels first, no
batch dimension) and returns the shape going out, with ``in_channels`` /
``in_features`` / ``num_features`` inferred or checked.

Every size comes from :mod:`convmath.sizes` and every count from
:mod:`convmath.counting`; nothing is re-derived here. Errors raised here carry
no layer context: :class:`convmath.network.Network` adds
``layer 7 (MaxPool2d, kernel_size=2): ...`` in front.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import counting, sizes
from ._validate import check_bool, check_choice, check_int, check_positive_int, fmt, is_symbolic, per_dim
from .errors import ConvMathError

__all__ = [
    "Layer",
    "LAYER_TYPES",
    "parse_layer",
    "apply_layer",
    "layer_params",
    "layer_macs",
    "layer_geometry",
    "shape_str",
    "with_path",
    "signature",
]

REQUIRED = object()
"""Marks an argument without a default."""

_CONV = {
    "in_channels": None,
    "out_channels": REQUIRED,
    "kernel_size": REQUIRED,
    "stride": 1,
    "padding": 0,
    "dilation": 1,
    "groups": 1,
    "bias": True,
    "padding_mode": "zeros",
    "device": None,
    "dtype": None,
}
_CONVT = {
    "in_channels": None,
    "out_channels": REQUIRED,
    "kernel_size": REQUIRED,
    "stride": 1,
    "padding": 0,
    "output_padding": 0,
    "groups": 1,
    "bias": True,
    "dilation": 1,
    "padding_mode": "zeros",
    "device": None,
    "dtype": None,
}
_MAXPOOL = {
    "kernel_size": REQUIRED,
    "stride": None,
    "padding": 0,
    "dilation": 1,
    "return_indices": False,
    "ceil_mode": False,
}
_AVGPOOL = {
    "kernel_size": REQUIRED,
    "stride": None,
    "padding": 0,
    "ceil_mode": False,
    "count_include_pad": True,
    "divisor_override": None,
}
_ADAPTIVE = {"output_size": REQUIRED}
_BATCHNORM = {
    "num_features": None,
    "eps": 1e-5,
    "momentum": 0.1,
    "affine": True,
    "track_running_stats": True,
    "device": None,
    "dtype": None,
}
_ELEMENTWISE: dict[str, dict[str, Any]] = {
    "ReLU": {"inplace": False},
    "ReLU6": {"inplace": False},
    "Sigmoid": {},
    "Tanh": {},
    "GELU": {"approximate": "none"},
    "LeakyReLU": {"negative_slope": 0.01, "inplace": False},
    "ELU": {"alpha": 1.0, "inplace": False},
    "SiLU": {"inplace": False},
    "Softmax": {"dim": None},
    "LogSoftmax": {"dim": None},
    "Identity": {},
    "Dropout": {"p": 0.5, "inplace": False},
    "Dropout1d": {"p": 0.5, "inplace": False},
    "Dropout2d": {"p": 0.5, "inplace": False},
    "Dropout3d": {"p": 0.5, "inplace": False},
    "Hardswish": {"inplace": False},
    "Hardsigmoid": {"inplace": False},
    "Hardtanh": {"min_val": -1.0, "max_val": 1.0, "inplace": False},
    "Mish": {"inplace": False},
}


@dataclass(frozen=True)
class _Kind:
    family: str
    ndim: int | None
    signature: Mapping[str, Any]


def _kinds() -> dict[str, _Kind]:
    kinds: dict[str, _Kind] = {}
    for nd in (1, 2, 3):
        kinds[f"Conv{nd}d"] = _Kind("conv", nd, _CONV)
        kinds[f"ConvTranspose{nd}d"] = _Kind("conv_transpose", nd, _CONVT)
        kinds[f"MaxPool{nd}d"] = _Kind("maxpool", nd, _MAXPOOL)
        avg = dict(_AVGPOOL)
        if nd == 1:
            del avg["divisor_override"]
        kinds[f"AvgPool{nd}d"] = _Kind("avgpool", nd, avg)
        kinds[f"AdaptiveAvgPool{nd}d"] = _Kind("adaptive", nd, _ADAPTIVE)
        kinds[f"AdaptiveMaxPool{nd}d"] = _Kind("adaptive", nd, {**_ADAPTIVE, "return_indices": False})
        kinds[f"BatchNorm{nd}d"] = _Kind("batchnorm", nd, _BATCHNORM)
    kinds["Linear"] = _Kind(
        "linear", None, {"in_features": None, "out_features": REQUIRED, "bias": True, "device": None, "dtype": None}
    )
    kinds["Flatten"] = _Kind("flatten", None, {"start_dim": 1, "end_dim": -1})
    for name, signature in _ELEMENTWISE.items():
        kinds[name] = _Kind("elementwise", None, signature)
    # the joins that end a block of branches (see convmath.graph); no torch.nn class, torch.add / torch.cat / torch.mul
    kinds["Add"] = _Kind("join", None, {})
    kinds["Concat"] = _Kind("join", None, {"dim": 1})
    kinds["Multiply"] = _Kind("join", None, {})
    return kinds


_KINDS = _kinds()
LAYER_TYPES: tuple[str, ...] = tuple(_KINDS)
"""Every accepted ``type``: PyTorch ``torch.nn`` class names."""


@dataclass(frozen=True)
class Layer:
    """One layer of a network, its arguments resolved with PyTorch's defaults."""

    index: int
    """Position in the network, counting from 1."""
    type: str
    """PyTorch class name, e.g. ``"Conv2d"``."""
    args: Mapping[str, Any] = field(default_factory=dict)
    """Every argument of the PyTorch signature, defaults filled in."""
    given: tuple[tuple[str, Any], ...] = ()
    """The arguments as the spec gave them, in order (for messages)."""
    path: str = ""
    """Dotted name in a network with blocks, like torchvision's module names (``"layer1.0.conv1"``); empty at the top
    of a plain sequence."""

    @property
    def family(self) -> str:
        """``conv``, ``conv_transpose``, ``maxpool``, ``avgpool``, ``adaptive``,
        ``batchnorm``, ``linear``, ``flatten``, ``elementwise`` or ``join``."""
        return _KINDS[self.type].family

    @property
    def ndim(self) -> int | None:
        """Spatial dimensions the layer works on (None for any)."""
        return _KINDS[self.type].ndim

    @property
    def context(self) -> str:
        """``layer 7 (MaxPool2d, kernel_size=2)``: how messages name this layer."""
        inner = ", ".join([self.type, *(fmt(k, v) for k, v in self.given)])
        return f"layer {self.index} ({self.path}: {inner})" if self.path else f"layer {self.index} ({inner})"

    def __getitem__(self, name: str) -> Any:
        return self.args[name]


def signature(type_: str) -> Mapping[str, Any]:
    """The arguments of a layer type and their defaults (:data:`REQUIRED` where there is none).

    Examples
    --------
    >>> list(signature("MaxPool2d"))
    ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode']
    >>> signature("Pool2d")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: type='Pool2d' is not a layer type convmath knows
    """
    if type_ not in _KINDS:
        raise ConvMathError(f"{fmt('type', type_)} is not a layer type convmath knows")
    return _KINDS[type_].signature


def with_path(layer: Layer, path: str) -> Layer:
    """``layer`` placed at ``path`` in a network with blocks.

    Examples
    --------
    >>> with_path(parse_layer({"type": "ReLU"}, 3), "layer1.0.relu").context
    'layer 3 (layer1.0.relu: ReLU)'
    """
    return replace(layer, path=path)


def _freeze(value: Any) -> Any:
    """Lists (from JSON or TOML) become tuples, recursively."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def parse_layer(spec: Mapping[str, Any], index: int, *, geometry_only: bool = False) -> Layer:
    """Check one layer mapping against its PyTorch signature and fill in defaults.

    Parameters
    ----------
    spec : mapping
        ``{"type": <torch.nn class name>, <argument>: <value>, ...}``.
    index : int
        The layer's position, counting from 1 (used in messages).
    geometry_only : bool, optional
        For receptive fields only: ``out_channels`` / ``out_features`` may be
        left out (default False).

    Returns
    -------
    Layer

    Examples
    --------
    >>> layer = parse_layer({"type": "MaxPool2d", "kernel_size": 2}, 7)
    >>> layer.context, layer["stride"], layer["padding"]
    ('layer 7 (MaxPool2d, kernel_size=2)', None, 0)
    >>> parse_layer({"type": "MaxPool2d", "kernel": 2}, 7)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: layer 7 (MaxPool2d, kernel=2): argument 'kernel' is not allowed;
    use one of 'kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'
    """
    if not isinstance(spec, Mapping):
        raise ConvMathError(f"layer {index}: {spec!r} must be a table/dict with a 'type' key")
    if "type" not in spec:
        raise ConvMathError(f"layer {index}: {dict(spec)!r} has no 'type' (a torch.nn class name such as 'Conv2d')")
    type_ = spec["type"]
    if type_ not in _KINDS:
        allowed = ", ".join(repr(t) for t in LAYER_TYPES)
        raise ConvMathError(f"layer {index}: {fmt('type', type_)} is not allowed; use one of {allowed}")
    given = tuple((k, _freeze(v)) for k, v in spec.items() if k != "type")
    layer = Layer(index=index, type=type_, given=given)
    signature = _KINDS[type_].signature
    args: dict[str, Any] = {}
    for key, value in given:
        if key not in signature:
            allowed = ", ".join(repr(a) for a in signature)
            raise ConvMathError(f"{layer.context}: argument {key!r} is not allowed; use one of {allowed}")
        args[key] = value
    for key, default in signature.items():
        if key not in args:
            if default is REQUIRED and not (geometry_only and key in ("out_channels", "out_features")):
                raise ConvMathError(f"{layer.context}: {key}=... is required")
            args[key] = default
    parsed = Layer(index=index, type=type_, args=args, given=given)
    if parsed.family == "elementwise":
        try:
            _check_elementwise(parsed)
        except ConvMathError as err:
            raise ConvMathError(f"{parsed.context}: {err}") from err
    return parsed


def _real(name: str, value: Any) -> float:
    """A real number (not a bool) for an activation's option."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ConvMathError(f"{fmt(name, value)} must be a finite real number")
    return float(value)


def _check_elementwise(layer: Layer) -> None:
    """Refuse the options PyTorch refuses: ``p`` outside [0, 1], a non-bool ``inplace``, ..."""
    args = layer.args
    if "inplace" in args:
        check_bool("inplace", args["inplace"])
    if "p" in args and not 0 <= _real("p", args["p"]) <= 1:
        raise ConvMathError(f"{fmt('p', args['p'])} must be a probability in [0, 1]")
    for name in ("negative_slope", "alpha"):
        if name in args:
            _real(name, args[name])
    if "approximate" in args:
        check_choice("approximate", args["approximate"], ("none", "tanh"))
    if "dim" in args and args["dim"] is not None:
        check_int("dim", args["dim"])


def shape_str(shape: tuple[Any, ...]) -> str:
    """Render a shape the way messages and tables show it: ``(1, 1)`` -> ``'1x1'``.

    Parameters
    ----------
    shape : tuple
        Sizes (ints or sympy expressions).

    Returns
    -------
    str
        The sizes joined by ``x``.

    Examples
    --------
    >>> shape_str((16, 5, 5))
    '16x5x5'
    >>> import sympy
    >>> shape_str((sympy.Symbol("n") - 2, 3))
    'n - 2x3'
    """
    return "x".join(str(v) for v in shape)


def _spatial_input(layer: Layer, in_shape: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """``(channels, spatial sizes)`` of the input, checking its rank."""
    nd = layer.ndim
    assert nd is not None
    if len(in_shape) != nd + 1:
        names = {1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}[nd]
        hint = " per sample (if the first entry is the batch size, give batch=True)" if len(in_shape) == nd + 2 else ""
        raise ConvMathError(
            f"input shape {tuple(in_shape)} has {len(in_shape)} dimensions; {layer.type} expects {names}{hint}"
        )
    return in_shape[0], tuple(in_shape[1:])


def _check_channels(name: str, given: Any, incoming: Any, what: str) -> Any:
    if given is None:
        return incoming
    given = check_positive_int(name, given)
    if not (is_symbolic(given) or is_symbolic(incoming)) and given != incoming:
        raise ConvMathError(f"{name}={given} does not match the {incoming} {what} coming in")
    return given


def _window(
    layer: Layer,
    spatial: tuple[Any, ...],
    kernel: tuple[Any, ...],
    dilation: tuple[Any, ...],
    pads: tuple[tuple[Any, Any], ...],
) -> None:
    """Refuse an input smaller than the (dilated) window even with its padding."""
    spans = tuple(sizes.effective_kernel_size(k, dilation=d) for k, d in zip(kernel, dilation))
    values = (*spatial, *spans, *(p for pair in pads for p in pair))
    if any(is_symbolic(v) for v in values):
        return
    if any(n + left + right < span for n, span, (left, right) in zip(spatial, spans, pads)):
        padded = "" if all(p == (0, 0) for p in pads) else f", padding {shape_str(tuple(l for l, _ in pads))}"
        raise ConvMathError(f"input {shape_str(spatial)} is smaller than the window ({shape_str(spans)}{padded})")


def _conv_pads(
    layer: Layer, kernel: tuple[Any, ...], stride: tuple[Any, ...], dilation: tuple[Any, ...]
) -> tuple[tuple[Any, Any], ...]:
    per = per_dim("padding", layer["padding"], len(kernel))
    return tuple(sizes.resolve_padding(p, k, dilation=d, stride=s) for p, k, d, s in zip(per, kernel, dilation, stride))


def _geometry_args(layer: Layer) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """``(kernel, stride, dilation)`` per spatial dimension."""
    nd = layer.ndim
    assert nd is not None
    kernel = per_dim("kernel_size", layer["kernel_size"], nd)
    stride_value = layer["stride"]
    if layer.family in ("maxpool", "avgpool") and stride_value is None:
        stride_value = kernel
    stride = per_dim("stride", stride_value, nd)
    dilation = per_dim("dilation", layer.args.get("dilation", 1), nd)
    return kernel, stride, dilation


def apply_layer(layer: Layer, in_shape: tuple[Any, ...]) -> tuple[Layer, tuple[Any, ...]]:
    """The output shape of ``layer`` for an input of ``in_shape`` (no batch dimension).

    Returns the layer with its inferred ``in_channels`` / ``in_features`` /
    ``num_features`` filled in, and the output shape.

    Examples
    --------
    >>> conv = {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}
    >>> layer, out = apply_layer(parse_layer(conv, 1), (1, 28, 28))
    >>> layer["in_channels"], out          # (28 + 2*2 - 5) + 1 = 28
    (1, (6, 28, 28))
    >>> apply_layer(parse_layer({"type": "MaxPool2d", "kernel_size": 2}, 7), (16, 1, 1))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: input 1x1 is smaller than the window (2x2)
    """
    family = layer.family
    args = dict(layer.args)
    if family in ("conv", "conv_transpose"):
        channels, spatial = _spatial_input(layer, in_shape)
        args["in_channels"] = _check_channels("in_channels", layer["in_channels"], channels, "channels")
        out_channels = check_positive_int("out_channels", layer["out_channels"])
        kernel, stride, dilation = _geometry_args(layer)
        params_fn = counting.conv_params if family == "conv" else counting.conv_transpose_params
        params_fn(args["in_channels"], out_channels, kernel, groups=layer["groups"], bias=layer["bias"])
        if family == "conv":
            _window(layer, spatial, kernel, dilation, _conv_pads(layer, kernel, stride, dilation))
            out = sizes.conv_output_size(
                spatial, kernel, stride=stride, padding=_per_dim_padding(layer, len(kernel)), dilation=dilation
            )
        else:
            out = sizes.conv_transpose_output_size(
                spatial,
                kernel,
                stride=stride,
                padding=_per_dim_padding(layer, len(kernel)),
                dilation=dilation,
                output_padding=layer["output_padding"],
            )
        return replace(layer, args=args), (out_channels, *out)
    if family in ("maxpool", "avgpool"):
        channels, spatial = _spatial_input(layer, in_shape)
        kernel, stride, dilation = _geometry_args(layer)
        padding = per_dim("padding", layer["padding"], len(kernel))
        for p in padding:
            check_int("padding", p, minimum=0)
        if not layer["ceil_mode"]:  # with ceil_mode one window starting inside is enough (PyTorch's rule)
            _window(layer, spatial, kernel, dilation, tuple((p, p) for p in padding))
        out = sizes.pool_output_size(
            spatial, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=layer["ceil_mode"]
        )
        return layer, (channels, *out)
    if family == "adaptive":
        channels, spatial = _spatial_input(layer, in_shape)
        wanted = per_dim("output_size", layer["output_size"], len(spatial))
        out = tuple(n if o is None else check_positive_int("output_size", o) for n, o in zip(spatial, wanted))
        return layer, (channels, *out)
    if family == "batchnorm":
        nd = layer.ndim
        assert nd is not None
        ranks = (1, 2) if nd == 1 else (nd + 1,)  # BatchNorm1d takes (C,) or (C, L) per sample
        if len(in_shape) not in ranks:
            raise ConvMathError(
                f"input shape {tuple(in_shape)} has {len(in_shape)} dimensions; {layer.type} expects "
                + ("(C,) or (C, L) per sample" if nd == 1 else f"{nd + 1} (channels first)")
            )
        args["num_features"] = _check_channels("num_features", layer["num_features"], in_shape[0], "channels")
        check_bool("affine", layer["affine"])
        return replace(layer, args=args), tuple(in_shape)
    if family == "linear":
        if len(in_shape) != 1:
            raise ConvMathError(
                f"input shape {tuple(in_shape)} is not flat; Linear here takes (in_features,): add a Flatten before it"
            )
        features = in_shape[0]
        if layer["in_features"] is not None:
            given = check_positive_int("in_features", layer["in_features"])
            if not (is_symbolic(given) or is_symbolic(features)) and given != features:
                raise ConvMathError(f"in_features={given} does not match the {features} features coming in")
        args["in_features"] = features if layer["in_features"] is None else layer["in_features"]
        counting.linear_params(args["in_features"], layer["out_features"], bias=layer["bias"])
        return replace(layer, args=args), (layer["out_features"],)
    if family == "flatten":
        return layer, _flatten(layer, tuple(in_shape))
    return layer, tuple(in_shape)


def _per_dim_padding(layer: Layer, nd: int) -> tuple[Any, ...]:
    return per_dim("padding", layer["padding"], nd)


def _flatten(layer: Layer, in_shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """``Flatten(start_dim, end_dim)``; PyTorch's dims count the batch dimension as 0."""
    rank = len(in_shape) + 1
    start = check_int("start_dim", layer["start_dim"])
    end = check_int("end_dim", layer["end_dim"])
    start_n, end_n = (start + rank if start < 0 else start), (end + rank if end < 0 else end)
    if not 0 <= start_n < rank or not 0 <= end_n < rank:
        raise ConvMathError(
            f"start_dim={start}, end_dim={end} are out of range for an input of {rank} dimensions with the batch"
        )
    if start_n == 0:
        raise ConvMathError(f"start_dim={start} would flatten the batch dimension; use start_dim=1")
    if start_n > end_n:
        raise ConvMathError(f"start_dim={start} comes after end_dim={end}")
    lo, hi = start_n - 1, end_n - 1
    return (*in_shape[:lo], math.prod(in_shape[lo : hi + 1]), *in_shape[hi + 1 :])


def layer_params(layer: Layer) -> Any:
    """Trainable parameters of an applied layer (``in_channels`` etc. known).

    Parameters
    ----------
    layer : Layer
        A layer returned by :func:`apply_layer`, so that ``in_channels`` /
        ``in_features`` / ``num_features`` are filled in.

    Returns
    -------
    int or sympy expression
        From :mod:`convmath.counting`; 0 for pooling, flatten and element-wise layers.

    Examples
    --------
    LeNet-5's first convolution, and the batch norm after it (weight and bias per channel):

    >>> spec = {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}
    >>> conv, out = apply_layer(parse_layer(spec, 1), (1, 28, 28))
    >>> layer_params(conv)        # 6 * (1*5*5) + 6
    156
    >>> bn, _ = apply_layer(parse_layer({"type": "BatchNorm2d"}, 2), out)
    >>> layer_params(bn)          # 2 * 6
    12
    >>> layer_params(parse_layer({"type": "ReLU"}, 3))
    0
    """
    family = layer.family
    if family in ("conv", "conv_transpose"):
        fn = counting.conv_params if family == "conv" else counting.conv_transpose_params
        kernel = per_dim("kernel_size", layer["kernel_size"], layer.ndim or 1)
        return fn(layer["in_channels"], layer["out_channels"], kernel, groups=layer["groups"], bias=layer["bias"])
    if family == "linear":
        return counting.linear_params(layer["in_features"], layer["out_features"], bias=layer["bias"])
    if family == "batchnorm":
        return counting.batchnorm_params(
            layer["num_features"], affine=layer["affine"], track_running_stats=layer["track_running_stats"]
        ).params
    return 0


def layer_macs(layer: Layer, in_shape: tuple[Any, ...], *, convention: str = "torchinfo") -> Any:
    """Multiply-accumulates of an applied layer on one sample, in ``convention``.

    Parameters
    ----------
    layer : Layer
        A layer returned by :func:`apply_layer`.
    in_shape : tuple
        The shape going into the layer, channels first, no batch dimension.
    convention : {"torchinfo", "macs", "flops"}, optional
        How the bias and batch norm are counted (see :mod:`convmath.counting`).

    Returns
    -------
    int or sympy expression

    Examples
    --------
    LeNet-5's first convolution: 6 * 28 * 28 outputs, each 1*5*5 products;
    torchinfo adds one for the bias.

    >>> spec = {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}
    >>> conv, _ = apply_layer(parse_layer(spec, 1), (1, 28, 28))
    >>> layer_macs(conv, (1, 28, 28))                      # 6*28*28 * (1*5*5 + 1)
    122304
    >>> layer_macs(conv, (1, 28, 28), convention="macs")   # 6*28*28 * (1*5*5)
    117600
    """
    family = layer.family
    checked = counting.check_convention(convention)
    if family in ("conv", "conv_transpose"):
        kernel, stride, dilation = _geometry_args(layer)
        common = dict(
            stride=stride,
            padding=_per_dim_padding(layer, len(kernel)),
            dilation=dilation,
            groups=layer["groups"],
            bias=layer["bias"],
            convention=convention,
        )
        if family == "conv":
            return counting.conv_macs(layer["in_channels"], layer["out_channels"], kernel, in_shape[1:], **common)
        return counting.conv_transpose_macs(
            layer["in_channels"],
            layer["out_channels"],
            kernel,
            in_shape[1:],
            output_padding=layer["output_padding"],
            **common,
        )
    if family == "linear":
        return counting.linear_macs(layer["in_features"], layer["out_features"], bias=layer["bias"], convention=checked)
    if family == "batchnorm" and checked == "torchinfo":
        return layer_params(layer)  # torchinfo: the parameters once per sample
    return 0


IDENTITY = "identity"
""":func:`layer_geometry` for a layer that keeps every position where it is."""


def layer_geometry(layer: Layer, in_shape: tuple[Any, ...] | None) -> Any:
    """``(kernel, stride, left padding, dilation)`` per spatial dimension, for receptive fields.

    Returns :data:`IDENTITY` for element-wise layers and batch normalisation,
    and ``None`` where a receptive field in the sense of Araujo et al. is not
    defined: after ``Flatten`` / ``Linear`` (every output sees everything), a
    transposed convolution, or an adaptive pooling whose windows are not all
    the same (its input size unknown or not a multiple of its output size).

    Parameters
    ----------
    layer : Layer
        A parsed layer (see :func:`parse_layer`).
    in_shape : tuple or None
        The shape going in (channels first), needed only by adaptive pooling.

    Returns
    -------
    tuple of (kernel, stride, left padding, dilation), IDENTITY or None

    Examples
    --------
    >>> conv = {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}
    >>> layer_geometry(parse_layer(conv, 1), (1, 28, 28))
    ((5, 1, 2, 1), (5, 1, 2, 1))
    >>> layer_geometry(parse_layer({"type": "ReLU"}, 2), None)
    'identity'

    Adaptive pooling 8 -> 2 has equal windows (kernel = stride = 8 / 2); 7 -> 2 does not:

    >>> pool = parse_layer({"type": "AdaptiveAvgPool2d", "output_size": 2}, 3)
    >>> layer_geometry(pool, (4, 8, 8)), layer_geometry(pool, (4, 7, 7))
    (((4, 4, 0, 1), (4, 4, 0, 1)), None)
    """
    family = layer.family
    if family in ("elementwise", "batchnorm"):
        return IDENTITY
    if family in ("conv", "maxpool", "avgpool"):
        kernel, stride, dilation = _geometry_args(layer)
        if family == "conv":
            lefts = tuple(left for left, _ in _conv_pads(layer, kernel, stride, dilation))
        else:
            lefts = per_dim("padding", layer["padding"], len(kernel))
        return tuple(zip(kernel, stride, lefts, dilation))
    if family == "adaptive" and in_shape is not None:
        spatial = in_shape[1:]
        wanted = per_dim("output_size", layer["output_size"], len(spatial))
        geometry = []
        for n, o in zip(spatial, wanted):
            o = n if o is None else o
            if is_symbolic(n) or is_symbolic(o) or n % o:
                return None
            geometry.append((n // o, n // o, 0, 1))  # equal windows: kernel = stride = n / o
        return tuple(geometry)
    return None
