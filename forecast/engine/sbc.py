"""The fits of a simulation-based calibration check (Talts et al. 2018), as executor jobs.

Simulation-based calibration draws parameters from the prior, simulates the
observations, conditions on them with NUTS and ranks the true values among the
posterior draws; ranks that are not uniform mean a wrong sampler or likelihood.
The many NUTS fits are independent, so they run as jobs of an
:class:`~forecast.engine.executor.Executor` (in this process, or on a Dask
cluster). A job carries data only: the scenario's resolved inputs (TOML), the
simulated observations, the changes that make a deliberately wrong model (the
check's negative controls), the sampler settings and the seed. A worker builds the
scenario's model data once and its compiled sampler once per structure, then swaps
only the observations (nutpie's ``with_data``) for every later fit, so the fits'
draws do not depend on where they ran.

:func:`posteriors` runs the fits; the ranks, and the quantities they rank, are the
check's own (``tests/engine/test_sbc.py``).

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled("deepseek-update"))
>>> obs = [{"evidence_log": np.array([2.1]), "obs_signpost": np.array([1])}]
>>> post = posteriors(s, obs, tune=200, draws=99, thin=2, seed=1)  # doctest: +SKIP
>>> post["right"][0]["z_growth"].shape  # doctest: +SKIP
(99, 4)
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from forecast.engine.data import ModelData
    from forecast.engine.executor import Executor
    from forecast.scenario import Scenario

#: the label of the scenario's own model in :func:`posteriors`
RIGHT = "right"

#: per worker process: a scenario's TOML digest -> its model data (built once per scenario)
_WORKER_DATA: dict[str, ModelData] = {}
_WORKER_DATA_MAX = 4


def posteriors(
    scenario: Scenario,
    observed: Sequence[Mapping[str, np.ndarray]],
    *,
    models: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    tune: int,
    draws: int,
    thin: int = 1,
    seed: int,
    executor: Executor | None = None,
) -> dict[str, list[dict[str, np.ndarray]]]:
    """One NUTS fit per simulated data set and model; the thinned posterior draws.

    Parameters
    ----------
    scenario : Scenario
        Its model (structure, priors, likelihood) is the one fitted.
    observed : sequence of dict
        Per simulation, the model-data arrays that hold its observations, e.g.
        ``{"evidence_log": ..., "obs_signpost": ...}``.
    models : dict, optional
        Label -> model-data arrays replaced to make that model (``{}``: the
        scenario's own). Default ``{"right": {}}``. Every simulation is fitted under
        every model, with the same seed.
    tune, draws, thin : int
        One chain of ``tune`` tuning steps and ``draws * thin`` draws, of which
        every ``thin``-th is kept (the last of each group), ``draws`` in all.
    seed : int
        Simulation ``i`` is fitted with seed ``seed + i`` under every model.
    executor : Executor, optional
        Runs the fits as jobs (default: one after the other, here). The draws are
        the same whatever runs them.

    Returns
    -------
    dict
        Label -> one dict per simulation, in order: latent name -> draws
        ``(draws, ...)``.

    Raises
    ------
    forecast.engine.executor.JobFailed
        The first fit that failed, naming its job.
    """
    from forecast.engine.executor import JobFailed

    models = {RIGHT: {}} if models is None else models
    common = {
        "toml": scenario.to_toml(),
        "origin": scenario.origin,
        "tune": tune,
        "draws": draws,
        "thin": thin,
    }
    labels = list(models)
    jobs = [
        {**common, "observed": dict(obs), "changes": dict(models[label]), "seed": seed + i}
        for i, obs in enumerate(observed)
        for label in labels
    ]
    out: dict[str, list[dict[str, np.ndarray]]] = {label: [{} for _ in observed] for label in labels}
    if executor is None:
        results: Any = ((j, fit_job(job)) for j, job in enumerate(jobs))
    else:
        results = executor.map(fit_job, jobs)
    for j, result in results:
        if isinstance(result, JobFailed):
            raise result
        out[labels[j % len(labels)]][j // len(labels)] = result
    return out


def fit_job(job: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """One fit of :func:`posteriors` from its job data (runs on a worker)."""
    from forecast.engine.inference import nuts

    data = dataclasses.replace(_model_data(job["toml"], job["origin"]), **job["observed"], **job["changes"])
    thin = int(job["thin"])
    res = nuts(data, chains=1, tune=int(job["tune"]), draws=int(job["draws"]) * thin, seed=int(job["seed"]))
    post = res.posterior.isel(chain=0, draw=slice(thin - 1, None, thin))
    return {str(k): np.asarray(v.values) for k, v in post.data_vars.items()}


def _model_data(toml: str, origin: Any) -> ModelData:
    from forecast.engine.data import model_data
    from forecast.scenario import Scenario

    key = hashlib.sha256(toml.encode()).hexdigest()
    found = _WORKER_DATA.get(key)
    if found is None:
        if len(_WORKER_DATA) >= _WORKER_DATA_MAX:
            _WORKER_DATA.clear()
        found = _WORKER_DATA[key] = model_data(Scenario.from_dict(tomllib.loads(toml), origin=origin))
    return found
