"""Issue 30, side by side in one run: the figures, the files and NUTS, old code vs new.

Parts (``--parts``, default all):

- ``runs``: whole warm ``forecast run``s of the seed scenario (``scenarios/deepseek.toml``)
  at its 20,000 draws and at 1,000,000 (``--draws``), as subprocesses of
  the code in this tree (new) and of ``--old REF`` (a detached checkout, run from its own
  folder with the same interpreter and packages), old and new alternately, ``--runs``
  each (medians). Figures drawn in the main process (``FORECAST_FIGURE_WORKER=0``) so the
  child's CPU time (``RUSAGE_CHILDREN``) holds all of the run's work. Printed: the run's
  CPU time and peak memory, each step's wall time from ``manifest.json``; and whether
  the first run of each code wrote byte-identical CSV tables and figures of the same
  pixels (same seed; a figure's bytes may differ).
- ``figures``: the report's figures and tornado charts of the seed (20,000 draws),
  drawn in one process of each code, alternately, by CPU time (median of ``--runs``
  processes): each figure drawn once after the figure worker's warm-up (fonts loaded),
  as in a run; then "drawn again", the median of 3 more drawings (text caches warm).
- ``floor``: a process that imports the run's libraries and simulates the seed (the
  issue's floor: a warm run should cost at most twice it), by CPU time.
- ``nuts``: NUTS on ``deepseek-update`` in this process, three compiled samplers: the
  yearly shocks sampled as drawn (``whiten=False``), this code's model (whitened given
  the evidence) and ``--old``'s model (its ``model.py`` loaded beside). Settings
  (``NUTS_SETTINGS``): the code's rule on ``--old``'s model (old), nutpie's defaults
  (300 tuning steps, 0.8) on the shocks as drawn, and the code's rule (new),
  alternately, ``--runs`` seeds each, 4 chains x 1,000 draws: the smallest bulk ESS
  over the latents and derived quantities per CPU second and per wall second of
  sampling (retries included), leapfrog steps a draw, and divergences; then
  ``--long-seeds`` runs of ``--long-draws`` per chain (default 4 x 25,000 = 100,000
  draws) of each setting: how many diverged, and their CPU time with retries.

Wall times on a shared machine mean little; CPU time and peak RSS are the figures to
compare. The script prints the load average; it asserts nothing.

Usage::

    uv run python benchmarks/costs.py --old main --runs 5
    uv run python benchmarks/costs.py --parts nuts --runs 5 --long-seeds 3 --old 1318f29
    uv run python benchmarks/costs.py --parts runs --draws 1000000 --old 1318f29 --runs 3 --no-warmup
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

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "scenarios" / "deepseek.toml"
STEPS = ("simulate_total", "sensitivity", "netcdf", "report")

FIGURE_SCRIPT = """
import json, statistics, sys, time
import forecast
from forecast.analysis.tornado import report_frames
from forecast.outputs.figures import draw_figures, draw_tornadoes, figure_data
from forecast.outputs.report import sensitivity_frames
fc = forecast.simulate(forecast.load(forecast.bundled()), draws=20000, seed=1)
sens = sensitivity_frames(report_frames(fc))
data = figure_data(fc)
from matplotlib.figure import Figure
from forecast.outputs.figures import _png
fig = Figure(figsize=(2, 1), layout="constrained")  # warm-up as the figure worker's: fonts loaded
fig.subplots().plot([0, 1], [0, 1], label="x"); fig.legend(loc="outside lower center"); _png(fig)
c = time.process_time()
drawn = draw_figures(data) + draw_tornadoes(sens)
first = time.process_time() - c  # each figure drawn once, as in a run
cpu = []
for _ in range(3):
    c = time.process_time()
    drawn = draw_figures(data) + draw_tornadoes(sens)
    cpu.append(time.process_time() - c)
import hashlib, io
import numpy as np
from PIL import Image
pixels = hashlib.sha256()  # the pictures, decoded: bytes may change, content may not
for _, png in drawn:
    pixels.update(np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).tobytes())
print(json.dumps({"cpu": first, "again": statistics.median(cpu), "figures": len(drawn),
                  "bytes": sum(len(p) for _, p in drawn), "module": forecast.__file__,
                  "pixels": pixels.hexdigest()}))
"""


FLOOR_SCRIPT = """
import forecast, matplotlib.figure, pandas, xarray  # the libraries a run imports
fc = forecast.simulate(forecast.load(forecast.bundled()))
"""


def floor_part(trees: dict[str, Path], runs: int) -> None:
    """The issue's floor for a warm run: a process that imports the run's libraries and
    simulates the seed, nothing else (its CPU time, median of ``runs``)."""
    got: dict[str, list[float]] = {code: [] for code in trees}
    load = [os.getloadavg()[0]]
    _subreaper()
    for _ in range(runs):
        for code, tree in trees.items():
            proc = subprocess.Popen([sys.executable, "-c", FLOOR_SCRIPT], env=_env(tree), cwd=tree)
            _, status, usage = os.wait4(proc.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"the floor script failed in {tree}")
            got[code].append(usage.ru_utime + usage.ru_stime)
        load.append(os.getloadavg()[0])
    print(
        f"\nimport the libraries + simulate the seed, one process, by CPU time (median of {runs}; "
        f"load average {min(load):.1f}-{max(load):.1f})"
    )
    for code, cpu in got.items():
        print(f"{code:<5} {statistics.median(cpu):6.2f} s CPU ({min(cpu):.2f}-{max(cpu):.2f})")


def _env(tree: Path, worker: str = "0") -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env["FORECAST_FIGURE_WORKER"] = worker  # "": the code's own rule
    return env


def _subreaper() -> None:
    """Adopt orphaned grandchildren (Linux): a run's figure worker, killed when the run
    exits, is then reaped here and its CPU time counted (see :func:`_reap_orphans`)."""
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1)


def _reap_orphans() -> float:
    """CPU seconds of adopted processes that have exited (a run's figure worker that its
    run did not wait for; ``RUSAGE_CHILDREN`` of the run holds only those it waited for)."""
    cpu = 0.0
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return cpu
        if pid == 0:  # one still running (dies with its parent): wait for it
            time.sleep(0.05)
            continue
        cpu += usage.ru_utime + usage.ru_stime


#: ``forecast run`` after importing the libraries it loads, writing the RSS (MB) it has
#: then to the file named by its first argument: the run's memory beyond its imports
RUN_SCRIPT = """
import sys
import forecast.cli, forecast.commands.run, forecast.outputs.report, forecast.engine.forward
import h5netcdf, matplotlib.pyplot, numba, pandas, pytensor, xarray
rss = next(line for line in open("/proc/self/status") if line.startswith("VmRSS"))
open(sys.argv.pop(1), "w").write(str(int(rss.split()[1]) / 1024))
from forecast.cli import console
sys.exit(console())
"""


def draws_mb(tree: Path, draws: int) -> float:
    """MB of the draws of a forward run of the seed at ``draws`` (the ``prior`` and
    ``prior_predictive`` groups' ``nbytes``, which grow linearly with the draws:
    measured at 1,000 draws and scaled)."""
    code = (
        "import forecast; fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000, seed=1); "
        "print(sum(fc.data[g].to_dataset().nbytes for g in ('prior', 'prior_predictive')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(tree), cwd=tree, capture_output=True, text=True
    )
    return int(out.stdout.split()[-1]) / 1000 * draws / 1e6


def forecast_run(tree: Path, draws: int | None, out: Path, worker: str = "0") -> dict[str, Any]:
    """One warm ``forecast run --quiet`` of the code in ``tree`` into ``out``: the child's
    CPU seconds and peak RSS (MB), the wall time and the manifest's step timings."""
    args = [str(SEED), "--out", str(out), "--quiet"] + (["--draws", str(draws)] if draws else [])
    cmd = [sys.executable, "-c", RUN_SCRIPT, str(out) + ".rss", "run"]
    _subreaper()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd + args, env=_env(tree, worker), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tree
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    cpu = usage.ru_utime + usage.ru_stime + _reap_orphans()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"forecast run in {tree} failed:\n{err[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_mb": usage.ru_maxrss / 1024,
        "imports_mb": float(Path(str(out) + ".rss").read_text()),
        "steps": manifest["timings_seconds"],
    }


def same_tables(a: Path, b: Path) -> str:
    """Which CSV tables of two report folders differ ("" when every one is the same)."""
    names = sorted({p.relative_to(a).as_posix() for p in a.rglob("*.csv")})
    names += sorted({p.relative_to(b).as_posix() for p in b.rglob("*.csv")} - set(names))
    diff = [
        n
        for n in names
        if not ((a / n).is_file() and (b / n).is_file()) or (a / n).read_bytes() != (b / n).read_bytes()
    ]
    return ", ".join(diff)


def runs_part(
    trees: dict[str, Path],
    draws: int | None,
    runs: int,
    tmp: Path,
    workers: tuple[str, ...] = ("0",),
    warmup: bool = True,
) -> None:
    """Whole runs of each code, and of the new code with each ``FORECAST_FIGURE_WORKER``
    setting in ``workers`` ("0": in the main process, "1": a worker, "": its own rule).
    Without ``warmup`` (a loaded machine, 1e6 draws: minutes a run) the first measured
    run of each code is the one whose tables are compared."""
    label = f"{draws:,}" if draws else "20,000 (the file's)"
    variants = {code: (tree, "0") for code, tree in trees.items()}
    for w in workers:
        if w != "0":
            variants[f"new w={w or 'rule'}"] = (trees["new"], w)
    got: dict[str, list[dict[str, Any]]] = {code: [] for code in variants}
    kept: dict[str, Path] = {}
    for code, tree in trees.items() if warmup else ():  # warm-up, and the tables kept
        kept[code] = tmp / f"{code}-{draws}"
        forecast_run(tree, draws, kept[code])
    load = [os.getloadavg()[0]]
    for i in range(runs):
        for code, (tree, worker) in variants.items():
            out = tmp / f"{code.replace(' ', '_')}-{draws}-{i}"
            got[code].append(forecast_run(tree, draws, out, worker))
            if code in trees and code not in kept:
                kept[code] = out  # no warm-up: the first measured run's tables
            else:
                shutil.rmtree(out, ignore_errors=True)
            load.append(os.getloadavg()[0])
            r = got[code][-1]  # each run as it ends: a stopped benchmark still says something
            print(
                f"  run {i + 1} {code}: cpu {r['cpu']:.2f} s, peak {r['peak_mb']:.0f} MB, imports "
                f"{r['imports_mb']:.0f} MB, wall {r['wall']:.1f} s, load {load[-1]:.1f}, steps "
                + ", ".join(f"{s} {r['steps'].get(s, float('nan')):.2f}" for s in STEPS),
                flush=True,
            )
    print(
        f"\nwarm `forecast run` of the seed, {label} draws (median of {runs}; load average "
        f"{min(load):.1f}-{max(load):.1f} on {os.cpu_count()} cores; cpu: the run and its figure worker)"
    )
    print(
        f"{'code':<11}{'cpu s':>8}{'peak MB':>9}{'imports MB':>11}{'wall s':>8}"
        + "".join(f"{s:>15}" for s in STEPS)
    )
    for code in variants:
        r = got[code]
        med = {k: statistics.median(x[k] for x in r) for k in ("cpu", "peak_mb", "imports_mb", "wall")}
        steps = {s: statistics.median(x["steps"].get(s, float("nan")) for x in r) for s in STEPS}
        print(
            f"{code:<11}{med['cpu']:8.2f}{med['peak_mb']:9.0f}{med['imports_mb']:11.0f}{med['wall']:8.1f}"
            + "".join(f"{steps[s]:15.2f}" for s in STEPS)
        )
        print(
            f"            cpu range {min(x['cpu'] for x in r):.2f}-{max(x['cpu'] for x in r):.2f}, "
            f"wall {min(x['wall'] for x in r):.1f}-{max(x['wall'] for x in r):.1f}, "
            f"peak {min(x['peak_mb'] for x in r):.0f}-{max(x['peak_mb'] for x in r):.0f} MB"
        )
    need = draws_mb(trees["new"], draws or 20_000)
    print(
        f"the draws themselves: {need:.0f} MB (prior + prior_predictive nbytes); "
        "imports MB: the run's RSS after importing its libraries, before its work"
    )
    if len(kept) == 2:
        diff = same_tables(kept["old"], kept["new"])
        print("CSV tables old vs new, same seed: " + (f"DIFFER: {diff}" if diff else "byte-identical"))
        diff = same_files(kept["old"], kept["new"], "figures/*.png")
        print("figures old vs new, same seed: " + (f"bytes differ: {diff}" if diff else "byte-identical"))
        diff = same_pixels(kept["old"], kept["new"], "figures/*.png")
        print("figures old vs new, same seed: " + (f"PIXELS DIFFER: {diff}" if diff else "the same pixels"))


def _names(a: Path, b: Path, pattern: str) -> list[str]:
    """The files matching ``pattern`` in either folder, relative to it."""
    return sorted(
        {p.relative_to(a).as_posix() for p in a.glob(pattern)}
        | {p.relative_to(b).as_posix() for p in b.glob(pattern)}
    )


def same_files(a: Path, b: Path, pattern: str) -> str:
    """Which files matching ``pattern`` differ between two folders ("" when none)."""
    return ", ".join(
        n
        for n in _names(a, b, pattern)
        if not ((a / n).is_file() and (b / n).is_file()) or (a / n).read_bytes() != (b / n).read_bytes()
    )


def same_pixels(a: Path, b: Path, pattern: str) -> str:
    """Which PNG files matching ``pattern`` show different pictures ("" when none): decoded
    to RGBA, so an opaque RGB file and its RGBA twin compare equal (issue 30: figures may
    change bytes, not content)."""
    import numpy as np
    from PIL import Image

    def pixels(path: Path) -> Any:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGBA"))

    out = []
    for n in _names(a, b, pattern):
        x = pixels(a / n) if (a / n).is_file() else None
        y = pixels(b / n) if (b / n).is_file() else None
        if x is None or y is None or x.shape != y.shape or (x != y).any():
            out.append(n)
    return ", ".join(out)


def figures_part(trees: dict[str, Path], runs: int) -> None:
    got: dict[str, list[dict[str, Any]]] = {code: [] for code in trees}
    load = [os.getloadavg()[0]]
    for _ in range(runs):
        for code, tree in trees.items():
            env = _env(tree)
            proc = subprocess.run(
                [sys.executable, "-c", FIGURE_SCRIPT], env=env, cwd=tree, capture_output=True, text=True
            )
            if proc.returncode != 0:
                raise SystemExit(f"figures in {tree} failed:\n{proc.stderr[-3000:]}")
            got[code].append(json.loads(proc.stdout.strip().splitlines()[-1]))
        load.append(os.getloadavg()[0])
    print(
        f"\nthe seed's report figures and tornado charts, drawn in one process, by CPU time "
        f"(median of {runs} processes; load average {min(load):.1f}-{max(load):.1f})"
    )
    for code in trees:
        r = got[code]
        cpu = [x["cpu"] for x in r]
        again = [x["again"] for x in r]
        print(
            f"{code:<5} {statistics.median(cpu):6.2f} s CPU ({min(cpu):.2f}-{max(cpu):.2f}), "
            f"{r[0]['figures']} figures, {r[0]['bytes'] / 1e3:.0f} kB of PNG; drawn again "
            f"{statistics.median(again):.2f} s ({min(again):.2f}-{max(again):.2f})"
        )
    pictures = {code: {x["pixels"] for x in r} for code, r in got.items()}
    print(
        "their pixels: "
        + ("the same in every process" if len(set.union(*pictures.values())) == 1 else f"DIFFER {pictures}")
    )


NUTS_SETTINGS = {  # name: (model, tune, target_accept or None for the code's rule)
    # the code's rule (300 steps at 0.8, the whole run again at 0.95 with 1,000 steps when
    # it diverges) on --old's model (the shocks whitened, their path in the log density)
    "old": ("old", 300, None),
    "nutpie": ("plain", 300, 0.8),  # nutpie's defaults, the shocks sampled as drawn
    "new": ("white", 300, None),  # the code's rule on this code's model
}


def _old_model(tree: Path) -> Any:
    """``--old``'s ``forecast/engine/model.py`` loaded as a module of its own (its
    imports are this tree's, whose modules it reads are unchanged)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("forecast_old_model", tree / "forecast/engine/model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _samplers(data: Any, old: Path | None) -> dict[str, Any]:
    """The compiled samplers of ``deepseek-update``: this code's (the shocks whitened
    given the evidence), the shocks sampled as drawn (``whiten=False``, nutpie's
    defaults' model) and, with ``old``, that tree's model."""
    from forecast.engine.inference import CompiledSampler, _compile_nutpie, compiled_sampler
    from forecast.engine.model import build_model

    white = compiled_sampler(data, "nutpie")
    out = {"white": white}
    builds = {"plain": lambda: build_model(data, predictive=False, whiten=False)}
    if old is not None:
        builds["old"] = lambda: _old_model(old).build_model(data, predictive=False)
    for name, build in builds.items():
        model = build()
        shapes = {k: v for k, v in white.shapes.items() if k in model}
        out[name] = CompiledSampler("nutpie", model, _compile_nutpie(model), shapes, 0.0)
    return out


def _sample(cs: Any, data: Any, name: str, *, draws: int, seed: int) -> tuple[Any, Any, float | None, int]:
    """One NUTS run of setting ``name``: (posterior, sample_stats, target kept, divergences
    of runs sampled again), with the code's rule or a fixed target."""
    from forecast.engine.inference import _sample_nutpie
    from forecast.engine.model import sampler_arrays, set_model_data

    _, tune, accept = NUTS_SETTINGS[name]
    set_model_data(cs.model, data)
    compiled = cs.compiled.with_data(**{k: v for k, v in sampler_arrays(data).items() if k in cs.shapes})
    kw = {"draws": draws, "chains": 4, "cores": 2, "seed": seed, "progress_bar": False}
    trace, (kept, _, raised) = _sample_nutpie(compiled, accept, tune=tune, **kw)
    from forecast.engine.model import INFERENCE_LATENTS

    post = trace["posterior"].to_dataset()[list(INFERENCE_LATENTS)]
    return post, trace["sample_stats"].to_dataset(), kept, raised


def nuts_part(runs: int, long_draws: int, long_seeds: int = 4, old: Path | None = None) -> None:
    import forecast
    from forecast.engine.data import model_data
    from forecast.engine.inference import diagnose

    data = model_data(forecast.load(forecast.bundled("deepseek-update")))
    samplers = _samplers(data, old)
    settings = [k for k, v in NUTS_SETTINGS.items() if v[0] in samplers]
    got: dict[str, list[tuple[float, float, int, float | None, float]]] = {k: [] for k in settings}
    load = [os.getloadavg()[0]]
    for seed in range(1, runs + 1):
        for name in settings:
            c, w = time.process_time(), time.perf_counter()
            post, stats, kept, _ = _sample(
                samplers[NUTS_SETTINGS[name][0]], data, name, draws=1000, seed=seed
            )
            cpu, wall = time.process_time() - c, time.perf_counter() - w
            diag = diagnose(post, stats)
            ess = float(diag["ess_bulk"].min())
            steps = float(stats["n_steps"].values.mean())
            got[name].append((ess / cpu, ess / wall, diag.attrs["divergences"], kept, steps))
        load.append(os.getloadavg()[0])
    print(
        f"\nNUTS on deepseek-update, 4 chains x 1,000 draws, min bulk ESS per second of sampling "
        f"(median of {runs} seeds; load average {min(load):.1f}-{max(load):.1f})"
    )
    print(
        f"{'setting':<9}{'model':>6}{'tune':>6}{'target':>8}{'ESS/CPU s':>11}{'ESS/wall s':>12}"
        "  steps/draw  divergences  targets kept"
    )
    for name in settings:
        model, tune, accept = NUTS_SETTINGS[name]
        r = got[name]
        print(
            f"{name:<9}{model:>6}{tune:>6}{accept or 'rule':>8}{statistics.median(x[0] for x in r):11.0f}"
            f"{statistics.median(x[1] for x in r):12.0f}  {statistics.median(x[4] for x in r):10.2f}"
            f"  {sum(x[2] for x in r):>11}  {sorted({x[3] for x in r})}",
            flush=True,
        )
    if long_draws:
        long_part(samplers, data, long_draws, long_seeds, settings)


def long_part(samplers: dict[str, Any], data: Any, long_draws: int, seeds: int, settings: list[str]) -> None:
    """Divergences over ``seeds`` runs of 4 x ``long_draws`` per setting (the settings
    alternately), their CPU time and their min bulk ESS per CPU second (retries
    included): the expected cost of a long run."""
    from forecast.engine.inference import diagnose

    load = [os.getloadavg()[0]]
    rows: dict[str, list[tuple[int, int, float, float | None, float]]] = {k: [] for k in settings}
    for seed in range(101, 101 + seeds):
        for name in settings:
            c = time.process_time()
            post, stats, kept, raised = _sample(
                samplers[NUTS_SETTINGS[name][0]], data, name, draws=long_draws, seed=seed
            )
            cpu = time.process_time() - c
            div = int(stats["diverging"].values.sum())
            ess = float(diagnose(post, stats)["ess_bulk"].min())
            rows[name].append((raised + div, div, cpu, kept, ess / cpu))
            load.append(os.getloadavg()[0])
    print(f"\n4 x {long_draws:,} draws per run, seeds 101-{100 + seeds}, one process, settings alternately:")
    print(
        f"{'setting':<9}{'runs diverged':>14}{'divergences':>12}{'kept':>6}{'median CPU s':>14}{'mean CPU s':>12}"
        f"{'ESS/CPU s':>11}  targets kept"
    )
    for name, r in rows.items():
        print(
            f"{name:<9}{sum(1 for x in r if x[0]):>14}{sum(x[0] for x in r):>12}{sum(x[1] for x in r):>6}"
            f"{statistics.median(x[2] for x in r):14.1f}{statistics.mean(x[2] for x in r):12.1f}"
            f"{statistics.median(x[4] for x in r):11.0f}  {[x[3] for x in r]}"
        )
    print(f"(load average {min(load):.1f}-{max(load):.1f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--old", help="a git commit to run beside (checked out detached in a temporary folder)"
    )
    parser.add_argument("--new", help="a git commit to measure as new (default: this folder as it is)")
    parser.add_argument("--parts", default="nuts,figures,runs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--draws", default="0,1000000", help="draw counts of the runs (0: the file's)")
    parser.add_argument(
        "--workers", default="0", help="FORECAST_FIGURE_WORKER settings of the new code's runs (e.g. 0,1,'')"
    )
    parser.add_argument(
        "--long-draws", type=int, default=25_000, help="draws per chain of the divergence check"
    )
    parser.add_argument("--long-seeds", type=int, default=4, help="runs per setting of the divergence check")
    parser.add_argument("--no-warmup", action="store_true", help="runs: no unmeasured first run of each code")
    args = parser.parse_args()
    parts = args.parts.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="forecast-costs-"))
    trees = {"new": ROOT}
    try:
        for code, ref in (("new", args.new), ("old", args.old)):
            if ref:
                where = tmp / code
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), ref], check=True
                )
                trees[code] = where
        if "nuts" in parts:
            nuts_part(args.runs, args.long_draws, args.long_seeds, trees.get("old"))
        if "figures" in parts:
            figures_part(trees, args.runs)
        if "floor" in parts:
            floor_part(trees, args.runs)
        if "runs" in parts:
            for draws in args.draws.split(","):
                runs_part(
                    trees,
                    int(draws) or None,
                    args.runs,
                    tmp,
                    tuple(args.workers.split(",")),
                    warmup=not args.no_warmup,
                )
    finally:
        for tree in trees.values():
            if tree != ROOT:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
                )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
