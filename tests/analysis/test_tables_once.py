"""Issue 30: a forecast's summary tables are computed once and handed out as copies."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import forecast.analysis.results as results


def test_markets_quantiles_are_computed_once_and_copies_are_handed_out(
    seed_forecast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fc = dataclasses.replace(seed_forecast)  # a fresh Forecast: nothing computed yet
    calls = []
    real = results._quantile_rows
    monkeypatch.setattr(results, "_quantile_rows", lambda *a: calls.append(a[0]) or real(*a))
    first = fc.markets()
    n = len(calls)
    assert n > 0
    first.loc[0, "q50"] = -1.0  # a caller's edit stays its own
    second = fc.markets()
    assert len(calls) == n  # no column's quantiles computed again
    assert second.loc[0, "q50"] != -1.0
    # the same table a fresh computation gives, to the last bit
    fresh = dataclasses.replace(seed_forecast).markets()
    assert second.equals(fresh)


def test_new_draws_get_new_tables(seed_forecast: Any) -> None:
    fc = dataclasses.replace(seed_forecast)
    before = fc.outcomes()
    import xarray as xr

    prior = fc.data["prior"].to_dataset()
    q = prior["outcome_probability"]
    tree = fc.data.copy()
    tree["prior"] = xr.DataTree(prior.assign(outcome_probability=q.copy(data=q.values[..., ::-1].copy())))
    fc.data = tree  # new draws: a new tree
    after = fc.outcomes()
    assert not np.allclose(before["probability"], after["probability"])


def test_plainly_finite_sends_nan_inf_and_huge_values_to_the_masks() -> None:
    ok = np.array([[1.0, -2.0], [3.0, 1e150]])
    assert results._plainly_finite(ok)
    for bad in (np.nan, np.inf, -np.inf, 1e151, -1e151):
        x = ok.copy()
        x[1, 0] = bad
        assert not results._plainly_finite(x), bad
    assert results._plainly_finite(np.zeros((0, 3)))
