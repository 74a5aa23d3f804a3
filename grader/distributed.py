"""Grade a batch on a Dask distributed cluster instead of the local process pool.

:class:`DaskExecutor` is an :class:`~grader.batch.Executor`: the batch
(:func:`grader.batch.run_batch`) keeps the queue, the gradebook, the progress
bar and the summary, exactly as with the process pool; Dask only runs
:func:`grader.grade.grade_payload` on its workers.

What crosses to a worker is plain data: each submission's file name and
bytes, with the batch's context (a few kB: the secret in it as hex, derived
here from the coordinator's files; each worker process parses it once). Workers
need no shared disk, no secret file and no gradebook; they send back a result
dict, and only this process records it, one transaction per submission.

- A finished worker gets its next submission from the scheduler at once: a
  few wait there (never on a worker), so the round trip through this process
  (collecting the result, recording it, sending more) is not on the workers'
  critical path (:meth:`DaskExecutor.free`).
- Dask runs a task in a worker thread, where no ``SIGALRM`` arrives; the
  grader's time limit on parsing an answer holds there too
  (:func:`grader.bounded.time_limit`), so a slow answer gets the same zero
  and reason as in the process pool.
- Each worker process keeps one sandbox zygote warm across its tasks (the
  sandbox's per-process zygote, started by the first task); a worker plugin
  stops it when the worker closes.
- A worker that dies while grading loses nothing recorded: the scheduler runs
  the submission again on another worker (``allowed-failures`` = 1 on a
  ``local:N`` cluster; see ``docs/distributed.md`` for a cluster of your own),
  and when that worker dies too it is recorded as ``failed`` with the reason
  (graded again by the next run).
- A submission still running at the deadline is recorded as an ``error`` and
  its worker restarted (when the cluster has nannies); the time of one that
  waited at the scheduler counts from when a worker was free to take it.
- Ctrl-C or a killed coordinator: what was recorded stays; the scheduler
  forgets the coordinator's tasks; the next run grades the rest.

Examples
--------
>>> parse_scheduler("local:4")
('local', 4)
>>> parse_scheduler("tcp://10.0.0.5:8786")
('address', 'tcp://10.0.0.5:8786')
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from typing import Any

from convmath.errors import ConvMathError

from .batch import Finished, GradeFn, too_slow

__all__ = ["DaskExecutor", "SCHEDULER_CONFIG", "parse_scheduler", "require_distributed"]

#: schemes of the addresses a Dask client connects to
_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://")
#: how long the coordinator waits for the cluster (connection, first worker)
_CONNECT_TIMEOUT = 60.0
_PLUGIN = "convmath-sandbox"
#: a submission whose worker died is retried once; a worker holds only the task it runs (a worker that
#: dies takes no queued submission with it); and less housekeeping competing with grading for the CPU
#: and the GIL (no profiler sampling the grading thread, no work stealing, slower system and memory
#: polling, an event-loop health check every 200 ms rather than 20 ms): on 2 busy cores these took a warm
#: worker from 1.5x to 1.2x the process pool's time
SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": 1,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.tick.interval": "200ms",
}


def parse_scheduler(value: str) -> tuple[str, Any]:
    """Read a ``--scheduler`` value: ``local:N`` or a scheduler address.

    Parameters
    ----------
    value
        ``local:N`` (a ``LocalCluster`` of N worker processes, started for the
        run) or ``tcp://HOST:PORT`` (also ``tls://``, ``ucx://``, ``inproc://``):
        an existing cluster's scheduler.

    Returns
    -------
    tuple
        ``("local", N)`` or ``("address", value)``.

    Raises
    ------
    ConvMathError
        Anything else, naming the value and what is allowed.

    Examples
    --------
    >>> parse_scheduler("local:2")
    ('local', 2)
    >>> parse_scheduler("local:0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    convmath.errors.ConvMathError: --scheduler='local:0' is not allowed; use local:N with N a positive number of ...
    >>> parse_scheduler("10.0.0.5:8786")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    convmath.errors.ConvMathError: --scheduler='10.0.0.5:8786' is not allowed; use tcp://HOST:PORT (or ...) or local:N
    """
    if value.startswith("local:"):
        count = value.removeprefix("local:")
        if count.isascii() and count.isdigit() and int(count) > 0:
            return "local", int(count)
        raise ConvMathError(
            f"--scheduler={value!r} is not allowed; use local:N with N a positive number of worker processes"
        )
    if value.startswith(_SCHEMES) and len(value.split("://", 1)[1]) > 0 and value.isprintable():
        return "address", value
    raise ConvMathError(
        f"--scheduler={value!r} is not allowed; use tcp://HOST:PORT (or tls://, ucx://, inproc://) or local:N"
    )


def require_distributed() -> Any:
    """The ``distributed`` module, or a clear error naming the extra to install.

    Returns
    -------
    module
        ``distributed``.

    Raises
    ------
    ConvMathError
        When Dask distributed is not installed.

    Examples
    --------
    >>> try:
    ...     hasattr(require_distributed(), "Client")
    ... except Exception as err:  # without the extra
    ...     "convmath[dask]" in str(err)
    True
    """
    try:
        import distributed
    except ImportError as err:
        raise ConvMathError(
            f"--scheduler needs Dask distributed ({err}); install it with pip install 'convmath[dask]'"
        ) from None
    return distributed


def _run_task(grade_fn: GradeFn, context_data: Mapping[str, Any], source: str, data: bytes) -> dict[str, Any]:
    """What a Dask worker runs: ``grade_fn``, its own failure reported as data (the worker is fine)."""
    try:
        return grade_fn(context_data, source, data)
    except Exception as err:  # noqa: BLE001 - reported to the coordinator, as the process pool does
        return {"__failed__": f"{type(err).__name__}: {err}"}


def _close_sandbox_zygote() -> None:
    from .sandbox.client import close_zygote

    close_zygote()


@functools.cache
def _sandbox_plugin_class() -> type:
    """A ``WorkerPlugin`` that stops the worker's sandbox zygote (started lazily by its first task) on teardown."""
    from distributed import WorkerPlugin

    class SandboxPlugin(WorkerPlugin):
        name = _PLUGIN
        idempotent = True

        def teardown(self, worker: Any) -> None:
            _close_sandbox_zygote()

    return SandboxPlugin


class DaskExecutor:
    """An :class:`~grader.batch.Executor` on a Dask distributed cluster.

    Parameters
    ----------
    scheduler
        ``local:N`` (a ``LocalCluster`` of N single-threaded worker processes,
        started when the batch has something to grade and closed after it)
        or the address of an existing cluster's scheduler (``tcp://HOST:8786``).

    Examples
    --------
    Nothing connects until the batch has a submission to grade:

    >>> executor = DaskExecutor("local:2")
    >>> executor.kind, executor.target
    ('local', 2)
    """

    def __init__(self, scheduler: str) -> None:
        self.kind, self.target = parse_scheduler(scheduler)
        self.scheduler = scheduler
        self.warnings: list[str] = []
        self._client: Any = None
        self._cluster: Any = None
        self._futures: dict[int, tuple[Any, float | None]] = {}  # token -> (future, started; None: waiting)
        self._threads = 1
        self._threads_checked = 0.0
        self._submitted = 0  # submissions since none of this batch's was on the cluster

    # --- Executor ------------------------------------------------------------------
    def open(self, context_data: Mapping[str, Any], grade_fn: GradeFn, *, deadline: float, count: int) -> None:
        """Start or connect to the cluster, check its workers and settings, register the zygote plugin."""
        distributed = require_distributed()
        import dask

        self._deadline = deadline
        self._grade_fn = grade_fn
        try:
            if self.kind == "local":
                with dask.config.set(SCHEDULER_CONFIG):
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.target,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        # no dashboard; the scheduler's small HTTP server on a free local port (not 8787,
                        # which another cluster may hold: Dask would warn)
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                        silence_logs=logging.ERROR,
                    )
                # results fetched from the workers directly, not relayed by the scheduler
                self._client = distributed.Client(self._cluster, set_as_default=False, direct_to_workers=True)
            else:
                self._client = distributed.Client(self.target, set_as_default=False)
                self._client.wait_for_workers(1, timeout=_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as err:
            self.close()
            raise ConvMathError(
                f"--scheduler={self.scheduler!r}: the cluster cannot be reached or has no "
                f"worker ({type(err).__name__}: {err})"
            ) from None
        self._check_scheduler()
        self._check_workers()
        self._register_plugin()
        # sent with every task (a few kB), not scattered: scattered data dies with the workers holding it;
        # bound into the function, so that Dask does not walk the context's nested dicts and lists as a
        # graph of its own in every task (the coordinator, the scheduler and the worker each would)
        self._task = functools.partial(_run_task, grade_fn, dict(context_data))

    def free(self) -> int:
        """Submissions the cluster takes now: one per worker thread, and as many more waiting at the scheduler.

        The ones waiting go to the first worker that finishes, without a round trip through this process.
        They wait at the scheduler, not on a worker (a worker that dies would count a submission queued on it
        as one of its victims), only once Dask treats the batch's tasks as a large group ("root-ish": more
        than two per worker thread submitted), so the extra ones are handed out only after that many
        submissions since the cluster last had none of this batch's; until then, one per worker thread.
        """
        now = time.monotonic()
        if now - self._threads_checked > 2.0:
            self._threads = max(1, sum(self._client.nthreads().values()))
            self._threads_checked = now
        window = 2 * self._threads if self._submitted > 2 * self._threads else self._threads
        return window - len(self._futures)

    def submit(self, token: int, source: str, data: bytes) -> None:
        """Send one submission to the cluster (``pure=False``: never cached, never shared with another run)."""
        if not self._futures:
            self._submitted = 0  # the scheduler may have forgotten the group (see free)
        self._submitted += 1
        future = self._client.submit(
            self._task, source, data, pure=False, key=f"convmath-grade-{token}-{time.time_ns()}"
        )
        self._futures[token] = (future, None)  # waiting at the scheduler until a worker thread is free
        self._start_clocks()

    def wait(self, timeout: float) -> list[Finished]:
        """Results of the tasks finished since the last call, within ``timeout`` seconds."""
        distributed = require_distributed()
        if not self._futures:
            return []
        try:
            with self._client.as_current():
                distributed.wait([f for f, _ in self._futures.values()], timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        done: list[Finished] = []
        now = time.monotonic()
        for token, (future, started) in list(self._futures.items()):
            finished = self._finished(token, future) if future.done() else None
            if finished is not None:
                del self._futures[token]
                done.append(finished)
            elif started is not None and now - started > self._deadline:
                del self._futures[token]
                where = [w for w, keys in self._running().items() if future.key in keys]
                self._restart_workers(where, future)
                done.append(Finished(token, None, too_slow(self._deadline), "error"))
        self._start_clocks()
        return done

    def _start_clocks(self) -> None:
        """Start the deadline clock of the submissions waiting at the scheduler that a worker has taken.

        The scheduler hands them out in the order they came, one to each worker thread that frees up: those
        still waiting are the newest beyond one per worker thread.
        """
        running = sum(1 for _, started in self._futures.values() if started is not None)
        now = time.monotonic()
        for token, (future, started) in self._futures.items():
            if running >= self._threads:
                break
            if started is None:
                self._futures[token] = (future, now)
                running += 1

    def close(self) -> None:
        """Cancel what is still in flight; close the client, and the cluster if this run started it."""
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        futures = [f for f, _ in self._futures.values()]
        self._futures.clear()
        try:
            if client is not None:
                if futures:
                    client.cancel(futures)
                client.close(timeout=10)
        finally:
            if cluster is not None:
                cluster.close(timeout=30)

    # --- helpers -------------------------------------------------------------------
    def _finished(self, token: int, future: Any) -> Finished | None:
        """What a done future holds, or ``None`` when the scheduler is computing it again (its worker died)."""
        from distributed import KilledWorker

        try:
            out = future.result(timeout=_CONNECT_TIMEOUT)
        except KilledWorker:
            return Finished(
                token, None, "the grading worker died while grading it, and so did the worker it was retried on"
            )
        except Exception as err:  # noqa: BLE001 - cancelled, lost with its worker, the scheduler gone
            if not future.done() and future.status == "pending":
                return None
            return Finished(token, None, f"the cluster lost this submission ({type(err).__name__}: {err})")
        if isinstance(out, dict) and "__failed__" not in out:
            return Finished(token, out)
        if isinstance(out, dict):
            return Finished(token, None, f"the grader failed on this submission ({out['__failed__']})")
        return Finished(token, None, f"the grader sent back {type(out).__name__}, not a result")

    def _check_scheduler(self) -> None:
        """Refuse a scheduler that cannot import convmath; warn when it retries differently or queues
        submissions on its workers.

        Dask's scheduler unpickles every task it is sent, and with it the grading function: without convmath
        there, every submission would come back as lost.
        """
        try:
            allowed, saturation = self._client.run_on_scheduler(_scheduler_policy)
        except ImportError as err:
            self.close()
            raise ConvMathError(
                f"--scheduler={self.scheduler!r}: the scheduler cannot import convmath ({type(err).__name__}: "
                f"{err}); install the same convmath where the scheduler runs (pip install 'convmath[dask]')"
            ) from None
        except Exception:  # noqa: BLE001 - a scheduler that refuses run_on_scheduler keeps its own policy
            return
        if allowed != 1:
            self.warnings.append(
                f"the scheduler at {self.scheduler} retries a submission whose worker died {allowed} time(s), "
                "not once; start it with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1"
            )
        if saturation != 1.0:
            self.warnings.append(
                f"the scheduler at {self.scheduler} queues submissions on its workers (worker-saturation "
                f"{saturation}), so a worker that dies counts against them too; start it with "
                "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION=1.0"
            )

    def _check_workers(self) -> None:
        """Warn about workers that run another convmath than this coordinator (or none at all)."""
        ours = _convmath_version()
        try:
            theirs = self._client.run(_convmath_version, on_error="return")
        except Exception as err:  # noqa: BLE001 - the first submission will say what is wrong
            theirs = {"the workers": f"unknown ({type(err).__name__})"}
        for worker, version in sorted(theirs.items()):
            if isinstance(version, BaseException):
                self.warnings.append(
                    f"worker {worker} cannot run convmath ({type(version).__name__}: {version}); "
                    "install the same convmath there (pip install 'convmath[dask]')"
                )
            elif version != ours:
                self.warnings.append(
                    f"worker {worker} runs another convmath version than this coordinator; "
                    "install the same version everywhere"
                )

    def _register_plugin(self) -> None:
        plugin = _sandbox_plugin_class()()
        register = getattr(self._client, "register_plugin", None)
        try:
            if register is not None:
                register(plugin, name=_PLUGIN)
            else:  # pragma: no cover - distributed < 2023.9
                self._client.register_worker_plugin(plugin, name=_PLUGIN)
        except Exception as err:  # noqa: BLE001 - the zygote still stops when its worker process exits
            self.warnings.append(f"the workers' sandbox plugin could not be registered ({type(err).__name__})")

    def _running(self) -> dict[Any, list[str]]:
        """What each worker runs (empty when the scheduler cannot say)."""
        try:
            return {worker: list(keys) for worker, keys in self._client.processing().items()}
        except Exception:  # noqa: BLE001 - the overrunning submission is cancelled anyway
            return {}

    def _restart_workers(self, workers: list[Any], future: Any) -> None:
        """Stop the overrunning ``future``: cancel it and restart the workers running it, if they have a nanny.

        The workers are paused first, so that the scheduler gives none of them a waiting submission once the
        overrunning one is cancelled (it would die with the worker); cancelled first, so that it is not run
        again when its worker goes.
        """
        try:
            if workers:
                self._client.run_on_scheduler(_pause_workers, workers=workers)
        except Exception:  # noqa: BLE001 - a scheduler that refuses run_on_scheduler: restarted all the same
            pass
        future.cancel()
        try:
            if workers:
                self._client.restart_workers(workers, timeout=30, raise_for_error=False)
        except Exception:  # noqa: BLE001 - the task is cancelled anyway; its sandbox has its own limits
            pass


def _pause_workers(dask_scheduler: Any, workers: list[str]) -> None:
    for worker in workers:
        dask_scheduler.handle_worker_status_change("paused", worker, stimulus_id=f"convmath-deadline-{time.time_ns()}")


def _scheduler_policy(dask_scheduler: Any) -> tuple[int, float]:
    return int(dask_scheduler.allowed_failures), float(dask_scheduler.WORKER_SATURATION)


def _convmath_version() -> str:
    """A fingerprint of the convmath version this process runs (grades depend on it)."""
    from .grade import assignment_version

    return assignment_version({}, b"convmath version probe")
