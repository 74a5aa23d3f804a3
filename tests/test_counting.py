"""Parameter and MAC counts: hand computations, seed examples, conventions, invalid calls."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from convmath import (
    ConvMathError,
    Network,
    batchnorm_params,
    c_in,
    c_out,
    conv_macs,
    conv_output_size,
    conv_params,
    conv_transpose_macs,
    conv_transpose_params,
    depthwise_separable_params,
    g,
    k,
    linear_macs,
    linear_params,
    n,
)
from convmath.testing.strategies import conv_configs


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        pytest.param((1, 1, 3), {}, 3 * 3 + 1, id="seed001-conv2d-1-1-3"),
        pytest.param((1, 1, 3), {"bias": False}, 3 * 3, id="no-bias"),
        pytest.param((3, 64, 11), {}, 64 * 3 * 11 * 11 + 64, id="alexnet-conv1"),
        pytest.param((64, 64, 3), {}, 64 * 64 * 3 * 3 + 64, id="vgg-conv"),
        pytest.param((16, 32, 3), {"groups": 4}, 32 * (16 // 4) * 3 * 3 + 32, id="groups-4"),
        pytest.param((8, 8, 3), {"groups": 8}, 8 * 1 * 3 * 3 + 8, id="depthwise"),
        pytest.param((3, 2, (3, 5)), {}, 2 * 3 * 3 * 5 + 2, id="rectangular-kernel"),
        pytest.param((1, 6, 5), {"ndim": 1}, 6 * 1 * 5 + 6, id="conv1d"),
        pytest.param((2, 4, (3, 5, 7)), {"bias": False}, 4 * 2 * 3 * 5 * 7, id="conv3d"),
        pytest.param((2, 4, 3), {"ndim": 3}, 4 * 2 * 3 * 3 * 3 + 4, id="conv3d-int-kernel"),
        pytest.param((1, 2, 5), {}, 2 * 1 * 5 * 5 + 2, id="seed000-edge-kernel-two-channels"),
    ],
)
def test_conv_params(args, options, expected):
    assert conv_params(*args, **options) == expected


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        pytest.param((64, 3, 4), {}, 64 * 3 * 4 * 4 + 3, id="bias-on-output"),
        pytest.param((8, 4, 2), {"groups": 2, "bias": False}, 8 * (4 // 2) * 2 * 2, id="groups"),
        pytest.param((1, 1, (2, 3)), {}, 1 * 1 * 2 * 3 + 1, id="rectangular"),
    ],
)
def test_conv_transpose_params(args, options, expected):
    assert conv_transpose_params(*args, **options) == expected


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        pytest.param((1, 1), {}, 1 * 1 + 1, id="seed001-linear-1-1"),
        pytest.param((16 * 5 * 5, 120), {}, 400 * 120 + 120, id="lenet-f5"),
        pytest.param((4096, 1000), {"bias": False}, 4096 * 1000, id="no-bias"),
    ],
)
def test_linear_params(args, options, expected):
    assert linear_params(*args, **options) == expected


def test_seed001_tiny_cnn_total_is_12():
    assert conv_params(1, 1, 3) + linear_params(1, 1) == 10 + 2


def test_seed001_mlp_product_written_wrongly():
    # The seed: "300 x 300=90000 ... 900000x1000=90000000". The pixel count is
    # 300 * 300 = 90000, and 90000 * 1000 = 90,000,000 weights; the factor
    # 900000 written in the product is ten times too large (and 900000 * 1000
    # would be 900,000,000, not the 90,000,000 the seed states).
    weights = linear_params(300 * 300, 1000, bias=False)
    assert 300 * 300 == 90_000
    assert weights == 90_000 * 1000 == 90_000_000
    assert 900_000 * 1000 == 900_000_000 != weights
    assert linear_params(300 * 300, 1000) == 90_000_000 + 1000


def test_seed004_twelve_megapixel_rgb_into_100_units():
    # "12M ... RGB ... 36M ... 36亿": 12e6 pixels * 3 channels * 100 units.
    assert linear_params(12_000_000 * 3, 100, bias=False) == 36_000_000 * 100 == 3_600_000_000


@pytest.mark.parametrize(
    ("options", "params", "buffers"),
    [
        pytest.param({}, 2 * 64, 2 * 64 + 1, id="default"),
        pytest.param({"affine": False}, 0, 2 * 64 + 1, id="not-affine"),
        pytest.param({"track_running_stats": False}, 2 * 64, 0, id="no-running-stats"),
    ],
)
def test_batchnorm_params(options, params, buffers):
    count = batchnorm_params(64, **options)
    assert (count.params, count.buffers, count.total) == (params, buffers, params + buffers)


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        pytest.param((32, 64, 3), {"bias": False}, 32 * 3 * 3 + 32 * 64, id="mobilenet-block"),
        pytest.param((32, 64, 3), {}, (32 * 3 * 3 + 32) + (32 * 64 + 64), id="with-bias"),
        pytest.param((8, 16, 5), {"depth_multiplier": 2, "bias": False}, 16 * 5 * 5 + 16 * 16, id="multiplier-2"),
    ],
)
def test_depthwise_separable_params(args, options, expected):
    assert depthwise_separable_params(*args, **options) == expected


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        # torchinfo tests/test_output/groups.out: Conv2d(16, 32, 3, groups=4), batch 7, 28x28 -> 5,602,688
        pytest.param((16, 32, 3, 28), {"groups": 4}, (32 * 4 * 3 * 3 + 32) * 26 * 26, id="torchinfo-groups"),
        # fvcore FlopCountAnalysis docstring: Conv2d(3, 10, 1) on 10x10 -> 3000
        pytest.param((3, 10, 1, 10), {"convention": "macs"}, 10 * 3 * 10 * 10, id="fvcore-conv"),
        pytest.param((3, 10, 1, 10), {"convention": "flops"}, 2 * 10 * 3 * 10 * 10, id="flops"),
        pytest.param((3, 10, 1, 10), {}, (10 * 3 + 10) * 10 * 10, id="torchinfo-bias"),
        pytest.param((3, 10, 1, 10), {"bias": False}, 10 * 3 * 10 * 10, id="torchinfo-no-bias"),
        pytest.param((1, 6, 5, 28), {"padding": 2}, (6 * 25 + 6) * 28 * 28, id="lenet-c1"),
        pytest.param(
            (1, 1, 3, (4, 6)), {"stride": 2}, (9 + 1) * ((4 - 3) // 2 + 1) * ((6 - 3) // 2 + 1), id="rect-input"
        ),
        pytest.param((2, 2, 3, 9), {"dilation": 2, "convention": "macs"}, 2 * 2 * 9 * (9 - 5 + 1) ** 2, id="dilated"),
    ],
)
def test_conv_macs(args, options, expected):
    assert conv_macs(*args, **options) == expected


def test_torchinfo_groups_table_with_batch():
    assert 7 * conv_macs(16, 32, 3, 28, groups=4) == 5_602_688


def test_torchinfo_single_input_table():
    # torchinfo tests/test_output/single_input.out: batch 2, "Total params: 21,840",
    # "Total mult-adds (M): 0.98".
    net = Network(
        [
            {"type": "Conv2d", "in_channels": 1, "out_channels": 10, "kernel_size": 5},
            {"type": "MaxPool2d", "kernel_size": 2},
            {"type": "ReLU"},
            {"type": "Conv2d", "out_channels": 20, "kernel_size": 5},
            {"type": "Dropout2d"},
            {"type": "MaxPool2d", "kernel_size": 2},
            {"type": "ReLU"},
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 320, "out_features": 50},
            {"type": "ReLU"},
            {"type": "Linear", "out_features": 10},
        ],
        input_shape=(2, 1, 28, 28),
        batch=True,
    )
    summary = net.summary()
    assert summary.total_params == 260 + 5020 + 16050 + 510 == 21_840
    assert summary.total_macs == 2 * (260 * 24 * 24 + 5020 * 8 * 8 + 16050 + 510)
    assert round(summary.total_macs / 1e6, 2) == 0.98
    # the older table (batch 16, "7.69") is the count without the convolution bias
    assert round(16 * (250 * 24 * 24 + 5000 * 8 * 8 + 16050 + 510) / 1e6, 2) == 7.69


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        pytest.param((8, 4, 2, 5), {"stride": 2, "convention": "macs"}, 8 * 4 * 2 * 2 * 5 * 5, id="macs-per-input"),
        pytest.param((8, 4, 2, 5), {"stride": 2}, (8 * 4 * 2 * 2 + 4) * 10 * 10, id="torchinfo-per-output"),
        pytest.param((8, 4, 2, 5), {"stride": 2, "convention": "flops"}, 2 * 8 * 4 * 2 * 2 * 5 * 5, id="flops"),
    ],
)
def test_conv_transpose_macs(args, options, expected):
    assert conv_transpose_macs(*args, **options) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, 1000 * 10 + 10, id="torchinfo"),
        pytest.param({"convention": "macs"}, 1000 * 10, id="fvcore-linear"),
        pytest.param({"convention": "flops"}, 2 * 1000 * 10, id="flops"),
    ],
)
def test_linear_macs(options, expected):
    assert linear_macs(1000, 10, **options) == expected


def test_symbolic_forms():
    assert conv_params(c_in, c_out, k) == c_in * c_out * k**2 + c_out
    assert sympy.simplify(conv_params(c_in, c_out, k, groups=g) - (c_in * c_out * k**2 / g + c_out)) == 0
    assert conv_macs(c_in, c_out, k, n, padding="same", convention="macs") == c_in * c_out * k**2 * n**2
    flops = conv_macs(c_in, c_out, 3, n, convention="flops")
    assert flops.subs({c_in: 3, c_out: 8, n: 10}) == conv_macs(3, 8, 3, 10, convention="flops")


@given(
    cin=st.integers(1, 6),
    cout=st.integers(1, 6),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    size=st.integers(4, 12),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    bias=st.booleans(),
)
def test_conventions_relate(cin, cout, kernel, size, stride, padding, bias):
    common = dict(stride=stride, padding=padding, bias=bias)
    macs = conv_macs(cin, cout, kernel, size, convention="macs", **common)
    torchinfo = conv_macs(cin, cout, kernel, size, **common)
    assert conv_macs(cin, cout, kernel, size, convention="flops", **common) == 2 * macs
    positions = math.prod(conv_output_size((size, size), kernel, stride=stride, padding=padding))
    assert torchinfo == conv_params(cin, cout, kernel, bias=bias) * positions
    assert macs == cout * cin * kernel[0] * kernel[1] * positions
    assert torchinfo - macs == (cout * positions if bias else 0)


@given(st.data())
def test_symbolic_params_substitute_to_ints(data):
    cin = data.draw(st.integers(1, 8), label="c_in per group")
    groups = data.draw(st.integers(1, 4), label="groups")
    cout = data.draw(st.integers(1, 8), label="c_out per group") * groups
    kernel = data.draw(st.integers(1, 7), label="k")
    expr = conv_params(c_in, c_out, k, groups=g)
    values = {c_in: cin * groups, c_out: cout, k: kernel, g: groups}
    assert expr.subs(values) == conv_params(cin * groups, cout, kernel, groups=groups)


@settings(deadline=None)
@given(conv_configs(ndim=2, max_groups=3, max_size=6), st.integers(0, 2**32 - 1))
def test_params_count_what_the_numeric_backend_needs(config, seed):
    # The backend checks the weight and bias it is given against x and groups:
    # the arrays it accepts hold exactly conv_params values, and one input
    # channel more or less per group, or one bias more, is refused.
    from convmath import numeric

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(config.input_shape)
    cout, per_group, *kernel = config.weight_shape
    weight = rng.standard_normal((cout, per_group, *kernel))
    bias = rng.standard_normal(cout) if config.bias else None
    out = numeric.correlate(x, weight, bias, **config.options())
    assert out.shape == config.output_shape
    used = weight.size + (0 if bias is None else bias.size)
    assert used == conv_params(
        config.in_channels, config.out_channels, config.kernel_size, groups=config.groups, bias=config.bias
    )
    with pytest.raises(ConvMathError):
        numeric.correlate(x, rng.standard_normal((cout, per_group + 1, *kernel)), bias, **config.options())
    with pytest.raises(ConvMathError):
        numeric.correlate(x, weight, rng.standard_normal(cout + 1), **config.options())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: conv_params(0, 1, 3), r"in_channels=0 must be a positive integer", id="zero-channels"),
        pytest.param(
            lambda: conv_params(3, 4, 3, groups=2), r"in_channels=3 must be divisible by groups=2", id="groups-in"
        ),
        pytest.param(
            lambda: conv_params(4, 3, 3, groups=2), r"out_channels=3 must be divisible by groups=2", id="groups-out"
        ),
        pytest.param(
            lambda: conv_params(1, 1, 3.0), r"kernel_size=3.0 must be a positive integer, not float", id="float-kernel"
        ),
        pytest.param(
            lambda: conv_params(1, 1, (3, 3), ndim=3),
            r"kernel_size=\(3, 3\) has 2 entries but ndim=3",
            id="ndim-mismatch",
        ),
        pytest.param(lambda: conv_params(1, 1, 3, bias=1), r"bias=1 must be True or False", id="bias-not-bool"),
        pytest.param(
            lambda: linear_params(-1, 2), r"in_features=-1 must be a positive integer", id="negative-features"
        ),
        pytest.param(lambda: batchnorm_params(0), r"num_features=0 must be a positive integer", id="bn-zero"),
        pytest.param(
            lambda: conv_macs(1, 1, 3, 8, convention="gflops"),
            r"convention='gflops' is not allowed; use one of 'torchinfo', 'macs', 'flops'",
            id="convention",
        ),
        pytest.param(lambda: conv_macs(1, 1, 5, 3), r"kernel_size=5 is larger than the padded input", id="too-small"),
        pytest.param(
            lambda: conv_macs(1, 1, (3, 3), (8, 8, 8)), r"n=\(8, 8, 8\) has 3 entries but the kernel has 2", id="n-dims"
        ),
    ],
)
def test_invalid_calls(call, message):
    with pytest.raises(ConvMathError, match=message):
        call()


@settings(deadline=None)
@given(conv_configs(ndim=2, max_groups=2, max_size=6, padding_forms=("int", "per_dim", "valid", "same")))
def test_macs_count_the_products_the_backend_sums(config):
    # With every input value and every weight equal to 1 (padding filled with 1
    # too), each output value is the number of products summed into it, so the
    # outputs add up to the multiply-accumulates of the "macs" convention.
    from convmath import numeric

    pads = [(0, 0)] + list(config.pads)
    x = np.pad(np.ones(config.input_shape), pads, constant_values=1)
    out = numeric.correlate(
        x, np.ones(config.weight_shape), stride=config.stride, dilation=config.dilation, groups=config.groups
    )
    macs = conv_macs(
        config.in_channels,
        config.out_channels,
        config.kernel_size,
        config.spatial,
        stride=config.stride,
        padding=config.padding,
        dilation=config.dilation,
        groups=config.groups,
        convention="macs",
    )
    assert out.sum() == macs


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(deadline=None)
@given(conv_configs(ndim=2, max_groups=2, max_size=6, padding_forms=("int", "per_dim", "valid", "same")))
def test_flops_match_torch_flop_counter(config):
    # torch.utils.flop_counter counts 2 per multiply-accumulate and ignores the bias.
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    conv = torch.nn.Conv2d(
        config.in_channels,
        config.out_channels,
        config.kernel_size,
        stride=config.stride,
        padding=config.padding,
        dilation=config.dilation,
        groups=config.groups,
        bias=config.bias,
    )
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        conv(torch.zeros((1, *config.input_shape)))
    assert counter.get_total_flops() == conv_macs(
        config.in_channels,
        config.out_channels,
        config.kernel_size,
        config.spatial,
        stride=config.stride,
        padding=config.padding,
        dilation=config.dilation,
        groups=config.groups,
        bias=config.bias,
        convention="flops",
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    ("cin", "cout", "kernel", "n", "options"),
    [
        pytest.param(8, 4, 2, 5, {"stride": 2}, id="upsample-2x"),
        pytest.param(4, 6, 3, 7, {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, id="groups"),
        pytest.param(3, 3, (1, 3), (4, 6), {"dilation": 2}, id="dilated"),
    ],
)
def test_transposed_flops_match_torch_flop_counter(cin, cout, kernel, n, options):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    conv = torch.nn.ConvTranspose2d(cin, cout, kernel, **options)
    size = n if isinstance(n, tuple) else (n, n)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = conv(torch.zeros((1, cin, *size)))
    assert counter.get_total_flops() == conv_transpose_macs(cin, cout, kernel, n, convention="flops", **options)
    params = conv_transpose_params(cin, cout, kernel, groups=options.get("groups", 1))
    assert conv_transpose_macs(cin, cout, kernel, n, **options) == params * math.prod(out.shape[2:])
