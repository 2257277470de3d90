"""The parts of the report a strategist decides from, beside the tables of numbers.

:func:`report_tables` gathers the extra tables the report, the workbook and the
CSV files share (implied growth, signpost effects, share by outcome, the
sensitivity tables in one frame); the ``*_block`` functions lay them out as report
blocks; :func:`illustrative_inputs` finds inputs marked illustrative, which the
report flags in its header and summary; :func:`sensitivity_parts` words a
sensitivity table for a reader (plain words first, the method after, no negative
index printed as a result).

Examples
--------
>>> import forecast
>>> illustrative_inputs(forecast.load(forecast.bundled("deepseek-update")))
['signposts.next_model_release.likelihood.independence', 'signposts.next_model_release.likelihood.acquired', 'signposts.next_model_release.likelihood.struggling', 'evidence[0]']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.outputs.formatting import DASH, Block, Figure, Table, interval, pct, sig
from forecast.outputs.sections import input_rows

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.outputs.whatif import Change
    from forecast.scenario import Scenario

SENSITIVITY_CSV_COLUMNS = [
    "target",
    "target_label",
    "statistic",
    "input",
    "first_order",
    "conf",
    "independent",
    "low",
    "high",
]
_ILLUSTRATIVE = re.compile(r"\billustrative\b|\bnot real data\b|\bmade[- ]up\b", re.IGNORECASE)


@dataclass
class ReportTables:
    """The report's extra tables (see :mod:`forecast.analysis.implied`); also written as CSV."""

    growth: pd.DataFrame
    signposts: pd.DataFrame
    by_outcome: pd.DataFrame
    prediction_by_outcome: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    frames: list[pd.DataFrame] = field(default_factory=list)
    #: the decision's tables (forecast.outputs.decision_report.DecisionTables) when there are options
    decision: Any = None
    risks: pd.DataFrame = field(default_factory=pd.DataFrame)  # forecast.analysis.risks
    questions: pd.DataFrame = field(default_factory=pd.DataFrame)

    def csv(self) -> dict[str, pd.DataFrame]:
        """``{file stem: table}`` of the ones written as CSV (those with rows)."""
        out = {"growth": self.growth, "signposts": self.signposts, "by_outcome": self.by_outcome}
        if self.sensitivity is not None:
            out["sensitivity"] = self.sensitivity
        if self.decision is not None:
            out.update(self.decision.csv())
        out |= {"risks": self.risks, "questions": self.questions}
        return {k: v for k, v in out.items() if len(v)}


def report_tables(fc: Forecast, frames: Sequence[pd.DataFrame] | None = None) -> ReportTables:
    """The extra tables of a forecast's report.

    ``frames``: the sensitivity tables (:func:`forecast.analysis.tornado.report_frames`);
    they become one ``sensitivity`` table with the target in its first columns.
    """
    from forecast.analysis.implied import (
        implied_growth,
        position_by_outcome,
        prediction_by_outcome,
        signpost_effects,
    )
    from forecast.analysis.risks import question_table, risk_register
    from forecast.outputs.decision_report import decision_tables

    frames = [f for f in (frames or []) if len(f)]
    sens = None
    if frames and all({"input", "first_order"} <= set(f.columns) for f in frames):
        parts = []
        for f in frames:
            d = pd.DataFrame(
                {c: f[c] if c in f.columns else float("nan") for c in SENSITIVITY_CSV_COLUMNS[3:]}
            )
            d.insert(0, "statistic", str(f.attrs.get("statistic", "")))
            d.insert(0, "target_label", str(f.attrs.get("target_label") or f.attrs.get("target") or ""))
            d.insert(0, "target", str(f.attrs.get("target") or ""))
            parts.append(d)
        sens = pd.concat(parts, ignore_index=True)[SENSITIVITY_CSV_COLUMNS]
    return ReportTables(
        growth=implied_growth(fc),
        signposts=signpost_effects(fc),
        by_outcome=position_by_outcome(fc),
        prediction_by_outcome=prediction_by_outcome(fc),
        sensitivity=sens,
        frames=list(frames),
        decision=decision_tables(fc),
        risks=risk_register(fc),
        questions=question_table(fc),
    )


# --- flags --------------------------------------------------------------------------


def illustrative_inputs(s: Scenario) -> list[str]:
    """Key paths of the inputs whose source or note marks them illustrative (made up,
    not real data); ``["scenario"]`` first when the scenario itself says so.

    Examples
    --------
    >>> import forecast
    >>> illustrative_inputs(forecast.load(forecast.bundled()))
    []
    """
    out = ["scenario"] if marked_illustrative(f"{s.title} {s.source or ''}") else []
    for r in input_rows(s):
        if marked_illustrative(f"{r['source']} {r['note']}") and r["key"] not in out:
            out.append(r["key"])
    return out


def marked_illustrative(text: str | None) -> bool:
    """Whether a source or note marks a number illustrative (made up, not real data).

    Examples
    --------
    >>> marked_illustrative("illustrative: NOT real data"), marked_illustrative("IDC 2024")
    (True, False)
    """
    return bool(_ILLUSTRATIVE.search(text or ""))


def track_record_flag(versions: Sequence[Any], resolutions: Sequence[Any] = ()) -> str:
    """The illustrative-data flag of a history or score report: which versions hold
    inputs marked illustrative, and how many resolutions are; ``""`` when none are.

    Examples
    --------
    >>> import forecast
    >>> from forecast.analysis.history import load_versions
    >>> track_record_flag(load_versions([forecast.bundled()]))
    ''
    """
    named = [v.name for v in versions if illustrative_inputs(v.scenario)]
    n_res = sum(marked_illustrative(getattr(r, "source", "")) for r in resolutions)
    parts = []
    if named:
        shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        parts.append(
            f"{len(named)} of the {len(versions)} versions hold{'s' if len(named) == 1 else ''} inputs "
            f"marked illustrative, not real data ({shown})"
        )
    if n_res:
        parts.append(f"{n_res} resolution{'s are' if n_res != 1 else ' is'} marked illustrative")
    if not parts:
        return ""
    return f"Illustrative data: {'; '.join(parts)}. Do not rely on these numbers for a decision."


def illustrative_text(keys: Sequence[str]) -> str:
    """The flag's sentence, naming the inputs (at most five, then a count).

    Examples
    --------
    >>> illustrative_text(["evidence[0]"])
    'Illustrative data: 1 input is marked illustrative, not real data (evidence[0]). Do not rely on these numbers for a decision.'
    """
    if not keys:
        return ""
    if list(keys) == ["scenario"]:
        return "Illustrative data: the scenario is marked illustrative, not real data. Do not rely on these numbers for a decision."
    named = [k for k in keys if k != "scenario"]
    shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
    what = "the scenario and " if "scenario" in keys else ""
    n = len(named)
    return (
        f"Illustrative data: {what}{n} input{'s are' if n != 1 else ' is'} marked illustrative, not real data "
        f"({shown}). Do not rely on these numbers for a decision."
    )


def whatif_table(changes: Sequence[Change]) -> Table:
    """Each override with its value in the file and in this run."""
    return Table(
        "table-whatif",
        ["Input", "In the file", "In this what-if", "How"],
        [[c.key, c.was, c.now, c.how] for c in changes],
        [False, False, False, False],
    )


# --- blocks -------------------------------------------------------------------------


def growth_block(growth: pd.DataFrame) -> Block | None:
    """Implied CAGR per market beside the stated one."""
    if not len(growth):
        return None
    rows = [
        [
            str(r.label),
            f"{r.from_year}{DASH}{r.to_year}",
            pct(r.stated),
            pct(r.q50),
            interval(r.q05, r.q95, pct),
            str(r.stated_basis),
        ]
        for r in growth.itertuples()
    ]
    text = [
        "The compound annual growth each market's simulated path implies, per draw, from its base year to "
        "the projection year and to the last simulated year: its median and 90% interval, beside the "
        "stated CAGR (or the one the stated size and projection imply)."
    ]
    table = Table(
        "table-growth",
        ["Market", "Years", "Stated CAGR", "Implied CAGR (median)", "90% interval", "Stated from"],
        rows,
        [False, True, True, True, True, False],
    )
    return Block("Growth: implied against stated CAGR", "market-growth", text, None, [table])


def by_outcome_block(fc: Forecast, by: pd.DataFrame, figs: Mapping[str, Figure]) -> list[Block]:
    """Per position whose path depends on the outcome: its share and revenue fan under
    each outcome (a table per outcome and a small-multiples chart)."""
    s = fc.scenario
    if not len(by) or not s.assessment:
        return []
    labels = {o.id: o.label for o in s.assessment.outcomes}
    blocks = []
    for p in s.positions:
        share = by[by["market"] == f"share.{p.id}"]
        if not len(share):
            continue
        revenue = by[by["market"] == f"revenue.{p.id}"]
        unit = s.market(p.market).unit
        tables = []
        for o in dict.fromkeys(share["outcome"]):
            a = share[share["outcome"] == o]
            b = revenue[revenue["outcome"] == o]
            rows = [
                [str(x.year), pct(x.q50), interval(x.q05, x.q95, pct), sig(y.q50), interval(y.q05, y.q95)]
                for x, y in zip(a.itertuples(), b.itertuples(), strict=True)
            ]
            tables.append(
                Table(
                    f"table-position-{p.id}-{o}",
                    ["Year", "Share (median)", "Share 90%", f"Revenue (median, {unit})", "Revenue 90%"],
                    rows,
                    [True] * 5,
                    caption=f"If {labels.get(str(o), o)} ({pct(a['probability'].iloc[0])} of draws)",
                )
            )
        blocks.append(
            Block(
                f"{p.label}: by outcome",
                f"position-{p.id}-by-outcome",
                [
                    "The share path depends on the outcome, so each outcome has its own fan: the "
                    "share and revenue among the draws where that outcome happened."
                ],
                figs.get(f"position_outcomes.{p.id}"),
                tables,
            )
        )
    return blocks


def signpost_sentence(statement: str, observed: Any, p_true: float) -> str:
    """A signpost's state as a sentence.

    Examples
    --------
    >>> signpost_sentence("A release ships", None, 0.504)
    'A release ships. Not yet observed: the model gives it a 50.4% chance of being observed true.'
    >>> signpost_sentence("A release ships", True, 0.504)
    'A release ships. Observed true; before it was observed, the model gave that a 50.4% chance.'
    """
    if observed is None or pd.isna(observed):
        return f"{statement}. Not yet observed: the model gives it a {pct(p_true)} chance of being observed true."
    state = "true" if bool(observed) else "false"
    p = p_true if bool(observed) else 1 - p_true
    return f"{statement}. Observed {state}; before it was observed, the model gave that a {pct(p)} chance."


def signpost_block(fc: Forecast, effects: pd.DataFrame, figs: Mapping[str, Figure]) -> Block | None:
    """For each signpost: every outcome's and prediction's probability now and if it is
    observed true or false."""
    s = fc.scenario
    if not len(effects):
        return None
    statements = {x.id: x.statement for x in s.signposts}
    tables = []
    for sid, sub in effects.groupby("signpost", sort=False):
        observed = sub["observed"].iloc[0]
        is_seen = observed is not None and not pd.isna(observed)
        rows = []
        for r in sub.itertuples():
            name = f"P({r.label})" if r.kind == "outcome" else f"Prediction: {r.label}"
            row = [name]
            if is_seen:
                row.append(pct(r.without))
            row += [pct(r.now), pct(r.if_true), pct(r.if_false)]
            rows.append(row)
        headers = ["Outcome or prediction"]
        headers += (["Before it was observed"] if is_seen else []) + [
            "Now",
            "If observed true",
            "If observed false",
        ]
        tables.append(
            Table(
                f"table-signpost-{sid}",
                headers,
                rows,
                [False] + [True] * (len(headers) - 1),
                caption=signpost_sentence(statements[str(sid)], observed, float(sub["p_true"].iloc[0])),
            )
        )
    text = [
        "What observing each indicator would do to the outcome probabilities (Bayes' rule) and, through "
        "the outcome, to every dated prediction. A signpost depends only on the outcome, so a "
        "prediction moves as much as its probability differs between outcomes."
    ]
    return Block("Signposts to watch", "signposts", text, figs.get("signposts"), tables)


# --- sensitivity --------------------------------------------------------------------


def index_cell(value: Any, conf: Any = None) -> str:
    """A variance index for a reader: never negative; one indistinguishable from 0 (its
    estimate is below 0) reads ``≈ 0`` with the upper end of its interval.

    Examples
    --------
    >>> index_cell(0.3812, 0.02), index_cell(-0.004, 0.011), index_cell(-0.02, 0.01)
    ('0.381', '≈ 0 (< 0.007)', '≈ 0')
    """
    v = float(value)
    if v != v:  # NaN: not computed
        return DASH
    if v >= 0:
        return sig(v)
    c = float(conf) if conf is not None and conf == conf else 0.0
    return f"≈ 0 (< {sig(v + c, 1)})" if v + c > 0 else "≈ 0"


def sensitivity_parts(df: pd.DataFrame) -> tuple[str, list[str], list[str]]:
    """``(title, plain text, notes)`` of a report sensitivity table: what drives the
    uncertainty, in words first; the method names after, as notes."""
    target = str(df.attrs.get("target_label") or df.attrs.get("target") or "the answer")
    title = f"What drives the uncertainty in {target}"
    text: list[str] = []
    notes: list[str] = []
    if "first_order" in df.columns and len(df):
        fo = pd.to_numeric(df["first_order"], errors="coerce")
        names = df["input"].astype(str)
        total = float(fo[fo > 0].sum())
        # ranked by the index the words quote (the table is ordered by the own-part
        # index): a larger first-order index is never skipped for a smaller one
        pairs = [(n, v) for n, v in zip(names, fo, strict=True) if v == v and v > 0]
        ranked = sorted(pairs, key=lambda p: -p[1])[:3]  # stable: ties keep the table's order
        if ranked:
            first = ranked[0]
            line = f"{first[0]} matters most: on its own it accounts for about {pct(first[1], 2)} of the variance"
            if len(ranked) > 1:
                line += "; then " + ", ".join(f"{n} ({pct(v, 2)})" for n, v in ranked[1:])
            if total <= 1:
                line += ". The rest comes from what no input states: the yearly market shocks, the realized outcome and event timing"
            text.append(line + ".")
        if total > 1:
            text.append(
                f"These indices add up to {sig(total, 2)}, more than 1, because the inputs are correlated (the "
                "markets' growth moves together through the common factor, and the outcome probabilities sum "
                "to one): each index also counts the variance an input shares with the inputs it moves with. "
                "The own-part index counts only what is its own."
            )
        if (fo < 0).any():
            notes.append(
                "An index estimated below 0 is shown as ≈ 0 with the upper end of its 95% interval: the "
                "input does not measurably matter."
            )
    if df.attrs.get("description"):
        notes.append("Method: " + str(df.attrs["description"]))
    return title, text, notes


def sensitivity_blocks(frames: Sequence[pd.DataFrame], figs: Mapping[str, Figure]) -> list[Block]:
    """One block per table; the first keeps the plain ids (``table-sensitivity``).

    Plain words first (what drives the uncertainty), the table and its tornado in
    the same order, then the method as a note; an index estimated below 0 reads ≈ 0.
    """
    blocks = []
    for i, df in enumerate(frames):
        suffix = "" if i == 0 else f"-{i + 1}"
        title, text, notes = sensitivity_parts(df)
        names = df.attrs.get("headers") or {}
        headers = [str(names.get(c, c)) for c in df.columns]
        numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
        confs = {"first_order": "conf", "independent": "independent_conf"}
        rows = []
        for row in df.to_dict("records"):
            cells = []
            for c, num in zip(df.columns, numeric, strict=True):
                v = row[c]
                if c in confs:
                    cells.append(index_cell(v, row.get(confs[c], row.get("conf"))))
                else:
                    cells.append(sig(v) if num else str(v))
            rows.append(cells)
        fig = figs.get("sensitivity" if i == 0 else f"sensitivity.{i + 1}")
        table = Table(f"table-sensitivity{suffix}", headers, rows, numeric)
        blocks.append(Block(title, f"sensitivity-table{suffix}", text, fig, [table], notes))
    return blocks


def signpost_lines(s: Scenario, effects: pd.DataFrame) -> list[str]:
    """One line per signpost for the terminal: its name, and the outcome and the
    prediction it moves most, if observed true and if false (once observed: what the
    observation did).

    Examples
    --------
    >>> signpost_lines(fc.scenario, signpost_effects(fc))[0]  # doctest: +SKIP
    'Signpost “DeepSeek's next major model release ...”: P(Sustainable ...) 39.8% → 60.4% if true, ...'
    """
    out = []
    statements = {x.id: x.statement for x in s.signposts}
    for sid, sub in effects.groupby("signpost", sort=False):
        parts = []
        observed = sub["observed"].iloc[0]
        seen = observed is not None and not pd.isna(observed)
        for kind in ("outcome", "prediction"):
            k = sub[sub["kind"] == kind]
            if not len(k):
                continue
            move = (k["now"] - k["without"]).abs() if seen else (k["if_true"] - k["if_false"]).abs()
            r = k.iloc[int(move.to_numpy().argmax())]
            name = f"P({r.label})" if kind == "outcome" else f"“{r.label}”"
            if seen:
                parts.append(f"{name} {pct(r.without)} → {pct(r.now)}")
            else:
                parts.append(f"{name} {pct(r.now)} → {pct(r.if_true)} if true, {pct(r.if_false)} if false")
        head = (
            f"Signpost “{statements[str(sid)]}” (observed {'true' if bool(observed) else 'false'}) moved "
            if seen
            else f"Signpost “{statements[str(sid)]}”: "
        )
        out.append(head + "; ".join(parts))
    return out
