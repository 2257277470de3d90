"""``forecast serve A.toml B.toml ...``: the page of a pool of several analysts' files.

Given two or more files (or any of ``--weights``, ``--method``, ``--extremize``,
``--resolutions``), ``forecast serve`` pools them exactly as ``forecast pool`` does
(:func:`forecast.commands.pool.check` refuses files of different subjects, bad weights
and methods with exit 2 before anything is simulated or served) and shows the pool: the
analysts and their weights, the pooled outcome odds, where the analysts disagree (each
one's probability of every outcome and prediction beside the pool's), the pooled market
fans, predictions, signposts, metrics and decision. The page has no what-if fields: a
pool is several people's judgments, so a change belongs in one analyst's file.

Examples
--------
>>> serve_pool(PoolOptions([Path("a.toml"), Path("b.toml")]), "127.0.0.1", 0)  # doctest: +SKIP
forecast serve: http://127.0.0.1:40123 (Ctrl-C stops it)
0
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from forecast.commands.common import EXIT_BAD_INPUT
from forecast.commands.serve import tables
from forecast.commands.serve.view import View, fan_svg
from forecast.errors import ScenarioError

if TYPE_CHECKING:
    from forecast.commands.pool import PoolOptions


def compute_pool(opts: PoolOptions) -> View:
    """Simulate every analyst's file, pool them as ``forecast pool`` does, and prepare what
    the page shows. Raises :class:`ScenarioError` with every problem of the files, the
    weights, the method and the resolutions (nothing simulated).

    Examples
    --------
    >>> v = compute_pool(PoolOptions(sorted(Path("scenarios/team").glob("*.toml"))))  # doctest: +SKIP
    >>> list(v.pool["analysts"]["analyst"])  # doctest: +SKIP
    ['analyst-a', 'analyst-b', 'analyst-c']
    """
    import forecast
    from forecast.analysis.pool import pool as make_pool
    from forecast.analysis.pool_tables import disagreement
    from forecast.commands.pool import check

    scenarios, names = check(opts)
    t0 = time.perf_counter()
    p = make_pool(
        [forecast.simulate(s) for s in scenarios],
        weights=opts.weights,
        method=opts.method,  # type: ignore[arg-type]
        extremize=opts.extremize,
        resolutions=opts.resolutions,
        names=names,
    )
    fc = p.forecast
    s = fc.scenario
    markets = p.markets()
    weights = {
        "equal": "equal weights",
        "given": "the weights given",
        "score": "weights from the track record",
    }
    return View(
        scenario=s,
        overrides={},
        markets=markets,
        outcomes=p.outcomes(),
        predictions=p.predictions(),
        signposts=fc.signposts(),
        fan_svg=fan_svg(s, markets),
        method="pool",
        draws=p.n_draws,
        seconds=time.perf_counter() - t0,
        warnings=[w for f in p.forecasts for w in f.warnings],
        metrics=fc.metrics() if s.metrics else None,
        decision=fc.decision() if s.options else None,
        pool={
            "analysts": p.analysts(),
            "disagreement": disagreement(p),
            "method": f"{p.description[0].upper()}{p.description[1:]}; "
            f"{weights.get(p.weight_source, p.weight_source)}.",
        },
    )


def create_pool_app(v: View) -> Any:
    """The Shiny app of a pool's page: every table drawn once (a pool has no what-ifs).

    Examples
    --------
    >>> app = create_pool_app(compute_pool(opts))  # doctest: +SKIP
    """
    from shiny import App

    def server(input: Any, output: Any, session: Any) -> None:
        return None

    return App(pool_ui(v), server)


def pool_ui(v: View) -> Any:
    """The pool's page: analysts, pooled odds, disagreement, markets, predictions, and the
    metrics and decision when the files have them."""
    from shiny import ui

    from forecast.commands.serve.app import CSS

    assert v.pool is not None
    n = len(v.pool["analysts"])
    extra = [
        ui.card(ui.card_header(head), body)
        for head, body in (("Metrics (pool)", tables.metric_table(v)), ("Decision (pool)", tables.decision_table(v)))
        if body is not None
    ]  # fmt: skip
    return ui.page_fluid(
        ui.tags.style(CSS),
        ui.h3(f"A pool of {n} analysts: {v.scenario.title}"),
        ui.p(
            f"{v.draws:,} pooled draws. This page has no what-if fields: to change a judgment, "
            "edit that analyst's file and serve the files again.",
            id="status-ready",
            class_="fc-status",
            **{"data-method": "pool"},
        ),
        ui.card(ui.card_header("Analysts"), tables.analyst_table(v)),
        ui.layout_columns(
            ui.card(ui.card_header("Outcomes (pool)"), tables.outcome_table(v)),
            ui.card(ui.card_header("Signposts (pool)"), tables.signpost_table(v)),
            col_widths=(6, 6),
        ),
        ui.card(ui.card_header("Where the analysts disagree"), tables.disagreement_table(v)),
        ui.card(
            ui.card_header("Markets (linear pool)"),
            ui.div(ui.HTML(v.fan_svg), class_="fc-fan", id="fans"),
            tables.market_table(v),
        ),
        ui.card(ui.card_header("Predictions (pool)"), tables.prediction_table(v)),
        *extra,
        title=f"forecast serve: pool of {n} analysts",
    )


def serve_pool(opts: PoolOptions, host: str, port: int) -> int:
    """Serve the pool's page until Ctrl-C; returns the exit code (2: files of different
    subjects, bad weights or method, a port in use; nothing served)."""
    from forecast.commands.pool import check
    from forecast.commands.serve.server import prepare, refused, run_server

    ready = prepare(lambda: check(opts), host, port)
    if ready is None:
        return EXIT_BAD_INPUT
    with ready[1] as sock:
        print(f"forecast serve: simulating and pooling {len(opts.files)} files…", file=sys.stderr)
        try:
            view = compute_pool(opts)
        except ScenarioError as e:  # --weights score: an analyst with nothing to score
            return refused(e)
        return run_server(create_pool_app(view), sock, host)
