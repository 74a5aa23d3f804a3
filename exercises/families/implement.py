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

Three steps (:mod:`exercises.families._staged`): :func:`draw` the function
and part (b)'s inputs, :func:`solve` the value and its misconceptions,
:func:`render` the TeX and the names; the texts are ``texts/implement_function.toml``.

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

from ..model import AnswerSpec
from ._arrays import code_line, draw_matrix, py_array, tex_matrix, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = [
    "FAMILY",
    "FUNCTIONS",
    "FORBIDDEN",
    "forbidden_imports_option",
    "corr2d_multi_in_reference",
    "pool2d_reference",
    "out_size_reference",
    "draw",
    "solve",
    "render",
]

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
    convmath.errors.ConvMathError: forbidden_imports='torch' must be a list of module names, e.g. [...]
    >>> forbidden_imports_option(["scipy/signal"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: forbidden_imports=['scipy/signal'] is not allowed: 'scipy/signal' is not a dotted ...
    """
    if not isinstance(value, (list, tuple)):
        raise ConvMathError(
            f'forbidden_imports={value!r} must be a list of module names, e.g. ["torch", "scipy.signal"]'
        )
    for name in value:
        if not isinstance(name, str) or not _MODULE.fullmatch(name):
            raise ConvMathError(
                f"forbidden_imports={list(value)!r} is not allowed: {name!r} is not a dotted module name"
            )
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
    "corr2d_multi_in": (
        "corr2d_multi_in(X, K)",
        "exercises.families.implement:corr2d_multi_in_reference",
        {"op": "correlate", "layout": "multi_in"},
        _MULTI,
    ),
    "pool2d": (
        'pool2d(X, pool_size, mode="max")',
        "exercises.families.implement:pool2d_reference",
        {"op": "max_pool", "layout": "single", "kernel_arg": "tuple", "implied_stride": "one", "mode_arg": True},
        _POOL,
    ),
    "out_size": (
        "out_size(n, k, p=0, s=1)",
        "exercises.families.implement:out_size_reference",
        {"op": "output_size", "args": ["n", "kernel_size", "padding", "stride"], "formula": "conv", "max_value": 10**6},
        _OUT,
    ),  # the domain checked: every argument up to a million
}


def _inputs(rng: random.Random, function: str) -> dict[str, Any] | None:
    """Part (b)'s inputs (``None`` when a symmetric kernel would hide the flip)."""
    if function == "corr2d":
        X = draw_matrix(rng, (rng.choice([3, 4]), rng.choice([3, 4, 5])), 0, 5)
        K = draw_matrix(rng, (2, rng.choice([2, 3])), -1, 2)
        return None if np.array_equal(K, np.flip(K)) else {"X": X.tolist(), "K": K.tolist()}
    if function == "corr2d_multi_in":
        c = rng.choice([2, 3])
        return {"X": draw_matrix(rng, (c, 3, 3), 0, 3).tolist(), "K": draw_matrix(rng, (c, 2, 2), -1, 1).tolist()}
    if function == "pool2d":
        X = draw_matrix(rng, (rng.choice([3, 4]), 4), 0, 9)
        return {"X": X.tolist(), "mode": rng.choice(["max", "avg"])}
    n, k = rng.randrange(16, 257), rng.choice([1, 3, 5, 7, 11])
    return {"n": n, "k": k, "p": rng.choice([0, 1, 2, 3]), "s": rng.choice([1, 2, 3, 4])}


def draw(rng: random.Random, difficulty: int, options: Mapping[str, Any]) -> dict[str, Any] | None:
    """The function to implement and part (b)'s inputs.

    Examples
    --------
    >>> draw(random.Random(0), 1, {"function": "out_size"})
    {'function': 'out_size', 'n': 210, 'k': 7, 'p': 0, 's': 3,
     '_forbidden': ('convmath', 'scipy.signal', 'scipy.ndimage', 'torch', 'tensorflow', 'jax')}
    """
    for key in options:
        if key not in ("function", "forbidden_imports"):
            raise ConvMathError(f"option {key!r} is not allowed; use 'function' or 'forbidden_imports'")
    forbidden_modules = forbidden_imports_option(options.get("forbidden_imports", FORBIDDEN))
    default = {1: rng.choice(["corr2d", "out_size"]), 2: "corr2d_multi_in", 3: "pool2d"}[difficulty]
    function = options.get("function", default)
    if function not in FUNCTIONS:
        raise ConvMathError(f"function={function!r} is not allowed; use one of {', '.join(map(repr, FUNCTIONS))}")
    inputs = _inputs(rng, function)
    return None if inputs is None else {"function": function, **inputs, "_forbidden": forbidden_modules}


def _value(params: Mapping[str, Any]) -> tuple[Any, Any, str]:
    """Part (b)'s value, its misconceptions' answers (``None``: not diagnosable) and its kind."""
    from convmath.misconceptions import CATALOGUE
    from convmath.numeric import corr2d

    function = params["function"]
    if function == "out_size":
        n, k, p, s = (params[key] for key in "nkps")
        value = out_size_reference(n, k, p, s)
        cands = [
            (label, (lambda label=label: CATALOGUE[label].wrong(n, k, stride=s, padding=p)))
            for label in ("forgot_plus_one", "padding_once", "ignored_stride", "ceil_not_floor")
        ]
        return value, wrong_answers(value, cands, required=["forgot_plus_one"]), "integer"
    X = np.array(params["X"])
    if function == "pool2d":
        mode = params["mode"]
        y = pool2d_reference(X, (2, 2), mode)
        # the window moved by its own size, as nn.MaxPool2d(2)'s default stride would
        return (
            y,
            wrong_answers(
                y,
                [
                    (
                        "pool_stride_default_kernel",
                        lambda: CATALOGUE["pool_stride_default_kernel"].wrong(X, (2, 2), mode=mode),
                    )
                ],
                required=["pool_stride_default_kernel"],
                atol=1e-9,
            ),
            "array",
        )
    K = np.array(params["K"])
    if function == "corr2d":
        y = np.rint(np.asarray(corr2d(X.astype(float), K.astype(float)))).astype(np.int64)
        return (
            y,
            wrong_answers(
                y, [("kernel_flipped", lambda: CATALOGUE["kernel_flipped"].wrong(X, K))], required=["kernel_flipped"]
            ),
            "array",
        )
    y = np.rint(corr2d_multi_in_reference(X, K)).astype(np.int64)
    wrong = wrong_answers(
        y,
        [
            ("channels_not_summed", lambda: CATALOGUE["channels_not_summed"].wrong(X, K)),
            ("kernel_flipped", lambda: sum(CATALOGUE["kernel_flipped"].wrong(X[i], K[i]) for i in range(len(K)))),
        ],
        required=["channels_not_summed", "kernel_flipped"],
    )
    return y, wrong, "array"


def solve(params: Mapping[str, Any]) -> Solved | None:
    """The function part (reference, configuration, key code) and part (b)'s value (``None``: not diagnosable).

    Examples
    --------
    >>> s = solve({"function": "out_size", "n": 101, "k": 11, "p": 0, "s": 3, "_forbidden": ()})
    >>> s.answers[0].spec.signature, s.answers[1].spec.expected    # (101 - 11) // 3 + 1
    ('out_size(n, k, p=0, s=1)', 31)
    """
    function = params["function"]
    signature, reference, config, code = FUNCTIONS[function]
    value, wrong, kind = _value(params)
    if wrong is None:
        return None
    name = f"{function}_example"
    answers = (
        Answer(
            "a",
            AnswerSpec(
                "function",
                function,
                signature=signature,
                reference=reference,
                config=dict(config),
                forbidden_imports=tuple(params["_forbidden"]),
            ),
            code.replace(f"def {function}(", "def {name}("),
            (),
            4.0,
        ),
        Answer(
            "b",
            AnswerSpec(kind, name, expected=value, atol=1e-9 if kind == "array" else 0.0),
            code_line("{name}", kind, value),
            wrong,
            1.0,
        ),
    )
    setup = ""
    if function != "out_size":
        setup = f"X = {py_array(params['X'])}" + (f"\nK = {py_array(params['K'])}" if "K" in params else "")
    return Solved(answers, ("import numpy as np\n\n" + setup) if setup else "", {"value": value, "kind": kind})


_ARGS = {
    "corr2d": "(X, K)",
    "corr2d_multi_in": "(X, K)",
    "pool2d": '(X, (2, 2), mode="{mode}")',
    "out_size": "({n}, {k}, {p}, {s})",
}


def render(params: Mapping[str, Any], solved: Solved, names: Mapping[str, str]) -> dict[str, Any]:
    """The function's name in this assignment, part (b)'s call and inputs in TeX, the key code.

    Examples
    --------
    >>> p = {"function": "out_size", "n": 101, "k": 11, "p": 0, "s": 3, "_forbidden": ()}
    >>> r = render(p, solve(p), {"out_size": "out_size_q2", "out_size_example": "out_size_example"})
    >>> r["fn"], r["call"], r["signature"]
    ('out_size_q2', 'out_size_q2(101, 11, 0, 3)', 'out_size_q2(n, k, p=0, s=1)')
    """
    function = params["function"]
    fn = names.get(function, function)
    call = fn + _ARGS[function].format(**{key: params[key] for key in ("mode", "n", "k", "p", "s") if key in params})
    show = ""
    if function in ("corr2d", "pool2d"):
        X = np.array(params["X"])
        show = rf"$$X = {tex_matrix(X)}" + (
            rf", \qquad K = {tex_matrix(np.array(params['K']))}$$" if "K" in params else "$$"
        )
    elif function == "corr2d_multi_in":
        X, K = np.array(params["X"]), np.array(params["K"])
        show = (
            "$$"
            + r", \quad ".join(rf"X_{{{i}}} = {tex_matrix(X[i])}" for i in range(len(X)))
            + "$$\n\n$$"
            + r", \quad ".join(rf"K_{{{i}}} = {tex_matrix(K[i])}" for i in range(len(K)))
            + "$$"
        )
    value, kind = solved.values["value"], solved.values["kind"]
    return {
        "fn": fn,
        "call": call,
        "show": show,
        "signature": FUNCTIONS[function][0].replace(function, fn, 1),
        "forbidden": ", ".join(f"`{m}`" for m in params["_forbidden"]),
        "code": solved.answers[0].code.replace("{name}", fn),
        "value_tex": f"${tex_matrix(value)}$" if kind == "array" else f"{value}",
    }


FAMILY = staged(
    NAME,
    title={"en": "Implement a function", "zh": "实现一个函数"},
    difficulties=(1, 2, 3),
    draw=draw,
    solve=solve,
    render=render,
    options={
        "function": "corr2d or out_size (1), corr2d_multi_in (2), pool2d (3)",
        "forbidden_imports": list(FORBIDDEN),
    },
)
