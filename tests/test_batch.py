"""The batch: worker crashes and hangs become per-submission results; reruns skip what is graded.

The workers run a stand-in grading function here (``grade_fn``), so these
tests exercise the pool itself: dispatch, recording, crash isolation,
deadlines, skipping unchanged submissions, and the command line's arguments.
"""

from __future__ import annotations

import io
import os
import time
import tomllib
from pathlib import Path

import pytest
from _course import write_notebooks as write

from convmath.errors import ConvMathError
from grader.batch import collect, run_batch
from grader.cli.grade import Progress, build_parser
from grader.cli.grade import main as grade_main
from grader.grade import GradingContext
from grader.gradebook import Gradebook
from grader.results import SubmissionResult

DATA = tomllib.loads('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\npoints = 2\n')
CONTEXT = GradingContext(DATA, b"batch-secret-0123456789")


def fake_grade(context_data, source, data):
    """Stand-in worker function: the file's content says what to do."""
    text = data.decode()
    if text == "crash":
        os._exit(3)
    if text == "hang":
        time.sleep(60)
    if text == "raise":
        raise RuntimeError("boom")
    student = source.removesuffix(".ipynb")
    return SubmissionResult(source, "h-" + text, student, "file name", "b", "graded", float(len(text)), 10.0).to_dict()


def test_a_crashing_worker_fails_only_its_submission(tmp_path):
    files = write(tmp_path / "subs", a="ok", b="crash", c="okay", d="raise", e="fine!")
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, CONTEXT, book, jobs=2, grade_fn=fake_grade)
        current = {r.student: r for r in book.current("b")}
    assert (summary.graded, summary.failed) == (3, 2)
    assert {s: r.score for s, r in current.items() if r.status == "graded"} == {"a": 2.0, "c": 4.0, "e": 5.0}
    assert current["b"].status == "failed" and "the grading worker died (exit code 3)" in current["b"].message
    assert current["d"].status == "failed" and "RuntimeError: boom" in current["d"].message


def test_a_hanging_worker_is_killed_at_the_deadline(tmp_path):
    files = write(tmp_path / "subs", a="ok", b="hang", c="okay")
    start = time.monotonic()
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, CONTEXT, book, jobs=2, grade_fn=fake_grade, deadline=1.0)
        current = {r.student: r for r in book.current("b")}
    assert time.monotonic() - start < 20
    assert current["b"].status == "error" and "took longer than 1 s" in current["b"].message
    assert summary.graded == 2


def test_unchanged_submissions_are_skipped_unless_forced(tmp_path):
    files = write(tmp_path / "subs", a="ok", b="okay")
    with Gradebook(tmp_path / "g.db") as book:
        assert run_batch(files, CONTEXT, book, jobs=1, grade_fn=fake_grade).graded == 2
        again = run_batch(files, CONTEXT, book, jobs=1, grade_fn=fake_grade)
        assert (again.graded, again.unchanged) == (0, 2)
        (tmp_path / "subs" / "b.ipynb").write_text("changed")
        third = run_batch(files, CONTEXT, book, jobs=1, grade_fn=fake_grade)
        assert (third.graded, third.unchanged) == (1, 1)
        assert run_batch(files, CONTEXT, book, jobs=1, grade_fn=fake_grade, force=True).graded == 2
        assert {r.student: r.score for r in book.current("b")} == {"a": 2.0, "b": 7.0}


def test_oversized_files_are_refused_unread(tmp_path):
    files = write(tmp_path / "subs", big="x" * 2000)
    context = GradingContext(DATA, b"batch-secret-0123456789", max_bytes=1000)
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, context, book, grade_fn=fake_grade)
        (result,) = book.current("b")
    assert summary.errors == 1 and result.student == "big"
    assert "the limit is 0 MB" in result.message


def test_collect_walks_folders_and_skips_checkpoints_and_links(tmp_path):
    write(tmp_path / "subs", b="1", a="2")
    (tmp_path / "subs" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "subs" / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("old")
    (tmp_path / "subs" / "notes.txt").write_text("not a notebook")
    (tmp_path / "subs" / "link.ipynb").symlink_to(tmp_path / "subs" / "a.ipynb")
    (tmp_path / "extra.json").write_text("{}")
    files, warnings = collect([tmp_path / "subs", tmp_path / "extra.json"])
    assert [f.name for f in files] == ["a.ipynb", "b.ipynb", "extra.json"]
    assert warnings == [f"{tmp_path / 'subs' / 'link.ipynb'}: a symbolic link, skipped"]
    with pytest.raises(ConvMathError, match=r"submission='.*nowhere' does not exist"):
        collect([tmp_path / "nowhere"])


def test_progress_bar_draws_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(stream, width=10)
        bar(1, 4)
        bar(4, 4)
    assert pipe.getvalue() == ""
    assert tty.getvalue().startswith("\r[##........] 1/4") and tty.getvalue().endswith("\n")


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required"),
        (["x.ipynb", "--assignment", "a.toml"], "--secret-file"),
        (["x.ipynb", "--assignment", "a.toml", "--secret-file", "s", "--jobs", "two"], "invalid int value"),
    ],
    ids=["nothing", "no-secret", "jobs-not-int"],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    assert grade_main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_numbers_are_refused_before_grading(tmp_path):
    (tmp_path / "a.toml").write_text('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n')
    (tmp_path / "s").write_bytes(b"batch-secret-0123456789")
    argv = [
        str(tmp_path),
        "--assignment",
        str(tmp_path / "a.toml"),
        "--secret-file",
        str(tmp_path / "s"),
        "--jobs",
        "0",
    ]
    with pytest.raises(ConvMathError, match="--jobs=0 must be a positive integer"):
        grade_main(argv)


def test_parser_defaults():
    args = build_parser().parse_args(["subs", "--assignment", "a.toml", "--secret-file", "s"])
    assert (args.gradebook, args.out, args.jobs, args.force) == (Path("grades.db"), Path("grades"), None, False)


def test_the_same_file_name_twice_is_warned_about(tmp_path):
    write(tmp_path / "one", a="ok")
    write(tmp_path / "two", a="other")
    files, _ = collect([tmp_path / "one", tmp_path / "two"])
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, CONTEXT, book, jobs=1, grade_fn=fake_grade)
    assert summary.graded == 2
    assert summary.warnings == [f"a.ipynb was handed in 2 times ({files[0]}, {files[1]}); the one recorded last counts"]


def claim_grade(context_data, source, data):
    """Stand-in worker: ``x.ipynb`` holding ``for:a`` is identified (as by its metadata) as student a."""
    text = data.decode()
    if text.startswith("for:"):
        return SubmissionResult(source, "h-" + text, text[4:], "notebook metadata", "b", "graded", 0.0, 10.0).to_dict()
    return fake_grade(context_data, source, data)


@pytest.mark.parametrize("jobs", [1, 2], ids=["one-worker", "two-workers"])
def test_a_file_named_for_the_student_counts_over_one_claiming_them_in_its_metadata(tmp_path, jobs):
    # a.ipynb sorts first and is graded first: without a rule, zzz.ipynb (metadata: a) would replace it
    files = write(tmp_path / "subs", a="honest answers", zzz="for:a")
    for rerun in (False, True):
        with Gradebook(tmp_path / "g.db") as book:
            summary = run_batch(files, CONTEXT, book, jobs=jobs, grade_fn=claim_grade, force=False)
            current = {r.student: r for r in book.current("b")}
        assert summary.unchanged == (2 if rerun else 0)
        assert (current["a"].source, current["a"].score) == ("a.ipynb", float(len("honest answers")))
        assert summary.warnings == ["2 files are a's (a.ipynb, zzz.ipynb); a.ipynb counts (named for the student)"]


def test_a_later_batch_claiming_a_student_in_its_metadata_does_not_replace_their_named_file(tmp_path):
    with Gradebook(tmp_path / "g.db") as book:
        run_batch(write(tmp_path / "one", a="honest answers"), CONTEXT, book, jobs=1, grade_fn=claim_grade)
        for _ in range(2):  # graded, then handed in again unchanged: warned both times
            summary = run_batch(write(tmp_path / "two", zzz="for:a"), CONTEXT, book, jobs=1, grade_fn=claim_grade)
            flag = (
                "zzz.ipynb names a only in its notebook metadata, and a.ipynb is named for a (graded in an "
                "earlier batch): a.ipynb keeps a's grade; zzz.ipynb is recorded but does not count "
                "(to replace a.ipynb, hand the notebook in as a.ipynb)"
            )
            assert summary.warnings == [flag]
            assert {r.student: (r.source, r.score) for r in book.current("b")} == {"a": ("a.ipynb", 14.0)}
        ((_, _, stored),) = [h for h in book.history("b") if h[2].source == "zzz.ipynb"]
        assert stored.flags == (flag,) and stored.student == "a"  # recorded, with the flag, not current


def test_the_newest_metadata_only_file_replaces_an_older_one_with_a_warning(tmp_path):
    with Gradebook(tmp_path / "g.db") as book:
        run_batch(write(tmp_path / "one", old="for:c"), CONTEXT, book, jobs=1, grade_fn=claim_grade)
        summary = run_batch(write(tmp_path / "two", new="for:c"), CONTEXT, book, jobs=1, grade_fn=claim_grade)
        assert [r.source for r in book.current("b")] == ["new.ipynb"]
        assert summary.warnings == [
            "new.ipynb names c only in its notebook metadata; it replaces old.ipynb "
            "(graded earlier, also identified only by its metadata) as c's current submission"
        ]
        named = run_batch(write(tmp_path / "three", c="named at last"), CONTEXT, book, jobs=1, grade_fn=claim_grade)
        assert named.warnings == [] and [r.source for r in book.current("b")] == ["c.ipynb"]


def test_in_one_batch_the_metadata_only_file_is_flagged_too(tmp_path):
    files = write(tmp_path / "subs", a="honest answers", zzz="for:a")
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, CONTEXT, book, jobs=1, grade_fn=claim_grade)
    (zzz,) = [r for r in summary.results if r.source == "zzz.ipynb"]
    assert zzz.flags == (
        "zzz.ipynb names a only in its notebook metadata, and a.ipynb is named for a (in this "
        "batch): a.ipynb keeps a's grade; zzz.ipynb is recorded but does not count "
        "(to replace a.ipynb, hand the notebook in as a.ipynb)",
    )


def cli_args(tmp_path, subs, *extra):
    (tmp_path / "a.toml").write_text('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n')
    (tmp_path / "s").write_bytes(b"batch-secret-0123456789")
    return [
        str(subs),
        "--assignment",
        str(tmp_path / "a.toml"),
        "--secret-file",
        str(tmp_path / "s"),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        *extra,
    ]


def test_an_empty_submissions_folder_is_warned_about_and_is_not_a_failure(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "notes.txt").write_text("not a notebook")
    assert grade_main(cli_args(tmp_path, tmp_path / "subs")) == 0
    err = capsys.readouterr().err
    subs = tmp_path / "subs"
    assert f"convmath grade: warning: no notebooks (*.ipynb) were found in {subs}; nothing was graded" in err
    assert (tmp_path / "out" / "grades.csv").read_text() == "student,status,total,max,flags,overrides\n"
    assert "No notebooks found: a warning, exit status 0" in " ".join(build_parser().format_help().split())


def test_two_batches_a_blank_notebook_claiming_s002_in_its_metadata_keeps_s002s_full_marks(tmp_path, capsys):
    import csv
    import json

    from exercises.assignment import build_exercises, parse_assignment
    from grader.simulate import answer_parts, filled_notebook, notebook_bytes

    secret = b"batch-secret-0123456789"
    assignment = parse_assignment(
        tomllib.loads('id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n')
    )
    exercises = build_exercises(assignment, secret, "s002")
    key = filled_notebook(assignment, "s002", exercises)
    blank = filled_notebook(
        assignment, "s002", exercises, answers={(slot.id, part.key): None for slot, part in answer_parts(exercises)}
    )
    assert blank["metadata"]["convmath"]["student"] == "s002"
    total = sum(part.points for _, part in answer_parts(exercises))
    (tmp_path / "roster.csv").write_text("student_id\ns001\ns002\n")  # zzz is no student: its metadata names one
    for batch, name, nb in [("one", "s002.ipynb", key), ("two", "zzz.ipynb", blank)]:
        (tmp_path / batch).mkdir()
        (tmp_path / batch / name).write_bytes(notebook_bytes(nb))
        assert (
            grade_main(
                cli_args(
                    tmp_path,
                    tmp_path / batch,
                    "--jobs",
                    "1",
                    "--timeout",
                    "20",
                    "--roster",
                    str(tmp_path / "roster.csv"),
                )
            )
            == 0
        )
        rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
        assert list(rows) == ["s001", "s002"] and float(rows["s002"]["total"]) == total  # full marks, both times
    err = capsys.readouterr().err
    assert (
        "warning: zzz.ipynb names s002 only in its notebook metadata, and s002.ipynb is named for s002 "
        "(graded in an earlier batch): s002.ipynb keeps s002's grade"
    ) in err
    assert json.loads((tmp_path / "out" / "s002" / "results.json").read_text())["score"] == total
    assert [r["source"] for r in json.loads((tmp_path / "out" / "grades.json").read_text())] == ["", "s002.ipynb"]
    with Gradebook(tmp_path / "g.db") as book:
        stored = {r.source: r for _, _, r in book.history("b")}
    assert stored["zzz.ipynb"].score == 0 and stored["zzz.ipynb"].identified_by == "notebook metadata"
    assert any("s002.ipynb keeps s002's grade" in f for f in stored["zzz.ipynb"].flags)
