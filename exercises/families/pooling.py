r"""Family ``pool_output_size``: the output size of max pooling, PyTorch's rules.

1. ``MaxPool2d(k)`` (stride = window) on a size it divides;
2. a stride and a padding (at most half the window), rounding down;
3. ``ceil_mode=True``, sometimes with the rule that drops a last window
   starting in the right padding.

Wrong answers: stride taken as 1, no ``+ 1``, padding on one side only,
rounding the other way, the last window kept.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import pool_output_size

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import bilingual, check_options, make_exercise, make_part, wrong_answers

_FLOOR = r"$o = \left\lfloor \dfrac{n + 2p - k}{s} \right\rfloor + 1$"
_CEIL = r"$o = \left\lceil \dfrac{n + 2p - k}{s} \right\rceil + 1$"


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("pool_output_size", options)
    k = rng.choice((2, 2, 3)) if difficulty == 1 else rng.choice((2, 3, 3, 4, 5))
    n = rng.randint(4, 128)
    stride = None if difficulty == 1 or rng.random() < 0.4 else rng.choice((1, 2, 2, 3, k + 1))
    p = 0 if difficulty == 1 or rng.random() < 0.4 else rng.randint(1, k // 2)
    ceil_mode = difficulty == 3
    s = k if stride is None else stride
    numerator = n + 2 * p - k
    if numerator < 0 or (difficulty == 1 and numerator % s) or (difficulty == 3 and numerator % s == 0):
        return None
    try:
        out = pool_output_size(n, k, stride=stride, padding=p, ceil_mode=ceil_mode)
    except ConvMathError:
        return None
    if out < 2:
        return None
    args: dict[str, Any] = {"stride": stride, "padding": p, "ceil_mode": ceil_mode}
    candidates = {}
    if p:
        candidates["pool_padding_one_side"] = lambda: CATALOGUE["pool_padding_one_side"].wrong(n, k, **args)
    if stride is None:
        candidates["pool_stride_one"] = lambda: CATALOGUE["pool_stride_one"].wrong(n, k, **args)
    if ceil_mode:
        if (-(-numerator // s)) * s >= n + p:
            # the last window is dropped: rounding down happens to be right, rounding up without the rule is not
            candidates["ceil_mode_last_window_kept"] = lambda: CATALOGUE["ceil_mode_last_window_kept"].wrong(n, k, **args)
        else:
            candidates["ceil_mode_ignored"] = lambda: CATALOGUE["ceil_mode_ignored"].wrong(n, k, **args)
    else:
        # floor mode: pooling is the convolution formula with the stride written out
        for label in ("forgot_plus_one", "ceil_not_floor"):
            if label == "forgot_plus_one" or numerator % s:
                candidates[label] = lambda label=label: CATALOGUE[label].wrong(n, k, stride=s, padding=p)
    wrongs = wrong_answers(out, candidates)
    if wrongs is None or not wrongs:
        return None
    call = f"kernel_size={k}" + (f", stride={stride}" if stride is not None else "") + (f", padding={p}" if p else "") \
        + (", ceil_mode=True" if ceil_mode else "")
    prompt = bilingual(
        f"A max pooling layer `nn.MaxPool2d({call})` is applied to a feature map of size ${n}\\times {n}$.\n\n"
        "What is the height (= width) of the output?",
        f"对大小为 ${n}\\times {n}$ 的特征图使用最大池化层 `nn.MaxPool2d({call})`。\n\n输出的高（= 宽）是多少？")
    en: list[str] = []
    zh: list[str] = []
    if stride is None:
        en.append(f"No stride is given, so the stride equals the window: $s = k = {k}$.")
        zh.append(f"没有指定步幅，所以步幅等于窗口大小：$s = k = {k}$。")
    sub = f"{n} + 2\\cdot {p} - {k}"
    if not ceil_mode:
        en.append(f"Pooling windows follow the convolution rule: {_FLOOR}.")
        zh.append(f"池化窗口的计数方式与卷积相同：{_FLOOR}。")
        tex = f"\\left\\lfloor \\frac{{{sub}}}{{{s}}} \\right\\rfloor + 1 = \\lfloor {numerator}/{s} \\rfloor + 1 = {out}"
        en.append(f"Substituting $n = {n}$, $k = {k}$, $p = {p}$, $s = {s}$: $o = {tex}$.")
        zh.append(f"代入 $n = {n}$，$k = {k}$，$p = {p}$，$s = {s}$：$o = {tex}$。")
        code = f"out_size = ({n} + 2*{p} - {k}) // {s} + 1"
    else:
        up = -(-numerator // s) + 1
        tex = f"\\left\\lceil \\frac{{{sub}}}{{{s}}} \\right\\rceil + 1 = \\lceil {numerator}/{s} \\rceil + 1 = {up}"
        en.append(f"With `ceil_mode=True` the division is rounded up: {_CEIL}.")
        zh.append(f"`ceil_mode=True` 时除法向上取整：{_CEIL}。")
        en.append(f"Substituting $n = {n}$, $k = {k}$, $p = {p}$, $s = {s}$: $o = {tex}$.")
        zh.append(f"代入 $n = {n}$，$k = {k}$，$p = {p}$，$s = {s}$：$o = {tex}$。")
        start = (up - 1) * s
        rule_en = (f"The last window starts at ${up - 1}\\cdot {s} = {start}$ (in padded coordinates); PyTorch keeps it only if "
                   f"it starts inside the input or the left padding, i.e. before $n + p = {n + p}$")
        rule_zh = (f"最后一个窗口的起点是 ${up - 1}\\cdot {s} = {start}$（按填充后的坐标）；只有当它从输入或左侧填充内开始，"
                   f"即起点小于 $n + p = {n + p}$ 时，PyTorch 才保留它")
        if start >= n + p:
            en.append(rule_en + f": here it does not, so it is dropped and $o = {out}$.")
            zh.append(rule_zh + f"。这里不满足，所以去掉这个窗口，$o = {out}$。")
        else:
            en.append(rule_en + ": it does, so it is kept.")
            zh.append(rule_zh + "。这里满足条件，予以保留。")
        code = (f"out_size = -(-({n} + 2*{p} - {k}) // {s}) + 1   # rounded up\n"
                f"if (out_size - 1) * {s} >= {n} + {p}:   # last window would start in the right padding\n"
                "    out_size -= 1")
    en.append(f"Answer: `out_size = {out}`.")
    zh.append(f"答案：`out_size = {out}`。")
    part = make_part("a", bilingual("Define `out_size`.", "请把结果赋给变量 `out_size`。"),
                     AnswerSpec("integer", "out_size", out), code, wrongs)
    params = {"n": n, "kernel_size": k, **args}
    return make_exercise("pool_output_size", difficulty, params, prompt, [part], {"en": en, "zh": zh})


register(Family("pool_output_size", bilingual("Output size of a pooling layer", "池化层的输出大小"), (1, 2, 3), draw))
