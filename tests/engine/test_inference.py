"""Evidence and signposts: NUTS posteriors against known answers, diagnostics, structure.

Tolerances are Monte Carlo standard errors from ArviZ (which account for the chains'
autocorrelation): an estimate within 3 MCSE of the exact answer passes; the seeds are
fixed, so every run gives the same numbers.
"""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.results import Forecast
from forecast.engine import inference
from forecast.engine.data import model_data
from forecast.engine.inference import check, diagnose, infer
from forecast.engine.model import recorded

# The market "widgets" has a point size and no yearly shocks; its only uncertainty is the
# drift log(1 + CAGR) ~ Normal(log 1.3, 0.1), so one lognormal observation of its size is
# a conjugate normal update of the drift. Three outcomes without market drivers, so the
# outcome probability is the Dirichlet draw itself, E[q] = stated, a priori independent
# of the markets. The "order" signpost is observed, "hire" is not.
#
# The two known answers (signpost Bayes, conjugate growth) are checked on one NUTS run:
# the two blocks are independent a priori and the likelihood factorises, so each
# posterior is exactly what it would be alone. Three fixed filler markets give the
# scenario the shapes of deepseek-update (4 markets, 2024-2028, 3 outcomes, one piece of
# evidence, one observed signpost), so both share one compiled sampler.
KNOWN = """\
id = "known_answers"
title = "Known answers: conjugate growth and Bayes on signposts"
as_of = 2025-01-01

[simulation]
draws = 8000
seed = 11
end_year = 2028

[[markets]]
id = "widgets"
label = "Widgets"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = { median = 0.30, sigma = 0.10 }
volatility = 0

[[markets]]
id = "filler_a"
label = "Filler A"
unit = "USD bn"
base_year = 2024
size = 1.0
cagr = 0.1
volatility = 0

[[markets]]
id = "filler_b"
label = "Filler B"
unit = "USD bn"
base_year = 2024
size = 2.0
cagr = 0.2
volatility = 0

[[markets]]
id = "filler_c"
label = "Filler C"
unit = "USD bn"
base_year = 2024
size = 3.0
cagr = 0.3
volatility = 0

[assessment]
horizon_years = 3
confidence = 10

[[assessment.outcomes]]
id = "win"
label = "Win"
probability = 0.5

[[assessment.outcomes]]
id = "draw"
label = "Draw"
probability = 0.3

[[assessment.outcomes]]
id = "lose"
label = "Lose"
probability = 0.2

[[signposts]]
id = "order"
statement = "A large order"
likelihood = { win = 0.8, draw = 0.4, lose = 0.1 }
observed = true

[[signposts]]
id = "hire"
statement = "A key hire"
likelihood = { win = 0.3, draw = 0.6, lose = 0.9 }

[[evidence]]
market = "widgets"
year = 2026
value = 18.5
rel_error = 0.1
"""
STATED = np.array([0.5, 0.3, 0.2])
L_ORDER = np.array([0.8, 0.4, 0.1])
L_HIRE = np.array([0.3, 0.6, 0.9])
Z = 3.0  # tolerance in MCSE


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> forecast.Scenario:
    path = tmp_path_factory.mktemp("known") / "known.toml"
    path.write_text(KNOWN, encoding="utf-8")
    return forecast.load(path)


@pytest.fixture(scope="module")
def known_fit(known: forecast.Scenario) -> Any:
    return forecast.simulate(known, draws=8000, seed=11)


def bayes(prior: np.ndarray, *likelihoods: np.ndarray) -> np.ndarray:
    post = prior * np.prod(likelihoods, axis=0)
    return post / post.sum()


# --- known answers -------------------------------------------------------------------


def test_observed_signpost_updates_outcomes_by_bayes(known_fit: Any) -> None:
    """P(outcome k | signpost) = pi_k L_k / sum_j pi_j L_j, with pi the stated odds."""
    exact = bayes(STATED, L_ORDER)
    out = known_fit.outcomes()
    assert known_fit.conditioned
    assert np.all(np.abs(out["probability"] - exact) <= Z * out["mcse"]), (out, exact)
    # the update is material (win 0.50 -> 0.74), so the test can tell it from no update
    assert out["probability"].iloc[0] - STATED[0] > 50 * out["mcse"].iloc[0]


def test_evidence_gives_the_conjugate_normal_posterior_of_growth(known_fit: Any) -> None:
    import arviz_stats as azs

    mu0, sd0 = np.log1p(0.30), 0.10  # prior of the drift log(1 + CAGR)
    years, r = 2026 - 2024, 0.1  # log 18.5 = log 10 + 2 * drift + N(0, r)
    x = (np.log(18.5) - np.log(10.0)) / years  # the drift the observation implies, sd r / years
    prec = 1 / sd0**2 + years**2 / r**2
    mean, sd = (mu0 / sd0**2 + x * years**2 / r**2) / prec, prec**-0.5

    drift = np.log1p(known_fit.draws["growth"].values[:, :, 0])  # (chain, draw)
    mcse_mean = float(azs.mcse(drift, method="mean"))
    mcse_sd = float(azs.mcse(drift, method="sd"))
    assert abs(drift.mean() - mean) <= Z * mcse_mean, (drift.mean(), mean, mcse_mean)
    assert abs(drift.std() - sd) <= Z * mcse_sd, (drift.std(), sd, mcse_sd)
    # and the prior, for contrast, is where it was
    prior = np.log1p(known_fit.data["prior"]["growth"].values[0, :, 0])
    assert abs(prior.mean() - mu0) < 4 * sd0 / np.sqrt(prior.size)


@pytest.mark.parametrize("observed", [True, False])
def test_signpost_what_if_matches_a_nuts_run_with_it_observed(
    known: forecast.Scenario, known_fit: Any, observed: bool
) -> None:
    """``Forecast.signposts()`` of a posterior run predicts the run with one more signpost.

    The second run uses PyMC's own NUTS, so this also checks that sampler against the
    exact answer.
    """
    table = known_fit.signposts().query("signpost == 'hire'")
    predicted = table["if_true" if observed else "if_false"].to_numpy()
    assert np.isnan(table["observed"].to_numpy(dtype=float)).all()  # 'hire' is unobserved

    # MCSE of the prediction: it is f(m) = m_k l_k / (m . l) of the current means m,
    # so by the delta method |df_k| <= sum_j |d f_k / d m_j| mcse_j
    lik = L_HIRE if observed else 1 - L_HIRE
    now, mcse_now = known_fit.outcomes()["probability"].to_numpy(), known_fit.outcomes()["mcse"].to_numpy()
    norm = now @ lik
    jac = np.diag(lik) / norm - np.outer(now * lik, lik) / norm**2
    mcse_pred = np.abs(jac) @ mcse_now

    both = known.with_overrides({"signposts.hire.observed": observed})
    fc = Forecast.of(infer(both, draws=4000, seed=5, sampler="pymc", tune=500, nuts_draws=1000))
    assert fc.diagnostics is not None and fc.diagnostics.attrs["sampler"] == "pymc"
    out = fc.outcomes()
    got, mcse = out["probability"].to_numpy(), out["mcse"].to_numpy()
    assert np.all(np.abs(predicted - got) <= Z * np.hypot(mcse, mcse_pred)), (predicted, got)
    exact = bayes(STATED, L_ORDER, lik)
    assert np.all(np.abs(predicted - exact) <= Z * mcse_pred)
    assert np.all(np.abs(got - exact) <= Z * mcse)
    assert check(fc.diagnostics) == []


def test_an_observed_signpost_row_is_not_counted_twice(known_fit: Any) -> None:
    """For the signpost NUTS conditioned on, the table starts from the odds without it:
    if_true is where we are, if_false what the other answer would have given."""
    row = known_fit.signposts().query("signpost == 'order'")
    assert row["observed"].tolist() == [True] * 3
    np.testing.assert_allclose(row["if_true"], row["now"], rtol=1e-12)
    mcse = known_fit.outcomes()["mcse"].to_numpy()
    # now = bayes(stated, L): undoing it is exact up to the MCSE of now, scaled by 1 / L
    # (a conservative delta-method bound), and by 1 / (1 - p_true) more for if_false
    tol = Z * np.abs(mcse / L_ORDER).sum()
    p_true = STATED @ L_ORDER
    assert abs(row["p_true"].iloc[0] - p_true) <= tol
    assert np.all(np.abs(row["if_false"].to_numpy() - bayes(STATED, 1 - L_ORDER)) <= tol / (1 - p_true))


def test_prior_only_ignores_the_evidence(known: forecast.Scenario, known_fit: Any) -> None:
    fc = forecast.simulate(known, draws=8000, seed=11, prior_only=True)
    assert fc.prior_only and not fc.conditioned and fc.diagnostics is None
    assert sorted(fc.data.children) == ["constant_data", "prior", "prior_predictive"]
    assert fc.warnings == []
    # the prior is the stated odds and the stated growth, untouched by the observations
    out = fc.outcomes()
    assert np.all(np.abs(out["probability"] - STATED) <= 4 * out["mcse"])
    # and it is exactly the prior group of the conditioned run (same seed, same draws)
    for name in recorded(known_fit.prior_draws):
        np.testing.assert_array_equal(fc.prior_draws[name].values, known_fit.prior_draws[name].values)


# --- the bundled update scenario -----------------------------------------------------


def test_update_scenario_is_valid_and_says_its_evidence_is_illustrative(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from forecast.cli import main

    path = forecast.bundled("deepseek-update")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {path}"
    s = forecast.load(path)
    assert s.has_evidence and len(s.evidence) == 1
    observed = [sp for sp in s.signposts if sp.observed is not None]
    assert [sp.id for sp in observed] == ["next_model_release"] and observed[0].observed is True
    for item in (*s.evidence, *observed):
        assert item.source is not None and item.source.startswith("illustrative: NOT real data")


def test_update_scenario_meets_the_diagnostic_thresholds(update_forecast: Any) -> None:
    diag = update_forecast.diagnostics
    assert isinstance(diag, pd.DataFrame)
    assert list(diag.columns) == ["variable", "rhat", "ess_bulk", "ess_tail"]
    assert set(inference.INFERENCE_LATENTS) <= set(diag["variable"])
    assert (diag["rhat"] <= inference.RHAT_MAX).all()
    assert (diag[["ess_bulk", "ess_tail"]] >= inference.ESS_MIN).all().all()
    assert diag.attrs["divergences"] == 0
    assert diag.attrs["sampler"] == "nutpie" and diag.attrs["chains"] == 4
    assert check(update_forecast.diagnostics) == [] and update_forecast.warnings == []


def test_nutpie_sampler_comes_from_the_disk_cache_in_a_new_process(update_forecast: Any) -> None:
    """The session compiled the update scenario's sampler (``update_forecast``); a new
    process compiling the same structure loads nutpie's two callbacks from the disk
    cache (one numba cache hit each) instead of compiling them again (~20 s), and
    nothing warns (the fallback to nutpie's own compile would)."""
    import subprocess
    import sys

    code = (
        "import forecast\n"
        "from forecast.engine.inference import compiled_sampler\n"
        "from forecast.engine.data import model_data\n"
        "cs = compiled_sampler(model_data(forecast.load(forecast.bundled('deepseek-update'))))\n"
        "print(cs.compiled.compiled_logp_func.cache_hits, cs.compiled.compiled_expand_func.cache_hits)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "1"], proc.stdout


def test_update_forecast_groups_and_shapes(update_forecast: Any, tmp_path: Path) -> None:
    import xarray as xr

    tree = update_forecast.data
    assert sorted(tree.children) == [
        "constant_data",
        "observed_data",
        "posterior",
        "posterior_predictive",
        "prior",
        "prior_predictive",
        "sample_stats",
    ]
    post, prior = update_forecast.draws, update_forecast.prior_draws
    assert (post.sizes["chain"], post.sizes["draw"]) == (4, 5000)  # 20,000 requested draws
    assert (prior.sizes["chain"], prior.sizes["draw"]) == (1, 20000)
    for name, dims in recorded(post).items():
        assert post[name].dims == ("chain", "draw", *dims), name
        assert np.isfinite(post[name].values).all(), name
    for name in inference.INFERENCE_LATENTS:
        assert name in post.data_vars
    np.testing.assert_allclose(post["outcome_probability"].values.sum(axis=-1), 1.0)
    assert "diverging" in tree["sample_stats"].data_vars
    obs = tree["observed_data"]
    assert list(obs["evidence"].values) == [0]  # evidence[0] of the file
    assert list(tree["constant_data"]["evidence_market"].values) == ["developer_tools"]
    assert list(tree["constant_data"]["evidence_year"].values) == [2025]
    np.testing.assert_allclose(obs["evidence_value"].values, [4.9])
    assert list(obs["signpost_observed"].values) == [1]
    assert tree.attrs["scenario_id"] == "deepseek_update" and tree.attrs["seed"] == 7
    assert set(update_forecast.timings) == {"compile", "simulate", "sample"}

    # the whole tree survives netCDF (what `forecast run` writes as forecast.nc)
    path = tmp_path / "forecast.nc"
    update_forecast.to_netcdf(path)
    back = xr.open_datatree(path, engine="h5netcdf")
    # stored as float32: equal to float32 precision
    np.testing.assert_allclose(back["posterior"]["market_size"].values, post["market_size"].values, rtol=1e-7)
    np.testing.assert_array_equal(
        back["posterior_predictive"]["prediction_hit"].values, post["prediction_hit"].values
    )
    # ArviZ reads the NUTS groups as it reads any PyMC result
    import arviz_stats as azs

    summary = azs.summary(back, group="posterior", var_names=["growth"])
    assert summary["r_hat"].astype(float).max() < 1.01
    assert "prediction_hit[devtools_leadership]" in azs.summary(back, group="posterior_predictive").index
    assert back["posterior"].attrs["inference_library"] == update_forecast.diagnostics.attrs["sampler"]
    assert list(back["posterior"]["chain"].values) == [0, 1, 2, 3]
    back.close()


def test_update_moves_the_odds_the_way_the_evidence_points(update_forecast: Any) -> None:
    """The signpost favours independence (likelihood 0.75 vs 0.45 and 0.15); the 2025
    developer-tools estimate of 4.9 pulls that market toward it."""
    out = update_forecast.outcomes().set_index("outcome")
    assert out.loc["independence", "probability"] > out.loc["independence", "stated"] + 0.1
    assert out.loc["struggling", "probability"] < out.loc["struggling", "stated"] - 0.1
    i_m = update_forecast.scenario.markets.index(update_forecast.scenario.market("developer_tools"))
    prior = np.median(update_forecast.data["prior"]["market_size"].values[0, :, i_m, 1])
    post = np.median(update_forecast.values("market_size")[:, i_m, 1])
    assert abs(np.log(post / 4.9)) < abs(np.log(prior / 4.9))


def test_scenarios_of_one_shape_share_a_compiled_sampler(
    known: forecast.Scenario, known_fit: Any, update_forecast: Any
) -> None:
    a = inference.compiled_sampler(model_data(known))
    b = inference.compiled_sampler(model_data(update_forecast.scenario))
    assert a is b
    # the draws carry each scenario's own labels, not those of the one compiled first
    for fc in (known_fit, update_forecast):
        ids = [m.id for m in fc.scenario.markets]
        assert list(fc.data["posterior"]["z_size"]["market"].values) == ids
        assert list(fc.data["posterior"]["market_size"]["market"].values) == ids


def test_same_seed_same_posterior_and_no_recompile(update_forecast: Any) -> None:
    s = update_forecast.scenario
    before = inference.COMPILE_COUNT
    a = Forecast.of(infer(s, draws=4000, seed=3))
    b = Forecast.of(infer(s, draws=4000, seed=3))
    assert before == inference.COMPILE_COUNT  # the fixture's compiled sampler was reused
    assert a.timings["compile"] == 0.0  # nothing compiled, only cached look-ups
    for name in ("z_growth", "outcome_probability", "prediction_hit", "realized_outcome"):
        np.testing.assert_array_equal(a.values(name), b.values(name))
    c = Forecast.of(infer(s, draws=4000, seed=4))
    assert not np.array_equal(a.values("z_growth"), c.values("z_growth"))


def test_a_starved_sampler_is_flagged(update_forecast: Any) -> None:
    """Five tuning steps and 30 draws per chain: too few to trust, and check() says so."""
    fc = Forecast.of(infer(update_forecast.scenario, draws=100, seed=1, tune=5, nuts_draws=30))
    warnings = check(fc.diagnostics)
    assert warnings and warnings == fc.warnings
    assert any("ESS" in w and "below 400" in w for w in warnings)
    assert all(isinstance(w, str) and w for w in warnings)


# --- check() and diagnose() ----------------------------------------------------------


def test_check_reports_each_threshold() -> None:
    diag = pd.DataFrame(
        {
            "variable": ["growth", "size", "share"],
            "rhat": [1.05, 1.001, 1.0],
            "ess_bulk": [2000.0, 150.0, 1000.0],
            "ess_tail": [2000.0, 1000.0, 90.0],
        }
    )
    diag.attrs.update({"divergences": 3, "n_draws": 4000})
    warnings = check(diag)
    assert len(warnings) == 4
    assert warnings[0].startswith("R-hat of growth is 1.05 (above 1.01)")
    assert warnings[1].startswith("bulk ESS of size is 150 (below 400)")
    assert warnings[2].startswith("tail ESS of share is 90 (below 400)")
    assert warnings[3].startswith("3 divergent transitions of 4000 draws")
    diag.loc[:, ["rhat", "ess_bulk", "ess_tail"]] = [[1.0, 500.0, 500.0]] * 3
    diag.attrs["divergences"] = 0
    assert check(diag) == [] and check(None) == []


def test_diagnose_flags_chains_that_disagree_and_skips_constants() -> None:
    import xarray as xr

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 1000))
    x[0] += 1.0  # one chain stuck elsewhere
    post = xr.Dataset(
        {
            "growth": (("chain", "draw"), x),
            "size": (
                ("chain", "draw", "market"),
                np.stack([rng.normal(size=(4, 1000)), np.ones((4, 1000))], -1),
            ),
            "volatility": (("chain", "draw"), np.zeros((4, 1000))),
        }
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 1000), bool))})
    diag = diagnose(post, stats)
    assert list(diag["variable"]) == ["size", "growth"]  # latents order; the constant is gone
    assert np.isfinite(diag[["rhat", "ess_bulk", "ess_tail"]].to_numpy()).all()
    assert check(diag)[0].startswith("R-hat of growth")


def test_unknown_sampler_and_nothing_observed_are_errors(known: forecast.Scenario) -> None:
    with pytest.raises(ValueError, match="sampler must be one of nutpie, pymc"):
        inference.compiled_sampler(model_data(known), "stan")
    signposts = [sp.model_copy(update={"observed": None}) for sp in known.signposts]
    bare = known.model_copy(update={"evidence": [], "signposts": signposts})
    with pytest.raises(ValueError, match="nothing observed"):
        infer(bare, draws=100, seed=1)


def test_docstring_examples() -> None:
    result = doctest.testmod(inference, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
