"""Careless and hostile input to ``forecast run``: refused with exit 2 and a clear
message, nothing written, never NaN or inf with exit 0 (issue 12).

The folder cases are in tests/outputs/test_staging.py, signals, orphans and a full
disk in tests/commands/test_run.py, threads in tests/engine/test_thread_safety.py.
"""

from __future__ import annotations

import json
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
    """size = 1e300 wrote sd = inf into markets.csv with exit 0."""
    assert run(workdir, "--set", "markets.developer_tools.size=1e300") == 2
    err = capsys.readouterr().err
    assert "markets.csv: developer_tools 2024.sd: is not a finite number" in err and "(got 'inf')" in err
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
    assert "Prior–data conflict: evidence[0]" in err
    for name in ("report.md", "report.html"):
        assert "Prior–data conflict: evidence[0]" in (workdir / "out" / name).read_text(), name
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
