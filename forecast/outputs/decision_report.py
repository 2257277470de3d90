"""The report's Decision section, its CSV files, workbook sheets and summary sentence.

When a scenario has ``[[options]]``, the report gets a section "Decision" with the
decision table, the payoff by outcome, the value of information and "what must be
true" for each option (PRIM boxes), and the executive summary one sentence: "Waiting
for <the signpost> is worth about X; knowing the outcome outright, Y." The same tables
are written as ``decision.csv``, ``decision_by_outcome.csv``, ``voi.csv`` and
``discovery.csv`` and as workbook sheets.

When the payoffs cannot be evaluated (payoff formulas need the formula language) the
section says so in one line and no decision file is written.

Examples
--------
>>> tables = decision_tables(fc)  # doctest: +SKIP
>>> sorted(tables.csv())  # doctest: +SKIP
['decision', 'decision_by_outcome', 'discovery', 'voi']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.errors import ScenarioError
from forecast.outputs.formatting import Block, Table, interval, pct, sig

if TYPE_CHECKING:
    from forecast.analysis.decision import DecisionResult
    from forecast.analysis.results import Forecast

#: rows of the value-of-information table shown per kind of input (all are in voi.csv)
REPORT_INPUTS = 8
CRITERION_WORDS = {
    "expected": "the highest expected payoff",
    "p05": "the best 5th percentile (the least bad 1-in-20 case)",
    "cvar05": "the best mean of its worst 5% of draws (CVaR 5%)",
    "regret": "the least expected regret",
    "p_best": "the highest probability of being the best option",
}


@dataclass
class DecisionTables:
    """The decision's tables of one forecast (or why there are none: ``missing``)."""

    result: DecisionResult | None
    voi: pd.DataFrame = field(default_factory=pd.DataFrame)
    discovery: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: dict[str, str] = field(default_factory=dict)
    missing: str = ""

    def csv(self) -> dict[str, pd.DataFrame]:
        """``{file stem: table}``: nothing when the payoffs could not be evaluated."""
        if self.result is None:
            return {}
        out = {
            "decision": self.result.table,
            "decision_by_outcome": self.result.by_outcome,
            "voi": self.voi,
            "discovery": self.discovery,
        }
        return {k: v for k, v in out.items() if len(v)}


def decision_tables(fc: Forecast) -> DecisionTables | None:
    """The decision's tables, or None when the scenario has no ``[[options]]``."""
    from forecast.analysis.decision import decide, payoffs_of
    from forecast.analysis.discovery import discover
    from forecast.analysis.voi import value_of_information

    options = list(getattr(fc.scenario, "options", []))
    if not options:
        return None
    labels = {o.id: o.label or o.id for o in options}
    try:
        p = payoffs_of(fc)
    except ScenarioError as e:
        return DecisionTables(None, labels=labels, missing=e.problems[0].message)
    result = decide(p)
    voi = value_of_information(fc)
    found = []
    for i, option in enumerate(p.options):
        share = float(result.table["p_best"].iloc[i])
        if 0 < share < 1:  # an option that always (or never) wins has no region to find
            found.append(discover(fc, f"option.{option}"))
    discovery = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    return DecisionTables(result, voi, discovery, labels)


def money(x: Any, unit: str) -> str:
    """A payoff with its unit: ``1.23 USD m``.

    Examples
    --------
    >>> money(1.2345, "USD m")
    '1.23 USD m'
    """
    return f"{sig(x)} {unit}".strip()


def decision_sentence(tables: DecisionTables | None, fc: Forecast) -> str:
    """The summary's sentence on what information is worth, or ``""``.

    Examples
    --------
    >>> decision_sentence(tables, fc)  # doctest: +SKIP
    'Waiting for “the next major model release ...” is worth about 12.3 USD m; knowing the outcome outright, 20.1 USD m.'
    """
    if tables is None or tables.result is None or not len(tables.voi):
        return ""
    unit, voi = tables.result.unit, tables.voi.set_index("item")
    first = f"{tables.labels.get(tables.result.chosen, tables.result.chosen)} is the best option"
    first += " (too close to call at these draws)" if tables.result.too_close else ""
    signposts = tables.voi[tables.voi["item"].str.startswith("signpost.")]
    parts = []
    if len(signposts):
        top = signposts.sort_values("value", ascending=False, kind="stable").iloc[0]
        parts.append(f"waiting for “{top.label}” is worth about {money(top.value, unit)}")
    if "outcome" in voi.index:
        value = money(voi.loc["outcome", "value"], unit)
        parts.append(
            f"knowing the outcome outright, {value}" if parts else f"knowing the outcome is worth {value}"
        )
    if not parts:
        parts.append(
            f"knowing everything in advance is worth about {money(voi.loc['everything', 'value'], unit)}"
        )
    return f"{first}; " + "; ".join(parts) + "."


def decision_blocks(tables: DecisionTables, fc: Forecast) -> list[Block]:
    """The Decision section's blocks."""
    if tables.result is None:
        return [Block("Decision", "decision-missing", [f"No decision table: {tables.missing}."])]
    return [
        _table_block(tables, fc),
        *_outcome_blocks(tables, fc),
        _voi_block(tables),
        *_discovery_blocks(tables),
    ]


def _table_block(tables: DecisionTables, fc: Forecast) -> Block:
    res = tables.result
    assert res is not None
    t, unit = res.table, res.unit
    chosen = t.set_index("option").loc[res.chosen]
    text = [
        f"{tables.labels.get(res.chosen, res.chosen)} has {CRITERION_WORDS.get(res.criterion, res.criterion)} "
        f"(the decision's criterion): expected payoff {money(chosen.expected, unit)} "
        f"(± {sig(chosen.expected_mcse, 2)} Monte Carlo error), P(best) {pct(chosen.p_best)}."
    ]
    if res.too_close and len(res.differences):
        d = res.differences.iloc[0]
        text.append(
            f"Too close to call at these draws: {tables.labels.get(str(d.option), str(d.option))} and "
            f"{tables.labels.get(str(d.versus), str(d.versus))} differ by {money(d.difference, unit)} "
            f"(± {sig(d.mcse, 2)}), within 2 Monte Carlo errors; more draws would tell them apart, or not."
        )
    rows = [
        [
            tables.labels.get(str(r.option), str(r.option)),
            f"{sig(r.expected)} ± {sig(r.expected_mcse, 2)}",
            sig(r.median),
            interval(r.q05, r.q95),
            pct(r.p_loss),
            sig(r.cvar05),
            sig(r.regret),
            pct(r.p_best),
            str(r.picked_by).replace(";", ", ") or "–",
        ]
        for r in t.itertuples()
    ]
    headers = ["Option", f"Expected ({unit})", "Median", "90% interval", "P(loss)", "CVaR 5%"]
    headers += ["Expected regret", "P(best)", "Picked by"]
    table = Table("table-decision", headers, rows, [False] + [True] * 7 + [False])
    notes = [
        "Every option is evaluated on the same draws, so differences between them are more precise "
        "than their spreads. CVaR 5% is the mean of the worst 5% of draws; expected regret is the mean "
        "shortfall from the best option in each draw (least regret and highest expected payoff always "
        "pick the same option); P(best) splits ties evenly."
    ]
    return Block(
        fc.scenario.decision.label if fc.scenario.decision else "Decision",
        "decision",
        text,
        None,
        [table],
        notes,
    )


def _outcome_blocks(tables: DecisionTables, fc: Forecast) -> list[Block]:
    res = tables.result
    assert res is not None
    by = res.by_outcome
    if not len(by) or not fc.scenario.assessment:
        return []
    names = {o.id: o.label for o in fc.scenario.assessment.outcomes}
    outcomes = list(dict.fromkeys(by["outcome"]))
    # the options at the top under each outcome: one is best, several tie (argmax's first
    # is no winner when another pays exactly as much)
    tops = {k: _tops(by[by["outcome"] == k]) for k in outcomes}
    rows = []
    for option in res.table["option"]:
        sub = by[by["option"] == option].set_index("outcome")
        rows.append(
            [tables.labels.get(option, option)]
            + [sig(sub.loc[k, "expected"]) + _best_mark(option, tops[k]) for k in outcomes]
        )
    words = []
    for k in outcomes:
        named = [tables.labels.get(o, o) for o in tops[k]]
        both = " is best" if len(named) == 1 else " tie"
        words.append(f"if {names.get(str(k), str(k))}, {' and '.join(named)}{both}")
    text = ["; ".join(words) + "."]
    headers = ["Option"] + [
        f"{names.get(k, k)} ({pct(by[by['outcome'] == k]['probability'].iloc[0])})" for k in outcomes
    ]
    table = Table("table-decision-outcomes", headers, rows, [False] + [True] * len(outcomes))
    return [Block(f"Expected payoff by outcome ({res.unit})", "decision-outcomes", text, None, [table])]


def _tops(rows: pd.DataFrame) -> list[str]:
    """The options whose expected payoff is the largest under one outcome (several on a tie)."""
    top = rows["expected"].max()
    return [str(o) for o in rows.loc[rows["expected"] == top, "option"]]


def _best_mark(option: str, tops: list[str]) -> str:
    """`` (best)`` beside the one best option, `` (tied best)`` beside each of a tie."""
    if option not in tops:
        return ""
    return " (best)" if len(tops) == 1 else " (tied best)"


def _voi_block(tables: DecisionTables) -> Block:
    res = tables.result
    assert res is not None
    voi = tables.voi
    inputs = voi[voi["item"].str.startswith("input.")].sort_values("value", ascending=False, kind="stable")
    shown = pd.concat([voi[~voi["item"].str.startswith("input.")], inputs.head(REPORT_INPUTS)])
    rows = [
        [str(r["label"]), str(r["kind"]).upper(), _worth(r["value"], r["mcse"]), str(r["method"])]
        for r in shown.to_dict("records")
    ]
    table = Table(
        "table-voi",
        ["What is learnt before choosing", "Kind", f"Worth ({res.unit})", "Method"],
        rows,
        [False, False, True, False],
    )
    text = [
        "What learning something before choosing is worth: the expected payoff of choosing after it, "
        "minus the best expected payoff now. EVPI (everything known) bounds every other value; knowing "
        "the outcome bounds what any signpost can be worth."
    ]
    notes = [
        "Signposts: exact Bayes on the outcome (each draw reweighted by the likelihood of the answer under "
        "its outcome). Inputs and evidence plans: regression of each option's payoff on the quantity "
        "learnt (Strong & Oakley), cross-fitted on two halves of the draws so that noise does not pose as "
        f"information; a value within 2 errors of 0 is worth nothing measurable. The {REPORT_INPUTS} most "
        "valuable inputs are shown; voi.csv has them all."
    ]
    return Block("Value of information", "decision-voi", text, None, [table], notes)


def _worth(value: Any, mcse: Any) -> str:
    """A value of information and its error; a value 0 in every draw is no "0 ± 0".

    Examples
    --------
    >>> _worth(0.0123, 0.0021), _worth(0.0, 0.0)
    ('0.0123 ± 0.0021', '0 (the choice never changes in these draws)')
    """
    if float(value) == 0 and float(mcse) == 0:
        return "0 (the choice never changes in these draws)"
    return f"{sig(value)} ± {sig(mcse, 2)}"


def _discovery_blocks(tables: DecisionTables) -> list[Block]:
    found = tables.discovery
    if not len(found):
        return []
    lines = []
    for r in found.itertuples():
        option = str(r.target).split(".", 1)[1]
        lines.append(
            f"{tables.labels.get(option, option)} is best in {pct(r.density)} of draws where {r.conditions}; "
            f"these are {pct(r.mass)} of all draws and hold {pct(r.coverage)} of the draws where it is best "
            f"(overall {pct(r.base)})."
        )
    notes = [
        "Boxes found by PRIM (peeling and pasting, Friedman & Fisher 1999) on the draws already simulated; "
        "density: share of the box's draws where the option is best; coverage: share of all such draws in "
        "the box. discovery.csv has each box with its Monte Carlo errors."
    ]
    return [Block("What must be true", "decision-discovery", lines, None, [], notes)]


def decision_sheets(tables: DecisionTables | None) -> list[tuple[str, pd.DataFrame, dict[str, str], str]]:
    """The workbook's Decision, Value of information and Discovery sheets, as
    ``(name, table, number formats, note)`` (:class:`forecast.outputs.workbook.Sheet`'s fields)."""
    if tables is None or tables.result is None:
        return []
    percent = "0.0%"  # the workbook's PERCENT
    probs = {c: percent for c in ("p_loss", "p_best", "density", "coverage", "mass", "base", "probability")}
    unit = tables.result.unit
    return [
        ("Decision", tables.result.table, probs, f"Payoff per option, in {unit}, with Monte Carlo errors."),
        ("Decision by outcome", tables.result.by_outcome, probs, f"Expected payoff by outcome, in {unit}."),
        ("Value of information", tables.voi, {}, f"In {unit}; see the report for the methods."),
        ("Discovery", tables.discovery, probs, "Where each option is best (PRIM boxes)."),
    ]
