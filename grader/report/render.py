"""The class report as a page (``index.html``) and as text (``summary.md``).

:func:`report_html` fills one Jinja2 template (``templates/report.html.j2``)
with autoescaping on and every value passed through
:func:`grader.safetext.escape_controls`, so student-controlled text (ids,
file names, flags, messages) is inert; the plots are the only markup inserted
as is, and they are drawn from numbers and the assignment's own names.
:func:`report_markdown` writes the same findings as Markdown, escaped with
:func:`grader.safetext.for_markdown`.

Examples
--------
>>> from grader.results import SubmissionResult, PartOutcome
>>> part = PartOutcome("q1", "a", "n_out", 0.0, 2.0, "incorrect", "", "padding_once")
>>> r = SubmissionResult("s1.ipynb", "h", "<s1>", "file name", "hw", "graded", 0.0, 2.0, (part,))
>>> data = collect([r], assignment_id="hw", title="Week 1", roster=["<s1>", "s2"])
>>> page = report_html(data, plots=False)
>>> "&lt;s1&gt;" in page or "<s1>" not in page
True
>>> print(report_markdown(data).splitlines()[0])
# Class report: Week 1
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from convmath.misconceptions import CATALOGUE

from ..export import fmt_points
from ..results import SubmissionResult
from ..safetext import cap, escape_controls, for_markdown
from . import plots as _plots
from .examples import WorkedExample, worked_example
from .stats import (
    ClassSummary,
    Flagged,
    PartStats,
    class_summary,
    flagged_submissions,
    histogram,
    misconception_ranking,
    part_stats,
)

__all__ = ["ReportData", "Override", "collect", "report_html", "report_markdown", "render_both", "TEXT"]


@dataclass(frozen=True)
class Override:
    """A manual change of a part's points, as the report lists it."""

    student: str
    """Student id."""

    part: str
    """``slot.part``."""

    points: str
    """The points given, as shown."""

    reason: str
    """Why (the instructor's words)."""

    by: str = ""
    """Who and when."""


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, computed once."""

    assignment: str
    """Assignment id."""

    title: str
    """Assignment title in the report's locale."""

    course: str
    """Course name."""

    results: tuple[SubmissionResult, ...]
    """Each student's current result."""

    summary: ClassSummary
    """The class at a glance."""

    parts: tuple[PartStats, ...]
    """Per part, weakest first."""

    ranking: tuple[tuple[str, int, tuple[str, ...]], ...]
    """Misconceptions across the assignment: ``(label, students, columns)``."""

    flagged: tuple[Flagged, ...]
    """Submissions with integrity flags."""

    questions: Mapping[str, str] = field(default_factory=dict)
    """Slot id -> what the question is about (the family's title)."""

    overrides: tuple[Override, ...] = ()
    """Manual overrides."""


#: Every fixed text of the report, per locale.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Class report",
        "assignment": "assignment",
        "glance": "The class at a glance",
        "roster": "on the roster",
        "graded": "graded",
        "refused": "refused (zero with a reason)",
        "failed": "grader failures",
        "absent": "absent",
        "flagged": "flagged",
        "mean_card": "mean score",
        "median_card": "median score",
        "no_plots": "Plots need matplotlib: pip install 'convmath[plot]'.",
        "parts": "Parts, weakest first",
        "parts_note": "Mean score and share fully correct over graded submissions; the discrimination index "
        "compares the top and bottom 27 % of the class (below 0.2 in red: the part barely "
        "separates strong from weak students).",
        "part": "part",
        "question": "question",
        "points": "points",
        "mean": "mean",
        "share_correct": "fully correct",
        "discrimination": "discrimination",
        "mistakes": "diagnosed mistakes",
        "misconceptions": "Misconceptions",
        "misconception": "misconception",
        "students": "students",
        "share_graded": "share of graded",
        "where": "parts",
        "no_misconceptions": "No catalogued misconception was diagnosed.",
        "worked_example": "Worked example",
        "example_intro": "with these inputs",
        "right_answer": "the right answer",
        "wrong_answer": "the answer with this mistake",
        "failing_examples": "Function parts: the most common smallest failing calls",
        "failing_note": "The smallest input on which each student's function went wrong, as the grader found it.",
        "smallest_call": "smallest failing call",
        "flagged_title": "Flagged submissions and overrides",
        "student": "student",
        "file": "file",
        "reasons": "reasons",
        "none_flagged": "No submission was flagged.",
        "problems_title": "Submissions not graded",
        "status": "status",
        "overrides_title": "Manual overrides",
        "by": "by, when",
        "definitions": "How these numbers are computed",
        "definitions_text": "Mean and median are over submitted students (a refused submission scores 0; grader "
        "failures and absent students are left out). A part's discrimination index is the "
        "mean score (as a fraction of its points) of the top 27 % of graded students by total "
        "score minus that of the bottom 27 %.",
        "summary_weakest": "Weakest parts",
        "summary_ranked": "Misconceptions, by students",
        "of": "of",
    },
    "zh": {
        "title": "班级报告",
        "assignment": "作业",
        "glance": "班级概况",
        "roster": "名单人数",
        "graded": "已评分",
        "refused": "被拒（零分并说明原因）",
        "failed": "评分程序出错",
        "absent": "缺交",
        "flagged": "有标记",
        "mean_card": "平均分",
        "median_card": "中位数",
        "no_plots": "绘图需要 matplotlib：pip install 'convmath[plot]'。",
        "parts": "各小题（最弱的在前）",
        "parts_note": "平均得分和完全正确的比例按已评分的提交计算；区分度比较全班得分最高和最低的各 27% 学生"
        "（低于 0.2 标红：该小题几乎不能区分强弱学生）。",
        "part": "小题",
        "question": "题目",
        "points": "分值",
        "mean": "平均分",
        "share_correct": "完全正确",
        "discrimination": "区分度",
        "mistakes": "诊断出的错误",
        "misconceptions": "常见误解",
        "misconception": "误解",
        "students": "学生人数",
        "share_graded": "占已评分比例",
        "where": "小题",
        "no_misconceptions": "没有诊断出目录中的误解。",
        "worked_example": "示例",
        "example_intro": "输入如下",
        "right_answer": "正确答案",
        "wrong_answer": "犯这个错误得到的答案",
        "failing_examples": "函数题：最常见的最小失败调用",
        "failing_note": "评分程序找到的、使学生函数出错的最小输入。",
        "smallest_call": "最小失败调用",
        "flagged_title": "有标记的提交和手动调整",
        "student": "学生",
        "file": "文件",
        "reasons": "原因",
        "none_flagged": "没有提交被标记。",
        "problems_title": "未评分的提交",
        "status": "状态",
        "overrides_title": "手动调整",
        "by": "操作人、时间",
        "definitions": "这些数字如何计算",
        "definitions_text": "平均分和中位数按已提交的学生计算（被拒的提交记 0 分；评分程序出错和缺交的学生不计入）。"
        "小题的区分度是按总分排名前 27% 的已评分学生在该小题上的平均得分率，减去后 27% 学生的平均得分率。",
        "summary_weakest": "最弱的小题",
        "summary_ranked": "常见误解（按学生人数）",
        "of": "/",
    },
}


def collect(
    results: Sequence[SubmissionResult],
    *,
    assignment_id: str,
    title: str = "",
    course: str = "",
    roster: Sequence[str] | None = None,
    questions: Mapping[str, str] | None = None,
    overrides: Sequence[Override] = (),
) -> ReportData:
    """Compute everything the report shows from the students' current results.

    Parameters
    ----------
    results : sequence of SubmissionResult
        Each student's current result (``Gradebook.current``).
    assignment_id : str
        The assignment's id.
    title, course : str, optional
        Shown in the heading.
    roster : sequence of str, optional
        All student ids (for the absent count).
    questions : mapping, optional
        Slot id -> a short description of the question.
    overrides : sequence of Override, optional
        Manual overrides to list.

    Returns
    -------
    ReportData

    Examples
    --------
    >>> collect([], assignment_id="hw").summary.graded
    0
    """
    return ReportData(
        assignment=assignment_id,
        title=title or assignment_id,
        course=course,
        results=tuple(results),
        summary=class_summary(results, roster=roster),
        parts=tuple(part_stats(results)),
        ranking=misconception_ranking(results),
        flagged=tuple(flagged_submissions(results)),
        questions=dict(questions or {}),
        overrides=tuple(overrides),
    )


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return fmt_points(value)


def _title(label: str, locale: str) -> str:
    entry = CATALOGUE.get(label)
    return entry.title.get(locale, entry.title.get("en", label)) if entry is not None else label


def _explanation(label: str, example: WorkedExample | None, locale: str) -> str:
    entry = CATALOGUE.get(label)
    if entry is None:
        return ""
    template = entry.feedback.get(locale, entry.feedback.get("en", ""))
    value = example.wrong if example is not None and "\n" not in example.wrong else "…"
    return template.replace("{value}", value)


def _context(data: ReportData, locale: str, plots: bool) -> dict[str, Any]:
    t = TEXT[locale]
    s = data.summary
    graded = max(1, s.graded)
    cards = [
        (t["roster"], s.roster),
        (t["graded"], s.graded),
        (t["refused"], s.refused),
        (t["failed"], s.failed),
        (t["absent"], s.absent),
        (t["flagged"], s.flagged),
        (t["mean_card"], f"{_num(s.mean)} {t['of']} {_num(s.max_score)}"),
        (t["median_card"], f"{_num(s.median)} {t['of']} {_num(s.max_score)}"),
    ]
    parts = []
    for stats in data.parts:
        mistakes = [
            (_pct(count / stats.answered), label, _title(label, locale)) for label, count in stats.misconceptions
        ]
        parts.append(
            {
                "stats": stats,
                "question": data.questions.get(stats.slot, stats.slot),
                "points": _num(stats.max_score),
                "mean": _num(stats.mean_score),
                "correct": _pct(stats.share_correct),
                "discrimination": _num(stats.discrimination),
                "low_discrimination": stats.discrimination is not None and stats.discrimination < 0.2,
                "mistakes": mistakes,
            }
        )
    ranking = []
    for label, students, columns in data.ranking:
        example = worked_example(label)
        ranking.append(
            {
                "label": label,
                "title": _title(label, locale),
                "students": students,
                "share": _pct(students / graded),
                "columns": columns,
                "explanation": _explanation(label, example, locale),
                "example": None
                if example is None
                else {
                    "inputs_intro": t["example_intro"],
                    "inputs": example.inputs,
                    "right": example.right,
                    "wrong": example.wrong,
                },
            }
        )
    examples = [{"column": p.column, "name": p.name, "calls": p.examples[:5]} for p in data.parts if p.examples]
    problems = [
        {"student": r.student or r.source, "status": r.status, "message": r.message}
        for r in sorted(data.results, key=lambda r: (r.student or "", r.source))
        if r.status in ("error", "failed")
    ]
    figures: dict[str, str | None] = {"histogram": None, "parts": None, "misconceptions": None}
    if plots and _plots.available():
        figures["histogram"] = _plots.score_histogram(histogram(s.scores, s.max_score), locale=locale)
        if data.parts:
            figures["parts"] = _plots.part_bars(
                [p.column for p in data.parts],
                [100 * p.mean_fraction for p in data.parts],
                [100 * p.share_correct for p in data.parts],
                locale=locale,
            )
        if data.ranking:
            figures["misconceptions"] = _plots.misconception_bars(
                [_title(label, locale) for label, _, _ in data.ranking[:15]],
                [n for _, n, _ in data.ranking[:15]],
                locale=locale,
            )
    return {
        "t": t,
        "locale": locale,
        "report": data,
        "cards": cards,
        "parts": parts,
        "ranking": ranking,
        "examples": examples,
        "flagged": data.flagged,
        "problems": problems,
        "overrides": data.overrides,
        "plots": figures,
        "plots_available": _plots.available() or not plots,
    }


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup) or value is None:
            return "" if value is None else value
        return escape_controls(cap(value)) if isinstance(value, str) else value

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        trim_blocks=False,
    )
    return env


def report_html(data: ReportData, *, locale: str = "en", plots: bool = True) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts).

    Parameters
    ----------
    data : ReportData
        From :func:`collect`.
    locale : {"en", "zh"}
        Language of the page.
    plots : bool
        Draw the plots (needs matplotlib; without it the page says so).

    Returns
    -------
    str

    Examples
    --------
    >>> page = report_html(collect([], assignment_id="hw"), plots=False, locale="zh")
    >>> '<html lang="zh">' in page and "<script" not in page
    True
    """
    return _html(_context(data, locale, plots))


def _html(context: dict[str, Any]) -> str:
    from markupsafe import Markup

    context = {**context, "plots": {key: None if svg is None else Markup(svg) for key, svg in context["plots"].items()}}
    return str(_environment().get_template("report.html.j2").render(**context))


def report_markdown(data: ReportData, *, locale: str = "en") -> str:
    """The report's findings as Markdown, for a terminal or an announcement.

    Parameters
    ----------
    data : ReportData
        From :func:`collect`.
    locale : {"en", "zh"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> print(report_markdown(collect([], assignment_id="hw")))  # doctest: +ELLIPSIS
    # Class report: hw
    <BLANKLINE>
    - on the roster: 0
    ...
    """
    return _markdown(_context(data, locale, plots=False))


def _markdown(context: dict[str, Any]) -> str:
    t, md, data = context["t"], for_markdown, context["report"]
    lines = [f"# {t['title']}: {md(data.title)}", ""]
    lines += [f"- {label}: {value}" for label, value in context["cards"]]
    if context["parts"]:
        lines += ["", f"## {t['summary_weakest']}", ""]
        for row in context["parts"][:5]:
            mistakes = ", ".join(f"{share} {title}" for share, _, title in row["mistakes"][:3])
            lines.append(
                f"- `{row['stats'].column}` {md(row['question'])}: {t['mean']} {row['mean']} "
                f"{t['of']} {row['points']}, {t['share_correct']} {row['correct']}"
                + (f"; {mistakes}" if mistakes else "")
            )
    if context["ranking"]:
        lines += ["", f"## {t['summary_ranked']}", ""]
        lines += [
            f"- {md(item['title'])} (`{item['label']}`): {item['students']} ({item['share']})"
            for item in context["ranking"]
        ]
    if data.flagged or context["problems"] or data.overrides:
        lines += ["", f"## {t['flagged_title']}", ""]
        lines += [f"- {md(f.student)} ({md(f.source)}): {md('; '.join(f.flags))}" for f in data.flagged]
        lines += [f"- {md(p['student'])}: {p['status']}, {md(p['message'])}" for p in context["problems"]]
        lines += [f"- {md(o.student)} {md(o.part)} = {md(o.points)}: {md(o.reason)}" for o in data.overrides]
    return "\n".join(lines) + "\n"


def render_both(data: ReportData, *, locale: str = "en", plots: bool = True) -> tuple[str, str]:
    """The page and the summary, computed from one pass over the data.

    Examples
    --------
    >>> page, summary = render_both(collect([], assignment_id="hw"), plots=False)
    >>> page.startswith("<!DOCTYPE html>") and summary.startswith("# Class report")
    True
    """
    context = _context(data, locale, plots)
    return _html(context), _markdown(context)
