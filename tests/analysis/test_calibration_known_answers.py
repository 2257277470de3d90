"""The CORP decomposition, band and p-value on forecasts small enough to work out by hand.

- Four statements, two forecast values: every column of the curve and every part of
  the Brier and log decompositions has a closed form (written out below).
- A hundred forecasts of 50%: with one forecast value the recalibrated curve is the
  share that came true, its miscalibration ``(share - 0.5)^2``, so the consistency
  band is the binomial's quantiles and the p-value is the two-sided binomial test's.
  The band and p-value come from resamples; the tolerance is their Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forecast.analysis.scores import calibration

# two statements at 10% that did not happen; two at 90%, one of which happened
P_SMALL = [0.1, 0.1, 0.9, 0.9]
Y_SMALL = [0, 0, 1, 0]


def test_curve_of_a_small_example_by_hand() -> None:
    cal = calibration(P_SMALL, Y_SMALL, resamples=200)
    c = cal.curve
    assert c["forecast"].tolist() == [0.1, 0.9]
    assert c["n"].tolist() == [2, 2]
    assert c["observed"].tolist() == [0.0, 0.5]
    # already increasing: the isotonic fit is the observed shares
    np.testing.assert_allclose(c["recalibrated"], [0.0, 0.5], atol=1e-15)
    assert cal.level == 0.90 and cal.resamples == 200


def test_decomposition_of_a_small_example_by_hand() -> None:
    cal = calibration(P_SMALL, Y_SMALL, resamples=200)
    d = cal.decomposition.set_index("score_name")
    # Brier: forecasts (0.01 + 0.01 + 0.01 + 0.81) / 4 = 0.21; recalibrated (0, 0, 0.25,
    # 0.25) / 4 = 0.125; the base rate 0.25 for all: r (1 - r) = 0.1875
    brier = d.loc["brier"]
    assert brier["score"] == pytest.approx(0.21, abs=1e-15)
    assert brier["miscalibration"] == pytest.approx(0.21 - 0.125, abs=1e-15)
    assert brier["discrimination"] == pytest.approx(0.1875 - 0.125, abs=1e-15)
    assert brier["uncertainty"] == pytest.approx(0.1875, abs=1e-15)
    # log: forecasts (3 (-log 0.9) - log 0.1) / 4; recalibrated (0 + 0 + 2 log 2) / 4;
    # the base rate: the entropy of 0.25
    log = d.loc["log"]
    s_x = (-3 * np.log(0.9) - np.log(0.1)) / 4
    s_c = np.log(2) / 2
    s_r = -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    assert log["score"] == pytest.approx(s_x, rel=1e-14)
    assert log["miscalibration"] == pytest.approx(s_x - s_c, rel=1e-14)
    assert log["discrimination"] == pytest.approx(s_r - s_c, rel=1e-14)
    assert log["uncertainty"] == pytest.approx(s_r, rel=1e-14)
    for row in d.itertuples():
        assert row.statements == 4
        assert row.base_rate == 0.25
        assert row.note == ""
        assert 0 < row.p_value <= 1


def test_a_certain_forecast_that_was_wrong_has_no_log_decomposition() -> None:
    cal = calibration([0.0, 0.5, 0.5], [1, 0, 1], resamples=50)
    d = cal.decomposition.set_index("score_name")
    for column in ("score", "miscalibration", "discrimination", "uncertainty", "p_value"):
        assert np.isnan(d.loc["log", column]), column
    assert d.loc["log", "note"] == "not defined: a forecast gave 0% to what happened"
    # the Brier score is defined: (1 + 0.25 + 0.25) / 3
    assert d.loc["brier", "score"] == pytest.approx(0.5, abs=1e-15)
    assert d.loc["brier", "note"] == ""


def test_bad_shapes_are_refused() -> None:
    for p, y in (([0.5, 0.5], [1]), ([], []), ([[0.5]], [[1]])):
        with pytest.raises(ValueError) as e:
            calibration(p, y)
        assert str(e.value) == "p and y must be equal-length, non-empty 1-d arrays"


# --- one forecast value: the binomial test ------------------------------------------

N_COIN, HITS, RESAMPLES = 100, 62, 2000


def _coin_flips() -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(N_COIN)
    y[:HITS] = 1.0
    return np.full(N_COIN, 0.5), y


def test_p_value_of_one_forecast_value_is_the_binomial_tests() -> None:
    p, y = _coin_flips()
    cal = calibration(p, y, resamples=RESAMPLES, seed=3)
    d = cal.decomposition.set_index("score_name")
    # MCB = (share - 0.5)^2 for both scores' ordering: as large or larger when |hits - 50| >= 12
    assert d.loc["brier", "miscalibration"] == pytest.approx((HITS / N_COIN - 0.5) ** 2, rel=1e-12)
    exact = stats.binomtest(HITS, N_COIN, 0.5).pvalue  # about 0.021
    se = np.sqrt(exact * (1 - exact) / RESAMPLES)
    for name in ("brier", "log"):
        assert abs(d.loc[name, "p_value"] - exact) < 4 * se + 1 / RESAMPLES, (
            name,
            d.loc[name, "p_value"],
            exact,
        )
    # exactly: ties (another 62 or 38 hits) count as "as much miscalibration"
    _, mcb, observed = _null_by_hand(p, y, RESAMPLES, 3)
    ties = np.count_nonzero(np.abs(mcb - observed) < 1e-12)
    assert ties > 0
    assert d.loc["brier", "p_value"] == (1 + np.count_nonzero(mcb >= observed - 1e-12)) / (1 + RESAMPLES)
    # significant at the default 5%, not at 1%
    assert cal.miscalibrated()
    assert not cal.miscalibrated(alpha=0.01)


@pytest.mark.parametrize("level", [0.90, 0.50])
def test_band_of_one_forecast_value_is_the_binomials_quantiles(level: float) -> None:
    p, y = _coin_flips()
    cal = (
        calibration(p, y, resamples=RESAMPLES, seed=5)
        if level == 0.90
        else calibration(p, y, level=level, resamples=RESAMPLES, seed=5)
    )
    row = cal.curve.iloc[0]
    binom = stats.binom(N_COIN, 0.5)
    lo, hi = binom.ppf((1 - level) / 2) / N_COIN, binom.ppf((1 + level) / 2) / N_COIN
    # the resamples' quantiles land within one step (1 / N) of the binomial's
    assert abs(row["band_low"] - lo) <= 1 / N_COIN + 1e-12, (row["band_low"], lo)
    assert abs(row["band_high"] - hi) <= 1 / N_COIN + 1e-12, (row["band_high"], hi)
    assert row["recalibrated"] == HITS / N_COIN
    # 0.62 lies above either band: outside, and so is every statement
    assert not row["inside"]
    assert cal.share_inside == 0.0


def test_a_curve_inside_its_band_counts_its_statements() -> None:
    p = np.r_[np.full(100, 0.5), np.full(50, 0.8)]
    y = np.r_[np.ones(50), np.zeros(50), np.ones(40), np.zeros(10)]  # exactly as forecast
    cal = calibration(p, y, resamples=500, seed=1)
    assert cal.curve["inside"].tolist() == [True, True]
    assert cal.share_inside == 1.0
    d = cal.decomposition.set_index("score_name")
    assert d.loc["brier", "miscalibration"] == pytest.approx(0.0, abs=1e-15)
    # nothing is less miscalibrated than a perfect fit: every resample is as large
    assert d.loc["brier", "p_value"] == 1.0
    assert not cal.miscalibrated()


# --- the resamples: band and p-value recomputed from their definition ---------------------


def _null_by_hand(
    p: np.ndarray, y: np.ndarray, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """The CORP curve and the Brier MCB of ``resamples`` outcome sets drawn as
    ``Bernoulli(p)`` (from the seed's uniform stream, one draw per statement per
    resample, as the docstring's "forecasts taken at their word"), and the observed MCB.

    Written from the definitions, not from the code: pool equal forecasts, isotonic fit
    of the pooled shares weighted by their counts (scipy), MCB = mean (p - y)^2 - mean
    (c - y)^2 over the statements.
    """
    from scipy.optimize import isotonic_regression

    x, inverse, n = np.unique(p, return_inverse=True, return_counts=True)

    def fit(yy: np.ndarray) -> tuple[np.ndarray, float]:
        c = isotonic_regression(np.bincount(inverse, weights=yy) / n, weights=n).x
        return c, float(np.mean((p - yy) ** 2) - np.mean((c[inverse] - yy) ** 2))

    rng = np.random.default_rng(seed)
    curves, mcb = np.empty((resamples, x.size)), np.empty(resamples)
    for i in range(resamples):
        curves[i], mcb[i] = fit((rng.uniform(size=p.size) < p).astype(float))
    return curves, mcb, fit(y)[1]


def test_band_and_p_value_are_those_of_the_resampled_calibrated_forecasts() -> None:
    rng = np.random.default_rng(21)
    # unequal counts per forecast value, and outcomes a little off: pooling and weights matter
    p = np.repeat([0.1, 0.3, 0.35, 0.6, 0.9], [40, 10, 25, 5, 20])
    y = (rng.uniform(size=p.size) < np.clip(p + 0.1, 0, 1)).astype(float)
    level, resamples, seed = 0.8, 300, 7
    cal = calibration(p, y, level=level, resamples=resamples, seed=seed)
    curves, mcb, observed = _null_by_hand(p, y, resamples, seed)
    lo, hi = np.quantile(curves, [(1 - level) / 2, (1 + level) / 2], axis=0)
    np.testing.assert_allclose(cal.curve["band_low"], lo, rtol=1e-12)
    np.testing.assert_allclose(cal.curve["band_high"], hi, rtol=1e-12)
    d = cal.decomposition.set_index("score_name")
    assert d.loc["brier", "miscalibration"] == pytest.approx(observed, rel=1e-12)
    # "as much miscalibration": ties count (1e-12 absorbs rounding)
    k = np.count_nonzero(mcb >= observed - 1e-12)
    assert d.loc["brier", "p_value"] == (1 + k) / (1 + resamples)
    # uncertainty: the base rate's score, each statement weighing the same
    rbar = y.mean()
    assert d.loc["brier", "uncertainty"] == pytest.approx(rbar * (1 - rbar), rel=1e-12)
    # the same seed, the same numbers
    again = calibration(p, y, level=level, resamples=resamples, seed=seed)
    assert again.curve.equals(cal.curve) and again.decomposition.equals(cal.decomposition)


def test_unequal_counts_weigh_the_decomposition_by_statements() -> None:
    p = np.r_[np.full(100, 0.5), np.full(50, 0.8)]
    y = np.r_[np.ones(60), np.zeros(40), np.ones(30), np.zeros(20)]
    cal = calibration(p, y, resamples=50)
    d = cal.decomposition.set_index("score_name")
    rbar = 90 / 150
    assert d.loc["brier", "uncertainty"] == pytest.approx(rbar * (1 - rbar), rel=1e-12)
    assert d.loc["brier", "score"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    assert d.loc["log", "score"] == pytest.approx(np.mean(-np.log(np.where(y == 1, p, 1 - p))), rel=1e-12)
    # shares 0.6 and 0.6: pooled into one block at the base rate, nothing discriminated
    np.testing.assert_allclose(cal.curve["recalibrated"], [0.6, 0.6], rtol=1e-12)
    assert d.loc["brier", "discrimination"] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(("hits", "inside"), [(42, True), (41, False), (59, True), (60, False)])
def test_a_curve_on_its_bands_edge_is_inside(hits: int, inside: bool) -> None:
    """Seed 0's 90% band of 100 forecasts of 50% is [0.42, 0.59] (as computed by hand
    above); a share exactly on an edge is inside, one step beyond is not."""
    p = np.full(100, 0.5)
    curves, _, _ = _null_by_hand(p, np.zeros(100), 2000, 0)
    assert np.quantile(curves, [0.05, 0.95]).tolist() == [0.42, 0.59]
    y = np.r_[np.ones(hits), np.zeros(100 - hits)]
    cal = calibration(p, y, resamples=2000, seed=0)
    assert bool(cal.curve["inside"].iloc[0]) is inside


def test_one_statement_is_enough() -> None:
    cal = calibration([0.7], [1], resamples=20)
    assert cal.curve["n"].tolist() == [1]
    assert cal.decomposition.set_index("score_name").loc["brier", "score"] == pytest.approx(0.09, abs=1e-15)


def test_miscalibrated_reads_the_brier_row_and_is_strict() -> None:
    # far off and a 0% forecast that happened: the log row is not defined (NaN), the
    # Brier row is, and no calibrated resample is as far off
    p = np.r_[np.full(40, 0.1), 0.0]
    y = np.r_[np.ones(40), 1.0]
    cal = calibration(p, y, resamples=19, seed=1)
    d = cal.decomposition.set_index("score_name")
    assert np.isnan(d.loc["log", "p_value"])
    assert d.loc["brier", "p_value"] == 1 / 20  # (1 + 0) / (1 + 19)
    assert not cal.miscalibrated(alpha=0.05)  # significant means p < alpha
    assert cal.miscalibrated(alpha=0.051)
