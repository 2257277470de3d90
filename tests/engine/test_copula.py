"""Correlated inputs, tabulated inputs in the graph and ``between`` thresholds (issue 27).

Forward simulation with fixed seeds; tolerances in Monte Carlo standard errors:
``sqrt(p (1 - p) / n)`` for a probability, and for a Spearman correlation the
Bonett-Wright standard error on Fisher's scale, ``sqrt((1 + r^2 / 2) / (n - 3))``.
Closed forms: the quantiles of each marginal (scipy.stats), and the orthant
probability of two standard normals with correlation ``r``, ``P(z1 > 0, z2 > 0) =
1/4 + arcsin(r) / (2 pi)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import forecast
from forecast.errors import ScenarioError
from forecast.scenario import Scenario
from forecast.scenario.copula import nearest_correlation, pearson

N = 20_000
N_COPULA = 50_000
K = 4.0


def scenario(pairs: list[dict[str, Any]] | None = None, **extra: Any) -> Scenario:
    """Two markets with PERT and gamma sizes, a share path with a discrete point."""
    data: dict[str, Any] = {
        "id": "copula",
        "title": "Copula",
        "as_of": "2025-01-01",
        "simulation": {"end_year": 2027},
        "correlation": {"pairs": pairs or []},
        "markets": [
            {
                "id": "a",
                "label": "A",
                "unit": "bn",
                "base_year": 2024,
                "cagr": 0.2,
                "size": {"dist": "pert", "low": 10.0, "mode": 14.0, "high": 22.0},
            },
            {
                "id": "b",
                "label": "B",
                "unit": "bn",
                "base_year": 2024,
                "cagr": {"low": 0.1, "high": 0.3},
                "size": {"dist": "gamma", "mean": 5.0, "sd": 1.5},
            },
        ],
        "positions": [
            {
                "id": "p",
                "label": "P",
                "market": "a",
                "persistence": 0.0,
                "path": [
                    {
                        "at": "2025-01-01",
                        "share": {
                            "dist": "discrete",
                            "values": [0.02, 0.03, 0.04],
                            "probabilities": [0.25, 0.5, 0.25],
                        },
                    },
                    {
                        "at": "2026-01-01",
                        "share": {"dist": "triangular", "low": 0.02, "mode": 0.03, "high": 0.06},
                    },
                ],
            },
        ],
    }
    data.update(extra)
    return Scenario.from_dict(data)


PERT_A = stats.beta(1 + 4 * 4 / 12, 1 + 4 * 8 / 12, loc=10, scale=12)
GAMMA_B = stats.gamma(5.0**2 / 1.5**2, scale=1.5**2 / 5.0)


def spearman_within(x: np.ndarray, y: np.ndarray, rank: float) -> tuple[bool, float]:
    got = float(stats.spearmanr(x, y).statistic)
    se = math.sqrt((1 + rank**2 / 2) / (len(x) - 3))
    return abs(math.atanh(got) - math.atanh(rank)) < K * se, got


@pytest.fixture(scope="module")
def correlated() -> forecast.Forecast:
    pairs = [
        {"a": "markets.a.size", "b": "markets.b.size", "rank": 0.9},
        {"a": "markets.b.size", "b": "positions.p.path[1].share", "rank": -0.3},
    ]
    return forecast.simulate(scenario(pairs), draws=N_COPULA, seed=5)


def test_achieved_rank_correlations_are_the_asked_ones(correlated: forecast.Forecast) -> None:
    size = correlated.values("size")
    share = correlated.values("share_anchor")
    # 0.9: the rank itself taken as the latents' Pearson correlation would give 0.8915,
    # 5 standard errors away at these draws
    ok, got = spearman_within(size[:, 0], size[:, 1], 0.9)
    assert ok, got
    ok, got = spearman_within(size[:, 1], share[:, 1], -0.3)
    assert ok, got
    # a pair not asked is 0 in the matrix, as asked: a and the share point stay independent
    ok, got = spearman_within(size[:, 0], share[:, 1], 0.0)
    assert ok, got


def test_marginals_keep_their_stated_quantiles(correlated: forecast.Forecast) -> None:
    size = correlated.values("size")
    share = correlated.values("share_anchor")
    for x, exact in (
        (size[:, 0], PERT_A),
        (size[:, 1], GAMMA_B),
        (share[:, 1], stats.triang(1 / 4, 0.02, 0.04)),
    ):
        for q in (0.05, 0.5, 0.95):
            # the sample quantile's level, against its binomial error
            level = float(np.mean(x <= exact.ppf(q)))
            assert abs(level - q) < K * math.sqrt(q * (1 - q) / N_COPULA), (q, level)
    # the discrete point keeps its values and frequencies
    for v, p in ((0.02, 0.25), (0.03, 0.5), (0.04, 0.25)):
        assert abs(np.mean(np.isclose(share[:, 0], v)) - p) < K * math.sqrt(p * (1 - p) / N_COPULA)
    assert np.all(np.isclose(share[:, 0][:, None], [0.02, 0.03, 0.04]).any(axis=1))


def test_orthant_probability_of_two_correlated_inputs(correlated: forecast.Forecast) -> None:
    size = correlated.values("size")
    r = pearson(0.9)
    p = 0.25 + math.asin(r) / (2 * math.pi)
    got = float(np.mean((size[:, 0] > PERT_A.median()) & (size[:, 1] > GAMMA_B.median())))
    assert abs(got - p) < K * math.sqrt(p * (1 - p) / N_COPULA), (got, p)


def test_between_is_the_difference_of_two_thresholds_on_the_same_draws() -> None:
    common = {"deadline": "2026-01-01", "quantity": "share.p"}
    preds = [
        {"id": "ge", "statement": "at least 3%", "op": ">=", "threshold": 0.03, **common},
        {"id": "le", "statement": "at most 5%", "op": "<=", "threshold": 0.05, **common},
        {"id": "gt", "statement": "above 5%", "op": ">=", "threshold": 0.05, **common},
        {"id": "in", "statement": "3% to 5%", "op": "between", "low": 0.03, "high": 0.05, **common},
        {"id": "mk", "statement": "a in 15..20", "op": "between", "low": 15.0, "high": 20.0,
         "quantity": "market.a", "deadline": "2026-01-01"},
        {"id": "mk_ge", "statement": "a at least 15", "op": ">=", "threshold": 15.0,
         "quantity": "market.a", "deadline": "2026-01-01"},
        {"id": "mk_le", "statement": "a at most 20", "op": "<=", "threshold": 20.0,
         "quantity": "market.a", "deadline": "2026-01-01"},
    ]  # fmt: skip
    fc = forecast.simulate(scenario(predictions=preds), draws=N, seed=2)
    hit = fc.values("prediction_hit")
    ge, le, gt, between, mk, mk_ge, mk_le = hit.T
    # [3% <= x <= 5%] = [x >= 3%] - [x > 5%] = [x >= 3%] + [x <= 5%] - 1, draw by draw
    assert np.array_equal(between, ge + le - 1)
    # and its probability is the difference of the two thresholds' (up to the tie x = 5%)
    assert abs(between.mean() - (ge.mean() - gt.mean())) <= np.mean(gt + le == 2)
    # a market range (compared in log in the graph)
    assert np.array_equal(mk, mk_ge + mk_le - 1) and 0.05 < mk.mean() < 0.95


def test_two_cagrs_correlate_beyond_the_common_factor() -> None:
    """A pair on CAGRs acts on the markets' own growth surprises: on the normal scale the
    surprises correlate rho + (1 - rho) r (here the common factor 0.3)."""
    s = scenario(
        [{"a": "markets.a.cagr", "b": "markets.b.cagr", "rank": 0.5}],
        correlation={
            "common_factor": 0.3,
            "pairs": [{"a": "markets.b.cagr", "b": "markets.a.size", "rank": 0.2}],
        },
    )
    s = s.with_overrides({"markets.a.cagr": {"low": 0.1, "high": 0.3}, "correlation.pairs": [
        {"a": "markets.a.cagr", "b": "markets.b.cagr", "rank": 0.5}]})  # fmt: skip
    fc = forecast.simulate(s, draws=N, seed=3)
    g = fc.values("growth_surprise")
    r = 0.3 + 0.7 * pearson(0.5)
    got = float(np.corrcoef(g[:, 0], g[:, 1])[0, 1])
    assert abs(math.atanh(got) - math.atanh(r)) < K / math.sqrt(N - 3), (got, r)


def _problems(pairs: list[dict[str, Any]], **corr: Any) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        scenario(correlation={"pairs": pairs, **corr})
    return [str(p) for p in e.value.problems]


def test_pairs_naming_no_uncertain_input_are_problems() -> None:
    problems = _problems(
        [
            {"a": "markets.a.cagr", "b": "markets.b.size", "rank": 0.3},
            {"a": "markets.zz.size", "b": "markets.b.size", "rank": 0.3},
            {"a": "positions.p.path[7].share", "b": "markets.a.size", "rank": 0.3},
            {"a": "inputs.x", "b": "markets.a.size", "rank": 0.3},
            {"a": "markets.a.size", "b": "markets.a.size", "rank": 0.3},
        ]
    )
    text = "\n".join(problems)
    assert "correlation.pairs[0].a: has no growth uncertainty" in text
    assert "correlation.pairs[1].a: no market input 'markets.zz.size'" in text
    assert "correlation.pairs[2].a: position 'p' has 2 path points (got path[7])" in text
    assert "correlation.pairs[3].a: no named input 'inputs.x': use inputs.<id>" in text
    assert "correlation.pairs[4].b: names the same input as a" in text


def test_an_inconsistent_matrix_is_refused_with_the_nearest_one_and_repaired_on_request() -> None:
    pairs = [
        {"a": "markets.a.size", "b": "markets.b.size", "rank": 0.9},
        {"a": "markets.b.size", "b": "positions.p.path[1].share", "rank": 0.9},
        {"a": "markets.a.size", "b": "positions.p.path[1].share", "rank": -0.9},
    ]
    (problem,) = _problems(pairs)
    assert "correlation.pairs: the rank correlations asked are not consistent" in problem
    assert "markets.b.size ~ markets.a.size: 0.4" in problem and "repair = true" in problem
    fc = forecast.simulate(scenario(pairs, correlation={"pairs": pairs, "repair": True}), draws=2000, seed=1)
    assert np.isfinite(fc.values("size")).all()


def test_higham_nearest_correlation_known_answer() -> None:
    """Higham (2002), section 4: the nearest correlation matrix to tridiag(-1, 2, -1)."""
    a = np.array([[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]], dtype=float)
    want = np.array(
        [
            [1.0, -0.8084, 0.1916, 0.1068],
            [-0.8084, 1.0, -0.6562, 0.1916],
            [0.1916, -0.6562, 1.0, -0.8084],
            [0.1068, 0.1916, -0.8084, 1.0],
        ]
    )
    assert np.allclose(nearest_correlation(a), want, atol=1e-4)
    ok = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert np.allclose(nearest_correlation(ok), ok)


def test_named_inputs_correlate_with_markets_shares_and_each_other() -> None:
    """Named inputs (``[[inputs]]``) are the copula's third block of latents: a PERT
    input keeps its closed-form quantiles, and its pairs with a market size, a share
    point and another named input reach the asked ranks; the share pair between two
    earlier blocks still holds with a later block present."""
    pairs = [
        {"a": "markets.a.size", "b": "inputs.price", "rank": 0.7},
        {"a": "inputs.price", "b": "inputs.volume", "rank": -0.5},
        {"a": "positions.p.path[1].share", "b": "inputs.volume", "rank": 0.4},
        {"a": "markets.b.size", "b": "positions.p.path[1].share", "rank": -0.3},
    ]
    inputs = [
        {
            "id": "price",
            "label": "Price",
            "unit": "USD",
            "value": {"dist": "pert", "low": 5, "mode": 8, "high": 15},
        },
        {"id": "volume", "label": "Volume", "unit": "units", "value": {"low": 100.0, "high": 400.0}},
        {"id": "fixed", "label": "Fixed", "unit": "USD", "value": 3.0},
    ]
    fc = forecast.simulate(scenario(pairs, inputs=inputs), draws=N_COPULA, seed=9)
    size, share, named = fc.values("size"), fc.values("share_anchor"), fc.values("input_value")
    for x, y, rank in [
        (size[:, 0], named[:, 0], 0.7),
        (named[:, 0], named[:, 1], -0.5),
        (share[:, 1], named[:, 1], 0.4),
        (size[:, 1], share[:, 1], -0.3),
        (size[:, 1], named[:, 0], 0.0),  # not asked: independent
    ]:
        ok, got = spearman_within(x, y, rank)
        assert ok, (rank, got)
    # the PERT's marginal: standard PERT(5, 8, 15) = 5 + 10 Beta(1 + 4 * 3 / 10, 1 + 4 * 7 / 10)
    pert = stats.beta(1 + 4 * 3 / 10, 1 + 4 * 7 / 10, loc=5, scale=10)
    for q in (0.05, 0.5, 0.95):
        got = float(np.quantile(named[:, 0], q))
        se = math.sqrt(q * (1 - q) / len(named)) / pert.pdf(pert.ppf(q))
        assert abs(got - pert.ppf(q)) < K * se, (q, got, pert.ppf(q))
    assert (named[:, 2] == 3.0).all()
    with pytest.raises(ScenarioError) as e:
        scenario([{"a": "inputs.fixed", "b": "inputs.price", "rank": 0.2}], inputs=inputs)
    assert "not uncertain" in str(e.value) and "correlation.pairs[0]" in str(e.value)
