"""Receptive fields: hand tables, the three forms of Araujo et al., seed 001, invalid stacks."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from convmath import ConvMathError, Network, effective_kernel_size, receptive_field


def conv(k, s=1, p=0, d=1, nd=2):
    return {"type": f"Conv{nd}d", "out_channels": 1, "kernel_size": k, "stride": s, "padding": p, "dilation": d}


def maxpool(k, s=None, p=0):
    return {"type": "MaxPool2d", "kernel_size": k, "stride": s, "padding": p}


@pytest.mark.parametrize(
    ("layers", "r", "S", "P"),
    [
        pytest.param([conv(3)], 3, 1, 0, id="one-3x3"),
        pytest.param([conv(3), conv(3)], 3 + (3 - 1) * 1, 1, 0, id="two-3x3-is-5x5"),
        pytest.param([conv(3)] * 3, 3 + 2 + 2, 1, 0, id="three-3x3-is-7x7"),
        pytest.param([conv(3, s=2, p=1), conv(3)], 3 + (3 - 1) * 2, 2, 1 + 0 * 2, id="strided-first"),
        pytest.param([conv(3, p=1), maxpool(2)], 3 + (2 - 1) * 1, 2, 1, id="conv-pool"),
        pytest.param([conv(3, d=2)], 2 * (3 - 1) + 1, 1, 0, id="dilated"),
        pytest.param([conv(11, s=4, p=2), maxpool(3, 2)], 11 + (3 - 1) * 4, 4 * 2, 2, id="alexnet-start"),
        pytest.param([conv(7, s=2, p=3), maxpool(3, 2, 1)], 7 + (3 - 1) * 2, 2 * 2, 3 + 1 * 2, id="resnet-stem"),
        pytest.param([conv(1, s=2), conv(3)], 1 + (3 - 1) * 2, 2, 0, id="stride-larger-than-kernel"),
    ],
)
def test_hand_examples(layers, r, S, P):
    last = receptive_field(layers)[-1]
    assert (last.r, last.S, last.P) == ((r, r), (S, S), (P, P))


def test_seed001_two_conv_pool_stages_on_100x100():
    # "two conv+pool stages, 100x100 -> 25x25, each output corresponds to a 4x4 region"
    stage = [
        {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"type": "MaxPool2d", "kernel_size": 2},
    ]
    net = Network(stage + stage, input_shape=(1, 100, 100))
    assert net.output_shape[1:] == (25, 25)
    last = receptive_field(net)[-1]
    assert last.S == (100 // 25, 100 // 25) == (4, 4)
    assert last.r == (1 + (3 - 1) * 1 + (2 - 1) * 1 + (3 - 1) * 2 + (2 - 1) * 2,) * 2 == (10, 10)
    assert last.r != last.S


def test_vgg16_pool5():
    fields = receptive_field(Network.bundled("vgg16"))
    pool5 = fields[31 - 1]
    assert pool5.name == "MaxPool2d"
    assert (
        pool5.r[0]
        == 1 + (2 * 2 + 1) * 1 + (2 * 2 + 1) * 2 + (3 * 2 + 1) * 4 + (3 * 2 + 1) * 8 + (3 * 2 + 1) * 16
        == 212
    )
    assert pool5.S[0] == 2**5
    assert pool5.P[0] == 1 * (1 + 1) + 1 * 2 * 2 + 1 * 4 * 3 + 1 * 8 * 3 + 1 * 16 * 3 == 90
    assert fields[-1] is None  # the classifier sees everything


def test_rectangular_and_centre():
    last = receptive_field([conv((3, 5), p=(1, 0)), maxpool((2, 1), (2, 1))])[-1]
    assert last.r == (3 + 1, 5 + 0)
    assert last.S == (2, 1)
    assert last.P == (1, 0)
    assert last.centre == (sympy.Rational(3, 2) - 1, 2)  # (r - 1)/2 - P
    assert last.region(1, 3) == ((1 * 2 - 1, 1 * 2 - 1 + 4 - 1), (3, 3 + 5 - 1))


def test_undefined_after_flatten_and_transpose():
    fields = receptive_field([conv(3), {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "out_features": 2}])
    assert [f is not None for f in fields] == [True, True, False, False]
    fields = receptive_field([conv(3), {"type": "ConvTranspose2d", "kernel_size": 2, "stride": 2}, conv(3)])
    assert [f is not None for f in fields] == [True, False, False]


def test_adaptive_pool_needs_the_input_size():
    layers = [conv(3, p=1), {"type": "AdaptiveAvgPool2d", "output_size": 4}]
    assert receptive_field(layers)[-1] is None
    fields = receptive_field(Network(layers, input_shape=(1, 8, 8)))
    assert (fields[-1].r, fields[-1].S) == ((3 + (8 // 4 - 1),) * 2, (8 // 4,) * 2)
    assert receptive_field(Network(layers, input_shape=(1, 9, 9)))[-1] is None  # windows of 2 and 3


def layer_tuples(max_layers=5):
    return st.lists(
        st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(0, 3), st.integers(1, 3)),
        min_size=1,
        max_size=max_layers,
    )


@given(layer_tuples())
def test_recurrence_matches_closed_form_and_backward_recurrence(stack):
    fields = receptive_field([conv(k, s, p, d, nd=1) for k, s, p, d in stack])
    for depth in range(1, len(stack) + 1):
        sub = stack[:depth]
        keff = [d * (k - 1) + 1 for k, _, _, d in sub]
        strides = [s for _, s, _, _ in sub]
        closed_r = sum((keff[l] - 1) * math.prod(strides[:l]) for l in range(depth)) + 1
        closed_P = sum(sub[l][2] * math.prod(strides[:l]) for l in range(depth))
        backward = 1  # r_L = 1, r_{l-1} = s_l r_l + (k_l - s_l)
        for l in reversed(range(depth)):
            backward = strides[l] * backward + (keff[l] - strides[l])
        record = fields[depth - 1]
        assert record.r == (closed_r,) == (backward,)
        assert record.S == (math.prod(strides),)
        assert record.P == (closed_P,)


@settings(deadline=None)  # sympy's first substitutions are slow on a loaded machine
@given(layer_tuples(max_layers=3))
def test_symbolic_closed_form_substitutes(stack):
    symbols = [sympy.symbols(f"k{i} s{i} p{i} d{i}", integer=True, positive=True) for i in range(len(stack))]
    symbolic = receptive_field([conv(*sym, nd=1) for sym in symbols])[-1]
    numeric = receptive_field([conv(k, s, p, d, nd=1) for k, s, p, d in stack])[-1]
    values = {sym: v for syms, vals in zip(symbols, stack) for sym, v in zip(syms, vals)}
    assert tuple(e.subs(values) for e in symbolic.r) == numeric.r
    assert tuple(e.subs(values) for e in symbolic.P) == numeric.P
    assert tuple(e.subs(values) for e in symbolic.centre) == numeric.centre


def test_symbolic_identical_layers():
    k, s = sympy.symbols("k s", integer=True, positive=True)
    last = receptive_field([conv(k, s, nd=1)] * 3)[-1]
    assert sympy.expand(last.r[0] - ((k - 1) * (1 + s + s**2) + 1)) == 0
    assert last.S == (s**3,)


def test_effective_kernel_size():
    assert [effective_kernel_size(3, dilation=d) for d in (1, 2, 3)] == [3, 2 * 2 + 1, 3 * 2 + 1]


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        pytest.param(
            [conv(3), conv(3, nd=1)],
            r"layer 2 \(Conv1d, .*\): works on 1 spatial dimensions but the stack has 2",
            id="mixed-dims",
        ),
        pytest.param("Conv2d", r"layers='Conv2d' must be a Network or a list of layer dicts", id="string"),
        pytest.param([{"kernel_size": 3}], r"layer 1: .* has no 'type'", id="no-type"),
        pytest.param(
            [{"type": "Conv2d", "kernel_size": 3, "strides": 2}],
            r"layer 1 \(Conv2d, kernel_size=3, strides=2\): argument 'strides' is not allowed",
            id="typo",
        ),
        pytest.param([conv(0)], r"kernel_size=0 must be a positive integer", id="zero-kernel"),
        pytest.param([], r"^layers=\[\] must hold at least one layer$", id="empty"),
        pytest.param((), r"^layers=\[\] must hold at least one layer$", id="empty-tuple"),
        pytest.param(
            [conv(3), {"type": "Dropout", "p": 2}],
            r"layer 2 \(Dropout, p=2\): p=2 must be a probability in \[0, 1\]",
            id="dropout-p",
        ),
    ],
)
def test_invalid(layers, message):
    with pytest.raises(ConvMathError, match=message):
        receptive_field(layers)


# --- empirical witness: impulses through the numeric backend ------------------

import itertools  # noqa: E402

import numpy as np  # noqa: E402
from _backend import dims, run_pool  # noqa: E402
from hypothesis import assume, settings  # noqa: E402

from convmath import numeric as _numeric_backend  # noqa: E402


def _run(numeric, net, x, rng):
    """Run ``x`` (batch first) through ``net`` with positive weights and no bias."""
    for layer in net.layers:
        if layer.family == "conv":
            kernel = dims(layer, "kernel_size")
            weight = rng.uniform(0.5, 1.5, size=(layer["out_channels"], layer["in_channels"], *kernel))
            x = numeric.correlate(
                x, weight, None, stride=layer["stride"], padding=layer["padding"], dilation=layer["dilation"]
            )
        elif layer.family in ("maxpool", "avgpool"):
            x = run_pool(numeric, layer, x)
        else:
            assert layer.type == "ReLU"
            x = np.maximum(x, 0)
    return x


@st.composite
def stacks_1d(draw):
    """Conv1d / MaxPool1d / AvgPool1d / ReLU stacks (dicts) with an input long enough to have interior units."""
    layers = []
    for position in range(draw(st.integers(1, 4), label="layers")):
        kind = (
            "Conv1d"
            if position == 0
            else draw(st.sampled_from(["Conv1d", "MaxPool1d", "AvgPool1d", "ReLU"]), label="type")
        )
        if kind == "ReLU":
            layers.append({"type": "ReLU"})
            continue
        k = draw(st.integers(1, 4), label="kernel_size")
        s = draw(st.integers(1, 3), label="stride")
        if kind == "Conv1d":
            layers.append(
                {
                    "type": kind,
                    "out_channels": draw(st.integers(1, 2), label="out_channels"),
                    "kernel_size": k,
                    "stride": s,
                    "padding": draw(st.integers(0, 2), label="padding"),
                    "dilation": draw(st.integers(1, 2), label="dilation"),
                }
            )
        else:
            layers.append(
                {
                    "type": kind,
                    "kernel_size": k,
                    "stride": s,
                    "padding": draw(st.integers(0, k // 2), label="padding"),
                    "ceil_mode": draw(st.booleans(), label="ceil_mode"),
                }
            )
    return layers


def _dense(layers):
    """No holes inside the field: every kernel at least as wide as its stride, no dilation."""
    return all(
        layer.get("dilation", 1) == 1 and layer["kernel_size"] >= layer["stride"]
        for layer in layers
        if "kernel_size" in layer
    )


@settings(deadline=None)
@given(stacks_1d(), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_impulses_light_exactly_the_receptive_field_1d(layers, extra, seed):
    numeric = _numeric_backend
    field = receptive_field(layers)[-1]
    (r,), (S,), (P,) = field.r, field.S, field.P
    n = r + P + S + extra
    try:
        net = Network(layers, input_shape=(1, n))
    except ConvMathError:
        assume(False)
    x = np.eye(n).reshape(n, 1, n)  # batch entry j: an impulse at input position j
    y = _run(numeric, net, x, np.random.default_rng(seed))
    lit = y[:, 0, :] > 0  # lit[j, i]: input j reaches output unit i
    for i in range(y.shape[-1]):
        ((start, end),) = field.region(i)
        reached = set(np.flatnonzero(lit[:, i]))
        assert reached <= set(range(max(start, 0), min(end, n - 1) + 1))
        if 0 <= start and end <= n - 1:  # an interior unit: its cone holds no padding
            assert {start, end} <= reached
            if _dense(layers):
                assert reached == set(range(start, end + 1))


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(0, 1)), min_size=1, max_size=3),
    st.integers(0, 2**32 - 1),
)
def test_impulses_light_exactly_the_receptive_field_2d(stack, seed):
    numeric = _numeric_backend
    layers = []
    for k_, s_, p_ in stack:
        layers += [
            {"type": "Conv2d", "out_channels": 1, "kernel_size": (k_, k_ + 1), "stride": (s_, 1), "padding": (p_, 0)},
            {"type": "ReLU"},
        ]
    field = receptive_field(layers)[-1]
    h, w = (r + P + S for r, S, P in zip(field.r, field.S, field.P))
    net = Network(layers, input_shape=(1, h, w))
    x = np.eye(h * w).reshape(h * w, 1, h, w)
    y = _run(numeric, net, x, np.random.default_rng(seed))
    for i, j in itertools.product(range(y.shape[2]), range(y.shape[3])):
        (top, bottom), (left, right) = field.region(i, j)
        expected = {
            (a, b)
            for a in range(max(top, 0), min(bottom, h - 1) + 1)
            for b in range(max(left, 0), min(right, w - 1) + 1)
        }
        reached = {divmod(int(q), w) for q in np.flatnonzero(y[:, 0, i, j] > 0)}
        assert reached <= expected
        if top >= 0 and left >= 0 and bottom <= h - 1 and right <= w - 1 and all(k_ >= s_ for k_, s_, _ in stack):
            assert reached == expected


# --- networks with branches: receptive fields vs an impulse witness -----------------

from convmath import numeric as _numeric  # noqa: E402


def _run_graph(net, x, rng):
    """Run ``x`` (batch first) through a branched ``net``: positive weights, no bias, joins by numpy."""
    values = [x]
    for node in net.nodes:
        layer = node.layer
        if layer.type == "Add":
            y = sum(values[i] for i in node.inputs)
        elif layer.type == "Concat":
            y = np.concatenate([values[i] for i in node.inputs], axis=1)
        elif layer.family == "conv":
            weight = rng.uniform(
                0.5, 1.5, size=(layer["out_channels"], layer["in_channels"], *dims(layer, "kernel_size"))
            )
            y = _numeric.correlate(
                values[node.inputs[0]],
                weight,
                None,
                stride=layer["stride"],
                padding=layer["padding"],
                dilation=layer["dilation"],
            )
        else:
            assert layer.family == "avgpool", layer.type
            y = run_pool(_numeric, layer, values[node.inputs[0]])
        values.append(y)
    return values[-1]


def _branch_conv(draw, out_channels):
    """A stride-1 convolution that keeps the length: padding 'same' (an even kernel pads one more on the right)."""
    return {
        "type": "Conv1d",
        "out_channels": out_channels,
        "kernel_size": draw(st.integers(1, 4), label="branch kernel"),
        "padding": "same",
        "dilation": draw(st.integers(1, 2), label="branch dilation"),
    }


@st.composite
def branched_1d(draw):
    """Trunk convolutions / average pools with residual additions and concatenations between them."""
    channels, layers = 1, []
    for _ in range(draw(st.integers(1, 4), label="items")):
        kind = draw(st.sampled_from(["conv", "pool", "add", "concat"]), label="kind")
        if kind == "conv":
            channels = draw(st.integers(1, 2), label="out_channels")
            layers.append(
                {
                    "type": "Conv1d",
                    "out_channels": channels,
                    "kernel_size": draw(st.integers(1, 4)),
                    "stride": draw(st.integers(1, 2)),
                    "padding": draw(st.integers(0, 1)),
                }
            )
        elif kind == "pool":
            k = draw(st.integers(1, 3))
            layers.append(
                {
                    "type": "AvgPool1d",
                    "kernel_size": k,
                    "stride": draw(st.integers(1, 2)),
                    "padding": draw(st.integers(0, k // 2)),
                }
            )
        elif kind == "add":
            body = [_branch_conv(draw, channels) for _ in range(draw(st.integers(1, 2), label="body length"))]
            other = [_branch_conv(draw, channels) for _ in range(draw(st.integers(0, 1), label="shortcut length"))]
            layers.append({"type": "Add", "branch": [body, other]})
        else:
            widths = [draw(st.integers(1, 2)) for _ in range(2)]
            layers.append({"type": "Concat", "branch": [[_branch_conv(draw, w)] for w in widths] + [[]]})
            channels += sum(widths)
    return layers


@settings(deadline=None)
@given(branched_1d(), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_impulses_stay_in_the_field_of_a_branched_network(layers, extra, seed):
    """Gradient-support witness: an impulse reaches a unit only inside its region, and its ends are reached."""
    field = receptive_field(layers)[-1]
    assume(field is not None)
    (r,), (S,), (P,) = field.r, field.S, field.P
    n = r + P + S + extra
    try:
        net = Network(layers, input_shape=(1, n))
    except ConvMathError:  # an input too short for some window: try a longer one
        assume(False)
    assert receptive_field(net)[-1] == field
    x = np.eye(n).reshape(n, 1, n)
    y = _run_graph(net, x, np.random.default_rng(seed))
    lit = (y > 0).any(axis=1)  # every output channel: a concatenation puts branches side by side
    for i in range(y.shape[-1]):
        ((start, end),) = field.region(i)
        reached = set(np.flatnonzero(lit[:, i]))
        assert reached <= set(range(max(start, 0), min(end, n - 1) + 1))
        if 0 <= start and end <= n - 1:
            assert {start, end} <= reached


@pytest.mark.parametrize(
    "branches, r, P, aligned",
    [
        pytest.param([[{"type": "Conv1d", "kernel_size": 3, "padding": 1}], []], 3, 1, True, id="centred-residual"),
        pytest.param(
            [[{"type": "Conv1d", "kernel_size": 2, "padding": "same"}], []], 2, 0, False, id="even-kernel-residual"
        ),
        pytest.param(
            [
                [{"type": "Conv1d", "kernel_size": 3, "padding": 1}],
                [{"type": "Conv1d", "kernel_size": 5, "padding": 2}],
            ],
            5,
            2,
            True,
            id="inception-like",
        ),
        pytest.param(
            [
                [{"type": "Conv1d", "kernel_size": 3, "padding": 2, "dilation": 2}],
                [{"type": "Conv1d", "kernel_size": 2, "padding": 1}],
            ],
            5,
            2,
            False,
            id="dilated-vs-shifted",
        ),
    ],
)
def test_fields_through_branches(branches, r, P, aligned):
    field = receptive_field([{"type": "Add", "branch": branches}])[-1]
    assert (field.r, field.P, field.aligned) == ((r,), (P,), aligned)


def test_a_global_gate_leaves_the_field_undefined():
    gate = [{"type": "AdaptiveAvgPool1d", "output_size": 1}, {"type": "Conv1d", "out_channels": 2, "kernel_size": 1}]
    net = Network(
        [{"type": "Conv1d", "out_channels": 2, "kernel_size": 3}, {"type": "Multiply", "branch": [[], gate]}], (2, 8)
    )
    fields = receptive_field(net)
    assert fields[0].r == (3,) and fields[-1] is None


def test_bundled_resnet18_field_and_alignment():
    net = Network.bundled("resnet18")
    fields = dict(zip((layer.path for layer in net.layers), receptive_field(net)))
    last = fields["layer4.1.relu"]
    assert last.S == (2 * 2 * 2 * 2 * 2,) * 2
    # the longest path (the 3x3 convolutions; the 1x1 shortcuts see less):
    # 7 + 2*2 (stem) + 4*2*4 (layer1) + (2*4 + 3*2*8) + (2*8 + 3*2*16) + (2*16 + 3*2*32)
    assert last.r == (435, 435)
    assert all(f.aligned for f in fields.values() if f is not None)
    assert fields["avgpool"].r == (435 + 6 * 32,) * 2  # the 7 x 7 average of the last map


def test_anything_with_layers_and_in_shapes():
    """receptive_field takes any object with ``layers`` and ``in_shapes`` (and ``inputs`` for a graph)."""
    import types

    net = Network.bundled("resnet18")
    duck = types.SimpleNamespace(layers=net.layers, in_shapes=net.in_shapes, inputs=net.inputs)
    assert receptive_field(duck) == receptive_field(net)
    chain_only = types.SimpleNamespace(
        layers=Network.bundled("lenet5").layers, in_shapes=Network.bundled("lenet5").in_shapes
    )
    assert receptive_field(chain_only) == receptive_field(Network.bundled("lenet5"))
