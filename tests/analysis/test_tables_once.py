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


def test_metric_draws_that_are_plainly_finite_need_no_formula_data(
    seed_forecast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed's yearly metrics have no undefined year: the finiteness check reads them
    as they are, without building the metrics' formula data (~3 ms a call of
    ``forecast.simulate``) to zero the years a lag leaves undefined."""
    assert "metric_by_year" in seed_forecast.draws

    def no_formula_data(*args: Any) -> Any:
        raise AssertionError("the metrics' formula data was built")

    monkeypatch.setattr(results, "undefined_as_zero", no_formula_data)
    assert results.non_finite_draws(seed_forecast) == []


def test_risk_register_is_computed_once_per_forecast(
    seed_forecast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures and the report both show the risk register: one computation serves both."""
    import forecast.analysis.risks as risks

    fc = dataclasses.replace(seed_forecast)
    calls = []
    real = risks._interval_draws
    monkeypatch.setattr(risks, "_interval_draws", lambda *a: calls.append(1) or real(*a))
    first = risks.risk_register(fc)
    n = len(calls)
    assert n > 0
    first.loc[0, "probability"] = -1.0  # a caller's edit stays its own
    second = risks.risk_register(fc)
    assert len(calls) == n
    assert second.loc[0, "probability"] != -1.0
    assert second.equals(risks.risk_register(dataclasses.replace(seed_forecast)))


def test_quantile_mcse_does_not_import_scipy_stats() -> None:
    """scipy.stats (~0.6 s of CPU to import, with scipy.optimize) was imported by a run only
    for one Beta quantile; scipy.special's betaincinv gives the same bits."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, numpy as np\n"
        "from forecast.analysis.sweep import quantile_mcse\n"
        "x = np.random.default_rng(1).normal(size=(1, 20_000, 2))\n"
        "se = quantile_mcse(None, x, [0.05, 0.5, 0.95])\n"
        "print('scipy.stats' in sys.modules, json.dumps(se.tolist()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split(" ", 1)
    assert out[0] == "False"
    # the same numbers as through scipy.stats.beta.ppf, to the last bit
    from scipy.stats import beta

    x = np.random.default_rng(1).normal(size=(1, 20_000, 2))
    flat = x.reshape(-1, 2)
    want = []
    for p in (0.05, 0.5, 0.95):
        a, b = beta.ppf([0.1586553, 0.8413447], 20_000 * p + 1, 20_000 * (1 - p) + 1)
        lo, hi = np.quantile(flat, [a, b], axis=0)
        want.append(((hi - lo) / 2).tolist())
    assert json.loads(out[1]) == want


@pytest.mark.parametrize("table", ["position_by_outcome", "prediction_by_outcome"])
def test_the_tables_by_outcome_are_computed_once_per_forecast(seed_forecast: Any, table: str) -> None:
    """The figures and the report both show them: the second reads no draws (at 1e6
    draws the share and revenue quantiles per outcome were computed twice)."""
    import forecast.analysis.implied as implied

    fc = dataclasses.replace(seed_forecast)
    reads = []
    real = fc.values
    fc.values = lambda *a, **k: reads.append(a) or real(*a, **k)  # type: ignore[method-assign]
    first = getattr(implied, table)(fc)
    assert reads and len(first)
    first.iloc[0, 0] = "edited"  # a caller's edit stays its own
    n = len(reads)
    second = getattr(implied, table)(fc)
    assert len(reads) == n
    assert second.iloc[0, 0] != "edited"
    assert second.equals(getattr(implied, table)(dataclasses.replace(seed_forecast)))


def test_the_metrics_table_is_computed_once_per_forecast(seed_forecast: Any) -> None:
    """``metrics.csv``, the metrics section, their figures and the workbook all show it:
    the later calls read no draws (each computed every quantile of the metrics again)."""
    from forecast.analysis.metrics import metric_table

    fc = dataclasses.replace(seed_forecast)
    reads = []
    real = fc.values
    fc.values = lambda *a, **k: reads.append(a) or real(*a, **k)  # type: ignore[method-assign]
    first = metric_table(fc)
    assert reads and len(first)
    n = len(reads)
    first.loc[0, "mean"] = -1.0
    second = fc.metrics()
    assert len(reads) == n
    assert second.loc[0, "mean"] != -1.0
    assert second.equals(metric_table(dataclasses.replace(seed_forecast)))


def test_the_exceedance_tables_sort_each_target_once(
    seed_forecast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's table of amounts exceeded with 95%, 90%, ... probability: one
    ``np.quantile`` call per curve for all its levels (it was one per level), the same bits."""
    from forecast.outputs.exceedance import TABLE_LEVELS, exceedance_blocks, exceedance_frames

    frames = exceedance_frames(seed_forecast)
    assert frames
    calls = []
    real = np.quantile
    monkeypatch.setattr(np, "quantile", lambda *a, **k: calls.append(1) or real(*a, **k))
    blocks = exceedance_blocks(seed_forecast, {})
    assert len(blocks) == len(frames)
    assert len(calls) == 2 * len(frames)  # per curve: its grid's ends, then the table's levels
    monkeypatch.setattr(np, "quantile", real)
    from forecast.analysis.sensitivity import parse_target
    from forecast.outputs.formatting import sig

    for frame, block in zip(frames, blocks, strict=True):
        t = parse_target(seed_forecast.scenario, str(frame["target"].iloc[0]))
        y = np.asarray(t.of(seed_forecast), dtype=float)
        want = [sig(float(np.quantile(y, 1 - level))) for level in TABLE_LEVELS]
        assert want == [row[1] for row in _table_rows(block)]


def _table_rows(block: Any) -> list[Any]:
    assert len(block.tables) == 1
    return list(block.tables[0].rows)
