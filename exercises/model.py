"""The exercise model: what a generated variant is, and what its answers are.

These types are the contract between the exercise families (which build
them), the renderers (which turn them into notebooks, Markdown and LaTeX) and
the grader (which regenerates them from the seed and checks answers against
them). They are frozen dataclasses holding plain data; nothing here computes.

A variant is regenerated, never read back from a notebook: the grader calls
the family again with the same seed and gets an equal :class:`Exercise`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["AnswerKind", "AnswerSpec", "WrongAnswer", "Part", "Exercise", "LOCALES"]

#: Locales every prompt, solution and feedback text exists in.
LOCALES: tuple[str, ...] = ("en", "zh")

AnswerKind = Literal["integer", "shape", "array", "expression", "function", "choice"]


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

    points: float
    """Points this part is worth."""

    wrong_answers: tuple[WrongAnswer, ...] = ()
    """Answers of the misconceptions that apply, each different from the right
    answer (a variant where two coincide is redrawn)."""

    solution_code: str = ""
    """Python source that defines ``answer.name`` correctly; it replaces the
    stub in the answer key notebook."""


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
    def points(self) -> float:
        """Total points of the parts."""
        return float(sum(part.points for part in self.parts))
