"""The tables of a :class:`Forecast` on draws made by hand, whose answers are known exactly.

No simulation: the draws are grids put in a shuffled order, so every number in a
table has a closed form. ``N`` values ``a + b * (0, 1, ..., N - 1)`` have mean
``a + b (N - 1) / 2``, SD (``ddof=1``) ``b sqrt(N (N + 1) / 12)`` and, with
numpy's default (linear) quantiles, ``q``-quantile ``a + b q (N - 1)``; ``k`` hits
in ``N`` draws have probability ``k / N`` and standard error of the mean
``sqrt(k (N - k) / (N (N - 1))) / sqrt(N)``. A probability on which every draw
agrees reports the rule-of-three bound ``3 / N``, and so does one whose standard
error is smaller than that.

These also serve the mutation run (tests/mutation.sh): fast, and each number is
pinned by a formula, not by the code's own output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.results import QUANTILES, Forecast, mcse_floor

CHAINS, DRAWS = 2, 100
N = CHAINS * DRAWS


def _grid(rng: np.random.Generator, a: float, b: float, n: int = N) -> np.ndarray:
    """``a + b * (0..n-1)`` in a random order."""
    return a + b * rng.permutation(n).astype(float)


def _mean(a: float, b: float, n: int = N) -> float:
    return a + b * (n - 1) / 2


def _sd(b: float, n: int = N) -> float:
    return b * np.sqrt(n * (n + 1) / 12)


def _quantile(a: float, b: float, q: float, n: int = N) -> float:
    return a + b * q * (n - 1)


def _tree(
    scenario: Any, values: dict[str, np.ndarray], groups: tuple[str, str], chains: int
) -> dict[str, Any]:
    from forecast.engine.dataset import split, to_dataset

    inputs, predictive = split(to_dataset(scenario, values, chains=chains))
    return {groups[0]: inputs, groups[1]: predictive}


def _forecast(
    values: dict[str, np.ndarray],
    name: str = "deepseek",
    posterior: dict[str, np.ndarray] | None = None,
    chains: int = CHAINS,
) -> Forecast:
    """A Forecast of the bundled scenario ``name`` whose draws are ``values`` (forward
    draws), and ``posterior`` (NUTS draws, ``chains`` chains) when given."""
    import xarray as xr

    s = forecast.load(forecast.bundled(name))
    groups = _tree(s, values, ("prior", "prior_predictive"), CHAINS)
    if posterior is not None:
        groups |= _tree(s, posterior, ("posterior", "posterior_predictive"), chains)
    return Forecast(scenario=s, data=xr.DataTree.from_dict(groups), seed=0)


def _edited(fc: Forecast, **changes: Any) -> Forecast:
    """The same draws read with the scenario changed (a frozen model: copied)."""
    return Forecast(scenario=fc.scenario.model_copy(update=changes), data=fc.data, seed=0)


def _signpost(fc: Forecast, **changes: Any) -> Forecast:
    return _edited(fc, signposts=[fc.scenario.signposts[0].model_copy(update=changes)])


# --- markets ------------------------------------------------------------------------


def test_market_rows_are_the_exact_moments_and_quantiles_of_the_draws() -> None:
    rng = np.random.default_rng(1)
    s = forecast.load(forecast.bundled("deepseek"))
    n_market, n_year = len(s.markets), len(s.years)
    # column (m, y) of market size: a = 10 m + y, b = 0.1 (m + 1) (y + 1)
    a = {(m, y): 10.0 * m + y for m in range(n_market) for y in range(n_year)}
    b = {(m, y): 0.1 * (m + 1) * (y + 1) for m in range(n_market) for y in range(n_year)}
    size = np.empty((N, n_market, n_year))
    for (m, y), am in a.items():
        size[:, m, y] = _grid(rng, am, b[m, y])
    total = np.stack([_grid(rng, 100.0 + y, 2.0) for y in range(n_year)], axis=1)
    share = np.stack([_grid(rng, 0.01 * y, 1e-4) for y in range(n_year)], axis=1)[:, None, :]
    revenue = np.stack([_grid(rng, 1.0 + y, 0.01) for y in range(n_year)], axis=1)[:, None, :]
    fc = _forecast({"market_size": size, "total_market": total, "share": share, "revenue": revenue})
    table = fc.markets()

    expected: list[tuple[str, int, float, float]] = []  # (row name, year index, a, b)
    for m, mk in enumerate(s.markets):
        expected += [(mk.id, y, a[m, y], b[m, y]) for y in range(n_year)]
    expected += [("total", y, 100.0 + y, 2.0) for y in range(n_year)]  # every market in USD bn
    pos = s.positions[0].id
    expected += [(f"share.{pos}", y, 0.01 * y, 1e-4) for y in range(n_year)]
    expected += [(f"revenue.{pos}", y, 1.0 + y, 0.01) for y in range(n_year)]
    assert len(table) == len(expected)
    for row, (name, y, am, bm) in zip(table.itertuples(), expected, strict=True):
        assert (row.market, row.year) == (name, int(s.years[y]))
        assert row.mean == pytest.approx(_mean(am, bm), rel=1e-12)
        assert row.sd == pytest.approx(_sd(bm), rel=1e-12)
        for q in QUANTILES:
            assert getattr(row, f"q{round(q * 100):02d}") == pytest.approx(_quantile(am, bm, q), rel=1e-12)


def test_markets_of_different_units_get_no_total_row() -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    rng = np.random.default_rng(2)
    size = np.stack([_grid(rng, 1.0, 0.1) for _ in range(len(s.markets) * len(s.years))], axis=1)
    size = size.reshape(N, len(s.markets), len(s.years))
    # no positions: their share and revenue rows are not drawn here
    fc = _edited(_forecast({"market_size": size, "total_market": size.sum(axis=1)}), positions=[])
    assert "total" in set(fc.markets()["market"])
    markets = list(s.markets)
    markets[1] = markets[1].model_copy(update={"unit": "GWh"})
    assert "total" not in set(_edited(fc, markets=markets).markets()["market"])
    assert not any(m.startswith(("share.", "revenue.")) for m in fc.markets()["market"])
    # nor does a single market (its total is itself)
    assert "total" not in set(_edited(fc, markets=markets[:1]).markets()["market"])


# --- outcomes and predictions ---------------------------------------------------------

#: outcome probability draws: a + b (0..N-1) / (N - 1), so the mean is the stated 40/35/25
OUTCOME_A = (0.3, 0.25, 0.15)
OUTCOME_SPAN = 0.2


def _outcome_draws(rng: np.random.Generator) -> np.ndarray:
    b = OUTCOME_SPAN / (N - 1)
    return np.stack([_grid(rng, a, b) for a in OUTCOME_A], axis=1)


def test_outcome_rows_are_the_exact_mean_interval_and_standard_error() -> None:
    fc = _forecast({"outcome_probability": _outcome_draws(np.random.default_rng(3))})
    table = fc.outcomes()
    s = fc.scenario
    b = OUTCOME_SPAN / (N - 1)
    assert list(table["outcome"]) == s.outcome_ids
    assert list(table["label"]) == [o.label for o in s.assessment.outcomes]
    assert list(table["stated"]) == [0.4, 0.35, 0.25]
    for row, a in zip(table.itertuples(), OUTCOME_A, strict=True):
        assert row.probability == pytest.approx(_mean(a, b), rel=1e-12)
        assert row.q05 == pytest.approx(_quantile(a, b, 0.05), rel=1e-12)
        assert row.q95 == pytest.approx(_quantile(a, b, 0.95), rel=1e-12)
        # sd / sqrt(N) is about 0.0041 here, below the 3 / N = 0.015 floor
        se = _sd(b) / np.sqrt(N)
        assert se < 3 / N
        assert row.mcse == pytest.approx(max(se, 3 / N), rel=1e-12)


def test_outcome_standard_error_above_the_floor_is_sd_over_sqrt_n() -> None:
    # a wide spread: SD / sqrt(N) well above 3 / N, so the floor does not hide it
    rng = np.random.default_rng(4)
    b = 1.0 / (N - 1)
    q = np.stack([_grid(rng, 0.0, b) for _ in OUTCOME_A], axis=1)
    table = _forecast({"outcome_probability": q}).outcomes()
    se = _sd(b) / np.sqrt(N)
    assert se > 3 / N
    np.testing.assert_allclose(table["mcse"], se, rtol=1e-12)


def test_a_scenario_without_an_assessment_has_an_empty_outcome_table() -> None:
    fc = _forecast({"outcome_probability": _outcome_draws(np.random.default_rng(5))})
    table = _edited(fc, assessment=None).outcomes()
    assert table.empty
    assert list(table.columns) == ["outcome", "label", "stated", "probability", "q05", "q95", "mcse"]


#: hits of the five predictions out of N: none, one, half, all, a quarter
HITS = (0, 1, N // 2, N, N // 4)


def _hits(rng: np.random.Generator) -> np.ndarray:
    cols = []
    for k in HITS:
        col = np.zeros(N)
        col[:k] = 1.0
        cols.append(rng.permutation(col))
    return np.stack(cols, axis=1)


def test_prediction_rows_are_the_share_of_hits_with_the_binomial_error() -> None:
    fc = _forecast({"prediction_hit": _hits(np.random.default_rng(6))})
    table = fc.predictions()
    s = fc.scenario
    assert list(table["id"]) == [p.id for p in s.predictions]
    assert list(table["statement"]) == [p.statement for p in s.predictions]
    assert list(table["deadline"]) == [p.deadline.isoformat() for p in s.predictions]
    for row, k in zip(table.itertuples(), HITS, strict=True):
        assert row.probability == k / N
        se = np.sqrt(k * (N - k) / (N * (N - 1))) / np.sqrt(N)
        # no hit or every hit: the rule-of-three bound; one hit: its SE (1/N) is below it
        assert row.mcse == pytest.approx(max(se, 3 / N), rel=1e-12), (k, row.mcse)
    assert table["mcse"].iloc[2] == pytest.approx(np.sqrt(0.25 * N / (N - 1)) / np.sqrt(N), rel=1e-12)


def test_prediction_hits_read_back_as_floats_and_the_outcome_as_an_index() -> None:
    rng = np.random.default_rng(7)
    fc = _forecast({"prediction_hit": _hits(rng), "realized_outcome": rng.integers(0, 3, size=N)})
    hits, outcome = fc.values("prediction_hit"), fc.values("realized_outcome")
    assert hits.dtype == np.float64 and outcome.dtype == np.int64
    assert hits.shape == (N, len(HITS)) and outcome.shape == (N,)
    assert fc.n_draws == N


def test_the_floor_is_the_rule_of_three() -> None:
    assert mcse_floor(200) == 3 / 200
    assert mcse_floor(20_000) == pytest.approx(1.5e-4, rel=1e-15)


# --- signposts --------------------------------------------------------------------------


def _bayes(prior: np.ndarray, lik: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    p_true = float(prior @ lik)
    return p_true, prior * lik / p_true, prior * (1 - lik) / (1 - p_true)


def test_signpost_rows_are_bayes_rule_on_the_mean_outcome_probabilities() -> None:
    fc = _forecast({"outcome_probability": _outcome_draws(np.random.default_rng(8))})
    table = fc.signposts()
    now = np.array([0.4, 0.35, 0.25])  # the draws' means
    lik = np.array([0.75, 0.45, 0.15])  # next_model_release, as the bundled file states
    p_true, if_true, if_false = _bayes(now, lik)
    assert p_true == pytest.approx(0.495, rel=1e-12)  # 0.4 * 0.75 + 0.35 * 0.45 + 0.25 * 0.15
    assert list(table["outcome"]) == fc.scenario.outcome_ids
    assert (table["signpost"] == "next_model_release").all()
    assert table["observed"].isna().all()
    np.testing.assert_allclose(table["p_true"], p_true, rtol=1e-12)
    np.testing.assert_allclose(table["now"], now, rtol=1e-12)
    np.testing.assert_allclose(table["if_true"], if_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_false"], if_false, rtol=1e-12)


def test_a_signpost_nuts_conditioned_on_starts_from_the_odds_without_it() -> None:
    """deepseek-update observed next_model_release true: its posterior outcome odds are
    the prior's times the likelihood, renormalised; the row must undo that update and
    show the odds had it come out either way, not update twice."""
    lik = np.array([0.75, 0.45, 0.15])
    prior = np.array([0.4, 0.35, 0.25])
    posterior = prior * lik / (prior @ lik)
    rng = np.random.default_rng(9)
    post = np.tile(posterior, (N, 1))
    fc = _forecast(
        {"outcome_probability": _outcome_draws(rng)},
        name="deepseek-update",
        posterior={"outcome_probability": post},
    )
    assert fc.conditioned
    table = fc.signposts()
    p_true, if_true, if_false = _bayes(prior, lik)
    assert (table["observed"] == True).all()  # noqa: E712 (a column of bools)
    np.testing.assert_allclose(table["now"], posterior, rtol=1e-12)
    np.testing.assert_allclose(table["p_true"], p_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_true"], if_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_false"], if_false, rtol=1e-12)


def test_a_signpost_observed_false_is_undone_with_the_complement() -> None:
    lik = np.array([0.75, 0.45, 0.15])
    prior = np.array([0.4, 0.35, 0.25])
    posterior = prior * (1 - lik) / (prior @ (1 - lik))
    fc = _forecast(
        {"outcome_probability": _outcome_draws(np.random.default_rng(10))},
        name="deepseek-update",
        posterior={"outcome_probability": np.tile(posterior, (N, 1))},
    )
    table = _signpost(fc, observed=False).signposts()
    p_true, if_true, if_false = _bayes(prior, lik)
    np.testing.assert_allclose(table["p_true"], p_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_true"], if_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_false"], if_false, rtol=1e-12)


def test_a_signpost_every_outcome_makes_certain_has_no_odds_if_false() -> None:
    fc = _forecast({"outcome_probability": _outcome_draws(np.random.default_rng(11))})
    sp = fc.scenario.signposts[0]
    table = _signpost(fc, likelihood=dict.fromkeys(sp.likelihood, 1.0)).signposts()
    assert (table["p_true"] == 1.0).all()
    np.testing.assert_allclose(table["if_true"], [0.4, 0.35, 0.25], rtol=1e-12)
    assert table["if_false"].isna().all()
    table = _signpost(fc, likelihood=dict.fromkeys(sp.likelihood, 0.0)).signposts()
    assert (table["p_true"] == 0.0).all()
    assert table["if_true"].isna().all()
    np.testing.assert_allclose(table["if_false"], [0.4, 0.35, 0.25], rtol=1e-12)


# --- by outcome -------------------------------------------------------------------------


def test_by_outcome_rows_are_the_exact_statistics_of_each_outcomes_draws() -> None:
    rng = np.random.default_rng(12)
    s = forecast.load(forecast.bundled("deepseek"))
    n_year, j = len(s.years), s.years.index(s.headline_year)
    assert 0 < j < n_year - 1  # a year in the middle: neither end is what is read
    counts = (120, 0, 80)  # the second outcome never happens: no row, and the third still has one
    outcome = np.repeat(np.arange(3), counts)
    share = np.zeros((N, 1, n_year))
    revenue = np.zeros((N, 1, n_year))
    for k, n_k in enumerate(counts):
        sel = outcome == k
        if not n_k:
            continue
        share[sel, 0, :] = 9.0  # other years than the headline year are not read
        share[sel, 0, j] = _grid(rng, 0.1 * (k + 1), 0.001, n_k)
        revenue[sel, 0, j] = _grid(rng, 5.0 * (k + 1), 0.5, n_k)
    order = rng.permutation(N)
    fc = _forecast({"realized_outcome": outcome[order], "share": share[order], "revenue": revenue[order]})
    table = fc.by_outcome()
    assert list(table["outcome"]) == ["independence", "struggling"]
    assert (table["position"] == "deepseek_devtools").all()
    for row, k in zip(table.itertuples(), (0, 2), strict=True):
        n_k = counts[k]
        assert row.probability == n_k / N
        assert row.share_q50 == pytest.approx(_quantile(0.1 * (k + 1), 0.001, 0.5, n_k), rel=1e-12)
        assert row.revenue_mean == pytest.approx(_mean(5.0 * (k + 1), 0.5, n_k), rel=1e-12)
        assert row.revenue_q05 == pytest.approx(_quantile(5.0 * (k + 1), 0.5, 0.05, n_k), rel=1e-12)
        assert row.revenue_q95 == pytest.approx(_quantile(5.0 * (k + 1), 0.5, 0.95, n_k), rel=1e-12)


# --- NUTS draws ---------------------------------------------------------------------


def test_nuts_tables_read_the_posterior_with_arviz_mcse() -> None:
    """After NUTS the tables read the posterior groups, and a probability's MCSE is
    ArviZ's (which accounts for autocorrelation), floored at 3 / N like forward draws."""
    import arviz_stats as azs

    chains, draws = 4, 250
    n = chains * draws
    rng = np.random.default_rng(13)
    # AR(1) chains (phi = 0.8): their MCSE is ~3x the independent-draws formula
    z = np.empty((chains, draws, 3))
    z[:, 0] = rng.standard_normal((chains, 3))
    for t in range(1, draws):
        z[:, t] = 0.8 * z[:, t - 1] + 0.6 * rng.standard_normal((chains, 3))
    q = np.array([0.4, 0.35, 0.25]) + 0.1 * z  # MCSE ~0.01, above the 3 / n floor
    hits = np.zeros((chains, draws, len(HITS)))
    hits[..., 1] = (z[..., 0] > 0).astype(float)
    hits[..., 3] = 1.0
    fc = _forecast(
        {"outcome_probability": _outcome_draws(rng), "prediction_hit": _hits(rng)},
        name="deepseek-update",
        posterior={"outcome_probability": q.reshape(n, 3), "prediction_hit": hits.reshape(n, len(HITS))},
        chains=chains,
    )
    assert fc.conditioned and fc.n_draws == n
    outcomes = fc.outcomes()
    np.testing.assert_allclose(outcomes["probability"], q.mean(axis=(0, 1)), rtol=1e-12)
    want = [float(azs.mcse(q[:, :, i], method="mean")) for i in range(3)]
    np.testing.assert_allclose(outcomes["mcse"], want, rtol=1e-12)
    iid = q.std(axis=(0, 1), ddof=1) / np.sqrt(n)
    assert (outcomes["mcse"] > 2 * iid).all()  # the autocorrelation is accounted for
    predictions = fc.predictions()
    np.testing.assert_allclose(predictions["probability"], hits.mean(axis=(0, 1)), rtol=1e-12)
    assert predictions["mcse"].iloc[1] == pytest.approx(
        float(azs.mcse(hits[..., 1], method="mean")), rel=1e-12
    )
    # no hit / every hit in every chain: ArviZ has no spread to work on; the floor
    assert predictions["mcse"].iloc[0] == 3 / n
    assert predictions["mcse"].iloc[3] == 3 / n


# --- empty tables, other draws, refusals -----------------------------------------------------


def test_tables_that_do_not_apply_are_empty_with_their_columns() -> None:
    rng = np.random.default_rng(16)
    fc = _forecast({"outcome_probability": _outcome_draws(rng), "prediction_hit": _hits(rng)})
    signpost_columns = ["signpost", "observed", "p_true", "outcome", "now", "if_true", "if_false"]
    by_outcome_columns = [
        "position",
        "outcome",
        "probability",
        "share_q50",
        "revenue_mean",
        "revenue_q05",
        "revenue_q95",
    ]
    no_assessment = _edited(fc, assessment=None)
    for table, columns in (
        (_edited(fc, predictions=[]).predictions(), ["id", "statement", "deadline", "probability", "mcse"]),
        (_edited(fc, signposts=[]).signposts(), signpost_columns),
        (no_assessment.signposts(), signpost_columns),
        (_edited(fc, positions=[]).by_outcome(), by_outcome_columns),
        (no_assessment.by_outcome(), by_outcome_columns),
    ):
        assert table.empty
        assert list(table.columns) == columns


def test_a_missing_variable_is_named() -> None:
    fc = _forecast({"prediction_hit": _hits(np.random.default_rng(17))})
    with pytest.raises(KeyError, match="no variable 'share' in the draws of deepseek"):
        fc.values("share")


def test_the_standard_error_of_other_draws_shaped_like_a_variable() -> None:
    """``_mcse(name, x)`` (the implied-odds tables pass reweighted draws): the error of
    the mean of ``x``, with ``name`` giving only the shape and the kind of draws."""
    rng = np.random.default_rng(18)
    fc = _forecast({"outcome_probability": _outcome_draws(rng)})
    b = 1.0 / (N - 1)
    x = np.stack([_grid(rng, 0.0, b * (i + 1)) for i in range(3)], axis=1)
    want = [_sd(b * (i + 1)) / np.sqrt(N) for i in range(3)]
    np.testing.assert_allclose(fc._mcse("outcome_probability", x), want, rtol=1e-12)


def test_overflowing_draws_give_an_infinite_spread_quietly() -> None:
    """Draws beyond ~1e154 overflow the SD's squares: inf, which the CSV writer then
    refuses by name. No numpy warning on the way. (Infinite draws never get here:
    :func:`non_finite_draws` refuses them first.)"""
    from forecast.analysis.results import _quantile_rows

    huge = np.array([[1e200], [3e200]])
    [row] = _quantile_rows("m", [2024], huge)
    assert row["mean"] == 2e200 and row["sd"] == np.inf
    assert row["q50"] == pytest.approx(2e200, rel=1e-12)


def test_an_observed_signpost_without_nuts_is_not_undone() -> None:
    """An observed signpost with forward draws only (the prior, or a prior-only run):
    nothing was conditioned on it, so the rows are Bayes' rule on the draws' odds."""
    fc = _forecast({"outcome_probability": _outcome_draws(np.random.default_rng(19))}, name="deepseek-update")
    assert not fc.conditioned and fc.scenario.signposts[0].observed
    table = fc.signposts()
    p_true, if_true, _ = _bayes(np.array([0.4, 0.35, 0.25]), np.array([0.75, 0.45, 0.15]))
    np.testing.assert_allclose(table["p_true"], p_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_true"], if_true, rtol=1e-12)


def test_an_outcome_the_observed_signpost_ruled_out_stays_at_zero() -> None:
    """Likelihood 1 under 'independence', observed false: NUTS's odds of independence are
    0, and undoing the update cannot bring them back (0 / 0 is taken as 0)."""
    lik = np.array([1.0, 0.45, 0.15])
    prior = np.array([0.4, 0.35, 0.25])
    posterior = prior * (1 - lik) / (prior @ (1 - lik))
    fc = _forecast(
        {"outcome_probability": _outcome_draws(np.random.default_rng(20))},
        name="deepseek-update",
        posterior={"outcome_probability": np.tile(posterior, (N, 1))},
    )
    fc = _signpost(
        fc, observed=False, likelihood=dict(zip(fc.scenario.outcome_ids, lik.tolist(), strict=True))
    )
    table = fc.signposts()
    base = np.array([0.0, 0.35, 0.25]) / 0.6
    p_true, if_true, if_false = _bayes(base, lik)
    np.testing.assert_allclose(table["p_true"], p_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_true"], if_true, rtol=1e-12)
    np.testing.assert_allclose(table["if_false"], if_false, rtol=1e-12, atol=1e-300)
