"""grader.sandbox: cells, magics, values, calls, timeouts, forbidden imports, codec.

The hostile corpus is in test_sandbox_hostile.py.
"""

from __future__ import annotations

import json
import math
import os
import time

import numpy as np
import pytest

from convmath.errors import ConvMathError
from grader.sandbox import Sandbox, SandboxLimits, find_forbidden_imports, protocol, strip_magics
from grader.sandbox.client import SandboxStartError

FAST = SandboxLimits(cpu_seconds=5, cell_timeout=2, total_timeout=20)


@pytest.fixture(params=["zygote", "fresh"])
def box(request):
    with Sandbox(FAST, mode=request.param) as sandbox:
        yield sandbox


@pytest.fixture
def zbox():
    with Sandbox(FAST, mode="zygote") as sandbox:
        yield sandbox


# --- cells ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, status, message",
    [
        ("x = 1", "ok", ""),
        ("x = 1\ny = 1 / 0", "error", r"^ZeroDivisionError: division by zero \(cell 3, line 2\)$"),
        ("x = (1,\n", "error", r"^SyntaxError: .* \(cell 3, line 1\)$"),
        ("def f(:\n  pass", "error", r"^SyntaxError: invalid syntax \(cell 3, line 1\)$"),
        ("raise ValueError('bad ' * 3)", "error", r"^ValueError: bad bad bad  \(cell 3, line 1\)$"),
        ("import no_such_module_xyz", "error", r"^ModuleNotFoundError: No module named 'no_such_module_xyz'"),
        ("", "skipped", "empty cell"),
        ("%matplotlib inline", "skipped", r"IPython magic skipped \(line 1\)"),
        ("%%bash\necho hi", "skipped", r"IPython cell magic skipped: '%%bash'"),
        ("%matplotlib inline\nx = 2", "ok", r"^IPython magic skipped \(line 1\): '%matplotlib inline'$"),
        ("files = !ls\nx = 2", "ok", r"IPython magic skipped \(line 1\)"),
        ("%%time\nx = 2\ny = x / 0", "error", r"ZeroDivisionError.*\(cell 3, line 3\); IPython cell magic ignored"),
    ],
    ids=[
        "ok",
        "zero-division-line-2",
        "syntax-unclosed",
        "syntax-def",
        "value-error",
        "import-error",
        "empty",
        "line-magic-only",
        "cell-magic-bash",
        "magic-then-code",
        "shell-assign",
        "time-magic-body-runs",
    ],
)
def test_run_cell_status_and_message(box, source, status, message):
    result = box.run_cell(source, index=3)
    assert (result.index, result.status) == (3, status)
    if message:
        assert __import__("re").search(message, result.message), result.message
    else:
        assert result.message == ""


def test_cell_error_in_function_from_earlier_cell_names_that_cell(box):
    box.run_cell("def f(n):\n    return 10 // n", index=0)
    result = box.run_cell("f(0)", index=1)
    assert result.message == "ZeroDivisionError: integer division or modulo by zero (cell 0, line 2)"


def test_cells_share_one_namespace_and_capture_output(box):
    assert box.run_cell("import numpy as np\nx = np.arange(4)", index=0).status == "ok"
    result = box.run_cell("print(x.sum())\nimport sys\nprint('warn', file=sys.stderr)", index=1)
    assert (result.stdout, result.stderr) == ("6\n", "warn\n")  # 6 = 0 + 1 + 2 + 3


def test_output_is_truncated_with_a_note():
    with Sandbox(SandboxLimits(max_output_bytes=100, cell_timeout=2)) as box:
        result = box.run_cell("print('a' * 250)", index=0)
    assert result.stdout == "a" * 100 + f"\n[... {250 + 1 - 100} more characters dropped]"


def test_workdir_files_are_visible_and_removed_on_close():
    box = Sandbox(FAST, workdir_files={"data/input.txt": b"42"})
    workdir = box.workdir
    assert box.run_cell("x = int(open('data/input.txt').read())", index=0).status == "ok"
    assert box.get(["x"])["x"].value == 42
    box.close()
    box.close()  # idempotent
    assert not os.path.exists(workdir)
    assert box.run_cell("x = 1", index=1).status == "crashed"


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../up.txt", "a/../../b", ""], ids=["absolute", "dotdot", "nested-dotdot", "empty"]
)
def test_workdir_file_names_must_stay_inside(name):
    with pytest.raises(ConvMathError, match="must be a relative path without '..'"):
        Sandbox(FAST, workdir_files={name: b""})


# --- values ------------------------------------------------------------------------------

VALUES = [
    ("int", "-12345678901234567890"),
    ("float", "0.1"),
    ("nan", "float('nan')"),
    ("inf", "float('-inf')"),
    ("complex", "complex(1.5, float('inf'))"),
    ("str", "'héllo \\udcff \"q\"'"),
    ("bool", "True"),
    ("none", "None"),
    ("list", "[1, [2.0, 'x'], []]"),
    ("tuple", "(3, (4,), ())"),
    ("dict-int-keys", "{1: 'a', (2, 3): [None], 'k': {}}"),
    ("np-int64", "np.int64(110592)"),
    ("np-float32", "np.float32(1.5)"),
    ("np-bool", "np.bool_(True)"),
    ("arr-bool", "np.array([True, False])"),
    ("arr-int8", "np.arange(-3, 3, dtype=np.int8).reshape(2, 3)"),
    ("arr-uint16", "np.arange(6, dtype=np.uint16)"),
    ("arr-float16", "np.linspace(0, 1, 5, dtype=np.float16)"),
    ("arr-float32-3d", "np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7"),
    ("arr-float64-nan", "np.array([np.nan, np.inf, -np.inf, -0.0])"),
    ("arr-complex128", "np.array([1 + 2j, np.nan * 1j])"),
    ("arr-big-endian", "np.arange(3, dtype='>i4')"),
    ("arr-transposed", "np.arange(6.0).reshape(2, 3).T"),
    ("arr-0d", "np.array(7)"),
    ("arr-empty", "np.zeros((0, 3), dtype=np.int32)"),
]


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        return (
            type(a) is type(b)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == np.ascontiguousarray(b).tobytes()
        )
    if isinstance(a, float):
        return type(b) is float and (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, complex):
        return type(b) is complex and _same(a.real, b.real) and _same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_get_round_trips_every_plain_type_exactly(zbox):
    source = "import numpy as np\n" + "\n".join(f"v_{i} = {expr}" for i, (_, expr) in enumerate(VALUES))
    assert zbox.run_cell(source, index=0).status == "ok"
    values = zbox.get([f"v_{i}" for i in range(len(VALUES))])
    for i, (label, expr) in enumerate(VALUES):
        expected = eval(expr, {"np": np})  # the test's own literal, never student text
        got = values[f"v_{i}"]
        assert got.status == "ok", (label, got)
        assert _same(expected, got.value), (label, expected, got.value)


@pytest.mark.parametrize(
    "source, status, message",
    [
        ("def f(a, b=1, *, c):\n    return a", "function", "f(a, b, c)"),
        ("f = print", "function", "a built-in function or method"),
        ("f = object()", "unserializable", "a object object is not plain data"),
        ("import numpy as np\nf = np.matrix([[1]])", "unserializable", "numpy subclass numpy.matrix"),
        ("import numpy as np\nf = np.array(['a'])", "unserializable", "dtype <U1"),
        ("import numpy as np\nf = np.array([None])", "unserializable", "dtype |O"),
        ("f = {1, 2}", "unserializable", "a set object is not plain data"),
        ("class I(int): pass\nf = I(3)", "unserializable", "subclass of int"),
        ("f = 2 ** 20000", "unserializable", "an integer of 20001 bits is too large"),
        ("pass", "missing", "f is not defined"),
    ],
    ids=[
        "function",
        "builtin",
        "object",
        "np-matrix",
        "str-array",
        "object-array",
        "set",
        "int-subclass",
        "huge-int",
        "missing",
    ],
)
def test_get_reports_what_cannot_be_sent(zbox, source, status, message):
    zbox.run_cell(source, index=0)
    value = zbox.get(["f"])["f"]
    assert (value.status, value.value) == (status, None)
    assert message in value.message


# --- calls -------------------------------------------------------------------------------


def test_call_sends_arrays_and_returns_them_exactly(box):
    box.run_cell("import numpy as np\ndef corr(x, w, *, scale=1):\n    return np.correlate(x, w) * scale", index=0)
    x, w = np.arange(5, dtype=np.float32), np.array([1.0, -1.0], dtype=np.float32)
    result = box.call("corr", (x, w), {"scale": 2})
    assert result.status == "ok" and result.message == ""
    assert result.value.dtype == np.float32
    np.testing.assert_array_equal(result.value, np.correlate(x, w) * 2)


@pytest.mark.parametrize(
    "source, name, args, message",
    [
        ("def f(n):\n    x = 1\n    return x / n", "f", (0,), "ZeroDivisionError: division by zero (cell 0, line 3)"),
        (
            "def f():\n    return {1, 2}",
            "f",
            (),
            "the return value cannot be sent back: a set object is not plain data",
        ),
        ("f = 3", "f", (), "f is a int, not a function"),
        ("pass", "g", (), "g is not defined"),
        ("def f(a):\n    return a", "f", (1, 2), "TypeError: f() takes 1 positional argument but 2 were given"),
    ],
    ids=["raises-with-line", "unserializable-return", "not-callable", "undefined", "wrong-arity"],
)
def test_call_errors_are_reported(zbox, source, name, args, message):
    zbox.run_cell(source, index=0)
    result = zbox.call(name, args)
    assert (result.status, result.value, result.message) == ("error", None, message)
    assert zbox.call("len", ()).status in ("error", "ok")  # still alive: errors do not kill


def test_call_args_must_be_plain_data(zbox):
    with pytest.raises(ConvMathError, match="args of f cannot be sent to the sandbox: a set object"):
        zbox.call("f", ({1},))


def test_hundred_calls_keep_the_namespace(zbox):
    zbox.run_cell("count = 0\ndef bump(k):\n    global count\n    count += k\n    return count", index=0)
    results = [zbox.call("bump", (k,)).value for k in range(100)]
    assert results[-1] == sum(range(100)) and zbox.get(["count"])["count"].value == 99 * 100 // 2


# --- time --------------------------------------------------------------------------------


def test_cell_timeout_kills_and_later_requests_fail_fast(box):
    start = time.monotonic()
    result = box.run_cell("while True:\n    pass", index=4)
    assert (result.status, result.message) == ("timeout", "cell 4 ran longer than 2 s and was stopped")
    assert 2 <= time.monotonic() - start < 4
    start = time.monotonic()
    assert box.call("f", ()).status == "crashed"
    assert box.get(["x"])["x"].message.startswith("the sandbox is no longer running (cell 4 ran longer")
    assert time.monotonic() - start < 0.1


def test_call_timeout(zbox):
    zbox.run_cell("import time\ndef slow():\n    time.sleep(60)", index=0)
    start = time.monotonic()
    result = zbox.call("slow", (), timeout=0.5)
    assert (result.status, result.message) == ("timeout", "slow() ran longer than 0.5 s and was stopped")
    assert time.monotonic() - start < 1.5


def test_total_timeout_bounds_the_whole_submission():
    with Sandbox(SandboxLimits(cell_timeout=2, total_timeout=1)) as box:
        start = time.monotonic()
        results = [box.run_cell("import time; time.sleep(0.4)", index=i) for i in range(4)]
        elapsed = time.monotonic() - start
    statuses = [r.status for r in results]
    # 4 * 0.4 s do not fit in 1 s: the first cell runs, one cell is stopped, the rest fail at once
    first_timeout = statuses.index("timeout")
    assert statuses[0] == "ok" and statuses[first_timeout + 1 :] == ["crashed"] * (3 - first_timeout)
    assert results[first_timeout].message == "the submission used all of its 1 s"
    assert elapsed < 1 + 0.5


# --- forbidden imports ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import scipy.signal",
        "from scipy import signal",
        "import importlib\nimportlib.import_module('scipy.signal')",
        "__import__('scipy.signal.windows')",
    ],
    ids=["import", "from-import", "import_module", "dunder-import"],
)
def test_import_hook_refuses_forbidden_modules(source):
    with Sandbox(FAST, forbidden_imports=frozenset({"scipy.signal"})) as box:
        result = box.run_cell(source, index=0)
        assert result.status == "error"
        assert "ImportError: import of scipy.signal" in result.message
        assert box.run_cell("import scipy", index=1).status == "ok"  # the parent package is allowed


@pytest.mark.parametrize(
    "source, forbidden, expected",
    [
        ("import torch.nn as nn", {"torch"}, ["torch.nn"]),
        ("from scipy import signal, linalg", {"scipy.signal"}, ["scipy.signal"]),
        (
            "from convmath.sizes import conv_output_size",
            {"convmath"},
            ["convmath.sizes", "convmath.sizes.conv_output_size"],
        ),
        ("importlib.import_module('torch')", {"torch"}, ["torch"]),
        ("import torchvision", {"torch"}, []),
        ("%pip install torch\nimport torch", {"torch"}, ["torch"]),
        ("import (", {"torch"}, []),
    ],
    ids=[
        "submodule",
        "from-list",
        "from-submodule",
        "import_module",
        "prefix-is-not-module",
        "after-magic",
        "syntax-error",
    ],
)
def test_find_forbidden_imports(source, forbidden, expected):
    assert find_forbidden_imports(source, forbidden) == expected


def test_strip_magics_keeps_modulus_on_continuation_lines():
    source = "x = (7\n% 3)"
    assert strip_magics(source).code == source and strip_magics(source).notes == ()


# --- limits and the codec ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell_timeout": 0}, "cell_timeout=0 must be a positive number of seconds"),
        ({"total_timeout": float("inf")}, "total_timeout=inf must be a positive number of seconds"),
        ({"memory_bytes": -1}, "memory_bytes=-1 must be a positive integer"),
        ({"open_files": 8}, "open_files=8 must be at least 16"),
        ({"max_output_bytes": 1.5}, "max_output_bytes=1.5 must be a positive integer"),
    ],
    ids=["zero-timeout", "inf-timeout", "negative-memory", "few-files", "float-bytes"],
)
def test_limits_are_validated(kwargs, message):
    with pytest.raises(ConvMathError, match=message):
        SandboxLimits(**kwargs)


@pytest.mark.parametrize(
    "wire, message",
    [
        ({"$": "ndarray", "dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAA="}, "needs 16 bytes, got 8"),
        ({"$": "ndarray", "dtype": "<M8[s]", "shape": [], "data": ""}, "is not allowed"),
        ({"$": "ndarray", "dtype": "<f8", "shape": [-1], "data": ""}, "malformed array shape"),
        ({"$": "ndarray", "dtype": "<f8", "shape": [1], "data": "!!!!"}, "not valid base64"),
        ({"$": "pickle", "v": "gASV"}, "unknown or malformed tagged value 'pickle'"),
        ({"$": "float", "v": "1e5"}, "unknown or malformed tagged value 'float'"),
        ({"$": "dict", "v": [[[1], 2]]}, "unhashable dict key"),
        ({"a": 1}, "unknown or malformed tagged value 'None'"),
    ],
    ids=["byte-count", "datetime", "negative-shape", "base64", "pickle-tag", "float-text", "list-key", "untagged"],
)
def test_decode_refuses_malformed_wire_values(wire, message):
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.decode(wire)


def test_decode_refuses_deep_nesting():
    wire = json.loads("[" * 80 + "]" * 80)
    with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
        protocol.decode(wire)


def test_isolation_report_says_what_is_missing():
    with Sandbox(FAST) as box:
        report = box.isolation
    assert report.landlock == (report.landlock_abi >= 1) or any("Landlock" in w for w in report.warnings)
    assert report.seccomp or any("seccomp" in w for w in report.warnings)
    assert report.net_namespace or any("network namespace" in w for w in report.warnings)
    if os.geteuid() == 0:
        assert report.dropped_uid or any("ROOT" in w for w in report.warnings)


def test_start_failure_is_a_grader_error(monkeypatch):
    from grader.sandbox import client

    monkeypatch.setattr(client, "_argv", lambda: ["/nonexistent/python"])
    with pytest.raises((SandboxStartError, OSError)):
        Sandbox(FAST, mode="fresh")


@pytest.mark.parametrize(
    "disable, warning",
    [
        ({"landlock"}, "Landlock disabled on purpose: files are not restricted"),
        ({"seccomp"}, "seccomp disabled on purpose"),
        ({"namespaces"}, "no network namespace (disabled on purpose)"),
    ],
    ids=["landlock", "seccomp", "namespaces"],
)
def test_missing_protection_is_reported_in_plain_words(disable, warning):
    with Sandbox(FAST, disable=frozenset(disable)) as box:
        assert warning in box.isolation.warnings
        assert box.run_cell("x = 1", index=0).status == "ok"


def test_unknown_protection_name_is_refused():
    with pytest.raises(ConvMathError, match=r"disable=\['selinux'\] is not allowed"):
        Sandbox(FAST, disable=frozenset({"selinux"}))
