"""Pooling analysts' forecasts: known answers for the linear and log pools and score weights.

Tolerances: a pooled probability against its closed form within 4 x its reported MCSE
(for the linear pool an upper bound, see :mod:`forecast.analysis.pool`); arithmetic
(the log pool of the analysts' own table values, weights from their own probabilities)
to 1e-12. Every analyst is a variant of the bundled DeepSeek file (one compiled
structure), simulated once per module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.pool import (
    Pool,
    log_pool,
    log_pool_mcse,
    mixture_counts,
    mixture_sources,
    pool,
)
from forecast.analysis.pool_tables import disagreement, input_disagreement, pool_tree
from forecast.analysis.pool_weights import parse_weights
from forecast.errors import ScenarioError

DRAWS, K = 4000, 4.0
BASE = {"simulation.draws": DRAWS, "simulation.seed": 11}
# analyst A: the seed's 40/35/25 and tiered_licensing a point 70%; B: 30/30/40 and 20%
A = {**BASE, "predictions.tiered_licensing.probability": {"value": 0.7}}
B = {
    **BASE,
    "simulation.seed": 12,
    "assessment.outcomes.independence.probability": 0.30,
    "assessment.outcomes.acquired.probability": 0.30,
    "assessment.outcomes.struggling.probability": 0.40,
    "predictions.tiered_licensing.probability": {"value": 0.2},
}


def _closed_binary(p: np.ndarray, w: np.ndarray, d: float = 1.0) -> float:
    """The log pool of binary forecasts, written out: odds = prod (p/(1-p))^w, then ^d."""
    odds = float(np.prod((p / (1 - p)) ** w)) ** d
    return odds / (1 + odds)


@pytest.fixture(scope="module")
def analysts() -> list[Any]:
    base = forecast.load(forecast.bundled())
    return [forecast.simulate(base.with_overrides(o)) for o in (A, B)]


# --- the arithmetic -----------------------------------------------------------------


def test_mixture_counts_are_the_weights_rounded_by_largest_remainder() -> None:
    counts = mixture_counts(np.array([0.5, 0.3, 0.2]), 1001)
    assert counts.tolist() == [501, 300, 200] and counts.sum() == 1001
    assert mixture_counts(np.array([1.0, 0.0]), 10).tolist() == [10, 0]


def test_mixture_sources_spread_each_analyst_over_the_pool() -> None:
    src = mixture_sources(np.array([600, 300, 100]))
    assert np.bincount(src).tolist() == [600, 300, 100]
    # every stretch of 100 pooled draws holds the proportions to within one draw
    for start in range(0, 1000, 100):
        assert np.abs(np.bincount(src[start : start + 100], minlength=3) - [60, 30, 10]).max() <= 1


@pytest.mark.parametrize("d", [1.0, 2.5, 0.5])
def test_log_pool_of_two_binary_forecasts_has_its_closed_form(d: float) -> None:
    p, w = np.array([0.8, 0.3]), np.array([0.7, 0.3])
    pair = np.stack([p, 1 - p], axis=1)
    assert log_pool(pair, w, d)[0] == pytest.approx(_closed_binary(p, w, d), abs=1e-12)
    # equal weights, no extremizing: the geometric mean of the odds
    odds = np.sqrt(0.8 / 0.2 * 0.3 / 0.7)
    assert log_pool(pair, np.array([0.5, 0.5]))[0] == pytest.approx(odds / (1 + odds), abs=1e-12)


def test_log_pool_mcse_of_one_analyst_is_its_own() -> None:
    # one analyst, no extremizing: the pool is the forecast, and so is its error
    got = log_pool_mcse(np.array([[0.3, 0.7]]), np.array([[0.01, 0.01]]), np.array([1.0]))
    assert got == pytest.approx([0.01, 0.01], abs=1e-12)


# --- the pool of forecasts ------------------------------------------------------------


def test_linear_pool_of_outcomes_is_the_weighted_mean(analysts: list[Any]) -> None:
    p = Pool(analysts, ["a", "b"], np.array([0.7, 0.3]))
    out = p.outcomes().set_index("outcome")
    stated = {"independence": (0.40, 0.30), "acquired": (0.35, 0.30), "struggling": (0.25, 0.40)}
    for k, (pa, pb) in stated.items():
        expected = 0.7 * pa + 0.3 * pb  # the model reproduces each file's stated marginals
        assert abs(out.loc[k, "probability"] - expected) <= K * out.loc[k, "mcse"], k
        assert out.loc[k, "stated"] == pytest.approx(expected, abs=1e-12)


def test_linear_pool_of_a_prediction_is_the_weighted_mean(analysts: list[Any]) -> None:
    p = Pool(analysts, ["a", "b"], np.array([0.25, 0.75]))
    row = p.predictions().set_index("id").loc["tiered_licensing"]
    assert abs(row["probability"] - (0.25 * 0.7 + 0.75 * 0.2)) <= K * row["mcse"]


@pytest.mark.parametrize("d", [1.0, 1.5])
def test_log_pool_of_a_prediction_has_its_closed_form(analysts: list[Any], d: float) -> None:
    w = np.array([0.6, 0.4])
    p = Pool(analysts, ["a", "b"], w, method="log", extremize=d)
    row = p.predictions().set_index("id").loc["tiered_licensing"]
    own = np.array(
        [fc.predictions().set_index("id").loc["tiered_licensing", "probability"] for fc in analysts]
    )
    # exactly the closed form of the analysts' own estimates...
    assert row["probability"] == pytest.approx(_closed_binary(own, w, d), abs=1e-12)
    # ...and within its Monte Carlo error of the closed form of what they stated
    assert abs(row["probability"] - _closed_binary(np.array([0.7, 0.2]), w, d)) <= K * row["mcse"]


def test_log_pool_of_outcomes_is_the_normalised_geometric_mean(analysts: list[Any]) -> None:
    w = np.array([0.5, 0.5])
    p = Pool(analysts, ["a", "b"], w, method="log", extremize=2.0)
    out = p.outcomes()["probability"].to_numpy()
    stated = np.array([[0.40, 0.35, 0.25], [0.30, 0.30, 0.40]])
    g = np.prod(stated ** w[:, None], axis=0) ** 2.0
    expected = g / g.sum()
    assert np.all(np.abs(out - expected) <= K * p.outcomes()["mcse"].to_numpy())
    assert out.sum() == pytest.approx(1.0, abs=1e-12)


def test_a_pool_of_identical_files_equals_the_file(analysts: list[Any]) -> None:
    fc = analysts[0]
    for method in ("linear", "log"):
        p = Pool([fc, fc], ["a", "a2"], np.array([0.3, 0.7]), method=method)
        pd.testing.assert_frame_equal(p.outcomes(), fc.outcomes(), rtol=1e-12, atol=1e-12)
        pd.testing.assert_frame_equal(p.predictions(), fc.predictions(), rtol=1e-12, atol=1e-12)
        pd.testing.assert_frame_equal(p.markets(), fc.markets())


def test_pooled_draws_are_distinct_draws_of_their_analysts(analysts: list[Any]) -> None:
    """Pooled draw r is analyst a(r)'s draw r: no draw repeated, the weights' proportions kept."""
    p = Pool(analysts, ["a", "b"], np.array([0.7, 0.3]))
    pooled = p.forecast.values("market_size")
    src = mixture_sources(mixture_counts(p.weights, p.n_draws))
    for i, fc in enumerate(analysts):
        own = fc.values("market_size")[: p.n_draws]
        np.testing.assert_array_equal(pooled[src == i], own[src == i])
    assert np.bincount(src).tolist() == [2800, 1200]


def test_a_prediction_only_some_make_is_pooled_over_them(analysts: list[Any], tmp_path: Path) -> None:
    c_file = tmp_path / "c.toml"
    c_file.write_text(
        f'extends = "{forecast.bundled().as_posix()}"\n'
        "[[predictions]]\n"
        'id = "open_weights"\n'
        'statement = "Open weights within a year"\n'
        "deadline = 2026-01-01\n"
        "probability = 0.6\n",
        encoding="utf-8",
    )
    c = forecast.simulate(forecast.load(c_file, overrides=B))
    p = Pool([analysts[0], c], ["a", "c"], np.array([0.5, 0.5]))
    row = p.predictions().set_index("id").loc["open_weights"]
    own = c.predictions().set_index("id").loc["open_weights", "probability"]
    # over C alone: C's own draws, all of them
    assert row["probability"] == pytest.approx(own, abs=1e-12)
    for method in ("linear", "log"):
        dis = disagreement(Pool([analysts[0], c], ["a", "c"], np.array([0.5, 0.5]), method=method))
        assert dis[dis["id"] == "open_weights"]["made_by"].tolist() == [1]


def test_pool_tree_has_an_analyst_dimension(analysts: list[Any]) -> None:
    p = Pool(analysts, ["a", "b"], np.array([0.5, 0.5]))
    tree = pool_tree(p)
    assert tree["analysts"]["weight"].dims == ("analyst",)
    assert tree["analysts"]["outcome_probability"].sizes == {"analyst": 2, "outcome": 3}
    assert list(tree["analysts"]["analyst"].values) == ["a", "b"]


def test_inputs_they_disagree_on_are_the_ones_that_differ(analysts: list[Any]) -> None:
    p = Pool(analysts, ["a", "b"], np.array([0.5, 0.5]))
    table = input_disagreement(p, "outcome.independence")
    # A and B differ in the outcome probabilities and tiered_licensing only (a point, so
    # not an uncertain input of either): every row is an outcome input
    assert len(table) and all(k.startswith("outcome_prior[") for k in table["input"])
    assert table["effect"].is_monotonic_decreasing


# --- weights ----------------------------------------------------------------------------


def test_score_weights_follow_inverse_mean_brier_exactly(analysts: list[Any], tmp_path: Path) -> None:
    res = tmp_path / "resolutions.csv"
    res.write_text(
        "id,value,date,source\n"
        "tiered_licensing,false,2026-01-02,test\n"
        "strategic_partnership,true,2026-05-20,test\n",
        encoding="utf-8",
    )
    p = pool(analysts, weights="score", resolutions=res, names=["a", "b"])
    briers = []
    for fc in analysts:
        t = fc.predictions().set_index("id")["probability"]
        briers.append(((t["tiered_licensing"] - 0) ** 2 + (t["strategic_partnership"] - 1) ** 2) / 2)
    inverse = 1 / np.array(briers)
    np.testing.assert_allclose(p.weights, inverse / inverse.sum(), rtol=0, atol=1e-12)
    assert p.scores is not None and p.scores["statements"].tolist() == [2, 2]


def test_weights_that_do_not_sum_to_one_or_name_no_file_are_refused() -> None:
    assert parse_weights("a=0.5,b=0.4", ["a", "b"])[1][0].message.startswith("must sum to 1")
    assert "names no file" in parse_weights("a=0.5,x=0.5", ["a", "b"])[1][0].message
    assert "gives no weight to b" in parse_weights("a=1", ["a", "b"])[1][0].message


def test_pool_api_refuses_bad_input_all_at_once(analysts: list[Any]) -> None:
    other = analysts[0].scenario.with_overrides({"id": "other"})
    with pytest.raises(ScenarioError) as e:
        pool([analysts[0], forecast.simulate(other, draws=200)], weights="a=2", method="log", extremize=-1)
    text = str(e.value)
    assert "id: is 'other'" in text and "--extremize" in text and "--weights" in text


def test_pool_of_different_subjects_is_refused(analysts: list[Any]) -> None:
    other = forecast.simulate(analysts[0].scenario.with_overrides({"id": "other"}), draws=200)
    with pytest.raises(ScenarioError, match="id: is 'other'"):
        Pool([analysts[0], other], ["a", "b"], np.array([0.5, 0.5]))


def test_linear_pool_mcse_bounds_the_stratified_error(analysts: list[Any]) -> None:
    """The reported MCSE (sd / sqrt(n) of the mixture) is at least the standard error of a
    stratified mean with the pool's counts, sqrt(sum_i c_i var_i) / n, and within the
    between-analyst spread of it."""
    w = np.array([0.7, 0.3])
    p = Pool(analysts, ["a", "b"], w)
    counts = mixture_counts(w, p.n_draws)
    q = [fc.values("outcome_probability")[: p.n_draws] for fc in analysts]
    stratified = np.sqrt(sum(c * x.var(axis=0, ddof=1) for c, x in zip(counts, q, strict=True))) / p.n_draws
    reported = p.outcomes()["mcse"].to_numpy()
    assert np.all(reported >= stratified)
    assert np.all(reported <= 1.5 * stratified)  # the analysts differ by a few points only


def test_weights_given_as_a_list_need_one_per_file_and_are_refused_before_any_simulation() -> None:
    """Weights as a list: one per file, else one problem naming the count (nothing is simulated);
    as a dict by name, a name that is not an analyst is refused with the others at once."""
    team = sorted(str(p) for p in (Path(forecast.bundled("team/analyst-a")).parent).glob("*.toml"))[:2]
    with pytest.raises(ScenarioError) as e:
        forecast.pool(team, weights=[1.0])
    assert "weights: needs one weight per file (2) (got [1.0])" in str(e.value), str(e.value)
    with pytest.raises(ScenarioError) as e:
        forecast.pool(team, weights={"analyst-a": 1.0, "nobody": 2.0}, method="median")  # type: ignore[arg-type]
    text = str(e.value)
    assert "nobody" in text and "median" in text, text
