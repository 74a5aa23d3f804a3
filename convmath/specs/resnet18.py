"""ResNet-18 (He et al., "Deep Residual Learning for Image Recognition", 2016), as torchvision's ``resnet18``.

torchvision's ``ResNet18_Weights.IMAGENET1K_V1`` lists 11,689,512 parameters.
"""

from __future__ import annotations

from typing import Any

from ._blocks import Spec, add, bn, branch, conv, layer, relu, seq

__all__ = ["spec"]


def basic_block(name: str, inplanes: int, planes: int, stride: int) -> Spec:
    """Two 3x3 convolutions added to the input (a 1x1 projection where the shape changes), then ReLU."""
    body = [
        conv(planes, 3, stride, 1, bias=False, name="conv1"),
        bn("bn1"),
        relu("relu"),
        conv(planes, 3, 1, 1, bias=False, name="conv2"),
        bn("bn2"),
    ]
    shortcut = [conv(planes, 1, stride, bias=False, name="0"), bn("1")] if stride != 1 or inplanes != planes else []
    return seq(name, [add("add", branch("body", body), branch("downsample", shortcut)), relu("relu")])


def bottleneck(name: str, inplanes: int, planes: int, stride: int) -> Spec:
    """1x1 down, 3x3 (with the stride), 1x1 up to ``4 * planes``, added to the input, then ReLU."""
    out = 4 * planes
    body = [
        conv(planes, 1, bias=False, name="conv1"),
        bn("bn1"),
        relu("relu"),
        conv(planes, 3, stride, 1, bias=False, name="conv2"),
        bn("bn2"),
        relu("relu"),
        conv(out, 1, bias=False, name="conv3"),
        bn("bn3"),
    ]
    shortcut = [conv(out, 1, stride, bias=False, name="0"), bn("1")] if stride != 1 or inplanes != out else []
    return seq(name, [add("add", branch("body", body), branch("downsample", shortcut)), relu("relu")])


def resnet(name: str, block: str, counts: tuple[int, int, int, int]) -> dict[str, Any]:
    """A ResNet of ``counts`` blocks per stage, ImageNet head."""
    make, expansion = (basic_block, 1) if block == "basic" else (bottleneck, 4)
    layers: list[Spec] = [
        conv(64, 7, 2, 3, bias=False, name="conv1"),
        bn("bn1"),
        relu("relu"),
        layer("MaxPool2d", "maxpool", kernel_size=3, stride=2, padding=1),
    ]
    inplanes = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), counts), 1):
        blocks = []
        for i in range(count):
            stride = 2 if stage > 1 and i == 0 else 1
            blocks.append(make(str(i), inplanes, planes, stride))
            inplanes = planes * expansion
        layers.append(seq(f"layer{stage}", blocks))
    layers += [
        layer("AdaptiveAvgPool2d", "avgpool", output_size=1),
        layer("Flatten", "flatten"),
        layer("Linear", "fc", out_features=1000),
    ]
    return {"name": name, "source": "torchvision.models.resnet", "input_shape": [3, 224, 224], "layer": layers}


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> [item["name"] for item in spec()["layer"]][4:8]
    ['layer1', 'layer2', 'layer3', 'layer4']
    """
    return resnet("ResNet-18", "basic", (2, 2, 2, 2))
