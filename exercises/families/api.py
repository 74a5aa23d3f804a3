"""What a course needs to write its own families in Python, in one public module.

Two ways to write a family (``docs/authoring.md`` walks through both):

- one function ``draw(rng, difficulty, options) -> Exercise | None``, registered with
  :func:`register` and built with :func:`make_part`, :func:`make_exercise`,
  :func:`bilingual` and :func:`wrong_answers`;
- three steps, ``draw -> solve -> render``, with the texts as templates in a TOML file
  per family, registered with :func:`staged` (answers are :class:`Answer`, the keys
  of a variant a :class:`Solved`).

A course's own mistakes join the catalogue with :func:`register_misconception`;
:func:`exercises.testing.check_family` runs the contract on a family.

Examples
--------
>>> from exercises.families import api
>>> sorted(api.__all__)[:4]
['Answer', 'AnswerSpec', 'Exercise', 'Family']
>>> api.bilingual("Define `down`.", "请赋给变量 `down`。")["zh"]
'请赋给变量 `down`。'
"""

from __future__ import annotations

from ..model import AnswerSpec, Exercise, Part, WrongAnswer
from . import Family, register, register_misconception
from ._common import bilingual, make_exercise, make_part, wrong_answers
from ._staged import Answer, Solved, staged

__all__ = [
    "Answer",
    "AnswerSpec",
    "Exercise",
    "Family",
    "Part",
    "Solved",
    "WrongAnswer",
    "bilingual",
    "make_exercise",
    "make_part",
    "register",
    "register_misconception",
    "staged",
    "wrong_answers",
]
