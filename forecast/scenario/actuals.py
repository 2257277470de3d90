"""Observed market sizes from a CSV file, as ``[[evidence]]``.

A scenario names the file in its evidence list, relative to the scenario file:

```toml
[[evidence]]
file = "actuals.csv"        # market,year,value,rel_error,source

[[evidence]]                # inline evidence merges with the file's rows
market = "developer_tools"
year = 2026
value = 6.1
rel_error = 0.1
```

``evidence = { file = "actuals.csv" }`` (a table instead of the list) is the same as
a list holding only the file. Each row is checked like inline evidence, and a bad
row is reported as ``actuals.csv:LINE: column: what is wrong (got X)``. The rows
take the file's place in the list, so ``evidence[2]`` in a message or an override
counts them, and a report's ``scenario.toml`` holds them inline.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any

from forecast.errors import Problem, ScenarioError
from forecast.scenario.inputs import percent
from forecast.scenario.textfile import read_text

COLUMNS = ("market", "year", "value", "rel_error", "source")
REQUIRED = ("market", "year", "value", "rel_error")
#: smallest relative error of an observation: 0.1%; nearer 0 the observation pins the
#: sampler to one value (1e-300 passed and crashed NUTS)
MIN_REL_ERROR = 0.001
#: the key a row carries to the checks after merging (``file:line``); removed before
#: validation, so it never reaches the Scenario or scenario.toml
WHERE = "__where__"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def is_file_ref(item: Any) -> bool:
    """An ``[[evidence]]`` item that names a file: ``{ file = "..." }``."""
    return isinstance(item, dict) and "file" in item


def expand(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """``data`` (one file's TOML) with its evidence file references replaced by rows.

    Raises :class:`ScenarioError` listing every bad row of every file.
    """
    ev = data.get("evidence")
    if isinstance(ev, dict) and is_file_ref(ev):
        ev = [ev]
    if not isinstance(ev, list) or not any(is_file_ref(i) for i in ev):
        return data
    problems: list[Problem] = []
    items: list[Any] = []
    for j, item in enumerate(ev):
        if not is_file_ref(item):
            items.append(item)
            continue
        extra = sorted(set(item) - {"file"})
        ref = item["file"]
        if extra:
            problems.append(
                Problem(
                    str(path),
                    f"evidence[{j}]",
                    f"a file reference takes only file (got also {', '.join(extra)})",
                )
            )
        if not isinstance(ref, str) or not ref.strip():
            problems.append(Problem.with_value(str(path), f"evidence[{j}].file", "must be a file path", ref))
            continue
        csv_path = Path(ref) if Path(ref).is_absolute() else path.parent / ref
        try:
            items += read(csv_path)
        except ScenarioError as e:
            problems += e.problems
    if problems:
        raise ScenarioError(problems)
    return {**data, "evidence": items}


def read(path: Path) -> list[dict[str, Any]]:
    """The rows of an actuals CSV as evidence items, each tagged with its ``file:line``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("market,year,value,rel_error,source\\nx,2025,4.9,0.1,est\\n")
    >>> [{k: v for k, v in r.items() if k != WHERE} for r in read(p)]
    [{'market': 'x', 'year': 2025, 'value': 4.9, 'rel_error': 0.1, 'source': 'est'}]
    """
    name = str(path)
    text = read_text(path, "actuals CSV file", missing="actuals file not found")
    rows, problems = csv_rows(text, name, COLUMNS, REQUIRED)
    out = []
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for where, row in rows:
        item, row_problems = _row(row, where)
        problems += row_problems
        if item is None:
            continue
        # one observation per market and year: a second would count twice, or contradict
        first = seen.setdefault((item["market"], item["year"]), item)
        if first is not item:
            line = first[WHERE].rsplit(":", 1)[1]
            same = all(first[k] == item[k] for k in ("value", "rel_error"))
            why = f"repeats line {line} (it would count twice)" if same else f"contradicts line {line}"
            problems.append(Problem(where, "", f"{item['market']} in {item['year']} {why}: give one row"))
            continue
        out.append(item)
    if problems:
        raise ScenarioError(problems)
    return out


def csv_rows(
    text: str, name: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[tuple[str, dict[str, str]]], list[Problem]]:
    r"""The rows of a CSV text with a header of ``columns`` (``required`` among them):
    ``(file:line, {column: stripped cell})`` each, and a problem for every row whose
    cell count is not the header's. A header that misses a required column or names an
    unknown one raises :class:`ScenarioError` at once.

    Examples
    --------
    >>> csv_rows("id,value\na,1\nb\n", "f.csv", ("id", "value"), ("id",))[0]
    [('f.csv:2', {'id': 'a', 'value': '1'})]
    """
    records = csv_records(text, name)
    line, header_cells = records[0]
    header = [h.strip().lower() for h in header_cells]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in columns]
    twice = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or twice:
        what = [f"missing {', '.join(missing)}"] if missing else []
        what += [f"unknown {', '.join(unknown)}"] if unknown else []
        what += [f"{h} appears twice" for h in twice]
        raise ScenarioError(
            [
                Problem.with_value(
                    f"{name}:{line}",
                    "header",
                    f"the columns are {','.join(columns)} (source optional); {'; '.join(what)}",
                    ",".join(header_cells),
                )
            ]
        )
    rows, problems = [], []
    for line, cells in records[1:]:
        where = f"{name}:{line}"
        if len(cells) != len(header):
            problems.append(
                Problem.with_value(
                    where, "", f"has {len(cells)} cells; the header has {len(header)}", ",".join(cells)
                )
            )
            continue
        rows.append((where, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    return rows, problems


def csv_records(text: str, name: str) -> list[tuple[int, list[str]]]:
    r"""The non-blank records of a CSV text, each with the line it starts on.

    Raises :class:`ScenarioError` for an empty file or a CSV syntax error.

    Examples
    --------
    >>> csv_records('a,b\n\n1,"x\ny"\n2,z\n', "f.csv")
    [(1, ['a', 'b']), (3, ['1', 'x\ny']), (5, ['2', 'z'])]
    """
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as e:
        raise ScenarioError([Problem(f"{name}:{reader.line_num}", "", f"CSV syntax error: {e}")]) from None
    if not records:
        raise ScenarioError([Problem(name, "", "file is empty")])
    return records


def _row(row: dict[str, str], where: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(col: str, message: str, got: Any) -> None:
        problems.append(Problem.with_value(where, col, message, got))

    market = row["market"]
    if not market:
        bad("market", "is required", market)
    elif market.startswith("metric."):
        bad(
            "market",
            "names a metric; evidence is an observed market size, and a metric's actual goes in "
            "a resolutions file (forecast score --resolutions, id metric.<id> or metric.<id>@YEAR)",
            market,
        )
    elif not _ID.match(market):
        bad("market", "must be a market id (lowercase letters, digits and _)", market)
    year: int | None = None
    try:
        year = int(row["year"])
    except ValueError:
        bad("year", "must be a whole year like 2025", row["year"])
    else:
        if not 1900 <= year <= 2200:
            bad("year", "must be between 1900 and 2200", row["year"])
    value = _number(row["value"], "value", bad)
    if value is not None and value <= 0:
        bad("value", "must be > 0 (an observed market size)", row["value"])
    # a rate: "5%" as inline evidence takes it (and as a spreadsheet writes a percent cell)
    rel = percent(row["rel_error"].strip()) if row["rel_error"] else None
    if rel is None:
        rel = _number(row["rel_error"], "rel_error", bad)
    if rel is not None and not MIN_REL_ERROR <= rel <= 5:
        bad(
            "rel_error",
            f"must be at least {MIN_REL_ERROR:g} and at most 5 (the SD of the observation on the log scale)",
            row["rel_error"],
        )
    if problems:
        return None, problems
    item: dict[str, Any] = {"market": market, "year": year, "value": value, "rel_error": rel}
    if row.get("source"):
        item["source"] = row["source"]
    item[WHERE] = where
    return item, problems


def _number(text: str, col: str, bad: Any) -> float | None:
    if not text:
        bad(col, "is required", text)
        return None
    try:
        x = float(text)
    except ValueError:
        bad(col, "must be a number", text)
        return None
    if not math.isfinite(x):
        bad(col, "must be a finite number", text)
        return None
    return x


def take_where(data: dict[str, Any]) -> dict[int, str]:
    """Remove the row tags from a merged mapping: ``{evidence index: "file:line"}``."""
    out = {}
    ev = data.get("evidence")
    if isinstance(ev, list):
        for j, item in enumerate(ev):
            if isinstance(item, dict) and WHERE in item:
                out[j] = item.pop(WHERE)
    return out


_EVIDENCE_PATH = re.compile(r"^evidence\[(\d+)\](?:\.(\w+))?$")


def relocate(problems: list[Problem], where: dict[int, str]) -> list[Problem]:
    """Problems about ``evidence[j].col`` of a CSV row, named ``file:line: col`` instead."""
    out = []
    for p in problems:
        m = _EVIDENCE_PATH.match(p.path)
        if m and int(m[1]) in where:
            out.append(Problem(where[int(m[1])], m[2] or "", p.message, p.got, p.has_got))
        else:
            out.append(p)
    return out
