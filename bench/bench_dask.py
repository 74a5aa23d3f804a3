"""Benchmark: the same generated submissions graded by the process pool and on Dask ``local:N``, in one run.

Grades N key-filled notebooks of the bundled example assignment several
times, each time into a fresh gradebook, alternating the engines in the order
pool, Dask, Dask, pool (repeated ``--rounds`` times), so that a load that
drifts during the run weighs on both alike:

- the process pool of ``--workers`` jobs (``convmath grade --jobs N``);
- ``--scheduler local:N``: a :class:`~grader.distributed.DaskExecutor` that
  starts its own ``LocalCluster`` of N single-threaded worker processes,
  exactly as the command does; its time includes the cluster's start-up, the
  workers' first imports and sandbox zygotes, and the shutdown.

Prints, per run, the wall time, the load average before and after it, the
mean time one submission took in a worker and how busy the workers were
(their grading time over the wall time); then both engines' mean wall times
and the ratio Dask / pool (the engine's overhead), and the same ratio from
the busy shares, which other users' load disturbs much less (it changes how
long grading takes, in both engines). Every run must record the same
gradebook rows (timings aside).

Target (issue 17, grading where courses run it): the engine's overhead under
30 % for 1,000 submissions on ``local:2`` against 2 jobs.

    python bench/bench_dask.py [--submissions 1000] [--workers 2] [--rounds 1]

The machine may be shared: the load averages printed say how busy it was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_grade import _context, _write_submissions  # noqa: E402  (the same generated class)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


class _Timed:
    """An executor whose start-up (``open``) and shutdown (``close``) are timed apart."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.opened = self.closed = 0.0

    def open(self, context_data: Mapping[str, Any], grade_fn: Any, *, deadline: float, count: int) -> None:
        start = time.monotonic()
        self.inner.open(context_data, grade_fn, deadline=deadline, count=count)
        self.opened = time.monotonic() - start

    def free(self) -> int:
        return self.inner.free()

    def submit(self, token: int, source: str, data: bytes) -> None:
        self.inner.submit(token, source, data)

    def wait(self, timeout: float) -> list[Any]:
        return self.inner.wait(timeout)

    def close(self) -> None:
        start = time.monotonic()
        self.inner.close()
        self.closed = time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="times the order pool, Dask, Dask, pool is run")
    args = parser.parse_args()

    from grader.batch import ProcessPool, run_batch
    from grader.distributed import DaskExecutor
    from grader.gradebook import Gradebook

    context = _context("auto")
    n, workers = args.submissions, args.workers
    print(f"{os.cpu_count()} cores; load average (1/5/15 min) at the start: {_load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "subs")
        folder.mkdir()
        print(f"writing {n} key-filled submissions ...", flush=True)
        files = _write_submissions(folder, n)
        rows: dict[int, list[dict[str, Any]]] = {}
        walls: dict[str, list[float]] = {"pool": [], "dask": []}
        busies: dict[str, list[float]] = {"pool": [], "dask": []}
        order = ["pool", "dask", "dask", "pool"] * args.rounds
        for run, engine in enumerate(order):
            executor = _Timed(ProcessPool(workers) if engine == "pool" else DaskExecutor(f"local:{workers}"))
            before = _load()
            start = time.monotonic()
            with Gradebook(Path(tmp, f"{run}.db")) as book:
                summary = run_batch(files, context, book, executor=executor)
                wall = time.monotonic() - start
                rows[run] = sorted(
                    ({k: v for k, v in r.to_dict().items() if k != "duration"} for _, _, r in book.history()),
                    key=lambda r: r["source"],
                )
            assert summary.graded == n, summary.line()
            walls[engine].append(wall)
            busy = sum(summary.durations) / (wall * workers)
            busies[engine].append(busy)
            label = f"pool, {workers} jobs" if engine == "pool" else f"Dask local:{workers}"
            print(
                f"run {run + 1}: {label:16s} {wall:7.1f} s ({n / wall:5.2f}/s); start-up {executor.opened:4.1f} s, "
                f"shutdown {executor.closed:4.1f} s; {statistics.mean(summary.durations):.3f} s per submission in a "
                f"worker, workers busy {100 * busy:3.0f} %; load {before} -> {_load()}",
                flush=True,
            )
    same = all(r == rows[0] for r in rows.values())
    assert same, "the engines recorded different gradebook rows"
    pool, dask = statistics.mean(walls["pool"]), statistics.mean(walls["dask"])
    print(
        f"\n{n} submissions, {workers} workers, {len(order)} runs in the order {', '.join(order)}; "
        "every run recorded the same gradebook rows"
    )
    print(f"  process pool, {workers} jobs : {pool:8.1f} s  ({n / pool:.2f} submissions/s)")
    print(f"  Dask local:{workers}         : {dask:8.1f} s  ({n / dask:.2f} submissions/s, start-up included)")
    overhead = 100 * (dask / pool - 1)
    print(f"  ratio Dask / pool    : {dask / pool:8.2f}  (engine overhead {overhead:+.0f} %, target < 30 %)")
    # the same figure with each run's own grading time taken out (other users' load changes how long grading
    # takes, much less what share of the workers' time the engine leaves idle)
    busy_pool, busy_dask = statistics.mean(busies["pool"]), statistics.mean(busies["dask"])
    print(
        f"  workers busy grading : pool {100 * busy_pool:.0f} %, Dask {100 * busy_dask:.0f} %: for the same grading "
        f"work, Dask takes {busy_pool / busy_dask:.2f} times the pool's wall time"
    )
    print(f"load average (1/5/15 min) at the end: {_load()}")


if __name__ == "__main__":
    main()
