"""The ``forecast`` command line.

Exit codes follow the design contract: 0 ok, 2 bad input or usage, 1 unexpected
failure. Every subcommand is one ``cmd_<name>(args) -> int`` function plus one
``_add_<name>(subparsers)`` function that registers it in :func:`build_parser`;
add a command by writing both and listing the second in ``_COMMANDS``.

Heavy libraries (PyMC, ArviZ, matplotlib, even the scenario layer) are imported
inside the commands that need them, so ``forecast --help`` stays fast.

The module is longer than 600 lines because it holds every subcommand's arguments and
help text, one short pair of functions each; the work itself is in
:mod:`forecast.commands`.

Examples
--------
>>> main(["validate", str(__import__("forecast").bundled("deepseek"))])  # doctest: +ELLIPSIS
ok: .../deepseek.toml
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILURE = 1  # a bug or an environment problem, not the user's input
EXIT_BAD_INPUT = 2  # the same code argparse uses for usage errors

DEBUG_ENV = "FORECAST_DEBUG"
#: "1" draws the report's figures in a second process, "0" in the main one; unset: when a
#: core is free (see forecast.commands.figure_worker.figure_worker_wanted)
FIGURE_WORKER_ENV = "FORECAST_FIGURE_WORKER"

type Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


# --- validate -------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario files and report every problem of every file.

    Prints ``ok: <path>`` on stdout for each valid file, followed by a
    ``note: path: key.path: ...`` line for each input treated as exactly known while
    others are uncertain, and one ``path: key.path: what is wrong (got X)`` line on
    stderr for each problem.

    Returns
    -------
    int
        0 when every file is valid, 2 when any is not.

    Examples
    --------
    >>> import forecast
    >>> ns = argparse.Namespace(scenarios=[forecast.bundled("deepseek")], sets=[])
    >>> cmd_validate(ns)  # doctest: +ELLIPSIS
    ok: .../deepseek.toml
    0
    """
    from forecast.commands.common import _parse_sets
    from forecast.errors import ScenarioError
    from forecast.scenario import defaulted_inputs, exact_inputs, load, markets_exact, unit_warnings

    overrides, problems = _parse_sets(getattr(args, "sets", []))
    for problem in problems:
        print(problem, file=sys.stderr)
    status = EXIT_BAD_INPUT if problems else EXIT_OK
    for path in args.scenarios:
        try:
            scenario = load(path, overrides=overrides or None)
        except ScenarioError as e:
            status = EXIT_BAD_INPUT
            for problem in e.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"ok: {path}")
            for change in _what_ifs(path, overrides, scenario):
                print(f"note: {path}: {change.key}: {change.how}: {change.was} -> {change.now}")
            for key, message in exact_inputs(scenario) + defaulted_inputs(scenario):
                print(f"note: {path}: {key}: {message}")
            for key, message in unit_warnings(scenario):
                print(f"warning: {path}: {key}: {message}")
            if markets_exact(scenario):
                print(
                    f"note: {path}: every market and share input is a point: the markets have no uncertainty"
                )
    return status


def _what_ifs(path: Any, overrides: dict[str, Any], scenario: Any) -> list[Any]:
    """What each ``--set`` did (centre moved, made a point...), when the file alone validates."""
    from forecast.errors import ScenarioError
    from forecast.outputs.whatif import changes
    from forecast.scenario import load

    if not overrides:
        return []
    try:
        return changes(load(path), scenario, overrides)
    except ScenarioError:
        return []


def _add_validate(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check scenario files, reporting every problem at once",
        description=(
            "Check scenario files: syntax, types, ranges, references between ids, "
            "size/projection/CAGR agreement and `extends` parents. Every problem of "
            "every file is printed as 'path: key.path: what is wrong (got X)'. "
            "With --set, each file is checked with the overrides applied, as run, compare "
            "and sweep would apply them. Exit 0 if all files are valid, 2 otherwise."
        ),
    )
    p.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO", help="scenario .toml file")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="check with this override applied, as in run (repeatable; VALUE is TOML, else text)",
    )
    p.set_defaults(func=cmd_validate)


# --- schema ---------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the scenario file (for editors) on stdout.

    Examples
    --------
    >>> import contextlib, io, json
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     status = cmd_schema(argparse.Namespace())
    >>> status
    0
    >>> "markets" in json.loads(buf.getvalue())["properties"]
    True
    """
    import json

    from forecast.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def _add_schema(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the scenario file",
        description=(
            "Print the JSON Schema of the scenario file format, e.g. for editor completion "
            "and checking (taplo, Even Better TOML): forecast schema > scenario.schema.json"
        ),
    )
    p.set_defaults(func=cmd_schema)


# --- run ------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    """Simulate a scenario and write its report folder (see :mod:`forecast.commands.run`).

    Returns
    -------
    int
        0 ok, 2 bad input (nothing written), 3 ``--strict`` and the inference
        diagnostics missed their thresholds, 130 interrupted (nothing written).

    Examples
    --------
    >>> cmd_run(build_parser().parse_args(["run", "--set", "nope=1", "--quiet"]))  # stderr: the problem
    2
    """
    from forecast.commands.figure_worker import figure_worker_wanted
    from forecast.commands.run import RunOptions, run

    # the report's Sensitivity section: headline targets plus any --sensitivity ones
    targets = list(getattr(args, "sensitivity", None) or [])
    extra = [a for t in targets for a in ("--sensitivity", t)]
    hook = None
    if getattr(args, "no_sensitivity", False):
        extra = ["--no-sensitivity"]
    else:
        if targets and (status := _check_targets(args, targets)) is not None:
            return status

        def hook(fc: Any) -> Any:
            from forecast.analysis.tornado import report_frames

            return report_frames(fc, targets)

    opts = RunOptions(
        scenario=args.scenario,
        out=args.out,
        draws=args.draws,
        seed=args.seed,
        sets=args.set,
        prior_only=args.prior_only,
        quiet=args.quiet,
        strict=args.strict,
        sensitivity=hook,
        extra_args=extra,
        figure_worker=figure_worker_wanted(os.environ.get(FIGURE_WORKER_ENV, "")),
    )
    return run(opts)


def _check_targets(args: argparse.Namespace, targets: list[str]) -> int | None:
    """Exit 2 before any work when a ``--sensitivity`` target names nothing in the
    scenario; ``None`` when they are fine (or the scenario itself is bad, which
    ``run`` reports with every other problem)."""
    import forecast
    from forecast.analysis.tornado import report_targets
    from forecast.commands.common import _parse_sets
    from forecast.errors import ScenarioError

    overrides, problems = _parse_sets(args.set)
    if problems:
        return None
    try:
        scenario = forecast.load(args.scenario or forecast.bundled("deepseek"), overrides=overrides or None)
    except (ScenarioError, OSError):
        return None
    try:
        report_targets(scenario, targets)
    except ScenarioError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    return None


def _add_run(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "run",
        help="simulate a scenario and write its report",
        description=(
            "Simulate a scenario and write a report folder: report.html (self-contained), "
            "report.md, markets.csv, outcomes.csv, predictions.csv, figures/, forecast.nc, "
            "scenario.toml (the resolved inputs) and manifest.json. The folder appears "
            "complete or not at all. Without SCENARIO, runs the bundled DeepSeek scenario."
        ),
        epilog="Exit codes: 0 ok, 2 bad input (nothing written), 3 --strict and diagnostics failed, 130 interrupted.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        metavar="SCENARIO",
        help="scenario .toml file (default: bundled deepseek)",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="report folder (default: reports/<scenario id>/)")
    p.add_argument(
        "--draws", type=int, metavar="N", help="number of draws (default: simulation.draws of the file)"
    )
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: simulation.seed of the file)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an input by its dotted key, e.g. markets.developer_tools.cagr=0.3 "
        "or 'markets.developer_tools.cagr={ low = 0.25, high = 0.4 }' (repeatable; VALUE is TOML, else text)",
    )
    p.add_argument(
        "--prior-only", action="store_true", help="ignore evidence and observed signposts (no NUTS)"
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress and no summary; errors and warnings only"
    )
    p.add_argument(
        "--strict", action="store_true", help="exit 3 when inference diagnostics miss their thresholds"
    )
    sens = p.add_mutually_exclusive_group()
    sens.add_argument(
        "--sensitivity",
        action="append",
        default=[],
        metavar="TARGET",
        help="also explain TARGET in the Sensitivity section (repeatable): market.<id>@<year>, "
        "total@<year>, share.<position>@<year>, revenue.<position>@<year>, outcome.<id>, prediction.<id>; "
        "the headline total, first revenue and first outcome are always there",
    )
    sens.add_argument(
        "--no-sensitivity",
        action="store_true",
        help="leave out the Sensitivity section (a few seconds faster)",
    )
    p.set_defaults(func=cmd_run)


# --- compare --------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    """Simulate several scenarios (or one and its ``--set`` what-if) and write one
    side-by-side report (see :mod:`forecast.commands.compare`).

    Returns
    -------
    int
        0 ok, 2 bad input (nothing written), 130 interrupted (nothing written).

    Examples
    --------
    >>> cmd_compare(build_parser().parse_args(["compare", "a.toml", "--quiet"]))  # stderr: the problem
    2
    """
    from forecast.commands.compare import CompareOptions, compare

    opts = CompareOptions(
        scenarios=args.scenarios,
        out=args.out,
        sets=args.set,
        draws=args.draws,
        seed=args.seed,
        quiet=args.quiet,
        workers=args.workers,
        scheduler=args.scheduler,
        targets=args.target,
    )
    return compare(opts)


def _add_compare(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "compare",
        help="compare scenarios side by side (or one file with its --set what-if)",
        description=(
            "Simulate each scenario as 'forecast run' would and write one report with them side by "
            "side: market medians and intervals by year, outcome and prediction probabilities, the "
            "differences from the first scenario, and overlaid fan charts. One file with --set "
            "compares the file with its overridden self; with several files --set applies to each. "
            "The folder (report.html, report.md, markets/outcomes/predictions/differences.csv, "
            "figures/, scenarios/, manifest.json) appears complete or not at all. The scenarios run "
            "here one after the other, or side by side on a Dask cluster (--workers, --scheduler) "
            "with the same numbers."
        ),
        epilog="Exit codes: 0 ok, 2 bad input (nothing written), 130 interrupted.",
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        type=Path,
        metavar="SCENARIO",
        help="scenario .toml file; the first is the base",
    )
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="report folder (default: reports/compare-<names>/)"
    )
    p.add_argument(
        "--draws", type=int, metavar="N", help="number of draws for every scenario (default: each file's)"
    )
    p.add_argument(
        "--seed", type=int, metavar="N", help="random seed for every scenario (default: each file's)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an input by its dotted key, e.g. markets.developer_tools.cagr=0.30 (repeatable)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="TARGET",
        help="a key number to tabulate in every scenario with its difference and error, e.g. "
        "metric.devtools_npv, metric.<id>@2027, total@2027, outcome.<id> (repeatable)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="use a running Dask cluster, e.g. tcp://host:8786 (same results as a local run)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of a local Dask cluster, started only once the scenarios left "
        "would take over 10 s here (default: none, the scenarios run in this process; 0 runs "
        "them in this process)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress and no summary; errors only")
    p.set_defaults(func=cmd_compare)


# --- history and score (the track record) ------------------------------------


def cmd_history(args: argparse.Namespace) -> int:
    """How a scenario's odds moved across its versions (see :mod:`forecast.commands.track_record`).

    Examples
    --------
    >>> cmd_history(build_parser().parse_args(["history", "no-such.toml", "--quiet"]))  # stderr: the problem
    2
    """
    from forecast.commands.track_record import TrackOptions, history

    return history(TrackOptions(args.versions, resolutions=args.resolutions, out=args.out, quiet=args.quiet))


def cmd_score(args: argparse.Namespace) -> int:
    """Score a scenario's versions against what happened (see :mod:`forecast.commands.track_record`).

    Examples
    --------
    >>> cmd_score(build_parser().parse_args(["score", "no-such.toml", "--quiet"]))  # stderr: the problem
    2
    """
    from forecast.commands.track_record import TrackOptions, score

    opts = TrackOptions(
        args.versions, resolutions=args.resolutions, out=args.out, baseline=args.baseline, quiet=args.quiet
    )
    return score(opts)


def _add_track_record(subparsers: Subparsers) -> None:
    versions_help = (
        "a version of the scenario: a scenario file (simulated with its own draws and seed) or a "
        "report folder written by 'forecast run'; versions must share the scenario id"
    )
    p = subparsers.add_parser(
        "history",
        help="how a scenario's odds moved across its dated versions",
        description=(
            "Put the versions of one scenario in as_of order and write a folder with history.csv "
            "(every outcome and prediction probability per version, with its uncertainty and its "
            "change), changes.csv (inputs, evidence and signposts that changed between versions), "
            "figures/history.png, report.html, report.md and manifest.json, atomically."
        ),
        epilog="Exit codes: 0 ok, 2 bad input (nothing written), 130 interrupted.",
    )
    p.add_argument("versions", nargs="+", type=Path, metavar="FILE_OR_REPORT", help=versions_help)
    p.add_argument(
        "--resolutions", type=Path, metavar="FILE", help="mark resolved statements on the chart (TOML or CSV)"
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="folder (default: reports/history-<scenario id>/)")
    p.add_argument("--quiet", action="store_true", help="no progress and no summary; errors only")
    p.set_defaults(func=cmd_history)
    p = subparsers.add_parser(
        "score",
        help="score a scenario's versions against what happened",
        description=(
            "Score every version made before each resolved statement: Brier and log scores for "
            "predictions and outcomes against a baseline, CRPS, PIT and log score for observed "
            "quantities, time-averaged scores, and calibration (CORP reliability diagram and "
            "decomposition). Writes CSV tables, figures, report.html, report.md and manifest.json, "
            "atomically."
        ),
        epilog="Exit codes: 0 ok, 2 bad input (nothing written), 130 interrupted.",
    )
    p.add_argument("versions", nargs="+", type=Path, metavar="FILE_OR_REPORT", help=versions_help)
    p.add_argument(
        "--resolutions", type=Path, metavar="FILE", help="what happened: a TOML or CSV resolutions file"
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="folder (default: reports/scores-<scenario id>/)")
    p.add_argument(
        "--baseline",
        choices=("uniform", "previous"),
        default="uniform",
        help="what the scores are compared with: uniform (50%% for a prediction, 1/K for one of K "
        "outcomes; the default) or previous (the version before)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress and no summary; errors only")
    p.set_defaults(func=cmd_score)


# --- serve ----------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the what-if page of a scenario until Ctrl-C (see :mod:`forecast.commands.serve`).

    Returns
    -------
    int
        0 stopped with Ctrl-C, 2 bad scenario or a port in use.

    Examples
    --------
    >>> cmd_serve(build_parser().parse_args(["serve", "no-such-file.toml"]))  # stderr: the problem
    2
    """
    from forecast.commands.serve import serve

    files = list(args.scenario)
    pooled = (args.weights, args.method, args.extremize, args.resolutions) != ("equal", "linear", 1.0, None)
    if len(files) > 1 or pooled:
        from forecast.commands.pool import PoolOptions
        from forecast.commands.serve.pool_page import serve_pool

        opts = PoolOptions(files, args.weights, args.method, args.extremize, args.resolutions)
        return serve_pool(opts, host=args.host, port=args.port)
    return serve(files[0] if files else None, host=args.host, port=args.port, max_draws=args.max_draws)


def _add_serve(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="a what-if page in the browser: move inputs, watch the forecast follow",
        description=(
            "Serve a local web page with the scenario's headline numbers and a field for every "
            "input a strategist would move; a changed field re-simulates. 'Save as scenario' writes "
            "a child file that extends SCENARIO; 'Report' writes the full report of the page's state. "
            "Without SCENARIO, serves the bundled DeepSeek scenario. Several files (analysts' "
            "files on one subject, as for 'forecast pool') serve their pool: the analysts, the pooled "
            "odds and where they disagree, without what-if fields. Ctrl-C stops it."
        ),
        epilog="Exit codes: 0 stopped, 2 bad scenario, files of different subjects or port in use.",
    )
    p.add_argument(
        "scenario",
        nargs="*",
        type=Path,
        metavar="SCENARIO",
        help="scenario .toml file (default: bundled deepseek); two or more: serve their pool",
    )
    pool = p.add_argument_group("a pool of several files (as forecast pool)")
    pool.add_argument(
        "--weights",
        default="equal",
        metavar="W",
        help="equal (default), score (needs --resolutions) or name=w,... summing to 1",
    )
    pool.add_argument(
        "--method", default="linear", choices=["linear", "log"], help="pooling method (default: linear)"
    )
    pool.add_argument(
        "--extremize", type=float, default=1.0, metavar="D", help="log pool: odds to the power D"
    )
    pool.add_argument("--resolutions", type=Path, metavar="FILE", help="what happened, for --weights score")
    p.add_argument(
        "--port", type=int, default=8765, metavar="N", help="port (default 8765; 0 picks a free one)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="H",
        help="address to listen on (default 127.0.0.1, this machine only)",
    )
    p.add_argument(
        "--max-draws",
        type=int,
        default=200_000,
        metavar="N",
        help="most draws a visitor may ask for (default 200,000: the page answers in seconds)",
    )
    p.set_defaults(func=cmd_serve)


# --- sweep ----------------------------------------------------------------------


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run many cases (a grid of ``--set`` values, several files) on Dask or here
    (see :mod:`forecast.commands.sweep`).

    Returns
    -------
    int
        0 ok, 2 bad input (nothing written) or invalid cases, 1 failed cases, 130 interrupted.

    Examples
    --------
    >>> cmd_sweep(build_parser().parse_args(["sweep", "a.toml", "--out", "x", "--quiet"]))  # stderr: the problem
    2
    """
    from forecast.commands.sweep import SweepOptions, sweep

    opts = SweepOptions(
        scenario=args.scenario,
        out=args.out,
        grid=args.grid,
        scenarios=args.scenarios,
        draws=args.draws,
        seed=args.seed,
        scheduler=args.scheduler,
        workers=args.workers,
        quiet=args.quiet,
        max_cases=args.max_cases,
        targets=args.target,
        keep_draws=args.keep_draws,
    )
    return sweep(opts)


def _add_sweep(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a grid of what-ifs (and several files) on a Dask cluster",
        description=(
            "Run every combination of the --grid values (the keys and values of --set), for the "
            "scenario and any --scenarios files, on a local Dask cluster of worker processes, an "
            "existing cluster (--scheduler) or in this process (--workers 0). Every case uses the sweep's "
            "seed (common random numbers: an output the grid does not touch is identical in every case), "
            "so results never depend on the cluster. Writes "
            "sweep.csv/.parquet (every case's probabilities and market quantiles with MCSE), with "
            "--keep-draws draws.zarr (every case's draws, dim 'case'), report.html/.md and manifest.json, "
            "all at once at the end; "
            "finished cases are kept in DIR/cases/ as they finish, and running the same command again "
            "resumes from them."
        ),
        epilog=(
            "Exit codes: 0 ok, 2 bad input (nothing written) or some cases invalid (marked in the table), "
            "1 some cases failed, 130 interrupted (finished cases kept)."
        ),
    )
    p.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario .toml file")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="values to sweep for one input, e.g. markets.developer_tools.cagr=0.3,0.4,0.5 (repeatable: "
        "the product of all grids); values are TOML as in --set, commas inside { } and [ ] are kept",
    )
    p.add_argument(
        "--scenarios",
        nargs="+",
        default=[],
        type=Path,
        metavar="FILE",
        help="more scenario files, each swept over the same grid (a portfolio)",
    )
    p.add_argument("--draws", type=int, metavar="N", help="draws per case (default: each file's)")
    p.add_argument(
        "--seed", type=int, metavar="S", help="the sweep's seed (default: simulation.seed of SCENARIO)"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="use a running Dask cluster, e.g. tcp://host:8786 (same results as a local run)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local cluster (default 2, at most the cores; 0 runs the cases here)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the sweep folder")
    p.add_argument(
        "--max-cases",
        type=int,
        default=10_000,
        metavar="N",
        help="refuse a grid of more cases than this, before any work (default 10,000)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="TARGET",
        help="a key number the report draws against the swept inputs, e.g. metric.<id>@2027, "
        "metric.<id> (one number), total@2027, outcome.<id> (repeatable; default: every probability, "
        "the headline year's total and revenue, the chosen option's expected payoff)",
    )
    p.add_argument(
        "--keep-draws",
        action="store_true",
        help="keep every case's draws (DIR/cases/ and draws.zarr); by default only the table's numbers",
    )
    p.add_argument("--quiet", action="store_true", help="no progress and no summary; errors only")
    p.set_defaults(func=cmd_sweep)


def _add_pool(subparsers: Subparsers) -> None:
    """``forecast pool``, registered by :mod:`forecast.commands.pool`."""
    from forecast.commands.pool import add_parser

    add_parser(subparsers)


def _add_warm(subparsers: Subparsers) -> None:
    """``forecast warm``, registered by :mod:`forecast.commands.warm`."""
    from forecast.commands.warm import add_parser

    add_parser(subparsers)


# --- the parser and the entry point ---------------------------------------------

_COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    _add_validate,
    _add_schema,
    _add_run,
    _add_compare,
    _add_track_record,
    _add_serve,
    _add_sweep,
    _add_pool,
    _add_warm,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``forecast`` argument parser with every subcommand registered.

    Examples
    --------
    >>> build_parser().parse_args(["schema"]).func is cmd_schema
    True
    """
    from forecast import __version__

    parser = argparse.ArgumentParser(
        prog="forecast",
        description=(
            "Probabilistic scenario forecasting: turn a scenario file of judgments "
            "(market sizes, CAGRs, outcome probabilities, predictions) into simulated "
            "trajectories, probabilities and reports."
        ),
        epilog=f"Exit codes: 0 ok, 2 bad input or usage, 1 unexpected failure ({DEBUG_ENV}=1 shows tracebacks).",
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in _COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``forecast`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 ok, 2 bad input or usage, 1 unexpected failure.

    Examples
    --------
    >>> main(["validate", "no-such-file.toml"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        # argparse exits on --help (0) and on usage errors (2); return the code so that
        # callers of main() (tests, notebooks) get an int rather than an exception
        return e.code if isinstance(e.code, int) else EXIT_BAD_INPUT
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print("forecast: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        from forecast.errors import ScenarioError

        # commands usually report bad input themselves; this catches what they let
        # through (e.g. a bad --set in a command that loads one scenario)
        if isinstance(e, ScenarioError):
            for problem in e.problems:
                print(problem, file=sys.stderr)
            return EXIT_BAD_INPUT
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        text = " ".join(str(e).split()) or "(no message)"
        print(
            f"forecast: unexpected error: {type(e).__name__}: {text} (set {DEBUG_ENV}=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def console() -> int:
    """The ``forecast`` console script: :func:`main` tuned for a one-shot process.

    Two settings of Python's cyclic garbage collector, neither of which changes
    what is computed or written:

    - collections are rarer (first generation every 50,000 allocations rather than
      700): building and rewriting the model graph creates hundreds of thousands
      of small objects that live until the end, and scanning them over and over
      cost ~0.5-0.9 s of a ``forecast run``;
    - before the interpreter exits, every object still alive is frozen
      (:func:`gc.freeze`), so the final collections skip them: they found nothing
      to free but took ~1 s. Files are closed and the report folder is complete
      by then; atexit handlers and buffered output run as usual.

    Tests and notebooks call :func:`main`, which leaves the collector alone.

    Examples
    --------
    >>> sys.exit(console())  # doctest: +SKIP
    """
    import gc

    gc.set_threshold(50_000, 20, 20)
    try:
        return main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    sys.exit(console())
