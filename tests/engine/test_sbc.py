"""Simulation-based calibration of the evidence model (Talts et al. 2018).

Draw parameters from the prior, simulate the observations the scenario has (the
developer-tools market size in 2025 with its 10% error, and the signpost given the
realized outcome), condition on them with NUTS, and rank the true value among the
posterior draws. If the sampler and the likelihood are right, the ranks are uniform.

The model is the bundled ``deepseek-update`` scenario itself (four correlated markets,
outcome drivers), compiled once: each simulation swaps only the observations
(nutpie's ``with_data``), so 300 posteriors take well under a minute instead of a compile (30-60 s) each.
The fits are executor jobs (:func:`forecast.engine.sbc.posteriors`): here in this process;
on a two-process Dask ``LocalCluster`` the same fits give the same draws (a test marked
slow, with four simulations).

Test: 100 simulations, ranks among 99 posterior draws (one chain, 200 tuning steps,
198 draws thinned by 2 so that the draws are close to independent) in 10 equal bins,
Pearson's chi-square against uniform (9 degrees of freedom). Five quantities, each at
alpha = 0.05 / 5 (Bonferroni: a 5% family-wise false alarm rate): the observed market's
2025 log size, its drift log(1 + CAGR) and that of a correlated unobserved market, the
Dirichlet outcome prior of "independence", and its outcome probability with the market
drivers.

Negative controls: the same observations conditioned under a deliberately wrong prior
(every market's drift centred one prior SD too high, the stated outcome odds reversed),
which the same test must reject for the growth and outcome quantities; and under a wrong
likelihood (the evidence taken as three times more precise than it is), which it must
reject for the observed size. (The wrong prior barely moves the observed size, which the
data pin down, so that control is not expected to reject it.) Otherwise the test could
not tell a wrong model from a right one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine.executor import DaskExecutor
from forecast.engine.forward import simulator
from forecast.engine.inference import compiled_sampler
from forecast.engine.model import ModelData, model_data
from forecast.engine.sbc import RIGHT, posteriors
from forecast.scenario.inputs import Canonical, Family

N_SIMS = 100
THIN = 2
N_RANKED = 99  # posterior draws each truth is ranked among: ranks 0..99, 10 per bin
BINS = 10
TUNE = 200
NAMES = ["observed_size", "drift_observed", "drift_correlated", "outcome_prior", "q"]
ALPHA = 0.05 / len(NAMES)  # Bonferroni: 5% family-wise
SEED = 20_250_101


def transform(fam: np.ndarray, a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Canonical inputs (one per element of ``fam``) at latent draws ``z`` (draw, ...)."""
    out = np.empty(z.shape, dtype=float)
    for idx in np.ndindex(fam.shape):
        c = Canonical(Family(int(fam[idx])), float(a[idx]), float(b[idx]))
        out[(slice(None), *idx)] = c.transform(z[(slice(None), *idx)])
    return out


def quantities(d: ModelData, z: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The tested quantities from latent draws (leading draw dim), under the prior ``d``.

    drift = mu + sd * (sqrt(rho) g + sqrt(1 - rho) h); the 2025 log size of the observed
    market, log size + drift + vol (sqrt(rho) f + sqrt(1 - rho) e) (one year after its
    base year); q = softmax(log p + c + beta s), the outcome probability before any
    signpost (a function of the parameters alone).
    """
    rho = transform(d.rho_fam, d.rho_a, d.rho_b, z["z_common_factor"])
    common, own = np.sqrt(rho), np.sqrt(1 - rho)
    surprise = common[:, None] * z["z_growth_common"][:, None] + own[:, None] * z["z_growth"]
    size = transform(d.size_fam, d.size_a, d.size_b, z["z_size"])
    drift = d.drift_mu + d.drift_sd * surprise - d.drift_anchor * (np.log(size) - d.log_size_ref)
    vol = transform(d.vol_fam, d.vol_a, d.vol_b, z["z_volatility"])
    shock = vol[:, 2] * (common * z["z_shock_common"][:, 0] + own * z["z_shock"][:, 2, 0])
    p = z["outcome_prior"]
    logits = np.log(p) + d.calib + surprise @ d.beta.T
    q = np.exp(logits - logits.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    return {
        "observed_size": np.log(size[:, 2]) + drift[:, 2] + shock,
        "drift_observed": drift[:, 2],
        "drift_correlated": drift[:, 0],
        "outcome_prior": p[:, 0],
        "q": q[:, 0],
    }


def simulations(d: ModelData, n: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``n`` data sets simulated from the prior (the fits' observations) and the true
    values of the tested quantities behind each."""
    assert d.coords["market"][2] == "developer_tools" and d.coords["market"][0] == "enterprise_llm_apis"
    assert d.coords["outcome"][0] == "independence"
    assert d.coords["evidence"] == ["developer_tools@2025"]

    # the generating draws: the model's own forward simulation, observations left out
    truth = simulator(d.without_observations())(n, SEED)
    rng = np.random.default_rng(SEED)
    m, y = np.argwhere(d.evidence_w[0])[0]
    evidence = np.log(truth["market_size"][:, m, y]) + d.evidence_sd[0] * rng.standard_normal(n)
    signpost = (rng.uniform(size=n) < d.obs_signpost_l[0][truth["realized_outcome"]]).astype(np.int64)
    true_drift = np.log1p(truth["growth"])
    true_q = {
        "observed_size": np.log(truth["market_size"][:, m, y]),
        "drift_observed": true_drift[:, 2],
        "drift_correlated": true_drift[:, 0],
        "outcome_prior": truth["outcome_prior"][:, 0],
        # before conditioning, the forward simulation's outcome probability is q itself
        "q": truth["outcome_probability"][:, 0],
    }
    observed = [{"evidence_log": evidence[i : i + 1], "obs_signpost": signpost[i : i + 1]} for i in range(n)]
    return observed, true_q


@pytest.fixture(scope="module")
def sbc() -> dict[str, Any]:
    """Ranks under the right model and the two wrong ones, from the same 100 simulations."""
    s = forecast.load(forecast.bundled("deepseek-update"))
    d = model_data(s)
    observed, true_q = simulations(d, N_SIMS)
    wrong = {
        "wrong_prior": {"drift_mu": d.drift_mu + d.drift_sd, "alpha": d.alpha[::-1].copy()},
        "wrong_likelihood": {"evidence_sd": d.evidence_sd / 3},
    }
    before = compiled_sampler(d)
    models: dict[str, dict[str, Any]] = {RIGHT: {}, **wrong}
    fits = posteriors(s, observed, models=models, tune=TUNE, draws=N_RANKED, thin=THIN, seed=SEED)
    ranks: dict[str, dict[str, list[int]]] = {label: {k: [] for k in true_q} for label in models}
    post_sd: dict[str, list[float]] = {"observed_size": [], "drift_observed": []}
    for i in range(N_SIMS):
        for label, changes in models.items():
            # the quantities under the model that was fitted (the wrong prior moves them)
            model = dataclasses.replace(d, **changes)
            q = quantities(model, fits[label][i])
            for k, v in q.items():
                ranks[label][k].append(int(np.sum(v < true_q[k][i])))
            if label == RIGHT:
                for k, v in post_sd.items():
                    v.append(float(q[k].std()))
    assert compiled_sampler(d) is before  # 300 posteriors, one compile
    prior_sd = {k: float(np.std(v)) for k, v in true_q.items()}
    return {"ranks": ranks, "post_sd": {k: np.array(v) for k, v in post_sd.items()}, "prior_sd": prior_sd}


def chi_square_p(ranks: list[int]) -> float:
    from scipy import stats

    r = np.asarray(ranks)
    assert r.min() >= 0 and r.max() <= N_RANKED
    counts = np.bincount(r * BINS // (N_RANKED + 1), minlength=BINS)
    return float(stats.chisquare(counts).pvalue)


@pytest.mark.parametrize("name", NAMES)
def test_ranks_are_uniform_under_the_right_prior(sbc: dict[str, Any], name: str) -> None:
    p = chi_square_p(sbc["ranks"]["right"][name])
    assert p > ALPHA, f"{name}: ranks not uniform (chi-square p = {p:.2g})"


@pytest.mark.parametrize(
    ("control", "name"),
    [("wrong_prior", n) for n in NAMES if n != "observed_size"] + [("wrong_likelihood", "observed_size")],
)
def test_the_same_test_rejects_a_wrong_model(sbc: dict[str, Any], control: str, name: str) -> None:
    p = chi_square_p(sbc["ranks"][control][name])
    assert p < ALPHA, f"{control}, {name}: the negative control passed (chi-square p = {p:.2g})"


def test_the_evidence_is_informative(sbc: dict[str, Any]) -> None:
    """Calibration of a posterior that equals its prior would prove little: the observed
    market's 2025 size must be much narrower after the evidence, and its drift narrower."""
    post, prior = sbc["post_sd"], sbc["prior_sd"]
    assert np.mean(post["observed_size"]) < 0.7 * prior["observed_size"]
    assert np.mean(post["drift_observed"]) < 0.95 * prior["drift_observed"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskExecutor]:
    """A two-worker LocalCluster of processes for this module, closed after it."""
    ex = DaskExecutor.local(2)
    try:
        yield ex
    finally:
        ex.close()


@pytest.mark.slow
def test_fits_on_a_cluster_equal_the_fits_here(cluster: DaskExecutor) -> None:
    """Four simulations under the right and the wrong-likelihood model: each worker runs
    NUTS (nutpie) itself, and every posterior draw is the same as in this process."""
    s = forecast.load(forecast.bundled("deepseek-update"))
    d = model_data(s)
    observed, _ = simulations(d, 4)
    models = {RIGHT: {}, "wrong_likelihood": {"evidence_sd": d.evidence_sd / 3}}
    kw: dict[str, Any] = {"models": models, "tune": TUNE, "draws": N_RANKED, "thin": THIN, "seed": SEED}
    here = posteriors(s, observed, **kw)
    there = posteriors(s, observed, executor=cluster, **kw)
    assert list(there) == list(here)
    for label in models:
        assert len(there[label]) == 4
        for got, want in zip(there[label], here[label], strict=True):
            assert list(got) == list(want)
            for name in want:
                assert got[name].shape[0] == N_RANKED
                np.testing.assert_array_equal(got[name], want[name])
    # the wrong likelihood is a different fit of the same data
    assert not np.array_equal(here[RIGHT][0]["z_size"], here["wrong_likelihood"][0]["z_size"])
