"""``forecast warm``: the forward simulator compiled as an install step (issue 30)."""

from __future__ import annotations

from pathlib import Path

import pytest

import forecast
from forecast.cli import main
from forecast.engine import function_cache
from forecast.engine.data import model_data
from forecast.engine.forward import MODE


def test_warm_exits_0_and_leaves_the_simulator_on_disk(capsys: pytest.CaptureFixture[str]) -> None:
    # the bundled scenario's structure is the suite's seed structure: no new compile
    path = Path(forecast.bundled())
    assert main(["warm", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"warm: {path} (")
    data = model_data(forecast.load(path)).without_observations()
    key = function_cache.cache_key(data.structure, conditional=False, mode=MODE)
    assert function_cache.load(key) is not None  # what the next process's first run links


def test_warm_without_files_warms_the_bundled_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warm"]) == 0
    assert "deepseek.toml" in capsys.readouterr().out


def test_warm_of_a_bad_file_exits_2_and_still_warms_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("this is not = = toml\n", encoding="utf-8")
    assert main(["warm", str(bad), str(forecast.bundled())]) == 2
    captured = capsys.readouterr()
    assert "bad.toml" in captured.err and "Traceback" not in captured.err
    assert "warm: " in captured.out and "deepseek.toml" in captured.out
