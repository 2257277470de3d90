"""Every branch of the report's section sentences, on small tables written by hand.

:mod:`forecast.outputs.sections` writes the summary table's items and the sections'
captions from the tables a forecast computed. Each test gives it round numbers and
checks the words and every number they quote, formatted as the report formats them
(3 significant figures, percents to 0.1), against the table's row: stated or not,
observed true or false or open, conditioned or not, one or several items, a tie. No
simulation: the forecast and its scenario are stand-ins with the attributes read.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from forecast.outputs.sections import market_blocks, outcome_blocks, prediction_blocks, summary

YEARS = [2024, 2025, 2026, 2027]


def point(value: float, year: int | None = None) -> Any:
    """A stated quantity whose median is ``value`` (a projection when ``year`` is given)."""
    return SimpleNamespace(
        year=year, canonical=lambda domain="positive": SimpleNamespace(quantile=lambda q: value)
    )


def market(
    i: str, label: str, size: float, projection: tuple[int, float] | None = None, base_year: int = 2024
) -> Any:
    return SimpleNamespace(
        id=i,
        label=label,
        unit="USD bn",
        notes="",
        base_year=base_year,
        size=point(size),
        projection=None if projection is None else point(projection[1], projection[0]),
    )


def scenario(
    markets: list[Any],
    positions: tuple[tuple[str, str, str], ...] = (),
    outcomes: tuple[tuple[str, str], ...] = (),
    predictions: list[Any] | None = None,
    signposts: list[Any] | None = None,
    horizon: float = 5,
) -> Any:
    """A stand-in scenario: positions are (id, label, market), outcomes (id, label)."""
    by_market = {m.id: m for m in markets}
    found = {i: SimpleNamespace(id=i, label=x, market=m) for i, x, m in positions}
    return SimpleNamespace(
        markets=markets,
        market=by_market.__getitem__,
        positions=list(found.values()),
        position=found.__getitem__,
        assessment=SimpleNamespace(
            outcomes=[SimpleNamespace(id=i, label=x) for i, x in outcomes], horizon_years=horizon
        )
        if outcomes
        else None,
        predictions=predictions or [],
        signposts=signposts or [],
        evidence=[],
        as_of=dt.date(2025, 1, 1),
        years=YEARS,
    )


def forecast(
    s: Any, *, conditioned: bool = False, signposts: pd.DataFrame | None = None, by: Any = None
) -> Any:
    sp = signposts if signposts is not None else pd.DataFrame(columns=["signpost", "observed"])
    return SimpleNamespace(
        scenario=s,
        conditioned=conditioned,
        prior_only=False,
        signposts=lambda: sp,
        by_outcome=lambda: by if by is not None else pd.DataFrame(),
    )


def fan(name: str, year: int, q50: float, lo: float, hi: float, mean: float | None = None) -> dict[str, Any]:
    """One row of markets.csv: quartiles halfway to the 90% interval."""
    return {
        "market": name,
        "year": year,
        "q05": lo,
        "q25": (lo + q50) / 2,
        "q50": q50,
        "q75": (q50 + hi) / 2,
        "q95": hi,
        "mean": q50 if mean is None else mean,
    }


NO_OUTCOMES = pd.DataFrame()
NO_PREDICTIONS = pd.DataFrame()


def items(groups: list[dict[str, Any]], title: str) -> list[tuple[str, str, str]]:
    [group] = [g for g in groups if g["title"] == title]
    return [(x["label"], x["value"], x["detail"]) for x in group["items"]]


# --- the markets: a total stated or not, each market without a total ---------------


def test_the_total_quotes_its_median_interval_and_the_stated_sum_when_every_market_states_it() -> None:
    s = scenario([market("a", "A", 8.0, (2027, 15.0)), market("b", "B", 4.0, (2027, 10.0))])
    table = pd.DataFrame(
        [fan("total", 2027, 24.0, 18.0, 30.0), fan("a", 2027, 14.0, 10, 18), fan("b", 2027, 10, 8, 12)]
    )
    out = summary(forecast(s), table, NO_OUTCOMES, NO_PREDICTIONS, 2027)
    assert items(out, "Markets and company") == [
        ("Total market 2027", "24.0 USD bn", "median; 90% interval 18.0–30.0; stated 25.0"),
    ]


@pytest.mark.parametrize("projection", [None, (2028, 10.0)])
def test_the_total_states_nothing_when_a_market_has_no_projection_for_that_year(projection: Any) -> None:
    s = scenario([market("a", "A", 8.0, (2027, 15.0)), market("b", "B", 4.0, projection)])
    table = pd.DataFrame([fan("total", 2027, 24.0, 18.0, 30.0)])
    out = summary(forecast(s), table, NO_OUTCOMES, NO_PREDICTIONS, 2027)
    assert items(out, "Markets and company") == [
        ("Total market 2027", "24.0 USD bn", "median; 90% interval 18.0–30.0")
    ]


def test_without_a_total_each_market_in_the_scenarios_order_in_its_year() -> None:
    s = scenario([market("b", "Beta", 4.0), market("a", "Alpha", 8.0)])
    table = pd.DataFrame(
        [fan("a", 2026, 1.0, 0.5, 2.0), fan("a", 2027, 12.5, 10.0, 15.0), fan("b", 2027, 3.33, 2.0, 4.0)]
    )
    out = summary(forecast(s), table, NO_OUTCOMES, NO_PREDICTIONS, 2027)
    assert items(out, "Markets and company") == [
        ("Beta 2027", "3.33 USD bn", "median; 90% interval 2.00–4.00"),
        ("Alpha 2027", "12.5 USD bn", "median; 90% interval 10.0–15.0"),
    ]


# --- a company position: one blend, or one share per outcome -----------------------


def _position_tables() -> tuple[Any, pd.DataFrame]:
    s = scenario(
        [market("m", "Developer tools", 8.0)],
        positions=(("acme", "Acme", "m"),),
        outcomes=(("up", "Independent"), ("down", "Acquired")),
    )
    table = pd.DataFrame(
        [
            fan("m", 2027, 12.0, 10.0, 14.0),
            fan("revenue.acme", 2027, 2.4, 1.2, 3.6, mean=2.5),
            fan("share.acme", 2027, 0.2, 0.1, 0.3),
        ]
    )
    return s, table


def test_a_position_without_shares_by_outcome_quotes_its_revenue_and_share() -> None:
    s, table = _position_tables()
    out = summary(forecast(s), table, NO_OUTCOMES, NO_PREDICTIONS, 2027)
    assert items(out, "Markets and company")[1] == (
        "Revenue 2027 from Acme",
        "2.40 USD bn",
        "median; 90% interval 1.20–3.60; share 20.0% (10.0%–30.0%)",
    )


@pytest.mark.parametrize(
    ("per", "value"),
    [
        ([("up", 0.25)], "25.0% if Independent"),
        ([("up", 0.25), ("down", 0.05)], "25.0% if Independent; 5.00% if Acquired"),
    ],
)
def test_a_position_by_outcome_is_its_expected_revenue_then_its_share_per_outcome(
    per: list[tuple[str, float]], value: str
) -> None:
    s, table = _position_tables()
    by = pd.DataFrame(
        [{"market": "share.acme", "year": 2027, "outcome": k, "q50": q} for k, q in per]
        + [{"market": "share.acme", "year": 2026, "outcome": "up", "q50": 0.9}]  # another year: not quoted
    )
    out = summary(forecast(s), table, NO_OUTCOMES, NO_PREDICTIONS, 2027, by_outcome=by)
    assert items(out, "Markets and company")[1:] == [
        ("Expected revenue 2027 in Developer tools", "2.50 USD bn", "from Acme; mean over the outcomes"),
        ("Acme 2027", value, "median share by outcome"),
    ]


# --- outcomes and signposts ---------------------------------------------------------

OUTCOMES = pd.DataFrame(
    [
        {"label": "Independent", "probability": 0.6, "q05": 0.4, "q95": 0.8, "stated": 0.55},
        {"label": "Acquired", "probability": 0.4, "q05": 0.2, "q95": 0.6, "stated": 0.45},
    ]
)


def _signposts(*rows: tuple[str, Any, str, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "signpost": sid,
                "observed": seen,
                "p_true": 0.5,
                "outcome": k,
                "now": now,
                "if_true": t,
                "if_false": f,
            }
            for sid, seen, k, now, t, f in rows
        ]
    )


THREE = (("a", "A"), ("b", "B"), ("c", "C"))


@pytest.mark.parametrize(("conditioned", "prefix"), [(False, ""), (True, "updated; ")])
def test_each_outcome_quotes_its_probability_interval_and_stated_odds(conditioned: bool, prefix: str) -> None:
    s = scenario([market("m", "M", 1.0)], outcomes=(("up", "Independent"), ("down", "Acquired")), horizon=2.5)
    out = summary(
        forecast(s, conditioned=conditioned),
        pd.DataFrame([fan("m", 2027, 1, 1, 1)]),
        OUTCOMES,
        NO_PREDICTIONS,
        2027,
    )
    assert items(out, "Outcomes within 2.5 years") == [
        ("Independent", "60.0%", f"{prefix}90% interval 40.0%–80.0%; stated 55.0%"),
        ("Acquired", "40.0%", f"{prefix}90% interval 20.0%–60.0%; stated 45.0%"),
    ]


def test_an_open_signpost_names_the_outcome_it_moves_most_and_an_observed_one_is_left_out() -> None:
    """Open: B moves from 30% to 50% if true, 10% if false (40 pp, more than A's 30 and
    C's 10). Observed true and observed false: not in the summary (the evidence section
    says what they did)."""
    sps = [
        SimpleNamespace(id=i, statement=x)
        for i, x in (("seen", "Seen true"), ("open", "Still open"), ("no", "Seen false"))
    ]
    table = _signposts(
        ("seen", True, "a", 0.5, 0.9, 0.1),
        ("seen", True, "b", 0.3, 0.05, 0.85),
        ("seen", True, "c", 0.2, 0.05, 0.05),
        ("open", None, "a", 0.5, 0.35, 0.65),
        ("open", None, "b", 0.3, 0.5, 0.1),
        ("open", None, "c", 0.2, 0.15, 0.25),
        ("no", False, "a", 0.5, 0.0, 1.0),
        ("no", False, "b", 0.3, 0.5, 0.0),
        ("no", False, "c", 0.2, 0.5, 0.0),
    )
    s = scenario([market("m", "M", 1.0)], outcomes=THREE, signposts=sps, horizon=5)
    outcomes = pd.DataFrame(
        [{"label": x, "probability": 0.1, "q05": 0.0, "q95": 0.2, "stated": 0.1} for x in "ABC"]
    )
    out = summary(
        forecast(s, signposts=table), pd.DataFrame([fan("m", 2027, 1, 1, 1)]), outcomes, NO_PREDICTIONS, 2027
    )
    assert items(out, "Outcomes within 5 years")[3:] == [
        ("Signpost: Still open", "30.0% → 50.0%", "P(B) now → if observed; 10.0% if not"),
    ]


def test_a_tie_names_the_first_outcome_as_the_executive_summary_does() -> None:
    """Of two outcomes, a signpost always moves both by the same amount (they sum to
    one): the summary names the first, like the executive summary's signpost sentence
    (``narrative.py``: the first of a tie), not the second."""
    sps = [SimpleNamespace(id="s", statement="A launch")]
    # moves of exactly 0.5 each (binary fractions: no rounding tells them apart)
    table = _signposts(("s", None, "up", 0.5, 0.75, 0.25), ("s", None, "down", 0.5, 0.25, 0.75))
    s = scenario(
        [market("m", "M", 1.0)], outcomes=(("up", "Independent"), ("down", "Acquired")), signposts=sps
    )
    out = summary(
        forecast(s, signposts=table), pd.DataFrame([fan("m", 2027, 1, 1, 1)]), OUTCOMES, NO_PREDICTIONS, 2027
    )
    assert items(out, "Outcomes within 5 years")[2] == (
        "Signpost: A launch",
        "50.0% → 75.0%",
        "P(Independent) now → if observed; 25.0% if not",
    )


# --- predictions: the summary's items and the table's status ------------------------


def _predictions() -> tuple[list[Any], pd.DataFrame]:
    preds = [
        SimpleNamespace(id="open", judged="by", resolved=None, statement="Open one"),
        SimpleNamespace(id="yes", judged="at", resolved=True, statement="Came true"),
        SimpleNamespace(id="no", judged="by", resolved=False, statement="Did not"),
    ]
    table = pd.DataFrame(
        [
            {
                "id": "open",
                "statement": "Open one",
                "deadline": "2027-06-30",
                "probability": 0.25,
                "mcse": 0.01,
            },
            {
                "id": "yes",
                "statement": "Came true",
                "deadline": "2026-12-31",
                "probability": 0.5,
                "mcse": 0.02,
            },
            {
                "id": "no",
                "statement": "Did not",
                "deadline": "2027-01-01",
                "probability": 0.75,
                "mcse": 0.005,
            },
        ]
    )
    return preds, table


def test_each_prediction_quotes_its_deadline_probability_and_monte_carlo_error() -> None:
    preds, table = _predictions()
    s = scenario([market("m", "M", 1.0)], predictions=preds)
    out = summary(forecast(s), pd.DataFrame([fan("m", 2027, 1, 1, 1)]), NO_OUTCOMES, table, 2027)
    assert items(out, "Predictions") == [
        ("Open one (by 2027-06-30)", "25.0%", "± 1.0 pp Monte Carlo error"),
        ("Came true (on 2026-12-31)", "50.0%", "± 2.0 pp Monte Carlo error"),
        ("Did not (by 2027-01-01)", "75.0%", "± 0.50 pp Monte Carlo error"),
    ]


@pytest.mark.parametrize(
    ("figs", "chart"), [({}, ""), ({"predictions": object()}, " The chart orders them by deadline.")]
)
def test_the_predictions_table_says_open_came_true_or_did_not(figs: dict[str, Any], chart: str) -> None:
    preds, table = _predictions()
    s = scenario([market("m", "M", 1.0)], predictions=preds)
    [block] = prediction_blocks(forecast(s), table, figs)  # type: ignore[arg-type]
    assert [row[1:] for row in block.tables[0].rows] == [
        ["by 2027-06-30", "25.0%", "1.0 pp", "open"],
        ["on 2026-12-31", "50.0%", "2.0 pp", "came true"],
        ["by 2027-01-01", "75.0%", "0.50 pp", "did not"],
    ]
    assert block.text[0].endswith("only on that date." + chart)


# --- the sections' captions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("conditioned", "title", "words"),
    [
        (False, "Stated and simulated probabilities", "The simulated probability is the mean over draws;"),
        (
            True,
            "Stated and updated probabilities",
            "The updated probability is the mean over draws given the evidence and observed signposts;",
        ),
    ],
)
def test_the_outcome_section_says_simulated_or_updated(conditioned: bool, title: str, words: str) -> None:
    s = scenario([market("m", "M", 1.0)], outcomes=(("up", "Independent"), ("down", "Acquired")), horizon=3)
    frame = OUTCOMES.assign(mcse=[0.01, 0.01])
    [block] = outcome_blocks(forecast(s, conditioned=conditioned), frame, {})  # type: ignore[arg-type]
    assert block.title == title
    assert block.text[0].startswith(
        f"Mutually exclusive outcomes within 3 years of 2025-01-01. {words} its 90%"
    )
    assert block.tables[0].headers[2] == ("Updated" if conditioned else "Simulated")
    assert block.tables[0].rows[0] == ["Independent", "55.0%", "60.0%", "40.0%–80.0%", "1.0 pp"]


def test_the_total_fan_states_the_base_year_sum_and_the_projected_sum() -> None:
    """Both markets from 2024 (8 + 4 = 12) and projected to 2027 (15 + 10 = 25)."""
    s = scenario([market("a", "A", 8.0, (2027, 15.0)), market("b", "B", 4.0, (2027, 10.0))])
    table = pd.DataFrame(
        [fan("total", y, q, q - 2, q + 2) for y, q in zip(YEARS, (12.5, 16.0, 20.0, 24.0), strict=True)]
        + [fan(m, y, 1, 0, 2) for m in "ab" for y in YEARS]
    )
    blocks = market_blocks(forecast(s), table, {})  # type: ignore[arg-type]
    total = blocks[0]
    assert total.text == ["Sum of the 2 markets, USD bn."]
    assert total.tables[0].headers[-1] == "Stated"
    assert [(r[0], r[1], r[-1]) for r in total.tables[0].rows] == [
        ("2024", "12.5", "12.0"),
        ("2025", "16.0", ""),
        ("2026", "20.0", ""),
        ("2027", "24.0", "25.0"),
    ]


def test_markets_of_different_base_years_state_no_base_year_sum() -> None:
    s = scenario([market("a", "A", 8.0), market("b", "B", 4.0, base_year=2025)])
    table = pd.DataFrame([fan(m, y, 1, 0, 2) for m in ("total", "a", "b") for y in YEARS])
    total = market_blocks(forecast(s), table, {})[0]  # type: ignore[arg-type]
    assert "Stated" not in total.tables[0].headers


@pytest.mark.parametrize("per", [False, True])
def test_a_positions_fan_says_when_it_blends_the_outcomes(per: bool) -> None:
    s, table = _position_tables()
    by = pd.DataFrame([{"market": "share.acme" if per else "share.other", "year": 2027}])
    blocks = market_blocks(forecast(s), table, {}, by_outcome=by)  # type: ignore[arg-type]
    block = blocks[-1]
    assert block.title == "Company: Acme"
    blend = ", all outcomes blended" if per else ""
    assert block.tables[0].headers[1] == f"Share (median{blend})"
    assert block.tables[0].rows == [["2027", "20.0%", "10.0%–30.0%", "2.40", "1.20–3.60", "2.50"]]
    words = block.text[0]
    assert words.startswith("Revenue = share × Developer tools.")
    assert ("blends the outcomes' paths" in words) is per
