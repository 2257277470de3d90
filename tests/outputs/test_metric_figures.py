"""The Metrics section's figures (issue 26): a fan per yearly metric, a distribution per
scalar metric, drawn from the numbers of ``metrics.csv``.

Each figure's plotted data is read back from the matplotlib objects (lines, bands,
bars), never from pixels, and compared with the metrics table and, for a histogram,
with numpy on the draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.outputs.metric_figures import (
    BINS,
    SPAN,
    distribution_figure,
    fan_figure,
    metric_figure_data,
    metric_plan,
)


@pytest.fixture(scope="module")
def fc() -> Any:
    return forecast.simulate(forecast.load(forecast.bundled("deepseek")), draws=2000, seed=3)


def _items(fc: Any) -> dict[str, Any]:
    return {m.metric: m for m in metric_figure_data(fc)["metric_figures"]}


def test_every_metric_gets_one_figure_titled_by_its_label(fc: Any) -> None:
    s = fc.scenario
    plan = metric_plan(metric_figure_data(fc)["metric_figures"])
    assert [key for key, *_ in plan] == [f"metric.{m.id}" for m in s.metrics]
    for (_, file, title, caption, _), m in zip(plan, s.metrics, strict=True):
        assert file == f"metric_{m.id}.png"
        assert title == f"{m.label} ({m.unit})" and m.id not in title
        assert caption


def test_a_yearly_metric_is_a_fan_of_its_table(fc: Any) -> None:
    table = fc.metrics()
    yearly = [m for m in fc.scenario.metrics if table[table["metric"] == m.id]["year"].notna().all()]
    assert yearly, "the seed has a yearly metric"
    for m in yearly:
        rows = table[table["metric"] == m.id]
        fig = fan_figure(_items(fc)[m.id])
        ax = fig.axes[0]
        [median] = ax.get_lines()
        np.testing.assert_array_equal(median.get_xdata(), rows["year"].to_numpy(float))
        np.testing.assert_array_equal(median.get_ydata(), rows["q50"].to_numpy(float))
        # the two bands: 90% (q05..q95), then 50% (q25..q75); a band's outline holds its ends
        for band, (lo, hi) in zip(ax.collections, [("q05", "q95"), ("q25", "q75")], strict=True):
            ys = set(np.round(band.get_paths()[0].vertices[:, 1], 9))
            assert set(np.round(rows[lo], 9)) <= ys and set(np.round(rows[hi], 9)) <= ys
        assert " ".join(ax.get_title(loc="left").split()) == m.label and ax.get_ylabel() == m.unit


def test_a_scalar_metric_is_a_histogram_of_its_draws_with_the_tables_median_and_interval(fc: Any) -> None:
    table = fc.metrics()
    scalar = fc.draws["scalar_metric"].values.tolist()
    assert len(scalar) == 2
    for i, mid in enumerate(scalar):
        x = fc.values("metric_value")[:, i]
        row = table[table["metric"] == mid].iloc[0]
        item = _items(fc)[mid]
        counts, edges = np.histogram(x, bins=BINS, range=tuple(np.quantile(x, SPAN)))
        np.testing.assert_array_equal(item.counts, counts)
        np.testing.assert_array_equal(item.edges, edges)
        assert item.outside == len(x) - counts.sum()
        ax = distribution_figure(item).axes[0]
        [bars] = [p for p in ax.patches if type(p).__name__ == "StepPatch"]
        np.testing.assert_allclose(bars.get_data().values, counts / len(x), rtol=1e-12)
        [median] = ax.get_lines()
        assert median.get_xdata()[0] == row.q50
        label = next(m.label for m in fc.scenario.metrics if m.id == mid)
        assert " ".join(ax.get_title(loc="left").split()) == label and mid not in ax.get_xlabel()
        [band] = [p for p in ax.patches if p.get_label() == "90% interval"]
        xs = (
            np.asarray(band.get_xy())[:, 0]
            if np.ndim(band.get_xy()) == 2
            else [band.get_x(), band.get_x() + band.get_width()]
        )
        assert (min(xs), max(xs)) == pytest.approx((row.q05, row.q95), rel=1e-12)


def test_the_report_embeds_a_figure_per_metric(fc: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    write_report(fc, tmp_path, workbook=False)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    section = md[md.index("Metrics\n") :]
    for m in fc.scenario.metrics:
        assert (tmp_path / "figures" / f"metric_{m.id}.png").stat().st_size > 1000
        assert f"(figures/metric_{m.id}.png)" in section
    assert 'data-file="figures/metric_devtools_npv.png"' in (tmp_path / "report.html").read_text()


def test_a_label_is_text_never_mathematics() -> None:
    """``$...$`` in a label is the scenario's text: matplotlib must not parse it (an
    unknown command there failed the whole run at draw time)."""
    import pandas as pd

    from forecast.outputs.figures import _png
    from forecast.outputs.metric_figures import MetricFigure

    label = r"Cost in $\notacommand$ and $m"
    fan = pd.DataFrame(
        {"year": [2025.0, 2026.0], **{q: [1.0, 2.0] for q in ("q05", "q25", "q50", "q75", "q95")}}
    )
    yearly = MetricFigure("cost", label, "$m", fan=fan)
    scalar = MetricFigure(
        "npv", label, "$m", counts=np.array([1, 2]), edges=np.array([0.0, 1.0, 2.0]), marks=(0.2, 1.0, 1.8)
    )
    for fig in (fan_figure(yearly), distribution_figure(scalar)):
        assert _png(fig).startswith(b"\x89PNG")
        assert " ".join(fig.axes[0].get_title(loc="left").split()).replace("\\$", "$") == label
