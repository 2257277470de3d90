"""PRIM scenario discovery: a known box is recovered, and its numbers are as computed."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.analysis.discovery import PEEL, boxes, describe, prim, summarize

N = 20_000
# one peel moves a limit by PEEL of the box's draws: along a uniform input at most
# PEEL of its range; pasting moves it back by as much. A recovered limit lands within
# one peel of the truth.
TOLERANCE = PEEL


def _known_box(noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(N, 5))
    inside = (X[:, 0] >= 0.6) & (X[:, 1] <= 0.5)
    flip = rng.uniform(size=N) < noise
    return X, np.where(flip, ~inside, inside).astype(float)


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_prim_recovers_a_known_box(noise: float) -> None:
    X, y = _known_box(noise)
    box = prim(X, y)
    assert sorted(box.limits) == [0, 1], "only the two inputs that matter are restricted"
    lo0, hi0 = box.limits[0]
    lo1, hi1 = box.limits[1]
    assert lo0 == pytest.approx(0.6, abs=TOLERANCE) and hi0 >= 1 - TOLERANCE
    assert hi1 == pytest.approx(0.5, abs=TOLERANCE) and lo1 <= TOLERANCE
    row = summarize("t", X, y, [box], [f"x{j}" for j in range(5)], [lambda v: f"{v:.2f}"] * 5).iloc[0]
    m = box.inside(X)
    assert (
        row["density"] == y[m].mean() and row["coverage"] == y[m].sum() / y.sum() and row["mass"] == m.mean()
    )
    # inside the true box the target holds with probability 1 - noise, and the box is 20% of draws
    se = np.sqrt(noise * (1 - noise) / m.sum()) + 1e-12
    assert row["density"] >= 1 - noise - 4 * se - TOLERANCE
    assert row["mass"] == pytest.approx(0.2, abs=2 * TOLERANCE)
    assert row["density_mcse"] == pytest.approx(np.sqrt(row["density"] * (1 - row["density"]) / m.sum()))


def test_a_categorical_input_is_peeled_by_category() -> None:
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.uniform(size=N), rng.integers(0, 3, size=N)])
    y = ((X[:, 0] >= 0.3) & (X[:, 1] != 2)).astype(float)
    box = prim(X, y, categorical={1})
    assert box.categories == {1: frozenset({0.0, 1.0})}
    assert box.limits[0][0] == pytest.approx(0.3, abs=TOLERANCE)
    names = ["Developer Tools CAGR", "the outcome"]
    formats = [lambda v: f"{v:.0%}", lambda c: ["independence", "acquired", "struggling"][int(c)]]
    assert describe(box, names, formats).startswith("Developer Tools CAGR ≥ 3")
    assert describe(box, names, formats).endswith("the outcome is independence or acquired")


def test_covering_finds_a_second_region_and_no_junk() -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(N, 3))
    y = ((X[:, 0] >= 0.8) | (X[:, 1] <= 0.15)).astype(float)
    found = boxes(X, y)
    assert len(found) == 2
    assert {j for b in found for j in b.limits} == {0, 1}
    X, y = _known_box(0.0, seed=3)
    assert len(boxes(X, y)) == 1, "leftover slivers of one region are not a second box"


def test_a_target_everywhere_alike_has_no_region() -> None:
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(N, 2))
    y = (rng.uniform(size=N) < 0.5).astype(float)
    # noise: the F1 choice keeps the box of all draws (coverage 1 beats a noisy density gain)
    (found,) = boxes(X, y)
    assert not found.limits and not found.categories
    assert describe(found, ["a", "b"], [str, str]).startswith("anywhere")
