"""The cell timeout derived from the key (issue 12): a never-ending cell costs seconds, a correct slow cell is
not cut."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from exercises.assignment import build_exercises, parse_assignment
from grader.grade import CELL_TIMEOUT_FLOOR, GradingContext, cell_timeout, grade_submission, with_key_cell_timeout
from grader.sandbox import SandboxLimits
from grader.simulate import filled_notebook, notebook_bytes

SECRET = b"0123456789abcdef0123456789abcdef"
DATA = {
    "id": "slow",
    "title": "t",
    "locale": "en",
    "slots": [
        {"id": "q1", "family": "implement_function", "difficulty": 1, "points": 4, "options": {"function": "corr2d"}}
    ],
}

#: A correct corr2d in plain Python loops (no NumPy), applied in the same cell to the prompt's own X and K.
LOOP = """def corr2d(X, K):
    h, w = len(K), len(K[0])
    return [
        [sum(float(X[i + a][j + b]) * float(K[a][b]) for a in range(h) for b in range(w))
         for j in range(len(X[0]) - w + 1)]
        for i in range(len(X) - h + 1)
    ]


X = {X}
K = {K}
corr2d_example = corr2d(X, K)
"""


def _grade(context: GradingContext, extra: list[tuple[str | None, str]] | None = None) -> Any:
    assignment = parse_assignment(DATA)
    exercises = build_exercises(assignment, SECRET, "alice")
    ((_, ex),) = exercises
    source = LOOP.format(X=np.asarray(ex.params["X"]).tolist(), K=np.asarray(ex.params["K"]).tolist())
    answers: dict[tuple[str, str], str | None] = {("q1", "a"): source, ("q1", "b"): "pass"}
    nb = filled_notebook(assignment, "alice", exercises, answers=answers, extra_cells=extra or [])
    return grade_submission(notebook_bytes(nb), "alice.ipynb", context)


def test_a_correct_pure_python_corr2d_is_never_cut_by_the_derived_cell_timeout() -> None:
    context = with_key_cell_timeout(GradingContext(DATA, SECRET))
    assert CELL_TIMEOUT_FLOOR <= context.limits.cell_timeout < SandboxLimits().cell_timeout
    result = _grade(context)
    assert result.status == "graded" and [p.status for p in result.parts] == ["correct", "correct"], result.parts
    assert result.score == result.max_score == 4
    assert not any("longer than" in note or "run again" in note for note in result.notes), result.notes


def test_a_cell_that_imports_a_package_keeps_the_longer_timeout() -> None:
    """With a short cell timeout, a cell that imports a package (here sympy, then a second's work) gets the
    import allowance; the same second of work with only the standard library imported is cut."""
    context = GradingContext(DATA, SECRET, limits=SandboxLimits(cell_timeout=0.5, total_timeout=60, cpu_seconds=60))
    context = GradingContext.from_data({**context.to_data(), "import_cell_timeout": 10.0})  # as a worker gets it
    assert context.import_cell_timeout == 10.0
    package = "import sympy\nimport time\ntime.sleep(1.0)\nfrom_package = 1"
    stdlib = "import time\ntime.sleep(1.0)\nfrom_stdlib = 1"
    assert (cell_timeout(context, package), cell_timeout(context, stdlib)) == (10.0, None)
    result = _grade(context, [(None, package), (None, stdlib)])
    stopped = [note for note in result.notes if "longer than 0.5 s" in note]
    assert len(stopped) == 1 and result.score == 4, (result.notes, result.parts)


@pytest.mark.parametrize(
    "source, longer",
    [
        ("import torch", True),
        ("from scipy import signal\nY = signal.correlate2d(X, K)", True),
        ("import numpy as np\nimport math, itertools", False),
        ("%matplotlib inline\nimport matplotlib.pyplot as plt", True),
        ("from . import local", False),
        ("while True:\n    pass", False),
        ("def f(:", False),
    ],
    ids=["torch", "scipy-and-work", "numpy-and-stdlib", "after-a-magic", "relative", "no-import", "syntax-error"],
)
def test_which_cells_get_the_import_allowance(source: str, longer: bool) -> None:
    context = GradingContext(DATA, SECRET, limits=SandboxLimits(cell_timeout=2), import_cell_timeout=10.0)
    assert cell_timeout(context, source) == (10.0 if longer else None)
    explicit = GradingContext(DATA, SECRET, limits=SandboxLimits(cell_timeout=20), import_cell_timeout=10.0)
    assert cell_timeout(explicit, source) is None  # never shorter than the cell timeout in force
