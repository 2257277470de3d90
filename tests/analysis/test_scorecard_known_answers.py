"""The scorecard's numbers worked by hand: Brier and log scores, skill against each
baseline, time averages, and what is not scored.

Versions are stand-ins (a name, an ``as_of`` and the two tables a scorecard reads),
so every probability is a round number and every score has a closed form:
Brier ``(p - y)^2``, log score ``-ln P(what happened)``, skill ``1 - Brier /
Brier(baseline)``, a time average weighted by the days each version stood.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.analysis.resolutions import Resolution
from forecast.analysis.scorecard import Scorecard

DAY = dt.date.fromisoformat


def version(name: str, as_of: str, p: float, outcomes: tuple[float, float, float] = (0.5, 0.3, 0.2)) -> Any:
    """A version forecasting prediction ``p`` with probability ``p`` and outcomes a, b, c."""
    tables = {
        "predictions": pd.DataFrame([{"id": "p", "statement": "P happens", "probability": p}]),
        "outcomes": pd.DataFrame(
            [
                {"outcome": k, "label": k.upper(), "probability": q}
                for k, q in zip("abc", outcomes, strict=True)
            ]
        ),
    }
    scenario = SimpleNamespace(predictions=[SimpleNamespace(id="p")], outcome_ids=["a", "b", "c"])
    return SimpleNamespace(name=name, as_of=DAY(as_of), scenario=scenario, table=tables.__getitem__)


def resolution(statement: str, value: bool, date: str = "2026-01-01") -> Resolution:
    kind = statement.split(".", 1)[0]
    return Resolution(statement, kind, value, DAY(date), "made up", "r.csv:2")  # type: ignore[arg-type]


VERSIONS = [
    version("v1", "2025-01-01", 0.8),
    version("v2", "2025-07-01", 0.6),
    version("v3", "2026-01-01", 0.9),  # made on the resolution date: not scored
]


def test_brier_log_and_skill_against_the_uniform_baseline() -> None:
    b = Scorecard(VERSIONS, [resolution("prediction.p", True)]).binary()
    assert b["version"].tolist() == ["v1", "v2"]
    assert b["brier"].tolist() == pytest.approx([0.2**2, 0.4**2])
    assert b["log_score"].tolist() == pytest.approx([-math.log(0.8), -math.log(0.6)])
    assert b["baseline"].tolist() == ["uniform (0.5)"] * 2
    assert b["baseline_brier"].tolist() == pytest.approx([0.25, 0.25])
    assert b["baseline_log_score"].tolist() == pytest.approx([math.log(2)] * 2)
    # 1 - 0.04 / 0.25 and 1 - 0.16 / 0.25
    assert b["brier_skill"].tolist() == pytest.approx([0.84, 0.36])
    assert b["note"].tolist() == ["", ""]


def test_a_statement_resolved_false_scores_the_probability_of_false() -> None:
    b = Scorecard(VERSIONS, [resolution("prediction.p", False)]).binary()
    assert b["brier"].tolist() == pytest.approx([0.64, 0.36])
    assert b["log_score"].tolist() == pytest.approx([-math.log(0.2), -math.log(0.4)])
    assert b["brier_skill"].tolist() == pytest.approx([1 - 0.64 / 0.25, 1 - 0.36 / 0.25])
    assert b["outcome"].tolist() == [False, False]


def test_the_previous_baseline_is_the_version_before_and_the_first_is_uniform() -> None:
    b = Scorecard(VERSIONS, [resolution("prediction.p", True)], baseline="previous").binary()
    assert b["baseline"].tolist() == ["uniform (0.5)", "previous version"]
    assert b["baseline_probability"].tolist() == [0.5, 0.8]
    # v2 (0.16) against v1 (0.04): four times worse, skill 1 - 4 = -3
    assert b["brier_skill"].tolist() == pytest.approx([0.84, -3.0])


def test_one_of_three_outcomes_against_a_uniform_third() -> None:
    b = Scorecard(VERSIONS[:1], [resolution("outcome.a", True)]).binary()
    [row] = b.itertuples()
    assert (row.label, row.probability, row.baseline, row.baseline_probability) == (
        "A",
        0.5,
        "uniform (0.333)",
        1 / 3,
    )
    assert row.brier == pytest.approx(0.25)
    assert row.baseline_brier == pytest.approx((2 / 3) ** 2)
    assert row.brier_skill == pytest.approx(1 - 0.25 / (4 / 9))  # 0.4375


def test_a_certain_forecast_that_was_wrong_has_a_brier_score_and_no_log_score() -> None:
    b = Scorecard([version("v1", "2025-01-01", 1.0)], [resolution("prediction.p", False)]).binary()
    [row] = b.itertuples()
    assert row.brier == 1.0 and row.brier_skill == pytest.approx(1 - 1 / 0.25)
    assert math.isnan(row.log_score)
    assert row.note == "log score not defined: the version gave 0% to what happened"


def test_skill_against_a_perfect_baseline_is_refused_not_infinite() -> None:
    versions = [version("v1", "2025-01-01", 1.0), version("v2", "2025-07-01", 0.9)]
    b = Scorecard(versions, [resolution("prediction.p", True)], baseline="previous").binary()
    assert b["brier_skill"].iloc[0] == pytest.approx(1.0)  # a perfect forecast: skill 1
    assert math.isnan(b["brier_skill"].iloc[1])
    assert b["note"].iloc[1] == "skill not defined: the baseline's Brier score is 0"


def test_a_version_made_on_the_resolution_date_is_listed_as_not_scored() -> None:
    card = Scorecard(VERSIONS, [resolution("prediction.p", True)])
    assert card.not_scored().values.tolist() == [["prediction.p", "v3", "2026-01-01", "2026-01-01"]]
    assert card.binary()["version"].tolist() == ["v1", "v2"]
    # a day before the resolution, the same version is scored
    card = Scorecard([version("v3", "2025-12-31", 0.9)], [resolution("prediction.p", True)])
    assert card.binary()["version"].tolist() == ["v3"] and not len(card.not_scored())


def test_the_time_average_weighs_each_version_by_the_days_it_stood() -> None:
    avg = Scorecard(VERSIONS, [resolution("prediction.p", True)]).time_averaged()
    [row] = avg.itertuples()
    # v1 stood 2025-01-01 -> 2025-07-01 (181 days), v2 -> 2026-01-01 (184 days)
    assert (row.versions, row.days) == (2, 365)
    assert row.brier == pytest.approx((0.04 * 181 + 0.16 * 184) / 365)
    assert row.log_score == pytest.approx((-math.log(0.8) * 181 - math.log(0.6) * 184) / 365)
    assert math.isnan(row.crps)


def test_a_time_average_over_an_undefined_score_is_undefined() -> None:
    versions = [version("v1", "2025-01-01", 1.0), version("v2", "2025-07-01", 0.5)]
    [row] = Scorecard(versions, [resolution("prediction.p", False)]).time_averaged().itertuples()
    assert math.isnan(row.log_score)
    assert row.brier == pytest.approx((1.0 * 181 + 0.25 * 184) / 365)


# --- quantities, and every table together (a real scenario, draws written by hand) --


def _scenario() -> Any:
    import tomllib

    from forecast.scenario import Scenario
    from tests.analysis.test_sensitivity import ONE_DRIVER

    return Scenario.from_dict(tomllib.loads(ONE_DRIVER), origin="one_driver.toml")


def quantity_version(name: str, as_of: str, draws: dict[str, list[float]], p_launch: float = 0.5) -> Any:
    """A version of the one-driver scenario whose targets have the given draws."""
    from forecast.analysis.sensitivity import parse_target

    s = _scenario()
    arrays: dict[str, np.ndarray] = {}
    for spec, x in draws.items():
        t = parse_target(s, spec)
        arr = arrays.setdefault(t.variable, np.zeros((len(x), 4, 8)))
        arr[(slice(None), *t.index)] = x
    tables = {
        "predictions": pd.DataFrame(
            [{"id": "launch", "statement": "Acme launches", "probability": p_launch}]
        ),
        "outcomes": pd.DataFrame(
            [
                {"outcome": "up", "label": "Up", "probability": 0.75},
                {"outcome": "down", "label": "Down", "probability": 0.25},
            ]
        ),
    }
    fc = SimpleNamespace(values=arrays.__getitem__)
    return SimpleNamespace(name=name, as_of=DAY(as_of), scenario=s, table=tables.__getitem__, forecast=fc)


def quantity(statement: str, value: float, date: str = "2026-01-01") -> Resolution:
    return Resolution(statement, "quantity", value, DAY(date), "made up", "r.csv:3")  # type: ignore[arg-type]


def test_a_quantity_is_scored_by_its_fair_crps_pit_and_quantiles() -> None:
    """Draws 1, 2, 3, 4 and 2 observed: E|X - 2| = 1, the mean distance between two
    distinct draws 20 / 12, so the fair CRPS is 1 - 20 / 24 = 1/6; one draw below and
    one tied, PIT (1 + 1/2) / 4 = 0.375; numpy's quantiles 1.15, 2.5, 3.85."""
    from forecast.analysis.scores import log_score_draws

    v = quantity_version(
        "v1", "2025-01-01", {"market.alpha@2026": [1, 2, 3, 4], "share.acme@2026": [0.2, 0.4, 0.6, 0.8]}
    )
    card = Scorecard([v], [quantity("market.alpha@2026", 2.0), quantity("share.acme@2026", 0.5)])
    q = card.quantities()
    size, share = q.to_dict("records")
    assert (size["statement"], size["version"], size["as_of"], size["resolved_on"]) == (
        "market.alpha@2026", "v1", "2025-01-01", "2026-01-01",
    )  # fmt: skip
    assert size["observed"] == 2.0
    assert (size["q05"], size["median"], size["q95"]) == pytest.approx((1.15, 2.5, 3.85))
    assert size["crps"] == pytest.approx(1 / 6)
    assert size["pit"] == 0.375
    # a size's density on the log scale, a share's on its own
    assert size["log_score"] == pytest.approx(log_score_draws([1, 2, 3, 4], 2.0, positive=True))
    assert share["log_score"] == pytest.approx(log_score_draws([0.2, 0.4, 0.6, 0.8], 0.5, positive=False))
    assert share["log_score"] != pytest.approx(log_score_draws([0.2, 0.4, 0.6, 0.8], 0.5, positive=True))
    # E|X - 0.5| = 0.2; the 12 ordered pairs of distinct draws 4.0 apart in all: 0.2 - 4 / 24
    assert share["crps"] == pytest.approx(0.2 - 4.0 / 24)
    assert (size["note"], share["note"]) == ("", "")


def test_a_quantity_without_density_has_no_log_score_and_says_why() -> None:
    v = quantity_version("v1", "2025-01-01", {"market.alpha@2026": [3.0, 3.0, 3.0]})
    [row] = Scorecard([v], [quantity("market.alpha@2026", 2.0)]).quantities().to_dict("records")
    assert math.isnan(row["log_score"])
    assert row["note"] == "log score not defined: the draws have no density here"
    assert row["crps"] == pytest.approx(1.0) and row["pit"] == 0.0


def test_every_table_together_binary_rows_first_in_the_resolutions_order() -> None:
    """Resolutions: a quantity, then a prediction, then an outcome (up came about, so
    down is resolved false). The binary table skips the quantity and goes on; the
    averages keep each kind's statements in the order they came; the one table has
    the binary rows (no quantity columns) then the quantity rows (kind "quantity")."""
    from forecast.analysis.scorecard import AVERAGE_COLUMNS, BINARY_COLUMNS, SCORE_COLUMNS

    versions = [
        quantity_version("v1", "2025-01-01", {"market.alpha@2026": [1, 2, 3, 4]}, p_launch=0.8),
        quantity_version("v2", "2025-07-01", {"market.alpha@2026": [2, 2, 2, 6]}, p_launch=0.6),
    ]
    rs = [
        quantity("market.alpha@2026", 2.0),
        resolution("prediction.launch", True),
        resolution("outcome.up", True),
        resolution("outcome.down", False),
    ]
    card = Scorecard(versions, rs)
    b = card.binary()
    assert list(b.columns) == BINARY_COLUMNS
    assert b[["statement", "kind", "label", "version"]].values.tolist() == [
        ["prediction.launch", "prediction", "Acme launches", "v1"],
        ["prediction.launch", "prediction", "Acme launches", "v2"],
        ["outcome.up", "outcome", "Up", "v1"],
        ["outcome.up", "outcome", "Up", "v2"],
        ["outcome.down", "outcome", "Down", "v1"],
        ["outcome.down", "outcome", "Down", "v2"],
    ]
    assert b["brier"].tolist() == pytest.approx([0.04, 0.16, 0.0625, 0.0625, 0.0625, 0.0625])
    avg = card.time_averaged()
    assert list(avg.columns) == AVERAGE_COLUMNS
    assert avg[["statement", "kind", "versions", "days"]].values.tolist() == [
        ["prediction.launch", "prediction", 2, 365],
        ["outcome.up", "outcome", 2, 365],
        ["outcome.down", "outcome", 2, 365],
        ["market.alpha@2026", "quantity", 2, 365],
    ]
    # v1's CRPS 1/6 for 181 days; v2's: E|X - 2| = 1, pairs 3 x 4 x 2 / 12 = 2, so 1 - 1 = 0
    last = avg.iloc[3]
    assert last["crps"] == pytest.approx((1 / 6 * 181 + 0.0 * 184) / 365)
    assert math.isnan(last["brier"])
    assert math.isnan(avg.iloc[0]["crps"])
    table = card.table()
    assert list(table.columns) == SCORE_COLUMNS
    assert table["kind"].tolist() == ["prediction"] * 2 + ["outcome"] * 4 + ["quantity"] * 2
    assert table["crps"].iloc[:6].isna().all() and table["brier"].iloc[6:].isna().all()
    assert table["crps"].iloc[6:].tolist() == pytest.approx([1 / 6, 0.0])
    res = card.resolution_table()
    assert res.values.tolist() == [
        ["market.alpha@2026", "quantity", 2.0, "2026-01-01", "made up", 2],
        ["prediction.launch", "prediction", "true", "2026-01-01", "made up", 2],
        ["outcome.up", "outcome", "true", "2026-01-01", "made up", 2],
        ["outcome.down", "outcome", "false", "2026-01-01", "made up", 2],
    ]


def test_no_resolution_scored_gives_empty_tables_with_their_columns() -> None:
    from forecast.analysis.scorecard import SCORE_COLUMNS

    card = Scorecard(VERSIONS, [])
    assert list(card.table().columns) == SCORE_COLUMNS and not len(card.table())
    assert list(card.not_scored().columns) == ["statement", "version", "as_of", "resolved_on"]
    assert list(card.resolution_table().columns) == [
        "statement",
        "kind",
        "value",
        "date",
        "source",
        "versions",
    ]


def test_a_baseline_of_zero_for_what_happened_has_no_log_score_and_says_so() -> None:
    """Previous baseline 0 for a statement that came true: the baseline's log score and
    the skill are refused together, both reasons given."""
    versions = [version("v1", "2025-01-01", 0.0), version("v2", "2025-07-01", 0.5)]
    b = Scorecard(versions, [resolution("prediction.p", True)], baseline="previous").binary()
    assert math.isnan(b["baseline_log_score"].iloc[1])
    assert b["brier_skill"].iloc[1] == pytest.approx(1 - 0.25 / 1.0)
    assert b["note"].iloc[1] == "baseline log score not defined: it gave 0% to what happened"
    assert b["note"].iloc[0] == "log score not defined: the version gave 0% to what happened"


def test_a_quantity_after_a_prediction_is_scored_with_its_label_and_both_reasons_are_noted() -> None:
    """A prediction resolved before a quantity: both scored. Two versions that gave 0%
    to what happened, the second against the first: both reasons in one note."""
    from forecast.analysis.scorecard import AVERAGE_COLUMNS
    from forecast.analysis.sensitivity import parse_target

    v = quantity_version("v1", "2025-01-01", {"market.alpha@2026": [1, 2, 3, 4]})
    card = Scorecard([v], [resolution("prediction.launch", True), quantity("market.alpha@2026", 2.0)])
    [row] = card.quantities().to_dict("records")
    assert row["label"] == parse_target(v.scenario, "market.alpha@2026").label
    assert card.binary()["resolved_on"].tolist() == ["2026-01-01"]
    versions = [version("v1", "2025-01-01", 0.0), version("v2", "2025-07-01", 0.0)]
    b = Scorecard(versions, [resolution("prediction.p", True)], baseline="previous").binary()
    assert b["note"].iloc[1] == (
        "log score not defined: the version gave 0% to what happened; "
        "baseline log score not defined: it gave 0% to what happened"
    )
    assert list(Scorecard(VERSIONS, []).time_averaged().columns) == AVERAGE_COLUMNS
