"""The judgment's spread: an outcome probability is Beta(c π, c (1 − π)) without drivers.

``p ~ Dirichlet(c π)`` has Beta marginals, so on a scenario whose outcomes have no
drivers the simulated probability of each outcome, its ``q05``/``q95`` in
``outcomes()`` and the realized outcome's frequency all have closed forms. A
concentration written twice as large (same mean, half the spread) must fail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

import forecast
from forecast.scenario import Scenario

N = 20_000
CONFIDENCE = 12.0
STATED = {"lead": 0.5, "follow": 0.3, "exit": 0.2}


@pytest.fixture(scope="module")
def plain() -> Any:
    data: dict[str, Any] = {
        "id": "spread",
        "title": "Spread",
        "as_of": "2025-01-01",
        "simulation": {"end_year": 2027},
        "markets": [
            {"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.2}
        ],
        "assessment": {
            "horizon_years": 2,
            "confidence": CONFIDENCE,
            "outcomes": [{"id": k, "label": k, "probability": v} for k, v in STATED.items()],
        },
    }
    return forecast.simulate(Scenario.from_dict(data), draws=N, seed=11)


def _beta(pi: float, c: float = CONFIDENCE) -> Any:
    return stats.beta(c * pi, c * (1 - pi))


def test_outcome_probability_is_beta_distributed(plain: Any) -> None:
    q = plain.values("outcome_probability")
    for i, pi in enumerate(STATED.values()):
        # alpha = 0.001: a correct model fails one time in a thousand seeds; with a
        # fixed seed the result never changes
        assert stats.kstest(q[:, i], _beta(pi).cdf).pvalue > 1e-3, (i, pi)


def test_a_doubled_concentration_would_be_caught(plain: Any) -> None:
    """The negative control: the same draws are far from Beta(2 c π, 2 c (1 − π))."""
    q = plain.values("outcome_probability")
    for i, pi in enumerate(STATED.values()):
        assert stats.kstest(q[:, i], _beta(pi, 2 * CONFIDENCE).cdf).pvalue < 1e-6, (i, pi)


def test_reported_interval_is_the_beta_quantiles(plain: Any) -> None:
    """``q05``/``q95`` within 4 sample-quantile SDs, ``sqrt(q (1 - q) / N) / f(x_q)``."""
    table = plain.outcomes().set_index("outcome")
    for k, pi in STATED.items():
        dist = _beta(pi)
        for level, col in ((0.05, "q05"), (0.95, "q95")):
            x = dist.ppf(level)
            sd = np.sqrt(level * (1 - level) / N) / dist.pdf(x)
            assert abs(table.loc[k, col] - x) < 4 * sd, (k, col, table.loc[k, col], x, sd)


def test_realized_outcome_frequencies_are_the_stated(plain: Any) -> None:
    outcome = plain.values("realized_outcome")
    freq = np.bincount(outcome, minlength=len(STATED)) / N
    pi = np.array(list(STATED.values()))
    assert np.all(np.abs(freq - pi) < 4 * np.sqrt(pi * (1 - pi) / N)), freq


def test_by_outcome_recomputed_from_the_draws(plain: Any) -> None:
    """``by_outcome()`` is empty without positions; the probability column of the
    tables is the mean of the draws (recomputed here, not read from another table)."""
    q = plain.values("outcome_probability")
    np.testing.assert_allclose(plain.outcomes()["probability"].to_numpy(), q.mean(axis=0), rtol=1e-12)
    assert plain.by_outcome().empty
