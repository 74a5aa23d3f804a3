"""Benchmark: ``grader.checks.check_part`` per answer kind, for right and wrong answers.

The parts are the bundled example assignment's, regenerated for ``--students``
students; every part is checked with its key (right) and with its first
modelled wrong answer (or, when it has none, an altered value). Function parts
are called in this process (no sandbox: only the grader's own cost is timed):
a correct ``corr2d`` written with loops, and one that flips the kernel.

Prints, per kind, the median and the maximum milliseconds of one
``check_part`` call, the first call of the process apart (it builds what is
cached: the function plan, the expression's compiled form), and the total of
the right answers per notebook, the figure that counts against the issue-6
target of < 0.15 s of grader overhead per notebook.

    python bench/bench_checks.py [--students 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class _Result:
    def __init__(self, status: str, value: Any = None, message: str = "") -> None:
        self.status, self.value, self.message = status, value, message


def _call(fn: Any) -> Any:
    """A sandbox-like ``call(args, kwargs)`` running ``fn`` here."""

    def call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Result:
        try:
            return _Result("ok", fn(*args, **kwargs))
        except Exception as err:  # the function under test may raise anything
            return _Result("error", None, f"{type(err).__name__}: {err}")

    return call


def _loops(X: Any, K: Any) -> np.ndarray:
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    return np.array(
        [[(X[i : i + h, j : j + w] * K).sum() for j in range(X.shape[1] - w + 1)] for i in range(X.shape[0] - h + 1)]
    )


def _answers(part: Any) -> tuple[Any, Any]:
    """(right, wrong) answers of ``part`` as a notebook would hand them over."""
    spec = part.answer
    if spec.kind == "expression":
        wrong = str(part.wrong_answers[0].value) if part.wrong_answers else f"({spec.expected}) + 1"
        return str(spec.expected), wrong
    if spec.kind == "function":
        return _call(_loops), _call(lambda X, K: _loops(X, np.asarray(K)[::-1, ::-1]))
    if part.wrong_answers:
        return spec.expected, part.wrong_answers[0].value
    if spec.kind == "shape":
        return spec.expected, tuple(int(v) + 1 for v in spec.expected)
    if spec.kind == "choice":
        return spec.expected, next(c for c in spec.choices if c != spec.expected)
    return spec.expected, np.asarray(spec.expected) + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()

    from exercises.assignment import build_exercises, load_assignment, read_secret
    from grader.checks import check_part

    assignment = load_assignment(EXAMPLES / "assignment.toml")
    secret = read_secret(EXAMPLES / "secret.txt")
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    first: dict[tuple[str, str], float] = {}
    per_notebook: list[float] = []
    for i in range(args.students):
        notebook = 0.0
        for _, exercise in build_exercises(assignment, secret, f"s{i:04d}"):
            for part in exercise.parts:
                kind = part.answer.kind
                for which, answer in zip(("right", "wrong"), _answers(part)):
                    function = kind == "function"
                    start = time.perf_counter()
                    result = check_part(part, None if function else answer, call=answer if function else None)
                    ms = (time.perf_counter() - start) * 1000
                    assert (result.status == "correct") == (which == "right"), (part.answer.name, which, result.message)
                    if (kind, which) not in first:
                        first[(kind, which)] = ms
                        continue
                    times[(kind, which)].append(ms)
                    if which == "right":
                        notebook += ms
        per_notebook.append(notebook)
    print(f"check_part per kind, {args.students} students of the example assignment (ms per call)")
    print(f"{'kind':<11} {'answer':<6} {'calls':>5} {'median':>8} {'max':>8} {'first':>8}")
    for (kind, which), values in sorted(times.items()):
        print(
            f"{kind:<11} {which:<6} {len(values):>5} {statistics.median(values):8.2f} {max(values):8.2f} "
            f"{first[(kind, which)]:8.1f}"
        )
    warm = per_notebook[1:] or per_notebook
    print(
        f"all right answers of one notebook (first calls of the process excluded): median "
        f"{statistics.median(warm):.1f} ms, max {max(warm):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
