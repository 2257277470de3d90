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
        {"id": "spike", "label": "S", "unit": "USD bn", "formula": "where(year == 2026, inputs.u * 10, 0)"},
    ],
    # thresholds on metrics, in the same file: one compiled structure for every test here
    "predictions": [
        {"id": "spike_by", "when": "by", "quantity": "metric.spike"},
        {"id": "spike_at", "when": "at", "quantity": "metric.spike"},
        {"id": "spike_in_2026", "quantity": "metric.spike@2026"},
        {"id": "twice", "quantity": "metric.twice", "threshold": 4.0},
    ],
}
for _p in POINT["predictions"]:
    _p.update(
        {"statement": _p["id"], "deadline": "2027-07-01", "op": ">=", "threshold": _p.get("threshold", 15.0)}
    )
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


def _u_tail(x: float) -> float:
    """P(u >= x) for the input u with the 90% interval [1, 3] (lognormal)."""
    from scipy import stats

    mu, sigma = np.log(3) / 2, np.log(3) / (2 * stats.norm.ppf(0.95))
    return float(stats.norm.sf((np.log(x) - mu) / sigma))


def test_a_threshold_on_a_metric_by_and_at_its_deadline() -> None:
    fc = forecast.simulate(Scenario.from_dict(POINT), draws=8000, seed=5)
    p = fc.predictions().set_index("id")
    exact = _u_tail(1.5)  # 10 u >= 15 in 2026, inside the window from as_of to the deadline
    for pid, want in (("spike_by", exact), ("spike_in_2026", exact), ("twice", _u_tail(2.0))):
        assert abs(p.loc[pid, "probability"] - want) <= 4 * p.loc[pid, "mcse"], pid
    assert p.loc["spike_at", "probability"] == 0  # 0 in 2027, the deadline's year
    assert p.loc["spike_by", "probability"] > 0.3


def test_a_metric_under_nuts_follows_the_conjugate_posterior() -> None:
    """log size ~ N(m0, s0); one observation of the 2025 size with log error r: the
    posterior of log size is normal (precision-weighted), so 2 x size in 2025 is
    lognormal with a known mean."""
    m0, s0, r, g, obs = np.log(10.0), 0.3, 0.1, 0.1, 12.0
    data = {
        "id": "conj",
        "title": "Conjugate",
        "as_of": "2025-01-01",
        "simulation": {"end_year": 2026},
        "markets": [{"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024,
                     "size": {"median": 10.0, "sigma": s0}, "cagr": g}],
        "evidence": [{"market": "m", "year": 2025, "value": obs, "rel_error": r}],
        "metrics": [{"id": "double", "label": "D", "unit": "USD bn", "formula": "2 * at(market.m, 2025)"}],
    }  # fmt: skip
    fc = forecast.simulate(Scenario.from_dict(data), draws=4000, seed=7)
    assert fc.conditioned
    prec = 1 / s0**2 + 1 / r**2
    mean_log = (m0 / s0**2 + (np.log(obs) - np.log1p(g)) / r**2) / prec + np.log1p(g)
    want = 2 * np.exp(mean_log + 0.5 / prec)
    row = fc.metrics().set_index("metric").loc["double"]
    assert abs(row["mean"] - want) <= 4 * row["mcse"]


def test_a_metric_is_a_sensitivity_and_tornado_target(closed: forecast.Forecast) -> None:
    from forecast.analysis.sensitivity import parse_target

    t = parse_target(closed.scenario, "metric.late@2028")
    assert (t.variable, t.index) == ("metric_by_year", (3, 4))  # the 4th yearly metric, 2028
    assert parse_target(closed.scenario, "metric.twice").variable == "metric_value"
    # the only uncertain input is u: it explains all of 2 u
    sens = closed.sensitivity("metric.twice")
    assert sens.iloc[0]["input"] == "input_value[u]"
    tornado = closed.tornado("metric.twice").set_index("input")
    lo, hi = np.quantile(closed.values("input_value")[:, 1], [0.1, 0.9])
    row = tornado.loc["input_value[u]"]
    assert row["low"] == pytest.approx(2 * lo, rel=1e-9) and row["high"] == pytest.approx(2 * hi, rel=1e-9)


def test_a_payoff_formula_builds_inline_outside_the_files_metrics() -> None:
    """The entry point for formulas that are not metrics (an option's payoff): parse
    against the scenario, build with the numbers as constants."""
    import pytensor.tensor as pt

    from forecast.engine.formulas import FormulaEnv, build_expression
    from forecast.scenario.formula import parse_formula

    s = Scenario.from_dict(POINT)
    expr, info, found = parse_formula(s, "npv(market.m, 0.1, 2025) - 2 * inputs.u", "options.a.payoff", "f")
    assert found == [] and expr is not None and info is not None and not info.series
    refs = {"market": pt.as_tensor(MARKET[None, :]), "input": pt.as_tensor(np.array([0.1, 3.0]))}
    env = FormulaEnv(pt, {"formula_year": pt.as_tensor(YEARS.astype(float))}, refs, {}, inline=True)
    assert float(build_expression(expr, env).eval()) == pytest.approx(50.0 - 6.0, rel=1e-12)
