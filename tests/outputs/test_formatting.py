"""The report's number formats at their edges, each answer written out by hand.

3 significant figures (``sig``), percentages (``pct``), Monte Carlo errors in
percentage points with 2 (``pp``), the rule-of-three bound when every draw agreed
(``mc_error``), deadlines in words and intervals (the headline year: tests/outputs/test_headline_year.py).
"""

from __future__ import annotations

import pytest

from forecast.outputs.formatting import DASH, deadline_words, interval, mc_error, pct, pp, sig


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (1, "1.00"),
        (0.5, "0.500"),
        (12.345, "12.3"),
        (12.35001, "12.4"),
        (-3.14159, "-3.14"),
        (999.4, "999"),
        (999.5, "1,000"),  # rounding adds a digit: still 3 significant figures
        (0.9996, "1.00"),
        (1234567.0, "1,230,000"),
        (-0.0004996, "-0.000500"),
        (1e-9, "0.00000000100"),  # the smallest shown without an exponent
        (9e-10, "9.00e-10"),
        (9.99e14, "999,000,000,000,000"),
        (1e15, "1.00e+15"),  # the first shown with one
        (9.9951e14, "1.00e+15"),  # rounds up to 1e15: an exponent, as 1e15 is
        (None, DASH),
        (float("nan"), DASH),
        (float("inf"), DASH),
    ],
)
def test_sig_gives_three_significant_figures(x: float | None, text: str) -> None:
    assert sig(x) == text


def test_sig_with_other_digits() -> None:
    assert (sig(0.123456, 2), sig(0.123456, 4), sig(98765, 1)) == ("0.12", "0.1235", "100,000")


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "0%"), (1.0, "100%"), (0.5, "50.0%"), (0.04044, "4.04%"), (0.001234, "0.123%"), (None, DASH)],
)
def test_pct_is_a_percentage_with_three_significant_figures(p: float | None, text: str) -> None:
    assert pct(p) == text


def test_pct_with_two_figures_and_pp_with_two() -> None:
    assert pct(0.4567, 2) == "46%"
    assert (pp(0.003444), pp(0.0001), pp(0.0123), pp(None)) == ("0.34 pp", "0.010 pp", "1.2 pp", DASH)


@pytest.mark.parametrize(
    ("p", "se", "sign", "text"),
    [
        (0.4, 0.003444, True, "± 0.34 pp"),
        (0.4, 0.003444, False, "0.34 pp"),
        (0.0, 0.00015, True, "< 3/n = 0.015 pp"),  # every draw agreed: a bound, not ±
        (1.0, 0.00015, True, "< 3/n = 0.015 pp"),
        (1.0, 0.00015, False, "< 3/n = 0.015 pp"),
        (1 - 1e-12, 0.00015, True, "± 0.015 pp"),  # one draw disagreed: an error
        (1e-12, 0.00015, True, "± 0.015 pp"),
        (None, 0.001, True, "± 0.10 pp"),
    ],
)
def test_mc_error_is_a_bound_exactly_when_every_draw_agreed(
    p: float | None, se: float, sign: bool, text: str
) -> None:
    assert mc_error(p, se, sign=sign) == text


def test_a_deadline_is_on_for_at_and_by_otherwise() -> None:
    assert deadline_words("at", "2027-01-01") == "on 2027-01-01"
    assert deadline_words("by", "2027-01-01") == "by 2027-01-01"


@pytest.mark.parametrize(
    ("lo", "hi", "text"),
    [
        (0.02, 0.05, "2.00%–5.00%"),
        (0.0, 0.05, "0%–5.00%"),
        (-0.02, 0.05, "-2.00% to 5.00%"),  # a dash after a minus reads as a range to a negative
        (-0.05, -0.02, "-5.00% to -2.00%"),
        (0.02, -0.0, "2.00%–0%"),
    ],
)
def test_interval_keeps_signs_apart(lo: float, hi: float, text: str) -> None:
    assert interval(lo, hi, pct) == text


def test_interval_defaults_to_three_significant_figures() -> None:
    assert interval(12.796, 37.95) == "12.8–38.0"
