"""Risks' effects on named inputs and metrics: known answers from the draws.

A small file: point inputs, metrics that name them, and risks with point probabilities
and shifts. Where a risk happens (``risk_happens``, drawn per draw in the graph) the
input is ``v + s`` (or ``v x scale``), else ``v``: its mean is ``v + p s``, with the
Monte Carlo error of a Bernoulli mean, ``|s| sqrt(p (1 - p) / n)``, and every metric
that names it follows draw by draw (a numpy recomputation from the recorded draws).
Tolerances are k x those errors (k = 4), never read from the table under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.risks import risk_register
from forecast.engine.answers import answer_sets

K = 4
TARGETS = """\
id = "targets"
title = "Risks on inputs and metrics"
as_of = 2025-01-01

[simulation]
draws = 20000
seed = 5
end_year = 2027

[[markets]]
id = "m"
label = "M"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = 0.2
volatility = 0.0

[assessment]
horizon_years = 2
confidence = 1e6

[[assessment.outcomes]]
id = "a"
label = "Outcome A"
probability = 0.5

[[assessment.outcomes]]
id = "b"
label = "Outcome B"
probability = 0.5

[[inputs]]
id = "price"
label = "Price"
unit = "USD"
value = 10.0

[[inputs]]
id = "margin"
label = "Margin"
unit = "share"
value = 0.4

[[inputs]]
id = "cost"
label = "Cost"
unit = "USD"
value = 5.0

[[metrics]]
id = "double"
label = "Twice the price"
unit = "USD"
formula = "2 * inputs.price"

[[metrics]]
id = "profit"
label = "Profit"
unit = "USD"
formula = "inputs.price * inputs.margin"

[[metrics]]
id = "after_cost"
label = "Profit after cost"
unit = "USD"
formula = "metric.profit - inputs.cost"

[[metrics]]
id = "rev"
label = "Revenue at the margin"
unit = "USD bn"
formula = "market.m * inputs.margin"

[[risks]]
id = "price_cut"
statement = "A price cut"
probability = 0.3
deadline = 2026-06-01
effects = [{ target = "inputs.price", shift = -2.0 }]

[[risks]]
id = "nothing"
statement = "A risk that moves nothing"
probability = 0.5
deadline = 2026-06-01
effects = [{ target = "inputs.cost", shift = 0.0 }]

[[risks]]
id = "write_off"
statement = "A write-off"
probability = 0.2
deadline = 2026-06-01
effects = [{ target = "metric.profit", shift = -1.0 }]

[[risks]]
id = "tied"
statement = "Tied to outcome A, halves the margin"
probability = 0.4
deadline = 2026-06-01
effects = [{ outcome = "a", log_odds = 1.5 }, { target = "inputs.margin", scale = 0.5 }]

[[risks]]
id = "rev_hit"
statement = "Revenue falls by 0.5 from 2025 on"
probability = 0.5
deadline = 2026-06-01
effects = [{ target = "metric.rev", shift = -0.5 }]
"""
RISKS = ["price_cut", "nothing", "write_off", "tied", "rev_hit"]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out: Path = tmp_path_factory.mktemp("targets") / "targets.toml"
    out.write_text(TARGETS, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def fc(path: Path) -> Any:
    return forecast.simulate(forecast.load(path))


def _happens(fc: Any, risk: str) -> np.ndarray:
    return np.asarray(fc.values("risk_happens")[:, RISKS.index(risk)], dtype=float)


def _input(fc: Any, ident: str) -> np.ndarray:
    return np.asarray(fc.values("input_value")[:, ["price", "margin", "cost"].index(ident)], dtype=float)


def _metric(fc: Any, ident: str) -> np.ndarray:
    return np.asarray(
        fc.values("metric_value")[:, ["double", "profit", "after_cost"].index(ident)], dtype=float
    )


def test_a_shifted_input_has_mean_v_plus_p_s_and_its_metric_follows(fc: Any) -> None:
    n = fc.values("input_value").shape[0]
    price = _input(fc, "price")
    mcse = 2.0 * np.sqrt(0.3 * 0.7 / n)
    assert price.mean() == pytest.approx(10.0 - 0.3 * 2.0, abs=K * mcse)
    assert set(np.unique(price)) == {8.0, 10.0}
    assert fc.draws["risk_happens"].dtype == np.int8  # a 0/1 flag, stored small
    np.testing.assert_array_equal(price == 8.0, _happens(fc, "price_cut") == 1)
    # the metric that names it: 2 (v + p s), and 2 x the input draw by draw
    assert _metric(fc, "double").mean() == pytest.approx(2 * (10.0 - 0.6), abs=K * 2 * mcse)
    np.testing.assert_allclose(_metric(fc, "double"), 2 * price, rtol=1e-6)


def test_a_risk_with_zero_shift_moves_nothing(fc: Any) -> None:
    assert np.all(_input(fc, "cost") == 5.0)
    assert 0 < _happens(fc, "nothing").mean() < 1  # it does happen: its shift is 0


def test_a_shifted_metric_flows_into_the_metrics_that_name_it(fc: Any) -> None:
    price, margin, cost = _input(fc, "price"), _input(fc, "margin"), _input(fc, "cost")
    profit = price * margin - _happens(fc, "write_off")
    np.testing.assert_allclose(_metric(fc, "profit"), profit, rtol=1e-5)
    np.testing.assert_allclose(_metric(fc, "after_cost"), profit - cost, rtol=1e-5, atol=1e-5)


def test_a_yearly_metric_is_shifted_in_the_forecast_years_only(fc: Any) -> None:
    rev = np.asarray(fc.values("metric_by_year")[:, 0, :], dtype=float)  # (n, 2024..2027)
    size = np.asarray(fc.values("market_size")[:, 0, :], dtype=float)
    hit = _happens(fc, "rev_hit")[:, None] * np.array([0.0, 1.0, 1.0, 1.0])[None, :]
    np.testing.assert_allclose(rev, size * _input(fc, "margin")[:, None] - 0.5 * hit, rtol=1e-5, atol=1e-5)


def test_a_scale_multiplies_and_the_risk_is_drawn_with_the_outcome(fc: Any, path: Path) -> None:
    """P(happens | outcome k) is the likelihood the register uses, L[k] (Bayes from
    the stated 0.5/0.5, p = 0.4 and the log-odds 1.5)."""
    h, margin = _happens(fc, "tied"), _input(fc, "margin")
    np.testing.assert_allclose(margin, np.where(h == 1, 0.2, 0.4), rtol=1e-6)
    lik = next(a for a in answer_sets(forecast.load(path), ("risk",)) if a.id == "tied").likelihood[0]
    realized = fc.values("realized_outcome")
    for k in range(2):
        sub = h[realized == k]
        assert sub.mean() == pytest.approx(lik[k], abs=K * np.sqrt(lik[k] * (1 - lik[k]) / len(sub)))


def test_the_register_shows_the_input_and_metric_if_it_happens_and_if_not(fc: Any) -> None:
    reg = risk_register(fc)
    price = reg[(reg["risk"] == "price_cut") & (reg["kind"] == "input")].iloc[0]
    assert (price["id"], price["if_happens"], price["if_not"]) == ("inputs.price", 8.0, 10.0)
    assert price["label"] == "Price (USD)"
    zero = reg[(reg["risk"] == "nothing") & (reg["kind"] == "input")].iloc[0]
    assert zero["if_happens"] == zero["if_not"] == 5.0
    assert zero["variance_share"] == 0.0
    w = reg[(reg["risk"] == "write_off") & (reg["kind"] == "metric")].iloc[0]
    # profit = price x margin - 1 where it happens: the write-off is independent of the rest
    n = fc.values("input_value").shape[0]
    gap = w["if_not"] - w["if_happens"]
    assert gap == pytest.approx(1.0, abs=K * np.hypot(w["mcse_happens"], w["mcse_not"]))
    assert w["mcse_happens"] > 0 and w["mcse_happens"] < 1.0 / np.sqrt(0.2 * n) * 4
    yearly = reg[(reg["risk"] == "rev_hit") & (reg["kind"] == "metric")].iloc[0]
    assert yearly["id"] == "metric.rev@2027"


def test_the_report_register_shows_what_each_risk_does_to_its_inputs_and_metrics(fc: Any) -> None:
    import pandas as pd

    from forecast.outputs.risk_section import risk_blocks, risk_input_rows

    block = risk_blocks(risk_register(fc), pd.DataFrame(), {})[0]
    table = block.tables[0]
    assert table.headers[-1] == "Inputs and metrics it moves: mean if it happens / not"
    by_risk = {row[0]: row[-1] for row in table.rows}
    assert by_risk["A price cut"].startswith("Price (USD): 8.00 ± ")
    assert " / 10.0 ± " in by_risk["A price cut"]
    assert by_risk["A write-off"].startswith("Profit (USD): ")
    keys = {r["key"]: r["what"] for r in risk_input_rows(fc.scenario)}
    assert keys["risks.tied.effects[1]"] == "tied: factor on input margin"
    assert keys["risks.price_cut.effects[0]"] == "price_cut: shift of input price"


def test_an_observed_risk_shifts_its_input_on_every_draw_under_nuts(path: Path) -> None:
    """Observed true: NUTS conditions the outcome odds on it (the exact update), and the
    posterior predictive draws it on every draw: the input is ``v + s`` throughout."""
    s = forecast.load(path).with_overrides({"risks.price_cut.observed": True, "simulation.draws": 1000})
    fc = forecast.simulate(s, seed=3)
    assert fc.conditioned
    assert np.all(_happens(fc, "price_cut") == 1)
    assert np.all(_input(fc, "price") == 8.0)
    np.testing.assert_allclose(_metric(fc, "double"), 16.0, rtol=1e-6)
    assert 0 < _happens(fc, "write_off").mean() < 1  # the others are still drawn
    reg = risk_register(fc)
    # seen: its other side is not in the draws, so the register gives its input no row
    assert reg[(reg["risk"] == "price_cut") & (reg["kind"] == "input")].empty
    assert not reg[(reg["risk"] == "write_off") & (reg["kind"] == "metric")].empty


def test_the_heat_map_draws_a_point_probability_read_just_outside_its_interval(fc: Any) -> None:
    """gpu-cloud's price war: probability 0.3005 from the draws' odds, its input's interval
    0.30-0.30; the error bar's negative length made matplotlib refuse (run exit 1)."""
    from forecast.outputs.risk_section import risk_heatmap

    reg = risk_register(fc).copy()
    reg["probability_q95"] = reg["probability"] - 1e-4
    reg["impact_q05"] = reg["impact"] + 1e-4
    assert risk_heatmap(reg) is not None
