"""The arrays that implement "What the numbers mean", at their edges, without a model.

A date exactly on a grid year (1 July) reads that year's figure alone, not a blend
with the next; a date between reads the two years around it, weighted by how far it
is; a ``by`` threshold's window runs from ``as_of`` to the deadline inclusive (a
deadline exactly on a month or a path date is checked), an ``at`` threshold's is the
deadline alone; a share path's point dated exactly on a query time is that point; a
market threshold is compared in log. Next to the
end-to-end checks of the same meanings in ``test_semantics.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from forecast.engine.data import _interp_index, _interp_weights, model_data
from forecast.scenario.calendar import model_time
from tests.engine.test_semantics import scenario

YEARS = [2024, 2025, 2026, 2027, 2028, 2029, 2030]


def _threshold(i: str, deadline: str, threshold: float = 12.0, **extra: Any) -> dict[str, Any]:
    return {
        "id": i,
        "statement": i,
        "deadline": deadline,
        "quantity": "market.m",
        "op": ">=",
        "threshold": threshold,
    } | extra


def _checks(md: Any, k: int) -> list[tuple[int, int, float]]:
    """Threshold ``k``'s checks as (grid year before, grid year after, weight after)."""
    idx = sorted(set(md.thr_check[k].tolist()))
    return [(YEARS[md.check_lo[c]], YEARS[md.check_hi[c]], float(md.check_u[c])) for c in idx]


def test_a_deadline_on_1_july_reads_that_years_figure_alone() -> None:
    md = model_data(scenario(predictions=[_threshold("on", "2026-07-01")]))
    assert _checks(md, 0) == [(2026, 2026, 0.0)]
    assert md.check_value[0] == pytest.approx(math.log(12.0))  # compared in log
    assert md.check_sign[0] == 1.0


def test_a_deadline_between_grid_years_reads_both_by_how_far_it_is() -> None:
    md = model_data(scenario(predictions=[_threshold("jan", "2027-01-01"), _threshold("oct", "2026-10-01")]))
    # 2027-01-01 is 184 days after 2026-07-01 in a 365-day year: 2026 + 184/365
    [(lo, hi, u)] = _checks(md, 0)
    assert (lo, hi) == (2026, 2027) and u == pytest.approx(184 / 365)
    [(lo, hi, u)] = _checks(md, 1)
    assert (lo, hi) == (2026, 2027) and u == pytest.approx(92 / 365)


def test_the_calendar_puts_a_years_figure_at_mid_year() -> None:
    assert model_time(dt.date(2026, 7, 1)) == 2026.0
    assert model_time(dt.date(2027, 1, 1)) == pytest.approx(2026 + 184 / 365)
    assert model_time(dt.date(2026, 6, 30)) == pytest.approx(2026 - 1 / 365)
    assert model_time(dt.date(2028, 1, 1)) == pytest.approx(2028 - 182 / 366)  # a leap year


def test_a_by_window_runs_from_as_of_to_the_deadline_inclusive() -> None:
    """as_of 2025-01-01, by 2025-07-01 (exactly the 2025 figure): checks on the first of
    every month from January to July, both ends included, and none after."""
    md = model_data(scenario(predictions=[_threshold("by", "2025-07-01", when="by")]))
    checks = _checks(md, 0)
    times = sorted({round(lo + u, 12) for lo, _, u in checks})
    months = [model_time(dt.date(2025, m, 1)) for m in range(1, 8)]
    assert times == pytest.approx(months)
    assert (2025, 2025, 0.0) in checks  # the deadline: the 2025 figure alone
    assert max(lo + u for lo, _, u in checks) == 2025.0


def test_a_deadline_the_day_after_as_of_is_one_check_at_or_by() -> None:
    md = model_data(
        scenario(predictions=[_threshold("at", "2025-01-02"), _threshold("by", "2025-01-02", when="by")])
    )
    assert len(_checks(md, 0)) == 1
    # by: as_of and the deadline, a day apart
    assert [lo + u for lo, _, u in _checks(md, 1)] == pytest.approx(
        [model_time(dt.date(2025, 1, d)) for d in (1, 2)]
    )


def test_interpolation_on_a_knot_is_that_knot_alone_and_flat_outside() -> None:
    w = _interp_weights(
        np.array([2024.0, 2025.0, 2025.25, 2023.0, 2031.0]), np.array([2024.0, 2025.0, 2026.0])
    )
    assert w.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0.75, 0.25], [1, 0, 0], [0, 0, 1]]
    lo, hi, u = _interp_index(w)
    assert (lo.tolist(), hi.tolist(), u.tolist()) == ([0, 1, 1, 0, 2], [0, 1, 2, 0, 2], [0, 0, 0.25, 0, 0])
    assert _interp_weights(np.array([2020.0, 2030.0]), np.array([2025.0])).tolist() == [[1.0], [1.0]]


def test_a_share_point_dated_on_a_query_time_is_that_point() -> None:
    """Points on 2025-07-01 and 2026-07-01: the 2025 and 2026 figures are the points
    themselves (weight 0 on the other), before the first point or after the last the
    share is flat at it, and a deadline of 2026-01-01 lies 184/365 of the way."""
    pos = {
        "id": "p",
        "label": "P",
        "market": "m",
        "path": [{"at": "2025-07-01", "share": 0.1}, {"at": "2026-07-01", "share": 0.2}],
    }
    pred = {
        "id": "s",
        "statement": "s",
        "deadline": "2026-01-01",
        "quantity": "share.p",
        "op": ">=",
        "threshold": 0.15,
    }
    md = model_data(scenario(positions=[pos], predictions=[pred]))
    times = md.coords["time"]
    assert times[: len(YEARS)] == YEARS and len(times) == len(YEARS) + 1
    lo, hi, t = md.share_lo[0, 0].tolist(), md.share_hi[0, 0].tolist(), md.share_t[0, 0].tolist()
    assert lo[: len(YEARS)] == hi[: len(YEARS)] == [0, 0, 1, 1, 1, 1, 1]
    assert t[: len(YEARS)] == [0.0] * len(YEARS)
    assert (lo[-1], hi[-1]) == (0, 1) and t[-1] == pytest.approx(184 / 365)


# --- growth, its anchor and the bridge of the yearly shocks, worked by hand ---------

ANCHORED = {
    "id": "m", "label": "M", "unit": "USD bn", "base_year": 2024,
    "size": {"median": 10.0, "sigma": 0.2}, "projection": {"year": 2028, "median": 20.0, "sigma": 0.15},
    "volatility": 0.08,
}  # fmt: skip
FREE = {
    "id": "k", "label": "K", "unit": "USD bn", "base_year": 2025,
    "size": {"median": 5.0, "sigma": 0.1}, "cagr": {"median": 0.2, "sigma": 0.05},
}  # fmt: skip


def test_a_projection_anchors_growth_and_a_cagr_does_not() -> None:
    """m: from 10 in 2024 to 20 in 2028, log(2) / 4 a year, the projection's spread over
    4 years (0.15 / 4), anchored with weight 1/4; k: log 1.2 +- 0.05, not anchored. The
    log size medians log 10 and log 5."""
    from forecast.engine.data import _drift

    mu, sd, anchor, ref = _drift(scenario(markets=[ANCHORED, FREE]))
    assert mu.tolist() == pytest.approx([math.log(2) / 4, math.log(1.2)])
    assert sd.tolist() == pytest.approx([0.15 / 4, 0.05])
    assert anchor.tolist() == [0.25, 0.0]
    assert ref.tolist() == pytest.approx([math.log(10), math.log(5)])


def test_the_shocks_are_bridged_from_the_base_year_to_the_projection_year() -> None:
    """m: the weight rises by a quarter a year from 2024 to 1 in 2028 and stays 1; its
    anchor year 2028. k: no bridge (weight 0), anchored in its base year 2025."""
    from forecast.engine.data import _bridge

    anchor, w = _bridge(scenario(markets=[ANCHORED, FREE]), np.array(YEARS))
    assert anchor.tolist() == [[0, 0, 0, 0, 1, 0, 0], [0, 1, 0, 0, 0, 0, 0]]
    assert w.tolist() == [[0, 0.25, 0.5, 0.75, 1, 1, 1], [0] * 7]


def test_each_inputs_family_and_parameters_in_the_markets_order() -> None:
    """Sizes lognormal (family 1) with log medians and sigmas; a point volatility a
    normal (family 0) of no spread; no volatility 0."""
    md = model_data(scenario(markets=[ANCHORED, FREE]))
    assert (md.size_fam.tolist(), md.size_a.tolist(), md.size_b.tolist()) == (
        [1, 1], pytest.approx([math.log(10), math.log(5)]), [0.2, 0.1],
    )  # fmt: skip
    assert (md.vol_fam.tolist(), md.vol_a.tolist(), md.vol_b.tolist()) == ([0, 0], [0.08, 0.0], [0.0, 0.0])
    assert md.size_fam.dtype == np.int64 and md.size_a.dtype == np.float64


def test_each_kind_of_threshold_reads_its_own_series_in_the_flat_values() -> None:
    """Two markets of 7 grid years (2024-2030), one position; every threshold judged
    'at' 2026-07-01, exactly the 2026 figure (grid index 2). The flat values are
    [log market (2 x 7), share (1 x T), revenue (1 x T)] with T = 7 grid years + the
    deadline: market k's 2026 is 1 x 7 + 2 = 9, the share's 14 + 2, the revenue's
    14 + 8 + 2; "<=" is sign -1; "between" has both ends; a market compared in log."""
    k = {"id": "k", "label": "K", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.1}
    position = {"id": "acme", "label": "Acme", "market": "m", "path": [{"at": "2025-01-01", "share": 0.1}]}
    thresholds = [
        _threshold("k_up", "2026-07-01", quantity="market.k"),
        _threshold("k_down", "2026-07-01", quantity="market.k", op="<="),
        _threshold(
            "m_between", "2026-07-01", quantity="market.m", op="between", threshold=None, low=5.0, high=20.0
        ),
        _threshold("share", "2026-07-01", 0.1, quantity="share.acme"),
        _threshold("revenue", "2026-07-01", 1.0, quantity="revenue.acme"),
    ]
    for t in thresholds[2:3]:
        del t["threshold"]
    md = model_data(scenario(markets=[ANCHORED, k], positions=[position], predictions=thresholds))
    checks = md.thr_check[:, 0].tolist()
    assert md.check_lo[checks].tolist() == [9, 9, 2, 16, 24]
    assert md.check_hi[checks].tolist() == [9, 9, 2, 16, 24]
    assert md.check_u[checks].tolist() == [0.0] * 5
    assert md.check_sign[checks].tolist() == [1.0, -1.0, 1.0, 1.0, 1.0]
    assert md.check_value[checks].tolist() == pytest.approx(
        [math.log(12), math.log(12), math.log(5), 0.1, 1.0]
    )
    assert md.check_upper[checks].tolist() == pytest.approx(
        [math.inf, math.inf, math.log(20), math.inf, math.inf]
    )


def test_a_cagr_with_a_projection_does_not_anchor_and_a_later_base_year_bridges_from_it() -> None:
    """b: CAGR 20% +- 0.05 and a point projection it agrees with (10 x 1.2^4): the CAGR
    sets the spread, no anchor, no bridge, its shocks anchored in its base year 2024.
    l: from 10 in 2025 to 12.1 in 2027, log(1.1) a year, 0.15 / 2, anchored with weight
    1/2; its bridge 0 in 2024 (before its base year, not -1/2), 0 in 2025, 1/2 in 2026,
    then 1."""
    from forecast.engine.data import _bridge, _drift

    b = {"id": "b", "label": "B", "unit": "USD bn", "base_year": 2024, "size": {"median": 10.0, "sigma": 0.2},
         "cagr": {"median": 0.2, "sigma": 0.05}, "projection": {"year": 2028, "value": 20.736}}  # fmt: skip
    late = {"id": "l", "label": "L", "unit": "USD bn", "base_year": 2025, "size": {"median": 10.0, "sigma": 0.2},
            "projection": {"year": 2027, "median": 12.1, "sigma": 0.15}}  # fmt: skip
    s = scenario(markets=[b, late])
    mu, sd, anchor, _ = _drift(s)
    assert mu.tolist() == pytest.approx([math.log(1.2), math.log(1.1)])
    assert sd.tolist() == pytest.approx([0.05, 0.075])
    assert anchor.tolist() == [0.0, 0.5]
    at, w = _bridge(s, np.array(YEARS))
    assert at.tolist() == [[1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0]]
    assert w.tolist() == [[0] * 7, [0, 0, 0.5, 1, 1, 1, 1]]


def test_an_event_listed_before_a_threshold_leaves_its_deadline_a_query_time() -> None:
    """The event has no window; the threshold after it still reads 2027-01-01 as both
    grid years around it, 184/365 of the way (not the nearer grid year alone)."""
    event = {"id": "e", "statement": "E", "deadline": "2026-01-01", "probability": 0.5}
    md = model_data(scenario(predictions=[event, _threshold("jan", "2027-01-01")]))
    [(lo, hi, u)] = _checks(md, 0)
    assert (lo, hi) == (2026, 2027) and u == pytest.approx(184 / 365)
