"""Small courses the grading tests share: a two-slot assignment, notebooks written from text."""

from __future__ import annotations

from pathlib import Path

from grader.batch import collect


def two_slot_toml(assignment_id: str, title: str, *, points: tuple[int, int] = (2, 2)) -> str:
    """An assignment TOML of a ``conv_output_size`` slot ``q1`` and a ``pool_output_size`` slot ``q2``."""
    return f"""
id = "{assignment_id}"
title = "{title}"

[[slots]]
id = "q1"
family = "conv_output_size"
points = {points[0]}

[[slots]]
id = "q2"
family = "pool_output_size"
points = {points[1]}
"""


def write_notebooks(folder: Path, **files: str) -> list[Path]:
    """``folder/<name>.ipynb`` holding each text, as the batch collects them."""
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.ipynb").write_text(text)
    return collect([folder])[0]


#: each submission of :func:`write_course` sleeps this long, so a batch can be stopped while it runs
SLOW_CELL = "import time\ntime.sleep(0.3)"


def write_course(root: Path, toml: str, secret: bytes, students: list[str], *, raising: int | None = None) -> Path:
    """``root/assignment.toml``, ``root/secret.txt`` and ``root/submissions/<student>.ipynb``.

    Every submission is the key plus :data:`SLOW_CELL`; every third (1, 4, 7, ...)
    holds a misconception, number 5 is a broken file, number ``raising`` has an
    answer cell that raises.
    """
    import tomllib

    from exercises.assignment import build_exercises, parse_assignment
    from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

    assignment = parse_assignment(tomllib.loads(toml))
    (root / "assignment.toml").write_text(toml)
    (root / "secret.txt").write_bytes(secret)
    subs = root / "submissions"
    subs.mkdir()
    for number, student in enumerate(students):
        exercises = build_exercises(assignment, secret, student)
        answers = {}
        if number % 3 == 1:
            slot, part = next((s, p) for s, p in answer_parts(exercises) if p.wrong_answers)
            answers[(slot.id, part.key)] = wrong_answer_source(part, part.wrong_answers[0])
        if number == raising:
            answers[("q1", "a")] = "raise ValueError('nope')"
        nb = filled_notebook(assignment, student, exercises, answers=answers, extra_cells=[(None, SLOW_CELL)])
        data = notebook_bytes(nb) if number != 5 else b'{"nbformat": 4, "cells": ['
        (subs / f"{student}.ipynb").write_bytes(data)
    return subs
