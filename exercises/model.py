"""The exercise model: what a generated variant is, and what its answers are.

These types are the contract between the exercise families (which build
them), the renderers (which turn them into notebooks, Markdown and LaTeX) and
the grader (which regenerates them from the seed and checks answers against
them). They are frozen dataclasses holding plain data; nothing here computes.

A variant is regenerated, never read back from a notebook: the grader calls
the family again with the same seed and gets an equal :class:`Exercise`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

__all__ = ["AnswerKind", "AnswerSpec", "WrongAnswer", "Part", "Exercise", "LOCALES", "Points", "as_points"]

#: Locales every prompt, solution and feedback text exists in.
LOCALES: tuple[str, ...] = ("en", "zh")

AnswerKind = Literal["integer", "shape", "array", "expression", "function", "choice"]


class Points(Fraction):
    """An exact number of points (a :class:`fractions.Fraction`) that formats like a float.

    Totals are exact sums (three parts of 4/3 make 4, not 4.000000000000001);
    ``f"{p:g}"`` and ``float(p)`` work as for a float.

    Examples
    --------
    >>> p = Points(4, 3)
    >>> p * 3 == 4, f"{p:.2f}", float(p + p + p)
    (True, '1.33', 4.0)
    """

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return format(float(self), spec)


def as_points(value: Any) -> Points:
    """Points from an int, a Fraction, a decimal string or a float (read as the decimal it prints as).

    Examples
    --------
    >>> as_points(2), as_points(1.5), as_points("4/3"), as_points(0.1) == Fraction(1, 10)
    (Points(2, 1), Points(3, 2), Points(4, 3), True)
    >>> as_points(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: points=nan must be a finite number
    """
    if isinstance(value, Points):
        return value
    if isinstance(value, bool):
        raise ValueError(f"points={value!r} must be a number, not a bool")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"points={value!r} must be a finite number")
        value = repr(value)
    return Points(Fraction(value))


@dataclass(frozen=True)
class AnswerSpec:
    """What the student must define, and how it is checked."""

    kind: AnswerKind
    """How the answer is checked: ``integer`` (exact int), ``shape`` (tuple of
    ints), ``array`` (numbers compared with ``rtol``/``atol``), ``expression``
    (a string parsed by the grader's whitelist into sympy), ``function``
    (property-tested against ``reference``) or ``choice`` (one of ``choices``)."""

    name: str
    """The variable or function name the student's code defines."""

    expected: Any = None
    """The reference answer: ``int``, ``tuple[int, ...]``, ``numpy.ndarray``,
    a sympy expression, or the key of the right choice. ``None`` for functions
    (their reference is ``reference``)."""

    rtol: float = 0.0
    """Relative tolerance for ``array`` answers (written where it is used)."""

    atol: float = 0.0
    """Absolute tolerance for ``array`` answers."""

    symbols: Mapping[str, str] = field(default_factory=dict)
    """For ``expression`` answers: symbol name -> domain, one of
    ``"positive_integer"``, ``"nonnegative_integer"``, ``"positive_real"``,
    ``"real"``. Only these names may appear in the student's expression."""

    bounds: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    """For ``expression`` answers: where the prompt says the answer holds, as
    symbol -> ``(low, high)`` inclusive (``None``: open), e.g. ``{"t": (3, None)}``
    for "for t >= 3". The answer is compared only there (see :mod:`exercises.domains`)."""

    signature: str = ""
    """For ``function`` answers: the signature shown to the student, e.g.
    ``"corr2d(X, K)"``."""

    reference: str = ""
    """For ``function`` answers: ``"module:function"`` of the reference
    implementation, e.g. ``"convmath.numeric:corr2d"``; runs only in the
    grader process."""

    config: Mapping[str, Any] = field(default_factory=dict)
    """For ``function`` answers: the configurations the function must support
    (e.g. ``{"channels": 1, "padding": "valid"}``), read by the function check
    and by :mod:`convmath.testing`."""

    choices: tuple[str, ...] = ()
    """For ``choice`` answers: the allowed keys, in display order."""

    option_values: Mapping[str, Any] = field(default_factory=dict)
    """For ``choice`` answers whose options stand for values (kernels that give a
    result): key -> the value the option gives. Exactly one option's value may
    pass the comparison of an ``array`` answer (``rtol``/``atol``) with the right
    option's value; :mod:`exercises.selftest` checks it."""

    forbidden_imports: tuple[str, ...] = ()
    """Modules the student may not import for this part (implement-a-function
    exercises forbid e.g. ``convmath``, ``scipy.signal``, ``torch``)."""


@dataclass(frozen=True)
class WrongAnswer:
    """The answer one misconception produces for this variant."""

    label: str
    """Key into :data:`convmath.misconceptions.CATALOGUE`."""

    value: Any
    """What a student holding that misconception answers (same kind as the
    part's expected value)."""


@dataclass(frozen=True)
class Part:
    """One answer the student gives."""

    key: str
    """Part id within the exercise: ``"a"``, ``"b"``, ..."""

    prompt: Mapping[str, str]
    """Locale -> Markdown (with LaTeX) asking for this part."""

    answer: AnswerSpec
    """What is defined and how it is checked."""

    points: Points
    """Points this part is worth, exact (an int, float or Fraction given is converted, see :func:`as_points`)."""

    wrong_answers: tuple[WrongAnswer, ...] = ()
    """Answers of the misconceptions that apply, each different from the right
    answer (a variant where two coincide is redrawn)."""

    solution_code: str = ""
    """Python source that defines ``answer.name`` correctly; it replaces the
    stub in the answer key notebook."""

    carry_forward: Mapping[str, Any] = field(default_factory=dict)
    """Error carried forward: how this part follows from earlier ones, for
    checking it against what the student's *own* earlier answers imply.
    ``{"from": "earlier rows", "compute": "module:function", "args": {...}}``:
    ``compute(answers, target=part key, **args)``, with ``answers`` the
    student's answers by part key, gives the value this part should hold
    given those answers (see :func:`grader.checks.check_carried`; the slot's
    ``carry_forward`` sets the credit). Empty: checked against the key only."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", as_points(self.points))


@dataclass(frozen=True)
class Exercise:
    """One variant of an exercise family, with its answers and worked solution."""

    family: str
    """Family name, e.g. ``"conv_output_size"``."""

    difficulty: int
    """Difficulty level, 1 (easiest) upwards."""

    seed: int
    """The variant seed the family drew from (see ``exercises.seeding``)."""

    params: Mapping[str, Any]
    """The drawn parameters (plain data: ints, strings, lists), for the key."""

    prompt: Mapping[str, str]
    """Locale -> Markdown (with LaTeX) stating the exercise."""

    parts: tuple[Part, ...]
    """The answers asked for, in order."""

    solution: Mapping[str, tuple[str, ...]]
    """Locale -> the worked solution, one Markdown step per entry."""

    setup_code: str = ""
    """Python source given to the student before the answer cells (e.g. the
    matrices to correlate); locked in the notebook."""

    misconceptions: tuple[str, ...] = ()
    """Labels of the misconceptions this variant can diagnose."""

    def _repr_markdown_(self) -> str:
        """Jupyter: the preview ``convmath preview`` prints (prompt, parts, solution, misconceptions)."""
        from .cli.preview import render_preview

        return render_preview(self)

    @property
    def points(self) -> Points:
        """Total points of the parts, exact."""
        return Points(sum((part.points for part in self.parts), Fraction(0)))
