"""The Monte Carlo errors a forecast reports, pinned against formulas the test derives.

Other statistical tests take their tolerance from these numbers, so a wrong MCSE
would widen (or narrow) every one of them at once; here nothing comes from the code
under test but the draws themselves.

- a probability from ``N`` independent forward draws of a 0/1 quantity: its MCSE is
  the binomial ``sqrt(p (1 - p) / N)``;
- a mean of independent draws (an outcome's Rao-Blackwellised probability): the
  sample SD over ``sqrt(N)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

N = 20_000  # the seed forecast's draws (conftest.seed_forecast)


def test_prediction_mcse_is_the_binomial_standard_error(seed_forecast: Any) -> None:
    table = seed_forecast.predictions()
    hits = seed_forecast.values("prediction_hit")
    assert hits.shape[0] == N
    for i, row in enumerate(table.itertuples()):
        p = hits[:, i].mean()
        assert row.probability == pytest.approx(p, abs=1e-12)
        if 0 < p < 1:
            # ddof=1 in the code: sqrt(N / (N - 1)) ~ 1 + 2.5e-5 apart from the binomial form
            assert row.mcse == pytest.approx(np.sqrt(p * (1 - p) / N), rel=1e-3), row


def test_outcome_mcse_is_the_standard_error_of_a_mean(seed_forecast: Any) -> None:
    table = seed_forecast.outcomes()
    q = seed_forecast.values("outcome_probability")
    expected = q.std(axis=0, ddof=1) / np.sqrt(q.shape[0])
    np.testing.assert_allclose(table["mcse"].to_numpy(), expected, rtol=1e-9)
    # the scale a planted bug would break: a probability near 0.3 from 20,000 draws of a
    # Dirichlet(20 x stated) has an error of about a quarter of a point, not 30 points
    assert (table["mcse"] < 0.01).all() and (table["mcse"] > 1e-4).all(), table


def _mcse_of_mean(x: np.ndarray) -> np.ndarray:
    return np.asarray(x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]))


def test_seed_outcomes_within_their_own_error_of_the_stated(seed_forecast: Any) -> None:
    """40/35/25 within 3 standard errors, the error computed here from the draws."""
    q = seed_forecast.values("outcome_probability")
    stated = np.array([0.40, 0.35, 0.25])
    assert np.all(np.abs(q.mean(axis=0) - stated) < 3 * _mcse_of_mean(q)), q.mean(axis=0)


def test_seed_medians_within_their_sample_quantile_error(seed_forecast: Any) -> None:
    """The 2024 sizes and the 2027 projections are the medians of the simulated markets.

    Tolerance: the asymptotic SD of a sample median, ``sqrt(0.25 / N) / f(median)``.
    On the log scale, where the markets are close to normal with SD ``s``, that is
    ``1.2533 s / sqrt(N)``; 4 of those (so a correct model fails 1 time in 16,000).
    """
    fc = seed_forecast
    size = fc.values("market_size")
    years = fc.scenario.years
    for i, m in enumerate(fc.scenario.markets):
        assert m.projection is not None
        for year, stated in (
            (m.base_year, m.size.canonical("positive").quantile(0.5)),
            (m.projection.year, m.projection.canonical("positive").quantile(0.5)),
        ):
            logs = np.log(size[:, i, years.index(year)])
            tol = 4 * np.sqrt(np.pi / 2) * logs.std(ddof=1) / np.sqrt(len(logs))
            got = float(np.median(logs))
            assert abs(got - np.log(stated)) < max(tol, 1e-9), (m.id, year, np.exp(got), stated, tol)
