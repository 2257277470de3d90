"""What every command shares: exit codes, ``--set`` parsing, progress, staged writing."""

from __future__ import annotations

import errno
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.errors import Problem, ScenarioError
from forecast.outputs.staging import (
    OutputError,
    Staging,
    Terminated,
    signals_as_exceptions,
    signals_deferred,
)

if TYPE_CHECKING:
    from forecast.engine.executor import Executor

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS = 3  # --strict and the sampler's diagnostics missed their thresholds
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM (SIGHUP: 129)


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
        try:
            out[key] = parse_value(value.strip())
        except RecursionError:  # thousands of nested inline tables or arrays
            problems.append(Problem("--set", key, "its value nests too deeply to be a scenario input"))
    return out, problems


def write_staged[T](
    out: Path, what: str, quiet: bool, work: Callable[[Path, Steps], T], inputs: Sequence[Path] = ()
) -> tuple[int, T | None, list[int]]:
    """Build a folder with ``work(staging_folder, steps)`` and rename it into ``out``.

    The folder appears complete or not at all: bad ``out``, an exception, SIGINT,
    SIGTERM or SIGHUP leave ``out`` as it was; a full disk says so (exit 1). ``out``
    is replaced only by the rules of :class:`~forecast.outputs.staging.Staging`;
    ``inputs`` (the files the run reads) are never inside what it replaces. Shared
    by ``forecast run`` and ``forecast compare``.

    Returns
    -------
    (status, result, pending)
        ``result`` is None when nothing was written, and ``status`` is then the exit
        code (2 unusable ``out``, 1 disk full, 130/143/129 interrupted); ``pending`` lists signals that
        arrived while the folder was being renamed into place.

    Examples
    --------
    >>> status, result, pending = write_staged(Path("out"), "report", True, make)  # doctest: +SKIP
    """
    try:
        staging = Staging.create(out, inputs)
    except OutputError as e:
        print(f"forecast: cannot write the {what} to {out}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT, None, []
    steps = Steps(quiet=quiet)
    try:
        with signals_as_exceptions():
            result = work(staging.path, steps)
            with signals_deferred() as pending:
                staging.commit()
    except KeyboardInterrupt as e:
        steps.stop()
        staging.abort()
        print(f"forecast: interrupted; nothing written ({out} unchanged)", file=sys.stderr)
        return (128 + e.signum if isinstance(e, Terminated) else EXIT_INTERRUPTED), None, []
    except OutputError as e:  # the target changed during the run
        steps.stop()
        staging.abort()
        print(f"forecast: cannot write the {what} to {out}: {e}; nothing written", file=sys.stderr)
        return EXIT_BAD_INPUT, None, []
    except OSError as e:
        steps.stop()
        staging.abort()
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(
            f"forecast: no space left on the device while writing the {what} to {out}; "
            f"nothing written ({out} unchanged)",
            file=sys.stderr,
        )
        return EXIT_FAILURE, None, []
    except BaseException:
        steps.stop()
        staging.abort()
        raise
    steps.stop()
    return EXIT_OK, result, pending


# --- where independent runs go (--workers / --scheduler) ---------------------------


def cluster_problems(workers: int | None, scheduler: str | None) -> list[Problem]:
    """What is wrong with ``--workers``/``--scheduler`` (checked before any work).

    Examples
    --------
    >>> [str(p) for p in cluster_problems(-1, None)]
    ['--workers: must be 0 (in-process) or more (got -1)']
    """
    if scheduler is None and workers is not None and workers < 0:
        return [Problem.with_value("--workers", "", "must be 0 (in-process) or more", workers)]
    if scheduler is not None:
        # the sweep's check: a malformed or unsupported address is refused before any work
        from forecast.analysis.sweep_arguments import scheduler_problem

        problem = scheduler_problem(scheduler)
        return [problem] if problem is not None else []
    return []


def executor_for(workers: int | None, scheduler: str | None) -> Executor | None:
    """The executor ``--workers``/``--scheduler`` ask for, or None to run here (no
    flag, or ``--workers 0``). ``--scheduler`` wins over ``--workers``.

    Raises :class:`OSError` (or :class:`TimeoutError`) when the scheduler cannot
    be reached. Close the executor when done.

    Examples
    --------
    >>> executor_for(None, None) is None and executor_for(0, None) is None
    True
    """
    from forecast.engine.executor import DaskExecutor

    if scheduler is not None:
        return DaskExecutor.connect(scheduler, timeout=15.0)
    if not workers:
        return None
    return DaskExecutor.local(workers)


# --- terminal output ----------------------------------------------------------------


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


class Steps:
    """Progress on stderr: a live spinner per step on a terminal, one line per step
    otherwise (logs, CI), nothing with ``--quiet``."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.console = console(stderr=True)
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


def print_warnings(console: Any, warnings: Sequence[str], strict: bool) -> None:
    from rich.panel import Panel

    body = "\n".join(f"• {w}" for w in warnings)
    conflicts = all(w.startswith("Prior–data conflict") for w in warnings)  # no diagnostics among them
    title = "PRIOR–DATA CONFLICT" if conflicts else "INFERENCE DIAGNOSTICS MISSED THEIR THRESHOLDS"
    title += " (--strict: exit 3)" if strict else ""
    console.print(Panel(body, title=title, border_style="bold red", style="red"))
