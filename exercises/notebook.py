"""Student notebooks and answer keys (nbformat v4).

A student notebook is, in order: a locked header cell, a locked setup cell
(``import numpy as np``), and for each slot a locked prompt cell, the
exercise's locked setup cell (when it has setup code), then for each part a
locked part-prompt cell and one answer cell; last, a locked check cell
(:mod:`exercises.checkcell`, tag ``convmath-check``) that reports the form
of every answer without knowing the key. The key has exactly the same
cells with the same ids in the same order; its answer cells hold the
reference solution instead of the stub, and each slot's prompt cell also
shows the worked solution.

Cell metadata, the contract with the grader:

- locked cells: ``editable`` and ``deletable`` false, and a tag
  ``convmath-header``, ``convmath-setup`` or ``convmath-prompt``;
- answer cells: ``deletable`` false, tag ``convmath-answer``, and
  ``metadata["convmath"] = {"assignment", "student", "slot", "part", "kind",
  "name"}`` (only answer cells carry ``metadata["convmath"]``);
- the notebook: ``metadata["convmath"] = {"assignment", "student",
  "version", "locale", "role"}`` where ``role`` is ``"student"`` or ``"key"``
  and ``version`` is the convmath version that generated it.

Nothing in the metadata is trusted by the grader: it regenerates the
exercises from the secret and compares.
"""

from __future__ import annotations

import functools
import json
import pprint
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from convmath._validate import check_choice
from convmath.errors import ConvMathError

from .checkcell import CELL_ID, TAG, check_cell_source, hint_kind
from .model import LOCALES, AnswerSpec, Exercise, Part

if TYPE_CHECKING:
    from .assignment import Assignment, Slot

__all__ = [
    "student_notebook",
    "key_notebook",
    "answer_stub",
    "answer_code",
    "format_points",
    "part_markdown",
    "hint_kind",
    "solution_source",
    "write_notebook",
    "SETUP_CODE",
    "TEXT",
    "points_label",
]

#: The notebook-wide setup cell.
SETUP_CODE = "import numpy as np"

#: The interface strings of notebooks and sheets, per locale (``TEXT["zh"]["solution"]``).
TEXT = {
    "en": {
        "student": "Student",
        "points": "points",
        "point": "point",
        "instructions": (
            "Answer each part in the code cell below it: replace the `None` (or the "
            "`raise NotImplementedError`) with your answer, keep the variable or function "
            "name, and run the whole notebook before you hand it in. The grey cells are "
            "locked; do not change them."
        ),
        "key": "**Answer key** — for the instructor; do not hand out.",
        "solution": "Solution",
        "part_define": "Define `{name}`.",
        "integer": "an integer",
        "shape": "a tuple of integers, e.g. (3, 4)",
        "array": "an array: a nested list of numbers or a numpy array",
        "number": "a number, e.g. 12.75",
        "expression": 'a formula as a string, e.g. "{example}"; symbols: {symbols}',
        "choice": "one of {choices}",
        "function": "your code here",
        "forbidden": "not allowed here: import of {modules}",
    },
    "zh": {
        "student": "学生",
        "points": "分",
        "point": "分",
        "instructions": (
            "在每一小题下方的代码单元中作答：把 `None`（或 `raise NotImplementedError`）"
            "替换为你的答案，不要改动变量名或函数名；提交前请运行整个笔记本。"
            "灰色单元已锁定，请勿修改。"
        ),
        "key": "**参考答案**——仅供教师使用，请勿分发。",
        "solution": "解答",
        "part_define": "定义 `{name}`。",
        "integer": "一个整数",
        "shape": "一个整数元组，例如 (3, 4)",
        "array": "一个数组：嵌套列表或 numpy 数组",
        "number": "一个数，例如 12.75",
        "expression": '一个写成字符串的公式，例如 "{example}"；可用符号：{symbols}',
        "choice": "以下之一：{choices}",
        "function": "在此编写代码",
        "forbidden": "此题不允许导入：{modules}",
    },
}


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("convmath")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def format_points(points: float | Fraction | int) -> str:
    """Points as a student reads them: ``2``, ``0.5``, ``1.25`` or ``4/3``, never ``6.`` or ``1.33``.

    Integers show as integers; other values as a decimal of at most two
    places when that is exact, else as a fraction. Floats are read as the
    nearest fraction with a small denominator, so ``5.999999999999999``
    (ten parts of 0.6 added up) is ``6`` and ``1.3333333333333333`` is ``4/3``.

    Examples
    --------
    >>> [format_points(p) for p in (2, 6.0, 0.6 * 10, 1.8, 0.25, 4 / 3, Fraction(8, 3), 0.125)]
    ['2', '6', '6', '1.8', '0.25', '4/3', '8/3', '1/8']
    >>> format_points(Fraction("1.3333333333333333"))    # an exact long decimal: two places
    '1.33'
    """
    value = Fraction(points).limit_denominator(1000) if isinstance(points, float) else Fraction(points)
    if value.denominator == 1:
        return str(value.numerator)
    if 100 % value.denominator == 0 or value.denominator > 1000:  # exact decimals; a long decimal rounded
        return f"{float(value):.2f}".rstrip("0").rstrip(".")
    return f"{value.numerator}/{value.denominator}"


def points_label(points: float | Fraction | int, locale: str) -> str:
    """Points with their word, as a heading shows them: ``2 points``, ``1 point``, ``4/3 points``, ``3分``.

    Examples
    --------
    >>> points_label(2, "en"), points_label(1, "en"), points_label(2.5, "en"), points_label(3, "zh")
    ('2 points', '1 point', '2.5 points', '3分')
    """
    text = format_points(points)
    word = TEXT[locale]["point" if text == "1" else "points"]
    return f"{text} {word}" if locale == "en" else f"{text}{word}"


# The module's own spelling of TEXT (kept so that edits in flight merge cleanly).
_TEXT = TEXT


def answer_stub(spec: AnswerSpec, locale: str = "en") -> str:
    """The code an answer cell starts with: a comment saying what to give, and the stub.

    Parameters
    ----------
    spec
        The part's answer spec.
    locale
        ``"en"`` or ``"zh"`` (the comment's language).

    Returns
    -------
    str
        ``name = None`` under a comment, or a function of ``spec.signature``
        raising :class:`NotImplementedError`.

    Examples
    --------
    >>> print(answer_stub(AnswerSpec("integer", "out_size")))
    # an integer
    out_size = None
    >>> print(answer_stub(AnswerSpec("function", "corr2d", signature="corr2d(X, K)",
    ...                              forbidden_imports=("convmath", "torch"))))
    def corr2d(X, K):
        # your code here
        # not allowed here: import of convmath, torch
        raise NotImplementedError
    """
    check_choice("locale", locale, LOCALES)
    text = _TEXT[locale]
    if spec.kind == "function":
        signature = spec.signature or f"{spec.name}(*args)"
        lines = [f"def {signature}:", f"    # {text['function']}"]
        if spec.forbidden_imports:
            lines.append(f"    # {text['forbidden'].format(modules=', '.join(spec.forbidden_imports))}")
        lines.append("    raise NotImplementedError")
        return "\n".join(lines)
    if spec.kind == "expression":
        symbols = ", ".join(spec.symbols) or "-"
        example = " + ".join(list(spec.symbols)[:2]) or "1"
        comment = text["expression"].format(example=example, symbols=symbols)
    elif spec.kind == "choice":
        comment = text["choice"].format(choices=", ".join(repr(c) for c in spec.choices))
    else:
        comment = text[hint_kind(spec)]
    return f"# {comment}\n{spec.name} = None"


def _literal(kind: str, value: Any) -> str:
    if kind == "integer":
        return repr(int(value))
    if kind == "shape":
        return repr(tuple(int(v) for v in value))
    if kind == "array":
        import numpy as np

        array = np.asarray(value)
        data = array.tolist()
        if array.dtype.kind == "f":
            data = _plain_floats(data)
        return pprint.pformat(data, width=72, compact=True)
    if kind in ("expression", "choice"):
        return repr(str(value))
    raise ConvMathError(f"kind={kind!r} has no literal form; function answers need solution_code")


def _plain_floats(data: Any) -> Any:
    if isinstance(data, list):
        return [_plain_floats(item) for item in data]
    return float(data)


def answer_code(spec: AnswerSpec, value: Any) -> str:
    """Python source that defines ``spec.name`` as ``value`` (for keys and simulated submissions).

    Examples
    --------
    >>> answer_code(AnswerSpec("shape", "out_shape"), (4, 4))
    'out_shape = (4, 4)'
    >>> answer_code(AnswerSpec("array", "Y"), [[19, 25], [37, 43]])
    'Y = [[19, 25], [37, 43]]'
    >>> answer_code(AnswerSpec("expression", "formula"), "n - k + 1")
    "formula = 'n - k + 1'"
    """
    return f"{spec.name} = {_literal(spec.kind, value)}"


def solution_source(part: Part) -> str:
    """The key's code for ``part``: its ``solution_code``, else the expected value as a literal.

    Examples
    --------
    >>> part = Part("a", {"en": "Define `out_size`."}, AnswerSpec("integer", "out_size", expected=3), points=1.0)
    >>> solution_source(part)                   # no solution_code: the expected value as a literal
    'out_size = 3'
    >>> import dataclasses
    >>> solution_source(dataclasses.replace(part, solution_code="out_size = (8 - 3) // 2 + 1"))
    'out_size = (8 - 3) // 2 + 1'
    >>> solution_source(Part("b", {}, AnswerSpec("function", "corr2d", signature="corr2d(X, K)"), points=2.0))
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: part 'b' defines function 'corr2d' but has no solution_code
    """
    if part.solution_code:
        return part.solution_code
    if part.answer.kind == "function":
        raise ConvMathError(f"part {part.key!r} defines function {part.answer.name!r} but has no solution_code")
    return answer_code(part.answer, part.answer.expected)


def part_markdown(part: Part, locale: str) -> str:
    """The Markdown asking for one part: its label, its prompt and its points.

    The points close the prompt's last line, or follow on their own line
    when the prompt ends with a list, a table or displayed maths (where they
    would read as part of the last item).

    Examples
    --------
    >>> part = Part("b", {"en": "Which one? Define `pick`.\\n\\n- **A**: $1$\\n- **B**: $2$"},
    ...             AnswerSpec("choice", "pick", "A", choices=("A", "B")), points=1.0)
    >>> print(part_markdown(part, "en"))
    **(b)** Which one? Define `pick`.
    <BLANKLINE>
    - **A**: $1$
    - **B**: $2$
    <BLANKLINE>
    *(1 point)*
    >>> print(part_markdown(Part("a", {}, AnswerSpec("integer", "n", 3), points=Fraction(4, 3)), "zh"))
    **(a)** 定义 `n`。 *(4/3分)*
    """
    text = (part.prompt.get(locale) or _TEXT[locale]["part_define"].format(name=part.answer.name)).rstrip()
    points = f"*({points_label(part.points, locale)})*"
    last = text.rsplit("\n", 1)[-1].lstrip()
    block_end = "\n" in text and (last[:1] in ("-", "*", "|") or last[:2].rstrip(".").isdigit() or last.endswith("$$"))
    return f"**({part.key})** {text}" + (f"\n\n{points}" if block_end else f" {points}")


def _md(cell_id: str, source: str, tag: str) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": cell_id,
        "metadata": {"editable": False, "deletable": False, "tags": [tag]},
        "source": source,
    }


def _code(cell_id: str, source: str, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": metadata,
        "outputs": [],
        "source": source,
    }


def _header(assignment: Assignment, student_id: str, student_name: str, locale: str, key: bool) -> str:
    text = _TEXT[locale]
    who = f"{student_id} ({student_name})" if student_name else student_id
    lines = [f"# {assignment.title[locale]}", ""]
    meta = " · ".join(x for x in (assignment.course, assignment.id, f"{text['student']}: {who}") if x)
    lines += [meta, ""]
    if key:
        lines += [text["key"], ""]
    lines.append(text["instructions"])
    return "\n".join(lines)


def _solution_md(exercise: Exercise, locale: str) -> str:
    steps = exercise.solution.get(locale) or exercise.solution.get("en") or ()
    body = "\n".join(f"{i}. " + step.replace("\n", "\n   ") for i, step in enumerate(steps, 1))
    return f"\n\n---\n\n**{_TEXT[locale]['solution']}**\n\n{body}"


def _build(
    assignment: Assignment,
    student_id: str,
    exercises: Sequence[tuple[Slot, Exercise]],
    locale: str | None,
    *,
    key: bool,
    student_name: str = "",
) -> nbformat.NotebookNode:
    from .families import families

    locale = assignment.locale if locale is None else locale
    check_choice("locale", locale, LOCALES)
    registry = families()
    cells: list[dict[str, Any]] = [
        _md("header", _header(assignment, student_id, student_name, locale, key), "convmath-header"),
        _code("setup", SETUP_CODE, {"editable": False, "deletable": False, "tags": ["convmath-setup"]}),
    ]
    for number, (slot, exercise) in enumerate(exercises, 1):
        family = registry.get(exercise.family)
        title = family.title.get(locale, exercise.family) if family else exercise.family
        prompt = f"## {number}. {title} ({points_label(exercise.points, locale)})\n\n{exercise.prompt[locale]}"
        if key:
            prompt += _solution_md(exercise, locale)
        cells.append(_md(f"{slot.id}-prompt", prompt, "convmath-prompt"))
        if exercise.setup_code:
            cells.append(
                _code(
                    f"{slot.id}-setup",
                    exercise.setup_code,
                    {"editable": False, "deletable": False, "tags": ["convmath-setup"]},
                )
            )
        for part in exercise.parts:
            cells.append(_md(f"{slot.id}-{part.key}-prompt", part_markdown(part, locale), "convmath-prompt"))
            source = solution_source(part) if key else answer_stub(part.answer, locale)
            meta = {
                "deletable": False,
                "tags": ["convmath-answer"],
                "convmath": {
                    "assignment": assignment.id,
                    "student": student_id,
                    "slot": slot.id,
                    "part": part.key,
                    "kind": part.answer.kind,
                    "name": part.answer.name,
                },
            }
            cells.append(_code(f"{slot.id}-{part.key}-answer", source, meta))
    cells.append(
        _code(CELL_ID, check_cell_source(exercises, locale), {"editable": False, "deletable": False, "tags": [TAG]})
    )
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "convmath": {
                "assignment": assignment.id,
                "student": student_id,
                "version": _version(),
                "locale": locale,
                "role": "key" if key else "student",
            },
        },
        "cells": cells,
    }
    return nbformat.from_dict(notebook)


def student_notebook(
    assignment: Assignment,
    student_id: str,
    exercises: Sequence[tuple[Slot, Exercise]],
    locale: str | None = None,
    *,
    student_name: str = "",
) -> nbformat.NotebookNode:
    """The notebook handed to one student.

    Parameters
    ----------
    assignment
        The parsed assignment.
    student_id
        The student's roster id.
    exercises
        ``build_exercises(assignment, secret, student_id)``.
    locale
        Language of the text; default the assignment's main locale.
    student_name
        Printed in the header when given.

    Returns
    -------
    nbformat.NotebookNode
        An nbformat 4.5 notebook that passes ``nbformat.validate``.

    Examples
    --------
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "t",
    ...                       "slots": [{"id": "q1", "family": "convolution_vs_correlation"}]})
    >>> nb = student_notebook(a, "alice", build_exercises(a, b"0123456789abcdef", "alice"))
    >>> nbformat.validate(nb)
    >>> [c.metadata.convmath.slot for c in nb.cells if "convmath" in c.metadata][:1]
    ['q1']
    """
    return _build(assignment, student_id, exercises, locale, key=False, student_name=student_name)


def key_notebook(
    assignment: Assignment,
    student_id: str,
    exercises: Sequence[tuple[Slot, Exercise]],
    locale: str | None = None,
    *,
    student_name: str = "",
) -> nbformat.NotebookNode:
    """The answer key for one student: the student notebook with the solutions in.

    Same parameters as :func:`student_notebook`. The cells, their ids and
    their order are those of the student notebook; answer cells hold
    :func:`solution_source` and prompt cells add the worked solution.

    Examples
    --------
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> exercises = build_exercises(a, b"0123456789abcdef", "alice")
    >>> key = key_notebook(a, "alice", exercises)
    >>> student = student_notebook(a, "alice", exercises)
    >>> [c.id for c in key.cells] == [c.id for c in student.cells]
    True
    >>> key.metadata.convmath.role, student.metadata.convmath.role
    ('key', 'student')
    >>> part = exercises[0][1].parts[0]
    >>> answer = key.cells[-2]                  # the last answer cell (before the check cell) holds the solution
    >>> answer.source == solution_source(part)
    True
    >>> namespace = {}
    >>> exec(answer.source, namespace)
    >>> namespace[part.answer.name] == part.answer.expected
    True
    """
    return _build(assignment, student_id, exercises, locale, key=True, student_name=student_name)


def write_notebook(notebook: nbformat.NotebookNode, path: str | Path, *, validate: bool = False) -> Path:
    """Write ``notebook`` as ``.ipynb`` JSON, without re-validating and without indentation.

    Notebooks built here are valid by construction (the tests validate them),
    so the writer skips the schema check that dominates ``nbformat.write``
    (pass ``validate=True`` to check anyway), and writes the JSON compactly:
    indentation switches :mod:`json` to its pure-Python encoder, four times
    slower. Jupyter re-indents the file when it saves it.

    Examples
    --------
    >>> import json, tempfile
    >>> from exercises.assignment import parse_assignment, build_exercises
    >>> a = parse_assignment({"id": "w1", "title": "Week 1", "slots": [{"id": "q1", "family": "conv_output_size"}]})
    >>> nb = student_notebook(a, "alice", build_exercises(a, b"0123456789abcdef", "alice"))
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = write_notebook(nb, Path(tmp.name) / "alice.ipynb", validate=True)
    >>> path.name, path.read_text(encoding="utf-8").count("\\n")    # one line of JSON
    ('alice.ipynb', 1)
    >>> json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"][:2]    # sources as lists of lines
    ['# Week 1\\n', '\\n']
    >>> nbformat.read(path, as_version=4) == nb
    True
    >>> tmp.cleanup()
    """
    if validate:
        nbformat.validate(notebook)
    path = Path(path)
    text = json.dumps(_split_sources(notebook), sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _split_sources(notebook: Any) -> dict[str, Any]:
    cells = [{**cell, "source": cell["source"].splitlines(True)} for cell in notebook["cells"]]
    return {**notebook, "cells": cells}
