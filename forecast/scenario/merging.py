"""Merging scenario data: ``extends`` parents, ``--set`` and :meth:`Scenario.with_overrides`.

Pure functions on the mappings read from TOML, before validation.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from forecast.scenario.inputs import Domain, Quantity, percent

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


def merge(parent: Mapping[str, Any], child: Mapping[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
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
        here = (*path, str(key))
        if _is_quantity(old) and (_is_quantity(value) or _is_number(value) or point_value(value) is not None):
            try:
                out[key] = merge_quantity(old, value, domain_at(here))
            except ValueError:
                # a file says what it means: a number its parent's form cannot be
                # centred on is that number (validation then checks it)
                out[key] = merge_quantity(old, {"value": point_value(value) or _number(value)})
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = merge(old, value, here)
        elif _is_id_list(old) and _is_id_list(value):
            # only text ids name items: a child's `id = []` or `id = 5` is a new (and
            # invalid, so reported) item, not a crash on an unhashable key
            by_id = {item["id"]: i for i, item in enumerate(old) if isinstance(item["id"], str)}
            merged = list(old)
            for item in value:
                if isinstance(item["id"], str) and item["id"] in by_id:
                    merged[by_id[item["id"]]] = _merge_item(old[by_id[item["id"]]], item, (*here, "*"))
                else:
                    merged.append(copy.deepcopy(item))
            out[key] = merged
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_item(parent: dict[str, Any], child: dict[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    merged = merge(parent, child, path)
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
# the parameters of triangular, PERT, beta, gamma, discrete, mixture and samples forms
_FORM_KEYS |= {
    "mode",
    "lambda",
    "alpha",
    "beta",
    "values",
    "probabilities",
    "components",
    "weights",
    "file",
    "column",
}
_COMPLETE_FORMS = ({"value"}, {"low", "high"}, {"median", "sigma"}, {"mean", "sd"})


def _is_number(v: object) -> bool:
    """A bare number, or a percent string (``"30%"``), which stands for one."""
    return (isinstance(v, int | float) and not isinstance(v, bool)) or percent(v) is not None


def _is_quantity(v: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(v, dict) and bool(_FORM_KEYS & set(v))


#: the domain of every input a what-if can move, by key path (``*``: a list item):
#: a bare number moves an interval's median on its family's scale, which the domain picks
DOMAINS: dict[tuple[str, ...], Domain] = {
    ("markets", "*", "size"): "positive",
    ("markets", "*", "projection"): "positive",
    ("markets", "*", "cagr"): "growth",
    ("markets", "*", "volatility"): "positive",
    ("correlation", "common_factor"): "unit",
    ("assessment", "confidence"): "positive",
    ("assessment", "outcomes", "*", "probability"): "unit",
    ("positions", "*", "path", "*", "share"): "unit",
    ("predictions", "*", "probability"): "unit",
    ("predictions", "*", "probability_by_outcome", "*"): "unit",
}


def domain_at(path: tuple[str | int, ...]) -> Domain:
    """The domain of the input at ``path`` (list items by id or position), ``real`` if unknown.

    Examples
    --------
    >>> domain_at(("markets", "developer_tools", "cagr")), domain_at(("positions", "p", "path", 1, "share"))
    ('growth', 'unit')
    """
    for pattern, domain in DOMAINS.items():
        if len(pattern) == len(path) and all(p in ("*", str(q)) for p, q in zip(pattern, path, strict=True)):
            return domain
    return "real"


POINT = "point:"


def point_value(v: object) -> float | None:
    """The number of a ``point:0.30`` (or ``point:30%``) what-if, else None; raises
    ``ValueError`` on ``point:`` followed by something that is not a number.

    Examples
    --------
    >>> point_value("point:0.3"), point_value("point: 30%"), point_value(0.3)
    (0.3, 0.3, None)
    """
    if not isinstance(v, str) or not v.strip().lower().startswith(POINT):
        return None
    text = v.strip()[len(POINT) :].strip()
    number = percent(text)
    if number is None:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"point: takes a number, e.g. point:0.30 or point:30% (got {v!r})")
    return number


def _number(v: object) -> float:
    p = percent(v)
    return float(v) if p is None else p  # type: ignore[arg-type]


def merge_quantity(parent: dict[str, Any], child: Any, domain: Domain = "real") -> Any:
    """Override an uncertain input, keeping provenance honest.

    A bare number (or ``"30%"``) moves the parent's centre, its median, and keeps its
    spread, whatever its form (:meth:`Quantity.recentred`): "what if the CAGR were 30%"
    is a question about the centre. ``point:0.30`` or ``{ value = 0.30 }`` makes it a
    point. Any other complete form (``{low, high}``, ``{median, sigma}``...) replaces
    the parent's form; what is not part of the form (a projection's ``year``) stays. A
    changed number without its own ``source`` is marked as an assumption. Raises
    ``ValueError`` when a bare number cannot move the parent's form.

    Examples
    --------
    >>> merge_quantity({"median": 0.39, "sigma": 0.08, "source": "seed"}, 0.30)["median"]
    0.3
    >>> merge_quantity({"low": 0.2, "high": 0.4}, "point:0.3")
    {'value': 0.3}
    """
    point = point_value(child)
    if point is not None:
        child = {"value": point}
    elif _is_number(child):
        child = _recentred(parent, _number(child), domain)
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


def _recentred(parent: dict[str, Any], centre: float, domain: Domain) -> dict[str, Any]:
    """The parent's form moved to ``centre``; a parent that is not a valid input is
    replaced by the number (validation then reports what is wrong)."""
    form = {k: v for k, v in parent.items() if k in _FORM_KEYS}
    try:
        q = Quantity.model_validate(form)
        q.canonical(domain)
    except (ValueError, OverflowError, ArithmeticError):
        return {"value": centre}
    return q.recentred(centre, domain)


def describe_override(old: Any, value: Any) -> str:
    """What a what-if did to one key: ``centre moved, spread kept``, ``made a point``,
    ``removed`` or ``set``.

    Examples
    --------
    >>> describe_override({"low": 0.2, "high": 0.4}, 0.3), describe_override({"low": 0.2, "high": 0.4}, "point:0.3")
    ('centre moved, spread kept', 'made a point')
    """
    if value is None:
        return "removed"
    if isinstance(value, str) and value.strip().lower().startswith(POINT):
        return "made a point"
    if isinstance(value, dict) and set(value) & _FORM_KEYS == {"value"}:
        return "made a point"
    if _is_quantity(old) and _is_number(value):
        return "set" if set(old) & _FORM_KEYS == {"value"} else "centre moved, spread kept"
    return "set"


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
    if parts[0] in UNSETTABLE:
        raise KeyError(f"cannot be set: {UNSETTABLE[str(parts[0])]}; {SETTABLE}")
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
        if last not in node:
            raise KeyError(f"is not in the scenario, so there is nothing to remove{hint(last, list(node))}")
        node.pop(last)
        return
    value = _moved(node.get(last), value, domain_at(tuple(parts)))
    if len(parts) == 3 and parts[0] == "markets" and last in _GROWTH_TRIO:
        # the same rule as a child file: setting one of the trio re-derives another
        updated = _merge_item(node, {last: value})
        node.clear()
        node.update(updated)
        return
    node[last] = value


def _moved(old: Any, value: Any, domain: Domain) -> Any:
    """What a what-if ``value`` makes of the input ``old``: the one rule of
    :func:`merge_quantity`, with a number it cannot apply refused (``KeyError``)."""
    try:
        if _is_quantity(old):
            return merge_quantity(old, value, domain)
        point = point_value(value)
    except ValueError as e:
        raise KeyError(str(e)) from None
    return value if point is None else {"value": point}


#: top-level keys a what-if cannot set, and why
UNSETTABLE = {"extends": "the file's parents are merged when it is read, before --set"}
SETTABLE = (
    "a what-if sets inputs, e.g. markets.<id>.cagr, markets.<id>.size, "
    "assessment.outcomes.<id>.probability, positions.<id>.path[<i>].share, simulation.draws"
)


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
