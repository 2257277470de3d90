"""The Metrics section's figures: a fan per yearly metric, a distribution per scalar one.

A yearly metric (a formula over the grid's years) is drawn as the markets are: its
median by year with the 50% and 90% bands, from the rows of ``metrics.csv``. A metric
that is one number per draw (an NPV, a total over years) is drawn as a histogram of its
draws with the median and the 90% interval of ``metrics.csv`` marked. Titles and axes
name the metric by its label and unit, never its id.

What is drawn is computed here once (:func:`metric_figure_data`, small tables and a
histogram: picklable, no draws), so the figure shows the numbers of the table beside it.
matplotlib is imported inside the drawing functions.

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000)  # doctest: +SKIP
>>> [key for key, *_ in metric_plan(metric_figure_data(fc)["metric_figures"])][:1]  # doctest: +SKIP
['metric.devtools_revenue_m']
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.outputs.formatting import figure_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from forecast.analysis.results import Forecast

#: bins of a scalar metric's histogram
BINS = 40
#: the histogram spans these quantiles of the draws: one extreme draw must not squash
#: the rest into one bar (the caption says how many draws lie beyond)
SPAN = (0.005, 0.995)
BAND90, BAND50, MEDIAN, MARK = "#c6dbef", "#6baed6", "#08519c", "#d94801"
FAN_CAPTION = (
    "Dark band: 50% interval; light band: 90% interval; line: median (metrics.csv has each quantile)."
)


@dataclass(frozen=True)
class MetricFigure:
    """What one metric's figure is drawn from.

    ``fan``: the metric's rows of ``metrics.csv`` (``year``, ``q05`` ... ``q95``) for a
    yearly metric, else empty. For a scalar metric, ``counts`` and ``edges`` (a histogram of
    the draws between the :data:`SPAN` quantiles), ``outside`` (draws beyond it) and
    ``marks`` (``q05``, ``q50``, ``q95`` of ``metrics.csv``).
    """

    metric: str
    label: str
    unit: str
    fan: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    edges: np.ndarray = field(default_factory=lambda: np.zeros(0))
    outside: int = 0
    marks: tuple[float, float, float] = (np.nan, np.nan, np.nan)

    @property
    def title(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


def metric_figure_data(fc: Forecast) -> dict[str, Any]:
    """``{"metric_figures": [MetricFigure, ...]}``, in the scenario's order of metrics.

    Examples
    --------
    >>> [m.metric for m in metric_figure_data(fc)["metric_figures"]]  # doctest: +SKIP
    ['devtools_revenue_m', 'devtools_revenue_2025_2028', 'devtools_npv']
    """
    s = fc.scenario
    if not s.metrics:
        return {"metric_figures": []}
    table = fc.metrics()
    scalar = fc.draws["scalar_metric"].values.tolist() if "metric_value" in fc.draws else []
    out = []
    for m in s.metrics:
        rows = table[table["metric"] == m.id]
        if not len(rows):
            continue
        if m.id not in scalar:
            fan = rows[["year", "q05", "q25", "q50", "q75", "q95"]].astype(float).reset_index(drop=True)
            out.append(MetricFigure(m.id, m.label, m.unit, fan=fan))
            continue
        x = fc.values("metric_value")[:, scalar.index(m.id)]
        lo, hi = np.quantile(x, SPAN)
        counts, edges = np.histogram(x, bins=BINS, range=(lo, hi) if hi > lo else None)
        r = rows.iloc[0]
        marks = (float(r.q05), float(r.q50), float(r.q95))
        out.append(MetricFigure(m.id, m.label, m.unit, counts=counts, edges=edges, outside=int(len(x) - counts.sum()), marks=marks))  # fmt: skip
    return {"metric_figures": out}


def metric_plan(items: list[MetricFigure]) -> list[tuple[str, str, str, str, Callable[[], MplFigure]]]:
    """``(key, file name, title, caption, draw)`` per metric, for the figures' plan; the
    key ``metric.<id>`` is the one the Metrics section shows."""
    out: list[tuple[str, str, str, str, Callable[[], MplFigure]]] = []
    for item in items:
        if len(item.fan):
            caption, draw = FAN_CAPTION, functools.partial(fan_figure, item)
        else:
            beyond = (
                f" {item.outside:,} draw{' lies' if item.outside == 1 else 's lie'} beyond the axis "
                "(its 0.5% and 99.5% quantiles)."
                if item.outside
                else ""
            )
            caption = "Bars: the share of draws in each range; line: the median; band: the 90% interval (the table below)." + beyond  # fmt: skip
            draw = functools.partial(distribution_figure, item)
        out.append((f"metric.{item.metric}", f"metric_{item.metric}.png", item.title, caption, draw))
    return out


def _axes(height: float) -> tuple[MplFigure, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.8, height), layout="constrained")
    ax = fig.add_subplot()
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def fan_figure(item: MetricFigure) -> MplFigure:
    """A yearly metric's fan: median, 50% and 90% bands by year."""
    fig, ax = _axes(3.5)
    df = item.fan
    x = df["year"].to_numpy(dtype=float)
    ax.fill_between(x, df["q05"], df["q95"], color=BAND90, label="90% interval", linewidth=0)
    ax.fill_between(x, df["q25"], df["q75"], color=BAND50, label="50% interval", linewidth=0)
    ax.plot(x, df["q50"].to_numpy(), color=MEDIAN, linewidth=2, label="median")
    if len(x) <= 12:
        ax.set_xticks(x)
    ax.set_xlabel("Year")
    ax.set_ylabel(figure_text(item.unit or item.label, 28))  # along the axis: ~28 characters a line
    ax.set_title(figure_text(item.label, 60), loc="left", fontsize=12, fontweight="bold")
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def distribution_figure(item: MetricFigure) -> MplFigure:
    """A scalar metric's histogram (share of draws per bar) with its median and 90% interval."""
    fig, ax = _axes(3.3)
    total = item.counts.sum() + item.outside
    share = item.counts / total if total else item.counts
    ax.stairs(share, item.edges, fill=True, color=BAND50, label="share of draws")
    q05, q50, q95 = item.marks
    ax.axvspan(q05, q95, color=BAND90, alpha=0.5, zorder=0, label="90% interval")
    ax.axvline(q50, color=MARK, linewidth=2, label="median")
    ax.set_xlabel(figure_text(item.title, 90))
    ax.set_ylabel("Share of draws")
    ax.set_title(figure_text(item.label, 60), loc="left", fontsize=12, fontweight="bold")
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


__all__ = ["MetricFigure", "distribution_figure", "fan_figure", "metric_figure_data", "metric_plan"]
