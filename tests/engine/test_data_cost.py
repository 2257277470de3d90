"""The model's data grow with the scenario, not its square; the calibration is kept
across processes (issue 14). Picks by index are checked against the recorded
quantities in test_model.py (thresholds read the interpolated market, predictions the
share of the realized outcome)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine import data as data_module
from forecast.engine.data import calibrate_outcomes, model_data
from forecast.scenario import Scenario
from forecast.scenario.inputs import Canonical, Family


def grown(n_markets: int, n_predictions: int) -> Scenario:
    """The seed scenario with its markets and predictions copied (thresholds alternate
    between the share and a market)."""
    s = tomllib.loads(Path(forecast.bundled("deepseek")).read_text(encoding="utf-8"))
    base = s["markets"]
    s["markets"] = [
        {**copy.deepcopy(base[i % 4]), **({"id": f"{base[i % 4]['id']}_{i}"} if i >= 4 else {})}
        for i in range(n_markets)
    ]
    preds = []
    for i in range(n_predictions):
        p = copy.deepcopy(s["predictions"][i % 4])
        if i >= 4:
            p["id"] = f"{p['id']}_{i}"
            if "quantity" in p and (i // 4) % 2:
                p["quantity"], p["threshold"] = f"market.{s['markets'][i % n_markets]['id']}", 20.0
        preds.append(p)
    s["predictions"] = preds
    return Scenario.from_dict(s, origin="grown.toml")


def _elements(n_markets: int, n_predictions: int) -> int:
    return sum(a.size for a in model_data(grown(n_markets, n_predictions)).arrays().values())


def test_data_grow_linearly_with_markets_and_predictions() -> None:
    # ten times the predictions: at most about ten times the data (a dense
    # (threshold, market x time) pick grew a hundredfold)
    assert _elements(4, 400) / _elements(4, 40) < 11
    assert _elements(64, 40) / _elements(8, 40) < 9
    d = model_data(grown(8, 40))
    thresholds = len(d.coords["threshold"])
    # one index per threshold and per prediction, no one-hot matrices
    assert d.thr_pick.shape == d.thr_market.shape == d.thr_time.shape == (thresholds,)
    assert d.pred_pick.shape == (40,) and sorted(d.pred_pick) == list(range(40))
    assert d.pos_market.dtype.kind == "i"


def test_market_threshold_picks_its_market_and_deadline() -> None:
    s = grown(8, 16)
    d = model_data(s)
    thresholds = [p for p in s.predictions if p.kind == "threshold"]
    markets = [m.id for m in s.markets]
    n_years = len(s.years)
    for j, p in enumerate(thresholds):
        assert d.thr_time[j] == n_years + j  # its own query time
        kind, _, ref = (p.quantity or "").partition(".")
        if kind == "market":
            assert (d.thr_market[j], d.thr_pick[j]) == (markets.index(ref), j)
        else:
            assert d.thr_pick[j] >= len(thresholds)  # in the share block


@pytest.fixture
def calibration_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The disk cache in a temporary folder, and an empty in-process cache."""
    real = data_module._calibration_file

    def in_tmp(key: Any) -> Path | None:
        path = real(key)
        return None if path is None else tmp_path / path.name

    monkeypatch.setattr(data_module, "_calibration_file", in_tmp)
    monkeypatch.setattr(data_module, "_CALIBRATION_CACHE", {})
    return tmp_path


def test_calibration_is_read_back_by_another_process(
    calibration_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (
        np.array([0.4, 0.6]),
        np.array([4.0, 6.0]),
        np.array([[0.5], [0.0]]),
        Canonical(Family.NORMAL, 0.3, 0.0),
    )
    first = calibrate_outcomes(*args, draws=20_000)
    assert len(list(calibration_dir.glob("*.npy"))) == 1
    # a new process: nothing in memory, and computing would fail
    monkeypatch.setattr(data_module, "_CALIBRATION_CACHE", {})

    def no(*a: Any) -> Any:
        raise AssertionError("recomputed instead of read from disk")

    monkeypatch.setattr(data_module, "_calibrate", no)
    assert calibrate_outcomes(*args, draws=20_000).tolist() == first.tolist()
    # other inputs are another key: computed, not read
    with pytest.raises(AssertionError, match="recomputed"):
        calibrate_outcomes(*args, draws=20_001)


def test_a_damaged_calibration_file_is_recomputed(
    calibration_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (
        np.array([0.5, 0.5]),
        np.array([5.0, 5.0]),
        np.array([[0.3], [0.0]]),
        Canonical(Family.NORMAL, 0.0, 0.0),
    )
    first = calibrate_outcomes(*args, draws=20_000)
    (path,) = calibration_dir.glob("*.npy")
    np.save(path, np.array([np.nan, 1.0]))
    monkeypatch.setattr(data_module, "_CALIBRATION_CACHE", {})
    assert calibrate_outcomes(*args, draws=20_000).tolist() == first.tolist()
    assert np.isfinite(np.load(path)).all()  # and written again
