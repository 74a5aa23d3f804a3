"""Output-size formulas: hand-computed tables, invalid calls, and properties.

The brute-force witnesses here enumerate window positions one by one; the
numeric backend is the other, independent witness (tests/test_numeric.py).
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convmath import (
    ConvMathError,
    conv_output_size,
    conv_transpose_output_size,
    d,
    d2l_output_size,
    k,
    n,
    p,
    p_h,
    pool_output_size,
    s,
    same_padding,
    solve_for,
)

# --------------------------------------------------------------------------
# hand-computed tables


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        pytest.param((32, 5), dict(stride=2, padding=1), (32 + 2 * 1 - 5) // 2 + 1, id="readme-explain"),
        pytest.param((224, 11), dict(stride=4, padding=2), (224 + 2 * 2 - 11) // 4 + 1, id="alexnet-conv1"),
        pytest.param((28, 5), dict(padding=2), 28 + 2 * 2 - 5 + 1, id="lenet-c1-d2l"),
        pytest.param((8, 3), dict(padding=(0, 1)), (8 + 0 + 1 - 3) + 1, id="asymmetric-pair"),
        pytest.param((7, 3), dict(padding="valid"), 7 - 3 + 1, id="valid"),
        pytest.param((7, 4), dict(padding="same"), 7, id="same-even-kernel"),
        pytest.param((7, 3), dict(padding="same", dilation=3), 7, id="same-dilated"),
        pytest.param((7, 3), dict(padding="full", dilation=2), 7 + 2 * (3 - 1), id="full-dilated"),
        pytest.param((10, 3), dict(stride=3, dilation=2), (10 - 2 * (3 - 1) - 1) // 3 + 1, id="stride-dilation"),
        pytest.param(((6, 9), (3, 1)), dict(padding=((1, 0), (0, 0))), (6 + 1 - 3 + 1, 9), id="tuple-of-pairs"),
        pytest.param(((8, 8, 8), 3), dict(stride=(1, 2, 4)), (6, (8 - 3) // 2 + 1, (8 - 3) // 4 + 1), id="3d"),
        pytest.param(((5, 5), 3), dict(padding=("same", 0)), (5, 3), id="per-dim-string"),
    ],
)
def test_conv_output_size_table(args, kwargs, expected):
    assert conv_output_size(*args, **kwargs) == expected


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        pytest.param(
            (4, 3), dict(stride=2, padding=1, output_padding=1), (4 - 1) * 2 - 2 + 2 + 1 + 1, id="output-padding"
        ),
        pytest.param((7, 4), dict(stride=2, padding=1), (7 - 1) * 2 - 2 + 3 + 1, id="dcgan-upsample"),
        pytest.param((5, 3), dict(dilation=2), (5 - 1) + 2 * 2 + 1, id="dilated"),
        pytest.param(
            (5, 3), dict(stride=2, dilation=3, output_padding=2), (5 - 1) * 2 + 3 * 2 + 2 + 1, id="op-below-dilation"
        ),
    ],
)
def test_conv_transpose_output_size_table(args, kwargs, expected):
    assert conv_transpose_output_size(*args, **kwargs) == expected


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        pytest.param((4, 2), {}, (4 - 2) // 2 + 1, id="seed001-2x2"),
        pytest.param((112, 3), dict(stride=2, padding=1), (112 + 2 - 3) // 2 + 1, id="resnet-maxpool"),
        pytest.param((55, 3), dict(stride=2), (55 - 3) // 2 + 1, id="alexnet-pool1"),
        pytest.param((6, 3), dict(stride=2, ceil_mode=True), -(-(6 - 3) // 2) + 1, id="ceil-keeps-overhang"),
        pytest.param((5, 2), dict(padding=1, ceil_mode=True), 3, id="ceil-drops-window-in-right-padding"),
        pytest.param((9, 3), dict(stride=2, dilation=2), (9 - 2 * 2 - 1) // 2 + 1, id="dilated"),
    ],
)
def test_pool_output_size_table(args, kwargs, expected):
    assert pool_output_size(*args, **kwargs) == expected


def test_same_padding_odd_total_goes_right():
    assert same_padding(4) == (1, 2)
    assert same_padding(2, dilation=3) == (1, 2)


def test_d2l_total_padding_is_twice_per_side():
    for size in range(3, 12):
        for kernel in range(1, size + 1):
            for per_side in range(0, 3):
                for stride in (1, 2, 3):
                    assert d2l_output_size(size, kernel, stride=stride, total_padding=2 * per_side) == conv_output_size(
                        size, kernel, stride=stride, padding=per_side
                    )


def test_seed_004_lecture_formula_with_per_side_padding_is_the_2p_mistake():
    # The lecture's floor((n - k + p_h + s)/s) with PyTorch's padding=1 put in
    # for p_h undercounts: 8x8, k=3, padding=1 gives 7 instead of 8.
    assert d2l_output_size(8, 3, total_padding=1) == 7
    assert conv_output_size(8, 3, padding=1) == 8


# --------------------------------------------------------------------------
# symbols


def test_symbolic_forms():
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == sympy.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1
    assert sympy.latex(conv_output_size(n, k, stride=s, padding=p)) == (
        r"\left\lfloor{\frac{- k + n + 2 p}{s}}\right\rfloor + 1"  # n + 2p - (k - 1) - 1
    )
    assert d2l_output_size(n, k, stride=s, total_padding=p_h) == sympy.floor((n - k + p_h + s) / s)
    assert conv_output_size(n, k, padding="full") == n + k - 1


@settings(deadline=None)  # sympy's first substitutions are slow on a loaded machine
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 5),
    pad=st.integers(0, 4),
    dil=st.integers(1, 3),
    ceil=st.booleans(),
)
def test_symbolic_and_integer_paths_agree(size, kernel, stride, pad, dil, ceil):
    values = {n: size, k: kernel, s: stride, p: pad, d: dil}
    try:
        expected = conv_output_size(size, kernel, stride=stride, padding=pad, dilation=dil)
    except ConvMathError:
        expected = None
    if expected is not None:
        assert conv_output_size(n, k, stride=s, padding=p, dilation=d).subs(values) == expected
    assume(pad <= kernel // 2)
    assume(_count_pool_windows(size, kernel, stride, pad, dil, ceil) > 0)
    pooled = pool_output_size(size, kernel, stride=stride, padding=pad, dilation=dil, ceil_mode=ceil)
    assert pool_output_size(n, k, stride=s, padding=p, dilation=d, ceil_mode=ceil).subs(values) == pooled


# --------------------------------------------------------------------------
# brute-force witnesses: enumerate the windows


def _count_windows(size, kernel, stride, left, right, dilation):
    span = dilation * (kernel - 1) + 1
    return sum(1 for start in range(-left, size + right, stride) if start + span <= size + right)


def _count_pool_windows(size, kernel, stride, pad, dilation, ceil_mode):
    span = dilation * (kernel - 1) + 1
    count = 0
    for start in range(-pad, size + pad, stride):
        fits = start + span <= size + pad
        # ceil_mode: a window may overhang the padded end, if it starts in the input or left padding
        # and the previous window did not already reach the end.
        overhang_ok = ceil_mode and start < size and start - stride + span < size + pad
        if fits or overhang_ok:
            count += 1
    return count


@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 8),
    stride=st.integers(1, 5),
    left=st.integers(0, 4),
    right=st.integers(0, 4),
    dil=st.integers(1, 3),
)
def test_conv_output_size_counts_windows(size, kernel, stride, left, right, dil):
    span = dil * (kernel - 1) + 1
    if size + left + right < span:
        with pytest.raises(ConvMathError, match="larger than the padded input"):
            conv_output_size(size, kernel, stride=stride, padding=(left, right), dilation=dil)
        return
    got = conv_output_size(size, kernel, stride=stride, padding=(left, right), dilation=dil)
    assert got == _count_windows(size, kernel, stride, left, right, dil)


@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 5),
    dil=st.integers(1, 3),
    ceil=st.booleans(),
    data=st.data(),
)
def test_pool_output_size_counts_windows(size, kernel, stride, dil, ceil, data):
    """Including inputs smaller than the window: with ceil_mode one window starting inside is kept (PyTorch's rule)."""
    pad = data.draw(st.integers(0, kernel // 2), label="padding")
    expected = _count_pool_windows(size, kernel, stride, pad, dil, ceil)
    if expected == 0:
        with pytest.raises(ConvMathError, match="smaller than the window"):
            pool_output_size(size, kernel, stride=stride, padding=pad, dilation=dil, ceil_mode=ceil)
        return
    assert pool_output_size(size, kernel, stride=stride, padding=pad, dilation=dil, ceil_mode=ceil) == expected


@pytest.mark.parametrize(
    "n_, kernel, stride, expected",
    [
        pytest.param((2,), (4,), None, (1,), id="max_pool1d(ones(1,1,2), 4, ceil_mode=True)"),
        pytest.param((2, 2), 3, 2, (1, 1), id="MaxPool2d(3, 2, ceil_mode=True) on 2x2"),
        pytest.param((3,), (4,), 3, (1,), id="window-4-stride-3-on-3"),
    ],
)
def test_ceil_mode_keeps_one_window_on_inputs_smaller_than_it(n_, kernel, stride, expected):
    assert pool_output_size(n_, kernel, stride=stride, ceil_mode=True) == expected
    with pytest.raises(ConvMathError, match="smaller than the window"):
        pool_output_size(n_, kernel, stride=stride, ceil_mode=False)


@given(
    size=st.integers(1, 30),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 4),
    dil=st.integers(1, 3),
    data=st.data(),
)
def test_transpose_maps_back_to_every_input_size(size, kernel, stride, dil, data):
    """For every input size the convolution accepts, some output_padding maps its output back."""
    pad = data.draw(st.integers(0, dil * (kernel - 1)), label="padding")
    try:
        out = conv_output_size(size, kernel, stride=stride, padding=pad, dilation=dil)
    except ConvMathError:
        assume(False)
    assume((out - 1) * stride - 2 * pad + dil * (kernel - 1) + 1 >= 1)
    base = conv_transpose_output_size(out, kernel, stride=stride, padding=pad, dilation=dil)
    missing = size - base
    assert 0 <= missing < max(stride, dil)
    assert (
        conv_transpose_output_size(out, kernel, stride=stride, padding=pad, dilation=dil, output_padding=missing)
        == size
    )


@given(size=st.integers(1, 40), kernel=st.integers(1, 6), stride=st.integers(1, 4), pad=st.integers(0, 3))
def test_solve_for_finds_every_brute_force_solution(size, kernel, stride, pad):
    try:
        target = conv_output_size(size, kernel, stride=stride, padding=pad)
    except ConvMathError:
        assume(False)
    for name, true_value, search in [
        ("n", size, range(1, 200)),
        ("padding", pad, range(0, 200)),
        ("kernel_size", kernel, range(1, 200)),
    ]:
        known = {"n": size, "kernel_size": kernel, "stride": stride, "padding": pad}
        del known[name]
        brute = []
        for value in search:
            args = {**known, name: value}
            try:
                if conv_output_size(args.pop("n"), args.pop("kernel_size"), **args) == target:
                    brute.append(value)
            except ConvMathError:
                pass
        solved = solve_for(name, output=target, bound=199, **known)
        assert solved == brute
        assert true_value in solved


_FORMULAS = {"conv": conv_output_size, "conv_transpose": conv_transpose_output_size, "pool": pool_output_size}
_UNKNOWNS = {
    "conv": ("n", "kernel_size", "stride", "padding", "dilation"),
    "pool": ("n", "kernel_size", "stride", "padding", "dilation"),
    "conv_transpose": ("n", "kernel_size", "stride", "padding", "dilation", "output_padding"),
}


def _formula_or_none(layer, args):
    args = dict(args)
    try:
        return _FORMULAS[layer](args.pop("n"), args.pop("kernel_size"), **args)
    except ConvMathError:
        return None


@given(layer=st.sampled_from(sorted(_FORMULAS)), data=st.data())
def test_solve_for_equals_brute_force_for_every_layer_and_unknown(layer, data):
    """Every solution in [minimum, bound] of every unknown, for every formula (transposed included)."""
    args = {
        "n": data.draw(st.integers(1, 12), label="n"),
        "kernel_size": data.draw(st.integers(1, 5), label="kernel_size"),
        "stride": data.draw(st.integers(1, 4), label="stride"),
        "padding": data.draw(st.integers(0, 3), label="padding"),
        "dilation": data.draw(st.integers(1, 3), label="dilation"),
    }
    if layer == "conv_transpose":
        args["output_padding"] = data.draw(st.integers(0, 2), label="output_padding")
    if layer == "pool":
        args["ceil_mode"] = data.draw(st.booleans(), label="ceil_mode")
    target = _formula_or_none(layer, args)
    assume(target is not None)
    bound = 40
    for name in _UNKNOWNS[layer]:
        known = {key: value for key, value in args.items() if key != name}
        lowest = 0 if name in ("padding", "output_padding") else 1
        brute = [v for v in range(lowest, bound + 1) if _formula_or_none(layer, {**known, name: v}) == target]
        assert solve_for(name, layer=layer, output=target, bound=bound, **known) == brute, name
        if args[name] <= bound:
            assert args[name] in brute, name


def test_solve_for_stride_to_one_is_cut_at_bound():
    assert solve_for("stride", n=5, kernel_size=3, output=1, bound=10) == list(range(3, 11))


def test_solve_for_seed_003_lenet_paddings():
    # C1 of LeNet-5: 32x32 -> 28x28 with a 5x5 kernel needs padding 0, and 28x28 -> 28x28 needs 2.
    assert solve_for("padding", n=32, kernel_size=5, output=28) == [0]
    assert solve_for("padding", n=28, kernel_size=5, output=28) == [2]
    assert solve_for("padding", n=28, kernel_size=5, output=32) == [4]


# --------------------------------------------------------------------------
# invalid calls and their messages

INVALID = [
    pytest.param(conv_output_size, (32, 3), dict(stride=0), r"stride=0 must be a positive integer", id="stride-zero"),
    pytest.param(
        conv_output_size, (32, 3), dict(stride=-2), r"stride=-2 must be a positive integer", id="stride-negative"
    ),
    pytest.param(conv_output_size, (0, 3), {}, r"n=0 must be a positive integer", id="n-zero"),
    pytest.param(conv_output_size, (32.0, 3), {}, r"n=32.0 must be a positive integer, not float", id="n-float"),
    pytest.param(conv_output_size, ("32", 3), {}, r"n='32' must be a positive integer, not str", id="n-str"),
    pytest.param(conv_output_size, (32, True), {}, r"kernel_size=True must be a positive integer", id="kernel-bool"),
    pytest.param(
        conv_output_size,
        (3, 5),
        {},
        r"kernel_size=5 is larger than the padded input n=3 \+ padding 0\+0 = 3",
        id="kernel-too-large",
    ),
    pytest.param(
        conv_output_size,
        (3, 3),
        dict(dilation=2),
        r"kernel_size=3 and dilation=2 spans 5 is larger than the padded input",
        id="dilated-too-large",
    ),
    pytest.param(
        conv_output_size, (32, 3), dict(padding=-1), r"padding=-1 must be a non-negative integer", id="padding-negative"
    ),
    pytest.param(
        conv_output_size,
        (32, 3),
        dict(padding="half"),
        r"padding='half' is not allowed; use one of 'valid', 'same', 'full'",
        id="padding-string",
    ),
    pytest.param(
        conv_output_size,
        (32, 3),
        dict(padding=(1, 2, 3)),
        r"padding=\(1, 2, 3\) must be an integer, a \(left, right\) pair",
        id="padding-triple",
    ),
    pytest.param(
        conv_output_size,
        (32, 3),
        dict(padding="same", stride=2),
        r"padding='same' requires stride=1, not stride=2",
        id="same-stride-2",
    ),
    pytest.param(
        conv_output_size,
        ((32, 32), (3, 3, 3)),
        {},
        r"kernel_size=\(3, 3, 3\) has 3 entries but n=\(32, 32\) has 2 dimensions",
        id="tuple-length",
    ),
    pytest.param(
        conv_output_size, (32, 3), dict(dilation=0), r"dilation=0 must be a positive integer", id="dilation-zero"
    ),
    pytest.param(
        conv_transpose_output_size,
        (4, 3),
        dict(stride=2, output_padding=2),
        r"output_padding=2 must be smaller than stride=2 or dilation=1",
        id="output-padding-too-large",
    ),
    pytest.param(
        conv_transpose_output_size,
        (1, 1),
        dict(padding=1),
        r"padding=1 removes more than",
        id="transpose-negative-size",
    ),
    pytest.param(
        conv_transpose_output_size,
        (4, 3),
        dict(padding="same"),
        r"padding='same' is not allowed for a transposed convolution",
        id="transpose-same",
    ),
    pytest.param(
        pool_output_size,
        (8, 2),
        dict(padding=2),
        r"padding=2 must be at most half the kernel size, kernel_size // 2 = 1",
        id="pool-padding",
    ),
    pytest.param(
        pool_output_size, (1, 2), {}, r"input n=1 with padding=0 is smaller than the window", id="pool-too-small"
    ),
    pytest.param(pool_output_size, (8, 2), dict(ceil_mode=1), r"ceil_mode=1 must be True or False", id="pool-ceil-int"),
    pytest.param(
        pool_output_size,
        (8, 2),
        dict(padding=(0, 1)),
        r"padding=\(0, 1\) must be a non-negative integer for pooling",
        id="pool-asymmetric",
    ),
    pytest.param(same_padding, (0,), {}, r"kernel_size=0 must be a positive integer", id="same-kernel-zero"),
    pytest.param(
        d2l_output_size,
        (8, 3),
        dict(total_padding=-2),
        r"total_padding=-2 must be a non-negative integer",
        id="d2l-negative",
    ),
    pytest.param(
        solve_for,
        ("padding",),
        dict(n=32, kernel_size=5),
        r"needs the required output size as output=",
        id="solve-no-output",
    ),
    pytest.param(
        solve_for,
        ("width",),
        dict(n=32, kernel_size=5, output=32),
        r"name='width' is not allowed; use one of",
        id="solve-unknown-name",
    ),
    pytest.param(
        solve_for,
        ("padding",),
        dict(n=32, kernel_size=5, output=32, padding=1),
        r"padding=1 is the unknown",
        id="solve-unknown-given",
    ),
    pytest.param(
        solve_for,
        ("padding",),
        dict(n=32, kernel_size=5, output=32, layer="dense"),
        r"layer='dense' is not allowed",
        id="solve-layer",
    ),
]


@pytest.mark.parametrize("fn, args, kwargs, message", INVALID)
def test_invalid_calls(fn, args, kwargs, message):
    with pytest.raises(ConvMathError, match=message):
        fn(*args, **kwargs)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        conv_output_size(32, 3, stride=0)


def test_negative_symbol_refused():
    q = sympy.Symbol("q", negative=True)
    with pytest.raises(ConvMathError, match="stride=q must be a positive integer"):
        conv_output_size(n, k, stride=q)


def test_same_padding_with_a_symbolic_stride_is_refused_like_an_integer_stride():
    for stride in (s, 2):
        with pytest.raises(ConvMathError, match=rf"padding='same' requires stride=1, not stride={stride}"):
            conv_output_size(n, k, stride=stride, padding="same")
    assert conv_output_size(n, k, stride=sympy.Integer(1), padding="same") == n
