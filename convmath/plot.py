"""Plots of the food-digestion model (optional extra ``convmath[plot]``).

matplotlib is imported inside the function, so ``import convmath.plot`` works
without it; calling :func:`plot_food_digestion` without matplotlib raises a
:class:`~convmath.errors.ConvMathError` that says how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import digestion as dg
from .errors import ConvMathError

if TYPE_CHECKING:  # matplotlib is an optional extra
    from matplotlib.figure import Figure

__all__ = ["plot_food_digestion", "save_example"]


def plot_food_digestion(
    meals: dg.Meals,
    retention: dg.RetentionLike,
    *,
    start: float | None = None,
    until: float | None = None,
    points: int = 1200,
    title: str | None = None,
) -> Figure:
    """Three panels against time: intake ``f``, retention ``g`` and stomach content ``f * g``.

    Parameters
    ----------
    meals, retention
        As for :func:`convmath.food_content` (numbers).
    start, until : float, optional
        The time range; by default one hour before the first meal to the
        search horizon of :func:`convmath.peak_time`.
    points : int, optional
        Samples per curve (default 1200).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; save it with ``fig.savefig(path)``.

    Notes
    -----
    Impulses (instantaneous meals) are drawn as arrows whose height is the
    amount eaten; the content jumps by that amount. The content curve comes
    from the cached closed form (:func:`convmath.food_content`), and the
    peak is marked.

    Examples
    --------
    matplotlib is the optional ``plot`` extra; ``importorskip`` skips the
    example where it is not installed. One meal of 800 kcal/h from t=7 to
    t=7.5 with exponential retention: the content grows while eating and
    decays afterwards, so its peak is at the end of the meal, t = 7.5.

    >>> import pytest
    >>> plt = pytest.importorskip("matplotlib.pyplot")
    >>> fig = plot_food_digestion([(7, 0.5, 800)], ("exponential", 1), until=12.0, points=200)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['intake f(t)', 'retention g(t)', 'content (f * g)(t)']
    >>> fig.axes[2].texts[0].get_text()
    'peak at t = 7.5'
    >>> plt.close(fig)
    """
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ConvMathError(
            "plot_food_digestion needs matplotlib; install it with pip install 'convmath[plot]'"
        ) from err
    items, ret = dg.as_meals(meals), dg.as_retention(retention)
    marks = [float(p) for p in dg.breakpoints(items, ret) or [0.0]]
    lo = float(start) if start is not None else marks[0] - 1.0
    hi = float(until) if until is not None else min(dg.search_horizon(items, ret), marks[-1] + 24.0)
    times = np.linspace(lo, hi, points)
    content = dg.food_content(times, items, ret)
    lags = np.linspace(-1.0, max(hi - lo, 1.0), points)
    rate = dg.intake_rate(times, items)

    fig, (ax_f, ax_g, ax_c) = plt.subplots(3, 1, figsize=(8, 7.5), constrained_layout=True)
    ax_f.fill_between(times, rate, step="pre", alpha=0.4, color="tab:orange")
    ax_f.plot(times, rate, color="tab:orange", label="rate")
    for item in items:
        if isinstance(item, dg.Impulse):
            ax_f.annotate(
                "",
                xy=(float(item.time), float(item.amount)),
                xytext=(float(item.time), 0),
                arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 2},
            )
    ax_f.set_ylabel("intake f(t)")
    ax_f.set_title("what is eaten, when")
    ax_g.plot(lags, dg.retention_at(lags, ret), color="tab:green")
    ax_g.set_ylabel("retention g(t)")
    ax_g.set_title("fraction of a meal still undigested t hours after eating it")
    ax_c.plot(times, content, color="tab:blue")
    peak = float(dg.peak_time(items, ret))
    ax_c.axvline(peak, color="tab:blue", ls=":", lw=1)
    ax_c.annotate(
        f"peak at t = {peak:.3g}",
        xy=(peak, float(dg.food_content(peak, items, ret))),
        xytext=(5, -15),
        textcoords="offset points",
    )
    ax_c.set_ylabel("content (f * g)(t)")
    ax_c.set_xlabel("time t (hours)")
    ax_c.set_title(r"food in the stomach: $\int f(\tau)\, g(t - \tau)\, d\tau$")
    for ax in (ax_f, ax_g, ax_c):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def save_example(path: str | os.PathLike[str] = "food_digestion.png") -> str:
    """Draw the bundled example (breakfast, lunch, dinner; exponential retention) to ``path``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Where to write the PNG, relative to the current folder (default
        ``food_digestion.png``); missing folders are created. The figure of
        the README is ``save_example("docs/food_digestion.png")`` run from
        the repository root.

    Returns
    -------
    str
        The path written.

    Raises
    ------
    ConvMathError
        When the folder cannot be created or the file cannot be written.

    Notes
    -----
    Plots :data:`convmath.digestion.EXAMPLE_MEALS` with
    :data:`convmath.digestion.EXAMPLE_RETENTION` from 6:00 to 30:00
    (6 the next morning) with :func:`plot_food_digestion`; needs matplotlib.

    Examples
    --------
    Skipped where the optional matplotlib is missing; the file written is a
    PNG (its first bytes are the PNG signature):

    >>> import os, tempfile, pytest
    >>> _ = pytest.importorskip("matplotlib")
    >>> path = save_example(os.path.join(tempfile.mkdtemp(), "figures", "food.png"))
    >>> open(path, "rb").read(4)
    b'\\x89PNG'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConvMathError(f"path={str(target)!r}: cannot create its folder ({err.strerror or err})") from err
    fig = plot_food_digestion(
        list(dg.EXAMPLE_MEALS),
        dg.EXAMPLE_RETENTION,
        start=6.0,
        until=30.0,
        title="Breakfast, lunch and dinner with exponential digestion (lambda = 1/2 per hour)",
    )
    try:
        fig.savefig(target, dpi=110)
    except OSError as err:
        raise ConvMathError(f"path={str(target)!r} cannot be written ({err.strerror or err})") from err
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return str(target)
