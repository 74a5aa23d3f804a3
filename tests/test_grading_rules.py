"""Issue 12's grading rules: integral floats, diagnosis, reveal, exact points, error carried forward."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from exercises.assignment import build_exercises, parse_assignment
from exercises.families import generate
from exercises.model import AnswerSpec, Part, Points, WrongAnswer, as_points
from grader.checks import CheckOptions, check_part
from grader.grade import exact_points

SHAPE = Part(
    "a",
    {"en": "?"},
    AnswerSpec("shape", "s", expected=(6, 34, 34)),
    1,
    (WrongAnswer("forgot_plus_one", (6, 33, 33)), WrongAnswer("padding_once", (6, 33, 33))),
)
INT = Part(
    "a",
    {"en": "?"},
    AnswerSpec("integer", "n", expected=168),
    1,
    (WrongAnswer("forgot_plus_one", 3), WrongAnswer("padding_once", 3), WrongAnswer("ignored_stride", 7)),
)


# ------------------------------------------------------------------ one rule for integral floats


@pytest.mark.parametrize(
    "part, answer",
    [
        pytest.param(INT, 168.0, id="integer-float"),
        pytest.param(INT, np.float64(168.0), id="integer-numpy-float"),
        pytest.param(SHAPE, (6.0, 34.0, 34.0), id="shape-floats"),
        pytest.param(SHAPE, [6, 34.0, 34], id="shape-some-floats"),
        pytest.param(SHAPE, np.array([6.0, 34.0, 34.0]), id="shape-float-array"),
    ],
)
def test_integral_floats_are_accepted_with_a_note_for_every_integer_kind(part: Part, answer: object) -> None:
    result = check_part(part, answer)
    assert result.status == "correct" and "float" in result.message and result.details["note"]
    refused = check_part(part, answer, options=CheckOptions(accept_integral_float=False))
    assert refused.status == "incorrect" and "float" in refused.message


@pytest.mark.parametrize(
    "answer, shown", [((6.5, 34, 34), "6.5"), ((True, 34, 34), "True"), ((6, float("nan"), 3), "nan")]
)
def test_a_shape_that_is_not_integral_names_the_entry(answer: tuple, shown: str) -> None:
    result = check_part(SHAPE, answer)
    assert result.status == "incorrect" and shown in result.message


def test_network_table_shapes_take_integral_floats() -> None:
    ex = generate("network_table", 3, difficulty=2)
    part = next(p for p in ex.parts if p.answer.kind == "shape")
    floats = tuple(float(v) for v in part.answer.expected)
    assert check_part(part, floats).status == "correct"


# ------------------------------------------------------------------ diagnosis


def test_a_value_several_mistakes_explain_names_them_all() -> None:
    result = check_part(INT, 3)
    assert result.misconception is None and result.details["misconceptions"] == ["forgot_plus_one", "padding_once"]
    assert "forgot the +1" in result.message and "padding counted once" in result.message


def test_a_value_one_mistake_explains_names_it() -> None:
    result = check_part(INT, 7)
    assert result.misconception == "ignored_stride" and "stride 1" in result.message


def test_generated_variants_prefer_distinct_mistakes(monkeypatch: pytest.MonkeyPatch) -> None:
    import exercises.families as fam

    def shared(name: str, level: int) -> int:
        return sum(fam._shared_wrongs(generate(name, seed, difficulty=level)) is not None for seed in range(60))

    cases = [("conv_output_size", 2), ("cross_correlation_by_hand", 2), ("pool_output_size", 2)]
    preferred = sum(shared(*c) for c in cases)
    monkeypatch.setattr(fam, "_PREFER_DISTINCT", 0)
    indifferent = sum(shared(*c) for c in cases)
    assert preferred < indifferent


# ------------------------------------------------------------------ reveal


@pytest.mark.parametrize(
    "reveal, expected_shown, mistake_shown",
    [("always", True, True), ("diagnosis", False, True), ("never", False, False)],
)
def test_reveal_levels(reveal: str, expected_shown: bool, mistake_shown: bool) -> None:
    result = check_part(INT, 7, options=CheckOptions(reveal=reveal))
    assert ("168" in result.message) == expected_shown
    assert ("stride" in result.message) == mistake_shown
    assert result.status == "incorrect"


@pytest.mark.parametrize("reveal", ["diagnosis", "never"])
def test_reveal_hides_a_function_s_expected_result(reveal: str) -> None:
    from convmath.numeric import corr2d
    from convmath.testing.runner import local_call

    part = generate("implement_function", 0, difficulty=1, options={"function": "corr2d"}).parts[0]
    result = check_part(
        part, None, call=local_call(lambda X, K: corr2d(X, np.flip(K))), options=CheckOptions(reveal=reveal)
    )
    assert result.status == "incorrect" and "expected" not in result.message
    assert ("flips the kernel" in result.message) == (reveal == "diagnosis")


def test_reveal_in_the_assignment_is_checked() -> None:
    data = {"id": "w", "title": "t", "reveal": "sometimes", "slots": [{"id": "q1", "family": "conv_output_size"}]}
    with pytest.raises(
        ValueError, match=r"reveal='sometimes' is not allowed; use one of 'never', 'diagnosis', 'always'"
    ):
        parse_assignment(data, check_options=False)
    assert parse_assignment({**data, "reveal": "never"}, check_options=False).reveal == "never"


# ------------------------------------------------------------------ exact points


def test_three_parts_of_a_four_point_slot_sum_to_four_exactly() -> None:
    a = parse_assignment(
        {"id": "w", "title": "t", "slots": [{"id": "q1", "family": "fc_vs_conv", "difficulty": 3, "points": 4}]}
    )
    ((slot, ex),) = build_exercises(a, b"0123456789abcdef", "alice")
    assert len(ex.parts) == 3 and all(p.points == Fraction(4, 3) for p in ex.parts)
    assert ex.points == 4 and sum(p.points for p in ex.parts) == 4
    assert sum((exact_points(float(p.points)) for p in ex.parts), Fraction(0)) == 4


def test_part_points_from_the_assignment() -> None:
    a = parse_assignment(
        {
            "id": "w",
            "title": "t",
            "slots": [{"id": "q1", "family": "conv_macs", "difficulty": 1, "part_points": {"a": 2, "b": 0.5}}],
        }
    )
    ((_, ex),) = build_exercises(a, b"0123456789abcdef", "alice")
    assert [p.points for p in ex.parts][:2] == [2, Fraction(1, 2)]
    with pytest.raises(ValueError, match="part_points key 'z' is not a part"):
        build_exercises(
            parse_assignment(
                {"id": "w", "title": "t", "slots": [{"id": "q1", "family": "conv_macs", "part_points": {"z": 1}}]},
                check_options=False,
            ),
            b"0123456789abcdef",
            "a",
        )


def test_points_format_like_floats() -> None:
    assert f"{Points(4, 3):.2f}" == "1.33" and as_points(0.1) == Fraction(1, 10)


def test_a_correct_notebook_scores_its_maximum_exactly_in_every_export() -> None:
    import csv
    import io
    import json

    from grader.export import class_csv, gradescope_results, json_dump
    from grader.grade import GradingContext, grade_submission
    from grader.sandbox import SandboxLimits
    from grader.simulate import filled_notebook, notebook_bytes

    data = {
        "id": "thirds",
        "title": "t",
        "locale": "en",
        "slots": [
            {"id": "q1", "family": "fc_vs_conv", "difficulty": 3, "points": 4},
            {"id": "q2", "family": "fc_vs_conv", "difficulty": 3, "points": 10},
            {"id": "q3", "family": "network_table", "difficulty": 2, "points": 18},
        ],
    }
    secret = b"0123456789abcdef0123456789abcdef"
    assignment = parse_assignment(data)
    exercises = build_exercises(assignment, secret, "alice")
    context = GradingContext(data, secret, limits=SandboxLimits(cell_timeout=5, total_timeout=60, cpu_seconds=60))
    result = grade_submission(notebook_bytes(filled_notebook(assignment, "alice", exercises)), "alice.ipynb", context)
    assert result.status == "graded" and all(p.status == "correct" for p in result.parts)
    assert result.score == result.max_score == context.max_score == 32
    gs = gradescope_results(result)
    assert gs["score"] == 32 and sum(exact_points(t["score"]) for t in gs["tests"]) == 32
    dumped = json.loads(json_dump([result]))
    dumped = dumped[0] if isinstance(dumped, list) else next(iter(dumped.values()))
    row = next(csv.DictReader(io.StringIO(class_csv([result]))))
    assert str(32) in json.dumps(dumped) and "32.00000000000001" not in json.dumps(dumped)
    assert "32.00000000000001" not in class_csv([result]) and row


# ------------------------------------------------------------------ error carried forward


def _table_notebook(carry: object) -> tuple[object, object]:
    from grader.grade import GradingContext, grade_submission
    from grader.sandbox import SandboxLimits
    from grader.simulate import filled_notebook, notebook_bytes

    slot = {"id": "q1", "family": "network_table", "difficulty": 2}
    if carry is not None:
        slot["carry_forward"] = carry
    data = {"id": "cf", "title": "t", "locale": "en", "slots": [slot]}
    secret = b"0123456789abcdef0123456789abcdef"
    assignment = parse_assignment(data)
    exercises = build_exercises(assignment, secret, "alice")
    ((_, ex),) = exercises
    first = ex.parts[0]  # the first convolution's output shape, answered two too big in each spatial dimension
    c, h, w = first.answer.expected
    from exercises.families.network_table import implied

    wrong = {first.key: (c, h + 2, w + 2)}
    args = ex.parts[1].carry_forward["args"]
    answers = {("q1", first.key): f"{first.answer.name} = {(c, h + 2, w + 2)!r}"}
    followed = 0
    for part in ex.parts[1:]:
        value = implied(wrong, target=part.key, **args)
        if value is not None and value != part.answer.expected:
            followed += 1
            answers[("q1", part.key)] = f"{part.answer.name} = {value!r}"
    nb = filled_notebook(assignment, "alice", exercises, answers=answers)
    context = GradingContext(data, secret, limits=SandboxLimits(cell_timeout=5, total_timeout=60, cpu_seconds=60))
    return grade_submission(notebook_bytes(nb), "alice.ipynb", context), followed


def test_later_cells_that_follow_from_a_wrong_shape_get_credit() -> None:
    result, followed = _table_notebook(None)
    assert followed >= 1
    statuses = [p.status for p in result.parts]
    assert statuses[0] == "incorrect" and statuses.count("correct") == len(statuses) - 1
    assert sum("error carried forward" in p.message for p in result.parts) == followed
    assert result.score == result.max_score - 1


def test_carry_forward_off_or_partial() -> None:
    off, followed = _table_notebook(False)
    assert sum(p.status == "incorrect" for p in off.parts) == 1 + followed
    half, _ = _table_notebook(0.5)
    assert sum(p.status == "partial" for p in half.parts) == followed
    assert half.score == half.max_score - 1 - followed / 2


def test_reveal_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli.grade import main

    assert main(["subs", "--assignment", "a.toml", "--secret-file", "s.txt", "--reveal", "sometimes"]) == 2
    assert "invalid choice: 'sometimes'" in capsys.readouterr().err


def test_out_size_states_its_domain() -> None:
    part = generate("implement_function", 0, difficulty=1, options={"function": "out_size"}).parts[0]
    assert part.answer.config["max_value"] >= 10**6


# ------------------------------------------------------------------ one sampler, the whole domain


def test_one_definition_of_the_domains_and_one_sampler() -> None:
    import exercises.domains as domains
    import grader.expr
    from exercises.families import _common
    from exercises.questions import question
    from grader import checks

    assert grader.expr.DOMAINS is domains.DOMAINS is _common.DOMAINS is question.DOMAINS
    spec = AnswerSpec("expression", "e", symbols={"n": "positive_integer"}, bounds={"n": (5, None)})
    assert tuple(checks._points(spec, CheckOptions())) == domains.sample_points(
        {"n": "positive_integer"}, {"n": (5, None)}
    )


def test_a_formula_wrong_only_beyond_40_is_refused() -> None:
    ex = generate("output_size_formula", 0, difficulty=1)
    part = next(p for p in ex.parts if p.answer.kind == "expression")
    first = sorted(part.answer.symbols)[0]
    key = str(part.answer.expected)
    assert check_part(part, key).status == "correct"
    assert check_part(part, f"{key} + floor({first}/41)").status == "incorrect"
    assert check_part(part, f"{key} + floor({first}/1000)").status == "incorrect"


def test_digestion_accepts_a_form_valid_for_every_t() -> None:
    ex = generate("food_digestion", 0, difficulty=2)
    part = next(p for p in ex.parts if p.answer.kind == "expression")
    ((low, _),) = part.answer.bounds.values()
    everywhere = str(part.answer.expected).replace("t", f"Max(t, {low})")
    assert check_part(part, everywhere).status == "correct"
    assert check_part(part, str(part.answer.expected)).status == "correct"
