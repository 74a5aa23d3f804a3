r"""Cross-correlation by hand on small integer matrices.

Difficulty 1: one channel, a 3×3 or 4×4 input, a 2×2 kernel, stride 1 (the
the "theory of convolutional neural networks" tutorial example, 0..8 with 0..3 giving 19, 25, 37, 43, is of this
kind). Difficulty 2: one channel, a 4×4 to 5×5 input, a 2×2 or 3×3 kernel,
stride 2 or zero padding 1. Difficulty 3: two or three input channels and a
bias (the "principle of convolution" tutorial sums channels the same way).

Options: ``channels`` (1-3) and ``stride`` (1-2), ``padding`` (0-1) override
the difficulty's choice.

The reference values come from :func:`convmath.numeric.correlate`; the
wrong answers are the catalogue's misconceptions (kernel flipped, channels not
summed, stride ignored, bias forgotten or counted per input channel, and with
padding all ``2p`` of it on one side, ``padding_one_side``).

Three steps (:mod:`exercises.families._staged`): :func:`draw`, :func:`solve`,
:func:`render`; the texts are ``texts/cross_correlation_by_hand.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from convmath._validate import check_int
from convmath.errors import ConvMathError

from ..model import AnswerSpec
from ._arrays import code_line, draw_matrix, output_shape, py_array, shape_wrongs, tex_matrix, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "correlate_int", "draw", "solve", "render"]

NAME = "cross_correlation_by_hand"
_OPTIONS = ("channels", "stride", "padding")


def correlate_int(x: np.ndarray, kernel: np.ndarray, bias: int = 0, *, stride: int = 1, padding: int = 0) -> np.ndarray:
    """One output channel of ``convmath.numeric.correlate`` on ``(C, H, W)`` ints, as int64.

    Parameters
    ----------
    x : numpy.ndarray
        Input ``(C, H, W)`` of integers.
    kernel : numpy.ndarray
        Kernel ``(C, kh, kw)``; the channels are summed.
    bias : int, optional
        Added to every output entry (default 0).
    stride, padding : int, optional
        Same for both spatial dimensions (defaults 1 and 0).

    Returns
    -------
    numpy.ndarray
        ``(H', W')`` int64 array.

    Examples
    --------
    d2l's example: the top-left entry is 0*0 + 1*1 + 3*2 + 4*3 = 19.

    >>> X = np.arange(9).reshape(1, 3, 3)
    >>> K = np.array([[[0, 1], [2, 3]]])
    >>> correlate_int(X, K)
    array([[19, 25],
           [37, 43]])

    With padding 1, stride 2 and bias 1 the output is (3 + 2*1 - 2) // 2 + 1 = 2
    wide; the top-left window sees only the padded zeros and X[0, 0, 0] = 0,
    so it is the bias, 1:

    >>> correlate_int(X, K, 1, stride=2, padding=1)
    array([[ 1,  9],
           [22, 44]])
    """
    from convmath.numeric import correlate

    out = correlate(
        x.astype(np.float64), kernel[None].astype(np.float64), np.array([float(bias)]), stride=stride, padding=padding
    )
    return np.rint(np.asarray(out)[0]).astype(np.int64)


def _term(x: int, k: int) -> str:
    xs = f"({x})" if x < 0 else str(x)
    ks = f"({k})" if k < 0 else str(k)
    return rf"{xs}\cdot{ks}"


def _entry_steps(x: np.ndarray, kernel: np.ndarray, bias: int, stride: int, y: np.ndarray, limit: int) -> list[str]:
    steps = []
    kh, kw = kernel.shape[1:]
    for index, (i, j) in enumerate(np.ndindex(*y.shape)):
        if index >= limit:
            break
        sums = []
        for c in range(x.shape[0]):
            window = x[c, i * stride : i * stride + kh, j * stride : j * stride + kw]
            terms = " + ".join(_term(int(a), int(b)) for a, b in zip(window.ravel(), kernel[c].ravel()))
            sums.append(f"({terms})" if x.shape[0] > 1 else terms)
        expr = " + ".join(sums) + (f" + ({bias})" if bias < 0 else f" + {bias}" if bias else "")
        steps.append(rf"$Y_{{{i},{j}}} = {expr} = {int(y[i, j])}$")
    return steps


def _draw_config(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, int]:
    if difficulty == 1:
        config = {"channels": 1, "stride": 1, "padding": 0, "n": rng.choice([3, 4]), "k": 2}
    elif difficulty == 2:
        config = {"channels": 1, "k": rng.choice([2, 3])}
        if rng.random() < 0.5:
            config |= {"stride": 2, "padding": 0, "n": rng.choice([4, 5]) if config["k"] == 2 else 5}
        else:
            config |= {"stride": 1, "padding": 1, "n": rng.choice([3, 4]) if config["k"] == 2 else 4}
    else:
        config = {"channels": rng.choice([2, 2, 3]), "stride": 1, "padding": 0, "n": rng.choice([3, 4]), "k": 2}
    for key in _OPTIONS:
        if key in options:
            config[key] = options[key]
    if config["stride"] == 2 and config["n"] - config["k"] < 2:
        config["n"] = config["k"] + 2
    return config


def _check_options(options: Mapping[str, Any]) -> None:
    for key in options:
        if key not in _OPTIONS:
            raise ConvMathError(f"option {key!r} is not allowed; use one of {', '.join(map(repr, _OPTIONS))}")
    if "channels" in options:
        check_int("channels", options["channels"], minimum=1)
        if options["channels"] > 3:
            raise ConvMathError(f"channels={options['channels']} must be 1, 2 or 3 (by hand)")
    if "stride" in options and check_int("stride", options["stride"], minimum=1) > 2:
        raise ConvMathError(f"stride={options['stride']} must be 1 or 2")
    if "padding" in options and check_int("padding", options["padding"], minimum=0) > 1:
        raise ConvMathError(f"padding={options['padding']} must be 0 or 1")


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The input, the kernel and the bias (``None`` when a symmetric or zero kernel would hide a mistake).

    Examples
    --------
    >>> p = draw(random.Random(1), 1, {})
    >>> p["stride"], p["padding"], len(p["x"]), len(p["kernel"][0])
    (1, 0, 1, 2)
    """
    _check_options(options)
    cfg = _draw_config(rng, difficulty, options)
    channels, n, k = cfg["channels"], cfg["n"], cfg["k"]
    x = draw_matrix(rng, (channels, n, n), 0, 5 if channels == 1 else 3)
    kernel = draw_matrix(rng, (channels, k, k), -1, 2 if channels == 1 else 1)
    if np.array_equal(kernel, np.flip(kernel, (1, 2))) or not kernel.any():
        return None
    bias = rng.choice([-2, -1, 1, 2, 3]) if channels > 1 else 0
    return {
        "x": x.tolist(),
        "kernel": kernel.tolist(),
        "bias": bias,
        "stride": cfg["stride"],
        "padding": cfg["padding"],
    }


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The output shape and values (two witnesses for the shape) and the misconceptions' answers.

    Examples
    --------
    >>> p = {"x": [[[0, 1, 2], [3, 4, 5], [6, 7, 8]]], "kernel": [[[0, 1], [2, 3]]],
    ...      "bias": 0, "stride": 1, "padding": 0}
    >>> [a.spec.expected.tolist() if hasattr(a.spec.expected, "tolist") else a.spec.expected for a in solve(p).answers]
    [(2, 2), [[19, 25], [37, 43]]]
    """
    from convmath.misconceptions import CATALOGUE

    x, kernel = np.array(params["x"], dtype=np.int64), np.array(params["kernel"], dtype=np.int64)
    bias, stride, padding = params["bias"], params["stride"], params["padding"]
    channels, n, _ = x.shape
    k = kernel.shape[1]
    y = correlate_int(x, kernel, bias, stride=stride, padding=padding)
    shape = output_shape((n, n), (k, k), stride=stride, padding=padding)
    if y.shape != shape:  # the two witnesses disagree: never hand this out
        raise ConvMathError(f"numeric output {y.shape} differs from the formula {shape}")
    simple = stride == 1 and padding == 0
    y_cands = [
        (
            "kernel_flipped",
            (lambda: CATALOGUE["kernel_flipped"].wrong(x[0], kernel[0], stride=stride, padding=padding))
            if channels == 1
            else (lambda: correlate_int(x, np.flip(kernel, (1, 2)), bias, stride=stride, padding=padding)),
        ),
    ]
    shape_cands = shape_wrongs((n, n), (k, k), stride=stride, padding=padding)
    required_y = ["kernel_flipped"]
    if stride > 1:
        y_cands.append(("ignored_stride", lambda: correlate_int(x, kernel, bias, padding=padding)))
        required_y.append("ignored_stride")
    if padding:
        # all 2p of the padding below and to the right: X copied into the top-left corner of the zeros
        y_cands.append(
            (
                "padding_one_side",
                (lambda: CATALOGUE["padding_one_side"].wrong(x[0], kernel[0], stride=stride, padding=padding))
                if channels == 1
                else (
                    lambda: correlate_int(
                        np.pad(x, ((0, 0), (0, 2 * padding), (0, 2 * padding))), kernel, bias, stride=stride
                    )
                ),
            )
        )
    if channels > 1:
        y_cands += [
            (
                "channels_not_summed",
                (lambda: CATALOGUE["channels_not_summed"].wrong(x, kernel) + bias)
                if simple
                else (
                    lambda: (
                        np.stack(
                            [
                                correlate_int(x[c : c + 1], kernel[c : c + 1], stride=stride, padding=padding)
                                for c in range(channels)
                            ]
                        )
                        + bias
                    )
                ),
            ),
            ("forgot_bias", lambda: y - bias),
            ("bias_per_input_channel", lambda: y + (channels - 1) * bias),
        ]
        required_y += ["channels_not_summed", "forgot_bias", "bias_per_input_channel"]
        shape_cands.append(("channels_not_summed", lambda: (channels, *shape)))
    y_wrong = wrong_answers(y, y_cands, required=required_y)
    shape_wrong = wrong_answers(shape, shape_cands, required=["forgot_plus_one"], normalize=tuple)
    if y_wrong is None or shape_wrong is None:
        return None
    answers = (
        Answer("a", AnswerSpec("shape", "out_shape", expected=shape), code_line("{name}", "shape", shape), shape_wrong),
        Answer("b", AnswerSpec("array", "Y", expected=y, atol=1e-9), code_line("{name}", "array", y), y_wrong, 3.0),
    )
    xs, ks = (x[0], kernel[0]) if channels == 1 else (x, kernel)
    setup = f"import numpy as np\n\nX = {py_array(xs)}\nK = {py_array(ks)}" + (f"\nb = {bias}" if bias else "")
    return Solved(
        answers, setup, {"_x": x, "_kernel": kernel, "_y": y, "shape": shape, "channels": channels, "n": n, "k": k}
    )


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The matrices in TeX and the entries worked out (at most 9, or 4 with channels).

    Examples
    --------
    >>> p = {"x": [[[0, 1, 2], [3, 4, 5], [6, 7, 8]]], "kernel": [[[0, 1], [2, 3]]],
    ...      "bias": 0, "stride": 1, "padding": 0}
    >>> print(render(p, solve(p), {})["entries"][0])      # d2l's 19
    $Y_{0,0} = 0\\cdot0 + 1\\cdot1 + 3\\cdot2 + 4\\cdot3 = 19$
    """
    v = solved.values
    x, kernel, y, channels = v["_x"], v["_kernel"], v["_y"], v["channels"]
    bias, stride, padding = params["bias"], params["stride"], params["padding"]
    if channels == 1:
        mats = rf"$$X = {tex_matrix(x[0])}, \qquad K = {tex_matrix(kernel[0])}$$"
    else:
        mats = (
            "$$"
            + r", \quad ".join(rf"X_{{{c}}} = {tex_matrix(x[c])}" for c in range(channels))
            + "$$\n\n$$"
            + r", \quad ".join(rf"K_{{{c}}} = {tex_matrix(kernel[c])}" for c in range(channels))
            + "$$"
        )
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    entries = _entry_steps(xp, kernel, bias, stride, y, limit=9 if channels == 1 else 4)
    return {
        "mats": mats,
        "entries": entries,
        "more": y.size > len(entries),
        "xp_tex": tex_matrix(xp[0]),
        "y_tex": tex_matrix(y),
        "xs_tex": ", ".join(f"X_{c}" for c in range(channels)),
        "ks_tex": ", ".join(f"K_{c}" for c in range(channels)),
    }


FAMILY = staged(
    NAME,
    title={"en": "Cross-correlation by hand", "zh": "手算互相关"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
    options={"channels": "1-3", "stride": "1-2", "padding": "0-1"},
)
