"""convmath.numeric against PyTorch's CPU operators, on random configurations.

Optional: skipped cleanly when torch is not installed (it is never a
dependency). Floats are compared in float64 with ``rtol=1e-10, atol=1e-10``:
both sides compute the same sums, only in a different order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _backend import draw_conv_geometry, draw_spatial
from hypothesis import given, settings
from hypothesis import strategies as st

from convmath import ConvMathError, numeric
from convmath.sizes import resolve_padding

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.torch

TOL = dict(rtol=1e-10, atol=1e-10)
MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def t(a: np.ndarray) -> Any:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def conv_fn(ndim: int, transpose: bool = False) -> Any:
    return getattr(F, f"conv_transpose{ndim}d" if transpose else f"conv{ndim}d")


def torch_pad_width(pads: list[tuple[int, int]]) -> list[int]:
    """F.pad's order: last dimension first."""
    return [v for left, right in reversed(pads) for v in (left, right)]


@st.composite
def conv_configs(draw: Any) -> dict[str, Any]:
    """A valid correlate configuration: shapes, every padding form, stride, dilation, groups, padding_mode."""
    ndim, top, groups, cin_g, cout_g, kernel, dilation, form = draw_conv_geometry(draw, tops={1: 9, 2: 7, 3: 5})
    stride = (1,) * ndim if form == "same" else tuple(draw(st.integers(1, 3), label="stride") for _ in range(ndim))
    if form == "int":
        padding: Any = draw(st.integers(0, 2))
    elif form == "per_dim":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
    elif form == "pairs":
        padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
    else:
        padding = form
    per_dim = padding if isinstance(padding, tuple) else (padding,) * ndim
    pads = [resolve_padding(p, k, dilation=d, stride=s) for p, k, d, s in zip(per_dim, kernel, dilation, stride)]
    mode = draw(st.sampled_from(list(MODES)), label="padding_mode")
    spatial = draw_spatial(draw, pads, kernel, dilation, top=top, mode=mode)
    return dict(
        ndim=ndim,
        groups=groups,
        cin=cin_g * groups,
        cout=cout_g * groups,
        cin_g=cin_g,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        pads=pads,
        padding_mode=mode,
        spatial=spatial,
        batch=draw(st.sampled_from([1, 2]), label="batch"),
        bias=draw(st.booleans(), label="bias"),
    )


@settings(deadline=None)
@given(cfg=conv_configs(), data=st.data())
def test_correlate_matches_torch(cfg: dict[str, Any], data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((cfg["batch"], cfg["cin"], *cfg["spatial"]))
    w = rng.standard_normal((cfg["cout"], cfg["cin_g"], *cfg["kernel"]))
    b = rng.standard_normal(cfg["cout"]) if cfg["bias"] else None
    ours = numeric.correlate(
        x,
        w,
        b,
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        groups=cfg["groups"],
        padding_mode=cfg["padding_mode"],
    )
    xt = F.pad(t(x), torch_pad_width(cfg["pads"]), mode=MODES[cfg["padding_mode"]])
    theirs = conv_fn(cfg["ndim"])(
        xt, t(w), None if b is None else t(b), stride=cfg["stride"], dilation=cfg["dilation"], groups=cfg["groups"]
    ).numpy()
    np.testing.assert_allclose(ours, theirs, **TOL)


@settings(deadline=None)
@given(cfg=conv_configs(), data=st.data())
def test_torch_own_padding_strings_agree(cfg: dict[str, Any], data: st.DataObject) -> None:
    """Where torch takes the padding itself ('valid', 'same', symmetric ints), no F.pad in between."""
    padding = cfg["padding"]
    symmetric = isinstance(padding, int) or (isinstance(padding, tuple) and all(isinstance(p, int) for p in padding))
    if not (symmetric or padding in ("valid", "same")):
        padding = "valid"
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    # room for any padding torch picks by itself (it never pads 'same' with a mode other than zeros)
    x = rng.standard_normal(
        (cfg["cin"], *[n + 2 * max(k * d, 2) for n, k, d in zip(cfg["spatial"], cfg["kernel"], cfg["dilation"])])
    )
    w = rng.standard_normal((cfg["cout"], cfg["cin_g"], *cfg["kernel"]))
    stride = (1,) * cfg["ndim"] if padding == "same" else cfg["stride"]
    ours = numeric.correlate(x, w, stride=stride, padding=padding, dilation=cfg["dilation"], groups=cfg["groups"])
    theirs = conv_fn(cfg["ndim"])(
        t(x)[None], t(w), stride=stride, padding=padding, dilation=cfg["dilation"], groups=cfg["groups"]
    )[0].numpy()
    np.testing.assert_allclose(ours, theirs, **TOL)


@st.composite
def transpose_configs(draw: Any) -> dict[str, Any]:
    ndim = draw(st.integers(1, 3), label="ndim")
    groups = draw(st.integers(1, 3), label="groups")
    cin_g, cout_g = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    spatial = tuple(draw(st.integers(1, {1: 6, 2: 5, 3: 3}[ndim])) for _ in range(ndim))
    padding = []
    for n, k, s, d, op in zip(spatial, kernel, stride, dilation, output_padding):
        full = (n - 1) * s + d * (k - 1) + op + 1
        padding.append(draw(st.integers(0, (full - 1) // 2)))
    return dict(
        ndim=ndim,
        groups=groups,
        cin=cin_g * groups,
        cout_g=cout_g,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        output_padding=output_padding,
        spatial=spatial,
        padding=tuple(padding),
        bias=draw(st.booleans()),
    )


@settings(deadline=None)
@given(cfg=transpose_configs(), data=st.data())
def test_conv_transpose_matches_torch(cfg: dict[str, Any], data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((2, cfg["cin"], *cfg["spatial"]))
    w = rng.standard_normal((cfg["cin"], cfg["cout_g"], *cfg["kernel"]))
    b = rng.standard_normal(cfg["cout_g"] * cfg["groups"]) if cfg["bias"] else None
    options = dict(
        stride=cfg["stride"],
        padding=cfg["padding"],
        output_padding=cfg["output_padding"],
        dilation=cfg["dilation"],
        groups=cfg["groups"],
    )
    ours = numeric.conv_transpose(x, w, b, **options)
    theirs = conv_fn(cfg["ndim"], transpose=True)(t(x), t(w), None if b is None else t(b), **options).numpy()
    np.testing.assert_allclose(ours, theirs, **TOL)


@st.composite
def pool_configs(draw: Any, *, dilated: bool) -> dict[str, Any]:
    ndim = draw(st.integers(1, 3), label="ndim")
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim)) if dilated else (1,) * ndim
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    spatial = draw_spatial(draw, [(p, p) for p in padding], kernel, dilation, top={1: 9, 2: 7, 3: 5}[ndim])
    return dict(
        ndim=ndim,
        kernel=kernel,
        stride=draw(st.sampled_from([None, stride])),
        dilation=dilation,
        padding=padding,
        spatial=spatial,
        ceil_mode=draw(st.booleans()),
    )


@settings(deadline=None)
@given(cfg=pool_configs(dilated=True), data=st.data())
def test_max_pool_matches_torch(cfg: dict[str, Any], data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((2, 3, *cfg["spatial"]))
    ours = numeric.max_pool(
        x,
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        ceil_mode=cfg["ceil_mode"],
    )
    theirs = getattr(F, f"max_pool{cfg['ndim']}d")(
        t(x),
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        ceil_mode=cfg["ceil_mode"],
    ).numpy()
    np.testing.assert_array_equal(ours, theirs)


@settings(deadline=None)
@given(cfg=pool_configs(dilated=False), count_include_pad=st.booleans(), data=st.data())
def test_avg_pool_matches_torch(cfg: dict[str, Any], count_include_pad: bool, data: st.DataObject) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    if cfg["ndim"] == 3:  # avg_pool3d alone refuses an input smaller than the window, even when padding fits it
        cfg["spatial"] = tuple(max(n, k) for n, k in zip(cfg["spatial"], cfg["kernel"]))
    x = rng.standard_normal((2, 3, *cfg["spatial"]))
    ours = numeric.avg_pool(
        x,
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        ceil_mode=cfg["ceil_mode"],
        count_include_pad=count_include_pad,
    )
    theirs = getattr(F, f"avg_pool{cfg['ndim']}d")(
        t(x),
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        ceil_mode=cfg["ceil_mode"],
        count_include_pad=count_include_pad,
    ).numpy()
    np.testing.assert_allclose(ours, theirs, **TOL)


@settings(deadline=None)
@given(ndim=st.integers(1, 2), data=st.data())
def test_pooling_on_inputs_as_small_as_the_window_matches_torch(ndim: int, data: st.DataObject) -> None:
    """Tiny inputs, windows up to 5: PyTorch's output (or its refusal) is the contract, ceil_mode included."""
    kernel = tuple(data.draw(st.integers(1, 5), label="kernel") for _ in range(ndim))
    stride = tuple(data.draw(st.integers(1, 4), label="stride") for _ in range(ndim))
    padding = tuple(data.draw(st.integers(0, k // 2), label="padding") for k in kernel)
    spatial = tuple(data.draw(st.integers(1, 4), label="spatial") for _ in range(ndim))
    ceil_mode = data.draw(st.booleans(), label="ceil_mode")
    x = np.random.default_rng(0).standard_normal((1, 2, *spatial))
    options = dict(stride=stride, padding=padding, ceil_mode=ceil_mode)
    for name in ("max_pool", "avg_pool"):
        try:
            theirs = getattr(F, f"{name}{ndim}d")(t(x), kernel, **options).numpy()
        except RuntimeError:
            with pytest.raises(ConvMathError, match="smaller than the window"):
                getattr(numeric, name)(x, kernel, **options)
            continue
        np.testing.assert_allclose(getattr(numeric, name)(x, kernel, **options), theirs, **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_float32_stays_float32_and_agrees(dtype: Any) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 9)).astype(dtype)
    w = rng.standard_normal((6, 2, 3, 3)).astype(dtype)
    ours = numeric.correlate(x, w, stride=2, padding=1, groups=2)
    theirs = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=2, padding=1, groups=2).numpy()
    assert ours.dtype == dtype
    np.testing.assert_allclose(
        ours, theirs, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-5 if dtype == np.float32 else 1e-10
    )


def test_seed_000_edge_kernel_matches_torch_conv2d() -> None:
    """Seed ``000``: nn.Conv2d, a 5×5 kernel with centre 24 and −1 elsewhere, no padding, two channels, no bias."""
    kernel = -np.ones((5, 5))
    kernel[2, 2] = 24  # sums to 0: flat regions give 0
    weight = np.stack([kernel, kernel])[:, None]
    image = np.random.default_rng(1).integers(0, 256, size=(1, 1, 12, 10)).astype(np.float64)
    layer = torch.nn.Conv2d(1, 2, 5, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(t(weight))
        theirs = layer(t(image)).numpy()
    ours = numeric.correlate(image, weight)
    assert ours.shape == (1, 2, 12 - 5 + 1, 10 - 5 + 1)
    np.testing.assert_allclose(ours, theirs, **TOL)
    assert not numeric.correlate(np.full((1, 7, 7), 3.0), weight).any()  # a flat image has no edges
