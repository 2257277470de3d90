"""Scenario -> the model's data: plain numpy arrays (no PyMC).

:func:`model_data` turns a validated :class:`~forecast.scenario.Scenario` into plain
numpy arrays (:class:`ModelData`); :func:`build_model` turns those into a
``pm.Model`` with named dims. Every array lives in a ``pm.Data`` container and every
dim length is a shared variable, so a graph compiled for one scenario serves any
other scenario of the same structure after :func:`set_model_data`.

The generative story (per draw):

- inputs: every uncertain input is ``f(a + b z)`` with ``z ~ Normal(0, 1)``
  (see :mod:`forecast.scenario.inputs`), so NUTS sees standard-normal latents only;
- markets: ``log size[m, t] = log size[m] + (year[t] - base[m]) * drift[m] + B[m, t]``
  where ``drift = mu + sd * s``, the growth surprise ``s[m] = sqrt(rho) g + sqrt(1 -
  rho) h[m]`` shares a common factor ``g`` across markets, and ``B`` is the yearly
  shocks ``vol[m] (sqrt(rho) f[t] + sqrt(1 - rho) e[m, t])``, summed from the base year.
  The median in the projection year is the stated projection; when the projection
  (not an uncertain CAGR) sets growth's spread, ``drift`` also takes out the size's
  deviation from its median by the projection year and the shocks are bridged
  between the two years (``B`` is 0 in both), so each anchor year has exactly its
  stated spread;
- outcomes: ``p ~ Dirichlet(confidence * stated)``, ``q = softmax(log p + c + beta s')``
  with ``c`` calibrated so that ``E[q] = stated`` exactly at the growth the
  probabilities were stated at, ``s'`` the growth surprise measured from there (so a
  what-if that moves a driver market's growth moves the odds), ``outcome ~
  Categorical(q)``;
- positions: share paths per outcome; between two points, the points' quantile
  functions interpolated at their interpolated latent (so the interval is the
  interpolation of theirs), the points' latents correlated by the position's
  persistence; revenue = share x market size;
- predictions: thresholds on simulated quantities judged at their deadline or at any
  query time up to it (``by``), and events as exponential waiting times whose
  probability by the deadline is the stated one; every date is read on
  :func:`~forecast.scenario.model_time`'s axis (a year's figure at mid-year);
- signposts: ``P(true) = sum_k q_k L_k``; evidence: ``log observed ~ Normal(log size,
  rel_error)``.

It is longer than 600 lines: every array the model reads is built here from one
scenario, in one pass, so that the arrays agree with each other and with the coords.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from forecast.engine.answers import with_observed_answers
from forecast.engine.formulas import FORMULA_DIMS, formula_coords, formula_data, metric_check
from forecast.engine.input_tables import EXTRA_DIMS, copula_arrays, extra_coords, table_arrays
from forecast.scenario import Scenario, model_time
from forecast.scenario.inputs import Canonical, Family

CALIBRATION_DRAWS = 200_000
CALIBRATION_SEED = 20_240_101


@dataclass
class ModelData:
    """Everything the model needs, as numpy arrays, plus the coords that label them.

    Built by :func:`model_data`; pure numpy, no PyMC.
    """

    coords: dict[str, list[Any]]
    size_fam: np.ndarray
    size_a: np.ndarray
    size_b: np.ndarray
    vol_fam: np.ndarray
    vol_a: np.ndarray
    vol_b: np.ndarray
    rho_fam: np.ndarray
    rho_a: np.ndarray
    rho_b: np.ndarray
    drift_mu: np.ndarray
    drift_sd: np.ndarray
    drift_anchor: np.ndarray  # (market,) 1 / years to a projection that anchors growth, else 0
    log_size_ref: np.ndarray  # (market,) log of the size's median
    year_rel: np.ndarray  # (market, year): years since the market's base year
    base_onehot: np.ndarray  # (market, year)
    anchor_onehot: np.ndarray  # (market, year): the anchoring projection's year (else the base year)
    bridge_w: (
        np.ndarray
    )  # (market, year): weight of the anchor year's shocks (0 at the base, 1 from the anchor)
    time_lo: np.ndarray  # (time,) int: the grid year before each query time (log-linear between)
    time_hi: np.ndarray  # (time,) int: the grid year after it
    time_u: np.ndarray  # (time,): how far from time_lo to time_hi (0..1)
    alpha: np.ndarray  # (outcome,)
    calib: np.ndarray  # (outcome,)
    beta: np.ndarray  # (outcome, market)
    share_fam: np.ndarray  # (share_input,)
    share_a: np.ndarray
    share_b: np.ndarray
    share_lo: np.ndarray  # (position, outcome, time) int: the path point before each time
    share_hi: np.ndarray  # (position, outcome, time) int: the path point after it
    share_t: np.ndarray  # (position, outcome, time): how far from share_lo to share_hi (0..1)
    share_norm: np.ndarray  # (position, outcome, time): 1 / SD of the interpolated latent
    share_pos: np.ndarray  # (share_input,) int: the position a path point belongs to
    share_rho: np.ndarray  # (share_input,) the position's persistence
    pos_market: np.ndarray  # (position,) int: the market a position is a share of
    # A threshold is judged on its window's checks, one per (threshold, query time): a
    # check reads ``(1 - u) v[lo] + u v[hi]`` of the flat values ``v = [log market size
    # (market x year), share (position x time), revenue (position x time)]`` (a market
    # at a query time interpolated in log, a share or revenue read as it is) and
    # compares it with its value (a market's in log). Indices, not one-hot matrices: the
    # cost per draw is one gather per check, linear in thresholds x window times.
    check_lo: np.ndarray  # (check,) int
    check_hi: np.ndarray  # (check,) int
    check_u: np.ndarray  # (check,)
    check_sign: np.ndarray  # (check,) +1 for >=, -1 for <=
    check_value: np.ndarray  # (check,) the threshold (its log for a market; -inf for one <= 0)
    check_upper: np.ndarray  # (check,) "between": the range's upper end (in log for a market), else inf
    thr_check: np.ndarray  # (threshold, window) int: its checks, padded by repeating its last
    event_fam: np.ndarray  # (event, outcome)
    event_a: np.ndarray
    event_b: np.ndarray
    event_horizon: np.ndarray  # (event,) years from as_of to deadline
    pred_pick: np.ndarray  # (prediction,) int: entry of [thresholds, events], scenario order
    signpost_l: np.ndarray  # (signpost, outcome)
    obs_signpost_l: np.ndarray  # (observed_signpost, outcome)
    obs_signpost: np.ndarray  # (observed_signpost,) 0/1
    evidence_w: np.ndarray  # (evidence, market, year) one-hot
    evidence_log: np.ndarray  # (evidence,)
    evidence_sd: np.ndarray  # (evidence,)
    # tabulated inputs and the copula: see forecast.engine.input_tables
    size_tab: np.ndarray
    vol_tab: np.ndarray
    rho_tab: np.ndarray
    share_tab: np.ndarray
    event_tab: np.ndarray
    input_tab: np.ndarray
    cop_base_idx: np.ndarray
    cop_share_idx: np.ndarray
    cop_input_idx: np.ndarray
    cop_chol: np.ndarray
    as_of: float = 0.0
    labels: dict[str, Any] = field(default_factory=dict)
    # named inputs and metrics (forecast.engine.formulas): arrays, and the plan to build
    input_fam: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    input_a: np.ndarray = field(default_factory=lambda: np.zeros(0))
    input_b: np.ndarray = field(default_factory=lambda: np.zeros(0))
    formula_num: np.ndarray = field(default_factory=lambda: np.zeros(0))
    formula_int: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    formula_year: np.ndarray = field(default_factory=lambda: np.zeros(0))
    metric_defined: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # risks' effects on inputs and metrics (forecast.engine.risk_effects; RISK_DIMS)
    risk_lik: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    risk_p_fam: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    risk_p_a: np.ndarray = field(default_factory=lambda: np.zeros(0))
    risk_p_b: np.ndarray = field(default_factory=lambda: np.zeros(0))
    risk_p_logit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    risk_fixed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eff_risk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    eff_fam: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    eff_a: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eff_b: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eff_mul: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eff_input: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    eff_metric: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    risk_years: np.ndarray = field(default_factory=lambda: np.zeros(0))
    formulas: Any = None

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array by name (the ``pm.Data`` containers of the model)."""
        skip = {"coords", "as_of", "labels", "formulas"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    @property
    def uniform(self) -> bool:
        """Whether any transformed input is uniform or tabulated (the graph then needs
        ``ndtr`` and the table lookup)."""
        fams = [self.size_fam, self.vol_fam, self.rho_fam, self.share_fam, self.event_fam, self.input_fam]
        fams += [self.risk_p_fam, self.eff_fam]  # risks' probabilities and effects on inputs/metrics
        return any(bool(np.any((f == Family.UNIFORM) | (f == Family.TABLE))) for f in fams)

    @property
    def structure(self) -> tuple[bool, bool, bool]:
        """What decides the graph: observed evidence, observed signposts, uniform inputs.

        Counts (markets, years, outcomes, ...) are not part of it: dim lengths are
        shared variables, so one compiled graph serves every count.
        """
        key = self.formulas.key if self.formulas is not None else ()
        return (
            len(self.evidence_log) > 0,
            len(self.obs_signpost) > 0,
            self.uniform,
            *((key,) if key else ()),
        )

    def without_observations(self) -> ModelData:
        """The same scenario with no evidence and no observed signposts: the prior.

        Forward simulation uses it: observations must not enter prior draws (an observed
        signpost conditions the outcome probability inside the graph).
        """
        n_k, (n_m, n_y) = self.alpha.shape[0], self.year_rel.shape
        coords = {**self.coords, "observed_signpost": [], "evidence": []}
        return replace(
            self,
            coords=coords,
            obs_signpost_l=np.zeros((0, n_k)),
            obs_signpost=np.zeros(0, dtype=np.int64),
            evidence_w=np.zeros((0, n_m, n_y)),
            evidence_log=np.zeros(0),
            evidence_sd=np.zeros(0),
        )


def _canon_arrays(items: list[Canonical], shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    fam = np.array([c.family for c in items], dtype=np.int64).reshape(shape)
    a = np.array([c.a for c in items], dtype=float).reshape(shape)
    b = np.array([c.b for c in items], dtype=float).reshape(shape)
    return fam, a, b


def _drift(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per market: mean and SD of log(1 + CAGR), the anchor weight and the log size median.

    See :meth:`forecast.scenario.Market.growth`. When the projection anchors growth,
    the projection year has the projection's own spread, not that plus the size's: in
    the graph ``drift = mu + sd * s - anchor * (log size - log_size_med)`` with
    ``anchor = 1 / years`` (0 when the CAGR sets the spread), and the yearly shocks are
    bridged between the two anchors (:func:`_bridge`).
    """
    mu, sd, anchor, ref = [], [], [], []
    for m in scenario.markets:
        ref.append(float(np.log(m.size.canonical("positive").quantile(0.5))))
        m_mu, m_sd, anchored = m.growth()
        mu.append(m_mu)
        sd.append(m_sd)
        anchor.append(1.0 / (m.projection.year - m.base_year) if anchored and m.projection else 0.0)
    return np.array(mu), np.array(sd), np.array(anchor), np.array(ref)


def _bridge(scenario: Scenario, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The anchor year and the bridge weights of each market's yearly shocks.

    With cumulative shocks ``C``, a market's shock term in year ``t`` is ``C[t] - (1 -
    w[t]) C[base] - w[t] C[anchor]``: 0 in both anchor years (each has exactly its
    stated spread), a Brownian bridge between them (``w`` rises linearly from 0 to 1),
    and a random walk from the last anchor on. Without an anchoring projection ``w``
    is 0: a random walk from the base year.
    """
    anchor = np.zeros((len(scenario.markets), len(years)))
    w = np.zeros_like(anchor)
    for i, m in enumerate(scenario.markets):
        _, _, anchored = m.growth()
        end = m.projection.year if anchored and m.projection is not None else m.base_year
        anchor[i, years == end] = 1.0
        if end > m.base_year:
            w[i] = np.clip((years - m.base_year) / (end - m.base_year), 0.0, 1.0)
    return anchor, w


_SAME_TIME = 1e-9  # times closer than this (in years) are the same time
MONTHS = 12  # a "by" threshold is checked at least monthly


def _query_times(s: Scenario, years: np.ndarray) -> np.ndarray:
    """Times the simulated quantities are read at: the grid years first, then the
    threshold deadlines and, for ``by`` thresholds, every month from ``as_of`` to
    the deadline and every share-path date in between (on :func:`model_time`'s axis).

    Market sizes are log-linear between grid years, so their extremes in a window
    are at grid years or its ends; share paths bend only a little between points, and
    a monthly grid is as fine as a monthly deadline needs.
    """
    extra: list[float] = []
    start = model_time(s.as_of)
    for pr in s.predictions:
        if pr.kind != "threshold":
            continue
        end = model_time(pr.deadline)
        extra.append(end)
        if pr.judged == "by":
            first = dt.date(s.as_of.year, s.as_of.month, 1)
            i = 0
            while True:
                y, m = divmod(first.month - 1 + i, 12)
                t = model_time(dt.date(first.year + y, m + 1, 1))
                if t > end:
                    break
                if t >= start:
                    extra.append(t)
                i += 1
            extra.append(start)
            extra += [t for pos in s.positions for pt in pos.path if start <= (t := model_time(pt.at)) <= end]
    out: list[float] = []
    for t in sorted(extra):
        if not out or t - out[-1] > _SAME_TIME:
            out.append(t)
    return np.concatenate([years, np.array(out, dtype=float)])


def _interp_weights(x: np.ndarray, xp: np.ndarray) -> np.ndarray:
    """Rows of linear-interpolation weights of ``x`` on knots ``xp`` (flat outside)."""
    w = np.zeros((len(x), len(xp)))
    for i, xi in enumerate(x):
        if len(xp) == 1 or xi <= xp[0]:
            w[i, 0] = 1.0
        elif xi >= xp[-1]:
            w[i, -1] = 1.0
        else:
            j = int(np.searchsorted(xp, xi, side="right")) - 1
            t = (xi - xp[j]) / (xp[j + 1] - xp[j])
            w[i, j], w[i, j + 1] = 1 - t, t
    return w


def _interp_index(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of :func:`_interp_weights` as indices: ``(lo, hi, u)`` with row ``i`` equal
    to ``1 - u[i]`` at ``lo[i]`` and ``u[i]`` at ``hi[i]`` (``lo == hi``, ``u = 0`` on a knot
    or outside)."""
    lo = np.zeros(len(w), dtype=np.int64)
    hi = np.zeros(len(w), dtype=np.int64)
    u = np.zeros(len(w))
    for i, row in enumerate(w):
        nz = np.flatnonzero(row)
        if len(nz):
            lo[i], hi[i] = nz[0], nz[-1]
            u[i] = row[hi[i]] if hi[i] != lo[i] else 0.0
    return lo, hi, u


def _threshold_checks(
    s: Scenario,
    thresholds: list[Any],
    times: np.ndarray,
    interp: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_y: int,
    market_ids: list[str],
    position_ids: list[str],
) -> dict[str, np.ndarray]:
    """The checks of every threshold (see :class:`ModelData`): one per query time of
    its window, the deadline alone (``at``) or every query time from ``as_of`` to the
    deadline (``by``), reading its series of the flat values ``[log market (M x Y),
    share (P x T), revenue (P x T)]``."""
    n_m, n_p, n_t = len(market_ids), len(position_ids), len(times)
    t_lo, t_hi, t_u = interp
    start = model_time(s.as_of)
    lo: list[int] = []
    hi: list[int] = []
    u: list[float] = []
    sign: list[float] = []
    value: list[float] = []
    upper: list[float] = []
    windows: list[list[int]] = []
    for pr in thresholds:
        assert pr.quantity is not None
        kind, _, ref = pr.quantity.partition(".")
        end = model_time(pr.deadline)
        if pr.judged == "by":
            win = np.flatnonzero((times >= start - _SAME_TIME) & (times <= end + _SAME_TIME))
        else:
            win = np.zeros(0, dtype=np.int64)
        if pr.judged != "by" or not len(win):
            win = np.array([int(np.argmin(np.abs(times - end)))])
        first = len(lo)
        for t in win:
            if kind == "market":
                m = market_ids.index(ref)
                lo.append(m * n_y + int(t_lo[t]))
                hi.append(m * n_y + int(t_hi[t]))
                u.append(float(t_u[t]))
            elif kind == "metric":  # the metrics follow revenue in the flat values
                m_lo, m_hi, m_u = metric_check(s, pr.quantity, int(t), interp, n_m * n_y + 2 * n_p * n_t)
                lo.append(m_lo)
                hi.append(m_hi)
                u.append(m_u)
            else:
                block = n_m * n_y + (0 if kind == "share" else n_p * n_t)
                lo.append(block + position_ids.index(ref) * n_t + int(t))
                hi.append(lo[-1])
                u.append(0.0)
            sign.append(-1.0 if pr.op == "<=" else 1.0)
            # "between" is ">= low" and "<= high" at the same time
            thr, top = (pr.low, pr.high) if pr.op == "between" else (pr.threshold, np.inf)
            thr, top = float(thr), float(top)
            if kind == "market":
                # compared in log: no market is exponentiated for a check; every market
                # size is positive, so a threshold <= 0 is always passed (>=) or missed (<=)
                thr = float(np.log(thr)) if thr > 0 else -np.inf
                top = float(np.log(top)) if top > 0 else -np.inf
            value.append(thr)
            upper.append(top)
        windows.append(list(range(first, len(lo))))
    width = max([len(w) for w in windows] + [1])
    thr_check = np.array([w + [w[-1]] * (width - len(w)) for w in windows], dtype=np.int64).reshape(
        len(windows), width
    )
    return {
        "check_lo": np.array(lo, dtype=np.int64),
        "check_hi": np.array(hi, dtype=np.int64),
        "check_u": np.array(u, dtype=float),
        "check_sign": np.array(sign, dtype=float),
        "check_value": np.array(value, dtype=float),
        "check_upper": np.array(upper, dtype=float),
        "thr_check": thr_check,
    }


def calibrate_outcomes(
    stated: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    rho: Canonical,
    *,
    draws: int = CALIBRATION_DRAWS,
    seed: int = CALIBRATION_SEED,
    tol: float = 1e-10,
) -> np.ndarray:
    """Log-odds offsets ``c`` so that ``E[softmax(log p + c + beta s)] = stated``.

    Drivers shift the odds with the markets' growth surprises; without this offset
    the shift would also move the marginal probabilities away from the stated ones.
    The expectation is over ``p ~ Dirichlet(alpha)`` and the same growth surprise
    ``s`` the model draws, estimated with fixed common random numbers; the fixed
    point ``c <- c + log(stated / E[q])`` converges in a few dozen steps.

    Examples
    --------
    >>> c = calibrate_outcomes(np.array([0.5, 0.5]), np.array([5.0, 5.0]),
    ...                        np.zeros((2, 1)), Canonical(Family.NORMAL, 0.0, 0.0))
    >>> c.tolist()
    [0.0, 0.0]
    """
    k = beta.shape[0]
    if k == 0 or not np.any(beta):
        return np.zeros(k)
    key = (stated.tobytes(), alpha.tobytes(), beta.tobytes(), beta.shape, rho, draws, seed, tol)
    if key not in _CALIBRATION_CACHE:
        path = _calibration_file(key)
        c = _read_calibration(path, k)
        if c is None:
            c = _calibrate(stated, alpha, beta, rho, draws, seed, tol)
            _write_calibration(path, c)
        _CALIBRATION_CACHE[key] = c
    return _CALIBRATION_CACHE[key].copy()


# model_data runs for every simulate, report and sensitivity run of a scenario: the
# calibration (~0.1 s; ~0.3 s at 64 markets on a busy machine) is the same every
# time, so it is computed once per process and kept on disk for the next process
_CALIBRATION_CACHE: dict[tuple[Any, ...], np.ndarray] = {}
#: part of the disk key: bump it when _calibrate changes what it computes
CALIBRATION_VERSION = "calibration-v1"


def _calibration_file(key: tuple[Any, ...]) -> Path | None:
    """Where the calibration of ``key`` is kept: under PyTensor's ``base_compiledir``
    (from ``PYTENSOR_FLAGS``, else ``~/.pytensor``), so that a benchmark or test that
    isolates the compile cache isolates this one too; keyed on every input, the
    estimator's version and numpy's (whose generator streams the draws). Found
    without importing PyTensor (~1 s), which the data stage does not need."""
    import hashlib
    import os

    root = None
    for item in os.environ.get("PYTENSOR_FLAGS", "").split(","):
        name, _, value = item.partition("=")
        if name.strip() == "base_compiledir" and value.strip():
            root = Path(value.strip()).expanduser()
    try:
        root = (root or Path.home() / ".pytensor") / "forecast-calibration"
    except RuntimeError:  # no home directory: compute in every process
        return None
    h = hashlib.sha256(repr((CALIBRATION_VERSION, np.__version__, key)).encode()).hexdigest()
    return root / f"{h}.npy"


def _read_calibration(path: Path | None, k: int) -> np.ndarray | None:
    if path is None or not path.is_file():
        return None
    try:
        c = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    ok = c.shape == (k,) and c.dtype == np.float64 and bool(np.all(np.isfinite(c)))
    return c if ok else None


def _write_calibration(path: Path | None, c: np.ndarray) -> None:
    """Write atomically (a concurrent reader sees the whole file or none); a cache
    that cannot be written is only slower."""
    if path is None:
        return
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, c, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        return


def _calibrate(
    stated: np.ndarray, alpha: np.ndarray, beta: np.ndarray, rho: Canonical, draws: int, seed: int, tol: float
) -> np.ndarray:
    """The fixed point of :func:`calibrate_outcomes` (uncached)."""
    k, m = beta.shape
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(alpha, size=draws)
    r = rho.transform(rng.standard_normal(draws))[:, None]
    s = np.sqrt(r) * rng.standard_normal((draws, 1)) + np.sqrt(1 - r) * rng.standard_normal((draws, m))
    base = np.log(np.clip(p, 1e-300, None)) + s @ beta.T
    # softmax(base + c) = e exp(c) / sum: exponentiate once, not every step; outcomes
    # first, so that every sum runs over long contiguous rows
    e = np.exp(base - base.max(axis=1, keepdims=True)).T.copy()
    c = np.zeros(k)
    for _ in range(500):
        num = e * np.exp(c)[:, None]
        mean = (num / num.sum(axis=0)).mean(axis=1)
        step = np.log(stated / mean)
        c += step
        c -= c.mean()
        if np.max(np.abs(step)) < tol:
            break
    return c


def model_data(scenario: Scenario) -> ModelData:
    """Turn a scenario into the model's arrays and coords (no PyMC).

    Examples
    --------
    >>> import forecast
    >>> d = model_data(forecast.load(forecast.bundled("deepseek")))
    >>> d.coords["market"][:2]
    ['enterprise_llm_apis', 'vertical_solutions']
    """
    s = scenario
    years = np.array(s.years, dtype=float)
    market_ids = [m.id for m in s.markets]
    n_m, n_y = len(market_ids), len(years)

    size_fam, size_a, size_b = _canon_arrays([m.size.canonical("positive") for m in s.markets], (n_m,))
    vols = [m.volatility.canonical("positive" if m.volatility.value != 0 else "real") for m in s.markets]
    vol_fam, vol_a, vol_b = _canon_arrays(vols, (n_m,))
    rho = s.correlation.common_factor.canonical("unit")
    rho_fam, rho_a, rho_b = _canon_arrays([rho], ())
    drift_mu, drift_sd, drift_anchor, log_size_ref = _drift(s)
    base = np.array([m.base_year for m in s.markets], dtype=float)
    year_rel = years[None, :] - base[:, None]
    base_onehot = (year_rel == 0).astype(float)
    anchor_onehot, bridge_w = _bridge(s, years)

    threshold_preds = [p for p in s.predictions if p.kind == "threshold"]
    event_preds = [p for p in s.predictions if p.kind == "event"]
    times = _query_times(s, years)
    time_w = _interp_weights(times, years)
    time_lo, time_hi, time_u = _interp_index(time_w)
    n_t = len(times)

    # outcomes; a scenario without an assessment has one implicit certain outcome
    if s.assessment:
        outcome_ids = s.outcome_ids
        stated = np.array([o.probability.value for o in s.assessment.outcomes], dtype=float)
        confidence = float(s.assessment.confidence.canonical("positive").quantile(0.5))
        # A driver acts on growth measured from its reference, the growth at which the
        # probabilities were stated: in units of the reference SD, growth is
        # shift + scale * s, with s the growth surprise of this scenario. At the file's
        # own numbers shift = 0 and scale = 1; a what-if that moves the market's growth
        # moves the odds by log_odds_per_sd per reference SD.
        beta_ref = np.zeros((len(outcome_ids), n_m))
        beta = np.zeros_like(beta_ref)
        offset = np.zeros(len(outcome_ids))
        for i, o in enumerate(s.assessment.outcomes):
            for d in o.drivers:
                j = market_ids.index(d.market)
                ref_mu, ref_sd = drift_mu[j], drift_sd[j]
                if d.reference is not None:
                    ref_mu, ref_sd = float(np.log1p(d.reference.cagr)), d.reference.growth_sd
                beta_ref[i, j] += d.log_odds_per_sd
                beta[i, j] += d.log_odds_per_sd * drift_sd[j] / ref_sd
                offset[i] += d.log_odds_per_sd * (drift_mu[j] - ref_mu) / ref_sd
    else:
        outcome_ids, stated, confidence = ["all"], np.array([1.0]), 1.0
        beta_ref, beta, offset = np.zeros((1, n_m)), np.zeros((1, n_m)), np.zeros(1)
    n_k = len(outcome_ids)
    alpha = confidence * stated
    # calibrated at the reference, so that the stated probabilities hold there
    calib = calibrate_outcomes(stated, alpha, beta_ref, rho) + offset

    # positions: one input per path point; per outcome, its own points win over the
    # general ones at the same date. Between two points the share is the interpolation
    # of their quantile functions at a latent that interpolates theirs (normalised to
    # unit variance), so each time's interval is the interpolation of the points'
    # intervals whatever the persistence (the correlation of the points' latents).
    share_inputs: list[Canonical] = []
    share_labels: list[str] = []
    n_pos = len(s.positions)
    pos_market = np.zeros(n_pos, dtype=np.int64)
    owner: list[int] = []
    rho_of: list[float] = []
    spans: list[tuple[int, list[Any]]] = []
    for pi, pos in enumerate(s.positions):
        pos_market[pi] = market_ids.index(pos.market)
        spans.append((len(share_inputs), pos.path))
        for pt in pos.path:
            share_inputs.append(pt.share.canonical("unit"))
            share_labels.append(f"{pos.id}|{pt.at.isoformat()}|{pt.outcome or 'any'}")
            owner.append(pi)
            rho_of.append(pos.persistence)
    n_a = len(share_inputs)
    share_lo = np.zeros((n_pos, n_k, n_t), dtype=np.int64)
    share_hi = np.zeros((n_pos, n_k, n_t), dtype=np.int64)
    share_t = np.zeros((n_pos, n_k, n_t))
    share_norm = np.ones((n_pos, n_k, n_t))
    for pi, (first, path) in enumerate(spans):
        rho_p = s.positions[pi].persistence
        for ki, k in enumerate(outcome_ids):
            chosen: dict[float, int] = {}
            for j, pt in enumerate(path):
                t = model_time(pt.at)
                if pt.outcome == k or (pt.outcome is None and t not in chosen):
                    chosen[t] = first + j
            if not chosen:  # refused by validation; kept finite all the same
                share_lo[pi, ki], share_hi[pi, ki] = first, first
                continue
            knots = sorted(chosen)
            cols = np.array([chosen[t] for t in knots])
            lo, hi, u = _interp_index(_interp_weights(times, np.array(knots)))
            share_lo[pi, ki], share_hi[pi, ki], share_t[pi, ki] = cols[lo], cols[hi], u
            share_norm[pi, ki] = 1.0 / np.sqrt((1 - u) ** 2 + u**2 + 2 * u * (1 - u) * rho_p)
    share_pos = np.array(owner, dtype=np.int64)
    share_rho = np.array(rho_of, dtype=float)
    share_fam, share_a, share_b = _canon_arrays(share_inputs, (n_a,))

    position_ids = [p.id for p in s.positions]
    checks = _threshold_checks(
        s, threshold_preds, times, (time_lo, time_hi, time_u), n_y, market_ids, position_ids
    )

    ev_inputs: list[Canonical] = []
    for pr in event_preds:
        for k in outcome_ids:
            q = pr.probability if pr.probability is not None else pr.probability_by_outcome[k]  # type: ignore[index]
            ev_inputs.append(q.canonical("unit"))
    event_fam, event_a, event_b = _canon_arrays(ev_inputs, (len(event_preds), n_k))
    as_of = model_time(s.as_of)
    event_horizon = np.array([model_time(p.deadline) - as_of for p in event_preds], dtype=float)

    order = threshold_preds + event_preds
    pred_pick = np.array(
        [next(j for j, o in enumerate(order) if o is pr) for pr in s.predictions], dtype=np.int64
    )

    def likelihoods(sps: list[Any]) -> np.ndarray:
        return np.array([[sp.likelihood[k] for k in outcome_ids] for sp in sps], dtype=float).reshape(
            len(sps), n_k
        )

    observed = [sp for sp in s.signposts if sp.observed is not None]
    evidence_w = np.zeros((len(s.evidence), n_m, n_y))
    for i, ev in enumerate(s.evidence):
        evidence_w[i, market_ids.index(ev.market), list(s.years).index(ev.year)] = 1.0

    coords: dict[str, list[Any]] = {
        "market": market_ids,
        "year": [int(y) for y in years],
        "step": [int(y) for y in years[1:]],
        "time": [float(t) for t in times],
        "outcome": outcome_ids,
        "position": position_ids,
        "share_input": share_labels,
        "threshold": [p.id for p in threshold_preds],
        "event": [p.id for p in event_preds],
        "prediction": [p.id for p in s.predictions],
        "signpost": [sp.id for sp in s.signposts],
        "observed_signpost": [sp.id for sp in observed],
        "evidence": [f"{e.market}@{e.year}" for e in s.evidence],
        "check": list(range(len(checks["check_lo"]))),
        "window": list(range(checks["thr_check"].shape[1])),
    }
    extra = table_arrays(s, outcome_ids) | copula_arrays(s)
    coords.update(extra_coords(extra))
    formulas = formula_data(s)
    coords.update(formula_coords(s, formulas))
    data = ModelData(
        coords=coords,
        size_fam=size_fam,
        size_a=size_a,
        size_b=size_b,
        vol_fam=vol_fam,
        vol_a=vol_a,
        vol_b=vol_b,
        rho_fam=rho_fam,
        rho_a=rho_a,
        rho_b=rho_b,
        drift_mu=drift_mu,
        drift_sd=drift_sd,
        drift_anchor=drift_anchor,
        log_size_ref=log_size_ref,
        year_rel=year_rel,
        base_onehot=base_onehot,
        anchor_onehot=anchor_onehot,
        bridge_w=bridge_w,
        time_lo=time_lo,
        time_hi=time_hi,
        time_u=time_u,
        alpha=alpha,
        calib=calib,
        beta=beta,
        share_fam=share_fam,
        share_a=share_a,
        share_b=share_b,
        share_lo=share_lo,
        share_hi=share_hi,
        share_t=share_t,
        share_norm=share_norm,
        share_pos=share_pos,
        share_rho=share_rho,
        pos_market=pos_market,
        **checks,
        event_fam=event_fam,
        event_a=event_a,
        event_b=event_b,
        event_horizon=event_horizon,
        pred_pick=pred_pick,
        signpost_l=likelihoods(s.signposts),
        obs_signpost_l=likelihoods(observed),
        obs_signpost=np.array([1 if sp.observed else 0 for sp in observed], dtype=np.int64),
        evidence_w=evidence_w,
        evidence_log=np.log(np.array([e.value for e in s.evidence], dtype=float)),
        evidence_sd=np.array([e.rel_error for e in s.evidence], dtype=float),
        **extra,
        as_of=as_of,
        labels={"stated": stated, "confidence": confidence},
        **formulas,
    )
    return with_observed_answers(data, s)  # observed risks and answered questions


# dims of every data array, in the model
DATA_DIMS: dict[str, tuple[str, ...]] = {
    "size_fam": ("market",),
    "size_a": ("market",),
    "size_b": ("market",),
    "vol_fam": ("market",),
    "vol_a": ("market",),
    "vol_b": ("market",),
    "rho_fam": (),
    "rho_a": (),
    "rho_b": (),
    "drift_mu": ("market",),
    "drift_sd": ("market",),
    "drift_anchor": ("market",),
    "log_size_ref": ("market",),
    "year_rel": ("market", "year"),
    "base_onehot": ("market", "year"),
    "anchor_onehot": ("market", "year"),
    "bridge_w": ("market", "year"),
    "time_lo": ("time",),
    "time_hi": ("time",),
    "time_u": ("time",),
    "alpha": ("outcome",),
    "calib": ("outcome",),
    "beta": ("outcome", "market"),
    "share_fam": ("share_input",),
    "share_a": ("share_input",),
    "share_b": ("share_input",),
    "share_lo": ("position", "outcome", "time"),
    "share_hi": ("position", "outcome", "time"),
    "share_t": ("position", "outcome", "time"),
    "share_norm": ("position", "outcome", "time"),
    "share_pos": ("share_input",),
    "share_rho": ("share_input",),
    "pos_market": ("position",),
    "check_lo": ("check",),
    "check_hi": ("check",),
    "check_u": ("check",),
    "check_sign": ("check",),
    "check_value": ("check",),
    "check_upper": ("check",),
    "thr_check": ("threshold", "window"),
    "event_fam": ("event", "outcome"),
    "event_a": ("event", "outcome"),
    "event_b": ("event", "outcome"),
    "event_horizon": ("event",),
    "signpost_l": ("signpost", "outcome"),
    "obs_signpost_l": ("observed_signpost", "outcome"),
    "obs_signpost": ("observed_signpost",),
    "evidence_w": ("evidence", "market", "year"),
    "evidence_log": ("evidence",),
    "evidence_sd": ("evidence",),
    "pred_pick": ("prediction",),
    **FORMULA_DIMS,
}

DATA_DIMS.update(EXTRA_DIMS)

#: latent variables NUTS samples; everything else is derived or predictive
