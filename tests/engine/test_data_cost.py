"""The model's data grow with the scenario, not its square; the calibration is kept
across processes (issue 14).

Thresholds and predictions pick what they read by index (a gather per check), not by
dense one-hot products: the arrays here are what the graph reads per draw, so their
sizes bound its per-draw work. What the picks read is checked against the recorded
quantities in test_model.py and test_semantics.py (``by`` and ``at`` known answers).
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine import calibration
from forecast.engine.data import calibrate_outcomes, model_data
from forecast.scenario import Scenario, model_time
from forecast.scenario.inputs import Canonical, Family


def grown(n_markets: int, n_predictions: int, *, when: str | None = None) -> Scenario:
    """The seed scenario with its markets and predictions copied (every other copy of
    a threshold reads a market); ``when`` sets how every threshold is judged."""
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
        if "quantity" in p and when is not None:
            p["when"] = when
        preds.append(p)
    s["predictions"] = preds
    return Scenario.from_dict(s, origin="grown.toml")


def _elements(s: Scenario) -> int:
    return sum(a.size for a in model_data(s).arrays().values())


@pytest.mark.parametrize("when", ["at", "by"])
def test_data_grow_linearly_with_markets_and_predictions(when: str) -> None:
    # ten times the predictions: at most about ten times the data, and 16 times the
    # markets at most 16 times (a dense (threshold, series, time) pick grew as their product)
    assert _elements(grown(4, 400, when=when)) / _elements(grown(4, 40, when=when)) < 11
    assert _elements(grown(64, 40, when=when)) / _elements(grown(4, 40, when=when)) < 16
    # and markets add nothing to the per-threshold arrays
    small, big = model_data(grown(4, 40, when=when)), model_data(grown(64, 40, when=when))
    assert small.thr_check.size == big.thr_check.size and small.check_lo.size == big.check_lo.size


def test_checks_are_one_per_threshold_and_window_time() -> None:
    s = grown(8, 40, when="by")
    d = model_data(s)
    times = np.array(d.coords["time"])
    thresholds = [p for p in s.predictions if p.kind == "threshold"]
    start = model_time(s.as_of)
    windows = [((times >= start - 1e-9) & (times <= model_time(p.deadline) + 1e-9)).sum() for p in thresholds]
    # one check per (threshold, time of its window): thresholds x times at most,
    # never markets x thresholds x times
    assert d.check_lo.shape == (sum(windows),)
    assert d.thr_check.shape == (len(thresholds), max(windows))
    assert d.check_lo.size <= len(thresholds) * len(times)
    # one index per prediction and per position, no one-hot matrices
    assert d.pred_pick.shape == (40,) and sorted(d.pred_pick) == list(range(40))
    for name in ("pos_market", "share_pos", "check_lo", "check_hi", "thr_check", "time_lo", "time_hi"):
        assert getattr(d, name).dtype.kind == "i", name


def test_each_check_reads_its_series_at_its_time() -> None:
    s = grown(8, 16, when="by")
    d = model_data(s)
    n_m, n_y, n_t = len(s.markets), len(s.years), len(d.coords["time"])
    times = np.array(d.coords["time"])
    years = np.array(s.years, dtype=float)
    markets = [m.id for m in s.markets]
    thresholds = [p for p in s.predictions if p.kind == "threshold"]
    start = model_time(s.as_of)
    for j, p in enumerate(thresholds):
        kind, _, ref = (p.quantity or "").partition(".")
        checks = list(dict.fromkeys(d.thr_check[j].tolist()))  # padding repeats the last
        window = np.flatnonzero((times >= start - 1e-9) & (times <= model_time(p.deadline) + 1e-9))
        assert len(checks) == len(window)
        for c, t in zip(checks, window, strict=True):
            assert d.check_sign[c] == (1.0 if p.op == ">=" else -1.0)
            if kind == "market":
                m, y_lo = divmod(int(d.check_lo[c]), n_y)
                assert markets[m] == ref and d.check_hi[c] // n_y == m
                y_hi = int(d.check_hi[c]) % n_y
                # log-linear between the grid years around the time
                u = d.check_u[c]
                assert (1 - u) * years[y_lo] + u * years[y_hi] == pytest.approx(times[t])
                assert d.check_value[c] == pytest.approx(np.log(p.threshold))
            else:
                assert d.check_lo[c] == d.check_hi[c] and d.check_u[c] == 0.0
                rel = int(d.check_lo[c]) - n_m * n_y - (0 if kind == "share" else n_t)  # one position
                assert rel == t
                assert d.check_value[c] == p.threshold


def test_an_at_threshold_has_one_check_at_its_deadline() -> None:
    s = grown(4, 8, when="at")
    d = model_data(s)
    times = np.array(d.coords["time"])
    thresholds = [p for p in s.predictions if p.kind == "threshold"]
    assert d.check_lo.shape == (len(thresholds),) and d.thr_check.shape == (len(thresholds), 1)
    for j, p in enumerate(thresholds):
        c = int(d.thr_check[j, 0])
        if (p.quantity or "").startswith("share."):
            t = int(d.check_lo[c]) - len(s.markets) * len(s.years)
            assert times[t] == pytest.approx(model_time(p.deadline))


def test_simulated_hits_match_the_checks_read_from_the_draws() -> None:
    # thresholds due at a grid year read the recorded market, share or revenue there:
    # the hit by index is the hit computed from the draws (same draws)
    s = grown(4, 12, when="at")
    fc = forecast.simulate(s, draws=2000, seed=3)
    hit = fc.values("prediction_hit")
    years = np.array(s.years, dtype=float)  # year Y's figure stands at Y on model_time's axis
    markets = [m.id for m in s.markets]
    checked = set()
    for i, p in enumerate(s.predictions):
        t = model_time(p.deadline)
        if p.kind != "threshold" or not np.any(np.isclose(years, t)):
            continue
        y = int(np.flatnonzero(np.isclose(years, t))[0])
        kind, _, ref = (p.quantity or "").partition(".")
        if kind == "market":
            x = fc.values("market_size")[:, markets.index(ref), y]
        else:
            x = fc.values(kind)[:, 0, y]
        expect = (x >= p.threshold) if p.op == ">=" else (x <= p.threshold)
        assert 0 < expect.mean() < 1, p.id
        assert np.array_equal(hit[:, i].astype(bool), expect), p.id
        checked.add(kind)
    assert checked == {"market", "share"}


@pytest.fixture
def calibration_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The disk cache in a temporary folder, and an empty in-process cache."""
    real = calibration._calibration_file

    def in_tmp(key: Any) -> Path | None:
        path = real(key)
        return None if path is None else tmp_path / path.name

    monkeypatch.setattr(calibration, "_calibration_file", in_tmp)
    monkeypatch.setattr(calibration, "_CALIBRATION_CACHE", {})
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
    monkeypatch.setattr(calibration, "_CALIBRATION_CACHE", {})

    def no(*a: Any) -> Any:
        raise AssertionError("recomputed instead of read from disk")

    monkeypatch.setattr(calibration, "_calibrate", no)
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
    monkeypatch.setattr(calibration, "_CALIBRATION_CACHE", {})
    assert calibrate_outcomes(*args, draws=20_000).tolist() == first.tolist()
    assert np.isfinite(np.load(path)).all()  # and written again
