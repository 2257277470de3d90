"""The fan chart after an update: evidence markers and the "before evidence" median.

Checked on the drawn matplotlib figure itself (its artists), against numbers the
test computes from the draws and the scenario file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.outputs.figures import _plan, figure_data


def _figure(fc: Any, key: str) -> Any:
    plan = _plan(figure_data(fc))
    [make] = [make for info, make in plan if info.key == key]
    return make()


def test_fan_shows_the_evidence_and_the_median_before_it(update_forecast: Any) -> None:
    fc = update_forecast
    s = fc.scenario
    [e] = s.evidence[:1]
    fig = _figure(fc, f"market.{e.market}")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    before = lines["median before evidence"]
    i = [m.id for m in s.markets].index(e.market)
    prior = fc.data["prior"]["market_size"].values
    prior = prior.reshape(-1, *prior.shape[2:])[:, i, :]
    np.testing.assert_allclose(before.get_ydata(), np.median(prior, axis=0), rtol=1e-12)
    # the observation: a point at (year, value) with its 90% error bar
    points = [
        (float(x), float(y))
        for line in ax.get_lines()
        if line.get_marker() == "o"
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
    ]
    assert (float(e.year), float(e.value)) in points
    segments = [seg for coll in ax.collections for seg in getattr(coll, "get_segments", list)()]
    lo, hi = e.value * np.exp(-1.645 * e.rel_error), e.value * np.exp(1.645 * e.rel_error)
    assert any(
        np.allclose(seg[:, 0], e.year) and np.allclose(sorted(seg[:, 1]), [lo, hi]) for seg in segments
    ), "no 90% error bar at the evidence"
    assert "evidence" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_no_evidence_markers_without_an_update(seed_forecast: Any) -> None:
    fig = _figure(seed_forecast, f"market.{seed_forecast.scenario.markets[0].id}")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "median before evidence" not in labels
    assert "evidence" not in [t.get_text() for t in fig.legends[0].get_texts()]
