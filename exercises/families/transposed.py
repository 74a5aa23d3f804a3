r"""Family ``conv_transpose_output_size``: the output size of a transposed convolution.

``ConvTranspose1d`` on a sequence or ``ConvTranspose2d`` on a square input.

1. strides 1 to 3, no padding;
2. strides up to 4 and a padding (removed from the output);
3. with ``output_padding`` and dilation.

Wrong answers: computed as an ordinary convolution, ``n s`` instead of
``(n - 1) s``, the padding added, ``output_padding`` ignored.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_transpose_output_size

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import bilingual, check_options, make_exercise, make_part, size_question, wrong_answers

_FORMULA = r"$o = (n - 1)\,s - 2p + d(k - 1) + \mathrm{output\_padding} + 1$"


def _draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("conv_transpose_output_size", options)
    ndim = rng.choice((1, 2, 2))
    n = rng.randint(2, 100)
    k = rng.choice((1, 2, 3, 4, 5, 6, 7)) if difficulty == 1 else rng.choice((2, 3, 4, 5, 6, 7))
    s = rng.choice((1, 2, 2, 3)) if difficulty == 1 else rng.choice((2, 2, 3, 4))
    p = 0 if difficulty == 1 else rng.randint(0, k - 1)
    d = rng.choice((1, 1, 2)) if difficulty == 3 else 1
    op = rng.randint(1, max(s, d) - 1) if difficulty == 3 and max(s, d) > 1 else 0
    try:
        out = conv_transpose_output_size(n, k, stride=s, padding=p, dilation=d, output_padding=op)
    except ConvMathError:
        return None
    if out < 2:
        return None
    args: dict[str, Any] = {"stride": s, "padding": p, "dilation": d, "output_padding": op}
    labels = ["transpose_as_conv", "transpose_n_times_s"]
    if p:
        labels.append("transpose_padding_added")
    if op:
        labels.append("output_padding_ignored")
    wrongs = wrong_answers(out, {label: (lambda label=label: CATALOGUE[label].wrong(n, k, **args)) for label in labels})
    if wrongs is None:
        return None
    call = f"kernel_size={k}, stride={s}" + (f", padding={p}" if p else "") + (f", dilation={d}" if d > 1 else "") \
        + (f", output_padding={op}" if op else "")
    input_en, input_zh, ask_en, ask_zh = size_question(ndim, n, channels=8)
    prompt = bilingual(
        f"A transposed convolution `nn.ConvTranspose{ndim}d(8, 4, {call})` is applied to {input_en}.\n\n{ask_en}",
        f"对{input_zh}使用转置卷积 `nn.ConvTranspose{ndim}d(8, 4, {call})`。\n\n{ask_zh}")
    dil = f"{d}*({k} - 1)" if d > 1 else f"({k} - 1)"
    code = f"out_size = ({n} - 1)*{s} - 2*{p} + {dil} + {op} + 1"
    dil_tex = dil.replace("*", r"\cdot ")
    tex = f"({n} - 1)\\cdot {s} - 2\\cdot {p} + {dil_tex} + {op} + 1 = {(n - 1) * s} - {2 * p} + {d * (k - 1)} + {op} + 1 = {out}"
    en = [f"A transposed convolution enlarges its input: {_FORMULA} (PyTorch's `ConvTranspose2d`; the padding $p$ "
          "is removed from the output, and $n$ inputs are $n - 1$ strides apart).",
          f"Substituting $n = {n}$, $k = {k}$, $s = {s}$, $p = {p}$, $d = {d}$, output_padding $= {op}$: $o = {tex}$.",
          f"Answer: `out_size = {out}`."]
    zh = [f"转置卷积会放大输入：{_FORMULA}（PyTorch 的 `ConvTranspose2d`；填充 $p$ 是从输出中去掉的，"
          "$n$ 个输入之间有 $n - 1$ 个步幅间隔）。",
          f"代入 $n = {n}$，$k = {k}$，$s = {s}$，$p = {p}$，$d = {d}$，output_padding $= {op}$：$o = {tex}$。",
          f"答案：`out_size = {out}`。"]
    part = make_part("a", bilingual("Define `out_size`.", "请把结果赋给变量 `out_size`。"),
                     AnswerSpec("integer", "out_size", out), code, wrongs)
    params = {"ndim": ndim, "n": n, "kernel_size": k, **args}
    return make_exercise("conv_transpose_output_size", difficulty, params, prompt, [part], {"en": en, "zh": zh})


register(Family("conv_transpose_output_size", bilingual("Output size of a transposed convolution", "转置卷积的输出大小"),
                (1, 2, 3), _draw))
