"""What the what-if page computes: one simulated state (:class:`View`), its fan chart,
and the background thread (:class:`Worker`) that computes it.

Every simulation runs in one background thread, one job at a time: simulations share
compiled functions and their random generators, so they never run side by side, and
the web server's event loop only passes messages, so the page never freezes.

Examples
--------
>>> import forecast
>>> v = compute(forecast.load(forecast.bundled("deepseek")), {})  # doctest: +SKIP
>>> v.method, v.outcomes["probability"].round(2).tolist()  # doctest: +SKIP
('forward', [0.4, 0.35, 0.25])
"""

from __future__ import annotations

import asyncio
import html
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from forecast.scenario import Scenario


class Superseded(Exception):
    """A job that a newer change made pointless before it started."""


class Worker:
    """One background thread that runs jobs one at a time, in order.

    Simulations share compiled functions and their random generators, so they run
    one after the other, never side by side; the thread is a daemon, so Ctrl-C does
    not wait for a NUTS run to end.

    Examples
    --------
    >>> w = Worker()
    >>> async def main():
    ...     return await w.submit(sum, [1, 2])
    >>> asyncio.run(main())
    3
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="forecast-serve-worker", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Queue ``fn(*args)``; the future resolves on the calling event loop."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._jobs.put((loop, fut, fn, args))
        return fut

    def _loop(self) -> None:
        while True:
            loop, fut, fn, args = self._jobs.get()
            try:
                result, error = fn(*args), None
            except BaseException as e:  # handed to the page, which shows it
                result, error = None, e
            loop.call_soon_threadsafe(_resolve, fut, result, error)


def _resolve(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if fut.cancelled():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


# --- one simulated state ---------------------------------------------------------


@dataclass(eq=False)  # compared by identity: a reactive value compares old and new
class View:
    """One simulated state, ready to show: the tables of :class:`Forecast` and the fan chart
    (inline SVG); ``warnings`` are the sampler's convergence warnings when NUTS ran."""

    scenario: Scenario
    overrides: dict[str, Any]  # the page's changes: {key: new centre}
    markets: pd.DataFrame
    outcomes: pd.DataFrame
    predictions: pd.DataFrame
    signposts: pd.DataFrame
    fan_svg: str
    method: str  # "forward" or "NUTS"
    draws: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    metrics: pd.DataFrame | None = None  # the [[metrics]] table, when the file has metrics
    decision: Any = None  # the DecisionResult of the file's [[options]], when it has them
    pool: dict[str, Any] | None = None  # a pool's analysts, disagreement and method text


def needs_nuts(s: Scenario) -> bool:
    """Whether simulating ``s`` runs NUTS (evidence or an observed signpost).

    Examples
    --------
    >>> import forecast
    >>> needs_nuts(forecast.load(forecast.bundled("deepseek-update")))
    True
    """
    return s.has_evidence


def compute(s: Scenario, overrides: dict[str, Any]) -> View:
    """Simulate ``s`` exactly as ``forecast run`` does and prepare what the page shows.

    Same scenario and seed, same draws: the page's numbers are those of ``forecast run``
    with the page's changes as ``--set``. ``overrides`` (the page's changes) is kept
    with the result, so the page knows which state it shows.

    Examples
    --------
    >>> import forecast
    >>> compute(forecast.load(forecast.bundled("deepseek")), {}).method  # doctest: +SKIP
    'forward'
    """
    import forecast

    t0 = time.perf_counter()
    fc = forecast.simulate(s)
    warnings = list(fc.warnings)
    markets = fc.markets()
    return View(
        scenario=s,
        overrides=dict(overrides),
        markets=markets,
        outcomes=fc.outcomes(),
        predictions=fc.predictions(),
        signposts=fc.signposts(),
        fan_svg=fan_svg(s, markets),
        method="NUTS" if fc.conditioned else "forward",
        draws=fc.n_draws,
        seconds=time.perf_counter() - t0,
        warnings=warnings,
        metrics=fc.metrics() if s.metrics else None,
        decision=fc.decision() if s.options else None,
    )


def fan_svg(s: Scenario, markets: pd.DataFrame) -> str:
    """Small multiples as inline SVG: each market's median, 50% and 90% bands and its
    stated sizes (diamonds), in the report's colours.

    Drawn here rather than with matplotlib: a 2 x 2 grid of matplotlib axes takes
    ~0.3-1 s to lay out, more than the forward simulation it shows; this takes ~1 ms.
    """
    from forecast.outputs.figures import BAND50, BAND90, MEDIAN, STATED

    w, h, pad_l, pad_r, pad_t, pad_b = 340, 190, 44, 18, 22, 22
    n = len(s.markets)
    ncols = 2 if n > 1 else 1
    panels = []
    for i, m in enumerate(s.markets):
        df = markets[markets["market"] == m.id]
        years = [int(y) for y in df["year"]]
        top = _nice_top(float(df["q95"].max()))
        x0, x1 = years[0], max(years[-1], years[0] + 1)

        def px(year: float, x0: int = x0, x1: int = x1) -> float:
            return pad_l + (year - x0) / (x1 - x0) * (w - pad_l - pad_r)

        def py(v: float, top: float = top) -> float:
            return h - pad_b - v / top * (h - pad_t - pad_b)

        def band(lo: str, hi: str, colour: str, df: pd.DataFrame = df, years: list[int] = years) -> str:
            pts = [(px(y), py(v)) for y, v in zip(years, df[hi], strict=True)]
            pts += [(px(y), py(v)) for y, v in zip(reversed(years), reversed(list(df[lo])), strict=True)]
            return f'<polygon fill="{colour}" points="{_pts(pts)}"/>'

        parts = [
            f'<g transform="translate({(i % ncols) * w},{(i // ncols) * h})">',
            f'<text x="{pad_l}" y="14" font-size="12" font-weight="bold">{html.escape(m.label)}</text>',
        ]
        for k in range(5):
            v = top * k / 4
            parts.append(
                f'<line x1="{pad_l}" x2="{w - pad_r}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#e0e0e0"/>'
                f'<text x="{pad_l - 4}" y="{py(v) + 3:.1f}" font-size="10" text-anchor="end">{_tick(v)}</text>'
            )
        parts.append(band("q05", "q95", BAND90))
        parts.append(band("q25", "q75", BAND50))
        median = [(px(y), py(v)) for y, v in zip(years, df["q50"], strict=True)]
        parts.append(f'<polyline fill="none" stroke="{MEDIAN}" stroke-width="2" points="{_pts(median)}"/>')
        stated = [(m.base_year, float(m.size.canonical("positive").quantile(0.5)))]
        if m.projection is not None:
            stated.append((m.projection.year, float(m.projection.canonical("positive").quantile(0.5))))
        for y, v in stated:
            if x0 <= y <= x1 and v <= top:
                cx, cy = px(y), py(v)
                parts.append(
                    f'<polygon fill="{STATED}" points="{_pts([(cx, cy - 4), (cx + 4, cy), (cx, cy + 4), (cx - 4, cy)])}">'
                    f"<title>stated {v:g} in {y}</title></polygon>"
                )
        for y in years:
            parts.append(f'<text x="{px(y):.1f}" y="{h - 6}" font-size="10" text-anchor="middle">{y}</text>')
        parts.append(
            f'<text x="10" y="{(pad_t + h - pad_b) / 2:.0f}" font-size="10" text-anchor="middle" '
            f'transform="rotate(-90 10 {(pad_t + h - pad_b) / 2:.0f})">{html.escape(m.unit)}</text></g>'
        )
        panels.append("".join(parts))
    rows = (n + ncols - 1) // ncols
    legend_y = rows * h + 14
    legend = (
        f'<g font-size="10" transform="translate({pad_l},{legend_y})">'
        f'<rect width="14" height="8" fill="{BAND90}"/><text x="18" y="8">90% interval</text>'
        f'<rect x="100" width="14" height="8" fill="{BAND50}"/><text x="118" y="8">50% interval</text>'
        f'<line x1="200" x2="214" y1="4" y2="4" stroke="{MEDIAN}" stroke-width="2"/><text x="218" y="8">median</text>'
        f'<polygon fill="{STATED}" points="282,0 286,4 282,8 278,4"/><text x="292" y="8">stated in the file</text></g>'
    )
    width, height = ncols * w, legend_y + 14
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Fan charts of the markets" font-family="sans-serif" style="width:100%;height:auto">'
        + "".join(panels)
        + legend
        + "</svg>"
    )


def _pts(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _nice_top(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above ``v`` (an axis top)."""
    if not math.isfinite(v) or v <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(v))
    return next(f * scale for f in (1, 2, 2.5, 5, 10) if f * scale >= v)


def _tick(v: float) -> str:
    return f"{v:,.4g}"
