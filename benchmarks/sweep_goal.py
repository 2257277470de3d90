"""Issue 30's sweep goal, measured side by side: see ``benchmarks/sweep.py --goal``.

Each run is a whole ``forecast sweep`` in a fresh process (imports, the simulator
loaded from the on-disk cache, the cluster if any, the cases, the files), so the
cost of the Dask layer is the difference between ``--workers 2`` and ``--workers 0``.

``--startup`` (:func:`startup`): where a started cluster's time goes, one fresh process
per measurement, a ``LocalCluster`` of 2 spawned as Dask does by default against this
tree's ``DaskExecutor.local`` (forked from a fork server warmed with the seed's
simulator), alternating: the parent's imports, the cluster's start, each worker's
imports, its simulator's link (a 100-draw simulation) and a first 20,000-draw case
(CPU measured in the worker), a no-op job's round trip, a case's result in bytes, and
the CPU of the process and all its children once the cluster is closed.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRID = ["--grid", "markets.developer_tools.cagr=0.3,0.5", "--grid", "assessment.confidence=5,20"]
DRAWS = 20_000
# a sweep with its LocalCluster started at once (as --workers 2 did before OnDemand):
# make_executor(opts) up to session 7, make_executor(opts, cases) with warmed workers since
FORCED = (
    "import sys\n"
    "from forecast.commands import sweep as s\n"
    "from forecast.engine.executor import DaskExecutor\n"
    "try:\n"
    "    from forecast.analysis.sweep import warm_texts\n"
    "    s.make_executor = lambda opts, cases=(): DaskExecutor.local(opts.workers, warm=warm_texts(cases))\n"
    "except ImportError:\n"
    "    s.make_executor = lambda opts: DaskExecutor.local(opts.workers)\n"
    "from forecast.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _tree(commit: str, where: Path) -> Path:
    """The source of ``commit`` (read from this repository's objects) under ``where``."""
    where.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive.stdout, check=True)
    return where


def _size(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _run(tree: Path, workers: int, out: Path, forced: bool = False) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = FORCED if forced else "import sys; from forecast.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "sweep", str(tree / "scenarios" / "deepseek.toml"), *GRID]
    args += ["--draws", str(DRAWS), "--seed", "1", "--workers", str(workers), "--out", str(out), "--quiet"]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(args, env=env, check=True, cwd=out.parent)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall": wall,
        "cpu": cpu,
        "load": load,
        "cases": _size(out / "cases"),
        "zarr": _size(out / "draws.zarr"),
        "csv": (out / "sweep.csv").read_bytes().__hash__(),
    }


def goal(before: str, rounds: int) -> None:
    """Alternate every variant in each round; print each run and the medians."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        trees = {"before": _tree(before, base / "before"), "after": ROOT}
        variants = [
            ("before", 0, False),
            ("after", 0, False),
            ("before", 2, False),
            ("after", 2, False),
            ("before", 2, True),
            ("after", 2, True),
        ]
        results: dict[str, list[dict[str, float]]] = {}
        for r in range(rounds):
            for which, workers, forced in variants:
                name = f"{which} --workers {workers}{' (cluster forced)' if forced else ''}"
                out = base / f"r{r}-{which}-{workers}-{int(forced)}"
                res = _run(trees[which], workers, out, forced)
                results.setdefault(name, []).append(res)
                print(
                    f"round {r + 1} {name:34s} wall {res['wall']:6.2f} s  CPU {res['cpu']:6.2f} s  "
                    f"load {res['load']:5.2f}  cases/ {res['cases'] / 1e6:6.2f} MB  "
                    f"draws.zarr {res['zarr'] / 1e6:6.2f} MB",
                    flush=True,
                )
        csvs = {res["csv"] for runs in results.values() for res in runs}
        print(f"sweep.csv: {len(csvs)} distinct content(s) over every run")
        report = base / "report"
        run = [sys.executable, "-m", "forecast", "run", str(ROOT / "scenarios" / "deepseek.toml")]
        subprocess.run(
            [*run, "--draws", str(DRAWS), "--out", str(report), "--quiet", "--no-sensitivity"],
            check=True,
            env={**os.environ, "FORECAST_FIGURE_WORKER": "0"},
        )
        nc = (report / "forecast.nc").stat().st_size
        print(f"forecast run --draws {DRAWS}: forecast.nc {nc / 1e6:.2f} MB")
        print("medians:")
        for name, runs in results.items():
            med = {k: statistics.median(x[k] for x in runs) for k in ("wall", "cpu", "load", "cases", "zarr")}
            per_case = med["cases"] / 4
            print(
                f"  {name:34s} wall {med['wall']:6.2f} s  CPU {med['cpu']:6.2f} s  load {med['load']:5.2f}  "
                f"case file {per_case / 1e6:.3f} MB ({per_case / nc:.2f}x forecast.nc)  "
                f"draws.zarr {med['zarr'] / 1e6:.1f} MB"
            )


# one measurement of --startup, run in a fresh process: argv[1] is "spawn" or "forkserver"
STARTUP = """
import json, os, pickle, resource, sys, time
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime
def imports(*_):
    t = time.process_time()
    import forecast.analysis.sweep, pytensor  # noqa
    return time.process_time() - t
def link(toml):
    t = time.process_time()
    import forecast, tomllib
    from forecast.scenario import Scenario
    forecast.simulate(Scenario.from_dict(tomllib.loads(toml), origin="x"), draws=100, prior_only=True)
    return time.process_time() - t
def case(job):
    from forecast.analysis.sweep import run_case
    t = time.process_time()
    out = run_case(job)
    return time.process_time() - t, len(pickle.dumps(out))
def noop(*_):
    return 0
if __name__ == "__main__":
    mode, res = sys.argv[1], {}
    t0 = time.perf_counter()
    import forecast, distributed
    from distributed import Client, LocalCluster
    from forecast.analysis.sweep import build_cases
    from forecast.engine.executor import DaskExecutor
    cases = build_cases({"d": forecast.load(forecast.bundled())}, {"assessment.confidence": [5, 20]}, seed=1, draws=20000)
    res["parent imports + 2 cases resolved"] = cpu()[0]
    t, c = time.perf_counter(), cpu()[0]
    if mode == "spawn":
        import logging
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR, memory_limit=0)
        ex = DaskExecutor(Client(cluster, set_as_default=False), cluster)
    else:
        ex = DaskExecutor.local(2, warm=[cases[0].toml])
    res["cluster up (wall)"], res["cluster up (parent CPU)"] = time.perf_counter() - t, cpu()[0] - c
    for name, fn, arg in (("worker imports", imports, None), ("worker link", link, cases[0].toml)):
        per = ex.client.run(fn, arg) if arg is not None else ex.client.run(fn)
        res[name + " (CPU, each)"] = sum(per.values()) / len(per)
    futs = [ex.client.submit(case, c.job(), pure=False) for c in cases]
    outs = [f.result() for f in futs]
    res["first case 20,000 draws (CPU, each)"] = sum(o[0] for o in outs) / len(outs)
    res["a case's result (kB pickled)"] = outs[0][1] / 1e3
    t = time.perf_counter()
    for _ in range(50):
        ex.client.submit(noop, None, pure=False).result()
    res["no-op job round trip (ms)"] = (time.perf_counter() - t) / 50 * 1e3
    t = time.perf_counter()
    ex.close()
    res["close (wall)"] = time.perf_counter() - t
    s, ch = cpu()
    res["total CPU (process + children)"], res["total wall"] = s + ch, time.perf_counter() - t0
    print(json.dumps(res))
"""


def startup(rounds: int) -> None:
    """Where a started 2-worker cluster's time goes: spawned workers (Dask's default)
    against this tree's forked, warmed ones, alternating; medians over ``rounds``."""
    results: dict[str, list[dict[str, float]]] = {"spawn": [], "forkserver": []}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "startup.py"
        script.write_text(STARTUP)
        for r in range(rounds):
            for mode in results:
                loads.append(os.getloadavg()[0])
                out = subprocess.run(
                    [sys.executable, str(script), mode], check=True, capture_output=True, text=True, cwd=tmp
                )
                res = json.loads(out.stdout.strip().splitlines()[-1])
                results[mode].append(res)
                print(f"round {r + 1} {mode:10s} load {loads[-1]:5.2f} {res}", flush=True)
    print(
        f"load average over the runs: median {statistics.median(loads):.2f}, {min(loads):.2f}-{max(loads):.2f}"
    )
    print(f"| what (medians of {rounds}) | spawned (Dask's default) | forked, warmed (this tree) |")
    print("| --- | --- | --- |")
    for key in results["spawn"][0]:
        a, b = (statistics.median(x[key] for x in results[m]) for m in results)
        print(f"| {key} | {a:.2f} | {b:.2f} |")
