r"""Families ``output_size_formula`` and ``receptive_field_formula``: answers as formulas.

The student defines a string such as ``"floor((n + 2*p - k)/s) + 1"``; the
grader parses it with its whitelist parser and compares it with the expected
sympy expression. Expected expressions come from :mod:`convmath.sizes` and
:func:`convmath.receptive.receptive_field` called with sympy symbols, and the
wrong ones from the catalogue's ``wrong`` callables called with the same
symbols.

``output_size_formula``
    1. convolution, stride 1: :math:`o(n, p)` for a given kernel;
    2. convolution with a stride, or a transposed convolution;
    3. with dilation (and output padding for the transposed convolution).

``receptive_field_formula``
    1. two stride-1 convolutions; 2. two layers with strides; 3. three layers.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from typing import Any

import sympy

from convmath.misconceptions import CATALOGUE
from convmath.receptive import receptive_field
from convmath.sizes import conv_output_size, conv_transpose_output_size

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import bilingual, check_options, make_exercise, make_part, sympy_symbols, wrong_answers

_DOMAIN = {"n": "positive_integer", "k": "positive_integer", "s": "positive_integer", "d": "positive_integer",
           "p": "nonnegative_integer", "op": "nonnegative_integer"}
_NAMES_EN = {"n": "the input size", "k": "the kernel size", "s": "the stride", "p": "the padding per side",
             "d": "the dilation", "op": "the output padding"}
_NAMES_ZH = {"n": "输入大小", "k": "卷积核大小", "s": "步幅", "p": "每侧填充", "d": "膨胀率", "op": "输出填充（output_padding）"}


def _expression_part(name: str, expected: sympy.Expr, symbols: dict[str, str], wrongs: Any, text: str = "") -> Any:
    return make_part("a", bilingual(f"Define `{name}` as a string holding the formula, e.g. `{name} = \"n + 1\"` "
                                    "(use `floor(...)` and `ceiling(...)` for rounding).",
                                    f"请把公式以字符串形式赋给变量 `{name}`，例如 `{name} = \"n + 1\"`"
                                    "（取整请用 `floor(...)` 和 `ceiling(...)`）。"),
                     AnswerSpec("expression", name, expected, symbols=symbols), f"{name} = {(text or str(expected))!r}", wrongs)


def draw_output_formula(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("output_size_formula", options)
    transposed = difficulty > 1 and rng.random() < 0.4
    names = ["n", "k", "p"] + (["s"] if difficulty > 1 else []) + (["d"] if difficulty == 3 else []) \
        + (["op"] if difficulty == 3 and transposed else [])
    fixed: dict[str, int] = {}
    if difficulty == 1 or rng.random() < 0.5:
        fixed["k"] = rng.choice((2, 3, 4, 5, 7)) if difficulty == 1 else rng.choice((3, 5))
    if difficulty == 3 and rng.random() < 0.4:
        fixed["s"] = 2
    return _output_formula(difficulty, transposed, tuple(names), tuple(fixed.items()))


@functools.lru_cache(maxsize=256)
def _output_formula(difficulty: int, transposed: bool, names: tuple[str, ...],
                    fixed_items: tuple[tuple[str, int], ...]) -> Exercise | None:
    """Build the variant for the drawn choices (cached: the symbolic work is slow and the choices are few)."""
    fixed = dict(fixed_items)
    symbols = {name: _DOMAIN[name] for name in names if name not in fixed}
    table = sympy_symbols(symbols)
    value = {name: fixed.get(name, table.get(name)) for name in names}
    args = {"stride": value.get("s", 1), "padding": value["p"], "dilation": value.get("d", 1)}
    if transposed:
        args["output_padding"] = value.get("op", 0)
        expected = conv_transpose_output_size(value["n"], value["k"], **args)
        labels = ["transpose_padding_added", "transpose_n_times_s"] + (["output_padding_ignored"] if "op" in names else [])
        layer, layer_zh = "a transposed convolution (`nn.ConvTranspose2d`)", "转置卷积（`nn.ConvTranspose2d`）"
    else:
        expected = conv_output_size(value["n"], value["k"], **args)
        labels = ["padding_once"] + (["ignored_dilation", "dilated_kernel_dk"] if "d" in names else [])
        labels += (["ceil_not_floor", "no_floor", "ignored_stride"] if "s" in names else []) + ["forgot_plus_one"]
        layer, layer_zh = "a convolution (`nn.Conv2d`)", "卷积层（`nn.Conv2d`）"
    wrongs = wrong_answers(expected, {label: (lambda label=label: CATALOGUE[label].wrong(value["n"], value["k"], **args))
                                      for label in labels}, symbols=symbols)
    if wrongs is None:
        return None
    given_en = ", ".join(f"{_NAMES_EN[name]} ${name}$" for name in symbols)
    given_zh = "、".join(f"{_NAMES_ZH[name]} ${name}$" for name in symbols)
    fixed_en = "".join(f" The {_NAMES_EN[name][4:]} is {v}." for name, v in fixed.items())
    fixed_zh = "".join(f"{_NAMES_ZH[name]}为 {v}。" for name, v in fixed.items())
    prompt = bilingual(
        f"Write the output size (height = width) of {layer} as a formula in {given_en}.{fixed_en}",
        f"写出{layer_zh}的输出大小（高 = 宽），用{given_zh}表示。{fixed_zh}")
    v = {name: str(value[name]) for name in names}
    kernel = f"{v['d']}*({v['k']} - 1)" if "d" in names else f"({v['k']} - 1)"
    if transposed:
        text = f"({v['n']} - 1)*{v.get('s', 1)} - 2*{v['p']} + {kernel} + {v.get('op', 0)} + 1"
    elif "s" in names:
        text = f"floor(({v['n']} + 2*{v['p']} - {kernel} - 1)/{v['s']}) + 1"
    else:
        text = f"{v['n']} + 2*{v['p']} - {kernel} - 1 + 1"
    latex = sympy.latex(sympy.sympify(text, locals=table, evaluate=False))
    en = [("For a transposed convolution $o = (n - 1)s - 2p + d(k - 1) + \\mathrm{op} + 1$ (PyTorch)." if transposed else
           "For a convolution $o = \\left\\lfloor \\dfrac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1$ (PyTorch, $p$ per side)."),
          f"With the given values this is $o = {latex}$, that is ${sympy.latex(expected)}$."]
    zh = [("转置卷积：$o = (n - 1)s - 2p + d(k - 1) + \\mathrm{op} + 1$（PyTorch）。" if transposed else
           "卷积：$o = \\left\\lfloor \\dfrac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1$（PyTorch，$p$ 为每侧填充）。"),
          f"代入已知量得 $o = {latex}$，即 ${sympy.latex(expected)}$。"]
    params = {"transposed": transposed, "symbols": list(symbols), "fixed": fixed}
    return make_exercise("output_size_formula", difficulty, params, prompt,
                         [_expression_part("out_size", expected, symbols, wrongs, text)], {"en": en, "zh": zh})


def draw_rf_formula(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("receptive_field_formula", options)
    count = 3 if difficulty == 3 else 2
    layers, symbols, fixed = [], {}, {}
    for i in range(1, count + 1):
        layer: dict[str, Any] = {"type": "Conv2d"}
        for key, letter in (("kernel_size", "k"), ("stride", "s")):
            name = f"{letter}{i}"
            if key == "stride" and (difficulty == 1 or i == count):
                continue  # the last layer's stride does not change its receptive field
            if rng.random() < 0.25:
                layer[key] = fixed[name] = rng.choice((2, 3)) if key == "stride" else rng.choice((3, 5))
            else:
                symbols[name] = "positive_integer"
                layer[key] = sympy.Symbol(name, integer=True, positive=True)
        layers.append(layer)
    key = tuple(tuple((k, str(v)) for k, v in layer.items()) for layer in layers)
    return _rf_formula(difficulty, key, tuple(symbols.items()), tuple(fixed.items()))


@functools.lru_cache(maxsize=256)
def _rf_formula(difficulty: int, key: tuple[tuple[tuple[str, str], ...], ...], symbol_items: tuple[tuple[str, str], ...],
                fixed_items: tuple[tuple[str, int], ...]) -> Exercise | None:
    """Build the variant for the drawn stack (cached, as for the output-size formula)."""
    symbols, fixed = dict(symbol_items), dict(fixed_items)
    table = sympy_symbols(symbols)
    layers = [{k: (v if k == "type" else table[v] if v in table else int(v)) for k, v in layer} for layer in key]
    expected = receptive_field(layers)[-1].r[0]
    if not isinstance(expected, sympy.Expr) or not expected.free_symbols:
        return None
    symbols = {name: domain for name, domain in symbols.items()
               if sympy.Symbol(name, integer=True, positive=True) in expected.free_symbols}
    labels = ["rf_own_stride_included", "rf_ignored_strides", "rf_is_effective_stride"] if difficulty > 1 else []
    labels.append("rf_sum_of_kernels")
    wrongs = wrong_answers(expected, {label: (lambda label=label: CATALOGUE[label].wrong(layers)) for label in labels},
                           symbols=symbols)
    if wrongs is None:
        return None

    def show(layer: dict[str, Any]) -> str:
        return f"`nn.Conv2d(c, c, kernel_size={layer['kernel_size']}" + (
            f", stride={layer['stride']})`" if "stride" in layer else ")`")

    stack = "\n".join(f"{i}. {show(layer)}" for i, layer in enumerate(layers, 1))
    prompt = bilingual(
        f"A stack of convolutions (paddings do not matter here):\n\n{stack}\n\n"
        f"Write the receptive field of one output unit of the last layer as a formula in "
        f"{', '.join(f'${name}$' for name in symbols)}.",
        f"若干卷积层依次堆叠（填充不影响感受野）：\n\n{stack}\n\n"
        f"写出最后一层一个输出单元的感受野大小，用 {'、'.join(f'${name}$' for name in symbols)} 表示。")
    latex = sympy.latex(expected)
    en = [r"Layer $l$ adds $(k_l - 1)$ times the product of the strides before it: "
          r"$r = 1 + \sum_l (k_l - 1) \prod_{i<l} s_i$.", f"Here $r = {latex}$."]
    zh = [r"第 $l$ 层增加 $(k_l - 1)$ 乘以它之前各层步幅之积：$r = 1 + \sum_l (k_l - 1) \prod_{i<l} s_i$。",
          f"这里 $r = {latex}$。"]
    params = {"layers": [{key: str(v) for key, v in layer.items()} for layer in layers], "fixed": fixed}
    return make_exercise("receptive_field_formula", difficulty, params, prompt,
                         [_expression_part("rf", expected, symbols, wrongs)], {"en": en, "zh": zh})


register(Family("output_size_formula", bilingual("The output-size formula, symbolically", "输出大小公式（符号形式）"),
                (1, 2, 3), draw_output_formula))
register(Family("receptive_field_formula", bilingual("The receptive-field formula, symbolically", "感受野公式（符号形式）"),
                (1, 2, 3), draw_rf_formula))
