"""Evidence and signposts: updating the odds with NUTS.

When a scenario has observed market sizes (``[[evidence]]``) or observed signposts,
:func:`forecast.engine.compute` calls :func:`infer`:

1. the **prior** is forward-simulated exactly as without evidence (same seed, same
   numbers as ``prior_only=True``), for prior-vs-posterior comparison;
2. NUTS samples the latents of the inference model (``build_model(data,
   predictive=False)``: standard-normal input latents and the Dirichlet outcome prior;
   evidence is a lognormal observation, observed signposts a likelihood marginal over
   the outcome, so there is no discrete latent);
3. every recorded output (market sizes, outcome probabilities, shares, predictions...)
   is recomputed from the posterior latents in **one** batched call of the
   conditional simulator (:func:`forecast.engine.forward.simulator` with
   ``conditional=True``), which also draws the predictive quantities (the realized
   outcome given the signposts, share paths, events);
4. convergence is checked: R-hat ≤ 1.01, bulk and tail ESS ≥ 400 and no divergent
   transitions (:func:`check`).

The sampler is compiled once per model structure and shape and reused for every
scenario of that shape by swapping the data (nutpie's ``with_data``, or
``pm.set_data`` for PyMC's own NUTS), which is what makes simulation-based
calibration affordable. nutpie's compiled callbacks also go to the on-disk compile
cache (:mod:`forecast.engine.nutpie_cache`), so a new process compiles a known structure
in ~2 s instead of ~20 s.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled("deepseek-update"))
>>> fc = forecast.simulate(s, draws=4000, seed=1)  # doctest: +SKIP
>>> fc.outcomes()[["outcome", "stated", "probability", "mcse"]]  # doctest: +SKIP
>>> check(fc.diagnostics)  # doctest: +SKIP
[]

It is a little longer than 600 lines: the sampler's compile cache, the NUTS run,
the posterior predictive and the diagnostics share one set of thresholds and locks.
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.engine.data import ModelData, model_data
from forecast.engine.model import INFERENCE_LATENTS, build_model, sampler_arrays, set_model_data
from forecast.scenario import Scenario

if TYPE_CHECKING:
    import xarray as xr

    from forecast.engine.result import Computed

#: convergence thresholds (see :func:`check`)
RHAT_MAX = 1.01
ESS_MIN = 400

CHAINS = 4  # four chains make R-hat meaningful; on 2 cores they cost ~1.3x two chains
# nutpie's own default: its step-size and mass-matrix adaptation is built for short
# tuning (1,000 steps cost ~25% of a 4 x 1,000-draw run and bought no ESS; benchmarks/nuts.py)
TUNE = 300
MIN_DRAWS_PER_CHAIN = 1000  # below this the ESS threshold is hard to meet

SAMPLERS = ("nutpie", "pymc")
# An observed market size pins volatility x yearly shock: sampled as drawn, the shocks'
# posterior narrowed where the observed market's volatility was large, and NUTS diverged
# there (deepseek-update at nutpie's default 0.8: 9 of 10 runs of 100,000 draws, once
# per ~70,000 draws). The model NUTS samples now draws the shocks whitened given the
# evidence (forecast.engine.model._whitened_shocks: the same model), which removes that
# geometry, so nutpie's default target is kept (benchmarks/README.md, session 8). A run
# that still diverges is sampled again, same seed, at each of TARGET_ACCEPT_RAISED (with
# RAISED_TUNE tuning steps): a safety net for other scenarios, none keeps a divergence
# it could avoid
TARGET_ACCEPT = 0.8
TARGET_ACCEPT_RAISED = (0.95,)
RAISED_TUNE = 1000
# PyMC's own NUTS: its step is compiled with its target (no retry)
PYMC_TARGET_ACCEPT = 0.95
# measured (benchmarks/nuts.py, 2 cores): 4 x 2,000 steps took 7.7 s in one process and
# 14 s in two worker processes; nutpie's chains are threads and start at once
PYMC_SERIAL_STEPS = 20_000

#: recorded outputs that are functions of the NUTS latents alone (no predictive noise):
#: their diagnostics are the sampler's; the others add independent predictive draws
DIAGNOSED_OUTPUTS = (
    "size",
    "growth",
    "volatility",
    "common_factor",
    "growth_surprise",
    "outcome_prior",
    "market_size",
    "total_market",
    "outcome_probability",
    "signpost_probability",
)


def default_sampler() -> str:
    """``"nutpie"`` when it is installed, else PyMC's own NUTS (``"pymc"``)."""
    from importlib.util import find_spec

    return "nutpie" if find_spec("nutpie") is not None else "pymc"


def draws_per_chain(draws: int, chains: int = CHAINS) -> int:
    """Draws per chain for at least ``draws`` in all: at least :data:`MIN_DRAWS_PER_CHAIN`
    (ESS), no upper limit (``--draws`` is honoured; :func:`draws_note` says when more).

    >>> draws_per_chain(20_000), draws_per_chain(100), draws_per_chain(200_000)
    (5000, 1000, 50000)
    """
    return max(MIN_DRAWS_PER_CHAIN, math.ceil(draws / chains))


def draws_note(requested: int, chains: int, per_chain: int) -> str:
    """What NUTS drew, and why, when it is not what was requested ("" when it is).

    >>> draws_note(2000, 4, 1000)
    'NUTS drew 4 chains × 1,000 = 4,000 posterior draws (2,000 requested): at least 1,000 per chain so that the ESS thresholds can be met'
    """
    drawn = chains * per_chain
    if drawn == requested:
        return ""
    why = (
        f"at least {MIN_DRAWS_PER_CHAIN:,} per chain so that the ESS thresholds can be met"
        if per_chain == MIN_DRAWS_PER_CHAIN and requested < drawn
        else "the same number in every chain"
    )
    return f"NUTS drew {chains} chains × {per_chain:,} = {drawn:,} posterior draws ({requested:,} requested): {why}"


# --- compiled samplers -----------------------------------------------------------


@dataclass
class CompiledSampler:
    """The inference model of one structure and shape, compiled for one sampler."""

    kind: str
    model: Any  # pm.Model (predictive=False)
    compiled: Any  # nutpie CompiledModel, or PyMC's NUTS step
    shapes: dict[str, tuple[int, ...]]  # the data the compiled functions read, and their shapes
    compile_seconds: float
    # one sampling at a time: the model's data (nutpie's initial points) are shared
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def fits(self, data: ModelData) -> bool:
        """Whether ``data`` can be swapped in: same shapes for everything read."""
        arrays = sampler_arrays(data)
        return all(arrays[name].shape == shape for name, shape in self.shapes.items())


_CACHE: dict[tuple[str, Any], list[CompiledSampler]] = {}
_CACHE_LOCK = threading.Lock()  # two threads asking for a new sampler compile it once
COMPILE_COUNT = 0  # how many samplers this process compiled (tests keep it small)


def compiled_sampler(data: ModelData, sampler: str | None = None) -> CompiledSampler:
    """The cached compiled sampler for this structure and shape (compiled on first use).

    nutpie fixes the shapes of the sampled variables when it compiles, so a compiled
    sampler serves every scenario with the same structure (which observations exist)
    whose data read by the inference model have the same shapes: the same numbers of
    markets, years, outcomes, evidence and observed signposts. Labels and values may
    differ (see :func:`nuts`).

    Examples
    --------
    >>> import forecast
    >>> d = model_data(forecast.load(forecast.bundled("deepseek-update")))
    >>> cs = compiled_sampler(d)  # doctest: +SKIP
    >>> compiled_sampler(d) is cs  # doctest: +SKIP
    True
    """
    global COMPILE_COUNT
    with _CACHE_LOCK:
        kind = sampler or default_sampler()
        if kind not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)} (got {kind!r})")
        # the model NUTS samples has no metrics (they are drawn on top of its draws), so
        # scenarios that differ only in their formulas share a sampler
        candidates = _CACHE.setdefault((kind, data.structure[:3]), [])
        for cached in candidates:
            if cached.fits(data):
                cached.compile_seconds = 0.0  # compiled earlier: nothing to pay now
                return cached
        t0 = time.perf_counter()
        model = build_model(data, predictive=False)
        arrays = sampler_arrays(data)
        if kind == "nutpie":
            compiled = _compile_nutpie(model)
            names = {var.name for var in compiled.shared_var_keys} & set(arrays)
        else:
            import pymc as pm

            with model:
                compiled = pm.NUTS(vars=model.free_RVs, target_accept=PYMC_TARGET_ACCEPT)
            names = set(arrays)  # PyMC's step is not limited to fixed shapes, but keep it simple
        COMPILE_COUNT += 1
        shapes = {name: arrays[name].shape for name in sorted(names)}
        cs = CompiledSampler(kind, model, compiled, shapes, time.perf_counter() - t0)
        candidates.append(cs)
        return cs


def _compile_nutpie(model: Any) -> Any:
    """nutpie's compile with its callbacks in the disk cache (see
    :mod:`forecast.engine.nutpie_cache`): ~2 s instead of ~20 s in every new process. Falls
    back to nutpie's own compile, with a warning, if its private helpers changed."""
    import nutpie

    try:
        from forecast.engine.nutpie_cache import compile_pymc_model_cached

        return compile_pymc_model_cached(model, var_names=list(INFERENCE_LATENTS))
    except Exception as exc:  # nutpie's or PyTensor's internals moved: compile as before
        warnings.warn(
            f"forecast: disk-cached nutpie compile unavailable ({exc!r}); compiling without the cache",
            RuntimeWarning,
            stacklevel=3,
        )
        return nutpie.compile_pymc_model(model, var_names=list(INFERENCE_LATENTS))


@dataclass
class NutsResult:
    """Posterior draws of the inference latents and the sampler statistics."""

    posterior: xr.Dataset  # (chain, draw, ...) of INFERENCE_LATENTS
    sample_stats: xr.Dataset  # includes ``diverging``
    compile_seconds: float
    sample_seconds: float
    sampler: str
    target_accept: float | None = None  # nutpie's, of the run kept (see TARGET_ACCEPT)
    tune: int | None = None  # tuning steps of the run kept
    raised_after: int = 0  # divergences of the cheaper runs sampled again


def nuts(
    data: ModelData,
    *,
    sampler: str | None = None,
    chains: int = CHAINS,
    tune: int = TUNE,
    draws: int = MIN_DRAWS_PER_CHAIN,
    seed: int = 0,
    progress: bool = False,
    cores: int | None = None,
    target_accept: float | None = None,
) -> NutsResult:
    """Sample the inference latents of ``data`` with NUTS.

    The compiled sampler is reused across calls with data of the same structure and
    shape; only the arrays are swapped.

    Parameters
    ----------
    data : ModelData
    sampler : {"nutpie", "pymc"}, optional
        Default: nutpie when installed.
    chains, tune, draws : int
        Chains, tuning steps per chain and retained draws per chain.
    seed : int
        Same seed, same draws.
    progress : bool
        Show the sampler's progress bar.
    cores : int, optional
        Chains run in parallel on up to this many cores (default: all, at most
        ``chains``; one for short PyMC runs, see :data:`PYMC_SERIAL_STEPS`). The
        draws do not depend on it.
    target_accept : float, optional
        nutpie's target acceptance, fixed; default: :data:`TARGET_ACCEPT`, raised
        to each of :data:`TARGET_ACCEPT_RAISED` (with at least :data:`RAISED_TUNE`
        tuning steps) while a run diverges. PyMC's NUTS uses :data:`PYMC_TARGET_ACCEPT`.

    Examples
    --------
    >>> import forecast
    >>> d = model_data(forecast.load(forecast.bundled("deepseek-update")))
    >>> res = nuts(d, draws=500, seed=1)  # doctest: +SKIP
    >>> res.posterior["z_growth"].sizes  # doctest: +SKIP
    """
    cs = compiled_sampler(data, sampler)
    arrays = {k: v for k, v in sampler_arrays(data).items() if k in cs.shapes}
    if cores is None and cs.kind == "pymc" and chains * (tune + draws) <= PYMC_SERIAL_STEPS:
        cores = 1  # PyMC's worker processes take longer to start than short chains take
    cores = max(1, min(chains, cores or os.cpu_count() or 1))
    with cs.lock:  # the model's data are shared by every scenario of this shape
        t0 = time.perf_counter()
        # the model's own data too: nutpie's initial points are computed from it (so without
        # this the start, and so the draws, would depend on which scenario compiled first)
        set_model_data(cs.model, data)
        if cs.kind == "nutpie":
            trace, kept = _sample_nutpie(
                cs.compiled.with_data(**arrays),
                target_accept,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                seed=seed,
                progress_bar=progress,
            )
        else:
            trace = _sample_pymc(
                cs, data, chains=chains, tune=tune, draws=draws, seed=seed, progress=progress, cores=cores
            )
            kept = (PYMC_TARGET_ACCEPT, tune, 0)
    elapsed = time.perf_counter() - t0
    posterior = trace["posterior"].to_dataset()[list(INFERENCE_LATENTS)]
    # nutpie labels the draws with the coords of the scenario it was compiled for
    posterior = posterior.assign_coords({d: data.coords[d] for d in posterior.dims if d in data.coords})
    stats = trace["sample_stats"].to_dataset()
    # keep numeric statistics only: nutpie's divergence messages are Python objects,
    # which netCDF cannot store
    stats = stats[[v for v in stats.data_vars if stats[v].dtype.kind in "biuf"]]
    return NutsResult(posterior, stats, cs.compile_seconds, elapsed, cs.kind, *kept)


def _sample_nutpie(
    compiled: Any, target_accept: float | None, *, tune: int, **kwargs: Any
) -> tuple[Any, tuple[float, int, int]]:
    """nutpie's trace at ``target_accept``, or (``None``) at :data:`TARGET_ACCEPT` raised
    while a run diverges; with the target and tuning of the run kept and the divergences
    of the runs sampled again. The same seed throughout: same file, same draws."""
    import nutpie

    if target_accept is not None:
        settings = [(target_accept, tune)]
    else:
        settings = [(TARGET_ACCEPT, tune), *((t, max(tune, RAISED_TUNE)) for t in TARGET_ACCEPT_RAISED)]
    raised_after = 0
    for accept, steps in settings[:-1]:
        trace = nutpie.sample(compiled, tune=steps, target_accept=accept, save_warmup=False, **kwargs)
        diverged = int(np.sum(trace["sample_stats"]["diverging"].values))
        if not diverged:
            return trace, (accept, steps, raised_after)
        raised_after += diverged
    accept, steps = settings[-1]
    trace = nutpie.sample(compiled, tune=steps, target_accept=accept, save_warmup=False, **kwargs)
    return trace, (accept, steps, raised_after)


def _sample_pymc(
    cs: CompiledSampler,
    data: ModelData,
    *,
    chains: int,
    tune: int,
    draws: int,
    seed: int,
    progress: bool,
    cores: int,
) -> Any:
    import pymc as pm

    # a supplied step gets no jittered start; disperse the chains' starts so that
    # R-hat can see chains that did not mix
    rng = np.random.default_rng(seed)
    initvals = [
        {
            rv.name: rng.uniform(-1, 1, size=_shape(cs.model, rv))
            for rv in cs.model.free_RVs
            if rv.name.startswith("z_")
        }
        for _ in range(chains)
    ]
    with warnings.catch_warnings():
        # the convergence checks are ours (check()); PyMC's warnings would duplicate them
        warnings.simplefilter("ignore")
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=seed,
            step=cs.compiled,
            initvals=initvals,
            var_names=list(INFERENCE_LATENTS),
            nuts_sampler="pymc",
            progressbar=progress,
            compute_convergence_checks=False,
            quiet=not progress,
            model=cs.model,
        )


def _shape(model: Any, rv: Any) -> tuple[int, ...]:
    return tuple(int(model.dim_lengths[d].get_value()) for d in model.named_vars_to_dims.get(rv.name, ()))


# --- inference -------------------------------------------------------------------


def infer(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    sampler: str | None = None,
    progress: bool = False,
    chains: int = CHAINS,
    tune: int = TUNE,
    nuts_draws: int | None = None,
    cores: int | None = None,
) -> Computed:
    """Condition a scenario on its evidence and observed signposts.

    Parameters
    ----------
    scenario : Scenario
        With ``[[evidence]]`` and/or signposts marked ``observed``.
    draws : int
        The prior gets this many; NUTS at least this many (:func:`draws_per_chain`;
        ``data.attrs``: ``draws_requested``, and :func:`draws_note` when they differ).
    seed : int
        Same seed, same numbers (prior, NUTS and predictive draws).
    sampler : {"nutpie", "pymc"}, optional
        NUTS implementation; default nutpie when installed.
    progress : bool
        Show the sampler's progress bar.
    chains, tune : int
        NUTS chains and tuning steps per chain.
    nuts_draws : int, optional
        Retained draws per chain, overriding :func:`draws_per_chain`.
    cores : int, optional
        Cores for parallel chains (see :func:`nuts`).

    Returns
    -------
    Computed
        ``data`` has groups ``prior``, ``prior_predictive``, ``posterior`` (the NUTS
        latents and what follows from them), ``posterior_predictive``,
        ``sample_stats`` and ``observed_data`` (see :mod:`forecast.engine.dataset`);
        ``diagnostics`` holds R-hat and ESS per variable (see :func:`diagnose`).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek-update"))
    >>> fc = infer(s, draws=4000, seed=1)  # doctest: +SKIP
    >>> sorted(fc.data.children)  # doctest: +SKIP
    ['constant_data', 'observed_data', 'posterior', 'posterior_predictive', 'prior', 'prior_predictive', 'sample_stats']
    """
    import xarray as xr

    from forecast.engine.dataset import nuts_tree, to_dataset
    from forecast.engine.forward import forward, simulator
    from forecast.engine.result import Computed

    data = model_data(scenario)
    if not data.structure[0] and not data.structure[1]:
        raise ValueError(f"{scenario.id}: nothing observed, so nothing to infer (use forward simulation)")
    per_chain = nuts_draws or draws_per_chain(draws, chains)
    nuts_seed, predictive_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))

    t0 = time.perf_counter()
    prior_values, prior_compile = forward(scenario, draws, seed)
    t_prior = time.perf_counter() - t0 - prior_compile

    res = nuts(
        data,
        sampler=sampler,
        chains=chains,
        tune=tune,
        draws=per_chain,
        seed=nuts_seed,
        progress=progress,
        cores=cores,
    )

    # posterior predictive: every output from the posterior latents in one call
    t1 = time.perf_counter()
    sim = simulator(data, conditional=True)
    n_chain, n_draw = res.posterior.sizes["chain"], res.posterior.sizes["draw"]
    flat = {
        name: res.posterior[name].values.reshape(n_chain * n_draw, *res.posterior[name].shape[2:])
        for name in sim.inputs
    }
    sim_compile = sim.compile_seconds
    if sim_compile:
        # numba compiles on the first call: count that as compile time, not simulation
        sim(1, predictive_seed, posterior={k: v[:1] for k, v in flat.items()})
        sim_compile = time.perf_counter() - t1
    t2 = time.perf_counter()
    values = sim(n_chain * n_draw, predictive_seed, posterior=flat)
    t_predictive = time.perf_counter() - t2

    posterior = to_dataset(scenario, values, chains=n_chain)
    latents = res.posterior.drop_vars([v for v in res.posterior.data_vars if v in posterior.data_vars])
    latents = latents.drop_vars(["chain", "draw"]).assign_coords(
        {d: list(c.values) for d, c in latents.coords.items()}
    )
    posterior = xr.merge([posterior, latents], join="exact", compat="equals", combine_attrs="drop_conflicts")
    posterior = posterior.assign_coords(chain=np.arange(n_chain), draw=np.arange(n_draw))
    stats = res.sample_stats.assign_coords(chain=np.arange(n_chain), draw=np.arange(n_draw))

    tree = nuts_tree(
        scenario,
        prior_values=prior_values,
        posterior=posterior,
        sample_stats=stats,
        observed_data=observed_data(data),
        seed=seed,
        sampler=res.sampler,
    )
    sampler_attrs = {"sampler": res.sampler, "chains": n_chain, "tune": res.tune or tune}
    sampler_attrs.update(
        draws_per_chain=n_draw, target_accept=res.target_accept, raised_after=res.raised_after
    )
    tree.attrs.update(sampler_attrs)
    tree.attrs["draws_requested"] = int(draws)
    note = draws_note(int(draws), n_chain, n_draw)
    if note:
        tree.attrs["draws_note"] = note
    timings = {
        "compile": prior_compile + res.compile_seconds + sim_compile,
        "simulate": t_prior + t_predictive,
        "sample": res.sample_seconds,
    }
    diagnostics = diagnose(posterior, stats)
    diagnostics.attrs.update(sampler_attrs)
    return Computed(scenario, tree, seed, timings, diagnostics, prior_only=False)


def observed_data(data: ModelData) -> xr.Dataset:
    """The observations as the inference model sees them.

    ``evidence_observed`` is the log of the observed market size (its ``value`` and
    ``rel_error`` ride along); ``signpost_observed`` is 1 for true, 0 for false.
    """
    import xarray as xr

    return xr.Dataset(
        {
            "evidence_observed": ("evidence", data.evidence_log),
            "evidence_value": ("evidence", np.exp(data.evidence_log)),
            "evidence_rel_error": ("evidence", data.evidence_sd),
            "signpost_observed": ("observed_signpost", data.obs_signpost),
        },
        coords={"evidence": data.coords["evidence"], "observed_signpost": data.coords["observed_signpost"]},
    )


# --- diagnostics -----------------------------------------------------------------


def diagnose(posterior: xr.Dataset, sample_stats: xr.Dataset) -> pd.DataFrame:
    """R-hat and bulk/tail ESS per variable, worst element first, plus divergences.

    Elements that are constant over all draws (a point input) have no R-hat or ESS
    and are left out (so is a variable with no other element). The divergence count
    is in ``.attrs["divergences"]``, the number of draws in ``.attrs["n_draws"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable``, ``rhat`` (largest), ``ess_bulk`` and ``ess_tail``
        (smallest), one row per variable (NUTS latents first).

    Examples
    --------
    >>> import xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> post = xr.Dataset({"x": (("chain", "draw"), rng.normal(size=(4, 500)))})
    >>> stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 500), bool))})
    >>> df = diagnose(post, stats)
    >>> df.columns.tolist(), df.attrs["divergences"]
    (['variable', 'rhat', 'ess_bulk', 'ess_tail'], 0)
    """
    import arviz_stats as azs

    names = [v for v in (*INFERENCE_LATENTS, *DIAGNOSED_OUTPUTS) if v in posterior.data_vars]
    if not names:
        names = [str(v) for v in posterior.data_vars]
    ds = posterior[list(dict.fromkeys(names))]
    with warnings.catch_warnings():
        # constant elements divide by a zero variance; they are masked below
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = azs.rhat(ds)
        bulk = azs.ess(ds, method="bulk")
        tail = azs.ess(ds, method="tail")
    rows = []
    for name in ds.data_vars:
        varying = np.asarray((ds[name].max(("chain", "draw")) > ds[name].min(("chain", "draw"))).values)
        if not varying.any():
            continue  # a point input: nothing to diagnose
        r, b, t = (np.asarray(x[name].values, dtype=float)[varying] for x in (rhat, bulk, tail))
        rows.append(
            {
                "variable": name,
                "rhat": float(np.max(r)),
                "ess_bulk": float(np.min(b)),
                "ess_tail": float(np.min(t)),
            }
        )
    df = pd.DataFrame(rows, columns=["variable", "rhat", "ess_bulk", "ess_tail"])
    diverging = sample_stats["diverging"].values if "diverging" in sample_stats else np.zeros(0)
    df.attrs["divergences"] = int(np.sum(diverging))
    df.attrs["n_draws"] = int(posterior.sizes["chain"] * posterior.sizes["draw"])
    return df


def check(diag: pd.DataFrame | None) -> list[str]:
    """Human warnings when NUTS did not converge well enough to trust the numbers.

    Thresholds: R-hat ≤ :data:`RHAT_MAX`, bulk and tail ESS ≥ :data:`ESS_MIN`, no
    divergent transitions. Empty when all hold (or when no NUTS ran).

    Parameters
    ----------
    diag : pandas.DataFrame or None
        A forecast's ``diagnostics`` table (None when no NUTS ran).

    Examples
    --------
    >>> df = pd.DataFrame({"variable": ["growth"], "rhat": [1.05], "ess_bulk": [900.0], "ess_tail": [800.0]})
    >>> df.attrs["divergences"] = 0
    >>> check(df)  # doctest: +ELLIPSIS
    ['R-hat of growth is 1.05 (above 1.01): ...']
    """
    if diag is None:
        return []
    out: list[str] = []
    advice = "run more draws (--draws) or treat these numbers as rough"
    for row in diag.to_dict("records"):
        name, rhat = row["variable"], float(row["rhat"])
        if rhat > RHAT_MAX:
            out.append(f"R-hat of {name} is {rhat:.3g} (above {RHAT_MAX}): the chains disagree, {advice}")
        for kind in ("bulk", "tail"):
            ess = float(row[f"ess_{kind}"])
            if ess < ESS_MIN:
                what = "its mean and median" if kind == "bulk" else "its 5% and 95% quantiles"
                out.append(
                    f"{kind} ESS of {name} is {ess:.0f} (below {ESS_MIN}): "
                    f"{what} rest on too few effective draws, {advice}"
                )
    n_div = int(diag.attrs.get("divergences", 0))
    if n_div:
        n = diag.attrs.get("n_draws")
        of = f" of {n} draws" if n else ""
        out.append(
            f"{n_div} divergent transitions{of}: NUTS could not follow the posterior everywhere, "
            "so it may be biased; check evidence that contradicts the inputs"
        )
    return out
