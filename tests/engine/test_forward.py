"""The batched forward simulation: same distribution as PyMC's own sampler, reproducible,
and compiled once per model structure.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import forecast
from forecast.engine.dataset import INT8_OUTPUTS
from forecast.engine.model import INFERENCE_LATENTS, build_model, model_data, recorded
from forecast.scenario import Scenario

# the forward-simulation module holds the compile cache and counter
sim_module = importlib.import_module("forecast.engine.forward")

TWO_MARKETS = {
    "id": "two_markets",
    "title": "Two markets, nothing else",
    "as_of": "2025-01-01",
    "markets": [
        {"id": "a", "label": "A", "unit": "u", "base_year": 2024, "size": 3.0, "cagr": 0.2},
        {"id": "b", "label": "B", "unit": "u", "base_year": 2023, "size": {"low": 1, "high": 2}, "cagr": 0.1},
    ],
}


@pytest.fixture(scope="module")
def seed_scenario() -> Scenario:
    return forecast.load(forecast.bundled("deepseek"))


# --- the batched simulation is PyMC's model ---------------------------------------------

PYMC_DRAWS = 2_000


@pytest.fixture(scope="module")
def pymc_prior(seed_scenario: Scenario) -> Any:
    """``pm.sample_prior_predictive`` of the model :func:`build_model` builds (its loop)."""
    import pymc as pm

    model = build_model(model_data(seed_scenario).without_observations())
    tree = pm.sample_prior_predictive(draws=PYMC_DRAWS, model=model, random_seed=2024)
    return tree["prior"].to_dataset()


def _columns(values: np.ndarray) -> list[tuple[int, ...]]:
    return list(np.ndindex(values.shape[1:])) or [()]


def test_batched_draws_have_pymc_distribution(seed_forecast: Any, pymc_prior: Any) -> None:
    """Two-sample KS test of every element of the continuous outputs, and a two-proportion
    z-test of every 0/1 or categorical frequency, batched (20,000 draws) vs PyMC (2,000).

    About 70 comparisons, so each uses a Bonferroni-corrected level: family-wise
    alpha = 0.01, per comparison 0.01 / 70 (KS p-value, or |z| below the matching
    normal quantile). Seeds are fixed, so the outcome is the same on every run.
    """
    continuous = [
        "size",
        "growth",
        "volatility",
        "common_factor",
        "market_size",
        "total_market",
        "outcome_probability",
        "share",
        "revenue",
        "event_probability",
        "event_time",
        "signpost_probability",
    ]
    n_cont = sum(len(_columns(seed_forecast.values(v))) for v in continuous)
    n_disc = len(seed_forecast.scenario.outcome_ids) + len(seed_forecast.scenario.predictions)
    alpha = 0.01 / (n_cont + n_disc)
    z_crit = stats.norm.isf(alpha / 2)
    failures: list[tuple[Any, ...]] = []
    for name in continuous:
        ours = seed_forecast.values(name)
        theirs = pymc_prior[name].values.reshape(-1, *ours.shape[1:])
        for idx in _columns(ours):
            col = (slice(None), *idx)
            p = stats.ks_2samp(ours[col], theirs[col]).pvalue
            if p < alpha:
                failures.append((name, idx, p))

    def proportions(a: np.ndarray, b: np.ndarray, label: str) -> None:
        pa, pb = a.mean(), b.mean()
        pooled = (a.sum() + b.sum()) / (a.size + b.size)
        se = np.sqrt(pooled * (1 - pooled) * (1 / a.size + 1 / b.size))
        if se > 0 and abs(pa - pb) / se > z_crit:
            failures.append((label, pa, pb))

    ours_k, theirs_k = seed_forecast.values("realized_outcome"), pymc_prior["realized_outcome"].values.ravel()
    for k in range(len(seed_forecast.scenario.outcome_ids)):
        proportions(ours_k == k, theirs_k == k, f"outcome {k}")
    ours_h = seed_forecast.values("prediction_hit")
    theirs_h = pymc_prior["prediction_hit"].values.reshape(-1, ours_h.shape[1])
    for j in range(ours_h.shape[1]):
        proportions(ours_h[:, j], theirs_h[:, j], f"prediction {j}")
    assert n_cont + n_disc > 50
    assert not failures, failures


def test_batched_outputs_match_pymc_names_dims_and_dtypes(seed_forecast: Any, pymc_prior: Any) -> None:
    for name, dims in recorded(seed_forecast.draws).items():
        ours = seed_forecast.draws[name]
        assert ours.dims == ("chain", "draw", *dims), name
        # hits and the outcome index are stored as int8 (PyMC's hits are 0.0/1.0 floats)
        kind = "i" if name in INT8_OUTPUTS else pymc_prior[name].dtype.kind
        assert ours.dtype.kind == kind, name


# --- reproducible -----------------------------------------------------------------------


def test_same_seed_same_bytes_different_seed_different_numbers(
    seed_scenario: Scenario, tmp_path: Path
) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        forecast.simulate(seed_scenario, draws=2000, seed=seed).write_tables(tmp_path / name)
    for table in ("markets.csv", "outcomes.csv", "predictions.csv"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes(), table
        assert (tmp_path / "a" / table).read_bytes() != (tmp_path / "c" / table).read_bytes(), table


def test_chunks_give_the_draws_of_one_call(seed_scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every random variable draws from its own stream in draw order, so splitting a run
    into chunks (to bound memory) changes no number."""
    sim = sim_module.simulator(model_data(seed_scenario).without_observations())
    whole = sim(2500, 3)
    monkeypatch.setattr(sim_module, "CHUNK", 1000)
    chunked = sim(2500, 3)
    for name in recorded(whole):
        np.testing.assert_array_equal(whole[name], chunked[name], err_msg=name)
        assert chunked[name].shape[0] == 2500


# --- compiled once per structure ---------------------------------------------------------


def test_one_compile_serves_every_scenario_of_a_structure(seed_scenario: Scenario) -> None:
    """The seed (4 markets, 3 outcomes), ev-charging (3 markets) and a bare two-market file
    (no outcomes, positions, predictions or signposts) share one compiled graph."""
    # the seed without its named inputs and metrics: formulas' shapes are structure too
    bare_seed = {k: v for k, v in seed_scenario.raw.items() if k not in ("inputs", "metrics")}
    scenarios = [
        Scenario.from_dict(bare_seed),
        forecast.load(forecast.bundled("ev-charging")),
        Scenario.from_dict(TWO_MARKETS),
    ]
    data = [model_data(s).without_observations() for s in scenarios]
    assert len({d.structure for d in data}) == 1
    sim_module.simulator(data[0])
    compiled = sim_module.COMPILE_COUNT
    for s, d in zip(scenarios, data, strict=True):
        values = sim_module.simulator(d)(500, 1)
        assert values["market_size"].shape == (500, len(s.markets), len(s.years))
        assert values["prediction_hit"].shape == (500, len(s.predictions))
        assert np.all(np.isfinite(values["market_size"]))
    assert compiled == sim_module.COMPILE_COUNT
    # the bare file: its two markets from their own base years, one implicit outcome
    bare = sim_module.simulator(data[2])(500, 1)
    years = [int(y) for y in scenarios[2].years]
    np.testing.assert_allclose(bare["market_size"][:, 0, years.index(2024)], 3.0)
    np.testing.assert_allclose(bare["market_size"][:, 0, years.index(2025)], 3.6)
    np.testing.assert_array_equal(bare["outcome_probability"], 1.0)


def test_no_structure_is_compiled_twice() -> None:
    """Every compile so far is cached (the whole session is checked at teardown by the
    ``compile_budget`` fixture in conftest.py)."""
    assert len(sim_module._CACHE) == sim_module.COMPILE_COUNT
    # plain, and with uniform inputs, among the structures without formulas (each
    # formula shape is a structure of its own: tests/engine/test_formulas.py)
    forward = [key for key in sim_module._CACHE if not key[1] and len(key[0]) == 3]
    assert len(forward) <= 2, forward


# --- posterior predictive: latents in, every output out ------------------------------------


def test_conditional_simulator_takes_the_latents(seed_scenario: Scenario) -> None:
    """At zero latents and the stated outcome prior, every market sits at its median path:
    the stated size in the base year and the stated projection in its year."""
    update = forecast.load(forecast.bundled("deepseek-update"))
    sim = sim_module.simulator(model_data(update), conditional=True)
    assert set(sim.inputs) <= set(INFERENCE_LATENTS)
    n = 50
    coords = model_data(update).coords
    dims = sim.model.named_vars_to_dims
    shapes = {name: tuple(len(coords[d]) for d in dims.get(name, ())) for name in sim.inputs}
    latents = {name: np.zeros((n, *shape)) for name, shape in shapes.items()}
    if "outcome_prior" in latents:
        latents["outcome_prior"][:] = [0.40, 0.35, 0.25]
    values = sim(n, 1, posterior=latents)
    years = [int(y) for y in update.years]
    for i, m in enumerate(update.markets):
        assert m.projection is not None
        size = m.size.canonical("positive").quantile(0.5)
        proj = m.projection.canonical("positive").quantile(0.5)
        np.testing.assert_allclose(values["market_size"][:, i, years.index(m.base_year)], size, rtol=1e-12)
        np.testing.assert_allclose(
            values["market_size"][:, i, years.index(m.projection.year)], proj, rtol=1e-12
        )
    assert values["realized_outcome"].shape == (n,)


def test_simulate_stays_callable_after_the_module_is_imported(seed_scenario: Scenario) -> None:
    """``forecast.simulate`` is the function, whatever engine modules were imported."""
    importlib.import_module("forecast.engine.forward")
    assert callable(forecast.simulate)
    assert forecast.simulate(seed_scenario, draws=100, seed=1).n_draws == 100
