r"""Convolution versus cross-correlation: the flip.

Deep learning's "convolution" is a cross-correlation; the mathematical
convolution turns the kernel by 180° first (the notes on Mu Li's d2l lectures 19-21, after d2l's
lecture). Difficulty 1: a 1-D sequence and a 3-tap kernel, both operations.
Difficulty 2: a 2-D input with a 2×2 kernel, the true convolution and which
kernel a cross-correlation needs to give the same result. Difficulty 3: the
same with a 3×3 kernel on a 4×4 or 5×5 input, both operations.

Option ``dims`` (1 or 2) overrides the difficulty's choice.

Three steps (:mod:`exercises.families._staged`): :func:`draw` the arrays and
the order of the offered kernels, :func:`solve` with
:func:`convmath.numeric.correlate` and :func:`convmath.numeric.convolve`
(wrong answers: the catalogue's ``kernel_not_flipped`` and ``kernel_flipped``),
:func:`render` the TeX the texts show; the texts are the templates in
``texts/convolution_vs_correlation.toml``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np

from convmath.errors import ConvMathError

from ..model import AnswerSpec, WrongAnswer
from ._arrays import code_line, draw_matrix, py_array, tex_matrix, wrong_answers
from ._common import check_options
from ._staged import Answer, Solved, staged

__all__ = ["FAMILY", "draw", "solve", "render"]

NAME = "convolution_vs_correlation"
_OPTIONS = ("dims",)
#: The kernels offered in the choice part, in draw order: name -> misconception label of choosing it.
_CANDIDATES = {"rot180": None, "same": "kernel_not_flipped", "lr": None, "ud": None, "transpose": None}


def _candidate(kernel: np.ndarray, name: str) -> np.ndarray:
    return {
        "rot180": lambda: np.flip(kernel),
        "same": lambda: kernel,
        "lr": lambda: np.flip(kernel, 1),
        "ud": lambda: np.flip(kernel, 0),
        "transpose": lambda: kernel.T,
    }[name]()


def _numeric(op: str, x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Valid-mode ``convmath.numeric.correlate``/``convolve`` of one channel, as int64."""
    from convmath import numeric

    fn = numeric.convolve if op == "convolve" else numeric.correlate
    out = fn(x[None].astype(np.float64), kernel[None, None].astype(np.float64))
    return np.rint(np.asarray(out)[0]).astype(np.int64)


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The arrays (``None`` when the kernel has a symmetry that hides the flip) and the order of the options.

    Examples
    --------
    >>> draw(random.Random(2), 1, {})
    {'x': [0, 0, 2, 1, 2], 'kernel': [1, 3, 0], 'dims': 1, '_level': 1}
    """
    check_options(NAME, options, _OPTIONS)
    dims = options.get("dims", 1 if difficulty == 1 else 2)
    if dims not in (1, 2):
        raise ConvMathError(f"dims={dims!r} must be 1 or 2")
    if dims == 1:
        n = rng.choice([5, 6]) + (difficulty - 1)
        x, kernel = draw_matrix(rng, (n,), 0, 4), draw_matrix(rng, (3,), -1, 3)
        if np.array_equal(kernel, kernel[::-1]):
            return None
        return {"x": x.tolist(), "kernel": kernel.tolist(), "dims": dims, "_level": difficulty}
    n, k = ((3, 2), (4, 2))[rng.randrange(2)] if difficulty <= 2 else (rng.choice([4, 5]), 3)
    x, kernel = draw_matrix(rng, (n, n), 0, 4), draw_matrix(rng, (k, k), -1, 2)
    # exactly one option may pass the grader's comparison: the *results* X ⋆ K' must differ
    # (K^T and K turned by 180° can give the same 2x2 output though they differ as kernels)
    results = [_numeric("correlate", x, _candidate(kernel, name)) for name in _CANDIDATES]
    if any(np.allclose(a, b, rtol=0, atol=1e-9) for i, a in enumerate(results) for b in results[i + 1 :]):
        return None
    order = list(_CANDIDATES)
    rng.shuffle(order)
    return {"x": x.tolist(), "kernel": kernel.tolist(), "dims": dims, "_order": order, "_level": difficulty}


def solve(params: Mapping[str, Any]) -> Solved | None:
    """Both results, the misconceptions' answers, and the right option (``None``: a mistake gives the key).

    Examples
    --------
    >>> s = solve({"x": [0, 3, 0, 3, 3], "kernel": [3, -1, 2], "dims": 1, "_level": 1})
    >>> [a.spec.expected.tolist() for a in s.answers]   # 0*3 + 3*(-1) + 0*2 = -3; flipped: 0*2 + 3*(-1) + 0*3
    [[-3, 15, 3], [-3, 15, 6]]
    """
    from convmath.misconceptions import CATALOGUE

    dims, level = params["dims"], params["_level"]
    x, kernel = np.array(params["x"]), np.array(params["kernel"])
    x2, k2 = (x.reshape(1, -1), kernel.reshape(1, -1)) if dims == 1 else (x, kernel)
    flat = (lambda a: a.reshape(-1)) if dims == 1 else (lambda a: a)
    corr, conv = flat(_numeric("correlate", x2, k2)), flat(_numeric("convolve", x2, k2))
    wrong_conv = wrong_answers(
        conv,
        [("kernel_not_flipped", lambda: flat(CATALOGUE["kernel_not_flipped"].wrong(x2, k2)))],
        required=["kernel_not_flipped"],
    )
    wrong_corr = wrong_answers(
        corr, [("kernel_flipped", lambda: flat(CATALOGUE["kernel_flipped"].wrong(x2, k2)))], required=["kernel_flipped"]
    )
    if wrong_conv is None or wrong_corr is None:
        return None
    answers = []
    keys = iter("abc")
    if dims == 1 or level == 3:
        answers.append(
            Answer(
                next(keys),
                AnswerSpec("array", "corr", expected=corr, atol=1e-9),
                code_line("{name}", "array", corr),
                wrong_corr,
                2.0,
            )
        )
    answers.append(
        Answer(
            next(keys),
            AnswerSpec("array", "conv", expected=conv, atol=1e-9),
            code_line("{name}", "array", conv),
            wrong_conv,
            2.0,
        )
    )
    if dims == 2:
        by_letter = {chr(ord("A") + i): name for i, name in enumerate(params["_order"])}
        right = next(letter for letter, name in by_letter.items() if name == "rot180")
        wrong_choice = tuple(
            WrongAnswer(_CANDIDATES[name], letter) for letter, name in by_letter.items() if _CANDIDATES[name]
        )
        values = {
            letter: _numeric("correlate", x, _candidate(kernel, name)).tolist() for letter, name in by_letter.items()
        }
        spec = AnswerSpec(
            "choice", "flipped", expected=right, choices=tuple(by_letter), option_values=values, atol=1e-9
        )
        answers.append(Answer(next(keys), spec, code_line("{name}", "choice", right), wrong_choice, 1.0))
    x_name, k_name = ("x", "w") if dims == 1 else ("X", "K")
    setup = f"import numpy as np\n\n{x_name} = {py_array(x)}\n{k_name} = {py_array(kernel)}"
    return Solved(tuple(answers), setup, {"corr": corr, "conv": conv})


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """What the texts show: the matrices in TeX, the first product written out, the listed options.

    Examples
    --------
    >>> p = {"x": [0, 3, 0, 3, 3], "kernel": [3, -1, 2], "dims": 1, "_level": 1}
    >>> render(p, solve(p), {})["first"]
    '0\\\\cdot3 + 3\\\\cdot(-1) + 0\\\\cdot2'
    """
    dims, level = params["dims"], params["_level"]
    x, kernel = np.array(params["x"]), np.array(params["kernel"])
    corr, conv = solved.values["corr"], solved.values["conv"]
    k = kernel.shape[0]
    first_x = x[:k] if dims == 1 else x[:k, :k].ravel()
    first = " + ".join(f"{int(a)}\\cdot{f'({int(b)})' if b < 0 else int(b)}" for a, b in zip(first_x, kernel.ravel()))
    out = {
        "letter": "x" if dims == 1 else "X",
        "kname": "w" if dims == 1 else "K",
        "k": k,
        "x_tex": tex_matrix(x),
        "kernel_tex": tex_matrix(kernel),
        "flip_tex": tex_matrix(kernel[::-1] if dims == 1 else np.flip(kernel)),
        "corr_tex": tex_matrix(corr),
        "conv_tex": tex_matrix(conv),
        "first": first,
        "corr0": int(corr.flat[0]),
        "with_corr": dims == 1 or level == 3,
        "right": "",
        "listing": "",
    }
    if dims == 2:
        out["right"] = solved.answers[-1].spec.expected
        out["listing"] = "\n".join(
            rf"- **{chr(ord('A') + i)}**: ${tex_matrix(_candidate(kernel, name))}$"
            for i, name in enumerate(params["_order"])
        )
    return out


FAMILY = staged(
    NAME,
    title={"en": "Convolution vs cross-correlation", "zh": "卷积与互相关"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
    options={"dims": "1 at difficulty 1, else 2"},
)
