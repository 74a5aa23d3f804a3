"""The wheel a user installs: built from this tree, installed into a fresh venv outside it, ``convmath demo`` run there.

Slow (a wheel build and a demo: 15-25 s on a busy 2-core machine), still run by CI. To stay
fast and offline the fresh venv sees this interpreter's third-party packages
through a ``.pth`` file of plain paths (no editable finder of this tree is
loaded through it), but convmath itself is only the wheel's copy: the test
checks where ``convmath`` is imported from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of a copy of this tree in which ``convmath demo`` has already left its output folder."""
    out = tmp_path_factory.mktemp("wheel")
    tree = out / "tree"  # a copy: the build's egg-info and build/ stay out of the source tree
    shutil.copytree(
        ROOT,
        tree,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache", "_build"
        ),
    )
    feedback = tree / "convmath-demo" / "grades" / "s001" / "feedback.md"
    feedback.parent.mkdir(parents=True, exist_ok=True)
    feedback.write_text("a demo's output: not part of the package\n", encoding="utf-8")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(tree)]
    try:  # an offline build when this interpreter has a recent setuptools (CI's venv does)
        import setuptools

        if int(setuptools.__version__.split(".")[0]) >= 68:
            command.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    subprocess.run(command, check=True, cwd=out, env=_clean_env(), timeout=300)
    (found,) = out.glob("convmath-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_the_packages_and_the_examples_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert not [name for name in names if "convmath-demo" in name]
    assert {t for t in tops if not t.endswith(".dist-info")} == {"convmath", "exercises", "grader"}
    for data in (
        "exercises/examples/assignment.toml",
        "exercises/examples/roster.csv",
        "exercises/examples/secret.txt",
        "convmath/specs/lenet5.toml",
    ):
        assert data in names
    # Examples shipped in sub-folders of examples/ (question files) come along too.
    shipped = {
        p.relative_to(ROOT / "examples").as_posix()
        for p in (ROOT / "examples").rglob("*")
        if p.is_file() and p.suffix in (".toml", ".csv", ".txt", ".md", ".json")
    }
    assert {f"exercises/examples/{name}" for name in shipped} <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "convmath = convmath.cli:main" in entry_points


@pytest.mark.slow
def test_convmath_demo_runs_from_the_wheel_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)  # this pip installs into it (--python): no ensurepip, ~4 s less
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    parent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "convmath_test_parent.pth").write_text("\n".join(sorted(parent)) + "\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        env=_clean_env(),
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import convmath, exercises.bundled as b; print(convmath.__file__);print(b.examples_dir())"],
        cwd=work,
        env=_clean_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(env_dir) for p in where), where
    version = subprocess.run(
        [bin_dir / "convmath", "--version"], cwd=work, env=_clean_env(), capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("convmath ")
    demo = subprocess.run(
        [bin_dir / "convmath", "demo", "--out", "demo", "--jobs", "2"],
        cwd=work,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "graded" in demo.stdout and (work / "demo" / "grades" / "grades.csv").is_file()
    copied = subprocess.run(
        [bin_dir / "convmath", "examples", "course"], cwd=work, env=_clean_env(), capture_output=True, text=True
    )
    assert copied.returncode == 0, copied.stderr
    assert (work / "course" / "assignment.toml").read_bytes() == (ROOT / "examples" / "assignment.toml").read_bytes()
