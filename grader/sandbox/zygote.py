"""A pre-started process that has imported numpy and forks one child per sandbox.

The zygote is a fresh interpreter (``python -I`` with a scrubbed environment),
never a fork of the grader, so it holds nothing of the grader's memory: no
secret, no keys, no gradebook. It runs no student code itself. It listens on a
``SOCK_SEQPACKET`` socket pair shared only with the grader process that
started it. For each ``spawn`` request (the two pipe ends travel as
``SCM_RIGHTS``) it forks; the child isolates itself and serves the pipes
exactly like a fresh child. The zygote reaps a child only when the grader asks
(``reap``), so a child's pid (and process group id) cannot be reused while the
grader may still signal it. When the grader goes away the zygote kills its
children and exits.

Both halves live here: :func:`main` runs in the zygote (loaded by file, stdlib
only), :class:`ZygoteClient` in the grader.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time

__all__ = ["main", "ZygoteClient"]

_MAX_MESSAGE = 1 << 16


def _kill_group(pid: int) -> None:
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
        except OSError:
            pass


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (a sandbox's own uid), including any that left its group.

    A short-lived helper takes the uid and calls ``kill(-1, SIGKILL)``, which
    reaches exactly the processes that uid may signal. Needs root; a no-op otherwise.
    """
    if os.geteuid() != 0 or uid <= 0:
        return
    helper = os.fork()
    if helper == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def _reap(pid: int, grace: float) -> tuple[int, float]:
    """Wait up to ``grace`` seconds for ``pid`` to end by itself, then kill it; return (status, cpu)."""
    end = time.monotonic() + grace
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage.ru_utime + usage.ru_stime
        if time.monotonic() >= end:
            break
        time.sleep(0.002)
    _kill_group(pid)
    _, status, usage = os.wait4(pid, 0)
    return status, usage.ru_utime + usage.ru_stime


#: True in a zygote that is pid 1 of a PID namespace of its own (so are the sandboxes it forks)
_PID_NAMESPACE = False


def _child(fds: list[int], config: dict, numpy: object) -> None:
    """In the forked process: lead the sandbox's own session and process group, then become the sandbox."""
    from . import worker

    os.setsid()
    worker.child_main(fds[0], fds[1], config, zygote=True, numpy=numpy, pid_namespace=_PID_NAMESPACE)


def _become_namespace_init(sock: socket.socket) -> bool:
    """Move the zygote into a new PID namespace as its pid 1, where the kernel allows it.

    The process the grader started forks the real zygote into the namespace
    and only waits for it (it gives up its end of the socket, so the grader
    still sees the zygote close it); the real zygote dies with it. Every
    sandbox forked afterwards lives in that namespace: it sees no host
    process, and its pid and uid stay its own. No extra process per sandbox.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x20000000) != 0:  # CLONE_NEWPID: needs root (or a user namespace)
        return False
    pid = os.fork()
    if pid:
        sock.close()
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: the grader's process gone, so is this one
    return True


def main(argv: list[str]) -> None:
    """Zygote entry point: ``SOCKET_FD``. Serves until the grader closes the socket.

    Examples
    --------
    The grader starts one zygote per process on first use; a ``"zygote"``
    sandbox is forked from it, with numpy already imported:

    >>> from grader.sandbox import Sandbox
    >>> with Sandbox(mode="zygote") as box:
    ...     box.isolation.zygote, box.run_cell("import sys\\nprint('numpy' in sys.modules)", index=0).stdout
    (True, 'True\\n')
    """
    from . import worker

    sock = socket.socket(fileno=int(argv[0]))
    global _PID_NAMESPACE
    _PID_NAMESPACE = _become_namespace_init(sock)
    numpy = worker.preload()
    children: set[int] = set()
    sock.send(json.dumps({"op": "ready", "pid_namespace": _PID_NAMESPACE}).encode())
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 2)
        except OSError:
            data, fds = b"", []
        if not data:
            break
        request = json.loads(data)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                try:
                    sock.close()
                    _child(fds, request["config"], numpy)
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            sock.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "reap":
            pid = int(request["pid"])
            if pid in children:
                status, cpu = _reap(pid, float(request.get("grace", 0)))
                if request.get("uid"):
                    kill_uid(int(request["uid"]))
                children.discard(pid)
                sock.send(json.dumps({"status": status, "cpu": cpu}).encode())
            else:
                sock.send(b'{"status": null, "cpu": 0}')
    for pid in children:
        _kill_group(pid)
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    os._exit(0)


class ZygoteClient:
    """The grader's end of one zygote (one per grader process, started lazily)."""

    def __init__(self, argv: list[str], env: dict[str, str], *, timeout: float = 30.0) -> None:
        import subprocess
        import threading

        self._lock = threading.Lock()
        self.owner = os.getpid()
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        try:
            self.process = subprocess.Popen(
                [*argv, "zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd="/",
            )
        finally:
            theirs.close()
        try:
            ready = self.sock.recv(_MAX_MESSAGE)
        except OSError as err:
            self.close()
            raise RuntimeError(f"the zygote did not start: {err}") from None
        hello = json.loads(ready or b"{}")
        if hello.get("op") != "ready":
            self.close()
            raise RuntimeError("the zygote did not start")
        #: pids it reports are those of its own PID namespace: never to be signalled from outside
        self.pid_namespace = bool(hello.get("pid_namespace"))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and self.owner == os.getpid()

    def _ask(self, request: dict, fds: list[int] = ()) -> dict:
        with self._lock:
            socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
            reply = self.sock.recv(_MAX_MESSAGE)
        if not reply:
            raise RuntimeError("the zygote closed its socket")
        return json.loads(reply)

    def spawn(self, config: dict, cmd_fd: int, reply_fd: int) -> int:
        """Fork a child that will serve ``cmd_fd``/``reply_fd``; return its pid (= its process group)."""
        return int(self._ask({"op": "spawn", "config": config}, [cmd_fd, reply_fd])["pid"])

    def reap(self, pid: int, grace: float = 0.0, uid: int = 0) -> tuple[int | None, float]:
        """Kill ``pid`` (after ``grace`` seconds) if still running, reap it; return (wait status, cpu s).

        With ``uid``, also kill every process of that uid (see :func:`kill_uid`).
        """
        reply = self._ask({"op": "reap", "pid": pid, "grace": grace, "uid": uid})
        return reply["status"], float(reply["cpu"])

    def close(self) -> None:
        """Stop the zygote: it kills the children it still has and exits."""
        try:
            self.sock.close()
        finally:
            try:
                self.process.wait(timeout=5)
            except Exception:  # noqa: BLE001 - last resort
                self.process.kill()
                self.process.wait()
