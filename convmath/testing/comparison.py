"""Compare an actual value with the expected one, and say how they differ.

One comparison, used everywhere a result is judged: by the assertion helpers
of :mod:`convmath.testing` in a course's CI, and by the grader for array
answers, function answers and the diagnosis of misconceptions (a wrong answer
*matches* a misconception when this comparison finds no difference). So a
course's CI and the grader cannot disagree about what "equal" means.

Rules
-----
- Two ints (Python, numpy) are compared exactly; ``bool`` is not a number.
- Otherwise values are compared as float arrays of the *same shape* (no
  broadcasting), element by element with
  ``|actual - expected| <= atol + rtol * |expected|``; NaN equals NaN and an
  infinity equals the same infinity. Zero tolerances mean exact equality.
- Strings, objects, booleans and complex numbers where reals are expected are
  type mismatches.

Examples
--------
>>> compare(np.array([[19., 25.], [37., 43.]]), [[19, 25], [37, 43]]) is None
True
>>> describe(compare(np.zeros((3, 3)), np.zeros((4, 4))), "out")
"'out' does not have correct shape--got: (4, 4), expected: (3, 3)"
>>> describe(compare(np.zeros((2, 2)), [[0, 0], [0, 1]]), "Y")
"'Y' has the correct shape (2, 2) but 1 of 4 values differ; the first at index (1, 1): got 1, expected 0"
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from convmath.errors import ConvMathError

__all__ = ["Mismatch", "compare", "describe", "fmt_value", "MESSAGES"]


@dataclass(frozen=True)
class Mismatch:
    """How an actual value differs from the expected one."""

    kind: Literal["type", "shape", "value"]
    """``type``: not a number or array of numbers; ``shape``: the shapes differ;
    ``value``: same shape, some values differ."""

    got: Any
    """The type name (``type``), the actual shape (``shape``), or the first
    differing actual value (``value``)."""

    expected: Any
    """What was expected in the same terms: a description, a shape, or a value."""

    index: tuple[int, ...] | None = None
    """Index of the first differing element (``value`` mismatches of arrays)."""

    count: int = 1
    """How many elements differ."""

    total: int = 1
    """How many elements were compared."""

    shape: tuple[int, ...] | None = None
    """The (common) shape of both arrays (``value`` mismatches of arrays)."""


#: Message templates, one per kind of difference, per locale.
MESSAGES: dict[str, dict[str, str]] = {
    "type": {
        "en": "'{name}' must be {expected}, not {got}",
        "zh": "'{name}' 应当是{expected}，而不是 {got}",
    },
    "shape": {
        "en": "'{name}' does not have correct shape--got: {got}, expected: {expected}",
        "zh": "'{name}' 的形状不正确——得到：{got}，应为：{expected}",
    },
    "shape_swapped": {
        "en": " (the dimensions are in the wrong order)",
        "zh": "（维度的顺序反了）",
    },
    "shape_extra_axis": {
        "en": " (an axis of length 1 too many or too few)",
        "zh": "（多了或少了一个长度为 1 的维度）",
    },
    "array_value": {
        "en": "'{name}' has the correct shape {shape} but {count} of {total} values differ; "
        "the first at index {index}: got {got}, expected {expected}",
        "zh": "'{name}' 的形状 {shape} 正确，但 {total} 个值中有 {count} 个不对；"
        "第一个在下标 {index}：得到 {got}，应为 {expected}",
    },
    "array_value_hidden": {
        "en": "'{name}' has the correct shape {shape} but {count} of {total} values differ; "
        "the first at index {index}: got {got}",
        "zh": "'{name}' 的形状 {shape} 正确，但 {total} 个值中有 {count} 个不对；第一个在下标 {index}：得到 {got}",
    },
    "scalar_value": {
        "en": "'{name}' is {got}, expected {expected}",
        "zh": "'{name}' 是 {got}，应为 {expected}",
    },
    "scalar_value_hidden": {
        "en": "'{name}' is {got}, which is not correct",
        "zh": "'{name}' 是 {got}，不正确",
    },
}

_WHAT = {
    "en": {"number": "a number", "array": "an array of numbers"},
    "zh": {"number": "一个数", "array": "一个数值数组"},
}


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _as_float_array(value: Any) -> np.ndarray | str:
    """``value`` as a float array, or the name of its offending type."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        return type(value).__name__
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return "a ragged nested list"
    if arr.dtype.kind in "iuf":
        return arr.astype(np.float64)
    if arr.dtype.kind == "b":
        return "an array of booleans"
    if arr.dtype.kind == "c":
        return "complex numbers"
    if arr.dtype.kind == "O":
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError):
            return (
                "a ragged nested list"
                if arr.ndim == 1 and any(isinstance(v, (list, tuple)) for v in arr)
                else type(value).__name__
            )
    return f"an array of {arr.dtype}"


def compare(expected: Any, actual: Any, *, rtol: float = 0.0, atol: float = 0.0) -> Mismatch | None:
    """Compare ``actual`` with ``expected``; ``None`` when they agree.

    Parameters
    ----------
    expected : int, float or array_like
        The reference value (a trusted number or array).
    actual : Any
        The value under test (anything: it is checked, never trusted).
    rtol, atol : float, optional
        Relative and absolute tolerance for floats (default 0: exact).

    Returns
    -------
    Mismatch or None

    Examples
    --------
    >>> compare(15, 15) is None, compare(15, 16).kind
    (True, 'value')
    >>> compare(0.3, 0.1 + 0.2, rtol=1e-9) is None
    True
    >>> compare([1.0, float("nan")], [1.0, float("nan")]) is None
    True
    >>> compare([1.0, 2.0], "12").kind
    'type'
    """
    if rtol < 0 or atol < 0:
        raise ConvMathError(f"rtol={rtol} and atol={atol} must be non-negative")
    if _is_int(expected) and _is_int(actual):
        return None if int(expected) == int(actual) else Mismatch("value", int(actual), int(expected))
    exp = _as_float_array(expected)
    if isinstance(exp, str):
        raise ConvMathError(f"expected={expected!r} must be a number or an array of numbers")
    kind = "number" if exp.ndim == 0 else "array"
    act = _as_float_array(actual)
    if isinstance(act, str):
        return Mismatch("type", act, kind)
    if act.shape != exp.shape:
        return Mismatch("shape", tuple(act.shape), tuple(exp.shape))
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(act, exp, rtol=rtol, atol=atol, equal_nan=True) | (act == exp)
    if close.all():
        return None
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0])
    if exp.ndim == 0:
        return Mismatch("value", _number(act), _number(exp))
    return Mismatch(
        "value", _number(act[first]), _number(exp[first]), first, int(bad.shape[0]), int(exp.size), tuple(exp.shape)
    )


def _number(value: Any) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


def fmt_value(value: Any, *, limit: int = 200) -> str:
    """Render a value compactly for a message (arrays on one line, cut at ``limit``).

    Parameters
    ----------
    value : Any
        A number, array, nested list or any other object.
    limit : int, optional
        Longest text returned; longer text ends in ``...`` (default 200).

    Returns
    -------
    str
        Whole floats without their ``.0``, arrays on one line.

    Examples
    --------
    The d2l cross-correlation result prints as integers on one line:

    >>> fmt_value(np.array([[19., 25.], [37., 43.]]))
    '[[19, 25], [37, 43]]'
    >>> fmt_value(2.5)
    '2.5'

    Text longer than ``limit`` is cut, the last 3 characters being ``...``;
    arrays of more than 60 numbers are summarised as numpy does:

    >>> fmt_value(list(range(20)), limit=20)
    '[0, 1, 2, 3, 4, 5...'
    >>> fmt_value(list(range(100)))
    '[0, 1, 2, ..., 97, 98, 99]'
    """
    if isinstance(value, np.ndarray) or (isinstance(value, (list, tuple)) and value and not isinstance(value[0], str)):
        arr = _as_float_array(value)
        if not isinstance(arr, str):
            text = np.array2string(
                arr,
                separator=", ",
                threshold=60,
                max_line_width=10_000,
                formatter={"float_kind": lambda v: str(_number(v)) if np.isfinite(v) else str(v)},
            )
            text = " ".join(text.split())
            return text if len(text) <= limit else text[: limit - 3] + "..."
    if isinstance(value, (float, np.floating)):
        return str(_number(value)) if np.isfinite(value) else str(float(value))
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(mismatch: Mismatch, name: str, *, locale: str = "en", reveal: bool = True) -> str:
    """The student-facing sentence for ``mismatch`` of the value called ``name``.

    Parameters
    ----------
    mismatch : Mismatch
        What differs (type, shape or value).
    name : str
        The name the student gave the value (a variable or a call).
    locale : str, optional
        ``"en"`` (default) or ``"zh"``; anything else falls back to English.
    reveal : bool, optional
        ``False`` leaves the expected *value* out (shapes are always shown).

    Returns
    -------
    str
        One sentence; a shape whose dimensions are the expected ones in
        another order, or with extra axes of length 1, says so.

    Examples
    --------
    >>> describe(Mismatch("value", 3, 4), "n_out")
    "'n_out' is 3, expected 4"
    >>> describe(Mismatch("value", 3, 4), "n_out", reveal=False)
    "'n_out' is 3, which is not correct"
    >>> describe(Mismatch("type", "str", "number"), "n_out", locale="zh")
    "'n_out' 应当是一个数，而不是 str"

    A (3, 2) result where (2, 3) was expected is a transposed answer:

    >>> describe(Mismatch("shape", (3, 2), (2, 3)), "Y")
    "'Y' does not have correct shape--got: (3, 2), expected: (2, 3) (the dimensions are in the wrong order)"
    """
    loc = locale if locale in ("en", "zh") else "en"
    if mismatch.kind == "type":
        what = _WHAT[loc].get(mismatch.expected, str(mismatch.expected))
        return MESSAGES["type"][loc].format(name=name, expected=what, got=mismatch.got)
    if mismatch.kind == "shape":
        text = MESSAGES["shape"][loc].format(name=name, got=mismatch.got, expected=mismatch.expected)
        got, exp = tuple(mismatch.got), tuple(mismatch.expected)
        if len(got) == len(exp) and got != exp and sorted(got) == sorted(exp):
            text += MESSAGES["shape_swapped"][loc]
        elif tuple(v for v in got if v != 1) == tuple(v for v in exp if v != 1):
            text += MESSAGES["shape_extra_axis"][loc]
        return text
    if mismatch.index is None:
        key = "scalar_value" if reveal else "scalar_value_hidden"
        return MESSAGES[key][loc].format(name=name, got=fmt_value(mismatch.got), expected=fmt_value(mismatch.expected))
    key = "array_value" if reveal else "array_value_hidden"
    return MESSAGES[key][loc].format(
        name=name,
        shape=mismatch.shape,
        count=mismatch.count,
        total=mismatch.total,
        index=mismatch.index,
        got=fmt_value(mismatch.got),
        expected=fmt_value(mismatch.expected),
    )
