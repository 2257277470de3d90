"""The scenario language: load, validate and override TOML scenario files.

A :class:`Scenario` is pure data. It never imports PyMC; :mod:`forecast.model`
turns it into a model.

Addressing is the same everywhere: an item of a list that has an ``id`` is named
by it, so ``markets.developer_tools.cagr`` is the key in an error message, in
``--set`` and in :meth:`Scenario.with_overrides`.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import math
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from forecast.errors import Problem, ScenarioError
from forecast.inputs import Quantity

CAGR_TOLERANCE = 0.01  # stated CAGRs are usually rounded to the percent
PROBABILITY_TOLERANCE = 1e-6
MAX_SPAN_YEARS = 100  # from the earliest base year to the last simulated year
MAX_FILE_BYTES = 10 * 2**20  # the seed's file is 12 kB
ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Id = Annotated[str, Field(pattern=ID_PATTERN, description="lowercase letters, digits, _")]


def _to_date(value: object) -> object:
    """Accept a TOML date, ``"YYYY-MM"`` / ``"YYYY-MM-DD"`` text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", value.strip())
        if not m:
            raise ValueError(f'must be a date like 2026-07-01 or "2026-07" (got {value!r})')
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError as e:
            raise ValueError(f"is not a real date: {e} (got {value!r})") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_to_date)]


def year_fraction(d: dt.date) -> float:
    """A date as a fractional year: 2026-07-01 -> 2026.496.

    Examples
    --------
    >>> year_fraction(dt.date(2025, 1, 1))
    2025.0
    """
    start = dt.date(d.year, 1, 1)
    days = (dt.date(d.year + 1, 1, 1) - start).days
    return d.year + (d - start).days / days


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


class Projection(Quantity):
    """A stated market size in a later year: ``{ year = 2027, value = 22.1 }``."""

    year: int


class Market(Strict):
    """A market segment.

    Any two of ``size`` (in ``base_year``), ``projection`` and ``cagr`` imply the
    third; when all three are given they must agree within one point of CAGR. Growth
    gets its uncertainty from ``cagr`` when that is uncertain, else from
    ``projection``: then size and projection are two anchors, each year from the base
    to the projection year carrying their stated uncertainties, not their sum.
    """

    id: Id
    label: str
    unit: str = Field(description="e.g. 'USD bn'")
    base_year: int = Field(ge=1900, le=2200)
    size: Quantity
    projection: Projection | None = None
    cagr: Quantity | None = None
    volatility: Quantity = Field(
        default=Quantity(value=0.0, source="assumption: no yearly shocks unless stated"),
        description="SD of the yearly shock to log market size",
    )
    notes: str = ""


class Correlation(Strict):
    common_factor: Quantity = Field(
        default=Quantity(value=0.0, source="assumption: markets independent unless stated"),
        description="share of growth and shock variance common to all markets (0..1)",
    )


class Driver(Strict):
    """Links an outcome to a market: log-odds per SD of the market's growth surprise."""

    market: str
    log_odds_per_sd: float
    source: str | None = None


class Outcome(Strict):
    id: Id
    label: str
    probability: Quantity
    drivers: list[Driver] = []


class Assessment(Strict):
    """Mutually exclusive, exhaustive outcomes over a horizon."""

    horizon_years: float = Field(gt=0, le=100)
    confidence: Quantity = Field(description="Dirichlet concentration: how many cases the judgment is worth")
    source: str | None = None
    outcomes: list[Outcome] = Field(min_length=2)


class SharePoint(Strict):
    """A point on a share path; ``outcome`` makes it outcome-conditional."""

    at: Date
    share: Quantity
    outcome: str | None = None


class Position(Strict):
    """The company's share of a market over time; revenue = share x market size."""

    id: Id
    label: str
    market: str
    path: list[SharePoint] = Field(min_length=1)


QUANTITY_KINDS = ("market", "share", "revenue")


class Prediction(Strict):
    """A dated statement: a threshold on a simulated quantity, or an event.

    Threshold: ``quantity = "share.<position>"`` (or ``market.<id>``,
    ``revenue.<position>``), ``op`` and ``threshold``, judged at ``deadline``.
    Event: ``probability`` by ``deadline``, or ``probability_by_outcome``.
    """

    id: Id
    statement: str
    deadline: Date
    source: str | None = None
    quantity: str | None = None
    op: Literal[">=", "<="] | None = None
    threshold: float | None = None
    probability: Quantity | None = None
    probability_by_outcome: dict[str, Quantity] | None = None
    resolved: bool | None = None

    @property
    def kind(self) -> Literal["threshold", "event"]:
        return "threshold" if self.quantity is not None else "event"


class Signpost(Strict):
    """An indicator to watch: P(observed true | outcome) for every outcome."""

    id: Id
    statement: str
    likelihood: dict[str, float]
    source: str | None = None
    note: str | None = Field(default=None, description="why these likelihoods (an assumption)")
    observed: bool | None = None

    @field_validator("likelihood")
    @classmethod
    def _probabilities(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not (0 <= x <= 1) or math.isnan(x)}
        if bad:
            raise ValueError(f"likelihoods must be between 0 and 1 (got {bad})")
        return v


class Evidence(Strict):
    """An observed market size: lognormal observation with ``rel_error`` SD in log."""

    market: str
    year: int
    value: float = Field(gt=0)
    rel_error: float = Field(gt=0, le=5)
    source: str | None = None


class Simulation(Strict):
    draws: int = Field(default=20_000, ge=100, le=10_000_000)
    seed: int = Field(default=0, ge=0)
    end_year: int | None = None


class Scenario(Strict):
    """A validated scenario. Build it with :func:`load` or :meth:`from_dict`.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> s.market("developer_tools").label
    'Developer Tools'
    >>> s2 = s.with_overrides({"markets.developer_tools.cagr": 0.30})
    """

    id: Id
    title: str
    description: str = ""
    as_of: Date = Field(description="date of the analysis; deadlines are after it")
    source: str | None = None
    extends: str | None = None
    simulation: Simulation = Simulation()
    correlation: Correlation = Correlation()
    markets: list[Market] = Field(min_length=1)
    assessment: Assessment | None = None
    positions: list[Position] = []
    predictions: list[Prediction] = []
    signposts: list[Signpost] = []
    evidence: list[Evidence] = []

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _origin: str = PrivateAttr(default="<dict>")

    # --- construction -------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<dict>") -> Scenario:
        """Validate a resolved mapping (``extends`` already merged)."""
        # TOML has no null: a None (from Python or an override) means "not given", and
        # keeping it would make to_toml() fail on a scenario that validated
        clean: dict[str, Any] = _drop_none(data)
        problems = _schema_problems(clean, origin)
        if problems:
            raise ScenarioError(problems)
        scenario = cls.model_validate(clean)
        problems = _semantic_problems(scenario, origin)
        if problems:
            raise ScenarioError(problems)
        scenario._raw = copy.deepcopy(clean)
        scenario._origin = origin
        return scenario

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "<overrides>") -> Scenario:
        """A new scenario with dotted keys replaced, validated again.

        Keys name list items by ``id`` (``markets.developer_tools.cagr``), or by
        position when they have none (``positions.p.path[1].share``,
        ``evidence[0].value``). Setting one of a market's ``size``, ``projection``,
        ``cagr`` re-derives the one not set (see :func:`merge`). A bare number over a
        ``{ median, sigma }`` input moves its median and keeps its spread. ``None``
        removes a key.

        Examples
        --------
        >>> import forecast
        >>> s = forecast.load(forecast.bundled("deepseek"))
        >>> s.with_overrides({"simulation.draws": 1000}).simulation.draws
        1000
        """
        raw = copy.deepcopy(self._raw)
        problems: list[Problem] = []
        for key, value in overrides.items():
            try:
                _set_dotted(raw, key, value)
            except KeyError as e:
                problems.append(Problem.with_value(origin, key, str(e.args[0]), value))
        if problems:
            raise ScenarioError(problems)
        return Scenario.from_dict(raw, origin=f"{self._origin} with {origin}")

    # --- accessors ----------------------------------------------------------

    @property
    def raw(self) -> dict[str, Any]:
        """The resolved input mapping (parents merged, overrides applied)."""
        return copy.deepcopy(self._raw)

    @property
    def origin(self) -> str:
        return self._origin

    def to_toml(self) -> str:
        """The resolved inputs as TOML (what ``scenario.toml`` in a report holds)."""
        import tomli_w

        raw = self.raw
        raw.pop("extends", None)
        return tomli_w.dumps(raw)

    def sha256(self) -> str:
        return hashlib.sha256(self.to_toml().encode()).hexdigest()

    def market(self, market_id: str) -> Market:
        return next(m for m in self.markets if m.id == market_id)

    def position(self, position_id: str) -> Position:
        return next(p for p in self.positions if p.id == position_id)

    @property
    def outcome_ids(self) -> list[str]:
        return [o.id for o in self.assessment.outcomes] if self.assessment else []

    @property
    def base_year(self) -> int:
        return min(m.base_year for m in self.markets)

    @property
    def end_year(self) -> int:
        """Last simulated year: the latest year anything in the file refers to."""
        if self.simulation.end_year is not None:
            return self.simulation.end_year
        years = [m.base_year + 1 for m in self.markets]
        years += [m.projection.year for m in self.markets if m.projection]
        years += [e.year for e in self.evidence]
        dates = [p.deadline for p in self.predictions] + [pt.at for pos in self.positions for pt in pos.path]
        years += [math.ceil(year_fraction(d)) for d in dates]
        if self.assessment:
            years.append(math.ceil(year_fraction(self.as_of) + self.assessment.horizon_years))
        return max(years)

    @property
    def years(self) -> list[int]:
        return list(range(self.base_year, self.end_year + 1))

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence) or any(s.observed is not None for s in self.signposts)


# --- loading ----------------------------------------------------------------


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
                _set_dotted(data, key, value)
            except KeyError as e:
                problems.append(Problem.with_value("--set", key, str(e.args[0]), value))
        if problems:
            raise ScenarioError(problems)
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
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem.with_value(str(path), "extends", "must be a file path", parent_ref)])
    parent_path = (path.parent / parent_ref) if not Path(parent_ref).is_absolute() else Path(parent_ref)
    if not parent_path.is_file():
        raise ScenarioError(
            [Problem.with_value(str(path), "extends", "parent scenario not found", parent_ref)]
        )
    parent = _read_resolved(parent_path, (*chain, resolved))
    return merge(parent, data)


_GROWTH_TRIO = ("size", "cagr", "projection")


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
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_quantity(v: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(v, dict) and bool(_FORM_KEYS & set(v))


def merge_quantity(parent: dict[str, Any], child: Any) -> Any:
    """Override an uncertain input, keeping provenance honest.

    A complete form (a number, ``{low, high}``, ``{median, sigma}``...) replaces
    the parent's. A bare number over a ``{median, sigma}`` input re-centres it and
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
        merged = dict(child)
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


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.c`` in a raw mapping; list items are addressed by ``id``, or by
    position as ``name[i]`` when they have none (``positions.p.path[1].share``,
    ``evidence[0].value``), as error messages name them."""
    parts = _key_parts(key)
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
        hint = _hint(ident, ids) or (
            f"; its items have no id: name one as {where}[0]" if not any(ids) else ""
        )
        raise KeyError(f"no item with id {ident!r} at {here}{hint}")
    return ids.index(ident)


def _drop_none(value: Any) -> Any:
    """``value`` without ``None`` entries in tables, at any depth."""
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _hint(word: str, options: list[Any]) -> str:
    close = difflib.get_close_matches(word, [str(o) for o in options if o is not None], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# --- validation ---------------------------------------------------------------


def _schema_problems(data: dict[str, Any], origin: str) -> list[Problem]:
    try:
        Scenario.model_validate(data)
    except ValidationError as e:
        return [_problem_from_error(err, data, origin) for err in e.errors()]
    return []


def _render_loc(loc: tuple[Any, ...], data: Any) -> str:
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


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last element of ``loc``."""
    model: Any = Scenario
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


def _problem_from_error(err: Mapping[str, Any], data: dict[str, Any], origin: str) -> Problem:
    loc = tuple(err["loc"])
    path = _render_loc(loc, data)
    kind = err["type"]
    value = err.get("input")
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        model = _model_at(loc)
        options = list(model.model_fields) if model else []
        return Problem(origin, path, f"unknown key{_hint(str(loc[-1]), options)}")
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
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        msg = "must be a finite number"
    return Problem.with_value(origin, path, msg[0].lower() + msg[1:] if msg else msg, value)


def _semantic_problems(s: Scenario, origin: str) -> list[Problem]:
    """Cross-field checks that the schema alone cannot express."""
    out: list[Problem] = []

    def bad(path: str, message: str, got: Any = None, show: bool = True) -> None:
        out.append(Problem(origin, path, message, got, show and got is not None))

    def check_unique(kind: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                bad(f"{kind}.{i}", "duplicate id", i)
            seen.add(i)

    market_ids = [m.id for m in s.markets]
    check_unique("markets", market_ids)
    check_unique("positions", [p.id for p in s.positions])
    check_unique("predictions", [p.id for p in s.predictions])
    check_unique("signposts", [p.id for p in s.signposts])
    outcome_ids = s.outcome_ids
    if s.assessment:
        check_unique("assessment.outcomes", outcome_ids)

    def check_ref(path: str, ref: str, known: list[str], what: str) -> bool:
        if ref not in known:
            bad(path, f"no {what} with id {ref!r}{_hint(ref, known)}", ref, show=False)
            return False
        return True

    def check_q(path: str, q: Quantity | None, domain: Any) -> None:
        if q is not None:
            for msg in q.domain_problems(domain):
                out.append(Problem(origin, path, msg))

    for m in s.markets:
        p = f"markets.{m.id}"
        check_q(f"{p}.size", m.size, "positive")
        check_q(f"{p}.volatility", m.volatility, "positive" if m.volatility.value != 0 else "real")
        if m.volatility.value is not None and m.volatility.value < 0:
            bad(f"{p}.volatility", "must be >= 0", m.volatility.value)
        if m.cagr is not None:
            if m.cagr.dist is not None:
                bad(
                    f"{p}.cagr",
                    "takes a value, a 90% interval { low, high } or { median, sigma }; "
                    "1 + CAGR is lognormal, so no dist",
                    m.cagr.dist,
                )
            elif m.cagr.value is not None and m.cagr.value <= -1:
                bad(f"{p}.cagr", "must be > -1 (a market cannot shrink by 100% or more a year)", m.cagr.value)
            else:
                check_q(f"{p}.cagr", m.cagr, "growth")
        if m.projection is not None:
            check_q(f"{p}.projection", m.projection, "positive")
            if m.projection.year <= m.base_year:
                bad(f"{p}.projection.year", f"must be after base_year {m.base_year}", m.projection.year)
            if m.projection.dist not in (None, "lognormal"):
                bad(
                    f"{p}.projection",
                    "is lognormal: give a value, { low, high } or { median, sigma }",
                    m.projection.dist,
                )
            elif m.projection.value is None and m.cagr is not None and m.cagr.value is None:
                bad(f"{p}.projection", "give the growth uncertainty once: on cagr or on projection, not both")
        if m.projection is None and m.cagr is None:
            bad(p, "needs a cagr or a projection to grow from its base year")
        if (
            m.projection is not None
            and m.cagr is not None
            and m.projection.year > m.base_year
            and not out_of_domain(m.size)
            and not out_of_domain(m.projection)
            and m.cagr.dist is None
            # domain_problems, not just value > -1: a {median, sigma} or {low, high}
            # cagr at or below -100% would make log1p fail below
            and not m.cagr.domain_problems("growth")
        ):
            size = float(m.size.canonical("positive").quantile(0.5))
            proj = float(m.projection.canonical("positive").quantile(0.5))
            implied = (proj / size) ** (1 / (m.projection.year - m.base_year)) - 1
            stated = float(m.cagr.canonical("growth").quantile(0.5))
            if abs(implied - stated) > CAGR_TOLERANCE:
                bad(
                    f"{p}.cagr",
                    f"disagrees with size and projection: {size:g} in {m.base_year} to {proj:g} in "
                    f"{m.projection.year} implies a CAGR of {implied:.1%}, not {stated:.1%} "
                    f"(tolerance {CAGR_TOLERANCE:.0%}); drop one of the three or fix it",
                )

    check_q("correlation.common_factor", s.correlation.common_factor, "unit")

    if s.assessment:
        a = s.assessment
        check_q("assessment.confidence", a.confidence, "positive")
        if a.confidence.value is None:
            # the Dirichlet concentration is itself the statement of uncertainty
            bad("assessment.confidence", "must be a single number (how many cases the judgment is worth)")
        total = 0.0
        for o in a.outcomes:
            op = f"assessment.outcomes.{o.id}"
            if o.probability.value is None:
                bad(
                    f"{op}.probability",
                    "must be a single stated probability (the confidence sets its spread)",
                )
                continue
            total += o.probability.value
            check_q(f"{op}.probability", o.probability, "unit")
            if o.probability.value == 0:
                # the outcome Dirichlet needs every concentration positive (a 0 made the
                # calibration NaN and the model refused to build)
                bad(f"{op}.probability", "must be > 0 (leave out an outcome that cannot happen)", 0.0)
            for j, d in enumerate(o.drivers):
                if check_ref(f"{op}.drivers[{j}].market", d.market, market_ids, "market"):
                    mk = s.market(d.market)
                    if _growth_sd_is_zero(mk):
                        bad(
                            f"{op}.drivers[{j}].market",
                            f"market {d.market!r} has no growth uncertainty (a point cagr) to drive outcomes",
                        )
        if (
            all(o.probability.value is not None for o in a.outcomes)
            and abs(total - 1) > PROBABILITY_TOLERANCE
        ):
            bad("assessment.outcomes", f"probabilities must sum to 1 (they sum to {total:.6g})")
    for pos in s.positions:
        pp = f"positions.{pos.id}"
        check_ref(f"{pp}.market", pos.market, market_ids, "market")
        for j, pt in enumerate(pos.path):
            check_q(f"{pp}.path[{j}].share", pt.share, "unit")
            if pt.outcome is not None:
                check_ref(f"{pp}.path[{j}].outcome", pt.outcome, outcome_ids, "outcome")
    position_ids = [p.id for p in s.positions]
    for pr in s.predictions:
        pp = f"predictions.{pr.id}"
        if pr.deadline <= s.as_of:
            bad(f"{pp}.deadline", f"must be after as_of {s.as_of}", str(pr.deadline))
        forms = [pr.quantity is not None, pr.probability is not None, pr.probability_by_outcome is not None]
        if sum(forms) != 1:
            bad(
                pp,
                "give exactly one of: quantity (with op and threshold), probability, probability_by_outcome",
            )
            continue
        if pr.quantity is not None:
            if pr.op is None or pr.threshold is None:
                bad(pp, 'a threshold prediction needs op (">=" or "<=") and threshold')
            kind, _, ref = pr.quantity.partition(".")
            if kind not in QUANTITY_KINDS:
                bad(
                    f"{pp}.quantity",
                    f"must be one of {', '.join(k + '.<id>' for k in QUANTITY_KINDS)}",
                    pr.quantity,
                )
            else:
                check_ref(
                    f"{pp}.quantity",
                    ref,
                    market_ids if kind == "market" else position_ids,
                    "market" if kind == "market" else "position",
                )
        elif pr.probability is not None:
            check_q(f"{pp}.probability", pr.probability, "unit")
        else:
            assert pr.probability_by_outcome is not None
            if not s.assessment:
                bad(f"{pp}.probability_by_outcome", "needs an [assessment] with outcomes")
            else:
                keys = list(pr.probability_by_outcome)
                for k in keys:
                    check_ref(f"{pp}.probability_by_outcome.{k}", k, outcome_ids, "outcome")
                missing = [o for o in outcome_ids if o not in keys]
                if missing:
                    bad(f"{pp}.probability_by_outcome", f"needs every outcome; missing {missing}")
                for k, q in pr.probability_by_outcome.items():
                    check_q(f"{pp}.probability_by_outcome.{k}", q, "unit")
    for sg in s.signposts:
        sp = f"signposts.{sg.id}"
        if not s.assessment:
            bad(sp, "signposts need an [assessment] with outcomes")
            continue
        for k in sg.likelihood:
            check_ref(f"{sp}.likelihood.{k}", k, outcome_ids, "outcome")
        missing = [o for o in outcome_ids if o not in sg.likelihood]
        if missing:
            bad(f"{sp}.likelihood", f"needs a likelihood for every outcome; missing {missing}")
    for j, ev in enumerate(s.evidence):
        ep = f"evidence[{j}]"
        if check_ref(f"{ep}.market", ev.market, market_ids, "market"):
            mk = s.market(ev.market)
            if ev.year <= mk.base_year:
                bad(f"{ep}.year", f"must be after the market's base_year {mk.base_year}", ev.year)
    if s.simulation.end_year is not None and s.simulation.end_year <= s.base_year:
        bad("simulation.end_year", f"must be after the base year {s.base_year}", s.simulation.end_year)
    elif s.simulation.end_year is not None and s.simulation.end_year > s.base_year + MAX_SPAN_YEARS:
        bad(
            "simulation.end_year",
            f"is more than {MAX_SPAN_YEARS} years after the base year",
            s.simulation.end_year,
        )
    else:
        out.extend(_span_problems(s, origin))
    return out


def _span_problems(s: Scenario, origin: str) -> list[Problem]:
    """Years that the simulated grid (``Scenario.years``) cannot hold.

    Without ``simulation.end_year`` the grid runs to the latest year the file names,
    so one typo (``year = 20277``) would ask for eighteen thousand simulated years;
    with it, evidence and threshold deadlines past the end have no grid year to sit on.
    """
    out: list[Problem] = []
    end = s.simulation.end_year
    if end is not None:
        for j, ev in enumerate(s.evidence):
            if ev.year > end:
                out.append(
                    Problem(origin, f"evidence[{j}].year", f"is after simulation.end_year {end}", ev.year)
                )
        for pr in s.predictions:
            if pr.kind == "threshold" and year_fraction(pr.deadline) > end:
                out.append(
                    Problem(
                        origin,
                        f"predictions.{pr.id}.deadline",
                        f"is after simulation.end_year {end}",
                        str(pr.deadline),
                    )
                )
        return out
    limit = s.base_year + MAX_SPAN_YEARS
    late: list[tuple[str, int, Any]] = [
        (f"markets.{m.id}.base_year", m.base_year, m.base_year) for m in s.markets
    ]
    late += [
        (f"markets.{m.id}.projection.year", m.projection.year, m.projection.year)
        for m in s.markets
        if m.projection is not None
    ]
    late += [(f"evidence[{j}].year", ev.year, ev.year) for j, ev in enumerate(s.evidence)]
    late += [
        (f"predictions.{p.id}.deadline", math.ceil(year_fraction(p.deadline)), str(p.deadline))
        for p in s.predictions
    ]
    late += [
        (f"positions.{pos.id}.path[{j}].at", math.ceil(year_fraction(pt.at)), str(pt.at))
        for pos in s.positions
        for j, pt in enumerate(pos.path)
    ]
    if s.assessment:
        horizon_end = math.ceil(year_fraction(s.as_of) + s.assessment.horizon_years)
        late.append(("as_of", horizon_end, str(s.as_of)))
    for path, year, shown in late:
        if year > limit:
            out.append(
                Problem(
                    origin,
                    path,
                    f"is more than {MAX_SPAN_YEARS} years after the base year {s.base_year}",
                    shown,
                )
            )
    return out


def out_of_domain(q: Quantity) -> bool:
    return bool(q.domain_problems("positive"))


def _growth_sd_is_zero(m: Market) -> bool:
    cagr_point = m.cagr is None or m.cagr.value is not None
    proj_point = m.projection is None or m.projection.value is not None
    return cagr_point and proj_point


def json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario file, for editors.

    Two things the pydantic models cannot say are added: an uncertain input may be a
    bare number (``size = 8.2``), and a file with ``extends`` is partial, its parent
    supplying the required keys. Such a file is checked against a copy of the schema
    without ``required``; any other file against the full schema.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$defs"]["Market"]["properties"]["size"]["anyOf"][0]
    {'type': 'number'}
    >>> schema["else"]
    {'$ref': '#/$defs/Scenario'}
    """
    full = _accept_bare_numbers(Scenario.model_json_schema())
    defs = full.pop("$defs")
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


def _accept_bare_numbers(node: Any) -> Any:
    if isinstance(node, list):
        return [_accept_bare_numbers(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _accept_bare_numbers(v) for k, v in node.items()}
    if out.get("$ref") == _QUANTITY_REF:
        # keep default/description beside the alternatives
        rest = {k: v for k, v in out.items() if k != "$ref"}
        return {"anyOf": [{"type": "number"}, {"$ref": _QUANTITY_REF}], **rest}
    return out


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


__all__ = [
    "Assessment",
    "Correlation",
    "Date",
    "Evidence",
    "Market",
    "Outcome",
    "Position",
    "Prediction",
    "Projection",
    "Quantity",
    "Scenario",
    "Signpost",
    "Simulation",
    "json_schema",
    "load",
    "merge",
    "year_fraction",
]
