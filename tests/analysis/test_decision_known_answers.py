"""The decision table and the value of information against closed forms.

Tolerances are k x an MCSE computed here from the known distribution of the draws
(never from the ``mcse`` columns under test); seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forecast.analysis.decision import Payoffs, best_share, decide, decision_table, differences
from forecast.analysis.voi import evpi, evppi_outcome, evsi, regression_value

K = 4  # standard errors a correct estimate may land from the truth
N = 40_000

# two outcomes, two options: "go" pays A0 under outcome 0 and A1 under outcome 1,
# "stop" pays B whatever happens; a signpost is true with L0 / L1 under each outcome
P0, A0, A1, B = 0.4, 10.0, -4.0, 1.0
L0, L1 = 0.8, 0.3


def _two_outcomes(seed: int = 1, noise: float = 0.0) -> Payoffs:
    rng = np.random.default_rng(seed)
    k = (rng.uniform(size=N) >= P0).astype(int)  # outcome 0 with probability P0
    go = np.where(k == 0, A0, A1) + noise * rng.standard_normal(N)
    return Payoffs(np.stack([go, np.full(N, B)]), ("go", "stop"), outcome=k, outcome_ids=("up", "down"))


def _sd_of_outcome_function(h0: float, h1: float) -> float:
    """SD of a quantity that is h0 under outcome 0 and h1 under outcome 1."""
    return abs(h0 - h1) * math.sqrt(P0 * (1 - P0))


def test_expected_payoff_and_evpi_have_their_closed_forms() -> None:
    p = _two_outcomes()
    table = decision_table(p)
    ev_go = P0 * A0 + (1 - P0) * A1  # 1.6: "go" is best now
    tol = K * _sd_of_outcome_function(A0, A1) / math.sqrt(N)
    assert table["expected"].iloc[0] == pytest.approx(ev_go, abs=tol)
    assert table["expected"].iloc[1] == B
    # after everything is known: A0 under outcome 0, B under outcome 1
    truth = P0 * max(A0, B) + (1 - P0) * max(A1, B) - max(ev_go, B)
    gain_sd = _sd_of_outcome_function(0.0, B - A1)
    assert evpi(p).value == pytest.approx(truth, abs=K * gain_sd / math.sqrt(N))
    assert evppi_outcome(p).value == pytest.approx(truth, abs=K * gain_sd / math.sqrt(N))


def test_signpost_evsi_is_exact_bayes() -> None:
    p = _two_outcomes()
    p_true = P0 * L0 + (1 - P0) * L1
    post_true, post_false = P0 * L0 / p_true, P0 * (1 - L0) / (1 - p_true)
    ev = lambda q: q * A0 + (1 - q) * A1  # noqa: E731
    assert ev(post_true) > B > ev(post_false)  # the answer changes the choice
    truth = p_true * ev(post_true) + (1 - p_true) * B - ev(P0)  # 1.38
    # per draw the gain is (B - A_k) (1 - L_k): "stop" is chosen on a false answer
    gain_sd = _sd_of_outcome_function((B - A0) * (1 - L0), (B - A1) * (1 - L1))
    est = evsi(p, [("true", [L0, L1]), ("false", [1 - L0, 1 - L1])])
    assert est.value == pytest.approx(truth, abs=K * gain_sd / math.sqrt(N))
    assert est.mcse == pytest.approx(gain_sd / math.sqrt(N), rel=0.05)


def test_an_uninformative_signpost_is_worth_nothing() -> None:
    p = _two_outcomes()
    assert evsi(p, [("true", [0.5, 0.5]), ("false", [0.5, 0.5])]).value == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("noise", [0.0, 3.0])
def test_evsi_is_at_most_evppi_of_the_outcome_which_is_at_most_evpi(noise: float) -> None:
    p = _two_outcomes(seed=2, noise=noise)
    for lik in ([L0, L1], [0.99, 0.01], [0.5, 0.5], [0.0, 1.0]):
        value = evsi(p, [("yes", lik), ("no", [1 - q for q in lik])]).value
        assert value <= evppi_outcome(p).value + 1e-12
    assert evppi_outcome(p).value <= evpi(p).value + 1e-12
    if noise:
        assert evppi_outcome(p).value < evpi(p).value  # the noise is information too


def test_a_question_with_three_answers_uses_the_same_function() -> None:
    p = _two_outcomes()
    three = [("a", [0.7, 0.1]), ("b", [0.2, 0.3]), ("c", [0.1, 0.6])]
    assert 0 < evsi(p, three).value <= evppi_outcome(p).value


def test_p_best_sums_to_one_with_ties_split_and_regret_is_never_negative() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(3, 5000)).astype(float)  # many ties
    table = decision_table(Payoffs(x, ("a", "b", "c")))
    assert table["p_best"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (table["regret"] >= 0).all()
    assert best_share(np.array([[1.0], [1.0], [0.0]]))[:, 0].tolist() == [0.5, 0.5, 0.0]


def test_median_interval_loss_and_cvar_of_a_normal_payoff() -> None:
    mu, sigma = 1.0, 2.0
    x = np.random.default_rng(4).normal(mu, sigma, N)
    row = decision_table(Payoffs(np.stack([x, np.zeros(N)]), ("bet", "keep"))).iloc[0]
    p_loss = stats.norm.cdf(-mu / sigma)
    assert row["p_loss"] == pytest.approx(p_loss, abs=K * math.sqrt(p_loss * (1 - p_loss) / N))
    z = stats.norm.ppf(0.05)
    cvar = mu - sigma * stats.norm.pdf(z) / 0.05
    # CVaR's asymptotic SD, sd(min(X - q, 0)) / alpha, from a large independent sample
    big = np.random.default_rng(5).normal(mu, sigma, 2_000_000)
    sd_cvar = np.minimum(big - (mu + sigma * z), 0).std() / 0.05
    assert row["cvar05"] == pytest.approx(cvar, abs=K * sd_cvar / math.sqrt(N))
    assert row["cvar05_mcse"] == pytest.approx(sd_cvar / math.sqrt(N), rel=0.1)
    q_sd = lambda q: math.sqrt(q * (1 - q) / N) / stats.norm.pdf(stats.norm.ppf(q), 0, sigma)  # noqa: E731
    assert row["median"] == pytest.approx(mu, abs=K * q_sd(0.5))
    assert row["q05"] == pytest.approx(mu + sigma * z, abs=K * q_sd(0.05))
    assert row["q95"] == pytest.approx(mu - sigma * z, abs=K * q_sd(0.95))


def test_each_criterion_picks_its_option() -> None:
    # "risky": higher mean, fatter lower tail; "safe": a sure 1
    x = np.array([[-10.0] * 10 + [3.0] * 90, [1.0] * 100])
    res = decide(Payoffs(x, ("risky", "safe"), criterion="cvar05"))
    assert res.table.set_index("option")["picked_by"].to_dict() == {
        "risky": "expected;regret;p_best",
        "safe": "p05;cvar05",
    }
    assert res.chosen == "safe"


def test_differences_use_common_draws_and_flag_a_close_call() -> None:
    rng = np.random.default_rng(6)
    base = rng.normal(0, 10, N)
    d = differences(Payoffs(np.stack([base + 0.1, base]), ("a", "b"))).iloc[0]
    # the same draws: the difference is exact however wide the payoffs are
    assert d["difference"] == pytest.approx(0.1) and d["mcse"] == pytest.approx(0.0, abs=1e-9)
    assert not d["too_close"]
    e = rng.normal(0, 1, N)
    se = (e - e[::-1]).std(ddof=1) / math.sqrt(N)  # the error of a difference of a and b below
    tie = decide(Payoffs(np.stack([base + e, base + e[::-1]]), ("a", "b")))
    assert tie.too_close  # the same mean exactly
    assert tie.differences["mcse"].iloc[0] == pytest.approx(se, rel=1e-9)
    apart = decide(Payoffs(np.stack([base + e + 3 * se, base + e[::-1]]), ("a", "b")))
    assert not apart.too_close  # 3 errors apart


def test_evppi_of_an_input_the_payoff_does_not_depend_on_is_zero_within_its_error() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=N)
    # two options close to each other, so a fit to noise would often "switch"
    a, b = rng.normal(0.0, 1.0, N), rng.normal(0.01, 1.0, N)
    est = regression_value(Payoffs(np.stack([a, b]), ("a", "b")), x)
    bound = math.sqrt(np.mean((a - b) ** 2) / N)  # |gain| <= |a - b| in every draw
    assert abs(est.value) <= K * bound


def test_evppi_of_the_input_that_decides_is_e_max_x_0() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=N)
    p = Payoffs(np.stack([x + rng.normal(0, 1, N), np.zeros(N)]), ("follow", "nothing"))
    truth = 1 / math.sqrt(2 * math.pi)  # E[max(x, 0)] for x ~ N(0, 1)
    sd = math.sqrt(0.5 - 1 / (2 * math.pi) + 0.5)  # the gain's SD: max(x, 0) plus half the noise, at most
    est = regression_value(p, x)
    assert est.value == pytest.approx(truth, abs=K * sd / math.sqrt(N))
    assert est.value <= evpi(p).value


def test_the_fit_s_noise_does_not_pose_as_information() -> None:
    # five equally good options and an input none depends on, on few draws: a fit
    # evaluated on its own draws picks the noisiest option at each x and shows a value
    n, reps = 2000, 20
    values = []
    for seed in range(reps):
        rng = np.random.default_rng(100 + seed)
        v = rng.normal(0, 1, (5, n))
        values.append(regression_value(Payoffs(v, tuple("abcde")), rng.normal(size=n)).value)
    # each gain is a difference of two N(0, 1) payoffs, or 0: SD at most sqrt(2)
    se_of_mean = math.sqrt(2 / n) / math.sqrt(reps)
    assert np.mean(values) <= K * se_of_mean


def test_the_mcse_columns_are_the_standard_errors_of_their_means() -> None:
    rng = np.random.default_rng(9)
    x = np.stack([rng.normal(1, 2, N), rng.normal(1.1, 1, N)])
    row = decision_table(Payoffs(x, ("a", "b"))).iloc[0]
    assert row["expected_mcse"] == pytest.approx(x[0].std(ddof=1) / math.sqrt(N), rel=1e-9)
    p_loss = (x[0] < 0).mean()
    assert row["p_loss_mcse"] == pytest.approx(math.sqrt(p_loss * (1 - p_loss) / N), rel=1e-3)
    p_best = (x[0] > x[1]).mean()
    assert row["p_best_mcse"] == pytest.approx(math.sqrt(p_best * (1 - p_best) / N), rel=1e-3)
    regret = np.maximum(x[1] - x[0], 0)
    assert row["regret_mcse"] == pytest.approx(regret.std(ddof=1) / math.sqrt(N), rel=1e-9)


def test_nuts_draws_count_their_autocorrelation() -> None:
    # four chains of an AR(1) with coefficient 0.9: the error of the mean is about
    # sqrt((1 + 0.9) / (1 - 0.9)) = 4.4 times the independent one
    rng = np.random.default_rng(10)
    chains, n = 4, 5000
    x = np.zeros((chains, n))
    for t in range(1, n):
        x[:, t] = 0.9 * x[:, t - 1] + rng.normal(size=chains)
    flat = x.reshape(1, -1)
    naive = flat.std(ddof=1) / math.sqrt(flat.size)
    mcse = Payoffs(np.vstack([flat, flat]), ("a", "b"), chains=chains, independent=False).mcse(flat)[0]
    assert 3 * naive < mcse < 6 * naive
