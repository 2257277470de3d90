"""Issue 30: ``forecast.simulate`` against its own compiled simulator, old and new code.

Each process (one code: a detached checkout of ``--old``, or this tree) warms its
simulator, then times, alternately ``--calls`` times each, the compiled simulator alone
(``simulator(model_data(s).without_observations())(n, seed)``) and all of
``forecast.simulate(s, draws=n)``, by CPU time (``time.process_time``) and wall time,
with each call's output released before the next (no ``tracemalloc``: it taxes every
Python allocation, and so the wrapper far more than the simulator). It also hashes the
seed's markets, outcomes and predictions tables as CSV. The parent runs old and new
processes alternately, ``--runs`` of each, and prints the medians and whether the
tables are byte-identical.

Usage::

    uv run python benchmarks/simulate_cost.py [--old main] [--runs 5] [--draws 20000,1000000]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
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


def child(draws: list[int], calls: int) -> dict[str, Any]:
    import forecast
    from forecast.engine.data import model_data
    from forecast.engine.forward import simulator

    s = forecast.load(forecast.bundled())
    fc = forecast.simulate(s, draws=20_000, seed=1)  # warm, and the tables to compare
    tables = "".join(getattr(fc, t)().to_csv() for t in ("markets", "outcomes", "predictions"))
    del fc
    sim = simulator(model_data(s).without_observations())
    got: dict[str, Any] = {"tables": hashlib.sha256(tables.encode()).hexdigest()}
    for n in draws:
        fns = {
            "simulator": lambda n=n: sim(n, 1),
            "simulate": lambda n=n: forecast.simulate(s, draws=n, seed=1),
        }
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
        for _ in range(calls):
            for name, fn in fns.items():
                gc.collect()
                c, w = time.process_time(), time.perf_counter()
                out = fn()
                times[name].append((time.process_time() - c, time.perf_counter() - w))
                del out
        got[str(n)] = {k: [statistics.median(x[i] for x in v) for i in (0, 1)] for k, v in times.items()}
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="main")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3, help="timed calls of each in a process")
    parser.add_argument("--draws", default="20000,1000000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    draws = [int(d) for d in args.draws.split(",")]
    if args.child:
        print(json.dumps(child(draws, args.calls)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="simulate-cost-"))
    old = tmp / "old"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.old], check=True)
    trees = {"old": old, "new": ROOT}
    got: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    load = [os.getloadavg()[0]]
    try:
        for _ in range(args.runs):
            for code, tree in trees.items():
                env = {**os.environ, "PYTHONPATH": str(tree)}
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--draws", args.draws]
                out = subprocess.run(
                    [*cmd, "--calls", str(args.calls)], env=env, cwd=tree, capture_output=True, text=True
                )
                if out.returncode:
                    raise SystemExit(out.stderr[-3000:])
                got[code].append(json.loads(out.stdout.strip().splitlines()[-1]))
                load.append(os.getloadavg()[0])
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\nforecast.simulate vs its compiled simulator, the seed (median of {args.runs} processes x "
        f"{args.calls} calls; load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} cores)"
    )
    # ratio: of the medians; "per process": the median of each process's own ratio and
    # fixed cost (simulate - simulator, both timed alternately in it), which a busy
    # machine's process-to-process swings of the simulator's CPU time do not move
    print(
        f"{'code':<6}{'draws':>10}{'simulator cpu':>15}{'simulate cpu':>14}{'ratio':>7}{'sim wall':>10}{'wall':>8}"
        f"{'ratio per process':>19}{'fixed cpu ms':>14}"
    )
    for n in draws:
        for code in trees:
            rows = [r[str(n)] for r in got[code]]
            med = {
                k: [statistics.median(r[k][i] for r in rows) for i in (0, 1)]
                for k in ("simulator", "simulate")
            }
            ratio = med["simulate"][0] / med["simulator"][0]
            own = statistics.median(r["simulate"][0] / r["simulator"][0] for r in rows)
            fixed = statistics.median(r["simulate"][0] - r["simulator"][0] for r in rows)
            print(
                f"{code:<6}{n:>10,}{med['simulator'][0]:15.3f}{med['simulate'][0]:14.3f}{ratio:7.2f}"
                f"{med['simulator'][1]:10.3f}{med['simulate'][1]:8.3f}{own:19.2f}{1000 * fixed:14.1f}"
            )
    same = {r["tables"] for rows in got.values() for r in rows}
    print(
        f"markets/outcomes/predictions CSV, same seed, old vs new: {'byte-identical' if len(same) == 1 else 'DIFFER'}"
    )


if __name__ == "__main__":
    main()
