"""``forecast compare --target`` (metrics wherever a market target is, issue 26), the
chosen option of each scenario's decision (issue 29), and what-ifs of one file with
common random numbers (issue 25)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast.cli import main


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


def test_a_what_if_tabulates_metric_targets_and_the_chosen_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    out = tmp_path / "cmp"
    argv = [
        "compare",
        str(forecast.bundled("deepseek-decision")),
        "--set",
        "markets.developer_tools.cagr=0.30",
        "--target",
        "metric.devtools_npv",
        "--target",
        "metric.devtools_revenue_m@2027",
        "--target",
        "market.vertical_solutions@2028",
        "--draws",
        "600",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    targets = _csv(out, "targets")
    assert list(dict.fromkeys(targets["target"])) == [
        "metric.devtools_npv",
        "metric.devtools_revenue_m@2027",
        "market.vertical_solutions@2028",
    ]
    # the what-if does not touch vertical solutions: identical, no error, not "noise"
    vs = targets[
        (targets["target"] == "market.vertical_solutions@2028") & (targets["scenario"] != "deepseek_decision")
    ]
    assert vs["difference"].iloc[0] == 0 and vs["difference_mcse"].iloc[0] == 0
    npv = targets[(targets["target"] == "metric.devtools_npv")].set_index("scenario")
    assert npv["difference"].iloc[1] < 0 and not npv["within_noise"].iloc[1]
    assert "Targets" in text and "metric.devtools_npv" in text
    # the decision: one row per scenario, its chosen option and expected payoff with its error
    dec = _csv(out, "decisions")
    assert len(dec) == 2 and set(dec["criterion"]) == {"expected"}
    assert set(dec["chosen_option"]) <= {"license_now", "wait_for_release", "western_api"}
    assert (dec["expected_payoff_mcse"] > 0).all()
    assert "Decision in deepseek_decision (expected):" in text
    d = _csv(out, "differences")
    assert {"option.license_now", "option.western_api", "metric.devtools_npv"} <= set(d["quantity"])
    assert "within_noise" in d.columns
    assert (_csv(out, "metrics")["scenario"].nunique()) == 2
    md = (out / "report.md").read_text()
    assert "## " in md and "Targets" in md and "The option chosen" in md


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("metric.devtools_npvv", "did you mean 'devtools_npv'?"),
        ("metric.devtools_revenue_m@2040", "year 2040 is outside the simulated years"),
        ("metric.devtools_revenue_m", "is yearly: name its year"),
        ("total@2040", "year 2040 is not simulated"),
    ],
)
def test_a_bad_target_exits_2_and_writes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    path = str(forecast.bundled("deepseek"))
    argv = [
        "compare",
        path,
        "--set",
        "assessment.confidence=5",
        "--target",
        target,
        "--out",
        "out",
        "--quiet",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--target: " in err and message in err
    assert list(workdir.iterdir()) == []
