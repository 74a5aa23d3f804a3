"""The documentation's own examples run: every ``>>>`` block of the guides (docs/*.md) and of the README.

The site itself is built by CI (``python -m sphinx -W -b html docs OUT``,
warnings as errors); this test keeps the code the pages show true, so that a
reader who copies an example gets the output printed under it.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
PAGES = [page for page in PAGES if "_build" not in page.parts and "reference/api" not in page.as_posix()]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1\s*$", re.M | re.S)


def examples(markdown: str) -> str:
    r"""The fenced code blocks of a Markdown page that hold ``>>>`` examples, in order, as one doctest text.

    Line numbers are kept (other lines become blank), so a failure points at the page's own line.

    >>> examples("Text\n\n```python\n>>> 1 + 1\n2\n```\n").splitlines()
    ['', '', '', '>>> 1 + 1', '2', '']
    """
    lines = [""] * (markdown.count("\n") + 1)
    for block in FENCE.finditer(markdown):
        if ">>>" in block.group(2):
            first = markdown.count("\n", 0, block.start(2))
            for offset, line in enumerate(block.group(2).splitlines()):
                lines[first + offset] = line
    return "\n".join(lines)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_the_examples_of_a_page_run(page: Path) -> None:
    test = doctest.DocTestParser().get_doctest(examples(page.read_text(encoding="utf-8")), {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


def test_the_guides_are_in_the_toctree() -> None:
    """Every page of docs/ is reachable: named in the index or picked up by its ``*`` entry."""
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "\n*\n" in index and ":glob:" in index
    for name in (
        "getting-started",
        "instructor-week",
        "assignments",
        "grading",
        "testing-recipe",
        "mathematics",
        "reference/api",
    ):
        assert (ROOT / "docs" / f"{name}.md").is_file()
        assert f"\n{name}\n" in index


def test_public_text_cites_sources_by_title() -> None:
    """No internal references ("issue 3", "seed ``004``") in docstrings, the README or the docs."""
    internal = re.compile(r"\b[Ss]eed ``?0\d\d|\bseeds/0\d\d|\b[Ii]ssue \d+\b|\bseed tutorials?\b")
    files = [
        *PAGES,
        ROOT / "SECURITY.md",
        *(p for package in ("convmath", "exercises", "grader") for p in (ROOT / package).rglob("*.py")),
    ]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if internal.search(line)
    ]
    assert not found, found
