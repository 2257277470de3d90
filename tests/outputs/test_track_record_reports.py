"""The history and score report folders: files, self-contained HTML, escaped text."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast.analysis import resolutions as res
from forecast.analysis.history import History, load_versions
from forecast.analysis.scorecard import Scorecard
from forecast.outputs.formatting import CSP
from forecast.outputs.history_report import write_history_report
from forecast.outputs.score_report import write_score_report

RESOLUTIONS = (
    "id,value,date,source\n"
    "tiered_licensing,false,2026-01-02,<b>made up</b>\n"
    "market.developer_tools@2026,7.0,2027-03-01,made up\n"
    "efficiency_erodes,true,2025-03-01,made up: resolved between the versions\n"
)


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Scorecard:
    base = forecast.load(forecast.bundled("deepseek")).with_overrides(
        {"predictions.tiered_licensing.statement": "Licences from $5 to $9 <script>x</script>"}
    )
    later = base.with_overrides({"as_of": "2025-06-01", "predictions.tiered_licensing.probability": 0.2})
    fcs = [forecast.simulate(s, draws=1000, seed=2) for s in (base, later)]
    path = tmp_path_factory.mktemp("r") / "r.csv"
    path.write_text(RESOLUTIONS, encoding="utf-8")
    versions = load_versions(fcs)
    return Scorecard(versions, res.check_against(res.read(path), [v.scenario for v in versions]))


def _self_contained(html: str) -> None:
    import html as html_lib

    assert f'http-equiv="Content-Security-Policy" content="{CSP}"' in html_lib.unescape(html)
    assert not re.search(r"""(src|href)=["']https?:""", html)
    assert "<script>" not in html  # text from the scenario is escaped


def test_history_folder(card: Scorecard, tmp_path: Path) -> None:
    out = write_history_report(History(card.versions), tmp_path, resolutions=card.resolutions)
    assert out == tmp_path / "report.html"
    assert {p.name for p in tmp_path.iterdir()} == {
        "history.csv",
        "changes.csv",
        "figures",
        "report.html",
        "report.md",
    }
    assert (tmp_path / "figures" / "history.png").stat().st_size > 10_000
    html = out.read_text(encoding="utf-8")
    _self_contained(html)
    assert "data:image/png;base64," in html and "How the odds moved" in html
    changes = pd.read_csv(tmp_path / "changes.csv", keep_default_na=False)
    assert changes["key"].tolist() == ["predictions.tiered_licensing.probability"]
    assert "![Probability by version](figures/history.png)" in (tmp_path / "report.md").read_text(
        encoding="utf-8"
    )


def test_score_folder(card: Scorecard, tmp_path: Path) -> None:
    write_score_report(card, tmp_path, warnings=["v: an example warning"])
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "binary_scores.csv",
        "quantity_scores.csv",
        "time_averaged.csv",
        "calibration.csv",
        "decomposition.csv",
        "resolutions.csv",
        "figures",
        "report.html",
        "report.md",
    }
    assert {p.name for p in (tmp_path / "figures").iterdir()} == {"reliability.png", "pit.png"}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    _self_contained(html)
    assert "&lt;b&gt;made up&lt;/b&gt;" in html
    assert "Versions not scored" in html and "an example warning" in html
    for name in ("binary_scores", "quantity_scores", "time_averaged", "calibration", "decomposition"):
        text = (tmp_path / f"{name}.csv").read_text(encoding="utf-8")
        assert "inf" not in text.lower().replace("info", ""), name
    b = pd.read_csv(tmp_path / "binary_scores.csv")
    assert len(b) == 3  # tiered_licensing by both versions, efficiency_erodes by the first only


def test_the_same_card_writes_the_same_bytes(card: Scorecard, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_score_report(card, a)
    write_score_report(card, b)
    for p in sorted(a.rglob("*")):
        if p.is_file():
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes(), p.name


def test_both_reports_flag_illustrative_resolutions(card: Scorecard, tmp_path: Path) -> None:
    # the fixture's resolutions are "made up"; its versions are the seed's real numbers
    flag = "Illustrative data: 3 resolutions are marked illustrative. Do not rely on these numbers for a decision."
    history = write_history_report(History(card.versions), tmp_path / "h", resolutions=card.resolutions)
    scores = write_score_report(card, tmp_path / "s")
    for out in (history, scores):
        assert 'class="illustrative"' in out.read_text(encoding="utf-8")
        assert flag in out.with_suffix(".md").read_text(encoding="utf-8")
    assert "Illustrative data" not in (
        write_history_report(History(card.versions), tmp_path / "plain")
    ).read_text(encoding="utf-8")


def test_the_bundled_example_is_flagged_version_by_version() -> None:
    from forecast.outputs.briefing import track_record_flag

    versions = load_versions(
        [forecast.bundled(n) for n in ("deepseek", "history/deepseek-2025-06", "history/deepseek-2025-11")]
    )
    rs = res.read(forecast.bundled("history/resolutions"))
    assert track_record_flag(versions, rs) == (
        "Illustrative data: 2 of the 3 versions hold inputs marked illustrative, not real data "
        "(deepseek-2025-06, deepseek-2025-11); 5 resolutions are marked illustrative. "
        "Do not rely on these numbers for a decision."
    )
