"""All problems at once: the cross-field checks of what a file's schema errors leave.

:func:`forecast.scenario.schema_errors.schema_problems` finds what the schema refuses; the
cross-field checks (sums, deadlines, references) need a validated scenario, so a file
with a misspelt key got only that line, and its probabilities summing to 0.99 waited
for the next run. Here the refused keys are taken out and the rest is checked.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from forecast.errors import Problem
from forecast.scenario.schema_errors import render_loc


def problems_beside_schema_errors(
    model: type[BaseModel],
    data: dict[str, Any],
    origin: str,
    check: Callable[[Any, str], list[Problem]],
) -> list[Problem]:
    """The cross-field problems of what a file's schema errors leave standing.

    A misspelt key and outcome probabilities summing to 0.99 are two problems; naming
    only the first makes the analyst fix, run, fix again. The keys the schema refused
    are taken out (a few rounds, innermost key first) and the rest validated and passed
    to ``check``. A problem on or about a removed key's item (its path, a path it
    contains, or its id in the message) is left out: it may only follow from the
    removal. When the rest does not validate (a required key is missing or broken),
    nothing is added.

    Examples
    --------
    >>> from forecast.scenario.checks import semantic_problems
    >>> from forecast.scenario.schema import Scenario
    >>> d = {"id": "x", "title": "X", "as_of": "2025-01-01", "simulaton": {}, "markets": [
    ...     {"id": "m", "label": "M", "unit": "bn", "base_year": 2024, "size": 1.0}]}
    >>> [p.path for p in problems_beside_schema_errors(Scenario, d, "x.toml", semantic_problems)]
    ['markets.m']
    """
    pruned = copy.deepcopy(data)
    gone: list[tuple[str, set[str]]] = []
    for _ in range(4):
        try:
            scenario = model.model_validate(pruned)
        except ValidationError as e:
            removed = [
                _remove_at(pruned, tuple(err["loc"]), gone) for err in e.errors() if err["type"] != "missing"
            ]
            if not any(removed) or any(err["type"] == "missing" for err in e.errors()):
                return []
            continue
        return [p for p in check(scenario, origin) if not _follows_from(p, gone)]
    return []


def _remove_at(data: dict[str, Any], loc: tuple[Any, ...], gone: list[tuple[str, set[str]]]) -> bool:
    """Delete the innermost key of ``data`` that ``loc`` reaches, never one above the
    last list item on the way (that would take other items with it); note the removed
    key's item path and the ids along the way in ``gone``."""
    node: Any = data
    ids: set[str] = set()
    target: tuple[dict[str, Any], str, int] | None = None
    item_end = 0
    for i, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            item_end = i + 1
            target = None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                ids.add(node["id"])
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            target = (node, part, i + 1)
            node = node[part]
        else:
            break
    if target is None:
        return False
    parent, key, end = target
    gone.append((render_loc(loc[: item_end or end], data), ids))  # rendered before the removal
    del parent[key]
    return True


def _follows_from(p: Problem, gone: list[tuple[str, set[str]]]) -> bool:
    tokens = set(re.split(r"[.\[\]]", p.path))
    for prefix, ids in gone:
        if p.path == prefix or any(
            a.startswith(b + c) for a, b in ((p.path, prefix), (prefix, p.path)) for c in ".["
        ):
            return True
        if any(i in tokens or f"'{i}'" in p.message for i in ids):
            return True
    return False
