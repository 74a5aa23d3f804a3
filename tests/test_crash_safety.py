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
import tomllib
from pathlib import Path


from exercises.assignment import build_exercises, parse_assignment
from grader.gradebook import Gradebook
from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

SECRET = b"crash-safety-secret-0123456789abcdef"
ASSIGNMENT_TOML = """
id = "crash"
title = "Crash safety"

[[slots]]
id = "q1"
family = "conv_output_size"
points = 2

[[slots]]
id = "q2"
family = "pool_output_size"
points = 2
"""
STUDENTS = [f"s{i:02d}" for i in range(12)]
#: each submission sleeps this long, so the batch is still running when it is killed
SLOW_CELL = "import time\ntime.sleep(0.3)"


def _write_course(root: Path) -> Path:
    data = tomllib.loads(ASSIGNMENT_TOML)
    assignment = parse_assignment(data)
    (root / "assignment.toml").write_text(ASSIGNMENT_TOML)
    (root / "secret.txt").write_bytes(SECRET)
    subs = root / "submissions"
    subs.mkdir()
    for number, student in enumerate(STUDENTS):
        exercises = build_exercises(assignment, SECRET, student)
        answers = {}
        if number % 3 == 1:  # a misconception in every third submission
            slot, part = next((s, p) for s, p in answer_parts(exercises) if p.wrong_answers)
            answers[(slot.id, part.key)] = wrong_answer_source(part, part.wrong_answers[0])
        nb = filled_notebook(assignment, student, exercises, answers=answers, extra_cells=[(None, SLOW_CELL)])
        data_bytes = notebook_bytes(nb) if number != 5 else b'{"nbformat": 4, "cells": ['  # one broken file
        (subs / f"{student}.ipynb").write_bytes(data_bytes)
    return subs


def _command(root: Path, name: str) -> list[str]:
    return [
        sys.executable, "-m", "convmath.cli", "grade", str(root / "submissions"),
        "--assignment", str(root / "assignment.toml"), "--secret-file", str(root / "secret.txt"),
        "--gradebook", str(root / f"{name}.db"), "--out", str(root / f"{name}-out"), "--jobs", "2", "--quiet",
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
