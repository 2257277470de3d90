"""forecast: probabilistic scenario forecasting for strategists, on PyMC.

Examples
--------
>>> import forecast
>>> scenario = forecast.load(forecast.bundled("deepseek"))
>>> fc = forecast.simulate(scenario, draws=2000, seed=1)  # doctest: +SKIP
>>> fc.outcomes()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Imported eagerly (the module needs only numpy and the scenario layer; PyMC is imported
# inside its functions): a lazy wrapper function here was rebound to the submodule the
# first time ``forecast.simulate`` (the module) was imported, so the second
# ``forecast.simulate(...)`` call failed with "'module' object is not callable".
from forecast.analysis.results import simulate
from forecast.errors import Problem, ScenarioError
from forecast.scenario import Scenario, load

if TYPE_CHECKING:
    import pandas as pd

    from forecast.analysis.results import Forecast

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
    "Problem",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled",
    "history",
    "load",
    "score",
    "simulate",
]
