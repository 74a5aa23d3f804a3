"""Every misuse of the ``convmath`` command: one line on stderr, exit status 2, never a traceback.

One table, one row per misuse, grouped by command. Rows run in-process
through :func:`convmath.cli.main` (the dispatcher a user's ``convmath`` runs);
one row per command is also run as a real subprocess to check the console
entry point end to end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from convmath.cli import COMMANDS, main
from exercises.bundled import examples_dir

EX = examples_dir()
ASSIGNMENT, ROSTER, SECRET = (str(EX / name) for name in ("assignment.toml", "roster.csv", "secret.txt"))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Paths the table refers to as {name}: bad encodings, an existing file, unwritable places."""
    text = (EX / "assignment.toml").read_text(encoding="utf-8")
    (tmp_path / "utf16.toml").write_bytes(text.encode("utf-16"))
    latin = (
        'id = "w1"\ntitle = "Semaine 1: la convolution, déjà vue"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n'
    )
    (tmp_path / "latin1.toml").write_bytes(latin.encode("latin-1"))
    (tmp_path / "roster16.csv").write_bytes("student_id\ns001\n".encode("utf-16"))
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "subs").mkdir()
    from grader.gradebook import Gradebook

    with Gradebook(tmp_path / "g.db"):  # an empty gradebook, for the report's rows
        pass
    return {
        "utf16": str(tmp_path / "utf16.toml"),
        "latin1": str(tmp_path / "latin1.toml"),
        "roster16": str(tmp_path / "roster16.csv"),
        "file": str(tmp_path / "a-file"),
        "under_file": str(tmp_path / "a-file" / "out"),
        "unwritable": "/proc/convmath-cannot-write-here/out",
        "subs": str(tmp_path / "subs"),
        "tmp": str(tmp_path),
        "missing": str(tmp_path / "no-such.toml"),
    }


GEN = ["generate", "{assignment}", "--roster", ROSTER, "--secret-file", SECRET, "--out", "{tmp}/gen", "--jobs", "1"]
GRADE = [
    "grade",
    "{subs}",
    "--assignment",
    "{assignment}",
    "--secret-file",
    SECRET,
    "--gradebook",
    "{tmp}/g.db",
    "--out",
    "{tmp}/grades",
    "--quiet",
]


def _with(base: list[str], **change: str) -> list[str]:
    """``base`` with option values replaced (``out="{file}"``) and {assignment} filled (default: the example)."""
    argv = list(base)
    for option, value in change.items():
        if option == "assignment":
            continue
        argv[argv.index("--" + option.replace("_", "-")) + 1] = value
    return [a.replace("{assignment}", change.get("assignment", ASSIGNMENT)) for a in argv]


# (command, id, argv, a fragment of the one-line message)
MISUSES = [
    ("convmath", "unknown-command", ["transmogrify"], "unknown command 'transmogrify'"),
    ("convmath", "unknown-option", ["--frobnicate"], "unknown option '--frobnicate'"),
    ("explain", "no-layer", ["explain", "--n", "8", "--kernel-size", "3"], "required: layer"),
    ("explain", "bad-layer", ["explain", "conv3d", "--n", "8", "--kernel-size", "3"], "invalid choice: 'conv3d'"),
    ("explain", "n-not-int", ["explain", "conv", "--n", "eight", "--kernel-size", "3"], "invalid int value: 'eight'"),
    ("explain", "zero-stride", ["explain", "conv", "--n", "8", "--kernel-size", "3", "--stride", "0"], "stride=0"),
    ("explain", "kernel-too-big", ["explain", "conv", "--n", "3", "--kernel-size", "5"], "kernel_size=5"),
    (
        "explain",
        "negative-padding",
        ["explain", "conv", "--n", "8", "--kernel-size", "3", "--padding", "-1"],
        "padding=-1",
    ),
    ("shape", "unknown-spec", ["shape", "resnet9000"], "'resnet9000' is not a bundled spec"),
    ("shape", "missing-file", ["shape", "{missing}"], "no-such.toml"),
    ("shape", "utf16-spec", ["shape", "{utf16}"], "utf16.toml"),
    ("shape", "bad-format", ["shape", "lenet5", "--format", "pdf"], "invalid choice: 'pdf'"),
    ("generate", "utf16-assignment", _with(GEN, assignment="{utf16}"), "must be UTF-8"),
    ("generate", "latin1-assignment", _with(GEN, assignment="{latin1}"), "must be UTF-8"),
    ("generate", "missing-assignment", _with(GEN, assignment="{missing}"), "cannot read the assignment"),
    ("generate", "utf16-roster", _with(GEN, roster="{roster16}"), "roster must be UTF-8"),
    ("generate", "out-is-a-file", _with(GEN, out="{file}"), "is an existing file"),
    ("generate", "out-under-a-file", _with(GEN, out="{under_file}"), "is a file, not a folder"),
    ("generate", "out-unwritable", _with(GEN, out="{unwritable}"), "cannot be created"),
    ("generate", "jobs-zero", _with(GEN, jobs="0"), "jobs=0"),
    ("generate", "no-roster", ["generate", ASSIGNMENT, "--secret-file", SECRET, "--out", "{tmp}/g"], "--roster"),
    ("preview", "unknown-family", ["preview", "no_such_family"], "no_such_family"),
    ("preview", "bad-seed", ["preview", "conv_output_size", "--seed", "x"], "invalid int value: 'x'"),
    ("preview", "bad-locale", ["preview", "conv_output_size", "--locale", "fr"], "invalid choice: 'fr'"),
    ("grade", "utf16-assignment", _with(GRADE, assignment="{utf16}"), "must be UTF-8"),
    ("grade", "latin1-assignment", _with(GRADE, assignment="{latin1}"), "must be UTF-8"),
    ("grade", "out-is-a-file", _with(GRADE, out="{file}"), "is an existing file"),
    ("grade", "out-unwritable", _with(GRADE, out="{unwritable}"), "cannot be created"),
    ("grade", "gradebook-under-a-file", _with(GRADE, gradebook="{under_file}/g.db"), "is a file, not a folder"),
    ("grade", "gradebook-is-a-folder", _with(GRADE, gradebook="{subs}"), "is a folder"),
    ("grade", "assignment-is-a-folder", _with(GRADE, assignment="{tmp}"), "cannot read the assignment"),
    ("grade", "missing-secret", _with(GRADE, secret_file="{missing}"), "cannot read the secret"),
    ("grade", "missing-submissions", ["grade", "{tmp}/nowhere", *_with(GRADE)[2:]], "does not exist"),
    ("grade", "negative-cell-timeout", [*_with(GRADE), "--cell-timeout", "-1"], "cell-timeout=-1"),
    ("grade", "no-secret", ["grade", "{subs}", "--assignment", ASSIGNMENT], "--secret-file"),
    ("grade", "jobs-zero", [*GRADE[:1], *_with(GRADE)[1:], "--jobs", "0"], "--jobs=0"),
    ("grade", "bad-scheduler", [*_with(GRADE), "--scheduler", "localhost:8786"], "--scheduler='localhost:8786'"),
    ("grade", "jobs-and-scheduler", [*_with(GRADE), "--jobs", "2", "--scheduler", "local:2"], "--jobs=2"),
    ("demo", "out-is-a-file", ["demo", "--out", "{file}"], "is an existing file"),
    ("demo", "out-under-a-file", ["demo", "--out", "{under_file}"], "is a file, not a folder"),
    ("demo", "out-unwritable", ["demo", "--out", "{unwritable}"], "cannot be created"),
    ("demo", "jobs-not-int", ["demo", "--jobs", "two"], "invalid int value: 'two'"),
    ("report", "no-gradebook", ["report", "--assignment", ASSIGNMENT], "--gradebook"),
    ("report", "utf16-assignment", ["report", "--gradebook", "{tmp}/g.db", "--assignment", "{utf16}"], "UTF-8"),
    (
        "report",
        "out-is-a-file",
        ["report", "--gradebook", "{tmp}/g.db", "--assignment", ASSIGNMENT, "--out", "{file}"],
        "{file}",
    ),
    (
        "report",
        "bad-locale",
        ["report", "--gradebook", "{tmp}/g.db", "--assignment", ASSIGNMENT, "--locale", "fr"],
        "invalid choice: 'fr'",
    ),
    ("check", "no-notebook", ["check"], "required: notebook"),
    ("check", "missing-notebook", ["check", "{missing}"], "cannot be read"),
    ("check", "not-a-notebook", ["check", "{utf16}"], "the notebook cannot be read"),
    ("check", "zero-timeout", ["check", "{utf16}", "--cell-timeout", "0"], "--cell-timeout=0"),
    ("check-question", "no-file", ["check-question"], "required: FILE_OR_FAMILY"),
    ("check-question", "missing-file", ["check-question", "{missing}"], "cannot read the question"),
    ("check-question", "utf16-file", ["check-question", "{utf16}"], "utf16.toml: the question must be UTF-8"),
    ("check-question", "unknown-family", ["check-question", "no_such_family"], "no_such_family"),
    ("gradescope", "no-secret", ["gradescope", ASSIGNMENT], "--secret-file"),
    (
        "gradescope",
        "utf16-assignment",
        ["gradescope", "{utf16}", "--secret-file", SECRET, "--out", "{tmp}/a.zip"],
        "UTF-8",
    ),
    (
        "gradescope",
        "out-is-a-folder",
        ["gradescope", ASSIGNMENT, "--secret-file", SECRET, "--out", "{subs}"],
        "is a folder",
    ),
    (
        "gradescope",
        "out-under-a-file",
        ["gradescope", ASSIGNMENT, "--secret-file", SECRET, "--out", "{under_file}/a.zip"],
        "is a file, not a folder",
    ),
    (
        "gradescope",
        "out-in-a-file",
        ["gradescope", ASSIGNMENT, "--secret-file", SECRET, "--out", "{file}/a.zip"],
        "the folder of --out={file} is an existing file",
    ),
    (
        "gradescope",
        "not-a-wheel",
        ["gradescope", ASSIGNMENT, "--secret-file", SECRET, "--out", "{tmp}/a.zip", "--wheel", "{file}"],
        "must be a convmath-*.whl file",
    ),
    ("examples", "no-folder", ["examples"], "required: DIR"),
    ("examples", "dest-is-a-file", ["examples", "{file}"], "is an existing file"),
    ("examples", "dest-unwritable", ["examples", "{unwritable}"], "cannot be created"),
]


def _fill(argv: list[str], files: dict[str, str]) -> list[str]:
    return [arg.format(**files) if "{" in arg else arg for arg in argv]


@pytest.mark.parametrize(
    ("command", "argv", "fragment"), [pytest.param(c, a, f, id=f"{c}-{i}") for c, i, a, f in MISUSES]
)
def test_a_misuse_is_one_line_and_exit_status_2(
    command: str, argv: list[str], fragment: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fragment = fragment.format(**files)
    status = main(_fill(argv, files))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("convmath"), lines[0]
    assert fragment in lines[0]


def test_every_command_has_misuse_rows() -> None:
    assert set(COMMANDS) <= {command for command, *_ in MISUSES}


def test_the_table_reaches_the_console_entry_point(files: dict[str, str]) -> None:
    """The same misuse through a real process: the output is the message alone."""
    for argv in (
        ["generate", files["utf16"], "--roster", ROSTER, "--secret-file", SECRET, "--out", files["file"]],
        ["demo", "--out", files["under_file"]],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "convmath.cli", *argv],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr


def _parsers(monkeypatch: pytest.MonkeyPatch, command: str) -> list[argparse.ArgumentParser]:
    """The argument parsers that ``convmath COMMAND --help`` builds, captured as it parses."""
    seen: list[argparse.ArgumentParser] = []
    original = argparse.ArgumentParser.parse_args

    def spy(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> argparse.Namespace:
        seen.append(self)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", spy)
    assert main([command, "--help"]) == 0
    return seen


RST = ("``", ":func:", ":class:", ":mod:", ":data:", ".. ", "::")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_of_every_command_has_plain_words_help(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parsers = _parsers(monkeypatch, command)
    shown = capsys.readouterr().out
    assert parsers, f"convmath {command} --help built no parser"
    for parser in parsers:
        for action in parser._actions:
            assert action.help and action.help.strip(), f"convmath {command}: {action.option_strings or action.dest}"
    assert not [marker for marker in RST if marker in shown], shown


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import convmath

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"convmath {convmath.__version__}"
