"""The scenario's SHA-256 is computed once per scenario (issue 30's fixed costs).

``forecast.simulate`` records it in every group's attributes; through the TOML it cost
~6 ms a call, a quarter of the wrapping at the file's 20,000 draws.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

import forecast
from forecast.scenario import Scenario


def _fresh() -> Scenario:
    return forecast.load(forecast.bundled())


def test_the_digest_is_the_tomls_and_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    s = _fresh()
    digest = s.sha256()
    assert digest == hashlib.sha256(s.to_toml().encode()).hexdigest()

    def no_toml(self: Any) -> str:
        raise AssertionError("the digest was computed again")

    monkeypatch.setattr(Scenario, "to_toml", no_toml)
    assert s.sha256() == digest


def test_a_remembered_digest_leaves_equality_alone() -> None:
    a, b = _fresh(), _fresh()
    a.sha256()  # remembered on a, not on b
    assert a == b and b == a
    assert a != a.with_overrides({"simulation.draws": 1000})


def test_a_changed_scenario_gets_its_own_digest() -> None:
    s = _fresh()
    before = s.sha256()
    changed = s.with_overrides({"markets.developer_tools.cagr": 0.3})
    assert changed.sha256() != before
    assert changed.sha256() == hashlib.sha256(changed.to_toml().encode()).hexdigest()
    assert s.sha256() == before
