"""What a graded class got wrong, computed from its results: plain functions, plain data.

Every function here takes the students' current results (as
:meth:`grader.gradebook.Gradebook.current` returns them) and returns frozen
dataclasses of numbers and strings; nothing is rendered, nothing is read from
disk. :mod:`grader.report.render` turns them into a page.

Definitions
-----------
*Submitted* students are those with a ``graded`` or ``error`` result (an
``error`` is a submission refused with a reason: it scores zero and counts in
the mean); ``failed`` results (the grader's own failure) have no grade yet and
are counted apart; roster students with no result are *absent*. A part's
*share correct* is the share of graded students whose part status is
``correct``. Its *discrimination index* is the upper–lower index: rank the
graded students by total score, take the top and bottom 27 % (at least one
student each), and subtract the lower group's mean part score (as a fraction
of the part's points) from the upper group's. It runs from -1 to 1; near 0 the
part does not separate strong from weak students; below 0 the weak do better
on it, which usually means a flawed question.

Examples
--------
>>> from grader.results import SubmissionResult, PartOutcome
>>> def sub(student, a, b, label=None):
...     parts = (PartOutcome("q1", "a", "n", a, 2.0, "correct" if a == 2 else "incorrect", "", label),
...              PartOutcome("q1", "b", "m", b, 1.0, "correct" if b == 1 else "incorrect", ""))
...     return SubmissionResult(f"{student}.ipynb", "h", student, "file name", "hw", "graded", a + b, 3.0, parts)
>>> results = [sub("s1", 2, 1), sub("s2", 0, 1, "padding_once"), sub("s3", 0, 0, "padding_once"), sub("s4", 2, 0)]
>>> summary = class_summary(results, roster=["s1", "s2", "s3", "s4", "s5"])
>>> (summary.graded, summary.absent, summary.mean, summary.median)
(4, 1, 1.5, 1.5)
>>> weakest = part_stats(results)[0]
>>> (weakest.column, weakest.mean_fraction, weakest.share_correct, weakest.misconceptions)
('q1.a', 0.5, 0.5, (('padding_once', 2),))
>>> misconception_ranking(results)
(('padding_once', 2, ('q1.a',)),)
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..results import SubmissionResult

__all__ = [
    "ClassSummary",
    "PartStats",
    "Flagged",
    "class_summary",
    "part_stats",
    "misconception_ranking",
    "flagged_submissions",
    "discrimination_index",
    "histogram",
    "UPPER_LOWER_SHARE",
]

#: Share of the class in each of the upper and lower groups of the discrimination index.
UPPER_LOWER_SHARE = 0.27


@dataclass(frozen=True)
class ClassSummary:
    """The class at a glance."""

    roster: int
    """Students on the roster (or, without a roster, students with a result)."""

    graded: int
    """Students whose current submission was graded (status ``graded``)."""

    refused: int
    """Students whose current submission was refused with a reason (``error``: zero points)."""

    failed: int
    """Students whose current submission the grader failed on (no grade yet)."""

    absent: int
    """Roster students with no submission."""

    flagged: int
    """Submitted students with at least one integrity flag."""

    max_score: float
    """Points the assignment is worth."""

    mean: float | None
    """Mean score over submitted students (graded and refused); ``None`` when there are none."""

    median: float | None
    """Median score over the same students."""

    scores: tuple[float, ...]
    """Those students' scores, ascending."""


@dataclass(frozen=True)
class PartStats:
    """How the class did on one part."""

    column: str
    """``slot.part``, as in ``grades.csv``."""

    slot: str
    """Slot (question) id."""

    part: str
    """Part key."""

    name: str
    """The answer's variable or function name."""

    max_score: float
    """Points the part is worth."""

    answered: int
    """Graded students who have a result for this part."""

    mean_score: float
    """Mean points earned."""

    mean_fraction: float
    """Mean points earned as a fraction of the part's points (0 to 1)."""

    share_correct: float
    """Share of students whose answer is fully correct (0 to 1)."""

    discrimination: float | None
    """Upper–lower 27 % discrimination index; ``None`` with fewer than two students."""

    misconceptions: tuple[tuple[str, int], ...]
    """``(label, students)`` of the diagnosed misconceptions, most frequent first."""

    examples: tuple[tuple[str, int], ...]
    """For function parts: ``(smallest failing call, students)``, most frequent first."""


@dataclass(frozen=True)
class Flagged:
    """A submitted student whose submission carries integrity flags."""

    student: str
    """Student id (as recorded)."""

    source: str
    """The submitted file's name."""

    flags: tuple[str, ...]
    """The reasons."""


def _submitted(results: Iterable[SubmissionResult]) -> list[SubmissionResult]:
    return [r for r in results if r.status in ("graded", "error")]


def class_summary(results: Sequence[SubmissionResult], *, roster: Sequence[str] | None = None) -> ClassSummary:
    """Counts, mean, median and scores of a graded class.

    Parameters
    ----------
    results : sequence of SubmissionResult
        Each student's current result.
    roster : sequence of str, optional
        Every student id of the class; students without a result are absent.
        Without it nobody is absent.

    Returns
    -------
    ClassSummary

    Examples
    --------
    >>> from grader.results import SubmissionResult, error_result
    >>> ok = SubmissionResult("a.ipynb", "h", "a", "file name", "hw", "graded", 3.0, 4.0, flags=("copied",))
    >>> bad = error_result("b.ipynb", "h", assignment="hw", max_score=4.0, message="not JSON", student="b")
    >>> s = class_summary([ok, bad], roster=["a", "b", "c"])
    >>> (s.roster, s.graded, s.refused, s.absent, s.flagged, s.mean, s.scores)
    (3, 1, 1, 1, 1, 1.5, (0.0, 3.0))
    """
    students = {r.student for r in results if r.student is not None}
    submitted = _submitted(results)
    scores = tuple(sorted(float(r.score) for r in submitted))
    max_score = max((float(r.max_score) for r in results), default=0.0)
    return ClassSummary(
        roster=len(set(roster)) if roster is not None else len(students),
        graded=sum(r.status == "graded" for r in results),
        refused=sum(r.status == "error" for r in results),
        failed=sum(r.status == "failed" for r in results),
        absent=len(set(roster) - students) if roster is not None else 0,
        flagged=sum(bool(r.flags) for r in submitted),
        max_score=max_score,
        mean=statistics.fmean(scores) if scores else None,
        median=float(statistics.median(scores)) if scores else None,
        scores=scores,
    )


def discrimination_index(totals: Sequence[float], part_fractions: Sequence[float]) -> float | None:
    """Upper–lower discrimination index of one part.

    Parameters
    ----------
    totals : sequence of float
        Each student's total score.
    part_fractions : sequence of float
        The same students' scores on the part, as fractions of its points.

    Returns
    -------
    float or None
        Mean part fraction of the top 27 % by total minus that of the bottom
        27 % (each group at least one student; ties broken by position, so the
        result is deterministic); ``None`` with fewer than two students.

    Examples
    --------
    >>> discrimination_index([10, 8, 3, 1], [1, 1, 0, 0])     # the strong get it right, the weak do not
    1.0
    >>> discrimination_index([10, 8, 3, 1], [0, 1, 1, 0])     # unrelated to overall strength
    0.0
    >>> discrimination_index([5], [1]) is None
    True
    """
    if len(totals) != len(part_fractions):
        raise ValueError("totals and part_fractions must have the same length")
    if len(totals) < 2:
        return None
    group = max(1, round(UPPER_LOWER_SHARE * len(totals)))
    order = sorted(range(len(totals)), key=lambda i: (totals[i], -i))
    lower, upper = order[:group], order[-group:]
    value = statistics.fmean(part_fractions[i] for i in upper) - statistics.fmean(part_fractions[i] for i in lower)
    return round(value, 12) + 0.0  # + 0.0: no -0.0


def part_stats(results: Sequence[SubmissionResult]) -> list[PartStats]:
    """Per-part statistics of the graded students, weakest part first.

    Parameters
    ----------
    results : sequence of SubmissionResult
        Each student's current result; only ``graded`` ones have parts.

    Returns
    -------
    list of PartStats
        Sorted by mean fraction of the points earned (ascending), then by
        column in assignment order.

    Examples
    --------
    >>> from grader.results import SubmissionResult, PartOutcome
    >>> p = PartOutcome("q2", "a", "corr2d", 0.0, 4.0, "incorrect", "", "kernel_flipped", "corr2d(X=[[0]], K=[[1]])")
    >>> r = SubmissionResult("s.ipynb", "h", "s", "file name", "hw", "graded", 0.0, 4.0, (p,))
    >>> stats = part_stats([r])[0]
    >>> (stats.column, stats.share_correct, stats.discrimination, stats.examples)
    ('q2.a', 0.0, None, (('corr2d(X=[[0]], K=[[1]])', 1),))
    """
    graded = [r for r in results if r.status == "graded"]
    by_column: dict[str, list[tuple[float, object]]] = defaultdict(list)
    order: dict[str, int] = {}
    for r in graded:
        for part in r.parts:
            order.setdefault(part.column, len(order))
            by_column[part.column].append((float(r.score), part))
    stats = []
    for column, rows in by_column.items():
        parts = [p for _, p in rows]
        first = parts[0]
        max_score = max(float(p.max_score) for p in parts)
        fractions = [float(p.score) / float(p.max_score) if p.max_score else 0.0 for p in parts]
        labels = Counter(p.misconception for p in parts if p.misconception)
        examples = Counter(p.example for p in parts if getattr(p, "example", None))
        stats.append(
            PartStats(
                column=column,
                slot=first.slot,
                part=first.part,
                name=first.name,
                max_score=max_score,
                answered=len(parts),
                mean_score=statistics.fmean(float(p.score) for p in parts),
                mean_fraction=statistics.fmean(fractions),
                share_correct=sum(p.status == "correct" for p in parts) / len(parts),
                discrimination=discrimination_index([t for t, _ in rows], fractions),
                misconceptions=_ranked(labels),
                examples=_ranked(examples),
            )
        )
    return sorted(stats, key=lambda s: (round(s.mean_fraction, 12), order[s.column]))


def _ranked(counts: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def misconception_ranking(results: Sequence[SubmissionResult]) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """The mistakes of the whole assignment, ranked by how many students made them.

    Parameters
    ----------
    results : sequence of SubmissionResult
        Each student's current result.

    Returns
    -------
    tuple of (label, students, columns)
        ``students`` counts each student once per label, however many parts
        show it; ``columns`` lists the parts where it was diagnosed.

    Examples
    --------
    >>> from grader.results import SubmissionResult, PartOutcome
    >>> def sub(student, *labels):
    ...     parts = tuple(PartOutcome("q1", k, "x", 0.0, 1.0, "incorrect", "", lab) for k, lab in zip("ab", labels))
    ...     return SubmissionResult("f", "h", student, "file name", "hw", "graded", 0.0, 2.0, parts)
    >>> misconception_ranking([sub("s1", "forgot_bias", "forgot_bias"), sub("s2", "forgot_bias", "padding_once")])
    (('forgot_bias', 2, ('q1.a', 'q1.b')), ('padding_once', 1, ('q1.b',)))
    """
    students: dict[str, set[str]] = defaultdict(set)
    columns: dict[str, dict[str, None]] = defaultdict(dict)
    for r in results:
        if r.status != "graded":
            continue
        for part in r.parts:
            if part.misconception:
                students[part.misconception].add(r.student or r.source)
                columns[part.misconception][part.column] = None
    ranked = sorted(students, key=lambda label: (-len(students[label]), label))
    return tuple((label, len(students[label]), tuple(columns[label])) for label in ranked)


def flagged_submissions(results: Sequence[SubmissionResult]) -> list[Flagged]:
    """Submitted students whose submission carries integrity flags, by student id.

    Examples
    --------
    >>> from grader.results import SubmissionResult
    >>> r = SubmissionResult("s5.ipynb", "h", "s5", "file name", "hw", "graded", 3.0, 3.0, flags=("answer key",))
    >>> flagged_submissions([r])
    [Flagged(student='s5', source='s5.ipynb', flags=('answer key',))]
    """
    rows = [Flagged(r.student or "", r.source, tuple(r.flags)) for r in _submitted(results) if r.flags]
    return sorted(rows, key=lambda f: (f.student, f.source))


def histogram(scores: Sequence[float], max_score: float, *, bins: int = 10) -> list[tuple[float, float, int]]:
    """Counts of scores in ``bins`` equal intervals of ``[0, max_score]`` (the last one closed).

    Examples
    --------
    >>> histogram([0, 1, 5, 10, 10], 10, bins=2)
    [(0.0, 5.0, 2), (5.0, 10.0, 3)]
    """
    if max_score <= 0 or bins < 1:
        return [(0.0, 0.0, len(scores))] if scores else []
    width = max_score / bins
    counts = [0] * bins
    for score in scores:
        index = min(bins - 1, max(0, math.floor(float(score) / width + 1e-9)))
        counts[index] += 1
    return [(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]
