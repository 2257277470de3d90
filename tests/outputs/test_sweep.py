"""The sweep's draws store and report, on small made-up cases (no simulation)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import xarray as xr

from forecast.outputs.sweep import write_draws, write_sweep_report


def _draws(markets: list[str], n: int, offset: float) -> xr.Dataset:
    size = offset + np.arange(n * len(markets), dtype=float).reshape(1, n, len(markets))
    return xr.Dataset(
        {
            "size": (("chain", "draw", "market"), size),
            "realized_outcome": (("chain", "draw"), np.arange(n).reshape(1, n) % 2),
        },
        coords={"market": markets},
    )


def _case(index: int, scenario: str) -> SimpleNamespace:
    return SimpleNamespace(index=index, key=f"k={index}", scenario=scenario)


def test_cases_of_one_structure_stack_unchanged(tmp_path: Path) -> None:
    data = {0: _draws(["a", "b"], 5, 0.0), 2: _draws(["a", "b"], 5, 100.0)}
    cases = [_case(0, "s"), _case(1, "s"), _case(2, "s")]  # case 1 did not finish
    write_draws(cases, {k: (lambda v=v: v) for k, v in data.items()}, tmp_path / "d.zarr")
    ds = xr.open_zarr(tmp_path / "d.zarr", consolidated=False).load()
    assert list(ds["case"].values) == [0, 2]
    assert list(ds["case_key"].values) == ["k=0", "k=2"]
    assert ds["realized_outcome"].dtype.kind == "i"
    for c, v in data.items():
        xr.testing.assert_equal(ds.sel(case=c).drop_vars(["case", "case_key", "scenario"]), v)


def test_a_portfolio_shares_the_union_of_coordinates_with_nan_where_absent(tmp_path: Path) -> None:
    data = {0: _draws(["a", "b"], 5, 0.0), 1: _draws(["b", "c"], 3, 100.0)}
    cases = [_case(0, "first"), _case(1, "second")]
    write_draws(cases, {k: (lambda v=v: v) for k, v in data.items()}, tmp_path / "d.zarr")
    ds = xr.open_zarr(tmp_path / "d.zarr", consolidated=False).load()
    assert list(ds["market"].values) == ["a", "b", "c"]
    assert ds.sizes["draw"] == 5
    assert list(ds["scenario"].values) == ["first", "second"]
    second = ds["size"].sel(case=1)
    np.testing.assert_array_equal(
        second.sel(market="b").values[0, :3], data[1]["size"].sel(market="b").values[0]
    )
    assert np.isnan(second.sel(market="a")).all()  # not a market of that scenario
    assert np.isnan(second.values[0, 3:]).all()  # it had 3 draws, not 5
    assert ds["realized_outcome"].dtype.kind == "f"


def test_report_draws_heatmaps_and_lists_bad_cases(tmp_path: Path) -> None:
    rows = []
    for case, (cagr, conf) in enumerate([(0.3, 5), (0.3, 20), (0.5, 5), (0.5, 20)]):
        status = "invalid" if case == 3 else "ok"
        rows.append(
            {
                "case": case,
                "case_key": f"cagr={cagr}; conf={conf}",
                "scenario": "deepseek",
                "cagr": cagr,
                "conf": conf,
                "status": status,
                "quantity": "outcome.win" if status == "ok" else "",
                "year": None,
                "statistic": "probability" if status == "ok" else "",
                "value": 0.4 + 0.01 * case if status == "ok" else np.nan,
                "mcse": 0.01 if status == "ok" else np.nan,
                "problem": "" if status == "ok" else "a.toml: conf: <script>bad</script>",
            }
        )
    table = pd.DataFrame(rows)
    table["year"] = table["year"].astype("Int64")
    html = write_sweep_report(
        table, ["cagr", "conf"], tmp_path, provenance={"command": "forecast sweep"}
    ).read_text()
    assert html.count("data:image/png;base64,") == 1
    assert "&lt;script&gt;bad&lt;/script&gt;" in html and "<script>" not in html
    assert "3 of 4 cases ok" in html
    md = (tmp_path / "report.md").read_text()
    assert (
        "(figures/00-p-outcome-win.png)" in md and (tmp_path / "figures" / "00-p-outcome-win.png").is_file()
    )


def test_a_difference_within_two_standard_errors_is_marked() -> None:
    """A cell is marked as noise when |v - v0| < 2 sqrt(se^2 + se0^2), a closed form."""
    from forecast.outputs.sweep import within_noise

    df = pd.DataFrame({"value": [0.5, 0.5, 0.527, 0.529, 0.4], "mcse": [0.01, 0.0, 0.01, 0.01, 0.01]})
    # 0.027 < 2 * sqrt(2) * 0.01 = 0.0283; 0.029 is not
    assert within_noise(df).tolist() == [False, True, True, False, False]


def test_figure_titles_use_labels_not_ids() -> None:
    import forecast
    from forecast.outputs.sweep import _label, quantity_labels

    s = forecast.load(forecast.bundled("deepseek"))
    labels = quantity_labels(s)
    outcome = s.assessment.outcomes[0]
    assert _label((f"outcome.{outcome.id}", None, "probability"), labels) == f"P({outcome.label})"
    market = s.markets[0]
    assert _label((f"market.{market.id}", 2027, "median"), labels) == f"{market.label}: median 2027"
    title = _label((f"prediction.{s.predictions[0].id}", None, "probability"), labels)
    assert s.predictions[0].id not in title and title.startswith("P(" + s.predictions[0].statement[:20])
    # without labels (an old caller), the ids as before
    assert _label((f"outcome.{outcome.id}", None, "probability")) == f"P(outcome {outcome.id})"


def test_the_key_numbers_are_in_the_headline_year_not_the_last_simulated_year() -> None:
    """One headline year everywhere (issue 25): a sweep's default key numbers read the
    total and revenue in the scenario's headline year; without one, the last year."""
    from forecast.outputs.sweep import headline_quantities

    rows = [
        {"status": "ok", "quantity": q, "year": y, "statistic": "q50", "value": 1.0}
        for q in ("total", "revenue.acme", "market.gpu")
        for y in (2026, 2027, 2028)
    ]
    rows.append(
        {"status": "ok", "quantity": "outcome.win", "year": None, "statistic": "probability", "value": 0.5}
    )
    table = pd.DataFrame(rows)
    assert headline_quantities(table, year=2027) == [
        ("outcome.win", None, "probability"),
        ("total", 2027, "q50"),
        ("revenue.acme", 2027, "q50"),
    ]
    assert ("total", 2028, "q50") in headline_quantities(table)
