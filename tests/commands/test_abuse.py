"""Careless and hostile input to ``forecast run``: refused with exit 2 and a clear
message, nothing written, never NaN or inf with exit 0 (issue 12).

The folder cases are in tests/outputs/test_staging.py, signals, orphans and a full
disk in tests/commands/test_run.py, threads in tests/engine/test_thread_safety.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import forecast
from forecast.cli import main
from tests.conftest import snapshot


def run(workdir: Path, *args: str) -> int:
    return main(
        ["run", "--no-sensitivity", "--quiet", "--out", str(workdir / "out"), "--draws", "500", *args]
    )


# --- never NaN or inf with exit 0 -------------------------------------------------------


def test_a_confidence_too_small_to_simulate_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """confidence=0.001 gave empty (NaN) outcome probabilities with exit 0, even with --strict."""
    assert run(workdir, "--set", "assessment.confidence=0.001", "--strict") == 2
    err = capsys.readouterr().err
    assert "assessment.confidence: must be at least 0.05" in err and "(got 0.001)" in err
    assert list(workdir.iterdir()) == []


def test_a_size_whose_spread_overflows_is_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """size = 1e300 wrote sd = inf into markets.csv with exit 0: now refused as soon as
    the draws exist, before any summary, naming what cannot be computed."""
    assert run(workdir, "--set", "markets.developer_tools.size=1e300") == 2
    err = capsys.readouterr().err
    assert "the simulated market_size exceeds 1e+150" in err and "too large to summarise" in err
    assert "Traceback" not in err
    assert list(workdir.iterdir()) == []


def test_nan_draws_are_refused_by_simulate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the cause, simulate() never returns NaN draws (the last net)."""
    import numpy as np

    import forecast.analysis.results as results
    from forecast.errors import NonFiniteError

    real = results.compute

    def nan_compute(*args: Any, **kwargs: Any) -> Any:
        computed = real(*args, **kwargs)
        computed.data["prior"]["outcome_probability"].values[0, :3] = np.nan
        return computed

    monkeypatch.setattr(results, "compute", nan_compute)
    with pytest.raises(NonFiniteError, match="outcome_probability is not a finite number in"):
        forecast.simulate(forecast.load(forecast.bundled("deepseek")), draws=500, seed=1)


def test_evidence_far_outside_the_prior_is_flagged() -> None:
    """Evidence 1000x the projection: a prior-data conflict warning (the forecast is
    still computed); evidence inside the prior: none. The prior draws alone decide it,
    so no NUTS run is needed here."""
    from forecast.analysis.results import prior_data_conflicts

    s = forecast.load(forecast.bundled("deepseek-update"))
    fc = forecast.simulate(s, draws=2000, seed=1, prior_only=True)
    assert prior_data_conflicts(fc) == []
    far = s.with_overrides({"evidence[0].value": s.evidence[0].value * 1000})
    [warning] = prior_data_conflicts(forecast.simulate(far, draws=2000, seed=1, prior_only=True))
    assert warning.startswith("Prior–data conflict: evidence[0] (developer_tools in 2025: 4.9e+03) is above")
    low = s.with_overrides({"evidence[0].value": s.evidence[0].value / 1000})
    [warning] = prior_data_conflicts(forecast.simulate(low, draws=2000, seed=1, prior_only=True))
    assert "is below what the scenario expected" in warning


def test_prior_data_conflict_reaches_the_warnings_and_the_report(
    monkeypatch: pytest.MonkeyPatch, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The conflict is printed, written into report.md and report.html and the
    manifest, and --strict exits 3 (NUTS replaced by the prior draws to stay fast)."""
    import forecast.analysis.results as results

    s = forecast.load(forecast.bundled("deepseek-update"))
    path = workdir / "far.toml"
    path.write_text(s.with_overrides({"evidence[0].value": 4900.0}).to_toml())
    real = results.compute
    monkeypatch.setattr(results, "compute", lambda sc, **kw: real(sc, **{**kw, "prior_only": True}))
    assert (
        main(["run", str(path), "--no-sensitivity", "--quiet", "--out", "out", "--draws", "500", "--strict"])
        == 3
    )
    err = capsys.readouterr().err
    assert "Prior–data conflict: evidence[0]" in err and "PRIOR–DATA CONFLICT (--strict: exit 3)" in err
    assert "Prior–data conflict: evidence[0]" in (workdir / "out" / "report.html").read_text()
    assert "Prior–data conflict: evidence\\[0\\]" in (workdir / "out" / "report.md").read_text()  # escaped
    manifest = json.loads((workdir / "out" / "manifest.json").read_text())
    assert any(w.startswith("Prior–data conflict") for w in manifest["diagnostic_warnings"])


# --- impossible observations -------------------------------------------------------------


def test_a_signpost_observed_against_every_outcome_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An observed signpost with likelihood 0 under every outcome passed validate and
    crashed the sampler (exit 139)."""
    zero = "signposts.next_model_release.likelihood={ independence = 0.0, acquired = 0.0, struggling = 0.0 }"
    before = snapshot(workdir)
    assert run(workdir, "--set", zero, "--set", "signposts.next_model_release.observed=true") == 2
    err = capsys.readouterr().err
    assert "signposts.next_model_release.observed: is impossible under every outcome" in err
    one = zero.replace("0.0", "1.0")
    assert run(workdir, "--set", one, "--set", "signposts.next_model_release.observed=false") == 2
    assert "not seeing it is impossible" in capsys.readouterr().err
    assert snapshot(workdir) == before


# --- resources refused up front ----------------------------------------------------------


def test_a_run_too_big_for_memory_is_refused_up_front(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--draws 10000000 grew to 23.7 GB until the kernel killed it: on a machine with
    4 GiB free it is refused before any work, with the estimate and the draws that fit."""
    import forecast.engine.resources as resources

    monkeypatch.setattr(resources, "available_memory", lambda: 4 * 2**30)
    assert main(["run", "--no-sensitivity", "--quiet", "--out", "out", "--draws", "10000000"]) == 2
    err = capsys.readouterr().err
    s = forecast.load(forecast.bundled("deepseek"))
    need = resources.memory_needed(s, 10_000_000) / 2**30
    assert (
        f"simulation.draws: 10,000,000 draws need about {need:.1f} GiB of memory and 4.0 GiB is available"
        in err
    )
    fit = re.search(r"at most ([\d,]+) draws fit \(--draws (\d+)\)", err)
    assert fit is not None and int(fit[1].replace(",", "")) == int(fit[2])
    assert list(workdir.iterdir()) == []
    # the estimate is honest: the draws it says fit, fit, and 100,000 more would not
    n = int(fit[2])
    assert resources.memory_needed(s, n) <= 4 * 2**30 < resources.memory_needed(s, n + 100_000)


def test_twenty_markets_over_a_century_at_ten_million_draws_are_refused() -> None:
    """Failed with "MemoryError: Unable to allocate 151 GiB" (exit 1); no machine here has that."""
    from forecast.errors import ScenarioError

    markets = [
        {"id": f"m{i}", "label": f"M{i}", "unit": "USD bn", "base_year": 2025, "size": 1.0, "cagr": 0.05}
        for i in range(20)
    ]
    s = forecast.Scenario.from_dict(
        {
            "id": "big",
            "title": "Big",
            "as_of": "2025-01-01",
            "markets": markets,
            "simulation": {"end_year": 2124},
        }
    )
    with pytest.raises(ScenarioError, match=r"simulation.draws: 10,000,000 draws need about \d+"):
        forecast.simulate(s, draws=10_000_000)


# --- exit 2, not 1 -----------------------------------------------------------------------

DEEP = {
    "nested arrays": "v = " + "[" * 600 + "]" * 600 + "\n",
    "nested inline tables": "v = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n",
    "a 1000-part dotted key": ".".join(["a"] * 1000) + " = 1\n",
    "100 nested tables": "".join(f"[{'.'.join(['t'] * (i + 1))}]\n" for i in range(100)),
}


@pytest.mark.parametrize("case", list(DEEP))
def test_deeply_nested_files_are_refused(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RecursionError (exit 1) on 600 nested arrays, 5000 nested inline tables, a
    1000-part dotted key."""
    path = workdir / "deep.toml"
    path.write_text(DEEP[case])
    assert main(["validate", str(path)]) == 2
    assert (
        capsys.readouterr().err
        == f"{path}: tables or arrays nest more than 32 levels deep: not a scenario file\n"
    )


def test_a_long_extends_chain_and_a_long_extends_path_are_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "base.toml").write_text(forecast.bundled("deepseek").read_text())
    previous = "base.toml"
    for i in range(2000):
        (workdir / f"c{i}.toml").write_text(f'extends = "{previous}"\n')
        previous = f"c{i}.toml"
    assert main(["validate", str(workdir / previous)]) == 2
    assert "extends: the extends chain is longer than 32 files" in capsys.readouterr().err
    (workdir / "far.toml").write_text(f'extends = "{"x" * 5000}.toml"\n')
    assert main(["validate", str(workdir / "far.toml")]) == 2
    assert "extends: is longer than 1024 characters" in capsys.readouterr().err


def test_deep_set_keys_and_values_are_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = ".".join(["a"] * 1000)
    value = "{a = " * 5000 + "1" + "}" * 5000
    assert run(workdir, "--set", f"{key}=1", "--set", f"title={value}") == 2
    err = capsys.readouterr().err
    assert "has more than 32 parts" in err
    assert "--set: title: its value nests too deeply" in err
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("seed", ["18446744073709551616", "-1"])
def test_a_seed_out_of_range_is_refused_before_any_work(
    seed: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--seed 2**64 failed after the whole simulation, writing forecast.nc (exit 1)."""
    assert run(workdir, "--seed", seed) == 2
    assert "simulation.seed:" in capsys.readouterr().err
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        (
            "markets.developer_tools.label",
            "x" * 1_000_000,
            "label: is longer than 200 characters (got 1,000,000)",
        ),
        ("title", "t" * 201, "title: is longer than 200 characters (got 201)"),
        ("description", "d" * 10_001, "description: is longer than 10,000 characters"),
        ("id", "a" * 230, "id: string should have at most 64 characters"),
        (
            "markets.developer_tools.size.source",
            "s" * 10_001,
            "size.source: string should have at most 10000",
        ),
    ],
)
def test_text_and_names_are_bounded(
    key: str, value: str, needle: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1 MB label failed in the figure renderer after 86 s; a 230-character id made
    a report folder name that failed on every rerun."""
    scenario = forecast.load(forecast.bundled("deepseek"))
    path = workdir / "long.toml"
    path.write_text(scenario.to_toml())
    from forecast.scenario.merging import set_dotted

    raw = scenario.raw
    set_dotted(raw, key, value)
    import tomli_w

    path.write_text(tomli_w.dumps(raw))
    assert main(["validate", str(path)]) == 2
    assert needle in capsys.readouterr().err
