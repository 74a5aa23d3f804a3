"""convmath.misconceptions: each wrong formula against a hand computation, and the feedback texts."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import convmath
from convmath import conv_output_size, d, k, n, p, s
from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE, QUANTITIES, Misconception, feedback

STAGE = [{"type": "Conv2d", "kernel_size": 3, "padding": 1}, {"type": "MaxPool2d", "kernel_size": 2}]
X = np.arange(9).reshape(3, 3)
K = np.arange(4).reshape(2, 2)

# label, positional args, keyword args, the wrong answer as the student computes it by hand
CASES = [
    ("forgot_plus_one", (32, 5), dict(stride=2, padding=1), (32 + 2 * 1 - 5) // 2),
    ("ceil_not_floor", (32, 5), dict(stride=2, padding=1), math.ceil((32 + 2 * 1 - 5) / 2) + 1),
    ("no_floor", (32, 5), dict(stride=2, padding=1), (32 + 2 * 1 - 5) / 2 + 1),
    ("padding_once", (32, 5), dict(padding=2), 32 + 2 - 5 + 1),
    ("padding_total_doubled", (8, 3), dict(total_padding=2), (8 - 3 + 2 * 2 + 1) // 1),
    ("ignored_dilation", (7, 3), dict(dilation=2), 7 - 3 + 1),
    ("dilated_kernel_dk", (7, 3), dict(dilation=2), 7 - 2 * 3 + 1),
    ("ignored_stride", (8, 3), dict(stride=2, padding=1), 8 + 2 * 1 - 3 + 1),
    ("transpose_as_conv", (3, 3), dict(stride=2, padding=1), (3 + 2 * 1 - 3) // 2 + 1),
    ("transpose_padding_added", (3, 3), dict(stride=2, padding=1), (3 - 1) * 2 + 2 * 1 + (3 - 1) + 1),
    ("transpose_n_times_s", (3, 3), dict(stride=2, padding=1), 3 * 2 - 2 * 1 + (3 - 1) + 1),
    ("output_padding_ignored", (3, 3), dict(stride=2, padding=1, output_padding=1), (3 - 1) * 2 - 2 * 1 + (3 - 1) + 1),
    ("pool_stride_one", (4, 2), {}, (4 - 2) // 1 + 1),
    ("pool_padding_one_side", (5, 2), dict(padding=1), (5 + 1 - 2) // 2 + 1),
    ("ceil_mode_ignored", (5, 2), dict(ceil_mode=True), (5 - 2) // 2 + 1),
    ("ceil_mode_last_window_kept", (5, 2), dict(padding=1, ceil_mode=True), math.ceil((5 + 2 * 1 - 2) / 2) + 1),
    ("forgot_bias", (1, 1, 3), {}, 1 * 3 * 3 * 1),
    ("bias_per_input_channel", (3, 16, 3), {}, 3 * 3 * 3 * 16 + 3),
    ("groups_ignored", (16, 32, 3), dict(groups=4), 16 * 3 * 3 * 32 + 32),
    ("kernel_not_squared", (16, 32, 3), {}, 16 * 3 * 32 + 32),
    ("params_ignored_in_channels", (16, 32, 3), {}, 3 * 3 * 32 + 32),
    ("in_out_swapped", (32, 64, 3), dict(bias=False), 64 * 3 * 3 + 32 * 64),
    ("macs_as_flops", (3, 10, 1, 10), dict(convention="macs"), 2 * (10 * 3 * 1 * 1 * 10 * 10)),
    ("macs_bias_counted", (3, 10, 1, 10), dict(convention="macs"), (10 * 3 + 10) * 10 * 10),
    ("macs_input_size", (3, 10, 3, 10), dict(convention="macs"), 10 * 3 * 3 * 3 * 10 * 10),
    ("macs_per_position", (3, 10, 3, 10), dict(convention="macs"), 10 * 3 * 3 * 3),
    ("rf_sum_of_kernels", (STAGE + STAGE,), {}, 3 + 2 + 3 + 2),
    ("rf_ignored_strides", (STAGE + STAGE,), {}, 1 + 2 + 1 + 2 + 1),
    ("rf_own_stride_included", (STAGE + STAGE,), {}, 1 + 2 * 1 + 1 * 2 + 2 * 2 + 1 * 4),
    ("rf_is_effective_stride", (STAGE + STAGE,), {}, 1 * 2 * 1 * 2),
    ("rf_ignored_dilation", ([{"type": "Conv1d", "kernel_size": 3, "dilation": 2}] * 2,), {}, 1 + 2 + 2),
]


@pytest.mark.parametrize("label, args, kwargs, expected", CASES, ids=[case[0] for case in CASES])
def test_wrong_formula_by_hand(label: str, args: tuple, kwargs: dict, expected: object) -> None:
    assert CATALOGUE[label].wrong(*args, **kwargs) == expected


def test_array_misconceptions_by_hand() -> None:
    # seed 003: the 3x3 input 0..8 correlated with the 2x2 kernel 0..3 gives 19, 25, 37, 43
    np.testing.assert_array_equal(CATALOGUE["kernel_not_flipped"].wrong(X, K), [[19, 25], [37, 43]])
    # flipped kernel [[3, 2], [1, 0]]: 0*3 + 1*2 + 3*1 + 4*0 = 5, ...
    np.testing.assert_array_equal(CATALOGUE["kernel_flipped"].wrong(X, K), [[5, 11], [23, 29]])
    per_channel = CATALOGUE["channels_not_summed"].wrong(np.stack([X, X + 1]), np.stack([K, K]))
    assert per_channel.shape == (2, 2, 2)
    np.testing.assert_array_equal(per_channel[1], [[19 + 6, 25 + 6], [37 + 6, 43 + 6]])  # +1 everywhere: + (0+1+2+3)


def test_symbolic_wrong_formulas() -> None:
    right = conv_output_size(n, k, stride=s, padding=p, dilation=d)
    assert CATALOGUE["forgot_plus_one"].wrong(n, k, stride=s, padding=p, dilation=d) == right - 1
    assert CATALOGUE["ceil_not_floor"].wrong(n, k, stride=s, padding=p, dilation=d) == right.replace(sympy.floor, sympy.ceiling)
    assert CATALOGUE["padding_once"].wrong(n, k, stride=s, padding=p, dilation=d) == conv_output_size(
        n + p, k, stride=s, padding=0, dilation=d)
    assert CATALOGUE["no_floor"].wrong(n, k, stride=s, padding=p) == (n + 2 * p - k) / s + 1


def test_catalogue_shape() -> None:
    assert len(CATALOGUE) >= 20
    assert convmath.CATALOGUE is CATALOGUE and convmath.Misconception is Misconception
    for label, item in CATALOGUE.items():
        assert item.label == label and re.fullmatch(r"[a-z0-9_]+", label)
        assert item.quantity in QUANTITIES
        assert callable(item.wrong)
        for locale in ("en", "zh"):
            assert item.title[locale] and "{value}" in item.feedback[locale]
        assert re.search(r"[\u4e00-\u9fff]", item.feedback["zh"]), label


def test_every_catalogue_label_has_a_case() -> None:
    tested = {case[0] for case in CASES} | {"kernel_not_flipped", "kernel_flipped", "channels_not_summed"}
    assert tested == set(CATALOGUE)


@pytest.mark.parametrize(
    "label, value, locale, text",
    [
        pytest.param("padding_once", 15, "en", "15 is what you get with padding counted once, p instead of 2p", id="en"),
        pytest.param("padding_once", 15, "zh", "15 是只加了一次填充（用 p 而不是 2p）", id="zh"),
        pytest.param("no_floor", 15.5, "en", "15.5 is not a whole number", id="float"),
        pytest.param("forgot_bias", 9.0, "en", "9 counts the weights only", id="integral-float"),
    ],
)
def test_feedback(label: str, value: object, locale: str, text: str) -> None:
    assert feedback(label, value, locale).startswith(text)


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(("nope", 1), r"label='nope' is not allowed", id="label"),
        pytest.param(("forgot_bias", 1, "fr"), r"locale='fr' is not allowed; use one of 'en', 'zh'", id="locale"),
    ],
)
def test_feedback_invalid(args: tuple, message: str) -> None:
    with pytest.raises(ConvMathError, match=message):
        feedback(*args)


SIZE_LABELS = ["forgot_plus_one", "ceil_not_floor", "no_floor", "padding_once", "ignored_dilation",
               "dilated_kernel_dk", "ignored_stride"]


@settings(max_examples=50)
@given(
    size=st.integers(1, 64), kernel=st.integers(1, 7), stride=st.integers(1, 4),
    padding=st.integers(0, 3), dilation=st.integers(1, 3),
)
def test_size_misconceptions_are_defined_or_refuse(size: int, kernel: int, stride: int, padding: int, dilation: int) -> None:
    """A wrong formula either gives a number or refuses with ConvMathError; never anything else."""
    try:
        right = conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
    except ConvMathError:
        return
    for label in SIZE_LABELS:
        try:
            value = CATALOGUE[label].wrong(size, kernel, stride=stride, padding=padding, dilation=dilation)
        except ConvMathError:
            continue
        assert isinstance(value, (int, float))
    assert CATALOGUE["forgot_plus_one"].wrong(size, kernel, stride=stride, padding=padding, dilation=dilation) == right - 1
    assert right - 1 < CATALOGUE["no_floor"].wrong(size, kernel, stride=stride, padding=padding, dilation=dilation) < right + 1
