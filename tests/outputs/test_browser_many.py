"""A report of many markets and many predictions stays readable in a real browser
(issue 14; a 16 markets x 60 predictions stand-in for the 64 x 400 benchmark variant).

The seed report's browser checks are in test_browser.py (whose DevTools client this
reuses); here the report of a grown scenario: it renders, every figure loads, the
markets are one figure of small multiples (no fan per market), no figure is more than
about two screens tall, long tables scroll in their own box (a screen or less) instead
of running for pages, and nothing overflows the page sideways.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import forecast
from tests.outputs.test_browser import CHROMIUM, Browser, evaluate

MARKETS, PREDICTIONS = 16, 60
VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Debian chromium at /usr/bin/chromium")


def grown_toml(n_markets: int, n_predictions: int) -> str:
    """The seed scenario with its markets and predictions copied (as benchmarks/scaling.py
    grows it: every other copy of the share threshold reads a market)."""
    import tomli_w

    s = tomllib.loads(Path(forecast.bundled("deepseek")).read_text(encoding="utf-8"))
    base = s["markets"]
    markets = []
    for i in range(n_markets):
        m = copy.deepcopy(base[i % len(base)])
        if i >= len(base):
            m["id"], m["label"] = f"{m['id']}_{i}", f"{m['label']} {i}"
        markets.append(m)
    s["markets"] = markets
    preds = []
    for i in range(n_predictions):
        p = copy.deepcopy(s["predictions"][i % 4])
        if i >= 4:
            p["id"] = f"{p['id']}_{i}"
            if "quantity" in p and (i // 4) % 2 == 1:
                mk = markets[(i // 4) % n_markets]
                p["quantity"], p["threshold"] = f"market.{mk['id']}", float(mk["projection"]["value"])
                p["statement"] = f"{mk['label']} reaches its projection by the deadline"
        preds.append(p)
    s["predictions"] = preds
    return tomli_w.dumps(s)


@pytest.fixture(scope="module")
def many_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forecast.cli import main

    folder = tmp_path_factory.mktemp("many_report")
    path = folder / "grown.toml"
    path.write_text(grown_toml(MARKETS, PREDICTIONS), encoding="utf-8")
    out = folder / "report"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--draws", "2000"]) == 0
    return out


@pytest.fixture(scope="module")
def page(many_report: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    browser = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        targets = browser.send("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        session = browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {**VIEWPORT, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.send("Page.navigate", {"url": (many_report / "report.html").as_uri()}, session=session)
        browser.wait_event("Page.loadEventFired")
        yield browser, session
    finally:
        browser.close()


def test_the_page_renders_with_every_figure(page: tuple[Browser, str], many_report: Path) -> None:
    browser, session = page
    assert evaluate(browser, session, "document.title").startswith("DeepSeek")
    sections = evaluate(
        browser, session, "Array.from(document.querySelectorAll('section h2')).map(h => h.textContent)"
    )
    assert [s.split(". ", 1)[1] for s in sections][:3] == ["Summary", "Markets", "Outcomes"]
    images = evaluate(
        browser,
        session,
        "Array.from(document.images).map(i => ({file: i.dataset.file, ok: i.complete && i.naturalWidth > 0}))",
    )
    files = sorted(str(p.relative_to(many_report)) for p in (many_report / "figures").glob("*.png"))
    assert sorted(i["file"] for i in images) == files
    assert all(i["ok"] for i in images), images
    # the markets are one figure of small multiples, not a fan per market
    assert "figures/markets.png" in files
    # the figures about markets do not grow with their number (metrics and exceedance
    # curves have figures of their own)
    per_market = [f for f in files if not f.startswith(("figures/metric_", "figures/exceedance_"))]
    assert len(per_market) < MARKETS, files
    rows = evaluate(browser, session, "document.getElementById('table-predictions').tBodies[0].rows.length")
    assert rows == PREDICTIONS  # every prediction is in the table


def test_figures_stay_within_two_screens(page: tuple[Browser, str]) -> None:
    browser, session = page
    heights = evaluate(
        browser,
        session,
        "Object.fromEntries(Array.from(document.images).map(i => [i.dataset.file, i.getBoundingClientRect().height]))",
    )
    tall = {f: h for f, h in heights.items() if h > 2 * VIEWPORT["height"]}
    assert not tall, tall


def test_long_tables_scroll_in_a_box_of_a_screen_at_most(page: tuple[Browser, str]) -> None:
    browser, session = page
    boxes = evaluate(
        browser,
        session,
        "Array.from(document.querySelectorAll('.table-wrap')).map(w => ({id: w.querySelector('table').id,"
        " rows: w.querySelector('table').rows.length, box: w.getBoundingClientRect().height,"
        " inner: w.scrollHeight, scrolls: getComputedStyle(w).overflowY}))",
    )
    by_id = {b["id"]: b for b in boxes}
    # the long ones: every prediction, and the signpost's table (outcomes and predictions)
    assert by_id["table-predictions"]["rows"] > PREDICTIONS
    for b in boxes:
        assert b["box"] <= VIEWPORT["height"], b
        if b["inner"] > b["box"] + 1:  # cut: then it scrolls
            assert b["scrolls"] == "auto", b
    assert by_id["table-predictions"]["inner"] > by_id["table-predictions"]["box"]


def test_nothing_overflows_the_page_sideways(page: tuple[Browser, str]) -> None:
    browser, session = page
    assert evaluate(browser, session, "document.documentElement.scrollWidth") <= evaluate(
        browser, session, "document.documentElement.clientWidth"
    )
    # a table wider than the column scrolls sideways in its own box, as in the seed report
    wide = evaluate(
        browser,
        session,
        "Array.from(document.querySelectorAll('.table-wrap')).filter(w => w.scrollWidth > w.clientWidth + 1)"
        ".map(w => getComputedStyle(w).overflowX)",
    )
    assert all(x == "auto" for x in wide), wide
