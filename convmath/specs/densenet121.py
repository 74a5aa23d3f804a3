"""DenseNet-121 (Huang et al., "Densely Connected Convolutional Networks", 2017), as torchvision's ``densenet121``.

Every dense layer concatenates its input with 32 new channels (a ``Concat``
of the identity and the layer's body). torchvision's ``DenseNet121_Weights``
lists 7,978,856 parameters.
"""

from __future__ import annotations

from typing import Any

from ._blocks import Spec, bn, branch, concat, conv, layer, relu, seq

__all__ = ["spec"]

GROWTH = 32
BN_SIZE = 4


def dense_layer(name: str) -> Spec:
    """BN-ReLU-1x1 conv to 128, BN-ReLU-3x3 conv to 32, concatenated to the input."""
    body = [
        bn("norm1"),
        relu("relu1"),
        conv(BN_SIZE * GROWTH, 1, bias=False, name="conv1"),
        bn("norm2"),
        relu("relu2"),
        conv(GROWTH, 3, 1, 1, bias=False, name="conv2"),
    ]
    return concat(name, branch("features", []), branch("new", body))


def transition(name: str, out: int) -> Spec:
    """BN-ReLU-1x1 conv halving the channels, 2x2 average pooling."""
    return seq(
        name,
        [
            bn("norm"),
            relu("relu"),
            conv(out, 1, bias=False, name="conv"),
            layer("AvgPool2d", "pool", kernel_size=2, stride=2),
        ],
    )


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> spec()["layer"][0]["layer"][0]
    {'type': 'Conv2d', 'out_channels': 64, 'kernel_size': 7, 'stride': 2, 'bias': False, 'padding': 3, 'name': 'conv0'}
    """
    features: list[Spec] = [
        conv(64, 7, 2, 3, bias=False, name="conv0"),
        bn("norm0"),
        relu("relu0"),
        layer("MaxPool2d", "pool0", kernel_size=3, stride=2, padding=1),
    ]
    channels = 64
    for number, count in enumerate((6, 12, 24, 16), 1):
        features.append(seq(f"denseblock{number}", [dense_layer(f"denselayer{i}") for i in range(1, count + 1)]))
        channels += count * GROWTH
        if number != 4:
            channels //= 2
            features.append(transition(f"transition{number}", channels))
    features.append(bn("norm5"))
    layers = [
        seq("features", features),
        relu("relu"),
        layer("AdaptiveAvgPool2d", "avgpool", output_size=1),
        layer("Flatten", "flatten"),
        layer("Linear", "classifier", out_features=1000),
    ]
    return {
        "name": "DenseNet-121",
        "source": "torchvision.models.densenet",
        "input_shape": [3, 224, 224],
        "layer": layers,
    }
