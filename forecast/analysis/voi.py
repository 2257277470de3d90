"""What information is worth before choosing: EVPI, EVPPI and EVSI from the forecast's draws.

Every value is in the payoffs' unit, with its Monte Carlo error. Per draw the engine
knows every uncertain quantity, so each value is "the expected payoff of choosing
after learning something, minus the best expected payoff now" (``max_o E[x_o]``):

EVPI (everything)
    ``E[max_o x_o] - max_o E[x_o]``.
EVPPI of the outcome (exact)
    Group the draws by realized outcome: ``sum_k P(k) max_o E[x_o | k] - max_o E[x_o]``.
EVSI of an information source (exact Bayes on the outcome)
    A source (a signpost, a risk observed, a question) is a list of answers, each with
    its likelihood under every outcome, ``L_a(k)``. The answer depends on nothing but
    the outcome, so its predictive probability is ``P(a) = mean_d L_a(k_d)`` and the
    expected payoff after hearing it reweights the draws by ``L_a(k_d)``:
    ``E[x_o | a] = sum_d L_a(k_d) x_od / sum_d L_a(k_d)``. EVSI is
    ``sum_a P(a) max_o E[x_o | a] - max_o E[x_o]``. On the same draws
    ``EVSI <= EVPPI(outcome) <= EVPI`` holds exactly (Jensen's inequality twice).
EVPPI of one input, EVSI of an evidence plan (regression)
    The nonparametric regression method of Strong, Oakley & Brennan (2014, Med Decis
    Making 34:311) and, for a plan, of Strong et al. (2015, Med Decis Making 35:570):
    regress each option's payoff on the single quantity learned (the input, or a
    simulated observation ``size * exp(rel_error * z)`` of a market in a year, as
    ``[[evidence]]`` observes it) with a natural cubic regression spline on the
    quantity's normal scores (``SPLINE_KNOTS`` knots at its quantiles) in place of a
    GAM. Fitting and evaluating on the same draws would let the fit's noise pose as
    information (the max of noisy means is biased up), so the estimate is
    *cross-fitted*: the draws are split in two halves (each chain's first and second
    half), the rule "choose the option with the highest fitted payoff" is learnt on
    one half and paid out on the other's real payoffs. The value is then the mean of
    a per-draw gain, ``x_{rule(d), d} - x_{best now, d}``; its error is that mean's MCSE.
    This estimate is at most the true value up to its error (a rule learnt from data
    can only be worse than the best one), so an input the payoff does not depend on
    comes out 0 within its error.

The errors of EVPI, EVPPI(outcome) and EVSI are likewise the MCSE of the mean of
their per-draw gains (``max_o x_od - x_{best now, d}``, ``x_{best | k_d, d} - x_{best now, d}``,
and the reweighted form for EVSI) with the chosen options held fixed; the error of
the choice itself is of second order.

Examples
--------
>>> import numpy as np
>>> from forecast.analysis.decision import Payoffs
>>> p = Payoffs(np.array([[10.0, 10, -5, -5], [0.0, 0, 0, 0]]), ("go", "stop"),
...             outcome=np.array([0, 0, 1, 1]), outcome_ids=("up", "down"))
>>> evpi(p).value, evppi_outcome(p).value
(2.5, 2.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.analysis.decision import Payoffs, payoffs_of

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

VOI_COLUMNS = ["item", "kind", "label", "value", "mcse", "method"]
SPLINE_KNOTS = 6  # natural cubic spline knots: 6 knots, 5 degrees of freedom (as a GAM's default k)
PLAN_STREAM = 29  # the seeded stream of the simulated observations of evidence plans

#: an information source: its answers, each with its likelihood under every outcome
Source = Sequence[tuple[str, Sequence[float]]]


@dataclass(frozen=True)
class Estimate:
    """A value of information and its Monte Carlo error, in the payoffs' unit."""

    value: float
    mcse: float


def _best_now(p: Payoffs) -> int:
    return int(np.argmax(p.values.mean(axis=1)))


def _gain(p: Payoffs, gain: np.ndarray) -> Estimate:
    return Estimate(float(gain.mean()), float(p.mcse(gain)))


def evpi(p: Payoffs) -> Estimate:
    """Expected value of perfect information: choose after everything is known.

    Examples
    --------
    >>> p = Payoffs(np.array([[1.0, 3.0], [2.0, 2.0]]), ("a", "b"))
    >>> evpi(p)
    Estimate(value=0.5, mcse=0.5)
    """
    return _gain(p, p.values.max(axis=0) - p.values[_best_now(p)])


def evppi_outcome(p: Payoffs) -> Estimate:
    """Expected value of knowing the outcome outright (exact: draws grouped by outcome).

    Examples
    --------
    >>> p = Payoffs(np.array([[1.0, 3.0], [2.0, 2.0]]), ("a", "b"), outcome=np.array([0, 1]),
    ...             outcome_ids=("x", "y"))
    >>> evppi_outcome(p).value
    0.5
    """
    if p.outcome is None:
        raise ValueError("the forecast has no outcomes")
    k = len(p.outcome_ids)
    choice = np.zeros(k, dtype=int)
    for j in range(k):
        sel = p.outcome == j
        if sel.any():
            choice[j] = int(np.argmax(p.values[:, sel].mean(axis=1)))
    chosen = p.values[choice[p.outcome], np.arange(p.n_draws)]
    return _gain(p, chosen - p.values[_best_now(p)])


def evsi(p: Payoffs, source: Source) -> Estimate:
    """Expected value of hearing one answer of an information source before choosing.

    ``source`` lists ``(answer, likelihood per outcome)``: a signpost is
    ``[("true", L), ("false", 1 - L)]``, a question with N answers has N entries. Exact
    Bayes on the outcome (see the module's docstring).

    Examples
    --------
    >>> p = Payoffs(np.array([[1.0, 3.0], [2.0, 2.0]]), ("a", "b"), outcome=np.array([0, 1]),
    ...             outcome_ids=("x", "y"))
    >>> evsi(p, [("true", [0.0, 1.0]), ("false", [1.0, 0.0])]).value  # a perfect signpost
    0.5
    """
    if p.outcome is None:
        raise ValueError("the forecast has no outcomes")
    base = p.values[_best_now(p)]
    gain = np.zeros(p.n_draws)
    for _, likelihood in source:
        w = np.asarray(likelihood, dtype=float)[p.outcome]
        if w.sum() <= 0:
            continue
        best = int(np.argmax(p.values @ w))
        # sum_a P(a) E[x_best(a) - x_now | a] = mean_d sum_a w_a(d) (x_best(a), d - x_now, d)
        gain += w * (p.values[best] - base)
    return _gain(p, gain)


def _spline_basis(x: np.ndarray, knots: int = SPLINE_KNOTS) -> np.ndarray:
    """A natural cubic regression spline basis of ``x``'s normal scores (Hastie,
    Tibshirani & Friedman, eq. 5.4-5.5), with an intercept."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    # tied values get the same score: the mean rank of their group
    z = ndtri((rankdata(x) - 0.5) / x.size)
    k = np.unique(np.quantile(z, np.linspace(0.05, 0.95, knots)))
    if k.size < 3:
        return np.column_stack([np.ones_like(z), z])

    def d(j: int) -> np.ndarray:
        return (np.maximum(z - k[j], 0) ** 3 - np.maximum(z - k[-1], 0) ** 3) / (k[-1] - k[j])

    cols = [np.ones_like(z), z] + [d(j) - d(k.size - 2) for j in range(k.size - 2)]
    return np.column_stack(cols)


def regression_value(p: Payoffs, x: np.ndarray) -> Estimate:
    """Value of learning the quantity ``x`` (one value per draw) before choosing, by
    cross-fitted spline regression (see the module's docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)
    >>> p = Payoffs(np.stack([x, np.zeros_like(x)]), ("follow_x", "nothing"))
    >>> round(regression_value(p, x).value, 2)  # E[max(x, 0)] = 1/sqrt(2 pi) = 0.40
    0.4
    """
    x = np.asarray(x, dtype=float)
    basis = _spline_basis(x)
    n = p.n_draws
    per_chain = n // max(p.chains, 1)
    fold = (np.arange(n) % per_chain) >= per_chain // 2
    y = p.values.T
    gain = np.empty(n)
    base = p.values[_best_now(p)]
    for f in (False, True):
        train, test = fold == f, fold != f
        b = basis[train]
        # least squares by the normal equations: a few columns, many draws
        coef, *_ = np.linalg.lstsq(b.T @ b, b.T @ y[train], rcond=None)
        rule = np.argmax(basis[test] @ coef, axis=1)
        gain[test] = y[test][np.arange(test.sum()), rule] - base[test]
    return _gain(p, gain)


def plan_observation(size: np.ndarray, rel_error: float, rng: np.random.Generator) -> np.ndarray:
    """A simulated observation of a market size per draw, lognormal as ``[[evidence]]``:
    ``log(obs) = log(size) + rel_error * z``.

    Examples
    --------
    >>> obs = plan_observation(np.full(3, 10.0), 0.0 + 1e-12, np.random.default_rng(0))
    >>> np.allclose(obs, 10.0)
    True
    """
    return np.asarray(np.log(size) + rel_error * rng.standard_normal(size.shape))


def value_of_information(
    fc: Forecast,
    values: Any = None,
    options: list[str] | None = None,
    plans: Sequence[tuple[str, int, float]] | None = None,
    inputs: bool = True,
) -> pd.DataFrame:
    """The value-of-information table of a forecast: EVPI, EVPPI of the outcome and of
    every uncertain input, EVSI of every signpost not yet observed and of each evidence
    plan (``(market, year, rel_error)``; by default the ``[decision]``'s plans).

    Examples
    --------
    >>> fc.value_of_information(plans=[("developer_tools", 2026, 0.1)])  # doctest: +SKIP
    """
    p = payoffs_of(fc, values, options)
    s = fc.scenario
    rows = [_row("everything", "evpi", "Everything, resolved before choosing", evpi(p), "exact on the draws")]
    if p.outcome is not None:
        rows.append(
            _row("outcome", "evppi", "The outcome, known outright", evppi_outcome(p), "exact by outcome")
        )
    for sp in s.signposts:
        if sp.observed is not None and fc.conditioned:
            continue  # already seen: the draws are conditioned on it
        lik = [float(sp.likelihood[k]) for k in s.outcome_ids]
        source = [("true", lik), ("false", [1 - q for q in lik])]
        rows.append(
            _row(f"signpost.{sp.id}", "evsi", sp.statement, evsi(p, source), "exact Bayes on the outcome")
        )
    if inputs:
        from forecast.analysis.sensitivity import input_matrix, uncertain_inputs

        found = uncertain_inputs(fc)
        matrix = input_matrix(fc, found)
        for j, inp in enumerate(found):
            est = regression_value(p, matrix[:, j])
            rows.append(_row(f"input.{inp.key}", "evppi", inp.label, est, "cross-fitted spline regression"))
    rows += _plan_rows(fc, p, plans)
    return pd.DataFrame(rows, columns=VOI_COLUMNS)


def _plan_rows(
    fc: Forecast, p: Payoffs, plans: Sequence[tuple[str, int, float]] | None
) -> list[dict[str, Any]]:
    s = fc.scenario
    decision = getattr(s, "decision", None)
    if plans is None:
        plans = [(pl.market, pl.year, pl.rel_error) for pl in (decision.plans if decision else [])]
    if not plans:
        return []
    size = fc.values("market_size")
    markets, years = [m.id for m in s.markets], [int(y) for y in s.years]
    rng = np.random.default_rng([int(fc.seed), PLAN_STREAM])
    rows = []
    for market, year, rel_error in plans:
        if market not in markets or year not in years:
            raise ValueError(f"plan ({market!r}, {year}): no such market or simulated year")
        obs = plan_observation(size[:, markets.index(market), years.index(year)], rel_error, rng)
        label = f"Observe {s.market(market).label} in {year} (±{rel_error:.0%})"
        est = regression_value(p, obs)
        rows.append(
            _row(
                f"plan.{market}@{year}",
                "evsi",
                label,
                est,
                "cross-fitted regression on a simulated observation",
            )
        )
    return rows


def _row(item: str, kind: str, label: str, est: Estimate, method: str) -> dict[str, Any]:
    return {
        "item": item,
        "kind": kind,
        "label": label,
        "value": est.value,
        "mcse": est.mcse,
        "method": method,
    }
