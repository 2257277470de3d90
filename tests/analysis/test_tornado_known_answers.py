"""The tornado on a target with a closed form: every bar worked by hand.

The scenario is ``test_formulas.py``'s (the same compiled structure, so no new compile)
with three uncertain inputs and nothing else random: market ``m``'s 2024 size,
lognormal with median 10 and sigma 0.2; its CAGR, lognormal in 1 + rate with median
0.1 and sigma 0.03; input ``u``, a 90% interval (1, 3) with a positive unit, so
lognormal with median sqrt(3) and sigma ln 3 / (2 z95). No volatility: market ``m``
in 2028 is ``size * (1 + cagr)^4``, and metric ``late`` in 2028 is that plus ``2 u``.
With every input fixed the target is one number, so its median is exact.

Each bar is the target with one input at its 10th (90th) percentile and the others at
their medians. Its closed form uses the inputs' analytic quantiles; the tornado uses
the quantiles of the forecast's draws, so the two differ by the sample quantile's
Monte Carlo error, sqrt(q (1 - q) / n) / f(x_q) for n independent draws (forward
simulation), carried to the target by the derivative; the tolerance is 4 of those. The
same bars are also checked exactly against the target's formula at the draws' own
quantiles (numpy's, not the program's).

Then what the runs promise beyond the bars (the defaults, the seed and its common random
numbers, the runs as executor jobs, ties, the attrs) on the same structure with yearly
shocks, and the outcome odds and an event's probability on ``test_sensitivity.py``'s
structure with every other input at a point: closed forms there too (Beta(10, 10)
percentiles, a logit-normal event probability).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.sensitivity import TORNADO_COLUMNS
from forecast.analysis.tornado import tornado, tornadoes
from forecast.scenario import Scenario
from tests.engine.test_formulas import POINT

N = 4000
Z90 = 1.2815515655446004  # the standard normal's 90th percentile
Z95 = 1.6448536269514722
SIZE_SIGMA, CAGR_SIGMA = 0.2, 0.03
U_MEDIAN, U_SIGMA = math.sqrt(3.0), math.log(3.0) / (2 * Z95)


@pytest.fixture(scope="module")
def linear() -> Any:
    data = copy.deepcopy(POINT)
    data["markets"][0]["size"] = {"median": 10.0, "sigma": SIZE_SIGMA}
    data["markets"][0]["cagr"] = {"median": 0.1, "sigma": CAGR_SIGMA}
    return forecast.simulate(Scenario.from_dict(data), draws=N, seed=5)


def _lognormal(median: float, sigma: float, z: float) -> float:
    return median * math.exp(sigma * z)


def _quantile_se(x: float, sigma: float, q: float) -> float:
    """The sample q-quantile's SE for a lognormal: density at x is phi(z) / (x sigma)."""
    phi = math.exp(-0.5 * Z90**2) / math.sqrt(2 * math.pi)  # q is 0.1 or 0.9: |z| = Z90
    return math.sqrt(q * (1 - q) / N) / (phi / (x * sigma))


# the inputs at their medians, worked by hand
SIZE, GROWTH4, U = 10.0, 1.1**4, U_MEDIAN
BASE = SIZE * GROWTH4 + 2 * U  # 14.641 + 3.4641 = 18.105


def _bars() -> dict[str, list[float]]:
    """Per input: the target at its 10th and 90th percentile, then the target's SE at
    each (4 x it is the tolerance)."""
    out: dict[str, list[float]] = {"size[m]": [], "growth[m]": [], "input_value[u]": []}
    ses: dict[str, list[float]] = {k: [] for k in out}
    for sign, q in ((-1, 0.1), (1, 0.9)):
        size = _lognormal(10.0, SIZE_SIGMA, sign * Z90)
        growth = _lognormal(1.1, CAGR_SIGMA, sign * Z90)  # 1 + cagr
        u = _lognormal(U_MEDIAN, U_SIGMA, sign * Z90)
        out["size[m]"].append(size * GROWTH4 + 2 * U)
        ses["size[m]"].append(GROWTH4 * _quantile_se(size, SIZE_SIGMA, q))
        out["growth[m]"].append(SIZE * growth**4 + 2 * U)
        ses["growth[m]"].append(SIZE * 4 * growth**3 * _quantile_se(growth, CAGR_SIGMA, q))
        out["input_value[u]"].append(SIZE * GROWTH4 + 2 * u)
        ses["input_value[u]"].append(2 * _quantile_se(u, U_SIGMA, q))
    return {k: out[k] + ses[k] for k in out}


def test_each_bar_is_the_target_at_the_inputs_quantile_worked_by_hand(linear: Any) -> None:
    """size 10 e^(+-0.2 z90) = 7.739 / 12.92, times 1.1^4, plus 2 sqrt(3): 14.80 / 22.38;
    10 (1.1 e^(+-0.03 z90))^4 + 2 sqrt(3): 16.02 / 20.54; 14.641 + 2 u: 16.90 / 19.96;
    largest swing first: size (7.59), CAGR (4.52), u (3.06)."""
    df = tornado(linear, "metric.late@2028", draws=200)
    assert list(df.columns) == TORNADO_COLUMNS
    assert list(df["input"]) == ["size[m]", "growth[m]", "input_value[u]"]
    bars = _bars()
    assert bars["size[m]"][:2] == pytest.approx((14.7948, 22.3825), abs=1e-4)  # the hand sums above
    for _, row in df.iterrows():
        lo, hi, se_lo, se_hi = bars[row["input"]]
        assert abs(row["low"] - lo) <= 4 * se_lo, row["input"]
        assert abs(row["high"] - hi) <= 4 * se_hi, row["input"]
        assert row["swing"] == pytest.approx(abs(row["high"] - row["low"]), rel=1e-12)
    # the base: every input at its median (the sample medians, SE ~0.02 here)
    assert df.attrs["base"] == pytest.approx(BASE, abs=0.15)
    assert (df["base"] == df.attrs["base"]).all()
    # what the figure's axis says: the target's label, and a median (not a probability)
    assert (df.attrs["target"], df.attrs["spec"], df.attrs["statistic"]) == (
        "W 2028 (USD bn)",
        "metric.late@2028",
        "median",
    )


def test_each_bar_is_the_formula_at_the_draws_quantiles_exactly(linear: Any) -> None:
    size = linear.values("size")[:, 0]
    cagr = linear.values("growth")[:, 0]
    u = linear.values("input_value")[:, 1]
    med = {"size": np.median(size), "cagr": np.median(cagr), "u": np.median(u)}

    def target(size: float = med["size"], cagr: float = med["cagr"], u: float = med["u"]) -> float:
        return float(size * (1 + cagr) ** 4 + 2 * u)

    want = {
        "size[m]": [target(size=v) for v in np.quantile(size, [0.1, 0.9])],
        "growth[m]": [target(cagr=v) for v in np.quantile(cagr, [0.1, 0.9])],
        "input_value[u]": [target(u=v) for v in np.quantile(u, [0.1, 0.9])],
    }
    values = {"size[m]": size, "growth[m]": cagr, "input_value[u]": u}
    df = tornado(linear, "metric.late@2028", draws=200).set_index("input")
    for key, (lo, hi) in want.items():
        assert df.loc[key, "low"] == pytest.approx(lo, rel=1e-9), key
        assert df.loc[key, "high"] == pytest.approx(hi, rel=1e-9), key
        qs = np.quantile(values[key], [0.1, 0.9])
        assert (df.loc[key, "low_value"], df.loc[key, "high_value"]) == pytest.approx(tuple(qs), rel=1e-12)
    assert df.attrs["base"] == pytest.approx(target(), rel=1e-9)


def test_other_quantiles_and_a_second_target_from_the_same_runs(linear: Any) -> None:
    """``low`` at the 80th percentile and ``high`` at the 20th (z80 = 0.8416): the bars
    read the other way and the swing is still their width; ``metric.twice`` (2 u) is
    moved by u alone: the other bars have no swing and keep the inputs' order."""
    z80 = 0.8416212335729143
    both = tornadoes(linear, ["metric.late@2028", "metric.twice"], low=0.8, high=0.2, draws=200)
    twice = both["metric.twice"]
    assert list(twice["input"]) == ["input_value[u]", "size[m]", "growth[m]"]
    u = linear.values("input_value")[:, 1]
    hi, lo = np.quantile(u, [0.2, 0.8])
    row = twice.iloc[0]
    assert row["swing"] == pytest.approx(2 * (lo - hi), rel=1e-9)
    assert (row["low"], row["high"]) == pytest.approx((2 * lo, 2 * hi), rel=1e-9)
    # and by hand: 2 sqrt(3) e^(+-sigma z80) = 4.588 / 2.615, within 4 SE of the sample quantile
    se = math.sqrt(0.16 / N) * math.sqrt(2 * math.pi) * math.exp(0.5 * z80**2) * U_SIGMA
    for got, z in ((row["low"], z80), (row["high"], -z80)):
        x = _lognormal(U_MEDIAN, U_SIGMA, z)
        assert abs(got - 2 * x) <= 4 * 2 * se * x
    assert (twice["swing"].iloc[1:] == 0).all()
    assert twice.attrs["base"] == pytest.approx(2 * np.median(u), rel=1e-9)
    late = both["metric.late@2028"].set_index("input")
    size = linear.values("size")[:, 0]
    hi, lo = np.quantile(size, [0.2, 0.8])
    rest = 2 * np.median(u)
    growth4 = (1 + np.median(linear.values("growth")[:, 0])) ** 4
    assert (late.loc["size[m]", "low"], late.loc["size[m]", "high"]) == pytest.approx(
        (lo * growth4 + rest, hi * growth4 + rest), rel=1e-9
    )
    attrs = both["metric.late@2028"].attrs
    assert (attrs["low"], attrs["high"], attrs["draws"], attrs["runs"]) == (0.8, 0.2, 200, 7)


def test_rows_for_some_inputs_are_the_full_tables_rows(linear: Any) -> None:
    full = tornado(linear, "metric.late@2028", draws=200).set_index("input")
    one = tornado(linear, "metric.late@2028", draws=200, inputs=["input_value[u]"])
    assert list(one["input"]) == ["input_value[u]"]
    assert one.attrs["runs"] == 3
    got = one.set_index("input").loc["input_value[u]"]
    assert got.to_dict() == full.loc["input_value[u]"].to_dict()
    none = tornado(linear, "metric.late@2028", draws=200, inputs=[])  # no rows, the base run only
    assert (list(none.columns), len(none), none.attrs["runs"]) == (TORNADO_COLUMNS, 0, 1)
    assert none.attrs["base"] == full.attrs["base"]
    with pytest.raises(ValueError, match=r"not uncertain inputs of this forecast: size\[x\], growth\[y\]$"):
        tornado(linear, "metric.late@2028", draws=200, inputs=["size[x]", "size[m]", "growth[y]"])


def test_inputs_of_equal_swing_keep_the_scenarios_order() -> None:
    """Twenty inputs no formula reads, listed before u: for ``metric.twice`` (2 u) u's bar
    comes first and the twenty, with no swing, follow in the scenario's order (a sort
    that does not keep ties, numpy's quicksort, reorders them)."""
    data = copy.deepcopy(POINT)
    extra = [{"id": f"x{i:02d}", "label": f"X{i:02d}", "value": {"low": 1, "high": 2}} for i in range(20)]
    data["inputs"] = extra + data["inputs"]
    fc = forecast.simulate(Scenario.from_dict(data), draws=500, seed=5)
    df = tornado(fc, "metric.twice", draws=50)
    assert list(df["input"]) == ["input_value[u]"] + [f"input_value[x{i:02d}]" for i in range(20)]
    assert (df["swing"].iloc[1:] == 0).all() and df["swing"].iloc[0] > 0


def test_without_low_and_high_the_bars_are_at_the_10th_and_90th_percentile(linear: Any) -> None:
    """The report calls :func:`tornadoes` without ``low`` and ``high`` and heads its
    columns "input's 10%" and "90%": ``metric.twice`` (2 u) at u's 10th and 90th."""
    df = tornadoes(linear, ["metric.twice"], draws=200)["metric.twice"]
    lo, hi = np.quantile(linear.values("input_value")[:, 1], [0.1, 0.9])
    row = df.set_index("input").loc["input_value[u]"]
    assert (row["low"], row["high"]) == pytest.approx((2 * lo, 2 * hi), rel=1e-9)
    assert (df.attrs["low"], df.attrs["high"]) == (0.1, 0.9)


def test_without_draws_a_small_model_takes_the_most_draws_a_run(linear: Any) -> None:
    """:func:`tornado_draws`' budget for this forecast, by hand: 4,000 draws of 67
    recorded values each (the market's 6 years, the total's 6, 6 yearly metrics x 6
    years, 5 scalar metrics, 4 predictions, 2 inputs and 8 single values), 3 inputs
    and one headline target, so 7 runs: (4000 + 5e6 // 67) // 7 = 11,232 a run, above
    the most a run takes (2,500)."""
    from forecast.analysis.sensitivity import TORNADO_DRAWS

    assert (4000 + 5_000_000 // 67) // 7 == 11_232 and TORNADO_DRAWS == 2500
    df = tornado(linear, "metric.twice")
    assert (df.attrs["draws"], df.attrs["runs"]) == (2500, 7)


@pytest.fixture(scope="module")
def noisy() -> Any:
    """The same structure with yearly shocks (volatility 0.1) and one uncertain input
    besides u, the 2024 size: market ``m`` in 2028 is ``size * 1.1^4 * exp(shocks)``."""
    data = copy.deepcopy(POINT)
    data["markets"][0]["size"] = {"median": 10.0, "sigma": SIZE_SIGMA}
    data["markets"][0]["volatility"] = 0.1
    return forecast.simulate(Scenario.from_dict(data), draws=N, seed=5)


def test_every_run_draws_the_same_shocks_so_a_bar_is_the_base_scaled_by_the_input(noisy: Any) -> None:
    """Common random numbers: every run draws the same shocks (the forecast's seed unless
    another is given), so the median with the size at its 10th percentile is the base's
    times q10(size) / median(size), exactly; another seed draws other shocks."""
    size = noisy.values("size")[:, 0]
    q10, median, q90 = np.quantile(size, [0.1, 0.5, 0.9])
    df = tornado(noisy, "market.m@2028", draws=200)
    base = df.attrs["base"]
    row = df.set_index("input").loc["size[m]"]
    assert (row["low"], row["high"]) == pytest.approx((base * q10 / median, base * q90 / median), rel=1e-9)
    assert tornado(noisy, "market.m@2028", draws=200, seed=noisy.seed).attrs["base"] == base
    assert tornado(noisy, "market.m@2028", draws=200, seed=noisy.seed + 1).attrs["base"] != base


def test_the_runs_as_executor_jobs_give_the_same_table(noisy: Any) -> None:
    """Each job carries the draws, the seed and the fixed inputs: the same shocks, so the
    same bars, exactly (``test_tornado_executor.py`` does this on a Dask cluster)."""
    from forecast.engine.executor import InProcess

    here = tornadoes(noisy, ["market.m@2028"], draws=200)["market.m@2028"]
    jobs = tornadoes(noisy, ["market.m@2028"], draws=200, executor=InProcess())["market.m@2028"]
    pd.testing.assert_frame_equal(jobs, here, check_exact=True)
    assert jobs.attrs == here.attrs


# --- outcome odds and events: test_sensitivity.py's scenario, other inputs at a point --


def _points_but(keep: tuple[str, ...] = ()) -> Scenario:
    """``test_sensitivity.py``'s scenario (the same compiled structure) with every input
    a point but the outcome odds, Dirichlet (10, 10) (probability 0.5 each, confidence
    20), and those in ``keep``; no driver, so P(up) is the Dirichlet's first component."""
    import tomllib

    from tests.analysis.test_sensitivity import ONE_DRIVER

    points = {
        "common_factor = { low = 0.2, high = 0.6 }": "common_factor = 0.4",
        "size = { median = 10.0, sigma = 0.2 }": "size = 10.0",
        "size = { median = 5.0, sigma = 0.2 }": "size = 5.0",
        "cagr = { median = 0.30, sigma = 0.10 }": "cagr = 0.3",
        "volatility = { low = 0.05, high = 0.20 }": "volatility = 0.1",
        "share = { low = 0.05, high = 0.10 }": "share = 0.07",
        "share = { low = 0.20, high = 0.30 }": "share = 0.25",
        "share = { low = 0.02, high = 0.06 }": "share = 0.04",
        "probability = { low = 0.3, high = 0.7 }": "probability = 0.5",
        'drivers = [{ market = "beta", log_odds_per_sd = 0.5 }]\n': "",
    }
    text = ONE_DRIVER
    for interval, point in points.items():
        assert interval in text
        if interval not in keep:
            text = text.replace(interval, point)
    return Scenario.from_dict(tomllib.loads(text), origin="points.toml")


@pytest.fixture(scope="module")
def odds_only() -> Any:
    return forecast.simulate(_points_but(), draws=2000, seed=3)


def test_when_only_the_odds_are_uncertain_the_bar_is_the_probability_at_its_quantiles(odds_only: Any) -> None:
    """Up moved to its 10th (90th) percentile, down rescaled to one minus it: P(up) is
    that percentile; the base, every input at its point (the Dirichlet at its mean), is
    the draws' mean. Up to the point Dirichlet's own spread (concentration 1e10: SD
    sqrt(0.25 / 1e10) = 5e-6 a draw, mean of 200 draws, 4 SE). By hand: Beta(10, 10)'s
    10th and 90th percentiles are 0.35793 and 0.64207, within 4 SE of the 2,000 draws'
    (sqrt(q (1 - q) / n) / f(x_q), f the Beta(10, 10) density)."""
    from forecast.analysis.sensitivity import POINT_CONCENTRATION

    up = odds_only.values("outcome_prior")[:, 0]
    df = tornado(odds_only, "outcome.up", draws=200)
    assert list(df["input"]) == ["outcome_prior[up]"]
    assert (df.attrs["target"], df.attrs["spec"], df.attrs["statistic"]) == ("P(Up)", "outcome.up", "mean")
    tol = 4 * math.sqrt(0.25 / POINT_CONCENTRATION / 200)
    lo, hi = np.quantile(up, [0.1, 0.9])
    row = df.iloc[0]
    assert (row["low"], row["high"], df.attrs["base"]) == pytest.approx((lo, hi, up.mean()), abs=tol)
    assert (row["low_value"], row["high_value"]) == pytest.approx((lo, hi), rel=1e-12)
    beta_10_10 = math.factorial(19) / math.factorial(9) ** 2  # 1 / B(10, 10)
    for got, x in ((lo, 0.35792988), (hi, 0.64207012)):
        density = beta_10_10 * x**9 * (1 - x) ** 9
        assert abs(got - x) <= 4 * math.sqrt(0.09 / 2000) / density


# --- fixing each kind of input at a point, on the model's arrays (no simulation) -----
#
# The scenario above has no outcomes and no events; ``test_sensitivity.py``'s does (one
# driver, an event, a Dirichlet of two outcomes). Its arrays, built without a model:
# growth of market beta log(1.3) +- 0.1, a driver of 0.5 log-odds per SD on "up", the
# Dirichlet's mean (0.5, 0.5), the event's probability a 90% interval (0.3, 0.7).


@pytest.fixture(scope="module")
def one_driver() -> Any:
    import tomllib

    from forecast.engine.data import model_data
    from tests.analysis.test_sensitivity import ONE_DRIVER

    s = Scenario.from_dict(tomllib.loads(ONE_DRIVER), origin="one_driver.toml")
    return s, model_data(s)


def _input(key: str, variable: str, index: tuple[int, ...]) -> Any:
    from forecast.analysis.sensitivity import Input

    return Input(key, key, variable, index, key)


def test_a_fixed_cagr_is_a_point_drift_whose_surprise_moves_the_odds_by_its_driver(one_driver: Any) -> None:
    """CAGR 20%: drift log 1.2, surprise (log 1.2 - log 1.3) / 0.1 = -0.8004, so "up"'s
    log-odds move by 0.5 x -0.8004 and the driver is spent (its beta set to 0)."""
    from forecast.analysis.tornado import _fixed

    _, md = one_driver
    growth = _input("growth[beta]", "growth", (1,))
    out = _fixed(md, None, [growth], {"growth[beta]": 0.2})  # type: ignore[arg-type]
    surprise = (math.log(1.2) - math.log(1.3)) / 0.1
    assert surprise == pytest.approx(-0.80043, abs=1e-5)
    assert (out.drift_mu[1], out.drift_sd[1], out.drift_anchor[1]) == (pytest.approx(math.log(1.2)), 0.0, 0.0)
    np.testing.assert_allclose(out.calib, md.calib + np.array([0.5 * surprise, 0.0]), rtol=0, atol=1e-12)
    assert out.beta[:, 1].tolist() == [0.0, 0.0]
    assert out.drift_mu[0] == md.drift_mu[0]
    assert md.beta[0, 1] == 0.5 and md.drift_sd[1] == 0.1  # the forecast's own data untouched
    surprised = _fixed(
        md, None, [_input("growth_surprise[beta]", "growth_surprise", (1,))], {"growth_surprise[beta]": 2.0}
    )  # type: ignore[arg-type]
    np.testing.assert_allclose(surprised.calib, md.calib + np.array([1.0, 0.0]), rtol=0, atol=1e-12)
    assert surprised.drift_mu[1] == md.drift_mu[1]  # a surprise fixes the odds, not the drift


def test_a_point_growth_has_no_surprise_and_moves_no_odds(one_driver: Any) -> None:
    from forecast.analysis.tornado import _fixed

    _, md = one_driver
    out = _fixed(md, None, [_input("growth[alpha]", "growth", (0,))], {"growth[alpha]": 0.5})  # type: ignore[arg-type]
    assert out.drift_mu[0] == pytest.approx(math.log(1.5))
    np.testing.assert_array_equal(out.calib, md.calib)


def test_a_moved_outcome_probability_rescales_the_others_to_sum_to_one(one_driver: Any) -> None:
    """Moved from 0.5 to 0.8: the other gets 0.5 x (1 - 0.8) / (1 - 0.5) = 0.2. Not
    moved: every component at the Dirichlet's mean. Moved to 1: the others at 0 (clipped
    to 1e-12). Each times the point concentration."""
    from forecast.analysis.sensitivity import POINT_CONCENTRATION
    from forecast.analysis.tornado import _fixed

    _, md = one_driver
    prior = _input("outcome_prior[up]", "outcome_prior", (0,))
    at = {"outcome_prior": np.array([0.5, 0.5]), "outcome_prior[up]": 0.8}
    moved = _fixed(md, None, [prior], {**at, "_moved": "outcome_prior[up]"})  # type: ignore[arg-type]
    np.testing.assert_allclose(moved.alpha, np.array([0.8, 0.2]) * POINT_CONCENTRATION, rtol=1e-12)
    still = _fixed(md, None, [prior], {**at, "_moved": "size[alpha]"})  # type: ignore[arg-type]
    np.testing.assert_allclose(still.alpha, np.array([0.5, 0.5]) * POINT_CONCENTRATION, rtol=1e-12)
    certain = _fixed(md, None, [prior], {**at, "outcome_prior[up]": 1.0, "_moved": "outcome_prior[up]"})  # type: ignore[arg-type]
    np.testing.assert_allclose(certain.alpha, np.array([1.0, 1e-12]) * POINT_CONCENTRATION, rtol=1e-12)
    sure = _fixed(
        md,
        None,
        [prior],
        {"outcome_prior": np.array([1.0, 0.0]), "outcome_prior[up]": 0.6, "_moved": "outcome_prior[up]"},
    )  # type: ignore[arg-type]
    np.testing.assert_allclose(sure.alpha, np.array([0.6, 1e-12]) * POINT_CONCENTRATION, rtol=1e-12)
    assert md.alpha.tolist() == [10.0, 10.0]


def test_an_event_probability_is_fixed_per_outcome_and_read_from_the_scenario(one_driver: Any) -> None:
    """The event's 90% interval (0.3, 0.7) is logit-normal and symmetric: its 5th
    percentile 0.3, its median 0.5, the same under both outcomes (one probability)."""
    from types import SimpleNamespace

    from forecast.analysis.tornado import _fixed, _quantile_fn

    s, md = one_driver
    event = _input("event_probability[launch]", "event_probability", (0,))
    q = _quantile_fn(SimpleNamespace(scenario=s), event)  # type: ignore[arg-type]
    assert q(0.05).tolist() == pytest.approx([0.3, 0.3], abs=1e-9)
    assert q(0.5).tolist() == pytest.approx([0.5, 0.5], abs=1e-9)
    out = _fixed(md, None, [event], {"event_probability[launch]": np.array([0.25, 0.75])})  # type: ignore[arg-type]
    assert (out.event_fam.tolist(), out.event_a.tolist(), out.event_b.tolist()) == (
        [[0, 0]],
        [[0.25, 0.75]],
        [[0.0, 0.0]],
    )
    assert md.event_fam.tolist() == [[2, 2]]


@pytest.mark.parametrize(("variable", "prefix"), [("size", "size"), ("volatility", "vol")])
def test_a_fixed_input_is_a_normal_of_no_spread_at_its_point(
    one_driver: Any, variable: str, prefix: str
) -> None:
    from forecast.analysis.tornado import _fixed

    _, md = one_driver
    key = f"{variable}[beta]"
    out = _fixed(md, None, [_input(key, variable, (1,))], {key: 0.3})  # type: ignore[arg-type]
    fam, a, b = (getattr(out, f"{prefix}_{x}") for x in ("fam", "a", "b"))
    assert (fam[1], a[1], b[1]) == (0, 0.3, 0.0)
    assert getattr(md, f"{prefix}_b")[1] > 0  # the forecast's own data untouched


def test_the_quantiles_asked_for_up_front_are_the_draws_quantiles_and_so_are_the_others() -> None:
    from types import SimpleNamespace

    from forecast.analysis.tornado import _quantile_fn

    draws = np.arange(101.0)[:, None] * np.array([[1.0, 10.0]])  # 0..100 and 0..1000
    fc = SimpleNamespace(values=lambda name: draws)
    q = _quantile_fn(fc, _input("size[b]", "size", (1,)), (0.1, 0.5))  # type: ignore[arg-type]
    assert (q(0.1), q(0.5), q(0.25)) == (100.0, 500.0, 250.0)
    assert _quantile_fn(fc, _input("size[a]", "size", (0,)))(0.9) == 90.0  # type: ignore[arg-type]


def test_an_event_probability_by_outcome_has_each_outcomes_quantile() -> None:
    """ "up" 0.6 (a point), "down" a 90% interval (0.1, 0.3), logit-normal: its 5th
    percentile 0.1, its median the logistic of the logits' midpoint."""
    import tomllib
    from types import SimpleNamespace

    from forecast.analysis.tornado import _quantile_fn
    from tests.analysis.test_sensitivity import ONE_DRIVER

    text = ONE_DRIVER.replace(
        "probability = { low = 0.3, high = 0.7 }",
        "probability_by_outcome = { up = 0.6, down = { low = 0.1, high = 0.3 } }",
    )
    s = Scenario.from_dict(tomllib.loads(text), origin="by_outcome.toml")
    q = _quantile_fn(
        SimpleNamespace(scenario=s), _input("event_probability[launch]", "event_probability", (0,))
    )  # type: ignore[arg-type]
    mid = 1 / (1 + math.exp(-(math.log(0.1 / 0.9) + math.log(0.3 / 0.7)) / 2))
    assert q(0.05).tolist() == pytest.approx([0.6, 0.1], abs=1e-9)
    assert q(0.5).tolist() == pytest.approx([0.6, mid], abs=1e-9)


def test_an_event_probabilitys_bar_is_its_percentile_under_every_outcome(odds_only: Any) -> None:
    """The launch's probability by its deadline, a 90% interval (0.3, 0.7), is
    logit-normal with SD logit(0.7) / z95 = 0.5151: its 10th percentile is
    logistic(-z90 x 0.5151) = 0.3407 under both outcomes, so P(launch) at that point is
    0.3407 within 4 binomial SE of 2,000 draws' mean; the input's values differ by
    outcome, so the table gives none (NaN). It does not move the odds: no swing there."""
    fc = forecast.simulate(_points_but(("probability = { low = 0.3, high = 0.7 }",)), draws=2000, seed=3)
    both = tornadoes(fc, ["prediction.launch", "outcome.up"], draws=2000)
    launch = both["prediction.launch"].set_index("input").loc["event_probability[launch]"]
    sd = math.log(0.7 / 0.3) / Z95
    for got, z in ((launch["low"], -Z90), (launch["high"], Z90)):
        p = 1 / (1 + math.exp(-z * sd))
        assert abs(got - p) <= 4 * math.sqrt(p * (1 - p) / 2000)
    assert 1 / (1 + math.exp(Z90 * sd)) == pytest.approx(0.3407, abs=1e-4)
    assert np.isnan(launch["low_value"]) and np.isnan(launch["high_value"])
    up = both["outcome.up"].set_index("input").loc["event_probability[launch]"]
    assert up["low"] == up["high"] == up["base"]
