"""The sandbox child: isolates itself, then runs cells and answers requests.

Loaded by file in a fresh interpreter (``python -I``) or in the zygote, never
through the grader package. The loop reads one command frame, runs it and
writes one reply frame; student output goes to in-memory buffers, never to the
protocol pipe. Every reference the loop needs (the encoder, ``os.write``, the
pipe descriptors, a snapshot of the builtins) is captured before student code
runs.
"""

from __future__ import annotations

import builtins as _builtins_module

__builtins__ = dict(vars(_builtins_module))  # private snapshot, see protocol.py

import io  # noqa: E402
import json  # noqa: E402
import json.scanner  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402

from . import protocol  # noqa: E402
from .isolation import apply_isolation, module_paths  # noqa: E402

__all__ = ["main", "child_main", "preload"]

# the C scanner with a decoder built now: parsing a command runs no Python-level
# stdlib code, so patched builtins (isinstance, len) cannot break the loop
_scan = json.scanner.c_make_scanner(json.JSONDecoder()) if json.scanner.c_make_scanner else None


def _loads(raw: bytes) -> object:
    text = raw.decode("utf-8")
    if _scan is None:  # pragma: no cover - CPython always has the C scanner
        return json.loads(text)
    value, end = _scan(text, 0)
    if end != len(text):
        raise protocol.ProtocolError("trailing data after a command")
    return value


_escape = protocol.escape_ascii
_write_frame = protocol.write_frame
_read_frame = protocol.read_frame
_FunctionType = types.FunctionType
_BuiltinFunctionType = types.BuiltinFunctionType
_MethodType = types.MethodType
_TracebackType = types.TracebackType
_exit = os._exit
_type_name = protocol.type_name
_setrecursionlimit = sys.setrecursionlimit
_getrecursionlimit = sys.getrecursionlimit

#: environment of student code: nothing inherited
_ENV_KEEP = {
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PATH": "/usr/bin:/bin",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
}


def preload() -> object:
    """Import what every submission needs (numpy); return the numpy module.

    Examples
    --------
    The zygote calls it once, so forked sandboxes start with numpy imported:

    >>> preload().__name__
    'numpy'
    """
    import numpy

    return numpy


class _Capture(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._dropped = 0
        self._limit = limit

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self._size >= self._limit and type(s) is str:  # fast path once full: count, keep nothing
            self._dropped += len(s)
            return len(s)
        if type(s) is not str:
            raise TypeError(f"write() argument must be str, not {_type_name(type(s))}")
        n = len(s)
        room = self._limit - self._size
        if room > 0:
            self._parts.append(s[:room])
            self._size += min(n, room)
        if n > room:
            self._dropped += n - max(room, 0)
        return n

    def text(self) -> str:
        text = "".join(self._parts)
        if self._dropped:
            text += f"\n[... {self._dropped} more characters dropped]"
        return text


class _ForbiddenFinder:
    """A meta-path finder that refuses the exercise's forbidden modules."""

    def __init__(self, forbidden: list[str]) -> None:
        self.forbidden = tuple(forbidden)

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        for name in self.forbidden:
            if fullname == name or fullname.startswith(name + "."):
                raise ImportError(f"import of {fullname} is not allowed in this exercise", name=fullname)
        return None


class _Worker:
    def __init__(self, cmd_fd: int, reply_fd: int, config: dict, numpy: object) -> None:
        self.cmd_fd = cmd_fd
        self.reply_fd = reply_fd
        self.limits = config["limits"]
        self.encoder = protocol.Encoder(numpy, max_bytes=self.limits["max_message_bytes"] - 4096)
        self.namespace: dict = {"__name__": "__main__", "__builtins__": _builtins_module}
        self.max_output = self.limits["max_output_bytes"]

    # --- framing ---------------------------------------------------------------
    def send(self, fields: list[tuple[str, str]]) -> None:
        body = "{" + ",".join(_escape(key) + ":" + value for key, value in fields) + "}"
        _write_frame(self.reply_fd, body.encode("utf-8", "surrogatepass"))

    def serve(self) -> None:
        while True:
            try:
                raw = _read_frame(self.cmd_fd, 1 << 40)
            except protocol.ProtocolError:
                _exit(0)  # the grader closed the pipe: leave without atexit or finalizers
            msg = _loads(raw)
            op = msg["op"]
            if op == "cell":
                reply = self.run_cell(msg["code"], msg["index"])
            elif op == "get":
                reply = self.get(msg["names"])
            elif op == "call":
                reply = self.call(msg["name"], protocol.decode(msg["args"]), protocol.decode(msg["kwargs"]))
            else:
                reply = [("status", '"error"'), ("message", _escape(f"unknown op {op!r}"))]
            self.send([("id", str(int(msg["id"]))), ("nonce", _escape(str(msg["nonce"])))] + reply)

    # --- running student code ------------------------------------------------------
    def _prepare(self) -> tuple[_Capture, _Capture]:
        out, err = _Capture(self.max_output), _Capture(self.max_output)
        sys.stdout, sys.stderr = out, err
        if _getrecursionlimit() < 200:
            _setrecursionlimit(1000)
        return out, err

    def _describe_exception(self, exc: BaseException) -> str:
        name = protocol.short_name(_type_name(type(exc)))
        try:
            text = str(exc)
            if type(text) is not str:
                text = ""
        except BaseException:  # noqa: BLE001 - a student exception whose __str__ fails
            text = "<the exception could not be printed>"
        if name == "SystemExit":
            text = f"the notebook called sys.exit({text}); a notebook must not exit"
        elif name == "KeyboardInterrupt":
            text = "raised by the notebook (nobody pressed Ctrl-C)"
        elif name == "MemoryError":
            text = f"memory limit of {self.limits['memory_bytes'] >> 20} MiB exceeded"
        where = ""
        tb = exc.__traceback__
        while type(tb) is _TracebackType:
            filename = tb.tb_frame.f_code.co_filename
            if type(filename) is str and filename.startswith("<cell "):
                where = f" ({filename[1:-1]}, line {tb.tb_lineno})"
            tb = tb.tb_next
        message = f"{name}: {text}" if text else name
        if len(message) > 2000:
            message = message[:2000] + "… (truncated)"
        return message + where

    def run_cell(self, code: str, index: int) -> list[tuple[str, str]]:
        out, err = self._prepare()
        filename = f"<cell {int(index)}>"
        status, message = "ok", ""
        try:
            compiled = compile(code, filename, "exec", dont_inherit=True)
        except SyntaxError as exc:
            status = "error"
            message = f"{_type_name(type(exc))}: {exc.msg} ({filename[1:-1]}, line {exc.lineno})"
        except (ValueError, MemoryError, RecursionError) as exc:
            status, message = "error", self._describe_exception(exc)
        else:
            try:
                exec(compiled, self.namespace)
            except BaseException as exc:  # noqa: BLE001 - every student exception is a result
                status, message = "error", self._describe_exception(exc)
        return [
            ("status", _escape(status)),
            ("message", _escape(message)),
            ("stdout", _escape(out.text())),
            ("stderr", _escape(err.text())),
        ]

    def _value(self, value: object) -> tuple[str, str, str]:
        t = type(value)
        if t is _FunctionType:
            code = value.__code__
            params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            return "function", "null", protocol.short_name(f"{value.__name__}({', '.join(params)})", 1000)
        if t is _BuiltinFunctionType or t is _MethodType:
            return "function", "null", "a built-in function or method"
        try:
            return "ok", self.encoder.encode(value), ""
        except protocol.Unserializable as exc:
            return "unserializable", "null", exc.args[0]
        except RecursionError:
            return "unserializable", "null", "the value is nested too deeply"

    def get(self, names: list[str]) -> list[tuple[str, str]]:
        self._prepare()
        items = []
        for name in names:
            if name in self.namespace:  # a str key: only str.__eq__ and str.__hash__ run
                status, wire, message = self._value(self.namespace[name])
            else:
                status, wire, message = "missing", "null", f"{name} is not defined"
            items.append('{"status":' + _escape(status) + ',"value":' + wire + ',"message":' + _escape(message) + "}")
        return [("values", "[" + ",".join(items) + "]")]

    def call(self, name: str, args: object, kwargs: object) -> list[tuple[str, str]]:
        out, _ = self._prepare()
        status, wire, message = "ok", "null", ""
        if name not in self.namespace:
            status, message = "error", f"{name} is not defined"
        elif not callable(self.namespace[name]):
            kind = protocol.short_name(_type_name(type(self.namespace[name])))
            status, message = "error", f"{name} is a {kind}, not a function"
        else:
            try:
                result = self.namespace[name](*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001
                status, message = "error", self._describe_exception(exc)
            else:
                kind, wire, why = self._value(result)
                if kind != "ok":
                    status, wire, message = "error", "null", f"the return value cannot be sent back: {why or kind}"
        return [
            ("status", _escape(status)),
            ("value", wire),
            ("message", _escape(message)),
            ("stdout", _escape(out.text())),
        ]


def child_main(
    cmd_fd: int, reply_fd: int, config: dict, *, zygote: bool, numpy: object = None, pid_namespace: bool = False
) -> None:
    """Set up the child, isolate it, greet the parent and serve until the pipe closes.

    Examples
    --------
    It replaces the calling process's environment, descriptors and
    privileges, so it only runs in a sandbox child. There, student code sees
    only a fixed environment and ``sys.argv == ["notebook"]``:

    >>> from grader.sandbox import Sandbox
    >>> with Sandbox() as box:
    ...     print(box.run_cell("import os, sys\\nprint(sorted(os.environ), sys.argv)", index=0).stdout, end="")
    ['HOME', 'LANG', 'LC_ALL', 'MKL_NUM_THREADS', 'MPLBACKEND', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'PATH',
     'PYTHONHASHSEED', 'TMPDIR'] ['notebook']
    """
    try:
        null = os.open(os.devnull, os.O_RDWR)  # (a zygote's child already leads its session and group)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        keep = sorted({cmd_fd, reply_fd})
        os.closerange(3, keep[0])
        os.closerange(keep[0] + 1, keep[1])
        os.closerange(keep[1] + 1, 1 << 16)
        workdir = config["workdir"]
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(_ENV_KEEP, HOME=workdir, TMPDIR=workdir)
        if numpy is None:
            numpy = preload()
        else:
            numpy.random.seed()  # forked children must not share the zygote's random state
        protocol.use_numpy(numpy)
        forbidden = config.get("forbidden_imports", [])
        report = apply_isolation(
            workdir,
            config["limits"],
            extra_read_paths=config.get("read_paths", []),
            disable=frozenset(config.get("disable", ())),
            deny_read_paths=module_paths(forbidden, sys.path) if forbidden else [],
            pid_namespace=pid_namespace,
        )
        report["zygote"] = zygote
        worker = _Worker(cmd_fd, reply_fd, config, numpy)
        if forbidden:
            for name in list(sys.modules):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    del sys.modules[name]
            sys.meta_path.insert(0, _ForbiddenFinder(forbidden))
        sys.path[:] = [p for p in sys.path if p]
        sys.path.insert(0, workdir)
        sys.argv = ["notebook"]
        host_pid = report.pop("host_pid", os.getpid())
        worker.send([("op", '"hello"'), ("isolation", json.dumps(report)), ("pid", str(int(host_pid)))])
    except BaseException as exc:  # noqa: BLE001 - tell the parent why start-up failed
        try:
            text = f"{type(exc).__name__}: {exc}"
            protocol.write_frame(reply_fd, ('{"op":"failed","message":' + _escape(text) + "}").encode())
        finally:
            _exit(70)
    try:
        worker.serve()
    finally:
        _exit(0)


def main(argv: list[str]) -> None:
    """Entry point of a fresh child: ``CMD_FD REPLY_FD CONFIG_JSON``.

    Examples
    --------
    A ``"fresh"`` :class:`~grader.sandbox.Sandbox` starts a new interpreter
    that runs this with the two pipe ends and the configuration; its
    greeting says it was not forked from the zygote:

    >>> from grader.sandbox import Sandbox
    >>> with Sandbox(mode="fresh") as box:
    ...     box.isolation.zygote, box.run_cell("print(6 * 7)", index=0).stdout
    (False, '42\\n')
    """
    child_main(int(argv[0]), int(argv[1]), json.loads(argv[2]), zygote=False)
