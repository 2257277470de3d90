"""Growth's spread, in closed form: which input sets it, and how it grows with the years.

Without yearly shocks (``volatility = 0``) and with a known size, ``log size`` in year
``t`` is ``log size + (t - base) drift``, so its SD is ``(t - base)`` times the SD of
``drift = log(1 + CAGR)``. When a file gives an uncertain CAGR *and* a projection, the
CAGR's spread is growth's spread (the projection only centres it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import forecast
from forecast.scenario import Scenario

N = 20_000


def _scenario(**market: Any) -> Scenario:
    base = {"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024, "size": 10.0, "volatility": 0.0}
    return Scenario.from_dict(
        {
            "id": "growth",
            "title": "Growth",
            "as_of": "2025-01-01",
            "simulation": {"end_year": 2028},
            "correlation": {"common_factor": 0.0},
            "markets": [base | market],
        }
    )


def _log_sd(fc: Any, year: int) -> tuple[float, float]:
    """SD of log size in ``year`` and 4 standard errors of a sample SD, sd / sqrt(2 (N - 1))."""
    x = np.log(fc.values("market_size")[:, 0, fc.scenario.years.index(year)])
    sd = float(x.std(ddof=1))
    return sd, 4 * sd / np.sqrt(2 * (len(x) - 1))


@pytest.mark.parametrize(
    "market",
    [
        {"cagr": {"median": 0.26, "sigma": 0.05}},
        {
            "cagr": {"median": 0.26, "sigma": 0.05},
            "projection": {"year": 2027, "value": 20.0},
        },
    ],
    ids=["cagr only", "cagr and projection"],
)
def test_an_uncertain_cagr_sets_the_spread_of_growth(market: dict[str, Any]) -> None:
    fc = forecast.simulate(_scenario(**market), draws=N, seed=3)
    for year in (2025, 2027, 2028):
        sd, tol = _log_sd(fc, year)
        assert abs(sd - 0.05 * (year - 2024)) < tol, (year, sd)


def test_a_projection_alone_sets_its_year_spread() -> None:
    fc = forecast.simulate(
        _scenario(projection={"year": 2027, "median": 20.0, "sigma": 0.2}), draws=N, seed=3
    )
    sd, tol = _log_sd(fc, 2027)
    assert abs(sd - 0.2) < tol, sd
    x = fc.values("market_size")[:, 0, fc.scenario.years.index(2027)]
    # the median of a lognormal sample: SD of the log-median is sqrt(pi / 2) sigma / sqrt(N)
    assert abs(np.log(np.median(x)) - np.log(20.0)) < 4 * np.sqrt(np.pi / 2) * 0.2 / np.sqrt(N)
