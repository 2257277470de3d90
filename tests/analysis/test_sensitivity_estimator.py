"""The sensitivity estimator's promises, on numpy draws (no simulation).

What :func:`first_order_indices` and its helpers document and the callers rely on:
a bootstrap pair's ``conf`` does not depend on which other pairs are bootstrapped, a
given sort order is the same as none, too few draws give NaN; the normal scores are
``Phi^-1((rank + 1/2) / n)``; an input's own part is its score's residual on the
others' (recomputed here by least squares); NUTS draws widen ``conf`` by
``sqrt(n / ESS)`` but never narrow it; the table's rows rank by own-part index, then
first-order, and the rows a ``conf_top`` bootstrap picks are the rows shown first;
every estimate is SALib's RBD-FAST, recomputed with SALib. Fast, so the mutation run
(tests/mutation.sh) runs them for every mutant of these functions.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import rbd_fast
from scipy.special import ndtri
from scipy.stats import rankdata

from forecast.analysis.sensitivity import (
    HARMONICS,
    _easi_batch,
    _easi_points,
    _fold,
    _normal_scores,
    _resamples_sorted,
    _round_up,
    _varies,
    first_order_indices,
    independent_parts,
    nuts_conf_factor,
    subsample_rows,
)


def _draws(n: int = 2000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = np.column_stack([X[:, 0] + 0.5 * X[:, 1], np.exp(X[:, 2]) + 0.1 * rng.standard_normal(n)])
    return X, Y


def test_a_pairs_conf_does_not_depend_on_the_other_pairs_bootstrapped() -> None:
    X, Y = _draws()
    s1, conf = first_order_indices(X, Y, resamples=20, seed=4)
    assert s1.shape == conf.shape == (2, 3)
    assert np.isfinite(conf).all() and (conf > 0).all()
    mask = np.array([[True, False, False], [False, False, True]])
    s1_m, conf_m = first_order_indices(X, Y, resamples=20, seed=4, conf_mask=mask)
    np.testing.assert_array_equal(s1_m, s1)
    np.testing.assert_array_equal(conf_m[mask], conf[mask])
    assert np.isnan(conf_m[~mask]).all()
    # the point estimates can be skipped: NaN, the bootstrap unchanged
    s1_p, conf_p = first_order_indices(X, Y, resamples=20, seed=4, conf_mask=mask, points=False)
    assert np.isnan(s1_p).all()
    np.testing.assert_array_equal(conf_p[mask], conf[mask])


def test_a_given_sort_order_is_the_same_as_none() -> None:
    X, Y = _draws()
    orders = np.argsort(X, axis=0)
    got = first_order_indices(X, Y, resamples=10, seed=2, orders=orders)
    want = first_order_indices(X, Y, resamples=10, seed=2)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(_easi_points(Y.T, X, orders, HARMONICS), want[0], rtol=1e-12)


def test_one_target_gives_one_row() -> None:
    X, Y = _draws()
    s1, conf = first_order_indices(X, Y[:, 0], resamples=10, seed=2)
    s1_2d, conf_2d = first_order_indices(X, Y, resamples=10, seed=2)
    assert s1.shape == conf.shape == (3,)
    np.testing.assert_allclose(s1, s1_2d[0], rtol=1e-12)
    np.testing.assert_allclose(conf, conf_2d[0], rtol=1e-12)


def test_no_bootstrap_gives_no_conf() -> None:
    X, Y = _draws()
    s1, conf = first_order_indices(X, Y, resamples=0)
    assert np.isfinite(s1).all() and np.isnan(conf).all()


def test_conf_is_the_normal_half_width_at_its_level() -> None:
    """conf = z SD(bootstrap): halving the level's z halves conf, same resamples."""
    X, Y = _draws()
    _, c95 = first_order_indices(X, Y, resamples=20, seed=4)
    _, c68 = first_order_indices(X, Y, resamples=20, seed=4, conf_level=0.6826894921370859)
    np.testing.assert_allclose(c95 / c68, ndtri(0.975), rtol=1e-9)
    _, c95_again = first_order_indices(X, Y, resamples=20, seed=5)
    assert not np.allclose(c95_again, c95), "another seed, other resamples"


@pytest.mark.parametrize("harmonics", [HARMONICS, 4])
def test_fewer_than_four_draws_a_harmonic_give_nan(harmonics: int) -> None:
    rng = np.random.default_rng(3)
    n = 4 * harmonics
    X = rng.standard_normal((n, 2))
    s1, _ = first_order_indices(X, X[:, 0], harmonics=harmonics, resamples=0)
    assert np.isfinite(s1).all()
    s1, conf = first_order_indices(X[:-1], X[:-1, 0], harmonics=harmonics, resamples=5)
    assert np.isnan(s1).all() and np.isnan(conf).all()


def test_an_input_that_is_the_target_has_index_one() -> None:
    """Y = X_1 exactly: E[Y | X_1] = Y. The harmonics of a sorted uniform miss little."""
    rng = np.random.default_rng(8)
    X = rng.uniform(size=(5000, 2))
    s1, _ = first_order_indices(X, X[:, 0], resamples=0)
    assert s1[0] == pytest.approx(1.0, abs=0.01)
    assert abs(s1[1]) < 0.01


# --- normal scores and own parts ---------------------------------------------------------


def test_normal_scores_are_the_inverse_normal_of_the_mid_ranks() -> None:
    rng = np.random.default_rng(9)
    X = rng.lognormal(size=(501, 3))
    n = X.shape[0]
    want = ndtri((rankdata(X, axis=0) - 0.5) / n)
    np.testing.assert_allclose(_normal_scores(X), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_normal_scores(X, np.argsort(X, axis=0)), want, rtol=1e-12, atol=1e-15)


def _own_part_by_least_squares(X: np.ndarray, groups: list[str]) -> np.ndarray:
    Z = ndtri((rankdata(X, axis=0) - 0.5) / X.shape[0])
    out = np.empty_like(Z)
    for i, g in enumerate(groups):
        others = [j for j, h in enumerate(groups) if h != g]
        coef, *_ = np.linalg.lstsq(Z[:, others], Z[:, i], rcond=None)
        out[:, i] = Z[:, i] - Z[:, others] @ coef
    return out


@pytest.mark.parametrize(
    "groups", [["a", "b", "c", "d"], ["a", "g", "g", "d"]], ids=["each alone", "two in a group"]
)
def test_own_parts_are_residuals_on_the_inputs_outside_the_group(groups: list[str]) -> None:
    rng = np.random.default_rng(10)
    L = np.array([[1, 0, 0, 0], [0.6, 0.8, 0, 0], [0.3, 0.4, 0.866, 0], [0.5, 0.1, 0.2, 0.83]])
    X = rng.standard_normal((3000, 4)) @ L.T
    got = independent_parts(X, groups)
    np.testing.assert_allclose(got, _own_part_by_least_squares(X, groups), rtol=1e-7, atol=1e-9)


def test_an_input_the_others_determine_has_no_own_part() -> None:
    rng = np.random.default_rng(11)
    a = rng.standard_normal(2000)
    X = np.column_stack([a, 2 * a + 1, rng.standard_normal(2000)])  # ranks of a and 2a + 1 agree
    own = independent_parts(X, ["a", "b", "c"])
    assert (own[:, 0] == 0).all() and (own[:, 1] == 0).all()
    assert own[:, 2].std() > 0.9


# --- NUTS draws, subsamples -------------------------------------------------------------


def _nuts_like(chains: int) -> Any:
    return SimpleNamespace(conditioned=True, draws=SimpleNamespace(sizes={"chain": chains}))


def test_independent_draws_are_never_narrowed_and_a_constant_target_is_left_alone() -> None:
    rng = np.random.default_rng(12)
    y = rng.standard_normal((4 * 1000, 1))
    # antithetic pairs: ESS above the number of draws; the factor stays 1
    anti = np.repeat(rng.standard_normal(2000), 2).reshape(-1, 1) * np.tile([1, -1], 2000).reshape(-1, 1)
    const = np.ones((4000, 1))
    f = nuts_conf_factor(_nuts_like(4), np.hstack([y, anti, const]))
    assert f[1] == 1.0 and f[2] == 1.0
    assert 1.0 <= f[0] < 1.1  # iid draws: ESS close to n


def test_the_chains_come_from_the_draws_unless_given() -> None:
    rng = np.random.default_rng(13)
    phi, chains, n = 0.9, 4, 2000
    x = np.empty((chains, n))
    x[:, 0] = rng.standard_normal(chains)
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + np.sqrt(1 - phi**2) * rng.standard_normal(chains)
    Y = x.reshape(-1, 1)
    from_draws = nuts_conf_factor(_nuts_like(chains), Y)
    np.testing.assert_array_equal(nuts_conf_factor(_nuts_like(1), Y, chains=chains), from_draws)
    # sqrt((1 + phi) / (1 - phi)) = sqrt(19) ~ 4.4 for an AR(1) chain
    assert from_draws[0] == pytest.approx(np.sqrt(19), rel=0.15)
    # rescaled to a range of exactly 1, and after a constant column: the same factor
    unit = (Y - Y.min()) / np.ptp(Y)
    both = nuts_conf_factor(_nuts_like(chains), np.hstack([np.ones_like(Y), unit]))
    assert both[0] == 1.0
    assert both[1] == pytest.approx(from_draws[0], rel=1e-9)


def test_subsample_rows_are_evenly_spaced() -> None:
    assert subsample_rows(10, 4).tolist() == [0, 2, 5, 7]
    assert subsample_rows(10, 5).tolist() == [0, 2, 4, 6, 8]
    assert subsample_rows(5, 5).tolist() == [0, 1, 2, 3, 4]
    assert subsample_rows(5, 9).tolist() == [0, 1, 2, 3, 4]
    assert subsample_rows(12, 3).dtype == np.int64
    assert _round_up(10, 4) == 12 and _round_up(12, 4) == 12 and _round_up(1, 1) == 1


def test_an_input_varies_when_its_spread_is_above_rounding() -> None:
    assert _varies(np.array([1.0, 2.0]))
    assert not _varies(np.full(10, 3.7))
    assert not _varies(np.array([1e6, 1e6 * (1 + 1e-15)]))  # rounding, relative to the size
    assert _varies(np.array([0.0, 1e-9]))  # small but real, near 0
    assert not _varies(np.array([]))


# --- the indices of a table: first-order, own part, and which rows get a bootstrap ----------


def _inputs(groups: list[str]) -> list[Any]:
    from forecast.analysis.sensitivity import Input

    return [Input(f"x{i}", f"x{i}", "x", (i,), g) for i, g in enumerate(groups)]


def _table_order(first_order: np.ndarray, independent: np.ndarray) -> list[int]:
    """The documented order of a sensitivity table's rows, by pandas: own-part index,
    then first-order, largest first, NaN last, ties in input order."""
    df = pd.DataFrame({"independent": independent, "first_order": first_order})
    df = df.sort_values(["independent", "first_order"], ascending=False, kind="stable", na_position="last")
    return df.index.tolist()


def test_rows_rank_by_own_part_then_first_order_with_nan_last_and_ties_in_input_order() -> None:
    from forecast.analysis.sensitivity import _ranked

    nan = np.nan
    independent = np.array([0.0, 0.4, nan, 0.0, 0.4, 0.0, nan, -0.01])
    first_order = np.array([0.2, 0.1, 0.9, 0.5, 0.3, 0.2, nan, 0.8])
    want = [4, 1, 3, 0, 5, 7, 2, 6]  # 0 and 5 tie fully: input order; NaN own part last
    assert _ranked(independent, first_order).tolist() == want
    assert _table_order(first_order, independent) == want
    # a NaN first-order index ranks after every number among equal own parts
    assert _ranked(np.zeros(3), np.array([nan, -0.2, 0.1])).tolist() == [2, 1, 0]
    assert _ranked(np.array([nan, nan]), np.array([0.1, 0.3])).tolist() == [1, 0]


def test_the_rows_bootstrapped_are_the_rows_shown_first_when_own_parts_tie() -> None:
    """Inputs the others explain entirely have own-part index 0, a real tie: the
    first-order index breaks it, and the rows given a bootstrap (``conf_top``) are the
    first rows of the table, whichever way the targets rank them. The 0 is what ranks,
    not the estimate on their own parts (columns of zeros, left in draw order), which
    for draws that drift, as NUTS chains do, reads the drift as an index (0.44 here)."""
    from forecast.analysis.sensitivity import _indices

    rng = np.random.default_rng(21)
    n = 4000
    a, b, c, e, w = rng.standard_normal((5, n))
    drift = np.zeros(n)
    for t in range(1, n):
        drift[t] = 0.995 * drift[t - 1] + w[t]
    # a and 2a + 1, b and b^3 determine each other: four inputs without own parts
    X = np.column_stack([a, 2 * a + 1, b, b**3, c, e])
    Y = np.column_stack(
        [a + 0.3 * b + c, 0.3 * a + b + c, np.full(n, 2.0), 0.3 * a + 0.5 * e + drift / drift.std()]
    )
    groups = ["a", "a2", "b", "b3", "c", "e"]
    forward = SimpleNamespace(conditioned=False)
    full = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, True, None)  # type: ignore[arg-type]
    S1, CONF, SI, SI_CONF, explained = full
    assert explained.tolist() == [True, True, True, True, False, False]
    assert (SI[[0, 1, 3], :4] == 0).all()
    assert np.isnan(S1[2]).all() and np.isnan(CONF[2]).all()  # a constant target: no index
    orders = [_table_order(S1[j], SI[j]) for j in range(4)]
    # c first, then the tied pair the target leans on, each pair in input order; the
    # drifting target's own input e first
    assert orders[0][0] == 4 and [i for i in orders[0] if i < 4] == [0, 1, 2, 3]
    assert orders[1][0] == 4 and [i for i in orders[1] if i < 4] == [2, 3, 0, 1]
    assert orders[3][0] == 5 and 0 < SI[3, 5] < 0.3
    for top in (1, 2, 3, 4):
        got = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, True, top)  # type: ignore[arg-type]
        np.testing.assert_allclose(got[0], S1, rtol=1e-12)
        np.testing.assert_allclose(got[2], SI, rtol=1e-12)
        for j in (0, 1, 3):
            first = orders[j][:top]
            for conf, want in ((got[1][j], CONF[j]), (got[3][j], SI_CONF[j])):
                assert np.flatnonzero(np.isfinite(conf)).tolist() == sorted(first)
                np.testing.assert_allclose(conf[first], want[first], rtol=1e-12)
        assert np.isnan(got[1][2]).all() and np.isnan(got[3][2]).all()
    # without the own part's bootstrap its conf is NaN everywhere, (targets, inputs)
    lean = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, False, 2)  # type: ignore[arg-type]
    assert lean[3].shape == (4, 6) and np.isnan(lean[3]).all()
    shown = np.isfinite(lean[1])
    np.testing.assert_allclose(lean[1][shown], CONF[shown], rtol=1e-12)


def test_the_tables_indices_are_the_estimators_on_the_inputs_and_their_own_parts() -> None:
    from forecast.analysis.sensitivity import _indices

    rng = np.random.default_rng(14)
    n = 4000
    a = rng.standard_normal(n)
    X = np.column_stack([a, a + 0.5 * rng.standard_normal(n), rng.standard_normal(n), 2 * a + 1])
    Y = np.column_stack([X[:, 0] + X[:, 2], X[:, 2] ** 2])
    groups = ["a", "b", "c", "d"]
    forward = SimpleNamespace(conditioned=False)
    S1, CONF, SI, SI_CONF, alone = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, True, None)  # type: ignore[arg-type]
    want_s1, want_conf = first_order_indices(X, Y, resamples=10, seed=3)
    own = independent_parts(X, groups)
    want_si, want_si_conf = first_order_indices(own, Y, resamples=10, seed=3)
    np.testing.assert_allclose(S1, want_s1, rtol=1e-12)
    np.testing.assert_allclose(CONF, want_conf, rtol=1e-12)
    # x0 and x3 = 2 x0 + 1 determine each other: neither has an own part, index 0
    assert alone.tolist() == [True, False, False, True]
    assert (SI[:, [0, 3]] == 0).all() and (SI_CONF[:, [0, 3]] == 0).all()
    np.testing.assert_allclose(SI[:, [1, 2]], want_si[:, [1, 2]], rtol=1e-12)
    np.testing.assert_allclose(SI_CONF[:, [1, 2]], want_si_conf[:, [1, 2]], rtol=1e-12)

    # only the top rows bootstrapped: their conf is the same, the others' NaN
    top = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, True, 2)  # type: ignore[arg-type]
    np.testing.assert_allclose(top[0], S1, rtol=1e-12)
    for j in range(2):
        shown = np.isfinite(top[1][j])
        assert shown.sum() == 2
        np.testing.assert_allclose(top[1][j][shown], CONF[j][shown], rtol=1e-12)
        np.testing.assert_array_equal(np.isfinite(top[3][j]), shown)  # own-part conf: the same rows
        np.testing.assert_allclose(top[3][j][shown], SI_CONF[j][shown], rtol=1e-12)
        assert set(np.flatnonzero(shown)) == set(_table_order(S1[j], SI[j])[:2])
    # no own-part bootstrap asked for: NaN (and 0 where there is no own part)
    lean = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, False, None)  # type: ignore[arg-type]
    np.testing.assert_allclose(lean[2], SI, rtol=1e-12)
    assert np.isnan(lean[3][:, [1, 2]]).all()
    lean_top = _indices(forward, _inputs(groups), X, Y, 1, HARMONICS, 10, 3, False, 2)  # type: ignore[arg-type]
    assert np.isnan(lean_top[3][:, [1, 2]]).all()


def test_the_tables_indices_use_the_harmonics_asked_for() -> None:
    from forecast.analysis.sensitivity import _indices

    rng = np.random.default_rng(16)
    X = rng.standard_normal((3000, 2))
    Y = (np.sin(3 * X[:, 0]) + 0.3 * X[:, 1])[:, None]  # a wiggle the low harmonics miss
    forward = SimpleNamespace(conditioned=False)
    for harmonics in (2, 10):
        got = _indices(forward, _inputs(["a", "b"]), X, Y, 1, harmonics, 10, 3, True, None)  # type: ignore[arg-type]
        s1, conf = first_order_indices(X, Y, harmonics=harmonics, resamples=10, seed=3)
        np.testing.assert_allclose(got[0], s1, rtol=1e-12)
        np.testing.assert_allclose(got[1], conf, rtol=1e-12)
    assert (
        first_order_indices(X, Y, harmonics=2)[0][0, 0]
        < first_order_indices(X, Y, harmonics=10)[0][0, 0] - 0.1
    )


def test_a_forecast_without_uncertain_inputs_has_empty_tables() -> None:
    from forecast.analysis.sensitivity import _indices

    Y = np.random.default_rng(17).standard_normal((500, 2))
    forward = SimpleNamespace(conditioned=False)
    for top in (None, 3):
        got = _indices(forward, [], np.empty((500, 0)), Y, 1, HARMONICS, 10, 3, True, top)
        assert [a.shape for a in got[:4]] == [(2, 0)] * 4
        assert got[4].shape == (0,) and got[4].dtype == bool


def test_nuts_draws_widen_the_tables_conf_by_their_factor() -> None:
    from forecast.analysis.sensitivity import _indices

    rng = np.random.default_rng(15)
    chains, n = 4, 1000
    z = np.empty((chains, n))
    z[:, 0] = rng.standard_normal(chains)
    for t in range(1, n):
        z[:, t] = 0.8 * z[:, t - 1] + 0.6 * rng.standard_normal(chains)
    X = np.column_stack([z.ravel(), rng.standard_normal(chains * n)])
    Y = (X[:, 0] + 0.3 * X[:, 1])[:, None]
    forward = SimpleNamespace(conditioned=False)
    nuts = _nuts_like(chains)
    plain = _indices(forward, _inputs(["a", "b"]), X, Y, chains, HARMONICS, 10, 3, True, None)  # type: ignore[arg-type]
    wide = _indices(nuts, _inputs(["a", "b"]), X, Y, chains, HARMONICS, 10, 3, True, None)  # type: ignore[arg-type]
    factor = nuts_conf_factor(nuts, Y, chains)[0]
    assert factor > 2
    np.testing.assert_allclose(wide[0], plain[0], rtol=1e-12)
    np.testing.assert_allclose(wide[1], plain[1] * factor, rtol=1e-12)
    np.testing.assert_allclose(wide[3], plain[3] * factor, rtol=1e-12)


@pytest.mark.parametrize("n", [1000, 1001])
def test_every_inputs_index_is_salibs_rbd_fast(n: int) -> None:
    """The blocked, gathered estimate of every (target, input) pair is SALib's RBD-FAST
    with its bias correction, input by input."""
    from SALib.analyze import rbd_fast

    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, 5))
    Y = np.column_stack([X[:, 0] + np.sin(2 * X[:, 1]), X[:, 2] * X[:, 3] + 0.1 * rng.standard_normal(n)])
    got = _easi_points(Y.T, X, None, HARMONICS)
    for j in range(2):
        for i in range(5):
            s1 = rbd_fast.compute_first_order(rbd_fast.permute_outputs(X[:, i], Y[:, j]), HARMONICS)
            want = rbd_fast.unskew_S1(s1, HARMONICS, n)
            assert got[j, i] == pytest.approx(want, rel=1e-9, abs=1e-12), (j, i)


# --- the estimator against SALib and known answers (moved from test_sensitivity.py, so
# the mutation run, which runs only this file of the sensitivity tests, sees them) ---


@pytest.mark.parametrize("n", [1000, 1001])
def test_batched_easi_is_salibs_estimator(n: int) -> None:
    """The vectorised bootstrap uses exactly SALib's periodogram and bias correction."""
    rng = np.random.default_rng(n)
    y = rng.standard_normal((4, n)).cumsum(axis=1)
    expected = [rbd_fast.unskew_S1(rbd_fast.compute_first_order(row, 10), 10, n) for row in y]
    np.testing.assert_allclose(_easi_batch(y, 10), expected, rtol=1e-10, atol=1e-12)
    # the bootstrap's shape, (targets, resamples, n): each row on its own, as SALib does it
    cube = rng.standard_normal((2, 3, n)).cumsum(axis=-1) + np.arange(6.0).reshape(2, 3, 1)
    expected_cube = [
        [rbd_fast.unskew_S1(rbd_fast.compute_first_order(r, 10), 10, n) for r in t] for t in cube
    ]
    np.testing.assert_allclose(_easi_batch(cube, 10), expected_cube, rtol=1e-10, atol=1e-12)
    x = rng.standard_normal(n)
    np.testing.assert_array_equal(_fold(np.argsort(x)), rbd_fast.permute_outputs(x, np.arange(n)))


def test_conf_is_the_normal_half_width_from_the_sd_of_half_size_resamples() -> None:
    """``conf`` recomputed from its definition: resample n/2 of the n draws with
    replacement (the counts drawn from ``default_rng(seed)`` as documented), estimate
    with SALib's RBD-FAST on each resample, and take z times their SD (ddof 1)."""
    from scipy.stats import norm

    n, resamples, seed = 1000, 40, 7
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, 2))
    Y = np.column_stack([X[:, 0] + 0.5 * X[:, 1] ** 2, np.sin(2 * X[:, 1]) + 0.3 * rng.standard_normal(n)])
    _, conf = first_order_indices(X, Y, resamples=resamples, seed=seed, conf_level=0.95)
    counts = np.random.default_rng(seed).multinomial(n // 2, np.full(n, 1.0 / n), size=resamples)
    expected = np.empty((2, 2))
    for j in range(2):
        for i in range(2):
            est = []
            for c in counts:
                rows = np.repeat(np.arange(n), c)
                y = rbd_fast.permute_outputs(X[rows, i], Y[rows, j])
                est.append(rbd_fast.unskew_S1(rbd_fast.compute_first_order(y, 10), 10, len(rows)))
            expected[j, i] = norm.ppf(0.975) * np.std(est, ddof=1)
    np.testing.assert_allclose(conf, expected, rtol=1e-9)


def test_bootstrap_resamples_are_sorted_multisets_of_the_counts() -> None:
    """Each row holds every draw as often as its resample count, and unfolded (even
    positions up, odd positions down) it runs in increasing order of the input."""
    rng = np.random.default_rng(4)
    n = 101
    x = rng.standard_normal(n)
    counts = rng.multinomial(n // 2, np.full(n, 1 / n), size=7)
    rows = _resamples_sorted(np.argsort(x), counts)
    assert rows.shape == (7, n // 2)
    for row, c in zip(rows, counts, strict=True):
        np.testing.assert_array_equal(np.bincount(row, minlength=n), c)
        up = (len(row) + 1) // 2
        unfolded = np.empty_like(row)
        unfolded[0::2], unfolded[1::2] = row[:up], row[up:][::-1]
        assert np.all(np.diff(x[unfolded]) >= 0)


def test_additive_model_gives_analytic_shares() -> None:
    """Y = a1 X1 + a2 X2 + a3 X3 with independent normals: S_i = a_i^2 var_i / total.

    Over 40 seeds (20,000 draws each) the estimates had SDs of 0.005-0.006 and sat
    0.3-0.6 points below the truth (ten harmonics of the sorted Gaussian miss ~1.5% of
    the variance); 0.025 is that bias plus 3 SD of the conservative bootstrap ``conf``.
    """
    rng = np.random.default_rng(2024)
    a, sd = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 0.5])
    X = rng.standard_normal((20_000, 4)) * np.r_[sd, 1.0]  # X4 has no effect
    y = X[:, :3] @ a
    truth = (a * sd) ** 2 / ((a * sd) ** 2).sum()
    s1, conf = first_order_indices(X, y, seed=3)
    np.testing.assert_allclose(s1[:3], truth, atol=0.025)
    assert abs(s1[3]) < 0.01
    assert np.all((conf > 0) & (conf < 0.03))


def test_independent_part_removes_what_a_correlated_partner_explains() -> None:
    """Y depends on X1 only; X2 is X1 plus noise. X2's first-order index is large (it
    reveals X1), its independent index is ~0; X1 keeps most of its own."""
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal(20_000)
    x2 = x1 + 0.5 * rng.standard_normal(20_000)
    X = np.column_stack([x1, x2])
    y = x1 + 0.3 * rng.standard_normal(20_000)
    s1, _ = first_order_indices(X, y, resamples=0)
    si, _ = first_order_indices(independent_parts(X, ["x1", "x2"]), y, resamples=0)
    assert s1[1] > 0.5
    assert abs(si[1]) < 0.01
    assert si[0] > 0.1
    # inputs in one group (a Dirichlet's components) are not regressed on each other
    np.testing.assert_allclose(independent_parts(X, ["g", "g"]).std(axis=0), 1.0, atol=0.01)


def test_constant_target_gives_nan_not_an_error() -> None:
    X = np.random.default_rng(0).standard_normal((1000, 2))
    s1, conf = first_order_indices(X, np.ones(1000))
    assert np.isnan(s1).all() and np.isnan(conf).all()
