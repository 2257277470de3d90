"""``forecast sweep``: many cases of one or more scenarios, on Dask or in this process.

A sweep is every combination of ``--grid KEY=V1,V2,...`` values (the same keys and
values as ``--set``), for the scenario and any ``--scenarios`` files. Each case
runs as ``forecast run`` would run it, with the sweep's seed (common random numbers:
an output the grid does not touch is identical in every case), so the results do
not depend on where or in which order cases run. Cases run on a
``distributed.LocalCluster`` of worker processes (``--workers N``, default 2), on
an existing cluster (``--scheduler ADDRESS``), or here (``--workers 0``).

The folder ``--out DIR``
------------------------
Two kinds of writing meet in it, and they are kept apart:

- ``DIR/cases/`` fills up while the sweep runs: each case, when it finishes, is
  written as ``cases/<digest>.npz`` (its summary rows; its draws too with
  ``--keep-draws``), first
  under a hidden temporary name, then renamed, so a case file is complete or
  absent. ``<digest>`` is the SHA-256 of the case's resolved
  inputs, which include its draws and seed; re-running the same command finds the
  finished cases and runs only the others (a changed input, draws or seed is a
  new digest, so it runs again). An interrupted or failed sweep leaves the
  finished cases there for the next run, and nothing else.
- The results, ``sweep.csv``, ``sweep.parquet``, ``draws.zarr/`` (``--keep-draws``), ``report.html``,
  ``report.md``, ``figures/`` and ``manifest.json``, appear together or not at
  all: they are built in a hidden staging folder beside ``DIR``, which also gets
  a hard link (a copy where links are not possible) of every case file of this
  sweep, and that folder is then renamed over ``DIR`` (see
  :mod:`forecast.outputs.staging`). Until that rename the old ``DIR`` with its
  ``cases/`` is untouched, so a crash at any point loses no finished case; after
  it, ``cases/`` holds exactly this sweep's cases.

``DIR`` must be new, empty, or a folder a sweep wrote (``cases/.forecast-sweep``);
anything else is refused before any work.

Exit codes: 0 every case ok; 2 bad input (nothing written) or some cases invalid
(they are reported with their key path and marked ``invalid`` in the table, the
others complete); 1 some cases failed unexpectedly (marked ``failed``; a re-run
retries them); 130/143 interrupted (finished cases kept in ``DIR/cases/``).

Examples
--------
>>> opts = SweepOptions(Path("deepseek.toml"), grid=["assessment.confidence=5,20"], out=Path("s"))
>>> sweep(opts)  # doctest: +SKIP
0
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.analysis.sweep import (
    STATUS_FAILED,
    STATUS_INVALID,
    STATUS_OK,
    Case,
    build_cases,
    case_frame,
    parse_grid,
    sweep_table,
)
from forecast.analysis.sweep_arguments import MAX_CASES, count_cases, sweep_problems
from forecast.commands.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    console,
)
from forecast.commands.sweep_folder import (  # noqa: F401  (read_case_rows, write_case: benchmarks/sweep.py)
    MARKER,
    RESULTS,
    case_path,
    check_out,
    finished_case,
    lock,
    open_case,
    prepare,
    read_case_rows,
    write_case,
)
from forecast.errors import Problem, ScenarioError
from forecast.outputs.staging import (
    OutputError,
    Staging,
    Terminated,
    signals_as_exceptions,
    signals_deferred,
)

if TYPE_CHECKING:
    import pandas as pd

    from forecast.engine.executor import Executor
    from forecast.scenario import Scenario

DEFAULT_WORKERS = 2  # this project's machines have two cores; a laptop sweep needs no more


@dataclass
class SweepOptions:
    """What ``forecast sweep`` was asked to do.

    ``workers`` is the size of the local cluster (0: run the cases in this process,
    no Dask); it is ignored with ``scheduler``.
    """

    scenario: Path
    out: Path
    grid: Sequence[str] = ()
    scenarios: Sequence[Path] = ()
    draws: int | None = None
    seed: int | None = None
    scheduler: str | None = None
    workers: int | None = None
    quiet: bool = False
    command: str = ""
    max_cases: int = MAX_CASES
    targets: Sequence[str] = ()  # --target: the key numbers the report draws
    keep_draws: bool = False  # every case's draws in cases/ and draws.zarr (else rows only)

    def command_line(self) -> str:
        """The ``forecast sweep`` command these options stand for.

        Examples
        --------
        >>> SweepOptions(Path("s.toml"), Path("out"), grid=["a.b=1,2"], draws=500).command_line()
        'forecast sweep s.toml --grid a.b=1,2 --draws 500 --out out'
        """
        parts = ["forecast", "sweep", str(self.scenario)]
        for g in self.grid:
            parts += ["--grid", g]
        if self.scenarios:
            parts += ["--scenarios", *map(str, self.scenarios)]
        for flag, value in (("--draws", self.draws), ("--seed", self.seed), ("--scheduler", self.scheduler)):
            if value is not None:
                parts += [flag, str(value)]
        if self.workers is not None and self.scheduler is None:
            parts += ["--workers", str(self.workers)]
        for spec in self.targets:
            parts += ["--target", spec]
        parts += ["--out", str(self.out)]
        if self.keep_draws:
            parts.append("--keep-draws")
        if self.quiet:
            parts.append("--quiet")
        return shlex.join(parts)


# --- the plan: everything checked before anything is written ------------------------------


@dataclass
class Plan:
    cases: list[Case]
    keys: list[str]
    scenarios: dict[str, Scenario]
    seed: int


def plan(opts: SweepOptions) -> Plan:
    """Load the files, read the grid and resolve every case; raises :class:`ScenarioError`
    with every problem of the input at once (nothing is written before this passes).

    Cases that are invalid are not a problem of the input unless every case is.
    """
    import forecast
    from forecast.analysis.comparison import unique_names

    problems: list[Problem] = []
    try:
        grid = parse_grid(opts.grid)
    except ScenarioError as e:
        grid, problems = {}, list(e.problems)
    problems += sweep_problems(
        workers=opts.workers,
        scheduler=opts.scheduler,
        draws=opts.draws,
        seed=opts.seed,
        # counted, not resolved: 10^8 cases are refused at once, not after minutes
        cases=count_cases(grid, 1 + len(opts.scenarios)),
        max_cases=opts.max_cases,
        flag="--",
    )
    loaded: list[Scenario] = []
    for path in [opts.scenario, *opts.scenarios]:
        try:
            loaded.append(forecast.load(path))
        except ScenarioError as e:
            problems += [p for p in e.problems if p not in problems]
    names = unique_names([s.id for s in loaded])
    scenarios = dict(zip(names, loaded, strict=True))
    if not problems:
        from forecast.analysis.targets import target_problems

        problems = target_problems(scenarios, opts.targets)
    if problems:
        raise ScenarioError(problems)
    seed = opts.seed if opts.seed is not None else loaded[0].simulation.seed
    cases = build_cases(scenarios, grid, seed=seed, draws=opts.draws)
    memory_problems(opts, scenarios, cases)
    if not any(c.valid for c in cases):
        raise ScenarioError(
            [
                Problem("sweep", "", f"no case is valid; case {c.index} ({c.key}): {p}")
                for c in cases
                for p in c.problems
            ]
        )
    return Plan(cases, list(grid), scenarios, seed)


def memory_problems(opts: SweepOptions, scenarios: dict[str, Scenario], cases: Sequence[Case]) -> None:
    """Raise :class:`ScenarioError` when a case would not fit in this machine's memory,
    as ``forecast run`` does (the largest draw count that fits is named). Local workers
    each hold one case at once, so each gets its share; a scheduler's machines are not
    this one's, so nothing is checked for them.
    """
    from forecast.engine import resources

    if opts.scheduler is not None:
        return
    workers = max(1, DEFAULT_WORKERS if opts.workers is None else opts.workers)
    available = resources.available_memory()
    if available is None:
        return
    seen = set()
    for c in cases:
        if c.valid and (c.scenario, c.draws) not in seen:
            seen.add((c.scenario, c.draws))
            resources.check_memory(scenarios[c.scenario], c.draws, available=available // workers)


# --- running ----------------------------------------------------------------------------


def make_executor(opts: SweepOptions, cases: Sequence[Case] = ()) -> Executor:
    """The executor the options ask for; raises :class:`OSError` (or
    :class:`TimeoutError`) when the scheduler cannot be reached. ``--workers N``:
    the cases start here, and the local cluster (its workers warmed with the
    simulators of ``cases``) starts only when the cases left would take longer here
    than its start-up (:func:`~forecast.engine.executor.local_cluster_on_demand`)."""
    from forecast.analysis.sweep import warm_texts
    from forecast.engine.executor import local_cluster_on_demand

    if opts.scheduler is not None:
        from forecast.analysis.sweep_arguments import connect

        return connect(opts.scheduler)
    workers = DEFAULT_WORKERS if opts.workers is None else opts.workers
    return local_cluster_on_demand(workers, warm=warm_texts(cases))


def run_cases(executor: Executor, cases: Sequence[Case], keep_draws: bool) -> Iterator[tuple[Case, Any]]:
    """Run cases on ``executor``; yields ``(case, result or JobFailed)`` as they finish."""
    from forecast.analysis.sweep import run_case

    jobs = [c.job(keep_draws) for c in cases]
    keys = [f"case-{c.digest[:16]}" for c in cases if c.digest]
    for i, result in executor.map(run_case, jobs, keys=keys):
        yield cases[i], result


class Progress:
    """``done of total, failures`` on stderr: a live bar on a terminal, a line per
    tenth of the sweep otherwise (logs), nothing with ``--quiet``."""

    def __init__(self, total: int, done: int, quiet: bool):
        self.total, self.done, self.failed, self.quiet = total, done, 0, quiet
        self.console = console(stderr=True)
        self.bar: Any = None
        self.task: Any = None
        self._next_line = 0
        if not quiet and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("Cases"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.bar.start()
            self.task = self.bar.add_task("cases", total=total, completed=done, failed=0)

    def update(self, failed: bool) -> None:
        self.done += 1
        self.failed += int(failed)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, failed=self.failed)
        elif not self.quiet and (self.done >= self._next_line or self.done == self.total):
            self.console.print(
                f"cases done: {self.done} of {self.total}, {self.failed} failed", soft_wrap=True
            )
            self._next_line = self.done + max(1, self.total // 10)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# --- the command ----------------------------------------------------------------------


def sweep(opts: SweepOptions, executor: Executor | None = None) -> int:
    """Run ``forecast sweep`` and return its exit code (see the module docstring).

    ``executor`` (tests, benchmarks) runs the cases instead of the one the options
    ask for; it is closed at the end like one made here.
    """
    t0 = time.perf_counter()
    if opts.out.is_symlink():  # written through, as `forecast run` does: the link stays
        opts = dataclasses.replace(opts, out=Path(os.path.realpath(opts.out)))
    try:
        p = plan(opts)
        check_out(opts.out)
    except (ScenarioError, OutputError) as e:
        if executor is not None:
            executor.close()
        if isinstance(e, ScenarioError):
            for problem in e.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"forecast: cannot write the sweep to {opts.out}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for c in p.cases:
        for text in c.problems:
            print(f"case {c.index} ({c.key}): {text}", file=sys.stderr)
    cases_dir = Path(os.path.abspath(opts.out)) / "cases"
    valid = [c for c in p.cases if c.valid]
    with ExitStack() as held:
        if cases_dir.is_dir():  # a sweep's folder: one sweep writes it at a time
            try:
                held.enter_context(lock(cases_dir))
            except OutputError as e:
                if executor is not None:
                    executor.close()
                print(f"forecast: cannot write the sweep to {opts.out}: {e}", file=sys.stderr)
                return EXIT_BAD_INPUT
        return _sweep(opts, p, executor, cases_dir, valid, None if cases_dir.is_dir() else held, t0)


def _sweep(
    opts: SweepOptions,
    p: Plan,
    executor: Executor | None,
    cases_dir: Path,
    valid: list[Case],
    unlocked: ExitStack | None,
    t0: float,
) -> int:
    """The sweep once its folder is locked (``unlocked``: where to hold the lock of a
    folder this run creates)."""
    err = console(stderr=True)
    finished = {c.index for c in valid if finished_case(cases_dir, c, opts.keep_draws)}
    todo = [c for c in valid if c.index not in finished]
    if not todo:
        if executor is not None:
            executor.close()
        executor = None
    failures: dict[int, str] = {}
    try:
        with signals_as_exceptions():  # a scheduler's handshake or a cluster's start too
            if todo and executor is None:
                try:
                    executor = make_executor(opts, todo)
                except (OSError, TimeoutError) as e:
                    print(f"forecast: cannot reach the Dask scheduler {opts.scheduler}: {e}", file=sys.stderr)
                    return EXIT_BAD_INPUT
            prepare(cases_dir)
            if unlocked is not None:  # a new folder: lock it now it exists
                unlocked.enter_context(lock(cases_dir))
            if not opts.quiet:
                where = executor.description if executor is not None else "nothing to run"
                err.print(
                    f"Sweep: {len(p.cases)} cases ({len(p.cases) - len(valid)} invalid, {len(finished)} already "
                    f"done in {cases_dir}), {len(todo)} to run: {where}",
                    soft_wrap=True,
                )
                if executor is not None and executor.dashboard:
                    err.print(f"Dask dashboard: {executor.dashboard}", soft_wrap=True)
            if executor is not None:
                failures = _run(executor, todo, cases_dir, len(valid), len(finished), opts)
    except KeyboardInterrupt as e:
        kept = sum(1 for c in valid if case_path(cases_dir, c).is_file())
        print(
            f"forecast: interrupted; {kept} of {len(valid)} cases are done and kept in {cases_dir} "
            "(run the same command again to resume)",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED
    finally:
        if executor is not None:
            executor.close()
    status = _finish(opts, p, cases_dir, failures, t0)
    return status


def _run(
    executor: Executor, todo: list[Case], cases_dir: Path, total: int, done: int, opts: SweepOptions
) -> dict[int, str]:
    from forecast.engine.executor import JobFailed

    failures: dict[int, str] = {}
    progress = Progress(total, done, opts.quiet)
    try:
        for case, result in run_cases(executor, todo, opts.keep_draws):
            if isinstance(result, JobFailed):
                error = result.error
                if isinstance(error, ScenarioError):  # the worker refused the inputs
                    message = "; ".join(str(problem) for problem in error.problems)
                else:
                    message = f"{type(error).__name__}: {' '.join(str(error).split())}"
                failures[case.index] = message
                progress.update(failed=True)
                progress.console.print(f"case {case.index} ({case.key}) failed: {message}", soft_wrap=True)
                continue
            write_case(cases_dir, case, result)
            progress.update(failed=False)
    finally:
        progress.stop()
    return failures


def _finish(opts: SweepOptions, p: Plan, cases_dir: Path, failures: Mapping[int, str], t0: float) -> int:
    """Build the table and write the results folder (atomically, cases linked in)."""
    import pandas as pd  # noqa: F401

    frames: dict[int, pd.DataFrame] = {}
    for c in p.cases:
        if not c.valid:
            frames[c.index] = case_frame(c, STATUS_INVALID, [], "; ".join(c.problems))
        elif c.index in failures or not case_path(cases_dir, c).is_file():
            frames[c.index] = case_frame(c, STATUS_FAILED, [], failures.get(c.index, "did not finish"))
        else:
            rows, warnings = read_case_rows(case_path(cases_dir, c))
            # NUTS diagnostics that missed their thresholds: the numbers stand, flagged
            note = "; ".join(f"diagnostics: {w}" for w in warnings)
            if note and not opts.quiet:
                print(f"forecast: case {c.index} ({c.key}): {note}", file=sys.stderr)
            frames[c.index] = case_frame(c, STATUS_OK, rows, note)
    table = sweep_table(p.cases, frames, p.keys)
    target = Path(os.path.abspath(opts.out))
    try:
        staging = Staging(target, _mkdtemp(target), [], own=("cases", "draws.zarr"))
    except OSError as e:
        print(f"forecast: cannot write the sweep to {opts.out}: {e.strerror or e}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        with signals_as_exceptions():
            _write_results(opts, p, table, cases_dir, staging.path, t0)
            with signals_deferred():
                staging.commit()
    except KeyboardInterrupt as e:
        staging.abort()
        print(
            f"forecast: interrupted while writing the results; the finished cases are kept in {cases_dir}",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED
    except BaseException:
        staging.abort()
        raise
    from forecast.outputs.sweep import problem_line

    n_invalid = sum(not c.valid for c in p.cases)
    if not opts.quiet:
        _print_summary(table, opts.out, len(p.cases), n_invalid, len(failures), opts.keep_draws)
    if failures:
        print(problem_line(len(failures), "failed"), file=sys.stderr)
        return EXIT_FAILURE
    if n_invalid:
        print(problem_line(n_invalid, "invalid"), file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _mkdtemp(target: Path) -> Path:
    """The results' staging folder, named as ``run``'s (this host's tag and this pid), so
    the next sweep or run into ``target`` removes it if this process is killed."""
    import tempfile

    from forecast.outputs.staging import _HOST, remove_leftovers

    remove_leftovers(target)
    prefix = f".{target.name}.partial-{_HOST}-{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))


def _write_results(
    opts: SweepOptions, p: Plan, table: pd.DataFrame, cases_dir: Path, folder: Path, t0: float
) -> None:
    from forecast.outputs.formatting import package_versions
    from forecast.outputs.staging import file_hashes
    from forecast.outputs.sweep import write_draws, write_sweep_report, write_table

    staged_cases = folder / "cases"
    staged_cases.mkdir()
    (staged_cases / MARKER).touch()
    ok = [c for c in p.cases if c.valid and case_path(cases_dir, c).is_file()]
    for c in ok:
        src = case_path(cases_dir, c)
        try:
            os.link(src, staged_cases / src.name)
        except OSError:  # no hard links here (another filesystem, FAT): copy
            shutil.copy2(src, staged_cases / src.name)
    write_table(table, folder)
    if opts.keep_draws:
        write_draws(
            p.cases,
            {c.index: (lambda c=c: open_case(case_path(cases_dir, c))) for c in ok},
            folder / "draws.zarr",
        )
    versions = package_versions()
    command = opts.command or opts.command_line()
    from forecast.analysis.targets import target_key
    from forecast.outputs.sweep import quantity_labels, target_quantities

    first = next(iter(p.scenarios.values()))
    labels = quantity_labels(first)
    targets = target_quantities([target_key(first, spec) for spec in opts.targets])
    write_sweep_report(
        table,
        p.keys,
        folder,
        provenance={"command": command, "versions": versions},
        labels=labels,
        targets=targets,
        year=first.headline_year,
    )
    manifest = {
        "forecast_version": versions.get("forecast"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "kind": "sweep",
        "seed": p.seed,
        "draws": opts.draws,
        "keep_draws": opts.keep_draws,
        "grid": {k: sorted({str(c.settings[k]) for c in p.cases}) for k in p.keys},
        "scenarios": {name: {"file": s.origin, "sha256": s.sha256()} for name, s in p.scenarios.items()},
        "cases": len(p.cases),
        "versions": versions,
        "seconds": round(time.perf_counter() - t0, 3),
        # the draws are listed too (they are results); cases/ is the resumable work
        # area, kept between runs, not a result
        "files": {k: v for k, v in file_hashes(folder).items() if not k.startswith("cases/")},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _print_summary(table: pd.DataFrame, out: Path, n: int, invalid: int, failed: int, draws: bool) -> None:
    from forecast.outputs.formatting import count

    c = console(stderr=False)
    c.print(
        f"Sweep: {n - invalid - failed} of {count(n, 'case')} ok, {invalid} invalid, {failed} failed",
        soft_wrap=True,
    )
    kept = f"draws: {out / 'draws.zarr'}" if draws else "draws not kept (--keep-draws keeps them)"
    c.print(f"Table: {out / 'sweep.csv'} (and sweep.parquet); {kept}", soft_wrap=True)
    c.print(f"Report: {out / 'report.html'}", soft_wrap=True)
    ok = table[(table["status"] == "ok")].drop_duplicates("case")
    if "chosen_option" in ok and (ok["chosen_option"] != "").any():
        counts = ok["chosen_option"].value_counts(sort=False)
        picked = ", ".join(f"{o} in {count(k, 'case')}" for o, k in counts.items())
        c.print(
            f"Decision ({', '.join(sorted(set(ok['criterion'])))}): {picked}; expected payoffs with their "
            "Monte Carlo error in sweep.csv (quantity 'decision', 'option.<id>')",
            soft_wrap=True,
        )
