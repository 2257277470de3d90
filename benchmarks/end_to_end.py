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
runs). Targets on the project's 2-core machine: warm < 5 s, cold < 45 s.

Then the warm default run's fixed costs apart (``--fixed-runs``, default 3 per code,
old and new alternately so both see the same load), each in a fresh process on the
default compile cache (warm for both codes after one warm-up each): start and imports
(``forecast``, its CLI and PyTensor), loading the scenario, the outcome calibration
(``model_data``), and the simulator's compile split into PyTensor's rewrites
(``FunctionMaker.prepare_fgraph``), numba conversion and linking
(``FunctionMaker.create``) and the rest (building the model, importing PyMC,
vectorizing; or reading the cached function; and numba loading the linked graph from
its cache on the first call). With ``--old REF`` (e.g. ``d39f132``, main before the
warm-start cache) the same beside that commit, checked out detached in a temporary
folder and run from it; target: the new fixed costs at most half the old.

The script prints; it does not assert (timings depend on the machine and its load).

Usage::

    uv run python benchmarks/end_to_end.py [--warm-runs 5] [--skip-cold] [--scenario FILE]
    uv run python benchmarks/end_to_end.py --old d39f132 --warm-runs 0   # fixed costs, new vs old
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
ROOT = Path(__file__).resolve().parents[1]

FIXED_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import forecast
from forecast.cli import console  # noqa: F401  (what `forecast run` imports first)
t1 = time.perf_counter()
import pytensor.compile.maker as mk
t2 = time.perf_counter()
spent = {"rewrites": 0.0, "link": 0.0}
def timed(name, f):
    def inner(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            spent[name] += time.perf_counter() - t
    return inner
mk.FunctionMaker.prepare_fgraph = staticmethod(timed("rewrites", mk.FunctionMaker.prepare_fgraph))
mk.FunctionMaker.create = timed("link", mk.FunctionMaker.create)
s = forecast.load(forecast.bundled("deepseek"))
t3 = time.perf_counter()
from forecast.engine.data import model_data
d = model_data(s)
t4 = time.perf_counter()
from forecast.engine.forward import simulator
simulator(d.without_observations())
t5 = time.perf_counter()
print(json.dumps({
    "imports": t1 - t0, "pytensor": t2 - t1, "load": t3 - t2, "calibration": t4 - t3,
    "rewrites": spent["rewrites"], "link": spent["link"],
    "compile_rest": (t5 - t4) - spent["rewrites"] - spent["link"], "inside": t5 - t0,
    "module": forecast.__file__, "pymc": "pymc" in sys.modules,
}))
"""
FIXED_PARTS = ("start", "imports", "pytensor", "load", "calibration", "rewrites", "link", "compile_rest")
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


def fixed_once(tree: Path) -> dict[str, float]:
    """The fixed costs of one warm process of the code in ``tree`` (see the module)."""
    env = {**os.environ, "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("PYTENSOR_FLAGS", None)  # the default compile cache: warm for both codes
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", FIXED_SCRIPT], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"fixed-cost run in {tree} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(out["module"]).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"measured {out['module']}, not the code in {tree}")
    # interpreter start and exit: the process's wall time outside the script's own clock
    out["start"] = wall - out["inside"]
    out["total"] = wall
    return out


def fixed_costs(old: str | None, runs: int) -> None:
    """Print the fixed costs of new (and old) warm processes, alternately; medians."""
    trees = [("new", ROOT)]
    tmp = None
    if old:
        tmp = Path(tempfile.mkdtemp(prefix="forecast-old-"))
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp / "old"), old], check=True
        )
        trees.append(("old", tmp / "old"))
    try:
        for _, tree in trees:
            fixed_once(tree)  # warm-up: fills each code's caches if they are not yet
        got: dict[str, list[dict[str, float]]] = {code: [] for code, _ in trees}
        for _ in range(max(1, runs)):
            for code, tree in trees:
                got[code].append(fixed_once(tree))
        print(
            f"\nwarm fixed costs (median of {max(1, runs)} processes each, s; load average {os.getloadavg()[0]:.1f})"
        )
        print(f"{'code':<5}" + "".join(f"{p:>13}" for p in FIXED_PARTS) + f"{'fixed':>9}  PyMC imported")
        totals = {}
        for code, _ in trees:
            med = {p: statistics.median(r[p] for r in got[code]) for p in FIXED_PARTS}
            totals[code] = statistics.median(sum(r[p] for p in FIXED_PARTS) for r in got[code])
            pymc = any(r["pymc"] for r in got[code])
            print(
                f"{code:<5}"
                + "".join(f"{med[p]:13.2f}" for p in FIXED_PARTS)
                + f"{totals[code]:9.2f}  {pymc}"
            )
        print(
            "(start: interpreter start and exit; imports: forecast and its CLI; link: numba conversion and "
            "linking; compile_rest: model, PyMC import and vectorizing, or reading the cached function, and "
            "numba's load of the linked graph on the first call)"
        )
        if "old" in totals:
            ratio = totals["old"] / totals["new"]
            verdict = "ok" if ratio >= 2 else "UNDER"
            print(
                f"fixed costs {totals['old']:.2f} s old -> {totals['new']:.2f} s new: {ratio:.2f}x "
                f"(target: at least halved, >= 2x: {verdict})"
            )
    finally:
        if tmp is not None:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "old")], check=False
            )
            shutil.rmtree(tmp, ignore_errors=True)


def _has_bytecode() -> bool:
    """Whether imports can load .pyc files (written now, or compiled at install)."""
    import importlib.util

    import pymc

    cached = importlib.util.cache_from_source(pymc.__file__)
    return Path(cached).is_file() or not sys.dont_write_bytecode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warm-runs",
        type=int,
        default=5,
        help="warm runs of each kind (medians shown; 0: only the fixed costs)",
    )
    parser.add_argument(
        "--skip-cold", action="store_true", help="time only warm runs (uses a fresh cache, filled first)"
    )
    parser.add_argument(
        "--scenario",
        help="another scenario file (the targets are for the bundled one), e.g. an evidence update",
    )
    parser.add_argument("--old", help="a git commit whose fixed costs to measure beside (e.g. d39f132)")
    parser.add_argument(
        "--fixed-runs", type=int, default=3, help="processes per code for the fixed costs (0: none)"
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
    if args.warm_runs <= 0:  # the fixed costs only
        if args.fixed_runs:
            fixed_costs(args.old, args.fixed_runs)
        return
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
        if args.fixed_runs:
            fixed_costs(args.old, args.fixed_runs)
    finally:
        shutil.rmtree(compiledir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
