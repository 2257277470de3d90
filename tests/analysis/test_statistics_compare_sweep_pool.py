"""The statistics of compare, sweep and pool that no other known-answer test pinned.

Issue 31's audit (tests/README.md, "Every statistic and its known answer"): the
targets table's errors and their differences' (``forecast compare --target``), a sweep
case's errors of its mean and quantiles (``sweep.csv``), and the pool's disagreement
tables, on draws or tables written by hand, every expected value worked out in the
comments. The draws are those of ``test_statistics_known_answers.py``'s small scenario
(loaded from TOML, no model built, no compile).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import forecast
from tests.analysis.test_statistics_known_answers import SMALL, _grid, _markets, _mean, _quantile, _sd


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("small") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return forecast.load(path)


# --- targets.csv (forecast compare --target) -------------------------------------------


def _median_error(b: float, n: int) -> float:
    """The error of the median of ``n`` grid draws ``b`` apart: the share of draws below
    the median is Beta(n/2 + 1, n/2 + 1), of SD ``1 / (2 sqrt(n + 3))``, which the
    grid's spacing turns into ``b (n - 1) / (2 sqrt(n + 3))`` (the central 68% of the
    Beta is that SD on either side to within 0.5% at 100 and 200 draws)."""
    return b * (n - 1) / (2 * math.sqrt(n + 3))


def test_each_targets_error_and_the_error_of_its_difference_by_hand(small: Any) -> None:
    """``targets.csv``: three forecasts, "base" and "up" of 200 draws each (paired),
    "few" of 100 (not paired: the root sum of squares of the two errors).

    Market One in 2027: base 10, 11, ..., 209 in order; up 214, 213, ..., 15 (5 more
    than base reversed); few 10, 12, ..., 208. In 20 batches of 10 in draw order, base's
    medians are 14.5 + 10 j and up's 209.5 - 10 j: the median difference per batch
    20 j - 195, whose SD over j is 20 sqrt(35), over sqrt(20) batches.

    P(a): base 0.1 + 0.004 i, up 0.08 + 0.004 (199 - i), few 0.5 in every draw (its
    error the floor 3 / 100); up - base per draw is -0.02 + 0.004 (199 - 2 i), of SD
    0.008 sqrt(200 x 201 / 12).
    """
    from forecast.analysis.comparison import Comparison

    i, k = np.arange(200.0), np.arange(100.0)
    base = _markets(small, 10.0 + i, 0.1 + 0.004 * i)
    up = _markets(small, 15.0 + (199 - i), 0.08 + 0.004 * (199 - i))
    few = _markets(small, 10.0 + 2 * k, np.full(100, 0.5))
    cmp = Comparison(forecasts=[base, up, few], names=["base", "up", "few"])
    t = cmp.targets(["market.m1@2027", "outcome.a"]).set_index(["target", "scenario"])

    m = t.loc["market.m1@2027"]
    assert m["statistic"].tolist() == ["median"] * 3
    assert m["value"].tolist() == pytest.approx([109.5, 114.5, 109.0])
    errors = [_median_error(1.0, 200), _median_error(1.0, 200), _median_error(2.0, 100)]
    assert m["mcse"].tolist() == pytest.approx(errors, rel=0.01)
    assert m["difference"].iloc[1:].tolist() == pytest.approx([5.0, -0.5])
    paired = 20 * math.sqrt(35) / math.sqrt(20)
    assert m.loc["up", "difference_mcse"] == pytest.approx(paired, rel=1e-12)
    assert m.loc["few", "difference_mcse"] == pytest.approx(math.hypot(errors[0], errors[2]), rel=0.01)
    assert m["within_noise"].tolist() == [False, True, True]  # 5 < 2 x 26.5; 0.5 < 2 x 12
    assert np.isnan(m.loc["base", "difference"]) and np.isnan(m.loc["base", "difference_mcse"])

    o = t.loc["outcome.a"]
    assert o["statistic"].tolist() == ["probability"] * 3
    sd_i = math.sqrt(200 * 201 / 12)  # the SD of 0, 1, ..., 199
    assert o["value"].tolist() == pytest.approx([0.1 + 0.004 * 99.5, 0.08 + 0.004 * 99.5, 0.5])
    own = [0.004 * sd_i / math.sqrt(200), 0.004 * sd_i / math.sqrt(200), 3 / 100]
    assert o["mcse"].tolist() == pytest.approx(own, rel=1e-9)
    assert o["difference"].iloc[1:].tolist() == pytest.approx([-0.02, 0.5 - 0.1 - 0.004 * 99.5])
    assert o.loc["up", "difference_mcse"] == pytest.approx(0.008 * sd_i / math.sqrt(200), rel=1e-9)
    assert o.loc["few", "difference_mcse"] == pytest.approx(math.hypot(own[0], own[2]), rel=1e-9)


# --- sweep.csv ------------------------------------------------------------------------


def test_a_sweep_cases_mean_and_quantile_errors_by_hand(small: Any) -> None:
    """``sweep.csv``'s rows of one case: market One in 2027 is 200 draws 10, 11, ...,
    209. The mean's error is ``sd / sqrt(n)``; a ``p``-quantile's is the SD of the
    share of draws below it, Beta(n p + 1, n (1 - p) + 1), ``sqrt(a b / ((a + b)^2
    (a + b + 1)))``, times the grid's ``n - 1`` (the central 68% of that Beta is its SD
    on either side to within 1.1% at these draws; 2% allowed)."""
    from forecast.analysis.sweep import case_rows

    rng, n = np.random.default_rng(6), 200
    fc = _markets(small, _grid(rng, 10.0, 1.0, n))
    rows = [r for r in case_rows(fc) if r["quantity"] == "market.m1" and r["year"] == 2027]
    got = {r["statistic"]: (r["value"], r["mcse"]) for r in rows}
    assert got["mean"] == pytest.approx((_mean(10.0, 1.0, n), _sd(1.0, n) / math.sqrt(n)), rel=1e-12)
    for p in (0.05, 0.25, 0.5, 0.75, 0.95):
        value, mcse = got[f"q{round(p * 100):02d}"]
        assert value == pytest.approx(_quantile(10.0, 1.0, p, n), rel=1e-12)
        assert mcse == pytest.approx((n - 1) * _beta_sd(n, p), rel=0.02), p
    # draws 1 apart up to 100, then 3 apart (0, 1, ..., 100, 103, ..., 397): the upper
    # quantiles' errors are 3 times the lower ones', each in its own column
    lopsided = np.where(np.arange(n) <= 100, np.arange(n), 100 + 3 * (np.arange(n) - 100.0))
    rows = [r for r in case_rows(_markets(small, rng.permutation(lopsided))) if r["quantity"] == "market.m1"]
    got = {r["statistic"]: (r["value"], r["mcse"]) for r in rows if r["year"] == 2027}
    for p, value, spacing in ((0.05, 9.95, 1), (0.25, 49.75, 1), (0.75, 247.75, 3), (0.95, 367.15, 3)):
        assert got[f"q{round(p * 100):02d}"] == pytest.approx(
            (value, spacing * (n - 1) * _beta_sd(n, p)), rel=0.02
        )


def _beta_sd(n: int, p: float) -> float:
    """The SD of Beta(n p + 1, n (1 - p) + 1), ``sqrt(a b / ((a + b)^2 (a + b + 1)))``."""
    a, b = n * p + 1, n * (1 - p) + 1
    return math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


# --- the pool's disagreement.csv --------------------------------------------------------


def test_the_disagreement_is_the_spread_and_weighted_sd_of_the_analysts_probabilities() -> None:
    """``disagreement.csv``: analysts x, y, z weighted 0.5, 0.3, 0.2 give outcome a
    0.2, 0.5, 0.6: spread 0.4, weighted mean 0.37, weighted SD sqrt(0.5 x 0.17^2 +
    0.3 x 0.13^2 + 0.2 x 0.23^2) = sqrt(0.0301). Prediction p is made by x (0.3) and z
    (0.8) only: their weights renormalised to 5/7 and 2/7, the SD of two values
    0.5 apart sqrt(5/7 x 2/7) x 0.5, the spread 0.5."""
    from types import SimpleNamespace

    import pandas as pd

    from forecast.analysis.pool_tables import disagreement

    def analyst(a: float, p: float | None) -> Any:
        outcomes = pd.DataFrame({"outcome": ["a", "b"], "label": ["A", "B"], "probability": [a, 1 - a]})
        preds = pd.DataFrame({"id": [] if p is None else ["p"], "statement": [] if p is None else ["P"]})
        preds["probability"] = [] if p is None else [p]
        return SimpleNamespace(outcomes=lambda: outcomes, predictions=lambda: preds)

    pooled_outcomes = pd.DataFrame({"outcome": ["a", "b"], "label": ["A", "B"], "probability": [0.37, 0.63]})
    pooled_predictions = pd.DataFrame({"id": ["p"], "statement": ["P"], "probability": [0.44]})
    pool = SimpleNamespace(
        names=["x", "y", "z"],
        forecasts=[analyst(0.2, 0.3), analyst(0.5, None), analyst(0.6, 0.8)],
        weights=np.array([0.5, 0.3, 0.2]),
        outcomes=lambda: pooled_outcomes,
        predictions=lambda: pooled_predictions,
    )
    t = disagreement(pool).set_index(["id", "analyst"])
    a = t.loc["a"]
    assert a["probability"].tolist() == pytest.approx([0.2, 0.5, 0.6])
    assert a["weight"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert set(a["pool"]) == {0.37} and set(a["made_by"]) == {3}
    assert a["spread"].tolist() == pytest.approx([0.4] * 3)
    assert a["sd"].tolist() == pytest.approx([math.sqrt(0.0301)] * 3)
    b = t.loc["b"]
    assert b["spread"].tolist() == pytest.approx([0.4] * 3) and b["sd"].tolist() == pytest.approx(
        [math.sqrt(0.0301)] * 3
    )
    p = t.loc["p"]
    assert list(p.index) == ["x", "z"] and set(p["made_by"]) == {2} and set(p["pool"]) == {0.44}
    assert p["spread"].tolist() == pytest.approx([0.5, 0.5])
    assert p["sd"].tolist() == pytest.approx([math.sqrt(5 / 7 * 2 / 7) * 0.5] * 2)


# --- the pool's disagreement_inputs.csv -------------------------------------------------


def test_the_inputs_disagreement_is_the_weighted_spread_of_the_analysts_means(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``disagreement_inputs.csv``: analysts a and b (weights 0.75, 0.25, 100 draws
    each) hold One's CAGR at 0.1 and 0.3 and agree on Two's (0.2). The pooled draws of
    One's CAGR have variance 0.09 (the stand-in's -0.1 and 0.5) and its first-order
    index for the target is 0.6. Between the analysts: the weighted mean 0.15, the
    weighted variance 0.75 x 0.05^2 + 0.25 x 0.15^2 = 0.0075, a share 0.0075 / 0.09 =
    1/12 of the pooled variance, effect 0.6 / 12 = 0.05. Their means differ far beyond
    noise (100 x (0.1^2 + 0.1^2) / 0.09 = 22.2 on one degree of freedom, p = 2.4e-6);
    Two's do not differ at all: no row."""
    from types import SimpleNamespace

    import pandas as pd
    import xarray as xr

    from forecast.analysis import sensitivity
    from forecast.analysis.pool_tables import input_disagreement

    inputs = [SimpleNamespace(key=f"growth[m{i}]", label=f"CAGR {i}") for i in (1, 2)]
    monkeypatch.setattr(sensitivity, "uncertain_inputs", lambda fc: inputs)
    monkeypatch.setattr(sensitivity, "input_matrix", lambda fc, inp: np.array([[-0.1, 0.0], [0.5, 0.4]]))
    first = pd.DataFrame({"input": ["growth[m1]", "growth[m2]"], "first_order": [0.6, 0.3]})
    monkeypatch.setattr(sensitivity, "sensitivity", lambda fc, target: first)

    def analyst(one: float) -> Any:
        values = np.broadcast_to([one, 0.2], (1, 100, 2))
        da = xr.DataArray(values, dims=("chain", "draw", "market"), coords={"market": ["m1", "m2"]})
        return SimpleNamespace(_variable=lambda name: da, n_draws=100)

    pool = SimpleNamespace(
        forecast=None,
        forecasts=[analyst(0.1), analyst(0.3)],
        weights=np.array([0.75, 0.25]),
        names=["a", "b"],
    )
    t = input_disagreement(pool, "outcome.a")
    assert t["input"].tolist() == ["growth[m1]"]
    row = t.iloc[0]
    assert (row["first_order"], row["between_share"], row["effect"]) == pytest.approx((0.6, 1 / 12, 0.05))
    assert (row["lowest"], row["highest"]) == pytest.approx((0.1, 0.3))
    assert row["analyst_means"] == "a 0.1; b 0.3"
