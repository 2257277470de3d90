"""report.html in a real headless browser: every figure loads, nothing is fetched.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so the test
needs no websocket or browser-automation package. It checks that

- every ``<img>`` has decoded (``complete`` and a natural size) and each is a
  figure file of the report folder;
- the page asked the network for nothing: every request is ``file:`` or ``data:``;
- the Content-Security-Policy really forbids network fetches: an image and a
  ``fetch`` pointed at a local HTTP server are blocked, and the server sees no
  request;

and keeps ``test-artifacts/report-first-screen.png`` (the first screen) and
``test-artifacts/report.pdf`` (the print layout) for a human to look at.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import forecast

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no Debian chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it)",
)


_LAUNCH = """
import os, sys
r, w = (os.dup(int(fd)) for fd in sys.argv[1:3])  # off 3 and 4 first, in case they are there
os.dup2(r, 3)
os.dup2(w, 4)
os.set_inheritable(3, True)  # dup2(3, 3) is a no-op that keeps dup's close-on-exec
os.set_inheritable(4, True)
os.execv(sys.argv[3], sys.argv[3:])
"""


class Browser:
    """A minimal DevTools-protocol client over ``--remote-debugging-pipe``."""

    def __init__(self, profile: Path):
        # the browser reads commands on fd 3 and writes replies on fd 4
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        os.set_inheritable(to_child_r, True)
        os.set_inheritable(from_child_w, True)
        cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
        # fds 3 and 4 in the child: moved there by a tiny Python launcher that then
        # execs chromium (no preexec_fn, and no shell limit on fd numbers)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, str(to_child_r), str(from_child_w), *cmd],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> Any:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium exited (code {self.proc.poll()})")
                self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def probe_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records requests: what a leaking report would hit."""
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def page(seed_report: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    """report.html opened in headless chromium; yields (browser, session id)."""
    browser = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        targets = browser.send("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        session = browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        url = (seed_report / "report.html").as_uri()
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_event("Page.loadEventFired")
        yield browser, session
    finally:
        browser.close()


def evaluate(browser: Browser, session: str, expression: str) -> Any:
    result = browser.send(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
        session=session,
    )
    if "exceptionDetails" in result:
        raise AssertionError(result["exceptionDetails"])
    return result["result"].get("value")


def test_every_figure_loads(page: tuple[Browser, str], seed_report: Path) -> None:
    browser, session = page
    images = evaluate(
        browser,
        session,
        "Array.from(document.images).map(i => ({file: i.dataset.file, ok: i.complete && i.naturalWidth > 0,"
        " w: i.naturalWidth, h: i.naturalHeight, data: i.src.startsWith('data:image/png;base64,')}))",
    )
    files = sorted(str(p.relative_to(seed_report)) for p in (seed_report / "figures").glob("*.png"))
    assert sorted(i["file"] for i in images) == files
    assert all(i["ok"] and i["data"] and i["w"] > 300 and i["h"] > 150 for i in images), images
    assert evaluate(browser, session, "document.title").startswith("DeepSeek")
    sections = evaluate(
        browser, session, "Array.from(document.querySelectorAll('section h2')).map(h => h.textContent)"
    )
    assert [s.split(". ", 1)[1] for s in sections][:3] == ["Summary", "Markets", "Outcomes"]


def test_nothing_is_fetched_from_the_network(page: tuple[Browser, str]) -> None:
    browser, _ = page
    urls = [
        ev["params"]["request"]["url"]
        for ev in browser.events
        if ev.get("method") == "Network.requestWillBeSent"
    ]
    assert urls, "the browser reported no requests at all: is Network.enable working?"
    assert all(u.startswith(("file:", "data:")) for u in urls), [u[:80] for u in urls]


def test_the_csp_blocks_network_fetches(
    page: tuple[Browser, str], probe_server: tuple[str, list[str]]
) -> None:
    browser, session = page
    base, hits = probe_server
    blocked = evaluate(
        browser,
        session,
        f"""new Promise(resolve => {{
            const seen = [];
            document.addEventListener('securitypolicyviolation', e => seen.push(e.effectiveDirective));
            const img = new Image();
            img.src = '{base}/probe.png';
            document.body.appendChild(img);
            fetch('{base}/probe.json').catch(() => seen.push('fetch failed'));
            setTimeout(() => resolve(seen), 1500);
        }})""",
    )
    assert "img-src" in blocked and "connect-src" in blocked, blocked
    assert hits == [], f"the report reached the network: {hits}"


def test_keep_a_screenshot_and_a_print_layout(page: tuple[Browser, str]) -> None:
    browser, session = page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    png = base64.b64decode(shot)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # a page that rendered: mostly light background, with dark text and coloured figures
    # (a blank or an error page fails; decoded with matplotlib, already a dependency)
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png))[..., :3]
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300, pixels.shape
    dark = (pixels.mean(axis=-1) < 0.35).mean()
    coloured = (pixels.max(axis=-1) - pixels.min(axis=-1) > 0.25).mean()
    assert 0.005 < dark < 0.5, f"text covers {dark:.1%} of the first screen"
    assert coloured > 0.001, f"no coloured pixels ({coloured:.2%}): are the figures or headings there?"
    (ARTIFACTS / "report-first-screen.png").write_bytes(png)
    pdf = base64.b64decode(
        browser.send(
            "Page.printToPDF", {"printBackground": False, "preferCSSPageSize": True}, session=session
        )["data"]
    )
    assert pdf[:5] == b"%PDF-"
    (ARTIFACTS / "report.pdf").write_bytes(pdf)


def test_print_stylesheet_applies(page: tuple[Browser, str]) -> None:
    browser, session = page
    nav = "getComputedStyle(document.querySelector('nav.toc')).display"
    assert evaluate(browser, session, nav) != "none"
    browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
    try:
        assert evaluate(browser, session, nav) == "none"
        widest = "Math.max(...Array.from(document.images).map(i => i.getBoundingClientRect().right))"
        assert evaluate(browser, session, widest) <= evaluate(
            browser, session, "document.documentElement.clientWidth"
        )
    finally:
        browser.send("Emulation.setEmulatedMedia", {"media": ""}, session=session)


def test_the_executive_summary_leads_the_first_screen(page: tuple[Browser, str]) -> None:
    browser, session = page
    items = evaluate(
        browser,
        session,
        "Array.from(document.querySelectorAll('#executive-summary li')).map(li => ({key: li.dataset.sentence,"
        " top: li.getBoundingClientRect().top + window.scrollY, text: li.textContent}))",
    )
    assert 4 <= len(items) <= 6, items
    assert [i["key"] for i in items][:1] == ["outcome"]
    assert items[0]["top"] < 900, "the first sentence is below the first screen"
    assert all("%" in i["text"] for i in items)
    first_table = evaluate(
        browser, session, "document.querySelector('table').getBoundingClientRect().top + window.scrollY"
    )
    assert items[-1]["top"] < first_table


def test_the_new_tables_render_and_nothing_overflows_the_page(page: tuple[Browser, str]) -> None:
    browser, session = page
    rows = evaluate(
        browser,
        session,
        "Object.fromEntries(['table-growth', 'table-signpost-next_model_release',"
        " 'table-position-deepseek_devtools-independence'].map(id => [id, document.getElementById(id).rows.length]))",
    )
    assert rows["table-growth"] == 11  # header + total and 4 markets, to 2027 and to 2028
    seed = forecast.load(forecast.bundled("deepseek"))
    # header, outcomes, predictions
    assert rows["table-signpost-next_model_release"] == 1 + len(seed.outcome_ids) + len(seed.predictions)
    assert rows["table-position-deepseek_devtools-independence"] == 6
    assert evaluate(browser, session, "document.documentElement.scrollWidth") <= evaluate(
        browser, session, "document.documentElement.clientWidth"
    )
    charts = evaluate(
        browser,
        session,
        "Array.from(document.images).filter(i => /predictions|by_outcome/.test(i.dataset.file))"
        ".map(i => i.complete && i.naturalWidth > 300)",
    )
    assert charts == [True, True]
