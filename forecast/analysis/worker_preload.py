"""What a local Dask worker process starts from: imported (and warmed) once, then forked.

:meth:`forecast.engine.executor.DaskExecutor.local` starts its worker processes from
a multiprocessing fork server that imports this module first. Importing it imports
``distributed``, PyTensor and forecast, and compiles (in practice: loads from the
disk caches) the forward simulator of every scenario named in the environment
variable :data:`~forecast.engine.executor.WARM_ENV` (a JSON list of resolved scenario
TOML texts) with a 100-draw prior-only simulation, as ``forecast warm`` does. Every
worker forked from the server then starts with those imports done and those
simulators loaded: well under a second of CPU before its first job instead of about
4 s (``benchmarks/README.md``, session 8).

Nothing a worker computes depends on it: a job loads its own data and seed into the
simulator (the cache is per structure), as a second job in one process does.

The server builds its simulators without Python's garbage collector (which took about
a third of its CPU) and freezes what it built (:func:`gc.freeze`), so its workers'
collectors never scan it. It ends without Python's finalization (:func:`exit_now`): tearing down
PyTensor's and numba's modules cost about 1 s of CPU after every local cluster, for a
process that holds nothing to write or release (its workers end the same way, with
``os._exit``, as multiprocessing's fork server has them).

Its workers ignore SIGINT: Ctrl-C stops the command, which closes its cluster (a
worker whose command was killed outright exits with it, as Dask's do). It never
raises: a fork server whose preload failed would start no worker at all, so
a failure (or Ctrl-C while the server starts) leaves the worker to import and compile
on its own, as a freshly spawned one does.

Examples
--------
>>> WARM_ENV
'FORECAST_WORKER_WARM'
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import sys

from forecast.engine.executor import WARM_ENV


def preload(texts: list[str]) -> None:
    """Import what a worker needs and load the simulator of each scenario in ``texts``.

    Examples
    --------
    >>> import forecast
    >>> preload([forecast.load(forecast.bundled()).to_toml()])  # doctest: +SKIP
    """
    import tomllib

    import distributed  # noqa: F401  (a worker's own imports, done once here)

    from forecast.analysis import comparison, sweep  # noqa: F401  (the jobs' modules)
    from forecast.analysis.results import simulate
    from forecast.scenario import Scenario

    for text in texts:
        scenario = Scenario.from_dict(tomllib.loads(text), origin="worker warm-up")
        simulate(scenario, draws=100, prior_only=True)


def exit_now() -> None:
    """End this process at once, its output flushed: no later exit handler, no module
    teardown (registered last, so it runs first; the fork server's only).

    Examples
    --------
    >>> atexit.register(exit_now)  # doctest: +SKIP
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


if WARM_ENV in os.environ:  # set for the fork server only: importing it elsewhere does nothing
    # read once and removed: the workers forked from here inherit the environment;
    # every exception, Ctrl-C too, on purpose (see the module doc)
    # no garbage collection while it builds PyTensor's graphs (a third of its CPU), then
    # its heap frozen out of the collector: the forked workers never scan (nor copy) it;
    # on again for the workers (gc.freeze's documented use before fork)
    gc.disable()
    with contextlib.suppress(BaseException):
        preload(json.loads(os.environ.pop(WARM_ENV)))
    gc.freeze()
    gc.enable()
    # Ctrl-C reaches the whole process group: the command stops its cluster itself (its
    # nannies close the workers); a worker interrupted on its own would only log errors
    # about a scheduler gone. The fork server hands this disposition to every worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(exit_now)
