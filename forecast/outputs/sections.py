"""The report's sections, as :class:`~forecast.outputs.formatting.Block` lists.

Each function reads a :class:`~forecast.analysis.results.Forecast` (and the tables it
already computed) and returns formatted blocks; :mod:`forecast.outputs.report` puts
them in order and renders them. It is a little longer than 600 lines: one function
per section, each short, kept together so the report's wording stays consistent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.analysis.sensitivity import revenue_label
from forecast.engine.dataset import pooled
from forecast.outputs.formatting import (
    Block,
    Figure,
    Table,
    deadline_words,
    interval,
    key_year,
    mc_error,
    pct,
    sig,
)
from forecast.outputs.risk_section import risk_input_rows

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.scenario import Quantity, Scenario


def _row(df: pd.DataFrame, market: str, year: int) -> pd.Series:
    return df[(df["market"] == market) & (df["year"] == year)].iloc[0]


def summary(
    fc: Forecast,
    markets: pd.DataFrame,
    outcomes: pd.DataFrame,
    predictions: pd.DataFrame,
    year: int,
    by_outcome: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Headline numbers in groups: ``{"title", "items": [{label, value, detail}]}``.

    ``by_outcome`` (:func:`forecast.analysis.implied.position_by_outcome`): a company
    whose share path depends on the outcome is headlined by its expected revenue and
    its share per outcome, never by the median of the blend."""
    s = fc.scenario
    groups: list[dict[str, Any]] = []
    items: list[dict[str, str]] = []
    if (markets["market"] == "total").any():
        r = _row(markets, "total", year)
        unit = s.markets[0].unit
        stated = [m.projection for m in s.markets if m.projection is not None and m.projection.year == year]
        detail = f"median; 90% interval {interval(r.q05, r.q95)}"
        if len(stated) == len(s.markets):
            detail += f"; stated {sig(sum(_median(q) for q in stated))}"
        items.append({"label": f"Total market {year}", "value": f"{sig(r.q50)} {unit}", "detail": detail})
    else:
        for m in s.markets:
            r = _row(markets, m.id, year)
            items.append(
                {"label": f"{m.label} {year}", "value": f"{sig(r.q50)} {m.unit}", "detail": f"median; 90% interval {interval(r.q05, r.q95)}"}
            )  # fmt: skip
    by = by_outcome if by_outcome is not None else pd.DataFrame(columns=["market"])
    for p in s.positions:
        unit = s.market(p.market).unit
        rv = _row(markets, f"revenue.{p.id}", year)
        sh = _row(markets, f"share.{p.id}", year)
        per = by[(by["market"] == f"share.{p.id}") & (by["year"] == year)] if len(by) else by
        if len(per) and s.assessment:
            labels = {o.id: o.label for o in s.assessment.outcomes}
            shares = "; ".join(f"{pct(r.q50)} if {labels[str(r.outcome)]}" for r in per.itertuples())
            # two items, each label naming one thing: the revenue, then the share
            market = s.market(p.market).label
            items.append(
                {
                    "label": f"Expected revenue {year} in {market}",
                    "value": f"{sig(rv['mean'])} {unit}",
                    "detail": f"from {p.label}; mean over the outcomes",
                }
            )
            items.append({"label": f"{p.label} {year}", "value": shares, "detail": "median share by outcome"})
            continue
        items.append(
            {
                "label": revenue_label(p.label, year),
                "value": f"{sig(rv.q50)} {unit}",
                "detail": f"median; 90% interval {interval(rv.q05, rv.q95)}; share {pct(sh.q50)} ({interval(sh.q05, sh.q95, pct)})",
            }
        )
    groups.append({"title": "Markets and company", "items": items})
    if len(outcomes) and s.assessment:
        items = [
            {
                "label": str(r.label),
                "value": pct(r.probability),
                "detail": f"{'updated; ' if fc.conditioned else ''}90% interval {interval(r.q05, r.q95, pct)}; "
                f"stated {pct(r.stated)}",
            }
            for r in outcomes.itertuples()
        ]
        sp = fc.signposts()
        labels = {o.id: o.label for o in s.assessment.outcomes}
        for sid, sub in sp.groupby("signpost", sort=False):
            if sub["observed"].iloc[0] is not None and not pd.isna(sub["observed"].iloc[0]):
                continue
            # the outcome the signpost moves most, both ways; of a tie (two outcomes always
            # tie) the first, as the executive summary's signpost sentence names it
            move = (sub["if_true"] - sub["if_false"]).abs()
            top = sub.assign(move=move).sort_values("move", ascending=False, kind="stable").iloc[0]
            statement = next(x.statement for x in s.signposts if x.id == sid)
            items.append(
                {
                    "label": f"Signpost: {statement}",
                    "value": f"{pct(top.now)} → {pct(top.if_true)}",
                    "detail": f"P({labels[str(top.outcome)]}) now → if observed; {pct(top.if_false)} if not",
                }
            )
        groups.append({"title": f"Outcomes within {s.assessment.horizon_years:g} years", "items": items})
    if len(predictions):
        judged = {p.id: p.judged for p in s.predictions}
        items = [
            {
                "label": f"{r.statement} ({deadline_words(judged[str(r.id)], r.deadline)})",
                "value": pct(r.probability),
                "detail": f"{mc_error(r.probability, r.mcse)} Monte Carlo error",
            }
            for r in predictions.itertuples()
        ]
        groups.append({"title": "Predictions", "items": items})
    return groups


def _median(q: Quantity, domain: Any = "positive") -> float:
    return float(q.canonical(domain).quantile(0.5))


def _fan_table(
    df: pd.DataFrame, name: str, table_id: str, stated: Mapping[int, float] | None = None
) -> Table:
    sub = df[df["market"] == name]
    headers = ["Year", "Median", "50% interval", "90% interval", "Mean"]
    if stated:
        headers.append("Stated")
    rows = []
    for r in sub.itertuples():
        year = int(str(r.year))
        row = [str(year), sig(r.q50), interval(r.q25, r.q75), interval(r.q05, r.q95), sig(r.mean)]
        if stated:
            row.append(sig(stated[year]) if year in stated else "")
        rows.append(row)
    return Table(table_id, headers, rows, [True] * len(headers))


def _all_markets_block(s: Scenario, markets: pd.DataFrame, figs: Mapping[str, Figure]) -> Block:
    """Every market in one table (median and 90% interval in the key and last year)."""
    key, last = key_year(s), int(s.years[-1])
    years = [key] if key == last else [key, last]
    headers = ["Market", "Unit"]
    for y in years:
        headers += [f"{y} median", f"{y} 90% interval"]
    rows = []
    for m in s.markets:
        row = [m.label, m.unit]
        for y in years:
            r = _row(markets, m.id, y)
            row += [sig(r.q50), interval(r.q05, r.q95)]
        rows.append(row)
    text = [
        f"{len(s.markets)} markets: the figure shows the largest, the table every one "
        "(markets.csv has every year and quantile)."
    ]
    numeric = [False, False] + [True] * (2 * len(years))
    return Block(
        f"All {len(s.markets)} markets", "markets-all", text, figs.get("markets"), [Table("table-markets-all", headers, rows, numeric)]
    )  # fmt: skip


def market_blocks(
    fc: Forecast, markets: pd.DataFrame, figs: Mapping[str, Figure], by_outcome: pd.DataFrame | None = None
) -> list[Block]:
    """The total, each market and each company position; ``by_outcome`` names the
    fan of a position whose path depends on the outcome as a blend."""
    s = fc.scenario
    blocks = []
    if (markets["market"] == "total").any():
        stated: dict[int, float] = {}
        if len({m.base_year for m in s.markets}) == 1:
            stated[s.markets[0].base_year] = sum(_median(m.size) for m in s.markets)
        projs = [m.projection for m in s.markets]
        if all(p is not None for p in projs) and len({p.year for p in projs if p is not None}) == 1:
            stated[projs[0].year] = sum(_median(p) for p in projs if p is not None)  # type: ignore[union-attr]
        blocks.append(
            Block(
                "Total of all markets",
                "market-total",
                [f"Sum of the {len(s.markets)} markets, {s.markets[0].unit}."],
                figs.get("market.total"),
                [_fan_table(markets, "total", "table-market-total", stated)],
            )
        )
    from forecast.outputs.figures import MAX_MARKET_FIGURES

    if len(s.markets) > MAX_MARKET_FIGURES:
        # many markets: one figure of the largest and one row per market, not a block each
        blocks.append(_all_markets_block(s, markets, figs))
    for m in s.markets if len(s.markets) <= MAX_MARKET_FIGURES else []:
        stated = {m.base_year: _median(m.size)}
        if m.projection is not None:
            stated[m.projection.year] = _median(m.projection)
        text = [f"{m.unit}. {m.notes}".strip()]
        blocks.append(
            Block(m.label, f"market-{m.id}", text, figs.get(f"market.{m.id}"), [_fan_table(markets, m.id, f"table-market-{m.id}", stated)])
        )  # fmt: skip
    for p in s.positions:
        unit = s.market(p.market).unit
        share = markets[markets["market"] == f"share.{p.id}"]
        revenue = markets[markets["market"] == f"revenue.{p.id}"]
        rows = [
            [
                str(a.year),
                pct(a.q50),
                interval(a.q05, a.q95, pct),
                sig(b.q50),
                interval(b.q05, b.q95),
                sig(b.mean),
            ]
            for a, b in zip(share.itertuples(), revenue.itertuples(), strict=True)
        ]
        per = by_outcome is not None and bool((by_outcome["market"] == f"share.{p.id}").any())
        blend = ", all outcomes blended" if per else ""
        table = Table(
            f"table-position-{p.id}",
            [
                "Year",
                f"Share (median{blend})",
                "Share 90%",
                f"Revenue (median{blend}, {unit})",
                "Revenue 90%",
                "Revenue (mean)",
            ],
            rows,
            [True] * 6,
        )
        words = f"Revenue = share × {s.market(p.market).label}."
        if per:
            words += (
                " The share path depends on the outcome: this fan blends the outcomes' paths, and its "
                "median matches none of them; the fans per outcome follow."
            )
        blocks.append(
            Block(f"Company: {p.label}", f"position-{p.id}", [words], figs.get(f"position.{p.id}"), [table])
        )
    return blocks


def outcome_blocks(fc: Forecast, outcomes: pd.DataFrame, figs: Mapping[str, Figure]) -> list[Block]:
    s = fc.scenario
    assert s.assessment is not None
    rows = [
        [
            str(r.label),
            pct(r.stated),
            pct(r.probability),
            interval(r.q05, r.q95, pct),
            mc_error(r.probability, r.mcse, sign=False),
        ]
        for r in outcomes.itertuples()
    ]
    now = "Updated" if fc.conditioned else "Simulated"
    text = [
        f"Mutually exclusive outcomes within {s.assessment.horizon_years:g} years of {s.as_of.isoformat()}. "
        f"The {now.lower()} probability is the mean over draws"
        + (" given the evidence and observed signposts" if fc.conditioned else "")
        + "; its 90% interval shows how uncertain the "
        "judgment itself is (the stated confidence and the market drivers)."
    ]
    blocks = [
        Block(
            f"Stated and {now.lower()} probabilities",
            "outcome-probabilities",
            text,
            figs.get("outcomes"),
            [
                Table(
                    "table-outcomes",
                    ["Outcome", "Stated", now, "90% interval", "MCSE"],
                    rows,
                    [False, True, True, True, True],
                )
            ],
        )
    ]
    by = fc.by_outcome()
    if len(by):
        labels = {o.id: o.label for o in s.assessment.outcomes}
        last = key_year(s)
        tables = []
        for pid, sub in by.groupby("position", sort=False):
            p = s.position(str(pid))
            unit = s.market(p.market).unit
            tables.append(
                Table(
                    f"table-by-outcome-{pid}",
                    ["Outcome", "Probability", f"Share {last} (median)", f"Revenue {last} (mean, {unit})", "Revenue 90%"],
                    [
                        [labels[str(r.outcome)], pct(r.probability), pct(r.share_q50), sig(r.revenue_mean), interval(r.revenue_q05, r.revenue_q95)]
                        for r in sub.itertuples()
                    ],
                    [False, True, True, True, True],
                    caption=p.label,
                )
            )  # fmt: skip
        blocks.append(
            Block(
                "Company share and revenue by outcome",
                "by-outcome",
                [f"In {last}, among the draws where each outcome happened."],
                None,
                tables,
            )
        )
    return blocks


def prediction_blocks(
    fc: Forecast, predictions: pd.DataFrame, figs: Mapping[str, Figure], signposts: Block | None = None
) -> list[Block]:
    """The dated predictions (table and chart), the ``signposts`` block when given
    (:func:`forecast.outputs.briefing.signpost_block`), and the evidence."""
    s = fc.scenario
    blocks = []
    if len(predictions):
        by_id = {p.id: p for p in s.predictions}
        rows = []
        for r in predictions.itertuples():
            p = by_id[str(r.id)]
            status = "open" if p.resolved is None else ("came true" if p.resolved else "did not")
            rows.append(
                [
                    str(r.statement),
                    deadline_words(p.judged, r.deadline),
                    pct(r.probability),
                    mc_error(r.probability, r.mcse, sign=False),
                    status,
                ]
            )
        blocks.append(
            Block(
                "Dated predictions",
                "predictions-table",
                [
                    "Probability that each prediction comes true, with its Monte Carlo standard error: an event or "
                    "a threshold judged 'by' its deadline may come true any time up to it, a figure judged "
                    "'on' its deadline only on that date."
                    + (" The chart orders them by deadline." if "predictions" in figs else "")
                ],
                figs.get("predictions"),
                [
                    Table(
                        "table-predictions",
                        ["Prediction", "Deadline", "Probability", "MCSE", "Status"],
                        rows,
                        [False, True, True, True, False],
                    )
                ],
            )
        )
    if signposts is not None:
        blocks.append(signposts)
    if s.evidence or any(x.observed is not None for x in s.signposts):
        blocks.append(_evidence_block(fc))
    return blocks


def _evidence_block(fc: Forecast) -> Block:
    """The evidence and what it changed: prior (before) vs posterior (after)."""
    s = fc.scenario
    text = []
    tables = []
    if s.evidence:
        rows = []
        for e in s.evidence:
            m = s.market(e.market)
            rows.append(
                [
                    m.label,
                    str(e.year),
                    f"{sig(e.value)} {m.unit}",
                    f"± {pct(e.rel_error)}",
                    e.source or "assumption",
                ]
            )
        tables.append(Table("table-evidence", ["Market", "Year", "Observed", "Error (SD, log)", "Source"], rows, [False, True, True, True, False]))  # fmt: skip
    observed = [x for x in s.signposts if x.observed is not None]
    for x in observed:
        text.append(f"Signpost observed {'true' if x.observed else 'false'}: {x.statement}")
    if not fc.conditioned:
        text.append(
            "These draws ignore the evidence (--prior-only)."
            if fc.prior_only
            else "The evidence was not used."
        )
        return Block("Evidence", "evidence", text, None, tables)
    prior, post = fc.prior_draws, fc.draws
    rows = []

    def both(name: str) -> tuple[np.ndarray, np.ndarray] | None:
        if name not in prior.data_vars or name not in post.data_vars:
            return None
        a, b = prior[name].values, post[name].values
        return pooled(a), pooled(b)

    if s.assessment and (pair := both("outcome_probability")):
        for i, o in enumerate(s.assessment.outcomes):
            rows.append([f"P({o.label})", pct(pair[0][:, i].mean()), pct(pair[1][:, i].mean())])
    year = key_year(s)
    j = s.years.index(year)
    if pair := both("market_size"):
        for i, m in enumerate(s.markets):
            rows.append(
                [
                    f"{m.label} {year} (median, {m.unit})",
                    sig(np.median(pair[0][:, i, j])),
                    sig(np.median(pair[1][:, i, j])),
                ]
            )
    if pair := both("growth"):
        for i, m in enumerate(s.markets):
            rows.append(
                [f"{m.label} CAGR (median)", pct(np.median(pair[0][:, i])), pct(np.median(pair[1][:, i]))]
            )
    if pair := both("prediction_hit"):
        for i, p in enumerate(s.predictions):
            rows.append([f"Prediction: {p.statement}", pct(pair[0][:, i].mean()), pct(pair[1][:, i].mean())])
    tables.append(
        Table(
            "table-evidence-effect",
            ["Quantity", "Before evidence", "After evidence"],
            rows,
            [False, True, True],
        )
    )
    text.append("Before: forward simulation from the stated inputs; after: the posterior given the evidence.")
    return Block("Evidence and what it changed", "evidence", text, None, tables)


# --- inputs -------------------------------------------------------------------------


def input_rows(s: Scenario) -> list[dict[str, str]]:
    """Every input of the scenario: key path, value or distribution, source, basis, note.

    ``basis`` is ``source`` when the input names a source that is not itself an
    assumption (:attr:`Quantity.is_assumption`), else ``assumption``.

    Examples
    --------
    >>> import forecast
    >>> rows = input_rows(forecast.load(forecast.bundled()))
    >>> next(r for r in rows if r["key"] == "markets.developer_tools.size")["value"]
    'lognormal, 90% in [2.63, 3.654] USD bn'
    """
    from forecast.scenario.formula_rules import input_domain

    rows: list[dict[str, str]] = []

    def add_q(key: str, q: Quantity, domain: Any, unit: str = "", what: str = "") -> None:
        rows.append(
            {
                "key": key,
                "what": what,
                "value": q.canonical(domain).describe(unit),
                "source": q.source or "",
                "basis": "assumption" if q.is_assumption else "source",
                "note": q.note or "",
            }
        )

    def add_v(key: str, value: str, source: str | None, note: str | None = None, what: str = "") -> None:
        text = f"{source or ''} {note or ''}".strip().lower()
        assumed = (
            not source
            or source.lower().startswith("assumption")
            or (note or "").lower().startswith("assumption")
        )
        rows.append(
            {
                "key": key,
                "what": what,
                "value": value,
                "source": source or "",
                "basis": "assumption" if assumed or not text else "source",
                "note": note or "",
            }
        )

    add_q(
        "correlation.common_factor",
        s.correlation.common_factor,
        "unit",
        what="share of growth variance common to all markets",
    )
    for m in s.markets:
        k = f"markets.{m.id}"
        add_q(f"{k}.size", m.size, "positive", m.unit, f"{m.label}, size in {m.base_year}")
        if m.projection is not None:
            add_q(
                f"{k}.projection", m.projection, "positive", m.unit, f"{m.label}, size in {m.projection.year}"
            )
        if m.cagr is not None:
            add_q(f"{k}.cagr", m.cagr, "growth", what=f"{m.label}, CAGR")
        add_q(
            f"{k}.volatility",
            m.volatility,
            "positive" if m.volatility.value != 0 else "real",
            what=f"{m.label}, yearly shock SD (log)",
        )
    if s.assessment:
        a = s.assessment
        add_q(
            "assessment.confidence",
            a.confidence,
            "positive",
            what="how many cases the outcome judgment is worth",
        )
        for o in a.outcomes:
            k = f"assessment.outcomes.{o.id}"
            add_q(f"{k}.probability", o.probability, "unit", what=o.label)
            for d in o.drivers:
                add_v(
                    f"{k}.drivers.{d.market}",
                    f"{sig(d.log_odds_per_sd)} log-odds per SD",
                    d.source,
                    what=f"{o.label}: driven by {d.market} growth",
                )
    for p in s.positions:
        for j, pt in enumerate(p.path):
            when = f"{pt.at.isoformat()}" + (f", if {pt.outcome}" if pt.outcome else "")
            add_q(f"positions.{p.id}.path[{j}].share", pt.share, "unit", what=f"{p.label}, {when}")
    for inp in s.inputs:
        add_q(f"inputs.{inp.id}", inp.value, input_domain(inp), inp.unit, inp.label)
    for pr in s.predictions:
        k = f"predictions.{pr.id}"
        if pr.kind == "threshold":
            add_v(
                f"{k}.threshold",
                f"{pr.quantity} {between_text(pr)} {pr.judged} {pr.deadline.isoformat()}",
                pr.source,
                what=pr.statement,
            )
        elif pr.probability is not None:
            add_q(f"{k}.probability", pr.probability, "unit", what=pr.statement)
        else:
            for o_id, q in (pr.probability_by_outcome or {}).items():
                add_q(f"{k}.probability_by_outcome.{o_id}", q, "unit", what=f"{pr.statement} (if {o_id})")
    for sp in s.signposts:
        for o_id, v in sp.likelihood.items():
            add_v(
                f"signposts.{sp.id}.likelihood.{o_id}",
                sig(v),
                sp.source,
                sp.note,
                what=f"P(observed true | {o_id})",
            )
    for j, e in enumerate(s.evidence):
        m = s.market(e.market)
        add_v(
            f"evidence[{j}]",
            f"{sig(e.value)} {m.unit} ± {pct(e.rel_error)}",
            e.source,
            what=f"{m.label} observed in {e.year}",
        )
    rows += risk_input_rows(s)  # [[risks]] and [[questions]]
    return rows


#: how the model reads a scenario's numbers, in the inputs section of every report
METHOD_NOTE = (
    "How the numbers are read: a year's figure is an annual figure and stands at mid-year (1 July), so a "
    "deadline or share-path date of 2026-07-01 reads the 2026 figure and 2027-01-01 lies 0.504 of the way "
    "from 2026 to 2027 (by days: 184 of 365). A threshold prediction judged 'by' its deadline comes true if it is reached at any time "
    "from the as-of date to the deadline (checked at least monthly); 'at' only on the deadline itself. "
    "Between two points of a share path the interval is the interpolation of theirs, and the points are "
    "correlated by the position's persistence. A projection that sets a market's growth spread anchors its "
    "year: the yearly shocks are bridged between the base year and that year. Outcome drivers act on a "
    "market's growth measured from the growth at which the probabilities were stated, so a what-if that "
    "changes that growth moves the odds. A probability on which every draw agrees has Monte Carlo error "
    "3/n (the rule of three), not 0."
)


def between_text(pr: Any) -> str:
    """``>= 0.25`` or ``between 0.25 and 0.3``: a threshold prediction's test."""
    if pr.op == "between":
        return f"between {sig(pr.low)} and {sig(pr.high)}"
    return f"{pr.op} {sig(pr.threshold)}"


def input_blocks(s: Scenario) -> list[Block]:
    from forecast.scenario import exact_inputs, markets_exact

    rows = input_rows(s)
    n_src = sum(r["basis"] == "source" for r in rows)
    text = [
        f"{len(rows)} inputs: {n_src} from a named source, {len(rows) - n_src} analyst assumptions. "
        "Distributions are shown by their median and 90% interval (5th to 95th percentile); 'note' says what was assumed about a sourced number. "
        "The resolved inputs (with any --set overrides) are in scenario.toml."
    ]
    exact = exact_inputs(s)
    if exact:
        text.append(
            "Treated as exactly known while other inputs are uncertain: "
            + "; ".join(f"{message} ({key})" for key, message in exact)
            + "."
        )
    elif markets_exact(s):
        text.append(
            "Every market and share input is a point: market sizes, shares and revenues are exactly "
            "known in this scenario and each of their intervals is a single number. Give a size, CAGR "
            "or projection a range (low and high) to see its uncertainty."
        )
    text.append(METHOD_NOTE)
    table = Table(
        "table-inputs",
        ["Input", "What", "Value or distribution", "Basis", "Source", "Note"],
        [[r["key"], r["what"], r["value"], r["basis"], r["source"], r["note"]] for r in rows],
        [False] * 6,
    )
    return [Block("Every input", "inputs-table", text, None, [table])]


# --- diagnostics and reproducibility -----------------------------------------------


def diagnostic_blocks(
    fc: Forecast, warnings: Sequence[str], prov: Mapping[str, Any], versions: Mapping[str, str]
) -> list[Block]:
    s = fc.scenario
    blocks = []
    if fc.diagnostics is not None:
        d = fc.diagnostics
        if not isinstance(d.index, pd.RangeIndex):
            d = d.reset_index()
        headers = [str(c) for c in d.columns]
        numeric = [
            pd.api.types.is_numeric_dtype(d[c]) and not pd.api.types.is_bool_dtype(d[c]) for c in d.columns
        ]
        # R-hat needs its third decimal (1.004 vs 1.012); 3 significant figures would hide it
        fmts = [(lambda v: f"{float(v):.3f}") if str(c).startswith("rhat") else sig for c in d.columns]
        rows = [
            [f(v) if num else str(v) for v, num, f in zip(row, numeric, fmts, strict=True)]
            for row in d.itertuples(index=False)
        ]
        text = [
            "NUTS convergence: R-hat ≤ 1.01, bulk and tail ESS ≥ 400 and no divergences are the thresholds held."
        ]
        attrs = fc.diagnostics.attrs
        if "divergences" in attrs:
            text.append(f"Divergent transitions: {attrs['divergences']}.")
        if attrs.get("sampler"):
            text.append(
                f"Sampler: {attrs['sampler']}, {attrs.get('chains', '?')} chains × {attrs.get('draws_per_chain', '?')} draws "
                f"after {attrs.get('tune', '?')} tuning steps."
            )
        if attrs.get("target_accept"):
            raised = attrs.get("raised_after", 0)
            why = f" (sampled again, higher, after {raised} divergent transitions)" if raised else ""
            text.append(f"Target acceptance rate: {attrs['target_accept']}{why}.")
        if fc.data.attrs.get("draws_note"):
            text.append(f"{fc.data.attrs['draws_note']}.")
        text += [f"WARNING: {w}" for w in warnings] or ["All diagnostics within thresholds."]
        blocks.append(
            Block(
                "Sampler diagnostics",
                "sampler",
                text,
                None,
                [Table("table-diagnostics", headers, rows, numeric)],
            )
        )
    rows = [
        ["Scenario", f"{s.id} ({s.origin})"],
        ["Scenario SHA-256", s.sha256()],
        ["Random seed", str(fc.seed)],
        ["Draws", f"{fc.n_draws:,}" + (f" ({note})" if (note := fc.data.attrs.get("draws_note")) else "")],
        ["Command", str(prov.get("command") or "(Python API: Forecast.write_report)")],
    ]
    rows += [[f"{k} version", v] for k, v in versions.items()]
    timings = dict(fc.timings)
    timings.update(prov.get("timings") or {})
    rows += [[f"time: {k}", f"{sig(v, 2)} s"] for k, v in timings.items() if isinstance(v, int | float)]
    rows.append(["Generated", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")])
    text = [
        "Same scenario.toml, random seed and versions give the same numbers: "
        "'forecast run scenario.toml' in this folder reruns it."
    ]
    blocks.append(
        Block(
            "Run details",
            "reproducibility",
            text,
            None,
            [Table("table-reproducibility", ["Item", "Value"], rows, [False, False])],
        )
    )
    return blocks
