"""Question files: exercises that instructors write as data (TOML), not code.

:func:`load_question` reads a file into a :class:`Question`; its
:meth:`~Question.family` is an ordinary exercise family. Expressions are in
the safe language of :mod:`exercises.questions.lang`, texts are strict
templates (:mod:`exercises.questions.templates`). ``docs/authoring.md`` is
the reference.
"""

from __future__ import annotations

from .question import KINDS, Attempt, ParamSpec, PartSpec, Question, load_question, parse_question

__all__ = ["Question", "ParamSpec", "PartSpec", "Attempt", "KINDS", "load_question", "parse_question"]
