"""Exports of a gradebook: class CSV, Gradescope ``results.json``, feedback, JSON dump.

Every export is a pure function of the stored results (no clock, no paths of
the machine), so a batch that was killed and rerun writes byte-for-byte the
same files as one that never stopped. Files are written atomically (a
temporary file renamed over the old one): a reader never sees half a file.

Layout written by :func:`write_exports`::

    OUT/grades.csv                  one row per student, one column per part, total
    OUT/grades.json                 every current result, as plain data
    OUT/<student>/results.json      Gradescope format
    OUT/<student>/feedback.md       what the student reads

Examples
--------
>>> from grader.results import SubmissionResult, PartOutcome
>>> r = SubmissionResult("bob.ipynb", "ff", "bob", "file name", "hw1", "graded", 2.0, 3.0,
...     parts=(PartOutcome("q1", "a", "n_out", 2.0, 2.0, "correct", "Correct."),
...            PartOutcome("q1", "b", "shape", 0.0, 1.0, "incorrect", "Wrong.", "padding_once")))
>>> print(class_csv([r]), end="")
student,status,q1.a,q1.b,total,max,flags,overrides
bob,graded,2,0,2,3,,
>>> [t["status"] for t in gradescope_results(r)["tests"]]
['passed', 'failed']
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from exercises.notebook import format_points

from .identify import Roster
from .load import RESERVED_NAMES
from .messages import part_label
from .results import SubmissionResult, error_result
from .safetext import MESSAGE_LIMIT, cap, for_markdown, for_terminal

__all__ = [
    "class_csv",
    "gradescope_results",
    "feedback_markdown",
    "json_dump",
    "write_exports",
    "fmt_points",
    "write_text_atomic",
]

#: Feedback headings per locale (the checks write the per-part messages).
_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Feedback",
        "score": "Score",
        "part": "Part",
        "points": "Points",
        "out_of": "{score} of {max}",
        "result": "Result",
        "not_graded": "This submission could not be graded",
        "failed": "The grader failed on this submission; it will be graded again on the next run",
        "misconception": "Likely misconception",
        "notes": "Notes",
        "flags": "Integrity checks",
        "overrides": "Points changed by the instructor",
        "identified": "Identified as **{student}** from the {how}.",
        "correct": "correct",
        "incorrect": "incorrect",
        "partial": "partly correct",
        "missing": "missing",
        "error": "error",
    },
    "zh": {
        "title": "评分反馈",
        "score": "得分",
        "part": "小题",
        "points": "分数",
        "out_of": "{score}（满分 {max}）",
        "result": "结果",
        "not_graded": "此提交无法评分",
        "failed": "评分程序在此提交上出错；下次运行时将重新评分",
        "misconception": "可能的误解",
        "notes": "说明",
        "flags": "完整性检查",
        "overrides": "教师调整的分数",
        "identified": "根据{how}识别为 **{student}**。",
        "correct": "正确",
        "incorrect": "错误",
        "partial": "部分正确",
        "missing": "缺失",
        "error": "出错",
    },
}
_HOW = {"zh": {"file name": "文件名", "notebook metadata": "笔记本元数据"}}


#: The reason shown for a roster student with no submission.
ABSENT = "no submission was found"


def fmt_points(value: float | Fraction) -> str:
    """Points as every export and summary shows them: at most two decimals, no trailing zeros.

    The CSV, the feedback's Score line, override lines, the terminal summaries
    and the report write points with this (the feedback's table writes a part's
    points as the notebook's prompt does, :func:`exercises.notebook.format_points`:
    ``4/3``); the numbers
    themselves stay exact (:class:`exercises.model.Points`), so a total is the sum
    of its parts however they are shown. The exact value is rounded half away
    from zero; a float is read as the decimal it prints as (``2.675`` is 2.675).

    Parameters
    ----------
    value : float, int or Fraction
        Points (a ``Points``, a ``Fraction``, an ``int`` or a ``float``).

    Returns
    -------
    str
        ``2`` rather than ``2.0``; ``1.5``; a third as ``0.33``.

    Examples
    --------
    >>> fmt_points(2.0), fmt_points(1.5), fmt_points(1 / 3), fmt_points(Fraction(8, 3)), fmt_points(2.675)
    ('2', '1.5', '0.33', '2.67', '2.68')
    >>> fmt_points(32.00000000000001), fmt_points(-0.001)   # a float sum's last digit; no "-0"
    ('32', '0')
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    exact = Fraction(repr(float(value))) if isinstance(value, float) else Fraction(value)
    cents = math.floor(abs(exact) * 100 + Fraction(1, 2))
    whole, rest = divmod(cents, 100)
    sign = "-" if exact < 0 and cents else ""
    return f"{sign}{whole}" + (f".{rest:02d}".rstrip("0") if rest else "")


def _columns(results: Iterable[SubmissionResult]) -> list[str]:
    columns: list[str] = []
    for result in results:
        for part in result.parts:
            if part.column not in columns:
                columns.append(part.column)
    return columns


def class_csv(
    results: Sequence[SubmissionResult],
    *,
    columns: Sequence[str] | None = None,
    roster: Roster | None = None,
) -> str:
    """The class table: one row per student (sorted), one column per part, total, max, flags, overrides.

    Parameters
    ----------
    results
        One current result per student.
    columns
        Part columns (``slot.part``) in order; by default every part seen,
        in order of first appearance.
    roster
        When given, its columns (name, email, platform ids, ...) follow
        ``student``, and each roster student without a result is a row with
        status ``absent``.

    Returns
    -------
    str
        CSV text; a part a submission lacks is written as ``0`` (left empty
        for an absent student). ``flags`` holds the integrity findings and
        ``overrides`` the manual overrides in force, each joined by ``|`` with a space either side.

    Examples
    --------
    Bob answered only ``q1.a`` (2 of 2 points); asking for column ``q1.b``
    as well writes a ``0`` for the part he lacks. Ann is on the roster but
    handed nothing in:

    >>> from grader.identify import Roster
    >>> from grader.results import SubmissionResult, PartOutcome
    >>> bob = SubmissionResult("bob.ipynb", "ff", "bob", "file name", "hw1", "graded", 2.0, 3.0,
    ...     parts=(PartOutcome("q1", "a", "n_out", 2.0, 2.0, "correct", ""),))
    >>> print(class_csv([bob], columns=["q1.a", "q1.b"]), end="")
    student,status,q1.a,q1.b,total,max,flags,overrides
    bob,graded,2,0,2,3,,
    >>> roster = Roster(("student_id", "name", "email"), ({"student_id": "ann", "name": "Ann", "email": "a@x"},
    ...                                                  {"student_id": "bob", "name": "Bob", "email": "b@x"}))
    >>> print(class_csv([bob], columns=["q1.a"], roster=roster), end="")
    student,name,email,status,q1.a,total,max,flags,overrides
    ann,Ann,a@x,absent,,0,3,,
    bob,Bob,b@x,graded,2,2,3,,
    """
    cols = list(columns) if columns is not None else _columns(results)
    extra = [c for c in roster.header if c != "student_id"] if roster is not None else []
    rows: dict[str, SubmissionResult | None] = {r.student or "": r for r in results}
    if roster is not None:
        for row in roster.rows:
            rows.setdefault(row["student_id"], None)
    top = max((r.max_score for r in results), default=0.0)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", *extra, "status", *cols, "total", "max", "flags", "overrides"])
    for student in sorted(rows):
        result = rows[student]
        info = (roster.row(student) if roster is not None else None) or {}
        who = [student, *(info.get(c, "") for c in extra)]
        if result is None:
            writer.writerow([*map(_csv_text, who), "absent", *("" for _ in cols), "0", fmt_points(top), "", ""])
            continue
        scores = {p.column: p.score for p in result.parts}
        writer.writerow(
            [*map(_csv_text, who), result.status]
            + [fmt_points(scores.get(c, 0.0)) for c in cols]
            + [
                fmt_points(result.score),
                fmt_points(result.max_score),
                _csv_text(" | ".join(cap(f, 1000) for f in result.flags), limit=4000),
                _csv_text(" | ".join(cap(o, 1000) for o in result.overrides), limit=4000),
            ]
        )
    return buf.getvalue()


def _csv_text(text: str, *, limit: int = 256) -> str:
    """A student-controlled CSV cell: controls escaped, and no formula (a leading ``= + - @`` is quoted)."""
    text = for_terminal(text, limit=limit)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _summary(result: SubmissionResult, text: dict[str, str]) -> str:
    lines = []
    if result.status != "graded":
        lines.append(f"{text['failed' if result.status == 'failed' else 'not_graded']}: {result.message}")
    lines += list(result.overrides) + list(result.flags) + list(result.notes)
    return "\n".join(lines)


def gradescope_results(result: SubmissionResult, *, locale: str = "en") -> dict[str, Any]:
    """The Gradescope autograder ``results.json`` of one submission.

    Returns
    -------
    dict
        ``score``, ``output`` (reasons, flags and notes), ``visibility`` and
        ``tests``: one per part with ``name``, ``score``, ``max_score``,
        ``status`` (``passed`` only for full marks), ``output`` and ``visibility``.

    Examples
    --------
    Half marks (1.5 of 3) count as ``failed`` for Gradescope; the likely
    misconception is appended to the part's output:

    >>> from grader.results import SubmissionResult, PartOutcome
    >>> part = PartOutcome("q2", "b", "h_out", 1.5, 3.0, "partial", "Off by one.", "padding_once")
    >>> r = SubmissionResult("amy.ipynb", "ff", "amy", "file name", "hw1", "graded", 1.5, 3.0, parts=(part,))
    >>> test = gradescope_results(r)["tests"][0]
    >>> test["name"], test["status"]
    ('q2.b (h_out)', 'failed')
    >>> print(test["output"])
    Off by one.
    Likely misconception: padding_once
    """
    text = _TEXT.get(locale, _TEXT["en"])
    tests = []
    for p in result.parts:
        output = p.message
        if p.misconception:
            output += f"\n{text['misconception']}: {p.misconception}"
        tests.append(
            {
                "name": f"{p.column} ({p.name})",
                "score": p.score,
                "max_score": p.max_score,
                "status": "passed" if p.score >= p.max_score else "failed",
                "output": for_terminal(output.strip(), multiline=True, limit=2 * MESSAGE_LIMIT),
                "visibility": "visible",
            }
        )
    return {
        "score": result.score,
        "output": for_terminal(_summary(result, text), multiline=True, limit=64 * MESSAGE_LIMIT),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "output_format": "text",  # student text is shown as written: no HTML or Markdown of its own
        "test_output_format": "text",
        "tests": tests,
    }


#: Markdown that text a student controls (answers, file names, exception messages) could use to
#: render HTML, links or code spans, or to break the table: shown literally, backslash-escaped.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`[]<>|"})


def _code(text: str) -> str:
    """``text`` as a Markdown code span (shown verbatim there, so no backslashes): controls escaped, no
    backtick or line break of its own, capped."""
    return "`" + for_terminal(" ".join(str(text).split()), limit=200).replace("`", "'").replace("|", "¦") + "`"


def _cell(text: str) -> str:
    """``text`` on one line, with no Markdown or HTML of its own, capped, controls and bidi escaped."""
    return for_markdown(" ".join(str(text).split()), limit=MESSAGE_LIMIT)


def _code(name: str) -> str:
    """An answer name as a code span (shown as typed: no backslash escapes, which a code span would show),
    or escaped text when it is not a plain identifier."""
    return f"`{name}`" if name.isidentifier() and name.isascii() else _cell(name)


def feedback_markdown(result: SubmissionResult, *, title: str = "", locale: str = "en") -> str:
    """The feedback file a student reads, in Markdown.

    Parameters
    ----------
    result
        The student's current result.
    title
        Assignment title for the heading.
    locale
        ``"en"`` or ``"zh"`` (headings; part messages come localised from the checks).

    Examples
    --------
    >>> from grader.results import error_result
    >>> md = feedback_markdown(error_result("a.ipynb", "00", assignment="hw1", max_score=4,
    ...     message="the file is not valid JSON", student="a", identified_by="file name"))
    >>> print(md.splitlines()[2])
    **Score: 0 / 4**
    """
    text = _TEXT.get(locale, _TEXT["en"])
    head = f"# {text['title']}: {title or result.assignment} — {_cell(result.student or result.source)}"
    lines = [head, "", f"**{text['score']}: {fmt_points(result.score)} / {fmt_points(result.max_score)}**", ""]
    if result.identified_by:
        how = _HOW.get(locale, {}).get(result.identified_by, result.identified_by)
        lines += [text["identified"].format(student=_cell(result.student or ""), how=how), ""]
    if result.status != "graded":
        key = "failed" if result.status == "failed" else "not_graded"
        lines += [f"> **{text[key]}:** {_cell(result.message)}", ""]
    if result.parts:
        # parts as the notebook labels them: question number (slot order) and part, "2(b)"
        numbers = {slot: i for i, slot in enumerate(dict.fromkeys(p.slot for p in result.parts), 1)}
        lines += [f"| {text['part']} | {text['points']} | {text['result']} |", "|---|---|---|"]
        for p in result.parts:
            verdict = text.get(p.status, p.status)
            # as the notebook writes points (2, 1.8, 4/3), never 1.3333
            # as the notebook writes a part's points (4/3, never 1.3333): the student compares them with the prompt
            points = text["out_of"].format(score=format_points(p.score), max=format_points(p.max_score))
            lines.append(f"| {part_label(numbers[p.slot], _cell(p.part))} ({_code(p.name)}) | {points} | {verdict} |")
        lines.append("")
        for p in result.parts:
            if p.status == "correct" and p.message in ("", f"'{p.name}' is correct", f"'{p.name}' 正确"):
                continue  # the table says it; only correct answers with a remark are listed
            label = part_label(numbers[p.slot], _cell(p.part))
            lines.append(f"- **{label}** ({_code(p.name)}): {_cell(p.message) or text.get(p.status, p.status)}")
            if p.misconception:
                lines.append(f"  - {text['misconception']}: `{p.misconception}`")
        lines.append("")
    if result.overrides:
        lines += [f"## {text['overrides']}", ""] + [f"- {_cell(o)}" for o in result.overrides] + [""]
    if result.flags:
        lines += [f"## {text['flags']}", ""] + [f"- {_cell(f)}" for f in result.flags] + [""]
    if result.notes:
        lines += [f"## {text['notes']}", ""] + [f"- {_cell(n)}" for n in result.notes] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def json_dump(results: Sequence[SubmissionResult], *, roster: Roster | None = None) -> str:
    """Every result as plain data (sorted by student), without timings.

    Durations are left out so that the dump, like every export, depends only
    on what was graded, not on how fast. With a ``roster``, each student
    without a result is listed with status ``absent``.

    Examples
    --------
    The 12.5 s the grading took is not in the dump:

    >>> import json
    >>> from grader.results import SubmissionResult
    >>> r = SubmissionResult("amy.ipynb", "ff", "amy", "file name", "hw1", "graded", 0.0, 3.0, duration=12.5)
    >>> data = json.loads(json_dump([r]))
    >>> data[0]["student"], "duration" in data[0]
    ('amy', False)
    """
    data = []
    for result in sorted(results, key=lambda r: (r.student or "", r.source)):
        item = result.to_dict()
        item.pop("duration", None)
        item.pop("sandbox_warnings", None)
        data.append(item)
    present = {r.student for r in results}
    top = max((r.max_score for r in results), default=0.0)
    for row in roster.rows if roster is not None else ():
        if row["student_id"] not in present:
            item = error_result(
                "",
                "",
                assignment=results[0].assignment if results else "",
                max_score=top,
                message=ABSENT,
                student=row["student_id"],
            ).to_dict()
            item.update(status="absent")
            item.pop("duration", None)
            item.pop("sandbox_warnings", None)
            data.append(item)
    data.sort(key=lambda d: (d.get("student") or "", d.get("source", "")))
    return json.dumps(data, indent=2, ensure_ascii=True, sort_keys=True) + "\n"  # controls and bidi as \u escapes


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename.

    A reader never sees half a file, and a crash leaves the old file whole.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt"
    >>> write_text_atomic(target, "hello")
    >>> target.read_text(encoding="utf-8"), [p.name for p in target.parent.iterdir()]
    ('hello', ['b.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_exports(
    results: Sequence[SubmissionResult],
    out_dir: str | Path,
    *,
    title: str = "",
    locale: str = "en",
    columns: Sequence[str] | None = None,
    roster: Roster | None = None,
) -> list[Path]:
    """Write the class CSV, the JSON dump and each student's two files.

    Parameters
    ----------
    results
        One current result per identified student (unidentified submissions
        are left out: they have no folder).
    out_dir
        Folder to write into (created).
    title, locale
        For the feedback files.
    columns
        Part columns of the CSV (see :func:`class_csv`).
    roster
        The class: its columns go into the CSV, its students without a
        result are listed as ``absent``.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    One identified student gives the two class files plus her two files:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from grader.results import SubmissionResult
    >>> r = SubmissionResult("amy.ipynb", "ff", "amy", "file name", "hw1", "graded", 0.0, 3.0)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_exports([r], tmp, title="HW 1")
    ...     print(*[p.relative_to(tmp).as_posix() for p in paths])
    grades.csv grades.json amy/results.json amy/feedback.md
    """
    out = Path(out_dir)
    identified = [r for r in results if r.student]
    written = [out / "grades.csv", out / "grades.json"]
    write_text_atomic(written[0], class_csv(identified, columns=columns, roster=roster))
    write_text_atomic(written[1], json_dump(identified, roster=roster))
    for result in identified:
        if str(result.student).lower() in RESERVED_NAMES:
            continue  # identification never yields these; an old gradebook might hold one
        folder = out / str(result.student)
        payload = json.dumps(gradescope_results(result, locale=locale), indent=2, ensure_ascii=True) + "\n"
        write_text_atomic(folder / "results.json", payload)
        write_text_atomic(folder / "feedback.md", feedback_markdown(result, title=title, locale=locale))
        written += [folder / "results.json", folder / "feedback.md"]
    return written
