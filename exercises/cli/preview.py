"""``convmath preview``: one exercise variant with its solution, or the list of families.

::

    convmath preview FAMILY_OR_FILE --seed N [--locale zh] [--difficulty D] [--option key=value ...]
    convmath preview --list

``FAMILY_OR_FILE`` is a family name, ``pkg.module:NAME`` or a question file
(``.toml``; with ``--list``, it is loaded and listed with the rest). The
variant is printed as Markdown: the prompt, the setup code, each part with
the answer code of the key, the worked solution, and what each misconception
this variant can diagnose would answer. ``--list`` prints
one family a line: name, title, difficulties and options with their defaults.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from convmath.errors import ConvMathError

from ..model import LOCALES, Exercise
from ..notebook import answer_code, part_markdown, solution_source
from ..notebook import points_label as _fmt_points

__all__ = ["main", "render_preview", "list_line"]


def render_preview(exercise: Exercise, locale: str = "en") -> str:
    """The Markdown that ``convmath preview`` prints for one exercise.

    Parameters
    ----------
    exercise : Exercise
        A generated variant.
    locale : str, optional
        ``"en"`` (default) or ``"zh"``.

    Returns
    -------
    str
        A heading naming family, difficulty, seed and points, the prompt,
        each part's answer with its misconceptions, and the solution.

    Examples
    --------
    >>> from exercises.families import generate
    >>> print(render_preview(generate("conv_output_size", 0)).splitlines()[0])
    # Output size of a convolution (conv_output_size, difficulty 1, seed 0, 1 point)
    """
    from convmath.misconceptions import CATALOGUE

    from ..families import families

    family = families()[exercise.family]
    head = {"en": "seed", "zh": "种子"}[locale]
    lines = [
        f"# {family.title.get(locale, exercise.family)} ({exercise.family}, "
        f"difficulty {exercise.difficulty}, {head} {exercise.seed}, {_fmt_points(exercise.points, locale)})",
        "",
        exercise.prompt[locale],
        "",
    ]
    if exercise.setup_code:
        lines += ["```python", exercise.setup_code, "```", ""]
    answer, solution, wrong = {"en": ("Answer", "Solution", "Misconceptions"), "zh": ("答案", "解答", "常见错误")}[
        locale
    ]
    for part in exercise.parts:
        lines += [
            part_markdown(part, locale),
            "",
            f"*{answer}* ({part.answer.kind}):",
            "",
            "```python",
            solution_source(part),
            "```",
            "",
        ]
        for item in part.wrong_answers:
            title = CATALOGUE[item.label].title[locale] if item.label in CATALOGUE else item.label
            try:
                shown = answer_code(part.answer, item.value).split(" = ", 1)[1]
            except (ConvMathError, ValueError, TypeError):
                shown = repr(item.value)
            lines.append(f"- {wrong}: `{item.label}` ({title}) → `{' '.join(shown.split())}`")
        if part.wrong_answers:
            lines.append("")
    lines += [f"## {solution}", ""]
    steps = exercise.solution[locale]
    lines += [f"{i}. " + step.replace("\n", "\n   ") for i, step in enumerate(steps, 1)]
    return "\n".join(lines).rstrip() + "\n"


def list_line(name: str, family: Any, locale: str = "en", width: int = 0) -> str:
    """One line of ``convmath preview --list``: name, title, difficulties, options with defaults.

    Examples
    --------
    >>> from exercises.families import families
    >>> list_line("conv_macs", families()["conv_macs"])
    'conv_macs  Multiply-accumulates of a convolution (difficulty 1,2,3)'
    >>> from exercises.questions import load_question
    >>> from pathlib import Path
    >>> q = load_question(Path(__file__).parents[2] / "examples" / "questions" / "receptive_dilated.toml")
    >>> list_line(q.id, q.family())
    'receptive_dilated  Receptive field of dilated convolutions (difficulty 1,2; options: max_layers=4)'
    """
    levels = ",".join(map(str, family.difficulties))
    options = (
        "; options: " + ", ".join(f"{key}={json.dumps(value)}" for key, value in family.options.items())
        if family.options
        else ""
    )
    return f"{name:<{width}}  {family.title.get(locale, name)} (difficulty {levels}{options})"


def main(argv: list[str] | None = None) -> int:
    """Run ``convmath preview``; returns the exit status.

    Parameters
    ----------
    argv : list[str], optional
        The arguments after ``convmath preview``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0; a bad argument raises :class:`~convmath.errors.ConvMathError`
        (``convmath`` prints it on one line and exits with status 2).

    Examples
    --------
    ``--list`` prints one family a line, name first (in registration
    order, which depends on import order, hence the search):

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     status = main(["--list"])
    >>> status, [line.split(None, 1)[1] for line in out.getvalue().splitlines() if line.startswith("conv_output_size ")]
    (0, ['Output size of a convolution (difficulty 1,2,3)'])

    Variant 1 of the convolution-vs-correlation family, whose answer is
    the valid cross-correlation of x = [0, 3, 0, 3, 3] with w = [3, -1, 2]
    (first entry 0*3 + 3*(-1) + 0*2 = -3):

    >>> main(["convolution_vs_correlation", "--seed", "1"])
    # Convolution vs cross-correlation (convolution_vs_correlation, difficulty 1, seed 1, 4 points)
    ...
    corr = np.array([-3, 15, 3])
    ...
    0

    A question file, in Chinese (3 layers, kernel 6, dilation 3:
    1 + 3 * 3 * (6 - 1) = 46):

    >>> from pathlib import Path
    >>> main([str(Path(__file__).parents[2] / "examples/questions/receptive_dilated.toml"), "--seed", "3",
    ...       "--locale", "zh"])
    # 膨胀卷积的感受野 (receptive_dilated, difficulty 1, 种子 3, 2分)
    ...
    rf = 46
    ...
    0
    """
    from ..families import families, generate
    from ._args import Parser, family_from_arg, parse_option

    parser = Parser(prog="convmath preview", description="Print one exercise variant with its solution.")
    parser.add_argument("family", nargs="?", metavar="FAMILY_OR_FILE", help="family name (see --list) or question file")
    parser.add_argument("--list", action="store_true", help="list the families, one per line, name first")
    parser.add_argument("--seed", type=int, default=0, help="variant seed (default 0)")
    parser.add_argument("--difficulty", type=int, default=1, help="difficulty level (default 1)")
    parser.add_argument("--locale", choices=LOCALES, default="en", help="language (default en)")
    parser.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="a family option (repeatable)"
    )
    args = parser.parse_args(argv)
    registry = families()
    if args.list:
        if args.family:  # a question file (or pkg.module:NAME) given with --list is listed too, with its options
            family_from_arg(args.family)
        width = max(map(len, registry))
        for name, family in registry.items():
            print(list_line(name, family, args.locale, width))
        return 0
    if not args.family:
        parser.error("give a FAMILY_OR_FILE or --list")
    options = dict(parse_option(text) for text in args.option)
    family = family_from_arg(args.family)
    exercise = generate(family.name, args.seed, difficulty=args.difficulty, options=options)
    sys.stdout.write(render_preview(exercise, args.locale))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
