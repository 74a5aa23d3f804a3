r"""Families ``output_size_formula`` and ``receptive_field_formula``: answers as formulas.

The student defines a string such as ``"floor((n + 2*p - k)/s) + 1"``; the
grader parses it with its whitelist parser and compares it with the expected
sympy expression. Expected expressions come from :mod:`convmath.sizes` and
:func:`convmath.receptive.receptive_field` called with a mix of sympy symbols
and fixed numbers (the variant draws which quantities are symbolic and the
values of the others), and the wrong ones from the catalogue's ``wrong``
callables called with the same arguments.

``output_size_formula`` (one layer, or a stack of two or three)
    The input size :math:`n` is always a symbol; symbols of a stack are numbered by layer.

    1. stride-1 convolutions (and stride-1 pooling): kernel and padding fixed
       or symbolic;
    2. with strides (convolution and pooling, or transposed convolutions);
    3. with dilation (and output padding for the transposed convolution).

``receptive_field_formula`` (a stack of convolutions and pooling)
    Some kernels, strides and dilations symbolic, the others fixed.

    1. two to four stride-1 layers (stride-1 pooling among them); 2. two or three layers with strides;
    3. three or four layers, with a dilated convolution.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from convmath.misconceptions import CATALOGUE
from convmath.receptive import receptive_field
from convmath.sizes import conv_output_size, conv_transpose_output_size, pool_output_size

from ..model import AnswerSpec, Exercise
from . import Family, register
from ._common import (
    bilingual,
    check_options,
    make_exercise,
    make_part,
    receptive_field_labels,
    sympy_symbols,
    wrong_answers,
)

_DOMAIN = {
    "n": "positive_integer",
    "k": "positive_integer",
    "s": "positive_integer",
    "d": "positive_integer",
    "p": "nonnegative_integer",
    "op": "nonnegative_integer",
}
_NAMES_EN = {
    "n": "the input size",
    "k": "the kernel size",
    "s": "the stride",
    "p": "the padding per side",
    "d": "the dilation",
    "op": "the output padding",
}
_NAMES_ZH = {
    "n": "输入大小",
    "k": "卷积核大小",
    "s": "步幅",
    "p": "每侧填充",
    "d": "膨胀率",
    "op": "输出填充（output_padding）",
}
#: layer argument -> the letter of its symbol
_LETTER = {"kernel_size": "k", "padding": "p", "stride": "s", "dilation": "d", "output_padding": "op"}
_CONV_TEXT = (
    "For a convolution (and pooling) $o = \\left\\lfloor \\dfrac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1$ "
    "(PyTorch, $p$ per side).",
    "卷积层（及池化层）：$o = \\left\\lfloor \\dfrac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1$"
    "（PyTorch，$p$ 为每侧填充）。",
)
_TRANSPOSE_TEXT = (
    "For a transposed convolution $o = (n - 1)s - 2p + d(k - 1) + \\mathrm{op} + 1$ (PyTorch).",
    "转置卷积：$o = (n - 1)s - 2p + d(k - 1) + \\mathrm{op} + 1$（PyTorch）。",
)

Key = tuple[tuple[tuple[str, Any], ...], ...]
"""A drawn stack, hashable: per layer its ``(argument, value)`` pairs; a symbolic value is its name (a str)."""


def _domain(name: str) -> str:
    """The domain of a symbol named by its letter and an optional layer number (``k``, ``p2``)."""
    return _DOMAIN[name.rstrip("0123456789")]


def _symbolic(layers: list[dict[str, Any]], key: str) -> None:
    """Name the placeholders ``"?"`` of argument ``key``: its letter, numbered by layer in a stack."""
    for i, layer in enumerate(layers, 1):
        if layer.get(key) == "?":
            layer[key] = _LETTER[key] + (str(i) if len(layers) > 1 else "")


def _freeze(layers: Sequence[Mapping[str, Any]]) -> Key:
    return tuple(tuple(layer.items()) for layer in layers)


def _thaw(key: Key, table: Mapping[str, sympy.Symbol]) -> list[dict[str, Any]]:
    """The layers with each symbol name replaced by its sympy symbol."""
    return [{arg: (table[v] if isinstance(v, str) and arg != "type" else v) for arg, v in layer} for layer in key]


def _symbols_of(key: Key) -> dict[str, str]:
    return {v: _domain(v) for layer in key for arg, v in layer if arg != "type" and isinstance(v, str)}


def _symbol_list(names: Sequence[str]) -> tuple[str, str, str, str]:
    """The symbols as the prompt lists them (en, zh), and a sentence on typing the numbered ones (en, zh).

    >>> _symbol_list(["n", "k1"])
    ('$n$, $k_{1}$', '$n$、$k_{1}$', ' In the answer write `k1` for $k_{1}$.', '作答时 $k_{1}$ 写作 `k1`。')
    """
    shown = {name: f"${sympy.latex(sympy.Symbol(name))}$" for name in names}
    numbered = [name for name in names if name[-1].isdigit()]
    hint_en = (
        (" In the answer write " + ", ".join(f"`{name}` for {shown[name]}" for name in numbered) + ".")
        if numbered
        else ""
    )
    hint_zh = ("作答时 " + "、".join(f"{shown[name]} 写作 `{name}`" for name in numbered) + "。") if numbered else ""
    return ", ".join(shown.values()), "、".join(shown.values()), hint_en, hint_zh


def _fixed_or_symbol(rng: random.Random, values: Sequence[int], share: float) -> int | str:
    return "?" if rng.random() < share else rng.choice(values)


# --------------------------------------------------------------------------
# output_size_formula


def _draw_size_layer(rng: random.Random, difficulty: int, kind: str, dilated: bool) -> dict[str, Any]:
    """One layer of an output-size stack; ``"?"`` marks a symbolic argument."""
    if kind == "pool":
        k = rng.choice((2, 3))
        s = 1 if difficulty == 1 else rng.choice((2, k))
        return {"type": "MaxPool2d", "kernel_size": k, "stride": s, "padding": rng.choice((0, 1)) if k == 3 else 0}
    layer: dict[str, Any] = {
        "type": "ConvTranspose2d" if kind == "transposed" else "Conv2d",
        "kernel_size": _fixed_or_symbol(rng, (1, 2, 3, 3, 4, 5, 6, 7, 9, 11), 0.3),
        "padding": _fixed_or_symbol(rng, (0, 1, 1, 2, 3, 4), 0.3),
    }
    if difficulty > 1:
        layer["stride"] = _fixed_or_symbol(rng, (1, 2, 2, 3, 4), 0.35)
    if dilated:
        layer["dilation"] = _fixed_or_symbol(rng, (2, 2, 3, 4), 0.5)
    if kind == "transposed" and difficulty == 3:
        # output padding must stay below the stride or the dilation: a number only when a fixed one allows it
        spread = [layer.get(arg, 1) for arg in ("stride", "dilation")]
        largest = max([1, *(v for v in spread if v != "?")])
        if largest > 1:
            layer["output_padding"] = _fixed_or_symbol(rng, tuple(range(1, largest)), 0.5)
        elif "?" in spread:
            layer["output_padding"] = "?"
    return layer


def _draw_output_formula(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("output_size_formula", options)
    transposed = difficulty > 1 and rng.random() < 0.35
    count = rng.choice((1, 2, 2, 3, 3) if difficulty == 1 else (1, 2, 2, 2))
    if transposed:
        kinds = ["transposed"] * count
    else:
        kinds = ["conv", *(rng.choice(("conv", "conv", "pool")) for _ in range(count - 1))]
    dilated = rng.randrange(count) if difficulty == 3 else -1
    layers = [_draw_size_layer(rng, difficulty, kind, i == dilated) for i, kind in enumerate(kinds)]
    for arg in _LETTER:
        _symbolic(layers, arg)
    return _output_formula(difficulty, _freeze(layers))


def _size(layer: Mapping[str, Any], n: Any, label: str | None = None) -> Any:
    """The output size of one layer, by the right formula or by misconception ``label`` where it applies."""
    args = {arg: v for arg, v in layer.items() if arg not in ("type", "kernel_size")}
    if layer["type"] == "ConvTranspose2d":
        if label and CATALOGUE[label].quantity == "conv_transpose_output_size":
            return CATALOGUE[label].wrong(n, layer["kernel_size"], **args)
        return conv_transpose_output_size(n, layer["kernel_size"], **args)
    if label and CATALOGUE[label].quantity == "conv_output_size":
        return CATALOGUE[label].wrong(n, layer["kernel_size"], **args)  # pooling in floor mode is this formula
    if layer["type"] == "MaxPool2d":
        return pool_output_size(n, layer["kernel_size"], **args)
    return conv_output_size(n, layer["kernel_size"], **args)


def _size_labels(key: Key) -> list[str]:
    """The misconceptions that apply to a stack, the most specific first."""

    def some(arg: str, types: tuple[str, ...] = ("Conv2d", "MaxPool2d")) -> bool:
        return any(dict(layer).get(arg, 0) not in (0, 1) and dict(layer)["type"] in types for layer in key)

    if dict(key[0])["type"] == "ConvTranspose2d":
        return ["transpose_padding_added", "transpose_n_times_s"] + (
            ["output_padding_ignored"] if some("output_padding", ("ConvTranspose2d",)) else []
        )
    labels = ["padding_once"] if some("padding") else []
    labels += ["ignored_dilation", "dilated_kernel_dk"] if some("dilation") else []
    labels += ["ceil_not_floor", "no_floor", "ignored_stride"] if some("stride") else []
    return labels + ["forgot_plus_one"]


def _layer_text(layer: Mapping[str, Any], n: str) -> str:
    """The formula of one layer as an expression string, ``n`` standing for its input size."""
    v = {
        arg: str(layer.get(arg, default))
        for arg, default in (("kernel_size", 1), ("padding", 0), ("stride", 1), ("dilation", 1), ("output_padding", 0))
    }
    kernel = f"{v['dilation']}*({v['kernel_size']} - 1)" if "dilation" in layer else f"({v['kernel_size']} - 1)"
    if layer["type"] == "ConvTranspose2d":
        return f"({n} - 1)*{v['stride']} - 2*{v['padding']} + {kernel} + {v['output_padding']} + 1"
    if v["stride"] != "1":
        return f"floor(({n} + 2*{v['padding']} - {kernel} - 1)/{v['stride']}) + 1"
    return f"{n} + 2*{v['padding']} - {kernel} - 1 + 1"


def _describe_size_layer(layer: Mapping[str, Any]) -> str:
    if layer["type"] == "MaxPool2d":
        return (
            f"`nn.MaxPool2d({layer['kernel_size']}, stride={layer['stride']}"
            + (f", padding={layer['padding']}" if layer["padding"] else "")
            + ")`"
        )
    args = ", ".join(f"{arg}={v}" for arg, v in layer.items() if arg != "type")
    return f"`nn.{layer['type']}(c, c, {args})`"


@functools.lru_cache(maxsize=1024)
def _output_formula(difficulty: int, key: Key) -> Exercise | None:
    """Build the variant for the drawn stack (cached: the symbolic work is slow)."""
    symbols = {"n": "positive_integer", **_symbols_of(key)}
    table = sympy_symbols(symbols)
    layers = _thaw(key, table)

    def run(label: str | None = None) -> Any:
        size = table["n"]
        for layer in layers:
            size = _size(layer, size, label)
        return size

    expected = run()
    wrongs = wrong_answers(
        expected, {label: (lambda label=label: run(label)) for label in _size_labels(key)}, symbols=symbols
    )
    if wrongs is None:
        return None
    plain = [dict(layer) for layer in key]
    transposed = plain[0]["type"] == "ConvTranspose2d"
    names = [name for name in symbols if name != "n"]
    given_en, given_zh, hint_en, hint_zh = _symbol_list(["n", *names])
    legend_en = "; ".join(f"${sympy.latex(table[name])}$ is {_NAMES_EN[name.rstrip('0123456789')]}" for name in names)
    legend_zh = "；".join(f"${sympy.latex(table[name])}$ 为{_NAMES_ZH[name.rstrip('0123456789')]}" for name in names)
    if len(plain) == 1:
        layer_en = f"the layer {_describe_size_layer(plain[0])}"
        layer_zh = f"层 {_describe_size_layer(plain[0])}"
    else:
        stack = "\n".join(f"{i}. {_describe_size_layer(layer)}" for i, layer in enumerate(plain, 1))
        layer_en, layer_zh = f"this stack of layers:\n\n{stack}\n\n", f"以下各层依次堆叠：\n\n{stack}\n\n"
    prompt = bilingual(
        f"An input of size $n\\times n$ goes through {layer_en}"
        + ("" if len(plain) > 1 else ". ")
        + f"Write the output size (height = width) as a formula in {given_en}"
        + (f" ({legend_en})." if names else ".")
        + hint_en,
        f"大小为 $n\\times n$ 的输入经过{layer_zh}"
        + ("" if len(plain) > 1 else "。")
        + f"写出输出大小（高 = 宽），用 {given_zh} 表示"
        + (f"（{legend_zh}）。" if names else "。")
        + hint_zh,
    )
    en = [_TRANSPOSE_TEXT[0] if transposed else _CONV_TEXT[0]]
    zh = [_TRANSPOSE_TEXT[1] if transposed else _CONV_TEXT[1]]
    text, locals_ = "n", dict(table)
    for i, layer in enumerate(plain, 1):
        step = _layer_text(layer, "n" if i == 1 else f"o_{i - 1}")
        locals_[f"o_{i - 1}"] = sympy.Symbol(f"o_{i - 1}", integer=True, positive=True)
        latex = sympy.latex(sympy.sympify(step, locals=locals_))
        values = [f"${_LETTER[arg]} = {v}$" for arg, v in layer.items() if arg in _LETTER and not isinstance(v, str)]
        who_en, who_zh = ("", "") if len(plain) == 1 else (f"Layer {i}: ", f"第 {i} 层：")
        with_en, with_zh = (f"with {', '.join(values)}, ", f"代入 {'，'.join(values)}，") if values else ("", "")
        en.append(f"{who_en}{with_en}$o_{i} = {latex}$.")
        zh.append(f"{who_zh}{with_zh}$o_{i} = {latex}$。")
        text = _layer_text(layer, text if i == 1 else f"({text})")
    en.append(f"Altogether $o = {sympy.latex(expected)}$.")
    zh.append(f"合起来 $o = {sympy.latex(expected)}$。")
    params = {"layers": plain, "symbols": list(symbols)}
    return make_exercise(
        "output_size_formula",
        difficulty,
        params,
        prompt,
        [_expression_part("out_size", expected, symbols, wrongs, text)],
        {"en": en, "zh": zh},
    )


def _expression_part(name: str, expected: sympy.Expr, symbols: dict[str, str], wrongs: Any, text: str = "") -> Any:
    example = f"{next(iter(symbols), 'n')} + 1"  # in the symbols the answer may use
    return make_part(
        "a",
        bilingual(
            f'Define `{name}` as a string holding the formula, e.g. `{name} = "{example}"` '
            "(use `floor(...)` and `ceiling(...)` for rounding).",
            f'请把公式以字符串形式赋给变量 `{name}`，例如 `{name} = "{example}"`'
            "（取整请用 `floor(...)` 和 `ceiling(...)`）。",
        ),
        AnswerSpec("expression", name, expected, symbols=symbols),
        f"{name} = {(text or str(expected))!r}",
        wrongs,
    )


# --------------------------------------------------------------------------
# receptive_field_formula


def _draw_rf_layer(rng: random.Random, difficulty: int, first: bool, last: bool) -> dict[str, Any]:
    """One layer of a receptive-field stack; ``"?"`` marks a symbolic argument."""
    if not first and rng.random() < (0.2 if difficulty == 1 else 0.3):
        k = rng.choice((2, 3))
        return {"type": "MaxPool2d", "kernel_size": k, "stride": 1 if difficulty == 1 else rng.choice((2, k))}
    share = 0.25 if difficulty == 1 else 0.4
    layer: dict[str, Any] = {
        "type": "Conv2d",
        "kernel_size": _fixed_or_symbol(rng, (2, 3, 3, 4, 5, 6, 7, 9, 11), share),
    }
    if difficulty > 1 and not last:  # the last layer's stride does not change its receptive field
        layer["stride"] = _fixed_or_symbol(rng, (1, 2, 2, 3), 0.5)
    return layer


def _draw_rf_formula(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    check_options("receptive_field_formula", options)
    count = {1: rng.choice((2, 3, 3, 4, 4, 4)), 2: rng.choice((2, 3, 3, 3)), 3: rng.randint(3, 4)}[difficulty]
    layers = [_draw_rf_layer(rng, difficulty, i == 0, i == count - 1) for i in range(count)]
    if difficulty == 3:
        convs = [layer for layer in layers if layer["type"] == "Conv2d" and layer["kernel_size"] != 1]
        rng.choice(convs)["dilation"] = _fixed_or_symbol(rng, (2, 3, 4), 0.5)
    for arg in ("kernel_size", "stride", "dilation"):
        _symbolic(layers, arg)
    return _rf_formula(difficulty, _freeze(layers))


@functools.lru_cache(maxsize=1024)
def _rf_formula(difficulty: int, key: Key) -> Exercise | None:
    """Build the variant for the drawn stack (cached, as for the output-size formula)."""
    symbols = _symbols_of(key)
    table = sympy_symbols(symbols)
    layers = _thaw(key, table)
    expected = receptive_field(layers)[-1].r[0]
    if not isinstance(expected, sympy.Expr) or not expected.free_symbols:
        return None
    labels = receptive_field_labels(strided=difficulty > 1, dilated=difficulty == 3)
    wrongs = wrong_answers(
        expected, {label: (lambda label=label: CATALOGUE[label].wrong(layers)) for label in labels}, symbols=symbols
    )
    if wrongs is None:
        return None
    plain = [dict(layer) for layer in key]

    def show(layer: dict[str, Any]) -> str:
        args = ", ".join(f"{arg}={v}" for arg, v in layer.items() if arg != "type")
        return f"`nn.{layer['type']}({'' if 'Pool' in layer['type'] else 'c, c, '}{args})`"

    stack = "\n".join(f"{i}. {show(layer)}" for i, layer in enumerate(plain, 1))
    given_en, given_zh, hint_en, hint_zh = _symbol_list(list(symbols))
    prompt = bilingual(
        f"A stack of layers (paddings do not matter here):\n\n{stack}\n\n"
        f"Write the receptive field of one output unit of the last layer as a formula in {given_en}.{hint_en}",
        f"若干层依次堆叠（填充不影响感受野）：\n\n{stack}\n\n"
        f"写出最后一层一个输出单元的感受野大小，用 {given_zh} 表示。{hint_zh}",
    )
    latex = sympy.latex(expected)
    en = [
        r"Layer $l$ adds $(k'_l - 1)$ times the product of the strides before it, where $k'_l = d_l(k_l - 1) + 1$ "
        r"is its (dilated) kernel: $r = 1 + \sum_l (k'_l - 1) \prod_{i<l} s_i$ (pooling counts like a convolution).",
        f"Here $r = {latex}$.",
    ]
    zh = [
        r"第 $l$ 层增加 $(k'_l - 1)$ 乘以它之前各层步幅之积，其中 $k'_l = d_l(k_l - 1) + 1$ 是（膨胀后的）核大小："
        r"$r = 1 + \sum_l (k'_l - 1) \prod_{i<l} s_i$（池化层与卷积层的算法相同）。",
        f"这里 $r = {latex}$。",
    ]
    params = {"layers": plain, "symbols": list(symbols)}
    return make_exercise(
        "receptive_field_formula",
        difficulty,
        params,
        prompt,
        [_expression_part("rf", expected, symbols, wrongs)],
        {"en": en, "zh": zh},
    )


register(
    Family(
        "output_size_formula",
        bilingual("The output-size formula, symbolically", "输出大小公式（符号形式）"),
        (1, 2, 3),
        _draw_output_formula,
    )
)
register(
    Family(
        "receptive_field_formula",
        bilingual("The receptive-field formula, symbolically", "感受野公式（符号形式）"),
        (1, 2, 3),
        _draw_rf_formula,
    )
)
