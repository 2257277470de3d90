"""``forecast serve`` in a real headless Chromium (playwright), against a real server.

The server runs in a subprocess (``forecast serve --port 0``, which prints the port
it got); each test opens its own page, so each starts from the served file. Every
request the browser makes goes through a route handler that lets only the server's
own address through and records anything else: the last test checks that nothing
left localhost.

Known answers, not snapshots: the page's numbers are compared with what
``forecast run --set`` writes for the same value and seed (byte-for-byte the same
simulation, so to the CSV's six significant digits), and a toggled signpost with the
report's "if observed" odds (Bayes' rule; the page then runs NUTS, so within a Monte
Carlo tolerance derived below).
"""

from __future__ import annotations

import csv
import json
import math
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.child import child_options

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# a cold first start compiles the forward model (~30 s, minutes on a loaded machine)
START_TIMEOUT = 900
# an update that runs NUTS for a new shape also compiles the sampler
NUTS_TIMEOUT_MS = 900_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no Debian chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it)",
)

CAGR = "markets.developer_tools.cagr"
SIGNPOST = "next_model_release"


def forecast_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The ``forecast`` command in a fresh process, as a strategist runs it."""
    return subprocess.run(
        [sys.executable, "-m", "forecast.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        **child_options(),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``forecast serve --port 0`` in a subprocess; yields its url and working folder.

    At the end it is stopped with SIGINT (Ctrl-C), and must exit 0 saying so.
    """
    workdir = tmp_path_factory.mktemp("serve")
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", "serve", "--port", "0"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **child_options(),  # stopped with SIGINT: at its default even in a background job
    )
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or "http://" in line:
                break
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, f"no address printed: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield {"url": match[0], "workdir": workdir, "proc": proc}
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "stopped" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="module")
def browser_context(server: dict[str, Any]) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A Chromium context whose every request passes a route handler: the server's
    own requests continue, any other is recorded and aborted."""
    from playwright.sync_api import sync_playwright

    allowed = server["url"] + "/"
    left: list[str] = []
    seen: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        seen.append(url)
        if url.startswith(allowed) or url.startswith("data:"):
            r.continue_()
        else:
            left.append(url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", route)
        try:
            yield context, seen, left
        finally:
            context.close()
            browser.close()


@pytest.fixture
def page(browser_context: tuple[Any, list[str], list[str]], server: dict[str, Any]) -> Iterator[Any]:
    """A fresh page (a fresh Shiny session: the served file, nothing changed)."""
    context, _, _ = browser_context
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    pg.goto(server["url"])
    applied(pg, {})
    yield pg
    pg.close()


def applied(pg: Any, overrides: dict[str, Any], timeout: float = 120_000) -> None:
    """Wait until the page shows the forecast of exactly ``overrides``."""
    want = json.dumps(overrides, sort_keys=True)
    pg.wait_for_function(
        "want => { const s = document.querySelector('#status-ready');"
        " return s !== null && s.dataset.applied === want; }",
        arg=want,
        timeout=timeout,
    )


def set_field(pg: Any, key: str, value: str) -> None:
    field = pg.locator(f"[data-key='{key}'] input")
    field.fill(value)
    field.press("Tab")


def number(pg: Any, selector: str, attr: str = "p") -> float:
    return float(pg.locator(selector).get_attribute(f"data-{attr}"))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def close(a: float, b: float) -> bool:
    """Equal to the CSV's 6 significant digits."""
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)


# --- tests ----------------------------------------------------------------------------


def test_page_shows_the_headline_numbers(page: Any) -> None:
    assert page.locator("#fans svg").count() == 1
    assert page.locator("#markets tbody tr").count() == 4
    assert page.locator("#outcomes tbody tr").count() == 3
    assert page.locator("#predictions tbody tr").count() == 5
    assert page.locator(f"#sp-{SIGNPOST}-independence-true").count() == 1
    # controls grouped as in the file, each with its source
    groups = page.locator(".fc-group").all_inner_texts()
    assert groups[:3] == ["Simulation", "Correlation", "Markets: Enterprise LLM APIs"]
    box = page.locator(f"[data-key='{CAGR}']")
    assert "seed: market table, Developer Tools, CAGR 47%" in box.inner_text()
    assert page.locator(f"[data-key='{CAGR}'] input").input_value() == "0.47"
    assert "sum to 100%" in page.locator("#outcome-sum").inner_text()


def test_a_cagr_gives_what_forecast_run_set_gives(page: Any, server: dict[str, Any], tmp_path: Path) -> None:
    before = number(page, "#cell-developer_tools-2028", "q50")
    set_field(page, CAGR, "0.3")
    applied(page, {CAGR: 0.3})
    assert "30%, was 47%" in page.locator(f"[data-key='{CAGR}']").inner_text()  # as the file writes it
    out = tmp_path / "run"
    done = forecast_cli(
        "run", "--set", f"{CAGR}=0.3", "--no-sensitivity", "--quiet", "--out", str(out), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    rows = {(r["market"], int(r["year"])): r for r in read_csv(out / "markets.csv")}
    for (market, year), r in rows.items():
        cell = page.locator(f"#cell-{market}-{year}")
        if cell.count() == 0:
            continue  # totals and company rows are in the report, not on the page
        for q in ("q05", "q50", "q95"):
            assert close(float(cell.get_attribute(f"data-{q}")), float(r[q])), (market, year, q)
    assert float(rows[("developer_tools", 2028)]["q50"]) < before  # the fan moved down
    for r in read_csv(out / "outcomes.csv"):
        assert close(number(page, f"#odds-{r['outcome']}"), float(r["probability"])), r
    for r in read_csv(out / "predictions.csv"):
        assert close(number(page, f"#pred-{r['id']}"), float(r["probability"])), r


def test_a_bad_value_shows_the_validate_message_and_keeps_the_forecast(
    page: Any, server: dict[str, Any], tmp_path: Path
) -> None:
    odds = number(page, "#odds-independence")
    key = "assessment.outcomes.independence.probability"
    set_field(page, key, "1.2")
    message = page.locator(f"[data-key='{key}'] .fc-problem")
    message.wait_for()
    page.locator("#status-invalid").wait_for()
    # what `forecast validate` says of a file with the same value
    bad = tmp_path / "bad.toml"
    parent = Path(__import__("forecast").bundled("deepseek"))
    bad.write_text(
        f'extends = "{parent}"\n\n[[assessment.outcomes]]\nid = "independence"\nprobability = 1.2\n',
        encoding="utf-8",
    )
    done = forecast_cli("validate", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    expected = [line.removeprefix(f"{bad}: ") for line in done.stderr.splitlines()]
    field_lines = [line for line in expected if line.startswith(key)]
    assert field_lines and message.all_inner_texts() == field_lines
    assert (
        next(line for line in expected if line.startswith("assessment.outcomes:"))
        in page.locator("#outcome-sum").inner_text()
    )
    assert number(page, "#odds-independence") == odds  # the last valid forecast stays
    # a negative size, the other example of the issue
    size = "markets.developer_tools.size"
    set_field(page, size, "-3")
    page.locator(f"[data-key='{size}'] .fc-problem").wait_for()
    assert "must be > 0" in page.locator(f"[data-key='{size}'] .fc-problem").inner_text()


def test_a_newer_change_wins(page: Any) -> None:
    field = page.locator(f"[data-key='{CAGR}'] input")
    for v in ("0.31", "0.32", "0.33"):
        field.fill(v)
        field.press("Tab")
    applied(page, {CAGR: 0.33})
    assert "47% → 33%" in page.locator("#changes-list").inner_text()  # as the file writes it


def test_outcome_probabilities_keep_summing_to_one(page: Any) -> None:
    set_field(page, "assessment.outcomes.independence.probability", "0.5")
    expected = {
        "assessment.outcomes.independence.probability": 0.5,
        "assessment.outcomes.acquired.probability": 0.2917,
        "assessment.outcomes.struggling.probability": 0.2083,
    }
    applied(page, expected)
    assert (
        page.locator("[data-key='assessment.outcomes.acquired.probability'] input").input_value() == "0.2917"
    )
    assert "sum to 100%" in page.locator("#outcome-sum").inner_text()
    # the model reproduces the stated marginals; its estimate is a mean over 20,000
    # independent draws of a probability, whose sd is at most 0.5: four MCSEs
    assert abs(number(page, "#odds-independence") - 0.5) <= 4 * 0.5 / math.sqrt(20_000)


@pytest.mark.slow  # three simulations, two of them NUTS (~1-5 min on two busy cores)
def test_a_signpost_moves_the_odds_to_the_reports_if_observed_numbers_and_saves(
    page: Any, server: dict[str, Any], tmp_path: Path
) -> None:
    # the report's "if observed true" odds, from `forecast run` of the served file
    out = tmp_path / "base"
    done = forecast_cli("run", "--no-sensitivity", "--quiet", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    outcomes = ["independence", "acquired", "struggling"]
    if_true = {k: number(page, f"#sp-{SIGNPOST}-{k}-true") for k in outcomes}
    for k in outcomes:
        # the page shows the report's numbers (to the report's 3 significant figures)
        row = page.locator(f"#sp-{SIGNPOST}-{k}-true").locator("xpath=..").inner_text().split("\t")
        # the report's signpost table names each outcome's probability as P(label)
        assert f"| P({row[0]}) | {row[1]} | {row[2]} | {row[3]} |" in report, row
    # fewer draws for a quicker NUTS run, then the signpost
    set_field(page, "simulation.draws", "4000")
    applied(page, {"simulation.draws": 4000})
    page.check(f"[data-key='signposts.{SIGNPOST}.observed'] input[value=true]")
    page.locator("#status-running").wait_for()
    want = {"simulation.draws": 4000, f"signposts.{SIGNPOST}.observed": True}
    applied(page, want, timeout=NUTS_TIMEOUT_MS)
    assert page.locator("#status-ready").get_attribute("data-method") == "NUTS"
    assert page.locator(".fc-warning").count() == 0  # R-hat <= 1.01, ESS >= 400, no divergences
    # Tolerance: the page's NUTS estimate of a mean probability mu has an MCSE of at most
    # sd / sqrt(ESS) <= sqrt(mu (1 - mu)) / sqrt(400) (Bhatia-Davis bound on the sd of a
    # variable in [0, 1]; ESS >= 400 since no warning); the report's Bayes number comes
    # from 20,000 independent draws, sd / sqrt(20000) at most. Four combined SEs.
    for k in outcomes:
        mu = if_true[k]
        se = math.sqrt(mu * (1 - mu) * (1 / 400 + 1 / 20_000))
        got = number(page, f"#odds-{k}")
        assert abs(got - mu) <= 4 * se, (k, got, mu, 4 * se)
    assert number(page, "#odds-independence") > 0.5  # moved from ~40% toward the 60% of the report
    # save it, validate it, and run it: the same numbers
    page.locator("#save_path").fill("what-if.toml")
    page.locator("#save").click()
    page.locator("#save-done").wait_for()
    saved = server["workdir"] / "what-if.toml"
    text = saved.read_text(encoding="utf-8")
    assert "extends = " in text and "assumption: what-if (was:" in text
    assert "observed = true" in text and "draws = 4000" in text
    assert "cagr" not in text  # only the changed keys
    done = forecast_cli("validate", str(saved), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "child"
    done = forecast_cli("run", str(saved), "--no-sensitivity", "--quiet", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for r in read_csv(out / "outcomes.csv"):
        assert close(number(page, f"#odds-{r['outcome']}"), float(r["probability"])), r
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-signpost.png"))


def test_report_writes_the_full_report_of_the_current_state(page: Any, server: dict[str, Any]) -> None:
    set_field(page, CAGR, "0.3")
    applied(page, {CAGR: 0.3})
    page.locator("#report_dir").fill("reports/what-if")
    page.locator("#report").click()
    page.locator("#report-done").wait_for(timeout=600_000)
    folder = server["workdir"] / "reports" / "what-if"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["overrides"] == {CAGR: 0.3}
    assert (folder / "report.html").is_file()
    rows = {(r["market"], int(r["year"])): r for r in read_csv(folder / "markets.csv")}
    assert close(
        number(page, "#cell-developer_tools-2028", "q50"), float(rows[("developer_tools", 2028)]["q50"])
    )


def test_no_request_left_localhost(
    browser_context: tuple[Any, list[str], list[str]], server: dict[str, Any]
) -> None:
    _, seen, left = browser_context
    assert seen, "the route handler saw no request: is it installed?"
    assert any("/lib/" in u for u in seen)  # shiny's scripts and styles, from the server
    assert left == [], left


def test_a_port_in_use_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = forecast_cli("serve", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert f"port {port}" in done.stderr and "in use" in done.stderr
    assert "Traceback" not in done.stderr
