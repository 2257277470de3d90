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
  sizes are printed.

``--steps`` picks some of them (comma-separated names as printed).

Usage::

    uv run python benchmarks/costs_big.py [--draws 1000000] [--runs 5] [--steps "netcdf write"]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import forecast
from forecast.analysis import results
from forecast.engine import dataset
from forecast.engine.data import model_data
from forecast.engine.forward import simulator


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


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    tracemalloc.start()
    c = time.process_time()
    out = fn()
    cpu = time.process_time() - c
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return cpu, peak, out


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
    }
    if args.steps:
        cases = {k: v for k, v in cases.items() if k in args.steps.split(",")}
    load = [os.getloadavg()[0]]
    got: dict[str, dict[str, list[tuple[float, float]]]] = {k: {"old": [], "new": []} for k in cases}
    answers: dict[str, dict[str, Any]] = {k: {} for k in cases}
    for _ in range(args.runs):
        for case, codes in cases.items():
            for code, fn in codes.items():
                cpu, peak, out = measure(fn)
                got[case][code].append((cpu, peak))
                if case in ("non_finite_draws", "fits_float32", "netcdf write"):
                    answers[case].setdefault(code, out)
        load.append(os.getloadavg()[0])
    print(
        f"\nseed at {args.draws:,} draws, the changed steps apart (median of {args.runs}; "
        f"load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} cores)"
    )
    print(f"{'step':<24}{'old cpu s':>10}{'new cpu s':>10}{'old peak MB':>12}{'new peak MB':>12}")
    for case in cases:
        med = {c: [statistics.median(x[i] for x in got[case][c]) for i in (0, 1)] for c in ("old", "new")}
        print(
            f"{case:<24}{med['old'][0]:10.2f}{med['new'][0]:10.2f}{med['old'][1]:12.0f}{med['new'][1]:12.0f}"
        )
    for case, a in ((c, a) for c, a in answers.items() if a and c != "netcdf write"):
        print(
            f"{case}: old and new answers {'agree' if a['old'] == a['new'] else 'DIFFER'} ({a['old']!r:.60})"
        )
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
