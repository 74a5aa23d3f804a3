"""The bundled branched specs: published parameter counts, and torchinfo's summary of torchvision's models.

Parameter counts are those torchvision publishes in its weight metadata
(``torchvision/models/<module>.py``, ``<Model>_Weights.IMAGENET1K_V1.meta["num_params"]``
in https://github.com/pytorch/vision). The torchinfo comparisons need torch,
torchvision and torchinfo (the ``dev`` extra) and skip without them.
"""

from __future__ import annotations

import json

import pytest
from _torchvision import BUILDERS, models

from convmath import ConvMathError, Network
from convmath.cli import main as cli_main
from convmath.network import bundled_specs

#: torchvision weight metadata "num_params" (pytorch/vision, torchvision/models/*.py)
PUBLISHED_PARAMS = {
    "resnet18": 11_689_512,  # resnet.py, ResNet18_Weights.IMAGENET1K_V1
    "resnet50": 25_557_032,  # resnet.py, ResNet50_Weights.IMAGENET1K_V1
    "densenet121": 7_978_856,  # densenet.py, DenseNet121_Weights.IMAGENET1K_V1
    "googlenet": 6_624_904,  # googlenet.py, GoogLeNet_Weights.IMAGENET1K_V1 (no auxiliary classifiers)
    "squeezenet1_0": 1_248_424,  # squeezenet.py, SqueezeNet1_0_Weights.IMAGENET1K_V1
    "mobilenet_v2": 3_504_872,  # mobilenetv2.py, _COMMON_META of MobileNet_V2_Weights
    "mobilenet_v3_small": 2_542_856,  # mobilenetv3.py, MobileNet_V3_Small_Weights.IMAGENET1K_V1
}


def test_every_branched_model_is_bundled():
    assert set(PUBLISHED_PARAMS) <= set(bundled_specs())
    assert set(BUILDERS) == set(PUBLISHED_PARAMS)


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_published_parameter_counts(name):
    net = Network.bundled(name)
    assert net.summary().total_params == PUBLISHED_PARAMS[name]
    assert net.output_shape == (1000,)
    assert not net.is_sequence


@pytest.mark.parametrize("name", ["resnet18", "densenet121"])
def test_shape_command_json_totals(name, capsys):
    assert cli_main(["shape", name, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    summary = Network.bundled(name).summary()
    assert data["total_params"] == PUBLISHED_PARAMS[name] == summary.total_params
    assert data["total_macs"] == summary.total_macs


def test_summary_shows_the_blocks():
    text = str(Network.bundled("resnet18").summary())
    assert "Block" in text.splitlines()[2]
    line = next(line for line in text.splitlines() if "layer2.0.add.downsample" in line)
    assert line.startswith("        Conv2d-")  # indented by depth: layer2 / 0 / add / downsample
    assert any(line.startswith("    Add-") and line.rstrip().endswith("layer1.0") for line in text.splitlines())


# --- torchinfo on torchvision's own models (optional) ------------------------------


def _torchinfo_rows(name):
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    tv_models = models()
    with torch.device("meta"):  # shapes and counts only: no weights allocated, no arithmetic done
        module = BUILDERS[name](tv_models).eval()
    info = torchinfo.summary(module, (1, 3, 224, 224), verbose=0, device="meta")
    leaves = [
        (row.class_name, row.num_params, row.macs)
        for row in info.summary_list
        if row.is_leaf_layer and (row.num_params or row.macs)
    ]
    return info, leaves


#: DenseNet-121 (torchinfo takes ~30 s on it) is compared with torchinfo in test_network_from_torch.py,
#: where its from_torch summary must equal both torchinfo's and the bundled spec's, layer by layer.
TORCHINFO_CASES = [name for name in sorted(PUBLISHED_PARAMS) if name != "densenet121"]


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCHINFO_CASES)
def test_bundled_specs_equal_torchinfo_layer_by_layer(name):
    info, leaves = _torchinfo_rows(name)
    summary = Network.bundled(name).summary()
    ours = [(row.type, row.params, row.macs) for row in summary.rows if row.params or row.macs]
    assert ours == leaves
    assert summary.total_params == info.total_params == PUBLISHED_PARAMS[name]
    assert summary.total_macs == info.total_mult_adds


# --- joins: shapes checked at every join --------------------------------------------

CONV = {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}


@pytest.mark.parametrize(
    "layers, message",
    [
        pytest.param(
            [{"type": "Add", "name": "res", "branch": [{"name": "body", "layer": [CONV]}, []]}],
            r"^block 'res' \(Add\): branch body gives 8x8x8 but branch 1 \(identity\) gives 4x8x8; "
            r"an addition needs equal shapes$",
            id="residual-channels",
        ),
        pytest.param(
            [{"type": "Add", "name": "res", "branch": [[{**CONV, "out_channels": 4, "stride": 2}], []]}],
            r"branch 0 gives 4x4x4 but branch 1 \(identity\) gives 4x8x8",
            id="residual-stride",
        ),
        pytest.param(
            [{"type": "Concat", "name": "cat", "branch": [[CONV], [{"type": "MaxPool2d", "kernel_size": 2}]]}],
            r"^block 'cat' \(Concat\): branch 0 gives 8x8x8 but branch 1 gives 4x4x4; a concatenation along "
            r"dim=1 needs every other size equal$",
            id="concat-spatial",
        ),
        pytest.param(
            [{"type": "Multiply", "name": "gate", "branch": [[], [{"type": "MaxPool2d", "kernel_size": 2}]]}],
            r"branch 0 \(identity\) gives 4x8x8 but branch 1 gives 4x4x4; a product needs equal sizes or 1",
            id="gate-not-broadcastable",
        ),
        pytest.param([{"type": "Add", "branch": [[CONV]]}], r"a join needs at least 2", id="one-branch"),
        pytest.param([{"type": "Concat", "dim": 0, "branch": [[], []]}], r"dim=0 is out of range", id="concat-batch"),
        pytest.param([{"type": "Add", "branch": [[], []], "bogus": 1}], r"does not take 'bogus'", id="unknown-key"),
        pytest.param(
            [{"type": "Sequential", "name": "", "layer": [CONV]}],
            r"name='' must be a non-empty string",
            id="empty-name",
        ),
        pytest.param(
            [{**CONV, "name": "a"}, {"type": "Add", "inputs": ["a", "b"]}],
            r"inputs names 'b', which no earlier layer is called",
            id="wired-unknown-name",
        ),
        pytest.param(
            [{**CONV, "name": "a"}, {"type": "Add", "inputs": ["a", "input"]}],
            r"branch a gives 8x8x8 but branch input gives 4x8x8",
            id="wired-residual",
        ),
        pytest.param(
            [{**CONV, "name": "a"}, {"type": "ReLU", "inputs": ["a", "input"]}],
            r"must name one input; only a join",
            id="wired-two-inputs-to-a-layer",
        ),
        pytest.param(
            [{"type": "Sequential", "layer": [{"type": "Add", "branch": [[{**CONV, "strides": 2}], []]}]}],
            r"layer 1 \(0\.add2\.0\.0: |layer 1 \(.*\): argument 'strides' is not allowed|argument 'strides'",
            id="typo-inside-a-block",
        ),
    ],
)
def test_join_errors_name_both_shapes(layers, message):
    with pytest.raises(ConvMathError, match=message):
        Network(layers, (4, 8, 8))


def test_concat_and_gate_shapes():
    net = Network(
        [
            {"type": "Concat", "branch": [[CONV], [], [{**CONV, "out_channels": 2}]]},
            {
                "type": "Multiply",
                "branch": [
                    [],
                    [
                        {"type": "AdaptiveAvgPool2d", "output_size": 1},
                        {"type": "Conv2d", "out_channels": 14, "kernel_size": 1},
                        {"type": "Sigmoid"},
                    ],
                ],
            },
        ],
        (4, 8, 8),
    )
    assert net.output_shape == (8 + 4 + 2, 8, 8)
    assert net.summary().total_params == (4 * 9 * 8 + 8) + (4 * 9 * 2 + 2) + (14 * 14 + 14)


def test_a_sequence_is_a_graph_without_branches():
    layers = [CONV, {"type": "ReLU"}]
    net = Network(layers, (4, 8, 8))
    assert net.is_sequence and net.inputs == ((0,), (1,))
    wrapped = Network([{"type": "Sequential", "name": "features", "layer": layers}], (4, 8, 8))
    assert wrapped.out_shapes == net.out_shapes
    assert [layer.path for layer in wrapped.layers] == ["features.0", "features.1"]
    assert wrapped.summary().total_params == net.summary().total_params


def test_toml_spec_with_branches(tmp_path):
    spec = tmp_path / "res.toml"
    spec.write_text("""
input_shape = [4, 8, 8]

[[layer]]
type = "Add"
name = "block"
[[layer.branch]]
name = "body"
layer = [{type = "Conv2d", out_channels = 4, kernel_size = 3, padding = 1}, {type = "ReLU"}]
[[layer.branch]]
name = "shortcut"

[[layer]]
type = "ReLU"
""")
    net = Network.from_file(spec)
    assert [layer.type for layer in net.layers] == ["Conv2d", "ReLU", "Add", "ReLU"]
    assert net.inputs == ((0,), (1,), (2, 0), (3,))
    assert net.layers[0].path == "block.body.0"


def test_flat_form_with_named_inputs_equals_the_nested_form():
    nested = Network(
        [
            {
                "type": "Add",
                "name": "res",
                "branch": [
                    {"name": "body", "layer": [CONV, {"type": "ReLU"}]},
                    [{**CONV, "kernel_size": 1, "padding": 0}],
                ],
            }
        ],
        (4, 8, 8),
    )
    flat = Network(
        [
            {**CONV, "name": "c1", "inputs": ["input"]},
            {"type": "ReLU", "name": "r"},
            {**CONV, "kernel_size": 1, "padding": 0, "name": "c2", "inputs": ["input"]},
            {"type": "Add", "name": "res", "inputs": ["r", "c2"]},
        ],
        (4, 8, 8),
    )
    assert flat.inputs == nested.inputs == ((0,), (1,), (0,), (2, 3))
    assert flat.out_shapes == nested.out_shapes
    assert flat.summary().total_macs == nested.summary().total_macs


def test_absurdly_deep_nesting_is_one_error_not_a_recursion():
    spec = {"type": "ReLU"}
    for _ in range(5000):
        spec = {"type": "Sequential", "layer": [spec]}
    with pytest.raises(ConvMathError, match=r"blocks nest more than 64 deep"):
        Network([spec], (1, 4, 4))
