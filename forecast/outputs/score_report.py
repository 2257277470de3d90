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
    returns the path of ``report.html``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    binary, quantities, averaged = card.binary(), card.quantities(), card.time_averaged()
    cal = card.calibration()
    tables = {
        "binary_scores": binary,
        "quantity_scores": quantities,
        "time_averaged": averaged,
        "resolutions": card.resolution_table(),
    }
    if cal is not None:
        tables["calibration"] = cal.curve
        tables["decomposition"] = cal.decomposition
    # mixed tables: a score that does not apply to a row's kind (a CRPS for a yes/no
    # statement, a log score for a certain forecast that was wrong) is an empty cell;
    # an infinite one is still refused
    write_csv_tables(folder, tables, optional={name: list(df.columns) for name, df in tables.items()})
    versions = card.versions
    sections: list[dict[str, Any]] = [
        {
            "id": "summary",
            "title": "Summary",
            "summary": [
                {"title": "Scores (lower is better)", "items": _score_cards(binary, quantities, cal)}
            ],
            "blocks": [
                Block(
                    "How to read these scores",
                    "reading",
                    [
                        "Every score is negatively oriented: lower is better, 0 is a perfect forecast. "
                        "Brier = (p − y)²; log score = −ln of the probability given to what happened; "
                        "CRPS is in the quantity's unit; the PIT is the forecast's probability of a "
                        "value below the observed one (near 0 or 1: the value surprised the forecast).",
                        f"Baseline: {_baseline_text(card.baseline)}. Brier skill = 1 − Brier / baseline Brier "
                        "(above 0: better than the baseline).",
                        "A version is scored on a statement only if its as_of is before the resolution date.",
                    ],
                )
            ],
        }
    ]
    if len(binary):
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
        table = Table(
            "table-binary",
            [
                "Statement",
                "Version",
                "as_of",
                "Happened",
                "P",
                "Brier",
                "Log",
                "Baseline P",
                "Baseline Brier",
                "Skill",
            ],
            rows,
            [False, False, False, False] + [True] * 6,
        )
        sections.append(
            {
                "id": "binary",
                "title": "Predictions and outcomes",
                "summary": [],
                "blocks": [Block("Brier and log scores, by version", "binary-table", [], None, [table])],
            }
        )
    if len(quantities):
        file = _save(pit_figure(quantities), folder, "pit")
        fig = Figure(
            "pit",
            file,
            "PIT values",
            "One marker per version; shaded: the forecast's 90% interval.",
            data_uri(folder / file),
        )
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
        table = Table(
            "table-quantities",
            ["Quantity", "Version", "as_of", "Observed", "Forecast median (90%)", "CRPS", "PIT", "Log score"],
            rows,
            [False, False, False, True, True, True, True, True],
        )
        sections.append(
            {
                "id": "quantities",
                "title": "Observed quantities",
                "summary": [],
                "blocks": [
                    Block(
                        "CRPS, PIT and log score of the forecast's draws",
                        "quantity-table",
                        [
                            "CRPS: the fair estimator from the version's draws. Log score: a kernel density "
                            "of the draws (on the log scale for positive quantities), where it is defined."
                        ],
                        fig,
                        [table],
                    )
                ],
            }
        )
    if len(averaged):
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
        table = Table(
            "table-time-averaged",
            ["Statement", "Versions", "Days", "Brier", "Log score", "CRPS"],
            rows,
            [False, True, True, True, True, True],
        )
        sections.append(
            {
                "id": "over-time",
                "title": "Scores over time",
                "summary": [],
                "blocks": [
                    Block(
                        "Time-averaged scores",
                        "time-averaged",
                        [
                            "Each version's score weighted by the days it was the current forecast: from its "
                            "as_of to the next version's, the last one to the resolution date."
                        ],
                        None,
                        [table],
                    )
                ],
            }
        )
    if cal is not None:
        caption, text = calibration_words(cal)
        file = _save(reliability_figure(cal), folder, "reliability")
        fig = Figure(
            "reliability",
            file,
            "Reliability diagram",
            caption,
            data_uri(folder / file),
        )
        d = cal.decomposition
        rows = [
            [
                "Brier" if r.score_name == "brier" else "Log",
                sig(r.score),
                sig(r.miscalibration),
                sig(r.discrimination),
                sig(r.uncertainty),
                sig(r.p_value, 2),
            ]
            for r in d.itertuples()
        ]
        table = Table(
            "table-decomposition",
            [
                "Score",
                "Mean score",
                "Miscalibration (MCB)",
                "Discrimination (DSC)",
                "Uncertainty (UNC)",
                "MCB p-value",
            ],
            rows,
            [False] + [True] * 5,
            "Mean score = MCB − DSC + UNC.",
        )
        sections.append(
            {
                "id": "calibration",
                "title": "Calibration",
                "summary": [],
                "blocks": [
                    Block("Reliability and the CORP decomposition", "calibration-block", text, fig, [table])
                ],
            }
        )
    res = card.resolution_table()
    rows = [[str(r.statement), str(r.value), str(r.date), str(r.source) or DASH] for r in res.itertuples()]
    blocks = [
        Block(
            "What happened",
            "resolutions-table",
            [],
            None,
            [Table("table-resolutions", ["Statement", "Value", "Date", "Source"], rows, [False] * 4)],
        )
    ]
    late = card.not_scored()
    if len(late):
        late_rows = [
            [str(r.statement), str(r.version), str(r.as_of), str(r.resolved_on)] for r in late.itertuples()
        ]
        blocks.append(
            Block(
                "Versions not scored",
                "not-scored",
                [
                    "These versions are dated on or after the resolution: they may already have known the answer."
                ],
                None,
                [
                    Table(
                        "table-not-scored",
                        ["Statement", "Version", "as_of", "Resolved on"],
                        late_rows,
                        [False] * 4,
                    )
                ],
            )
        )
    sections.append({"id": "resolutions", "title": "Resolutions", "summary": [], "blocks": blocks})
    sections.append(_reproducibility(provenance, "score"))
    title = f"Scores: {versions[-1].scenario.title}"
    flag = track_record_flag(versions, card.resolutions)
    _render(folder, versions[-1].scenario, title, _meta(versions), sections, warnings, illustrative=flag)
    return folder / "report.html"


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
