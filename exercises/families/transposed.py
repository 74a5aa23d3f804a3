r"""Family ``conv_transpose_output_size``: the output size of a transposed convolution.

``ConvTranspose1d`` on a sequence or ``ConvTranspose2d`` on a square input.

1. strides 1 to 3, no padding;
2. strides up to 4 and a padding (removed from the output);
3. with ``output_padding`` and dilation.

Wrong answers: computed as an ordinary convolution, ``n s`` instead of
``(n - 1) s``, the padding added, ``output_padding`` ignored.

Three steps (:mod:`exercises.families._staged`): :func:`draw`, :func:`solve`
with :func:`convmath.sizes.conv_transpose_output_size` and the catalogue,
:func:`render`; the texts are ``texts/conv_transpose_output_size.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_transpose_output_size

from ..model import AnswerSpec
from ._common import check_options, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "solve", "render"]

NAME = "conv_transpose_output_size"


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The layer and the input size.

    Examples
    --------
    >>> draw(random.Random(0), 3, {})
    {'ndim': 2, 'n': 99, 'kernel_size': 5, 'stride': 2, 'padding': 2, 'dilation': 2, 'output_padding': 1}
    """
    check_options(NAME, options)
    ndim = rng.choice((1, 2, 2))
    n = rng.randint(2, 100)
    k = rng.choice((1, 2, 3, 4, 5, 6, 7)) if difficulty == 1 else rng.choice((2, 3, 4, 5, 6, 7))
    s = rng.choice((1, 2, 2, 3)) if difficulty == 1 else rng.choice((2, 2, 3, 4))
    p = 0 if difficulty == 1 else rng.randint(0, k - 1)
    d = rng.choice((1, 1, 2)) if difficulty == 3 else 1
    op = rng.randint(1, max(s, d) - 1) if difficulty == 3 and max(s, d) > 1 else 0
    return {"ndim": ndim, "n": n, "kernel_size": k, "stride": s, "padding": p, "dilation": d, "output_padding": op}


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The output size and the misconceptions' answers (``None``: undefined, too small, not diagnosable).

    Examples
    --------
    >>> s = solve({"ndim": 1, "n": 5, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "output_padding": 0})
    >>> s.answers[0].spec.expected, [w.label for w in s.answers[0].wrongs]   # (5-1)*2 - 2 + 2 + 1
    (9, ['transpose_as_conv', 'transpose_n_times_s', 'transpose_padding_added'])
    """
    n, k = params["n"], params["kernel_size"]
    args = {key: params[key] for key in ("stride", "padding", "dilation", "output_padding")}
    try:
        out = conv_transpose_output_size(n, k, **args)
    except ConvMathError:
        return None
    if out < 2:
        return None
    labels = ["transpose_as_conv", "transpose_n_times_s"]
    if args["padding"]:
        labels.append("transpose_padding_added")
    if args["output_padding"]:
        labels.append("output_padding_ignored")
    wrongs = wrong_answers(out, {label: (lambda label=label: CATALOGUE[label].wrong(n, k, **args)) for label in labels})
    if wrongs is None:
        return None
    s, p, d, op = args["stride"], args["padding"], args["dilation"], args["output_padding"]
    dil = f"{d}*({k} - 1)" if d > 1 else f"({k} - 1)"
    code = f"{{name}} = ({n} - 1)*{s} - 2*{p} + {dil} + {op} + 1"
    return Solved((Answer("a", AnswerSpec("integer", "out_size", out), code, wrongs),), values={"out": out})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The layer call and the substituted formula, as the texts show them.

    Examples
    --------
    >>> p = {"ndim": 1, "n": 5, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "output_padding": 0}
    >>> render(p, solve(p), {})["call"]
    'kernel_size=3, stride=2, padding=1'
    """
    n, k, s, p, d, op = (params[key] for key in ("n", "kernel_size", "stride", "padding", "dilation", "output_padding"))
    call = (
        f"kernel_size={k}, stride={s}"
        + (f", padding={p}" if p else "")
        + (f", dilation={d}" if d > 1 else "")
        + (f", output_padding={op}" if op else "")
    )
    dil_tex = (f"{d}*({k} - 1)" if d > 1 else f"({k} - 1)").replace("*", r"\cdot ")
    tex = (
        f"({n} - 1)\\cdot {s} - 2\\cdot {p} + {dil_tex} + {op} + 1 = {(n - 1) * s} - {2 * p} + {d * (k - 1)} + {op} + 1"
        f" = {solved.values['out']}"
    )
    return {"call": call, "tex": tex}


FAMILY = staged(
    NAME,
    title={"en": "Output size of a transposed convolution", "zh": "转置卷积的输出大小"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
)
