"""Proper scores of probability forecasts, and their calibration.

Every score is negatively oriented, as in :mod:`scoringrules`: lower is better, 0
is a perfect forecast. Binary statements (a prediction that came true or not, an
outcome that came about or not) get the Brier score ``(p - y)^2`` and the log
score ``-log(p if y else 1 - p)``; an observed quantity (a market size in a year)
gets the CRPS and the log score of the forecast's draws, and its PIT value.

Calibration follows the CORP approach (Dimitriadis, Gneiting and Jordan, 2021,
PNAS 118(8) e2016191118): the recalibrated probability of each forecast value is
the isotonic (pool-adjacent-violators) regression of the outcomes on the
forecasts; the reliability diagram plots it against the forecast, with
consistency bands from outcomes resampled as if the forecasts were calibrated;
and the mean score splits exactly into miscalibration (MCB), discrimination (DSC)
and uncertainty (UNC): ``score = MCB - DSC + UNC``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: the scoringrules backend: plain numpy (the numba one compiles on first call and
#: gives the same numbers)
BACKEND = "numpy"


def _sr() -> Any:
    # scoringrules compiles its numba kernels when imported (seconds): only when scoring
    import scoringrules  # type: ignore[import-untyped]

    return scoringrules


def brier(p: Any, y: Any) -> np.ndarray:
    """Brier score ``(p - y)^2`` of probabilities ``p`` for outcomes ``y`` (0/1).

    Examples
    --------
    >>> brier([0.7, 0.7], [1, 0]).round(2).tolist()
    [0.09, 0.49]
    """
    return np.asarray(_sr().brier_score(np.asarray(y, float), np.asarray(p, float), backend=BACKEND), float)


def log_score(p: Any, y: Any) -> np.ndarray:
    """Log score ``-log(p)`` if the statement came true, ``-log(1 - p)`` if not.

    Infinite when a forecast of 0 or 1 was wrong.

    Examples
    --------
    >>> log_score([0.5], [1]).round(4).tolist()
    [0.6931]
    """
    p, y = np.asarray(p, float), np.asarray(y, float)
    with np.errstate(divide="ignore"):
        return np.asarray(_sr().log_score(y, p, backend=BACKEND), float)


def crps(draws: Any, y: float) -> float:
    """CRPS of the distribution the draws come from, at the observed value ``y``.

    The fair (unbiased) estimator ``E|X - y| - E|X - X'| / 2`` over distinct pairs of
    draws, so that it estimates the CRPS of the forecast distribution rather than of
    the finite sample. It is computed in its probability-weighted-moment form (the
    same number, from the sorted draws), which holds no matrix of every pair of draws
    (3.2 GB for 20,000 draws).

    Examples
    --------
    >>> round(crps([1.0, 2.0, 3.0], 2.0), 4)
    0.0
    """
    x = np.asarray(draws, float).ravel()
    return float(_sr().crps_ensemble(float(y), x, estimator="pwm", backend=BACKEND))


def pit(draws: Any, y: float) -> float:
    """Probability integral transform: the forecast's probability of a value below ``y``.

    Ties count half (the mid-point of the empirical CDF's jump), so a value equal to
    every draw gives 0.5.

    Examples
    --------
    >>> pit([1.0, 2.0, 3.0, 4.0], 2.5)
    0.5
    """
    x = np.asarray(draws, float).ravel()
    below = np.count_nonzero(x < y)
    ties = np.count_nonzero(x == y)
    return float((below + 0.5 * ties) / x.size)


def log_score_draws(draws: Any, y: float, *, positive: bool = False) -> float | None:
    """Log score ``-log f(y)`` of the density the draws come from, or ``None`` when it
    is not defined (the draws have no spread, or ``y`` is outside the quantity's domain).

    The density is a Gaussian kernel estimate (scoringrules' ``logs_ensemble``,
    Silverman's bandwidth). A positive quantity (a market size) is estimated on the log
    scale, where its draws are close to normal, and brought back with the Jacobian:
    ``-log f(y) = -log g(log y) + log y``.

    Examples
    --------
    >>> log_score_draws([1.0, 1.0], 1.0) is None
    True
    """
    x = np.asarray(draws, float).ravel()
    if positive:
        if y <= 0 or np.any(x <= 0):
            return None
        x, shift = np.log(x), float(np.log(y))
        y = shift
    else:
        shift = 0.0
    if not np.isfinite(y) or np.ptp(x) == 0:
        return None
    # far in the tail the kernel density is 0 and its log -inf: refused below, without
    # numpy's "divide by zero" warning on the way
    with np.errstate(divide="ignore"):
        value = float(_sr().logs_ensemble(float(y), x, backend=BACKEND)) + shift
    return value if np.isfinite(value) else None


# --- calibration ----------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """The CORP reliability diagram and score decomposition of binary forecasts.

    Attributes
    ----------
    curve : pandas.DataFrame
        One row per distinct forecast value: ``forecast``, ``n`` (statements with
        that forecast), ``observed`` (share that came true), ``recalibrated`` (the
        isotonic fit, the CORP reliability curve), ``band_low`` / ``band_high`` (the
        consistency band: where the curve of calibrated forecasts falls with the
        band's probability) and ``inside`` (whether the curve is in the band).
    decomposition : pandas.DataFrame
        One row per score (``brier``, ``log``): ``score`` (mean), ``miscalibration``,
        ``discrimination``, ``uncertainty`` (``score = MCB - DSC + UNC``), and
        ``p_value``: the probability that forecasts as calibrated as they claim show
        as much miscalibration (from the same resamples as the band).
    level : float
        Probability of the consistency band (pointwise).
    resamples : int
    """

    curve: pd.DataFrame
    decomposition: pd.DataFrame
    level: float
    resamples: int

    @property
    def share_inside(self) -> float:
        """Share of statements whose point of the curve lies inside the band."""
        c = self.curve
        return float((c["n"] * c["inside"]).sum() / c["n"].sum())

    def miscalibrated(self, alpha: float = 0.05) -> bool:
        """True when the Brier miscalibration is significant at ``alpha``."""
        row = self.decomposition[self.decomposition["score_name"] == "brier"]
        return bool(float(row["p_value"].iloc[0]) < alpha)


def recalibrate(p: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct forecast values, their counts and their CORP recalibrated probabilities.

    Equal forecasts are pooled first, so they get one recalibrated value (the PAV
    solution on the pooled means, weighted by counts).

    Examples
    --------
    >>> x, n, c = recalibrate([0.2, 0.2, 0.8, 0.6], [0, 1, 0, 1])
    >>> x.tolist(), n.tolist(), c.tolist()
    ([0.2, 0.6, 0.8], [2, 1, 1], [0.5, 0.5, 0.5])
    """
    from scipy.optimize import isotonic_regression

    p, y = np.asarray(p, float), np.asarray(y, float)
    x, inverse, n = np.unique(p, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=y, minlength=x.size)
    fit = isotonic_regression(sums / n, weights=n)
    return x, n, np.asarray(fit.x, float)


def _brier_fast(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    # the same as brier(); without the library's dispatch, which dominated the
    # resampling loop (a test checks both agree)
    return np.asarray((q - y) ** 2, float)


def _log_fast(q: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.asarray(-np.log(np.where(y == 1, q, 1 - q)), float)


def calibration(p: Any, y: Any, *, level: float = 0.90, resamples: int = 1000, seed: int = 0) -> Calibration:
    """CORP reliability diagram, consistency band and score decomposition.

    Parameters
    ----------
    p : array of float
        Forecast probabilities, one per (version, statement).
    y : array of 0/1
        What happened.
    level : float
        Probability of the pointwise consistency band.
    resamples : int
        Outcomes resampled as ``Bernoulli(p)`` (the forecasts taken at their word) for
        the band and the miscalibration test.
    seed : int

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(size=300)
    >>> cal = calibration(p, rng.uniform(size=300) < p, resamples=200)
    >>> cal.miscalibrated()
    False
    """
    p = np.asarray(p, float)
    y = np.asarray(y, float)
    if p.shape != y.shape or p.ndim != 1 or p.size == 0:
        raise ValueError("p and y must be equal-length, non-empty 1-d arrays")
    x, n, c = recalibrate(p, y)
    inverse = np.searchsorted(x, p)
    observed = np.bincount(inverse, weights=y, minlength=x.size) / n
    here = _score_parts(x, n, inverse, y, c)
    curves, mcb = _consistency_resamples(p, x, n, inverse, resamples, seed)
    lo, hi = np.quantile(curves, [(1 - level) / 2, (1 + level) / 2], axis=0)
    curve = pd.DataFrame(
        {
            "forecast": x,
            "n": n,
            "observed": observed,
            "recalibrated": c,
            "band_low": lo,
            "band_high": hi,
            "inside": (c >= lo - _TOL) & (c <= hi + _TOL),
        }
    )
    rows = _decomposition_rows(here, mcb, p.size, float(y.mean()))
    return Calibration(curve, pd.DataFrame(rows), level, resamples)


#: ties within this are equal: a resampled miscalibration that matches the observed one
#: counts against calibration, and a curve on its band's edge is inside it
_TOL = 1e-12


def _score_parts(
    x: np.ndarray, n: np.ndarray, inverse: np.ndarray, yy: np.ndarray, cc: np.ndarray
) -> np.ndarray:
    """(score, MCB, DSC, UNC) for Brier (row 0) and log (row 1), on the pooled forecast
    values ``x`` (``n`` statements each; ``inverse`` maps a statement to its value), of
    outcomes ``yy`` and recalibrated probabilities ``cc``."""
    r = float(np.average(cc, weights=n))  # = mean of yy: PAV keeps block means
    out = []
    ybar = np.bincount(inverse, weights=yy, minlength=x.size) / n
    for score in (_brier_fast, _log_fast):
        # mean score over statements of a per-value forecast q against outcomes:
        # the statements at value j have ybar_j true, so score = mean over j of
        # ybar_j S(q_j, 1) + (1 - ybar_j) S(q_j, 0), weighted by n
        def mean(q: np.ndarray, score: Any = score) -> float:
            with np.errstate(invalid="ignore"):
                s1, s0 = score(q, np.ones_like(q)), score(q, np.zeros_like(q))
                per = np.where(ybar > 0, ybar * s1, 0.0) + np.where(ybar < 1, (1 - ybar) * s0, 0.0)
            return float(np.average(per, weights=n))

        s_x, s_c, s_r = mean(x), mean(cc), mean(np.full_like(x, r))
        out.append((s_x, s_x - s_c, s_r - s_c, s_r))
    return np.array(out)


def _consistency_resamples(
    p: np.ndarray, x: np.ndarray, n: np.ndarray, inverse: np.ndarray, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes drawn as ``Bernoulli(p)`` ``resamples`` times: each draw's recalibrated
    curve (one row each) and its Brier and log miscalibration (two columns)."""
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(seed)
    curves = np.empty((resamples, x.size))
    mcb = np.empty((resamples, 2))
    for i in range(resamples):
        ys = (rng.uniform(size=p.size) < p).astype(float)
        # recalibrate(p, ys) without pooling the same forecasts again
        sums = np.bincount(inverse, weights=ys, minlength=x.size)
        cs = np.asarray(isotonic_regression(sums / n, weights=n).x, float)
        curves[i] = cs
        mcb[i] = _score_parts(x, n, inverse, ys, cs)[:, 1]
    return curves, mcb


def _decomposition_rows(
    here: np.ndarray, mcb: np.ndarray, statements: int, rbar: float
) -> list[dict[str, Any]]:
    """``decomposition.csv``'s rows: each score's parts and its MCB p-value, refused
    (empty, with a note) where a forecast of exactly 0 or 1 was wrong."""
    rows = []
    for j, name in enumerate(("brier", "log")):
        s, m, d, u = here[j]
        finite = np.isfinite(mcb[:, j])
        p_value = (1 + np.count_nonzero(mcb[finite, j] >= m - _TOL)) / (1 + finite.sum())
        row = {
            "score_name": name,
            "score": s,
            "miscalibration": m,
            "discrimination": d,
            "uncertainty": u,
            "p_value": float(p_value),
            "statements": int(statements),
            "base_rate": rbar,
            "note": "",
        }
        if not all(np.isfinite([s, m, d, u])):
            # a forecast of exactly 0 or 1 that was wrong: refused, not written as inf
            row.update(
                dict.fromkeys(("score", "miscalibration", "discrimination", "uncertainty", "p_value"), np.nan)
            )
            row["note"] = "not defined: a forecast gave 0% to what happened"
        rows.append(row)
    return rows
