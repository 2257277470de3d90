"""Issue 30 at 1,000,000 draws, the changed steps apart, old and new in one process.

One ``forecast.simulate`` of the seed at ``--draws`` (default 1,000,000), then, alternately
``--runs`` times each, by CPU time and by ``tracemalloc`` peak (numpy's allocations):

- the tables ``forecast run`` reads four times (markets.csv, the figures, the report,
  the terminal summary): old = ``Forecast._markets()``/``_outcomes()``/``_predictions()``
  four times each (what 211566c computed), new = ``markets()``/... four times (computed
  once, then copies);
- ``non_finite_draws``: old = its masks for every variable (as at 211566c),
  new = the two reductions first;
- ``fits_float32`` over every float variable (the netCDF encoding): old = the two
  copies (211566c, copied below), new = the two reductions first;
- ``forecast.simulate`` against its compiled simulator alone (CPU and peak RSS cannot be
  split in one process; ``tracemalloc`` peaks are printed);
- ``netcdf write``: ``forecast.nc``'s bytes built in memory, old = zlib level 4 (before
  session 8), new = :func:`forecast.engine.dataset.netcdf_bytes` (level 1); the files'
  sizes are printed;
- ``netcdf file`` (session 9): old = the file built in memory, then written (1318f29's
  ``write_netcdf``), new = :func:`forecast.outputs.staging.write_netcdf` (HDF5 writes
  straight to the file): HDF5's memory is C's, which ``tracemalloc`` does not see, so
  the rise of the process's peak RSS (``/proc/self/clear_refs``) is printed too;
- ``risk register`` (session 9): :func:`forecast.analysis.risks.risk_register` on a
  fresh forecast, old = the plain numpy tilt (1318f29's, kept as
  ``forecast.engine.answers._tilted_plain``), new = :func:`tilted_outcomes`; the two
  registers must be equal to the last bit.

``--steps`` picks some of them (comma-separated names as printed).

Usage::

    uv run python benchmarks/costs_big.py [--draws 1000000] [--runs 5] [--steps "netcdf write"]
    uv run python benchmarks/costs_big.py --steps "risk register,netcdf file" --draws 200000
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import forecast
from forecast.analysis import results, risks
from forecast.engine import answers as engine_answers
from forecast.engine import dataset
from forecast.engine.data import model_data
from forecast.engine.forward import simulator
from forecast.outputs.staging import write_netcdf


def old_non_finite(fc: Any) -> int:
    """``non_finite_draws`` as at 211566c: its masks for every variable (the two
    reductions that now come first are skipped)."""
    real = results._plainly_finite
    results._plainly_finite = lambda values: False
    try:
        return len(results.non_finite_draws(fc))
    finally:
        results._plainly_finite = real


def old_fits_float32(var: Any) -> bool:
    """``fits_float32`` as at 211566c."""
    a = np.abs(np.asarray(var.values, dtype=np.float64))
    a = a[np.isfinite(a) & (a > 0)]
    f32 = np.finfo(np.float32)
    return not a.size or (float(a.max()) <= float(f32.max) and float(a.min()) >= float(f32.tiny))


def float_vars(fc: Any) -> list[Any]:
    return [v for node in fc.data.subtree for v in node.dataset.data_vars.values() if v.dtype.kind == "f"]


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmHWM")).split()[1]) / 1024


def measure(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """CPU seconds, ``tracemalloc`` peak MB, rise of the peak RSS (MB) and the answer."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak RSS starts again from the RSS now
    before = _peak_rss_mb()
    tracemalloc.start()
    c = time.process_time()
    out = fn()
    cpu = time.process_time() - c
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return cpu, peak, _peak_rss_mb() - before, out


def old_write_netcdf(tree: Any, path: Path) -> None:
    """``forecast.nc`` as 1318f29 wrote it: the whole file built in memory, then written."""
    with open(path, "wb") as f:
        f.write(dataset.netcdf_bytes(tree))


def register(fc: Any, plain: bool) -> Any:
    """The risk register of a fresh forecast, by the plain tilt (1318f29's) or this one."""
    real = risks.tilted_outcomes
    if plain:
        risks.tilted_outcomes = lambda q, p, d: engine_answers._tilted_plain(
            np.clip(q, engine_answers.TINY, None), p, d
        )
    try:
        return risks.risk_register(dataclasses.replace(fc))
    finally:
        risks.tilted_outcomes = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", default="", help="only these steps (comma-separated)")
    args = parser.parse_args()
    s = forecast.load(forecast.bundled())
    forecast.simulate(s, draws=2000, seed=1)  # warm: the compile cache and calibration
    sim = simulator(model_data(s).without_observations())
    fc = forecast.simulate(s, draws=args.draws)
    scratch = Path(tempfile.mkdtemp(prefix="costs-big-"))

    def tables(fresh: Any, method: str) -> None:
        for _ in range(4):  # markets.csv, figures, report, terminal summary
            for name in ("markets", "outcomes", "predictions"):
                getattr(fresh, method.format(name))()

    cases: dict[str, dict[str, Callable[[], Any]]] = {
        "tables x4": {
            "old": lambda: tables(dataclasses.replace(fc), "_{}"),
            "new": lambda: tables(dataclasses.replace(fc), "{}"),
        },
        "non_finite_draws": {
            "old": lambda: old_non_finite(fc),
            "new": lambda: len(results.non_finite_draws(fc)),
        },
        "fits_float32": {
            "old": lambda: [old_fits_float32(v) for v in float_vars(fc)],
            "new": lambda: [dataset.fits_float32(v) for v in float_vars(fc)],
        },
        "simulate vs simulator": {
            "old": lambda: sim(args.draws, 1),  # "old" = the compiled simulator alone
            "new": lambda: forecast.simulate(s, draws=args.draws),
        },
        "netcdf write": {
            "old": lambda: len(
                fc.data.to_netcdf(engine="h5netcdf", encoding=dataset.netcdf_encoding(fc.data, complevel=4))
            ),
            "new": lambda: len(dataset.netcdf_bytes(fc.data)),
        },
        "netcdf file": {
            "old": lambda: (
                old_write_netcdf(fc.data, scratch / "old.nc") or (scratch / "old.nc").stat().st_size
            ),
            "new": lambda: write_netcdf(fc.data, scratch / "new.nc") or (scratch / "new.nc").stat().st_size,
        },
        "risk register": {"old": lambda: register(fc, True), "new": lambda: register(fc, False)},
    }
    if args.steps:
        cases = {k: v for k, v in cases.items() if k in args.steps.split(",")}
    load = [os.getloadavg()[0]]
    got: dict[str, dict[str, list[tuple[float, float, float]]]] = {k: {"old": [], "new": []} for k in cases}
    answers: dict[str, dict[str, Any]] = {k: {} for k in cases}
    for _ in range(args.runs):
        for case, codes in cases.items():
            for code, fn in codes.items():
                cpu, peak, rise, out = measure(fn)
                got[case][code].append((cpu, peak, rise))
                if case in (
                    "non_finite_draws",
                    "fits_float32",
                    "netcdf write",
                    "netcdf file",
                    "risk register",
                ):
                    answers[case].setdefault(code, out)
        load.append(os.getloadavg()[0])
    print(
        f"\nseed at {args.draws:,} draws, the changed steps apart (median of {args.runs}; "
        f"load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"{'step':<24}{'old cpu s':>10}{'new cpu s':>10}{'old peak MB':>12}{'new peak MB':>12}"
        f"{'old rss+ MB':>12}{'new rss+ MB':>12}"
    )
    for case in cases:
        med = {c: [statistics.median(x[i] for x in got[case][c]) for i in (0, 1, 2)] for c in ("old", "new")}
        print(
            f"{case:<24}{med['old'][0]:10.2f}{med['new'][0]:10.2f}{med['old'][1]:12.0f}{med['new'][1]:12.0f}"
            f"{med['old'][2]:12.0f}{med['new'][2]:12.0f}"
        )
    print("(peak MB: tracemalloc's, numpy and Python; rss+ MB: the rise of the process's peak RSS)")
    for case, a in ((c, a) for c, a in answers.items() if a and c != "netcdf write"):
        same = a["old"].equals(a["new"]) if case == "risk register" else a["old"] == a["new"]
        print(f"{case}: old and new answers {'agree' if same else 'DIFFER'} ({a['old']!s:.60})")
    shutil.rmtree(scratch, ignore_errors=True)
    if "simulate vs simulator" in cases:
        print(
            "(simulate vs simulator: 'old' is the compiled simulator alone, 'new' all of forecast.simulate)"
        )
    if "netcdf write" in answers:  # its answers are the files' sizes, which differ by design
        print(
            f"netcdf write: {answers['netcdf write']['old'] / 1e6:.1f} MB old, {answers['netcdf write']['new'] / 1e6:.1f} MB new"
        )


if __name__ == "__main__":
    main()
