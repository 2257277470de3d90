"""report.xlsx: opened with openpyxl, its numbers equal the CSV files, text never runs.

The seed report's workbook is read back with a second library (openpyxl): each
table sheet has the CSV file's columns and rows, numbers as numbers (equal to the
CSV's six significant digits) with a number format, and the About sheet holds the
provenance. A label that starts like a formula stays text, neutralised as in the CSVs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")

SHEETS = {
    "Markets": "markets",
    "Outcomes": "outcomes",
    "Predictions": "predictions",
    "Growth": "growth",
    "Signposts": "signposts",
    "Share by outcome": "by_outcome",
    "Metrics": "metrics",
    "Risks": "risks",
    "Questions": "questions",
}


def sheet_frame(ws: Any) -> tuple[pd.DataFrame, list[list[Any]]]:
    """A sheet's table (header = the first row whose first cell is a column name)."""
    rows = [list(r) for r in ws.iter_rows()]
    values = [[c.value for c in r] for r in rows]
    start = next(i for i, r in enumerate(values) if r and r[0] is not None and r[1:] and r[1] is not None)
    df = pd.DataFrame(values[start + 1 :], columns=values[start])
    return df, rows[start + 1 :]


@pytest.fixture(scope="module")
def book(seed_report: Path) -> Any:
    return openpyxl.load_workbook(seed_report / "report.xlsx")


@pytest.mark.parametrize(("sheet", "name"), SHEETS.items())
def test_table_sheets_equal_the_csv_files(book: Any, seed_report: Path, sheet: str, name: str) -> None:
    expected = pd.read_csv(seed_report / f"{name}.csv")
    got, cells = sheet_frame(book[sheet])
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for col in expected.columns:
        want = expected[col]
        if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
            j = list(expected.columns).index(col)
            # numbers as numbers, shown with a format (not "General")
            assert all(isinstance(r[j].value, int | float) for r in cells if r[j].value is not None), col
            assert all(r[j].number_format != "General" for r in cells if r[j].value is not None), col
            # the CSV keeps 6 significant digits; the workbook keeps the full double
            np.testing.assert_allclose(got[col].astype(float), want.astype(float), rtol=5e-6, atol=1e-12)
        else:
            text = want.map(lambda v: "" if pd.isna(v) else str(v).lower() if isinstance(v, bool) else str(v))
            assert (
                got[col].map(lambda v: "" if v is None else str(v)).tolist()
                == text.str.replace("True", "true").str.replace("False", "false").tolist()
            ), col


def test_probabilities_are_formatted_as_percentages(book: Any) -> None:
    _, cells = sheet_frame(book["Outcomes"])
    header = [c.value for c in next(book["Outcomes"].iter_rows())]
    j = header.index("probability")
    assert all(r[j].number_format == "0.0%" for r in cells)


def test_about_sheet_has_the_provenance(book: Any, seed_report: Path) -> None:
    import json

    manifest = json.loads((seed_report / "manifest.json").read_text())
    about = {r[0].value: r[1].value for r in book["About"].iter_rows()}
    assert about["Random seed"] == str(manifest["seed"])
    assert about["Draws"] == str(manifest["draws"])
    assert about["Scenario SHA-256"] == manifest["scenario"]["sha256"]
    assert about["Command"] == manifest["command"]
    assert about["What-if"].startswith("no")
    assert about["Summary 1"].startswith("The most likely outcome")
    assert about["numpy version"] == manifest["versions"]["numpy"]


def test_inputs_sheet_lists_every_input_with_its_source(book: Any, seed_forecast: Any) -> None:
    from forecast.outputs.sections import input_rows

    got, _ = sheet_frame(book["Inputs"])
    rows = input_rows(seed_forecast.scenario)
    assert got["key"].tolist() == [r["key"] for r in rows]
    assert got["source"].fillna("").tolist() == [r["source"] for r in rows]
    assert set(got["basis"]) == {"source", "assumption"}


def test_overrides_sheet_of_a_whatif(seed_forecast: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report
    from forecast.outputs.whatif import changes

    base = seed_forecast.scenario
    new = base.with_overrides({"markets.developer_tools.cagr": 0.3})
    fc = dataclasses.replace(seed_forecast, scenario=new)
    changed = changes(base, new, {"markets.developer_tools.cagr": 0.3})
    write_report(fc, tmp_path, figures=False, whatif=changed)
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    got, _ = sheet_frame(wb["Overrides"])
    assert got.values.tolist()[0] == [
        "markets.developer_tools.cagr",
        "median 0.47, sigma 0.08",
        "median 0.3, sigma 0.08",
        "centre moved, spread kept",
    ]
    about = {r[0].value: r[1].value for r in wb["About"].iter_rows()}
    assert about["Title"].startswith("What-if: ")
    # the CAGR set and the projection it displaced, counted in words
    assert len(changed) == 2
    assert about["What-if"] == "yes: 2 inputs differ from the file (sheet Overrides)"


def test_formula_like_text_stays_text(seed_forecast: Any, tmp_path: Path) -> None:
    """A label or statement that starts with = + - @ is written as text with a leading
    apostrophe (the CSV rule), never as a formula."""
    from forecast.outputs.report import write_report

    s = seed_forecast.scenario.with_overrides(
        {
            "assessment.outcomes.independence.label": '=HYPERLINK("http://evil.example","x")',
            "predictions.tiered_licensing.statement": "+1 licence model",
            "markets.developer_tools.label": "@dev tools",
            "title": "-minus title",
        }
    )
    fc = dataclasses.replace(seed_forecast, scenario=s)
    write_report(fc, tmp_path, figures=False)
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    texts = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts)
    assert not [c.value for c in texts if c.value.startswith(("=", "+", "-", "@"))]
    outcomes, _ = sheet_frame(wb["Outcomes"])
    assert outcomes["label"].iloc[0] == '\'=HYPERLINK("http://evil.example","x")'
    preds, _ = sheet_frame(wb["Predictions"])
    assert preds["statement"].iloc[1] == "'+1 licence model"
    # the xlsx has no formula element at all
    import zipfile

    with zipfile.ZipFile(tmp_path / "report.xlsx") as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_same_forecast_same_bytes(seed_forecast: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    for name in ("a", "b"):
        write_report(
            seed_forecast,
            tmp_path / name,
            figures=False,
            provenance={"command": "x", "versions": {"numpy": "1"}},
        )
    assert (tmp_path / "a" / "report.xlsx").read_bytes() == (tmp_path / "b" / "report.xlsx").read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "forecast.outputs.workbook",
        "forecast.outputs.whatif",
        "forecast.outputs.briefing",
        "forecast.outputs.narrative",
    ],
)
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0 and result.attempted > 0
