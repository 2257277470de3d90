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
from forecast.engine.model import OUTPUTS

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
            for name in OUTPUTS:
                np.testing.assert_array_equal(
                    fc.values(name), want.values(name), err_msg=f"round {round_}, case {i}, {name}"
                )
            for a, b in zip(_tables(fc), _tables(want), strict=True):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
