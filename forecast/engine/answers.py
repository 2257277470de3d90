"""Risks, questions and signposts as one thing: a set of answers with likelihoods.

Every item of a scenario that can be "seen" is a set of exclusive answers ``a`` with
a likelihood under every outcome, ``L[a, k] = P(a | k)`` (summing to 1 over ``a``):

- a **signpost**: the answers *true* (its likelihood) and *false* (one minus it);
- a **question** with likelihoods: its answers' likelihoods as written;
- a **risk** (answers *happens* / *not*) or a **question** with effects: each answer
  ``a`` has a probability ``p_a`` and shifts the outcomes' log-odds by ``d[a, k]``.
  The outcome probabilities given an answer are ``softmax(b + d[a])``, with ``b``
  such that their mix is the prior: ``sum_a p_a softmax(b + d[a]) = prior`` (the
  stated probabilities stay the marginal ones, as with drivers); then ``L[a, k] =
  p_a softmax(b + d[a])_k / prior_k`` by Bayes.

Seeing an answer updates the outcome probabilities as an observed signpost does
(:func:`forecast.engine.model.build_model`): the model's observed-signpost rows
carry every observed risk and answered question too (:func:`with_observed_answers`).
Pure numpy: no PyMC.

Examples
--------
>>> import numpy as np
>>> post = tilted_outcomes(np.array([0.4, 0.6]), np.array([0.3, 0.7]), np.array([[1.0, 0.0], [0.0, 0.0]]))
>>> np.round(0.3 * post[0] + 0.7 * post[1], 12).tolist()
[0.4, 0.6]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.scenario.inputs import Canonical, Family

if TYPE_CHECKING:
    from forecast.scenario import Scenario
    from forecast.scenario.risks import Effect

TILT_STEPS = 500
TILT_TOL = 1e-13
TINY = 1e-300


def tilted_outcomes(prior: np.ndarray, probs: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    """``P(outcome | answer)``: ``softmax(b + log_odds[a])`` with ``b`` such that the
    answers' mix, weighted by ``probs``, is ``prior``.

    Parameters
    ----------
    prior : (..., K) outcome probabilities (the stated ones, or one draw's)
    probs : (..., A) the answers' probabilities (summing to 1)
    log_odds : (..., A, K) each answer's shift of each outcome's log-odds

    Returns
    -------
    (..., A, K) array; each row sums to 1.

    Examples
    --------
    >>> tilted_outcomes(np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.zeros((2, 2))).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    prior = np.asarray(prior, dtype=float)
    probs = np.asarray(probs, dtype=float)
    log_odds = np.asarray(log_odds, dtype=float)
    n_a, n_k = log_odds.shape[-2:]
    if max(n_a, n_k) >= _SEQUENTIAL:
        return _tilted_plain(np.clip(prior, TINY, None), probs, log_odds)
    # outcome-major copies, every slice contiguous, the small axes summed slice by slice
    # and everything in place: at 1e6 draws numpy's reductions over an axis of 2 or 3
    # were most of a run's CPU, and each temporary ~50 MB. The same bits (each element's
    # arithmetic in the same order: tests/engine/test_tilt_cost.py).
    batch = np.broadcast_shapes(prior.shape[:-1], probs.shape[:-1], log_odds.shape[:-2])

    def draws_last(x: np.ndarray, tail: tuple[int, ...]) -> np.ndarray:
        flat = np.broadcast_to(x, (*batch, *tail)).reshape(-1, *tail)
        return np.moveaxis(flat, 0, -1).copy()  # C order: each draw-axis row contiguous

    p, w, d = draws_last(prior, (n_k,)), draws_last(probs, (n_a,)), draws_last(log_odds, (n_a, n_k))
    np.clip(p, TINY, None, out=p)
    b = np.log(p)  # (K, N)
    post = _softmax_draws_last(np.add(b, d))  # (A, K, N)
    step = np.empty_like(b)
    for _ in range(TILT_STEPS):
        # ``post`` is scratch until it is computed again from ``b``
        np.multiply(w[0], post[0], out=step)
        for a in range(1, n_a):
            step += np.multiply(w[a], post[a], out=post[a])
        np.clip(step, TINY, None, out=step)
        np.log(np.divide(p, step, out=step), out=step)
        b += step
        largest = np.max(np.abs(step, out=post[0]))
        post = _softmax_draws_last(np.add(b, d, out=post))
        if largest < TILT_TOL:
            break
    return np.moveaxis(post, -1, 0).reshape(*batch, n_a, n_k)


#: below this many terms numpy adds an axis's terms one after another (its pairwise sum
#: starts at 8), so a sum slice by slice gives its bits
_SEQUENTIAL = 8


def _softmax_draws_last(x: np.ndarray) -> np.ndarray:
    """Softmax over axis -2 of (A, K, N), in place (``x`` is overwritten and returned)."""
    top = x[:, 0].copy()
    for k in range(1, x.shape[1]):
        np.maximum(top, x[:, k], out=top)
    x -= top[:, None, :]
    np.exp(x, out=x)
    np.copyto(top, x[:, 0])  # now the total
    for k in range(1, x.shape[1]):
        top += x[:, k]
    x /= top[:, None, :]
    return x


def _tilted_plain(prior: np.ndarray, probs: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    """:func:`tilted_outcomes` by numpy's reductions (eight or more answers or outcomes)."""

    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
        return out

    b = np.log(prior)
    post = softmax(b[..., None, :] + log_odds)
    for _ in range(TILT_STEPS):
        mix = (probs[..., :, None] * post).sum(axis=-2)
        step = np.log(prior / np.clip(mix, TINY, None))
        b = b + step
        post = softmax(b[..., None, :] + log_odds)
        if np.max(np.abs(step)) < TILT_TOL:
            break
    return post


def answer_likelihoods(prior: np.ndarray, probs: np.ndarray, log_odds: np.ndarray) -> np.ndarray:
    """``P(answer | outcome)`` (..., A, K) of answers given by probabilities and log-odds
    effects, by Bayes from :func:`tilted_outcomes`.

    Examples
    --------
    >>> L = answer_likelihoods(np.array([0.4, 0.6]), np.array([0.3, 0.7]), np.array([[1.0, 0], [0, 0]]))
    >>> np.round(L.sum(axis=0), 12).tolist()  # every outcome: the answers' likelihoods sum to 1
    [1.0, 1.0]
    """
    post = tilted_outcomes(prior, probs, log_odds)
    prior = np.clip(np.asarray(prior, dtype=float), TINY, None)
    out: np.ndarray = np.asarray(probs, dtype=float)[..., :, None] * post / prior[..., None, :]
    return out


def answer_posteriors(prior: np.ndarray, likelihood: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per answer: its predictive probability and the outcome probabilities given it.

    ``P(a) = sum_k prior_k L[a, k]`` and ``P(k | a) = prior_k L[a, k] / P(a)`` (exact
    Bayes). The building block of a question's value (expected change of a
    probability, or of a decision's value, over its answers).

    Parameters
    ----------
    prior : (..., K) outcome probabilities
    likelihood : (A, K) or (..., A, K) ``P(answer | outcome)``

    Returns
    -------
    p_answer : (..., A)
    posterior : (..., A, K); a row of an impossible answer (``P(a) = 0``) is NaN

    Examples
    --------
    >>> p, post = answer_posteriors(np.array([0.5, 0.5]), np.array([[0.8, 0.2], [0.2, 0.8]]))
    >>> p.tolist(), post[0].tolist()
    ([0.5, 0.5], [0.8, 0.2])
    """
    prior = np.asarray(prior, dtype=float)
    joint = prior[..., None, :] * np.asarray(likelihood, dtype=float)
    p = joint.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = joint / p[..., None]
    return p, post


@dataclass(frozen=True)
class AnswerSet:
    """One risk, question or signpost as answers (see the module docstring).

    ``likelihood`` is ``P(answer | outcome)`` at the file's own numbers (the stated
    outcome probabilities, every input at its median): what an observation of it
    conditions on. ``probability`` holds each answer's probability input (effects
    form; ``None`` in the likelihood form), ``effects`` ``(answer, kind, index,
    input)`` with kind ``outcome`` (index of the outcome) or ``market``.
    """

    kind: str
    id: str
    statement: str
    answers: tuple[str, ...]
    likelihood: np.ndarray
    observed: int | None
    probability: tuple[Canonical, ...] | None = None
    effects: tuple[tuple[int, str, int, Canonical], ...] = ()

    def draws(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The inputs at standard-normal latents ``z`` (n, 1 + effects): answer
        probabilities (n, A), log-odds (n, A, K) and CAGR shifts (n, A, M), the shifts
        centred so that their mean over the answers is 0 (the stated CAGR is the
        marginal one). Needs :attr:`probability` (the effects form)."""
        assert self.probability is not None
        n, n_a = z.shape[0], len(self.answers)
        probs = np.stack([c.transform(z[:, 0]) for c in self.probability], axis=-1)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        n_k = self.likelihood.shape[1]
        n_m = 1 + max([i for _, kind, i, _ in self.effects if kind == "market"], default=-1)
        log_odds, shift = np.zeros((n, n_a, n_k)), np.zeros((n, n_a, n_m))
        for j, (a, kind, i, c) in enumerate(self.effects):
            target = log_odds if kind == "outcome" else shift
            target[:, a, i] += c.transform(z[:, 1 + j])
        shift = shift - (probs[:, :, None] * shift).sum(axis=1, keepdims=True)
        return probs, log_odds, shift

    def at_medians(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`draws` with every input at its median (one row dropped)."""
        probs, log_odds, shift = self.draws(np.zeros((1, 1 + len(self.effects))))
        return probs[0], log_odds[0], shift[0]


def answer_sets(s: Scenario, kinds: tuple[str, ...] = ("risk", "question", "signpost")) -> list[AnswerSet]:
    """The scenario's risks, questions and signposts as :class:`AnswerSet` (in that order).

    Examples
    --------
    >>> import forecast
    >>> [a.answers for a in answer_sets(forecast.load(forecast.bundled()), ("signpost",))]
    [('true', 'false')]
    """
    if not s.assessment:
        return []
    stated = np.array([float(o.probability.value or 0.0) for o in s.assessment.outcomes])
    out: list[AnswerSet] = []
    if "risk" in kinds:
        for r in s.risks:
            p = r.probability.canonical("unit")
            not_p = _complement(p)
            # effects on inputs and metrics are drawn in the graph (forecast.engine.risk_effects)
            effects = tuple(_effect(s, 0, e) for e in r.effects if e.kind in ("outcome", "market"))
            seen = None if r.observed is None else (0 if r.observed else 1)
            out.append(
                _effects_form(
                    "risk", r.id, r.statement, ("happens", "not"), (p, not_p), effects, seen, stated
                )
            )
    if "question" in kinds:
        for q in s.questions:
            ids = tuple(a.id for a in q.answers)
            seen = None if q.answered is None else ids.index(q.answered)
            if q.answers[0].likelihood is not None:
                lik = np.array([[a.likelihood[k] for k in s.outcome_ids] for a in q.answers if a.likelihood])
                out.append(AnswerSet("question", q.id, q.statement, ids, lik, seen))
                continue
            probs = tuple(Canonical(Family.NORMAL, float(a.probability or 0.0), 0.0) for a in q.answers)
            effects = tuple(_effect(s, i, e) for i, a in enumerate(q.answers) for e in a.effects)
            out.append(_effects_form("question", q.id, q.statement, ids, probs, effects, seen, stated))
    if "signpost" in kinds:
        for sp in s.signposts:
            lik = np.array([sp.likelihood[k] for k in s.outcome_ids], dtype=float)
            seen = None if sp.observed is None else (0 if sp.observed else 1)
            out.append(
                AnswerSet("signpost", sp.id, sp.statement, ("true", "false"), np.stack([lik, 1 - lik]), seen)
            )
    return out


def _effects_form(
    kind: str,
    id_: str,
    statement: str,
    answers: tuple[str, ...],
    probs: tuple[Canonical, ...],
    effects: tuple[tuple[int, str, int, Canonical], ...],
    seen: int | None,
    stated: np.ndarray,
) -> AnswerSet:
    item = AnswerSet(
        kind, id_, statement, answers, np.zeros((len(answers), len(stated))), seen, probs, effects
    )
    p, log_odds, _ = item.at_medians()
    return replace(item, likelihood=answer_likelihoods(stated, p, log_odds))


def _complement(c: Canonical) -> Canonical:
    """``1 - x`` of a probability input, on the same latent (so the two sum to 1)."""
    if c.family == Family.LOGITNORMAL:
        return Canonical(Family.LOGITNORMAL, -c.a, -c.b)
    if c.family == Family.NORMAL:
        return Canonical(Family.NORMAL, 1.0 - c.a, -c.b)
    if c.family == Family.UNIFORM:
        return Canonical(Family.UNIFORM, 1.0 - c.a, 1.0 - c.b)
    raise ValueError(f"a probability input of family {c.family.name} has no complement here")


def _effect(s: Scenario, answer: int, e: Effect) -> tuple[int, str, int, Canonical]:
    if e.kind == "outcome":
        assert e.outcome is not None and e.log_odds is not None
        return answer, "outcome", s.outcome_ids.index(e.outcome), e.log_odds.canonical("real")
    assert e.shift is not None
    ids = [m.id for m in s.markets]
    return answer, "market", ids.index(str(e.market)), e.shift.canonical("real")


def with_observed_answers(data: Any, s: Scenario) -> Any:
    """``data`` (a :class:`~forecast.engine.data.ModelData`) with every observed risk and
    answered question appended to the observed-signpost rows (one row, observed
    "true", with the seen answer's likelihood), and the CAGR shifts of the seen
    answers on the markets' drift. Unchanged when nothing of the kind is observed.

    Examples
    --------
    >>> import forecast
    >>> from forecast.engine.data import model_data
    >>> d = model_data(forecast.load(forecast.bundled()))
    >>> with_observed_answers(d, forecast.load(forecast.bundled())) is d
    True
    """
    seen = [a for a in answer_sets(s, ("risk", "question")) if a.observed is not None]
    if not seen:
        return data
    rows = np.stack([a.likelihood[a.observed] for a in seen if a.observed is not None])
    drift = data.drift_mu.copy()
    for a in seen:
        assert a.observed is not None
        if a.probability is None:
            continue
        _, _, shift = a.at_medians()
        for m in range(shift.shape[1]):
            cagr = float(np.expm1(data.drift_mu[m]))
            drift[m] += np.log1p(cagr + shift[a.observed, m]) - np.log1p(cagr)
    ids = [f"{a.kind}s.{a.id}" for a in seen]
    return replace(
        data,
        coords={**data.coords, "observed_signpost": [*data.coords["observed_signpost"], *ids]},
        obs_signpost_l=np.concatenate([data.obs_signpost_l, rows]),
        obs_signpost=np.concatenate([data.obs_signpost, np.ones(len(rows), dtype=np.int64)]),
        drift_mu=drift,
    )
