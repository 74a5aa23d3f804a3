"""What the grader does to a cell's source before it runs: magics, imports.

Both functions run in the parent, on text; neither executes anything.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PreparedCell", "strip_magics", "find_forbidden_imports"]

#: cell magics whose body is ordinary Python: the body runs once, the magic is ignored
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_LINE_MAGIC = re.compile(
    r"""^(\s*)(?:
        [%!].*                                   # %magic, !shell
      | [A-Za-z_][\w.,\s]*=\s*[%!].*             # x = %magic, files = !ls
      | [A-Za-z_][\w.]*\?\??                     # np.sum? and np.sum??
      | \?\??[A-Za-z_][\w.]*                     # ?np.sum
    )\s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class PreparedCell:
    """A cell's source with IPython syntax removed, ready to compile."""

    code: str | None
    """Python source with the same line numbers as the cell (None: nothing to run)."""
    notes: tuple[str, ...]
    """One note per skipped magic or shell escape."""


def strip_magics(source: str) -> PreparedCell:
    """Replace IPython magics and shell escapes by ``pass``, keeping line numbers.

    A cell that already compiles is returned unchanged (so ``% b`` on a
    continuation line stays a modulus). A cell magic such as ``%%bash`` skips
    the whole cell; ``%%time``, ``%%timeit``, ``%%capture`` and ``%%prun``
    run their body once.

    Parameters
    ----------
    source : str
        The cell's source.

    Returns
    -------
    PreparedCell
        The code to run (None when nothing is left) and a note per skipped line.

    Examples
    --------
    >>> cell = strip_magics("%matplotlib inline\\nx = 1\\n!pip install torch")
    >>> print(cell.code)
    pass
    x = 1
    pass
    >>> cell.notes
    ("IPython magic skipped (line 1): '%matplotlib inline'", "IPython magic skipped (line 3): '!pip install torch'")
    >>> strip_magics("%%bash\\nrm -rf /").notes
    ("IPython cell magic skipped: '%%bash'",)
    """
    if not source.strip():
        return PreparedCell(None, ())
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
        return PreparedCell(source, ())
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # the sandbox reports it when it runs
        pass
    lines = source.split("\n")
    notes: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].strip()
        name = magic[2:].split()[0] if len(magic) > 2 else ""
        if name not in PYTHON_CELL_MAGICS:
            return PreparedCell(None, (f"IPython cell magic skipped: {magic[:60]!r}",))
        notes.append(f"IPython cell magic ignored, body run once: {magic[:60]!r}")
        lines[first] = ""
    for number, line in enumerate(lines, start=1):
        match = _LINE_MAGIC.match(line)
        if match:
            lines[number - 1] = match.group(1) + "pass"
            notes.append(f"IPython magic skipped (line {number}): {line.strip()[:60]!r}")
    code = "\n".join(lines)
    if not any(line.strip() not in ("", "pass") for line in lines):
        return PreparedCell(None, tuple(notes))
    return PreparedCell(code, tuple(notes))


def _matches(name: str, forbidden: Iterable[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def find_forbidden_imports(source: str, forbidden: Iterable[str]) -> list[str]:
    """Modules from ``forbidden`` (or their submodules) that ``source`` imports.

    Looks at ``import``, ``from ... import``, and calls of ``__import__``,
    ``importlib.import_module`` or ``import_module`` with a literal name. This
    is the static half of the check; the sandbox's import hook is the other.

    Parameters
    ----------
    source : str
        Python source (magics are stripped first; a syntax error finds nothing).
    forbidden : iterable of str
        Dotted module names, e.g. ``{"scipy.signal", "torch", "convmath"}``.

    Returns
    -------
    list of str
        The offending names as written, sorted, without duplicates.

    Examples
    --------
    >>> find_forbidden_imports("from scipy import signal\\nimport numpy as np", {"scipy.signal"})
    ['scipy.signal']
    >>> find_forbidden_imports("m = __import__('torch.nn')", {"torch"})
    ['torch.nn']
    >>> find_forbidden_imports("import numpy", {"torch"})
    []
    """
    forbidden = frozenset(forbidden)
    code = strip_magics(source).code
    if not forbidden or code is None:
        return []
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            arg = node.args[0]
            if (
                called in ("__import__", "import_module")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
            ):
                names = [arg.value]
        found.update(name for name in names if _matches(name, forbidden))
    # "from scipy import signal" reports scipy.signal, not also scipy when only the latter is forbidden
    return sorted(found)
