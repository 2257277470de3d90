"""Merging scenario data: ``extends`` parents, ``--set`` and :meth:`Scenario.with_overrides`.

Pure functions on the mappings read from TOML, before validation.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from forecast.scenario.inputs import percent

_GROWTH_TRIO = ("size", "cagr", "projection")
#: deepest nesting of tables and lists (a scenario needs 6); deeper input hit Python's
#: recursion limit (600 nested arrays, 5000 nested inline tables, a 1000-part key)
MAX_DEPTH = 32


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether tables and lists in ``value`` nest more than ``limit`` levels (no recursion).

    Examples
    --------
    >>> too_deep({"a": [{"b": 1}]}, limit=3), too_deep({"a": [{"b": {}}]}, limit=3)
    (False, True)
    """
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            if depth >= limit:
                return True
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``child`` over ``parent``.

    Tables merge key by key; lists of tables with ``id`` merge item by item (new
    ids are appended); other values are replaced. When a child market sets some
    of ``size``/``cagr``/``projection``, the parent's values fill in only until
    two are set (in that order), so "what if CAGR is 30%?" drops the parent's
    projection instead of contradicting it.

    Examples
    --------
    >>> merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
    {'a': {'x': 1, 'y': 3}}
    """
    out = copy.deepcopy(dict(parent))
    for key, value in child.items():
        old = out.get(key)
        if _is_quantity(old) and (_is_quantity(value) or _is_number(value)):
            out[key] = merge_quantity(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = merge(old, value)
        elif _is_id_list(old) and _is_id_list(value):
            # only text ids name items: a child's `id = []` or `id = 5` is a new (and
            # invalid, so reported) item, not a crash on an unhashable key
            by_id = {item["id"]: i for i, item in enumerate(old) if isinstance(item["id"], str)}
            merged = list(old)
            for item in value:
                if isinstance(item["id"], str) and item["id"] in by_id:
                    merged[by_id[item["id"]]] = _merge_item(old[by_id[item["id"]]], item)
                else:
                    merged.append(copy.deepcopy(item))
            out[key] = merged
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_item(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = merge(parent, child)
    set_here = [k for k in _GROWTH_TRIO if k in child]
    if set_here and len(set_here) < 3:
        keep = list(set_here)
        for k in _GROWTH_TRIO:
            if len(keep) >= 2:
                break
            if k not in keep and k in parent:
                keep.append(k)
        for k in _GROWTH_TRIO:
            if k not in keep:
                merged.pop(k, None)
    return merged


_FORM_KEYS = {"value", "low", "high", "median", "sigma", "mean", "sd", "dist"}
_COMPLETE_FORMS = ({"value"}, {"low", "high"}, {"median", "sigma"}, {"mean", "sd"})


def _is_number(v: object) -> bool:
    """A bare number, or a percent string (``"30%"``), which stands for one."""
    return (isinstance(v, int | float) and not isinstance(v, bool)) or percent(v) is not None


def _is_quantity(v: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(v, dict) and bool(_FORM_KEYS & set(v))


def merge_quantity(parent: dict[str, Any], child: Any) -> Any:
    """Override an uncertain input, keeping provenance honest.

    A complete form (a number, ``{low, high}``, ``{median, sigma}``...) replaces
    the parent's form; what is not part of the form (a projection's ``year``) stays. A bare number over a ``{median, sigma}`` input re-centres it and
    keeps its spread ("what if CAGR is 30%?" is a question about the centre). A
    changed number without its own ``source`` is marked as an assumption.

    Examples
    --------
    >>> merge_quantity({"median": 0.39, "sigma": 0.08, "source": "seed"}, 0.30)["median"]
    0.3
    """
    if _is_number(child):
        child = {"median": child} if "median" in parent and "sigma" in parent else {"value": child}
    if not isinstance(child, dict):
        # not an input at all (text, a list, true): it replaces the parent's, and
        # validation then says what is wrong with it
        return copy.deepcopy(child)
    keys = set(child) & _FORM_KEYS
    if not keys:
        return {**parent, **child}
    if any(keys >= form for form in _COMPLETE_FORMS) or "dist" in keys:
        # the form is replaced, what it is a form of is not: a projection's ``year``
        # stays when only its number changes (``--set markets.m.projection=300``)
        merged = {k: v for k, v in parent.items() if k not in _FORM_KEYS | {"source", "note"}} | child
    else:
        merged = {**{k: v for k, v in parent.items() if k not in ("source", "note")}, **child}
    if "source" not in child and parent.get("source"):
        merged["source"] = f"assumption: override (was: {parent['source']})"
    return merged


def _is_id_list(v: object) -> TypeGuard[list[dict[str, Any]]]:
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) and "id" in i for i in v)


_KEY_PART = re.compile(r"^(?P<name>[^\[\]]+)(?P<index>(?:\[\d+\])*)$")


def _key_parts(key: str) -> list[str | int]:
    """``"positions.p.path[1].share"`` -> ``["positions", "p", "path", 1, "share"]``."""
    if not isinstance(key, str):
        raise KeyError("must be a dotted key as text, like markets.developer_tools.cagr")
    if key.count(".") >= MAX_DEPTH:
        raise KeyError(f"has more than {MAX_DEPTH} parts: no scenario key is that deep")
    out: list[str | int] = []
    for part in key.split("."):
        m = _KEY_PART.match(part)
        if m is None:
            raise KeyError(
                "is not a dotted key like markets.developer_tools.cagr or positions.p.path[0].share"
            )
        out.append(m["name"])
        out += [int(i) for i in re.findall(r"\d+", m["index"])]
    return out


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.c`` in a raw mapping; list items are addressed by ``id``, or by
    position as ``name[i]`` when they have none (``positions.p.path[1].share``,
    ``evidence[0].value``), as error messages name them."""
    parts = _key_parts(key)
    if len(parts) == 2 and parts[0] == "inputs":  # inputs.<id> is its value: --set inputs.margin=0.3
        parts.append("value")
    if too_deep(value):
        raise KeyError(f"its value nests more than {MAX_DEPTH} levels deep")
    node: Any = data
    here = ""
    for part in parts[:-1]:
        where = here
        here = f"{here}[{part}]" if isinstance(part, int) else f"{here}.{part}" if here else part
        if isinstance(part, int):
            if not isinstance(node, list):
                raise KeyError(f"{where} is not a list")
            if part >= len(node):
                raise KeyError(f"no item {here}: {where} has {len(node)} item(s)")
            node = node[part]
            continue
        if not isinstance(node, dict | list):
            raise KeyError(f"{where} is a value, not a table")
        if isinstance(node, list):
            node = node[_item_index(node, part, where, here)]
            continue
        nxt = node.get(part)
        if nxt is None:
            nxt = {}
            node[part] = nxt
        node = nxt
    last = parts[-1]
    if isinstance(last, int) or isinstance(node, list):
        if isinstance(node, list) and not isinstance(last, int):
            _item_index(node, last, here, key)
        raise KeyError(f"names a whole item; set one of its fields, e.g. {key}.<field>")
    if not isinstance(node, dict):
        raise KeyError(f"{here} is a value, not a table")
    if value is None:
        node.pop(last, None)
        return
    if len(parts) == 3 and parts[0] == "markets" and last in _GROWTH_TRIO:
        # the same rule as a child file: setting one of the trio re-derives another
        updated = _merge_item(node, {last: value})
        node.clear()
        node.update(updated)
        return
    old = node.get(last)
    node[last] = merge_quantity(old, value) if _is_quantity(old) else value


def _item_index(items: list[Any], ident: str, where: str, here: str) -> int:
    """The position of the item with id ``ident`` in the list at ``where``."""
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    if ident not in ids:
        why = hint(ident, ids) or (f"; its items have no id: name one as {where}[0]" if not any(ids) else "")
        raise KeyError(f"no item with id {ident!r} at {here}{why}")
    return ids.index(ident)


def drop_none(value: Any) -> Any:
    """``value`` without ``None`` entries in tables, at any depth."""
    if isinstance(value, Mapping):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def hint(word: str, options: list[Any]) -> str:
    close = difflib.get_close_matches(word, [str(o) for o in options if o is not None], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
