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

The folder holds ``report.html``, ``report.md``, ``markets.csv``,
``outcomes.csv``, ``predictions.csv``, ``figures/``, ``scenario.toml`` (the
resolved inputs, overrides applied: ``forecast run scenario.toml`` reruns it),
``forecast.nc`` (the :class:`xarray.DataTree`) and ``manifest.json``.

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
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

    from forecast.results import Forecast
    from forecast.scenario import Scenario

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS = 3  # --strict and the sampler's diagnostics missed their thresholds
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM

#: what a report folder holds (manifest.json lists each file's SHA-256)
REPORT_FILES = (
    "report.html",
    "report.md",
    "markets.csv",
    "outcomes.csv",
    "predictions.csv",
    "forecast.nc",
    "scenario.toml",
    "manifest.json",
    "figures",
)


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so the cleanup code runs."""


class OutputError(Exception):
    """``--out`` cannot be used; the message says why."""


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
        :func:`forecast.report.write_report`). No section when ``None``.
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


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value (number, bool, date, array, inline table), else text.

    Examples
    --------
    >>> parse_value("0.3"), parse_value("true"), parse_value("{ low = 1, high = 2 }")
    (0.3, True, {'low': 1, 'high': 2})
    >>> parse_value("Acme widgets")
    'Acme widgets'
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_sets(items: Sequence[str]) -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` -> ``{KEY: value}``; raises :class:`ScenarioError`.

    Examples
    --------
    >>> parse_sets(["simulation.draws=500", "title=Bear case"])
    {'simulation.draws': 500, 'title': 'Bear case'}
    """
    out, problems = _parse_sets(items)
    if problems:
        raise ScenarioError(problems)
    return out


def _parse_sets(items: Sequence[str]) -> tuple[dict[str, Any], list[Problem]]:
    out: dict[str, Any] = {}
    problems = []
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(
                Problem.with_value(
                    "--set", key, "expected KEY=VALUE, e.g. markets.developer_tools.cagr=0.3", item
                )
            )
            continue
        out[key] = parse_value(value.strip())
    return out, problems


def run(opts: RunOptions) -> int:
    """Run ``forecast run`` and return its exit code (see the module docstring)."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    err = _console(stderr=True)
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
    out = opts.out if opts.out is not None else Path("reports") / scenario.id
    status, done, pending = write_staged(
        out,
        "report",
        opts.quiet,
        lambda folder, steps: _work(scenario, opts, folder, steps, timings, t_start),
    )
    if done is None:
        return status
    fc, warnings = done
    if warnings:
        _print_warnings(err, warnings, opts.strict)
    if not opts.quiet:
        _print_summary(fc, out)
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
) -> tuple[Forecast, list[str]]:
    """Simulate and write every file into ``folder`` (the staging directory)."""
    # started first, so its imports overlap the model's compile (and this one's)
    with FigureWorker.running(opts.figure_worker) as worker:
        import forecast
        from forecast.figures import (
            PendingFigures,
            draw_figures,
            draw_tornadoes,
            figure_data,
            figure_infos,
            tornado_infos,
        )
        from forecast.report import diagnostic_warnings, package_versions, sensitivity_frames, write_report

        draws = scenario.simulation.draws
        nuts = scenario.has_evidence and not opts.prior_only
        what = f"Sampling the posterior (NUTS, {draws:,} draws)" if nuts else f"Simulating {draws:,} draws"
        with steps.step(what + " — compiles the model on a first run"):
            t = time.perf_counter()
            fc = forecast.simulate(scenario, prior_only=opts.prior_only)
            timings["simulate_total"] = time.perf_counter() - t
        timings.update({f"simulate.{k}": v for k, v in fc.timings.items()})
        infos = []
        if worker is not None:
            data = figure_data(fc)
            infos += figure_infos(data)
            worker.submit(draw_figures, data)
        warnings = diagnostic_warnings(fc)
        sensitivity = None
        if opts.sensitivity is not None:
            with steps.step("Sensitivity analysis"):
                t = time.perf_counter()
                sensitivity = sensitivity_frames(opts.sensitivity(fc))
                timings["sensitivity"] = time.perf_counter() - t
        if worker is not None and sensitivity:
            infos += tornado_infos(sensitivity)
            worker.submit(draw_tornadoes, sensitivity)
        with steps.step("Saving the draws (forecast.nc)"):
            t = time.perf_counter()
            fc.data.to_netcdf(folder / "forecast.nc", engine="h5netcdf")
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
                "overrides": {k: _jsonable(v) for k, v in parse_sets(opts.sets).items()},
            },
            "seed": fc.seed,
            "draws": fc.n_draws,
            "method": "nuts" if fc.conditioned else "forward",
            "prior_only": opts.prior_only,
            "versions": versions,
            "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
            "diagnostic_warnings": warnings,
            "files": _file_hashes(folder),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return fc, warnings


# --- the figure worker --------------------------------------------------------------


class FigureWorker:
    """Draws the report's figures in a second process while this one goes on.

    Started before the simulation, it imports matplotlib (~0.6 s) and draws a first
    figure while the model compiles; given the figure tables after the simulation,
    it draws (~1 s) while the sensitivity analysis runs here. On two cores both
    leave the critical path of ``forecast run``.

    The worker only returns PNG bytes; this process writes them into the staging
    folder, so atomicity is unchanged. It ignores SIGINT (Ctrl-C reaches the whole
    process group): this process handles the interrupt and :meth:`close` terminates
    the worker. If the worker cannot start or dies, the figures are drawn here.

    Examples
    --------
    >>> from forecast.figures import draw_tornadoes
    >>> worker = FigureWorker.start()  # doctest: +SKIP
    >>> worker.submit(draw_tornadoes, frames)  # doctest: +SKIP
    >>> drawn = worker.results()  # doctest: +SKIP
    >>> worker.close()  # doctest: +SKIP
    """

    def __init__(self, executor: Any):
        self._executor = executor
        self._jobs: list[tuple[Any, Callable[..., list[Any]], tuple[Any, ...]]] = []

    @classmethod
    def start(cls) -> FigureWorker | None:
        """A worker process, or ``None`` when one cannot be started here."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        try:
            # spawn, not fork: this process may hold threads (BLAS, numba) by now
            executor = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
            )
            worker = cls(executor)
            executor.submit(_worker_warm_up)
        except (OSError, RuntimeError):
            return None
        return worker

    @classmethod
    @contextmanager
    def running(cls, enabled: bool = True) -> Iterator[FigureWorker | None]:
        """A started worker (``None`` if disabled or it cannot start), closed on exit."""
        worker = cls.start() if enabled else None
        try:
            yield worker
        finally:
            if worker is not None:
                worker.close()

    def submit(self, fn: Callable[..., list[Any]], *args: Any) -> None:
        """Queue ``fn(*args)``; its result joins :meth:`results`."""
        try:
            future = self._executor.submit(fn, *args)
        except Exception:  # a broken pool: draw here when the results are asked for
            future = None
        self._jobs.append((future, fn, args))

    def results(self) -> list[Any]:
        """Every queued job's result, in order (drawn here if the worker failed)."""
        from concurrent.futures.process import BrokenProcessPool

        out: list[Any] = []
        for future, fn, args in self._jobs:
            try:
                if future is None:
                    raise BrokenProcessPool
                out += future.result()
            except BrokenProcessPool:
                out += fn(*args)
        return out

    def close(self) -> None:
        """Stop the worker now, without waiting for it to finish a figure or exit."""
        terminate = getattr(self._executor, "terminate_workers", None)  # Python >= 3.14
        if terminate is not None:
            terminate()
            return
        # before 3.14 the executor has no public way to stop its processes at once;
        # a graceful shutdown would make this process wait at exit for the worker
        processes = list((getattr(self._executor, "_processes", None) or {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            with suppress(Exception):
                p.terminate()


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_warm_up() -> list[Any]:
    """Import matplotlib and draw a small figure: fonts and text layout get loaded."""
    from matplotlib.figure import Figure

    from forecast.figures import _png

    fig = Figure(figsize=(2, 1), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="x")
    ax.set_title("warm-up")
    fig.legend(loc="outside lower center")
    _png(fig)
    return []


def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


def _file_hashes(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- the staging directory ---------------------------------------------------------


@dataclass
class Staging:
    """A hidden temporary folder next to the target, renamed into place when complete."""

    target: Path
    path: Path
    created: list[Path]  # parent folders this run created (removed again on failure)

    @classmethod
    def create(cls, out: Path) -> Staging:
        """Check ``out`` and create the staging folder; raises :class:`OutputError`."""
        target = Path(os.path.abspath(out))
        if target.exists() or target.is_symlink():
            if not target.is_dir():
                raise OutputError("it exists and is not a folder")
            if target.resolve() == Path("/") or Path.cwd().resolve().is_relative_to(target.resolve()):
                raise OutputError("it is the working folder or one of its parents")
            if any(target.iterdir()) and not (target / "manifest.json").is_file():
                raise OutputError(
                    "it is a folder that is not a forecast report (no manifest.json); "
                    "refusing to replace it; choose another --out"
                )
        created: list[Path] = []
        try:
            missing = []
            p = target.parent
            while not p.exists():
                missing.append(p)
                p = p.parent
            for d in reversed(missing):
                d.mkdir()
                created.append(d)
            path = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        except OSError as e:
            _remove_empty(created)
            raise OutputError(e.strerror or str(e)) from None
        return cls(target, path, created)

    def commit(self) -> None:
        """Move the complete folder into place, replacing an older report."""
        # mkdtemp makes the folder private (0700); the report gets the usual mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}-{time.time_ns()}")
            os.rename(self.target, old)
        try:
            os.rename(self.path, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.created = []

    def abort(self) -> None:
        """Remove the staging folder and the parents this run created."""
        shutil.rmtree(self.path, ignore_errors=True)
        _remove_empty(self.created)
        self.created = []


def _remove_empty(folders: list[Path]) -> None:
    for d in reversed(folders):
        with suppress(OSError):
            d.rmdir()


def write_staged[T](
    out: Path, what: str, quiet: bool, work: Callable[[Path, Steps], T]
) -> tuple[int, T | None, list[int]]:
    """Build a folder with ``work(staging_folder, steps)`` and rename it into ``out``.

    The folder appears complete or not at all: bad ``out``, an exception, SIGINT or
    SIGTERM leave ``out`` as it was. Shared by ``forecast run`` and ``forecast compare``.

    Returns
    -------
    (status, result, pending)
        ``result`` is None when nothing was written, and ``status`` is then the exit
        code (2 unusable ``out``, 130/143 interrupted); ``pending`` lists signals that
        arrived while the folder was being renamed into place.

    Examples
    --------
    >>> status, result, pending = write_staged(Path("out"), "report", True, make)  # doctest: +SKIP
    """
    try:
        staging = Staging.create(out)
    except OutputError as e:
        print(f"forecast: cannot write the {what} to {out}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT, None, []
    steps = Steps(quiet=quiet)
    try:
        with _signals_as_exceptions():
            result = work(staging.path, steps)
            with _signals_deferred() as pending:
                staging.commit()
    except KeyboardInterrupt as e:
        steps.stop()
        staging.abort()
        print(f"forecast: interrupted; nothing written ({out} unchanged)", file=sys.stderr)
        return (EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED), None, []
    except BaseException:
        steps.stop()
        staging.abort()
        raise
    steps.stop()
    return EXIT_OK, result, pending


# --- signals ------------------------------------------------------------------------


@contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM while the folder is renamed into place; yields those seen."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def handler(signum: int, frame: Any) -> None:
        pending.append(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield pending
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# --- terminal output ----------------------------------------------------------------


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


class Steps:
    """Progress on stderr: a live spinner per step on a terminal, one line per step
    otherwise (logs, CI), nothing with ``--quiet``."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.console = _console(stderr=True)
        self.progress: Any = None
        if not quiet and self.console.is_terminal:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.progress.start()

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        t0 = time.perf_counter()
        task = self.progress.add_task(text, total=None) if self.progress else None
        yield
        done = text.split(" — ")[0]
        if self.progress is not None:
            self.progress.update(task, description=done, total=1, completed=1)
        elif not self.quiet:
            self.console.print(f"✓ {done} ({time.perf_counter() - t0:.1f} s)", soft_wrap=True)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _print_warnings(console: Any, warnings: Sequence[str], strict: bool) -> None:
    from rich.panel import Panel

    body = "\n".join(f"• {w}" for w in warnings)
    title = "INFERENCE DIAGNOSTICS MISSED THEIR THRESHOLDS" + (" (--strict: exit 3)" if strict else "")
    console.print(Panel(body, title=title, border_style="bold red", style="red"))


def _print_summary(fc: Forecast, out: Path) -> None:
    """Headline numbers as rich tables on stdout: markets, outcomes, predictions."""
    from rich.table import Table

    from forecast.report import _key_year, interval, pct, pp, sig

    console = _console()
    s = fc.scenario
    year = _key_year(s)
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
    names += [(f"revenue.{p.id}", f"{p.label}: revenue", s.market(p.market).unit) for p in s.positions]
    for key, label, unit in names:
        r = markets[(markets["market"] == key) & (markets["year"] == year)].iloc[0]
        t.add_row(label, sig(r.q50), interval(r.q05, r.q95), unit, style="bold" if key == "total" else None)
    console.print(t)
    outcomes = fc.outcomes()
    if len(outcomes):
        t = Table(title="Outcomes", title_justify="left")
        for col in ("Outcome", "Stated", "Simulated", "90% interval"):
            t.add_column(col, justify="left" if col == "Outcome" else "right")
        for o in outcomes.itertuples():
            t.add_row(str(o.label), pct(o.stated), pct(o.probability), interval(o.q05, o.q95, pct))
        console.print(t)
    preds = fc.predictions()
    if len(preds):
        t = Table(title="Predictions", title_justify="left")
        for col in ("Prediction", "By", "Probability", "MCSE"):
            t.add_column(col, justify="left" if col in ("Prediction", "By") else "right")
        for p in preds.itertuples():
            t.add_row(str(p.statement), str(p.deadline), pct(p.probability), pp(p.mcse))
        console.print(t)
    console.print(f"Report: {out / 'report.html'}", soft_wrap=True)
