"""Memory a run needs, estimated before it starts, and refused when it cannot fit.

``--draws 10000000`` grew to 23.7 GB until the kernel killed it after 8 minutes; 20
markets over 100 years at 10M draws failed with ``MemoryError`` (exit 1). The draws
of every recorded output (:data:`forecast.engine.model.OUTPUTS`) are 8 bytes per
value; a run peaks at about :data:`PEAK_FACTOR` times what it keeps (measured on the
seed scenario: the kept draws, the netCDF image written from memory, the summaries'
sorted copies, the figures) plus :data:`BASE_BYTES` for the libraries and the
compiled model. A run that would not fit in the memory available now (the machine's,
or its cgroup limit's) is refused up front with the largest number of draws that fits.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled("deepseek"))
>>> memory_needed(s, 20_000) < 2**30
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forecast.errors import Problem, ScenarioError
from forecast.scenario import Scenario

PEAK_FACTOR = 4.0
BASE_BYTES = 600 * 2**20
MIN_DRAWS = 100  # simulation.draws' lower bound


def bytes_per_draw(scenario: Scenario, coords: Mapping[str, Any] | None = None) -> int:
    """Bytes one draw of every recorded output takes (``coords``: ``model_data(scenario).coords``
    when the caller has them: building the model's data again costs ~8 ms)."""
    from forecast.engine.data import model_data
    from forecast.engine.model import OUTPUTS

    coords = model_data(scenario).coords if coords is None else coords
    sizes = {name: len(values) for name, values in coords.items()}
    return sum(8 * math.prod(sizes.get(d, 1) for d in dims) for dims in OUTPUTS.values())


def kept_draws(scenario: Scenario, draws: int, prior_only: bool = False) -> int:
    """Draws kept in memory: the prior's, plus the posterior's when NUTS runs."""
    if not scenario.has_evidence or prior_only:
        return draws
    from forecast.engine.inference import CHAINS, draws_per_chain

    return draws + CHAINS * draws_per_chain(draws)


def memory_needed(
    scenario: Scenario, draws: int, prior_only: bool = False, coords: Mapping[str, Any] | None = None
) -> int:
    """Estimated peak bytes of simulating ``draws`` draws and writing the report."""
    kept = kept_draws(scenario, draws, prior_only)
    return int(BASE_BYTES + PEAK_FACTOR * kept * bytes_per_draw(scenario, coords))


def available_memory() -> int | None:
    """Bytes this process can still use: the least of the machine's available memory
    and its cgroup's remaining limit; ``None`` where neither can be read."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
            found.append(int(limit) - used)
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def check_memory(
    scenario: Scenario,
    draws: int,
    prior_only: bool = False,
    available: int | None = None,
    coords: Mapping[str, Any] | None = None,
) -> None:
    """Raise :class:`~forecast.errors.ScenarioError` when the run cannot fit in memory.

    The message gives the estimate, what is available and the largest number of draws
    that fits (rounded down to two significant digits).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> check_memory(s, 10_000_000, available=4 * 2**30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    forecast.errors.ScenarioError: ...: simulation.draws: 10,000,000 draws need about ... GiB of memory ...
    """
    available = available_memory() if available is None else available
    if available is None:
        return
    need = memory_needed(scenario, draws, prior_only, coords)
    if need <= available:
        return
    per_draw = (
        PEAK_FACTOR * bytes_per_draw(scenario, coords) * kept_draws(scenario, draws, prior_only) / draws
    )
    fit = int((available - BASE_BYTES) / per_draw) if available > BASE_BYTES else 0
    if fit >= 100:
        digits = 10 ** (len(str(fit)) - 2)
        fit = fit // digits * digits
    advice = (
        f"at most {fit:,} draws fit (--draws {fit})"
        if fit >= MIN_DRAWS
        else f"not even {MIN_DRAWS} draws fit: shorten the horizon or drop markets"
    )
    raise ScenarioError(
        [
            Problem(
                scenario.origin,
                "simulation.draws",
                f"{draws:,} draws need about {_size(need)} of memory and {_size(available)} is available; "
                + advice,
            )
        ]
    )


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"
