"""The class report's pictures: matplotlib figures as inline SVG text.

matplotlib comes with the ``plot`` extra (``pip install 'convmath[plot]'``);
without it :func:`available` is false and the report shows its tables only.
The SVG keeps text as text (``svg.fonttype = "none"``), so the reader's
browser draws Chinese labels with its own fonts, and carries no date and
fixed element ids, so the same class gives the same file.

Examples
--------
>>> svg = score_histogram([(0.0, 5.0, 2), (5.0, 10.0, 3)], locale="en")   # doctest: +SKIP
>>> svg.startswith("<svg")                                                 # doctest: +SKIP
True
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["available", "score_histogram", "part_bars", "misconception_bars", "LABELS"]

#: Axis labels and titles per locale.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "hist_title": "Score distribution",
        "hist_x": "score (points)",
        "hist_y": "students",
        "parts_title": "Mean score per part (weakest first)",
        "parts_x": "mean score (% of the part's points)",
        "parts_y": "part",
        "correct": "fully correct",
        "mean": "mean score",
        "mc_title": "Misconceptions across the assignment",
        "mc_x": "students",
        "mc_y": "misconception",
    },
    "zh": {
        "hist_title": "得分分布",
        "hist_x": "得分（分）",
        "hist_y": "学生人数",
        "parts_title": "各小题平均得分（最弱的在前）",
        "parts_x": "平均得分（占该小题分值的百分比）",
        "parts_y": "小题",
        "correct": "完全正确",
        "mean": "平均得分",
        "mc_title": "整份作业中的常见误解",
        "mc_x": "学生人数",
        "mc_y": "误解",
    },
}


def available() -> bool:
    """Whether matplotlib is installed (the ``plot`` extra).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return importlib.util.find_spec("matplotlib") is not None


def _figure(height: float, *, left: float = 0.8) -> tuple[Any, Any]:
    """A figure with fixed margins (``left`` in inches for the tick labels): a layout engine
    would cost most of the report's time for a large class."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, height))
    fig.subplots_adjust(left=left / 7.0, right=0.97, bottom=0.62 / height, top=1 - 0.42 / height)
    return fig, fig.add_subplot()


def _bar_rows(labels: Sequence[str], *, left: float) -> tuple[Any, Any, list[int]]:
    """A figure for one horizontal bar per label, first label on top: (figure, axes, row positions)."""
    fig, ax = _figure(1.2 + 0.32 * max(1, len(labels)), left=left)
    rows = list(range(len(labels)))[::-1]
    ax.set_yticks(rows, list(labels))
    return fig, ax, rows


def _svg(fig: Any, name: str) -> str:
    import matplotlib

    buf = io.StringIO()
    # the salt makes element ids fixed (the same class gives the same file) and distinct between the figures
    with (
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"convmath-report-{name}"}),
        warnings.catch_warnings(),
    ):
        # text stays text in the SVG: the browser draws CJK labels that matplotlib's own fonts lack
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def score_histogram(bins: Sequence[tuple[float, float, int]], *, locale: str = "en") -> str:
    """A histogram of the class's scores as SVG text.

    Parameters
    ----------
    bins : sequence of (low, high, count)
        As :func:`grader.report.stats.histogram` returns them.
    locale : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> if available():
    ...     svg = score_histogram([(0.0, 5.0, 2), (5.0, 10.0, 3)])
    ...     assert svg.startswith("<svg") and "Score distribution" in svg
    """
    text = LABELS[locale]
    fig, ax = _figure(2.8)
    lows = [b[0] for b in bins]
    widths = [b[1] - b[0] for b in bins]
    ax.bar(lows, [b[2] for b in bins], width=widths, align="edge", color="#4c72b0", edgecolor="white")
    ax.set(title=text["hist_title"], xlabel=text["hist_x"], ylabel=text["hist_y"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _svg(fig, "histogram")


def part_bars(
    columns: Sequence[str], mean_percent: Sequence[float], correct_percent: Sequence[float], *, locale: str = "en"
) -> str:
    """Horizontal bars: each part's mean score and share fully correct, in percent.

    Parameters
    ----------
    columns : sequence of str
        Part names (``q1.a``), in the order to show, top to bottom.
    mean_percent, correct_percent : sequence of float
        Per part, in percent.
    locale : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> if available():
    ...     assert "q1.a" in part_bars(["q1.a"], [50.0], [25.0])
    """
    text = LABELS[locale]
    fig, ax, rows = _bar_rows(columns, left=0.9)
    ax.barh([r + 0.2 for r in rows], mean_percent, height=0.4, color="#4c72b0", label=text["mean"])
    ax.barh([r - 0.2 for r in rows], correct_percent, height=0.4, color="#55a868", label=text["correct"])
    ax.set_xlim(0, 100)
    ax.set(title=text["parts_title"], xlabel=text["parts_x"], ylabel=text["parts_y"])
    ax.legend(loc="lower right", fontsize="small")
    return _svg(fig, "parts")


def misconception_bars(titles: Sequence[str], students: Sequence[int], *, locale: str = "en") -> str:
    """Horizontal bars: how many students made each misconception, most frequent on top.

    Parameters
    ----------
    titles : sequence of str
        The misconceptions' short names, most frequent first.
    students : sequence of int
        Students per misconception.
    locale : {"en", "zh"}
        Language of the labels.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> if available():
    ...     assert "forgot the +1" in misconception_bars(["forgot the +1"], [3])
    """
    text = LABELS[locale]
    widest = max((len(title) for title in titles), default=10)
    fig, ax, rows = _bar_rows(titles, left=min(3.2, 0.5 + 0.075 * widest))
    ax.barh(rows, students, color="#c44e52")
    ax.set(title=text["mc_title"], xlabel=text["mc_x"], ylabel=text["mc_y"])
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig, "misconceptions")
