"""A comparison's differences worked by hand: each scenario minus the first, for what
both have, with the Monte Carlo error ``sqrt(mcse_a^2 + mcse_b^2)`` of a probability
and none of a median. Forecasts are stand-ins with the three tables a comparison reads.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from forecast.analysis.comparison import DIFFERENCE_COLUMNS, Comparison


def fc(
    markets: dict[tuple[str, int], float],
    outcomes: dict[str, tuple[float, float]],
    predictions: dict[str, tuple[float, float]],
) -> Any:
    m = pd.DataFrame([{"market": k, "year": y, "q50": v} for (k, y), v in markets.items()])
    o = pd.DataFrame([{"outcome": k, "probability": p, "mcse": e} for k, (p, e) in outcomes.items()])
    p = pd.DataFrame([{"id": k, "probability": q, "mcse": e} for k, (q, e) in predictions.items()])
    return SimpleNamespace(markets=lambda: m, outcomes=lambda: o, predictions=lambda: p)


BASE = fc(
    {("m", 2026): 10.0, ("total", 2026): 30.0, ("share.co", 2026): 0.1, ("gone", 2026): 1.0},
    {"a": (0.6, 0.003), "b": (0.4, 0.003)},
    {"p": (0.5, 0.005)},
)
BULL = fc(
    {("m", 2026): 12.5, ("total", 2026): 27.0, ("share.co", 2026): 0.1, ("m", 2027): 15.0},
    {"a": (0.7, 0.004), "c": (0.3, 0.004)},
    {"p": (0.38, 0.012), "q": (0.2, 0.01)},
)


def test_each_scenario_minus_the_first_for_what_both_have() -> None:
    d = Comparison([BASE, BULL, BASE], ["base", "bull", "same"]).differences()
    assert list(d.columns) == DIFFERENCE_COLUMNS
    bull = d[d["scenario"] == "bull"].set_index("quantity")
    assert set(d["vs"]) == {"base"}
    # rising, falling and unchanged medians; a market only one of them has is left out
    assert bull.loc["market.m", ["year", "value", "base", "difference"]].tolist() == [2026, 12.5, 10.0, 2.5]
    assert bull.loc["total", "difference"] == pytest.approx(-3.0)
    assert bull.loc["share.co", "difference"] == 0.0
    assert "market.gone" not in bull.index and (bull["year"] == 2026).all()
    assert bull.loc[["market.m", "total", "share.co"], "mcse"].isna().all()  # a median has none here
    # probabilities: 0.7 - 0.6 with sqrt(0.003^2 + 0.004^2) = 0.005; 0.38 - 0.5 with 0.013
    assert bull.loc["outcome.a", "difference"] == pytest.approx(0.1)
    assert bull.loc["outcome.a", "mcse"] == pytest.approx(0.005)
    assert pd.isna(bull.loc["outcome.a", "year"])
    assert bull.loc["prediction.p", "difference"] == pytest.approx(-0.12)
    assert bull.loc["prediction.p", "mcse"] == pytest.approx(0.013)
    assert not {"outcome.b", "outcome.c", "prediction.q"} & set(bull.index)
    # the base against itself: every difference 0, its errors still combined
    same = d[d["scenario"] == "same"].set_index("quantity")
    assert (same["difference"] == 0).all()
    assert same.loc["prediction.p", "mcse"] == pytest.approx(math.hypot(0.005, 0.005))


def test_one_scenario_has_no_differences() -> None:
    d = Comparison([BASE], ["base"]).differences()
    assert d.empty and list(d.columns) == DIFFERENCE_COLUMNS


def _table(columns: list[str], *rows: list[Any]) -> pd.DataFrame:
    """A table with ``columns`` and one more (``extra``) a stacked table leaves out."""
    return pd.DataFrame([[*r, "x"] for r in rows], columns=[*columns, "extra"])


def test_the_tables_stack_each_scenarios_rows_under_its_name_in_order() -> None:
    from forecast.analysis.results import MARKET_COLUMNS, OUTCOME_COLUMNS, PREDICTION_COLUMNS

    a = SimpleNamespace(
        markets=lambda: _table(MARKET_COLUMNS, ["m", 2026, 1, 0.1, 0.5, 0.8, 1, 1.2, 1.5]),
        outcomes=lambda: _table(OUTCOME_COLUMNS, ["up", "Up", 0.5, 0.6, 0.4, 0.8, 0.01]),
        predictions=lambda: _table(PREDICTION_COLUMNS, ["p", "P", "2027-01-01", 0.3, 0.02]),
    )
    b = SimpleNamespace(
        markets=lambda: _table(
            MARKET_COLUMNS, ["m", 2026, 2, 0.2, 1, 1.6, 2, 2.4, 3], ["n", 2027, 3, 0, 3, 3, 3, 3, 3]
        ),
        outcomes=lambda: _table(OUTCOME_COLUMNS),
        predictions=lambda: _table(PREDICTION_COLUMNS, ["p", "P", "2027-01-01", 0.4, 0.03]),
    )
    c = Comparison([a, b], ["base", "bull"])  # type: ignore[list-item]
    m = c.markets()
    assert list(m.columns) == ["scenario", *MARKET_COLUMNS]
    assert m[["scenario", "market", "year", "q50"]].values.tolist() == [
        ["base", "m", 2026, 1],
        ["bull", "m", 2026, 2],
        ["bull", "n", 2027, 3],
    ]
    o = c.outcomes()
    assert list(o.columns) == ["scenario", *OUTCOME_COLUMNS]
    assert o[["scenario", "outcome", "probability"]].values.tolist() == [["base", "up", 0.6]]
    p = c.predictions()
    assert list(p.columns) == ["scenario", *PREDICTION_COLUMNS]
    assert p[["scenario", "id", "probability"]].values.tolist() == [["base", "p", 0.3], ["bull", "p", 0.4]]
    assert c.base == "base"


def test_no_forecasts_stack_to_empty_tables_with_their_columns() -> None:
    from forecast.analysis.results import MARKET_COLUMNS

    empty = Comparison([], []).markets()
    assert empty.empty and list(empty.columns) == ["scenario", *MARKET_COLUMNS]


def test_names_must_match_the_forecasts_and_be_unique() -> None:
    with pytest.raises(ValueError, match="one name per forecast"):
        Comparison([BASE], ["a", "b"])
    with pytest.raises(ValueError, match=r"scenario names must be unique \(got \['a', 'a'\]\)"):
        Comparison([BASE, BASE], ["a", "a"])


def test_a_repeated_id_is_numbered_from_its_second_time() -> None:
    from forecast.analysis.comparison import unique_names

    assert unique_names(["a", "b", "a", "a", "b"]) == ["a", "b", "a#2", "a#3", "b#2"]
    assert unique_names([]) == []


def test_a_market_in_two_units_is_refused_naming_where_each_unit_is() -> None:
    """Market m in USD bn in the first two files and USD m in the third; market n only
    in the second and third, in one unit: one problem, in the third file."""
    from forecast.analysis.comparison import unit_problems

    def s(origin: str, *markets: tuple[str, str]) -> Any:
        return SimpleNamespace(origin=origin, markets=[SimpleNamespace(id=i, unit=u) for i, u in markets])

    files = [
        s("a.toml", ("m", "USD bn")),
        s("b.toml", ("m", "USD bn"), ("n", "users")),
        s("c.toml", ("n", "users"), ("m", "USD m")),
    ]
    [problem] = unit_problems(files, ["base", "second", "third"])
    assert str(problem) == (
        "c.toml: markets.m.unit: is in 'USD m' here but in 'USD bn' in base: a comparison subtracts one "
        "from the other, so a market needs one unit in every scenario (got 'USD m')"
    )
    assert unit_problems(files[:2], ["base", "second"]) == []
