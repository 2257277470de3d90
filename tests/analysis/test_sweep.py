"""Sweep cases: the grid, each case's seed and digest, and the MCSE of quantiles."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from scipy import stats

import forecast
from forecast.analysis.sweep import build_cases, parse_grid, quantile_mcse, split_values
from forecast.errors import ScenarioError

DEEPSEEK = forecast.bundled("deepseek")


def test_grid_values_are_toml_and_commas_inside_tables_stay() -> None:
    grid = parse_grid(["markets.developer_tools.cagr=0.3, {median = 0.4, sigma = 0.1}", "title=Bull,Bear"])
    assert grid == {
        "markets.developer_tools.cagr": [0.3, {"median": 0.4, "sigma": 0.1}],
        "title": ["Bull", "Bear"],
    }
    assert split_values('"a,b",[1, 2]') == ['"a,b"', "[1, 2]"]


def test_every_bad_grid_item_is_reported_at_once() -> None:
    with pytest.raises(ScenarioError) as e:
        parse_grid(["nokey", "a.b=", "c=1,1", "d=1", "d=2"])
    text = [str(p) for p in e.value.problems]
    assert len(text) == 4
    assert text[0].startswith("--grid: nokey: expected KEY=V1,V2")
    assert "listed twice" in text[2] and "swept twice" in text[3]


def test_every_case_uses_the_sweep_seed() -> None:
    """Common random numbers: the same seed (and so the same streams) in every case, in
    any order; 0.30 and 0.3 are the same case."""
    base = {"deepseek": forecast.load(DEEPSEEK)}
    ab = build_cases(base, {"assessment.confidence": [5, 20]}, seed=3, draws=500)
    ba = build_cases(base, {"assessment.confidence": [20, 5]}, seed=3, draws=500)
    assert {c.seed for c in ab} == {c.seed for c in ba} == {3}
    assert {c.key: c.digest for c in ab} == {c.key: c.digest for c in ba}
    one = build_cases(base, parse_grid(["assessment.confidence=5.0"]), seed=3)
    two = build_cases(base, parse_grid(["assessment.confidence=5.00"]), seed=3)
    assert one[0].digest == two[0].digest


def test_digest_covers_inputs_draws_and_seed() -> None:
    base = {"deepseek": forecast.load(DEEPSEEK)}
    grid = {"assessment.confidence": [5]}
    ref = build_cases(base, grid, seed=3, draws=500)[0]
    assert build_cases(base, grid, seed=3, draws=600)[0].digest != ref.digest
    assert build_cases(base, grid, seed=4, draws=500)[0].digest != ref.digest
    other = build_cases(base, {"assessment.confidence": [6]}, seed=3, draws=500)[0]
    assert other.digest != ref.digest
    # the resolved inputs hold the case's own draws and seed
    s = forecast.load(
        DEEPSEEK, overrides={"assessment.confidence": 5, "simulation.draws": 500, "simulation.seed": ref.seed}
    )
    assert hashlib.sha256(s.to_toml().encode()).hexdigest() == ref.digest


def test_invalid_case_names_its_key_path() -> None:
    cases = build_cases({"deepseek": forecast.load(DEEPSEEK)}, {"assessment.confidence": [5, -1]}, seed=0)
    assert [c.valid for c in cases] == [True, False]
    assert any("assessment.confidence" in p for p in cases[1].problems)
    # the problem names the file once, and says the value came from the grid (it read
    # "deepseek.toml with deepseek.toml: assessment.confidence: ...")
    [problem] = cases[1].problems
    assert problem.startswith(f"{DEEPSEEK} with --grid: assessment.confidence: "), problem


def test_portfolio_cases_are_named_by_scenario() -> None:
    a, b = forecast.load(DEEPSEEK), forecast.load(forecast.bundled("deepseek-bull"))
    cases = build_cases({"deepseek": a, "deepseek-bull": b}, {"assessment.confidence": [5]}, seed=0)
    assert [c.key for c in cases] == [
        "scenario=deepseek; assessment.confidence=5",
        "scenario=deepseek-bull; assessment.confidence=5",
    ]


@pytest.mark.parametrize("p", [0.05, 0.5, 0.95])
def test_quantile_mcse_matches_the_spread_of_sample_quantiles(p: float) -> None:
    """The MCSE of a sample quantile against its known sampling SD.

    For n independent normal draws the p-quantile's SD is sqrt(p(1-p)/n) / phi(z_p).
    The MCSE estimate is itself noisy (it reads two order statistics), so its mean
    over R = 300 samples is compared; the tolerance is 4 standard errors of that mean,
    taken from the estimates' own spread, plus 2% for the asymptotic formula at n = 2000.
    """
    rng = np.random.default_rng(20251129)
    n, reps = 2000, 300
    x = rng.normal(size=(reps, 1, n, 1))
    se = np.array([quantile_mcse(None, x[r], [p])[0, 0] for r in range(reps)])
    z = stats.norm.ppf(p)
    truth = np.sqrt(p * (1 - p) / n) / stats.norm.pdf(z)
    tol = 4 * se.std(ddof=1) / np.sqrt(reps) + 0.02 * truth
    assert abs(se.mean() - truth) < tol
    # and the sample quantiles really spread that much
    spread = np.quantile(x[:, 0, :, 0], p, axis=1).std(ddof=1)
    assert abs(spread - truth) < 4 * truth / np.sqrt(2 * (reps - 1)) + 0.02 * truth
