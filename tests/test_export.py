"""Exports: class CSV, Gradescope results.json, feedback Markdown, JSON dump."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exercises.model import Points
from grader.export import class_csv, feedback_markdown, fmt_points, gradescope_results, json_dump, write_exports
from grader.results import PartOutcome, SubmissionResult, error_result

A_OK = PartOutcome("q1", "a", "n_out", 2.0, 2.0, "correct", "")
A_WRONG = PartOutcome(
    "q1", "a", "n_out", 0.0, 2.0, "incorrect", "15 is what you get with p instead of 2p.", "padding_once"
)
B_HALF = PartOutcome("q2", "b", "corr2d", 1.5, 3.0, "partial", "fails for 1x1 kernels: smallest example X=[[1]]")


def graded(student, *parts, flags=(), notes=()):
    return SubmissionResult(
        source=f"{student}.ipynb",
        content_hash="00",
        student=student,
        identified_by="file name",
        assignment="hw1",
        status="graded",
        score=sum(p.score for p in parts),
        max_score=sum(p.max_score for p in parts),
        parts=tuple(parts),
        flags=flags,
        notes=notes,
        duration=1.0,
    )


ALICE = graded("alice", A_OK, B_HALF)
BOB = graded(
    "bob",
    A_WRONG,
    B_HALF,
    flags=("locked cell 'q1-setup' (cell 4) was edited",),
    notes=("cell 6 raised ZeroDivisionError",),
)
CAROL = error_result(
    "carol.ipynb",
    "11",
    assignment="hw1",
    max_score=5.0,
    student="carol",
    identified_by="file name",
    message="the file is not valid JSON",
)


@pytest.mark.parametrize(
    "value, text",
    [(2.0, "2"), (0.0, "0"), (1.5, "1.5"), (2 / 3, "0.67"), (10.0, "10"), (Fraction(8, 3), "2.67"), (0.125, "0.13")],
    ids=["integral", "zero", "half", "third-rounded", "ten", "exact-fraction", "half-cent-up"],
)
def test_fmt_points(value, text):
    assert fmt_points(value) == text


@given(st.fractions(min_value=0, max_value=10**6))
def test_fmt_points_has_at_most_two_decimals_and_is_the_nearest(value: Fraction) -> None:
    text = fmt_points(value)
    assert re.fullmatch(r"\d+(\.\d?[1-9])?", text), text  # at most two decimals, no trailing zero
    assert abs(Fraction(text) - value) <= Fraction(1, 200)
    assert fmt_points(Points(value)) == text == fmt_points(float(text))


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    return [text for value in values for text in _strings(value)]


#: A number written with more than two decimals.
_LONG_DECIMAL = re.compile(r"\d\.\d{3,}")


def test_points_are_shown_with_at_most_two_decimals_everywhere(tmp_path: Any) -> None:
    """Three parts of 4/3 (a 4-point question) and an override: every shown number has at most two decimals
    (CSV, feedback, override lines, JSON strings), and a correct notebook's total is its
    maximum exactly in every export."""
    from grader.overrides import Override, describe

    third = float(Points(4, 3))
    parts = [PartOutcome("q1", k, f"v_{k}", third, third, "correct", "Correct.") for k in "abc"]
    full = graded("dee", *parts)
    assert full.score == full.max_score == 4
    override = describe(Override("hw1", "eve", "q1.c", 2 / 3, third, "half credit", "lee", "2026-01-05"), third)
    eve = replace(graded("eve", *parts[:2], replace(parts[2], score=2 / 3, status="partial")), overrides=(override,))
    assert "1.33 → 0.67 points" in override
    write_exports([full, eve], tmp_path, title="hw1")
    texts = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.rglob("*") if path.is_file()}
    for name, text in texts.items():
        if name.endswith(".json"):  # its numbers are numbers (exact where they can be); its strings are shown
            text = "\n".join(_strings(json.loads(text)))
        assert not _LONG_DECIMAL.search(text), (name, _LONG_DECIMAL.search(text))
    rows = list(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text(encoding="utf-8"))))
    assert rows[1][:6] == ["dee", "graded", "1.33", "1.33", "1.33", "4"] and rows[1][6] == "4"
    feedback = (tmp_path / "dee" / "feedback.md").read_text(encoding="utf-8")
    assert "**Score: 4 / 4**" in feedback and "4/3 of 4/3" in feedback  # parts as the notebook's prompt writes them
    dumped = json.loads((tmp_path / "grades.json").read_text(encoding="utf-8"))
    assert dumped[0]["score"] == dumped[0]["max_score"] == 4
    assert json.loads((tmp_path / "dee" / "results.json").read_text(encoding="utf-8"))["score"] == 4


def test_class_csv_one_row_per_student_sorted_with_total():
    rows = list(csv.reader(io.StringIO(class_csv([CAROL, BOB, ALICE]))))
    assert rows == [
        ["student", "status", "q1.a", "q2.b", "total", "max", "flags", "overrides"],
        ["alice", "graded", "2", "1.5", f"{2 + 1.5:g}", "5", "", ""],
        ["bob", "graded", "0", "1.5", f"{0 + 1.5:g}", "5", "locked cell 'q1-setup' (cell 4) was edited", ""],
        ["carol", "error", "0", "0", "0", "5", "", ""],
    ]


def test_class_csv_explicit_columns_order():
    text = class_csv([ALICE], columns=["q2.b", "q1.a", "q3.a"])
    assert text.splitlines()[1] == "alice,graded,1.5,2,0,3.5,5,,"


def test_gradescope_format():
    data = gradescope_results(BOB)
    assert data["score"] == 1.5
    assert data["tests"][0] == {
        "name": "q1.a (n_out)",
        "score": 0.0,
        "max_score": 2.0,
        "status": "failed",
        "output": "15 is what you get with p instead of 2p.\nLikely misconception: padding_once",
        "visibility": "visible",
    }
    assert data["tests"][1]["status"] == "failed"  # partial credit is not a pass
    assert "locked cell 'q1-setup'" in data["output"] and "ZeroDivisionError" in data["output"]
    assert gradescope_results(ALICE)["tests"][0]["status"] == "passed"


def test_gradescope_error_has_reason_and_no_tests():
    data = gradescope_results(CAROL)
    assert data["tests"] == [] and data["score"] == 0.0
    assert data["output"] == "This submission could not be graded: the file is not valid JSON"


def test_feedback_names_the_misconception_and_the_integrity_findings():
    md = feedback_markdown(BOB, title="Convolution arithmetic")
    assert md.startswith("# Feedback: Convolution arithmetic — bob\n")
    assert "**Score: 1.5 / 5**" in md
    assert "Identified as **bob** from the file name." in md
    assert "| 1(a) (`n_out`) | 0 of 2 | incorrect |" in md
    assert "  - Likely misconception: `padding_once`" in md
    assert "## Integrity checks\n\n- locked cell 'q1-setup' (cell 4) was edited" in md
    assert "## Notes\n\n- cell 6 raised ZeroDivisionError" in md


def test_feedback_in_chinese():
    md = feedback_markdown(BOB, locale="zh")
    assert "**得分: 1.5 / 5**" in md and "可能的误解" in md and "根据文件名识别为 **bob**" in md


def test_feedback_of_an_error_gives_the_reason():
    md = feedback_markdown(CAROL)
    assert "> **This submission could not be graded:** the file is not valid JSON" in md


def test_feedback_escapes_table_breaking_text():
    part = PartOutcome("q1", "a", "x", 0.0, 1.0, "incorrect", "got a|b\nnewline")
    md = feedback_markdown(graded("dan", part))
    assert "got a\\|b newline" in md


@pytest.mark.parametrize(
    "text, shown",
    [
        pytest.param(
            "'c' = '<img src=x onerror=alert(1)>' is wrong",
            r"'c' = '\<img src=x onerror=alert(1)\>' is wrong",
            id="html",
        ),
        pytest.param("see [here](javascript:alert(1))", r"see \[here\](javascript:alert(1))", id="link"),
        pytest.param("`x` and \\ back", r"\`x\` and \\ back", id="code-span-backslash"),
    ],
)
def test_feedback_escapes_markdown_and_html_a_student_wrote(text, shown):
    part = PartOutcome("q1", "a", "x", 0.0, 1.0, "incorrect", text)
    refused = error_result(
        "<b>x</b>.ipynb",
        "00",
        assignment="hw1",
        max_score=1.0,
        message=f"cannot tell whose notebook {text!r} is\n# Score: 1 / 1",
    )
    assert f"- **1(a)** (`x`): {shown}\n" in feedback_markdown(graded("dan", part, notes=(text,)))
    assert f"\n- {shown}\n" in feedback_markdown(graded("dan", part, notes=(text,)))
    md = feedback_markdown(refused)
    assert "<" not in md.replace("\\<", "") and "\n# Score" not in md


def test_json_dump_is_plain_data_without_timings():
    data = json.loads(json_dump([BOB, ALICE]))
    assert [d["student"] for d in data] == ["alice", "bob"]
    assert "duration" not in data[0] and data[1]["parts"][0]["misconception"] == "padding_once"


def test_write_exports_layout_and_determinism(tmp_path):
    unidentified = error_result("x.ipynb", "22", assignment="hw1", max_score=5.0, message="whose?")
    written = write_exports([ALICE, BOB, CAROL, unidentified], tmp_path / "out", title="T")
    names = sorted(str(p.relative_to(tmp_path / "out")) for p in written)
    assert names == sorted(
        [
            "grades.csv",
            "grades.json",
            "alice/results.json",
            "alice/feedback.md",
            "bob/results.json",
            "bob/feedback.md",
            "carol/results.json",
            "carol/feedback.md",
        ]
    )
    first = {p: p.read_bytes() for p in written}
    slower = SubmissionResult(**{**ALICE.__dict__, "duration": 99.0})
    write_exports([slower, BOB, CAROL], tmp_path / "out", title="T")
    assert {p: p.read_bytes() for p in written} == first  # nothing depends on timing
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_a_flag_that_starts_like_a_formula_is_inert_in_the_csv():
    evil = SubmissionResult(
        "=HYPERLINK(1).ipynb",
        "h",
        "eve",
        "file name",
        "hw1",
        "graded",
        0.0,
        5.0,
        flags=('=HYPERLINK("http://x") names no student',),
    )
    row = list(csv.reader(io.StringIO(class_csv([evil]))))[1]
    assert row[-2] == '\'=HYPERLINK("http://x") names no student'
