"""Bounded work on student data in the grading process: a time limit in-process, or a limited child.

The grader evaluates students' expressions with sympy, which has no bound of
its own: ``ceil(10**(10**t))`` at ``t = 7/3`` asks for hundreds of digits of
a number with a googol of digits, and ``floor(10**256*pi)`` takes a second
each. Two tools bound such work:

- :func:`time_limit`, a wall-clock limit on the current (main) thread: a
  ``SIGALRM`` timer raises :class:`TooCostly` between two Python bytecodes,
  which interrupts sympy (pure Python) at once. Memory stays bounded because
  the parser caps every number it builds (:mod:`grader.expr`). Parsing uses it.
- :func:`run_limited`, a forked child under ``RLIMIT_AS`` and ``RLIMIT_CPU``
  and a wall-clock deadline, killed past it; it returns plain data (JSON)
  only. Evaluations that the fast exact evaluator cannot settle use it.

Off the main thread (a Dask worker runs its tasks in a thread), where no
``SIGALRM`` can be received, :func:`time_limit` arms a watchdog thread that
raises the same exception in the limited thread between two bytecodes
(``PyThreadState_SetAsyncExc``), so parsing is bounded alike on both engines.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from .expr import ExpressionError

__all__ = [
    "TooCostly",
    "time_limit",
    "run_limited",
    "bounded",
    "sympy_value",
    "simplify_unequal",
    "mark_student",
    "from_student",
    "SIMPLIFY_SECONDS",
    "EVAL_SECONDS",
    "EVAL_MEMORY",
    "PARSE_SECONDS",
]

#: wall-clock seconds one limited evaluation may take
EVAL_SECONDS = 2.0
#: wall-clock seconds ``simplify`` may take on one answer
SIMPLIFY_SECONDS = 10.0
#: wall-clock seconds parsing one expression may take (sympy evaluates numbers while building)
PARSE_SECONDS = 2.0
#: bytes of memory one limited evaluation may add to the grading process's address space
EVAL_MEMORY = 256 << 20


class TooCostly(ExpressionError):
    """Work on a student's expression went past its time or memory bound: the answer is wrong, with this reason."""


class _Alarm(BaseException):
    """Raised by the timer of :func:`time_limit`, turned into :class:`TooCostly` where the limit was set."""


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the expression") -> Iterator[bool]:
    """Raise :class:`TooCostly` in the block after ``seconds`` of wall-clock time.

    On the main thread a ``SIGALRM`` timer raises it; on another thread (a Dask
    worker's), a watchdog thread (see :class:`_ThreadTimeLimit`). Yields True
    when the limit is armed, False when another timer is already running on
    the main thread and fires first (it is left alone).

    Examples
    --------
    >>> import time
    >>> with time_limit(0.05):
    ...     while True:
    ...         pass
    Traceback (most recent call last):
    ...
    grader.bounded.TooCostly: the expression took longer than 0.05 s to compute; write it more simply
    """
    message = f"{what} took longer than {seconds:g} s to compute; write it more simply"
    if not _main_thread():
        with _ThreadTimeLimit(seconds, message):
            yield True
        return
    outer, interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer <= seconds:  # an outer timer fires first anyway
        yield False
        return

    armed = [True]

    def alarm(signum: int, frame: Any) -> None:
        if not armed[0] or (frame is not None and frame.f_code is _EXIT_CODE):
            return  # the block is over (its exit or clean-up has begun): raised there, it would escape
        raise _Alarm  # not an Exception: sympy's own ``except ValueError`` cannot swallow it

    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, alarm)
    # fires again every 50 ms until the block ends: code that swallows one alarm gets the next
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield True
    except _Alarm:
        raise TooCostly(message) from None
    finally:
        armed[0] = False
        _restore_alarm(previous, outer, interval, start)


#: The code of the with-statement's exit that :func:`time_limit` runs in (contextlib's).
_EXIT_CODE = contextlib._GeneratorContextManager.__exit__.__code__


def _restore_alarm(previous: Any, outer: float, interval: float, start: float) -> None:
    """Stop the limit's timer and put back the previous handler; an alarm already sent is drained first
    (it would reach the previous handler, and the default one ends the process: "Alarm clock")."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        signal.setitimer(signal.ITIMER_REAL, 0)
        while signal.sigtimedwait({signal.SIGALRM}, 0) is not None:
            pass
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # an outer timer (pytest-timeout, the caller's own): re-armed with what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 0.001), interval)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _raise_in(thread: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in the thread ``thread`` at its next bytecode; ``None`` drops one not raised yet."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None if exc is None else ctypes.py_object(exc))


class _ThreadTimeLimit:
    """:func:`time_limit` off the main thread: a watchdog thread raises :class:`_Alarm` in this thread after
    ``seconds``, then every 50 ms until the block ends; none is raised once the block has ended.

    Examples
    --------
    >>> import threading
    >>> def spin(out):
    ...     try:
    ...         with _ThreadTimeLimit(0.05, "too slow"):
    ...             while True:
    ...                 pass
    ...     except TooCostly as err:
    ...         out.append(str(err))
    >>> out = []
    >>> worker = threading.Thread(target=spin, args=(out,))
    >>> worker.start()
    >>> worker.join(5)
    >>> out
    ['too slow']
    """

    def __init__(self, seconds: float, message: str) -> None:
        self.seconds, self.message = seconds, message
        self._target = threading.get_ident()
        self._lock = threading.Lock()
        self._done = False
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="convmath-time-limit", daemon=True)

    def __enter__(self) -> _ThreadTimeLimit:
        try:
            self._watcher.start()  # waits for the watchdog to run: on a busy machine, maybe past the limit
        except _Alarm:
            self.__exit__(_Alarm, None, None)
        return self

    def _watch(self) -> None:
        wait = self.seconds
        while not self._stop.wait(wait):
            with self._lock:
                if self._done:
                    return
                _raise_in(self._target, _Alarm)
            wait = 0.05

    def _close(self) -> None:
        with self._lock:  # once done is set, the watchdog raises no more alarms
            self._done = True
            _raise_in(self._target, None)  # and drops one it set but this thread has not raised yet
        self._stop.set()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        try:
            self._close()
        except _Alarm:  # the alarm set just before closing, raised here: none can follow it
            self._close()
            kind = _Alarm
        if kind is _Alarm:
            raise TooCostly(self.message) from None


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def run_limited(
    fn: Callable[..., Any],
    *args: Any,
    seconds: float = EVAL_SECONDS,
    memory: int = EVAL_MEMORY,
    what: str = "the expression",
) -> Any:
    """``fn(*args)`` in a forked child limited to ``seconds`` and ``memory`` more bytes; its JSON result.

    ``fn`` must return JSON data. An exception in the child comes back as
    ``ArithmeticError`` with its type and message; going past a bound (or
    dying) raises :class:`TooCostly`. The child inherits everything already
    computed (sympy loaded, caches), so starting it costs one ``fork``.

    Examples
    --------
    >>> run_limited(sum, [1, 2, 3])
    6
    >>> def forever():
    ...     while True:
    ...         pass
    >>> run_limited(forever, seconds=0.2)
    Traceback (most recent call last):
    ...
    grader.bounded.TooCostly: the expression took longer than 0.2 s to compute; write it more simply
    """
    read_fd, write_fd = os.pipe()
    limit = _vm_bytes() + memory
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_fd)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            if limit > memory:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            cpu = int(seconds) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            try:
                out = {"ok": fn(*args)}
            except MemoryError:
                out = {"limit": "memory"}
            except Exception as err:  # noqa: BLE001 - reported to the parent
                out = {"error": f"{type(err).__name__}: {str(err)[:300]}"}
            data = json.dumps(out).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view) :]
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                raise TooCostly(f"{what} took longer than {seconds:g} s to compute; write it more simply")
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    try:
        out = json.loads(b"".join(chunks))
    except ValueError:
        raise TooCostly(f"{what} could not be computed within the grader's limits") from None
    if "ok" in out:
        return out["ok"]
    if "limit" in out:
        raise TooCostly(f"{what} needs more than {memory >> 20} MiB to compute; write it more simply")
    raise ArithmeticError(out["error"])


def bounded(fn: Callable[..., Any], *args: Any, seconds: float = EVAL_SECONDS, what: str = "the expression") -> Any:
    """``fn(*args)`` under a time limit: in-process on the main thread (no copy of the result needed),
    else in a limited child (``fn`` must then return JSON data).

    Examples
    --------
    >>> bounded(max, 2, 3)
    3
    """
    if _main_thread():
        with time_limit(seconds, what):
            return fn(*args)
    return run_limited(fn, *args, seconds=seconds, what=what)


def _plain_value(expr: Any, values: Any) -> list[Any] | None:
    """sympy's value of ``expr`` at ``values`` as plain data: ["r", p, q], ["f", digits] or None (undefined).

    The value is :func:`exercises.domains.value_at`'s, the one rule the generator's
    ``accept()`` uses too; only where it runs (a limited child) is this module's.
    """
    from exercises.domains import value_at

    result = value_at(expr, {getattr(s, "name", s): v for s, v in values.items()})
    if result is None:
        return None
    try:
        if result.is_Rational:
            return ["r", str(result.p), str(result.q)]
        return ["f", str(result)] if result.is_Float else None
    except ValueError:  # an integer too long to write out (Python's 4300-digit limit): no usable value
        return None


def sympy_value(expr: Any, values: Any) -> Any:
    """sympy's value of ``expr`` at ``values`` (a Rational, a 30-digit Float, or None where undefined),
    computed in a limited child when ``expr`` came from a student (:func:`mark_student`): past
    :data:`EVAL_SECONDS` or :data:`EVAL_MEMORY`, :class:`TooCostly`.

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n", positive=True)
    >>> sympy_value(sympy.floor(n / 2), {n: 7}), sympy_value(sympy.log(n - 1), {n: 1})
    (3, None)
    """
    import sympy

    if from_student(expr):
        out = run_limited(_plain_value, expr, values, what="evaluating the expression")
    else:  # the grader's own expressions (keys, misconceptions): no process needed
        out = _plain_value(expr, values)
    if out is None:
        return None
    if out[0] == "r":
        return sympy.Rational(int(out[1]), int(out[2]))
    return sympy.Float(out[1], 30)


def _unequal(diff: Any) -> bool:
    import sympy

    if sympy.expand(diff) == 0:
        return False
    diff = sympy.simplify(diff)
    return bool(diff.is_number and diff != 0)


#: expressions parsed from students' text, most recent last (a bounded set: only recent ones are checked)
_STUDENT: OrderedDict[Any, None] = OrderedDict()
_STUDENT_MAX = 4096


def mark_student(expr: Any) -> Any:
    """Remember that ``expr`` was built from a student's text (its evaluations then run in a limited child);
    return it.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x") + 41
    >>> from_student(x), from_student(mark_student(x))
    (False, True)
    """
    _STUDENT[expr] = None
    _STUDENT.move_to_end(expr)
    while len(_STUDENT) > _STUDENT_MAX:
        _STUDENT.popitem(last=False)
    return expr


def from_student(expr: Any) -> bool:
    """Was ``expr`` built from a student's text (see :func:`mark_student`)?

    Examples
    --------
    >>> import sympy
    >>> from_student(sympy.Integer(7) * sympy.Symbol("never_parsed"))
    False
    """
    try:
        return expr in _STUDENT
    except TypeError:  # unhashable: treat as untrusted
        return True


def simplify_unequal(diff: Any) -> bool:
    """Does sympy (``expand``, then ``simplify``) prove ``diff`` a nonzero constant? In a limited child;
    False when it cannot tell within the bounds.

    Examples
    --------
    >>> import sympy
    >>> n = sympy.Symbol("n")
    >>> simplify_unequal(sympy.sin(n)**2 + sympy.cos(n)**2 - 2), simplify_unequal((n + 1)**2 - n**2 - 2*n - 1)
    (True, False)
    """
    try:  # simplify is slow even on small input (a second on a busy machine): a roomier bound
        return bool(run_limited(_unequal, diff, seconds=SIMPLIFY_SECONDS, what="simplifying the expression"))
    except (TooCostly, ArithmeticError):
        return False
