r"""Families ``conv_output_size`` and ``conv_inverse``: the output size of a convolution, and back.

``conv_output_size`` (levels 1 and 2: ``Conv1d`` on a sequence or ``Conv2d`` on a square input)
    1. per-side padding, a stride that divides exactly;
    2. the padding in one of its forms (per side, ``"same"``, ``"full"``,
       left/right, d2l's total :math:`p_h`), any stride (the floor matters);
    3. a non-square input and kernel with dilation; the answer is a shape.

``conv_inverse`` (which value of one argument gives a required size, by :func:`convmath.sizes.solve_for`)
    Only variants with a single answer are kept.

    1. the padding or the kernel size, stride 1 (``Conv1d`` or ``Conv2d``);
    2. the padding or the stride, strides up to 4 (``Conv1d`` or ``Conv2d``);
    3. the padding or the kernel size, with dilation.

Wrong answers: the catalogue's output-size misconceptions evaluated for the
variant (for ``conv_inverse``: the value that satisfies the wrong formula).

Both are written in three steps (:mod:`exercises.families._staged`): :func:`draw_output_size`,
:func:`solve_output_size`, :func:`render_output_size` with the texts in ``texts/conv_output_size.toml``;
:func:`draw_inverse`, :func:`solve_inverse`, :func:`render_inverse` with ``texts/conv_inverse.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size, d2l_output_size, resolve_padding, solve_for

from ..model import AnswerSpec
from ._common import (
    bilingual,
    check_options,
    conv_size_working,
    wrong_answers,
)
from ._staged import Answer, Solved, staged

_SIZES = (5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 56, 64, 96, 112, 128, 224)
_FORMULA = r"$o = \left\lfloor \dfrac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1$"


def _size_wrongs(expected: Any, dims: list[dict[str, Any]], labels: list[str]) -> Any:
    """Wrong answers of ``labels``, evaluated per dimension (a tuple when there are several)."""

    def thunk(label: str) -> Any:
        def run() -> Any:
            values = []
            for dim in dims:
                if dim["form"] == "total":
                    if label == "padding_total_doubled":
                        values.append(
                            CATALOGUE[label].wrong(dim["n"], dim["k"], stride=dim["s"], total_padding=dim["ph"])
                        )
                        continue
                    pad: Any = (dim["ph"] // 2, dim["ph"] - dim["ph"] // 2)
                else:
                    pad = dim["padding"]
                values.append(
                    CATALOGUE[label].wrong(dim["n"], dim["k"], stride=dim["s"], padding=pad, dilation=dim["d"])
                )
            return values[0] if len(values) == 1 else tuple(values)

        return run

    return wrong_answers(expected, {label: thunk(label) for label in labels})


def _draw_dim(
    rng: random.Random, difficulty: int, form: str, n: int | None = None, d: int = 1
) -> dict[str, Any] | None:
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


def draw_output_size(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """``conv_output_size``: the input and the layer, one dimension (or height and width at level 3).

    Examples
    --------
    >>> p = draw_output_size(random.Random(0), 1, {})
    >>> p["ndim"], [(d["n"], d["k"], d["s"], d["padding"], d["out"]) for d in p["dims"]]   # (102 + 2 - 5)//1 + 1
    (2, [(102, 5, 1, 1, 100)])
    """
    check_options("conv_output_size", options)
    ndim = rng.choice((1, 2, 2)) if difficulty < 3 else 2
    form = rng.choice(("int", "int", "same", "full", "pair", "total")) if difficulty == 2 else "int"
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
    return {
        "ndim": ndim,
        "dims": [{key: (list(v) if isinstance(v, tuple) else v) for key, v in dim.items()} for dim in dims],
    }


def _dim_of(dim: Mapping[str, Any]) -> dict[str, Any]:
    """A dimension of the params with its padding a tuple again (as the formulas take it)."""
    return {key: (tuple(v) if isinstance(v, list) else v) for key, v in dim.items()}


def solve_output_size(params: Mapping[str, Any]) -> Solved | None:
    """``conv_output_size``: the size (or shape) and the misconceptions' answers.

    Examples
    --------
    >>> p = {"ndim": 1, "dims": [{"n": 32, "k": 5, "s": 2, "d": 1, "form": "int", "padding": 2, "out": 16, "left": 2,
    ...      "right": 2, "exact": False}]}
    >>> s = solve_output_size(p)
    >>> s.answers[0].spec.expected, s.answers[0].code       # (32 + 4 - 5) // 2 + 1
    (16, '{name} = (32 + 2*2 - 5) // 2 + 1')
    """
    dims = [_dim_of(dim) for dim in params["dims"]]
    labels: list[str] = []
    for dim in dims:
        labels += [label for label in _labels(dim) if label not in labels]
    outs = tuple(dim["out"] for dim in dims)
    expected: Any = outs[0] if len(dims) == 1 else outs
    wrongs = _size_wrongs(expected, dims, labels)
    if wrongs is None:
        return None
    codes = []
    for dim in dims:
        if dim["form"] == "total":
            codes.append(f"({dim['n']} - {dim['k']} + {dim['ph']} + {dim['s']}) // {dim['s']}")
        else:
            codes.append(
                conv_size_working(
                    dim["n"], dim["k"], stride=dim["s"], left=dim["left"], right=dim["right"], dilation=dim["d"]
                ).code
            )
    name, kind = ("out_size", "integer") if len(dims) == 1 else ("out_shape", "shape")
    code = "{name} = " + (codes[0] if len(codes) == 1 else f"({codes[0]}, {codes[1]})")
    return Solved((Answer("a", AnswerSpec(kind, name, expected), code, wrongs),), values={"expected": expected})


def render_output_size(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    r"""``conv_output_size``: per dimension the substituted formula in TeX, and the kernel's article.

    Examples
    --------
    >>> p = {"ndim": 1, "dims": [{"n": 32, "k": 5, "s": 2, "d": 1, "form": "int", "padding": 2, "out": 16, "left": 2,
    ...      "right": 2, "exact": False}]}
    >>> print(render_output_size(p, solve_output_size(p), {})["steps"][0]["tex"])
    \left\lfloor \frac{32 + 2\cdot 2 - 5}{2} \right\rfloor + 1 = \lfloor 31/2 \rfloor + 1 = 15 + 1 = 16
    """
    steps = []
    for dim in (_dim_of(d) for d in params["dims"]):
        n, k, s, d = dim["n"], dim["k"], dim["s"], dim["d"]
        if dim["form"] == "total":
            tex = rf"\left\lfloor \dfrac{{{n} - {k} + {dim['ph']} + {s}}}{{{s}}} \right\rfloor = {dim['out']}"
        else:
            tex = conv_size_working(n, k, stride=s, left=dim["left"], right=dim["right"], dilation=d).tex
        steps.append({**dim, "tex": tex, "dk": d * (k - 1)})
    first = params["dims"][0]
    article = "an" if str(first["k"]).startswith("8") or first["k"] in (11, 18) else "a"
    return {"steps": steps, "first": first, "article": article, "answer_name": solved.answers[0].spec.name}


# --------------------------------------------------------------------------
# conv_inverse

#: The letter of each argument in the formula.
_LETTER = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d"}
#: The unknowns a level asks for (drawn uniformly: padding twice as often at level 1).
_UNKNOWNS = {1: ("padding", "padding", "kernel_size"), 2: ("padding", "stride"), 3: ("padding", "kernel_size")}
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


def draw_inverse(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """``conv_inverse``: the unknown argument, the layer and the size it must give.

    Examples
    --------
    >>> draw_inverse(random.Random(3), 2, {})  # (75 + 4 - 3) // 2 + 1
    {'unknown': 'padding', 'ndim': 2, 'n': 75, 'kernel_size': 3, 'stride': 2, 'padding': 2, 'dilation': 1, 'output': 39}
    """
    check_options("conv_inverse", options)
    unknown = rng.choice(_UNKNOWNS[difficulty])
    ndim = rng.choice((1, 2, 2)) if difficulty < 3 else 2
    n = rng.randint(6, 128) if difficulty < 3 else rng.choice(_SIZES[3:])
    k = rng.choice((2, 3, 3, 4, 5, 5, 7, 9) if difficulty == 1 else (2, 3, 4, 5, 7, 11))
    s = 1 if difficulty == 1 else rng.choice((1, 2, 2, 3, 4))
    d = rng.choice((2, 3)) if difficulty == 3 else 1
    p = rng.randint(0, d * (k - 1) // 2 + 1)
    try:
        target = conv_output_size(n, k, stride=s, padding=p, dilation=d)
    except ConvMathError:
        return None
    if target < 2 or (unknown == "stride" and s == 1):
        return None
    layer = {"n": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d}
    return {"unknown": unknown, "ndim": ndim, **layer, "output": target}


def _given(params: Mapping[str, Any]) -> dict[str, Any]:
    """The known arguments (and ``n``): all of the layer's but the unknown."""
    return {key: params[key] for key in ("n", *_LETTER) if key != params["unknown"]}


def solve_inverse(params: Mapping[str, Any]) -> Solved | None:
    """``conv_inverse``: the one value that gives the size (``None`` when several do), and the misconceptions'.

    Examples
    --------
    >>> s = solve_inverse({"unknown": "padding", "ndim": 1, "n": 10, "kernel_size": 3, "stride": 1, "padding": 1,
    ...                    "dilation": 1, "output": 10})
    >>> s.answers[0].spec.expected, [(w.label, w.value) for w in s.answers[0].wrongs]  # 10 + p - 3 + 1 = 10: p = 2
    (1, [('padding_once', 2)])
    """
    unknown, target, p, s, d = (params[key] for key in ("unknown", "output", "padding", "stride", "dilation"))
    given = _given(params)
    solutions = solve_for(unknown, output=target, bound=128, **given)
    if len(solutions) != 1:
        return None
    answer = solutions[0]
    labels = (["padding_once"] if unknown == "padding" or p else []) + (["ignored_dilation"] if d > 1 else [])
    labels += (["ceil_not_floor"] if s > 1 else []) + ["forgot_plus_one"]
    wrongs = wrong_answers(
        answer, {label: (lambda label=label: _solve_wrong(label, unknown, given, target)) for label in labels}
    )
    if wrongs is None:
        return None
    symbol = _LETTER[unknown]
    terms = {key: str(params[key]) for key in ("padding", "stride", "kernel_size")} | {unknown: symbol}
    kernel_term = terms["kernel_size"] if d == 1 else f"{d}*({terms['kernel_size']} - 1) - 1"
    expr = f"({params['n']} + 2*{terms['padding']} - {kernel_term}) // {terms['stride']} + 1"
    low = 0 if unknown == "padding" else 1
    code = f"{{name}} = min({symbol} for {symbol} in range({low}, 129) if {expr} == {target})"
    return Solved((Answer("a", AnswerSpec("integer", unknown, answer), code, wrongs),), values={"value": answer})


def render_inverse(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    r"""``conv_inverse``: the known values as TeX, the bounds on the numerator, and the check with the answer.

    Examples
    --------
    >>> p = {"unknown": "padding", "ndim": 1, "n": 10, "kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1,
    ...      "output": 10}
    >>> r = render_inverse(p, solve_inverse(p), {})
    >>> r["givens"], r["symbol"], r["check"]
    (['$k = 3$', '$s = 1$'], 'p', '10 + 2\\cdot 1 - 3 + 1 = 9 + 1 = 10')
    """
    layer = {**params, params["unknown"]: solved.values["value"]}
    givens = [
        f"${_LETTER[key]} = {value}$"
        for key, value in _given(params).items()
        if key != "n" and not (key == "dilation" and value == 1)
    ]
    check = conv_size_working(
        params["n"],
        layer["kernel_size"],
        stride=layer["stride"],
        left=layer["padding"],
        right=layer["padding"],
        dilation=params["dilation"],
    ).tex
    low = params["stride"] * (params["output"] - 1)
    return {
        "symbol": _LETTER[params["unknown"]],
        "givens": givens,
        "low": low,
        "high": low + params["stride"] - 1,
        "check": check,
    }


CONV_OUTPUT_SIZE = staged(
    "conv_output_size",
    title=bilingual("Output size of a convolution", "卷积层的输出大小"),
    difficulties=(1, 2, 3),
    draw=draw_output_size,
    solve=solve_output_size,
    render=render_output_size,
)
CONV_INVERSE = staged(
    "conv_inverse",
    title=bilingual("Which padding, stride or kernel gives a size", "求使输出达到指定大小的填充、步幅或卷积核"),
    difficulties=(1, 2, 3),
    draw=draw_inverse,
    solve=solve_inverse,
    render=render_inverse,
)
