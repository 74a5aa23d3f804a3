"""GoogLeNet (Szegedy et al., "Going Deeper with Convolutions", 2015), as torchvision's ``googlenet``.

Without the auxiliary classifiers (``aux_logits=False``, as the published
weights are used). Every ``BasicConv2d`` is a convolution without bias, batch
norm and ReLU; the "5x5" branch uses a 3x3 kernel, as torchvision's does.
torchvision's ``GoogLeNet_Weights`` lists 6,624,904 parameters.
"""

from __future__ import annotations

from typing import Any

from ._blocks import Spec, bn, branch, concat, conv, layer, relu, seq

__all__ = ["spec"]


def basic_conv(name: str, out: int, kernel: int, stride: int = 1, padding: int = 0) -> Spec:
    """torchvision's ``BasicConv2d``."""
    return seq(name, [conv(out, kernel, stride, padding, bias=False, name="conv"), bn("bn"), relu("relu")])


def inception(name: str, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int) -> Spec:
    """Four branches concatenated: 1x1; 1x1 then 3x3; 1x1 then 3x3; 3x3 max pooling then 1x1."""
    return concat(
        name,
        branch("branch1", [basic_conv("0", ch1x1, 1)]),
        branch("branch2", [basic_conv("0", ch3x3red, 1), basic_conv("1", ch3x3, 3, padding=1)]),
        branch("branch3", [basic_conv("0", ch5x5red, 1), basic_conv("1", ch5x5, 3, padding=1)]),
        branch(
            "branch4",
            [
                layer("MaxPool2d", "0", kernel_size=3, stride=1, padding=1, ceil_mode=True),
                basic_conv("1", pool_proj, 1),
            ],
        ),
    )


def _pool(name: str, kernel: int) -> Spec:
    return layer("MaxPool2d", name, kernel_size=kernel, stride=2, ceil_mode=True)


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> [item["name"] for item in spec()["layer"]][:5]
    ['conv1', 'maxpool1', 'conv2', 'conv3', 'maxpool2']
    """
    layers = [
        basic_conv("conv1", 64, 7, 2, 3),
        _pool("maxpool1", 3),
        basic_conv("conv2", 64, 1),
        basic_conv("conv3", 192, 3, padding=1),
        _pool("maxpool2", 3),
        inception("inception3a", 64, 96, 128, 16, 32, 32),
        inception("inception3b", 128, 128, 192, 32, 96, 64),
        _pool("maxpool3", 3),
        inception("inception4a", 192, 96, 208, 16, 48, 64),
        inception("inception4b", 160, 112, 224, 24, 64, 64),
        inception("inception4c", 128, 128, 256, 24, 64, 64),
        inception("inception4d", 112, 144, 288, 32, 64, 64),
        inception("inception4e", 256, 160, 320, 32, 128, 128),
        _pool("maxpool4", 2),
        inception("inception5a", 256, 160, 320, 32, 128, 128),
        inception("inception5b", 384, 192, 384, 48, 128, 128),
        layer("AdaptiveAvgPool2d", "avgpool", output_size=1),
        layer("Flatten", "flatten"),
        layer("Dropout", "dropout", p=0.2),
        layer("Linear", "fc", out_features=1000),
    ]
    return {
        "name": "GoogLeNet",
        "source": "torchvision.models.googlenet",
        "input_shape": [3, 224, 224],
        "layer": layers,
    }
