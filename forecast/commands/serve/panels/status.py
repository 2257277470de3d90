"""The status line of the what-if page: a running simulation and how long it has
taken, else what the numbers shown are; a refused field, a failed simulation and the
sampler's warnings under it.

Examples
--------
>>> status_ui("status")  # doctest: +SKIP
>>> status_server("status", state)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from typing import Any

from shiny import module, reactive, render, ui

from forecast.commands.serve.panels.state import PageState
from forecast.commands.serve.view import View


@module.ui
def status_ui() -> Any:
    """Where the status is shown."""
    return ui.output_ui("line")


@module.server
def status_server(input: Any, output: Any, session: Any, state: PageState) -> None:
    """The status, shown again each second while a simulation runs."""

    @render.ui
    def line() -> Any:
        run = state.running()
        v = state.view()
        parts: list[Any] = []
        if run is not None:
            reactive.invalidate_later(1)
            parts += _running(run)
        else:
            parts.append(_ready(v))
        if state.invalid():
            parts.append(
                ui.div(
                    "A field holds a value the scenario refuses (see the message beside it); "
                    "the numbers below are the last valid forecast.",
                    id="status-invalid",
                    class_="fc-problem",
                )
            )
        if state.failure():
            parts.append(ui.div(f"The simulation failed: {state.failure()}", class_="fc-problem"))
        for w in v.warnings:
            parts.append(ui.div(f"Sampler warning: {w}", class_="fc-problem fc-warning"))
        return ui.div(*parts, class_="mb-2")


def _running(run: tuple[int, str, float]) -> list[Any]:
    """A progress bar and what runs, for how long."""
    _gen, method, started = run
    took = time.monotonic() - started
    what = (
        "Updating the odds with NUTS (evidence or an observed signpost); a new shape also "
        "compiles its sampler first"
        if method == "NUTS"
        else "Simulating"
    )
    bar = ui.div(
        ui.div(class_="progress-bar progress-bar-striped progress-bar-animated", style="width: 100%"),
        class_="progress mb-1",
        style="height: .5rem",
    )
    return [bar, ui.div(f"{what}… {took:.0f} s", id="status-running", class_="fc-status")]


def _ready(v: View) -> Any:
    """What the numbers shown are: the method, draws and time, and (for scripts that
    wait for it) the changes they were simulated with."""
    return ui.div(
        f"Up to date: {v.method} simulation, {v.draws:,} draws, {v.seconds:.1f} s",
        id="status-ready",
        class_="fc-status text-success",
        **{"data-method": v.method, "data-applied": json.dumps(v.overrides, sort_keys=True)},
    )
