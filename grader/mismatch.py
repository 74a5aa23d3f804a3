"""Refuse a batch that is clearly a mistake: the wrong assignment file or the wrong secret.

Graded against the wrong ``--assignment`` or ``--secret-file``, every
notebook of a class scores near zero, and the only trace is a line in each
student's feedback. Before anything is recorded, the batch looks at the
notebooks it is about to grade:

* a notebook whose metadata names another assignment disagrees with the
  *assignment*;
* a notebook of this assignment whose question prompts (locked cells with
  the student's numbers in them) mostly differ from those regenerated for the
  student its metadata names disagrees with the *secret* (or with another
  version of the assignment file).

When most judged notebooks disagree, :func:`find_mismatch` says which it
probably is; the batch stops unless told to accept it. Judging renders a
notebook, so a few notebooks (chosen by content hash, so the same batch
always looks at the same ones) are judged first, and all of them only when
those few point to a mismatch.

See :func:`verdict_text` for the messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from convmath.errors import ConvMathError

from .load import SubmissionError, load_notebook

if TYPE_CHECKING:
    from .grade import GradingContext

__all__ = ["SAMPLE", "MismatchError", "find_mismatch", "judge", "verdict_text"]

#: Notebooks judged before deciding whether to judge them all.
SAMPLE = 3


class MismatchError(ConvMathError):
    """Most notebooks of a batch disagree with the assignment or the secret; nothing was recorded."""


def judge(data: bytes, context: GradingContext) -> tuple[str, str] | None:
    """``("ok" | "assignment" | "secret", detail)`` for one notebook, or ``None`` when it cannot tell.

    Parameters
    ----------
    data
        The notebook's bytes.
    context
        The batch's assignment and secret.

    Examples
    --------
    A notebook generated for this assignment and secret is ``ok``; with
    another secret its prompts differ; unreadable bytes say nothing:

    >>> from grader.grade import GradingContext
    >>> from exercises.assignment import build_exercises
    >>> from grader.simulate import filled_notebook, notebook_bytes
    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      b"0123456789abcdef")
    >>> nb = notebook_bytes(filled_notebook(ctx.assignment, "ann", build_exercises(ctx.assignment, ctx.secret, "ann")))
    >>> judge(nb, ctx)[0], judge(nb, GradingContext(ctx.assignment_data, b"another-secret-0123"))[0], judge(b"x", ctx)
    ('ok', 'secret', None)
    """
    try:
        loaded = load_notebook(data, max_bytes=context.max_bytes)
    except SubmissionError:
        return None
    named = loaded.meta.get("assignment")
    if named and named != context.assignment.id:
        return "assignment", named
    student = loaded.meta_student
    if not student or loaded.meta.get("role", "student") != "student":
        return None
    from exercises.assignment import SAFE_ID, build_exercises
    from exercises.notebook import student_notebook

    if not SAFE_ID.fullmatch(student):
        return None
    expected = student_notebook(
        context.assignment, student, build_exercises(context.assignment, context.secret, student)
    )
    # the slot prompts carry each variant's numbers; setup and part prompts are alike for every secret
    prompts = {f"{slot.id}-prompt" for slot in context.assignment.slots}
    locked = {}
    for cell in expected["cells"]:
        if str(cell.get("id")) in prompts:
            locked[str(cell.get("id"))] = str(cell.get("source", "")).strip()
    present = [(cell.id, cell.source.strip()) for cell in loaded.cells if cell.id in locked]
    if not present:
        return None
    differ = sum(1 for cell_id, source in present if source != locked[cell_id])
    return ("secret" if differ * 2 > len(present) else "ok"), f"{differ} of {len(present)} question prompts differ"


def verdict_text(kind: str, count: int, judged: int, named: str, assignment_id: str) -> str:
    """The one-line message of a mismatch.

    Examples
    --------
    >>> verdict_text("assignment", 14, 15, "week3", "week4")
    "14 of 15 notebooks name assignment 'week3' in their metadata, not 'week4': is --assignment right?
    (--accept-mismatch grades them anyway)"
    """
    if kind == "assignment":
        return (
            f"{count} of {judged} notebooks name assignment {named!r} in their metadata, not {assignment_id!r}: "
            "is --assignment right? (--accept-mismatch grades them anyway)"
        )
    return (
        f"{count} of {judged} notebooks were generated from another secret (or another version of the "
        "assignment file): their prompts differ from the ones regenerated for the same students. "
        "Is --secret-file right? (--accept-mismatch grades them anyway)"
    )


def find_mismatch(
    notebooks: Sequence[tuple[str, Callable[[], bytes | None]]], context: GradingContext, *, sample: int = SAMPLE
) -> str | None:
    """Why this batch is probably graded against the wrong assignment or secret, or ``None``.

    Parameters
    ----------
    notebooks
        ``(content hash, read)`` per notebook to grade; ``read()`` returns
        its bytes (``None`` when it cannot be read).
    context
        The batch's assignment and secret.
    sample
        Notebooks judged first (the ones with the smallest content hashes);
        all are judged only when most of those disagree.

    Returns
    -------
    str or None
        The message for the instructor when more than half of the judged
        notebooks disagree, else ``None``.

    Examples
    --------
    Two week-3 notebooks given to a week-4 grading:

    >>> from grader.grade import GradingContext
    >>> import json
    >>> ctx = GradingContext({"id": "week4", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      b"0123456789abcdef")
    >>> nb = json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [],
    ...                  "metadata": {"convmath": {"assignment": "week3", "student": "s1"}}}).encode()
    >>> find_mismatch([("a1", lambda: nb), ("b2", lambda: b"not json")], ctx)
    "1 of 1 notebooks name assignment 'week3' in their metadata, not 'week4': is --assignment right?
    (--accept-mismatch grades them anyway)"
    """
    keyed = sorted(notebooks, key=lambda k: k[0])

    def tally(readers: Sequence[Callable[[], bytes | None]]) -> tuple[Counter[str], Counter[str], int]:
        kinds: Counter[str] = Counter()
        names: Counter[str] = Counter()
        for reader in readers:
            data = reader()
            try:
                verdict = judge(data, context) if data is not None else None
            except Exception:  # noqa: BLE001 - a doubt about one notebook never stops the batch
                verdict = None
            if verdict is None:
                continue
            kinds[verdict[0]] += 1
            if verdict[0] == "assignment":
                names[verdict[1]] += 1
        return kinds, names, sum(kinds.values())

    kinds, names, judged = tally([r for _, r in keyed[:sample]])
    if not judged or (kinds["assignment"] + kinds["secret"]) * 2 <= judged:
        return None
    if len(keyed) > sample:
        kinds, names, judged = tally([r for _, r in keyed])
    bad = kinds["assignment"] + kinds["secret"]
    if bad * 2 <= judged:
        return None
    if kinds["assignment"] >= kinds["secret"]:
        named = names.most_common(1)[0][0]
        return verdict_text("assignment", kinds["assignment"], judged, named, context.assignment.id)
    return verdict_text("secret", kinds["secret"], judged, "", context.assignment.id)
