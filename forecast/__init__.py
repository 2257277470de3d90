"""forecast: probabilistic scenario forecasting for strategists, on PyMC.

Examples
--------
>>> import forecast
>>> scenario = forecast.load(forecast.bundled("deepseek"))
>>> fc = forecast.simulate(scenario, draws=2000, seed=1)  # doctest: +SKIP
>>> fc.outcomes()  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

# Imported eagerly (the module needs only numpy and the scenario layer; PyMC is imported
# inside its functions): a lazy wrapper function here was rebound to the submodule the
# first time ``forecast.simulate`` (the module) was imported, so the second
# ``forecast.simulate(...)`` call failed with "'module' object is not callable".
from forecast.analysis.results import simulate
from forecast.analysis.sweep import sweep
from forecast.errors import Problem, ScenarioError
from forecast.scenario import Scenario, load

__version__ = "0.1.0"

_REPO_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def bundled(name: str = "deepseek") -> Path:
    """Path of a scenario shipped with the package (``deepseek``, ``deepseek-bull``, ...).

    Examples
    --------
    >>> bundled("deepseek").name
    'deepseek.toml'
    """
    for folder in (Path(__file__).resolve().parent / "scenarios", _REPO_SCENARIOS):
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no bundled scenario named {name!r}")


__all__ = ["Problem", "Scenario", "ScenarioError", "__version__", "bundled", "load", "simulate", "sweep"]
