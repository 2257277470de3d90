"""``forecast warm``: compile the forward simulators once, outside the first run.

A first ``forecast run`` after an install spends ~80-90 s of CPU with numba
compiling the forward simulator of its scenario's structure; every later process
loads it from the disk caches (PyTensor's compile directory, numba's cache and
:mod:`forecast.engine.function_cache`) in ~1.5 s. ``forecast warm`` does that compile
as an install step, so the first run is a warm one. It compiles the same function a
run compiles (a 100-draw :func:`forecast.simulate` of each scenario, evidence
ignored), so nothing a run computes changes. Scenarios of one structure share one
compile; a scenario with evidence still compiles its NUTS sampler on its first run.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser().add_subparsers()
>>> add_parser(p)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from forecast.commands.common import EXIT_BAD_INPUT, EXIT_OK

WARM_DRAWS = 100  # the fewest a simulation accepts: the compile is the point


def cmd_warm(args: argparse.Namespace) -> int:
    """Compile (or load) the forward simulator of each scenario file.

    Prints ``warm: <path> (<seconds> s)`` for each file; a file that does not load
    prints its problems on stderr and makes the exit code 2 (the others are still
    compiled).

    Examples
    --------
    >>> import forecast
    >>> cmd_warm(argparse.Namespace(scenarios=[forecast.bundled()]))  # doctest: +SKIP
    warm: .../deepseek.toml (1.6 s)
    0
    """
    import forecast
    from forecast.errors import ScenarioError

    status = EXIT_OK
    for path in args.scenarios or [Path(forecast.bundled())]:
        try:
            scenario = forecast.load(path)
        except ScenarioError as err:
            print(err, file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        t0 = time.perf_counter()
        forecast.simulate(scenario, draws=WARM_DRAWS, prior_only=True)
        print(f"warm: {path} ({time.perf_counter() - t0:.1f} s)")
    return status


def add_parser(subparsers: Any) -> None:
    """Register ``forecast warm`` (called by :func:`forecast.cli.build_parser`)."""
    p = subparsers.add_parser(
        "warm",
        help="compile the simulators once (an install step), so the first run is not a cold one",
        description=(
            "Compile the forward simulator of each scenario file (default: the bundled one) into the "
            "disk caches (~1.5 minutes of CPU once per structure; ~2 s when already compiled), so the "
            "first `forecast run` of a scenario of that structure does not compile. Nothing else "
            "is written; the numbers of later runs are the same."
        ),
        epilog="Exit codes: 0 ok, 2 a file did not load (the others are still compiled).",
    )
    p.add_argument("scenarios", nargs="*", type=Path, metavar="SCENARIO", help="scenario .toml files")
    p.set_defaults(func=cmd_warm)
