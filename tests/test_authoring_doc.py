"""docs/authoring.md is true: its first example passes check-question, generates and grades at full marks,
its assignment and Python examples run, and its generated tables equal the code."""

from __future__ import annotations

import re
from pathlib import Path

from convmath.misconceptions import CATALOGUE
from exercises.assignment import build_exercises, parse_assignment, read_assignment_data
from exercises.cli.check_question import main as check_main
from exercises.cli.generate import main as generate_main
from exercises.families import families
from exercises.questions.lang import DESCRIPTIONS, _get_functions
from exercises.questions.reference import sync
from exercises.testing import check_family
from grader.grade import GradingContext, grade_submission
from grader.sandbox import SandboxLimits
from grader.simulate import filled_notebook, notebook_bytes

DOC = Path(__file__).parents[1] / "docs" / "authoring.md"
TEXT = DOC.read_text(encoding="utf-8")
SECRET = b"authoring-doc-secret-0123456789"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, re.S)


def test_the_generated_tables_equal_the_code():
    assert sync(TEXT) == TEXT, "run: python -m exercises.questions.reference docs/authoring.md"
    table = re.search(r"<!-- catalogue:start -->\n(.*?)\n<!-- catalogue:end -->", TEXT, re.S).group(1)
    labels = re.findall(r"^\| `([a-z0-9_]+)` \|", table, re.M)
    assert labels == [label for label in CATALOGUE if CATALOGUE[label].quantity != "question"]
    assert set(DESCRIPTIONS) == set(_get_functions())


def test_the_first_example_checks_generates_and_grades_at_full_marks(tmp_path, clean_registry, capsys):
    question, assignment_toml = blocks("toml")[0], blocks("toml")[1]
    course = tmp_path / "course"
    (course / "questions").mkdir(parents=True)
    (course / "questions" / "strided_conv_size.toml").write_text(question, encoding="utf-8")
    assert check_main([str(course / "questions" / "strided_conv_size.toml"), "--seeds", "100"]) == 0
    assert "strided_conv_size: ok" in capsys.readouterr().out
    (course / "week5.toml").write_text(assignment_toml, encoding="utf-8")
    (course / "roster.csv").write_text("student_id\nalice\nbob\n")
    (course / "secret.txt").write_bytes(SECRET)
    assert (
        generate_main(
            [
                str(course / "week5.toml"),
                "--roster",
                str(course / "roster.csv"),
                "--secret-file",
                str(course / "secret.txt"),
                "--out",
                str(tmp_path / "build"),
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "build").rglob("*.ipynb"))) >= 4
    data = read_assignment_data(course / "week5.toml")
    assignment = parse_assignment(data)
    context = GradingContext(data, SECRET, limits=SandboxLimits(cell_timeout=5, total_timeout=60, cpu_seconds=60))
    for student in ("alice", "bob"):
        exercises = build_exercises(assignment, SECRET, student)
        result = grade_submission(
            notebook_bytes(filled_notebook(assignment, student, exercises)), f"{student}.ipynb", context
        )
        assert (result.status, result.score, result.max_score) == ("graded", 4, 4)
        assert exercises[0][1].family == "strided_conv_size"


def test_the_python_family_example_registers_a_family_that_keeps_the_contract(clean_registry):
    code = blocks("python")[0]
    exec(compile(code, "authoring.md", "exec"), {"__name__": "authoring_example"})  # the doc's own example
    assert "course_downsample" in families() and "course_doubled_stride" in CATALOGUE
    report = check_family("course_downsample", seeds=20, roster=50)
    assert report.ok, "\n".join(report.lines())
