"""The ``forecast`` command line.

Exit codes follow the design contract: 0 ok, 2 bad input or usage, 1 unexpected
failure. Every subcommand is one ``cmd_<name>(args) -> int`` function plus one
``_add_<name>(subparsers)`` function that registers it in :func:`build_parser`;
add a command by writing both and listing the second in ``_COMMANDS``.

Heavy libraries (PyMC, ArviZ, matplotlib, even the scenario layer) are imported
inside the commands that need them, so ``forecast --help`` stays fast.

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
#: core is free (see forecast.commands.run.figure_worker_wanted)
FIGURE_WORKER_ENV = "FORECAST_FIGURE_WORKER"

type Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


# --- validate -------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario files and report every problem of every file.

    Prints ``ok: <path>`` on stdout for each valid file and one
    ``path: key.path: what is wrong (got X)`` line on stderr for each problem.

    Returns
    -------
    int
        0 when every file is valid, 2 when any is not.

    Examples
    --------
    >>> import forecast
    >>> ns = argparse.Namespace(scenarios=[forecast.bundled("deepseek")])
    >>> cmd_validate(ns)  # doctest: +ELLIPSIS
    ok: .../deepseek.toml
    0
    """
    from forecast.errors import ScenarioError
    from forecast.scenario import load

    status = EXIT_OK
    for path in args.scenarios:
        try:
            load(path)
        except ScenarioError as e:
            status = EXIT_BAD_INPUT
            for problem in e.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"ok: {path}")
    return status


def _add_validate(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check scenario files, reporting every problem at once",
        description=(
            "Check scenario files: syntax, types, ranges, references between ids, "
            "size/projection/CAGR agreement and `extends` parents. Every problem of "
            "every file is printed as 'path: key.path: what is wrong (got X)'. "
            "Exit 0 if all files are valid, 2 otherwise."
        ),
    )
    p.add_argument("scenarios", nargs="+", type=Path, metavar="SCENARIO", help="scenario .toml file")
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
    from forecast.commands.run import RunOptions, figure_worker_wanted, run

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
            "figures/, scenarios/, manifest.json) appears complete or not at all."
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
    p.add_argument("--quiet", action="store_true", help="no progress and no summary; errors only")
    p.set_defaults(func=cmd_compare)


# --- the parser and the entry point ---------------------------------------------

_COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    _add_validate,
    _add_schema,
    _add_run,
    _add_compare,
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
