"""``convmath examples``: copy the bundled example into a folder, to read, edit and use.

::

    convmath examples DIR [--force]

writes ``DIR/assignment.toml`` (the example assignment), ``DIR/roster.csv``
(three students) and ``DIR/secret.txt`` (a course secret: make your own for a
real course), plus any question files shipped with them. Then, for example::

    convmath generate DIR/assignment.toml --roster DIR/roster.csv --secret-file DIR/secret.txt --out week3
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from convmath.cli import output_folder

from ..bundled import copy_examples

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``convmath examples DIR``; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``convmath examples``.

    Returns
    -------
    int
        0 when the files were copied; argparse's 2 for malformed arguments.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> dest = Path(tempfile.mkdtemp()) / "course"
    >>> main([str(dest), "--quiet"])
    0
    >>> from exercises.bundled import EXAMPLE_FILES
    >>> sorted(p.name for p in dest.iterdir() if p.name in EXAMPLE_FILES)
    ['assignment.toml', 'roster.csv', 'secret.txt']
    """
    parser = argparse.ArgumentParser(
        prog="convmath examples",
        description="Copy the bundled example assignment, roster and course secret into a folder.",
        epilog="Then: convmath generate DIR/assignment.toml --roster DIR/roster.csv "
        "--secret-file DIR/secret.txt --out week3",
    )
    parser.add_argument("dest", metavar="DIR", help="folder to copy the example files into (created if missing)")
    parser.add_argument("--force", action="store_true", help="replace files of the same name already in the folder")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    dest = output_folder(args.dest, "DIR")
    written = copy_examples(dest, overwrite=args.force)
    if not args.quiet:
        for path in written:
            print(path)
    return 0
