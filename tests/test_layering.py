"""The architecture, checked on the source: imports only point down, and no private name crosses a module.

``convmath`` (pure maths) <- ``exercises`` <- ``grader``: a module may import
its own package and the packages below it, never one above (a function-level
import counts too). The ``convmath`` command names its subcommands by module
path as strings, which is how it reaches ``exercises`` and ``grader``
without importing them. And a module uses another module's public names
only: ``from .grade import _RERUNS`` or ``render._TEXT`` reach into another
module's internals, which that module may change without notice.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Lower layers first: a package may import itself and those before it.
LAYERS = ("convmath", "exercises", "grader")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" in path.parts or not path.resolve().is_relative_to(ROOT / package):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


MODULES = _modules()
NAMES = {name for name, _ in MODULES}


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import statement, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, _absolute(module, path, node), [alias.name for alias in node.names]))
    return found


def test_the_scan_sees_the_packages() -> None:
    assert {"convmath.sizes", "exercises.assignment", "grader.batch", "convmath.cli"} <= NAMES


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_imports_only_point_down(module: str, path: Path) -> None:
    allowed = LAYERS[: LAYERS.index(module.split(".")[0]) + 1]
    upward = [
        f"line {line}: {target}"
        for line, target, _ in _imports(module, path)
        if target.split(".")[0] in LAYERS and target.split(".")[0] not in allowed
    ]
    assert not upward, f"{module} may import only {', '.join(allowed)}; it imports {upward}"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_no_private_name_crosses_a_module(module: str, path: Path) -> None:
    crossing = []
    bound: dict[str, str] = {}  # local name -> our module it is bound to
    for line, target, names in _imports(module, path):
        if target.split(".")[0] not in LAYERS or target == module:
            continue
        for name in names:
            if f"{target}.{name}" in NAMES:  # a submodule: ``from . import layers as _layers``
                continue
            if _private(name):
                crossing.append(f"line {line}: from {target} import {name}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _absolute(module, path, node)
            for alias in node.names:
                if f"{target}.{alias.name}" in NAMES:
                    bound[alias.asname or alias.name] = f"{target}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in NAMES and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and _private(node.attr)
            and bound[node.value.id] != module
        ):
            crossing.append(f"line {node.lineno}: {node.value.id}.{node.attr} ({bound[node.value.id]})")
    assert not crossing, f"{module} uses private names of other modules: {crossing}"


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The two checks, on a made-up module that breaks both rules: they are not vacuous."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f():\n    import grader.batch\n"
        "from exercises.notebook import _TEXT\nfrom . import layers\nlayers._private_helper\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="grader.batch"):
        test_imports_only_point_down("exercises.fake", bad)
    with pytest.raises(AssertionError, match=r"_TEXT.*layers\._private_helper"):
        test_no_private_name_crosses_a_module("convmath.fake", bad)
