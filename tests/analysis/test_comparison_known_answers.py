"""A comparison's differences worked by hand: each scenario minus the first, for what
both have, with the Monte Carlo error ``sqrt(mcse_a^2 + mcse_b^2)`` of a probability
and none of a median. Forecasts are stand-ins with the three tables a comparison reads.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from forecast.analysis.comparison import DIFFERENCE_COLUMNS, Comparison


def fc(
    markets: dict[tuple[str, int], float],
    outcomes: dict[str, tuple[float, float]],
    predictions: dict[str, tuple[float, float]],
) -> Any:
    m = pd.DataFrame([{"market": k, "year": y, "q50": v} for (k, y), v in markets.items()])
    o = pd.DataFrame([{"outcome": k, "probability": p, "mcse": e} for k, (p, e) in outcomes.items()])
    p = pd.DataFrame([{"id": k, "probability": q, "mcse": e} for k, (q, e) in predictions.items()])
    return SimpleNamespace(markets=lambda: m, outcomes=lambda: o, predictions=lambda: p)


BASE = fc(
    {("m", 2026): 10.0, ("total", 2026): 30.0, ("share.co", 2026): 0.1, ("gone", 2026): 1.0},
    {"a": (0.6, 0.003), "b": (0.4, 0.003)},
    {"p": (0.5, 0.005)},
)
BULL = fc(
    {("m", 2026): 12.5, ("total", 2026): 27.0, ("share.co", 2026): 0.1, ("m", 2027): 15.0},
    {"a": (0.7, 0.004), "c": (0.3, 0.004)},
    {"p": (0.38, 0.012), "q": (0.2, 0.01)},
)


def test_each_scenario_minus_the_first_for_what_both_have() -> None:
    d = Comparison([BASE, BULL, BASE], ["base", "bull", "same"]).differences()
    assert list(d.columns) == DIFFERENCE_COLUMNS
    bull = d[d["scenario"] == "bull"].set_index("quantity")
    assert set(d["vs"]) == {"base"}
    # rising, falling and unchanged medians; a market only one of them has is left out
    assert bull.loc["market.m", ["year", "value", "base", "difference"]].tolist() == [2026, 12.5, 10.0, 2.5]
    assert bull.loc["total", "difference"] == pytest.approx(-3.0)
    assert bull.loc["share.co", "difference"] == 0.0
    assert "market.gone" not in bull.index and (bull["year"] == 2026).all()
    assert bull.loc[["market.m", "total", "share.co"], "mcse"].isna().all()  # a median has none here
    # probabilities: 0.7 - 0.6 with sqrt(0.003^2 + 0.004^2) = 0.005; 0.38 - 0.5 with 0.013
    assert bull.loc["outcome.a", "difference"] == pytest.approx(0.1)
    assert bull.loc["outcome.a", "mcse"] == pytest.approx(0.005)
    assert pd.isna(bull.loc["outcome.a", "year"])
    assert bull.loc["prediction.p", "difference"] == pytest.approx(-0.12)
    assert bull.loc["prediction.p", "mcse"] == pytest.approx(0.013)
    assert not {"outcome.b", "outcome.c", "prediction.q"} & set(bull.index)
    # the base against itself: every difference 0, its errors still combined
    same = d[d["scenario"] == "same"].set_index("quantity")
    assert (same["difference"] == 0).all()
    assert same.loc["prediction.p", "mcse"] == pytest.approx(math.hypot(0.005, 0.005))


def test_one_scenario_has_no_differences() -> None:
    d = Comparison([BASE], ["base"]).differences()
    assert d.empty and list(d.columns) == DIFFERENCE_COLUMNS
