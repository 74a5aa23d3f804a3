"""``convmath demo``: the whole product in one command, on the bundled example.

::

    convmath demo [--out DIR] [--jobs N]

1. generates the bundled example assignment for the bundled roster
   (``DIR/notebooks/<id>.ipynb`` and answer keys ``DIR/keys/<id>.ipynb``);
2. writes simulated submissions to ``DIR/submissions/``: a correct one (the
   key's answers), one with a typical misconception, a hostile one (it
   patches ``numpy.allclose``, answers with objects whose ``__eq__`` always
   says yes, tries to read the course secret and calls ``os._exit``), and a
   copy of the first handed in as ``s005 (2).ipynb`` (flagged, never
   credited to s005, who stays absent);
3. grades them with ``convmath grade`` into ``DIR/grades.db`` and ``DIR/grades/``;
4. prints the grade table;
5. writes the class report (``convmath report``) to ``DIR/report/index.html``
   and prints its path.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from convmath.cli import output_folder
from exercises.bundled import examples_dir

__all__ = ["main", "examples_dir", "HOSTILE_CELL"]

#: The hostile submission's extra cell (``{secret}`` is the secret file's path).
HOSTILE_CELL = """\
import os
import numpy
numpy.allclose = lambda *args, **kwargs: True        # make every comparison pass
numpy.array_equal = lambda *args, **kwargs: True
try:
    print(open({secret!r}).read())                    # steal the course secret
except OSError as err:
    print("no secret for me:", err)
os._exit(0)                                           # and crash the grader
"""

_LIAR = """\
class Liar:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
{name} = Liar()"""


def _write_submissions(examples: Path, out: Path) -> list[tuple[str, str]]:
    from exercises.assignment import build_exercises, load_assignment, load_roster, read_secret
    from exercises.notebook import key_notebook, student_notebook, write_notebook

    from ..simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

    assignment = load_assignment(examples / "assignment.toml")
    roster = load_roster(examples / "roster.csv")
    secret = read_secret(examples / "secret.txt")
    for folder in ("notebooks", "keys", "submissions"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    built = {}
    for student in roster:
        exercises = build_exercises(assignment, secret, student.student_id)
        built[student.student_id] = exercises
        write_notebook(
            student_notebook(assignment, student.student_id, exercises, student_name=student.name),
            out / "notebooks" / f"{student.student_id}.ipynb",
        )
        write_notebook(
            key_notebook(assignment, student.student_id, exercises, student_name=student.name),
            out / "keys" / f"{student.student_id}.ipynb",
        )
    plan: list[tuple[str, str]] = []
    ids = [s.student_id for s in roster]
    if ids:
        nb = filled_notebook(assignment, ids[0], built[ids[0]])
        plan.append((ids[0], "correct (the key's answers)"))
        (out / "submissions" / f"{ids[0]}.ipynb").write_bytes(notebook_bytes(nb))
    if len(ids) > 1:
        exercises = built[ids[1]]
        slot, part = next(((s, p) for s, p in answer_parts(exercises) if p.wrong_answers), answer_parts(exercises)[0])
        answers = {(slot.id, part.key): wrong_answer_source(part, part.wrong_answers[0])} if part.wrong_answers else {}
        label = part.wrong_answers[0].label if part.wrong_answers else "none available"
        nb = filled_notebook(assignment, ids[1], exercises, answers=answers)
        plan.append((ids[1], f"misconception {label!r} in {slot.id}.{part.key}"))
        (out / "submissions" / f"{ids[1]}.ipynb").write_bytes(notebook_bytes(nb))
    if len(ids) > 2:
        exercises = built[ids[2]]
        answers = {(s.id, p.key): _LIAR.format(name=p.answer.name) for s, p in answer_parts(exercises)}
        cell = HOSTILE_CELL.format(secret=str((examples / "secret.txt").resolve()))
        nb = filled_notebook(assignment, ids[2], exercises, answers=answers, extra_cells=[(None, cell)])
        plan.append((ids[2], "hostile (patches numpy, lying __eq__, reads the secret, os._exit)"))
        (out / "submissions" / f"{ids[2]}.ipynb").write_bytes(notebook_bytes(nb))
    if len(ids) > 4:  # a copy of the first notebook under a name that only looks like another student's
        copy = f"{ids[4]} (2).ipynb"
        plan.append((copy.removesuffix(".ipynb"), f"a copy of {ids[0]}'s notebook: flagged, credited to nobody"))
        (out / "submissions" / copy).write_bytes((out / "submissions" / f"{ids[0]}.ipynb").read_bytes())
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``convmath demo``; returns the exit status of the grading step.

    Examples
    --------
    A bad argument returns exit status 2 (argparse's message goes to stderr)
    without writing anything; ``main(["--out", DIR])`` runs the whole demo
    (several seconds, so not run here):

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     main(["--jobs", "two"])
    2
    >>> print(err.getvalue().splitlines()[-1])
    convmath demo: error: argument --jobs: invalid int value: 'two'
    """
    parser = argparse.ArgumentParser(
        prog="convmath demo",
        description="The whole product in one command, on the bundled example: generate the notebooks and keys, "
        "write three simulated submissions (correct, one typical misconception, hostile) and grade them.",
        epilog="Get the example's files with 'convmath examples DIR'.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("convmath-demo"),
        help="folder to work in, created if missing (default: convmath-demo)",
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: number of cores)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    from ..gradebook import Gradebook
    from .grade import main as grade_main

    examples = examples_dir()
    out: Path = output_folder(args.out)
    for stale in ("grades", "submissions"):
        shutil.rmtree(out / stale, ignore_errors=True)
    (out / "grades.db").unlink(missing_ok=True)
    plan = _write_submissions(examples, out)
    print(f"generated notebooks and keys for the roster in {out}/notebooks and {out}/keys")
    for student, what in plan:
        print(f"  submission {student}.ipynb: {what}")
    argv_grade = [
        str(out / "submissions"),
        "--assignment",
        str(examples / "assignment.toml"),
        "--secret-file",
        str(examples / "secret.txt"),
        "--roster",
        str(examples / "roster.csv"),
        "--gradebook",
        str(out / "grades.db"),
        "--out",
        str(out / "grades"),
        "--cell-timeout",
        "5",
        "--timeout",
        "30",
    ]
    if args.jobs:
        argv_grade += ["--jobs", str(args.jobs)]
    status = grade_main(argv_grade)
    from exercises.assignment import load_assignment, load_roster

    from ..export import fmt_points
    from ..messages import shorten
    from ..safetext import for_terminal

    assignment_id = load_assignment(examples / "assignment.toml").id
    with Gradebook(out / "grades.db") as book:
        results = book.current(assignment_id)

    graded = {r.student for r in results}
    print()
    print(f"{'student':<12} {'score':>9}  {'status':<8} notes")
    for result in results:
        labels = sorted({p.misconception for p in result.parts if p.misconception})
        extra = result.message if result.status != "graded" else next(iter(result.flags + result.notes), "")
        note = "; ".join([f"misconception {label}" for label in labels] + ([extra] if extra else []))
        print(
            f"{result.student:<12} {fmt_points(result.score):>4} / {fmt_points(result.max_score):<3} "
            f"{result.status:<8} {for_terminal(shorten(note, 160))}"
        )
    for student in load_roster(examples / "roster.csv"):
        if student.student_id not in graded:
            print(f"{student.student_id:<12} {'-':>9}  {'absent':<8} no submission")
    print(f"\nfeedback: {out}/grades/<student>/feedback.md   class table: {out}/grades/grades.csv")
    from .report import main as report_main

    report_status = report_main(
        [
            "--gradebook",
            str(out / "grades.db"),
            "--assignment",
            str(examples / "assignment.toml"),
            "--roster",
            str(examples / "roster.csv"),
            "--out",
            str(out / "report"),
        ]
    )
    return status or report_status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
