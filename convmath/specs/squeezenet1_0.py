"""SqueezeNet 1.0 (Iandola et al., 2016), as torchvision's ``squeezenet1_0``.

Fire modules: a 1x1 "squeeze" convolution, then 1x1 and 3x3 "expand"
convolutions side by side, concatenated. torchvision's
``SqueezeNet1_0_Weights`` lists 1,248,424 parameters.
"""

from __future__ import annotations

from typing import Any

from ._blocks import Spec, branch, concat, conv, layer, relu, seq

__all__ = ["spec"]


def fire(name: str, squeeze: int, expand1x1: int, expand3x3: int) -> Spec:
    """torchvision's ``Fire``."""
    return seq(
        name,
        [
            conv(squeeze, 1, name="squeeze"),
            relu("squeeze_activation"),
            concat(
                "expand",
                branch("expand1x1", [conv(expand1x1, 1, name="conv"), relu("activation")]),
                branch("expand3x3", [conv(expand3x3, 3, padding=1, name="conv"), relu("activation")]),
            ),
        ],
    )


def _pool(name: str) -> Spec:
    return layer("MaxPool2d", name, kernel_size=3, stride=2, ceil_mode=True)


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> spec()["input_shape"]
    [3, 224, 224]
    """
    features = [
        conv(96, 7, 2, name="0"),
        relu("1"),
        _pool("2"),
        fire("3", 16, 64, 64),
        fire("4", 16, 64, 64),
        fire("5", 32, 128, 128),
        _pool("6"),
        fire("7", 32, 128, 128),
        fire("8", 48, 192, 192),
        fire("9", 48, 192, 192),
        fire("10", 64, 256, 256),
        _pool("11"),
        fire("12", 64, 256, 256),
    ]
    classifier = [
        layer("Dropout", "0", p=0.5),
        conv(1000, 1, name="1"),
        relu("2"),
        layer("AdaptiveAvgPool2d", "3", output_size=1),
    ]
    return {
        "name": "SqueezeNet 1.0",
        "source": "torchvision.models.squeezenet",
        "input_shape": [3, 224, 224],
        "layer": [seq("features", features), seq("classifier", classifier), layer("Flatten", "flatten")],
    }
