"""Resource limits of a sandbox and the result types it returns.

Everything here lives in the grader (the parent). The child never imports this
module: it receives the limits as plain data in its start-up configuration.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from convmath.errors import ConvMathError

__all__ = ["SandboxLimits", "IsolationReport", "CellResult", "Value", "CallResult"]

CellStatus = Literal["ok", "error", "timeout", "skipped", "killed", "crashed"]
ValueStatus = Literal["ok", "missing", "unserializable", "function"]
CallStatus = Literal["ok", "error", "timeout", "killed", "crashed"]


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandbox (one submission).

    Examples
    --------
    >>> SandboxLimits(cell_timeout=2).cell_timeout
    2
    >>> SandboxLimits(memory_bytes=0)
    Traceback (most recent call last):
    ...
    convmath.errors.ConvMathError: memory_bytes=0 must be a positive integer
    """

    cpu_seconds: float = 10
    """CPU time of the whole child process (RLIMIT_CPU); SIGKILL one second later."""
    cell_timeout: float = 10
    """Wall-clock seconds one cell may run before the process group is killed."""
    total_timeout: float = 60
    """Wall-clock seconds for everything one submission does (cells, gets, calls)."""
    memory_bytes: int = 1 << 30
    """Address space of the child (RLIMIT_AS); allocations beyond it raise MemoryError."""
    file_size_bytes: int = 16 << 20
    """Largest file the child may write (RLIMIT_FSIZE)."""
    open_files: int = 64
    """Most file descriptors the child may hold open (RLIMIT_NOFILE)."""
    max_output_bytes: int = 64 << 10
    """stdout and stderr kept per cell or call; the rest is dropped with a note."""
    max_message_bytes: int = 64 << 20
    """Largest reply the parent accepts from the child; larger ones kill the sandbox."""
    startup_timeout: float = 30
    """Wall-clock seconds the child may take to start and report its isolation."""
    max_threads: int = 16
    """Tasks (threads) the child may run at once when it runs as its own user (RLIMIT_NPROC)."""
    disk_bytes: int = 64 << 20
    """Total bytes of everything the child writes in its working folder (a private tmpfs of this size
    where a mount namespace is available; see ``IsolationReport.private_workdir``)."""
    disk_files: int = 10_000
    """Total files and folders the child may create in its working folder (the tmpfs's inodes)."""

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "cell_timeout", "total_timeout", "startup_timeout"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (math.isfinite(value) and value > 0)
            ):
                raise ConvMathError(f"{name}={value!r} must be a positive number of seconds")
        for name in (
            "memory_bytes",
            "file_size_bytes",
            "open_files",
            "max_output_bytes",
            "max_message_bytes",
            "max_threads",
            "disk_bytes",
            "disk_files",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConvMathError(f"{name}={value!r} must be a positive integer")
        if self.open_files < 16:
            raise ConvMathError(f"open_files={self.open_files} must be at least 16 (Python needs a few)")

    def to_config(self) -> dict[str, Any]:
        """The limits as plain data, for the child's start-up configuration."""
        return asdict(self)


@dataclass(frozen=True)
class IsolationReport:
    """What isolation the kernel granted to a sandbox, measured in the child."""

    landlock_abi: int = 0
    """Landlock ABI version the kernel reports (0: Landlock unavailable)."""
    landlock: bool = False
    """True if a Landlock ruleset restricts the child's files (and TCP when abi >= 4)."""
    landlock_net: bool = False
    """True if Landlock denies every TCP bind and connect (abi >= 4)."""
    landlock_scoped: bool = False
    """True if Landlock keeps signals and abstract unix sockets inside the sandbox (abi >= 6)."""
    user_namespace: bool = False
    """True if the child runs in its own user namespace."""
    net_namespace: bool = False
    """True if the child runs in its own (empty) network namespace."""
    uid: int = -1
    """The uid the child runs student code as (-1: unknown)."""
    dropped_uid: bool = False
    """True if the child switched from root to an unprivileged uid of its own."""
    no_new_privs: bool = False
    """True if PR_SET_NO_NEW_PRIVS is set (no setuid binaries, required by seccomp)."""
    seccomp: bool = False
    """True if a seccomp filter refuses new processes, exec and other escapes."""
    zygote: bool = False
    """True if the child was forked from the pre-started zygote (numpy already loaded)."""
    ipc_namespace: bool = False
    """True if the child has its own System V IPC namespace (its objects die with it, it sees no other)."""
    mount_namespace: bool = False
    """True if the child has its own mount namespace."""
    pid_namespace: bool = False
    """True if the child runs in a PID namespace of its own (zygote sandboxes: it is pid 2 there)."""
    private_workdir: bool = False
    """True if the working folder is a private tmpfs bounded to ``disk_bytes`` and ``disk_files``,
    which disappears with the child."""
    disk_bytes: int = 0
    """Size of the private working folder in bytes (0: not bounded in total)."""
    disk_files: int = 0
    """Most files and folders in the private working folder (0: not bounded)."""
    exposed: tuple[str, ...] = ()
    """Folders others cannot search (e.g. ``/root``) replaced, in the child's mount namespace only, by a
    read-only view holding just the Python installation, so the child needs no capability to read it."""
    capabilities: tuple[str, ...] = ()
    """Capabilities the child still holds (effective, permitted, inheritable or ambient); empty is the goal."""
    warnings: tuple[str, ...] = ()
    """Plain-words description of every protection that could not be applied."""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> IsolationReport:
        """Build a report from the child's hello message (fields already validated)."""
        kwargs = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        for key in ("warnings", "exposed", "capabilities"):
            kwargs[key] = tuple(str(item) for item in kwargs.get(key, ()))
        return cls(**kwargs)


@dataclass(frozen=True)
class CellResult:
    """Outcome of running one notebook cell in the sandbox."""

    index: int
    """Index of the cell in the notebook, as given to :meth:`Sandbox.run_cell`."""
    status: CellStatus
    """"ok", "error" (exception), "timeout" (wall clock), "skipped" (magic or empty),
    "killed" (signal or resource limit) or "crashed" (the sandbox died or misbehaved)."""
    message: str = ""
    """Exception type, message and line, or why the cell was skipped or killed."""
    stdout: str = ""
    """What the cell printed, truncated to ``max_output_bytes``."""
    stderr: str = ""
    """What the cell wrote to stderr, truncated to ``max_output_bytes``."""
    duration: float = 0.0
    """Wall-clock seconds, measured by the parent."""


@dataclass(frozen=True)
class Value:
    """One variable read from the sandbox by :meth:`Sandbox.get`."""

    status: ValueStatus
    """"ok", "missing" (not defined), "unserializable" (not plain data) or "function"."""
    value: Any = None
    """The decoded value when status is "ok", else None."""
    message: str = ""
    """Why the value is missing or unserializable; the signature for a function."""


@dataclass(frozen=True)
class CallResult:
    """Outcome of calling a student function inside the sandbox."""

    status: CallStatus
    """"ok", "error" (exception or unserializable return value), "timeout",
    "killed" or "crashed"."""
    value: Any = None
    """The decoded return value when status is "ok", else None."""
    message: str = ""
    """Exception type, message and line, or what went wrong."""
    stdout: str = field(default="", repr=False)
    """What the call printed, truncated to ``max_output_bytes``."""
