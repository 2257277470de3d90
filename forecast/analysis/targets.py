"""Targets named on the command line of ``forecast compare`` and ``forecast sweep``
(``--target``): the key numbers they tabulate and draw.

A target is written as for sensitivity (:data:`forecast.analysis.sensitivity.TARGET_FORMS`):
``market.<id>@<year>``, ``total@<year>``, ``share.<position>@<year>``,
``revenue.<position>@<year>``, ``metric.<id>@<year>`` (``metric.<id>`` for a metric
that is one number per draw), ``outcome.<id>`` or ``prediction.<id>``. Every target is
checked against every scenario before any work (:func:`target_problems`): an unknown
id (with a "did you mean"), a year outside the simulated years, a yearly metric
without its year or a scalar one with a year are refused, each a
:class:`~forecast.errors.Problem` of ``--target``.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled())
>>> target_key(s, "metric.devtools_revenue_m@2027"), target_key(s, "metric.devtools_npv")
(('metric.devtools_revenue_m', 2027, 'median'), ('metric.devtools_npv', None, 'median'))
>>> [p.message for p in target_problems({"deepseek": s}, ["metric.devtools_npvv"])]
["no metric with id 'devtools_npvv'; did you mean 'devtools_npv'?"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.scenario import Scenario

_SPEC = re.compile(r"^(?P<kind>[a-z]+)(?:\.(?P<ref>[a-z][a-z0-9_]*))?(?:@(?P<year>\d{4}))?$")
#: a target's recorded variable -> its statistic in a table (a probability is a mean)
_STATISTIC = {"outcome_probability": "probability", "prediction_hit": "probability"}


def target_problem(s: Scenario, spec: str) -> str:
    """Why ``spec`` is not a target of ``s`` ("" when it is).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled())
    >>> target_problem(s, "metric.devtools_revenue_m")
    "metric 'devtools_revenue_m' is yearly: name its year, e.g. metric.devtools_revenue_m@2028"
    >>> target_problem(s, "market.developer_tool@2027")
    "no market 'developer_tool'; did you mean 'developer_tools'?"
    """
    from forecast.analysis.sensitivity import parse_target

    try:
        target = parse_target(s, spec)
    except ScenarioError as e:
        return "; ".join(p.message for p in e.problems)
    m = _SPEC.match(spec.strip())
    if target.variable == "metric_by_year" and m and not m["year"]:
        return f"metric {m['ref']!r} is yearly: name its year, e.g. metric.{m['ref']}@{s.years[-1]}"
    return ""


def target_problems(
    scenarios: Mapping[str, Scenario], specs: Sequence[str], where: str = "--target"
) -> list[Problem]:
    """Every problem of every target in every scenario (one per target and message;
    a problem only some scenarios have names them).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled())
    >>> [str(p) for p in target_problems({"a": s, "b": s}, ["total@2040"])]
    ["--target: year 2040 is not simulated; years are 2024-2028 (got 'total@2040')"]
    """
    out: list[Problem] = []
    for spec in specs:
        found: dict[str, list[str]] = {}
        for name, s in scenarios.items():
            if message := target_problem(s, spec):
                found.setdefault(message, []).append(name)
        for message, names in found.items():
            where_not = "" if len(names) == len(scenarios) else f" (in {', '.join(names)})"
            out.append(Problem.with_value(where, "", message + where_not, spec))
    return out


def target_key(s: Scenario, spec: str) -> tuple[str, int | None, str]:
    """``(quantity, year, statistic)`` of a valid target: where its number is in the
    tables of a comparison and a sweep (``statistic`` ``median``, ``mean`` or
    ``probability``); raises :class:`ScenarioError` for an invalid one."""
    from forecast.analysis.sensitivity import parse_target

    if problem := target_problem(s, spec):
        raise ScenarioError([Problem.with_value("--target", "", problem, spec)])
    target = parse_target(s, spec)
    m = _SPEC.match(spec.strip())
    assert m is not None  # parse_target accepted it
    kind, ref = m["kind"], m["ref"]
    quantity = "total" if kind == "total" else f"{kind}.{ref}"
    statistic = _STATISTIC.get(target.variable, target.statistic)
    if statistic == "probability" or target.variable == "metric_value":
        return quantity, None, statistic
    return quantity, int(s.years[target.index[-1]]), statistic
