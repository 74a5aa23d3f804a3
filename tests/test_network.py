"""Networks: bundled specs against published figures, seed 003's LeNet-5, files, summaries, errors, CLI."""

from __future__ import annotations

import dataclasses
import json

import pytest

from convmath import ConvMathError, Network, SummaryRow, conv_output_size, pool_output_size, solve_for
from convmath.cli import main as cli_main
from convmath.network import bundled_specs


def test_lenet5_shapes_through_every_layer():
    net = Network.bundled("lenet5")
    c1 = conv_output_size(28, 5, padding=2)  # 28 + 2*2 - 5 + 1 = 28
    s2 = pool_output_size(c1, 2, stride=2)  # 28 // 2 = 14
    c3 = conv_output_size(s2, 5)  # 14 - 5 + 1 = 10
    s4 = pool_output_size(c3, 2, stride=2)  # 10 // 2 = 5
    assert (c1, s2, c3, s4) == (28 + 2 * 2 - 5 + 1, 28 // 2, 14 - 5 + 1, 10 // 2)
    assert net.out_shapes == (
        (6, c1, c1),
        (6, c1, c1),
        (6, s2, s2),
        (16, c3, c3),
        (16, c3, c3),
        (16, s4, s4),
        (16 * 5 * 5,),
        (120,),
        (120,),
        (84,),
        (84,),
        (10,),
    )


def test_seed003_lenet5_paddings():
    # Seed 003: "C1: K1=(6,1,5,5), p=1, s=1, output=(6,28,28)" and
    # "C3: K3=(16,6,5,5), p=1, s=1, output=(16,10,10)". Padding 1 produces neither:
    assert conv_output_size(28, 5, padding=1) == 28 + 2 * 1 - 5 + 1 == 26  # d2l's 28x28 input
    assert conv_output_size(32, 5, padding=1) == 32 + 2 * 1 - 5 + 1 == 30  # LeCun's 32x32 input
    assert conv_output_size(14, 5, padding=1) == 14 + 2 * 1 - 5 + 1 == 12
    # The paddings that do produce the listed shapes:
    assert solve_for("padding", n=28, kernel_size=5, output=28) == [2]  # d2l: padding=2
    assert solve_for("padding", n=32, kernel_size=5, output=28) == [0]  # LeCun 1998: no padding
    assert solve_for("padding", n=14, kernel_size=5, output=10) == [0]  # C3: no padding
    lenet = Network.bundled("lenet5")
    assert [layer["padding"] for layer in lenet.layers if layer.type == "Conv2d"] == [2, 0]


@pytest.mark.parametrize(
    ("name", "total_params", "torchvision_gops"),
    [
        # torchvision AlexNet_Weights.IMAGENET1K_V1: num_params 61100840, _ops 0.714
        pytest.param("alexnet", 61_100_840, 0.714, id="alexnet"),
        # torchvision VGG16_Weights.IMAGENET1K_V1: num_params 138357544, _ops 15.47
        pytest.param("vgg16", 138_357_544, 15.47, id="vgg16"),
    ],
)
def test_bundled_totals_match_torchvision(name, total_params, torchvision_gops):
    net = Network.bundled(name)
    assert net.summary().total_params == total_params
    # torchvision's "_ops" (GFLOPS column of its model tables) counts one
    # multiply-add as one operation and leaves the bias out: the "macs" convention.
    gmacs = net.summary(convention="macs").total_macs / 1e9
    assert round(gmacs, len(str(torchvision_gops).split(".")[1])) == torchvision_gops


def test_lenet5_params_by_hand():
    summary = Network.bundled("lenet5").summary()
    assert [row.params for row in summary.rows if row.params] == [
        6 * 1 * 5 * 5 + 6,
        16 * 6 * 5 * 5 + 16,
        400 * 120 + 120,
        120 * 84 + 84,
        84 * 10 + 10,
    ]
    assert summary.total_params == 61_706


def test_alexnet_shapes():
    net = Network.bundled("alexnet")
    assert net.out_shapes[0] == (64, (224 + 2 * 2 - 11) // 4 + 1, (224 + 2 * 2 - 11) // 4 + 1)  # 55
    assert net.out_shapes[12] == (256, 6, 6)  # last MaxPool: (13 - 3) // 2 + 1
    assert net.out_shapes[14] == (256 * 6 * 6,)


def test_every_bundled_spec_loads():
    assert bundled_specs() == (
        "alexnet",
        "densenet121",
        "googlenet",
        "lenet5",
        "mobilenet_v2",
        "mobilenet_v3_small",
        "resnet18",
        "resnet50",
        "squeezenet1_0",
        "vgg16",
    )
    for name in bundled_specs():
        assert Network.load(name).summary().total_params > 0


def test_inferred_and_checked_channels():
    net = Network(
        [
            {"type": "Conv2d", "out_channels": 4, "kernel_size": 3},
            {"type": "BatchNorm2d"},
            {"type": "Conv2d", "in_channels": 4, "out_channels": 2, "kernel_size": 1},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 3},
        ],
        input_shape=(3, 6, 6),
    )
    assert [
        layer.args.get("in_channels", layer.args.get("num_features", layer.args.get("in_features")))
        for layer in net.layers
    ] == [3, 4, 4, None, 2 * 4 * 4]
    assert net.summary().rows[1].params == 2 * 4
    assert net.summary().rows[1].macs == 2 * 4  # torchinfo: parameters once per sample
    assert net.summary(convention="macs").rows[1].macs == 0


def test_batch_dimension():
    layers = [
        {"type": "Conv2d", "out_channels": 2, "kernel_size": 3},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 1},
    ]
    one = Network(layers, input_shape=(1, 5, 5)).summary()
    four = Network(layers, input_shape=(4, 1, 5, 5), batch=True).summary()
    assert [r.output_shape for r in four.rows] == [(4, 2, 3, 3), (4, 18), (4, 1)]
    assert Network(layers, input_shape=(1, 5, 5), batch=4).summary() == four
    with pytest.raises(
        ConvMathError,
        match=r"Conv2d expects \(C, H, W\) per sample \(if the first entry is the batch size, give batch=True\)",
    ):
        Network(layers, input_shape=(4, 1, 5, 5))
    assert four.total_macs == 4 * one.total_macs
    assert four.total_params == one.total_params


def test_other_layer_types():
    net = Network(
        [
            {"type": "Conv1d", "out_channels": 4, "kernel_size": 3, "padding": "same"},
            {"type": "MaxPool1d", "kernel_size": 2, "ceil_mode": True},
            {"type": "AvgPool1d", "kernel_size": 3, "stride": 1, "padding": 1},
            {"type": "BatchNorm1d"},
            {"type": "LeakyReLU", "negative_slope": 0.2},
        ],
        input_shape=(2, 9),
    )
    assert net.out_shapes == ((4, 9), (4, (9 - 2 + 2 - 1) // 2 + 1), (4, 5), (4, 5), (4, 5))
    up = Network(
        [{"type": "ConvTranspose2d", "out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1}],
        input_shape=(8, 7, 7),
    )
    assert up.output_shape == (3, (7 - 1) * 2 - 2 * 1 + 4, (7 - 1) * 2 - 2 * 1 + 4)
    assert up.summary().total_params == 8 * 3 * 4 * 4 + 3
    cube = Network([{"type": "Conv3d", "out_channels": 2, "kernel_size": (1, 3, 3)}], input_shape=(1, 4, 6, 6))
    assert cube.output_shape == (2, 4, 4, 4)
    flat = Network([{"type": "Flatten", "start_dim": 2}], input_shape=(3, 4, 5))
    assert flat.output_shape == (3, 4 * 5)


def test_spec_files_toml_and_json(tmp_path):
    toml = tmp_path / "net.toml"
    toml.write_text(
        'name = "tiny"\ninput_shape = [1, 8, 8]\n\n[[layer]]\ntype = "Conv2d"\nout_channels = 2\n'
        'kernel_size = [3, 3]\n\n[[layer]]\ntype = "MaxPool2d"\nkernel_size = 2\n'
    )
    data = {
        "name": "tiny",
        "input_shape": [1, 8, 8],
        "layer": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": [3, 3]},
            {"type": "MaxPool2d", "kernel_size": 2},
        ],
    }
    js = tmp_path / "net.json"
    js.write_text(json.dumps(data))
    a, b = Network.from_file(toml), Network.from_file(js)
    assert a.out_shapes == b.out_shapes == ((2, 6, 6), (2, 3, 3))
    assert a.summary() == b.summary()
    assert a.name == "tiny"


def test_summary_renderings():
    summary = Network.bundled("lenet5").summary()
    text = str(summary)
    assert "Conv2d-1" in text and "Total params: 61,706" in text and "[6, 28, 28]" in text
    markdown = summary.render("markdown")
    assert markdown.count("\n| ") == 1 + len(summary.rows)  # header + rows after the title line
    latex = summary.render("latex")
    assert latex.startswith(r"\begin{tabular}") and latex.endswith(r"\end{tabular}")
    assert r"$6 \times 28 \times 28$" in latex and r"Param \#" in latex
    data = json.loads(summary.render("json"))
    assert set(data["rows"][0]) == {f.name for f in dataclasses.fields(SummaryRow)}
    assert {"rows", "total_params", "total_macs"} <= set(data)
    assert data["rows"][0]["output_shape"] == [6, 28, 28]
    assert data["rows"][6]["r"] is None
    assert data["total_params"] == 61_706
    with pytest.raises(
        ConvMathError, match=r"format='html' is not allowed; use one of 'text', 'markdown', 'latex', 'json'"
    ):
        summary.render("html")


def pools_until_too_small():
    return [
        {"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "MaxPool2d", "kernel_size": 2},
    ]


@pytest.mark.parametrize(
    ("layers", "input_shape", "message"),
    [
        pytest.param(
            pools_until_too_small(),
            (1, 8, 8),
            r"^layer 7 \(MaxPool2d, kernel_size=2\): input 1x1 is smaller than the window \(2x2\)$",
            id="window",
        ),
        pytest.param(
            [{"type": "Conv2d", "out_channels": 1, "kernel_size": 5, "padding": 1}],
            (1, 2, 2),
            r"^layer 1 \(Conv2d, out_channels=1, kernel_size=5, padding=1\): "
            r"input 2x2 is smaller than the window \(5x5, padding 1x1\)$",
            id="conv-window",
        ),
        pytest.param(
            [
                {"type": "Conv2d", "out_channels": 4, "kernel_size": 3},
                {"type": "Flatten"},
                {"type": "Linear", "in_features": 100, "out_features": 10},
            ],
            (1, 8, 8),
            r"^layer 3 \(Linear, in_features=100, out_features=10\): "
            r"in_features=100 does not match the 144 features coming in$",
            id="linear-after-flatten",
        ),
        pytest.param(
            [{"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3}],
            (3, 8, 8),
            r"layer 1 \(Conv2d, .*\): in_channels=1 does not match the 3 channels coming in",
            id="in-channels",
        ),
        pytest.param(
            [{"type": "BatchNorm2d", "num_features": 5}],
            (3, 8, 8),
            r"num_features=5 does not match the 3 channels coming in",
            id="bn-features",
        ),
        pytest.param(
            [{"type": "Linear", "out_features": 10}],
            (3, 8, 8),
            r"layer 1 \(Linear, out_features=10\): input shape \(3, 8, 8\) is not flat; .* add a Flatten",
            id="linear-not-flat",
        ),
        pytest.param(
            [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}],
            (8, 8),
            r"input shape \(8, 8\) has 2 dimensions; Conv2d expects \(C, H, W\)",
            id="rank",
        ),
        pytest.param(
            [{"type": "Conv4d", "out_channels": 4}],
            (1, 8, 8),
            r"layer 1: type='Conv4d' is not allowed; use one of 'Conv1d'",
            id="unknown-type",
        ),
        pytest.param(
            [{"type": "Conv2d", "kernel_size": 3}],
            (1, 8, 8),
            r"layer 1 \(Conv2d, kernel_size=3\): out_channels=\.\.\. is required",
            id="missing-required",
        ),
        pytest.param(
            [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2}],
            (3, 8, 8),
            r"in_channels=3 must be divisible by groups=2",
            id="groups",
        ),
        pytest.param(
            [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": "same"}],
            (3, 8, 8),
            r"padding='same' requires stride=1, not stride=2",
            id="same-stride",
        ),
        pytest.param(
            [{"type": "MaxPool2d", "kernel_size": 2, "padding": 2}],
            (3, 8, 8),
            r"padding=2 must be at most half the kernel size",
            id="pool-padding",
        ),
        pytest.param(
            [{"type": "Flatten", "start_dim": 0}],
            (3, 8, 8),
            r"start_dim=0 would flatten the batch dimension",
            id="flatten-batch",
        ),
        pytest.param([], (3, 8, 8), r"layers=\[\] must hold at least one layer", id="empty"),
        pytest.param([{"type": "ReLU"}], (3, 0, 8), r"input_shape=0 must be a positive integer", id="zero-size"),
        pytest.param([{"type": "ReLU"}], "3x8x8", r"input_shape='3x8x8' must be a non-empty list", id="shape-string"),
        pytest.param(
            [{"type": "Dropout", "p": 2}],
            (3, 8, 8),
            r"^layer 1 \(Dropout, p=2\): p=2 must be a probability in \[0, 1\]$",
            id="dropout-p-above-1",
        ),
        pytest.param(
            [{"type": "Dropout2d", "p": -0.1}],
            (3, 8, 8),
            r"p=-0.1 must be a probability in \[0, 1\]",
            id="dropout-p-negative",
        ),
        pytest.param(
            [{"type": "Dropout", "p": "half"}],
            (3, 8, 8),
            r"p='half' must be a finite real number",
            id="dropout-p-string",
        ),
        pytest.param(
            [{"type": "ReLU", "inplace": 5}],
            (3, 8, 8),
            r"^layer 1 \(ReLU, inplace=5\): inplace=5 must be True or False$",
            id="inplace-int",
        ),
        pytest.param(
            [{"type": "GELU", "approximate": "fast"}],
            (3, 8, 8),
            r"approximate='fast' is not allowed; use one of 'none', 'tanh'",
            id="gelu-approximate",
        ),
        pytest.param(
            [{"type": "LeakyReLU", "negative_slope": None}],
            (3, 8, 8),
            r"negative_slope=None must be a finite real number",
            id="leaky-slope-none",
        ),
        pytest.param(
            [{"type": "Softmax", "dim": 1.5}], (3, 8, 8), r"dim=1.5 must be an integer", id="softmax-dim-float"
        ),
    ],
)
def test_invalid_networks(layers, input_shape, message):
    with pytest.raises(ConvMathError, match=message):
        Network(layers, input_shape=input_shape)


@pytest.mark.parametrize(
    "layer",
    [
        pytest.param({"type": "Dropout", "p": 0}, id="dropout-p-0"),
        pytest.param({"type": "Dropout3d", "p": 1.0}, id="dropout-p-1"),
        pytest.param({"type": "ReLU", "inplace": True}, id="relu-inplace"),
        pytest.param({"type": "GELU", "approximate": "tanh"}, id="gelu-tanh"),
        pytest.param({"type": "Softmax", "dim": -1}, id="softmax-dim"),
        pytest.param({"type": "ELU", "alpha": 2}, id="elu-alpha-int"),
    ],
)
def test_valid_elementwise_options_keep_the_shape(layer):
    assert Network([layer], input_shape=(3, 8, 8)).out_shapes == ((3, 8, 8),)


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        pytest.param("a.yaml", "", r"must end in \.toml or \.json", id="extension"),
        pytest.param("a.toml", "input_shape = [1, 2", r"is not valid TOML", id="bad-toml"),
        pytest.param("a.json", "{", r"is not valid JSON", id="bad-json"),
        pytest.param("a.toml", '[[layer]]\ntype = "ReLU"\n', r"a.toml: the spec has no input_shape", id="no-shape"),
        pytest.param("a.toml", "input_shape = [1, 2, 2]\n", r"the spec has no layers", id="no-layers"),
        pytest.param(
            "a.toml", "input_shape = [1, 2, 2]\nlayrs = 1\n", r"spec key 'layrs' is not allowed", id="unknown-key"
        ),
        pytest.param(
            "a.toml",
            'input_shape = [1, 4, 4]\n[[layer]]\ntype = "MaxPool2d"\nkernel_size = 8\n',
            r"a.toml: layer 1 \(MaxPool2d, kernel_size=8\): input 4x4 is smaller than the window \(8x8\)",
            id="layer-error",
        ),
    ],
)
def test_invalid_spec_files(tmp_path, filename, content, message):
    path = tmp_path / filename
    path.write_text(content)
    with pytest.raises(ConvMathError, match=message):
        Network.from_file(path)


def test_unknown_bundled_name():
    with pytest.raises(
        ConvMathError, match=r"spec 'resnet' is not a bundled spec; use a \.toml/\.json path or one of 'alexnet'"
    ):
        Network.load("resnet")


def test_cli_shape(capsys, tmp_path):
    assert cli_main(["shape", "lenet5"]) == 0
    assert "Total params: 61,706" in capsys.readouterr().out
    assert cli_main(["shape", "vgg16", "--format", "json", "--convention", "flops"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["convention"] == "flops" and data["total_params"] == 138_357_544
    bad = tmp_path / "bad.toml"
    bad.write_text('input_shape = [1, 1, 1]\n[[layer]]\ntype = "MaxPool2d"\nkernel_size = 2\n')
    assert cli_main(["shape", str(bad)]) == 2
    assert "layer 1 (MaxPool2d, kernel_size=2): input 1x1 is smaller than the window" in capsys.readouterr().err


# --- the numeric backend as a witness -------------------------------------------

import numpy as np  # noqa: E402
from _backend import dims, run_pool  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from convmath import numeric as _numeric_backend  # noqa: E402
from convmath.layers import layer_params  # noqa: E402
from convmath.testing.strategies import layer_stacks  # noqa: E402


def run_numeric(numeric, net, x, rng):
    """Run ``x`` (one sample, or a batch when the network has one) through ``net``.

    Returns the shapes after every layer and the number of trainable values
    each layer needed, counted from the arrays actually handed to the backend.
    """
    shapes, needed = [], []
    for layer in net.layers:
        used = 0
        if layer.family in ("conv", "conv_transpose"):
            kernel = dims(layer, "kernel_size")
            cin, cout, groups = layer["in_channels"], layer["out_channels"], layer["groups"]
            shape = (cout, cin // groups, *kernel) if layer.family == "conv" else (cin, cout // groups, *kernel)
            weight = rng.standard_normal(shape)
            bias = rng.standard_normal(cout) if layer["bias"] else None
            used = weight.size + (0 if bias is None else bias.size)
            options = dict(stride=layer["stride"], padding=layer["padding"], dilation=layer["dilation"], groups=groups)
            if layer.family == "conv":
                x = numeric.correlate(x, weight, bias, **options)
            else:
                x = numeric.conv_transpose(x, weight, bias, output_padding=layer["output_padding"], **options)
        elif layer.family in ("maxpool", "avgpool"):
            x = run_pool(numeric, layer, x)
        elif layer.family == "flatten":
            lead = x.shape[: x.ndim - len(net.in_shapes[layer.index - 1])]
            x = x.reshape(*lead, -1)
        elif layer.family == "linear":
            weight = rng.standard_normal((layer["out_features"], layer["in_features"]))
            bias = rng.standard_normal(layer["out_features"]) if layer["bias"] else None
            used = weight.size + (0 if bias is None else bias.size)
            x = x @ weight.T + (0 if bias is None else bias)
        else:
            x = np.maximum(x, 0) if layer.type == "ReLU" else x
        shapes.append(x.shape)
        needed.append(used)
    return shapes, needed


@st.composite
def networks(draw):
    """Stacks from convmath.testing.strategies.layer_stacks, sometimes with a transposed
    convolution, a dilated or grouped convolution, and a Flatten + Linear head."""
    input_shape, layers = draw(layer_stacks(max_layers=4, max_size=12, max_channels=4))
    channels = input_shape[0]
    for layer in layers:
        channels = layer.get("out_channels", channels)
    if draw(st.booleans(), label="grouped dilated conv"):
        groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]), label="groups")
        layers.append(
            {
                "type": "Conv2d",
                "out_channels": 2 * groups,
                "kernel_size": 2,
                "dilation": 2,
                "padding": 2,
                "groups": groups,
            }
        )
    if draw(st.booleans(), label="transposed conv"):
        layers.append(
            {
                "type": "ConvTranspose2d",
                "out_channels": 2,
                "kernel_size": draw(st.integers(1, 3)),
                "stride": draw(st.integers(1, 2)),
                "bias": draw(st.booleans()),
            }
        )
    if draw(st.booleans(), label="head"):
        layers += [{"type": "Flatten"}, {"type": "Linear", "out_features": draw(st.integers(1, 5))}]
    batch = draw(st.sampled_from([(), (2,)]), label="batch")
    return (*batch, *input_shape), layers, bool(batch)


@settings(deadline=None)
@given(networks(), st.integers(0, 2**32 - 1))
def test_summary_matches_the_numeric_backend(spec, seed):
    numeric = _numeric_backend
    input_shape, layers, batch = spec
    net = Network(layers, input_shape=input_shape, batch=batch)
    rng = np.random.default_rng(seed)
    shapes, needed = run_numeric(numeric, net, rng.standard_normal(input_shape), rng)
    summary = net.summary()
    assert [row.output_shape for row in summary.rows] == shapes
    assert [row.params for row in summary.rows] == needed == [layer_params(layer) for layer in net.layers]
    assert summary.total_params == sum(needed)


def test_bundled_lenet5_runs_through_the_numeric_backend():
    numeric = _numeric_backend
    net = Network.bundled("lenet5")
    rng = np.random.default_rng(0)
    shapes, needed = run_numeric(numeric, net, rng.standard_normal((1, 28, 28)), rng)
    assert shapes == list(net.out_shapes)
    assert sum(needed) == net.summary().total_params == 61_706


def test_symbolic_input_size():
    from convmath import n

    layers = [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 10},
    ]
    symbolic = Network(layers, input_shape=(3, n, n))
    assert symbolic.out_shapes[1][1:] == (pool_output_size(n, 2),) * 2
    summary = symbolic.summary()
    for size in (8, 9, 16):
        concrete = Network(layers, input_shape=(3, size, size)).summary()
        assert summary.total_params.subs(n, size) == concrete.total_params
        assert summary.total_macs.subs(n, size) == concrete.total_macs
    assert json.loads(summary.to_json())["rows"][0]["macs"] == str((4 * 3 * 9 + 4) * n**2)


# --- optional: the same specs built as torch.nn modules (skipped without torch) ---

_INFERRED = ("in_channels", "in_features", "num_features")


def _torch_module(torch, layer):
    args = dict(layer.given)
    args.update({name: layer[name] for name in _INFERRED if name in layer.args and layer[name] is not None})
    return getattr(torch.nn, layer.type)(**args)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name", ["alexnet", "lenet5", "vgg16"]
)  # the plain sequences (branched: test_network_graph.py)
def test_bundled_specs_build_in_torch(name):
    torch = pytest.importorskip("torch")
    net = Network.bundled(name)
    with torch.device("meta"):  # shapes and parameter counts without allocating VGG's 138M weights
        x = torch.empty((1, *net.input_shape))
        for layer, out_shape in zip(net.layers, net.out_shapes):
            module = _torch_module(torch, layer)
            x = module(x)
            assert tuple(x.shape[1:]) == out_shape, layer.context
            assert sum(p.numel() for p in module.parameters()) == layer_params(layer), layer.context


@pytest.mark.torch
@settings(deadline=None)
@given(networks())
def test_random_networks_build_in_torch(spec):
    torch = pytest.importorskip("torch")
    input_shape, layers, batch = spec
    net = Network(layers, input_shape=input_shape, batch=batch)
    batched = net.batch_size is not None
    with torch.device("meta"):
        x = torch.empty(input_shape if batched else (1, *input_shape))
        for layer, row in zip(net.layers, net.summary().rows):
            module = _torch_module(torch, layer)
            x = module(x)
            assert tuple(x.shape) == (row.output_shape if batched else (1, *row.output_shape)), layer.context
            assert sum(p.numel() for p in module.parameters()) == row.params, layer.context


@pytest.mark.torch
@pytest.mark.parametrize(("affine", "track"), [(True, True), (False, True), (True, False)])
def test_batchnorm_counts_match_torch(affine, track):
    torch = pytest.importorskip("torch")
    from convmath import batchnorm_params

    module = torch.nn.BatchNorm2d(16, affine=affine, track_running_stats=track)
    count = batchnorm_params(16, affine=affine, track_running_stats=track)
    assert sum(p.numel() for p in module.parameters()) == count.params
    assert sum(b.numel() for b in module.buffers()) == count.buffers


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        pytest.param(
            {"type": "MaxPool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True},
            (1, 2, 2),
            (1, 1, 1),
            id="MaxPool2d(3, 2, ceil_mode=True)-on-2x2",
        ),
        pytest.param(
            {"type": "MaxPool1d", "kernel_size": 4, "ceil_mode": True}, (1, 2), (1, 1), id="max_pool1d-4-on-2"
        ),
        pytest.param(
            {"type": "AvgPool2d", "kernel_size": 2, "ceil_mode": True}, (4, 1, 1), (4, 1, 1), id="AvgPool2d-on-1x1"
        ),
    ],
)
def test_ceil_mode_pooling_on_inputs_smaller_than_the_window(layer, input_shape, expected):
    assert Network([layer], input_shape).output_shape == expected
    with pytest.raises(ConvMathError, match="smaller than the window"):
        Network([{**layer, "ceil_mode": False}], input_shape)


def test_batchnorm1d_after_linear_is_an_mlp_head():
    net = Network(
        [
            {"type": "Linear", "out_features": 10},
            {"type": "BatchNorm1d"},
            {"type": "ReLU"},
            {"type": "Linear", "out_features": 2},
        ],
        input_shape=(20,),
    )
    assert net.out_shapes == ((10,), (10,), (10,), (2,))
    assert net.layers[1]["num_features"] == 10
    assert net.summary().total_params == (20 * 10 + 10) + 2 * 10 + (10 * 2 + 2)
    with pytest.raises(ConvMathError, match=r"BatchNorm1d expects \(C,\) or \(C, L\) per sample"):
        Network([{"type": "BatchNorm1d"}], input_shape=(2, 3, 4))


@pytest.mark.parametrize("batch", [True, 2], ids=["batch=True", "batch=2"])
def test_batch_is_explicit_never_guessed(batch):
    """Rank-free layers before Flatten: the first entry is a channel unless batch says otherwise (PyTorch: 48)."""
    layers = [{"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 5}]
    assert Network(layers, (3, 4, 4), batch=batch if batch is not True else False).layers[-1]["in_features"] == 48
    shape = (2, 3, 4, 4) if batch is True else (3, 4, 4)
    net = Network(layers, shape, batch=batch)
    assert net.layers[-1]["in_features"] == 48 and net.batch_size == 2
    assert net.summary().rows[-1].output_shape == (2, 5)
    assert Network(layers, (2, 3, 4, 4)).layers[-1]["in_features"] == 96  # no batch given: 2 is a channel


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param(dict(batch=0), r"batch=0 must be a positive integer", id="zero"),
        pytest.param(dict(batch="yes"), r"batch='yes' must be a positive integer", id="string"),
    ],
)
def test_bad_batch(kwargs, message):
    with pytest.raises(ConvMathError, match=message):
        Network([{"type": "ReLU"}], (3, 4, 4), **kwargs)
