"""Issue 30: the compiled forward simulator against the random-number floor.

The floor is numpy's generator (PCG64, as the simulator's) drawing what one draw of
the seed needs: 47 standard normals, a 3-way Dirichlet (the seed's own ``alpha``),
3 exponentials and a uniform, in the simulator's chunks of ``CHUNK`` draws (each chunk
released: the floor writes no outputs). The simulator is
``simulator(model_data(s).without_observations())(n, seed)``, warm. Both by CPU time
(``time.process_time``) in one process, alternately, ``--runs`` times each; medians.

Usage::

    uv run python benchmarks/floor.py [--draws 100000,1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

import numpy as np


def floor(n: int, alpha: np.ndarray, rng: np.random.Generator, chunk: int) -> None:
    """Draw what ``n`` draws of the seed need, ``chunk`` draws at a time."""
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        rng.standard_normal((m, 47))
        rng.dirichlet(alpha, m)
        rng.exponential(size=(m, 3))
        rng.uniform(size=m)


def _cpu(fn: Callable[[], object]) -> float:
    gc.collect()
    c = time.process_time()
    out = fn()
    took = time.process_time() - c
    del out
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import forecast
    from forecast.engine.data import model_data
    from forecast.engine.forward import CHUNK, one_blas_thread, simulator

    s = forecast.load(forecast.bundled())
    data = model_data(s)
    alpha = np.asarray(data.alpha, dtype=float)
    sim = simulator(data.without_observations())
    sim(1000, 1)  # warm
    load = [os.getloadavg()[0]]
    print(f"seed: {len(sim.outputs)} outputs; Dirichlet alpha {np.round(alpha, 2).tolist()}")
    print(f"{'draws':>10}{'floor us/draw':>15}{'simulator us/draw':>19}{'ratio':>7}")
    for n in (int(d) for d in args.draws.split(",")):
        times: dict[str, list[float]] = {"floor": [], "simulator": []}
        for run in range(args.runs):
            rng = np.random.default_rng(run)
            with one_blas_thread():
                times["floor"].append(_cpu(lambda n=n, rng=rng: floor(n, alpha, rng, CHUNK)))
            times["simulator"].append(_cpu(lambda n=n, run=run: sim(n, run)))
            load.append(os.getloadavg()[0])
        f, m = (statistics.median(times[k]) / n * 1e6 for k in ("floor", "simulator"))
        print(f"{n:>10,}{f:15.3f}{m:19.3f}{m / f:7.2f}")
    print(f"(median of {args.runs}, alternating, one process; load average {min(load):.1f}-{max(load):.1f})")


if __name__ == "__main__":
    main()
