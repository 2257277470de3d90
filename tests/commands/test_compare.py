"""``forecast compare``: side-by-side tables that equal each scenario's own run.

One comparison of the bundled base, bull and bear scenarios is written per module
(2,000 draws, seed 5); each scenario is also simulated on its own with the same
draws and seed, and every table of the comparison must equal that run's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.comparison import DIFFERENCE_COLUMNS, Comparison
from forecast.analysis.results import MARKET_COLUMNS, OUTCOME_COLUMNS, PREDICTION_COLUMNS
from forecast.cli import main
from forecast.commands.compare import CompareOptions, compare, load_variants

FILES = ["deepseek", "deepseek-bull", "deepseek-bear"]
NAMES = ["deepseek", "deepseek_bull", "deepseek_bear"]
DRAWS, SEED = 2000, 5


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare") / "cmp"
    args = ["compare", *[str(forecast.bundled(f)) for f in FILES]]
    assert main([*args, "--out", str(out), "--draws", str(DRAWS), "--seed", str(SEED), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def own_runs() -> dict[str, Any]:
    return {
        n: forecast.simulate(forecast.load(forecast.bundled(f)), draws=DRAWS, seed=SEED)
        for n, f in zip(NAMES, FILES, strict=True)
    }


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


@pytest.mark.parametrize(
    ("table", "columns", "key"),
    [
        ("markets", MARKET_COLUMNS, ["market", "year"]),
        ("outcomes", OUTCOME_COLUMNS, ["outcome"]),
        ("predictions", PREDICTION_COLUMNS, ["id"]),
    ],
)
def test_tables_equal_each_scenarios_own_run(
    compared: Path, own_runs: dict[str, Any], table: str, columns: list[str], key: list[str]
) -> None:
    got = _csv(compared, table)
    assert list(got.columns) == ["scenario", *columns]
    assert list(dict.fromkeys(got["scenario"])) == NAMES
    for name, fc in own_runs.items():
        mine = got[got["scenario"] == name].drop(columns="scenario").reset_index(drop=True)
        theirs = getattr(fc, table)()
        assert len(mine) == len(theirs)
        num = [c for c in columns if pd.api.types.is_numeric_dtype(theirs[c]) and c not in key]
        # the CSV keeps 6 significant figures
        np.testing.assert_allclose(
            mine[num].to_numpy(float), theirs[num].to_numpy(float), rtol=1e-5, atol=1e-12
        )
        text = [c for c in columns if c not in num]
        assert mine[text].astype(str).equals(theirs[text].astype(str))


def test_python_api_equals_own_runs_exactly(own_runs: dict[str, Any]) -> None:
    scenarios = [forecast.load(forecast.bundled(f)) for f in FILES]
    cmp = Comparison.simulate(scenarios, draws=DRAWS, seed=SEED)
    assert cmp.names == NAMES
    for name, fc in own_runs.items():
        for table in ("markets", "outcomes", "predictions"):
            got = getattr(cmp, table)()
            mine = got[got["scenario"] == name].drop(columns="scenario").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, getattr(fc, table)())


def test_differences_are_against_the_first(compared: Path, own_runs: dict[str, Any]) -> None:
    d = _csv(compared, "differences")
    assert list(d.columns) == DIFFERENCE_COLUMNS
    assert set(d["scenario"]) == {"deepseek_bull", "deepseek_bear"} and set(d["vs"]) == {"deepseek"}
    base, bull = own_runs["deepseek"], own_runs["deepseek_bull"]
    row = d[(d["scenario"] == "deepseek_bull") & (d["quantity"] == "outcome.independence")].iloc[0]
    b = base.outcomes().set_index("outcome").loc["independence"]
    u = bull.outcomes().set_index("outcome").loc["independence"]
    assert row["difference"] == pytest.approx(u["probability"] - b["probability"], rel=1e-5)
    # both forward runs of 2,000 draws: the error comes from the paired draws (one seed,
    # one stream layout: common random numbers), below the independent runs' bound
    k = base.scenario.outcome_ids.index("independence")
    paired = bull.values("outcome_probability")[:, k] - base.values("outcome_probability")[:, k]
    assert row["mcse"] == pytest.approx(paired.std(ddof=1) / np.sqrt(DRAWS), rel=1e-5)
    assert row["mcse"] < np.hypot(u["mcse"], b["mcse"])
    # the bull case grows developer tools faster: its 2028 median is higher
    dev = d[
        (d["scenario"] == "deepseek_bull") & (d["quantity"] == "market.developer_tools") & (d["year"] == 2028)
    ]
    assert dev["difference"].iloc[0] > 0
    assert {"total", "revenue.deepseek_devtools", "prediction.tiered_licensing"} <= set(d["quantity"])


def test_folder_holds_the_report_and_a_manifest(compared: Path) -> None:
    names = {p.name for p in compared.iterdir()}
    assert {
        "report.html",
        "report.md",
        "markets.csv",
        "differences.csv",
        "manifest.json",
        "figures",
        "scenarios",
    } <= names
    assert sorted(p.name for p in (compared / "scenarios").iterdir()) == sorted(f"{n}.toml" for n in NAMES)
    figs = {p.name for p in (compared / "figures").iterdir()}
    assert {
        "compare_total.png",
        "compare_developer_tools.png",
        "compare_revenue.deepseek_devtools.png",
    } <= figs
    manifest = json.loads((compared / "manifest.json").read_text())
    assert manifest["kind"] == "comparison" and manifest["base"] == "deepseek"
    assert [s["seed"] for s in manifest["scenarios"]] == [SEED] * 3
    html = (compared / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(figs)
    assert "deepseek_bull − deepseek" in html
    md = (compared / "report.md").read_text()
    assert md.lstrip().startswith("# Comparison: ") and "What-if" not in md
    assert "## 5. Differences from deepseek" in md and "figures/compare_total.png" in md
    # each scenario's resolved inputs rerun to the same numbers
    s = forecast.load(compared / "scenarios" / "deepseek_bull.toml")
    assert s.sha256() == manifest["scenarios"][1]["sha256"]


def test_one_file_with_set_is_a_what_if(tmp_path: Path) -> None:
    out = tmp_path / "whatif"
    path = forecast.bundled("deepseek")
    code = main(
        [
            "compare",
            str(path),
            "--set",
            "markets.developer_tools.cagr=0.30",
            "--out",
            str(out),
            "--draws",
            "500",
            "--quiet",
        ]
    )
    assert code == 0
    d = _csv(out, "differences")
    assert set(d["scenario"]) == {"deepseek with --set"}
    dev = d[(d["quantity"] == "market.developer_tools") & (d["year"] == 2028)]
    assert dev["difference"].iloc[0] < 0  # 30% instead of the seed's 47%
    untouched = d[(d["quantity"] == "market.vertical_solutions")]
    assert (untouched["difference"] == 0).all()  # same seed, same draws elsewhere
    assert json.loads((out / "manifest.json").read_text())["overrides"] == {
        "markets.developer_tools.cagr": 0.3
    }
    # the report says what-if before anything else, with the override's old and new value
    md = (out / "report.md").read_text()
    assert md.lstrip().startswith("# What-if: Comparison: deepseek vs deepseek with --set")
    assert "| markets.developer_tools.cagr | median 0.47, sigma 0.08 | median 0.3, sigma 0.08 |" in md
    assert "<title>What-if: Comparison" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{deepseek}"], "needs two or more scenario files"),
        (["{deepseek}", "nope.toml"], "nope.toml"),
        (["{deepseek}", "{deepseek}", "--set", "markets.nope.cagr=0.3"], "no item with id 'nope'"),
        (["{deepseek}", "--set", "oops"], "expected KEY=VALUE"),
        (["{deepseek}", "{deepseek}", "--draws", "5"], "simulation.draws"),
        # a market in USD m beside the same market in USD bn: its differences would be
        # USD m minus USD bn (0.33 - 326 = -325.7)
        (
            ["{deepseek}", "--set", 'markets.developer_tools.unit="USD m"'],
            "markets.developer_tools.unit: is in 'USD m' here but in 'USD bn' in deepseek: a comparison "
            "subtracts one from the other, so a market needs one unit in every scenario (got 'USD m')",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = [a.replace("{deepseek}", str(forecast.bundled("deepseek"))) for a in args]
    assert main(["compare", *argv, "--out", "out", "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert list(workdir.iterdir()) == []


def test_a_failure_leaves_nothing_behind(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Comparison, "write_report", boom)
    path = forecast.bundled("deepseek")
    assert main(["compare", str(path), str(path), "--out", "deep/out", "--draws", "200", "--quiet"]) == 1
    assert list(workdir.iterdir()) == []


def test_duplicate_files_get_unique_names() -> None:
    path = forecast.bundled("deepseek")
    scenarios, names = load_variants(CompareOptions([path, path]))
    assert names == ["deepseek", "deepseek#2"] and len(scenarios) == 2


def test_compare_function_returns_exit_codes(tmp_path: Path) -> None:
    assert compare(CompareOptions([forecast.bundled("deepseek")], out=tmp_path / "x", quiet=True)) == 2
    assert not (tmp_path / "x").exists()
