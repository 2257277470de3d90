"""History's changes worked by hand: each probability's change from the previous
version that made it, its Monte Carlo error ``sqrt(mcse^2 + mcse_prev^2)``, and the
inputs, evidence and signposts that changed between versions.

Versions are stand-ins (a name, an ``as_of``, a raw scenario mapping and the two
tables a history reads): no simulation.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from forecast.analysis.history import History


def version(
    name: str,
    as_of: str,
    outcomes: dict[str, tuple[float, float]],
    predictions: dict[str, tuple[float, float]],
    raw: dict[str, Any] | None = None,
) -> Any:
    tables = {
        "outcomes": pd.DataFrame(
            [
                {
                    "outcome": k,
                    "label": k.upper(),
                    "probability": p,
                    "mcse": m,
                    "q05": p / 2,
                    "q95": (1 + p) / 2,
                }
                for k, (p, m) in outcomes.items()
            ],
            columns=["outcome", "label", "probability", "mcse", "q05", "q95"],
        ),
        "predictions": pd.DataFrame(
            [
                {"id": k, "statement": f"{k} happens", "deadline": "2027-01-01", "probability": p, "mcse": m}
                for k, (p, m) in predictions.items()
            ],
            columns=["id", "statement", "deadline", "probability", "mcse"],
        ),
    }
    scenario = SimpleNamespace(as_of=dt.date.fromisoformat(as_of), raw=raw or {}, id="s")
    return SimpleNamespace(name=name, as_of=scenario.as_of, scenario=scenario, table=tables.__getitem__)


def test_each_change_is_from_the_last_version_that_made_it_with_both_errors_combined() -> None:
    h = History(
        [
            version("v1", "2025-01-01", {"a": (0.6, 0.003), "b": (0.4, 0.003)}, {"p": (0.5, 0.004)}),
            version("v2", "2025-06-01", {"a": (0.5, 0.004), "b": (0.5, 0.004)}, {}),  # p not made
            version(
                "v3", "2026-01-01", {"a": (0.7, 0.0), "b": (0.3, 0.0)}, {"p": (0.2, 0.003), "q": (0.1, 0.003)}
            ),
        ]
    )
    t = h.table().set_index(["version", "id"])
    # falling then rising; 0.6 -> 0.5: -0.1 with sqrt(0.003^2 + 0.004^2) = 0.005
    assert t.loc[("v2", "a"), "change"] == pytest.approx(-0.1)
    assert t.loc[("v2", "a"), "change_mcse"] == pytest.approx(0.005)
    assert t.loc[("v3", "a"), "change"] == pytest.approx(0.2)
    assert t.loc[("v3", "a"), "change_mcse"] == pytest.approx(0.004)
    assert t.loc[("v2", "b"), "change"] == pytest.approx(0.1)
    # p skipped v2: its change in v3 is from v1's 0.5, with v1's error
    assert t.loc[("v3", "p"), "change"] == pytest.approx(-0.3)
    assert t.loc[("v3", "p"), "change_mcse"] == pytest.approx(0.005)
    # the first time a statement is made: no change, not a change of 0
    for key in (("v1", "a"), ("v1", "p"), ("v3", "q")):
        assert math.isnan(t.loc[key, "change"]) and math.isnan(t.loc[key, "change_mcse"]), key
    # an outcome keeps its own interval; a prediction has none
    assert (t.loc[("v1", "a"), "q05"], t.loc[("v1", "a"), "q95"]) == pytest.approx((0.3, 0.8))
    assert math.isnan(t.loc[("v1", "p"), "q05"])
    assert t.loc[("v1", "p"), "kind"] == "prediction" and t.loc[("v1", "p"), "deadline"] == "2027-01-01"
    assert t.loc[("v1", "a"), "as_of"] == "2025-01-01"


def test_an_outcome_and_a_prediction_of_the_same_id_are_different_statements() -> None:
    h = History(
        [
            version("v1", "2025-01-01", {"x": (0.6, 0.003)}, {"x": (0.1, 0.003)}),
            version("v2", "2025-06-01", {"x": (0.5, 0.004)}, {"x": (0.3, 0.004)}),
        ]
    )
    t = h.table().set_index(["version", "kind", "id"])
    assert t.loc[("v2", "outcome", "x"), "change"] == pytest.approx(-0.1)
    assert t.loc[("v2", "prediction", "x"), "change"] == pytest.approx(0.2)


def test_changes_list_inputs_evidence_and_signposts_but_not_documentation() -> None:
    before = {
        "markets": [
            {"id": "m", "cagr": {"median": 0.3, "sigma": 0.1, "source": "a"}, "label": "M", "size": 10.0}
        ],
        "signposts": [{"id": "s", "statement": "S"}],
        "simulation": {"draws": 1000},
    }
    after = {
        "markets": [
            {"id": "m", "cagr": {"median": 0.25, "sigma": 0.1, "source": "b"}, "label": "Em", "size": 10.0}
        ],
        "signposts": [{"id": "s", "statement": "S", "observed": True}],
        "evidence": [{"market": "m", "year": 2025, "value": 4.9, "rel_error": 0.1}],
    }
    h = History([version("v1", "2025-01-01", {}, {}, before), version("v2", "2025-06-01", {}, {}, after)])
    c = h.changes()
    assert c[["what", "key", "before", "after"]].values.tolist() == [
        ["evidence", "evidence.m@2025", "", "4.9 ± 10%"],
        ["input", "markets.m.cagr", "median 0.3, sigma 0.1", "median 0.25, sigma 0.1"],
        ["input", "simulation.draws", "1000", ""],
        ["signpost", "signposts.s.observed", "", "true"],
    ]
    assert set(c["version"]) == {"v2"} and set(c["previous"]) == {"v1"}


def test_identical_versions_have_no_changes() -> None:
    raw = {"markets": [{"id": "m", "size": 10.0}]}
    h = History([version("v1", "2025-01-01", {}, {}, raw), version("v2", "2025-06-01", {}, {}, dict(raw))])
    assert h.changes().empty


def test_every_column_of_a_row_is_the_tables_and_the_columns_are_in_order() -> None:
    from forecast.analysis.history import HISTORY_COLUMNS

    h = History([version("v1", "2025-01-01", {"a": (0.6, 0.003)}, {"p": (0.5, 0.004)})])
    t = h.table()
    assert list(t.columns) == HISTORY_COLUMNS
    outcome, prediction = t.to_dict("records")
    assert {k: outcome[k] for k in ("version", "kind", "id", "label", "deadline", "probability", "mcse")} == {
        "version": "v1", "kind": "outcome", "id": "a", "label": "A", "deadline": "", "probability": 0.6, "mcse": 0.003,
    }  # fmt: skip
    assert (prediction["label"], prediction["deadline"], prediction["probability"], prediction["mcse"]) == (
        "p happens", "2027-01-01", 0.5, 0.004,
    )  # fmt: skip
    empty = History([version("v1", "2025-01-01", {}, {})])
    assert list(empty.table().columns) == HISTORY_COLUMNS and list(empty.changes().columns) == [
        "version", "previous", "what", "key", "before", "after",
    ]  # fmt: skip


def test_values_are_written_the_same_way_in_every_version() -> None:
    """A flag false, a number to 6 significant digits, a date, a list (sorted keys), a
    point value alone, a stated projection with its year; evidence without an error is
    ± 0%; a list item without an id is named by its place; a list of evidence-like
    items under another key is not evidence."""
    before = {
        "simulation": {
            "flag": True,
            "rate": 0.1234567,
            "day": dt.date(2025, 1, 2),
            "ids": [{"b": 1, "a": 2}],
        },
        "markets": [{"id": "m", "size": {"value": 10.0}, "projection": {"median": 20.0, "year": 2027}}],
        "evidence": [{"market": "m", "year": 2025, "value": 4.9}],
        "extra": [{"market": "m", "year": 2025, "value": 1.0}],
    }
    after = {
        "simulation": {"flag": False, "rate": 0.1234567, "day": dt.date(2025, 1, 2), "ids": [{"b": 1, "a": 3}]},
        "markets": [{"id": "m", "size": {"value": 11.0}, "projection": {"median": 20.0, "year": 2028}}],
        "evidence": [{"market": "m", "year": 2025, "value": 4.9}, {"market": "m", "year": 2026, "value": 5.5, "rel_error": 0.2}],
        "extra": [{"market": "m", "year": 2025, "value": 1.5}],
    }  # fmt: skip
    h = History([version("v1", "2025-01-01", {}, {}, before), version("v2", "2025-06-01", {}, {}, after)])
    assert h.changes()[["key", "before", "after"]].values.tolist() == [
        ["evidence.m@2026", "", "5.5 ± 20%"],
        ["extra[0]", "year 2025, value 1", "year 2025, value 1.5"],
        ["markets.m.projection", "median 20, year 2027", "median 20, year 2028"],
        ["markets.m.size", "10", "11"],
        ["simulation.flag", "true", "false"],
        ["simulation.ids[0].a", "2", "3"],
    ]
    from forecast.analysis.history import flatten

    flat = flatten(before)
    assert flat["evidence.m@2025"] == "4.9 ± 0%"
    assert (flat["simulation.rate"], flat["simulation.day"]) == ("0.123457", "2025-01-02")
    assert flatten({"tags": [1, {"b": 1, "a": [2]}]}) == {"tags": '[1, {"a": [2], "b": 1}]'}


def test_a_list_of_dates_is_written_as_text() -> None:
    from forecast.analysis.history import flatten

    assert flatten({"dates": [dt.date(2025, 1, 1), 2]}) == {"dates": '["2025-01-01", 2]'}
