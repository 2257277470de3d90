"""forecast: probabilistic scenario forecasting for strategists, on PyMC.

The public API: :func:`load` a scenario file (a :class:`Scenario`),
:meth:`Scenario.with_overrides` to change it, :func:`simulate` it into a
:class:`Forecast` (tables as DataFrames, the draws as an ArviZ-style
``xarray.DataTree`` in ``Forecast.data``), and :class:`Comparison` to set several
scenarios side by side. :func:`bundled` finds the scenarios that ship with the package.

Examples
--------
>>> import forecast
>>> scenario = forecast.load(forecast.bundled("deepseek"))
>>> fc = forecast.simulate(scenario, draws=2000, seed=1)  # doctest: +SKIP
>>> fc.outcomes()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

# Imported eagerly: these modules need only numpy, pandas and the scenario layer (PyMC,
# ArviZ and matplotlib are imported inside the functions that use them).
from forecast.analysis.comparison import Comparison
from forecast.analysis.pool import Pool, pool
from forecast.analysis.results import Forecast, simulate
from forecast.analysis.sweep import sweep
from forecast.errors import Problem, ScenarioError
from forecast.scenario import Scenario, load

if TYPE_CHECKING:
    import pandas as pd

try:
    # the one place the version is written is pyproject.toml; an install records it
    __version__ = metadata.version("forecast")
except metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

# In a wheel the scenarios are package data (forecast/scenarios); in the repository,
# and so in an editable install, they sit beside the package.
_SCENARIO_FOLDERS = (
    Path(__file__).resolve().parent / "scenarios",
    Path(__file__).resolve().parent.parent / "scenarios",
)


def bundled(name: str = "deepseek") -> Path:
    """Path of a scenario shipped with the package (``deepseek``, ``deepseek-bull``, ...).

    Works the same from a source checkout and from an installed wheel.

    Examples
    --------
    >>> bundled("deepseek").name
    'deepseek.toml'
    >>> "ev-charging" in bundled_names()
    True
    """
    for folder in _SCENARIO_FOLDERS:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no bundled scenario named {name!r} (bundled: {', '.join(bundled_names())})")


def bundled_names() -> list[str]:
    """Names of the scenarios shipped with the package, for :func:`bundled`."""
    for folder in _SCENARIO_FOLDERS:
        names = sorted(p.stem for p in folder.glob("*.toml"))
        if names:
            return names
    return []


def history(
    versions: Sequence[str | Path | Forecast], *, draws: int | None = None, seed: int | None = None
) -> pd.DataFrame:
    """How a scenario's odds moved across its dated versions (``forecast history``).

    Parameters
    ----------
    versions : sequence of path or Forecast
        Versions of one scenario: scenario files (simulated with their own draws and
        seed unless ``draws``/``seed`` are given), report folders written by
        ``forecast run``, or forecasts already simulated. Any order: they are sorted
        by ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per version and outcome or prediction (see
        :meth:`forecast.analysis.history.History.table`).

    Examples
    --------
    >>> h = history([bundled("deepseek"), bundled("history/deepseek-2025-06")])  # doctest: +SKIP
    >>> h.pivot(index="id", columns="as_of", values="probability")  # doctest: +SKIP
    """
    from forecast.analysis.history import History

    return History.load(versions, draws=draws, seed=seed).table()


def score(
    versions: Sequence[str | Path | Forecast],
    resolutions: str | Path,
    *,
    baseline: str = "uniform",
    draws: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Scores of a scenario's versions against what happened (``forecast score``).

    Parameters
    ----------
    versions : sequence of path or Forecast
        As for :func:`history`.
    resolutions : path
        A resolutions file, TOML or CSV (see :mod:`forecast.analysis.resolutions`).
    baseline : {"uniform", "previous"}
        What the Brier and log scores are compared with.

    Returns
    -------
    pandas.DataFrame
        One row per version and resolved statement: Brier and log scores for
        predictions and outcomes, CRPS, PIT and log score for observed quantities (see
        :meth:`forecast.analysis.scorecard.Scorecard.table`).

    Examples
    --------
    >>> s = score([bundled("deepseek")], bundled("history/resolutions"))  # doctest: +SKIP
    >>> s[["statement", "probability", "brier"]]  # doctest: +SKIP
    """
    from forecast.analysis.scorecard import Scorecard

    card = Scorecard.load(versions, resolutions, baseline=baseline, draws=draws, seed=seed)  # type: ignore[arg-type]
    return card.table()


__all__ = [
    "Comparison",
    "Forecast",
    "Pool",
    "Problem",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled",
    "bundled_names",
    "history",
    "load",
    "pool",
    "score",
    "simulate",
    "sweep",
]
