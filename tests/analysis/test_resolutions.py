"""Reading resolutions files and checking them against forecast versions."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import forecast
from forecast.analysis import resolutions as res
from forecast.errors import ScenarioError

GOOD_TOML = """\
# what happened
[[resolutions]]
id = "tiered_licensing"
value = false
date = 2026-01-02
source = "no licence"

[[resolutions]]
id = "outcome.independence"
value = true
date = 2028-01-05

[[resolutions]]
id = "market.developer_tools@2025"
value = 5.1
date = 2026-03-31
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _messages(excinfo: pytest.ExceptionInfo[ScenarioError]) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def test_a_toml_file_reads_into_canonical_statements(tmp_path: Path) -> None:
    rs = res.read(_write(tmp_path, "r.toml", GOOD_TOML))
    assert [(r.statement, r.kind, r.value) for r in rs] == [
        ("prediction.tiered_licensing", "prediction", False),
        ("outcome.independence", "outcome", True),
        ("market.developer_tools@2025", "quantity", 5.1),
    ]
    assert rs[0].date == dt.date(2026, 1, 2)
    assert rs[0].where == f"{tmp_path / 'r.toml'}:2"


def test_a_csv_file_reads_the_same(tmp_path: Path) -> None:
    text = (
        "id,value,date,source\n"
        "prediction.tiered_licensing,false,2026-01-02,no licence\n"
        "outcome.independence,TRUE,2028-01-05,\n"
        "market.developer_tools@2025,5.1,2026-03-31,\n"
    )
    a = res.read(_write(tmp_path, "r.csv", text))
    b = res.read(_write(tmp_path, "r.toml", GOOD_TOML))
    assert [(r.statement, r.value, r.date) for r in a] == [(r.statement, r.value, r.date) for r in b]
    assert a[2].where.endswith("r.csv:4")


def test_bad_values_are_all_reported_with_file_and_line(tmp_path: Path) -> None:
    text = (
        "id,value,date\n"
        "tiered_licensing,yes,2026-01-02\n"  # line 2: not a bool
        "market.developer_tools@2025,big,2026-03-31\n"  # line 3: not a number
        "market.developer_tools@2026,-4,2026-03-31\n"  # line 4: not positive
        "efficiency_erodes,true,2026-02-30\n"  # line 5: no such day
        "Not An Id,true,2026-01-01\n"  # line 6
        "tiered_licensing,true,2026-01-05\n"  # line 7: duplicate
    )
    path = _write(tmp_path, "r.csv", text)
    with pytest.raises(ScenarioError) as e:
        res.read(path)
    msgs = _messages(e)
    assert f"{path}:2: value: must be true or false for a prediction (got 'yes')" in msgs
    assert f"{path}:3: value: must be a number for an observed quantity (got 'big')" in msgs
    assert any(m.startswith(f"{path}:4: value: must be > 0") for m in msgs)
    assert f"{path}:5: date: is not a real date (got '2026-02-30')" in msgs
    assert any(m.startswith(f"{path}:6: id: is not a statement") for m in msgs)
    assert (
        f"{path}:7: id: duplicate resolution (first at {path}:2) (got 'prediction.tiered_licensing')" in msgs
    )


def test_toml_problems_name_the_line_of_the_key(tmp_path: Path) -> None:
    text = GOOD_TOML.replace("value = false", 'value = "no"').replace("date = 2028-01-05", "date = 5")
    path = _write(tmp_path, "r.toml", text)
    with pytest.raises(ScenarioError) as e:
        res.read(path)
    assert _messages(e) == [
        f"{path}:4: value: must be true or false for a prediction (got 'no')",
        f"{path}:11: date: must be a date like 2026-01-31 (got 5)",
    ]


def test_two_outcomes_cannot_both_come_about(tmp_path: Path) -> None:
    text = GOOD_TOML + '\n[[resolutions]]\nid = "outcome.acquired"\nvalue = true\ndate = 2028-01-05\n'
    path = _write(tmp_path, "r.toml", text)
    with pytest.raises(ScenarioError) as e:
        res.read(path)
    assert any("outcomes exclude each other" in m and f"{path}:18" in m for m in _messages(e))


def test_against_versions_unknown_ids_and_early_dates_are_refused(tmp_path: Path) -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    text = (
        "id,value,date\n"
        "tiered_licencing,false,2026-01-02\n"  # a typo of a prediction id
        "efficiency_erodes,true,2024-12-01\n"  # before as_of 2025-01-01
        "market.developer_tools@2035,5,2036-01-01\n"  # a year not simulated
        "outcome.nope,true,2028-01-01\n"
    )
    path = _write(tmp_path, "r.csv", text)
    with pytest.raises(ScenarioError) as e:
        res.check_against(res.read(path), [s])
    msgs = _messages(e)
    assert any(
        m.startswith(
            f"{path}:2: id: no scored version has a prediction with this id; did you mean 'tiered_licensing'?"
        )
        for m in msgs
    ), msgs
    assert (
        f"{path}:3: date: is before the as_of 2025-01-01 of the first version that forecast it (got '2024-12-01')"
        in msgs
    )
    assert any(m.startswith(f"{path}:4: id: no version forecasts this quantity") for m in msgs)
    assert any(m.startswith(f"{path}:5: id: no scored version has an outcome with this id") for m in msgs)
    assert len(msgs) == 4


def test_an_outcome_that_came_about_resolves_the_others_false(tmp_path: Path) -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    rs = res.check_against(res.read(_write(tmp_path, "r.toml", GOOD_TOML)), [s])
    implied = {r.statement: r.value for r in rs if r.implied}
    assert implied == {"outcome.acquired": False, "outcome.struggling": False}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("x = 1\n", "holds [[resolutions]] tables only"),
        ("[[resolutions]]\nvalue = true\n", "is required"),
        ("[[resolutions]]\nid = 1\nvalue = true\ndate = 2026-01-01\n", "is not a statement"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        res.read(_write(tmp_path, "r.toml", text))
    assert any(message in m for m in _messages(e)), _messages(e)


def test_a_missing_file() -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        res.read("no-such-resolutions.toml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    # opened blocking, a FIFO with no writer would hang `forecast score` for ever
    fifo = tmp_path / "r.toml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError) as e:
        res.read(fifo)
    assert _messages(e) == [f"{fifo}: is not a regular file (a named pipe)"]


def test_a_folder_is_not_a_resolutions_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as e:
        res.read(tmp_path)
    assert _messages(e) == [f"{tmp_path}: is a directory, not a resolutions file"]


def test_every_outcome_resolved_false_is_refused(tmp_path: Path) -> None:
    """Outcomes are exhaustive: all of them ruled out is as impossible as two true."""
    s = forecast.load(forecast.bundled("deepseek"))
    text = "id,value,date\n" + "".join(f"outcome.{k},false,2028-01-05\n" for k in s.outcome_ids)
    path = _write(tmp_path, "r.csv", text)
    with pytest.raises(ScenarioError) as e:
        res.check_against(res.read(path), [s])
    msgs = _messages(e)
    assert len(msgs) == 1 and "every outcome of deepseek is resolved false" in msgs[0], msgs
    # all but one ruled out is fine
    ok = _write(
        tmp_path,
        "ok.csv",
        "id,value,date\n" + "".join(f"outcome.{k},false,2028-01-05\n" for k in s.outcome_ids[1:]),
    )
    res.check_against(res.read(ok), [s])
