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
    from forecast.engine.arrays import _drift

    mu, sd, anchor, ref = _drift(scenario(markets=[ANCHORED, FREE]))
    assert mu.tolist() == pytest.approx([math.log(2) / 4, math.log(1.2)])
    assert sd.tolist() == pytest.approx([0.15 / 4, 0.05])
    assert anchor.tolist() == [0.25, 0.0]
    assert ref.tolist() == pytest.approx([math.log(10), math.log(5)])


def test_the_shocks_are_bridged_from_the_base_year_to_the_projection_year() -> None:
    """m: the weight rises by a quarter a year from 2024 to 1 in 2028 and stays 1; its
    anchor year 2028. k: no bridge (weight 0), anchored in its base year 2025."""
    from forecast.engine.arrays import _bridge

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
    from forecast.engine.arrays import _bridge, _drift

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


# --- the branches the data mutation run found open (tests/README.md, "Left open") -------

TWO_OUTCOMES = {
    "horizon_years": 3,
    "confidence": 20,
    "outcomes": [
        {"id": "up", "label": "Up", "probability": 0.6},
        {"id": "down", "label": "Down", "probability": 0.4},
    ],
}


def test_an_event_by_outcome_is_one_row_per_event_with_a_column_per_outcome() -> None:
    """Events x outcomes, in the outcomes' order: e is 0.2 (a point: family 0, a = 0.2)
    under up and 0.3-0.7 under down (logit-normal, family 2: centre logit 0.5 = 0,
    scale logit(0.7) / z_0.95); f is 0.5 under both. The common factor is one number
    (shape ())."""
    events = [
        {"id": "e", "statement": "e", "deadline": "2026-01-01",
         "probability_by_outcome": {"up": 0.2, "down": {"low": 0.3, "high": 0.7}}},
        {"id": "f", "statement": "f", "deadline": "2026-01-01", "probability": 0.5},
    ]  # fmt: skip
    md = model_data(scenario(assessment=TWO_OUTCOMES, predictions=events))
    assert md.event_fam.shape == md.event_a.shape == md.event_b.shape == (2, 2)
    assert md.event_fam.tolist() == [[0, 2], [0, 0]]
    assert md.event_a == pytest.approx(np.array([[0.2, 0.0], [0.5, 0.5]]), abs=1e-12)
    z95 = 1.6448536269514722
    assert md.event_b == pytest.approx(np.array([[0.0, math.log(0.7 / 0.3) / z95], [0.0, 0.0]]))
    assert md.rho_fam.shape == md.rho_a.shape == md.rho_b.shape == ()


def test_a_by_window_from_mid_march_over_a_year_checks_every_first_of_the_month() -> None:
    """as_of 2025-03-15, by 2026-05-01: as_of itself, then 1 April 2025 to 1 May 2026
    (14 firsts of the month, across the new year; not 1 March, before as_of), and a
    share-path date inside the window (2025-08-20), none outside it (2026-06-01)."""
    pos = {"id": "p", "label": "P", "market": "m",
           "path": [{"at": "2025-08-20", "share": 0.1}, {"at": "2026-06-01", "share": 0.2}]}  # fmt: skip
    s = scenario(as_of="2025-03-15", positions=[pos], predictions=[_threshold("by", "2026-05-01", when="by")])
    md = model_data(s)
    firsts = [dt.date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(4, 17)]
    assert firsts[0] == dt.date(2025, 4, 1) and firsts[-1] == dt.date(2026, 4, 1)
    dates = [dt.date(2025, 3, 15), dt.date(2025, 8, 20), *firsts, dt.date(2026, 5, 1)]
    expected = sorted(model_time(d) for d in dates)
    assert md.coords["time"][len(YEARS) :] == pytest.approx(expected, abs=1e-12)
    assert len({round(lo + u, 9) for lo, _, u in _checks(md, 0)}) == len(expected)


def test_a_share_between_points_two_years_apart_is_weighted_by_the_fraction_of_two_years() -> None:
    """Points on 2025-07-01 and 2027-07-01: the 2026 figure is halfway (weight 1/2 on
    the later point), 2027-01-01 is (1 + 184/365) / 2 of the way."""
    pos = {"id": "p", "label": "P", "market": "m",
           "path": [{"at": "2025-07-01", "share": 0.1}, {"at": "2027-07-01", "share": 0.3}]}  # fmt: skip
    md = model_data(scenario(positions=[pos], predictions=[_threshold("jan", "2027-01-01")]))
    t = md.share_t[0, 0].tolist()
    assert (md.share_lo[0, 0, 2], md.share_hi[0, 0, 2]) == (0, 1) and t[2] == pytest.approx(0.5)
    assert t[-1] == pytest.approx((1 + 184 / 365) / 2)
    assert t[:2] == [0.0, 0.0] and t[3:7] == [0.0] * 4  # on a point, or held outside


def test_a_threshold_on_a_metric_reads_the_metrics_after_revenue() -> None:
    """One market (7 grid years), two positions, deadline 2027-01-01; the ``by``
    threshold's window adds the firsts of the month from as_of 2025-01-01 to it (T =
    7 + 25). The flat values are [log market (7), share (2 x T), revenue (2 x T), yearly
    metrics (1 x 7), scalar metrics]: the yearly metric starts at 7 + 4T, 2027-01-01
    reads its 2026 and 2027 entries, 184/365 of the way; ``@2028`` its 2028 entry alone;
    the scalar metric follows the yearly one. A ``by`` window reads the yearly metric at each of its times (the
    grid years inside it too)."""
    path = [{"at": "2025-07-01", "share": 0.1}]
    positions = [{"id": i, "label": i, "market": "m", "path": path} for i in ("p", "q")]
    metrics = [
        {"id": "twice", "label": "Twice", "unit": "USD bn", "formula": "2 * market.m"},
        {"id": "one", "label": "One", "unit": "USD bn", "formula": "at(market.m, 2026)"},
    ]
    thresholds = [
        _threshold("y", "2027-01-01", quantity="metric.twice"),
        _threshold("y28", "2027-01-01", quantity="metric.twice@2028"),
        _threshold("one", "2027-01-01", quantity="metric.one"),
        _threshold("by", "2027-01-01", quantity="metric.twice", when="by"),
    ]
    md = model_data(scenario(positions=positions, metrics=metrics, predictions=thresholds))
    n_t = len(md.coords["time"])
    assert n_t == 7 + 25  # the grid, then as_of .. 2027-01-01 monthly (the by window)
    block = 7 + 2 * 2 * n_t
    first = md.thr_check[:3, 0].tolist()
    assert md.check_lo[first].tolist() == [block + 2, block + 4, block + 7]
    assert md.check_hi[first].tolist() == [block + 3, block + 4, block + 7]
    assert md.check_u[first].tolist() == pytest.approx([184 / 365, 0.0, 0.0])
    assert md.check_value[first].tolist() == [12.0] * 3  # a metric is compared as it is, not in log
    window = sorted(set(md.thr_check[3].tolist()))
    read = [md.check_lo[c] - block + md.check_u[c] for c in window]
    months = [model_time(dt.date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1)) - 2024 for m in range(1, 26)]
    assert sorted(read) == pytest.approx(sorted([*months, 1.0, 2.0]))  # and the 2025 and 2026 figures


def test_a_threshold_on_a_second_position_reads_that_positions_share_and_revenue() -> None:
    """Positions p and q; share and revenue thresholds on q 'at' 2026-07-01 (T = 8): its
    share is 7 + 8 (past p's) + 2 = 17, its revenue 7 + 16 + 8 + 2 = 33."""
    path = [{"at": "2025-07-01", "share": 0.1}]
    positions = [{"id": i, "label": i, "market": "m", "path": path} for i in ("p", "q")]
    thresholds = [
        _threshold("share", "2026-07-01", 0.1, quantity="share.q"),
        _threshold("revenue", "2026-07-01", 1.0, quantity="revenue.q"),
    ]
    md = model_data(scenario(positions=positions, predictions=thresholds))
    checks = md.thr_check[:, 0].tolist()
    assert md.check_lo[checks].tolist() == md.check_hi[checks].tolist() == [17, 33]


def test_a_market_threshold_below_1_is_its_negative_log() -> None:
    """A market is compared in log: a threshold of 0.5 is log 0.5 (negative, not the
    -inf kept for a threshold at or below 0, which validation refuses: every size is
    above it, ``test_bad_inputs.py``); 'between 0.2 and 0.5' is [log 0.2, log 0.5]."""
    thresholds = [
        _threshold("half", "2026-07-01", 0.5),
        _threshold("under", "2026-07-01", 0.5, op="<="),
        _threshold("low", "2026-07-01", None, op="between", low=0.2, high=0.5),
    ]
    del thresholds[2]["threshold"]
    md = model_data(scenario(predictions=thresholds))
    checks = md.thr_check[:, 0].tolist()
    assert md.check_value[checks].tolist() == pytest.approx([math.log(0.5), math.log(0.5), math.log(0.2)])
    assert md.check_upper[checks].tolist() == pytest.approx([math.inf, math.inf, math.log(0.5)])
    assert md.check_sign[checks].tolist() == [1.0, -1.0, 1.0]
