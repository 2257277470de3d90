"""A local cluster's workers start warm and leave nothing behind; ``workers=N`` means
the same on-demand cluster in the Python API and ``compare`` as in ``forecast sweep``.

One two-worker ``LocalCluster`` (forked from the fork server, warmed with the seed
scenario's simulator), closed inside its test; the rest start no cluster at all.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import forecast
from forecast.cli import main
from forecast.engine.executor import LOCAL_CONFIG, WARM_ENV, DaskExecutor

pytestmark = pytest.mark.usefixtures("cluster_time_bound")

DEEPSEEK = forecast.bundled("deepseek")
GRID = {"markets.developer_tools.cagr": [0.3, 0.5], "assessment.confidence": [5, 20]}
DRAWS, SEED = 300, 11


def _state(*_: Any) -> dict[str, Any]:
    """What a worker holds before its first job: its parent, its simulators, and the
    levels of the handlers that print Dask's log lines to the command's stderr."""
    import gc
    import logging

    import dask

    from forecast.engine import forward

    handlers = logging.getLogger("distributed").handlers
    return {
        "parent": os.getppid(),
        "simulators": len(forward._CACHE),
        "pytensor": "pytensor" in sys.modules,
        "log_levels": [h.level for h in handlers if isinstance(h, logging.StreamHandler)],
        "config": {key: dask.config.get(key) for key in LOCAL_CONFIG},
        "frozen": gc.get_freeze_count(),
    }


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(pids: list[int], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(p) for p in pids)


def refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a LocalCluster was started for a few short jobs")


def test_workers_start_warm_give_the_same_table_and_leave_no_process() -> None:
    """Forked from one fork server that loaded the seed's simulator: each worker holds it
    before its first job; the table is byte-identical to this process's; closing the
    cluster stops the workers and the server. A worker prints none of Dask's ERROR
    lines (a busy worker stopped with its command logged a heartbeat traceback)."""
    import logging
    from multiprocessing import forkserver

    here = forecast.sweep(DEEPSEEK, GRID, draws=DRAWS, seed=SEED)
    warm = [forecast.load(DEEPSEEK).to_toml()]
    ex = DaskExecutor.local(2, warm=warm)
    try:
        server = forkserver._forkserver._forkserver_pid
        states = ex.client.run(_state)
        workers = list(ex.workers().values())
        there = forecast.sweep(DEEPSEEK, GRID, draws=DRAWS, seed=SEED, executor=ex)
    finally:
        ex.close()
    assert len(states) == 2
    assert all(s["parent"] == server and s["simulators"] >= 1 and s["pytensor"] for s in states.values()), (
        states
    )
    assert all(s["log_levels"] and min(s["log_levels"]) >= logging.CRITICAL for s in states.values()), states
    # the monitors nobody reads on a local cluster are off in its workers too
    assert all(s["config"] == LOCAL_CONFIG for s in states.values()), states
    assert all(s["frozen"] > 1000 for s in states.values()), states  # the server's heap, not scanned
    pd.testing.assert_frame_equal(there, here, check_exact=True)
    assert there.to_csv().encode() == here.to_csv().encode()
    assert forkserver._forkserver._forkserver_pid is None
    assert _gone([server, *workers]), "a worker or the fork server outlived the cluster"


def test_the_fork_server_skips_tearing_down_its_imports_when_it_exits(tmp_path: Path) -> None:
    """The fork server (the process that imports the preload with the warm-up list in its
    environment) ends without Python's finalization, which tore down PyTensor's and
    numba's modules for ~1 s of CPU after every local cluster (``benchmarks/README.md``,
    session 9): an exit handler registered before the preload never runs, and what it
    printed is flushed. Its imports are frozen out of the garbage collector (which ran
    for ~1 s of the preload's ~3 s of CPU), the collector on again for the workers.
    Any other process that imports the module exits as usual."""
    import subprocess

    marker = tmp_path / "finalized"
    code = (
        "import atexit, pathlib\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).touch)\n"
        "import forecast.analysis.worker_preload\n"
        "import gc\n"
        "print('preloaded', gc.isenabled(), gc.get_freeze_count() > 1000, end='')\n"
    )
    server = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, WARM_ENV: "[]"}, capture_output=True, text=True
    )
    assert (server.returncode, server.stdout) == (0, "preloaded True True"), server.stderr
    assert not marker.exists(), "the fork server ran its exit handlers (and its finalization)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert other.returncode == 0 and marker.exists(), other.stderr
    assert other.stdout == "preloaded True False", other.stdout


def test_python_api_workers_start_no_cluster_for_a_few_short_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    """``forecast.sweep(workers=2)`` reads ``workers`` as ``forecast sweep --workers 2``:
    four cases of 300 draws never take 10 s here, so no worker process is started,
    and the table is the in-process one."""
    here = forecast.sweep(DEEPSEEK, GRID, draws=DRAWS, seed=SEED)
    monkeypatch.setattr(DaskExecutor, "local", refuse)
    there = forecast.sweep(DEEPSEEK, GRID, draws=DRAWS, seed=SEED, workers=2)
    pd.testing.assert_frame_equal(there, here, check_exact=True)


def test_compare_workers_start_no_cluster_for_two_short_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``compare --workers 1`` of two 400-draw scenarios: as a sweep, no cluster for work
    shorter than its start-up; the progress says what runs them; the same tables."""
    files = [str(DEEPSEEK), str(forecast.bundled("deepseek-bull"))]
    args = ["compare", *files, "--draws", "400", "--seed", "7"]
    assert main([*args, "--out", str(tmp_path / "here"), "--quiet"]) == 0
    monkeypatch.setattr(DaskExecutor, "local", refuse)
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "there")]) == 0
    assert "in this process, then a LocalCluster of 1 worker if" in capsys.readouterr().err
    for name in ("markets.csv", "outcomes.csv", "predictions.csv", "differences.csv"):
        assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


# a sweep with its cluster started at once (the on-demand rule would run 8 short cases here)
FORCED = (
    "import sys\n"
    "from forecast.analysis.sweep import warm_texts\n"
    "from forecast.commands import sweep as s\n"
    "from forecast.engine.executor import DaskExecutor\n"
    "s.make_executor = lambda opts, cases=(): DaskExecutor.local(opts.workers, warm=warm_texts(cases))\n"
    "from forecast.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _descendants(pid: int) -> list[int]:
    """Live processes below ``pid`` (Linux /proc): the fork server, its workers, ..."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out += kids
        todo += kids
    return out


@pytest.mark.parametrize("how", ["SIGTERM to the command", "Ctrl-C to its process group"])
def test_a_stopped_sweep_on_a_cluster_leaves_no_process(tmp_path: Path, how: str) -> None:
    """Stopped while its forked workers run (SIGTERM, as ``kill``; SIGINT to the whole
    group, as Ctrl-C): one line, exit 143 or 130, no traceback, and the workers and the
    fork server gone with it."""
    import signal
    import subprocess

    from tests.child import child_options

    grid = ["--grid", "markets.developer_tools.cagr=0.2,0.3,0.4,0.5", "--grid", "assessment.confidence=5,20"]
    args = [sys.executable, "-c", FORCED, "sweep", str(DEEPSEEK), *grid, "--draws", "20000", "--workers", "2"]
    proc = subprocess.Popen(
        [*args, "--out", str(tmp_path / "s"), "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
        **child_options(),
    )
    deadline = time.monotonic() + 300
    seen: set[int] = set()
    cases = tmp_path / "s" / "cases"
    # stopped once a case is back from the cluster: the fork server and 2 workers run
    while proc.poll() is None and time.monotonic() < deadline and not list(cases.glob("*.npz")):
        seen |= set(_descendants(proc.pid))
        time.sleep(0.05)
    assert len(seen) >= 3, seen
    assert proc.poll() is None, f"the sweep ended before it could be stopped: {proc.communicate()}"
    if how.startswith("SIGTERM"):
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == (143 if how.startswith("SIGTERM") else 130), stderr
    assert "Traceback" not in stderr and "interrupted" in stderr, stderr
    assert _gone(sorted(seen), 15.0), "processes left running after the sweep stopped"
