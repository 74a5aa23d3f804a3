"""Networks with branches against PyTorch: random graphs of blocks, shapes and parameters node by node
(torch optional)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convmath import Network
from convmath.layers import layer_params

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

_INFERRED = ("in_channels", "in_features", "num_features")


def _module(layer: Any) -> Any:
    args = dict(layer.given)
    args.update({name: layer[name] for name in _INFERRED if name in layer.args and layer[name] is not None})
    return getattr(torch.nn, layer.type)(**args)


def _conv(draw: Any, out: int, *, keep: bool, channels: int = 0) -> dict[str, Any]:
    """A convolution; ``keep``: stride 1 and padding 'same', so a branch keeps the spatial size
    (depthwise sometimes, when ``channels`` coming in equal ``out``)."""
    kernel = draw(st.integers(1, 3), label="kernel_size")
    if keep:
        groups = draw(st.sampled_from([1, out]), label="groups") if out == channels else 1
        return {
            "type": "Conv2d",
            "out_channels": out,
            "kernel_size": kernel,
            "padding": "same",
            "groups": groups,
            "bias": draw(st.booleans()),
        }
    return {
        "type": "Conv2d",
        "out_channels": out,
        "kernel_size": kernel,
        "stride": draw(st.integers(1, 2)),
        "padding": draw(st.integers(0, kernel // 2)),
    }


@st.composite
def branched_networks(draw: Any) -> tuple[tuple[int, ...], list[dict[str, Any]]]:
    """A stem, then residual additions, concatenations, gates and pools; every join's branches agree."""
    channels = draw(st.integers(1, 3), label="channels")
    layers: list[dict[str, Any]] = [_conv(draw, channels, keep=False)]
    for _ in range(draw(st.integers(1, 4), label="blocks")):
        kind = draw(st.sampled_from(["add", "concat", "gate", "pool", "norm"]), label="block")
        if kind == "add":
            body = [_conv(draw, channels, keep=True, channels=channels), {"type": "BatchNorm2d"}, {"type": "ReLU"}]
            layers.append({"type": "Add", "branch": [{"name": "body", "layer": body}, []]})
        elif kind == "concat":
            widths = [draw(st.integers(1, 2)) for _ in range(draw(st.integers(2, 3)))]
            layers.append(
                {"type": "Concat", "branch": [[_conv(draw, w, keep=True, channels=channels)] for w in widths]}
            )
            channels = sum(widths)
        elif kind == "gate":
            gate = [
                {"type": "AdaptiveAvgPool2d", "output_size": 1},
                {"type": "Conv2d", "out_channels": channels, "kernel_size": 1},
                {"type": "Hardsigmoid"},
            ]
            layers.append({"type": "Multiply", "branch": [[], gate]})
        elif kind == "pool":
            layers.append({"type": "MaxPool2d", "kernel_size": 2, "ceil_mode": True})
        else:
            layers.append({"type": "BatchNorm2d"})
    layers += [
        {"type": "AdaptiveAvgPool2d", "output_size": 1},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": draw(st.integers(1, 4))},
    ]
    size = draw(st.integers(4, 12), label="size")
    return (3, size, size), layers


@settings(deadline=None)
@given(branched_networks())
def test_random_branched_networks_agree_with_torch_node_by_node(
    spec: tuple[tuple[int, ...], list[dict[str, Any]]],
) -> None:
    input_shape, layers = spec
    net = Network(layers, input_shape)
    with torch.device("meta"):
        values = [torch.empty((2, *input_shape))]
        for node, out_shape in zip(net.nodes, net.out_shapes):
            layer = node.layer
            inputs = [values[i] for i in node.inputs]
            if layer.type == "Add":
                value = sum(inputs[1:], inputs[0])
            elif layer.type == "Multiply":
                value = inputs[0] * inputs[1]
            elif layer.type == "Concat":
                value = torch.cat(inputs, dim=layer["dim"])
            else:
                module = _module(layer)
                value = module(inputs[0])
                assert sum(p.numel() for p in module.parameters()) == layer_params(layer), layer.context
            assert tuple(value.shape) == (2, *out_shape), layer.context
            values.append(value)
    assert net.summary().total_params == sum(layer_params(layer) for layer in net.layers)


@settings(deadline=None)
@given(branched_networks())
def test_from_torch_reads_back_the_same_network(spec: tuple[tuple[int, ...], list[dict[str, Any]]]) -> None:
    """A Network built into torch modules and read back with from_torch has the same shapes and counts."""
    input_shape, layers = spec
    net = Network(layers, input_shape)

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = torch.nn.ModuleList(
                torch.nn.Identity() if n.layer.family == "join" else _module(n.layer) for n in net.nodes
            )

        def forward(self, x: Any) -> Any:
            values = [x]
            for node, module in zip(net.nodes, self.blocks):
                inputs = [values[i] for i in node.inputs]
                if node.layer.type == "Add":
                    values.append(inputs[0] + inputs[1])
                elif node.layer.type == "Multiply":
                    values.append(inputs[0] * inputs[1])
                elif node.layer.type == "Concat":
                    values.append(torch.cat(inputs, 1))
                else:
                    values.append(module(inputs[0]))
            return values[-1]

    with torch.device("meta"):
        module = Graph()
    back = Network.from_torch(module, input_shape)
    summary, again = net.summary(), back.summary()
    assert (again.total_params, again.total_macs) == (summary.total_params, summary.total_macs)
    assert back.output_shape == net.output_shape
    assert [r.params for r in again.rows if r.params] == [r.params for r in summary.rows if r.params]
