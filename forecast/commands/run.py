"""``forecast run``: simulate a scenario and write its report folder, atomically.

The folder is built in a hidden temporary directory next to the target (same
filesystem), then renamed into place. An existing report is replaced only by a
complete one; a run that fails or is interrupted (Ctrl-C, SIGTERM) removes its
temporary directory and any parent folders it created, so it leaves nothing
behind. Bad input (a scenario or ``--set`` problem, an unwritable ``--out``) is
reported before any work and exits 2 with nothing written.

The figures are drawn in a second process (:class:`FigureWorker`, started before
the model compiles) while this one runs the sensitivity analysis; the report is
laid out meanwhile and the PNGs are embedded when they arrive.

The folder holds ``report.html``, ``report.md``, ``report.xlsx``, ``markets.csv``,
``outcomes.csv``, ``predictions.csv`` (and ``growth.csv``, ``signposts.csv``,
``by_outcome.csv``, ``sensitivity.csv`` when they have rows), ``figures/``, ``scenario.toml`` (the
resolved inputs, overrides applied: ``forecast run scenario.toml`` reruns it),
``forecast.nc`` (the :class:`xarray.DataTree`) and ``manifest.json``.

A run with ``--set`` is a what-if: its report says so before anything else, lists
each override with its old and new value, and goes by default to its own folder,
``reports/<id>-whatif-<short hash>/`` (:mod:`forecast.outputs.whatif`), so the base
report in ``reports/<id>/`` is never replaced by a variant.

Examples
--------
>>> opts = RunOptions(sets=["markets.developer_tools.cagr=0.3"], quiet=True)
>>> parse_sets(opts.sets)
{'markets.developer_tools.cagr': 0.3}
>>> run(opts)  # doctest: +SKIP
0
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_DIAGNOSTICS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Steps,
    _parse_sets,
    console,
    parse_sets,
    print_warnings,
    write_staged,
)
from forecast.commands.figure_worker import FigureWorker
from forecast.errors import ScenarioError
from forecast.outputs.staging import file_hashes, jsonable, write_netcdf

if TYPE_CHECKING:
    import pandas as pd

    from forecast.analysis.results import Forecast
    from forecast.outputs.whatif import Change
    from forecast.scenario import Scenario

#: what a report folder holds (manifest.json lists each file's SHA-256)
REPORT_FILES = (
    "report.html",
    "report.md",
    "markets.csv",
    "outcomes.csv",
    "predictions.csv",
    # these when they have rows (see forecast.outputs.report.write_report)
    "growth.csv",
    "signposts.csv",
    "by_outcome.csv",
    "sensitivity.csv",
    "risks.csv",
    "questions.csv",
    "metrics.csv",  # when the scenario has [[metrics]]
    "report.xlsx",
    "forecast.nc",
    "scenario.toml",
    "manifest.json",
    "figures",
)


@dataclass
class RunOptions:
    """What ``forecast run`` was asked to do.

    Attributes
    ----------
    scenario : Path, optional
        The scenario file; the bundled ``deepseek`` scenario when ``None``.
    out : Path, optional
        Report folder; ``reports/<scenario id>/`` when ``None``.
    draws, seed : int, optional
        Override ``simulation.draws`` / ``simulation.seed``.
    sets : sequence of str
        ``KEY=VALUE`` overrides; VALUE is read as a TOML value, else a string.
    prior_only, quiet, strict : bool
    figure_worker : bool
        Draw the figures in a second process, beside the sensitivity analysis
        (:class:`FigureWorker`); same bytes either way. The command line turns it
        on; off by default, because a spawned process re-imports the calling
        script, which must then guard its work with ``if __name__ == "__main__"``.
    sensitivity : callable, optional
        Hook for a sensitivity analysis: called with the Forecast, returns the
        DataFrame (or one per target) the report's Sensitivity section shows (see
        :func:`forecast.outputs.report.write_report`). No section when ``None``.
    command : str
        The command line, recorded in the manifest; rebuilt from the options when empty.
    """

    scenario: Path | None = None
    out: Path | None = None
    draws: int | None = None
    seed: int | None = None
    sets: Sequence[str] = ()
    prior_only: bool = False
    quiet: bool = False
    strict: bool = False
    sensitivity: Callable[[Forecast], pd.DataFrame | Sequence[pd.DataFrame] | None] | None = None
    command: str = ""
    extra_args: list[str] = field(default_factory=list)  # for command_line(), e.g. --sensitivity X
    figure_worker: bool = False

    def command_line(self) -> str:
        """The ``forecast run`` command these options stand for.

        Examples
        --------
        >>> RunOptions(Path("s.toml"), draws=1000, sets=["a.b=1"]).command_line()
        'forecast run s.toml --draws 1000 --set a.b=1'
        """
        parts = ["forecast", "run"]
        if self.scenario is not None:
            parts.append(str(self.scenario))
        if self.out is not None:
            parts += ["--out", str(self.out)]
        if self.draws is not None:
            parts += ["--draws", str(self.draws)]
        if self.seed is not None:
            parts += ["--seed", str(self.seed)]
        for item in self.sets:
            parts += ["--set", item]
        parts += [flag for flag, on in (("--prior-only", self.prior_only), ("--strict", self.strict)) if on]
        parts += self.extra_args
        if self.quiet:
            parts.append("--quiet")
        return shlex.join(parts)


def run(opts: RunOptions) -> int:
    """Run ``forecast run`` and return its exit code (see the module docstring)."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    err = console(stderr=True)
    # every problem at once: malformed --set items, then what loading finds
    overrides, problems = _parse_sets(opts.sets)
    if opts.draws is not None:
        overrides["simulation.draws"] = opts.draws
    if opts.seed is not None:
        overrides["simulation.seed"] = opts.seed
    try:
        scenario = _load(opts.scenario, overrides)
    except ScenarioError as e:
        problems += e.problems
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    timings["load"] = time.perf_counter() - t_start
    from forecast.engine.resources import check_memory

    try:
        check_memory(scenario, scenario.simulation.draws, opts.prior_only)  # before any work
    except ScenarioError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    from forecast.scenario.reading import input_files

    whatif = None
    sets = parse_sets(opts.sets)
    if sets:
        from forecast.outputs.whatif import Change, changes, whatif_folder

        # the file as written, with the same --draws/--seed: only the --set items differ
        try:
            base = _load(opts.scenario, {k: v for k, v in overrides.items() if k not in sets})
            whatif = changes(base, scenario, sets)
        except ScenarioError:  # the file is valid only with the overrides: no old values to show
            whatif = [Change(k, "(the file alone does not validate)", str(v), "set") for k, v in sets.items()]
    if opts.out is not None:
        out = opts.out
    elif whatif is not None:
        out = whatif_folder(scenario.id, sets)
    else:
        out = Path("reports") / scenario.id
    status, done, pending = write_staged(
        out,
        "report",
        opts.quiet,
        lambda folder, steps: _work(scenario, opts, folder, steps, timings, t_start, whatif),
        inputs=input_files(opts.scenario) if opts.scenario is not None else (),
    )
    if done is None:
        return status
    fc, warnings = done
    if warnings:
        print_warnings(err, warnings, opts.strict)
    if not opts.quiet:
        _print_summary(fc, out, whatif)
    if fc.data.attrs.get("draws_note") and not opts.quiet:
        err.print(f"forecast: {fc.data.attrs['draws_note']}", soft_wrap=True)
    if pending:
        print(f"forecast: interrupted after the report was complete ({out})", file=sys.stderr)
        return EXIT_INTERRUPTED
    if warnings and opts.strict:
        print(
            f"forecast: --strict: diagnostics missed their thresholds (report kept in {out})", file=sys.stderr
        )
        return EXIT_DIAGNOSTICS
    return EXIT_OK


def _load(path: Path | None, overrides: dict[str, Any]) -> Scenario:
    import forecast

    return forecast.load(
        path if path is not None else forecast.bundled("deepseek"), overrides=overrides or None
    )


def _work(
    scenario: Scenario,
    opts: RunOptions,
    folder: Path,
    steps: Steps,
    timings: dict[str, float],
    t_start: float,
    whatif: list[Change] | None = None,
) -> tuple[Forecast, list[str]]:
    """Simulate and write every file into ``folder`` (the staging directory)."""
    # started first, so its imports overlap the model's compile (and this one's)
    with FigureWorker.running(opts.figure_worker) as worker:
        import forecast
        from forecast.outputs.figures import (
            PendingFigures,
            draw_figures,
            draw_tornadoes,
            figure_data,
            figure_infos,
            tornado_infos,
        )
        from forecast.outputs.report import (
            diagnostic_warnings,
            package_versions,
            sensitivity_frames,
            write_report,
        )

        draws = scenario.simulation.draws
        cpu: dict[str, float] = {}
        nuts = scenario.has_evidence and not opts.prior_only
        what = f"Sampling the posterior (NUTS, {draws:,} draws)" if nuts else f"Simulating {draws:,} draws"
        with steps.step(what + " — compiles the model on a first run"):
            t, c = time.perf_counter(), time.process_time()
            fc = forecast.simulate(scenario, prior_only=opts.prior_only)
            timings["simulate_total"] = time.perf_counter() - t
            # CPU time too: on a shared machine it is the steadier measure of a step's cost
            cpu["simulate_total"] = time.process_time() - c
        timings.update({f"simulate.{k}": v for k, v in fc.timings.items()})
        infos = []
        if worker is not None:
            data = figure_data(fc)
            infos += figure_infos(data)
            # one job a figure: those the worker has not started when the report
            # needs them are drawn here (FigureWorker.results)
            for k in range(len(infos)):
                worker.submit(draw_figures, data, (k,))
        warnings = diagnostic_warnings(fc)
        sensitivity = None
        if opts.sensitivity is not None:
            with steps.step("Sensitivity analysis"):
                t, c = time.perf_counter(), time.process_time()
                sensitivity = sensitivity_frames(opts.sensitivity(fc))
                timings["sensitivity"] = time.perf_counter() - t
                cpu["sensitivity"] = time.process_time() - c
        if worker is not None and sensitivity:
            tornadoes = tornado_infos(sensitivity)
            infos += tornadoes
            for k in range(len(tornadoes)):
                worker.submit(draw_tornadoes, sensitivity, (k,))
        with steps.step("Saving the draws (forecast.nc)"):
            t = time.perf_counter()
            write_netcdf(fc.data, folder / "forecast.nc")  # compressed, like Forecast.to_netcdf
            timings["netcdf"] = time.perf_counter() - t
        versions = package_versions()
        command = opts.command or opts.command_line()
        with steps.step("Drawing figures and writing the report"):
            t = time.perf_counter()
            write_report(
                fc,
                folder,
                provenance={"command": command, "versions": versions, "timings": dict(timings)},
                sensitivity=sensitivity,
                warnings=warnings,
                figures=True if worker is None else PendingFigures(infos, worker.results),
                whatif=whatif,
            )
            timings["report"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t_start
        manifest = {
            "forecast_version": versions.get("forecast"),
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": command,
            "argv": list(sys.argv),
            "scenario": {
                "id": scenario.id,
                "title": scenario.title,
                "file": scenario.origin,
                "sha256": scenario.sha256(),
                "overrides": {k: jsonable(v) for k, v in parse_sets(opts.sets).items()},
                "whatif": None
                if whatif is None
                else [{"key": c.key, "was": c.was, "now": c.now, "how": c.how} for c in whatif],
            },
            "seed": fc.seed,
            "draws": fc.n_draws,
            "draws_requested": draws,
            "draws_note": fc.data.attrs.get("draws_note", ""),
            "method": "nuts" if fc.conditioned else "forward",
            "prior_only": opts.prior_only,
            "versions": versions,
            "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
            "cpu_seconds": {k: round(v, 4) for k, v in cpu.items()},
            "diagnostic_warnings": warnings,
            "files": file_hashes(folder),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return fc, warnings


def _print_summary(fc: Forecast, out: Path, whatif: Sequence[Change] | None = None) -> None:
    """Headline numbers as rich tables on stdout: markets, outcomes, predictions, and
    what each signpost would change; a what-if and illustrative data say so first."""
    from rich.table import Table

    from forecast.analysis.implied import signpost_effects
    from forecast.analysis.sensitivity import revenue_label
    from forecast.outputs.briefing import illustrative_inputs, illustrative_text, signpost_lines
    from forecast.outputs.formatting import deadline_words, interval, key_year, mc_error, pct, sig

    out_console = console()
    s = fc.scenario
    if whatif is not None:
        out_console.print(f"What-if: {s.title} — not the scenario as written", soft_wrap=True, markup=False)
        for c in whatif:
            how = f" ({c.how})" if c.how else ""
            out_console.print(f"  {c.key}: {c.was} → {c.now}{how}", soft_wrap=True, markup=False)
    flag = illustrative_text(illustrative_inputs(s))
    if flag:
        out_console.print(flag, soft_wrap=True, markup=False, style="bold")
    year = key_year(s)
    markets = fc.markets()
    t = Table(title=f"Market size in {year} (median and 90% interval)", title_justify="left")
    for col, kw in (
        ("Market", {}),
        ("Median", {"justify": "right"}),
        ("90% interval", {"justify": "right"}),
        ("Unit", {}),
    ):
        t.add_column(col, **kw)  # type: ignore[arg-type]
    names = [(m.id, m.label, m.unit) for m in s.markets]
    if (markets["market"] == "total").any():
        names.append(("total", "Total", s.markets[0].unit))
    names += [(f"revenue.{p.id}", revenue_label(p.label), s.market(p.market).unit) for p in s.positions]
    for key, label, unit in names:
        r = markets[(markets["market"] == key) & (markets["year"] == year)].iloc[0]
        t.add_row(label, sig(r.q50), interval(r.q05, r.q95), unit, style="bold" if key == "total" else None)
    out_console.print(t)
    outcomes = fc.outcomes()
    if len(outcomes):
        t = Table(title="Outcomes", title_justify="left")
        for col in ("Outcome", "Stated", "Updated" if fc.conditioned else "Simulated", "90% interval"):
            t.add_column(col, justify="left" if col == "Outcome" else "right")
        for o in outcomes.itertuples():
            t.add_row(str(o.label), pct(o.stated), pct(o.probability), interval(o.q05, o.q95, pct))
        out_console.print(t)
    preds = fc.predictions()
    if len(preds):
        t = Table(title="Predictions", title_justify="left")
        for col in ("Prediction", "Deadline", "Probability", "MCSE"):
            t.add_column(col, justify="left" if col in ("Prediction", "Deadline") else "right")
        judged = {p.id: p.judged for p in s.predictions}
        for p in preds.itertuples():
            # "on" a date for a figure judged at its deadline, "by" it otherwise (as the report)
            when = deadline_words(judged[str(p.id)], p.deadline)
            # a probability every draw agreed on has the rule-of-three bound, as in the report
            t.add_row(str(p.statement), when, pct(p.probability), mc_error(p.probability, p.mcse, sign=False))
        out_console.print(t)
    for line in signpost_lines(s, signpost_effects(fc)):
        out_console.print(line, soft_wrap=True, markup=False)
    out_console.print(f"Report: {out / 'report.html'}", soft_wrap=True)
