"""Text from a scenario is escaped wherever it lands: CSV cells never run as
spreadsheet formulas, report.md never fetches a remote image or links anywhere."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

import forecast
from forecast.outputs.formatting import md_cell
from forecast.outputs.tables import FORMULA_STARTS, neutralise_formula

FORMULA = '=HYPERLINK("http://evil.example/x", "click me")'
HOSTILE = {
    "title": "# Title ![t](http://evil.example/title.png)",
    "description": "![t](http://evil.example/p.png) [x](javascript:alert(1)) <img src=x> see www.evil.example",
    "assessment.outcomes.independence.label": FORMULA,
    "assessment.outcomes.acquired.label": "+1 234 (a phone number, or a formula)",
    "assessment.outcomes.struggling.label": "@SUM(A1:A9)",
    "predictions.devtools_leadership.statement": "-2+3 [link](http://evil.example)",
    "markets.developer_tools.label": "=1+1",
    "markets.developer_tools.notes": "[ref]: http://evil.example\n- list item\n# heading",
    "markets.developer_tools.size.source": "![s](https://evil.example/s.png) http://evil.example/src",
}


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = forecast.load(forecast.bundled("deepseek")).with_overrides(HOSTILE)
    folder = tmp_path_factory.mktemp("hostile")
    forecast.simulate(scenario, draws=500, seed=1).write_report(folder, figures=False)
    return folder


def cells(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_no_csv_cell_starts_a_formula(hostile_report: Path) -> None:
    every = {
        name: cells(hostile_report / name) for name in ("markets.csv", "outcomes.csv", "predictions.csv")
    }
    for values in every.values():
        for cell in values:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a number may start with - or +
    assert "'" + FORMULA in every["outcomes.csv"]
    assert "'@SUM(A1:A9)" in every["outcomes.csv"]
    assert "'+1 234 (a phone number, or a formula)" in every["outcomes.csv"]
    assert "'-2+3 [link](http://evil.example)" in every["predictions.csv"]


@pytest.mark.parametrize("text", ["=1", "+1", "-x", "@x", "\tx", "\rx"])
def test_neutralise_formula(text: str) -> None:
    assert neutralise_formula(text) == "'" + text
    assert neutralise_formula(-1.0) == -1.0 and neutralise_formula("a=b") == "a=b"


def _render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    # GitHub-like: tables, strikethrough and bare URLs turned into links
    return MarkdownIt("gfm-like", {"linkify": True}).enable("linkify").render(markdown)


def test_report_md_has_no_remote_image_or_link(hostile_report: Path) -> None:
    md = (hostile_report / "report.md").read_text()
    html = _render(md)
    assert "evil.example" in html  # the text is there, as text
    assert "<img" not in html.replace('<img src="figures/', "")  # only the report's own figures
    assert "<a " not in html  # no link at all (javascript: or http: ones stay text)
    assert html.count("<h1>") == 1 and "<h1># Title ![t](http://evil.example/title.png)</h1>" in html
    assert "<li>list item" not in html and "<h1>heading" not in html  # the notes stay one line of text


@pytest.mark.parametrize(
    "text",
    [
        "![t](http://evil.example/p.png)",
        "[x](javascript:alert(1))",
        "<img src=http://evil.example/p.png>",
        "http://evil.example www.evil.example",
        "[a]: http://evil.example",
        "# heading",
        "- item",
        "1. item",
    ],
)
def test_md_cell_leaves_no_markup(text: str) -> None:
    html = _render(md_cell(text))
    assert html.startswith("<p>") and "<a " not in html and "<img" not in html, html
    assert html.count("<") == 2  # <p> and </p>: nothing else became markup


def test_report_text_reads_the_same(hostile_report: Any) -> None:
    """Escaping changes the Markdown source, not what a reader sees."""
    html = _render(md_cell(HOSTILE["description"]))
    assert (
        "![t](http://evil.example/p.png) [x](javascript:alert(1)) &lt;img src=x&gt; see www.evil.example"
        in html
    )
