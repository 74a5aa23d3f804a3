"""Kill the grader (SIGKILL) in the middle of a batch, run it again, compare with an uninterrupted run.

Expected: the gradebook opens cleanly, nothing is graded twice, nothing
graded before the kill is lost, and the exports are byte-for-byte those of a
run that was never interrupted.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from _course import two_slot_toml, write_course

from grader.gradebook import Gradebook

SECRET = b"crash-safety-secret-0123456789abcdef"
ASSIGNMENT_TOML = two_slot_toml("crash", "Crash safety")
STUDENTS = [f"s{i:02d}" for i in range(12)]


def _write_course(root: Path) -> Path:
    return write_course(root, ASSIGNMENT_TOML, SECRET, STUDENTS)


def _command(root: Path, name: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "convmath.cli",
        "grade",
        str(root / "submissions"),
        "--assignment",
        str(root / "assignment.toml"),
        "--secret-file",
        str(root / "secret.txt"),
        "--gradebook",
        str(root / f"{name}.db"),
        "--out",
        str(root / f"{name}-out"),
        "--jobs",
        "2",
        "--quiet",
    ]


def _rows(path: Path) -> list[tuple]:
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT id, content_hash, source, graded_at, score FROM submissions ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        db.close()


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_sigkill_mid_batch_then_rerun_matches_an_uninterrupted_run(tmp_path):
    _write_course(tmp_path)

    reference = subprocess.run(_command(tmp_path, "reference"), capture_output=True, text=True, timeout=300)
    assert reference.returncode == 0, reference.stderr

    proc = subprocess.Popen(_command(tmp_path, "killed"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(_rows(tmp_path / "killed.db")) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no cleanup, no final checkpoint
    proc.wait()
    before = _rows(tmp_path / "killed.db")
    assert 3 <= len(before) < len(STUDENTS), "the kill must land in the middle of the batch"

    rerun = subprocess.run(_command(tmp_path, "killed"), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} unchanged" in rerun.stdout

    with Gradebook(tmp_path / "killed.db") as book:
        assert book.integrity() == "ok"
    after = _rows(tmp_path / "killed.db")
    assert after[: len(before)] == before  # nothing graded before the kill is lost or changed
    keys = [(digest, source) for _, digest, source, _, _ in after]
    assert len(keys) == len(set(keys)) == len(STUDENTS)  # nothing graded twice, nothing missing
    assert _tree(tmp_path / "killed-out") == _tree(tmp_path / "reference-out")
    assert len(_tree(tmp_path / "reference-out")) == 3 + 2 * len(STUDENTS)  # grades.csv, grades.json, identified.csv
