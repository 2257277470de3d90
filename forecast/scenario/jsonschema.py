"""The JSON Schema of the scenario file, for editors."""

from __future__ import annotations

from typing import Any

from forecast.scenario.inputs import PERCENT_FIELDS
from forecast.scenario.schema import Scenario

#: a percent string ("39%"), accepted wherever a rate, probability or share is
PERCENT = {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*%\s*$"}


def json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario file, for editors.

    Three things the pydantic models cannot say are added: an uncertain input may be a
    bare number (``size = 8.2``), a rate, probability or share may be a percent string
    (``cagr = "39%"``), and a file with ``extends`` is partial, its parent supplying
    the required keys. Such a file is checked against a copy of the schema
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
    defs = full.pop("$defs")
    _accept_percent(defs)
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


def _accept_bare_numbers(node: Any) -> Any:
    if isinstance(node, list):
        return [_accept_bare_numbers(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _accept_bare_numbers(v) for k, v in node.items()}
    if out.get("$ref") == _QUANTITY_REF:
        # keep default/description beside the alternatives
        rest = {k: v for k, v in out.items() if k != "$ref"}
        return {"anyOf": [{"type": "number"}, PERCENT, {"$ref": _QUANTITY_REF}], **rest}
    return out


def _accept_percent(defs: dict[str, Any]) -> None:
    """Let the number fields that take a percent string (see :func:`~forecast.scenario.
    inputs.percent`) say so. Sizes take them too in the schema; ``validate`` refuses
    them there with a clearer message than a schema could give."""

    def allow(node: dict[str, Any]) -> None:
        alternatives = node.get("anyOf")
        if alternatives is not None:
            alternatives.insert(1, PERCENT)
        else:
            number = {k: node.pop(k) for k in list(node) if k not in ("title", "description", "default")}
            node["anyOf"] = [number, PERCENT]

    for name in ("Quantity", "Projection"):
        for field in PERCENT_FIELDS:
            allow(defs[name]["properties"][field])
    allow(defs["Prediction"]["properties"]["threshold"])
    allow(defs["Signpost"]["properties"]["likelihood"]["additionalProperties"])
    allow(defs["Evidence"]["properties"]["rel_error"])


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
