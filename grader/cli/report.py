"""``convmath report``: what a graded class got wrong, on one page.

::

    convmath report --gradebook grades.db --assignment A.toml --out report/ [--locale en|zh] [--roster R.csv]

writes ``report/index.html`` (self-contained: open it in any browser, print
it) and ``report/summary.md``, and prints their paths.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from convmath.errors import ConvMathError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``convmath report``.

    Examples
    --------
    >>> build_parser().parse_args(["--gradebook", "g.db", "--assignment", "a.toml"]).out
    PosixPath('report')
    """
    parser = argparse.ArgumentParser(
        prog="convmath report",
        description="Write a class report (index.html and summary.md) from a gradebook: scores, the weakest "
        "parts, the misconceptions the class showed, flagged submissions and overrides.",
    )
    parser.add_argument("--gradebook", type=Path, required=True, help="the gradebook file that convmath grade wrote")
    parser.add_argument("--assignment", type=Path, required=True, help="the assignment file (TOML) that was graded")
    parser.add_argument(
        "--out", type=Path, default=Path("report"), help="folder to write the report to (default: report)"
    )
    parser.add_argument(
        "--locale",
        choices=("en", "zh"),
        default=None,
        help="language of the report (default: the assignment's first locale)",
    )
    parser.add_argument(
        "--roster", type=Path, default=None, help="the class roster (CSV), to count students who handed nothing in"
    )
    parser.add_argument("--no-plots", action="store_true", help="leave out the plots (they need matplotlib)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``convmath report``; 0 on success, 2 on a usage error.

    Examples
    --------
    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     main(["--gradebook", "/nonexistent/grades.db", "--assignment", "/nonexistent/a.toml"])
    2
    >>> print(err.getvalue().strip())
    convmath report: error: gradebook='/nonexistent/grades.db' does not exist
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    try:
        if not args.gradebook.is_file():
            raise ConvMathError(f"gradebook={str(args.gradebook)!r} does not exist")
        if args.out.exists() and not args.out.is_dir():
            raise ConvMathError(f"out={str(args.out)!r} is a file; give a folder to write the report to")
        from exercises.assignment import load_assignment, load_roster
        from exercises.families import families

        from ..report import write_report

        assignment = load_assignment(args.assignment)
        locale = args.locale or assignment.locales[0]
        roster = [s.student_id for s in load_roster(args.roster)] if args.roster else None
        known = families()
        questions = {
            slot.id: known[slot.family].title.get(locale, slot.family) if slot.family in known else slot.family
            for slot in assignment.slots
        }
        page, summary = write_report(
            args.gradebook,
            assignment.id,
            args.out,
            locale=locale,
            title=assignment.title.get(locale, assignment.id),
            course=assignment.course,
            roster=roster,
            questions=questions,
            plots=not args.no_plots,
        )
    except (ConvMathError, OSError) as err:
        print(f"convmath report: error: {err}", file=sys.stderr)
        return 2
    print(f"report: {page}\nsummary: {summary}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
