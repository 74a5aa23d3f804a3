r"""Helpers shared by the array families: drawing small integer matrices,
showing them (LaTeX and Python), and keeping only misconceptions that differ.

>>> import numpy as np
>>> print(tex_matrix(np.array([[0, 1], [2, 3]])))
\begin{bmatrix} 0 & 1 \\ 2 & 3 \end{bmatrix}
>>> py_array(np.array([[0, 1], [2, 3]]))
'np.array([[0, 1], [2, 3]])'
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from convmath.errors import ConvMathError
from convmath.sizes import conv_output_size

from ..model import WrongAnswer

__all__ = [
    "draw_matrix",
    "tex_matrix",
    "tex_number",
    "py_array",
    "same_value",
    "wrong_answers",
    "shape_wrongs",
    "output_shape",
    "code_line",
]


def draw_matrix(rng: random.Random, shape: Sequence[int], low: int, high: int, *, nonzero: bool = False) -> np.ndarray:
    """An int64 array of ``shape`` with entries drawn uniformly from ``low..high``."""
    values = [v for v in range(low, high + 1) if v or not nonzero]
    size = int(np.prod(shape))
    return np.array([rng.choice(values) for _ in range(size)], dtype=np.int64).reshape(tuple(shape))


def tex_number(value: Any) -> str:
    """An int as itself, a float with at most 4 decimals (trailing zeros cut)."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def tex_matrix(array: Any) -> str:
    r"""A 1-D or 2-D array as a LaTeX ``bmatrix`` (a 1-D array is one row)."""
    array = np.asarray(array)
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    body = r" \\ ".join(" & ".join(tex_number(v) for v in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def py_array(array: Any) -> str:
    """Python source ``np.array([...])`` for an int or float array."""
    array = np.asarray(array)
    data = array.tolist()
    return f"np.array({data!r})"


def same_value(a: Any, b: Any, *, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Equal shapes and entries within the tolerance (exact for ints)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    return bool(np.allclose(a, b, rtol=rtol, atol=atol)) if (rtol or atol) else bool(np.array_equal(a, b))


def wrong_answers(
    expected: Any,
    candidates: Iterable[tuple[str, Callable[[], Any]]],
    *,
    required: Iterable[str] = (),
    rtol: float = 0.0,
    atol: float = 0.0,
    normalize: Callable[[Any], Any] = lambda v: v,
) -> tuple[WrongAnswer, ...] | None:
    """Evaluate each ``(label, thunk)``; keep those defined and different from ``expected``
    (two that give the same value are both kept: the grader names both).

    Returns ``None`` when a label listed in ``required`` is undefined or
    coincides with the right answer or an earlier wrong one: the variant
    cannot tell that mistake apart, so the family draws again.
    """
    required = set(required)
    kept: list[WrongAnswer] = []
    for label, thunk in candidates:
        try:
            value = normalize(thunk())
        except (ConvMathError, ValueError, ZeroDivisionError):
            if label in required:
                return None
            continue
        if same_value(value, expected, rtol=rtol, atol=atol):
            if label in required:
                return None
            continue
        if any(same_value(value, w.value, rtol=rtol, atol=atol) for w in kept) and label in required:
            return None
        kept.append(WrongAnswer(label, value))  # a value shared with another mistake: the grader names both
    return tuple(kept)


_SHAPE_LABELS = ("forgot_plus_one", "padding_once", "ignored_stride", "ceil_not_floor")


def shape_wrongs(
    sizes: Sequence[int],
    kernel: Sequence[int],
    *,
    stride: int = 1,
    padding: int = 0,
    prefix: Sequence[int] = (),
    labels: Sequence[str] = _SHAPE_LABELS,
) -> list[tuple[str, Callable[[], tuple[int, ...]]]]:
    """``(label, thunk)`` pairs for an output shape ``prefix + per-dimension size``,
    each size miscomputed with the catalogue's conv-size misconception ``label``."""
    from convmath.misconceptions import CATALOGUE

    def make(label: str) -> Callable[[], tuple[int, ...]]:
        wrong = CATALOGUE[label].wrong

        def thunk() -> tuple[int, ...]:
            dims = tuple(wrong(n, k, stride=stride, padding=padding) for n, k in zip(sizes, kernel))
            if any(not isinstance(v, int) or v < 1 for v in dims):
                raise ConvMathError(f"{label} gives no valid shape here")
            return (*prefix, *dims)

        return thunk

    return [(label, make(label)) for label in labels]


def output_shape(sizes: Sequence[int], kernel: Sequence[int], *, stride: int = 1, padding: int = 0) -> tuple[int, ...]:
    """The per-dimension output size from :func:`convmath.sizes.conv_output_size`."""
    return tuple(int(conv_output_size(n, k, stride=stride, padding=padding)) for n, k in zip(sizes, kernel))


def code_line(name: str, kind: str, value: Any) -> str:
    """Solution code defining ``name`` as ``value`` (arrays as ``np.array``, ints and tuples as literals).

    >>> code_line("Y", "array", np.array([[1, 2]]))
    'Y = np.array([[1, 2]])'
    >>> code_line("out_shape", "shape", (3, 3))
    'out_shape = (3, 3)'
    """
    if kind == "array":
        return f"{name} = {py_array(value)}"
    if kind == "shape":
        return f"{name} = {tuple(int(v) for v in value)!r}"
    if kind == "integer":
        return f"{name} = {int(value)!r}"
    return f"{name} = {str(value)!r}"
