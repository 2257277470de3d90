"""The what-if page's layout, without a browser: what scripts that drive the page name
(the form's ids, each field's key path, the cards) is where it was before the page was
split into Shiny modules (one per panel), whose own inputs and outputs are named inside
their module (``fields-``, ``results-``, ...)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import forecast
from forecast.commands.serve import whatif


@pytest.fixture(scope="module")
def html() -> str:
    from forecast.commands.serve.app import create_app
    from forecast.commands.serve.view import Worker

    path = forecast.bundled("deepseek")
    # the layout does not read the first view: only the sessions do
    app = create_app(path, forecast.load(path), None, Worker(), Path.cwd())  # type: ignore[arg-type]
    return str(app.ui["html"])


def test_the_forms_ids_are_the_pages_own(html: str) -> None:
    for ident in ("save_path", "save", "report_dir", "report"):
        assert f'id="{ident}"' in html, ident
    assert 'value="deepseek-what-if.toml"' in html
    assert 'value="reports/deepseek-what-if"' in html


def test_every_field_is_marked_with_its_key_path_in_the_files_order(html: str) -> None:
    keys = [c.key for c in whatif.controls(forecast.load(forecast.bundled("deepseek")))]
    assert re.findall(r'data-key="([^"]+)"', html) == keys


def test_the_cards_are_in_the_pages_order(html: str) -> None:
    heads = ["Outcomes", "Signposts", "Markets", "Predictions", "What-if changes", "Keep what you found"]
    at = [html.index(f">{h}<") for h in heads]
    assert at == sorted(at)
    # the panels' outputs, each inside its module
    for ident in (
        "status-line",
        "results-fans",
        "results-market_table",
        "actions-changes",
        "fields-outcome_sum",
    ):
        assert f'id="{ident}"' in html, ident
