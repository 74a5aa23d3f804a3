r"""Family ``receptive_field``: the receptive field of a layer in a stack.

A stack of 2 to 5 layers (1-D or 2-D; convolutions and max or average
pooling, as in the "PyTorch deep learning in practice (11)" tutorial); the question names one layer (not always the
last: the layers after it do not matter) and asks for the receptive field of
one unit of its output.

1. stride 1 throughout: kernels and depth vary, pooling with stride 1;
2. strided convolutions and pooling: the receptive field and the effective
   stride;
3. the same with one or two dilated convolutions.

Expected values come from :func:`convmath.receptive.receptive_field`; wrong
answers from the catalogue (sum of kernel sizes, strides ignored, a layer's
own stride included, the effective stride taken for the field, dilation
ignored).

Three steps (:mod:`exercises.families._staged`): :func:`draw` the stack,
:func:`solve` with :func:`convmath.receptive.receptive_field` and the
catalogue, :func:`render` the layer list and the per-layer sums; the texts
are ``texts/receptive_field.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.misconceptions import CATALOGUE
from convmath.receptive import receptive_field

from ..model import AnswerSpec
from ._common import check_options, receptive_field_labels, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "solve", "render"]

#: Kernel sizes of convolutions per difficulty (3 is the common one).
_CONV_KERNELS = {1: (1, 2, 3, 3, 3, 4, 5, 5, 7, 9), 2: (1, 3, 3, 3, 5, 5, 7), 3: (2, 3, 3, 3, 5, 7)}
_LARGEST_FIELD = 120


def _describe(layer: Mapping[str, Any]) -> str:
    """The layer as the PyTorch call that builds it (defaults left out)."""
    k, s = layer["kernel_size"], layer.get("stride", 1)
    if "Pool" in layer["type"]:
        extra = (f", stride={s}" if s != k else "") + (f", padding={layer['padding']}" if layer.get("padding") else "")
        return f"`nn.{layer['type']}({k}{extra})`"
    extra = "".join(
        f", {key}={layer[key]}"
        for key in ("stride", "padding", "dilation")
        if layer.get(key, 0) > (0 if key == "padding" else 1)
    )
    return f"`nn.{layer['type']}(c, c, {k}{extra})`"


def _conv(rng: random.Random, difficulty: int, dim: int) -> dict[str, Any]:
    k = rng.choice(_CONV_KERNELS[difficulty])
    layer: dict[str, Any] = {"type": f"Conv{dim}d", "kernel_size": k, "padding": (k - 1) // 2}
    if difficulty > 1 and rng.random() < 0.35:
        layer["stride"] = 2
    return layer


def _pool(rng: random.Random, difficulty: int, dim: int) -> dict[str, Any]:
    """Max or average pooling; its stride always written in the dict (the 1-D default is the window too)."""
    k = rng.choice((2, 3)) if difficulty == 1 else rng.choice((2, 2, 3))
    s = 1 if difficulty == 1 else rng.choice((k, k, 2))
    return {
        "type": f"{rng.choice(('Max', 'Avg'))}Pool{dim}d",
        "kernel_size": k,
        "stride": s,
        "padding": 1 if k == 3 and rng.random() < 0.5 else 0,
    }


def _draw_stack(rng: random.Random, difficulty: int, dim: int) -> list[dict[str, Any]]:
    depth = rng.choice((2, 3, 3, 4, 4, 5))
    pool_share = 0.25 if difficulty == 1 else 0.4
    layers = [
        _pool(rng, difficulty, dim) if i and rng.random() < pool_share else _conv(rng, difficulty, dim)
        for i in range(depth)
    ]
    if difficulty == 3:
        convs = [i for i, layer in enumerate(layers) if "Conv" in layer["type"] and layer["kernel_size"] > 1]
        for i in rng.sample(convs, min(len(convs), rng.choice((1, 1, 2)))):
            d = rng.choice((2, 2, 3, 4))
            layers[i]["dilation"] = d
            layers[i]["padding"] = d * (layers[i]["kernel_size"] - 1) // 2
    return layers


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stack and the layer asked about (``None``: level 3 with no dilated layer up to it).

    Examples
    --------
    >>> p = draw(random.Random(0), 1, {})
    >>> [layer["kernel_size"] for layer in p["layers"]], p["layer"]
    ([1, 7, 3, 4], 2)
    """
    check_options("receptive_field", options)
    dim = rng.choice((1, 2, 2))
    layers = _draw_stack(rng, difficulty, dim)
    asked = len(layers) if rng.random() < 0.5 else rng.randint(2, len(layers))
    if difficulty == 3 and not any(layer.get("dilation", 1) > 1 for layer in layers[:asked]):
        return None
    return {"layers": layers, "layer": asked, "_dim": dim, "_level": difficulty}


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The receptive field (and, above level 1, the effective stride) with the misconceptions' answers.

    Examples
    --------
    >>> p = {"layers": [{"type": "Conv2d", "kernel_size": 5, "padding": 2}, {"type": "Conv2d", "kernel_size": 3,
    ...      "padding": 1}], "layer": 2, "_dim": 2, "_level": 1}
    >>> [(a.spec.name, a.spec.expected) for a in solve(p).answers]     # 1 + (5 - 1) + (3 - 1)
    [('rf', 7)]
    """
    upto = params["layers"][: params["layer"]]
    level = params["_level"]
    records = receptive_field(upto)
    r, stride = records[-1].r[0], records[-1].S[0]
    if not 3 <= r <= _LARGEST_FIELD:
        return None
    labels = receptive_field_labels(strided=level > 1, dilated=level == 3)
    wrongs = wrong_answers(r, {label: (lambda label=label: CATALOGUE[label].wrong(upto)) for label in labels})
    if wrongs is None:
        return None
    terms, strides, steps, prev_r, prev_s = [], [], [], 1, 1
    for layer, record in zip(upto, records):
        k_eff = layer.get("dilation", 1) * (layer["kernel_size"] - 1) + 1
        terms.append(f"({k_eff} - 1)*{prev_s}")
        strides.append(str(record.S[0] // prev_s))
        steps.append({"prev_r": prev_r, "k_eff": k_eff, "prev_s": prev_s, "r": record.r[0], "s": record.S[0]})
        prev_r, prev_s = record.r[0], record.S[0]
    answers = [Answer("a", AnswerSpec("integer", "rf", r), "{name} = 1 + " + " + ".join(terms), wrongs)]
    if level > 1:
        answers.append(
            Answer("b", AnswerSpec("integer", "effective_stride", stride), "{name} = " + " * ".join(strides))
        )
    return Solved(tuple(answers), values={"rf": r, "stride": stride, "steps": steps})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The stack as numbered PyTorch calls.

    Examples
    --------
    >>> p = {"layers": [{"type": "Conv2d", "kernel_size": 5, "padding": 2}, {"type": "MaxPool2d", "kernel_size": 2,
    ...      "stride": 2, "padding": 0}], "layer": 2, "_dim": 2, "_level": 2}
    >>> print(render(p, solve(p), {})["stack"])
    1. `nn.Conv2d(c, c, 5, padding=2)`
    2. `nn.MaxPool2d(2)`
    """
    return {
        "stack": "\n".join(f"{i}. {_describe(layer)}" for i, layer in enumerate(params["layers"], 1)),
        "last": params["layer"] == len(params["layers"]),
    }


FAMILY = staged(
    "receptive_field",
    title={"en": "Receptive field of a stack of layers", "zh": "多层网络的感受野"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
)
