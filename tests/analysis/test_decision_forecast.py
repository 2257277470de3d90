"""Decisions, value of information and discovery on a simulated forecast.

Payoffs are computed here in numpy from the draws (the scenario's payoff formulas are
compiled by the formula language) and attached with ``with_payoffs``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.decision import payoff_draws, with_payoffs
from tests.conftest import SCENARIOS

OPTIONS = ["build", "partner", "wait"]


def _payoffs(fc: Any) -> np.ndarray:
    """Three illustrative options: one rides the first market's last-year size, one
    pays by outcome, one is a sure thing."""
    size = fc.values("market_size")[:, 0, -1]
    outcome = fc.values("realized_outcome") if fc.scenario.assessment else np.zeros(fc.n_draws, int)
    ride = size / np.median(size) - 1.0
    by_outcome = np.where(outcome == 0, 0.6, -0.2)
    return np.stack([ride, by_outcome, np.full(fc.n_draws, 0.05)])


def test_the_decision_table_of_a_forecast(seed_forecast: Any) -> None:
    values = _payoffs(seed_forecast)
    result = seed_forecast.decision(values, OPTIONS)
    table = result.table
    assert list(table["option"]) == OPTIONS
    assert table["p_best"].sum() == pytest.approx(1.0)
    assert (table["regret"] >= 0).all()
    np.testing.assert_allclose(table["expected"], values.mean(axis=1))
    assert result.chosen == table["option"].iloc[int(np.argmax(table["expected"]))]
    # the payoff of "partner" is fixed by the outcome: its table by outcome is exact
    partner = result.by_outcome.query("option == 'partner'").set_index("outcome")["expected"]
    assert partner["independence"] == pytest.approx(0.6) and partner["struggling"] == pytest.approx(-0.2)


def test_value_of_information_of_a_forecast(seed_forecast: Any) -> None:
    voi = seed_forecast.value_of_information(
        _payoffs(seed_forecast), options=OPTIONS, plans=[("developer_tools", 2026, 0.1)]
    )
    by_item = voi.set_index("item")
    evpi, outcome = by_item.loc["everything", "value"], by_item.loc["outcome", "value"]
    signpost = by_item.loc["signpost.next_model_release", "value"]
    assert signpost <= outcome + 1e-12 <= evpi + 2e-12
    assert outcome > 0 and signpost > 0  # "partner" depends on the outcome only
    assert {"evpi", "evppi", "evsi"} == set(voi["kind"])
    assert "plan.developer_tools@2026" in by_item.index
    assert np.isfinite(voi[["value", "mcse"]].to_numpy()).all()
    # DeepSeek's share in Jan 2025 moves neither a market's size nor the outcome: no
    # payoff depends on it, so its EVPPI is 0 within its error
    unrelated = by_item.loc["input.share_anchor[deepseek_devtools|2025-01-01|any]"]
    assert abs(unrelated["value"]) <= 4 * max(unrelated["mcse"], 1e-12)


def test_discovery_on_a_forecast(seed_forecast: Any) -> None:
    values = _payoffs(seed_forecast)
    found = seed_forecast.discover("option.partner", values, options=OPTIONS)
    assert len(found) >= 1
    # "partner" wins only under independence: the box says so
    assert "the outcome is Sustainable independence" in found["conditions"].iloc[0]
    assert found["density"].iloc[0] > found["base"].iloc[0]
    pred = seed_forecast.discover(f"prediction.{seed_forecast.scenario.predictions[0].id}")
    assert set(pred.columns) >= {"conditions", "coverage", "density", "mass"}
    with pytest.raises(forecast.ScenarioError, match="did you mean 'partner'"):
        seed_forecast.discover("option.partnr", values, options=OPTIONS)


def test_a_forecast_without_payoffs_says_what_is_missing(seed_forecast: Any) -> None:
    with pytest.raises(forecast.ScenarioError, match="no \\[\\[options\\]\\]"):
        payoff_draws(seed_forecast)
    attached = with_payoffs(seed_forecast, _payoffs(seed_forecast), options=OPTIONS)
    assert payoff_draws(attached).shape == (3, seed_forecast.n_draws)
    assert list(attached.decision().table["option"]) == OPTIONS


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_evsi_is_at_most_evppi_of_the_outcome_at_most_evpi_on_every_bundled_scenario(path: Any) -> None:
    s = forecast.load(path)
    # forward draws: the inequality is a property of the draws, whichever way they were made
    fc = forecast.simulate(s, draws=2000, seed=3, prior_only=True)
    voi = fc.value_of_information(_payoffs(fc), options=OPTIONS, inputs=False).set_index("item")
    evpi = voi.loc["everything", "value"]
    outcome = voi.loc["outcome", "value"] if "outcome" in voi.index else evpi
    assert outcome <= evpi + 1e-12
    for item in voi.index[voi["kind"].eq("evsi")]:
        assert voi.loc[item, "value"] <= outcome + 1e-12, item


def test_after_nuts_the_observed_signpost_is_not_valued_again(update_forecast: Any) -> None:
    fc = update_forecast
    assert fc.conditioned
    values = _payoffs(fc)
    table = fc.decision(values, OPTIONS).table
    assert table["p_best"].sum() == pytest.approx(1.0)
    # NUTS draws are autocorrelated: the error is not below the independent-draws one by much
    naive = values.std(axis=1, ddof=1) / np.sqrt(fc.n_draws)
    assert (table["expected_mcse"].to_numpy()[:2] > 0.5 * naive[:2]).all()
    voi = fc.value_of_information(values, options=OPTIONS, inputs=False)
    observed = [sp.id for sp in fc.scenario.signposts if sp.observed is not None]
    assert observed and not any(voi["item"].isin([f"signpost.{i}" for i in observed]))


def test_the_bundled_decision_s_payoffs_are_its_formulas_on_the_draws() -> None:
    """The engine compiles each option's payoff formula into the model: its draws equal
    the formula worked in numpy on the same draws (exactly), in the decision's unit (a
    USD m decision gets 1,000 x the USD bn payoffs), and the value of information of
    the bundled example keeps its order."""
    s = forecast.load(forecast.bundled("deepseek-decision"))
    fc = forecast.simulate(s, draws=3000, seed=4)
    years = list(s.years)
    dev = fc.values("market_size")[:, [m.id for m in s.markets].index("developer_tools"), :]
    struggling = (fc.values("realized_outcome") == s.outcome_ids.index("struggling")).astype(float)

    def total(a: int, b: int) -> np.ndarray:
        return dev[:, years.index(a) : years.index(b) + 1].sum(axis=1)

    expected = np.stack(
        [
            0.02 * total(2025, 2028) * (1 - 0.7 * struggling) - 0.15,
            0.02 * total(2026, 2028) * (1 - 0.2 * struggling) - 0.15,
            0.014 * total(2025, 2028) - 0.10,
        ]
    )
    np.testing.assert_allclose(payoff_draws(fc), expected, rtol=1e-12, atol=1e-12)
    in_m = forecast.simulate(s.with_overrides({"decision.unit": "USD m"}), draws=3000, seed=4)
    np.testing.assert_allclose(payoff_draws(in_m), 1000 * expected, rtol=1e-12)
    voi = fc.value_of_information(inputs=False).set_index("item")
    evpi, outcome = voi.loc["everything", "value"], voi.loc["outcome", "value"]
    assert voi.loc["signpost.next_model_release", "value"] <= outcome + 1e-12 <= evpi + 2e-12
