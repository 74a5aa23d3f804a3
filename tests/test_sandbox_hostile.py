"""The process-level part of the adversarial corpus (issue 7) against grader.sandbox.

Every case asserts three things: the outcome (status and a clear message), that
the grader's wall time stayed bounded, and that no file outside the sandbox's
working directory changed (the ``course`` fixture snapshots a folder that
stands for the course secret, keys and gradebook, and is checked after each
case). Notebook-level cases (broken files, tampered metadata, grades) are in
the grader's own tests.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import Sandbox, SandboxLimits
from grader.sandbox.isolation import UID_BASE

SECRET = "course-secret-7f3a9c"
LIMITS = SandboxLimits(cpu_seconds=4, cell_timeout=1.5, total_timeout=15, memory_bytes=512 << 20)
#: the grader's own overhead allowed on top of the limits (start-up, kill, reap, clean-up)
SLACK = 2.0


@dataclass
class Course:
    folder: Path
    secret: Path
    gradebook: Path


def _snapshot(root: Path) -> dict[str, tuple]:
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        found[str(path.relative_to(root))] = (info.st_mode, info.st_uid, info.st_size, info.st_mtime_ns, digest)
    return found


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A folder outside any sandbox holding a secret and a gradebook; must not change."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET)
    (folder / "gradebook.db").write_bytes(b"SQLite format 3\x00" + SECRET.encode())
    monkeypatch.setenv("CONVMATH_COURSE_SECRET", SECRET)
    before = _snapshot(tmp_path)
    yield Course(folder, folder / "secret.txt", folder / "gradebook.db")
    assert _snapshot(tmp_path) == before, "a file outside the sandbox changed"


@contextmanager
def bounded(seconds: float):
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"the grader took {elapsed:.2f} s, more than {seconds} s"


def _sandbox_processes(uid: int, settle: float = 1.0) -> list[int]:
    """Pids of live (non-zombie) processes still running as the sandbox's uid.

    SIGKILL is delivered asynchronously, and orphans are reaped by init, so
    this waits up to ``settle`` seconds for the list to empty.
    """
    end = time.monotonic() + settle
    while True:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid != uid:
                        continue
                    state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                except (OSError, IndexError):
                    continue
                if state not in ("Z", "X"):
                    pids.append(int(entry))
        if not pids or time.monotonic() > end:
            return pids
        time.sleep(0.02)


def run_cells(cells: list[str], limits: SandboxLimits = LIMITS, **kwargs):
    """Run ``cells`` in a fresh sandbox, close it; return (results, isolation)."""
    box = Sandbox(limits, **kwargs)
    try:
        results = [box.run_cell(cell, index=i) for i, cell in enumerate(cells)]
    finally:
        box.close()
    if box.isolation.dropped_uid:
        assert _sandbox_processes(box.isolation.uid) == [], "a process of the sandbox survived close()"
    return results, box.isolation


def _no_leak(*texts: object) -> None:
    for text in texts:
        assert SECRET not in repr(text), "the secret reached the grader"


# --- 1. the process: loops, memory, processes, threads, output, recursion, exits, signals --------

CPU_LIMITS = SandboxLimits(cpu_seconds=1, cell_timeout=8, total_timeout=10)

PROCESS_CASES = [
    ("loop", ["while True:\n    pass"], "timeout", r"^cell 0 ran longer than 1\.5 s and was stopped$"),
    (
        "loop-swallowing-keyboardinterrupt",
        ["import time\nwhile True:\n    try:\n        time.sleep(5)\n    except KeyboardInterrupt:\n        pass"],
        "timeout",
        r"ran longer than 1\.5 s",
    ),
    (
        "sigterm-ignored",
        [
            "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
            "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass"
        ],
        "timeout",
        r"ran longer than 1\.5 s",
    ),
    ("memory-bomb-at-once", ["x = bytearray(8 << 30)"], "error", r"^MemoryError: memory limit of 512 MiB exceeded"),
    (
        "memory-bomb-gradual",
        ["chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))"],
        "error",
        r"^MemoryError: memory limit of 512 MiB exceeded \(cell 0, line 3\)",
    ),
    ("memory-bomb-numpy", ["import numpy as np\nx = np.ones((1 << 20, 1 << 20))"], "error", r"^(numpy.*)?MemoryError"),
    (
        "fork-bomb",
        ["import os\nwhile True:\n    os.fork()"],
        "error",
        r"^PermissionError: .*Operation not permitted \(cell 0, line 3\)",
    ),
    ("subprocess", ["import subprocess\nsubprocess.run(['sleep', '100'])"], "error", r"^PermissionError"),
    (
        "multiprocessing",
        ["import multiprocessing, time\np = multiprocessing.Process(target=time.sleep, args=(100,))\np.start()"],
        "error",
        r"PermissionError|OSError",
    ),
    ("os-system", ["import os\nassert os.system('sleep 100') != 0"], "ok", r"^$"),
    (
        "deep-recursion",
        ["def f(n):\n    return f(n + 1)\nf(0)"],
        "error",
        r"^RecursionError: maximum recursion depth exceeded \(cell 0, line 2\)$",
    ),
    (
        "deep-recursion-limit-raised",
        [
            "import sys, json\nsys.setrecursionlimit(10 ** 8)\nx = []\n"
            "for _ in range(10 ** 5):\n    x = [x]\njson.dumps(x)"
        ],
        "killed",
        r"segmentation fault",
    ),
    ("os-_exit", ["import os\nos._exit(0)"], "crashed", r"^the sandbox process exited with code 0"),
    (
        "sys-exit",
        ["import sys\nsys.exit(3)"],
        "error",
        r"^SystemExit: the notebook called sys.exit\(3\); a notebook must not exit",
    ),
    ("raise-systemexit", ["raise SystemExit"], "error", r"^SystemExit"),
    (
        "raise-keyboardinterrupt",
        ["raise KeyboardInterrupt"],
        "error",
        r"^KeyboardInterrupt: raised by the notebook \(nobody pressed Ctrl-C\)",
    ),
    ("exit-caught", ["import sys\ntry:\n    sys.exit(1)\nexcept SystemExit:\n    x = 1"], "ok", r"^$"),
    ("abort", ["import os\nos.abort()"], "killed", r"^killed by signal SIGABRT$"),
    ("segfault", ["import ctypes\nctypes.string_at(0)"], "killed", r"^segmentation fault"),
    ("kill-own-group", ["import os, signal\nos.killpg(os.getpgid(0), signal.SIGKILL)"], "killed", r"SIGKILL"),
    ("kill-everyone", ["import os, signal\nos.kill(-1, signal.SIGKILL)"], "error", r"^PermissionError"),
    ("leave-process-group", ["import os\nos.setsid()"], "error", r"^PermissionError"),
]


@pytest.mark.parametrize("mode", ["zygote", "fresh"])
def test_fork_bomb_without_seccomp_is_stopped_by_the_uid_limit_and_killed(course, mode):
    """Degraded isolation: RLIMIT_NPROC on the sandbox's own uid; close() kills the uid, even escaped children."""
    cell = (
        "import os, time\nwhile True:\n    if os.fork() == 0:\n"
        "        os.setsid()  # leave the process group\n        time.sleep(100)"
    )
    with bounded(LIMITS.cell_timeout + SLACK):
        results, report = run_cells([cell], disable=frozenset({"seccomp"}), mode=mode)
    if not report.dropped_uid:
        pytest.skip("no uid of its own: RLIMIT_NPROC does not apply to root")
    assert results[0].status == "error" and results[0].message.startswith("BlockingIOError"), results[0]


@pytest.mark.parametrize("cells, status, message", [c[1:] for c in PROCESS_CASES], ids=[c[0] for c in PROCESS_CASES])
def test_process_attack(course, cells, status, message):
    with bounded(LIMITS.cell_timeout * len(cells) + SLACK):
        results, _ = run_cells(cells)
    assert results[-1].status == status, results[-1]
    assert re.search(message, results[-1].message), results[-1].message


def test_cpu_limit_kills_a_child_that_ignores_sigxcpu(course):
    cell = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass"
    with bounded(CPU_LIMITS.cell_timeout + SLACK):  # 2 s of CPU; more wall time on a busy machine
        results, _ = run_cells([cell], CPU_LIMITS)
    assert (results[0].status, results[0].message) == ("killed", "CPU time limit of 1 s exceeded")


def test_kill_the_grader_is_refused(course):
    cell = f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)"
    with bounded(SLACK):
        results, _ = run_cells([cell])
    assert results[0].status == "error" and results[0].message.startswith("PermissionError")


@pytest.mark.parametrize(
    "cells",
    [
        [
            "import threading, time\nfor _ in range(4):\n"
            "    threading.Thread(target=time.sleep, args=(1000,)).start()\nx = 1"
        ],
        ["import threading\ndef spin():\n    while True:\n        pass\nthreading.Thread(target=spin).start()\nx = 1"],
    ],
    ids=["sleeping-threads", "spinning-thread"],
)
def test_threads_that_never_end(course, cells):
    with bounded(SLACK + 1):
        box = Sandbox(LIMITS)
        try:
            assert box.run_cell(cells[0], index=0).status == "ok"
            assert box.get(["x"])["x"].value == 1  # the sandbox still answers
        finally:
            box.close()


def test_loop_in_called_function(course):
    with bounded(0.5 + SLACK):
        with Sandbox(LIMITS) as box:
            box.run_cell("def f(x):\n    while True:\n        pass", index=0)
            result = box.call("f", (1,), timeout=0.5)
            assert (result.status, result.message) == ("timeout", "f() ran longer than 0.5 s and was stopped")
            assert box.call("f", (1,)).status == "crashed"


def test_loop_in_del(course):
    cells = ["class A:\n    def __del__(self):\n        while True:\n            pass\na = A()", "a = None"]
    with bounded(2 * LIMITS.cell_timeout + SLACK):
        results, _ = run_cells(cells)
    assert [r.status for r in results] == ["ok", "timeout"]


@pytest.mark.parametrize(
    "cell",
    [
        "import atexit\ndef forever():\n    while True:\n        pass\natexit.register(forever)",
        "class A:\n    def __del__(self):\n        while True:\n            pass\nkeep = A()",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)",
    ],
    ids=["atexit", "del-at-exit", "sigterm-ignored"],
)
def test_close_is_bounded_whatever_the_exit_handlers(course, cell):
    box = Sandbox(LIMITS)
    assert box.run_cell(cell, index=0).status == "ok"
    with bounded(0.5):
        box.close()


@pytest.mark.parametrize(
    "cell",
    [
        "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * (1 << 20))",
        "for i in range(100000):\n    print(i, 'y' * 100)",
        "import os\nfor _ in range(2000):\n    os.write(1, b'z' * (1 << 20))",
        "import sys\nprint('e' * (100 << 20), file=sys.stderr)",
    ],
    ids=["200MB-stdout", "100k-prints", "2GB-raw-fd", "100MB-stderr"],
)
def test_gigabytes_of_output_are_dropped(course, cell):
    with bounded(LIMITS.cell_timeout + SLACK):
        results, _ = run_cells([cell])
    result = results[0]
    assert result.status == "ok", result
    limit = LIMITS.max_output_bytes + 100
    assert len(result.stdout) < limit and len(result.stderr) < limit
    assert "more characters dropped" in result.stdout + result.stderr or "os.write" in cell


# --- 2. patching what checking might use ---------------------------------------------------

PATCHES = """
import numpy as np, json, builtins, sys, math, os, struct
answer = np.arange(3.0)
def area(n):
    return n * n
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.ndarray_backup = np.ndarray
math.isclose = lambda *a, **k: True
json.dumps = lambda *a, **k: '{"id": 1, "status": "ok"}'
json.loads = lambda *a, **k: {"op": "call", "name": "area"}
struct.Struct = None
os.write = lambda *a: 0
builtins.isinstance = lambda *a: True
builtins.len = lambda x: 0
builtins.type = lambda *a: int
builtins.repr = builtins.str = lambda x: "fake"
sys.modules["numpy"] = None
sys.modules["json"] = None
sys.stdout = sys.stderr = None
"""


def test_patching_the_child_changes_nothing_the_grader_receives(course):
    with bounded(SLACK):
        with Sandbox(LIMITS) as box:
            result = box.run_cell(PATCHES, index=0)
            assert result.status == "ok", result
            got = box.get(["answer"])["answer"]
            np.testing.assert_array_equal(got.value, np.arange(3.0))
            assert got.value.dtype == np.float64
            called = box.call("area", (7,))
            assert (called.status, called.value) == ("ok", 7 * 7)
            array_call = box.call("area", (np.full(2, 3, dtype=np.int16),))
            assert array_call.value.dtype == np.int16 and array_call.value.tolist() == [9, 9]
    # the grader's own numpy is untouched
    assert not np.allclose(np.zeros(3), np.ones(3)) and not np.array_equal([1], [2])


def test_replacing_modules_in_sys_modules(course):
    cells = [
        "import sys, types\nfake = types.ModuleType('numpy')\nfake.ndarray = list\nsys.modules['numpy'] = fake\n"
        "sys.modules['grader'] = fake\nimport numpy\nanswer = numpy.ndarray([1, 2])"
    ]
    with Sandbox(LIMITS) as box:
        assert box.run_cell(cells[0], index=0).status == "ok"
        assert box.get(["answer"])["answer"].value == [1, 2]  # a plain list, sent as one


# --- 3. answers that lie ------------------------------------------------------------------------

EVIL = """
import numpy as np
touched = []
class Meta(type):
    def __getattribute__(cls, name):
        touched.append('meta.' + name)
        return type.__getattribute__(cls, name)
class Evil(metaclass=Meta):
    def __eq__(self, other): touched.append('eq'); return True
    def __ne__(self, other): touched.append('ne'); return False
    def __hash__(self): touched.append('hash'); return 0
    def __len__(self): touched.append('len'); return 3
    def __iter__(self): touched.append('iter'); return iter([1, 2, 3])
    def __getitem__(self, i): touched.append('getitem'); return 1
    def __array__(self, *a, **k): touched.append('array'); return np.zeros(3)
    def __float__(self): touched.append('float'); return 1.0
    def __index__(self): touched.append('index'); return 1
    def __int__(self): touched.append('int'); return 1
    def __bool__(self): touched.append('bool'); return True
    def __repr__(self): touched.append('repr'); return '110592'
    def __str__(self): touched.append('str'); return '110592'
    def __reduce__(self): touched.append('reduce'); return (int, (1,))
    def __getattr__(self, name): touched.append('getattr.' + name); raise AttributeError(name)
class EvilInt(int):
    def __eq__(self, other): touched.append('int.eq'); return True
    __hash__ = int.__hash__
class EvilFloat(float):
    def __repr__(self): touched.append('float.repr'); return '1.0'
class EvilStr(str):
    def __str__(self): touched.append('str.str'); return 'x'
class EvilArray(np.ndarray):
    def tobytes(self, *a, **k): touched.append('tobytes'); return b''
    def __array_finalize__(self, obj): pass
"""

LIES = [
    ("eq-hash-len-array", "Evil()", "unserializable", "a Evil object is not plain data"),
    ("inside-list", "[1, Evil()]", "unserializable", "a Evil object is not plain data"),
    ("as-dict-key", "{Evil(): 1}", "unserializable", "a Evil object is not plain data"),
    ("int-subclass", "EvilInt(110592)", "unserializable", "(a subclass of int) is not plain data; use a plain int"),
    ("float-subclass", "EvilFloat(1.0)", "unserializable", "(a subclass of float)"),
    ("str-subclass", "EvilStr('x')", "unserializable", "(a subclass of str)"),
    ("numpy-subclass", "np.zeros(3).view(EvilArray)", "unserializable", "numpy subclass __main__.EvilArray"),
    ("masked-array", "np.ma.masked_array([1, 2], mask=[0, 1])", "unserializable", "numpy subclass numpy.ma"),
    ("object-array", "np.array([Evil(), 1], dtype=object)", "unserializable", "dtype |O"),
    ("datetime-array", "np.array(['2024-01-01'], dtype='datetime64[D]')", "unserializable", "not numeric"),
    ("structured-array", "np.zeros(2, dtype=[('a', 'i4'), ('b', 'f8')])", "unserializable", "not numeric"),
    ("bytes", "b'110592'", "unserializable", "a bytes object is not plain data"),
    ("self-containing-list", "(lambda l: (l.append(l), l)[1])([])", "unserializable", "nested deeper than 64 levels"),
    (
        "deeply-nested",
        "(lambda: [x := [], [x := [x] for _ in range(10 ** 5)]][-1][-1])()",
        "unserializable",
        "nested deeper than 64 levels",
    ),
    ("huge-array", "np.zeros(1 << 21)", "unserializable", "is larger than the limit"),
    ("generator", "(i for i in range(3))", "unserializable", "a generator object is not plain data"),
]


@pytest.mark.parametrize("expr, status, message", [c[1:] for c in LIES], ids=[c[0] for c in LIES])
def test_lying_answers_are_refused_untouched(course, expr, status, message):
    limits = SandboxLimits(cell_timeout=1.5, total_timeout=15, max_message_bytes=8 << 20)
    with bounded(SLACK), Sandbox(limits) as box:
        result = box.run_cell(EVIL + f"answer = {expr}\ntouched.clear()", index=0)
        assert result.status == "ok", result
        got = box.get(["answer", "touched"])
        assert (got["answer"].status, got["answer"].value) == (status, None)
        assert message in got["answer"].message, got["answer"].message
        assert got["touched"].value == [], "the grader made student code run"
        box.run_cell(f"def give():\n    value = {expr}\n    touched.clear()\n    return value", index=1)
        called = box.call("give", ())
        assert called.status == "error" and called.message.startswith("the return value cannot be sent back")
        assert box.get(["touched"])["touched"].value == []


def test_nan_and_infinities_arrive_as_such(course):
    with Sandbox(LIMITS) as box:
        box.run_cell("import numpy as np\nanswer = [float('nan'), float('inf'), np.array([np.nan, -np.inf])]", index=0)
        value = box.get(["answer"])["answer"].value
    assert np.isnan(value[0]) and value[1] == float("inf")
    assert np.isnan(value[2][0]) and value[2][1] == -np.inf and value[2].dtype == np.float64


# --- 4. reaching for the answer -----------------------------------------------------------------

READS = [
    ("secret-file", "open({secret!r}).read()"),
    ("gradebook", "open({gradebook!r}, 'rb').read()"),
    ("list-course-folder", "os.listdir({folder!r})"),
    ("os-open", "os.read(os.open({secret!r}, os.O_RDONLY), 100)"),
    ("symlink-to-secret", "os.symlink({secret!r}, 'ln') or open('ln').read()"),
    ("hardlink-to-secret", "os.link({secret!r}, 'hl') or open('hl').read()"),
    ("rename-into-workdir", "os.rename({secret!r}, 'stolen.txt') or open('stolen.txt').read()"),
    ("proc-root", "open('/proc/self/root' + {secret!r}).read()"),
    ("parent-environ", "open('/proc/{parent}/environ', 'rb').read()"),
    ("parent-cmdline", "open('/proc/{parent}/cmdline', 'rb').read()"),
    ("parent-mem", "open('/proc/{parent}/mem', 'rb').read(10)"),
    ("walk-proc", "[open(f'/proc/{{p}}/environ', 'rb').read() for p in os.listdir('/proc') if p.isdigit()]"),
    ("init-environ", "open('/proc/1/environ', 'rb').read()"),
    ("etc-shadow", "open('/etc/shadow').read()"),
    ("grader-source", "open({grader_file!r}).read()"),
    ("home", "os.listdir(os.path.expanduser('~root'))"),
]


def _aim(attempt: str, course, **extra: str) -> str:
    """Fill an attack template with the paths of the grader's own files."""
    return attempt.format(
        secret=str(course.secret),
        gradebook=str(course.gradebook),
        folder=str(course.folder),
        parent=os.getpid(),
        **extra,
    )


@pytest.mark.parametrize("attempt", [c[1] for c in READS], ids=[c[0] for c in READS])
def test_reading_outside_the_workdir_is_refused(course, attempt):
    import grader.sandbox.client as client_module

    expr = _aim(attempt, course, grader_file=client_module.__file__)
    with bounded(SLACK):
        results, _ = run_cells([f"import os\nloot = {expr}"])
    assert results[0].status == "error", results[0]
    assert re.match(r"(PermissionError|FileNotFoundError|OSError)", results[0].message), results[0].message
    _no_leak(results)


@pytest.mark.parametrize("mode", ["zygote", "fresh"])
def test_environment_is_scrubbed(course, mode):
    with Sandbox(LIMITS, mode=mode) as box:
        box.run_cell("import os\nenv = dict(os.environ)", index=0)
        env = box.get(["env"])["env"].value
    _no_leak(env)
    assert set(env) <= {
        "LANG",
        "LC_ALL",
        "PATH",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "PYTHONHASHSEED",
        "MPLBACKEND",
        "HOME",
        "TMPDIR",
    }
    assert env["HOME"] == env["TMPDIR"]


WRITES = [
    ("create-file", "open({folder!r} + '/evil.txt', 'w').write('x')"),
    ("overwrite-gradebook", "open({gradebook!r}, 'wb').write(b'0')"),
    ("append-secret", "open({secret!r}, 'a').write('x')"),
    ("truncate-secret", "os.truncate({secret!r}, 0)"),
    ("remove-secret", "os.remove({secret!r})"),
    ("chmod-secret", "os.chmod({secret!r}, 0o777)"),
    ("touch-secret", "os.utime({secret!r}, (0, 0))"),
    ("mkdir", "os.mkdir({folder!r} + '/d')"),
    ("symlink-out", "os.symlink({folder!r} + '/new.txt', 'out') or open('out', 'w').write('x')"),
    ("tmp", "open('/tmp/convmath-evil-{parent}', 'w').write('x')"),
    ("dev-shm", "open('/dev/shm/convmath-evil-{parent}', 'w').write('x')"),
    ("workdir-parent", "open('../convmath-evil-{parent}', 'w').write('x')"),
]


@pytest.mark.parametrize("attempt", [c[1] for c in WRITES], ids=[c[0] for c in WRITES])
def test_writing_outside_the_workdir_is_refused(course, attempt):
    expr = _aim(attempt, course)
    with bounded(SLACK):
        results, _ = run_cells([f"import os\n{expr}"])
    assert results[0].status == "error", results[0]
    assert re.match(r"(PermissionError|FileNotFoundError|OSError)", results[0].message), results[0].message
    for leftover in (f"/tmp/convmath-evil-{os.getpid()}", f"/dev/shm/convmath-evil-{os.getpid()}"):
        assert not os.path.exists(leftover)


def test_writing_inside_the_workdir_works_within_the_file_size_limit(course):
    limits = SandboxLimits(cell_timeout=1.5, file_size_bytes=1 << 20)
    cells = ["open('small.bin', 'wb').write(b'x' * 1000)", "open('big.bin', 'wb').write(b'x' * (2 << 20))"]
    results, _ = run_cells(cells, limits)
    assert results[0].status == "ok"
    assert results[1].status == "error" and "File too large" in results[1].message


def test_network_is_unreachable(course):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    cells = [
        f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)",
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "import socket\ns = socket.socket(socket.AF_UNIX)",
    ]
    try:
        with bounded(SLACK * 2):
            results, _ = run_cells(cells)
    finally:
        thread.join()
        server.close()
    assert [r.status for r in results] == ["error"] * 3
    assert all(r.message.startswith("PermissionError") for r in results), results
    assert accepted == []


# --- 5. fake protocol messages -------------------------------------------------------------------

FAKE_FRAME = (
    "import json, struct\n"
    "def frame(obj):\n"
    "    body = json.dumps(obj).encode()\n"
    "    return struct.pack('>I', len(body)) + body\n"
    "fakes = b''.join(frame({'id': i, 'nonce': '0' * 16, 'status': 'ok', 'message': '', 'stdout': '', 'stderr': '',\n"
    "                        'values': [{'status': 'ok', 'value': 999, 'message': ''}]}) for i in range(1, 6))\n"
)


def test_printed_protocol_messages_are_just_output(course):
    with Sandbox(LIMITS) as box:
        result = box.run_cell(
            FAKE_FRAME + "answer = 1\nprint(fakes)\nimport sys\nsys.stdout.write(fakes.decode('latin-1'))", index=0
        )
        assert result.status == "ok" and '"values"' in result.stdout
        assert box.get(["answer"])["answer"].value == 1


@pytest.mark.parametrize(
    "payload",
    ["fakes", "struct.pack('>I', 1 << 31)", "b'\\x00\\x00\\x00\\x05{bad}'", "b'\\x00\\x00\\x01'"],
    ids=["forged-replies", "huge-length", "not-json", "truncated"],
)
def test_frames_written_to_the_pipe_are_never_believed(course, payload):
    cell = (
        FAKE_FRAME
        + "answer = 1\nimport os\nfor fd in range(3, 64):\n    try:\n"
        + f"        os.write(fd, {payload})\n    except OSError:\n        pass"
    )
    with bounded(LIMITS.cell_timeout * 2 + SLACK):
        with Sandbox(LIMITS) as box:
            cell_result = box.run_cell(cell, index=0)
            got = box.get(["answer"])["answer"]
    # either the forgery is detected (the sandbox is killed) or it did not reach the grader
    assert cell_result.status in ("crashed", "timeout", "ok")
    assert got.value != 999
    if cell_result.status == "ok":
        assert got.value == 1 or got.status == "missing"


def test_uid_of_sandbox_is_its_own(course):
    with Sandbox(LIMITS) as box:
        report = box.isolation
        box.run_cell("import os\nids = (os.getuid(), os.geteuid(), os.getgid(), os.getgroups())", index=0)
        ids = box.get(["ids"])["ids"].value
    if os.geteuid() == 0 and report.dropped_uid:
        assert report.uid > UID_BASE and ids == (report.uid, report.uid, report.uid, [])
    else:
        pytest.skip("the grader does not run as root here: no uid switch to check")


def test_signals_from_the_sandbox_cannot_reach_the_zygote(course):
    with Sandbox(LIMITS, mode="zygote") as box:
        result = box.run_cell("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", index=0)
        assert result.status == "error"
    with Sandbox(LIMITS, mode="zygote") as box:  # the zygote still forks
        assert box.isolation.zygote


def test_hostile_population_keeps_the_grader_bounded(course):
    """Ten hostile submissions in a row: each is stopped, none slows the next one down."""
    cells = ["while True:\n    pass", "import os\nos._exit(1)", "x = bytearray(8 << 30)", "import os\nos.fork()"]
    limits = SandboxLimits(cell_timeout=0.3, total_timeout=5)
    with bounded(10 * (0.3 + 0.4)):
        for i in range(10):
            results, _ = run_cells([cells[i % len(cells)]], limits)
            assert results[0].status in ("timeout", "crashed", "error")
    signal.getsignal(signal.SIGCHLD)  # the grader's own handlers are untouched


def test_a_dead_zygote_is_replaced_and_its_children_killed(course):
    from grader.sandbox import client

    box = Sandbox(LIMITS, mode="zygote")
    box.run_cell("x = 1", index=0)
    zygote = client._get_zygote()  # once: a second lookup may already start a replacement
    zygote.process.kill()
    zygote.process.wait(timeout=SLACK)
    pid = box.pid
    with bounded(SLACK):
        box.close()
    time.sleep(0.05)
    state = (
        Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if os.path.exists(f"/proc/{pid}") else "gone"
    )
    assert state in ("gone", "Z", "X")
    with Sandbox(LIMITS, mode="zygote") as again:  # a new zygote starts on demand
        assert again.run_cell("x = 2", index=0).status == "ok"
