"""The what-if page itself: its layout and its reactive logic (Shiny for Python).

:func:`create_app` builds the page for one served scenario. Each browser tab is its own
Shiny session with its own state: the fields, the last valid forecast (:class:`View`)
and a generation counter. A change that the scenario language accepts starts a job on
the shared :class:`Worker`; a job whose generation is no longer the newest when it
starts is skipped, and a result that arrives after a newer change is dropped, so the
last change wins. A NUTS run that has started cannot be stopped half-way; it finishes
in the background and its result is thrown away if something newer was asked for.

The tables the page shows are pure functions of a :class:`View`
(:mod:`~forecast.commands.serve.tables`); a pool of analysts' files gets a page of its
own (:mod:`~forecast.commands.serve.pool_page`).

Examples
--------
>>> app = create_app(path, scenario, compute(scenario, {}), Worker(), Path.cwd())  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.commands.serve import tables, whatif
from forecast.commands.serve.view import Superseded, View, Worker, compute, needs_nuts
from forecast.errors import ScenarioError

if TYPE_CHECKING:
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
    from shiny import App, reactive, render, ui

    cs = whatif.controls(base)
    outcome_cs = [c for c in cs if c.key.startswith("assessment.outcomes.")]
    served_name = path.name
    default_save = f"{path.stem}-what-if.toml"
    default_report = f"reports/{base.id}-what-if"

    def field(c: whatif.Control) -> Any:
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

    sidebar_items: list[Any] = []
    group = None
    for c in cs:
        if c.group != group:
            group = c.group
            sidebar_items.append(ui.div(group, class_="fc-group"))
            if group == "Assessment":
                sidebar_items.append(ui.output_ui("outcome_sum"))
        sidebar_items.append(field(c))
    sidebar_items.append(ui.output_ui("other_problems"))

    actions = ui.card(
        ui.card_header("Keep what you found"),
        ui.layout_columns(
            ui.div(
                ui.input_text("save_path", "Scenario file", default_save),
                ui.input_action_button("save", "Save as scenario", class_="btn-primary btn-sm"),
            ),
            ui.div(
                ui.input_text("report_dir", "Report folder", default_report),
                ui.input_action_button("report", "Report", class_="btn-secondary btn-sm"),
            ),
        ),
        ui.output_ui("action_message"),
    )
    app_ui = ui.page_sidebar(
        ui.sidebar(*sidebar_items, width=340, title="Inputs", open="always"),
        ui.tags.style(CSS),
        ui.output_ui("status"),
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
        ui.layout_columns(ui.card(ui.card_header("What-if changes"), ui.output_ui("changes")), actions),
        title=f"forecast serve: {base.title}",
        fillable=False,
    )

    def server(input: Any, output: Any, session: Any) -> None:
        view = reactive.value(first)
        running: reactive.Value[tuple[int, str, float] | None] = reactive.value(None)
        failure = reactive.value("")
        problems: reactive.Value[dict[str, list[str]]] = reactive.value({})
        other: reactive.Value[list[str]] = reactive.value([])
        message: reactive.Value[Any] = reactive.value(None)
        stated = reactive.value({c.key: float(c.value) for c in outcome_cs})  # type: ignore[arg-type]
        generation = [0]
        tasks: set[asyncio.Task[None]] = set()

        def spawn(coro: Any) -> None:
            # the event loop keeps only weak references to tasks: hold them until done
            task = asyncio.get_running_loop().create_task(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

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

        @reactive.effect
        def _apply() -> None:
            overrides, empty = edits()
            found: dict[str, list[str]] = {k: [f"{k}: enter a number"] for k in empty}
            try:
                scenario = (
                    base.with_overrides(whatif.overrides_for(cs, overrides, max_draws), origin="page")
                    if overrides
                    else base
                )
            except ScenarioError as e:
                by_key, rest = whatif.place_problems(e.problems, cs, overrides)
                for k, texts in by_key.items():
                    found.setdefault(k, []).extend(texts)
                problems.set(found)
                other.set(rest)
                return
            problems.set(found)
            other.set([])
            if empty:
                return
            generation[0] += 1
            gen = generation[0]
            with reactive.isolate():
                if overrides == view().overrides:
                    # back to what is shown: nothing to compute, and a running job is stale
                    running.set(None)
                    return
            running.set((gen, "NUTS" if needs_nuts(scenario) else "forward", time.monotonic()))
            spawn(_job(gen, scenario, overrides))

        def _compute(gen: int, scenario: Scenario, overrides: dict[str, Any]) -> View:
            if gen != generation[0]:
                raise Superseded
            return compute(scenario, overrides)

        async def _job(gen: int, scenario: Scenario, overrides: dict[str, Any]) -> None:
            error = ""
            result = None
            try:
                result = await worker.submit(_compute, gen, scenario, overrides)
            except Superseded:
                return
            except Exception as e:
                error = f"{type(e).__name__}: {e}"
            async with reactive.lock():
                if gen == generation[0]:
                    if result is not None:
                        view.set(result)
                    failure.set(error)
                    running.set(None)
                    await reactive.flush()

        def _outcome_handler(c: whatif.Control) -> None:
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

        for c in outcome_cs:
            _outcome_handler(c)

        def _note(c: whatif.Control) -> None:
            @output(id=f"note_{c.input_id}")
            @render.ui
            def _() -> Any:
                texts = problems().get(c.key, [])
                if texts:
                    return ui.TagList(*[ui.div(t, class_="fc-problem") for t in texts])
                v = value_of(c)
                if c.kind == "integer" and isinstance(v, float) and v.is_integer():
                    v = int(v)
                if v is not None and c.changed(v):
                    return ui.span(whatif.change_note(c, v), class_="fc-was")
                return None

        for c in cs:
            _note(c)

        @render.ui
        def outcome_sum() -> Any:
            total = sum(stated().values())
            ok = abs(total - 1) <= 1e-6
            said = [t for t in other() if t.startswith("assessment.outcomes:")]
            return ui.div(
                ui.div(tables.sum_line(total)),
                *[ui.div(t) for t in said],
                class_="fc-sum " + ("text-success" if ok and not said else "fc-problem"),
                id="outcome-sum",
            )

        @render.ui
        def other_problems() -> Any:
            texts = [t for t in other() if not t.startswith("assessment.outcomes:")]
            return ui.TagList(*[ui.div(t, class_="fc-problem") for t in texts]) if texts else None

        @render.ui
        def status() -> Any:
            run = running()
            v = view()
            bad = problems() or other()
            parts: list[Any] = []
            if run is not None:
                reactive.invalidate_later(1)
                _gen, method, started = run
                took = time.monotonic() - started
                what = (
                    "Updating the odds with NUTS (evidence or an observed signpost); a new shape also "
                    "compiles its sampler first"
                    if method == "NUTS"
                    else "Simulating"
                )
                parts.append(
                    ui.div(
                        ui.div(
                            class_="progress-bar progress-bar-striped progress-bar-animated",
                            style="width: 100%",
                        ),
                        class_="progress mb-1",
                        style="height: .5rem",
                    )
                )
                parts.append(ui.div(f"{what}… {took:.0f} s", id="status-running", class_="fc-status"))
            else:
                parts.append(
                    ui.div(
                        f"Up to date: {v.method} simulation, {v.draws:,} draws, {v.seconds:.1f} s",
                        id="status-ready",
                        class_="fc-status text-success",
                        **{"data-method": v.method, "data-applied": json.dumps(v.overrides, sort_keys=True)},
                    )
                )
            if bad:
                parts.append(
                    ui.div(
                        "A field holds a value the scenario refuses (see the message beside it); "
                        "the numbers below are the last valid forecast.",
                        id="status-invalid",
                        class_="fc-problem",
                    )
                )
            if failure():
                parts.append(ui.div(f"The simulation failed: {failure()}", class_="fc-problem"))
            for w in v.warnings:
                parts.append(ui.div(f"Sampler warning: {w}", class_="fc-problem fc-warning"))
            return ui.div(*parts, class_="mb-2")

        @render.ui
        def fans() -> Any:
            return ui.div(ui.HTML(view().fan_svg), class_="fc-fan", id="fans")

        def _table(name: str) -> None:
            @output(id=name)
            @render.ui
            def _() -> Any:
                return getattr(tables, name)(view())

        for name in ("market_table", "outcome_table", "prediction_table", "signpost_table"):
            _table(name)

        @render.ui
        def extra_cards() -> Any:
            # metrics and the decision: cards only for a scenario that has them
            v = view()
            cards = [
                ui.card(ui.card_header(head), body)
                for head, body in (
                    ("Metrics", tables.metric_table(v)),
                    ("Decision", tables.decision_table(v)),
                )
                if body is not None
            ]
            return ui.TagList(*cards)

        @render.ui
        def changes() -> Any:
            overrides = view().overrides
            if not overrides:
                return ui.p(f"None: the page shows {served_name} as written.", id="changes-none")
            items = [
                ui.tags.li(ui.tags.code(k), f": {whatif.change_line(by_key[k], v)}")
                for k, v in overrides.items()
            ]
            return ui.tags.ul(*items, id="changes-list")

        by_key = {c.key: c for c in cs}

        @render.ui
        def action_message() -> Any:
            return message()

        @reactive.effect
        @reactive.event(input.save)
        def _save() -> None:
            if problems() or other():
                message.set(
                    ui.div(
                        "Fix the marked fields first: the page saves a valid scenario only.",
                        class_="fc-problem",
                    )
                )
                return
            if running() is not None:
                message.set(
                    ui.div(
                        "An update is still running: save when it is done (the page saves what it shows).",
                        class_="fc-problem",
                        id="save-failed",
                    )
                )
                return
            dest, why = whatif.place_in(workdir, input.save_path(), "Scenario file")
            if dest is None:
                message.set(ui.div(why, class_="fc-problem", id="save-failed"))
                return
            message.set(
                _save_child(path, dest, base, whatif.overrides_for(cs, view().overrides, max_draws), cs)
            )

        @reactive.effect
        @reactive.event(input.report)
        def _report() -> None:
            if running() is not None or problems() or other():
                message.set(
                    ui.div(
                        "Wait for a valid, finished update: the report is of what the page shows.",
                        class_="fc-problem",
                        id="report-failed",
                    )
                )
                return
            folder, why = whatif.place_in(workdir, input.report_dir(), "Report folder", folders=True)
            if folder is None:
                message.set(ui.div(why, class_="fc-problem", id="report-failed"))
                return
            overrides = whatif.overrides_for(cs, view().overrides, max_draws)
            message.set(ui.div(f"Writing the report to {folder}…", id="report-running"))
            spawn(_report_job(folder, overrides))

        async def _report_job(folder: Path, overrides: dict[str, Any]) -> None:
            try:
                status, err = await worker.submit(write_report, path, folder, overrides)
            except Exception as e:
                status, err = 1, f"{type(e).__name__}: {e}"
            async with reactive.lock():
                if status == 0:
                    message.set(
                        ui.div(
                            f"Report written: {folder / 'report.html'}",
                            id="report-done",
                            class_="text-success",
                        )
                    )
                else:
                    message.set(ui.div(f"No report written: {err}", id="report-failed", class_="fc-problem"))
                await reactive.flush()

    return App(app_ui, server)


def _save_child(
    parent: Path, dest: Path, base: Scenario, overrides: Mapping[str, Any], cs: Sequence[Any]
) -> Any:
    """Write the child file and check it as ``forecast validate`` would.

    Returns the message the page shows: the path and "validate: ok", or why nothing
    was written (nothing changed, the served file itself, a file this page did not
    write, a change a child file cannot say). The file is written to a temporary
    name and renamed, so a failed save leaves no half-written file.
    """
    from shiny import ui

    from forecast.scenario import load

    if not overrides:
        return ui.div("Nothing changed: there is nothing to save.", class_="fc-problem", id="save-failed")
    if dest == parent.resolve():
        return ui.div(
            f"{dest} is the served file; a what-if is saved beside it, as a child that extends it.",
            class_="fc-problem",
            id="save-failed",
        )
    if dest.exists() and not _ours(dest):
        return ui.div(
            f"{dest} exists and was not saved by this page; choose another name.",
            class_="fc-problem",
            id="save-failed",
        )
    try:
        text = whatif.child_toml(parent, dest, base, overrides, cs)
    except ScenarioError as e:
        return ui.div(
            *[ui.div(whatif.problem_text(p)) for p in e.problems], class_="fc-problem", id="save-failed"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(dest)
    except OSError as e:
        return ui.div(f"Cannot write {dest}: {e.strerror}", class_="fc-problem", id="save-failed")
    try:
        load(dest)
    except ScenarioError as e:
        return ui.div(*[ui.div(str(p)) for p in e.problems], class_="fc-problem", id="save-failed")
    return ui.div(
        f"Saved {dest} (forecast validate: ok). Reproduce it with: forecast run {dest}",
        class_="text-success",
        id="save-done",
    )


def _ours(path: Path) -> bool:
    """Whether ``path`` is a file this page saved (which it may replace)."""
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().startswith(whatif.SAVED_HEADER)
    except (OSError, UnicodeDecodeError):
        return False


def write_report(scenario_path: Path, folder: Path, overrides: Mapping[str, Any]) -> tuple[int, str]:
    """The full report of the page's state, as ``forecast run SCENARIO --set KEY=VALUE ...
    --out FOLDER --quiet`` writes it (same pipeline: the folder appears complete or not at
    all, with its Sensitivity section), and the manifest records that command.

    Returns
    -------
    (int, str)
        The exit code of ``forecast run`` and what it said on stderr.

    Examples
    --------
    >>> write_report(bundled("deepseek"), Path("reports/x"), {"markets.developer_tools.cagr": 0.3})  # doctest: +SKIP
    (0, '')
    """
    if any(v is None for v in overrides.values()):
        # --set cannot remove a key either (TOML has no null)
        return 2, "a signpost set back to unknown that the file marks observed cannot be said with --set"
    from forecast.analysis.tornado import report_frames
    from forecast.commands.run import RunOptions, run

    err = io.StringIO()
    opts = RunOptions(
        scenario=scenario_path,
        out=folder,
        sets=whatif.set_items(overrides),
        quiet=True,
        sensitivity=lambda fc: report_frames(fc, []),
    )
    with contextlib.redirect_stderr(err):
        status = run(opts)
    return status, " ".join(err.getvalue().split())
