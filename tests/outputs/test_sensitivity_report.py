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
    # numbered in order, after the forecast's own sections and before the inputs
    assert headings == [f"## {i}. {h.split('. ', 1)[1]}" for i, h in enumerate(headings, 1)]
    titles = [h.split(". ", 1)[1] for h in headings]
    assert titles.index("Sensitivity") == titles.index("Inputs and provenance") - 1
    section = _section(report)
    blocks = re.findall(r"^### What drives the uncertainty in (.+)$", section, flags=re.MULTILINE)
    assert blocks == [
        "Total market 2027 (USD bn)",
        "Revenue 2027 from DeepSeek share of developer tools (USD bn)",
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
    dev = section.split("### What drives the uncertainty in Developer Tools 2027 (USD bn)", 1)[1]
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


@pytest.fixture(scope="module")
def frames(seed_forecast: Any) -> list[pd.DataFrame]:
    """The report's tables for the seed forecast, with the default tornado draws."""
    from forecast.analysis.tornado import report_frames

    return report_frames(seed_forecast, [EXTRA])


def test_report_frames_are_what_the_section_shows(frames: list[pd.DataFrame]) -> None:
    from forecast.analysis.tornado import REPORT_HEADERS

    assert [f.attrs["target"] for f in frames] == [
        "total@2027",
        "revenue.deepseek_devtools@2027",
        "outcome.independence",
        EXTRA,
    ]
    for f in frames:
        assert list(f.columns) == list(REPORT_HEADERS)
        assert 1 <= len(f) <= 12
        assert f.attrs["baseline"] > 0 and f.attrs["description"]


# --- readable: plain words first, no negative index, same order, no blend's median -----


def _section(report: Path) -> str:
    md = (report / "report.md").read_text(encoding="utf-8")
    return re.split(r"^## \d+\. Sensitivity$", md, maxsplit=1, flags=re.MULTILINE)[1].split("\n## ", 1)[0]


def test_plain_words_first_and_the_method_in_a_note(report: Path) -> None:
    blocks = _section(report).split("\n### ")[1:]
    assert len(blocks) == 4
    for block in blocks:
        paragraphs = [p for p in block.split("\n\n")[1:] if p.strip()]
        assert " matters most: on its own it accounts for about " in paragraphs[0]
        assert "RBD-FAST" not in block.split("| Input |", 1)[0]  # method names only after the table
        assert "*Method: First-order index" in block.split("| Input |", 1)[1]


def test_no_negative_index_is_printed(report: Path) -> None:
    html = (report / "report.html").read_text(encoding="utf-8")
    import html as htmlmod

    cells = re.findall(r'<td class="num">([^<]*)</td>', html.split('id="sensitivity"', 1)[1])
    assert cells
    assert not [c for c in cells if htmlmod.unescape(c).strip().startswith(("-", "−"))]
    df = pd.read_csv(report / "sensitivity.csv")
    if (df["first_order"] < 0).any():
        assert "≈ 0" in html


def test_indices_adding_up_to_more_than_one_are_explained(report: Path) -> None:
    df = pd.read_csv(report / "sensitivity.csv")
    blocks = _section(report).split("\n### ")[1:]
    for (_, sub), block in zip(df.groupby("target", sort=False), blocks, strict=True):
        total = sub.loc[sub["first_order"] > 0, "first_order"].sum()
        assert ("more than 1, because the inputs are correlated" in block) == (total > 1), (total, block[:80])


def test_index_cell_reads_zero_with_its_interval() -> None:
    from forecast.outputs.briefing import index_cell

    assert index_cell(0.25, 0.02) == "0.250"
    assert index_cell(-0.004, 0.011) == "≈ 0 (< 0.007)"
    assert index_cell(-0.02, 0.01) == "≈ 0"
    assert index_cell(float("nan")) == "–"


def test_table_and_tornado_list_inputs_in_the_same_order(frames: list[pd.DataFrame]) -> None:
    from forecast.outputs.figures import _tornado_figure

    for f in frames:
        ax = _tornado_figure(f).axes[0]
        ticks = sorted(
            zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True), reverse=True
        )
        labels = [text.replace("\n", " ") for _, text in ticks]
        assert labels == [str(x) for x in f["input"].head(15)]


def test_the_tornado_of_a_blend_is_on_its_mean(frames: list[pd.DataFrame], seed_forecast: Any) -> None:
    from forecast.analysis.sensitivity import parse_target

    s = seed_forecast.scenario
    assert parse_target(s, "revenue.deepseek_devtools@2028").statistic == "mean"
    assert parse_target(s, "share.deepseek_devtools@2028").statistic == "mean"
    assert parse_target(s, "total@2027").statistic == "median"
    revenue = next(f for f in frames if f.attrs["target"] == "revenue.deepseek_devtools@2027")
    assert revenue.attrs["statistic"] == "mean"
    assert "a blend's median matches none of them" in revenue.attrs["caption"]


def test_api_tornado_and_report_agree_on_the_same_seed(
    frames: list[pd.DataFrame], seed_forecast: Any
) -> None:
    api = seed_forecast.tornado("total@2027")
    table = frames[0]
    assert table.attrs["target"] == "total@2027"
    assert api.attrs["base"] == table.attrs["baseline"]
    by_label = api.set_index("label")
    for r in table.itertuples():
        assert (r.low, r.high) == (by_label.loc[r.input, "low"], by_label.loc[r.input, "high"])
