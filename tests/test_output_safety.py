"""Output too big or speaking to the wrong audience (issue 11).

Submissions whose messages, notes and names are huge or carry terminal
escapes, bidi overrides, Markdown and HTML are graded through the real
command; every export per student stays under a bound, and nothing the
student controls reaches the terminal or a file raw.
"""

from __future__ import annotations

import json

import pytest

from exercises.assignment import build_exercises, parse_assignment
from grader.cli.grade import main as grade_main
from grader.gradebook import Gradebook
from grader.simulate import filled_notebook, notebook_bytes

TOML = 'id = "b"\ntitle = "t"\n[[slots]]\nid = "q1"\nfamily = "conv_output_size"\n'
SECRET = b"batch-secret-0123456789"
ASSIGNMENT = parse_assignment({"id": "b", "title": "t", "slots": [{"id": "q1", "family": "conv_output_size"}]})
#: the most bytes any one export file may hold for one student
FILE_BOUND = 256 << 10
HOSTILE_TEXT = (
    "\x1b]0;owned\x07\x1b[2J\x1b[HAll graded\r **bold** _it_ # head [x](http://evil.example) "
    "www.evil.example <script>alert(1)</script> \u202eevil\u2066 &amp;"
)
RAW = ["\x1b", "\x07", "\u202e", "\u2066", "<script>", "\r"]


def _notebook(student: str, *cells: str) -> bytes:
    exercises = build_exercises(ASSIGNMENT, SECRET, student)
    return notebook_bytes(filled_notebook(ASSIGNMENT, student, exercises, extra_cells=[(None, cell) for cell in cells]))


CASES = {
    "s001": ["raise ValueError('A' * (10 << 20))"],
    "s002": ["Big = type('N' * (10 << 20), (), {})\nout_size = Big()"],
    "s003": [f"raise RuntimeError({HOSTILE_TEXT!r})"],
    "s004": ["raise KeyError(1)"] * 300,
    "s005": [f"class E(Exception):\n    pass\nE.__name__ = E.__qualname__ = {HOSTILE_TEXT!r} * 3\nraise E('x')"],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("out")
    subs = tmp / "subs"
    subs.mkdir()
    for student, cells in CASES.items():
        (subs / f"{student}.ipynb").write_bytes(_notebook(student, *cells))
    (subs / "s006\x1b]0;owned\x07\x1b[2J.ipynb").write_bytes(b"not json \x1b[31m")
    (subs / "s007\u202egnp.ipynb").write_bytes(b"{")
    (tmp / "a.toml").write_text(TOML)
    (tmp / "s").write_bytes(SECRET)
    argv = [
        str(subs),
        "--assignment",
        str(tmp / "a.toml"),
        "--secret-file",
        str(tmp / "s"),
        "--gradebook",
        str(tmp / "g.db"),
        "--out",
        str(tmp / "out"),
        "--quiet",
        "--jobs",
        "2",
        "--timeout",
        "30",
    ]
    return tmp, argv


def test_terminal_output_is_inert(graded, capsys):
    tmp, argv = graded
    grade_main(argv)
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        for raw in RAW:
            assert raw not in text, (raw, text[:2000])
    assert "s006\\x1b]0;owned\\x07" in captured.err  # shown, escaped visibly
    assert len(captured.err) < 64 << 10
    with Gradebook(tmp / "g.db") as book:
        current = {r.source: r for r in book.current("b")}
    for student in CASES:
        result = current[f"{student}.ipynb"]
        assert result.status == "graded" and result.score <= 1.0
        assert len(json.dumps(result.to_dict())) < FILE_BOUND


@pytest.mark.parametrize("student", list(CASES))
def test_every_export_file_is_bounded_and_inert(graded, student):
    tmp, _ = graded
    out = tmp / "out"
    if not (out / student).exists():
        pytest.fail("the exports were not written (test_terminal_output_is_inert runs the batch first)")
    for path in [out / student / "feedback.md", out / student / "results.json"]:
        data = path.read_bytes()
        assert len(data) < FILE_BOUND, (path, len(data))
        text = data.decode("utf-8")
        for raw in RAW if path.suffix == ".md" else [r for r in RAW if r != "<script>"]:
            assert raw not in text, (path, raw)
    assert json.loads((out / student / "results.json").read_text())["output_format"] == "text"  # not HTML
    feedback = (out / student / "feedback.md").read_text()
    if student == "s003":
        assert "\\*\\*bold\\*\\*" in feedback and "http\\:" in feedback and "\\<script\\>" in feedback
    if student in ("s001", "s002"):
        assert "truncated" in feedback
    if student == "s004":
        assert "more truncated" in feedback or "270 more" in feedback


def test_class_files_are_bounded(graded):
    tmp, _ = graded
    for name in ("grades.json", "grades.csv"):
        data = (tmp / "out" / name).read_bytes()
        assert len(data) < FILE_BOUND * len(CASES)
        for raw in RAW if name.endswith(".csv") else [r for r in RAW if r != "<script>"]:  # JSON is data
            assert raw not in data.decode("utf-8")
