"""The cross-field checks of a scenario, the ones a schema cannot express (schema
errors become problems in :mod:`forecast.scenario.schema_errors`).

Every problem is a :class:`~forecast.errors.Problem` naming the file, the key path and
what is wrong, so ``forecast validate`` can print all of them at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from forecast.errors import Problem
from forecast.scenario.calendar import model_time
from forecast.scenario.copula import between_problems, copula_problems, stepped_problems
from forecast.scenario.decision import decision_problems
from forecast.scenario.formula_checks import formula_problems
from forecast.scenario.inputs import percent_hint
from forecast.scenario.merging import hint

CAGR_TOLERANCE = 0.01  # stated CAGRs are usually rounded to the percent
PROBABILITY_TOLERANCE = 1e-6
MAX_SPAN_YEARS = 100  # from the earliest base year to the last simulated year
QUANTITY_KINDS = ("market", "share", "revenue")
# Below this the outcome Dirichlet's draws underflow: all outcomes come out 0 (so the
# probabilities 0/0) in about 10**(-308 * confidence) of draws, 1 in 1,300 at 0.01;
# at 0.05 it is below 1e-15
MIN_CONFIDENCE = 0.05
# Each outcome's own concentration (confidence x probability): its gamma draw is exactly
# 0 in about 10**(-308 * c) of draws, 1 in 1.4 million at 0.02; at 5e-8 in every draw,
# and a signpost seen only under that outcome then had no draw to condition on (NaN)
MIN_OUTCOME_CONCENTRATION = 0.02

if TYPE_CHECKING:
    from forecast.scenario.inputs import Quantity
    from forecast.scenario.schema import Market, Scenario


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

    def check_not_percent(path: str, q: Quantity | None, what: str) -> None:
        if q is not None and q.percent_fields:
            bad(path, f"is {what}, not a rate: write it without %")

    for m in s.markets:
        p = f"markets.{m.id}"
        check_not_percent(f"{p}.size", m.size, f"a size in {m.unit}")
        check_not_percent(f"{p}.projection", m.projection, f"a size in {m.unit}")
        typo = _cagr_typo(m.cagr)
        if typo:
            bad(f"{p}.cagr", typo)
        check_q(f"{p}.size", m.size, "positive")
        check_q(f"{p}.volatility", m.volatility, "positive" if m.volatility.value != 0 else "real")
        if m.volatility.value is not None and m.volatility.value < 0:
            bad(f"{p}.volatility", "must be >= 0", m.volatility.value)
        if m.cagr is not None and not typo:
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
            and not typo
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
        check_not_percent("assessment.confidence", a.confidence, "a number of cases")
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
            if a.confidence.value is not None and a.confidence.value >= MIN_CONFIDENCE:
                c = a.confidence.value * o.probability.value
                if 0 < c < MIN_OUTCOME_CONCENTRATION:
                    bad(
                        f"{op}.probability",
                        f"is too small to simulate at confidence {a.confidence.value:g}: confidence x "
                        f"probability = {c:.3g} cases, and below {MIN_OUTCOME_CONCENTRATION} its draws come "
                        f"out exactly 0; raise either so that their product is at least "
                        f"{MIN_OUTCOME_CONCENTRATION}",
                        o.probability.value,
                    )
            if o.probability.value == 0:
                # the outcome Dirichlet needs every concentration positive (a 0 made the
                # calibration NaN and the model refused to build)
                bad(f"{op}.probability", "must be > 0 (leave out an outcome that cannot happen)", 0.0)
            for j, d in enumerate(o.drivers):
                if check_ref(f"{op}.drivers[{j}].market", d.market, market_ids, "market"):
                    mk = s.market(d.market)
                    if _growth_sd_is_zero(mk):
                        # name what is a point: a market with size and a point projection
                        # has no cagr to blame
                        points = " and ".join(
                            f"a point {k}" for k in ("cagr", "projection") if getattr(mk, k) is not None
                        )
                        bad(
                            f"{op}.drivers[{j}].market",
                            f"market {d.market!r} has no growth uncertainty to drive outcomes: give its "
                            f"cagr or its projection a spread (got {points})",
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
        given = {pt.outcome for pt in pos.path}
        if None not in given:
            # without a general point to fall back on, an outcome with no points of its
            # own would have no share at all (it was silently 0)
            missing = [k for k in outcome_ids if k not in given]
            if missing and given & set(outcome_ids):
                bad(
                    f"{pp}.path",
                    f"has no point for outcome {', '.join(map(repr, missing))} and no general point "
                    "(one without outcome) to fall back on: add one or the other",
                )
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
        if pr.quantity is None and pr.when is not None:
            bad(f"{pp}.when", "applies to threshold predictions; an event's probability is by its deadline")
        if pr.quantity is not None:
            if pr.op == "between" or pr.low is not None or pr.high is not None:
                out.extend(between_problems(pr, pp, origin))
            elif pr.op is None or pr.threshold is None:
                bad(pp, 'a threshold prediction needs op (">=", "<=" or "between") and threshold')
            kind, _, ref = pr.quantity.partition(".")
            if kind in ("market", "revenue") and pr._percent_threshold:
                bad(f"{pp}.threshold", f"is a {kind} size, not a rate: write it without %")
            # a threshold no draw can cross gives a probability of exactly 0 or 1: a share
            # of 20 (meant 20%) read as never reached, a silent zero
            t = pr.threshold if pr.op != "between" else pr.low
            got = int(t) if t is not None and t.is_integer() else t
            if t is not None and kind == "share" and not 0 < t < 1:
                # from 2, as for probabilities: a share of 1.4 is more likely a slip than 1.4%
                as_percent = percent_hint({"value": t}, frozenset(), lambda v: 2 <= v <= 100)
                bad(f"{pp}.threshold", f"a share must be between 0 and 1{as_percent}", got)
            elif t is not None and kind in ("market", "revenue") and t <= 0:
                what = "a market size" if kind == "market" else "a revenue"
                bad(f"{pp}.threshold", f"must be > 0: {what} is always above it", got)
            if kind == "metric":
                pass  # a metric target: forecast.scenario.formula_checks.metric_target_problems
            elif kind not in QUANTITY_KINDS:
                bad(
                    f"{pp}.quantity",
                    f"must be one of {', '.join(k + '.<id>' for k in QUANTITY_KINDS)}, metric.<id>[@YEAR]",
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
            continue
        # the same 1 (or 0) under every outcome: one way of observing it is 0/0 in Bayes'
        # rule (its row of signposts.csv was NaN); an observation that is itself the
        # impossible one is reported by _impossible_observations
        same = {sg.likelihood[k] for k in outcome_ids}
        for certain, never, seen in ((1.0, "false", False), (0.0, "true", True)):
            if same == {certain} and sg.observed is not seen:
                what = "comes true whatever happens" if certain else "never comes true"
                bad(
                    f"{sp}.likelihood",
                    f"is {certain:g} under every outcome: the signpost {what}, so it cannot move the odds "
                    f"and 'observed {never}' is impossible; drop it or give the outcomes different "
                    "likelihoods",
                    dict(sg.likelihood),
                )
    out.extend(_impossible_observations(s, origin))
    out.extend(_risk_problems(s, origin))
    out.extend(copula_problems(s, origin) + stepped_problems(s, origin))
    out.extend(formula_problems(s, origin))
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
    out.extend(decision_problems(s, origin))
    out.extend(_headline_year_problems(s, origin))
    return out


def _headline_year_problems(s: Scenario, origin: str) -> list[Problem]:
    """``report.headline_year`` must be a simulated year after the base year: the
    headlines quote the draws of that year, and a base year has no growth to quote."""
    year, first, last = s.report.headline_year, s.base_year + 1, s.end_year
    if year is None or first <= year <= last:
        return []
    span = f"{first}-{last}" if last > first else str(first)
    return [
        Problem(origin, "report.headline_year", f"must be a simulated year after the base year: {span}", year)
    ]


def _risk_problems(s: Scenario, origin: str) -> list[Problem]:
    from forecast.scenario.risk_checks import risk_problems  # imports the schema: at call time

    return risk_problems(s, origin)


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
            if pr.kind == "threshold" and model_time(pr.deadline) > end:
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
        (f"predictions.{p.id}.deadline", math.ceil(model_time(p.deadline)), str(p.deadline))
        for p in s.predictions
    ]
    late += [
        (f"positions.{pos.id}.path[{j}].at", math.ceil(model_time(pt.at)), str(pt.at))
        for pos in s.positions
        for j, pt in enumerate(pos.path)
    ]
    if s.assessment:
        horizon_end = math.ceil(model_time(s.as_of) + s.assessment.horizon_years)
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


def markets_exact(s: Scenario) -> bool:
    """Whether every market and share input is a point, so market sizes, shares and
    revenues are the same in every draw (only the outcome judgment, if any, varies).

    Examples
    --------
    >>> import forecast
    >>> markets_exact(forecast.load(forecast.bundled("deepseek")))
    False
    """
    quantities = [m.size for m in s.markets] + [m.volatility for m in s.markets]
    quantities += [m.cagr for m in s.markets if m.cagr is not None]
    quantities += [m.projection for m in s.markets if m.projection is not None]
    quantities += [pt.share for pos in s.positions for pt in pos.path]
    quantities += [s.correlation.common_factor]
    return all(q.is_point for q in quantities)


def exact_inputs(s: Scenario) -> list[tuple[str, str]]:
    """Inputs the model treats as exactly known while others around them are uncertain.

    A point where a spread was probably meant makes a fan pinch to zero width, which
    may be what the analyst meant but must never be silent: ``forecast validate`` and
    the report's inputs section list these. Returns ``(key path, what it means)``;
    empty when nothing in the file is uncertain (then everything is a point by design).

    Examples
    --------
    >>> import forecast
    >>> exact_inputs(forecast.load(forecast.bundled("deepseek")))
    []
    """
    if markets_exact(s):
        return []
    out: list[tuple[str, str]] = []
    for m in s.markets:
        k = f"markets.{m.id}"
        if m.size.is_point:
            out.append((f"{k}.size", f"{m.base_year} size of {m.id} is a point: its year has no uncertainty"))
        _, sd, anchored = m.growth()
        if anchored and m.projection is not None and m.projection.is_point:
            out.append(
                (
                    f"{k}.projection",
                    f"{m.projection.year} projection of {m.id} is a point: its year has no uncertainty",
                )
            )
        elif sd == 0:
            shocks = (
                " (only the yearly shocks vary)"
                if not (m.volatility.is_point and m.volatility.value == 0)
                else ""
            )
            out.append(
                (f"{k}.cagr", f"cagr of {m.id} is a point: its trend growth has no uncertainty{shocks}")
            )
    for pos in s.positions:
        for j, pt in enumerate(pos.path):
            if pt.share.is_point:
                cond = f" if {pt.outcome}" if pt.outcome else ""
                out.append(
                    (
                        f"positions.{pos.id}.path[{j}].share",
                        f"share of {pos.id} on {pt.at.isoformat()}{cond} is a point: it has no uncertainty",
                    )
                )
    return out


def defaulted_inputs(s: Scenario) -> list[tuple[str, str]]:
    """Inputs left out of the file that the model reads as 0: each market's yearly
    shocks (``volatility``) and, with more than one market, the common factor.

    A default that removes a source of spread must be said, as a point input is
    (:func:`exact_inputs`); ``forecast validate`` prints each as a ``note:``.

    Examples
    --------
    >>> import forecast
    >>> defaulted_inputs(forecast.load(forecast.bundled("deepseek")))
    []
    """
    out = [
        (f"markets.{m.id}.volatility", f"not stated, so 0: {m.id} has no yearly shocks")
        for m in s.markets
        if "volatility" not in m.model_fields_set
    ]
    if len(s.markets) > 1 and "common_factor" not in s.correlation.model_fields_set:
        out.append(("correlation.common_factor", "not stated, so 0: the markets' growth moves independently"))
    return out


def _cagr_typo(cagr: Quantity | None) -> str:
    """Why a CAGR looks like a percent typed as a fraction (``39`` for 39%), or ``""``.

    Growth of 100% a year or more is rare enough that a bare ``cagr = 39`` is a typo;
    a real one is written as a percent string (``"150%"``), which is never refused.
    """
    if cagr is None:
        return ""
    values = {k: getattr(cagr, k) for k in ("value", "low", "high", "median") if getattr(cagr, k) is not None}
    if not any(v >= 1 and k not in cagr.percent_fields for k, v in values.items()):
        return ""
    hint = percent_hint(values, cagr.percent_fields, lambda v: v >= 1).removeprefix("; ")
    shown = (
        f"{values['value']:g}" if "value" in values else ", ".join(f"{k}={v:g}" for k, v in values.items())
    )
    return (
        f"{hint + ' ' if hint else ''}growth above 100% a year must be written as a percent string, "
        f'e.g. "150%" (got {shown})'
    )


def out_of_domain(q: Quantity) -> bool:
    return bool(q.domain_problems("positive"))


def _growth_sd_is_zero(m: Market) -> bool:
    cagr_point = m.cagr is None or m.cagr.value is not None
    proj_point = m.projection is None or m.projection.value is not None
    return cagr_point and proj_point
