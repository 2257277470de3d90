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


HISTORY_TABLES = ["history", "changes"]
SCORE_TABLES = [
    "binary_scores",
    "quantity_scores",
    "time_averaged",
    "calibration",
    "decomposition",
    "resolutions",
]


@pytest.mark.slow
def test_bundled_example_from_reports_and_from_files_equals_the_archived_csvs(tmp_path: Path) -> None:
    """The bundled example end to end. Each version is archived by ``forecast run``;
    ``forecast history`` and ``forecast score`` read the archived folders; the same
    versions simulated from their files (once, for both) give byte-identical tables; and
    the history's probabilities are the archived reports' CSV numbers."""
    from forecast.analysis import resolutions as res
    from forecast.analysis.history import History, load_versions
    from forecast.analysis.scorecard import Scorecard
    from forecast.outputs.history_report import write_history_report
    from forecast.outputs.score_report import write_score_report

    reports = []
    for f in FILES:
        folder = tmp_path / "archive" / f.stem
        assert main(["run", str(f), "--out", str(folder), "--quiet", "--no-sensitivity"]) == 0
        reports.append(folder)
    opts = ["--resolutions", str(RESOLUTIONS), "--quiet"]
    h_cli, s_cli = tmp_path / "history", tmp_path / "scores"
    assert main(["history", *map(str, reports), "--out", str(h_cli), *opts]) == 0
    assert main(["score", *map(str, reports), "--out", str(s_cli), *opts]) == 0
    for folder in (h_cli, s_cli):
        assert {"report.html", "report.md", "manifest.json", "figures"} <= {p.name for p in folder.iterdir()}

    versions = load_versions(FILES)  # the file stems are the archive folders' names
    card = Scorecard(versions, res.check_against(res.read(RESOLUTIONS), [v.scenario for v in versions]))
    h_files, s_files = tmp_path / "history-files", tmp_path / "scores-files"
    write_history_report(History(versions), h_files, resolutions=card.resolutions)
    write_score_report(card, s_files)
    for a, b, tables in ((h_cli, h_files, HISTORY_TABLES), (s_cli, s_files, SCORE_TABLES)):
        for t in tables:
            assert (a / f"{t}.csv").read_bytes() == (b / f"{t}.csv").read_bytes(), t

    h = _csv(h_cli, "history")
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
    s = _csv(s_cli, "binary_scores")
    for folder in reports:
        p = _csv(folder, "predictions").set_index("id")["probability"]
        for r in s[s["version"] == folder.name].itertuples():
            assert r.probability == p[r.statement.split(".", 1)[1]]
            assert r.brier == pytest.approx((r.probability - float(r.outcome)) ** 2, rel=1e-5)
    # three predictions resolved after all three versions; two market sizes likewise
    assert sorted(s["statement"].unique()) == [
        "prediction.devtools_leadership",
        "prediction.strategic_partnership",
        "prediction.tiered_licensing",
    ]
    assert len(s) == 9
    q = _csv(s_cli, "quantity_scores")
    assert len(q) == 6 and q["crps"].gt(0).all() and q["pit"].between(0, 1).all()


_LONG = "DeepSeek captures between a quarter and thirty percent of enterprise developer tools spending by mid-2027"
_VERSION = "deepseek-after-the-funding-round-version-two-revised"


class _Table:
    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df

    def table(self) -> pd.DataFrame:
        return self.df

    def binary(self) -> pd.DataFrame:
        return self.df

    def quantities(self) -> pd.DataFrame:
        return pd.DataFrame()


def _column(text: str, k: int, sep: str = "│") -> str:
    """The ``k``-th column's cells of a rich table, read down the rows, spaces removed:
    a wrapped or folded cell joins back up, a cut one does not."""
    rows = [line.split(sep) for line in text.splitlines() if line.startswith(sep)]
    return "".join("".join(r[k + 1].split()) for r in rows)


@pytest.mark.parametrize("which", ["history", "score"])
def test_terminal_tables_wrap_statements_and_ids_never_cut_them(
    which: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.commands import track_record

    monkeypatch.setenv("COLUMNS", "50")
    if which == "history":
        df = pd.DataFrame(
            {
                "kind": ["prediction"],
                "id": ["p1"],
                "version": [_VERSION],
                "probability": [0.25],
                "label": [_LONG],
            }
        )
        track_record._print_history(_Table(df), Path("out"))
    else:
        df = pd.DataFrame(
            {
                "statement": [_LONG],
                "version": [_VERSION],
                "probability": [0.25],
                "outcome": [True],
                "brier": [0.5625],
                "baseline_brier": [0.25],
            }
        )
        track_record._print_scores(_Table(df), Path("out"))
    out = capsys.readouterr().out
    assert "…" not in out
    assert _column(out, 0) == "".join(_LONG.split())
    # the version: a header in history's table (its rows are versions), a cell in score's
    assert _column(out, 1, "┃" if which == "history" else "│") == _VERSION
