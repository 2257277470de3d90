"""Shared fixtures: a small valid scenario, file helpers, and hypothesis profiles."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# deadline=None: the first example pays for imports and pydantic schema building, which
# hypothesis would otherwise report as a flaky deadline. 50 examples keeps the suite
# fast; HYPOTHESIS_PROFILE=thorough runs a deeper search before a release.
settings.register_profile(
    "default", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The suite's in-process runs do not inherit how it was started: FORECAST_DEBUG=1 would
# turn a one-line error into a traceback, and without FORECAST_FIGURE_WORKER a run draws
# its figures in a second process or not depending on the machine's load at that moment.
# The tests that need the worker (or debugging) set it themselves; children get theirs
# from tests/child.py.
os.environ.pop("FORECAST_DEBUG", None)
os.environ["FORECAST_FIGURE_WORKER"] = "0"

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"

# A small scenario that uses every section, so that each bad-input test is one edit of
# a file that is otherwise valid (and so only the edit can cause the problem).
VALID_TOML = """\
id = "acme"
title = "Acme widgets"
as_of = 2025-01-01

[simulation]
draws = 1000
seed = 1

[correlation]
common_factor = { low = 0.2, high = 0.6, source = "assumption: one cycle" }

[[markets]]
id = "widgets"
label = "Widgets"
unit = "USD bn"
base_year = 2024
size = { median = 10.0, sigma = 0.1, source = "test: widget report" }
projection = { year = 2027, value = 20.0, source = "test: widget report" }
cagr = { median = 0.26, sigma = 0.05, source = "test: widget report" }
volatility = { low = 0.05, high = 0.2 }

[[markets]]
id = "gadgets"
label = "Gadgets"
unit = "USD bn"
base_year = 2024
size = { low = 1.0, high = 2.0 }
cagr = 0.3

[assessment]
horizon_years = 3
confidence = 20

[[assessment.outcomes]]
id = "win"
label = "Acme wins"
probability = 0.6
drivers = [{ market = "widgets", log_odds_per_sd = 0.3 }]

[[assessment.outcomes]]
id = "lose"
label = "Acme loses"
probability = 0.4

[[positions]]
id = "acme_widgets"
label = "Acme share of widgets"
market = "widgets"
path = [
  { at = 2025-01-01, share = 0.1 },
  { at = 2026-07-01, outcome = "win", share = { low = 0.2, high = 0.3 } },
  { at = 2026-07-01, outcome = "lose", share = { low = 0.05, high = 0.1 } },
]

[[predictions]]
id = "share_20"
statement = "Acme has at least 20% of widgets by mid-2026"
deadline = 2026-07-01
quantity = "share.acme_widgets"
op = ">="
threshold = 0.2

[[predictions]]
id = "launch"
statement = "Acme launches a gadget by 2026"
deadline = 2026-01-01
probability = { low = 0.3, high = 0.7 }

[[predictions]]
id = "partner"
statement = "Acme partners with a cloud vendor by 2027"
deadline = 2027-01-01
probability_by_outcome = { win = 0.3, lose = 0.8 }

[[signposts]]
id = "big_order"
statement = "Acme wins a large order"
likelihood = { win = 0.7, lose = 0.2 }

[[evidence]]
market = "gadgets"
year = 2025
value = 1.9
rel_error = 0.1
"""


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace ``old`` by ``new``, failing loudly if ``old`` is not there.

    A test whose edit silently did nothing would test the valid file and pass for the
    wrong reason.
    """
    assert text.count(old) >= count, f"edit target not found: {old!r}"
    return text.replace(old, new, count)


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a digest of its content (or ``<dir>``)."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = f"<link {os.readlink(p)}>"
        elif p.is_dir():
            out[rel] = "<dir>"
        else:
            try:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            except OSError as e:
                out[rel] = f"<unreadable {e.errno}>"
    return out


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory; the test runs inside it, so stray writes show up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write(workdir: Path) -> Callable[..., Path]:
    """Write a scenario file (text or bytes) into the working directory."""

    def _write(content: str | bytes, name: str = "scenario.toml") -> Path:
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


# Forward-simulation graphs the whole suite may compile (forecast.engine.forward.COMPILE_COUNT):
# one per structure (observations x uniform inputs x conditional x the shapes of a file's
# formulas), each at most once: the seed's metrics, and test_formulas.py's point file and
# conjugate file (forward and conditional), are four structures of their own; the bundled
# decision's payoff formulas (deepseek-decision.toml) and gpu-cloud's business model two more;
# tests/analysis/test_risk_targets.py's risks on inputs and metrics two (forward and conditional).
COMPILE_BUDGET = 14


@pytest.fixture(scope="session", autouse=True)
def compile_budget() -> Iterator[None]:
    """After the session: no structure was compiled twice, and only a handful were.

    Compiles cost ~30 s cold each; a test that builds a new structure (or clears the
    cache) shows up here as an error at teardown of the last test.
    """
    yield
    sim = sys.modules.get("forecast.engine.forward")
    if sim is not None:
        structures = list(sim._CACHE)
        assert len(structures) == sim.COMPILE_COUNT, f"a structure compiled twice: {structures}"
        assert len(structures) <= COMPILE_BUDGET, f"{len(structures)} compiled structures: {structures}"


@pytest.fixture(scope="session")
def seed_forecast() -> Any:
    """The bundled DeepSeek scenario, simulated once per session (20,000 draws, its own seed).

    Read-only: tests that need other draws simulate their own (the compiled simulator
    is cached per process, so that costs no compile).
    """
    import forecast

    return forecast.simulate(forecast.load(forecast.bundled("deepseek")), draws=20_000)


@pytest.fixture(scope="session")
def seed_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``forecast run --out <tmp>/deepseek --quiet --no-sensitivity`` of the bundled
    scenario, once per session (the Sensitivity section has its own tests, in
    tests/test_sensitivity_report.py).

    Read-only: the report tests and the browser test all read this one folder.
    """
    from forecast.cli import main

    out = tmp_path_factory.mktemp("seed_report") / "deepseek"
    assert main(["run", "--out", str(out), "--quiet", "--no-sensitivity"]) == 0
    return out


@pytest.fixture(scope="session")
def update_forecast() -> Any:
    """The bundled ``deepseek-update`` scenario (evidence + an observed signpost), fitted
    once per session with NUTS (nutpie, its 20,000 draws: 4 chains x 5,000, seed 7).

    Read-only. Its compiled sampler stays cached in ``forecast.engine.inference._CACHE``, so other
    runs of the same scenario shape (fewer draws, other data, SBC) compile nothing.
    """
    import forecast

    return forecast.simulate(forecast.load(forecast.bundled("deepseek-update")), seed=7)


# --- Dask: one LocalCluster per test module ------------------------------------------


@pytest.fixture
def cluster_time_bound() -> Iterator[None]:
    """Fail a cluster test that hangs (a cluster that never answers) instead of blocking
    the suite: modules that use a cluster ask for it with ``pytestmark``."""
    import signal

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError("cluster test took over 15 minutes")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(900)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A two-worker LocalCluster of processes, shared by one module and closed after it."""
    from forecast.engine.executor import DaskExecutor

    ex = DaskExecutor.local(2)
    try:
        yield ex
    finally:
        ex.close()


class Borrowed:
    """An executor lent to one command: its ``close`` leaves the shared cluster running.

    ``after_first`` runs once the command has the first result (kill a worker, stop the
    run); ``dashboard`` is what the command is told to print; ``ran`` counts results.
    """

    def __init__(self, inner: Any, after_first: Any = None, dashboard: str | None = None):
        self.inner, self.after_first = inner, after_first
        self.description, self.dashboard = inner.description, dashboard
        self.ran = 0

    def map(self, fn: Any, items: Any, *, keys: Any = None) -> Iterator[tuple[int, Any]]:
        for i, result in self.inner.map(fn, items, keys=keys):
            self.ran += 1
            yield i, result
            if self.ran == 1 and self.after_first is not None:
                self.after_first()

    def close(self) -> None:
        pass
