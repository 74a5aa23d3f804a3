r"""Families ``conv_output_size`` and ``conv_inverse``: the output size of a convolution, and back.

``conv_output_size`` (levels 1 and 2: ``Conv1d`` on a sequence or ``Conv2d`` on a
square input)
    1. per-side padding, a stride that divides exactly;
    2. the padding in one of its forms (per side, ``"same"``, ``"full"``,
       left/right, d2l's total :math:`p_h`), any stride (the floor matters);
    3. a non-square input and kernel with dilation; the answer is a shape.

``conv_inverse`` (which value of one argument gives a required size, by
:func:`convmath.sizes.solve_for`; only variants with a single answer are kept)
    1. the padding or the kernel size, stride 1 (``Conv1d`` or ``Conv2d``);
    2. the padding or the stride, strides up to 4 (``Conv1d`` or ``Conv2d``);
    3. the padding or the kernel size, with dilation.

Wrong answers: the catalogue's output-size misconceptions evaluated for the
variant (for ``conv_inverse``: the value that satisfies the wrong formula).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size, d2l_output_size, resolve_padding, solve_for

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import (
    bilingual,
    check_options,
    conv_size_working,
    make_exercise,
    make_part,
    size_question,
    wrong_answers,
)

_SIZES = (5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 56, 64, 96, 112, 128, 224)
_FORMULA = r"$o = \left\lfloor \dfrac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1$"
_FORMULA_LR = r"$o = \left\lfloor \dfrac{n + p_\mathrm{left} + p_\mathrm{right} - d(k-1) - 1}{s} \right\rfloor + 1$"


def _padding_text(form: str, value: Any, ndim: int = 2) -> tuple[str, str]:
    """(en, zh) description of a padding form."""
    if form == "int":
        return (f"padding {value} on each side (`padding={value}`)", f"每侧填充 {value}（`padding={value}`）")
    if form in ("same", "full"):
        en = {"same": "`padding=\"same\"` (PyTorch's \"same\" padding)",
              "full": "\"full\", that is $k - 1$ zeros on each side, so that every partial overlap counts"}[form]
        zh = {"same": "`padding=\"same\"`（PyTorch 的 \"same\" 填充）",
              "full": "\"full\" 填充：每侧补 $k - 1$ 个零，使每个部分重叠的位置都参与计算"}[form]
        return en, zh
    if form == "pair":
        left, right = value
        if ndim == 1:
            return (f"the input is first zero-padded by `F.pad(x, ({left}, {right}))`: {left} on the left and {right} "
                    "on the right; the convolution itself does not pad",
                    f"先用 `F.pad(x, ({left}, {right}))` 补零：左侧补 {left}，右侧补 {right}；卷积本身不再填充")
        return (f"the input is first zero-padded by `F.pad(x, ({left}, {right}, {left}, {right}))`: {left} on the left "
                f"and top, {right} on the right and bottom; the convolution itself does not pad",
                f"先用 `F.pad(x, ({left}, {right}, {left}, {right}))` 补零：左侧和上方各补 {left}，右侧和下方各补 {right}；"
                f"卷积本身不再填充")
    if ndim == 1:
        return (f"a total padding of $p_h = {value}$, in the notation of *Dive into Deep Learning* (both ends together)",
                f"按《动手学深度学习》的记法，总填充 $p_h = {value}$（两端合计）")
    return (f"a total padding of $p_h = {value}$ rows, in the notation of *Dive into Deep Learning* "
            f"(top and bottom together)",
            f"按《动手学深度学习》的记法，总填充 $p_h = {value}$ 行（上下合计）")


def _size_wrongs(expected: Any, dims: list[dict[str, Any]], labels: list[str]) -> Any:
    """Wrong answers of ``labels``, evaluated per dimension (a tuple when there are several)."""

    def thunk(label: str) -> Any:
        def run() -> Any:
            values = []
            for dim in dims:
                if dim["form"] == "total":
                    if label == "padding_total_doubled":
                        values.append(CATALOGUE[label].wrong(dim["n"], dim["k"], stride=dim["s"], total_padding=dim["ph"]))
                        continue
                    pad: Any = (dim["ph"] // 2, dim["ph"] - dim["ph"] // 2)
                else:
                    pad = dim["padding"]
                values.append(CATALOGUE[label].wrong(dim["n"], dim["k"], stride=dim["s"], padding=pad, dilation=dim["d"]))
            return values[0] if len(values) == 1 else tuple(values)
        return run

    return wrong_answers(expected, {label: thunk(label) for label in labels})


def _draw_dim(rng: random.Random, difficulty: int, form: str, n: int | None = None, d: int = 1) -> dict[str, Any] | None:
    n = n if n is not None else (rng.choice(_SIZES) if difficulty > 1 else rng.randint(5, 128))
    k = rng.choice((1, 2, 3, 3, 4, 5, 5, 7, 9) if difficulty == 1 else (2, 3, 3, 4, 5, 7, 11))
    s = 1 if form == "same" else rng.choice((1, 1, 2, 2, 3) if difficulty == 1 else (1, 2, 2, 3, 4))
    dim: dict[str, Any] = {"n": n, "k": k, "s": s, "d": d, "form": form}
    if form == "int":
        dim["padding"] = rng.randint(0, max(1, d * (k - 1) // 2 + (difficulty > 1)))
    elif form == "pair":
        left = rng.randint(0, k - 1)
        right = rng.choice([r for r in range(0, k) if r != left])
        dim["padding"] = (left, right)
    elif form == "total":
        dim["ph"] = rng.randint(1, k + 1)
    else:
        dim["padding"] = form
    try:
        if form == "total":
            dim["out"] = d2l_output_size(n, k, stride=s, total_padding=dim["ph"])
            dim["left"], dim["right"] = dim["ph"] // 2, dim["ph"] - dim["ph"] // 2
        else:
            dim["out"] = conv_output_size(n, k, stride=s, padding=dim["padding"], dilation=d)
            dim["left"], dim["right"] = resolve_padding(dim["padding"], k, dilation=d, stride=s)
    except ConvMathError:
        return None
    numerator = n + dim["left"] + dim["right"] - d * (k - 1) - 1
    if dim["out"] < 2 or (difficulty == 1 and numerator % s):
        return None
    dim["exact"] = numerator % s == 0
    return dim


def _labels(dim: dict[str, Any]) -> list[str]:
    """The misconceptions that apply, the most specific first."""
    labels = []
    if dim["form"] == "int" and dim["padding"]:
        labels.append("padding_once")
    if dim["form"] == "total":
        labels.append("padding_total_doubled")
    if dim["d"] > 1:
        labels += ["ignored_dilation", "dilated_kernel_dk"]
    if dim["s"] > 1:
        if not dim["exact"]:
            labels += ["ceil_not_floor", "no_floor"]
        labels.append("ignored_stride")
    return labels + ["forgot_plus_one"]


def _steps(dim: dict[str, Any], axis: tuple[str, str] = ("", "")) -> tuple[list[str], list[str], str]:
    """Worked steps (en, zh) and the code expression for one dimension."""
    n, k, s, d = dim["n"], dim["k"], dim["s"], dim["d"]
    en, zh = [], []
    if dim["form"] == "total":
        ph = dim["ph"]
        value = dim["out"]
        code = f"({n} - {k} + {ph} + {s}) // {s}"
        sub = rf"\left\lfloor \dfrac{{{n} - {k} + {ph} + {s}}}{{{s}}} \right\rfloor = {value}"
        en.append(r"With the total padding $p_h$ the output size is $o = \left\lfloor \dfrac{n - k + p_h + s}{s} \right\rfloor$ "
                  r"($p_h$ already counts both sides: do not double it).")
        zh.append(r"用总填充 $p_h$ 表示时，输出大小为 $o = \left\lfloor \dfrac{n - k + p_h + s}{s} \right\rfloor$"
                  r"（$p_h$ 已经包含两侧，不要再乘 2）。")
        en.append(f"Substituting {axis[0]}$n = {n}$, $k = {k}$, $p_h = {ph}$, $s = {s}$: $o = {sub}$.")
        zh.append(f"代入{axis[1]}$n = {n}$，$k = {k}$，$p_h = {ph}$，$s = {s}$：$o = {sub}$。")
        return en, zh, code
    left, right = dim["left"], dim["right"]
    if dim["form"] in ("same", "full"):
        en.append(f"`padding=\"{dim['form']}\"` pads {left} on the left and {right} on the right here "
                  f"(total $d(k-1) = {d * (k - 1)}${' per side' if dim['form'] == 'full' else ''}).")
        zh.append(f"这里 `padding=\"{dim['form']}\"` 在左侧填充 {left}、右侧填充 {right}"
                  f"（{'每侧' if dim['form'] == 'full' else '合计'} $d(k-1) = {d * (k - 1)}$）。")
    if d > 1:
        en.append(f"The dilated kernel spans $d(k-1)+1 = {d}\\cdot({k}-1)+1 = {d * (k - 1) + 1}$ inputs.")
        zh.append(f"膨胀后的卷积核覆盖 $d(k-1)+1 = {d}\\cdot({k}-1)+1 = {d * (k - 1) + 1}$ 个输入位置。")
    work = conv_size_working(n, k, stride=s, left=left, right=right, dilation=d)
    names = f"$n = {n}$, $k = {k}$, " + (f"$p = {left}$" if left == right else f"$p_\\mathrm{{left}} = {left}$, $p_\\mathrm{{right}} = {right}$")
    names += f", $s = {s}$" + (f", $d = {d}$" if d > 1 else "")
    en.append(f"Substituting {axis[0]}{names}: $o = {work.tex}$.")
    zh.append(f"代入{axis[1]}{names.replace(', ', '，')}：$o = {work.tex}$。")
    return en, zh, work.code


def _draw_output_size(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("conv_output_size", options)
    ndim = rng.choice((1, 2, 2)) if difficulty < 3 else 2
    if difficulty == 1:
        form = "int"
    elif difficulty == 2:
        form = rng.choice(("int", "int", "same", "full", "pair", "total"))
    else:
        form = "int"
    if difficulty < 3:
        dim = _draw_dim(rng, difficulty, form)
        if dim is None:
            return None
        dims = [dim]
    else:
        height = rng.choice(_SIZES[3:])
        width = rng.choice((height, height, rng.choice(_SIZES[3:])))
        d = rng.choice((1, 2, 2, 3))
        pair = [_draw_dim(rng, 3, "int", height, d), _draw_dim(rng, 3, "int", width, d)]
        if pair[0] is None or pair[1] is None:
            return None
        dims = [pair[0], pair[1]]
    labels: list[str] = []
    for dim in dims:
        labels += [label for label in _labels(dim) if label not in labels]
    outs = tuple(dim["out"] for dim in dims)
    expected: Any = outs[0] if len(dims) == 1 else outs
    wrongs = _size_wrongs(expected, dims, labels)
    if wrongs is None:
        return None
    if difficulty < 3:
        dim = dims[0]
        pad_en, pad_zh = _padding_text(dim["form"], dim.get("ph", dim.get("padding")), ndim)
        n_en, n_zh, ask_en, ask_zh = size_question(ndim, dim["n"])
        k_en, k_zh = (f"a kernel of size {dim['k']}", f"{dim['k']}") if ndim == 1 else \
            (f"{'an' if str(dim['k']).startswith('8') or dim['k'] in (11, 18) else 'a'} "
             f"${dim['k']}\\times {dim['k']}$ kernel", f"${dim['k']}\\times {dim['k']}$")
        prompt = bilingual(
            f"{n_en[0].upper()}{n_en[1:]} passes through a convolution layer (`nn.Conv{ndim}d`) with {k_en} and "
            f"stride {dim['s']}. Padding: {pad_en}.\n\n{ask_en}",
            f"对{n_zh}使用一个卷积层（`nn.Conv{ndim}d`），卷积核大小为 {k_zh}，步幅为 {dim['s']}，{pad_zh}。\n\n{ask_zh}")
        name, kind = "out_size", "integer"
        en, zh, code = _steps(dim)
        solution_code = f"{name} = {code}"
    else:
        (h, w) = dims
        prompt = bilingual(
            f"`nn.Conv2d(3, 16, kernel_size=({h['k']}, {w['k']}), stride=({h['s']}, {w['s']}), "
            f"padding=({h['padding']}, {w['padding']}), dilation={h['d']})` is applied to an input of height "
            f"{h['n']} and width {w['n']}.\n\nWhat is the (height, width) of the output?",
            f"输入的高为 {h['n']}、宽为 {w['n']}，经过 `nn.Conv2d(3, 16, kernel_size=({h['k']}, {w['k']}), "
            f"stride=({h['s']}, {w['s']}), padding=({h['padding']}, {w['padding']}), dilation={h['d']})`。\n\n"
            "输出的（高，宽）是多少？")
        name, kind = "out_shape", "shape"
        en_h, zh_h, code_h = _steps(h, ("for the height ", "高度方向 "))
        en_w, zh_w, code_w = _steps(w, ("for the width ", "宽度方向 "))
        en, zh = en_h + en_w, zh_h + zh_w
        solution_code = f"{name} = ({code_h}, {code_w})"
    formula_en = _FORMULA_LR if dims[0]["form"] == "pair" else _FORMULA
    if dims[0]["form"] != "total":
        side_en, side_zh = ("", "") if dims[0]["form"] == "pair" else ("; $p$ per side", "，$p$ 为每侧填充")
        en.insert(0, f"The output size is {formula_en} (PyTorch's definition{side_en}).")
        zh.insert(0, f"输出大小为 {formula_en}（PyTorch 的定义{side_zh}）。")
    en.append(f"Answer: `{name} = {expected}`.")
    zh.append(f"答案：`{name} = {expected}`。")
    part = make_part("a", bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
                     AnswerSpec(kind, name, expected), solution_code, wrongs)
    params = {"ndim": ndim, "dims": [{key: (list(v) if isinstance(v, tuple) else v) for key, v in dim.items()} for dim in dims]}
    return make_exercise("conv_output_size", difficulty, params, prompt, [part], {"en": en, "zh": zh})


# --------------------------------------------------------------------------
# conv_inverse

_UNKNOWN_TEXT = {
    "padding": ("value of `padding` (per side)", "`padding`（每侧填充）"),
    "stride": ("stride `stride`", "步幅 `stride`"),
    "kernel_size": ("kernel size `kernel_size`", "卷积核大小 `kernel_size`"),
}


def _size_text(ndim: int, m: int, role: str = "") -> str:
    """``a sequence of length m`` / ``an input of size m x m`` (English, with ``role``), or the Chinese attribute."""
    if not role:
        return f"长度为 {m} " if ndim == 1 else f" ${m}\\times {m}$ "
    return f"a sequence of length {m}" if ndim == 1 else f"{role} of size ${m}\\times {m}$"


#: +1: the output grows with the unknown, -1: it shrinks (as in convmath.sizes.solve_for)
_DIRECTION = {"padding": 1, "stride": -1, "kernel_size": -1}


def _solve_wrong(label: str, unknown: str, known: dict[str, Any], target: int) -> int:
    """The smallest value of ``unknown`` for which misconception ``label`` gives ``target``."""
    for value in range(0 if unknown == "padding" else 1, 129):
        args = {**known, unknown: value}
        try:
            out = CATALOGUE[label].wrong(args.pop("n"), args.pop("kernel_size"), **args)
        except ConvMathError:
            continue
        if out == target:
            return value
        if (out - target) * _DIRECTION[unknown] > 0:
            break
    raise ConvMathError(f"misconception {label!r} has no solution")


def _draw_inverse(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("conv_inverse", options)
    unknown = {1: ("padding", "padding", "kernel_size"), 2: ("padding", "stride"), 3: ("padding", "kernel_size")}[difficulty]
    unknown = rng.choice(unknown)
    ndim = rng.choice((1, 2, 2)) if difficulty < 3 else 2
    n = rng.randint(6, 128) if difficulty < 3 else rng.choice(_SIZES[3:])
    k = rng.choice((2, 3, 3, 4, 5, 5, 7, 9) if difficulty == 1 else (2, 3, 4, 5, 7, 11))
    s = 1 if difficulty == 1 else rng.choice((1, 2, 2, 3, 4))
    d = rng.choice((2, 3)) if difficulty == 3 else 1
    p = rng.randint(0, d * (k - 1) // 2 + 1)
    known = {"n": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d}
    try:
        target = conv_output_size(n, k, stride=s, padding=p, dilation=d)
    except ConvMathError:
        return None
    if target < 2 or (unknown == "stride" and s == 1):
        return None
    given = {key: v for key, v in known.items() if key != unknown}
    solutions = solve_for(unknown, output=target, bound=128, **given)
    if len(solutions) != 1:
        return None
    answer = solutions[0]
    labels = (["padding_once"] if unknown == "padding" or p else []) + (["ignored_dilation"] if d > 1 else [])
    labels += (["ceil_not_floor"] if s > 1 else []) + ["forgot_plus_one"]
    wrongs = wrong_answers(answer, {label: (lambda label=label: _solve_wrong(label, unknown, given, target))
                                    for label in labels})
    if wrongs is None:
        return None
    symbol = {"padding": "p", "stride": "s", "kernel_size": "k"}[unknown]
    givens = ", ".join(f"${ {'kernel_size': 'k', 'stride': 's', 'padding': 'p', 'dilation': 'd'}[key]} = {v}$"
                       for key, v in given.items() if key != "n" and not (key == "dilation" and v == 1))
    what_en, what_zh = _UNKNOWN_TEXT[unknown]
    prompt = bilingual(
        f"A convolution layer (`nn.Conv{ndim}d`) with {givens} maps {_size_text(ndim, n, 'an input')} to {_size_text(ndim, target, 'an output')}.\n\n"
        f"Which {what_en} does that? (Exactly one value works.)",
        f"一个卷积层（`nn.Conv{ndim}d`，{givens.replace(', ', '，')}）把{_size_text(ndim, n)}的输入变成{_size_text(ndim, target)}的输出。\n\n"
        f"{what_zh}应取多少？（只有一个取值满足要求。）")
    name = unknown
    low = 0 if unknown == "padding" else 1
    terms = {"padding": str(p), "stride": str(s), "kernel_size": str(k), unknown: symbol}
    kernel_term = f"{terms['kernel_size']}" if d == 1 else f"{d}*({terms['kernel_size']} - 1) - 1"
    expr = f"({n} + 2*{terms['padding']} - {kernel_term}) // {terms['stride']} + 1"
    solution_code = f"{name} = min({symbol} for {symbol} in range({low}, 129) if {expr} == {target})"
    solved = {**known, unknown: answer}
    check = conv_size_working(n, solved["kernel_size"], stride=solved["stride"], left=solved["padding"],
                              right=solved["padding"], dilation=d).tex
    numer_low = s * (target - 1)
    en = [f"The output size is {_FORMULA}; here it must equal {target}.",
          f"The floor gives {target} exactly when ${numer_low} \\le n + 2p - d(k-1) - 1 \\le {numer_low + s - 1}$ "
          f"(that is $s(o-1) \\le \\dots \\le s(o-1) + s - 1$).",
          f"With the other values substituted, the only value that satisfies it is ${symbol} = {answer}$.",
          f"Check: $o = {check}$."]
    zh = [f"输出大小为 {_FORMULA}，这里它要等于 {target}。",
          f"向下取整后等于 {target}，当且仅当 ${numer_low} \\le n + 2p - d(k-1) - 1 \\le {numer_low + s - 1}$"
          f"（即 $s(o-1) \\le \\dots \\le s(o-1) + s - 1$）。",
          f"代入其余已知量，满足条件的取值只有 ${symbol} = {answer}$。",
          f"验算：$o = {check}$。"]
    en.append(f"Answer: `{name} = {answer}`.")
    zh.append(f"答案：`{name} = {answer}`。")
    part = make_part("a", bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
                     AnswerSpec("integer", name, answer), solution_code, wrongs)
    params = {"unknown": unknown, "ndim": ndim, "n": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d, "output": target}
    return make_exercise("conv_inverse", difficulty, params, prompt, [part], {"en": en, "zh": zh})


register(Family("conv_output_size", bilingual("Output size of a convolution", "卷积层的输出大小"),
                (1, 2, 3), _draw_output_size))
register(Family("conv_inverse", bilingual("Which padding, stride or kernel gives a size", "求使输出达到指定大小的填充、步幅或卷积核"),
                (1, 2, 3), _draw_inverse))
