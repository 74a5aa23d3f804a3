r"""Families ``param_count`` and ``fc_vs_conv``: counting parameters.

``param_count`` (``Conv1d``, ``Conv2d`` or ``Conv3d``; 2-D kernels sometimes
non-square)
    1. ``ConvNd(c_in, c_out, k)`` with bias;
    2. a grouped convolution, or one without bias;
    3. a depthwise-separable block (1-D or 2-D) and the full convolution it
       replaces.

``fc_vs_conv`` (the comparison of the seed tutorials)
    1. a grey image into a fully connected layer, and a small convolution;
    2. the same with an RGB image;
    3. a convolution, then a fully connected layer on its flattened output.

Counts come from :mod:`convmath.counting`; wrong answers from the catalogue
(a ``Linear`` layer on a flattened ``C x H x W`` input is the convolution with
an ``H x W`` kernel, which is how its misconceptions are evaluated).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from convmath.counting import conv_params, depthwise_separable_params, linear_params
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size

from ..model import AnswerSpec, Exercise, Part
from . import Family, register
from ._common import bilingual, check_options, make_exercise, make_part, wrong_answers

_CHANNELS = (1, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256)
_CONV_RULE = (r"A convolution has $c_\mathrm{out}$ filters of $\frac{c_\mathrm{in}}{g}\cdot k_h k_w$ weights each, "
              r"plus one bias per output channel: $\frac{c_\mathrm{in}}{g} k_h k_w c_\mathrm{out} + c_\mathrm{out}$.")
_CONV_RULE_ZH = (r"卷积层有 $c_\mathrm{out}$ 个卷积核，每个有 $\frac{c_\mathrm{in}}{g}\cdot k_h k_w$ 个权重，"
                 r"每个输出通道再加一个偏置：$\frac{c_\mathrm{in}}{g} k_h k_w c_\mathrm{out} + c_\mathrm{out}$。")


Kernel = int | tuple[int, ...]


def _kernel_factors(k: Kernel, ndim: int) -> list[int]:
    """The kernel's size along each spatial dimension."""
    return list(k) if isinstance(k, tuple) else [k] * ndim


def _conv_labels(c_in: int, c_out: int, k: Kernel, groups: int, bias: bool, ndim: int = 2) -> list[str]:
    labels = []
    if groups > 1:
        labels.append("groups_ignored")
    if bias and c_in != c_out:
        labels.append("bias_per_input_channel")
    if c_in // groups > 1:
        labels.append("params_ignored_in_channels")
    if ndim > 1 and max(_kernel_factors(k, ndim)[1:]) > 1:
        labels.append("kernel_not_squared")
    if bias:
        labels.append("forgot_bias")
    return labels


def _conv_part(key: str, name: str, c_in: int, c_out: int, k: Kernel, groups: int, bias: bool,
               ndim: int = 2) -> Part | None:
    expected = conv_params(c_in, c_out, k, groups=groups, bias=bias, ndim=ndim)
    labels = _conv_labels(c_in, c_out, k, groups, bias, ndim)
    wrongs = wrong_answers(expected, {label: (lambda label=label: CATALOGUE[label].wrong(
        c_in, c_out, k, groups=groups, bias=bias, ndim=ndim)) for label in labels})
    if wrongs is None:
        return None
    kernel = "*".join(str(f) for f in _kernel_factors(k, ndim))
    channels = f"{c_in}//{groups}" if groups > 1 else f"{c_in}"
    code = f"{name} = {channels} * {kernel} * {c_out}" + (f" + {c_out}" if bias else "")
    return make_part(key, bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
                     AnswerSpec("integer", name, expected), code, wrongs)


def _ask(part: Part, en: str, zh: str) -> Part:
    """``part`` with its question put in front of "Define `name`." (so the exercise prompt need not label it)."""
    name = part.answer.name
    return dataclasses.replace(part, prompt=bilingual(f"{en} Define `{name}`.", f"{zh}请把结果赋给变量 `{name}`。"))


def _conv_steps(c_in: int, c_out: int, k: Kernel, groups: int, bias: bool, ndim: int = 2) -> tuple[str, str]:
    value = conv_params(c_in, c_out, k, groups=groups, bias=bias, ndim=ndim)
    g = f"\\frac{{{c_in}}}{{{groups}}}\\cdot " if groups > 1 else f"{c_in}\\cdot "
    kernel = "".join(f"{f}\\cdot " for f in _kernel_factors(k, ndim))
    tex = f"{g}{kernel}{c_out}" + (f" + {c_out}" if bias else "") + f" = {value}"
    return tex, ("" if bias else " (no bias)")


_KERNEL_TEX = {1: ("k", "k"), 2: ("k_h k_w", "k_h k_w"), 3: ("k_d k_h k_w", "k_d k_h k_w")}


def _conv_rule(ndim: int) -> tuple[str, str]:
    """The parameter rule (en, zh) for an ``ndim``-D convolution."""
    if ndim == 2:
        return _CONV_RULE, _CONV_RULE_ZH
    kernel = _KERNEL_TEX[ndim][0]
    return (_CONV_RULE.replace("k_h k_w", kernel).replace("A convolution", f"A {ndim}-D convolution"),
            _CONV_RULE_ZH.replace("k_h k_w", kernel).replace("卷积层", f"{ndim} 维卷积层", 1))


def _draw_kernel(rng: random.Random, ndim: int, difficulty: int) -> Kernel:
    """A kernel size: an int, or for some 2-D layers a non-square ``(k_h, k_w)``."""
    if ndim == 2 and difficulty < 3 and rng.random() < 0.3:
        kh, kw = rng.sample((1, 2, 3, 5, 7), 2)
        return (kh, kw)
    sizes = (1, 2, 3, 3, 5, 7) if ndim < 3 else (1, 3, 3, 5)
    return rng.choice(sizes if difficulty < 3 else (2, 3, 3, 5, 7))


def _draw_param_count(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("param_count", options)
    c_in, c_out = rng.choice(_CHANNELS), rng.choice(_CHANNELS[1:])
    ndim = rng.choice((1, 2, 2, 2, 3) if difficulty < 3 else (1, 2, 2))
    k = _draw_kernel(rng, ndim, difficulty)
    groups, bias = 1, True
    if difficulty == 2:
        if rng.random() < 0.7:
            groups = rng.choice((2, 4, 8))
            if c_in % groups or c_out % groups or c_in == groups:
                return None
        else:
            bias = False
    rule_en, rule_zh = _conv_rule(ndim)
    en: list[str] = [rule_en]
    zh: list[str] = [rule_zh]
    layer = f"nn.Conv{ndim}d"
    if difficulty < 3:
        part = _conv_part("a", "params", c_in, c_out, k, groups, bias, ndim)
        if part is None:
            return None
        call = f"{layer}({c_in}, {c_out}, kernel_size={k}" + (f", groups={groups}" if groups > 1 else "") \
            + (", bias=False" if not bias else "") + ")"
        prompt = bilingual(f"How many trainable parameters does `{call}` have?",
                           f"`{call}` 有多少个可训练参数？")
        tex, _ = _conv_steps(c_in, c_out, k, groups, bias, ndim)
        en.append(f"Here: ${tex}$" + ("" if bias else " (`bias=False`: no biases)") + ".")
        zh.append(f"代入：${tex}$" + ("" if bias else "（`bias=False`，没有偏置）") + "。")
        parts = [part]
    else:
        if c_in == 1:
            return None
        bias = rng.random() < 0.5
        block = depthwise_separable_params(c_in, c_out, k, bias=bias, ndim=ndim)
        candidates = {
            "in_out_swapped": lambda: CATALOGUE["in_out_swapped"].wrong(c_in, c_out, k, bias=bias, ndim=ndim),
            "groups_ignored": lambda: CATALOGUE["groups_ignored"].wrong(c_in, c_in, k, groups=c_in, bias=bias, ndim=ndim)
            + conv_params(c_in, c_out, 1, bias=bias, ndim=ndim),
        }
        if bias:
            candidates["forgot_bias"] = lambda: depthwise_separable_params(c_in, c_out, k, bias=False, ndim=ndim)
        wrongs = wrong_answers(block, candidates)
        full = _conv_part("b", "full_params", c_in, c_out, k, 1, bias, ndim)
        if wrongs is None or full is None:
            return None
        b = f" + {c_in}" if bias else ""
        b2 = f" + {c_out}" if bias else ""
        kernel_code = "*".join([str(k)] * ndim)
        kernel_tex = "".join(f"\\cdot {k}" for _ in range(ndim))
        window = "\\times ".join([str(k)] * ndim)
        point = "k = 1" if ndim == 1 else "\\times ".join(["1"] * ndim)
        code = f"block_params = ({c_in} * {kernel_code}{b}) + ({c_in} * {c_out}{b2})"
        bias_en = "both with a bias" if bias else "both without bias (`bias=False`)"
        bias_zh = "两层都带偏置" if bias else "两层都不带偏置（`bias=False`）"
        no_bias = "" if bias else ", bias=False"
        full = _ask(full, f"How many parameters does the full convolution `{layer}({c_in}, {c_out}, {k}{no_bias})` have?",
                    f"普通卷积 `{layer}({c_in}, {c_out}, {k}{no_bias})` 有多少个参数？")
        parts = [make_part("a", bilingual("How many parameters does the block have? Define `block_params`.",
                                          "这个卷积块有多少个参数？请把结果赋给变量 `block_params`。"),
                           AnswerSpec("integer", "block_params", block), code, wrongs), full]
        prompt = bilingual(
            f"A depthwise-separable block replaces `{layer}({c_in}, {c_out}, {k})`: a depthwise convolution "
            f"`{layer}({c_in}, {c_in}, {k}, groups={c_in})` followed by a pointwise convolution "
            f"`{layer}({c_in}, {c_out}, 1)`, {bias_en}.",
            f"用深度可分离卷积块代替 `{layer}({c_in}, {c_out}, {k})`：先做逐通道卷积 "
            f"`{layer}({c_in}, {c_in}, {k}, groups={c_in})`，再做逐点卷积 `{layer}({c_in}, {c_out}, 1)`，{bias_zh}。")
        dw = conv_params(c_in, c_in, k, groups=c_in, bias=bias, ndim=ndim)
        pw = conv_params(c_in, c_out, 1, bias=bias, ndim=ndim)
        full_tex = _conv_steps(c_in, c_out, k, 1, bias, ndim)[0]
        en += [f"Depthwise: each of the {c_in} channels has its own ${window}$ filter: "
               f"${c_in}{kernel_tex}{b} = {dw}$.",
               f"Pointwise: a ${point}$ convolution from {c_in} to {c_out} channels: ${c_in}\\cdot {c_out}{b2} = {pw}$.",
               f"(a) block: ${dw} + {pw} = {block}$.",
               f"(b) full convolution: ${full_tex}$."]
        zh += [f"逐通道卷积：{c_in} 个通道各有一个 ${window}$ 卷积核：${c_in}{kernel_tex}{b} = {dw}$。",
               f"逐点卷积：从 {c_in} 个通道到 {c_out} 个通道的 ${point}$ 卷积：${c_in}\\cdot {c_out}{b2} = {pw}$。",
               f"(a) 卷积块：${dw} + {pw} = {block}$。",
               f"(b) 普通卷积：${full_tex}$。"]
    params = {"in_channels": c_in, "out_channels": c_out, "kernel_size": list(k) if isinstance(k, tuple) else k,
              "ndim": ndim, "groups": groups, "bias": bias}
    return make_exercise("param_count", difficulty, params, prompt, parts, {"en": en, "zh": zh})


def _linear_part(key: str, name: str, c: int, h: int, w: int, hidden: int) -> Part | None:
    expected = linear_params(c * h * w, hidden)
    # a Linear on a flattened C x H x W input is the convolution with an H x W kernel
    labels = ["bias_per_input_channel", "params_ignored_in_channels", "forgot_bias"] if c > 1 else ["forgot_bias"]
    wrongs = wrong_answers(expected, {
        label: (lambda label=label: CATALOGUE[label].wrong(c, hidden, (h, w)) if label != "bias_per_input_channel"
                else CATALOGUE[label].wrong(c * h * w, hidden, 1)) for label in labels})
    if wrongs is None:
        return None
    code = f"{name} = {c}*{h}*{w} * {hidden} + {hidden}"
    return make_part(key, bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
                     AnswerSpec("integer", name, expected), code, wrongs)


def _draw_fc_vs_conv(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("fc_vs_conv", options)
    c = 1 if difficulty == 1 else 3
    h = w = rng.choice((28, 32, 48, 56, 64, 96, 100, 112, 128, 160, 224, 256, 300))
    hidden = rng.choice((10, 16, 32, 50, 64, 100, 128, 200, 256, 500, 512, 1000))
    c_out, k = rng.choice((1, 8, 16, 32, 64) if difficulty < 3 else (8, 16, 32, 64)), rng.choice((3, 5))
    image_en = "grey" if c == 1 else "RGB"
    image_zh = "灰度" if c == 1 else "RGB 彩色"
    conv = _conv_part("b" if difficulty < 3 else "a", "conv_params", c, c_out, k, 1, True)
    if difficulty < 3:
        fc = _linear_part("a", "fc_params", c, h, w, hidden)
        if fc is None or conv is None:
            return None
        parts = [_ask(fc, "How many parameters does that layer have?", "这个全连接层有多少个参数？"),
                 _ask(conv, f"How many parameters does `nn.Conv2d({c}, {c_out}, {k})` have, applied to the same image?",
                      f"对同一张图像使用 `nn.Conv2d({c}, {c_out}, {k})`，它有多少个参数？")]
        prompt = bilingual(
            f"{'An' if image_en == 'RGB' else 'A'} {image_en} image of ${h}\\times {w}$ pixels ({c} channel{'s' if c > 1 else ''}) is flattened and fed to a "
            f"fully connected layer with {hidden} output units (`nn.Linear`, with bias).",
            f"把一张 ${h}\\times {w}$ 像素的{image_zh}图像（{c} 个通道）展平后输入一个有 {hidden} 个输出单元的全连接层"
            "（`nn.Linear`，带偏置）。")
        fc_value = linear_params(c * h * w, hidden)
        en = [f"(a) The flattened input has ${c}\\cdot {h}\\cdot {w} = {c * h * w}$ features; a fully connected layer has "
              f"one weight per (input, output) pair and one bias per output: ${c * h * w}\\cdot {hidden} + {hidden} = {fc_value}$.",
              f"(b) {_CONV_RULE} Here ${_conv_steps(c, c_out, k, 1, True)[0]}$, whatever the image size."]
        zh = [f"(a) 展平后的输入有 ${c}\\cdot {h}\\cdot {w} = {c * h * w}$ 个特征；全连接层每对（输入，输出）有一个权重，"
              f"每个输出有一个偏置：${c * h * w}\\cdot {hidden} + {hidden} = {fc_value}$。",
              f"(b) {_CONV_RULE_ZH}这里 ${_conv_steps(c, c_out, k, 1, True)[0]}$，与图像大小无关。"]
        params = {"channels": c, "height": h, "width": w, "hidden": hidden, "out_channels": c_out, "kernel_size": k}
    else:
        s = rng.choice((1, 2))
        o = conv_output_size(h, k, stride=s)
        if conv is None:
            return None
        feat = c_out * o * o
        size_part = make_part("b", bilingual("Define `features` (the flattened size).", "请把展平后的特征数赋给变量 `features`。"),
                              AnswerSpec("integer", "features", feat), f"features = {c_out} * (({h} - {k}) // {s} + 1)**2",
                              wrong_answers(feat, {
                                  "forgot_plus_one": lambda: c_out * CATALOGUE["forgot_plus_one"].wrong(h, k, stride=s) ** 2,
                              }) or ())
        fc = _linear_part("c", "fc_params", c_out, o, o, hidden)
        if fc is None:
            return None
        parts = [_ask(conv, "How many parameters does the convolution have?", "卷积层有多少个参数？"),
                 _ask(size_part, "How many features come out of the flatten?", "展平后有多少个特征？"),
                 _ask(fc, "How many parameters does the fully connected layer have?", "全连接层有多少个参数？")]
        prompt = bilingual(
            f"An RGB image of ${h}\\times {w}$ goes through `nn.Conv2d(3, {c_out}, {k}, stride={s})`; the result is "
            f"flattened (`nn.Flatten()`) and fed to `nn.Linear(features, {hidden})`.",
            f"一张 ${h}\\times {w}$ 的 RGB 图像先经过 `nn.Conv2d(3, {c_out}, {k}, stride={s})`，结果展平（`nn.Flatten()`）后"
            f"输入 `nn.Linear(features, {hidden})`。")
        fc_value = linear_params(feat, hidden)
        ratio = round(Fraction(fc_value, conv_params(3, c_out, k)))  # to the nearest, as 'about' says
        versus_en = f": about {ratio} times the convolution's" if ratio >= 2 else ""
        versus_zh = f"：约为卷积层的 {ratio} 倍" if ratio >= 2 else ""
        en = [f"(a) {_CONV_RULE} Here ${_conv_steps(3, c_out, k, 1, True)[0]}$.",
              f"(b) The output is ${o}\\times {o}$ (${o} = \\lfloor ({h} - {k})/{s} \\rfloor + 1$) with {c_out} channels: "
              f"${c_out}\\cdot {o}\\cdot {o} = {feat}$ features.",
              f"(c) ${feat}\\cdot {hidden} + {hidden} = {fc_value}${versus_en}."]
        zh = [f"(a) {_CONV_RULE_ZH}这里 ${_conv_steps(3, c_out, k, 1, True)[0]}$。",
              f"(b) 输出大小为 ${o}\\times {o}$（${o} = \\lfloor ({h} - {k})/{s} \\rfloor + 1$），共 {c_out} 个通道："
              f"${c_out}\\cdot {o}\\cdot {o} = {feat}$ 个特征。",
              f"(c) ${feat}\\cdot {hidden} + {hidden} = {fc_value}${versus_zh}。"]
        params = {"channels": 3, "height": h, "width": w, "hidden": hidden, "out_channels": c_out, "kernel_size": k,
                  "stride": s}
    return make_exercise("fc_vs_conv", difficulty, params, prompt, parts, {"en": en, "zh": zh})


register(Family("param_count", bilingual("Parameters of convolution layers", "卷积层的参数量"), (1, 2, 3),
                _draw_param_count))
register(Family("fc_vs_conv", bilingual("Fully connected vs convolution: parameters", "全连接层与卷积层的参数量对比"),
                (1, 2, 3), _draw_fc_vs_conv))
