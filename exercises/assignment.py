"""Assignments, rosters and secrets: from files to each student's exercises.

An assignment is a TOML file::

    id = "week3"                      # safe file-name characters
    title = "Convolution arithmetic"  # or a table: title = { en = "...", zh = "..." }
    course = "CS 231"
    locales = ["zh", "en"]            # or locale = "zh"; the first is the main one
    reveal = "always"                 # feedback: "always" | "diagnosis" | "never" (see Assignment.reveal)

    [[slots]]
    id = "q1"                         # a Python identifier, unique
    family = "cross_correlation_by_hand"  # see ``convmath preview --list``;
                                      # or "pkg.module:NAME" (a course package's family)
    difficulty = 1                    # one of the family's levels (default 1)
    points = 4                        # total of the slot (default: the family's), exact:
                                      # three parts of a 4-point slot are 4/3 each
    part_points = { a = 2, b = 1 }    # points of single parts (optional), then scaled to points
    carry_forward = true              # later parts credited when they follow from the student's
                                      # own earlier answers (default: on where the family
                                      # declares it, e.g. network_table; a number = the credit)
    options = { channels = 2 }        # family options (default none); implement_function
                                      # also takes forbidden_imports = ["torch", ...]

    [[slots]]
    id = "q2"
    question = "questions/receptive_dilated.toml"   # a question file, relative to this file
                                      # (in place of family; see docs/authoring.md)

A roster is a CSV file with a ``student_id`` column (and optional ``name`` and
``email``). The secret is a file whose non-comment content is the course
secret. :func:`build_exercises` turns the three into one student's exercises;
the grader regenerates a submission's exercises with exactly this function.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from convmath._validate import fmt
from convmath.errors import ConvMathError

from .model import LOCALES, Exercise, Points, as_points

__all__ = [
    "Slot",
    "Assignment",
    "Student",
    "load_assignment",
    "parse_assignment",
    "load_roster",
    "read_secret",
    "build_exercises",
    "read_assignment_data",
    "SAFE_ID",
    "REVEAL",
]

#: Student and assignment ids: safe file-name characters, not starting with a dot.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Slot ids are also Python identifiers (they suffix answer names).
SLOT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")

_TOP_KEYS = {"id", "title", "course", "locale", "locales", "slots", "reveal"}
#: What feedback may reveal (``reveal =`` in the assignment, ``--reveal`` on ``convmath grade``).
REVEAL = ("never", "diagnosis", "always")
_SLOT_KEYS = {"id", "family", "question", "difficulty", "points", "part_points", "options", "carry_forward"}


@dataclass(frozen=True)
class Slot:
    """One position of an assignment: which family, how hard, how many points."""

    id: str
    """Slot id, a Python identifier unique in the assignment (``"q1"``)."""

    family: str
    """Registered family name."""

    difficulty: int = 1
    """Difficulty level, one of the family's levels."""

    points: Points | None = None
    """Total points of the slot, exact; the parts' points are scaled to it. ``None``
    keeps the family's own points (or the sum of ``part_points``)."""

    part_points: Mapping[str, Points] = field(default_factory=dict)
    """Points of individual parts (part key -> points), before scaling to ``points``."""

    carry_forward: Points | None = None
    """Error carried forward: the credit (0..1) of a later part that follows from the
    student's own wrong earlier answers, in families whose parts declare how they
    follow (``network_table``); ``None``: the family's default (full credit where
    declared), ``0``: off (``carry_forward = false``)."""

    options: Mapping[str, Any] = field(default_factory=dict)
    """Family options, passed to the family unchanged."""

    question: str = ""
    """The question file the family was read from (``""`` for a registered family)."""


@dataclass(frozen=True)
class Assignment:
    """A parsed assignment file."""

    id: str
    """Assignment id (safe file-name characters); part of every variant seed."""

    title: Mapping[str, str]
    """Locale -> title."""

    course: str
    """Course name, printed on the sheets."""

    locales: tuple[str, ...]
    """Locales to render; the first is the notebooks' and the feedback's."""

    slots: tuple[Slot, ...]
    """The slots, in order."""

    reveal: str = "always"
    """What feedback reveals: ``"always"`` (the expected value and the diagnosis),
    ``"diagnosis"`` (the misconception, not the expected value) or ``"never"``
    (correct or not, and the kind of reason only)."""

    @property
    def locale(self) -> str:
        """The main locale (the first of :attr:`locales`)."""
        return self.locales[0]


@dataclass(frozen=True)
class Student:
    """One roster entry."""

    student_id: str
    """Student id: safe file-name characters, unique in the roster."""

    name: str = ""
    """Display name (optional)."""

    email: str = ""
    """E-mail address (optional)."""


def _check_safe_id(name: str, value: Any, where: str = "") -> str:
    if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
        raise ConvMathError(
            f"{where}{fmt(name, value)} is not allowed; use 1-64 letters, digits, '.', '_' or '-', "
            "not starting with '.', '_' or '-'"
        )
    return value


def _check_locales(data: Mapping[str, Any]) -> tuple[str, ...]:
    if "locale" in data and "locales" in data:
        raise ConvMathError("give either locale= or locales=, not both")
    raw = data.get("locales", data.get("locale", "en"))
    name = "locales" if "locales" in data else "locale"
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise ConvMathError(f"{fmt(name, raw)} must be a locale or a non-empty list of them")
    for value in values:
        if value not in LOCALES:
            choices = ", ".join(repr(a) for a in LOCALES)
            raise ConvMathError(f"{fmt(name, raw)} is not allowed; use one of {choices}")
    if len(set(values)) != len(values):
        raise ConvMathError(f"{fmt(name, raw)} lists a locale twice")
    return tuple(values)


def _check_title(raw: Any, locales: tuple[str, ...]) -> dict[str, str]:
    if isinstance(raw, str) and raw.strip():
        return {locale: raw for locale in LOCALES}
    if isinstance(raw, dict) and raw and all(isinstance(v, str) for v in raw.values()):
        missing = [loc for loc in locales if loc not in raw]
        if missing:
            raise ConvMathError(f"title={raw!r} has no text for locale {missing[0]!r}")
        fallback = raw[locales[0]]
        return {locale: raw.get(locale, fallback) for locale in LOCALES}
    raise ConvMathError(f"{fmt('title', raw)} must be a non-empty string or a table of locale = string")


def _slot_family(raw: Mapping[str, Any], where: str, base_dir: Path | None) -> tuple[Any, str]:
    """The slot's family (registered) and its question file, from ``family`` or ``question``."""
    from .families import register, resolve_family
    from .questions import load_question, parse_question

    if ("family" in raw) == ("question" in raw):
        raise ConvMathError(f'{where}give either family = "NAME" or question = "FILE.toml", not both or neither')
    if "family" in raw:
        try:
            return resolve_family(raw["family"]), ""
        except ConvMathError as err:
            raise ConvMathError(f"{where}{err}") from err
    ref = raw["question"]
    try:
        if isinstance(ref, str):
            path = Path(ref) if base_dir is None else Path(base_dir) / ref
            question, source = load_question(path), ref
        elif isinstance(ref, dict):
            source = str(ref.get("source", ""))
            question = parse_question(ref, source=source or "inline")
        else:
            raise ConvMathError(f"{fmt('question', ref)} must be a path (relative to the assignment file) or a table")
        return register(question.family()), source
    except ConvMathError as err:
        raise ConvMathError(f"{where}{err}") from err


def _parse_slot(index: int, raw: Any, seen: set[str], base_dir: Path | None = None) -> Slot:
    where = f"slot {index + 1}: "
    if not isinstance(raw, dict):
        raise ConvMathError(
            f"{where}must be a table with id, family (or question), difficulty, points, part_points, "
            "options, carry_forward"
        )
    unknown = sorted(set(raw) - _SLOT_KEYS)
    if unknown:
        raise ConvMathError(
            f"{where}key {unknown[0]!r} is not allowed; use id, family, question, difficulty, points, "
            "part_points, options, carry_forward"
        )
    if "id" not in raw:
        raise ConvMathError(f"{where}has no id")
    slot_id = raw["id"]
    if not isinstance(slot_id, str) or not SLOT_ID.fullmatch(slot_id):
        raise ConvMathError(
            f"{where}{fmt('id', slot_id)} is not allowed; use a letter then letters, digits or '_' (at most 32)"
        )
    where = f"slot {slot_id!r}: "
    if slot_id in seen:
        raise ConvMathError(f"{where}duplicate slot id={slot_id!r}")
    seen.add(slot_id)
    family_obj, question = _slot_family(raw, where, base_dir)
    family = family_obj.name
    difficulty = raw.get("difficulty", 1)
    allowed = family_obj.difficulties
    if isinstance(difficulty, bool) or difficulty not in allowed:
        levels = ", ".join(str(d) for d in allowed)
        raise ConvMathError(
            f"{where}{fmt('difficulty', difficulty)} is not allowed for family {family!r}; use one of {levels}"
        )
    points = _check_points(where, "points", raw.get("points"))
    part_points = raw.get("part_points", {})
    if not isinstance(part_points, dict):
        raise ConvMathError(
            f"{where}{fmt('part_points', part_points)} must be a table of part = points, e.g. {{ a = 2, b = 1 }}"
        )
    part_points = {str(k): _check_points(where, f"part_points.{k}", v) for k, v in part_points.items()}
    carry = raw.get("carry_forward")
    if carry is not None:
        if carry is True or carry is False:
            carry = Points(int(carry))
        elif isinstance(carry, (int, float)) and math.isfinite(carry) and 0 <= carry <= 1:
            carry = as_points(carry)
        else:
            raise ConvMathError(f"{where}{fmt('carry_forward', carry)} must be true, false or a credit from 0 to 1")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConvMathError(f"{where}{fmt('options', options)} must be a table")
    return Slot(
        id=slot_id,
        family=family,
        difficulty=int(difficulty),
        points=points,
        options=options,
        part_points=part_points,
        carry_forward=carry,
        question=question,
    )


def _check_points(where: str, name: str, points: Any) -> Points | None:
    if points is None:
        return None
    if isinstance(points, bool) or not isinstance(points, (int, float, str)):
        raise ConvMathError(f"{where}{fmt(name, points)} must be a positive number")
    try:
        value = as_points(points)
    except (ValueError, ZeroDivisionError):
        raise ConvMathError(f"{where}{fmt(name, points)} must be a positive number") from None
    if value <= 0:
        raise ConvMathError(f"{where}{fmt(name, points)} must be a positive number")
    return value


def parse_assignment(
    data: Mapping[str, Any], *, check_options: bool = True, base_dir: str | Path | None = None
) -> Assignment:
    """Build an :class:`Assignment` from parsed TOML data (see :func:`load_assignment`).

    Parameters
    ----------
    data
        The TOML document as a mapping.
    check_options
        Draw one trial variant per slot so that bad family options fail here,
        with the slot named, rather than later for some student.
    base_dir
        The folder that a slot's ``question = "FILE.toml"`` is relative to
        (default: the current directory). :func:`read_assignment_data`
        inlines the files instead, which is what the grader is given.

    Returns
    -------
    Assignment

    Examples
    --------
    >>> a = parse_assignment({"id": "w1", "title": "Week 1", "course": "CS",
    ...                       "slots": [{"id": "q1", "family": "convolution_vs_correlation"}]})
    >>> a.locale, [s.family for s in a.slots]
    ('en', ['convolution_vs_correlation'])
    >>> parse_assignment({"id": "w/1", "title": "t", "slots": []})
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: id='w/1' is not allowed; use 1-64 letters, digits, '.', '_' or '-', not starting ...
    """
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConvMathError(f"key {unknown[0]!r} is not allowed; use id, title, course, locale(s), reveal, slots")
    if "id" not in data:
        raise ConvMathError("the assignment has no id")
    assignment_id = _check_safe_id("id", data["id"])
    locales = _check_locales(data)
    title = _check_title(data.get("title", assignment_id), locales)
    course = data.get("course", "")
    if not isinstance(course, str):
        raise ConvMathError(f"{fmt('course', course)} must be a string")
    raw_slots = data.get("slots")
    if raw_slots is not None and not isinstance(raw_slots, list):
        raise ConvMathError(f"{fmt('slots', raw_slots)} must be an array of tables: add [[slots]] tables")
    if not raw_slots:
        raise ConvMathError("the assignment has no slots; add [[slots]] tables")
    seen: set[str] = set()
    base = None if base_dir is None else Path(base_dir)
    slots = tuple(_parse_slot(i, raw, seen, base) for i, raw in enumerate(raw_slots))
    reveal = data.get("reveal", "always")
    if reveal not in REVEAL:
        raise ConvMathError(f"{fmt('reveal', reveal)} is not allowed; use one of {', '.join(repr(r) for r in REVEAL)}")
    assignment = Assignment(id=assignment_id, title=title, course=course, locales=locales, slots=slots, reveal=reveal)
    if check_options:
        for slot in slots:
            _generate_slot(slot, 0)
    return assignment


def load_assignment(path: str | Path, *, check_options: bool = True) -> Assignment:
    """Read and check an assignment TOML file.

    Parameters
    ----------
    path
        The ``.toml`` file.
    check_options
        See :func:`parse_assignment`.

    Returns
    -------
    Assignment

    Notes
    -----
    Every problem is a :class:`~convmath.ConvMathError` that starts with the
    file name: TOML syntax, unknown keys, an unknown family, a difficulty the
    family does not offer, a duplicate slot id, bad points or options.
    ``locales = "zh"`` (a string) is read as the one locale ``["zh"]``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "week1.toml").write_text('''
    ... id = "week1"
    ... title = { en = "Convolutions", zh = "卷积" }
    ... locales = ["zh", "en"]
    ... [[slots]]
    ... id = "q1"
    ... family = "conv_output_size"
    ... points = 2
    ... ''', encoding="utf-8")
    >>> a = load_assignment(folder / "week1.toml")
    >>> a.locale, a.title["zh"], [(slot.id, slot.family, float(slot.points)) for slot in a.slots]
    ('zh', '卷积', [('q1', 'conv_output_size', 2.0)])
    >>> _ = (folder / "bad.toml").write_text('id = "week1"\\nslots = 3\\n')
    >>> load_assignment(folder / "bad.toml")
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: .../bad.toml: slots=3 must be an array of tables: add [[slots]] tables
    """
    path = Path(path)
    data = _read_toml(path)
    try:
        return parse_assignment(data, check_options=check_options, base_dir=path.parent)
    except ConvMathError as err:
        raise ConvMathError(f"{path}: {err}") from err


def _read_toml(path: Path, what: str = "assignment") -> dict[str, Any]:
    from .questions.question import read_toml

    return read_toml(path, what)


def read_assignment_data(path: str | Path) -> dict[str, Any]:
    """The assignment file as plain data, with each slot's question file inlined.

    The grader is given this data (it may run on other machines, where the
    question files are not): a slot's ``question = "FILE.toml"`` becomes
    the file's table, with ``source = "FILE.toml"``. Changing a question file
    changes the data, and so the grade fingerprint.

    Parameters
    ----------
    path
        The assignment's ``.toml`` file.

    Returns
    -------
    dict

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "q.toml").write_text('id = "demo_q"\\ntitle = "t"\\nprompt = "p"\\n'
    ...                                     '[[parts]]\\nname = "x"\\nanswer = "3"\\n', encoding="utf-8")
    >>> _ = (folder / "a.toml").write_text('id = "a1"\\n[[slots]]\\nid = "q1"\\nquestion = "q.toml"\\n',
    ...                                     encoding="utf-8")
    >>> data = read_assignment_data(folder / "a.toml")
    >>> data["slots"][0]["question"]["source"], data["slots"][0]["question"]["parts"]
    ('q.toml', [{'name': 'x', 'answer': '3'}])
    >>> [s.family for s in parse_assignment(data).slots]
    ['demo_q']
    """
    from .questions.question import file_id

    path = Path(path)
    data = _read_toml(path)
    for slot in data.get("slots") or []:
        if isinstance(slot, dict) and isinstance(slot.get("question"), str):
            file = path.parent / slot["question"]
            question = _read_toml(file, "question")
            question.setdefault("id", file_id(file))
            slot["question"] = {**question, "source": slot["question"]}
    return data


def load_roster(path: str | Path) -> list[Student]:
    """Read a roster CSV (``student_id`` required; ``name``, ``email`` optional).

    Parameters
    ----------
    path
        The CSV file, UTF-8 (a byte-order mark is accepted), with a header row.

    Returns
    -------
    list of Student
        In file order. Blank lines are skipped; ids are checked to be safe
        file names (they name the notebooks) and unique.

    Examples
    --------
    >>> import tempfile
    >>> roster = Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = roster.write_text("student_id,name\\ns001,Li Wei\\n\\ns002,Wang Fang\\n", encoding="utf-8")
    >>> [(s.student_id, s.name, s.email) for s in load_roster(roster)]    # the blank line is skipped
    [('s001', 'Li Wei', ''), ('s002', 'Wang Fang', '')]
    >>> _ = roster.write_text("student_id\\ns001\\ns001\\n", encoding="utf-8")
    >>> load_roster(roster)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: .../roster.csv line 3: duplicate student_id='s001' (first on line 2)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ConvMathError(f"{path}: cannot read the roster ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise ConvMathError(f"{path}: the roster must be UTF-8 text") from err
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in (reader.fieldnames or [])]
    if "student_id" not in header:
        raise ConvMathError(f"{path}: the header {header!r} has no 'student_id' column")
    reader.fieldnames = header
    students: list[Student] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        student_id = (row.get("student_id") or "").strip()
        _check_safe_id("student_id", student_id, f"{path} line {line}: ")
        if student_id in seen:
            raise ConvMathError(
                f"{path} line {line}: duplicate student_id={student_id!r} (first on line {seen[student_id]})"
            )
        seen[student_id] = line
        students.append(
            Student(student_id, name=(row.get("name") or "").strip(), email=(row.get("email") or "").strip())
        )
    if not students:
        raise ConvMathError(f"{path}: the roster lists no students")
    return students


def read_secret(path: str | Path) -> bytes:
    """The course secret: the file's content without ``#`` comment lines and outer whitespace.

    Parameters
    ----------
    path
        The secret file. Keep it out of the students' reach: anyone who has it
        can regenerate every variant and key.

    Returns
    -------
    bytes
        At least 16 bytes (a shorter secret is refused).

    Examples
    --------
    >>> import tempfile
    >>> secret = Path(tempfile.mkdtemp()) / "course-secret.txt"
    >>> _ = secret.write_text("# made with secrets.token_hex(16)\\n0123456789abcdef0123456789abcdef\\n")
    >>> read_secret(secret)                     # the comment line and the newline are dropped
    b'0123456789abcdef0123456789abcdef'
    >>> _ = secret.write_text("hunter2\\n")
    >>> read_secret(secret)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: .../course-secret.txt: the secret has 7 bytes; use at least 16 (e.g. 32 random ...
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConvMathError(f"{path}: cannot read the secret ({err.strerror})") from err
    lines = [line for line in raw.splitlines() if not line.lstrip().startswith(b"#")]
    secret = b"\n".join(lines).strip()
    if len(secret) < 16:
        raise ConvMathError(f"{path}: the secret has {len(secret)} bytes; use at least 16 (e.g. 32 random hex digits)")
    return secret


def _generate_slot(slot: Slot, seed: int, names: Mapping[str, str] | None = None) -> Exercise:
    from .families import generate

    try:
        return generate(slot.family, seed, difficulty=slot.difficulty, options=dict(slot.options), names=names)
    except ConvMathError as err:
        raise ConvMathError(f"slot {slot.id!r} (family {slot.family!r}): {err}") from err


def _scale_points(exercise: Exercise, points: Any, part_points: Mapping[str, Any] | None = None) -> Exercise:
    """The exercise with exact points: each part's from ``part_points`` (part key -> points) when given,
    then all scaled so the slot totals ``points`` exactly (rationals: three parts of a 4-point slot are 4/3 each)."""
    parts = exercise.parts
    if part_points:
        keys = [part.key for part in parts]
        unknown = sorted(set(part_points) - set(keys))
        if unknown:
            raise ConvMathError(
                f"part_points key {unknown[0]!r} is not a part of family {exercise.family!r}; "
                f"use {', '.join(repr(k) for k in keys)}"
            )
        parts = tuple(
            dataclasses.replace(part, points=as_points(part_points[part.key])) if part.key in part_points else part
            for part in parts
        )
    total = sum((part.points for part in parts), Fraction(0))
    if points is not None and total > 0 and total != as_points(points):
        parts = tuple(
            dataclasses.replace(part, points=Points(part.points * as_points(points) / total)) for part in parts
        )
    return dataclasses.replace(exercise, parts=parts)


def _rename_text(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", new, text)


_CODE_SPAN = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)


def _rename_markdown(text: str, old: str, new: str) -> str:
    """Rename ``old`` only inside Markdown code (`` `Y` ``): the maths (``$Y$``) names the object, not the variable."""
    pieces = _CODE_SPAN.split(text)
    return "".join(_rename_text(p, old, new) if i % 2 else p for i, p in enumerate(pieces))


def _rename_answer(exercise: Exercise, part_index: int, new: str) -> Exercise:
    """Rename one part's answer name everywhere the exercise's code mentions it (code spans, code, signature)."""
    part = exercise.parts[part_index]
    old = part.answer.name

    def ren(mapping: Mapping[str, str]) -> dict[str, str]:
        return {locale: _rename_markdown(text, old, new) for locale, text in mapping.items()}

    new_part = dataclasses.replace(
        part,
        prompt=ren(part.prompt),
        answer=dataclasses.replace(part.answer, name=new, signature=_rename_text(part.answer.signature, old, new)),
        solution_code=_rename_text(part.solution_code, old, new),
    )
    parts = list(exercise.parts)
    parts[part_index] = new_part
    return dataclasses.replace(
        exercise,
        parts=tuple(parts),
        prompt=ren(exercise.prompt),
        solution={
            loc: tuple(_rename_markdown(step, old, new) for step in steps) for loc, steps in exercise.solution.items()
        },
    )


def build_exercises(assignment: Assignment, secret: bytes, student_id: str) -> list[tuple[Slot, Exercise]]:
    """One student's exercises, slot by slot: the function the grader re-runs.

    Parameters
    ----------
    assignment
        The parsed assignment.
    secret
        The course secret (:func:`read_secret`).
    student_id
        The roster id.

    Returns
    -------
    list of (Slot, Exercise)
        In slot order. Each variant is drawn from
        ``variant_seed(secret, assignment.id, student_id, slot.id)``.

    Notes
    -----
    Two adjustments make the exercises fit one notebook, deterministically:
    part points are scaled so each slot totals ``slot.points``; and an answer
    name already used by an earlier part (two slots of one family both define
    ``out_size``) gets the slot id appended (``out_size_q3``), in the prompts,
    the solution and the key code alike.

    Examples
    --------
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [
    ...     {"id": "q1", "family": "convolution_vs_correlation", "points": 3},
    ...     {"id": "q2", "family": "convolution_vs_correlation", "points": 3}]})
    >>> built = build_exercises(a, b"0123456789abcdef", "alice")
    >>> [ex.points == 3 for _, ex in built], [str(p.points) for p in built[1][1].parts]   # exactly 3 = 3/2 + 3/2
    ([True, True], ['3/2', '3/2'])
    >>> names = [p.answer.name for _, ex in built for p in ex.parts]
    >>> len(names) == len(set(names))
    True
    """
    from .families import families
    from .seeding import variant_seed

    _check_safe_id("student_id", student_id)
    if not isinstance(secret, (bytes, bytearray)) or not secret:
        raise ConvMathError("secret must be non-empty bytes (see read_secret)")
    built: list[tuple[Slot, Exercise]] = []
    used: set[str] = set()
    for slot in assignment.slots:
        seed = variant_seed(bytes(secret), assignment.id, student_id, slot.id)
        exercise = _generate_slot(slot, seed)
        names = {
            part.answer.name: f"{part.answer.name}_{slot.id}" for part in exercise.parts if part.answer.name in used
        }
        if names and families()[slot.family].draw_named is not None:
            exercise = _generate_slot(slot, seed, names)  # same seed, same numbers; the names reach the texts
        elif names:
            for index, part in enumerate(exercise.parts):
                if part.answer.name in names:
                    exercise = _rename_answer(exercise, index, names[part.answer.name])
        used.update(part.answer.name for part in exercise.parts)
        built.append((slot, _scale_points(exercise, slot.points, slot.part_points)))
    return built
