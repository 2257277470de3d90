"""What happened: the resolutions file that ``forecast score`` scores forecasts against.

A resolutions file is TOML or CSV. Each resolution names a statement the forecast
made, what it turned out to be, and the date that became known:

```toml
[[resolutions]]
id = "tiered_licensing"              # a prediction: value true or false
value = false
date = 2026-01-02
source = "no tiered licence announced"

[[resolutions]]
id = "outcome.independence"          # the outcome that came about (true), or one ruled out (false)
value = true
date = 2028-01-05

[[resolutions]]
id = "market.developer_tools@2025"   # an observed quantity: market.<id>@<year>,
value = 5.1                          # total@<year>, share.<position>@<year>, revenue.<position>@<year>
date = 2026-03-31

[[resolutions]]
id = "metric.devtools_revenue_m@2025"  # a metric's actual: metric.<id>@<year> for a yearly
value = 410                            # metric, metric.<id> for one that is one number; in
date = 2026-03-31                      # the metric's unit, and it may be 0 or negative
```

The CSV form has the columns ``id,value,date,source`` (``source`` optional), one
resolution a line. A prediction may be written ``prediction.<id>`` or by its bare id.
When an outcome came about, every other outcome of the assessment did not: they are
resolved false on the same date.

Reading checks the file itself (types, dates, duplicates); :func:`check_against`
checks it against the forecast versions (ids they contain, dates after their
``as_of``). Every problem names the file and line: ``resolutions.toml:12: value:
must be true or false for a prediction (got 'yes')``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from forecast.errors import Problem, ScenarioError
from forecast.scenario.textfile import read_text

Kind = Literal["prediction", "outcome", "quantity"]
COLUMNS = ("id", "value", "date", "source")
_ID = re.compile(
    r"^(?:(?P<kind>prediction|outcome)\.(?P<ref>[a-z][a-z0-9_]*)"
    r"|(?P<qkind>market|share|revenue)\.(?P<qref>[a-z][a-z0-9_]*)@(?P<year>\d{4})"
    r"|metric\.(?P<mref>[a-z][a-z0-9_]*)(?:@(?P<myear>\d{4}))?"
    r"|total@(?P<tyear>\d{4})"
    r"|(?P<bare>[a-z][a-z0-9_]*))$"
)
ID_FORMS = (
    "a prediction id (or prediction.<id>), outcome.<id>, market.<id>@<year>, total@<year>, "
    "share.<position>@<year>, revenue.<position>@<year>, metric.<id>@<year> (a yearly metric) "
    "or metric.<id> (a metric that is one number)"
)


@dataclass(frozen=True)
class Resolution:
    """One thing that happened.

    Attributes
    ----------
    statement : str
        Canonical id: ``prediction.<id>``, ``outcome.<id>`` or a quantity
        (``market.<id>@<year>``...).
    kind : {"prediction", "outcome", "quantity"}
    value : bool or float
        True/false for a prediction or outcome; the observed value of a quantity.
    date : datetime.date
        When it became known; forecasts made on or after it are not scored on it.
    source : str
    where : str
        ``file:line`` of the resolution (for messages).
    implied : bool
        True for an outcome resolved false because another one came about.
    """

    statement: str
    kind: Kind
    value: bool | float
    date: dt.date
    source: str
    where: str
    implied: bool = False

    @property
    def ref(self) -> str:
        """The prediction or outcome id, or the quantity without its kind prefix."""
        return self.statement.split(".", 1)[1] if self.kind != "quantity" else self.statement


@dataclass(frozen=True)
class _Row:
    where: str  # file:line
    raw: dict[str, Any]
    lines: dict[str, str]  # key -> file:line of that key (TOML), else where


def read(path: str | Path) -> list[Resolution]:
    """Read and check a resolutions file (TOML or CSV, by its extension).

    Raises :class:`~forecast.errors.ScenarioError` with every problem, each naming the
    file and line.

    Examples
    --------
    >>> import forecast
    >>> rs = read(forecast.bundled_file("history/resolutions.toml"))  # doctest: +SKIP
    >>> rs[0].statement, rs[0].value  # doctest: +SKIP
    ('prediction.tiered_licensing', False)
    """
    path = Path(path)
    name = str(path)
    text = _read_text(path)
    rows = _csv_rows(text, name) if path.suffix.lower() == ".csv" else _toml_rows(text, name)
    problems: list[Problem] = []
    out: list[Resolution] = []
    first: dict[str, str] = {}
    for row in rows:
        # duplicates by id, whether or not the rest of the row is valid
        parsed = _statement(row.raw.get("id"))
        if parsed is not None:
            statement = parsed[1]
            if statement in first:
                problems.append(
                    Problem.with_value(
                        row.lines.get("id", row.where),
                        "id",
                        f"duplicate resolution (first at {first[statement]})",
                        statement,
                    )
                )
                continue
            first[statement] = row.where
        r = _resolution(row, problems)
        if r is not None:
            out.append(r)
    true_outcome: Resolution | None = None
    for r in out:
        if r.kind == "outcome" and r.value is True:
            if true_outcome is not None:
                problems.append(
                    Problem.with_value(
                        r.where,
                        "id",
                        f"outcomes exclude each other: {true_outcome.ref!r} already came about "
                        f"({true_outcome.where})",
                        r.statement,
                    )
                )
            else:
                true_outcome = r
    if not out and not problems:
        problems.append(Problem(name, "", "holds no resolutions"))
    if problems:
        raise ScenarioError(problems)
    return out


def _read_text(path: Path) -> str:
    return read_text(path, "resolutions file")


def _csv_rows(text: str, name: str) -> list[_Row]:
    from forecast.scenario.actuals import csv_rows

    rows, problems = csv_rows(text, name, COLUMNS, ("id", "value", "date"))
    if problems:
        raise ScenarioError(problems)
    return [_Row(where, cells, {}) for where, cells in rows]


_HEADER = re.compile(r"^\s*\[\[\s*resolutions\s*\]\]\s*(#.*)?$")


def _toml_rows(text: str, name: str) -> list[_Row]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([Problem(name, "", f"TOML syntax error: {e}")]) from None
    problems = []
    unknown = [k for k in data if k != "resolutions"]
    if unknown:
        problems.append(
            Problem(name, unknown[0], "unknown key; a resolutions file holds [[resolutions]] tables only")
        )
    items = data.get("resolutions", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        problems.append(Problem(name, "resolutions", "must be [[resolutions]] tables"))
        raise ScenarioError(problems)
    if problems:
        raise ScenarioError(problems)
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    out = []
    for j, item in enumerate(items):
        if len(starts) == len(items):
            first, last = starts[j], (starts[j + 1] if j + 1 < len(items) else len(lines))
            where = f"{name}:{first + 1}"
            keys = {}
            for k in item:
                pat = re.compile(rf"^\s*{re.escape(k)}\s*=")
                hit = next((n for n in range(first, last) if pat.match(lines[n])), first)
                keys[k] = f"{name}:{hit + 1}"
        else:
            # an inline array (resolutions = [...]): no line per item to point at
            where, keys = f"{name}: resolutions[{j}]", {}
        out.append(_Row(where, dict(item), keys))
    return out


def _resolution(row: _Row, problems: list[Problem]) -> Resolution | None:
    raw = row.raw

    def bad(key: str, message: str, got: Any = None, show: bool = True) -> None:
        problems.append(Problem(row.lines.get(key, row.where), key, message, got, show and got is not None))

    before = len(problems)
    for k in raw:
        if k not in COLUMNS:
            bad(k, f"unknown key; a resolution has {', '.join(COLUMNS)}")
    for k in ("id", "value", "date"):
        if k not in raw or raw[k] == "":
            bad(k, "is required")
    if len(problems) > before:
        return None
    ident = raw["id"]
    parsed = _statement(ident)
    if parsed is None:
        bad("id", f"is not a statement; use {ID_FORMS}", ident)
        return None
    kind, statement = parsed
    value = _value(kind, statement, raw["value"], lambda msg, got: bad("value", msg, got))
    date = _date(raw["date"], lambda msg, got: bad("date", msg, got))
    source = raw.get("source", "")
    if not isinstance(source, str):
        bad("source", "must be text", source)
    if len(problems) > before or value is None or date is None:
        return None
    return Resolution(statement, kind, value, date, str(source), row.where)


def _statement(ident: Any) -> tuple[Kind, str] | None:
    """``(kind, canonical statement)`` of an id, or None when it names no statement."""
    m = _ID.match(ident.strip()) if isinstance(ident, str) else None
    if m is None:
        return None
    if m["bare"]:
        return "prediction", f"prediction.{m['bare']}"
    if m["kind"]:
        return ("prediction" if m["kind"] == "prediction" else "outcome"), f"{m['kind']}.{m['ref']}"
    return "quantity", ident.strip()


def _value(kind: Kind, statement: str, v: Any, bad: Any) -> bool | float | None:
    if kind != "quantity":
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true"
        if isinstance(v, bool):
            return v
        bad(f"must be true or false for {'a prediction' if kind == 'prediction' else 'an outcome'}", v)
        return None
    if isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            bad("must be a number for an observed quantity", v)
            return None
    elif isinstance(v, int | float) and not isinstance(v, bool):
        x = float(v)
    else:
        bad("must be a number for an observed quantity", v)
        return None
    if not math.isfinite(x):
        bad("must be a finite number", v)
        return None
    if statement.startswith("metric."):
        return x  # a formula's value (a profit, a growth rate) may be 0 or negative
    if statement.startswith("share."):
        if not 0 <= x <= 1:
            bad("a share must be between 0 and 1", v)
            return None
    elif x <= 0:
        bad("must be > 0 (a market size or revenue)", v)
        return None
    return x


def _date(v: Any, bad: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v.strip())
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                bad("is not a real date", v)
                return None
    bad("must be a date like 2026-01-31", v)
    return None


# --- against the forecast versions ---------------------------------------------------


def check_against(resolutions: Sequence[Resolution], versions: Sequence[Any]) -> list[Resolution]:
    """Check resolutions against the scenarios of the versions scored; returns them with
    the outcomes implied by one that came about (the others resolved false).

    ``versions`` are :class:`~forecast.scenario.Scenario` objects. Raises
    :class:`ScenarioError` for a statement no version makes (with a hint), a year no
    version simulates, or a date before the ``as_of`` of every version that makes it.
    """
    problems: list[Problem] = []
    out = list(resolutions)
    for r in resolutions:
        making = [s for s in versions if makes(s, r)]
        if not making:
            problems.append(Problem.with_value(r.where, "id", _unknown(r, versions), r.statement))
            continue
        first = min(s.as_of for s in making)
        if r.date < first:
            problems.append(
                Problem.with_value(
                    r.where,
                    "date",
                    f"is before the as_of {first} of the first version that forecast it",
                    r.date.isoformat(),
                )
            )
        if r.kind == "outcome" and r.value is True:
            given = {x.statement for x in resolutions}
            ids: list[str] = []
            for s in versions:
                ids += [k for k in s.outcome_ids if k not in ids]
            for k in ids:
                st = f"outcome.{k}"
                if st != r.statement and st not in given:
                    out.append(
                        Resolution(
                            st, "outcome", False, r.date, f"implied: {r.ref} came about", r.where, True
                        )
                    )
    problems += _all_ruled_out(resolutions, versions)
    if problems:
        raise ScenarioError(problems)
    return out


def _all_ruled_out(resolutions: Sequence[Resolution], versions: Sequence[Any]) -> list[Problem]:
    """Outcomes are exhaustive: every outcome of a version resolved false is as
    impossible as two resolved true."""
    ruled_out = {r.ref: r for r in resolutions if r.kind == "outcome" and r.value is False}
    for s in versions:
        if s.outcome_ids and set(s.outcome_ids) <= set(ruled_out):
            last = ruled_out[s.outcome_ids[-1]]
            return [
                Problem(
                    last.where,
                    "value",
                    f"every outcome of {s.id} is resolved false ({', '.join(s.outcome_ids)}); the "
                    "outcomes are exhaustive, so one of them came about: resolve it true",
                )
            ]
    return []


def makes(scenario: Any, r: Resolution) -> bool:
    """Whether a scenario forecasts the statement ``r`` resolves."""
    if r.kind == "prediction":
        return r.ref in [p.id for p in scenario.predictions]
    if r.kind == "outcome":
        return r.ref in scenario.outcome_ids
    if r.statement.startswith("metric."):
        return not metric_problem(scenario, r.statement)
    from forecast.analysis.sensitivity import parse_target

    try:
        parse_target(scenario, r.statement)
    except ScenarioError:
        return False
    return True


def metric_problem(scenario: Any, statement: str) -> str:
    """Why a scenario does not forecast the metric actual ``statement`` ("" when it does).

    As a target elsewhere, except that a yearly metric needs its year: an actual is of
    one year, and the last one is no default for what was observed.
    """
    from forecast.scenario.formula_checks import metric_infos, metric_target_problem, parse_target

    problem = metric_target_problem(scenario, statement)
    if problem:
        return problem
    ident, year = parse_target(statement)
    if year is None and metric_infos(scenario)[ident].series:
        first, last = scenario.years[0], scenario.years[-1]
        return f"metric {ident!r} is a yearly series: give the year, metric.{ident}@YEAR ({first}-{last})"
    return ""


def _unknown(r: Resolution, versions: Sequence[Any]) -> str:
    import difflib

    if r.statement.startswith("metric."):
        # the latest version's reason (versions of one scenario share their metrics)
        return metric_problem(versions[-1], r.statement)

    if r.kind == "prediction":
        ids = sorted({p.id for s in versions for p in s.predictions})
        what = "prediction"
    elif r.kind == "outcome":
        ids = sorted({k for s in versions for k in s.outcome_ids})
        what = "outcome"
    else:
        return (
            "no version forecasts this quantity (check the market or position id and that the year "
            f"is simulated: {', '.join(sorted({f'{s.years[0]}-{s.years[-1]}' for s in versions}))})"
        )
    close = difflib.get_close_matches(r.ref, ids, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; {what}s are {', '.join(ids) or 'none'}"
    article = "an" if what == "outcome" else "a"
    return f"no scored version has {article} {what} with this id{hint}"
