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
