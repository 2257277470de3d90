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
