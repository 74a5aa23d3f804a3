"""Feedback a student can act on: places named as in Jupyter, errors said, notes ending cleanly."""

from __future__ import annotations

import ast
import json
import pathlib
import re

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from exercises.assignment import build_exercises
from exercises.notebook import student_notebook
from grader.grade import GradingContext, grade_submission
from grader.load import SubmissionError, load_notebook
from grader.messages import CellPlaces, shorten
from grader.simulate import filled_notebook, notebook_bytes

SECRET = b"feedback-text-secret-0123"
DATA = {
    "id": "fb",
    "title": "t",
    "slots": [
        {"id": "q1", "family": "conv_output_size"},
        {"id": "q2", "family": "cross_correlation_by_hand"},
        {"id": "q3", "family": "receptive_field", "difficulty": 2},
    ],
}
ROOT = pathlib.Path(__file__).resolve().parents[1]
_CELL_NUMBER = re.compile(r"\bcells? \d+\b")
_DOUBLED = re.compile(r"\b([A-Za-z]{2,})\s+\1\b", re.IGNORECASE)


# --- shorten ---------------------------------------------------------------------------

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=12)
sentences = st.lists(words, min_size=1, max_size=12).map(" ".join).map(lambda s: s + ".")


@given(st.lists(sentences, min_size=1, max_size=8).map(" ".join), st.integers(10, 200))
def test_shorten_cuts_between_words_and_shows_it(text, limit):
    out = shorten(text, limit)
    if len(text) <= limit:
        assert out == text
        return
    assert out.endswith("…") and len(out) <= limit + 2
    kept = out[:-1].rstrip()
    assert text.startswith(kept)
    rest = text[len(kept) :]
    # the cut falls at a space (a word end), or inside a word when no space is past a third of the limit
    # the cut is at a space; punctuation left dangling before it (", " or "(") is dropped with the space
    assert rest.lstrip(",:;(")[:1] in (" ", "") or text.rfind(" ", 0, limit) <= limit // 3


def test_shorten_the_demo_note_at_a_word():
    note = (
        "the code cell after 10(b) stopped the sandbox (crashed): the sandbox process exited with code 0 "
        "(os._exit or a fatal error in the submission)"
    )
    assert shorten(note, 200) == note  # short notes are not cut at all
    cut = shorten(note, 100)
    assert cut.endswith(" …") and note.startswith(cut[:-2]) and note[len(cut) - 2] == " "


def test_shorten_prefers_a_sentence_end():
    assert (
        shorten("First sentence here. Second one is much longer than the limit allows.", 40) == "First sentence here. …"
    )


# --- places -----------------------------------------------------------------------------


def _context() -> GradingContext:
    return GradingContext(DATA, SECRET)


def test_every_code_cell_of_a_student_notebook_has_a_name():
    context = _context()
    nb = student_notebook(context.assignment, "alice", build_exercises(context.assignment, SECRET, "alice"))
    loaded = load_notebook(json.dumps(nb).encode())
    for locale in ("en", "zh"):
        places = CellPlaces(loaded.cells, [slot.id for slot in context.assignment.slots], locale)
        names = [places.describe(cell.index + 1) for cell in loaded.cells if cell.cell_type == "code"]
        assert len(set(names)) == len(names), names
        assert not any(_CELL_NUMBER.search(name) for name in names), names
    en = CellPlaces(loaded.cells, [s.id for s in context.assignment.slots])
    by_id = {cell.id: en.describe(cell.index + 1) for cell in loaded.cells}
    assert by_id["q2-b-answer"] == "the answer cell of 2(b)"
    assert by_id["q2-setup"] == "the setup cell of question 2"
    assert by_id["q3-a-answer"] == "the answer cell of 3(a)"


def test_added_cells_are_named_after_what_precedes_them():
    context = _context()
    nb = student_notebook(context.assignment, "alice", build_exercises(context.assignment, SECRET, "alice"))
    cells = list(nb.cells)
    at = next(i for i, c in enumerate(cells) if c.id == "q1-a-answer")
    cells[at + 1 : at + 1] = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    at = next(i for i, c in enumerate(cells) if c.id == "q2-prompt")
    cells.insert(at + 1, nbformat.v4.new_code_cell("z = 3"))
    nb.cells = cells
    loaded = load_notebook(json.dumps(nb).encode())
    places = CellPlaces(loaded.cells, ["q1", "q2", "q3"])
    sources = {cell.source: places.describe(cell.index + 1) for cell in loaded.cells}
    assert sources["x = 1"] == "the code cell after 1(a)"
    assert sources["y = 2"] == "code cell 2 after 1(a)"
    assert sources["z = 3"] == "the code cell after the text of question 2"


# --- grading: what the student reads -----------------------------------------------------


@pytest.fixture(scope="module")
def graded():
    context = _context()
    exercises = build_exercises(context.assignment, SECRET, "alice")
    nb = filled_notebook(
        context.assignment,
        "alice",
        exercises,
        answers={
            ("q2", "b"): "Y = K2 @ X",  # raises NameError: Y is never defined
            ("q1", "a"): "%matplotlib inline\nout_size = -1",
            ("q3", "b"): "effective_stride = None",
        },
    )
    cells = nb["cells"]
    at = next(i for i, c in enumerate(cells) if c["id"] == "q3-a-answer")
    cells.insert(at + 1, nbformat.v4.new_code_cell("def f():\n    return 1 / 0\n\nf()"))
    return grade_submission(notebook_bytes(nb), "alice.ipynb", context)


def test_a_part_whose_cell_raised_says_so(graded):
    part = next(p for p in graded.parts if (p.slot, p.part) == ("q2", "b"))
    assert part.status == "error" and part.score == 0
    assert (
        part.message
        == "'Y' is not defined: the answer cell of 2(b) raised NameError: name 'K2' is not defined (line 1)"
    )


def test_notes_name_questions_and_parts_not_cell_numbers(graded):
    notes = list(graded.notes)
    assert "the answer cell of 1(a): IPython magic skipped (line 1): '%matplotlib inline'" in notes
    assert "the code cell after 3(a) raised ZeroDivisionError: division by zero (line 2)" in notes
    assert "the answer cell of 2(b) raised NameError: name 'K2' is not defined (line 1)" in notes
    for text in [*notes, *(p.message for p in graded.parts)]:
        assert not _CELL_NUMBER.search(text), text
        assert not _DOUBLED.search(text), text


def test_an_unanswered_part_is_still_not_answered(graded):
    part = next(p for p in graded.parts if (p.slot, p.part) == ("q3", "b"))
    assert (part.status, part.message) == ("missing", "'effective_stride' was not answered")


# --- messages read as sentences -------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{"cells": [',
        b'{"a": "b',
        b"[1, 2",
        b'{"nbformat": 4,}',
        b"\xef\xbb\xbf{",
        b"nul\x00l",
    ],
    ids=lambda d: repr(d)[:20],
)
def test_load_errors_have_no_doubled_words(data):
    with pytest.raises(SubmissionError) as err:
        load_notebook(data)
    assert not _DOUBLED.search(str(err.value)), str(err.value)


def _literal_texts(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        else:
            continue
        if "\n" not in text.strip():  # messages, not code templates
            yield node.lineno, text


def test_grader_messages_have_no_doubled_words():
    found = [
        (str(path.relative_to(ROOT)), line, text)
        for path in sorted((ROOT / "grader").rglob("*.py"))
        for line, text in _literal_texts(path)
        if _DOUBLED.search(text)
    ]
    assert not found, found


def test_feedback_writes_points_as_the_notebook_does():
    from grader.export import feedback_markdown
    from grader.results import PartOutcome, SubmissionResult

    parts = tuple(
        PartOutcome(f"q{i}", "a", f"x{i}", score, 4 / 3, "partial", "")
        for i, score in ((1, 0.0), (2, 2 / 3), (3, 4 / 3))
    )
    result = SubmissionResult("a.ipynb", "00", "a", "file name", "hw", "graded", 2.0, 4.0, parts)
    md = feedback_markdown(result)
    assert "| 1(a) (`x1`) | 0 of 4/3 |" in md and "| 2(a) (`x2`) | 2/3 of 4/3 |" in md
    assert "1.3333" not in md and "0.6667" not in md
    assert "| 3(a) (`x3`) | 4/3（满分 4/3） |" in feedback_markdown(result, locale="zh")
