"""Manual overrides: points an instructor sets for one part of one student, with who, when and why.

An override belongs to ``(assignment, student, part)``, not to a submission
row, so it survives grading the notebook again (``--force``, a new grader
version) and a resubmission; it is cleared only on purpose. It is applied
whenever the gradebook's current results are read (:meth:`Gradebook.current
<grader.gradebook.Gradebook.current>`), so every export shows it: the part's
points and message, the total, and :attr:`SubmissionResult.overrides
<grader.results.SubmissionResult.overrides>` (the CSV's ``overrides`` column,
a section of ``feedback.md``, the Gradescope output, ``grades.json``).

Examples
--------
>>> from grader.results import PartOutcome, SubmissionResult
>>> r = SubmissionResult("s1.ipynb", "h", "s1", "file name", "w1", "graded", 0.0, 2.0,
...                      parts=(PartOutcome("q1", "a", "n", 0.0, 2.0, "incorrect", "wrong"),))
>>> o = Override("w1", "s1", "q1.a", 2.0, 2.0, "answer right, cell order wrong", "lee", "2026-01-05T10:00:00Z")
>>> fixed = apply_overrides(r, [o])
>>> fixed.score, fixed.parts[0].score, fixed.overrides[0]
(2.0, 2.0, 'q1.a: 0 → 2 points, set by lee at 2026-01-05T10:00:00Z: answer right, cell order wrong')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from .results import PartOutcome, SubmissionResult

__all__ = ["Override", "apply_overrides", "describe"]


@dataclass(frozen=True)
class Override:
    """Points set by hand for one part of one student's current submission."""

    assignment: str
    """Assignment id."""

    student: str
    """Student id."""

    part: str
    """The part's column, ``slot.part`` (``q1.a``)."""

    points: float | None
    """Points given (``None``: a clearing, which ends the previous override)."""

    max_points: float | None
    """The part's maximum when the override was set (``None`` if unknown)."""

    reason: str
    """Why (required when setting)."""

    set_by: str
    """Who set it."""

    set_at: str
    """When (UTC, ISO 8601)."""


def _pts(value: float) -> str:
    from .export import fmt_points  # the one way points are shown (export imports this module's users)

    return fmt_points(value)


def describe(override: Override, old: float | None = None) -> str:
    """One line saying what an override does, for exports and listings.

    Examples
    --------
    >>> describe(Override("w1", "s1", "q2.b", 1.5, 3.0, "partial credit", "lee", "2026-01-05T10:00:00Z"))
    'q2.b: 1.5 points, set by lee at 2026-01-05T10:00:00Z: partial credit'
    """
    change = f"{_pts(old)} → {_pts(override.points or 0)}" if old is not None else _pts(override.points or 0)
    return f"{override.part}: {change} points, set by {override.set_by} at {override.set_at}: {override.reason}"


def apply_overrides(result: SubmissionResult, overrides: Iterable[Override]) -> SubmissionResult:
    """``result`` with the student's overrides in force: part points replaced, total recomputed, marked.

    A part the result lacks (a notebook that could not be run has no parts)
    is added with the override's points and maximum.

    Parameters
    ----------
    result
        A student's current result.
    overrides
        The overrides in force for this student and assignment.

    Returns
    -------
    SubmissionResult
        Unchanged when there is nothing to apply.

    Examples
    --------
    A refused notebook given 1 point for ``q1.a`` by hand:

    >>> from grader.results import error_result
    >>> r = error_result("s2.ipynb", "h", assignment="w1", max_score=4, message="not JSON", student="s2")
    >>> o = Override("w1", "s2", "q1.a", 1.0, 2.0, "emailed a working copy", "lee", "2026-01-05T10:00:00Z")
    >>> fixed = apply_overrides(r, [o])
    >>> fixed.score, [(p.column, p.score, p.max_score, p.status) for p in fixed.parts]
    (1.0, [('q1.a', 1.0, 2.0, 'override')])
    """
    active = {o.part: o for o in overrides if o.points is not None and o.student == result.student}
    if not active:
        return result
    parts: list[PartOutcome] = []
    lines: list[str] = []
    for part in result.parts:
        o = active.pop(part.column, None)
        if o is None:
            parts.append(part)
            continue
        lines.append(describe(o, part.score))
        note = f"points set by the instructor: {o.reason}"
        parts.append(
            dataclasses.replace(
                part, score=float(o.points or 0), message=f"{part.message} ({note})" if part.message else note
            )
        )
    for column, o in sorted(active.items()):
        slot, _, key = column.partition(".")
        lines.append(describe(o))
        parts.append(
            PartOutcome(
                slot,
                key,
                "",
                float(o.points or 0),
                float(o.max_points or o.points or 0),
                "override",
                f"points set by the instructor: {o.reason}",
            )
        )
    score = round(sum(p.score for p in parts), 6)
    return dataclasses.replace(result, parts=tuple(parts), score=score, overrides=(*result.overrides, *lines))
