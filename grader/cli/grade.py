"""``convmath grade``: grade submitted notebooks into a gradebook and exports.

::

    convmath grade SUBMISSIONS... --assignment A.toml --secret-file S \\
        --gradebook grades.db --out DIR [--jobs N] [--force] [--roster R.csv] [--accept-mismatch]
        [--scheduler tcp://HOST:8786 | --scheduler local:N]
    convmath grade override STUDENT PART POINTS --reason TEXT     (or --clear)
    convmath grade overrides

With ``--scheduler`` the submissions are graded on a Dask distributed cluster
(``pip install 'convmath[dask]'``; see ``docs/distributed.md``) instead of the
local process pool; the gradebook, exports, progress bar and summary are the same.

SUBMISSIONS are notebooks, folders of them, or ``.zip`` archives (read in
place), as learning platforms hand them over: ``<student_id>.ipynb``,
per-student folders, Canvas and Moodle bulk downloads, Gradescope exports
(see :mod:`grader.identify`; the roster's ``canvas_id``/``moodle_id``
columns map platform ids). A folder really named ``override`` or
``overrides`` is given as ``./override``.
Writes ``DIR/grades.csv``, ``DIR/grades.json``, ``DIR/<student>/results.json``
(Gradescope) and ``DIR/<student>/feedback.md`` from the gradebook, so the
exports always show every student's current submission, graded now or before.

A student is identified by the file name ``<student_id>.ipynb``, else by the
notebook's metadata; a file identified only by its metadata never replaces a
grade that came from a file named for the student (in this run or an earlier
one): it is recorded, flagged and warned about, naming both files. Among
metadata-only files the newest counts.

When SUBMISSIONS hold no notebook at all (an empty folder), a warning says so,
nothing is graded, and the exports are still written from the gradebook; the
exit status is 0, since the grader did not fail.

When most notebooks to grade disagree with the assignment (their metadata
names another) or with the secret (their prompts differ from the ones
regenerated for the same students), nothing is recorded and the command
stops with exit status 3, saying which it probably is; ``--accept-mismatch``
grades them anyway.

The summary names every flagged student with the reason, every absent
roster student, and how the files were identified (each file's line in
``OUT/identified.csv``).

Exit status: 0 when the batch ran (whatever the submissions held, none
included), 1 when the grader failed on some submission (rerun to retry them),
2 for bad arguments or an unreadable assignment, secret or gradebook, 3 when
the batch was refused as a mismatch.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from convmath.errors import ConvMathError

if TYPE_CHECKING:
    from ..batch import BatchSummary
    from ..identify import Roster
    from ..results import SubmissionResult

__all__ = ["main", "build_parser", "Progress"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``convmath grade``.

    Examples
    --------
    Only the submissions, the assignment and the secret are required; the
    rest has defaults (the time per cell derived from the answer key when
    unset, 60 s per notebook, 1024 MB):

    >>> args = build_parser().parse_args(["subs/", "--assignment", "hw1.toml", "--secret-file", "secret.txt"])
    >>> args.submissions, str(args.gradebook), args.cell_timeout, args.timeout, args.memory_mb
    (['subs/'], 'grades.db', None, 60.0, 1024)
    """
    parser = argparse.ArgumentParser(
        prog="convmath grade",
        description="Grade submitted notebooks safely into a SQLite gradebook, then write the exports.",
        epilog="A file named <student_id>.ipynb is that student's; a file identified only by its notebook "
        "metadata never replaces it (recorded and warned about). No notebooks found: a warning, "
        "exit status 0. Exit status 1 only when the grader failed on a submission (rerun to retry), "
        "2 for bad arguments, 3 when most notebooks disagree with the assignment or secret. "
        "Manual points: 'convmath grade override STUDENT PART POINTS --reason TEXT' "
        "(--clear to end one), listed by 'convmath grade overrides'; a folder named override: ./override.",
    )
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSIONS", help="notebooks or folders of notebooks")
    parser.add_argument("--assignment", required=True, type=Path, help="the assignment TOML file")
    parser.add_argument("--secret-file", required=True, type=Path, help="the course secret")
    parser.add_argument(
        "--gradebook", type=Path, default=Path("grades.db"), help="SQLite gradebook (default: grades.db)"
    )
    parser.add_argument("--out", type=Path, default=Path("grades"), help="folder of the exports (default: grades)")
    parser.add_argument("--roster", type=Path, help="roster CSV: only its ids are accepted; absent students listed")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: number of cores)")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on Dask: tcp://HOST:8786 (a running cluster) or local:N (N worker processes)",
    )
    parser.add_argument("--force", action="store_true", help="grade again submissions already in the gradebook")
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=None,
        help="seconds per cell (default: derived from the answer key's cells: 20x its slowest cell, at least 2; "
        "10 for a cell that imports a package such as scipy or torch)",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per submission (default: 60)")
    parser.add_argument("--memory-mb", type=int, default=1024, help="address space per sandbox in MB (default: 1024)")
    parser.add_argument("--max-size-mb", type=float, default=20.0, help="refuse larger files (default: 20)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--reveal",
        choices=("never", "diagnosis", "always"),
        default=None,
        help="what feedback reveals (default: the assignment's reveal, else always): "
        "never = correct or not; diagnosis = the mistake, not the expected value",
    )
    parser.add_argument(
        "--accept-mismatch",
        action="store_true",
        help="grade even when most notebooks disagree with the assignment or the secret",
    )
    return parser


class Progress:
    """A one-line progress bar on a terminal (nothing when ``stream`` is not a TTY)."""

    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, result: object = None) -> None:
        """Redraw the bar after ``done`` of ``total`` submissions."""
        if not self.enabled or total <= 0:
            return
        filled = self.width * done // total
        elapsed = time.monotonic() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total}  {rate:.1f}/s  eta {eta:.0f} s ")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _context(args: argparse.Namespace):  # -> GradingContext
    from exercises.assignment import load_assignment, load_roster, read_assignment_data, read_secret

    from ..grade import GradingContext
    from ..sandbox import SandboxLimits

    load_assignment(args.assignment)  # every check, with the file named in the messages
    data = read_assignment_data(args.assignment)  # question files inlined: workers need no files
    roster = None
    if args.roster is not None:
        roster = frozenset(s.student_id for s in load_roster(args.roster))
    for name in ("jobs", "memory_mb"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConvMathError(f"--{name.replace('_', '-')}={value} must be a positive integer")
    if not args.max_size_mb > 0:
        raise ConvMathError(f"--max-size-mb={args.max_size_mb} must be a positive number")
    if args.cell_timeout is not None and not args.cell_timeout > 0:
        raise ConvMathError(f"--cell-timeout={args.cell_timeout} must be a positive number of seconds")
    limits = SandboxLimits(
        cell_timeout=args.cell_timeout if args.cell_timeout is not None else 10.0,
        total_timeout=args.timeout,
        cpu_seconds=max(args.timeout, args.cell_timeout or 10.0),
        memory_bytes=args.memory_mb << 20,
    )
    context = GradingContext(
        assignment_data=data,
        secret=read_secret(args.secret_file),
        roster=roster,
        limits=limits,
        max_bytes=int(args.max_size_mb * 2**20),
        reveal=args.reveal,
    )
    if args.cell_timeout is None:  # derived from what the key's own cells need (the flag overrides it)
        from ..grade import with_key_cell_timeout

        context = with_key_cell_timeout(context)
    return context


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``convmath grade``; returns the exit status.

    Examples
    --------
    A missing required option is an argument error (exit status 2, message
    on stderr):

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     main(["subs/"])
    2
    >>> print(err.getvalue().splitlines()[-1])
    convmath grade: error: the following arguments are required: --assignment, --secret-file

    An empty folder of submissions grades nothing (a warning, exit status 0)
    but still writes the exports:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from grader.cli.demo import examples_dir
    >>> ex = examples_dir()
    >>> with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(err):
    ...     main([tmp, "--assignment", str(ex / "assignment.toml"), "--secret-file", str(ex / "secret.txt"),
    ...           "--gradebook", f"{tmp}/grades.db", "--out", f"{tmp}/out"])  # doctest: +ELLIPSIS
    ...     sorted(p.name for p in Path(tmp, "out").iterdir())
    0 submissions: 0 graded, 0 refused with a reason, 0 unchanged in ... s;
    0 students in .../grades.csv, mean 0 / 32
    0
    ['grades.csv', 'grades.json', 'identified.csv']
    >>> "no notebooks (*.ipynb) were found" in err.getvalue()
    True
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("override", "overrides"):
        from .overrides import main as overrides_main

        return overrides_main(argv[0], argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    from convmath.cli import output_folder

    from ..batch import MismatchError, run_batch
    from ..export import fmt_points, write_exports
    from ..gradebook import Gradebook
    from ..identify import Roster, collect_submissions

    context = _context(args)
    executor = None
    if args.scheduler is not None:
        from ..distributed import DaskExecutor, require_distributed

        if args.jobs is not None:
            raise ConvMathError(
                f"--jobs={args.jobs} sizes the local process pool; with --scheduler the "
                "cluster's workers grade (use --scheduler local:N for N local workers)"
            )
        executor = DaskExecutor(args.scheduler)
        require_distributed()
    output_folder(args.out)  # before any grading: a bad --out is a one-line error, not a lost batch
    output_folder(args.gradebook.parent, "--gradebook")
    if args.gradebook.is_dir():
        raise ConvMathError(f"--gradebook={args.gradebook} is a folder: give a file name such as grades.db")
    roster = Roster.load(args.roster) if args.roster is not None else None
    collection = collect_submissions(args.submissions, roster=roster)
    skipped = collection.warnings
    if not collection.items:
        skipped.append(
            f"no notebooks (*.ipynb) were found in {', '.join(map(str, args.submissions))}; "
            "nothing was graded (the exports show the gradebook as it was)"
        )
    progress = Progress(sys.stderr) if not args.quiet else None
    with collection, Gradebook(args.gradebook) as book:
        try:
            summary = run_batch(
                collection.items,
                context,
                book,
                jobs=args.jobs or os.cpu_count(),
                force=args.force,
                progress=progress,
                accept_mismatch=args.accept_mismatch,
                executor=executor,
            )
        except MismatchError as err:
            print(f"convmath grade: stopped, nothing was recorded: {err}", file=sys.stderr)
            return 3
        except KeyboardInterrupt:
            print(
                f"\nconvmath grade: interrupted; what was graded is in {args.gradebook}; "
                "run the same command again to finish",
                file=sys.stderr,
            )
            return 130
        current = book.current(context.assignment.id)
    locale = context.locale
    write_exports(current, args.out, title=context.assignment.title[locale], locale=locale, roster=roster)
    _write_identified(args.out / "identified.csv", summary.identified)
    _report(summary, current, skipped + (executor.warnings if executor else []), roster, args.out)
    graded = [r for r in current if r.status == "graded"]
    mean = sum(r.score for r in graded) / len(graded) if graded else 0.0
    absent = len(roster.ids - {r.student for r in current}) if roster is not None else 0
    print(
        f"{summary.line()}; {len(current) + absent} students in {args.out / 'grades.csv'}"
        + (f" ({absent} absent)" if absent else "")
        + f", mean {fmt_points(mean)} / {fmt_points(context.max_score)}"
    )
    return 1 if summary.failed else 0


def _write_identified(path: Path, identified: Sequence[tuple[str, str | None, str]]) -> None:
    """``OUT/identified.csv``: every file of the batch, whose it was found to be, and how."""
    import csv
    import io

    from ..export import write_text_atomic

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["file", "student", "identified by"])
    for source, student, how in sorted(identified, key=lambda i: i[0]):
        writer.writerow([source, student or "", how])
    write_text_atomic(path, buf.getvalue())


def _report(
    summary: BatchSummary, current: Sequence[SubmissionResult], skipped: Sequence[str], roster: Roster | None, out: Path
) -> None:
    """What an instructor must look at, on stderr: warnings, refusals, flags, absences, identification."""
    from collections import Counter

    from ..safetext import cap, for_terminal

    err = sys.stderr
    for warning in [*skipped, *summary.warnings]:
        print(f"convmath grade: warning: {for_terminal(warning)}", file=err)
    for result in summary.results:
        if result.status != "graded":
            status = "FAILED (a grader bug, please report it)" if result.status == "failed" else result.status
            print(f"convmath grade: {for_terminal(result.source)}: {status}: {for_terminal(result.message)}", file=err)
    methods = Counter(how.split(" (")[0] for _, student, how in summary.identified)
    if methods:
        counts = ", ".join(f"{n} by {how}" for how, n in methods.most_common())
        print(f"convmath grade: identified: {counts} (each file: {out / 'identified.csv'})", file=err)
        unusual = [i for i in summary.identified if i[2] != "file name"]
        for source, student, how in sorted(unusual)[:40]:
            print(f"convmath grade:   {for_terminal(source)} -> {student or '?'}: {for_terminal(how)}", file=err)
        if len(unusual) > 40:
            print(f"convmath grade:   ... and {len(unusual) - 40} more in {out / 'identified.csv'}", file=err)
    counted = {(r.student, r.source) for r in current}
    for result in summary.results:  # flagged files of this batch that do not count (a copy, a claim)
        if result.flags and (result.student, result.source) not in counted:
            print(
                f"convmath grade: FLAGGED {for_terminal(result.source)} (recorded, does not count): "
                f"{for_terminal(cap('; '.join(result.flags), 600))}",
                file=err,
            )
    for result in current:
        if result.flags:
            print(
                f"convmath grade: FLAGGED {result.student}: {for_terminal(cap('; '.join(result.flags), 600))}", file=err
            )
        for line in result.overrides:
            print(f"convmath grade: override {result.student}: {for_terminal(line)}", file=err)
    if roster is not None:
        missing = sorted(roster.ids - {r.student for r in current})
        if missing:
            print(f"convmath grade: absent (no submission): {', '.join(missing)}", file=err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
