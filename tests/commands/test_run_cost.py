"""What a run records about its own cost and draws, and when it uses a figure worker (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecast.commands.figure_worker import figure_worker_wanted


@pytest.mark.parametrize(
    ("setting", "cores", "load", "want"),
    [
        ("1", 1, 9.0, True),  # asked for: always
        ("0", 8, 0.0, False),  # refused: never
        ("", 2, 0.2, True),  # a quiet two-core machine: a core is free
        ("", 2, 1.5, False),  # a busy one: the worker would only compete
        ("", 1, 0.0, False),  # one core: nothing to run beside
        ("", 8, 6.5, True),
    ],
)
def test_figure_worker_is_decided_from_free_cores(setting: str, cores: int, load: float, want: bool) -> None:
    assert figure_worker_wanted(setting, cores=cores, load=load) is want


def test_manifest_records_requested_draws_and_cpu_time(seed_report: Path) -> None:
    manifest = json.loads((seed_report / "manifest.json").read_text())
    assert manifest["draws"] == manifest["draws_requested"] == 20_000
    assert manifest["draws_note"] == ""
    assert manifest["cpu_seconds"]["simulate_total"] > 0
    # the outcome calibration is a fixed cost of its own, apart from the simulation
    assert {"simulate.data", "simulate.compile", "simulate.simulate"} <= set(manifest["timings_seconds"])
