"""Dates in scenario files, and where a date falls on the simulation's year grid."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator


def _to_date(value: object) -> object:
    """Accept a TOML date, ``"YYYY-MM"`` / ``"YYYY-MM-DD"`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", value.strip())
        if not m:
            raise ValueError(f'must be a date like 2026-07-01 or "2026-07" (got {value!r})')
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError as e:
            raise ValueError(f"is not a real date: {e} (got {value!r})") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_to_date)]


def year_fraction(d: dt.date) -> float:
    """A date as a fractional year: 2026-07-01 -> 2026.496.

    Examples
    --------
    >>> year_fraction(dt.date(2025, 1, 1))
    2025.0
    """
    start = dt.date(d.year, 1, 1)
    days = (dt.date(d.year + 1, 1, 1) - start).days
    return d.year + (d - start).days / days


def model_time(d: dt.date) -> float:
    """A date on the model's time axis, on which year ``Y``'s figure stands at ``Y``.

    Market sizes are annual figures (a year's revenue), so the figure for year ``Y``
    is read in the middle of the year, on 1 July of ``Y``: 2026-07-01 is 2026.0 on
    this axis and 1 January 2025 is about 2024.5. Deadlines, share-path dates and
    ``as_of`` all go through this one function; evidence years are annual figures.

    Examples
    --------
    >>> model_time(dt.date(2026, 7, 1))
    2026.0
    >>> round(model_time(dt.date(2025, 1, 1)), 3)
    2024.504
    """
    mid = dt.date(d.year, 7, 1)
    days = (dt.date(d.year + 1, 1, 1) - dt.date(d.year, 1, 1)).days
    return d.year + (d - mid).days / days
