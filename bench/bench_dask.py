"""Benchmark: the same generated submissions graded by the process pool and on Dask, in one run.

Grades N key-filled notebooks of the bundled example assignment twice, each
into its own gradebook: with the process pool of ``--workers`` jobs, then on
``--scheduler local:WORKERS`` (a Dask ``LocalCluster`` of that many single-
threaded worker processes, started for the run). Prints both wall times, the
Dask cluster's start-up time, and the ratio Dask / pool, with and without the
start-up. Both runs must give the same scores.

Target (issue: grading where courses run it): the engine's overhead under 30 %
for 1,000 submissions on ``local:2`` against 2 jobs.

    python bench/bench_dask.py [--submissions 1000] [--workers 2]

Measure on a quiet machine when you can; on a shared one, the two runs see
different loads, so repeat it and read the ratios together.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_grade import _context, _write_submissions  # noqa: E402  (the same generated class)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import logging

    import dask
    import distributed

    from grader.batch import run_batch
    from grader.distributed import SCHEDULER_CONFIG, DaskExecutor
    from grader.gradebook import Gradebook

    context = _context("auto")
    n = args.submissions
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "subs")
        folder.mkdir()
        print(f"writing {n} key-filled submissions ...", flush=True)
        files = _write_submissions(folder, n)
        scores, timings = {}, {}

        def grade(name: str, executor: DaskExecutor | None) -> None:
            with Gradebook(Path(tmp, f"{name}.db")) as book:
                summary = run_batch(files, context, book, jobs=args.workers, executor=executor)
                scores[name] = sorted((r.student, r.score) for r in book.current(context.assignment.id))
            assert summary.graded == n, summary.line()
            timings[name] = summary.seconds
            mean = sum(summary.durations) / len(summary.durations)
            print(f"{name:10s} {summary.line()}; {mean:.2f} s per submission in a worker", flush=True)

        grade("pool", None)
        # the cluster --scheduler local:N starts, started here so that its start-up is timed apart
        start = time.monotonic()
        with (
            dask.config.set(SCHEDULER_CONFIG),
            distributed.LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
        ):
            startup = time.monotonic() - start
            grade("dask-cold", DaskExecutor(cluster.scheduler_address))  # workers import the grader on first use
            grade("dask-warm", DaskExecutor(cluster.scheduler_address))
        grade("pool-again", None)
    assert len({tuple(v) for v in scores.values()}) == 1, "the pool and Dask disagree on some score"
    pool = (timings["pool"] + timings["pool-again"]) / 2
    cold = timings["dask-cold"] + startup
    warm = timings["dask-warm"]
    print(
        f"\n{n} submissions, {args.workers} workers, same run, same scores "
        f"(pool timed before and after Dask, averaged: the machine's load varies)"
    )
    print(f"  process pool, {args.workers} jobs            : {pool:8.1f} s  ({n / pool:.2f}/s)")
    print(f"  Dask local:{args.workers}, cluster start-up    : {startup:8.1f} s")
    print(
        f"  Dask local:{args.workers}, first batch + start : {cold:8.1f} s  ratio {cold / pool:.2f}  "
        f"(overhead {100 * (cold / pool - 1):+.0f} %)"
    )
    print(
        f"  Dask local:{args.workers}, warm workers        : {warm:8.1f} s  ratio {warm / pool:.2f}  "
        f"(overhead {100 * (warm / pool - 1):+.0f} %)"
    )


if __name__ == "__main__":
    main()
