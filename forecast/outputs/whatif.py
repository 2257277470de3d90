"""What a what-if run changed: each override with its old and new value, and its folder.

A run with ``--set`` is a what-if. Its report says so before anything else and lists
every input that differs from the file as written (the keys set, and the values
they displaced: a new CAGR drops the projection it would contradict). By default it
is written to its own folder, ``reports/<id>-whatif-<short hash>/``, so the base
report in ``reports/<id>/`` is never overwritten by a variant.

Examples
--------
>>> import forecast
>>> base = forecast.load(forecast.bundled())
>>> new = base.with_overrides({"markets.developer_tools.cagr": 0.30})
>>> for c in changes(base, new, ["markets.developer_tools.cagr"]):
...     print(f"{c.key}: {c.was} -> {c.now}")
markets.developer_tools.cagr: median 0.47, sigma 0.08 -> median 0.3, sigma 0.08
markets.developer_tools.projection: year 2027, value 9.8 -> (removed)
>>> whatif_folder("deepseek", {"markets.developer_tools.cagr": 0.3}).name
'deepseek-whatif-1e305f91'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from forecast.scenario import Scenario

#: keys of an input that describe it rather than set it: a change to these alone is
#: not a what-if (an override rewrites ``source`` to say it is an assumption)
_DESCRIPTIVE = frozenset({"source", "note"})
_QUANTITY_KEYS = frozenset({"value", "median", "sigma", "low", "high", "dist", "mean", "sd", "year"})
REMOVED = "(removed)"
NOT_SET = "(not set)"


@dataclass(frozen=True)
class Change:
    """One input of a what-if: its key path, its value in the file, its value now."""

    key: str
    was: str
    now: str
    #: what the what-if did: ``centre moved, spread kept``, ``made a point``, ``set``,
    #: ``removed``, or ``follows`` (displaced by a key set: a projection a new CAGR drops)
    how: str = ""


def whatif_folder(scenario_id: str, overrides: Mapping[str, Any], root: Path = Path("reports")) -> Path:
    """``reports/<id>-whatif-<8 hex>/``: the hash of the overrides (keys sorted), so the
    same what-if reruns into the same folder and a different one never collides.

    Examples
    --------
    >>> whatif_folder("deepseek", {"a.b": 1}) == whatif_folder("deepseek", {"a.b": 1.0})
    False
    """
    text = json.dumps(overrides, sort_keys=True, default=str, separators=(",", ":"))
    return root / f"{scenario_id}-whatif-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def changes(base: Scenario, resolved: Scenario, keys: Sequence[str] | Mapping[str, Any] = ()) -> list[Change]:
    """Every input whose value differs between ``base`` and ``resolved``, then any of
    ``keys`` (the keys set) that did not change, in the file's order.

    Values are written as in the file, without their ``source`` and ``note``. Given
    the overrides as a mapping, each change says what the what-if did (``how``).
    """
    from forecast.scenario.merging import describe_override

    old = dict(_leaves(base.raw))
    new = dict(_leaves(resolved.raw))
    diff = [k for k in list(old) + [k for k in new if k not in old] if old.get(k) != new.get(k)]
    given = keys if isinstance(keys, Mapping) else None

    def change(key: str) -> Change:
        a, b = old.get(key), new.get(key)
        how = "" if given is None else describe_override(a, given[key]) if key in given else "follows"
        return Change(key, NOT_SET if a is None else _text(a), REMOVED if b is None else _text(b), how)

    out: list[Change] = []
    done: set[str] = set()
    # the keys set first, in the order given; then what they displaced
    for key in keys:
        mine = [k for k in diff if (k == key or k.startswith(key + ".")) and k not in done]
        out += [change(k) for k in mine or [key]]
        done.update(mine or [key])
    out += [change(k) for k in diff if k not in done]
    return out


def differ_text(n: int, written: str) -> str:
    """How many inputs a what-if changed, counted in words: ``n input(s) differ(s)``.

    Examples
    --------
    >>> differ_text(1, "deepseek.toml"), differ_text(2, "deepseek.toml")
    ('1 input differs from deepseek.toml', '2 inputs differ from deepseek.toml')
    """
    return f"{n} input{' differs' if n == 1 else 's differ'} from {written}"


def overrides_table(changes: Sequence[Change]) -> pd.DataFrame:
    """``overrides.csv``: one row per input a what-if changed (``key,in_file,in_this_run,how``).

    Examples
    --------
    >>> overrides_table([Change("a.b", "0.2", "0.3", "set")]).columns.tolist()
    ['key', 'in_file', 'in_this_run', 'how']
    """
    import pandas as pd

    rows = [(c.key, c.was, c.now, c.how) for c in changes]
    return pd.DataFrame(rows, columns=["key", "in_file", "in_this_run", "how"])


def _is_quantity(v: Any) -> bool:
    return isinstance(v, dict) and bool(set(v) & _QUANTITY_KEYS) and set(v) <= _QUANTITY_KEYS | _DESCRIPTIVE


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(key path, value)`` of every input: list items by ``id`` (or ``[i]``), and a
    quantity table (``{ median, sigma, source }``) as one value without its descriptions."""
    if isinstance(node, dict) and not _is_quantity(node):
        for k, v in node.items():
            if k in _DESCRIPTIVE or k == "extends":
                continue
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
        ids = [i.get("id") for i in node]
        for j, item in enumerate(node):
            name = f"{prefix}.{ids[j]}" if all(ids) else f"{prefix}[{j}]"
            yield from _leaves(item, name)
    elif isinstance(node, dict):
        yield prefix, {k: v for k, v in node.items() if k not in _DESCRIPTIVE}
    else:
        yield prefix, node


def _text(v: Any) -> str:
    """A value as a reader sees it: ``median 0.47, sigma 0.08``, ``0.3``, ``true``."""
    if isinstance(v, dict):
        return ", ".join(f"{k} {_text(x)}" for k, x in v.items())
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    return str(v)
