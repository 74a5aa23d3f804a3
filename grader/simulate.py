"""Simulated submissions: a student's notebook filled in from the key, with edits.

Used by ``convmath demo``, the end-to-end tests, the hostile corpus and the
benchmark: a *correct* submission is the student's own notebook with every
answer cell replaced by the key's solution; a *misconception* submission
replaces one answer by the value that misconception produces; anything else
(hostile code, broken cells) is an extra cell or a replaced answer.

Examples
--------
>>> from exercises.assignment import parse_assignment, build_exercises
>>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
>>> ex = build_exercises(a, b"0123456789abcdef", "alice")
>>> nb = filled_notebook(a, "alice", ex, extra_cells=[("q1-a-answer", "print('hi')")])
>>> code = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
>>> [source.split(" = ")[0] for source in code][-3:-1]   # the locked check cell is last
['out_size', "print('hi')"]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from exercises.assignment import Assignment, Slot
from exercises.model import Exercise, Part, WrongAnswer
from exercises.notebook import answer_code, solution_source, student_notebook

__all__ = ["filled_notebook", "wrong_answer_source", "notebook_bytes", "answer_parts"]


def answer_parts(exercises: Sequence[tuple[Slot, Exercise]]) -> list[tuple[Slot, Part]]:
    """Every ``(slot, part)`` of a student's exercises, in notebook order.

    Examples
    --------
    A ``conv_output_size`` slot asks a single part, ``a``:

    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> [(slot.id, part.key) for slot, part in answer_parts(build_exercises(a, b"0123456789abcdef", "alice"))]
    [('q1', 'a')]
    """
    return [(slot, part) for slot, exercise in exercises for part in exercise.parts]


def wrong_answer_source(part: Part, wrong: WrongAnswer) -> str:
    """The answer-cell code of a student holding ``wrong``'s misconception.

    Examples
    --------
    The correct answer is 15; padding only one side gives 14, which the
    student writes into the answer variable:

    >>> from exercises.model import AnswerSpec, Part, WrongAnswer
    >>> part = Part("a", {"en": ""}, AnswerSpec("integer", "out_size", 15), 1.0)
    >>> wrong_answer_source(part, WrongAnswer("padding_once", 14))
    'out_size = 14'
    """
    return answer_code(part.answer, wrong.value)


def filled_notebook(
    assignment: Assignment,
    student_id: str,
    exercises: Sequence[tuple[Slot, Exercise]],
    *,
    answers: Mapping[tuple[str, str], str] | None = None,
    extra_cells: Sequence[tuple[str | None, str]] = (),
) -> dict[str, Any]:
    """The student's notebook with its answer cells filled in.

    Parameters
    ----------
    assignment, student_id, exercises
        As for :func:`exercises.notebook.student_notebook`.
    answers
        ``(slot id, part key) -> source`` replacing the key's solution of
        that part (``None`` source keeps the stub).
    extra_cells
        ``(cell id, source)``: a code cell inserted after the cell with that
        id (``None``: at the end), in order.

    Returns
    -------
    dict
        An nbformat 4.5 notebook (plain dict).

    Examples
    --------
    Replacing the key's answer of part ``q1.a`` by ``out_size = -1``:

    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> ex = build_exercises(a, b"0123456789abcdef", "alice")
    >>> nb = filled_notebook(a, "alice", ex, answers={("q1", "a"): "out_size = -1"})
    >>> [c["source"] for c in nb["cells"] if "convmath" in c["metadata"]]
    ['out_size = -1']
    """
    answers = dict(answers or {})
    parts = {(slot.id, part.key): part for slot, part in answer_parts(exercises)}
    nb = json.loads(json.dumps(student_notebook(assignment, student_id, exercises)))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("convmath")
        if meta is None:
            continue
        key = (meta["slot"], meta["part"])
        if key in answers:
            if answers[key] is not None:
                cell["source"] = answers[key]
        else:
            cell["source"] = solution_source(parts[key])
    for number, (after, source) in enumerate(extra_cells):
        cell = {
            "cell_type": "code",
            "execution_count": None,
            "id": f"extra-{number}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        ids = [c.get("id") for c in nb["cells"]]
        nb["cells"].insert(ids.index(after) + 1 if after in ids else len(ids), cell)
    return nb


def notebook_bytes(nb: Mapping[str, Any]) -> bytes:
    """``nb`` serialised the way Jupyter writes it (UTF-8 JSON, indent 1).

    Examples
    --------
    Keys sorted, one space of indent, non-ASCII text kept as UTF-8 (3 bytes per character here):

    >>> notebook_bytes({"nbformat": 4, "cells": ["卷积"]})
    b'{\\n "cells": [\\n  "\\xe5\\x8d\\xb7\\xe7\\xa7\\xaf"\\n ],\\n "nbformat": 4\\n}\\n'
    """
    return (json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
