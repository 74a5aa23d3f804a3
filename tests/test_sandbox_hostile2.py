"""The second wave of sandbox attacks (issue 11): IPC, inotify, capabilities, disk, cleanup.

Each case runs a cell a determined student would write and asserts that the
attack fails with a reason, that the grader's time stays bounded, and that
nothing is left behind: no System V IPC object (``/proc/sysvipc``), no
folder, no process of the sandbox's uid.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader.sandbox import Sandbox, SandboxLimits, remove_tree, sandbox_root
from grader.sandbox.cleanup import ROOT_VARIABLE
from tests.test_sandbox_hostile import _sandbox_processes, bounded

LIMITS = SandboxLimits(
    cpu_seconds=8, cell_timeout=6, total_timeout=30, memory_bytes=512 << 20, disk_bytes=32 << 20, disk_files=2000
)
ROOT = os.geteuid() == 0
SLACK = 4.0


def _ipc_objects() -> dict[str, list[str]]:
    out = {}
    for kind in ("shm", "msg", "sem"):
        try:
            out[kind] = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            out[kind] = []
    return out


def _run(cells: list[str], limits: SandboxLimits = LIMITS, **kwargs):
    box = Sandbox(limits, **kwargs)
    try:
        results = [box.run_cell(cell, index=i) for i, cell in enumerate(cells)]
    finally:
        box.close()
    assert not os.path.exists(box.workdir), "the working folder was left behind"
    if box.isolation.dropped_uid:
        assert _sandbox_processes(box.isolation.uid) == [], "a process of the sandbox survived close()"
    return results, box.isolation


_SYSCALL = (
    "import ctypes, errno\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "def call(nr, *args):\n"
    "    r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])\n"
    "    return r, errno.errorcode.get(ctypes.get_errno(), '?') if r < 0 else ''\n"
)

IPC_CALLS = {
    "shmget": "call(29, 0x4242, 1 << 30, 0o1666 | 0o1000)",  # IPC_CREAT, 1 GiB
    "msgget": "call(68, 0x4243, 0o1666 | 0o1000)",
    "semget": "call(64, 0x4244, 4, 0o1666 | 0o1000)",
    "mq_open": "call(240, ctypes.addressof(ctypes.create_string_buffer(b'note')), 0o100 | 2, 0o666, 0)",
    "inotify_init1": "call(294, 0)",
    "inotify_init": "call(253)",
    "fanotify_init": "call(300, 0, 0)",
}


@pytest.mark.parametrize("name", list(IPC_CALLS))
def test_ipc_and_watch_calls_are_refused(name):
    before = _ipc_objects()
    with bounded(LIMITS.cell_timeout + SLACK):
        results, isolation = _run([_SYSCALL + f"print({IPC_CALLS[name]})"])
    assert results[0].status == "ok", results[0]
    assert isolation.seccomp
    assert results[0].stdout.strip() == "(-1, 'EPERM')"
    assert _ipc_objects() == before


def test_inotify_through_python_fails_and_names_nothing(tmp_path):
    """The grader's folder next door: watching it must fail, not list other students' names."""
    subs = tmp_path / "subs"
    subs.mkdir()
    cell = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = libc.inotify_init()\n"
        f"w = libc.inotify_add_watch(fd, {str(subs).encode()!r}, 0xfff) if fd >= 0 else -1\n"
        "print(fd, w, ctypes.get_errno())"
    )
    (results, _) = _run([cell])
    fd, watch, _ = results[0].stdout.split()
    assert (fd, watch) == ("-1", "-1")


@pytest.mark.skipif(not ROOT, reason="an IPC namespace of its own needs root (or a user namespace)")
def test_ipc_objects_die_with_the_sandbox_and_are_not_shared():
    """Even with seccomp off, shared memory and message queues live in the sandbox's own IPC namespace."""
    before = _ipc_objects()
    off = frozenset({"seccomp"})
    writer = _SYSCALL + (
        "q = libc.msgget(0x4245, 0o1666 | 0o1000)\n"
        "class Msg(ctypes.Structure):\n    _fields_ = [('t', ctypes.c_long), ('text', ctypes.c_char * 32)]\n"
        "m = Msg(1, b'the answer is 42')\n"
        "print(q, libc.msgsnd(q, ctypes.byref(m), 32, 0), libc.shmget(0x4246, 64 << 20, 0o1666 | 0o1000) >= 0)"
    )
    results, isolation = _run([writer], disable=off)
    assert isolation.ipc_namespace
    assert results[0].stdout.split()[1:] == ["0", "True"], results[0]
    reader = _SYSCALL + "print(libc.msgget(0x4245, 0o666), libc.shmget(0x4246, 0, 0o666))"
    results, _ = _run([reader], disable=off)
    assert results[0].stdout.split() == ["-1", "-1"], "a later sandbox found an earlier one's IPC objects"
    assert _ipc_objects() == before


@pytest.mark.skipif(not ROOT, reason="the capability-keeping path exists only when the grader runs as root")
@pytest.mark.parametrize("mode", ["zygote", "fresh"])
def test_the_child_keeps_no_capability(mode):
    # Landlock off so that the cell may read /proc/self/status; capabilities do not depend on it
    results, isolation = _run(["print(open('/proc/self/status').read())"], mode=mode, disable=frozenset({"landlock"}))
    status = dict(line.split(":\t", 1) for line in results[0].stdout.splitlines() if ":\t" in line)
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[key], 16) == 0, f"{key} = {status[key]}"
    assert isolation.dropped_uid and isolation.capabilities == ()
    _, full = _run(["pass"], mode=mode)
    assert full.capabilities == () and not any("CAP_" in w for w in full.warnings)


@pytest.mark.skipif(not ROOT, reason="folders other users cannot search matter when the grader runs as root")
def test_paths_outside_cannot_even_be_stated(tmp_path):
    """A 0700 folder of the grader's (pytest's tmp folder is one): stat and listing both fail."""
    secret = tmp_path / "gradebook-folder"
    secret.mkdir()
    (secret / "s002.ipynb").write_text("{}")
    os.chmod(tmp_path, 0o700)
    cell = (
        f"import os\nfor p in ({str(secret)!r}, {str(secret / 's002.ipynb')!r}, '/root/.bashrc'):\n"
        "    try:\n        os.stat(p); print('seen', p)\n    except OSError as e:\n        print(e.errno)"
    )
    results, _ = _run([cell])
    assert "seen" not in results[0].stdout, results[0].stdout


@pytest.mark.skipif(not ROOT, reason="a private tmpfs needs a mount namespace")
def test_the_working_folder_is_a_bounded_private_tmpfs():
    cells = [
        "data = b'x' * (1 << 20)\nfor i in range(64):\n    open(f'f{i}', 'wb').write(data)",
        "import os\nfor i in range(5000):\n    open(f'e{i}', 'w').close()",
    ]
    with bounded(2 * LIMITS.cell_timeout + SLACK):
        results, isolation = _run(cells)
    assert isolation.private_workdir and isolation.mount_namespace
    assert (isolation.disk_bytes, isolation.disk_files) == (32 << 20, 2000)
    assert results[0].status == "error" and "No space left on device" in results[0].message
    assert results[1].status == "error" and "No space left on device" in results[1].message


CLEANUP_ATTACKS = {
    "deep-chain": "import os\nfor _ in range(1600):\n    os.mkdir('d'); os.chdir('d')\nopen('f', 'w').write('x')",
    "deep-chain-mode-000": (
        "import os\nfor i in range(1600):\n    os.mkdir('d'); os.chdir('d')\n"
        "    if i % 200 == 0:\n        os.chmod('.', 0o300)\n"
        "os.chdir('..'); os.chmod('d', 0)"
    ),
    "many-files": "import os\nos.mkdir('m'); os.chmod('m', 0o700)\n"
    "for i in range(1500):\n    open(f'm/{i}', 'w').close()\n"
    "os.chmod('m', 0)",
    "symlink-out": "import os\nos.symlink('/etc', 'etc')\nos.symlink('/', 'root')\nos.mkdir('x')\nos.chmod('x', 0)",
}


@pytest.mark.parametrize("name", list(CLEANUP_ATTACKS))
@pytest.mark.parametrize("disable", [frozenset(), frozenset({"namespaces"})], ids=["tmpfs", "host-folder"])
def test_cleanup_cannot_be_defeated(name, disable):
    """With and without the private tmpfs (host-folder: the files land in the grader's temporary folder)."""
    with bounded(LIMITS.cell_timeout + SLACK + 5):
        results, _ = _run([CLEANUP_ATTACKS[name]], disable=disable)
    assert results[0].status in ("ok", "error"), results[0]
    assert os.path.exists("/etc/passwd")


def test_a_sandbox_killed_at_its_deadline_leaves_nothing():
    cell = "for i in range(300):\n    open(f'f{i}', 'w').write('x' * 1000)\nwhile True:\n    pass"
    limits = SandboxLimits(cell_timeout=1, total_timeout=10, disk_bytes=32 << 20)
    with bounded(1 + SLACK):
        results, _ = _run([cell], limits, disable=frozenset({"namespaces"}))
    assert results[0].status == "timeout"


def test_sandboxes_use_the_batch_folder_and_a_sweep_removes_it(tmp_path, monkeypatch):
    root = tmp_path / "batch"
    root.mkdir()
    monkeypatch.setenv(ROOT_VARIABLE, str(root))
    assert sandbox_root() == str(root)
    box = Sandbox(LIMITS, disable=frozenset({"namespaces"}))
    box.run_cell("import os\nos.makedirs('a/b/c')\nos.chmod('a', 0)", index=0)
    assert os.path.dirname(box.workdir) == str(root)
    os.kill(box.pid, 9)  # as if its grading worker were killed before close()
    assert remove_tree(str(root)) and not root.exists()
    box.close()


def test_remove_tree_deep_unreadable_and_linked(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    top = tmp_path / "top"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for i in range(2000):
        os.mkdir("d", dir_fd=fd)
        if i % 500 == 0:
            os.symlink(str(outside), "link", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        if i % 700 == 0:
            os.chmod(fd, 0)
        os.close(fd)
        fd = inner
    for i in range(200):
        os.close(os.open(f"f{i}", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)
    start = time.monotonic()
    assert remove_tree(str(top))
    assert time.monotonic() - start < 30  # linear: about 2 ms a folder on a loaded machine's overlay
    assert not top.exists()
    assert (outside / "keep.txt").read_text() == "keep"
    assert remove_tree(str(top))  # already gone: nothing to do


@pytest.mark.skipif(not ROOT, reason="a PID namespace of its own needs root (or a user namespace)")
def test_a_zygote_sandbox_has_its_own_pid_namespace():
    cell = (
        "import os, signal\nprint(os.getpid(), os.getppid())\n"
        "for target in (1, -1, os.getppid()):\n"
        "    try:\n        os.kill(target, signal.SIGKILL)\n    except OSError as e:\n        print(e.errno)"
    )
    box = Sandbox(LIMITS, mode="zygote")
    try:
        results = [box.run_cell(c, index=i) for i, c in enumerate([cell, "import os\nos.abort()"])]
    finally:
        box.close()
    assert box.isolation.pid_namespace
    pid, ppid, *errors = results[0].stdout.split()
    assert int(pid) != box.pid and ppid == "1"  # its own numbering; pid 1 is the zygote
    assert errors == ["1", "1", "1"], results[0]  # EPERM each time
    assert (results[1].status, results[1].message) == ("killed", "killed by signal SIGABRT")
    _, fresh = _run(["pass"], mode="fresh")
    assert not fresh.pid_namespace and any("no PID namespace" in w for w in fresh.warnings)


LIBSECCOMP_PROBE = """
import ctypes, errno, os, socket, subprocess, sys, threading
from grader.sandbox.isolation import seccomp_with_libseccomp
os.setsid()
assert seccomp_with_libseccomp(os.getpid())
libc = ctypes.CDLL(None, use_errno=True)
def err(call):
    try:
        r = call()
    except OSError as e:
        return errno.errorcode[e.errno]
    return errno.errorcode.get(ctypes.get_errno(), "?") if r == -1 else "ok"
out = [err(os.fork), err(lambda: libc.shmget(7, 4096, 0o1666)), err(lambda: libc.msgget(7, 0o1666)),
       err(lambda: libc.inotify_init()), err(lambda: socket.socket()), err(lambda: os.kill(1, 0)),
       err(lambda: os.kill(os.getpid(), 0)), err(lambda: os.kill(0, 0))]
t = threading.Thread(target=lambda: None); t.start(); t.join()
print(" ".join(out), "threads-ok")
"""


def test_the_libseccomp_filter_refuses_what_the_built_in_one_does():
    """The filter other architectures get, loaded here by name through the system's libseccomp."""
    import subprocess
    import sys

    if not any(
        os.path.exists(f"{d}/libseccomp.so.2")
        for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")
    ):
        pytest.skip("libseccomp.so.2 is not installed on this machine")
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", LIBSECCOMP_PROBE],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        timeout=60,
    )
    assert done.stdout.split() == ["EPERM"] * 6 + ["ok", "EPERM", "threads-ok"], done.stdout + done.stderr
