r"""Fill in a network's shape-and-parameter table (a LeNet-like random stack).

The stack is conv → ReLU → max-pool → conv → ReLU → max-pool → flatten →
linear → ReLU → linear, the shape of LeNet-5 in d2l (the "theory of convolutional neural networks" tutorial
lists its layer shapes). The student fills in the output shape of every
convolution, pooling and flatten row and the parameters of every layer with
weights.

Difficulty 1: square input, stride 1, "same" or no padding, 2×2 pooling;
shapes and the convolutions' parameters. Difficulty 2: adds the linear
layers' parameters and the total. Difficulty 3: a stride-2 convolution or a
3×3 pooling window with stride 2, non-square inputs.

Every expected value is read from :meth:`convmath.Network.summary`; the wrong
answers are the catalogue's conv-size, pooling and parameter misconceptions,
each applied to its own row (the row's input taken as right).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from convmath.errors import ConvMathError

from ..model import AnswerSpec, Exercise, Part
from . import Family, register
from ._arrays import code_line, wrong_answers
from ._common import check_options, make_exercise, make_part

__all__ = ["FAMILY", "draw_layers", "implied"]

NAME = "network_table"


def draw_layers(rng: random.Random, difficulty: int) -> tuple[tuple[int, int, int], list[dict[str, Any]]]:
    """A random LeNet-like stack: ``(input_shape, layers)`` as ``convmath.Network`` takes them.

    Parameters
    ----------
    rng : random.Random
        The variant's random source.
    difficulty : int
        1, 2 or 3.

    Returns
    -------
    tuple
        ``(C, H, W)`` of the input and the layers as dictionaries.

    Examples
    --------
    The same seed draws the same network; every stack starts with a
    convolution and ends with a 10-way linear layer:

    >>> shape, layers = draw_layers(random.Random(0), 1)
    >>> shape, layers[0]["type"], layers[-1]
    ((3, 32, 32), 'Conv2d', {'type': 'Linear', 'out_features': 10})
    >>> draw_layers(random.Random(0), 1) == (shape, layers)
    True
    """
    channels = rng.choice([1, 3])
    if difficulty < 3:
        h = w = rng.choice([28, 32, 36])
    else:
        h, w = rng.choice([28, 32, 36, 40]), rng.choice([24, 28, 32])
    c1, c2 = rng.choice([4, 6, 8]), rng.choice([8, 12, 16])
    k1, k2 = rng.choice([3, 5]), rng.choice([3, 5])
    conv1: dict[str, Any] = {
        "type": "Conv2d",
        "out_channels": c1,
        "kernel_size": k1,
        "padding": rng.choice([0, k1 // 2]),
    }
    conv2: dict[str, Any] = {"type": "Conv2d", "out_channels": c2, "kernel_size": k2, "padding": rng.choice([0, 1])}
    pool1: dict[str, Any] = {"type": "MaxPool2d", "kernel_size": 2}
    pool2: dict[str, Any] = {"type": "MaxPool2d", "kernel_size": 2}
    if difficulty == 3:
        if rng.random() < 0.5:
            conv1["stride"] = 2
        else:
            pool1 = {"type": "MaxPool2d", "kernel_size": 3, "stride": 2}
        pool2 = rng.choice([pool2, {"type": "AvgPool2d", "kernel_size": 2}])
    hidden = rng.choice([32, 64, 84, 120])
    layers = [
        conv1,
        {"type": "ReLU"},
        pool1,
        conv2,
        {"type": "ReLU"},
        pool2,
        {"type": "Flatten"},
        {"type": "Linear", "out_features": hidden},
        {"type": "ReLU"},
        {"type": "Linear", "out_features": 10},
    ]
    return (channels, h, w), layers


def _describe(layer: Mapping[str, Any], in_shape: tuple[int, ...]) -> str:
    kind = layer["type"]
    if kind == "Conv2d":
        extra = "".join(f", {key}={layer[key]}" for key in ("stride", "padding") if layer.get(key))
        return f"`Conv2d({in_shape[0]}, {layer['out_channels']}, kernel_size={layer['kernel_size']}{extra})`"
    if kind in ("MaxPool2d", "AvgPool2d"):
        extra = f", stride={layer['stride']}" if "stride" in layer else ""
        return f"`{kind}(kernel_size={layer['kernel_size']}{extra})`"
    if kind == "Linear":
        return f"`Linear({in_shape[0]}, {layer['out_features']})`"
    return f"`{kind}()`"


def _conv_wrongs(row_in: tuple[int, ...], layer: Mapping[str, Any], shape: tuple[int, ...]) -> Any:
    from convmath.misconceptions import CATALOGUE

    if layer["type"] == "Flatten":  # no catalogue mistake for a flatten size
        return ()
    k, s, p = layer["kernel_size"], layer.get("stride", 1), layer.get("padding", 0)

    def per_dim(label: str, **kw: Any) -> Any:
        return lambda: (shape[0], *(CATALOGUE[label].wrong(n, k, **kw) for n in row_in[1:]))

    if layer["type"] == "Conv2d":
        cands = [
            (label, per_dim(label, stride=s, padding=p))
            for label in ("forgot_plus_one", "padding_once", "ignored_stride", "ceil_not_floor")
        ]
        required = ["forgot_plus_one"]
    else:
        stride = layer.get("stride", k)
        cands = [
            ("forgot_plus_one", per_dim("forgot_plus_one", stride=stride)),
            ("pool_stride_one", per_dim("pool_stride_one", stride=layer.get("stride"))),
            ("ceil_mode_ignored", per_dim("ceil_mode_ignored", stride=layer.get("stride"))),
        ]
        required = ["forgot_plus_one", "pool_stride_one"]

    def valid(value: Any) -> tuple[int, ...]:
        value = tuple(value)
        if not all(isinstance(v, int) and v > 0 for v in value):
            raise ConvMathError("not a shape")
        return value

    return wrong_answers(shape, cands, required=required, normalize=valid)


def _param_wrongs(in_shape: tuple[int, ...], layer: Mapping[str, Any], params: int) -> Any:
    from convmath.misconceptions import CATALOGUE

    if layer["type"] == "Conv2d":
        args = (in_shape[0], layer["out_channels"], layer["kernel_size"])
        labels = ("forgot_bias", "bias_per_input_channel", "params_ignored_in_channels", "kernel_not_squared")
    else:
        args = (in_shape[0], layer["out_features"], 1)
        labels = ("forgot_bias", "bias_per_input_channel")
    cands = [(label, (lambda label=label: CATALOGUE[label].wrong(*args))) for label in labels]
    return wrong_answers(params, cands, required=["forgot_bias", "bias_per_input_channel"])


def implied(answers: Mapping[str, Any], *, input_shape: Any, layers: Any, cells: Any, target: str) -> Any:
    """What cell ``target`` should hold given the student's own earlier answers (error carried forward).

    Each row's input is the shape the student gave for the row before (when
    valid), so a wrong shape is not counted again in the rows after it; the
    total is the sum of the student's own parameter counts.

    Parameters
    ----------
    answers : mapping
        Part key -> the student's value (missing or unreadable ones left out).
    input_shape : sequence of int
        The network's input ``(C, H, W)``.
    layers : list of dict
        The layers, as :class:`convmath.Network` takes them.
    cells : list
        ``[part key, row, column]`` of every asked cell (column ``"shape"``,
        ``"params"`` or ``"total"``).
    target : str
        The part key whose implied value is wanted.

    Returns
    -------
    Any
        A shape tuple or an int; ``None`` when the earlier answers imply nothing
        (a layer does not apply to the student's shape).

    Examples
    --------
    Conv 3->6 (5x5) on 3x32x32 gives (6, 28, 28); a student who wrote (6, 30, 30)
    for it gets (6, 15, 15) as the pooling row's implied shape:

    >>> layers = [{"type": "Conv2d", "out_channels": 6, "kernel_size": 5}, {"type": "MaxPool2d", "kernel_size": 2}]
    >>> cells = [["a", 1, "shape"], ["b", 2, "shape"]]
    >>> implied({"a": (6, 30, 30)}, input_shape=[3, 32, 32], layers=layers, cells=cells, target="b")
    (6, 15, 15)
    """
    from convmath.network import Network

    asked = {(int(row), column): key for key, row, column in cells}
    goal = next((row, column) for key, row, column in cells if key == target)
    if goal[1] == "total":
        total = 0
        current: tuple[int, ...] = tuple(int(v) for v in input_shape)
        for row, layer in enumerate(layers, start=1):
            try:
                summary = Network([layer], input_shape=current).summary().rows[0]
            except (ConvMathError, ValueError, TypeError):
                return None
            given = answers.get(asked.get((row, "params"), ""))
            total += given if isinstance(given, int) and not isinstance(given, bool) else int(summary.params)
            current = tuple(int(v) for v in summary.output_shape)
        return total
    current = tuple(int(v) for v in input_shape)
    for row, layer in enumerate(layers, start=1):
        try:
            summary = Network([layer], input_shape=current).summary().rows[0]
        except (ConvMathError, ValueError, TypeError):
            return None
        if (row, goal[1]) == goal:
            return tuple(int(v) for v in summary.output_shape) if goal[1] == "shape" else int(summary.params)
        given = answers.get(asked.get((row, "shape"), ""))
        if (
            isinstance(given, (tuple, list))
            and given
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in given)
        ):
            current = tuple(given)
        else:
            current = tuple(int(v) for v in summary.output_shape)
    return None


class _Cell(NamedTuple):
    """What one column of the table asks for."""

    kind: str
    """The answer kind."""
    name: str
    """The variable to define, with ``{row}`` for the row index."""
    prompt: dict[str, str]
    """The question in each locale, with ``{row}``, ``{desc}`` and ``{name}``."""
    wrongs: Callable[[tuple[int, ...], Mapping[str, Any], Any], Any]
    """``(row input shape, layer, expected)`` to the wrong answers, ``None`` when two coincide."""


_CELLS = (
    _Cell(
        "shape",
        "shape_{row}",
        {
            "en": "Row {row}: the output shape of {desc}, a tuple; define `{name}`.",
            "zh": "第 {row} 行：{desc} 的输出形状（元组）；定义 `{name}`。",
        },
        _conv_wrongs,
    ),
    _Cell(
        "integer",
        "params_{row}",
        {
            "en": "Row {row}: the number of parameters of {desc}; define `{name}`.",
            "zh": "第 {row} 行：{desc} 的参数个数；定义 `{name}`。",
        },
        _param_wrongs,
    ),
)


def _cell_part(key: str, column: int, row: int, desc: str, expected: Any, wrong: Any) -> tuple[str, Part]:
    """The text of the table cell that asks for ``expected`` in ``column`` of ``row``, and its part."""
    cell = _CELLS[column]
    name = cell.name.format(row=row)
    text = {loc: template.format(row=row, desc=desc, name=name) for loc, template in cell.prompt.items()}
    part = make_part(
        key, text, AnswerSpec(cell.kind, name, expected=expected), code_line(name, cell.kind, expected), wrong
    )
    return f"({key}) `{name}`", part


_HEAD = {
    "en": "| # | layer | output shape | parameters |\n|---|---|---|---|",
    "zh": "| # | 层 | 输出形状 | 参数个数 |\n|---|---|---|---|",
}


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    """Draw one variant (``None`` when a row's misconceptions coincide or a layer does not fit)."""
    from convmath.network import Network

    check_options(NAME, options)
    input_shape, layers = draw_layers(rng, difficulty)
    try:
        summary = Network(layers, input_shape=input_shape).summary()
    except ConvMathError:
        return None
    if summary.rows[6].output_shape[0] > 2000:  # keep the flatten size and the linear counts readable
        return None
    parts: list[Part] = []
    table = {loc: [_HEAD[loc], f"| 0 | input | {input_shape} | |"] for loc in ("en", "zh")}
    filled = {loc: [_HEAD[loc], f"| 0 | input | {input_shape} | |"] for loc in ("en", "zh")}
    steps: dict[str, list[str]] = {"en": [], "zh": []}
    in_shape: tuple[int, ...] = input_shape
    key = (chr(ord("a") + i) for i in range(26))
    weights_total = biases = 0
    for row, layer in zip(summary.rows, layers):
        shape, params = tuple(int(v) for v in row.output_shape), int(row.params)
        desc = _describe(layer, in_shape)
        ask_shape = layer["type"] in ("Conv2d", "MaxPool2d", "AvgPool2d", "Flatten")
        ask_params = layer["type"] == "Conv2d" or (layer["type"] == "Linear" and difficulty >= 2)
        cells = ["", ""]  # the row's shape and parameters cells, the same in both locales
        for column, (asked, expected) in enumerate(((ask_shape, shape), (ask_params, params))):
            if not asked:
                continue
            wrong = _CELLS[column].wrongs(in_shape, layer, expected)
            if wrong is None:
                return None
            cells[column], part = _cell_part(next(key), column, row.index, desc, expected, wrong)
            parts.append(part)
        for loc in table:
            table[loc].append(f"| {row.index} | {desc} | {cells[0]} | {cells[1]} |")
            filled[loc].append(f"| {row.index} | {desc} | {shape} | {params if params else '–'} |")
        if layer["type"] in ("Conv2d", "MaxPool2d", "AvgPool2d"):
            kk = layer["kernel_size"]
            s = layer.get("stride", 1 if layer["type"] == "Conv2d" else kk)
            p = layer.get("padding", 0)
            size = ", ".join(
                rf"$\lfloor ({n} + 2\cdot{p} - {kk})/{s} \rfloor + 1 = {m}$" for n, m in zip(in_shape[1:], shape[1:])
            )
            steps["en"].append(
                f"Row {row.index}, {desc}: "
                + size
                + (f"; {shape[0]} channels." if layer["type"] == "Conv2d" else "; the channels stay.")
            )
            steps["zh"].append(
                f"第 {row.index} 行 {desc}："
                + size
                + (f"；{shape[0]} 个通道。" if layer["type"] == "Conv2d" else "；通道数不变。")
            )
        if layer["type"] == "Conv2d":
            c_in, c_out = in_shape[0], layer["out_channels"]
            text = rf"${c_out}\cdot{c_in}\cdot{kk}\cdot{kk} + {c_out} = {params}$"
            steps["en"].append(f"Row {row.index} parameters: {text} (one bias per output channel).")
            steps["zh"].append(f"第 {row.index} 行参数：{text}（每个输出通道一个偏置）。")
            weights_total += params - c_out
            biases += c_out
        elif layer["type"] == "Flatten":
            product = r" \cdot ".join(map(str, in_shape))
            steps["en"].append(f"Row {row.index}: flatten ${product} = {shape[0]}$.")
            steps["zh"].append(f"第 {row.index} 行：展平 ${product} = {shape[0]}$。")
        elif layer["type"] == "Linear":
            text = rf"${in_shape[0]}\cdot{layer['out_features']} + {layer['out_features']} = {params}$"
            steps["en"].append(f"Row {row.index} parameters: {text}.")
            steps["zh"].append(f"第 {row.index} 行参数：{text}。")
            weights_total += params - layer["out_features"]
            biases += layer["out_features"]
        in_shape = shape
    total = int(summary.total_params)
    if total != weights_total + biases:
        raise ConvMathError(f"summary total {total} differs from the rows' sum {weights_total + biases}")
    if difficulty >= 2:
        total_wrong = wrong_answers(total, [("forgot_bias", lambda: weights_total)], required=["forgot_bias"])
        if total_wrong is None:
            return None
        k = next(key)
        parts.append(
            Part(
                k,
                {
                    "en": "The total number of parameters of the network; define `total_params`.",
                    "zh": "整个网络的参数总数；定义 `total_params`。",
                },
                AnswerSpec("integer", "total_params", expected=total),
                1.0,
                total_wrong,
                code_line("total_params", "integer", total),
            )
        )
        steps["en"].append(f"Total: {total} parameters.")
        steps["zh"].append(f"合计：{total} 个参数。")
    prompt = {
        "en": (
            "A network takes inputs of shape (channels, height, width) = "
            f"{input_shape} (no batch dimension) and applies the layers below, with PyTorch's defaults "
            "(stride 1 and no padding for convolutions, stride = window for pooling, biases on). Fill in the "
            "marked cells.\n\n" + "\n".join(table["en"])
        ),
        "zh": (
            f"某网络的输入形状为 (通道, 高, 宽) = {input_shape}（不含批量维），依次经过下表各层，参数取 PyTorch 默认值"
            "（卷积步幅 1、不填充；池化步幅等于窗口大小；带偏置）。填写表中标出的格子。\n\n" + "\n".join(table["zh"])
        ),
    }
    solution = {
        "en": (*steps["en"], "The filled table:\n\n" + "\n".join(filled["en"])),
        "zh": (*steps["zh"], "填好的表：\n\n" + "\n".join(filled["zh"])),
    }
    # error carried forward: each cell after the first also follows from the student's own earlier cells
    cells = [
        [p.key, int(p.answer.name.split("_")[-1]), "shape" if p.answer.kind == "shape" else "params"]
        for p in parts
        if p.answer.name != "total_params"
    ]
    cells += [[p.key, 0, "total"] for p in parts if p.answer.name == "total_params"]
    carry = {
        "from": "earlier rows",
        "compute": "exercises.families.network_table:implied",
        "args": {"input_shape": list(input_shape), "layers": layers, "cells": cells},
    }
    parts = [p if i == 0 else dataclasses.replace(p, carry_forward=carry) for i, p in enumerate(parts)]
    return make_exercise(
        NAME, difficulty, {"input_shape": list(input_shape), "layers": layers}, prompt, parts, solution
    )


FAMILY = register(
    Family(
        name=NAME,
        title={"en": "Shapes and parameters of a network", "zh": "网络各层的形状与参数"},
        difficulties=(1, 2, 3),
        draw=draw,
    )
)
