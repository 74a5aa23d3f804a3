"""Computing instead of implementing: forbidden imports, per slot, static and at run time.

``implement_function`` slots forbid modules (``convmath``, ``scipy.signal``,
``torch``, ...) through their ``forbidden_imports`` option. The corpus below
is graded as ONE batch, one student per case, with the course's files lying
next to it on disk. For every case: the grade is no higher than the honest
one, the cheating part scores 0 with a reason that names the module, every
other part is graded as usual, the batch carries on, the grader's time stays
bounded and no file outside the sandbox changes.

The design (see :func:`grader.grade._guarded_runs`): a forbidden module is
refused only while the slot that forbids it is checked, so another slot of the
same notebook may import it; the cells that define the function may not import
it at all (static check), and any other route (``__import__`` of a computed
name, ``exec``, ``importlib``, a parent package's lazy attribute, an import in
another cell, an import inside the function body) meets the sandbox's import
hook, or, if the hook is removed, Landlock's unreadable files.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest

from convmath.errors import ConvMathError
from exercises.assignment import build_exercises, load_assignment, parse_assignment
from exercises.families import generate
from exercises.families.implement import FORBIDDEN
from exercises.notebook import key_notebook, student_notebook, write_notebook
from grader.batch import collect, run_batch
from grader.export import feedback_markdown
from grader.grade import GradingContext
from grader.gradebook import Gradebook
from grader.sandbox import Sandbox, SandboxLimits
from grader.sandbox.isolation import _FS_READ_DIR, _FS_READ_FILE, _holes, module_paths
from grader.simulate import filled_notebook, notebook_bytes

SECRET = b"forbidden-imports-secret-0123456789abcdef"
ASSIGNMENT_TOML = """
id = "forbidden"
title = "Implement, do not import"
locale = "en"

[[slots]]
id = "q1"
family = "cross_correlation_by_hand"
points = 2

[[slots]]
id = "q2"
family = "implement_function"
points = 5
options = { function = "corr2d" }

[[slots]]
id = "q3"
family = "implement_function"
points = 2
options = { function = "out_size", forbidden_imports = ["torch"] }
"""
DATA = tomllib.loads(ASSIGNMENT_TOML)
ASSIGNMENT = parse_assignment(DATA)
TOTAL = 2 + 5 + 2
#: Seconds the grader may spend on one case (generous: CI has 2 cores and two workers).
TIME_BOUND = 30.0
LIMITS = SandboxLimits(cell_timeout=5, total_timeout=30, cpu_seconds=30)
HOOK_ONLY = "refused only by an import hook"

_LOOP = """
    X, K = np.asarray(X, dtype=float), np.asarray(K, dtype=float)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y"""
HONEST_CORR2D = "import numpy as np\n\n\ndef corr2d(X, K):" + _LOOP
UNHOOK = "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_ForbiddenFinder']\n"
TORCH_CORR2D = """import numpy as np
import torch


def corr2d(X, K):
    x = torch.as_tensor(np.asarray(X, dtype=float))[None, None]
    k = torch.as_tensor(np.asarray(K, dtype=float))[None, None]
    return torch.nn.functional.conv2d(x, k)[0, 0].numpy()"""


def _via(prefix: str, expr: str = "ss.correlate2d(X, K, mode='valid')") -> str:
    """A corr2d that returns ``expr`` after the cell's ``prefix``."""
    return f"{prefix}\n\ndef corr2d(X, K):\n    return {expr}"


# name -> (answers {(slot, part): source}, extra cells [(after cell id, source)], zeroed parts, reason)
# Honest grade of every case: full marks (the key). Parts not listed as zeroed must keep full marks.
CASES: dict[str, tuple[dict, list, set, str | None]] = {
    "honest": ({}, [], set(), None),
    # --- (a) convmath ----------------------------------------------------------------
    "import-convmath": (
        {("q2", "a"): _via("import convmath", "convmath.numeric.corr2d(X, K)")},
        [],
        {("q2", "a")},
        r"importing convmath is not allowed",
    ),
    "from-convmath-numeric": (
        {("q2", "a"): "from convmath.numeric import corr2d"},
        [],
        {("q2", "a")},
        r"importing convmath(\.numeric)? is not allowed",
    ),
    "convmath-computed-name": (
        {("q2", "a"): _via("cm = __import__('conv' + 'math.numeric', fromlist=['corr2d'])", "cm.corr2d(X, K)")},
        [],
        {("q2", "a")},
        r"convmath",
    ),
    # --- (b) scipy.signal --------------------------------------------------------------
    "from-scipy-signal-import": (
        {("q2", "a"): _via("from scipy.signal import correlate2d", "correlate2d(X, K, mode='valid')")},
        [],
        {("q2", "a")},
        r"importing scipy\.signal is not allowed",
    ),
    "import-scipy-signal-as": (
        {("q2", "a"): _via("import scipy.signal as ss")},
        [],
        {("q2", "a")},
        r"importing scipy\.signal is not allowed",
    ),
    # --- (c) torch (installed or not: the static check and the hook come first) --------
    "import-torch": ({("q2", "a"): TORCH_CORR2D}, [], {("q2", "a")}, r"importing torch is not allowed"),
    "torch-at-call-time": (
        {
            ("q2", "a"): "def corr2d(X, K):\n    torch = __import__('to' + 'rch')\n"
            "    return torch.nn.functional.conv2d(X, K)"
        },
        [],
        {("q2", "a")},
        r"import of torch is not allowed",
    ),
    # --- (d) evasions ----------------------------------------------------------------
    "dunder-import-literal": (
        {("q2", "a"): _via("", "__import__('scipy.signal').signal.correlate2d(X, K, 'valid')")},
        [],
        {("q2", "a")},
        r"importing scipy\.signal is not allowed",
    ),
    "dunder-import-computed": (
        {("q2", "a"): _via("ss = __import__('scipy.' + 'signal', fromlist=['correlate2d'])")},
        [],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "importlib-computed": (
        {("q2", "a"): _via("import importlib\nss = importlib.import_module('sci' + 'py.signal')")},
        [],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "exec-import": (
        {("q2", "a"): _via("exec('import scipy.signal as ss')")},
        [],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "builtins-getattr": (
        {
            ("q2", "a"): _via(
                "imp = getattr(__builtins__, '__imp' + 'ort__')\nss = imp('scipy.signal', fromlist=['correlate2d'])"
            )
        },
        [],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "sys-modules-lookup": (
        {("q2", "a"): _via("import sys", "sys.modules['scipy.signal'].correlate2d(X, K, 'valid')")},
        [],
        {("q2", "a")},
        r"scipy\.signal",
    ),
    "sys-modules-after-other-cell": (
        {("q2", "a"): _via("import sys", "sys.modules['scipy.signal'].correlate2d(X, K)")},
        [("q1-setup", "import scipy.signal  # to check q1")],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "import-in-body-static": (
        {
            ("q2", "a"): "def corr2d(X, K):\n    from scipy.signal import correlate2d\n"
            "    return correlate2d(X, K, 'valid')"
        },
        [],
        {("q2", "a")},
        r"importing scipy\.signal is not allowed",
    ),
    "import-in-body-at-call-time": (
        {
            ("q2", "a"): "def corr2d(X, K):\n    import importlib\n"
            "    ss = importlib.import_module('scipy.' + 'signal')\n"
            "    return ss.correlate2d(X, K, 'valid')"
        },
        [],
        {("q2", "a")},
        r"import of scipy\.signal is not allowed",
    ),
    "parent-package-attribute": (
        {("q2", "a"): _via("import scipy", "scipy.signal.correlate2d(X, K, 'valid')")},
        [],
        {("q2", "a")},
        r"import of scipy\.signal is not allowed",
    ),
    "from-scipy-import-signal": (
        {("q2", "a"): _via("from scipy import signal", "signal.correlate2d(X, K, 'valid')")},
        [],
        {("q2", "a")},
        r"importing scipy\.signal is not allowed",
    ),
    "import-in-another-cell": (
        {("q2", "a"): _via("", "correlate2d(X, K, mode='valid')")},
        [("q2-setup", "from scipy.signal import correlate2d")],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "hook-removed": (
        {("q2", "a"): _via(UNHOOK + "import importlib\nss = importlib.import_module('sci' + 'py.signal')")},
        [],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports scipy\.signal",
    ),
    "hook-removed-convmath": (
        {
            ("q2", "a"): _via(
                UNHOOK + "import importlib\ncm = importlib.import_module('conv' + 'math.numeric')", "cm.corr2d(X, K)"
            )
        },
        [],
        {("q2", "a")},
        r"cell (of|after) [\w() ]+ imports convmath",
    ),
    "torch-in-q3": (
        {("q3", "a"): "import torch\n\n\ndef out_size(n, k, p=0, s=1):\n    return (n + 2 * p - k) // s + 1"},
        [],
        {("q3", "a")},
        r"importing torch is not allowed",
    ),
    # --- per slot: a module is refused only for the slot that forbids it ---------------
    "scipy-in-unrelated-slot": (
        {("q1", "b"): "from scipy.signal import correlate2d\n\nY = correlate2d(X, K, mode='valid').astype(int)"},
        [],
        set(),
        None,
    ),
    "scipy-for-the-worked-example": (
        {
            ("q2", "a"): HONEST_CORR2D,
            ("q2", "b"): "import scipy.signal as ss\n\ncorr2d_example = ss.correlate2d(X, K, mode='valid')",
        },
        [],
        set(),
        None,
    ),
    "scipy-where-q3-allows-it": (
        {
            ("q3", "a"): "import scipy.signal  # q3 forbids only torch\n\n\n"
            "def out_size(n, k, p=0, s=1):\n    return (n + 2 * p - k) // s + 1"
        },
        [],
        set(),
        None,
    ),
}


def _snapshot(root: Path, skip: set[Path]) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p not in skip
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "secret.txt").write_bytes(SECRET)
    (root / "assignment.toml").write_text(ASSIGNMENT_TOML)
    keys, submissions, gradebook = root / "keys", root / "submissions", root / "grades.db"
    keys.mkdir()
    submissions.mkdir()
    for name, (answers, extra, _, _) in CASES.items():
        exercises = build_exercises(ASSIGNMENT, SECRET, name)
        write_notebook(key_notebook(ASSIGNMENT, name, exercises), keys / f"{name}.ipynb")
        nb = filled_notebook(ASSIGNMENT, name, exercises, answers=answers, extra_cells=extra)
        (submissions / f"{name}.ipynb").write_bytes(notebook_bytes(nb))
    context = GradingContext(DATA, SECRET, limits=LIMITS)
    with Gradebook(gradebook):
        pass
    wal = {gradebook, gradebook.with_name("grades.db-wal"), gradebook.with_name("grades.db-shm")}
    before = _snapshot(root, wal)
    files, _ = collect([submissions])
    with Gradebook(gradebook) as book:
        summary = run_batch(files, context, book, jobs=2)
        current = {r.student: r for r in book.current("forbidden")}
    return summary, current, before, _snapshot(root, wal)


def test_the_batch_carries_on_and_nothing_outside_the_sandbox_changes(graded):
    summary, current, before, after = graded
    assert summary.total == len(CASES) and summary.failed == 0
    assert set(current) == set(CASES)
    assert after == before


@pytest.mark.parametrize("name", list(CASES))
def test_case(graded, name):
    _, current, _, _ = graded
    _, _, zeroed, reason = CASES[name]
    result = current[name]
    if name.startswith("hook-removed") and any(HOOK_ONLY in w for w in result.sandbox_warnings):
        pytest.skip("Landlock is not applied here: only the (removable) import hook guards the modules")
    scores = {(o.slot, o.part): (o.score, o.max_score) for o in result.parts}
    assert result.status == "graded" and result.duration <= TIME_BOUND
    assert result.score <= TOTAL
    for key, (score, max_score) in scores.items():
        if key in zeroed:
            assert score == 0, (key, result.parts)
        else:  # the rest of the notebook is graded as usual
            assert score == pytest.approx(max_score), (key, result.parts)
    assert result.score == pytest.approx(TOTAL - sum(scores[key][1] for key in zeroed))
    if reason is not None:
        message = " ".join(o.message for o in result.parts if (o.slot, o.part) in zeroed)
        assert re.search(reason, message), message
        assert re.search(reason, feedback_markdown(result))


def test_the_corpus_covers_the_brief():
    cheats = [name for name, case in CASES.items() if case[2]]
    assert len(cheats) >= 20 and len(CASES) - len(cheats) >= 4


# --- the slot option -------------------------------------------------------------------------


def _slot(**options: object) -> dict:
    return {
        "id": "w",
        "title": "t",
        "slots": [{"id": "q2", "family": "implement_function", "options": {"function": "corr2d", **options}}],
    }


@pytest.mark.parametrize(
    "option, expected",
    [
        pytest.param({}, FORBIDDEN, id="default"),
        pytest.param({"forbidden_imports": ["torch", "scipy.signal"]}, ("torch", "scipy.signal"), id="own-list"),
        pytest.param({"forbidden_imports": ["torch", "torch"]}, ("torch",), id="repeat-dropped"),
        pytest.param({"forbidden_imports": []}, (), id="nothing"),
    ],
)
def test_forbidden_imports_is_a_slot_option(option, expected):
    assignment = parse_assignment(_slot(**option))
    ((slot, exercise),) = build_exercises(assignment, SECRET, "alice")
    spec = exercise.parts[0].answer
    assert spec.kind == "function" and spec.forbidden_imports == expected
    prompt = exercise.prompt["en"]
    assert all(f"`{m}`" in prompt for m in expected)
    assert ("is not allowed" in prompt) == bool(expected)
    assert "scipy.ndimage" not in prompt or "scipy.ndimage" in expected
    cell = next(
        c
        for c in student_notebook(assignment, "alice", [(slot, exercise)])["cells"]
        if c["metadata"].get("convmath", {}).get("name") == "corr2d"
    )
    assert ("import of " + ", ".join(expected) in cell["source"]) == bool(expected)


@pytest.mark.parametrize(
    "option, match",
    [
        pytest.param(
            {"forbidden_imports": "torch"}, r"forbidden_imports='torch' must be a list of module names", id="string"
        ),
        pytest.param({"forbidden_imports": [1]}, r"1 is not a dotted module name", id="not-a-name"),
        pytest.param({"forbidden_imports": ["scipy/signal"]}, r"'scipy/signal' is not a dotted module name", id="path"),
        pytest.param(
            {"forbidden_imports": ["scipy..signal"]}, r"'scipy..signal' is not a dotted module name", id="empty-part"
        ),
        pytest.param(
            {"forbid": ["torch"]},
            r"option 'forbid' is not allowed; use 'function' or 'forbidden_imports'",
            id="unknown-option",
        ),
    ],
)
def test_bad_forbidden_imports_option_names_the_slot(option, match):
    with pytest.raises(ConvMathError, match=r"slot 'q2' \(family 'implement_function'\): .*" + match):
        parse_assignment(_slot(**option))


def test_the_example_assignment_shows_the_option():
    path = Path(__file__).resolve().parents[1] / "examples" / "assignment.toml"
    slot = next(s for s in load_assignment(path).slots if s.family == "implement_function")
    assert tuple(slot.options["forbidden_imports"]) == FORBIDDEN
    assert "forbidden_imports" in path.read_text()


def test_other_families_refuse_the_option():
    with pytest.raises(ConvMathError, match="forbidden_imports"):
        generate("conv_output_size", 0, difficulty=1, options={"forbidden_imports": ["torch"]})


# --- the sandbox: files of forbidden modules stay unreadable ------------------------------------


def test_module_paths_finds_packages_and_modules_without_importing(tmp_path):
    (tmp_path / "scipy" / "signal").mkdir(parents=True)
    (tmp_path / "scipy" / "signal" / "__init__.py").write_text("raise SystemExit('imported!')")
    (tmp_path / "torch.py").write_text("")
    (tmp_path / "torchvision").mkdir()
    (tmp_path / "_jax.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    found = module_paths(["scipy.signal", "torch", "_jax", "absent", "../etc"], ["", "relative", str(tmp_path)])
    assert found == sorted(
        [
            str(tmp_path / "scipy" / "signal"),
            str(tmp_path / "torch.py"),
            str(tmp_path / "_jax.cpython-311-x86_64-linux-gnu.so"),
        ]
    )


def test_holes_leave_the_denied_folder_out(tmp_path):
    read = _FS_READ_FILE | _FS_READ_DIR
    for path in ("scipy/signal/__init__.py", "scipy/linalg/x.py", "scipy/__init__.py", "numpy/__init__.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / "sneaky").symlink_to(tmp_path / "scipy" / "signal")
    deny = [str(tmp_path / "scipy" / "signal")]
    rules = dict(_holes([(str(tmp_path), read), (str(tmp_path / "scipy"), read), ("/dev/null", 2)], deny, read))
    assert rules[str(tmp_path)] == rules[str(tmp_path / "scipy")] == _FS_READ_DIR  # listing only
    assert rules[str(tmp_path / "numpy")] == rules[str(tmp_path / "scipy" / "linalg")] == read
    assert rules[str(tmp_path / "scipy" / "__init__.py")] == read and rules["/dev/null"] == 2
    assert not [p for p in rules if p.startswith(deny[0]) or p.endswith("sneaky")]
    assert _holes([(str(tmp_path), read)], [], read) == [(str(tmp_path), read)]


def test_removing_the_import_hook_does_not_reach_the_module():
    code = UNHOOK + "import importlib\nm = importlib.import_module('sci' + 'py.signal')"
    with Sandbox(LIMITS, forbidden_imports=frozenset({"scipy.signal"})) as box:
        result = box.run_cell(code, index=1)
        if box.isolation.landlock:
            assert result.status == "error" and "Permission denied" in result.message, result
            assert "scipy/signal" in result.message
            assert box.run_cell("import scipy.linalg", index=2).status == "ok"  # the rest of scipy is readable
        else:  # degraded, and said so
            assert any(HOOK_ONLY in w for w in box.isolation.warnings)


def test_no_forbidden_imports_no_holes():
    with Sandbox(LIMITS) as box:
        assert box.run_cell("import scipy.signal", index=1).status == "ok"
        assert not any(HOOK_ONLY in w for w in box.isolation.warnings)
