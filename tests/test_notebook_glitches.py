"""What a student reads: every family, every level, both locales, several students.

Each family is rendered at each difficulty into student notebooks and
Markdown sheets (one assignment holding every (family, level) pair, so that
answer names collide and get renamed, and slot points that do not divide
evenly), for several students (several seeds per family), and the text is
scanned for the classes of glitch a student sees:

- points written as floats (``6.``, ``6.0 points``, ``1.33``);
- a hint in the answer cell that names another kind of value than the part
  asks for (``# an array`` for a number, ``# an integer`` for a tuple);
- a part label shown twice (``(a)`` in the question and again as the part);
- a code name inside maths (``$Y_q6$``: names are code, not symbols);
- placeholders left unfilled (``{name}``), ``None``, Python object reprs.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from exercises.assignment import build_exercises, parse_assignment
from exercises.families import families
from exercises.notebook import format_points, student_notebook
from exercises.render import markdown_sheet

SECRET = b"glitch-scan-secret-0123456789"
STUDENTS = ("s001", "s002", "s003", "s004")
LOCALES = ("en", "zh")


def _assignment():
    slots = []
    for name, family in sorted(families().items()):
        for level in family.difficulties:
            # 4 points over 3 equal parts is 4/3 each; 2 over 5 is 0.4; the family's own points otherwise
            points = (4, 2, None)[len(slots) % 3]
            slot = {"id": f"{name}_{level}", "family": name, "difficulty": level}
            if points is not None:
                slot["points"] = points
            slots.append(slot)
    return parse_assignment(
        {"id": "scan", "title": {"en": "Scan", "zh": "扫描"}, "locales": list(LOCALES), "slots": slots}
    )


ASSIGNMENT = _assignment()


@pytest.fixture(scope="module")
def built():
    return {student: build_exercises(ASSIGNMENT, SECRET, student) for student in STUDENTS}


@pytest.fixture(scope="module")
def notebooks(built):
    return {
        (student, locale): student_notebook(ASSIGNMENT, student, built[student], locale)
        for student in STUDENTS
        for locale in LOCALES
    }


_POINTS = re.compile(r"\(([^()]*?) ?(points?|分)\)")
_CLEAN = re.compile(r"\d+(\.\d{1,2})?|\d+/\d+")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.DOTALL)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_LABEL = re.compile(r"(?<![\w*`])\(([a-z])\)(?!\s*`)")


def _prose(text: str) -> str:
    """``text`` without its code spans (what is rendered as text or maths)."""
    return _CODE.sub(" ", text)


def _markdown_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "markdown"]


def test_the_scan_covers_every_family_and_level(built):
    pairs = {(ex.family, ex.difficulty) for _, ex in built[STUDENTS[0]]}
    expected = {(name, level) for name, fam in families().items() for level in fam.difficulties}
    # a slot may hold a sibling family's variant name, but every level of every family is drawn
    assert {slot.id for slot, _ in built[STUDENTS[0]]} == {f"{n}_{lv}" for n, lv in expected}
    assert len(pairs) >= len(families())


def test_points_are_written_cleanly(notebooks):
    seen = set()
    for (student, locale), nb in notebooks.items():
        for cell in _markdown_cells(nb):
            for text, _word in _POINTS.findall(_prose(cell.source)):
                assert _CLEAN.fullmatch(text), (student, locale, cell.id, text)
                seen.add(text)
    # the scan saw integers, decimals and fractions
    assert any("/" in t for t in seen) and any("." in t for t in seen) and any(t.isdigit() for t in seen), seen


@pytest.mark.parametrize(
    "value, text",
    [
        (6, "6"),
        (6.0, "6"),
        (sum([0.6] * 10), "6"),
        (1.8, "1.8"),
        (0.6, "0.6"),
        (4 / 3, "4/3"),
        (sum([4 / 3] * 3), "4"),
        (Fraction(3, 2), "1.5"),
        (Fraction(1, 8), "1/8"),
        (0.25, "0.25"),
        (10 / 3, "10/3"),
    ],
    ids=lambda v: repr(v),
)
def test_format_points(value, text):
    assert format_points(value) == text


def test_part_points_add_up_to_the_heading(built, notebooks):
    for student in STUDENTS:
        for slot, exercise in built[student]:
            heading = next(c.source for c in notebooks[(student, "en")].cells if c.id == f"{slot.id}-prompt")
            total = _POINTS.search(heading.splitlines()[0]).group(1)
            parts = sum(Fraction(format_points(p.points)) for p in exercise.parts)
            assert Fraction(total) == parts, (slot.id, total, [format_points(p.points) for p in exercise.parts])


_HINT_WORDS = {  # what the first line of an answer cell says, per kind of value asked
    "integer": re.compile(r"# (an integer|一个整数)$"),
    "shape": re.compile(r"# (a tuple of integers|一个整数元组)\b"),
    "array": re.compile(r"# (an array|一个数组)\b"),
    "number": re.compile(r"# (a number|一个数)[,，]"),
    "expression": re.compile(r"# (a formula|一个写成字符串的公式)\b"),
    "choice": re.compile(r"# (one of|以下之一)\b"),
}
_ASKS_NUMBER = re.compile(r"\ba number\b|一个数（|一个数，|一个数$")
_ASKS_TUPLE = re.compile(r"\btuple\b|元组")


def test_hints_name_the_kind_the_part_asks_for(built, notebooks):
    for (student, locale), nb in notebooks.items():
        cells = {cell.id: cell for cell in nb.cells}
        for slot, exercise in built[student]:
            for part in exercise.parts:
                spec = part.answer
                source = cells[f"{slot.id}-{part.key}-answer"].source
                hint = source.splitlines()[0]
                prompt = part.prompt.get(locale, "")
                if spec.kind == "function":
                    assert source.startswith(f"def {spec.name}("), (slot.id, part.key, source)
                    continue
                scalar = spec.kind == "array" and np.ndim(spec.expected) == 0
                kind = "number" if scalar else spec.kind
                matched = [k for k, pattern in _HINT_WORDS.items() if pattern.match(hint)]
                assert matched == [kind], (student, locale, slot.id, part.key, hint, spec.kind)
                if _ASKS_NUMBER.search(_prose(prompt)):
                    assert kind in ("number", "integer"), (slot.id, part.key, prompt, spec.kind)
                if _ASKS_TUPLE.search(_prose(prompt)) and spec.kind != "choice":
                    assert kind == "shape", (slot.id, part.key, prompt, spec.kind)


def test_no_part_label_is_shown_twice(built, notebooks):
    for (student, locale), nb in notebooks.items():
        cells = {cell.id: cell for cell in nb.cells}
        for slot, exercise in built[student]:
            keys = {part.key for part in exercise.parts}
            prompt = cells[f"{slot.id}-prompt"].source
            body = "\n".join(line for line in prompt.splitlines()[1:] if not line.lstrip().startswith("|"))
            repeated = keys & set(_LABEL.findall(_prose(_MATH.sub(" ", body))))
            assert not repeated, (student, locale, slot.id, sorted(repeated), body)
            labels = [
                c.source.split(" ", 1)[0]
                for c in nb.cells
                if c.id.startswith(f"{slot.id}-") and c.id.endswith("-prompt") and c.id != f"{slot.id}-prompt"
            ]
            assert labels == [f"**({part.key})**" for part in exercise.parts], labels
            for part in exercise.parts:
                text = _prose(_MATH.sub(" ", part.prompt.get(locale, "")))
                assert not _LABEL.findall(text), (slot.id, part.key, text)


def test_code_names_are_never_written_as_maths(built, notebooks):
    for (student, locale), nb in notebooks.items():
        names = {p.answer.name for _, ex in built[student] for p in ex.parts}
        coded = {n for n in names if "_" in n or len(n) > 2}
        for cell in _markdown_cells(nb):
            for math in _MATH.findall(cell.source):
                tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", math))
                assert not tokens & coded, (student, locale, cell.id, math, tokens & coded)


_LEFTOVERS = re.compile(
    r"\{[A-Za-z_][A-Za-z0-9_]*\}|\{\}|\bNone\b|<[a-z_.]+ object at 0x|\bnan\b|\binf\b|"
    r"\b\d+\.0(?![\d])|\(\d+\. "
)


def test_no_placeholders_or_float_artefacts_in_prompts(built, notebooks):
    for (student, locale), nb in notebooks.items():
        for cell in _markdown_cells(nb):
            if cell.id == "header":
                continue
            prose = _prose(_MATH.sub(" ", cell.source))
            found = _LEFTOVERS.findall(prose)
            assert not found, (student, locale, cell.id, found, prose)
            for math in _MATH.findall(cell.source):
                assert not re.search(r"(?<![\d.])\d+\.0(?![\d])", math), (student, locale, cell.id, math)


def test_sheets_show_what_the_notebooks_show(built):
    for student in STUDENTS[:2]:
        for locale in LOCALES:
            sheet = markdown_sheet(ASSIGNMENT, student, built[student], locale)
            for text, _ in _POINTS.findall(_prose(sheet)):
                assert _CLEAN.fullmatch(text), (student, locale, text)
            assert "$Y_" not in sheet and not re.search(r"\(\d+\. ?(points?|分)\)", sheet)


def test_formula_examples_use_only_the_allowed_symbols(built):
    from exercises.checkcell import FUNCTION_NAMES

    for student in STUDENTS:
        for slot, exercise in built[student]:
            for part in exercise.parts:
                spec = part.answer
                if spec.kind != "expression":
                    continue
                for locale, text in part.prompt.items():
                    for example in re.findall(r'`\w+ = "([^"`]+)"`', text):
                        names = set(re.findall(r"[A-Za-z_]\w*", example))
                        assert names <= set(spec.symbols) | set(FUNCTION_NAMES), (slot.id, locale, example)


_ARTICLE = re.compile(r"\b[Aa] (?:[aeio][a-z]|RGB\b|\$?(?:8|11|18)(?:\\times|\b|\d))")


def test_english_articles_fit_the_next_word(notebooks):
    for (student, locale), nb in notebooks.items():
        if locale != "en":
            continue
        for cell in _markdown_cells(nb):
            found = _ARTICLE.findall(_prose(cell.source))
            assert not found, (student, cell.id, found)


def test_lists_of_names_read_as_sentences(notebooks):
    for (student, locale), nb in notebooks.items():
        for cell in _markdown_cells(nb):
            # "defines `X`, `W`." (a list without its "and"); zh: "`W`和" (no space before the Chinese)
            assert not re.search(r"`[^`]+`, `[^`]+`\.", cell.source), (student, cell.id)
            if locale == "zh":  # a code span is set off from Chinese text by a space
                assert not re.search(r"`[\u4e00-\u9fff]", _MATH.sub(" ", cell.source).replace("``", "")), (
                    student,
                    cell.id,
                    re.findall(r".{8}`[\u4e00-\u9fff].{4}", cell.source),
                )


def test_no_doubled_words(notebooks):
    doubled = re.compile(r"\b([A-Za-z]{2,})[ ]+\1\b", re.IGNORECASE)  # on one line
    for (student, locale), nb in notebooks.items():
        for cell in _markdown_cells(nb):
            prose = _prose(_MATH.sub(" ", cell.source))
            assert not doubled.search(prose), (student, locale, cell.id, doubled.search(prose).group())
