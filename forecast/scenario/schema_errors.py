"""Schema errors as problems: pydantic's validation errors become
``file: key.path: what is wrong (got X)`` lines, list items named by their ``id``,
unknown keys with a "did you mean" hint.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from forecast.errors import Problem
from forecast.scenario.merging import hint


def schema_problems(model: type[BaseModel], data: dict[str, Any], origin: str) -> list[Problem]:
    """Every schema error of ``data`` against ``model`` (the :class:`Scenario` class)."""
    try:
        model.model_validate(data)
    except ValidationError as e:
        return [_problem_from_error(model, err, data, origin) for err in e.errors()]
    return []


def render_loc(loc: tuple[Any, ...], data: Any) -> str:
    """``('markets', 2, 'cagr')`` -> ``markets.developer_tools.cagr``."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(str(ident) if isinstance(ident, str) and ident else f"[{part}]")
            node = item
        else:
            # pydantic inserts the name of a union/validator branch as a loc element
            if isinstance(node, dict) and part not in node and part in {"function-after", "function-before"}:
                continue
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    text = ".".join(parts)
    return text.replace(".[", "[")


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last element of ``loc``."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _inner_model(field.annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict, Annotated):
        for arg in reversed(typing.get_args(annotation)):
            found = _inner_model(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _problem_from_error(
    root: type[BaseModel], err: Mapping[str, Any], data: dict[str, Any], origin: str
) -> Problem:
    loc = tuple(err["loc"])
    path = render_loc(loc, data)
    kind = err["type"]
    value = err.get("input")
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        model = _model_at(root, loc)
        options = list(model.model_fields) if model else []
        return Problem(origin, path, f"unknown key{hint(str(loc[-1]), options)}")
    if kind == "missing":
        return Problem(origin, path, "is required")
    if kind in ("finite_number",):
        return Problem.with_value(origin, path, "must be a finite number", value)
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
        if "(got" in msg:
            return Problem(origin, path, msg)
    if kind == "string_pattern_mismatch":
        msg = "must be lowercase letters, digits and _ , starting with a letter"
    if kind == "int_type" and isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        # TOML reads 1e5 and 2027.0 as decimal numbers; say what to write instead
        whole = f"{int(value):_}" if abs(value) >= 10_000 else str(int(value))
        return Problem.with_value(origin, path, f"must be a whole number, written {whole}", value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        msg = "must be a finite number"
    return Problem.with_value(origin, path, msg[0].lower() + msg[1:] if msg else msg, value)
