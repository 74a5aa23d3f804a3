r"""Shared helpers of the exercise families: building parts, wrong answers, comparing values.

Families and the checks in :func:`exercises.families.accept` use these, so
that every family builds its exercises the same way. The names below are
stable (other family modules rely on them):

- :func:`bilingual` -- a ``{"en": ..., "zh": ...}`` mapping;
- :func:`check_options` -- refuse unknown family options;
- :func:`wrong_answers` -- evaluate catalogue misconceptions for a variant;
- :func:`make_part` and :func:`make_exercise` -- build the model objects;
- :func:`same_value` -- equality of two answers of one kind (ints, tuples,
  arrays, sympy expressions compared at sample points);
- :func:`parse_expression` -- our own expression strings back to sympy
  (trusted family code only; the grader has its own whitelist parser);
- :func:`sympy_symbols` -- the sympy symbols of an expression answer's domains;
- :func:`to_plain` -- an exercise as JSON-compatible plain data (stable);
- :func:`conv_size_working` -- the substituted output-size formula as code,
  LaTeX and value;
- :func:`size_question` -- a 1-D or square 2-D input and the question for its
  output size, in both locales;
- :func:`receptive_field_labels` -- the receptive-field misconceptions that
  apply to a stack.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from convmath.errors import ConvMathError
from convmath.misconceptions import CATALOGUE
from convmath.sizes import conv_output_size

from ..domains import DOMAINS, differs
from ..model import AnswerSpec, Exercise, Part, WrongAnswer

__all__ = [
    "bilingual",
    "check_options",
    "wrong_answers",
    "make_part",
    "make_exercise",
    "same_value",
    "parse_expression",
    "sympy_symbols",
    "to_plain",
    "conv_size_working",
    "ConvSizeWorking",
    "size_question",
    "receptive_field_labels",
    "DOMAINS",
]


def bilingual(en: str, zh: str) -> dict[str, str]:
    """A locale mapping with both locales.

    >>> bilingual("stride", "步幅")
    {'en': 'stride', 'zh': '步幅'}
    """
    return {"en": en, "zh": zh}


def check_options(family: str, options: Mapping[str, Any], allowed: Sequence[str] = ()) -> None:
    """Refuse options a family does not know.

    >>> check_options("conv_output_size", {"colour": "red"})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: option 'colour' is not allowed for family 'conv_output_size'; use none
    """
    for key in options:
        if key not in allowed:
            use = ", ".join(repr(a) for a in allowed) or "none"
            raise ConvMathError(f"option {key!r} is not allowed for family {family!r}; use {use}")


def sympy_symbols(symbols: Mapping[str, str]) -> dict[str, sympy.Symbol]:
    """The sympy symbol of each name, with the assumptions of its domain.

    >>> from convmath import n
    >>> sympy_symbols({"n": "positive_integer"})["n"] == n
    True
    """
    return {name: sympy.Symbol(name, **DOMAINS[domain]) for name, domain in symbols.items()}


def parse_expression(text: str, symbols: Mapping[str, str]) -> sympy.Expr:
    """Parse an expression string that a family wrote (never a student's).

    >>> parse_expression("floor((n + 2*p - k)/s) + 1", {"n": "positive_integer", "k": "positive_integer",
    ...                  "p": "nonnegative_integer", "s": "positive_integer"})
    floor((-k + n + 2*p)/s) + 1
    """
    return _parse_cached(text, tuple(sorted(symbols.items())))


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, symbols: tuple[tuple[str, str], ...]) -> sympy.Expr:
    local = {**sympy_symbols(dict(symbols)), "floor": sympy.floor, "ceiling": sympy.ceiling}
    return sympy.sympify(text, locals=local)


@functools.lru_cache(maxsize=4096)
def _expressions_equal(
    a: sympy.Basic,
    b: sympy.Basic,
    symbols: tuple[tuple[str, str], ...],
    bounds: tuple[tuple[str, tuple[Any, Any]], ...],
) -> bool:
    """Equal as answers: at every point of :func:`exercises.domains.sample_points` where ``b`` is defined."""
    if a == b:
        return True
    return differs(a, b, dict(symbols), dict(bounds)) is None and differs(b, a, dict(symbols), dict(bounds)) is None


def same_value(
    a: Any, b: Any, *, symbols: Mapping[str, str] | None = None, bounds: Mapping[str, tuple[Any, Any]] | None = None
) -> bool:
    """True when two answers are equal as answers of their kind.

    Ints and floats compare by value (``15 == 15.0``), tuples element-wise,
    arrays by shape and values, sympy expressions by value at the sample
    points of ``symbols`` within ``bounds`` (:mod:`exercises.domains`: the
    points and the decision rule the grader uses).

    >>> same_value(15, 15.0), same_value((3, 4), (3, 5)), same_value(np.ones(2), np.ones(3))
    (True, False, False)
    >>> from convmath import n
    >>> same_value(sympy.floor(n / 1), n, symbols={"n": "positive_integer"})
    True
    """
    if isinstance(a, sympy.Basic) or isinstance(b, sympy.Basic):
        return _expressions_equal(
            sympy.sympify(a),
            sympy.sympify(b),
            tuple(sorted((symbols or {}).items())),
            tuple(sorted((bounds or {}).items())),
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        if not isinstance(a, (tuple, list)) or not isinstance(b, (tuple, list)) or len(a) != len(b):
            return False
        return all(same_value(x, y, symbols=symbols, bounds=bounds) for x, y in zip(a, b))
    return bool(a == b)


def wrong_answers(
    expected: Any,
    candidates: Mapping[str, Callable[[], Any]],
    *,
    symbols: Mapping[str, str] | None = None,
    bounds: Mapping[str, tuple[Any, Any]] | None = None,
) -> tuple[WrongAnswer, ...] | None:
    """Evaluate the misconceptions that apply to a variant.

    Parameters
    ----------
    expected : object
        The right answer.
    candidates : mapping
        Catalogue label -> a thunk computing that misconception's answer
        (usually ``lambda: CATALOGUE[label].wrong(...)``).
    symbols : mapping, optional
        Domains of the symbols, for expression answers.
    bounds : mapping, optional
        Where the expression answer holds (see :class:`~exercises.model.AnswerSpec`).

    Returns
    -------
    tuple of WrongAnswer or None
        The wrong answers in the order given. A misconception whose formula is
        undefined here (it raises ``ConvMathError``) is left out; two that give
        the same value are both kept (the grader names both; :func:`generate`
        prefers variants where they differ). ``None`` when one coincides with the right
        answer: the diagnosis could not tell it from a right answer, so the
        variant must be drawn again.

    Examples
    --------
    >>> wrong_answers(8, {"forgot_plus_one": lambda: CATALOGUE["forgot_plus_one"].wrong(8, 3, padding=1)})
    (WrongAnswer(label='forgot_plus_one', value=7),)
    >>> wrong_answers(8, {"ignored_stride": lambda: 8}) is None
    True
    """
    out: list[WrongAnswer] = []
    for label, thunk in candidates.items():
        if label not in CATALOGUE:
            raise ConvMathError(f"label={label!r} is not in convmath.misconceptions.CATALOGUE")
        try:
            value = thunk()
        except ConvMathError:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if same_value(value, expected, symbols=symbols, bounds=bounds):
            return None
        # the same value as another misconception is kept: the grader then names both
        # (generate() prefers variants where they differ)
        out.append(WrongAnswer(label, value))
    return tuple(out)


def make_part(
    key: str,
    prompt: Mapping[str, str],
    answer: AnswerSpec,
    solution_code: str,
    wrongs: Sequence[WrongAnswer] = (),
    *,
    points: float = 1.0,
) -> Part:
    """A :class:`~exercises.model.Part` (``solution_code`` must define ``answer.name``)."""
    return Part(
        key=key,
        prompt=dict(prompt),
        answer=answer,
        points=points,
        wrong_answers=tuple(wrongs),
        solution_code=solution_code,
    )


def make_exercise(
    family: str,
    difficulty: int,
    params: Mapping[str, Any],
    prompt: Mapping[str, str],
    parts: Sequence[Part],
    solution: Mapping[str, Sequence[str]],
    *,
    setup_code: str = "",
) -> Exercise:
    """An :class:`~exercises.model.Exercise`; ``seed`` is filled in by ``generate``.

    ``misconceptions`` lists the labels of the parts' wrong answers, in order.
    """
    labels: list[str] = []
    for part in parts:
        for wrong in part.wrong_answers:
            if wrong.label not in labels:
                labels.append(wrong.label)
    return Exercise(
        family=family,
        difficulty=difficulty,
        seed=0,
        params=dict(params),
        prompt=dict(prompt),
        parts=tuple(parts),
        solution={locale: tuple(steps) for locale, steps in solution.items()},
        setup_code=setup_code,
        misconceptions=tuple(labels),
    )


def to_plain(value: Any) -> Any:
    """Plain JSON-compatible data for a model object, stable across runs.

    Dataclasses become dicts of their fields, tuples lists, sympy expressions
    their ``srepr``, arrays ``{"dtype", "shape", "data"}``.

    >>> to_plain(WrongAnswer("forgot_plus_one", 7))
    {'label': 'forgot_plus_one', 'value': 7}
    >>> import json
    >>> json.dumps(to_plain((1, sympy.Symbol("n"))))
    '[1, "Symbol(\\'n\\')"]'
    """
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"dtype": str(value.dtype), "shape": list(value.shape), "data": value.tolist()}
    if isinstance(value, sympy.Basic):
        return sympy.srepr(value)
    if isinstance(value, Fraction):  # points: a float when exact, else "4/3"
        return int(value) if value.denominator == 1 else float(value) if float(value) == value else str(value)
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


@dataclass(frozen=True)
class ConvSizeWorking:
    """The output-size formula with the numbers substituted."""

    code: str
    """Python expression, e.g. ``"(32 + 2*1 - 5) // 2 + 1"``."""
    tex: str
    """LaTeX of the substitution and the steps down to the value."""
    value: int
    """The output size."""


def conv_size_working(
    n: int, kernel_size: int, *, stride: int = 1, left: int = 0, right: int = 0, dilation: int = 1
) -> ConvSizeWorking:
    r"""Substitute numbers into :math:`\lfloor (n + p_l + p_r - d(k-1) - 1)/s \rfloor + 1`.

    The value comes from :func:`convmath.sizes.conv_output_size`; the code
    and the LaTeX show the substitution (``2*p`` for equal sides, the kernel
    term as ``k`` when ``d = 1``).

    >>> w = conv_size_working(32, 5, stride=2, left=1, right=1)
    >>> w.code, w.value
    ('(32 + 2*1 - 5) // 2 + 1', 15)
    >>> w.tex
    '\\left\\lfloor \\frac{32 + 2\\cdot 1 - 5}{2} \\right\\rfloor + 1 = \\lfloor 29/2 \\rfloor + 1 = 14 + 1 = 15'
    >>> conv_size_working(7, 3, dilation=2).code
    '(7 - 2*(3 - 1) - 1) // 1 + 1'
    """
    value = conv_output_size(n, kernel_size, stride=stride, padding=(left, right), dilation=dilation)
    if left == right:
        pad_code, pad_tex = (f" + 2*{left}", f" + 2\\cdot {left}") if left else ("", "")
    else:
        pad_code = pad_tex = f" + {left} + {right}"
    if dilation == 1:
        kern_code = kern_tex = f" - {kernel_size}"
    else:
        kern_code = f" - {dilation}*({kernel_size} - 1) - 1"
        kern_tex = f" - {dilation}\\cdot({kernel_size} - 1) - 1"
    numerator = n + left + right - dilation * (kernel_size - 1) - 1
    code = f"({n}{pad_code}{kern_code}) // {stride} + 1"
    if stride == 1:
        tex = f"{n}{pad_tex}{kern_tex} + 1 = {numerator} + 1 = {value}"
    else:
        tex = (
            f"\\left\\lfloor \\frac{{{n}{pad_tex}{kern_tex}}}{{{stride}}} \\right\\rfloor + 1"
            f" = \\lfloor {numerator}/{stride} \\rfloor + 1 = {numerator // stride} + 1 = {value}"
        )
    return ConvSizeWorking(code=code, tex=tex, value=value)


def size_question(
    ndim: int, n: int, *, noun: tuple[str, str] = ("an input", "输入"), channels: str | int = "C"
) -> tuple[str, str, str, str]:
    r"""An input of size ``n`` and the question for the output size: ``(input_en, input_zh, ask_en, ask_zh)``.

    A 1-D input is a sequence of length ``n`` (its shape with ``channels``
    shown), a 2-D one the square ``n x n`` ``noun`` (en, zh).

    >>> size_question(1, 20)[::2]
    ('a sequence of length 20 (input shape `(C, 20)`)', 'What is the length of the output?')
    >>> size_question(2, 8, noun=("a feature map", "特征图"))
    ('a feature map of size $8\\times 8$', '大小为 $8\\times 8$ 的特征图',
     'What is the height (= width) of the output?', '输出的高（= 宽）是多少？')
    """
    if ndim == 1:
        return (
            f"a sequence of length {n} (input shape `({channels}, {n})`)",
            f"长度为 {n} 的序列（输入形状 `({channels}, {n})`）",
            "What is the length of the output?",
            "输出的长度是多少？",
        )
    return (
        f"{noun[0]} of size ${n}\\times {n}$",
        f"大小为 ${n}\\times {n}$ 的{noun[1]}",
        "What is the height (= width) of the output?",
        "输出的高（= 宽）是多少？",
    )


def receptive_field_labels(*, strided: bool, dilated: bool) -> list[str]:
    """The receptive-field misconceptions that can apply to a stack, the most specific first.

    >>> receptive_field_labels(strided=False, dilated=False)
    ['rf_sum_of_kernels']
    >>> receptive_field_labels(strided=True, dilated=True)[:2]
    ['rf_ignored_dilation', 'rf_own_stride_included']
    """
    labels = ["rf_ignored_dilation"] if dilated else []
    labels += ["rf_own_stride_included", "rf_ignored_strides", "rf_is_effective_stride"] if strided else []
    return labels + ["rf_sum_of_kernels"]
