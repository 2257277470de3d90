"""The model's graph: :class:`~forecast.engine.data.ModelData` -> ``pm.Model``.

:func:`build_model` turns the arrays of :func:`~forecast.engine.data.model_data` into a
``pm.Model`` with named dims (the generative story is in :mod:`forecast.engine.data`);
:func:`set_model_data` swaps another scenario of the same structure into a built model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.engine.data import DATA_DIMS, ModelData, model_data
from forecast.engine.formulas import build_metrics
from forecast.scenario import Scenario
from forecast.scenario.inputs import Family

INFERENCE_LATENTS = (
    "z_size",
    "z_volatility",
    "z_common_factor",
    "z_growth_common",
    "z_growth",
    "z_shock_common",
    "z_shock",
    "outcome_prior",
)

#: what a forecast records per draw, with its dims
OUTPUTS: dict[str, tuple[str, ...]] = {
    "size": ("market",),
    "growth": ("market",),
    "volatility": ("market",),
    "common_factor": (),
    "growth_surprise": ("market",),
    "outcome_prior": ("outcome",),
    "market_size": ("market", "year"),
    "total_market": ("year",),
    "outcome_probability": ("outcome",),
    "realized_outcome": (),
    "share_anchor": ("share_input",),
    "share": ("position", "year"),
    "revenue": ("position", "year"),
    "event_probability": ("event",),
    "event_time": ("event",),
    "prediction_hit": ("prediction",),
    "signpost_probability": ("signpost",),
    "input_value": ("input",),
    "metric_by_year": ("yearly_metric", "year"),
    "metric_value": ("scalar_metric",),
    "payoff": ("option",),
    "risk_happens": ("effect_risk",),
}
#: outputs a model records only when its scenario has what they describe: named inputs
#: and metrics (``[[inputs]]``, ``[[metrics]]``) and options' payoffs (``[[options]]``)
#: and risks drawn per draw for their effects on those (``risk_happens``)
OPTIONAL_OUTPUTS = ("input_value", "metric_by_year", "metric_value", "payoff", "risk_happens")


def recorded(names: Any) -> dict[str, tuple[str, ...]]:
    """The outputs (with their dims) of a run whose variables are ``names`` (a dataset, a
    dict of draws, a list): every output but the optional ones it does not have.

    Examples
    --------
    >>> sorted(set(OUTPUTS) - set(recorded(["payoff"])))
    ['input_value', 'metric_by_year', 'metric_value', 'risk_happens']
    """
    return {n: d for n, d in OUTPUTS.items() if n not in OPTIONAL_OUTPUTS or n in names}


def _transform(fam: Any, a: Any, b: Any, z: Any, *, uniform: bool = True, table: Any = None) -> Any:
    """PyTensor version of :meth:`forecast.scenario.inputs.Canonical.transform`.

    The family is data (one graph serves every scenario), so the families are merged
    into one formula with per-input coefficients instead of a ``switch`` over all of
    them, which would evaluate every branch's ``exp``/``sigmoid``/``expm1``/``erfc``
    for every input of every draw. With ``y = a + b z``::

        x = c0 + c1 y + c2 / (c3 + exp(-s y))  [+ u (a + (b - a) Phi(z))]

    normal: ``c1 = 1``; lognormal: ``c2 = s = 1`` (``1 / exp(-y) = exp(y)``);
    logit-normal: ``c2 = c3 = s = 1`` (the overflow-safe sigmoid); growth: lognormal
    with ``c0 = -1``; uniform: ``u = 1``. The coefficients depend on data only, so they
    are computed once per call, not per draw; the uniform term (an ``erfc`` per
    element) and the table term (:func:`_table_term`, for ``TABLE`` inputs) are in the
    graph only when ``uniform`` is true.
    """
    import pytensor.tensor as pt

    def is_(f: Family) -> Any:
        return pt.eq(fam, int(f)).astype("float64")

    expo = is_(Family.LOGNORMAL) + is_(Family.LOGITNORMAL) + is_(Family.GROWTH)
    y = a + b * z
    x = -is_(Family.GROWTH) + is_(Family.NORMAL) * y + expo / (is_(Family.LOGITNORMAL) + pt.exp(-expo * y))
    if uniform:
        x = x + is_(Family.UNIFORM) * (a + (b - a) * 0.5 * pt.erfc(-z / np.sqrt(2.0)))
        if table is not None:
            x = x + is_(Family.TABLE) * _table_term(table, z)
    return x


def _table_term(tab: Any, z: Any) -> Any:
    """PyTensor version of :func:`forecast.scenario.distributions.evaluate`: the
    continuous part interpolated between the knots of ``z`` (two gathers from the
    flat table, O(1) per element), plus the steps ``sum_j d_j [z > c_j]``."""
    import pytensor.tensor as pt

    from forecast.scenario.distributions import N_KNOTS, Z_MAX, Z_STEP

    pos = (pt.clip(z, -Z_MAX, Z_MAX) + Z_MAX) / Z_STEP
    i = pt.clip(pt.floor(pos), 0, N_KNOTS - 2).astype("int64")
    t = pos - i
    width = tab.shape[-1]
    rows = pt.arange(pt.prod(tab.shape[:-1])).reshape(tab.shape[:-1]) * width
    flat = tab.reshape((-1,))
    smooth = (1.0 - t) * flat[rows + i] + t * flat[rows + i + 1]
    steps = (width - N_KNOTS) // 2  # symbolic: a scenario's rows have its most steps
    cuts = tab[..., N_KNOTS : N_KNOTS + steps]
    sizes = tab[..., N_KNOTS + steps :]
    return smooth + (pt.gt(z[..., None], cuts) * sizes).sum(axis=-1)


def _copula_base(pt: Any, x: dict[str, Any], z_size: Any, h: Any, z_vol: Any) -> tuple[Any, ...]:
    """The base latents with the copula's members correlated (see
    :mod:`forecast.scenario.copula`): ``L z`` over the members' raw latents, base
    members first, so the share members (in the predictive part) need only these raw
    values. Returns the mixed ``z_size, h, z_vol`` and the members' raw latents."""
    n = z_size.shape[0]
    zb = pt.concatenate([z_size, h, z_vol])
    idx = x["cop_base_idx"]
    raw = zb[idx]
    nb = idx.shape[0]
    zb = pt.set_subtensor(zb[idx], pt.dot(raw, x["cop_chol"][:nb, :nb].T))
    return zb[:n], zb[n : 2 * n], zb[2 * n :], raw


def evidence_reach(d: ModelData) -> np.ndarray:
    """How much each yearly shock moves each observation's log mean, over its SD: data
    only, ``(evidence, market, step)`` (see :func:`_whitened_shocks`).

    An observation reads ``cum - bridge`` of its market and year; ``cum`` sums the shocks
    of the steps before the year, and the bridge takes back the base year's and the
    anchor year's (weighted), so a shock's weight is ``[s < y] - (1 - w) [s < base] -
    w [s < anchor]``.

    >>> import forecast
    >>> d = model_data(forecast.load(forecast.bundled("deepseek-update")))
    >>> evidence_reach(d)[0, 2]  # developer tools in 2025, 10% error: the 2025 step
    array([10.,  0.,  0.,  0.])
    """
    n_year = d.year_rel.shape[-1]
    before = (np.arange(n_year - 1)[:, None] < np.arange(n_year)[None, :]).astype(float)
    bb, ba = d.base_onehot @ before.T, d.anchor_onehot @ before.T  # (market, step)
    bw = d.bridge_w[:, None, :]
    reach = before[None] - (1.0 - bw) * bb[:, :, None] - bw * ba[:, :, None]  # (market, step, year)
    k = np.einsum("emy,msy->ems", d.evidence_w, reach)
    return np.asarray(k / d.evidence_sd[:, None, None], dtype=float)


def sampler_arrays(d: ModelData) -> dict[str, np.ndarray]:
    """The arrays of the model NUTS samples: :meth:`ModelData.arrays` and, with evidence,
    :func:`evidence_reach` (``evidence_reach``)."""
    arrays = d.arrays()
    if d.evidence_log.size:
        arrays["evidence_reach"] = evidence_reach(d)
    return arrays


Pair = tuple[Any, Any]  # the shocks' two blocks: common (step,), own (market, step)


def _whitened_shocks(
    pm: Any, pt: Any, x: dict[str, Any], base: Any, vol: Any, mix: Any, n_ev: int
) -> tuple[Any, Any]:
    """The yearly shocks ``z_shock_common, z_shock`` of the model NUTS samples, drawn
    whitened given the evidence: the same model, another parameterisation.

    An observed size reads the shocks ``z = (f, e)`` linearly given the volatilities and
    the common factor: its log mean is ``mu0 + sd * (W z)`` (``W`` from
    :func:`evidence_reach`, ``mu0`` from ``base``, the log sizes without shocks).
    Sampled as drawn, their posterior narrows where a volatility is large (its precision
    along ``W`` is ``1 + |W|^2``, 30 at a volatility 5x its median), so a step size tuned
    in the bulk diverged in that tail (issue 30: ``deepseek-update`` at target_accept
    0.8 diverged where the observed market's volatility latent was beyond 2-4). Here
    NUTS samples ``u`` and ``z = L (u + L' W' r)`` with ``L L' = (I + W'W)^-1`` and ``r =
    (y - mu0) / sd``: given the rest, ``z`` is then exactly its conditional posterior
    and ``u`` standard normal at every volatility. ``L`` is a product of one rank-1
    factor ``I + k v v'`` per observation (a loop at build time).

    The density of the latents is the old one at ``z`` times ``|det L|``, which is
    ``N(u)`` times the evidence's likelihood with the shocks integrated out
    (:func:`_evidence_marginal`): that is the Potential, so the log density (at every
    leapfrog step) never computes ``z``, which is drawn once a draw (a Deterministic).
    """
    common, own = mix
    kv = x["evidence_reach"] * vol[None, :, None]
    w = (common * kv.sum(axis=1), own * kv)  # (evidence, step), (evidence, market, step)
    mu0 = (base[None] * x["evidence_w"]).sum(axis=(-1, -2))
    r = (x["evidence_log"] - mu0) / x["evidence_sd"]
    u: Pair = (
        pm.Normal("z_shock_common_white", 0.0, 1.0, dims="step"),
        pm.Normal("z_shock_white", 0.0, 1.0, dims=("market", "step")),
    )
    rows: list[Pair] = [(w[0][j], w[1][j]) for j in range(n_ev)]
    pm.Potential("evidence_marginal", _evidence_marginal(pt, rows, r, x["evidence_sd"]))

    def times(k: Any, v: Pair, c: Pair) -> Pair:  # (I + k v v') c
        return (c[0] + k * _dot(v, c) * v[0], c[1] + k * _dot(v, c) * v[1])

    cols = list(rows)  # v_j = L_{j-1}' w_j
    factors: list[tuple[Any, Pair]] = []
    for j in range(n_ev):
        v = cols[j]
        s = pt.sqrt(1.0 + _dot(v, v))
        k = -1.0 / (s * (s + 1.0))  # (I + k v v')^2 = (I + v v')^-1
        cols[j + 1 :] = [times(k, v, c) for c in cols[j + 1 :]]
        factors.append((k, v))
    # z = L (u + L' W' r), with L' W' r = sum_j r_j L' w_j and L' w_j = R_J .. R_1 w_j
    t = u
    for j in range(n_ev):
        c = cols[j]  # L_{j-1}' w_j = v_j; then the later factors
        for k2, v2 in factors[j:]:
            c = times(k2, v2, c)
        t = (t[0] + r[j] * c[0], t[1] + r[j] * c[1])
    for k, v in reversed(factors):
        t = times(k, v, t)
    f = pm.Deterministic("z_shock_common", t[0], dims="step")
    e = pm.Deterministic("z_shock", t[1], dims=("market", "step"))
    return f, e


def _dot(a: Pair, b: Pair) -> Any:
    """The dot product of two vectors of shocks, over their two blocks."""
    return (a[0] * b[0]).sum() + (a[1] * b[1]).sum()


def _evidence_marginal(pt: Any, rows: list[Pair], r: Any, sd: Any) -> Any:
    """The log likelihood of the evidence with the yearly shocks integrated out.

    Given the rest, the standardized residuals ``r`` (without shocks) are ``W z +
    noise`` with ``z`` and the noise standard normal, so ``r ~ N(0, I + W W')``: with
    ``C`` the Cholesky factor of ``I + W W'`` (evidence x evidence, unrolled at build
    time on scalars: one or a few observations) and ``a = C^-1 r``, the log likelihood
    of the log sizes is ``sum_j -a_j^2 / 2 - log C_jj - log sd_j - log(2 pi) / 2``.

    >>> import pytensor.tensor as pt
    >>> rows = [(pt.as_tensor([0.0]), pt.as_tensor([[3.0]]))]  # |w|^2 = 9: variance 10
    >>> lik = _evidence_marginal(pt, rows, pt.as_tensor([2.0]), pt.as_tensor([0.5]))
    >>> by_hand = -0.5 * 2.0**2 / 10.0 - 0.5 * np.log(10.0) - np.log(0.5) - 0.5 * np.log(2 * np.pi)
    >>> bool(np.isclose(lik.eval(), by_hand))
    True
    """
    n = len(rows)
    chol: list[list[Any]] = [[None] * n for _ in range(n)]
    total: Any = -pt.log(sd).sum() - 0.5 * n * np.log(2.0 * np.pi)
    a: list[Any] = []
    for j in range(n):
        for i in range(j):
            inner = _dot(rows[j], rows[i]) - sum(chol[j][m] * chol[i][m] for m in range(i))
            chol[j][i] = inner / chol[i][i]
        chol[j][j] = pt.sqrt(1.0 + _dot(rows[j], rows[j]) - sum(chol[j][m] ** 2 for m in range(j)))
        a.append((r[j] - sum(chol[j][m] * a[m] for m in range(j))) / chol[j][j])
        total = total - 0.5 * a[j] ** 2 - pt.log(chol[j][j])
    return total


def build_model(scenario: Scenario | ModelData, *, predictive: bool = True, whiten: bool = True) -> Any:
    """Build the PyMC model of a scenario.

    Parameters
    ----------
    scenario : Scenario or ModelData
    predictive : bool
        With ``False``, leave out what only forward simulation needs (the discrete
        outcome, share paths, event times), which is the model NUTS samples.
    whiten : bool
        In the model NUTS samples (``predictive=False``) with evidence, sample the
        yearly shocks whitened given the evidence (:func:`_whitened_shocks`; the same
        model, another parameterisation). ``False`` samples them as they are drawn.

    Returns
    -------
    pm.Model
        Named dims ``market``, ``year``, ``outcome``, ``position``, ...; evidence and
        observed signposts are observed variables.

    Examples
    --------
    >>> import forecast
    >>> m = build_model(forecast.load(forecast.bundled("deepseek")))  # doctest: +SKIP
    >>> m.coords["market"]  # doctest: +SKIP
    """
    import pymc as pm
    import pytensor.tensor as pt

    d = scenario if isinstance(scenario, ModelData) else model_data(scenario)
    with pm.Model(coords=dict(d.coords)) as model:
        x = {name: pm.Data(name, value, dims=DATA_DIMS[name]) for name, value in d.arrays().items()}
        u = d.uniform
        # the latents in their original order (the forward simulation's streams follow it)
        z_size = pm.Normal("z_size", 0.0, 1.0, dims="market")
        z_vol = pm.Normal("z_volatility", 0.0, 1.0, dims="market")
        z_rho = pm.Normal("z_common_factor", 0.0, 1.0)
        g = pm.Normal("z_growth_common", 0.0, 1.0)
        h = pm.Normal("z_growth", 0.0, 1.0, dims="market")
        z_size, h, z_vol, cop_raw = _copula_base(pt, x, z_size, h, z_vol)
        size = pm.Deterministic(
            "size",
            _transform(x["size_fam"], x["size_a"], x["size_b"], z_size, uniform=u, table=x["size_tab"]),
            dims="market",
        )
        vol = pm.Deterministic(
            "volatility",
            _transform(x["vol_fam"], x["vol_a"], x["vol_b"], z_vol, uniform=u, table=x["vol_tab"]),
            dims="market",
        )
        rho = pm.Deterministic(
            "common_factor",
            _transform(x["rho_fam"], x["rho_a"], x["rho_b"], z_rho, uniform=u, table=x["rho_tab"]),
        )

        # sqrt's slope is infinite at 0: a point common factor of 0 (the default) or 1
        # made the gradient 0 * inf = NaN and NUTS could not start. The inner switch keeps
        # sqrt away from 0 where the outer one returns 0 anyway (same values, finite slope).
        def safe_sqrt(v: Any) -> Any:
            return pt.switch(pt.gt(v, 0.0), pt.sqrt(pt.switch(pt.gt(v, 0.0), v, 1.0)), 0.0)

        common, own = safe_sqrt(rho), safe_sqrt(1.0 - rho)

        surprise = pm.Deterministic("growth_surprise", common * g + own * h, dims="market")
        # a projection that anchors growth takes the size's deviation back out by then
        drift = (
            x["drift_mu"] + x["drift_sd"] * surprise - x["drift_anchor"] * (pt.log(size) - x["log_size_ref"])
        )
        pm.Deterministic("growth", pt.expm1(drift), dims="market")

        # cumulative shock up to each year, as a product with the (step, year) matrix
        # [step < year]: numba compiles a cumsum (and the join of a leading zero) in
        # ~15 s cold, a dot is one BLAS call
        n_year = x["year_rel"].shape[-1]
        before = pt.lt(pt.arange(n_year - 1)[:, None], pt.arange(n_year)[None, :]).astype("float64")
        base = pt.log(size)[:, None] + x["year_rel"] * drift[:, None]  # the log sizes without shocks
        whitened = whiten and not predictive and bool(d.evidence_log.size)
        if whitened:
            x["evidence_reach"] = pm.Data(
                "evidence_reach", evidence_reach(d), dims=("evidence", "market", "step")
            )
            f, e = _whitened_shocks(pm, pt, x, base, vol, (common, own), d.evidence_log.size)
        else:
            f = pm.Normal("z_shock_common", 0.0, 1.0, dims="step")
            e = pm.Normal("z_shock", 0.0, 1.0, dims=("market", "step"))
        shock = vol[:, None] * (common * f[None, :] + own * e)
        cum = pt.dot(shock, before)
        cum_base = (cum * x["base_onehot"]).sum(axis=-1)
        # the shocks are bridged between the base year and an anchoring projection's
        # year, so that each anchor year has exactly its stated spread
        cum_anchor = (cum * x["anchor_onehot"]).sum(axis=-1)
        bridge = (1.0 - x["bridge_w"]) * cum_base[:, None] + x["bridge_w"] * cum_anchor[:, None]
        log_size = base + cum - bridge
        market_size = pm.Deterministic("market_size", pt.exp(log_size), dims=("market", "year"))
        pm.Deterministic("total_market", market_size.sum(axis=0), dims="year")

        p = pm.Dirichlet("outcome_prior", a=x["alpha"], dims="outcome")
        # products with data matrices are written as dots with the draw-dependent
        # vector on the left: vectorized over draws they become one (draws, k) @ (k, j)
        # BLAS product instead of a broadcast (draws, j, k) temporary and a sum
        logits = pt.log(p) + x["calib"] + pt.dot(surprise, x["beta"].T)
        q = pt.special.softmax(logits, axis=-1)
        if d.obs_signpost.size:
            # A signpost's likelihood is P(signpost | realized outcome), and signposts are
            # independent given the outcome. Marginally over the outcome they are one
            # observation with likelihood sum_k q_k w_k (w_k = prod_i P(s_i | k)), which
            # NUTS samples (no discrete latent); and the outcome given q and the signposts
            # is q_k w_k / sum_j q_j w_j (Bayes), so that is the outcome probability. With
            # q itself as the outcome probability the update would shrink by 1 / (1 +
            # confidence), and several Bernoullis in sum_k q_k L_k would double count.
            s_obs = x["obs_signpost"][:, None]
            lik = pt.switch(pt.eq(s_obs, 1), x["obs_signpost_l"], 1.0 - x["obs_signpost_l"])
            w = pt.prod(lik, axis=0)
            marginal = (q * w).sum()
            pm.Potential("signpost_observed", pt.log(marginal))
            q = q * w / marginal
        q = pm.Deterministic("outcome_probability", q, dims="outcome")
        pm.Deterministic("signpost_probability", pt.dot(q, x["signpost_l"].T), dims="signpost")
        if d.evidence_log.size and not whitened:  # whitened: the Potential evidence_marginal
            mu = (log_size[None, :, :] * x["evidence_w"]).sum(axis=(-1, -2))
            pm.Normal(
                "evidence_observed",
                mu=mu,
                sigma=x["evidence_sd"],
                observed=x["evidence_log"],
                dims="evidence",
            )

        if predictive:
            _predictive_part(pm, pt, x, log_size, q, uniform=u, cop_raw=cop_raw, formulas=d.formulas)
    return model


def _predictive_part(
    pm: Any,
    pt: Any,
    x: dict[str, Any],
    log_size: Any,
    q: Any,
    *,
    uniform: bool,
    cop_raw: Any,
    formulas: Any = None,
) -> None:
    """Discrete outcome, share paths, revenue, events and predictions."""
    outcome = pm.Categorical("realized_outcome", p=q)
    onehot = pt.eq(pt.arange(q.shape[-1]), outcome).astype("float64")

    # each point's latent shares a part sqrt(persistence) with its position's others
    z_own = pm.Normal("z_share", 0.0, 1.0, dims="share_input")
    z_common = pm.Normal("z_share_common", 0.0, 1.0, dims="position")
    # copula members among the share points: their own parts, mixed with the base members' raw latents
    nb, idx, chol = x["cop_base_idx"].shape[0], x["cop_share_idx"], x["cop_chol"]
    ns = nb + idx.shape[0]
    share_raw = z_own[idx]
    mixed = pt.dot(cop_raw, chol[nb:ns, :nb].T) + pt.dot(share_raw, chol[nb:ns, nb:ns].T)
    z_own = pt.set_subtensor(z_own[idx], mixed)
    rho = x["share_rho"]
    z_share = pt.sqrt(rho) * z_common[x["share_pos"]] + pt.sqrt(1.0 - rho) * z_own
    fam, a, b = x["share_fam"], x["share_a"], x["share_b"]
    tab = x["share_tab"]
    pm.Deterministic(
        "share_anchor", _transform(fam, a, b, z_share, uniform=uniform, table=tab), dims="share_input"
    )
    # between two points: their quantile functions, interpolated, at the interpolated
    # latent rescaled to unit variance, so the interval there is the interpolation of
    # theirs; the points are picked by index (a gather per position, outcome and time)
    lo, hi = x["share_lo"], x["share_hi"]

    # only the realized outcome's path is transformed (issue 30: the transforms of every
    # outcome at every time were ~30% of the simulator): each (position, outcome, time)
    # array is picked at the outcome by its one-hot sum, which is exact (one term times
    # 1, the others times 0), so the draws are the same to the bit
    def realized(v: Any) -> Any:
        return (v * onehot[None, :, None]).sum(axis=1)

    u = realized(x["share_t"])
    z_all = ((1.0 - x["share_t"]) * z_share[lo] + x["share_t"] * z_share[hi]) * x["share_norm"]
    z_t = realized(z_all)
    share_lo = _share_at(pt, x, lo, (z_t, z_all), realized, uniform=uniform)
    share_hi = _share_at(pt, x, hi, (z_t, z_all), realized, uniform=uniform)
    share_t = (1.0 - u) * share_lo + u * share_hi  # (position, time)
    # only the positions' markets are exponentiated at every query time (log-linear
    # between grid years): picked by index from the flat (market x year) log sizes
    n_year = x["year_rel"].shape[-1]
    log_flat = log_size.reshape((-1,))
    pm_row = x["pos_market"][:, None] * n_year
    t_u = x["time_u"][None, :]
    log_pos_t = (1.0 - t_u) * log_flat[pm_row + x["time_lo"][None, :]] + t_u * log_flat[
        pm_row + x["time_hi"][None, :]
    ]
    revenue_t = share_t * pt.exp(log_pos_t)  # (position, time)
    pm.Deterministic("share", share_t[:, :n_year], dims=("position", "year"))
    pm.Deterministic("revenue", revenue_t[:, :n_year], dims=("position", "year"))

    # a threshold is judged on its window of times: hit if any of its checks is past
    # it (see ModelData: each check reads its entry of the flat values by index)
    refs = {"market": pt.exp(log_size), "share": share_t[:, :n_year], "revenue": revenue_t[:, :n_year]}
    metrics = build_metrics(
        pm,
        pt,
        x,
        formulas,
        transform=_transform,
        uniform=uniform,
        cop_raw=pt.concatenate([cop_raw, share_raw]),
        outcome=onehot,
        **refs,
    )
    values = pt.concatenate([log_flat, share_t.reshape((-1,)), revenue_t.reshape((-1,)), metrics])
    c_u = x["check_u"]
    value = (1.0 - c_u) * values[x["check_lo"]] + c_u * values[x["check_hi"]]
    past = pt.ge(x["check_sign"] * (value - x["check_value"]), 0.0) & pt.le(value, x["check_upper"])
    past = past.astype("float64")
    thr_hit = past[x["thr_check"]].max(axis=-1)

    z_event = pm.Normal("z_event", 0.0, 1.0, dims=("event", "outcome"))
    p_event_k = _transform(
        x["event_fam"], x["event_a"], x["event_b"], z_event, uniform=uniform, table=x["event_tab"]
    )
    p_event = pm.Deterministic("event_probability", (p_event_k * onehot[None, :]).sum(axis=-1), dims="event")
    # a constant hazard whose probability of firing by the deadline is p_event
    rate = -pt.log1p(-p_event) / x["event_horizon"]
    wait = pm.Exponential("event_wait", 1.0, dims="event")
    time = pm.Deterministic("event_time", wait / rate, dims="event")
    ev_hit = pt.le(time, x["event_horizon"])

    hits = pt.concatenate([thr_hit, ev_hit.astype("float64")])
    pm.Deterministic("prediction_hit", hits[x["pred_pick"]], dims="prediction")


def _share_at(
    pt: Any, x: dict[str, Any], idx: Any, z: tuple[Any, Any], realized: Any, *, uniform: bool
) -> Any:
    """The share points ``idx`` (``(position, outcome, time)``) transformed at the
    realized outcome's latent ``z[0]``: their family and parameters picked at the outcome
    by ``realized`` first, so each time is transformed once, not once per outcome.

    The table term (:func:`_table_term`, in graphs with uniform inputs) reads rows of
    the data's tables, so it is evaluated at every outcome's latent ``z[1]`` and picked
    after, added last as :func:`_transform` adds it: the same arithmetic in the same order.
    """
    fam = x["share_fam"][idx]
    picked = (realized(fam), realized(x["share_a"][idx]), realized(x["share_b"][idx]))
    out = _transform(*picked, z[0], uniform=uniform)
    if uniform:
        is_table = pt.eq(fam, int(Family.TABLE)).astype("float64")
        out = out + realized(is_table * _table_term(x["share_tab"][idx], z[1]))
    return out


def set_model_data(model: Any, data: ModelData) -> None:
    """Load another scenario's arrays into a model of the same structure."""
    from pymc.pytensorf import convert_observed_data

    with model:
        for dim, values in data.coords.items():
            if dim in model.dim_lengths:
                model.set_dim(dim, len(values), coord_values=values)
        # Every dim length is set above, so what pm.set_data would check (each array's
        # dim lengths against the model's, found by evaluating, i.e. compiling, one
        # small function per dim: ~0.25 s a process) holds; the shared variables'
        # types still check each array's dtype and number of dims.
        for name, value in sampler_arrays(data).items():
            if name in model:  # evidence_reach: only where the shocks are whitened
                model[name].set_value(convert_observed_data(value))
