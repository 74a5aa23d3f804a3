"""``convmath generate``: per-student notebooks, keys and problem sheets for an assignment.

::

    convmath generate ASSIGNMENT.toml --roster ROSTER.csv --secret-file SECRET --out DIR

writes, for every student of the roster,

- ``DIR/students/<id>.ipynb`` (hand these out) and ``DIR/keys/<id>.ipynb``;
- ``DIR/sheets/<id>.<locale>.md`` and ``.tex`` (problem sheets, one per locale
  of the assignment) and ``DIR/keys/<id>.<locale>.md`` and ``.tex`` (keys);
- ``.pdf`` next to each ``.tex`` when a TeX engine is on ``PATH``
  (``--pdf auto``, the default), always (``--pdf always``: an error without
  an engine) or never (``--pdf never``).

Keep ``DIR/keys`` and the secret away from students. Students are processed
in parallel (``--jobs``, default the number of cores; the processes are
forked after the families are loaded and warmed, so no worker re-imports).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from convmath.cli import output_folder
from convmath.errors import ConvMathError

from ..assignment import Assignment, Student, build_exercises, load_assignment, load_roster, read_secret
from ..notebook import key_notebook, student_notebook, write_notebook
from ..render import compile_pdf, latex_sheet, markdown_sheet, tex_engine

__all__ = ["main", "generate_all", "write_student"]


def write_student(
    out: Path, assignment: Assignment, secret: bytes, student: Student, *, sheets: bool = True, pdf: bool = False
) -> list[Path]:
    """Build one student's exercises and write their notebook, key and sheets; return the paths written.

    The folders ``students``, ``keys`` and ``sheets`` under ``out`` must
    exist (:func:`generate_all` makes them).

    Examples
    --------
    >>> import tempfile
    >>> from exercises.assignment import Student, parse_assignment
    >>> a = parse_assignment({"id": "w1", "title": "Week 1", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = Path(tmp.name)
    >>> for folder in ("students", "keys", "sheets"):
    ...     (out / folder).mkdir()
    >>> paths = write_student(out, a, b"0123456789abcdef", Student("s001", name="Li Wei"))
    >>> [p.relative_to(out).as_posix() for p in paths]
    ['students/s001.ipynb', 'keys/s001.ipynb',
     'sheets/s001.en.md', 'sheets/s001.en.tex', 'keys/s001.en.md', 'keys/s001.en.tex']
    >>> [p.name for p in write_student(out, a, b"0123456789abcdef", Student("s002"), sheets=False)]
    ['s002.ipynb', 's002.ipynb']
    >>> tmp.cleanup()
    """
    exercises = build_exercises(assignment, secret, student.student_id)
    sid, name = student.student_id, student.name
    written = [
        write_notebook(
            student_notebook(assignment, sid, exercises, student_name=name), out / "students" / f"{sid}.ipynb"
        ),
        write_notebook(key_notebook(assignment, sid, exercises, student_name=name), out / "keys" / f"{sid}.ipynb"),
    ]
    if not sheets:
        return written
    for locale in assignment.locales:
        for folder, key in (("sheets", False), ("keys", True)):
            md = out / folder / f"{sid}.{locale}.md"
            text = markdown_sheet(assignment, sid, exercises, locale, key=key, student_name=name)
            md.write_text(text, encoding="utf-8")
            tex = out / folder / f"{sid}.{locale}.tex"
            tex.write_text(latex_sheet(assignment, sid, exercises, locale, key=key, markdown=text), encoding="utf-8")
            written += [md, tex]
            if pdf:
                written.append(compile_pdf(tex, locale=locale))
    return written


_STATE: dict[str, object] = {}


def _work(chunk: Sequence[Student]) -> int:
    """Worker: write a chunk of students (the state is inherited from the forked parent)."""
    count = 0
    for student in chunk:
        count += len(
            write_student(
                _STATE["out"],
                _STATE["assignment"],
                _STATE["secret"],
                student,  # type: ignore[arg-type]
                sheets=bool(_STATE["sheets"]),
                pdf=bool(_STATE["pdf"]),
            )
        )
    return count


def generate_all(
    assignment: Assignment,
    students: Sequence[Student],
    secret: bytes,
    out: str | Path,
    *,
    sheets: bool = True,
    pdf: bool = False,
    jobs: int = 1,
) -> int:
    """Write every student's files under ``out``; return the number of files written.

    Parameters
    ----------
    assignment, students, secret
        From :func:`~exercises.assignment.load_assignment`,
        :func:`~exercises.assignment.load_roster`,
        :func:`~exercises.assignment.read_secret`.
    out
        Output folder (created).
    sheets
        Also write the Markdown and LaTeX sheets and keys.
    pdf
        Also typeset each ``.tex`` (needs a TeX engine).
    jobs
        Worker processes (forked; 1 runs in this process).

    Examples
    --------
    >>> import tempfile
    >>> from exercises.assignment import Student, parse_assignment
    >>> a = parse_assignment({"id": "w1", "title": "Week 1", "locales": ["en", "zh"],
    ...                       "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> students = [Student("s001"), Student("s002")]
    >>> tmp = tempfile.TemporaryDirectory()
    >>> generate_all(a, students, b"0123456789abcdef", Path(tmp.name) / "w1")
    20
    >>> files = [f for f in (Path(tmp.name) / "w1").rglob("*") if f.is_file()]
    >>> len(files) == 2 * (2 + 2 * 4)  # 2 notebooks, 2 x 4 sheets
    True
    >>> sorted(p.name for p in (Path(tmp.name) / "w1" / "students").iterdir())
    ['s001.ipynb', 's002.ipynb']
    >>> generate_all(a, students, b"0123456789abcdef", Path(tmp.name) / "nb", sheets=False)  # notebooks only
    4
    >>> tmp.cleanup()
    """
    out = Path(out)
    for folder in ("students", "keys", *(("sheets",) if sheets else ())):
        (out / folder).mkdir(parents=True, exist_ok=True)
    if jobs <= 1 or len(students) < 8 or "fork" not in _start_methods():
        return sum(len(write_student(out, assignment, secret, s, sheets=sheets, pdf=pdf)) for s in students)
    import multiprocessing

    _STATE.update(out=out, assignment=assignment, secret=secret, sheets=sheets, pdf=pdf)
    size = max(1, len(students) // (jobs * 4))
    chunks = [students[i : i + size] for i in range(0, len(students), size)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return sum(pool.map(_work, chunks))


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convmath generate",
        description="Generate per-student notebooks, answer keys and problem sheets for an assignment.",
    )
    parser.add_argument("assignment", type=Path, help="the assignment TOML file")
    parser.add_argument(
        "--roster", type=Path, required=True, help="CSV with a student_id column (name, email optional)"
    )
    parser.add_argument("--secret-file", type=Path, required=True, help="file holding the course secret")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--pdf",
        choices=("auto", "always", "never"),
        default="auto",
        help="typeset PDFs: when a TeX engine is found (auto), always, or never",
    )
    parser.add_argument("--no-sheets", action="store_true", help="write the notebooks only")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``convmath generate``; returns the exit status.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> _ = (folder / "w1.toml").write_text(
    ...     'id = "w1"\\ntitle = "Week 1"\\n[[slots]]\\nid = "q1"\\nfamily = "conv_output_size"\\n', encoding="utf-8")
    >>> _ = (folder / "roster.csv").write_text("student_id,name\\ns001,Li Wei\\ns002,Wang Fang\\n", encoding="utf-8")
    >>> _ = (folder / "secret.txt").write_text("0123456789abcdef0123456789abcdef\\n", encoding="utf-8")
    >>> args = [str(folder / "w1.toml"), "--roster", str(folder / "roster.csv"),
    ...         "--secret-file", str(folder / "secret.txt"), "--out", str(folder / "build")]
    >>> main([*args, "--pdf", "never", "--jobs", "1"])
    w1: 2 students x 1 slots -> 12 files in .../build (... s); no PDFs (no TeX engine or --pdf never)
    hand out .../build/students; keep .../build/keys and the secret private
    0
    >>> sorted(p.name for p in (folder / "build" / "keys").iterdir())
    ['s001.en.md', 's001.en.tex', 's001.ipynb', 's002.en.md', 's002.en.tex', 's002.ipynb']
    >>> main([*args, "--jobs", "0", "--quiet"])
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: jobs=0 must be a positive integer
    >>> tmp.cleanup()
    """
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    assignment = load_assignment(args.assignment)
    students = load_roster(args.roster)
    secret = read_secret(args.secret_file)
    if args.jobs < 1:
        raise ConvMathError(f"jobs={args.jobs} must be a positive integer")
    output_folder(args.out)
    pdf = False
    if args.pdf != "never" and not args.no_sheets:
        engines = {locale: tex_engine(locale) for locale in assignment.locales}
        if args.pdf == "always" and not all(engines.values()):
            missing = [loc for loc, eng in engines.items() if not eng]
            raise ConvMathError(
                f"pdf='always' but no TeX engine for locale {missing[0]!r}; install xelatex or use --pdf never"
            )
        pdf = all(engines.values())
    count = generate_all(assignment, students, secret, args.out, sheets=not args.no_sheets, pdf=pdf, jobs=args.jobs)
    if not args.quiet:
        seconds = time.perf_counter() - start
        print(
            f"{assignment.id}: {len(students)} students x {len(assignment.slots)} slots -> {count} files in "
            f"{args.out} ({seconds:.2f} s){'' if pdf or args.no_sheets else '; no PDFs (no TeX engine or --pdf never)'}"
        )
        print(f"hand out {args.out / 'students'}; keep {args.out / 'keys'} and the secret private")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
