"""Manual overrides: set, listed, kept on regrading, marked in every export, cleared; the subcommands' parsing."""

from __future__ import annotations

import csv
import functools
import io
import json

import pytest

import grader.batch
from convmath.errors import ConvMathError
from grader.cli.grade import main as grade_main
from grader.gradebook import Gradebook
from grader.results import PartOutcome, SubmissionResult


def fake_grade(context_data, source, data):
    """Stand-in worker: two parts, q1.a right when the file says so, q1.b always wrong."""
    right = data.decode() == "right"
    parts = (
        PartOutcome("q1", "a", "out_size", 2.0 if right else 0.0, 2.0, "correct" if right else "incorrect", ""),
        PartOutcome("q1", "b", "shape", 0.0, 1.0, "incorrect", "wrong shape"),
    )
    return SubmissionResult(
        source,
        "h",
        source.removesuffix(".ipynb"),
        "file name",
        "b",
        "graded",
        sum(p.score for p in parts),
        3.0,
        parts=parts,
    ).to_dict()


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A graded class of two; returns ``run(*argv) -> exit status`` for ``convmath grade``."""
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "s001.ipynb").write_text("right")
    (tmp_path / "subs" / "s002.ipynb").write_text("wrong")
    (tmp_path / "roster.csv").write_text(
        "student_id,name,email\ns001,Li Wei,li@x\ns002,Wang Fang,wf@x\ns003,Zhang Min,\n"
    )
    (tmp_path / "a.toml").write_text('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n')
    (tmp_path / "s").write_bytes(b"batch-secret-0123456789")
    monkeypatch.setattr(grader.batch, "run_batch", functools.partial(grader.batch.run_batch, grade_fn=fake_grade))
    common = ["--gradebook", str(tmp_path / "g.db")]
    grading = [
        str(tmp_path / "subs"),
        "--assignment",
        str(tmp_path / "a.toml"),
        "--secret-file",
        str(tmp_path / "s"),
        "--roster",
        str(tmp_path / "roster.csv"),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        "--jobs",
        "1",
        *common,
    ]

    def run(*argv: str) -> int:
        if argv and argv[0] in ("override", "overrides"):
            return grade_main([*argv, *common])
        return grade_main([*argv, *grading])

    assert run() == 0
    return run


def csv_rows(tmp_path):
    return {row["student"]: row for row in csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text()))}


def test_an_override_is_marked_in_every_export_and_survives_regrading(tmp_path, course, capsys):
    assert course("override", "s002", "q1.a", "1.5", "--reason", "right formula, typo", "--by", "lee") == 0
    assert "s002 q1.a: 0 → 1.5 points, set by lee" in capsys.readouterr().out
    for argv in ((), ("--force",)):  # exports rewritten; then every notebook graded again
        assert course(*argv) == 0
        row = csv_rows(tmp_path)["s002"]
        assert (row["q1.a"], row["total"], row["name"], row["email"]) == ("1.5", "1.5", "Wang Fang", "wf@x")
        assert "q1.a: 0 → 1.5 points, set by lee at " in row["overrides"] and "right formula, typo" in row["overrides"]
        feedback = (tmp_path / "out" / "s002" / "feedback.md").read_text()
        assert "## Points changed by the instructor" in feedback and "right formula, typo" in feedback
        gradescope = json.loads((tmp_path / "out" / "s002" / "results.json").read_text())
        assert gradescope["score"] == 1.5 and "set by lee" in gradescope["output"]
        dump = {r["student"]: r for r in json.loads((tmp_path / "out" / "grades.json").read_text())}
        assert dump["s002"]["score"] == 1.5 and dump["s002"]["overrides"]
        assert dump["s003"]["status"] == "absent" and csv_rows(tmp_path)["s003"]["status"] == "absent"
    assert "override s002: q1.a" in capsys.readouterr().err
    with Gradebook(tmp_path / "g.db") as book:  # the stored grading itself is untouched
        assert book.current("b", student="s002", overrides=False)[0].score == 0.0


def test_overrides_are_listed_and_cleared_with_their_history(tmp_path, course, capsys):
    course("override", "s001", "q1.b", "1", "--reason", "shape accepted", "--by", "lee")
    course("override", "s002", "q1.b", "0.5", "--reason", "half", "--by", "kim")
    capsys.readouterr()
    assert course("overrides") == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1].split()[0] for line in listed] == ["s001", "s002"]
    assert course("override", "s001", "q1.b", "--clear", "--by", "lee") == 0
    course()
    assert csv_rows(tmp_path)["s001"]["q1.b"] == "0" and csv_rows(tmp_path)["s001"]["overrides"] == ""
    capsys.readouterr()
    course("overrides", "--history")
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 3 and "cleared by lee" in history[-1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (("s002", "q1.a", "1"), "--reason='' must say why"),
        (("s002", "q9.z", "1", "--reason", "x"), "PART='q9.z' is not a part of b; use one of q1.a, q1.b"),
        (("s002", "q1.a", "3", "--reason", "x"), "POINTS=3 must be at least 0 and at most 2"),
        (("s002", "q1.a", "-1", "--reason", "x"), "POINTS=-1 must be at least 0"),
        (("s003", "q1.a", "1", "--reason", "x"), "STUDENT='s003' has nothing recorded for b"),
        (("s002", "q1.a", "--clear"), "s002 has no override of q1.a in b to clear"),
    ],
    ids=["no-reason", "unknown-part", "above-max", "negative", "absent-student", "nothing-to-clear"],
)
def test_bad_overrides_are_refused_with_the_argument_named(course, argv, message):
    with pytest.raises(ConvMathError, match=message):
        course("override", *argv)


def test_points_and_clear_together_or_neither_is_a_usage_error(course, capsys):
    assert course("override", "s002", "q1.a", "1", "--clear", "--reason", "x") == 2
    assert course("override", "s002", "q1.a") == 2
    assert "give POINTS or --clear" in capsys.readouterr().err


def test_a_submissions_folder_named_override_is_still_usable(tmp_path, course, monkeypatch):
    folder = tmp_path / "override"
    folder.mkdir()
    (folder / "s003.ipynb").write_text("right")
    monkeypatch.chdir(tmp_path)
    assert course("./override") == 0
    assert csv_rows(tmp_path)["s003"]["status"] == "graded"
