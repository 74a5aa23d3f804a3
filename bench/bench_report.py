"""How long ``convmath report`` takes for a large class.

Builds a gradebook of N graded submissions shaped like the bundled example
assignment (26 parts, the catalogue's misconceptions drawn at random, a few
flagged, refused and failed submissions), then times :func:`write_report`
(reading the gradebook, the statistics, three plots, the page and the
summary) over a few runs.

    python bench/bench_report.py [--students 1000] [--runs 3]

Target: under 3 s for 1,000 submissions.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from convmath.misconceptions import CATALOGUE
from grader.gradebook import Gradebook
from grader.report import write_report
from grader.results import PartOutcome, SubmissionResult, error_result

PARTS = (
    [
        ("q1", "a", 2.0),
        ("q2", "a", 1.0),
        ("q2", "b", 3.0),
        ("q3", "a", 2.0),
        ("q3", "b", 1.0),
        ("q4", "a", 2.0),
        ("q5", "a", 2.0),
    ]
    + [("q6", k, 1.0) for k in "abc"]
    + [("q7", k, 0.6) for k in "abcdefghij"]
    + [("q8", "a", 2.0)]
    + [("q9", k, 1.0) for k in "abc"]
    + [("q10", "a", 3.2), ("q10", "b", 0.8)]
)


def build(path: Path, students: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    labels = sorted(CATALOGUE)
    total = sum(points for _, _, points in PARTS)
    with Gradebook(path) as book:
        for i in range(students):
            student = f"s{i:05d}"
            if i % 97 == 0:
                book.record(
                    error_result(
                        f"{student}.ipynb",
                        "h",
                        assignment="hw",
                        max_score=total,
                        student=student,
                        message="the file is not valid JSON",
                    ),
                    assignment_version="v",
                )
                continue
            skill = rng.random()
            parts = []
            for slot, key, points in PARTS:
                right = rng.random() < 0.35 + 0.6 * skill
                label = None if right or rng.random() < 0.4 else rng.choice(labels)
                example = f"corr2d(X=[[{rng.randint(0, 3)}]], K=[[1]])" if slot == "q10" and not right else None
                parts.append(
                    PartOutcome(
                        slot,
                        key,
                        f"{slot}_{key}",
                        points if right else 0.0,
                        points,
                        "correct" if right else "incorrect",
                        "",
                        label,
                        example,
                    )
                )
            score = sum(p.score for p in parts)
            flags = ("the notebook's metadata names another student",) if i % 53 == 0 else ()
            status = "failed" if i % 211 == 0 else "graded"
            book.record(
                SubmissionResult(
                    f"{student}.ipynb",
                    f"h{i}",
                    student,
                    "file name",
                    "hw",
                    status,
                    score,
                    total,
                    tuple(parts) if status == "graded" else (),
                    flags=flags,
                ),
                assignment_version="v",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "grades.db"
        started = time.perf_counter()
        build(db, args.students)
        print(f"built a gradebook of {args.students} submissions in {time.perf_counter() - started:.1f} s")
        times, cpu = [], []
        for run in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            page, _ = write_report(
                db, "hw", Path(tmp) / f"report{run}", roster=[f"s{i:05d}" for i in range(args.students + 20)]
            )
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(
            f"report for {args.students} submissions: wall {min(times):.2f} s best, "
            f"{statistics.median(times):.2f} s median of {args.runs} runs (first run, with imports: {times[0]:.2f} s); "
            f"CPU {min(cpu):.2f} s best; "
            f"page {page.stat().st_size / 1e3:.0f} kB"
        )
        print(
            "target: under 3 s wall —",
            "met" if max(times) < 3.0 else "NOT met (CPU time tells whether the machine was busy)",
        )


if __name__ == "__main__":
    main()
