"""The JSON Schema carries what the engine does (issue 25, "The documentation says what
the engine does"): each semantic a strategist cannot derive is in the description of
the key they hover over in an editor, not only in the README.

The engine's own behaviour behind each sentence is tested elsewhere
(tests/test_readme_semantics.py); here: the words are where ``forecast schema`` puts them.
"""

from __future__ import annotations

from typing import Any

import pytest

from forecast.scenario.jsonschema import json_schema


def _description(path: str) -> str:
    """The description at ``Def`` or ``Def.property`` of the full schema's definitions."""
    defs: dict[str, Any] = json_schema()["$defs"]
    name, _, prop = path.partition(".")
    node = defs[name]["properties"][prop] if prop else defs[name]
    return " ".join(str(node.get("description", "")).split())


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        # 1 January is 0.504 of the way between two annual figures, by days: on every date
        ("Scenario.as_of", "1 January lies 0.504 of the way from the earlier figure to the later one"),
        ("SharePoint.at", "1 January lies 0.504 of the way from the earlier figure to the later one"),
        ("Prediction.deadline", "1 January lies 0.504 of the way from the earlier figure to the later one"),
        ("Prediction.deadline", "by days: 184 of 365"),
        # revenue between grid years: share on that date x the interpolated market
        ("Position", "revenue is the share on that date times the market interpolated to that date"),
        ("Position", "not an interpolation of two annual revenues"),
        # yearly shocks between grid years
        ("Market.volatility", "between grid years it is interpolated log-linearly with the figures"),
        # before a share path's first point and after its last
        ("Position", "Before the path's first point the share is that point's"),
        ("Position", "after its last point it stays at the last point's (held, not extrapolated)"),
        ("Position.path", "held at the first point's before it and the last's after it"),
        # a market after its last anchor
        ("Market", "After its last anchor (the projection year, else the base year) it grows at its trend"),
        ("Market", "a date past the last simulated year reads that year's figure"),
        # scores read from files: float32 draws, rounded probabilities
        ("Prediction.resolved", "draws as forecast.nc stores them (float32)"),
        ("Prediction.resolved", "probabilities rounded to six significant digits"),
        # a resolution id x is prediction.x
        ("Prediction.id", "a resolution of id x is `prediction.x` in score tables"),
        # the one headline year, with its default
        ("ReportSettings.headline_year", "Default: the last projection year"),
    ],
)
def test_the_schema_describes_the_semantic(path: str, phrase: str) -> None:
    assert phrase in _description(path), (path, _description(path))


def test_the_committed_schema_carries_them_too() -> None:
    """``scenarios/scenario.schema.json`` is ``forecast schema``'s output (regenerated)."""
    import json
    from pathlib import Path

    committed = (Path(__file__).parents[2] / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(json.dumps(json_schema()))
    assert "0.504 of the way" in committed and "prediction.x" in committed and "float32" in committed
