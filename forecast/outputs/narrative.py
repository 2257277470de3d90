"""The executive summary: four to seven sentences written from the numbers.

Each sentence says one thing a leadership team asks, with its number and its
uncertainty, and only what the tables support:

``outcome``
    the most likely outcome, its probability and 90% interval, against the stated one;
``company``
    a company's share in the headline year under each outcome (never the blend's median);
``growth``
    the total market's implied CAGR (median, 90% interval) against the stated one, and
    the market furthest from its stated CAGR, when its gap is beyond its noise and
    material (:func:`departs`), else that every market matches;
``predictions``
    the dated predictions most and least likely to come true, with their Monte Carlo error;
``signpost``
    the signpost that moves the odds most, and by how much either way;
``risk``
    the risk that moves the most likely outcome most (added by
    :func:`forecast.outputs.risk_section.with_risk_sentence`, from ``risks.csv``);
``driver``
    the input that drives the headline quantity most (when the sensitivity ran).

Every number comes from a table that is also written as a CSV file (``outcomes.csv``,
``by_outcome.csv``, ``growth.csv``, ``predictions.csv``, ``signposts.csv``,
``sensitivity.csv``), formatted as the report formats it; the tests read each
sentence's numbers back and compare them with those files.

Examples
--------
>>> s = Sentence("outcome", "The most likely outcome is A: 40.0%.")
>>> s.key
'outcome'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.outputs.formatting import deadline_words, interval, mc_error, pct, pp, sig

if TYPE_CHECKING:
    from forecast.scenario import Scenario


@dataclass(frozen=True)
class Sentence:
    """One sentence of the executive summary; ``key`` says which question it answers."""

    key: str
    text: str


def _q(text: str) -> str:
    return f"“{text}”"


def executive_summary(
    s: Scenario,
    *,
    year: int,
    conditioned: bool,
    outcomes: pd.DataFrame,
    by_outcome: pd.DataFrame,
    growth: pd.DataFrame,
    predictions: pd.DataFrame,
    signposts: pd.DataFrame,
    sensitivity: Sequence[pd.DataFrame] | None = None,
) -> list[Sentence]:
    """The summary's sentences, in reading order (see the module docstring).

    ``year`` is the headline year (the last stated projection year); ``conditioned``
    says the numbers are updated by evidence, so the sentences say so.

    Examples
    --------
    >>> [x.key for x in executive_summary(s, year=2027, ...)]  # doctest: +SKIP
    ['outcome', 'company', 'growth', 'predictions', 'signpost', 'driver']
    """
    after = "After the evidence, " if conditioned else ""
    sentences = (
        _outcome_sentence(outcomes, after),
        _company_sentence(s, by_outcome, year),
        _growth_sentence(growth, year),
        _predictions_sentence(s, predictions),
        _signpost_sentence(s, signposts),
        _driver_sentence(sensitivity or []),
    )
    return [x for x in sentences if x is not None]


def _outcome_sentence(outcomes: pd.DataFrame, after: str) -> Sentence | None:
    """The most likely outcome against its stated probability, and the runner-up."""
    if not len(outcomes):
        return None
    o = outcomes.sort_values("probability", ascending=False, kind="stable")
    top = o.iloc[0]
    text = (
        f"{after}the most likely outcome is {top.label}: {pct(top.probability)} "
        f"(90% interval {interval(top.q05, top.q95, pct)}; stated {pct(top.stated)})"
    )
    if len(o) > 1:
        nxt = o.iloc[1]
        text += f", ahead of {nxt.label} at {pct(nxt.probability)}"
    return Sentence("outcome", _cap(text) + ".")


def _company_sentence(s: Scenario, by_outcome: pd.DataFrame, year: int) -> Sentence | None:
    """The first position's share in the headline year under each outcome."""
    if not len(by_outcome):
        return None
    labels = {o.id: o.label for o in s.assessment.outcomes} if s.assessment else {}
    first = str(by_outcome["market"].iloc[0]).split(".", 1)[1]
    p = s.position(first)
    sub = by_outcome[(by_outcome["market"] == f"share.{p.id}") & (by_outcome["year"] == year)]
    if not len(sub):
        return None
    parts = [
        f"{pct(r.q50)} ({interval(r.q05, r.q95, pct)}) if {labels.get(str(r.outcome), r.outcome)}"
        for r in sub.itertuples()
    ]
    return Sentence(
        "company",
        f"{p.label} in {year} depends on the outcome: a median share of "
        + _join(parts)
        + " (90% intervals); a single blended median would match none of these paths.",
    )


def _growth_sentence(growth: pd.DataFrame, year: int) -> Sentence | None:
    """The headline market's implied CAGR against the stated one, and the market
    furthest from its own (or that every market matches)."""
    g = growth[growth["to_year"] == year] if len(growth) else growth
    if not len(g):
        return None
    head = g[g["market"] == "total"]
    r = head.iloc[0] if len(head) else g.iloc[0]
    name = "the total market" if r.market == "total" else r.label
    if r.q50 < 0:
        # a declining market: "grows a median -8.00% a year" says the opposite of its numbers
        text = (
            f"{_cap(name)} shrinks a median {pct(-r.q50)} a year from {r.from_year} to {r.to_year} "
            f"(a CAGR of {pct(r.q50)}, 90% interval {interval(r.q05, r.q95, pct)}), "
            f"against {pct(r.stated)} stated"
        )
    else:
        text = (
            f"{_cap(name)} grows a median {pct(r.q50)} a year from {r.from_year} to {r.to_year} "
            f"(90% interval {interval(r.q05, r.q95, pct)}), against {pct(r.stated)} stated"
        )
    # without a total (markets in different units) the headline is a market: the
    # furthest is then one of the others, not the same market named twice
    rest = g[(g["market"] != "total") & (g["market"] != r.market)]
    if len(rest) > (1 if r.market == "total" else 0):
        text += _furthest_clause(rest, total=r.market == "total")
    return Sentence("growth", text + ".")


def _furthest_clause(rest: pd.DataFrame, *, total: bool) -> str:
    """ "; of the markets, X is furthest from its stated CAGR ..." or that all match."""
    far = rest.assign(_gap=(rest["q50"] - rest["stated"]).abs()).sort_values(
        "_gap", ascending=False, kind="stable"
    )
    far = far[[departs(r) for r in far.itertuples()]]
    others = "markets" if total else "other markets"
    if len(far):
        f = far.iloc[0]
        return (
            f"; of the {others}, {f.label} is furthest from its stated CAGR: a median "
            f"{pct(f.q50)} ({interval(f.q05, f.q95, pct)}) against {pct(f.stated)}"
        )
    every = "every market's" if total else "every other market's"
    return f"; {every} median matches its stated CAGR ({DEPARTS_RULE})"


def _predictions_sentence(s: Scenario, predictions: pd.DataFrame) -> Sentence | None:
    """The dated predictions most and least likely to come true, with their errors."""
    if not len(predictions):
        return None
    ranked = predictions.sort_values("probability", ascending=False, kind="stable")
    hi, lo = ranked.iloc[0], ranked.iloc[-1]
    judged = {p.id: p.judged for p in s.predictions}

    def when(r: Any) -> str:
        return deadline_words(judged[str(r.id)], r.deadline)

    if len(ranked) == 1:
        text = (
            f"The one dated prediction, {_q(hi.statement)}, comes true {when(hi)} with "
            f"probability {pct(hi.probability)} ({mc_error(hi.probability, hi.mcse)} Monte Carlo error)."
        )
    else:
        text = (
            f"Of the {len(ranked)} dated predictions, the most likely to come true is {_q(hi.statement)}: "
            f"{pct(hi.probability)} {when(hi)} ({mc_error(hi.probability, hi.mcse)}); the least likely is "
            f"{_q(lo.statement)}: {pct(lo.probability)} {when(lo)} ({mc_error(lo.probability, lo.mcse)})."
        )
    return Sentence("predictions", text)


def _signpost_sentence(s: Scenario, signposts: pd.DataFrame) -> Sentence | None:
    """The open signpost that would move the odds most, or (all observed) the one that did."""
    sp = signposts[signposts["kind"] == "outcome"] if len(signposts) else signposts
    if not len(sp):
        return None
    statements = {x.id: x.statement for x in s.signposts}
    open_ = sp[sp["observed"].isna()]
    if len(open_):
        m = open_.assign(_move=(open_["if_true"] - open_["if_false"]).abs())
        r = m.sort_values("_move", ascending=False, kind="stable").iloc[0]
        text = (
            f"The signpost that moves the odds most is {_q(statements[r.signpost])}: observed true, "
            f"P({r.label}) goes from {pct(r.now)} to {pct(r.if_true)} ({mc_error(r.if_true, r.mcse_true)}); "
            f"observed false, to {pct(r.if_false)} ({mc_error(r.if_false, r.mcse_false)})."
        )
    else:
        m = sp.assign(_move=(sp["now"] - sp["without"]).abs())
        r = m.sort_values("_move", ascending=False, kind="stable").iloc[0]
        seen = "true" if bool(r.observed) else "false"
        mc = r.mcse_true if bool(r.observed) else r.mcse_false
        text = (
            f"The signpost {_q(statements[r.signpost])} was observed {seen}: it moved P({r.label}) "
            f"from {pct(r.without)} to {pct(r.now)} ({mc_error(r.now, mc)})."
        )
    return Sentence("signpost", text)


def _driver_sentence(sensitivity: Sequence[pd.DataFrame]) -> Sentence | None:
    """The input that drives the headline quantity's variance most (its first-order index)."""
    frames = [d for d in sensitivity if len(d) and {"input", "first_order", "conf"} <= set(d.columns)]
    if not frames:
        return None
    head = frames[0]
    # the input with the largest index quoted (the table is ordered by the own part)
    fo = pd.to_numeric(head["first_order"], errors="coerce")
    r = head.iloc[int(fo.fillna(-float("inf")).to_numpy().argmax())]
    stat = str(head.attrs.get("statistic", "median"))
    target = str(head.attrs.get("target_label") or head.attrs.get("target"))
    text = (
        f"What drives the uncertainty in {target} most is {r.input}: on its own it accounts for about "
        f"{pct(max(float(r.first_order), 0.0), 2)} of the variance"
    )
    if pd.notna(r.conf):  # a row outside the bootstrapped top has no interval
        text += f" (± {pp(r.conf)})"
    if pd.notna(r.get("low")) and pd.notna(r.get("high")):
        text += f"; with it at its 10th and 90th percentiles the {stat} is {sig(r.low)} and {sig(r.high)}"
    return Sentence("driver", text + ".")


#: a gap of a market's implied median CAGR from its stated one that is at most this
#: (a fraction: 0.5 pp) is immaterial whatever the interval
MATERIAL_GAP = 0.005
#: ... and so is a gap of at most this fraction of the implied CAGR's 90% interval width
MATERIAL_WIDTH = 0.1
#: ... and a gap within this many Monte Carlo standard errors of the median is noise
NOISE_MCSE = 2.0
DEPARTS_RULE = "no gap exceeds twice its Monte Carlo error, 0.5 pp and a tenth of its 90% interval"


def departs(r: Any) -> bool:
    """Whether a row of ``growth.csv`` departs from its stated CAGR: the gap of its median
    exceeds its noise (``NOISE_MCSE`` x ``mcse``, when the table has it) and is material
    (beyond ``MATERIAL_GAP`` and ``MATERIAL_WIDTH`` of its 90% interval). A 0.3-point gap
    at a million draws is beyond the noise, but no strategist calls it a departure.

    Examples
    --------
    >>> from types import SimpleNamespace as Row
    >>> departs(Row(q50=0.203, stated=0.20, q05=0.1, q95=0.3, mcse=0.0005))
    False
    >>> departs(Row(q50=0.23, stated=0.20, q05=0.1, q95=0.3, mcse=0.0005))
    True
    """
    gap = abs(float(r.q50) - float(r.stated))
    noise = NOISE_MCSE * float(getattr(r, "mcse", 0.0))
    return bool(gap > max(noise, MATERIAL_GAP, MATERIAL_WIDTH * (float(r.q95) - float(r.q05))))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(parts: list[str]) -> str:
    """``a, b and c``.

    Examples
    --------
    >>> _join(["a", "b", "c"]), _join(["a"])
    ('a, b and c', 'a')
    """
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


__all__ = ["Sentence", "executive_summary"]
