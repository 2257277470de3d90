"""Exceedance curves: ``P(X > x)`` over a grid of ``x`` for any scalar target.

A target is any string :func:`~forecast.analysis.sensitivity.parse_target` resolves
(``total@2028``, ``market.<id>@<year>``, ``revenue.<position>@<year>``, and whatever
kinds it learns later, such as metrics), so a new kind of target gets its curve with
no change here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from forecast.analysis.results import mcse_floor

if TYPE_CHECKING:
    import pandas as pd

    from forecast.analysis.results import Forecast

GRID_POINTS = 101
#: the grid spans these quantiles of the draws: beyond them P(X > x) is within 0.5% of 0 or 1
GRID_QUANTILES = (0.005, 0.995)


def exceedance(fc: Forecast, target: str, points: int = GRID_POINTS) -> pd.DataFrame:
    """``P(X > x)`` with its Monte Carlo error on ``points`` values of ``x``.

    The grid runs evenly between the 0.5th and 99.5th percentiles of the draws. The
    error is ``sqrt(p (1 - p) / ESS)`` (ESS the draws' count for forward simulation,
    the target's bulk ESS after NUTS), never below the rule of three ``3 / n``.

    Examples
    --------
    >>> import forecast
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000)  # doctest: +SKIP
    >>> fc.exceedance("total@2027").columns.tolist()  # doctest: +SKIP
    ['target', 'x', 'probability', 'mcse']
    """
    import pandas as pd

    from forecast.analysis.sensitivity import parse_target

    t = parse_target(fc.scenario, target)
    y = np.asarray(t.of(fc), dtype=float)
    n = len(y)
    lo, hi = np.quantile(y, GRID_QUANTILES)
    x = np.linspace(lo, hi, max(int(points), 2))
    # P(X > x) for every x at once: the share of sorted draws above each
    p = 1.0 - np.searchsorted(np.sort(y), x, side="right") / n
    ess = float(n)
    if fc.conditioned and np.ptp(y) > 0:
        import arviz_stats as azs

        ess = float(azs.ess(y.reshape(fc.draws.sizes["chain"], -1), method="bulk"))
    mcse = np.maximum(np.sqrt(p * (1 - p) / ess), mcse_floor(n))
    return pd.DataFrame({"target": t.spec, "x": x, "probability": p, "mcse": mcse})
