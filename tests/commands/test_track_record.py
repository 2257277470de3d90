"""``forecast history`` and ``forecast score`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast.cli import main

FILES = [
    forecast.bundled("deepseek"),
    forecast.bundled("history/deepseek-2025-06"),
    forecast.bundled("history/deepseek-2025-11"),
]
RESOLUTIONS = forecast.bundled("history/resolutions")


def _bad(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "tiered_licencing,false,2026-01-02",
            "id: no scored version has a prediction with this id; did you mean 'tiered_licensing'?",
        ),
        (
            "tiered_licensing,false,2024-06-01",
            "date: is before the as_of 2025-01-01 of the first version that forecast it",
        ),
        ("tiered_licensing,maybe,2026-01-02", "value: must be true or false for a prediction (got 'maybe')"),
        (
            "market.developer_tools@2025,true,2026-03-01",
            "value: must be a number for an observed quantity (got 'true')",
        ),
    ],
)
def test_bad_resolutions_exit_2_naming_file_and_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, message: str
) -> None:
    path = _bad(tmp_path, f"id,value,date\n{row}\n")
    out = tmp_path / "scores"
    assert main(["score", *map(str, FILES), "--resolutions", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: {message}" in err, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # no staging folder left


def test_a_duplicate_resolution_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _bad(
        tmp_path, "id,value,date\ntiered_licensing,false,2026-01-02\ntiered_licensing,true,2026-01-03\n"
    )
    assert (
        main(["score", str(FILES[0]), "--resolutions", str(path), "--out", str(tmp_path / "o"), "--quiet"])
        == 2
    )
    assert f"{path}:3: id: duplicate resolution (first at {path}:2)" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_history_of_mixed_scenarios_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "h"
    code = main(
        ["history", str(FILES[0]), str(forecast.bundled("ev-charging")), "--out", str(out), "--quiet"]
    )
    assert code == 2
    assert "versions must be of one scenario" in capsys.readouterr().err
    assert not out.exists()


def test_score_needs_resolutions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(FILES[0])]) == 2
    assert "--resolutions" in capsys.readouterr().err


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


@pytest.mark.slow
def test_bundled_example_from_files_and_from_reports_equals_the_reports_csvs(tmp_path: Path) -> None:
    """The bundled example end to end: each version archived by ``forecast run``; history
    and score from the files and from the archived folders give the same bytes, and the
    history's probabilities are the archived reports' CSV numbers."""
    reports = []
    for f in FILES:
        folder = tmp_path / "archive" / f.stem
        assert main(["run", str(f), "--out", str(folder), "--quiet", "--no-sensitivity"]) == 0
        reports.append(folder)
    res = ["--resolutions", str(RESOLUTIONS), "--quiet"]
    for cmd, tables in (
        ("history", ["history", "changes"]),
        (
            "score",
            [
                "binary_scores",
                "quantity_scores",
                "time_averaged",
                "calibration",
                "decomposition",
                "resolutions",
            ],
        ),
    ):
        a, b = tmp_path / f"{cmd}-files", tmp_path / f"{cmd}-reports"
        assert main([cmd, *map(str, FILES), "--out", str(a), *res]) == 0
        assert main([cmd, *map(str, reports), "--out", str(b), *res]) == 0
        for t in tables:
            if cmd == "history" and t == "history":
                # version names: file stems and folder names are the same here
                pass
            assert (a / f"{t}.csv").read_bytes() == (b / f"{t}.csv").read_bytes(), t
        assert (
            (a / "report.html").is_file() and (a / "report.md").is_file() and (a / "manifest.json").is_file()
        )
    h = _csv(tmp_path / "history-files", "history")
    for folder in reports:
        rows = h[h["version"] == folder.name]
        o = _csv(folder, "outcomes").set_index("outcome")
        p = _csv(folder, "predictions").set_index("id")
        got_o = rows[rows["kind"] == "outcome"].set_index("id")
        got_p = rows[rows["kind"] == "prediction"].set_index("id")
        for col in ("probability", "q05", "q95", "mcse"):
            assert got_o[col].to_dict() == o[col].to_dict(), (folder.name, col)
        for col in ("probability", "mcse"):
            assert got_p[col].to_dict() == p[col].to_dict(), (folder.name, col)
    s = _csv(tmp_path / "score-files", "binary_scores")
    for folder in reports:
        p = _csv(folder, "predictions").set_index("id")["probability"]
        rows = s[s["version"] == folder.name]
        for r in rows.itertuples():
            assert r.probability == p[r.statement.split(".", 1)[1]]
    # the resolutions: tiered_licensing, strategic_partnership, devtools_leadership by all
    # three versions; the two market sizes too
    assert sorted(s["statement"].unique()) == [
        "prediction.devtools_leadership",
        "prediction.strategic_partnership",
        "prediction.tiered_licensing",
    ]
    assert len(s) == 9
    q = _csv(tmp_path / "score-files", "quantity_scores")
    assert len(q) == 6 and q["crps"].gt(0).all() and q["pit"].between(0, 1).all()
