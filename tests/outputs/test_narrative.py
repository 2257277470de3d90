"""The executive summary: four to six sentences, each number read back from the CSVs.

For every report (the seed, the seed with its sensitivity section, the evidence
update and a ``--set`` what-if) each sentence of the summary is taken from
report.html and report.md, the numbers it must carry are computed here from the
report's CSV files (which outcome is most likely, which market is furthest from its
stated CAGR, ...), and the sentence must hold exactly those: every expected number
is in it, and every number in it is expected.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from forecast.outputs.formatting import pct, pp, sig

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Sentences(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and a.get("data-sentence"):
            self._key = a["data-sentence"]
            self.found[self._key] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._key:
            self.found[self._key] += data


def sentences(folder: Path) -> dict[str, str]:
    parser = _Sentences()
    parser.feed((folder / "report.html").read_text(encoding="utf-8"))
    return parser.found


def csv(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    return pd.read_csv(path) if path.exists() else pd.DataFrame()


def numbers(text: str, words: list[str]) -> list[str]:
    """The numbers of a sentence, leaving out quoted statements, names and dates."""
    text = re.sub(r"“[^”]*”", " ", text)
    for w in sorted(words, key=len, reverse=True):
        text = text.replace(w, " ")
    text = DATE.sub(" ", text)
    # the interval's name and the percentiles' names are words, not results
    for w in ("90% interval", "10th", "90th", "0.5 pp"):  # the growth sentence's rule is words
        text = text.replace(w, " ")
    return NUMBER.findall(text)


def expected(folder: Path, key_year: int) -> dict[str, tuple[set[str], list[str]]]:
    """Per sentence: the numbers it must hold, and the names to leave out."""
    out: dict[str, tuple[set[str], list[str]]] = {}
    o = csv(folder, "outcomes")
    labels = [str(x) for x in o["label"]] if len(o) else []
    if len(o):
        o = o.sort_values("probability", ascending=False, kind="stable")
        a, b = o.iloc[0], o.iloc[1]
        out["outcome"] = (
            {pct(a.probability), pct(a.q05), pct(a.q95), pct(a.stated), pct(b.probability)},
            labels,
        )
    by = csv(folder, "by_outcome")
    if len(by):
        share = by[by["market"].str.startswith("share.") & (by["year"] == key_year)]
        first = share["market"].iloc[0]
        share = share[share["market"] == first]
        nums = {str(key_year)} | {pct(v) for c in ("q50", "q05", "q95") for v in share[c]}
        out["company"] = (nums, labels)
    g = csv(folder, "growth")
    if len(g):
        g = g[g["to_year"] == key_year]
        head = g[g["market"] == "total"]
        r = head.iloc[0] if len(head) else g.iloc[0]
        nums = {pct(r.q50), pct(r.q05), pct(r.q95), pct(r.stated), str(r.from_year), str(r.to_year)}
        rest = g[g["market"] != "total"]
        names = [str(x) for x in g["label"]]
        # a gap within 2 MCSE of the median is noise, one of at most 0.5 pp or a tenth of
        # the 90% interval immaterial: the sentence then names no market (README)
        gap = (rest["q50"] - rest["stated"]).abs()
        beyond = rest[(gap > 2 * rest["mcse"]) & (gap > 0.005) & (gap > 0.1 * (rest["q95"] - rest["q05"]))]
        if len(rest) > 1 and len(beyond):
            f = beyond.loc[(beyond["q50"] - beyond["stated"]).abs().idxmax()]
            nums |= {pct(f.q50), pct(f.q05), pct(f.q95), pct(f.stated)}
        out["growth"] = (nums, names)
    p = csv(folder, "predictions")
    if len(p):
        hi = p.loc[p["probability"].idxmax()]
        lo = p.loc[p["probability"].idxmin()]
        nums = {str(len(p)), pct(hi.probability), pp(hi.mcse).removesuffix(" pp")}
        nums |= {pct(lo.probability), pp(lo.mcse).removesuffix(" pp")}
        out["predictions"] = (nums, [])
    sp = csv(folder, "signposts")
    if len(sp):
        sp = sp[sp["kind"] == "outcome"]
        open_ = sp[sp["observed"].isna()]
        if len(open_):
            r = open_.loc[(open_["if_true"] - open_["if_false"]).abs().idxmax()]
            nums = {pct(r.now), pct(r.if_true), pct(r.if_false)}
            nums |= {pp(r.mcse_true).removesuffix(" pp"), pp(r.mcse_false).removesuffix(" pp")}
        else:
            r = sp.loc[(sp["now"] - sp["without"]).abs().idxmax()]
            mc = r.mcse_true if bool(r.observed) else r.mcse_false
            nums = {pct(r.without), pct(r.now), pp(mc).removesuffix(" pp")}
        out["signpost"] = (nums, labels)
    rk = csv(folder, "risks")
    if len(rk):
        o = rk[rk["kind"] == "outcome"]
        first = o[o["risk"] == o["risk"].iloc[0]]  # sorted by impact: the first risk
        r = first.loc[first["now"].idxmax()]
        nums = {pct(r.probability), pct(r.probability_q05), pct(r.probability_q95)}
        nums |= {pct(r.if_happens), pct(r.if_not)}
        nums |= {pp(r.mcse_happens).removesuffix(" pp"), pp(r.mcse_not).removesuffix(" pp")}
        if rk["risk"].nunique() > 1:
            nums.add(str(rk["risk"].nunique()))
        out["risk"] = (nums, labels)
    s = csv(folder, "sensitivity")
    if len(s):
        head = s[s["target"] == s["target"].iloc[0]]  # the first table: the headline's
        r = head.loc[head["first_order"].idxmax()]  # the largest index the sentence quotes
        nums = {pct(max(r.first_order, 0.0), 2), pp(r.conf).removesuffix(" pp"), sig(r.low), sig(r.high)}
        out["driver"] = (nums, [str(r.target_label), str(r.input)])
    return out


def check(folder: Path, key_year: int = 2027) -> dict[str, str]:
    found = sentences(folder)
    assert 4 <= len(found) <= 7, list(found)
    want = expected(folder, key_year)
    assert list(found) == [
        k for k in ("outcome", "company", "growth", "predictions", "signpost", "risk", "driver") if k in want
    ]
    md = (folder / "report.md").read_text(encoding="utf-8")
    for key, text in found.items():
        nums, words = want[key]
        got = numbers(text, words)
        missing = {n for n in nums if n not in got}
        extra = [n for n in got if n not in nums]
        assert not missing, (key, missing, text)
        assert not extra, (key, extra, text)
        # the same sentence in the Markdown (escaped for it, so compare the numbers)
        line = next(x for x in md.splitlines() if x.startswith("- ") and key_phrase(text) in x)
        assert sorted(numbers(line, words)) == sorted(numbers(text, words)), key
    return found


def key_phrase(text: str) -> str:
    return text[:25]


def test_seed_summary(seed_report: Path) -> None:
    found = check(seed_report)
    assert set(found) == {"outcome", "company", "growth", "predictions", "signpost", "risk"}
    assert found["risk"].startswith(
        "Of the 5 risks in the register, the one that moves the most likely outcome"
    )
    assert found["outcome"].startswith("The most likely outcome is Sustainable independence")
    # the summary precedes every table of the report
    html = (seed_report / "report.html").read_text(encoding="utf-8")
    assert html.index('id="executive-summary"') < html.index("<table")


@pytest.fixture(scope="module")
def with_sensitivity(seed_forecast: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forecast.analysis.tornado import report_frames
    from forecast.outputs.report import write_report

    folder = tmp_path_factory.mktemp("narrative") / "sens"
    write_report(seed_forecast, folder, sensitivity=report_frames(seed_forecast, draws=1000), figures=False)
    return folder


def test_summary_names_what_drives_the_headline(with_sensitivity: Path) -> None:
    found = check(with_sensitivity)
    assert len(found) == 7
    assert "What drives the uncertainty in Total market 2027 (USD bn) most is" in found["driver"]


def test_update_summary_says_after_the_evidence(update_forecast: Any, tmp_path: Path) -> None:
    from forecast.outputs.report import write_report

    write_report(update_forecast, tmp_path, figures=False)
    found = check(tmp_path)
    assert found["outcome"].startswith("After the evidence, the most likely outcome")
    assert " was observed true: it moved P(" in found["signpost"]


def test_whatif_summary(tmp_path: Path) -> None:
    from forecast.cli import main

    out = tmp_path / "whatif"
    args = ["run", "--set", "markets.developer_tools.cagr=0.30", "--out", str(out), "--draws", "2000"]
    assert main([*args, "--no-sensitivity", "--quiet"]) == 0
    found = check(out)
    # the stated CAGR beside the implied one is the what-if's
    g = csv(out, "growth")
    dev = g[(g["market"] == "developer_tools")]
    assert dev["stated"].tolist() == pytest.approx([0.30, 0.30])
    assert "grows a median" in found["growth"]


def _growth_sentence(s: Any, growth: pd.DataFrame) -> Any:
    """The summary's one sentence for a scenario with only markets: its growth."""
    from forecast.outputs.narrative import executive_summary

    empty = pd.DataFrame()
    [sentence] = executive_summary(
        s,
        year=2027,
        conditioned=False,
        outcomes=empty,
        by_outcome=empty,
        growth=growth,
        predictions=empty,
        signposts=empty,
    )
    return sentence


def test_a_declining_market_shrinks_rather_than_grows_a_negative_rate(write: Any) -> None:
    """A negative CAGR: "shrinks a median 8.00% a year", not "grows a median -8.00%", and
    an interval of negative rates is written "-9.50% to -6.40%", not "-9.50%–-6.40%"."""
    import forecast
    from forecast.outputs.formatting import interval

    assert interval(-0.095, -0.064, pct) == "-9.50% to -6.40%"
    assert interval(-0.02, 0.05, pct) == "-2.00% to 5.00%"
    assert interval(0.02, 0.05, pct) == "2.00%–5.00%"
    s = forecast.load(
        write(
            'id = "fax"\ntitle = "Fax"\nas_of = 2025-01-01\n[[markets]]\nid = "fax"\nlabel = "Cloud fax"\n'
            'unit = "USD m"\nbase_year = 2024\nsize = 400\ncagr = "-8%"\n'
        )
    )
    growth = pd.DataFrame(
        [
            {
                "market": "fax",
                "label": "Cloud fax",
                "from_year": 2024,
                "to_year": 2027,
                "stated": -0.08,
                "stated_basis": "stated CAGR",
                "q05": -0.095,
                "q50": -0.08,
                "q95": -0.064,
            }
        ]
    )
    sentence = _growth_sentence(s, growth)
    assert sentence.text == (
        "Cloud fax shrinks a median 8.00% a year from 2024 to 2027 (a CAGR of -8.00%, 90% interval "
        "-9.50% to -6.40%), against -8.00% stated."
    )


def test_without_a_total_the_headline_market_is_not_also_the_furthest(write: Any) -> None:
    """Markets in different units have no total: the sentence leads with the first market,
    and 'of the markets, X is furthest from its stated CAGR' names another one, not the
    same market twice."""
    import forecast

    s = forecast.load(
        write(
            'id = "two"\ntitle = "Two"\nas_of = 2025-01-01\n'
            '[[markets]]\nid = "a"\nlabel = "Alpha"\nunit = "USD m"\nbase_year = 2024\nsize = 1\ncagr = 0.2\n'
            '[[markets]]\nid = "b"\nlabel = "Beta"\nunit = "EUR bn"\nbase_year = 2024\nsize = 1\ncagr = 0.1\n'
        )
    )
    row = {"from_year": 2024, "to_year": 2027, "stated_basis": "stated CAGR"}
    growth = pd.DataFrame(
        [
            {**row, "market": "a", "label": "Alpha", "stated": 0.2, "q05": 0.1, "q50": 0.23, "q95": 0.3},
            {**row, "market": "b", "label": "Beta", "stated": 0.1, "q05": 0.05, "q50": 0.13, "q95": 0.15},
        ]
    )
    sentence = _growth_sentence(s, growth)
    assert sentence.text.startswith("Alpha grows a median 23.0% a year")
    assert "of the other markets, Beta is furthest from its stated CAGR: a median 13.0%" in sentence.text
    assert sentence.text.count("Alpha") == 1
