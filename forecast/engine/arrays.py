"""The model's arrays, one builder per section of a scenario, for
:func:`~forecast.engine.data.model_data`: the markets (sizes, shocks, growth and its
anchors), the outcomes and their drivers, the positions' shares, the events, the
signposts, the evidence and the coords. Each returns its arrays by the names of
:class:`~forecast.engine.data.ModelData`'s fields.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled("deepseek"))
>>> signpost_arrays(s, s.outcome_ids)["signpost_l"].shape
(1, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.engine.calibration import calibrate_outcomes
from forecast.engine.thresholds import _interp_index, _interp_weights
from forecast.scenario import Scenario, model_time
from forecast.scenario.inputs import Canonical


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


def market_arrays(s: Scenario, years: np.ndarray) -> dict[str, np.ndarray]:
    """Each market's size, yearly shocks and growth, the common factor, and where each
    year sits from the market's base and anchor years."""
    n_m = len(s.markets)
    size_fam, size_a, size_b = _canon_arrays([m.size.canonical("positive") for m in s.markets], (n_m,))
    vols = [m.volatility.canonical("positive" if m.volatility.value != 0 else "real") for m in s.markets]
    vol_fam, vol_a, vol_b = _canon_arrays(vols, (n_m,))
    rho_fam, rho_a, rho_b = _canon_arrays([s.correlation.common_factor.canonical("unit")], ())
    drift_mu, drift_sd, drift_anchor, log_size_ref = _drift(s)
    base = np.array([m.base_year for m in s.markets], dtype=float)
    year_rel = years[None, :] - base[:, None]
    anchor_onehot, bridge_w = _bridge(s, years)
    return {
        "size_fam": size_fam,
        "size_a": size_a,
        "size_b": size_b,
        "vol_fam": vol_fam,
        "vol_a": vol_a,
        "vol_b": vol_b,
        "rho_fam": rho_fam,
        "rho_a": rho_a,
        "rho_b": rho_b,
        "drift_mu": drift_mu,
        "drift_sd": drift_sd,
        "drift_anchor": drift_anchor,
        "log_size_ref": log_size_ref,
        "year_rel": year_rel,
        "base_onehot": (year_rel == 0).astype(float),
        "anchor_onehot": anchor_onehot,
        "bridge_w": bridge_w,
    }


def outcome_arrays(
    s: Scenario, drift_mu: np.ndarray, drift_sd: np.ndarray
) -> tuple[list[str], dict[str, Any], dict[str, np.ndarray]]:
    """The outcome ids, the labels (stated probabilities, confidence), and the arrays
    of the outcome judgment: the Dirichlet's ``alpha``, the calibrated offsets and the
    drivers' ``beta``. A scenario without an assessment has one implicit certain
    outcome."""
    n_m = len(s.markets)
    if s.assessment:
        outcome_ids = s.outcome_ids
        stated = np.array([o.probability.value for o in s.assessment.outcomes], dtype=float)
        confidence = float(s.assessment.confidence.canonical("positive").quantile(0.5))
        beta_ref, beta, offset = _driver_arrays(s, drift_mu, drift_sd)
    else:
        outcome_ids, stated, confidence = ["all"], np.array([1.0]), 1.0
        beta_ref, beta, offset = np.zeros((1, n_m)), np.zeros((1, n_m)), np.zeros(1)
    alpha = confidence * stated
    # calibrated at the reference, so that the stated probabilities hold there
    rho = s.correlation.common_factor.canonical("unit")
    calib = calibrate_outcomes(stated, alpha, beta_ref, rho) + offset
    labels = {"stated": stated, "confidence": confidence}
    return outcome_ids, labels, {"alpha": alpha, "calib": calib, "beta": beta}


def _driver_arrays(
    s: Scenario, drift_mu: np.ndarray, drift_sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The drivers' log-odds per SD of growth at the reference (``beta_ref``), at this
    scenario's growth (``beta``), and the offset between the two.

    A driver acts on growth measured from its reference, the growth at which the
    probabilities were stated: in units of the reference SD, growth is shift + scale *
    s, with s the growth surprise of this scenario. At the file's own numbers shift =
    0 and scale = 1; a what-if that moves the market's growth moves the odds by
    log_odds_per_sd per reference SD.
    """
    assert s.assessment is not None
    market_ids = [m.id for m in s.markets]
    beta_ref = np.zeros((len(s.outcome_ids), len(market_ids)))
    beta = np.zeros_like(beta_ref)
    offset = np.zeros(len(s.outcome_ids))
    for i, o in enumerate(s.assessment.outcomes):
        for d in o.drivers:
            j = market_ids.index(d.market)
            ref_mu, ref_sd = drift_mu[j], drift_sd[j]
            if d.reference is not None:
                ref_mu, ref_sd = float(np.log1p(d.reference.cagr)), d.reference.growth_sd
            beta_ref[i, j] += d.log_odds_per_sd
            beta[i, j] += d.log_odds_per_sd * drift_sd[j] / ref_sd
            offset[i] += d.log_odds_per_sd * (drift_mu[j] - ref_mu) / ref_sd
    return beta_ref, beta, offset


def share_arrays(
    s: Scenario, outcome_ids: list[str], times: np.ndarray
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The share inputs' labels and the positions' arrays: one input per path point,
    its position and persistence, and per (position, outcome, time) the two points a
    share is read between (:func:`_share_paths`)."""
    inputs: list[Canonical] = []
    labels: list[str] = []
    owner: list[int] = []
    rho_of: list[float] = []
    market_ids = [m.id for m in s.markets]
    pos_market = np.zeros(len(s.positions), dtype=np.int64)
    for pi, pos in enumerate(s.positions):
        pos_market[pi] = market_ids.index(pos.market)
        for pt in pos.path:
            inputs.append(pt.share.canonical("unit"))
            labels.append(f"{pos.id}|{pt.at.isoformat()}|{pt.outcome or 'any'}")
            owner.append(pi)
            rho_of.append(pos.persistence)
    share_fam, share_a, share_b = _canon_arrays(inputs, (len(inputs),))
    return labels, {
        "share_fam": share_fam,
        "share_a": share_a,
        "share_b": share_b,
        **_share_paths(s, outcome_ids, times),
        "share_pos": np.array(owner, dtype=np.int64),
        "share_rho": np.array(rho_of, dtype=float),
        "pos_market": pos_market,
    }


def _share_paths(s: Scenario, outcome_ids: list[str], times: np.ndarray) -> dict[str, np.ndarray]:
    """Per (position, outcome, time): the path points a share is read between, how far
    between, and the normaliser of the interpolated latent.

    Per outcome, its own points win over the general ones at the same date. Between two
    points the share is the interpolation of their quantile functions at a latent that
    interpolates theirs (normalised to unit variance), so each time's interval is the
    interpolation of the points' intervals whatever the persistence (the correlation
    of the points' latents).
    """
    shape = (len(s.positions), len(outcome_ids), len(times))
    share_lo, share_hi = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    share_t, share_norm = np.zeros(shape), np.ones(shape)
    first = 0
    for pi, pos in enumerate(s.positions):
        for ki, k in enumerate(outcome_ids):
            chosen: dict[float, int] = {}
            for j, pt in enumerate(pos.path):
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
            rho_p = pos.persistence
            share_norm[pi, ki] = 1.0 / np.sqrt((1 - u) ** 2 + u**2 + 2 * u * (1 - u) * rho_p)
        first += len(pos.path)
    return {"share_lo": share_lo, "share_hi": share_hi, "share_t": share_t, "share_norm": share_norm}


def event_arrays(s: Scenario, outcome_ids: list[str], as_of: float) -> dict[str, np.ndarray]:
    """Each event prediction's probability per outcome and its horizon in years, and
    where each prediction is in ``[thresholds, events]``."""
    thresholds = [p for p in s.predictions if p.kind == "threshold"]
    events = [p for p in s.predictions if p.kind == "event"]
    inputs: list[Canonical] = []
    for pr in events:
        for k in outcome_ids:
            q = pr.probability if pr.probability is not None else pr.probability_by_outcome[k]  # type: ignore[index]
            inputs.append(q.canonical("unit"))
    event_fam, event_a, event_b = _canon_arrays(inputs, (len(events), len(outcome_ids)))
    order = thresholds + events
    return {
        "event_fam": event_fam,
        "event_a": event_a,
        "event_b": event_b,
        "event_horizon": np.array([model_time(p.deadline) - as_of for p in events], dtype=float),
        "pred_pick": np.array(
            [next(j for j, o in enumerate(order) if o is pr) for pr in s.predictions], dtype=np.int64
        ),
    }


def signpost_arrays(s: Scenario, outcome_ids: list[str]) -> dict[str, np.ndarray]:
    """The signposts' likelihoods per outcome, and the observed ones with what was seen."""

    def likelihoods(sps: list[Any]) -> np.ndarray:
        return np.array([[sp.likelihood[k] for k in outcome_ids] for sp in sps], dtype=float).reshape(
            len(sps), len(outcome_ids)
        )

    observed = [sp for sp in s.signposts if sp.observed is not None]
    return {
        "signpost_l": likelihoods(s.signposts),
        "obs_signpost_l": likelihoods(observed),
        "obs_signpost": np.array([1 if sp.observed else 0 for sp in observed], dtype=np.int64),
    }


def evidence_arrays(s: Scenario, n_y: int) -> dict[str, np.ndarray]:
    """Each observed market size: its (market, year) as a one-hot, its log and its
    relative error."""
    market_ids = [m.id for m in s.markets]
    evidence_w = np.zeros((len(s.evidence), len(market_ids), n_y))
    for i, ev in enumerate(s.evidence):
        evidence_w[i, market_ids.index(ev.market), list(s.years).index(ev.year)] = 1.0
    return {
        "evidence_w": evidence_w,
        "evidence_log": np.log(np.array([e.value for e in s.evidence], dtype=float)),
        "evidence_sd": np.array([e.rel_error for e in s.evidence], dtype=float),
    }


def coords(
    s: Scenario,
    years: np.ndarray,
    times: np.ndarray,
    outcome_ids: list[str],
    share_labels: list[str],
    checks: dict[str, np.ndarray],
) -> dict[str, list[Any]]:
    """The labels of every dim but those of tabulated inputs, the copula and formulas."""
    return {
        "market": [m.id for m in s.markets],
        "year": [int(y) for y in years],
        "step": [int(y) for y in years[1:]],
        "time": [float(t) for t in times],
        "outcome": outcome_ids,
        "position": [p.id for p in s.positions],
        "share_input": share_labels,
        "threshold": [p.id for p in s.predictions if p.kind == "threshold"],
        "event": [p.id for p in s.predictions if p.kind == "event"],
        "prediction": [p.id for p in s.predictions],
        "signpost": [sp.id for sp in s.signposts],
        "observed_signpost": [sp.id for sp in s.signposts if sp.observed is not None],
        "evidence": [f"{e.market}@{e.year}" for e in s.evidence],
        "check": list(range(len(checks["check_lo"]))),
        "window": list(range(checks["thr_check"].shape[1])),
    }
