"""``report.xlsx``: the report's tables as a workbook, one sheet per table.

Written with xlsxwriter. Numbers are stored as numbers (full precision, shown with a
format: percentages for probabilities and growth rates), text as text: every string
goes through :func:`safe_text`, so a label that starts with ``=``, ``+``, ``-`` or
``@`` is never read as a formula (the leading-apostrophe rule, as in the CSV files),
and xlsxwriter's own conversions of strings to formulas, numbers and links are off.

The first sheet, ``About``, holds the title, the what-if and illustrative-data
flags, the executive summary and the run's provenance (scenario file and SHA-256,
random seed, draws, method, command, versions). Nothing in the file depends on the
clock: the same run writes the same bytes.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> _ = write_workbook(path, [Sheet("Outcomes", pd.DataFrame({"outcome": ["=a"], "p": [0.4]}), {"p": PERCENT})])
>>> import openpyxl
>>> ws = openpyxl.load_workbook(path)["Outcomes"]
>>> ws["A2"].value, ws["B2"].value, ws["B2"].number_format
("'=a", 0.4, '0.0%')
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.outputs.briefing import ReportTables
    from forecast.outputs.whatif import Change

PERCENT = "0.0%"
PERCENT_FINE = "0.00%"
NUMBER = "#,##0.0###"
INTEGER = "0"
#: text starting with these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 80


def safe_text(text: Any) -> str:
    """Text a spreadsheet will not run: a leading ``'`` before ``= + - @`` (and tab, CR).

    Examples
    --------
    >>> safe_text("=HYPERLINK(1)"), safe_text("ok"), safe_text("-3 pp")
    ("'=HYPERLINK(1)", 'ok', "'-3 pp")
    """
    s = str(text)
    return "'" + s if s.startswith(FORMULA_START) else s


@dataclass
class Sheet:
    """One sheet: a table, the number format of some of its columns, and a note.

    ``formats`` maps a column to an Excel number format; numeric columns without one
    get :data:`NUMBER`. ``note`` is written above the table when given.
    """

    name: str
    table: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


def write_workbook(
    path: str | Path,
    sheets: Sequence[Sheet],
    *,
    about: Sequence[tuple[str, str]] = (),
    created: dt.datetime | None = None,
) -> Path:
    """Write ``sheets`` (and an ``About`` sheet of ``about`` rows, when given) to ``path``.

    ``created`` is the document's creation date in its properties; fixed (the
    scenario's ``as_of``) so the same run gives the same bytes.
    """
    import xlsxwriter  # type: ignore[import-untyped]

    path = Path(path)
    options = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "nan_inf_to_errors": False,
    }
    wb = xlsxwriter.Workbook(str(path), options)
    try:
        wb.set_properties(
            {
                "title": next((v for k, v in about if k == "Title"), "forecast report"),
                "author": "forecast",
                "created": created or dt.datetime(2000, 1, 1),
            }
        )
        bold = wb.add_format({"bold": True, "bg_color": "#F5F7FA", "bottom": 1})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        title = wb.add_format({"bold": True, "font_size": 13})
        formats: dict[str, Any] = {}

        def fmt(spec: str) -> Any:
            if spec not in formats:
                formats[spec] = wb.add_format({"num_format": spec})
            return formats[spec]

        if about:
            ws = wb.add_worksheet("About")
            ws.set_column(0, 0, 24)
            ws.set_column(1, 1, 100, wrap)
            for r, (k, v) in enumerate(about):
                ws.write_string(r, 0, safe_text(k), title if r == 0 else bold)
                ws.write_string(r, 1, safe_text(v), title if r == 0 else wrap)
        for sheet in sheets:
            ws = wb.add_worksheet(sheet.name[:31])
            df = sheet.table
            top = 0
            if sheet.note:
                ws.write_string(0, 0, safe_text(sheet.note))
                top = 2
            widths = [len(str(c)) for c in df.columns]
            for j, col in enumerate(df.columns):
                ws.write_string(top, j, safe_text(col), bold)
            numeric = {
                c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
                for c in df.columns
            }
            for i, row in enumerate(df.itertuples(index=False), start=top + 1):
                for j, (col, v) in enumerate(zip(df.columns, row, strict=True)):
                    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                        continue  # an empty cell, never a 0 or a NaN error
                    if numeric[col]:
                        ws.write_number(i, j, float(v), fmt(sheet.formats.get(col, NUMBER)))
                        widths[j] = max(widths[j], 10)
                    else:
                        text = safe_text(_text(v))
                        ws.write_string(i, j, text)
                        widths[j] = max(widths[j], min(len(text), MAX_WIDTH))
            for j, w in enumerate(widths):
                ws.set_column(j, j, min(w + 2, MAX_WIDTH), wrap if w >= MAX_WIDTH else None)
            ws.freeze_panes(top + 1, 0)
            if len(df.columns):
                ws.autofilter(top, 0, top + max(len(df), 1), len(df.columns) - 1)
    finally:
        wb.close()
    return path


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def write_report_workbook(
    fc: Forecast,
    path: str | Path,
    *,
    extra: ReportTables,
    whatif: Sequence[Change] | None = None,
    heading: str = "",
    summary: Sequence[str] = (),
    illustrative: str = "",
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """The report's workbook: ``About`` (flags, summary, provenance), then one sheet per
    table: Markets, Growth, Outcomes, Predictions, Predictions by outcome, Signposts,
    Share by outcome, Sensitivity (those with rows), Inputs (with sources) and
    Overrides. The Markets, Outcomes and Predictions sheets have the CSV files' columns.

    Examples
    --------
    >>> write_report_workbook(fc, "report.xlsx", extra=report_tables(fc))  # doctest: +SKIP
    """
    from forecast.outputs.decision_report import decision_sheets
    from forecast.outputs.formatting import package_versions
    from forecast.outputs.sections import input_rows
    from forecast.outputs.whatif import differ_text

    s = fc.scenario
    prov = dict(provenance or {})
    versions = dict(prov.get("versions") or package_versions())
    method = "NUTS posterior (conditioned on the evidence)" if fc.conditioned else "forward simulation"
    about: list[tuple[str, str]] = [("Title", heading or s.title)]
    about.append(
        (
            "What-if",
            f"yes: {differ_text(len(whatif), 'the file')} (sheet Overrides)"
            if whatif is not None
            else "no: the scenario as written",
        )
    )
    about.append(("Illustrative data", illustrative or "none marked"))
    about += [(f"Summary {i}", text) for i, text in enumerate(summary, start=1)]
    about += [
        ("Scenario", f"{s.id} ({s.origin})"),
        ("Scenario SHA-256", s.sha256()),
        ("As of", s.as_of.isoformat()),
        ("Random seed", str(fc.seed)),
        ("Draws", str(fc.n_draws)),
        ("Method", method),
        ("Command", str(prov.get("command") or "(Python API: Forecast.write_report)")),
    ]
    about += [(f"{k} version", v) for k, v in versions.items()]
    pct_cols = {
        c: PERCENT
        for c in (
            "stated",
            "probability",
            "q05",
            "q50",
            "q95",
            "without",
            "now",
            "if_true",
            "if_false",
            "p_true",
        )
    }
    fine = {c: PERCENT_FINE for c in ("mcse", "mcse_true", "mcse_false")}
    sheets = [
        Sheet(
            "Markets",
            fc.markets(),
            {"year": INTEGER},
            "Market size by market and year (share rows are fractions).",
        ),
        Sheet(
            "Growth",
            extra.growth,
            {"from_year": INTEGER, "to_year": INTEGER, **pct_cols},
            "Implied CAGR per draw: median and 90% interval, beside the stated CAGR.",
        ),
        Sheet("Outcomes", fc.outcomes(), {**pct_cols, **fine}),
        Sheet("Predictions", fc.predictions(), {**pct_cols, **fine}),
        Sheet("Predictions by outcome", extra.prediction_by_outcome, {**pct_cols, **fine, "draws": INTEGER}),
        Sheet(
            "Signposts",
            extra.signposts,
            {**pct_cols, **fine},
            "Probability now and if each signpost is observed true or false.",
        ),
        Sheet("Share by outcome", extra.by_outcome, {"year": INTEGER, "probability": PERCENT}),
        *(
            [
                Sheet(
                    "Metrics",
                    fc.metrics().astype({"year": float}),
                    {"year": INTEGER},
                    "Every metric's formula, by year.",
                )
            ]
            if s.metrics
            else []
        ),
    ]
    # the register's rows mix probabilities and market sizes: numbers as they are
    sheets += [
        Sheet(name, df, {})
        for name, df in (("Risks", extra.risks), ("Questions", extra.questions))
        if len(df)
    ]
    if extra.sensitivity is not None:
        sheets.append(
            Sheet(
                "Sensitivity",
                extra.sensitivity,
                {"first_order": "0.000", "conf": "0.000", "independent": "0.000"},
            )
        )
    sheets += [Sheet(*spec) for spec in decision_sheets(extra.decision)]
    inputs = pd.DataFrame(input_rows(s), columns=["key", "what", "value", "basis", "source", "note"])
    sheets.append(
        Sheet("Inputs", inputs, {}, "Every input, its value or distribution (90% interval), and its source.")
    )
    overrides = pd.DataFrame(
        [(c.key, c.was, c.now, c.how) for c in (whatif or [])],
        columns=["key", "in the file", "in this run", "how"],
    )
    sheets.append(
        Sheet(
            "Overrides",
            overrides,
            {},
            "What-if overrides (--set)." if whatif is not None else "None: the scenario as written.",
        )
    )
    sheets = [sh for sh in sheets if len(sh.table.columns)]
    created = dt.datetime(s.as_of.year, s.as_of.month, s.as_of.day)
    return write_workbook(path, sheets, about=about, created=created)
