"""The parse time limit holds off the main thread too, where a Dask worker grades.

A Dask worker runs each task in a thread, where no ``SIGALRM`` arrives; the
limit then comes from a watchdog thread. A slow parse must be refused there
exactly as on the main thread (the process pool's workers), and no alarm may
ever reach the thread after the limited block has ended.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import grader.bounded as bounded
from grader.bounded import TooCostly, time_limit
from grader.expr import ExpressionError, parse_expression

T = {"t": "positive_real"}
#: sympy computes hundreds of digits of each term while building it: well over 0.2 s on any machine
SLOW = " + ".join(f"floor(10**256*pi + {i})" for i in range(12))


def _in_thread(fn: Callable[[], Any]) -> Any:
    """``fn()`` run in a new thread (as a Dask worker runs a task); its result, or what it raised."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as err:  # noqa: BLE001 - handed back to the test
            out.append(err)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    assert not worker.is_alive()
    return out[0]


def _parse_slow() -> str:
    start = time.monotonic()
    try:
        parse_expression(SLOW, T)
    except ExpressionError as err:
        return f"{type(err).__name__}: {err} after {time.monotonic() - start:.1f} s"
    return "parsed"


def test_a_slow_parse_is_refused_in_a_worker_thread_as_on_the_main_thread(monkeypatch):
    monkeypatch.setattr(bounded, "PARSE_SECONDS", 0.2)
    message = "TooCostly: the expression took longer than 0.2 s to compute; write it more simply"
    on_main = _parse_slow()
    in_thread = _in_thread(_parse_slow)
    assert on_main.startswith(message), on_main
    assert in_thread.startswith(message), in_thread
    assert float(in_thread.split(" after ")[1].removesuffix(" s")) < 2.0  # stopped near 0.2 s, not run to the end


def test_blocks_stop_only_past_their_limit_and_no_alarm_follows_them():
    """Many limited blocks in one thread, some far shorter than their limit and some far longer: none stops
    before its limit, and once a block has ended no alarm reaches the thread (they would repeat every 50 ms)."""
    threads_before = threading.active_count()

    def many() -> list[tuple[bool, float]]:
        rng = random.Random(17)
        outcomes = []  # (stopped, elapsed / limit)
        for _ in range(60):
            limit = rng.uniform(0.005, 0.015)
            work = limit * rng.choice([0.1, 10.0])
            start = time.monotonic()
            try:
                with time_limit(limit) as armed:
                    assert armed
                    while time.monotonic() < start + work:
                        pass
            except TooCostly:
                outcomes.append((True, (time.monotonic() - start) / limit))
            else:
                outcomes.append((False, (time.monotonic() - start) / limit))
        end = time.monotonic() + 0.3  # a stray alarm would be raised here
        while time.monotonic() < end:
            pass
        return outcomes

    outcomes = _in_thread(many)
    assert isinstance(outcomes, list), outcomes
    assert all(ratio >= 1.0 for stopped, ratio in outcomes if stopped)
    assert {stopped for stopped, _ in outcomes} == {True, False}
    assert threading.active_count() == threads_before  # every watchdog has stopped


def test_the_main_thread_keeps_its_signal_timer():
    with pytest.raises(TooCostly, match="longer than 0.05 s"), time_limit(0.05) as armed:
        assert armed
        while True:
            pass


MAIN_THREAD_RACE = """
import random, sys, time
from grader.bounded import TooCostly, time_limit
rng, escaped = random.Random(0), []
for _ in range(1500):
    limit = rng.uniform(0.001, 0.004)
    end = time.monotonic() + limit * rng.uniform(0.9, 1.1)  # the block ends just before or just after its limit
    try:
        with time_limit(limit):
            while time.monotonic() < end:
                pass
    except TooCostly:
        pass
    except BaseException as err:  # an alarm that escaped the clean-up
        escaped.append(type(err).__name__)
print(len(escaped), sorted(set(escaped)))
"""


def test_an_alarm_as_the_block_ends_neither_escapes_nor_kills_the_process() -> None:
    """On the main thread (a pool worker's), 1,500 blocks that end right at their 1-4 ms limit: the alarm that
    comes as the block ends is dropped, never raised in the clean-up, and never reaches the default handler
    (which ends the process: "Alarm clock"). Before the fix, about 1 block in 600 let ``_Alarm`` escape."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-c", MAIN_THREAD_RACE], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[0] == "0", run.stdout
