"""MobileNetV2 (Sandler et al., "Inverted Residuals and Linear Bottlenecks", 2018), as torchvision's ``mobilenet_v2``.

Inverted residual blocks: 1x1 expansion, 3x3 depthwise convolution, linear
1x1 projection, added to the input where stride and channels allow.
torchvision's ``MobileNet_V2_Weights`` lists 3,504,872 parameters.
"""

from __future__ import annotations

from typing import Any

from ._blocks import Spec, add, bn, branch, conv, conv_norm_act, layer, seq

__all__ = ["spec"]

#: (expansion t, output channels c, repeats n, first stride s), as in the paper's Table 2
SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def inverted_residual(name: str, inp: int, oup: int, stride: int, expand: int) -> Spec:
    """torchvision's ``InvertedResidual`` (ReLU6 activations)."""
    hidden = inp * expand
    body: list[Spec] = []
    if expand != 1:
        body.append(conv_norm_act(hidden, 1, activation="ReLU6", name=str(len(body))))
    body.append(conv_norm_act(hidden, 3, stride, groups=hidden, activation="ReLU6", name=str(len(body))))
    body += [conv(oup, 1, bias=False, name=str(len(body))), bn(str(len(body) + 1))]
    if stride == 1 and inp == oup:
        return add(name, branch("conv", body), branch("identity", []))
    return seq(name, [seq("conv", body)])


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> len(spec()["layer"][0]["layer"])    # stem + 17 inverted residuals + last 1x1
    19
    """
    features: list[Spec] = [conv_norm_act(32, 3, 2, activation="ReLU6", name="0")]
    channels = 32
    for t, c, n, s in SETTINGS:
        for i in range(n):
            features.append(inverted_residual(str(len(features)), channels, c, s if i == 0 else 1, t))
            channels = c
    features.append(conv_norm_act(1280, 1, activation="ReLU6", name=str(len(features))))
    layers = [
        seq("features", features),
        layer("AdaptiveAvgPool2d", "avgpool", output_size=1),
        layer("Flatten", "flatten"),
        seq("classifier", [layer("Dropout", "0", p=0.2), layer("Linear", "1", out_features=1000)]),
    ]
    return {
        "name": "MobileNetV2",
        "source": "torchvision.models.mobilenetv2",
        "input_shape": [3, 224, 224],
        "layer": layers,
    }
