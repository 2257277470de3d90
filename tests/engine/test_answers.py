"""Risks and questions as answers with likelihoods: known answers by Bayes.

Closed forms, no sampling: the tilt of one risk on two outcomes solves a quadratic,
its mix is the stated marginal, a zero effect moves nothing, an observed risk is the
observed signpost with the same likelihoods, and a two-answer question is the
signpost it mirrors.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine.answers import answer_likelihoods, answer_posteriors, answer_sets, tilted_outcomes
from forecast.engine.data import model_data


def _two_outcome_closed_form(pi: float, p: float, delta: float) -> tuple[float, float]:
    """P(1 | risk), P(1 | no risk) for a risk of probability p adding delta to outcome
    1's log-odds, with marginal pi: the base odds u solve
    e (1 - pi) u^2 + (p e + 1 - p - pi - pi e) u - pi = 0 (e = exp(delta))."""
    e = np.exp(delta)
    a, b, c = e * (1 - pi), p * e + 1 - p - pi - pi * e, -pi
    u = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    return u * e / (1 + u * e), u / (1 + u)


@pytest.mark.parametrize(("pi", "p", "delta"), [(0.4, 0.3, 1.0), (0.25, 0.6, -2.0), (0.9, 0.05, 3.0)])
def test_one_risk_on_two_outcomes_is_bayes_and_mixes_to_the_stated_marginal(
    pi: float, p: float, delta: float
) -> None:
    post = tilted_outcomes(np.array([pi, 1 - pi]), np.array([p, 1 - p]), np.array([[delta, 0.0], [0.0, 0.0]]))
    if_risk, if_not = _two_outcome_closed_form(pi, p, delta)
    # the fixed point stops at a step below 1e-13 in log: far inside 1e-10
    assert post[0, 0] == pytest.approx(if_risk, abs=1e-10)
    assert post[1, 0] == pytest.approx(if_not, abs=1e-10)
    assert p * post[0, 0] + (1 - p) * post[1, 0] == pytest.approx(pi, abs=1e-12)
    # the odds ratio between the two answers is exp(delta), as the effect says
    odds = post[:, 0] / post[:, 1]
    assert odds[0] / odds[1] == pytest.approx(np.exp(delta), rel=1e-9)
    # P(risk | outcome) by Bayes, and back: P(outcome | risk) from it
    lik = answer_likelihoods(
        np.array([pi, 1 - pi]), np.array([p, 1 - p]), np.array([[delta, 0.0], [0.0, 0.0]])
    )
    assert lik[0, 0] == pytest.approx(p * if_risk / pi, rel=1e-9)
    p_answer, back = answer_posteriors(np.array([pi, 1 - pi]), lik)
    assert p_answer == pytest.approx([p, 1 - p], abs=1e-12)
    assert back[0, 0] == pytest.approx(if_risk, abs=1e-10)


def test_three_outcomes_keep_the_marginal_and_zero_effect_moves_nothing() -> None:
    pi = np.array([0.4, 0.35, 0.25])
    probs = np.array([0.2, 0.5, 0.3])
    d = np.array([[1.5, 0.0, -0.5], [0.0, 0.0, 0.0], [0.0, 0.7, 0.0]])
    post = tilted_outcomes(pi, probs, d)
    assert probs @ post == pytest.approx(pi, abs=1e-12)
    assert answer_likelihoods(pi, probs, d).sum(axis=0) == pytest.approx(np.ones(3), abs=1e-12)
    flat = answer_likelihoods(pi, probs, np.zeros((3, 3)))
    assert np.allclose(flat, probs[:, None], atol=1e-15)  # the answer says nothing of the outcome
    # the same shift of every answer is no effect at all
    assert tilted_outcomes(pi, probs, d + 0.8) == pytest.approx(post, abs=1e-12)


def test_it_vectorizes_over_draws() -> None:
    rng = np.random.default_rng(1)
    prior = rng.dirichlet([4, 3, 2], size=50)
    probs = np.stack([np.full(50, 0.3), np.full(50, 0.7)], axis=-1)
    d = rng.normal(size=(50, 2, 3))
    post = tilted_outcomes(prior, probs, d)
    for i in (0, 17, 49):
        assert post[i] == pytest.approx(tilted_outcomes(prior[i], probs[i], d[i]), abs=1e-12)
    assert np.einsum("na,nak->nk", probs, post) == pytest.approx(prior, abs=1e-12)


@pytest.fixture(scope="module")
def seed_raw() -> dict[str, Any]:
    return forecast.load(forecast.bundled()).raw


def _scenario(raw: dict[str, Any], **items: Any) -> Any:
    return forecast.Scenario.from_dict({**copy.deepcopy(raw), **items})


def test_a_register_does_not_move_the_model(seed_raw: dict[str, Any]) -> None:
    """Unobserved risks and questions leave every array of the model as it was: the
    stated 40/35/25 stay the marginal odds, exactly."""
    bare = _scenario(seed_raw, risks=[], questions=[])
    with_register = _scenario(seed_raw)
    assert with_register.risks and with_register.questions
    a, b = model_data(bare), model_data(with_register)
    assert a.coords == b.coords
    for name, arr in a.arrays().items():
        assert np.array_equal(arr, b.arrays()[name]), name


def _observed_rows(s: Any) -> tuple[np.ndarray, np.ndarray]:
    d = model_data(s)
    return d.obs_signpost_l, d.obs_signpost


def test_an_observed_risk_is_the_observed_signpost_with_its_likelihoods(seed_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(seed_raw)
    risks = raw["risks"]
    risks[0]["observed"] = True
    risks[2]["observed"] = False
    s = _scenario(raw, signposts=[])
    assert s.has_evidence
    items = {a.id: a for a in answer_sets(s, ("risk",))}
    lik = [items[risks[0]["id"]].likelihood[0], items[risks[2]["id"]].likelihood[0]]
    twin = _scenario(
        raw,
        risks=[],
        signposts=[
            {
                "id": f"s{i}",
                "statement": "s",
                "likelihood": dict(zip(s.outcome_ids, map(float, lk), strict=True)),
                "observed": seen,
            }
            for i, (lk, seen) in enumerate(zip(lik, (True, False), strict=True))
        ],
    )
    l_risk, o_risk = _observed_rows(s)
    l_sign, o_sign = _observed_rows(twin)
    # as data: a risk that happened is "seen" with P(happens | k); one that did not, 1 - that
    seen = np.where(o_risk[:, None] == 1, l_risk, 1 - l_risk)
    seen_sign = np.where(o_sign[:, None] == 1, l_sign, 1 - l_sign)
    assert seen == pytest.approx(seen_sign, abs=1e-15)
    # the exact update is the same
    pi = np.array([0.4, 0.35, 0.25])
    w = seen.prod(axis=0)
    assert pi * w / (pi @ w) == pytest.approx(pi * seen_sign.prod(axis=0) / (pi @ seen_sign.prod(axis=0)))


def test_a_two_answer_question_is_the_signpost_it_mirrors(seed_raw: dict[str, Any]) -> None:
    sp = seed_raw["signposts"][0]
    lik = sp["likelihood"]
    q = {
        "id": "mirror",
        "statement": sp["statement"],
        "answers": [
            {"id": "true", "likelihood": dict(lik)},
            {"id": "false", "likelihood": {k: 1 - v for k, v in lik.items()}},
        ],
    }
    s = _scenario(seed_raw, questions=[q])
    as_question = answer_sets(s, ("question",))[0]
    as_signpost = answer_sets(s, ("signpost",))[0]
    assert as_question.likelihood == pytest.approx(as_signpost.likelihood, abs=1e-15)
    # answered "true" conditions the model exactly as the signpost observed true does
    answered = _scenario(seed_raw, questions=[{**q, "answered": "true"}], signposts=[])
    observed = _scenario(seed_raw, questions=[], signposts=[{**sp, "observed": True}])
    l_q, o_q = _observed_rows(answered)
    l_s, o_s = _observed_rows(observed)
    assert l_q == pytest.approx(l_s, abs=1e-15) and list(o_q) == list(o_s) == [1]


def test_an_observed_growth_risk_moves_the_market_by_its_centred_shift(seed_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(seed_raw)
    geo = next(r for r in raw["risks"] if r["id"] == "geopolitics")
    base = model_data(_scenario(raw))
    geo["observed"] = True
    seen = model_data(_scenario(raw))
    item = next(a for a in answer_sets(_scenario(raw), ("risk",)) if a.id == "geopolitics")
    p, _, shift = item.at_medians()
    j = [m["id"] for m in raw["markets"]].index("enterprise_llm_apis")
    cagr = np.expm1(base.drift_mu[j])
    # happens: the CAGR moves by shift (1 - p), so that p (1 - p) s - (1 - p) p s = 0 on average
    assert shift[0, j] == pytest.approx((1 - p[0]) * item.effects[-1][3].quantile(0.5), rel=1e-12)
    assert seen.drift_mu[j] == pytest.approx(np.log1p(cagr + shift[0, j]), rel=1e-12)
    others = [i for i in range(len(raw["markets"])) if i != j]
    assert np.array_equal(seen.drift_mu[others], base.drift_mu[others])
