r"""Convolution versus cross-correlation: the flip.

Deep learning's "convolution" is a cross-correlation; the mathematical
convolution turns the kernel by 180° first (the seed ``004_...``, after d2l's
lecture). Difficulty 1: a 1-D sequence and a 3-tap kernel, both operations.
Difficulty 2: a 2-D input with a 2×2 kernel, the true convolution and which
kernel a cross-correlation needs to give the same result. Difficulty 3: the
same with a 3×3 kernel on a 4×4 or 5×5 input, both operations.

Option ``dims`` (1 or 2) overrides the difficulty's choice.

Reference values: :func:`convmath.numeric.correlate` and
:func:`convmath.numeric.convolve`; wrong answers: the catalogue's
``kernel_not_flipped`` and ``kernel_flipped``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from convmath.errors import ConvMathError

from ..model import AnswerSpec, Exercise, Part, WrongAnswer
from . import Family, register
from ._arrays import code_line, draw_matrix, py_array, tex_matrix, wrong_answers
from ._common import check_options, make_exercise

__all__ = ["FAMILY"]

NAME = "convolution_vs_correlation"
_OPTIONS = ("dims",)


def _numeric(op: str, x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Valid-mode ``convmath.numeric.correlate``/``convolve`` of one channel, as int64."""
    from convmath import numeric

    fn = numeric.convolve if op == "convolve" else numeric.correlate
    out = fn(x[None].astype(np.float64), kernel[None, None].astype(np.float64))
    return np.rint(np.asarray(out)[0]).astype(np.int64)


def _candidates(kernel: np.ndarray) -> dict[str, tuple[np.ndarray, dict[str, str], str | None]]:
    """The kernels offered in the choice part: name -> (array, description, misconception label)."""
    return {
        "rot180": (np.flip(kernel), {"en": "$K$ turned by 180°", "zh": "$K$ 旋转 180°"}, None),
        "same": (kernel, {"en": "$K$ itself", "zh": "$K$ 本身"}, "kernel_not_flipped"),
        "lr": (np.flip(kernel, 1), {"en": "$K$ mirrored left–right", "zh": "$K$ 左右翻转"}, None),
        "ud": (np.flip(kernel, 0), {"en": "$K$ mirrored top–bottom", "zh": "$K$ 上下翻转"}, None),
        "transpose": (kernel.T, {"en": "$K^\\top$ (transposed)", "zh": "$K^\\top$（转置）"}, None),
    }


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    """Draw one variant (``None`` when the kernel has a symmetry that hides the flip)."""
    from convmath.misconceptions import CATALOGUE

    check_options(NAME, options, _OPTIONS)
    dims = options.get("dims", 1 if difficulty == 1 else 2)
    if dims not in (1, 2):
        raise ConvMathError(f"dims={dims!r} must be 1 or 2")
    if dims == 1:
        n, k = rng.choice([5, 6]) + (difficulty - 1), 3
        x = draw_matrix(rng, (n,), 0, 4)
        kernel = draw_matrix(rng, (k,), -1, 3)
        if np.array_equal(kernel, kernel[::-1]):
            return None
        shape_x = (1, n)
    else:
        n, k = ((3, 2), (4, 2))[rng.randrange(2)] if difficulty <= 2 else (rng.choice([4, 5]), 3)
        x = draw_matrix(rng, (n, n), 0, 4)
        kernel = draw_matrix(rng, (k, k), -1, 2)
        # exactly one option may pass the grader's comparison: the *results* X ⋆ K' must differ
        # (K^T and K turned by 180° can give the same 2x2 output though they differ as kernels)
        results = [_numeric("correlate", x, c[0]) for c in _candidates(kernel).values()]
        if any(np.allclose(a, b, rtol=0, atol=1e-9) for i, a in enumerate(results) for b in results[i + 1:]):
            return None
        shape_x = (n, n)
    x2 = x.reshape(shape_x)
    k2 = kernel.reshape((1, k) if dims == 1 else (k, k))
    corr = _numeric("correlate", x2, k2).reshape(-1) if dims == 1 else _numeric("correlate", x2, k2)
    conv = _numeric("convolve", x2, k2).reshape(-1) if dims == 1 else _numeric("convolve", x2, k2)
    if dims == 1:
        wrong_conv = wrong_answers(conv, [("kernel_not_flipped", lambda: CATALOGUE["kernel_not_flipped"].wrong(x2, k2).reshape(-1))],
                                   required=["kernel_not_flipped"])
        wrong_corr = wrong_answers(corr, [("kernel_flipped", lambda: CATALOGUE["kernel_flipped"].wrong(x2, k2).reshape(-1))],
                                   required=["kernel_flipped"])
    else:
        wrong_conv = wrong_answers(conv, [("kernel_not_flipped", lambda: CATALOGUE["kernel_not_flipped"].wrong(x2, k2))],
                                   required=["kernel_not_flipped"])
        wrong_corr = wrong_answers(corr, [("kernel_flipped", lambda: CATALOGUE["kernel_flipped"].wrong(x2, k2))],
                                   required=["kernel_flipped"])
    if wrong_conv is None or wrong_corr is None:
        return None

    letter = "x" if dims == 1 else "X"
    kname = "w" if dims == 1 else "K"
    mats = rf"$${letter} = {tex_matrix(x)}, \qquad {kname} = {tex_matrix(kernel)}$$"
    if dims == 1:
        defs_en = (rf"The cross-correlation is $(x \star w)_i = \sum_{{a=0}}^{{{k - 1}}} x_{{i+a}}\, w_a$ and the convolution "
                   rf"$(x * w)_i = \sum_{{a=0}}^{{{k - 1}}} x_{{i+a}}\, w_{{{k - 1}-a}}$ (both in 'valid' mode: only positions where "
                   "the kernel fits entirely).")
        defs_zh = (rf"互相关定义为 $(x \star w)_i = \sum_{{a=0}}^{{{k - 1}}} x_{{i+a}}\, w_a$，卷积定义为 "
                   rf"$(x * w)_i = \sum_{{a=0}}^{{{k - 1}}} x_{{i+a}}\, w_{{{k - 1}-a}}$（均为 valid 模式：只取卷积核完全落在输入内的位置）。")
    else:
        defs_en = ("Both are in 'valid' mode (only positions where the kernel fits entirely). The convolution turns the kernel "
                   "by 180° before sliding it; the cross-correlation (PyTorch's `conv2d`) does not.")
        defs_zh = "两者均为 valid 模式（只取卷积核完全落在输入内的位置）。卷积先把卷积核旋转 180° 再滑动；互相关（PyTorch 的 `conv2d`）不翻转。"
    prompt = {
        "en": f"Let\n\n{mats}\n\n{defs_en} The setup cell defines `{letter}` and `{kname}`.",
        "zh": f"设\n\n{mats}\n\n{defs_zh} 下面的代码单元定义了 `{letter}` 和 `{kname}`。",
    }
    parts: list[Part] = []
    key = iter("abc")
    if dims == 1 or difficulty == 3:
        parts.append(Part(next(key), {"en": f"The cross-correlation ${letter} \\star {kname}$; define `corr`.",
                                      "zh": f"互相关 ${letter} \\star {kname}$；定义 `corr`。"},
                          AnswerSpec("array", "corr", expected=corr, atol=1e-9), 2.0, wrong_corr,
                          code_line("corr", "array", corr)))
    parts.append(Part(next(key), {"en": f"The convolution ${letter} * {kname}$; define `conv`.",
                                  "zh": f"卷积 ${letter} * {kname}$；定义 `conv`。"},
                      AnswerSpec("array", "conv", expected=conv, atol=1e-9), 2.0, wrong_conv,
                      code_line("conv", "array", conv)))
    choice_lines_en: list[str] = []
    if dims == 2:
        cands = _candidates(kernel)
        names = list(cands)
        rng.shuffle(names)
        letters = [chr(ord("A") + i) for i in range(len(names))]
        by_letter = dict(zip(letters, names))
        right = next(lt for lt, nm in by_letter.items() if nm == "rot180")
        wrong_choice = tuple(WrongAnswer(cands[nm][2], lt) for lt, nm in by_letter.items() if cands[nm][2])
        listing = "\n".join(rf"- **{lt}**: ${tex_matrix(cands[nm][0])}$" for lt, nm in by_letter.items())
        parts.append(Part(next(key), {
            "en": ("Which kernel $K'$ makes the cross-correlation $X \\star K'$ equal to the convolution $X * K$? "
                   f"Define `flipped` as its letter.\n\n{listing}"),
            "zh": ("哪个卷积核 $K'$ 使互相关 $X \\star K'$ 等于卷积 $X * K$？把 `flipped` 定义为它的字母。\n\n" + listing),
        }, AnswerSpec("choice", "flipped", expected=right, choices=tuple(letters),
                      option_values={lt: _numeric("correlate", x, cands[nm][0]).tolist() for lt, nm in by_letter.items()},
                      atol=1e-9), 1.0, wrong_choice,
           code_line("flipped", "choice", right)))
        choice_lines_en = [right]
    flip_tex = tex_matrix(kernel[::-1] if dims == 1 else np.flip(kernel))
    steps_en = [
        f"Flip the kernel{' (reverse it)' if dims == 1 else ' by 180° (reverse the rows and the columns)'}: ${flip_tex}$.",
        f"The convolution is the cross-correlation with the flipped kernel: ${letter} * {kname} = {letter} \\star "
        f"\\mathrm{{flip}}({kname}) = {tex_matrix(conv)}$.",
    ]
    steps_zh = [
        f"翻转卷积核{'（倒序）' if dims == 1 else '（旋转 180°：行和列都倒序）'}：${flip_tex}$。",
        f"卷积等于与翻转后卷积核的互相关：${letter} * {kname} = {letter} \\star \\mathrm{{flip}}({kname}) = {tex_matrix(conv)}$。",
    ]
    if dims == 1 or difficulty == 3:
        first = " + ".join(
            f"{int(a)}\\cdot{('(%d)' % b) if b < 0 else int(b)}" for a, b in zip(x.reshape(shape_x)[0, :k] if dims == 1 else x[:k, :k].ravel(), kernel.ravel())
        )
        steps_en.insert(0, f"Cross-correlation, kernel as it is: first entry ${first} = {int(corr.flat[0])}$; "
                           f"all entries: ${letter} \\star {kname} = {tex_matrix(corr)}$.")
        steps_zh.insert(0, f"互相关直接使用原卷积核：第一个元素 ${first} = {int(corr.flat[0])}$；"
                           f"全部结果：${letter} \\star {kname} = {tex_matrix(corr)}$。")
    if choice_lines_en:
        steps_en.append(f"So the kernel turned by 180° is the one: answer **{choice_lines_en[0]}**.")
        steps_zh.append(f"所以应选旋转 180° 的卷积核：答案 **{choice_lines_en[0]}**。")
    setup = f"import numpy as np\n\n{letter} = {py_array(x)}\n{kname} = {py_array(kernel)}"
    params = {"x": x.tolist(), "kernel": kernel.tolist(), "dims": dims}
    return make_exercise(NAME, difficulty, params, prompt, parts, {"en": steps_en, "zh": steps_zh}, setup_code=setup)


FAMILY = register(
    Family(
        name=NAME,
        title={"en": "Convolution vs cross-correlation", "zh": "卷积与互相关"},
        difficulties=(1, 2, 3),
        draw=draw,
    )
)
