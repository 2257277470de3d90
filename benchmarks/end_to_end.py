"""End-to-end time of ``forecast run`` (the bundled DeepSeek scenario, default options).

Runs the installed console script in a subprocess, as a user would, and reports
wall-clock seconds:

- cold: an empty PyTensor compile cache (``PYTENSOR_FLAGS=base_compiledir=<fresh
  temporary folder>``), so the model graph is compiled from scratch;
- warm: the same cache again, now filled (the everyday case).

with the per-step timings the run writes to its ``manifest.json``. Targets on the
project's 2-core machine: warm < 5 s, cold < 45 s. The script prints; it does not
assert (timings depend on the machine and its load).

Usage::

    uv run python benchmarks/end_to_end.py [--warm-runs 3] [--skip-cold]
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


def run_once(compiledir: Path, workdir: Path) -> tuple[float, dict[str, float]]:
    """One ``forecast run --quiet`` in ``workdir``; returns (wall seconds, manifest timings)."""
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}
    out = workdir / "report"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(FORECAST), "run", "--out", str(out), "--quiet"],
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


def show(label: str, wall: float, timings: dict[str, float]) -> None:
    target = TARGETS[label.split()[0]]
    verdict = "ok" if wall < target else "OVER TARGET"
    steps = ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
    print(f"{label:<8} {wall:6.1f} s  (target < {target:g} s: {verdict})")
    print(f"         in-process steps (s): {steps}")
    print(
        f"         outside the steps (interpreter start, imports before loading): {wall - timings['total']:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3, help="warm runs to time (median shown)")
    parser.add_argument(
        "--skip-cold", action="store_true", help="time only warm runs (uses a fresh cache, filled first)"
    )
    args = parser.parse_args()

    print(
        f"forecast run, bundled deepseek scenario; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}"
    )
    compiledir = Path(tempfile.mkdtemp(prefix="forecast-bench-compiledir-"))
    workdir = Path(tempfile.mkdtemp(prefix="forecast-bench-"))
    try:
        wall, timings = run_once(compiledir, workdir)
        if not args.skip_cold:
            show("cold", wall, timings)
        walls = []
        for _ in range(max(1, args.warm_runs)):
            wall, timings = run_once(compiledir, workdir)
            walls.append(wall)
        med = statistics.median(walls)
        show(f"warm (median of {len(walls)})", med, timings)
        print(f"         warm runs: {', '.join(f'{w:.1f}' for w in walls)} s")
    finally:
        shutil.rmtree(compiledir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
