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
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.counting import conv_macs
from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import bilingual, check_options, conv_size_working, make_exercise, make_part, wrong_answers

_LABELS = ("macs_input_size", "macs_bias_counted", "macs_as_flops", "macs_per_position")


def _draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("conv_macs", options)
    c_in, c_out = rng.choice((1, 3, 4, 8, 12, 16, 24, 32, 64)), rng.choice((4, 8, 12, 16, 24, 32, 48, 64, 128))
    k = rng.choice((1, 3, 3, 5))
    h = rng.choice((7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 56, 64))
    w = h if difficulty < 3 else rng.choice((7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 56, 64))
    s = 1 if difficulty == 1 else rng.choice((1, 2, 2))
    p = k // 2 if difficulty == 1 or rng.random() < 0.5 else 0
    groups = rng.choice((2, 4)) if difficulty == 3 else 1
    if c_in % groups or c_out % groups or (difficulty == 2 and s == 1 and p == k // 2):
        return None
    try:
        oh, ow = conv_output_size((h, w), k, stride=s, padding=p)
    except ConvMathError:
        return None
    options_ = {"stride": s, "padding": p, "groups": groups, "bias": True, "convention": "macs"}
    macs = conv_macs(c_in, c_out, k, (h, w), **options_)
    labels = [label for label in _LABELS if label != "macs_input_size" or (oh, ow) != (h, w)]
    wrongs = wrong_answers(macs, {label: (lambda label=label: CATALOGUE[label].wrong(c_in, c_out, k, (h, w), **options_))
                                  for label in labels})
    size_labels = ["padding_once"] if p else []
    size_labels += ["ignored_stride"] if s > 1 else []
    size_wrongs = wrong_answers((oh, ow), {
        label: (lambda label=label: tuple(CATALOGUE[label].wrong(x, k, stride=s, padding=p) for x in (h, w)))
        for label in size_labels + ["forgot_plus_one"]})
    if wrongs is None or size_wrongs is None:
        return None
    call = f"nn.Conv2d({c_in}, {c_out}, kernel_size={k}" + (f", stride={s}" if s > 1 else "") \
        + (f", padding={p}" if p else "") + (f", groups={groups}" if groups > 1 else "") + ")"
    prompt = bilingual(
        f"`{call}` is applied to one input of shape $({c_in}, {h}, {w})$ (channels, height, width).",
        f"对一个形状为 $({c_in}, {h}, {w})$（通道，高，宽）的输入使用 `{call}`。")
    work_h = conv_size_working(h, k, stride=s, left=p, right=p)
    work_w = conv_size_working(w, k, stride=s, left=p, right=p)
    per = c_in // groups * k * k
    g_tex = f"\\frac{{{c_in}}}{{{groups}}}" if groups > 1 else f"{c_in}"
    macs_tex = f"{c_out}\\cdot {oh}\\cdot {ow}\\cdot {g_tex}\\cdot {k}\\cdot {k} = {macs}"
    en = [f"(a) Height: $o_h = {work_h.tex}$; width: $o_w = {work_w.tex}$.",
          f"(b) Each output element is a dot product of one filter with one window: ${g_tex}\\cdot {k}\\cdot {k} = {per}$ "
          "multiply-adds. There are $c_\\mathrm{out}\\cdot o_h\\cdot o_w$ output elements.",
          f"MACs $= c_\\mathrm{{out}}\\, o_h\\, o_w\\, \\frac{{c_\\mathrm{{in}}}}{{g}}\\, k^2 = {macs_tex}$ "
          f"(FLOPs would be twice that, {2 * macs})."]
    zh = [f"(a) 高：$o_h = {work_h.tex}$；宽：$o_w = {work_w.tex}$。",
          f"(b) 每个输出元素是一个卷积核与一个窗口的点积：${g_tex}\\cdot {k}\\cdot {k} = {per}$ 次乘加；"
          "输出元素共有 $c_\\mathrm{out}\\cdot o_h\\cdot o_w$ 个。",
          f"MACs $= c_\\mathrm{{out}}\\, o_h\\, o_w\\, \\frac{{c_\\mathrm{{in}}}}{{g}}\\, k^2 = {macs_tex}$"
          f"（若按 FLOPs 计则为两倍，即 {2 * macs}）。"]
    parts = [
        make_part("a", bilingual("What is the (height, width) of the output? Define `out_shape`.",
                                 "输出的（高，宽）是多少？请把结果赋给变量 `out_shape`。"),
                  AnswerSpec("shape", "out_shape", (oh, ow)), f"out_shape = ({work_h.code}, {work_w.code})", size_wrongs),
        make_part("b", bilingual("How many multiply-accumulate operations (MACs) do its weights perform? Count one "
                                 "multiply-add as one MAC and leave the bias out. Define `macs`.",
                                 "权重一共做了多少次乘加运算（MACs）？一次乘法加一次加法算作一次 MAC，不计偏置。"
                                 "请把结果赋给变量 `macs`。"),
                  AnswerSpec("integer", "macs", macs),
                  f"macs = {c_out} * {oh} * {ow} * ({c_in} // {groups}) * {k} * {k}", wrongs),
    ]
    params = {"in_channels": c_in, "out_channels": c_out, "kernel_size": k, "height": h, "width": w, "stride": s,
              "padding": p, "groups": groups}
    return make_exercise("conv_macs", difficulty, params, prompt, parts, {"en": en, "zh": zh})


register(Family("conv_macs", bilingual("Multiply-accumulates of a convolution", "卷积层的乘加运算量"), (1, 2, 3), _draw))
