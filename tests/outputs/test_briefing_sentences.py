"""The briefing's sentences on every branch, each written out whole by hand.

A signpost's caption (not yet observed, observed true, observed false), its terminal
line (open or seen; an outcome and a prediction, or an outcome only), the
sensitivity section's words (one input, several, indices adding up to more than 1,
one below 0), a variance index for a reader, and the illustrative-data flags (one,
several, more than five, the scenario itself; versions and resolutions).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.outputs import briefing
from forecast.outputs.briefing import (
    illustrative_text,
    index_cell,
    sensitivity_parts,
    signpost_lines,
    signpost_sentence,
    track_record_flag,
)


@pytest.mark.parametrize(
    ("observed", "text"),
    [
        (None, "S. Not yet observed: the model gives it a 30.0% chance of being observed true."),
        (float("nan"), "S. Not yet observed: the model gives it a 30.0% chance of being observed true."),
        (True, "S. Observed true; before it was observed, the model gave that a 30.0% chance."),
        # observed false: the chance quoted is that of false, 1 - 0.3
        (False, "S. Observed false; before it was observed, the model gave that a 70.0% chance."),
    ],
)
def test_a_signpost_caption_says_its_state_and_the_chance_of_it(observed: Any, text: str) -> None:
    assert signpost_sentence("S", observed, 0.3) == text


def _effects(observed: Any = None, predictions: bool = True) -> pd.DataFrame:
    rows = [
        {"kind": "outcome", "label": "Up", "now": 0.5, "if_true": 0.6, "if_false": 0.45, "without": 0.4},
        {"kind": "outcome", "label": "Down", "now": 0.5, "if_true": 0.3, "if_false": 0.6, "without": 0.6},
        {"kind": "prediction", "label": "P1", "now": 0.2, "if_true": 0.21, "if_false": 0.19, "without": 0.2},
        {"kind": "prediction", "label": "P2", "now": 0.3, "if_true": 0.5, "if_false": 0.1, "without": 0.1},
    ]
    df = pd.DataFrame([{"signpost": "s", "observed": observed} | r for r in rows])
    return df if predictions else df[df["kind"] == "outcome"]


SCENARIO = SimpleNamespace(signposts=[SimpleNamespace(id="s", statement="S is seen")])


def test_an_open_signposts_line_names_what_it_moves_most_either_way() -> None:
    # Up moves 15 pp between true and false, Down 30 pp: Down; P2 moves 40 pp, P1 2 pp
    assert signpost_lines(SCENARIO, _effects()) == [
        "Signpost “S is seen”: P(Down) 50.0% → 30.0% if true, 60.0% if false; "
        "“P2” 30.0% → 50.0% if true, 10.0% if false"
    ]


@pytest.mark.parametrize("observed", [True, False])
def test_a_seen_signposts_line_says_what_the_observation_did(observed: bool) -> None:
    # seen: the move is now - without; Up moved 10 pp, Down 10 pp (a tie: the first), P2 20 pp
    assert signpost_lines(SCENARIO, _effects(observed)) == [
        f"Signpost “S is seen” (observed {'true' if observed else 'false'}) moved "
        "P(Up) 40.0% → 50.0%; “P2” 10.0% → 30.0%"
    ]


def test_a_signpost_without_predictions_names_only_an_outcome() -> None:
    assert signpost_lines(SCENARIO, _effects(predictions=False)) == [
        "Signpost “S is seen”: P(Down) 50.0% → 30.0% if true, 60.0% if false"
    ]


@pytest.mark.parametrize(
    ("value", "conf", "text"),
    [
        (0.3812, 0.02, "0.381"),
        (0.0, 0.01, "0"),
        (-0.004, 0.011, "≈ 0 (< 0.007)"),  # its interval reaches above 0: the upper end
        (-0.02, 0.01, "≈ 0"),
        (-0.01, 0.01, "≈ 0"),  # the interval's upper end exactly 0
        (-0.004, None, "≈ 0"),
        (-0.004, float("nan"), "≈ 0"),
        (float("nan"), 0.01, "–"),
    ],
)
def test_an_index_is_never_shown_below_zero(value: float, conf: Any, text: str) -> None:
    assert index_cell(value, conf) == text


def _sens(first_order: list[float], **attrs: str) -> pd.DataFrame:
    df = pd.DataFrame({"input": [f"I{i}" for i in range(len(first_order))], "first_order": first_order})
    df.attrs.update(attrs)
    return df


def test_one_input_that_leaves_room_for_what_no_input_states() -> None:
    title, text, notes = sensitivity_parts(_sens([0.5], target_label="Total 2027"))
    assert title == "What drives the uncertainty in Total 2027"
    assert text == [
        "I0 matters most: on its own it accounts for about 50% of the variance. The rest comes from what no "
        "input states: the yearly market shocks, the realized outcome and event timing."
    ]
    assert notes == []


def test_the_first_three_inputs_in_the_tables_order_and_an_index_below_zero_noted() -> None:
    title, text, notes = sensitivity_parts(
        _sens([0.4, -0.01, 0.3, 0.1, 0.05], target="market.m@2027", description="RBD-FAST")
    )
    assert title == "What drives the uncertainty in market.m@2027"
    assert text[0].startswith(
        "I0 matters most: on its own it accounts for about 40% of the variance; then I2 (30%), I3 (10%). The rest"
    )
    assert len(notes) == 2 and notes[0].startswith("An index estimated below 0 is shown as ≈ 0")
    assert notes[1] == "Method: RBD-FAST"


def test_indices_adding_up_to_more_than_one_are_explained() -> None:
    _, text, _ = sensitivity_parts(_sens([0.7, 0.6]))
    assert text[0] == "I0 matters most: on its own it accounts for about 70% of the variance; then I1 (60%)."
    assert text[1].startswith("These indices add up to 1.3, more than 1, because the inputs are correlated")


def test_indices_adding_up_to_exactly_one_leave_no_rest_unexplained_claim() -> None:
    _, text, _ = sensitivity_parts(_sens([0.5, 0.5]))
    assert len(text) == 1 and text[0].endswith("event timing.")


def test_no_input_above_zero_gives_no_words_and_no_target_is_the_answer() -> None:
    title, text, _ = sensitivity_parts(_sens([-0.01, 0.0]))
    assert (title, text) == ("What drives the uncertainty in the answer", [])


@pytest.mark.parametrize(
    ("keys", "text"),
    [
        ([], ""),
        (
            ["scenario"],
            "Illustrative data: the scenario is marked illustrative, not real data. Do not rely on these numbers for a decision.",
        ),
        (
            ["a"],
            "Illustrative data: 1 input is marked illustrative, not real data (a). Do not rely on these numbers for a decision.",
        ),
        (
            ["scenario", "a", "b"],
            "Illustrative data: the scenario and 2 inputs are marked illustrative, not real data (a, b). Do not rely on these numbers for a decision.",
        ),
        (
            list("abcdefg"),
            "Illustrative data: 7 inputs are marked illustrative, not real data (a, b, c, d, e and 2 more). Do not rely on these numbers for a decision.",
        ),
        (
            list("abcde"),
            "Illustrative data: 5 inputs are marked illustrative, not real data (a, b, c, d, e). Do not rely on these numbers for a decision.",
        ),
    ],
)
def test_the_illustrative_flag_names_up_to_five_inputs(keys: list[str], text: str) -> None:
    assert illustrative_text(keys) == text


def test_the_track_record_flag_counts_versions_and_resolutions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(briefing, "illustrative_inputs", lambda s: s)
    versions = [SimpleNamespace(name=f"v{i}", scenario=["x"] if i % 2 else []) for i in range(1, 14)]
    made_up = SimpleNamespace(source="illustrative: made up")
    real = SimpleNamespace(source="IDC 2024")
    assert track_record_flag(versions[:2], [real]) == (
        "Illustrative data: 1 of the 2 versions holds inputs marked illustrative, not real data (v1). "
        "Do not rely on these numbers for a decision."
    )
    assert track_record_flag(versions, [made_up, real, made_up]) == (
        "Illustrative data: 7 of the 13 versions hold inputs marked illustrative, not real data "
        "(v1, v3, v5, v7, v9 and 2 more); 2 resolutions are marked illustrative. "
        "Do not rely on these numbers for a decision."
    )
    assert track_record_flag(versions[1:2], [made_up]) == (
        "Illustrative data: 1 resolution is marked illustrative. Do not rely on these numbers for a decision."
    )
    assert track_record_flag(versions[1:2], [real]) == ""


def test_the_sentence_ranks_by_the_index_it_quotes_and_skips_no_larger_driver() -> None:
    # the table is ordered by the own-part index; the words quote first-order indices,
    # so they rank by those: 35%, 31%, 25%, never "then 35%, 2.6%" skipping 31% and 25%
    df = _sens([0.5, 0.35, 0.026, 0.31, 0.25])
    _, text, _ = sensitivity_parts(df)
    assert text[0].startswith(
        "I0 matters most: on its own it accounts for about 50% of the variance; then I1 (35%), I3 (31%)."
    )


# --- the edges the mutation run found open -------------------------------------------


def test_six_inputs_name_five_and_one_more() -> None:
    assert illustrative_text(list("abcdef")) == (
        "Illustrative data: 6 inputs are marked illustrative, not real data (a, b, c, d, e and 1 more). "
        "Do not rely on these numbers for a decision."
    )


@pytest.mark.parametrize(("n", "shown"), [(5, "v1, v2, v3, v4, v5"), (6, "v1, v2, v3, v4, v5 and 1 more")])
def test_the_track_record_flag_names_five_versions_then_a_count(
    monkeypatch: pytest.MonkeyPatch, n: int, shown: str
) -> None:
    """Exactly five versions: all named; six: five and one more. A resolution with no
    source at all is not illustrative."""
    monkeypatch.setattr(briefing, "illustrative_inputs", lambda s: s)
    versions = [SimpleNamespace(name=f"v{i}", scenario=["x"]) for i in range(1, n + 1)]
    assert track_record_flag(versions, [SimpleNamespace()]) == (
        f"Illustrative data: {n} of the {n} versions hold inputs marked illustrative, not real data ({shown}). "
        "Do not rely on these numbers for a decision."
    )


def test_the_words_for_indices_adding_up_to_more_than_one_and_one_below_zero_whole() -> None:
    _, text, notes = sensitivity_parts(_sens([0.7, 0.6, -0.02]))
    assert text[1] == (
        "These indices add up to 1.3, more than 1, because the inputs are correlated (the markets' growth "
        "moves together through the common factor, and the outcome probabilities sum to one): each index "
        "also counts the variance an input shares with the inputs it moves with. The own-part index counts "
        "only what is its own."
    )
    assert notes == [
        "An index estimated below 0 is shown as ≈ 0 with the upper end of its 95% interval: the input does "
        "not measurably matter."
    ]


def test_an_index_of_exactly_zero_is_not_below_zero_and_a_table_without_indices_has_no_words() -> None:
    _, text, notes = sensitivity_parts(_sens([0.5, 0.0]))
    assert notes == [] and len(text) == 1
    no_index = pd.DataFrame({"input": ["I0"], "low": [1.0]})
    assert sensitivity_parts(no_index)[1:] == ([], [])


def test_signposts_in_the_scenarios_order_one_row_each_and_a_missing_observation_open() -> None:
    """Signpost "z" before "a" (not sorted); "z" has one outcome row only, observed
    NaN (open); "a" moves a prediction only (no outcome row)."""
    rows = [
        {"signpost": "z", "observed": np.nan, "kind": "outcome", "label": "Up", "now": 0.5, "if_true": 0.7, "if_false": 0.4, "without": 0.5},
        {"signpost": "a", "observed": None, "kind": "prediction", "label": "P", "now": 0.2, "if_true": 0.3, "if_false": 0.1, "without": 0.2},
    ]  # fmt: skip
    s = SimpleNamespace(
        signposts=[SimpleNamespace(id="z", statement="Z"), SimpleNamespace(id="a", statement="A")]
    )
    assert signpost_lines(s, pd.DataFrame(rows)) == [
        "Signpost “Z”: P(Up) 50.0% → 70.0% if true, 40.0% if false",
        "Signpost “A”: “P” 20.0% → 30.0% if true, 10.0% if false",
    ]


def test_the_inputs_marked_illustrative_by_source_or_note_with_the_scenario_first() -> None:
    """m's size by its source, m's CAGR by its note; k's source is a real one. The
    scenario is named first when its title or its source says so."""
    from forecast.outputs.briefing import illustrative_inputs
    from tests.engine.test_semantics import scenario

    m = {"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024,
         "size": {"median": 10.0, "sigma": 0.2, "source": "illustrative: made up"},
         "cagr": {"median": 0.1, "sigma": 0.05, "note": "Not real data"}}  # fmt: skip
    k = {"id": "k", "label": "K", "unit": "USD bn", "base_year": 2024,
         "size": {"median": 5.0, "sigma": 0.1, "source": "IDC 2024"}, "cagr": 0.1}  # fmt: skip
    assert illustrative_inputs(scenario(markets=[m, k])) == ["markets.m.size", "markets.m.cagr"]
    assert illustrative_inputs(scenario(markets=[m, k], title="An illustrative case")) == [
        "scenario", "markets.m.size", "markets.m.cagr",
    ]  # fmt: skip
    assert illustrative_inputs(scenario(markets=[k], source="made-up data")) == ["scenario"]
    assert illustrative_inputs(scenario(markets=[k])) == []
