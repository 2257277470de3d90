"""Implied growth, signpost effects on predictions and fans per outcome: known answers.

The known-answer scenario has two equally likely outcomes held by a huge confidence,
an event prediction with a point probability per outcome and one signpost, so every
number has a closed form; tolerances come from the Monte Carlo standard errors
derived here, at a fixed seed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.implied import (
    GROWTH_COLUMNS,
    SIGNPOST_COLUMNS,
    implied_growth,
    path_depends_on_outcome,
    position_by_outcome,
    prediction_by_outcome,
    signpost_effects,
)

KNOWN = """\
id = "known"
title = "Known answers"
as_of = 2025-01-01

[simulation]
draws = 40000
seed = 11
end_year = 2027

[[markets]]
id = "m"
label = "M"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = { median = 0.25, sigma = 0.1 }
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

[[positions]]
id = "co"
label = "Co share of M"
market = "m"
path = [
  { at = 2025-01-01, share = 0.1 },
  { at = 2026-01-01, outcome = "a", share = 0.3 },
  { at = 2026-01-01, outcome = "b", share = 0.05 },
]

[[predictions]]
id = "p"
statement = "P happens by 2026"
deadline = 2026-01-01
probability_by_outcome = { a = 0.9, b = 0.1 }

[[signposts]]
id = "s"
statement = "S is seen"
likelihood = { a = 0.8, b = 0.2 }
"""


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("known") / "known.toml"
    path.write_text(KNOWN, encoding="utf-8")
    return forecast.simulate(forecast.load(path))


def _snis_se(w: np.ndarray, p_hit: np.ndarray, target: float, n: int) -> float:
    """Standard error of a self-normalised weighted mean of 0/1 hits: outcomes equally
    likely, weight ``w[k]`` and hit probability ``p_hit[k]`` under outcome ``k``."""
    sq = p_hit * (1 - target) ** 2 + (1 - p_hit) * target**2  # E[(h - target)^2 | k]
    return float(np.sqrt(np.mean(w**2 * sq) / np.mean(w) ** 2 / n))


def test_signpost_moves_predictions_by_bayes_through_the_outcome(known: Any) -> None:
    eff = signpost_effects(known)
    assert list(eff.columns) == SIGNPOST_COLUMNS
    pred = eff[eff["kind"] == "prediction"].iloc[0]
    n = known.n_draws
    # P(a | true) = 0.8 * 0.5 / 0.5 = 0.8, so P(p | true) = 0.8 * 0.9 + 0.2 * 0.1 = 0.74
    lik, hit = np.array([0.8, 0.2]), np.array([0.9, 0.1])
    se_true = _snis_se(lik, hit, 0.74, n)
    se_false = _snis_se(1 - lik, hit, 0.26, n)
    assert pred["if_true"] == pytest.approx(0.74, abs=4 * se_true)
    assert pred["if_false"] == pytest.approx(0.26, abs=4 * se_false)
    # the reported Monte Carlo error is the one derived here (within its own noise)
    assert pred["mcse_true"] == pytest.approx(se_true, rel=0.1)
    assert pred["mcse_false"] == pytest.approx(se_false, rel=0.1)
    # not observed: "now" is exactly predictions.csv, and "without" is "now"
    assert pred["now"] == known.predictions()["probability"].iloc[0]
    assert pred["without"] == pred["now"] and pd_isna(pred["observed"])
    outcome = eff[(eff["kind"] == "outcome") & (eff["id"] == "a")].iloc[0]
    assert outcome["if_true"] == pytest.approx(0.8, abs=1e-3)  # Dirichlet held by 1e6 cases
    sp = known.signposts()
    assert np.allclose(eff.loc[eff["kind"] == "outcome", "if_true"], sp["if_true"])
    assert np.allclose(eff.loc[eff["kind"] == "outcome", "if_false"], sp["if_false"])


def pd_isna(x: Any) -> bool:
    return x is None or x != x


def test_implied_cagr_is_the_growth_draw_when_nothing_else_moves(known: Any) -> None:
    """No yearly shocks and a point size: each draw's implied CAGR is its growth draw."""
    g = implied_growth(known)
    assert list(g.columns) == GROWTH_COLUMNS
    assert [(r.from_year, r.to_year) for r in g.itertuples()] == [(2024, 2027)]
    growth = known.values("growth")[:, 0]
    row = g.iloc[0]
    assert row["q50"] == pytest.approx(np.median(growth), rel=1e-9)
    assert [row["q05"], row["q95"]] == pytest.approx(np.quantile(growth, [0.05, 0.95]).tolist(), rel=1e-9)
    assert row["stated"] == pytest.approx(0.25) and row["stated_basis"] == "stated CAGR"
    # the median's MCSE against its large-sample formula sqrt(p(1 - p) / n) / f(median),
    # f the growth draws' density at the median (normal here: 1 / (sqrt(2 pi) sd)); the
    # order-statistic estimate is within 20% of it at these draws
    n, sd = growth.size, growth.std(ddof=1)
    assert row["mcse"] == pytest.approx(0.5 / np.sqrt(n) * np.sqrt(2 * np.pi) * sd, rel=0.2)


def test_implied_cagr_of_the_seed_spans_base_to_projection_and_end(seed_forecast: Any) -> None:
    g = implied_growth(seed_forecast)
    assert set(zip(g["from_year"], g["to_year"], strict=True)) == {(2024, 2027), (2024, 2028)}
    assert list(dict.fromkeys(g["market"])) == ["total", *[m.id for m in seed_forecast.scenario.markets]]
    dev = g[(g["market"] == "developer_tools") & (g["to_year"] == 2027)].iloc[0]
    assert dev["stated"] == pytest.approx(0.47)
    # the stated total CAGR is that of the seed's own columns: 16.9 -> 49.6 in three years
    total = g[(g["market"] == "total") & (g["to_year"] == 2027)].iloc[0]
    assert total["stated"] == pytest.approx((49.6 / 16.9) ** (1 / 3) - 1, rel=1e-9)
    # the implied median sits near the stated CAGR: within its sampling error (the
    # median's SE is about 1.25 * sd / sqrt(n) for a near-normal spread)
    size = seed_forecast.values("market_size")[:, 2, :]
    per_draw = (size[:, 3] / size[:, 0]) ** (1 / 3) - 1
    se = 1.25 * per_draw.std() / np.sqrt(len(per_draw))
    assert dev["q50"] == pytest.approx(np.median(per_draw), abs=1e-12)
    assert abs(dev["q50"] - 0.47) < 0.01 + 4 * se


def test_share_fans_per_outcome_follow_their_own_path(known: Any) -> None:
    assert path_depends_on_outcome(known.scenario, "co")
    by = position_by_outcome(known)
    share = by[(by["market"] == "share.co") & (by["year"] == 2026)].set_index("outcome")
    # point shares: every draw of an outcome has that outcome's share at its anchor
    assert share.loc["a", ["q05", "q50", "q95"]].tolist() == pytest.approx([0.3] * 3)
    assert share.loc["b", ["q05", "q50", "q95"]].tolist() == pytest.approx([0.05] * 3)
    n = known.n_draws
    assert share.loc["a", "probability"] == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / n))
    rev = by[(by["market"] == "revenue.co") & (by["year"] == 2026)].set_index("outcome")
    assert rev.loc["a", "q50"] > rev.loc["b", "q50"]


def test_prediction_by_outcome_is_the_stated_probability(known: Any) -> None:
    by = prediction_by_outcome(known).set_index("outcome")
    for k, p in (("a", 0.9), ("b", 0.1)):
        n = int(by.loc[k, "draws"])
        assert by.loc[k, "probability"] == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n))
        assert by.loc[k, "mcse"] == pytest.approx(np.sqrt(p * (1 - p) / n), rel=0.1)


def test_a_prediction_every_draw_of_an_outcome_agrees_on_is_not_0_plus_minus_0(known: Any) -> None:
    """Under an outcome where no draw hits (an event certain under one outcome and
    impossible under the other), the probability is 0 or 1 but its error is the
    rule-of-three bound 3/n, as in every other table, not a binomial 0."""
    certain = {"predictions.p.probability_by_outcome": {"a": 1.0, "b": 0.0}, "simulation.draws": 2000}
    fc = forecast.simulate(known.scenario.with_overrides(certain))
    by = prediction_by_outcome(fc).set_index("outcome")
    assert by.loc["a", "probability"] == 1 and by.loc["b", "probability"] == 0
    for k in ("a", "b"):
        assert by.loc[k, "mcse"] == pytest.approx(3 / by.loc[k, "draws"])


def test_an_observed_signpost_is_undone_before_reweighting(update_forecast: Any) -> None:
    """After NUTS conditioned on the release, "without" is the odds without it, and
    "if true" is the conditioned answer again (the same news is not counted twice)."""
    eff = signpost_effects(update_forecast)
    out = eff[eff["kind"] == "outcome"]
    assert np.allclose(out["if_true"], out["now"], atol=1e-9)
    assert (out["without"] != out["now"]).all()
    pred = eff[eff["kind"] == "prediction"]
    # reweighting by 1 / P(true | outcome), then by P(true | outcome), is the identity
    assert np.allclose(pred["if_true"], pred["now"], atol=1e-9)


def test_a_prior_only_run_does_not_report_an_observation_it_ignored(known: Any) -> None:
    """--prior-only ignores an observed signpost: its rows are the open signpost's (the
    odds if it comes out true or false), not "observed true, moved P(A) from 50% to 50%"."""
    from forecast.outputs.briefing import signpost_lines
    from forecast.outputs.narrative import executive_summary

    seen = known.scenario.with_overrides({"signposts.s.observed": True, "simulation.draws": 2000})
    fc = forecast.simulate(seen, prior_only=True)
    eff = signpost_effects(fc)
    assert eff["observed"].map(pd_isna).all() and fc.signposts()["observed"].map(pd_isna).all()
    a = eff[(eff["kind"] == "outcome") & (eff["id"] == "a")].iloc[0]
    assert a["if_true"] == pytest.approx(0.8, abs=1e-3)  # what observing it would do
    [line] = signpost_lines(fc.scenario, eff)
    assert "moved" not in line and "if true" in line
    sentences = executive_summary(
        fc.scenario,
        year=2027,
        conditioned=False,
        outcomes=fc.outcomes(),
        by_outcome=position_by_outcome(fc),
        growth=implied_growth(fc),
        predictions=fc.predictions(),
        signposts=eff,
    )
    found = {x.key: x.text for x in sentences}
    assert "was observed" not in found["signpost"] and "moves the odds most" in found["signpost"]


def test_scenario_without_signposts_or_outcomes(write: Callable[..., Path]) -> None:
    path = write(
        """\
id = "plain"
title = "Plain"
as_of = 2025-01-01
[simulation]
draws = 500
[[markets]]
id = "a"
label = "A"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = 0.2
"""
    )
    fc = forecast.simulate(forecast.load(path))
    assert signpost_effects(fc).empty and position_by_outcome(fc).empty and prediction_by_outcome(fc).empty
    g = implied_growth(fc)
    assert g["q50"].tolist() == pytest.approx([0.2]) and g["q05"].tolist() == pytest.approx([0.2])


@pytest.mark.parametrize("name", ["forecast.analysis.implied"])
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0 and result.attempted > 0
