"""The model's data are built once per scenario (issue 30: ``model_data`` was ~7 ms of
``forecast.simulate``'s fixed cost at the file's 20,000 draws, rebuilt on every call).

A scenario is frozen, so its data are a function of the scenario object alone: they
are remembered on it (weakly: they go with it), handed out read-only (a caller that
changes an array in place would change every later simulation of that scenario), and
equal, byte for byte, to what a fresh build gives.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine import arrays, data
from forecast.engine.data import model_data
from tests.engine.test_data_digest import digest


def _fresh(name: str = "deepseek") -> forecast.Scenario:
    return forecast.load(forecast.bundled(name))


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def no(*a: Any, **k: Any) -> Any:
        raise AssertionError("the model's data were built again")

    monkeypatch.setattr(arrays, "market_arrays", no)


@pytest.mark.parametrize("name", ["deepseek", "deepseek-update", "ev-charging"])
def test_the_data_are_built_once_per_scenario_and_equal_a_fresh_build(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _fresh(name)
    first = model_data(s)
    fresh = digest(model_data(_fresh(name)))  # another (equal) scenario object: its own build
    _no_build(monkeypatch)
    assert model_data(s) is first
    assert digest(model_data(s)) == fresh
    assert model_data(s).without_observations() is first.without_observations()


def test_a_changed_scenario_gets_its_own_data() -> None:
    s = _fresh()
    before = model_data(s).drift_mu.copy()
    changed = s.with_overrides({"markets.developer_tools.cagr": 0.3})
    assert not np.array_equal(model_data(changed).drift_mu, before)
    assert np.array_equal(model_data(s).drift_mu, before)


def test_the_remembered_arrays_cannot_be_changed_in_place() -> None:
    d = model_data(_fresh("deepseek-update"))
    for frozen in (d, d.without_observations()):
        for name, value in frozen.arrays().items():
            assert not value.flags.writeable, name
    with pytest.raises(ValueError, match="read-only"):
        d.calib[0] = 0.0
    # a copy is the caller's own
    mine = replace(d, calib=d.calib.copy())
    mine.calib[0] = 0.0
    assert d.calib[0] != 0.0


def test_the_memo_lets_its_scenario_go() -> None:
    s = _fresh()
    model_data(s).without_observations()
    held = len(data._BUILT)
    gone = weakref.ref(s)
    del s
    gc.collect()
    assert gone() is None
    assert len(data._BUILT) == held - 1
