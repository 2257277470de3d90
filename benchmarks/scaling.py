"""How a whole ``forecast run`` grows with the scenario: markets x predictions, and draws.

Builds variants of the seed scenario (``scenarios/deepseek.toml``) with more markets
(copies of its four, renamed) and more predictions (copies of its four; every other
copy of the share threshold reads a market instead), then times ``forecast run`` on
each, warm (the compile cache filled by a first run: every variant has the same graph
structure, so one compile serves them all), as a subprocess, as a user would:

- each step's time from the run's ``manifest.json`` (``simulate`` without compile,
  ``sensitivity``, ``netcdf``, ``report``), the wall time, and the process's peak
  memory (``ru_maxrss`` of that child, from ``os.wait4``);
- with ``--old REF`` (a commit, e.g. ``main`` before a change; default: none) the same
  runs of that commit beside them, checked out into a temporary git worktree and
  run with the same interpreter and packages (``PYTHONPATH`` put first);
- the check of the target: sensitivity <= 2 x simulate + 1 s.

Sizes: ``4x4`` (the seed), ``64x4``, ``4x400`` and ``64x400`` at the scenario's 20,000
draws, and the seed at ``--big-draws`` (default 1,000,000). The script prints; it
asserts nothing (timings depend on the machine and its load, which it prints).

Usage::

    uv run python benchmarks/scaling.py                       # new code only, every size
    uv run python benchmarks/scaling.py --old <commit>        # beside an older commit
    uv run python benchmarks/scaling.py --sizes 4x4,64x4 --big-draws 0
    uv run python benchmarks/scaling.py --old <commit> --old-sizes 4x4,64x4,4x400
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SEED_SCENARIO = ROOT / "scenarios" / "deepseek.toml"
SIZES = ("4x4", "64x4", "4x400", "64x400")
STEPS = ("simulate", "sensitivity", "netcdf", "report")


def variant(n_markets: int, n_predictions: int, seed_file: Path = SEED_SCENARIO) -> str:
    """The seed scenario grown to ``n_markets`` markets and ``n_predictions`` predictions (TOML)."""
    import tomli_w

    s = tomllib.loads(seed_file.read_text(encoding="utf-8"))
    base = s["markets"]
    markets = []
    for i in range(n_markets):
        m = copy.deepcopy(base[i % len(base)])
        if i >= len(base):
            m["id"], m["label"] = f"{m['id']}_{i}", f"{m['label']} {i}"
        markets.append(m)
    s["markets"] = markets
    preds = []
    for i in range(n_predictions):
        p = copy.deepcopy(s["predictions"][i % 4])
        if i >= 4:
            p["id"] = f"{p['id']}_{i}"
            if "quantity" in p and (i // 4) % 2 == 1:
                mk = markets[(i // 4) % n_markets]
                p["quantity"], p["threshold"] = f"market.{mk['id']}", float(mk["projection"]["value"])
                p["statement"] = f"{mk['label']} reaches its projection by the deadline"
        preds.append(p)
    s["predictions"] = preds
    s["id"] = f"{s['id']}_{n_markets}x{n_predictions}"
    return tomli_w.dumps(s)


def run(scenario: Path, out: Path, draws: int | None, old: Path | None, compiledir: Path) -> dict[str, Any]:
    """One ``forecast run --quiet``: wall seconds, manifest timings, peak RSS (MB)."""
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}
    args = [str(scenario), "--out", str(out), "--quiet"] + (["--draws", str(draws)] if draws else [])
    if old is not None:
        env["PYTHONPATH"] = str(old) + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [
            sys.executable,
            "-c",
            "import sys; from forecast.cli import console; sys.exit(console())",
            "run",
        ]
    else:
        cmd = [str(Path(sys.executable).with_name("forecast")), "run"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"forecast run {scenario.name} failed ({proc.returncode}):\n{err}")
    manifest = json.loads((out / "manifest.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    return {"wall": wall, "timings": manifest["timings_seconds"], "peak_mb": usage.ru_maxrss / 1024}


def worktree(ref: str, where: Path) -> Path:
    """A detached checkout of ``ref`` (removed by :func:`remove_worktree`)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), ref], check=True)
    return where


def remove_worktree(where: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)


def row(size: str, code: str, draws: int, r: dict[str, Any]) -> str:
    t = r["timings"]
    sim = t.get("simulate.simulate", 0.0)
    sens = t.get("sensitivity", float("nan"))
    ok = "ok" if sens <= 2 * sim + 1 else "OVER"
    return (
        f"{size:<8} {code:<4} {draws:>10,} {sim:>9.2f} {sens:>11.2f} {t.get('netcdf', 0):>7.2f} "
        f"{t.get('report', 0):>7.2f} {r['wall']:>8.1f} {r['peak_mb']:>8.0f}   {sens / max(sim, 1e-9):>6.1f}x  {ok}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="markets x predictions, comma-separated")
    parser.add_argument(
        "--big-draws", type=int, default=1_000_000, help="draws of the seed's large run (0: none)"
    )
    parser.add_argument("--old", help="a git commit to run beside (checked out in a temporary worktree)")
    parser.add_argument(
        "--old-sizes", help="sizes for the old code (default: --sizes); the old 64x400 takes ~10 min"
    )
    parser.add_argument("--old-big", action="store_true", help="also the old code's large-draws run")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    old_sizes = [s.strip() for s in (args.old_sizes or args.sizes).split(",") if s.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="forecast-scaling-"))
    compiledir = Path(os.environ.get("FORECAST_BENCH_COMPILEDIR", Path.home() / ".pytensor"))
    codes: list[tuple[str, Path | None]] = [("new", None)]
    old_tree = None
    try:
        if args.old:
            old_tree = worktree(args.old, tmp / "old")
            codes.append(("old", old_tree))
        files = {}
        for size in sorted(set(sizes) | set(old_sizes), key=lambda s: [int(x) for x in s.split("x")]):
            m, p = (int(x) for x in size.split("x"))
            files[size] = tmp / f"v{size}.toml"
            files[size].write_text(variant(m, p), encoding="utf-8")
        print(f"forecast run, warm; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
        header = (
            f"{'size':<8} {'code':<4} {'draws':>10} {'simulate':>9} {'sensitivity':>11} {'netcdf':>7} "
            f"{'report':>7} {'wall':>8} {'peak MB':>8}   sens/sim  sens <= 2 sim + 1 s"
        )
        lines = []
        for code, tree in codes:
            run(
                files[min(files, key=lambda s: [int(x) for x in s.split("x")])],
                tmp / "warm",
                2000,
                tree,
                compiledir,
            )
            todo = [(s, None) for s in (sizes if code == "new" else old_sizes)]
            if args.big_draws and (code == "new" or args.old_big):
                todo.append(("4x4", args.big_draws))
            for size, draws in todo:
                if size not in files:
                    m, p = (int(x) for x in size.split("x"))
                    files[size] = tmp / f"v{size}.toml"
                    files[size].write_text(variant(m, p), encoding="utf-8")
                r = run(files[size], tmp / "out", draws, tree, compiledir)
                lines.append(row(size, code, draws or 20_000, r))
                print(lines[-1], flush=True)
        print()
        print(header)
        for line in sorted(lines, key=lambda x: (x.split()[0], x.split()[2], x.split()[1])):
            print(line)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        if old_tree is not None:
            remove_worktree(old_tree)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
