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

Each section's arrays (markets, outcomes, shares, events, signposts, evidence) are
built by a function of their own in :mod:`forecast.engine.arrays`; the query times and
the thresholds' checks are in :mod:`forecast.engine.thresholds`, the outcome
calibration in :mod:`forecast.engine.calibration`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from forecast.engine import arrays
from forecast.engine.answers import with_observed_answers
from forecast.engine.calibration import calibrate_outcomes as calibrate_outcomes  # imported from here
from forecast.engine.formulas import FORMULA_DIMS, formula_coords, formula_data
from forecast.engine.input_tables import EXTRA_DIMS, copula_arrays, extra_coords, table_arrays
from forecast.engine.thresholds import _interp_index, _interp_weights, _query_times, _threshold_checks
from forecast.scenario import Scenario, model_time
from forecast.scenario.inputs import Family


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
        signpost conditions the outcome probability inside the graph). Built once for
        data that are :meth:`frozen` (those :func:`model_data` hands out), so a
        simulator sees the same object again and does not load its arrays again.
        """
        prior = self.__dict__.get("_prior")  # not a field: equality and replace ignore it
        if prior is None:
            prior = self._without_observations()
            if self.__dict__.get("_frozen"):
                self.__dict__["_prior"] = prior = prior.frozen()
        return prior

    def frozen(self) -> ModelData:
        """``self`` with every array read-only (in place), to be shared: a caller that
        changes an array of shared data must ``replace`` it with a copy first.

        Examples
        --------
        >>> import forecast
        >>> d = model_data(forecast.load(forecast.bundled()))
        >>> d.calib.flags.writeable, replace(d, calib=d.calib.copy()).calib.flags.writeable
        (False, True)
        """
        for value in self.arrays().values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        self.__dict__["_frozen"] = True
        return self

    def _without_observations(self) -> ModelData:
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


class PerScenario[T]:
    """Values remembered per scenario object, weakly: a value goes with its scenario.

    A :class:`~forecast.scenario.Scenario` is frozen, so what is built from it alone
    can be built once. Keyed by the object, not by equality (a scenario holds lists:
    it has no hash), so two equal scenarios each build their own; a value must not be
    changed by whoever gets it (hand out read-only arrays, or copies).

    Examples
    --------
    >>> import forecast
    >>> memo: PerScenario[str] = PerScenario()
    >>> s = forecast.load(forecast.bundled())
    >>> memo.get(s, lambda s: s.id) is memo.get(s, lambda s: "built again")
    True
    """

    def __init__(self) -> None:
        self._values: dict[int, tuple[weakref.ref[Scenario], T]] = {}

    def get(self, scenario: Scenario, build: Callable[[Scenario], T]) -> T:
        key = id(scenario)
        found = self._values.get(key)
        if found is not None and found[0]() is scenario:
            return found[1]
        value = build(scenario)
        # the callback runs as the scenario goes, before its id can be reused
        gone = weakref.ref(scenario, lambda _, key=key: self._values.pop(key, None))  # type: ignore[misc]
        self._values[key] = (gone, value)
        return value

    def __len__(self) -> int:
        return len(self._values)


#: the model's data of each live scenario (~7 ms a build: forecast.simulate's fixed cost)
_BUILT: PerScenario[ModelData] = PerScenario()


def model_data(scenario: Scenario) -> ModelData:
    """Turn a scenario into the model's arrays and coords (no PyMC): each section's
    arrays are built by a function of their own, and agree through the ids and the
    query times they share.

    Built once per scenario object and shared, its arrays read-only (see
    :meth:`ModelData.frozen`): ``replace`` an array with a copy to change it.

    Examples
    --------
    >>> import forecast
    >>> d = model_data(forecast.load(forecast.bundled("deepseek")))
    >>> d.coords["market"][:2]
    ['enterprise_llm_apis', 'vertical_solutions']
    """
    return _BUILT.get(scenario, lambda s: build_model_data(s).frozen())


def build_model_data(scenario: Scenario) -> ModelData:
    """:func:`model_data` built afresh, writable and the caller's own."""
    s = scenario
    years = np.array(s.years, dtype=float)
    markets = arrays.market_arrays(s, years)
    times = _query_times(s, years)
    time_lo, time_hi, time_u = _interp_index(_interp_weights(times, years))
    outcome_ids, labels, outcomes = arrays.outcome_arrays(s, markets["drift_mu"], markets["drift_sd"])
    share_labels, shares = arrays.share_arrays(s, outcome_ids, times)
    thresholds = [p for p in s.predictions if p.kind == "threshold"]
    market_ids, position_ids = [m.id for m in s.markets], [p.id for p in s.positions]
    checks = _threshold_checks(
        s, thresholds, times, (time_lo, time_hi, time_u), len(years), market_ids, position_ids
    )
    as_of = model_time(s.as_of)
    coords = arrays.coords(s, years, times, outcome_ids, share_labels, checks)
    extra = table_arrays(s, outcome_ids) | copula_arrays(s)
    coords.update(extra_coords(extra))
    formulas = formula_data(s)
    coords.update(formula_coords(s, formulas))
    data = ModelData(
        coords=coords,
        **markets,
        time_lo=time_lo,
        time_hi=time_hi,
        time_u=time_u,
        **outcomes,
        **shares,
        **checks,
        **arrays.event_arrays(s, outcome_ids, as_of),
        **arrays.signpost_arrays(s, outcome_ids),
        **arrays.evidence_arrays(s, len(years)),
        **extra,
        as_of=as_of,
        labels=labels,
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
