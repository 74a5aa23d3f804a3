"""Grade many submissions in parallel; only this (coordinating) process writes the gradebook.

Worker processes receive plain data — the batch's context once, then each
submission's file name and bytes — and send back
:meth:`~grader.results.SubmissionResult.to_dict` dicts. Nothing assumes a
shared disk, so :func:`grader.grade.grade_payload` runs unchanged on Dask
distributed workers. Where submissions run is an :class:`Executor` — the
:class:`ProcessPool` of this machine, or :class:`grader.distributed.DaskExecutor`
on a cluster; queueing, recording, progress and the summary are this module's,
the same for both.

Robustness:

- every submission is recorded in the gradebook in its own transaction as
  soon as its result arrives, so a coordinator killed at any moment loses
  only the submissions in flight, which the next run grades;
- an unchanged submission (same bytes, same file name, same assignment
  version) is not graded again unless ``force``;
- a worker that dies (crash, out of memory, killed) turns its submission into
  a ``failed`` result (graded again next run) and is replaced; a worker that
  exceeds the per-submission deadline is killed likewise;
- workers exit on their own when the coordinator disappears (after the
  submission at hand, whose sandbox they still clean up).

Whose grade counts (a notebook's metadata travels with a copy of it, so it is
the weaker claim):

- a file identified only by its notebook metadata never replaces a grade
  that came from a file named ``<student_id>.ipynb`` — one in this batch or
  one recorded by any earlier batch. It is still graded and recorded (its own
  row, not current), with a flag in its result and a batch warning that name
  both files (:meth:`grader.gradebook.Gradebook.current` applies the order);
- when several files of one batch are one student's, the one named for the
  student counts, else the last by name;
- among files identified only by metadata the newest counts, as for
  resubmissions; when it replaces another metadata-only file of an earlier
  batch, the batch warns, naming both;
- a newer file named for the student replaces anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

from convmath.errors import ConvMathError

from .grade import RERUNS as _RERUNS
from .grade import GradingContext, grade_payload, refuse
from .gradebook import Gradebook
from .load import named_student
from .results import SubmissionResult

__all__ = ["collect", "run_batch", "BatchSummary", "GradeFn", "Executor", "Finished", "ProcessPool", "too_slow"]

GradeFn = Callable[[Mapping[str, Any], str, bytes], dict[str, Any]]
"""``(context_data, file name, bytes) -> result dict``: what a worker runs."""

ProgressFn = Callable[[int, int, "SubmissionResult | None"], None]


def collect(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """The notebooks named by ``paths`` (files, or folders searched recursively).

    Parameters
    ----------
    paths
        Notebook files (taken whatever their extension) and folders (their
        ``*.ipynb`` files, skipping hidden folders, ``.ipynb_checkpoints`` and
        symbolic links).

    Returns
    -------
    (files, warnings)
        Sorted unique files, and what was skipped.

    Raises
    ------
    ConvMathError
        A path that does not exist.

    Examples
    --------
    In a folder, only ``*.ipynb`` files count, and Jupyter's checkpoint copies
    are skipped; a named file is taken whatever its extension:

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ["bob.ipynb", "notes.txt", ".ipynb_checkpoints/bob-checkpoint.ipynb"]:
    ...         (Path(tmp) / name).parent.mkdir(exist_ok=True)
    ...         _ = (Path(tmp) / name).write_text("{}")
    ...     files, warnings = collect([tmp, Path(tmp) / "notes.txt"])
    ...     [f.name for f in files], warnings
    (['bob.ipynb', 'notes.txt'], [])
    >>> collect(["no/such/folder"])
    Traceback (most recent call last):
    convmath.errors.ConvMathError: submission='no/such/folder' does not exist
    """
    files: list[Path] = []
    warnings: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.endswith(".ipynb") or name.startswith("."):
                        continue
                    file = Path(folder) / name
                    if file.is_symlink():
                        warnings.append(f"{file}: a symbolic link, skipped")
                        continue
                    files.append(file)
        elif path.exists():
            files.append(path)
        else:
            raise ConvMathError(f"submission={str(path)!r} does not exist")
    unique = sorted(set(files), key=lambda p: (p.name, str(p)))
    return unique, warnings


@dataclass
class BatchSummary:
    """What a batch did."""

    total: int = 0
    """Submissions found."""
    graded: int = 0
    """Graded now (status ``graded``)."""
    errors: int = 0
    """Refused now with a reason (status ``error``)."""
    failed: int = 0
    """The grader failed on them (status ``failed``; graded again next run)."""
    unchanged: int = 0
    """Already in the gradebook, not graded again."""
    seconds: float = 0.0
    """Wall-clock time of the batch."""
    durations: list[float] = field(default_factory=list)
    """Per-submission grading time of those graded now (seconds)."""
    warnings: list[str] = field(default_factory=list)
    """Sandbox isolation warnings and skipped files, once each."""
    results: list[SubmissionResult] = field(default_factory=list)
    """The results recorded by this batch, in the order they arrived."""

    def line(self) -> str:
        """The one-line summary the command prints."""
        parts = [f"{self.graded} graded", f"{self.errors} refused with a reason"]
        if self.failed:
            parts.append(f"{self.failed} failed (rerun to retry)")
        parts.append(f"{self.unchanged} unchanged")
        return f"{self.total} submissions: " + ", ".join(parts) + f" in {self.seconds:.1f} s"


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _worker(conn: Connection, context_data: Mapping[str, Any], grade_fn: GradeFn) -> None:  # pragma: no cover - runs in a child
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    try:
        while True:
            while not conn.poll(0.5):
                if os.getppid() != parent:
                    return
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:
                return
            source, data = message
            try:
                out: Any = grade_fn(context_data, source, data)
            except BaseException as err:  # noqa: BLE001 - reported to the coordinator
                out = {"__failed__": f"{type(err).__name__}: {err}"}
            try:
                conn.send(out)
            except (OSError, ValueError):
                return
    finally:
        os._exit(0)  # no finalizers: inherited handles (the gradebook) belong to the parent


@dataclass(frozen=True)
class Finished:
    """One submission an :class:`Executor` is done with: its result dict, or why there is none."""

    token: int
    """What the batch passed to :meth:`Executor.submit`."""
    result: dict[str, Any] | None
    """The grading function's dict (``None`` when it failed)."""
    reason: str = ""
    """Why there is no result: the grader failed, the worker died, it took too long."""
    status: str = "failed"
    """Status of the zero recorded instead: ``failed`` (graded again next run) or ``error``."""


class Executor(Protocol):
    """Where the batch's submissions are graded: the process pool here, or Dask (:mod:`grader.distributed`).

    The batch owns the queue, the gradebook and the summary; an executor only
    runs ``grade_fn(context_data, source, data)`` somewhere and reports each
    submission back once, as a :class:`Finished`.
    """

    def open(self, context_data: Mapping[str, Any], grade_fn: GradeFn, *, deadline: float, count: int) -> None:
        """Get ready to grade ``count`` submissions (start workers, connect, send the context)."""

    def free(self) -> int:
        """How many more submissions it takes now."""

    def submit(self, token: int, source: str, data: bytes) -> None:
        """Start grading one submission (its file name and bytes)."""

    def wait(self, timeout: float) -> list[Finished]:
        """The submissions finished since the last call, waiting up to ``timeout`` seconds for one."""

    def close(self) -> None:
        """Stop everything it started (also after an interrupt)."""


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: tuple[int, float] | None = None  # (token, started)


class ProcessPool:
    """The :class:`Executor` of one machine: ``jobs`` worker processes, replaced when they die or hang.

    Examples
    --------
    >>> ProcessPool(2).jobs
    2
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.workers: list[_Worker] = []
        self._deadline = float("inf")

    def open(self, context_data: Mapping[str, Any], grade_fn: GradeFn, *, deadline: float, count: int) -> None:
        """Start ``min(jobs, count)`` workers (forked, so they share the coordinator's imports)."""
        methods = multiprocessing.get_all_start_methods()
        self._mp = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._args = (context_data, grade_fn)
        self._deadline = deadline
        self.workers = [self._start() for _ in range(max(1, min(self.jobs, count)))]

    def _start(self) -> _Worker:
        ours, theirs = self._mp.Pipe()
        process = self._mp.Process(target=_worker, args=(theirs, *self._args), daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def replace(self, worker: _Worker) -> None:
        """Kill ``worker`` if it still runs and start another in its place."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self._start()

    def free(self) -> int:
        """Idle workers."""
        return sum(1 for w in self.workers if w.job is None)

    def submit(self, token: int, source: str, data: bytes) -> None:
        """Send the submission to an idle worker."""
        worker = next(w for w in self.workers if w.job is None)
        worker.conn.send((source, data))
        worker.job = (token, time.monotonic())

    def wait(self, timeout: float) -> list[Finished]:
        """Results, deaths and overruns of the busy workers."""
        busy = [w for w in self.workers if w.job]
        if not busy:
            return []
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=timeout)
        now = time.monotonic()
        done: list[Finished] = []
        for worker in busy:
            assert worker.job is not None
            token, started = worker.job
            if worker.conn in ready or worker.conn.poll():
                try:
                    out = worker.conn.recv()
                except (EOFError, OSError):
                    out = None
                worker.job = None
                if isinstance(out, dict) and "__failed__" not in out:
                    done.append(Finished(token, out))
                    continue
                if isinstance(out, dict):  # grade_fn raised; the worker itself is fine
                    done.append(Finished(token, None, f"the grader failed on this submission ({out['__failed__']})"))
                    continue
                worker.process.join(1)
                done.append(Finished(token, None, f"the grading worker died ({_exit_text(worker.process)})"))
                self.replace(worker)
            elif worker.process.sentinel in ready or not worker.process.is_alive():
                worker.job = None
                worker.process.join(1)
                done.append(Finished(token, None, f"the grading worker died ({_exit_text(worker.process)})"))
                self.replace(worker)
            elif now - started > self._deadline:
                worker.job = None
                done.append(Finished(token, None, too_slow(self._deadline), "error"))
                self.replace(worker)
        return done

    def close(self) -> None:
        """Ask every worker to stop; kill those that do not within 5 s."""
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        end = time.monotonic() + 5
        for worker in self.workers:
            worker.process.join(max(0.0, end - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1)
            worker.conn.close()


def too_slow(deadline: float) -> str:
    """The reason recorded for a submission stopped at the deadline.

    Examples
    --------
    >>> too_slow(90.0)
    'grading took longer than 90 s and was stopped'
    """
    return f"grading took longer than {deadline:.0f} s and was stopped"


def _exit_text(process: Any) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def run_batch(
    paths: Sequence[Path],
    context: GradingContext,
    gradebook: Gradebook,
    *,
    jobs: int | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    grade_fn: GradeFn = grade_payload,
    deadline: float | None = None,
    executor: Executor | None = None,
) -> BatchSummary:
    """Grade ``paths`` into ``gradebook``.

    Parameters
    ----------
    paths
        Submission files (see :func:`collect`).
    context
        The batch's assignment, secret, roster and limits.
    gradebook
        Where each result is recorded as soon as it arrives.
    jobs
        Worker processes (default ``os.cpu_count()``).
    force
        Grade again submissions the gradebook already has.
    progress
        Called as ``progress(done, total, result)`` after each submission.
    grade_fn
        What a worker runs (default :func:`grader.grade.grade_payload`).
    deadline
        Seconds one submission may take in a worker before the worker is
        killed; default from the sandbox limits (every run, the reruns, the
        sandbox start-ups) plus two minutes for checking.
    executor
        Where submissions are graded (default a :class:`ProcessPool` of
        ``jobs`` workers; :class:`grader.distributed.DaskExecutor` for a Dask
        cluster). Recording, progress and summary are the same for any.

    Returns
    -------
    BatchSummary

    Examples
    --------
    A file that is not JSON is refused (one error, recorded); run again, the
    gradebook already has it, so it is left unchanged:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from grader.grade import GradingContext
    >>> from grader.gradebook import Gradebook
    >>> ctx = GradingContext({"id": "w1", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]},
    ...                      b"0123456789abcdef")
    >>> with tempfile.TemporaryDirectory() as tmp, Gradebook(":memory:") as book:
    ...     _ = (Path(tmp) / "carol.ipynb").write_text("not json")
    ...     first = run_batch([Path(tmp) / "carol.ipynb"], ctx, book, jobs=1)
    ...     again = run_batch([Path(tmp) / "carol.ipynb"], ctx, book, jobs=1)
    >>> (first.total, first.graded, first.errors, first.unchanged), (again.errors, again.unchanged)
    ((1, 0, 1, 0), (0, 1))
    """
    start = time.monotonic()
    limits = context.limits
    if deadline is None:
        deadline = (_RERUNS + 1) * (limits.total_timeout + limits.startup_timeout) + 120.0
    summary = BatchSummary(total=len(paths))
    done = 0
    seen_warnings: set[str] = set()

    mine: dict[str, list[tuple[str, str, int]]] = {}  # student -> (file name, identified by, row) of this batch
    named_here: dict[str, str] = {}  # student -> the file of this batch named for them
    for path in paths:
        student = named_student(path.name, roster=context.roster)
        if student is not None:
            named_here.setdefault(student, path.name)
    sources_here = {path.name for path in paths}

    def record(result: SubmissionResult) -> None:
        nonlocal done
        if result.student and result.identified_by == _METADATA:
            flag = _metadata_claim(result.source, result.student, named_here, sources_here, gradebook,
                                   context.assignment.id, summary)
            if flag:
                result = dataclasses.replace(result, flags=(*result.flags, flag))
        row = gradebook.record(result, assignment_version=context.version)
        if result.student:
            mine.setdefault(result.student, []).append((result.source, result.identified_by, row))
        summary.results.append(result)
        if result.status == "graded":
            summary.graded += 1
            summary.durations.append(result.duration)
        elif result.status == "error":
            summary.errors += 1
        else:
            summary.failed += 1
        for warning in result.sandbox_warnings:
            if warning not in seen_warnings:
                seen_warnings.add(warning)
                summary.warnings.append(warning)
        done += 1
        if progress:
            progress(done, summary.total, result)

    names: dict[str, list[str]] = {}
    for path in paths:
        names.setdefault(path.name, []).append(str(path))
    for name, where in names.items():
        if len(where) > 1:
            summary.warnings.append(f"{name} was handed in {len(where)} times ({', '.join(where)}); "
                                    "the one recorded last counts")
    queue: deque[tuple[Path, str]] = deque()
    for path in paths:
        name = path.name
        try:
            size = path.stat().st_size
            digest = _file_digest(path)
        except OSError as err:
            record(refuse(name, "", f"the file cannot be read ({err.strerror})", context))
            continue
        existing = None if force else gradebook.find(digest, name, context.version)
        if existing is not None:
            gradebook.touch(existing)
            known = gradebook.get(existing)
            if known.student and known.identified_by == _METADATA:
                _metadata_claim(known.source, known.student, named_here, sources_here, gradebook,
                                context.assignment.id, summary)
            if known.student:
                mine.setdefault(known.student, []).append((known.source, known.identified_by, existing))
            summary.unchanged += 1
            done += 1
            if progress:
                progress(done, summary.total, None)
        elif size > context.max_bytes:
            record(refuse(name, digest, (
                f"the file is {size / 2**20:.1f} MB; the limit is {context.max_bytes / 2**20:.0f} MB "
                "(clear the outputs: Kernel > Restart & Clear Output, save, and hand it in again)"), context))
        else:
            queue.append((path, digest))

    if queue:
        _warm(context)
        executor = executor or ProcessPool(jobs)
        try:
            executor.open(context.to_data(), grade_fn, deadline=deadline, count=len(queue))
            _drive(executor, queue, context, record)
        finally:
            executor.close()
    _settle_claims(mine, gradebook, summary)
    summary.seconds = time.monotonic() - start
    return summary


_METADATA = "notebook metadata"


def _metadata_claim(source: str, student: str, named_here: Mapping[str, str], sources_here: set[str],
                    gradebook: Gradebook, assignment: str, summary: BatchSummary) -> str | None:
    """Check a file that names ``student`` only in its metadata against the files named for them.

    Returns the flag for its result when a file named for the student (in this
    batch, or the current one in the gradebook) keeps the grade; warns in
    ``summary`` about another batch's file (this batch's own are warned about
    by :func:`_settle_claims`).
    """
    named, earlier = named_here.get(student), False
    standing = gradebook.current(assignment, student=student)
    if named is None and standing and standing[0].identified_by == "file name":
        named, earlier = standing[0].source, True
    if named is None:
        if standing and standing[0].source != source and standing[0].source not in sources_here:
            summary.warnings.append(
                f"{source} names {student} only in its notebook metadata; it replaces {standing[0].source} "
                f"(graded earlier, also identified only by its metadata) as {student}'s current submission")
        return None
    where = "graded in an earlier batch" if earlier else "in this batch"
    flag = (f"{source} names {student} only in its notebook metadata, and {named} is named for {student} "
            f"({where}): {named} keeps {student}'s grade; {source} is recorded but does not count "
            f"(to replace {named}, hand the notebook in as {student}.ipynb)")
    if earlier:
        summary.warnings.append(flag)
    return flag


def _settle_claims(mine: Mapping[str, list[tuple[str, str, int]]], gradebook: Gradebook,
                   summary: BatchSummary) -> None:
    """When several files of one batch are one student's, the one named for the student counts (else the
    last by name), whatever the order they finished in: a file claiming a student only in its metadata
    never replaces the file named ``<student_id>.ipynb`` (nor does it in later batches:
    :meth:`Gradebook.current` prefers rows identified by the file name)."""
    for student, claims in sorted(mine.items()):
        sources = sorted({source for source, _, _ in claims})
        if len(sources) < 2:
            continue
        source, how, row = max(claims, key=lambda c: (c[1] == "file name", c[0], c[2]))
        gradebook.touch(row)
        why = " (named for the student)" if how == "file name" else ""
        summary.warnings.append(f"{len(sources)} files are {student}'s ({', '.join(sources)}); {source} counts{why}")


def _warm(context: GradingContext) -> None:
    """Import the checking code before forking, so workers start with it loaded (copy-on-write)."""
    try:
        import grader.checks  # noqa: F401

        _ = context.assignment, context.max_score, context.version
    except Exception:  # noqa: BLE001 - a worker will report the same problem per submission
        pass


def _drive(
    executor: Executor,
    queue: deque[tuple[Path, str]],
    context: GradingContext,
    record: Callable[[SubmissionResult], None],
) -> None:
    """Feed ``queue`` to ``executor`` and record each submission as soon as it comes back."""
    jobs: dict[int, tuple[Path, str]] = {}
    tokens = itertools.count()
    while queue or jobs:
        while queue and executor.free() > 0:
            path, digest = queue.popleft()
            try:
                data = path.read_bytes()
            except OSError as err:
                record(refuse(path.name, digest, f"the file cannot be read ({err.strerror})", context))
                continue
            token = next(tokens)
            jobs[token] = (path, digest)
            executor.submit(token, path.name, data)
        for done in executor.wait(1.0):
            path, digest = jobs.pop(done.token)
            if done.result is not None:
                try:
                    # the gradebook keys on the bytes the coordinator read, whatever the worker says
                    record(dataclasses.replace(SubmissionResult.from_dict(done.result), content_hash=digest))
                    continue
                except (TypeError, ValueError, KeyError) as err:
                    done = Finished(done.token, None, f"the grader sent back an unreadable result ({err})")
            failure = refuse(path.name, digest, done.reason, context)
            record(dataclasses.replace(failure, status=done.status))  # type: ignore[arg-type]
