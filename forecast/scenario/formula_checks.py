"""The scenario-level checks of ``[[inputs]]`` and ``[[metrics]]``: ids, input domains,
the order of metrics (a metric may name others, never itself through a cycle) and
each formula (:func:`~forecast.scenario.formula.parse_formula`).

This module never imports PyMC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forecast.errors import Problem
from forecast.scenario.formula import Expr, parse_formula, references, scaled
from forecast.scenario.formula_rules import POLY, Info, input_domain
from forecast.scenario.risk_targets import widened_signs
from forecast.scenario.units import conversion, parse_unit, show

if TYPE_CHECKING:
    from forecast.scenario.schema import Scenario


def metric_order(s: Scenario) -> tuple[list[str], list[list[str]]]:
    """The metrics in an order where each comes after those it names, and the cycles.

    Examples
    --------
    >>> import forecast
    >>> metric_order(forecast.load(forecast.bundled("deepseek")))[1]
    []
    """
    ids = [m.id for m in s.metrics]
    deps = {m.id: sorted(references(m.formula) & set(ids)) for m in s.metrics}
    order: list[str] = []
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def visit(i: str, trail: list[str]) -> None:
        if state.get(i) == 2:
            return
        if state.get(i) == 1:
            cycle = [*trail[trail.index(i) :], i]
            if not any(set(cycle) == set(c) for c in cycles):
                cycles.append(cycle)
            return
        state[i] = 1
        for d in deps[i]:
            visit(d, [*trail, i])
        state[i] = 2
        order.append(i)

    for i in dict.fromkeys(ids):
        visit(i, [])
    in_cycle = {i for c in cycles for i in c}
    return [i for i in order if i not in in_cycle], cycles


def analyse(s: Scenario, origin: str) -> tuple[dict[str, tuple[Expr, Info]], list[Problem]]:
    """Every metric's checked tree (converted to its declared unit) and info, in
    dependency order, and every problem found."""
    order, cycles = metric_order(s)
    problems = [
        Problem(
            origin,
            f"metrics.{c[0]}.formula",
            f"metric {c[0]!r} depends on itself: {' -> '.join(c)}",
        )
        for c in cycles
    ]
    by_id = {m.id: m for m in s.metrics}
    out: dict[str, tuple[Expr, Info]] = {}
    infos: dict[str, Info] = {}
    for i in order:
        m = by_id[i]
        path = f"metrics.{i}.formula"
        expr, info, found = parse_formula(s, m.formula, path, origin, metric_infos=infos)
        if expr is None or info is None:
            problems += found
            continue
        want = parse_unit(m.unit)
        factor = 1.0 if info.unit is POLY else conversion(info.unit, want)
        if factor is None:
            problems.append(
                Problem(
                    origin,
                    path,
                    f"gives {show(info.unit)}, but the metric's unit is {m.unit or 'share'!r}: a formula "
                    "must give its metric's unit (or one it converts to, as USD bn to USD m)",
                )
            )
            continue
        # a risk that shifts the metric moves what the metrics naming it see
        infos[i] = Info(want, info.series, widened_signs(s, "metric", i, info.signs), info.first)
        out[i] = (scaled(expr, factor), infos[i])
    return out, problems


def metric_infos(s: Scenario) -> dict[str, Info]:
    """The unit and shape of every metric that checks (what ``metric.<id>`` gives)."""
    return {k: info for k, (_, info) in analyse(s, "")[0].items()} if s.metrics else {}


def formula_problems(s: Scenario, origin: str) -> list[Problem]:
    """Every problem of the file's inputs and metrics (all at once)."""
    out: list[Problem] = []
    for kind, items in (("inputs", s.inputs), ("metrics", s.metrics)):
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                out.append(Problem(origin, f"{kind}.{item.id}", "duplicate id", item.id, True))
            seen.add(item.id)
    for inp in s.inputs:
        for msg in inp.value.domain_problems(input_domain(inp)):
            out.append(Problem(origin, f"inputs.{inp.id}.value", msg))
    if len({m.id for m in s.metrics}) == len(s.metrics):
        out += analyse(s, origin)[1]
    for pr in s.predictions:
        if pr.quantity is not None and pr.quantity.startswith("metric."):
            msg = metric_target_problem(s, pr.quantity)
            if msg:
                out.append(Problem(origin, f"predictions.{pr.id}.quantity", msg, pr.quantity, True))
    return out


def parse_target(target: str) -> tuple[str, int | None]:
    """``metric.<id>@2027`` -> ``("<id>", 2027)``; ``metric.<id>`` -> ``("<id>", None)``.

    >>> parse_target("metric.npv"), parse_target("metric.revenue_m@2027")
    (('npv', None), ('revenue_m', 2027))
    """
    ident, _, year = target.removeprefix("metric.").partition("@")
    return ident, int(year) if year.strip().isdigit() else (-1 if year else None)


def metric_target_problem(s: Scenario, target: str) -> str:
    """Why ``metric.<id>[@YEAR]`` is not a target of this scenario ("" when it is)."""
    from forecast.scenario.merging import hint

    ident, year = parse_target(target)
    ids = [m.id for m in s.metrics]
    if ident not in ids:
        return f"no metric with id {ident!r}{hint(ident, ids)}"
    info = metric_infos(s).get(ident)
    if info is None:
        return f"metric {ident!r} cannot be computed (see its own problems)"
    if year == -1:
        return "must be metric.<id> or metric.<id>@YEAR (a whole year)"
    if year is not None and not info.series:
        return f"metric {ident!r} is one number per draw: write it without @{year}"
    if year is not None and year not in s.years:
        return f"year {year} is outside the simulated years {s.years[0]}-{s.years[-1]}"
    if year is not None and s.years.index(year) < info.first:
        return f"metric {ident!r} has no value in {year} (its first year is {s.years[info.first]})"
    return ""
