"""Benchmark: generate the bundled example assignment (ten slots) for 300 students.

Writes every student notebook and key (and, unless ``--no-sheets``, the
Markdown and LaTeX sheets and keys in both locales) into a temporary folder,
and prints the total seconds and the milliseconds per student, for one
process and for ``--jobs`` worker processes, plus the wall time of the whole
``convmath generate`` command (Python start-up and imports included).

Target (issue 5): under 10 s for 300 students on this 2-core machine.

    python bench/bench_generate.py [--students 300] [--no-sheets]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-sheets", action="store_true")
    args = parser.parse_args()

    from exercises.assignment import Student, load_assignment, read_secret
    from exercises.cli.generate import generate_all

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        roster = tmp_path / "roster.csv"
        roster.write_text("student_id\n" + "".join(f"s{i:04d}\n" for i in range(args.students)), encoding="utf-8")
        students = [Student(f"s{i:04d}") for i in range(args.students)]
        secret = read_secret(EXAMPLES / "secret.txt")

        start = time.perf_counter()
        assignment = load_assignment(EXAMPLES / "assignment.toml")  # loads the families and warms their caches
        load = time.perf_counter() - start
        print(f"load + warm-up of the assignment ({len(assignment.slots)} slots): {load:.2f} s")

        for jobs in sorted({1, args.jobs}):
            out = tmp_path / f"out-{jobs}"
            start = time.perf_counter()
            files = generate_all(assignment, students, secret, out, sheets=not args.no_sheets, jobs=jobs)
            seconds = time.perf_counter() - start
            print(
                f"jobs={jobs}: {args.students} students, {files} files in {seconds:.2f} s "
                f"({1000 * seconds / args.students:.1f} ms per student)"
            )

        command = [
            sys.executable,
            "-m",
            "convmath.cli",
            "generate",
            str(EXAMPLES / "assignment.toml"),
            "--roster",
            str(roster),
            "--secret-file",
            str(EXAMPLES / "secret.txt"),
            "--out",
            str(tmp_path / "cli"),
            "--pdf",
            "never",
            "--quiet",
            "--jobs",
            str(args.jobs),
        ]
        if args.no_sheets:
            command.append("--no-sheets")
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
        print(
            f"convmath generate (whole command, jobs={args.jobs}): {seconds:.2f} s "
            f"({1000 * seconds / args.students:.1f} ms per student); target < 10 s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
