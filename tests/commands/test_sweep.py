"""``forecast sweep`` on a real ``distributed.LocalCluster`` (worker processes):
determinism across executors, resume, a killed worker, equality with ``forecast run``,
invalid cases and bad input.

Small on purpose: 2x2 grids of the bundled scenario at 300 draws, one module-wide
two-worker cluster (closed at the end), one one-worker cluster for the determinism test.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.sweep import build_cases, parse_grid
from forecast.cli import main
from forecast.commands.sweep import SweepOptions, sweep
from forecast.engine.executor import DaskExecutor, InProcess
from tests.conftest import Borrowed

pytestmark = pytest.mark.usefixtures("cluster_time_bound")

DEEPSEEK = forecast.bundled("deepseek")
GRID = ["markets.developer_tools.cagr=0.3,0.5", "assessment.confidence=5,20"]
DRAWS = 300
SEED = 11


def _sweep(out: Path, executor: Any = None, grid: list[str] = GRID, **kw: Any) -> int:
    opts = SweepOptions(DEEPSEEK, out, grid=grid, draws=DRAWS, seed=SEED, quiet=True, **kw)
    return sweep(opts, executor=executor)


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("sweep.csv", "sweep.parquet")}


def test_same_tables_in_process_on_one_and_on_two_workers(tmp_path: Path, cluster: DaskExecutor) -> None:
    assert _sweep(tmp_path / "here", InProcess()) == 0
    assert _sweep(tmp_path / "two", Borrowed(cluster)) == 0
    first_worker = sorted(cluster.workers())[:1]
    assert _sweep(tmp_path / "one", Borrowed(cluster.on(first_worker))) == 0
    here = _files(tmp_path / "here")
    assert _files(tmp_path / "one") == here
    assert _files(tmp_path / "two") == here
    table = pd.read_parquet(tmp_path / "two" / "sweep.parquet")
    assert table["case"].nunique() == 4 and (table["status"] == "ok").all()
    assert np.isfinite(table["value"]).all() and np.isfinite(table["mcse"]).all()


def test_table_equals_forecast_run_of_each_case(
    tmp_path: Path, cluster: DaskExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECAST_FIGURE_WORKER", "0")  # no extra process for the run's figures
    assert _sweep(tmp_path / "s", Borrowed(cluster)) == 0
    table = pd.read_parquet(tmp_path / "s" / "sweep.parquet")
    cases = build_cases({"deepseek": forecast.load(DEEPSEEK)}, parse_grid(GRID), seed=SEED, draws=DRAWS)
    for case in cases:
        rows = table[table["case"] == case.index]
        assert rows["seed"].iloc[0] == case.seed
        s = forecast.load(
            DEEPSEEK, overrides={**case.settings, "simulation.draws": DRAWS, "simulation.seed": case.seed}
        )
        fc = forecast.simulate(s)
        for r in fc.outcomes().itertuples():
            got = rows[rows["quantity"] == f"outcome.{r.outcome}"].iloc[0]
            assert (got["value"], got["mcse"]) == (r.probability, r.mcse)
        for r in fc.predictions().itertuples():
            got = rows[rows["quantity"] == f"prediction.{r.id}"].iloc[0]
            assert (got["value"], got["mcse"]) == (r.probability, r.mcse)
        m = fc.markets().query("market == 'developer_tools' and year == 2027").iloc[0]
        got = rows[(rows["quantity"] == "market.developer_tools") & (rows["year"] == 2027)]
        assert dict(zip(got["statistic"], got["value"], strict=True)) == {
            k: m[k] for k in ("mean", "q05", "q25", "q50", "q75", "q95")
        }
    # and the command line itself, for one case: outcomes.csv == the sweep's rows (CSV format)
    case = cases[1]
    out = tmp_path / "run"
    assert (
        main(["run", str(DEEPSEEK), *case.set_args(), "--out", str(out), "--quiet", "--no-sensitivity"]) == 0
    )
    outcomes = pd.read_csv(out / "outcomes.csv")
    csv = pd.read_csv(tmp_path / "s" / "sweep.csv")
    for r in outcomes.itertuples():
        got = csv[(csv["case"] == case.index) & (csv["quantity"] == f"outcome.{r.outcome}")].iloc[0]
        assert (got["value"], got["mcse"]) == (r.probability, r.mcse)


def test_rerun_resumes_from_the_finished_cases(tmp_path: Path, cluster: DaskExecutor, capsys: Any) -> None:
    out = tmp_path / "s"
    first = Borrowed(cluster)
    assert _sweep(out, first, grid=["markets.developer_tools.cagr=0.3,0.5"]) == 0
    assert first.ran == 2
    # a bigger grid over the same folder: only the new cases run
    second = Borrowed(cluster)
    assert _sweep(out, second, grid=["markets.developer_tools.cagr=0.3,0.5,0.7"]) == 0
    assert second.ran == 1
    # the same command again: nothing runs, the same table is written
    before = _files(out)
    third = Borrowed(cluster)
    assert _sweep(out, third, grid=["markets.developer_tools.cagr=0.3,0.5,0.7"]) == 0
    assert third.ran == 0
    assert _files(out) == before
    assert len(list((out / "cases").glob("*.npz"))) == 3


def test_compare_runs_on_the_cluster_with_the_same_numbers(cluster: DaskExecutor) -> None:
    from forecast.analysis.comparison import Comparison

    base = forecast.load(DEEPSEEK)
    variants = [base, base.with_overrides({"assessment.confidence": 5})]
    here = Comparison.simulate(variants, names=["base", "unsure"], draws=DRAWS, seed=SEED)
    there = Comparison.simulate(variants, names=["base", "unsure"], draws=DRAWS, seed=SEED, executor=cluster)
    pd.testing.assert_frame_equal(there.outcomes(), here.outcomes())
    pd.testing.assert_frame_equal(there.differences(), here.differences())


def test_killed_worker_loses_nothing(tmp_path: Path, cluster: DaskExecutor) -> None:
    assert _sweep(tmp_path / "here", InProcess()) == 0
    victim = sorted(cluster.workers().values())[0]
    borrowed = Borrowed(cluster, after_first=lambda: os.kill(victim, signal.SIGKILL))
    assert _sweep(tmp_path / "killed", borrowed) == 0
    assert borrowed.ran == 4
    assert victim not in cluster.workers().values()  # it really died (its nanny started another)
    assert _files(tmp_path / "killed") == _files(tmp_path / "here")


def test_interrupted_sweep_keeps_finished_cases(tmp_path: Path) -> None:
    out = tmp_path / "s"

    def stop() -> None:
        raise KeyboardInterrupt

    assert _sweep(out, Borrowed(InProcess(), after_first=stop)) == 130
    assert sorted(p.name for p in out.iterdir()) == ["cases"]  # no results, no half folder
    kept = list((out / "cases").glob("*.npz"))
    assert len(kept) == 1 and _case_arrays(kept[0]) == ["__meta__"]  # its rows, no draws
    resumed = Borrowed(InProcess())
    assert _sweep(out, resumed) == 0
    assert resumed.ran == 3
    assert _files(out) == _files(_done(tmp_path))


def _case_arrays(path: Path) -> list[str]:
    with np.load(path, allow_pickle=False) as f:
        return sorted(f.files)


def _done(tmp_path: Path) -> Path:
    """A sweep of GRID run in one go, in this process, keeping its draws."""
    out = tmp_path / "whole"
    if not out.exists():
        assert _sweep(out, InProcess(), keep_draws=True) == 0
    return out


def test_draws_are_kept_only_when_asked(tmp_path: Path) -> None:
    """Without --keep-draws: no draws.zarr, case files of rows only (a few kB, not the
    1.3 MB a case of 2,000 draws took), and the same tables as with it."""
    out = tmp_path / "s"
    assert _sweep(out, InProcess()) == 0
    assert not (out / "draws.zarr").exists()
    cases = sorted((out / "cases").glob("*.npz"))
    assert len(cases) == 4 and all(_case_arrays(p) == ["__meta__"] for p in cases)
    assert max(p.stat().st_size for p in cases) < 100_000
    assert json.loads((out / "manifest.json").read_text())["keep_draws"] is False
    whole = _done(tmp_path)
    assert _files(out) == _files(whole)
    assert all("outcome_probability" in _case_arrays(p) for p in (whole / "cases").glob("*.npz"))
    assert json.loads((whole / "manifest.json").read_text())["keep_draws"] is True


def test_a_short_sweep_on_workers_starts_no_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--workers 2`` with four cases of 300 draws: the cases left never take 10 s
    here, so no worker process is started (each would cost seconds before its first
    case), and the table is the one of any other executor."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a LocalCluster was started for a few short cases")

    monkeypatch.setattr(DaskExecutor, "local", refuse)
    out = tmp_path / "s"
    assert _sweep(out, workers=2) == 0
    assert _files(out) == _files(_done(tmp_path))


def test_keep_draws_runs_again_the_cases_kept_without_them(tmp_path: Path, capsys: Any) -> None:
    """A folder swept without --keep-draws, swept again with it: each case runs again
    (said on stderr) and draws.zarr holds all four; without the flag again, nothing runs."""
    out = tmp_path / "s"
    assert _sweep(out, InProcess()) == 0
    capsys.readouterr()
    again = Borrowed(InProcess())
    assert _sweep(out, again, keep_draws=True) == 0
    assert again.ran == 4 and "holds no draws" in capsys.readouterr().err
    assert (out / "draws.zarr").is_dir()
    last = Borrowed(InProcess())
    assert _sweep(out, last) == 0
    assert last.ran == 0 and not (out / "draws.zarr").exists()


def test_invalid_case_is_marked_and_the_others_complete(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "s"
    status = _sweep(out, InProcess(), grid=["assessment.confidence=5,-1"])
    assert status == 2
    err = capsys.readouterr().err
    assert "assessment.confidence=-1" in err and "assessment.confidence" in err
    table = pd.read_csv(out / "sweep.csv")
    bad = table[table["status"] == "invalid"]
    assert len(bad) == 1 and "assessment.confidence" in bad["problem"].iloc[0]
    assert (table.loc[table["status"] == "ok", "case"] == 0).all()
    assert (out / "report.html").is_file() and not (out / "draws.zarr").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--grid", "markets.developer_tools.cagr"],
            "--grid: markets.developer_tools.cagr: expected KEY=V1,V2",
        ),
        (["--grid", "nope.key=1,2"], "no case is valid"),
        (["--draws", "10"], "--draws: must be at least 100"),
        (["--scenarios", "missing.toml"], "missing.toml"),
        (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler tcp://127.0.0.1:9"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: Any, args: list[str], message: str
) -> None:
    out = tmp_path / "s"
    assert main(["sweep", str(DEEPSEEK), *args, "--workers", "0", "--out", str(out), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_refuses_a_folder_it_did_not_write(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert (
        main(
            [
                "sweep",
                str(DEEPSEEK),
                "--grid",
                "assessment.confidence=5,6",
                "--workers",
                "0",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "not a forecast sweep" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_outputs(tmp_path: Path) -> None:
    import xarray as xr

    out = tmp_path / "s"
    assert _sweep(out, InProcess(), keep_draws=True) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "cases",
            "draws.zarr",
            "figures",
            "manifest.json",
            "report.html",
            "report.md",
            "sweep.csv",
            "sweep.parquet",
        ]
    )
    ds = xr.open_zarr(out / "draws.zarr", consolidated=False)
    assert ds.sizes["case"] == 4 and ds.sizes["draw"] == DRAWS
    # the manifest lists every result file with its SHA-256, the draws included
    files = json.loads((out / "manifest.json").read_text())["files"]
    written = {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.parts[len(out.parts)] != "cases"
    } - {"manifest.json"}
    assert set(files) == written and any(k.startswith("draws.zarr/") for k in files)
    assert all(hashlib.sha256((out / k).read_bytes()).hexdigest() == v for k, v in files.items())
    table = pd.read_parquet(out / "sweep.parquet")
    # the draws are the case's: the stored outcome probabilities give the table's number
    row = table[(table["case"] == 2) & (table["quantity"] == "outcome.independence")].iloc[0]
    q = ds["outcome_probability"].sel(case=2, outcome="independence").values
    assert float(q.mean()) == pytest.approx(row["value"], rel=1e-12)
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "http" not in html.split("<main>")[0].replace(
        "http-equiv", ""
    )


def test_python_api_returns_the_table(tmp_path: Path) -> None:
    df = forecast.sweep(DEEPSEEK, grid={"assessment.confidence": [5, 20]}, draws=DRAWS, seed=SEED)
    assert list(df["case"].unique()) == [0, 1]
    assert set(df["status"]) == {"ok"}
    assert "assessment.confidence" in df.columns
