"""What the report says the numbers mean (issue 13): inputs treated as exactly known, the
method note, and what the Monte Carlo error of a difference bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    # the error of a difference of two forward runs of one size is sd(x_i - y_i)/sqrt(n)
    # over paired draws: right whether the shared seed correlates them (a what-if of one
    # file) or not (another structure: then it equals the independent runs' error);
    # NUTS runs and other sizes fall back to the independent runs' root sum of squares,
    # and no text claims a bound
    assert "paired draws" in DIFFERENCE_ERROR and "exactly 0" in DIFFERENCE_ERROR
    assert "NUTS runs" in DIFFERENCE_ERROR and "root sum of squares" in DIFFERENCE_ERROR
    assert "as independent runs" in DIFFERENCE_ERROR and "bound" not in DIFFERENCE_ERROR


def test_the_report_says_on_for_at_thresholds_and_bounds_an_error_every_draw_agrees_on() -> None:
    """A threshold judged ``at`` its deadline reads "on DATE", one judged ``by`` it and an
    event "by DATE"; a probability of 0 or 1 carries the rule-of-three bound the table
    holds (3/n), shown as a bound, not as "± 0.015 pp" as if it were a standard error."""
    from types import SimpleNamespace

    import pandas as pd

    from forecast.outputs.narrative import executive_summary
    from forecast.outputs.sections import prediction_blocks

    data = {**PAAS, "predictions": [*PAAS["predictions"]]}
    data["predictions"].append({**PAAS["predictions"][0], "id": "on", "statement": "PaaS is 250 on the day"})
    del data["predictions"][1]["when"]
    data["predictions"].append(
        {"id": "ev", "statement": "An event", "deadline": "2026-01-01", "probability": 0.3}
    )
    s = Scenario.from_dict(data)
    n = 20_000
    predictions = pd.DataFrame(
        {
            "id": ["big", "on", "ev"],
            "statement": ["PaaS reaches 250 by mid-2026", "PaaS is 250 on the day", "An event"],
            "deadline": ["2026-07-01", "2026-07-01", "2026-01-01"],
            "probability": [1.0, 0.0, 0.3],
            "mcse": [3 / n, 3 / n, 0.0032],
        }
    )
    [block] = prediction_blocks(SimpleNamespace(scenario=s, conditioned=False, evidence=[]), predictions, {})  # type: ignore[arg-type]
    rows = block.tables[0].rows
    assert [r[1] for r in rows] == ["by 2026-07-01", "on 2026-07-01", "by 2026-01-01"]
    assert [r[3] for r in rows] == ["< 3/n = 0.015 pp", "< 3/n = 0.015 pp", "0.32 pp"]
    empty = pd.DataFrame()
    sentences = executive_summary(
        s,
        year=2027,
        conditioned=False,
        outcomes=empty,
        by_outcome=empty,
        growth=empty,
        predictions=predictions,
        signposts=empty,
    )
    text = " ".join(x.text for x in sentences)
    assert "100% by 2026-07-01 (< 3/n = 0.015 pp)" in text
    assert "0% on 2026-07-01 (< 3/n = 0.015 pp)" in text


def test_a_scenario_whose_markets_are_all_points_says_so() -> None:
    # nothing is uncertain, so no single input is "exactly known while others are not";
    # the report and validate still say the markets carry no uncertainty at all
    data = {
        "id": "points",
        "title": "Points",
        "as_of": "2025-01-01",
        "markets": [{"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024, "size": 10, "cagr": 0.1}],
    }
    [block] = input_blocks(Scenario.from_dict(data))
    assert any(t.startswith("Every market and share input is a point") for t in block.text)
    [block] = input_blocks(Scenario.from_dict(PAAS))
    assert not any(t.startswith("Every market and share input is a point") for t in block.text)


def test_validate_notes_a_scenario_without_market_uncertainty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.cli import main

    path = tmp_path / "points.toml"
    path.write_text(
        'id = "points"\ntitle = "Points"\nas_of = 2025-01-01\n\n[[markets]]\nid = "m"\nlabel = "M"\n'
        'unit = "USD bn"\nbase_year = 2024\nsize = 10\ncagr = 0.1\n',
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"ok: {path}"
    assert sorted(lines[1:]) == [
        f"note: {path}: every market and share input is a point: the markets have no uncertainty",
        f"note: {path}: markets.m.volatility: not stated, so 0: m has no yearly shocks",
    ]
