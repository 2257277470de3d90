"""The risk register and the open questions from draws: known answers.

Two outcomes (0.5 / 0.5) held by a huge confidence, an event prediction with a point
probability per outcome, and a market with no yearly shocks: P(outcome | risk) has
the closed form of tests/engine/test_answers.py, and every tolerance is k x the
Monte Carlo standard error derived here or reported beside the number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.implied import signpost_effects
from forecast.analysis.risks import QUESTION_COLUMNS, RISK_COLUMNS, question_table, risk_register
from forecast.scenario import model_time
from tests.analysis.test_implied import KNOWN as IMPLIED_KNOWN
from tests.engine.test_answers import _two_outcome_closed_form

# the known-answer file of the signpost tests (two outcomes at 0.5, signpost 0.8 / 0.2),
# with a register
KNOWN = (
    IMPLIED_KNOWN
    + """
[[risks]]
id = "big"
statement = "Big risk"
probability = 0.3
deadline = 2026-06-01
effects = [{ outcome = "a", log_odds = 1.0 }]

[[risks]]
id = "none"
statement = "A risk with no effect on the outcomes"
probability = 0.5
deadline = 2026-06-01
effects = [{ outcome = "a", log_odds = 0.0 }]

[[risks]]
id = "growth"
statement = "A risk on growth only"
probability = 0.25
deadline = 2026-06-01
effects = [{ target = "markets.m.cagr", shift = -0.08 }]

[[questions]]
id = "mirror"
statement = "Is S seen?"
answers = [
  { id = "true", likelihood = { a = 0.8, b = 0.2 } },
  { id = "false", likelihood = { a = 0.2, b = 0.8 } },
]
"""
)
PI, HIT = np.array([0.5, 0.5]), np.array([0.9, 0.1])


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path: Path = tmp_path_factory.mktemp("register") / "register.toml"
    path.write_text(KNOWN, encoding="utf-8")
    return forecast.simulate(forecast.load(path))


@pytest.fixture(scope="module")
def register(known: Any) -> Any:
    return risk_register(known)


def _row(df: Any, risk: str, kind: str, id_: str) -> Any:
    return df[(df["risk"] == risk) & (df["kind"] == kind) & (df["id"] == id_)].iloc[0]


def _snis_se(pi: np.ndarray, w: np.ndarray, p_hit: np.ndarray, target: float, n: int) -> float:
    """SE of a self-normalised weighted mean of 0/1 hits: outcome k with probability
    pi[k], weight w[k], hit probability p_hit[k]."""
    sq = p_hit * (1 - target) ** 2 + (1 - p_hit) * target**2
    return float(np.sqrt((pi * w**2 * sq).sum() / (pi * w).sum() ** 2 / n))


def test_one_risk_moves_the_outcome_by_bayes_and_mixes_to_the_stated_marginal(
    known: Any, register: Any
) -> None:
    assert list(register.columns) == RISK_COLUMNS
    r = _row(register, "big", "outcome", "a")
    if_risk, if_not = _two_outcome_closed_form(0.5, 0.3, 1.0)
    # Bayes on the draws' mean m of P(a): m differs from 0.5 by the Dirichlet's spread
    # over the draws, sd sqrt(0.25 / (1e6 + 1) / n); P(a | risk) = m L1 / (m L1 + (1 - m) L0)
    # moves with m at most by its slope, so the tolerance is 4 sd times that slope
    se_m = np.sqrt(0.25 / (1e6 + 1) / known.n_draws)
    lik = np.array([0.3 * if_risk / 0.5, 0.3 * (1 - if_risk) / 0.5])  # P(risk | a), P(risk | b)

    def bayes(m: float, la: float, lb: float) -> float:
        return m * la / (m * la + (1 - m) * lb)

    for value, target, (la, lb) in ((r.if_happens, if_risk, lik), (r.if_not, if_not, 1 - lik)):
        slope = abs(bayes(0.5 + 1e-6, la, lb) - bayes(0.5 - 1e-6, la, lb)) / 2e-6
        assert value == pytest.approx(target, abs=4 * se_m * slope)
    # the mix is the marginal: exactly the draws' mean, and that is the stated 0.5
    assert r.probability * r.if_happens + (1 - r.probability) * r.if_not == pytest.approx(r.now, abs=1e-12)
    assert r.now == pytest.approx(0.5, abs=4 * se_m)
    assert r.probability == pytest.approx(0.3, abs=4 * se_m * abs(lik[0] - lik[1]))
    # impact: on the most likely outcome (a or b: equally likely, so either)
    top = register[(register["risk"] == "big") & (register["kind"] == "outcome")].sort_values("now").iloc[-1]
    assert r.impact == pytest.approx(top.if_happens - top.if_not, abs=1e-15)
    assert abs(r.impact) == pytest.approx(r.if_happens - r.if_not, abs=1e-12)
    # the share of the outcome's variance the risk explains: p (1 - p) d^2 / (P (1 - P)),
    # computed from the same numbers (its own arithmetic, not the estimate's)
    share = r.probability * (1 - r.probability) * (r.if_happens - r.if_not) ** 2 / (r.now * (1 - r.now))
    assert r.variance_share == pytest.approx(share, rel=1e-9)
    assert share == pytest.approx(0.3 * 0.7 * (if_risk - if_not) ** 2 / 0.25, rel=1e-3)


def test_one_risk_moves_a_prediction_through_the_outcome(known: Any, register: Any) -> None:
    r = _row(register, "big", "prediction", "p")
    if_risk, if_not = _two_outcome_closed_form(0.5, 0.3, 1.0)
    lik = np.array([0.3 * if_risk / 0.5, 0.3 * (1 - if_risk) / 0.5])  # P(risk | outcome)
    for value, mcse, post, w in (
        (r.if_happens, r.mcse_happens, if_risk, lik),
        (r.if_not, r.mcse_not, if_not, 1 - lik),
    ):
        target = post * 0.9 + (1 - post) * 0.1
        se = _snis_se(PI, w, HIT, target, known.n_draws)
        assert value == pytest.approx(target, abs=4 * se)
        assert mcse == pytest.approx(se, rel=0.1)  # the reported error is the derived one


def test_a_risk_with_zero_effect_moves_nothing(register: Any) -> None:
    sub = register[register["risk"] == "none"]
    for r in sub.itertuples():
        assert r.if_happens == pytest.approx(r.if_not, abs=1e-12), r.id
        assert r.if_happens == pytest.approx(r.now, abs=1e-12), r.id
    assert (sub["variance_share"].abs() < 1e-20).all() and (sub["impact"] == 0).all()


def test_a_growth_risk_moves_the_market_by_its_centred_shift(register: Any) -> None:
    r = _row(register, "growth", "market", "market.m@2027")
    # no outcome effect: the same draws either way, each grown by its answer's shift from
    # as_of (about 2024.5 on the model's time axis: a year's figure is at mid-year) to 2027
    c, p, d = 0.25, 0.25, -0.08
    years = 2027 - model_time(dt.date(2025, 1, 1))
    assert years == pytest.approx(2.5, abs=0.01)
    ratio = np.exp((np.log1p(c + d * (1 - p)) - np.log1p(c - d * p)) * years)
    assert r.if_happens / r.if_not == pytest.approx(ratio, rel=1e-9)
    assert _row(register, "growth", "outcome", "a").impact == pytest.approx(0.0, abs=1e-12)


def test_the_register_is_sorted_by_impact(register: Any) -> None:
    order = list(dict.fromkeys(register["risk"]))
    impact = register.drop_duplicates("risk").set_index("risk")["impact"].abs()
    assert order[0] == "big" and list(impact[order]) == sorted(impact, reverse=True)


def test_a_two_answer_question_is_the_signpost_it_mirrors(known: Any) -> None:
    q = question_table(known)
    assert list(q.columns) == QUESTION_COLUMNS
    sp = signpost_effects(known)
    for ans, col in (("true", "if_true"), ("false", "if_false")):
        mine = q[(q["answer"] == ans) & (q["kind"] != "market")]
        # the same code on likelihoods equal up to the rounding of 1 - 0.8 against 0.2
        assert mine["if_answer"].to_numpy() == pytest.approx(sp[col].to_numpy(), abs=1e-12)
        assert mine["mcse"].to_numpy() == pytest.approx(sp[col.replace("if", "mcse")].to_numpy(), rel=1e-9)
    assert q["p_answer"].iloc[0] == sp["p_true"].iloc[0]
    # worth: expected absolute move of the most likely outcome (a)
    a = sp[sp["id"] == "a"].iloc[0]
    p = a.p_true
    worth = p * abs(a.if_true - a.now) + (1 - p) * abs(a.if_false - a.now)
    assert q["worth"].iloc[0] == pytest.approx(worth, abs=1e-12)


def test_an_observed_risk_updates_the_odds_by_exact_bayes_under_nuts() -> None:
    """NUTS on the seed with one risk observed: the outcome probabilities are
    ``pi_k L_k / sum_j pi_j L_j`` with ``L = P(happens | outcome)`` (exact whatever the
    Dirichlet's spread: the potential is ``log sum_k q_k L_k``), and the register's row
    of that risk starts from the odds without it."""
    from forecast.engine.answers import answer_sets

    s = forecast.load(forecast.bundled()).with_overrides(
        {"risks.middle_ground.observed": True, "simulation.draws": 1000}
    )
    fc = forecast.simulate(s, seed=3)
    assert fc.conditioned
    lik = next(a for a in answer_sets(s, ("risk",)) if a.id == "middle_ground").likelihood[0]
    pi = np.array([0.40, 0.35, 0.25])
    exact = pi * lik / (pi @ lik)
    out = fc.outcomes()
    for k in range(3):
        assert out["probability"].iloc[k] == pytest.approx(exact[k], abs=4 * out["mcse"].iloc[k])
    rows = risk_register(fc)
    rows = rows[(rows["risk"] == "middle_ground") & (rows["kind"] == "outcome")]
    assert rows["observed"].tolist() == [True] * 3
    # the draws' odds, undone by the likelihood, are the stated ones again (exactly the
    # arithmetic of the signposts' table), and "if it happens" is the update itself
    assert rows["now"].to_numpy() == pytest.approx(pi, abs=4 * out["mcse"].max() / lik.min())
    assert rows["if_happens"].to_numpy() == pytest.approx(out["probability"].to_numpy(), abs=1e-12)
