"""Benchmark: a realistic class of the example assignment, against an all-correct class of the same size.

The mixed class (issue 12): about 60 % correct notebooks, 20 % with one wrong
value, 10 % with a wrong function (the key's function off by one), 5 % with a
cell that never ends (``while True: pass``) and 5 % blank (the stubs as
handed out). Both classes are graded with ``run_batch`` and ``--jobs`` workers
(default 2), with the cell timeout ``convmath grade`` uses: derived from the
key's own cells (:func:`grader.grade.key_cell_timeout`), or ``--cell-timeout``.

Prints the wall time of each class, the ratio mixed / all-correct, and per
kind of notebook the median and maximum time one notebook takes in a worker,
the kind's cost (worker-seconds, and its share of the class's) and the extra
time per notebook over a correct one; and the machine's load average, since
the figures are only comparable on an idle machine.

    python bench/bench_class.py [--students 200] [--jobs 2] [--cell-timeout S]

Target (issue 12): the mixed class of 200 in 25 s with 2 jobs (it took 65 s with
the 10 s default cell timeout, three quarters of it in the never-ending cells).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))

#: (kind, share of the class), in the order notebooks are assigned.
MIX = (
    ("correct", 0.60),
    ("one wrong value", 0.20),
    ("wrong function", 0.10),
    ("never-ending cell", 0.05),
    ("blank", 0.05),
)


def _kinds(count: int) -> list[str]:
    """``count`` kinds in the proportions of :data:`MIX`, interleaved (every 20 students hold the mix)."""
    pattern = [kind for kind, share in MIX for _ in range(round(share * 20))]
    return [pattern[i % len(pattern)] for i in range(count)]


def _notebook(assignment, student: str, exercises, kind: str) -> bytes:
    from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

    parts = answer_parts(exercises)
    answers: dict[tuple[str, str], str | None] = {}
    extra: list[tuple[str | None, str]] = []
    if kind == "one wrong value":
        slot, part = next((s, p) for s, p in parts if p.wrong_answers)
        answers[(slot.id, part.key)] = wrong_answer_source(part, part.wrong_answers[0])
    elif kind == "wrong function":
        slot, part = next((s, p) for s, p in parts if p.answer.kind == "function")
        name = part.answer.name
        answers[(slot.id, part.key)] = (
            f"{part.solution_code}\n\n_right_{name} = {name}\n\n\n"
            f"def {name}(*args, **kwargs):\n"
            f"    import numpy as np\n"
            f"    return np.asarray(_right_{name}(*args, **kwargs)) + 1\n"
        )
    elif kind == "never-ending cell":
        extra.append((None, "while True:\n    pass"))
    elif kind == "blank":
        answers = {(slot.id, part.key): None for slot, part in parts}
    nb = filled_notebook(assignment, student, exercises, answers=answers, extra_cells=extra)
    return notebook_bytes(nb)


def _write(folder: Path, count: int, mixed: bool) -> tuple[list[Path], dict[str, str]]:
    from exercises.assignment import build_exercises, load_assignment, read_secret

    assignment = load_assignment(EXAMPLES / "assignment.toml")
    secret = read_secret(EXAMPLES / "secret.txt")
    kinds = _kinds(count) if mixed else ["correct"] * count
    files, kind_of = [], {}
    folder.mkdir(parents=True, exist_ok=True)
    for i, kind in enumerate(kinds):
        student = f"s{i:04d}"
        path = folder / f"{student}.ipynb"
        path.write_bytes(_notebook(assignment, student, build_exercises(assignment, secret, student), kind))
        files.append(path)
        kind_of[student] = kind
    return files, kind_of


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cell-timeout", type=float, default=None, help="default: derived from the key's cells")
    args = parser.parse_args()

    from exercises.assignment import read_secret
    from grader.batch import run_batch
    from grader.grade import GradingContext
    from grader.gradebook import Gradebook

    data = tomllib.loads((EXAMPLES / "assignment.toml").read_text(encoding="utf-8"))
    context = GradingContext(data, read_secret(EXAMPLES / "secret.txt"))
    start = time.perf_counter()
    if args.cell_timeout is None:  # as convmath grade does without --cell-timeout
        from grader.grade import with_key_cell_timeout

        context = with_key_cell_timeout(context)
    else:
        context = dataclasses.replace(
            context, limits=dataclasses.replace(context.limits, cell_timeout=args.cell_timeout)
        )
    derive = time.perf_counter() - start
    timeout = context.limits.cell_timeout
    how = "--cell-timeout" if args.cell_timeout is not None else f"derived from the key in {derive:.2f} s"
    imports = f"; a cell importing a package {context.import_cell_timeout:g} s" if context.import_cell_timeout else ""
    print(
        f"{args.students} students of the example assignment, {args.jobs} jobs; "
        f"cell timeout {timeout:g} s ({how}{imports})"
    )
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    walls = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, mixed in (("all-correct", False), ("mixed", True)):
            files, kind_of = _write(Path(tmp) / label, args.students, mixed)
            with Gradebook(Path(tmp) / f"{label}.db") as book:
                start = time.perf_counter()
                summary = run_batch(files, context, book, jobs=args.jobs)
                walls[label] = time.perf_counter() - start
            by_kind: dict[str, list[float]] = defaultdict(list)
            scores: dict[str, list[float]] = defaultdict(list)
            for result in summary.results:
                kind = kind_of.get(result.student or "", "?")
                by_kind[kind].append(result.duration)
                scores[kind].append(result.score / result.max_score if result.max_score else 0.0)
            print(
                f"\n[{label}] {walls[label]:.1f} s wall = {walls[label] / len(files):.3f} s per notebook "
                f"({summary.line() if hasattr(summary, 'line') else summary.graded})"
            )
            busy = sum(sum(d) for d in by_kind.values()) or 1.0
            correct = statistics.median(by_kind["correct"]) if by_kind.get("correct") else 0.0
            for kind, _ in MIX:
                if by_kind.get(kind):
                    d = by_kind[kind]
                    # cost: the worker-seconds the kind takes, its share of the class's, and each notebook's extra
                    # over a correct one (what the kind adds to the wall time, divided among the jobs)
                    print(
                        f"[{label}]   {kind:<18} n={len(d):<4} median {statistics.median(d):.3f} s  "
                        f"max {max(d):.3f} s  cost {sum(d):6.1f} worker-s ({100 * sum(d) / busy:4.1f} %)  "
                        f"extra {statistics.median(d) - correct:+.3f} s per notebook (medians)  "
                        f"mean score {statistics.mean(scores[kind]):.2f}"
                    )
    print(
        f"\nmixed / all-correct wall time: {walls['mixed'] / walls['all-correct']:.2f}x "
        f"(target: the mixed class of 200 in 25 s with 2 jobs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
