"""The sidebar of the what-if page: a field for every input a strategist would move,
grouped as in the file, each with its source and a note (what it was, or why the
scenario refuses it), and the outcome probabilities kept summing to 1.

Examples
--------
>>> fields_ui("fields", controls(base))  # doctest: +SKIP
>>> edits = fields_server("fields", controls(base), state)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shiny import module, reactive, render, ui

from forecast.commands.serve import tables, whatif
from forecast.commands.serve.panels.state import Edits, PageState


@module.ui
def fields_ui(cs: Sequence[whatif.Control]) -> Any:
    """The sidebar: a heading per group, the outcome probabilities' sum under the
    assessment's, and a line for the problems no field owns."""
    items: list[Any] = []
    group = None
    for c in cs:
        if c.group != group:
            group = c.group
            items.append(ui.div(group, class_="fc-group"))
            if group == "Assessment":
                items.append(ui.output_ui("outcome_sum"))
        items.append(_field(c))
    items.append(ui.output_ui("other_problems"))
    return ui.sidebar(*items, width=340, title="Inputs", open="always")


def _field(c: whatif.Control) -> Any:
    """One input's field, its source and its note, marked with its key path."""
    if c.kind == "observed":
        choices = {"unknown": "unknown", "true": "true", "false": "false"}
        selected = {None: "unknown", True: "true", False: "false"}[c.value]  # type: ignore[index]
        widget = ui.input_radio_buttons(c.input_id, c.label, choices, selected=selected, inline=True)
    else:
        shown = c.value if isinstance(c.value, int | float) and not isinstance(c.value, bool) else 0.0
        widget = ui.input_numeric(c.input_id, c.label, shown, step=c.step)
    return ui.div(
        widget,
        ui.div(c.source, class_="fc-source") if c.source else None,
        ui.output_ui(f"note_{c.input_id}"),
        id=f"box_{c.input_id}",
        class_="fc-control",
        **{"data-key": c.key},
    )


@module.server
def fields_server(
    input: Any, output: Any, session: Any, cs: Sequence[whatif.Control], state: PageState
) -> Edits:
    """The fields' logic; returns the changes they hold (see :data:`Edits`)."""
    outcome_cs = [c for c in cs if c.key.startswith("assessment.outcomes.")]
    stated = reactive.value({c.key: float(c.value) for c in outcome_cs})  # type: ignore[arg-type]

    def value_of(c: whatif.Control) -> Any:
        if c.key in stated():
            return stated()[c.key]
        return whatif.from_page(c, input[c.input_id]())

    @reactive.calc
    def edits() -> tuple[dict[str, Any], list[str]]:
        out: dict[str, Any] = {}
        empty = []
        for c in cs:
            v = value_of(c)
            if c.kind != "observed" and v is None:
                empty.append(c.key)
                continue
            if c.kind == "integer" and isinstance(v, float) and v.is_integer():
                v = int(v)
            if c.changed(v):
                out[c.key] = v
        return out, empty

    for c in outcome_cs:
        _rebalance(input, c, outcome_cs, stated)
    for c in cs:
        _note(output, c, state, value_of)

    @render.ui
    def outcome_sum() -> Any:
        total = sum(stated().values())
        ok = abs(total - 1) <= 1e-6
        said = [t for t in state.other() if t.startswith("assessment.outcomes:")]
        return ui.div(
            ui.div(tables.sum_line(total)),
            *[ui.div(t) for t in said],
            class_="fc-sum " + ("text-success" if ok and not said else "fc-problem"),
            id="outcome-sum",
        )

    @render.ui
    def other_problems() -> Any:
        texts = [t for t in state.other() if not t.startswith("assessment.outcomes:")]
        return ui.TagList(*[ui.div(t, class_="fc-problem") for t in texts]) if texts else None

    return edits


def _rebalance(input: Any, c: whatif.Control, outcome_cs: list[whatif.Control], stated: Any) -> None:
    """A changed outcome probability moves the others so that they still sum to 1."""

    @reactive.effect
    @reactive.event(input[c.input_id], ignore_init=True)
    def _() -> None:
        v = input[c.input_id]()
        cur = stated.get()
        if v is None or (cur.get(c.key) is not None and abs(v - cur[c.key]) < 1e-12):
            return
        new = whatif.rebalance(cur, c.key, float(v))
        for o in outcome_cs:
            if o.key != c.key and abs(new[o.key] - cur[o.key]) > 1e-12:
                ui.update_numeric(o.input_id, value=new[o.key])
        stated.set(new)


def _note(output: Any, c: whatif.Control, state: PageState, value_of: Any) -> None:
    """The note under a field: why the scenario refuses it, else what it was."""

    @output(id=f"note_{c.input_id}")
    @render.ui
    def _() -> Any:
        texts = state.problems().get(c.key, [])
        if texts:
            return ui.TagList(*[ui.div(t, class_="fc-problem") for t in texts])
        v = value_of(c)
        if c.kind == "integer" and isinstance(v, float) and v.is_integer():
            v = int(v)
        if v is not None and c.changed(v):
            return ui.span(whatif.change_note(c, v), class_="fc-was")
        return None
