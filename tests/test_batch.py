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


def write(folder: Path, **files: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.ipynb").write_text(text)
    return collect([folder])[0]


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
    argv = [str(tmp_path), "--assignment", str(tmp_path / "a.toml"), "--secret-file", str(tmp_path / "s"),
            "--jobs", "0"]
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
