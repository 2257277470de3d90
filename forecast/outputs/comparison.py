"""Writing a :class:`~forecast.analysis.comparison.Comparison`: tables, overlaid fans, report.

The report folder of ``forecast compare`` holds ``report.html`` (self-contained),
``report.md``, ``markets.csv``, ``outcomes.csv``, ``predictions.csv`` (the contract's
columns with a leading ``scenario`` column), ``differences.csv``, ``figures/``,
``scenarios/<name>.toml`` (each scenario's resolved inputs) and ``manifest.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.analysis.comparison import DIFFERENCE_ERROR, market_quantity
from forecast.outputs.comparison_sections import decision_section, target_section
from forecast.outputs.comparison_sections import signed as _signed
from forecast.outputs.formatting import (
    CSP,
    Block,
    Figure,
    Table,
    data_uri,
    interval,
    key_year,
    mc_error,
    package_versions,
    pct,
    pp,
    sig,
)
from forecast.outputs.tables import write_csv_tables

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from forecast.analysis.comparison import Comparison

#: one colour per scenario in overlaid charts (colour-blind safe, Okabe-Ito)
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
DPI = 110
WIDTH = 6.8


# --- tables and report -------------------------------------------------------------------


def write_tables(cmp: Comparison, folder: str | Path, targets: Sequence[str] = ()) -> None:
    """``markets.csv``, ``outcomes.csv``, ``predictions.csv`` and ``differences.csv``; with
    them ``metrics.csv`` when a scenario has ``[[metrics]]``, ``decisions.csv`` when one has
    ``[[options]]`` and ``targets.csv`` for ``targets`` (``--target``)."""
    tables = {
        "markets": cmp.markets(),
        "outcomes": cmp.outcomes(),
        "predictions": cmp.predictions(),
        "differences": cmp.differences(),
    }
    if len(metrics := cmp.metrics()):
        tables["metrics"] = metrics
    if len(decisions := cmp.decisions()):
        tables["decisions"] = decisions
    if targets:
        tables["targets"] = cmp.targets(targets)
    write_csv_tables(
        folder,
        tables,
        # a stand-in's median has no MCSE, a probability no year; the base no difference
        optional={
            "differences": ("year", "mcse"),
            "metrics": ("year",),
            "targets": ("difference", "difference_mcse"),
        },
    )


def write_report(
    cmp: Comparison,
    folder: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    figures: bool = True,
    targets: Sequence[str] = (),
) -> Path:
    """Write the comparison folder in place (``forecast compare`` makes it atomic).

    Returns the path of ``report.html``. ``targets`` (``--target``) get a table of
    their own (and ``targets.csv``).
    """
    from forecast.outputs.formatting import environment

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(cmp, folder, targets)
    sdir = folder / "scenarios"
    sdir.mkdir(exist_ok=True)
    for name, fc in zip(cmp.names, cmp.forecasts, strict=True):
        (sdir / f"{slug(name)}.toml").write_text(fc.scenario.to_toml(), encoding="utf-8")
    figs = _figures(cmp, folder) if figures else {}
    context = _context(cmp, folder, figs, dict(provenance or {}), list(targets))
    html = environment().get_template("report.html.j2").render(**context)
    (folder / "report.html").write_text(html, encoding="utf-8")
    md = environment(markdown=True).get_template("report.md.j2").render(**context)
    (folder / "report.md").write_text(md, encoding="utf-8")
    return folder / "report.html"


# --- figures ------------------------------------------------------------------


def quantities(cmp: Comparison) -> list[tuple[str, str, str]]:
    """(key in markets(), title, unit) of every charted quantity, in report order."""
    from forecast.analysis.sensitivity import revenue_label

    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for fc in cmp.forecasts:
        s = fc.scenario
        items = [(m.id, m.label, m.unit) for m in s.markets]
        if len(s.markets) > 1 and len({m.unit for m in s.markets}) == 1:
            items.insert(0, ("total", "Total market", s.markets[0].unit))
        for p in s.positions:
            items.append((f"revenue.{p.id}", revenue_label(p.label), s.market(p.market).unit))
            items.append((f"share.{p.id}", p.label, "share"))
        for key, title, unit in items:
            if key not in seen:
                seen.add(key)
                out.append((key, title, unit))
    return out


def _figures(cmp: Comparison, folder: Path) -> dict[str, str]:
    """Overlaid fan charts, one per quantity: ``{key: file}``."""
    (folder / "figures").mkdir(exist_ok=True)
    markets = cmp.markets()
    out = {}
    for key, title, unit in quantities(cmp):
        fig = overlay_fan(markets, key, title=title, ylabel=unit)
        file = f"figures/compare_{slug(key)}.png"
        fig.savefig(folder / file, dpi=DPI, metadata={"Software": None})
        out[key] = file
    return out


# --- the report context ---------------------------------------------------------


def _context(
    cmp: Comparison, folder: Path, figs: dict[str, str], prov: dict[str, Any], targets: list[str]
) -> dict[str, Any]:
    """The page's template context: one section per part, each built below."""

    fcs, names = cmp.forecasts, cmp.names
    markets, diffs = cmp.markets(), cmp.differences()
    sections = [_scenarios_section(cmp, markets), _markets_section(cmp, markets, diffs, folder, figs)]
    for part in (
        _outcomes_section(cmp, diffs),
        _predictions_section(cmp, diffs),
        target_section(cmp, targets),
        decision_section(cmp),
        _differences_section(cmp, diffs),
    ):
        if part is not None:
            sections.append(part)
    sections.append(_reproducibility_section(cmp, prov))
    draws = sorted({fc.n_draws for fc in fcs})
    seeds = sorted({fc.seed for fc in fcs})
    meta = (
        f"{' / '.join(f'{d:,}' for d in draws)} draws, random seed{'s' if len(seeds) > 1 else ''} "
        f"{', '.join(map(str, seeds))}; differences vs {cmp.base}"
    )
    title = "Comparison: " + " vs ".join(names)
    whatif = _whatif(cmp, dict(prov.get("overrides") or {}))
    return {
        "csp": CSP,
        "heading": f"What-if: {title}" if whatif else title,
        "whatif": whatif,
        "illustrative": "",
        "scenario": {
            "id": "compare",
            "title": title,
            "description": " · ".join(f"{n}: {fc.scenario.title}" for n, fc in zip(names, fcs, strict=True)),
            "as_of": fcs[0].scenario.as_of.isoformat(),
            "source": "",
        },
        "meta": meta,
        "warnings": [],
        "sections": sections,
    }


def _section(id_: str, title: str, blocks: list[Any]) -> dict[str, Any]:
    return {"id": id_, "title": title, "summary": [], "blocks": blocks}


def _scenarios_section(cmp: Comparison, markets: pd.DataFrame) -> dict[str, Any]:
    """The scenarios compared (file, draws, seed, digest) and one headline card each."""
    rows = [
        [
            name,
            fc.scenario.title,
            fc.scenario.origin,
            f"{fc.n_draws:,}",
            str(fc.seed),
            fc.scenario.sha256()[:12],
        ]
        for name, fc in zip(cmp.names, cmp.forecasts, strict=True)
    ]
    head = ["Scenario", "Title", "File (and overrides)", "Draws", "Random seed", "SHA-256"]
    intro = Table("table-scenarios", head, rows, [False, False, False, True, True, False])
    text = [
        f"{len(cmp.names)} scenarios, each simulated as its own 'forecast run' would; differences are "
        f"each scenario minus the first ({cmp.base})."
    ]
    return {
        "id": "scenarios",
        "title": "Scenarios compared",
        "summary": [{"title": "Headlines", "items": _cards(cmp, markets)}],
        "blocks": [Block("The scenarios", "scenarios-table", text, None, [intro])],
    }


def _markets_section(
    cmp: Comparison, markets: pd.DataFrame, diffs: pd.DataFrame, folder: Path, figs: dict[str, str]
) -> dict[str, Any]:
    """One block per quantity: its overlaid fan chart and a side-by-side table by year."""
    blocks = []
    for key, title, unit in quantities(cmp):
        table = _market_table(cmp, markets[markets["market"] == key], diffs, key, unit == "share")
        fig = None
        if key in figs:
            caption = f"Median (line) and 90% interval (band) of each scenario, {unit}."
            fig = Figure(key, figs[key], title, caption, data_uri(folder / figs[key]))
        label = f"{title} ({unit})" if unit != "share" else title
        blocks.append(Block(label, f"market-{slug(key)}", [], fig, [table]))
    return _section("markets", "Markets", blocks)


def _market_table(cmp: Comparison, sub: pd.DataFrame, diffs: pd.DataFrame, key: str, is_share: bool) -> Any:
    """A quantity's median (90%) in each scenario by year, and each one's difference."""
    fmt = pct if is_share else sig
    names, others = cmp.names, cmp.names[1:]
    headers = ["Year"] + [f"{n}: median (90%)" for n in names] + [f"{n} − {cmp.base}" for n in others]
    rows = []
    for y in sorted({int(y) for y in sub["year"]}):
        row = [str(y)]
        for n in names:
            r = sub[(sub["scenario"] == n) & (sub["year"] == y)]
            row.append(
                f"{fmt(r.q50.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0], fmt)})" if len(r) else "–"
            )
        for n in others:
            d = diffs[
                (diffs["scenario"] == n) & (diffs["quantity"] == market_quantity(key)) & (diffs["year"] == y)
            ]
            row.append(_signed(d["difference"].iloc[0], is_share) if len(d) else "–")
        rows.append(row)
    return Table(f"table-{slug(key)}", headers, rows, [False] + [True] * (len(headers) - 1))


def _difference_cell(diffs: pd.DataFrame, name: str, quantity: str) -> str:
    """A probability's difference from the base, ± its Monte Carlo error, in points."""
    d = diffs[(diffs["scenario"] == name) & (diffs["quantity"] == quantity)]
    return f"{_signed(d['difference'].iloc[0], True)} ± {pp(d['mcse'].iloc[0])}" if len(d) else "–"


def _probability_cells(
    cmp: Comparison, table: pd.DataFrame, column: str, key: str, cell: Any, diffs: pd.DataFrame
) -> list[str]:
    """A row's cells: ``cell`` of its row in each scenario ("–" where it has none), then
    each scenario's difference from the base; ``column`` names the key (outcome, prediction)."""
    quantity = "outcome" if column == "outcome" else "prediction"
    cells = []
    for n in cmp.names:
        r = table[(table["scenario"] == n) & (table[column] == key)]
        cells.append(cell(r) if len(r) else "–")
    return cells + [_difference_cell(diffs, n, f"{quantity}.{key}") for n in cmp.names[1:]]


def _outcomes_section(cmp: Comparison, diffs: pd.DataFrame) -> dict[str, Any] | None:
    """Each outcome's probability (and its 90% interval) in each scenario."""
    outcomes = cmp.outcomes()
    if not len(outcomes):
        return None
    names = cmp.names
    labels = dict(zip(outcomes["outcome"], outcomes["label"], strict=False))
    headers = ["Outcome"] + [f"{n} (90%)" for n in names] + [f"{n} − {cmp.base}" for n in names[1:]]

    def cell(r: pd.DataFrame) -> str:
        return f"{pct(r.probability.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0], pct)})"

    rows = [
        [str(labels[k]), *_probability_cells(cmp, outcomes, "outcome", k, cell, diffs)]
        for k in dict.fromkeys(outcomes["outcome"])
    ]
    table = Table("table-outcomes", headers, rows, [False] + [True] * (len(headers) - 1))
    text = ["Probability of each outcome within the horizon (and the 90% interval of that probability)."]
    return _section(
        "outcomes", "Outcomes", [Block("Outcome probabilities", "outcomes-table", text, None, [table])]
    )


def _predictions_section(cmp: Comparison, diffs: pd.DataFrame) -> dict[str, Any] | None:
    """Each prediction's probability (± its Monte Carlo error) in each scenario."""
    preds = cmp.predictions()
    if not len(preds):
        return None
    names = cmp.names
    statements = dict(zip(preds["id"], preds["statement"], strict=False))
    deadlines = dict(zip(preds["id"], preds["deadline"], strict=False))
    headers = ["Prediction", "Deadline"] + list(names) + [f"{n} − {cmp.base}" for n in names[1:]]

    def cell(r: pd.DataFrame) -> str:
        return f"{pct(r.probability.iloc[0])} {mc_error(r.probability.iloc[0], r.mcse.iloc[0])}"

    rows = [
        [str(statements[k]), str(deadlines[k]), *_probability_cells(cmp, preds, "id", k, cell, diffs)]
        for k in dict.fromkeys(preds["id"])
    ]
    table = Table("table-predictions", headers, rows, [False, True] + [True] * (len(headers) - 2))
    text = ["Probability that each prediction comes true by its deadline, ± its Monte Carlo standard error."]
    block = Block("Prediction probabilities", "predictions-table", text, None, [table])
    return _section("predictions", "Predictions", [block])


def _differences_section(cmp: Comparison, diffs: pd.DataFrame) -> dict[str, Any] | None:
    """Every difference from the base with its paired error (none with one scenario)."""
    if len(cmp.names) < 2:
        return None
    blocks = _difference_blocks(cmp, diffs)
    return _section("differences", f"Differences from {cmp.base}", blocks)


def _reproducibility_section(cmp: Comparison, prov: dict[str, Any]) -> dict[str, Any]:
    """The command, each scenario's digest, the package versions and the timings."""
    versions = dict(prov.get("versions") or package_versions())
    rows = [["Command", str(prov.get("command") or "(Python API: Comparison.write_report)")]]
    rows += [
        [f"{n}: scenario SHA-256", fc.scenario.sha256()]
        for n, fc in zip(cmp.names, cmp.forecasts, strict=True)
    ]
    rows += [[f"{k} version", v] for k, v in versions.items()]
    timings = {**cmp.timings, **(prov.get("timings") or {})}
    rows += [[f"time: {k}", f"{sig(v, 2)} s"] for k, v in timings.items() if isinstance(v, int | float)]
    text = [
        "Each scenario's resolved inputs are in scenarios/; 'forecast run scenarios/<name>.toml' reproduces its numbers."
    ]
    repro = Table("table-reproducibility", ["Item", "Value"], rows, [False, False])
    return _section(
        "reproducibility", "Reproducibility", [Block("Run details", "reproducibility", text, None, [repro])]
    )


def _whatif(cmp: Comparison, overrides: dict[str, Any]) -> dict[str, Any] | None:
    """The --set overrides: old and new values for one file against itself, else the list."""
    if not overrides:
        return None
    from forecast.outputs.briefing import whatif_table
    from forecast.outputs.whatif import Change, changes, differ_text

    fcs, names = cmp.forecasts, cmp.names
    if len(fcs) == 2 and names[1].endswith(" with --set"):
        # one file against itself with the overrides: old and new values
        changed = changes(fcs[0].scenario, fcs[1].scenario, list(overrides))
        what = f"{names[1]} is not the scenario as written: {differ_text(len(changed), names[0])}."
    else:
        changed = [Change(k, "(each file's own)", str(v)) for k, v in overrides.items()]
        what = "every scenario compared has these --set overrides applied."
    return {"text": what, "table": whatif_table(changed)}


def _cards(cmp: Comparison, markets: pd.DataFrame) -> list[dict[str, str]]:
    """One card per scenario: the headline market in its key year and the first outcome."""
    cards = []
    for name, fc in zip(cmp.names, cmp.forecasts, strict=True):
        s = fc.scenario
        year = key_year(s)
        key = "total" if (markets["market"] == "total").any() and len(s.markets) > 1 else s.markets[0].id
        r = markets[(markets["scenario"] == name) & (markets["market"] == key) & (markets["year"] == year)]
        label = "Total market" if key == "total" else s.markets[0].label
        detail = f"{label} {year}, median; 90% {interval(r.q05.iloc[0], r.q95.iloc[0])}" if len(r) else ""
        o = fc.outcomes()
        if len(o):
            detail += f"; {o.label.iloc[0]}: {pct(o.probability.iloc[0])}"
        value = f"{sig(r.q50.iloc[0])} {s.markets[0].unit}" if len(r) else "–"
        cards.append({"label": name, "value": value, "detail": detail})
    return cards


def _difference_blocks(cmp: Comparison, diffs: pd.DataFrame) -> list[Any]:
    year = key_year(cmp.forecasts[0].scenario)
    sel = diffs[(diffs["year"].isna()) | (diffs["year"] == year)]
    rows = []
    for r in sel.to_dict("records"):
        quantity, mcse = str(r["quantity"]), float(r["mcse"])
        prob = quantity.startswith(("outcome.", "prediction."))
        share = quantity.startswith("share.")
        f = pct if prob or share else sig
        err = (pp(mcse) if prob or share else sig(mcse)) if np.isfinite(mcse) else "–"
        year_of = "" if pd.isna(r["year"]) else f" {int(r['year'])}"
        kind = "expected payoff" if quantity.startswith("option.") else "median"
        what = str(quantity) if prob else f"{quantity}{year_of} ({kind})"
        mark = " ≈" if r["within_noise"] else ""
        change = _signed(r["difference"], prob or share) + mark
        rows.append([str(r["scenario"]), what, f(r["base"]), f(r["value"]), change, err])
    text = [
        f"Key-year medians, metrics, every probability and options' expected payoffs, minus "
        f"{cmp.base}'s. All years are in differences.csv. " + DIFFERENCE_ERROR
    ]
    table = Table(
        "table-differences",
        ["Scenario", "Quantity", cmp.base, "Scenario value", "Difference", "MC error"],
        rows,
        [False, False, True, True, True, True],
    )
    return [Block(f"What changes, {year} and probabilities", "differences-table", text, None, [table])]


def slug(text: str) -> str:
    """``text`` as a safe file-name part."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


# --- charts -----------------------------------------------------------------------


def overlay_fan(
    markets: pd.DataFrame,
    key: str,
    *,
    title: str = "",
    ylabel: str = "",
    band: tuple[str, str] = ("q05", "q95"),
) -> MplFigure:
    """Each scenario's median and 90% band of one quantity, drawn over each other.

    ``markets`` is :meth:`Comparison.markets` (a ``scenario`` column plus the
    contract's market columns); ``key`` a value of its ``market`` column.

    Examples
    --------
    >>> fig = overlay_fan(cmp.markets(), "total", title="Total market")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    sub = markets[markets["market"] == key]
    fig = Figure(figsize=(WIDTH, 3.7), layout="constrained")
    ax = fig.subplots()
    scale = 100.0 if ylabel == "share" else 1.0
    for i, (name, d) in enumerate(sub.groupby("scenario", sort=False)):
        color = COLORS[i % len(COLORS)]
        x = d["year"].to_numpy()
        ax.fill_between(x, d[band[0]] * scale, d[band[1]] * scale, color=color, alpha=0.15, linewidth=0)
        ax.plot(x, d[band[0]] * scale, color=color, linewidth=0.8, linestyle=":")
        ax.plot(x, d[band[1]] * scale, color=color, linewidth=0.8, linestyle=":")
        ax.plot(x, d["q50"] * scale, color=color, linewidth=2, label=str(name))
    years = sorted({int(y) for y in sub["year"]})
    if years:
        ax.set_xticks(years) if len(years) <= 12 else None
        ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.set_xlabel("Year")
    ax.set_ylabel("share (%)" if ylabel == "share" else ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    fig.legend(
        loc="outside lower center",
        ncol=min(len(COLORS), max(1, sub["scenario"].nunique())),
        fontsize=8,
        frameon=False,
    )
    return fig


# --- the command --------------------------------------------------------------------
