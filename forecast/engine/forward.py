"""Forward simulation: one compiled, batched call over all draws.

``pm.sample_prior_predictive`` calls its compiled function once per draw in a Python
loop. Here the model's root random variables are resized to a symbolic number of
draws (every standard-normal latent drawn from one ``(draws, total)`` block) and the
graph is vectorized with :func:`pytensor.graph.replace.vectorize_graph`, so one call
produces a chunk of draws at numpy speed (``benchmarks/forward.py``: ~250x PyMC's loop,
on par with a hand-written numpy version).

The compiled function is cached per model structure (:attr:`ModelData.structure`) and
reused for every scenario of that structure: the data are shared variables and every
dim length is symbolic, so the seed scenario, a three-market file and a bare
two-market file share one compile. PyTensor's and numba's on-disk caches (under
``PYTENSOR_FLAGS=base_compiledir``, default ``~/.pytensor``) serve it across processes,
with the rewritten function itself (:mod:`forecast.engine.function_cache`: a warm
process runs no rewrites, builds no model and imports no PyMC): ~30 s cold; warm, only
numba's linking and its load of the compiled graph. ``FORECAST_MODE`` picks the PyTensor mode (default ``NUMBA``;
the C backend, ``CVM``, compiles no faster and runs ~6x slower).

Examples
--------
>>> import forecast
>>> from forecast.engine.data import model_data
>>> d = model_data(forecast.load(forecast.bundled("deepseek"))).without_observations()
>>> sim = simulator(d)  # doctest: +SKIP
>>> sim(10_000, seed=1)["market_size"].shape  # doctest: +SKIP
(10000, 4, 5)
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.engine import function_cache
from forecast.engine.data import ModelData, model_data
from forecast.engine.formulas import FORMULA_LATENTS
from forecast.engine.model import INFERENCE_LATENTS, OUTPUTS, build_model
from forecast.engine.risk_effects import RISK_LATENTS
from forecast.scenario import Scenario

MODE = os.environ.get("FORECAST_MODE", "NUMBA")
CHUNK = 8192  # draws per call: intermediates stay in cache and memory bounded (benchmarks/forward.py)


@dataclass
class Simulator:
    """A compiled batched simulator for one model structure (get it from :func:`simulator`).

    Calling it, ``sim(n, seed)``, returns every output of :data:`forecast.engine.model.OUTPUTS`
    with a leading draw dim; ``compile_seconds`` is 0 when it came from the cache.
    """

    model: Any  # the pm.Model it was compiled from (None when read from the disk cache)
    fn: Any
    rngs: list[Any]
    outputs: list[str]
    inputs: list[str]
    compile_seconds: float
    input_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dims of the posterior inputs
    from_disk: bool = False  # read from :mod:`forecast.engine.function_cache`
    # one call at a time: the model's data, the generators and the compiled function's
    # own storage are shared by every call (two threads at once mixed their scenarios)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # what the model's shared variables hold now (read and written under ``lock``): the
    # data last loaded whole, and the arrays loaded over it since
    loaded: ModelData | None = field(default=None, repr=False, compare=False)
    loaded_over: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    # the function's data and dim lengths by name (the model's pm.Data and dims)
    shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        rngs = {id(r) for r in self.rngs}
        self.shared = {v.name: v for v in self.fn.get_shared() if v.name and id(v) not in rngs}

    def _set(self, name: str, value: Any) -> None:
        var = self.shared.get(name)
        if var is not None:  # arrays the rewritten graph does not read are not in it
            var.set_value(np.asarray(value, dtype=var.type.dtype))

    def load(self, data: ModelData, overrides: dict[str, np.ndarray] | None = None) -> None:
        """Put ``data`` with ``overrides`` (arrays of the same shapes) into the model:
        only the overridden arrays when ``data`` is the data already loaded, else
        everything. Call it holding :attr:`lock`."""
        overrides = overrides or {}
        if self.loaded is not data:
            # every dim length, then every array: what set_model_data does to the model
            for dim, values in data.coords.items():
                self._set(dim, len(values))
            for name, value in data.arrays().items():
                self._set(name, value)
            self.loaded, self.loaded_over = data, {}
        arrays = data.arrays() if (overrides or self.loaded_over) else {}
        for name in {*self.loaded_over, *overrides}:
            value = overrides.get(name, arrays[name])
            if self.loaded_over.get(name, arrays[name]) is not value:
                self._set(name, value)
        self.loaded_over = dict(overrides)

    def __call__(
        self, n: int, seed: int, posterior: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """``n`` draws of every output (leading draw dim); same seed, same draws.

        ``posterior`` (conditional simulators only) holds the inference latents, each
        with a leading dim of ``n``.
        """
        _reseed(self.rngs, seed)
        # The draw-batched products are tall and thin ((chunk * k, 5) @ (5, 6)): a
        # second BLAS thread only adds synchronisation; one thread ran ~2.5x faster.
        with one_blas_thread():
            return self._run(n, posterior)

    def _run(self, n: int, posterior: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            args: list[Any] = [np.int64(stop - start)]
            if self.inputs:
                assert posterior is not None
                args += [np.ascontiguousarray(posterior[name][start:stop]) for name in self.inputs]
            values = self.fn(*args)
            if stop - start == n:
                return {name: np.asarray(v) for name, v in zip(self.outputs, values, strict=True)}
            for name, value in zip(self.outputs, values, strict=True):
                # filled in place chunk by chunk: concatenating would hold every draw twice
                if name not in out:
                    out[name] = np.empty((n, *np.shape(value)[1:]), dtype=np.asarray(value).dtype)
                out[name][start:stop] = value
        return out


def _reseed(rngs: list[Any], seed: int) -> None:
    """``pymc.pytensorf.reseed_rngs`` (the same generators), without importing PyMC."""
    streams = np.random.SeedSequence(seed).spawn(len(rngs))
    for rng, stream in zip(rngs, streams, strict=True):
        rng.set_value(np.random.Generator(np.random.PCG64(stream)), borrow=True)


_CONTROLLER: list[Any] = []


def one_blas_thread() -> Any:
    """Context manager: BLAS runs on one thread inside it.

    The products here are small or tall and thin; a second OpenBLAS thread only
    adds synchronisation (and spins on the core the report's figure worker uses).

    Examples
    --------
    >>> with one_blas_thread():
    ...     _ = np.ones((3, 2)) @ np.ones((2, 3))
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def _blas_controller() -> Any:
    """One ``threadpoolctl`` controller per process (creating one scans the loaded libraries)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


_CACHE: dict[tuple[Any, ...], Simulator] = {}
# Rewrites that never change this graph but cost ~40% of its (warm) rewrite time: two
# look for diagonal or selection matrices in dots (the data matrices are shared
# variables, never provably so), one for slices that select everything (infers every
# symbolic shape to find none)
_USELESS_REWRITES = ("dot_diag_to_elemwise", "selection_dot_to_indexing", "local_useless_subtensor")
COMPILE_COUNT = 0  # how many graphs this process compiled (tests keep it small)


def _compile(data: ModelData, conditional: bool) -> Simulator:
    """The simulator of this structure: read from the disk cache, else compiled (and
    written there for the next process)."""
    global COMPILE_COUNT
    t0 = time.perf_counter()
    key = function_cache.cache_key(data.structure, conditional=conditional, mode=MODE)
    cached = function_cache.load(key)
    if cached is not None:
        sim = Simulator(
            None,
            cached.fn,
            cached.rngs,
            cached.outputs,
            cached.inputs,
            0.0,
            cached.input_dims,
            from_disk=True,
        )
        COMPILE_COUNT += 1
    else:
        sim = _compile_graph(data, conditional)
        function_cache.store(key, sim.fn, sim.rngs, sim.outputs, sim.inputs, sim.input_dims)
    if not conditional:
        sim(1, 0)  # numba compiles (or loads from its cache) on the first call: count that too
    sim.compile_seconds = time.perf_counter() - t0
    return sim


def _compile_graph(data: ModelData, conditional: bool) -> Simulator:
    """Vectorize the model over draws and compile it once."""
    import pymc as pm
    import pytensor.tensor as pt
    from pymc.distributions.shape_utils import change_dist_size
    from pytensor.compile.mode import get_mode
    from pytensor.graph.replace import vectorize_graph

    global COMPILE_COUNT
    model = build_model(data, predictive=True)
    n = pt.scalar("n", dtype="int64")
    replace: dict[Any, Any] = {}
    inputs: list[Any] = [n]
    input_names: list[str] = []
    normals: list[Any] = []
    for rv in model.free_RVs:
        name = rv.name
        if conditional and name in INFERENCE_LATENTS:
            # posterior draws come in with a leading draw dim
            var = pt.tensor(name, shape=(None, *([None] * rv.ndim)), dtype=rv.dtype)
            replace[rv] = var
            inputs.append(var)
            input_names.append(name)
        elif _is_root(rv, model):
            if _is_standard_normal(rv):
                normals.append(rv)
            else:
                replace[rv] = change_dist_size(rv, new_size=(n,), expand=True)
    # the formulas' latents in a block of their own, from a generator of their own: a
    # block continuing the others' stream made the next chunk's draws start where the
    # formulas' did (one call and chunks gave other draws; a chunk reused the numbers its
    # predecessor gave the formulas)
    own = FORMULA_LATENTS + RISK_LATENTS
    replace.update(_normal_block([rv for rv in normals if rv.name not in own], n))
    replace.update(_normal_block([rv for rv in normals if rv.name in FORMULA_LATENTS], n))
    # the risks' latents (forecast.engine.risk_effects) too: the formulas' draws do not
    # change when a risk's effect is added to a file
    replace.update(_normal_block([rv for rv in normals if rv.name in RISK_LATENTS], n))
    names = [name for name in OUTPUTS if name in model.named_vars]  # metrics only when the file has some
    _register_view_rule()
    outputs = vectorize_graph([model[name] for name in names], replace=replace)
    # shape asserts guard against inconsistent data; model_data builds consistent
    # arrays, and dropping them leaves fewer nodes for numba to compile
    mode = get_mode(MODE).including("local_remove_all_assert").excluding(*_USELESS_REWRITES)
    fn, updates = pm.compile(inputs, outputs, random_seed=0, mode=mode, return_updates=True)
    COMPILE_COUNT += 1
    dims = {name: tuple(model.named_vars_to_dims.get(name, ())) for name in input_names}
    return Simulator(model, fn, list(updates), names, input_names, 0.0, dims)


def _register_view_rule() -> None:
    """Vectorize a ``ViewOp`` (what ``pm.Deterministic`` wraps) as a plain ``ViewOp``.

    Without this rule ``vectorize_graph`` wraps it in ``Blockwise(ViewOp)``, which no
    rewrite removes and which copies every deterministic draw by draw; a ``ViewOp`` on
    the batched input is the same identity, and is rewritten away.
    """
    from pytensor.compile import ViewOp
    from pytensor.graph.replace import _vectorize_node, _vectorize_not_needed

    if ViewOp not in _vectorize_node.registry:
        _vectorize_node.register(ViewOp, _vectorize_not_needed)


def _is_standard_normal(rv: Any) -> bool:
    """Whether ``rv`` is ``Normal(0, 1)`` with constant parameters."""
    from pytensor.graph.basic import Constant
    from pytensor.tensor.random.basic import NormalRV

    if not isinstance(rv.owner.op, NormalRV):
        return False
    from pytensor.tensor.elemwise import DimShuffle

    def value(x: Any) -> Any:
        # PyMC broadcasts scalar parameters to the dims with ExpandDims
        while x.owner is not None and isinstance(x.owner.op, DimShuffle):
            x = x.owner.inputs[0]
        return x.data if isinstance(x, Constant) else None

    loc, scale = (value(p) for p in rv.owner.op.dist_params(rv.owner))
    return loc is not None and scale is not None and bool(np.all(loc == 0) and np.all(scale == 1))


def _normal_block(normals: list[Any], n: Any) -> dict[Any, Any]:
    """Draw every standard-normal root variable from one ``(n, total)`` block.

    Same distribution as resizing each one (all are independent ``N(0, 1)``), but one
    random-variable node instead of one per latent: numba compiles a specialised
    sampler per node, so this cuts cold compile time, and one long loop is faster.
    The block has a generator of its own (reseeded by ``pm.compile`` and per call).
    """
    import pytensor
    import pytensor.tensor as pt

    if not normals:
        return {}
    sizes = [pt.prod(rv.shape) if rv.ndim else pt.constant(1, dtype="int64") for rv in normals]
    rng = pytensor.shared(np.random.default_rng())
    total = pt.add(*sizes) if len(sizes) > 1 else sizes[0]
    # the generator's next state is the block's default update (pm.compile collects it)
    _, block = pt.random.normal(0.0, 1.0, size=(n, total), rng=rng, return_next_rng=True)
    out, start = {}, pt.constant(0, dtype="int64")
    for rv, size in zip(normals, sizes, strict=True):
        stop = start + size
        if rv.ndim == 0:
            out[rv] = block[:, start]
        elif rv.ndim == 1:
            out[rv] = block[:, start:stop]
        else:
            shape = (n, *(rv.shape[i] for i in range(rv.ndim)))
            out[rv] = block[:, start:stop].reshape(shape, ndim=rv.ndim + 1)
        start = stop
    return out


def _is_root(rv: Any, model: Any) -> bool:
    from pytensor.graph.traversal import ancestors

    others = set(model.basic_RVs) - {rv}
    return not any(a in others for a in ancestors(rv.owner.inputs))


def simulator(data: ModelData, *, conditional: bool = False) -> LoadedSimulator:
    """The cached simulator for this structure, loaded with ``data``.

    With ``conditional=True`` the inference latents (:data:`INFERENCE_LATENTS`) are
    inputs instead of random: ``sim(n, seed, posterior={name: draws})`` gives the
    posterior predictive of every output in one call.

    Examples
    --------
    >>> import forecast
    >>> from forecast.engine.data import model_data
    >>> d = model_data(forecast.load(forecast.bundled("ev-charging"))).without_observations()
    >>> simulator(d)(1000, seed=1)["prediction_hit"].mean(axis=0)  # doctest: +SKIP
    """
    key = (data.structure, conditional)
    with _CACHE_LOCK:
        sim = _CACHE.get(key)
        fresh = sim is None
        if sim is None:
            sim = _CACHE[key] = _compile(data, conditional)
    return LoadedSimulator(sim, data, sim.compile_seconds if fresh else 0.0)


# compiles one structure at a time: two threads asking for a new one compile it once
_CACHE_LOCK = threading.Lock()


@dataclass
class LoadedSimulator:
    """A cached :class:`Simulator` with one scenario's data, safe to call from any thread.

    Each call loads ``data`` into the shared compiled model and simulates under the
    simulator's lock, so concurrent calls (notebooks, web servers, sweeps) never see
    each other's data; calls on different structures run side by side.
    """

    simulator: Simulator
    data: ModelData
    compile_seconds: float
    # arrays that replace the data's own in this simulator's calls (same shapes)
    overrides: dict[str, np.ndarray] = field(default_factory=dict)

    def with_arrays(self, overrides: dict[str, np.ndarray]) -> LoadedSimulator:
        """The same simulator with some of the data's arrays replaced (same shapes).

        A call loads only those arrays when the model holds this data already (the
        tornado's runs differ in a few small arrays: reloading every array and dim of
        a large scenario per run cost more than its draws), and everything when another
        caller loaded other data in between; both under the simulator's lock, so it is
        as safe beside other threads as a full load, and gives the same draws as
        ``simulator(dataclasses.replace(data, **overrides))``.

        Examples
        --------
        >>> import forecast
        >>> from forecast.engine.data import model_data
        >>> d = model_data(forecast.load(forecast.bundled())).without_observations()
        >>> fixed = simulator(d).with_arrays({"size_b": 0 * d.size_b})  # doctest: +SKIP
        >>> fixed(1000, seed=1)["size"].std(axis=0)  # doctest: +SKIP
        array([0., 0., 0., 0.])
        """
        arrays = self.data.arrays()
        bad = [
            f"{k} {np.shape(v)} (data: {np.shape(arrays[k]) if k in arrays else 'no such array'})"
            for k, v in overrides.items()
            if k not in arrays or np.shape(v) != np.shape(arrays[k])
        ]
        if bad:
            raise ValueError(f"overrides must be arrays of the data with the same shapes: {', '.join(bad)}")
        return LoadedSimulator(
            self.simulator, self.data, 0.0, {k: np.asarray(v) for k, v in overrides.items()}
        )

    @property
    def model(self) -> Any:
        """The pm.Model the simulator was compiled from; for one read from the disk cache,
        the same model built afresh (for its names and dims: it does not feed the function)."""
        if self.simulator.model is None:
            self.simulator.model = build_model(self.data, predictive=True)
        return self.simulator.model

    @property
    def fn(self) -> Any:
        return self.simulator.fn

    @property
    def inputs(self) -> list[str]:
        return self.simulator.inputs

    @property
    def outputs(self) -> list[str]:
        return self.simulator.outputs

    def __call__(
        self, n: int, seed: int, posterior: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """``n`` draws of every output, as :meth:`Simulator.__call__`."""
        with self.simulator.lock:
            self.simulator.load(self.data, self.overrides)
            return self.simulator(n, seed, posterior)


def forward(
    scenario: Scenario, draws: int, seed: int, data: ModelData | None = None
) -> tuple[dict[str, np.ndarray], float]:
    """Forward-simulate ``draws`` draws; returns arrays with a leading draw dim.

    ``data`` is ``model_data(scenario)`` when the caller has it (its time is then the
    caller's to report: the outcome calibration is a fixed cost of its own)."""
    data = model_data(scenario) if data is None else data
    sim = simulator(data.without_observations())
    return sim(draws, seed), sim.compile_seconds
