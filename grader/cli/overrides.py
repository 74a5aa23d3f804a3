"""``convmath grade override`` and ``convmath grade overrides``: points set by hand, with who, when and why.

::

    convmath grade override STUDENT PART POINTS --reason TEXT [--by NAME] [--gradebook G] [--assignment A.toml]
    convmath grade override STUDENT PART --clear [--reason TEXT]
    convmath grade overrides [--history] [--gradebook G] [--assignment A.toml]

An override is stored in the gradebook (never changed, only followed by a
newer one), kept when the notebook is graded again, and shown in every
export the next time ``convmath grade`` writes them (nothing is regraded for
that: run the same grading command again). The assignment is read from
``--assignment`` or, when the gradebook holds one assignment, from it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from convmath.errors import ConvMathError

__all__ = ["main"]


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"convmath grade {command}", description=__doc__.split("\n\n")[0])
    if command == "override":
        parser.add_argument("student", metavar="STUDENT", help="the student id")
        parser.add_argument("part", metavar="PART", help="the part's column in grades.csv, e.g. q1.a")
        parser.add_argument("points", metavar="POINTS", nargs="?", type=float, help="the points to give")
        parser.add_argument("--reason", default="", help="why (required to set an override)")
        parser.add_argument("--clear", action="store_true", help="end the override in force instead")
        parser.add_argument("--by", default=None, help="who sets it (default: the login name)")
    else:
        parser.add_argument("--history", action="store_true", help="every override ever set or cleared")
    parser.add_argument(
        "--gradebook", type=Path, default=Path("grades.db"), help="SQLite gradebook (default: grades.db)"
    )
    parser.add_argument("--assignment", type=Path, help="the assignment TOML file (default: the gradebook's only one)")
    return parser


def _assignment_id(args: argparse.Namespace, book: object) -> str:
    if args.assignment is not None:
        try:
            data = tomllib.loads(args.assignment.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConvMathError(f"--assignment={str(args.assignment)!r} cannot be read ({err})") from None
        if not isinstance(data.get("id"), str):
            raise ConvMathError(f"--assignment={str(args.assignment)!r} has no id")
        return data["id"]
    ids = book.assignments()  # type: ignore[attr-defined]
    if len(ids) != 1:
        raise ConvMathError(
            f"--gradebook={str(args.gradebook)!r} holds {len(ids)} assignments "
            f"({', '.join(ids) or 'none'}); name one with --assignment"
        )
    return str(ids[0])


def _who(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "unknown"


def main(command: str, argv: Sequence[str]) -> int:
    """Run ``convmath grade override`` or ``convmath grade overrides``; returns the exit status.

    Parameters
    ----------
    command
        ``"override"`` or ``"overrides"``.
    argv
        The arguments after the command.

    Examples
    --------
    Setting an override needs a reason:

    >>> import contextlib, io, tempfile
    >>> from grader.gradebook import Gradebook
    >>> from grader.results import PartOutcome, SubmissionResult
    >>> tmp = tempfile.mkdtemp()
    >>> with Gradebook(f"{tmp}/g.db") as book:
    ...     _ = book.record(SubmissionResult("s1.ipynb", "h", "s1", "file name", "w1", "graded", 0.0, 2.0,
    ...         parts=(PartOutcome("q1", "a", "n", 0.0, 2.0, "incorrect", "wrong"),)), assignment_version="v")
    >>> main("override", ["s1", "q1.a", "2", "--gradebook", f"{tmp}/g.db"])
    Traceback (most recent call last):
    convmath.errors.ConvMathError: --reason='' must say why the points are changed
    >>> main("override", ["s1", "q1.a", "2", "--reason", "right idea", "--by", "lee", "--gradebook", f"{tmp}/g.db"])
    ... # doctest: +ELLIPSIS
    w1: s1 q1.a: 0 → 2 points, set by lee at ...: right idea
    run the grading command again to write the exports (nothing is graded again)
    0
    """
    from ..gradebook import Gradebook
    from ..overrides import describe
    from ..safetext import for_terminal

    parser = _parser(command)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as stop:
        return int(stop.code or 0)
    if not Path(args.gradebook).exists():
        raise ConvMathError(f"--gradebook={str(args.gradebook)!r} does not exist; grade the notebooks first")
    with Gradebook(args.gradebook) as book:
        assignment = _assignment_id(args, book)
        if command == "overrides":
            rows = book.overrides(assignment, history=args.history)
            for o in rows:
                what = (
                    describe(o)
                    if o.points is not None
                    else (f"{o.part}: cleared by {o.set_by} at {o.set_at}" + (f": {o.reason}" if o.reason else ""))
                )
                print(for_terminal(f"{assignment}: {o.student} {what}"))
            if not rows:
                print(f"{assignment}: no overrides" + (" ever set" if args.history else " in force"))
            return 0
        if args.clear == (args.points is not None):
            parser.print_usage(sys.stderr)
            print(f"{parser.prog}: error: give POINTS or --clear (not both)", file=sys.stderr)
            return 2
        (current,) = book.current(assignment, student=args.student, overrides=False) or (None,)
        if current is None:
            raise ConvMathError(
                f"STUDENT={args.student!r} has nothing recorded for {assignment} in "
                f"{args.gradebook}: grade their notebook first"
            )
        maxima = book.part_maxima(assignment)
        if args.part not in maxima:
            raise ConvMathError(
                f"PART={args.part!r} is not a part of {assignment}; use one of {', '.join(maxima) or '(none recorded)'}"
            )
        old = next((p.score for p in current.parts if p.column == args.part), 0.0)
        o = book.set_override(
            assignment,
            args.student,
            args.part,
            None if args.clear else args.points,
            reason=args.reason,
            set_by=_who(args),
            max_points=maxima[args.part],
        )
        text = describe(o, old) if o.points is not None else f"{o.part}: override cleared by {o.set_by}"
        print(for_terminal(f"{assignment}: {o.student} {text}"))
        print("run the grading command again to write the exports (nothing is graded again)")
    return 0
