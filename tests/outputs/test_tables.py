"""The CSV writer: its one format, its refusal of NaN and infinite numbers (naming the
row a reader can find, before anything is written) and its formula guard."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.errors import NonFiniteError
from forecast.outputs.tables import neutralise_formula, non_finite, write_csv_tables


def test_a_nan_in_signposts_csv_is_named_by_signpost_kind_and_id() -> None:
    """The first two text columns of signposts.csv are the signpost and its (often
    empty) observed state: the row read 'sig None.if_true'."""
    df = pd.DataFrame(
        {
            "signpost": ["sig", "sig"],
            "observed": [None, None],
            "p_true": [0.0, 0.0],
            "kind": ["outcome", "outcome"],
            "id": ["exit", "stays"],
            "label": ["Exit", "Stays"],
            "if_true": [np.nan, 0.5],
        }
    )
    [problem] = non_finite("signposts.csv", df)
    assert problem.path == "sig outcome exit.if_true"


def test_market_rows_are_named_by_market_and_year() -> None:
    df = pd.DataFrame({"market": ["a", "a"], "year": [2024, 2025], "mean": [1.0, np.inf]})
    [problem] = non_finite("markets.csv", df)
    assert problem.path == "a 2025.mean"


# --- the writer's format, refusals and formula guard, on tables written by hand ------


def test_the_csv_format_is_six_significant_digits_newline_ends_and_no_index(tmp_path: Path) -> None:
    df = pd.DataFrame({"market": ["a", "b"], "year": [2024, 2025], "mean": [1234567.0, 0.000123456789]})
    write_csv_tables(tmp_path / "out", {"markets": df})
    assert (
        tmp_path / "out" / "markets.csv"
    ).read_bytes() == b"market,year,mean\na,2024,1.23457e+06\nb,2025,0.000123457\n"


def test_a_missing_value_where_it_does_not_apply_is_an_empty_cell(tmp_path: Path) -> None:
    df = pd.DataFrame({"quantity": ["x", "y"], "year": [2025.0, np.nan], "mcse": [0.5, np.nan]})
    write_csv_tables(tmp_path, {"differences": df}, optional={"differences": ["year", "mcse"]})
    assert (tmp_path / "differences.csv").read_text() == "quantity,year,mcse\nx,2025,0.5\ny,,\n"


def test_every_table_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    """Two tables with a NaN (one in an optional column of another table) and one with an
    inf in an optional column: three problems at once, and no folder made."""
    good = pd.DataFrame({"market": ["a"], "mean": [1.0]})
    nan = pd.DataFrame({"market": ["a"], "mean": [np.nan]})
    inf = pd.DataFrame({"quantity": ["x"], "mcse": [-np.inf]})
    folder = tmp_path / "never"
    with pytest.raises(NonFiniteError) as err:
        write_csv_tables(
            folder,
            {"good": good, "markets": nan, "other": nan.rename(columns={"mean": "mcse"}), "differences": inf},
            optional={"differences": ["mcse"], "markets": ["sd"]},
        )
    assert [(p.file, p.path, p.got) for p in err.value.problems] == [
        ("markets.csv", "a.mean", "nan"),
        ("other.csv", "a.mcse", "nan"),
        ("differences.csv", "x.mcse", "-inf"),
    ]
    assert not folder.exists()


def test_text_cells_that_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "label": ["=1+1", "Plain", "-x"],
            "note": pd.array(["@SUM(A1)", "+1 234", "a=b"], dtype="string"),
            "value": [-1.5, 2.0, 3.0],
            "mixed": ["=x", 1, None],  # text and numbers: an object column
        }
    )
    write_csv_tables(tmp_path, {"t": df})
    with (tmp_path / "t.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["label", "note", "value", "mixed"],
        ["'=1+1", "'@SUM(A1)", "-1.5", "'=x"],
        ["Plain", "'+1 234", "2", "1"],
        ["'-x", "a=b", "3", ""],
    ]
    assert df["label"].tolist() == ["=1+1", "Plain", "-x"]  # the caller's table is left alone


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("=A1", "'=A1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("x=1", "x=1"),
        (" =1", " =1"),
        ("", ""),
        (-1.5, -1.5),
        (None, None),
    ],
)
def test_only_text_starting_like_a_formula_gets_a_quote(value: Any, want: Any) -> None:
    assert neutralise_formula(value) == want


def test_at_most_limit_problems_in_row_order_each_with_its_value() -> None:
    df = pd.DataFrame(
        {"market": list("abcdefg"), "mean": [np.nan, 1.0, np.inf, np.nan, np.nan, np.nan, np.nan]}
    )
    problems = non_finite("m.csv", df)
    assert [p.path for p in problems] == ["a.mean", "c.mean", "d.mean", "e.mean", "f.mean"]
    assert [p.got for p in problems] == ["nan", "inf", "nan", "nan", "nan"]
    assert [p.path for p in non_finite("m.csv", df, limit=2)] == ["a.mean", "c.mean"]
    assert str(problems[1]) == (
        "m.csv: c.mean: is not a finite number: the inputs are beyond what can be computed "
        "(check sizes, rates and confidence) (got 'inf')"
    )


def test_an_optional_column_allows_a_missing_value_but_not_an_infinite_one() -> None:
    df = pd.DataFrame({"market": ["a", "b", "c"], "sd": [np.nan, -np.inf, 1.0], "mean": [1.0, 2.0, np.nan]})
    assert [p.path for p in non_finite("m.csv", df, optional=["sd"])] == ["b.sd", "c.mean"]
    assert [p.path for p in non_finite("m.csv", df)] == ["a.sd", "b.sd", "c.mean"]


def test_a_row_is_named_by_up_to_three_name_columns_then_its_year() -> None:
    """The name columns in the order a reader looks for them (not the table's), at most
    three; a missing name is left out; without any, the first two text columns."""
    df = pd.DataFrame(
        {
            "input": ["i"],
            "outcome": ["o"],
            "id": ["d"],
            "market": ["m"],
            "year": [2027],
            "mean": [np.nan],
        }
    )
    assert non_finite("t.csv", df)[0].path == "m d o 2027.mean"
    gap = pd.DataFrame({"market": [None], "kind": ["k"], "year": [2026], "mean": [np.nan]})
    assert non_finite("t.csv", gap)[0].path == "k 2026.mean"
    other = pd.DataFrame({"first": ["f"], "second": ["s"], "third": ["t"], "mean": [np.nan]})
    assert non_finite("t.csv", other)[0].path == "f s.mean"


def test_a_row_with_no_name_is_named_by_its_number_from_one() -> None:
    df = pd.DataFrame({"mean": [1.0, 2.0, np.nan]})
    assert non_finite("t.csv", df)[0].path == "row 3.mean"
    blank = pd.DataFrame({"market": [None, None], "mean": [1.0, np.nan]})
    assert non_finite("t.csv", blank)[0].path == "row 2.mean"


def test_nullable_integers_are_checked_and_a_missing_year_is_an_empty_cell(tmp_path: Path) -> None:
    """A metric that is one number per draw has no year: pandas' nullable integers
    (``Int64``), missing where it does not apply, beside nullable floats."""
    df = pd.DataFrame(
        {
            "metric": ["npv", "revenue"],
            "year": pd.array([None, 2027], dtype="Int64"),
            "mean": pd.array([1.5, 2.0], dtype="Float64"),
        }
    )
    write_csv_tables(tmp_path / "a" / "b", {"metrics": df}, optional={"metrics": ["year"]})
    assert (
        tmp_path / "a" / "b" / "metrics.csv"
    ).read_text() == "metric,year,mean\nnpv,,1.5\nrevenue,2027,2\n"
    [problem] = non_finite("metrics.csv", df)
    assert (problem.path, problem.got) == ("npv.year", "<NA>")
