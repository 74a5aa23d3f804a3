"""The grader's side of a sandbox: start the child, send requests, enforce time.

Examples
--------
>>> with Sandbox(SandboxLimits(cell_timeout=5)) as box:
...     box.run_cell("import numpy as np\\nx = np.arange(3) * 2\\nprint('hi')", index=0).stdout
...     box.get(["x"])["x"].value
...     box.call("divmod", (7, 2)).status
'hi\\n'
array([0, 2, 4])
'error'
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from convmath.errors import ConvMathError

from . import protocol
from .cleanup import remove_tree, sandbox_root
from .limits import CallResult, CellResult, IsolationReport, SandboxLimits, Value
from .source import strip_magics

__all__ = ["Sandbox", "SandboxStartError", "probe_isolation"]

#: The limits of a :class:`Sandbox` made without any (a frozen dataclass: one shared instance is safe).
DEFAULT_LIMITS = SandboxLimits()

_SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__))
_BOOT = (
    "import sys, types, importlib\n"
    "pkg = types.ModuleType('_convmath_sandbox'); pkg.__path__ = [sys.argv[1]]\n"
    "sys.modules['_convmath_sandbox'] = pkg\n"
    "importlib.import_module('_convmath_sandbox.' + sys.argv[2]).main(sys.argv[3:])\n"
)
#: the whole environment of the zygote and of fresh children: nothing of the grader's
_CHILD_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "HOME": "/nonexistent",
}

Mode = Literal["auto", "zygote", "fresh"]


class SandboxStartError(RuntimeError):
    """The sandbox process could not start: a problem of the grader's machine, not of the submission."""


def _argv() -> list[str]:
    return [sys.executable, "-I", "-c", _BOOT, _SANDBOX_DIR]


_zygote_lock = threading.Lock()
_zygote: Any = None


def _get_zygote() -> Any:
    """The zygote of this grader process, started on first use (None if it cannot start)."""
    global _zygote
    from .zygote import ZygoteClient

    with _zygote_lock:
        if _zygote is None or not _zygote.alive:
            _zygote = ZygoteClient(_argv(), dict(_CHILD_ENV))
            atexit.register(_zygote.close)
        return _zygote


def _reject_constant(name: str) -> None:
    raise protocol.ProtocolError(f"non-standard JSON constant {name}")


def _parse(raw: bytes) -> Any:
    if protocol.count_elements(raw) > protocol.MAX_ELEMENTS:  # before json builds millions of objects
        raise protocol.ProtocolError(f"the reply holds more than {protocol.MAX_ELEMENTS} values")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError, MemoryError) as err:
        raise protocol.ProtocolError(f"the reply is not valid JSON ({type(err).__name__})") from None


def _check_str(obj: Any, key: str) -> str:
    value = obj.get(key)
    if type(value) is not str:
        raise protocol.ProtocolError(f"reply field {key!r} is not a string")
    return value


def _describe_exit(status: int | None, cpu: float, limits: SandboxLimits) -> tuple[str, str]:
    """(status, message) for a child that ended on its own."""
    if status is None:
        return "crashed", "the sandbox process disappeared"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu >= limits.cpu_seconds - 0.1:
            return "killed", f"CPU time limit of {limits.cpu_seconds:g} s exceeded"
        if sig == signal.SIGSEGV:
            return "killed", "segmentation fault (native code crashed, maybe memory exhaustion or recursion)"
        return "killed", f"killed by signal {name}"
    code = os.WEXITSTATUS(status)
    return "crashed", f"the sandbox process exited with code {code} (os._exit or a fatal error in the submission)"


class Sandbox:
    """One isolated child process that runs one submission's code.

    Parameters
    ----------
    limits : SandboxLimits
        CPU, memory, file, output and wall-clock limits.
    forbidden_imports : frozenset of str
        Modules (and their submodules) an import hook refuses in the child.
    workdir_files : mapping of str to bytes
        Files written into the fresh working directory before the child starts
        (relative paths, no ``..``).
    read_paths : sequence of str
        Extra files or folders the child may read (Landlock), e.g. a data set.
    mode : {"auto", "zygote", "fresh"}
        "zygote" forks the child from a pre-started interpreter that has already
        imported numpy; "fresh" starts a new interpreter; "auto" uses the zygote
        and falls back to a fresh interpreter if the zygote cannot start.
    disable : frozenset of str
        Protections to skip on purpose, among "namespaces", "uid", "landlock"
        and "seccomp" (to test the degraded paths or measure their cost); they
        are reported in ``isolation.warnings`` like missing ones.

    Raises
    ------
    SandboxStartError
        When the child cannot be started at all (not the submission's fault).

    Notes
    -----
    Every request has a wall-clock deadline, the smaller of its own timeout and
    what is left of ``limits.total_timeout``; when it passes, the whole process
    group is killed with SIGKILL and the sandbox is dead: later requests return
    "crashed" at once. Replies are validated before use; an invalid one also
    kills the sandbox. See ``SECURITY.md`` for what the isolation covers.
    """

    def __init__(
        self,
        limits: SandboxLimits = DEFAULT_LIMITS,
        *,
        forbidden_imports: frozenset[str] = frozenset(),
        workdir_files: Mapping[str, bytes] = {},
        read_paths: Sequence[str] = (),
        mode: Mode = "auto",
        disable: frozenset[str] = frozenset(),
    ) -> None:
        if not isinstance(limits, SandboxLimits):
            raise ConvMathError(f"limits={limits!r} must be a SandboxLimits")
        if mode not in ("auto", "zygote", "fresh"):
            raise ConvMathError(f"mode={mode!r} is not allowed; use 'auto', 'zygote' or 'fresh'")
        unknown = set(disable) - {"namespaces", "uid", "landlock", "seccomp"}
        if unknown:
            raise ConvMathError(f"disable={sorted(unknown)} is not allowed; use namespaces, uid, landlock, seccomp")
        self.limits = limits
        self.leftover: str | None = None
        self._closed = False
        self._dead: str | None = None
        self._pid: int | None = None
        self._zygote: Any = None
        self._popen: Any = None
        self._next_id = 0
        self._workdir = tempfile.mkdtemp(prefix="convmath-sandbox-", dir=sandbox_root())
        try:
            self._write_files(workdir_files)
            self._start(sorted(forbidden_imports), [os.path.abspath(p) for p in read_paths], mode, sorted(disable))
        except BaseException:
            self.close()
            raise

    # --- start and stop -----------------------------------------------------------
    def _write_files(self, files: Mapping[str, bytes]) -> None:
        for name, data in files.items():
            parts = name.replace("\\", "/").split("/")
            if os.path.isabs(name) or ".." in parts or not all(parts):
                raise ConvMathError(f"workdir_files key {name!r} must be a relative path without '..'")
            if not isinstance(data, bytes):
                raise ConvMathError(f"workdir_files[{name!r}] must be bytes, not {type(data).__name__}")
            path = os.path.join(self._workdir, *parts)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)

    def _start(self, forbidden: list[str], read_paths: list[str], mode: Mode, disable: list[str]) -> None:
        config = {
            "workdir": self._workdir,
            "limits": self.limits.to_config(),
            "forbidden_imports": forbidden,
            "read_paths": read_paths,
            "disable": disable,
        }
        cmd_r, self._cmd_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        try:
            if mode != "fresh":
                try:
                    self._zygote = _get_zygote()
                    self._pid = self._zygote.spawn(config, cmd_r, reply_w)
                except (OSError, RuntimeError, ValueError) as err:
                    self._zygote = None
                    if mode == "zygote":
                        raise SandboxStartError(f"the zygote could not fork a sandbox: {err}") from None
            if self._pid is None:
                import subprocess

                self._popen = subprocess.Popen(
                    [*_argv(), "worker", str(cmd_r), str(reply_w), json.dumps(config)],
                    pass_fds=(cmd_r, reply_w),
                    env=dict(_CHILD_ENV),
                    cwd=self._workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
                self._pid = self._popen.pid
        finally:
            os.close(cmd_r)
            os.close(reply_w)
        os.set_blocking(self._cmd_w, False)
        os.set_blocking(self._reply_r, False)
        try:
            raw = protocol.read_frame(self._reply_r, 1 << 20, time.monotonic() + self.limits.startup_timeout)
            hello = _parse(raw)
            if type(hello) is not dict or hello.get("op") != "hello" or type(hello.get("isolation")) is not dict:
                raise protocol.ProtocolError(f"unexpected start-up message: {str(hello)[:300]}")
        except protocol.ProtocolError as err:
            self._kill()
            raise SandboxStartError(f"the sandbox did not start: {err}") from None
        self.isolation = IsolationReport.from_data(hello["isolation"])
        host_pid = hello.get("pid")
        self._host_pid = host_pid if type(host_pid) is int and host_pid > 0 else self._pid
        self._deadline = time.monotonic() + self.limits.total_timeout

    @property
    def alive(self) -> bool:
        """True while the child runs and can take requests."""
        return self._dead is None and not self._closed

    @property
    def workdir(self) -> str:
        """The child's working directory (deleted by :meth:`close`)."""
        return self._workdir

    @property
    def pid(self) -> int | None:
        """The child's pid as this process sees it (None once it is reaped).

        A zygote's child lives in the zygote's PID namespace; the zygote signals
        and reaps it by its pid there, never this process."""
        return None if self._pid is None else getattr(self, "_host_pid", self._pid)

    def _kill(self, grace: float = 0.0) -> tuple[int | None, float]:
        """Kill the child's process group (after ``grace`` s) and reap it; return (status, cpu)."""
        if self._pid is None:
            return None, 0.0
        pid, self._pid = self._pid, None
        # without seccomp, forked processes may have left the process group: kill the whole uid
        report = getattr(self, "isolation", None)
        uid = report.uid if report is not None and report.dropped_uid and not report.seccomp else 0
        if self._zygote is not None:
            try:
                return self._zygote.reap(pid, grace, uid)
            except (OSError, RuntimeError, ValueError):
                # the zygote died: in its PID namespace every child died with it; else the orphaned
                # child is reaped by init: kill it directly
                if getattr(self._zygote, "pid_namespace", False):
                    return None, 0.0
                for kill, target in ((os.killpg, pid), (os.kill, pid)):
                    try:
                        kill(target, signal.SIGKILL)
                    except OSError:
                        pass
                return None, 0.0
        end = time.monotonic() + grace
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done or time.monotonic() >= end:
                break
            time.sleep(0.002)
        if not done:
            for kill, target in ((os.killpg, pid), (os.kill, pid)):
                try:
                    kill(target, signal.SIGKILL)
                except OSError:
                    pass
            _, status, usage = os.wait4(pid, 0)
        self._popen.returncode = status  # reaped here; keep Popen from waiting again
        if uid:
            from .zygote import kill_uid

            kill_uid(uid)
        return status, usage.ru_utime + usage.ru_stime

    def close(self) -> None:
        """Kill the whole process group, reap it and delete the working directory. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._kill()
        for fd in ("_cmd_w", "_reply_r"):
            if hasattr(self, fd):
                try:
                    os.close(getattr(self, fd))
                except OSError:
                    pass
        if not remove_tree(self._workdir):
            self.leftover = self._workdir  # the batch's sweep removes it with its root

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # --- requests ------------------------------------------------------------------
    def _request(self, message: dict, timeout: float, what: str) -> tuple[str, Any]:
        """Send one request; return ("ok", reply) or (failure status, message)."""
        if self._closed:
            return "crashed", "the sandbox is closed"
        if self._dead is not None:
            return "crashed", f"the sandbox is no longer running ({self._dead})"
        now = time.monotonic()
        deadline = min(now + timeout, self._deadline)
        by_total = self._deadline <= now + timeout
        self._next_id += 1
        message["id"] = self._next_id
        # a random nonce echoed by the worker: frames written ahead of time by
        # student code (it can find the pipe) cannot answer a future request
        message["nonce"] = nonce = secrets.token_hex(8)
        try:
            protocol.write_frame(self._cmd_w, json.dumps(message).encode(), deadline)
            reply = _parse(protocol.read_frame(self._reply_r, self.limits.max_message_bytes, deadline))
            if (
                type(reply) is not dict
                or type(reply.get("id")) is not int
                or reply["id"] != self._next_id
                or reply.get("nonce") != nonce
            ):
                raise protocol.ProtocolError("the reply does not answer the request")
            return "ok", reply
        except protocol.FrameTimeout:
            self._kill()
            if by_total:
                status, text = "timeout", f"the submission used all of its {self.limits.total_timeout:g} s"
            else:
                status, text = "timeout", f"{what} ran longer than {timeout:g} s and was stopped"
        except protocol.FrameEOF:
            status, text = _describe_exit(*self._kill(grace=0.5), self.limits)
        except protocol.ProtocolError as err:
            self._kill()
            status, text = "crashed", f"invalid reply from the sandbox: {err}"
        self._dead = text
        return status, text

    def run_cell(self, source: str, *, index: int, timeout: float | None = None) -> CellResult:
        """Run one code cell; magics and shell escapes are skipped with a note.

        Returns a :class:`CellResult`; an exception in the cell is status "error"
        with its type, message and ``(cell N, line L)``. ``timeout`` replaces
        ``limits.cell_timeout`` for this cell.
        """
        start = time.monotonic()
        prepared = strip_magics(source)
        notes = "; ".join(prepared.notes)
        if prepared.code is None:
            return CellResult(index, "skipped", notes or "empty cell", duration=0.0)
        status, reply = self._request(
            {"op": "cell", "code": prepared.code, "index": int(index)},
            self.limits.cell_timeout if timeout is None else timeout,
            f"cell {index}",
        )
        duration = time.monotonic() - start
        if status != "ok":
            return CellResult(index, status, _join(reply, notes), duration=duration)
        try:
            cell_status = _check_str(reply, "status")
            if cell_status not in ("ok", "error"):
                raise protocol.ProtocolError(f"unknown cell status {cell_status[:20]!r}")
            result = CellResult(
                index,
                cell_status,
                _join(_check_str(reply, "message"), notes),
                _check_str(reply, "stdout"),
                _check_str(reply, "stderr"),
                duration,
            )
        except protocol.ProtocolError as err:
            return CellResult(index, "crashed", self._invalid(err), duration=duration)
        return result

    def get(self, names: Sequence[str], *, timeout: float | None = None) -> dict[str, Value]:
        """Read variables of the notebook's namespace as plain data.

        A function is reported with status "function" and its signature; an
        object that is not plain data with "unserializable" and the reason.
        """
        names = [str(name) for name in names]
        status, reply = self._request(
            {"op": "get", "names": names}, self.limits.cell_timeout if timeout is None else timeout, "reading answers"
        )
        if status != "ok":
            return {name: Value("missing", None, reply) for name in names}
        try:
            items = reply.get("values")
            if type(items) is not list or len(items) != len(names):
                raise protocol.ProtocolError("the reply has the wrong number of values")
            values = {}
            for name, item in zip(names, items):
                if type(item) is not dict or set(item) != {"status", "value", "message"}:
                    raise protocol.ProtocolError("malformed value")
                kind = _check_str(item, "status")
                if kind not in ("ok", "missing", "unserializable", "function"):
                    raise protocol.ProtocolError(f"unknown value status {kind[:20]!r}")
                value = protocol.decode(item["value"]) if kind == "ok" else None
                values[name] = Value(kind, value, _check_str(item, "message"))
        except (protocol.ProtocolError, RecursionError) as err:
            message = self._invalid(err)
            return {name: Value("missing", None, message) for name in names}
        return values

    def call(self, name: str, args: tuple, kwargs: dict | None = None, *, timeout: float = 5.0) -> CallResult:
        """Call the notebook's function ``name`` with plain-data arguments.

        Arrays in ``args`` travel as dtype + shape + bytes. After a timeout or a
        crash the sandbox is dead and later calls return "crashed" at once.
        """
        encoder = protocol.Encoder(_numpy(), max_bytes=self.limits.max_message_bytes)
        try:
            wire_args = json.loads(encoder.encode(tuple(args)))
            wire_kwargs = json.loads(encoder.encode(dict(kwargs or {})))
        except protocol.Unserializable as err:
            raise ConvMathError(f"args of {name} cannot be sent to the sandbox: {err}") from None
        status, reply = self._request(
            {"op": "call", "name": str(name), "args": wire_args, "kwargs": wire_kwargs}, timeout, f"{name}()"
        )
        if status != "ok":
            return CallResult(status, None, reply)
        try:
            call_status = _check_str(reply, "status")
            if call_status not in ("ok", "error"):
                raise protocol.ProtocolError(f"unknown call status {call_status[:20]!r}")
            value = protocol.decode(reply.get("value")) if call_status == "ok" else None
            return CallResult(call_status, value, _check_str(reply, "message"), _check_str(reply, "stdout"))
        except (protocol.ProtocolError, RecursionError) as err:
            return CallResult("crashed", None, self._invalid(err))

    def _invalid(self, err: BaseException) -> str:
        self._kill()
        self._dead = f"invalid reply from the sandbox: {err}"
        return self._dead


def _join(message: str, notes: str) -> str:
    return "; ".join(part for part in (message, notes) if part)


def _numpy() -> Any:
    import numpy

    return numpy


def probe_isolation(mode: Mode = "auto") -> IsolationReport:
    """Start a sandbox, return what isolation it achieved, and close it.

    Examples
    --------
    What is achieved depends on the kernel and the user (each missing
    protection is one warning); a ``"fresh"`` sandbox is never a zygote's child:

    >>> report = probe_isolation(mode="fresh")
    >>> report.zygote, isinstance(report.warnings, tuple)
    (False, True)
    """
    with Sandbox(mode=mode) as box:
        return box.isolation


def close_zygote() -> None:
    """Stop this process's zygote, if one was started (a worker process that is closing calls this).

    Examples
    --------
    >>> close_zygote()  # nothing started or already stopped: nothing to do
    >>> with Sandbox(mode="zygote") as box:
    ...     box.isolation.zygote
    True
    >>> close_zygote()
    """
    global _zygote
    with _zygote_lock:
        zygote, _zygote = _zygote, None
    if zygote is not None and zygote.alive:
        zygote.close()
