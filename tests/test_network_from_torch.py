"""Network.from_torch: live models read into convmath, summaries equal to torchinfo's (torch optional)."""

from __future__ import annotations

import pytest
from _torchvision import BUILDERS, models

from convmath import ConvMathError, Network

torch = pytest.importorskip("torch")
nn = torch.nn

pytestmark = pytest.mark.torch


def _leaves(info):
    return [
        (row.class_name, row.num_params, row.macs)
        for row in info.summary_list
        if row.is_leaf_layer and (row.num_params or row.macs)
    ]


def _ours(summary):
    return [(row.type, row.params, row.macs) for row in summary.rows if row.params or row.macs]


CASES = [pytest.param(name, marks=[pytest.mark.slow] if name == "densenet121" else []) for name in sorted(BUILDERS)]


@pytest.mark.parametrize("name", CASES)
def test_torchvision_models_match_torchinfo_and_the_bundled_spec(name):
    torchinfo = pytest.importorskip("torchinfo")
    tv_models = models()
    with torch.device("meta"):
        module = BUILDERS[name](tv_models).eval()
    net = Network.from_torch(module, (3, 224, 224))
    summary = net.summary()
    info = torchinfo.summary(module, (1, 3, 224, 224), verbose=0, device="meta")
    assert _ours(summary) == _leaves(info)
    assert (summary.total_params, summary.total_macs) == (info.total_params, info.total_mult_adds)
    bundled = Network.bundled(name)
    assert net.output_shape == bundled.output_shape == (1000,)
    assert _ours(summary) == _ours(bundled.summary())


class Branchy(nn.Module):
    """A small model with a residual, a concatenation, a gate and functional calls."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.left = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.right = nn.Conv2d(8, 4, 1)
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(12, 12, 1), nn.Sigmoid())
        self.head = nn.Linear(12, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = x + self.left(x)
        x = torch.cat([x, self.right(x)], dim=1)
        x = x * self.gate(x)
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        return self.head(torch.flatten(x, 1))


def test_a_handwritten_branched_model():
    module = Branchy()
    net = Network.from_torch(module, (3, 16, 16))
    assert net.output_shape == (5,)
    assert not net.is_sequence
    assert net.summary().total_params == sum(p.numel() for p in module.parameters())
    types = [layer.type for layer in net.layers]
    assert types.count("Add") == types.count("Concat") == types.count("Multiply") == 1
    with torch.no_grad():
        assert tuple(module(torch.zeros(1, 3, 16, 16)).shape[1:]) == net.output_shape


class Loopy(nn.Module):
    """Data-dependent control flow: fx cannot trace it, the hooks read it as a sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        if x.sum() > 0:  # a branch on data
            x = x * 2
        return self.act(self.conv(x))


def test_models_fx_cannot_trace_fall_back_to_hooks():
    net = Network.from_torch(Loopy(), (1, 6, 6))
    assert [layer.type for layer in net.layers] == ["Conv2d", "ReLU"]
    assert net.output_shape == (2, 4, 4)


def test_unknown_module_types_are_listed_by_name_in_one_error():
    module = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.LayerNorm([2, 4, 4]), nn.Upsample(scale_factor=2), nn.LayerNorm([2, 8, 8])
    )
    with pytest.raises(ConvMathError, match=r"no layer for: LayerNorm \(at 1, 3\); Upsample \(at 2\)"):
        Network.from_torch(module, (1, 6, 6))


def test_not_a_module():
    with pytest.raises(ConvMathError, match=r"is not a torch.nn.Module"):
        Network.from_torch("resnet18", (3, 224, 224))


class LoopyResidual(nn.Module):
    """Untraceable and branched: the hooks see module calls that do not chain, and say so."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(1, 2, 3, padding=1)
        self.b = nn.Conv2d(1, 3, 1)

    def forward(self, x):
        if x.sum() > 0:
            x = x * 2
        return torch.cat([self.a(x), self.b(x)], dim=1)


def test_hooks_refuse_module_calls_that_do_not_chain():
    with pytest.raises(
        ConvMathError,
        match=r"torch.fx cannot trace the model \(TraceError: .*\) and its module calls "
        r"do not form a sequence: b receives \[1, 1, 6, 6\] but a gave \[1, 2, 6, 6\]",
    ):
        Network.from_torch(LoopyResidual(), (1, 6, 6))
