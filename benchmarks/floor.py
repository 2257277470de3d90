"""Issue 30: the compiled forward simulator against the random-number floor.

The floor is numpy's generator (PCG64, as the simulator's) drawing what one draw of a
scenario needs, read from the compiled graph itself (:func:`random_draws`: every
random-variable node of the simulator's rewritten graph and how many numbers it draws
a draw; for the seed now 52 standard normals in two blocks, 3 exponentials, a 3-way
Dirichlet with the file's ``alpha`` and a categorical, i.e. one uniform), in the
simulator's chunks of ``CHUNK`` draws (each chunk released: the floor writes no
outputs). The simulator is ``simulator(model_data(s).without_observations())(n, seed)``,
warm. Both by CPU time (``time.process_time``), medians of ``--runs``.

With ``--old COMMIT`` each run is two processes, alternately: this checkout's code and
COMMIT's (a detached ``git worktree`` under ``/tmp``, removed at the end), each timing
its own floor and simulator.

Usage::

    uv run python benchmarks/floor.py [--draws 100000,1000000] [--runs 5] [--old 1318f29]
        [--scenario deepseek]
    uv run python benchmarks/floor.py --profile --draws 100000 [--scenario ev-charging]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent.parent


def random_draws(fn: Any, n: int = 10) -> list[tuple[str, int]]:
    """Each random-variable node of the compiled function ``fn``: its distribution and
    how many numbers it draws a draw (the graph run on ``n`` draws by PyTensor's Python
    implementations, its outputs' shapes read)."""
    from pytensor.link.basic import PerformLinker

    graph = fn.maker.fgraph.clone()
    nodes = [nd for nd in graph.toposort() if type(nd.op).__name__ == "RandomVariableWithCoreShape"]
    for nd in nodes:
        graph.add_output(nd.outputs[1])
    thunk, inputs, outputs = PerformLinker().accept(graph).make_thunk()
    values = [np.array(n, dtype="int64")] + [c.data for c in fn.input_storage[1:]]
    for storage, value in zip(inputs, values, strict=True):
        storage.storage[0] = value
    thunk()
    out = []
    for nd, o in zip(nodes, outputs[-len(nodes) :], strict=True):
        name = str(next(a.op for a in nd.op.fgraph.apply_nodes if hasattr(a.op, "dist_params")))
        out.append((name.split("{")[0], int(np.prod(o.storage[0].shape)) // n))
    return out


def floor(
    n: int, plan: list[tuple[str, int]], alpha: np.ndarray, rng: np.random.Generator, chunk: int
) -> None:
    """Draw what ``n`` draws need (``plan``: :func:`random_draws`), ``chunk`` draws at a time."""
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        for dist, k in plan:
            if dist == "normal_rv":
                rng.standard_normal((m, k))
            elif dist == "exponential_rv":
                rng.exponential(size=(m, k))
            elif dist == "dirichlet_rv":
                rng.dirichlet(alpha, m)
            elif dist == "categorical_rv":
                rng.random((m, k))  # one uniform a categorical draw
            else:
                raise ValueError(f"no floor for {dist}")


def node_profile(sim: Any, n: int, chunk: int, top: int = 15) -> list[tuple[float, str]]:
    """CPU seconds per node of the compiled simulator over ``n`` draws, the ``top`` costliest.

    The numba backend compiles the whole graph into one function, so PyTensor's
    ``profile=True`` has no per-node times: here each node's own numba function is
    called in turn from Python (the graph as PyTensor's ``fgraph_to_python`` writes it)
    on the real intermediates, timed by ``time.process_time``.
    """
    import numba
    from pytensor.link.numba.dispatch.basic import numba_funcify, numba_typify
    from pytensor.link.utils import fgraph_to_python

    times: dict[int, float] = {}
    labels: dict[int, str] = {}

    def convert(op: Any, node: Any = None, **kwargs: Any) -> Any:
        inner = numba_funcify(op, node=node, **kwargs)
        names = ", ".join(f"a{i}" for i in range(len(node.inputs)))
        env = {"inner": inner}  # PyTensor's node functions have no Python wrapper: jit one
        exec(f"def call({names}):\n    return inner({names})", env)
        jitted, key = numba.njit(env["call"]), id(node)
        labels[key] = f"{str(op)[:90]} -> {', '.join(str(o.type) for o in node.outputs)[:50]}"
        times[key] = 0.0

        def timed(*args: Any) -> Any:
            c = time.process_time()
            out = jitted(*args)
            times[key] += time.process_time() - c
            return out

        return timed

    def typify(value: Any, variable: Any = None, **kwargs: Any) -> Any:
        return numba_typify(value, variable=variable, **kwargs)

    py = fgraph_to_python(sim.fn.maker.fgraph, convert, type_conversion_fn=typify, fgraph_name="profiled")
    values = [c.data for c in sim.fn.input_storage]

    def run(m: int) -> None:
        py(np.array(m, dtype="int64"), *values[1:])

    run(chunk)  # compiles each node
    times.update(dict.fromkeys(times, 0.0))
    for start in range(0, n, chunk):
        run(min(chunk, n - start))
    total = sum(times.values())
    ranked = sorted(times.items(), key=lambda kv: -kv[1])[:top]
    return [(t / total, labels[k]) for k, t in ranked]


def _cpu(fn: Callable[[], object]) -> float:
    gc.collect()
    c = time.process_time()
    out = fn()
    took = time.process_time() - c
    del out
    return took


def child(draws: list[int], runs: int, scenario: str | None) -> dict[str, Any]:
    """This process's code: the floor and the simulator, CPU seconds per size, ``runs`` each."""
    import forecast
    from forecast.engine.data import model_data
    from forecast.engine.forward import CHUNK, one_blas_thread, simulator

    s = forecast.load(forecast.bundled(scenario) if scenario else forecast.bundled())
    data = model_data(s)
    alpha = np.asarray(data.alpha, dtype=float)
    sim = simulator(data.without_observations())
    sim(1000, 1)  # warm
    plan = random_draws(sim.fn)
    times: dict[str, list[list[float]]] = {"floor": [], "simulator": []}
    for n in draws:
        for key in times:
            times[key].append([])
        for run in range(runs):
            rng = np.random.default_rng(run)
            with one_blas_thread():
                times["floor"][-1].append(_cpu(lambda n=n, rng=rng: floor(n, plan, alpha, rng, CHUNK)))
            times["simulator"][-1].append(_cpu(lambda n=n, run=run: sim(n, run)))
    return {"plan": plan, "outputs": len(sim.outputs), "alpha": alpha.tolist(), **times}


def _profile(n: int, scenario: str | None) -> None:
    import forecast
    from forecast.engine.data import model_data
    from forecast.engine.forward import CHUNK, one_blas_thread, simulator

    s = forecast.load(forecast.bundled(scenario) if scenario else forecast.bundled())
    sim = simulator(model_data(s).without_observations())
    sim(1000, 1)  # warm, and the shared data loaded
    with one_blas_thread():
        ranked = node_profile(sim, n, CHUNK)
    print(
        f"{scenario or 'seed'}, {n:,} draws: share of the nodes' CPU time (load average {os.getloadavg()[0]:.1f})"
    )
    for share, label in ranked:
        print(f"{100 * share:6.1f}%  {label}")


def _checkout(commit: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"floor-old-{commit}"
    if not path.exists():
        subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(path), commit], check=True)
    return path


def _spawn(code: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, __file__, "--child", "--draws", args.draws, "--runs", "1"]
    cmd += ["--scenario", args.scenario] if args.scenario else []
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old", help="a commit to compare with, in alternating processes")
    parser.add_argument("--scenario", help="a bundled scenario (default: the seed)")
    parser.add_argument("--profile", action="store_true", help="a per-node profile of this code")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    draws = [int(d) for d in args.draws.split(",")]
    if args.profile:
        _profile(draws[0], args.scenario)
        return
    if args.child:
        print(json.dumps(child(draws, args.runs, args.scenario)))
        return
    codes = {"new": HERE} | ({"old": _checkout(args.old)} if args.old else {})
    load = [os.getloadavg()[0]]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in codes}
    try:
        for _ in range(args.runs):
            for name, code in codes.items():
                results[name].append(_spawn(code, args))
                load.append(os.getloadavg()[0])
    finally:
        if args.old:
            subprocess.run(
                ["git", "-C", str(HERE), "worktree", "remove", "--force", str(codes["old"])], check=False
            )
    for name, res in results.items():
        print(f"{name}: {res[0]['outputs']} outputs; random numbers a draw: {res[0]['plan']}")
    print(
        f"{'code':>5}{'draws':>11}{'floor us/draw':>15}{'simulator us/draw':>19}{'ratio':>7}  simulator range"
    )
    for i, n in enumerate(draws):
        for name, res in results.items():
            f = statistics.median(r["floor"][i][0] for r in res) / n * 1e6
            sims = [r["simulator"][i][0] / n * 1e6 for r in res]
            m = statistics.median(sims)
            print(f"{name:>5}{n:>11,}{f:15.3f}{m:19.3f}{m / f:7.2f}  {min(sims):.3f}-{max(sims):.3f}")
    print(
        f"(median of {args.runs} processes each, alternating; load average {min(load):.1f}-{max(load):.1f})"
    )


if __name__ == "__main__":
    main()
