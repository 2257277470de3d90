"""Issue 30's cold first run: today's first ``forecast run`` against ``forecast warm`` + run.

Each round, alternately, in fresh processes on **empty** caches (a new temporary
``PYTENSOR_FLAGS=base_compiledir``, which holds PyTensor's compile directory, numba's
cache of PyTensor's kernels, :mod:`forecast.engine.function_cache` and the outcome
calibration; and a new ``NUMBA_CACHE_DIR``; the shared ``~/.pytensor`` is never
touched):

- ``first run``: ``forecast run`` of the seed, as the first run after an install is today;
- ``warm step``: ``forecast warm`` (the install step), then ``first run after warm``.

Prints medians of CPU time (the child's ``ru_utime + ru_stime``), wall time and the
manifest's ``simulate.compile`` step, with the load average.

Usage::

    uv run python benchmarks/cold.py [--runs 5] [--draws N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "scenarios" / "deepseek.toml"
CLI = [sys.executable, "-c", "import sys; from forecast.cli import console; sys.exit(console())"]


def child(args: list[str], cache: Path) -> dict[str, float]:
    """One ``forecast`` process on the caches under ``cache``: CPU, wall."""
    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"base_compiledir={cache / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(cache / "numba"),
        "FORECAST_FIGURE_WORKER": "0",  # one process: its CPU is all of the run's
    }
    t0 = time.perf_counter()
    proc = subprocess.Popen(CLI + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"forecast {' '.join(args)} failed:\n{err[-3000:]}")
    return {"cpu": usage.ru_utime + usage.ru_stime, "wall": wall}


def run(cache: Path, draws: int | None) -> dict[str, float]:
    out = cache / "report"
    got = child(
        ["run", str(SEED), "--out", str(out), "--quiet"] + (["--draws", str(draws)] if draws else []), cache
    )
    steps: dict[str, Any] = json.loads((out / "manifest.json").read_text())["timings_seconds"]
    got["compile"] = float(steps.get("simulate.compile", float("nan")))
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--draws", type=int, default=None, help="the file's (20,000) by default")
    args = parser.parse_args()
    got: dict[str, list[dict[str, float]]] = {"first run": [], "warm step": [], "first run after warm": []}
    load = [os.getloadavg()[0]]
    for i in range(args.runs):
        for variant in ("first run", "warm step"):
            cache = Path(tempfile.mkdtemp(prefix="forecast-cold-"))
            try:
                if variant == "first run":
                    got["first run"].append(run(cache, args.draws))
                else:
                    got["warm step"].append(child(["warm", str(SEED)], cache))
                    got["first run after warm"].append(run(cache, args.draws))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            load.append(os.getloadavg()[0])
        print(
            f"round {i + 1}: " + ", ".join(f"{k} {v[-1]['cpu']:.1f} s CPU" for k, v in got.items()),
            flush=True,
        )
    print(
        f"\ncold caches, the seed (median of {args.runs}; load average {min(load):.1f}-{max(load):.1f} "
        f"on {os.cpu_count()} cores)"
    )
    print(f"{'step':<24}{'cpu s':>8}{'wall s':>8}{'compile s':>11}   cpu range")
    for name, rows in got.items():
        med = {k: statistics.median(r.get(k, float("nan")) for r in rows) for k in ("cpu", "wall", "compile")}
        lo, hi = min(r["cpu"] for r in rows), max(r["cpu"] for r in rows)
        comp = f"{med['compile']:11.2f}" if "compile" in rows[0] else f"{'-':>11}"
        print(f"{name:<24}{med['cpu']:8.2f}{med['wall']:8.2f}{comp}   {lo:.1f}-{hi:.1f}")


if __name__ == "__main__":
    main()
