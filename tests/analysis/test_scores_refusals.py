"""When a score is refused, and the types scores come back in (what the mutation run,
tests/mutation.sh, showed no test pinned).

A log score of draws is refused (``None``) when it is not defined: a positive quantity
observed at or below 0, draws at or below 0 (no log scale), no spread, or an
observation so far in the tail that the density estimate there is 0. Refused quietly:
the suite turns every warning into an error, so a ``log(0)`` on the way shows up here.
"""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr

from forecast.analysis.scores import brier, log_score, log_score_draws


def test_scores_of_integer_and_boolean_outcomes_are_floats() -> None:
    b = brier([1, 0, 1], [True, False, False])
    assert b.dtype == np.float64 and b.tolist() == [0.0, 0.0, 1.0]
    s = log_score([0.5, 0.5], [True, False])
    assert s.dtype == np.float64
    np.testing.assert_allclose(s, [np.log(2), np.log(2)], rtol=1e-15)


def test_a_certain_forecast_that_was_wrong_scores_infinity_without_a_warning() -> None:
    assert log_score([0.0, 1.0], [1, 0]).tolist() == [np.inf, np.inf]
    assert log_score([1.0, 0.0], [1, 0]).tolist() == [0.0, 0.0]


def test_a_positive_quantity_below_one_is_scored_on_the_log_scale() -> None:
    x = np.random.default_rng(2).lognormal(np.log(0.4), 0.3, size=3000)
    want = float(sr.logs_ensemble(np.log(0.5), np.log(x))) + np.log(0.5)
    assert log_score_draws(x, 0.5, positive=True) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("y", [0.0, -2.0])
def test_a_positive_quantity_observed_at_or_below_zero_is_refused(y: float) -> None:
    x = np.random.default_rng(3).lognormal(0.0, 0.3, size=500)
    assert log_score_draws(x, y, positive=True) is None


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_draws_at_or_below_zero_have_no_log_scale(bad: float) -> None:
    x = np.r_[np.random.default_rng(4).lognormal(0.0, 0.3, size=500), bad]
    assert log_score_draws(x, 1.0, positive=True) is None
    assert log_score_draws(x, 1.0) is not None  # not a positive quantity: fine


def test_an_observation_beyond_the_density_estimate_is_refused() -> None:
    x = np.random.default_rng(5).standard_normal(1000)
    assert log_score_draws(x, 1e3) is None
    assert log_score_draws(np.exp(x), 1e300, positive=True) is None
    assert log_score_draws(x, np.inf) is None
