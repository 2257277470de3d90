"""What seeing one answer would do: the "if observed" reading of a signpost, a risk or
an open question, from a :class:`~forecast.analysis.results.Forecast`'s draws.

One implementation for the three (:mod:`forecast.engine.answers` makes each a set of
answers with ``L[a, k] = P(answer | outcome)``): the outcome probabilities by exact
Bayes on the mean outcome probabilities, ``P(k | a) = L[a, k] m_k / sum_j L[a, j] m_j``,
and every prediction by reweighting each draw by the likelihood of its realized
outcome, ``P(hit | a) = sum_d w_d hit_d / sum_d w_d`` with ``w_d = L[a, outcome_d]``
(an answer depends only on the outcome). When NUTS already conditioned on the item,
the draws are first reweighted by ``1 / L[seen, k]``, so the table says what each
answer would do from the odds without it, not a second update on the same news.

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000)  # doctest: +SKIP
>>> lik = np.array([[0.75, 0.45, 0.15], [0.25, 0.55, 0.85]])
>>> answer_effects(fc, lik, None).outcome[0]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast


@dataclass(frozen=True)
class AnswerEffects:
    """The "if observed" numbers of one item with ``A`` answers, ``K`` outcomes and
    ``P`` predictions (``pred_*`` are empty without predictions).

    ``p_answer`` (A,): each answer's probability (from the odds without the item);
    ``without``/``now`` (K,): outcome probabilities without the item's observation and
    as the draws have them; ``outcome``/``outcome_mcse`` (A, K): given each answer, with
    Monte Carlo standard errors (NaN for an impossible answer); the same for
    predictions in ``pred_without``, ``pred_now``, ``pred`` and ``pred_mcse``;
    ``weights`` (A, draws): each draw's weight under each answer (for other readings
    of the draws, such as a market's size given the answer).
    """

    p_answer: np.ndarray
    without: np.ndarray
    now: np.ndarray
    outcome: np.ndarray
    outcome_mcse: np.ndarray
    pred_without: np.ndarray
    pred_now: np.ndarray
    pred: np.ndarray
    pred_mcse: np.ndarray
    weights: np.ndarray


def answer_effects(fc: Forecast, lik: np.ndarray, observed: int | None) -> AnswerEffects:
    """Outcome and prediction probabilities given each answer of an item.

    Parameters
    ----------
    fc : Forecast
    lik : (A, K) ``P(answer | outcome)``
    observed : index of the answer the draws were conditioned on (NUTS), else None

    Examples
    --------
    >>> eff = answer_effects(fc, np.array([[0.8, 0.2], [0.2, 0.8]]), None)  # doctest: +SKIP
    >>> eff.p_answer.sum()  # doctest: +SKIP
    1.0
    """
    q = fc.values("outcome_probability")  # (n, K)
    m = q.mean(axis=0)
    seen = np.ones_like(m) if observed is None else lik[observed]
    undo = np.divide(1.0, seen, out=np.zeros_like(seen), where=seen > 0)
    base = m * undo
    base = base / base.sum()
    n_a = lik.shape[0]
    outcome = np.full((n_a, len(m)), np.nan)
    outcome_mcse = np.full_like(outcome, np.nan)
    for i in range(n_a):
        a = lik[i] * undo
        scale = float(a @ m)
        if scale <= 0:
            continue
        outcome[i] = a * m / scale
        # influence of each draw on p_k = a_k m_k / sum_j a_j m_j
        g = (a[None, :] * q - outcome[i][None, :] * (q @ a)[:, None]) / scale
        outcome_mcse[i] = fc._mcse("outcome_probability", g)
    realized = fc.values("realized_outcome").astype(int)
    weights = np.stack([(lik[i] * undo)[realized] for i in range(n_a)])
    if fc.scenario.predictions:
        hit = fc.values("prediction_hit").astype(float)  # (n, P)
        pred_without = _weighted(fc, undo[realized], hit)[0]
        pairs = [_weighted(fc, w, hit) for w in weights]
        pred, pred_mcse = np.stack([p for p, _ in pairs]), np.stack([e for _, e in pairs])
        pred_now = hit.mean(axis=0)
    else:
        pred_without = pred_now = np.zeros(0)
        pred = pred_mcse = np.zeros((n_a, 0))
    return AnswerEffects(
        lik @ base, base, m, outcome, outcome_mcse, pred_without, pred_now, pred, pred_mcse, weights
    )


def _weighted(fc: Forecast, w: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Self-normalised weighted mean of each prediction's hits, with its MCSE."""
    total = w.sum()
    if total <= 0:
        return np.full(hit.shape[1], np.nan), np.full(hit.shape[1], np.nan)
    p = (w @ hit) / total
    g = w[:, None] * (hit - p[None, :]) / w.mean()
    return p, fc._mcse("prediction_hit", g)


def weighted_mean(fc: Forecast, w: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """``sum_d w_d x_d / sum_d w_d`` for one number per draw, with its MCSE (delta
    method, autocorrelation-aware after NUTS).

    Examples
    --------
    >>> weighted_mean(fc, np.ones(fc.n_draws), fc.values("total_market")[:, -1])  # doctest: +SKIP
    """
    total = float(w.sum())
    if total <= 0:
        return float("nan"), float("nan")
    mean = float(w @ x) / total
    g = w * (x - mean) / w.mean()
    # a mean in the quantity's own unit (USD bn, an input's): no rule-of-three floor
    sd = fc._mcse("realized_outcome", g.astype(float), floor=False)
    return mean, float(np.asarray(sd).reshape(-1)[0])
