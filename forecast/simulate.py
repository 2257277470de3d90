"""Forward simulation: one compiled, batched call over all draws.

``pm.sample_prior_predictive`` calls its compiled function once per draw in a Python
loop. Here the model's root random variables are resized to a symbolic number of
draws and the graph is vectorized, so a single call produces every draw at numpy
speed. The compiled function is cached per model structure and reused for every
scenario of that structure (the data are shared variables, the shapes symbolic);
PyTensor's on-disk cache serves it across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.model import INFERENCE_LATENTS, OUTPUTS, ModelData, build_model, model_data, set_model_data
from forecast.scenario import Scenario

if TYPE_CHECKING:
    from forecast.results import Forecast

MODE = "NUMBA"
CHUNK = 250_000  # draws per call: bounds peak memory for very large runs


@dataclass
class Simulator:
    """A compiled batched simulator for one model structure."""

    model: Any
    fn: Any
    rngs: list[Any]
    outputs: list[str]
    inputs: list[str]
    compile_seconds: float

    def __call__(self, n: int, seed: int, posterior: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        from pymc.pytensorf import reseed_rngs

        reseed_rngs(self.rngs, seed)
        out: dict[str, list[np.ndarray]] = {name: [] for name in self.outputs}
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            args = [np.int64(stop - start)]
            if self.inputs:
                assert posterior is not None
                args += [np.ascontiguousarray(posterior[name][start:stop]) for name in self.inputs]
            for name, value in zip(self.outputs, self.fn(*args), strict=True):
                out[name].append(np.asarray(value))
        return {k: np.concatenate(v) if len(v) > 1 else v[0] for k, v in out.items()}


_CACHE: dict[tuple[Any, ...], Simulator] = {}
COMPILE_COUNT = 0  # how many graphs this process compiled (tests keep it small)


def _compile(data: ModelData, conditional: bool) -> Simulator:
    """Vectorize the model over draws and compile it once."""
    import pymc as pm
    import pytensor.tensor as pt
    from pymc.distributions.shape_utils import change_dist_size
    from pytensor.graph.replace import vectorize_graph

    global COMPILE_COUNT
    t0 = time.perf_counter()
    model = build_model(data, predictive=True)
    n = pt.scalar("n", dtype="int64")
    replace: dict[Any, Any] = {}
    inputs: list[Any] = [n]
    input_names: list[str] = []
    for rv in model.free_RVs:
        name = rv.name
        if conditional and name in INFERENCE_LATENTS:
            # posterior draws come in with a leading draw dim
            var = pt.tensor(name, shape=(None, *([None] * rv.ndim)), dtype=rv.dtype)
            replace[rv] = var
            inputs.append(var)
            input_names.append(name)
        elif _is_root(rv, model):
            replace[rv] = change_dist_size(rv, new_size=(n,), expand=True)
    names = list(OUTPUTS)
    outputs = vectorize_graph([model[name] for name in names], replace=replace)
    fn, updates = pm.compile(inputs, outputs, random_seed=0, mode=MODE, return_updates=True)
    COMPILE_COUNT += 1
    sim = Simulator(model, fn, list(updates), names, input_names, 0.0)
    if not conditional:
        sim(1, 0)  # numba compiles on the first call: count that as compile time
    sim.compile_seconds = time.perf_counter() - t0
    return sim


def _is_root(rv: Any, model: Any) -> bool:
    from pytensor.graph.traversal import ancestors

    others = set(model.basic_RVs) - {rv}
    return not any(a in others for a in ancestors(rv.owner.inputs))


def simulator(data: ModelData, *, conditional: bool = False) -> Simulator:
    """The cached simulator for this structure, loaded with ``data``."""
    key = (data.structure, conditional)
    sim = _CACHE.get(key)
    if sim is None:
        sim = _CACHE[key] = _compile(data, conditional)
    else:
        sim.compile_seconds = 0.0
    set_model_data(sim.model, data)
    return sim


def forward(scenario: Scenario, draws: int, seed: int) -> tuple[dict[str, np.ndarray], float]:
    """Forward-simulate ``draws`` draws; returns arrays with a leading draw dim."""
    sim = simulator(model_data(scenario).without_observations())
    return sim(draws, seed), sim.compile_seconds


def simulate(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    prior_only: bool = False,
    sampler: str | None = None,
    progress: bool = False,
) -> Forecast:
    """Simulate a scenario and return a :class:`~forecast.results.Forecast`.

    Without evidence (or with ``prior_only=True``) this is forward simulation in one
    batched call. With evidence or observed signposts it runs NUTS and a batched
    posterior predictive (see :mod:`forecast.inference`).

    Parameters
    ----------
    scenario : Scenario
    draws : int, optional
        Number of draws; defaults to ``scenario.simulation.draws``.
    seed : int, optional
        Seed; defaults to ``scenario.simulation.seed``. Same seed, same numbers.
    prior_only : bool
        Ignore evidence and observed signposts.
    sampler : {"nutpie", "pymc"}, optional
        NUTS implementation when evidence is present.
    progress : bool
        Show sampler progress.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> fc = forecast.simulate(s, draws=1000, seed=1)  # doctest: +SKIP
    >>> fc.outcomes()[["outcome", "probability"]]  # doctest: +SKIP
    """
    from forecast.results import Forecast

    draws = draws or scenario.simulation.draws
    seed = scenario.simulation.seed if seed is None else seed
    if scenario.has_evidence and not prior_only:
        from forecast.inference import infer

        return infer(scenario, draws=draws, seed=seed, sampler=sampler, progress=progress)
    t0 = time.perf_counter()
    values, compile_s = forward(scenario, draws, seed)
    timings = {"compile": compile_s, "simulate": time.perf_counter() - t0 - compile_s}
    return Forecast.from_draws(scenario, values, seed=seed, timings=timings, prior_only=prior_only)
