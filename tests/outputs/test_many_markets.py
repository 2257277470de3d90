"""A report of many markets stays readable: one figure of small multiples and one
table, not a fan chart and a table per market (issue 14)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

import forecast
from forecast.outputs import figures as figs
from forecast.outputs.figures import (
    GRID_MARKETS,
    MAX_MARKET_FIGURES,
    figure_data,
    figure_infos,
    largest_markets,
)
from forecast.outputs.sections import market_blocks
from forecast.scenario import Scenario


def many_markets(n: int) -> Scenario:
    s = tomllib.loads(Path(forecast.bundled("deepseek")).read_text(encoding="utf-8"))
    base = s["markets"]
    markets = []
    for i in range(n):
        m = copy.deepcopy(base[i % 4])
        if i >= 4:
            m["id"], m["label"] = f"{m['id']}_{i}", f"{m['label']} {i}"
            # distinct sizes, the same growth
            m["size"]["median"] = m["size"]["median"] * (1 + i / 10)
            m["projection"]["value"] = m["projection"]["value"] * (1 + i / 10)
        markets.append(m)
    s["markets"] = markets
    return Scenario.from_dict(s, origin="many.toml")


@pytest.fixture(scope="module")
def many() -> Any:
    return forecast.simulate(many_markets(20), draws=2000, seed=5)


def test_many_markets_get_one_small_multiples_figure(many: Any) -> None:
    infos = figure_infos(figure_data(many))
    keys = [i.key for i in infos]
    assert "markets" in keys
    assert not [k for k in keys if k.startswith("market.") and k != "market.total"]
    info = infos[keys.index("markets")]
    assert f"{GRID_MARKETS} largest of 20 markets" in info.title


def test_the_grid_shows_the_largest_markets(many: Any) -> None:
    markets = many.markets()
    ids = [m.id for m in many.scenario.markets]
    top = largest_markets(markets, ids, GRID_MARKETS)
    last = markets[(markets["year"] == markets["year"].max()) & markets["market"].isin(ids)]
    want = last.sort_values("q50", ascending=False, kind="stable")["market"].head(GRID_MARKETS).tolist()
    assert top == want


def test_few_markets_keep_a_fan_each(seed_forecast: Any) -> None:
    keys = [i.key for i in figure_infos(figure_data(seed_forecast))]
    assert len(seed_forecast.scenario.markets) <= MAX_MARKET_FIGURES
    assert "markets" not in keys
    assert {f"market.{m.id}" for m in seed_forecast.scenario.markets} <= set(keys)


def test_the_grid_draws_in_one_figure(many: Any) -> None:
    drawn = [info for info, png in figs.draw_figures(figure_data(many)) if info.key == "markets"]
    assert len(drawn) == 1


def test_many_markets_are_one_block_with_every_market(many: Any) -> None:
    blocks = market_blocks(many, many.markets(), {})
    titles = [b.title for b in blocks]
    assert "All 20 markets" in titles
    block = blocks[titles.index("All 20 markets")]
    (table,) = block.tables
    assert [row[0] for row in table.rows] == [m.label for m in many.scenario.markets]
    # no block per market
    assert not set(titles) & {m.label for m in many.scenario.markets}
