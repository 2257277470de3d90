"""Triangular, PERT, beta, gamma, discrete, mixture and samples inputs (issue 27).

Known answers against closed forms (scipy.stats). Every form is ``Q(Phi(z))`` with
``Q`` tabulated (:mod:`forecast.scenario.distributions`): quantiles are deterministic
and are compared with the exact ones within a bound set *below the Monte Carlo error*
of a quantile at the largest bundled draw count, ``sqrt(q (1 - q) / n) / f(x_q)``
(n = 20,000): the table must not be a visible source of error. Moments and
frequencies of draws (through the numpy twin of the graph's lookup, fixed seeds) are
checked within 4 Monte Carlo standard errors: ``sd / sqrt(n)`` for a mean,
``sqrt(p (1 - p) / n)`` for a frequency or a CDF value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from forecast.errors import ScenarioError
from forecast.scenario import Scenario
from forecast.scenario.distributions import Z_STEP
from forecast.scenario.inputs import Family, Quantity

N_BUNDLED = 20_000  # the bundled scenarios' draws
N = 200_000  # draws for the moment checks
QS = np.array([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])


def draws(form: dict[str, Any], domain: Any = "positive", n: int = N, seed: int = 1) -> np.ndarray:
    c = Quantity.model_validate(form).canonical(domain)
    assert c.family == Family.TABLE
    return c.transform(np.random.default_rng(seed).standard_normal(n))


CONTINUOUS = [
    ({"dist": "triangular", "low": 2.0, "mode": 3.0, "high": 7.0}, stats.triang(c=0.2, loc=2.0, scale=5.0)),
    ({"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 1.0}, stats.triang(c=0.0, loc=0.0, scale=1.0)),
    # PERT: Beta(1 + 4 (m - a) / (b - a), 1 + 4 (b - m) / (b - a)) on [a, b]
    (
        {"dist": "pert", "low": 10.0, "mode": 14.0, "high": 22.0},
        stats.beta(1 + 4 * 4 / 12, 1 + 4 * 8 / 12, loc=10, scale=12),
    ),
    (
        {"dist": "pert", "low": 0.0, "mode": 1.0, "high": 4.0, "lambda": 2.0},
        stats.beta(1 + 2 / 4, 1 + 2 * 3 / 4, loc=0, scale=4),
    ),
    ({"dist": "beta", "alpha": 2.0, "beta": 5.0}, stats.beta(2.0, 5.0)),
    # mean 0.3, sd 0.1: k = 0.21 / 0.01 - 1 = 20, alpha = 6, beta = 14
    ({"dist": "beta", "mean": 0.3, "sd": 0.1}, stats.beta(6.0, 14.0)),
    # mean 3, sd 1: shape 9, scale 1/3
    ({"dist": "gamma", "mean": 3.0, "sd": 1.0}, stats.gamma(9.0, scale=1 / 3)),
    ({"dist": "gamma", "mean": 2.0, "sd": 3.0}, stats.gamma(4 / 9, scale=4.5)),
]


@pytest.mark.parametrize(("form", "exact"), CONTINUOUS, ids=lambda x: str(x)[:40])
def test_quantiles_match_the_closed_form_far_below_the_monte_carlo_error(
    form: dict[str, Any], exact: Any
) -> None:
    c = Quantity.model_validate(form).canonical("positive")
    got = c.quantile(QS)
    want = exact.ppf(QS)
    mc_error = np.sqrt(QS * (1 - QS) / N_BUNDLED) / exact.pdf(want)
    assert np.all(np.abs(got - want) < 0.05 * mc_error), (got, want, mc_error)


@pytest.mark.parametrize(("form", "exact"), CONTINUOUS, ids=lambda x: str(x)[:40])
def test_mean_and_sd_of_draws_match_the_closed_form(form: dict[str, Any], exact: Any) -> None:
    x = draws(form)
    sd = exact.std()
    assert abs(x.mean() - exact.mean()) < 4 * sd / math.sqrt(N)
    # the sample variance's SE: sqrt((mu4 - sd^4) / n)
    mu4 = (
        exact.moment(4)
        - 4 * exact.mean() * exact.moment(3)
        + 6 * exact.mean() ** 2 * exact.moment(2)
        - 3 * exact.mean() ** 4
    )
    assert abs(x.var() - sd**2) < 4 * math.sqrt((mu4 - sd**4) / N)


def test_pert_mean_is_low_plus_four_modes_plus_high_over_six() -> None:
    x = draws({"dist": "pert", "low": 18.0, "mode": 24.0, "high": 36.0})
    sd = stats.beta(1 + 4 * 6 / 18, 1 + 4 * 12 / 18, scale=18).std()
    assert abs(x.mean() - (18 + 4 * 24 + 36) / 6) < 4 * sd / math.sqrt(N)


def test_discrete_takes_only_its_values_at_their_frequencies() -> None:
    values, probs = [1.0, 2.0, 3.0], [0.2, 0.5, 0.3]
    x = draws({"dist": "discrete", "values": values, "probabilities": probs})
    assert set(np.unique(x)) == set(values)
    for v, p in zip(values, probs, strict=True):
        assert abs(np.mean(x == v) - p) < 4 * math.sqrt(p * (1 - p) / N)


def test_mixture_cdf_matches_the_weighted_cdfs() -> None:
    """A price war (40%: uniform 0.005..0.015) or not (60%: normal 0.03 sd 0.004)."""
    form = {
        "dist": "mixture",
        "components": [
            {"dist": "uniform", "low": 0.005, "high": 0.015},
            {"dist": "normal", "mean": 0.03, "sd": 0.004},
        ],
        "weights": [0.4, 0.6],
    }
    x = draws(form, domain="unit")
    for t in (0.008, 0.012, 0.015, 0.02, 0.028, 0.03, 0.035):
        f = 0.4 * stats.uniform(0.005, 0.01).cdf(t) + 0.6 * stats.norm(0.03, 0.004).cdf(t)
        # 4 MCSE, plus where the quantile is steep (0.015 to 0.02: the components barely
        # overlap) the interpolation's bound: the probability of one knot interval there
        steep = stats.norm.pdf(stats.norm.ppf(f)) * Z_STEP if 0.015 <= t <= 0.02 else 0.0
        assert abs(np.mean(x <= t) - f) < 4 * math.sqrt(f * (1 - f) / N) + steep, t


def test_a_point_and_a_range_mixture_has_an_exact_atom() -> None:
    """'It works or it doesn't': 0 with 30%, else uniform 5..15."""
    form = {
        "dist": "mixture",
        "components": [{"value": 0.0}, {"dist": "uniform", "low": 5.0, "high": 15.0}],
        "weights": [0.3, 0.7],
    }
    x = draws(form, domain="real")
    # the atom: exact but for the one knot interval below its edge (phi(c) h of probability)
    edge = stats.norm.pdf(stats.norm.ppf(0.3)) * Z_STEP
    assert abs(np.mean(x == 0.0) - 0.3) < 4 * math.sqrt(0.21 / N) + edge
    # every draw is the atom, in the range, or within one knot interval's rise of them:
    # Q rises 10 / 0.7 per unit of u, and a knot interval spans phi(c) h of u
    rise = 10 / 0.7 * edge
    assert np.all((x <= rise) | ((x >= 5.0) & (x <= 15.0)))
    assert np.all(x >= 0.0)


def test_samples_resample_the_empirical_distribution(tmp_path: Path) -> None:
    past = [3.0, 5.0, 5.0, 8.0, 13.0]
    f = tmp_path / "past.csv"
    f.write_text("year,growth\n" + "".join(f"{2019 + i},{v}\n" for i, v in enumerate(past)))
    x = draws({"dist": "samples", "file": str(f), "column": "growth"})
    for v in set(past):
        p = past.count(v) / len(past)
        assert abs(np.mean(x == v) - p) < 4 * math.sqrt(p * (1 - p) / N)
    # the empirical inverse CDF: the median of 5 values is the third
    q = Quantity.model_validate({"dist": "samples", "file": str(f), "column": "growth"}).canonical("real")
    assert float(q.quantile(0.5)) == 5.0


def test_relative_sample_files_are_read_from_the_scenario_folder(tmp_path: Path) -> None:
    import forecast

    (tmp_path / "sizes.csv").write_text("size\n8\n9\n10\n12\n")
    text = (Path(__file__).parents[2] / "scenarios" / "gpu-cloud.toml").read_text()
    text = text.replace(
        'size = { dist = "pert", low = 18.0, mode = 24.0, high = 36.0,',
        'size = { dist = "samples", file = "sizes.csv", column = "size",',
    )
    (tmp_path / "s.toml").write_text(text)
    s = forecast.load(tmp_path / "s.toml")
    assert s.market("training_compute").size.canonical("positive").quantile(0.99) == 12.0


def _problems(form: Any, where: str = "size") -> list[str]:
    market = {"id": "m", "label": "M", "unit": "bn", "base_year": 2024, "size": 10.0, "cagr": 0.2}
    data: dict[str, Any] = {"id": "s", "title": "S", "as_of": "2025-01-01", "markets": [market]}
    if where == "size":
        market["size"] = form
    else:
        data["positions"] = [
            {"id": "p", "label": "P", "market": "m", "path": [{"at": "2025-06-01", "share": form}]}
        ]
    with pytest.raises(ScenarioError) as e:
        Scenario.from_dict(data, origin="f.toml")
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize(
    ("form", "where", "text"),
    [
        ({"dist": "normal", "mean": 1.0, "sd": 1.0}, "size", "markets.m.size: must be > 0"),
        ({"dist": "discrete", "values": [0.2, 1.4], "probabilities": [0.5, 0.5]}, "share", "takes [1.4]"),
        ({"dist": "discrete", "values": [0.2, 40.0], "probabilities": [0.5, 0.5]}, "share", "did you mean"),
        ({"dist": "discrete", "values": [0.0, 1.0], "probabilities": [0.5, 0.5]}, "size", "must be > 0"),
        (
            {"dist": "gamma", "mean": 0.5, "sd": 0.2},
            "share",
            "positions.p.path[0].share: must be between 0 and 1",
        ),
        ({"dist": "triangular", "low": -1.0, "mode": 2.0, "high": 3.0}, "size", "reaches [-1, 3]"),
        ({"dist": "triangular", "low": 1.0, "mode": 5.0, "high": 3.0}, "size", "low <= mode <= high"),
        ({"dist": "pert", "low": 1.0, "mode": 2.0, "high": 3.0, "lambda": 0.0}, "size", "lambda must be > 0"),
        ({"dist": "beta", "mean": 0.5, "sd": 0.6}, "share", "sqrt(mean (1 - mean))"),
        ({"dist": "beta", "alpha": -1.0, "beta": 2.0}, "share", "alpha and beta must be > 0"),
        ({"dist": "gamma", "mean": 1.0, "sd": -1.0}, "size", "mean > 0 and sd > 0"),
        ({"dist": "discrete", "values": [1.0, 2.0], "probabilities": [0.5, 0.6]}, "size", "sum to 1"),
        (
            {"dist": "mixture", "components": [{"value": 1.0}], "weights": [0.5, 0.5]},
            "size",
            "as many weights",
        ),
        ({"dist": "samples", "file": "/no/such.csv", "column": "x"}, "size", "cannot read samples file"),
        ({"dist": "pert", "low": 1.0, "high": 3.0}, "size", 'dist = "pert" takes'),
        ({"dist": "lognormal", "median": 1.0, "sigma": 0.1, "mode": 1.0}, "size", "give exactly one form"),
    ],
)
def test_bad_forms_are_problems_with_their_key_path(form: Any, where: str, text: str) -> None:
    problems = _problems(form, where)
    path = "markets.m.size" if where == "size" else "positions.p.path[0].share"
    assert any(text in p and path in p for p in problems), problems


def test_a_stepped_market_input_is_refused_where_evidence_needs_nuts() -> None:
    market = {
        "id": "m", "label": "M", "unit": "bn", "base_year": 2024, "cagr": 0.2,
        "size": {"dist": "discrete", "values": [8.0, 10.0], "probabilities": [0.5, 0.5]},
    }  # fmt: skip
    data = {"id": "s", "title": "S", "as_of": "2025-01-01", "markets": [market]}
    Scenario.from_dict(data)  # fine without evidence
    data["evidence"] = [{"market": "m", "year": 2025, "value": 11.0, "rel_error": 0.05}]
    with pytest.raises(ScenarioError, match=r"markets\.m\.size: .*step has no gradient"):
        Scenario.from_dict(data)


def test_an_override_replaces_a_table_form_whole_or_one_parameter() -> None:
    import forecast

    s = forecast.load(Path(__file__).parents[2] / "scenarios" / "gpu-cloud.toml")
    key = "markets.training_compute.size"
    interval = s.with_overrides({key: {"low": 20.0, "high": 30.0}}).market("training_compute").size
    assert (interval.dist, interval.mode, interval.low, interval.high) == (None, None, 20.0, 30.0)
    mode = s.with_overrides({f"{key}.mode": 26.0}).market("training_compute").size
    assert (mode.dist, mode.low, mode.mode, mode.high) == ("pert", 18.0, 26.0, 36.0)
