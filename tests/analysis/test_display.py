"""A notebook cell that ends in a forecast shows the headline numbers, not a dump."""

from __future__ import annotations

import dataclasses
from typing import Any


def test_forecast_repr_is_short_and_has_the_headline_numbers(seed_forecast: Any) -> None:
    text = repr(seed_forecast)
    assert len(text) < 1000 and len(text.splitlines()) <= 8, text
    assert text.startswith("<Forecast 'deepseek': ")
    assert "20,000 forward draws" in text
    for row in seed_forecast.outcomes().itertuples():
        assert f"{row.outcome} {row.probability:.1%}" in text
    first = seed_forecast.predictions().iloc[0]
    assert f"{first.id} {first.probability:.1%}" in text


def test_forecast_html_has_the_tables_and_escapes_text(seed_forecast: Any) -> None:
    s = seed_forecast.scenario.with_overrides({"title": "<img src=x onerror=alert(1)>"})
    fc = dataclasses.replace(seed_forecast, scenario=s)
    page = fc._repr_html_()
    assert "<img" not in page and "&lt;img" in page
    assert page.count("<table>") == 3  # outcomes, predictions, markets
    markets = seed_forecast.markets().set_index(["market", "year"])
    q50 = markets.loc[("developer_tools", s.headline_year), "q50"]  # the one headline year
    assert f"Markets in {s.headline_year}" in page
    assert f">{q50:.3g}<" in page
