"""Small builders for the bundled specs: plain dicts, the same data a TOML or JSON spec holds.

Examples
--------
>>> conv(64, 3, padding=1, bias=False, name="conv1")
{'type': 'Conv2d', 'out_channels': 64, 'kernel_size': 3, 'bias': False, 'padding': 1, 'name': 'conv1'}
>>> add("block", branch("body", [relu()]), branch("shortcut", []))["branch"][1]
{'name': 'shortcut', 'layer': []}
"""

from __future__ import annotations

from typing import Any

Spec = dict[str, Any]
"""One layer or block of a spec."""


def _named(spec: Spec, name: str | None) -> Spec:
    return {**spec, "name": name} if name is not None else spec


def conv(
    out: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    *,
    groups: int = 1,
    bias: bool = True,
    name: str | None = None,
) -> Spec:
    """``Conv2d(in, out, kernel, stride, padding, groups=groups, bias=bias)``, ``in`` inferred."""
    spec: Spec = {"type": "Conv2d", "out_channels": out, "kernel_size": kernel}
    spec.update({k: v for k, v in (("stride", stride), ("groups", groups)) if v != 1})
    if not bias:
        spec["bias"] = False
    if padding:
        spec["padding"] = padding
    return _named(spec, name)


def bn(name: str | None = None) -> Spec:
    """``BatchNorm2d``, ``num_features`` inferred."""
    return _named({"type": "BatchNorm2d"}, name)


def layer(type_: str, name: str | None = None, **args: Any) -> Spec:
    """Any layer by its torch.nn class name."""
    return _named({"type": type_, **args}, name)


def relu(name: str | None = None) -> Spec:
    """``ReLU``."""
    return layer("ReLU", name)


def seq(name: str | None, layers: list[Spec]) -> Spec:
    """A named ``Sequential`` block."""
    return _named({"type": "Sequential", "layer": layers}, name)


def branch(name: str, layers: list[Spec]) -> Spec:
    """One named branch of a join (no layers: the identity)."""
    return {"name": name, "layer": layers}


def add(name: str | None, *branches: Spec) -> Spec:
    """The sum of the branches (a residual connection)."""
    return _named({"type": "Add", "branch": list(branches)}, name)


def concat(name: str | None, *branches: Spec) -> Spec:
    """The branches concatenated along the channels."""
    return _named({"type": "Concat", "branch": list(branches)}, name)


def multiply(name: str | None, *branches: Spec) -> Spec:
    """The product of the branches, broadcasting size-1 dimensions (a gate)."""
    return _named({"type": "Multiply", "branch": list(branches)}, name)


def conv_norm_act(
    out: int, kernel: int, stride: int = 1, *, groups: int = 1, activation: str | None = "ReLU", name: str | None = None
) -> Spec:
    """torchvision's ``Conv2dNormActivation``: convolution (no bias, padding ``(k - 1) // 2``), batch norm,
    activation."""
    layers = [conv(out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False, name="0"), bn("1")]
    if activation is not None:
        layers.append(layer(activation, "2"))
    return seq(name, layers)


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's ``_make_divisible``: round to a multiple of ``divisor``, never down by more than 10%.

    >>> make_divisible(240 // 4), make_divisible(16 // 4)
    (64, 8)
    """
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new
