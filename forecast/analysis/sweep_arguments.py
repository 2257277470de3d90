"""What a sweep is asked to do, checked before any work: the same checks for
``forecast sweep`` and :func:`forecast.sweep`.

A sweep that cannot be run is refused with every reason at once (a
:class:`~forecast.errors.Problem` list, exit 2 on the command line), before a case is
resolved, a process is started or a file is written: a malformed scheduler address,
more workers than the machine has cores, a grid with more cases than ``max_cases``
(counted, not resolved one by one).

Examples
--------
>>> [str(p) for p in sweep_problems(workers=-1)]
['workers: must be 0 (in-process) or more (got -1)']
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from forecast.errors import Problem

#: most cases a sweep runs unless told otherwise (``--max-cases``): each case is a
#: full forecast, so 10,000 is already hours on a laptop
MAX_CASES = 10_000
#: ``tcp://host:port`` (``tls://`` too), or ``host:port``; the host a name, IPv4 or [IPv6]
_ADDRESS = re.compile(r"^(?:(?:tcp|tls)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})$")


def max_workers() -> int:
    """The cores this process may use: the most local workers a sweep starts.

    Examples
    --------
    >>> max_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def scheduler_problem(address: object, where: str = "--scheduler") -> Problem | None:
    """Why ``address`` is not a Dask scheduler address a sweep can use, or None.

    Examples
    --------
    >>> scheduler_problem("tcp://10.0.0.5:8786") is None, scheduler_problem("localhost:8786") is None
    (True, True)
    >>> str(scheduler_problem("http://host:8786"))
    "--scheduler: expected an address like tcp://host:8786 (got 'http://host:8786')"
    """
    m = _ADDRESS.match(address.strip()) if isinstance(address, str) else None
    if m is None or not 0 < int(m["port"]) < 65536:
        return Problem.with_value(where, "", "expected an address like tcp://host:8786", address)
    return None


def count_cases(grid: Mapping[str, Sequence[Any]], n_scenarios: int = 1) -> int:
    """How many cases a grid makes (without resolving any).

    Examples
    --------
    >>> count_cases({"a": [1, 2, 3], "b": [1, 2]}, n_scenarios=2)
    12
    """
    return n_scenarios * math.prod(len(v) for v in grid.values())


def sweep_problems(
    *,
    workers: Any = None,
    scheduler: Any = None,
    draws: Any = None,
    seed: Any = None,
    cases: int | None = None,
    max_cases: Any = MAX_CASES,
    flag: str = "",
) -> list[Problem]:
    """Every reason the arguments of a sweep cannot be run (empty when they can).

    ``flag`` is ``"--"`` on the command line (``--workers``), ``""`` in Python.
    """
    out: list[Problem] = []

    def whole(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if scheduler is not None:
        problem = scheduler_problem(scheduler, f"{flag}scheduler")
        out += [problem] if problem else []
    elif workers is not None:
        cap = max_workers()
        if not whole(workers) or workers < 0:
            out.append(Problem.with_value(f"{flag}workers", "", "must be 0 (in-process) or more", workers))
        elif workers > cap:
            out.append(
                Problem.with_value(
                    f"{flag}workers", "", f"at most {cap}, the cores this machine gives this process", workers
                )
            )
    if draws is not None and (not whole(draws) or draws < 100):
        out.append(Problem.with_value(f"{flag}draws", "", "must be at least 100", draws))
    if seed is not None and (not whole(seed) or seed < 0):
        out.append(Problem.with_value(f"{flag}seed", "", "must be 0 or more", seed))
    if not whole(max_cases) or max_cases < 1:
        out.append(Problem.with_value(f"{flag}max-cases", "", "must be 1 or more", max_cases))
    elif cases is not None and cases > max_cases:
        out.append(
            Problem(
                "sweep",
                "cases",
                f"{cases:,} is more than --max-cases ({max_cases:,}); "
                "sweep fewer values, or raise --max-cases if you mean it",
            )
        )
    return out


#: seconds to wait for a scheduler to answer: Dask's own timeout covers the TCP
#: connection, but a server that accepts and never speaks held a sweep for ever
CONNECT_SECONDS = 15.0


def connect(address: str, seconds: float = CONNECT_SECONDS) -> Any:
    """A :class:`~forecast.engine.executor.DaskExecutor` on the scheduler at ``address``,
    or :class:`TimeoutError` after ``seconds`` without an answer (:class:`OSError` when
    it refuses): :meth:`DaskExecutor.connect` bounds the handshake itself.
    """
    from forecast.engine.executor import DaskExecutor

    return DaskExecutor.connect(address, timeout=seconds)
