"""The what-if page itself: its layout and its reactive logic (Shiny for Python).

:func:`create_app` builds the page for one served scenario out of its panels, each a
Shiny module (:mod:`~forecast.commands.serve.panels`): the fields, the status line,
the numbers, and the changes with Save and Report. Each browser tab is its own Shiny
session with its own state (:class:`~forecast.commands.serve.panels.state.PageState`):
the fields, the last valid forecast (:class:`~forecast.commands.serve.view.View`) and a
generation counter, so that the last change wins.

The tables the page shows are pure functions of a :class:`View`
(:mod:`~forecast.commands.serve.tables`); a pool of analysts' files gets a page of its
own (:mod:`~forecast.commands.serve.pool_page`).

Examples
--------
>>> app = create_app(path, scenario, compute(scenario, {}), Worker(), Path.cwd())  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.commands.serve import whatif

if TYPE_CHECKING:
    from forecast.commands.serve.view import View, Worker
    from forecast.scenario import Scenario

CSS = """
.fc-source { font-size: .75rem; color: #6c757d; margin-top: -.4rem; margin-bottom: .2rem; }
.fc-problem { font-size: .8rem; color: #b02a37; font-weight: 600; }
.fc-was { font-size: .75rem; color: #8a5a00; background: #fff3cd; border-radius: .25rem; padding: 0 .3rem; }
.fc-group { margin-top: .6rem; font-weight: 700; font-size: .9rem; border-bottom: 1px solid #dee2e6; }
.fc-sum { font-size: .8rem; }
.fc-status { font-size: .9rem; }
table.fc-table { font-size: .85rem; }
table.fc-table td, table.fc-table th { padding: .15rem .5rem; }
.fc-fan svg { max-width: 760px; display: block; margin: 0 auto .5rem; }
.sidebar .shiny-input-container { margin-bottom: .3rem; }
"""


def create_app(
    path: Path, base: Scenario, first: View, worker: Worker, workdir: Path, max_draws: int = whatif.PAGE_DRAWS
) -> Any:
    """The Shiny app for the scenario at ``path``.

    Parameters
    ----------
    path : Path
        The served file: saved what-ifs extend it, reports run it with ``--set``.
    base : Scenario
        The scenario loaded from ``path``.
    first : View
        ``base`` already simulated: every new page opens on it.
    worker : Worker
        The thread that runs simulations and reports, shared by all pages.
    workdir : Path
        Where relative save and report paths are written.
    max_draws : int
        The most draws a visitor may ask for (``forecast serve --max-draws``).

    Returns
    -------
    shiny.App

    Examples
    --------
    >>> app = create_app(path, base, compute(base, {}), Worker(), Path.cwd())  # doctest: +SKIP
    """
    from shiny import App, ui

    from forecast.commands.serve.panels import actions, fields, results, status
    from forecast.commands.serve.panels.state import PageState, follow_edits

    cs = whatif.controls(base)
    page = actions.Served(path, base, cs, worker, workdir, max_draws)
    app_ui = ui.page_sidebar(
        fields.fields_ui("fields", cs),
        ui.tags.style(CSS),
        status.status_ui("status"),
        results.results_ui("results"),
        actions.actions_ui("actions", f"{path.stem}-what-if.toml", f"reports/{base.id}-what-if"),
        title=f"forecast serve: {base.title}",
        fillable=False,
    )

    def server(input: Any, output: Any, session: Any) -> None:
        state = PageState(first)
        edits = fields.fields_server("fields", cs, state)
        follow_edits(state, base, cs, edits, worker, max_draws)
        status.status_server("status", state)
        results.results_server("results", state)
        actions.actions_server("actions", state, page)

    return App(app_ui, server)
