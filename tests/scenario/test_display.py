"""A notebook cell that ends in a scenario shows a short text or a few small tables."""

from __future__ import annotations

import forecast
from forecast.scenario import display


def test_scenario_repr_is_short_and_says_what_is_in_it() -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    text = repr(s)
    assert len(text) < 600 and len(text.splitlines()) <= 6, text
    assert text.startswith("<Scenario 'deepseek': ")
    assert "4 markets, 3 outcomes, 1 position, 5 predictions, 1 signpost, no evidence" in text
    assert "independence 40%" in text
    assert str(s) == text


def test_scenario_html_shows_tables_and_escapes_text() -> None:
    s = forecast.load(forecast.bundled("deepseek")).with_overrides({"title": "<script>alert(1)</script>"})
    page = s._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("<table>") == 3  # markets, outcomes, predictions
    for m in s.markets:
        assert f">{m.id}<" in page


def test_listing_and_written_forms() -> None:
    assert display.listing(["a", "b"]) == "a, b"
    s = forecast.load(forecast.bundled("deepseek"))
    assert "USD bn" in display.written(s.market("developer_tools").size, "USD bn")
