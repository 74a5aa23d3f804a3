"""``convmath gradescope``: build the Gradescope autograder zip of one assignment.

::

    convmath gradescope ASSIGNMENT.toml --secret-file SECRET --out autograder.zip [--roster ROSTER.csv]

Upload the zip as a Gradescope programming assignment's autograder
(see ``docs/gradescope.md``). It holds ``setup.sh``, ``run_autograder``, the
assignment (and the question files it names), the secret, the roster if given,
and a convmath wheel built from this source tree (or ``--wheel``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``convmath gradescope``.

    Examples
    --------
    >>> args = build_parser().parse_args(["hw1.toml", "--secret-file", "secret.txt"])
    >>> str(args.assignment), str(args.out), args.roster
    ('hw1.toml', 'autograder.zip', None)
    """
    parser = argparse.ArgumentParser(
        prog="convmath gradescope",
        description="Build a Gradescope autograder zip that grades one assignment's notebooks with convmath.",
        epilog="The zip holds the course secret: upload it only to Gradescope. Without --roster a student's "
        "id is their Gradescope student id (sid).",
    )
    parser.add_argument("assignment", type=Path, metavar="ASSIGNMENT", help="the assignment TOML file")
    parser.add_argument("--secret-file", required=True, type=Path, help="the course secret")
    parser.add_argument("--out", type=Path, default=Path("autograder.zip"), help="the zip (default: autograder.zip)")
    parser.add_argument("--roster", type=Path, help="roster CSV mapping Gradescope users (sid, email, name) to ids")
    parser.add_argument("--wheel", type=Path, help="a convmath wheel to ship (default: built from this source)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``convmath gradescope``; returns the exit status.

    Examples
    --------
    >>> import contextlib, io, tempfile, zipfile
    >>> from grader.cli.demo import examples_dir
    >>> ex = examples_dir()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     wheel = Path(tmp, "convmath-0.1.0-py3-none-any.whl"); _ = wheel.write_bytes(b"PK")
    ...     main([str(ex / "assignment.toml"), "--secret-file", str(ex / "secret.txt"),
    ...           "--roster", str(ex / "roster.csv"), "--out", f"{tmp}/ag.zip", "--wheel", str(wheel)])
    ...     "roster.csv" in zipfile.ZipFile(f"{tmp}/ag.zip").namelist()
    wrote .../ag.zip: setup.sh, run_autograder, assignment/assignment.toml, secret.txt, roster.csv,
    wheels/convmath-0.1.0-py3-none-any.whl
    0
    True
    >>> with contextlib.redirect_stderr(io.StringIO()):
    ...     main(["hw1.toml"])
    2
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    from convmath.cli import output_folder
    from convmath.errors import ConvMathError

    from ..gradescope import CONFIG, build_bundle

    if args.out.is_dir():
        raise ConvMathError(f"--out={args.out} is a folder: give a file name such as autograder.zip")
    output_folder(args.out.parent, "the folder of --out")  # --out names the zip; its folder is made if need be
    names = build_bundle(args.assignment, args.secret_file, args.out, roster=args.roster, wheel=args.wheel)
    shown = ["setup.sh", "run_autograder"] + [n for n in names if n not in ("setup.sh", "run_autograder", CONFIG)]
    print(f"wrote {args.out}: {', '.join(shown)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
