"""Issue 30's sweep goal, measured side by side: see ``benchmarks/sweep.py --goal``.

Each run is a whole ``forecast sweep`` in a fresh process (imports, the simulator
loaded from the on-disk cache, the cluster if any, the cases, the files), so the
cost of the Dask layer is the difference between ``--workers 2`` and ``--workers 0``.
"""

from __future__ import annotations

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
# this tree's sweep with its LocalCluster started at once (as --workers 2 did before)
FORCED = (
    "import sys\n"
    "from forecast.commands import sweep as s\n"
    "from forecast.engine.executor import DaskExecutor\n"
    "s.make_executor = lambda opts: DaskExecutor.local(opts.workers)\n"
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
