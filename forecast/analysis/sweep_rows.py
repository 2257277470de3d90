"""A sweep case's rows beyond markets and probabilities: its metrics and its decision.

:func:`forecast.analysis.sweep.case_rows` summarises each metric like a market
(:func:`metric_series`: ``mean`` and quantiles by year, or with no year for a metric
that is one number per draw) and adds each option's decision-table numbers and the
chosen option's expected payoff (:func:`decision_rows`); the sweep table names the
option each case picks (:func:`chosen_option`, by the case's own criterion,
:func:`criterion_of`).

Examples
--------
>>> criterion_of('[decision]\\ncriterion = "p05"\\n'), criterion_of("id = 'x'\\n")
('p05', 'expected')
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

#: each option's statistics in a case's rows (``option.<id>``) and the decision table's
#: column of their MCSE (none for a quantile): every criterion's number
OPTION_STATISTICS = {
    "expected": "expected_mcse",
    "q05": None,
    "cvar05": "cvar05_mcse",
    "regret": "regret_mcse",
    "p_best": "p_best_mcse",
}


def metric_series(fc: Forecast) -> list[tuple[str, np.ndarray, list[dict[Any, Any]]]]:
    """Each metric as ``(quantity, draws (chain, draw, k), metrics.csv records)``: its
    years with a value, or one column for a metric that is one number per draw."""
    if not fc.scenario.metrics:
        return []
    ds = fc.draws
    draws: dict[str, np.ndarray] = {}
    if "metric_by_year" in ds:
        draws |= {
            str(m): ds["metric_by_year"].values[:, :, i, :] for i, m in enumerate(ds["yearly_metric"].values)
        }
    if "metric_value" in ds:
        draws |= {
            str(m): ds["metric_value"].values[:, :, i, None] for i, m in enumerate(ds["scalar_metric"].values)
        }
    years = [int(y) for y in fc.scenario.years]
    out = []
    for mid, sub in fc.metrics().groupby("metric", sort=False):
        records = sub.to_dict("records")
        x = draws[str(mid)]
        if not pd.isna(records[0]["year"]):
            x = x[:, :, [years.index(int(r["year"])) for r in records]]
        out.append((f"metric.{mid}", x, records))
    return out


def decision_rows(fc: Forecast) -> list[dict[str, Any]]:
    """Each option's :data:`OPTION_STATISTICS` and the chosen option's expected payoff
    (``quantity`` ``decision``, ``statistic`` ``expected_payoff``) with their MCSE; none
    without payoff draws."""
    from forecast.analysis.decision import PAYOFF_VARIABLE

    if PAYOFF_VARIABLE not in fc.draws:
        return []
    result = fc.decision()

    def row(quantity: str, statistic: str, value: Any, mcse: Any) -> dict[str, Any]:
        return {
            "quantity": quantity,
            "year": None,
            "statistic": statistic,
            "value": float(value),
            "mcse": float(mcse),
        }

    rows = [
        row(f"option.{rec['option']}", stat, rec[stat], rec[err] if err else np.nan)
        for rec in result.table.to_dict("records")
        for stat, err in OPTION_STATISTICS.items()
    ]
    chosen = result.table.set_index("option").loc[result.chosen]
    return [*rows, row("decision", "expected_payoff", chosen["expected"], chosen["expected_mcse"])]


def chosen_option(frame: pd.DataFrame, criterion: str) -> str:
    """The option a case's rows (:func:`forecast.analysis.sweep.case_rows`) pick by
    ``criterion``, as :meth:`Forecast.decision` picks it ("" without options).

    Examples
    --------
    >>> rows = pd.DataFrame({"quantity": ["option.a", "option.b"], "statistic": "expected", "value": [1.0, 2.0]})
    >>> chosen_option(rows, "expected")
    'b'
    """
    from forecast.analysis.decision import picks

    sub = frame[frame["quantity"].astype(str).str.startswith("option.")]
    if sub.empty:
        return ""
    wide = sub.pivot_table(index="quantity", columns="statistic", values="value", sort=False).reset_index()
    wide["option"] = wide["quantity"].str.removeprefix("option.")
    for column in OPTION_STATISTICS:
        wide[column] = wide.get(column, np.nan)
    return picks(wide)[criterion]


def criterion_of(toml: str | None) -> str:
    """The criterion of a case's ``[decision]`` from its resolved inputs (``expected``
    by default)."""
    decision = tomllib.loads(toml).get("decision") if toml else None
    return str(decision.get("criterion", "expected")) if isinstance(decision, dict) else "expected"
