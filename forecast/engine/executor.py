"""Run many independent jobs in this process or on a Dask cluster, the same way.

A sweep, a comparison or any other batch of independent simulations hands its jobs
to an :class:`Executor` and gets ``(index, result)`` pairs back as they finish. The
jobs carry data (a scenario's resolved inputs, draws, seed), never compiled objects:
each worker process compiles a simulator once per model structure and reuses it
(:func:`forecast.engine.forward.simulator` caches it per process), so shipping
data is what lets a worker's later jobs start warm.

Three executors:

- :class:`InProcess`: a plain loop, in order; no Dask involved.
- :class:`OnDemand`: the loop first, and a cluster (``forecast sweep --workers N``'s
  ``LocalCluster``) only once the jobs left would take longer here than starting it
  costs; a few short jobs never pay for worker processes that each import PyMC and
  load their simulator.
- :class:`DaskExecutor`: a :class:`distributed.Client`, either on a
  :class:`distributed.LocalCluster` of worker processes started here (forked from a
  fork server that has imported forecast and loaded the jobs' simulators once, so a
  worker starts in a fraction of a second: :mod:`forecast.analysis.worker_preload`)
  or on an existing scheduler (``--scheduler ADDRESS``). A
  bounded number of jobs is in flight at a time (twice the worker threads), so a
  10,000-job batch does not sit in the scheduler's memory with its inputs, and
  results are handed over as they finish. A worker that dies is replaced by its
  nanny and its jobs run again elsewhere (Dask's ``distributed.scheduler.allowed-failures``
  bounds how often one job may take a worker down before it is given up).

Results never depend on which executor ran them: a job's randomness must come from
its own inputs (its seed), not from the worker or the order.

Who hands jobs to it: ``forecast sweep`` (a case a job,
:func:`forecast.analysis.sweep.run_case`), ``forecast compare`` and
``Comparison.simulate`` (a scenario a job, :func:`forecast.analysis.comparison.simulate_job`),
the tornado (a one-at-a-time run a job, :func:`forecast.analysis.tornado.tornado_job`)
and the simulation-based calibration check (a NUTS fit a job,
:func:`forecast.engine.sbc.fit_job`).

Examples
--------
>>> with InProcess() as ex:
...     sorted(ex.map(abs, [-2, 1, -3]))
[(0, 2), (1, 1), (2, 3)]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class JobFailed(Exception):
    """A job raised, or took down its worker too often; ``index`` says which job."""

    def __init__(self, index: int, error: BaseException):
        self.index = index
        self.error = error
        super().__init__(f"job {index}: {type(error).__name__}: {error}")


class Executor(Protocol):
    """Runs ``fn`` over items and yields ``(index, result)`` as jobs finish."""

    #: what runs the jobs, for progress lines ("in-process", "LocalCluster: 2 workers")
    description: str
    #: the Dask dashboard of a cluster, when there is one to look at
    dashboard: str | None

    def map(
        self, fn: Callable[[Any], Any], items: Sequence[Any], *, keys: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Any | JobFailed]]: ...

    def close(self) -> None: ...


class InProcess:
    """Run every job here, one after the other, in order.

    A job that raises yields a :class:`JobFailed` in its place (like a Dask job),
    except for ``KeyboardInterrupt`` and ``SystemExit``, which stop the loop.

    Examples
    --------
    >>> list(InProcess().map(len, ["ab", "c"]))
    [(0, 2), (1, 1)]
    """

    description = "in-process"
    dashboard: str | None = None

    def map(
        self, fn: Callable[[Any], Any], items: Sequence[Any], *, keys: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Any | JobFailed]]:
        for i, item in enumerate(items):
            try:
                yield i, fn(item)
            except Exception as e:
                yield i, JobFailed(i, e)

    def close(self) -> None:
        pass

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OnDemand:
    """Run jobs here, and start a cluster for the rest only when it pays for itself.

    A local worker process costs seconds before its first job (importing PyMC,
    loading its simulator from the disk cache: about 4 s of CPU, 5-10 s of wall on
    a busy 2-core machine, ``benchmarks/sweep.py``), which a few short jobs never
    win back. So the jobs run here, in order, timed; once two have run and the
    median time of those after the first (the first carries this process's own
    start-up) times the jobs left exceeds ``worth`` seconds, ``start()`` makes the
    cluster and it gets every job not yet run. Results do not depend on where a job
    ran (see the module doc), so neither do the tables built from them.

    Examples
    --------
    >>> with OnDemand(lambda: InProcess(), worth=60.0) as ex:
    ...     sorted(ex.map(abs, [-2, 1]))
    [(0, 2), (1, 1)]
    """

    dashboard: str | None = None

    def __init__(self, start: Callable[[], Executor], *, worth: float = 10.0, what: str = "a cluster"):
        self.start, self.worth = start, worth
        self.cluster: Executor | None = None
        self.description = f"in this process, then {what} if the cases left would take over {worth:g} s here"

    def map(
        self, fn: Callable[[Any], Any], items: Sequence[Any], *, keys: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Any | JobFailed]]:
        seconds: list[float] = []
        left = 0
        clock = time.perf_counter()
        for i, result in InProcess().map(fn, items):
            seconds.append(time.perf_counter() - clock)
            yield i, result
            left = len(items) - i - 1
            if left and len(seconds) >= 2 and statistics.median(seconds[1:]) * left > self.worth:
                break
            clock = time.perf_counter()  # the caller's work on a result is not the job's
        else:
            return
        rest = list(range(len(items) - left, len(items)))
        self.cluster = self.start()
        self.description = self.cluster.description
        sub = None if keys is None else [keys[j] for j in rest]
        for j, result in self.cluster.map(fn, [items[k] for k in rest], keys=sub):
            yield rest[j], JobFailed(rest[j], result.error) if isinstance(result, JobFailed) else result

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> OnDemand:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class DaskExecutor:
    """Run jobs on a Dask cluster through a :class:`distributed.Client`.

    Build it with :meth:`local` (a ``LocalCluster`` of worker processes, closed
    with the executor) or :meth:`connect` (an existing scheduler, left running).

    Examples
    --------
    >>> with DaskExecutor.local(workers=2) as ex:  # doctest: +SKIP
    ...     dict(ex.map(abs, [-1, -2]))
    {0: 1, 1: 2}
    """

    client: Any
    cluster: Any = None  # owned: closed with the executor
    description: str = "Dask"
    dashboard: str | None = None
    in_flight: int | None = None  # default: twice the worker threads (at least 4)
    only: list[str] | None = None  # run on these workers (addresses) only
    forked: bool = False  # its workers came from the fork server (released on close)

    def on(self, addresses: Sequence[str]) -> DaskExecutor:
        """The same cluster, with jobs restricted to the workers at ``addresses``
        (not owned: closing it leaves the cluster running).

        Examples
        --------
        >>> first = sorted(ex.workers())[:1]  # doctest: +SKIP
        >>> one = ex.on(first)  # doctest: +SKIP
        """
        return DaskExecutor(
            self.client, None, f"{self.description} (only {', '.join(addresses)})", only=list(addresses)
        )

    @classmethod
    def local(
        cls, workers: int | None = None, *, threads_per_worker: int = 1, warm: Sequence[str] = ()
    ) -> DaskExecutor:
        """A ``LocalCluster`` of ``workers`` processes (default: the CPUs, at most 4).

        Worker processes, not threads: a simulation holds the GIL in places and each
        process keeps its own compiled simulators. They are forked from a fork server
        (started here, once, stopped with the last such cluster) that has imported
        forecast and PyMC and loaded the simulator of each resolved scenario TOML in
        ``warm`` (:mod:`forecast.analysis.worker_preload`): a worker spawned fresh spends
        about 4 s of CPU on that before its first job, each. A worker the nanny
        restarts after a crash is spawned fresh. Its dashboard listens on a free port
        (:attr:`dashboard` is left empty: nobody watches a laptop's sweep there), and
        the monitors that would feed it run rarely or not at all (:data:`LOCAL_CONFIG`).
        """
        import multiprocessing

        import dask
        from distributed import Client, LocalCluster

        n = workers if workers is not None else max(1, min(4, os.cpu_count() or 1))
        # no fork server on Windows: Dask's default there, workers spawned fresh
        forked = "forkserver" in multiprocessing.get_all_start_methods()
        if forked:
            _start_fork_server(warm)
        config = {
            **LOCAL_CONFIG,
            **({"distributed.worker.multiprocessing-method": "forkserver"} if forked else {}),
        }
        try:
            # read by the scheduler and the nannies as they start, and handed by each nanny
            # to its worker: this cluster's processes only, never a --scheduler one
            with dask.config.set(config):
                cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=threads_per_worker,
                    processes=True,
                    # a free port, never a fixed one: two clusters (or another program on
                    # 8787) must not collide
                    dashboard_address=":0",
                    # Dask's own log lines never reach the user: a job's failure comes back
                    # as a JobFailed the command reports, and a worker still finishing its
                    # job when the command stops (SIGTERM, Ctrl-C) logs its heartbeat to a
                    # scheduler already gone at ERROR, with a traceback
                    silence_logs=logging.CRITICAL,
                    # a sweep's worker holds one case's draws at a time; Dask's memory
                    # manager would otherwise pause or restart it near the default limit
                    memory_limit=0,
                )
        except BaseException:
            if forked:
                _release_fork_server()
            raise
        try:
            client = Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            if forked:
                _release_fork_server()
            raise
        return cls(
            client, cluster, f"LocalCluster: {n} worker process{'es' if n != 1 else ''}", forked=forked
        )

    @classmethod
    def connect(cls, address: str, *, timeout: float = 10.0) -> DaskExecutor:
        """A client of the scheduler at ``address`` (``tcp://host:8786``).

        Raises :class:`OSError` when it cannot connect, :class:`TimeoutError` when it
        does not answer: Dask's ``timeout`` covers the TCP connection, but a server that
        accepts and never speaks would hold the caller for ever, so the attempt runs on
        a daemon thread given ``timeout + 5`` seconds (one that never returns is left
        behind, not waited for).
        """
        import threading

        from distributed import Client

        out: dict[str, Any] = {}

        def attempt() -> None:
            try:
                client = Client(address, timeout=timeout, set_as_default=False)
                n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
                out["executor"] = cls(
                    client, None, f"Dask scheduler {address}: {n} workers", client.dashboard_link
                )
            except BaseException as e:  # handed to the caller's thread
                out["error"] = e

        thread = threading.Thread(target=attempt, name="forecast-connect", daemon=True)
        thread.start()
        thread.join(timeout + 5)
        if thread.is_alive():
            raise TimeoutError(f"no answer within {timeout + 5:g} s (is it a Dask scheduler?)")
        if "error" in out:
            raise out["error"]
        return out["executor"]

    def workers(self) -> dict[str, int]:
        """Worker address -> process id (for tests that kill one)."""
        return dict(self.client.run(os.getpid))

    def map(
        self, fn: Callable[[Any], Any], items: Sequence[Any], *, keys: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Any | JobFailed]]:
        """Submit jobs (a bounded number in flight), yield results as they finish.

        ``keys`` name the jobs on the dashboard; they must be unique (a hash of
        the job's inputs is a good key). Without them Dask picks random keys.
        """
        from distributed import as_completed

        if keys is not None and len(keys) != len(items):
            raise ValueError("one key per item")
        limit = self.in_flight or max(4, 2 * self._threads())
        index: dict[str, int] = {}
        todo = iter(range(len(items)))

        def submit(i: int) -> Any:
            key = None if keys is None else f"{keys[i]}-{i}"
            fut = self.client.submit(fn, items[i], key=key, pure=False, workers=self.only)
            index[fut.key] = i
            return fut

        first = [submit(i) for _, i in zip(range(limit), todo, strict=False)]
        running = as_completed(first, loop=self.client.loop)
        try:
            for fut in running:
                i = index.pop(fut.key)
                try:
                    result: Any = fut.result()
                except Exception as e:  # the job raised, or killed workers too often
                    result = JobFailed(i, e)
                fut.release()
                nxt = next(todo, None)
                if nxt is not None:
                    running.add(submit(nxt))
                yield i, result
        finally:
            # stopped early (interrupt, error in the caller): leave no work behind
            for fut in list(running.futures):
                fut.cancel()

    def _threads(self) -> int:
        try:
            threads = self.client.nthreads()
            if self.only is not None:
                threads = {k: v for k, v in threads.items() if k in self.only}
            return sum(threads.values()) or 1
        except Exception:
            return 1

    def close(self) -> None:
        if self.cluster is None and self.only is not None:
            return  # a view of another executor's cluster (see :meth:`on`)
        try:
            self.client.close()
        finally:
            try:
                if self.cluster is not None:
                    self.cluster.close()
            finally:
                if self.forked:
                    self.forked = False
                    _release_fork_server()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Dask settings of a local cluster (:meth:`DaskExecutor.local`): its monitors feed a
#: dashboard nobody reads here (``bokeh`` is not even installed) and log lines that are
#: silenced, yet sampled every few milliseconds in every process for the whole run:
#: each worker's statistical profiler (a thread sampling the stack every 10 ms), the
#: event loop's health tick (every 20 ms in the scheduler, each nanny and each worker)
#: and the system monitor (CPU, memory and disk every 0.5 s in each)
LOCAL_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


# --- the fork server local workers start from ---------------------------------------------

#: what the fork server imports first (a module of a later stage: named, not imported here)
PRELOAD = "forecast.analysis.worker_preload"
#: the environment variable that hands it the scenarios to warm (JSON: resolved TOML texts)
WARM_ENV = "FORECAST_WORKER_WARM"
_FORK_LOCK = threading.Lock()
_FORK_USERS = 0  # open local clusters whose workers come from the fork server


def _start_fork_server(warm: Sequence[str]) -> None:
    """Start multiprocessing's fork server, preloaded with
    :data:`PRELOAD` and the simulators of ``warm`` (resolved
    scenario TOML texts), unless it runs already (then it is used as it is: a worker
    loads a structure the server did not itself). Counted: :func:`_release_fork_server`
    stops it when the last cluster using it closes, so no process outlives its cluster."""
    import multiprocessing
    from multiprocessing import forkserver

    global _FORK_USERS
    with _FORK_LOCK:
        multiprocessing.get_context("forkserver").set_forkserver_preload([PRELOAD])
        previous = os.environ.get(WARM_ENV)
        # the server reads it from its environment (inherited when it starts); not left set here
        os.environ[WARM_ENV] = json.dumps(list(dict.fromkeys(warm)))
        try:
            forkserver.ensure_running()
        finally:
            if previous is None:
                del os.environ[WARM_ENV]
            else:
                os.environ[WARM_ENV] = previous
        _FORK_USERS += 1


def _release_fork_server() -> None:
    """One cluster fewer uses the fork server; the last one stops it and waits for it
    (5 s, then SIGTERM: a server still in its preload is not waited for longer)."""
    from multiprocessing import forkserver

    global _FORK_USERS
    with _FORK_LOCK:
        _FORK_USERS = max(0, _FORK_USERS - 1)
        if _FORK_USERS:
            return
        server = forkserver._forkserver
        pid, stop = getattr(server, "_forkserver_pid", None), getattr(server, "_stop", None)
        if pid is None or stop is None:
            return
        # its _stop closes the pipe that keeps it alive, then waits for it to exit
        waiter = threading.Thread(target=stop, name="forecast-forkserver-stop", daemon=True)
        waiter.start()
        waiter.join(5.0)
        if waiter.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            waiter.join(5.0)


def local_cluster_on_demand(workers: int, *, warm: Sequence[str] = (), worth: float = 10.0) -> Executor:
    """What ``workers`` local worker processes mean everywhere (``forecast sweep``,
    ``forecast compare``, :func:`forecast.sweep`): 0 runs the jobs here
    (:class:`InProcess`); more starts the jobs here and a ``LocalCluster`` of that
    many workers, warmed with ``warm``, only once the jobs left would take more than
    ``worth`` seconds here (:class:`OnDemand`).

    Examples
    --------
    >>> local_cluster_on_demand(0).description
    'in-process'
    >>> local_cluster_on_demand(2).description
    'in this process, then a LocalCluster of 2 workers if the cases left would take over 10 s here'
    """
    if workers == 0:
        return InProcess()
    return OnDemand(
        lambda: DaskExecutor.local(workers, warm=warm),
        worth=worth,
        what=f"a LocalCluster of {workers} worker{'s' if workers != 1 else ''}",
    )
