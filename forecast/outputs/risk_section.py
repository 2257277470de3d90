"""The report's "Risks and open questions" section, its heat map and summary sentence.

Reads the tables of :mod:`forecast.analysis.risks` (``risks.csv``, ``questions.csv``);
the section has the register (sorted by impact on the most likely outcome) with the
probability x impact heat map, each risk's effect on the dated predictions, and the
open questions ranked by what their answer is worth.

Examples
--------
>>> import pandas as pd
>>> risk_sentence(pd.DataFrame()) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.outputs.formatting import Block, Figure, Table, interval, mc_error, pct, pp, sig
from forecast.outputs.narrative import Sentence

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

HEATMAP_KEY = "risks"
HEATMAP_FILE = "figures/risks.png"
HEATMAP_TITLE = "Risk register: probability x impact"
HEATMAP_CAPTION = (
    "Each risk at its probability (across) and its impact (up): how many points the most likely "
    "outcome's probability differs between 'it happens' and 'it does not'. Bars: 90% intervals "
    "over the risk's uncertain inputs (and the outcome probabilities' own spread). Shading: "
    "probability x |impact|, the strategist's heat."
)
#: columns that are "does not apply" on some rows (a prediction has no interval here)
OPTIONAL = {"risks": ["happens_q05", "happens_q95"], "questions": []}


def _top(outcomes: pd.DataFrame) -> pd.Series:
    """The register's headline outcome: the one whose ``now`` is largest."""
    return outcomes.sort_values("now", ascending=False, kind="stable").iloc[0]


def risk_sentence(risks: pd.DataFrame) -> Sentence | None:
    """The executive summary's sentence: the risk that moves the most likely outcome most.

    Examples
    --------
    >>> risk_sentence(risk_register(fc)).text  # doctest: +SKIP
    'Of the 5 risks, the one that moves the most likely outcome most is ...'
    """
    if not len(risks):
        return None
    out = risks[risks["kind"] == "outcome"]
    first = out[out["risk"] == out["risk"].iloc[0]]
    top = _top(first)
    r = out[(out["id"] == top.id)].iloc[0]  # the register is sorted by impact: the first risk
    n = int(risks["risk"].nunique())
    lead = f"Of the {n} risks in the register, the one" if n > 1 else "The one risk in the register"
    return Sentence(
        "risk",
        f"{lead} that moves the most likely outcome most is “{r.statement}” "
        f"(probability {pct(r.probability)}, 90% interval {interval(r.probability_q05, r.probability_q95, pct)}): "
        f"if it happens, P({r.label}) is {pct(r.if_happens)} ({mc_error(r.if_happens, r.mcse_happens)}); "
        f"if not, {pct(r.if_not)} ({mc_error(r.if_not, r.mcse_not)}).",
    )


def with_risk_sentence(sentences: list[Sentence], risks: pd.DataFrame) -> list[Sentence]:
    """``sentences`` with :func:`risk_sentence` before the ``driver`` sentence (else last).

    Examples
    --------
    >>> with_risk_sentence([Sentence("outcome", "A.")], pd.DataFrame())[0].key
    'outcome'
    """
    extra = risk_sentence(risks)
    if extra is None:
        return sentences
    keys = [x.key for x in sentences]
    at = keys.index("driver") if "driver" in keys else len(sentences)
    return [*sentences[:at], extra, *sentences[at:]]


def risk_blocks(risks: pd.DataFrame, questions: pd.DataFrame, figs: Mapping[str, Figure]) -> list[Block]:
    """The register, each risk's effect on the predictions, and the open questions.

    Examples
    --------
    >>> risk_blocks(pd.DataFrame(), pd.DataFrame(), {})
    []
    """
    out: list[Block] = []
    if len(risks):
        out.append(_register_block(risks, figs))
        preds = risks[risks["kind"] == "prediction"]
        if len(preds):
            out.append(_prediction_block(preds))
    if len(questions):
        out.append(_question_block(questions))
    return out


def _register_block(risks: pd.DataFrame, figs: Mapping[str, Figure]) -> Block:
    outcomes = risks[risks["kind"] == "outcome"]
    top = _top(outcomes[outcomes["risk"] == outcomes["risk"].iloc[0]])
    market = risks[risks["kind"] == "market"]
    head_market = market["id"].iloc[0] if len(market) else None
    moved = bool(risks["kind"].isin(["input", "metric"]).any())
    rows = []
    for _, sub in risks.groupby("risk", sort=False):
        o = sub[(sub["kind"] == "outcome") & (sub["id"] == top.id)].iloc[0]
        row = [
            str(o.statement),
            f"{pct(o.probability)} ({interval(o.probability_q05, o.probability_q95, pct)})",
            _with_error(o.if_happens, o.mcse_happens),
            _with_error(o.if_not, o.mcse_not),
            f"{(o.impact * 100):+.1f} pts ({interval(o.impact_q05 * 100, o.impact_q95 * 100)})",
            pct(o.variance_share, 2),
        ]
        if head_market is not None:
            m = sub[(sub["kind"] == "market") & (sub["id"] == head_market)]
            row.append(f"{sig(m.if_happens.iloc[0])} / {sig(m.if_not.iloc[0])}" if len(m) else "")
        if moved:
            row.append(_target_cell(sub))
        rows.append(row)
    headers = [
        "Risk",
        "Probability (90%)",
        f"P({top.label}) if it happens",
        "if it does not",
        "Impact (90%)",
        "Share of the outcome's variance",
    ]
    if head_market is not None:
        headers.append(f"{market['label'].iloc[0]}: if it happens / not")
    if moved:
        headers.append("Inputs and metrics it moves: mean if it happens / not")
    text = [
        "Each risk splits the forecast into 'it happens' and 'it does not'. The stated outcome "
        "probabilities stay the marginal ones: a risk's effects are measured from them (with the "
        "risk at its probability, the odds are the stated odds), so the register explains the "
        f"forecast without moving it. Sorted by impact on the most likely outcome, {top.label}. "
        "A dated prediction moves with a risk through the outcome; a market with a growth effect "
        "by its centred shift from the analysis date on. A named input or metric a risk shifts (or "
        "scales) moves on the draws where the risk happens, and every metric and payoff that names it "
        "follows; its mean if it happens and if not are read from those draws (± Monte Carlo error)."
    ]
    caption = "± Monte Carlo error; impact in percentage points of the most likely outcome's probability."
    table = Table("table-risks", headers, rows, [False] + [True] * (len(headers) - 1), caption=caption)
    return Block("Risk register", "risks", text, figs.get(HEATMAP_KEY), [table])


def _target_cell(sub: pd.DataFrame) -> str:
    """A risk's inputs and metrics: ``label: if happens ± error / if not ± error``."""
    parts = [
        f"{r.label}: {sig(r.if_happens)} ± {sig(r.mcse_happens)} / {sig(r.if_not)} ± {sig(r.mcse_not)}"
        for r in sub[sub["kind"].isin(["input", "metric"])].itertuples()
    ]
    return "; ".join(parts)


def _with_error(p: Any, se: Any) -> str:
    return f"{pct(p)} ({mc_error(p, se)})"


def _prediction_block(preds: pd.DataFrame) -> Block:
    """Rows: the predictions; columns: each risk, 'if it happens / if not'."""
    risks = list(dict.fromkeys(preds["risk"]))
    rows = []
    for _, sub in preds.groupby("id", sort=False):
        by = {str(r.risk): r for r in sub.itertuples()}
        first = sub.iloc[0]
        rows.append(
            [str(first.label), pct(first.now)]
            + [f"{pct(by[r].if_happens)} / {pct(by[r].if_not)}" for r in risks]
        )
    headers = ["Prediction", "Now"] + [f"{r}: happens / not" for r in risks]
    err = float(np.nanmax(preds[["mcse_happens", "mcse_not"]].to_numpy(dtype=float)))
    caption = f"Monte Carlo errors at most {pp(err)}; risks in the register's order (by impact)."
    table = Table("table-risk-predictions", headers, rows, [False] + [True] * (len(headers) - 1), caption)
    text = [
        "Each dated prediction's probability if each risk happens and if it does not. A risk moves a "
        "prediction through the outcome: as much as the prediction's probability differs between outcomes."
    ]
    return Block("Risks and the predictions", "risk-predictions", text, None, [table])


def _question_block(questions: pd.DataFrame) -> Block:
    """One table per question: rows the outcomes, predictions and markets; columns each answer."""
    tables = []
    for qid, sub in questions.groupby("question", sort=False):
        answers = list(dict.fromkeys(sub["answer"]))
        p_of = dict(zip(sub["answer"], sub["p_answer"], strict=False))
        rows = []
        for _, item in sub.groupby(["kind", "id"], sort=False):
            r0 = item.iloc[0]
            name = {"outcome": f"P({r0.label})", "prediction": f"Prediction: {r0.label}"}.get(
                str(r0.kind), str(r0.label)
            )
            fmt = pct if r0.kind != "market" else sig
            by = {str(r.answer): r for r in item.itertuples()}
            cells = [
                _with_error(by[a].if_answer, by[a].mcse) if r0.kind != "market" else sig(by[a].if_answer)
                for a in answers
            ]
            rows.append([name, fmt(r0.now), *cells])
        headers = ["Outcome, prediction or market", "Now"] + [f"If {a} ({pct(p_of[a])})" for a in answers]
        head = sub.iloc[0]
        top = _top(sub[(sub["kind"] == "outcome") & (sub["answer"] == answers[0])])
        caption = (
            f"{head.statement} Worth knowing: its answer moves P({top.label}) by {pp(head.worth)} on average "
            f"({mc_error(head.worth, head.worth_mcse)})."
        )
        tables.append(
            Table(f"table-question-{qid}", headers, rows, [False] + [True] * (len(headers) - 1), caption)
        )
    text = [
        "What each possible answer of each open question would do to the odds, the dated predictions "
        "and the headline market (Bayes' rule), and what knowing the answer is worth: the expected "
        "change of the most likely outcome's probability. The question worth answering first comes first."
    ]
    return Block("Open questions", "questions", text, None, tables)


def risk_heatmap(risks: pd.DataFrame) -> MplFigure:
    """Probability x impact of every risk, with 90% intervals on both.

    Examples
    --------
    >>> fig = risk_heatmap(risk_register(fc))  # doctest: +SKIP
    """
    from matplotlib.figure import Figure as MplFigure

    one = risks[risks["kind"] == "outcome"].drop_duplicates("risk")
    fig = MplFigure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    lim = max(0.05, float(np.nanmax(np.abs(one[["impact_q05", "impact_q95"]].to_numpy()))) * 110)
    xs, ys = np.meshgrid(np.linspace(0, 1, 101), np.linspace(-lim, lim, 101))
    ax.imshow(
        xs * np.abs(ys), extent=(0, 100, -lim, lim), origin="lower", aspect="auto", cmap="YlOrRd", alpha=0.55
    )
    col = {
        c: one[c].to_numpy(dtype=float) * 100 for c in ("probability", "probability_q05", "probability_q95")
    }
    col |= {c: one[c].to_numpy(dtype=float) * 100 for c in ("impact", "impact_q05", "impact_q95")}
    x, y = col["probability"], col["impact"]
    ax.errorbar(
        x,
        y,
        # the point (read from the draws' odds) can lie just outside the interval of the
        # inputs (a point probability of 0.30 against a mean of 0.2996): no negative bars
        xerr=np.clip(np.stack([x - col["probability_q05"], col["probability_q95"] - x]), 0.0, None),
        yerr=np.clip(np.stack([y - col["impact_q05"], col["impact_q95"] - y]), 0.0, None),
        fmt="o",
        color="#333333",
        capsize=3,
        markersize=5,
    )
    for name, xi, yi in zip(one["risk"], x, y, strict=True):
        ax.annotate(
            str(name).replace("$", r"\$"), (xi, yi), textcoords="offset points", xytext=(6, 5), fontsize=8
        )
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Probability the risk materialises (%)")
    top = str(one["label"].iloc[0]) if len(one) else ""
    ax.set_ylabel("Impact (percentage points)")
    ax.set_title(
        f"Impact on P({top[:70]}) if the risk happens, against if not".replace("$", r"\$"), fontsize=9
    )
    return fig


def heatmap_plan(risks: pd.DataFrame) -> list[tuple[str, str, str, str, Any]]:
    """``(key, file, title, caption, draw)`` of the heat map, when there are risks."""
    if not len(risks):
        return []
    import functools

    return [
        (HEATMAP_KEY, HEATMAP_FILE, HEATMAP_TITLE, HEATMAP_CAPTION, functools.partial(risk_heatmap, risks))
    ]


def risk_section(
    risks: pd.DataFrame, questions: pd.DataFrame, figs: Mapping[str, Figure]
) -> dict[str, Any] | None:
    """The report section (None without risks or questions)."""
    blocks = risk_blocks(risks, questions, figs)
    if not blocks:
        return None
    return {"id": "risks", "title": "Risks and open questions", "blocks": blocks}


def risk_input_rows(s: Any) -> list[dict[str, str]]:
    """The register's inputs for the report's inputs table (as
    :func:`forecast.outputs.sections.input_rows` lists every other input): each risk's
    probability and effects, each answer's probability, effects or likelihoods.

    Examples
    --------
    >>> import forecast
    >>> rows = risk_input_rows(forecast.load(forecast.bundled()))
    >>> rows[0]["key"], rows[0]["basis"]
    ('risks.technical_dilution.probability', 'assumption')
    """
    rows: list[dict[str, str]] = []

    def add(key: str, what: str, value: str, source: str | None, note: str | None) -> None:
        assumed = not source or any(x.lower().startswith("assumption") for x in (source, note or ""))
        basis = "assumption" if assumed else "source"
        rows.append(
            {
                "key": key,
                "what": what,
                "value": value,
                "source": source or "",
                "basis": basis,
                "note": note or "",
            }
        )

    def effects(key: str, what: str, items: Any) -> None:
        for j, e in enumerate(items):
            q = e.amount
            where = {
                "outcome": f"log-odds of {e.ident}",
                "market": f"CAGR of {e.ident}",
                "input": f"{'factor on' if e.scale is not None else 'shift of'} input {e.ident}",
                "metric": f"{'factor on' if e.scale is not None else 'shift of'} metric {e.ident}",
            }[e.kind]
            add(
                f"{key}.effects[{j}]",
                f"{what}: {where}",
                q.canonical("positive" if e.scale is not None else "real").describe(),
                q.source or e.source,
                q.note or e.note,
            )

    for r in s.risks:
        k = f"risks.{r.id}"
        p = r.probability
        add(
            f"{k}.probability",
            f"{r.statement} (by {r.deadline.isoformat()})",
            p.canonical("unit").describe(),
            p.source,
            p.note,
        )
        effects(k, r.id, r.effects)
    for q in s.questions:
        for a in q.answers:
            k = f"questions.{q.id}.answers.{a.id}"
            if a.likelihood is not None:
                value = ", ".join(f"{o} {sig(v)}" for o, v in a.likelihood.items())
                add(f"{k}.likelihood", f"P({a.id} | outcome)", value, a.source or q.source, a.note or q.note)
            else:
                add(f"{k}.probability", f"{q.id}: {a.id}", sig(a.probability), a.source, a.note)
            effects(k, f"{q.id}: {a.id}", a.effects)
    return rows
