"""The grading parent does bounded work on student data (issue 11).

Attacks on the parent's side of the boundary: replies that announce huge or
deeply nested values, expressions that ask sympy for astronomically many
digits, source that the parent's own parser cannot take, and grader failures
that would otherwise be retried on every run. Each must end, quickly and with
little memory, in a zero with a reason, never in a stall or a ``failed``.
"""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest
import sympy

from exercises.assignment import build_exercises, parse_assignment
from exercises.model import AnswerSpec, Part
from grader.batch import MAX_ATTEMPTS, run_batch
from grader.bounded import TooCostly, run_limited, time_limit
from grader.checks import check_part
from grader.expr import ExpressionError, parse_expression
from grader.grade import GradingContext, grade_submission
from grader.gradebook import Gradebook
from grader.sandbox import Sandbox, SandboxLimits, find_forbidden_imports, protocol, strip_magics
from grader.sandbox.client import _parse
from grader.simulate import answer_parts, filled_notebook, notebook_bytes

T = {"t": "positive_real"}
#: seconds any one of these attacks may cost the grader (generous: 2 loaded cores)
BOUND = 20.0


# ----------------------------------------------------------------- decoding replies


@pytest.mark.parametrize(
    "shape",
    [[0, 2**62, 2**62], [0, 2**31 - 1, 2**31 - 1, 2**31 - 1], [2**40], [-1], [0] * 33],
    ids=["zero-times-huge", "three-big-dims", "one-huge-dim", "negative", "too-many-dims"],
)
def test_announced_array_shapes_are_refused_before_allocating(shape):
    wire = {"$": "ndarray", "dtype": "<f8", "shape": shape, "data": ""}
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(wire)


def test_ten_million_empty_lists_are_refused_before_parsing():
    raw = json.dumps(
        {"id": 1, "nonce": "x", "values": [{"status": "ok", "value": [[]] * 10_000_000, "message": ""}]}
    ).encode()
    assert len(raw) > 30_000_000
    tracemalloc.start()
    start = time.monotonic()
    with pytest.raises(protocol.ProtocolError, match="more than"):
        _parse(raw)
    elapsed = time.monotonic() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0 and peak < 10 << 20


@pytest.mark.parametrize(
    "cell",
    ["x = [[]] * 10_000_000", "x = [0.5] * 2_000_000", "x = {i: [] for i in range(600_000)}"],
    ids=["empty-lists", "floats", "dict"],
)
def test_values_with_too_many_items_are_unserializable_with_a_reason(cell):
    with Sandbox(SandboxLimits(cell_timeout=10)) as box:
        assert box.run_cell(cell, index=0).status == "ok"
        tracemalloc.start()
        value = box.get(["x"])["x"]
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert value.status == "unserializable" and "items" in value.message
        assert box.alive  # refused by the child: the sandbox carries on
    assert peak < 32 << 20


def test_a_huge_class_name_is_cut_in_the_child():
    cell = "Big = type('A' * (10 << 20), (), {})\nx = Big()"
    with Sandbox(SandboxLimits(cell_timeout=10)) as box:
        box.run_cell(cell, index=0)
        value = box.get(["x"])["x"]
        call = box.call("Big", ())
    assert value.status == "unserializable" and len(value.message) < 1000
    assert "truncated" in value.message
    assert len(call.message) < 1000


# ----------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    "text",
    [
        "floor(exp(10**40))",
        "ceil(exp(exp(9)))",
        "floor(exp(exp(exp(3))))",
        "floor(10**256 * exp(300)**20)",
        "ceil(pi**256 * 10**256 * 10**256 * 10**256 * 10**256 * 10**256)",
    ],
)
def test_huge_numbers_are_refused_while_parsing(text):
    start = time.monotonic()
    with pytest.raises(ExpressionError):
        parse_expression(text, T)
    assert time.monotonic() - start < 3.0


def test_slow_parses_stop_at_the_time_limit():
    text = " + ".join(f"floor(10**256*pi + {i})" for i in range(12))
    start = time.monotonic()
    try:
        parse_expression(text, T)
    except ExpressionError as err:
        assert "longer than" in str(err) or "cannot be computed" in str(err)
    assert time.monotonic() - start < 5.0


@pytest.mark.parametrize(
    "text",
    ["ceil(10**(10**t))", "ceil(exp(exp(t)))", "floor(2**(2**(2**t)))", "ceil(t**(10**200))", "floor(exp(t*10**100))"],
)
def test_towers_are_wrong_with_a_reason_not_a_stall(text):
    t = sympy.Symbol("t", positive=True)
    part = Part("a", {"en": "?"}, AnswerSpec("expression", "f", expected=t + 1, symbols=T), 2.0)
    start = time.monotonic()
    try:
        result = check_part(part, text)
    except TooCostly as err:
        assert "took longer" in str(err) or "MiB" in str(err)
    else:
        assert result.score == 0 and result.message
    assert time.monotonic() - start < BOUND


def test_run_limited_bounds_time_memory_and_reports_errors():
    def hog():
        return len(bytearray(2 << 30))

    def forever():
        while True:
            pass

    with pytest.raises(TooCostly, match="MiB"):
        run_limited(hog, memory=64 << 20)
    start = time.monotonic()
    with pytest.raises(TooCostly, match="longer than"):
        run_limited(forever, seconds=0.3)
    assert time.monotonic() - start < 2.0
    with pytest.raises(ArithmeticError, match="ZeroDivisionError"):
        run_limited(lambda: 1 // 0)
    with time_limit(1.0) as armed:
        assert armed


# ----------------------------------------------------------------- parsing source, failed

DATA = {
    "id": "bounds",
    "title": "Bounds",
    "locale": "en",
    "slots": [
        {"id": "q1", "family": "conv_output_size", "points": 2},
        {"id": "q2", "family": "food_digestion", "points": 2},
    ],
}
ASSIGNMENT = parse_assignment(DATA)
SECRET = b"bounds-secret-0123456789abcdef"
CHAIN = "x = a" + ".b" * 300_000


def test_the_parents_own_parsers_survive_a_300000_long_attribute_chain():
    assert strip_magics(CHAIN).code == CHAIN
    assert find_forbidden_imports(CHAIN, {"torch"}) == []


def _expression_part(student):
    parts = answer_parts(build_exercises(ASSIGNMENT, SECRET, student))
    return next((slot, part) for slot, part in parts if part.answer.kind == "expression")


@pytest.fixture(scope="module")
def context():
    return GradingContext(DATA, SECRET, limits=SandboxLimits(cell_timeout=10, total_timeout=40, cpu_seconds=40))


@pytest.mark.parametrize("attack", ["chain-cell", "tower-answer", "ten-million-lists"])
def test_notebook_attacks_on_the_parent_get_a_zero_with_a_reason(attack, context):
    student = f"s-{attack}"
    exercises = build_exercises(ASSIGNMENT, SECRET, student)
    honest = notebook_bytes(filled_notebook(ASSIGNMENT, student, exercises))
    slot, part = _expression_part(student)
    if attack == "chain-cell":
        nb = filled_notebook(ASSIGNMENT, student, exercises, extra_cells=[(None, CHAIN)])
    elif attack == "tower-answer":
        nb = filled_notebook(
            ASSIGNMENT, student, exercises, answers={(slot.id, part.key): f"{part.answer.name} = 'ceil(10**(10**t))'"}
        )
    else:
        nb = filled_notebook(
            ASSIGNMENT, student, exercises, answers={(slot.id, part.key): f"{part.answer.name} = [[]] * 10_000_000"}
        )
    start = time.monotonic()
    result = grade_submission(notebook_bytes(nb), f"{student}.ipynb", context)
    assert time.monotonic() - start < 2 * BOUND
    best = grade_submission(honest, f"{student}.ipynb", context)
    assert result.status in ("graded", "error"), result.message
    assert result.score <= best.score
    if attack == "chain-cell":
        assert any("RecursionError" in note or "too" in note for note in result.notes), result.notes
    else:
        outcome = next(p for p in result.parts if p.slot == slot.id and p.part == part.key)
        assert outcome.score == 0 and outcome.message, outcome


def _always_fails(context_data, source, data):  # a grader bug, every time
    raise RuntimeError("grader bug")


def test_a_failing_submission_is_retried_a_bounded_number_of_times(tmp_path, context):
    sub = tmp_path / "s001.ipynb"
    sub.write_bytes(notebook_bytes(filled_notebook(ASSIGNMENT, "s001", build_exercises(ASSIGNMENT, SECRET, "s001"))))
    with Gradebook(tmp_path / "g.db") as book:
        for _ in range(MAX_ATTEMPTS + 2):
            summary = run_batch([sub], context, book, jobs=1, grade_fn=_always_fails)
            assert summary.failed == 1
        assert book.failures(book.get(1).content_hash, "s001.ipynb", context.version) == MAX_ATTEMPTS
        assert any("GRADER BUG" in w and "s001.ipynb" in w for w in summary.warnings)
        forced = run_batch([sub], context, book, jobs=1, force=True)
        assert forced.graded == 1
