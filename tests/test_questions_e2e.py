"""End to end with question files: the example assignment mixing question files and built-in families is
generated, a key-filled notebook grades at full marks, each misconception of a question is named, a wrong
function loses its part, and ``convmath generate`` / ``convmath grade`` work from the files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from convmath.misconceptions import CATALOGUE
from exercises.assignment import build_exercises, load_assignment, parse_assignment, read_assignment_data
from exercises.families import FAMILIES, families
from grader.cli.grade import main as grade_main
from grader.grade import GradingContext, grade_submission
from grader.sandbox import SandboxLimits
from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

EXAMPLES = Path(__file__).parents[1] / "examples"
SECRET = b"question-files-secret-0123456789"
LIMITS = SandboxLimits(cell_timeout=5, total_timeout=60, cpu_seconds=60)


@pytest.fixture(scope="module")
def setup():
    families()
    before_f, before_c = dict(FAMILIES), dict(CATALOGUE)
    data = read_assignment_data(EXAMPLES / "assignment_questions.toml")
    assignment = parse_assignment(data)
    context = GradingContext(data, SECRET, limits=LIMITS)
    yield assignment, context
    FAMILIES.clear()
    FAMILIES.update(before_f)
    CATALOGUE.clear()
    CATALOGUE.update(before_c)


def grade(setup, student, **edits):
    assignment, context = setup
    exercises = build_exercises(assignment, SECRET, student)
    nb = filled_notebook(assignment, student, exercises, **edits)
    return exercises, grade_submission(notebook_bytes(nb), f"{student}.ipynb", context)


def test_the_assignment_mixes_question_files_and_builtin_families(setup):
    assignment, _ = setup
    questions = [slot for slot in assignment.slots if slot.question]
    assert len(questions) >= 5 and len(questions) < len(assignment.slots)
    assert load_assignment(EXAMPLES / "assignment_questions.toml").slots == assignment.slots


@pytest.mark.parametrize("student", ["alice", "bob", "carol"])
def test_a_key_filled_notebook_scores_full_marks(setup, student):
    _, result = grade(setup, student)
    assert (result.status, result.score, result.max_score) == ("graded", 25, 25), result
    assert all(p.status == "correct" for p in result.parts), [p for p in result.parts if p.status != "correct"]
    assert result.flags == ()


def test_each_question_misconception_is_named(setup):
    assignment, _ = setup
    exercises = build_exercises(assignment, SECRET, "alice")
    questions = {slot.id for slot in assignment.slots if slot.question}
    cases = [(s, p, w) for s, p in answer_parts(exercises) if s.id in questions for w in p.wrong_answers]
    assert {w.label for _, _, w in cases} >= {
        "rf_ignored_dilation",
        "transpose_as_conv",
        "separable_pointwise_forgotten",
        "kernel_flipped",
        "forgot_plus_one",
        "ignored_dilation",
    }
    for slot, part, wrong in cases:
        _, result = grade(setup, "alice", answers={(slot.id, part.key): wrong_answer_source(part, wrong)})
        outcome = next(p for p in result.parts if (p.slot, p.part) == (slot.id, part.key))
        assert (outcome.status, outcome.misconception) == ("incorrect", wrong.label), (slot.id, wrong.label)
        assert result.score == pytest.approx(25 - part.points)


def test_a_function_that_ignores_the_dilation_fails(setup):
    assignment, _ = setup
    part = next(ex for slot, ex in build_exercises(assignment, SECRET, "bob") if slot.id == "q9").parts[0]
    name = part.answer.name
    assert name == "out_size_q9" and f"`{name}(n, kernel_size, padding, stride, dilation)`" in part.prompt["en"]
    wrong = (
        f"def {name}(n, kernel_size, padding, stride, dilation):\n"
        "    return (n + 2*padding - kernel_size) // stride + 1"
    )
    _, result = grade(setup, "bob", answers={("q9", "a"): wrong})
    outcome = next(p for p in result.parts if p.slot == "q9")
    assert outcome.status in ("incorrect", "partial") and outcome.score == 0
    assert result.score == 25 - 3


def test_generate_and_grade_from_the_files(setup, tmp_path):
    from exercises.cli.generate import main as generate_main

    folder = tmp_path / "course"
    shutil.copytree(EXAMPLES / "questions", folder / "questions")
    shutil.copy(EXAMPLES / "assignment_questions.toml", folder / "a.toml")
    (folder / "secret.txt").write_bytes(SECRET)
    (folder / "roster.csv").write_text("student_id\nalice\nbob\n")
    assert (
        generate_main(
            [
                str(folder / "a.toml"),
                "--roster",
                str(folder / "roster.csv"),
                "--secret-file",
                str(folder / "secret.txt"),
                "--out",
                str(tmp_path / "build"),
            ]
        )
        == 0
    )
    subs = tmp_path / "subs"
    subs.mkdir()
    assignment, _ = setup
    for student in ("alice", "bob"):
        nb = filled_notebook(assignment, student, build_exercises(assignment, SECRET, student))
        (subs / f"{student}.ipynb").write_bytes(notebook_bytes(nb))
    argv = [
        str(subs),
        "--assignment",
        str(folder / "a.toml"),
        "--secret-file",
        str(folder / "secret.txt"),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--out",
        str(tmp_path / "out"),
        "--jobs",
        "1",
    ]
    assert grade_main(argv) == 0
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert {s: float(r["total"]) for s, r in rows.items()} == {"alice": 25.0, "bob": 25.0}


NUMPY_REFERENCE = '''
id = "corr_fn"
title = { en = "Write corr2d", zh = "编写 corr2d" }

[prompt]
en = "Write {{ signature.corr2d }}: `X` cross-correlated with `K`."
zh = "编写 {{ signature.corr2d }}：`X` 与 `K` 的互相关。"

[[parts]]
kind = "function"
signature = "corr2d(X, K)"
op = "correlate"
config = { layout = "single", ndim = 2 }
reference = "corr2d(X, K)"
solution_code = """
def corr2d(X, K):
    import numpy as np
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    return np.array([[(X[i:i + h, j:j + w] * K).sum() for j in range(X.shape[1] - w + 1)]
                     for i in range(X.shape[0] - h + 1)])
"""
'''


def test_a_function_whose_reference_is_a_numpy_expression(tmp_path, clean_registry):
    """A function part's reference may be an expression over convmath's backend (here ``corr2d(X, K)``): the
    question keeps the contract, the key grades full marks, and a convolution (flipped kernel) loses the part."""
    from exercises.testing import check_family

    (tmp_path / "corr_fn.toml").write_text(NUMPY_REFERENCE, encoding="utf-8")
    (tmp_path / "a.toml").write_text('id = "w"\ntitle = "t"\n[[slots]]\nid = "q1"\nquestion = "corr_fn.toml"\n')
    data = read_assignment_data(tmp_path / "a.toml")
    assignment = parse_assignment(data)
    report = check_family("corr_fn", seeds=3, roster=0, selftest_seeds=1)
    assert report.ok, "\n".join(report.lines())
    context = GradingContext(data, SECRET, limits=LIMITS)
    exercises = build_exercises(assignment, SECRET, "alice")
    key = grade_submission(notebook_bytes(filled_notebook(assignment, "alice", exercises)), "alice.ipynb", context)
    assert (key.score, key.max_score) == (1, 1), key
    flipped = (
        "def corr2d(X, K):\n    import numpy as np\n    X, K = np.asarray(X, dtype=float), np.flip(np.asarray(K))\n"
        "    h, w = K.shape\n    return np.array([[(X[i:i + h, j:j + w] * K).sum() for j in range(X.shape[1] - w + 1)]"
        " for i in range(X.shape[0] - h + 1)])"
    )
    nb = filled_notebook(assignment, "alice", exercises, answers={("q1", "a"): flipped})
    wrong = grade_submission(notebook_bytes(nb), "alice.ipynb", context)
    assert wrong.score == 0 and wrong.parts[0].status in ("incorrect", "partial"), wrong
