"""Sensitivity indices and the tornado: known answers, the seed scenario, targets.

Tolerances come from the estimator's Monte Carlo error. At 20,000 draws the EASI
first-order estimate of an input with no effect has an SD of about 0.0007 (the
bootstrap ``conf`` is about 0.0014 as a 95% half-width, itself conservative), so "near
0" is checked at 0.01 (over 10 SD). For a real effect the SD is at most about 0.008,
and summing ten harmonics of a Gaussian or lognormal input leaves out about 1-3% of
the index (the sorted input's tails are steep), a small downward bias stated where
it matters.
"""

from __future__ import annotations

import tomllib
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.sensitivity import (
    SENSITIVITY_COLUMNS,
    TORNADO_COLUMNS,
    first_order_indices,
    headline_targets,
    input_matrix,
    nuts_conf_factor,
    parse_target,
    sensitivities,
    sensitivity,
    uncertain_inputs,
)
from forecast.analysis.tornado import plot_tornado, tornado
from forecast.errors import ScenarioError

# Market "alpha" has an uncertain size, a point CAGR and no volatility: its size in
# any year is the 2024 size times a constant, so that size explains it entirely.
# Everything else varies and must not score on it.
ONE_DRIVER = """\
id = "one_driver"
title = "Only alpha's size matters for alpha"
as_of = 2025-01-01

[simulation]
draws = 1000
seed = 7
end_year = 2027

[correlation]
common_factor = { low = 0.2, high = 0.6 }

[[markets]]
id = "alpha"
label = "Alpha"
unit = "USD bn"
base_year = 2024
size = { median = 10.0, sigma = 0.2 }
cagr = 0.25

[[markets]]
id = "beta"
label = "Beta"
unit = "USD bn"
base_year = 2024
size = { median = 5.0, sigma = 0.2 }
cagr = { median = 0.30, sigma = 0.10 }
volatility = { low = 0.05, high = 0.20 }

[assessment]
horizon_years = 3
confidence = 20

[[assessment.outcomes]]
id = "up"
label = "Up"
probability = 0.5
drivers = [{ market = "beta", log_odds_per_sd = 0.5 }]

[[assessment.outcomes]]
id = "down"
label = "Down"
probability = 0.5

[[positions]]
id = "acme"
label = "Acme share of alpha"
market = "alpha"
path = [
  { at = 2025-01-01, share = { low = 0.05, high = 0.10 } },
  { at = 2027-01-01, outcome = "up", share = { low = 0.20, high = 0.30 } },
  { at = 2027-01-01, outcome = "down", share = { low = 0.02, high = 0.06 } },
]

[[predictions]]
id = "launch"
statement = "Acme launches by 2026"
deadline = 2026-01-01
probability = { low = 0.3, high = 0.7 }
"""

UNRELATED = ("enterprise_llm_apis", "vertical_solutions", "open_source_support")


@pytest.fixture(scope="module")
def one_driver() -> Any:
    scenario = forecast.Scenario.from_dict(tomllib.loads(ONE_DRIVER), origin="one_driver.toml")
    return forecast.simulate(scenario, draws=20_000, seed=11)


# --- a scenario whose answer is known ------------------------------------------------


def test_only_input_that_matters_gets_index_near_one(one_driver: Any) -> None:
    df = one_driver.sensitivity("market.alpha@2027")
    assert list(df.columns) == SENSITIVITY_COLUMNS
    assert df["input"].iloc[0] == "size[alpha]"
    top = df.iloc[0]
    # lognormal input, ten harmonics: the estimate sits 1-3 points below 1
    assert 0.95 < top["first_order"] <= 1.01
    assert 0.95 < top["independent"] <= 1.01
    rest = df.iloc[1:]
    assert len(rest) >= 8  # beta's size/CAGR/volatility, common factor, Dirichlet, shares, event
    assert rest["first_order"].abs().max() < 0.01
    assert rest["independent"].abs().max() < 0.01
    assert df["total"].isna().all()
    assert df.attrs["target"] == "Alpha 2027 (USD bn)"


def test_point_inputs_are_not_listed(one_driver: Any) -> None:
    keys = set(one_driver.sensitivity("total@2027")["input"])
    assert "growth[alpha]" not in keys  # point CAGR
    assert "volatility[alpha]" not in keys  # no volatility
    assert {"size[alpha]", "size[beta]", "growth[beta]", "volatility[beta]", "common_factor"} <= keys
    assert {"outcome_prior[up]", "event_probability[launch]"} <= keys
    assert "share_anchor[acme|2025-01-01|any]" in keys


def test_of_two_outcomes_one_probability_is_listed(one_driver: Any) -> None:
    """P(down) = 1 - P(up): the second would be the same input again, same index."""
    df = one_driver.sensitivity("outcome.up").set_index("input")
    assert "outcome_prior[down]" not in df.index
    assert df.loc["outcome_prior[up]", "label"] == "Up: probability (Down: one minus it)"
    assert df.loc["outcome_prior[up]", "first_order"] > 0.3  # the judgment drives its own outcome


def test_tornado_is_exact_when_nothing_else_is_random(one_driver: Any) -> None:
    """Alpha in 2027 is size x 1.25^3 with no shocks: the tornado is that, exactly."""
    df = one_driver.tornado("market.alpha@2027")
    assert list(df.columns) == TORNADO_COLUMNS
    size = one_driver.values("size")[:, 0]
    growth = 1.25**3
    top = df.iloc[0]
    assert top["input"] == "size[alpha]"
    assert top["low"] == pytest.approx(np.quantile(size, 0.1) * growth, rel=1e-9)
    assert top["high"] == pytest.approx(np.quantile(size, 0.9) * growth, rel=1e-9)
    assert top["base"] == pytest.approx(np.median(size) * growth, rel=1e-9)
    assert (df["swing"].iloc[1:] == 0).all()


def test_tornado_moves_the_outcome_with_its_prior_and_driver(one_driver: Any) -> None:
    df = one_driver.tornado("outcome.up").set_index("input")
    prior = df.loc["outcome_prior[up]"]
    assert prior["low"] < prior["base"] < prior["high"]
    driver = df.loc["growth[beta]"]
    assert driver["low"] < driver["base"] < driver["high"]  # positive log-odds per SD
    assert df.loc["size[alpha]", "swing"] == 0


# --- the seed scenario ---------------------------------------------------------------


def test_seed_devtools_revenue_ranks_its_own_inputs_first(seed_forecast: Any) -> None:
    """Developer-tools growth and share inputs rank above every input of the three
    unrelated markets. Unrelated CAGRs do carry first-order weight (~0.1) because the
    common factor correlates them with developer tools; their independent index, which
    orders the table, is ~0."""
    df = seed_forecast.sensitivity("revenue.deepseek_devtools@2028")
    rank = {k: i for i, k in enumerate(df["input"])}
    unrelated = [k for k in rank if any(f"[{m}]" in k for m in UNRELATED)]
    assert len(unrelated) == 9  # size, CAGR and volatility of three markets
    worst_unrelated = min(rank[k] for k in unrelated)
    share = [k for k in rank if k.startswith("share_anchor[")]
    assert rank["growth[developer_tools]"] < worst_unrelated
    assert min(rank[k] for k in share) < worst_unrelated
    assert rank["growth[developer_tools]"] == 0
    by = df.set_index("input")
    assert by.loc[unrelated, "independent"].max() < 0.01
    assert by.loc["growth[developer_tools]", "first_order"] > by.loc[unrelated, "first_order"].max()
    best_share = by.loc[share, "independent"].max()
    assert best_share > 3 * by.loc[share, "independent_conf"].min() / 1.96
    assert best_share > by.loc[unrelated, "independent"].max()


def test_own_part_conf_can_be_skipped_without_changing_the_indices(seed_forecast: Any) -> None:
    target = "total@2027"
    full = sensitivities(seed_forecast, [target])[target]
    lean = sensitivities(seed_forecast, [target], independent_conf=False)[target]
    assert lean["independent_conf"].isna().all()
    assert full["independent_conf"].notna().all()
    cols = ["input", "first_order", "conf", "independent"]
    pd.testing.assert_frame_equal(lean[cols], full[cols])


def test_conf_of_autocorrelated_draws_is_widened_by_sqrt_draws_over_ess() -> None:
    """AR(1) chains with phi = 0.8 have ESS = n (1 - phi) / (1 + phi), so the bootstrap
    (which treats draws as independent) must widen by sqrt(9) = 3. The bulk-ESS
    estimate of 4 x 5,000 such draws is good to a few percent; 10% is the tolerance."""
    from types import SimpleNamespace

    rng = np.random.default_rng(8)
    phi, chains, n = 0.8, 4, 5000
    x = np.empty((chains, n))
    x[:, 0] = rng.standard_normal(chains)
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + np.sqrt(1 - phi**2) * rng.standard_normal(chains)
    nuts_like = SimpleNamespace(conditioned=True, draws=SimpleNamespace(sizes={"chain": chains}))
    [factor] = nuts_conf_factor(nuts_like, x.reshape(-1, 1))  # type: ignore[arg-type]
    assert factor == pytest.approx(3.0, rel=0.1)
    forward = SimpleNamespace(conditioned=False)
    assert nuts_conf_factor(forward, x.reshape(-1, 1)).tolist() == [1.0]  # type: ignore[arg-type]


def test_conf_of_the_update_forecast_is_scaled_by_its_factor(update_forecast: Any) -> None:
    """Wiring: the table's conf is the bootstrap's times :func:`nuts_conf_factor` (1
    here: nutpie's draws of this target are antithetic, ESS > draws)."""
    target = "market.developer_tools@2025"
    fc = update_forecast
    y = parse_target(fc.scenario, target).of(fc)
    [factor] = nuts_conf_factor(fc, y[:, None])
    _, raw = first_order_indices(input_matrix(fc, uncertain_inputs(fc)), y)
    df = sensitivities(fc, [target])[target].set_index("input")
    keys = [i.key for i in uncertain_inputs(fc)]
    assert factor >= 1.0
    np.testing.assert_allclose(df.loc[keys, "conf"], raw * factor)


def test_seed_tornado_base_is_the_stated_projection(seed_forecast: Any) -> None:
    """All inputs at their medians, the 2027 developer-tools median is the stated $9.8B
    (up to the sample median of tornado_draws(fc) shock draws, 1,665 here: SE ~0.03)."""
    df = seed_forecast.tornado("market.developer_tools@2027")
    assert df.attrs["base"] == pytest.approx(9.8, abs=0.13)
    assert df["input"].iloc[0] == "growth[developer_tools]"
    assert set(df["input"].iloc[:2]) == {"growth[developer_tools]", "size[developer_tools]"}
    assert (df.set_index("input").loc[[f"size[{m}]" for m in UNRELATED], "swing"] == 0).all()


def test_seed_headline_targets_and_chart(seed_forecast: Any) -> None:
    targets = headline_targets(seed_forecast.scenario)
    assert targets == ["total@2027", "revenue.deepseek_devtools@2027", "outcome.independence"]
    df = sensitivity(seed_forecast, targets[2], resamples=20)
    # the judgment itself explains P(independence) more than developer-tools growth
    # does through its driver (about 0.54 against 0.44), by more than both intervals
    first, second = df.iloc[0], df.iloc[1]
    assert (first["input"], second["input"]) == ("outcome_prior[independence]", "growth[developer_tools]")
    assert first["first_order"] - second["first_order"] > first["conf"] + second["conf"], df.head(2)
    fig = plot_tornado(tornado(seed_forecast, targets[2], draws=500))
    assert fig.axes and fig.axes[0].get_xlabel().startswith("P(")


# --- targets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "variable", "index"),
    [
        ("market.developer_tools@2027", "market_size", (2, 3)),
        ("market.developer_tools", "market_size", (2, 4)),
        ("total@2025", "total_market", (1,)),
        ("share.deepseek_devtools@2026", "share", (0, 2)),
        ("revenue.deepseek_devtools@2028", "revenue", (0, 4)),
        ("outcome.acquired", "outcome_probability", (1,)),
        ("prediction.tiered_licensing", "prediction_hit", (1,)),
    ],
)
def test_targets_resolve(spec: str, variable: str, index: tuple[int, ...]) -> None:
    t = parse_target(forecast.load(forecast.bundled()), spec)
    assert (t.variable, t.index) == (variable, index)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("market.cloud@2027", "no market 'cloud'; markets are enterprise_llm_apis"),
        ("market.developer_tools@2031", "year 2031 is not simulated; years are 2024-2028"),
        ("outcome.bankrupt", "no outcome 'bankrupt'"),
        ("outcome.acquired@2027", "outcome targets take no year"),
        ("revenue.nobody@2027", "no position 'nobody'"),
        ("market.developer_tool@2027", "no market 'developer_tool'; did you mean 'developer_tools'?"),
        ("outcome.independance", "no outcome 'independance'; did you mean 'independence'?"),
        ("size of the market", "is not a target; use market.<id>@<year>"),
        ("total.x@2027", "total takes no id"),
    ],
)
def test_bad_targets_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_target(forecast.load(forecast.bundled()), spec)
    text = str(err.value)
    assert text.startswith("target: ") and message in text and repr(spec) in text
