"""Report figures: fan charts, outcome, signpost and prediction charts, as PNG files.

It is a little longer than 600 lines: one short drawing function per figure, kept
beside the plan that lists them and the helpers they share (fans, year axes).

Every figure is drawn from the same DataFrames the report's tables and CSV files
come from (:meth:`Forecast.markets`, :meth:`Forecast.outcomes`, ...), so a chart
never disagrees with the numbers beside it.

matplotlib is imported inside the functions, and only its object-oriented API is
used (``matplotlib.figure.Figure`` with the Agg canvas, never ``pyplot``): no
global backend state, no GUI, safe in a notebook that has its own backend.

This module is longer than 600 lines: one drawing function per kind of figure, all
sharing the fan, axis and legend helpers here; split, they would import each other.

Examples
--------
>>> import forecast, tempfile
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000)  # doctest: +SKIP
>>> [f.file for f in make_figures(fc, tempfile.mkdtemp())][:2]  # doctest: +SKIP
['figures/market_total.png', 'figures/market_enterprise_llm_apis.png']
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.engine.dataset import pooled
from forecast.outputs.exceedance import exceedance_frames, plan_items, target_labels
from forecast.outputs.formatting import figure_text
from forecast.outputs.metric_figures import MetricFigure, metric_figure_data, metric_plan
from forecast.outputs.risk_section import heatmap_plan
from forecast.scenario import model_time

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from forecast.analysis.results import Forecast
    from forecast.scenario import Scenario

DPI = 110  # ~750 px wide at the default size: sharp on screen, small as base64
#: zlib level of the PNG files: 1 encodes a report figure in ~60% of the time of the
#: default 6, and as RGB the file is still smaller than savefig's RGBA at 6
PNG_COMPRESSION = 1
WIDTH = 6.8  # inches
BAND90, BAND50, MEDIAN = "#c6dbef", "#6baed6", "#08519c"
STATED, PRIOR, EVIDENCE = "#d94801", "#737373", "#238b45"
OUTCOME_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
SIGNPOST_COLORS = {"now": "#6baed6", "if_true": "#238b45", "if_false": "#cb181d"}
#: up to this many markets, each gets its own fan chart; beyond, one figure of small
#: multiples shows the largest :data:`GRID_MARKETS` (a figure costs ~0.13 s to draw and
#: a screen of scrolling to read: 64 fans were 15 s and a report nobody reads)
MAX_MARKET_FIGURES = 8
GRID_MARKETS = 12
GRID_COLUMNS = 4
#: bars of the predictions figure at most (the earliest deadlines; the table has them all):
#: a bar per prediction of hundreds would make a figure many screens tall
MAX_PREDICTION_BARS = 20
#: a scenario's names (labels up to 200 characters, units up to 40) are wrapped at these
#: widths, so no title or axis label runs off the figure (tests/outputs/test_figure_text.py)
TITLE_CHARS, YLABEL_CHARS = 56, 28


@dataclass(frozen=True)
class FigureInfo:
    """A figure written to ``<folder>/<file>``.

    Attributes
    ----------
    key : str
        What it shows: ``market.<id>``, ``market.total``, ``markets`` (small
        multiples of the largest markets, when there are more than
        :data:`MAX_MARKET_FIGURES`), ``position.<id>``, ``outcomes``, ``signposts``,
        ``sensitivity``.
    file : str
        Path relative to the report folder, e.g. ``figures/market_total.png``.
    title : str
        A short title, also the image's alt text.
    caption : str
        One sentence on how to read it.
    """

    key: str
    file: str
    title: str
    caption: str


#: a figure and its PNG bytes
type DrawnFigure = tuple[FigureInfo, bytes]


@dataclass(frozen=True)
class FigureData:
    """What the report's figures are drawn from: small tables, no draws.

    Picklable, so ``forecast run`` can draw the figures in a worker process while it
    runs the sensitivity analysis (see :mod:`forecast.commands.run`). Build it with
    :func:`figure_data`.

    Attributes
    ----------
    scenario : Scenario
    markets, outcomes, signposts : DataFrame
        :meth:`Forecast.markets`, :meth:`Forecast.outcomes`, :meth:`Forecast.signposts`.
    conditioned : bool
        NUTS conditioned the draws on evidence (the fans then show the prior median).
    prior_medians : dict
        Median by year before the evidence: ``"total"`` and each market id; empty
        when not conditioned.
    predictions, prediction_by_outcome, position_by_outcome : DataFrame
        :meth:`Forecast.predictions`, and :func:`forecast.analysis.implied.prediction_by_outcome`
        and :func:`~forecast.analysis.implied.position_by_outcome`: the predictions chart and
        the share fans per outcome.
    """

    scenario: Scenario
    markets: pd.DataFrame
    outcomes: pd.DataFrame
    signposts: pd.DataFrame
    conditioned: bool
    prior_medians: dict[str, np.ndarray]
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    prediction_by_outcome: pd.DataFrame = field(default_factory=pd.DataFrame)
    position_by_outcome: pd.DataFrame = field(default_factory=pd.DataFrame)
    risks: pd.DataFrame = field(default_factory=pd.DataFrame)  # forecast.analysis.risks.risk_register
    exceedance: list[pd.DataFrame] = field(default_factory=list)  # forecast.outputs.exceedance
    exceedance_labels: dict[str, str] = field(default_factory=dict)
    metric_figures: list[MetricFigure] = field(default_factory=list)  # forecast.outputs.metric_figures


def figure_data(fc: Forecast) -> FigureData:
    """The tables :func:`draw_figures` needs, taken from a forecast.

    Examples
    --------
    >>> data = figure_data(fc)  # doctest: +SKIP
    >>> sorted(data.markets["market"].unique())[:2]  # doctest: +SKIP
    ['developer_tools', 'enterprise_llm_apis']
    """
    from forecast.analysis.implied import position_by_outcome, prediction_by_outcome
    from forecast.analysis.risks import risk_register

    s = fc.scenario
    prior: dict[str, np.ndarray] = {}
    for key, name, index in [("total", "total_market", None)] + [
        (m.id, "market_size", i) for i, m in enumerate(s.markets)
    ]:
        med = _prior_median(fc, name, index)
        if med is not None:
            prior[key] = med
    return FigureData(
        scenario=s,
        markets=fc.markets(),
        outcomes=fc.outcomes() if s.assessment else pd.DataFrame(),
        signposts=fc.signposts() if s.signposts and s.assessment else pd.DataFrame(),
        conditioned=fc.conditioned,
        prior_medians=prior,
        predictions=fc.predictions(),
        prediction_by_outcome=prediction_by_outcome(fc),
        position_by_outcome=position_by_outcome(fc),
        risks=risk_register(fc),
        **exceedance_data(fc),
        **metric_figure_data(fc),
    )


def make_figures(
    fc: Forecast, folder: str | Path, *, sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None = None
) -> list[FigureInfo]:
    """Draw every figure of the report into ``folder/figures/``.

    Parameters
    ----------
    fc : Forecast
    folder : path
        The report folder; figures go to its ``figures`` subfolder.
    sensitivity : DataFrame or sequence of DataFrame, optional
        Each drawn as a tornado chart when it has ``input``, ``low`` and ``high``
        columns: ``sensitivity.png``, then ``sensitivity_2.png``, ...

    Returns
    -------
    list of FigureInfo
        In report order.
    """
    drawn = draw_figures(figure_data(fc)) + draw_tornadoes(sensitivity)
    return write_figures(drawn, folder)


def write_figures(drawn: Sequence[DrawnFigure], folder: str | Path) -> list[FigureInfo]:
    """Write drawn figures under ``folder`` (their ``file`` paths); returns their infos."""
    infos = []
    for info, png in drawn:
        path = Path(folder) / info.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        infos.append(info)
    return infos


def _drawn(make: Callable[[], MplFigure]) -> bytes:
    """``_png(make())``, the same pixels, with titles placed without a search and spines
    under tick labels left out of the layout (:func:`_spines_under_labels_out_of_layout`).

    Before drawing a title (and in each layout pass) matplotlib measures the whole y axis
    again, to lift the title above the axis's offset text (the "1e9" over ticks written
    0.5, 1.0, ...). Most figures have no such text, so the figure is made with its
    titles at the top of their axes (``axes.titley``), which skips the search (~5% of
    the report's figure time), and drawn again with the search when an axis under a
    title has drawn an offset text, or x ticks on top (the cases where it moves the title).
    """
    import matplotlib as mpl

    with mpl.rc_context({"axes.titley": 1.0}):
        fig = make()
    for ax in fig.axes:
        _spines_under_labels_out_of_layout(ax)
    canvas = render(fig)
    if any(_title_needs_room(ax) for ax in fig.axes):
        canvas = render(make())
    return _encode(canvas)


def _spines_under_labels_out_of_layout(ax: Axes) -> None:
    """Leave out of the layout each spine whose side has tick labels: they lie beyond its
    tick marks, so the layout's room is the same, and measuring a spine updates its
    axis's ticks once more (~5% of the report's figure time). A spine with bare tick
    marks (the inner panels of a shared y axis) stays in."""
    sides = ax.xaxis.get_tick_params() | ax.yaxis.get_tick_params()
    for side, spine in ax.spines.items():
        if sides.get(f"label{side}", False):
            spine.set_in_layout(False)


def _title_needs_room(ax: Axes) -> bool:
    """Whether matplotlib would move ``ax``'s title (after a draw): an offset text drawn
    on its y axis, or its x ticks or label on top (``Axes._update_title_position``)."""
    if not any(ax.get_title(loc) for loc in ("center", "left", "right")):
        return False
    offset = ax.yaxis.offsetText
    return (
        bool(offset.get_visible() and offset.get_text())
        or ax.xaxis.get_ticks_position() in ("top", "unknown")
        or ax.xaxis.get_label_position() == "top"
    )


def _png(fig: MplFigure) -> bytes:
    """The figure as PNG bytes at :data:`DPI`: the pixels ``savefig`` draws, in one
    drawing pass instead of two.

    ``savefig`` on a figure with a layout engine first draws it with rendering turned
    off (to run the layout), then again with the layout turned off; one ``draw`` of
    the canvas runs the layout and renders in the same pass (measured: ~20% of the
    report's figure time). An opaque figure (every report figure: a white face) is
    written as RGB, its alpha channel being all 255, at zlib level
    :data:`PNG_COMPRESSION`: the same picture as ``savefig``'s RGBA file at level 6,
    ~40% less CPU to encode and ~5% fewer bytes (``benchmarks/README.md``). No text
    chunk (no matplotlib version), so the same forecast gives the same bytes.
    """
    return _encode(render(fig))


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """A drawn canvas as PNG bytes (see :func:`_png`)."""
    from PIL import Image

    pixels = np.asarray(canvas.buffer_rgba())
    if (pixels[..., 3] == 255).all():
        pixels = pixels[..., :3]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(
        buf, format="png", dpi=(DPI, DPI), compress_level=PNG_COMPRESSION
    )
    return buf.getvalue()


def render(fig: MplFigure) -> FigureCanvasAgg:
    """Lay ``fig`` out and rasterize it at :data:`DPI`, in one drawing pass; its Agg canvas.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> render(Figure(figsize=(1, 1))).get_width_height()
    (110, 110)
    """
    from forecast.outputs.figure_renderer import canvas as text_caching_canvas

    canvas = text_caching_canvas(fig)  # matplotlib's Agg pixels, less Python per text
    fig.set_dpi(DPI)
    canvas.draw()
    return canvas


def figure_infos(data: FigureData) -> list[FigureInfo]:
    """What :func:`draw_figures` will draw, in report order, without drawing it."""
    return [info for info, _ in _plan(data)]


def draw_figures(data: FigureData, only: Sequence[int] | None = None) -> list[DrawnFigure]:
    """The market, position, outcome and signpost figures, as PNG bytes in report order.

    ``only``: the positions in :func:`figure_infos` to draw (all when ``None``), so a
    worker can be given one figure at a time.

    Examples
    --------
    >>> [info.file for info, png in draw_figures(figure_data(fc))][:2]  # doctest: +SKIP
    ['figures/market_total.png', 'figures/market_enterprise_llm_apis.png']
    """
    return [(info, _drawn(make)) for info, make in _chosen(_plan(data), only)]


def _chosen(plan: _Plan, only: Sequence[int] | None) -> _Plan:
    return plan if only is None else [plan[k] for k in only]


def tornado_infos(sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None) -> list[FigureInfo]:
    """What :func:`draw_tornadoes` will draw, without drawing it."""
    return [info for info, _ in _tornado_plan(sensitivity)]


def draw_tornadoes(
    sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None, only: Sequence[int] | None = None
) -> list[DrawnFigure]:
    """A tornado chart per sensitivity table that has ``input``, ``low`` and ``high``
    columns: ``sensitivity.png``, then ``sensitivity_2.png``, ... (``only``: the
    positions in :func:`tornado_infos` to draw)."""
    return [(info, _drawn(make)) for info, make in _chosen(_tornado_plan(sensitivity), only)]


@dataclass(frozen=True)
class PendingFigures:
    """Figures being drawn elsewhere: known now, their bytes later.

    :func:`forecast.outputs.report.write_report` lays out the report from ``infos`` while a
    worker process draws, and calls ``result()`` only to embed the PNGs.

    Attributes
    ----------
    infos : list of FigureInfo
        What will be drawn, in report order (:func:`figure_infos`, :func:`tornado_infos`).
    result : callable
        Waits for and returns the drawn figures, the same ``infos`` in the same order.
    """

    infos: list[FigureInfo]
    result: Callable[[], Sequence[DrawnFigure]]


type _Plan = list[tuple[FigureInfo, Callable[[], MplFigure]]]


def _plan(data: FigureData) -> _Plan:
    """Each figure's info and the function that draws it (so infos come without drawing)."""
    s = data.scenario
    markets = data.markets
    plan: _Plan = []

    def add(key: str, name: str, title: str, caption: str, make: Callable[[], MplFigure]) -> None:
        plan.append((FigureInfo(key, f"figures/{name}", title, caption), make))

    fan_caption = (
        "Dark band: 50% interval; light band: 90% interval; line: median. "
        "Orange diamonds: the sizes stated in the scenario file."
    )
    if data.conditioned:
        fan_caption += " Grey dashed line: median before the evidence."
    if (markets["market"] == "total").any():
        make = functools.partial(
            _fan_figure,
            markets[markets["market"] == "total"],
            title="Total of all markets",
            ylabel=f"Market size ({s.markets[0].unit})",
            stated=_stated_total(s),
            prior_median=data.prior_medians.get("total"),
        )
        add("market.total", "market_total.png", "Total of all markets", fan_caption, make)
    if len(s.markets) > MAX_MARKET_FIGURES:
        ids = largest_markets(markets, [m.id for m in s.markets], GRID_MARKETS)
        year = int(markets["year"].max())
        add(
            "markets",
            "markets.png",
            f"The {len(ids)} largest of {len(s.markets)} markets",
            f"Each panel: one market's 50% and 90% bands and median, on its own scale, largest median "
            f"in {year} first; orange diamonds: the sizes stated in the scenario file. Every market is "
            "in the table below and in markets.csv.",
            functools.partial(_markets_grid_figure, s, markets, ids),
        )
    for m in s.markets if len(s.markets) <= MAX_MARKET_FIGURES else []:
        stated = [(float(m.base_year), _median(m.size, "positive"), f"stated {m.base_year}")]
        if m.projection is not None:
            stated.append(
                (float(m.projection.year), _median(m.projection, "positive"), f"stated {m.projection.year}")
            )
        evidence = [(float(e.year), e.value, e.rel_error) for e in s.evidence if e.market == m.id]
        make = functools.partial(
            _fan_figure,
            markets[markets["market"] == m.id],
            title=m.label,
            ylabel=f"Market size ({m.unit})",
            stated=stated,
            prior_median=data.prior_medians.get(m.id),
            evidence=evidence,
        )
        cap = fan_caption + (" Green: observed evidence with its error." if evidence else "")
        add(f"market.{m.id}", f"market_{m.id}.png", m.label, cap, make)
    for p in s.positions:
        add(
            f"position.{p.id}",
            f"position_{p.id}.png",
            p.label,
            "Share (left) and revenue (right): 50% and 90% bands and median. "
            "Markers: the shares stated in the scenario, coloured by outcome.",
            functools.partial(_position_figure, s, markets, p),
        )
        by = data.position_by_outcome
        if len(by) and (by["market"] == f"share.{p.id}").any():
            add(
                f"position_outcomes.{p.id}",
                f"position_{p.id}_by_outcome.png",
                f"{p.label}: share by outcome",
                "One panel per outcome: the share among the draws where that outcome happened "
                "(50% and 90% bands, median), with the shares stated for that outcome (diamonds). "
                "The blend of all outcomes above has a median that matches none of these paths.",
                functools.partial(_position_outcomes_figure, s, by, p),
            )
    if s.assessment:
        add(
            "outcomes",
            "outcomes.png",
            "Outcome probabilities",
            "Bars: simulated probability with its 90% interval; orange diamonds: stated probability.",
            functools.partial(_outcomes_figure, data.outcomes),
        )
    if s.signposts and s.assessment:
        add(
            "signposts",
            "signposts.png",
            "What each signpost would change",
            "Outcome probabilities now, and if the signpost is observed true or false (Bayes' rule).",
            functools.partial(_signposts_figure, s, data.signposts),
        )
    if len(data.predictions):
        n = len(data.predictions)
        more = (
            f" The {MAX_PREDICTION_BARS} earliest of {n} predictions; every one is in the Predictions table."
            if n > MAX_PREDICTION_BARS
            else ""
        )
        add(
            "predictions",
            "predictions.png",
            "Predictions by deadline",
            "Each prediction's probability of coming true by its deadline (earliest on top), with a "
            "bar of ± 2 Monte Carlo standard errors; markers: its probability under each outcome." + more,
            functools.partial(_predictions_figure, s, data.predictions, data.prediction_by_outcome),
        )
    for key, file, title, caption, make in heatmap_plan(data.risks):  # the risk register's heat map
        plan.append((FigureInfo(key, file, title, caption), make))
    for item in plan_items(data.exceedance, data.exceedance_labels):
        add(*item)
    for item in metric_plan(data.metric_figures):
        add(*item)
    return plan


def exceedance_data(fc: Forecast) -> dict[str, Any]:
    """The exceedance curves' tables and labels (:mod:`forecast.outputs.exceedance`)."""
    frames = exceedance_frames(fc)
    return {"exceedance": frames, "exceedance_labels": target_labels(fc, frames)}


def _tornado_plan(sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None) -> _Plan:
    frames = [sensitivity] if isinstance(sensitivity, pd.DataFrame) else list(sensitivity or [])
    plan: _Plan = []
    for i, frame in enumerate(frames):
        if not ({"input", "low", "high"} <= set(frame.columns) and len(frame)):
            continue
        key, name = (
            ("sensitivity", "sensitivity.png")
            if i == 0
            else (f"sensitivity.{i + 1}", f"sensitivity_{i + 1}.png")
        )
        label = frame.attrs.get("target_label")
        info = FigureInfo(
            key,
            f"figures/{name}",
            f"Sensitivity of {label}" if label else "Sensitivity",
            str(
                frame.attrs.get("caption")
                or "Range of the answer as each input moves across its 90% interval, largest first."
            ),
        )
        plan.append((info, functools.partial(_tornado_figure, frame)))
    return plan


# --- helpers ----------------------------------------------------------------------


def _new_figure(height: float, ncols: int = 1) -> tuple[MplFigure, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _median(q: Any, domain: Any) -> float:
    return float(q.canonical(domain).quantile(0.5))


def _stated_total(s: Scenario) -> list[tuple[float, float, str]]:
    """Sums of the stated base sizes and projections, when every market states them
    for the same year (as the seed's market table does)."""
    ms = s.markets
    out = []
    if len({m.base_year for m in ms}) == 1:
        out.append((float(ms[0].base_year), sum(_median(m.size, "positive") for m in ms), "stated total"))
    projs = [m.projection for m in ms]
    if all(p is not None for p in projs) and len({p.year for p in projs if p is not None}) == 1:
        year = projs[0].year  # type: ignore[union-attr]
        total = sum(_median(p, "positive") for p in projs)
        out.append((float(year), total, "stated total"))
    return out


def _prior_median(fc: Forecast, name: str, index: int | None) -> np.ndarray | None:
    """Median by year of ``name`` in the prior draws, when a posterior is shown."""
    if not fc.conditioned or name not in (prior := fc.prior_draws).data_vars:
        return None
    arr = pooled(prior[name].values)
    if index is not None:
        arr = arr[:, index]
    return np.asarray(np.median(arr, axis=0))


def _year_axis(ax: Axes, years: list[int]) -> None:
    from matplotlib.ticker import MaxNLocator

    if len(years) <= 12:
        ax.set_xticks(years)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.set_xlabel("Year")
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _fan(ax: Axes, df: pd.DataFrame, scale: float = 1.0) -> None:
    x = df["year"].to_numpy()
    ax.fill_between(x, df["q05"] * scale, df["q95"] * scale, color=BAND90, label="90% interval", linewidth=0)
    ax.fill_between(x, df["q25"] * scale, df["q75"] * scale, color=BAND50, label="50% interval", linewidth=0)
    ax.plot(x, df["q50"] * scale, color=MEDIAN, linewidth=2, label="median")


def _fan_figure(
    df: pd.DataFrame,
    *,
    title: str,
    ylabel: str,
    stated: list[tuple[float, float, str]],
    prior_median: np.ndarray | None,
    evidence: list[tuple[float, float, float]] | None = None,
) -> MplFigure:
    fig, ax = _new_figure(3.7)
    _fan(ax, df)
    years = [int(y) for y in df["year"]]
    if prior_median is not None:
        ax.plot(
            years, prior_median, color=PRIOR, linestyle="--", linewidth=1.5, label="median before evidence"
        )
    if stated:
        xs, ys, _ = zip(*stated, strict=True)
        ax.plot(xs, ys, linestyle="none", marker="D", markersize=7, color=STATED, label="stated", zorder=5)
    if evidence:
        for k, (x, v, rel) in enumerate(evidence):
            lo, hi = v * np.exp(-1.645 * rel), v * np.exp(1.645 * rel)
            ax.errorbar(
                [x], [v], yerr=[[v - lo], [hi - v]], fmt="o", color=EVIDENCE, capsize=4, zorder=6,
                label="evidence" if k == 0 else None,
            )  # fmt: skip
    _year_axis(ax, years)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(figure_text(ylabel, YLABEL_CHARS))
    ax.set_title(figure_text(title, TITLE_CHARS), loc="left", fontsize=12, fontweight="bold")
    # legends sit below the axes: inside, they can cover a band (a shrinking market)
    handles, labels = ax.get_legend_handles_labels()
    ncol = len(handles) if len(handles) <= 4 else (len(handles) + 1) // 2  # two rows rather than clipped
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=8, frameon=False)
    return fig


def largest_markets(markets: pd.DataFrame, ids: list[str], top: int) -> list[str]:
    """The ``top`` market ids with the largest median in the last year, largest first
    (ties in scenario order).

    Examples
    --------
    >>> df = pd.DataFrame({"market": ["a", "b", "c"], "year": [2028] * 3, "q50": [1.0, 3.0, 2.0]})
    >>> largest_markets(df, ["a", "b", "c"], 2)
    ['b', 'c']
    """
    last = markets[(markets["year"] == markets["year"].max()) & markets["market"].isin(ids)]
    median = dict(zip(last["market"], last["q50"], strict=True))
    ranked = sorted(range(len(ids)), key=lambda i: (-float(median.get(ids[i], -np.inf)), i))
    return [ids[i] for i in ranked[:top]]


def _markets_grid_figure(s: Scenario, markets: pd.DataFrame, ids: list[str]) -> MplFigure:
    """Small multiples: one small fan per market, each on its own scale."""
    from matplotlib.figure import Figure

    ncols = min(GRID_COLUMNS, len(ids))
    nrows = -(-len(ids) // ncols)
    fig = Figure(figsize=(WIDTH * 1.25, 0.4 + 1.75 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    by_id = {m.id: m for m in s.markets}
    for ax, mid in zip(axes, ids, strict=False):
        m = by_id[mid]
        df = markets[markets["market"] == mid]
        _fan(ax, df)
        stated = [(float(m.base_year), _median(m.size, "positive"))]
        if m.projection is not None:
            stated.append((float(m.projection.year), _median(m.projection, "positive")))
        ax.plot(
            *zip(*stated, strict=True), linestyle="none", marker="D", markersize=4, color=STATED, zorder=5
        )
        years = [int(y) for y in df["year"]]
        ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
        ax.set_xticks([years[0], years[-1]])
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.set_title(figure_text(f"{m.label} ({m.unit})", 28), loc="left", fontsize=8, fontweight="bold")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in axes[len(ids) :]:
        ax.set_visible(False)
    return fig


def _position_figure(s: Scenario, markets: pd.DataFrame, p: Any) -> MplFigure:
    fig, (ax_s, ax_r) = _new_figure(3.8, ncols=2)
    share = markets[markets["market"] == f"share.{p.id}"]
    revenue = markets[markets["market"] == f"revenue.{p.id}"]
    years = [int(y) for y in share["year"]]
    _fan(ax_s, share, scale=100.0)
    colors = {k: OUTCOME_COLORS[i % len(OUTCOME_COLORS)] for i, k in enumerate(s.outcome_ids)}
    seen: set[str] = set()
    for pt in p.path:
        label = pt.outcome or "any outcome"
        color = colors.get(pt.outcome, "black") if pt.outcome else "black"
        ax_s.plot(
            [model_time(pt.at)], [100 * _median(pt.share, "unit")], linestyle="none", marker="D",
            markersize=6, color=color, zorder=5, label=f"stated: {label}" if label not in seen else None,
        )  # fmt: skip
        seen.add(label)
    _year_axis(ax_s, years)
    ax_s.set_ylim(bottom=0)
    ax_s.set_ylabel("Share (%)")
    ax_s.set_title("Share", loc="left", fontsize=11, fontweight="bold")
    _fan(ax_r, revenue)
    _year_axis(ax_r, years)
    ax_r.set_ylim(bottom=0)
    ax_r.set_ylabel(figure_text(f"Revenue ({s.market(p.market).unit})", YLABEL_CHARS))
    ax_r.set_title("Revenue", loc="left", fontsize=11, fontweight="bold")
    # one legend below both panels: inside, it would cover the bands
    handles, labels = ax_s.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    fig.suptitle(figure_text(p.label, TITLE_CHARS), x=0.01, ha="left", fontsize=12, fontweight="bold")
    return fig


def _outcomes_figure(df: pd.DataFrame) -> MplFigure:
    n = len(df)
    fig, ax = _new_figure(1.2 + 0.75 * n)
    y = np.arange(n)[::-1]
    p = df["probability"].to_numpy() * 100
    lo, hi = df["q05"].to_numpy() * 100, df["q95"].to_numpy() * 100
    ax.barh(y, p, color=BAND50, height=0.55, label="simulated")
    ax.errorbar(p, y, xerr=[p - lo, hi - p], fmt="none", ecolor=MEDIAN, capsize=4, label="90% interval")
    ax.plot(
        df["stated"] * 100,
        y,
        linestyle="none",
        marker="D",
        color=STATED,
        markersize=8,
        label="stated",
        zorder=5,
    )
    ax.set_yticks(y, [figure_text(str(t), 30) for t in df["label"]], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Probability (%)")
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def _signposts_figure(s: Scenario, df: pd.DataFrame) -> MplFigure:
    from matplotlib.figure import Figure

    labels = {o.id: o.label for o in s.assessment.outcomes} if s.assessment else {}
    ids = list(dict.fromkeys(df["signpost"]))
    statements = {sp.id: sp.statement for sp in s.signposts}
    k = len(s.outcome_ids)
    height = 0.9 + len(ids) * (0.7 + 0.45 * k)
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(ids), 1, squeeze=False)[:, 0])
    for ax, sid in zip(axes, ids, strict=True):
        sub = df[df["signpost"] == sid]
        y = np.arange(len(sub))[::-1]
        h = 0.26
        for j, (col, name) in enumerate(
            (("now", "now"), ("if_true", "if observed true"), ("if_false", "if observed false"))
        ):
            ax.barh(y + (1 - j) * h, sub[col] * 100, height=h, color=SIGNPOST_COLORS[col], label=name)
        ax.set_yticks(y, [figure_text(labels.get(o, o), 34) for o in sub["outcome"]], fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Probability (%)")
        ax.set_title(figure_text(statements.get(sid, sid), 62), loc="left", fontsize=9, fontweight="bold")
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=8, frameon=False
    )
    return fig


def _tornado_figure(df: pd.DataFrame) -> MplFigure:
    # the table's order (most important first, on top), so chart and table list the
    # inputs alike
    d = df.head(15).iloc[::-1]
    fig, ax = _new_figure(0.8 + 0.35 * len(d))
    y = np.arange(len(d))
    baseline = df.attrs.get("baseline")
    if baseline is None:
        ax.barh(y, d["high"] - d["low"], left=d["low"], color=BAND50, height=0.6)
    else:
        # from the baseline to each end, so the chart shows which end raises the answer
        b = float(baseline)
        ax.barh(
            y,
            d["low"] - b,
            left=b,
            color=STATED,
            height=0.6,
            label=figure_text(str(df.attrs.get("low_label", "input low")), 40),
        )
        ax.barh(
            y,
            d["high"] - b,
            left=b,
            color=BAND50,
            height=0.6,
            label=figure_text(str(df.attrs.get("high_label", "input high")), 40),
        )
        ax.axvline(b, color=MEDIAN, linewidth=1.5)
        fig.legend(loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    ax.set_yticks(y, [figure_text(str(t), 40) for t in d["input"]], fontsize=8)
    # centred under an axes that long input names push right: at most 64 characters a line
    ax.set_xlabel(figure_text(str(df.attrs.get("target_label", df.attrs.get("target", "answer"))), 64))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _position_outcomes_figure(s: Scenario, by: pd.DataFrame, p: Any) -> MplFigure:
    from matplotlib.figure import Figure

    sub = by[by["market"] == f"share.{p.id}"]
    outcomes = list(dict.fromkeys(sub["outcome"]))
    labels = {o.id: o.label for o in s.assessment.outcomes} if s.assessment else {}
    fig = Figure(figsize=(WIDTH, 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(outcomes), sharey=True, squeeze=False)[0])
    top = float(sub["q95"].max()) * 100 if len(sub) else 1.0
    for ax, o in zip(axes, outcomes, strict=True):
        d = sub[sub["outcome"] == o]
        _fan(ax, d, scale=100.0)
        for pt in p.path:
            if pt.outcome in (o, None):
                ax.plot(
                    [model_time(pt.at)], [100 * _median(pt.share, "unit")], linestyle="none",
                    marker="D", markersize=5, color=STATED, zorder=5,
                    label="stated" if pt is p.path[0] else None,
                )  # fmt: skip
        _year_axis(ax, [int(y) for y in d["year"]])
        ax.set_xlabel("")
        ax.set_ylim(0, max(top, 1.0) * 1.08)
        prob = float(d["probability"].iloc[0])
        ax.set_title(
            figure_text(f"{labels.get(o, o)} ({100 * prob:.0f}% of draws)", 28), loc="left", fontsize=8
        )
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("Share (%)")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    fig.suptitle(
        figure_text(f"{p.label}: share by outcome", TITLE_CHARS),
        x=0.01,
        ha="left",
        fontsize=11,
        fontweight="bold",
    )
    return fig


def _predictions_figure(s: Scenario, preds: pd.DataFrame, by: pd.DataFrame) -> MplFigure:
    d = preds.sort_values("deadline", kind="stable").head(MAX_PREDICTION_BARS).reset_index(drop=True)
    n = len(d)
    fig, ax = _new_figure(1.3 + 0.62 * n)
    y = np.arange(n)[::-1]
    p = d["probability"].to_numpy() * 100
    err = 2 * d["mcse"].to_numpy() * 100
    ax.barh(y, p, color=BAND50, height=0.5, label="probability")
    ax.errorbar(p, y, xerr=err, fmt="none", ecolor=MEDIAN, capsize=4, label="± 2 MCSE")
    colors = {k: OUTCOME_COLORS[i % len(OUTCOME_COLORS)] for i, k in enumerate(s.outcome_ids)}
    labels = {o.id: o.label for o in s.assessment.outcomes} if s.assessment else {}
    if len(by):
        for k in s.outcome_ids:
            sub = by[by["outcome"] == k].set_index("id")
            xs = [100 * float(sub.loc[i, "probability"]) if i in sub.index else np.nan for i in d["id"]]
            ax.plot(
                xs, y, linestyle="none", marker="o", markersize=5, color=colors[k],
                label=f"if {figure_text(labels.get(k, k), 40)}", zorder=5,
            )  # fmt: skip
    ticks = [
        f"{figure_text(str(t), 44)}\nby {dl}" for t, dl in zip(d["statement"], d["deadline"], strict=True)
    ]
    ax.set_yticks(y, ticks, fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Probability of coming true by the deadline (%)")
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig
