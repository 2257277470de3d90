"""The what-if page's fan chart and background worker (forecast.commands.serve.view),
without a browser or a simulation."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast.commands.serve.view import Worker, _nice_top, fan_svg


def _markets(s: forecast.Scenario) -> pd.DataFrame:
    """A markets table shaped like Forecast.markets(): size grows 10% a year."""
    rows = []
    for m in s.markets:
        for k, y in enumerate(s.years):
            mid = 2.0 * 1.1**k
            rows.append(
                {"market": m.id, "year": y, "mean": mid, "sd": 0.1, "q05": 0.8 * mid, "q25": 0.9 * mid,
                 "q50": mid, "q75": 1.1 * mid, "q95": 1.2 * mid}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_fan_svg_has_a_panel_per_market_and_escapes_labels(tmp_path: Path) -> None:
    from tests.conftest import VALID_TOML, edit

    path = tmp_path / "s.toml"
    path.write_text(edit(VALID_TOML, 'label = "Widgets"', 'label = "<b>Widgets</b> & co"'), encoding="utf-8")
    s = forecast.load(path)
    svg = fan_svg(s, _markets(s))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == len(s.markets)  # one median line per market
    assert "&lt;b&gt;Widgets&lt;/b&gt; &amp; co" in svg and "<b>" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing to fetch


@pytest.mark.parametrize(("v", "top"), [(0.7, 1.0), (8.88, 10.0), (31.2, 50.0), (120.0, 200.0), (2.4, 2.5)])
def test_axis_tops_are_round_numbers_at_or_above_the_data(v: float, top: float) -> None:
    assert _nice_top(v) == pytest.approx(top)


def test_the_worker_runs_jobs_one_at_a_time_in_order() -> None:
    worker = Worker()
    seen: list[tuple[int, str]] = []

    def job(i: int) -> int:
        seen.append((i, threading.current_thread().name))
        return i * i

    def fail() -> None:
        raise ValueError("no")

    async def main() -> list[int]:
        futures = [worker.submit(job, i) for i in range(5)]
        with pytest.raises(ValueError, match="no"):
            await worker.submit(fail)
        return list(await asyncio.gather(*futures))

    assert asyncio.run(main()) == [0, 1, 4, 9, 16]
    assert [i for i, _ in seen] == [0, 1, 2, 3, 4]
    assert {name for _, name in seen} == {"forecast-serve-worker"}


def test_docstring_examples() -> None:
    import doctest

    from forecast.commands.serve import view

    result = doctest.testmod(view, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
