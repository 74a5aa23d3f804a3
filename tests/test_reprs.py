"""Jupyter shows convmath's objects as what they mean: tables, typeset formulas, exercise previews."""

from __future__ import annotations

from pathlib import Path

import pytest

from convmath import DEFINITIONS, Network
from exercises.families import generate


@pytest.fixture(scope="module")
def summary():  # noqa: ANN201
    return Network.load("lenet5").summary()


def test_a_summary_shows_its_table(summary) -> None:  # noqa: ANN001
    markdown = summary._repr_markdown_()
    assert markdown == summary.to_markdown() and "\n| Layer (type-idx) |" in markdown
    assert "61706" in markdown.replace(",", "").replace(" ", "")
    assert summary._repr_latex_() == summary.to_latex()
    short = repr(summary)
    assert len(short) < 200 and "SummaryRow" not in short and "61706" in short


def test_a_summary_is_an_html_table_with_its_text_escaped(summary) -> None:  # noqa: ANN001
    import dataclasses

    shown = summary._repr_html_()
    assert shown.startswith("<table>") and shown.count("<tr>") == len(summary.rows) + 1
    assert "Total params: 61,706" in shown
    hostile = dataclasses.replace(summary, name="<script>alert(1)</script>")
    assert "<script>" not in hostile._repr_html_() and "&lt;script&gt;" in hostile._repr_html_()


def test_ipython_pretty_prints_the_text_table(summary) -> None:  # noqa: ANN001
    class Printer:
        def __init__(self) -> None:
            self.out: list[str] = []

        def text(self, value: str) -> None:
            self.out.append(value)

    printer = Printer()
    summary._repr_pretty_(printer, False)
    assert printer.out == [summary.to_text()]


@pytest.mark.parametrize("statement", DEFINITIONS, ids=[s.key for s in DEFINITIONS])
def test_a_statement_is_typeset(statement) -> None:  # noqa: ANN001
    latex = statement._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$") and statement.latex() in latex
    assert statement.title("en") in statement._repr_markdown_()


@pytest.mark.parametrize("family", ["conv_output_size", "cross_correlation_by_hand", "receptive_field"])
def test_an_exercise_previews_as_markdown(family: str) -> None:
    exercise = generate(family, 3)
    shown = exercise._repr_markdown_()
    assert exercise.family in shown and exercise.prompt["en"].strip()[:40] in shown
    assert "Exercise(" not in shown


def test_save_example_works_from_any_folder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    pytest.importorskip("matplotlib")  # the optional plotting extra
    from convmath.errors import ConvMathError
    from convmath.plot import save_example

    monkeypatch.chdir(tmp_path)  # not the repository: no docs/ folder here
    assert Path(save_example()).read_bytes()[:4] == b"\x89PNG"
    assert Path(save_example("figures/week3/food.png")).is_file()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ConvMathError, match="cannot create its folder"):
        save_example("a-file/food.png")
