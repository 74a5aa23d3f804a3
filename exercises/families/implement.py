r"""Implement a function: ``corr2d``, multi-channel correlation, d2l's ``pool2d``,
the output-size formula. Graded by property tests against a reference.

Part (a) asks for the function (``kind="function"``): its ``signature`` is
shown, ``reference`` names the implementation the grader compares with (it
runs only in the grader process), ``config`` says which calls it must get
right in the vocabulary of :meth:`convmath.testing.functions.Supports.from_config`,
and ``forbidden_imports`` lists what the student may not import. Part (b)
applies the function to given inputs (partial credit, and a misconception
diagnosis).

Difficulty 1: ``corr2d(X, K)`` or ``out_size(n, k, p, s)``. Difficulty 2:
``corr2d_multi_in(X, K)`` (channels summed). Difficulty 3:
``pool2d(X, pool_size, mode)`` with d2l's stride 1. Option ``function``
picks one of ``corr2d``, ``corr2d_multi_in``, ``pool2d``, ``out_size``.
Option ``forbidden_imports`` (a list of dotted module names, default
:data:`FORBIDDEN`; ``[]`` forbids nothing) is the slot's own list: in an
assignment, ``options = { function = "corr2d", forbidden_imports = ["torch"] }``.
The grader refuses those modules while it checks this slot's function (a
static check of the cells that define it, and an import hook plus unreadable
module files in the sandbox); other slots of the notebook may import them.

Part (b)'s wrong answers: ``kernel_flipped`` (``corr2d``; with
``channels_not_summed`` for ``corr2d_multi_in``), the output-size
misconceptions (``out_size``), and ``pool_stride_default_kernel`` for
``pool2d`` (the window moved by its own size, PyTorch's default stride for
``nn.MaxPool2d(2)``, where d2l's ``pool2d`` slides by 1).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from convmath.errors import ConvMathError

from ..model import AnswerSpec, Exercise, Part
from . import Family, register
from ._arrays import code_line, draw_matrix, py_array, tex_matrix, wrong_answers

__all__ = ["FAMILY", "FUNCTIONS", "FORBIDDEN", "forbidden_imports_option", "corr2d_multi_in_reference",
           "pool2d_reference", "out_size_reference"]

NAME = "implement_function"
#: What a slot forbids unless its ``forbidden_imports`` option says otherwise.
FORBIDDEN = ("convmath", "scipy.signal", "scipy.ndimage", "torch", "tensorflow", "jax")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def forbidden_imports_option(value: Any = FORBIDDEN) -> tuple[str, ...]:
    """The ``forbidden_imports`` option checked: dotted module names, in order, without repeats.

    Parameters
    ----------
    value : list of str
        The slot's option (a TOML array); the default is :data:`FORBIDDEN`.

    Returns
    -------
    tuple of str
        The names, each a dotted module path (``"scipy.signal"``); a name
        covers its submodules.

    Examples
    --------
    >>> forbidden_imports_option(["torch", "scipy.signal", "torch"])
    ('torch', 'scipy.signal')
    >>> forbidden_imports_option([])
    ()
    >>> forbidden_imports_option("torch")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: forbidden_imports='torch' must be a list of module names, e.g. ["torch", "scipy.signal"]
    >>> forbidden_imports_option(["scipy/signal"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: forbidden_imports=['scipy/signal'] is not allowed: 'scipy/signal' is not a dotted module name
    """
    if not isinstance(value, (list, tuple)):
        raise ConvMathError(f"forbidden_imports={value!r} must be a list of module names, "
                            'e.g. ["torch", "scipy.signal"]')
    for name in value:
        if not isinstance(name, str) or not _MODULE.fullmatch(name):
            raise ConvMathError(f"forbidden_imports={list(value)!r} is not allowed: {name!r} is not a dotted module name")
    return tuple(dict.fromkeys(value))


def corr2d_multi_in_reference(X: Any, K: Any) -> np.ndarray:
    """``(C, H, W)`` correlated with ``(C, kh, kw)``, summed over channels (:func:`convmath.numeric.correlate`).

    Parameters
    ----------
    X : array_like
        Input ``(C, H, W)``.
    K : array_like
        Kernel ``(C, kh, kw)``.

    Returns
    -------
    numpy.ndarray
        ``(H - kh + 1, W - kw + 1)`` float array.

    Examples
    --------
    d2l's two-channel example: channel 0 gives 19, channel 1 gives
    1*1 + 2*2 + 4*3 + 5*4 = 37, so the top-left entry is 19 + 37 = 56.

    >>> X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    >>> K = [[[0, 1], [2, 3]], [[1, 2], [3, 4]]]
    >>> corr2d_multi_in_reference(X, K)
    array([[ 56.,  72.],
           [104., 120.]])
    """
    from convmath.numeric import correlate

    X, K = np.asarray(X, dtype=np.float64), np.asarray(K, dtype=np.float64)
    return np.asarray(correlate(X, K[None]))[0]


def pool2d_reference(X: Any, pool_size: Any, mode: str = "max") -> np.ndarray:
    """d2l's ``pool2d``: a ``(p_h, p_w)`` window slid with stride 1, no padding (:mod:`convmath.numeric`).

    Parameters
    ----------
    X : array_like
        Input ``(H, W)``.
    pool_size : int or tuple of int
        Window ``(p_h, p_w)``.
    mode : str, optional
        ``"max"`` (default) or ``"avg"``.

    Returns
    -------
    numpy.ndarray
        ``(H - p_h + 1, W - p_w + 1)`` float array.

    Examples
    --------
    On d2l's 3 x 3 input 0..8 the top-left window is [[0, 1], [3, 4]]: max 4,
    mean (0 + 1 + 3 + 4) / 4 = 2.

    >>> X = np.arange(9.0).reshape(3, 3)
    >>> pool2d_reference(X, (2, 2))
    array([[4., 5.],
           [7., 8.]])
    >>> pool2d_reference(X, (2, 2), "avg")
    array([[2., 3.],
           [5., 6.]])
    """
    from convmath.numeric import avg_pool, max_pool

    X = np.asarray(X, dtype=np.float64)
    fn = max_pool if mode == "max" else avg_pool
    return np.asarray(fn(X[None], tuple(pool_size), stride=1))[0]


def out_size_reference(n: int, k: int, p: int = 0, s: int = 1) -> int:
    """:func:`convmath.conv_output_size` with positional ``n, k, p, s``.

    Parameters
    ----------
    n, k : int
        Input and kernel size.
    p, s : int, optional
        Padding per side (default 0) and stride (default 1).

    Returns
    -------
    int
        The output size.

    Examples
    --------
    >>> out_size_reference(8, 3, 1, 2)    # (8 + 2*1 - 3) // 2 + 1
    4
    >>> out_size_reference(6, 3)          # 6 - 3 + 1
    4
    """
    from convmath.sizes import conv_output_size

    return int(conv_output_size(n, k, stride=s, padding=p))


_CORR2D = '''import numpy as np


def corr2d(X, K):
    """Valid 2-D cross-correlation of a matrix X with a kernel K (no flip)."""
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y'''

_MULTI = '''import numpy as np


def corr2d_multi_in(X, K):
    """Valid cross-correlation of X (C, H, W) with K (C, kh, kw), summed over the channels."""
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    _, h, w = K.shape
    Y = np.zeros((X.shape[1] - h + 1, X.shape[2] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[:, i:i + h, j:j + w] * K).sum()
    return Y'''

_POOL = '''import numpy as np


def pool2d(X, pool_size, mode="max"):
    """Max or average pooling of a matrix with a (p_h, p_w) window, stride 1, no padding."""
    X = np.asarray(X, dtype=float)
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y'''

_OUT = '''def out_size(n, k, p=0, s=1):
    """Output size of a convolution: input n, kernel k, padding p on each side, stride s."""
    return (n + 2 * p - k) // s + 1'''

#: The functions students implement.
FUNCTIONS: dict[str, tuple[str, str, dict[str, Any], str]] = {  # name -> signature, reference, config, solution
    "corr2d": ("corr2d(X, K)", "convmath.numeric:corr2d", {"op": "correlate", "layout": "single"}, _CORR2D),
    "corr2d_multi_in": ("corr2d_multi_in(X, K)", "exercises.families.implement:corr2d_multi_in_reference",
                        {"op": "correlate", "layout": "multi_in"}, _MULTI),
    "pool2d": ('pool2d(X, pool_size, mode="max")', "exercises.families.implement:pool2d_reference",
               {"op": "max_pool", "layout": "single", "kernel_arg": "tuple", "implied_stride": "one", "mode_arg": True},
               _POOL),
    "out_size": ("out_size(n, k, p=0, s=1)", "exercises.families.implement:out_size_reference",
                 {"op": "output_size", "args": ["n", "kernel_size", "padding", "stride"], "formula": "conv",
                  "max_value": 10**6}, _OUT),  # the domain checked: every argument up to a million
}

_TASK = {
    "corr2d": ("`corr2d(X, K)`: the valid 2-D cross-correlation of a matrix `X` (H×W) with a kernel `K` (kh×kw, "
               "at most as large as `X`), without flipping the kernel; it returns an (H−kh+1)×(W−kw+1) array. "
               "Non-square inputs and kernels must work.",
               "`corr2d(X, K)`：矩阵 `X`（H×W）与卷积核 `K`（kh×kw，不大于 `X`）的 valid 二维互相关，不翻转卷积核；"
               "返回 (H−kh+1)×(W−kw+1) 的数组。输入和卷积核不一定是方阵。"),
    "corr2d_multi_in": ("`corr2d_multi_in(X, K)`: `X` has shape (C, H, W) and `K` (C, kh, kw); correlate each channel "
                        "of `X` with the matching slice of `K` (valid, no flip) and sum over the channels, returning one "
                        "(H−kh+1)×(W−kw+1) array. Any number of channels must work.",
                        "`corr2d_multi_in(X, K)`：`X` 形状为 (C, H, W)，`K` 为 (C, kh, kw)；把 `X` 的每个通道与 `K` 对应的切片做互相关"
                        "（valid，不翻转）并对通道求和，返回一个 (H−kh+1)×(W−kw+1) 的数组。通道数任意。"),
    "pool2d": ('`pool2d(X, pool_size, mode="max")`: pooling of a matrix `X` with a window `pool_size = (p_h, p_w)` slid '
               'with stride 1 and no padding (as in d2l); `mode` is `"max"` or `"avg"`.',
               '`pool2d(X, pool_size, mode="max")`：对矩阵 `X` 做池化，窗口 `pool_size = (p_h, p_w)`，步幅 1、不填充'
               '（同 d2l）；`mode` 为 `"max"` 或 `"avg"`。'),
    "out_size": ("`out_size(n, k, p=0, s=1)`: the output size of a convolution with input size `n`, kernel size `k`, "
                 "padding `p` on each side and stride `s` (all non-negative integers, the kernel fitting the padded input).",
                 "`out_size(n, k, p=0, s=1)`：输入大小 `n`、卷积核大小 `k`、每侧填充 `p`、步幅 `s` 时卷积的输出大小"
                 "（均为非负整数，卷积核不超过填充后的输入）。"),
}


def _example(rng: random.Random, function: str) -> tuple[str, str, dict[str, str], Any, Any, tuple[Any, ...], dict[str, Any]]:
    """Inputs for part (b): setup code, call, LaTeX, expected value, wrong answers, answer kind, params."""
    from convmath.misconceptions import CATALOGUE
    from convmath.numeric import corr2d

    if function == "corr2d":
        X = draw_matrix(rng, (rng.choice([3, 4]), rng.choice([3, 4, 5])), 0, 5)
        K = draw_matrix(rng, (2, rng.choice([2, 3])), -1, 2)
        if np.array_equal(K, np.flip(K)):
            return None  # type: ignore[return-value]
        y = np.rint(np.asarray(corr2d(X.astype(float), K.astype(float)))).astype(np.int64)
        wrong = wrong_answers(y, [("kernel_flipped", lambda: CATALOGUE["kernel_flipped"].wrong(X, K))], required=["kernel_flipped"])
        show = rf"$$X = {tex_matrix(X)}, \qquad K = {tex_matrix(K)}$$"
        return f"X = {py_array(X)}\nK = {py_array(K)}", "corr2d(X, K)", show, y, wrong, "array", {"X": X.tolist(), "K": K.tolist()}
    if function == "corr2d_multi_in":
        c = rng.choice([2, 3])
        X = draw_matrix(rng, (c, 3, 3), 0, 3)
        K = draw_matrix(rng, (c, 2, 2), -1, 1)
        y = np.rint(corr2d_multi_in_reference(X, K)).astype(np.int64)
        wrong = wrong_answers(y, [("channels_not_summed", lambda: CATALOGUE["channels_not_summed"].wrong(X, K)),
                                  ("kernel_flipped", lambda: sum(CATALOGUE["kernel_flipped"].wrong(X[i], K[i]) for i in range(c)))],
                              required=["channels_not_summed", "kernel_flipped"])
        show = "$$" + r", \quad ".join(rf"X_{{{i}}} = {tex_matrix(X[i])}" for i in range(c)) + "$$\n\n$$" + \
               r", \quad ".join(rf"K_{{{i}}} = {tex_matrix(K[i])}" for i in range(c)) + "$$"
        return f"X = {py_array(X)}\nK = {py_array(K)}", "corr2d_multi_in(X, K)", show, y, wrong, "array", {"X": X.tolist(), "K": K.tolist()}
    if function == "pool2d":
        X = draw_matrix(rng, (rng.choice([3, 4]), 4), 0, 9)
        mode = rng.choice(["max", "avg"])
        y = pool2d_reference(X, (2, 2), mode)
        # the window moved by its own size, as nn.MaxPool2d(2)'s default stride would
        wrong = wrong_answers(y, [("pool_stride_default_kernel",
                                   lambda: CATALOGUE["pool_stride_default_kernel"].wrong(X, (2, 2), mode=mode))],
                              required=["pool_stride_default_kernel"], atol=1e-9)
        show = rf"$$X = {tex_matrix(X)}$$"
        return (f"X = {py_array(X)}", f'pool2d(X, (2, 2), mode="{mode}")', show, y, wrong, "array",
                {"X": X.tolist(), "mode": mode})
    n, k = rng.randrange(16, 257), rng.choice([1, 3, 5, 7, 11])
    p, s = rng.choice([0, 1, 2, 3]), rng.choice([1, 2, 3, 4])
    value = out_size_reference(n, k, p, s)
    cands = [(label, (lambda label=label: CATALOGUE[label].wrong(n, k, stride=s, padding=p)))
             for label in ("forgot_plus_one", "padding_once", "ignored_stride", "ceil_not_floor")]
    wrong = wrong_answers(value, cands, required=["forgot_plus_one"])
    return "", f"out_size({n}, {k}, {p}, {s})", "", value, wrong, "integer", {"n": n, "k": k, "p": p, "s": s}


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> Exercise | None:
    """Draw one variant."""
    for key in options:
        if key not in ("function", "forbidden_imports"):
            raise ConvMathError(f"option {key!r} is not allowed; use 'function' or 'forbidden_imports'")
    forbidden_modules = forbidden_imports_option(options.get("forbidden_imports", FORBIDDEN))
    default = {1: rng.choice(["corr2d", "out_size"]), 2: "corr2d_multi_in", 3: "pool2d"}[difficulty]
    function = options.get("function", default)
    if function not in FUNCTIONS:
        raise ConvMathError(f"function={function!r} is not allowed; use one of {', '.join(map(repr, FUNCTIONS))}")
    signature, reference, config, code = FUNCTIONS[function]
    example = _example(rng, function)
    if example is None or example[4] is None:
        return None
    setup, call, show, value, wrong, kind, params = example
    task_en, task_zh = _TASK[function]
    forbidden = ", ".join(f"`{m}`" for m in forbidden_modules)
    rule_en = f"Use plain Python and NumPy; importing {forbidden} is not allowed. " if forbidden_modules else ""
    rule_zh = f"只能使用 Python 和 NumPy；不允许导入 {forbidden}。" if forbidden_modules else ""
    prompt = {
        "en": (f"Implement {task_en}\n\n{rule_en}"
               "Your function is tested on many random inputs against a reference implementation."),
        "zh": (f"实现 {task_zh}\n\n{rule_zh}你的函数会在大量随机输入上与参考实现比对。"),
    }
    name = function
    answer_name = f"{function}_example"
    parts = [
        Part("a", {"en": f"Define `{signature}`.", "zh": f"定义 `{signature}`。"},
             AnswerSpec("function", name, signature=signature, reference=reference, config=dict(config),
                        forbidden_imports=forbidden_modules), 4.0, (), code),
        Part("b", {"en": f"Compute `{call}`{' for' if show else ''}{chr(10) * 2 + show if show else ''}\n\nand define `{answer_name}` "
                         "as the result (a value you may also work out by hand).",
                   "zh": f"计算 `{call}`{chr(10) * 2 + show if show else ''}\n\n并把结果定义为 `{answer_name}`（也可以手算）。"},
             AnswerSpec(kind, answer_name, expected=value, atol=1e-9 if kind == "array" else 0.0), 1.0, wrong,
             code_line(answer_name, kind, value)),
    ]
    steps_en = [f"A reference solution:\n\n```python\n{code}\n```", f"`{call}` = " + (f"${tex_matrix(value)}$" if kind == "array" else f"{value}")]
    steps_zh = [f"参考实现：\n\n```python\n{code}\n```", f"`{call}` = " + (f"${tex_matrix(value)}$" if kind == "array" else f"{value}")]
    if function == "out_size":
        n, k, p, s = params["n"], params["k"], params["p"], params["s"]
        steps_en.append(rf"By the formula: $\lfloor ({n} + 2\cdot{p} - {k})/{s} \rfloor + 1 = {value}$.")
        steps_zh.append(rf"代入公式：$\lfloor ({n} + 2\cdot{p} - {k})/{s} \rfloor + 1 = {value}$。")
    labels = tuple(dict.fromkeys(w.label for part in parts for w in part.wrong_answers))
    return Exercise(
        family=NAME, difficulty=difficulty, seed=0, params={"function": function, **params},
        prompt=prompt, parts=tuple(parts), solution={"en": tuple(steps_en), "zh": tuple(steps_zh)},
        setup_code=("import numpy as np\n\n" + setup) if setup else "", misconceptions=labels,
    )


FAMILY = register(
    Family(
        name=NAME,
        title={"en": "Implement a function", "zh": "实现一个函数"},
        difficulties=(1, 2, 3),
        draw=draw,
    )
)
