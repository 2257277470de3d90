"""The rules of :func:`forecast.scenario.checks.semantic_problems` on markets, the
correlation and the outcome assessment, and :class:`Found`, the helper every rule
reports its problems with.

A rule takes the scenario and the file it came from and returns its problems; the
checks run the rules of :data:`forecast.scenario.checks.RULES` in order.

Examples
--------
>>> import forecast
>>> market_problems(forecast.load(forecast.bundled("deepseek")), "deepseek.toml")
[]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forecast.errors import Problem
from forecast.scenario.inputs import percent_hint
from forecast.scenario.merging import hint

CAGR_TOLERANCE = 0.01  # stated CAGRs are usually rounded to the percent
PROBABILITY_TOLERANCE = 1e-6
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
    from forecast.scenario.schema import Market, Outcome, Scenario


class Found:
    """The problems one rule finds, in the order it finds them.

    Examples
    --------
    >>> f = Found("a.toml")
    >>> f.ref("positions.p.market", "apis", ["api"], "market")
    False
    >>> str(f.problems[0])
    "a.toml: positions.p.market: no market with id 'apis'; did you mean 'api'?"
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[Problem] = []

    def bad(self, path: str, message: str, got: Any = None, show: bool = True) -> None:
        """One problem; ``got`` is shown unless it is ``None`` or ``show`` is false."""
        self.problems.append(Problem(self.origin, path, message, got, show and got is not None))

    def unique(self, kind: str, ids: list[str]) -> None:
        """Every id after its first appearance is a duplicate."""
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                self.bad(f"{kind}.{i}", "duplicate id", i)
            seen.add(i)

    def ref(self, path: str, ref: str, known: list[str], what: str) -> bool:
        """Whether ``ref`` names one of ``known``; if not, a problem with a hint."""
        if ref not in known:
            self.bad(path, f"no {what} with id {ref!r}{hint(ref, known)}", ref, show=False)
            return False
        return True

    def domain(self, path: str, q: Quantity | None, domain: Any) -> None:
        """The problems of an input outside its domain (``positive``, ``unit``, ...)."""
        if q is not None:
            for msg in q.domain_problems(domain):
                self.problems.append(Problem(self.origin, path, msg))

    def not_percent(self, path: str, q: Quantity | None, what: str) -> None:
        """A size or count written with ``%``."""
        if q is not None and q.percent_fields:
            self.bad(path, f"is {what}, not a rate: write it without %")


def market_problems(s: Scenario, origin: str) -> list[Problem]:
    """Each market's size, volatility and growth, one market after the other: the
    domains, a CAGR typed as a fraction, a projection before its base year, growth
    given twice, and a CAGR that disagrees with the size and projection."""
    found = Found(origin)
    for m in s.markets:
        typo = _cagr_typo(m.cagr)
        _market_inputs(m, typo, found)
        _market_projection(m, found)
        _cagr_agreement(m, typo, found)
    return found.problems


def _market_inputs(m: Market, typo: str, found: Found) -> None:
    """A market's size, volatility and CAGR on their own."""
    p = f"markets.{m.id}"
    found.not_percent(f"{p}.size", m.size, f"a size in {m.unit}")
    found.not_percent(f"{p}.projection", m.projection, f"a size in {m.unit}")
    if typo:
        found.bad(f"{p}.cagr", typo)
    found.domain(f"{p}.size", m.size, "positive")
    found.domain(f"{p}.volatility", m.volatility, "positive" if m.volatility.value != 0 else "real")
    if m.volatility.value is not None and m.volatility.value < 0:
        found.bad(f"{p}.volatility", "must be >= 0", m.volatility.value)
    if m.cagr is not None and not typo:
        if m.cagr.dist is not None:
            found.bad(
                f"{p}.cagr",
                "takes a value, a 90% interval { low, high } or { median, sigma }; "
                "1 + CAGR is lognormal, so no dist",
                m.cagr.dist,
            )
        elif m.cagr.value is not None and m.cagr.value <= -1:
            found.bad(
                f"{p}.cagr", "must be > -1 (a market cannot shrink by 100% or more a year)", m.cagr.value
            )
        else:
            found.domain(f"{p}.cagr", m.cagr, "growth")


def _market_projection(m: Market, found: Found) -> None:
    """A market's projection: positive, after the base year, lognormal, and growth's
    uncertainty given once; a market needs a CAGR or a projection."""
    p = f"markets.{m.id}"
    if m.projection is not None:
        found.domain(f"{p}.projection", m.projection, "positive")
        if m.projection.year <= m.base_year:
            found.bad(f"{p}.projection.year", f"must be after base_year {m.base_year}", m.projection.year)
        if m.projection.dist not in (None, "lognormal"):
            found.bad(
                f"{p}.projection",
                "is lognormal: give a value, { low, high } or { median, sigma }",
                m.projection.dist,
            )
        elif m.projection.value is None and m.cagr is not None and m.cagr.value is None:
            found.bad(
                f"{p}.projection", "give the growth uncertainty once: on cagr or on projection, not both"
            )
    if m.projection is None and m.cagr is None:
        found.bad(p, "needs a cagr or a projection to grow from its base year")


def _cagr_agreement(m: Market, typo: str, found: Found) -> None:
    """A CAGR stated beside a size and a projection must be the one they imply (to
    :data:`CAGR_TOLERANCE`), when all three are valid."""
    if not (
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
        return
    size = float(m.size.canonical("positive").quantile(0.5))
    proj = float(m.projection.canonical("positive").quantile(0.5))
    implied = (proj / size) ** (1 / (m.projection.year - m.base_year)) - 1
    stated = float(m.cagr.canonical("growth").quantile(0.5))
    if abs(implied - stated) > CAGR_TOLERANCE:
        found.bad(
            f"markets.{m.id}.cagr",
            f"disagrees with size and projection: {size:g} in {m.base_year} to {proj:g} in "
            f"{m.projection.year} implies a CAGR of {implied:.1%}, not {stated:.1%} "
            f"(tolerance {CAGR_TOLERANCE:.0%}); drop one of the three or fix it",
        )


def correlation_problems(s: Scenario, origin: str) -> list[Problem]:
    """The common factor is a correlation, in [0, 1]."""
    found = Found(origin)
    found.domain("correlation.common_factor", s.correlation.common_factor, "unit")
    return found.problems


def assessment_problems(s: Scenario, origin: str) -> list[Problem]:
    """The outcome judgment: a single confidence large enough to simulate, each
    outcome's probability and drivers, and probabilities that sum to 1."""
    if not s.assessment:
        return []
    found = Found(origin)
    a = s.assessment
    found.not_percent("assessment.confidence", a.confidence, "a number of cases")
    found.domain("assessment.confidence", a.confidence, "positive")
    if a.confidence.value is None:
        # the Dirichlet concentration is itself the statement of uncertainty
        found.bad("assessment.confidence", "must be a single number (how many cases the judgment is worth)")
    elif 0 < a.confidence.value < MIN_CONFIDENCE:
        found.bad(
            "assessment.confidence",
            f"must be at least {MIN_CONFIDENCE} (a judgment worth less cannot be simulated: "
            "its outcome draws underflow to 0)",
            a.confidence.value,
        )
    for o in a.outcomes:
        _outcome_problems(s, o, found)
    total = sum(o.probability.value for o in a.outcomes if o.probability.value is not None)
    if all(o.probability.value is not None for o in a.outcomes) and abs(total - 1) > PROBABILITY_TOLERANCE:
        found.bad("assessment.outcomes", f"probabilities must sum to 1 (they sum to {total:.6g})")
    return found.problems


def _outcome_problems(s: Scenario, o: Outcome, found: Found) -> None:
    """One outcome: a single probability, not too small to simulate at the confidence,
    above 0, and drivers naming markets whose growth is uncertain."""
    assert s.assessment is not None
    confidence = s.assessment.confidence.value
    op = f"assessment.outcomes.{o.id}"
    if o.probability.value is None:
        found.bad(f"{op}.probability", "must be a single stated probability (the confidence sets its spread)")
        return
    found.domain(f"{op}.probability", o.probability, "unit")
    if confidence is not None and confidence >= MIN_CONFIDENCE:
        c = confidence * o.probability.value
        if 0 < c < MIN_OUTCOME_CONCENTRATION:
            found.bad(
                f"{op}.probability",
                f"is too small to simulate at confidence {confidence:g}: confidence x "
                f"probability = {c:.3g} cases, and below {MIN_OUTCOME_CONCENTRATION} its draws come "
                f"out exactly 0; raise either so that their product is at least "
                f"{MIN_OUTCOME_CONCENTRATION}",
                o.probability.value,
            )
    if o.probability.value == 0:
        # the outcome Dirichlet needs every concentration positive (a 0 made the
        # calibration NaN and the model refused to build)
        found.bad(f"{op}.probability", "must be > 0 (leave out an outcome that cannot happen)", 0.0)
    for j, d in enumerate(o.drivers):
        if found.ref(f"{op}.drivers[{j}].market", d.market, [m.id for m in s.markets], "market"):
            mk = s.market(d.market)
            if _growth_sd_is_zero(mk):
                # name what is a point: a market with size and a point projection
                # has no cagr to blame
                points = " and ".join(
                    f"a point {k}" for k in ("cagr", "projection") if getattr(mk, k) is not None
                )
                found.bad(
                    f"{op}.drivers[{j}].market",
                    f"market {d.market!r} has no growth uncertainty to drive outcomes: give its "
                    f"cagr or its projection a spread (got {points})",
                )


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
