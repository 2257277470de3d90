"""CSV tables: one writer, one format, for every table a command writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_csv_tables(folder: str | Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write ``<name>.csv`` per table in one fixed format, so that the same seed gives
    byte-identical files (6 significant digits, ``\\n`` line ends, no index).

    Examples
    --------
    >>> write_csv_tables("out", {"markets": fc.markets()})  # doctest: +SKIP
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False, float_format="%.6g", lineterminator="\n")
