"""The numeric backend (convmath.numeric) held against hand computations, the formulas and itself.

Integer arrays give exact int64 results, so most checks compare exactly; the
float comparisons write their tolerance where they are made.
"""

from __future__ import annotations

import itertools
from math import prod
from typing import Any

import numpy as np
import pytest
import sympy
from _backend import draw_conv_geometry, draw_spatial
from hypothesis import given, settings
from hypothesis import strategies as st

from convmath import ConvMathError
from convmath.numeric import avg_pool, conv_transpose, convolve, corr2d, correlate, max_pool
from convmath.sizes import conv_output_size, conv_transpose_output_size, pool_output_size, resolve_padding

A = np.array


# --------------------------------------------------------------------------------------
# hand examples
# --------------------------------------------------------------------------------------
D2L_X = A([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
D2L_K = A([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])
SEED001_A = A([[1, 2, 0, 2, 3], [1, 1, 1, 2, 0], [3, 3, 2, 1, 2]])
SEED001_B = A([[3, 1, 1], [2, 3, 1], [2, 2, 3]])
SEED001_POOL = A([[29, 28, 25, 29], [20, 24, 30, 26], [27, 23, 26, 27], [24, 25, 23, 31]])
SEED002_IMAGE = A([[10, 10, 10, -3, -3, -3]] * 6)
EDGE_V = A([[1, 0, -1]] * 3)

HAND_CASES = {
    # seed 003 and d2l 7.2: input 0..8, kernel 0..3
    "seed003-corr2d": (
        lambda: corr2d(np.arange(9).reshape(3, 3), np.arange(4).reshape(2, 2)),
        [
            [0 * 0 + 1 * 1 + 3 * 2 + 4 * 3, 1 * 0 + 2 * 1 + 4 * 2 + 5 * 3],
            [3 * 0 + 4 * 1 + 6 * 2 + 7 * 3, 4 * 0 + 5 * 1 + 7 * 2 + 8 * 3],
        ],
    ),
    # seed 002: three columns of 10 then three of -3, vertical-edge filter
    "seed002-vertical-edge": (
        lambda: corr2d(SEED002_IMAGE, EDGE_V),
        [[3 * 10 - 3 * 10, 3 * 10 - 3 * (-3), 3 * 10 - 3 * (-3), 3 * (-3) - 3 * (-3)]] * 4,
    ),
    # seed 002: the horizontal-edge filter finds nothing in vertical stripes
    "seed002-horizontal-edge": (lambda: corr2d(SEED002_IMAGE, EDGE_V.T), [[0, 0, 0, 0]] * 4),
    # seed 001: steps 1-3 of the 3x3 kernel over the 5x5 matrix (its first three rows)
    "seed001-steps-1-3": (
        lambda: corr2d(SEED001_A, SEED001_B),
        [
            [
                1 * 3 + 2 * 1 + 0 * 1 + 1 * 2 + 1 * 3 + 1 * 1 + 3 * 2 + 3 * 2 + 2 * 3,
                2 * 3 + 0 * 1 + 2 * 1 + 1 * 2 + 1 * 3 + 2 * 1 + 3 * 2 + 2 * 2 + 1 * 3,
                0 * 3 + 2 * 1 + 3 * 1 + 1 * 2 + 2 * 3 + 0 * 1 + 2 * 2 + 1 * 2 + 2 * 3,
            ]
        ],
    ),
    # seed 001: 2x2 max pooling, stride 2, of a 4x4 map
    "seed001-max-pool": (
        lambda: max_pool(SEED001_POOL[None], 2)[0],
        [[max(29, 28, 20, 24), max(25, 29, 30, 26)], [max(27, 23, 24, 25), max(26, 27, 23, 31)]],
    ),
    "seed001-avg-pool": (
        lambda: avg_pool(SEED001_POOL[None], 2)[0],
        [[(29 + 28 + 20 + 24) / 4, (25 + 29 + 30 + 26) / 4], [(27 + 23 + 24 + 25) / 4, (26 + 27 + 23 + 31) / 4]],
    ),
    # d2l 7.4: two input channels summed
    "d2l-multi-in": (
        lambda: correlate(D2L_X, D2L_K[None])[0],
        [
            [19 + (1 * 1 + 2 * 2 + 4 * 3 + 5 * 4), 25 + (2 * 1 + 3 * 2 + 5 * 3 + 6 * 4)],
            [37 + (4 * 1 + 5 * 2 + 7 * 3 + 8 * 4), 43 + (5 * 1 + 6 * 2 + 8 * 3 + 9 * 4)],
        ],
    ),
    # d2l 7.4: three output channels from K, K + 1, K + 2 (each adds the sum of the window)
    "d2l-multi-in-out": (
        lambda: correlate(D2L_X, np.stack([D2L_K, D2L_K + 1, D2L_K + 2])),
        [
            [[56, 72], [104, 120]],
            [[56 + 20, 72 + 28], [104 + 44, 120 + 52]],  # window sums 0+1+3+4 + 1+2+4+5 = 20, ...
            [[56 + 2 * 20, 72 + 2 * 28], [104 + 2 * 44, 120 + 2 * 52]],
        ],
    ),
    # d2l 14.10 (transposed convolution), basic, stride 2 and padding 1
    "d2l-transposed": (
        lambda: conv_transpose(A([[[0, 1], [2, 3]]]), A([[[[0, 1], [2, 3]]]]))[0],
        [
            [0, 0 * 1 + 1 * 0, 1 * 1],
            [0 * 2 + 2 * 0, 0 * 3 + 1 * 2 + 2 * 1 + 3 * 0, 1 * 3 + 3 * 1],
            [2 * 2, 2 * 3 + 3 * 2, 3 * 3],
        ],
    ),
    "d2l-transposed-stride-2": (
        lambda: conv_transpose(A([[[0, 1], [2, 3]]]), A([[[[0, 1], [2, 3]]]]), stride=2)[0],
        [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]],
    ),
    "d2l-transposed-padding-1": (
        lambda: conv_transpose(A([[[0, 1], [2, 3]]]), A([[[[0, 1], [2, 3]]]]), padding=1)[0],
        [[0 * 3 + 1 * 2 + 2 * 1 + 3 * 0]],
    ),
    # padding modes around [1, 2, 3], read through an identity kernel
    "padding-zeros": (lambda: correlate(A([[1, 2, 3]]), A([[[1]]]), padding=2)[0], [0, 0, 1, 2, 3, 0, 0]),
    "padding-reflect": (
        lambda: correlate(A([[1, 2, 3]]), A([[[1]]]), padding=2, padding_mode="reflect")[0],
        [3, 2, 1, 2, 3, 2, 1],
    ),
    "padding-replicate": (
        lambda: correlate(A([[1, 2, 3]]), A([[[1]]]), padding=2, padding_mode="replicate")[0],
        [1, 1, 1, 2, 3, 3, 3],
    ),
    "padding-circular": (
        lambda: correlate(A([[1, 2, 3]]), A([[[1]]]), padding=2, padding_mode="circular")[0],
        [2, 3, 1, 2, 3, 1, 2],
    ),
    "padding-pair-1d": (lambda: correlate(A([[1, 2, 3]]), A([[[1]]]), padding=(0, 2))[0], [1, 2, 3, 0, 0]),
    "padding-same-even-kernel": (  # total 1: nothing on the left, one on the right, as PyTorch pads
        lambda: correlate(A([[1, 2, 3]]), A([[[1, 10]]]), padding="same")[0],
        [1 + 20, 2 + 30, 3 + 0],
    ),
    "padding-full": (
        lambda: correlate(A([[1, 2, 3]]), A([[[1, 10]]]), padding="full")[0],
        [0 + 10, 1 + 20, 2 + 30, 3 + 0],
    ),
    # dilation 3: taps x[i] and x[i + 3]
    "dilation": (lambda: correlate(np.arange(7)[None], A([[[1, 1]]]), dilation=3)[0], [0 + 3, 1 + 4, 2 + 5, 3 + 6]),
    # stride 2 keeps every other window
    "stride": (lambda: correlate(np.arange(7)[None], A([[[1, 1]]]), stride=2)[0], [0 + 1, 2 + 3, 4 + 5]),
    # groups=2: each channel with its own 1x1 kernel
    "groups": (lambda: correlate(A([[1, 2], [3, 4]]), A([[[2]], [[10]]]), groups=2), [[2, 4], [30, 40]]),
    "bias": (lambda: correlate(A([[1, 2]]), A([[[1]], [[2]]]), A([100, 200])), [[101, 102], [202, 204]]),
    # convolution flips the kernel; full padding is numpy.convolve
    "convolve-1d-full": (
        lambda: convolve(A([[1, 2, 3]]), A([[[0, 1, 10]]]), padding="full")[0],
        [1 * 0, 1 * 1 + 2 * 0, 1 * 10 + 2 * 1 + 3 * 0, 2 * 10 + 3 * 1, 3 * 10],
    ),
    "convolve-2d": (
        lambda: convolve(np.arange(9).reshape(1, 3, 3), A([[[[0, 1], [2, 3]]]]))[0],
        [
            [0 * 3 + 1 * 2 + 3 * 1 + 4 * 0, 1 * 3 + 2 * 2 + 4 * 1 + 5 * 0],
            [3 * 3 + 4 * 2 + 6 * 1 + 7 * 0, 4 * 3 + 5 * 2 + 7 * 1 + 8 * 0],
        ],
    ),
    # pooling borders: kernel 3, stride 2, padding 1, ceil_mode, on [1, 2, 3, 4]
    "avg-pool-include-pad": (
        lambda: avg_pool(A([[1.0, 2.0, 3.0, 4.0]]), (3,), stride=2, padding=1, ceil_mode=True)[0],
        [(0 + 1 + 2) / 3, (2 + 3 + 4) / 3, (4 + 0) / 2],  # the overhang past the padding never counts
    ),
    "avg-pool-exclude-pad": (
        lambda: avg_pool(A([[1.0, 2.0, 3.0, 4.0]]), (3,), stride=2, padding=1, ceil_mode=True, count_include_pad=False)[
            0
        ],
        [(1 + 2) / 2, (2 + 3 + 4) / 3, 4 / 1],
    ),
    "max-pool-padding-never-wins": (
        lambda: max_pool(A([[-5.0, -7.0]]), (2,), stride=1, padding=1)[0],
        [-5.0, max(-5.0, -7.0), -7.0],
    ),
    "max-pool-dilation": (
        lambda: max_pool(A([[1, 9, 2, 8, 3]]), (2,), stride=1, dilation=2)[0],
        [max(1, 2), max(9, 8), max(2, 3)],
    ),
    "max-pool-ceil": (lambda: max_pool(A([[1, 5, 2, 7, 3]]), (2,), ceil_mode=True)[0], [5, 7, 3]),
}


@pytest.mark.parametrize("compute, expected", list(HAND_CASES.values()), ids=list(HAND_CASES))
def test_hand_examples(compute: Any, expected: Any) -> None:
    got = compute()
    expected = np.array(expected)
    assert got.shape == expected.shape
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    else:
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)


def test_seed001_centre_value_is_a_slip_in_the_seed() -> None:
    """Seed 001 prints 30 at the centre; the windows it writes out force 23 + 3*A[3, 3], never 30."""
    top_two_rows = int((SEED001_A[1:3, 1:4] * SEED001_B[:2]).sum())
    assert top_two_rows + 0 * 2 + 2 * 2 == 23  # row 3 starts [1, 0, 2, ...] (step 4)
    assert all(23 + 3 * a != 30 for a in range(-100, 100))


def test_1x1_convolution_is_a_fully_connected_layer_d2l() -> None:
    """Seed 004 / d2l 7.4: a 1x1 convolution is a matrix product over channels at every pixel."""
    rng = np.random.default_rng(0)
    X, K = rng.normal(size=(3, 3, 3)), rng.normal(size=(2, 3, 1, 1))
    Y1 = (K.reshape(2, 3) @ X.reshape(3, 9)).reshape(2, 3, 3)
    np.testing.assert_allclose(correlate(X, K), Y1, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32() -> None:
    x = np.ones((1, 4, 4), dtype=np.float32)
    assert correlate(x, np.ones((1, 1, 3, 3), dtype=np.float32)).dtype == np.float32
    assert avg_pool(x, 2).dtype == np.float32
    assert conv_transpose(x, np.ones((1, 1, 2, 2), dtype=np.float32)).dtype == np.float32
    assert correlate(x, np.ones((1, 1, 3, 3))).dtype == np.float64  # float64 weights win


def test_unbatched_and_batched_agree() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.integers(-3, 4, size=(2, 3, 5, 6)), rng.integers(-3, 4, size=(4, 3, 2, 3))
    batched = correlate(x, w, stride=(1, 2), padding=1)
    for i in range(2):
        np.testing.assert_array_equal(correlate(x[i], w, stride=(1, 2), padding=1), batched[i])
    np.testing.assert_array_equal(max_pool(x[0], 2), max_pool(x, 2)[0])


# --------------------------------------------------------------------------------------
# configurations (strategies)
# --------------------------------------------------------------------------------------
MODES = ("zeros", "reflect", "replicate", "circular")


@st.composite
def conv_configs(draw: Any, *, modes: tuple[str, ...] = MODES, max_stride: int = 3) -> dict[str, Any]:
    """A valid correlate call: every padding form, stride, dilation, groups and padding_mode.

    Shrinks towards one spatial dimension, one group, kernel 1, integer padding 0.
    """
    ndim, top, groups, cin_g, cout_g, kernel, dilation, form = draw_conv_geometry(draw, tops={1: 9, 2: 6, 3: 4})
    if form == "same":
        stride: Any = 1
    else:
        stride = draw(
            st.one_of(st.integers(1, max_stride), st.tuples(*[st.integers(1, max_stride)] * ndim)), label="stride"
        )
    strides = stride if isinstance(stride, tuple) else (stride,) * ndim
    if form == "int":
        padding: Any = draw(st.integers(0, 2), label="padding")
    elif form == "per_dim":
        padding = tuple(draw(st.integers(0, 2), label="padding") for _ in range(ndim))
    elif form == "pairs":
        padding = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
        if ndim == 1 and draw(st.booleans(), label="bare 1-d pair"):
            padding = padding[0]
    else:
        padding = form
    per_dim = (padding,) if ndim == 1 and form == "pairs" and not isinstance(padding[0], tuple) else padding
    per_dim = per_dim if isinstance(per_dim, tuple) else (per_dim,) * ndim
    pads = [resolve_padding(p, k, dilation=d, stride=s) for p, k, d, s in zip(per_dim, kernel, dilation, strides)]
    mode = draw(st.sampled_from(modes), label="padding_mode")
    spatial = draw_spatial(draw, pads, kernel, dilation, top=top, mode=mode)
    batch = draw(st.sampled_from([None, 1, 2]), label="batch")
    return dict(
        ndim=ndim,
        groups=groups,
        cin_g=cin_g,
        cout_g=cout_g,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        pads=pads,
        padding_mode=mode,
        spatial=spatial,
        batch=batch,
    )


def conv_arrays(cfg: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Small integer x and weight for ``cfg`` (exact arithmetic)."""
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    x = rng.integers(-4, 5, size=(*lead, cfg["cin_g"] * cfg["groups"], *cfg["spatial"]))
    w = rng.integers(-4, 5, size=(cfg["cout_g"] * cfg["groups"], cfg["cin_g"], *cfg["kernel"]))
    return x, w


def options(cfg: dict[str, Any]) -> dict[str, Any]:
    return dict(
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        groups=cfg["groups"],
        padding_mode=cfg["padding_mode"],
    )


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**32 - 1)


# --------------------------------------------------------------------------------------
# backend shapes == the formulas
# --------------------------------------------------------------------------------------
@given(cfg=conv_configs(), seed=seeds())
def test_correlate_shape_is_conv_output_size(cfg: dict[str, Any], seed: int) -> None:
    x, w = conv_arrays(cfg, np.random.default_rng(seed))
    y = correlate(x, w, **options(cfg))
    padding = (
        (cfg["padding"],)
        if cfg["ndim"] == 1
        and isinstance(cfg["padding"], tuple)
        and isinstance(cfg["padding"][0], int)
        and len(cfg["padding"]) == 2
        else cfg["padding"]
    )
    expected = conv_output_size(
        cfg["spatial"], cfg["kernel"], stride=cfg["stride"], padding=padding, dilation=cfg["dilation"]
    )
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    assert y.shape == (*lead, cfg["cout_g"] * cfg["groups"], *expected)


@st.composite
def pool_configs(draw: Any, *, dilated: bool = True) -> dict[str, Any]:
    """A valid pooling call; an int kernel_size means 2-D. Shrinks towards 1-D, kernel 1, no padding."""
    as_int = draw(st.booleans(), label="int kernel_size")
    ndim = 2 if as_int else draw(st.integers(1, 3), label="ndim")
    kernel = tuple(draw(st.integers(1, 4), label="kernel") for _ in range(ndim))
    if as_int:
        kernel = (kernel[0],) * 2
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * ndim)), label="stride")
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim)) if dilated else (1,) * ndim
    padding = tuple(draw(st.integers(0, k // 2), label="padding") for k in kernel)
    spatial = draw_spatial(draw, [(p, p) for p in padding], kernel, dilation, top={1: 9, 2: 7, 3: 5}[ndim])
    return dict(
        ndim=ndim,
        kernel=kernel[0] if as_int else kernel,
        kernels=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        spatial=spatial,
        ceil_mode=draw(st.booleans(), label="ceil_mode"),
        batch=draw(st.sampled_from([None, 2]), label="batch"),
    )


def pool_input(cfg: dict[str, Any], rng: np.random.Generator, *, floats: bool = False) -> np.ndarray:
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    x = rng.integers(-9, 10, size=(*lead, 2, *cfg["spatial"]))
    return x.astype(np.float64) if floats else x


@given(cfg=pool_configs(), seed=seeds())
def test_pool_shapes_are_pool_output_size(cfg: dict[str, Any], seed: int) -> None:
    x = pool_input(cfg, np.random.default_rng(seed))
    expected = pool_output_size(
        cfg["spatial"],
        cfg["kernels"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        ceil_mode=cfg["ceil_mode"],
    )
    got = max_pool(
        x,
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        ceil_mode=cfg["ceil_mode"],
    )
    assert got.shape == x.shape[: -cfg["ndim"]] + tuple(expected)
    if cfg["dilation"] == (1,) * cfg["ndim"]:
        got = avg_pool(x, cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"], ceil_mode=cfg["ceil_mode"])
        assert got.shape == x.shape[: -cfg["ndim"]] + tuple(expected)


@st.composite
def transpose_configs(draw: Any) -> dict[str, Any]:
    """A correlate configuration with zero padding plus the output_padding that maps back to its input."""
    cfg = draw(conv_configs(modes=("zeros",)))
    pairs = tuple(tuple(int(v) for v in pair) for pair in cfg["pads"])
    out = conv_output_size(cfg["spatial"], cfg["kernel"], stride=cfg["stride"], padding=pairs, dilation=cfg["dilation"])
    strides = cfg["stride"] if isinstance(cfg["stride"], tuple) else (cfg["stride"],) * cfg["ndim"]
    # the remainder the floor dropped: what output_padding must put back
    extra = tuple(
        (n + left + right - d * (k - 1) - 1) % s
        for n, (left, right), d, k, s in zip(cfg["spatial"], pairs, cfg["dilation"], cfg["kernel"], strides)
    )
    return {**cfg, "pairs": pairs, "out": tuple(out), "output_padding": extra}


@given(cfg=transpose_configs(), seed=seeds())
def test_conv_transpose_maps_the_output_size_back_to_the_input_size(cfg: dict[str, Any], seed: int) -> None:
    rng = np.random.default_rng(seed)
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    y = rng.integers(-4, 5, size=(*lead, cfg["cout_g"] * cfg["groups"], *cfg["out"]))
    w = rng.integers(-4, 5, size=(cfg["cout_g"] * cfg["groups"], cfg["cin_g"], *cfg["kernel"]))
    back = conv_transpose(
        y,
        w,
        stride=cfg["stride"],
        padding=cfg["pairs"],
        dilation=cfg["dilation"],
        groups=cfg["groups"],
        output_padding=cfg["output_padding"],
    )
    size = conv_transpose_output_size(
        cfg["out"],
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["pairs"],
        dilation=cfg["dilation"],
        output_padding=cfg["output_padding"],
    )
    assert back.shape[-cfg["ndim"] :] == tuple(size) == cfg["spatial"]
    assert back.shape[: -cfg["ndim"]] == (*lead, cfg["cin_g"] * cfg["groups"])


# --------------------------------------------------------------------------------------
# the operation against its twin, its adjoint, and its algebra
# --------------------------------------------------------------------------------------
def flip(w: np.ndarray) -> np.ndarray:
    return w[(slice(None), slice(None)) + (slice(None, None, -1),) * (w.ndim - 2)]


@given(cfg=conv_configs(), seed=seeds())
def test_convolve_is_correlate_with_the_flipped_kernel(cfg: dict[str, Any], seed: int) -> None:
    x, w = conv_arrays(cfg, np.random.default_rng(seed))
    np.testing.assert_array_equal(convolve(x, w, **options(cfg)), correlate(x, flip(w), **options(cfg)))
    np.testing.assert_array_equal(convolve(x, flip(w), **options(cfg)), correlate(x, w, **options(cfg)))


@given(cfg=conv_configs(), seed=seeds(), a=st.integers(-3, 3), b=st.integers(-3, 3))
def test_correlate_is_linear_in_x_and_in_weight(cfg: dict[str, Any], seed: int, a: int, b: int) -> None:
    rng = np.random.default_rng(seed)
    (x1, w1), (x2, w2) = conv_arrays(cfg, rng), conv_arrays(cfg, rng)
    opts = options(cfg)
    np.testing.assert_array_equal(
        correlate(a * x1 + b * x2, w1, **opts), a * correlate(x1, w1, **opts) + b * correlate(x2, w1, **opts)
    )
    np.testing.assert_array_equal(
        correlate(x1, a * w1 + b * w2, **opts), a * correlate(x1, w1, **opts) + b * correlate(x1, w2, **opts)
    )


@given(cfg=conv_configs(modes=("circular",), max_stride=1), seed=seeds(), data=st.data())
def test_shift_equivariance_with_circular_same_padding(cfg: dict[str, Any], seed: int, data: st.DataObject) -> None:
    """Stride 1 and circular 'same' padding: correlating a rolled input is rolling the output."""
    cfg = {**cfg, "stride": 1, "padding": "same", "dilation": cfg["dilation"]}
    ndim = cfg["ndim"]
    cfg["spatial"] = tuple(max(n, d * (k - 1)) for n, k, d in zip(cfg["spatial"], cfg["kernel"], cfg["dilation"]))
    x, w = conv_arrays(cfg, np.random.default_rng(seed))
    shifts = tuple(data.draw(st.integers(-n, n), label="shift") for n in cfg["spatial"])
    axes = tuple(range(x.ndim - ndim, x.ndim))
    y = correlate(x, w, **options(cfg))
    assert y.shape[-ndim:] == cfg["spatial"]
    np.testing.assert_array_equal(correlate(np.roll(x, shifts, axes), w, **options(cfg)), np.roll(y, shifts, axes))


@given(cfg=conv_configs(), seed=seeds())
def test_1x1_convolution_is_a_matrix_product_over_channels(cfg: dict[str, Any], seed: int) -> None:
    cfg = {**cfg, "kernel": (1,) * cfg["ndim"], "groups": 1, "padding": 0, "stride": 1, "padding_mode": "zeros"}
    x, w = conv_arrays(cfg, np.random.default_rng(seed))
    matrix = w.reshape(w.shape[0], w.shape[1])
    expected = np.moveaxis(np.tensordot(matrix, x, axes=([1], [x.ndim - cfg["ndim"] - 1])), 0, x.ndim - cfg["ndim"] - 1)
    np.testing.assert_array_equal(correlate(x, w), expected)


@given(cfg=transpose_configs(), seed=seeds())
def test_conv_transpose_is_the_adjoint_of_correlate(cfg: dict[str, Any], seed: int) -> None:
    """<correlate(x, w), y> == <x, conv_transpose(y, w)> with the same stride, padding, dilation, groups."""
    rng = np.random.default_rng(seed)
    x, w = conv_arrays(cfg, rng)
    lead = () if cfg["batch"] is None else (cfg["batch"],)
    y = rng.integers(-4, 5, size=(*lead, w.shape[0], *cfg["out"]))
    geometry = dict(stride=cfg["stride"], padding=cfg["pairs"], dilation=cfg["dilation"], groups=cfg["groups"])
    forward = correlate(x, w, **geometry)
    backward = conv_transpose(y, w, output_padding=cfg["output_padding"], **geometry)
    assert forward.shape == y.shape and backward.shape == x.shape
    assert int((forward * y).sum()) == int((x * backward).sum())


# --------------------------------------------------------------------------------------
# slow loop references, written here independently of the backend
# --------------------------------------------------------------------------------------
def source_index(i: int, n: int, mode: str) -> int | None:
    """Where padded position ``i`` (input coordinates) reads from, or None for a zero."""
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    if mode == "circular":
        return i % n
    return -i if i < 0 else 2 * (n - 1) - i  # reflect, the edge not repeated


def correlate_loops(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    *,
    stride: tuple[int, ...],
    pads: list[tuple[int, int]],
    dilation: tuple[int, ...],
    groups: int,
    mode: str,
) -> np.ndarray:
    """The defining sum, one output value at a time: x is (N, C, *spatial)."""
    n_batch, cin = x.shape[:2]
    cout, cin_g = w.shape[:2]
    spatial, kernel = x.shape[2:], w.shape[2:]
    out = [
        (n + left + right - d * (k - 1) - 1) // s + 1
        for n, (left, right), k, s, d in zip(spatial, pads, kernel, stride, dilation)
    ]
    y = np.zeros((n_batch, cout, *out), dtype=np.result_type(x, w))
    for b, o in itertools.product(range(n_batch), range(cout)):
        g = o // (cout // groups)
        for pos in itertools.product(*map(range, out)):
            total = 0 if bias is None else bias[o]
            for c in range(cin_g):
                for tap in itertools.product(*map(range, kernel)):
                    src = [
                        source_index(p * s + t * d - left, n, mode)
                        for p, s, t, d, (left, _), n in zip(pos, stride, tap, dilation, pads, spatial)
                    ]
                    if None not in src:
                        total += x[(b, g * cin_g + c, *src)] * w[(o, c, *tap)]
            y[(b, o, *pos)] = total
    return y


@settings(deadline=None)
@given(cfg=conv_configs(), seed=seeds(), with_bias=st.booleans())
def test_correlate_agrees_with_the_loop_reference(cfg: dict[str, Any], seed: int, with_bias: bool) -> None:
    rng = np.random.default_rng(seed)
    x, w = conv_arrays(cfg, rng)
    bias = rng.integers(-4, 5, size=w.shape[0]) if with_bias else None
    strides = cfg["stride"] if isinstance(cfg["stride"], tuple) else (cfg["stride"],) * cfg["ndim"]
    xb = x if cfg["batch"] is not None else x[None]
    expected = correlate_loops(
        xb,
        w,
        bias,
        stride=strides,
        pads=cfg["pads"],
        dilation=cfg["dilation"],
        groups=cfg["groups"],
        mode=cfg["padding_mode"],
    )
    got = correlate(x, w, bias, **options(cfg))
    np.testing.assert_array_equal(got if cfg["batch"] is not None else got[None], expected)


def pool_loops(
    x: np.ndarray,
    kernel: tuple[int, ...],
    *,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    out: tuple[int, ...],
    how: str,
    count_include_pad: bool = True,
) -> np.ndarray:
    """PyTorch's pooling loops: clip each window to the input; the divisor clipped to the padding."""
    y = np.zeros(x.shape[:2] + out, dtype=x.dtype if how == "max" else np.float64)
    for b, c in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out)):
            starts = [p * s - pad for p, s, pad in zip(pos, stride, padding)]
            taps = [
                [t + j * d for j in range(k) if 0 <= t + j * d < n]
                for t, k, d, n in zip(starts, kernel, dilation, x.shape[2:])
            ]
            values = [x[(b, c, *idx)] for idx in itertools.product(*taps)]
            if how == "max":  # a dilated window can miss the input: PyTorch's -inf, or the dtype's minimum
                y[(b, c, *pos)] = max(values, default=-np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
            else:
                if count_include_pad:
                    divisor = prod(
                        min(t + k, n + pad) - t for t, k, n, pad in zip(starts, kernel, x.shape[2:], padding)
                    )
                else:
                    divisor = prod(len(t) for t in taps)
                y[(b, c, *pos)] = sum(values) / divisor
    return y


@settings(deadline=None)
@given(cfg=pool_configs(), seed=seeds())
def test_max_pool_agrees_with_the_loop_reference(cfg: dict[str, Any], seed: int) -> None:
    x = pool_input(cfg, np.random.default_rng(seed))
    xb = x if cfg["batch"] is not None else x[None]
    strides = cfg["kernels"] if cfg["stride"] is None else cfg["stride"]
    got = max_pool(
        x,
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        ceil_mode=cfg["ceil_mode"],
    )
    got = got if cfg["batch"] is not None else got[None]
    expected = pool_loops(
        xb,
        cfg["kernels"],
        stride=strides,
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        out=got.shape[2:],
        how="max",
    )
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, expected)


@settings(deadline=None)
@given(cfg=pool_configs(dilated=False), seed=seeds(), count_include_pad=st.booleans())
def test_avg_pool_agrees_with_the_loop_reference(cfg: dict[str, Any], seed: int, count_include_pad: bool) -> None:
    x = pool_input(cfg, np.random.default_rng(seed))
    xb = x if cfg["batch"] is not None else x[None]
    strides = cfg["kernels"] if cfg["stride"] is None else cfg["stride"]
    got = avg_pool(
        x,
        cfg["kernel"],
        stride=cfg["stride"],
        padding=cfg["padding"],
        ceil_mode=cfg["ceil_mode"],
        count_include_pad=count_include_pad,
    )
    got = got if cfg["batch"] is not None else got[None]
    expected = pool_loops(
        xb,
        cfg["kernels"],
        stride=strides,
        padding=cfg["padding"],
        dilation=cfg["dilation"],
        out=got.shape[2:],
        how="avg",
        count_include_pad=count_include_pad,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# invalid calls
# --------------------------------------------------------------------------------------
X3 = np.ones((3, 5, 5))
W3 = np.ones((2, 3, 3, 3))

INVALID = {
    "channels-mismatch": (
        lambda: correlate(np.ones((4, 5, 5)), W3),
        "weight has 3 input channels per group but x has 4 channels and groups=1",
    ),
    "groups-not-dividing-x": (
        lambda: correlate(np.ones((4, 5, 5)), np.ones((3, 2, 3, 3)), groups=3),
        "groups=3 must divide the 4 channels of x",
    ),
    "groups-not-dividing-out": (
        lambda: correlate(np.ones((4, 5, 5)), np.ones((3, 2, 3, 3)), groups=2),
        "groups=2 must divide the 3 output channels of weight",
    ),
    "groups-mismatch": (
        lambda: correlate(np.ones((4, 5, 5)), np.ones((4, 1, 3, 3)), groups=2),
        "weight has 1 input channels per group but x has 4 channels and groups=2",
    ),
    "groups-zero": (lambda: correlate(X3, W3, groups=0), "groups=0 must be a positive integer"),
    "x-ndim": (
        lambda: correlate(np.ones((5, 5)), W3),
        r"x has shape \(5, 5\) \(ndim 2\) but a weight of shape \(2, 3, 3, 3\) needs x shaped "
        r"\(C, H, W\) or \(N, C, H, W\): ndim 3 or 4",
    ),
    "weight-ndim": (
        lambda: correlate(X3, np.ones((3, 3))),
        r"weight has shape \(3, 3\) \(ndim 2\); it must be \(C_out, C_in/groups, \*kernel\) "
        r"with 1, 2 or 3 spatial dimensions: ndim 3, 4 or 5; corr2d takes a single 2-D kernel",
    ),
    "weight-4d-spatial": (
        lambda: correlate(np.ones((1, 1, 2, 2, 2, 2)), np.ones((1, 1, 1, 1, 1, 1))),
        r"ndim 6\); it must be",
    ),
    "stride-zero": (lambda: correlate(X3, W3, stride=0), "stride=0 must be a positive integer"),
    "stride-negative": (lambda: correlate(X3, W3, stride=(1, -2)), "stride=-2 must be a positive integer"),
    "stride-float": (lambda: correlate(X3, W3, stride=1.5), "stride=1.5 must be a positive integer, not float"),
    "stride-wrong-length": (
        lambda: correlate(X3, W3, stride=(1, 2, 3)),
        r"stride=\(1, 2, 3\) has 3 entries but n=\(5, 5\) has 2 dimensions",
    ),
    "dilation-zero": (lambda: correlate(X3, W3, dilation=0), "dilation=0 must be a positive integer"),
    "padding-negative": (lambda: correlate(X3, W3, padding=-1), "padding=-1 must be a non-negative integer"),
    "padding-bad-string": (lambda: correlate(X3, W3, padding="half"), "padding='half' is not allowed; use one of"),
    "same-with-stride-2": (
        lambda: correlate(X3, W3, padding="same", stride=2),
        "padding='same' requires stride=1, not stride=2",
    ),
    "kernel-larger-than-input": (
        lambda: correlate(np.ones((3, 2, 5)), W3),
        r"kernel_size=3 is larger than the padded input n=2 \+ padding 0\+0 = 2",
    ),
    "corr2d-kernel-larger": (
        lambda: corr2d(np.ones((2, 2)), np.ones((3, 3))),
        r"kernel_size=3 is larger than the padded input n=2 \+ padding 0\+0 = 2",
    ),
    "dilated-kernel-larger": (
        lambda: correlate(X3, W3, dilation=3),
        "kernel_size=3 and dilation=3 spans 7 is larger than the padded input",
    ),
    "padding-mode-bad": (
        lambda: correlate(X3, W3, padding_mode="wrap"),
        "padding_mode='wrap' is not allowed; use one of 'zeros', 'reflect', 'replicate', 'circular'",
    ),
    "reflect-too-much": (
        lambda: correlate(np.ones((3, 2, 5)), W3, padding=2, padding_mode="reflect"),
        r"padding=\(2, 2\) must be smaller than the input size 2 with padding_mode='reflect'",
    ),
    "circular-too-much": (
        lambda: correlate(np.ones((3, 2, 5)), W3, padding=3, padding_mode="circular"),
        r"padding=\(3, 3\) must be at most the input size 2 with padding_mode='circular'",
    ),
    "bias-shape": (
        lambda: correlate(X3, W3, np.ones(3)),
        r"bias has shape \(3,\); expected \(2,\), one value per output channel",
    ),
    "x-strings": (lambda: correlate([["a"]], W3), "x has dtype <U1; it must hold integers or floats"),
    "x-ragged": (lambda: correlate([[1, 2], [3]], W3), "x is not an array"),
    "corr2d-3d": (
        lambda: corr2d(X3, np.ones((2, 2))),
        r"X has shape \(3, 5, 5\) \(ndim 3\); corr2d takes one 2-D array",
    ),
    "transpose-channels": (
        lambda: conv_transpose(np.ones((2, 3, 3)), np.ones((3, 1, 2, 2))),
        "weight has 3 input channels but x has 2 channels",
    ),
    "transpose-output-padding": (
        lambda: conv_transpose(np.ones((1, 3, 3)), np.ones((1, 1, 3, 3)), output_padding=1),
        "output_padding=1 must be smaller than stride=1 or dilation=1",
    ),
    "transpose-output-padding-stride": (
        lambda: conv_transpose(np.ones((1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2, output_padding=2),
        "output_padding=2 must be smaller than stride=2 or dilation=1",
    ),
    "transpose-padding-string": (
        lambda: conv_transpose(np.ones((1, 3, 3)), np.ones((1, 1, 3, 3)), padding="same"),
        "padding='same' is not allowed for a transposed convolution",
    ),
    "transpose-padding-too-large": (
        lambda: conv_transpose(np.ones((1, 1, 1)), np.ones((1, 1, 1, 1)), padding=1),
        "padding=1 removes more than the transposed convolution produces",
    ),
    "pool-padding-over-half": (
        lambda: max_pool(X3, 2, padding=2),
        "padding=2 must be at most half the kernel size, kernel_size // 2 = 1",
    ),
    "pool-window-larger": (
        lambda: max_pool(np.ones((1, 2, 2)), 3),
        r"input n=2 with padding=0 is smaller than the window",
    ),
    "pool-int-kernel-1d-input": (
        lambda: max_pool(np.ones((1, 5)), 2),
        r"x has shape \(1, 5\) \(ndim 2\) but kernel_size=2 \(an int means a 2-D window",
    ),
    "pool-kernel-4d": (
        lambda: max_pool(np.ones((1, 2, 2, 2, 2)), (1, 1, 1, 1)),
        r"kernel_size=\(1, 1, 1, 1\) has 4 entries; pooling takes 1, 2 or 3 spatial dimensions",
    ),
    "pool-stride-zero": (lambda: avg_pool(X3, 2, stride=0), "stride=0 must be a positive integer"),
    "pool-ceil-not-bool": (lambda: max_pool(X3, 2, ceil_mode="yes"), "ceil_mode='yes' must be True or False"),
    "pool-count-not-bool": (lambda: avg_pool(X3, 2, count_include_pad=1), "count_include_pad=1 must be True or False"),
    "symbolic-stride": (
        lambda: correlate(X3, W3, stride=sympy.Symbol("s", positive=True, integer=True)),
        "stride=s must hold integers: the numeric backend computes with arrays, not symbols",
    ),
    "symbolic-pool-kernel": (
        lambda: max_pool(X3, sympy.Symbol("k", positive=True, integer=True)),
        "kernel_size=k must hold integers",
    ),
    "no-channels": (lambda: max_pool(np.ones((0, 4, 4)), 2), r"x has shape \(0, 4, 4\): it has no channels"),
}


@pytest.mark.parametrize("call, message", list(INVALID.values()), ids=list(INVALID))
def test_invalid_calls(call: Any, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        call()


@given(seed=seeds(), h=st.integers(1, 8), w=st.integers(1, 8), data=st.data())
def test_corr2d_is_correlate_with_one_channel(seed: int, h: int, w: int, data: st.DataObject) -> None:
    """corr2d (kernel-tap accumulation) and correlate (im2col) are separate code paths."""
    kh, kw = data.draw(st.integers(1, h), label="k_h"), data.draw(st.integers(1, w), label="k_w")
    rng = np.random.default_rng(seed)
    X, K = rng.integers(-9, 10, size=(h, w)), rng.integers(-9, 10, size=(kh, kw))
    got = corr2d(X, K)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, correlate(X[None], K[None, None])[0])
