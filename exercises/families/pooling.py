r"""Family ``pool_output_size``: the output size of max or average pooling, PyTorch's rules.

Every level draws 1-D or 2-D pooling (``MaxPool1d/2d``, ``AvgPool1d/2d``) and,
in 2-D, a square or (levels 1 and 2) a non-square input, whose answer is the
``(height, width)`` shape.

1. no padding, the windows fit exactly: the stride is the window (the
   default) or written out;
2. a stride and a padding (at most half the window), rounding down;
3. ``ceil_mode=True``, sometimes with the rule that drops a last window
   starting in the right padding (one size: a square or 1-D input).

Wrong answers: stride taken as 1, no ``+ 1``, padding on one side only,
rounding the other way, the last window kept.

Three steps (:mod:`exercises.families._staged`): :func:`draw`, :func:`solve`
with :func:`convmath.sizes.pool_output_size` and the catalogue, :func:`render`;
the texts are ``texts/pool_output_size.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import pool_output_size

from ..model import AnswerSpec
from ._common import check_options, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "solve", "render"]

NAME = "pool_output_size"


def _candidates(n: int, k: int, stride: int | None, p: int, ceil_mode: bool) -> dict[str, Callable[[], int]]:
    """The misconceptions that apply to one size, most specific first (label -> thunk)."""
    args: dict[str, Any] = {"stride": stride, "padding": p, "ceil_mode": ceil_mode}
    s = k if stride is None else stride
    numerator = n + 2 * p - k
    labels: list[str] = ["pool_padding_one_side"] if p else []
    labels += ["pool_stride_one"] if stride is None else []
    if ceil_mode:
        # the last window dropped: rounding down happens to be right, rounding up without the rule is not
        labels.append("ceil_mode_last_window_kept" if -(-numerator // s) * s >= n + p else "ceil_mode_ignored")
        return {label: (lambda label=label: CATALOGUE[label].wrong(n, k, **args)) for label in labels}
    thunks = {label: (lambda label=label: CATALOGUE[label].wrong(n, k, **args)) for label in labels}
    # floor mode: pooling is the convolution formula with the stride written out
    conv = ["ignored_stride"] if stride is not None and s > 1 else []
    conv += ["forgot_plus_one"] + (["ceil_not_floor"] if numerator % s else [])
    thunks.update({label: (lambda label=label: CATALOGUE[label].wrong(n, k, stride=s, padding=p)) for label in conv})
    return thunks


def _code(n: int, k: int, s: int, p: int, ceil_mode: bool) -> str:
    """The key's expression of one size (``{name}`` where the answer's name goes)."""
    if not ceil_mode:
        return f"({n} + 2*{p} - {k}) // {s} + 1"
    return (
        f"-(-({n} + 2*{p} - {k}) // {s}) + 1   # rounded up\n"
        f"if ({{name}} - 1) * {s} >= {n} + {p}:   # last window would start in the right padding\n"
        "    {name} -= 1"
    )


def _sizes(rng: random.Random, difficulty: int, dims: int) -> list[int]:
    n = rng.randint(4, 128)
    if dims == 2 and difficulty < 3 and rng.random() < 0.5:
        return [n, rng.choice([m for m in range(max(4, n // 3), min(128, 3 * n) + 1) if m != n])]
    return [n]


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The layer and the input (``None`` when the numbers do not suit the level).

    Examples
    --------
    >>> draw(random.Random(4), 1, {})
    {'layer': 'MaxPool1d', 'sizes': [96], 'kernel_size': 2, 'stride': None, 'padding': 0, 'ceil_mode': False}
    """
    check_options("pool_output_size", options)
    dims, kind = rng.choice((1, 2, 2)), rng.choice(("Max", "Max", "Avg"))
    k = rng.choice((2, 2, 3, 4, 5)) if difficulty == 1 else rng.choice((2, 3, 3, 4, 5))
    sizes = _sizes(rng, difficulty, dims)
    if difficulty == 1:
        stride = None if rng.random() < 0.6 else rng.choice([s for s in (1, 2, 3, k) if s <= k])
    else:
        stride = None if rng.random() < 0.4 else rng.choice((1, 2, 2, 3, k + 1))
    p = 0 if difficulty == 1 or rng.random() < 0.4 else rng.randint(1, k // 2)
    s = k if stride is None else stride
    numerators = [n + 2 * p - k for n in sizes]
    if (
        min(numerators) < 0
        or (difficulty == 1 and any(x % s for x in numerators))
        or (difficulty == 3 and numerators[0] % s == 0)
    ):
        return None
    return {
        "layer": f"{kind}Pool{dims}d",
        "sizes": sizes,
        "kernel_size": k,
        "stride": stride,
        "padding": p,
        "ceil_mode": difficulty == 3,
    }


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The output size(s) and the misconceptions' answers (``None``: too small, or not diagnosable).

    Examples
    --------
    >>> s = solve({"layer": "MaxPool2d", "sizes": [72], "kernel_size": 2, "stride": 2, "padding": 0,
    ...            "ceil_mode": False})
    >>> s.answers[0].spec.expected, s.answers[0].code   # (72 - 2) // 2 + 1
    (36, '{name} = (72 + 2*0 - 2) // 2 + 1')
    """
    sizes, k, stride, p, ceil_mode = (params[key] for key in ("sizes", "kernel_size", "stride", "padding", "ceil_mode"))
    s = k if stride is None else stride
    try:
        outs = [pool_output_size(n, k, stride=stride, padding=p, ceil_mode=ceil_mode) for n in sizes]
    except ConvMathError:
        return None
    if min(outs) < 2:
        return None
    per_size = [_candidates(n, k, stride, p, ceil_mode) for n in sizes]
    labels = [label for thunks in per_size for label in thunks]
    labels = sorted(set(labels), key=labels.index)
    if len(sizes) == 1:
        expected: Any = outs[0]
        wrongs = wrong_answers(expected, per_size[0])
    else:
        expected = tuple(outs)
        wrongs = wrong_answers(
            expected,
            {
                label: (
                    lambda label=label: tuple(
                        thunks[label]() if label in thunks else out for thunks, out in zip(per_size, outs)
                    )
                )
                for label in labels
            },
        )
    if not wrongs:
        return None
    codes = [_code(n, k, s, p, ceil_mode) for n in sizes]
    name, kind = ("out_size", "integer") if len(sizes) == 1 else ("out_shape", "shape")
    code = "{name} = " + (codes[0] if len(codes) == 1 else f"({codes[0]}, {codes[1]})")
    return Solved((Answer("a", AnswerSpec(kind, name, expected), code, wrongs),), values={"outs": outs, "s": s})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """What the texts show: the layer call, and per size the substituted formula (and the last-window rule).

    Examples
    --------
    >>> p = {"layer": "MaxPool2d", "sizes": [72], "kernel_size": 2, "stride": 2, "padding": 0, "ceil_mode": False}
    >>> r = render(p, solve(p), {})
    >>> r["call"]
    'kernel_size=2, stride=2'
    >>> print(r["per_size"][0]["tex"])     # (72 - 2) // 2 + 1
    \\left\\lfloor \\frac{72 + 2\\cdot 0 - 2}{2} \\right\\rfloor + 1 = \\lfloor 70/2 \\rfloor + 1 = 36
    """
    k, stride, p, ceil_mode = (params[key] for key in ("kernel_size", "stride", "padding", "ceil_mode"))
    s = solved.values["s"]
    call = (
        f"kernel_size={k}"
        + (f", stride={stride}" if stride is not None else "")
        + (f", padding={p}" if p else "")
        + (", ceil_mode=True" if ceil_mode else "")
    )
    per_size = []
    for n, out in zip(params["sizes"], solved.values["outs"]):
        numerator = n + 2 * p - k
        sub = f"{n} + 2\\cdot {p} - {k}"
        up = -(-numerator // s) + 1
        if ceil_mode:
            tex = (
                f"\\left\\lceil \\frac{{{sub}}}{{{s}}} \\right\\rceil + 1 = \\lceil {numerator}/{s} \\rceil + 1 = {up}"
            )
        else:
            floor = f"\\left\\lfloor \\frac{{{sub}}}{{{s}}} \\right\\rfloor"
            tex = f"{floor} + 1 = \\lfloor {numerator}/{s} \\rfloor + 1 = {out}"
        per_size.append(
            {"n": n, "out": out, "tex": tex, "up": up, "start": (up - 1) * s, "dropped": (up - 1) * s >= n + p}
        )
    answer = solved.answers[0].spec
    return {
        "call": call,
        "s": s,
        "kind": params["layer"][:3],
        "dims": int(params["layer"][-2]),
        "per_size": per_size,
        "expected": answer.expected,
        "answer_name": answer.name,
    }


FAMILY = staged(
    NAME,
    title={"en": "Output size of a pooling layer", "zh": "池化层的输出大小"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
)
