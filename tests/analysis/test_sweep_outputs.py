"""What a sweep reports beyond markets and probabilities: every metric (issue 26), each
option's expected payoff and the option each case's decision picks (issue 29), and the
``--target`` key numbers its report draws, refused before any work when they name
nothing (issue 26). In this process (no cluster), at a few hundred draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.decision import with_payoffs
from forecast.analysis.sweep import build_cases, case_frame, case_rows, sweep_table
from forecast.cli import main


def _rows(fc: Any) -> pd.DataFrame:
    return pd.DataFrame(case_rows(fc))


def test_a_case_carries_every_metric(seed_forecast: Any) -> None:
    rows = _rows(seed_forecast)
    metrics = seed_forecast.metrics()
    npv = rows[(rows["quantity"] == "metric.devtools_npv") & (rows["statistic"] == "q50")]
    assert len(npv) == 1 and pd.isna(npv["year"].iloc[0])
    assert npv["value"].iloc[0] == metrics.set_index("metric").loc["devtools_npv", "q50"]
    yearly = rows[(rows["quantity"] == "metric.devtools_revenue_m") & (rows["year"] == 2027)]
    assert set(yearly["statistic"]) == {"mean", "q05", "q25", "q50", "q75", "q95"}
    want = metrics[(metrics["metric"] == "devtools_revenue_m") & (metrics["year"] == 2027)].iloc[0]
    got = yearly.set_index("statistic")
    assert got.loc["mean", "value"] == want["mean"]
    assert got.loc["mean", "mcse"] == pytest.approx(want["mcse"], rel=1e-12)
    assert (got["mcse"] > 0).all()


def test_a_decision_of_point_payoffs_picks_the_known_option(seed_forecast: Any) -> None:
    n = seed_forecast.n_draws
    fc = with_payoffs(seed_forecast, np.array([[1.0] * n, [2.5] * n, [2.0] * n]), options=["a", "b", "c"])
    rows = _rows(fc)
    expected = rows[rows["statistic"] == "expected"].set_index("quantity")
    assert expected.loc["option.a", "value"] == 1.0 and expected.loc["option.b", "value"] == 2.5
    assert (expected["mcse"] == 0).all()
    chosen = rows[rows["quantity"] == "decision"].set_index("statistic")
    assert chosen.loc["expected_payoff", "value"] == 2.5 and chosen.loc["expected_payoff", "mcse"] == 0
    case = build_cases({"deepseek": seed_forecast.scenario}, {}, seed=1, draws=1000)[0]
    table = sweep_table([case], {0: case_frame(case, "ok", case_rows(fc))}, [])
    assert set(table["chosen_option"]) == {"b"} and set(table["criterion"]) == {"expected"}
    # a scenario without options: the columns are there, empty
    plain = sweep_table([case], {0: case_frame(case, "ok", case_rows(seed_forecast))}, [])
    assert set(plain["chosen_option"]) == {""} and set(plain["criterion"]) == {""}


def test_a_sweep_of_a_decision_reports_the_chosen_option_per_case() -> None:
    path = forecast.bundled("deepseek-decision")
    grid = {"markets.developer_tools.cagr": [0.2, 0.6]}
    table = forecast.sweep(path, grid, draws=400, seed=4)
    s = forecast.load(path)
    for cagr, case in table.groupby("markets.developer_tools.cagr"):
        fc = forecast.simulate(s.with_overrides({"markets.developer_tools.cagr": cagr}), draws=400, seed=4)
        result = fc.decision()
        assert set(case["chosen_option"]) == {result.chosen}
        row = case[(case["quantity"] == "decision") & (case["statistic"] == "expected_payoff")].iloc[0]
        best = result.table.set_index("option").loc[result.chosen]
        assert row["value"] == pytest.approx(best["expected"]) and row["mcse"] == pytest.approx(
            best["expected_mcse"]
        )


def _sweep_argv(out: Path, *targets: str) -> list[str]:
    argv = ["sweep", str(forecast.bundled("deepseek")), "--grid", "assessment.confidence=5,20"]
    argv += ["--draws", "200", "--workers", "0", "--out", str(out), "--quiet"]
    for t in targets:
        argv += ["--target", t]
    return argv


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("metric.devtools_npvv", "did you mean 'devtools_npv'?"),
        ("metric.devtools_revenue_m@2040", "year 2040 is outside the simulated years"),
        ("metric.devtools_revenue_m", "is yearly: name its year"),
        ("market.developer_tool@2027", "did you mean 'developer_tools'?"),
    ],
)
def test_a_bad_sweep_target_exits_2_and_writes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    assert main(_sweep_argv(workdir / "out", target)) == 2
    err = capsys.readouterr().err
    assert "--target: " in err and message in err
    assert list(workdir.iterdir()) == []


def test_the_sweep_report_draws_its_targets(workdir: Path) -> None:
    out = workdir / "out"
    assert main(_sweep_argv(out, "metric.devtools_npv", "metric.devtools_revenue_m@2027")) == 0
    md = (out / "report.md").read_text()
    assert "Present value (start of 2025) of developer-tools revenue 2025-2028: median" in md
    assert "DeepSeek developer-tools revenue: median 2027" in md
    table = pd.read_csv(out / "sweep.csv")
    assert {"metric.devtools_npv", "metric.devtools_revenue_m"} <= set(table["quantity"])
