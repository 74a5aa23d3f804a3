r"""A 1×1 convolution is a fully connected layer applied at every pixel.

The notes on Mu Li's d2l lectures 19-21 (d2l's lecture on channels) makes the point: with a 1×1
kernel, output channel ``o`` at pixel ``(i, j)`` is
:math:`\sum_c W_{o,c} X_{c,i,j} + b_o`, i.e. the matrix product
:math:`W \, X_{\text{flat}}` with ``X`` reshaped to ``(c_i, h w)``.

Difficulty 1: 2-3 input channels, 2 output channels, a 2×2 image, no bias;
the output and the parameter count. Difficulty 2: with a bias and a larger
image; adds the multiply-accumulates. Difficulty 3: adds the parameter count
of a fully connected layer from the whole flattened input to the whole
flattened output, which is what locality and weight sharing save.

Reference values: :func:`convmath.numeric.correlate`,
:func:`convmath.counting.conv_params`, :func:`convmath.counting.conv_macs`,
:func:`convmath.counting.linear_params`.

Three steps (:mod:`exercises.families._staged`): :func:`draw` the arrays,
:func:`solve` the answers (two witnesses for the output) and the
misconceptions' answers, :func:`render` the TeX; the texts are
``texts/conv1x1_as_linear.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from convmath.errors import ConvMathError

from ..model import AnswerSpec
from ._arrays import code_line, draw_matrix, py_array, tex_matrix, wrong_answers
from ._common import check_options
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "solve", "render"]

NAME = "conv1x1_as_linear"


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any]:
    """The input, the weights and (above level 1) the bias.

    Examples
    --------
    >>> p = draw(random.Random(0), 1, {})
    >>> len(p["x"]), len(p["weight"]), p["bias"]
    (3, 2, None)
    """
    check_options(NAME, options)
    c_in = rng.choice([2, 3]) if difficulty == 1 else rng.choice([3, 4] if difficulty == 3 else [2, 3])
    c_out = 2 if difficulty == 1 else rng.choice([2, 3])
    h, w = (2, 2) if difficulty == 1 else rng.choice([(2, 3), (3, 2), (3, 3)])
    bias_on = difficulty >= 2
    x = draw_matrix(rng, (c_in, h, w), 0, 3)
    weight = draw_matrix(rng, (c_out, c_in), -1, 2, nonzero=True)
    bias = draw_matrix(rng, (c_out,), -2, 2, nonzero=True) if bias_on else None
    return {
        "x": x.tolist(),
        "weight": weight.tolist(),
        "bias": None if bias is None else bias.tolist(),
        "_level": difficulty,
    }


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The output (the backend and the matrix product must agree), the counts, the misconceptions' answers.

    Examples
    --------
    >>> p = {"x": [[[1, 0], [0, 1]], [[2, 1], [0, 0]]], "weight": [[1, 1], [2, -1]], "bias": None, "_level": 1}
    >>> s = solve(p)
    >>> s.answers[0].spec.expected[0].tolist(), s.answers[1].spec.expected   # channel 0: X_0 + X_1; 2*2 weights
    ([[3, 1], [0, 1]], 4)
    """
    from convmath.counting import conv_macs, conv_params, linear_params
    from convmath.misconceptions import CATALOGUE
    from convmath.numeric import correlate

    level = params["_level"]
    x, weight = np.array(params["x"], dtype=np.int64), np.array(params["weight"], dtype=np.int64)
    c_in, h, w = x.shape
    c_out = weight.shape[0]
    bias_on = params["bias"] is not None
    bias = np.array(params["bias"], dtype=np.int64) if bias_on else np.zeros(c_out, dtype=np.int64)
    y_float = correlate(
        x.astype(np.float64), weight[:, :, None, None].astype(np.float64), bias.astype(np.float64) if bias_on else None
    )
    y = np.rint(np.asarray(y_float)).astype(np.int64)
    flat = weight @ x.reshape(c_in, -1) + bias[:, None]
    if not np.array_equal(flat.reshape(c_out, h, w), y):  # two witnesses: the matrix product and the backend
        raise ConvMathError("the 1x1 correlation and the matrix product disagree")
    n_params = int(conv_params(c_in, c_out, 1, bias=bias_on))
    macs = int(conv_macs(c_in, c_out, 1, (h, w), bias=False, convention="macs"))
    fc = int(linear_params(c_in * h * w, c_out * h * w, bias=bias_on))

    not_summed = np.stack(
        [CATALOGUE["channels_not_summed"].wrong(x, weight[o][:, None, None]) + bias[o] for o in range(c_out)]
    )
    y_cands = [("channels_not_summed", lambda: not_summed)]
    if bias_on:
        y_cands.append(("forgot_bias", lambda: y - bias[:, None, None]))
    y_wrong = wrong_answers(y, y_cands, required=[label for label, _ in y_cands])
    p_cands = [
        (
            "params_ignored_in_channels",
            lambda: CATALOGUE["params_ignored_in_channels"].wrong(c_in, c_out, 1, bias=bias_on),
        )
    ]
    if bias_on:
        p_cands += [
            ("forgot_bias", lambda: CATALOGUE["forgot_bias"].wrong(c_in, c_out, 1)),
            ("bias_per_input_channel", lambda: CATALOGUE["bias_per_input_channel"].wrong(c_in, c_out, 1)),
        ]
    p_wrong = wrong_answers(n_params, p_cands, required=["bias_per_input_channel"] if bias_on else [])
    m_wrong = wrong_answers(
        macs,
        [
            ("macs_as_flops", lambda: CATALOGUE["macs_as_flops"].wrong(c_in, c_out, 1, (h, w))),
            ("macs_per_position", lambda: CATALOGUE["macs_per_position"].wrong(c_in, c_out, 1, (h, w))),
        ],
        required=["macs_as_flops", "macs_per_position"],
    )
    fc_wrong = wrong_answers(fc, [("forgot_bias", lambda: fc - c_out * h * w)] if bias_on else [])
    if y_wrong is None or p_wrong is None or m_wrong is None or fc_wrong is None:
        return None
    answers = [
        Answer("a", AnswerSpec("array", "Y", expected=y, atol=1e-9), code_line("{name}", "array", y), y_wrong, 3.0),
        Answer(
            "b", AnswerSpec("integer", "n_params", expected=n_params), code_line("{name}", "integer", n_params), p_wrong
        ),
    ]
    if level >= 2:
        answers.append(
            Answer("c", AnswerSpec("integer", "macs", expected=macs), code_line("{name}", "integer", macs), m_wrong)
        )
    if level >= 3:
        answers.append(
            Answer("d", AnswerSpec("integer", "n_params_fc", expected=fc), code_line("{name}", "integer", fc), fc_wrong)
        )
    setup = f"import numpy as np\n\nX = {py_array(x)}\nW = {py_array(weight)}" + (
        f"\nb = {py_array(bias)}" if bias_on else ""
    )
    values = {
        "c_in": c_in,
        "c_out": c_out,
        "h": h,
        "w": w,
        "bias_on": bias_on,
        "n_params": n_params,
        "macs": macs,
        "fc": fc,
        "level": level,
    }
    return Solved(tuple(answers), setup, {**values, "_y": y, "_x": x, "_weight": weight, "_bias": bias})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The arrays in TeX and the first output entry written out.

    Examples
    --------
    >>> p = {"x": [[[1, 0], [0, 1]], [[2, 1], [0, 0]]], "weight": [[1, 1], [2, -1]], "bias": None, "_level": 1}
    >>> print(render(p, solve(p), {})["y0"])      # 1*1 + 1*2
    1\\cdot1 + 1\\cdot2
    """
    v = solved.values
    x, weight, bias, y = v["_x"], v["_weight"], v["_bias"], v["_y"]
    c_in, c_out, bias_on = v["c_in"], v["c_out"], v["bias_on"]
    y0 = " + ".join(
        f"{f'({int(weight[0, c])})' if weight[0, c] < 0 else weight[0, c]}\\cdot{x[c, 0, 0]}" for c in range(c_in)
    )
    y0 += (f" + ({bias[0]})" if bias[0] < 0 else f" + {bias[0]}") if bias_on else ""
    return {
        "x_tex": r", \quad ".join(rf"X_{{{c}}} = {tex_matrix(x[c])}" for c in range(c_in)),
        "bias_tex": rf", \qquad b = {tex_matrix(bias)}^\top" if bias_on else "",
        "w_tex": tex_matrix(weight),
        "y0": y0,
        "y00": int(y[0, 0, 0]),
        "y_tex": [tex_matrix(y[o]) for o in range(c_out)],
        "layer": f"`nn.Conv2d({c_in}, {c_out}, kernel_size=1{'' if bias_on else ', bias=False'})`",
    }


FAMILY = staged(
    NAME,
    title={"en": "1×1 convolution as a fully connected layer", "zh": "1×1 卷积即全连接层"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
)
