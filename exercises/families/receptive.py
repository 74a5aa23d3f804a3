r"""Family ``receptive_field``: the receptive field of a layer in a stack.

A stack of 2 to 5 layers (1-D or 2-D; convolutions and max or average
pooling, as in seed ``001``); the question names one layer (not always the
last: the layers after it do not matter) and asks for the receptive field of
one unit of its output.

1. stride 1 throughout: kernels and depth vary, pooling with stride 1;
2. strided convolutions and pooling: the receptive field and the effective
   stride;
3. the same with one or two dilated convolutions.

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
from ._common import bilingual, check_options, make_exercise, make_part, receptive_field_labels, wrong_answers

#: Kernel sizes of convolutions per difficulty (3 is the common one).
_CONV_KERNELS = {1: (1, 2, 3, 3, 3, 4, 5, 5, 7, 9), 2: (1, 3, 3, 3, 5, 5, 7), 3: (2, 3, 3, 3, 5, 7)}
_LARGEST_FIELD = 120


def _describe(layer: Mapping[str, Any]) -> str:
    """The layer as the PyTorch call that builds it (defaults left out)."""
    k, s = layer["kernel_size"], layer.get("stride", 1)
    if "Pool" in layer["type"]:
        extra = (f", stride={s}" if s != k else "") + (f", padding={layer['padding']}" if layer.get("padding") else "")
        return f"`nn.{layer['type']}({k}{extra})`"
    extra = "".join(f", {key}={layer[key]}" for key in ("stride", "padding", "dilation")
                    if layer.get(key, 0) > (0 if key == "padding" else 1))
    return f"`nn.{layer['type']}(c, c, {k}{extra})`"


def _conv(rng: random.Random, difficulty: int, dim: int) -> dict[str, Any]:
    k = rng.choice(_CONV_KERNELS[difficulty])
    layer: dict[str, Any] = {"type": f"Conv{dim}d", "kernel_size": k, "padding": (k - 1) // 2}
    if difficulty > 1 and rng.random() < 0.35:
        layer["stride"] = 2
    return layer


def _pool(rng: random.Random, difficulty: int, dim: int) -> dict[str, Any]:
    """Max or average pooling; its stride always written in the dict (the 1-D default is the window too)."""
    k = rng.choice((2, 3)) if difficulty == 1 else rng.choice((2, 2, 3))
    s = 1 if difficulty == 1 else rng.choice((k, k, 2))
    return {"type": f"{rng.choice(('Max', 'Avg'))}Pool{dim}d", "kernel_size": k, "stride": s,
            "padding": 1 if k == 3 and rng.random() < 0.5 else 0}


def _draw_stack(rng: random.Random, difficulty: int, dim: int) -> list[dict[str, Any]]:
    depth = rng.choice((2, 3, 3, 4, 4, 5))
    pool_share = 0.25 if difficulty == 1 else 0.4
    layers = [_pool(rng, difficulty, dim) if i and rng.random() < pool_share else _conv(rng, difficulty, dim)
              for i in range(depth)]
    if difficulty == 3:
        convs = [i for i, layer in enumerate(layers) if "Conv" in layer["type"] and layer["kernel_size"] > 1]
        for i in rng.sample(convs, min(len(convs), rng.choice((1, 1, 2)))):
            d = rng.choice((2, 2, 3, 4))
            layers[i]["dilation"] = d
            layers[i]["padding"] = d * (layers[i]["kernel_size"] - 1) // 2
    return layers


def _draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("receptive_field", options)
    dim = rng.choice((1, 2, 2))
    layers = _draw_stack(rng, difficulty, dim)
    asked = len(layers) if rng.random() < 0.5 else rng.randint(2, len(layers))
    upto = layers[:asked]
    if difficulty == 3 and not any(layer.get("dilation", 1) > 1 for layer in upto):
        return None
    records = receptive_field(upto)
    r, stride = records[-1].r[0], records[-1].S[0]
    if not 3 <= r <= _LARGEST_FIELD:
        return None
    labels = receptive_field_labels(strided=difficulty > 1, dilated=difficulty == 3)
    wrongs = wrong_answers(r, {label: (lambda label=label: CATALOGUE[label].wrong(upto)) for label in labels})
    if wrongs is None:
        return None
    stack = "\n".join(f"{i}. {_describe(layer)}" for i, layer in enumerate(layers, 1))
    which_en = "the last layer" if asked == len(layers) else f"layer {asked}"
    which_zh = "最后一层" if asked == len(layers) else f"第 {asked} 层"
    size_en, size_zh = ("its length", "长度") if dim == 1 else ("its height = width", "高 = 宽")
    ask_en = (f"What is the receptive field ({size_en}, in input positions) of one unit of the output of "
              f"{which_en}? Define `rf`.")
    ask_zh = f"{which_zh}输出中的一个单元，在输入上的感受野（{size_zh}，以输入位置计）是多少？请把结果赋给变量 `rf`。"
    what_en, what_zh = ("A signal", "一个一维信号") if dim == 1 else ("An image", "一张图像")
    prompt = bilingual(f"{what_en} goes through this stack of layers:\n\n{stack}",
                       f"{what_zh}依次经过以下各层：\n\n{stack}")
    en = [r"Going from the input, layer $l$ adds $(k'_l - 1)\,S_{l-1}$ to the receptive field, where "
          r"$k'_l = d_l(k_l - 1) + 1$ is its (dilated) kernel and $S_{l-1} = s_1 \cdots s_{l-1}$ the product of the "
          r"strides *before* it: $r = 1 + \sum_l (k'_l - 1) \prod_{i<l} s_i$ (pooling counts like a convolution)."]
    zh = [r"从输入开始，第 $l$ 层使感受野增加 $(k'_l - 1)\,S_{l-1}$，其中 $k'_l = d_l(k_l - 1) + 1$ 是（膨胀后的）核大小，"
          r"$S_{l-1} = s_1 \cdots s_{l-1}$ 是它*之前*各层步幅之积：$r = 1 + \sum_l (k'_l - 1) \prod_{i<l} s_i$"
          r"（池化层与卷积层的算法相同）。"]
    if asked < len(layers):
        en.append(f"Only layers 1 to {asked} matter: the layers after layer {asked} do not change what it sees.")
        zh.append(f"只有第 1 到第 {asked} 层有关：其后的层不改变第 {asked} 层所看到的输入范围。")
    terms, strides, prev_r, prev_s = [], [], 1, 1
    for i, (layer, record) in enumerate(zip(upto, records), 1):
        k_eff = layer.get("dilation", 1) * (layer["kernel_size"] - 1) + 1
        terms.append(f"({k_eff} - 1)*{prev_s}")
        strides.append(str(record.S[0] // prev_s))
        line = f"$r_{i} = {prev_r} + ({k_eff} - 1)\\cdot {prev_s} = {record.r[0]}$, $S_{i} = {record.S[0]}$"
        en.append(f"Layer {i}: {line}.")
        zh.append(f"第 {i} 层：{line.replace(', $S', '，$S')}。")
        prev_r, prev_s = record.r[0], record.S[0]
    en.append(f"Answer: `rf = {r}`" + (f", `effective_stride = {stride}`" if difficulty > 1 else "") + ".")
    zh.append(f"答案：`rf = {r}`" + (f"，`effective_stride = {stride}`" if difficulty > 1 else "") + "。")
    parts = [make_part("a", bilingual(ask_en, ask_zh), AnswerSpec("integer", "rf", r),
                       "rf = 1 + " + " + ".join(terms), wrongs)]
    if difficulty > 1:
        parts.append(make_part("b", bilingual(
            "How many input positions apart are neighbouring units of that output (the effective stride)? "
            "Define `effective_stride`.",
            "该输出中相邻两个单元对应到输入上相隔多少个位置（等效步幅）？请把结果赋给变量 `effective_stride`。"),
                               AnswerSpec("integer", "effective_stride", stride),
                               "effective_stride = " + " * ".join(strides)))
    return make_exercise("receptive_field", difficulty, {"layers": layers, "layer": asked}, prompt, parts,
                         {"en": en, "zh": zh})


register(Family("receptive_field", bilingual("Receptive field of a stack of layers", "多层网络的感受野"), (1, 2, 3), _draw))
