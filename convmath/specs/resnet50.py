"""ResNet-50 (He et al., 2016) with bottleneck blocks, as torchvision's ``resnet50``.

torchvision's ``ResNet50_Weights`` lists 25,557,032 parameters.
"""

from __future__ import annotations

from typing import Any

from .resnet18 import resnet

__all__ = ["spec"]


def spec() -> dict[str, Any]:
    """The spec, as :meth:`convmath.Network.from_dict` takes it.

    Examples
    --------
    >>> spec()["name"]
    'ResNet-50'
    """
    return resnet("ResNet-50", "bottleneck", (3, 4, 6, 3))
