"""The report: numbers match the CSV files, sections, self-containment, formatting.

Most tests read the one report folder the session writes with ``forecast run``
(the ``seed_report`` fixture); tests of optional sections render a report of the
shared ``seed_forecast`` without figures, which takes a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.outputs.formatting import CSP, interval, pct, pp, sig
from forecast.outputs.sections import input_rows

# --- parsing the documents back ------------------------------------------------------


class _Tables(HTMLParser):
    """Every ``<table id=...>`` of an HTML document as a list of rows of cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str]] = []
        self.resources: list[str] = []
        self.meta: list[dict[str, str]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href", "srcset", "poster", "data", "action"):
            if key in a:
                self.resources.append(a[key])
        if tag == "table":
            self._table = a.get("id", f"anon{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(a)
        elif tag == "meta":
            self.meta.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(path: Path) -> _Tables:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def md_table_after(md: str, heading: str, nth: int = 0) -> list[list[str]]:
    """Rows (header first) of the ``nth`` table after the heading line ``heading``."""
    lines = md.splitlines()
    start = lines.index(heading)
    rows: list[list[str]] = []
    seen = -1
    for line in lines[start + 1 :]:
        if line.startswith("#") and rows:
            break
        if line.startswith("|"):
            if not rows or rows[-1] == []:
                seen += 1
            cells = [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split(" | ")]
            if seen == nth and not set(line) <= set("|-: "):
                rows.append(cells)
        elif rows and seen == nth:
            break
        elif line.strip() == "" and rows:
            rows.append([])
    return [r for r in rows if r]


def number(text: str) -> float:
    """``'1,230'`` -> 1230.0, ``'40.1%'`` -> 0.401."""
    t = text.replace(",", "").strip()
    if t.endswith("%"):
        return float(t[:-1]) / 100
    return float(t)


# --- numbers in the documents match the CSV files -----------------------------------


@pytest.fixture(scope="module")
def csv(seed_report: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(seed_report / f"{name}.csv") for name in ("markets", "outcomes", "predictions")}


@pytest.fixture(scope="module")
def html(seed_report: Path) -> _Tables:
    return html_tables(seed_report / "report.html")


@pytest.fixture(scope="module")
def md(seed_report: Path) -> str:
    return (seed_report / "report.md").read_text(encoding="utf-8")


MARKETS = ["total", "enterprise_llm_apis", "vertical_solutions", "developer_tools", "open_source_support"]
LABELS = {
    "total": "Total of all markets",
    "enterprise_llm_apis": "Enterprise LLM APIs",
    "vertical_solutions": "Vertical Solutions",
    "developer_tools": "Developer Tools",
    "open_source_support": "Open Source Support",
}


def _expected_market_row(df: pd.DataFrame, market: str, year: int) -> list[str]:
    r = df[(df["market"] == market) & (df["year"] == year)].iloc[0]
    return [str(year), sig(r.q50), interval(r.q25, r.q75), interval(r.q05, r.q95), sig(r["mean"])]


@pytest.mark.parametrize("market", MARKETS)
def test_market_tables_match_markets_csv(
    market: str, csv: dict[str, pd.DataFrame], html: _Tables, md: str
) -> None:
    df = csv["markets"]
    years = sorted(df.loc[df["market"] == market, "year"])
    html_rows = html.tables[f"table-market-{market}"]
    md_rows = md_table_after(md, f"### {LABELS[market]}")
    assert html_rows[0] == md_rows[0]
    assert html_rows[0][:5] == ["Year", "Median", "50% interval", "90% interval", "Mean"]
    assert len(html_rows) == len(md_rows) == len(years) + 1
    for year, h, m in zip(years, html_rows[1:], md_rows[1:], strict=True):
        expected = _expected_market_row(df, market, year)
        assert h[:5] == expected
        assert m[:5] == expected
        # and the shown median is the CSV's within its rounding (3 significant figures)
        q50 = float(df[(df["market"] == market) & (df["year"] == year)]["q50"].iloc[0])
        assert number(h[1]) == pytest.approx(q50, rel=5e-3)


def test_outcome_table_matches_outcomes_csv(csv: dict[str, pd.DataFrame], html: _Tables, md: str) -> None:
    df = csv["outcomes"]
    rows = html.tables["table-outcomes"]
    assert rows == md_table_after(md, "### Stated and simulated probabilities")
    assert rows[0] == ["Outcome", "Stated", "Simulated", "90% interval", "MCSE"]
    for r, row in zip(df.itertuples(), rows[1:], strict=True):
        assert row == [r.label, pct(r.stated), pct(r.probability), interval(r.q05, r.q95, pct), pp(r.mcse)]
        assert number(row[2]) == pytest.approx(r.probability, rel=5e-3)


def test_prediction_table_matches_predictions_csv(
    csv: dict[str, pd.DataFrame], html: _Tables, md: str
) -> None:
    df = csv["predictions"]
    rows = html.tables["table-predictions"]
    assert rows == md_table_after(md, "### Dated predictions")
    # the scenario's words, not the report's helpers: a threshold is judged "at" its
    # deadline unless it says "by"; an event comes true by its deadline
    seed = forecast.load(forecast.bundled("deepseek"))
    on = {p.id for p in seed.predictions if p.quantity is not None and p.when != "by"}
    for r, row in zip(df.itertuples(), rows[1:], strict=True):
        assert 0 < r.probability < 1  # else the error column shows the rule-of-three bound
        when = f"on {r.deadline}" if r.id in on else f"by {r.deadline}"
        assert row[:4] == [r.statement, when, pct(r.probability), pp(r.mcse)]
        assert number(row[2]) == pytest.approx(r.probability, rel=5e-3)
        assert float(row[3].removesuffix(" pp")) / 100 == pytest.approx(r.mcse, rel=0.05)


def test_company_table_matches_markets_csv(csv: dict[str, pd.DataFrame], html: _Tables) -> None:
    df = csv["markets"]
    rows = html.tables["table-position-deepseek_devtools"]
    share = df[df["market"] == "share.deepseek_devtools"]
    revenue = df[df["market"] == "revenue.deepseek_devtools"]
    for a, b, row in zip(share.itertuples(), revenue.itertuples(), rows[1:], strict=True):
        assert row == [
            str(a.year),
            pct(a.q50),
            interval(a.q05, a.q95, pct),
            sig(b.q50),
            interval(b.q05, b.q95),
            sig(b.mean),
        ]


def test_summary_headline_numbers_match_the_csv(
    seed_report: Path, csv: dict[str, pd.DataFrame], md: str
) -> None:
    df = csv["markets"]
    total = df[(df["market"] == "total") & (df["year"] == 2027)].iloc[0]
    line = next(x for x in md.splitlines() if x.startswith("- Total market 2027:"))
    assert f"**{sig(total.q50)} USD bn**" in line
    assert interval(total.q05, total.q95) in line
    assert "stated 49.6" in line  # 22.1 + 15.3 + 9.8 + 2.4, the seed's 2027 column
    html_text = (seed_report / "report.html").read_text(encoding="utf-8")
    for r in csv["outcomes"].itertuples():
        assert f"- {r.label}: **{pct(r.probability)}**" in md
        assert f'<div class="value">{pct(r.probability)}</div>' in html_text


# --- sections --------------------------------------------------------------------------


def test_sections_in_order_without_an_empty_sensitivity(html: _Tables, md: str) -> None:
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings == [
        "## 1. Summary",
        "## 2. Markets",
        "## 3. Outcomes",
        "## 4. Predictions and signposts",
        "## 5. Metrics",
        "## 6. Risks and open questions",
        "## 7. Inputs and provenance",
        "## 8. Reproducibility",
    ]
    assert "Sensitivity" not in md
    assert "table-sensitivity" not in html.tables


def test_figures_are_embedded_in_html_and_linked_from_markdown(
    seed_report: Path, html: _Tables, md: str
) -> None:
    files = sorted(str(p.relative_to(seed_report)) for p in (seed_report / "figures").glob("*.png"))
    # total + 4 markets + company (blend and by outcome) + outcomes + signposts + predictions
    # + the risk register's heat map + the exceedance curves of the total and of the two
    # metrics that are one number per draw (the 2025-2028 sum and the NPV) + a figure per
    # metric of the Metrics section (the yearly revenue's fan, the two scalars' distributions)
    assert len(files) == 17
    assert sorted(i["data-file"] for i in html.images) == files
    assert all(i["src"].startswith("data:image/png;base64,") and i["alt"] for i in html.images)
    linked = sorted(re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md))
    assert linked == files


def test_html_is_self_contained(seed_report: Path, html: _Tables) -> None:
    text = (seed_report / "report.html").read_text(encoding="utf-8")
    # resources: only data: URIs and in-page anchors, never http(s) or relative files
    assert all(r.startswith(("data:", "#")) for r in html.resources), [r[:60] for r in html.resources]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text
    csp = [m["content"] for m in html.meta if m.get("http-equiv", "").lower() == "content-security-policy"]
    assert csp == [CSP]
    assert "default-src 'none'" in CSP and "img-src data:" in CSP
    assert "@media print" in text


def test_signpost_effects_match_forecast_signposts(
    seed_forecast: Any, html: _Tables, seed_report: Path
) -> None:
    sp = seed_forecast.signposts()
    rows = html.tables["table-signpost-next_model_release"]
    assert rows[0] == ["Outcome or prediction", "Now", "If observed true", "If observed false"]
    for r, row in zip(sp.itertuples(), rows[1:], strict=False):
        assert row[1:] == [pct(r.now), pct(r.if_true), pct(r.if_false)]
    # then every prediction, as in signposts.csv
    effects = pd.read_csv(seed_report / "signposts.csv")
    preds = effects[effects["kind"] == "prediction"]
    assert [row[0] for row in rows[1 + len(sp) :]] == [f"Prediction: {x}" for x in preds["label"]]
    for r, row in zip(preds.itertuples(), rows[1 + len(sp) :], strict=True):
        assert row[1:] == [pct(r.now), pct(r.if_true), pct(r.if_false)]
    # the signpost's state reads as a sentence
    md = (seed_report / "report.md").read_text(encoding="utf-8")
    chance = pct(sp["p_true"].iloc[0])
    assert f"Not yet observed: the model gives it a {chance} chance of being observed true." in md


def test_by_outcome_table(seed_forecast: Any, html: _Tables) -> None:
    by = seed_forecast.by_outcome()
    rows = html.tables["table-by-outcome-deepseek_devtools"]
    assert len(rows) == len(by) + 1
    for r, row in zip(by.itertuples(), rows[1:], strict=True):
        assert row[1:4] == [pct(r.probability), pct(r.share_q50), sig(r.revenue_mean)]


def test_every_input_is_listed_with_its_basis(seed_forecast: Any, html: _Tables) -> None:
    s = seed_forecast.scenario
    rows = html.tables["table-inputs"]
    keys = [r[0] for r in rows[1:]]
    for m in s.markets:
        for k in ("size", "projection", "cagr", "volatility"):
            assert f"markets.{m.id}.{k}" in keys
    assert "correlation.common_factor" in keys
    assert "assessment.confidence" in keys
    assert sum(k.startswith("positions.deepseek_devtools.path[") for k in keys) == 7
    by_key = {r[0]: r for r in rows[1:]}
    assert by_key["markets.developer_tools.size"][3] == "source"
    assert by_key["markets.developer_tools.volatility"][3] == "assumption"
    assert by_key["markets.developer_tools.size"][5].startswith("assumption: sigma 0.10")
    assert by_key["markets.developer_tools.projection"][2] == "9.8 USD bn"
    assert all(r[3] in ("source", "assumption") for r in rows[1:])


def test_input_basis_follows_quantity_is_assumption(seed_forecast: Any) -> None:
    s = seed_forecast.scenario
    rows = {r["key"]: r for r in input_rows(s)}
    for m in s.markets:
        assert rows[f"markets.{m.id}.size"]["basis"] == ("assumption" if m.size.is_assumption else "source")
    for o in s.assessment.outcomes:
        assert rows[f"assessment.outcomes.{o.id}.probability"]["basis"] == "source"


def test_reproducibility_lists_seed_hash_versions_command(seed_report: Path, html: _Tables) -> None:
    import json

    manifest = json.loads((seed_report / "manifest.json").read_text())
    rows = dict((r[0], r[1]) for r in html.tables["table-reproducibility"][1:])
    assert rows["Random seed"] == str(manifest["seed"])
    assert rows["Scenario SHA-256"] == manifest["scenario"]["sha256"]
    assert rows["Command"] == manifest["command"]
    for pkg in ("forecast", "pymc", "pytensor", "arviz", "numpy", "nutpie", "python"):
        assert rows[f"{pkg} version"] == manifest["versions"][pkg]


# --- optional sections: sensitivity, evidence, diagnostics -------------------------


def test_sensitivity_section_appears_only_when_given(seed_forecast: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    df = pd.DataFrame(
        {
            "input": ["markets.developer_tools.cagr", "assessment.confidence"],
            "low": [8.1, 9.5],
            "high": [12.4, 10.2],
        }
    )
    df.attrs.update({"target": "market.developer_tools@2027", "baseline": 9.8})
    write_report(seed_forecast, tmp_path / "with", sensitivity=df)
    md = (tmp_path / "with" / "report.md").read_text()
    assert re.search(r"^## \d+\. Sensitivity$", md, flags=re.MULTILINE)  # numbered after the forecast's own
    assert "### What drives the uncertainty in market.developer_tools@2027" in md
    assert (tmp_path / "with" / "figures" / "sensitivity.png").is_file()
    assert md_table_after(md, "### What drives the uncertainty in market.developer_tools@2027")[1] == [
        "markets.developer_tools.cagr",
        "8.10",
        "12.4",
    ]
    write_report(seed_forecast, tmp_path / "empty", sensitivity=df.iloc[:0], figures=False)
    assert "Sensitivity" not in (tmp_path / "empty" / "report.md").read_text()


def test_sensitivity_hook_accepts_forecast_sensitivity_output(seed_forecast: Any, tmp_path: Path) -> None:
    """Whatever columns Forecast.sensitivity returns, the section renders them all."""
    if not hasattr(seed_forecast, "sensitivity"):
        pytest.skip("Forecast.sensitivity is not there yet")
    from forecast.outputs.report import write_report

    df = seed_forecast.sensitivity("total@2027")
    write_report(seed_forecast, tmp_path, sensitivity=df, figures=False)
    rows = html_tables(tmp_path / "report.html").tables["table-sensitivity"]
    assert rows[0] == [str(c) for c in df.columns]
    assert len(rows) == len(df) + 1


@pytest.fixture(scope="module")
def conditioned(seed_forecast: Any) -> Any:
    """A stand-in for a NUTS forecast: the seed draws as 'posterior' with evidence and
    diagnostics attached. It exercises the report's evidence and diagnostics sections
    without compiling a sampler (forecast.engine.inference has its own tests)."""
    import xarray as xr

    s = seed_forecast.scenario.with_overrides(
        {
            "evidence": [
                {"market": "developer_tools", "year": 2025, "value": 4.9, "rel_error": 0.1, "source": "test"}
            ]
        }
    )
    groups = {name: seed_forecast.data[name].to_dataset() for name in seed_forecast.data.children}
    post = groups["prior"].copy()
    post["market_size"] = groups["prior"]["market_size"] * 1.1
    tree = xr.DataTree.from_dict(
        {**groups, "posterior": post, "posterior_predictive": groups["prior_predictive"]}
    )
    diag = pd.DataFrame(
        {
            "variable": ["growth", "size"],
            "rhat": [1.002, 1.03],
            "ess_bulk": [1500.0, 350.0],
            "ess_tail": [900.0, 800.0],
        }
    )
    diag.attrs.update(
        {"divergences": 2, "sampler": "nutpie", "chains": 4, "draws_per_chain": 500, "tune": 500}
    )
    return dataclasses.replace(seed_forecast, scenario=s, data=tree, diagnostics=diag)


def test_evidence_and_diagnostics_sections(conditioned: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    warnings = ["R-hat of size is 1.03 (above 1.01): the chains disagree"]
    write_report(conditioned, tmp_path, warnings=warnings, figures=False)
    md = (tmp_path / "report.md").read_text()
    tables = html_tables(tmp_path / "report.html").tables
    assert "### Evidence and what it changed" in md
    effect = {r[0]: r[1:] for r in tables["table-evidence-effect"][1:]}
    year = conditioned.scenario.headline_year  # the one year every headline quotes
    prior = conditioned.data["prior"]["market_size"].values[0, :, 2, conditioned.scenario.years.index(year)]
    row = effect[f"Developer Tools {year} (median, USD bn)"]
    assert row == [sig(np.median(prior)), sig(np.median(prior * 1.1))]
    assert tables["table-evidence"][1][:3] == ["Developer Tools", "2025", "4.90 USD bn"]
    assert re.search(r"^## \d+\. Diagnostics and reproducibility$", md, flags=re.MULTILINE)
    assert [r[0] for r in tables["table-diagnostics"][1:]] == ["growth", "size"]
    assert "Divergent transitions: 2." in md
    assert md.count("R-hat of size is 1.03") == 2  # the banner at the top and the section
    assert "Inference diagnostics missed their thresholds" in (tmp_path / "report.html").read_text()


def test_evidence_section_of_a_scenario_without_predictions(conditioned: Any, tmp_path: Path) -> None:
    """Evidence but no dated predictions: the prediction draws have 0 columns, and
    reshaping them crashed the report after NUTS ("cannot reshape array of size 0", exit 1)."""
    import xarray as xr

    from forecast.outputs.report import write_report

    s = conditioned.scenario.with_overrides({"predictions": None})
    groups = {}
    for name in conditioned.data.children:
        ds = conditioned.data[name].to_dataset()
        groups[name] = ds.isel(prediction=[]) if "prediction" in ds.dims else ds
    fc = dataclasses.replace(conditioned, scenario=s, data=xr.DataTree.from_dict(groups))
    write_report(fc, tmp_path, figures=False)
    tables = html_tables(tmp_path / "report.html").tables
    effect = [r[0] for r in tables["table-evidence-effect"][1:]]
    assert effect and not any(r.startswith("Prediction:") for r in effect)


def test_markdown_escapes_table_breaking_text(seed_forecast: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    s = seed_forecast.scenario.with_overrides({"markets.developer_tools.label": "Dev | *tools* <b>"})
    fc = dataclasses.replace(seed_forecast, scenario=s)
    write_report(fc, tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text()
    assert "### Dev \\| \\*tools\\* \\<b\\>" in md
    assert "Dev | *tools* <b>" not in md
    assert "Dev | *tools* &lt;b&gt;" in (tmp_path / "report.html").read_text()


# --- number formatting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (22.093, "22.1"),
        (0.040573, "0.0406"),
        (127.84, "128"),
        (1234.5, "1,230"),
        (99.96, "100"),
        (9.996, "10.0"),
        (0.0, "0"),
        (-3.14159, "-3.14"),
        (float("nan"), "–"),
        (None, "–"),
        (1e-7, "0.000000100"),
        # beyond 15 digits the float's own digits showed ("57,999,999,999,999,995,671,..."):
        # an exponent, as for the tiniest numbers
        (5.8e37, "5.80e+37"),
        (123456789012345678.0, "1.23e+17"),
        (-4.2e20, "-4.20e+20"),
        (2.5e-12, "2.50e-12"),
        (123456789012.0, "123,000,000,000"),
    ],
)
def test_sig_three_significant_figures(x: Any, text: str) -> None:
    assert sig(x) == text


def test_pct_and_pp() -> None:
    assert [pct(0.401266), pct(0.0404), pct(1.0), pct(0.25)] == ["40.1%", "4.04%", "100%", "25.0%"]
    assert pp(0.003444) == "0.34 pp"
    assert pp(0.0009834) == "0.098 pp"


@pytest.mark.parametrize("name", ["forecast.outputs.report", "forecast.commands.run"])
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


# --- what a strategist reads first ------------------------------------------------------


def test_growth_table_is_growth_csv(seed_report: Path, html: _Tables, md: str) -> None:
    g = pd.read_csv(seed_report / "growth.csv")
    rows = html.tables["table-growth"]
    assert rows == md_table_after(md, "### Growth: implied against stated CAGR")
    assert rows[0] == [
        "Market",
        "Years",
        "Stated CAGR",
        "Implied CAGR (median)",
        "90% interval",
        "Stated from",
    ]
    for r, row in zip(g.itertuples(), rows[1:], strict=True):
        assert row[:5] == [
            r.label,
            f"{r.from_year}–{r.to_year}",
            pct(r.stated),
            pct(r.q50),
            interval(r.q05, r.q95, pct),
        ]
    # the seed's own CAGR column beside the implied one
    dev = next(row for row in rows if row[0] == "Developer Tools" and row[1] == "2024–2027")
    assert dev[2] == "47.0%"


def test_company_share_is_shown_per_outcome_not_as_a_blend(seed_report: Path, html: _Tables, md: str) -> None:
    by = pd.read_csv(seed_report / "by_outcome.csv")
    blend = html.tables["table-position-deepseek_devtools"][0]
    assert blend[1] == "Share (median, all outcomes blended)"
    for outcome in ("independence", "acquired", "struggling"):
        rows = html.tables[f"table-position-deepseek_devtools-{outcome}"]
        share = by[(by["market"] == "share.deepseek_devtools") & (by["outcome"] == outcome)]
        revenue = by[(by["market"] == "revenue.deepseek_devtools") & (by["outcome"] == outcome)]
        for a, b, row in zip(share.itertuples(), revenue.itertuples(), rows[1:], strict=True):
            assert row == [
                str(a.year),
                pct(a.q50),
                interval(a.q05, a.q95, pct),
                sig(b.q50),
                interval(b.q05, b.q95),
            ]
    assert (
        'data-file="figures/position_deepseek_devtools_by_outcome.png"'
        in (seed_report / "report.html").read_text()
    )
    # the summary headlines the expected revenue and the share per outcome, not the blend's
    # median: two items, each label one thing (never "share ...: expected revenue")
    assert not any(
        x.startswith("- DeepSeek share of developer tools: expected revenue") for x in md.splitlines()
    )
    assert any(x.startswith("- Expected revenue 2027 in Developer") for x in md.splitlines())
    line = next(x for x in md.splitlines() if x.startswith("- DeepSeek share of developer tools 2027"))
    for r in by[(by["market"] == "share.deepseek_devtools") & (by["year"] == 2027)].itertuples():
        assert pct(r.q50) in line
    blend_median = csv_row(seed_report, "share.deepseek_devtools", 2027)["q50"]
    assert pct(blend_median) not in line


def csv_row(folder: Path, market: str, year: int) -> pd.Series:
    df = pd.read_csv(folder / "markets.csv")
    return df[(df["market"] == market) & (df["year"] == year)].iloc[0]


def test_predictions_chart_is_ordered_by_deadline(seed_forecast: Any) -> None:
    from forecast.outputs.figures import _predictions_figure, figure_data, figure_infos

    data = figure_data(seed_forecast)
    assert "predictions" in [i.key for i in figure_infos(data)]
    fig = _predictions_figure(data.scenario, data.predictions, data.prediction_by_outcome)
    ax = fig.axes[0]
    # top to bottom: sort the tick labels by their height on the chart
    ticks = sorted(
        zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True), reverse=True
    )
    deadlines = [text.rsplit("by ", 1)[1] for _, text in ticks]
    assert deadlines == sorted(data.predictions["deadline"])


def test_updated_columns_after_evidence(conditioned: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    write_report(conditioned, tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text()
    tables = html_tables(tmp_path / "report.html").tables
    assert tables["table-outcomes"][0] == ["Outcome", "Stated", "Updated", "90% interval", "MCSE"]
    assert "### Stated and updated probabilities" in md and "Simulated" not in md
    assert "random seed" in md and ", seed " not in md


def test_illustrative_data_is_flagged_in_header_summary_and_terminal(
    seed_forecast: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.commands.run import _print_summary
    from forecast.outputs.report import write_report

    s = seed_forecast.scenario.with_overrides(
        {"markets.developer_tools.size.source": "illustrative: NOT real data, a made-up size"}
    )
    fc = dataclasses.replace(seed_forecast, scenario=s)
    write_report(fc, tmp_path, figures=False)
    html = (tmp_path / "report.html").read_text()
    flag = "Illustrative data: 1 input is marked illustrative, not real data (markets.developer_tools.size)."
    header = html.split("</header>", 1)[0]
    assert flag in header
    summary = html.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert flag in summary
    md = (tmp_path / "report.md").read_text()
    assert md.count(flag) == 2 and md.index(flag) < md.index("## 1. Summary") < md.rindex(flag)
    _print_summary(fc, tmp_path)
    assert flag in capsys.readouterr().out
    # the seed as written has nothing illustrative
    write_report(seed_forecast, tmp_path / "plain", figures=False)
    assert "Illustrative" not in (tmp_path / "plain" / "report.md").read_text()
