"""The cross-field checks of ``[[risks]]`` and ``[[questions]]`` (see
:mod:`forecast.scenario.risks`): references to outcomes and markets, deadlines after
``as_of``, answer probabilities that sum to 1. Called from
:func:`forecast.scenario.checks.semantic_problems`; each problem names its key path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forecast.errors import Problem
from forecast.scenario.merging import hint
from forecast.scenario.risk_targets import TARGET_FORM, target_problems

if TYPE_CHECKING:
    from forecast.scenario.risks import Answer, Effect, Question
    from forecast.scenario.schema import Scenario

SUM_TOLERANCE = 1e-6  # as the outcome probabilities' sum
#: an answer's stated probability against the one its likelihoods imply at the stated
#: outcome probabilities (a stated probability is usually rounded to the percent)
IMPLIED_TOLERANCE = 0.01


def risk_problems(s: Scenario, origin: str) -> list[Problem]:
    """Every problem of the file's risks and questions.

    Examples
    --------
    >>> import forecast
    >>> risk_problems(forecast.load(forecast.bundled()), "deepseek.toml")
    []
    """
    out: list[Problem] = []
    seen: set[str] = set()
    for r in s.risks:
        p = f"risks.{r.id}"
        if r.id in seen:
            out.append(Problem(origin, p, "duplicate id", r.id, True))
        seen.add(r.id)
        out += [Problem(origin, f"{p}.probability", m) for m in r.probability.domain_problems("unit")]
        if not s.assessment:
            out.append(Problem(origin, p, "risks need an [assessment] with outcomes"))
        v = r.probability.value
        if v is not None and not 0 < v < 1:
            # 0 or 1 leaves one side of the register empty: "if it does not happen" is 0/0
            out.append(Problem(origin, f"{p}.probability", "must be between 0 and 1, not either", v, True))
        if r.deadline <= s.as_of:
            out.append(
                Problem(
                    origin, f"{p}.deadline", f"must be after as_of {s.as_of.isoformat()}", r.deadline, True
                )
            )
        for i, e in enumerate(r.effects):
            out += _effect_problems(s, origin, f"{p}.effects[{i}]", e)
    seen = set()
    for q in s.questions:
        p = f"questions.{q.id}"
        if q.id in seen:
            out.append(Problem(origin, p, "duplicate id", q.id, True))
        seen.add(q.id)
        out += _question_problems(s, origin, p, q)
    return out


def _effect_problems(s: Scenario, origin: str, path: str, e: Effect) -> list[Problem]:
    if e.kind == "outcome":
        assert e.outcome is not None and e.log_odds is not None
        if not s.assessment:
            return [
                Problem(origin, f"{path}.outcome", "an outcome effect needs an [assessment] with outcomes")
            ]
        out = [Problem(origin, f"{path}.log_odds", m) for m in e.log_odds.domain_problems("real")]
        if e.outcome not in s.outcome_ids:
            out.append(
                Problem(
                    origin,
                    f"{path}.outcome",
                    f"no outcome with id {e.outcome!r}{hint(e.outcome, s.outcome_ids)}",
                )
            )
        return out
    if e.kind in ("input", "metric"):
        from forecast.scenario.formula_checks import metric_infos

        return target_problems(s, origin, path, e, metric_infos(s) if e.kind == "metric" else ())
    assert e.target is not None
    if e.shift is None:
        return [
            Problem(
                origin, f"{path}.scale", "a market's growth takes a shift (a change of its CAGR), not a scale"
            )
        ]
    out = [Problem(origin, f"{path}.shift", m) for m in e.shift.domain_problems("real")]
    ids = [m.id for m in s.markets]
    if e.market is None:
        out.append(
            Problem(
                origin,
                f"{path}.target",
                f"must be '{TARGET_FORM}'",
                e.target,
                True,
            )
        )
    elif e.market not in ids:
        out.append(Problem(origin, f"{path}.target", f"no market with id {e.market!r}{hint(e.market, ids)}"))
    return out


def _question_problems(s: Scenario, origin: str, p: str, q: Question) -> list[Problem]:
    out: list[Problem] = []

    def bad(path: str, message: str, got: Any = None) -> None:
        out.append(Problem(origin, path, message, got, got is not None))

    if not s.assessment:
        bad(p, "questions need an [assessment] with outcomes")
        return out
    ids = [a.id for a in q.answers]
    if len(set(ids)) < len(ids):
        bad(f"{p}.answers", "answer ids must be different", ids)
    if q.answered is not None and q.answered not in ids:
        bad(f"{p}.answered", f"no answer with id {q.answered!r}{hint(q.answered, ids)}")
    forms = {a.likelihood is not None for a in q.answers}
    if len(forms) > 1:
        bad(f"{p}.answers", "give every answer a likelihood, or none (then each a probability and effects)")
        return out
    for a in q.answers:
        ap = f"{p}.answers.{a.id}"
        for i, e in enumerate(a.effects):
            if e.kind in ("input", "metric"):
                # a risk's effect is drawn with the risk, per draw; an answer of several
                # has no such draw yet, so its effect would move nothing: refused, not ignored
                bad(
                    f"{ap}.effects[{i}].target",
                    "effects on inputs and metrics are for risks (a question's answers move "
                    "outcomes and markets only); write the event as a [[risks]] item",
                    e.target,
                )
                continue
            out.extend(_effect_problems(s, origin, f"{ap}.effects[{i}]", e))
        if a.likelihood is None and a.probability is None:
            bad(f"{ap}.probability", "is missing: an answer without a likelihood needs a probability")
        if a.likelihood is None and a.probability == 0:
            bad(f"{ap}.probability", "is 0: an answer that cannot come has no 'if' to show; drop it", 0.0)
        if a.likelihood is not None and a.likelihood and not any(a.likelihood.values()):
            bad(f"{ap}.likelihood", "is 0 under every outcome: this answer cannot come; drop it")
        if a.likelihood is not None and a.effects:
            bad(f"{ap}.effects", "give a likelihood or effects, not both")
    if forms == {True}:
        out += _likelihood_problems(s, origin, p, q.answers)
    elif all(a.probability is not None for a in q.answers):
        total = sum(float(a.probability or 0.0) for a in q.answers)
        if abs(total - 1.0) > SUM_TOLERANCE:
            bad(f"{p}.answers", f"the answers' probabilities must sum to 1 (got {total:.6g})")
    return out


def _likelihood_problems(s: Scenario, origin: str, p: str, answers: list[Answer]) -> list[Problem]:
    """Every outcome named, ``P(answer | outcome)`` summing to 1 over the answers, and a
    stated answer probability equal to the one the likelihoods imply."""
    out: list[Problem] = []
    ks = s.outcome_ids
    for a in answers:
        assert a.likelihood is not None
        for k in a.likelihood:
            if k not in ks:
                out.append(
                    Problem(
                        origin, f"{p}.answers.{a.id}.likelihood.{k}", f"no outcome with id {k!r}{hint(k, ks)}"
                    )
                )
        bad = {k: x for k, x in a.likelihood.items() if not 0 <= x <= 1}
        if bad:
            out.append(
                Problem(origin, f"{p}.answers.{a.id}.likelihood", "must be between 0 and 1", bad, True)
            )
        missing = [k for k in ks if k not in a.likelihood]
        if missing:
            out.append(
                Problem(origin, f"{p}.answers.{a.id}.likelihood", f"needs every outcome; missing {missing}")
            )
    if out:
        return out
    for k in ks:
        total = sum(float(a.likelihood[k]) for a in answers if a.likelihood is not None)
        if abs(total - 1.0) > SUM_TOLERANCE:
            out.append(
                Problem(
                    origin,
                    f"{p}.answers",
                    f"the answers' likelihoods under {k!r} must sum to 1 (got {total:.6g})",
                )
            )
    assert s.assessment is not None
    stated = {o.id: float(o.probability.value or 0.0) for o in s.assessment.outcomes}
    for a in answers:
        assert a.likelihood is not None
        implied = sum(stated[k] * a.likelihood[k] for k in ks)
        if a.probability is not None and abs(a.probability - implied) > IMPLIED_TOLERANCE:
            out.append(
                Problem(
                    origin,
                    f"{p}.answers.{a.id}.probability",
                    f"disagrees with the {implied:.4g} its likelihoods imply at the stated outcome probabilities",
                    a.probability,
                    True,
                )
            )
    return out
