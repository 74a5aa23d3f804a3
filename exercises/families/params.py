r"""Families ``param_count`` and ``fc_vs_conv``: counting parameters.

``param_count`` (``Conv1d``, ``Conv2d`` or ``Conv3d``; 2-D kernels sometimes non-square)
    1. ``ConvNd(c_in, c_out, k)`` with bias;
    2. a grouped convolution, or one without bias;
    3. a depthwise-separable block (1-D or 2-D) and the full convolution it
       replaces.

``fc_vs_conv`` (the comparison the tutorials make)
    1. a grey image into a fully connected layer, and a small convolution;
    2. the same with an RGB image;
    3. a convolution, then a fully connected layer on its flattened output.

Both are written in three steps (:func:`draw_param_count`, :func:`solve_param_count`,
:func:`render_param_count`; :func:`draw_fc_vs_conv`, :func:`solve_fc_vs_conv`,
:func:`render_fc_vs_conv`); their texts are ``texts/param_count.toml`` and ``texts/fc_vs_conv.toml``.

Counts come from :mod:`convmath.counting`; wrong answers from the catalogue
(a ``Linear`` layer on a flattened ``C x H x W`` input is the convolution with
an ``H x W`` kernel, which is how its misconceptions are evaluated).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from convmath.counting import conv_params, depthwise_separable_params, linear_params
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size

from ..model import AnswerSpec, Part
from ._common import bilingual, check_options, make_part, wrong_answers
from ._staged import Answer, Solved, staged

_CHANNELS = (1, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256)
Kernel = int | tuple[int, ...]


def _kernel_factors(k: Kernel, ndim: int) -> list[int]:
    """The kernel's size along each spatial dimension."""
    return list(k) if isinstance(k, tuple) else [k] * ndim


def _conv_labels(c_in: int, c_out: int, k: Kernel, groups: int, bias: bool, ndim: int = 2) -> list[str]:
    labels = []
    if groups > 1:
        labels.append("groups_ignored")
    if bias and c_in != c_out:
        labels.append("bias_per_input_channel")
    if c_in // groups > 1:
        labels.append("params_ignored_in_channels")
    if ndim > 1 and max(_kernel_factors(k, ndim)[1:]) > 1:
        labels.append("kernel_not_squared")
    if bias:
        labels.append("forgot_bias")
    return labels


def _conv_part(
    key: str, name: str, c_in: int, c_out: int, k: Kernel, groups: int, bias: bool, ndim: int = 2
) -> Part | None:
    expected = conv_params(c_in, c_out, k, groups=groups, bias=bias, ndim=ndim)
    labels = _conv_labels(c_in, c_out, k, groups, bias, ndim)
    wrongs = wrong_answers(
        expected,
        {
            label: (lambda label=label: CATALOGUE[label].wrong(c_in, c_out, k, groups=groups, bias=bias, ndim=ndim))
            for label in labels
        },
    )
    if wrongs is None:
        return None
    kernel = "*".join(str(f) for f in _kernel_factors(k, ndim))
    channels = f"{c_in}//{groups}" if groups > 1 else f"{c_in}"
    code = f"{name} = {channels} * {kernel} * {c_out}" + (f" + {c_out}" if bias else "")
    return make_part(
        key,
        bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
        AnswerSpec("integer", name, expected),
        code,
        wrongs,
    )


def _conv_steps(c_in: int, c_out: int, k: Kernel, groups: int, bias: bool, ndim: int = 2) -> tuple[str, str]:
    value = conv_params(c_in, c_out, k, groups=groups, bias=bias, ndim=ndim)
    g = f"\\frac{{{c_in}}}{{{groups}}}\\cdot " if groups > 1 else f"{c_in}\\cdot "
    kernel = "".join(f"{f}\\cdot " for f in _kernel_factors(k, ndim))
    tex = f"{g}{kernel}{c_out}" + (f" + {c_out}" if bias else "") + f" = {value}"
    return tex, ("" if bias else " (no bias)")


_KERNEL_TEX = {1: ("k", "k"), 2: ("k_h k_w", "k_h k_w"), 3: ("k_d k_h k_w", "k_d k_h k_w")}


def _draw_kernel(rng: random.Random, ndim: int, difficulty: int) -> Kernel:
    """A kernel size: an int, or for some 2-D layers a non-square ``(k_h, k_w)``."""
    if ndim == 2 and difficulty < 3 and rng.random() < 0.3:
        kh, kw = rng.sample((1, 2, 3, 5, 7), 2)
        return (kh, kw)
    sizes = (1, 2, 3, 3, 5, 7) if ndim < 3 else (1, 3, 3, 5)
    return rng.choice(sizes if difficulty < 3 else (2, 3, 3, 5, 7))


def draw_param_count(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """``param_count``: the layer (or, at level 3, the block) to count.

    Examples
    --------
    >>> draw_param_count(random.Random(5), 1, {})
    {'in_channels': 48, 'out_channels': 12, 'kernel_size': 7, 'ndim': 2, 'groups': 1, 'bias': True, '_level': 1}
    """
    check_options("param_count", options)
    c_in, c_out = rng.choice(_CHANNELS), rng.choice(_CHANNELS[1:])
    ndim = rng.choice((1, 2, 2, 2, 3) if difficulty < 3 else (1, 2, 2))
    k = _draw_kernel(rng, ndim, difficulty)
    groups, bias = 1, True
    if difficulty == 2:
        if rng.random() < 0.7:
            groups = rng.choice((2, 4, 8))
            if c_in % groups or c_out % groups or c_in == groups:
                return None
        else:
            bias = False
    if difficulty == 3:
        if c_in == 1:
            return None
        bias = rng.random() < 0.5
    return {
        "in_channels": c_in,
        "out_channels": c_out,
        "kernel_size": list(k) if isinstance(k, tuple) else k,
        "ndim": ndim,
        "groups": groups,
        "bias": bias,
        "_level": difficulty,
    }


def _answer(part: Part) -> Answer:
    """A part built by the shared helpers, as a staged answer (its name replaced by ``{name}`` in the code)."""
    spec = part.answer
    code = part.solution_code.replace(f"{spec.name} = ", "{name} = ", 1)
    return Answer(part.key, spec, code, part.wrong_answers, part.points)


def solve_param_count(params: Mapping[str, Any]) -> Solved | None:
    """``param_count``: the counts and the misconceptions' answers (``None``: not diagnosable).

    Examples
    --------
    >>> p = {"in_channels": 3, "out_channels": 16, "kernel_size": 3, "ndim": 2, "groups": 1, "bias": True, "_level": 1}
    >>> solve_param_count(p).answers[0].spec.expected     # 3 * 3*3 * 16 + 16
    448
    """
    c_in, c_out, ndim, groups, bias = (params[key] for key in ("in_channels", "out_channels", "ndim", "groups", "bias"))
    k = tuple(params["kernel_size"]) if isinstance(params["kernel_size"], list) else params["kernel_size"]
    if params["_level"] < 3:
        part = _conv_part("a", "params", c_in, c_out, k, groups, bias, ndim)
        return None if part is None else Solved((_answer(part),))
    block = depthwise_separable_params(c_in, c_out, k, bias=bias, ndim=ndim)
    candidates = {
        "in_out_swapped": lambda: CATALOGUE["in_out_swapped"].wrong(c_in, c_out, k, bias=bias, ndim=ndim),
        "groups_ignored": lambda: (
            CATALOGUE["groups_ignored"].wrong(c_in, c_in, k, groups=c_in, bias=bias, ndim=ndim)
            + conv_params(c_in, c_out, 1, bias=bias, ndim=ndim)
        ),
    }
    if bias:
        candidates["forgot_bias"] = lambda: depthwise_separable_params(c_in, c_out, k, bias=False, ndim=ndim)
    wrongs = wrong_answers(block, candidates)
    full = _conv_part("b", "full_params", c_in, c_out, k, 1, bias, ndim)
    if wrongs is None or full is None:
        return None
    b, b2 = (f" + {c_in}", f" + {c_out}") if bias else ("", "")
    code = "{name} = " + f"({c_in} * {'*'.join([str(k)] * ndim)}{b}) + ({c_in} * {c_out}{b2})"
    block_answer = Answer("a", AnswerSpec("integer", "block_params", block), code, wrongs)
    values = {
        "block": block,
        "dw": conv_params(c_in, c_in, k, groups=c_in, bias=bias, ndim=ndim),
        "pw": conv_params(c_in, c_out, 1, bias=bias, ndim=ndim),
    }
    return Solved((block_answer, _answer(full)), values=values)


def render_param_count(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """``param_count``: the layer call, the kernel in TeX and the substituted counts.

    Examples
    --------
    >>> p = {"in_channels": 3, "out_channels": 16, "kernel_size": [3, 5], "ndim": 2, "groups": 1, "bias": False,
    ...      "_level": 2}
    >>> render_param_count(p, solve_param_count(p), {})["call"]
    'nn.Conv2d(3, 16, kernel_size=(3, 5), bias=False)'
    """
    c_in, c_out, ndim, groups, bias = (params[key] for key in ("in_channels", "out_channels", "ndim", "groups", "bias"))
    k = tuple(params["kernel_size"]) if isinstance(params["kernel_size"], list) else params["kernel_size"]
    layer = f"nn.Conv{ndim}d"
    call = (
        f"{layer}({c_in}, {c_out}, kernel_size={k}"
        + (f", groups={groups}" if groups > 1 else "")
        + (", bias=False" if not bias else "")
        + ")"
    )
    return {
        "layer": layer,
        "call": call,
        "k": str(k),
        "ktex": _KERNEL_TEX[ndim][0],
        "tex": _conv_steps(c_in, c_out, k, groups, bias, ndim)[0],
        "kernel_tex": "".join(f"\\cdot {k}" for _ in range(ndim)),
        "window": "\\times ".join([str(k)] * ndim),
        "point": "k = 1" if ndim == 1 else "\\times ".join(["1"] * ndim),
        "b": f" + {c_in}" if bias else "",
        "b2": f" + {c_out}" if bias else "",
    }


def _linear_part(key: str, name: str, c: int, h: int, w: int, hidden: int) -> Part | None:
    expected = linear_params(c * h * w, hidden)
    # a Linear on a flattened C x H x W input is the convolution with an H x W kernel
    labels = ["bias_per_input_channel", "params_ignored_in_channels", "forgot_bias"] if c > 1 else ["forgot_bias"]
    wrongs = wrong_answers(
        expected,
        {
            label: (
                lambda label=label: (
                    CATALOGUE[label].wrong(c, hidden, (h, w))
                    if label != "bias_per_input_channel"
                    else CATALOGUE[label].wrong(c * h * w, hidden, 1)
                )
            )
            for label in labels
        },
    )
    if wrongs is None:
        return None
    code = f"{name} = {c}*{h}*{w} * {hidden} + {hidden}"
    return make_part(
        key,
        bilingual(f"Define `{name}`.", f"请把结果赋给变量 `{name}`。"),
        AnswerSpec("integer", name, expected),
        code,
        wrongs,
    )


def draw_fc_vs_conv(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any]:
    """``fc_vs_conv``: the image, the layers' sizes (and at level 3 the convolution's stride).

    Examples
    --------
    >>> draw_fc_vs_conv(random.Random(0), 1, {})
    {'channels': 1, 'height': 100, 'width': 100, 'hidden': 128, 'out_channels': 1, 'kernel_size': 5, '_level': 1}
    """
    check_options("fc_vs_conv", options)
    c = 1 if difficulty == 1 else 3
    h = w = rng.choice((28, 32, 48, 56, 64, 96, 100, 112, 128, 160, 224, 256, 300))
    hidden = rng.choice((10, 16, 32, 50, 64, 100, 128, 200, 256, 500, 512, 1000))
    c_out, k = rng.choice((1, 8, 16, 32, 64) if difficulty < 3 else (8, 16, 32, 64)), rng.choice((3, 5))
    params: dict[str, Any] = {
        "channels": c,
        "height": h,
        "width": w,
        "hidden": hidden,
        "out_channels": c_out,
        "kernel_size": k,
    }
    if difficulty == 3:
        params["stride"] = rng.choice((1, 2))
    return {**params, "_level": difficulty}


def solve_fc_vs_conv(params: Mapping[str, Any]) -> Solved | None:
    """``fc_vs_conv``: the counts (and the flattened size) with the misconceptions' answers.

    Examples
    --------
    >>> p = {"channels": 1, "height": 28, "width": 28, "hidden": 10, "out_channels": 8, "kernel_size": 3, "_level": 1}
    >>> [a.spec.expected for a in solve_fc_vs_conv(p).answers]     # 784*10 + 10, 1*9*8 + 8
    [7850, 80]
    """
    c, h, w, hidden, c_out, k = (
        params[key] for key in ("channels", "height", "width", "hidden", "out_channels", "kernel_size")
    )
    conv = _conv_part("b" if params["_level"] < 3 else "a", "conv_params", c, c_out, k, 1, True)
    if params["_level"] < 3:
        fc = _linear_part("a", "fc_params", c, h, w, hidden)
        if fc is None or conv is None:
            return None
        return Solved((_answer(fc), _answer(conv)), values={"fc_value": linear_params(c * h * w, hidden)})
    s = params["stride"]
    o = conv_output_size(h, k, stride=s)
    if conv is None:
        return None
    feat = c_out * o * o
    size = Answer(
        "b",
        AnswerSpec("integer", "features", feat),
        "{name} = " + f"{c_out} * (({h} - {k}) // {s} + 1)**2",
        wrong_answers(
            feat,
            {
                "forgot_plus_one": lambda: c_out * CATALOGUE["forgot_plus_one"].wrong(h, k, stride=s) ** 2,
            },
        )
        or (),
    )
    fc = _linear_part("c", "fc_params", c_out, o, o, hidden)
    if fc is None:
        return None
    fc_value = linear_params(feat, hidden)
    ratio = round(Fraction(fc_value, conv_params(3, c_out, k)))  # to the nearest, as 'about' says
    return Solved(
        (_answer(conv), size, _answer(fc)), values={"o": o, "feat": feat, "fc_value": fc_value, "ratio": ratio}
    )


def render_fc_vs_conv(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """``fc_vs_conv``: the convolution's count substituted.

    Examples
    --------
    >>> p = {"channels": 1, "height": 28, "width": 28, "hidden": 10, "out_channels": 8, "kernel_size": 3, "_level": 1}
    >>> print(render_fc_vs_conv(p, solve_fc_vs_conv(p), {})["conv_tex"])
    1\\cdot 3\\cdot 3\\cdot 8 + 8 = 80
    """
    return {"conv_tex": _conv_steps(params["channels"], params["out_channels"], params["kernel_size"], 1, True)[0]}


PARAM_COUNT = staged(
    "param_count",
    title=bilingual("Parameters of convolution layers", "卷积层的参数量"),
    difficulties=(1, 2, 3),
    draw=draw_param_count,
    solve=solve_param_count,
    render=render_param_count,
)
FC_VS_CONV = staged(
    "fc_vs_conv",
    title=bilingual("Fully connected vs convolution: parameters", "全连接层与卷积层的参数量对比"),
    difficulties=(1, 2, 3),
    draw=draw_fc_vs_conv,
    solve=solve_fc_vs_conv,
    render=render_fc_vs_conv,
)
