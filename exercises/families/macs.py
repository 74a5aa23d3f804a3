r"""Family ``conv_macs``: multiply-accumulates of a convolution layer.

Two parts: the output size, then the multiply-accumulates of the weights
(:func:`convmath.counting.conv_macs` with ``convention="macs"``: bias not
counted, one multiply-add counted once; the :math:`O(c_i c_o k_h k_w m_h m_w)`
of the d2l lecture).

1. stride 1, "same"-size padding (the output is the input size);
2. stride 2 or no padding (the output shrinks);
3. a grouped convolution on a non-square input.

Wrong answers: FLOPs instead of MACs, the bias counted, the input size used
for the output size, one output position only; for the size, the catalogue's
output-size misconceptions.

Three steps (:mod:`exercises.families._staged`): :func:`draw`, :func:`solve`
with :func:`convmath.counting.conv_macs` and the catalogue, :func:`render`;
the texts are ``texts/conv_macs.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.counting import conv_macs
from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size

from ..model import AnswerSpec
from ._common import check_options, conv_size_working, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "solve", "render"]

NAME = "conv_macs"
_LABELS = ("macs_input_size", "macs_bias_counted", "macs_as_flops", "macs_per_position")


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The layer and the input.

    Examples
    --------
    >>> draw(random.Random(2), 1, {})
    {'in_channels': 1, 'out_channels': 8, 'kernel_size': 1, 'height': 16, 'width': 16,
     'stride': 1, 'padding': 0, 'groups': 1}
    """
    check_options(NAME, options)
    c_in, c_out = rng.choice((1, 3, 4, 8, 12, 16, 24, 32, 64)), rng.choice((4, 8, 12, 16, 24, 32, 48, 64, 128))
    k = rng.choice((1, 3, 3, 5))
    h = rng.choice((7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 56, 64))
    w = h if difficulty < 3 else rng.choice((7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 56, 64))
    s = 1 if difficulty == 1 else rng.choice((1, 2, 2))
    p = k // 2 if difficulty == 1 or rng.random() < 0.5 else 0
    groups = rng.choice((2, 4)) if difficulty == 3 else 1
    if c_in % groups or c_out % groups or (difficulty == 2 and s == 1 and p == k // 2):
        return None
    return {
        "in_channels": c_in,
        "out_channels": c_out,
        "kernel_size": k,
        "height": h,
        "width": w,
        "stride": s,
        "padding": p,
        "groups": groups,
    }


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The output shape, the MACs, and the misconceptions' answers.

    Examples
    --------
    >>> p = {"in_channels": 4, "out_channels": 64, "kernel_size": 3, "height": 56, "width": 56, "stride": 1,
    ...      "padding": 1, "groups": 1}
    >>> [a.spec.expected for a in solve(p).answers]     # 64 * 56 * 56 * 4 * 3 * 3
    [(56, 56), 7225344]
    """
    c_in, c_out, k, h, w, s, p, groups = (
        params[key]
        for key in ("in_channels", "out_channels", "kernel_size", "height", "width", "stride", "padding", "groups")
    )
    try:
        oh, ow = conv_output_size((h, w), k, stride=s, padding=p)
    except ConvMathError:
        return None
    options_ = {"stride": s, "padding": p, "groups": groups, "bias": True, "convention": "macs"}
    macs = conv_macs(c_in, c_out, k, (h, w), **options_)
    labels = [label for label in _LABELS if label != "macs_input_size" or (oh, ow) != (h, w)]
    wrongs = wrong_answers(
        macs,
        {label: (lambda label=label: CATALOGUE[label].wrong(c_in, c_out, k, (h, w), **options_)) for label in labels},
    )
    size_labels = ["padding_once"] if p else []
    size_labels += ["ignored_stride"] if s > 1 else []
    size_wrongs = wrong_answers(
        (oh, ow),
        {
            label: (lambda label=label: tuple(CATALOGUE[label].wrong(x, k, stride=s, padding=p) for x in (h, w)))
            for label in size_labels + ["forgot_plus_one"]
        },
    )
    if wrongs is None or size_wrongs is None:
        return None
    work_h = conv_size_working(h, k, stride=s, left=p, right=p)
    work_w = conv_size_working(w, k, stride=s, left=p, right=p)
    answers = (
        Answer(
            "a", AnswerSpec("shape", "out_shape", (oh, ow)), f"{{name}} = ({work_h.code}, {work_w.code})", size_wrongs
        ),
        Answer(
            "b",
            AnswerSpec("integer", "macs", macs),
            f"{{name}} = {c_out} * {oh} * {ow} * ({c_in} // {groups}) * {k} * {k}",
            wrongs,
        ),
    )
    return Solved(answers, values={"oh": oh, "ow": ow, "macs": macs, "h_tex": work_h.tex, "w_tex": work_w.tex})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The layer call and the products, as the texts show them.

    Examples
    --------
    >>> p = {"in_channels": 4, "out_channels": 64, "kernel_size": 3, "height": 56, "width": 56, "stride": 1,
    ...      "padding": 1, "groups": 1}
    >>> render(p, solve(p), {})["call"]
    'nn.Conv2d(4, 64, kernel_size=3, padding=1)'
    """
    c_in, c_out, k, s, p, groups = (
        params[key] for key in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "groups")
    )
    values = solved.values
    call = (
        f"nn.Conv2d({c_in}, {c_out}, kernel_size={k}"
        + (f", stride={s}" if s > 1 else "")
        + (f", padding={p}" if p else "")
        + (f", groups={groups}" if groups > 1 else "")
        + ")"
    )
    g_tex = f"\\frac{{{c_in}}}{{{groups}}}" if groups > 1 else f"{c_in}"
    macs_tex = f"{c_out}\\cdot {values['oh']}\\cdot {values['ow']}\\cdot {g_tex}\\cdot {k}\\cdot {k} = {values['macs']}"
    return {
        "call": call,
        "g_tex": g_tex,
        "per": c_in // groups * k * k,
        "macs_tex": macs_tex,
        "flops": 2 * values["macs"],
    }


FAMILY = staged(
    NAME,
    title={"en": "Multiply-accumulates of a convolution", "zh": "卷积层的乘加运算量"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
)
