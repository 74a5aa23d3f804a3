"""Gradescope: build an autograder bundle, and grade one submission inside it.

Gradescope's autograder runs a zip of our making on its own Ubuntu image:
``setup.sh`` once, when it builds the image, then ``run_autograder`` for each
submission, which must leave ``/autograder/results/results.json``.

:func:`build_bundle` writes that zip: ``setup.sh`` (installs Python and
convmath from the wheel inside the zip, so the grading machine needs no
source), ``run_autograder``, the assignment with the question files it names,
the secret, the roster if given, and ``convmath.json`` naming them; nothing of
other assignments.

:func:`run_autograder` is what ``run_autograder`` calls
(``python -I -m grader.gradescope``): it reads the notebook from
``ROOT/submission/``, identifies the student from
``ROOT/submission_metadata.json`` (Gradescope's user ``sid``, ``id``,
``email`` or ``name``, through the roster), grades it with the same sandbox as
``convmath grade`` and writes ``ROOT/results/results.json``. Whatever fails,
a valid ``results.json`` is written, with a zero and the reason. ``ROOT`` is
``/autograder`` unless ``CONVMATH_AUTOGRADER_ROOT`` says otherwise; the bundle
is unpacked in ``ROOT/source/``.

Examples
--------
>>> student_for({"users": [{"sid": "s001", "email": "li@uni.edu", "name": "Li Wei", "id": 7}]}, None)
's001'
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import traceback
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from convmath.errors import ConvMathError
from exercises.assignment import SAFE_ID, Student, load_assignment, load_roster, read_secret

from .export import fmt_points
from .safetext import for_terminal

__all__ = ["build_bundle", "run_autograder", "student_for", "bundle_files", "main"]

#: the bundle's index: which files are the assignment, the secret, the roster
CONFIG = "convmath.json"
#: every zip entry gets this date, so one course's bundle is the same bytes however often it is built
_EPOCH = (1980, 1, 1, 0, 0, 0)
SETUP_SH = r"""#!/usr/bin/env bash
# convmath autograder set-up: Gradescope runs this once, when it builds the image.
# Installs a Python >= 3.11 if there is none, then convmath from the wheel in this bundle
# (its dependencies from the package index) into ROOT/venv. The source is never needed.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${CONVMATH_AUTOGRADER_ROOT:-/autograder}"
VENV="$ROOT/venv"

find_python() {
    for py in python3.13 python3.12 python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 &&
            "$py" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"; return 0
        fi
    done
    return 1
}

PY="$(find_python || true)"
if [ -z "$PY" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
    PY="$(find_python || true)"
    if [ -z "$PY" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv >/dev/null
        PY="$(find_python || true)"
    fi
fi
if [ -z "$PY" ]; then
    echo "convmath setup: no Python >= 3.11 with venv could be found or installed" >&2
    exit 1
fi

# CONVMATH_VENV_OPTIONS: e.g. --system-site-packages to reuse numpy/sympy already installed
"$PY" -m venv ${CONVMATH_VENV_OPTIONS:-} "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SOURCE"/wheels/convmath-*.whl
# only the grader reads these (the sandbox runs student code as another user, under Landlock)
chmod 600 "$SOURCE/secret.txt"
[ -f "$SOURCE/roster.csv" ] && chmod 600 "$SOURCE/roster.csv"
"$VENV/bin/python" -I -c "import grader.gradescope" && echo "convmath setup: installed in $VENV"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# convmath autograder: grades ROOT/submission/*.ipynb into ROOT/results/results.json.
# Whatever fails, a valid results.json (a zero and the reason) is left behind.
ROOT="${CONVMATH_AUTOGRADER_ROOT:-/autograder}"
export CONVMATH_AUTOGRADER_ROOT="$ROOT"
mkdir -p "$ROOT/results"
cd "$ROOT" || exit 0
if ! "$ROOT/venv/bin/python" -I -m grader.gradescope; then
    if [ ! -s "$ROOT/results/results.json" ]; then
        # one JSON line, written as adjacent quoted pieces
        printf '%s\n' '{"score": 0.0, "output": "This submission could not be graded: '\
'the autograder could not start (convmath is not installed; did setup.sh fail?); please tell your instructor.", '\
'"output_format": "text", "visibility": "visible", "tests": []}' > "$ROOT/results/results.json"
    fi
fi
exit 0
"""
_PROJECT_FILES = ("pyproject.toml", "README.md")
_PACKAGES = ("convmath", "exercises", "grader")


# --- building the bundle ------------------------------------------------------------------------


def bundle_files(assignment: str | Path) -> list[tuple[Path, str]]:
    """The assignment file and the question files it names, with their names in the bundle.

    Parameters
    ----------
    assignment
        The assignment TOML file.

    Returns
    -------
    list of (Path, str)
        ``(file on disk, path inside the zip)``; question files keep their
        path relative to the assignment, under ``assignment/``.

    Raises
    ------
    ConvMathError
        A question file outside the assignment's folder, or missing.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "questions").mkdir()
    >>> _ = (folder / "questions" / "rf.toml").write_text("")
    >>> _ = (folder / "hw.toml").write_text('id = "hw"\\n[[slots]]\\nid = "q1"\\nquestion = "questions/rf.toml"\\n')
    >>> [name for _, name in bundle_files(folder / "hw.toml")]
    ['assignment/hw.toml', 'assignment/questions/rf.toml']
    """
    path = Path(assignment)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConvMathError(f"{path}: cannot read the assignment ({err})") from None
    files = [(path, f"assignment/{path.name}")]
    slots = data.get("slots", [])
    for slot in slots if isinstance(slots, list) else []:
        question = slot.get("question") if isinstance(slot, dict) else None
        if not isinstance(question, str):
            continue
        relative = PurePosixPath(question.replace("\\", "/"))
        if relative.is_absolute() or ".." in relative.parts:
            raise ConvMathError(
                f"{path}: question={question!r} (slot {slot.get('id')!r}) must be a path below "
                "the assignment's folder to be bundled"
            )
        source = path.parent / relative
        if not source.is_file():
            raise ConvMathError(f"{path}: question={question!r} (slot {slot.get('id')!r}) does not exist")
        files.append((source, f"assignment/{relative}"))
    return files


def _project_root() -> Path | None:
    """The source tree convmath runs from, when it runs from one (not from an installed wheel)."""
    import convmath

    root = Path(convmath.__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "convmath"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def build_wheel(folder: Path) -> Path:
    """Build convmath's wheel (``pip wheel --no-deps``) from its source tree into ``folder``.

    The tree is copied first (the packages, ``pyproject.toml``, ``README.md``),
    so the build leaves nothing in the checkout.
    """
    root = _project_root()
    if root is None:
        raise ConvMathError(
            "convmath's source tree (pyproject.toml) was not found to build the wheel; "
            "pass --wheel with a convmath wheel"
        )
    with tempfile.TemporaryDirectory(prefix="convmath-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in _PROJECT_FILES:
            shutil.copy2(root / name, src / name)
        for package in _PACKAGES:
            shutil.copytree(root / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder), str(src)]
        done = subprocess.run([*base[:4], "--no-build-isolation", *base[4:]], capture_output=True, text=True)
        if done.returncode != 0:  # no setuptools here: let pip fetch the build backend
            done = subprocess.run(base, capture_output=True, text=True)
        if done.returncode != 0:
            raise ConvMathError(f"pip wheel failed to build convmath's wheel: {done.stderr.strip()[-500:]}")
    wheels = sorted(folder.glob("convmath-*.whl"))
    if not wheels:
        raise ConvMathError(f"pip wheel wrote no convmath wheel into {folder}")
    return wheels[-1]


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_bundle(
    assignment: str | Path,
    secret_file: str | Path,
    out: str | Path,
    *,
    roster: str | Path | None = None,
    wheel: str | Path | None = None,
) -> list[str]:
    """Write the Gradescope autograder zip of one assignment.

    Parameters
    ----------
    assignment
        The assignment TOML file (checked as ``convmath grade`` checks it).
    secret_file
        The course secret (the bundle holds it: upload the zip only to Gradescope).
    out
        The zip to write.
    roster
        Roster CSV mapping Gradescope users (by ``sid``, ``email`` or ``name``)
        to student ids; without one a student's id is their Gradescope ``sid``.
    wheel
        A convmath wheel to ship; default: built from the source tree convmath
        runs from.

    Returns
    -------
    list of str
        The names in the zip.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from grader.cli.demo import examples_dir
    >>> ex = examples_dir()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     fake = Path(tmp, "convmath-0.1.0-py3-none-any.whl"); _ = fake.write_bytes(b"PK")
    ...     build_bundle(ex / "assignment.toml", ex / "secret.txt", Path(tmp, "ag.zip"), wheel=fake)
    ['convmath.json', 'run_autograder', 'setup.sh', 'assignment/assignment.toml', 'secret.txt',
     'wheels/convmath-0.1.0-py3-none-any.whl']
    """
    load_assignment(assignment)  # every check, with the file named in the messages
    secret = read_secret(secret_file)
    students = load_roster(roster) if roster is not None else None
    files = bundle_files(assignment)
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="convmath-bundle-") as tmp:
        if wheel is None:
            wheel_path = build_wheel(Path(tmp))
        else:
            wheel_path = Path(wheel)
            if not (wheel_path.is_file() and wheel_path.name.startswith("convmath-") and wheel_path.suffix == ".whl"):
                raise ConvMathError(f"--wheel={str(wheel)!r} must be a convmath-*.whl file")
        config = {
            "assignment": files[0][1],
            "secret": "secret.txt",
            "roster": "roster.csv" if students is not None else None,
        }
        entries: list[tuple[str, bytes, int]] = [
            (CONFIG, (json.dumps(config, indent=2) + "\n").encode(), 0o644),
            ("run_autograder", RUN_AUTOGRADER.encode(), 0o755),
            ("setup.sh", SETUP_SH.encode(), 0o755),
        ]
        entries += [(name, path.read_bytes(), 0o644) for path, name in files]
        entries.append(("secret.txt", secret + b"\n", 0o600))
        if roster is not None:
            entries.append(("roster.csv", Path(roster).read_bytes(), 0o600))
        entries.append((f"wheels/{wheel_path.name}", wheel_path.read_bytes(), 0o644))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.tmp")
        with zipfile.ZipFile(partial, "w") as bundle:
            for name, data, mode in entries:
                bundle.writestr(_entry(name, mode), data)
        os.replace(partial, out)
    return [name for name, _, _ in entries]


# --- running inside Gradescope ------------------------------------------------------------------


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def student_for(metadata: Mapping[str, Any], roster: Sequence[Student] | None) -> str:
    """The student id of a Gradescope submission, from ``submission_metadata.json``.

    Parameters
    ----------
    metadata
        The parsed ``submission_metadata.json`` (its ``users``: ``sid``,
        ``id``, ``email``, ``name``; a group submission lists several).
    roster
        With a roster, the first user it knows, matched by student id
        (``sid``, then ``id``), then email, then name (case and spacing
        ignored; a name shared by two students matches neither); without one,
        the first user's ``sid``, else their Gradescope ``id``.

    Returns
    -------
    str

    Raises
    ------
    ConvMathError
        No user, or none the roster knows, or no usable id.

    Examples
    --------
    >>> roster = [Student("s001", name="Li Wei", email="li@uni.edu"), Student("s002", name="Wang Fang")]
    >>> student_for({"users": [{"email": "LI@uni.edu", "id": 9, "name": "x"}]}, roster)
    's001'
    >>> student_for({"users": [{"email": "w@x", "id": 8, "name": "wang  fang"}]}, roster)
    's002'
    >>> student_for({"users": [{"email": "z@x", "id": 1, "name": "Zhao"}]}, roster)
    Traceback (most recent call last):
    convmath.errors.ConvMathError: Gradescope user 'Zhao' <z@x> (id 1) is not in the course roster
    """
    users = metadata.get("users") if isinstance(metadata, Mapping) else None
    users = [u for u in users if isinstance(u, Mapping)] if isinstance(users, list) else []
    if not users:
        raise ConvMathError("submission_metadata.json names no user")
    if roster is None:
        first = users[0]
        for key in ("sid", "id"):
            value = str(first.get(key) or "")
            if SAFE_ID.fullmatch(value):
                return value
        raise ConvMathError(
            f"Gradescope user {_who(first)} has no usable student id (sid); build the bundle with --roster"
        )
    by_id = {s.student_id: s.student_id for s in roster}
    by_email = {s.email.casefold(): s.student_id for s in roster if s.email}
    names: dict[str, list[str]] = {}
    for s in roster:
        if s.name:
            names.setdefault(_norm(s.name), []).append(s.student_id)
    for user in users:
        for found in (
            by_id.get(str(user.get("sid") or "")),
            by_id.get(str(user.get("id") or "")),
            by_email.get(str(user.get("email") or "").strip().casefold()),
            (names.get(_norm(user.get("name"))) or [None, None])[0]
            if len(names.get(_norm(user.get("name")), [])) == 1
            else None,
        ):
            if found:
                return found
    raise ConvMathError(f"Gradescope user {_who(users[0])} is not in the course roster")


def _who(user: Mapping[str, Any]) -> str:
    return for_terminal(f"{str(user.get('name') or '')!r} <{user.get('email') or ''}> (id {user.get('id')})", limit=200)


def _pick_notebook(folder: Path, student: str) -> Path:
    from .batch import collect

    if not folder.is_dir():
        raise ConvMathError("the submission folder is missing")
    notebooks, _ = collect([folder])
    if len(notebooks) == 1:
        return notebooks[0]
    named = [p for p in notebooks if p.name == f"{student}.ipynb"]
    if len(named) == 1:
        return named[0]
    if not notebooks:
        seen = sorted(p.name for p in folder.rglob("*") if p.is_file())[:10]
        raise ConvMathError(
            "no notebook (.ipynb) was found in the submission"
            + (f" (it holds {', '.join(seen)})" if seen else " (it is empty)")
        )
    raise ConvMathError(
        f"the submission holds {len(notebooks)} notebooks "
        f"({', '.join(p.name for p in notebooks[:10])}); hand in exactly one"
    )


def _text(value: Any) -> str:
    return for_terminal(str(value), multiline=True)


def _results(context: Any, result: Any) -> dict[str, Any]:
    from .export import gradescope_results

    out = gradescope_results(result, locale=context.locale)
    out["output"] = _text(out["output"])
    for test in out["tests"]:
        test["output"] = _text(test["output"])
        test["name"] = _text(test["name"])
    out["output_format"] = out["test_output_format"] = "text"  # shown as plain text, never as HTML/Markdown
    return out


def _failure(reason: str) -> dict[str, Any]:
    return {
        "score": 0.0,
        "output": _text(f"This submission could not be graded: {reason}"),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _grade(root: Path) -> dict[str, Any]:
    from .grade import GradingContext, grade_submission, refuse

    source = root / "source"
    if not (source / CONFIG).is_file():
        raise ConvMathError(f"the autograder bundle is missing ({source / CONFIG} not found)")
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    assignment_path = source / config["assignment"]
    load_assignment(assignment_path)
    data = tomllib.loads(assignment_path.read_text(encoding="utf-8"))
    roster = load_roster(source / config["roster"]) if config.get("roster") else None
    context = GradingContext(
        assignment_data=data,
        secret=read_secret(source / config["secret"]),
        roster=None if roster is None else frozenset(s.student_id for s in roster),
    )
    try:
        metadata = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        student = student_for(metadata, roster)
        notebook = _pick_notebook(root / "submission", student)
    except (OSError, ValueError) as err:  # ConvMathError is a ValueError
        reason = f"{type(err).__name__}: {err}" if not isinstance(err, ConvMathError) else str(err)
        return _results(context, refuse("", "", reason, context))
    size = notebook.stat().st_size
    if size > context.max_bytes:  # refused unread, as ``convmath grade`` does
        return _results(
            context,
            refuse(
                f"{student}.ipynb",
                "",
                (
                    f"the notebook is {size / 2**20:.1f} MB; the limit is {context.max_bytes / 2**20:.0f} MB "
                    "(clear the outputs: Kernel > Restart & Clear Output, save, and hand it in again)"
                ),
                context,
            ),
        )
    # Gradescope has authenticated the student: grade the notebook as theirs (a notebook whose
    # metadata names someone else is flagged, as in ``convmath grade``)
    result = grade_submission(notebook.read_bytes(), f"{student}.ipynb", context)
    return _results(context, result)


def run_autograder(root: str | Path | None = None) -> dict[str, Any]:
    """Grade the submission in ``ROOT/submission/`` into ``ROOT/results/results.json``.

    Parameters
    ----------
    root
        Default ``$CONVMATH_AUTOGRADER_ROOT``, else ``/autograder``.

    Returns
    -------
    dict
        What was written: Gradescope's results format (``score``, ``output``,
        ``tests`` with one entry per part, their visibility and feedback).
        Any failure gives a zero with the reason, never no file.

    Examples
    --------
    Without a bundle in ``ROOT/source`` the result is still a valid zero:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = run_autograder(tmp)
    ...     written = json.loads(Path(tmp, "results", "results.json").read_text())
    >>> written == out, out["score"]
    (True, 0.0)
    >>> print(out["output"])  # doctest: +ELLIPSIS
    This submission could not be graded: the autograder failed (ConvMathError: the autograder bundle is missing
    (.../source/convmath.json not found)); please tell your instructor
    """
    root = Path(root if root is not None else os.environ.get("CONVMATH_AUTOGRADER_ROOT") or "/autograder")
    try:
        results = _grade(root)
    except Exception as err:  # noqa: BLE001 - whatever happens, Gradescope gets a valid file
        if not isinstance(err, ConvMathError):
            traceback.print_exc()  # for the instructor: Gradescope shows stdout/stderr to staff only
        results = _failure(f"the autograder failed ({type(err).__name__}: {err}); please tell your instructor")
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".results.json.tmp"
    partial.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, folder / "results.json")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m grader.gradescope``: what the bundle's ``run_autograder`` runs.

    Examples
    --------
    >>> import tempfile, contextlib, io
    >>> with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
    ...     os.environ["CONVMATH_AUTOGRADER_ROOT"] = tmp
    ...     try:
    ...         main([])
    ...     finally:
    ...         del os.environ["CONVMATH_AUTOGRADER_ROOT"]
    convmath autograder: score 0; 0 parts
    0
    """
    results = run_autograder()
    print(f"convmath autograder: score {fmt_points(results['score'])}; {len(results['tests'])} parts")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
