"""One browser tab's state, shared by the page's panels, and the simulation of each
change the scenario language accepts.

A change starts a job on the shared :class:`~forecast.commands.serve.view.Worker`; a
job whose generation is no longer the newest when it starts is skipped, and a result
that arrives after a newer change is dropped, so the last change wins. A NUTS run that
has started cannot be stopped half-way; it finishes in the background and its result
is thrown away if something newer was asked for.

Examples
--------
>>> state = PageState(compute(base, {}))  # doctest: +SKIP
>>> follow_edits(state, base, controls(base), edits, Worker(), 20_000)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from shiny import reactive

from forecast.commands.serve import whatif
from forecast.commands.serve.view import Superseded, View, Worker, compute, needs_nuts
from forecast.errors import ScenarioError

if TYPE_CHECKING:
    from forecast.scenario import Scenario

#: the fields' changes that differ from the file, and the keys of empty fields
Edits = Callable[[], tuple[dict[str, Any], list[str]]]


class PageState:
    """The reactive values of one browser tab that more than one panel reads.

    Parameters
    ----------
    first : View
        The served scenario already simulated: every new page opens on it.

    Examples
    --------
    >>> state = PageState(first)  # doctest: +SKIP
    >>> state.view().overrides  # doctest: +SKIP
    {}
    """

    def __init__(self, first: View) -> None:
        self.view = reactive.value(first)
        # (generation, "NUTS" or "forward", when it started) while a job runs
        self.running: reactive.Value[tuple[int, str, float] | None] = reactive.value(None)
        self.failure = reactive.value("")
        self.problems: reactive.Value[dict[str, list[str]]] = reactive.value({})  # by key
        self.other: reactive.Value[list[str]] = reactive.value([])  # not by a field
        self.message: reactive.Value[Any] = reactive.value(None)  # of Save and Report
        self.generation = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def invalid(self) -> bool:
        """Whether a field holds a value the scenario refuses."""
        return bool(self.problems() or self.other())

    def spawn(self, coro: Any) -> None:
        """Run ``coro`` on the event loop."""
        # the event loop keeps only weak references to tasks: hold them until done
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def follow_edits(
    state: PageState,
    base: Scenario,
    cs: Sequence[whatif.Control],
    edits: Edits,
    worker: Worker,
    max_draws: int,
) -> None:
    """Check every change of the fields as ``--set`` would and simulate the scenario it
    makes; the problems of a refused change go to ``state.problems`` (by field) and
    ``state.other``."""

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
            state.problems.set(found)
            state.other.set(rest)
            return
        state.problems.set(found)
        state.other.set([])
        if empty:
            return
        state.generation += 1
        gen = state.generation
        with reactive.isolate():
            if overrides == state.view().overrides:
                # back to what is shown: nothing to compute, and a running job is stale
                state.running.set(None)
                return
        state.running.set((gen, "NUTS" if needs_nuts(scenario) else "forward", time.monotonic()))
        state.spawn(_job(state, worker, gen, scenario, overrides))


async def _job(
    state: PageState, worker: Worker, gen: int, scenario: Scenario, overrides: dict[str, Any]
) -> None:
    """Simulate ``scenario`` on the worker and show it, unless a newer change came."""

    def run() -> View:
        if gen != state.generation:
            raise Superseded
        return compute(scenario, overrides)

    error = ""
    result = None
    try:
        result = await worker.submit(run)
    except Superseded:
        return
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    async with reactive.lock():
        if gen == state.generation:
            if result is not None:
                state.view.set(result)
            state.failure.set(error)
            state.running.set(None)
            await reactive.flush()
