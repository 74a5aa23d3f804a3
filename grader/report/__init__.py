"""The class report: what the class got wrong, and why, on one page.

``convmath report --gradebook grades.db --assignment A.toml --out report/``
writes ``report/index.html`` (one self-contained page: inline CSS and SVG,
no scripts, nothing fetched) and ``report/summary.md``. The numbers come from
:mod:`grader.report.stats` (plain functions over the gradebook's current
results), the worked examples of each misconception from
:mod:`grader.report.examples`, the pictures from :mod:`grader.report.plots`
and the page from :mod:`grader.report.render`.

Examples
--------
>>> import tempfile, pathlib
>>> from grader.gradebook import Gradebook
>>> from grader.results import SubmissionResult, PartOutcome
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with Gradebook(folder / "grades.db") as book:
...     part = PartOutcome("q1", "a", "n_out", 0.0, 2.0, "incorrect", "", "forgot_plus_one")
...     _ = book.record(SubmissionResult("s1.ipynb", "h", "s1", "file name", "hw", "graded", 0.0, 2.0, (part,)),
...                     assignment_version="v1")
>>> paths = write_report(folder / "grades.db", "hw", folder / "report", plots=False)
>>> sorted(p.name for p in paths)
['index.html', 'summary.md']
>>> "forgot the +1" in paths[0].read_text(encoding="utf-8")
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .render import Override, ReportData, collect, render_both, report_html, report_markdown
from .stats import class_summary, discrimination_index, misconception_ranking, part_stats

__all__ = [
    "write_report",
    "collect",
    "report_html",
    "report_markdown",
    "ReportData",
    "Override",
    "class_summary",
    "part_stats",
    "misconception_ranking",
    "discrimination_index",
]


def _overrides(book: object, assignment_id: str) -> list[Override]:
    """The gradebook's manual overrides, when this gradebook records them."""
    listing = getattr(book, "overrides", None)
    if not callable(listing):
        return []
    rows = []
    for item in listing(assignment_id):
        get = (
            item.get if isinstance(item, Mapping) else (lambda key, default="", item=item: getattr(item, key, default))
        )
        who = " ".join(str(x) for x in (get("who", ""), get("when", "")) if x)
        rows.append(
            Override(str(get("student", "")), str(get("part", "")), str(get("points", "")), str(get("reason", "")), who)
        )
    return rows


def write_report(
    gradebook: str | Path,
    assignment_id: str,
    out: str | Path,
    *,
    locale: str = "en",
    title: str = "",
    course: str = "",
    roster: Sequence[str] | None = None,
    questions: Mapping[str, str] | None = None,
    plots: bool = True,
) -> tuple[Path, Path]:
    """Write ``OUT/index.html`` and ``OUT/summary.md`` for one assignment of a gradebook.

    Parameters
    ----------
    gradebook : str or Path
        The SQLite gradebook ``convmath grade`` wrote.
    assignment_id : str
        Which assignment of it.
    out : str or Path
        Folder to write (created if needed).
    locale : {"en", "zh"}
        Language of the report.
    title, course : str, optional
        Shown in the heading (default: the assignment id).
    roster : sequence of str, optional
        All student ids, to count the absent.
    questions : mapping, optional
        Slot id -> what the question is about.
    plots : bool
        Draw plots (matplotlib).

    Returns
    -------
    (Path, Path)
        The page and the summary.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from grader.gradebook import Gradebook
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Gradebook(folder / "empty.db").close()
    >>> page, summary = write_report(folder / "empty.db", "hw", folder / "report", plots=False)
    >>> print(summary.read_text(encoding="utf-8").splitlines()[0])
    # Class report: hw
    """
    from convmath._validate import check_choice

    from ..export import write_text_atomic
    from ..gradebook import Gradebook

    check_choice("locale", locale, ("en", "zh"))
    with Gradebook(gradebook) as book:
        results = book.current(assignment_id)
        overrides = _overrides(book, assignment_id)
    data = collect(
        results,
        assignment_id=assignment_id,
        title=title,
        course=course,
        roster=roster,
        questions=questions,
        overrides=overrides,
    )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    page, summary = folder / "index.html", folder / "summary.md"
    html_text, markdown_text = render_both(data, locale=locale, plots=plots)
    write_text_atomic(page, html_text)
    write_text_atomic(summary, markdown_text)
    return page, summary
