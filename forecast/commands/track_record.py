"""``forecast history`` and ``forecast score``: a scenario's track record.

Both read versions of one scenario (scenario files, simulated as ``forecast run``
would, or report folders that ``forecast run`` wrote) and write a folder
atomically, like ``forecast run``: every input problem (files, resolutions, mixed
scenarios) is reported before any work, exit 2 and nothing written.

Examples
--------
>>> history(TrackOptions([Path("scenarios/deepseek.toml")], quiet=True))  # doctest: +SKIP
0
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.commands.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, write_staged
from forecast.errors import ScenarioError


@dataclass
class TrackOptions:
    """What ``forecast history`` / ``forecast score`` was asked to do."""

    sources: Sequence[Path]
    resolutions: Path | None = None
    out: Path | None = None
    baseline: str = "uniform"
    quiet: bool = False
    command: str = ""


def command_line(name: str, opts: TrackOptions) -> str:
    """The command these options stand for.

    Examples
    --------
    >>> command_line("score", TrackOptions([Path("a.toml")], resolutions=Path("r.toml")))
    'forecast score a.toml --resolutions r.toml'
    """
    parts = ["forecast", name, *map(str, opts.sources)]
    if opts.resolutions is not None:
        parts += ["--resolutions", str(opts.resolutions)]
    if opts.out is not None:
        parts += ["--out", str(opts.out)]
    if name == "score" and opts.baseline != "uniform":
        parts += ["--baseline", opts.baseline]
    if opts.quiet:
        parts.append("--quiet")
    return shlex.join(parts)


def _problems(e: ScenarioError) -> int:
    for p in e.problems:
        print(p, file=sys.stderr)
    return EXIT_BAD_INPUT


def _manifest(folder: Path, kind: str, command: str, versions: list[Any], extra: dict[str, Any]) -> None:
    from forecast.outputs.formatting import package_versions
    from forecast.outputs.staging import file_hashes

    pv = package_versions()
    manifest = {
        "forecast_version": pv.get("forecast"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "argv": list(sys.argv),
        "kind": kind,
        "scenario_id": versions[0].scenario.id,
        "versions": [
            {
                "name": v.name,
                "as_of": v.as_of.isoformat(),
                "source": str(v.source),
                "kind": v.kind,
                "sha256": v.scenario.sha256(),
            }
            for v in versions
        ],
        **extra,
        "versions_of_packages": pv,
        "files": file_hashes(folder),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _simulate(versions: list[Any], steps: Any) -> list[str]:
    """Simulate the versions given as files; their inference warnings, by version."""
    warnings: list[str] = []
    for v in versions:
        if v.kind != "file":
            continue
        s = v.scenario
        what = "sampling the posterior (NUTS)" if s.has_evidence else "simulating"
        with steps.step(
            f"{v.name}: {what}, {s.simulation.draws:,} draws — compiles the model on a first run"
        ):
            v.table("outcomes")
        warnings += [f"{v.name}: {w}" for w in v.forecast.warnings]
    return warnings


def _done(pending: list[int], out: Path, warnings: list[str]) -> int:
    for w in warnings:
        print(f"forecast: inference diagnostics missed their thresholds: {w}", file=sys.stderr)
    if pending:
        print(f"forecast: interrupted after the folder was complete ({out})", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def history(opts: TrackOptions) -> int:
    """Run ``forecast history``: 0 ok, 2 bad input (nothing written), 130/143 interrupted."""
    from forecast.analysis import resolutions as res
    from forecast.analysis.history import History

    try:
        h = History.load(opts.sources)
        rs = (
            res.check_against(res.read(opts.resolutions), [v.scenario for v in h.versions])
            if opts.resolutions is not None
            else []
        )
    except ScenarioError as e:
        return _problems(e)
    out = opts.out if opts.out is not None else Path("reports") / f"history-{h.scenario_id}"
    command = opts.command or command_line("history", opts)
    warnings: list[str] = []

    def work(folder: Path, steps: Any) -> History:
        from forecast.outputs.history_report import write_history_report

        warnings.extend(_simulate(h.versions, steps))
        with steps.step("Writing the history"):
            write_history_report(
                h, folder, resolutions=rs, provenance={"command": command}, warnings=warnings
            )
        _manifest(folder, "history", command, h.versions, {})
        return h

    status, done, pending = write_staged(out, "history", opts.quiet, work)
    if done is None:
        return status
    if not opts.quiet:
        _print_history(done, out)
    return _done(pending, out, warnings)


def score(opts: TrackOptions) -> int:
    """Run ``forecast score``: 0 ok, 2 bad input (nothing written), 130/143 interrupted."""
    from forecast.analysis.scorecard import Scorecard

    if opts.resolutions is None:
        print("forecast score: --resolutions FILE is required", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        card = Scorecard.load(opts.sources, opts.resolutions, baseline=opts.baseline)  # type: ignore[arg-type]
    except ScenarioError as e:
        return _problems(e)
    out = opts.out if opts.out is not None else Path("reports") / f"scores-{card.versions[0].scenario.id}"
    command = opts.command or command_line("score", opts)
    warnings: list[str] = []

    def work(folder: Path, steps: Any) -> Scorecard:
        from forecast.outputs.score_report import write_score_report

        warnings.extend(_simulate(card.versions, steps))
        with steps.step("Scoring and writing the report"):
            write_score_report(card, folder, provenance={"command": command}, warnings=warnings)
        _manifest(
            folder,
            "scores",
            command,
            card.versions,
            {"resolutions": str(opts.resolutions), "baseline": opts.baseline},
        )
        return card

    status, done, pending = write_staged(out, "scores", opts.quiet, work)
    if done is None:
        return status
    for w in done.unit_warnings():  # scored as given; the note in quantity_scores.csv says so
        print(f"warning: {w}", file=sys.stderr)
    if not opts.quiet:
        _print_scores(done, out)
    return _done(pending, out, warnings)


def _print_history(h: Any, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from forecast.outputs.formatting import pct

    t = h.table()
    versions = list(dict.fromkeys(t["version"]))
    table = Table(title="Probability by version", title_justify="left")
    # long statements and ids wrap (a word longer than the column folds), never cut
    table.add_column("Statement", overflow="fold")
    for v in versions:
        table.add_column(v, justify="right", overflow="fold")
    for (_, _), d in t.groupby(["kind", "id"], sort=False):
        by = dict(zip(d["version"], d["probability"], strict=True))
        table.add_row(str(d["label"].iloc[0]), *[pct(by[v]) if v in by else "–" for v in versions])
    console = Console(highlight=False)
    console.print(table)
    console.print(f"History: {out / 'report.html'}  (also history.csv, changes.csv)", soft_wrap=True)


def _print_scores(card: Any, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from forecast.outputs.formatting import pct, sig

    console = Console(highlight=False)
    b = card.binary()
    if len(b):
        t = Table(title="Predictions and outcomes (lower is better)", title_justify="left")
        for c in ("Statement", "Version", "P", "Happened", "Brier", "Baseline"):
            t.add_column(c, justify="right" if c in ("P", "Brier", "Baseline") else "left", overflow="fold")
        for r in b.itertuples():
            t.add_row(
                str(r.statement),
                str(r.version),
                pct(r.probability),
                str(r.outcome).lower(),
                sig(r.brier),
                sig(r.baseline_brier),
            )
        console.print(t)
    q = card.quantities()
    if len(q):
        t = Table(title="Observed quantities", title_justify="left")
        for c in ("Quantity", "Version", "Observed", "Median", "CRPS", "PIT"):
            t.add_column(c, justify="left" if c in ("Quantity", "Version") else "right", overflow="fold")
        for r in q.itertuples():
            t.add_row(
                str(r.statement), str(r.version), sig(r.observed), sig(r.median), sig(r.crps), sig(r.pit, 2)
            )
        console.print(t)
    console.print(f"Scores: {out / 'report.html'}", soft_wrap=True)
