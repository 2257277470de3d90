"""Sweeps refuse before any work (exit 2, nothing written), never read a damaged case
as done, and use common random numbers across their cases. In-process (``--workers
0``): no cluster is started here."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast import ScenarioError
from forecast.cli import main

DEEPSEEK = str(forecast.bundled("deepseek"))


def _sweep(out: Path, *args: str) -> int:
    return main(["sweep", DEEPSEEK, *args, "--draws", "100", "--seed", "3", "--out", str(out), "--quiet"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "not an address"], "--scheduler: expected an address like tcp://host:8786"),
        (["--scheduler", "http://host:8786"], "--scheduler: expected an address like tcp://host:8786"),
        (["--scheduler", "tcp://host"], "--scheduler: expected an address like tcp://host:8786"),
        (["--scheduler", "tcp://host:99999"], "--scheduler: expected an address like tcp://host:8786"),
        (["--workers", "1000"], "--workers: at most"),
        (
            ["--grid", "assessment.confidence=" + ",".join(str(i) for i in range(1, 101))] * 1
            + ["--grid", "simulation.seed=" + ",".join(str(i) for i in range(101))],
            "cases: 10,100 is more than --max-cases",
        ),
    ],
)
def test_refused_before_any_work(tmp_path: Path, capsys: Any, args: list[str], message: str) -> None:
    out = tmp_path / "s"
    t0 = time.perf_counter()
    assert _sweep(out, *args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert time.perf_counter() - t0 < 20


def test_an_absurd_grid_is_counted_not_resolved(tmp_path: Path, capsys: Any) -> None:
    big = ",".join(str(i) for i in range(1, 101))
    grids = [
        f"--grid=assessment.confidence={big}",
        f"--grid=simulation.seed={big}",
        f"--grid=simulation.draws={big}",
    ]
    grids.append(f"--grid=markets.developer_tools.size={big}")
    t0 = time.perf_counter()
    assert _sweep(tmp_path / "s", *grids) == 2
    assert time.perf_counter() - t0 < 10
    assert "100,000,000 is more than --max-cases" in capsys.readouterr().err


@contextlib.contextmanager
def _silent_server() -> Iterator[str]:
    """The address of a server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        server.close()


def test_a_scheduler_that_never_answers_is_refused(tmp_path: Path, capsys: Any) -> None:
    with _silent_server() as address:
        t0 = time.perf_counter()
        assert _sweep(tmp_path / "s", "--grid", "assessment.confidence=5,6", "--scheduler", address) == 2
        assert time.perf_counter() - t0 < 60
        assert "cannot reach the Dask scheduler" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"workers": -1}, "workers: must be 0 (in-process) or more"),
        ({"workers": 10_000}, "workers: at most"),
        ({"draws": 10}, "draws: must be at least 100"),
        ({"seed": -1}, "seed: must be 0 or more"),
        ({"scheduler": "nowhere"}, "scheduler: expected an address"),
    ],
)
def test_the_api_checks_its_arguments(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ScenarioError) as info:
        forecast.sweep(DEEPSEEK, {"assessment.confidence": [5, 6]}, **kwargs)
    assert needle in str(info.value)


# --- the folder -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "s"
    assert _sweep(out, "--grid", "markets.developer_tools.cagr=0.3,0.5", "--workers", "0") == 0
    return out


def test_common_random_numbers_across_cases(done: Path) -> None:
    """An output the grid does not touch is identical in every case (same seed, same
    stream layout), and the touched one differs."""
    import pandas as pd

    df = pd.read_csv(done / "sweep.csv")
    other = df[df.quantity == "market.enterprise_llm_apis"].pivot_table(
        index=["year", "statistic"], columns="markets.developer_tools.cagr", values="value"
    )
    assert len(other) and (other[0.3] == other[0.5]).all()
    mine = df[df.quantity == "market.developer_tools"].pivot_table(
        index=["year", "statistic"], columns="markets.developer_tools.cagr", values="value"
    )
    assert (mine[0.3] != mine[0.5]).any()


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.mark.parametrize("damage", ["truncate", "empty", "edit", "nan"])
def test_a_damaged_case_file_is_run_again(done: Path, tmp_path: Path, capsys: Any, damage: str) -> None:
    out = _copy(done, tmp_path / "s")
    case = sorted((out / "cases").glob("*.npz"))[0]
    good = case.read_bytes()
    if damage == "truncate":
        case.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        case.write_bytes(b"")
    else:  # a number of its rows changed (or made NaN), the file still a valid npz
        import json

        with np.load(case, allow_pickle=False) as f:
            meta = json.loads(f["__meta__"].tobytes())
        meta["rows"][0]["value"] = float("nan") if damage == "nan" else meta["rows"][0]["value"] + 1.0
        with open(case, "wb") as fh:
            np.savez(fh, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    capsys.readouterr()
    assert (
        main(
            [
                "sweep",
                DEEPSEEK,
                "--grid",
                "markets.developer_tools.cagr=0.3,0.5",
                "--draws",
                "100",
                "--seed",
                "3",
                "--out",
                str(out),
                "--workers",
                "0",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "damaged" in err and case.name[:12] in err
    assert (out / "sweep.csv").read_bytes() == (done / "sweep.csv").read_bytes()


def test_a_folder_with_a_foreign_file_is_refused_before_any_work(
    done: Path, tmp_path: Path, capsys: Any
) -> None:
    out = _copy(done, tmp_path / "s")
    (out / "notes.txt").write_text("keep me")
    (out / "cases" / "mine.txt").write_text("keep me too")
    before = sorted(p.name for p in out.rglob("*"))
    assert _sweep(out, "--grid", "markets.developer_tools.cagr=0.3,0.7", "--workers", "0") == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "mine.txt" in err
    assert sorted(p.name for p in out.rglob("*")) == before


def test_out_as_a_symlink_is_written_through(done: Path, tmp_path: Path) -> None:
    real = _copy(done, tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real)
    assert _sweep(link, "--grid", "markets.developer_tools.cagr=0.3,0.5", "--workers", "0") == 0
    assert link.is_symlink() and (real / "sweep.csv").is_file()


def test_a_second_sweep_into_the_same_folder_is_refused(done: Path, tmp_path: Path, capsys: Any) -> None:
    out = _copy(done, tmp_path / "s")
    with open(out / "cases" / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert _sweep(out, "--grid", "markets.developer_tools.cagr=0.3,0.5", "--workers", "0") == 2
    assert "another forecast sweep is writing" in capsys.readouterr().err
    assert len(list((out / "cases").glob("*.npz"))) == 2
    os.stat(out / "sweep.csv")


def test_a_silent_server_times_out_when_the_executor_connects_directly() -> None:
    """``DaskExecutor.connect`` called directly (not through a sweep) gives up after its
    timeout too: a server that accepts and never speaks held it for ever."""
    from forecast.engine.executor import DaskExecutor

    with _silent_server() as address:
        t0 = time.perf_counter()
        with pytest.raises((TimeoutError, OSError)):
            DaskExecutor.connect(address, timeout=1.0)
        assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("address", ["http://host:8786", "host", "tcp://host:99999"])
def test_compare_refuses_a_malformed_scheduler_address_as_sweep_does(address: str, capsys: Any) -> None:
    from forecast.analysis.sweep_arguments import scheduler_problem
    from forecast.commands.common import cluster_problems

    assert [str(p) for p in cluster_problems(None, address)] == [str(scheduler_problem(address))]
    seed = str(forecast.bundled("deepseek"))
    assert main(["compare", seed, seed, "--scheduler", address]) == 2
    assert "expected an address like tcp://host:8786" in capsys.readouterr().err


def test_cases_that_would_not_fit_in_memory_are_refused_before_any_work(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``forecast run`` does: exit 2 with the largest draw count that fits, nothing
    written (today the sweep started and each case died with "run it again")."""
    from forecast.engine import resources

    monkeypatch.setattr(resources, "available_memory", lambda: 4 * 2**30)
    out = tmp_path / "s"
    args = ["sweep", DEEPSEEK, "--grid", "assessment.confidence=5,6", "--draws", "10000000"]
    assert main([*args, "--workers", "0", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "simulation.draws: 10,000,000 draws need about" in err and "draws fit (--draws " in err
    assert not out.exists()


def test_a_killed_sweeps_staging_folder_is_removed_by_the_next_sweep(tmp_path: Path) -> None:
    """A sweep killed while writing its results left ``.s.partial-XXXX`` that nothing
    removed: its staging folder now carries this host and its pid, as ``run``'s does,
    so the next sweep into that ``--out`` removes a dead process's folder."""
    import subprocess
    import sys

    from forecast.commands import sweep as sweep_command
    from forecast.outputs import staging

    out = tmp_path / "s"
    made = sweep_command._mkdtemp(out)
    assert staging._LEFTOVER.match(made.name)["pid"] == str(os.getpid())
    made.rmdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = tmp_path / f".s.partial-{staging._HOST}-{int(dead.stdout)}-x1y2"
    (left / "cases").mkdir(parents=True)
    assert _sweep(out, "--grid", "assessment.confidence=5,6", "--workers", "0") == 0
    assert not left.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s"]
