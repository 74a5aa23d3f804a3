"""The locked check cell: reports the form of every answer, knows nothing of the key.

Three kinds of evidence that the cell reveals nothing:

- it is a function of the form alone: changing every expected value of every
  part (keeping its form), every wrong answer and every solution leaves the
  cell's source unchanged, for every family at every level;
- no expected array, formula, shape or multi-digit number of the key appears
  in it unless the student's own prompt already shows it;
- two students' cells differ only in the line of form data.

Then the cell is executed in a real Jupyter kernel (nbclient) on a blank, a
partly answered and a full notebook, and the grader is shown to skip it.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from exercises.assignment import build_exercises, parse_assignment
from exercises.checkcell import (
    CELL_ID,
    FORMS_PREFIX,
    FUNCTION_NAMES,
    TAG,
    _program,
    check_cell_source,
    is_check_cell,
    part_forms,
)
from exercises.families import families
from exercises.model import Exercise, Part
from exercises.notebook import key_notebook, student_notebook

SECRET = b"check-cell-secret-0123456789"
STUDENTS = ("s001", "s002", "s003")


def _every_family():
    slots = [
        {"id": f"{name}_{level}", "family": name, "difficulty": level}
        for name, family in sorted(families().items())
        for level in family.difficulties
    ]
    return parse_assignment({"id": "every", "title": "t", "slots": slots})


EVERY = _every_family()


@pytest.fixture(scope="module")
def built():
    return {student: build_exercises(EVERY, SECRET, student) for student in STUDENTS}


def _mutated(part: Part) -> Part:
    """``part`` with another expected value of the same form, and no wrong answers or solution."""
    spec = part.answer
    expected = spec.expected
    if spec.kind == "integer":
        expected = int(expected) + 1
    elif spec.kind == "shape":
        expected = tuple(int(v) + 1 for v in expected)
    elif spec.kind == "array":
        expected = np.asarray(expected, dtype=float) + 1.5
    elif spec.kind == "expression":
        expected = sympy.sympify(expected) + 7
    elif spec.kind == "choice":
        expected = next(c for c in spec.choices if c != expected)
    answer = dataclasses.replace(spec, expected=expected, reference="nowhere:nothing")
    return dataclasses.replace(part, answer=answer, wrong_answers=(), solution_code="raise SystemExit")


def _without_key(exercise: Exercise) -> Exercise:
    return dataclasses.replace(
        exercise,
        parts=tuple(_mutated(p) for p in exercise.parts),
        solution={locale: ("nothing",) for locale in exercise.solution},
    )


def test_the_cell_is_a_function_of_the_form_alone(built):
    for student in STUDENTS:
        exercises = built[student]
        changed = [(slot, _without_key(ex)) for slot, ex in exercises]
        for locale in ("en", "zh"):
            assert check_cell_source(changed, locale) == check_cell_source(exercises, locale), student


def _shown(exercise: Exercise) -> str:
    """Everything the student's notebook shows of ``exercise``."""
    texts = [*exercise.prompt.values(), exercise.setup_code]
    texts += [text for part in exercise.parts for text in part.prompt.values()]
    return "\n".join(texts)


def _literals(value) -> list[str]:
    array = np.asarray(value)
    if array.dtype.kind in "if" and array.size >= 2:
        data = array.tolist()
        return [repr(data), repr(data).replace(" ", ""), str(array)]
    return []


def test_no_expected_value_appears_in_the_cell(built):
    for student in STUDENTS:
        source = check_cell_source(built[student])
        forms = next(line for line in source.splitlines() if line.startswith(FORMS_PREFIX))
        forms = re.sub(r"'label': '\d+\(\w\)'", "", forms)  # question numbers are not answers
        shown = "\n".join(_shown(exercise) for _, exercise in built[student])  # what the notebook shows
        for slot, exercise in built[student]:
            for part in exercise.parts:
                spec = part.answer
                if spec.kind == "array":
                    for literal in _literals(spec.expected):
                        assert literal not in source, (slot.id, part.key, literal)
                elif spec.kind == "expression":
                    text = str(spec.expected)
                    assert len(text) < 3 or text not in source or text in shown, (slot.id, part.key, text)
                elif spec.kind == "shape" and len(spec.expected) > 1:
                    for text in (repr(tuple(spec.expected)), repr(list(spec.expected))):
                        assert text not in forms or text in shown, (slot.id, part.key, text)
                elif spec.kind == "integer" and abs(int(spec.expected)) >= 10:
                    token = re.compile(rf"(?<![\w.]){int(spec.expected)}(?![\w.])")
                    assert not token.search(forms) or token.search(shown), (slot.id, part.key, spec.expected)


def test_two_students_differ_only_in_the_forms_line(built):
    a, b = (check_cell_source(built[s]) for s in STUDENTS[:2])
    assert a != b or part_forms(built[STUDENTS[0]]) == part_forms(built[STUDENTS[1]])
    assert _program(a)[0] == _program(b)[0]
    differing = [x for x, y in zip(a.splitlines(), b.splitlines()) if x != y]
    assert all(line.startswith(FORMS_PREFIX) for line in differing), differing


def test_the_formula_functions_are_the_graders():
    from grader.expr import FUNCTIONS

    assert set(FUNCTION_NAMES) == set(FUNCTIONS)


def test_the_check_cell_is_last_locked_and_the_same_in_the_key(built):
    exercises = built[STUDENTS[0]]
    student = student_notebook(EVERY, "s001", exercises)
    key = key_notebook(EVERY, "s001", exercises)
    for nb in (student, key):
        cell = nb.cells[-1]
        assert (cell.id, cell.metadata.tags, cell.metadata.editable, cell.metadata.deletable) == (
            CELL_ID,
            [TAG],
            False,
            False,
        )
        assert is_check_cell(cell.source) and "import convmath" not in cell.source
        assert not re.search(r"^\s*(import|from)\s+(convmath|exercises|grader)\b", cell.source, re.M)
    assert student.cells[-1].source == key.cells[-1].source


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace('print(text["title"])', "print('all good')"),
        lambda s: s.replace(FORMS_PREFIX + "[", FORMS_PREFIX + "print('x') or ["),
        lambda s: s + "\nout_size = 3\n",
    ],
    ids=["program", "forms-code", "appended"],
)
def test_an_edited_check_cell_is_not_a_check_cell(built, edit):
    source = check_cell_source(built[STUDENTS[0]])
    assert is_check_cell(source) and not is_check_cell(edit(source))


# --- running it ------------------------------------------------------------------------------

SMALL = parse_assignment(
    {
        "id": "small",
        "title": "t",
        "slots": [
            {"id": "q1", "family": "conv_output_size"},
            {"id": "q2", "family": "cross_correlation_by_hand"},
            {"id": "q3", "family": "convolution_vs_correlation", "difficulty": 2},
            {"id": "q4", "family": "food_digestion", "difficulty": 3},
            {"id": "q5", "family": "implement_function", "options": {"function": "corr2d"}},
        ],
    }
)
PARTLY = {
    "q1-a-answer": "out_size = 3.0",
    "q2-a-answer": "out_shape = (2, 2, 1)",
    "q2-b-answer": "Y = K2 @ X",
    "q3-a-answer": "conv = [1, 2, 3]",
    "q3-b-answer": "flipped = 'Z'",
    "q4-b-answer": "content_expr = 'exp(-x)'",
    "q5-a-answer": "def corr2d(X, K):\n    return X[100]",
    "q5-b-answer": "corr2d_example = [[1, 2], [3, 4]]",
}


def _partly(nb):
    for cell in nb.cells:
        if cell.id in PARTLY:
            cell.source = PARTLY[cell.id]
    return nb


def _report(nb) -> str:
    import nbclient  # in the dev extra, with ipykernel

    client = nbclient.NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3")
    client.execute()
    outputs = nb.cells[-1].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def small():
    return build_exercises(SMALL, SECRET, "alice")


@pytest.mark.slow
def test_blank_notebook(small):
    report = _report(student_notebook(SMALL, "alice", small))
    lines = report.splitlines()
    assert lines[1:-1] and all(line.startswith("[  ]") and line.endswith("not answered yet") for line in lines[1:-1])
    assert lines[-1] == "0 of 10 parts answered in the asked form, 0 with a problem, 10 not answered."


@pytest.mark.slow
def test_full_notebook(small):
    report = _report(key_notebook(SMALL, "alice", small))
    assert report.splitlines()[-1] == "10 of 10 parts answered in the asked form, 0 with a problem, 0 not answered."
    assert "[ok] 5(a) corr2d" in report and "ran on the question's example corr2d(X, K)" in report


@pytest.mark.slow
def test_partly_answered_notebook(small):
    report = _report(_partly(student_notebook(SMALL, "alice", small)))
    line = {re.match(r"\[..\] (\S+)", ln).group(1): ln for ln in report.splitlines() if ln.startswith("[")}
    assert "3.0 is a float; write it as an integer (3)" in line["1(a)"] and line["1(a)"].startswith("[!!]")
    assert "expected a tuple of 2 integer(s), got (2, 2, 1)" in line["2(a)"]
    assert "its answer cell raises NameError: name 'K2' is not defined" in line["2(b)"]
    assert "expected a 2-D array, got one of shape (3,)" in line["3(a)"]
    assert "'Z' is not one of 'A', 'B', 'C', 'D', 'E'" in line["3(b)"]
    assert line["4(a)"].startswith("[  ]")
    assert "the name 'x' is not allowed (use t)" in line["4(b)"]
    assert "running corr2d(X, K) raised IndexError" in line["5(a)"]
    assert line["5(b)"].startswith("[ok]")
    assert report.splitlines()[-1] == "1 of 10 parts answered in the asked form, 7 with a problem, 2 not answered."


# --- the grader and the instructor's command ---------------------------------------------------


@pytest.mark.slow
def test_the_grader_skips_the_check_cell_and_flags_an_edited_one(small):
    from grader.grade import GradingContext, grade_submission
    from grader.simulate import notebook_bytes

    context = GradingContext(
        {
            "id": "small",
            "title": "t",
            "slots": [
                dict(s)
                for s in (
                    {"id": "q1", "family": "conv_output_size"},
                    {"id": "q2", "family": "cross_correlation_by_hand"},
                    {"id": "q3", "family": "convolution_vs_correlation", "difficulty": 2},
                    {"id": "q4", "family": "food_digestion", "difficulty": 3},
                    {"id": "q5", "family": "implement_function", "options": {"function": "corr2d"}},
                )
            ],
        },
        SECRET,
    )
    from grader.simulate import filled_notebook

    full = filled_notebook(SMALL, "alice", small)  # the student notebook with the key's answers
    assert full["cells"][-1]["id"] == CELL_ID
    result = grade_submission(notebook_bytes(full), "alice.ipynb", context)
    assert result.score == pytest.approx(result.max_score) and not result.flags, (result.flags, result.notes)
    assert not any("check cell" in note for note in result.notes)
    blank = student_notebook(SMALL, "alice", small)
    blank.cells[-1].source = "out_size = 1"  # an edited check cell is run like any cell, and flagged
    result = grade_submission(notebook_bytes(blank), "alice.ipynb", context)
    assert any("'convmath-check'" in flag for flag in result.flags), result.flags
    assert next(p for p in result.parts if p.name == "out_size").status != "missing"


@pytest.mark.slow
def test_convmath_check_names_the_cells_that_raise(small, tmp_path, capsys):
    from convmath.cli import main
    from grader.simulate import notebook_bytes

    path = tmp_path / "alice.ipynb"
    path.write_bytes(notebook_bytes(_partly(student_notebook(SMALL, "alice", small))))
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "cells that raise: 1\n  the answer cell of 2(b) raised NameError: name 'K2' is not defined (line 1)" in out
    assert "1 of 10 parts answered in the asked form" in out
    edited = student_notebook(SMALL, "alice", small)
    edited.cells[-1].source += "\nprint('all answers correct')"
    path.write_bytes(notebook_bytes(edited))
    assert main(["check", str(path)]) == 2
    assert "check cell was edited" in capsys.readouterr().err


# --- in process: any value, a slow function, an answer cell that raises --------------------------


def _run(source: str, namespace: dict) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)
    return out.getvalue()


values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner),
    max_leaves=12,
)


@given(st.data())
def test_any_values_get_one_line_per_part_and_never_raise(small, data):
    source = check_cell_source(small)
    forms = part_forms(small)
    namespace = {f["name"]: data.draw(values, label=f["name"]) for f in forms if f["kind"] != "function"}
    lines = _run(source, namespace).splitlines()
    assert len(lines) == len(forms) + 2
    counts = [int(n) for n in re.findall(r"\d+", lines[-1])]
    assert counts[0] + counts[2] + counts[3] == counts[1] == len(forms)
    assert not any(name.startswith("_convmath") or name.startswith("_CONVMATH") for name in namespace)


class _Shell:
    """Enough of IPython's shell for the check cell: the input history and the cell transformer."""

    def __init__(self, namespace, history):
        self.user_ns = namespace
        namespace["In"] = ["", *history, "<the check cell>"]

    def transform_cell(self, source):
        return source


def test_in_a_kernel_a_raising_answer_cell_is_rerun_to_name_its_error(small):
    namespace: dict = {}
    namespace["get_ipython"] = lambda: shell
    shell = _Shell(namespace, ["out_size = 3", "out_shape = (2, 2)\nY = K2 @ X"])
    namespace.update(out_size=3)
    report = _run(check_cell_source(small), namespace)
    assert "[!!] 2(a) out_shape" in report and "NameError: name 'K2' is not defined" in report
    assert "[!!] 2(b) Y" in report


def test_in_a_kernel_a_slow_function_is_stopped(small):
    namespace: dict = {}
    namespace["get_ipython"] = lambda: _Shell(namespace, [])
    exec("def corr2d(X, K):\n    while True:\n        pass", namespace)
    source = check_cell_source(small).replace(
        "_convmath_check(_CONVMATH_FORMS, _CONVMATH_TEXT)",
        "_convmath_check(_CONVMATH_FORMS, _CONVMATH_TEXT, seconds=1)",
    )
    report = _run(source, namespace)
    assert "running corr2d(X, K) took longer than 1 s" in report


def test_the_report_speaks_the_notebooks_language(small):
    report = _run(check_cell_source(small, "zh"), {"out_size": 7, "out_shape": [2]})
    lines = report.splitlines()
    assert lines[0] == "提交前检查（只检查每个答案的形式，不判断对错）："
    assert lines[1].startswith("[ok] 1(a) out_size") and lines[1].endswith("一个整数")
    assert lines[2].startswith("[!!] 2(a) out_shape") and "应为 2 个整数组成的元组" in lines[2]
    assert lines[-1] == "共 10 小题：1 题形式正确，1 题有问题，8 题尚未作答。"


@pytest.mark.slow
def test_convmath_check_leaves_out_a_cell_that_hangs(small):
    import nbformat

    from grader.cli.check import check_notebook
    from grader.simulate import notebook_bytes

    nb = student_notebook(SMALL, "alice", small)
    at = next(i for i, c in enumerate(nb.cells) if c.id == "q1-a-answer")
    nb.cells[at].source = "out_size = 4"
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    raised, report = check_notebook(notebook_bytes(nb), cell_timeout=2)
    assert raised == [
        "the code cell after 1(a) ran longer than 2 s and was stopped (left out of the run that checked the answers)"
    ]
    assert "[ok] 1(a) out_size" in report
