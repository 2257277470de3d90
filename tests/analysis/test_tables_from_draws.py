"""Tables recomputed from the raw draws, independently of the code that builds them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest


def test_by_outcome_equals_a_groupby_of_the_draws(seed_forecast: Any) -> None:
    fc = seed_forecast
    s = fc.scenario
    outcome = fc.values("realized_outcome")
    j = s.years.index(s.headline_year)  # the one year every headline quotes
    share = fc.values("share")[:, :, j]
    revenue = fc.values("revenue")[:, :, j]
    frames = []
    for i, p in enumerate(s.positions):
        df = pd.DataFrame(
            {"outcome": np.asarray(s.outcome_ids)[outcome], "share": share[:, i], "revenue": revenue[:, i]}
        )
        g = df.groupby("outcome", sort=False)
        frames.append(
            pd.DataFrame(
                {
                    "position": p.id,
                    "probability": g.size() / len(df),
                    "share_q50": g["share"].median(),
                    "revenue_mean": g["revenue"].mean(),
                    "revenue_q05": g["revenue"].quantile(0.05),
                    "revenue_q95": g["revenue"].quantile(0.95),
                }
            )
            .rename_axis("outcome")
            .reset_index()
        )
    expected = pd.concat(frames).set_index(["position", "outcome"]).sort_index()
    got = fc.by_outcome().set_index(["position", "outcome"]).sort_index()
    assert list(got.index) == list(expected.index)
    for col in expected.columns:
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-12)


def test_market_quantiles_equal_numpy_on_the_draws(seed_forecast: Any) -> None:
    fc = seed_forecast
    size = fc.values("market_size")
    table = fc.markets().set_index(["market", "year"])
    for i, m in enumerate(fc.scenario.markets):
        for j, year in enumerate(fc.scenario.years):
            x = size[:, i, j]
            row = table.loc[(m.id, year)]
            assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
            assert row["sd"] == pytest.approx(x.std(ddof=1), rel=1e-12)
            for q, col in ((0.05, "q05"), (0.5, "q50"), (0.95, "q95")):
                assert row[col] == pytest.approx(np.quantile(x, q), rel=1e-12)


def test_signposts_table_is_bayes_rule_on_the_mean_probabilities(seed_forecast: Any) -> None:
    fc = seed_forecast
    s = fc.scenario
    now = fc.values("outcome_probability").mean(axis=0)
    table = fc.signposts()
    for sp in s.signposts:
        lik = np.array([sp.likelihood[k] for k in s.outcome_ids])
        p_true = float(now @ lik)
        sub = table[table["signpost"] == sp.id].set_index("outcome").loc[s.outcome_ids]
        np.testing.assert_allclose(sub["p_true"].to_numpy(float), p_true, rtol=1e-12)
        np.testing.assert_allclose(sub["if_true"].to_numpy(float), now * lik / p_true, rtol=1e-12)
        np.testing.assert_allclose(
            sub["if_false"].to_numpy(float), now * (1 - lik) / (1 - p_true), rtol=1e-12
        )
