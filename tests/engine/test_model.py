"""The model's semantics: fidelity to the stated inputs, and answers known in closed form.

Statistical checks use a fixed seed and a tolerance stated in Monte Carlo standard
errors (MCSE): ``sd / sqrt(n)`` for means and probabilities, and for a sample quantile
``sqrt(q (1 - q) / n) / f(x_q)`` (its asymptotic SD). With a fixed seed the draws are
the same on every run, so a check either always passes or always fails; the tolerance
says how far from the exact answer a correct model may land.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pytest
from scipy import special, stats

import forecast
from forecast.engine.data import calibrate_outcomes, model_data
from forecast.engine.model import _transform
from forecast.scenario import Scenario, model_time
from forecast.scenario.inputs import Canonical, Family

N = 20_000  # draws of the synthetic forecasts below (the seed forecast has as many)


def synthetic(**sections: Any) -> Scenario:
    """A scenario dict with one market ``m``; ``sections`` replace or add top-level keys."""
    data: dict[str, Any] = {
        "id": "synthetic",
        "title": "Synthetic",
        "as_of": "2025-01-01",
        "simulation": {"end_year": 2028},
        "markets": [
            {
                "id": "m",
                "label": "M",
                "unit": "USD bn",
                "base_year": 2024,
                "size": 10.0,
                "cagr": {"median": 0.3, "sigma": 0.1},
            }
        ],
    }
    data.update(sections)
    return Scenario.from_dict(data)


# --- the seed scenario reproduces what the analyst stated ----------------------------


def test_seed_outcome_probabilities_are_the_stated_ones(seed_forecast: Any) -> None:
    table = seed_forecast.outcomes()
    assert table["stated"].tolist() == pytest.approx([0.40, 0.35, 0.25])
    assert (table["mcse"] > 0).all()
    deviation = (table["probability"] - table["stated"]).abs() / table["mcse"]
    assert (deviation < 3).all(), table


def test_seed_market_medians_are_the_stated_size_and_projection(seed_forecast: Any) -> None:
    table = seed_forecast.markets().set_index(["market", "year"])
    for m in seed_forecast.scenario.markets:
        assert m.projection is not None
        size = m.size.canonical("positive").quantile(0.5)
        proj = m.projection.canonical("positive").quantile(0.5)
        assert table.loc[(m.id, m.base_year), "q50"] == pytest.approx(size, rel=0.02), m.id
        assert table.loc[(m.id, m.projection.year), "q50"] == pytest.approx(proj, rel=0.02), m.id


def test_seed_intervals_widen_with_the_horizon(seed_forecast: Any) -> None:
    table = seed_forecast.markets()
    for m in seed_forecast.scenario.markets:
        rows = table[table["market"] == m.id].sort_values("year")
        ratio = (rows["q95"] / rows["q05"]).to_numpy()
        assert np.all(np.diff(ratio) > 0), (m.id, ratio)


def test_seed_revenue_is_share_times_its_market(seed_forecast: Any) -> None:
    """Per draw, exactly: wiring of positions to markets and of outcomes to share paths."""
    fc = seed_forecast
    market = fc.values("market_size")[:, fc.scenario.markets.index(fc.scenario.market("developer_tools")), :]
    share, revenue = fc.values("share")[:, 0, :], fc.values("revenue")[:, 0, :]
    np.testing.assert_allclose(revenue, share * market, rtol=1e-12)
    np.testing.assert_allclose(fc.values("total_market"), fc.values("market_size").sum(axis=1), rtol=1e-12)


def test_seed_share_follows_the_realized_outcome_and_prediction_reads_it(seed_forecast: Any) -> None:
    """At 2026-07-01 the share is the realized outcome's anchor. Judged ``at`` that
    deadline, the prediction ``share >= 25%`` is exactly that comparison, draw by draw;
    the seed judges it ``by`` the deadline ("within 18 months"), which adds the draws
    that passed 25% on the way and then fell back below it."""
    fc = seed_forecast
    labels = model_data(fc.scenario).coords["share_input"]
    anchor, outcome = fc.values("share_anchor"), fc.values("realized_outcome")
    column = [labels.index(f"deepseek_devtools|2026-07-01|{k}") for k in fc.scenario.outcome_ids]
    at_deadline = (anchor[np.arange(len(outcome)), np.array(column)[outcome]] >= 0.25).astype(float)
    index = [p.id for p in fc.scenario.predictions].index("devtools_leadership")
    at = forecast.simulate(
        fc.scenario.with_overrides({"predictions.devtools_leadership.when": "at"}),
        draws=fc.n_draws,
        seed=fc.seed,
    )
    np.testing.assert_array_equal(at.values("prediction_hit")[:, index], at_deadline)
    by = fc.values("prediction_hit")[:, index]
    assert np.all(by >= at_deadline)
    # 2025-01-01 is the common anchor, before any outcome-specific one; it sits halfway
    # between the 2024 and 2025 figures, and the path is flat before its first point
    year = [int(y) for y in fc.scenario.years].index(2024)
    np.testing.assert_allclose(fc.values("share")[:, 0, year], anchor[:, 0], rtol=1e-12)


# --- known answers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def lognormal_forecast() -> Any:
    """One market, no shocks, point size 10, CAGR median 30% with sigma 0.1 on log(1 + CAGR)."""
    return forecast.simulate(synthetic(), draws=N, seed=11)


def test_market_size_is_lognormal_with_the_stated_drift(lognormal_forecast: Any) -> None:
    """log size_t ~ Normal(log 10 + t log 1.3, t 0.1): every quantile within 4 MCSE.

    20 quantiles (5 levels x 4 years) are compared, so the bound is 4 MCSE rather than 3
    (a two-sided 4-sigma miss has probability 6e-5 per comparison).
    """
    fc = lognormal_forecast
    size = fc.values("market_size")[:, 0, :]
    years = [int(y) for y in fc.scenario.years]
    np.testing.assert_allclose(size[:, years.index(2024)], 10.0, rtol=1e-12)  # a point size
    levels = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    z = special.ndtri(levels)
    for t in range(1, 5):
        mu, sigma = np.log(10.0) + t * np.log(1.3), t * 0.1
        got = np.log(np.quantile(size[:, years.index(2024 + t)], levels))
        mcse = sigma * np.sqrt(levels * (1 - levels) / N) / stats.norm.pdf(z)
        assert np.all(np.abs(got - (mu + sigma * z)) < 4 * mcse), (t, got, mu + sigma * z)


def test_growth_is_the_stated_cagr(lognormal_forecast: Any) -> None:
    growth = lognormal_forecast.values("growth")[:, 0]
    log_growth = np.log1p(growth)
    assert abs(np.median(log_growth) - np.log(1.3)) < 4 * 0.1 * np.sqrt(np.pi / 2 / N)
    assert log_growth.std() == pytest.approx(0.1, rel=4 / np.sqrt(2 * N))


def test_uncertain_size_and_projection_are_two_anchors() -> None:
    """Size ~ lognormal(log 10, 0.2) in 2024 and projection ~ lognormal(log 20, 0.15) in
    2028, no CAGR, no shocks: growth runs from one to the other, so 2024 has the size's
    spread, 2028 the projection's (not the two combined), and 2026, halfway, the log of
    the geometric mean, sd sqrt(0.2^2 + 0.15^2) / 2 = 0.125. Medians within 4 MCSE of a
    sample median (sigma sqrt(pi / 2 / N)), SDs within 4 of a sample SD (sigma / sqrt(2 N)).
    """
    market = {
        "id": "m",
        "label": "M",
        "unit": "u",
        "base_year": 2024,
        "size": {"median": 10.0, "sigma": 0.2},
        "projection": {"year": 2028, "median": 20.0, "sigma": 0.15},
    }
    fc = forecast.simulate(synthetic(markets=[market]), draws=N, seed=5)
    years = [int(y) for y in fc.scenario.years]
    log_size = np.log(fc.values("market_size")[:, 0, :])
    for year, mu, sigma in (
        (2024, np.log(10.0), 0.2),
        (2026, np.log(np.sqrt(10.0 * 20.0)), 0.125),
        (2028, np.log(20.0), 0.15),
    ):
        x = log_size[:, years.index(year)]
        assert abs(np.median(x) - mu) < 4 * sigma * np.sqrt(np.pi / 2 / N), (year, np.median(x), mu)
        assert abs(x.std() - sigma) < 4 * sigma / np.sqrt(2 * N), (year, x.std(), sigma)


def test_point_cagr_grows_at_that_rate() -> None:
    """A point CAGR of 25% (no spread) gives exactly 10 x 1.25^t."""
    s = synthetic(
        markets=[{"id": "m", "label": "M", "unit": "u", "base_year": 2024, "size": 10.0, "cagr": 0.25}]
    )
    fc = forecast.simulate(s, draws=200, seed=1)
    expected = 10.0 * 1.25 ** np.arange(len(s.years))
    np.testing.assert_allclose(
        fc.values("market_size")[:, 0, :], np.broadcast_to(expected, (200, len(s.years)))
    )


# --- drivers: strong links to a market still reproduce the stated probabilities -------

DRIVEN: dict[str, Any] = {
    "correlation": {"common_factor": {"low": 0.2, "high": 0.6}},
    "markets": [
        {
            "id": "a",
            "label": "A",
            "unit": "USD bn",
            "base_year": 2024,
            "size": {"median": 5.0, "sigma": 0.1},
            "cagr": {"median": 0.3, "sigma": 0.15},
            "volatility": {"low": 0.05, "high": 0.2},
        },
        {
            "id": "b",
            "label": "B",
            "unit": "USD bn",
            "base_year": 2024,
            "size": 2.0,
            "projection": {"year": 2027, "value": 4.0},
        },
    ],
    "assessment": {
        "horizon_years": 3,
        "confidence": 20,
        "outcomes": [
            {
                "id": "up",
                "label": "Up",
                "probability": 0.5,
                "drivers": [{"market": "a", "log_odds_per_sd": 1.5}],
            },
            {"id": "flat", "label": "Flat", "probability": 0.3},
            {
                "id": "down",
                "label": "Down",
                "probability": 0.2,
                "drivers": [{"market": "a", "log_odds_per_sd": -1.5}],
            },
        ],
    },
    "predictions": [
        {"id": "point", "statement": "p", "deadline": "2026-01-01", "probability": 0.3},
        {
            "id": "by_outcome",
            "statement": "c",
            "deadline": "2027-01-01",
            "probability_by_outcome": {"up": 0.2, "flat": 0.5, "down": 0.9},
        },
        {
            "id": "uncertain",
            "statement": "u",
            "deadline": "2026-07-01",
            "probability": {"low": 0.3, "high": 0.7},
        },
        {
            "id": "big_a",
            "statement": "t",
            "deadline": "2027-01-01",
            "quantity": "market.a",
            "op": ">=",
            "threshold": 11.0,
        },
    ],
}


@pytest.fixture(scope="module")
def driven_forecast() -> Any:
    return forecast.simulate(synthetic(**DRIVEN), draws=N, seed=5)


def test_strong_drivers_keep_the_stated_probabilities(driven_forecast: Any) -> None:
    table = driven_forecast.outcomes()
    deviation = (table["probability"] - table["stated"]).abs() / table["mcse"]
    assert (deviation < 3).all(), table
    # the realized outcome's frequencies too (binomial MCSE)
    outcome = driven_forecast.values("realized_outcome")
    freq = np.bincount(outcome, minlength=3) / N
    stated = table["stated"].to_numpy()
    assert np.all(np.abs(freq - stated) < 3 * np.sqrt(stated * (1 - stated) / N)), freq


def test_outcome_follows_its_driving_market(driven_forecast: Any) -> None:
    """``up`` is more likely when market a grows faster, ``down`` less; ``b`` drives nothing
    beyond the common factor. Bound: |r| > 5 / sqrt(n) is 5 SD away from no correlation."""
    fc = driven_forecast
    growth_a = fc.values("growth")[:, 0]
    outcome = fc.values("realized_outcome")
    up, down = (outcome == 0).astype(float), (outcome == 2).astype(float)
    r_up, r_down = np.corrcoef(up, growth_a)[0, 1], np.corrcoef(down, growth_a)[0, 1]
    assert r_up > 5 / np.sqrt(N), r_up
    assert r_down < -5 / np.sqrt(N), r_down
    q_up = fc.values("outcome_probability")[:, 0]
    assert np.corrcoef(q_up, fc.values("growth_surprise")[:, 0])[0, 1] > 0.5


def test_calibration_reaches_the_stated_mean() -> None:
    """The fixed point itself: with the same common random numbers, E[q] = stated."""
    stated, alpha = np.array([0.5, 0.3, 0.2]), 20 * np.array([0.5, 0.3, 0.2])
    beta = np.array([[1.5, 0.0], [0.0, 0.0], [-1.5, 0.0]])
    rho = Canonical(Family.NORMAL, 0.4, 0.0)
    c = calibrate_outcomes(stated, alpha, beta, rho, draws=20_000, seed=3)
    rng = np.random.default_rng(3)  # the same stream calibrate_outcomes uses
    p = rng.dirichlet(alpha, size=20_000)
    r = rho.transform(rng.standard_normal(20_000))[:, None]
    s = np.sqrt(r) * rng.standard_normal((20_000, 1)) + np.sqrt(1 - r) * rng.standard_normal((20_000, 2))
    q = special.softmax(np.log(p) + c + s @ beta.T, axis=1)
    np.testing.assert_allclose(q.mean(axis=0), stated, atol=1e-8)
    # without the offsets the drivers would move the marginals
    q0 = special.softmax(np.log(p) + s @ beta.T, axis=1).mean(axis=0)
    assert np.max(np.abs(q0 - stated)) > 0.01


# --- events ---------------------------------------------------------------------------


def _prediction(fc: Any, pid: str) -> Any:
    return fc.predictions().set_index("id").loc[pid]


def test_event_with_a_point_probability_fires_with_it(driven_forecast: Any) -> None:
    row = _prediction(driven_forecast, "point")
    assert abs(row["probability"] - 0.3) < 3 * row["mcse"], row


def test_conditional_event_averages_over_outcomes(driven_forecast: Any) -> None:
    """P(event) = sum_k P(outcome k) p_k = 0.5 x 0.2 + 0.3 x 0.5 + 0.2 x 0.9 = 0.43."""
    row = _prediction(driven_forecast, "by_outcome")
    assert abs(row["probability"] - 0.43) < 3 * row["mcse"], row
    # and given the outcome, it fires with that outcome's probability
    fc = driven_forecast
    hit = fc.values("prediction_hit")[:, 1]
    outcome = fc.values("realized_outcome")
    for k, p in enumerate([0.2, 0.5, 0.9]):
        sel = outcome == k
        assert abs(hit[sel].mean() - p) < 3 * np.sqrt(p * (1 - p) / sel.sum()), (k, hit[sel].mean())


def test_event_with_an_uncertain_probability_fires_with_its_mean(driven_forecast: Any) -> None:
    """A 90% interval [0.3, 0.7] is logit-normal; P(event) is its mean (Gauss-Hermite)."""
    c = forecast.scenario.Quantity(low=0.3, high=0.7).canonical("unit")
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    mean = float(np.sum(weights * c.transform(nodes)) / np.sqrt(2 * np.pi))
    row = _prediction(driven_forecast, "uncertain")
    assert abs(row["probability"] - mean) < 3 * row["mcse"], (row, mean)


def test_event_time_and_hit_agree(driven_forecast: Any) -> None:
    fc = driven_forecast
    horizon = model_data(fc.scenario).event_horizon
    hit = fc.values("prediction_hit")[:, :3]
    np.testing.assert_array_equal(hit, (fc.values("event_time") <= horizon).astype(float))


def test_threshold_prediction_reads_the_interpolated_market(driven_forecast: Any) -> None:
    """A year's figure stands at mid-year, so a deadline on 1 January 2027 lies about
    halfway between the 2026 and 2027 figures: the hit is the log-linear interpolation
    between them >= 11."""
    fc = driven_forecast
    years = [int(y) for y in fc.scenario.years]
    w = model_time(dt.date(2027, 1, 1)) - 2026
    log_size = np.log(fc.values("market_size")[:, 0, :])
    value = np.exp((1 - w) * log_size[:, years.index(2026)] + w * log_size[:, years.index(2027)])
    np.testing.assert_array_equal(fc.values("prediction_hit")[:, 3], (value >= 11.0).astype(float))


# --- the input transform --------------------------------------------------------------


@pytest.mark.parametrize(
    "canonical",
    [
        Canonical(Family.NORMAL, 0.3, 0.2),
        Canonical(Family.NORMAL, 0.0, 0.0),
        Canonical(Family.LOGNORMAL, np.log(8.2), 0.1),
        Canonical(Family.LOGITNORMAL, -1.2, 0.4),
        Canonical(Family.LOGITNORMAL, 0.0, 200.0),  # saturates: sigmoid must not give nan
        Canonical(Family.GROWTH, np.log1p(0.39), 0.08),
        Canonical(Family.UNIFORM, 0.2, 0.6),
    ],
    ids=lambda c: c.family.name.lower(),
)
def test_graph_transform_matches_the_scenario_layer(canonical: Canonical) -> None:
    import pytensor
    import pytensor.tensor as pt
    from pytensor.compile.mode import Mode

    z = np.linspace(-6, 6, 41)
    zv = pt.vector("z")
    fam, a, b = (pt.constant(np.full(41, v)) for v in (int(canonical.family), canonical.a, canonical.b))
    # the python linker: no C or numba compile for a check this small
    fn = pytensor.function(
        [zv], _transform(fam, a, b, zv, uniform=True), mode=Mode(linker="py", optimizer="fast_compile")
    )
    with np.errstate(over="ignore"):  # exp(-y) overflows to inf for a saturated sigmoid: intended
        got = fn(z)
    np.testing.assert_allclose(got, canonical.transform(z), rtol=1e-12, atol=1e-300)


def test_uniform_inputs_are_part_of_the_structure() -> None:
    plain = model_data(synthetic())
    uniform = model_data(
        synthetic(correlation={"common_factor": {"dist": "uniform", "low": 0.2, "high": 0.6}})
    )
    assert not plain.uniform and uniform.uniform
    assert plain.structure != uniform.structure


def test_an_outcome_with_probability_zero_is_an_input_error() -> None:
    """Its Dirichlet concentration would be 0: the calibration was NaN and the model
    refused to build; now it is a clear input error."""
    from forecast.errors import ScenarioError

    data = copy.deepcopy(DRIVEN)
    data["assessment"]["outcomes"][0]["probability"] = 0.7
    data["assessment"]["outcomes"][2]["probability"] = 0.0
    with pytest.raises(ScenarioError, match=r"assessment\.outcomes\.down\.probability: must be > 0"):
        synthetic(**data)


@pytest.mark.slow
def test_uniform_inputs_simulate_uniformly() -> None:
    """A uniform input needs the graph with the ``ndtr`` term (its own compile): the common
    factor then spreads uniformly over [0.2, 0.6] (KS test, alpha = 0.001)."""
    fc = forecast.simulate(
        synthetic(
            **(DRIVEN | {"correlation": {"common_factor": {"dist": "uniform", "low": 0.2, "high": 0.6}}})
        ),
        draws=N,
        seed=9,
    )
    rho = fc.values("common_factor")
    assert stats.kstest(rho, stats.uniform(0.2, 0.4).cdf).pvalue > 0.001
    table = fc.outcomes()
    assert ((table["probability"] - table["stated"]).abs() < 3 * table["mcse"]).all(), table
