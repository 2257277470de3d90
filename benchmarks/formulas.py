"""The seed's forward simulation with its metrics, beside main's code without them.

Issue 26 adds named inputs and metric formulas to the model's graph and three metrics
(developer-tools revenue in USD m, its 2025-2028 total and its NPV) to the seed. This
measures, in one run, ``forecast.simulate`` of the seed by this code (with the metrics)
and by another commit's code (default ``main``: a ``git archive`` of it in a temporary
folder, run with the same packages), alternating the two so that both see the same
machine load. Each code runs in its own process: one warm-up call (compiles or loads
the compiled graph), then ``--repeats`` timed calls; the median wall and CPU times are
printed.

Run::

    uv run python benchmarks/formulas.py                  # 20,000 draws, 5 repeats
    uv run python benchmarks/formulas.py --old main --draws 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent

CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import forecast
assert forecast.__file__.startswith(sys.argv[1]), forecast.__file__
draws, repeats = int(sys.argv[2]), int(sys.argv[3])
s = forecast.load(forecast.bundled("deepseek"))
forecast.simulate(s, draws=draws, seed=1)  # warm-up: compile or load the graph
wall, cpu = [], []
for i in range(repeats):
    t0, c0 = time.perf_counter(), time.process_time()
    forecast.simulate(s, draws=draws, seed=i)
    wall.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
print(json.dumps({"metrics": len(getattr(s, "metrics", [])), "wall": statistics.median(wall),
                  "cpu": statistics.median(cpu)}))
"""


def _run(root: Path, draws: int, repeats: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(draws), str(repeats)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", default="main", help="the commit to compare with (default main)")
    ap.add_argument("--draws", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="alternations of new and old")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "old.tar"
        subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), args.old], check=True)
        old = Path(tmp) / "old"
        with tarfile.open(archive) as tar:
            tar.extractall(old, filter="data")
        print(f"load average before: {os.getloadavg()}")
        for r in range(args.rounds):
            for name, root in (("new", REPO), (args.old, old)):
                res = _run(root, args.draws, args.repeats)
                print(
                    f"round {r + 1} {name:>8}: {res['metrics']} metrics, {args.draws:,} draws: "
                    f"wall {res['wall']:.3f} s, CPU {res['cpu']:.3f} s (median of {args.repeats})"
                )
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
