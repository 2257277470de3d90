"""The examples in the scenario layer's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "forecast",
    "forecast.errors",
    "forecast.scenario.inputs",
    "forecast.scenario.calendar",
    "forecast.scenario.schema",
    "forecast.scenario.merging",
    "forecast.scenario.reading",
    "forecast.scenario.jsonschema",
    "forecast.scenario.actuals",
    "forecast.scenario.beside",
    "forecast.scenario.checks",
    "forecast.scenario.market_checks",
    "forecast.analysis.scores",
    "forecast.analysis.history",
    "forecast.commands.track_record",
    "forecast.outputs.history_report",
    "forecast.outputs.formatting",
    "forecast.scenario.display",
    "forecast.engine.dataset",
    "forecast.engine.data",
    "forecast.engine.arrays",
    "forecast.engine.thresholds",
    "forecast.engine.calibration",
    "forecast.engine.executor",
    "forecast.engine.resources",
    "forecast.analysis.sweep",
    "forecast.engine.model",
    "forecast.outputs.narrative",
    "forecast.analysis.pool",
    "forecast.outputs.comparison_sections",
    "forecast.analysis.tornado",
    "forecast.cli",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
