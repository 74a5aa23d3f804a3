"""The gradebook: one SQLite file, written only by the coordinating process.

Three tables: ``overrides`` (manual points, :mod:`grader.overrides`), ``submissions`` (one row per grading of a
submitted file: content hash, student, assignment and its version, status, score, reasons, time) and
``part_results`` (one row per part: score, max, status, message,
misconception label). The file is in WAL mode with ``synchronous=FULL`` and
each submission is written in ONE transaction, so a grader killed at any
instant leaves every submission either wholly recorded or absent: nothing
half-written, nothing already graded lost.

A submission is identified for re-grading by ``(content hash, file name,
assignment version)``: an unchanged file of an unchanged assignment is not
graded twice unless forced. Rows are never updated in place except for the
``seq`` column, which orders them: the *current* submission of a student is
the one with the highest ``seq`` (recorded or seen most recently) among their
rows identified strongly (the file name ``<student_id>.ipynb``, an upload
folder, a platform's record: anything but :data:`grader.identify.WEAK_METHODS`)
if there is any, else among all their rows. So a file identified only by its notebook
metadata (which a copied notebook carries along) is recorded but never
replaces a grade that came from a file named for the student, in any later
batch; among metadata-only files the newest counts.

Examples
--------
>>> from grader.results import SubmissionResult, PartOutcome
>>> book = Gradebook(":memory:")
>>> r = SubmissionResult("alice.ipynb", "ab", "alice", "file name", "hw1", "graded", 1.0, 2.0,
...                      parts=(PartOutcome("q1", "a", "n_out", 1.0, 2.0, "partial", "close"),))
>>> book.find("ab", "alice.ipynb", "v1") is None
True
>>> sid = book.record(r, assignment_version="v1")
>>> book.find("ab", "alice.ipynb", "v1") == sid
True
>>> book.current("hw1")[0] == r
True
>>> book.close()
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from convmath.errors import ConvMathError

from .identify import WEAK_METHODS
from .overrides import Override, apply_overrides
from .results import SubmissionResult

__all__ = ["Gradebook", "SCHEMA_VERSION"]

#: ``PRAGMA user_version`` of the schema below.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    seq                INTEGER NOT NULL,
    assignment         TEXT NOT NULL,
    assignment_version TEXT NOT NULL,
    student            TEXT,
    identified_by      TEXT NOT NULL,
    source             TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('graded', 'error', 'failed')),
    score              REAL NOT NULL,
    max_score          REAL NOT NULL,
    message            TEXT NOT NULL,
    notes              TEXT NOT NULL,
    flags              TEXT NOT NULL,
    duration           REAL NOT NULL,
    graded_at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_content
    ON submissions (content_hash, source, assignment_version);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions (assignment, student, seq);
CREATE TABLE IF NOT EXISTS part_results (
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    slot          TEXT NOT NULL,
    part          TEXT NOT NULL,
    name          TEXT NOT NULL,
    score         REAL NOT NULL,
    max_score     REAL NOT NULL,
    status        TEXT NOT NULL,
    message       TEXT NOT NULL,
    misconception TEXT,
    example       TEXT,
    PRIMARY KEY (submission_id, position)
);
"""

#: Manual overrides (added to gradebooks of any schema version: ``CREATE TABLE IF NOT EXISTS``).
#: Rows are never changed: setting or clearing an override appends a row, and the newest row of
#: ``(assignment, student, part)`` is in force (``points IS NULL``: cleared).
_OVERRIDES = """
CREATE TABLE IF NOT EXISTS overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    part       TEXT NOT NULL,
    points     REAL,
    max_points REAL,
    reason     TEXT NOT NULL,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS overrides_by_student ON overrides (assignment, student, part, id);
"""

#: Columns of ``submissions`` read back, named as the fields of :class:`SubmissionResult` (and the row id).
_FIELDS = (
    "id",
    "assignment",
    "student",
    "identified_by",
    "source",
    "content_hash",
    "status",
    "score",
    "max_score",
    "message",
    "notes",
    "flags",
    "duration",
)
_COLUMNS = ", ".join(_FIELDS)
#: Columns of ``part_results`` read back, named as the fields of :class:`PartOutcome`.
_PART_FIELDS = ("slot", "part", "name", "score", "max_score", "status", "message", "misconception", "example")


class Gradebook:
    """A gradebook file (``":memory:"`` for a throw-away one).

    Parameters
    ----------
    path
        The SQLite file; created with its schema when absent.

    Notes
    -----
    Only one process should write (the batch coordinator). Readers may open
    the same file at any time: WAL mode lets them read while it is written.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise ConvMathError(
                    f"gradebook={self.path!r} has schema version {version}; this grader reads version {SCHEMA_VERSION}"
                )
            if version == 0:
                self._db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
            self._add_missing_columns()
            if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'overrides'").fetchone() is None:
                self._db.executescript(f"BEGIN IMMEDIATE; {_OVERRIDES} COMMIT;")
        except sqlite3.DatabaseError as err:
            raise ConvMathError(f"gradebook={self.path!r} cannot be opened: {err}") from err

    #: Columns added after a table was first created: ``(table, column, declaration)``.
    _ADDED_COLUMNS = (("part_results", "example", "TEXT"),)

    def _add_missing_columns(self) -> None:
        """Bring a gradebook written by an earlier grader up to date (additive only)."""
        for table, column, declaration in self._ADDED_COLUMNS:
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    # -- plumbing ---------------------------------------------------------------
    def close(self) -> None:
        """Close the file (a checkpoint folds the WAL back into it)."""
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")

    def _transaction(self) -> Gradebook._Tx:
        return Gradebook._Tx(self._db)

    def _next_seq(self, db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM submissions").fetchone()[0])

    # -- writing ----------------------------------------------------------------
    def record(self, result: SubmissionResult, *, assignment_version: str) -> int:
        """Store one graded submission and its parts in one transaction.

        Parameters
        ----------
        result
            The grading outcome.
        assignment_version
            Fingerprint of the assignment (file, secret, grader version) the
            submission was graded against.

        Returns
        -------
        int
            The new submission's row id.
        """
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO submissions (seq, assignment, assignment_version, student, identified_by,"
                " source, content_hash, status, score, max_score, message, notes, flags, duration,"
                " graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._next_seq(db),
                    result.assignment,
                    assignment_version,
                    result.student,
                    result.identified_by,
                    result.source,
                    result.content_hash,
                    result.status,
                    float(result.score),
                    float(result.max_score),
                    result.message,
                    json.dumps(list(result.notes), ensure_ascii=False),
                    json.dumps(list(result.flags), ensure_ascii=False),
                    float(result.duration),
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                ),
            )
            sid = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO part_results (submission_id, position, slot, part, name, score,"
                " max_score, status, message, misconception, example) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sid,
                        i,
                        p.slot,
                        p.part,
                        p.name,
                        float(p.score),
                        float(p.max_score),
                        p.status,
                        p.message,
                        p.misconception,
                        p.example,
                    )
                    for i, p in enumerate(result.parts)
                ],
            )
        return sid

    def touch(self, submission_id: int) -> None:
        """Make an already graded submission its student's current one again (a row identified only
        by metadata still yields to one identified by the file name: see :meth:`current`)."""
        with self._transaction() as db:
            db.execute("UPDATE submissions SET seq = ? WHERE id = ?", (self._next_seq(db), submission_id))

    def set_override(
        self,
        assignment: str,
        student: str,
        part: str,
        points: float | None,
        *,
        reason: str,
        set_by: str,
        max_points: float | None = None,
    ) -> Override:
        """Set (``points``) or clear (``points=None``) the manual override of one part.

        Parameters
        ----------
        assignment, student, part
            Whose part: ``part`` is the column ``slot.part``.
        points
            The points given, or ``None`` to clear the override in force.
        reason
            Why (required to set; recorded when clearing).
        set_by
            Who.
        max_points
            The part's maximum, kept for a result that has no parts.

        Returns
        -------
        Override
            The row appended (rows are never changed: the history stays).

        Raises
        ------
        ConvMathError
            An empty reason when setting; negative points; clearing where
            nothing is in force.

        Examples
        --------
        >>> book = Gradebook(":memory:")
        >>> o = book.set_override("w1", "s1", "q1.a", 2, reason="checked by hand", set_by="lee")
        >>> (o.part, o.points, o.set_by), len(book.overrides("w1"))
        (('q1.a', 2.0, 'lee'), 1)
        >>> _ = book.set_override("w1", "s1", "q1.a", None, reason="", set_by="lee")
        >>> book.overrides("w1"), len(book.overrides("w1", history=True))
        ([], 2)
        """
        if points is not None:
            if not reason.strip():
                raise ConvMathError("--reason='' must say why the points are changed")
            if not points >= 0 or (max_points is not None and points > max_points):
                top = f" and at most {max_points:g}" if max_points is not None else ""
                raise ConvMathError(f"POINTS={points:g} must be at least 0{top} (the most {part} is worth)")
        elif not [o for o in self.overrides(assignment) if o.student == student and o.part == part]:
            raise ConvMathError(f"{student} has no override of {part} in {assignment} to clear")
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        row = (
            assignment,
            student,
            part,
            None if points is None else float(points),
            None if max_points is None else float(max_points),
            reason.strip(),
            set_by,
            at,
        )
        with self._transaction() as db:
            db.execute(
                "INSERT INTO overrides (assignment, student, part, points, max_points, reason, set_by,"
                " set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return Override(*row)

    # -- reading ----------------------------------------------------------------
    def overrides(self, assignment: str, *, history: bool = False) -> list[Override]:
        """The overrides in force for ``assignment`` (by student and part), or every row ever written.

        Examples
        --------
        >>> Gradebook(":memory:").overrides("w1")
        []
        """
        fields = "assignment, student, part, points, max_points, reason, set_by, set_at"
        if history:
            sql = f"SELECT {fields} FROM overrides WHERE assignment = ? ORDER BY id"
        else:
            sql = (
                f"SELECT {fields} FROM overrides o WHERE assignment = ? AND id = (SELECT MAX(id) FROM "
                "overrides i WHERE i.assignment = o.assignment AND i.student = o.student AND i.part = o.part)"
                " AND points IS NOT NULL ORDER BY student, part"
            )
        return [Override(*row) for row in self._db.execute(sql, (assignment,)).fetchall()]

    def assignments(self) -> list[str]:
        """The assignment ids with rows in this gradebook, sorted.

        Examples
        --------
        >>> Gradebook(":memory:").assignments()
        []
        """
        return [str(r[0]) for r in self._db.execute("SELECT DISTINCT assignment FROM submissions ORDER BY 1")]

    def part_maxima(self, assignment: str) -> dict[str, float]:
        """The maximum of every part column recorded for ``assignment`` (``{"q1.a": 2.0, ...}``).

        Examples
        --------
        >>> Gradebook(":memory:").part_maxima("w1")
        {}
        """
        rows = self._db.execute(
            "SELECT p.slot || '.' || p.part, MAX(p.max_score) FROM part_results p JOIN submissions s"
            " ON s.id = p.submission_id WHERE s.assignment = ? GROUP BY 1 ORDER BY MIN(p.position)",
            (assignment,),
        )
        return {str(col): float(top) for col, top in rows.fetchall()}

    def find(self, content_hash: str, source: str, assignment_version: str) -> int | None:
        """Row id of a finished grading of these exact bytes under this file name
        and assignment version (``failed`` gradings do not count), or ``None``."""
        row = self._db.execute(
            "SELECT id FROM submissions WHERE content_hash = ? AND source = ? AND assignment_version = ?"
            " AND status != 'failed' ORDER BY id DESC LIMIT 1",
            (content_hash, source, assignment_version),
        ).fetchone()
        return None if row is None else int(row[0])

    def failures(self, content_hash: str, source: str, assignment_version: str) -> int:
        """How many times the grader failed (status ``failed``) on these exact bytes, file name and version.

        A batch stops retrying a submission after :data:`grader.batch.MAX_ATTEMPTS` failures.

        Examples
        --------
        >>> Gradebook(":memory:").failures("0" * 64, "alice.ipynb", "v1")
        0
        """
        row = self._db.execute(
            "SELECT COUNT(*) FROM submissions WHERE content_hash = ? AND source = ? AND assignment_version = ?"
            " AND status = 'failed'",
            (content_hash, source, assignment_version),
        ).fetchone()
        return int(row[0])

    def get(self, submission_id: int) -> SubmissionResult:
        """The stored result of one submission row."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise ConvMathError(f"submission_id={submission_id} is not in gradebook={self.path!r}")
        return self._result(row)

    def current(self, assignment: str, *, student: str | None = None, overrides: bool = True) -> list[SubmissionResult]:
        """Each identified student's current submission for ``assignment``, by student id.

        Parameters
        ----------
        assignment
            Assignment id.
        student
            Only this student's (a list of at most one result).
        overrides
            Apply the manual overrides in force (:mod:`grader.overrides`).

        Returns
        -------
        list of SubmissionResult
            Per student, the row with the highest ``seq`` among those
            identified by the file name if any, else among all: a file named
            only in its metadata never shadows one named for the student.

        Examples
        --------
        >>> from grader.results import SubmissionResult
        >>> book = Gradebook(":memory:")
        >>> for source, how in [("s002.ipynb", "file name"), ("zzz.ipynb", "notebook metadata")]:
        ...     _ = book.record(SubmissionResult(source, "h", "s002", how, "hw1", "graded", 0.0, 1.0),
        ...                     assignment_version="v1")
        >>> [r.source for r in book.current("hw1", student="s002")]
        ['s002.ipynb']
        >>> book.close()
        """
        where, args = ("AND student = ?", (assignment, student)) if student is not None else ("", (assignment,))
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM (SELECT {_COLUMNS}, ROW_NUMBER() OVER (PARTITION BY student"
            f" ORDER BY identified_by NOT IN ({', '.join('?' * len(WEAK_METHODS))}) DESC, seq DESC) AS rank"
            f" FROM submissions WHERE assignment = ? AND student IS NOT NULL {where}) WHERE rank = 1 ORDER BY student",
            (*WEAK_METHODS, *args),
        ).fetchall()
        results = [self._result(row) for row in rows]
        if not overrides:
            return results
        by_student: dict[str, list[Override]] = {}
        for o in self.overrides(assignment):
            by_student.setdefault(o.student, []).append(o)
        return [apply_overrides(r, by_student.get(r.student or "", ())) for r in results]

    def history(self, assignment: str | None = None) -> Iterator[tuple[int, str, SubmissionResult]]:
        """Every row, oldest first, as ``(id, graded_at, result)``."""
        where, args = ("WHERE assignment = ?", (assignment,)) if assignment is not None else ("", ())
        rows = self._db.execute(f"SELECT {_COLUMNS}, graded_at FROM submissions {where} ORDER BY id", args)
        for row in rows.fetchall():
            yield int(row[0]), str(row[-1]), self._result(row[:-1])

    def count(self, assignment: str | None = None) -> int:
        """Number of submission rows (of ``assignment`` when given)."""
        if assignment is None:
            return int(self._db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])
        sql = "SELECT COUNT(*) FROM submissions WHERE assignment = ?"
        return int(self._db.execute(sql, (assignment,)).fetchone()[0])

    def integrity(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` verdict (``"ok"`` when sound)."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def _result(self, row: tuple[Any, ...]) -> SubmissionResult:
        data = dict(zip(_FIELDS, row))
        parts = self._db.execute(
            f"SELECT {', '.join(_PART_FIELDS)} FROM part_results WHERE submission_id = ? ORDER BY position",
            (data.pop("id"),),
        ).fetchall()
        data["parts"] = [dict(zip(_PART_FIELDS, part)) for part in parts]
        data["notes"], data["flags"] = json.loads(data["notes"]), json.loads(data["flags"])
        return SubmissionResult.from_dict(data)
