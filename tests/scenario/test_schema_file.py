"""The committed JSON Schema is what ``forecast schema`` prints, the bundled scenarios
point editors at it, and it accepts them (and catches a typo, as an editor would)."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from forecast.cli import main

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "scenarios" / "scenario.schema.json"
BUNDLED = sorted((REPO / "scenarios").glob("*.toml"))
DIRECTIVE = "#:schema ./scenario.schema.json"


def _as_json(value: Any) -> Any:
    """TOML values as an editor hands them to a JSON Schema validator (dates as text)."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _descriptions(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["description"]] if isinstance(node.get("description"), str) else []
        return own + [d for k, v in node.items() if k != "description" for d in _descriptions(v)]
    if isinstance(node, list):
        return [d for v in node for d in _descriptions(v)]
    return []


def test_committed_schema_is_what_forecast_schema_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert SCHEMA.read_text(encoding="utf-8") == printed, (
        "scenarios/scenario.schema.json is stale: regenerate it with "
        "`uv run forecast schema > scenarios/scenario.schema.json`"
    )


def test_descriptions_are_for_users() -> None:
    """No doctest, numpydoc section, Python API reference or reST markup in the text
    an editor shows on hover."""
    texts = _descriptions(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert len(texts) > 20
    for text in texts:
        assert ">>>" not in text and "--------" not in text, text
        assert ":func:" not in text and ":meth:" not in text and "``" not in text, text
    assert all(text.strip() == text and text for text in texts)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_points_at_the_schema(path: Path) -> None:
    """The directive is the first line (Taplo reads header directives; Tombi wants a
    blank line after it), and the path it names, relative to the file, exists."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == DIRECTIVE and lines[1] == ""
    assert (path.parent / DIRECTIVE.split()[1]).resolve() == SCHEMA


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_is_valid_against_the_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    with path.open("rb") as f:
        data = _as_json(tomllib.load(f))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, [e.message for e in errors]


def test_schema_catches_a_misspelled_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    with (REPO / "scenarios" / "deepseek.toml").open("rb") as f:
        data = _as_json(tomllib.load(f))
    data["markets"][0]["cgar"] = data["markets"][0].pop("cagr", 0.3)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert any("cgar" in e.message for e in errors), [e.message for e in errors]
