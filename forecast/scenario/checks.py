"""Checks of a scenario: schema errors as problems, and the cross-field checks.

Every problem is a :class:`~forecast.errors.Problem` naming the file, the key path and
what is wrong, so ``forecast validate`` can print all of them at once.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ValidationError

from forecast.errors import Problem
from forecast.scenario.calendar import year_fraction
from forecast.scenario.merging import hint

CAGR_TOLERANCE = 0.01  # stated CAGRs are usually rounded to the percent
PROBABILITY_TOLERANCE = 1e-6
MAX_SPAN_YEARS = 100  # from the earliest base year to the last simulated year
QUANTITY_KINDS = ("market", "share", "revenue")
# Below this the outcome Dirichlet's draws underflow: all outcomes come out 0 (so the
# probabilities 0/0) in about 10**(-308 * confidence) of draws, 1 in 1,300 at 0.01;
# at 0.05 it is below 1e-15
MIN_CONFIDENCE = 0.05

if TYPE_CHECKING:
    from forecast.scenario.inputs import Quantity
    from forecast.scenario.schema import Market, Scenario


def schema_problems(model: type[BaseModel], data: dict[str, Any], origin: str) -> list[Problem]:
    """Every schema error of ``data`` against ``model`` (the :class:`Scenario` class)."""
    try:
        model.model_validate(data)
    except ValidationError as e:
        return [_problem_from_error(model, err, data, origin) for err in e.errors()]
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


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last element of ``loc``."""
    model: Any = root
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


def _problem_from_error(
    root: type[BaseModel], err: Mapping[str, Any], data: dict[str, Any], origin: str
) -> Problem:
    loc = tuple(err["loc"])
    path = _render_loc(loc, data)
    kind = err["type"]
    value = err.get("input")
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        model = _model_at(root, loc)
        options = list(model.model_fields) if model else []
        return Problem(origin, path, f"unknown key{hint(str(loc[-1]), options)}")
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


def semantic_problems(s: Scenario, origin: str) -> list[Problem]:
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
            bad(path, f"no {what} with id {ref!r}{hint(ref, known)}", ref, show=False)
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
        elif 0 < a.confidence.value < MIN_CONFIDENCE:
            bad(
                "assessment.confidence",
                f"must be at least {MIN_CONFIDENCE} (a judgment worth less cannot be simulated: "
                "its outcome draws underflow to 0)",
                a.confidence.value,
            )
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
    out.extend(_impossible_observations(s, origin))
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


def _impossible_observations(s: Scenario, origin: str) -> list[Problem]:
    """Observed signposts that no outcome could have produced.

    An observation's likelihood under outcome k is ``P(s | k)`` if it was seen, else
    ``1 - P(s | k)``; when their product is 0 for every outcome, Bayes' rule divides
    0 by 0 (the sampler crashed the process, exit 139).
    """
    observed = [sg for sg in s.signposts if sg.observed is not None]
    if not observed or not s.assessment or any(set(s.outcome_ids) - set(sg.likelihood) for sg in observed):
        return []

    def chance(sg: Any, k: str) -> float:
        return sg.likelihood[k] if sg.observed else 1 - sg.likelihood[k]

    if any(all(chance(sg, k) > 0 for sg in observed) for k in s.outcome_ids):
        return []
    if len(observed) == 1:
        sg = observed[0]
        what = "likelihood is 0" if sg.observed else "likelihood is 1 (so not seeing it is impossible)"
        return [
            Problem(
                origin,
                f"signposts.{sg.id}.observed",
                f"is impossible under every outcome: its {what} for all of them; "
                "fix the likelihoods or the observation",
                sg.observed,
            )
        ]
    ids = ", ".join(sg.id for sg in observed)
    return [
        Problem(
            origin,
            "signposts",
            f"the observed signposts ({ids}) together are impossible under every outcome: each outcome "
            "gives one of them probability 0; fix the likelihoods or the observations",
        )
    ]


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
