"""Issue 30: nutpie samples at TARGET_ACCEPT and again, higher, only when a run diverges."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest
import xarray as xr

from forecast.engine import inference


def _fake_nutpie(monkeypatch: pytest.MonkeyPatch, divergences: dict[float, int]) -> list[tuple[float, int]]:
    """A stand-in for ``nutpie.sample`` whose runs diverge ``divergences[target]`` times."""
    calls: list[tuple[float, int]] = []

    def sample(compiled: Any, *, tune: int, target_accept: float, **kwargs: Any) -> dict[str, Any]:
        calls.append((target_accept, tune))
        diverging = np.zeros((4, 100), bool)
        diverging.flat[: divergences.get(target_accept, 0)] = True
        return {"sample_stats": xr.Dataset({"diverging": (("chain", "draw"), diverging)})}

    monkeypatch.setitem(sys.modules, "nutpie", types.SimpleNamespace(sample=sample))
    return calls


def test_a_run_without_divergences_is_kept_at_the_cheap_target(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_nutpie(monkeypatch, {})
    _, kept = inference._sample_nutpie(object(), None, tune=300, draws=100, seed=1)
    assert calls == [(inference.TARGET_ACCEPT, 300)]
    assert kept == (inference.TARGET_ACCEPT, 300, 0)


def test_a_diverging_run_is_sampled_again_higher(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_nutpie(monkeypatch, {inference.TARGET_ACCEPT: 2})
    _, kept = inference._sample_nutpie(object(), None, tune=300, draws=100, seed=1)
    raised = inference.TARGET_ACCEPT_RAISED[0]
    assert calls == [(inference.TARGET_ACCEPT, 300), (raised, inference.RAISED_TUNE)]
    assert kept == (raised, inference.RAISED_TUNE, 2)
    assert raised > inference.TARGET_ACCEPT


def test_the_last_target_is_kept_even_if_it_diverges(monkeypatch: pytest.MonkeyPatch) -> None:
    every = {t: 1 for t in (inference.TARGET_ACCEPT, *inference.TARGET_ACCEPT_RAISED)}
    calls = _fake_nutpie(monkeypatch, every)
    trace, kept = inference._sample_nutpie(object(), None, tune=300, draws=100, seed=1)
    assert len(calls) == 1 + len(inference.TARGET_ACCEPT_RAISED)
    assert kept[0] == inference.TARGET_ACCEPT_RAISED[-1]
    assert int(trace["sample_stats"]["diverging"].sum()) == 1  # check() then warns, as before


def test_a_given_target_is_never_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_nutpie(monkeypatch, {0.9: 5})
    _, kept = inference._sample_nutpie(object(), 0.9, tune=200, draws=100, seed=1)
    assert calls == [(0.9, 200)]
    assert kept == (0.9, 200, 0)
