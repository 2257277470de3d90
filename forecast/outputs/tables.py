"""CSV tables: one writer, one format, for every table a command writes.

Every number is finite (or nothing is written) and every text cell that a
spreadsheet would run as a formula is neutralised (:func:`neutralise_formula`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import NonFiniteError, Problem


def write_csv_tables(
    folder: str | Path,
    tables: dict[str, pd.DataFrame],
    optional: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Write ``<name>.csv`` per table in one fixed format, so that the same seed gives
    byte-identical files (6 significant digits, ``\\n`` line ends, no index).

    Every number is finite or nothing is written (:class:`~forecast.errors.NonFiniteError`):
    a NaN or inf in a table would otherwise reach a strategist as "nan" with exit 0.
    ``optional`` names the columns of a table where a missing value means "does not
    apply" (written as an empty cell), e.g. ``{"differences": ["year", "mcse"]}``.

    Examples
    --------
    >>> write_csv_tables("out", {"markets": fc.markets()})  # doctest: +SKIP
    """
    optional = optional or {}
    problems = [
        p for name, df in tables.items() for p in non_finite(f"{name}.csv", df, optional.get(name, ()))
    ]
    if problems:
        raise NonFiniteError(problems)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        safe = df.copy()
        for column in safe.columns:
            if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
                safe[column] = safe[column].map(neutralise_formula)
        safe.to_csv(folder / f"{name}.csv", index=False, float_format="%.6g", lineterminator="\n")


#: what makes a spreadsheet read a text cell as a formula (OWASP's CSV injection list)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made plain text with a leading ``'``.

    A label or statement from a scenario starting with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return (``=HYPERLINK("http://evil.example", "click")``) would
    run when the CSV is opened in Excel or LibreOffice. Numbers are left alone; use
    this for every text cell of a CSV or workbook.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x")'), neutralise_formula("Developer tools"), neutralise_formula(-1.5)
    ('\'=HYPERLINK("http://x")', 'Developer tools', -1.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: the columns that name a row of a table, in the order a reader looks for them
ROW_NAME_COLUMNS = ("scenario", "signpost", "target", "market", "kind", "id", "outcome", "input")


def non_finite(file: str, df: pd.DataFrame, optional: Collection[str] = (), limit: int = 5) -> list[Problem]:
    """The NaN and infinite numbers in ``df``, named by row key and column (at most ``limit``);
    in ``optional`` columns a missing value is allowed, an infinite one is not.

    Examples
    --------
    >>> non_finite("t.csv", pd.DataFrame({"market": ["a"], "sd": [float("inf")]}))[0].message
    'is not a finite number: the inputs are beyond what can be computed (check sizes, rates and confidence)'
    """
    numbers = df.select_dtypes("number")
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    for j, column in enumerate(numbers.columns):
        if column in optional:
            bad[:, j] = np.isinf(values[:, j])
    out = []
    text = [c for c in df.columns if c not in numbers.columns]
    # the columns that name a row, where a table has them (signposts.csv: signpost, kind
    # and id; its second text column, observed, is often empty and read "sig None")
    named = [c for c in ROW_NAME_COLUMNS if c in text][:3] or text[:2]
    key_columns = named + [c for c in ("year",) if c in numbers.columns]
    for i, j in zip(*np.nonzero(bad), strict=True):
        row = df.iloc[int(i)]
        key = " ".join(str(row[c]) for c in key_columns if not pd.isna(row[c])) or f"row {int(i) + 1}"
        out.append(
            Problem.with_value(
                file,
                f"{key}.{numbers.columns[int(j)]}",
                "is not a finite number: the inputs are beyond what can be computed "
                "(check sizes, rates and confidence)",
                str(numbers.iat[int(i), int(j)]),
            )
        )
        if len(out) == limit:
            break
    return out
