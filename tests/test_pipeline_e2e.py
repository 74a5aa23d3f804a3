"""End to end: generate an assignment for a roster, simulate submissions, grade, check scores and feedback.

Correct submissions come from the keys; misconception submissions replace one
answer of the key by the value that misconception produces; broken ones have
a syntax error, an exception, a missing answer or an endless loop. Scores are
exact: the assignment total, minus the points of the one part that is wrong.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib

import pytest

from convmath.misconceptions import CATALOGUE
from exercises.assignment import build_exercises, parse_assignment
from grader.cli.grade import main as grade_main
from grader.export import feedback_markdown
from grader.grade import GradingContext, grade_submission
from grader.safetext import for_markdown
from grader.sandbox import SandboxLimits
from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

SECRET = b"end-to-end-secret-0123456789abcdef"
ROSTER = ("alice", "bob", "carol")
ASSIGNMENT_TOML = """
id = "e2e"
title = "Convolution arithmetic (end to end)"
course = "CS 101"
locale = "en"

[[slots]]
id = "q1"
family = "conv_output_size"
difficulty = 1
points = 2

[[slots]]
id = "q2"
family = "pool_output_size"
difficulty = 1
points = 2

[[slots]]
id = "q3"
family = "conv_macs"
difficulty = 1
points = 3

[[slots]]
id = "q4"
family = "param_count"
difficulty = 3
points = 3
"""
DATA = tomllib.loads(ASSIGNMENT_TOML)
ASSIGNMENT = parse_assignment(DATA)
EXERCISES = {student: build_exercises(ASSIGNMENT, SECRET, student) for student in ROSTER}
TOTAL = 2 + 2 + 3 + 3
CONTEXT = GradingContext(
    DATA, SECRET, roster=frozenset(ROSTER), limits=SandboxLimits(cell_timeout=1.5, total_timeout=20, cpu_seconds=20)
)


def grade(student: str, **edits):
    nb = filled_notebook(ASSIGNMENT, student, EXERCISES[student], **edits)
    return grade_submission(notebook_bytes(nb), f"{student}.ipynb", CONTEXT)


def first_part(student="alice"):
    return answer_parts(EXERCISES[student])[0]


@pytest.mark.parametrize("student", ROSTER)
def test_the_key_scores_full_marks(student):
    result = grade(student)
    assert (result.status, result.score, result.max_score) == ("graded", TOTAL, TOTAL)
    assert all(p.status == "correct" for p in result.parts)
    assert result.flags == () and result.identified_by == "file name"


MISCONCEPTIONS = [
    (slot, part, wrong) for slot, part in answer_parts(EXERCISES["alice"]) for wrong in part.wrong_answers
]


@pytest.mark.parametrize(
    "slot, part, wrong", MISCONCEPTIONS, ids=[f"{s.id}.{p.key}-{w.label}" for s, p, w in MISCONCEPTIONS]
)
def test_each_misconception_loses_that_part_and_is_named(slot, part, wrong):
    result = grade("alice", answers={(slot.id, part.key): wrong_answer_source(part, wrong)})
    assert result.score == pytest.approx(TOTAL - part.points)
    outcome = next(p for p in result.parts if (p.slot, p.part) == (slot.id, part.key))
    twins = [w for w in part.wrong_answers if w.label != wrong.label and repr(w.value) == repr(wrong.value)]
    if not twins:  # the only catalogued mistake that gives this value: named
        assert (outcome.status, outcome.score, outcome.misconception) == ("incorrect", 0.0, wrong.label)
        assert f"Likely misconception: `{wrong.label}`" in feedback_markdown(result)
    else:  # several give it (issue 12): all are named in the message, none is chosen
        assert (outcome.status, outcome.score, outcome.misconception) == ("incorrect", 0.0, None)
        assert all(CATALOGUE[w.label].title["en"] in outcome.message for w in (wrong, *twins))


def test_misconceptions_cover_every_slot():
    assert {slot.id for slot, _, _ in MISCONCEPTIONS} == {"q1", "q2", "q3", "q4"}


BROKEN = {
    "syntax-error": ("{name} = (3 +", "SyntaxError"),
    "exception": ("{name} = 1 // 0", "ZeroDivisionError"),
    "name-error": ("{name} = undefined_variable", "NameError"),
    "stub-kept": (None, "{name}"),
    "endless-loop": ("while True:\n    pass", "1.5 s"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_answer_loses_only_its_part_with_a_reason(case):
    slot, part = first_part()
    source, reason = BROKEN[case]
    answers = {(slot.id, part.key): None if source is None else source.format(name=part.answer.name)}
    result = grade("alice", answers=answers)
    assert result.status == "graded"
    assert result.score == pytest.approx(TOTAL - part.points)
    outcome = result.parts[0]
    assert outcome.score == 0.0 and outcome.status in ("missing", "error", "incorrect")
    shown, feedback = reason.format(name=part.answer.name), feedback_markdown(result)
    assert shown in feedback or for_markdown(shown) in feedback  # Markdown-escaped where needed


def test_a_deleted_answer_cell_is_missing_and_noted():
    slot, part = first_part()
    nb = filled_notebook(ASSIGNMENT, "alice", EXERCISES["alice"])
    nb["cells"] = [c for c in nb["cells"] if c.get("id") != f"{slot.id}-{part.key}-answer"]
    result = grade_submission(notebook_bytes(nb), "alice.ipynb", CONTEXT)
    assert result.score == pytest.approx(TOTAL - part.points)
    assert result.parts[0].status == "missing"
    assert f"the answer cell of 1({part.key}) is missing" in feedback_markdown(result)  # the first part


def test_an_endless_scratch_cell_is_skipped_on_the_rerun():
    result = grade("alice", extra_cells=[(None, "while True:\n    pass")])
    assert result.score == TOTAL
    assert any(
        re.match(r"the notebook was run again without the code cell after \d+\(\w\)$", note) for note in result.notes
    )


def test_the_cli_grades_a_folder_and_writes_every_export(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    slot, part = first_part("bob")
    wrong = part.wrong_answers[0]
    notebooks = {
        "alice": filled_notebook(ASSIGNMENT, "alice", EXERCISES["alice"]),
        "bob": filled_notebook(
            ASSIGNMENT, "bob", EXERCISES["bob"], answers={(slot.id, part.key): wrong_answer_source(part, wrong)}
        ),
    }
    for student, nb in notebooks.items():
        (subs / f"{student}.ipynb").write_bytes(notebook_bytes(nb))
    (subs / "carol.ipynb").write_bytes(b'{"nbformat": 4, "cells": [')
    (tmp_path / "a.toml").write_text(ASSIGNMENT_TOML)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "roster.csv").write_text("student_id\n" + "\n".join(ROSTER + ("dave",)) + "\n")
    argv = [
        str(subs),
        "--assignment",
        str(tmp_path / "a.toml"),
        "--secret-file",
        str(tmp_path / "secret.txt"),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--out",
        str(tmp_path / "out"),
        "--jobs",
        "2",
        "--roster",
        str(tmp_path / "roster.csv"),
        "--cell-timeout",
        "2",
        "--timeout",
        "20",
    ]
    assert grade_main(argv) == 0
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert {s: (r["status"], float(r["total"])) for s, r in rows.items()} == {
        "alice": ("graded", TOTAL),
        "bob": ("graded", TOTAL - part.points),
        "carol": ("error", 0.0),
        "dave": ("absent", 0.0),  # on the roster, handed nothing in
    }
    assert float(rows["bob"][f"{slot.id}.{part.key}"]) == 0.0
    gradescope = json.loads((tmp_path / "out" / "bob" / "results.json").read_text())
    assert gradescope["score"] == pytest.approx(TOTAL - part.points)
    assert {t["name"].split()[0] for t in gradescope["tests"]} == {c for c in rows["bob"] if c.startswith("q")}
    feedback = (tmp_path / "out" / "bob" / "feedback.md").read_text()
    assert wrong.label in feedback or CATALOGUE[wrong.label].title["en"] in feedback
    assert "not valid JSON" in (tmp_path / "out" / "carol" / "feedback.md").read_text()
    dump = {r["student"]: r for r in json.loads((tmp_path / "out" / "grades.json").read_text())}
    assert (dump["dave"]["status"], dump["dave"]["message"]) == ("absent", "no submission was found")
    assert not (tmp_path / "out" / "dave").exists()  # nothing handed in, no feedback to read
    before = (tmp_path / "out" / "grades.csv").read_bytes()
    assert grade_main(argv) == 0  # nothing changed: nothing graded again, same exports
    assert (tmp_path / "out" / "grades.csv").read_bytes() == before


def test_convmath_demo_runs_the_whole_product(tmp_path, capsys):
    from grader.cli.demo import main as demo_main

    assert demo_main(["--out", str(tmp_path / "demo"), "--jobs", "2"]) == 0
    table = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines() if line[:1] == "s"}
    correct, misconception, hostile = table["s001"], table["s002"], table["s003"]
    assert correct[1] == correct[3] and correct[4] == "graded"  # full marks
    assert float(misconception[1]) < float(misconception[3]) and "misconception" in misconception
    assert hostile[1] == "0" and hostile[4] == "graded"
    feedback = (tmp_path / "demo" / "grades" / "s003" / "feedback.md").read_text()
    shown = feedback.replace("\\_", "_")  # as Markdown renders it (student-derived text is escaped)
    assert "os._exit" in shown and "not plain data" in shown
    # the note is whole and names the cell by its place, not its number
    assert (
        "- the code cell after 10(b) stopped the sandbox (crashed): the sandbox process exited with code 0 "
        "(os._exit or a fatal error in the submission)\n" in shown
    )
    from exercises.assignment import load_roster
    from grader.cli.demo import examples_dir

    roster = load_roster(examples_dir() / "roster.csv")
    assert (tmp_path / "demo" / "grades" / "grades.csv").read_text().count("\n") == 1 + len(roster)


def test_magics_are_skipped_with_a_note_and_the_rest_runs():
    slot, part = first_part()
    source = f"%matplotlib inline\n!pip install torch\n{wrong_answer_source(part, part.wrong_answers[0])}"
    result = grade("alice", answers={(slot.id, part.key): source})
    assert result.score == pytest.approx(TOTAL - part.points)
    assert result.parts[0].misconception == part.wrong_answers[0].label
    assert any("IPython magic skipped (line 1): '%matplotlib inline'" in note for note in result.notes)


def test_an_answer_that_breaks_the_checker_costs_only_its_part(monkeypatch):
    import grader.checks

    real = grader.checks.check_part
    slot, part = first_part()

    def choking(p, *args, **kwargs):
        if p.answer.name == part.answer.name:
            raise RecursionError("maximum recursion depth exceeded")
        return real(p, *args, **kwargs)

    monkeypatch.setattr(grader.checks, "check_part", choking)
    result = grade("alice")
    assert result.status == "graded" and result.score == pytest.approx(TOTAL - part.points)
    assert result.parts[0].status == "error" and "could not be checked (RecursionError" in result.parts[0].message
