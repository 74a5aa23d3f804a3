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

Both are written in three steps (:mod:`exercises.families._staged`): ``draw_*`` draws the stack (which arguments
are symbolic, the values of the others), ``solve_*`` computes the expressions (cached per level and stack: the
symbolic work is slow), ``render_*`` the TeX the texts show; the texts are ``texts/output_size_formula.toml`` and
``texts/receptive_field_formula.toml``.
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

from ..model import AnswerSpec, WrongAnswer
from ._common import bilingual, check_options, receptive_field_labels, sympy_symbols, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = [
    "OUTPUT_SIZE_FORMULA",
    "RECEPTIVE_FIELD_FORMULA",
    "draw_output_formula",
    "solve_output_formula",
    "render_output_formula",
    "draw_rf_formula",
    "solve_rf_formula",
    "render_rf_formula",
]

_DOMAIN = {
    "n": "positive_integer",
    "k": "positive_integer",
    "s": "positive_integer",
    "d": "positive_integer",
    "p": "nonnegative_integer",
    "op": "nonnegative_integer",
}
#: layer argument -> the letter of its symbol
_LETTER = {"kernel_size": "k", "padding": "p", "stride": "s", "dilation": "d", "output_padding": "op"}

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


def _fixed_or_symbol(rng: random.Random, values: Sequence[int], share: float) -> int | str:
    return "?" if rng.random() < share else rng.choice(values)


def _expression_answer(
    name: str, expected: sympy.Expr, symbols: dict[str, str], wrongs: tuple[WrongAnswer, ...], text: str = ""
) -> Answer:
    """The part: a string holding the formula (``text``, or the expected expression written by sympy)."""
    spec = AnswerSpec("expression", name, expected, symbols=symbols)
    return Answer("a", spec, "{name} = " + repr(text or str(expected)), wrongs)


def _symbol_texts(names: Sequence[str]) -> dict[str, Any]:
    """How the texts show the symbols (``$k_{1}$``): ``shown`` all of them, ``numbered`` those typed otherwise.

    >>> _symbol_texts(["n", "k1"])["numbered"]
    [{'name': 'k1', 'tex': '$k_{1}$', 'letter': 'k'}]
    """
    shown = [
        {"name": name, "tex": f"${sympy.latex(sympy.Symbol(name))}$", "letter": name.rstrip("0123456789")}
        for name in names
    ]
    return {"shown": shown, "numbered": [s for s in shown if s["name"][-1].isdigit()]}


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


def draw_output_formula(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any]:
    """``output_size_formula``: a layer or a stack, some of its arguments symbols (named by letter and layer).

    Examples
    --------
    >>> draw_output_formula(random.Random(2), 1, {})
    {'layers': [{'type': 'Conv2d', 'kernel_size': 'k', 'padding': 1}], 'symbols': ['n', 'k'], '_level': 1}
    """
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
    return {"layers": layers, "symbols": ["n", *_symbols_of(_freeze(layers))], "_level": difficulty}


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


def solve_output_formula(params: Mapping[str, Any]) -> Solved | None:
    """``output_size_formula``: the output size as an expression, and the misconceptions' expressions.

    Examples
    --------
    >>> s = solve_output_formula(draw_output_formula(random.Random(2), 1, {}))
    >>> s.answers[0].spec.expected, s.answers[0].code
    (-k + n + 3, "{name} = 'n + 2*1 - (k - 1) - 1 + 1'")
    """
    return _solve_output(params["_level"], _freeze(params["layers"]))


@functools.lru_cache(maxsize=1024)
def _solve_output(level: int, key: Key) -> Solved | None:
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
    text = "n"
    for i, layer in enumerate(key, 1):
        text = _layer_text(dict(layer), text if i == 1 else f"({text})")
    return Solved((_expression_answer("out_size", expected, symbols, wrongs, text),), values={"expected": expected})


def render_output_formula(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> Mapping[str, Any]:
    r"""``output_size_formula``: the layers as code, the symbols, and each layer's formula in TeX.

    Examples
    --------
    >>> p = draw_output_formula(random.Random(2), 1, {})
    >>> r = render_output_formula(p, solve_output_formula(p), {})
    >>> r["described"], r["steps"]
    (['`nn.Conv2d(c, c, kernel_size=k, padding=1)`'], [{'i': 1, 'values': ['$p = 1$'], 'tex': '- k + n + 3'}])
    """
    return _render_output(params["_level"], _freeze(params["layers"]), solved.values["expected"])


@functools.lru_cache(maxsize=1024)
def _render_output(level: int, key: Key, expected: sympy.Expr) -> dict[str, Any]:
    names = ["n", *_symbols_of(key)]
    locals_: dict[str, Any] = dict(sympy_symbols({name: _domain(name) for name in names}))
    plain = [dict(layer) for layer in key]
    symbols = _symbol_texts(names)
    steps = []
    for i, layer in enumerate(plain, 1):
        step = _layer_text(layer, "n" if i == 1 else f"o_{i - 1}")
        locals_[f"o_{i - 1}"] = sympy.Symbol(f"o_{i - 1}", integer=True, positive=True)
        values = [f"${_LETTER[arg]} = {v}$" for arg, v in layer.items() if arg in _LETTER and not isinstance(v, str)]
        steps.append({"i": i, "values": values, "tex": sympy.latex(sympy.sympify(step, locals=locals_))})
    described = [_describe_size_layer(layer) for layer in plain]
    return {
        **symbols,
        "legend": symbols["shown"][1:],
        "described": described,
        "stack": "\n".join(f"{i}. {text}" for i, text in enumerate(described, 1)),
        "transposed": plain[0]["type"] == "ConvTranspose2d",
        "steps": steps,
        "expected_tex": sympy.latex(expected),
        "example": "n + 1",
    }


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


def draw_rf_formula(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any]:
    """``receptive_field_formula``: a stack of convolutions and pooling, some kernels, strides, dilations symbols.

    Examples
    --------
    >>> draw_rf_formula(random.Random(28), 1, {})["layers"]
    [{'type': 'Conv2d', 'kernel_size': 'k1'}, {'type': 'Conv2d', 'kernel_size': 4}]
    """
    check_options("receptive_field_formula", options)
    count = {1: rng.choice((2, 3, 3, 4, 4, 4)), 2: rng.choice((2, 3, 3, 3)), 3: rng.randint(3, 4)}[difficulty]
    layers = [_draw_rf_layer(rng, difficulty, i == 0, i == count - 1) for i in range(count)]
    if difficulty == 3:
        convs = [layer for layer in layers if layer["type"] == "Conv2d" and layer["kernel_size"] != 1]
        rng.choice(convs)["dilation"] = _fixed_or_symbol(rng, (2, 3, 4), 0.5)
    for arg in ("kernel_size", "stride", "dilation"):
        _symbolic(layers, arg)
    return {"layers": layers, "symbols": list(_symbols_of(_freeze(layers))), "_level": difficulty}


def solve_rf_formula(params: Mapping[str, Any]) -> Solved | None:
    """``receptive_field_formula``: the receptive field as an expression (``None`` when it has no symbol).

    Examples
    --------
    >>> solve_rf_formula(draw_rf_formula(random.Random(28), 1, {})).answers[0].spec.expected  # 1 + (k1 - 1) + 3
    k1 + 3
    """
    return _solve_rf(params["_level"], _freeze(params["layers"]))


@functools.lru_cache(maxsize=1024)
def _solve_rf(level: int, key: Key) -> Solved | None:
    symbols = _symbols_of(key)
    table = sympy_symbols(symbols)
    layers = _thaw(key, table)
    expected = receptive_field(layers)[-1].r[0]
    if not isinstance(expected, sympy.Expr) or not expected.free_symbols:
        return None
    labels = receptive_field_labels(strided=level > 1, dilated=level == 3)
    wrongs = wrong_answers(
        expected, {label: (lambda label=label: CATALOGUE[label].wrong(layers)) for label in labels}, symbols=symbols
    )
    if wrongs is None:
        return None
    return Solved((_expression_answer("rf", expected, symbols, wrongs),), values={"expected": expected})


def render_rf_formula(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """``receptive_field_formula``: the stack as code, the symbols, the receptive field in TeX.

    Examples
    --------
    >>> p = draw_rf_formula(random.Random(28), 1, {})
    >>> r = render_rf_formula(p, solve_rf_formula(p), {})
    >>> print(r["stack"])
    1. `nn.Conv2d(c, c, kernel_size=k1)`
    2. `nn.Conv2d(c, c, kernel_size=4)`
    >>> r["expected_tex"], r["example"], r["numbered"]
    ('k_{1} + 3', 'k1 + 1', [{'name': 'k1', 'tex': '$k_{1}$', 'letter': 'k'}])
    """

    def show(layer: Mapping[str, Any]) -> str:
        args = ", ".join(f"{arg}={v}" for arg, v in layer.items() if arg != "type")
        return f"`nn.{layer['type']}({'' if 'Pool' in layer['type'] else 'c, c, '}{args})`"

    symbols = list(params["symbols"])
    return {
        **_symbol_texts(symbols),
        "stack": "\n".join(f"{i}. {show(layer)}" for i, layer in enumerate(params["layers"], 1)),
        "expected_tex": sympy.latex(solved.values["expected"]),
        "example": f"{symbols[0]} + 1",
    }


OUTPUT_SIZE_FORMULA = staged(
    "output_size_formula",
    title=bilingual("The output-size formula, symbolically", "输出大小公式（符号形式）"),
    difficulties=(1, 2, 3),
    draw=draw_output_formula,
    solve=solve_output_formula,
    render=render_output_formula,
)
RECEPTIVE_FIELD_FORMULA = staged(
    "receptive_field_formula",
    title=bilingual("The receptive-field formula, symbolically", "感受野公式（符号形式）"),
    difficulties=(1, 2, 3),
    draw=draw_rf_formula,
    solve=solve_rf_formula,
    render=render_rf_formula,
)
