"""The figure worker of ``forecast run``: the report's figures drawn in a second process.

Started before the simulation (its imports overlap the model's compile), it draws one
figure a job while ``forecast run`` goes on; when the report needs the PNGs, this
process draws every figure the worker has not started (:meth:`FigureWorker.results`),
so the worker never makes a run slower than drawing here. :func:`figure_worker_wanted`
decides whether to start one.

Examples
--------
>>> figure_worker_wanted("0")
False
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any


def figure_worker_wanted(setting: str = "", *, cores: int | None = None, load: float | None = None) -> bool:
    """Whether ``forecast run`` draws its figures in a second process.

    ``setting`` is ``FORECAST_FIGURE_WORKER``: ``"1"`` always, ``"0"`` never; empty
    (the default) decides from the machine: at least two cores usable by this
    process, and at least one of them free now (the cores minus ``load``, the
    processes running beside this one: :func:`busy_cores`). The worker can no longer
    make a run slower (this process draws every figure the worker has not started
    when the report needs it, :meth:`FigureWorker.results`), but it costs ~1.5-2 s of
    CPU to start (a Python process importing matplotlib and pandas), wasted when no
    core is free for it: measured on 2 cores at load ~9, +2 s of CPU and no shorter run.

    Examples
    --------
    >>> figure_worker_wanted("0"), figure_worker_wanted("1")
    (False, True)
    >>> figure_worker_wanted(cores=2, load=0.3), figure_worker_wanted(cores=2, load=1.6)
    (True, False)
    """
    if setting.strip() in ("0", "1"):
        return setting.strip() == "1"
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
    if load is None:
        load = busy_cores()
        if load is None:  # unknown: assume busy, the in-process drawing is never wrong
            return False
    return cores >= 2 and cores - load >= 1.0


def busy_cores() -> float | None:
    """How many processes run beside this one now, or ``None`` when unknown.

    On Linux the count of runnable tasks at this instant (``/proc/loadavg``, this
    process excluded): whether a core is free *now*. The 1-minute load average used
    before lags by a minute, so it still counted a test run that had ended, and it
    counts processes waiting on disk; elsewhere it is the fallback.

    Examples
    --------
    >>> busy_cores() is None or busy_cores() >= 0
    True
    """
    with suppress(OSError, ValueError, IndexError):
        running = Path("/proc/loadavg").read_text().split()[3].split("/")[0]
        return max(int(running) - 1, 0)  # the reading process is one of them
    with suppress(OSError, AttributeError):
        return os.getloadavg()[0]
    return None


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
    >>> from forecast.outputs.figures import draw_tornadoes
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
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(os.getpid(),),
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
        """Every queued job's result, in order.

        The jobs the worker has not started are done here, now, while it finishes
        the one or two it holds; only those are waited for. So the worker never
        makes the run slower than drawing everything in this process (on a busy
        machine it may get little CPU), and a worker that died is replaced by this
        process too.
        """
        from concurrent.futures.process import BrokenProcessPool

        # cancel() succeeds only for a job still in the executor's queue
        here = {
            k: fn(*args)
            for k, (future, fn, args) in enumerate(self._jobs)
            if future is None or future.cancel()
        }
        out: list[Any] = []
        for k, (future, fn, args) in enumerate(self._jobs):
            try:
                out += here[k] if k in here else future.result()
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


def _worker_init(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, however it dies (SIGKILL, the OOM killer).

    On Linux the kernel sends SIGKILL (``prctl(PR_SET_PDEATHSIG)``); elsewhere a
    daemon thread watches the parent id. Either way the worker cannot outlive the
    run (an orphaned figure worker, and the resource tracker it kept alive, lived on
    for 45 minutes after a killed run).
    """
    if sys.platform.startswith("linux"):
        import ctypes

        with suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL) == 0:
                if os.getppid() != parent:  # it died before the call
                    os._exit(1)
                return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="forecast-parent-watch", daemon=True).start()


def _worker_warm_up() -> list[Any]:
    """Import matplotlib and draw a small figure: fonts and text layout get loaded."""
    from matplotlib.figure import Figure

    from forecast.outputs.figures import _png

    fig = Figure(figsize=(2, 1), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="x")
    ax.set_title("warm-up")
    fig.legend(loc="outside lower center")
    _png(fig)
    return []
