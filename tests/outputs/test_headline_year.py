"""One headline year (issue 25): every headline of the report quotes the same year.

The summary, its sentences, the by-outcome table, the sensitivity and tornado targets,
the exceedance curve, the risk register's market and the Forecast's repr all quote
:attr:`Scenario.headline_year`: the file's ``report.headline_year`` when it states one,
else the last projection year (the latest ``markets.*.projection.year`` simulated),
else the last simulated year.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.errors import ScenarioError

#: every phrase of the report that quotes the headline year (each must be found)
PHRASES = {
    "summary: total": r"Total market (\d{4}): \*\*",
    "summary: expected revenue": r"Expected revenue (\d{4}) in ",
    "summary: share by outcome": r"- DeepSeek share of developer tools (\d{4}): \*\*",
    "sentence: company": r"DeepSeek share of developer tools in (\d{4}) depends on the outcome",
    "sentence: growth": r"a year from 2024 to (\d{4}) \(",
    "sentence: driver": r"What drives the uncertainty in Total market (\d{4})",
    "by-outcome text": r"In (\d{4}), among the draws where each outcome happened",
    "by-outcome table": r"\| Share (\d{4}) \(median\) \| Revenue (\d{4}) \(mean",
    "sensitivity: total": r"### What drives the uncertainty in Total market (\d{4})",
    "sensitivity: revenue": r"### What drives the uncertainty in Revenue (\d{4}) from DeepSeek share",
    "exceedance": r"\(target total@(\d{4})\)",
    "risk register": r"Total of all markets (\d{4}) \(USD bn\): if it happens",
}


def _report(s: Any, folder: Path) -> tuple[str, Any]:
    """``report.md`` of ``s`` (2,000 draws, the tornado on 200) and its Forecast."""
    from forecast.analysis.tornado import report_frames
    from forecast.outputs.report import write_report

    fc = forecast.simulate(s, draws=2000)
    write_report(fc, folder, sensitivity=report_frames(fc, draws=200), figures=False, workbook=False)
    return (folder / "report.md").read_text(encoding="utf-8"), fc


def _years_quoted(md: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for name, pattern in PHRASES.items():
        hits = re.findall(pattern, md)
        assert hits, f"{name}: {pattern!r} is not in the report"
        found[name] = {int(y) for h in hits for y in ([h] if isinstance(h, str) else h)}
    return found


@pytest.fixture(scope="module")
def seed() -> Any:
    return forecast.load(forecast.bundled("deepseek"))


@pytest.mark.parametrize(
    ("chosen", "year"),
    [
        (None, 2027),  # the seed's projections are for 2027; its grid runs to 2028
        (2028, 2028),  # the file's own choice wins: the last simulated year
        (2026, 2026),  # ... or a year that is neither a projection year nor the last
    ],
)
def test_every_headline_quotes_the_one_headline_year(
    seed: Any, chosen: int | None, year: int, tmp_path: Path
) -> None:
    from forecast.analysis.sensitivity import headline_targets
    from forecast.outputs.exceedance import exceedance_targets

    s = seed if chosen is None else seed.with_overrides({"report.headline_year": chosen})
    assert s.headline_year == year
    md, fc = _report(s, tmp_path)
    found = _years_quoted(md)
    # a revenue is named as one thing (issue 25): never "<share label>: (expected) revenue"
    assert not re.search(r"share of developer tools: (expected )?revenue", md, flags=re.IGNORECASE)
    assert {name: ys for name, ys in found.items() if ys != {year}} == {}
    assert headline_targets(s) == [
        f"total@{year}",
        f"revenue.deepseek_devtools@{year}",
        "outcome.independence",
    ]
    assert exceedance_targets(s)[0] == f"total@{year}"
    assert f"markets in {year} (median)" in repr(fc)
    # the by-outcome table is read in that year: the draws of that year's column
    j = s.years.index(year)
    by = fc.by_outcome()
    share = fc.values("share")[:, 0, j]
    first = by.iloc[0]
    sel = fc.values("realized_outcome") == s.outcome_ids.index(str(first.outcome))
    assert first.share_q50 == pytest.approx(float(np.median(share[sel])), rel=1e-12)


@pytest.mark.parametrize(
    ("projections", "end_year", "year"),
    [
        ([2027, 2026], 2028, 2027),  # the last stated projection year
        ([2026, None], 2028, 2026),
        ([2030, 2026], 2028, 2026),  # a projection beyond the simulated years is not the headline
        ([None, None], 2028, 2028),  # none: the last simulated year
        ([2028, None], 2028, 2028),  # exactly the last simulated year
    ],
)
def test_by_default_the_headline_year_is_the_last_projection_year_simulated(
    projections: list[int | None], end_year: int, year: int
) -> None:
    markets = []
    for i, p in enumerate(projections):
        m: dict[str, Any] = {"id": f"m{i}", "label": f"M{i}", "unit": "bn", "base_year": 2024, "size": 1.0}
        m.update({"cagr": 0.2} if p is None else {"projection": {"year": p, "value": 1.5}})
        markets.append(m)
    data = {
        "id": "s",
        "title": "S",
        "as_of": "2025-01-01",
        "markets": markets,
        "simulation": {"end_year": end_year},
    }
    s = forecast.Scenario.from_dict(data)
    assert s.headline_year == year
    assert s.with_overrides({"report.headline_year": 2025}).headline_year == 2025


@pytest.mark.parametrize("year", [2024, 2029, 1900])
def test_a_headline_year_off_the_grid_is_a_problem(seed: Any, year: int) -> None:
    with pytest.raises(ScenarioError) as e:
        seed.with_overrides({"report.headline_year": year})
    [problem] = e.value.problems
    assert problem.path == "report.headline_year"
    assert f"must be a simulated year after the base year: 2025-2028 (got {year})" in str(problem)


def test_the_headline_year_from_a_file(write: Any) -> None:
    """``[report] headline_year`` in a file (here a child of the seed) is read and wins."""
    path = write(
        f'extends = "{forecast.bundled("deepseek")}"\n\n[report]\nheadline_year = 2028\n', "child.toml"
    )
    assert forecast.load(path).headline_year == 2028
