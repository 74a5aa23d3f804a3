r"""Family ``pool_output_size``: the output size of max or average pooling, PyTorch's rules.

Every level draws 1-D or 2-D pooling (``MaxPool1d/2d``, ``AvgPool1d/2d``) and,
in 2-D, a square or (levels 1 and 2) a non-square input, whose answer is the
``(height, width)`` shape.

1. no padding, the windows fit exactly: the stride is the window (the
   default) or written out;
2. a stride and a padding (at most half the window), rounding down;
3. ``ceil_mode=True``, sometimes with the rule that drops a last window
   starting in the right padding (one size: a square or 1-D input).

Wrong answers: stride taken as 1, no ``+ 1``, padding on one side only,
rounding the other way, the last window kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import pool_output_size

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import bilingual, check_options, make_exercise, make_part, size_question, wrong_answers

_FLOOR = r"$o = \left\lfloor \dfrac{n + 2p - k}{s} \right\rfloor + 1$"
_CEIL = r"$o = \left\lceil \dfrac{n + 2p - k}{s} \right\rceil + 1$"


def _candidates(n: int, k: int, stride: int | None, p: int, ceil_mode: bool) -> dict[str, Callable[[], int]]:
    """The misconceptions that apply to one size, most specific first (label -> thunk)."""
    args: dict[str, Any] = {"stride": stride, "padding": p, "ceil_mode": ceil_mode}
    s = k if stride is None else stride
    numerator = n + 2 * p - k
    labels: list[str] = ["pool_padding_one_side"] if p else []
    labels += ["pool_stride_one"] if stride is None else []
    if ceil_mode:
        # the last window dropped: rounding down happens to be right, rounding up without the rule is not
        labels.append("ceil_mode_last_window_kept" if -(-numerator // s) * s >= n + p else "ceil_mode_ignored")
        return {label: (lambda label=label: CATALOGUE[label].wrong(n, k, **args)) for label in labels}
    thunks = {label: (lambda label=label: CATALOGUE[label].wrong(n, k, **args)) for label in labels}
    # floor mode: pooling is the convolution formula with the stride written out
    conv = ["ignored_stride"] if stride is not None and s > 1 else []
    conv += ["forgot_plus_one"] + (["ceil_not_floor"] if numerator % s else [])
    thunks.update({label: (lambda label=label: CATALOGUE[label].wrong(n, k, stride=s, padding=p)) for label in conv})
    return thunks


def _steps(n: int, k: int, s: int, p: int, ceil_mode: bool, out: int, axis: tuple[str, str]) -> tuple[list[str], list[str], str]:
    """Worked steps (en, zh) and the solution code of one size."""
    numerator = n + 2 * p - k
    sub = f"{n} + 2\\cdot {p} - {k}"
    names = f"{axis[0]}$n = {n}$, $k = {k}$, $p = {p}$, $s = {s}$", f"{axis[1]}$n = {n}$，$k = {k}$，$p = {p}$，$s = {s}$"
    if not ceil_mode:
        tex = f"\\left\\lfloor \\frac{{{sub}}}{{{s}}} \\right\\rfloor + 1 = \\lfloor {numerator}/{s} \\rfloor + 1 = {out}"
        return ([f"Substituting {names[0]}: $o = {tex}$."], [f"代入{names[1]}：$o = {tex}$。"],
                f"({n} + 2*{p} - {k}) // {s} + 1")
    up = -(-numerator // s) + 1
    tex = f"\\left\\lceil \\frac{{{sub}}}{{{s}}} \\right\\rceil + 1 = \\lceil {numerator}/{s} \\rceil + 1 = {up}"
    en = [f"With `ceil_mode=True` the division is rounded up: {_CEIL}.", f"Substituting {names[0]}: $o = {tex}$."]
    zh = [f"`ceil_mode=True` 时除法向上取整：{_CEIL}。", f"代入{names[1]}：$o = {tex}$。"]
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
    code = (f"-(-({n} + 2*{p} - {k}) // {s}) + 1   # rounded up\n"
            f"if (out_size - 1) * {s} >= {n} + {p}:   # last window would start in the right padding\n"
            "    out_size -= 1")
    return en, zh, code


def _sizes(rng: random.Random, difficulty: int, dims: int) -> list[int]:
    n = rng.randint(4, 128)
    if dims == 2 and difficulty < 3 and rng.random() < 0.5:
        return [n, rng.choice([m for m in range(max(4, n // 3), min(128, 3 * n) + 1) if m != n])]
    return [n]


def _draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("pool_output_size", options)
    dims, kind = rng.choice((1, 2, 2)), rng.choice(("Max", "Max", "Avg"))
    k = rng.choice((2, 2, 3, 4, 5)) if difficulty == 1 else rng.choice((2, 3, 3, 4, 5))
    sizes = _sizes(rng, difficulty, dims)
    if difficulty == 1:
        stride = None if rng.random() < 0.6 else rng.choice([s for s in (1, 2, 3, k) if s <= k])
    else:
        stride = None if rng.random() < 0.4 else rng.choice((1, 2, 2, 3, k + 1))
    p = 0 if difficulty == 1 or rng.random() < 0.4 else rng.randint(1, k // 2)
    ceil_mode = difficulty == 3
    s = k if stride is None else stride
    numerators = [n + 2 * p - k for n in sizes]
    if min(numerators) < 0 or (difficulty == 1 and any(x % s for x in numerators)) \
            or (difficulty == 3 and numerators[0] % s == 0):
        return None
    try:
        outs = [pool_output_size(n, k, stride=stride, padding=p, ceil_mode=ceil_mode) for n in sizes]
    except ConvMathError:
        return None
    if min(outs) < 2:
        return None
    per_size = [_candidates(n, k, stride, p, ceil_mode) for n in sizes]
    labels = [label for thunks in per_size for label in thunks]
    labels = sorted(set(labels), key=labels.index)
    if len(sizes) == 1:
        expected: Any = outs[0]
        wrongs = wrong_answers(expected, per_size[0])
    else:
        expected = tuple(outs)
        wrongs = wrong_answers(expected, {label: (lambda label=label: tuple(
            thunks[label]() if label in thunks else out for thunks, out in zip(per_size, outs))) for label in labels})
    if not wrongs:
        return None
    layer = f"{kind}Pool{dims}d"
    call = f"kernel_size={k}" + (f", stride={stride}" if stride is not None else "") + (f", padding={p}" if p else "") \
        + (", ceil_mode=True" if ceil_mode else "")
    kind_en, kind_zh = {"Max": ("max", "最大"), "Avg": ("average", "平均")}[kind]
    if len(sizes) == 1:
        input_en, input_zh, ask_en, ask_zh = size_question(dims, sizes[0], noun=("a feature map", "特征图"))
    else:
        input_en, input_zh = f"a feature map of height {sizes[0]} and width {sizes[1]}", f"高为 {sizes[0]}、宽为 {sizes[1]} 的特征图"
        ask_en, ask_zh = "What is the (height, width) of the output?", "输出的（高，宽）是多少？"
    prompt = bilingual(f"{'An' if kind == 'Avg' else 'A'} {kind_en} pooling layer `nn.{layer}({call})` is applied to {input_en}.\n\n{ask_en}",
                       f"对{input_zh}使用{kind_zh}池化层 `nn.{layer}({call})`。\n\n{ask_zh}")
    en: list[str] = []
    zh: list[str] = []
    if stride is None:
        en.append(f"No stride is given, so the stride equals the window: $s = k = {k}$.")
        zh.append(f"没有指定步幅，所以步幅等于窗口大小：$s = k = {k}$。")
    if not ceil_mode:
        en.append(f"Pooling windows follow the convolution rule: {_FLOOR}.")
        zh.append(f"池化窗口的计数方式与卷积相同：{_FLOOR}。")
    axes = [("", "")] if len(sizes) == 1 else [("for the height ", "高度方向 "), ("for the width ", "宽度方向 ")]
    codes = []
    for n, out, axis in zip(sizes, outs, axes):
        en_n, zh_n, code = _steps(n, k, s, p, ceil_mode, out, axis)
        en += en_n
        zh += zh_n
        codes.append(code)
    name, answer_kind = ("out_size", "integer") if len(sizes) == 1 else ("out_shape", "shape")
    en.append(f"Answer: `{name} = {expected}`.")
    zh.append(f"答案：`{name} = {expected}`。")
    solution_code = f"{name} = " + (codes[0] if len(codes) == 1 else f"({codes[0]}, {codes[1]})")
    part = make_part("a", bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
                     AnswerSpec(answer_kind, name, expected), solution_code, wrongs)
    params = {"layer": layer, "sizes": sizes, "kernel_size": k, "stride": stride, "padding": p, "ceil_mode": ceil_mode}
    return make_exercise("pool_output_size", difficulty, params, prompt, [part], {"en": en, "zh": zh})


register(Family("pool_output_size", bilingual("Output size of a pooling layer", "池化层的输出大小"), (1, 2, 3), _draw))
