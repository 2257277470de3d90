"""The report's remaining sentences on every branch, on small tables written by hand.

The risk register's summary sentence (one risk, several), an open question's caption,
the predictions-by-risk caption; the decision's summary sentence (a signpost and the
outcome, the outcome alone, neither; a close call), its section's first line, the
close-call line, the payoff-by-outcome line (a winner, a tie), a value of information
that never changes the choice and a "what must be true" box; a position's by-outcome
caption; a scalar metric's caption (no draw, one, several beyond the axis); the
history's latest-version card (a rise, a fall, no change, a first version); the
what-if line (one input, several); the risk register's words and signed impacts (a
fall, a rise); compare's decision section (the choice the same, changed; one scenario;
a close call); an exceedance table's line and amounts, the correlated inputs' repair
sentence (none, nothing moved, a pair moved). Each sentence is written out whole and every
number it quotes is the table's, formatted as the report formats it. No simulation.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.outputs.briefing import by_outcome_block
from forecast.outputs.decision_report import (
    DecisionTables,
    _discovery_blocks,
    _outcome_blocks,
    _table_block,
    _worth,
    decision_sentence,
)
from forecast.outputs.history_report import _latest_cards
from forecast.outputs.metric_figures import MetricFigure, metric_plan
from forecast.outputs.risk_section import _prediction_block, _question_block, risk_sentence
from forecast.outputs.whatif import differ_text

# --- risks ----------------------------------------------------------------------------


def _risk(
    name: str, statement: str, p: float, rows: list[tuple[str, str, float, float, float]]
) -> list[dict]:
    """One risk's outcome rows: (id, label, now, if it happens, if not)."""
    return [
        {
            "risk": name,
            "kind": "outcome",
            "id": i,
            "label": label,
            "statement": statement,
            "now": now,
            "probability": p,
            "probability_q05": p - 0.1,
            "probability_q95": p + 0.1,
            "if_happens": yes,
            "mcse_happens": 0.005,
            "if_not": no,
            "mcse_not": 0.004,
        }
        for i, label, now, yes, no in rows
    ]


RISK_A = _risk("a", "Export ban", 0.3, [("up", "Up", 0.45, 0.30, 0.51), ("down", "Down", 0.55, 0.70, 0.49)])
RISK_B = _risk("b", "Price war", 0.2, [("up", "Up", 0.45, 0.40, 0.4625), ("down", "Down", 0.55, 0.6, 0.5375)])


def test_the_one_risk_quotes_the_most_likely_outcome_if_it_happens_and_if_not() -> None:
    # Down is the most likely (55% now): its row of the only risk is quoted
    s = risk_sentence(pd.DataFrame(RISK_A))
    assert s is not None and s.key == "risk"
    assert s.text == (
        "The one risk in the register that moves the most likely outcome most is “Export ban” "
        "(probability 30.0%, 90% interval 20.0%–40.0%): if it happens, P(Down) is 70.0% (± 0.50 pp); "
        "if not, 49.0% (± 0.40 pp)."
    )


def test_several_risks_are_counted_and_the_first_in_the_registers_order_is_quoted() -> None:
    # the register is sorted by impact: Export ban first (21 pts on Down) then Price war
    s = risk_sentence(pd.DataFrame(RISK_A + RISK_B))
    assert s is not None
    assert s.text.startswith(
        "Of the 2 risks in the register, the one that moves the most likely outcome most is “Export ban” "
    )
    assert s.text.endswith("P(Down) is 70.0% (± 0.50 pp); if not, 49.0% (± 0.40 pp).")


def test_a_tie_for_most_likely_quotes_the_first_outcome() -> None:
    tied = _risk("a", "Export ban", 0.3, [("up", "Up", 0.5, 0.30, 0.59), ("down", "Down", 0.5, 0.70, 0.41)])
    s = risk_sentence(pd.DataFrame(tied))
    assert s is not None and "P(Up) is 30.0% (± 0.50 pp); if not, 59.0% (± 0.40 pp)." in s.text


def test_no_risk_no_sentence() -> None:
    assert risk_sentence(pd.DataFrame()) is None


def test_an_open_questions_caption_quotes_what_its_answer_is_worth_for_the_most_likely_outcome() -> None:
    rows = [
        {
            "question": "q",
            "statement": "Will the rule pass?",
            "answer": a,
            "p_answer": pa,
            "kind": "outcome",
            "id": i,
            "label": label,
            "now": now,
            "if_answer": v,
            "mcse": 0.002,
            "worth": 0.084,
            "worth_mcse": 0.0031,
        }
        for a, pa in (("yes", 0.4), ("no", 0.6))
        for i, label, now, v in (("up", "Up", 0.3, 0.2 if a == "yes" else 0.37), ("down", "Down", 0.7, 0.0))
    ]
    (table,) = _question_block(pd.DataFrame(rows)).tables
    assert table.caption == (
        "Will the rule pass? Worth knowing: its answer moves P(Down) by 8.4 pp on average (± 0.31 pp)."
    )
    assert table.headers == ["Outcome, prediction or market", "Now", "If yes (40.0%)", "If no (60.0%)"]
    # an outcome at 0 in every draw shows the rule-of-three bound, not "± 0"
    assert table.rows[1] == ["P(Down)", "70.0%", "0% (< 3/n = 0.20 pp)", "0% (< 3/n = 0.20 pp)"]


def test_the_predictions_caption_quotes_the_largest_error_of_any_cell() -> None:
    rows = [
        {"risk": r, "id": "p", "label": "P ships", "now": 0.4, "if_happens": 0.3, "if_not": 0.45,
         "mcse_happens": e1, "mcse_not": e2}
        for r, e1, e2 in (("a", 0.004, 0.0021), ("b", 0.0057, np.nan))
    ]  # fmt: skip
    (table,) = _prediction_block(pd.DataFrame(rows)).tables
    assert table.caption == "Monte Carlo errors at most 0.57 pp; risks in the register's order (by impact)."
    assert table.rows == [["P ships", "40.0%", "30.0% / 45.0%", "30.0% / 45.0%"]]


# --- decision -------------------------------------------------------------------------


def _result(
    chosen: str = "build",
    too_close: bool = False,
    by_outcome: pd.DataFrame | None = None,
    criterion: str = "expected",
) -> Any:
    table = pd.DataFrame(
        [
            {"option": "build", "expected": 12.34, "expected_mcse": 0.456, "p_best": 0.62},
            {"option": "wait", "expected": 11.9, "expected_mcse": 0.3, "p_best": 0.38},
        ]
    )
    diffs = pd.DataFrame([{"option": "build", "versus": "wait", "difference": 0.44, "mcse": 0.31}])
    return SimpleNamespace(
        table=table,
        by_outcome=by_outcome if by_outcome is not None else pd.DataFrame(),
        differences=diffs,
        criterion=criterion,
        chosen=chosen,
        too_close=too_close,
        unit="USD m",
    )


def _voi(*items: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"item": i, "label": label, "value": v, "mcse": 0.1} for i, label, v in items])


LABELS = {"build": "Build now", "wait": "Wait a year"}
EVERYTHING = ("everything", "Everything", 9.87)


def test_the_decision_sentence_names_the_signpost_worth_most_then_the_outcome() -> None:
    voi = _voi(
        EVERYTHING,
        ("outcome", "The outcome", 5.0),
        ("signpost.s1", "A ships", 1.2),
        ("signpost.s2", "B ships", 2.345),
    )
    tables = DecisionTables(_result(), voi, labels=LABELS)
    assert decision_sentence(tables, None) == (  # type: ignore[arg-type]
        "Build now is the best option; waiting for “B ships” is worth about 2.35 USD m; "
        "knowing the outcome outright, 5.00 USD m."
    )


def test_the_decision_sentence_with_the_outcome_alone_and_a_close_call() -> None:
    tables = DecisionTables(
        _result(too_close=True), _voi(EVERYTHING, ("outcome", "The outcome", 5.0)), labels=LABELS
    )
    assert decision_sentence(tables, None) == (  # type: ignore[arg-type]
        "Build now is the best option (too close to call at these draws); knowing the outcome is worth 5.00 USD m."
    )


def test_the_decision_sentence_without_signposts_or_outcomes_quotes_everything() -> None:
    tables = DecisionTables(_result(chosen="wait"), _voi(EVERYTHING), labels=LABELS)
    assert decision_sentence(tables, None) == (  # type: ignore[arg-type]
        "Wait a year is the best option; knowing everything in advance is worth about 9.87 USD m."
    )
    assert decision_sentence(DecisionTables(_result(), pd.DataFrame(), labels=LABELS), None) == ""  # type: ignore[arg-type]


def _fc(decision_label: str = "Launch?") -> Any:
    outcomes = [SimpleNamespace(id="up", label="Up"), SimpleNamespace(id="down", label="Down")]
    return SimpleNamespace(
        scenario=SimpleNamespace(
            decision=SimpleNamespace(label=decision_label), assessment=SimpleNamespace(outcomes=outcomes)
        )
    )


@pytest.mark.parametrize("too_close", [False, True])
def test_the_decision_sections_first_line_quotes_the_chosen_options_row(too_close: bool) -> None:
    tables = DecisionTables(_result(too_close=too_close, criterion="p05"), pd.DataFrame(), labels=LABELS)
    t = tables.result.table.assign(
        median=1.0, q05=0.0, q95=2.0, p_loss=0.1, cvar05=-1.0, regret=0.2, picked_by=""
    )
    tables.result.table = t
    block = _table_block(tables, _fc())
    close = [
        "Too close to call at these draws: Build now and Wait a year differ by 0.440 USD m (± 0.31), "
        "within 2 Monte Carlo errors; more draws would tell them apart, or not."
    ]
    assert block.text == [
        "Build now has the best 5th percentile (the least bad 1-in-20 case) (the decision's criterion): "
        "expected payoff 12.3 USD m (± 0.46 Monte Carlo error), P(best) 62.0%."
    ] + (close if too_close else [])


def _by_outcome(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    rows = []
    for outcome, p in (("up", 0.4), ("down", 0.6)):
        best = max(values[(o, outcome)] for o in ("build", "wait"))
        first = next(o for o in ("build", "wait") if values[(o, outcome)] == best)  # argmax: the first
        rows += [
            {
                "option": o,
                "outcome": outcome,
                "probability": p,
                "expected": values[(o, outcome)],
                "best": o == first,
            }
            for o in ("build", "wait")
        ]
    return pd.DataFrame(rows)


def test_the_payoff_by_outcome_line_names_the_best_option_under_each_outcome() -> None:
    by = _by_outcome(
        {("build", "up"): 20.0, ("wait", "up"): 12.0, ("build", "down"): 7.0, ("wait", "down"): 11.8}
    )
    (block,) = _outcome_blocks(DecisionTables(_result(by_outcome=by), labels=LABELS), _fc())
    assert block.text == ["if Up, Build now is best; if Down, Wait a year is best."]
    assert block.tables[0].headers == ["Option", "Up (40.0%)", "Down (60.0%)"]
    assert block.tables[0].rows == [
        ["Build now", "20.0 (best)", "7.00"],
        ["Wait a year", "12.0", "11.8 (best)"],
    ]


def test_a_tie_under_an_outcome_is_worded_as_a_tie_not_a_winner() -> None:
    # under Down both options pay 11.8: neither is best
    by = _by_outcome(
        {("build", "up"): 20.0, ("wait", "up"): 12.0, ("build", "down"): 11.8, ("wait", "down"): 11.8}
    )
    (block,) = _outcome_blocks(DecisionTables(_result(by_outcome=by), labels=LABELS), _fc())
    assert block.text == ["if Up, Build now is best; if Down, Build now and Wait a year tie."]
    assert block.tables[0].rows == [
        ["Build now", "20.0 (best)", "11.8 (tied best)"],
        ["Wait a year", "12.0", "11.8 (tied best)"],
    ]


def test_a_value_of_information_that_never_changes_the_choice_says_so() -> None:
    assert _worth(0.0123, 0.0021) == "0.0123 ± 0.0021"
    assert _worth(0.0, 0.0) == "0 (the choice never changes in these draws)"
    # a value of 0 with an error is a measured 0, not "never changes"
    assert _worth(0.0, 0.01) == "0 ± 0.010"


def test_a_box_of_what_must_be_true_quotes_its_density_mass_coverage_and_base() -> None:
    found = pd.DataFrame(
        [
            {
                "target": "option.build",
                "density": 0.85,
                "mass": 0.3,
                "coverage": 0.4,
                "base": 0.62,
                "conditions": "x > 1",
            }
        ]
    )
    (block,) = _discovery_blocks(DecisionTables(_result(), discovery=found, labels=LABELS))
    assert block.text == [
        "Build now is best in 85.0% of draws where x > 1; these are 30.0% of all draws and hold "
        "40.0% of the draws where it is best (overall 62.0%)."
    ]


# --- a position by outcome ------------------------------------------------------------


def test_each_outcomes_fan_is_captioned_with_its_share_of_the_draws() -> None:
    rows = []
    for o, p in (("up", 0.25), ("down", 0.75)):
        for year in (2025, 2026):
            for m, v in (("share.p", 0.1), ("revenue.p", 3.0)):
                rows.append(
                    {
                        "market": m,
                        "outcome": o,
                        "probability": p,
                        "year": year,
                        "q05": v / 2,
                        "q50": v,
                        "q95": 2 * v,
                    }
                )
    fc = _fc()
    fc.scenario.positions = [SimpleNamespace(id="p", label="Our product", market="m")]
    fc.scenario.market = lambda i: SimpleNamespace(unit="USD bn")
    (block,) = by_outcome_block(fc, pd.DataFrame(rows), {})
    assert [t.caption for t in block.tables] == ["If Up (25.0% of draws)", "If Down (75.0% of draws)"]
    assert block.tables[0].rows[0] == ["2025", "10.0%", "5.00%–20.0%", "3.00", "1.50–6.00"]


# --- a scalar metric's caption ---------------------------------------------------------


BARS = "Bars: the share of draws in each range; line: the median; band: the 90% interval (the table below)."


@pytest.mark.parametrize(
    ("outside", "tail"),
    [
        (0, ""),
        (1, " 1 draw lies beyond the axis (its 0.5% and 99.5% quantiles)."),
        (2500, " 2,500 draws lie beyond the axis (its 0.5% and 99.5% quantiles)."),
    ],
)
def test_a_scalar_metrics_caption_counts_the_draws_beyond_the_axis(outside: int, tail: str) -> None:
    ((key, file, title, caption, _),) = metric_plan([MetricFigure("npv", "NPV", "USD m", outside=outside)])
    assert (key, file, title, caption) == ("metric.npv", "metric_npv.png", "NPV (USD m)", BARS + tail)


# --- the history's cards ----------------------------------------------------------------


def _history(changes: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"kind": "outcome", "id": f"o{i}", "label": f"O{i}", "version": "v2", "as_of": "2026-06-01",
             "probability": 0.4, "change": c}
            for i, c in enumerate(changes)
        ]
    )  # fmt: skip


def test_the_latest_card_says_how_far_each_probability_rose_or_fell_since_the_version_before() -> None:
    cards = _latest_cards(_history([0.031, -0.0125, 0.0, np.nan]))
    assert [c["value"] for c in cards] == ["40.0%"] * 4
    assert [c["detail"] for c in cards] == [
        "v2 (2026-06-01); +3.10 pp since the version before",
        "v2 (2026-06-01); −1.25 pp since the version before",
        "v2 (2026-06-01); unchanged since the version before",
        "v2 (2026-06-01)",  # the first version has nothing before it
    ]


# --- what-if ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1 input differs from deepseek.toml"), (2, "2 inputs differ from deepseek.toml")],
)
def test_a_what_if_counts_the_inputs_that_differ(n: int, text: str) -> None:
    assert differ_text(n, "deepseek.toml") == text


# --- the risk register's words and cells ---------------------------------------------------


def test_the_register_names_the_most_likely_outcome_and_signs_each_impact() -> None:
    from forecast.outputs.risk_section import _register_block

    impacts = {"a": (-0.21, -0.3, -0.1), "b": (0.0125, 0.01, 0.02)}
    rows = [
        r | {"impact": impacts[r["risk"]][0], "impact_q05": impacts[r["risk"]][1],
             "impact_q95": impacts[r["risk"]][2], "variance_share": 0.5}
        for r in RISK_A + RISK_B
    ]  # fmt: skip
    block = _register_block(pd.DataFrame(rows), {})
    assert "Sorted by impact on the most likely outcome, Down. " in block.text[0]
    table = block.tables[0]
    assert table.headers[2] == "P(Down) if it happens"
    # a fall is signed and its interval worded apart from the dash; a rise is signed "+"
    assert [r[:5] for r in table.rows] == [
        [
            "Export ban",
            "30.0% (20.0%–40.0%)",
            "70.0% (± 0.50 pp)",
            "49.0% (± 0.40 pp)",
            "-21.0 pts (-30.0 to -10.0)",
        ],
        [
            "Price war",
            "20.0% (10.0%–30.0%)",
            "60.0% (± 0.50 pp)",
            "53.8% (± 0.40 pp)",
            "+1.2 pts (1.00–2.00)",
        ],
    ]


# --- compare's decision section -------------------------------------------------------------


def _cmp(chosen: list[str], close: list[bool]) -> Any:
    names = ["base", "slow"][: len(chosen)]
    decisions = pd.DataFrame(
        [
            {"scenario": n, "criterion": "expected", "chosen_option": c, "label": LABELS[c],
             "expected_payoff": 12.34 - i, "expected_payoff_mcse": 0.456, "unit": "USD m", "too_close": t}
            for i, (n, c, t) in enumerate(zip(names, chosen, close, strict=True))
        ]
    )  # fmt: skip
    diffs = pd.DataFrame(
        [
            {
                "scenario": "slow",
                "quantity": f"option.{chosen[-1]}",
                "difference": -1.0,
                "mcse": 0.12,
                "within_noise": False,
            }
        ]
    )
    return SimpleNamespace(decisions=lambda: decisions, differences=lambda: diffs, base="base", names=names)


@pytest.mark.parametrize(
    ("chosen", "changes"), [(["build", "build"], False), (["build", "wait"], True), (["wait"], False)]
)
def test_compares_decision_section_says_when_the_choice_changes(chosen: list[str], changes: bool) -> None:
    from forecast.outputs.comparison_sections import decision_section

    close = [False, True][: len(chosen)]
    section = decision_section(_cmp(chosen, close))
    assert section is not None
    (block,) = section["blocks"]
    assert ("The choice changes between the scenarios compared." in block.text) is changes
    rows = block.tables[0].rows
    assert rows[0] == ["base", "expected", LABELS[chosen[0]], "12.3 ± 0.456 USD m", "–"]
    if len(chosen) == 2:
        # the second scenario's close call, and its chosen option's change from the first
        assert rows[1] == [
            "slow",
            "expected",
            f"{LABELS[chosen[1]]} (too close to call)",
            "11.3 ± 0.456 USD m",
            "−1.00 ± 0.120",
        ]


# --- exceedance and correlated inputs ----------------------------------------------------------


def test_an_exceedance_table_quotes_the_amount_exceeded_with_each_probability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import forecast.analysis.sensitivity as sensitivity
    from forecast.outputs import exceedance

    # the draws 1..1001: numpy's quantile at 1 - level is 1 + 1000 (1 - level) exactly
    y = np.arange(1.0, 1002.0)
    frame = pd.DataFrame({"target": ["total@2030"], "x": [0.0], "probability": [1.0], "mcse": [0.0]})
    monkeypatch.setattr(exceedance, "exceedance_frames", lambda fc: [frame])
    target = SimpleNamespace(label="Total market 2030", of=lambda fc: y)
    monkeypatch.setattr(sensitivity, "parse_target", lambda s, spec: target)
    (block,) = exceedance.exceedance_blocks(SimpleNamespace(scenario=None), {})
    assert block.text == ["How likely Total market 2030 is to exceed each amount (target total@2030)."]
    assert block.tables[0].rows == [
        ["95.0%", "51.0"], ["90.0%", "101"], ["75.0%", "251"], ["50.0%", "501"],
        ["25.0%", "751"], ["10.0%", "901"], ["5.00%", "951"],
    ]  # fmt: skip
    # each amount is exceeded by the share of draws quoted beside it (ties at the amount aside)
    for level, amount in zip((0.95, 0.5, 0.05), (51.0, 501.0, 951.0), strict=True):
        assert (y > amount).mean() == pytest.approx(level, abs=1 / len(y))


@pytest.mark.parametrize(
    ("repair", "used", "repaired"),
    [(False, 0.3, False), (True, 0.3004, False), (True, 0.2, True)],
)
def test_the_correlation_block_says_a_repair_only_when_it_moved_a_pair(
    monkeypatch: pytest.MonkeyPatch, repair: bool, used: float, repaired: bool
) -> None:
    import forecast.analysis.correlations as correlations
    from forecast.outputs.exceedance import correlation_blocks

    pairs = pd.DataFrame([{"a": "x", "b": "y", "asked": 0.3, "used": used, "achieved": 0.2971, "se": 0.0049}])
    monkeypatch.setattr(correlations, "rank_correlations", lambda fc: pairs)
    fc = SimpleNamespace(
        scenario=SimpleNamespace(correlation=SimpleNamespace(pairs=[("x", "y")], repair=repair))
    )
    (block,) = correlation_blocks(fc)  # type: ignore[arg-type]
    assert block.tables[0].rows == [["x", "y", "0.300", f"{used:.3f}", "0.297 ± 0.010"]]
    note = (
        "The pairs as asked were inconsistent (no correlation matrix has them all); "
        "repair = true applied the nearest consistent matrix (Higham's), shown as 'applied'."
    )
    assert (note in block.text) is repaired and len(block.text) == 1 + repaired
