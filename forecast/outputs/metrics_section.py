"""The report's Metrics section: each ``[[metrics]]`` formula, its median and 90%
interval by year (or its one distribution), with the Monte Carlo error of its mean.

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000, seed=1)  # doctest: +SKIP
>>> [b.title for b in metric_blocks(fc, {})][:1]  # doctest: +SKIP
['DeepSeek developer-tools revenue (USD m)']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.outputs.formatting import Block, Table, interval, sig

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast


def _year(y: Any) -> str:
    return "" if y is None or y is pd.NA else str(int(y))


def metric_blocks(fc: Forecast, figs: Mapping[str, Any]) -> list[Block]:
    """One block per metric: its formula, source and table (a figure when drawn)."""
    s = fc.scenario
    table = fc.metrics()
    out = []
    for m in s.metrics:
        rows = table[table["metric"] == m.id]
        if not len(rows):
            continue
        text = [f"Formula: {m.formula}"]
        text += [t for t in (m.source and f"Source: {m.source}", m.note) if t]
        cells = [
            [
                _year(r.year),
                sig(r.q50),
                interval(r.q05, r.q95),
                f"{sig(r.mean)} ± {sig(r.mcse, 2)}",
            ]
            for r in rows.itertuples()
        ]
        headers = ["Year", "Median", "90% interval", "Mean ± MCSE"]
        if rows["year"].isna().all():
            headers, cells = headers[1:], [c[1:] for c in cells]
        unit = f" ({m.unit})" if m.unit else ""
        block = Block(
            f"{m.label}{unit}",
            f"metric-{m.id}",
            text,
            figs.get(f"metric.{m.id}"),
            [Table(f"table-metric-{m.id}", headers, cells, [False] + [True] * (len(headers) - 1))],
        )
        out.append(block)
    return out
