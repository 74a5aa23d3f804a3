"""Words a student can act on: where in the notebook, and notes that end cleanly.

A student sees questions and parts ("2(b)") in Jupyter, not cell numbers, so
the grader names a cell by what it is: the answer cell of a part, the setup
cell of a question, the code cell a student added after a part.
:class:`CellPlaces` maps a notebook's cells to those names, and
:meth:`CellPlaces.rewrite` replaces the ``(cell N, line L)`` the sandbox puts
in an exception message. :func:`shorten` cuts long notes at a sentence or a
word, with a visible ellipsis, never in the middle of a word.

Examples
--------
>>> from grader.load import Cell
>>> answer = Cell(4, "code", "Y = 1", "q2-b-answer", ("convmath-answer",), {"slot": "q2", "part": "b"})
>>> extra = Cell(5, "code", "print(K2)", "", (), None)
>>> places = CellPlaces([answer, extra], ["q1", "q2"])
>>> places.describe(5), places.describe(6)
('the answer cell of 2(b)', 'the code cell after 2(b)')
>>> prompt = Cell(0, "markdown", "## 1. ...", "q1-prompt", ("convmath-prompt",), None)
>>> CellPlaces([prompt, Cell(1, "code", "import os", "", (), None)], ["q1"]).describe(2)
'the code cell after the text of question 1'
>>> places.rewrite("NameError: name 'K2' is not defined (cell 6, line 1)", 6)
"NameError: name 'K2' is not defined (line 1)"
>>> shorten("the sandbox process exited with code 0 (os._exit or a fatal error in the submission)", 60)
'the sandbox process exited with code 0 (os._exit or a fatal …'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .load import Cell

__all__ = ["CellPlaces", "part_label", "shorten"]

_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "answer": "the answer cell of {label}",
        "setup": "the setup cell of question {number}",
        "first": "the first code cell (import numpy)",
        "check": "the check cell at the end",
        "after": "the code cell after {label}",
        "nth_after": "code cell {n} after {label}",
        "text_of": "the text of {label}",
        "question": "question {number}",
        "before": "a code cell before question 1",
        "line": "line {line}",
        "line_of": "line {line} of {place}",
    },
    "zh": {
        "answer": "{label} 的答案单元",
        "setup": "第 {number} 题的设置单元",
        "first": "第一个代码单元（import numpy）",
        "check": "末尾的检查单元",
        "after": "{label} 之后的代码单元",
        "nth_after": "{label} 之后的第 {n} 个代码单元",
        "text_of": "{label} 的题目文字",
        "question": "第 {number} 题",
        "before": "第 1 题之前的代码单元",
        "line": "第 {line} 行",
        "line_of": "{place}第 {line} 行",
    },
}

_WHERE = re.compile(r" \(cell (\d+), line (\d+)\)")


def part_label(number: int, key: str) -> str:
    """A part as the notebook labels it: question ``number``, part ``key``.

    Examples
    --------
    >>> part_label(2, "b")
    '2(b)'
    """
    return f"{number}({key})"


def shorten(text: str, limit: int = 300) -> str:
    """``text`` if it has at most ``limit`` characters, else cut at a sentence or word end, then a space and ``…``.

    The cut falls at the last sentence end (``.`` or ``;`` and a space) past a third of
    the limit, else at the last space; a word is never split, and the
    ellipsis shows that something was left out.

    Examples
    --------
    >>> shorten("short note")
    'short note'
    >>> shorten("cell 3 raised an error. The rest of this long note is about something else entirely.", 40)
    'cell 3 raised an error. …'
    >>> shorten("abcdefghij" * 3, 12)               # one long word: cut, but visibly
    'abcdefghijab…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    for mark in (". ", "; ", "。", "；"):
        end = head.rfind(mark, limit // 3, limit)
        if end != -1:
            return head[: end + len(mark.rstrip())] + " …"
    space = head.rfind(" ", 0, limit)
    if space > limit // 3:
        return head[:space].rstrip(" ,:;(") + " …"
    return text[:limit] + "…"


class CellPlaces:
    """Names the cells of one submitted notebook the way the student sees them.

    Parameters
    ----------
    cells
        The notebook's cells (:attr:`grader.load.LoadedNotebook.cells`).
    slots
        The assignment's slot ids in order (question ``i`` is ``slots[i - 1]``).
    locale
        ``"en"`` or ``"zh"``.

    Notes
    -----
    Cells are named from their metadata (answer cells carry their slot and
    part) and ids (setup cells are ``<slot>-setup``); a cell the student
    added is named after the last answer cell above it. A cell whose metadata
    names no slot of the assignment is named by its position among the code
    cells after the last known part, never by its index alone.
    """

    def __init__(self, cells: Sequence[Cell], slots: Sequence[str], locale: str = "en") -> None:
        self._text = _TEXT.get(locale, _TEXT["en"])
        numbers = {slot: i for i, slot in enumerate(slots, 1)}
        self._names: dict[int, str] = {}
        anchor, extra = "", 0
        for cell in cells:
            if cell.cell_type != "code":
                text_of = self._prompt_of(cell.id, numbers)
                if text_of:
                    anchor, extra = self._text["text_of"].format(label=text_of), 0
                    self._names[cell.index + 1] = anchor
                continue
            meta = cell.convmath or {}
            slot, part = meta.get("slot", ""), meta.get("part", "")
            if slot in numbers and part:
                anchor, extra = part_label(numbers[slot], part), 0
                name = self._text["answer"].format(label=anchor)
            elif cell.id == "setup":
                name = self._text["first"]
            elif cell.id.endswith("-setup") and cell.id[: -len("-setup")] in numbers:
                name = self._text["setup"].format(number=numbers[cell.id[: -len("-setup")]])
                anchor, extra = name, 0
            elif cell.id == "check" or "convmath-check" in cell.tags:
                name = self._text["check"]
            elif not anchor:
                name = self._text["before"]
            else:
                extra += 1
                key = "after" if extra == 1 else "nth_after"
                name = self._text[key].format(label=anchor, n=extra)
            self._names[cell.index + 1] = name

    def _prompt_of(self, cell_id: str, numbers: Mapping[str, int]) -> str:
        """``question 2`` for the prompt cell ``q2-prompt``, ``2(b)`` for ``q2-b-prompt``, else ``""``."""
        if not cell_id.endswith("-prompt"):
            return ""
        stem = cell_id[: -len("-prompt")]
        if stem in numbers:
            return self._text["question"].format(number=numbers[stem])
        slot, _, part = stem.rpartition("-")
        return part_label(numbers[slot], part) if slot in numbers and part else ""

    def describe(self, number: int) -> str:
        """The name of cell ``number`` (counted from 1, as the sandbox numbers cells).

        Examples
        --------
        >>> CellPlaces([], ["q1"]).describe(3)         # not a code cell of this notebook
        'cell 3'
        """
        return self._names.get(number, f"cell {number}")

    def note(self, number: int, status: str, message: str) -> str:
        """A note on running cell ``number`` (sandbox ``status`` and ``message``), naming the cell by its place.

        Examples
        --------
        >>> from grader.load import Cell
        >>> places = CellPlaces([Cell(0, "code", "x", "q1-a-answer", (), {"slot": "q1", "part": "a"})], ["q1"])
        >>> places.note(1, "error", "NameError: name 'K2' is not defined (cell 1, line 2)")
        "the answer cell of 1(a) raised NameError: name 'K2' is not defined (line 2)"
        >>> places.note(1, "timeout", "cell 1 ran longer than 2 s and was stopped")
        'the answer cell of 1(a) ran longer than 2 s and was stopped'
        >>> places.note(1, "crashed", "the sandbox process exited with code 0")
        'the answer cell of 1(a) stopped the sandbox (crashed): the sandbox process exited with code 0'
        """
        where = self.describe(number)
        message = self.rewrite(message, number)
        if message.startswith(f"cell {number} "):
            return where + message[len(f"cell {number}") :]
        if status == "error":
            return f"{where} raised {message}".strip()
        if status in ("ok", "skipped", "timeout"):
            return f"{where}: {message}" if message else f"{where}: {status}"
        return f"{where} stopped the sandbox ({status}): {message}".strip(": ")

    def rewrite(self, message: str, number: int) -> str:
        """``message`` (from running cell ``number``) with ``(cell N, line L)`` replaced by a place.

        Examples
        --------
        >>> from grader.load import Cell
        >>> cells = [Cell(0, "code", "def f(): 1/0", "q1-a-answer", (), {"slot": "q1", "part": "a"}),
        ...          Cell(1, "code", "f()", "", (), None)]
        >>> CellPlaces(cells, ["q1"]).rewrite("ZeroDivisionError: division by zero (cell 1, line 1)", 2)
        'ZeroDivisionError: division by zero (line 1 of the answer cell of 1(a))'
        """

        def place(match: re.Match[str]) -> str:
            cell, line = int(match.group(1)), match.group(2)
            if cell == number:
                return f" ({self._text['line'].format(line=line)})"
            return f" ({self._text['line_of'].format(line=line, place=self.describe(cell))})"

        return _WHERE.sub(place, message)
