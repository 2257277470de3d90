"""The Python API checks its arguments like the command line and raises the
documented error type, :class:`forecast.ScenarioError` (a ``ValueError``)."""

from __future__ import annotations

from typing import Any

import pytest

import forecast
from forecast import ScenarioError


@pytest.fixture(scope="module")
def scenario() -> forecast.Scenario:
    return forecast.load(forecast.bundled("deepseek"))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (
            {"draws": -1},
            "draws: must be a whole number from 100 to 10,000,000 (got -1)",
        ),  # was KeyError 'chain'
        ({"draws": 0}, "(got 0)"),  # silently used the file's value
        ({"draws": True}, "(got True)"),  # returned one draw
        ({"draws": 2.5}, "(got 2.5)"),
        ({"draws": 10**8}, "(got 100000000)"),
        ({"seed": -1}, "seed: must be a whole number from 0 to 2**64 - 1 (got -1)"),
        ({"seed": 2**64}, "(got 18446744073709551616)"),
        ({"seed": "1"}, "(got '1')"),
        ({"prior_only": "yes"}, "prior_only: must be True or False"),
        ({"sampler": "metropolis"}, 'sampler: must be "nutpie" or "pymc"'),
    ],
)
def test_simulate_refuses_bad_arguments(scenario: Any, kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ScenarioError) as info:
        forecast.simulate(scenario, **kwargs)
    assert isinstance(info.value, ValueError)
    assert needle in str(info.value)


def test_simulate_refuses_what_is_not_a_scenario() -> None:
    with pytest.raises(ScenarioError, match="scenario: must be a Scenario"):
        forecast.simulate({"id": "x"})  # type: ignore[arg-type]


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({None: 1}, "None: must be a dotted key as text"),  # was AttributeError
        ({3: 1}, "3: must be a dotted key as text"),
        ("title=x", "must be a mapping of dotted keys to values"),
        ({".".join(["a"] * 1000): 1}, "has more than 32 parts"),  # was RecursionError
        ({"title": _nested(40)}, "nests more than 32"),
    ],
)
def test_with_overrides_refuses_bad_keys(scenario: Any, overrides: Any, needle: str) -> None:
    with pytest.raises(ScenarioError, match=None) as info:
        scenario.with_overrides(overrides)
    assert needle in str(info.value)


def test_from_dict_refuses_deep_nesting() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(2000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ScenarioError, match="nested at most 32 levels deep"):
        forecast.Scenario.from_dict(deep)
