"""``[[risks]]`` and ``[[questions]]``: bad input is a problem with its key path.

Each case is one edit of a small valid file; every problem of a file comes at once.
"""

from __future__ import annotations

from typing import Any

import pytest

import forecast
from forecast.errors import ScenarioError

BASE: dict[str, Any] = {
    "id": "reg",
    "title": "Register",
    "as_of": "2025-01-01",
    "markets": [{"id": "m", "label": "M", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.2}],
    "assessment": {
        "horizon_years": 3,
        "confidence": 20,
        "outcomes": [
            {"id": "a", "label": "A", "probability": 0.6},
            {"id": "b", "label": "B", "probability": 0.4},
        ],
    },
}


def risk(**over: Any) -> dict[str, Any]:
    r = {
        "id": "r",
        "statement": "R happens",
        "probability": 0.3,
        "deadline": "2027-01-01",
        "effects": [{"outcome": "a", "log_odds": 1.0}],
    }
    return {**r, **over}


def question(*answers: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"id": "q", "statement": "Q?", "answers": list(answers), **over}


def problems(**items: Any) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        forecast.Scenario.from_dict({**BASE, **items}, origin="f.toml")
    return [str(p) for p in e.value.problems]


def test_a_valid_register_loads() -> None:
    s = forecast.Scenario.from_dict(
        {
            **BASE,
            "risks": [
                risk(
                    effects=[
                        {"outcome": "a", "log_odds": {"low": -1, "high": 0}},
                        {"target": "markets.m.cagr", "shift": -0.05},
                    ]
                )
            ],
            "questions": [question({"id": "y", "probability": 0.4}, {"id": "n", "probability": 0.6})],
        }
    )
    assert [r.id for r in s.risks] == ["r"] and s.questions[0].answers[1].id == "n"
    assert not s.has_evidence


def test_an_effect_on_an_unknown_outcome_names_its_path() -> None:
    out = problems(risks=[risk(effects=[{"outcome": "aa", "log_odds": 1.0}])])
    assert out == ["f.toml: risks.r.effects[0].outcome: no outcome with id 'aa'; did you mean 'a'?"]


def test_an_effect_on_an_unknown_market_names_its_path() -> None:
    out = problems(risks=[risk(effects=[{"target": "markets.mm.cagr", "shift": -0.1}])])
    assert out == ["f.toml: risks.r.effects[0].target: no market with id 'mm'; did you mean 'm'?"]
    out = problems(risks=[risk(effects=[{"target": "market.m.cagr", "shift": -0.1}])])
    assert out == [
        "f.toml: risks.r.effects[0].target: must be 'markets.<id>.cagr', 'inputs.<id>' or 'metric.<id>' "
        "(got 'market.m.cagr')"
    ]


def test_a_deadline_on_or_before_as_of_is_a_problem() -> None:
    out = problems(risks=[risk(deadline="2024-12-31")])
    assert out == ["f.toml: risks.r.deadline: must be after as_of 2025-01-01 (got 2024-12-31)"]


def test_answer_probabilities_must_sum_to_one() -> None:
    out = problems(questions=[question({"id": "y", "probability": 0.4}, {"id": "n", "probability": 0.5})])
    assert out == ["f.toml: questions.q.answers: the answers' probabilities must sum to 1 (got 0.9)"]


def test_likelihoods_must_sum_to_one_under_every_outcome_and_agree_with_a_stated_probability() -> None:
    out = problems(
        questions=[
            question(
                {"id": "y", "likelihood": {"a": 0.7, "b": 0.2}, "probability": 0.6},
                {"id": "n", "likelihood": {"a": 0.3, "b": 0.7}},
            )
        ]
    )
    assert out == [
        "f.toml: questions.q.answers: the answers' likelihoods under 'b' must sum to 1 (got 0.9)",
        "f.toml: questions.q.answers.y.probability: disagrees with the 0.5 its likelihoods imply at the stated "
        "outcome probabilities (got 0.6)",
    ]


def test_all_problems_come_at_once_with_a_mixed_or_unknown_answer() -> None:
    out = problems(
        risks=[risk(deadline="2020-01-01", effects=[{"outcome": "z", "log_odds": 1.0}])],
        questions=[
            question(
                {"id": "y", "likelihood": {"a": 1, "b": 1}}, {"id": "n", "probability": 1.0}, answered="yes"
            )
        ],
    )
    assert out == [
        "f.toml: risks.r.deadline: must be after as_of 2025-01-01 (got 2020-01-01)",
        "f.toml: risks.r.effects[0].outcome: no outcome with id 'z'",
        "f.toml: questions.q.answered: no answer with id 'yes'",
        "f.toml: questions.q.answers: give every answer a likelihood, or none (then each a probability and effects)",
    ]


def test_an_effect_needs_one_complete_kind() -> None:
    with pytest.raises(ScenarioError) as e:
        forecast.Scenario.from_dict(
            {**BASE, "risks": [risk(effects=[{"outcome": "a", "shift": 0.1}])]}, "f.toml"
        )
    assert "risks" in str(e.value) and "either outcome and log_odds, or target and shift" in str(e.value)


def test_answers_that_cannot_come_and_certain_risks_are_refused() -> None:
    out = problems(
        risks=[risk(probability=1.0)],
        questions=[question({"id": "y", "probability": 0.0}, {"id": "n", "probability": 1.0})],
    )
    assert out == [
        "f.toml: risks.r.probability: must be between 0 and 1, not either (got 1.0)",
        "f.toml: questions.q.answers.y.probability: is 0: an answer that cannot come has no 'if' to show; "
        "drop it (got 0.0)",
    ]
    out = problems(
        questions=[
            question({"id": "y", "likelihood": {"a": 0, "b": 0}}, {"id": "n", "likelihood": {"a": 1, "b": 1}})
        ]
    )
    assert out == [
        "f.toml: questions.q.answers.y.likelihood: is 0 under every outcome: this answer cannot come; drop it"
    ]


def test_risks_need_outcomes() -> None:
    bare = {k: v for k, v in BASE.items() if k != "assessment"}
    with pytest.raises(ScenarioError) as e:
        forecast.Scenario.from_dict(
            {**bare, "risks": [risk(effects=[{"target": "markets.m.cagr", "shift": -0.1}])]}, "f.toml"
        )
    assert [str(p) for p in e.value.problems] == ["f.toml: risks.r: risks need an [assessment] with outcomes"]


# --- effects on named inputs and metrics (forecast.scenario.risk_targets) ------------------

BUSINESS: dict[str, Any] = {
    **BASE,
    "inputs": [
        {"id": "margin", "label": "Margin", "unit": "share", "value": 0.4},
        {"id": "price", "label": "Price", "unit": "USD", "value": 10.0},
    ],
    "metrics": [
        {"id": "profit", "label": "Profit", "unit": "USD", "formula": "inputs.price * inputs.margin"},
        {"id": "log_margin", "label": "Log margin", "unit": "1", "formula": "log(inputs.margin)"},
    ],
}


def target_problems(*effects: dict[str, Any], **items: Any) -> list[str]:
    with pytest.raises(ScenarioError) as e:
        forecast.Scenario.from_dict(
            {**BUSINESS, "risks": [risk(effects=list(effects))], **items}, origin="f.toml"
        )
    return [str(p) for p in e.value.problems]


def test_effects_on_inputs_and_metrics_load() -> None:
    s = forecast.Scenario.from_dict(
        {
            **BUSINESS,
            "risks": [
                risk(
                    effects=[
                        {"target": "inputs.price", "shift": {"low": -3, "high": -1}},
                        {"target": "inputs.margin", "shift": "-5%"},
                        {"target": "metric.profit", "scale": 0.8},
                    ]
                )
            ],
        },
        origin="f.toml",
    )
    assert [(e.kind, e.ident) for e in s.risks[0].effects] == [
        ("input", "price"),
        ("input", "margin"),
        ("metric", "profit"),
    ]
    assert s.risks[0].effects[1].amount.value == pytest.approx(-0.05)


def test_an_unknown_input_or_metric_names_its_path_with_a_hint() -> None:
    assert target_problems({"target": "inputs.margn", "shift": -0.1}) == [
        "f.toml: risks.r.effects[0].target: no input with id 'margn'; did you mean 'margin'?"
    ]
    assert target_problems({"target": "metric.proft", "shift": -0.1}) == [
        "f.toml: risks.r.effects[0].target: no metric with id 'proft'; did you mean 'profit'?"
    ]


def test_bad_shifts_and_scales_are_problems_all_at_once() -> None:
    out = target_problems({"target": "inputs.price", "shift": "abc"})
    assert out[0].startswith("f.toml: risks.r.effects[0].shift: must be a number or a table")
    assert out[0].endswith("(got 'abc')")
    out = target_problems(
        {"target": "inputs.price", "shift": 1},
        {"target": "inputs.price", "scale": -1},
        {"target": "markets.m.cagr", "scale": 1.1},
        {"target": "metric.profit@2026", "shift": 1},
        {"target": "inputs.price", "shift": {"dist": "pert", "low": -3, "mode": -2, "high": 0}},
    )
    assert out == [
        "f.toml: risks.r.effects[1].scale: must be > 0 (got -1)",
        "f.toml: risks.r.effects[2].scale: a market's growth takes a shift (a change of its CAGR), not a scale",
        "f.toml: risks.r.effects[3].target: names no year: a metric is shifted in every year from as_of "
        "on (write metric.<id>) (got 'metric.profit@2026')",
        "f.toml: risks.r.effects[4].shift: takes a number, an interval or a normal, lognormal or uniform "
        "distribution (not a triangular, PERT, discrete, mixture or samples one, yet)",
    ]
    assert target_problems({"target": "inputs.price", "scale": 1.1, "shift": 1}) == [
        "f.toml: risks.r.effects[0]: an effect on a target needs the target and one of shift or scale "
        "(got {'target': 'inputs.price', 'scale': 1.1, 'shift': 1})"
    ]


def test_a_share_shift_typed_as_a_percent_gets_the_fraction_it_meant() -> None:
    out = target_problems({"target": "inputs.margin", "shift": -5})
    assert out[0] == (
        "f.toml: risks.r.effects[0].shift: is in the input's unit, a share: you typed -5; "
        'did you mean -0.05 or "-5%"?'
    )


def test_a_formula_sees_what_a_risk_can_do_to_its_input() -> None:
    """log(margin) checks with margin at 0.4; a risk that can take 50 points off makes
    it a log of something that can be negative, refused as without the risk."""
    assert target_problems({"target": "inputs.margin", "shift": "-50%"}) == [
        "f.toml: metrics.log_margin.formula: 'log' of 'inputs.margin', which can be 0 or negative at column 1"
    ]
    forecast.Scenario.from_dict(
        {**BUSINESS, "risks": [risk(effects=[{"target": "inputs.margin", "scale": 0.5}])]}, origin="f.toml"
    )


def test_effects_on_inputs_are_for_risks_not_a_questions_answers() -> None:
    with pytest.raises(ScenarioError) as e:
        forecast.Scenario.from_dict(
            {
                **BUSINESS,
                "questions": [
                    question(
                        {"id": "y", "probability": 0.5, "effects": [{"target": "inputs.price", "shift": 1}]},
                        {"id": "n", "probability": 0.5},
                    )
                ],
            },
            origin="f.toml",
        )
    assert [str(p) for p in e.value.problems] == [
        "f.toml: questions.q.answers.y.effects[0].target: effects on inputs and metrics are for risks (a "
        "question's answers move outcomes and markets only); write the event as a [[risks]] item (got 'inputs.price')"
    ]
