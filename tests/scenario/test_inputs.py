"""Uncertain inputs: the forms a number may take and what they mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from forecast.scenario.inputs import Z90, Family, Quantity


def test_a_90_percent_interval_has_its_bounds_at_the_5th_and_95th_percentiles() -> None:
    for domain, q in [
        ("positive", Quantity(low=2.0, high=8.0)),
        ("unit", Quantity(low=0.25, high=0.30)),
        ("growth", Quantity(low=-0.2, high=0.6)),
        ("real", Quantity(low=-3.0, high=5.0)),
    ]:
        lo, hi = q.canonical(domain).quantile([0.05, 0.95])  # type: ignore[arg-type]
        assert (lo, hi) == pytest.approx((q.low, q.high), rel=1e-12)


@pytest.mark.parametrize(
    ("domain", "family"),
    [
        ("positive", Family.LOGNORMAL),
        ("unit", Family.LOGITNORMAL),
        ("growth", Family.GROWTH),
        ("real", Family.NORMAL),
    ],
)
def test_intervals_default_to_the_family_of_their_domain(domain: str, family: Family) -> None:
    assert Quantity(low=0.1, high=0.2).canonical(domain).family == family  # type: ignore[arg-type]


def test_median_sigma_is_on_the_log_scale() -> None:
    c = Quantity(median=3.1, sigma=0.1).canonical("positive")
    assert (c.family, c.a, c.b) == (Family.LOGNORMAL, pytest.approx(math.log(3.1)), 0.1)
    assert float(c.quantile(0.95)) == pytest.approx(3.1 * math.exp(0.1 * Z90))


@pytest.mark.parametrize(("domain", "median"), [("positive", 0.5), ("unit", 0.25), ("growth", -0.3)])
def test_a_zero_sigma_median_is_a_point_in_its_domain(domain: str, median: float) -> None:
    # regression: the point check looked at the log/logit-scale centre, so a positive
    # median below 1 or a probability below 0.5 was rejected
    q = Quantity(median=median, sigma=0.0)
    assert q.domain_problems(domain) == []  # type: ignore[arg-type]
    assert float(q.canonical(domain).transform(np.array(1.7))) == pytest.approx(median)  # type: ignore[arg-type]


def test_a_number_is_a_point_and_sourced_inputs_are_not_assumptions() -> None:
    q = Quantity.model_validate({"value": 8.2, "source": "seed: market table"})
    assert q.canonical("positive").is_point and not q.is_assumption
    assert Quantity.model_validate(8.2).is_assumption
    assert Quantity.model_validate({"value": 1, "source": "Assumption: guess"}).is_assumption


@pytest.mark.parametrize(
    "data",
    [
        {"low": 1.0},
        {"low": 1.0, "high": 2.0, "median": 1.5},
        {"dist": "normal", "median": 1.0, "sigma": 1.0},
        {"dist": "lognormal", "median": -1.0, "sigma": 1.0},
        {"value": math.nan},
        True,
        "3",
    ],
)
def test_malformed_forms_are_rejected(data: object) -> None:
    with pytest.raises(ValidationError):
        Quantity.model_validate(data)


def test_a_huge_spread_is_a_clear_problem_not_a_numpy_warning() -> None:
    # the test suite turns warnings into errors, so an overflow warning would fail here
    [problem] = Quantity(median=10.0, sigma=1e10).domain_problems("positive")
    assert problem.endswith("narrow its spread")


def test_the_wrong_family_for_a_domain_suggests_the_right_one() -> None:
    [problem] = Quantity(dist="normal", mean=0.1, sd=0.1).domain_problems("positive")
    assert 'use dist = "lognormal"' in problem
