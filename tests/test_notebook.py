"""Student notebooks, keys, and the Markdown/LaTeX sheets."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from exercises.assignment import build_exercises, load_assignment
from exercises.model import AnswerSpec
from exercises.notebook import answer_code, answer_stub, key_notebook, student_notebook, write_notebook
from exercises.render import latex_sheet, markdown_sheet, markdown_to_latex

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SECRET = b"0123456789abcdef-test-secret"


@pytest.fixture(scope="module")
def built():
    assignment = load_assignment(EXAMPLES / "assignment.toml")
    return assignment, build_exercises(assignment, SECRET, "s001")


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_notebooks_validate(built, locale):
    assignment, exercises = built
    for make in (student_notebook, key_notebook):
        notebook = make(assignment, "s001", exercises, locale)
        nbformat.validate(notebook)
        assert notebook.nbformat == 4


def test_notebook_metadata(built):
    assignment, exercises = built
    student = student_notebook(assignment, "s001", exercises)
    meta = student.metadata.convmath
    assert (meta.assignment, meta.student, meta.role, meta.locale) == ("week3-convolutions", "s001", "student", "en")
    assert meta.version
    assert key_notebook(assignment, "s001", exercises).metadata.convmath.role == "key"


def test_answer_cells_carry_their_part(built):
    assignment, exercises = built
    notebook = student_notebook(assignment, "s001", exercises)
    answers = [cell for cell in notebook.cells if "convmath" in cell.metadata]
    parts = [(slot.id, part) for slot, exercise in exercises for part in exercise.parts]
    assert len(answers) == len(parts)
    for cell, (slot_id, part) in zip(answers, parts):
        assert cell.cell_type == "code"
        assert dict(cell.metadata.convmath) == {
            "assignment": "week3-convolutions",
            "student": "s001",
            "slot": slot_id,
            "part": part.key,
            "kind": part.answer.kind,
            "name": part.answer.name,
        }
        stub = cell.source.splitlines()
        if part.answer.kind == "function":
            assert stub[0].startswith(f"def {part.answer.name}(") and stub[-1].strip() == "raise NotImplementedError"
        else:
            assert stub[-1] == f"{part.answer.name} = None"


def test_prompt_and_setup_cells_are_locked(built):
    assignment, exercises = built
    notebook = student_notebook(assignment, "s001", exercises)
    locked = [cell for cell in notebook.cells if "convmath" not in cell.metadata]
    assert locked and all(c.metadata.editable is False and c.metadata.deletable is False for c in locked)
    assert all(
        c.metadata.tags[0] in ("convmath-header", "convmath-setup", "convmath-prompt", "convmath-check") for c in locked
    )
    assert sum(1 for c in notebook.cells if c.cell_type == "markdown") == 1 + len(exercises) + sum(
        len(ex.parts) for _, ex in exercises
    )


def test_key_has_the_same_cells_in_the_same_order(built):
    assignment, exercises = built
    student = student_notebook(assignment, "s001", exercises)
    key = key_notebook(assignment, "s001", exercises)
    assert [(c.id, c.cell_type, c.metadata) for c in key.cells] == [
        (c.id, c.cell_type, c.metadata) for c in student.cells
    ]
    for s_cell, k_cell in zip(student.cells, key.cells):
        if "convmath" in s_cell.metadata:
            assert "None" in s_cell.source or "NotImplementedError" in s_cell.source
            assert k_cell.source != s_cell.source
        elif s_cell.cell_type == "code":
            assert k_cell.source == s_cell.source


def test_chinese_notebook_text(built):
    assignment, exercises = built
    notebook = student_notebook(assignment, "s001", exercises, "zh")
    assert "第三周" in notebook.cells[0].source
    assert "一个整数" in "".join(c.source for c in notebook.cells if "convmath" in c.metadata)


def test_write_notebook_round_trips(built, tmp_path):
    assignment, exercises = built
    notebook = key_notebook(assignment, "s001", exercises)
    path = write_notebook(notebook, tmp_path / "k.ipynb")
    again = nbformat.read(path, as_version=4)
    nbformat.validate(again)
    assert again == notebook
    assert json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"][0].startswith("# Week 3")


@pytest.mark.parametrize(
    "spec, value, code",
    [
        pytest.param(AnswerSpec("integer", "n_params"), 3 * 2 * 5 * 5 + 2, "n_params = 152", id="integer"),
        pytest.param(AnswerSpec("shape", "s"), [6, 14, 14], "s = (6, 14, 14)", id="shape"),
        pytest.param(AnswerSpec("array", "Y"), [[19, 25], [37, 43]], "Y = [[19, 25], [37, 43]]", id="array"),
        pytest.param(AnswerSpec("choice", "c", choices=("A", "B")), "B", "c = 'B'", id="choice"),
    ],
)
def test_answer_code(spec, value, code):
    assert answer_code(spec, value) == code


def test_stub_lists_symbols_and_choices():
    stub = answer_stub(AnswerSpec("expression", "f", symbols={"n": "positive_integer", "k": "positive_integer"}), "zh")
    assert stub.splitlines() == ['# 一个写成字符串的公式，例如 "n + k"；可用符号：n, k', "f = None"]
    assert "'A', 'B'" in answer_stub(AnswerSpec("choice", "c", choices=("A", "B")))


def test_markdown_and_latex_sheets(built):
    assignment, exercises = built
    sheet = markdown_sheet(assignment, "s001", exercises, "en")
    key = markdown_sheet(assignment, "s001", exercises, "en", key=True)
    assert sheet.startswith("# Week 3: convolution arithmetic")
    assert "**Solution**" not in sheet and "**Solution**" in key
    for _, exercise in exercises:
        for part in exercise.parts:
            assert part.answer.name in sheet
            assert part.solution_code in key
    tex = latex_sheet(assignment, "s001", exercises, "zh", key=True)
    assert tex.startswith(r"\documentclass[11pt,UTF8]{ctexart}") and tex.rstrip().endswith(r"\end{document}")
    assert tex.count(r"\begin{verbatim}") == tex.count(r"\end{verbatim}")
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}")


@pytest.mark.parametrize(
    "markdown, latex",
    [
        pytest.param("a_b & 50%", r"a\_b \& 50\%", id="escape"),
        pytest.param("keep $x_{1} \\cdot 2$ as is", r"keep $x_{1} \cdot 2$ as is", id="math"),
        pytest.param("## Title", r"\subsection*{Title}", id="heading"),
        pytest.param("1. one\n2. two", "\\begin{enumerate}\n\\item one\n\\item two\n\\end{enumerate}", id="enumerate"),
        pytest.param("```python\nx = {1: 2}\n```", "\\begin{verbatim}\nx = {1: 2}\n\\end{verbatim}", id="code"),
        pytest.param("$$\nX = 1\n$$", "\\[\nX = 1\n\\]", id="display"),
    ],
)
def test_markdown_to_latex(markdown, latex):
    assert markdown_to_latex(markdown) == latex


def test_compile_pdf_with_a_missing_engine_is_a_convmath_error(tmp_path):
    from convmath import ConvMathError
    from exercises.render import compile_pdf

    tex = tmp_path / "sheet.tex"
    tex.write_text("\\documentclass{article}\\begin{document}x\\end{document}")
    with pytest.raises(ConvMathError, match=r"engine='no-such-engine' could not be run"):
        compile_pdf(tex, engine="no-such-engine")
