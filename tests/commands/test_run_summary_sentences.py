"""``forecast run``'s terminal summary on its branches: a what-if says so first and lists
each change (with how it was made, or without); the file as written starts with the
market table; the report's what-if line counts the inputs (one, two). The seed forecast (a session fixture, no new compile)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forecast.commands.run import _print_summary
from forecast.outputs.whatif import Change


def test_a_what_if_says_so_first_and_lists_each_change(
    seed_forecast: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = [
        Change("markets.developer_tools.cagr", "median 0.47, sigma 0.08", "median 0.3, sigma 0.08", "centre moved, spread kept"),
        Change("markets.developer_tools.projection", "year 2027, value 9.8", "(removed)"),
    ]  # fmt: skip
    _print_summary(seed_forecast, tmp_path, changes)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        f"What-if: {seed_forecast.scenario.title} — not the scenario as written",
        "  markets.developer_tools.cagr: median 0.47, sigma 0.08 → median 0.3, sigma 0.08 (centre moved, spread kept)",
        "  markets.developer_tools.projection: year 2027, value 9.8 → (removed)",
    ]
    assert lines[-1] == f"Report: {tmp_path / 'report.html'}"


def test_the_file_as_written_starts_with_the_market_table(
    seed_forecast: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.outputs.formatting import key_year

    _print_summary(seed_forecast, tmp_path)
    out = capsys.readouterr().out
    assert "What-if" not in out
    # the seed's inputs are real data: no illustrative flag before the table
    assert (
        out.splitlines()[0].strip()
        == f"Market size in {key_year(seed_forecast.scenario)} (median and 90% interval)"
    )


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"simulation.draws": 2000}, "1 input differs from"),
        # a new CAGR displaces the projection it would contradict: two inputs
        ({"markets.developer_tools.cagr": 0.3}, "2 inputs differ from"),
    ],
)
def test_the_reports_what_if_line_counts_the_inputs_that_differ(
    seed_forecast: Any, tmp_path: Path, overrides: dict[str, Any], words: str
) -> None:
    import dataclasses

    from forecast.outputs.report import write_report
    from forecast.outputs.whatif import changes

    base = seed_forecast.scenario
    new = base.with_overrides(overrides)
    fc = dataclasses.replace(seed_forecast, scenario=new)
    write_report(fc, tmp_path, figures=False, whatif=changes(base, new, overrides))
    md = (tmp_path / "report.md").read_text()
    written = Path(base.origin.split(" with ")[0]).name
    assert f"**What-if run:** not the scenario as written: {words} {written}." in md


def test_a_prediction_every_draw_agreed_on_quotes_the_bound_as_the_report_does(
    seed_forecast: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.outputs.formatting import mc_error

    preds = seed_forecast.predictions().copy()
    preds.loc[preds.index[0], ["probability", "mcse"]] = [0.0, 0.00015]

    class Stand:  # the seed forecast, with its first prediction at 0 in every draw
        def __getattr__(self, name: str) -> Any:
            return getattr(seed_forecast, name)

        def predictions(self) -> Any:
            return preds

    _print_summary(Stand(), tmp_path)  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert mc_error(0.0, 0.00015, sign=False) == "< 3/n = 0.015 pp"
    assert "< 3/n = 0.015 pp" in out
    # every other row quotes its error as the report's table does
    for r in preds.iloc[1:].itertuples():
        assert mc_error(r.probability, r.mcse, sign=False) in out
