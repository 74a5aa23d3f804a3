"""Grading on Dask distributed: the same gradebook and exports as the process pool, nothing lost.

One ``LocalCluster`` of two worker processes (with nannies, so a killed worker
comes back) serves the whole module. Dask is an optional extra: without
``distributed`` these tests are skipped; ``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
import dask  # noqa: E402
from _course import two_slot_toml, write_course, write_notebooks  # noqa: E402

from convmath.errors import ConvMathError  # noqa: E402
from grader.batch import collect, run_batch  # noqa: E402
from grader.distributed import SCHEDULER_CONFIG, DaskExecutor, parse_scheduler  # noqa: E402
from grader.grade import GradingContext  # noqa: E402
from grader.gradebook import Gradebook  # noqa: E402
from grader.results import SubmissionResult  # noqa: E402

SECRET = b"distributed-secret-0123456789abcdef"
ASSIGNMENT_TOML = two_slot_toml("dist", "Dask")
DATA = tomllib.loads(ASSIGNMENT_TOML)
CONTEXT = GradingContext(DATA, SECRET)
STUDENTS = [f"s{i:02d}" for i in range(8)]


@pytest.fixture(scope="module")
def cluster():
    with dask.config.set(SCHEDULER_CONFIG):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as local:
            yield local


@pytest.fixture
def address(cluster):
    """The cluster's address, once both workers are up (a test may have killed one)."""
    with distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
    return cluster.scheduler_address


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    write_course(root, ASSIGNMENT_TOML, SECRET, STUDENTS, raising=4)
    return root


def _command(root: Path, name: str, *engine: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "convmath.cli",
        "grade",
        str(root / "submissions"),
        "--assignment",
        str(root / "assignment.toml"),
        "--secret-file",
        str(root / "secret.txt"),
        "--gradebook",
        str(root / f"{name}.db"),
        "--out",
        str(root / f"{name}-out"),
        "--quiet",
        *engine,
    ]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _rows(path: Path) -> list[dict]:
    """Every recorded result, without what depends on the clock."""
    with Gradebook(path) as book:
        rows = [r.to_dict() for _, _, r in book.history()]
    for row in rows:
        row.pop("duration")
    return sorted(rows, key=lambda r: r["source"])


@pytest.fixture(scope="module")
def reference(course) -> Path:
    """The course graded by the process pool (2 jobs)."""
    done = subprocess.run(_command(course, "pool", "--jobs", "2"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return course


def test_dask_gives_the_pools_gradebook_rows_and_byte_identical_exports(reference, address):
    done = subprocess.run(
        _command(reference, "dask", "--scheduler", address), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.split(" in ")[0] == f"{len(STUDENTS)} submissions: 7 graded, 1 refused with a reason, 0 unchanged"
    )
    assert _rows(reference / "dask.db") == _rows(reference / "pool.db")
    assert len(_rows(reference / "pool.db")) == len(STUDENTS)
    assert _tree(reference / "dask-out") == _tree(reference / "pool-out")
    scores = [r["score"] for r in _rows(reference / "pool.db")]
    assert 4.0 in scores and 0.0 in scores and any(0 < s < 4 for s in scores)  # full, broken, a misconception

    # each worker started one sandbox zygote, and grading everything again reuses it
    with distributed.Client(address, set_as_default=False) as client:
        zygotes = client.run(_zygote_pid)
        again = subprocess.run(
            _command(reference, "dask", "--scheduler", address, "--force"), capture_output=True, text=True, timeout=300
        )
        assert again.returncode == 0, again.stderr
        assert client.run(_zygote_pid) == zygotes
    assert len(zygotes) == 2 and None not in zygotes.values()


def _zygote_pid():
    from grader.sandbox import client

    zygote = client._zygote  # the worker process's zygote, read only to check that it is reused
    return zygote.process.pid if zygote is not None and zygote.alive else None


@pytest.mark.slow
def test_a_coordinator_killed_mid_batch_then_rerun_matches_the_pool(reference, address):
    proc = subprocess.Popen(
        _command(reference, "killed", "--scheduler", address), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while _count(reference / "killed.db") < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no cleanup at all
    proc.wait()
    before = _count(reference / "killed.db")
    assert 2 <= before < len(STUDENTS), "the kill must land in the middle of the batch"
    _rerun_completes(reference, "killed", address, before)


def test_ctrl_c_mid_batch_then_rerun_matches_the_pool(reference, address):
    def interrupt(done, total, result):
        if done == 2:
            raise KeyboardInterrupt

    with Gradebook(reference / "ctrl-c.db") as book, pytest.raises(KeyboardInterrupt):
        run_batch(
            collect([reference / "submissions"])[0], CONTEXT, book, executor=DaskExecutor(address), progress=interrupt
        )
    assert _count(reference / "ctrl-c.db") == 2
    _rerun_completes(reference, "ctrl-c", address, 2)


def _rerun_completes(root: Path, name: str, address: str, before: int) -> None:
    from grader.cli.grade import main

    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert main(_command(root, name, "--scheduler", address)[4:]) == 0
    assert f"{before} unchanged" in out.getvalue()
    with Gradebook(root / f"{name}.db") as book:
        assert book.integrity() == "ok"
    assert _rows(root / f"{name}.db") == _rows(root / "pool.db")  # each once, none lost
    assert _tree(root / f"{name}-out") == _tree(root / "pool-out")


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        db.close()


# --- the executor's failure paths, with a stand-in grading function -----------------------------


def fake_grade(context_data, source, data):
    """Stand-in for grade_payload: the file's content says what to do (runs on a Dask worker)."""
    text = data.decode()
    if text == "crash":  # the worker process dies, on every worker
        os._exit(3)
    if text.startswith("crash-once:"):  # the first worker to try it dies, the retry succeeds
        marker = Path(text.removeprefix("crash-once:"))
        if not marker.exists():
            marker.write_text("died once")
            os._exit(3)
    if text == "hang":
        time.sleep(120)
    if text == "sleep":
        time.sleep(0.4)
    if text == "raise":
        raise RuntimeError("boom")
    student = source.removesuffix(".ipynb")
    return SubmissionResult(source, "h", student, "file name", "dist", "graded", float(len(text) % 5), 4.0).to_dict()


def test_a_worker_killed_mid_batch_is_retried_once_then_recorded_as_failed(tmp_path, address):
    once = tmp_path / "died-once"
    files = write_notebooks(
        tmp_path / "subs", a="ok", b="crash", c=f"crash-once:{once}", d="raise", e="fine!", f="more"
    )
    seen = []
    executor = DaskExecutor(address)
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(
            files,
            CONTEXT,
            book,
            grade_fn=fake_grade,
            executor=executor,
            progress=lambda done, total, result: seen.append((done, total)),
        )
    assert executor.warnings == []  # the same convmath on every worker, the scheduler retries once
    with Gradebook(tmp_path / "g.db") as book:
        current = {r.student: r for r in book.current("dist")}
    assert once.exists()  # c's first worker did die
    assert (summary.total, summary.graded, summary.failed) == (6, 4, 2)
    assert current["c"].status == "graded"  # retried on another worker
    assert current["b"].status == "failed"
    assert "the grading worker died while grading it, and so did the worker it was retried on" in current["b"].message
    assert current["d"].status == "failed" and "RuntimeError: boom" in current["d"].message
    assert seen == [(n, 6) for n in range(1, 7)]  # the same progress calls as the pool


def test_a_hanging_submission_is_stopped_at_the_deadline(tmp_path, address):
    files = write_notebooks(tmp_path / "subs", a="ok", b="hang", c="okay")
    start = time.monotonic()
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, CONTEXT, book, grade_fn=fake_grade, executor=DaskExecutor(address), deadline=10.0)
        current = {r.student: r for r in book.current("dist")}
    assert time.monotonic() - start < 100  # not the 120 s the submission sleeps
    assert current["b"].status == "error" and "took longer than 10 s" in current["b"].message
    assert summary.graded == 2


def test_a_submission_waiting_behind_hung_workers_gets_its_own_time(tmp_path, address):
    """Both workers hang on a submission while the next ones wait at the scheduler: the hung ones are stopped
    at the deadline, and the waiting ones, whose time counts from when they run, are graded."""
    kinds = ["sleep"] * 5 + ["hang"] * 2 + ["sleep"] * 3  # the window widens after five submissions
    files = write_notebooks(tmp_path / "subs", **{f"p{i:02d}": kind for i, kind in enumerate(kinds)})
    with Gradebook(tmp_path / "g.db") as book:
        summary = run_batch(files, CONTEXT, book, grade_fn=fake_grade, executor=DaskExecutor(address), deadline=8.0)
        current = {r.student: r for r in book.current("dist")}
    statuses = [current[f"p{i:02d}"].status for i in range(10)]
    why = [current[f"p{i:02d}"].message[:60] for i in range(10)]
    assert statuses == ["graded"] * 5 + ["error"] * 2 + ["graded"] * 3, why
    assert "took longer than 8 s" in current["p05"].message
    assert (summary.graded, summary.errors) == (8, 2)


def test_a_scheduler_without_convmath_is_refused_with_what_to_install(tmp_path):
    """Dask's scheduler unpickles every task, grading function included: without convmath there each
    submission would come back lost, so the batch stops before it starts, naming what to install."""
    root = Path(__file__).resolve().parents[1]
    info = tmp_path / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    started = []
    try:
        # convmath made unimportable in the scheduler's interpreter even where it is installed (CI installs it)
        hide = (
            "import sys; sys.modules.update(convmath=None, exercises=None, grader=None); "
            "from distributed.cli.dask_scheduler import main; sys.argv[0] = 'dask-scheduler'; main()"
        )
        command = [sys.executable, "-c", hide, "--port", "0", "--no-dashboard"]
        started.append(subprocess.Popen([*command, "--scheduler-file", str(info)], cwd=tmp_path, env=env))
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard"]
        started.append(subprocess.Popen(worker, cwd=tmp_path, env={**env, "PYTHONPATH": str(root)}))
        executor = DaskExecutor(address)
        with pytest.raises(
            ConvMathError, match=r"the scheduler cannot import convmath .*pip install 'convmath\[dask\]'"
        ):
            executor.open(CONTEXT.to_data(), fake_grade, deadline=60.0, count=1)
        assert executor._client is None  # closed again
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(30)


def _placement(dask_scheduler):
    """(submissions waiting at the scheduler, the most any worker holds): runs on the scheduler."""
    return len(dask_scheduler.queued), max((len(w.processing) for w in dask_scheduler.workers.values()), default=0)


def test_the_next_submissions_wait_at_the_scheduler_never_on_a_worker(tmp_path, address):
    """A finished worker gets its next submission from the scheduler at once (no round trip through the
    coordinator), and no worker ever holds more than the one it grades (a worker that dies would count a
    queued one as its victim)."""
    files = write_notebooks(tmp_path / "subs", **{f"p{i:02d}": "sleep" for i in range(14)})
    seen = []
    stop = threading.Event()
    with distributed.Client(address, set_as_default=False) as watcher:

        def watch():
            while not stop.is_set():
                seen.append(watcher.run_on_scheduler(_placement))
                time.sleep(0.02)

        sampler = threading.Thread(target=watch)
        sampler.start()
        try:
            with Gradebook(tmp_path / "g.db") as book:
                summary = run_batch(files, CONTEXT, book, grade_fn=fake_grade, executor=DaskExecutor(address))
        finally:
            stop.set()
            sampler.join()
    assert summary.graded == 14
    assert max(held for _, held in seen) == 1
    assert max(waiting for waiting, _ in seen) >= 1


@pytest.mark.parametrize(
    "value, message",
    [
        ("local:0", r"--scheduler='local:0' is not allowed; use local:N with N a positive number"),
        ("local:two", r"--scheduler='local:two' is not allowed; use local:N"),
        ("localhost:8786", r"--scheduler='localhost:8786' is not allowed; use tcp://HOST:PORT"),
        ("tcp://", r"--scheduler='tcp://' is not allowed"),
    ],
)
def test_bad_scheduler_values_are_refused(value, message):
    with pytest.raises(ConvMathError, match=message):
        parse_scheduler(value)


def test_the_command_refuses_jobs_with_a_scheduler_and_an_unreachable_cluster(tmp_path, course, capsys):
    from convmath.cli import main

    args = [
        "grade",
        str(tmp_path),
        "--assignment",
        str(course / "assignment.toml"),
        "--secret-file",
        str(course / "secret.txt"),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--jobs", "2", "--scheduler", "local:2"]) == 2
    assert "--jobs=2 sizes the local process pool" in capsys.readouterr().err
    assert main([*args, "--scheduler", "nowhere"]) == 2
    assert "--scheduler='nowhere' is not allowed" in capsys.readouterr().err
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "a.ipynb").write_text("{}")
    args[1] = str(tmp_path / "subs")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        assert main([*args, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--scheduler='tcp://127.0.0.1:9': the cluster cannot be reached" in capsys.readouterr().err
