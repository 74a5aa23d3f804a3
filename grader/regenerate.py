"""Regenerate a student's exercises and compare the submitted notebook with them.

The grader never reads a seed, an expected value or a part list from the
notebook: it rebuilds the student's exercises from the secret, the
assignment and the student id (:func:`exercises.assignment.build_exercises`)
and renders the notebook the student was given. Comparing the submission
with that rendering finds tampering — edited ``convmath`` metadata (slot,
part, kind, name, student, assignment), edited locked cells (prompts and
setup code), an answer key handed in, another student's notebook — and
harmless accidents (moved, duplicated or deleted cells), reported as notes.

Tampering never raises a score: the answers are checked against the
regenerated exercises whatever the metadata says. The report tells the
instructor what to look at.

Examples
--------
>>> from grader.load import Cell, LoadedNotebook
>>> nb = LoadedNotebook("4.5", (), {"assignment": "other", "role": "key"}, ())
>>> for flag in metadata_flags(nb, "hw1"):
...     print(flag)
the notebook's metadata names assignment 'other', not 'hw1'
the notebook is an answer key (metadata role 'key'), not a student notebook
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from exercises.assignment import Assignment, Slot, build_exercises
from exercises.model import Exercise

from .load import LoadedNotebook
from .messages import CellPlaces, part_label

__all__ = ["Regenerated", "regenerate", "metadata_flags"]

_LOCKED_TAGS = ("convmath-setup", "convmath-prompt", "convmath-check")


@dataclass(frozen=True)
class Regenerated:
    """A student's exercises rebuilt in the grader, and the findings of the comparison."""

    exercises: tuple[tuple[Slot, Exercise], ...]
    """``(slot, exercise)`` per slot, in assignment order."""

    flags: tuple[str, ...]
    """Tampering: metadata or locked cells that disagree with the regeneration."""

    notes: tuple[str, ...]
    """Accidents: moved, duplicated or missing cells."""


def metadata_flags(loaded: LoadedNotebook, assignment_id: str) -> list[str]:
    """Flags from the notebook-level ``convmath`` metadata (the student is checked by
    :func:`grader.load.identify`).

    Examples
    --------
    A notebook without ``convmath`` metadata gets one flag; one written
    for ``hw1`` by the student generator gets none:

    >>> from grader.load import LoadedNotebook
    >>> metadata_flags(LoadedNotebook("4.5", (), {}, ()), "hw1")
    ['the notebook has no convmath metadata (was it generated for this assignment?)']
    >>> metadata_flags(LoadedNotebook("4.5", (), {"assignment": "hw1", "role": "student"}, ()), "hw1")
    []
    """
    flags = []
    meta = loaded.meta
    if not meta:
        flags.append("the notebook has no convmath metadata (was it generated for this assignment?)")
    if "assignment" in meta and meta["assignment"] != assignment_id:
        flags.append(f"the notebook's metadata names assignment {meta['assignment']!r}, not {assignment_id!r}")
    if meta.get("role", "student") != "student":
        flags.append(f"the notebook is an answer key (metadata role {meta['role']!r}), not a student notebook")
    return flags


def _compare_cells(
    loaded: LoadedNotebook,
    expected: Sequence[dict[str, object]],
    *,
    assignment_id: str,
    student: str,
) -> tuple[list[str], list[str]]:
    """Compare the submission's cells with the notebook the student was given.

    Parameters
    ----------
    loaded
        The submission.
    expected
        The cells of the regenerated student notebook (nbformat dicts).
    assignment_id, student
        What every answer cell's metadata must name.

    Returns
    -------
    (flags, notes)
        Tampering found, and accidents found.
    """
    flags: list[str] = []
    notes: list[str] = []
    want_answers = {}
    want_locked = {}
    for cell in expected:
        meta = cell.get("metadata") or {}
        cm = meta.get("convmath") if isinstance(meta, dict) else None
        if isinstance(cm, dict):
            want_answers[(cm["slot"], cm["part"])] = cm
        elif any(tag in (meta.get("tags") or ()) for tag in _LOCKED_TAGS):
            want_locked[str(cell.get("id"))] = str(cell.get("source", ""))

    numbers = {slot: i for i, slot in enumerate(dict.fromkeys(slot for slot, _ in want_answers), 1)}
    places = CellPlaces(loaded.cells, list(numbers))
    seen: Counter[tuple[str, str]] = Counter()
    named: Counter[tuple[str, str]] = Counter()
    order = []
    for cell in loaded.cells:
        cm = cell.convmath
        if cm is None:
            if cell.id in want_locked:
                if cell.source.strip() != want_locked[cell.id].strip():
                    flags.append(f"locked cell {cell.id!r} ({places.describe(cell.index + 1)}) was edited")
                seen[("locked", cell.id)] += 1
            continue
        key = (cm.get("slot", ""), cm.get("part", ""))
        where = f"answer cell {cell.index + 1}"
        if key not in want_answers:
            flags.append(f"{where} has metadata slot {key[0]!r} part {key[1]!r}, which this assignment does not have")
            continue
        want = want_answers[key]
        for field in ("kind", "name"):
            if field in cm and cm[field] != want[field]:
                flags.append(f"{where} ({key[0]}.{key[1]}) has metadata {field} {cm[field]!r}, not {want[field]!r}")
        for field, want_value in (("assignment", assignment_id), ("student", student)):
            if cm.get(field, want_value) != want_value:
                named[(field, cm[field])] += 1
        seen[key] += 1
        order.append(key)

    for (field, value), count in named.items():
        cells = "answer cell names" if count == 1 else f"{count} answer cells name"
        want_value = assignment_id if field == "assignment" else student
        flags.append(f"{cells} {field} {value!r} in their metadata, not {want_value!r}")
    edited = [f for f in flags if f.startswith("locked cell ")]
    if len(edited) > 3:
        ids = ", ".join(f.split("'")[1] for f in edited)
        flags = [f for f in flags if f not in edited]
        flags.insert(0, f"{len(edited)} locked cells differ from the notebook generated for {student!r}: {ids}")
    for key in want_answers:
        label = part_label(numbers[key[0]], key[1])
        if seen[key] == 0:
            notes.append(f"the answer cell of {label} is missing (deleted?); the answer is looked for anyway")
        elif seen[key] > 1:
            notes.append(f"the answer cell of {label} appears {seen[key]} times; the last one run counts")
    has_ids = any(cell.id for cell in loaded.cells)  # nbformat < 4.5 files have no cell ids
    for cell_id in want_locked if has_ids else ():
        if seen[("locked", cell_id)] == 0:
            notes.append(f"locked cell {cell_id!r} is missing")
    expected_order = [k for k in want_answers if seen[k]]
    if list(dict.fromkeys(order)) != expected_order:
        notes.append("answer cells were moved out of their original order; cells run in the order they appear")
    return flags, notes


def regenerate(
    loaded: LoadedNotebook,
    assignment: Assignment,
    secret: bytes,
    student: str,
    *,
    compare: bool = True,
) -> Regenerated:
    """Rebuild ``student``'s exercises and compare the submission with their notebook.

    Parameters
    ----------
    loaded
        The submission.
    assignment
        The parsed assignment.
    secret
        The course secret (stays in the grader process).
    student
        The identified student (from the file name or the metadata).
    compare
        Also render the student's notebook and compare cells (tamper report).

    Returns
    -------
    Regenerated

    Examples
    --------
    Alice's own notebook, filled in from the key, raises no flag; graded as
    Bob's it does (his prompt has other numbers, the answer cell names Alice):

    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> from grader.load import load_notebook
    >>> from grader.simulate import filled_notebook, notebook_bytes
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> secret = b"0123456789abcdef"
    >>> nb = filled_notebook(a, "alice", build_exercises(a, secret, "alice"))
    >>> loaded = load_notebook(notebook_bytes(nb))
    >>> regenerate(loaded, a, secret, "alice").flags
    ()
    >>> for flag in regenerate(loaded, a, secret, "bob").flags:
    ...     print(flag)
    locked cell 'q1-prompt' (the text of question 1) was edited
    answer cell names student 'alice' in their metadata, not 'bob'
    """
    exercises = tuple(build_exercises(assignment, secret, student))
    flags = metadata_flags(loaded, assignment.id)
    notes: list[str] = []
    if compare:
        from exercises.notebook import student_notebook

        expected = student_notebook(assignment, student, exercises)
        more_flags, notes = _compare_cells(loaded, expected["cells"], assignment_id=assignment.id, student=student)
        flags += more_flags
    return Regenerated(exercises=exercises, flags=tuple(flags), notes=tuple(notes))
