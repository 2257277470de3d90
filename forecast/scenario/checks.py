"""The cross-field checks of a scenario, the ones a schema cannot express (schema
errors become problems in :mod:`forecast.scenario.schema_errors`).

Every problem is a :class:`~forecast.errors.Problem` naming the file, the key path and
what is wrong, so ``forecast validate`` can print all of them at once. The checks are
small rules in one ordered list (:data:`RULES`), each taking the scenario and its file
and returning its problems: :func:`semantic_problems` runs them in that order, so the
problems come out in the order of the file's sections. The rules on markets, the
correlation and the assessment are in :mod:`forecast.scenario.market_checks`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from forecast.errors import Problem
from forecast.scenario.calendar import model_time
from forecast.scenario.copula import between_problems, copula_problems, stepped_problems
from forecast.scenario.decision import decision_problems
from forecast.scenario.formula_checks import formula_problems
from forecast.scenario.inputs import percent_hint
from forecast.scenario.market_checks import Found, assessment_problems, correlation_problems, market_problems

MAX_SPAN_YEARS = 100  # from the earliest base year to the last simulated year
QUANTITY_KINDS = ("market", "share", "revenue")

if TYPE_CHECKING:
    from forecast.scenario.schema import Prediction, Scenario

Rule = Callable[["Scenario", str], list[Problem]]


def semantic_problems(s: Scenario, origin: str) -> list[Problem]:
    """Cross-field checks that the schema alone cannot express: every rule of
    :data:`RULES`, in order.

    Examples
    --------
    >>> import forecast
    >>> semantic_problems(forecast.load(forecast.bundled("deepseek")), "deepseek.toml")
    []
    """
    return [p for rule in RULES for p in rule(s, origin)]


def _duplicate_ids(s: Scenario, origin: str) -> list[Problem]:
    """Ids that appear twice among markets, positions, predictions, signposts and the
    assessment's outcomes."""
    found = Found(origin)
    found.unique("markets", [m.id for m in s.markets])
    found.unique("positions", [p.id for p in s.positions])
    found.unique("predictions", [p.id for p in s.predictions])
    found.unique("signposts", [p.id for p in s.signposts])
    if s.assessment:
        found.unique("assessment.outcomes", s.outcome_ids)
    return found.problems


def _position_problems(s: Scenario, origin: str) -> list[Problem]:
    """Each position's market, its path's shares and outcomes, and a fallback point for
    every outcome when some points are per outcome."""
    found = Found(origin)
    market_ids, outcome_ids = [m.id for m in s.markets], s.outcome_ids
    for pos in s.positions:
        pp = f"positions.{pos.id}"
        found.ref(f"{pp}.market", pos.market, market_ids, "market")
        for j, pt in enumerate(pos.path):
            found.domain(f"{pp}.path[{j}].share", pt.share, "unit")
            if pt.outcome is not None:
                found.ref(f"{pp}.path[{j}].outcome", pt.outcome, outcome_ids, "outcome")
        given = {pt.outcome for pt in pos.path}
        if None not in given:
            # without a general point to fall back on, an outcome with no points of its
            # own would have no share at all (it was silently 0)
            missing = [k for k in outcome_ids if k not in given]
            if missing and given & set(outcome_ids):
                found.bad(
                    f"{pp}.path",
                    f"has no point for outcome {', '.join(map(repr, missing))} and no general point "
                    "(one without outcome) to fall back on: add one or the other",
                )
    return found.problems


def _prediction_problems(s: Scenario, origin: str) -> list[Problem]:
    """Each prediction: a deadline after ``as_of``, exactly one form (a threshold, a
    probability, a probability by outcome), ``when`` on thresholds only, and the form's
    own checks."""
    found = Found(origin)
    for pr in s.predictions:
        pp = f"predictions.{pr.id}"
        if pr.deadline <= s.as_of:
            found.bad(f"{pp}.deadline", f"must be after as_of {s.as_of}", str(pr.deadline))
        forms = [pr.quantity is not None, pr.probability is not None, pr.probability_by_outcome is not None]
        if sum(forms) != 1:
            found.bad(
                pp,
                "give exactly one of: quantity (with op and threshold), probability, probability_by_outcome",
            )
            continue
        if pr.quantity is None and pr.when is not None:
            found.bad(
                f"{pp}.when", "applies to threshold predictions; an event's probability is by its deadline"
            )
        if pr.quantity is not None:
            _threshold_problems(s, pr, found)
        elif pr.probability is not None:
            found.domain(f"{pp}.probability", pr.probability, "unit")
        else:
            _by_outcome_problems(s, pr, found)
    return found.problems


def _threshold_problems(s: Scenario, pr: Prediction, found: Found) -> None:
    """A threshold prediction: its op and threshold, a threshold some draw can cross
    (a share in (0, 1), a size above 0, no % on a size), and a quantity it names."""
    assert pr.quantity is not None
    pp = f"predictions.{pr.id}"
    if pr.op == "between" or pr.low is not None or pr.high is not None:
        found.problems.extend(between_problems(pr, pp, found.origin))
    elif pr.op is None or pr.threshold is None:
        found.bad(pp, 'a threshold prediction needs op (">=", "<=" or "between") and threshold')
    kind, _, ref = pr.quantity.partition(".")
    if kind in ("market", "revenue") and pr._percent_threshold:
        found.bad(f"{pp}.threshold", f"is a {kind} size, not a rate: write it without %")
    # a threshold no draw can cross gives a probability of exactly 0 or 1: a share
    # of 20 (meant 20%) read as never reached, a silent zero
    t = pr.threshold if pr.op != "between" else pr.low
    got = int(t) if t is not None and t.is_integer() else t
    if t is not None and kind == "share" and not 0 < t < 1:
        # from 2, as for probabilities: a share of 1.4 is more likely a slip than 1.4%
        as_percent = percent_hint({"value": t}, frozenset(), lambda v: 2 <= v <= 100)
        found.bad(f"{pp}.threshold", f"a share must be between 0 and 1{as_percent}", got)
    elif t is not None and kind in ("market", "revenue") and t <= 0:
        what = "a market size" if kind == "market" else "a revenue"
        found.bad(f"{pp}.threshold", f"must be > 0: {what} is always above it", got)
    if kind == "metric":
        pass  # a metric target: forecast.scenario.formula_checks.metric_target_problems
    elif kind not in QUANTITY_KINDS:
        found.bad(
            f"{pp}.quantity",
            f"must be one of {', '.join(k + '.<id>' for k in QUANTITY_KINDS)}, metric.<id>[@YEAR]",
            pr.quantity,
        )
    else:
        found.ref(
            f"{pp}.quantity",
            ref,
            [m.id for m in s.markets] if kind == "market" else [p.id for p in s.positions],
            "market" if kind == "market" else "position",
        )


def _by_outcome_problems(s: Scenario, pr: Prediction, found: Found) -> None:
    """A probability by outcome: an assessment to take the outcomes from, every
    outcome and no other, each a probability."""
    assert pr.probability_by_outcome is not None
    pp = f"predictions.{pr.id}"
    if not s.assessment:
        found.bad(f"{pp}.probability_by_outcome", "needs an [assessment] with outcomes")
        return
    outcome_ids = s.outcome_ids
    keys = list(pr.probability_by_outcome)
    for k in keys:
        found.ref(f"{pp}.probability_by_outcome.{k}", k, outcome_ids, "outcome")
    missing = [o for o in outcome_ids if o not in keys]
    if missing:
        found.bad(f"{pp}.probability_by_outcome", f"needs every outcome; missing {missing}")
    for k, q in pr.probability_by_outcome.items():
        found.domain(f"{pp}.probability_by_outcome.{k}", q, "unit")


def _signpost_problems(s: Scenario, origin: str) -> list[Problem]:
    """Each signpost: an assessment, a likelihood for every outcome and no other, and
    likelihoods that are not the same 1 (or 0) under every outcome."""
    found = Found(origin)
    outcome_ids = s.outcome_ids
    for sg in s.signposts:
        sp = f"signposts.{sg.id}"
        if not s.assessment:
            found.bad(sp, "signposts need an [assessment] with outcomes")
            continue
        for k in sg.likelihood:
            found.ref(f"{sp}.likelihood.{k}", k, outcome_ids, "outcome")
        missing = [o for o in outcome_ids if o not in sg.likelihood]
        if missing:
            found.bad(f"{sp}.likelihood", f"needs a likelihood for every outcome; missing {missing}")
            continue
        # the same 1 (or 0) under every outcome: one way of observing it is 0/0 in Bayes'
        # rule (its row of signposts.csv was NaN); an observation that is itself the
        # impossible one is reported by _impossible_observations
        same = {sg.likelihood[k] for k in outcome_ids}
        for certain, never, seen in ((1.0, "false", False), (0.0, "true", True)):
            if same == {certain} and sg.observed is not seen:
                what = "comes true whatever happens" if certain else "never comes true"
                found.bad(
                    f"{sp}.likelihood",
                    f"is {certain:g} under every outcome: the signpost {what}, so it cannot move the odds "
                    f"and 'observed {never}' is impossible; drop it or give the outcomes different "
                    "likelihoods",
                    dict(sg.likelihood),
                )
    return found.problems


def _evidence_problems(s: Scenario, origin: str) -> list[Problem]:
    """Each piece of evidence names a market and a year after that market's base year."""
    found = Found(origin)
    market_ids = [m.id for m in s.markets]
    for j, ev in enumerate(s.evidence):
        ep = f"evidence[{j}]"
        if found.ref(f"{ep}.market", ev.market, market_ids, "market"):
            mk = s.market(ev.market)
            if ev.year <= mk.base_year:
                found.bad(f"{ep}.year", f"must be after the market's base_year {mk.base_year}", ev.year)
    return found.problems


def _end_year_problems(s: Scenario, origin: str) -> list[Problem]:
    """``simulation.end_year`` after the base year and within :data:`MAX_SPAN_YEARS` of
    it; when it is, the years the grid must hold (:func:`_span_problems`)."""
    found, end = Found(origin), s.simulation.end_year
    if end is not None and end <= s.base_year:
        found.bad("simulation.end_year", f"must be after the base year {s.base_year}", end)
    elif end is not None and end > s.base_year + MAX_SPAN_YEARS:
        found.bad("simulation.end_year", f"is more than {MAX_SPAN_YEARS} years after the base year", end)
    else:
        return _span_problems(s, origin)
    return found.problems


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


#: The checks, in the order their problems are reported (the file's sections, then
#: the observations, risks, copula, formulas, evidence, years and the decision).
RULES: tuple[Rule, ...] = (
    _duplicate_ids,
    market_problems,
    correlation_problems,
    assessment_problems,
    _position_problems,
    _prediction_problems,
    _signpost_problems,
    _impossible_observations,
    _risk_problems,
    copula_problems,
    stepped_problems,
    formula_problems,
    _evidence_problems,
    _end_year_problems,
    decision_problems,
    _headline_year_problems,
)


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
