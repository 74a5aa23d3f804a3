"""Reading a live PyTorch model into a network spec.

PyTorch is never a dependency of convmath: it is imported here, and only when
:func:`torch_spec` is called. The model is traced with ``torch.fx``; every
module call becomes a layer (its arguments read off the module), and
``+``/``torch.add``, ``torch.cat`` and ``*`` become joins. Functions with a
layer twin (``torch.flatten``, ``F.relu``, ``F.adaptive_avg_pool2d``, ...)
become that layer. Where tracing fails (data-dependent control flow), forward
hooks record the module calls of one forward pass on zeros, in order: right
for a model whose modules run one after the other (a model with branches
then fails at its first join, or gives a sequence whose shapes are checked
layer by layer).

The result is the flat form of a graph (every item names its ``inputs``; see
:mod:`convmath.graph`), with the module paths as names, so the summary reads
like torchinfo's.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ConvMathError
from .layers import LAYER_TYPES, signature

__all__ = ["torch_spec", "FUNCTION_LAYERS"]

#: ``torch.nn.functional`` / ``torch`` functions with a layer twin, by name, and how their arguments map.
FUNCTION_LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "relu": ("ReLU", ()),
    "relu6": ("ReLU6", ()),
    "sigmoid": ("Sigmoid", ()),
    "tanh": ("Tanh", ()),
    "gelu": ("GELU", ()),
    "silu": ("SiLU", ()),
    "hardswish": ("Hardswish", ()),
    "hardsigmoid": ("Hardsigmoid", ()),
    "dropout": ("Dropout", ()),
    "flatten": ("Flatten", ("start_dim", "end_dim")),
    "adaptive_avg_pool1d": ("AdaptiveAvgPool1d", ("output_size",)),
    "adaptive_avg_pool2d": ("AdaptiveAvgPool2d", ("output_size",)),
    "adaptive_avg_pool3d": ("AdaptiveAvgPool3d", ("output_size",)),
    "max_pool2d": ("MaxPool2d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    "avg_pool2d": ("AvgPool2d", ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")),
}
_JOINS: dict[Any, str] = {
    operator.add: "Add",
    operator.iadd: "Add",
    operator.mul: "Multiply",
    operator.imul: "Multiply",
}
_SHAPE_QUERIES = ("size", "dim", "shape", "contiguous")


def _import_torch() -> Any:
    try:
        import torch
        import torch.fx
    except ImportError as err:
        raise ConvMathError(
            "Network.from_torch needs PyTorch (pip install torch); it is never a dependency of convmath"
        ) from err
    return torch


def _module_spec(module: Any) -> dict[str, Any]:
    """``{"type": ..., <argument>: <value>}`` read off a torch.nn module whose class convmath knows."""
    type_ = type(module).__name__
    spec: dict[str, Any] = {"type": type_}
    for name in signature(type_):
        if name in ("device", "dtype", "return_indices"):
            continue
        if name == "bias":
            spec["bias"] = getattr(module, "bias", None) is not None
        elif hasattr(module, name):
            value = getattr(module, name)
            spec[name] = list(value) if isinstance(value, tuple) else value
    if type_.startswith("BatchNorm"):
        spec["affine"] = bool(module.affine)
    if spec.get("stride") is None and "stride" in spec:
        del spec["stride"]
    return spec


def _function_name(target: Any) -> str:
    return getattr(target, "__name__", str(target)).lstrip("_")


def _scoped(node: Any, kind: str) -> str:
    """``layer1.0.add``: a function call named inside the module that made it (fx's ``nn_module_stack``)."""
    stack = node.meta.get("nn_module_stack") if hasattr(node, "meta") else None
    scope = next(reversed(stack)) if stack else ""
    return f"{scope}.{kind}" if scope else kind


def torch_spec(module: Any, input_shape: Sequence[int], *, name: str | None = None) -> dict[str, Any]:
    """The spec of a ``torch.nn.Module``, as :meth:`convmath.Network.from_dict` takes it.

    Parameters
    ----------
    module : torch.nn.Module
        The model (traced, never run on data).
    input_shape : sequence of int
        One sample, channels first.
    name : str, optional
        A label; default the module's class name.

    Returns
    -------
    dict
        ``{"name", "input_shape", "layer"}``, every layer naming its ``inputs``.

    Raises
    ------
    ConvMathError
        When torch is not installed, when ``module`` is not a module, or
        listing by name every module type and function convmath has no layer for.

    Examples
    --------
    >>> torch_spec(object(), (3, 8, 8))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: module=<object object at ...> is not a torch.nn.Module
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise ConvMathError(f"module={module!r} is not a torch.nn.Module")
    label = name or type(module).__name__
    try:
        graph = torch.fx.symbolic_trace(module).graph
    except Exception as err:  # noqa: BLE001 - any tracing failure: fall back to the hooks
        reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:120]
        layers = _hooked_layers(torch, module, input_shape, reason)
        return {"name": label, "input_shape": list(input_shape), "layer": layers}
    return {"name": label, "input_shape": list(input_shape), "layer": _traced_layers(torch, module, graph)}


def _traced_layers(torch: Any, module: Any, graph: Any) -> list[dict[str, Any]]:
    modules = dict(module.named_modules())
    names: dict[str, str] = {}  # fx node name -> our item name (or "input")
    used: set[str] = set()
    items: list[dict[str, Any]] = []
    unknown: dict[str, list[str]] = {}

    def unique(base: str) -> str:
        candidate, count = base, 1
        while candidate in used:
            count += 1
            candidate = f"{base}:{count}"
        used.add(candidate)
        return candidate

    def source(arg: Any) -> str | None:
        return names.get(str(arg.name)) if hasattr(arg, "name") else None

    def emit(node: Any, spec: dict[str, Any], base: str, inputs: list[str]) -> None:
        item = {**spec, "name": unique(base), "inputs": inputs}
        items.append(item)
        names[node.name] = item["name"]

    for node in graph.nodes:
        if node.op == "placeholder":
            names[node.name] = "input"
        elif node.op == "call_module":
            sub = modules[node.target]
            type_ = type(sub).__name__
            if type_ not in LAYER_TYPES:
                unknown.setdefault(type_, []).append(str(node.target))
                names[node.name] = "input" if not items else items[-1]["name"]
                continue
            emit(node, _module_spec(sub), str(node.target), [source(node.args[0]) or "input"])
        elif node.op in ("call_function", "call_method"):
            _function_node(node, emit, source, names, unknown)
        elif node.op == "get_attr":
            unknown.setdefault("parameter used directly", []).append(str(node.target))
    if unknown:
        listed = "; ".join(
            f"{kind} (at {', '.join(where[:3])}{', ...' if len(where) > 3 else ''})" for kind, where in unknown.items()
        )
        raise ConvMathError(
            f"the model uses what convmath has no layer for: {listed}; supported: " + ", ".join(LAYER_TYPES)
        )
    return items


def _function_node(
    node: Any,
    emit: Callable[..., None],
    source: Callable[[Any], str | None],
    names: dict[str, str],
    unknown: dict[str, list[str]],
) -> None:
    """A ``call_function`` / ``call_method`` node: a join, a layer's twin, a shape query, or unknown."""
    target, fname = node.target, _function_name(node.target) if node.op == "call_function" else str(node.target)
    tensors = [a for a in node.args if source(a) is not None]
    join = _JOINS.get(target) or {"add": "Add", "add_": "Add", "mul": "Multiply", "mul_": "Multiply"}.get(fname)
    if join and len(tensors) >= 2:
        emit(node, {"type": join}, _scoped(node, join.lower()), [source(a) for a in tensors])
        return
    if join and len(tensors) == 1:  # x + 1, x * 0.5: shape-preserving arithmetic with a number
        names[node.name] = source(tensors[0]) or "input"
        return
    if fname in ("cat", "concat", "concatenate"):
        parts = [source(a) or "input" for a in node.args[0]]
        if len(parts) == 1:  # torch.cat([x]) is x
            names[node.name] = parts[0]
            return
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        emit(node, {"type": "Concat", "dim": dim}, _scoped(node, "cat"), parts)
        return
    if fname in _SHAPE_QUERIES or fname == "getattr" or fname == "getitem" and not tensors:
        if tensors and fname == "contiguous":
            names[node.name] = source(tensors[0]) or "input"
        return
    if fname in ("view", "reshape") and len(node.args) == 3 and node.args[2] == -1:
        emit(node, {"type": "Flatten"}, _scoped(node, fname), [source(node.args[0]) or "input"])
        return
    if fname in FUNCTION_LAYERS and tensors:
        type_, arg_names = FUNCTION_LAYERS[fname]
        spec: dict[str, Any] = {"type": type_}
        for key, value in zip(arg_names, node.args[1:]):
            spec[key] = list(value) if isinstance(value, tuple) else value
        for key, value in node.kwargs.items():
            if key in arg_names:
                spec[key] = list(value) if isinstance(value, tuple) else value
        if type_ == "Flatten" and node.op == "call_function":
            spec.setdefault("start_dim", 0)  # torch.flatten's default, unlike nn.Flatten's
        emit(node, spec, _scoped(node, fname), [source(tensors[0]) or "input"])
        return
    unknown.setdefault(f"function {fname}", []).append(node.name)


def _hooked_layers(torch: Any, module: Any, input_shape: Sequence[int], reason: str) -> list[dict[str, Any]]:
    """Leaf module calls in the order a forward pass on zeros makes them, checked to chain (a sequence)."""
    calls: list[tuple[str, Any, tuple[int, ...], tuple[int, ...]]] = []
    unknown: dict[str, list[str]] = {}
    handles = []

    def record(path: str) -> Any:
        def hook(sub: Any, inputs: Any, output: Any) -> None:
            first = inputs[0] if inputs else None
            calls.append((path, sub, tuple(getattr(first, "shape", ())), tuple(getattr(output, "shape", ()))))

        return hook

    for path, sub in module.named_modules():
        if next(iter(sub.children()), None) is None:
            handles.append(sub.register_forward_hook(record(path)))
    parameter = next(module.parameters(), None)
    device = parameter.device if parameter is not None else "cpu"
    try:
        with torch.no_grad():
            module(torch.zeros((1, *input_shape), device=device))
    finally:
        for handle in handles:
            handle.remove()
    items = []
    previous = ("the input", (1, *input_shape))
    for path, sub, shape_in, shape_out in calls:
        type_ = type(sub).__name__
        if type_ not in LAYER_TYPES:
            unknown.setdefault(type_, []).append(path)
        elif shape_in != previous[1]:
            raise ConvMathError(
                f"torch.fx cannot trace the model ({reason}) and its module calls do not form a "
                f"sequence: {path} receives {list(shape_in)} but {previous[0]} gave "
                f"{list(previous[1])}"
            )
        items.append({**_module_spec(sub), "name": path or type_})
        previous = (path or type_, shape_out)
    if unknown:
        listed = "; ".join(f"{kind} (at {', '.join(where[:3])})" for kind, where in unknown.items())
        raise ConvMathError(f"the model uses what convmath has no layer for: {listed}")
    return items
