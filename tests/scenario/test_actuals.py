"""Observed market sizes from a CSV file referenced by a scenario."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import forecast
from forecast.cli import main
from forecast.errors import ScenarioError

BASE = forecast.bundled("deepseek")
HEADER = "market,year,value,rel_error,source\n"


def _scenario(tmp_path: Path, evidence: str, csv_text: str | None = HEADER) -> Path:
    if csv_text is not None:
        (tmp_path / "actuals.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{BASE}"\n{evidence}', encoding="utf-8")
    return path


def test_rows_merge_with_inline_evidence_in_order(tmp_path: Path) -> None:
    evidence = (
        '[[evidence]]\nfile = "actuals.csv"\n\n'
        '[[evidence]]\nmarket = "vertical_solutions"\nyear = 2026\nvalue = 9.0\nrel_error = 0.2\n'
    )
    csv_text = HEADER + "developer_tools,2025,4.9,0.1,early estimate\nenterprise_llm_apis,2025,10.6,0.15,\n"
    s = forecast.load(_scenario(tmp_path, evidence, csv_text))
    assert [(e.market, e.year, e.value, e.rel_error, e.source) for e in s.evidence] == [
        ("developer_tools", 2025, 4.9, 0.1, "early estimate"),
        ("enterprise_llm_apis", 2025, 10.6, 0.15, None),
        ("vertical_solutions", 2026, 9.0, 0.2, None),
    ]
    # the resolved scenario holds the rows inline: a report's scenario.toml needs no CSV
    again = forecast.scenario.Scenario.from_dict(__import__("tomllib").loads(s.to_toml()))
    assert again.evidence == s.evidence


def test_a_table_naming_the_file_is_the_same_as_a_list(tmp_path: Path) -> None:
    csv_text = HEADER + "developer_tools,2025,4.9,0.1,x\n"
    s = forecast.load(_scenario(tmp_path, 'evidence = { file = "actuals.csv" }\n', csv_text))
    assert [(e.market, e.value) for e in s.evidence] == [("developer_tools", 4.9)]


def test_the_path_is_relative_to_the_file_that_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    path = _scenario(sub, '[[evidence]]\nfile = "actuals.csv"\n', HEADER + "developer_tools,2025,4.9,0.1,x\n")
    monkeypatch.chdir(tmp_path)
    assert forecast.load(path).evidence[0].value == 4.9


def test_every_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    csv_text = (
        HEADER
        + "developer_tools,2025,4.9,0.1,fine\n"  # line 2
        + "developer_tools,twenty,4.9,0.1,\n"  # line 3
        + "developer_tools,2025,-1,0.1,\n"  # line 4
        + "developer_tools,2025,4.9,9,\n"  # line 5
        + "Developer Tools,2025,4.9,0.1,\n"  # line 6
        + "developer_tool,2025,4.9,0.1,\n"  # line 7: no such market (checked after merging)
        + "developer_tools,2023,4.9,0.1,\n"  # line 8: before the base year
    )
    path = _scenario(tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', csv_text)
    csv_path = tmp_path / "actuals.csv"
    with pytest.raises(ScenarioError) as e:
        forecast.load(path)
    msgs = [str(p) for p in e.value.problems]
    assert f"{csv_path}:3: year: must be a whole year like 2025 (got 'twenty')" in msgs
    assert f"{csv_path}:4: value: must be > 0 (an observed market size) (got '-1')" in msgs
    assert any(m.startswith(f"{csv_path}:5: rel_error: must be at least 0.001 and at most 5") for m in msgs)
    assert any(m.startswith(f"{csv_path}:6: market: must be a market id") for m in msgs)
    assert len(msgs) == 4, msgs  # the reference checks run once the rows are valid
    (tmp_path / "actuals.csv").write_text(
        HEADER + "developer_tool,2025,4.9,0.1,\n" + "developer_tools,2023,4.9,0.1,\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as e:
        forecast.load(path)
    msgs = [str(p) for p in e.value.problems]
    assert any(m.startswith(f"{csv_path}:2: market: no market with id 'developer_tool'") for m in msgs), msgs
    assert f"{csv_path}:3: year: must be after the market's base_year 2024 (got 2023)" in msgs


def test_rel_error_may_be_a_percent_as_inline(tmp_path: Path) -> None:
    """An inline rel_error = "5%" is read; the same cell in a CSV (a spreadsheet writes
    percent cells so) was 'must be a number'. A BOM and Windows line ends are fine."""
    csv_text = HEADER.replace("\n", "\r\n") + 'developer_tools,2025,4.9,5%,"analyst, Q1"\r\n'
    path = _scenario(tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', "\ufeff" + csv_text)
    [e] = forecast.load(path).evidence
    assert (e.market, e.year, e.value, e.rel_error, e.source) == (
        "developer_tools",
        2025,
        4.9,
        0.05,
        "analyst, Q1",
    )


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (None, "actuals file not found"),
        ("", "file is empty"),
        ("market,year,value\n", "missing rel_error"),
        ("market,year,value,rel_error,colour\n", "unknown colour"),
        (HEADER + "developer_tools,2025,4.9\n", "has 3 cells; the header has 5"),
    ],
)
def test_file_level_problems(tmp_path: Path, csv_text: str | None, message: str) -> None:
    path = _scenario(tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', csv_text)
    with pytest.raises(ScenarioError) as e:
        forecast.load(path)
    assert any(message in str(p) for p in e.value.problems), e.value.problems


def test_validate_exits_2_naming_the_csv_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario(
        tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', HEADER + "developer_tools,2025,abc,0.1,\n"
    )
    assert main(["validate", str(path)]) == 2
    assert f"{tmp_path / 'actuals.csv'}:2: value: must be a number (got 'abc')" in capsys.readouterr().err


def test_the_bundled_history_example_reads_its_actuals() -> None:
    s = forecast.load(forecast.bundled("history/deepseek-2025-11"))
    assert {(e.market, e.year) for e in s.evidence} == {
        ("developer_tools", 2025),
        ("enterprise_llm_apis", 2025),
    }
    assert all("illustrative" in (e.source or "") for e in s.evidence)


def test_the_json_schema_accepts_an_evidence_file() -> None:
    import json
    import tomllib

    jsonschema = pytest.importorskip("jsonschema")
    schema = forecast.scenario.json_schema()
    data = tomllib.loads(forecast.bundled("history/deepseek-2025-11").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(json.loads(json.dumps(data, default=str)))] == []
    data["evidence"] = [{"file": "a.csv", "year": 2025}]
    assert list(validator.iter_errors(json.loads(json.dumps(data, default=str))))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_as_actuals_is_refused_not_waited_on(tmp_path: Path) -> None:
    # opened blocking, a FIFO with no writer would hang the process for ever
    os.mkfifo(tmp_path / "actuals.csv")
    path = _scenario(tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', None)
    with pytest.raises(ScenarioError) as e:
        forecast.load(path)
    assert [str(p) for p in e.value.problems] == [
        f"{tmp_path / 'actuals.csv'}: is not a regular file (a named pipe)"
    ]


def _read_problems(tmp_path: Path, text: str) -> list[str]:
    from forecast.scenario.actuals import read

    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read(path)
    return [str(p) for p in info.value.problems]


def test_duplicate_columns_are_refused(tmp_path: Path) -> None:
    msgs = _read_problems(tmp_path, "market,year,value,value,rel_error\nx,2025,4.9,5.1,0.1\n")
    assert len(msgs) == 1 and "header" in msgs[0] and "value appears twice" in msgs[0]


def test_duplicate_rows_are_refused_naming_both_lines(tmp_path: Path) -> None:
    msgs = _read_problems(
        tmp_path, "market,year,value,rel_error\nx,2025,4.9,0.1\ny,2025,2,0.1\nx,2025,6.0,0.1\ny,2025,2,0.1\n"
    )
    assert any(":4: " in m and "contradicts line 2" in m for m in msgs), msgs
    assert any(":5: " in m and "repeats line 3" in m for m in msgs), msgs


@pytest.mark.parametrize("rel", ["1e-300", "0.0001"])
def test_rel_error_has_a_floor(tmp_path: Path, rel: str) -> None:
    msgs = _read_problems(tmp_path, f"market,year,value,rel_error\nx,2025,4.9,{rel}\n")
    assert len(msgs) == 1 and "at least 0.001" in msgs[0]
    from forecast.scenario.schema import Evidence

    with pytest.raises(ValueError, match=r"0\.001"):
        Evidence(market="x", year=2025, value=4.9, rel_error=float(rel))


def test_a_value_far_from_the_markets_scale_is_warned_with_the_likely_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """5e9 in a USD bn market (about 4 bn in 2025) is a value typed in USD: validate
    warns, naming the likely unit and what the value is in the market's unit."""
    from forecast.scenario import unit_warnings

    csv_text = (
        HEADER
        + "developer_tools,2025,5e9,0.1,\nenterprise_llm_apis,2025,10600,0.15,\nvertical_solutions,2025,9.0,0.2,\n"
    )
    path = _scenario(tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', csv_text)
    s = forecast.load(path)
    warned = unit_warnings(s)
    assert [k for k, _ in warned] == ["evidence[0].value", "evidence[1].value"]
    assert "looks like USD, not USD bn: 5e+09 USD is 5 USD bn" in warned[0][1]
    assert "looks like USD m, not USD bn: 10600 USD m is 10.6 USD bn" in warned[1][1]
    assert main(["validate", str(path)]) == 0  # a warning, not a refusal
    out = capsys.readouterr().out
    assert f"warning: {path}: evidence[0].value: " in out
    assert unit_warnings(forecast.load(BASE)) == []


def test_a_metric_in_the_evidence_csv_points_to_a_resolutions_file(tmp_path: Path) -> None:
    """Evidence conditions the markets; a metric's actual is scored (``forecast score``),
    so a ``metric.`` row here says where it belongs instead of "must be a market id"."""
    csv_text = HEADER + "metric.devtools_npv,2026,1350,0.1,\n"
    path = _scenario(tmp_path, '[[evidence]]\nfile = "actuals.csv"\n', csv_text)
    with pytest.raises(ScenarioError) as e:
        forecast.load(path)
    assert [str(p) for p in e.value.problems] == [
        f"{tmp_path / 'actuals.csv'}:2: market: names a metric; evidence is an observed market "
        "size, and a metric's actual goes in a resolutions file (forecast score --resolutions, "
        "id metric.<id> or metric.<id>@YEAR) (got 'metric.devtools_npv')"
    ]
