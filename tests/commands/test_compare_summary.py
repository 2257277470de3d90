"""``forecast compare`` without ``--quiet``: the terminal summary a strategist reads first.

Its numbers are checked against the comparison's own CSV tables, cell by cell.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast.cli import main
from forecast.outputs.formatting import interval, key_year, pct, sig


def test_compare_prints_medians_and_odds_that_match_its_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps to the terminal width otherwise
    files = [forecast.bundled("deepseek"), forecast.bundled("deepseek-bear")]
    out = tmp_path / "cmp"
    argv = ["compare", *map(str, files), "--out", str(out), "--draws", "1000", "--seed", "3"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    markets = pd.read_csv(out / "markets.csv")
    outcomes = pd.read_csv(out / "outcomes.csv")
    year = key_year(forecast.load(files[0]))
    assert f"Median in {year} (90% interval)" in text
    for name in ("deepseek", "deepseek_bear"):
        r = markets[
            (markets["scenario"] == name) & (markets["market"] == "total") & (markets["year"] == year)
        ]
        assert f"{sig(r.q50.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0])})" in text, name
        for p in outcomes[outcomes["scenario"] == name]["probability"]:
            assert pct(p) in text, (name, p)
    assert "Outcome probabilities" in text
    assert str(out / "report.html") in text.replace("\n", "")
