"""What the report says the numbers mean (issue 13): inputs treated as exactly known, the
method note, and what the Monte Carlo error of a difference bounds."""

from __future__ import annotations

from forecast.analysis.comparison import DIFFERENCE_ERROR
from forecast.outputs.sections import METHOD_NOTE, input_blocks, input_rows
from forecast.scenario import Scenario

PAAS = {
    "id": "paas",
    "title": "PaaS",
    "as_of": "2025-01-01",
    "markets": [
        {
            "id": "paas",
            "label": "Platform as a service",
            "unit": "USD bn",
            "base_year": 2024,
            "size": {"low": 150, "high": 200},
            "projection": {"year": 2027, "value": 290},
        }
    ],
    "predictions": [
        {
            "id": "big",
            "statement": "PaaS reaches 250 by mid-2026",
            "deadline": "2026-07-01",
            "quantity": "market.paas",
            "op": ">=",
            "threshold": 250,
            "when": "by",
        }
    ],
}


def test_the_inputs_section_lists_what_is_treated_as_exactly_known() -> None:
    [block] = input_blocks(Scenario.from_dict(PAAS))
    assert any(
        "Treated as exactly known while other inputs are uncertain: 2027 projection of paas is a point: "
        "its year has no uncertainty (markets.paas.projection)." in t
        for t in block.text
    )
    assert METHOD_NOTE in block.text


def test_the_method_note_states_the_calendar_and_how_thresholds_are_judged() -> None:
    assert "stands at mid-year (1 July)" in METHOD_NOTE
    assert "'by' its deadline" in METHOD_NOTE and "'at' only on the deadline" in METHOD_NOTE
    rows = {r["key"]: r for r in input_rows(Scenario.from_dict(PAAS))}
    assert rows["predictions.big.threshold"]["value"] == "market.paas >= 250 by 2026-07-01"


def test_the_error_of_a_difference_is_not_claimed_to_bound_every_same_seed_comparison() -> None:
    # a shared seed correlates runs only where their random numbers line up: scenarios of
    # different structure and NUTS runs on different data are effectively independent
    assert "standard error when the runs are independent" in DIFFERENCE_ERROR
    assert "different structure" in DIFFERENCE_ERROR and "NUTS runs on different data" in DIFFERENCE_ERROR
    assert "upper bound only when" in DIFFERENCE_ERROR
