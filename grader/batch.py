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

Whose file it is is decided here, in the coordinator
(:func:`grader.identify.collect_submissions`: upload folders, platform
downloads, the file's own name); a worker is told ``<student>.ipynb`` and
falls back on the notebook's metadata only for a file nothing else
identifies (:func:`attribute` puts the coordinator's findings and flags into
the result). Before anything is recorded, a batch whose notebooks mostly
disagree with the assignment or the secret is refused
(:mod:`grader.mismatch`).

Whose grade counts (a notebook's metadata travels with a copy of it, so it is
the weaker claim, as is a file named for another student inside someone's
upload: :data:`grader.identify.WEAK_METHODS`):

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

import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

from convmath.errors import ConvMathError

from .grade import RERUNS as _RERUNS
from .grade import GradingContext, bounded_result, grade_payload, refuse
from .gradebook import Gradebook
from .identify import WEAK_METHODS, Submission, name_text, read_regular
from .load import RESERVED_NAMES, SubmissionError, content_hash, named_student
from .mismatch import MismatchError, find_mismatch
from .results import SubmissionResult
from .safetext import cap, for_terminal

__all__ = [
    "collect",
    "run_batch",
    "BatchSummary",
    "GradeFn",
    "as_submission",
    "attribute",
    "MismatchError",
    "Executor",
    "Finished",
    "ProcessPool",
    "too_slow",
]

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
    results_unchanged: list[SubmissionResult] = field(default_factory=list)
    """The stored results of the submissions not graded again."""
    identified: list[tuple[str, str | None, str]] = field(default_factory=list)
    """``(source, student, how)`` of every submission, graded now or unchanged."""

    def line(self) -> str:
        """The one-line summary the command prints."""
        parts = [f"{self.graded} graded", f"{self.errors} refused with a reason"]
        if self.failed:
            parts.append(f"{self.failed} failed (rerun to retry)")
        parts.append(f"{self.unchanged} unchanged")
        return f"{self.total} submissions: " + ", ".join(parts) + f" in {self.seconds:.1f} s"


def _worker(
    conn: Connection, context_data: Mapping[str, Any], grade_fn: GradeFn
) -> None:  # pragma: no cover - runs in a child
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
    paths: Sequence[Path | Submission],
    context: GradingContext,
    gradebook: Gradebook,
    *,
    jobs: int | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    grade_fn: GradeFn = grade_payload,
    deadline: float | None = None,
    accept_mismatch: bool = False,
    executor: Executor | None = None,
) -> BatchSummary:
    """Grade ``paths`` into ``gradebook``.

    Parameters
    ----------
    paths
        Submission files (see :func:`collect`), or submissions found and
        identified by :func:`grader.identify.collect_submissions`.
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
    accept_mismatch
        Grade even when most notebooks disagree with the assignment or the
        secret (see :mod:`grader.mismatch`).
    executor
        Where submissions are graded (default a :class:`ProcessPool` of
        ``jobs`` workers; :class:`grader.distributed.DaskExecutor` for a Dask
        cluster). Recording, progress and summary are the same for any.

    Returns
    -------
    BatchSummary

    Raises
    ------
    MismatchError
        Most notebooks to grade disagree with the assignment or the secret
        and ``accept_mismatch`` is false; nothing was recorded.

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
    items = [as_submission(p) for p in paths]
    summary = BatchSummary(total=len(items))
    done = 0
    seen_warnings: set[str] = set()

    mine: dict[str, list[tuple[str, str, int]]] = {}  # student -> (source, identified by, row) of this batch
    named_here: dict[str, str] = {}  # student -> the file of this batch that identifies them strongly
    for item in items:
        student = item.student if item.how not in WEAK_METHODS else None
        if student is None and not item.how:
            student = named_student(item.name, roster=context.roster)
        if student is not None:
            named_here.setdefault(student, item.source)
    sources_here = {item.source for item in items}

    def record(result: SubmissionResult, item: Submission) -> None:
        nonlocal done
        result = bounded_result(attribute(result, item))  # every stored and exported string is capped
        if result.student and result.identified_by in WEAK_METHODS:
            flag = _metadata_claim(
                result.source, result.student, named_here, sources_here, gradebook, context.assignment.id, summary
            )
            if flag:  # says more than the generic "only by its metadata"
                flags = [f for f in result.flags if f != _only_metadata(item, result.student)]
                result = dataclasses.replace(result, flags=(*flags, flag))
        row = gradebook.record(result, assignment_version=context.version)
        if result.student:
            mine.setdefault(result.student, []).append((result.source, result.identified_by, row))
        summary.results.append(result)
        summary.identified.append((result.source, result.student, _how_text(result, item)))
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

    places: dict[str, list[str]] = {}
    for item in items:
        places.setdefault(item.source, []).append(item.origin or item.source)
    for name, where in places.items():
        if len(where) > 1:
            summary.warnings.append(
                f"{for_terminal(name)} was handed in {len(where)} times "
                f"({', '.join(map(for_terminal, where))}); the one recorded last counts"
            )

    # first pass: read (bounded, regular files only) and fingerprint, record nothing yet
    refused: list[tuple[Submission, str, str]] = []  # (item, digest, reason)
    unchanged: list[tuple[Submission, int]] = []
    queue: deque[tuple[Submission, str]] = deque()
    for item in items:
        try:
            digest = content_hash(item.read(context.max_bytes))
        except SubmissionError as err:
            refused.append((item, content_hash(f"refused\0{err}".encode()), str(err)))
            continue
        existing = None if force else gradebook.find(digest, item.source, context.version)
        if existing is not None:
            unchanged.append((item, existing))
        elif not force and gradebook.failures(digest, item.source, context.version) >= MAX_ATTEMPTS:
            summary.failed += 1
            summary.warnings.append(
                f"GRADER BUG: the grader failed {MAX_ATTEMPTS} times on {for_terminal(item.source)}; "
                "it is not retried (see its 'failed' rows in the gradebook; fix, then rerun with "
                "--force)"
            )
            done += 1
            if progress:
                progress(done, summary.total, None)
        else:
            queue.append((item, digest))
    if queue and not accept_mismatch:
        why = find_mismatch([(digest, _reader(item, context.max_bytes)) for item, digest in queue], context)
        if why is not None:
            raise MismatchError(why)

    for item, digest, reason in refused:
        existing = None if force else gradebook.find(digest, item.source, context.version)
        if existing is not None:
            unchanged.append((item, existing))
        else:
            record(refuse(item.worker_name, digest, reason, context), item)
    for item, existing in unchanged:
        gradebook.touch(existing)
        known = gradebook.get(existing)
        if known.student and known.identified_by in WEAK_METHODS:
            _metadata_claim(
                known.source, known.student, named_here, sources_here, gradebook, context.assignment.id, summary
            )
        if known.student:
            mine.setdefault(known.student, []).append((known.source, known.identified_by, existing))
        summary.results_unchanged.append(known)
        summary.identified.append((known.source, known.student, _how_text(known, item)))
        summary.unchanged += 1
        done += 1
        if progress:
            progress(done, summary.total, None)

    if queue:
        _warm(context)
        with _sandbox_folder():
            executor = executor or ProcessPool(jobs)
            try:
                executor.open(context.to_data(), grade_fn, deadline=deadline, count=len(queue))
                _drive(executor, queue, context, record)
            finally:
                executor.close()
    _settle_claims(mine, gradebook, summary)
    summary.seconds = time.monotonic() - start
    return summary


def _reader(item: Submission, limit: int) -> Callable[[], bytes | None]:
    def read() -> bytes | None:
        try:
            return item.read(limit)
        except SubmissionError:
            return None

    return read


def as_submission(path: Submission | str | Path) -> Submission:
    """A file given by path as a :class:`~grader.identify.Submission` identified by its own name in the worker.

    Examples
    --------
    >>> s = as_submission("subs/s001.ipynb")
    >>> s.source, s.student, s.worker_name
    ('s001.ipynb', None, 's001.ipynb')
    """
    if isinstance(path, Submission):
        return path
    path = Path(path)
    return Submission(
        name_text(os.fsencode(path.name)), lambda limit: read_regular(path, limit), origin=name_text(os.fsencode(path))
    )


def attribute(result: SubmissionResult, item: Submission) -> SubmissionResult:
    """Put what the coordinator knows about ``item`` (where it is, who uploaded it, how we know, its
    flags) into the result a worker sent back for it.

    The worker saw only :attr:`~grader.identify.Submission.worker_name`; a
    file that names no one is identified there by its notebook metadata,
    which is flagged here (it is the weakest claim), as is a name that only
    looks like another student's id (``s005 (2).ipynb``).

    Examples
    --------
    >>> from grader.identify import Submission
    >>> from grader.results import SubmissionResult
    >>> item = Submission("s005 (2).ipynb", lambda limit: b"", loose="s005")
    >>> r = SubmissionResult("s005 (2).ipynb", "h", "s001", "notebook metadata", "w1", "graded", 1.0, 2.0)
    >>> print(attribute(r, item).flags[0])  # doctest: +ELLIPSIS
    s005 (2).ipynb looks like a copy of s005's file but the notebook was generated for s001 (its metadata): ...
    """
    flags = list(item.flags)
    changes: dict[str, Any] = {"source": item.source}
    if result.student and result.student.lower() in RESERVED_NAMES:  # an export's name is nobody's id
        result = dataclasses.replace(result, student=None, identified_by="")
    shown = for_terminal(item.source)
    if item.student is not None:
        if result.student in (None, item.student):
            changes.update(student=item.student, identified_by=item.how)
    elif result.identified_by == _METADATA and result.student:
        if item.loose is not None and item.loose == result.student:
            changes["identified_by"] = "file name with a copy suffix, confirmed by the notebook metadata"
        elif item.loose is not None:
            flags.append(
                f"{shown} looks like a copy of {item.loose}'s file but the notebook was generated for "
                f"{result.student} (its metadata): it is graded as {result.student}'s and never replaces "
                f"a grade of {result.student} identified otherwise"
            )
        else:
            flags.append(_only_metadata(item, result.student))
    elif result.student is None and item.loose is not None:
        changes["message"] = (
            f"{result.message} (the name looks like {item.loose}'s, with a copy suffix, but "
            "nothing in the notebook confirms it: hand it in as "
            f"{item.loose}.ipynb)"
        ).lstrip()
    changes["flags"] = tuple(dict.fromkeys(cap(f) for f in [*flags, *result.flags]))
    return dataclasses.replace(result, **changes)


def _only_metadata(item: Submission, student: str) -> str:
    return (
        f"{for_terminal(item.source)} names no student; it was identified as {student}'s only by its "
        "notebook metadata (which a copied notebook carries along)"
    )


def _how_text(result: SubmissionResult, item: Submission) -> str:
    if not result.student:
        return "not identified"
    if item.detail and result.identified_by == item.how:
        return f"{result.identified_by} ({item.detail})"
    return result.identified_by or "?"


_METADATA = "notebook metadata"
#: a submission the grader failed on this many times (same bytes, name, version) is not retried without ``force``
MAX_ATTEMPTS = 3


def _metadata_claim(
    source: str,
    student: str,
    named_here: Mapping[str, str],
    sources_here: set[str],
    gradebook: Gradebook,
    assignment: str,
    summary: BatchSummary,
) -> str | None:
    """Check a file that names ``student`` only in its metadata against the files named for them.

    Returns the flag for its result when a file named for the student (in this
    batch, or the current one in the gradebook) keeps the grade; warns in
    ``summary`` about another batch's file (this batch's own are warned about
    by :func:`_settle_claims`).
    """
    named, earlier = named_here.get(student), False
    standing = gradebook.current(assignment, student=student)
    if named is None and standing and standing[0].identified_by not in WEAK_METHODS:
        named, earlier = standing[0].source, True
    if named is None:
        if standing and standing[0].source != source and standing[0].source not in sources_here:
            summary.warnings.append(
                f"{source} names {student} only in its notebook metadata; it replaces {standing[0].source} "
                f"(graded earlier, also identified only by its metadata) as {student}'s current submission"
            )
        return None
    where = "graded in an earlier batch" if earlier else "in this batch"
    flag = (
        f"{source} names {student} only in its notebook metadata, and {named} is named for {student} "
        f"({where}): {named} keeps {student}'s grade; {source} is recorded but does not count "
        f"(to replace {named}, hand the notebook in as {student}.ipynb)"
    )
    if earlier:
        summary.warnings.append(flag)
    return flag


def _settle_claims(mine: Mapping[str, list[tuple[str, str, int]]], gradebook: Gradebook, summary: BatchSummary) -> None:
    """When several files of one batch are one student's, the one named for the student counts (else the
    last by name), whatever the order they finished in: a file claiming a student only in its metadata
    never replaces the file named ``<student_id>.ipynb`` (nor does it in later batches:
    :meth:`Gradebook.current` prefers rows identified by the file name)."""
    for student, claims in sorted(mine.items()):
        sources = sorted({source for source, _, _ in claims})
        if len(sources) < 2:
            continue
        source, how, row = max(claims, key=lambda c: (c[1] not in WEAK_METHODS, c[0], c[2]))
        gradebook.touch(row)
        why = f" (identified by its {how})" if how not in WEAK_METHODS else ""
        if how == "file name":
            why = " (named for the student)"
        summary.warnings.append(f"{len(sources)} files are {student}'s ({', '.join(sources)}); {source} counts{why}")


@contextlib.contextmanager
def _sandbox_folder() -> Iterator[str]:
    """A folder of this batch's own for every sandbox its workers start, swept when the batch ends
    (even the working folder of a worker killed at a deadline goes)."""
    from .sandbox.cleanup import ROOT_VARIABLE, sweep

    root = tempfile.mkdtemp(prefix="convmath-batch-")
    before = os.environ.get(ROOT_VARIABLE)
    os.environ[ROOT_VARIABLE] = root
    try:
        yield root
    finally:
        if before is None:
            os.environ.pop(ROOT_VARIABLE, None)
        else:
            os.environ[ROOT_VARIABLE] = before
        sweep(root)


def _warm(context: GradingContext) -> None:
    """Import the checking code before forking, so workers start with it loaded (copy-on-write)."""
    try:
        import grader.checks  # noqa: F401

        _ = context.assignment, context.max_score, context.version
    except Exception:  # noqa: BLE001 - a worker will report the same problem per submission
        pass


def _drive(
    executor: Executor,
    queue: deque[tuple[Submission, str]],
    context: GradingContext,
    record: Callable[[SubmissionResult, Submission], None],
) -> None:
    """Feed ``queue`` to ``executor`` and record each submission as soon as it comes back.

    The workers that just finished get their next submission before the results are recorded (one
    transaction each), so they do not wait for the gradebook.
    """
    jobs: dict[int, tuple[Submission, str]] = {}
    tokens = itertools.count()

    def feed() -> None:
        while queue and executor.free() > 0:
            item, digest = queue.popleft()
            try:
                data = item.read(context.max_bytes)
            except SubmissionError as err:
                record(refuse(item.worker_name, digest, str(err), context), item)
                continue
            digest = content_hash(data)  # the bytes graded now, whatever the first pass read
            token = next(tokens)
            jobs[token] = (item, digest)
            executor.submit(token, item.worker_name, data)

    while queue or jobs:
        feed()
        finished = executor.wait(1.0)
        feed()
        for done in finished:
            item, digest = jobs.pop(done.token)
            if done.result is not None:
                try:
                    # the gradebook keys on the bytes the coordinator read, whatever the worker says
                    result = dataclasses.replace(SubmissionResult.from_dict(done.result), content_hash=digest)
                except (TypeError, ValueError, KeyError) as err:
                    done = Finished(done.token, None, f"the grader sent back an unreadable result ({err})")
                else:
                    record(result, item)
                    continue
            failure = refuse(item.worker_name, digest, done.reason, context)
            record(dataclasses.replace(failure, status=done.status), item)  # type: ignore[arg-type]
