"""The forward simulator kept on disk across processes (issue 14: warm fixed costs).

The cache lives in a temporary folder here; the session's compiled simulator is
stored and read back (no compile of its own: its graph is already linked in numba's
cache, so reading it back only links it again).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine import forward
from forecast.engine import function_cache as fcache
from forecast.engine.data import model_data
from forecast.engine.model import recorded


@pytest.fixture
def cache_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(fcache, "cache_dir", lambda: tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def seed_data() -> Any:
    return model_data(forecast.load(forecast.bundled("deepseek"))).without_observations()


def _key(data: Any) -> str:
    return fcache.cache_key(data.structure, conditional=False, mode=forward.MODE)


def _store(sim: Any, key: str) -> None:
    s = sim.simulator
    fcache.store(key, s.fn, s.rngs, s.outputs, s.inputs, s.input_dims)


def test_a_stored_simulator_reads_back_with_the_same_draws(cache_in: Path, seed_data: Any) -> None:
    sim = forward.simulator(seed_data)
    key = _key(seed_data)
    _store(sim, key)
    assert (cache_in / f"{key}.pkl").is_file()
    cached = fcache.load(key)
    assert cached is not None and cached.outputs == list(recorded(cached.outputs))
    read = forward.Simulator(None, cached.fn, cached.rngs, cached.outputs, cached.inputs, 0.0, from_disk=True)
    want = sim(3000, 7)
    with read.lock:
        read.load(seed_data)
        got = read(3000, 7)
    for name in recorded(want):
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
    # and another scenario of the structure loads into it as into the original
    other = forecast.load(forecast.bundled("deepseek")).with_overrides({"markets.developer_tools.cagr": 0.3})
    ev = model_data(other).without_observations()
    with read.lock:
        read.load(ev)
        got = read(500, 3)
    np.testing.assert_array_equal(got["market_size"], forward.simulator(ev)(500, 3)["market_size"])


def test_the_key_changes_with_structure_mode_sources_and_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    base = fcache.cache_key((False, False, False), conditional=False, mode="NUMBA")
    others = {
        fcache.cache_key((True, False, False), conditional=False, mode="NUMBA"),
        fcache.cache_key((False, True, False), conditional=False, mode="NUMBA"),
        fcache.cache_key((False, False, True), conditional=False, mode="NUMBA"),
        fcache.cache_key((False, False, False), conditional=True, mode="NUMBA"),
        fcache.cache_key((False, False, False), conditional=False, mode="CVM"),
    }
    assert base not in others and len(others) == 5
    # a library upgrade
    real = fcache.version
    monkeypatch.setattr(fcache, "version", lambda name: "99.0" if name == "pytensor" else real(name))
    upgraded = fcache.cache_key((False, False, False), conditional=False, mode="NUMBA")
    monkeypatch.setattr(fcache, "version", real)
    # a change to the code that builds the graph
    monkeypatch.setattr(fcache, "_SOURCES", (*fcache._SOURCES[:-1], "scenario/schema.py"))
    edited = fcache.cache_key((False, False, False), conditional=False, mode="NUMBA")
    assert len({base, upgraded, edited}) == 3


def test_a_stale_entry_is_never_loaded(
    cache_in: Path, seed_data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = forward.simulator(seed_data)
    key = _key(seed_data)
    _store(sim, key)
    # another library version: another key, and the old entry is not read for it
    real = fcache.version
    monkeypatch.setattr(fcache, "version", lambda name: "99.0" if name == "numba" else real(name))
    new_key = _key(seed_data)
    assert new_key != key and fcache.load(new_key) is None
    # an entry filed under another key (copied, or a hash collision) is refused: it names its own key
    shutil.copy(cache_in / f"{key}.pkl", cache_in / f"{new_key}.pkl")
    assert fcache.load(new_key) is None
    monkeypatch.setattr(fcache, "version", real)
    assert fcache.load(key) is not None


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "other pickle"])
def test_a_corrupt_entry_falls_back_to_compiling(
    cache_in: Path, seed_data: Any, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    import pickle

    sim = forward.simulator(seed_data)
    key = _key(seed_data)
    _store(sim, key)
    path = cache_in / f"{key}.pkl"
    blob = path.read_bytes()
    path.write_bytes(
        {
            "truncated": blob[: len(blob) // 2],
            "garbage": b"\x80\x05not a pickle at all",
            "empty": b"",
            "other pickle": pickle.dumps({"format": fcache.FORMAT, "key": key, "function": None}),
        }[damage]
    )
    assert fcache.load(key) is None
    # the simulator then compiles (here: the session's compiled graph stands in for
    # the compile, to keep the test short) and writes a good entry again
    compiled: list[bool] = []

    def compile_graph(data: Any, conditional: bool) -> Any:
        compiled.append(conditional)
        return sim.simulator

    monkeypatch.setattr(forward, "_compile_graph", compile_graph)
    count = forward.COMPILE_COUNT
    got = forward._compile(seed_data, False)
    assert compiled == [False] and got is sim.simulator
    assert count == forward.COMPILE_COUNT
    assert fcache.load(key) is not None
