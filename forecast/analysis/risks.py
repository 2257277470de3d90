"""The risk register and the open questions, read from a forecast's draws.

:func:`risk_register` (``risks.csv``) gives, for every risk, its probability and, for
every outcome, prediction and the headline market, the value if the risk happens and
if it does not, with Monte Carlo errors; for outcomes also the 90% interval that the
risk's uncertain inputs give (each draw's outcome probabilities tilted by that draw's
probability and effects), and the share of the quantity's variance that knowing the
risk would remove. :func:`question_table` (``questions.csv``) gives the same per
answer of every open question, and what its answer is worth: the expected change of
the headline probability (the most likely outcome's).

Both read :func:`forecast.analysis.answers.answer_effects`, the one implementation of
"if observed" that signposts use too. A prediction moves with a risk only through the
outcome (its draws reweighted); a market with a growth effect moves by its centred
shift from ``as_of`` on (the stated CAGR is the marginal one). A named input or metric
a risk shifts or scales (``kind`` ``input`` or ``metric``) is read from the draws where
the engine drew the risk happening and where not (``risk_happens``).

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000)  # doctest: +SKIP
>>> risk_register(fc).query("kind == 'outcome'").head(3)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.analysis.answers import AnswerEffects, answer_effects, weighted_mean
from forecast.engine.answers import AnswerSet, answer_sets, tilted_outcomes
from forecast.scenario import model_time

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

RISK_COLUMNS = [
    "risk",
    "statement",
    "deadline",
    "observed",
    "probability",
    "probability_q05",
    "probability_q95",
    "impact",
    "impact_q05",
    "impact_q95",
    "kind",
    "id",
    "label",
    "now",
    "if_happens",
    "if_not",
    "mcse_happens",
    "mcse_not",
    "happens_q05",
    "happens_q95",
    "variance_share",
]
QUESTION_COLUMNS = [
    "question",
    "statement",
    "answered",
    "worth",
    "worth_mcse",
    "answer",
    "p_answer",
    "kind",
    "id",
    "label",
    "now",
    "if_answer",
    "mcse",
    "variance_share",
]
#: latents per uncertain input of a risk's interval draws: a fixed stream per risk
INTERVAL_STREAM = 28


def headline_outcome(fc: Forecast) -> int:
    """Index of the most likely outcome (the headline probability)."""
    return int(np.argmax(fc.values("outcome_probability").mean(axis=0)))


def _rows(fc: Forecast, item: AnswerSet, e: AnswerEffects) -> list[dict[str, Any]]:
    """Per answer and per outcome, prediction and headline market: ``(answer, kind,
    id, label, now, value, mcse, variance_share)``."""
    s = fc.scenario
    assert s.assessment is not None
    p = e.p_answer
    out: list[dict[str, Any]] = []

    def add(
        kind: str, id_: str, label: str, ref: float, vals: np.ndarray, mcse: np.ndarray, var: float
    ) -> None:
        between = float(np.nansum(p * (vals - ref) ** 2))
        share = between / var if var > 0 else 0.0
        for a, name in enumerate(item.answers):
            out.append(
                {
                    "answer": name,
                    "kind": kind,
                    "id": id_,
                    "label": label,
                    "now": ref,
                    "value": float(vals[a]),
                    "mcse": float(mcse[a]),
                    "variance_share": share,
                }
            )

    for k, o in enumerate(s.assessment.outcomes):
        ref = float(e.without[k])
        add("outcome", o.id, o.label, ref, e.outcome[:, k], e.outcome_mcse[:, k], ref * (1 - ref))
    for j, pr in enumerate(s.predictions):
        ref = float(e.pred_without[j])
        add("prediction", pr.id, pr.statement, ref, e.pred[:, j], e.pred_mcse[:, j], ref * (1 - ref))
    for id_, label, x in _markets(fc, item):
        pairs = [weighted_mean(fc, e.weights[a], x[a]) for a in range(len(item.answers))]
        vals = np.array([v for v, _ in pairs])
        ref = float(np.nansum(p * vals))
        # the mixture's variance: each answer's second moment under its weights, mixed
        second = [weighted_mean(fc, e.weights[a], x[a] ** 2)[0] for a in range(len(item.answers))]
        var = float(np.nansum(p * np.array(second))) - ref**2
        add("market", id_, label, ref, vals, np.array([m for _, m in pairs]), var)
    return out


def _markets(fc: Forecast, item: AnswerSet) -> list[tuple[str, str, np.ndarray]]:
    """The headline market, then every market a growth effect targets, at the headline
    year: ``(id, label, draws per answer (A, n))`` with each answer's centred CAGR shift
    applied from ``as_of`` on (``log size += shift_in_log x years``)."""
    from forecast.analysis.sensitivity import headline_targets

    s = fc.scenario
    spec = headline_targets(s)[0]  # "total@YEAR" or "market.<id>@YEAR"
    target, _, year_text = spec.partition("@")
    year = int(year_text)
    years = [int(y) for y in s.years]
    size = fc.values("market_size")[:, :, years.index(year)]  # (n, M)
    n_a = len(item.answers)
    shift = np.zeros((n_a, len(s.markets)))
    if item.probability is not None:
        _, _, sh = item.at_medians()
        shift[:, : sh.shape[1]] = sh
    if item.observed is not None and fc.conditioned:
        shift = shift - shift[item.observed]  # the draws already have the seen answer's shift
    # the growth the model centres each market's drift on (as the observed shift does)
    cagr = np.expm1(np.array([m.growth()[0] for m in s.markets]))
    log_shift = np.log1p(cagr[None, :] + shift) - np.log1p(cagr)[None, :]
    exposure = max(0.0, year - model_time(s.as_of))
    scaled = size[None, :, :] * np.exp(log_shift * exposure)[:, None, :]  # (A, n, M)
    out: list[tuple[str, str, np.ndarray]] = []
    ids = [m.id for m in s.markets]
    if target == "total":
        out.append((spec, f"Total of all markets {year} ({s.markets[0].unit})", scaled.sum(axis=-1)))
    else:
        m = s.market(target.partition(".")[2])
        out.append((spec, f"{m.label} {year} ({m.unit})", scaled[:, :, ids.index(m.id)]))
    for i in np.flatnonzero(np.any(shift != 0, axis=0)):
        mk = s.markets[int(i)]
        if spec != f"market.{mk.id}@{year}":
            out.append((f"market.{mk.id}@{year}", f"{mk.label} {year} ({mk.unit})", scaled[:, :, int(i)]))
    return out


def _target_rows(fc: Forecast, risk: int) -> list[dict[str, Any]]:
    """The inputs and metrics risk ``risk`` (its index in the file) shifts or scales:
    their mean on the draws where it happens and where it does not (the engine draws
    it per draw: ``risk_happens``), with MCSEs, as :func:`_rows` gives them (pairs of
    rows, *happens* then *not*). A yearly metric is read in the headline year (the
    last simulated year when that is not one). A risk the draws saw happen (or not) has
    no other side in them: its targets get no rows (the inputs' and metrics' tables
    show them as the draws have them)."""
    from forecast.analysis.sensitivity import headline_targets
    from forecast.engine.formulas import formula_data
    from forecast.engine.risk_effects import risk_effect_coords
    from forecast.scenario.risk_targets import target_effects

    s = fc.scenario
    r = s.risks[risk]
    targets = list(dict.fromkeys((e.kind, e.ident) for i, e in target_effects(s) if i == risk))
    if not targets or (fc.conditioned and r.observed is not None):
        return []
    h = fc.values("risk_happens")[:, risk_effect_coords(s)["effect_risk"].index(r.id)].astype(float)
    p = float(h.mean())
    year = int(headline_targets(s)[0].partition("@")[2] or s.years[-1])
    year = year if year in s.years else s.years[-1]
    f = formula_data(s)["formulas"]
    out: list[dict[str, Any]] = []
    for kind, ident in targets:
        if kind == "input":
            j = [x.id for x in s.inputs].index(ident)
            x, key = fc.values("input_value")[:, j], f"inputs.{ident}"
            label = f"{s.inputs[j].label} ({s.inputs[j].unit})"
        else:
            m = s.metrics[[m.id for m in s.metrics].index(ident)]
            if ident in f.scalar:
                x, key, label = (
                    fc.values("metric_value")[:, f.scalar.index(ident)],
                    f"metric.{ident}",
                    m.label,
                )
            else:
                x = fc.values("metric_by_year")[:, f.yearly.index(ident), s.years.index(year)]
                key, label = f"metric.{ident}@{year}", f"{m.label} {year}"
            label = f"{label} ({m.unit})"
        x = np.asarray(x, dtype=float)
        (m1, e1), (m0, e0) = weighted_mean(fc, h, x), weighted_mean(fc, 1.0 - h, x)
        var = float(x.var())
        share = p * (1 - p) * (m1 - m0) ** 2 / var if var > 0 else 0.0
        for name, value, mcse in (("happens", m1, e1), ("not", m0, e0)):
            out.append(
                {
                    "answer": name,
                    "kind": kind,
                    "id": key,
                    "label": label,
                    "now": float(x.mean()),
                    "value": value,
                    "mcse": mcse,
                    "variance_share": share,
                }
            )
    return out


def _interval_draws(
    fc: Forecast, item: AnswerSet, stream: int, seen: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each draw's outcome probabilities given each answer (n, A, K), with the item's
    uncertain inputs drawn too (their own seeded stream: the forecast's draws are
    untouched), and the answers' probabilities (n, A); for an item observed in the
    draws, from the odds without it."""
    q = fc.values("outcome_probability")
    if seen is not None:
        q = q / np.where(item.likelihood[seen] > 0, item.likelihood[seen], np.inf)
        q = q / q.sum(axis=1, keepdims=True)
    if item.probability is None:  # likelihood form: Bayes per draw
        joint = q[:, None, :] * item.likelihood[None, :, :]
        return joint / joint.sum(axis=-1, keepdims=True), joint.sum(axis=-1)
    rng = np.random.default_rng([fc.seed, INTERVAL_STREAM, stream])
    probs, log_odds, _ = item.draws(rng.standard_normal((q.shape[0], 1 + len(item.effects))))
    return tilted_outcomes(q, probs, log_odds), probs


def risk_register(fc: Forecast) -> pd.DataFrame:
    """Every risk's probability and what it does, sorted by impact (``risks.csv``).

    One row per risk and outcome, prediction or market (``kind``, ``id``): ``now``
    (without the risk's own observation), ``if_happens``/``if_not`` with their MCSE,
    for outcomes the 90% interval of ``if_happens`` over the draws (the outcome
    probabilities' own spread and the risk's uncertain inputs together),
    and ``variance_share``: ``p (1 - p) (if_happens - if_not)^2`` over the quantity's
    variance. ``impact`` (per risk) is ``if_happens - if_not`` of the most likely
    outcome, with its 90% interval; risks are sorted by its size, largest first.

    Examples
    --------
    >>> reg = risk_register(fc)  # doctest: +SKIP
    >>> reg.drop_duplicates("risk")[["risk", "probability", "impact"]]  # doctest: +SKIP

    Computed once per forecast (the figures and the report both show it), handed
    out as copies.
    """
    return fc._table("risks", lambda: _register(fc))


def _register(fc: Forecast) -> pd.DataFrame:
    s = fc.scenario
    if not s.risks or not s.assessment:
        return pd.DataFrame(columns=RISK_COLUMNS)
    top = headline_outcome(fc)
    blocks: list[tuple[float, list[dict[str, Any]]]] = []
    for i, (r, item) in enumerate(zip(s.risks, answer_sets(s, ("risk",)), strict=True)):
        seen = item.observed if fc.conditioned else None
        e = answer_effects(fc, item.likelihood, seen)
        post, probs = _interval_draws(fc, item, i, seen)
        p_draws = probs[:, 0]
        swing = post[:, 0, top] - post[:, 1, top]
        impact = float(e.outcome[0, top] - e.outcome[1, top])
        head: dict[str, Any] = {
            "risk": r.id,
            "statement": r.statement,
            "deadline": r.deadline.isoformat(),
            "observed": r.observed if fc.conditioned else None,
            "probability": float(e.p_answer[0]),
            "probability_q05": float(np.quantile(p_draws, 0.05)),
            "probability_q95": float(np.quantile(p_draws, 0.95)),
            "impact": impact,
            "impact_q05": float(np.quantile(swing, 0.05)),
            "impact_q95": float(np.quantile(swing, 0.95)),
        }
        rows = _rows(fc, item, e) + _target_rows(fc, i)
        ks = {o: k for k, o in enumerate(s.outcome_ids)}
        out = []
        for happens, not_ in zip(rows[0::2], rows[1::2], strict=True):
            k = ks.get(happens["id"]) if happens["kind"] == "outcome" else None
            qs = np.quantile(post[:, 0, k], [0.05, 0.95]) if k is not None else (np.nan, np.nan)
            out.append(
                {
                    **head,
                    "kind": happens["kind"],
                    "id": happens["id"],
                    "label": happens["label"],
                    "now": happens["now"],
                    "if_happens": happens["value"],
                    "if_not": not_["value"],
                    "mcse_happens": happens["mcse"],
                    "mcse_not": not_["mcse"],
                    "happens_q05": float(qs[0]),
                    "happens_q95": float(qs[1]),
                    "variance_share": happens["variance_share"],
                }
            )
        blocks.append((abs(impact), out))
    blocks.sort(key=lambda b: -b[0])  # stable: equal impacts keep the file's order
    return pd.DataFrame([row for _, rows in blocks for row in rows], columns=RISK_COLUMNS)


def question_table(fc: Forecast) -> pd.DataFrame:
    """How each answer of each open question would move the outcomes, predictions and
    the headline market, and what the answer is worth (``questions.csv``).

    ``worth`` (per question) is the expected absolute change of the headline
    probability, ``sum_a P(a) |P(top | a) - P(top)|`` with ``top`` the most likely
    outcome; ``worth_mcse`` bounds its Monte Carlo error by ``sum_a P(a) mcse_a``.
    Questions are sorted by worth, largest first.

    Examples
    --------
    >>> question_table(fc).drop_duplicates("question")[["question", "worth"]]  # doctest: +SKIP
    """
    s = fc.scenario
    if not s.questions or not s.assessment:
        return pd.DataFrame(columns=QUESTION_COLUMNS)
    top = headline_outcome(fc)
    labels = {a.id: a.statement or a.id for q in s.questions for a in q.answers}
    blocks: list[tuple[float, list[dict[str, Any]]]] = []
    for q, item in zip(s.questions, answer_sets(s, ("question",)), strict=True):
        seen = item.observed if fc.conditioned else None
        e = answer_effects(fc, item.likelihood, seen)
        move = np.abs(e.outcome[:, top] - e.without[top])
        worth = float(np.nansum(e.p_answer * move))
        head = {
            "question": q.id,
            "statement": q.statement,
            "answered": q.answered if fc.conditioned else None,
            "worth": worth,
            "worth_mcse": float(np.nansum(e.p_answer * e.outcome_mcse[:, top])),
        }
        p_of = dict(zip(item.answers, e.p_answer, strict=True))
        rows = [
            {
                **head,
                "answer": r["answer"],
                "p_answer": float(p_of[r["answer"]]),
                "kind": r["kind"],
                "id": r["id"],
                "label": r["label"] if r["kind"] != "answer" else labels[r["answer"]],
                "now": r["now"],
                "if_answer": r["value"],
                "mcse": r["mcse"],
                "variance_share": r["variance_share"],
            }
            for r in _rows(fc, item, e)
        ]
        blocks.append((worth, rows))
    blocks.sort(key=lambda b: -b[0])
    return pd.DataFrame([row for _, rows in blocks for row in rows], columns=QUESTION_COLUMNS)
