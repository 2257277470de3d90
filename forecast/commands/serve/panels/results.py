"""The numbers of the what-if page: the outcome odds, the signposts, the market fans
and table, the predictions, and cards for the metrics and the decision of a scenario
that has them; each a pure function of the tab's :class:`~forecast.commands.serve.view.View`
(:mod:`~forecast.commands.serve.tables`).

Examples
--------
>>> results_ui("results")  # doctest: +SKIP
>>> results_server("results", state)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from shiny import module, render, ui

from forecast.commands.serve import tables
from forecast.commands.serve.panels.state import PageState

TABLES = ("market_table", "outcome_table", "prediction_table", "signpost_table")


@module.ui
def results_ui() -> Any:
    """The cards, in the page's order."""
    return ui.TagList(
        ui.layout_columns(
            ui.card(ui.card_header("Outcomes"), ui.output_ui("outcome_table")),
            ui.card(ui.card_header("Signposts"), ui.output_ui("signpost_table")),
            col_widths=(6, 6),
        ),
        ui.card(
            ui.card_header("Markets"),
            ui.output_ui("fans"),
            ui.output_ui("market_table"),
        ),
        ui.card(ui.card_header("Predictions"), ui.output_ui("prediction_table")),
        ui.output_ui("extra_cards"),
    )


@module.server
def results_server(input: Any, output: Any, session: Any, state: PageState) -> None:
    """Each table, the fans and the extra cards, drawn again for every new view."""
    for name in TABLES:
        _table(output, name, state)

    @render.ui
    def fans() -> Any:
        return ui.div(ui.HTML(state.view().fan_svg), class_="fc-fan", id="fans")

    @render.ui
    def extra_cards() -> Any:
        # metrics and the decision: cards only for a scenario that has them
        v = state.view()
        cards = [
            ui.card(ui.card_header(head), body)
            for head, body in (
                ("Metrics", tables.metric_table(v)),
                ("Decision", tables.decision_table(v)),
            )
            if body is not None
        ]
        return ui.TagList(*cards)


def _table(output: Any, name: str, state: PageState) -> None:
    """The table ``tables.<name>`` of the tab's view."""

    @output(id=name)
    @render.ui
    def _() -> Any:
        return getattr(tables, name)(state.view())
