"""Reading scenario files: TOML, with ``extends`` parents merged."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forecast.errors import Problem, ScenarioError
from forecast.scenario import actuals
from forecast.scenario.merging import MAX_DEPTH, merge, too_deep
from forecast.scenario.samples import resolve_sample_files
from forecast.scenario.schema import Scenario, apply_overrides, layer_restates, restate_references
from forecast.scenario.textfile import read_text

MAX_PATH_CHARS = 1024  # an extends path (5000 characters failed with "File name too long")
MAX_EXTENDS = 32  # parents in an extends chain (a chain of 2000 files hit Python's recursion limit)


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load, merge ``extends`` parents, apply overrides and validate a scenario.

    Raises :class:`~forecast.errors.ScenarioError` listing every problem.

    Examples
    --------
    >>> import forecast
    >>> forecast.load(forecast.bundled("deepseek")).id
    'deepseek'
    """
    path = Path(path)
    data = _read_resolved(path, chain=())
    # rows from an actuals CSV carry their file:line, so that the checks after merging
    # (market ids, years) name the row rather than evidence[j]
    rows = actuals.take_where(data)
    if overrides and any(str(k).startswith("evidence") for k in overrides):
        rows = {}  # the list may have changed: name its items by position
    origin = str(path)
    problems: list[Problem] = []
    if overrides:
        data, problems = apply_overrides(data, overrides, "--set")
    try:
        scenario = Scenario.from_dict(data, origin=origin)
    except ScenarioError as e:
        # all problems at once: a bad --set key does not hide the others' problems
        raise ScenarioError(problems + actuals.relocate(e.problems, rows)) from None
    if problems:
        raise ScenarioError(problems)
    return scenario


_SHORT_DATE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.:-])")


def _date_hint(text: str) -> str:
    """``; a date needs two-digit month and day: 2026-06-30 (got 2026-6-30)`` when the
    text has a date TOML cannot read for a missing zero, else ``""``.

    Examples
    --------
    >>> _date_hint("deadline = 2026-6-30")
    '; a date needs a two-digit month and day: 2026-06-30 (got 2026-6-30)'
    """
    for m in _SHORT_DATE.finditer(text):
        if len(m[2]) == 1 or len(m[3]) == 1:
            fixed = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
            return f"; a date needs a two-digit month and day: {fixed} (got {m[0]})"
    return ""


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, turning every failure into a :class:`ScenarioError`."""
    name = str(path)
    text = read_text(path, "scenario file")
    deep = f"tables or arrays nest more than {MAX_DEPTH} levels deep: not a scenario file"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([Problem(name, "", f"TOML syntax error: {e}{_date_hint(text)}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, "", deep)]) from None
    if too_deep(data):
        raise ScenarioError([Problem(name, "", deep)])
    if "resolutions" in data and "markets" not in data and "extends" not in data:
        # a resolutions file handed to run or validate: say what it is, not the
        # five keys a scenario would need
        raise ScenarioError(
            [
                Problem(
                    name, "", "is a resolutions file, not a scenario: give it to forecast score --resolutions"
                )
            ]
        )
    return data


def input_files(path: str | Path) -> list[Path]:
    """The files a scenario is read from: ``path`` and its ``extends`` parents.

    Best effort (what cannot be read is left out): ``forecast run`` uses it to
    never replace a folder that holds an input of the run.

    Examples
    --------
    >>> import forecast
    >>> [p.name for p in input_files(forecast.bundled("deepseek-bull"))]
    ['deepseek-bull.toml', 'deepseek.toml']
    """
    out: list[Path] = []
    here: Path | None = Path(path)
    while here is not None and len(out) <= MAX_EXTENDS and here not in out:
        out.append(here)
        try:
            ref = read_toml(here).get("extends")
        except ScenarioError:
            break
        here = (here.parent / ref) if isinstance(ref, str) else None
    return out


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long, a path through a file
        return False


def _read_resolved(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    # read before resolving: resolve() raises a bare RuntimeError on a symlink loop,
    # which read_toml reports as an unreadable file
    data = actuals.expand(read_toml(path), path)
    resolve_sample_files(data, path.parent)
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError([Problem(str(path), "extends", f"extends cycle: {cycle}")])
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(
            [Problem(str(path), "extends", f"the extends chain is longer than {MAX_EXTENDS} files")]
        )
    parent_ref = data.get("extends")
    if parent_ref is None:
        restate_references(data, restated=False)
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem.with_value(str(path), "extends", "must be a file path", parent_ref)])
    if len(parent_ref) > MAX_PATH_CHARS:
        raise ScenarioError(
            [
                Problem.with_value(
                    str(path), "extends", f"is longer than {MAX_PATH_CHARS} characters", parent_ref
                )
            ]
        )
    parent_path = (path.parent / parent_ref) if not Path(parent_ref).is_absolute() else Path(parent_ref)
    if not _is_file(parent_path):
        raise ScenarioError(
            [Problem.with_value(str(path), "extends", "parent scenario not found", parent_ref)]
        )
    parent = _read_resolved(parent_path, (*chain, resolved))
    merged = merge(parent, data)
    restated, written = layer_restates(data)
    restate_references(merged, restated=restated, written=written)
    return merged
