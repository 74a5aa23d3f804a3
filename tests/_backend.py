"""Helpers shared by the tests that drive the numeric backend (convmath.numeric).

Hypothesis draws of the parts every valid convolution or pooling call shares
(used by ``test_numeric.py`` and ``test_torch_crosscheck.py``), and one
pooling layer of a :class:`convmath.Network` run through the backend (used by
``test_network.py`` and ``test_receptive.py``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

PADDING_FORMS = ("int", "per_dim", "pairs", "valid", "same", "full")
"""The forms a convolution's ``padding`` argument takes."""


class ConvGeometry(NamedTuple):
    """What :func:`draw_conv_geometry` draws, in the order it draws it."""

    ndim: int
    """Spatial dimensions, 1 to 3."""
    top: int
    """The largest input size wanted for ``ndim`` (from ``tops``; not drawn)."""
    groups: int
    """Channel groups, 1 to 3."""
    cin_g: int
    """Input channels per group."""
    cout_g: int
    """Output channels per group."""
    kernel: tuple[int, ...]
    """Kernel size per dimension, 1 to 3."""
    dilation: tuple[int, ...]
    """Dilation per dimension, 1 or 2."""
    form: str
    """One of :data:`PADDING_FORMS`."""


def draw_conv_geometry(draw: Any, *, tops: dict[int, int]) -> ConvGeometry:
    """The channels, kernel, dilation and padding form of a convolution call.

    Shrinks towards one spatial dimension, one group, one channel, kernel 1, no
    dilation, integer padding.
    """
    ndim = draw(st.integers(1, 3), label="ndim")
    top = tops[ndim]
    groups = draw(st.integers(1, 3), label="groups")
    cin_g, cout_g = draw(st.integers(1, 2), label="cin_g"), draw(st.integers(1, 2), label="cout_g")
    kernel = tuple(draw(st.integers(1, 3), label="kernel") for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2), label="dilation") for _ in range(ndim))
    form = draw(st.sampled_from(list(PADDING_FORMS)), label="padding form")
    return ConvGeometry(ndim, top, groups, cin_g, cout_g, kernel, dilation, form)


def draw_spatial(
    draw: Any,
    pads: Any,
    kernel: tuple[int, ...],
    dilation: tuple[int, ...],
    *,
    top: int,
    mode: str = "zeros",
) -> tuple[int, ...]:
    """Input sizes, one per dimension, from the smallest the padded window fits up to ``top``.

    ``pads`` holds one ``(left, right)`` per dimension; ``padding_mode``
    ``"reflect"`` needs more input than padding on each side, ``"circular"``
    at least as much. Shrinks towards the smallest input.
    """
    spatial = []
    for (left, right), k, d in zip(pads, kernel, dilation):
        low = max(1, d * (k - 1) + 1 - left - right)
        if mode == "reflect":
            low = max(low, left + 1, right + 1)
        elif mode == "circular":
            low = max(low, left, right)
        spatial.append(draw(st.integers(low, max(low, top)), label="n"))
    return tuple(spatial)


def dims(layer: Any, name: str) -> tuple[Any, ...]:
    """A layer's argument as a tuple with one entry per spatial dimension (unambiguous for the backend)."""
    value = layer[name]
    return value if isinstance(value, tuple) else (value,) * layer.ndim


def run_pool(numeric: Any, layer: Any, x: np.ndarray) -> np.ndarray:
    """``x`` through a ``MaxPoolNd`` or ``AvgPoolNd`` layer of a :class:`convmath.Network`.

    Every geometry argument is spelled out per dimension (the stride stays
    ``None`` when the layer leaves it to the window).
    """
    stride = None if layer["stride"] is None else dims(layer, "stride")
    kernel, padding = dims(layer, "kernel_size"), dims(layer, "padding")
    if layer.family == "maxpool":
        return numeric.max_pool(
            x, kernel, stride=stride, padding=padding, dilation=dims(layer, "dilation"), ceil_mode=layer["ceil_mode"]
        )
    assert layer.family == "avgpool", layer.family
    return numeric.avg_pool(
        x,
        kernel,
        stride=stride,
        padding=padding,
        ceil_mode=layer["ceil_mode"],
        count_include_pad=layer["count_include_pad"],
    )
