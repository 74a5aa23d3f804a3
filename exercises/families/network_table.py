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

Three steps (:mod:`exercises.families._staged`): :func:`draw`, :func:`solve`,
:func:`render`; the texts are ``texts/network_table.toml``, where the cells of
each column share one template (``parts.shape``, ``parts.params``). Every cell
after the first carries the error forward (:func:`implied`).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping
from typing import Any

from convmath.errors import ConvMathError

from ..model import AnswerKind, AnswerSpec
from ._arrays import code_line, wrong_answers
from ._common import check_options
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "draw_layers", "implied", "render", "solve"]

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
        labels: tuple[str, ...] = (
            "forgot_bias",
            "bias_per_input_channel",
            "params_ignored_in_channels",
            "kernel_not_squared",
        )
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


#: The table's two columns: the answer kind, the name to define (``{row}``: the row index) and its mistakes.
_COLUMNS: tuple[tuple[AnswerKind, str, Callable[..., Any]], ...] = (
    ("shape", "shape_{row}", _conv_wrongs),
    ("integer", "params_{row}", _param_wrongs),
)
#: The template of each column's cells (``parts.<text>`` of ``texts/network_table.toml``).
_TEXTS = ("shape", "params")


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any]:
    """The network: its input shape and its layers.

    Examples
    --------
    >>> p = draw(random.Random(0), 1, {})
    >>> p["input_shape"], len(p["layers"]), p["_level"]
    ([3, 32, 32], 10, 1)
    """
    check_options(NAME, options)
    input_shape, layers = draw_layers(rng, difficulty)
    return {"input_shape": list(input_shape), "layers": layers, "_level": difficulty}


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The asked cells with their mistakes (``None`` when two coincide or a layer does not fit).

    Every cell after the first also follows from the student's own earlier cells (error carried forward,
    :func:`implied`).

    Examples
    --------
    >>> p = {"input_shape": [1, 28, 28], "layers": [{"type": "Conv2d", "out_channels": 6, "kernel_size": 5},
    ...      {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Conv2d", "out_channels": 16,
    ...      "kernel_size": 5}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
    ...      {"type": "Linear", "out_features": 120}, {"type": "ReLU"}, {"type": "Linear", "out_features": 10}],
    ...      "_level": 2}
    >>> [(a.spec.name, a.spec.expected) for a in solve(p).answers][:3]
    [('shape_1', (6, 24, 24)), ('params_1', 156), ('shape_3', (6, 12, 12))]
    >>> solve(p).answers[-1].spec.expected    # 156 + 2416 + 256*120 + 120 + 120*10 + 10
    34622
    """
    from convmath.network import Network

    input_shape, layers, level = tuple(params["input_shape"]), params["layers"], params["_level"]
    try:
        summary = Network(layers, input_shape=input_shape).summary()
    except ConvMathError:
        return None
    if summary.rows[6].output_shape[0] > 2000:  # keep the flatten size and the linear counts readable
        return None
    answers: list[Answer] = []
    rows: list[dict[str, Any]] = []
    keys = (chr(ord("a") + i) for i in range(26))
    in_shape: tuple[int, ...] = input_shape
    for row, layer in zip(summary.rows, layers):
        shape, count = tuple(int(v) for v in row.output_shape), int(row.params)
        asked = (
            layer["type"] in ("Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"),
            layer["type"] == "Conv2d" or (layer["type"] == "Linear" and level >= 2),
        )
        for column, expected in enumerate((shape, count)):
            if not asked[column]:
                continue
            kind, name, mistakes = _COLUMNS[column]
            wrong = mistakes(in_shape, layer, expected)
            if wrong is None:
                return None
            spec = AnswerSpec(kind, name.format(row=row.index), expected=expected)
            text, values = _TEXTS[column], {"row": row.index}
            answers.append(
                Answer(next(keys), spec, code_line("{name}", kind, expected), wrong, text=text, values=values)
            )
        rows.append({"index": row.index, "in_shape": in_shape, "shape": shape, "params": count})
        in_shape = shape
    total = int(summary.total_params)
    biases = sum(layer.get("out_channels", layer.get("out_features", 0)) for layer in layers)
    if total != sum(row["params"] for row in rows):
        raise ConvMathError(f"summary total {total} differs from the rows' sum {sum(row['params'] for row in rows)}")
    cells = [[a.key, a.values["row"], a.text] for a in answers]
    if level >= 2:
        total_wrong = wrong_answers(total, [("forgot_bias", lambda: total - biases)], required=["forgot_bias"])
        if total_wrong is None:
            return None
        key = next(keys)
        answers.append(
            Answer(
                key,
                AnswerSpec("integer", "total_params", expected=total),
                code_line("{name}", "integer", total),
                total_wrong,
            )
        )
        cells.append([key, 0, "total"])
    # error carried forward: each cell after the first also follows from the student's own earlier cells
    carry = {
        "from": "earlier rows",
        "compute": "exercises.families.network_table:implied",
        "args": {"input_shape": list(input_shape), "layers": layers, "cells": cells},
    }
    answers[1:] = [dataclasses.replace(answer, carry_forward=carry) for answer in answers[1:]]
    return Solved(tuple(answers), values={"_rows": rows})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The table's rows: each layer as code, its cells, and the substituted formulas of the worked solution.

    Examples
    --------
    >>> p = draw(random.Random(0), 1, {})
    >>> row = render(p, solve(p), {})["rows"][0]
    >>> row["desc"], row["cells"][0], row["size"]
    ('`Conv2d(3, 4, kernel_size=5, padding=2)`', {'key': 'a', 'answer': 'shape_1'}, ...)
    """
    asked = {(a.values["row"], a.text): {"key": a.key, "answer": a.spec.name} for a in solved.answers if a.text}
    rows = []
    for row, layer in zip(solved.values["_rows"], params["layers"]):
        in_shape, shape, count = row["in_shape"], row["shape"], row["params"]
        entry = {
            "index": row["index"],
            "type": layer["type"],
            "desc": _describe(layer, in_shape),
            "cells": [asked.get((row["index"], text)) for text in _TEXTS],
            "shape": str(shape),
            "params": count if count else "–",
            "channels": shape[0],
            "product": r" \cdot ".join(map(str, in_shape)),
            "size": "",
        }
        if layer["type"] in ("Conv2d", "MaxPool2d", "AvgPool2d"):
            k, p = layer["kernel_size"], layer.get("padding", 0)
            s = layer.get("stride", 1 if layer["type"] == "Conv2d" else k)
            entry["size"] = ", ".join(
                rf"$\lfloor ({n} + 2\cdot{p} - {k})/{s} \rfloor + 1 = {m}$" for n, m in zip(in_shape[1:], shape[1:])
            )
        if layer["type"] == "Conv2d":
            entry["count"] = rf"${shape[0]}\cdot{in_shape[0]}\cdot{k}\cdot{k} + {shape[0]} = {count}$"
        elif layer["type"] == "Linear":
            entry["count"] = rf"${in_shape[0]}\cdot{shape[0]} + {shape[0]} = {count}$"
        rows.append(entry)
    return {"shown_input": str(tuple(params["input_shape"])), "rows": rows}


FAMILY = staged(
    NAME,
    title={"en": "Shapes and parameters of a network", "zh": "网络各层的形状与参数"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
)
