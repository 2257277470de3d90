"""The sweep's sentences on every branch: its report's first line (one case, several;
cases not computed, one or several; more cases than the table shows), the terminal
summary (cases ok, invalid, failed; the options chosen in one case or several) and the
lines on stderr counting failed and invalid cases. Small tables written by hand; no
simulation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.commands.sweep import _print_summary
from forecast.outputs import sweep as sweep_report
from forecast.outputs.formatting import count, environment
from forecast.outputs.sweep import problem_line


def _table(statuses: list[str], chosen: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for case, status in enumerate(statuses):
        ok = status == "ok"
        rows.append(
            {
                "case": case,
                "case_key": f"cagr={case}",
                "scenario": "deepseek",
                "cagr": case,
                "status": status,
                "quantity": "outcome.win" if ok else "",
                "year": None,
                "statistic": "probability" if ok else "",
                "value": 0.4 if ok else np.nan,
                "mcse": 0.01 if ok else np.nan,
                "problem": "" if ok else f"a.toml: cagr: bad {case}",
                "chosen_option": (chosen[case] if chosen else "") if ok else "",
                "criterion": "expected" if chosen and ok else "",
            }
        )
    table = pd.DataFrame(rows)
    table["year"] = table["year"].astype("Int64")
    return table


def _first_lines(table: pd.DataFrame) -> tuple[str, str]:
    ctx = sweep_report._context(table, ["cagr"], [], {"command": "forecast sweep"}, [])
    md = environment(markdown=True).get_template("sweep.md.j2").render(**ctx)
    html = environment().get_template("sweep.html.j2").render(**ctx)
    return md, html


@pytest.mark.parametrize(
    ("statuses", "first", "problems"),
    [
        (["ok"], "1 of 1 case ok, sweeping `cagr`.", None),
        (["ok", "ok", "ok"], "3 of 3 cases ok, sweeping `cagr`.", None),
        (["ok", "invalid", "ok"], "2 of 3 cases ok, sweeping `cagr`.", "1 case not computed:"),
        (["failed", "invalid", "ok"], "1 of 3 cases ok, sweeping `cagr`.", "2 cases not computed:"),
    ],
)
def test_the_reports_first_line_counts_the_cases_ok_and_those_not_computed(
    statuses: list[str], first: str, problems: str | None
) -> None:
    md, html = _first_lines(_table(statuses))
    assert md.splitlines()[2] == first
    assert first.replace("`cagr`", "<code>cagr</code>") in html
    if problems is None:
        assert "not computed" not in md and "not computed" not in html
    else:
        assert f"**{problems}**" in md and f"<strong>{problems}</strong>" in html
        bad = [i for i, s in enumerate(statuses) if s != "ok"]
        listed = [line for line in md.splitlines() if line.startswith("- case ")]
        assert listed == [f"- case {i} (`cagr={i}`), {statuses[i]}: a.toml: cagr: bad {i}" for i in bad]


@pytest.mark.parametrize(("more", "text"), [(1, "1 more is in"), (2, "2 more are in")])
def test_a_table_cut_short_says_how_many_cases_are_left_out(
    monkeypatch: pytest.MonkeyPatch, more: int, text: str
) -> None:
    monkeypatch.setattr(sweep_report, "MAX_ROWS", 2)
    md, _ = _first_lines(_table(["ok"] * (2 + more)))
    assert f"The first 2 cases; {text} `sweep.csv`." in md


@pytest.mark.parametrize(
    ("statuses", "chosen", "lines"),
    [
        (["ok", "ok"], None, ["Sweep: 2 of 2 cases ok, 0 invalid, 0 failed"]),
        (["ok"], None, ["Sweep: 1 of 1 case ok, 0 invalid, 0 failed"]),
        (
            ["ok", "invalid", "failed", "ok", "ok"],
            ["build", "", "", "wait", "build"],
            [
                "Sweep: 3 of 5 cases ok, 1 invalid, 1 failed",
                "Decision (expected): build in 2 cases, wait in 1 case; expected payoffs with their Monte "
                "Carlo error in sweep.csv (quantity 'decision', 'option.<id>')",
            ],
        ),
    ],
)
def test_the_terminal_summary_counts_the_cases_and_the_options_chosen(
    statuses: list[str], chosen: list[str] | None, lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    invalid, failed = statuses.count("invalid"), statuses.count("failed")
    _print_summary(_table(statuses, chosen), Path("out"), len(statuses), invalid, failed, False)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == lines[0]
    assert out[1:3] == [
        "Table: out/sweep.csv (and sweep.parquet); draws not kept (--keep-draws keeps them)",
        "Report: out/report.html",
    ]
    assert out[3:] == lines[1:]


@pytest.mark.parametrize(
    ("n", "status", "line"),
    [
        (1, "failed", "forecast: 1 case failed (marked 'failed' in sweep.csv); run the same command again to retry it"),
        (3, "failed", "forecast: 3 cases failed (marked 'failed' in sweep.csv); run the same command again to retry them"),
        (1, "invalid", "forecast: 1 case invalid (marked 'invalid' in sweep.csv)"),
        (2, "invalid", "forecast: 2 cases invalid (marked 'invalid' in sweep.csv)"),
    ],
)  # fmt: skip
def test_the_lines_on_stderr_count_failed_and_invalid_cases(n: int, status: str, line: str) -> None:
    assert problem_line(n, status) == line


def test_count_words_one_and_several() -> None:
    assert [count(n, "case") for n in (0, 1, 2, 1500)] == ["0 cases", "1 case", "2 cases", "1,500 cases"]
