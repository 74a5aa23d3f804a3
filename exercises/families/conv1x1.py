r"""A 1×1 convolution is a fully connected layer applied at every pixel.

The seed ``004_...`` (d2l's lecture on channels) makes the point: with a 1×1
kernel, output channel ``o`` at pixel ``(i, j)`` is
:math:`\sum_c W_{o,c} X_{c,i,j} + b_o`, i.e. the matrix product
:math:`W \, X_{\text{flat}}` with ``X`` reshaped to ``(c_i, h w)``.

Difficulty 1: 2-3 input channels, 2 output channels, a 2×2 image, no bias;
the output and the parameter count. Difficulty 2: with a bias and a larger
image; adds the multiply-accumulates. Difficulty 3: adds the parameter count
of a fully connected layer from the whole flattened input to the whole
flattened output, which is what locality and weight sharing save.

Reference values: :func:`convmath.numeric.correlate`,
:func:`convmath.counting.conv_params`, :func:`convmath.counting.conv_macs`,
:func:`convmath.counting.linear_params`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from convmath.errors import ConvMathError

from ..model import AnswerSpec, Exercise, Part
from . import Family, register
from ._arrays import code_line, draw_matrix, py_array, tex_matrix, wrong_answers
from ._common import check_options, make_exercise

__all__ = ["FAMILY"]

NAME = "conv1x1_as_linear"


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    """Draw one variant (``None`` when a misconception cannot be told apart)."""
    from convmath.counting import conv_macs, conv_params, linear_params
    from convmath.misconceptions import CATALOGUE
    from convmath.numeric import correlate

    check_options(NAME, options)
    c_in = rng.choice([2, 3]) if difficulty == 1 else rng.choice([3, 4] if difficulty == 3 else [2, 3])
    c_out = 2 if difficulty == 1 else rng.choice([2, 3])
    h, w = (2, 2) if difficulty == 1 else rng.choice([(2, 3), (3, 2), (3, 3)])
    bias_on = difficulty >= 2
    x = draw_matrix(rng, (c_in, h, w), 0, 3)
    weight = draw_matrix(rng, (c_out, c_in), -1, 2, nonzero=True)
    bias = draw_matrix(rng, (c_out,), -2, 2, nonzero=True) if bias_on else np.zeros(c_out, dtype=np.int64)
    y_float = correlate(x.astype(np.float64), weight[:, :, None, None].astype(np.float64),
                        bias.astype(np.float64) if bias_on else None)
    y = np.rint(np.asarray(y_float)).astype(np.int64)
    flat = weight @ x.reshape(c_in, -1) + bias[:, None]
    if not np.array_equal(flat.reshape(c_out, h, w), y):  # two witnesses: the matrix product and the backend
        raise ConvMathError("the 1x1 correlation and the matrix product disagree")
    params = int(conv_params(c_in, c_out, 1, bias=bias_on))
    macs = int(conv_macs(c_in, c_out, 1, (h, w), bias=False, convention="macs"))
    fc = int(linear_params(c_in * h * w, c_out * h * w, bias=bias_on))

    not_summed = np.stack([CATALOGUE["channels_not_summed"].wrong(x, weight[o][:, None, None]) + bias[o] for o in range(c_out)])
    y_cands = [("channels_not_summed", lambda: not_summed)]
    if bias_on:
        y_cands.append(("forgot_bias", lambda: y - bias[:, None, None]))
    y_wrong = wrong_answers(y, y_cands, required=[label for label, _ in y_cands])
    p_cands = [("params_ignored_in_channels", lambda: CATALOGUE["params_ignored_in_channels"].wrong(c_in, c_out, 1, bias=bias_on))]
    if bias_on:
        p_cands += [
            ("forgot_bias", lambda: CATALOGUE["forgot_bias"].wrong(c_in, c_out, 1)),
            ("bias_per_input_channel", lambda: CATALOGUE["bias_per_input_channel"].wrong(c_in, c_out, 1)),
        ]
    p_wrong = wrong_answers(params, p_cands, required=["bias_per_input_channel"] if bias_on else [])
    m_wrong = wrong_answers(macs, [
        ("macs_as_flops", lambda: CATALOGUE["macs_as_flops"].wrong(c_in, c_out, 1, (h, w))),
        ("macs_per_position", lambda: CATALOGUE["macs_per_position"].wrong(c_in, c_out, 1, (h, w))),
    ], required=["macs_as_flops", "macs_per_position"])
    fc_wrong = wrong_answers(fc, [("forgot_bias", lambda: fc - c_out * h * w)] if bias_on else [])
    if y_wrong is None or p_wrong is None or m_wrong is None or fc_wrong is None:
        return None

    x_tex = r", \quad ".join(rf"X_{{{c}}} = {tex_matrix(x[c])}" for c in range(c_in))
    bias_tex = rf", \qquad b = {tex_matrix(bias)}^\top" if bias_on else ""
    layer = f"`nn.Conv2d({c_in}, {c_out}, kernel_size=1{'' if bias_on else ', bias=False'})`"
    prompt = {
        "en": (f"A 1×1 convolution {layer} is applied to an input $X$ with {c_in} channels of size {h}×{w}:\n\n"
               f"$${x_tex}$$\n\nIts weights, one row per output channel and one column per input channel, are\n\n"
               f"$$W = {tex_matrix(weight)}{bias_tex}$$\n\nThe setup cell defines `X` (channels × rows × columns)"
               + (", `W` and `b`." if bias_on else " and `W`.")),
        "zh": (f"对 {c_in} 个通道、每个通道 {h}×{w} 的输入 $X$ 做 1×1 卷积 {layer}：\n\n$${x_tex}$$\n\n"
               f"权重矩阵（每行对应一个输出通道，每列对应一个输入通道）为\n\n$$W = {tex_matrix(weight)}{bias_tex}$$\n\n"
               "下面的代码单元定义了 `X`（通道 × 行 × 列）" + ("、`W` 和 `b`。" if bias_on else "和 `W`。")),
    }
    parts = [
        Part("a", {"en": f"The output $Y$, shaped ({c_out}, {h}, {w}); define `Y`.",
                   "zh": f"输出 $Y$，形状为 ({c_out}, {h}, {w})；定义 `Y`。"},
             AnswerSpec("array", "Y", expected=y, atol=1e-9), 3.0, y_wrong, code_line("Y", "array", y)),
        Part("b", {"en": "The number of trainable parameters of the layer; define `n_params`.",
                   "zh": "该层可训练参数的个数；定义 `n_params`。"},
             AnswerSpec("integer", "n_params", expected=params), 1.0, p_wrong,
             code_line("n_params", "integer", params)),
    ]
    if difficulty >= 2:
        parts.append(Part("c", {
            "en": "The multiply-accumulates (MACs) of the layer on this input, weights only (bias not counted); define `macs`.",
            "zh": "该层在此输入上的乘加次数（MACs），只计权重（不计偏置）；定义 `macs`。"},
            AnswerSpec("integer", "macs", expected=macs), 1.0, m_wrong, code_line("macs", "integer", macs)))
    if difficulty >= 3:
        parts.append(Part("d", {
            "en": (f"A fully connected layer `nn.Linear({c_in * h * w}, {c_out * h * w})` from the whole flattened input to the "
                   "whole flattened output could compute any such map. How many parameters does it have? Define `n_params_fc`."),
            "zh": (f"从整个展平输入到整个展平输出的全连接层 `nn.Linear({c_in * h * w}, {c_out * h * w})` 可以表示任意这样的映射。"
                   "它有多少个参数？定义 `n_params_fc`。")},
            AnswerSpec("integer", "n_params_fc", expected=fc), 1.0, fc_wrong,
            code_line("n_params_fc", "integer", fc)))
    b_term = " + b_o" if bias_on else ""
    bias_count = f" + {c_out}" if bias_on else ""
    y0 = " + ".join(f"{'(%d)' % weight[0, c] if weight[0, c] < 0 else weight[0, c]}\\cdot{x[c, 0, 0]}" for c in range(c_in))
    y0 += (f" + ({bias[0]})" if bias[0] < 0 else f" + {bias[0]}") if bias_on else ""
    steps_en = [
        rf"At every pixel the layer mixes channels only: $Y_{{o,i,j}} = \sum_c W_{{o,c}} X_{{c,i,j}}{b_term}$, i.e. "
        rf"$Y = W X_{{\mathrm{{flat}}}}$ with $X$ reshaped to $({c_in}, {h * w})$.",
        rf"For example $Y_{{0,0,0}} = {y0} = {y[0, 0, 0]}$.",
        *(rf"$Y_{{{o}}} = {tex_matrix(y[o])}$" for o in range(c_out)),
        rf"Parameters: ${c_out}\cdot{c_in}\cdot 1\cdot 1{bias_count} = {params}$"
        + (" (one bias per output channel)." if bias_on else "."),
    ]
    steps_zh = [
        rf"在每个像素上，该层只在通道之间做线性组合：$Y_{{o,i,j}} = \sum_c W_{{o,c}} X_{{c,i,j}}{b_term}$，即把 $X$ 变形为 "
        rf"$({c_in}, {h * w})$ 后 $Y = W X_{{\mathrm{{flat}}}}$。",
        rf"例如 $Y_{{0,0,0}} = {y0} = {y[0, 0, 0]}$。",
        *(rf"$Y_{{{o}}} = {tex_matrix(y[o])}$" for o in range(c_out)),
        rf"参数个数：${c_out}\cdot{c_in}\cdot 1\cdot 1{bias_count} = {params}$" + ("（每个输出通道一个偏置）。" if bias_on else "。"),
    ]
    if difficulty >= 2:
        steps_en.append(rf"MACs: one per weight and output pixel, ${c_out}\cdot{c_in}\cdot{h}\cdot{w} = {macs}$.")
        steps_zh.append(rf"乘加次数：每个权重在每个输出像素各一次，${c_out}\cdot{c_in}\cdot{h}\cdot{w} = {macs}$。")
    if difficulty >= 3:
        fc_bias = f" + {c_out * h * w}" if bias_on else ""
        steps_en.append(rf"Fully connected: ${c_in * h * w}\cdot{c_out * h * w}{fc_bias} = {fc}$ parameters, against {params} "
                        "for the 1×1 convolution, which shares its weights across pixels.")
        steps_zh.append(rf"全连接层：${c_in * h * w}\cdot{c_out * h * w}{fc_bias} = {fc}$ 个参数；1×1 卷积在各像素间共享权重，只需 {params} 个。")
    setup = f"import numpy as np\n\nX = {py_array(x)}\nW = {py_array(weight)}" + (f"\nb = {py_array(bias)}" if bias_on else "")
    drawn = {"x": x.tolist(), "weight": weight.tolist(), "bias": bias.tolist() if bias_on else None}
    return make_exercise(NAME, difficulty, drawn, prompt, parts, {"en": steps_en, "zh": steps_zh}, setup_code=setup)


FAMILY = register(
    Family(
        name=NAME,
        title={"en": "1×1 convolution as a fully connected layer", "zh": "1×1 卷积即全连接层"},
        difficulties=(1, 2, 3),
        draw=draw,
    )
)
