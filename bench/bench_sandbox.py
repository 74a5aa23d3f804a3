"""Cost of the grader's sandbox: start-up, a trivial cell, a get, 100 calls, close.

Run: ``python bench/bench_sandbox.py [--repeat N]``. Prints medians (and the
fastest/slowest) for the two ways of starting a child:

- ``fresh``: a new ``python -I`` interpreter that imports numpy, isolates
  itself and greets the grader;
- ``zygote``: a fork of a pre-started interpreter that has already imported
  numpy (its own one-off start-up is reported separately).

and, for reference, a bare ``python -c "import numpy"``. The per-notebook
figure is start + 3 trivial cells + one get of 3 answers + close: the grader
overhead that the sandbox adds beyond the student's own code.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from grader.sandbox import Sandbox, SandboxLimits
from grader.sandbox import client as sandbox_client

SETUP = "import numpy as np\ndef conv1d(x, w):\n    return np.correlate(x, w, mode='valid')\nanswer_a = 110592"


def _timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def bare_python(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        elapsed, _ = _timed(lambda: subprocess.run([sys.executable, "-c", "import numpy"], check=True))
        times.append(elapsed)
    return times


def one_notebook(mode: str) -> dict[str, float]:
    limits = SandboxLimits()
    figures: dict[str, float] = {}
    figures["start"], box = _timed(lambda: Sandbox(limits, mode=mode))
    try:
        figures["cell"], result = _timed(lambda: box.run_cell("x = 1", index=0))
        assert result.status == "ok", result
        box.run_cell(SETUP, index=1)
        box.run_cell("answer_b = (3, 32, 32)\nanswer_c = np.arange(100.0)", index=2)
        figures["get"], values = _timed(lambda: box.get(["answer_a", "answer_b", "answer_c"]))
        assert values["answer_c"].value.shape == (100,)
        x, w = np.arange(64.0), np.array([1.0, 0.0, -1.0])

        def hundred_calls():
            for _ in range(100):
                assert box.call("conv1d", (x, w)).status == "ok"

        figures["100 calls"], _ = _timed(hundred_calls)
    finally:
        figures["close"], _ = _timed(box.close)
    figures["notebook overhead"] = figures["start"] + 3 * figures["cell"] + figures["get"] + figures["close"]
    return figures


def _row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"  {name:<20} median {statistics.median(ms):8.2f} ms   min {min(ms):8.2f}   max {max(ms):8.2f}"


_PEAK_CHILD = """
import resource, sys, time
from grader.sandbox import Sandbox, SandboxLimits
cell = sys.argv[1]
with Sandbox(SandboxLimits(cell_timeout=60, total_timeout=120)) as box:
    box.run_cell(cell, index=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    value = box.get(["x"])["x"]
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) / 1024, seconds, value.status, (value.message or "")[:60])
"""

#: replies that cost the grader the most memory to read (the largest allowed, the most values allowed)
PEAK_CASES = {
    "48 MB float64 array (a 64 MiB reply)": "import numpy as np\nx = np.ones(6 * 2**20 - 4096)",
    "499,000 floats in a list": "x = [0.5 + i for i in range(499_000)]",
    "120,000 pairs of ints": "x = [(i, 2**40 + i) for i in range(120_000)]",
    "[[]] * 10_000_000 (refused)": "x = [[]] * 10_000_000",
}


def reply_peaks() -> dict[str, tuple[float, float, str]]:
    """The grading process's extra peak memory (MB, from ``ru_maxrss``) and time to read each case's value,
    each in a process of its own."""
    import subprocess

    out = {}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name, cell in PEAK_CASES.items():
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_CHILD, cell],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": root},
            timeout=600,
        )
        mb, seconds, status, *message = done.stdout.split(maxsplit=3) or ["nan", "nan", done.stderr[-200:]]
        out[name] = (float(mb), float(seconds), " ".join([status, *message]).strip())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="notebooks per mode (default 20)")
    parser.add_argument("--peaks-only", action="store_true", help="only the parent's peak memory per reply")
    args = parser.parse_args(argv)
    print("parent's extra peak memory to read one reply (target < 256 MB):")
    for name, (mb, seconds, status) in reply_peaks().items():
        print(f"  {name:<40} {mb:7.1f} MB {seconds:6.2f} s  {status}")
    if args.peaks_only:
        return 0

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {args.repeat} repeats")
    print('bare `python -c "import numpy"`:')
    print(_row("process", bare_python(max(5, args.repeat // 2))))

    zygote_start, _ = _timed(sandbox_client._get_zygote)
    print(f"zygote one-off start-up: {zygote_start * 1000:.1f} ms")
    report = None
    for mode in ("fresh", "zygote"):
        runs = [one_notebook(mode) for _ in range(args.repeat)]
        print(f"mode {mode}:")
        for key in runs[0]:
            print(_row(key, [run[key] for run in runs]))
        with Sandbox(mode=mode) as box:
            report = box.isolation
    print(
        f"isolation: landlock abi {report.landlock_abi} used={report.landlock} net={report.landlock_net} "
        f"scoped={report.landlock_scoped}, netns={report.net_namespace}, userns={report.user_namespace}, "
        f"uid={report.uid} dropped={report.dropped_uid}, no_new_privs={report.no_new_privs}, "
        f"seccomp={report.seccomp}, warnings={list(report.warnings)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
