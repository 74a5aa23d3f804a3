"""MobileNetV3-Small (Howard et al., "Searching for MobileNetV3", 2019), as torchvision's ``mobilenet_v3_small``.

Inverted residuals with squeeze-and-excitation gates (a ``Multiply`` of the
features and a global-pooling branch ending in ``Hardsigmoid``) and
``Hardswish`` activations. torchvision's ``MobileNet_V3_Small_Weights`` lists
2,542,856 parameters.
"""

from __future__ import annotations

from typing import Any

from ._blocks import Spec, add, branch, conv, conv_norm_act, layer, make_divisible, multiply, relu, seq

__all__ = ["spec"]

#: (input channels, kernel, expanded channels, output channels, squeeze-excitation, activation, stride)
SETTINGS = (
    (16, 3, 16, 16, True, "ReLU", 2),
    (16, 3, 72, 24, False, "ReLU", 2),
    (24, 3, 88, 24, False, "ReLU", 1),
    (24, 5, 96, 40, True, "Hardswish", 2),
    (40, 5, 240, 40, True, "Hardswish", 1),
    (40, 5, 240, 40, True, "Hardswish", 1),
    (40, 5, 120, 48, True, "Hardswish", 1),
    (48, 5, 144, 48, True, "Hardswish", 1),
    (48, 5, 288, 96, True, "Hardswish", 2),
    (96, 5, 576, 96, True, "Hardswish", 1),
    (96, 5, 576, 96, True, "Hardswish", 1),
)


def squeeze_excitation(name: str, channels: int) -> Spec:
    """torchvision's ``SqueezeExcitation``: the input times a gate computed from its global average."""
    squeeze = make_divisible(channels // 4)
    gate = [
        layer("AdaptiveAvgPool2d", "avgpool", output_size=1),
        conv(squeeze, 1, name="fc1"),
        relu("activation"),
        conv(channels, 1, name="fc2"),
        layer("Hardsigmoid", "scale_activation"),
    ]
    return multiply(name, branch("input", []), branch("scale", gate))


def inverted_residual(
    name: str, inp: int, kernel: int, expanded: int, out: int, se: bool, activation: str, stride: int
) -> Spec:
    """torchvision's ``InvertedResidual`` of MobileNetV3."""
    body: list[Spec] = []
    if expanded != inp:
        body.append(conv_norm_act(expanded, 1, activation=activation, name=str(len(body))))
    body.append(conv_norm_act(expanded, kernel, stride, groups=expanded, activation=activation, name=str(len(body))))
    if se:
        body.append(squeeze_excitation(str(len(body)), expanded))
    body.append(conv_norm_act(out, 1, activation=None, name=str(len(body))))
    if stride == 1 and inp == out:
        return add(name, branch("block", body), branch("identity", []))
    return seq(name, [seq("block", body)])


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> spec()["layer"][-1]["layer"][0]
    {'type': 'Linear', 'out_features': 1024, 'name': '0'}
    """
    features: list[Spec] = [conv_norm_act(16, 3, 2, activation="Hardswish", name="0")]
    for setting in SETTINGS:
        features.append(inverted_residual(str(len(features)), *setting))
    features.append(conv_norm_act(576, 1, activation="Hardswish", name=str(len(features))))
    classifier = [
        layer("Linear", "0", out_features=1024),
        layer("Hardswish", "1"),
        layer("Dropout", "2", p=0.2),
        layer("Linear", "3", out_features=1000),
    ]
    layers = [
        seq("features", features),
        layer("AdaptiveAvgPool2d", "avgpool", output_size=1),
        layer("Flatten", "flatten"),
        seq("classifier", classifier),
    ]
    return {
        "name": "MobileNetV3-Small",
        "source": "torchvision.models.mobilenetv3",
        "input_shape": [3, 224, 224],
        "layer": layers,
    }
