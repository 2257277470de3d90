"""A comparison's differences with common random numbers (issue 25), its metrics and
targets (issue 26) and its decision (issue 29).

A what-if of one file is simulated with the file's seed and stream layout: an output
the change does not touch is identical draw by draw, so its difference is exactly 0
with no error, and the error of any difference comes from the paired draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.comparison import Comparison
from forecast.analysis.decision import with_payoffs
from forecast.analysis.paired import BATCHES, median_difference_mcse
from forecast.analysis.targets import target_problems

DRAWS, SEED = 2000, 3
CHANGE = {"markets.developer_tools.cagr": 0.30}


@pytest.fixture(scope="module")
def what_if() -> Comparison:
    base = forecast.load(forecast.bundled("deepseek"))
    return Comparison.simulate(
        [base, base.with_overrides(CHANGE)], names=["base", "slow"], draws=DRAWS, seed=SEED
    )


def test_an_output_the_change_does_not_touch_is_identical_with_no_error(what_if: Comparison) -> None:
    d = what_if.differences()
    untouched = d[d["quantity"] == "market.vertical_solutions"]
    assert len(untouched) == len(what_if.forecasts[0].scenario.years)
    assert (untouched["difference"] == 0).all() and (untouched["mcse"] == 0).all()
    assert not untouched["within_noise"].any()  # no change at all is not noise
    # the changed market: an effect far beyond its (paired) error
    dev = d[(d["quantity"] == "market.developer_tools") & (d["year"] == 2028)].iloc[0]
    assert dev["difference"] < 0 and 0 < dev["mcse"] < abs(dev["difference"]) / 10
    assert not dev["within_noise"]


def test_the_error_of_a_difference_comes_from_the_paired_draws(what_if: Comparison) -> None:
    base, slow = what_if.forecasts
    d = what_if.differences()
    # a probability: sd of the per-draw difference / sqrt(n), far below the independent bound
    k = base.scenario.outcome_ids.index("independence")
    diff = slow.values("outcome_probability")[:, k] - base.values("outcome_probability")[:, k]
    row = d[d["quantity"] == "outcome.independence"].iloc[0]
    assert row["mcse"] == pytest.approx(diff.std(ddof=1) / np.sqrt(DRAWS))
    independent = np.hypot(
        *[fc.outcomes().set_index("outcome").loc["independence", "mcse"] for fc in (base, slow)]
    )
    assert row["mcse"] < independent
    # a median: batch means of the paired draws
    x, y = slow.values("total_market"), base.values("total_market")
    j = [int(v) for v in base.scenario.years].index(2028)
    total = d[(d["quantity"] == "total") & (d["year"] == 2028)].iloc[0]
    assert total["mcse"] == pytest.approx(median_difference_mcse(x[:, [j]], y[:, [j]])[0])


def test_median_difference_error_known_answers() -> None:
    rng = np.random.default_rng(7)
    n = 40_000
    a, b = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    # independent standard normals: the median's SE is sqrt(pi / 2 / n), the difference's sqrt(2) times
    exact = np.sqrt(2) * np.sqrt(np.pi / 2 / n)
    # the batch estimate's own relative error is 1 / sqrt(2 (B - 1)); allow 4 of it
    tolerance = 4 / np.sqrt(2 * (BATCHES - 1))
    assert median_difference_mcse(a, b)[0] == pytest.approx(exact, rel=tolerance)
    assert median_difference_mcse(a, a)[0] == 0.0
    assert median_difference_mcse(a + 3.0, a)[0] == pytest.approx(0.0, abs=1e-12)


def test_metrics_are_compared_like_markets(what_if: Comparison) -> None:
    m = what_if.metrics()
    assert set(m["scenario"]) == {"base", "slow"} and "devtools_npv" in set(m["metric"])
    d = what_if.differences()
    npv = d[d["quantity"] == "metric.devtools_npv"].iloc[0]
    assert pd.isna(npv["year"])
    base = what_if.forecasts[0].metrics().set_index("metric").loc["devtools_npv", "q50"]
    slow = what_if.forecasts[1].metrics().set_index("metric").loc["devtools_npv", "q50"]
    assert npv["difference"] == pytest.approx(slow - base) and npv["difference"] < 0
    yearly = d[(d["quantity"] == "metric.devtools_revenue_m") & (d["year"] == 2027)]
    assert len(yearly) == 1


def test_targets_table_of_a_comparison(what_if: Comparison) -> None:
    t = what_if.targets(["metric.devtools_npv", "metric.devtools_revenue_m@2027", "outcome.independence"])
    assert list(t["target"].unique()) == [
        "metric.devtools_npv",
        "metric.devtools_revenue_m@2027",
        "outcome.independence",
    ]
    base, slow = what_if.forecasts
    npv = t[(t["target"] == "metric.devtools_npv") & (t["scenario"] == "slow")].iloc[0]
    x, y = slow.values("metric_value"), base.values("metric_value")
    i = list(base.draws["scalar_metric"].values).index("devtools_npv")
    assert npv["value"] == pytest.approx(np.quantile(x[:, i], 0.5))
    assert npv["difference"] == pytest.approx(np.quantile(x[:, i], 0.5) - np.quantile(y[:, i], 0.5))
    first = t[t["scenario"] == "base"]
    assert first["difference"].isna().all()  # the base has no difference from itself


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("metric.devtools_npvv", "no metric with id 'devtools_npvv'; did you mean 'devtools_npv'?"),
        ("metric.devtools_revenue_m@2040", "year 2040 is outside the simulated years 2024-2028"),
        ("metric.devtools_revenue_m", "metric 'devtools_revenue_m' is yearly: name its year"),
        ("metric.devtools_npv@2027", "is one number per draw: write it without @2027"),
        ("market.developer_tool@2027", "no market 'developer_tool'; did you mean 'developer_tools'?"),
    ],
)
def test_a_bad_target_is_refused_with_its_reason(spec: str, message: str) -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    problems = target_problems({"a": s}, [spec])
    assert len(problems) == 1 and message in str(problems[0]) and str(problems[0]).startswith("--target: ")


def test_a_decision_of_point_payoffs_picks_the_known_option(seed_forecast: Any) -> None:
    n = seed_forecast.n_draws
    first = with_payoffs(seed_forecast, np.array([[1.0] * n, [2.0] * n]), options=["a", "b"])
    second = with_payoffs(seed_forecast, np.array([[3.0] * n, [2.0] * n]), options=["a", "b"])
    cmp = Comparison([first, second], ["now", "later"])
    dec = cmp.decisions().set_index("scenario")
    assert dec.loc["now", "chosen_option"] == "b" and dec.loc["later", "chosen_option"] == "a"
    assert dec.loc["now", "expected_payoff"] == 2.0 and dec.loc["later", "expected_payoff"] == 3.0
    assert (dec["expected_payoff_mcse"] == 0).all() and (dec["criterion"] == "expected").all()
    d = cmp.differences().set_index("quantity")
    assert d.loc["option.a", "difference"] == 2.0 and d.loc["option.a", "mcse"] == 0.0
    assert d.loc["option.b", "difference"] == 0.0
