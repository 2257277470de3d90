"""How a whole ``forecast run`` grows with the scenario: markets x predictions, and draws.

Builds variants of the seed scenario (``scenarios/deepseek.toml``) with more markets
(copies of its four, renamed) and more predictions (copies of its four; every other
copy of the share threshold reads a market instead), and prints, in one run:

1. per size (``4x4`` the seed, ``64x4``, ``4x400``, ``64x400``; 20,000 draws), in one
   process each: ``forecast.simulate`` and the report's sensitivity tables
   (``report_frames``) timed by CPU time (steady on a shared machine) and wall time,
   the process's peak memory, and the target sensitivity <= 2 x simulate + 1 s;
2. the seed at ``--big-draws`` (default 1,000,000): sensitivity <= simulate + 1 s,
   peak memory < 3 GB;
3. whole ``forecast run``s (``--full``, default ``64x400``), warm, as a subprocess as a
   user would run it, of this code and with ``--old REF`` of that commit (a detached
   checkout in a temporary git worktree, run from its own folder with the same
   interpreter and packages): each step's wall time from ``manifest.json``, the fixed
   costs, the run's wall and CPU time and peak memory, and old / new (target >= 10x).

Both codes run from their own folder with it first on ``PYTHONPATH``, so a snapshot of
this repository (``git worktree add``) measures that snapshot. The script prints; it
asserts nothing (timings depend on the machine and its load, which it prints).

Usage::

    uv run python benchmarks/scaling.py --old 06c29f2                # everything (old 64x400: ~10 min)
    uv run python benchmarks/scaling.py --sizes 4x4,64x4 --big-draws 0 --full ''
    uv run python benchmarks/scaling.py --old 06c29f2 --old-sizes 4x4,64x4 --full ''
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


def run(scenario: Path, out: Path, draws: int | None, tree: Path, compiledir: Path) -> dict[str, Any]:
    """One ``forecast run --quiet`` of the code in ``tree``: wall seconds, manifest
    timings, the child's CPU seconds and peak RSS (MB)."""
    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"base_compiledir={compiledir}",
        "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    args = [str(scenario), "--out", str(out), "--quiet"] + (["--draws", str(draws)] if draws else [])
    cmd = [sys.executable, "-c", "import sys; from forecast.cli import console; sys.exit(console())", "run"]
    t0 = time.perf_counter()
    # python -c puts the working folder first on the path: run in the code's own tree
    proc = subprocess.Popen(cmd + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tree)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"forecast run {scenario.name} failed ({proc.returncode}):\n{err}")
    manifest = json.loads((out / "manifest.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    return {
        "wall": wall,
        "timings": manifest["timings_seconds"],
        "cpu": manifest.get("cpu_seconds", {}),  # the old code did not record it
        "child_cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
    }


STEPS_SCRIPT = """
import json, resource, sys, time
import forecast
from forecast.analysis.tornado import report_frames
s = forecast.load(sys.argv[1]); draws = int(sys.argv[2])
forecast.simulate(s, draws=2000, seed=1)  # compile (warm: from the disk cache) and calibration
out = {}
c, w = time.process_time(), time.perf_counter()
fc = forecast.simulate(s, draws=draws)
out["simulate"] = {"cpu": time.process_time() - c, "wall": time.perf_counter() - w}
c, w = time.process_time(), time.perf_counter()
report_frames(fc)
out["sensitivity"] = {"cpu": time.process_time() - c, "wall": time.perf_counter() - w}
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["module"] = forecast.__file__
print(json.dumps(out))
"""


def steps_in_process(scenario: Path, draws: int, old: Path | None, compiledir: Path) -> dict[str, Any]:
    """``forecast.simulate`` and the report's sensitivity tables, timed in one process
    by CPU time (steady on a shared machine) and wall time; the process's peak memory."""
    tree = old if old is not None else ROOT
    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"base_compiledir={compiledir}",
        "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    # the working folder comes first on ``python -c``'s path: run in the code's own tree
    proc = subprocess.run(
        [sys.executable, "-c", STEPS_SCRIPT, str(scenario), str(draws)],
        env=env,
        capture_output=True,
        text=True,
        cwd=tree,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{scenario.name} failed:\n{proc.stderr}")
    out = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    want = (old if old is not None else ROOT).resolve()
    if not Path(out["module"]).resolve().is_relative_to(want):
        raise SystemExit(f"measured {out['module']}, not the code under {want}")
    return out


def cpu_row(size: str, code: str, draws: int, r: dict[str, Any]) -> str:
    sim, sens = r["simulate"]["cpu"], r["sensitivity"]["cpu"]
    ok = "ok" if sens <= 2 * sim + 1 else "OVER"
    return (
        f"{size:<7} {code:<4} {draws:>9,} {sim:>8.2f} {sens:>9.2f} {r['simulate']['wall']:>8.2f} "
        f"{r['sensitivity']['wall']:>9.2f} {r['peak_mb']:>7.0f}   {sens / max(sim, 1e-9):>6.1f}x  {ok}"
    )


CPU_HEADER = (
    f"{'size':<7} {'code':<4} {'draws':>9} {'sim cpu':>8} {'sens cpu':>9} {'sim wall':>8} {'sens wall':>9} "
    f"{'peak MB':>7}   sens/sim  sens <= 2 sim + 1 s (CPU)"
)


def worktree(ref: str, where: Path) -> Path:
    """A detached checkout of ``ref`` (removed by :func:`remove_worktree`)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), ref], check=True)
    return where


def remove_worktree(where: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)


def row(size: str, code: str, draws: int, r: dict[str, Any]) -> str:
    t, cpu = r["timings"], r["cpu"]
    sim = t.get("simulate.simulate", 0.0)
    sens = t.get("sensitivity", float("nan"))
    ok = "ok" if sens <= 2 * sim + 1 else "OVER"
    sens_cpu = f"{cpu['sensitivity']:.2f}" if "sensitivity" in cpu else "-"
    fixed = t.get("simulate.compile", 0.0) + t.get("simulate.data", 0.0) + t.get("load", 0.0)
    return (
        f"{size:<7} {code:<4} {draws:>9,} {sim:>8.2f} {sens:>8.2f} {sens_cpu:>8} {t.get('netcdf', 0):>7.2f} "
        f"{t.get('report', 0):>7.2f} {fixed:>6.2f} {r['wall']:>7.1f} {r['child_cpu']:>7.1f} {r['peak_mb']:>7.0f}"
        f"   {sens / max(sim, 1e-9):>6.1f}x  {ok}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="markets x predictions, comma-separated")
    parser.add_argument(
        "--big-draws", type=int, default=1_000_000, help="draws of the seed's large run (0: none)"
    )
    parser.add_argument("--old", help="a git commit to run beside (checked out in a temporary worktree)")
    parser.add_argument(
        "--old-sizes", default="", help="sizes whose steps the old code runs too (default: none)"
    )
    parser.add_argument(
        "--full",
        default="64x400",
        help="sizes of whole `forecast run`s, new and (with --old) old; the old 64x400 takes ~10 min (none: '')",
    )
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    old_sizes = [s.strip() for s in args.old_sizes.split(",") if s.strip()] if args.old else []
    full = [s.strip() for s in args.full.split(",") if s.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="forecast-scaling-"))
    compiledir = Path(os.environ.get("FORECAST_BENCH_COMPILEDIR", Path.home() / ".pytensor"))
    old_tree = None
    try:
        if args.old:
            old_tree = worktree(args.old, tmp / "old")
        files: dict[tuple[str, Path | None], Path] = {}

        def scenario_file(size: str, tree: Path | None = None) -> Path:
            """The variant grown from the seed scenario of the code in ``tree`` (the old
            code may not know keys the new seed file uses)."""
            if (size, tree) not in files:
                m, p = (int(x) for x in size.split("x"))
                path = tmp / f"v{size}{'-old' if tree is not None and tree != ROOT else ''}.toml"
                seed = (tree or ROOT) / "scenarios" / "deepseek.toml"
                path.write_text(variant(m, p, seed), encoding="utf-8")
                files[size, tree] = path
            return files[size, tree]

        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        print(
            f"new = {ROOT} ({head.stdout.strip()}), old = {args.old or '-'}; {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        print(
            "\neach step in one process, by CPU time (warm: a first simulation compiles or loads the graph)"
        )
        print(CPU_HEADER, flush=True)
        lines = []
        todo: list[tuple[str, str, Path | None, int]] = [("new", s, None, 20_000) for s in sizes]
        todo += [("old", s, old_tree, 20_000) for s in old_sizes]
        if args.big_draws:
            todo.append(("new", "4x4", None, args.big_draws))
        for code, size, tree, draws in todo:
            r = steps_in_process(scenario_file(size, tree), draws, tree, compiledir)
            lines.append(cpu_row(size, code, draws, r))
            print(lines[-1], flush=True)
            if draws > 20_000:
                sim, sens = r["simulate"]["cpu"], r["sensitivity"]["cpu"]
                print(
                    f"        {draws:,} draws: sensitivity <= simulate + 1 s: {'ok' if sens <= sim + 1 else 'OVER'}"
                    f" ({sens:.2f} vs {sim:.2f} + 1); peak memory < 3 GB: "
                    f"{'ok' if r['peak_mb'] < 3072 else 'OVER'} ({r['peak_mb']:,.0f} MB)",
                    flush=True,
                )
        if full:
            header = (
                f"{'size':<7} {'code':<4} {'draws':>9} {'simulate':>8} {'sensitiv':>8} {'sens cpu':>8} "
                f"{'netcdf':>7} {'report':>7} {'fixed':>6} {'wall':>7} {'cpu':>7} {'peak MB':>7}   sens/sim  "
                "sens <= 2 sim + 1 s"
            )
            print(
                "\nwhole `forecast run`s, warm (each step's wall time from the manifest; the run's wall, CPU, peak)"
            )
            print(header, flush=True)
            walls: dict[tuple[str, str], float] = {}
            codes: list[tuple[str, Path]] = [("new", ROOT)] + ([("old", old_tree)] if old_tree else [])
            for code, tree in codes:
                run(
                    scenario_file("4x4", tree), tmp / "warm", 2000, tree, compiledir
                )  # fill the compile cache
                for size in full:
                    r = run(scenario_file(size, tree), tmp / "out", None, tree, compiledir)
                    walls[code, size] = r["wall"]
                    print(row(size, code, 20_000, r), flush=True)
            for size in full:
                if ("old", size) in walls:
                    x = walls["old", size] / walls["new", size]
                    print(
                        f"{size}: whole run {walls['old', size]:.1f} s old -> {walls['new', size]:.1f} s new: "
                        f"{x:.1f}x faster (target >= 10x: {'ok' if x >= 10 else 'UNDER'})"
                    )
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    finally:
        if old_tree is not None:
            remove_worktree(old_tree)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
