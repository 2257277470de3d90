"""The JSON Schema of the scenario file, for editors."""

from __future__ import annotations

from typing import Any

from forecast.scenario.schema import Scenario


def json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario file, for editors.

    Two things the pydantic models cannot say are added: an uncertain input may be a
    bare number (``size = 8.2``), and a file with ``extends`` is partial, its parent
    supplying the required keys. Such a file is checked against a copy of the schema
    without ``required``; any other file against the full schema.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$defs"]["Market"]["properties"]["size"]["anyOf"][0]
    {'type': 'number'}
    >>> schema["else"]
    {'$ref': '#/$defs/Scenario'}
    """
    full = _accept_bare_numbers(Scenario.model_json_schema())
    _accept_evidence_files(full)
    defs = full.pop("$defs")
    partial = _without_required(full)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **partial,
        "title": "forecast scenario",
        "if": {"required": ["extends"]},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": {
            **defs,
            "Scenario": full,
            **{f"Partial{name}": _without_required(d) for name, d in defs.items()},
        },
    }


_QUANTITY_REF = "#/$defs/Quantity"
#: an ``[[evidence]]`` item naming an actuals CSV (see :mod:`forecast.scenario.actuals`)
_EVIDENCE_FILE = {
    "type": "object",
    "properties": {"file": {"type": "string", "description": "CSV: market,year,value,rel_error,source"}},
    "required": ["file"],
    "additionalProperties": False,
}


def _accept_evidence_files(schema: dict[str, Any]) -> None:
    """Evidence items may name a CSV file, and ``evidence`` may be one such table."""
    ev = schema["properties"]["evidence"]
    ev["items"] = {"anyOf": [ev["items"], _EVIDENCE_FILE]}
    schema["properties"]["evidence"] = {"anyOf": [ev, _EVIDENCE_FILE], "default": ev.pop("default", [])}


def _accept_bare_numbers(node: Any) -> Any:
    if isinstance(node, list):
        return [_accept_bare_numbers(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _accept_bare_numbers(v) for k, v in node.items()}
    if out.get("$ref") == _QUANTITY_REF:
        # keep default/description beside the alternatives
        rest = {k: v for k, v in out.items() if k != "$ref"}
        return {"anyOf": [{"type": "number"}, {"$ref": _QUANTITY_REF}], **rest}
    return out


def _without_required(node: Any) -> Any:
    """A copy with no ``required`` lists, referring to the ``Partial`` definitions."""
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_required(v) for k, v in node.items() if k != "required"}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        out["$ref"] = "#/$defs/Partial" + ref.removeprefix("#/$defs/")
    return out
