"""Assignments, rosters, secrets, and building one student's exercises."""

from __future__ import annotations

from pathlib import Path

import pytest

from convmath.errors import ConvMathError
from exercises.assignment import (
    build_exercises,
    load_assignment,
    load_roster,
    parse_assignment,
    read_secret,
)
from exercises.families._common import to_plain

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SECRET = b"0123456789abcdef-test-secret"


def _data(**changes):
    data = {
        "id": "w1",
        "title": "Week 1",
        "course": "CS",
        "slots": [
            {"id": "q1", "family": "conv_output_size", "difficulty": 1, "points": 2},
            {"id": "q2", "family": "cross_correlation_by_hand", "difficulty": 2, "points": 4},
        ],
    }
    data.update(changes)
    return data


def test_example_assignment_loads():
    assignment = load_assignment(EXAMPLES / "assignment.toml")
    assert assignment.id == "week3-convolutions"
    assert assignment.locales == ("en", "zh") and assignment.locale == "en"
    assert len(assignment.slots) == 10
    assert "food_digestion" in [slot.family for slot in assignment.slots]
    assert assignment.title["zh"] == "第三周：卷积运算"


def test_locales_as_a_string_is_one_locale():
    # locales = "zh" (a string where a list was meant) is read as ["zh"], like locale = "zh".
    assert parse_assignment(_data(locales="zh"), check_options=False).locales == ("zh",)
    assert parse_assignment(_data(locales="zh"), check_options=False) == parse_assignment(
        _data(locales=["zh"]), check_options=False
    )


def test_defaults_and_title_for_every_locale():
    assignment = parse_assignment(
        {"id": "a", "title": "T", "locale": "zh", "slots": [{"id": "q1", "family": "network_table"}]}
    )
    slot = assignment.slots[0]
    assert (slot.difficulty, slot.points, dict(slot.options)) == (1, None, {})
    assert assignment.locales == ("zh",) and assignment.title == {"en": "T", "zh": "T"}


@pytest.mark.parametrize(
    "changes, message",
    [
        pytest.param({"id": "../w1"}, r"id='../w1' is not allowed", id="unsafe-id"),
        pytest.param({"colour": 1}, r"key 'colour' is not allowed", id="unknown-key"),
        pytest.param(
            {"locales": ["en", "fr"]}, r"locales=\['en', 'fr'\] is not allowed; use one of 'en', 'zh'", id="locale"
        ),
        pytest.param({"locale": "en", "locales": ["en"]}, r"either locale= or locales=", id="both-locales"),
        pytest.param({"title": {"zh": "x"}}, r"has no text for locale 'en'", id="title-locale"),
        pytest.param({"slots": []}, r"has no slots", id="no-slots"),
        pytest.param({"slots": 3}, r"^slots=3 must be an array of tables: add \[\[slots\]\] tables$", id="slots-int"),
        pytest.param(
            {"slots": {"id": "q1", "family": "network_table"}},
            r"^slots=\{'id': 'q1', 'family': 'network_table'\} must be an array of tables",
            id="slots-one-table",
        ),
        pytest.param(
            {"locales": "fr"}, r"^locales='fr' is not allowed; use one of 'en', 'zh'$", id="locales-string-unknown"
        ),
        pytest.param(
            {"locales": []}, r"^locales=\[\] must be a locale or a non-empty list of them$", id="locales-empty"
        ),
        pytest.param(
            {"slots": [{"id": "q1", "family": "nope"}]}, r"slot 'q1': family='nope' is not a known family", id="family"
        ),
        pytest.param(
            {"slots": [{"id": "q1", "family": "network_table", "difficulty": 7}]},
            r"slot 'q1': difficulty=7 is not allowed for family 'network_table'; use one of 1, 2, 3",
            id="difficulty",
        ),
        pytest.param(
            {"slots": [{"id": "q1", "family": "network_table"}, {"id": "q1", "family": "network_table"}]},
            r"slot 'q1': duplicate slot id='q1'",
            id="duplicate-slot",
        ),
        pytest.param(
            {"slots": [{"id": "1q", "family": "network_table"}]}, r"slot 1: id='1q' is not allowed", id="slot-id"
        ),
        pytest.param(
            {"slots": [{"id": "q1", "family": "network_table", "points": -1}]},
            r"slot 'q1': points=-1 must be a positive number",
            id="points",
        ),
        pytest.param(
            {"slots": [{"id": "q1", "family": "network_table", "weight": 1}]},
            r"slot 1: key 'weight' is not allowed",
            id="slot-key",
        ),
        pytest.param(
            {"slots": [{"id": "q1", "family": "cross_correlation_by_hand", "options": {"channels": 9}}]},
            r"slot 'q1' \(family 'cross_correlation_by_hand'\): channels=9 must be 1, 2 or 3",
            id="options",
        ),
    ],
)
def test_bad_assignments(changes, message):
    with pytest.raises(ConvMathError, match=message):
        parse_assignment(_data(**changes))


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text('id = "w1"\n[[slots]\n', encoding="utf-8")
    with pytest.raises(ConvMathError, match=r"a\.toml: not valid TOML"):
        load_assignment(path)
    with pytest.raises(ConvMathError, match=r"missing\.toml: cannot read the assignment"):
        load_assignment(tmp_path / "missing.toml")


def test_an_unreadable_question_file_is_named_as_a_question(tmp_path):
    from exercises.assignment import read_assignment_data

    (tmp_path / "a.toml").write_text('id = "w1"\n[[slots]]\nid = "q1"\nquestion = "q.toml"\n', encoding="utf-8")
    (tmp_path / "q.toml").write_bytes("title = 'caf\u00e9'\n".encode("latin-1"))
    with pytest.raises(ConvMathError, match=r"q\.toml: the question must be UTF-8 text"):
        read_assignment_data(tmp_path / "a.toml")
    (tmp_path / "q.toml").unlink()
    with pytest.raises(ConvMathError, match=r"q\.toml: cannot read the question"):
        read_assignment_data(tmp_path / "a.toml")


def test_roster(tmp_path):
    students = load_roster(EXAMPLES / "roster.csv")
    assert [s.student_id for s in students][:2] == ["s001", "s002"]
    assert students[0].name == "Li Wei" and students[-1].email == ""
    path = tmp_path / "r.csv"
    path.write_text("\ufeffstudent_id\nA-1\n\nb_2\n", encoding="utf-8")  # BOM and a blank line
    assert [s.student_id for s in load_roster(path)] == ["A-1", "b_2"]


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("id,name\n1,x\n", r"has no 'student_id' column", id="column"),
        pytest.param("student_id\ns1\ns1\n", r"line 3: duplicate student_id='s1' \(first on line 2\)", id="duplicate"),
        pytest.param("student_id\n../x\n", r"line 2: student_id='../x' is not allowed", id="unsafe"),
        pytest.param("student_id\na b\n", r"student_id='a b' is not allowed", id="space"),
        pytest.param("student_id\n", r"lists no students", id="empty"),
    ],
)
def test_bad_rosters(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConvMathError, match=message):
        load_roster(path)


def test_secret(tmp_path):
    assert read_secret(EXAMPLES / "secret.txt") == b"convmath-demo-secret-not-for-real-courses-0001"
    path = tmp_path / "s"
    path.write_bytes(b"# comment\nshort\n")
    with pytest.raises(ConvMathError, match=r"the secret has 5 bytes; use at least 16"):
        read_secret(path)


def test_build_is_reproducible_and_per_student():
    assignment = parse_assignment(_data())
    alice = build_exercises(assignment, SECRET, "alice")
    assert to_plain([ex for _, ex in alice]) == to_plain([ex for _, ex in build_exercises(assignment, SECRET, "alice")])
    bob = build_exercises(assignment, SECRET, "bob")
    assert to_plain(alice[1][1].params) != to_plain(bob[1][1].params)
    other_secret = build_exercises(assignment, SECRET + b"x", "alice")
    assert to_plain(alice[1][1].params) != to_plain(other_secret[1][1].params)
    assert [slot.id for slot, _ in alice] == ["q1", "q2"]


def test_points_scaled_to_the_slot():
    assignment = parse_assignment(_data())
    built = build_exercises(assignment, SECRET, "alice")
    assert [round(ex.points, 9) for _, ex in built] == [2.0, 4.0]


def test_repeated_answer_names_get_the_slot_id():
    assignment = parse_assignment(
        _data(
            slots=[
                {"id": "q1", "family": "cross_correlation_by_hand"},
                {"id": "q2", "family": "cross_correlation_by_hand"},
            ]
        )
    )
    (_, first), (_, second) = build_exercises(assignment, SECRET, "alice")
    assert [p.answer.name for p in first.parts] == ["out_shape", "Y"]
    assert [p.answer.name for p in second.parts] == ["out_shape_q2", "Y_q2"]
    assert "`Y_q2`" in second.parts[1].prompt["en"] and second.parts[1].solution_code.startswith("Y_q2 = ")
    # the code name is renamed, the mathematical object is not: `Y_q2` names the variable, $Y$ the output
    assert "$Y$" in second.parts[1].prompt["en"] and "$Y_q2" not in second.parts[1].prompt["en"]


def test_bad_student_id_and_secret():
    assignment = parse_assignment(_data())
    with pytest.raises(ConvMathError, match=r"student_id='a/b' is not allowed"):
        build_exercises(assignment, SECRET, "a/b")
    with pytest.raises(ConvMathError, match=r"secret must be non-empty bytes"):
        build_exercises(assignment, b"", "alice")


def test_a_renamed_function_keeps_its_signature_in_step():
    from exercises.notebook import answer_stub

    assignment = parse_assignment(
        _data(
            slots=[
                {"id": "q1", "family": "implement_function", "options": {"function": "out_size"}},
                {"id": "q2", "family": "implement_function", "options": {"function": "out_size"}},
            ]
        )
    )
    (_, _), (_, second) = build_exercises(assignment, SECRET, "alice")
    spec = second.parts[0].answer
    assert (spec.name, spec.signature) == ("out_size_q2", "out_size_q2(n, k, p=0, s=1)")
    assert answer_stub(spec).startswith("def out_size_q2(n, k, p=0, s=1):")
