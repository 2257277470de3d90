"""Observed values read from a CSV column: the data of a ``dist = "samples"`` input.

A relative ``file`` is read from the scenario's folder: :func:`resolve_sample_files`
makes it absolute when the scenario file is read.
"""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path
from typing import Any

MAX_SAMPLES = 1_000_000


@functools.lru_cache(maxsize=64)
def read_column(file: str, column: str) -> tuple[float, ...]:
    """The numbers of one column of a CSV file (cached per process).

    Raises
    ------
    ValueError
        With the reason, when the file or column is missing or a cell is not a number.

    Examples
    --------
    >>> read_column("/no/such.csv", "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: cannot read samples file '/no/such.csv': ...
    """
    try:
        with open(file, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f"cannot read samples file {file!r}: {e.__class__.__name__}") from None
    if not rows or column not in rows[0]:
        have = sorted(rows[0]) if rows else []
        raise ValueError(f"samples file {file!r} has no column {column!r} (columns: {have})")
    out: list[float] = []
    for i, row in enumerate(rows, start=2):
        cell = (row.get(column) or "").strip()
        if not cell:
            continue
        try:
            v = float(cell)
        except ValueError:
            raise ValueError(
                f"samples file {file!r}, line {i}: {column} is not a number (got {cell!r})"
            ) from None
        if not math.isfinite(v):
            raise ValueError(f"samples file {file!r}, line {i}: {column} must be finite (got {cell!r})")
        out.append(v)
    if not 2 <= len(out) <= MAX_SAMPLES:
        raise ValueError(
            f"samples file {file!r} needs 2 to {MAX_SAMPLES:,} numbers in {column!r} (got {len(out)})"
        )
    return tuple(out)


def resolve_sample_files(data: Any, folder: Path) -> None:
    """Make every relative ``file`` of a ``dist = "samples"`` table absolute (in place)."""
    if isinstance(data, dict):
        f = data.get("file")
        if data.get("dist") == "samples" and isinstance(f, str) and not Path(f).is_absolute():
            data["file"] = str((folder / f).resolve())
        for v in data.values():
            resolve_sample_files(v, folder)
    elif isinstance(data, list):
        for v in data:
            resolve_sample_files(v, folder)
