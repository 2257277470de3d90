"""``forecast run``: files written, atomic replacement, bad input, interruption, determinism.

In-process runs (``main([...])``) share the session's compiled simulator; two tests
run the real console script in a subprocess: the default run from another working
directory, and Ctrl-C in the middle of a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import forecast
from forecast.analysis.results import MARKET_COLUMNS, OUTCOME_COLUMNS, PREDICTION_COLUMNS
from forecast.cli import main
from forecast.commands.common import parse_sets, parse_value
from forecast.commands.run import REPORT_FILES, RunOptions
from tests.child import child_options

FORECAST = Path(sys.executable).with_name("forecast")  # the installed console script
CSVS = ("markets.csv", "outcomes.csv", "predictions.csv")


def leftovers(folder: Path) -> list[str]:
    """Hidden staging or backup folders a run may have left in ``folder``."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(".") and (".partial-" in p.name or ".old-" in p.name)
    )


# --- the report folder ------------------------------------------------------------------


def test_run_writes_every_file(seed_report: Path) -> None:
    # sensitivity.csv only with a Sensitivity section (the fixture runs --no-sensitivity)
    assert sorted(p.name for p in seed_report.iterdir()) == sorted(set(REPORT_FILES) - {"sensitivity.csv"})
    figures = sorted(p.name for p in (seed_report / "figures").iterdir())
    assert "market_total.png" in figures and "outcomes.png" in figures
    assert all((seed_report / "figures" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in figures)
    assert list(pd.read_csv(seed_report / "markets.csv").columns) == MARKET_COLUMNS
    assert list(pd.read_csv(seed_report / "outcomes.csv").columns) == OUTCOME_COLUMNS
    assert list(pd.read_csv(seed_report / "predictions.csv").columns) == PREDICTION_COLUMNS
    assert not leftovers(seed_report.parent)
    assert oct(seed_report.stat().st_mode & 0o777) != oct(0o700), "the staging folder's private mode leaked"


def test_manifest_records_versions_seed_hash_command_timings(seed_report: Path) -> None:
    m = json.loads((seed_report / "manifest.json").read_text())
    scenario = forecast.load(forecast.bundled("deepseek"))
    assert m["seed"] == scenario.simulation.seed
    assert m["draws"] == scenario.simulation.draws
    assert m["scenario"]["sha256"] == scenario.sha256()
    assert m["command"] == f"forecast run --out {seed_report} --no-sensitivity --quiet"
    assert set(m["versions"]) >= {"forecast", "pymc", "pytensor", "arviz", "numpy", "nutpie", "python"}
    assert m["versions"]["forecast"] == forecast.__version__
    assert {"load", "simulate_total", "report", "netcdf", "total"} <= set(m["timings_seconds"])
    assert m["method"] == "forward" and m["diagnostic_warnings"] == []
    # every other file is listed with its hash
    import hashlib

    files = {str(p.relative_to(seed_report)) for p in seed_report.rglob("*") if p.is_file()} - {
        "manifest.json"
    }
    assert set(m["files"]) == files
    digest = hashlib.sha256((seed_report / "markets.csv").read_bytes()).hexdigest()
    assert m["files"]["markets.csv"] == digest


def test_scenario_toml_is_the_resolved_scenario_and_reruns(seed_report: Path) -> None:
    text = (seed_report / "scenario.toml").read_text()
    scenario = forecast.load(forecast.bundled("deepseek"))
    assert text == scenario.to_toml()
    again = forecast.load(seed_report / "scenario.toml")
    assert again.sha256() == scenario.sha256()


def test_forecast_nc_is_the_datatree(seed_report: Path, seed_forecast: Any) -> None:
    import xarray as xr

    with xr.open_datatree(seed_report / "forecast.nc", engine="h5netcdf") as tree:
        assert sorted(tree.children) == ["constant_data", "prior", "prior_predictive"]
        ds = tree["prior"].to_dataset()
        assert ds.sizes["draw"] == 20_000
        assert list(ds["market"].values) == [m.id for m in seed_forecast.scenario.markets]
        assert tree.attrs["scenario_sha256"] == seed_forecast.scenario.sha256()
        assert float(ds["total_market"].mean()) == pytest.approx(
            float(seed_forecast.values("total_market").mean())
        )


def test_summary_on_stdout_unless_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--no-sensitivity", "--out", str(tmp_path / "loud"), "--draws", "1000"]) == 0
    out, err = capsys.readouterr()
    assert "Market size in 2027" in out and "Outcomes" in out and "Predictions" in out
    # the signpost, named, with what it does to the outcome and the prediction it moves most
    line = next(x for x in out.splitlines() if x.startswith("Signpost “DeepSeek's next major model release"))
    assert "P(Sustainable independence as a specialised AI provider)" in line
    assert "“DeepSeek captures at least 25% of the developer-focused AI tool market" in line
    assert line.count("if true") == 2 and line.count("if false") == 2
    assert "What-if" not in out
    assert f"Report: {tmp_path / 'loud' / 'report.html'}" in out.replace("\n", "")
    assert "Simulating 1,000 draws" in err  # progress lines (stderr is not a terminal here)
    assert (
        main(["run", "--no-sensitivity", "--out", str(tmp_path / "quiet"), "--draws", "1000", "--quiet"]) == 0
    )
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_summary_says_on_or_by_each_deadline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A threshold judged 'at' its deadline is a figure on that date: the terminal must not
    head it "By" (the report says "on 2026-07-01")."""
    args = ["run", "--no-sensitivity", "--out", str(tmp_path / "on"), "--draws", "1000"]
    assert main([*args, "--set", 'predictions.devtools_leadership.when="at"']) == 0
    out = capsys.readouterr().out
    assert "│ on 2026-07-01" in out and "│ by 2026-01-01" in out
    assert "│ By " not in out and "Deadline" in out


def test_set_draws_seed_and_prior_only_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "r"
    argv = [
        "run",
        "--no-sensitivity",
        "--out",
        str(out),
        "--quiet",
        "--draws",
        "1000",
        "--seed",
        "3",
        "--prior-only",
    ]
    argv += ["--set", "markets.developer_tools.cagr=0.30", "--set", "title=Bear case"]
    assert main(argv) == 0
    s = forecast.load(out / "scenario.toml")
    assert s.title == "Bear case"
    assert s.simulation.draws == 1000 and s.simulation.seed == 3
    assert s.market("developer_tools").cagr is not None
    assert float(s.market("developer_tools").cagr.canonical("growth").quantile(0.5)) == pytest.approx(0.30)
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 3 and m["draws"] == 1000 and m["prior_only"] is True
    assert m["scenario"]["overrides"] == {"markets.developer_tools.cagr": 0.3, "title": "Bear case"}
    assert m["scenario"]["sha256"] == s.sha256()


def test_same_scenario_and_seed_give_byte_identical_csvs(tmp_path: Path) -> None:
    args = ["--draws", "2000", "--seed", "11", "--quiet"]
    assert main(["run", "--no-sensitivity", "--out", str(tmp_path / "a"), *args]) == 0
    assert main(["run", "--no-sensitivity", "--out", str(tmp_path / "b"), *args]) == 0
    for name in (*CSVS, "growth.csv", "signposts.csv", "by_outcome.csv", "risks.csv", "questions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "figures" / "market_total.png").read_bytes() == (
        tmp_path / "b" / "figures" / "market_total.png"
    ).read_bytes()
    # and the seed matters (checked without a third run: the tables are what it writes)
    other = forecast.simulate(forecast.load(tmp_path / "a" / "scenario.toml"), seed=12)
    other.write_tables(tmp_path / "c")
    assert (tmp_path / "a" / "markets.csv").read_bytes() != (tmp_path / "c" / "markets.csv").read_bytes()
    same = forecast.simulate(forecast.load(tmp_path / "a" / "scenario.toml"))
    same.write_tables(tmp_path / "d")
    assert (tmp_path / "a" / "markets.csv").read_bytes() == (tmp_path / "d" / "markets.csv").read_bytes()


def test_default_run_from_any_directory(tmp_path: Path, seed_report: Path) -> None:
    """The console script, no arguments, in an empty folder: reports/deepseek/ appears,
    with the same CSV bytes as the session's in-process run (same scenario and seed)."""
    proc = subprocess.run(
        [str(FORECAST), "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        **child_options(FORECAST_DEBUG="1"),
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "reports" / "deepseek"
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    assert "Market size in 2027" in proc.stdout
    for name in CSVS:
        assert (out / name).read_bytes() == (seed_report / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert not leftovers(tmp_path / "reports")


# --- atomic replacement and failures -------------------------------------------------


def test_existing_report_is_replaced_by_a_complete_one(tmp_path: Path, seed_report: Path) -> None:
    out = tmp_path / "deepseek"
    shutil.copytree(seed_report, out)
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(set(REPORT_FILES) - {"sensitivity.csv"})
    assert json.loads((out / "manifest.json").read_text())["draws"] == 1000
    assert not leftovers(tmp_path)


def test_a_report_with_a_file_added_or_the_input_inside_is_not_replaced(
    tmp_path: Path, seed_report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file the user added to a report folder, or the scenario being run stored in
    it, would be deleted by the replacement: exit 2, nothing touched (the folder-level
    cases are in tests/outputs/test_staging.py)."""
    from tests.conftest import snapshot

    out = tmp_path / "deepseek"
    shutil.copytree(seed_report, out)
    (out / "stale.txt").write_text("my notes")
    before = snapshot(tmp_path)
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 2
    assert "did not write (stale.txt)" in capsys.readouterr().err
    assert snapshot(tmp_path) == before
    (out / "stale.txt").unlink()
    # rerunning a report's own scenario.toml into that report would delete the input
    argv = ["run", str(out / "scenario.toml"), "--no-sensitivity", "--out", str(out), "--quiet"]
    assert main([*argv, "--draws", "1000"]) == 2
    assert "an input of this run" in capsys.readouterr().err
    assert (out / "scenario.toml").read_bytes() == (seed_report / "scenario.toml").read_bytes()


def _fail_while_writing(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Make the report writer fail after it has written a few files."""
    import forecast.outputs.report

    real = forecast.outputs.report.write_report

    def broken(fc: Any, folder: Path, **kw: Any) -> Path:
        real(fc, folder, **kw)
        raise exc

    monkeypatch.setattr(forecast.outputs.report, "write_report", broken)


def test_failed_run_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_while_writing(monkeypatch, RuntimeError("disk on fire"))
    out = tmp_path / "new" / "deeper" / "deepseek"
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 1
    assert "RuntimeError: disk on fire" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [], "the run left files or the parent folders it created"


def test_failed_run_keeps_the_previous_report(
    tmp_path: Path, seed_report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import snapshot

    out = tmp_path / "deepseek"
    shutil.copytree(seed_report, out)
    before = snapshot(tmp_path)
    _fail_while_writing(monkeypatch, RuntimeError("boom"))
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 1
    assert snapshot(tmp_path) == before


def test_interrupt_in_process_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_while_writing(monkeypatch, KeyboardInterrupt())
    out = tmp_path / "reports" / "deepseek"
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted; nothing written" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_writing_forecast_nc_is_a_clear_error(
    tmp_path: Path, seed_report: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk fills up half way through forecast.nc: exit 1, "no space left", the
    previous report untouched, nothing partial (HDF5 crashed the process, exit 139)."""
    import errno

    import forecast.outputs.staging as staging
    from tests.conftest import snapshot

    real = staging._disk_write
    taken = [0]

    def full(f: Any, data: memoryview) -> int:  # the disk takes 200 kB of forecast.nc, then no more
        if taken[0] >= 200_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real(f, data[: 200_000 - taken[0]])
        taken[0] += n
        return n

    out = tmp_path / "deepseek"
    shutil.copytree(seed_report, out)
    before = snapshot(tmp_path)
    monkeypatch.setattr(staging, "_disk_write", full)
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no space left on the device" in err and "nothing written" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before


def _can_mount_tmpfs() -> bool:
    probe = "mount -t tmpfs -o size=1m tmpfs /mnt 2>/dev/null || mount -t tmpfs -o size=1m tmpfs /tmp"
    if not shutil.which("unshare"):
        return False
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True)
    return proc.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unshare -rm to mount a small tmpfs")
def test_a_really_full_disk_exits_1_without_a_crash(tmp_path: Path) -> None:
    """A real full filesystem (a 3 MB tmpfs in a private mount namespace; forecast.nc of
    20,000 draws is ~12 MB): no segfault, exit 1, nothing left in it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=3m tmpfs {shlex.quote(str(disk))} && "
        f"{shlex.quote(str(FORECAST))} run --no-sensitivity --quiet --out {shlex.quote(str(disk / 'r'))}; "
        f"echo rc=$?; ls -A {shlex.quote(str(disk))}"
    )
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=600)
    assert "rc=1\n" in proc.stdout, (proc.stdout, proc.stderr)
    assert proc.stdout.rstrip().endswith("rc=1"), f"left in the full disk: {proc.stdout}"
    assert "no space left on the device" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP])
def test_ctrl_c_during_a_run_leaves_no_partial_folder(tmp_path: Path, signum: int) -> None:
    """SIGINT (Ctrl-C) or SIGHUP (a closed terminal) to a real `forecast run` mid-run:
    exit 128 + signum (or 1), a one-line message, no report folder, no staging folder,
    no parent folder it created, no process left."""
    out = tmp_path / "reports" / "deepseek"
    proc = _start_run(out, tmp_path)
    workers = _mid_run(proc, out)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode in (128 + signum, 1), stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], sorted(str(p) for p in tmp_path.rglob("*"))
    # the figure worker (it ignores SIGINT) was stopped with the run
    assert workers, "no figure worker was running"
    assert _wait_until_gone(workers), f"processes left running: {_alive(workers)}"


def test_a_killed_run_leaves_no_process_and_its_staging_folder_goes_next_run(tmp_path: Path) -> None:
    """SIGKILL (or the OOM killer) cannot be handled: the figure worker and the
    resource tracker die with the run (they lived on for 45 minutes), and the staging
    folder it could not remove is removed by the next run writing beside it."""
    out = tmp_path / "reports" / "deepseek"
    proc = _start_run(out, tmp_path)
    workers = _mid_run(proc, out)
    proc.kill()
    proc.communicate(timeout=120)
    assert workers, "no figure worker was running"
    assert _wait_until_gone(workers, timeout=60), f"processes left running: {_alive(workers)}"
    assert leftovers(out.parent), "the killed run left no staging folder to clean"
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000", "--quiet"]) == 0
    assert not leftovers(out.parent)


def _start_run(out: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(FORECAST), "run", "--out", str(out)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT at its default even when the suite runs as a background job (it
        # arrives ignored there, and the run would finish with exit 0); a worker even
        # on a busy machine (by default it runs only with a core free)
        **child_options(FORECAST_FIGURE_WORKER="1"),
    )


def _mid_run(proc: subprocess.Popen[str], out: Path) -> list[int]:
    """Wait until ``proc`` has its staging folder and its figure worker; their pids."""
    # mid-run: once the staging folder exists (after the scenario is loaded and --out
    # checked, before or during simulation and writing)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if out.parent.is_dir() and leftovers(out.parent):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be interrupted: {proc.communicate()}"
    time.sleep(0.5)
    # the figure worker starts with the run's work; wait for it (a loaded machine is slow)
    while not (workers := _children(proc.pid)) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    return workers


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(stat.parent.name))
    return out


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.append(pid)
    return alive


def _wait_until_gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pids)


# --- the figure worker ------------------------------------------------------------------


def test_figure_worker_draws_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Figures drawn in the worker process (the command line's default when a core is
    free) and in this one: the same PNG bytes, and the same report.html and report.md
    but for the timings and the time generated; the HTML embeds every figure, none left
    as a placeholder."""
    # the same --out both times: the command line is part of the report
    args = ["--out", str(tmp_path / "r"), "--draws", "2000", "--seed", "5", "--quiet"]
    monkeypatch.setenv("FORECAST_FIGURE_WORKER", "1")
    assert main(["run", *args]) == 0
    (tmp_path / "r").rename(tmp_path / "worker")
    monkeypatch.setenv("FORECAST_FIGURE_WORKER", "0")
    assert main(["run", *args]) == 0
    (tmp_path / "r").rename(tmp_path / "here")
    figures = sorted(p.name for p in (tmp_path / "here" / "figures").iterdir())
    assert "sensitivity.png" in figures and "market_total.png" in figures
    assert sorted(p.name for p in (tmp_path / "worker" / "figures").iterdir()) == figures
    for name in figures:
        assert (tmp_path / "worker" / "figures" / name).read_bytes() == (
            tmp_path / "here" / "figures" / name
        ).read_bytes(), name

    def untimed(path: Path) -> list[str]:
        """The lines but the step timings and the time the report was generated."""
        lines = path.read_text().splitlines()
        return [line for line in lines if "time: " not in line and "Generated" not in line]

    for name in ("report.html", "report.md"):
        assert untimed(tmp_path / "worker" / name) == untimed(tmp_path / "here" / name), name
    html = (tmp_path / "worker" / "report.html").read_text()
    assert "pending-figure-" not in html
    assert html.count('src="data:image/png;base64,') == len(figures)


def test_no_figure_worker_outlives_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    monkeypatch.setenv("FORECAST_FIGURE_WORKER", "1")
    assert main(["run", "--no-sensitivity", "--out", str(tmp_path / "r"), "--draws", "1000", "--quiet"]) == 0
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


def _draw_or_die(parent: int) -> list[Any]:
    """A job that kills the worker process running it, and draws fine in ``parent``."""
    if os.getpid() != parent:
        os._exit(3)
    return [("drawn here", b"")]


def test_figure_worker_that_dies_falls_back_to_drawing_here() -> None:
    from forecast.commands.figure_worker import FigureWorker

    worker = FigureWorker.start()
    assert worker is not None
    try:
        worker.submit(_draw_or_die, os.getpid())
        assert worker.results() == [("drawn here", b"")]
    finally:
        worker.close()


def _held(started: Path, release: Path) -> list[Any]:
    """A job that says it started, then holds its process until ``release`` exists."""
    started.touch()
    deadline = time.monotonic() + 300
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return [os.getpid()]


def _release(release: Path) -> list[Any]:
    """A job that lets the held one go and says which process ran it."""
    release.touch()
    return [os.getpid()]


def test_figures_the_worker_has_not_started_are_drawn_here(tmp_path: Path) -> None:
    """Issue 30: waiting for a worker starved of CPU is never slower than drawing here:
    when the results are asked for, every job it has not started is done in this
    process (in order), and only the jobs it is running are waited for. The worker is
    held in its first job until a later job runs, so the test does not depend on how
    busy the machine is."""
    from forecast.commands.figure_worker import FigureWorker

    started, release = tmp_path / "started", tmp_path / "release"
    worker = FigureWorker.start()
    assert worker is not None
    try:
        worker.submit(_held, started, release)
        deadline = time.monotonic() + 300
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.exists(), "the worker never started its first job"
        for _ in range(5):
            worker.submit(_release, release)
        got = worker.results()
        assert len(got) == 6
        assert got[0] != os.getpid()
        # besides the job it holds, the worker's process pool has moved at most two more
        # into its call queue (ProcessPoolExecutor keeps max_workers + 1 there, out of
        # reach of cancel()): the other three are drawn here, as results() documents
        assert got[1:].count(os.getpid()) >= 3, got
    finally:
        worker.close()


# --- bad input: exit 2, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "markets.nope.cagr=0.3"], "markets.nope"),
        (["--set", "markets.developer_tools.cagr=abc"], "markets.developer_tools.cagr"),
        (["--set", "markets.developer_tools.cagr"], "expected KEY=VALUE"),
        (["--set", "=3"], "expected KEY=VALUE"),
        (["--set", "assessment.outcomes.acquired.probability=0.5"], "assessment"),
        (["--draws", "5"], "simulation.draws"),
        (["--seed", "-1"], "simulation.seed"),
        (["--draws", "many"], "invalid int value"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    args: list[str], needle: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-sensitivity", "--out", "out", *args]) == 2
    assert needle in capsys.readouterr().err
    assert list(workdir.iterdir()) == []


def test_every_bad_set_is_reported_at_once(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--set", "oops", "--set", "markets.nope.cagr=1", "--set", "markets.gone.size=1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("--set: oops: expected KEY=VALUE") for line in err)
    assert any("markets.nope" in line for line in err)
    assert any("markets.gone" in line for line in err)
    assert list(workdir.iterdir()) == []


def test_bad_scenario_exits_2_and_writes_nothing(
    write: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write('id = "x"\ntitle = 3\n')
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: title:" in err and f"{path}: markets:" in err
    assert main(["run", "missing.toml"]) == 2
    assert "missing.toml: file not found" in capsys.readouterr().err
    assert sorted(p.name for p in workdir.iterdir()) == ["scenario.toml"]


@pytest.mark.parametrize("case", ["under_a_file", "not_a_report", "is_a_file", "cwd"])
def test_unusable_out_exits_2_and_touches_nothing(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import snapshot

    (workdir / "notes.txt").write_text("mine")
    (workdir / "project").mkdir()
    (workdir / "project" / "data.csv").write_text("a,b\n")
    out = {
        "under_a_file": workdir / "notes.txt" / "report",
        "not_a_report": workdir / "project",
        "is_a_file": workdir / "notes.txt",
        "cwd": Path("."),
    }[case]
    before = snapshot(workdir)
    assert main(["run", "--no-sensitivity", "--out", str(out), "--draws", "1000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"forecast: cannot write the report to {out}: ")
    assert len(err.strip().splitlines()) == 1
    assert snapshot(workdir) == before


def test_unwritable_out_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the user may not write in. As root (CI runs as root) permissions stop
    nothing, so the operating system's answer is simulated: creating anything in the
    locked folder raises EACCES."""
    import errno

    import forecast.outputs.staging as staging

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        probe = locked / "probe"
        try:
            probe.mkdir()
        except PermissionError:
            pass
        else:
            probe.rmdir()
            real_mkdtemp = staging.tempfile.mkdtemp

            def denied(*args: Any, dir: Any = None, **kwargs: Any) -> str:
                if dir is not None and Path(dir).resolve() == locked.resolve():
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
                return real_mkdtemp(*args, dir=dir, **kwargs)

            monkeypatch.setattr(staging.tempfile, "mkdtemp", denied)
        assert main(["run", "--no-sensitivity", "--out", str(locked / "report"), "--draws", "1000"]) == 2
        assert "Permission denied" in capsys.readouterr().err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


# --- --strict and diagnostics -----------------------------------------------------------


@pytest.fixture
def fake_diagnostics(monkeypatch: pytest.MonkeyPatch, seed_forecast: Any) -> list[str]:
    """Pretend NUTS ran and missed a threshold, without compiling a sampler."""
    import dataclasses

    import forecast.outputs.report

    diag = pd.DataFrame({"variable": ["growth"], "rhat": [1.05], "ess_bulk": [120.0], "ess_tail": [300.0]})
    warnings = ["R-hat of growth is 1.05 (above 1.01): the chains disagree"]
    monkeypatch.setattr(
        forecast, "simulate", lambda s, **kw: dataclasses.replace(seed_forecast, diagnostics=diag)
    )
    monkeypatch.setattr(forecast.outputs.report, "diagnostic_warnings", lambda fc: list(warnings))
    return warnings


def test_diagnostic_warnings_are_loud_and_strict_exits_3(
    fake_diagnostics: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--no-sensitivity", "--out", str(tmp_path / "lenient"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "DIAGNOSTICS MISSED THEIR THRESHOLDS" in err and "R-hat of growth is 1.05" in err
    assert main(["run", "--no-sensitivity", "--out", str(tmp_path / "strict"), "--quiet", "--strict"]) == 3
    err = capsys.readouterr().err
    assert "--strict" in err
    report = (tmp_path / "strict" / "report.html").read_text()
    assert "R-hat of growth is 1.05" in report
    assert (
        json.loads((tmp_path / "strict" / "manifest.json").read_text())["diagnostic_warnings"]
        == fake_diagnostics
    )


# --- pieces -----------------------------------------------------------------------------


def test_parse_value_reads_toml_else_text() -> None:
    assert parse_value("0.3") == 0.3
    assert parse_value("20") == 20
    assert parse_value("false") is False
    assert parse_value("{ low = 0.2, high = 0.4 }") == {"low": 0.2, "high": 0.4}
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value('"quoted"') == "quoted"
    assert parse_value("Bear case") == "Bear case"
    assert str(parse_value("2026-07-01")) == "2026-07-01"


def test_parse_sets_splits_on_the_first_equals() -> None:
    assert parse_sets(["title=a=b", " simulation.draws = 500 "]) == {"title": "a=b", "simulation.draws": 500}


def test_command_line_round_trips_through_the_parser() -> None:
    from forecast.cli import build_parser

    opts = RunOptions(Path("my file.toml"), Path("out dir"), 1000, 7, ["title=Bear case"], True, True, True)
    import shlex

    args = build_parser().parse_args(shlex.split(opts.command_line())[1:])
    assert (args.scenario, args.out, args.draws, args.seed, args.set) == (
        Path("my file.toml"),
        Path("out dir"),
        1000,
        7,
        ["title=Bear case"],
    )
    assert args.prior_only and args.quiet and args.strict


def test_run_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from forecast.cli import build_parser; "
        "build_parser().parse_args(['run', '--draws', '10']); "
        "print(sorted(m for m in ('pymc', 'pytensor', 'arviz', 'matplotlib', 'xarray', 'jinja2', 'rich') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_toml_of_the_report_folder_is_valid(seed_report: Path) -> None:
    tomllib.loads((seed_report / "scenario.toml").read_text())


# --- what-if runs -------------------------------------------------------------------------


def test_whatif_gets_its_own_folder_and_says_so_first(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--set`` never overwrites the base report: reports/<id>-whatif-<hash>/, and the
    report and the terminal say "What-if" before anything else."""
    from forecast.outputs.whatif import whatif_folder
    from tests.conftest import snapshot

    common = ["--draws", "1000", "--no-sensitivity"]
    assert main(["run", *common, "--quiet"]) == 0
    base = workdir / "reports" / "deepseek"
    before = snapshot(base)
    capsys.readouterr()
    assert main(["run", "--set", "markets.developer_tools.cagr=0.30", *common]) == 0
    out = capsys.readouterr().out
    assert snapshot(base) == before
    folder = whatif_folder("deepseek", {"markets.developer_tools.cagr": 0.3})
    assert folder.name.startswith("deepseek-whatif-") and len(folder.name) == len("deepseek-whatif-") + 8
    assert sorted(p.name for p in (workdir / "reports").iterdir()) == sorted(["deepseek", folder.name])
    report = workdir / folder
    assert out.splitlines()[0].startswith("What-if: DeepSeek")
    assert (
        "markets.developer_tools.cagr: median 0.47, sigma 0.08 → median 0.3, sigma 0.08 (centre moved, spread kept)"
        in out
    )
    md = (report / "report.md").read_text(encoding="utf-8")
    assert md.lstrip().startswith("# What-if: DeepSeek")
    assert (
        "| markets.developer_tools.cagr | median 0.47, sigma 0.08 | median 0.3, sigma 0.08 | centre moved, spread kept |"
        in md
    )
    assert "| markets.developer_tools.projection | year 2027, value 9.8 | (removed) | follows |" in md
    # overrides.csv says which happened too
    import csv

    with (report / "overrides.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0] == {
        "key": "markets.developer_tools.cagr",
        "in_file": "median 0.47, sigma 0.08",
        "in_this_run": "median 0.3, sigma 0.08",
        "how": "centre moved, spread kept",
    }
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "<title>What-if: DeepSeek" in html
    body = html.split("<body>", 1)[1]
    assert re.sub(r"<[^>]+>", " ", body).split()[0] == "What-if:"
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["scenario"]["whatif"][0] == {
        "key": "markets.developer_tools.cagr",
        "was": "median 0.47, sigma 0.08",
        "now": "median 0.3, sigma 0.08",
        "how": "centre moved, spread kept",
    }
    # the same what-if again replaces its own folder, and --out still decides
    assert main(["run", "--set", "markets.developer_tools.cagr=0.30", *common, "--quiet"]) == 0
    assert (
        main(["run", "--set", "markets.developer_tools.cagr=0.30", *common, "--quiet", "--out", "mine"]) == 0
    )
    assert sorted(p.name for p in (workdir / "reports").iterdir()) == sorted(["deepseek", folder.name])
    assert (workdir / "mine" / "report.md").read_text(encoding="utf-8").startswith("# What-if:")
    assert snapshot(base) == before


def test_a_run_without_set_is_not_a_whatif(seed_report: Path) -> None:
    md = (seed_report / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# DeepSeek") and "What-if" not in md
    assert json.loads((seed_report / "manifest.json").read_text())["scenario"]["whatif"] is None


def test_whatif_of_a_file_valid_only_with_its_overrides(write: Any, workdir: Path) -> None:
    """The outcomes sum to 0.9 in the file and to 1 with the --set: the run works, and
    the report says the file alone has no old values to show."""
    from tests.conftest import VALID_TOML, edit

    text = edit(VALID_TOML, "probability = 0.6", "probability = 0.5")
    text = text[: text.index("[[evidence]]")]  # forward simulation: no sampler to compile
    path = write(text)
    args = ["run", str(path), "--set", "assessment.outcomes.win.probability=0.6", "--draws", "300"]
    assert main([*args, "--no-sensitivity", "--quiet"]) == 0
    (folder,) = (workdir / "reports").iterdir()
    assert folder.name.startswith("acme-whatif-")
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# What-if: Acme widgets")
    assert "| assessment.outcomes.win.probability | (the file alone does not validate) | 0.6 |" in md
