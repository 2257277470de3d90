"""The report's Sensitivity section: there for the headline targets (plus
``--sensitivity`` ones), absent when nothing was computed, never empty."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forecast.cli import main

EXTRA = "market.developer_tools@2027"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sens") / "deepseek"
    assert main(["run", "--out", str(out), "--draws", "2000", "--sensitivity", EXTRA, "--quiet"]) == 0
    return out


def test_section_five_explains_headlines_and_extra_targets(report: Path) -> None:
    md = (report / "report.md").read_text(encoding="utf-8")
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings[4] == "## 5. Sensitivity"
    section = md.split("## 5. Sensitivity", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^### What moves (.+) most$", section, flags=re.MULTILINE)
    assert blocks == [
        "Total market 2027 (USD bn)",
        "DeepSeek share of developer tools: revenue 2028 (USD bn)",
        "P(Sustainable independence as a specialised AI provider)",
        "Developer Tools 2027 (USD bn)",
    ]
    assert "| Input | First-order index | ± (95%) | Own-part index |" in section
    for i, name in enumerate(
        ["sensitivity.png", "sensitivity_2.png", "sensitivity_3.png", "sensitivity_4.png"]
    ):
        assert (report / "figures" / name).is_file(), name
        assert f"(figures/{name})" in section, i
    # the developer-tools table leads with its own CAGR and size
    dev = section.split("### What moves Developer Tools 2027 (USD bn) most", 1)[1]
    rows = [line for line in dev.splitlines() if line.startswith("| ") and "Input" not in line]
    assert rows[0].startswith("| Developer Tools CAGR |") and rows[1].startswith(
        "| Developer Tools size 2024 |"
    )


def test_html_has_one_table_and_figure_per_target(report: Path) -> None:
    html = (report / "report.html").read_text(encoding="utf-8")
    for tid in ("table-sensitivity", "table-sensitivity-2", "table-sensitivity-3", "table-sensitivity-4"):
        assert f'id="{tid}"' in html
    assert 'data-file="figures/sensitivity_4.png"' in html
    manifest = json.loads((report / "manifest.json").read_text())
    assert f"--sensitivity {EXTRA}" in manifest["command"]
    assert "sensitivity" in manifest["timings_seconds"]


def test_no_section_when_not_computed_or_empty(seed_forecast: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    for name, sens in (("none", None), ("empty_list", []), ("empty_frames", [pd.DataFrame({"input": []})])):
        write_report(seed_forecast, tmp_path / name, sensitivity=sens, figures=False)
        assert "Sensitivity" not in (tmp_path / name / "report.md").read_text(encoding="utf-8"), name


def test_nothing_uncertain_means_no_section(write: Callable[..., Path], workdir: Path) -> None:
    path = write(
        """\
id = "certain"
title = "Nothing uncertain"
as_of = 2025-01-01

[[markets]]
id = "a"
label = "A"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = 0.2
"""
    )
    assert main(["run", str(path), "--out", "out", "--draws", "200", "--quiet"]) == 0
    md = (workdir / "out" / "report.md").read_text(encoding="utf-8")
    assert "Sensitivity" not in md
    assert not list((workdir / "out" / "figures").glob("sensitivity*.png"))
    # a point CAGR of 20% grows the market by exactly 20% a year
    df = pd.read_csv(workdir / "out" / "markets.csv")
    assert df[(df["market"] == "a") & (df["year"] == 2025)]["q50"].iloc[0] == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sensitivity", "market.cloud@2027"], "target: no market 'cloud'"),
        (["--sensitivity", "total@2040"], "year 2040 is not simulated"),
        (["--sensitivity", EXTRA, "--no-sensitivity"], "not allowed with argument"),
    ],
)
def test_bad_target_exits_2_before_any_work(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["run", "--out", "out", "--draws", "200", "--quiet", *args]) == 2
    assert message in capsys.readouterr().err
    assert list(workdir.iterdir()) == []


def test_report_frames_are_what_the_section_shows(seed_forecast: Any) -> None:
    from forecast.analysis.tornado import REPORT_HEADERS, report_frames

    frames = report_frames(seed_forecast, [EXTRA], draws=1000)
    assert [f.attrs["target"] for f in frames] == [
        "total@2027",
        "revenue.deepseek_devtools@2028",
        "outcome.independence",
        EXTRA,
    ]
    for f in frames:
        assert list(f.columns) == list(REPORT_HEADERS)
        assert 1 <= len(f) <= 12
        assert f.attrs["baseline"] > 0 and f.attrs["description"]
