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

from importlib import metadata
from pathlib import Path

# Imported eagerly (the module needs only numpy and the scenario layer; PyMC is imported
# inside its functions): a lazy wrapper function here was rebound to the submodule the
# first time ``forecast.simulate`` (the module) was imported, so the second
# ``forecast.simulate(...)`` call failed with "'module' object is not callable".
from forecast.analysis.comparison import Comparison
from forecast.analysis.results import Forecast, simulate
from forecast.errors import Problem, ScenarioError
from forecast.scenario import Scenario, load

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


__all__ = [
    "Comparison",
    "Forecast",
    "Problem",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled",
    "bundled_names",
    "load",
    "simulate",
]
