"""``convmath check-question``: each kind of broken question fails with its reason (exit 1); a bad file or
argument is one line with exit 2; ``convmath preview FILE`` and ``--list``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convmath.cli import main as convmath_main
from exercises.families import families

GOOD = """
id = "{id}"
title = {{ en = "T", zh = "题" }}
{top}
[params]
n = {{ range = [10, {nmax}] }}
k = {{ choices = [3, 5] }}
{params}
[prompt]
en = "{prompt}"
zh = "{zh}"

[[parts]]
name = "y"
answer = "{answer}"
misconceptions = [{misconceptions}]
"""


@pytest.fixture
def write(tmp_path, clean_registry):
    def make(
        qid="cq",
        top="",
        params="",
        nmax=500,
        prompt="length {{ n }}, kernel {{ k }}",
        zh="长度 {{ n }}，卷积核 {{ k }}",
        answer="conv_output_size(n, k)",
        misconceptions='"forgot_plus_one"',
    ):
        path = tmp_path / f"{qid}.toml"
        path.write_text(
            GOOD.format(
                id=qid,
                top=top,
                nmax=nmax,
                params=params,
                prompt=prompt,
                zh=zh,
                answer=answer,
                misconceptions=misconceptions,
            ),
            encoding="utf-8",
        )
        return str(path)

    return make


def run(capsys, *argv):
    status = convmath_main(["check-question", *argv, "--seeds", "40", "--roster", "60", "--no-mutation"])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_a_good_question_passes(write, capsys):
    status, out, _ = run(capsys, write())
    assert status == 0 and out.startswith("cq: ok"), out


BROKEN = {
    "never-satisfiable": (dict(top='require = ["n > 1000"]'), "draws: difficulty 1: constraints never satisfiable"),
    "rarely-satisfiable": (dict(top='require = ["n % 20 == 0"]'), "constraints rarely satisfiable: 9"),
    "seeds-without-variant": (dict(top='require = ["n == 10"]'), "seeds found no acceptable variant in 200 draws"),
    "undefined-placeholder": (dict(prompt="length {{ m }}"), "'m' is undefined"),
    "undefined-placeholder-zh-only": (dict(zh="长度 {{ n }}，卷积核 {{ kk }}"), "prompt.zh: 'kk' is undefined"),
    "key-not-computable": (dict(answer="conv_output_size(n, k) / 7"), "the key cannot be computed"),
    "misconception-gives-key": (
        dict(
            misconceptions='{ label = "forgot_plus_one", answer = "y_wrong" }',
            params='y_wrong = "conv_output_size(n, k) if n % 4 else conv_output_size(n, k) - 1"',
        ),
        "'forgot_plus_one' gives the key in 7",
    ),
    "misconception-never-diagnosable": (
        dict(misconceptions='"forgot_plus_one", { label = "ignored_stride", answer = "conv_output_size(n, k) - 1" }'),
        "'ignored_stride' is never diagnosable",
    ),
    "collisions": (
        dict(params="m = { choices = [1, 2] }", answer="m + 1", misconceptions="", nmax=12),
        "two students have the same variant with chance",
    ),
}


@pytest.mark.parametrize("kwargs, reason", BROKEN.values(), ids=list(BROKEN))
def test_a_broken_question_fails_with_its_reason(write, capsys, kwargs, reason):
    status, out, _ = run(capsys, write(**kwargs))
    assert status == 1, out
    assert reason in out and "FAIL" in out, out


ERRORS = {
    "missing-file": (["nope.toml"], "cannot read the question"),
    "bad-field": (None, "key 'colour' is not allowed"),
    "unknown-family": (["no_family"], "is not a known family"),
    "bad-seeds": (["conv_macs", "--seeds", "0"], "--seeds=0 must be a positive integer"),
    "bad-flag": (["conv_macs", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    "bad-option": (["conv_macs", "--option", "colour=1"], "option 'colour' is not allowed for family 'conv_macs'"),
    "bad-option-of-a-question": (
        [str(Path(__file__).parents[1] / "examples" / "questions" / "receptive_dilated.toml"), "--option", "x=1"],
        "option 'x' is not allowed for question 'receptive_dilated'; use 'max_layers'",
    ),
}


@pytest.mark.parametrize("argv, message", ERRORS.values(), ids=list(ERRORS))
def test_cli_errors_are_one_line_with_status_2(write, tmp_path, capsys, argv, message):
    if argv is None:
        bad = tmp_path / "bad.toml"
        bad.write_text('id = "bad"\ncolour = "red"\n')
        argv = [str(bad)]
    assert convmath_main(["check-question", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("convmath check-question: error:")


def test_preview_a_question_file_and_list_options(write, capsys):
    path = write()
    assert convmath_main(["preview", path, "--seed", "4", "--locale", "zh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# 题 (cq, difficulty 1, 种子 4") and "y = " in out and "forgot_plus_one" in out
    assert convmath_main(["preview", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("cq ") for line in lines)  # a loaded question is listed too
    for name, family in families().items():  # each family's options, with their defaults
        (line,) = [line for line in lines if line.split()[0] == name]
        assert all(f"{key}={json.dumps(value)}" in line for key, value in family.options.items()), line
        assert ("options:" in line) == bool(family.options), line
    question = Path(__file__).parents[1] / "examples" / "questions" / "receptive_dilated.toml"
    assert convmath_main(["preview", str(question), "--list"]) == 0  # the file is loaded, then listed
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("receptive_dilated ")]
    assert line.endswith("(difficulty 1,2; options: max_layers=4)")
    assert convmath_main(["preview", path, "--option", "colour=1"]) == 2
    assert "option 'colour' is not allowed for question 'cq'; use none" in capsys.readouterr().err


def test_a_function_reference_that_ignores_an_argument_fails_the_mutation_test(tmp_path, capsys, clean_registry):
    path = tmp_path / "fq.toml"
    path.write_text(
        'id = "fq"\ntitle = { en = "F", zh = "函数" }\n'
        'prompt = { en = "Write {{ signature.f }}.", zh = "编写 {{ signature.f }}。" }\n'
        '[[parts]]\nkind = "function"\nsignature = "f(n, kernel_size, padding)"\nop = "output_size"\n'
        'reference = "n - kernel_size + 1"\n',
        encoding="utf-8",
    )
    assert convmath_main(["check-question", str(path), "--seeds", "5", "--roster", "10"]) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL checks: difficulty 1, part a: mutation: mutant 'padding fixed to 0' passes the check (seeds 0, 1" in out
    )
