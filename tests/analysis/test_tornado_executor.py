"""The tornado's one-at-a-time runs as executor jobs: the same numbers in this process
and on a real two-process ``LocalCluster`` (one for the module, closed after it).

The seed scenario at 2,000 draws, its headline targets (a market total, a revenue, an
outcome probability: growth, volatility, share, event and Dirichlet inputs all move),
300 draws a run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import forecast
from forecast.analysis.sensitivity import headline_targets
from forecast.analysis.tornado import tornadoes
from forecast.engine.executor import DaskExecutor, InProcess

pytestmark = pytest.mark.usefixtures("cluster_time_bound")

DRAWS = 300


@pytest.fixture(scope="module")
def fc() -> Any:
    return forecast.simulate(forecast.load(forecast.bundled()), draws=2000, seed=4)


@pytest.fixture(scope="module")
def here(fc: Any) -> dict[str, pd.DataFrame]:
    return tornadoes(fc, headline_targets(fc.scenario), draws=DRAWS)


def _same(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert list(got) == list(want)
    for target, df in want.items():
        pd.testing.assert_frame_equal(got[target], df, check_exact=True)
        assert got[target].attrs == df.attrs


def test_tornado_on_the_cluster_equals_in_process(
    fc: Any, here: dict[str, pd.DataFrame], cluster: DaskExecutor
) -> None:
    there = tornadoes(fc, headline_targets(fc.scenario), draws=DRAWS, executor=cluster)
    _same(there, here)
    assert {"growth", "outcome_prior"} <= {i.split("[")[0] for i in here["outcome.independence"]["input"]}
    assert (here["outcome.independence"]["swing"] > 0).any()


def test_tornado_through_the_in_process_executor_equals_the_plain_loop(
    fc: Any, here: dict[str, pd.DataFrame]
) -> None:
    _same(tornadoes(fc, headline_targets(fc.scenario), draws=DRAWS, executor=InProcess()), here)


def test_the_api_takes_an_executor(fc: Any, here: dict[str, pd.DataFrame], cluster: DaskExecutor) -> None:
    target = headline_targets(fc.scenario)[0]
    keys = list(here[target]["input"][:2])
    got = fc.tornado(target, draws=DRAWS, inputs=keys, executor=cluster)
    want = here[target].set_index("input").loc[got["input"]].reset_index()
    pd.testing.assert_frame_equal(got, want[got.columns], check_exact=True)
