"""The what-if page's tables: what one simulated state (:class:`View`) shows, as HTML.

Each function takes a :class:`View` and returns Shiny UI tags (or None when the state has
nothing of that kind), so the page's server only picks the current view and the tables
are tested without a browser. Probabilities and shares are shown as percents; each
number cell carries its exact value in a ``data-`` attribute for the browser tests.

Examples
--------
>>> import forecast
>>> v = compute(forecast.load(forecast.bundled("deepseek-decision")), {})  # doctest: +SKIP
>>> "too close to call" in str(decision_table(v))  # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from forecast.commands.serve.view import View

#: how the page names each criterion of ``[decision]``
CRITERION_TEXT = {
    "expected": "expected payoff",
    "p05": "5th percentile",
    "cvar05": "CVaR 5%",
    "regret": "expected regret",
    "p_best": "P(best)",
}


def pct(p: Any) -> str:
    """A simulated probability as the report writes it (``40.0%``)."""
    from forecast.outputs.formatting import pct as report_pct

    return report_pct(p)


def sig(x: Any) -> str:
    """A number to the report's significant figures."""
    from forecast.outputs.formatting import sig as report_sig

    return report_sig(x)


def as_file(p: Any) -> str:
    """A stated fraction as the scenario file writes it (``"30%"``).

    Examples
    --------
    >>> as_file(0.2917), as_file(0.4)
    ('29.17%', '40%')
    """
    return f"{round(100 * float(p), 10):g}%"


def sum_line(total: float) -> str:
    """What the page says of the stated outcome probabilities' sum.

    Examples
    --------
    >>> sum_line(0.95)
    'Stated probabilities sum to 95% (must be 100%)'
    """
    ok = abs(total - 1) <= 1e-6
    return f"Stated probabilities sum to {as_file(total)}" + ("" if ok else " (must be 100%)")


def _rows(df: pd.DataFrame) -> list[Any]:
    """The rows of ``df`` as named tuples (typed loosely: columns vary by table)."""
    return list(df.itertuples())


def _table(head: list[str], rows: list[Any], ident: str) -> Any:
    from shiny import ui

    return ui.tags.table(
        ui.tags.thead(ui.tags.tr(*[ui.tags.th(h) for h in head])),
        ui.tags.tbody(*rows),
        class_="table fc-table",
        id=ident,
    )


def _data(**values: float) -> dict[str, str]:
    """``data-`` attributes holding exact values (``repr`` of a float round-trips)."""
    return {f"data-{k.replace('_', '-')}": repr(float(v)) for k, v in values.items()}


def market_table(v: View) -> Any:
    """Each market's median and 90% interval by year."""
    from shiny import ui

    years = [int(y) for y in v.scenario.years]
    rows = []
    for m in v.scenario.markets:
        sub = v.markets[v.markets["market"] == m.id].set_index("year")
        cells = []
        for y in years:
            r: Any = sub.loc[y]
            cells.append(
                ui.tags.td(
                    ui.tags.b(sig(r.q50)),
                    ui.tags.br(),
                    ui.tags.small(f"{sig(r.q05)}–{sig(r.q95)}"),
                    id=f"cell-{m.id}-{y}",
                    **_data(q05=r.q05, q50=r.q50, q95=r.q95),
                )
            )
        rows.append(ui.tags.tr(ui.tags.th(f"{m.label} ({m.unit})"), *cells))
    return _table(["Median (90% interval)", *[str(y) for y in years]], rows, "markets")


def outcome_table(v: View) -> Any:
    """Each outcome: stated (as the file writes it), simulated, interval and MCSE."""
    from shiny import ui

    rows = [
        ui.tags.tr(
            ui.tags.td(r.label),
            ui.tags.td(as_file(r.stated) if r.stated == r.stated else "–"),
            ui.tags.td(ui.tags.b(pct(r.probability)), id=f"odds-{r.outcome}", **_data(p=r.probability, mcse=r.mcse)),
            ui.tags.td(f"{pct(r.q05)}–{pct(r.q95)}"),
            ui.tags.td(f"{100 * r.mcse:.2g} pp"),
        )
        for r in _rows(v.outcomes)
    ]  # fmt: skip
    return _table(["Outcome", "Stated", "Simulated", "90% interval", "MCSE"], rows, "outcomes")


def prediction_table(v: View) -> Any:
    """Each prediction (markets, shares, revenue or metric targets) with its probability."""
    from shiny import ui

    rows = [
        ui.tags.tr(
            ui.tags.td(r.statement),
            ui.tags.td(r.deadline),
            ui.tags.td(ui.tags.b(pct(r.probability)), id=f"pred-{r.id}", **_data(p=r.probability)),
            ui.tags.td(f"{100 * r.mcse:.2g} pp"),
        )
        for r in _rows(v.predictions)
    ]
    return _table(["Prediction", "Deadline", "Probability", "MCSE"], rows, "predictions")


def signpost_words(observed: bool | None, p_true: float) -> str:
    """What the page says beside a signpost: open, the chance of true now; observed, the
    chance the model gave what was seen before it was seen (``p_true`` is from the odds
    without the observation, as the report's caption quotes it).

    Examples
    --------
    >>> signpost_words(None, 0.3), signpost_words(False, 0.3)
    (' (not observed; P(true) now 30.0%)', ' (observed false; before it was observed, P(false) was 70.0%)')
    """
    if observed is None:
        return f" (not observed; P(true) now {pct(p_true)})"
    side = "true" if observed else "false"
    return (
        f" (observed {side}; before it was observed, P({side}) was {pct(p_true if observed else 1 - p_true)})"
    )


def signpost_table(v: View) -> Any:
    """For each signpost, the outcome odds now and if it is observed true or false."""
    from shiny import ui

    df = v.signposts
    if df.empty or v.scenario.assessment is None:
        return ui.p("No signposts in this scenario.")
    labels = {o.id: o.label for o in v.scenario.assessment.outcomes}
    blocks = []
    for sp in v.scenario.signposts:
        sub = df[df["signpost"] == sp.id]
        rows = [
            ui.tags.tr(
                ui.tags.td(labels[r.outcome]),
                ui.tags.td(pct(r.now)),
                *[
                    ui.tags.td(pct(p), class_=f"if-{side}", id=f"sp-{sp.id}-{r.outcome}-{side}", **_data(p=p))
                    for side, p in (("true", r.if_true), ("false", r.if_false))
                ],
            )
            for r in _rows(sub)
        ]  # fmt: skip
        blocks.append(
            ui.div(
                ui.p(ui.tags.b(sp.statement), signpost_words(sp.observed, float(sub.p_true.iloc[0]))),
                _table(["Outcome", "Now", "If true", "If false"], rows, f"signpost-{sp.id}"),
            )
        )  # fmt: skip
    return ui.TagList(*blocks)


def metric_table(v: View) -> Any:
    """Each ``[[metrics]]`` formula: median and 90% interval, by year for a yearly metric;
    None when the scenario has no metrics. A metric in a share unit shows percents."""
    import pandas as pd
    from shiny import ui

    if v.metrics is None or v.metrics.empty:
        return None
    rows = []
    for r in _rows(v.metrics):
        share = str(r.unit).strip().lower() in ("share", "fraction", "probability")
        fmt = pct if share else sig
        year = "" if pd.isna(r.year) else str(int(r.year))
        ident = f"metric-{r.metric}" + (f"-{year}" if year else "")
        rows.append(
            ui.tags.tr(
                ui.tags.td(r.label),
                ui.tags.td(year or "one number"),
                ui.tags.td(ui.tags.b(fmt(r.q50)), id=ident, **_data(q05=r.q05, q50=r.q50, q95=r.q95)),
                ui.tags.td(f"{fmt(r.q05)}–{fmt(r.q95)}"),
                ui.tags.td("" if share else r.unit),
            )
        )
    return _table(["Metric", "Year", "Median", "90% interval", "Unit"], rows, "metrics")


def decision_table(v: View) -> Any:
    """The decision of the file's ``[[options]]``: each option's expected payoff ± its
    Monte Carlo error, median and 90% interval, P(loss), CVaR 5%, expected regret, P(best),
    the criteria that pick it; the option the file's criterion picks, and whether the top
    two are too close to call at these draws. None when the scenario has no options."""
    from shiny import ui

    d = v.decision
    if d is None:
        return None
    rows = []
    for r in _rows(d.table):
        picked = [CRITERION_TEXT[c] for c in str(r.picked_by).split(";") if c]
        rows.append(
            ui.tags.tr(
                ui.tags.td(r.label, id=f"decision-{r.option}", **_data(expected=r.expected, mcse=r.expected_mcse, p_best=r.p_best)),
                ui.tags.td(ui.tags.b(sig(r.expected)), f" ± {r.expected_mcse:.2g}"),
                ui.tags.td(f"{sig(r.median)} ({sig(r.q05)}–{sig(r.q95)})"),
                ui.tags.td(pct(r.p_loss)),
                ui.tags.td(sig(r.cvar05)),
                ui.tags.td(sig(r.regret)),
                ui.tags.td(pct(r.p_best)),
                ui.tags.td(", ".join(picked) or "–"),
            )
        )  # fmt: skip
    unit = f" ({d.unit})" if d.unit else ""
    head = ["Option", f"Expected payoff{unit} ± MC error", "Median (90% interval)", "P(loss)",
            "CVaR 5%", "Expected regret", "P(best)", "Picked by"]  # fmt: skip
    label = getattr(v.scenario.decision, "label", "") if v.scenario.decision else ""
    return ui.div(
        ui.p(ui.tags.b(label)) if label else None,
        _table(head, rows, "decision"),
        ui.p(_verdict(d), id="decision-chosen", class_="fc-problem" if d.too_close else ""),
    )


def _verdict(d: Any) -> str:
    """``By expected payoff: License now; too close to call at these draws (...)``."""
    labels = dict(zip(d.table["option"], d.table["label"], strict=True))
    text = f"By {CRITERION_TEXT[d.criterion]}: {labels[d.chosen]}"
    if d.too_close and len(d.differences):
        top = d.differences.iloc[0]
        text += (
            f"; too close to call at these draws ({labels[top.option]} minus {labels[top.versus]}: "
            f"{sig(top.difference)} ± {top.mcse:.2g}, within 2 Monte Carlo errors)"
        )
    return text


def analyst_table(v: View) -> Any:
    """A pool's analysts: file, weight and pooled draws; None for one scenario."""
    from shiny import ui

    if v.pool is None:
        return None
    df = v.pool["analysts"]
    rows = [
        ui.tags.tr(
            ui.tags.td(r.analyst),
            ui.tags.td(str(r.file)),
            ui.tags.td(pct(r.weight), id=f"weight-{r.analyst}", **_data(w=r.weight)),
            ui.tags.td(f"{r.pooled_draws:,} of {r.draws:,}"),
        )
        for r in _rows(df)
    ]
    return ui.div(
        ui.p(v.pool["method"]),
        _table(["Analyst", "File", "Weight", "Pooled draws"], rows, "analysts"),
    )


def disagreement_table(v: View) -> Any:
    """A pool's outcomes and predictions: each analyst's probability beside the pool's,
    and the spread (highest minus lowest); None for one scenario."""
    from shiny import ui

    if v.pool is None:
        return None
    df = v.pool["disagreement"]
    names = list(v.pool["analysts"]["analyst"])
    rows = []
    for (kind, ident), sub in df.groupby(["kind", "id"], sort=False):
        by = dict(zip(sub["analyst"], sub["probability"], strict=True))
        first = sub.iloc[0]
        cells = [
            ui.tags.td(pct(by[n]), id=f"analyst-{ident}-{n}", **_data(p=by[n])) if n in by else ui.tags.td("–")
            for n in names
        ]  # fmt: skip
        rows.append(
            ui.tags.tr(
                ui.tags.td(first.label, title=f"{kind} {ident}"),
                *cells,
                ui.tags.td(ui.tags.b(pct(first.pool))),
                ui.tags.td(f"{100 * first.spread:.2g} pp"),
            )
        )
    return _table(["Outcome or prediction", *names, "Pool", "Spread"], rows, "disagreement")
