"""Families in three steps: the answer names of a second slot reach every text (no rename afterwards, so
English words such as "flipped" stay as they are), and every text template renders in every locale."""

from __future__ import annotations

import re

import pytest

from exercises.assignment import build_exercises, parse_assignment
from exercises.families import families
from exercises.families._staged import TEXTS, texts_of

STAGED = sorted(path.stem for path in TEXTS.glob("*.toml"))


def test_the_restructured_families_are_staged():
    assert {
        "convolution_vs_correlation",
        "pool_output_size",
        "conv_transpose_output_size",
        "implement_function",
        "conv_inverse",
        "output_size_formula",
        "receptive_field_formula",
    } <= set(STAGED)
    for name in STAGED:
        assert families()[name].draw_named is not None, name


@pytest.mark.parametrize("name", STAGED)
@pytest.mark.parametrize("level", [1, 2, 3])
def test_two_slots_of_one_family_get_their_own_names_in_every_text(name, level):
    data = {
        "id": "w",
        "title": "t",
        "slots": [{"id": "q1", "family": name, "difficulty": level}, {"id": "q2", "family": name, "difficulty": level}],
    }
    renamed = 0
    for student in ("alice", "bob", "carol", "dave", "erin"):
        (_, first), (_, second) = build_exercises(parse_assignment(data), b"0123456789abcdef", student)
        taken = {part.answer.name for part in first.parts}
        for part in second.parts:
            new = part.answer.name
            old = new.removesuffix("_q2")
            assert (old in taken) == (new != old)  # renamed exactly when taken
            for locale in ("en", "zh"):
                assert f"`{new}" in part.prompt[locale]  # the part asks for its own name
            assert re.search(rf"\b{new}\b", part.solution_code)
            if new != old:
                renamed += 1
                assert not re.search(rf"\b{old}\b", part.solution_code)
        texts = " ".join([second.prompt["en"], *second.solution["en"], *(p.prompt["en"] for p in second.parts)])
        assert "_q2 kernel" not in texts
    assert renamed


def test_the_flip_solution_keeps_its_words():
    data = {
        "id": "w",
        "title": "t",
        "slots": [
            {"id": "q1", "family": "convolution_vs_correlation", "difficulty": 2},
            {"id": "q2", "family": "convolution_vs_correlation", "difficulty": 2},
        ],
    }
    ((_, second),) = build_exercises(parse_assignment(data), b"0123456789abcdef", "alice")[1:]
    assert any("with the flipped kernel" in step for step in second.solution["en"])
    assert "`flipped_q2`" in second.parts[-1].prompt["en"]


@pytest.mark.parametrize("name", STAGED)
def test_texts_exist_for_every_locale(name):
    texts = texts_of(name)
    assert set(texts["en"]["parts"]) == set(texts["zh"]["parts"])
    assert len(texts["en"]["solution"]) == len(texts["zh"]["solution"])


def test_a_renamed_inverse_answer_still_asks_for_the_layers_argument():
    """conv_inverse asks which `padding` (an argument of nn.Conv2d) gives a size; in a second slot the answer is
    `padding_q2`, but the layer's argument keeps its name (the rename afterwards turned it into `padding_q2`)."""
    data = {
        "id": "w",
        "title": "t",
        "slots": [{"id": f"q{i}", "family": "conv_inverse", "difficulty": 1} for i in (1, 2)],
    }
    renamed = 0
    for student in ("alice", "bob", "carol", "dave", "erin", "frank"):
        (_, _), (_, second) = build_exercises(parse_assignment(data), b"0123456789abcdef", student)
        name, unknown = second.parts[0].answer.name, second.params["unknown"]
        assert f"`{unknown}`" in second.prompt["en"] and f"`{unknown}`" in second.prompt["zh"]
        assert f"`{name}`" in second.parts[0].prompt["en"] and second.solution["en"][-1].startswith(
            f"Answer: `{name} ="
        )
        if name != unknown:
            renamed += 1
            assert name not in second.prompt["en"] + second.prompt["zh"]
    assert renamed


COURSE_TEXTS = """
[en]
prompt = "A sequence of length {{ n }} is downsampled by {{ s }}."
solution = ["{{ n }} // {{ s }} = {{ out }}.", "Answer: `{{ name.down }} = {{ out }}`."]
parts.down = "Define `{{ name.down }}`."

[zh]
prompt = "长度为 {{ n }} 的序列按 {{ s }} 下采样。"
solution = ["{{ n }} // {{ s }} = {{ out }}。", "答案：`{{ name.down }} = {{ out }}`。"]
parts.down = "请把结果赋给变量 `{{ name.down }}`。"
"""


def _course_family(texts):
    from exercises.families.api import Answer, AnswerSpec, Solved, staged, wrong_answers

    def draw(rng, level, options):
        return {"n": rng.randrange(8, 200, 2), "s": rng.choice((2, 4))}

    def solve(params):
        n, s = params["n"], params["s"]
        wrongs = wrong_answers(n // s, {"forgot_plus_one": lambda: n // s + 1})
        code = f"{{name}} = {n} // {s}"
        return Solved((Answer("a", AnswerSpec("integer", "down", n // s), code, wrongs),), values={"out": n // s})

    return staged(
        "course_down",
        title={"en": "Downsampling", "zh": "下采样"},
        difficulties=(1,),
        draw=draw,
        solve=solve,
        render=lambda params, solved, names: {},
        texts=texts,
    )


def test_a_course_family_in_three_steps_keeps_its_texts_in_its_own_file(tmp_path, clean_registry):
    from exercises.testing import check_family

    path = tmp_path / "course_down.toml"
    path.write_text(COURSE_TEXTS, encoding="utf-8")
    family = _course_family(path)
    assert check_family(family, seeds=20, roster=0).ok
    data = {"id": "w", "title": "t", "slots": [{"id": f"q{i}", "family": "course_down"} for i in (1, 2)]}
    (_, first), (_, second) = build_exercises(parse_assignment(data), b"0123456789abcdef", "alice")
    assert first.parts[0].prompt["zh"] == "请把结果赋给变量 `down`。"
    assert second.solution["en"][-1] == f"Answer: `down_q2 = {second.params['n'] // second.params['s']}`."


def test_a_broken_course_text_file_fails_at_registration(tmp_path, clean_registry):
    from convmath.errors import ConvMathError

    path = tmp_path / "course_down.toml"
    path.write_text(COURSE_TEXTS.split("[zh]")[0], encoding="utf-8")
    with pytest.raises(ConvMathError, match=r"course_down\.toml: no \[zh\] table with a prompt"):
        _course_family(path)
    assert "course_down" not in families()
