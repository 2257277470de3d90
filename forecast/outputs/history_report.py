"""The ``forecast history`` report, and what the track-record reports share.

Both are laid out like a forecast report (the same templates: a self-contained
``report.html`` with its figures embedded and no network access, and
``report.md``), from tables that are also written as CSV files.

The history folder: ``history.csv`` (:meth:`History.table`), ``changes.csv``
(:meth:`History.changes`), ``figures/history.png`` and the reports. The score
report is :mod:`forecast.outputs.score_report`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.outputs.briefing import track_record_flag
from forecast.outputs.comparison_sections import signed
from forecast.outputs.formatting import (
    CSP,
    DASH,
    Block,
    Figure,
    Table,
    data_uri,
    environment,
    mc_error,
    package_versions,
    pct,
)
from forecast.outputs.tables import write_csv_tables

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from forecast.analysis.history import History

#: Okabe-Ito, colour-blind safe
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
DPI = 110
WIDTH = 6.8


def _save(fig: MplFigure, folder: Path, name: str) -> str:
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    file = f"figures/{name}.png"
    # no Software metadata: the same figure gives the same bytes across versions
    fig.savefig(folder / file, dpi=DPI, metadata={"Software": None})
    return file


def _style(ax: Any) -> None:
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _short(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters (for a table cell or a legend)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _label(text: str, width: int = 40) -> str:
    r"""``text`` cut to ``width`` characters, safe as a figure label.

    A ``$`` from a scenario would start matplotlib's mathtext ("$5B to $9B" renders as
    italics, an odd count fails to draw), so it is escaped.

    Examples
    --------
    >>> _label("Revenue from $5B to $9B within two years", 20)
    'Revenue from \\$5B to…'
    """
    return _short(text, width).replace("$", r"\$")


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(str(text))


# --- history ------------------------------------------------------------------------


def history_figure(table: pd.DataFrame, resolutions: Sequence[Any] = ()) -> MplFigure:
    """Probability against ``as_of``: one line per outcome (with its 90% band) and per
    prediction (± 2 MCSE), deadlines as dotted lines, resolutions as markers at 0 or 1.

    Examples
    --------
    >>> fig = history_figure(History.load(files).table())  # doctest: +SKIP
    """
    from matplotlib.figure import Figure as MplFigureClass

    kinds = [k for k in ("outcome", "prediction") if (table["kind"] == k).any()]
    import matplotlib.dates as mdates

    n_lines = table.groupby("kind")["id"].nunique().to_dict()
    height = sum(2.6 + 0.16 * n_lines.get(k, 0) for k in kinds) or 3.0
    fig = MplFigureClass(figsize=(WIDTH, height), layout="constrained")
    axes = fig.subplots(max(1, len(kinds)), 1, squeeze=False, sharex=True)[:, 0]
    resolved = {r.statement: r for r in resolutions}
    for ax, kind in zip(axes, kinds, strict=False):
        sub = table[table["kind"] == kind]
        for i, (ident, d) in enumerate(sub.groupby("id", sort=False)):
            color = COLORS[i % len(COLORS)]
            x = [_date(a) for a in d["as_of"]]
            p = d["probability"].to_numpy(float) * 100
            if kind == "outcome":
                lo, hi = d["q05"].to_numpy(float) * 100, d["q95"].to_numpy(float) * 100
            else:
                m = d["mcse"].to_numpy(float) * 100
                lo, hi = p - 2 * m, p + 2 * m
            ax.fill_between(x, lo, hi, color=color, alpha=0.12, linewidth=0)
            ax.plot(x, p, color=color, marker="o", linewidth=2, label=_label(str(d["label"].iloc[0]), 90))
            statement = f"{kind}.{ident}"
            if kind == "prediction" and str(d["deadline"].iloc[0]):
                ax.axvline(_date(d["deadline"].iloc[0]), color=color, linestyle=":", linewidth=1)
            r = resolved.get(statement)
            if r is not None:
                ax.plot(
                    [r.date],
                    [100.0 if r.value else 0.0],
                    marker="*" if r.value else "X",
                    markersize=11,
                    color=color,
                    linestyle="none",
                )
                ax.axvline(r.date, color=color, linestyle="--", linewidth=0.8, alpha=0.6)
        ax.set_ylim(-4, 104)
        ax.set_ylabel("probability (%)")
        ax.set_title(
            "Outcomes (band: 90% interval)" if kind == "outcome" else "Predictions (band: ± 2 MC errors)",
            loc="left",
            fontsize=11,
            fontweight="bold",
        )
        _style(ax)
        ax.legend(
            fontsize=7,
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.13 if ax is axes[-1] else -0.06),
        )
    locator = mdates.AutoDateLocator(maxticks=8)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes[0].set_xlabel("")
    fig.suptitle(
        "Dots: versions (as_of). Dotted: deadline. Dashed with ★/✖: resolved true/false.",
        fontsize=8,
        x=0.01,
        ha="left",
    )
    return fig


def write_history_report(
    history: History,
    folder: str | Path,
    *,
    resolutions: Sequence[Any] = (),
    provenance: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> Path:
    """Write ``history.csv``, ``changes.csv``, ``figures/history.png``, ``report.html``
    and ``report.md`` into ``folder``; returns the path of ``report.html``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table, changes = history.table(), history.changes()
    # the first version has no change; a probability has an MCSE or an interval, not
    # both: empty cells there mean "does not apply" (an infinite value is still refused)
    tables = {"history": table, "changes": changes}
    write_csv_tables(folder, tables, optional={name: list(df.columns) for name, df in tables.items()})
    file = _save(history_figure(table, resolutions), folder, "history")
    figure = Figure(
        "history",
        file,
        "Probability by version",
        "Each version's probability of each outcome and prediction, by its as_of date.",
        data_uri(folder / file),
    )
    versions = history.versions
    vrows = [
        [v.name, v.as_of.isoformat(), str(v.source), v.scenario.title, v.scenario.sha256()[:12]]
        for v in versions
    ]
    sections: list[dict[str, Any]] = [
        {
            "id": "versions",
            "title": "Versions",
            "summary": [{"title": "Latest odds", "items": _latest_cards(table)}],
            "blocks": [
                Block(
                    "The versions, oldest first",
                    "versions-table",
                    [versions_line(versions, history.scenario_id)],
                    None,
                    [
                        Table(
                            "table-versions",
                            ["Version", "as_of", "File or report", "Title", "SHA-256"],
                            vrows,
                            [False] * 5,
                        )
                    ],
                )
            ],
        },
        {
            "id": "odds",
            "title": "How the odds moved",
            "summary": [],
            "blocks": [Block("Probability by version", "history-chart", [], figure, _history_tables(table))],
        },
        {
            "id": "changes",
            "title": "What changed",
            "summary": [],
            "blocks": _change_blocks(changes, len(versions)),
        },
        _reproducibility(provenance, "history"),
    ]
    title = f"History: {versions[-1].scenario.title}"
    flag = track_record_flag(versions, resolutions)
    _render(folder, versions[-1].scenario, title, _meta(versions), sections, warnings, illustrative=flag)
    return folder / "report.html"


def _latest_cards(table: pd.DataFrame) -> list[dict[str, str]]:
    cards = []
    for (_kind, _ident), d in table.groupby(["kind", "id"], sort=False):
        last = d.iloc[-1]
        change = last["change"]
        detail = f"{last['version']} ({last['as_of']})"
        if change == 0:
            detail += "; unchanged since the version before"
        elif np.isfinite(change):
            detail += f"; {signed(change, True)} since the version before"
        cards.append(
            {"label": _short(str(last["label"]), 60), "value": pct(last["probability"]), "detail": detail}
        )
    return cards


def _history_tables(table: pd.DataFrame) -> list[Table]:
    out = []
    for kind in ("outcome", "prediction"):
        sub = table[table["kind"] == kind]
        if not len(sub):
            continue
        versions = list(dict.fromkeys(sub["version"]))
        rows = []
        for _, d in sub.groupby("id", sort=False):
            row = [str(d["label"].iloc[0])]
            by = {str(r["version"]): r for r in d.to_dict("records")}
            for v in versions:
                r = by.get(v)
                if r is None:
                    row.append(DASH)
                    continue
                cell = pct(r["probability"])
                if kind == "outcome":
                    cell += f" ({pct(r['q05'])}{DASH}{pct(r['q95'])})"
                else:
                    cell += f" {mc_error(r['probability'], r['mcse'])}"
                row.append(cell)
            rows.append(row)
        headers = ["Outcome" if kind == "outcome" else "Prediction", *versions]
        caption = (
            "Outcome probability (90% interval of the probability) in each version."
            if kind == "outcome"
            else "Prediction probability ± its Monte Carlo standard error in each version."
        )
        out.append(Table(f"table-{kind}s", headers, rows, [False] + [True] * len(versions), caption))
    return out


def _change_blocks(changes: pd.DataFrame, n_versions: int) -> list[Block]:
    """A block per pair of versions that differ; one line when none do (or there is one)."""
    if not len(changes):
        text = (
            "Only one version: nothing to compare it with."
            if n_versions == 1
            else "The versions have the same inputs, evidence and signposts."
        )
        return [Block("No changes", "changes-none", [text])]
    blocks = []
    for (version, previous), d in changes.groupby(["version", "previous"], sort=False):
        rows = [
            [str(r.what), str(r.key), str(r.before) or DASH, str(r.after) or DASH] for r in d.itertuples()
        ]
        blocks.append(
            Block(
                f"{previous} → {version}",
                f"changes-{version}",
                [],
                None,
                [Table(f"table-changes-{version}", ["What", "Key", "Before", "After"], rows, [False] * 4)],
            )
        )
    return blocks


def _meta(versions: Sequence[Any]) -> str:
    """The header's line: how many versions, from when to when (one: as of its date)."""
    if len(versions) == 1:
        return f"1 version, as of {versions[0].as_of}"
    return f"{len(versions)} versions, {versions[0].as_of} to {versions[-1].as_of}"


def versions_line(versions: Sequence[Any], scenario_id: str) -> str:
    """The versions table's line: how many versions of which scenario.

    Examples
    --------
    >>> versions_line([1, 2], "deepseek")
    '2 versions of scenario deepseek, in as_of order.'
    """
    if len(versions) == 1:
        return f"1 version of scenario {scenario_id}."
    return f"{len(versions)} versions of scenario {scenario_id}, in as_of order."


def _reproducibility(provenance: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    prov = dict(provenance or {})
    versions = dict(prov.get("versions") or package_versions())
    rows = [["Command", str(prov.get("command") or f"(Python API: {what})")]]
    rows += [[f"{k} version", v] for k, v in versions.items()]
    return {
        "id": "reproducibility",
        "title": "Reproducibility",
        "summary": [],
        "blocks": [
            Block(
                "Run details",
                "reproducibility",
                [],
                None,
                [Table("table-reproducibility", ["Item", "Value"], rows, [False, False])],
            )
        ],
    }


def _render(
    folder: Path,
    scenario: Any,
    title: str,
    meta: str,
    sections: list[dict[str, Any]],
    warnings: Sequence[str] = (),
    *,
    illustrative: str = "",
) -> None:
    context = {
        "csp": CSP,
        "heading": title,
        "whatif": None,
        "illustrative": illustrative,
        "scenario": {
            "id": scenario.id,
            "title": title,
            "description": "",
            "as_of": scenario.as_of.isoformat(),
            "source": "",
        },
        "meta": meta,
        "warnings": list(warnings),
        "sections": sections,
    }
    html = environment().get_template("report.html.j2").render(**context)
    (folder / "report.html").write_text(html, encoding="utf-8")
    md = environment(markdown=True).get_template("report.md.j2").render(**context)
    (folder / "report.md").write_text(md, encoding="utf-8")
