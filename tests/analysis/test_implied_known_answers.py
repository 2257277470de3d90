"""Implied growth and signpost effects on a handful of draws written by hand.

``implied_growth`` and ``signpost_effects`` read a forecast's draws and its scenario;
here the scenario is real (loaded from TOML, no model built) and the draws are a few
rows chosen so that every number has a closed form worked out in the comments: the
quantiles of five growth rates, Bayes' rule on two outcomes, the delta-method error
of a ratio, the self-normalised weighted mean of four hits and its standard error,
the undoing of an observation already conditioned on. No simulation, no compile.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.implied import SIGNPOST_COLUMNS, implied_growth, signpost_effects

SIGNPOSTED = """\
id = "hand"
title = "By hand"
as_of = 2025-01-01

[simulation]
end_year = 2027

[[markets]]
id = "m"
label = "M"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = 0.1

[assessment]
horizon_years = 2
confidence = 100

[[assessment.outcomes]]
id = "a"
label = "A"
probability = 0.5

[[assessment.outcomes]]
id = "b"
label = "B"
probability = 0.5

[[predictions]]
id = "p"
statement = "P happens"
deadline = 2026-01-01
probability_by_outcome = { a = 0.9, b = 0.1 }

[[signposts]]
id = "s"
statement = "S is seen"
likelihood = { a = LA, b = LB }
"""


class Draws:
    """A stand-in forecast: the scenario, draws given by name (pooled, one row a draw)
    and the Monte Carlo error of a mean of independent draws, ``sd / sqrt(n)``."""

    def __init__(self, scenario: Any, conditioned: bool = False, **values: Any) -> None:
        self.scenario, self.conditioned = scenario, conditioned
        self._values = {k: np.asarray(v, dtype=float) for k, v in values.items()}

    def values(self, name: str) -> np.ndarray:
        return self._values[name]

    @property
    def draws(self) -> dict[str, np.ndarray]:
        """The draws with their (chain, draw, ...) dims: one chain."""
        return {k: v[None] for k, v in self._values.items()}

    def _mcse(self, name: str, x: np.ndarray) -> np.ndarray:
        return np.asarray(x.std(axis=0, ddof=1) / math.sqrt(x.shape[0]))


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return forecast.load(path)


# four draws: outcome probabilities averaging (0.5, 0.5); outcome a realised in the
# first two; the prediction comes true in the first only
Q = [[0.6, 0.4], [0.4, 0.6], [0.5, 0.5], [0.5, 0.5]]
REALIZED = [0, 0, 1, 1]
HIT = [[1], [0], [0], [0]]


def _effects(tmp_path: Path, la: float, lb: float, observed: str = "", conditioned: bool = False) -> Any:
    text = SIGNPOSTED.replace("LA", str(la)).replace("LB", str(lb)) + observed
    s = _load(tmp_path, text)
    fc = Draws(s, conditioned, outcome_probability=Q, realized_outcome=REALIZED, prediction_hit=HIT)
    eff = signpost_effects(fc)
    return eff.set_index(["kind", "id"])


def test_an_open_signpost_moves_outcomes_by_bayes_with_the_delta_method_error(tmp_path: Path) -> None:
    eff = _effects(tmp_path, 0.8, 0.2)
    a, b = eff.loc[("outcome", "a")], eff.loc[("outcome", "b")]
    # P(a | true) = 0.8 * 0.5 / (0.8 * 0.5 + 0.2 * 0.5) = 0.8; P(a | false) = 0.2
    assert (a.now, a.without, a.if_true, a.if_false) == pytest.approx((0.5, 0.5, 0.8, 0.2))
    assert (b.if_true, b.if_false) == pytest.approx((0.2, 0.8))
    assert a.p_true == pytest.approx(0.5)  # 0.8 * 0.5 + 0.2 * 0.5
    # p(m) = 0.8 m / (0.8 m + 0.2 (1 - m)); p'(0.5) = 0.8 * 0.2 / 0.5^2 = 0.64, and the
    # draws of P(a) (0.6 0.4 0.5 0.5) have sd sqrt(0.02 / 3): error 0.64 sd / sqrt(4)
    se = 0.64 * math.sqrt(0.02 / 3) / 2
    assert (a.mcse_true, a.mcse_false, b.mcse_true, b.mcse_false) == pytest.approx((se, se, se, se))
    assert _missing(a.observed)


def _missing(x: Any) -> bool:
    return x is None or x != x


def test_a_prediction_moves_as_the_weighted_share_of_its_hits(tmp_path: Path) -> None:
    """Observed true, each draw weighs P(true | its outcome): 0.8 0.8 0.2 0.2; the one
    hit (draw 1) gives 0.8 / 2.0 = 0.4. Observed false: 0.2 / 2.0 = 0.1."""
    p = _effects(tmp_path, 0.8, 0.2).loc[("prediction", "p")]
    assert (p.now, p.without, p.if_true, p.if_false) == pytest.approx((0.25, 0.25, 0.4, 0.1))
    assert p.label == "P happens"
    # the ratio estimator's error: sqrt(sum((w (h - p) / mean(w))^2) / (n - 1)) / sqrt(n);
    # true: w (h - p) = 0.48 -0.32 -0.08 -0.08, mean(w) = 0.5, squares summed 1.3824
    assert p.mcse_true == pytest.approx(math.sqrt(1.3824 / 3) / 2)
    # false: w (h - p) = 0.18 -0.02 -0.08 -0.08 over mean(w) 0.5: squares summed 0.1824
    assert p.mcse_false == pytest.approx(math.sqrt(0.1824 / 3) / 2)


def test_an_observation_conditioned_on_is_undone_before_either_answer(tmp_path: Path) -> None:
    """NUTS conditioned on "S seen": the draws' mean (0.5, 0.5) is the posterior. Undone,
    the prior is (0.5 / 0.8, 0.5 / 0.2) normalised = (0.2, 0.8); had S been seen, the
    posterior is the draws' (0.5); had it not, 0.2 * 0.2 / (0.2 * 0.2 + 0.8 * 0.8) = 1/17."""
    eff = _effects(tmp_path, 0.8, 0.2, "observed = true\n", conditioned=True)
    a = eff.loc[("outcome", "a")]
    assert a.observed == True  # noqa: E712 - a numpy bool or a Python one
    assert (a.without, a.now, a.if_true, a.if_false) == pytest.approx((0.2, 0.5, 0.5, 1 / 17))
    assert a.p_true == pytest.approx(0.2 * 0.8 + 0.8 * 0.2)  # before it was seen
    # the prediction: weights undone 1/0.8 1/0.8 1/0.2 1/0.2, one hit: 1.25 / 12.5
    p = eff.loc[("prediction", "p")]
    assert (p.without, p.now, p.if_true) == pytest.approx((0.1, 0.25, 0.25))
    # false: weights (0.2, 0.8) * undo = 0.25 0.25 4 4: 0.25 / 8.5
    assert p.if_false == pytest.approx(0.25 / 8.5)


def test_a_prior_only_run_ignores_the_observation(tmp_path: Path) -> None:
    eff = _effects(tmp_path, 0.8, 0.2, "observed = true\n", conditioned=False)
    a = eff.loc[("outcome", "a")]
    assert _missing(a.observed)
    assert (a.without, a.now, a.if_true) == pytest.approx((0.5, 0.5, 0.8))


def test_a_likelihood_at_its_bounds_settles_the_outcome(tmp_path: Path) -> None:
    """Seen only under a (1 and 0): observed true means a, observed false means b."""
    eff = _effects(tmp_path, 1.0, 0.0)
    a, p = eff.loc[("outcome", "a")], eff.loc[("prediction", "p")]
    assert (a.if_true, a.if_false) == pytest.approx((1.0, 0.0))
    # among the draws of a, one of two hits; among those of b, none
    assert (p.if_true, p.if_false) == pytest.approx((0.5, 0.0))


def test_a_signpost_as_likely_under_every_outcome_moves_nothing(tmp_path: Path) -> None:
    eff = _effects(tmp_path, 0.5, 0.5)
    a, p = eff.loc[("outcome", "a")], eff.loc[("prediction", "p")]
    assert (a.if_true, a.if_false, p.if_true, p.if_false) == pytest.approx((0.5, 0.5, 0.25, 0.25))


# --- implied growth -------------------------------------------------------------------

TWO_MARKETS = """id = "grow"
title = "Growth by hand"
as_of = 2025-01-01

[simulation]
end_year = 2027

[[markets]]
id = "m1"
label = "One"
unit = "USD bn"
base_year = 2024
size = 10.0
cagr = 0.1

[[markets]]
id = "m2"
label = "Two"
unit = "USD bn"
base_year = 2024
size = 20.0
projection = { year = 2026, value = 45.0 }
"""

G = np.array([0.0, 0.1, 0.2, 0.3, 0.4])  # five draws' CAGR, the same in both markets


def _growth(tmp_path: Path, text: str) -> Any:
    s = _load(tmp_path, text)
    years = np.array(s.years) - 2024
    assert list(s.years) == [2024, 2025, 2026, 2027]
    one = 10.0 * (1 + G[:, None]) ** years  # (draw, year)
    two = 20.0 * (1 + G[:, None]) ** years
    size = np.stack([one, two], axis=1)[:, : len(s.markets)]
    fc = Draws(s, market_size=size, total_market=size.sum(axis=1))
    return implied_growth(fc).set_index(["market", "to_year"])


def test_the_implied_cagr_is_its_draws_quantiles_against_the_stated_one(tmp_path: Path) -> None:
    g = _growth(tmp_path, TWO_MARKETS)
    # spans: the base year to each projection year (2026) and to the end year (2027)
    assert list(g.index) == [(x, y) for x in ("total", "m1", "m2") for y in (2026, 2027)]
    assert set(g["from_year"]) == {2024}
    # np.quantile's linear rule on 0 .1 .2 .3 .4: 5% is 0.2 of the way from 0 to 0.1
    for row in g.itertuples():
        assert (row.q05, row.q50, row.q95) == pytest.approx((0.02, 0.2, 0.38)), row.Index
    one, two = g.loc[("m1", 2027)], g.loc[("m2", 2026)]
    assert (one.stated, one.stated_basis) == (pytest.approx(0.1), "stated CAGR")
    # 20 -> 45 in two years: sqrt(45 / 20) - 1 = 0.5
    assert (two.stated, two.stated_basis) == (pytest.approx(0.5), "stated size and projection")
    assert g.loc[("m2", 2027), "stated"] == pytest.approx(0.5)


def test_the_total_states_the_cagr_of_the_stated_sizes_summed(tmp_path: Path) -> None:
    g = _growth(tmp_path, TWO_MARKETS)
    # 2026: 10 * 1.1^2 + the projection 45, from 10 + 20; 2027: 10 * 1.1^3 + 20 * 1.5^3
    assert g.loc[("total", 2026), "stated"] == pytest.approx((57.1 / 30) ** (1 / 2) - 1)
    assert g.loc[("total", 2027), "stated"] == pytest.approx((80.81 / 30) ** (1 / 3) - 1)
    assert g.loc[("total", 2026), "stated_basis"] == "stated markets summed"


def test_one_market_has_no_total_and_a_span_to_its_end_year_only(tmp_path: Path) -> None:
    one = TWO_MARKETS[: TWO_MARKETS.index("[[markets]]", TWO_MARKETS.index("m1"))]
    g = _growth(tmp_path, one)
    assert list(g.index) == [("m1", 2027)]
    assert g.loc[("m1", 2027), "q50"] == pytest.approx(0.2)


def test_markets_in_different_units_have_no_total(tmp_path: Path) -> None:
    g = _growth(
        tmp_path,
        TWO_MARKETS.replace(
            'unit = "USD bn"\nbase_year = 2024\nsize = 20.0', 'unit = "EUR bn"\nbase_year = 2024\nsize = 20.0'
        ),
    )
    assert "total" not in g.index.get_level_values("market")


# --- from the mutation run (tests/README.md) -------------------------------------------


def test_an_observation_of_false_conditioned_on_is_undone_too(tmp_path: Path) -> None:
    """Seen false: the prior is (0.5 / 0.2, 0.5 / 0.8) normalised = (0.8, 0.2); had it
    been seen true, 0.8 * 0.8 / (0.8 * 0.8 + 0.2 * 0.2) = 16/17; seen false, the draws' 0.5."""
    eff = _effects(tmp_path, 0.8, 0.2, "observed = false\n", conditioned=True)
    a = eff.loc[("outcome", "a")]
    assert (a.without, a.now, a.if_true, a.if_false) == pytest.approx((0.8, 0.5, 16 / 17, 0.5))
    assert a.p_true == pytest.approx(0.8 * 0.8 + 0.2 * 0.2)
    assert eff["signpost"].tolist() == ["s"] * 3 and eff["label"].tolist() == ["A", "B", "P happens"]


def test_a_side_made_impossible_by_what_was_seen_is_not_a_number(tmp_path: Path) -> None:
    """Seen true with likelihood 1 under a and 0 under b: undone, the prior is all a
    (1/0 is left out, never inf), and "had it been seen false" has no answer."""
    eff = _effects(tmp_path, 1.0, 0.0, "observed = true\n", conditioned=True)
    a, p = eff.loc[("outcome", "a")], eff.loc[("prediction", "p")]
    assert (a.without, a.if_true) == pytest.approx((1.0, 1.0))
    assert eff.loc[("outcome", "b"), "without"] == 0.0
    assert all(math.isnan(x) for x in (a.if_false, a.mcse_false, p.if_false, p.mcse_false))
    # the prediction under a only: one hit in two draws
    assert (p.without, p.if_true) == pytest.approx((0.5, 0.5))


def test_every_signpost_has_its_rows_without_predictions_and_none_is_an_empty_table(tmp_path: Path) -> None:
    text = SIGNPOSTED.replace("LA", "0.8").replace("LB", "0.2")
    text = text[: text.index("[[predictions]]")] + text[text.index("[[signposts]]") :]
    text += '\n[[signposts]]\nid = "t"\nstatement = "T"\nlikelihood = { a = 0.5, b = 0.25 }\n'
    s = _load(tmp_path, text)
    # a forecast always has its realized outcomes (they weight the draws of any answer)
    eff = signpost_effects(Draws(s, outcome_probability=Q, realized_outcome=REALIZED))
    assert eff[["signpost", "id"]].values.tolist() == [["s", "a"], ["s", "b"], ["t", "a"], ["t", "b"]]
    # t: P(a | true) = 0.5 * 0.5 / (0.5 * 0.5 + 0.25 * 0.5) = 2/3
    assert eff["if_true"].tolist() == pytest.approx([0.8, 0.2, 2 / 3, 1 / 3])
    none = _load(tmp_path, text[: text.index("[[signposts]]")])
    assert list(signpost_effects(Draws(none, outcome_probability=Q)).columns) == SIGNPOST_COLUMNS


def test_labels_and_markets_with_their_own_base_years(tmp_path: Path) -> None:
    g = _growth(tmp_path, TWO_MARKETS)
    assert g.loc[("total", 2027), "label"] == "Total of all markets"
    assert g.loc[("m1", 2027), "label"] == "One" and g.loc[("m2", 2026), "label"] == "Two"
    # m2 from 2025: no total (the spans differ), each market over its own years
    s = _load(tmp_path, TWO_MARKETS.replace("base_year = 2024\nsize = 20.0", "base_year = 2025\nsize = 20.0"))
    size = np.stack([10.0 * (1 + G[:, None]) ** (np.array(s.years) - 2024)] * 2, axis=1)
    rows = implied_growth(Draws(s, market_size=size, total_market=size.sum(axis=1)))
    assert rows[["market", "from_year", "to_year"]].values.tolist() == [
        ["m1", 2024, 2026],
        ["m1", 2024, 2027],
        ["m2", 2025, 2026],
        ["m2", 2025, 2027],
    ]


def test_a_stated_interval_is_read_at_its_median_on_its_own_scale(tmp_path: Path) -> None:
    """A CAGR of 0% to 44% is lognormal in 1 + rate: median sqrt(1 x 1.44) - 1 = 20%,
    not 22%; sizes of 10 to 40 and a projection of 45 to 180 are lognormal: medians 20
    and 90, so the stated CAGR to 2026 is sqrt(90 / 20) - 1."""
    text = TWO_MARKETS.replace("size = 10.0\ncagr = 0.1", "size = 10.0\ncagr = { low = 0.0, high = 0.44 }")
    text = text.replace(
        "size = 20.0\nprojection = { year = 2026, value = 45.0 }",
        "size = { low = 10.0, high = 40.0 }\nprojection = { year = 2026, low = 45.0, high = 180.0 }",
    )
    g = _growth(tmp_path, text)
    assert g.loc[("m1", 2027), "stated"] == pytest.approx(0.2)
    assert g.loc[("m2", 2026), "stated"] == pytest.approx(math.sqrt(90 / 20) - 1)
    # the total to 2027: (10 x 1.2^3 + 20 x (90 / 20)^(3/2)) from 10 + 20
    end = 10 * 1.2**3 + 20 * (90 / 20) ** 1.5
    assert g.loc[("total", 2027), "stated"] == pytest.approx((end / 30) ** (1 / 3) - 1)
    assert g.loc[("total", 2026), "stated"] == pytest.approx(((10 * 1.44 + 90) / 30) ** 0.5 - 1)


def test_weights_summing_below_one_are_still_weights(tmp_path: Path) -> None:
    """A signpost unlikely under every outcome (1% and 2%): the four draws' weights sum to
    0.06, not a reason to refuse; the one hit (weight 0.01) gives 0.01 / 0.06."""
    p = _effects(tmp_path, 0.01, 0.02).loc[("prediction", "p")]
    assert p.if_true == pytest.approx(0.01 / 0.06)
    assert p.if_false == pytest.approx(0.99 / (0.99 * 2 + 0.98 * 2))
