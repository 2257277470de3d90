"""``forecast compare`` on a real ``distributed.LocalCluster`` (worker processes): the
same CSV tables byte for byte as in this process, through the executor and through
``--scheduler``; progress and the dashboard's address; bad cluster flags refused
before anything is written.

One two-worker cluster of processes for the module (closed after it); the bundled
base and bull scenarios at 400 draws (forward simulation), and the update scenario
(NUTS through nutpie, on a worker) in a test marked slow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import forecast
from forecast.cli import main
from forecast.commands.compare import CompareOptions, command_line, compare
from forecast.engine.executor import DaskExecutor
from tests.conftest import Borrowed

pytestmark = pytest.mark.usefixtures("cluster_time_bound")

TABLES = ("markets.csv", "outcomes.csv", "predictions.csv", "differences.csv")
FILES = [forecast.bundled("deepseek"), forecast.bundled("deepseek-bull")]
DRAWS, SEED = 400, 7


def _opts(out: Path, files: list[Path] = FILES, **kw: Any) -> CompareOptions:
    return CompareOptions(list(files), out=out, draws=DRAWS, seed=SEED, quiet=True, **kw)


def _tables(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in TABLES}


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The comparison as it has always run: in this process, one scenario after the other."""
    out = tmp_path_factory.mktemp("here") / "cmp"
    assert compare(_opts(out)) == 0
    return out


def test_tables_are_byte_identical_on_the_cluster(tmp_path: Path, cluster: DaskExecutor, here: Path) -> None:
    borrowed = Borrowed(cluster, dashboard="http://dashboard.example:8787/status")
    assert compare(_opts(tmp_path / "cmp"), executor=borrowed) == 0
    assert borrowed.ran == 2  # one job per scenario
    assert _tables(tmp_path / "cmp") == _tables(here)


def test_scheduler_flag_gives_the_same_tables_with_progress(
    tmp_path: Path, cluster: DaskExecutor, here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = cluster.client.scheduler.address
    args = ["compare", *map(str, FILES), "--draws", str(DRAWS), "--seed", str(SEED)]
    assert main([*args, "--scheduler", address, "--out", str(tmp_path / "cmp")]) == 0
    err = capsys.readouterr().err
    assert "scenarios done: 1 of 2" in err and "scenarios done: 2 of 2" in err
    assert f"Dask scheduler {address}: 2 workers" in err
    assert "Dask dashboard: http" in err
    assert _tables(tmp_path / "cmp") == _tables(here)
    assert cluster.workers()  # the command closed its client, not the cluster


def test_progress_names_the_executor_and_its_dashboard(
    tmp_path: Path, cluster: DaskExecutor, capsys: pytest.CaptureFixture[str]
) -> None:
    opts = _opts(tmp_path / "cmp")
    opts.quiet = False
    assert compare(opts, executor=Borrowed(cluster, dashboard="http://dashboard.example:8787/status")) == 0
    err = capsys.readouterr().err
    assert "Dask dashboard: http://dashboard.example:8787/status" in err
    assert f"Simulating 2 scenarios on {cluster.description}" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "-1"], "--workers: must be 0 (in-process) or more (got -1)"),
        (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler tcp://127.0.0.1:9"),
    ],
)
def test_bad_cluster_flags_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, FILES), "--draws", "200", *flags, "--out", str(out), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_workers_zero_runs_here_and_the_command_line_keeps_the_flags() -> None:
    assert command_line(CompareOptions([Path("a.toml")], workers=2)).endswith("--workers 2")
    assert "--scheduler tcp://h:8786" in command_line(
        CompareOptions([Path("a.toml")], scheduler="tcp://h:8786")
    )
    from forecast.commands.common import executor_for

    assert executor_for(0, None) is None and executor_for(None, None) is None


@pytest.mark.slow
def test_a_conditioned_scenario_runs_nuts_on_a_worker(tmp_path: Path, cluster: DaskExecutor) -> None:
    """The update scenario has evidence: its job runs NUTS (nutpie) in a worker process,
    with the same tables as here."""
    files = [forecast.bundled("deepseek"), forecast.bundled("deepseek-update")]
    assert compare(_opts(tmp_path / "here", files)) == 0
    assert compare(_opts(tmp_path / "there", files), executor=Borrowed(cluster)) == 0
    assert _tables(tmp_path / "there") == _tables(tmp_path / "here")


@pytest.mark.slow
def test_workers_flag_starts_a_local_cluster_with_the_same_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--workers 1`` with the cluster made to pay at once (``worth=0``): two of three
    scenarios run here, the third on a one-worker LocalCluster warmed with the
    scenarios' simulators; the tables are those of a comparison run here."""
    import functools

    from forecast.engine import executor as executors

    files = [*FILES, forecast.bundled("deepseek-bear")]
    assert compare(_opts(tmp_path / "here", files)) == 0
    started: list[tuple[Any, Any]] = []
    local = DaskExecutor.local

    def spy(workers: Any = None, **kw: Any) -> DaskExecutor:
        started.append((workers, kw.get("warm")))
        return local(workers, **kw)

    monkeypatch.setattr(DaskExecutor, "local", spy)
    monkeypatch.setattr(
        executors, "local_cluster_on_demand", functools.partial(executors.local_cluster_on_demand, worth=0.0)
    )
    args = ["compare", *map(str, files), "--draws", str(DRAWS), "--seed", str(SEED), "--quiet"]
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "cmp")]) == 0
    assert len(started) == 1 and started[0][0] == 1 and len(started[0][1]) == 3
    assert _tables(tmp_path / "cmp") == _tables(tmp_path / "here")
