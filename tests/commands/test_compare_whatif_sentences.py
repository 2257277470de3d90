"""The comparison report's header sentences on their branches: a file against itself
with ``--set`` (one input changed, and the projection it displaced: two), several files
with the same overrides, none; one seed or several. The seed forecast (a session
fixture) stands in for every scenario: no new compile, no simulation."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from forecast.analysis.comparison import Comparison
from forecast.outputs.comparison import _context

CAGR = "markets.developer_tools.cagr"


def _compare(seed_forecast: Any, second: str, overrides: dict[str, Any], seed: int | None = None) -> Any:
    new = seed_forecast.scenario.with_overrides(overrides) if overrides else seed_forecast.scenario
    other = dataclasses.replace(seed_forecast, scenario=new)
    if seed is not None:
        other = dataclasses.replace(other, seed=seed)
    return Comparison([seed_forecast, other], ["deepseek", second])


def test_a_file_against_itself_with_set_counts_the_inputs_that_differ(
    seed_forecast: Any, tmp_path: Path
) -> None:
    cmp = _compare(seed_forecast, "deepseek with --set", {CAGR: 0.3})
    ctx = _context(cmp, tmp_path, {}, {"overrides": {CAGR: 0.3}}, [])
    # the CAGR set, and the projection it displaced
    assert ctx["whatif"]["text"] == (
        "deepseek with --set is not the scenario as written: 2 inputs differ from deepseek."
    )
    assert ctx["heading"] == "What-if: Comparison: deepseek vs deepseek with --set"
    assert [row[0] for row in ctx["whatif"]["table"].rows] == [CAGR, "markets.developer_tools.projection"]


def test_several_files_with_the_same_overrides_and_one_seed(seed_forecast: Any, tmp_path: Path) -> None:
    cmp = _compare(seed_forecast, "other", {CAGR: 0.3})
    ctx = _context(cmp, tmp_path, {}, {"overrides": {CAGR: 0.3}}, [])
    assert ctx["whatif"]["text"] == "every scenario compared has these --set overrides applied."
    n = seed_forecast.n_draws
    assert ctx["meta"] == f"{n:,} draws, random seed {seed_forecast.seed}; differences vs deepseek"


@pytest.mark.parametrize("seed", [None, 99])
def test_no_overrides_no_what_if_and_the_seeds_counted(
    seed_forecast: Any, tmp_path: Path, seed: int | None
) -> None:
    cmp = _compare(seed_forecast, "other", {}, seed)
    ctx = _context(cmp, tmp_path, {}, {}, [])
    assert ctx["whatif"] is None and ctx["heading"] == "Comparison: deepseek vs other"
    seeds = sorted({seed_forecast.seed, seed if seed is not None else seed_forecast.seed})
    words = f"random seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    assert ctx["meta"] == f"{seed_forecast.n_draws:,} draws, {words}; differences vs deepseek"
