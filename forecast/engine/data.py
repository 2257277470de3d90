"""Scenario -> the model's data: plain numpy arrays (no PyMC).

:func:`model_data` turns a validated :class:`~forecast.scenario.Scenario` into plain
numpy arrays (:class:`ModelData`); :func:`build_model` turns those into a
``pm.Model`` with named dims. Every array lives in a ``pm.Data`` container and every
dim length is a shared variable, so a graph compiled for one scenario serves any
other scenario of the same structure after :func:`set_model_data`.

The generative story (per draw):

- inputs: every uncertain input is ``f(a + b z)`` with ``z ~ Normal(0, 1)``
  (see :mod:`forecast.scenario.inputs`), so NUTS sees standard-normal latents only;
- markets: ``log size[m, t] = log size[m] + (year[t] - base[m]) * drift[m] + C[m, t] -
  C[m, base[m]]`` where ``drift = mu + sd * s``, the growth surprise ``s[m] =
  sqrt(rho) g + sqrt(1 - rho) h[m]`` shares a common factor ``g`` across markets, and
  ``C`` is the cumulative sum of yearly shocks ``vol[m] (sqrt(rho) f[t] + sqrt(1 - rho)
  e[m, t])``. The median in the projection year is the stated projection; when the
  projection (not an uncertain CAGR) sets growth's spread, ``drift`` also takes out
  the size's deviation from its median by the projection year, so that year has the
  projection's spread (two anchors, each with its own uncertainty);
- outcomes: ``p ~ Dirichlet(confidence * stated)``, ``q = softmax(log p + c + beta s)``
  with ``c`` calibrated so that ``E[q] = stated`` exactly, ``outcome ~ Categorical(q)``;
- positions: share paths per outcome interpolated between anchor points, revenue =
  share x market size;
- predictions: thresholds on simulated quantities, and events as exponential waiting
  times whose probability by the deadline is the stated one;
- signposts: ``P(true) = sum_k q_k L_k``; evidence: ``log observed ~ Normal(log size,
  rel_error)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from forecast.scenario import Scenario, year_fraction
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
    time_w: np.ndarray  # (time, year): log-linear interpolation onto query times
    alpha: np.ndarray  # (outcome,)
    calib: np.ndarray  # (outcome,)
    beta: np.ndarray  # (outcome, market)
    share_fam: np.ndarray  # (share_input,)
    share_a: np.ndarray
    share_b: np.ndarray
    share_w: np.ndarray  # (position, outcome, time, share_input)
    pos_market: np.ndarray  # (position,) the market each position is a share of
    thr_market: np.ndarray  # (threshold,) market a market threshold reads (else 0)
    thr_time: np.ndarray  # (threshold,) its deadline's row of time_w
    thr_pick: np.ndarray  # (threshold,) its entry of [market at deadline, share(P,T), revenue(P,T)]
    thr_sign: np.ndarray  # (threshold,) +1 for >=, -1 for <=
    thr_value: np.ndarray
    event_fam: np.ndarray  # (event, outcome)
    event_a: np.ndarray
    event_b: np.ndarray
    event_horizon: np.ndarray  # (event,) years from as_of to deadline
    pred_pick: np.ndarray  # (prediction,) entry of [thresholds, events]: scenario order
    signpost_l: np.ndarray  # (signpost, outcome)
    obs_signpost_l: np.ndarray  # (observed_signpost, outcome)
    obs_signpost: np.ndarray  # (observed_signpost,) 0/1
    evidence_w: np.ndarray  # (evidence, market, year) one-hot
    evidence_log: np.ndarray  # (evidence,)
    evidence_sd: np.ndarray  # (evidence,)
    as_of: float = 0.0
    labels: dict[str, Any] = field(default_factory=dict)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array by name (the ``pm.Data`` containers of the model)."""
        skip = {"coords", "as_of", "labels"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    @property
    def uniform(self) -> bool:
        """Whether any transformed input is uniform (the graph then needs ``ndtr``)."""
        fams = (self.size_fam, self.vol_fam, self.rho_fam, self.share_fam, self.event_fam)
        return any(bool(np.any(f == Family.UNIFORM)) for f in fams)

    @property
    def structure(self) -> tuple[bool, bool, bool]:
        """What decides the graph: observed evidence, observed signposts, uniform inputs.

        Counts (markets, years, outcomes, ...) are not part of it: dim lengths are
        shared variables, so one compiled graph serves every count.
        """
        return (len(self.evidence_log) > 0, len(self.obs_signpost) > 0, self.uniform)

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

    The projection year's median is the stated projection. Growth's spread comes from
    the CAGR when it is uncertain; otherwise from the projection, which is then a
    second anchor: ``drift = (log projection - log size) / years``, so the
    projection year has the projection's own spread, not that plus the size's. In
    the graph that is ``drift = mu + sd * s - anchor * (log size - log_size_med)``
    with ``anchor = 1 / years`` (0 when the CAGR sets the spread).
    """
    mu, sd, anchor, ref = [], [], [], []
    for m in scenario.markets:
        size = m.size.canonical("positive")
        log_size_med = float(np.log(size.quantile(0.5)))
        ref.append(log_size_med)
        cagr = m.cagr.canonical("growth") if m.cagr is not None else None
        if m.projection is not None:
            proj = m.projection.canonical("positive")
            years = m.projection.year - m.base_year
            mu.append((float(np.log(proj.quantile(0.5))) - log_size_med) / years)
            if cagr is not None and not cagr.is_point:
                sd.append(cagr.b)
                anchor.append(0.0)
            else:
                sd.append(0.0 if proj.is_point else proj.b / years)
                anchor.append(1.0 / years)
        else:
            assert cagr is not None
            # log(1 + median CAGR): equal to ``a`` for the growth family, but a point
            # CAGR is canonically NORMAL with a = the rate itself (0.25 must not grow 28%)
            mu.append(float(np.log1p(cagr.quantile(0.5))))
            sd.append(cagr.b)
            anchor.append(0.0)
    return np.array(mu), np.array(sd), np.array(anchor), np.array(ref)


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

    # query times: grid years first, then every prediction deadline
    threshold_preds = [p for p in s.predictions if p.kind == "threshold"]
    event_preds = [p for p in s.predictions if p.kind == "event"]
    query = [year_fraction(p.deadline) for p in threshold_preds]
    times = np.concatenate([years, np.array(query, dtype=float)])
    time_w = _interp_weights(times, years)
    n_t = len(times)

    # outcomes; a scenario without an assessment has one implicit certain outcome
    if s.assessment:
        outcome_ids = s.outcome_ids
        stated = np.array([o.probability.value for o in s.assessment.outcomes], dtype=float)
        confidence = float(s.assessment.confidence.canonical("positive").quantile(0.5))
        beta = np.zeros((len(outcome_ids), n_m))
        for i, o in enumerate(s.assessment.outcomes):
            for d in o.drivers:
                beta[i, market_ids.index(d.market)] += d.log_odds_per_sd
    else:
        outcome_ids, stated, confidence, beta = ["all"], np.array([1.0]), 1.0, np.zeros((1, n_m))
    n_k = len(outcome_ids)
    alpha = confidence * stated
    calib = calibrate_outcomes(stated, alpha, beta, rho)

    # positions: one input per anchor point; per outcome, its own anchors win over
    # the general ones at the same date
    share_inputs: list[Canonical] = []
    share_labels: list[str] = []
    weights: list[tuple[int, np.ndarray]] = []  # per position: first input, (outcome, time, input)
    pos_market = np.zeros(len(s.positions), dtype=np.int64)
    for pi, pos in enumerate(s.positions):
        pos_market[pi] = market_ids.index(pos.market)
        first = len(share_inputs)
        for pt in pos.path:
            share_inputs.append(pt.share.canonical("unit"))
            share_labels.append(f"{pos.id}|{pt.at.isoformat()}|{pt.outcome or 'any'}")
        w = np.zeros((n_k, n_t, len(pos.path)))
        for ki, k in enumerate(outcome_ids):
            chosen: dict[float, int] = {}
            for j, pt in enumerate(pos.path):
                t = year_fraction(pt.at)
                if pt.outcome == k or (pt.outcome is None and t not in chosen):
                    chosen[t] = j
            if not chosen:
                continue
            knots = sorted(chosen)
            w_k = _interp_weights(times, np.array(knots))
            for col, t in enumerate(knots):
                w[ki, :, chosen[t]] = w_k[:, col]
        weights.append((first, w))
    n_a = len(share_inputs)
    share_w = np.zeros((len(s.positions), n_k, n_t, n_a))
    for pi, (first, w) in enumerate(weights):
        share_w[pi, :, :, first : first + w.shape[-1]] = w
    share_fam, share_a, share_b = _canon_arrays(share_inputs, (n_a,))

    # threshold predictions pick one entry of [market at its deadline (one per threshold),
    # share(P,T), revenue(P,T)]: indices, not one-hot rows (a dense pick costs every
    # quantity at every query time for every threshold)
    n_p = len(s.positions)
    position_ids = [p.id for p in s.positions]
    n_thr = len(threshold_preds)
    thr_market = np.zeros(n_thr, dtype=np.int64)
    thr_time = np.zeros(n_thr, dtype=np.int64)
    thr_pick = np.zeros(n_thr, dtype=np.int64)
    for j, pr in enumerate(threshold_preds):
        assert pr.quantity is not None
        kind, _, ref = pr.quantity.partition(".")
        t_idx = n_y + j
        thr_time[j] = t_idx
        if kind == "market":
            thr_market[j] = market_ids.index(ref)
            thr_pick[j] = j
        elif kind == "share":
            thr_pick[j] = n_thr + position_ids.index(ref) * n_t + t_idx
        else:
            thr_pick[j] = n_thr + n_p * n_t + position_ids.index(ref) * n_t + t_idx
    thr_sign = np.array([1.0 if p.op == ">=" else -1.0 for p in threshold_preds])
    thr_value = np.array([p.threshold for p in threshold_preds], dtype=float)

    ev_inputs: list[Canonical] = []
    for pr in event_preds:
        for k in outcome_ids:
            q = pr.probability if pr.probability is not None else pr.probability_by_outcome[k]  # type: ignore[index]
            ev_inputs.append(q.canonical("unit"))
    event_fam, event_a, event_b = _canon_arrays(ev_inputs, (len(event_preds), n_k))
    as_of = year_fraction(s.as_of)
    event_horizon = np.array([year_fraction(p.deadline) - as_of for p in event_preds], dtype=float)

    order = threshold_preds + event_preds
    pred_pick = np.zeros(len(s.predictions), dtype=np.int64)
    for i, pr in enumerate(s.predictions):
        pred_pick[i] = next(j for j, o in enumerate(order) if o is pr)

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
    }
    return ModelData(
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
        time_w=time_w,
        alpha=alpha,
        calib=calib,
        beta=beta,
        share_fam=share_fam,
        share_a=share_a,
        share_b=share_b,
        share_w=share_w,
        pos_market=pos_market,
        thr_market=thr_market,
        thr_time=thr_time,
        thr_pick=thr_pick,
        thr_sign=thr_sign,
        thr_value=thr_value,
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
        as_of=as_of,
        labels={"stated": stated, "confidence": confidence},
    )


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
    "time_w": ("time", "year"),
    "alpha": ("outcome",),
    "calib": ("outcome",),
    "beta": ("outcome", "market"),
    "share_fam": ("share_input",),
    "share_a": ("share_input",),
    "share_b": ("share_input",),
    "share_w": ("position", "outcome", "time", "share_input"),
    "pos_market": ("position",),
    "thr_market": ("threshold",),
    "thr_time": ("threshold",),
    "thr_pick": ("threshold",),
    "thr_sign": ("threshold",),
    "thr_value": ("threshold",),
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
}

#: latent variables NUTS samples; everything else is derived or predictive
