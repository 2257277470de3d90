"""The ``forecast score`` report: score tables, reliability diagram, PIT chart.

Laid out like a forecast report (the same templates, a self-contained
``report.html`` and ``report.md``) from the tables it also writes as CSV files:
``binary_scores.csv``, ``quantity_scores.csv``, ``time_averaged.csv``,
``calibration.csv`` (the CORP reliability curve and its consistency band),
``decomposition.csv`` (miscalibration, discrimination, uncertainty) and
``resolutions.csv``, with ``figures/reliability.png`` and ``figures/pit.png``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.outputs.briefing import track_record_flag
from forecast.outputs.formatting import DASH, Block, Figure, Table, count, data_uri, pct, sig
from forecast.outputs.history_report import (
    COLORS,
    WIDTH,
    _label,
    _meta,
    _render,
    _reproducibility,
    _save,
    _short,
    _style,
)
from forecast.outputs.tables import write_csv_tables

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from forecast.analysis.scorecard import Scorecard
    from forecast.analysis.scores import Calibration


def reliability_figure(cal: Calibration) -> MplFigure:
    """CORP reliability diagram: recalibrated against forecast probability, with the
    consistency band and the diagonal; the forecasts' histogram below."""
    from matplotlib.figure import Figure as MplFigureClass

    c = cal.curve
    fig = MplFigureClass(figsize=(5.2, 5.6), layout="constrained")
    ax, hx = fig.subplots(2, 1, height_ratios=[4, 1], sharex=True)
    x = c["forecast"].to_numpy(float)
    ax.fill_between(
        x,
        c["band_low"],
        c["band_high"],
        step="post",
        color="#0072B2",
        alpha=0.18,
        linewidth=0,
        label=f"{cal.level:.0%} consistency band",
    )
    ax.plot([0, 1], [0, 1], color="#777777", linewidth=1, linestyle="--", label="calibrated")
    ax.step(x, c["recalibrated"], where="post", color="#D55E00", linewidth=2, label="CORP recalibrated")
    ax.plot(x, c["recalibrated"], "o", color="#D55E00", markersize=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("observed frequency (recalibrated)")
    ax.set_title("Reliability diagram (CORP)", loc="left", fontsize=11, fontweight="bold")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    _style(ax)
    hx.bar(x, c["n"], width=0.01, color="#555555")
    hx.set_xlabel("forecast probability")
    hx.set_ylabel("count")
    _style(hx)
    return fig


def pit_figure(quantities: pd.DataFrame) -> MplFigure:
    """PIT values of the observed quantities, one marker per version, by statement."""
    from matplotlib.figure import Figure as MplFigureClass

    fig = MplFigureClass(
        figsize=(WIDTH, 0.6 + 0.45 * max(1, quantities["statement"].nunique())), layout="constrained"
    )
    ax = fig.subplots()
    statements = list(dict.fromkeys(quantities["statement"]))
    for i, st in enumerate(statements):
        d = quantities[quantities["statement"] == st]
        ax.scatter(d["pit"], [i] * len(d), color=COLORS[i % len(COLORS)], zorder=3)
    ax.set_yticks(range(len(statements)), [_label(s, 36) for s in statements], fontsize=8)
    ax.axvspan(0.05, 0.95, color="#0072B2", alpha=0.08, linewidth=0)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(statements) - 0.4)
    ax.set_xlabel("PIT: the forecast's probability of a lower value (shaded: its central 90%)", fontsize=8)
    ax.set_title(
        "Where the observed values fell in the forecasts", loc="left", fontsize=11, fontweight="bold"
    )
    return fig


def write_score_report(
    card: Scorecard,
    folder: str | Path,
    *,
    provenance: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> Path:
    """Write the score tables, figures, ``report.html`` and ``report.md`` into ``folder``;
    returns the path of ``report.html``.

    Each section of the page is built by its own function below, from the tables
    written as CSV here (the page never computes a score of its own).

    Examples
    --------
    >>> write_score_report(card, "scores")  # doctest: +SKIP
    PosixPath('scores/report.html')
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    binary, quantities, averaged = card.binary(), card.quantities(), card.time_averaged()
    resolutions = card.resolution_table()
    cal = card.calibration()
    tables = {
        "binary_scores": binary,
        "quantity_scores": quantities,
        "time_averaged": averaged,
        "resolutions": resolutions,
    }
    if cal is not None:
        tables["calibration"] = cal.curve
        tables["decomposition"] = cal.decomposition
    # mixed tables: a score that does not apply to a row's kind (a CRPS for a yes/no
    # statement, a log score for a certain forecast that was wrong) is an empty cell;
    # an infinite one is still refused
    write_csv_tables(folder, tables, optional={name: list(df.columns) for name, df in tables.items()})
    sections = [_summary_section(card, binary, quantities, cal)]
    if len(binary):
        sections.append(_binary_section(binary))
    if len(quantities):
        sections.append(_quantities_section(quantities, folder))
    if len(averaged):
        sections.append(_over_time_section(averaged))
    if cal is not None:
        sections.append(_calibration_section(cal, folder))
    sections.append(_resolutions_section(resolutions, card.not_scored()))
    sections.append(_reproducibility(provenance, "score"))
    versions = card.versions
    title = f"Scores: {versions[-1].scenario.title}"
    flag = track_record_flag(versions, card.resolutions)
    _render(folder, versions[-1].scenario, title, _meta(versions), sections, warnings, illustrative=flag)
    return folder / "report.html"


def _section(id_: str, title: str, blocks: list[Block]) -> dict[str, Any]:
    return {"id": id_, "title": title, "summary": [], "blocks": blocks}


def _summary_section(
    card: Scorecard, binary: pd.DataFrame, quantities: pd.DataFrame, cal: Any
) -> dict[str, Any]:
    """The score cards and how to read them."""
    reading = [
        "Every score is negatively oriented: lower is better, 0 is a perfect forecast. "
        "Brier = (p − y)²; log score = −ln of the probability given to what happened; "
        "CRPS is in the quantity's unit; the PIT is the forecast's probability of a "
        "value below the observed one (near 0 or 1: the value surprised the forecast).",
        f"Baseline: {_baseline_text(card.baseline)}. Brier skill = 1 − Brier / baseline Brier "
        "(above 0: better than the baseline).",
        "A version is scored on a statement only if its as_of is before the resolution date.",
    ]
    return {
        "id": "summary",
        "title": "Summary",
        "summary": [{"title": "Scores (lower is better)", "items": _score_cards(binary, quantities, cal)}],
        "blocks": [Block("How to read these scores", "reading", reading)],
    }


def _binary_section(binary: pd.DataFrame) -> dict[str, Any]:
    """Each version's Brier and log score on each yes/no statement, against the baseline."""
    rows = [
        [
            _short(str(r.label), 70),
            str(r.version),
            str(r.as_of),
            "true" if r.outcome else "false",
            pct(r.probability),
            sig(r.brier),
            _finite(r.log_score),
            pct(r.baseline_probability),
            sig(r.baseline_brier),
            _finite(r.brier_skill),
        ]
        for r in binary.itertuples()
    ]
    head = ["Statement", "Version", "as_of", "Happened", "P", "Brier", "Log", "Baseline P", "Baseline Brier"]
    table = Table("table-binary", [*head, "Skill"], rows, [False] * 4 + [True] * 6)
    block = Block("Brier and log scores, by version", "binary-table", [], None, [table])
    return _section("binary", "Predictions and outcomes", [block])


def _quantities_section(quantities: pd.DataFrame, folder: Path) -> dict[str, Any]:
    """The observed quantities' CRPS, PIT and log score, with the PIT chart."""
    file = _save(pit_figure(quantities), folder, "pit")
    caption = "One marker per version; shaded: the forecast's 90% interval."
    fig = Figure("pit", file, "PIT values", caption, data_uri(folder / file))
    rows = [
        [
            _short(str(r.label), 60),
            str(r.version),
            str(r.as_of),
            sig(r.observed),
            f"{sig(r.median)} ({sig(r.q05)}{DASH}{sig(r.q95)})",
            sig(r.crps),
            sig(r.pit, 2),
            _finite(r.log_score) if not r.note else f"{DASH} ({r.note!s})",
        ]
        for r in quantities.itertuples()
    ]
    head = ["Quantity", "Version", "as_of", "Observed", "Forecast median (90%)", "CRPS", "PIT", "Log score"]
    table = Table("table-quantities", head, rows, [False] * 3 + [True] * 5)
    words = [
        "CRPS: the fair estimator from the version's draws. Log score: a kernel density "
        "of the draws (on the log scale for positive quantities), where it is defined."
    ]
    block = Block("CRPS, PIT and log score of the forecast's draws", "quantity-table", words, fig, [table])
    return _section("quantities", "Observed quantities", [block])


def _over_time_section(averaged: pd.DataFrame) -> dict[str, Any]:
    """Scores weighted by the days each version was the current forecast."""
    rows = [
        [
            str(r.statement),
            str(r.versions),
            str(r.days),
            _finite(r.brier),
            _finite(r.log_score),
            _finite(r.crps),
        ]
        for r in averaged.itertuples()
    ]
    head = ["Statement", "Versions", "Days", "Brier", "Log score", "CRPS"]
    table = Table("table-time-averaged", head, rows, [False] + [True] * 5)
    words = [
        "Each version's score weighted by the days it was the current forecast: from its "
        "as_of to the next version's, the last one to the resolution date."
    ]
    block = Block("Time-averaged scores", "time-averaged", words, None, [table])
    return _section("over-time", "Scores over time", [block])


def _calibration_section(cal: Calibration, folder: Path) -> dict[str, Any]:
    """The reliability diagram and the CORP decomposition of the mean scores."""
    caption, text = calibration_words(cal)
    file = _save(reliability_figure(cal), folder, "reliability")
    fig = Figure("reliability", file, "Reliability diagram", caption, data_uri(folder / file))
    rows = [
        [
            "Brier" if r.score_name == "brier" else "Log",
            sig(r.score),
            sig(r.miscalibration),
            sig(r.discrimination),
            sig(r.uncertainty),
            sig(r.p_value, 2),
        ]
        for r in cal.decomposition.itertuples()
    ]
    head = ["Score", "Mean score", "Miscalibration (MCB)", "Discrimination (DSC)", "Uncertainty (UNC)"]
    table = Table(
        "table-decomposition",
        [*head, "MCB p-value"],
        rows,
        [False] + [True] * 5,
        "Mean score = MCB − DSC + UNC.",
    )
    block = Block("Reliability and the CORP decomposition", "calibration-block", text, fig, [table])
    return _section("calibration", "Calibration", [block])


def _resolutions_section(resolutions: pd.DataFrame, late: pd.DataFrame) -> dict[str, Any]:
    """What happened, and the versions dated too late to be scored."""
    rows = [
        [str(r.statement), str(r.value), str(r.date), str(r.source) or DASH] for r in resolutions.itertuples()
    ]
    table = Table("table-resolutions", ["Statement", "Value", "Date", "Source"], rows, [False] * 4)
    blocks = [Block("What happened", "resolutions-table", [], None, [table])]
    if len(late):
        late_rows = [
            [str(r.statement), str(r.version), str(r.as_of), str(r.resolved_on)] for r in late.itertuples()
        ]
        words = [
            "These versions are dated on or after the resolution: they may already have known the answer."
        ]
        head = ["Statement", "Version", "as_of", "Resolved on"]
        late_table = Table("table-not-scored", head, late_rows, [False] * 4)
        blocks.append(Block("Versions not scored", "not-scored", words, None, [late_table]))
    return _section("resolutions", "Resolutions", blocks)


def calibration_words(cal: Any) -> tuple[str, list[str]]:
    """The reliability diagram's caption and the calibration section's words: how many
    forecasts were scored (one, several) and a warning below 30."""
    n = int(cal.curve["n"].sum())
    scored = f"{count(n, 'scored binary forecast')}"
    caption = (
        f"CORP: isotonic recalibration of {scored}, with the {cal.level:.0%} consistency band of "
        "calibrated forecasts."
    )
    text = [
        f"{scored} ({cal.share_inside:.0%} of them on a part of the curve inside the band). "
        "MCB p-value: the probability that forecasts as calibrated as they claim show this much "
        f"miscalibration ({cal.resamples} resamples).",
    ]
    if n < 30:
        text.append(
            f"WARNING: {count(n, 'forecast')} {'is' if n == 1 else 'are'} few for a calibration diagram; "
            "read it as a sketch, and pool more statements (more scenarios, more versions) for a verdict."
        )
    return caption, text


def _finite(x: Any) -> str:
    x = float(x)
    return sig(x) if np.isfinite(x) else DASH


def _baseline_text(baseline: str) -> str:
    if baseline == "previous":
        return "the version before (50% for a prediction, 1/K for one of K outcomes in the first version)"
    return "uniform: 50% for a prediction, 1/K for one of K outcomes"


def _score_cards(binary: pd.DataFrame, quantities: pd.DataFrame, cal: Any) -> list[dict[str, str]]:
    cards = []
    if len(binary):
        cards.append(
            {
                "label": "Mean Brier score",
                "value": sig(binary["brier"].mean()),
                "detail": f"baseline {sig(binary['baseline_brier'].mean())}; {count(len(binary), 'forecast')}",
            }
        )
        ls = binary["log_score"].to_numpy(float)
        if np.isfinite(ls).all():
            cards.append(
                {
                    "label": "Mean log score",
                    "value": sig(ls.mean()),
                    "detail": f"baseline {sig(binary['baseline_log_score'].mean())}",
                }
            )
    if len(quantities):
        cards.append(
            {
                "label": "Observed quantities",
                "value": count(len(quantities), "forecast"),
                "detail": f"median PIT {sig(quantities['pit'].median(), 2)}",
            }
        )
    if cal is not None:
        d = cal.decomposition.set_index("score_name").loc["brier"]
        cards.append(
            {
                "label": "Miscalibration (Brier)",
                "value": sig(d["miscalibration"]),
                "detail": f"p-value {sig(d['p_value'], 2)}; discrimination {sig(d['discrimination'])}",
            }
        )
    return cards
