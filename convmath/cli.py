"""The ``convmath`` command: a thin dispatcher.

Each subcommand lives with the package that owns it and is named here by
module path; the module is imported only when its subcommand runs, so
``convmath shape`` never imports the grader and ``convmath grade`` never
imports the exercise renderers it does not use.

Every subcommand module exposes ``main(argv: list[str]) -> int``.
"""

from __future__ import annotations

import importlib
import sys

from .errors import ConvMathError

#: subcommand -> (module path, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "explain": ("convmath.commands.explain", "explain an output size step by step"),
    "shape": ("convmath.commands.shape", "print the shape/parameter/MAC table of a layer stack"),
    "generate": ("exercises.cli.generate", "generate per-student notebooks and keys for an assignment"),
    "preview": ("exercises.cli.preview", "print one exercise variant with its solution"),
    "grade": ("grader.cli.grade", "grade submitted notebooks into a gradebook and exports"),
    "demo": ("grader.cli.demo", "generate, simulate submissions and grade the bundled example"),
    "gradescope": ("grader.cli.gradescope", "build a Gradescope autograder zip for an assignment"),
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
    usage: convmath COMMAND [ARGS...]
    <BLANKLINE>
    commands:
      explain   explain an output size step by step
      shape     print the shape/parameter/MAC table of a layer stack
    ...
    Run 'convmath COMMAND --help' for the options of one command.
    """
    width = max(map(len, COMMANDS))
    lines = ["usage: convmath COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run 'convmath COMMAND --help' for the options of one command."]
    return "\n".join(lines)


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
        command or a :class:`~convmath.errors.ConvMathError` (its message is
        printed to stderr as ``convmath COMMAND: error: ...``).

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
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"convmath: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except ConvMathError as err:
        print(f"convmath {name}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
