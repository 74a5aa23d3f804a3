"""The class report: statistics on a hand-made gradebook, escaping, the CLI, and the page in a real browser."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from grader.cli.report import main as report_main
from grader.gradebook import Gradebook
from grader.report import collect, report_html, report_markdown, write_report
from grader.report.examples import worked_example
from grader.report.stats import (
    class_summary,
    discrimination_index,
    flagged_submissions,
    histogram,
    misconception_ranking,
    part_stats,
)
from grader.results import PartOutcome, SubmissionResult, error_result

# ---------------------------------------------------------------- a hand-made class
# Ten students, two parts: q1.a (2 points, an output size) and q2.a (3 points, a function).
#   student  q1.a  label            q2.a  label / failing call
CLASS = [
    ("s01", 2, None, 3, None, None),
    ("s02", 2, None, 3, None, None),
    ("s03", 2, None, 0, "kernel_flipped", "corr2d(X=[[0, 1]], K=[[1, 2]])"),
    ("s04", 0, "padding_once", 3, None, None),
    ("s05", 0, "padding_once", 0, "kernel_flipped", "corr2d(X=[[0, 1]], K=[[1, 2]])"),
    ("s06", 0, "forgot_plus_one", 0, "kernel_flipped", "corr2d(X=[[1]], K=[[1]])"),
    ("s07", 1, "padding_once", 0, None, "corr2d(X=[[0, 1]], K=[[1, 2]])"),
    ("s08", 0, None, 0, None, None),
]


def _result(student: str, a: float, la: str | None, b: float, lb: str | None, call: str | None) -> SubmissionResult:
    parts = (
        PartOutcome(
            "q1", "a", "out_size", float(a), 2.0, "correct" if a == 2 else ("partial" if a else "incorrect"), "", la
        ),
        PartOutcome("q2", "a", "corr2d", float(b), 3.0, "correct" if b == 3 else "incorrect", "", lb, call),
    )
    return SubmissionResult(
        f"{student}.ipynb", "h" + student, student, "file name", "hw", "graded", float(a + b), 5.0, parts
    )


def _class() -> list[SubmissionResult]:
    results = [_result(*row) for row in CLASS]
    results.append(
        error_result(
            "s09.ipynb", "h9", assignment="hw", max_score=5.0, student="s09", message="the file is not valid JSON"
        )
    )
    results.append(
        SubmissionResult("s10.ipynb", "h10", "s10", "file name", "hw", "failed", 0.0, 5.0, message="worker crashed")
    )
    flagged = _result("s11", 2, None, 3, None, None)
    results.append(SubmissionResult(**{**flagged.__dict__, "flags": ("the notebook is an answer key",)}))
    return results


ROSTER = [f"s{i:02d}" for i in range(1, 14)]  # s12 and s13 are absent


def test_class_summary_counts_exactly() -> None:
    s = class_summary(_class(), roster=ROSTER)
    assert (s.roster, s.graded, s.refused, s.failed, s.absent, s.flagged) == (13, 9, 1, 1, 2, 1)
    # submitted: 8 of CLASS + s09 (0, refused) + s11 (5); totals 5 5 2 3 0 0 1 0 | 0 | 5
    assert s.scores == (0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0)
    assert s.mean == pytest.approx(21 / 10)
    assert s.median == pytest.approx((1 + 2) / 2)
    assert s.max_score == 5.0


def test_part_stats_exact() -> None:
    stats = {p.column: p for p in part_stats(_class())}
    q1, q2 = stats["q1.a"], stats["q2.a"]
    assert q1.answered == q2.answered == 9  # graded only: CLASS + s11
    assert q1.mean_score == pytest.approx((2 + 2 + 2 + 0 + 0 + 0 + 1 + 0 + 2) / 9)
    assert q1.share_correct == pytest.approx(4 / 9)
    assert q1.misconceptions == (("padding_once", 3), ("forgot_plus_one", 1))
    assert q2.share_correct == pytest.approx(4 / 9)
    assert q2.misconceptions == (("kernel_flipped", 3),)
    assert q2.examples == (("corr2d(X=[[0, 1]], K=[[1, 2]])", 3), ("corr2d(X=[[1]], K=[[1]])", 1))
    # weakest first: q1.a earns 9/18 = 0.5 of its points, q2.a 12/27 = 0.444
    assert [p.column for p in part_stats(_class())] == ["q2.a", "q1.a"]


def test_discrimination_index_by_hand() -> None:
    # 9 graded students; groups of round(0.27 * 9) = 2.  Totals: s01 5, s02 5, s03 2, s04 3, s05 0,
    # s06 0, s07 1, s08 0, s11 5.  Upper (highest, ties broken towards the earlier position): s02, s11;
    # lower: s06, s08.
    stats = {p.column: p for p in part_stats(_class())}
    assert stats["q1.a"].discrimination == pytest.approx((1 + 1) / 2 - (0 + 0) / 2)
    assert stats["q2.a"].discrimination == pytest.approx(1.0)
    assert discrimination_index([1, 2, 3, 4], [1, 1, 0, 0]) == pytest.approx(-1.0)
    assert discrimination_index([1, 2], [0.5, 0.5]) == 0.0


def test_misconception_ranking_counts_students_once() -> None:
    results = _class()
    doubled = _result("s12", 0, "padding_once", 0, "padding_once", None)
    ranking = misconception_ranking(results + [doubled])
    assert ranking[0] == ("padding_once", 4, ("q1.a", "q2.a"))
    assert ranking[1] == ("kernel_flipped", 3, ("q2.a",))
    assert ranking[2] == ("forgot_plus_one", 1, ("q1.a",))


def test_flagged_and_histogram() -> None:
    assert [f.student for f in flagged_submissions(_class())] == ["s11"]
    assert histogram([0, 0, 1, 2.5, 5], 5, bins=5) == [
        (0.0, 1.0, 2),
        (1.0, 2.0, 1),
        (2.0, 3.0, 1),
        (3.0, 4.0, 0),
        (4.0, 5.0, 1),
    ]


def test_worked_examples_show_a_real_difference() -> None:
    ex = worked_example("padding_once")
    assert ex is not None and ex.right == str((7 + 2 * 1 - 3) // 2 + 1) and ex.wrong == str((7 + 1 - 3) // 2 + 1)
    assert worked_example("kernel_flipped").right != worked_example("kernel_flipped").wrong


# ---------------------------------------------------------------- escaping and content

HOSTILE_ID = "<script>alert(1)</script>\x1b]0;owned\x07\u202e"


def _hostile_class() -> list[SubmissionResult]:
    r = _result("x", 0, "padding_once", 0, None, None)
    return [
        SubmissionResult(
            **{
                **r.__dict__,
                "student": HOSTILE_ID,
                "source": "<img src=x onerror=alert(1)>.ipynb",
                "flags": ("**fake** [link](http://evil.example) <b>bold</b>",),
            }
        ),
        error_result(
            "e.ipynb",
            "h",
            assignment="hw",
            max_score=5.0,
            student="e",
            message="<iframe src=http://evil.example>" + "x" * 100_000,
        ),
    ]


def test_student_text_is_inert_in_the_page() -> None:
    page = report_html(collect(_hostile_class(), assignment_id="hw"), plots=False)
    assert "<script" not in page and "<img" not in page and "<iframe" not in page and "<b>bold" not in page
    assert "\x1b" not in page and "\u202e" not in page and "\x07" not in page
    assert "&lt;script&gt;" in page and "\\x1b" in page and "\\u202e" in page
    assert len(page) < 200_000  # the 100 kB message is capped


def test_student_text_is_inert_in_the_summary() -> None:
    text = report_markdown(collect(_hostile_class(), assignment_id="hw"))
    assert "\x1b" not in text and "**fake**" not in text and "http://evil" not in text
    assert "\\<script\\>" in text


def test_page_is_self_contained() -> None:
    page = report_html(collect(_class(), assignment_id="hw"), plots=True)
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only the SVGs' own clip paths
    ids = re.findall(r'<clipPath id="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))  # three inline SVGs, no clash
    assert page.count('<figure id="plot-') == 3 and page.count("<svg") == 3


def test_page_lists_misconceptions_with_explanation_and_example() -> None:
    page = report_html(collect(_class(), assignment_id="hw"), plots=False)
    assert 'id="mc-padding_once"' in page and 'href="#mc-padding_once"' in page
    assert "padding counted once" in page
    assert "33 % padding counted once" in page  # 3 of 9 graded students in q1.a
    assert "corr2d(X=[[0, 1]], K=[[1, 2]])" in page


def test_chinese_report() -> None:
    data = collect(_class(), assignment_id="hw", title="第三周")
    page = report_html(data, locale="zh", plots=True)
    assert '<html lang="zh">' in page and "常见误解" in page and "得分分布" in page
    assert report_markdown(data, locale="zh").startswith("# 班级报告: 第三周")


def test_report_lists_overrides_from_a_gradebook_that_records_them(tmp_path: Path) -> None:
    class Book(Gradebook):
        def overrides(self, assignment: str) -> list[dict[str, str]]:
            return [
                {
                    "student": "s03",
                    "part": "q2.a",
                    "points": "3",
                    "reason": "regrade <request>",
                    "who": "ta",
                    "when": "2026-12-01",
                }
            ]

    from grader.report import _overrides

    with Book(":memory:") as book:
        rows = _overrides(book, "hw")
    page = report_html(collect(_class(), assignment_id="hw", overrides=rows), plots=False)
    assert "regrade &lt;request&gt;" in page and "ta 2026-12-01" in page


# ---------------------------------------------------------------- files and the command line


def _gradebook(path: Path) -> Path:
    with Gradebook(path) as book:
        for result in _class():
            book.record(result, assignment_version="v1")
    return path


def test_write_report_round_trips_through_the_gradebook(tmp_path: Path) -> None:
    page, summary = write_report(_gradebook(tmp_path / "g.db"), "hw", tmp_path / "out", plots=False)
    text = page.read_text(encoding="utf-8")
    assert "corr2d(X=[[0, 1]], K=[[1, 2]])" in text  # the failing call survives the gradebook
    assert "kernel_flipped" in summary.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--gradebook", "{tmp}/missing.db", "--assignment", "examples/assignment.toml"],
            "gradebook='{tmp}/missing.db' does not exist",
        ),
        (["--gradebook", "{db}", "--assignment", "{tmp}/missing.toml"], "missing.toml"),
        (["--gradebook", "{db}", "--assignment", "examples/assignment.toml", "--out", "{db}"], "is a file"),
    ],
    ids=["no-gradebook", "no-assignment", "out-is-a-file"],
)
def test_cli_misuse_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    db = _gradebook(tmp_path / "g.db")
    fill = {"tmp": str(tmp_path), "db": str(db)}
    assert report_main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message.format(**fill) in err and "Traceback" not in err


# ---------------------------------------------------------------- the demo class, in a real browser


@pytest.fixture(scope="module")
def demo_report() -> Path:
    from grader.cli.demo import main as demo_main

    folder = Path(tempfile.mkdtemp(prefix="convmath-report-"))
    assert demo_main(["--out", str(folder), "--jobs", "2"]) == 0
    yield folder / "report" / "index.html"
    shutil.rmtree(folder, ignore_errors=True)


def test_demo_writes_the_report(demo_report: Path) -> None:
    page = demo_report.read_text(encoding="utf-8")
    assert "forgot_plus_one" in page  # the demo's simulated misconception
    assert (demo_report.parent / "summary.md").is_file()


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_HARNESS = """<!DOCTYPE html><html><body>
<iframe id="f" src="index.html" style="width:1100px;height:4000px"></iframe><pre id="result">pending</pre>
<script>
window.addEventListener("load", () => {
  const doc = document.getElementById("f").contentDocument;
  const out = {title: doc.title, figures: [], resources: [], mistakes: []};
  for (const svg of doc.querySelectorAll("figure.plot svg")) {
    const r = svg.getBoundingClientRect();
    out.figures.push([svg.parentElement.id, r.width, r.height]);
  }
  out.resources = doc.defaultView.performance.getEntriesByType("resource").map(e => e.name);
  out.mistakes = [...doc.querySelectorAll("#misconception-table code")].map(c => c.textContent);
  document.getElementById("result").textContent = JSON.stringify(out);
});
</script></body></html>"""


@pytest.mark.slow
def test_report_in_a_real_browser(demo_report: Path, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); .ci/run installs it")
    folder = demo_report.parent
    (folder / "harness.html").write_text(_HARNESS, encoding="utf-8")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [
            browser,
            *_FLAGS,
            *profile,
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
            (folder / "harness.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'<pre id="result">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stderr[-2000:]
    seen = json.loads(html.unescape(found.group(1)))
    assert seen["title"].startswith("Class report")
    assert seen["resources"] == []  # nothing fetched: the page is self-contained
    assert {fig for fig, _, _ in seen["figures"]} == {"plot-histogram", "plot-parts", "plot-misconceptions"}
    assert all(w > 100 and h > 50 for _, w, h in seen["figures"]), seen["figures"]
    assert "forgot_plus_one" in seen["mistakes"]

    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *_FLAGS, *profile, "--window-size=1100,3000", f"--screenshot={shot}", demo_report.as_uri()],
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1100, 3000)
    matplotlib_image = pytest.importorskip("matplotlib.image")
    pixels = matplotlib_image.imread(shot)
    assert pixels.std() > 0.05  # not a blank page
