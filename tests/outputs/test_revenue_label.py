"""A position's revenue is named as one thing (issue 25: '"share of developer tools:
expected revenue" mixes two things in one label').

A position's label often names a share ("DeepSeek share of developer tools"); its
revenue was labelled "<that label>: revenue" in the sensitivity section, the terminal
summary, ``forecast compare`` and sweep tables. Every surface now says "Revenue [year]
from <position>", and the report's summary never glues a share label to a revenue.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import forecast

LABEL = "Revenue from DeepSeek share of developer tools"


@pytest.fixture(scope="module")
def seed() -> Any:
    return forecast.load(forecast.bundled("deepseek"))


def test_the_sensitivity_target_names_the_revenue_and_its_year(seed: Any) -> None:
    from forecast.analysis.sensitivity import parse_target

    assert parse_target(seed, "revenue.deepseek_devtools@2027").label == (
        "Revenue 2027 from DeepSeek share of developer tools (USD bn)"
    )


def test_sweep_and_compare_name_the_revenue(seed: Any) -> None:
    from forecast.outputs.comparison import quantities
    from forecast.outputs.sweep import quantity_labels

    assert quantity_labels(seed)["revenue.deepseek_devtools"] == LABEL
    cmp = SimpleNamespace(forecasts=[SimpleNamespace(scenario=seed)])
    found = {key: title for key, title, _ in quantities(cmp)}  # type: ignore[arg-type]
    assert found["revenue.deepseek_devtools"] == LABEL
    assert found["share.deepseek_devtools"] == "DeepSeek share of developer tools"


def test_the_terminal_summary_names_the_revenue(seed_forecast: Any, capsys: Any, tmp_path: Path) -> None:
    from forecast.commands.run import _print_summary

    _print_summary(seed_forecast, tmp_path)
    text = " ".join(capsys.readouterr().out.split())
    assert "share of developer tools: revenue" not in text
    assert "Revenue from DeepSeek share of" in text
