"""The SQLite gradebook: one transaction per submission, re-grading rules, current rows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from convmath.errors import ConvMathError
from grader.gradebook import SCHEMA_VERSION, Gradebook
from grader.results import PartOutcome, SubmissionResult, error_result


def result(student: str, score: float, *, digest: str = "h1", source: str | None = None, status: str = "graded"):
    parts = (
        PartOutcome(
            "q1",
            "a",
            "n_out",
            min(score, 2.0),
            2.0,
            "correct" if score >= 2 else "incorrect",
            "msg",
            None if score >= 2 else "padding_once",
        ),
        PartOutcome("q2", "a", "shape", max(score - 2.0, 0.0), 1.0, "correct", ""),
    )
    return SubmissionResult(
        source=source or f"{student}.ipynb",
        content_hash=digest,
        student=student,
        identified_by="file name",
        assignment="hw1",
        status=status,
        score=score,
        max_score=3.0,
        parts=parts if status == "graded" else (),
        notes=("cell 3 raised NameError",),
        flags=("edited",),
        duration=0.25,
    )


@pytest.fixture
def book(tmp_path):
    with Gradebook(tmp_path / "grades.db") as gb:
        yield gb


def test_round_trip_keeps_every_field(book):
    r = result("alice", 1.5)
    sid = book.record(r, assignment_version="v1")
    assert book.get(sid) == r


def test_file_is_in_wal_mode_with_the_schema_version(tmp_path):
    Gradebook(tmp_path / "g.db").close()
    db = sqlite3.connect(tmp_path / "g.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize(
    "digest, source, version, found",
    [
        ("h1", "alice.ipynb", "v1", True),
        ("h2", "alice.ipynb", "v1", False),  # the file changed
        ("h1", "bob.ipynb", "v1", False),  # same bytes handed in by someone else
        ("h1", "alice.ipynb", "v2", False),  # the assignment (or secret, or grader) changed
    ],
    ids=["unchanged", "new-content", "other-file-name", "new-assignment-version"],
)
def test_find_matches_hash_file_name_and_version(book, digest, source, version, found):
    sid = book.record(result("alice", 3.0), assignment_version="v1")
    assert book.find(digest, source, version) == (sid if found else None)


def test_failed_gradings_are_not_found_so_they_are_retried(book):
    failed = error_result(
        "alice.ipynb", "h1", assignment="hw1", max_score=3, message="worker died", student="alice", status="failed"
    )
    book.record(failed, assignment_version="v1")
    assert book.find("h1", "alice.ipynb", "v1") is None


def test_current_is_the_latest_per_student_and_touch_reorders(book):
    first = book.record(result("alice", 1.0, digest="old"), assignment_version="v1")
    book.record(result("alice", 3.0, digest="new"), assignment_version="v1")
    book.record(result("bob", 2.0), assignment_version="v1")
    assert [(r.student, r.score) for r in book.current("hw1")] == [("alice", 3.0), ("bob", 2.0)]
    book.touch(first)  # the old file was handed in again
    assert [(r.student, r.score) for r in book.current("hw1")] == [("alice", 1.0), ("bob", 2.0)]
    assert book.count("hw1") == 3


def test_unidentified_submissions_are_kept_but_not_current(book):
    book.record(error_result("x.ipynb", "h", assignment="hw1", max_score=3, message="who?"), assignment_version="v1")
    assert book.current("hw1") == [] and book.count() == 1


def test_a_failing_transaction_leaves_nothing_behind(book):
    bad = result("alice", 2.0)
    bad = SubmissionResult(
        **{
            **bad.__dict__,
            "parts": (bad.parts[0], bad.parts[0].__class__("q1", "b", "x", 0.0, 1.0, "correct", "", None)),
        }
    )
    book._db.execute(
        "CREATE TRIGGER no_b BEFORE INSERT ON part_results WHEN NEW.part = 'b' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="refused"):
        book.record(bad, assignment_version="v1")
    assert book.count() == 0  # the submission row was rolled back with its parts
    assert book._db.execute("SELECT COUNT(*) FROM part_results").fetchone()[0] == 0


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "grades.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConvMathError, match=r"gradebook='.*grades.db' cannot be opened"):
        Gradebook(path)


def test_newer_schema_is_refused(tmp_path):
    db = sqlite3.connect(tmp_path / "g.db")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConvMathError, match=f"has schema version {SCHEMA_VERSION + 1}"):
        Gradebook(tmp_path / "g.db")


def test_sigkill_between_commits_keeps_every_committed_submission(tmp_path):
    """A writer killed mid-stream: the file opens cleanly with exactly the committed rows."""
    path = tmp_path / "g.db"
    script = textwrap.dedent(f"""
        import os, signal, sys
        from grader.gradebook import Gradebook
        from grader.results import SubmissionResult
        book = Gradebook({str(path)!r})
        for i in range(1000):
            book.record(SubmissionResult(f"s{{i}}.ipynb", str(i), f"s{{i}}", "file name", "hw1", "graded",
                                         1.0, 1.0), assignment_version="v")
            print(i, flush=True)
            if i == 40:
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9
    committed = int(proc.stdout.split()[-1]) + 1  # printed after each commit
    with Gradebook(path) as book:
        assert book.integrity() == "ok"
        assert book.count() == committed == 41


def claim(student: str, source: str, how: str, score: float) -> SubmissionResult:
    return SubmissionResult(source, f"h-{source}", student, how, "hw1", "graded", score, 3.0)


NAME, META = "file name", "notebook metadata"


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([("s002.ipynb", NAME, 3.0), ("zzz.ipynb", META, 0.0)], "s002.ipynb"),
        ([("zzz.ipynb", META, 0.0), ("s002.ipynb", NAME, 3.0)], "s002.ipynb"),
        ([("old.ipynb", META, 1.0), ("new.ipynb", META, 2.0)], "new.ipynb"),
        ([("s002.ipynb", NAME, 1.0), ("s002.ipynb", NAME, 2.0), ("zzz.ipynb", META, 0.0)], "s002.ipynb#2"),
        ([("x.ipynb", META, 1.0), ("s002.ipynb", NAME, 2.0), ("y.ipynb", META, 0.0)], "s002.ipynb"),
    ],
    ids=[
        "metadata-after-name-yields",
        "name-after-metadata-wins",
        "newest-metadata-wins",
        "newest-named-wins",
        "named-between-metadata",
    ],
)
def test_a_row_identified_by_metadata_never_shadows_one_named_for_the_student(book, rows, expected):
    for source, how, score in rows:
        book.record(claim("s002", source, how, score), assignment_version="v1")
    (current,) = book.current("hw1")
    source, _, nth = expected.partition("#")
    assert current.source == source
    if nth:
        assert current.score == float(nth)
    assert book.current("hw1", student="s002") == [current] and book.current("hw1", student="s999") == []
    assert book.count("hw1") == len(rows)  # every file is still recorded


def test_touching_a_metadata_row_does_not_bring_it_back_over_a_named_one(book):
    meta = book.record(claim("s002", "zzz.ipynb", META, 0.0), assignment_version="v1")
    book.record(claim("s002", "s002.ipynb", NAME, 3.0), assignment_version="v1")
    book.touch(meta)  # zzz.ipynb handed in again, unchanged
    assert [r.source for r in book.current("hw1")] == ["s002.ipynb"]
