"""README's "What the numbers mean" at its edges, end to end (simulated, every input a
point, so every probability is exactly 0 or 1 and every value known by hand).

A threshold equal to the value is met (``>=`` and ``<=``, and "between" includes both
ends); ``by`` counts the deadline itself and ``as_of`` itself, not a time before
``as_of``; a date on 1 July reads that year's figure, 1 January 184/365 of the way to
the next (log-linear for a market); a share path point of 0 or 1 is that share exactly
(revenue 0, or the whole market), held before the first point and after the last.
Beside the tests of the arrays that implement them (``test_data_edges.py``). One
simulation of the simplest structure (no evidence, signposts, uniform inputs or
formulas), which other tests compile too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import forecast
from tests.engine.test_semantics import scenario

FLAT = {"id": "flat", "label": "Flat", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.0}
GROWING = {"id": "g", "label": "G", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.47}
# p: 0 in mid-2025, exactly 0.5 on 2026-07-01 (below it before), 1 in mid-2027
# q: 0.5 on as_of (2025-01-01), then falling; r: 0.5 only in mid-2024, before as_of
POSITIONS = [
    {"id": i, "label": i, "market": "flat", "path": [{"at": d, "share": v} for d, v in path]}
    for i, path in (
        ("p", [("2025-07-01", 0.0), ("2026-07-01", 0.5), ("2027-07-01", 1.0)]),
        ("q", [("2025-01-01", 0.5), ("2025-07-01", 0.2)]),
        ("r", [("2024-07-01", 0.5), ("2025-07-01", 0.2)]),
    )
]
# the growing market on 2027-01-01: log-linear between 2026 and 2027, 184/365 of the way
JAN = 10.0 * 1.47 ** (2 + 184 / 365)
MID = 10.0 * 1.47**2  # on 2026-07-01: the 2026 figure alone


def _p(i: str, quantity: str, deadline: str, op: str, value: Any, when: str = "at") -> dict[str, Any]:
    bound = {"low": value[0], "high": value[1]} if op == "between" else {"threshold": value}
    return {
        "id": i,
        "statement": i,
        "deadline": deadline,
        "quantity": quantity,
        "op": op,
        "when": when,
    } | bound


PREDICTIONS = [
    _p("market_ge_equal", "market.flat", "2026-07-01", ">=", 10.0),
    _p("market_le_equal", "market.flat", "2026-07-01", "<=", 10.0),
    _p("market_between_low_end", "market.flat", "2026-07-01", "between", (10.0, 20.0)),
    _p("market_between_high_end", "market.flat", "2026-07-01", "between", (5.0, 10.0)),
    _p("share_at_equal", "share.p", "2026-07-01", ">=", 0.5),
    _p("share_le_equal", "share.p", "2026-07-01", "<=", 0.5),
    _p("share_by_reached_on_the_deadline", "share.p", "2026-07-01", ">=", 0.5, "by"),
    _p("share_by_a_month_before", "share.p", "2026-06-01", ">=", 0.5, "by"),
    _p("share_by_reached_on_as_of", "share.q", "2025-06-01", ">=", 0.5, "by"),
    _p("share_at_after_as_of", "share.q", "2025-06-01", ">=", 0.5),
    _p("share_by_reached_before_as_of", "share.r", "2025-06-01", ">=", 0.5, "by"),
    _p("jan_just_below", "market.g", "2027-01-01", ">=", JAN * (1 - 1e-9)),
    _p("jan_just_above", "market.g", "2027-01-01", ">=", JAN * (1 + 1e-9)),
    _p("mid_just_below", "market.g", "2026-07-01", ">=", MID * (1 - 1e-9)),
    _p("mid_just_above", "market.g", "2026-07-01", ">=", MID * (1 + 1e-9)),
]

MET = {
    "market_ge_equal": 1.0,  # a threshold equal to the value is met
    "market_le_equal": 1.0,
    "market_between_low_end": 1.0,  # both ends included
    "market_between_high_end": 1.0,
    "share_at_equal": 1.0,
    "share_le_equal": 1.0,
    "share_by_reached_on_the_deadline": 1.0,  # the deadline is in the window
    "share_by_a_month_before": 0.0,  # 0.46 on 2026-06-01: not yet
    "share_by_reached_on_as_of": 1.0,  # as_of is in the window
    "share_at_after_as_of": 0.0,
    "share_by_reached_before_as_of": 0.0,  # 0.35 on as_of: the window starts there
    "jan_just_below": 1.0,  # 1 January reads 184/365 of the way to the next figure
    "jan_just_above": 0.0,
    "mid_just_below": 1.0,  # 1 July reads that year's figure
    "mid_just_above": 0.0,
}


@pytest.fixture(scope="module")
def edges() -> forecast.Forecast:
    s = scenario(markets=[FLAT, GROWING], positions=POSITIONS, predictions=PREDICTIONS)
    return forecast.simulate(s, draws=100, seed=5)


def test_every_threshold_at_its_edge_means_what_the_readme_says(edges: forecast.Forecast) -> None:
    assert edges.predictions().set_index("id")["probability"].to_dict() == MET


def test_a_share_path_at_0_and_1_is_that_share_held_before_the_first_point_and_after_the_last(
    edges: forecast.Forecast,
) -> None:
    """p in 2024-2030 (grid years at mid-year): held at its first point, 0, in 2024; 0,
    0.5, 1 on its points; held at 1 after. Revenue is share x market: 0, and the whole
    market (10) at 1; never NaN at the bounds of the logit scale."""
    years = edges.scenario.years
    share = edges.values("share")[:, 0, :]
    revenue = edges.values("revenue")[:, 0, :]
    expected = np.array([0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0])
    assert years == [2024, 2025, 2026, 2027, 2028, 2029, 2030]
    np.testing.assert_array_equal(share, np.broadcast_to(expected, share.shape))
    np.testing.assert_allclose(revenue, np.broadcast_to(10.0 * expected, revenue.shape), rtol=1e-12, atol=0)
    assert math.isclose(float(edges.values("market_size")[0, 1, 2]), MID, rel_tol=1e-12)


@pytest.mark.parametrize(
    "rule",
    [
        "both ends included",  # "between"
        "counts a threshold reached at any time from `as_of` to the deadline",
        "1 July of *Y*",
        "2027-01-01 lies halfway between the 2026 and 2027 figures (log-linear for market sizes)",
        "Before a share path's first point the share is that point's",
        "it stays at the last point's",
        "share × interpolated market",
    ],
)
def test_the_rules_checked_here_are_the_readmes(rule: str) -> None:
    from tests.conftest import REPO

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert rule in readme
