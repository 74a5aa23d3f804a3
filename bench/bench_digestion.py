"""Benchmark: stomach content at a time for new parameter sets, after the first derivation.

Prints median and p95 per call in milliseconds for float inputs and for exact
inputs (sympy Rationals), for each retention family. Target: median < 5 ms.

    python bench/bench_digestion.py
"""

from __future__ import annotations

import random
import statistics
import time

import sympy

from convmath import food_content

R = sympy.Rational


def _params(rng: random.Random, exact: bool):
    def num(lo: float, hi: float):
        value = rng.uniform(lo, hi)
        return R(round(value * 100), 100) if exact else value

    meals = [
        (num(6, 8), num(0.2, 1), num(200, 900)),
        (num(11, 13), num(0.2, 1), num(200, 900)),
        (num(18, 20), num(0.2, 1), num(200, 900)),
        ("impulse", num(15, 16), num(10, 100)),
    ]
    family = rng.choice(["exponential", "linear", "piecewise"])
    if family == "exponential":
        retention = ("exponential", num(0.1, 2))
    elif family == "linear":
        retention = ("linear", num(1, 6))
    else:
        retention = ("piecewise", [(num(0.5, 1), 1), (num(1.5, 3), num(0.2, 0.8))])
    return num(0, 24), meals, retention, family


def run(exact: bool, calls: int = 300, seed: int = 0) -> dict[str, list[float]]:
    rng = random.Random(seed)
    for family in ("exponential", "linear", "piecewise"):  # first derivation of each family, not timed
        food_content(1, [(0, 1, 1)], ("piecewise", [(1, 1), (2, R(1, 2))]) if family == "piecewise" else (family, 1))
    timings: dict[str, list[float]] = {}
    for _ in range(calls):
        t, meals, retention, family = _params(rng, exact)
        start = time.perf_counter()
        food_content(t, meals, retention)
        timings.setdefault(family, []).append((time.perf_counter() - start) * 1e3)
    return timings


def main() -> None:
    for exact in (False, True):
        timings = run(exact)
        everything = sorted(x for values in timings.values() for x in values)
        label = "exact" if exact else "float"
        for family, values in sorted(timings.items()):
            values.sort()
            p95 = values[int(0.95 * (len(values) - 1))]
            median = statistics.median(values)
            print(f"{label:5} {family:11} n={len(values):3}  median {median:7.3f} ms  p95 {p95:7.3f} ms")
        p95 = everything[int(0.95 * (len(everything) - 1))]
        median = statistics.median(everything)
        print(f"{label:5} {'all':11} n={len(everything):3}  median {median:7.3f} ms  p95 {p95:7.3f} ms")


if __name__ == "__main__":
    main()
