"""``forecast compare``: several scenarios (or one against its ``--set``) side by side.

A single file with ``--set`` is a what-if: the file as it is, against the file with
the overrides. With several files, ``--set`` applies to each of them. The folder is
written atomically like ``forecast run``'s (see :mod:`forecast.outputs.staging`).

The scenarios are independent runs: ``--scheduler ADDRESS`` runs them on an
existing Dask cluster, one job per scenario (its resolved inputs, draws and seed),
with byte-identical tables; ``--workers N`` starts them here and a local cluster of
N worker processes only once the scenarios left would take more than 10 s here (as
``forecast sweep --workers N``: a worker costs seconds before its first job);
without either they run here, one after the other.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.analysis.comparison import Comparison, unique_names, unit_problems
from forecast.errors import Problem, ScenarioError
from forecast.outputs.comparison import quantities, slug

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.engine.executor import Executor
    from forecast.scenario import Scenario


@dataclass
class CompareOptions:
    """What ``forecast compare`` was asked to do (see :func:`compare`)."""

    scenarios: Sequence[Path]
    out: Path | None = None
    sets: Sequence[str] = ()
    draws: int | None = None
    seed: int | None = None
    quiet: bool = False
    command: str = ""
    workers: int | None = None  # a local Dask cluster of this many processes (0/None: here)
    scheduler: str | None = None  # an existing Dask cluster; wins over workers
    targets: Sequence[str] = ()  # --target: key numbers tabulated (metric.<id>@2027, total@2027, ...)


def load_variants(opts: CompareOptions) -> tuple[list[Scenario], list[str]]:
    """The scenarios to compare and their names; raises :class:`ScenarioError` with
    every problem of every file.

    One file with ``--set``: the file, then the file with the overrides. Otherwise
    each file, with the overrides applied to each.
    """
    import forecast
    from forecast.commands.common import _parse_sets, cluster_problems

    overrides, problems = _parse_sets(opts.sets)
    problems += cluster_problems(opts.workers, opts.scheduler)
    sim: dict[str, Any] = {}
    if opts.draws is not None:
        sim["simulation.draws"] = opts.draws
    if opts.seed is not None:
        sim["simulation.seed"] = opts.seed
    paths = list(opts.scenarios)
    what_if = len(paths) == 1 and bool(opts.sets)
    if len(paths) < 2 and not what_if:
        problems.append(
            Problem(
                "compare",
                "",
                "needs two or more scenario files, or one file with --set KEY=VALUE to compare it with",
            )
        )
    scenarios: list[Scenario] = []
    names: list[str] = []
    for path in paths:
        runs = [(sim, ""), ({**sim, **overrides}, " with --set")] if what_if else [({**sim, **overrides}, "")]
        for over, suffix in runs:
            try:
                s = forecast.load(path, overrides=over or None)
            except ScenarioError as e:
                problems += [p for p in e.problems if p not in problems]
                continue
            scenarios.append(s)
            names.append(s.id + suffix)
    names = unique_names(names)
    if not problems:
        from forecast.analysis.targets import target_problems

        problems = unit_problems(scenarios, names)
        problems += target_problems(dict(zip(names, scenarios, strict=True)), opts.targets)
    if problems:
        raise ScenarioError(problems)
    return scenarios, names


def compare(opts: CompareOptions, executor: Executor | None = None) -> int:
    """Run ``forecast compare``: exit 0 ok, 2 bad input or an unreachable
    ``--scheduler`` (nothing written), 130/143 interrupted (nothing written). The
    folder appears complete or not at all.

    ``executor`` (tests, benchmarks) runs the scenarios instead of what
    ``opts.workers``/``opts.scheduler`` ask for; it is closed at the end like one
    made here.
    """
    from forecast.commands.common import EXIT_BAD_INPUT

    t0 = time.perf_counter()
    try:
        scenarios, names = load_variants(opts)
    except ScenarioError as e:
        if executor is not None:
            executor.close()
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    if executor is None:
        try:
            executor = _executor(opts, scenarios)
        except (OSError, TimeoutError) as e:
            where = (
                "start a local Dask cluster"
                if opts.scheduler is None
                else f"reach the Dask scheduler {opts.scheduler}"
            )
            print(f"forecast: cannot {where}: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        return _compare(opts, scenarios, names, executor, t0)
    finally:
        if executor is not None:
            executor.close()


def _executor(opts: CompareOptions, scenarios: list[Scenario]) -> Executor | None:
    """``--scheduler``, or ``--workers N`` as a sweep reads it (a cluster only where it
    pays, its workers warmed with these scenarios' simulators), or None: run here."""
    from forecast.commands.common import executor_for
    from forecast.engine.executor import local_cluster_on_demand

    if opts.scheduler is not None or not opts.workers:
        return executor_for(opts.workers, opts.scheduler)
    return local_cluster_on_demand(opts.workers, warm=[s.to_toml() for s in scenarios])


def _compare(
    opts: CompareOptions, scenarios: list[Scenario], names: list[str], executor: Executor | None, t0: float
) -> int:
    from forecast.commands.common import EXIT_INTERRUPTED, EXIT_OK, write_staged

    out = (
        opts.out
        if opts.out is not None
        else Path("reports") / ("compare-" + "-".join(slug(n) for n in names))
    )
    from forecast.scenario.reading import input_files

    status, cmp, pending = write_staged(
        out,
        "comparison",
        opts.quiet,
        lambda folder, steps: _work(scenarios, names, opts, folder, steps, t0, executor),
        inputs=[f for path in opts.scenarios for f in input_files(path)],
    )
    if cmp is None:
        return status
    if not opts.quiet:
        _print_summary(cmp, out, opts.targets)
    if pending:
        print(f"forecast: interrupted after the comparison was complete ({out})", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _work(
    scenarios: list[Scenario],
    names: list[str],
    opts: CompareOptions,
    folder: Path,
    steps: Any,
    t0: float,
    executor: Executor | None = None,
) -> Comparison:
    import forecast
    from forecast.commands.common import parse_sets
    from forecast.outputs.formatting import package_versions
    from forecast.outputs.staging import file_hashes, jsonable

    fcs, timings = [], {}
    if executor is None:
        for name, s in zip(names, scenarios, strict=True):
            with steps.step(f"Simulating {name} ({s.simulation.draws:,} draws)"):
                t = time.perf_counter()
                fcs.append(forecast.simulate(s))
                timings[f"simulate.{name}"] = time.perf_counter() - t
    else:
        fcs = _simulate_on(executor, scenarios, names, opts.quiet, steps, timings)
    cmp = Comparison(fcs, names, timings)
    versions = package_versions()
    command = opts.command or command_line(opts)
    with steps.step("Drawing figures and writing the comparison"):
        t = time.perf_counter()
        # a what-if comparison says so in its title and lists the overrides
        prov = {"command": command, "versions": versions, "overrides": parse_sets(opts.sets)}
        cmp.write_report(folder, provenance=prov, targets=opts.targets)
        timings["report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    manifest = {
        "forecast_version": versions.get("forecast"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "argv": list(sys.argv),
        "kind": "comparison",
        "base": names[0],
        "overrides": {k: jsonable(v) for k, v in parse_sets(opts.sets).items()},
        "scenarios": [
            {
                "name": n,
                "id": fc.scenario.id,
                "title": fc.scenario.title,
                "file": fc.scenario.origin,
                "sha256": fc.scenario.sha256(),
                "seed": fc.seed,
                "draws": fc.n_draws,
                "method": "nuts" if fc.conditioned else "forward",
            }
            for n, fc in zip(names, fcs, strict=True)
        ],
        "versions": versions,
        "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
        "files": file_hashes(folder),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return cmp


def _simulate_on(
    executor: Executor,
    scenarios: list[Scenario],
    names: list[str],
    quiet: bool,
    steps: Any,
    timings: dict[str, float],
) -> list[Forecast]:
    """The scenarios as jobs on ``executor``, with a line per scenario as it finishes
    (the dashboard's address first, when the cluster has one)."""
    from forecast.analysis.comparison import simulate_each

    n = len(scenarios)
    if not quiet and executor.dashboard:
        steps.console.print(f"Dask dashboard: {executor.dashboard}", soft_wrap=True)
    done: dict[int, Forecast] = {}
    with steps.step(f"Simulating {n} scenarios on {executor.description}"):
        for i, fc, seconds in simulate_each(scenarios, executor=executor):
            done[i] = fc
            timings[f"simulate.{names[i]}"] = seconds
            if not quiet:
                steps.console.print(
                    f"scenarios done: {len(done)} of {n} ({names[i]}, {seconds:.1f} s)", soft_wrap=True
                )
    return [done[i] for i in range(n)]


def command_line(opts: CompareOptions) -> str:
    """The ``forecast compare`` command these options stand for.

    Examples
    --------
    >>> command_line(CompareOptions([Path("a.toml")], sets=["x.y=1"], seed=3))
    'forecast compare a.toml --seed 3 --set x.y=1'
    """
    import shlex

    parts = ["forecast", "compare", *map(str, opts.scenarios)]
    if opts.out is not None:
        parts += ["--out", str(opts.out)]
    if opts.draws is not None:
        parts += ["--draws", str(opts.draws)]
    if opts.seed is not None:
        parts += ["--seed", str(opts.seed)]
    for item in opts.sets:
        parts += ["--set", item]
    for spec in opts.targets:
        parts += ["--target", spec]
    if opts.scheduler is not None:
        parts += ["--scheduler", opts.scheduler]
    elif opts.workers is not None:
        parts += ["--workers", str(opts.workers)]
    if opts.quiet:
        parts.append("--quiet")
    return shlex.join(parts)


def _print_summary(cmp: Comparison, out: Path, targets: Sequence[str] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    from forecast.outputs.formatting import interval, key_year, pct, sig

    console = Console(highlight=False)
    markets = cmp.markets()
    year = key_year(cmp.forecasts[0].scenario)
    t = Table(title=f"Median in {year} (90% interval)", title_justify="left")
    t.add_column("Quantity")
    for n in cmp.names:
        t.add_column(n, justify="right")
    for key, title, unit in quantities(cmp):
        if unit == "share":
            continue
        cells = []
        for n in cmp.names:
            r = markets[(markets["scenario"] == n) & (markets["market"] == key) & (markets["year"] == year)]
            cells.append(
                f"{sig(r.q50.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0])})" if len(r) else "–"
            )
        t.add_row(f"{title} ({unit})", *cells)
    for label, cells in _metric_cells(cmp, year):
        t.add_row(label, *cells)
    console.print(t)
    outcomes = cmp.outcomes()
    if len(outcomes):
        t = Table(title="Outcome probabilities", title_justify="left")
        t.add_column("Outcome")
        for n in cmp.names:
            t.add_column(n, justify="right")
        for _, sub in outcomes.groupby("outcome", sort=False):
            by = dict(zip(sub["scenario"], sub["probability"], strict=True))
            t.add_row(str(sub["label"].iloc[0]), *[pct(by[n]) if n in by else "–" for n in cmp.names])
        console.print(t)
    _print_targets(console, cmp, targets)
    for d in cmp.decisions().to_dict("records"):
        console.print(decision_line(d), soft_wrap=True)
    console.print(
        f"Comparison: {out / 'report.html'}  (also report.md, CSV tables with a scenario column, differences.csv)"
    )


def decision_line(d: Mapping[Any, Any]) -> str:
    """One scenario's decision as the terminal prints it (a row of ``cmp.decisions()``).

    Examples
    --------
    >>> decision_line({"scenario": "base", "criterion": "expected", "label": "Build", "too_close": False,
    ...                "expected_payoff": 12.34, "expected_payoff_mcse": 0.456, "unit": "USD m"})
    'Decision in base (expected): Build, expected payoff 12.3 ± 0.456 USD m'
    """
    from forecast.outputs.formatting import sig

    close = ", too close to call" if d["too_close"] else ""
    unit = f" {d['unit']}" if d["unit"] else ""
    return (
        f"Decision in {d['scenario']} ({d['criterion']}): {d['label']}, expected payoff "
        f"{sig(d['expected_payoff'])} ± {sig(d['expected_payoff_mcse'])}{unit}{close}"
    )


def _metric_cells(cmp: Comparison, year: int) -> list[tuple[str, list[str]]]:
    """Each metric's median in ``year`` (or its one number) in each scenario."""
    from forecast.outputs.formatting import interval, sig

    metrics = cmp.metrics()
    out = []
    for _, sub in metrics.groupby("metric", sort=False):
        at = sub[sub["year"].isna() | (sub["year"] == year)]
        if at.empty:
            continue
        by = {str(r["scenario"]): r for r in at.to_dict("records")}
        unit = f" ({at['unit'].iloc[0]})" if at["unit"].iloc[0] else ""
        cells = [
            f"{sig(by[n]['q50'])} ({interval(by[n]['q05'], by[n]['q95'])})" if n in by else "–"
            for n in cmp.names
        ]
        out.append((f"{at['label'].iloc[0]}{unit}", cells))
    return out


def _print_targets(console: Any, cmp: Comparison, targets: Sequence[str]) -> None:
    """The ``--target`` key numbers: each scenario's, and each difference ± its error."""
    from rich.table import Table

    from forecast.outputs.comparison_sections import _difference, _number

    if not targets:
        return
    table = cmp.targets(targets)
    t = Table(title="Targets (± Monte Carlo error; ≈ within 2 errors: noise)", title_justify="left")
    t.add_column("Target")
    for n in cmp.names:
        t.add_column(n, justify="right")
    for n in cmp.names[1:]:
        t.add_column(f"{n} − {cmp.base}", justify="right")
    for spec, sub in table.groupby("target", sort=False):
        by = {str(r["scenario"]): r for r in sub.to_dict("records")}
        cells = [_number(by[n]["value"], by[n]["mcse"], by[n]["statistic"]) for n in cmp.names]
        cells += [
            _difference(
                by[n]["difference"], by[n]["difference_mcse"], by[n]["within_noise"], by[n]["statistic"]
            )
            for n in cmp.names[1:]
        ]
        t.add_row(str(spec), *cells)
    console.print(t)
