"""Stage 2, the engine: scenario -> numbers.

:func:`compute` is the one entry point. It decides between forward simulation (no
evidence: one batched, compiled call over all draws, :mod:`forecast.engine.forward`)
and inference (evidence or observed signposts: NUTS, then a batched posterior
predictive, :mod:`forecast.engine.inference`). The model itself
(:mod:`forecast.engine.model`) turns a validated scenario into arrays and a
``pm.Model`` with named dims; compiled simulators and samplers are cached per
model structure, and the forward simulator's rewritten function also on disk across
processes (:mod:`forecast.engine.function_cache`).
"""

from __future__ import annotations

import time
from typing import Any

from forecast.engine.result import Computed
from forecast.scenario import Scenario


def compute(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    prior_only: bool = False,
    sampler: str | None = None,
    progress: bool = False,
    data: Any = None,
    data_seconds: float = 0.0,
) -> Computed:
    """Draws for ``scenario``: forward simulation, or NUTS when there is evidence.

    Parameters
    ----------
    scenario : Scenario
    draws : int
        Number of draws requested.
    seed : int
        Same seed, same numbers.
    prior_only : bool
        Ignore evidence and observed signposts (forward simulation only).
    sampler : {"nutpie", "pymc"}, optional
        NUTS implementation when evidence is present.
    progress : bool
        Show sampler progress.
    data : ModelData, optional
        ``model_data(scenario)`` when the caller built it already (forward simulation
        only), with ``data_seconds``, the time it took (the manifest's ``data`` step).

    Examples
    --------
    >>> import forecast
    >>> c = compute(forecast.load(forecast.bundled()), draws=1000, seed=1)  # doctest: +SKIP
    >>> sorted(c.data.children)  # doctest: +SKIP
    ['constant_data', 'prior', 'prior_predictive']
    """
    if scenario.has_evidence and not prior_only:
        from forecast.engine.inference import infer

        return infer(scenario, draws=draws, seed=seed, sampler=sampler, progress=progress)
    from forecast.engine.data import model_data
    from forecast.engine.forward import forward

    t0 = time.perf_counter()
    if data is None:
        data = model_data(scenario)  # the outcome calibration: a fixed cost, timed apart
        data_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    values, compile_s = forward(scenario, draws, seed, data)
    timings = {"data": data_seconds, "compile": compile_s, "simulate": time.perf_counter() - t1 - compile_s}
    return Computed.from_draws(
        scenario, values, seed=seed, timings=timings, prior_only=prior_only, coords=data.coords
    )


__all__ = ["Computed", "compute"]
