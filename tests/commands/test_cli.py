"""The ``forecast`` command line: exit codes, output streams, schema, imports."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import forecast
import forecast.scenario
from forecast.cli import build_parser, main
from forecast.errors import Problem, ScenarioError
from tests.child import child_options
from tests.conftest import REPO, SCENARIOS, VALID_TOML


def test_validate_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = forecast.bundled("deepseek")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"ok: {path}\n", "")


def test_validate_notes_inputs_that_default_to_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # gadgets states no volatility; without [correlation] the common factor is 0 too
    path = tmp_path / "s.toml"
    text = VALID_TOML.replace(
        '[correlation]\ncommon_factor = { low = 0.2, high = 0.6, source = "assumption: one cycle" }\n', ""
    )
    path.write_text(text)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"ok: {path}"
    assert f"note: {path}: markets.gadgets.volatility: not stated, so 0: gadgets has no yearly shocks" in out
    assert not any("markets.widgets.volatility" in line for line in out)
    assert (
        f"note: {path}: correlation.common_factor: not stated, so 0: the markets' growth moves independently"
    ) in out
    path.write_text(VALID_TOML)
    assert main(["validate", str(path)]) == 0
    assert not any("common_factor" in line for line in capsys.readouterr().out.splitlines())


def test_validate_checks_a_what_if_as_run_would_apply_it(capsys: pytest.CaptureFixture[str]) -> None:
    path = forecast.bundled("deepseek")
    assert main(["validate", str(path), "--set", "markets.developer_tools.cagr=0.3"]) == 0
    out, err = capsys.readouterr()
    # ok, then what the what-if did to each key (issue 25: say which happened)
    assert err == "" and out.splitlines()[0] == f"ok: {path}"
    assert f"note: {path}: markets.developer_tools.cagr: centre moved, spread kept:" in out
    # the malformed override and a CAGR typed as 39, at once
    assert main(["validate", str(path), "--set", "markets.developer_tools.cagr=39", "--set", "bad"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert "--set: bad: expected KEY=VALUE, e.g. markets.developer_tools.cagr=0.3 (got 'bad')" in lines
    assert any(line.startswith(f"{path}: markets.developer_tools.cagr: did you mean 0.39") for line in lines)
    assert main(["validate", str(path), "--set", "markets.developer_tools.cagrr=0.3"]) == 2
    assert capsys.readouterr().err == (
        f"{path}: markets.developer_tools.cagrr: unknown key; did you mean 'cagr'?\n"
    )


def test_validate_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    paths = sorted(SCENARIOS.glob("*.toml"))
    assert len(paths) >= 4  # the seed, its bull and bear variants, and another company
    assert main(["validate", *map(str, paths)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if not line.startswith("note: ")] == [f"ok: {p}" for p in paths]


def test_schema_is_json_with_the_scenario_sections(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"markets", "assessment", "positions", "predictions", "signposts", "evidence"} <= set(
        schema["properties"]
    )
    assert set(schema["$defs"]["Scenario"]["required"]) >= {"id", "title", "as_of", "markets"}
    # editors should flag unknown keys, as validate does
    assert schema["additionalProperties"] is False


def _jsonable(value: Any) -> Any:
    """TOML data as an editor's JSON view of it: dates become ISO strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _schema_errors(data: dict[str, Any]) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    from forecast.scenario import json_schema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(_jsonable(data))]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_schema_accepts_every_shipped_scenario(path: Path) -> None:
    # child files (extends) are partial, and inputs may be bare numbers
    assert _schema_errors(tomllib.loads(path.read_text(encoding="utf-8"))) == []


def test_schema_accepts_bare_numbers_and_flags_what_validate_flags() -> None:
    assert _schema_errors(tomllib.loads(VALID_TOML)) == []
    bad = tomllib.loads(VALID_TOML.replace('title = "Acme widgets"', 'titel = "Acme widgets"'))
    errors = _schema_errors(bad)
    assert "'title' is a required property" in errors
    assert any("'titel' was unexpected" in e for e in errors)
    child = {"extends": "base.toml", "markets": [{"id": "widgets", "cgar": 0.3}]}
    assert [e for e in _schema_errors(child) if "cgar" in e]
    assert _schema_errors({"extends": "base.toml", "markets": [{"id": "widgets", "cagr": 0.3}]}) == []


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["bogus"], "invalid choice: 'bogus'"),
        (["validate"], "the following arguments are required: SCENARIO"),
        (["schema", "extra"], "unrecognized arguments: extra"),
        (["schema", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: forecast")
    assert needle in err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "validate" in out and "schema" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"forecast {forecast.__version__}\n"


def test_every_command_has_a_function() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert subparsers.choices
    for name, sub in subparsers.choices.items():
        assert callable(sub.get_default("func")), name


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\nwith a second line")


def test_unexpected_error_exits_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FORECAST_DEBUG", raising=False)
    monkeypatch.setattr(forecast.scenario, "load", _boom)
    assert main(["validate", "whatever.toml"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "forecast: unexpected error: RuntimeError: boom with a second line (set FORECAST_DEBUG=1 for a traceback)\n"
    )


def test_forecast_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECAST_DEBUG", "1")
    monkeypatch.setattr(forecast.scenario, "load", _boom)
    with pytest.raises(RuntimeError, match="boom"):
        main(["validate", "whatever.toml"])


def test_scenario_error_escaping_a_command_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad_schema() -> None:
        raise ScenarioError([Problem("--set", "markets.x.cagr", "no such market", "x")])

    monkeypatch.setattr(forecast.scenario, "json_schema", bad_schema)
    assert main(["schema"]) == 2
    assert capsys.readouterr().err == "--set: markets.x.cagr: no such market (got 'x')\n"


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
        **child_options(),  # not the suite's FORECAST_DEBUG, signals or terminal
    )


def test_importing_the_cli_does_not_import_heavy_libraries() -> None:
    heavy = ["pymc", "pytensor", "arviz", "matplotlib", "xarray", "scipy.stats", "numba", "jinja2"]
    code = (
        "import sys, forecast.cli; forecast.cli.build_parser(); "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_module_entry_point_exit_codes(tmp_path: Path) -> None:
    # sys.exit(main()) wiring, as the console script uses it, from another directory
    (tmp_path / "empty.toml").write_text("")
    bad = _run("-m", "forecast.cli", "validate", "empty.toml", cwd=tmp_path)
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", "empty.toml: file is empty\n")
    good = _run("-m", "forecast.cli", "validate", str(forecast.bundled("deepseek")), cwd=tmp_path)
    assert good.returncode == 0, good.stderr
