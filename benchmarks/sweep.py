"""Sweep throughput: cases per second in-process and on 1 and 2 local Dask workers,
and the scheduler's overhead per case.

On the seed scenario (``scenarios/deepseek.toml``), a grid of developer-tools CAGR x
assessment confidence (``--cases`` cases, ``--draws`` draws each) runs:

- ``in-process``: a plain loop of :func:`forecast.analysis.sweep.run_case` here (the
  simulator compiled and warmed first, as a worker would have it);
- ``dask, 1 worker`` and ``dask, 2 workers``: the same jobs through
  :class:`forecast.engine.executor.DaskExecutor` on a ``LocalCluster`` of worker
  processes, after one warm-up case per worker (which loads the compiled simulator
  from the on-disk cache), so the rate is steady state, not start-up;
- ``overhead``: a job that does nothing, through the same executor on 2 workers:
  the scheduler's cost per case (submit, schedule, run, return, release);
- ``compare`` and ``tornado`` (``--compare``, or ``--only-compare`` for these alone): a
  comparison of the bundled base, bull and bear scenarios (``--draws`` each, three
  jobs) and the tornado of the seed forecast's headline targets (20,000 draws, its
  ``2 * inputs + 1`` runs as jobs), in-process and on 2 local workers (each warmed
  with a small simulation first).

Results are byte-identical across the three (the sweep tests check it); only time
is measured. It prints; it asserts nothing. Run::

    uv run python benchmarks/sweep.py                  # 24 cases x 2,000 draws, ~1-2 min
    uv run python benchmarks/sweep.py --cases 8 --draws 500   # a quick look
    uv run python benchmarks/sweep.py --only-compare --draws 20000   # compare + tornado, ~1 min
    uv run python benchmarks/sweep.py --goal --rounds 5   # issue 30's goal against main, ~15 min
    uv run python benchmarks/sweep.py --startup --rounds 5   # a cluster's start-up, spawned vs forked

``--goal`` (issue 30: "the Dask layer at most 20% over the same cases run in one
process for 4 cases x 20,000 draws; case files no larger than the report's compressed
forecast.nc"): whole ``forecast sweep`` commands, 2 x 2 cases of the seed at 20,000
draws, each a fresh process into a fresh folder, for this tree and for ``--before``
(a commit, default ``fe86d98``, extracted with ``git archive`` and put first on
``PYTHONPATH``), ``--workers 0`` and ``--workers 2``, and each tree's cluster forced
on (a ``LocalCluster`` of 2 from the start, as ``--workers 2`` was), alternating in
every round; wall and CPU (the process and its children: the Dask workers) with the
load average, medians over the rounds, the size of ``cases/`` and ``draws.zarr``, and
the ``forecast.nc`` of ``forecast run --draws 20000``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any


def _noop(job: Any) -> int:
    return 0


def _warm(*_: Any) -> int:
    """Compile (or load from the disk cache) the seed scenario's simulator in a worker."""
    import forecast

    forecast.simulate(forecast.load(forecast.bundled()), draws=200)
    return os.getpid()


def _compare_and_tornado(draws: int) -> None:
    """Wall time of a three-scenario comparison and of the seed's tornado, in-process
    and on 2 local workers (both warm)."""
    import forecast
    from forecast.analysis.comparison import Comparison
    from forecast.analysis.sensitivity import headline_targets
    from forecast.analysis.tornado import tornadoes
    from forecast.engine.executor import DaskExecutor

    scenarios = [forecast.load(forecast.bundled(n)) for n in ("deepseek", "deepseek-bull", "deepseek-bear")]
    fc = forecast.simulate(scenarios[0], draws=20_000, seed=1)
    targets = headline_targets(fc.scenario)
    _warm()
    runs = {
        "compare (3 scenarios)": lambda ex: Comparison.simulate(scenarios, draws=draws, executor=ex),
        "tornado (seed, headline targets)": lambda ex: tornadoes(fc, targets, executor=ex),
    }
    here = {}
    for name, fn in runs.items():
        t = time.perf_counter()
        fn(None)
        here[name] = time.perf_counter() - t
    with DaskExecutor.local(2) as ex:
        ex.client.run(_warm)  # every worker: imports and its simulator, before timing
        for name, fn in runs.items():
            t = time.perf_counter()
            fn(ex)
            there = time.perf_counter() - t
            print(
                f"{name:34s} in-process {here[name]:6.2f} s   2 workers {there:6.2f} s   "
                f"({here[name] / there:.2f}x)"
            )
    attrs = tornadoes(fc, targets[:1])[targets[0]].attrs
    print(f"(the tornado: {attrs['runs']} runs of {attrs['draws']:,} draws; compare: {draws:,} draws each)")


def _grid(n: int) -> dict[str, list[Any]]:
    cagrs = [round(0.2 + 0.05 * i, 2) for i in range(max(1, n // 4))]
    return {"markets.developer_tools.cagr": cagrs, "assessment.confidence": [5, 10, 20, 40]}


def _timed(executor: Any, jobs: list[dict[str, Any]], fn: Any) -> float:
    t = time.perf_counter()
    for _ in executor.map(fn, jobs):
        pass
    return time.perf_counter() - t


def _client_side(cases: list[Any], results: list[dict[str, Any]]) -> None:
    """What the client does per case besides waiting: write the case file, and at the
    end read it back into the table and the Zarr store (one process, serial)."""
    from forecast.commands.sweep import open_case, read_case_rows, write_case
    from forecast.outputs.sweep import write_draws

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        paths = [write_case(folder, c, r) for c, r in zip(cases, results, strict=True)]
        write = (time.perf_counter() - t) / len(cases)
        t = time.perf_counter()
        for p in paths:
            read_case_rows(p)
        write_draws(
            cases,
            {c.index: (lambda p=p: open_case(p)) for c, p in zip(cases, paths, strict=True)},
            folder / "d.zarr",
        )
        assemble = (time.perf_counter() - t) / len(cases)
        size = sum(p.stat().st_size for p in paths) / len(cases)
    print(
        f"client: write a case file {write * 1e3:.0f} ms/case ({size / 1e6:.1f} MB on disk); "
        f"table + Zarr at the end {assemble * 1e3:.0f} ms/case"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=24)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--compare", action="store_true", help="also time compare and the tornado")
    parser.add_argument("--only-compare", action="store_true", help="time compare and the tornado only")
    parser.add_argument("--goal", action="store_true", help="issue 30's sweep goal, against --before")
    parser.add_argument("--before", default="fe86d98", help="the commit to compare with (--goal)")
    parser.add_argument("--rounds", type=int, default=5, help="alternations (--goal, --startup)")
    parser.add_argument("--startup", action="store_true", help="where a started cluster's time goes")
    args = parser.parse_args()
    if args.startup:
        from sweep_goal import startup  # type: ignore[import-not-found]

        startup(args.rounds)
        return
    if args.goal:
        from sweep_goal import goal  # type: ignore[import-not-found]

        goal(args.before, args.rounds)
        return
    if args.only_compare:
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        _compare_and_tornado(args.draws)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return

    import forecast
    from forecast.analysis.sweep import build_cases, run_case
    from forecast.engine.executor import DaskExecutor, InProcess

    base = forecast.load(forecast.bundled("deepseek"))
    t = time.perf_counter()
    cases = build_cases({"deepseek": base}, _grid(args.cases), seed=1, draws=args.draws)
    resolve = (time.perf_counter() - t) / len(cases)
    jobs = [c.job() for c in cases]
    n = len(jobs)
    print(f"{n} cases x {args.draws:,} draws; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"resolving a case on the client (overrides + validation + TOML): {resolve * 1e3:.1f} ms")

    first = run_case(jobs[0])  # compile (or load from the disk cache) and warm up here
    rates: dict[str, float] = {}
    cpu = time.process_time()
    seconds = _timed(InProcess(), jobs, run_case)
    cpu = time.process_time() - cpu
    rates["in-process loop"] = n / seconds
    print(f"one case's result as the client receives it: {len(pickle.dumps(first)) / 1e6:.1f} MB (pickled)")
    print(f"in-process CPU time: {cpu / n:.3f} s/case")
    # the client's files as --keep-draws writes them (by default a case file is its rows)
    _client_side(cases[:8], [run_case(c.job(keep_draws=True)) for c in cases[:8]])
    for workers in (1, 2):
        with DaskExecutor.local(workers) as ex:
            _timed(ex, jobs[:workers], run_case)  # one warm-up case per worker
            seconds = _timed(ex, jobs, run_case)
            rates[f"dask, {workers} worker{'s' if workers > 1 else ''}"] = n / seconds
            if workers == 2:
                m = 200
                noop = _timed(ex, [{}] * m, _noop)
    for name, rate in rates.items():
        print(f"{name:18s} {rate:7.2f} cases/s   {1 / rate:6.3f} s/case")
    print(f"scheduler overhead (no-op jobs, 2 workers): {noop / m * 1e3:.2f} ms/case")
    if args.compare:
        _compare_and_tornado(args.draws)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
