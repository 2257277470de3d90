"""``forecast pool``: several analysts' files on one subject as one forecast.

Every file, the weights, the method and the resolutions are checked before anything is
simulated; a problem is reported with the others (exit 2, nothing written). The folder
is written atomically like ``forecast run``'s (see :mod:`forecast.outputs.staging`),
under the same ``--out`` rules: it replaces only a folder this tool wrote, and never
holds an input file.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.analysis.pool import Pool
    from forecast.scenario import Scenario


@dataclass
class PoolOptions:
    """What ``forecast pool`` was asked to do (see :func:`pool`)."""

    files: Sequence[Path]
    weights: str = "equal"
    method: str = "linear"
    extremize: float = 1.0
    resolutions: Path | None = None
    out: Path | None = None
    draws: int | None = None
    seed: int | None = None
    quiet: bool = False
    command: str = ""


def check(opts: PoolOptions) -> tuple[list[Scenario], list[str]]:
    """The analysts' scenarios and names; raises :class:`ScenarioError` with every problem
    of the files, the weights, the method and the resolutions."""
    import forecast
    from forecast.analysis import resolutions as res
    from forecast.analysis.pool import method_problems, pool_names
    from forecast.analysis.pool_weights import parse_weights, subject_problems

    over: dict[str, Any] = {}
    if opts.draws is not None:
        over["simulation.draws"] = opts.draws
    if opts.seed is not None:
        over["simulation.seed"] = opts.seed
    problems: list[Problem] = []
    if len(opts.files) < 2:
        problems.append(Problem("pool", "", "needs two or more scenario files (one per analyst)"))
    names = pool_names(opts.files)
    scenarios = []
    for path in opts.files:
        try:
            scenarios.append(forecast.load(path, overrides=over or None))
        except ScenarioError as e:
            problems += [p for p in e.problems if p not in problems]
    if not problems:
        problems += subject_problems(scenarios, names)
    problems += parse_weights(opts.weights, names)[1]
    problems += method_problems(opts.method, opts.extremize)
    if opts.weights.strip() == "score" and opts.resolutions is None:
        problems.append(Problem("--weights", "score", "needs --resolutions FILE (what happened)"))
    if opts.resolutions is not None and not problems:
        try:
            res.check_against(res.read(opts.resolutions), scenarios)
        except ScenarioError as e:
            problems += e.problems
    if problems:
        raise ScenarioError(problems)
    return scenarios, names


def pool(opts: PoolOptions) -> int:
    """Run ``forecast pool``: exit 0 ok, 2 bad input (nothing written), 130/143 interrupted.

    Examples
    --------
    >>> pool(PoolOptions([Path("a.toml"), Path("b.toml")], quiet=True))  # doctest: +SKIP
    0
    """
    from forecast.commands.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, write_staged
    from forecast.scenario.reading import input_files

    t0 = time.perf_counter()
    try:
        scenarios, names = check(opts)
    except ScenarioError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    out = opts.out if opts.out is not None else Path("reports") / f"pool-{scenarios[0].id}"
    inputs = [f for path in opts.files for f in input_files(path)]
    if opts.resolutions is not None:
        inputs.append(Path(opts.resolutions))
    try:
        status, done, pending = write_staged(
            out,
            "pool",
            opts.quiet,
            lambda folder, steps: _work(opts, scenarios, names, folder, steps, t0),
            inputs,
        )
    except ScenarioError as e:  # --weights score: an analyst with no record (nothing written)
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    if done is None:
        return status
    if not opts.quiet:
        _print_summary(done, out)
    if pending:
        print(f"forecast: interrupted after the pool was complete ({out})", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _work(
    opts: PoolOptions, scenarios: list[Scenario], names: list[str], folder: Path, steps: Any, t0: float
) -> Pool:
    import forecast
    from forecast.analysis.pool import pool as make_pool
    from forecast.outputs.formatting import package_versions
    from forecast.outputs.staging import file_hashes

    fcs, timings = [], {}
    for name, s in zip(names, scenarios, strict=True):
        with steps.step(f"Simulating {name} ({s.simulation.draws:,} draws)"):
            t = time.perf_counter()
            fcs.append(forecast.simulate(s))
            timings[f"simulate.{name}"] = time.perf_counter() - t
    command = opts.command or command_line(opts)
    with steps.step("Pooling and writing the report"):
        t = time.perf_counter()
        p = make_pool(
            fcs,
            weights=opts.weights,
            method=opts.method,  # type: ignore[arg-type]
            extremize=opts.extremize,
            resolutions=opts.resolutions,
            names=names,
        )
        p.write_report(folder, provenance={"command": command})
        timings["pool_and_report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    versions = package_versions()
    manifest = {
        "forecast_version": versions.get("forecast"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "argv": list(sys.argv),
        "kind": "pool",
        "method": p.method,
        "extremize": p.extremize,
        "weights": p.weight_source,
        "resolutions": str(opts.resolutions) if opts.resolutions is not None else None,
        "analysts": [
            {
                "name": n,
                "id": fc.scenario.id,
                "file": fc.scenario.origin,
                "sha256": fc.scenario.sha256(),
                "weight": float(w),
                "seed": fc.seed,
                "draws": fc.n_draws,
                "method": "nuts" if fc.conditioned else "forward",
            }
            for n, fc, w in zip(names, fcs, p.weights, strict=True)
        ],
        "versions": versions,
        "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
        "files": file_hashes(folder),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return p


def command_line(opts: PoolOptions) -> str:
    """The ``forecast pool`` command these options stand for.

    Examples
    --------
    >>> command_line(PoolOptions([Path("a.toml"), Path("b.toml")], method="log", extremize=1.5))
    'forecast pool a.toml b.toml --method log --extremize 1.5'
    """
    import shlex

    parts = ["forecast", "pool", *map(str, opts.files)]
    if opts.weights != "equal":
        parts += ["--weights", opts.weights]
    if opts.method != "linear":
        parts += ["--method", opts.method]
    if opts.extremize != 1:
        parts += ["--extremize", f"{opts.extremize:g}"]
    if opts.resolutions is not None:
        parts += ["--resolutions", str(opts.resolutions)]
    if opts.out is not None:
        parts += ["--out", str(opts.out)]
    if opts.draws is not None:
        parts += ["--draws", str(opts.draws)]
    if opts.seed is not None:
        parts += ["--seed", str(opts.seed)]
    if opts.quiet:
        parts.append("--quiet")
    return shlex.join(parts)


def _print_summary(p: Pool, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from forecast.analysis.pool_tables import disagreement
    from forecast.outputs.formatting import pct

    console = Console(highlight=False)
    dis = disagreement(p)
    t = Table(title=f"Pooled probabilities ({p.method} pool)", title_justify="left")
    t.add_column("")
    for n, w in zip(p.names, p.weights, strict=True):
        t.add_column(f"{n} ({w:.0%})", justify="right")
    t.add_column("pool", justify="right")
    for (_, ident), sub in dis.groupby(["kind", "id"], sort=False):
        by = dict(zip(sub["analyst"], sub["probability"], strict=True))
        t.add_row(str(ident), *[pct(by[n]) if n in by else "–" for n in p.names], pct(sub["pool"].iloc[0]))
    console.print(t)
    console.print(f"Pool: {out / 'report.html'}  (also report.md, report.xlsx, CSV tables, forecast.nc)")


def add_parser(subparsers: Any) -> None:
    """Register ``forecast pool`` (called by :func:`forecast.cli.build_parser`)."""
    p = subparsers.add_parser(
        "pool",
        help="pool several analysts' files on one subject into one forecast, with their disagreement",
        description=(
            "Simulate each analyst's file and pool them: a linear pool (the weighted mixture of their "
            "draws, every quantity) or, with --method log, a logarithmic pool of outcome and prediction "
            "probabilities (normalised weighted geometric mean of the odds, optionally extremized); "
            "markets stay a linear pool. Weights are equal, given by name (summing to 1), or earned by "
            "the track record (--weights score --resolutions FILE: inverse mean Brier score). The folder "
            "(report.html/md/xlsx, markets/outcomes/predictions/analysts/disagreement CSVs, forecast.nc "
            "with an analyst dimension, figures/, manifest.json) appears complete or not at all."
        ),
        epilog="Exit codes: 0 ok, 2 bad input (nothing written), 130 interrupted.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="one scenario .toml file per analyst")
    p.add_argument(
        "--weights",
        default="equal",
        metavar="equal|score|NAME=W,...",
        help="equal (default); score (from --resolutions); or each analyst (file stem) with a weight, "
        "summing to 1, e.g. analyst-a=0.5,analyst-b=0.3,analyst-c=0.2",
    )
    p.add_argument(
        "--method", default="linear", choices=["linear", "log"], help="pooling method (default: linear)"
    )
    p.add_argument(
        "--extremize",
        type=float,
        default=1.0,
        metavar="D",
        help="log pool: odds to the power D (default 1: none)",
    )
    p.add_argument("--resolutions", type=Path, metavar="FILE", help="what happened (as for forecast score)")
    p.add_argument("--out", type=Path, metavar="DIR", help="report folder (default: reports/pool-<id>/)")
    p.add_argument("--draws", type=int, metavar="N", help="draws for every analyst (default: each file's)")
    p.add_argument(
        "--seed", type=int, metavar="N", help="random seed for every analyst (default: each file's)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress and no summary; errors only")
    p.set_defaults(func=run_from_args)


def run_from_args(args: Any) -> int:
    """``forecast pool`` from parsed arguments."""
    opts = PoolOptions(
        files=args.files,
        weights=args.weights,
        method=args.method,
        extremize=args.extremize,
        resolutions=args.resolutions,
        out=args.out,
        draws=args.draws,
        seed=args.seed,
        quiet=args.quiet,
    )
    return pool(opts)
