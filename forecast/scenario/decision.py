"""The decision in a scenario file: ``[[options]]`` and ``[decision]``, and their checks.

.. code-block:: toml

    [decision]
    label = "How to build our coding assistant"
    criterion = "expected"        # or "p05", "cvar05", "regret", "p_best"
    unit = "USD m"

    [[options]]
    id = "license_now"
    label = "License DeepSeek's models now"
    payoff = "npv(0.02 * revenue.deepseek_devtools * 1000 - 4, 0.10, 2025)"
    source = "assumption: illustrative"

    [[decision.plans]]            # evidence worth valuing before choosing
    market = "developer_tools"
    year = 2026
    rel_error = 0.1

A payoff is a formula (the formula language's: the names of metrics, ``npv`` of a
yearly series) whose value per draw is in ``[decision].unit``, a money unit. The
formula is checked by the formula language (:func:`payoff_formulas`): a problem
with the option's key path when it is not one number per draw in money.

The models sit in their own module, not in :mod:`forecast.scenario.schema` (which
imports this one), so they repeat its strict configuration in :class:`_Strict`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from forecast.errors import Problem
from forecast.scenario.merging import hint

if TYPE_CHECKING:
    from forecast.scenario.schema import Scenario

#: the criteria a decision may name; :mod:`forecast.analysis.decision` computes each
CRITERIA = ("expected", "p05", "cvar05", "regret", "p_best")
_OptionId = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64, description="lowercase letters, digits, _")
]
_Label = Annotated[str, Field(max_length=200)]
_Text = Annotated[str, Field(max_length=10_000)]

#: currency codes and signs a money unit starts with, and the scales that may follow
CURRENCIES = "usd|eur|gbp|cny|rmb|jpy|chf|cad|aud|inr|krw|hkd|sgd|sek|nok|dkk|brl|mxn|zar|\\$|€|£|¥"
SCALES = "k|thousand|m|mn|mm|million|b|bn|billion|t|tn|trillion"
_MONEY = re.compile(rf"^\s*(?:{CURRENCIES})\s*(?:{SCALES})?\s*$", re.IGNORECASE)


def is_money(unit: str | None) -> bool:
    """Whether a unit is money: a currency code or sign, optionally with a scale.

    Examples
    --------
    >>> [is_money(u) for u in ("USD bn", "EUR m", "$m", "share", "users")]
    [True, True, True, False, False]
    """
    return bool(unit) and _MONEY.match(str(unit)) is not None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


class Option(_Strict):
    """One option of the decision: its payoff is a formula in the decision's money unit."""

    id: _OptionId
    label: _Label | None = None
    payoff: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="a formula over the metrics' names whose value per draw is in [decision].unit "
        "(a yearly payoff is summed with npv)"
    )
    source: _Text | None = None
    note: _Text | None = None


class Plan(_Strict):
    """An evidence plan worth valuing: observe a market's size in a year, with an error."""

    market: str
    year: int
    rel_error: float = Field(gt=0, le=5, description="SD of the observation's log, as in [[evidence]]")


class Decision(_Strict):
    """The choice the options serve: how the best option is judged, and the money unit."""

    label: _Label = "Decision"
    criterion: str = Field(
        default="expected",
        description="how the best option is judged: " + ", ".join(CRITERIA),
        json_schema_extra={"enum": list(CRITERIA)},
    )
    unit: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="the payoffs' money unit, e.g. 'USD m'"
    )
    plans: list[Plan] = []


def payoff_formulas(s: Scenario, origin: str) -> tuple[list[tuple[Any, float]], list[Problem]]:
    """Every option's payoff as a checked formula tree with the factor that turns it into
    the decision's unit (``USD m`` payoffs in a ``USD bn`` decision: 0.001), and the
    problems of those that are not one number per draw in money (all at once).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek-decision"))
    >>> trees, problems = payoff_formulas(s, "x.toml")
    >>> len(trees), problems
    (3, [])
    """
    from forecast.scenario.formula import parse_formula
    from forecast.scenario.formula_checks import metric_infos
    from forecast.scenario.units import conversion, parse_unit, show

    options: list[Option] = list(getattr(s, "options", []))
    decision: Decision | None = getattr(s, "decision", None)
    infos = metric_infos(s) if getattr(s, "metrics", None) else {}
    want = parse_unit(decision.unit) if decision and decision.unit and is_money(decision.unit) else None
    trees: list[tuple[Any, float]] = []
    out: list[Problem] = []
    for o in options:
        path = f"options.{o.id}.payoff"
        expr, info, problems = parse_formula(s, o.payoff, path, origin, infos)
        out += problems
        if expr is None or info is None:
            continue
        got = show(info.unit)
        if info.series:
            out.append(
                Problem(
                    origin, path, "must be one number per draw: reduce a yearly series with npv, sum or at"
                )
            )
        elif not is_money(got):
            out.append(Problem(origin, path, f"is in {got!r}, not money: a payoff is in a money unit"))
        elif want is not None and (factor := conversion(info.unit, want)) is not None:
            trees.append((expr, factor))
        elif want is not None:
            out.append(Problem(origin, path, f"is in {got!r}, not the decision's unit {decision.unit!r}"))  # type: ignore[union-attr]
    return trees, out


def decision_problems(s: Scenario, origin: str) -> list[Problem]:
    """The decision's checks: at least two options, unique ids, a known criterion, money
    units, plans naming a market and a simulated year.

    Examples
    --------
    >>> import forecast
    >>> decision_problems(forecast.load(forecast.bundled()), "x.toml")
    []
    """
    options: list[Option] = list(getattr(s, "options", []))
    decision: Decision | None = getattr(s, "decision", None)
    out: list[Problem] = []

    def bad(path: str, message: str, got: Any = None) -> None:
        out.append(Problem(origin, path, message, got))

    if decision is not None and not options:
        bad("decision", "has no [[options]] to choose between")
    elif len(options) == 1:
        bad("options", "a decision needs at least two options to choose between (got 1)")
    seen: set[str] = set()
    for o in options:
        if o.id in seen:
            bad(f"options.{o.id}", "duplicate id", o.id)
        seen.add(o.id)
    if decision is not None and decision.criterion not in CRITERIA:
        bad(
            "decision.criterion",
            f"unknown criterion{hint(decision.criterion, list(CRITERIA))} (use one of {', '.join(CRITERIA)})",
            decision.criterion,
        )
    out += _unit_problems(s, options, decision, origin)
    out += _plan_problems(s, decision, origin)
    return out


def _unit_problems(
    s: Scenario, options: list[Option], decision: Decision | None, origin: str
) -> list[Problem]:
    unit = decision.unit if decision else None
    out = []
    if unit is not None and not is_money(unit):
        out.append(Problem(origin, "decision.unit", "is not a money unit (e.g. 'USD m', 'EUR bn')", unit))
    out += payoff_formulas(s, origin)[1]  # each payoff: a formula, one number, in money
    if options and unit is None:
        out.append(Problem(origin, "decision.unit", "give the money unit the payoffs are in (e.g. 'USD m')"))
    return out


def _plan_problems(s: Scenario, decision: Decision | None, origin: str) -> list[Problem]:
    out = []
    markets = [m.id for m in s.markets]
    for j, plan in enumerate(decision.plans if decision else []):
        path = f"decision.plans[{j}]"
        if plan.market not in markets:
            out.append(
                Problem(
                    origin, f"{path}.market", f"no market with id {plan.market!r}{hint(plan.market, markets)}"
                )
            )
        elif not s.market(plan.market).base_year < plan.year <= s.end_year:
            out.append(
                Problem(
                    origin,
                    f"{path}.year",
                    f"must be a simulated year after the market's base year ({s.years[1]}-{s.end_year})",
                    plan.year,
                )
            )
    return out
