"""A comparison's scenarios as executor jobs (the in-process executor; the Dask one runs
in tests/commands/test_compare_cluster.py): data in, the same forecasts out, and a
scenario's own error when it fails."""

from __future__ import annotations

import pandas as pd
import pytest

import forecast
from forecast.analysis.comparison import Comparison, scenario_job, simulate_each
from forecast.engine.executor import InProcess
from forecast.errors import ScenarioError


def test_jobs_carry_data_and_give_the_same_tables() -> None:
    base = forecast.load(forecast.bundled())
    variants = [base, base.with_overrides({"assessment.confidence": 5})]
    job = scenario_job(variants[1], draws=300, seed=2)
    assert set(job) == {"toml", "origin", "draws", "seed"} and isinstance(job["toml"], str)
    here = Comparison.simulate(variants, names=["base", "unsure"], draws=300, seed=2)
    jobs = Comparison.simulate(variants, names=["base", "unsure"], draws=300, seed=2, executor=InProcess())
    for table in ("markets", "outcomes", "predictions", "differences"):
        pd.testing.assert_frame_equal(getattr(jobs, table)(), getattr(here, table)(), check_exact=True)
    # the forecast carries the caller's scenario object, not the one rebuilt from TOML
    assert jobs.forecasts[1].scenario is variants[1]
    assert set(jobs.timings) == {"simulate.base", "simulate.unsure"}


def test_a_failing_scenario_raises_its_own_error() -> None:
    s = forecast.load(forecast.bundled())
    with pytest.raises(ScenarioError, match="draws"):
        list(simulate_each([s], draws=5, executor=InProcess()))
