"""``history`` and ``score`` check a report folder against its ``manifest.json`` before a
number is taken from it: an edited table or a damaged ``forecast.nc`` is refused by
name (exit 2), never scored as if it were true."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from forecast import ScenarioError
from forecast.analysis.history import load_versions
from forecast.cli import main


@pytest.fixture
def report(seed_report: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(seed_report, tmp_path / "deepseek"))


def _edit_predictions(folder: Path) -> None:
    path = folder / "predictions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head, first = lines[0].split(","), lines[1].split(",")
    first[head.index("probability")] = "0.999"
    path.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "name"),
    [
        (_edit_predictions, "predictions.csv"),
        (lambda f: (f / "forecast.nc").write_bytes((f / "forecast.nc").read_bytes()[:1000]), "forecast.nc"),
        (lambda f: (f / "outcomes.csv").write_text("outcome\n", encoding="utf-8"), "outcomes.csv"),
        (
            lambda f: (f / "scenario.toml").write_text((f / "scenario.toml").read_text() + "\n# x\n"),
            "scenario.toml",
        ),
    ],
)
def test_a_changed_file_is_refused_by_name(report: Path, damage: Any, name: str) -> None:
    damage(report)
    with pytest.raises(ScenarioError) as info:
        load_versions([report])
    [problem] = info.value.problems
    assert problem.path == name and "manifest.json" in problem.message


def test_a_manifest_without_hashes_or_not_json_is_refused(report: Path) -> None:
    (report / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"manifest\.json"):
        load_versions([report])
    (report / "manifest.json").write_text(json.dumps({"seed": 1}), encoding="utf-8")
    with pytest.raises(ScenarioError, match="lists no file hashes"):
        load_versions([report])


def test_score_of_an_edited_report_exits_2(report: Path, tmp_path: Path, capsys: Any) -> None:
    _edit_predictions(report)
    resolutions = tmp_path / "r.toml"
    resolutions.write_text("[predictions]\n", encoding="utf-8")
    assert main(["score", str(report), "--resolutions", str(resolutions), "--out", str(tmp_path / "o")]) == 2
    assert "predictions.csv" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_untouched_report_loads(report: Path) -> None:
    [version] = load_versions([report])
    assert version.kind == "report"
