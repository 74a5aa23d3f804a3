"""The grader's result types: plain data that crosses every boundary.

A :class:`SubmissionResult` is what grading one notebook produces. It holds
only strings, numbers, tuples and ``None``, so it travels unchanged from a
worker process (or a Dask worker on another machine) to the coordinator as a
plain ``dict`` (:meth:`SubmissionResult.to_dict`), is stored in the gradebook
and is rebuilt from it for the exports.

Examples
--------
>>> part = PartOutcome("q1", "a", "out_size", 2.0, 2.0, "correct", "")
>>> result = SubmissionResult(source="alice.ipynb", content_hash="ab12", student="alice",
...     identified_by="file name", assignment="hw1", status="graded", score=2.0,
...     max_score=3.0, parts=(part,))
>>> SubmissionResult.from_dict(result.to_dict()) == result
True
>>> result.parts[0].column
'q1.a'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["PartOutcome", "SubmissionResult", "SubmissionStatus", "error_result"]

SubmissionStatus = Literal["graded", "error", "failed"]
"""``graded``: the notebook was run and its answers checked (whatever the
score); ``error``: the submission itself could not be graded (unreadable
file, unknown student, ...) and scores zero with a reason; ``failed``: the
grader failed on it (a worker crashed) and it is graded again on the next run."""


@dataclass(frozen=True)
class PartOutcome:
    """The verdict on one part of one exercise of a submission."""

    slot: str
    """Slot id of the exercise in the assignment, e.g. ``"q1"``."""

    part: str
    """Part key within the exercise, e.g. ``"a"``."""

    name: str
    """The variable or function name the student had to define."""

    score: float
    """Points earned."""

    max_score: float
    """Points this part is worth."""

    status: str
    """``correct``, ``incorrect``, ``partial``, ``missing`` or ``error``."""

    message: str
    """What the student reads about this part (in the assignment's locale)."""

    misconception: str | None = None
    """Label of the misconception the wrong answer matched, if any."""

    example: str | None = None
    """For a function part that failed: the smallest failing call, e.g.
    ``corr2d(X=[[0, 1]], K=[[1]])`` (inputs the grader drew, no student text)."""

    @property
    def column(self) -> str:
        """Column name of this part in the class CSV: ``slot.part``."""
        return f"{self.slot}.{self.part}"


@dataclass(frozen=True)
class SubmissionResult:
    """Everything known about the grading of one submitted notebook."""

    source: str
    """The submitted file's name as given (a display name, not opened again)."""

    content_hash: str
    """SHA-256 of the submitted bytes (hex)."""

    student: str | None
    """Student id the submission was graded as, or ``None`` when unknown."""

    identified_by: str
    """How the student was identified: ``"file name"``, ``"notebook metadata"``
    or ``""`` when they could not be."""

    assignment: str
    """Assignment id."""

    status: SubmissionStatus
    """``graded``, ``error`` (the submission's fault) or ``failed`` (the grader's)."""

    score: float
    """Points earned in total."""

    max_score: float
    """Points the assignment is worth."""

    parts: tuple[PartOutcome, ...] = ()
    """One outcome per part, in assignment order (empty for ``error``/``failed``)."""

    message: str = ""
    """Why the submission was not graded (``error``/``failed``), else empty."""

    notes: tuple[str, ...] = ()
    """Remarks for the student: skipped magics, an upgraded file format,
    cells that failed, ... in the order they arose."""

    flags: tuple[str, ...] = ()
    """Integrity findings for the instructor (and shown to the student):
    metadata that disagrees with the regenerated assignment, another student's
    notebook, forbidden imports, sandbox isolation warnings."""

    duration: float = 0.0
    """Seconds spent grading this submission (wall clock)."""

    sandbox_warnings: tuple[str, ...] = ()
    """Protections the sandbox could not apply on this machine (for the
    instructor, reported once per batch; not stored in the gradebook)."""

    overrides: tuple[str, ...] = ()
    """Manual overrides in force, one line each (part, points, who, when,
    why); applied when the gradebook is read, never stored with the row
    (see :mod:`grader.overrides`)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-serialisable)."""
        data = asdict(self)
        data["parts"] = [asdict(p) for p in self.parts]
        data["notes"] = list(self.notes)
        data["flags"] = list(self.flags)
        data["sandbox_warnings"] = list(self.sandbox_warnings)
        data["overrides"] = list(self.overrides)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """Inverse of :meth:`to_dict`."""
        fields = dict(data)
        fields["parts"] = tuple(PartOutcome(**p) for p in data.get("parts", ()))
        fields["notes"] = tuple(data.get("notes", ()))
        fields["flags"] = tuple(data.get("flags", ()))
        fields["sandbox_warnings"] = tuple(data.get("sandbox_warnings", ()))
        fields["overrides"] = tuple(data.get("overrides", ()))
        return cls(**fields)


def error_result(
    source: str,
    content_hash: str,
    *,
    assignment: str,
    max_score: float,
    message: str,
    student: str | None = None,
    identified_by: str = "",
    status: SubmissionStatus = "error",
    notes: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    duration: float = 0.0,
) -> SubmissionResult:
    """A zero-score result with a reason.

    Examples
    --------
    >>> r = error_result("x.ipynb", "00", assignment="hw1", max_score=10.0,
    ...                  message="the file is not valid JSON")
    >>> (r.status, r.score, r.max_score, r.message)
    ('error', 0.0, 10.0, 'the file is not valid JSON')
    """
    return SubmissionResult(
        source=source,
        content_hash=content_hash,
        student=student,
        identified_by=identified_by,
        assignment=assignment,
        status=status,
        score=0.0,
        max_score=float(max_score),
        message=message,
        notes=tuple(notes),
        flags=tuple(flags),
        duration=duration,
    )
