"""The statistics no other known-answer test pinned, on draws written by hand.

Issue 31's audit (tests/README.md, "Every statistic and its known answer") went
through every column of every table; these are the columns it found checked only
against the program itself, or not at all: the metrics table's spread, quantiles and
error, the fans by outcome, the decision table's regret and P(best), the payoff by
outcome, the errors of EVPI and of knowing the outcome, the exceedance table's
error, the risk register's intervals and an input's rows, an open question's worth,
discovery's coverage and the independent sensitivity index (compare's, a sweep's and
the pool's: ``test_statistics_compare_sweep_pool.py``). The scenario is
small and real (loaded from TOML, no model built, no compile); the draws are grids or
a few numbers (stand-ins where a table reads only a few of a forecast's parts), so every
expected value is worked out here, in the comments: ``N`` values ``a + b * (0 .. N -
1)`` have mean ``a + b (N - 1) / 2``, SD (``ddof=1``) ``b sqrt(N (N + 1) / 12)`` and,
with numpy's default (linear) quantiles, ``q``-quantile ``a + b q (N - 1)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.results import Forecast

SMALL = """\
id = "small"
title = "Small, by hand"
as_of = 2025-01-01

[simulation]
end_year = 2027

[[markets]]
id = "m1"
label = "One"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = 0.1

[[markets]]
id = "m2"
label = "Two"
unit = "USD bn"
base_year = 2024
size = 20.0
cagr = 0.2

[assessment]
horizon_years = 2
confidence = 100

[[assessment.outcomes]]
id = "a"
label = "A"
probability = 0.5

[[assessment.outcomes]]
id = "b"
label = "B"
probability = 0.5

[[positions]]
id = "co"
label = "Co share of One"
market = "m1"
path = [
  { at = 2025-01-01, share = 0.1 },
  { at = 2026-01-01, outcome = "a", share = 0.3 },
  { at = 2026-01-01, outcome = "b", share = 0.05 },
]

[[metrics]]
id = "rev_m"
label = "Co revenue"
unit = "USD m"
formula = "revenue.co"

[[metrics]]
id = "total_m"
label = "Co revenue in total"
unit = "USD m"
formula = "sum(metric.rev_m, 2025, 2027)"
"""

YEARS = [2024, 2025, 2026, 2027]
CHAINS = 2


def _grid(rng: np.random.Generator, a: float, b: float, n: int) -> np.ndarray:
    """``a + b * (0 .. n - 1)`` in a random order."""
    return a + b * rng.permutation(n).astype(float)


def _mean(a: float, b: float, n: int) -> float:
    return a + b * (n - 1) / 2


def _sd(b: float, n: int) -> float:
    return b * math.sqrt(n * (n + 1) / 12)


def _quantile(a: float, b: float, q: float, n: int) -> float:
    return a + b * q * (n - 1)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("small") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return forecast.load(path)


def _forecast(scenario: Any, values: dict[str, np.ndarray], chains: int = CHAINS) -> Forecast:
    """A Forecast of ``scenario`` whose forward draws are ``values`` (``chains`` chains)."""
    import xarray as xr

    from forecast.engine.dataset import split, to_dataset

    inputs, predictive = split(to_dataset(scenario, values, chains=chains))
    return Forecast(
        scenario=scenario,
        data=xr.DataTree.from_dict({"prior": inputs, "prior_predictive": predictive}),
        seed=0,
    )


# --- metrics.csv ---------------------------------------------------------------------


def test_each_metric_row_is_the_exact_moments_quantiles_and_error_of_its_draws(small: Any) -> None:
    """``metrics.csv``: mean, SD, the five quantiles and the error of the mean
    ``sd / sqrt(N)`` of a yearly metric (a year without a value has no row) and of a
    metric that is one number."""
    rng, n = np.random.default_rng(1), 200
    yearly = np.stack([_grid(rng, 100.0 + j, 0.5 * (j + 1), n) for j in range(len(YEARS))], axis=1)
    yearly[:, 0] = np.nan  # no value in 2024 (a lag's first year): no row, never a number
    scalar = _grid(rng, -5.0, 0.25, n)
    fc = _forecast(small, {"metric_by_year": yearly[:, None, :], "metric_value": scalar[:, None]})
    table = fc.metrics()
    expected = [("rev_m", y, 100.0 + j, 0.5 * (j + 1)) for j, y in enumerate(YEARS) if j]
    expected.append(("total_m", None, -5.0, 0.25))
    assert len(table) == len(expected)
    for row, (metric, year, a, b) in zip(table.itertuples(), expected, strict=True):
        assert row.metric == metric and (pd_isna(row.year) if year is None else row.year == year)
        assert row.mean == pytest.approx(_mean(a, b, n), rel=1e-12)
        assert row.sd == pytest.approx(_sd(b, n), rel=1e-12)
        for q in (0.05, 0.25, 0.5, 0.75, 0.95):
            assert getattr(row, f"q{round(q * 100):02d}") == pytest.approx(_quantile(a, b, q, n), rel=1e-12)
        assert row.mcse == pytest.approx(_sd(b, n) / math.sqrt(n), rel=1e-12)


def pd_isna(x: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(x))


# --- by_outcome.csv ------------------------------------------------------------------


def test_each_fan_by_outcome_is_the_exact_statistics_of_that_outcomes_draws(small: Any) -> None:
    """``by_outcome.csv``: outcome ``a`` in 120 of 200 draws, ``b`` in 80; under each,
    the share and revenue of each year are a grid of its own, so the probability is
    120 / 200 and 80 / 200 and the mean, SD and quantiles are the grid's; beside the
    probability and the mean, their Monte Carlo errors."""
    from forecast.analysis.implied import position_by_outcome

    rng, n = np.random.default_rng(2), 200
    counts = {0: 120, 1: 80}
    realized = rng.permutation(np.repeat([0, 1], [counts[0], counts[1]]))
    grids = {  # (kind, outcome k, year j) -> (a, b)
        ("share", k, j): (0.01 * (k + 1) * (j + 1), 1e-4 * (j + 1)) for k in (0, 1) for j in range(4)
    } | {("revenue", k, j): (1.0 + k + j, 0.01 * (k + 1)) for k in (0, 1) for j in range(4)}
    arrays = {kind: np.empty((n, 1, len(YEARS))) for kind in ("share", "revenue")}
    for (kind, k, j), (a, b) in grids.items():
        arrays[kind][realized == k, 0, j] = _grid(rng, a, b, counts[k])
    fc = _forecast(small, {"realized_outcome": realized, **arrays})
    table = position_by_outcome(fc)
    assert len(table) == len(grids)
    for row in table.itertuples():
        kind, k, j = row.market.split(".")[0], ["a", "b"].index(row.outcome), YEARS.index(row.year)
        assert row.market == f"{kind}.co"
        a, b = grids[kind, k, j]
        m = counts[k]
        assert row.probability == pytest.approx(m / n, abs=1e-15)
        assert row.mean == pytest.approx(_mean(a, b, m), rel=1e-12)
        assert row.sd == pytest.approx(_sd(b, m), rel=1e-12)
        for q in (0.05, 0.25, 0.5, 0.75, 0.95):
            assert getattr(row, f"q{round(q * 100):02d}") == pytest.approx(_quantile(a, b, q, m), rel=1e-12)
        # the errors: the outcome's frequency is a binomial proportion of n draws (the
        # SD of its indicator, ddof 1, over sqrt(n)); its mean is a ratio of two means
        # over all n draws, whose delta-method influence 1[k] (x - mean) / (m / n) has
        # sum of squares (m - 1) sd^2 (n / m)^2, so its SD (ddof 1) over sqrt(n)
        assert row.probability_mcse == pytest.approx(math.sqrt((m / n) * (1 - m / n) / (n - 1)), rel=1e-12)
        assert row.mcse == pytest.approx(
            math.sqrt((m - 1) * _sd(b, m) ** 2 / (n - 1)) * (n / m) / math.sqrt(n), rel=1e-12
        )


# --- decision.csv, decision_by_outcome.csv, voi.csv ------------------------------------

# three options over four draws; outcome 0 in draws 0 and 2, outcome 1 in draws 1 and 3
PAYOFF = np.array([[1.0, 4.0, 0.0, 3.0], [2.0, 2.0, 2.0, 2.0], [3.0, 4.0, 0.0, 5.0]])
OUTCOME = np.array([0, 1, 0, 1])


def _payoffs() -> Any:
    from forecast.analysis.decision import Payoffs

    return Payoffs(PAYOFF, ("a", "b", "c"), outcome=OUTCOME, outcome_ids=("up", "down"))


def _se(*x: float) -> float:
    """The standard error of the mean of a few numbers, ``sd (ddof=1) / sqrt(n)``."""
    v = np.array(x)
    return float(math.sqrt(((v - v.mean()) ** 2).sum() / (len(v) - 1)) / math.sqrt(len(v)))


def test_regret_and_p_best_are_worked_by_hand_with_a_tie_split() -> None:
    """``decision.csv``: the best payoff per draw is 3 4 2 5, so the regrets are
    a: 2 0 2 2 (mean 1.5), b: 1 2 0 3 (1.5), c: 0 0 2 0 (0.5); the best option per draw
    is c, a and c tied (a half each), b, c: P(best) 1/8, 1/4, 5/8."""
    from forecast.analysis.decision import decision_table

    t = decision_table(_payoffs()).set_index("option")
    assert t["expected"].tolist() == pytest.approx([2.0, 2.0, 3.0])
    assert t["expected_mcse"].tolist() == pytest.approx([_se(1, 4, 0, 3), 0.0, _se(3, 4, 0, 5)])
    assert t["regret"].tolist() == pytest.approx([1.5, 1.5, 0.5])
    assert t["regret_mcse"].tolist() == pytest.approx([_se(2, 0, 2, 2), _se(1, 2, 0, 3), _se(0, 0, 2, 0)])
    assert t["p_best"].tolist() == pytest.approx([0.125, 0.25, 0.625])
    assert t["p_best_mcse"].tolist() == pytest.approx([_se(0, 0.5, 0, 0), _se(0, 0, 1, 0), _se(1, 0.5, 0, 1)])
    # a loss (below 0) in no draw: 0, and its error the SD of zeros
    assert t["p_loss"].tolist() == [0.0, 0.0, 0.0] and t["p_loss_mcse"].tolist() == [0.0, 0.0, 0.0]


def test_the_payoff_by_outcome_is_each_outcomes_mean_with_its_own_error() -> None:
    """``decision_by_outcome.csv``: under "up" (draws 0, 2) a: 1 0, b: 2 2, c: 3 0, b
    best; under "down" (draws 1, 3) a: 4 3, b: 2 2, c: 4 5, c best; each outcome in
    half the draws; the error of a mean of two."""
    from forecast.analysis.decision import by_outcome

    t = by_outcome(_payoffs()).set_index(["outcome", "option"])
    expected = {
        ("up", "a"): (0.5, _se(1, 0), False),
        ("up", "b"): (2.0, 0.0, True),
        ("up", "c"): (1.5, _se(3, 0), False),
        ("down", "a"): (3.5, _se(4, 3), False),
        ("down", "b"): (2.0, 0.0, False),
        ("down", "c"): (4.5, _se(4, 5), True),
    }
    assert len(t) == len(expected)
    for key, (mean, se, best) in expected.items():
        row = t.loc[key]
        assert (row["probability"], row["expected"], row["mcse"]) == pytest.approx((0.5, mean, se)), key
        assert bool(row["best"]) is best, key


def test_the_errors_of_evpi_and_of_knowing_the_outcome_are_those_of_their_gains() -> None:
    """``voi.csv``: c is best now (mean 3). Knowing everything, each draw takes its best
    (3 4 2 5): a gain of 0 0 2 0 over c, EVPI 0.5. Knowing the outcome, "up" picks b
    (mean 2 against 0.5 and 1.5) and "down" c: 2 4 2 5, a gain of -1 0 2 0, 0.25."""
    from forecast.analysis.voi import evpi, evppi_outcome

    everything, outcome = evpi(_payoffs()), evppi_outcome(_payoffs())
    assert (everything.value, everything.mcse) == pytest.approx((0.5, _se(0, 0, 2, 0)))
    assert (outcome.value, outcome.mcse) == pytest.approx((0.25, _se(-1, 0, 2, 0)))


# --- exceedance ----------------------------------------------------------------------


def _markets(small: Any, m1_2027: np.ndarray, q_a: np.ndarray | None = None) -> Forecast:
    """A forecast of ``small`` whose market One in 2027 is ``m1_2027`` (every other
    size 1), and whose P(a) is ``q_a`` (0.5 when not given)."""
    n = len(m1_2027)
    size = np.ones((n, 2, len(YEARS)))
    size[:, 0, -1] = m1_2027
    q = np.full(n, 0.5) if q_a is None else q_a
    return _forecast(
        small,
        {
            "market_size": size,
            "total_market": size.sum(axis=1),
            "share": np.zeros((n, 1, len(YEARS))),
            "revenue": np.zeros((n, 1, len(YEARS))),
            "outcome_probability": np.stack([q, 1 - q], axis=1),
        },
    )


def test_each_exceedance_probability_and_its_binomial_error_by_hand(small: Any) -> None:
    """The exceedance table: 200 draws 10, 11, ..., 209; the grid runs from the 0.5th
    to the 99.5th percentile, 10.995 to 208.005, in 5 points 49.2525 apart: 10.995,
    60.2475, 109.5, 158.7525, 208.005, at or below which lie 1, 51, 100, 149 and 199
    draws. The error is ``sqrt(p (1 - p) / 200)``, never below ``3 / 200``."""
    rng, n = np.random.default_rng(3), 200
    fc = _markets(small, _grid(rng, 10.0, 1.0, n))
    t = fc.exceedance("market.m1@2027", points=5)
    assert t["x"].tolist() == pytest.approx([10.995, 60.2475, 109.5, 158.7525, 208.005], rel=1e-12)
    p = np.array([199, 149, 100, 51, 1]) / n
    assert t["probability"].tolist() == pytest.approx(p.tolist(), abs=1e-15)
    binomial = np.sqrt(p * (1 - p) / n)
    assert t["mcse"].tolist() == pytest.approx(np.maximum(binomial, 3 / n).tolist(), rel=1e-12)
    # the floor holds at the ends only: 0.0050 < 0.015 there, 0.0308 and 0.0354 inside
    assert t["mcse"].iloc[0] == t["mcse"].iloc[-1] == pytest.approx(0.015)


# --- risks.csv and questions.csv --------------------------------------------------------

RISKY = (
    SMALL
    + """
[[risks]]
id = "big"
statement = "Big risk"
probability = 0.3
deadline = 2026-06-01
effects = [{ outcome = "a", log_odds = 1.0 }]

[[questions]]
id = "mirror"
statement = "Is S seen?"
answers = [
  { id = "yes", likelihood = { a = 0.8, b = 0.2 } },
  { id = "no", likelihood = { a = 0.2, b = 0.8 } },
]
"""
)
# 2001 draws of P(a): 0.12, 0.1204, ..., 0.92 (mean 0.52: a is the most likely); with
# numpy's linear quantiles the 5% and 95% ones are draws 100 and 1900 exactly
X = 0.12 + 0.0004 * np.arange(2001)
X05, X95 = 0.16, 0.88


def _tilt(pi: float, p: float, delta: float) -> tuple[float, float]:
    """P(a | risk), P(a | no risk) for a risk of probability ``p`` adding ``delta`` to
    a's log-odds, the two mixing to ``pi``: the base odds ``u`` solve
    ``e (1 - pi) u^2 + (p e + 1 - p - pi - pi e) u - pi = 0`` (``e = exp(delta)``)."""
    e = math.exp(delta)
    a, b, c = e * (1 - pi), p * e + 1 - p - pi - pi * e, -pi
    u = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    return u * e / (1 + u * e), u / (1 + u)


@pytest.fixture(scope="module")
def risky(tmp_path_factory: pytest.TempPathFactory) -> Forecast:
    path = tmp_path_factory.mktemp("risky") / "risky.toml"
    path.write_text(RISKY, encoding="utf-8")
    s = forecast.load(path)
    rng, n = np.random.default_rng(5), len(X)
    q = rng.permutation(X)
    size = np.ones((n, 2, len(YEARS)))
    values = {
        "outcome_probability": np.stack([q, 1 - q], axis=1),
        "realized_outcome": (rng.uniform(size=n) >= q).astype(int),
        "market_size": size,
        "total_market": size.sum(axis=1),
        "share": np.zeros((n, 1, len(YEARS))),
        "revenue": np.zeros((n, 1, len(YEARS))),
    }
    return _forecast(s, values, chains=1)


def test_a_risks_intervals_are_the_quantiles_of_each_draws_tilt(risky: Forecast) -> None:
    """``risks.csv``: each draw's odds (P(a) = x) tilted by the risk (probability 0.3,
    +1 on a's log-odds) so that the two answers mix to x; P(a | risk) grows with x, so
    its 5% and 95% quantiles are those at x = 0.16 and 0.88, and b's are 1 minus a's
    95% and 5%. The odds if it happens are Bayes on the mean odds 0.52 with
    P(risk | outcome) read at the stated 0.5 / 0.5; the impact is a's if-happens minus
    if-not, its interval the quantiles of each draw's own difference."""
    from forecast.analysis.risks import risk_register

    reg = risk_register(risky).set_index("id")
    a, b = reg.loc["a"], reg.loc["b"]
    h, _ = _tilt(0.5, 0.3, 1.0)
    lik = np.array([0.3 * h / 0.5, 0.3 * (1 - h) / 0.5])  # P(risk | a), P(risk | b)
    m = 0.52
    p_risk = lik[0] * m + lik[1] * (1 - m)
    if_happens, if_not = lik[0] * m / p_risk, (1 - lik[0]) * m / (1 - p_risk)
    assert a["probability"] == pytest.approx(p_risk, rel=1e-9)
    assert (a["probability_q05"], a["probability_q95"]) == pytest.approx((0.3, 0.3), rel=1e-12)
    assert (a["now"], a["if_happens"], a["if_not"]) == pytest.approx((m, if_happens, if_not), rel=1e-9)
    assert a["impact"] == pytest.approx(if_happens - if_not, rel=1e-9)
    assert (a["happens_q05"], a["happens_q95"]) == pytest.approx(
        (_tilt(X05, 0.3, 1.0)[0], _tilt(X95, 0.3, 1.0)[0]), rel=1e-8
    )
    assert (b["happens_q05"], b["happens_q95"]) == pytest.approx(
        (1 - _tilt(X95, 0.3, 1.0)[0], 1 - _tilt(X05, 0.3, 1.0)[0]), rel=1e-8
    )
    swing = [np.subtract(*_tilt(x, 0.3, 1.0)) for x in X]
    assert (a["impact_q05"], a["impact_q95"]) == pytest.approx(
        tuple(np.quantile(swing, [0.05, 0.95])), rel=1e-8
    )
    # the share of P(a)'s variance m (1 - m) that knowing the risk removes
    between = p_risk * (if_happens - m) ** 2 + (1 - p_risk) * (if_not - m) ** 2
    assert a["variance_share"] == pytest.approx(between / (m * (1 - m)), rel=1e-9)


def test_what_a_questions_answer_is_worth_and_its_error_by_hand(risky: Forecast) -> None:
    """``questions.csv``: Bayes on the mean odds 0.52: P(yes) = 0.8 x 0.52 + 0.2 x 0.48,
    P(a | yes) = 0.8 x 0.52 / P(yes), P(a | no) = 0.2 x 0.52 / P(no); worth is
    P(yes) |P(a | yes) - 0.52| + P(no) |P(a | no) - 0.52|. The error of P(a | answer)
    = l_a m / (l_a m + l_b (1 - m)) is its slope in m, ``l_a l_b / (l . m)^2``, times the
    error of the mean of the draws of P(a), ``sd / sqrt(n)``; worth's error is those
    errors weighted by the answers' probabilities."""
    from forecast.analysis.risks import question_table

    t = question_table(risky)
    t = t[t["kind"] == "outcome"].set_index(["answer", "id"])
    m, n = 0.52, len(X)
    se_mean = X.std(ddof=1) / math.sqrt(n)
    total, error = 0.0, 0.0
    for answer, la, lb in (("yes", 0.8, 0.2), ("no", 0.2, 0.8)):
        scale = la * m + lb * (1 - m)
        post, se = la * m / scale, la * lb / scale**2 * se_mean
        row = t.loc[(answer, "a")]
        assert (row["p_answer"], row["if_answer"], row["mcse"]) == pytest.approx((scale, post, se), rel=1e-9)
        assert t.loc[(answer, "b"), "mcse"] == pytest.approx(se, rel=1e-9)
        total, error = total + scale * abs(post - m), error + scale * se
    assert (t["worth"].iloc[0], t["worth_mcse"].iloc[0]) == pytest.approx((total, error), rel=1e-9)
    assert se > 3 / n  # above the rule-of-three floor: the formula is what is shown


# --- sensitivity.csv's independent column -------------------------------------------------


def test_the_first_order_and_independent_indices_of_correlated_inputs_have_closed_forms() -> None:
    """``sensitivity.csv``: y = x1 + 0.3 e with x2 = x1 + 0.5 f (x1, e, f standard
    normal), Var(y) = 1.09. First-order: x1 explains 1 / 1.09; x2 explains Var(E[y |
    x2]) = Var(0.8 x2) = 0.64 x 1.25 = 0.8, so 0.8 / 1.09. Independent (what an input
    explains beyond the others): x1's part beyond x2, x1 - 0.8 x2, of variance 0.2, is
    all of y's that x2 leaves, 0.2 / 1.09; x2's part beyond x1 is noise: 0. Tolerance
    0.025, as for the additive model in ``test_sensitivity_estimator.py`` (the ten
    harmonics' bias of about 1.5% plus 3 SD over seeds)."""
    from forecast.analysis.sensitivity import first_order_indices, independent_parts

    rng = np.random.default_rng(5)
    x1 = rng.standard_normal(20_000)
    x2 = x1 + 0.5 * rng.standard_normal(20_000)
    X = np.column_stack([x1, x2])
    y = x1 + 0.3 * rng.standard_normal(20_000)
    first, _ = first_order_indices(X, y, resamples=0)
    own, _ = first_order_indices(independent_parts(X, ["x1", "x2"]), y, resamples=0)
    np.testing.assert_allclose(first, [1 / 1.09, 0.8 / 1.09], atol=0.025)
    np.testing.assert_allclose(own, [0.2 / 1.09, 0.0], atol=0.025)


# --- risks.csv: the rows of an input a risk shifts ----------------------------------------

TARGETED = (
    SMALL
    + """
[[inputs]]
id = "price"
label = "Price"
unit = "USD"
value = 10.0

[[risks]]
id = "cut"
statement = "A price cut"
probability = 0.3
deadline = 2026-06-01
effects = [{ target = "inputs.price", shift = -2.0 }]
"""
)


def test_an_input_a_risk_shifts_has_its_mean_either_side_with_the_error_of_a_ratio(
    tmp_path: Path,
) -> None:
    """``risks.csv``, an input's rows: ten draws, the risk happening in the first three
    (price 7, 8, 9: mean 8) and not in the other seven (9, 10, 11, then 10 four times:
    mean 10). ``now`` is the mean of all, 9.4; the variance share ``p (1 - p) (8 -
    10)^2 / Var`` with p = 0.3 and Var = 12.4 / 10. The error of the mean where it
    happens is the ratio estimator's, ``sd(g) / sqrt(n)`` with ``g = h (x - 8) / 0.3``:
    ``(10 / 3) sqrt(2 / 9) / sqrt(10)``; where it does not, ``(10 / 7) sqrt(2 / 9) /
    sqrt(10)``. A mean in the input's unit has no rule-of-three floor (that bound is a
    probability's): with the seven prices all 10, its error is 0."""
    from forecast.analysis.risks import risk_register

    path = tmp_path / "targeted.toml"
    path.write_text(TARGETED, encoding="utf-8")
    s = forecast.load(path)
    n = 10
    happens = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])

    def register(price: list[float]) -> Any:
        size = np.ones((n, 2, len(YEARS)))
        values = {
            "outcome_probability": np.full((n, 2), 0.5),
            "realized_outcome": np.arange(n) % 2,
            "market_size": size,
            "total_market": size.sum(axis=1),
            "share": np.zeros((n, 1, len(YEARS))),
            "revenue": np.zeros((n, 1, len(YEARS))),
            "input_value": np.array(price)[:, None],
            "risk_happens": happens[:, None],
        }
        reg = risk_register(_forecast(s, values))
        return reg[reg["kind"] == "input"].iloc[0]

    row = register([7, 8, 9, 9, 10, 11, 10, 10, 10, 10])
    assert row["id"] == "inputs.price"
    assert (row["now"], row["if_happens"], row["if_not"]) == pytest.approx((9.4, 8.0, 10.0), rel=1e-12)
    se = math.sqrt(2 / 9) / math.sqrt(n)
    assert (row["mcse_happens"], row["mcse_not"]) == pytest.approx((10 / 3 * se, 10 / 7 * se), rel=1e-12)
    assert row["variance_share"] == pytest.approx(0.3 * 0.7 * 4 / 1.24, rel=1e-12)
    row = register([7, 8, 9, 10, 10, 10, 10, 10, 10, 10])
    assert (row["if_happens"], row["if_not"]) == pytest.approx((8.0, 10.0), rel=1e-12)
    assert (row["mcse_happens"], row["mcse_not"]) == pytest.approx((10 / 3 * se, 0.0), abs=1e-12)


# --- discovery.csv ----------------------------------------------------------------------


def test_a_boxs_density_coverage_and_their_binomial_errors_by_hand() -> None:
    """``discovery.csv``: eight draws, the target met in draws 0 1 3 5 6 (5 of 8: base
    5/8); the box x <= 0.4 holds draws 0-3 (mass 1/2), of which 3 meet it: density 3/4
    with error sqrt(3/4 x 1/4 / 4), coverage 3/5 of the draws that meet it with error
    sqrt(3/5 x 2/5 / 5)."""
    from forecast.analysis.discovery import Box, summarize

    X = (np.arange(8) / 8)[:, None]
    y = np.array([1, 1, 0, 1, 0, 1, 1, 0], dtype=float)
    row = summarize("t", X, y, [Box({0: (-np.inf, 0.4)})], ["x"], [lambda v: f"{v:.2f}"]).iloc[0]
    assert (row["density"], row["density_mcse"]) == pytest.approx((0.75, math.sqrt(0.75 * 0.25 / 4)))
    assert (row["coverage"], row["coverage_mcse"]) == pytest.approx((0.6, math.sqrt(0.6 * 0.4 / 5)))
    assert (row["mass"], row["base"]) == pytest.approx((0.5, 5 / 8))


def test_every_option_tied_for_best_under_an_outcome_is_flagged_best() -> None:
    """``decision_by_outcome.csv``'s ``best``: under "up" a and b both pay 2 in each of
    its draws (a tie, as the report's "tied best" says), c pays 1; under "down" c pays
    3 against 0: c alone. Every option whose mean equals the highest is best, not only
    the first listed."""
    from forecast.analysis.decision import Payoffs, by_outcome

    values = np.array([[2.0, 0.0, 2.0, 0.0], [2.0, 0.0, 2.0, 0.0], [1.0, 3.0, 1.0, 3.0]])
    p = Payoffs(values, ("a", "b", "c"), outcome=np.array([0, 1, 0, 1]), outcome_ids=("up", "down"))
    t = by_outcome(p).set_index(["outcome", "option"])["best"]
    assert {k: bool(v) for k, v in t.items()} == {
        ("up", "a"): True,
        ("up", "b"): True,
        ("up", "c"): False,
        ("down", "a"): False,
        ("down", "b"): False,
        ("down", "c"): True,
    }


PREDICTED = (
    SMALL
    + """
[[predictions]]
id = "first"
statement = "The first thing happens"
deadline = 2026-06-01
probability = 0.4

[[predictions]]
id = "second"
statement = "The second thing happens"
deadline = 2027-01-01
probability_by_outcome = { a = 0.1, b = 0.3 }
"""
)


def test_each_prediction_by_outcome_is_its_frequency_among_that_outcomes_draws(
    tmp_path: Any,
) -> None:
    """``prediction_by_outcome`` (the report's predictions chart by outcome): outcome
    ``a`` in 120 of 200 draws, ``b`` in 80. "first" comes true in 30 of a's draws and
    all 80 of b's; "second" in none of a's and 20 of b's. Each probability is the
    count over the outcome's draws; its error the binomial sqrt(p (1 - p) / n) of those
    n draws, at least the rule of three 3 / n when every draw agrees (1 and 0 here)."""
    from forecast.analysis.implied import prediction_by_outcome

    path = tmp_path / "predicted.toml"
    path.write_text(PREDICTED, encoding="utf-8")
    scenario = forecast.load(path)
    rng, n = np.random.default_rng(5), 200
    realized = np.repeat([0, 1], [120, 80])
    hit = np.zeros((n, 2))
    hit[:30, 0] = 1.0  # a's draws are 0..119
    hit[120:, 0] = 1.0
    hit[120:140, 1] = 1.0
    order = rng.permutation(n)
    fc = _forecast(scenario, {"realized_outcome": realized[order], "prediction_hit": hit[order]})
    table = prediction_by_outcome(fc)
    want = {
        ("first", "a"): (0.25, math.sqrt(0.25 * 0.75 / 120), 120),
        ("first", "b"): (1.0, 3 / 80, 80),
        ("second", "a"): (0.0, 3 / 120, 120),
        ("second", "b"): (0.25, math.sqrt(0.25 * 0.75 / 80), 80),
    }
    assert len(table) == len(want)
    for r in table.itertuples():
        assert (r.probability, r.mcse, r.draws) == pytest.approx(want[r.id, r.outcome], rel=1e-12), r
    assert list(table.columns) == ["id", "outcome", "probability", "mcse", "draws"]


def test_an_outcome_in_two_draws_has_its_fan_and_one_in_fewer_none(small: Any) -> None:
    """``by_outcome.csv`` needs two draws of an outcome for its SD: "a" in exactly 2 of
    200 draws has its rows (probability 0.01, the mean of its two draws); "a" in 1 draw
    has none, and "b" after it still has all of its own. A scenario whose paths do not
    depend on the outcome gives an empty table with the columns."""
    from forecast.analysis.implied import BY_OUTCOME_COLUMNS, position_by_outcome

    n = 200
    for count_a in (2, 1):
        realized = np.repeat([0, 1], [count_a, n - count_a])
        share = np.full((n, 1, len(YEARS)), 0.2)
        share[:count_a, 0, :] = np.array([0.1, 0.3][:count_a])[:, None]
        revenue = 10.0 * share
        table = position_by_outcome(
            _forecast(small, {"realized_outcome": realized, "share": share, "revenue": revenue})
        )
        rows_a = table[table["outcome"] == "a"]
        assert len(table[table["outcome"] == "b"]) == 2 * len(YEARS)  # share and revenue by year
        if count_a == 2:
            assert len(rows_a) == 2 * len(YEARS)
            assert (rows_a["probability"] == 0.01).all()
            share_a = rows_a[rows_a["market"] == "share.co"]
            assert share_a["mean"].tolist() == pytest.approx([0.2] * len(YEARS), rel=1e-12)
        else:
            assert rows_a.empty
    flat = small.model_copy(update={"positions": []})
    empty = position_by_outcome(_forecast(flat, {"realized_outcome": np.zeros(n, dtype=int)}))
    assert empty.empty and list(empty.columns) == BY_OUTCOME_COLUMNS


def test_a_prediction_by_outcome_has_a_row_for_an_outcome_in_one_draw_and_none_for_one_in_none(
    small: Any, tmp_path: Any
) -> None:
    """An outcome in 1 draw has its row (the one draw's hit, error 3 / 1 = 3, the rule of
    three); an outcome in no draw has none and the outcome after it still has its
    rows; a scenario without predictions gives an empty table with the columns."""
    from forecast.analysis.implied import prediction_by_outcome

    path = tmp_path / "predicted.toml"
    path.write_text(PREDICTED, encoding="utf-8")
    scenario = forecast.load(path)
    n = 200
    one = np.repeat([0, 1], [1, n - 1])
    hit = np.zeros((n, 2))
    hit[0, 0] = 1.0
    table = prediction_by_outcome(_forecast(scenario, {"realized_outcome": one, "prediction_hit": hit}))
    row = table[(table["id"] == "first") & (table["outcome"] == "a")].iloc[0]
    assert (row["probability"], row["mcse"], row["draws"]) == (1.0, 3.0, 1)
    none = np.ones(n, dtype=int)  # "a" never happens
    table = prediction_by_outcome(_forecast(scenario, {"realized_outcome": none, "prediction_hit": hit}))
    assert table["outcome"].tolist() == ["b", "b"] and table["draws"].tolist() == [n, n]
    empty = prediction_by_outcome(_forecast(small, {"realized_outcome": none}))
    assert empty.empty and list(empty.columns) == ["id", "outcome", "probability", "mcse", "draws"]


def test_the_frequency_error_of_each_of_three_outcomes_is_its_own_indicators(tmp_path: Any) -> None:
    """With three outcomes (100, 60 and 40 of 200 draws) each outcome's
    ``probability_mcse`` is the binomial error of its own frequency,
    sqrt(p (1 - p) / (n - 1)) (the indicator's SD, ddof 1, over sqrt(n)), not the error
    of the outcome's index (0, 1, 2), which two outcomes alone cannot tell apart."""
    from forecast.analysis.implied import position_by_outcome

    text = SMALL.replace(
        'id = "b"\nlabel = "B"\nprobability = 0.5\n',
        'id = "b"\nlabel = "B"\nprobability = 0.25\n\n[[assessment.outcomes]]\nid = "c"\nlabel = "C"\nprobability = 0.25\n',
    )
    assert text != SMALL
    path = tmp_path / "three.toml"
    path.write_text(text, encoding="utf-8")
    scenario = forecast.load(path)
    n, counts = 200, (100, 60, 40)
    realized = np.repeat([0, 1, 2], counts)
    share = np.linspace(0.1, 0.3, n)[:, None, None] * np.ones((1, 1, len(YEARS)))
    table = position_by_outcome(
        _forecast(scenario, {"realized_outcome": realized, "share": share, "revenue": 10.0 * share})
    )
    for k, outcome in enumerate(("a", "b", "c")):
        p = counts[k] / n
        errors = table.loc[table["outcome"] == outcome, "probability_mcse"]
        assert len(errors) == 2 * len(YEARS)
        assert errors.tolist() == pytest.approx([math.sqrt(p * (1 - p) / (n - 1))] * len(errors), rel=1e-12)
