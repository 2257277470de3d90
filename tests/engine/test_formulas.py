"""Metric formulas in the model's graph: closed forms on point inputs, and every
metric's draws equal to a numpy recomputation from the draws in ``forecast.nc``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.engine.dataset import netcdf_bytes
from forecast.scenario import Scenario

POINT: dict[str, Any] = {
    "id": "closed",
    "title": "Closed forms",
    "as_of": "2025-01-01",
    "simulation": {"end_year": 2029},
    "markets": [{"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.1}],
    "inputs": [
        {"id": "rate", "label": "Rate", "value": 0.1},
        {"id": "u", "label": "U", "unit": "USD bn", "value": {"low": 1, "high": 3}},
    ],
    "metrics": [
        {"id": "total", "label": "T", "unit": "USD bn", "formula": "sum(market.m, 2025, 2028)"},
        {"id": "in2027", "label": "A", "unit": "USD m", "formula": "at(market.m, 2027)"},
        {"id": "lagged", "label": "L", "unit": "USD bn", "formula": "lag(market.m, 2)"},
        {"id": "g", "label": "G", "unit": "share", "formula": "growth(market.m)"},
        {"id": "pv", "label": "PV", "unit": "USD bn", "formula": "npv(market.m, inputs.rate, 2025)"},
        {"id": "cum", "label": "C", "unit": "USD bn", "formula": "cumsum(market.m)"},
        {"id": "avg", "label": "Avg", "unit": "USD bn", "formula": "mean(market.m, 2025, 2026)"},
        {
            "id": "late",
            "label": "W",
            "unit": "USD bn",
            "formula": "where(year >= 2027, market.m, 0) + metric.twice",
        },
        {"id": "twice", "label": "2U", "unit": "USD bn", "formula": "inputs.u * 2"},
        {
            "id": "cl",
            "label": "Clip",
            "unit": "USD bn",
            "formula": "clip(market.m, 11, 13) + min(0, -abs(-1))",
        },
    ],
}
YEARS = np.arange(2024, 2030)
MARKET = 10.0 * 1.1 ** (YEARS - 2024)


@pytest.fixture(scope="module")
def closed() -> forecast.Forecast:
    return forecast.simulate(Scenario.from_dict(POINT), draws=400, seed=3)


def _table(fc: forecast.Forecast) -> Any:
    t = fc.metrics()
    return {(r.metric, None if pd.isna(r.year) else int(r.year)): r for r in t.itertuples()}


def test_closed_forms_on_point_inputs(closed: forecast.Forecast) -> None:
    t = _table(closed)
    assert t["total", None].mean == pytest.approx(MARKET[1:5].sum(), rel=1e-12)
    assert t["in2027", None].mean == pytest.approx(1000 * MARKET[3], rel=1e-12)  # USD bn -> USD m
    # end-of-year flows discounted at the growth rate: every year is worth 10 today
    assert t["pv", None].mean == pytest.approx(10.0 * 5, rel=1e-12)
    assert t["avg", None].mean == pytest.approx(MARKET[1:3].mean(), rel=1e-12)
    for j, y in enumerate(YEARS):
        assert t["cum", int(y)].mean == pytest.approx(MARKET[: j + 1].sum(), rel=1e-12)
        assert t["cl", int(y)].mean == pytest.approx(np.clip(MARKET[j], 11, 13) - 1, rel=1e-12)
        if j >= 2:
            assert t["lagged", int(y)].mean == pytest.approx(MARKET[j - 2], rel=1e-12)
        if j >= 1:
            assert t["g", int(y)].mean == pytest.approx(0.1, rel=1e-9)
    # a lag's first years and growth's first year have no value: no row, never a number
    assert ("lagged", 2024) not in t and ("lagged", 2025) not in t and ("g", 2024) not in t
    assert t["total", None].sd < 1e-9 and t["total", None].mcse < 1e-9  # a mean, not a probability: no floor


def test_an_uncertain_input_reaches_its_metrics(closed: forecast.Forecast) -> None:
    u = closed.values("input_value")[:, 1]
    late = closed.values("metric_by_year")[:, list(closed.draws["yearly_metric"].values).index("late")]
    twice = 2 * u
    np.testing.assert_allclose(late[:, :3], twice[:, None] * np.ones(3), rtol=1e-12)
    np.testing.assert_allclose(late[:, 3:], MARKET[None, 3:] + twice[:, None], rtol=1e-12)
    # the input's 90% interval is the stated one (lognormal, exact quantiles)
    assert np.quantile(u, [0.05, 0.95]) == pytest.approx([1, 3], rel=0.15)


def test_seed_metrics_equal_numpy_from_the_saved_draws(tmp_path: Any) -> None:
    import xarray as xr

    s = forecast.load(forecast.bundled("deepseek"))
    fc = forecast.simulate(s, draws=2000, seed=11)
    path = tmp_path / "forecast.nc"
    path.write_bytes(netcdf_bytes(fc.data))
    pp = xr.open_datatree(path)["prior_predictive"].to_dataset()
    revenue = pp["revenue"].sel(position="deepseek_devtools").values.reshape(-1, len(s.years))
    rate = pp["input_value"].sel(input="discount_rate").values.reshape(-1)
    by_year = pp["metric_by_year"].sel(yearly_metric="devtools_revenue_m").values.reshape(-1, len(s.years))
    value = pp["metric_value"].values.reshape(-1, 2)
    years = np.array(s.years)
    in_sum = (years >= 2025) & (years <= 2028)
    np.testing.assert_allclose(by_year, 1000 * revenue, rtol=1e-6)  # forecast.nc may hold float32
    np.testing.assert_allclose(value[:, 0], 1000 * revenue[:, in_sum].sum(axis=1), rtol=1e-6)
    k = years[in_sum] - 2025 + 1
    npv = (1000 * revenue[:, in_sum] / (1 + rate[:, None]) ** k).sum(axis=1)
    np.testing.assert_allclose(value[:, 1], npv, rtol=1e-6)
    assert pp["metric_value"].coords["scalar_metric"].values.tolist() == [
        "devtools_revenue_2025_2028",
        "devtools_npv",
    ]
