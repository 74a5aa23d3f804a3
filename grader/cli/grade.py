"""``convmath grade``: grade submitted notebooks into a gradebook and exports.

::

    convmath grade SUBMISSIONS... --assignment A.toml --secret-file S \\
        --gradebook grades.db --out DIR [--jobs N] [--force] [--roster R.csv]
        [--scheduler tcp://HOST:8786 | --scheduler local:N]

With ``--scheduler`` the submissions are graded on a Dask distributed cluster
(``pip install 'convmath[dask]'``; see ``docs/distributed.md``) instead of the
local process pool; the gradebook, exports, progress bar and summary are the same.

SUBMISSIONS are notebooks or folders of them (``<student_id>.ipynb``).
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

Exit status: 0 when the batch ran (whatever the submissions held, none
included), 1 when the grader failed on some submission (rerun to retry them),
2 for bad arguments or an unreadable assignment, secret or gradebook.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from convmath.errors import ConvMathError

__all__ = ["main", "build_parser", "Progress"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``convmath grade``.

    Examples
    --------
    Only the submissions, the assignment and the secret are required; the
    rest has defaults (10 s per cell, 60 s per notebook, 1024 MB):

    >>> args = build_parser().parse_args(["subs/", "--assignment", "hw1.toml", "--secret-file", "secret.txt"])
    >>> args.submissions, str(args.gradebook), args.cell_timeout, args.timeout, args.memory_mb
    (['subs/'], 'grades.db', 10.0, 60.0, 1024)
    """
    parser = argparse.ArgumentParser(
        prog="convmath grade",
        description="Grade submitted notebooks safely into a SQLite gradebook, then write the exports.",
        epilog="A file named <student_id>.ipynb is that student's; a file identified only by its notebook "
               "metadata never replaces it (recorded and warned about). No notebooks found: a warning, "
               "exit status 0. Exit status 1 only when the grader failed on a submission (rerun to retry), "
               "2 for bad arguments.",
    )
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSIONS", help="notebooks or folders of notebooks")
    parser.add_argument("--assignment", required=True, type=Path, help="the assignment TOML file")
    parser.add_argument("--secret-file", required=True, type=Path, help="the course secret")
    parser.add_argument("--gradebook", type=Path, default=Path("grades.db"), help="SQLite gradebook (default: grades.db)")
    parser.add_argument("--out", type=Path, default=Path("grades"), help="folder of the exports (default: grades)")
    parser.add_argument("--roster", type=Path, help="roster CSV: only its ids are accepted; absent students listed")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: number of cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on Dask: tcp://HOST:8786 (a running cluster) or local:N (N worker processes)")
    parser.add_argument("--force", action="store_true", help="grade again submissions already in the gradebook")
    parser.add_argument("--cell-timeout", type=float, default=10.0, help="seconds per cell (default: 10)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per submission (default: 60)")
    parser.add_argument("--memory-mb", type=int, default=1024, help="address space per sandbox in MB (default: 1024)")
    parser.add_argument("--max-size-mb", type=float, default=20.0, help="refuse larger files (default: 20)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--reveal", choices=("never", "diagnosis", "always"), default=None,
                        help="what feedback reveals (default: the assignment's reveal, else always): "
                             "never = correct or not; diagnosis = the mistake, not the expected value")
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
    from exercises.assignment import load_assignment, load_roster, read_secret

    from ..grade import GradingContext
    from ..sandbox import SandboxLimits

    load_assignment(args.assignment)  # every check, with the file named in the messages
    data = tomllib.loads(args.assignment.read_text(encoding="utf-8"))
    roster = None
    if args.roster is not None:
        roster = frozenset(s.student_id for s in load_roster(args.roster))
    for name in ("jobs", "memory_mb"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConvMathError(f"--{name.replace('_', '-')}={value} must be a positive integer")
    if not args.max_size_mb > 0:
        raise ConvMathError(f"--max-size-mb={args.max_size_mb} must be a positive number")
    limits = SandboxLimits(
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        cpu_seconds=max(args.timeout, args.cell_timeout),
        memory_bytes=args.memory_mb << 20,
    )
    return GradingContext(
        assignment_data=data,
        secret=read_secret(args.secret_file),
        roster=roster,
        limits=limits,
        max_bytes=int(args.max_size_mb * 2**20),
        reveal=args.reveal,
    )


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
    0 submissions: 0 graded, 0 refused with a reason, 0 unchanged in ... s; 0 students in .../out/grades.csv, mean 0.00 / 32
    0
    ['grades.csv', 'grades.json']
    >>> "no notebooks (*.ipynb) were found" in err.getvalue()
    True
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    from convmath.cli import output_folder

    from ..batch import collect, run_batch
    from ..export import write_exports
    from ..gradebook import Gradebook
    from ..results import error_result

    context = _context(args)
    executor = None
    if args.scheduler is not None:
        from ..distributed import DaskExecutor, require_distributed

        if args.jobs is not None:
            raise ConvMathError(f"--jobs={args.jobs} sizes the local process pool; with --scheduler the "
                                "cluster's workers grade (use --scheduler local:N for N local workers)")
        executor = DaskExecutor(args.scheduler)
        require_distributed()
    output_folder(args.out)  # before any grading: a bad --out is a one-line error, not a lost batch
    output_folder(args.gradebook.parent, "--gradebook")
    if args.gradebook.is_dir():
        raise ConvMathError(f"--gradebook={args.gradebook} is a folder: give a file name such as grades.db")
    files, skipped = collect(args.submissions)
    if not files:
        skipped.append(f"no notebooks (*.ipynb) were found in {', '.join(map(str, args.submissions))}; "
                       "nothing was graded (the exports show the gradebook as it was)")
    progress = Progress(sys.stderr) if not args.quiet else None
    with Gradebook(args.gradebook) as book:
        try:
            summary = run_batch(files, context, book, jobs=args.jobs or os.cpu_count(), force=args.force,
                                progress=progress, executor=executor)
        except KeyboardInterrupt:
            print(f"\nconvmath grade: interrupted; what was graded is in {args.gradebook}; "
                  "run the same command again to finish", file=sys.stderr)
            return 130
        current = book.current(context.assignment.id)
    if context.roster is not None:
        present = {r.student for r in current}
        current += [
            error_result("", "", assignment=context.assignment.id, max_score=context.max_score,
                         message="no submission was found", student=sid, identified_by="")
            for sid in sorted(context.roster - present)
        ]
    locale = context.locale
    write_exports(current, args.out, title=context.assignment.title[locale], locale=locale)
    for warning in skipped + summary.warnings + (executor.warnings if executor else []):
        print(f"convmath grade: warning: {warning}", file=sys.stderr)
    for result in summary.results:
        if result.status != "graded":
            print(f"convmath grade: {result.source}: {result.status}: {result.message}", file=sys.stderr)
    graded = [r for r in current if r.status == "graded"]
    mean = sum(r.score for r in graded) / len(graded) if graded else 0.0
    print(f"{summary.line()}; {len(current)} students in {args.out / 'grades.csv'}, mean {mean:.2f} / {context.max_score:g}")
    return 1 if summary.failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
