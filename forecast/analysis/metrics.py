"""The metrics table: every ``[[metrics]]`` formula's draws summarised.

One row per yearly metric and year (from the first year it has a value), and one per
metric that is a single number per draw (``year`` empty), in the style of
``markets.csv`` with the Monte Carlo standard error of the mean beside it.

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000, seed=1)  # doctest: +SKIP
>>> metric_table(fc).columns.tolist()  # doctest: +SKIP
['metric', 'label', 'unit', 'year', 'mean', 'sd', 'q05', 'q25', 'q50', 'q75', 'q95', 'mcse']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

METRIC_COLUMNS = ["metric", "label", "unit", "year", "mean", "sd", "q05", "q25", "q50", "q75", "q95", "mcse"]
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def metric_table(fc: Forecast) -> pd.DataFrame:
    """``metrics.csv``: each metric's mean, SD, quantiles and MCSE of the mean, by year.

    Computed once per forecast (``metrics.csv``, the report's section, its figures and
    the workbook show it: every quantile of a metric once), handed out as copies.
    """
    return fc._table("metrics", lambda: _metric_table(fc))


def _metric_table(fc: Forecast) -> pd.DataFrame:
    s = fc.scenario
    if not s.metrics:
        return pd.DataFrame(columns=METRIC_COLUMNS)
    by_id = {m.id: m for m in s.metrics}
    rows: list[dict[str, Any]] = []
    draws = fc.draws
    if "metric_by_year" in draws:
        x = fc.values("metric_by_year")
        se = _mcse(fc, "metric_by_year")
        for i, mid in enumerate(draws["yearly_metric"].values.tolist()):
            for j, year in enumerate(s.years):
                if np.isnan(x[:, i, j]).any():  # before a lag's first year: no value
                    continue
                rows.append(_row(by_id[mid], x[:, i, j], float(se[i, j]), year))
    if "metric_value" in draws:
        x = fc.values("metric_value")
        se = _mcse(fc, "metric_value")
        for i, mid in enumerate(draws["scalar_metric"].values.tolist()):
            rows.append(_row(by_id[mid], x[:, i], float(se[i]), None))
    order = {m.id: k for k, m in enumerate(s.metrics)}
    rows.sort(key=lambda r: order[r["metric"]])
    out = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    out["year"] = out["year"].astype("Int64")  # empty for a metric that is one number
    return out


def _mcse(fc: Forecast, name: str) -> np.ndarray:
    """MCSE of the mean of each element (a metric's mean, not a probability: no floor);
    from the chains' effective sample size after NUTS."""
    arr = np.nan_to_num(np.asarray(fc.draws[name].values, dtype=float))  # (chain, draw, ...)
    n = arr.shape[0] * arr.shape[1]
    if not fc.conditioned:
        return np.asarray(arr.std(axis=(0, 1), ddof=1) / np.sqrt(n))
    import arviz_stats as azs

    flat = arr.reshape(arr.shape[0], arr.shape[1], -1)
    out = [
        0.0 if np.ptp(flat[:, :, i]) == 0 else float(azs.mcse(flat[:, :, i], method="mean"))
        for i in range(flat.shape[-1])
    ]
    return np.array(out).reshape(arr.shape[2:])


def _row(metric: Any, x: np.ndarray, mcse: float, year: int | None) -> dict[str, Any]:
    qs = np.quantile(x, _QUANTILES)
    return {
        "metric": metric.id,
        "label": metric.label,
        "unit": metric.unit,
        "year": year,
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)),
        **{f"q{round(q * 100):02d}": float(v) for q, v in zip(_QUANTILES, qs, strict=True)},
        "mcse": mcse,
    }
