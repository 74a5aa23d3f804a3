"""Tests that cannot fail are defects: the suite is scanned for the patterns that make them.

- ``pytest.importorskip`` of our own packages turns a broken module into
  "skipped" and exit status 0; only third-party extras (torch, scipy,
  matplotlib, ...) may be skipped when absent.
- A property test that leaves with ``return`` from an ``except`` handler
  passes on inputs it never checked; ``hypothesis.assume`` tells hypothesis
  to draw again (and fails the health check when nearly all draws are bad).
- ``@settings(max_examples=...)`` on a test pins its size: the
  ``convmath-thorough`` profile of a nightly run could not raise it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
OURS = ("convmath", "exercises", "grader")
FILES = sorted(TESTS.glob("test_*.py"))


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def defects(source: str) -> list[str]:
    """The defects of one test module's source, one line each.

    >>> defects("import pytest\\nnumeric = pytest.importorskip('convmath.numeric')\\n")
    ["line 2: importorskip('convmath.numeric') hides a broken module of ours"]
    """
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "importorskip"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).split(".")[0] in OURS
        ):
            found.append(f"line {node.lineno}: importorskip({node.args[0].value!r}) hides a broken module of ours")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            node.name.startswith("test") or "given" in _decorator_names(node)
        ):
            names = _decorator_names(node)
            for dec in node.decorator_list:
                if (
                    isinstance(dec, ast.Call)
                    and getattr(dec.func, "id", getattr(dec.func, "attr", "")) == "settings"
                    and any(k.arg == "max_examples" for k in dec.keywords)
                ):
                    found.append(f"line {dec.lineno}: {node.name} pins max_examples (the profile decides)")
            if "given" in names:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ExceptHandler) and any(isinstance(s, ast.Return) for s in inner.body):
                        found.append(f"line {inner.lineno}: {node.name} returns from an except handler (use assume)")
    return found


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_test_that_cannot_fail(path: Path) -> None:
    assert not defects(path.read_text(encoding="utf-8")), defects(path.read_text(encoding="utf-8"))


def test_the_scan_finds_each_defect() -> None:
    bad = """
import pytest
from hypothesis import given, settings
pytest.importorskip("grader.checks")
@settings(max_examples=7)
@given(x=None)
def test_x(x):
    try:
        f(x)
    except ValueError:
        return
"""
    found = defects(bad)
    assert len(found) == 3
    for defect in ("importorskip", "max_examples", "use assume"):  # each found once, in whatever order
        assert sum(defect in line for line in found) == 1, (defect, found)
    assert defects('pytest.importorskip("torch")\n') == []
