"""The JSON Schema of the scenario file, for editors.

The schema is committed as ``scenarios/scenario.schema.json`` (a test keeps it equal
to ``forecast schema``), and each bundled scenario points at it with a
``#:schema ./scenario.schema.json`` first line, which Taplo and the editors built on
it (Even Better TOML in VS Code, ...) read for completion, hover text and checking.
"""

from __future__ import annotations

import re
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
    without ``required``; any other file against the full schema. Descriptions are
    the docstrings' text for a user: no examples, no Python API, no reST markup.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$defs"]["Market"]["properties"]["size"]["anyOf"][0]
    {'type': 'number'}
    >>> schema["else"]
    {'$ref': '#/$defs/Scenario'}
    >>> schema["$defs"]["Projection"]["description"]
    'A stated market size in a later year: `{ year = 2027, value = 22.1 }`.'
    """
    full = _for_users(_accept_bare_numbers(Scenario.model_json_schema()))
    _accept_evidence_files(full)
    full["description"] = FILE_DESCRIPTION
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


FILE_DESCRIPTION = (
    "A forecast scenario: markets, an outcome assessment, company positions, dated "
    "predictions, signposts and evidence. Any number may be uncertain. "
    "`forecast validate FILE` checks it; the README's 'The scenario file' explains it."
)
# a numpydoc section heading ("Examples" over "--------") starts what only Python readers need
_SECTION = re.compile(r"\n[ \t]*[A-Z][A-Za-z ]*\n[ \t]*-{3,}[ \t]*(\n|$)")
_PYTHON_API = re.compile(r":(func|meth|class|mod|attr):|>>>")
_REST_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def user_text(doc: str) -> str:
    r"""A docstring as a schema description: the text before its first numpydoc
    section, without paragraphs about the Python API, reST's double backquotes as
    Markdown's single ones (editors render descriptions as Markdown).

    Examples
    --------
    >>> user_text("A market.\n\nBuild it with :func:`load`.\n\nExamples\n--------\n>>> 1\n")
    'A market.'
    >>> user_text("Any two of ``size`` and ``cagr``\nimply the third.")
    'Any two of `size` and `cagr` imply the third.'
    """
    text = _SECTION.split("\n" + doc, maxsplit=1)[0]
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n[ \t]*\n", text)]
    kept = [
        _REST_ROLE.sub(r"\1", p).replace("``", "`") for p in paragraphs if p and not _PYTHON_API.search(p)
    ]
    return "\n\n".join(kept)


def _for_users(node: Any) -> Any:
    """Every ``description`` through :func:`user_text`; dropped when nothing is left."""
    if isinstance(node, list):
        return [_for_users(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "description" and isinstance(v, str):
            v = user_text(v)
            if not v:
                continue
        else:
            v = _for_users(v)
        out[k] = v
    return out


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
