"""The what-if page's changes and what keeps them: "Save as scenario" writes a child
file that ``extends`` the served one (checked as ``forecast validate`` would), "Report"
writes the full report of the page's state with the ``forecast run`` pipeline.

The four form fields keep the page's own ids (``save_path``, ``save``, ``report_dir``,
``report``), not this module's: scripts that drive the page name them.

Examples
--------
>>> actions_ui("actions", "deepseek-what-if.toml", "reports/deepseek-what-if")  # doctest: +SKIP
>>> actions_server("actions", state, page)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from shiny import module, reactive, render, ui
from shiny.module import ResolvedId

from forecast.commands.serve import whatif
from forecast.commands.serve.panels.saving import save_child, write_report
from forecast.commands.serve.panels.state import PageState

if TYPE_CHECKING:
    from forecast.commands.serve.view import Worker
    from forecast.scenario import Scenario

# ids already resolved are left as they are by the module's namespace
SAVE_PATH, SAVE, REPORT_DIR, REPORT = (ResolvedId(i) for i in ("save_path", "save", "report_dir", "report"))


class Served(NamedTuple):
    """What the actions need of the served page."""

    path: Path  # the served file
    base: Scenario  # the scenario loaded from it
    cs: list[whatif.Control]  # its fields
    worker: Worker  # runs the reports
    workdir: Path  # where relative save and report paths are written
    max_draws: int  # the most draws a visitor may ask for


@module.ui
def actions_ui(default_save: str, default_report: str) -> Any:
    """The changes card beside the card that keeps them."""
    actions = ui.card(
        ui.card_header("Keep what you found"),
        ui.layout_columns(
            ui.div(
                ui.input_text(SAVE_PATH, "Scenario file", default_save),
                ui.input_action_button(SAVE, "Save as scenario", class_="btn-primary btn-sm"),
            ),
            ui.div(
                ui.input_text(REPORT_DIR, "Report folder", default_report),
                ui.input_action_button(REPORT, "Report", class_="btn-secondary btn-sm"),
            ),
        ),
        ui.output_ui("action_message"),
    )
    return ui.layout_columns(ui.card(ui.card_header("What-if changes"), ui.output_ui("changes")), actions)


@module.server
def actions_server(input: Any, output: Any, session: Any, state: PageState, page: Served) -> None:
    """The list of changes, and Save and Report, each refused while the page shows no
    valid, finished forecast."""
    by_key = {c.key: c for c in page.cs}

    @render.ui
    def changes() -> Any:
        overrides = state.view().overrides
        if not overrides:
            return ui.p(f"None: the page shows {page.path.name} as written.", id="changes-none")
        items = [
            ui.tags.li(ui.tags.code(k), f": {whatif.change_line(by_key[k], v)}") for k, v in overrides.items()
        ]
        return ui.tags.ul(*items, id="changes-list")

    @render.ui
    def action_message() -> Any:
        return state.message()

    @reactive.effect
    @reactive.event(input[SAVE])
    def _save() -> None:
        if state.invalid():
            state.message.set(
                ui.div(
                    "Fix the marked fields first: the page saves a valid scenario only.", class_="fc-problem"
                )
            )
            return
        if state.running() is not None:
            why = "An update is still running: save when it is done (the page saves what it shows)."
            state.message.set(ui.div(why, class_="fc-problem", id="save-failed"))
            return
        dest, why = whatif.place_in(page.workdir, input[SAVE_PATH](), "Scenario file")
        if dest is None:
            state.message.set(ui.div(why, class_="fc-problem", id="save-failed"))
            return
        overrides = whatif.overrides_for(page.cs, state.view().overrides, page.max_draws)
        state.message.set(save_child(page.path, dest, page.base, overrides, page.cs))

    @reactive.effect
    @reactive.event(input[REPORT])
    def _report() -> None:
        if state.running() is not None or state.invalid():
            why = "Wait for a valid, finished update: the report is of what the page shows."
            state.message.set(ui.div(why, class_="fc-problem", id="report-failed"))
            return
        folder, why = whatif.place_in(page.workdir, input[REPORT_DIR](), "Report folder", folders=True)
        if folder is None:
            state.message.set(ui.div(why, class_="fc-problem", id="report-failed"))
            return
        overrides = whatif.overrides_for(page.cs, state.view().overrides, page.max_draws)
        state.message.set(ui.div(f"Writing the report to {folder}…", id="report-running"))
        state.spawn(_report_job(state, page, folder, overrides))


async def _report_job(state: PageState, page: Served, folder: Path, overrides: Mapping[str, Any]) -> None:
    """Write the report on the worker, then say where it is or why there is none."""
    try:
        status, err = await page.worker.submit(write_report, page.path, folder, overrides)
    except Exception as e:
        status, err = 1, f"{type(e).__name__}: {e}"
    async with reactive.lock():
        if status == 0:
            done = ui.div(
                f"Report written: {folder / 'report.html'}", id="report-done", class_="text-success"
            )
            state.message.set(done)
        else:
            state.message.set(ui.div(f"No report written: {err}", id="report-failed", class_="fc-problem"))
        await reactive.flush()
