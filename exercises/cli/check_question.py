"""``convmath check-question``: the self-test of a question file or a family, before students see it.

::

    convmath check-question FILE_OR_FAMILY [--seeds N] [--difficulty D] [--option key=value ...]
                            [--roster N] [--no-mutation]

Draws N variants per difficulty and prints what it measured and one line per
failure (see :mod:`exercises.testing`); the exit status is 0 when the
question keeps the contract, 1 when it does not, 2 for a bad argument or a
question file that does not load (one line naming the field).
"""

from __future__ import annotations

import sys

from ._args import Parser, family_from_arg, parse_option

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run ``convmath check-question``; returns the exit status.

    Parameters
    ----------
    argv : list[str], optional
        The arguments after ``convmath check-question``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 (no failure), 1 (failures, one reason per line).

    Examples
    --------
    >>> from pathlib import Path
    >>> question = Path(__file__).parents[2] / "examples" / "questions" / "transposed_upsample.toml"
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     status = main([str(question), "--seeds", "20", "--roster", "30"])
    >>> status, out.getvalue().splitlines()[0]
    (0, 'transposed_upsample: ok')
    >>> main(["conv_macs", "--seeds", "0"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: --seeds=0 must be a positive integer
    """
    from ..testing import check_family

    parser = Parser(
        prog="convmath check-question", description="Self-test a question file (or a family) over many variants."
    )
    parser.add_argument("target", metavar="FILE_OR_FAMILY", help="a question file (.toml) or a family name")
    parser.add_argument("--seeds", type=int, default=200, help="variants drawn per difficulty (default 200)")
    parser.add_argument("--difficulty", type=int, action="append", help="a difficulty to check (default: all)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a family option")
    parser.add_argument("--roster", type=int, default=300, help="students of the collision measure (default 300)")
    parser.add_argument("--no-mutation", action="store_true", help="skip the (slower) mutation test")
    args = parser.parse_args(argv)
    from convmath.errors import ConvMathError

    for name in ("seeds", "roster"):
        value = getattr(args, name)
        if value < (1 if name == "seeds" else 0):
            kind = "a positive" if name == "seeds" else "a non-negative"
            raise ConvMathError(f"--{name}={value} must be {kind} integer")
    family = family_from_arg(args.target)
    report = check_family(
        family,
        seeds=args.seeds,
        difficulties=args.difficulty,
        options=dict(parse_option(text) for text in args.option),
        roster=args.roster,
        mutation=not args.no_mutation,
    )
    sys.stdout.write("\n".join(report.lines()) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
