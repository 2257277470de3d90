"""Issue 30: the tilt of a risk's draws (:func:`tilted_outcomes`) at a million draws.

The risk register tilts every draw's outcome probabilities by that draw's risk
(``forecast.analysis.risks``): at 1e6 draws this was most of a run's CPU and its
memory peak. The faster tilt must give the same bits as the plain numpy one (the
register's CSV stays byte-identical), and hold few copies of the draws at a time.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from forecast.engine.answers import TILT_STEPS, TILT_TOL, TINY, tilted_outcomes


def _reference(prior: np.ndarray, probs: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    """The tilt as first written (plain numpy reductions): the bits to keep."""

    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    prior = np.clip(np.asarray(prior, dtype=float), TINY, None)
    b = np.log(prior)
    post = softmax(b[..., None, :] + log_odds)
    for _ in range(TILT_STEPS):
        mix = (probs[..., :, None] * post).sum(axis=-2)
        step = np.log(prior / np.clip(mix, TINY, None))
        b = b + step
        post = softmax(b[..., None, :] + log_odds)
        if np.max(np.abs(step)) < TILT_TOL:
            break
    return post


def _inputs(n: int, n_a: int, n_k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.arange(1, n_k + 1.0), size=n)
    prior[0, 0] = 0.0  # an outcome with no probability (clipped to TINY)
    probs = rng.dirichlet(np.full(n_a, 2.0), size=n)
    log_odds = rng.normal(scale=2.0, size=(n, n_a, n_k))
    log_odds[1] = 0.0  # no effect: the prior itself
    return prior, probs, log_odds


@pytest.mark.parametrize(("n_a", "n_k"), [(2, 2), (2, 3), (3, 5), (4, 7), (2, 9), (9, 3)])
def test_the_tilt_gives_the_plain_numpy_bits(n_a: int, n_k: int) -> None:
    prior, probs, log_odds = _inputs(3000, n_a, n_k)
    got = tilted_outcomes(prior, probs, log_odds)
    assert np.array_equal(got, _reference(prior, probs, log_odds))
    # one draw alone (1-D prior): the same bits as the plain tilt of that draw
    one = tilted_outcomes(prior[5], probs[5], log_odds[5])
    assert np.array_equal(one, _reference(prior[5], probs[5], log_odds[5]))


def test_the_tilt_holds_few_copies_of_the_draws() -> None:
    """Peak numpy allocations of one tilt at most 4.25x its output's bytes (the plain
    one held 6.3x: its temporaries of the output's size at a time)."""
    prior, probs, log_odds = _inputs(50_000, 2, 3)
    tracemalloc.start()
    try:
        out = tilted_outcomes(prior, probs, log_odds)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4.25 * out.nbytes, peak / out.nbytes
