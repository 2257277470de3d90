"""What the numbers mean (issue 13): known answers for projection anchors with yearly
shocks, share-path persistence, ``by`` vs ``at`` thresholds, the calendar convention,
drivers in a what-if and the Monte Carlo error of a probability every draw agrees on.

Statistical checks use a fixed seed and a tolerance in Monte Carlo standard errors
derived here: ``sqrt(p (1 - p) / n)`` for a probability, ``sigma / sqrt(2 n)`` for a
sample SD of normal draws, ``sigma sqrt(pi / 2 / n)`` for a sample median.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import forecast
from forecast.scenario import Scenario
from tests.conftest import SCENARIOS

N = 20_000


def scenario(**sections: Any) -> Scenario:
    """One market ``m`` (size 10 in 2024, uncertain) as of 2025-01-01; ``sections`` replace."""
    data: dict[str, Any] = {
        "id": "semantics",
        "title": "Semantics",
        "as_of": "2025-01-01",
        "simulation": {"end_year": 2030},
        "markets": [
            {
                "id": "m",
                "label": "M",
                "unit": "USD bn",
                "base_year": 2024,
                "size": {"median": 10.0, "sigma": 0.2},
                "projection": {"year": 2028, "median": 20.0, "sigma": 0.15},
                "volatility": 0.08,
            }
        ],
    }
    data.update(sections)
    return Scenario.from_dict(data)


def within(p_hat: float, p: float, n: int = N, k: float = 4.0) -> bool:
    return abs(p_hat - p) < k * math.sqrt(p * (1 - p) / n)


# --- a projection anchors its year, also with yearly shocks --------------------------------


def test_the_projection_year_has_the_projection_spread_with_yearly_shocks() -> None:
    """Size sigma 0.2 in 2024, projection sigma 0.15 in 2028, shocks of 0.08 a year. The
    shocks are bridged between the anchors: 2028 has SD 0.15 exactly (it was
    sqrt(0.15^2 + 4 x 0.08^2) = 0.22), and 2026, halfway, sqrt((0.2/2)^2 + (0.15/2)^2 +
    0.08^2 x 2 x 2 / 4) (the two anchors' halves and a Brownian bridge)."""
    fc = forecast.simulate(scenario(), draws=N, seed=11)
    years = fc.scenario.years
    log_size = np.log(fc.values("market_size")[:, 0, :])
    mid = math.sqrt(0.1**2 + 0.075**2 + 0.08**2)
    for year, centre, sd in (
        (2024, math.log(10), 0.2),
        (2026, math.log(math.sqrt(200)), mid),
        (2028, math.log(20), 0.15),
    ):
        x = log_size[:, years.index(year)]
        assert abs(np.median(x) - centre) < 4 * sd * math.sqrt(math.pi / 2 / N), (year, np.median(x))
        assert abs(x.std() - sd) < 4 * sd / math.sqrt(2 * N), (year, x.std(), sd)


def test_the_bundled_fleet_depot_has_its_stated_interval_in_2030() -> None:
    """ev-charging states fleet depot 2030 as a 90% interval [3, 7] with yearly shocks;
    it came out [2.18, 9.64]."""
    s = forecast.load(SCENARIOS / "ev-charging.toml")
    fc = forecast.simulate(s, draws=N, seed=3)
    i, year = [m.id for m in s.markets].index("fleet_depot"), s.years.index(2030)
    x = fc.values("market_size")[:, i, year]
    assert within(float(np.mean(x <= 3.0)), 0.05) and within(float(np.mean(x <= 7.0)), 0.95)


def test_a_point_projection_makes_its_year_a_point() -> None:
    s = scenario(markets=[{**scenario().raw["markets"][0], "projection": {"year": 2028, "value": 20.0}}])
    x = forecast.simulate(s, draws=1000, seed=1).values("market_size")[:, 0, s.years.index(2028)]
    np.testing.assert_allclose(x, 20.0, rtol=1e-12)


# --- share paths keep their persistence -----------------------------------------------------


def _two_point_path(persistence: float | None = None) -> Scenario:
    pos: dict[str, Any] = {
        "id": "p",
        "label": "P",
        "market": "m",
        "path": [
            {"at": "2025-07-01", "share": {"low": 0.1, "high": 0.2}},
            {"at": "2027-07-01", "share": {"low": 0.3, "high": 0.5}},
        ],
    }
    if persistence is not None:
        pos["persistence"] = persistence
    return scenario(positions=[pos])


@pytest.mark.parametrize("persistence", [None, 0.0])
def test_between_two_points_the_interval_is_the_interpolation_of_theirs(persistence: float | None) -> None:
    """Points of 90% [0.1, 0.2] in 2025 and [0.3, 0.5] in 2027: 2026, halfway, has 90% in
    [0.2, 0.35] whatever the persistence. With independent points averaged it was
    narrower (SD about sqrt(s1^2 + s2^2) / 2)."""
    fc = forecast.simulate(_two_point_path(persistence), draws=N, seed=7)
    share = fc.values("share")[:, 0, fc.scenario.years.index(2026)]
    assert within(float(np.mean(share <= 0.2)), 0.05), np.quantile(share, [0.05, 0.95])
    assert within(float(np.mean(share <= 0.35)), 0.95), np.quantile(share, [0.05, 0.95])


@pytest.mark.parametrize(("persistence", "rho"), [(None, 0.8), (0.0, 0.0), (0.5, 0.5)])
def test_persistence_is_the_correlation_of_the_points(persistence: float | None, rho: float) -> None:
    """A company ahead in 2025 is ahead in 2027: the points' percentiles have the
    Spearman correlation of a Gaussian copula with correlation ``persistence`` (default
    0.8), 6/pi asin(rho/2). Its sampling SD is below 1/sqrt(n)."""
    fc = forecast.simulate(_two_point_path(persistence), draws=N, seed=7)
    years = fc.scenario.years
    share = fc.values("share")[:, 0, :]
    r = stats.spearmanr(share[:, years.index(2025)], share[:, years.index(2027)])[0]
    assert abs(r - 6 / math.pi * math.asin(rho / 2)) < 4 / math.sqrt(N), r


# --- a threshold is judged by or at its deadline ----------------------------------------------

RISE_AND_FALL = {
    "id": "p",
    "label": "P",
    "market": "m",
    "path": [
        {"at": "2025-07-01", "share": 0.10},
        {"at": "2026-07-01", "share": 0.30},
        {"at": "2027-07-01", "share": 0.10},
    ],
}


def test_by_counts_any_time_up_to_the_deadline_and_at_only_the_deadline() -> None:
    """A share that rises to 30% in mid-2026 and falls back: ``>= 25%`` by 2027-07-01 is
    certain, at 2027-07-01 impossible (10%); on 2027-01-01, halfway down, the share is
    20% (``at`` misses 25%, ``by`` still counts mid-2026); on the way up the share
    passes 25% on 1 April 2026 (three quarters of the way), so ``by`` 2026-03-01 is
    impossible and ``by`` 2026-05-01 certain (monthly deadlines)."""
    preds = [
        {"id": i, "statement": i, "deadline": d, "quantity": "share.p", "op": ">=", "threshold": 0.25, **w}
        for i, d, w in (
            ("by_end", "2027-07-01", {"when": "by"}),
            ("at_end", "2027-07-01", {"when": "at"}),
            ("by_jan", "2027-01-01", {"when": "by"}),
            ("at_jan", "2027-01-01", {}),
            ("by_mar", "2026-03-01", {"when": "by"}),
            ("by_may", "2026-05-01", {"when": "by"}),
        )
    ]
    fc = forecast.simulate(scenario(positions=[RISE_AND_FALL], predictions=preds), draws=N, seed=1)
    table = fc.predictions().set_index("id")
    assert table["probability"].to_dict() == {
        "by_end": 1.0,
        "at_end": 0.0,
        "by_jan": 1.0,
        "at_jan": 0.0,
        "by_mar": 0.0,
        "by_may": 1.0,
    }
    # every draw agrees: the Monte Carlo error is the rule-of-three bound, never 0
    assert (table["mcse"] == 3 / N).all()


def test_the_seed_reads_within_18_months_as_by() -> None:
    s = forecast.load(SCENARIOS / "deepseek.toml")
    assert next(p for p in s.predictions if p.id == "devtools_leadership").judged == "by"


# --- when in the year a year's figure stands ----------------------------------------------------


def test_a_year_figure_stands_at_mid_year() -> None:
    """Size 10 in 2024 at exactly 47% a year. A deadline of 2026-07-01 reads the 2026
    figure, 10 x 1.47^2 = 21.609 (with the figure on 1 January it read 2.5 years of
    growth, 26.2); a share-path point dated 2026-07-01 is the 2026 share."""
    market = {"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.47}
    pos = {
        "id": "p",
        "label": "P",
        "market": "m",
        "path": [{"at": "2025-07-01", "share": 0.1}, {"at": "2026-07-01", "share": 0.2}],
    }
    preds = [
        {
            "id": i,
            "statement": i,
            "deadline": "2026-07-01",
            "quantity": "market.m",
            "op": ">=",
            "threshold": t,
        }
        for i, t in (("below", 21.60), ("above", 21.62))
    ]
    s = scenario(markets=[market], positions=[pos], predictions=preds)
    fc = forecast.simulate(s, draws=1000, seed=1)
    assert fc.predictions()["probability"].tolist() == [1.0, 0.0]
    year = s.years.index(2026)
    np.testing.assert_allclose(fc.values("market_size")[:, 0, year], 21.609, rtol=1e-12)
    np.testing.assert_allclose(fc.values("share")[:, 0, year], 0.2, rtol=1e-12)
    np.testing.assert_allclose(fc.values("revenue")[:, 0, year], 0.2 * 21.609, rtol=1e-12)


# --- drivers in a what-if ------------------------------------------------------------------------


def _log_odds(fc: Any) -> np.ndarray:
    q = fc.values("outcome_probability")  # independence, acquired, struggling
    return np.log(q[:, [0, 2]] / q[:, [1]])


def test_a_what_if_on_a_driver_market_moves_the_odds_by_the_stated_amount(tmp_path: Path) -> None:
    """The seed: independence +0.3 and struggling -0.3 log-odds per SD of developer-tools
    growth, stated at its own growth (log(9.8 / 3.1) / 3, SD 0.08). At the file's numbers
    the stated 40/35/25 hold; with the CAGR at 30% growth is (log 1.3 - that) / 0.08 SD
    lower, so with the same draws every log-odds against 'acquired' moves by exactly
    +-0.3 times that. It did not move at all."""
    seed = forecast.load(SCENARIOS / "deepseek.toml")
    base = forecast.simulate(seed, draws=N, seed=3)
    table = base.outcomes()
    assert ((table["probability"] - table["stated"]).abs() < 3 * table["mcse"]).all(), table

    sd_moved = (math.log(1.30) - math.log(9.8 / 3.1) / 3) / 0.08
    child = tmp_path / "slow.toml"
    child.write_text(
        f'extends = "{SCENARIOS / "deepseek.toml"}"\nid = "slow"\n\n[[markets]]\nid = "developer_tools"\n'
        "cagr = { median = 0.30, sigma = 0.08 }\n",
        encoding="utf-8",
    )
    for whatif in (seed.with_overrides({"markets.developer_tools.cagr": 0.30}), forecast.load(child)):
        moved = forecast.simulate(whatif, draws=N, seed=3)
        shift = _log_odds(moved) - _log_odds(base)
        np.testing.assert_allclose(
            shift, np.broadcast_to([0.3 * sd_moved, -0.3 * sd_moved], shift.shape), atol=1e-9
        )
        p_base, p_moved = base.outcomes()["probability"][0], moved.outcomes()["probability"][0]
        assert p_base - p_moved > 0.10, (p_base, p_moved)  # 40% -> about 27%
