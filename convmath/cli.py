"""The ``convmath`` command: a thin dispatcher.

Each subcommand lives with the package that owns it and is named here by
module path; the module is imported only when its subcommand runs, so
``convmath shape`` never imports the grader and ``convmath grade`` never
imports the exercise renderers it does not use.

Every subcommand module exposes ``main(argv: list[str]) -> int``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from pathlib import Path

from .errors import ConvMathError

#: subcommand -> (module path, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "explain": ("convmath.commands.explain", "explain an output size step by step"),
    "shape": ("convmath.commands.shape", "print the shape/parameter/MAC table of a layer stack"),
    "generate": ("exercises.cli.generate", "generate per-student notebooks and keys for an assignment"),
    "preview": ("exercises.cli.preview", "print one exercise variant with its solution"),
    "check-question": ("exercises.cli.check_question", "self-test a question file or a family before students see it"),
    "grade": ("grader.cli.grade", "grade submitted notebooks into a gradebook and exports"),
    "demo": ("grader.cli.demo", "generate, simulate submissions and grade the bundled example"),
    "gradescope": ("grader.cli.gradescope", "build a Gradescope autograder zip for an assignment"),
    "check": ("grader.cli.check", "run a notebook and its check cell safely: cells that raise, answers' form"),
    "report": ("grader.cli.report", "write a class report: scores, weakest parts, misconceptions, flags"),
    "examples": ("exercises.cli.examples", "copy the bundled example assignment, roster and secret into a folder"),
}


def usage() -> str:
    """The help text: one line per subcommand of :data:`COMMANDS`.

    Returns
    -------
    str
        The usage line, the commands with their descriptions, and a hint
        to ask one command for its options.

    Examples
    --------
    >>> print(usage())
    usage: convmath [--version] COMMAND [ARGS...]
    <BLANKLINE>
    commands:
      explain   explain an output size step by step
      shape     print the shape/parameter/MAC table of a layer stack
    ...
    Run 'convmath COMMAND --help' for the options of one command.
    """
    width = max(map(len, COMMANDS))
    lines = ["usage: convmath [--version] COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run 'convmath COMMAND --help' for the options of one command."]
    return "\n".join(lines)


def output_folder(path: str | Path, option: str = "--out") -> Path:
    """Create the output folder ``path`` of a command, or explain in one line why it cannot be.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder given on the command line; it and its parents are created.
    option : str
        The option that named it, for the message (default ``--out``).

    Returns
    -------
    pathlib.Path
        ``path``, now an existing, writable folder.

    Raises
    ------
    ConvMathError
        When ``path`` is an existing file, or cannot be created or written
        (a parent is a file, permission denied, a read-only file system).

    Examples
    --------
    >>> import tempfile
    >>> tmp = Path(tempfile.mkdtemp())
    >>> output_folder(tmp / "week3" / "out").is_dir()
    True
    >>> _ = (tmp / "notes.txt").write_text("x")
    >>> output_folder(tmp / "notes.txt")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: --out=.../notes.txt is an existing file: give a folder (new or existing)
    >>> output_folder(tmp / "notes.txt" / "out", "--gradebook")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: --gradebook=.../notes.txt/out cannot be created: ... is a file, not a folder
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ConvMathError(f"{option}={folder} is an existing file: give a folder (new or existing)")
    for parent in folder.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConvMathError(f"{option}={folder} cannot be created: {parent} is a file, not a folder")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConvMathError(f"{option}={folder} cannot be created: {err.strerror or err}") from err
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConvMathError(f"{option}={folder} is not writable: give a folder you can write to")
    return folder


def _one_line_error(self: argparse.ArgumentParser, message: str) -> None:
    """argparse's ``error``, in one line: the message and where to find the usage."""
    self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


@contextlib.contextmanager
def _one_line_usage_errors():  # type: ignore[no-untyped-def]
    """While a subcommand runs, argparse reports a misuse in one line instead of usage + message."""
    saved = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = _one_line_error  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        argparse.ArgumentParser.error = saved  # type: ignore[method-assign]


def _version() -> str:
    from . import __version__

    return f"convmath {__version__}"


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``convmath COMMAND ...`` to the module that owns COMMAND.

    Parameters
    ----------
    argv : list[str], optional
        The arguments after ``convmath``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: the subcommand's, 0 for help, 2 for an unknown
        command, a :class:`~convmath.errors.ConvMathError`, a file that cannot
        be read or written, or a file that is not UTF-8 text (one line on
        stderr, ``convmath COMMAND: error: ...``, never a traceback).

    Examples
    --------
    Output size of a 3x3 convolution, stride 2, padding 1 on 8 pixels:
    (8 + 2*1 - 3) // 2 + 1 = 4.

    >>> main(["explain", "conv", "--n", "8", "--kernel-size", "3", "--stride", "2", "--padding", "1"])
    conv output size (convolution / cross-correlation)
    ...
      result  : 4
    0

    A stride of 0 is refused (message on stderr) with status 2, as is an
    unknown command:

    >>> main(["explain", "conv", "--n", "8", "--kernel-size", "3", "--stride", "0"])
    2
    >>> main(["no-such-command"])
    2
    >>> main(["--version"])  # doctest: +ELLIPSIS
    convmath 0...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        print(_version())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        what = "option" if name.startswith("-") else "command"
        print(
            f"convmath: unknown {what} {name!r}: the commands are {', '.join(COMMANDS)} (see 'convmath --help')",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        with _one_line_usage_errors():
            return int(module.main(rest) or 0)
    except SystemExit as stop:  # argparse's exit in a command that does not catch it
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    except ConvMathError as err:
        print(f"convmath {name}: error: {err}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as err:  # a file read as text is not UTF-8 (Latin-1, UTF-16, binary)
        print(
            f"convmath {name}: error: an input file is not UTF-8 text ({err.reason} at byte {err.start});"
            " save it as UTF-8",
            file=sys.stderr,
        )
        return 2
    except OSError as err:  # a path the user gave cannot be read or written
        where = f" {err.filename}" if err.filename else ""
        print(f"convmath {name}: error: cannot use{where}: {err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
