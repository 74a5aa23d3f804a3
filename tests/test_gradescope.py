"""The Gradescope autograder bundle: what the zip holds, who the student is, and results.json in every case.

The fast tests build bundles with a stand-in wheel and run the autograder in
this process; the slow one builds the real wheel, installs it with the
bundle's own ``setup.sh`` into a fresh virtual environment and runs the
bundle's ``run_autograder`` as Gradescope would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from _course import two_slot_toml

from convmath.cli import main as convmath_main
from convmath.errors import ConvMathError
from exercises.assignment import Student, build_exercises, parse_assignment
from grader.gradescope import build_bundle, run_autograder, student_for
from grader.simulate import answer_parts, filled_notebook, notebook_bytes, wrong_answer_source

SECRET = b"gradescope-secret-0123456789abcdef"
ASSIGNMENT_TOML = two_slot_toml("gs", "Gradescope", points=(2, 1))
OTHER_TOML = ASSIGNMENT_TOML.replace('id = "gs"', 'id = "other"')
ROSTER = "student_id,name,email\ns001,Li Wei,li.wei@example.edu\ns002,Wang Fang,wang.fang@example.edu\n"
ASSIGNMENT = parse_assignment(tomllib.loads(ASSIGNMENT_TOML))


@pytest.fixture
def course(tmp_path) -> Path:
    (tmp_path / "hw.toml").write_text(ASSIGNMENT_TOML)
    (tmp_path / "other.toml").write_text(OTHER_TOML)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "convmath-0.1.0-py3-none-any.whl").write_bytes(b"stand-in wheel")
    return tmp_path


def _bundle(course: Path, name: str = "ag.zip", **options) -> Path:
    options.setdefault("wheel", course / "convmath-0.1.0-py3-none-any.whl")
    build_bundle(course / "hw.toml", course / "secret.txt", course / name, **options)
    return course / name


def test_the_zip_holds_the_scripts_this_assignment_the_secret_the_roster_and_the_wheel_only(course):
    zipped = zipfile.ZipFile(_bundle(course, roster=course / "roster.csv"))
    assert sorted(zipped.namelist()) == sorted(
        [
            "setup.sh",
            "run_autograder",
            "convmath.json",
            "assignment/hw.toml",
            "secret.txt",
            "roster.csv",
            "wheels/convmath-0.1.0-py3-none-any.whl",
        ]
    )  # nothing of other.toml, the folder's other assignment
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zipped.infolist()}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755 and modes["secret.txt"] == 0o600
    assert zipped.read("secret.txt").strip() == SECRET
    assert json.loads(zipped.read("convmath.json")) == {
        "assignment": "assignment/hw.toml",
        "secret": "secret.txt",
        "roster": "roster.csv",
    }
    assert zipped.read("setup.sh").startswith(b"#!/usr/bin/env bash\n")


def test_the_same_course_gives_the_same_zip_bytes(course):
    assert _bundle(course, "a.zip").read_bytes() == _bundle(course, "b.zip").read_bytes()


def test_question_files_named_by_the_assignment_are_bundled_and_must_stay_below_it(course):
    (course / "questions").mkdir()
    (course / "questions" / "rf.toml").write_text("# a question file\n")
    (course / "questions" / "unused.toml").write_text("# not named\n")
    named = ASSIGNMENT_TOML + '\n[[slots]]\nid = "q3"\nquestion = "questions/rf.toml"\n'
    from grader.gradescope import bundle_files

    (course / "hw.toml").write_text(named)
    assert [name for _, name in bundle_files(course / "hw.toml")] == [
        "assignment/hw.toml",
        "assignment/questions/rf.toml",
    ]
    (course / "hw.toml").write_text(named.replace("questions/rf.toml", "../rf.toml"))
    with pytest.raises(ConvMathError, match=r"question='\.\./rf\.toml' \(slot 'q3'\) must be a path below"):
        bundle_files(course / "hw.toml")
    (course / "hw.toml").write_text(named.replace("questions/rf.toml", "questions/none.toml"))
    with pytest.raises(ConvMathError, match=r"question='questions/none\.toml' \(slot 'q3'\) does not exist"):
        bundle_files(course / "hw.toml")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.toml"], "cannot read the assignment"),
        (["hw.toml", "--wheel", "secret.txt"], "--wheel='.*secret.txt' must be a convmath-\\*.whl file"),
        (["hw.toml", "--roster", "missing.csv"], "missing.csv"),
        (["hw.toml", "--out", "questions"], "--out=.*questions is a folder: give a file name such as autograder.zip"),
        (["hw.toml", "--out", "secret.txt/ag.zip"], "--out"),
    ],
    ids=["no-assignment", "not-a-wheel", "no-roster", "out-is-a-folder", "out-below-a-file"],
)
def test_bad_arguments_exit_2_with_a_one_line_error(course, argv, message, capsys):
    (course / "questions").mkdir()
    argv = [str(course / a) if not a.startswith("--") else a for a in argv]
    out = [] if "--out" in argv else ["--out", str(course / "ag.zip")]
    assert convmath_main(["gradescope", *argv, "--secret-file", str(course / "secret.txt"), *out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("convmath gradescope: error:") and len(err.splitlines()) == 1
    import re

    assert re.search(message, err)
    assert not (course / "ag.zip").exists()


ROSTER_STUDENTS = [
    Student("s001", name="Li Wei", email="li.wei@example.edu"),
    Student("s002", name="Wang Fang"),
    Student("s003", name="Wang Fang"),
    Student("12345"),
]


@pytest.mark.parametrize(
    "user, roster, expected",
    [
        ({"sid": "s002", "email": "x@y", "name": "Zhao", "id": 1}, ROSTER_STUDENTS, "s002"),
        ({"email": "LI.WEI@example.edu ", "name": "Someone", "id": 2}, ROSTER_STUDENTS, "s001"),
        ({"email": "", "name": "  li   WEI ", "id": 3}, ROSTER_STUDENTS, "s001"),
        ({"email": "", "name": "", "id": 12345}, ROSTER_STUDENTS, "12345"),
        ({"sid": "s009", "email": "x@y", "name": "x", "id": 4}, None, "s009"),
        ({"sid": "../etc", "email": "x@y", "name": "x", "id": 4}, None, "4"),
        ({"email": "x@y", "name": "x", "id": 77}, None, "77"),
    ],
    ids=["roster-sid", "roster-email", "roster-name", "roster-gradescope-id", "sid", "unsafe-sid-uses-id", "id"],
)
def test_the_student_is_the_gradescope_user_through_the_roster(user, roster, expected):
    assert student_for({"users": [user]}, roster) == expected


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"users": []}, "names no user"),
        ({}, "names no user"),
        ({"users": "s001"}, "names no user"),
        ({"users": [{"name": "Wang Fang", "email": "w@x", "id": 5}]}, "is not in the course roster"),  # two Wang Fangs
        ({"users": [{"name": "Zhao", "email": "z@x", "id": 6}]}, r"Gradescope user 'Zhao' <z@x> \(id 6\) is not in"),
    ],
    ids=["empty", "missing", "not-a-list", "ambiguous-name", "unknown"],
)
def test_an_unknown_or_ambiguous_user_is_an_error_naming_them(metadata, message):
    with pytest.raises(ConvMathError, match=message):
        student_for(metadata, ROSTER_STUDENTS)


def test_a_group_submission_is_graded_as_the_first_member_the_roster_knows():
    users = [{"name": "Zhao", "email": "z@x", "id": 6}, {"name": "Li Wei", "email": "", "id": 7}]
    assert student_for({"users": users}, ROSTER_STUDENTS) == "s001"


# --- the autograder itself, in this process -----------------------------------------------------


def _unpack(bundle: Path, root: Path) -> Path:
    with zipfile.ZipFile(bundle) as zipped:
        zipped.extractall(root / "source")
    return root


def _metadata(**user) -> dict:
    return {"id": 1, "submission_method": "upload", "assignment": {"title": "hw"}, "users": [user]}


def _submit(root: Path, files: dict[str, bytes], metadata: dict | bytes | None) -> None:
    folder = root / "submission"
    if folder.exists():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if isinstance(metadata, bytes):
        (root / "submission_metadata.json").write_bytes(metadata)
    elif metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    else:
        (root / "submission_metadata.json").unlink(missing_ok=True)


def _key(student: str, answers: dict | None = None) -> bytes:
    return notebook_bytes(
        filled_notebook(ASSIGNMENT, student, build_exercises(ASSIGNMENT, SECRET, student), answers=answers)
    )


def _wrong(student: str) -> bytes:
    exercises = build_exercises(ASSIGNMENT, SECRET, student)
    slot, part = next((s, p) for s, p in answer_parts(exercises) if p.wrong_answers)
    return _key(student, {(slot.id, part.key): wrong_answer_source(part, part.wrong_answers[0])})


def _read(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture
def root(course, tmp_path_factory) -> Path:
    return _unpack(_bundle(course, roster=course / "roster.csv"), tmp_path_factory.mktemp("autograder"))


@pytest.mark.parametrize(
    "files, metadata, reason",
    [
        ({}, _metadata(sid="s001"), "no notebook (.ipynb) was found in the submission (it is empty)"),
        (
            {"notes.txt": b"hi"},
            _metadata(sid="s001"),
            "no notebook (.ipynb) was found in the submission (it holds notes.txt)",
        ),
        (
            {"a.ipynb": b"{}", "b.ipynb": b"{}"},
            _metadata(sid="s001"),
            "holds 2 notebooks (a.ipynb, b.ipynb); hand in exactly one",
        ),
        ({"hw.ipynb": b"{}"}, None, "No such file or directory"),
        (
            {"hw.ipynb": b"{}"},
            _metadata(name="\x1b[2J<b>Zhao</b>", email="z@x", id=9),
            r"Gradescope user '\x1b[2J<b>Zhao</b>' <z@x> (id 9) is not in the course roster",
        ),
        ({"hw.ipynb": b'{"nbformat": 4, "cells": ['}, _metadata(sid="s001"), "the file is not valid JSON"),
        ({"hw.ipynb": b" " * (21 << 20)}, _metadata(sid="s001"), "the notebook is 21.0 MB; the limit is 20 MB"),
        ({"hw.ipynb": b"{}"}, b'{"users": [{"sid": "s0', "JSONDecodeError"),
    ],
    ids=[
        "empty",
        "no-notebook",
        "two-notebooks",
        "no-metadata",
        "unknown-user-escaped",
        "broken-notebook",
        "too-big",
        "metadata-not-json",
    ],
)
def test_every_failure_still_writes_a_valid_results_json_with_a_zero_and_the_reason(root, files, metadata, reason):
    _submit(root, files, metadata)
    results = run_autograder(root)
    assert _read(root) == results
    assert results["score"] == 0 and results["tests"] == [] and results["output_format"] == "text"
    assert reason in results["output"]
    assert "\x1b" not in json.dumps(results, ensure_ascii=False)


def test_a_key_filled_notebook_scores_the_maximum_and_a_wrong_one_names_the_misconception(root):
    _submit(
        root, {"my work/homework (1).ipynb": _key("s002")}, _metadata(email="wang.fang@example.edu", name="W", id=3)
    )
    full = run_autograder(root)
    assert full["score"] == 3.0 == sum(t["max_score"] for t in full["tests"])
    assert [t["status"] for t in full["tests"]] == ["passed", "passed"]
    assert all(t["visibility"] == "visible" and t["output"] for t in full["tests"])

    _submit(root, {"hw.ipynb": _wrong("s001")}, _metadata(sid="s001", name="Li Wei", email="", id=4))
    wrong = run_autograder(root)
    assert 0 <= wrong["score"] < 3.0
    failed = [t for t in wrong["tests"] if t["status"] == "failed"]
    assert len(failed) == 1 and "Likely misconception" in failed[0]["output"]


def test_a_notebook_generated_for_someone_else_is_graded_as_the_gradescope_user_and_flagged(root):
    _submit(root, {"hw.ipynb": _key("s002")}, _metadata(sid="s001", name="Li Wei", email="", id=4))
    results = run_autograder(root)
    assert results["score"] < 3.0  # s001's variant has other numbers
    assert "s002" in results["output"]  # the integrity flag names the notebook's owner


# --- end to end: the real wheel, setup.sh into a fresh venv, run_autograder -------------------------


@pytest.mark.slow
def test_setup_sh_installs_from_the_wheel_and_run_autograder_grades_key_wrong_and_broken(course, tmp_path_factory):
    bundle = course / "real.zip"
    assert (
        convmath_main(
            [
                "gradescope",
                str(course / "hw.toml"),
                "--secret-file",
                str(course / "secret.txt"),
                "--roster",
                str(course / "roster.csv"),
                "--out",
                str(bundle),
            ]
        )
        == 0
    )
    root = _unpack(bundle, tmp_path_factory.mktemp("gradescope-root"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CONVMATH_", "VIRTUAL_ENV"))}
    env.update(
        CONVMATH_AUTOGRADER_ROOT=str(root),
        CONVMATH_VENV_OPTIONS="--system-site-packages",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
    )
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")], env=env, cwd=root, capture_output=True, text=True, timeout=600
    )
    assert setup.returncode == 0, setup.stderr
    where = subprocess.run(
        [str(root / "venv" / "bin" / "python"), "-I", "-c", "import grader; print(grader.__file__)"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.startswith(str(root / "venv")), where  # from the wheel, not from a source tree

    def run(files: dict[str, bytes], **user) -> dict:
        _submit(root, files, _metadata(**user))
        (root / "results" / "results.json").unlink(missing_ok=True)
        done = subprocess.run(
            ["bash", str(root / "source" / "run_autograder")],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return _read(root)

    key = run({"hw1.ipynb": _key("s001")}, email="li.wei@example.edu", name="Li Wei", id=11)
    assert key["score"] == 3.0 == sum(t["max_score"] for t in key["tests"])
    wrong = run({"hw1.ipynb": _wrong("s002")}, sid="s002", name="Wang Fang", email="", id=12)
    assert 0 <= wrong["score"] < 3.0 and any(t["status"] == "failed" for t in wrong["tests"])
    broken = run({"hw1.ipynb": b'{"cells": [}'}, sid="s002", name="Wang Fang", email="", id=12)
    assert broken["score"] == 0 and "not valid JSON" in broken["output"]
