"""``forecast.simulate`` from several threads at once gives the sequential answers.

Notebooks, web servers and sweeps call the API concurrently. The compiled simulator
is cached per model structure and shared by every scenario of that structure, so
each call must load its own scenario's data and run without another thread's data
slipping in (before the fix: wrong probabilities with no error, or "conflicting
sizes for dimension 'market'"). Runs on every CI run: no compile of its own (the
bundled scenarios share the session's simulator) and a few hundred draws per call.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

import forecast
from forecast.engine.model import recorded

ROUNDS = 6
THREADS = 4


def _cases() -> list[tuple[Any, int, int]]:
    """Scenarios of the same size (the seed and its overrides), of another size
    (ev-charging: 3 markets, not 4) and different draw counts (one spans two chunks)."""
    seed = forecast.load(forecast.bundled("deepseek"))
    ev = forecast.load(forecast.bundled("ev-charging"))
    return [
        (seed, 600, 1),
        (ev, 800, 2),
        (seed.with_overrides({"markets.developer_tools.cagr": 0.10}), 600, 3),
        (ev.with_overrides({"assessment.confidence": 50}), 500, 4),
        (seed.with_overrides({"assessment.confidence": 5}), 700, 5),
        (seed, 600, 6),
    ]


def _tables(fc: Any) -> tuple[pd.DataFrame, ...]:
    return fc.markets(), fc.outcomes(), fc.predictions()


def test_concurrent_simulations_equal_sequential_ones() -> None:
    cases = _cases()
    expected = [forecast.simulate(s, draws=n, seed=k) for s, n, k in cases]
    start = threading.Barrier(THREADS)

    def one(i: int) -> Any:
        s, n, k = cases[i]
        if i < THREADS:
            start.wait(timeout=60)  # the first calls of a round start together
        return forecast.simulate(s, draws=n, seed=k)

    for round_ in range(ROUNDS):
        # a different order each round, so each case meets different neighbours
        order = list(np.random.default_rng(round_).permutation(len(cases)))
        with ThreadPoolExecutor(THREADS) as pool:
            futures = {i: pool.submit(one, int(j)) for i, j in enumerate(order)}
            got = {int(order[i]): f.result(timeout=300) for i, f in futures.items()}
        for i, fc in got.items():
            want = expected[i]
            for name in recorded(want.draws):
                np.testing.assert_array_equal(
                    fc.values(name), want.values(name), err_msg=f"round {round_}, case {i}, {name}"
                )
            for a, b in zip(_tables(fc), _tables(want), strict=True):
                pd.testing.assert_frame_equal(a, b, check_exact=True)


def _seed_data() -> Any:
    from forecast.engine.data import model_data

    return model_data(forecast.load(forecast.bundled("deepseek"))).without_observations()


def _overrides(d: Any, k: int) -> dict[str, np.ndarray]:
    """Arrays a tornado run replaces: a size fixed at a point, a CAGR moved."""
    size_b, drift_mu = d.size_b.copy(), d.drift_mu.copy()
    size_b[k % len(size_b)] = 0.0
    drift_mu[(k + 1) % len(drift_mu)] += 0.05 * (k + 1)
    return {"size_b": size_b, "drift_mu": drift_mu}


def test_a_run_with_some_arrays_replaced_equals_a_full_reload() -> None:
    from dataclasses import replace

    from forecast.engine.data import model_data
    from forecast.engine.forward import simulator

    d = _seed_data()
    other = model_data(forecast.load(forecast.bundled("ev-charging"))).without_observations()
    sim = simulator(d)
    for k in range(3):
        over = _overrides(d, k)
        want = simulator(replace(d, **over))(700, k)  # everything loaded again
        got = sim.with_arrays(over)(700, k)  # only the replaced arrays, when d is loaded
        for name in recorded(want):
            np.testing.assert_array_equal(got[name], want[name], err_msg=f"{k} {name}")
        # the same again after another scenario was loaded, and after the plain data
        simulator(other)(100, 1)
        again = sim.with_arrays(over)(700, k)
        plain = sim(700, k)
        np.testing.assert_array_equal(again["market_size"], want["market_size"])
        np.testing.assert_array_equal(plain["market_size"], simulator(d)(700, k)["market_size"])
        assert not np.array_equal(plain["size"], want["size"])


def test_runs_with_replaced_arrays_are_safe_beside_other_threads() -> None:
    from dataclasses import replace

    from forecast.engine.data import model_data
    from forecast.engine.forward import simulator

    d = _seed_data()
    other = model_data(forecast.load(forecast.bundled("ev-charging"))).without_observations()
    sim = simulator(d)
    jobs = (
        [("over", k) for k in range(4)] + [("other", k) for k in range(4)] + [("plain", k) for k in range(4)]
    )

    def one(job: tuple[str, int]) -> dict[str, np.ndarray]:
        kind, k = job
        if kind == "over":
            return sim.with_arrays(_overrides(d, k))(500, k)
        return (simulator(other) if kind == "other" else sim)(500, k)

    def full_reload(job: tuple[str, int]) -> dict[str, np.ndarray]:
        kind, k = job
        return simulator(replace(d, **_overrides(d, k)))(500, k) if kind == "over" else one(job)

    want = {job: full_reload(job) for job in jobs}
    for round_ in range(3):
        order = [jobs[int(i)] for i in np.random.default_rng(round_).permutation(len(jobs))]
        with ThreadPoolExecutor(THREADS) as pool:
            got = dict(zip(order, pool.map(one, order), strict=True))
        for job in jobs:
            for name in ("market_size", "size", "prediction_hit", "outcome_probability"):
                np.testing.assert_array_equal(
                    got[job][name], want[job][name], err_msg=f"{round_} {job} {name}"
                )


def test_replaced_arrays_must_have_the_data_shapes() -> None:
    import pytest

    from forecast.engine.forward import simulator

    d = _seed_data()
    with pytest.raises(ValueError, match="size_b"):
        simulator(d).with_arrays({"size_b": np.zeros(7)})
    with pytest.raises(ValueError, match="no such array"):
        simulator(d).with_arrays({"nothing": np.zeros(1)})
