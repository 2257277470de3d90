"""Known answers for the scores: the library's numbers, closed forms, calibrated and
distorted forecasters."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr
from scipy import stats
from scipy.optimize import isotonic_regression

from forecast.analysis.scores import (
    _brier_fast,
    _log_fast,
    brier,
    calibration,
    crps,
    log_score,
    log_score_draws,
    pit,
    recalibrate,
)


def test_brier_and_log_scores_equal_the_library() -> None:
    rng = np.random.default_rng(1)
    p = rng.uniform(0.01, 0.99, size=200)
    y = (rng.uniform(size=200) < p).astype(float)
    np.testing.assert_allclose(brier(p, y), sr.brier_score(y, p), rtol=0, atol=1e-15)
    np.testing.assert_allclose(log_score(p, y), sr.log_score(y, p), rtol=0, atol=1e-15)
    # the fast versions used inside the resampling loop are the same numbers
    np.testing.assert_allclose(_brier_fast(p, y), sr.brier_score(y, p), rtol=0, atol=1e-15)
    np.testing.assert_allclose(_log_fast(p, y), sr.log_score(y, p), rtol=1e-13, atol=0)
    # and by hand, for the orientation: lower is better, 0 is perfect
    assert brier([1.0], [1])[0] == 0.0
    assert log_score([0.5], [0])[0] == pytest.approx(np.log(2))


def _normal_crps(y: float, mu: float, sigma: float) -> float:
    """Closed form (Gneiting and Raftery 2007): sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)]."""
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


@pytest.mark.parametrize("y", [3.0, 4.0, 7.5, -1.0])
def test_crps_of_a_normal_forecast_matches_its_closed_form(y: float) -> None:
    mu, sigma, m = 3.0, 2.0, 20_000
    x = np.random.default_rng(7).normal(mu, sigma, size=m)
    exact = _normal_crps(y, mu, sigma)
    assert exact == pytest.approx(float(sr.crps_normal(y, mu, sigma)), rel=1e-12)
    # the fair estimator is a U-statistic with influence function |x - y| - E|x - X'|;
    # for a normal E|x - X'| = sigma [z (2 Phi(z) - 1) + 2 phi(z)], z = (x - mu) / sigma
    z = (x - mu) / sigma
    g = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z))
    se = np.std(np.abs(x - y) - g, ddof=1) / np.sqrt(m)
    assert abs(crps(x, y) - exact) < 4 * se, (crps(x, y), exact, se)


def test_crps_equals_the_library_estimator() -> None:
    x = np.random.default_rng(3).lognormal(1.0, 0.3, size=5000)
    assert crps(x, 3.1) == pytest.approx(float(sr.crps_ensemble(3.1, x, estimator="fair")), rel=1e-12)


def test_pit_of_correct_forecasts_is_uniform_and_of_overconfident_ones_is_not() -> None:
    rng = np.random.default_rng(2017)
    n, m = 400, 2000
    mu = rng.normal(0, 3, size=n)
    sigma = rng.uniform(0.5, 2.0, size=n)
    y = rng.normal(mu, sigma)
    good = np.array([pit(rng.normal(mu[i], sigma[i], size=m), y[i]) for i in range(n)])
    narrow = np.array([pit(rng.normal(mu[i], sigma[i] / 2, size=m), y[i]) for i in range(n)])
    # PIT values of m draws are on a grid of 1/m: negligible beside the KS statistic's
    # critical value at n = 400 (about 1.63 / sqrt(n) = 0.08 at the 1% level)
    assert stats.kstest(good, "uniform").pvalue > 0.01
    assert stats.kstest(narrow, "uniform").pvalue < 1e-6


def test_pit_counts_ties_half() -> None:
    assert pit([1.0, 2.0, 2.0, 3.0], 2.0) == 0.5
    assert pit([1.0, 1.0], 0.0) == 0.0
    assert pit([1.0, 1.0], 5.0) == 1.0


def test_log_score_of_draws_is_the_library_kde_and_refuses_when_undefined() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(2.0, 0.5, size=4000)
    assert log_score_draws(x, 2.3) == pytest.approx(float(sr.logs_ensemble(2.3, x)), rel=1e-12)
    pos = np.exp(x)
    # a positive quantity: the KDE of log draws, brought back with the Jacobian 1/y
    want = float(sr.logs_ensemble(np.log(9.0), np.log(pos))) + np.log(9.0)
    assert log_score_draws(pos, 9.0, positive=True) == pytest.approx(want, rel=1e-12)
    # and close to the lognormal's exact log score (the KDE widens it slightly)
    assert log_score_draws(pos, 9.0, positive=True) == pytest.approx(
        float(sr.logs_lognormal(9.0, 2.0, 0.5)), abs=0.05
    )
    assert log_score_draws(np.ones(100), 1.0) is None
    assert log_score_draws(pos, -1.0, positive=True) is None


def test_recalibration_pools_equal_forecasts_and_is_scipys_isotonic_fit() -> None:
    x, n, c = recalibrate([0.2, 0.2, 0.8, 0.6, 0.6], [0, 1, 0, 1, 1])
    assert x.tolist() == [0.2, 0.6, 0.8]
    assert n.tolist() == [2, 2, 1]
    want = isotonic_regression([0.5, 1.0, 0.0], weights=[2, 2, 1]).x
    np.testing.assert_allclose(c, want)


def _forecaster(distort: bool, n: int = 500, seed: int = 2017) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(float)
    return (p**2 if distort else p), y


def _null_mcb(p: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """MCB of the Brier score for outcomes drawn from p itself: by hand, not from the
    code under test (isotonic fit by scipy; the Brier score is (p - y)^2, which the
    first test checks against scoringrules)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(p)
    out = np.empty(reps)
    for i in range(reps):
        y = (rng.uniform(size=p.size) < p).astype(float)
        fit = isotonic_regression(y[order]).x
        out[i] = np.mean((p[order] - y[order]) ** 2) - np.mean((fit - y[order]) ** 2)
    return out


def test_a_calibrated_forecaster_stays_inside_its_bands_with_miscalibration_near_zero() -> None:
    p, y = _forecaster(distort=False)
    cal = calibration(p, y, resamples=500, seed=1)
    d = cal.decomposition.set_index("score_name")
    # "near 0": within what calibrated forecasters of the same p show 99% of the time
    tolerance = np.quantile(_null_mcb(p, 200, seed=99), 0.99)
    assert 0 <= d.loc["brier", "miscalibration"] < tolerance
    assert not cal.miscalibrated(alpha=0.01)
    # the band is pointwise at 90%: a calibrated curve leaves it now and then, but for
    # a small share of the forecasts
    assert cal.share_inside > 0.75, cal.share_inside


def test_a_distorted_forecaster_is_flagged() -> None:
    p, y = _forecaster(distort=True)
    cal = calibration(p, y, resamples=500, seed=1)
    d = cal.decomposition.set_index("score_name")
    tolerance = np.quantile(_null_mcb(p, 200, seed=99), 0.99)
    assert d.loc["brier", "miscalibration"] > 2 * tolerance
    assert cal.miscalibrated(alpha=0.01)
    assert cal.share_inside < 0.5, cal.share_inside


@pytest.mark.parametrize("distort", [False, True])
def test_the_decomposition_adds_up_to_the_library_mean_score(distort: bool) -> None:
    p, y = _forecaster(distort, n=300, seed=4)
    cal = calibration(p, y, resamples=50)
    for r in cal.decomposition.itertuples():
        assert r.score == pytest.approx(r.miscalibration - r.discrimination + r.uncertainty, abs=1e-12)
        lib = sr.brier_score(y, p) if r.score_name == "brier" else sr.log_score(y, p)
        assert r.score == pytest.approx(float(np.mean(lib)), rel=1e-12)
        assert r.miscalibration >= -1e-12 and r.discrimination >= -1e-12
    # uncertainty is the base rate's Brier score
    rbar = y.mean()
    brier_row = cal.decomposition.set_index("score_name").loc["brier"]
    assert brier_row["uncertainty"] == pytest.approx(rbar * (1 - rbar), rel=1e-12)


def test_crps_of_many_draws_does_not_hold_every_pair_in_memory() -> None:
    """The fair estimator by its pair form holds an n x n matrix: 3.2 GB for the 20,000
    draws of a version. Its probability-weighted-moment form (the same number, from the
    sorted draws) holds a few copies of the draws."""
    import tracemalloc

    x = np.random.default_rng(4).lognormal(1.0, 0.3, size=5000)
    crps(x, 3.1)  # imports and first-call caches outside the measurement
    tracemalloc.start()
    try:
        crps(x, 3.1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * x.nbytes, peak  # the pair matrix would be 5000 times x.nbytes
