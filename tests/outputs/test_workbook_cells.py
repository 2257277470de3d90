"""The workbook's cells on a small table written by hand, read back with openpyxl.

Numbers are numbers with their number format (the sheet's, else the default), a
missing value is an empty cell (never 0, never an error), a flag is ``true``/``false``,
text that starts like a formula stays text behind a ``'``, a note sits above the
table, a long sheet name is cut to Excel's 31 characters. No simulation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.outputs.workbook import NUMBER, PERCENT, Sheet, safe_text, write_workbook

openpyxl = pytest.importorskip("openpyxl")


# function-scoped (a few milliseconds): mutmut learns which test calls what from the calls
# made while that test runs, fixture included
@pytest.fixture
def book(tmp_path: Path) -> Any:
    table = pd.DataFrame(
        {
            "market": ["=1+1", "Plain", "-x"],
            "probability": [0.25, np.nan, 1.0],
            "size": [1234.5, 0.0, -2.0],
            "observed": [True, False, None],
            "year": pd.array([2027, None, 2028], dtype="Int64"),
        }
    )
    sheets = [
        Sheet("Markets", table, {"probability": PERCENT}, note="@ a note that starts like a formula"),
        Sheet("A sheet name longer than thirty-one characters", table.head(1)),
    ]
    path = tmp_path / "t.xlsx"
    about = [("Title", "+ A title"), ("Seed", "7")]
    write_workbook(path, sheets, about=about, created=dt.datetime(2025, 1, 1))
    return openpyxl.load_workbook(path)


def test_sheets_in_order_after_about_with_long_names_cut_to_31_characters(book: Any) -> None:
    assert book.sheetnames == ["About", "Markets", "A sheet name longer than thirty"]
    assert [[c.value for c in r] for r in book["About"].iter_rows()] == [
        ["Title", "'+ A title"],
        ["Seed", "7"],
    ]
    assert book.properties.title == "+ A title"
    assert book.properties.created == dt.datetime(2025, 1, 1)


def test_the_note_is_above_the_header_and_every_cell_is_what_the_table_holds(book: Any) -> None:
    ws = book["Markets"]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[0][0] == "'@ a note that starts like a formula"
    assert values[2] == ["market", "probability", "size", "observed", "year"]
    assert values[3:] == [
        ["'=1+1", 0.25, 1234.5, "true", 2027],
        ["Plain", None, 0, "false", None],
        ["'-x", 1, -2, None, 2028],
    ]
    assert [type(v) for v in values[3][1:3]] == [float, float]


def test_numbers_carry_their_columns_format_or_the_default(book: Any) -> None:
    ws = book["Markets"]
    assert ws["B4"].number_format == PERCENT
    assert ws["C4"].number_format == NUMBER
    assert ws["E4"].number_format == NUMBER
    assert ws["A4"].data_type == "s"  # text, not a formula
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:E6"


def test_a_sheet_without_a_note_starts_with_its_header(book: Any) -> None:
    ws = book["A sheet name longer than thirty"]
    assert [c.value for c in next(ws.iter_rows())] == ["market", "probability", "size", "observed", "year"]
    assert ws.freeze_panes == "A2"


@pytest.mark.parametrize(
    ("value", "want"),
    [("=A1", "'=A1"), ("+1", "'+1"), ("-3 pp", "'-3 pp"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("a=b", "a=b"), ("", ""), (-1.5, "'-1.5"), (2, "2")],
)  # fmt: skip
def test_only_text_starting_like_a_formula_gets_a_quote(value: Any, want: str) -> None:
    assert safe_text(value) == want


def test_the_same_sheets_give_the_same_bytes(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": ["x"], "b": [1.5]})
    for name in ("one.xlsx", "two.xlsx"):
        write_workbook(tmp_path / name, [Sheet("S", table)], created=dt.datetime(2025, 1, 1))
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()


def test_a_column_of_flags_is_text_not_numbers(tmp_path: Path) -> None:
    """A boolean column (numeric to numpy) is written ``true``/``false``, never 1/0."""
    path = tmp_path / "flags.xlsx"
    write_workbook(
        path, [Sheet("S", pd.DataFrame({"observed": [True, False]}))], created=dt.datetime(2025, 1, 1)
    )
    ws = openpyxl.load_workbook(path)["S"]
    assert [c.value for c in ws["A"]] == ["observed", "true", "false"]
