"""One input at a time: the tornado, and the sensitivity tables of the report.

:func:`tornado` puts the target's median with each input at its 10th and its 90th
percentile and every other input at its median, re-evaluating the model with the
compiled simulator already in the cache (same structure, no recompile).
:func:`report_frames` gives the report's Sensitivity section: the variance-based
indices of :mod:`forecast.analysis.sensitivity` and the tornado, side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from forecast.scenario import Scenario
from forecast.scenario.inputs import Family

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecast.analysis.results import Forecast
    from forecast.engine.data import ModelData
    from forecast.engine.executor import Executor

from forecast.analysis.sensitivity import (
    POINT_CONCENTRATION,
    REPORT_TOP,
    TORNADO_COLUMNS,
    TORNADO_DRAWS,
    TORNADO_FIXED_VALUES,
    TORNADO_MIN_DRAWS,
    Input,
    _take,
    headline_targets,
    parse_target,
    sensitivities,
    uncertain_inputs,
)


def _quantile_fn(fc: Forecast, inp: Input, known: tuple[float, ...] = ()) -> Callable[[float], Any]:
    """Where the input sits at quantile ``q``: from the draws, or per outcome for events.

    The ``known`` quantiles are found in one pass over the draws (a partition of a
    million draws costs ~20 ms; the tornado asks for three per input)."""
    if inp.variable == "event_probability":
        s = fc.scenario
        p = [p for p in s.predictions if p.kind == "event"][inp.index[0]]
        ids = s.outcome_ids or ["all"]
        qs = [
            p.probability if p.probability is not None else (p.probability_by_outcome or {})[k] for k in ids
        ]
        return lambda q: np.array([float(x.canonical("unit").quantile(q)) for x in qs])
    x = _take(fc.values(inp.variable), inp.index)
    found = dict(zip(known, (float(v) for v in np.quantile(x, list(known))), strict=True)) if known else {}
    return lambda q: found[q] if q in found else float(np.quantile(x, q))


#: the arrays :func:`_fixed` may change (the others are shared with the forecast's data)
FIXABLE = (
    *(f"{p}_{x}" for p in ("size", "vol", "rho", "share", "event", "input") for x in ("fam", "a", "b")),
    *("drift_mu", "drift_sd", "drift_anchor", "calib", "beta", "alpha"),
)


#: the arrays (family, a, b) of each kind of input the tornado fixes at a point
_PREFIX = {
    "size": "size",
    "volatility": "vol",
    "share_anchor": "share",
    "common_factor": "rho",
    "input_value": "input",
}


def _fixed(md: ModelData, fc: Forecast, inputs: list[Input], at: dict[str, Any]) -> ModelData:
    """Model data with every listed input fixed at the value in ``at`` (a point)."""
    arrays = md.arrays()
    a = {k: np.array(arrays[k], copy=True) for k in FIXABLE}
    prior_point = None
    for inp in inputs:
        v = at[inp.key]
        if inp.variable in _PREFIX:
            prefix = _PREFIX[inp.variable]
            a[f"{prefix}_fam"][inp.index] = int(Family.NORMAL)
            a[f"{prefix}_a"][inp.index] = v
            a[f"{prefix}_b"][inp.index] = 0.0
        elif inp.variable in ("growth", "growth_surprise"):
            (m,) = inp.index
            if inp.variable == "growth":
                drift = float(np.log1p(v))
                sd = md.drift_sd[m]
                surprise = (drift - md.drift_mu[m]) / sd if sd > 0 else 0.0
                # fixed means fixed: a projection anchor would move it with the size
                a["drift_mu"][m], a["drift_sd"][m], a["drift_anchor"][m] = drift, 0.0, 0.0
            else:
                surprise = v
            # the growth surprise also shifts the outcome odds: fix that effect too
            a["calib"] = a["calib"] + a["beta"][:, m] * surprise
            a["beta"][:, m] = 0.0
        elif inp.variable == "event_probability":
            (e,) = inp.index
            a["event_fam"][e, :] = int(Family.NORMAL)
            a["event_a"][e, :] = v
            a["event_b"][e, :] = 0.0
        elif inp.variable == "outcome_prior":
            if prior_point is None:
                prior_point = np.asarray(at["outcome_prior"], dtype=float).copy()
            (k,) = inp.index
            if at.get("_moved") == inp.key:
                rest = 1.0 - prior_point[k]
                scale = (1.0 - v) / rest if rest > 0 else 0.0
                prior_point = prior_point * scale
                prior_point[k] = v
    if prior_point is not None:
        a["alpha"] = np.clip(prior_point, 1e-12, None) * POINT_CONCENTRATION
    return replace(md, **a)  # type: ignore[arg-type]


def tornado_draws(fc: Forecast, draws: int | None = None) -> int:
    """Draws per tornado run: ``draws`` when given, else what the report and
    :func:`tornado` use by default (so on the same seed they agree).

    The report runs the tornado for at most :data:`REPORT_TOP` inputs per headline
    target, ``2 * inputs + 1`` runs. Their draws together are held to the
    forecast's own plus a fixed allowance of :data:`TORNADO_FIXED_VALUES` recorded
    values (a fraction of a second of simulation), between :data:`TORNADO_MIN_DRAWS`
    and :data:`TORNADO_DRAWS` a run: a small model keeps many draws a run, a large
    one's tornado costs about what its simulation did. It depends on the forecast only
    (its draws, its size per draw, its inputs and headline targets), never on which
    rows are asked for, so every caller gets the same numbers.

    Examples
    --------
    >>> tornado_draws(forecast.simulate(forecast.load(forecast.bundled()), draws=20_000))  # doctest: +SKIP
    1665
    """
    if draws is not None:
        return int(draws)
    runs = 2 * min(len(uncertain_inputs(fc)), REPORT_TOP * len(headline_targets(fc.scenario))) + 1
    ds = fc.draws
    per_draw = sum(
        int(np.prod([ds.sizes[d] for d in v.dims if d not in ("chain", "draw")], dtype=np.int64))
        for v in ds.data_vars.values()
    )
    budget = (fc.n_draws + TORNADO_FIXED_VALUES // max(per_draw, 1)) // runs
    return int(min(TORNADO_DRAWS, max(TORNADO_MIN_DRAWS, budget)))


def tornado(
    fc: Forecast,
    target: str,
    *,
    low: float = 0.1,
    high: float = 0.9,
    draws: int | None = None,
    seed: int | None = None,
    inputs: list[str] | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """One input at a time: the target when the input moves from ``low`` to ``high``.

    Every uncertain input is fixed at its median (the outcome Dirichlet at its
    mean, the point whose components sum to one) and one at a time moved to its
    ``low`` and ``high`` quantile (from the forecast's draws; event probabilities
    per outcome from the scenario). Moving one Dirichlet component rescales the
    others to keep the sum at one. What stays random is the residual: yearly
    shocks, the realized outcome and event times, drawn with the same seed in every
    run (``seed``, by default the forecast's own; common random numbers), so
    differences between rows are not noise.

    The model is re-evaluated by loading the fixed inputs into the cached compiled
    simulator (same structure: no recompile), ``2 * inputs + 1`` calls of ``draws``
    draws (default :func:`tornado_draws`, which the report uses too, so both give the
    same numbers for the same forecast and seed). ``inputs`` (keys, e.g.
    ``"growth[developer_tools]"``) limits the rows to those inputs: each row is the
    same as in the full table, since every run uses the same draws. For a forecast conditioned on evidence, the quantiles come from the
    posterior draws but the residual is simulated forward (as without evidence).

    The runs are independent: an ``executor`` (:mod:`forecast.engine.executor`, e.g.
    a Dask cluster) runs them as jobs, each carrying the scenario's resolved inputs,
    which inputs are fixed at what values, the draws and the seed (no compiled
    object); a worker reuses its simulator for every run. Same numbers as here.

    Returns
    -------
    pandas.DataFrame
        ``input``, ``label``, ``low`` (the target at the input's ``low`` quantile),
        ``high`` (at its ``high`` quantile), ``base`` (every input at its median),
        ``low_value``/``high_value`` (the input's values there; NaN for event
        probabilities, which differ by outcome) and ``swing`` = ``|high - low|``,
        largest swing first (inputs of equal swing in the scenario's order). The
        target statistic is the median, or the mean for a probability
        (``outcome.*``, ``prediction.*``). ``attrs``: ``target`` (its label),
        ``spec``, ``statistic``, ``base``, ``low``, ``high``, ``draws`` (a run) and
        ``runs``.

    Examples
    --------
    >>> import forecast
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=5000)  # doctest: +SKIP
    >>> tornado(fc, "revenue.deepseek_devtools@2028").head(3)  # doctest: +SKIP
    """
    return tornadoes(
        fc, [target], low=low, high=high, draws=draws, seed=seed, inputs=inputs, executor=executor
    )[target]


def tornadoes(
    fc: Forecast,
    targets: list[str],
    *,
    low: float = 0.1,
    high: float = 0.9,
    draws: int | None = None,
    seed: int | None = None,
    inputs: list[str] | None = None,
    executor: Executor | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`tornado` for several targets from the same ``2 * inputs + 1`` runs
    (each run simulates every quantity, so more targets cost nothing more); with an
    ``executor``, the runs are its jobs (see :func:`tornado_job`)."""
    from forecast.engine.data import model_data
    from forecast.engine.forward import simulator

    tgts = [parse_target(fc.scenario, t) for t in targets]
    every = uncertain_inputs(fc)
    chosen = _chosen(every, inputs)
    seed = fc.seed if seed is None else seed
    draws = tornado_draws(fc, draws)
    # observations only enter observed variables, which forward simulation never reads
    md = model_data(fc.scenario).without_observations()
    chosen_keys = {inp.key for inp in chosen}
    qfn = {
        inp.key: _quantile_fn(fc, inp, (low, 0.5, high) if inp.key in chosen_keys else (0.5,))
        for inp in every
    }
    median: dict[str, Any] = {k: f(0.5) for k, f in qfn.items()}
    if any(inp.variable == "outcome_prior" for inp in every):
        median["outcome_prior"] = fc.values("outcome_prior").mean(axis=0)

    sim = simulator(md)

    def run(at: dict[str, Any]) -> list[float]:
        # only the arrays a fixed input changes are loaded again (the share paths, the
        # checks and the rest are the same in every run), under the simulator's lock;
        # if another caller loaded other data in between, everything is reloaded
        fixed = _fixed(md, fc, every, at)
        values = sim.with_arrays({k: getattr(fixed, k) for k in FIXABLE})(draws, seed)
        return [tgt.summarize(tgt.of(values)) for tgt in tgts]

    # every input at its median, then each chosen one at its low and its high point
    points = [median]
    for inp in chosen:
        points += [{**median, inp.key: qfn[inp.key](q), "_moved": inp.key} for q in (low, high)]
    if executor is None:
        results = [run(at) for at in points]
    else:
        results = _run_jobs(executor, fc, every, targets, points, draws, seed)
    meta = {"low": low, "high": high, "draws": draws, "runs": 2 * len(chosen) + 1}
    return _tables(targets, tgts, chosen, qfn, results, meta)


def _chosen(every: list[Any], inputs: list[str] | None) -> list[Any]:
    """The inputs to swing, in the forecast's order (all when ``inputs`` is None);
    a key that is not an uncertain input of the forecast is a ``ValueError``."""
    if inputs is None:
        return every
    known = {i.key for i in every}
    unknown = [k for k in inputs if k not in known]
    if unknown:
        raise ValueError(f"not uncertain inputs of this forecast: {', '.join(unknown)}")
    return [i for i in every if i.key in set(inputs)]


def _tables(
    targets: list[str],
    tgts: list[Any],
    chosen: list[Any],
    qfn: dict[str, Any],
    results: list[list[float]],
    meta: dict[str, Any],
) -> dict[str, pd.DataFrame]:
    """One tornado table per target from the runs' results (the median run first, then
    each chosen input's low and high run), widest swing first (ties in input order)."""
    base = results[0]
    rows: list[list[dict[str, Any]]] = [[] for _ in tgts]
    for n, inp in enumerate(chosen):
        lo_v, hi_v = qfn[inp.key](meta["low"]), qfn[inp.key](meta["high"])
        lo, hi = results[1 + 2 * n], results[2 + 2 * n]
        scalar = np.ndim(lo_v) == 0
        for j in range(len(tgts)):
            rows[j].append(
                {
                    "input": inp.key,
                    "label": inp.label,
                    "low": lo[j],
                    "high": hi[j],
                    "base": base[j],
                    "low_value": float(lo_v) if scalar else np.nan,
                    "high_value": float(hi_v) if scalar else np.nan,
                    "swing": abs(hi[j] - lo[j]),
                }
            )
    out = {}
    for j, (spec, tgt) in enumerate(zip(targets, tgts, strict=True)):
        df = pd.DataFrame(rows[j], columns=TORNADO_COLUMNS)
        df = df.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
        df.attrs.update(
            target=tgt.label,
            spec=tgt.spec,
            base=base[j],
            low=meta["low"],
            high=meta["high"],
            statistic=tgt.statistic,
            draws=meta["draws"],
            runs=meta["runs"],
        )
        out[spec] = df
    return out


# --- the runs as executor jobs ----------------------------------------------------

#: per worker process: a scenario's TOML digest -> (scenario, model data without
#: observations), so a worker builds them once per scenario, not once per run
_WORKER_DATA: dict[str, tuple[Scenario, ModelData]] = {}
_WORKER_DATA_MAX = 8


def _run_jobs(
    executor: Executor,
    fc: Forecast,
    every: list[Input],
    targets: list[str],
    points: list[dict[str, Any]],
    draws: int,
    seed: int,
) -> list[list[float]]:
    """The tornado's runs at ``points`` on ``executor``, in the order of ``points``."""
    from forecast.engine.executor import JobFailed

    toml = fc.scenario.to_toml()
    common = {"toml": toml, "origin": fc.scenario.origin, "inputs": every, "targets": list(targets)}
    jobs = [{**common, "at": at, "draws": draws, "seed": seed} for at in points]
    results: dict[int, list[float]] = {}
    for i, out in executor.map(tornado_job, jobs):
        if isinstance(out, JobFailed):
            raise out.error
        results[i] = out
    return [results[i] for i in range(len(points))]


def tornado_job(job: dict[str, Any]) -> list[float]:
    """One tornado run from its job data (runs on a worker): every input in
    ``job["inputs"]`` fixed at its value in ``job["at"]``, the targets' statistics.

    The scenario travels as its resolved TOML; the worker builds its model data once
    per scenario and its compiled simulator once per structure, and reuses both.
    """
    import hashlib
    import tomllib

    from forecast.engine.data import model_data
    from forecast.engine.forward import simulator

    key = hashlib.sha256(job["toml"].encode()).hexdigest()
    found = _WORKER_DATA.get(key)
    if found is None:
        scenario = Scenario.from_dict(tomllib.loads(job["toml"]), origin=job["origin"])
        if len(_WORKER_DATA) >= _WORKER_DATA_MAX:
            _WORKER_DATA.clear()
        found = _WORKER_DATA[key] = (scenario, model_data(scenario).without_observations())
    scenario, md = found
    tgts = [parse_target(scenario, t) for t in job["targets"]]
    # _fixed reads only the model data, the inputs and the point (not the forecast);
    # as in-process, only the arrays a fixed input changes are loaded again
    fixed = _fixed(md, cast("Forecast", None), job["inputs"], job["at"])
    values = simulator(md).with_arrays({k: getattr(fixed, k) for k in FIXABLE})(job["draws"], job["seed"])
    return [tgt.summarize(tgt.of(values)) for tgt in tgts]


# --- for the report ------------------------------------------------------------

#: the report's sensitivity table: column -> header
REPORT_HEADERS = {
    "input": "Input",
    "first_order": "First-order index",
    "conf": "± (95%)",
    "independent": "Own-part index",
    "low": "Target at input's 10%",
    "high": "Target at input's 90%",
}


def report_targets(scenario: Scenario, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The headline targets, then ``extra`` ones not already there (checked).

    Examples
    --------
    >>> import forecast
    >>> report_targets(forecast.load(forecast.bundled()), ["market.developer_tools@2027", "total@2027"])
    ['total@2027', 'revenue.deepseek_devtools@2027', 'outcome.independence', 'market.developer_tools@2027']
    """
    out = headline_targets(scenario)
    for t in extra:
        parse_target(scenario, t)
        if t not in out:
            out.append(t)
    return out


def report_frames(
    fc: Forecast, extra: list[str] | tuple[str, ...] = (), *, top: int = REPORT_TOP, draws: int | None = None
) -> list[pd.DataFrame]:
    """One table per target for the report's Sensitivity section.

    Columns ``input`` (the label), ``first_order``, ``conf``, ``independent``, ``low``
    and ``high`` (the tornado), most important first; inputs that matter for
    nothing (both indices under 0.005 and no swing) are left out, at most ``top``
    rows. ``attrs``: ``target`` (spec), ``target_label``, ``baseline`` (every input at
    its median), ``statistic`` and ``description``. Targets without any uncertain
    input give no table, so an empty list means "no section".

    Examples
    --------
    >>> frames = report_frames(fc, ["market.developer_tools@2027"])  # doctest: +SKIP
    >>> [f.attrs["target"] for f in frames]  # doctest: +SKIP
    ['total@2027', 'revenue.deepseek_devtools@2027', 'outcome.independence', 'market.developer_tools@2027']
    """
    targets = report_targets(fc.scenario, extra)
    if not uncertain_inputs(fc):
        return []
    nuts_note = ", widened by √(draws / ESS) for these autocorrelated NUTS draws" if fc.conditioned else ""
    # rank first (the report shows no own-part conf, and a bootstrap only for the rows
    # it can show), then run the tornado only for those rows: 2 runs per shown input
    idx = sensitivities(fc, targets, independent_conf=False, conf_top=top)
    shown = {t: idx[t].head(top) for t in targets}
    keys = list(dict.fromkeys(k for t in targets for k in shown[t]["input"]))
    tor = tornadoes(fc, targets, draws=draws, inputs=keys)
    return [_report_frame(t, shown[t], tor[t], nuts_note) for t in targets]


def _report_frame(t: str, a: pd.DataFrame, b: pd.DataFrame, nuts_note: str) -> pd.DataFrame:
    """The report's table of target ``t``: the indices ``a`` beside the tornado ``b``,
    without inputs that matter for nothing (at least three rows), with its words."""
    df = a.merge(b[["input", "low", "high", "swing"]], on="input", how="left")
    base = float(b.attrs["base"])
    keep = (df["independent"].abs() >= 0.005) | (df["first_order"].abs() >= 0.005)
    keep |= df["swing"] > 1e-3 * max(abs(base), 1e-12)
    df = df[keep] if keep.any() else df.head(3)
    columns = ["first_order", "conf", "independent", "low", "high"]
    out = pd.DataFrame({"input": df["label"], **{c: df[c] for c in columns}}).reset_index(drop=True)
    stat = "mean" if b.attrs["statistic"] == "mean" else "median"
    blend = stat == "mean" and not t.startswith(("outcome.", "prediction."))
    out.attrs.update(
        target=t,
        target_label=a.attrs["target"],
        baseline=base,
        statistic=stat,
        headers=dict(REPORT_HEADERS),
        low_label="input at its 10th percentile",
        high_label="input at its 90th percentile",
        caption=(
            f"The target's {stat} as each input moves from its median to its 10th (orange) or 90th "
            "(blue) percentile, every other input at its median (vertical line); inputs in the table's "
            "order, the most important on top."
            + (
                " The mean, not the median: the target blends outcome paths, and a blend's median "
                "matches none of them."
                if blend
                else ""
            )
        ),
        description=(
            f"First-order index: the share of the variance of {a.attrs['target']} that knowing the "
            "input alone removes, estimated from the draws (RBD-FAST/EASI on given data; ± its 95% "
            f"bootstrap half-width{nuts_note}). Own-part index: the same for the part of the input that the other "
            "inputs do not explain (market CAGRs move together through the common factor, so another "
            "market's CAGR can score a first-order index without mattering itself). The last two "
            f"columns: the target's {stat} with the input at its 10th or 90th percentile and every "
            f"other input at its median ({stat} then {_fmt_value(base)}). Variance no input explains "
            "comes from the yearly market shocks, the realized outcome and event timing."
        ),
    )
    return out


def _fmt_value(x: float) -> str:
    return f"{x:.3g}"


# --- figures ------------------------------------------------------------------


def plot_tornado(df: pd.DataFrame, *, top: int = 12, ax: Any = None) -> Figure:
    """A tornado chart of :func:`tornado`'s table (largest swing on top).

    Examples
    --------
    >>> fig = plot_tornado(tornado(fc, "total@2027"))  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    rows = df.head(top).iloc[::-1]
    base = float(df.attrs.get("base", rows["base"].iloc[0] if len(rows) else 0.0))
    if ax is None:
        fig = Figure(figsize=(7.5, 0.4 * max(len(rows), 3) + 1.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    y = np.arange(len(rows))
    lo_q, hi_q = df.attrs.get("low", 0.1), df.attrs.get("high", 0.9)
    ax.barh(y, rows["low"] - base, left=base, color="#c8553d", label=f"input at its {lo_q:.0%} point")
    ax.barh(y, rows["high"] - base, left=base, color="#2d7dd2", label=f"input at its {hi_q:.0%} point")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y, [_short(t) for t in rows["label"]], fontsize=8)
    stat = "mean" if df.attrs.get("statistic") == "mean" else "median"
    ax.set_xlabel(f"{df.attrs.get('target', 'target')} ({stat})")
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_title("What moves it: one input at a time, others at their medians", fontsize=10)
    fig.tight_layout()
    return fig


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
