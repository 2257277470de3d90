"""Sensitivity costs what the report shows, not inputs x model size (issue 14).

No timings: the tests count simulator runs, check subsample sizes, and check that the
cheaper paths give the same numbers as the full ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis import sensitivity as sens
from forecast.analysis import tornado as tor
from forecast.analysis.sensitivity import (
    first_order_indices,
    headline_targets,
    independent_parts,
    sensitivities,
    subsample_rows,
    uncertain_inputs,
)
from forecast.analysis.tornado import report_frames, tornado, tornado_draws, tornadoes

TARGETS = ["total@2027", "revenue.deepseek_devtools@2028", "outcome.independence"]


@pytest.fixture
def count_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every call of a compiled simulator, with its draw count."""
    from forecast.engine.forward import Simulator

    calls: list[int] = []
    original = Simulator.__call__

    def counted(self: Any, n: int, seed: int, posterior: Any = None) -> Any:
        calls.append(n)
        return original(self, n, seed, posterior)

    monkeypatch.setattr(Simulator, "__call__", counted)
    return calls


def _independent_parts_by_regression(X: np.ndarray, groups: list[str]) -> np.ndarray:
    """The definition: each column's normal score regressed on the other groups' scores."""
    from scipy.special import ndtri

    n, d = X.shape
    ranks = np.argsort(np.argsort(X, axis=0), axis=0)
    Z = ndtri((ranks + 0.5) / n)
    out = np.empty_like(Z)
    for i in range(d):
        others = [j for j in range(d) if groups[j] != groups[i]]
        coef, *_ = np.linalg.lstsq(Z[:, others], Z[:, i], rcond=None)
        r = Z[:, i] - Z[:, others] @ coef
        out[:, i] = r if r.var() > 1e-8 * Z[:, i].var() else 0.0
    return out


def test_independent_parts_from_one_inverse_equal_the_regressions() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    common = rng.standard_normal(n)
    a = common + 0.5 * rng.standard_normal(n)
    b = common + 0.8 * rng.standard_normal(n)
    c = rng.standard_normal(n)
    p = rng.dirichlet([4.0, 3.0, 2.0], size=n)  # a group: its components sum to one
    X = np.column_stack([a, b, c, p, np.exp(a)])  # the last one is a function of a
    groups = ["a", "b", "c", "p", "p", "p", "e"]
    got = independent_parts(X, groups)
    want = _independent_parts_by_regression(X, groups)
    np.testing.assert_allclose(got, want, atol=1e-8)
    # exp(a) and a share their ranks: neither has an own part
    assert not got[:, 0].any() and not got[:, -1].any()


def test_conf_only_for_masked_pairs_and_the_same_there() -> None:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 4))
    Y = np.column_stack([X[:, 0] + 0.5 * X[:, 1], X[:, 2] ** 2 + X[:, 3]])
    s1, conf = first_order_indices(X, Y, seed=2)
    mask = np.array([[True, False, False, True], [False, False, True, False]])
    s1_m, conf_m = first_order_indices(X, Y, seed=2, conf_mask=mask)
    np.testing.assert_allclose(s1_m, s1, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(conf_m[mask], conf[mask])
    assert np.isnan(conf_m[~mask]).all()


def test_report_runs_the_tornado_only_for_the_rows_it_shows(
    seed_forecast: Any, count_runs: list[int]
) -> None:
    frames = report_frames(seed_forecast)
    # the report's own targets: the headline year's (one headline year, issue 25)
    targets = headline_targets(seed_forecast.scenario)
    shown = sensitivities(seed_forecast, targets, independent_conf=False, conf_top=tor.REPORT_TOP)
    keys = {k for t in targets for k in shown[t].head(tor.REPORT_TOP)["input"]}
    assert len(count_runs) == 2 * len(keys) + 1  # low and high per shown input, one baseline
    assert set(count_runs) == {tornado_draws(seed_forecast)}
    assert [f.attrs["target"] for f in frames] == targets
    assert len(keys) < len(uncertain_inputs(seed_forecast))  # some inputs were not run


def test_api_tornado_and_report_agree(seed_forecast: Any) -> None:
    """Same forecast, same seed, same default draws: the same target values."""
    frames = {f.attrs["target"]: f for f in report_frames(seed_forecast)}
    df = frames["total@2027"]
    api = tornado(seed_forecast, "total@2027")
    labels = dict(zip(api["label"], zip(api["low"], api["high"], strict=True), strict=True))
    for row in df.itertuples():
        assert (row.low, row.high) == labels[row.input]
    assert df.attrs["baseline"] == api.attrs["base"]


def test_tornado_rows_for_some_inputs_equal_the_full_table(seed_forecast: Any) -> None:
    full = tornado(seed_forecast, "total@2027", draws=500).set_index("input")
    some = ["growth[developer_tools]", "size[enterprise_llm_apis]"]
    part = tornado(seed_forecast, "total@2027", draws=500, inputs=some).set_index("input")
    assert sorted(part.index) == sorted(some)
    assert part.attrs["runs"] == 5
    for key in some:
        assert (
            part.loc[key, ["low", "high", "base"]].tolist() == full.loc[key, ["low", "high", "base"]].tolist()
        )
    with pytest.raises(ValueError, match="not uncertain inputs"):
        tornadoes(seed_forecast, ["total@2027"], inputs=["growth[nowhere]"])


def test_tornado_draws_budget(seed_forecast: Any) -> None:
    # the seed is small: its tornado keeps many draws a run, more than its draws alone allow
    assert tornado_draws(seed_forecast) > seed_forecast.n_draws // 51
    # the budget: the forecast's draws plus a fixed allowance, shared by the report's runs
    fc = forecast.simulate(forecast.load(forecast.bundled("deepseek")), draws=1000, seed=3)
    runs = 2 * min(len(uncertain_inputs(fc)), tor.REPORT_TOP * 3) + 1
    per_draw = sum(
        int(np.prod([fc.draws.sizes[d] for d in v.dims if d not in ("chain", "draw")]))
        for v in fc.draws.data_vars.values()
    )
    want = (1000 + tor.TORNADO_FIXED_VALUES // per_draw) // runs
    assert tornado_draws(fc) == min(tor.TORNADO_DRAWS, max(tor.TORNADO_MIN_DRAWS, want))
    # NUTS draws come in chains: the size per draw leaves the chains out too, so the
    # same 1,000 draws as 4 chains of 250 get the same budget (1,115 a run here)
    import xarray as xr

    ds = fc.draws
    pieces = [
        ds.isel(draw=slice(250 * i, 250 * (i + 1))).assign_coords(draw=np.arange(250), chain=[i])
        for i in range(4)
    ]

    class Chains:  # what tornado_draws reads of a forecast, the draws in 4 chains
        scenario, draws, n_draws, values = fc.scenario, xr.concat(pieces, dim="chain"), 1000, fc.values

    assert tor.TORNADO_MIN_DRAWS < want < tor.TORNADO_DRAWS
    assert tornado_draws(Chains()) == want  # type: ignore[arg-type]


def test_subsample_rows_are_even_and_per_chain() -> None:
    rows = subsample_rows(4 * 1000, 400)  # 4 chains of 1000 draws, chain-major
    assert len(rows) == 400 and len(set(rows.tolist())) == 400
    assert np.bincount(rows // 1000).tolist() == [100, 100, 100, 100]
    assert subsample_rows(10, 20).tolist() == list(range(10))


def test_indices_use_a_subsample_grown_to_what_the_bootstrap_needs(seed_forecast: Any) -> None:
    fc, targets = seed_forecast, ["total@2027"]
    # enough already: the subsample alone
    loose = sensitivities(fc, targets, subsample=5000, conf_enough=1.0)["total@2027"]
    assert loose.attrs["draws"] == 5000 and loose.attrs["draws_available"] == 20_000
    # not enough: grown once by (worst conf / wanted)^2
    first = sensitivities(fc, targets, subsample=5000, conf_enough=1.0)["total@2027"]
    wanted = float(first["conf"].max()) / 1.5
    grown = sensitivities(fc, targets, subsample=5000, conf_enough=wanted)["total@2027"]
    assert grown.attrs["draws"] == min(20_000, int(np.ceil(5000 * (first["conf"].max() / wanted) ** 2)))
    assert float(grown["conf"].max()) < float(first["conf"].max())
    # up to the subsample size every draw is used
    every = sensitivities(fc, targets, subsample=None)["total@2027"]
    assert every.attrs["draws"] == 20_000
    again = sensitivities(fc, targets)["total@2027"]  # 20,000 draws: no subsample
    assert every["first_order"].tolist() == again["first_order"].tolist()


def test_indices_ranked_then_bootstrapped_equal_the_full_table(seed_forecast: Any) -> None:
    full = sensitivities(seed_forecast, TARGETS, independent_conf=False)
    top = sensitivities(seed_forecast, TARGETS, independent_conf=False, conf_top=5)
    for t in TARGETS:
        a, b = full[t], top[t]
        assert a["input"].tolist() == b["input"].tolist()
        np.testing.assert_allclose(b["first_order"], a["first_order"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b["independent"], a["independent"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b["conf"].head(5), a["conf"].head(5), rtol=1e-12)
        assert b["conf"].iloc[5:].isna().all()


def test_inputs_are_found_once_per_forecast(seed_forecast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = sens._find_inputs

    def counted(fc: Any) -> Any:
        calls.append(1)
        return original(fc)

    monkeypatch.setattr(sens, "_find_inputs", counted)
    monkeypatch.setattr(sens, "_INPUTS_MEMO", {})
    first = uncertain_inputs(seed_forecast)
    assert uncertain_inputs(seed_forecast) == first
    assert len(calls) == 1


def test_tornado_runs_equal_full_reloads(seed_forecast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # each tornado run loads only the arrays a fixed input changes; loading the whole
    # fixed data instead (what runs did before) gives the same table, byte for byte
    from dataclasses import replace

    from forecast.engine.forward import LoadedSimulator, simulator

    keys = [i.key for i in uncertain_inputs(seed_forecast)][:4]
    fast = tornadoes(seed_forecast, TARGETS, draws=400, inputs=keys)
    loads: list[int] = []

    def full_reload(self: LoadedSimulator, overrides: dict[str, np.ndarray]) -> LoadedSimulator:
        loads.append(1)
        return simulator(replace(self.data, **overrides))

    monkeypatch.setattr(LoadedSimulator, "with_arrays", full_reload)
    slow = tornadoes(seed_forecast, TARGETS, draws=400, inputs=keys)
    assert len(loads) == 2 * len(keys) + 1
    for t in TARGETS:
        pd.testing.assert_frame_equal(fast[t], slow[t], check_exact=True)
