"""End-to-end time of ``forecast run`` (the bundled DeepSeek scenario, default options).

Runs the installed console script in a subprocess, as a user would, and reports
wall-clock seconds:

- cold: an empty PyTensor compile cache (``PYTENSOR_FLAGS=base_compiledir=<fresh
  temporary folder>``), so the model graph is compiled from scratch;
- warm: the same cache again, now filled (the everyday case);
- warm, figures drawn in the main process (``FORECAST_FIGURE_WORKER=0``): the
  reference for the figure worker, run alternately with the default so both see
  the same machine load.

with the per-step timings the run writes to its ``manifest.json`` (medians over the
runs). Targets on the project's 2-core machine: warm < 5 s, cold < 45 s. The script
prints; it does not assert (timings depend on the machine and its load).

Usage::

    uv run python benchmarks/end_to_end.py [--warm-runs 5] [--skip-cold] [--scenario FILE]
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

TARGETS = {"warm": 5.0, "cold": 45.0}
FORECAST = Path(sys.executable).with_name("forecast")


def run_once(
    compiledir: Path, workdir: Path, worker: bool = True, scenario: str | None = None
) -> tuple[float, dict[str, float]]:
    """One ``forecast run --quiet`` in ``workdir``; returns (wall seconds, manifest timings)."""
    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"base_compiledir={compiledir}",
        "FORECAST_FIGURE_WORKER": "1" if worker else "0",
    }
    out = workdir / "report"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(FORECAST), "run", *([scenario] if scenario else []), "--out", str(out), "--quiet"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"forecast run failed ({proc.returncode}):\n{proc.stderr}")
    timings = json.loads((out / "manifest.json").read_text())["timings_seconds"]
    return wall, timings


def show(label: str, walls: list[float], runs: list[dict[str, float]], targets: bool = True) -> float:
    """Print the median wall time and each step's median; returns the median wall."""
    wall = statistics.median(walls)
    target = TARGETS[label.split()[0].rstrip(",")]
    verdict = f"target < {target:g} s: {'ok' if wall < target else 'OVER TARGET'}" if targets else "no target"
    steps = ", ".join(f"{k} {statistics.median(r[k] for r in runs):.2f}" for k in runs[0])
    outside = statistics.median(w - r["total"] for w, r in zip(walls, runs, strict=True))
    head = f"{label} (median of {len(walls)})" if len(walls) > 1 else label
    print(f"{head:<40} {wall:6.1f} s  ({verdict})")
    print(f"         in-process steps (s): {steps}")
    print(f"         outside the steps (interpreter start, imports before loading, exit): {outside:.2f} s")
    # the fixed costs of a run, whatever its draws: interpreter start and imports, loading
    # the scenario, the outcome calibration (simulate.data, from its disk cache when warm),
    # and the compile (PyTensor's rewrites, numba's import and the cached functions' load)
    med = {
        k: statistics.median(r.get(k, 0.0) for r in runs)
        for k in ("load", "simulate.data", "simulate.compile")
    }
    fixed = outside + sum(med.values())
    print(
        f"         fixed costs: {fixed:.2f} s = start/imports/exit {outside:.2f} + load {med['load']:.2f} "
        f"+ calibration {med['simulate.data']:.2f} + compile {med['simulate.compile']:.2f}"
    )
    if len(walls) > 1:
        print(f"         runs: {', '.join(f'{w:.2f}' for w in walls)} s")
    return wall


def _has_bytecode() -> bool:
    """Whether imports can load .pyc files (written now, or compiled at install)."""
    import importlib.util

    import pymc

    cached = importlib.util.cache_from_source(pymc.__file__)
    return Path(cached).is_file() or not sys.dont_write_bytecode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=5, help="warm runs of each kind (medians shown)")
    parser.add_argument(
        "--skip-cold", action="store_true", help="time only warm runs (uses a fresh cache, filled first)"
    )
    parser.add_argument(
        "--scenario",
        help="another scenario file (the targets are for the bundled one), e.g. an evidence update",
    )
    args = parser.parse_args()
    scenario = str(Path(args.scenario).resolve()) if args.scenario else None
    targets = scenario is None

    print(
        f"forecast run, {scenario or 'bundled deepseek scenario'}; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if not _has_bytecode():
        print(
            "warning: the installed packages have no .pyc files and PYTHONDONTWRITEBYTECODE is set: "
            "every run compiles what it imports (run `uv sync --compile-bytecode` first)"
        )
    compiledir = Path(tempfile.mkdtemp(prefix="forecast-bench-compiledir-"))
    workdir = Path(tempfile.mkdtemp(prefix="forecast-bench-"))
    try:
        wall, timings = run_once(compiledir, workdir, scenario=scenario)
        if not args.skip_cold:
            show("cold", [wall], [timings], targets)
        kinds: dict[bool, tuple[list[float], list[dict[str, float]]]] = {True: ([], []), False: ([], [])}
        for _ in range(max(1, args.warm_runs)):
            for worker in (True, False):
                wall, timings = run_once(compiledir, workdir, worker, scenario)
                kinds[worker][0].append(wall)
                kinds[worker][1].append(timings)
        with_worker = show("warm", *kinds[True], targets)
        in_process = show("warm, figures in the main process", *kinds[False], targets)
        print(
            f"figure worker: {in_process / with_worker:.2f}x faster ({in_process - with_worker:.1f} s saved)"
        )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(compiledir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
