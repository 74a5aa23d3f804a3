"""A batch graded against the wrong assignment or secret is refused before anything is recorded.

Real notebooks are generated in the test (for one assignment and secret)
and handed to a batch configured with another; the workers run a stand-in
grading function, since a refused batch never reaches them.
"""

from __future__ import annotations

import functools
import tomllib

import pytest

import grader.batch
from exercises.assignment import build_exercises, parse_assignment
from grader.batch import MismatchError, run_batch
from grader.cli.grade import main as grade_main
from grader.grade import GradingContext
from grader.gradebook import Gradebook
from grader.mismatch import judge
from grader.results import SubmissionResult
from grader.simulate import filled_notebook, notebook_bytes

WEEK3 = tomllib.loads(
    'id = "week3"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n'
    '[[slots]]\nid = "q2"\nfamily = "pool_output_size"\n'
)
WEEK4 = dict(WEEK3, id="week4")
SECRET, OTHER = b"the-right-secret-0123", b"a-wrong-secret-456789"


def fake_grade(context_data, source, data):
    return SubmissionResult(
        source, "h", source.removesuffix(".ipynb"), "file name", context_data["assignment"]["id"], "graded", 1.0, 2.0
    ).to_dict()


def write_class(folder, students, *, data=WEEK3, secret=SECRET):
    folder.mkdir(exist_ok=True)
    assignment = parse_assignment(data)
    for student in students:
        nb = filled_notebook(assignment, student, build_exercises(assignment, secret, student))
        (folder / f"{student}.ipynb").write_bytes(notebook_bytes(nb))
    return sorted(folder.iterdir())


CLASS = [f"s{i:03d}" for i in range(1, 10)]


@pytest.mark.parametrize(
    "context, message",
    [
        (GradingContext(WEEK3, OTHER), r"9 of 9 notebooks were generated from another secret .* --secret-file right\?"),
        (
            GradingContext(WEEK4, SECRET),
            (
                r"9 of 9 notebooks name assignment 'week3' in their metadata, not 'week4': "
                r"is --assignment right\?"
            ),
        ),
    ],
    ids=["wrong-secret", "wrong-assignment"],
)
def test_a_mismatched_batch_records_nothing_unless_accepted(tmp_path, context, message):
    files = write_class(tmp_path / "subs", CLASS)  # more than the sample: every notebook is counted
    with Gradebook(tmp_path / "g.db") as book:
        with pytest.raises(MismatchError, match=message):
            run_batch(files, context, book, jobs=1, grade_fn=fake_grade)
        assert book.count() == 0
        summary = run_batch(files, context, book, jobs=1, grade_fn=fake_grade, accept_mismatch=True)
        assert summary.graded == len(CLASS) and book.count() == len(CLASS)


def test_a_few_odd_notebooks_do_not_stop_the_batch(tmp_path):
    write_class(tmp_path / "subs", ["s001", "s002", "s003"])
    write_class(tmp_path / "subs", ["s004"], secret=OTHER)  # one student kept an old copy
    write_class(tmp_path / "subs", ["s005"], data=dict(WEEK3, id="week2"))
    (tmp_path / "subs" / "s006.ipynb").write_text("not a notebook")  # says nothing either way
    files = sorted((tmp_path / "subs").iterdir())
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, GradingContext(WEEK3, SECRET), book, jobs=1, grade_fn=fake_grade)
    assert summary.graded == 6


def test_an_edited_prompt_is_tampering_not_a_wrong_secret(tmp_path):
    assignment = parse_assignment(WEEK3)
    nb = filled_notebook(assignment, "s001", build_exercises(assignment, SECRET, "s001"))
    next(c for c in nb["cells"] if c.get("id") == "q1-prompt")["source"] += "\nI changed this."
    assert judge(notebook_bytes(nb), GradingContext(WEEK3, SECRET))[0] == "ok"


def test_the_command_stops_with_exit_status_3_and_says_why(tmp_path, monkeypatch, capsys):
    subs = tmp_path / "subs"
    write_class(subs, ["s001", "s002", "s003"])
    (tmp_path / "week4.toml").write_text(
        'id = "week4"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n'
        '[[slots]]\nid = "q2"\nfamily = "pool_output_size"\n'
    )
    (tmp_path / "secret.txt").write_bytes(SECRET)
    monkeypatch.setattr(grader.batch, "run_batch", functools.partial(grader.batch.run_batch, grade_fn=fake_grade))
    argv = [
        str(subs),
        "--assignment",
        str(tmp_path / "week4.toml"),
        "--secret-file",
        str(tmp_path / "secret.txt"),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        "--jobs",
        "1",
    ]
    assert grade_main(argv) == 3
    err = capsys.readouterr().err
    assert "stopped, nothing was recorded: 3 of 3 notebooks name assignment 'week3'" in err
    assert not (tmp_path / "out" / "grades.csv").exists()  # no exports either
    with Gradebook(tmp_path / "g.db") as book:
        assert book.count() == 0
    assert grade_main([*argv, "--accept-mismatch"]) == 0
