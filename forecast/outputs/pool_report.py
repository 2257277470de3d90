"""The report of ``forecast pool``: the pooled forecast, each analyst against it, their weights.

Writes into a folder (staged by the command, see :func:`forecast.commands.common.write_staged`):
``report.html`` (self-contained), ``report.md``, ``report.xlsx``, the pool's
``markets.csv``/``outcomes.csv``/``predictions.csv`` (a run's columns), ``analysts.csv``
(weights), ``disagreement.csv`` (each analyst's probability beside the pool's),
``disagreement_inputs.csv`` (the inputs they disagree on that matter most),
``scores.csv`` (with ``--weights score``), ``forecast.nc`` (the pooled draws with an
``analyst`` dimension, see :func:`forecast.analysis.pool_tables.pool_tree`) and
``figures/analysts.png``.

Examples
--------
>>> write_pool_report(p, "reports/pool-deepseek")  # doctest: +SKIP
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.outputs.formatting import mc_error, md_cell, pct, sig

if TYPE_CHECKING:
    from forecast.analysis.pool import Pool

FIGURE = "figures/analysts.png"
#: :class:`~forecast.analysis.results.Forecast` tables written for the pool when a run has them
EXTRA_TABLES = ("metrics",)


@dataclass
class Part:
    """One section of the report: a heading, paragraphs, a table (already formatted as
    text), an optional figure."""

    heading: str
    text: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    figure: str | None = None


def pool_tables(pool: Pool) -> dict[str, pd.DataFrame]:
    """Every table of the report, by CSV name."""
    from forecast.analysis.pool_tables import disagreement, input_disagreement

    tables = {
        "markets": pool.markets(),
        "outcomes": pool.outcomes(),
        "predictions": pool.predictions(),
        "analysts": pool.analysts(),
        "disagreement": disagreement(pool),
        "disagreement_inputs": input_disagreement(pool),
    }
    if pool.scores is not None:
        tables["scores"] = pool.scores
    # tables a run may have beyond these (metrics, ...) exist for the pooled draws too
    for name in EXTRA_TABLES:
        method = getattr(pool.forecast, name, None)
        if callable(method) and getattr(pool.forecast.scenario, name, None):
            tables[name] = method()
    return tables


def write_pool_report(pool: Pool, folder: str | Path, *, provenance: dict[str, Any] | None = None) -> Path:
    """Write the pool's report folder; returns ``report.html``'s path.

    Examples
    --------
    >>> write_pool_report(p, "out", provenance={"command": "forecast pool a.toml b.toml"})  # doctest: +SKIP
    """
    from forecast.analysis.pool_tables import pool_tree
    from forecast.outputs.staging import write_netcdf
    from forecast.outputs.tables import write_csv_tables
    from forecast.outputs.workbook import Sheet, write_workbook

    folder = Path(folder)
    tables = pool_tables(pool)
    write_csv_tables(
        folder,
        tables,
        optional={
            "disagreement_inputs": ["first_order", "effect"],
            "outcomes": ["stated"],
            "metrics": ["year"],  # empty for a metric that is one number, as in a run's
        },
    )
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / FIGURE).write_bytes(analysts_figure(pool, tables["disagreement"]))
    write_netcdf(pool_tree(pool), folder / "forecast.nc")
    parts = _parts(pool, tables)
    prov = provenance or {}
    title = f"Pooled forecast of {len(pool.names)} analysts: {pool.forecasts[0].scenario.id}"
    (folder / "report.md").write_text(_markdown(title, parts, prov), encoding="utf-8")
    path = folder / "report.html"
    path.write_text(_html(title, parts, prov, folder), encoding="utf-8")
    s = pool.forecasts[0].scenario
    import datetime as dt

    write_workbook(
        folder / "report.xlsx",
        [Sheet(name, df) for name, df in tables.items()],
        about=[("Title", title), ("Method", pool.description), ("Weights", _weights_text(pool))],
        created=dt.datetime.combine(s.as_of, dt.time()),
    )
    return path


def _weights_text(pool: Pool) -> str:
    from forecast.analysis.pool_weights import WEIGHT_RULE

    how = {"equal": "equal weights", "given": "weights given with --weights", "score": WEIGHT_RULE}
    return how[pool.weight_source]


def _parts(pool: Pool, tables: dict[str, pd.DataFrame]) -> list[Part]:
    """The report's parts in reading order, each built below from the tables written."""
    parts = [_method_part(pool, tables["analysts"])]
    if pool.scores is not None:
        sc = pool.scores
        words = [
            "Each analyst's forecasts scored against the resolutions as `forecast score` scores a version."
        ]
        table = sc.assign(mean_brier=sc["mean_brier"].map(sig), weight=sc["weight"].map(pct))
        parts.append(Part("Weights from the track record", words, table))
    out = tables["outcomes"]
    if len(out):
        words = ["Stated: the weighted mean of the analysts' stated probabilities."]
        parts.append(Part("Outcomes", words, _probabilities(out, "outcome", "label", stated=True)))
    if len(tables["predictions"]):
        parts.append(_predictions_part(pool, tables["predictions"], tables["disagreement"]))
    parts.append(_disagreement_part(tables["disagreement"], pool.names))
    parts.append(_inputs_part(tables["disagreement_inputs"]))
    parts.append(_markets_part(tables["markets"]))
    return parts


def _method_part(pool: Pool, analysts: pd.DataFrame) -> Part:
    """Who was pooled, how, with which weights, and what the pool's error means."""
    words = [
        f"{len(pool.names)} analysts' files on {pool.forecasts[0].scenario.id!r}, pooled as a {pool.description}.",
        f"Weights: {_weights_text(pool)}.",
        "The linear pool mixes the analysts' draws in exact proportion to their weights (deterministic "
        "stratified counts, interleaved; pooled draw r is draw r of its analyst, so no two share random "
        "numbers). Its Monte Carlo error (sd / sqrt(n) over the pooled draws) includes the spread "
        "between analysts, which the stratification removes from the error: an upper bound.",
        *pool.notes,
    ]
    return Part("How the analysts were pooled", words, analysts.assign(weight=analysts["weight"].map(pct)))


def _predictions_part(pool: Pool, preds: pd.DataFrame, dis: pd.DataFrame) -> Part:
    """The pooled predictions, with a note for each one only some analysts made."""
    partial = dis[(dis["kind"] == "prediction") & (dis["made_by"] < len(pool.names))]
    words = [
        f"{pid!r} is made by {n} of {len(pool.names)} analysts and "
        + ("is that analyst's alone" if n == 1 else "pooled over them alone (their weights renormalised)")
        + "; its draws are not joint with the other predictions'."
        for pid, n in partial.groupby("id", sort=False)["made_by"].first().items()
    ]
    return Part("Predictions", words, _probabilities(preds, "id", "statement"))


def _inputs_part(inputs: pd.DataFrame) -> Part:
    """The inputs whose disagreement moves the headline quantity beyond noise."""
    from forecast.analysis.pool_tables import INPUT_RULE

    target = inputs.attrs.get("target", "")
    words = [
        f"For the headline {target}: {INPUT_RULE}.",
        "" if len(inputs) else "The analysts' inputs do not differ beyond Monte Carlo noise.",
    ]
    table = (
        inputs[["label", "effect", "first_order", "between_share", "analyst_means"]].assign(
            effect=inputs["effect"].map(sig),
            first_order=inputs["first_order"].map(sig),
            between_share=inputs["between_share"].map(pct),
        )
        if len(inputs)
        else None
    )
    return Part("Inputs the analysts disagree on", words, table)


def _markets_part(mk: pd.DataFrame) -> Part:
    """The pooled markets in the last simulated year: median and 90% interval."""
    year = int(mk["year"].max()) if len(mk) else 0
    last = mk[mk["year"] == year]
    table = pd.DataFrame(
        {
            "quantity": last["market"],
            "median": last["q50"].map(sig),
            "90% interval": [f"{sig(a)} to {sig(b)}" for a, b in zip(last["q05"], last["q95"], strict=True)],
        }
    )
    words = ["Markets, shares and revenue are always the linear pool: the mixture of the analysts' draws."]
    return Part(f"Markets in {year} (linear pool)", words, table)


def _probabilities(df: pd.DataFrame, key: str, label: str, stated: bool = False) -> pd.DataFrame:
    out = pd.DataFrame({key: df[key], label: df[label]})
    if stated:
        out["stated"] = df["stated"].map(pct)
    out["probability"] = df["probability"].map(pct)
    # in points, with the rule-of-three bound where every draw agreed, as every report
    out["mcse"] = [mc_error(p, se, sign=False) for p, se in zip(df["probability"], df["mcse"], strict=True)]
    return out


def _disagreement_part(dis: pd.DataFrame, names: list[str]) -> Part:
    if not len(dis):
        return Part("Where the analysts disagree", ["Nothing to compare: no outcomes or predictions."])
    wide = dis.pivot_table(index=["kind", "id"], columns="analyst", values="probability", sort=False)
    first = dis.groupby(["kind", "id"], sort=False)[["pool", "spread", "sd"]].first()
    table = pd.DataFrame({"kind": [k for k, _ in wide.index], "id": [i for _, i in wide.index]})
    for n in names:
        col = wide[n] if n in wide.columns else pd.Series(float("nan"), index=wide.index)
        table[n] = ["–" if pd.isna(v) else pct(v) for v in col]
    table["pool"] = [pct(v) for v in first["pool"]]
    table["spread"] = [pct(v) for v in first["spread"]]
    table = table.assign(_s=first["spread"].to_numpy()).sort_values("_s", ascending=False, kind="stable")
    return Part(
        "Where the analysts disagree",
        [
            "Each analyst's probability beside the pool's; spread is the highest minus the lowest. "
            "Widest disagreement first."
        ],
        table.drop(columns="_s"),
        FIGURE,
    )


def analysts_figure(pool: Pool, dis: pd.DataFrame) -> bytes:
    """Each analyst's probability of every outcome and prediction (a dot, sized by weight)
    against the pool's (a bar)."""
    from forecast.outputs.figures import _new_figure, _png
    from forecast.outputs.history_report import _label  # a "$" in a file name is not mathtext

    items = list(dict.fromkeys(zip(dis["kind"], dis["id"], strict=True)))
    fig, ax = _new_figure(max(2.0, 0.45 * len(items) + 1.2))
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    for j, name in enumerate(pool.names):
        sub = dis[dis["analyst"] == name]
        ys = [items.index((k, i)) for k, i in zip(sub["kind"], sub["id"], strict=True)]
        w = float(pool.weights[j])
        ax.scatter(
            sub["probability"],
            ys,
            s=30 + 200 * w,
            color=colors[j % len(colors)],
            alpha=0.8,
            label=_label(f"{name} ({w:.0%})"),
            zorder=3,
        )
    pooled = dis.groupby(["kind", "id"], sort=False)["pool"].first()
    ax.scatter(
        [pooled[k] for k in items],
        range(len(items)),
        marker="|",
        s=400,
        color="black",
        label="pool",
        zorder=4,
    )
    ax.set_yticks(range(len(items)), [_label(str(i)) for _, i in items])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.15 if len(items) > 3 else -0.3),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    return _png(fig)


def _markdown(title: str, parts: list[Part], prov: dict[str, Any]) -> str:
    lines = [f"# {md_cell(title)}", ""]
    if prov.get("command"):
        lines += [f"Command: `{prov['command'].replace('`', '')}`", ""]
    for part in parts:
        lines += [f"## {md_cell(part.heading)}", ""]
        lines += [md_cell(t) + "\n" for t in part.text if t]
        if part.figure:
            lines += [f"![{md_cell(part.heading)}]({part.figure})", ""]
        if part.table is not None and len(part.table):
            cols = list(part.table.columns)
            lines.append("| " + " | ".join(md_cell(c) for c in cols) + " |")
            lines.append("|" + "---|" * len(cols))
            for row in part.table.itertuples(index=False):
                lines.append("| " + " | ".join(md_cell(v) for v in row) + " |")
            lines.append("")
    return "\n".join(lines) + "\n"


def _html(title: str, parts: list[Part], prov: dict[str, Any], folder: Path) -> str:
    from forecast.outputs.formatting import data_uri

    e = html.escape
    body = [f"<h1>{e(title)}</h1>"]
    if prov.get("command"):
        body.append(f"<p><small>Command: <code>{e(prov['command'])}</code></small></p>")
    for part in parts:
        body.append(f"<h2>{e(part.heading)}</h2>")
        body += [f"<p>{e(t)}</p>" for t in part.text if t]
        if part.figure:
            body.append(
                f'<img alt="{e(part.heading)}" src="{data_uri(folder / part.figure)}" style="max-width:100%">'
            )
        if part.table is not None and len(part.table):
            head = "".join(f"<th>{e(str(c))}</th>" for c in part.table.columns)
            rows = "".join(
                "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                for row in part.table.itertuples(index=False)
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;"
        "text-align:left;vertical-align:top}th{background:#f5f7fa}"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
