"""The scenario language's data model: the pydantic models of a scenario file.

A :class:`Scenario` is pure data. It never imports PyMC; :mod:`forecast.engine.model`
turns it into a model. Reading files is :mod:`forecast.scenario.reading`, merging
``extends``/overrides :mod:`forecast.scenario.merging`, the checks that the schema
alone cannot express :mod:`forecast.scenario.checks`.

Addressing is the same everywhere: an item of a list that has an ``id`` is named
by it, so ``markets.developer_tools.cagr`` is the key in an error message, in
``--set`` and in :meth:`Scenario.with_overrides`.

It is a little longer than 600 lines: every table of the file format is one small
pydantic model here, beside the :class:`Scenario` that holds them.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from forecast.errors import Problem, ScenarioError
from forecast.scenario.beside import problems_beside_schema_errors
from forecast.scenario.calendar import Date, model_time
from forecast.scenario.checks import semantic_problems
from forecast.scenario.copula import Pair
from forecast.scenario.decision import Decision, Option
from forecast.scenario.inputs import Quantity, from_percent, percent
from forecast.scenario.merging import MAX_DEPTH, drop_none, set_dotted, too_deep
from forecast.scenario.schema_errors import schema_problems

if TYPE_CHECKING:  # built on Strict below: resolved by forecast.scenario's model_rebuild
    from forecast.scenario.risks import Question, Risk

ID_PATTERN = r"^[a-z][a-z0-9_]*$"

#: longest id: ids name files (figures, the default --out), whose names are limited
MAX_ID_CHARS = 64
Id = Annotated[
    str, Field(pattern=ID_PATTERN, max_length=MAX_ID_CHARS, description="lowercase letters, digits, _")
]
#: longest text of a field by its name, else MAX_TEXT_CHARS: a label of 1 MB reached the
#: figure renderer and failed there after 86 s
TEXT_LIMITS = {"label": 200, "title": 200, "unit": 40, "statement": 500, "extends": 1024}
MAX_TEXT_CHARS = 10_000
#: a rate, probability or share that may also be written as a percent string ("25%")
Fraction = Annotated[float, BeforeValidator(from_percent)]
DEFAULT_PERSISTENCE = 0.8
#: how a date is read, in the description of every date of the file (the JSON Schema
#: is where a strategist hovers; the README's "What the numbers mean" says the same)
CALENDAR = (
    "Read on the annual figures' axis: year Y's figure stands at mid-year (1 July of Y), so "
    "2026-07-01 reads the 2026 figure and 1 January lies 0.504 of the way from the earlier "
    "figure to the later one (by days: 184 of 365; 0.503 in a leap year), not exactly halfway"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded_text(cls, value: Any, info: Any) -> Any:
        limit = TEXT_LIMITS.get(info.field_name, MAX_TEXT_CHARS)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"is longer than {limit:,} characters (got {len(value):,})")
        return value


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

    On a date between two grid years a market is interpolated log-linearly between the
    two years' figures, shocks included. After its last anchor (the projection year,
    else the base year) it grows at its trend with its yearly shocks, a random walk; a
    date past the last simulated year reads that year's figure.
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
        description=(
            "SD of the yearly shock to log market size. A shock is part of its year's figure: "
            "between grid years it is interpolated log-linearly with the figures, never drawn again"
        ),
    )
    notes: str = ""

    def growth(self) -> tuple[float, float, bool]:
        """Growth as the model reads it: ``(mu, sd, anchored)``.

        ``log(1 + CAGR)`` has median ``mu`` and SD ``sd``. The median in the projection
        year is the stated projection. Growth's spread comes from the CAGR when it is
        uncertain; otherwise from the projection, which then *anchors* its year
        (``anchored``): that year has the projection's own spread, not that plus the
        size's and the yearly shocks'.

        Examples
        --------
        >>> m = Market(id="m", label="M", unit="bn", base_year=2024, size=1.0, cagr=0.25)
        >>> [round(x, 4) for x in m.growth()[:2]], m.growth()[2]
        ([0.2231, 0.0], False)
        """
        size = self.size.canonical("positive")
        log_size_med = math.log(float(size.quantile(0.5)))
        cagr = self.cagr.canonical("growth") if self.cagr is not None else None
        if self.projection is not None:
            proj = self.projection.canonical("positive")
            years = self.projection.year - self.base_year
            mu = (math.log(float(proj.quantile(0.5))) - log_size_med) / years
            if cagr is not None and not cagr.is_point:
                return mu, cagr.b, False
            return mu, 0.0 if proj.is_point else proj.b / years, True
        assert cagr is not None
        # log(1 + median CAGR): equal to ``a`` for the growth family, but a point CAGR is
        # canonically NORMAL with a = the rate itself (0.25 must not grow 28%)
        return math.log1p(float(cagr.quantile(0.5))), cagr.b, False


class Correlation(Strict):
    common_factor: Quantity = Field(
        default=Quantity(value=0.0, source="assumption: markets independent unless stated"),
        description="share of growth and shock variance common to all markets (0..1)",
    )
    pairs: list[Pair] = Field(default=[], max_length=1000, description="rank correlations between inputs")
    repair: bool = Field(default=False, description="use the nearest consistent matrix when pairs conflict")


class Reference(Strict):
    """The growth at which an outcome's stated probability holds."""

    cagr: float = Field(gt=-1, description="median CAGR (a fraction)")
    growth_sd: float = Field(gt=0, description="SD of log(1 + CAGR)")


class Driver(Strict):
    """Links an outcome to a market: log-odds per SD of the market's growth.

    The stated probabilities hold at ``reference``, the market's growth in the file
    that states them (filled in when a file is read; a child file or ``--set`` that
    restates the outcome probabilities restates it). A what-if that moves the
    market's growth moves the odds by ``log_odds_per_sd`` per reference SD.
    """

    market: str
    log_odds_per_sd: float
    source: str | None = None
    reference: Reference | None = Field(
        default=None,
        description="the market's growth where the stated probabilities hold (filled in when read)",
    )


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

    at: Date = Field(description=f"the date of this share. {CALENDAR}")
    share: Quantity
    outcome: str | None = None


class Position(Strict):
    """The company's share of a market over time; revenue = share x market size.

    ``persistence`` is how much of where the company sits within one point's range
    carries over to the other points of its path: the correlation (on the normal
    scale) between the points' percentiles. 0: every point independent; 1: a company
    at the 80th percentile of one point is at the 80th percentile of all.

    On a date between grid years revenue is the share on that date times the market
    interpolated to that date (share x interpolated market), not an interpolation of two
    annual revenues. Before the path's first point the share is that point's; after its
    last point it stays at the last point's (held, not extrapolated).
    """

    id: Id
    label: str
    market: str
    path: list[SharePoint] = Field(
        min_length=1,
        description="points { at, share }: the share is held at the first point's before it and the last's after it",
    )
    persistence: float = Field(
        default=DEFAULT_PERSISTENCE,
        ge=0,
        le=1,
        description="correlation between the percentiles of the path's points (0..1)",
    )


class Prediction(Strict):
    """A dated statement: a threshold on a simulated quantity, or an event.

    Threshold: ``quantity = "share.<position>"`` (or ``market.<id>``,
    ``revenue.<position>``), ``op`` and ``threshold``, judged ``by`` the deadline
    (reached at any time from ``as_of`` up to it) or ``at`` it (the default: a
    figure on a date, which is what a reported number resolves).
    Event: ``probability`` by ``deadline``, or ``probability_by_outcome``.
    """

    id: Id = Field(
        description="lowercase letters, digits, _; a resolution of id x is `prediction.x` in score tables"
    )
    statement: str
    deadline: Date = Field(description=f"the date the prediction is judged by or on. {CALENDAR}")
    source: str | None = None
    quantity: str | None = None
    op: Literal[">=", "<=", "between"] | None = None
    threshold: Fraction | None = None
    low: Fraction | None = Field(default=None, description='op = "between": the range\'s lower end')
    high: Fraction | None = Field(default=None, description='op = "between": its upper end')
    when: Literal["by", "at"] | None = Field(
        default=None,
        description='threshold predictions: "by" = reached at any time up to the deadline, "at" = on it (default)',
    )
    probability: Quantity | None = None
    probability_by_outcome: dict[str, Quantity] | None = None
    resolved: bool | None = Field(
        default=None,
        description=(
            "what happened, once known. `forecast score` and `history` score a version at its archived "
            "precision: draws as forecast.nc stores them (float32) and probabilities rounded to six "
            "significant digits as the CSV tables write them, from a report folder or a scenario file alike"
        ),
    )
    _percent_threshold: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _note_percent(cls, data: object, handler: ValidatorFunctionWrapHandler) -> Prediction:
        out = handler(data)
        if isinstance(data, dict) and percent(data.get("threshold")) is not None:
            out._percent_threshold = True
        return out

    @property
    def kind(self) -> Literal["threshold", "event"]:
        return "threshold" if self.quantity is not None else "event"

    @property
    def judged(self) -> Literal["by", "at"]:
        """How the prediction is judged: a threshold ``by`` or ``at`` its deadline
        (default ``at``); an event's probability is always ``by`` its deadline."""
        if self.kind == "event":
            return "by"
        return self.when or "at"


class Signpost(Strict):
    """An indicator to watch: P(observed true | outcome) for every outcome."""

    id: Id
    statement: str
    likelihood: dict[str, Fraction]
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
    rel_error: Fraction = Field(
        ge=0.001, le=5, description="SD of log(observed / true): at least 0.001 (0.1%), at most 5"
    )
    source: str | None = None


class Input(Strict):
    """A named input a formula reads as ``inputs.<id>``: a number or any uncertain form
    (see :class:`~forecast.scenario.inputs.Quantity`), one value per draw."""

    id: Id
    label: str
    unit: str = Field(default="", description="e.g. 'USD m', 'share', 'GPUs'; none: a pure number")
    value: Quantity
    source: str | None = None
    note: str | None = None


class Metric(Strict):
    """A formula over markets, shares, revenues, inputs, outcomes and other metrics
    (the language: :mod:`forecast.scenario.formula`); yearly unless every term is one
    number per draw."""

    id: Id
    label: str
    unit: str = Field(default="", description="the formula's unit, or one it converts to (USD bn -> USD m)")
    formula: str = Field(
        max_length=2000, description="e.g. 'revenue.acme * inputs.margin - inputs.fixed_costs'"
    )
    source: str | None = None
    note: str | None = None


class Simulation(Strict):
    draws: int = Field(default=20_000, ge=100, le=10_000_000)
    seed: int = Field(default=0, ge=0, le=2**64 - 1)  # what NumPy's seeding and netCDF attributes hold
    end_year: int | None = None


class ReportSettings(Strict):
    """How the report presents the forecast: ``[report]`` in the file."""

    headline_year: int | None = Field(
        default=None,
        description=(
            "the one year every headline of the report quotes (the summary, the by-outcome table, "
            "the sensitivity and tornado targets, the exceedance curve); a simulated year after the "
            "base year. Default: the last projection year (the latest markets.*.projection.year), "
            "else the last simulated year"
        ),
    )


class _Memo:
    """A value remembered on a frozen scenario. Every memo equals every other: pydantic
    compares private attributes, and a scenario whose digest was asked for must still
    equal the same scenario whose digest was not."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: str | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Memo)

    __hash__ = None  # type: ignore[assignment]


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
    as_of: Date = Field(description=f"date of the analysis; deadlines are after it. {CALENDAR}")
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
    options: list[Option] = []
    decision: Decision | None = None
    risks: list[Risk] = []
    questions: list[Question] = []
    inputs: list[Input] = []
    metrics: list[Metric] = []
    report: ReportSettings = ReportSettings()

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _origin: str = PrivateAttr(default="<dict>")
    # the digest of _raw once computed; a copy (model_copy) keeps _raw and so its digest
    _digest: _Memo = PrivateAttr(default_factory=lambda: _Memo())

    # --- construction -------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<dict>") -> Scenario:
        """Validate a resolved mapping (``extends`` already merged)."""
        # TOML has no null: a None (from Python or an override) means "not given", and
        # keeping it would make to_toml() fail on a scenario that validated
        if not isinstance(data, Mapping) or too_deep(data):
            raise ScenarioError(
                [Problem(origin, "", f"must be a table of tables nested at most {MAX_DEPTH} levels deep")]
            )
        clean: dict[str, Any] = drop_none(data)
        restate_references(clean, restated=False)
        problems = schema_problems(Scenario, clean, origin)
        if problems:
            # all problems at once: a schema error must not hide a sum or a deadline
            raise ScenarioError(
                problems + problems_beside_schema_errors(Scenario, clean, origin, semantic_problems)
            )
        scenario = cls.model_validate(clean)
        problems = semantic_problems(scenario, origin)
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
        if not isinstance(overrides, Mapping):
            raise ScenarioError(
                [Problem.with_value(origin, "", "must be a mapping of dotted keys to values", overrides)]
            )
        raw, problems = apply_overrides(self._raw, overrides, origin)
        if problems:
            # all problems at once: the overrides that did apply are checked too
            try:
                Scenario.from_dict(raw, origin=f"{self._origin} with {origin}")
            except ScenarioError as e:
                problems += e.problems
            raise ScenarioError(problems)
        return Scenario.from_dict(raw, origin=f"{self._origin} with {origin}")

    # --- display ------------------------------------------------------------

    def __repr__(self) -> str:
        """A few lines: id, title, date, how much is in it (not every field)."""
        from forecast.scenario.display import scenario_text

        return scenario_text(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        """The notebook view: markets, outcomes and predictions as small tables."""
        from forecast.scenario.display import scenario_html

        return scenario_html(self)

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
        """SHA-256 of :meth:`to_toml`, computed once (~6 ms through the TOML; every
        ``forecast.simulate`` records it)."""
        if self._digest.value is None:
            self._digest.value = hashlib.sha256(self.to_toml().encode()).hexdigest()
        return self._digest.value

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
        years += [math.ceil(model_time(d)) for d in dates]
        if self.assessment:
            years.append(math.ceil(model_time(self.as_of) + self.assessment.horizon_years))
        return max(years)

    @property
    def years(self) -> list[int]:
        return list(range(self.base_year, self.end_year + 1))

    @property
    def headline_year(self) -> int:
        """The one year the report's headlines quote: ``report.headline_year`` when the
        file states it, else the last projection year (the latest
        ``markets.*.projection.year`` on the grid), else the last simulated year.

        Examples
        --------
        >>> import forecast
        >>> s = forecast.load(forecast.bundled("deepseek"))
        >>> s.headline_year, s.with_overrides({"report.headline_year": 2028}).headline_year
        (2027, 2028)
        """
        if self.report.headline_year is not None:
            return self.report.headline_year
        years = [m.projection.year for m in self.markets if m.projection is not None]
        return max((y for y in years if y in self.years), default=self.end_year)

    @property
    def has_evidence(self) -> bool:
        return (
            bool(self.evidence)
            or any(s.observed is not None for s in self.signposts)
            or any(r.observed is not None for r in self.risks)
            or any(q.answered is not None for q in self.questions)
        )


# --- the growth at which outcome probabilities are stated ---------------------------
#
# An outcome driver shifts the odds with a market's growth. For the stated
# probabilities to hold at the file's own numbers while a what-if that changes the
# market's growth moves the odds, the driver needs the growth it was stated at: its
# ``reference``, filled in on raw mappings as each layer (a file, a child file,
# ``--set``, ``with_overrides``) is applied.


def restate_references(
    data: dict[str, Any], *, restated: bool, written: frozenset[str] = frozenset()
) -> None:
    """Fill in each driver's ``reference``: the growth where its outcome odds hold.

    A driver's log-odds act on the market's growth measured from its reference, so the
    stated probabilities hold at the file's own numbers and a what-if that changes
    the market's growth (a child file, ``--set``, ``with_overrides``) moves the odds.
    A missing reference is the market's growth in ``data``. With ``restated`` (the
    layer being applied restated outcome probabilities or drivers), every reference is
    recomputed from ``data``, except the drivers of the outcomes in ``written``, whose
    references that layer wrote itself. Works on raw mappings, in place; a market
    that does not validate is left for validation to report.

    Examples
    --------
    >>> d = {"markets": [{"id": "m", "label": "M", "unit": "bn", "base_year": 2024,
    ...       "size": 1.0, "cagr": {"median": 0.3, "sigma": 0.1}}],
    ...      "assessment": {"outcomes": [{"id": "a", "drivers": [{"market": "m"}]}]}}
    >>> restate_references(d, restated=False)
    >>> d["assessment"]["outcomes"][0]["drivers"][0]["reference"]
    {'cagr': 0.3, 'growth_sd': 0.1}
    """
    assessment = data.get("assessment")
    markets = data.get("markets")
    if not isinstance(assessment, dict) or not isinstance(markets, list):
        return
    outcomes = assessment.get("outcomes")
    growth: dict[Any, dict[str, float] | None] = {}
    for outcome in outcomes if isinstance(outcomes, list) else []:
        drivers = outcome.get("drivers") if isinstance(outcome, dict) else None
        # an id that is not text (id = ["win"]) is for validation to report, not to hash
        if not isinstance(drivers, list) or (isinstance(outcome.get("id"), str) and outcome["id"] in written):
            continue
        for d in drivers:
            if not isinstance(d, dict) or (not restated and "reference" in d):
                continue
            mid = d.get("market")
            if not isinstance(mid, str):
                continue
            if mid not in growth:
                growth[mid] = _reference_of(markets, mid)
            ref = growth[mid]
            if ref is not None:
                d["reference"] = dict(ref)
            else:
                d.pop("reference", None)


def _reference_of(markets: list[Any], market_id: object) -> dict[str, float] | None:
    raw = next((m for m in markets if isinstance(m, dict) and m.get("id") == market_id), None)
    if raw is None:
        return None
    try:
        mu, sd, _ = Market.model_validate(raw).growth()
    except (ValidationError, ValueError, ArithmeticError, AssertionError):
        return None
    if not (sd > 0 and math.isfinite(mu) and math.isfinite(sd)):
        return None
    return {"cagr": _round(math.expm1(mu)), "growth_sd": _round(sd)}


def _round(x: float) -> float:
    # 12 significant digits: the file stays readable, the odds do not move
    return float(f"{x:.12g}")


def layer_restates(layer: Mapping[str, Any]) -> tuple[bool, frozenset[str]]:
    """Whether a file states outcome probabilities or drivers of its own, and the
    outcomes whose driver references it writes itself."""
    assessment = layer.get("assessment")
    outcomes = assessment.get("outcomes") if isinstance(assessment, dict) else None
    if not isinstance(outcomes, list):
        return False, frozenset()
    items = [o for o in outcomes if isinstance(o, dict)]
    restated = any("probability" in o or "drivers" in o for o in items)
    written = frozenset(
        str(o.get("id"))
        for o in items
        if isinstance(o.get("drivers"), list)
        and any(isinstance(d, dict) and "reference" in d for d in o["drivers"])
    )
    return restated, written


def apply_overrides(
    data: dict[str, Any], overrides: Mapping[str, Any], origin: str
) -> tuple[dict[str, Any], list[Problem]]:
    """A copy of ``data`` with every dotted key of ``overrides`` that can be set, set, and
    a problem for each key that cannot: one bad key does not stop the others, whose own
    problems the caller then finds too.

    Examples
    --------
    >>> data = {"simulation": {"draws": 1000}, "markets": []}
    >>> new, problems = apply_overrides(data, {"simulation.draws": 500, "markets.nope.cagr": 0.3}, "--set")
    >>> new["simulation"]["draws"], [p.path for p in problems], data["simulation"]["draws"]
    (500, ['markets.nope.cagr'], 1000)
    """
    problems: list[Problem] = []
    applied: dict[str, Any] = {}
    for key, value in overrides.items():
        trial = copy.deepcopy(data)  # a key that fails half-way leaves nothing behind
        try:
            set_dotted(trial, key, value)
        except KeyError as e:
            problems.append(Problem.with_value(origin, str(key), str(e.args[0]), value))
            continue
        data, applied[key] = trial, value
    if not applied:
        data = copy.deepcopy(data)  # restate_references edits it: never the caller's
    restated, written = overrides_restate(applied)
    restate_references(data, restated=restated, written=written)
    return data, problems


def overrides_restate(overrides: Mapping[str, Any]) -> tuple[bool, frozenset[str]]:
    """Whether dotted overrides restate outcome probabilities or drivers (see
    :func:`layer_restates`)."""
    restated, written = False, set()
    for key, value in overrides.items():
        parts = [p.split("[")[0] for p in key.split(".")]
        if parts[0] != "assessment":
            continue
        if len(parts) <= 2 or (len(parts) >= 4 and parts[3] in ("probability", "drivers")):
            restated = True
        if len(parts) >= 4 and parts[3] == "drivers" and ("reference" in parts or "reference" in str(value)):
            written.add(parts[2])
    return restated, frozenset(written)
