"""Reading scenario files: TOML, with ``extends`` parents merged."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forecast.errors import Problem, ScenarioError
from forecast.scenario.merging import merge, set_dotted
from forecast.scenario.schema import Scenario, layer_restates, overrides_restate, restate_references

MAX_FILE_BYTES = 10 * 2**20  # the seed's file is 12 kB


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
    origin = str(path)
    if overrides:
        problems = []
        for key, value in overrides.items():
            try:
                set_dotted(data, key, value)
            except KeyError as e:
                problems.append(Problem.with_value("--set", key, str(e.args[0]), value))
        if problems:
            raise ScenarioError(problems)
        restated, written = overrides_restate(overrides)
        restate_references(data, restated=restated, written=written)
    return Scenario.from_dict(data, origin=origin)


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, turning every failure into a :class:`ScenarioError`."""
    name = str(path)
    try:
        # read at most one byte past the limit: `validate /dev/zero` (or a runaway
        # generator behind a pipe) must end with a message, not exhaust memory
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(name, "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(name, "", "is a directory, not a scenario file")]) from None
    except OSError as e:
        raise ScenarioError([Problem(name, "", f"cannot be read: {e.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            [Problem(name, "", f"is larger than {MAX_FILE_BYTES // 2**20} MiB: not a scenario file")]
        )
    if not raw.strip():
        raise ScenarioError([Problem(name, "", "file is empty")])
    try:
        # utf-8-sig: Windows editors save a byte-order mark that TOML would reject
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(
            [Problem(name, "", f"is not UTF-8 text (byte {e.start}: {raw[e.start : e.start + 1]!r})")]
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([Problem(name, "", f"TOML syntax error: {e}")]) from None


def _read_resolved(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    # read before resolving: resolve() raises a bare RuntimeError on a symlink loop,
    # which read_toml reports as an unreadable file
    data = read_toml(path)
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError([Problem(str(path), "extends", f"extends cycle: {cycle}")])
    parent_ref = data.get("extends")
    if parent_ref is None:
        restate_references(data, restated=False)
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem.with_value(str(path), "extends", "must be a file path", parent_ref)])
    parent_path = (path.parent / parent_ref) if not Path(parent_ref).is_absolute() else Path(parent_ref)
    if not parent_path.is_file():
        raise ScenarioError(
            [Problem.with_value(str(path), "extends", "parent scenario not found", parent_ref)]
        )
    parent = _read_resolved(parent_path, (*chain, resolved))
    merged = merge(parent, data)
    restated, written = layer_restates(data)
    restate_references(merged, restated=restated, written=written)
    return merged
