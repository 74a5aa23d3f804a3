"""Benchmark: grade 200 generated submissions of the bundled example assignment.

Prints the batch's total wall time and per-notebook figures, the time the
student's own code takes in the sandbox, the grader's overhead beyond it,
and where that overhead goes (one process, phase by phase), for sandboxes
forked from the pre-started zygote and, with ``--mode both``, for a fresh
interpreter per sandbox.

Target (issue 6): under 0.15 s per notebook of grader overhead beyond the
student's own code. Reference points on this 2-core machine: nbgrader about
1.0 s per notebook, Otter-Grader about 3.2 s, a bare ``python`` importing
numpy about 0.12 s.

    python bench/bench_grade.py [--submissions 200] [--jobs N] [--sample 30] [--mode auto|fresh|both]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _q(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _write_submissions(folder: Path, count: int) -> list[Path]:
    from exercises.assignment import build_exercises, load_assignment, read_secret
    from grader.simulate import filled_notebook, notebook_bytes

    assignment = load_assignment(EXAMPLES / "assignment.toml")
    secret = read_secret(EXAMPLES / "secret.txt")
    files = []
    for i in range(count):
        student = f"s{i:04d}"
        nb = filled_notebook(assignment, student, build_exercises(assignment, secret, student))
        path = folder / f"{student}.ipynb"
        path.write_bytes(notebook_bytes(nb))
        files.append(path)
    return files


def _context(mode: str):
    from exercises.assignment import read_secret
    from grader.grade import GradingContext

    data = tomllib.loads((EXAMPLES / "assignment.toml").read_text(encoding="utf-8"))
    return GradingContext(data, read_secret(EXAMPLES / "secret.txt"), sandbox_mode=mode)


def _code_time(files: list[Path]) -> list[float]:
    """Seconds the student's cells take in a sandbox (start-up and reading answers excluded)."""
    from grader.load import load_notebook
    from grader.sandbox import Sandbox, SandboxLimits

    times = []
    for path in files:
        cells = [c for c in load_notebook(path.read_bytes()).cells if c.cell_type == "code" and c.source.strip()]
        with Sandbox(SandboxLimits()) as box:
            start = time.perf_counter()
            for cell in cells:
                box.run_cell(cell.source, index=cell.index + 1)
            times.append(time.perf_counter() - start)
    return times


def _phases(files: list[Path], mode: str) -> tuple[list[float], dict[str, float]]:
    """Grade ``files`` one after the other in this process, timing each phase."""
    import grader.grade as grade
    from grader.sandbox import client

    totals: dict[str, float] = defaultdict(float)

    def timed(name, func):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - start

        return wrapper

    saved = {name: getattr(grade, name) for name in ("load_notebook", "regenerate", "_check")}
    saved_client = {name: getattr(client.Sandbox, name) for name in ("__init__", "run_cell", "get", "close")}
    grade.load_notebook = timed("load + validate", saved["load_notebook"])
    grade.regenerate = timed("regenerate + tamper report", saved["regenerate"])
    grade._check = timed("check parts (function calls included)", saved["_check"])
    client.Sandbox.__init__ = timed("sandbox start", saved_client["__init__"])
    client.Sandbox.run_cell = timed("student cells", saved_client["run_cell"])
    client.Sandbox.get = timed("read answers", saved_client["get"])
    client.Sandbox.close = timed("sandbox stop", saved_client["close"])
    context = _context(mode)
    grade.grade_submission(files[0].read_bytes(), files[0].name, context)  # warm-up: imports, zygote
    totals.clear()
    per = []
    try:
        for path in files:
            start = time.perf_counter()
            result = grade.grade_submission(path.read_bytes(), path.name, context)
            per.append(time.perf_counter() - start)
            assert abs(result.score - result.max_score) < 1e-6, (path.name, result.score, result.notes, result.flags)
    finally:
        for name, func in saved.items():
            setattr(grade, name, func)
        for name, func in saved_client.items():
            setattr(client.Sandbox, name, func)
    return per, {name: value / len(files) for name, value in totals.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=30, help="notebooks graded one by one for the phase breakdown")
    parser.add_argument("--mode", choices=("auto", "zygote", "fresh", "both"), default="both")
    args = parser.parse_args()

    from grader.batch import run_batch
    from grader.gradebook import Gradebook

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write_submissions(folder, args.submissions)
        modes = ["zygote", "fresh"] if args.mode == "both" else [args.mode]
        sample = files[: args.sample]
        code = _code_time(sample)
        print(f"{len(files)} correct submissions of the example assignment; {args.jobs} jobs; {os.cpu_count()} cores")
        print(f"student's own code (cells run in the sandbox): median {statistics.median(code):.3f} s")
        for mode in modes:
            context = _context(mode)
            with Gradebook(folder / f"grades-{mode}.db") as book:
                start = time.perf_counter()
                summary = run_batch(files, context, book, jobs=args.jobs)
                wall = time.perf_counter() - start
            assert summary.graded == len(files), summary.line()
            med = statistics.median(summary.durations)
            print(
                f"\n[{mode}] batch: {wall:.1f} s wall for {len(files)} notebooks = "
                f"{wall / len(files):.3f} s per notebook ({len(files) / wall:.1f} notebooks/s)"
            )
            print(f"[{mode}] per-notebook time in a worker: median {med:.3f} s, p90 {_q(summary.durations, 0.9):.3f} s")
            per, phases = _phases(sample, mode)
            seq = statistics.median(per)
            print(
                f"[{mode}] one process, one notebook at a time: median {seq:.3f} s per notebook; "
                f"overhead beyond the student's code {seq - statistics.median(code):.3f} s (target < 0.15 s)"
            )
            for name, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
                print(f"[{mode}]   {name:<40} {seconds * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
