r"""Family ``receptive_field``: the receptive field of a stack of layers.

1. two or three stride-1 convolutions;
2. conv + pool stages (as in seed ``001``): the receptive field and the
   effective stride;
3. the same with a dilated convolution.

Expected values come from :func:`convmath.receptive.receptive_field`; wrong
answers from the catalogue (sum of kernel sizes, strides ignored, a layer's
own stride included, the effective stride taken for the field, dilation
ignored).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.misconceptions import CATALOGUE
from convmath.receptive import receptive_field

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import bilingual, check_options, make_exercise, make_part, wrong_answers


def _describe(layer: Mapping[str, Any]) -> str:
    if layer["type"] == "MaxPool2d":
        return f"`nn.MaxPool2d({layer['kernel_size']})`"
    extra = "".join(f", {key}={layer[key]}" for key in ("stride", "padding", "dilation") if layer.get(key, 0) > 1 or
                    (key == "padding" and layer.get(key)))
    return f"`nn.Conv2d(c, c, {layer['kernel_size']}{extra})`"


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("receptive_field", options)
    layers: list[dict[str, Any]] = []
    if difficulty == 1:
        for _ in range(rng.choice((2, 3))):
            k = rng.choice((3, 3, 5, 7))
            layers.append({"type": "Conv2d", "kernel_size": k, "padding": k // 2})
    else:
        for stage in range(rng.choice((2, 3))):
            k = rng.choice((3, 3, 5))
            conv: dict[str, Any] = {"type": "Conv2d", "kernel_size": k, "padding": k // 2}
            if rng.random() < 0.3:
                conv["stride"] = 2
            layers.append(conv)
            if "stride" not in conv:
                layers.append({"type": "MaxPool2d", "kernel_size": 2})
        if difficulty == 3:
            dilated = rng.choice([i for i, layer in enumerate(layers) if layer["type"] == "Conv2d"])
            d = rng.choice((2, 3))
            layers[dilated]["dilation"] = d
            layers[dilated]["padding"] = d * (layers[dilated]["kernel_size"] // 2)
    records = receptive_field(layers)
    r, stride = records[-1].r[0], records[-1].S[0]
    labels = ["rf_ignored_dilation"] if difficulty == 3 else []
    labels += ["rf_own_stride_included", "rf_ignored_strides", "rf_is_effective_stride"] if difficulty > 1 else []
    labels.append("rf_sum_of_kernels")
    wrongs = wrong_answers(r, {label: (lambda label=label: CATALOGUE[label].wrong(layers)) for label in labels})
    if wrongs is None:
        return None
    stack = "\n".join(f"{i}. {_describe(layer)}" for i, layer in enumerate(layers, 1))
    ask_en = "(a) What is the receptive field (its height = width, in input pixels) of one unit of the last layer's output?"
    ask_zh = "(a) 最后一层输出中的一个单元，在输入图像上的感受野（高 = 宽，以像素计）是多少？"
    if difficulty > 1:
        ask_en += " (b) How many input pixels apart are neighbouring units of that output (the effective stride)?"
        ask_zh += " (b) 该输出中相邻两个单元对应到输入上相隔多少个像素（等效步幅）？"
    prompt = bilingual(f"An image goes through this stack of layers:\n\n{stack}\n\n{ask_en}",
                       f"一张图像依次经过以下各层：\n\n{stack}\n\n{ask_zh}")
    en = [r"Going from the input, layer $l$ adds $(k'_l - 1)\,S_{l-1}$ to the receptive field, where "
          r"$k'_l = d_l(k_l - 1) + 1$ is its (dilated) kernel and $S_{l-1} = s_1 \cdots s_{l-1}$ the product of the "
          r"strides *before* it: $r = 1 + \sum_l (k'_l - 1) \prod_{i<l} s_i$."]
    zh = [r"从输入开始，第 $l$ 层使感受野增加 $(k'_l - 1)\,S_{l-1}$，其中 $k'_l = d_l(k_l - 1) + 1$ 是（膨胀后的）核大小，"
          r"$S_{l-1} = s_1 \cdots s_{l-1}$ 是它*之前*各层步幅之积：$r = 1 + \sum_l (k'_l - 1) \prod_{i<l} s_i$。"]
    terms, prev_r, prev_s = [], 1, 1
    for i, (layer, record) in enumerate(zip(layers, records), 1):
        k_eff = layer.get("dilation", 1) * (layer["kernel_size"] - 1) + 1
        terms.append(f"({k_eff} - 1)\\cdot {prev_s}")
        line = f"$r_{i} = {prev_r} + ({k_eff} - 1)\\cdot {prev_s} = {record.r[0]}$, $S_{i} = {record.S[0]}$"
        en.append(f"Layer {i}: {line}.")
        zh.append(f"第 {i} 层：{line.replace(', $S', '，$S')}。")
        prev_r, prev_s = record.r[0], record.S[0]
    en.append(f"Answer: `rf = {r}`" + (f", `effective_stride = {stride}`" if difficulty > 1 else "") + ".")
    zh.append(f"答案：`rf = {r}`" + (f"，`effective_stride = {stride}`" if difficulty > 1 else "") + "。")
    code = "rf = 1 + " + " + ".join(terms).replace("\\cdot ", "*")
    parts = [make_part("a", bilingual("Define `rf`.", "请把结果赋给变量 `rf`。"), AnswerSpec("integer", "rf", r), code, wrongs)]
    if difficulty > 1:
        strides = [str(record.S[0] // (prev.S[0] if prev else 1)) for prev, record in zip((None, *records[:-1]), records)]
        parts.append(make_part("b", bilingual("Define `effective_stride`.", "请把结果赋给变量 `effective_stride`。"),
                               AnswerSpec("integer", "effective_stride", stride),
                               "effective_stride = " + " * ".join(strides)))
    return make_exercise("receptive_field", difficulty, {"layers": layers}, prompt, parts, {"en": en, "zh": zh})


register(Family("receptive_field", bilingual("Receptive field of a stack of layers", "多层网络的感受野"), (1, 2, 3), draw))
