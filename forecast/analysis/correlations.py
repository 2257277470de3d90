"""Asked vs achieved rank correlations of ``[[correlation.pairs]]``, from the draws."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from forecast.analysis.results import Forecast
    from forecast.scenario.copula import Latent

#: the recorded variable of each block of base latents: [z_size, z_growth, z_volatility]
BASE_VARIABLES = ("size", "growth", "volatility")


def input_draws(fc: Forecast, latent: Latent) -> np.ndarray:
    """The draws of the input a copula latent drives (a CAGR's: the market's growth)."""
    if latent.block == "share":
        return np.asarray(fc.values("share_anchor")[:, latent.index], dtype=float)
    if latent.block == "input":
        return np.asarray(fc.values("input_value")[:, latent.index], dtype=float)
    n = len(fc.scenario.markets)
    return np.asarray(fc.values(BASE_VARIABLES[latent.index // n])[:, latent.index % n], dtype=float)


def rank_correlations(fc: Forecast) -> pd.DataFrame:
    """One row per pair: ``a, b, asked, used, achieved, se``.

    ``used`` is the rank correlation of the matrix applied (the nearest consistent one
    when ``repair = true`` changed it); ``achieved`` is Spearman's of the draws, with
    its standard error ``(1 - r^2) sqrt((1 + r^2 / 2) / (n - 3))`` (Bonett and Wright,
    on Fisher's scale, mapped back). A CAGR pair's achieved correlation includes the
    common growth factor's (see :mod:`forecast.scenario.copula`).

    Examples
    --------
    >>> rank_correlations(fc).columns.tolist()  # doctest: +SKIP
    ['a', 'b', 'asked', 'used', 'achieved', 'se']
    """
    import pandas as pd
    from scipy import stats

    from forecast.scenario.copula import copula, spearman

    c = copula(fc.scenario)
    used = spearman(c.used)
    rows = []
    for p in fc.scenario.correlation.pairs:
        i, j = c.keys.index(p.a), c.keys.index(p.b)
        x, y = input_draws(fc, c.latents[i]), input_draws(fc, c.latents[j])
        r = float(stats.spearmanr(x, y).statistic) if np.ptp(x) > 0 and np.ptp(y) > 0 else float("nan")
        se = (1 - r**2) * math.sqrt((1 + r**2 / 2) / max(len(x) - 3, 1))
        rows.append({"a": p.a, "b": p.b, "asked": p.rank, "used": float(used[i, j]), "achieved": r, "se": se})
    return pd.DataFrame(rows, columns=["a", "b", "asked", "used", "achieved", "se"])
