"""The report's exceedance curves: ``P(X > x)`` for the total market in the last
projection year and for each scalar metric (when the scenario has metrics).

Targets are strings resolved by :func:`~forecast.analysis.sensitivity.parse_target`,
so a new kind of target (``metric.<id>@<year>``) gets its curve by being listed in
:func:`exceedance_targets`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from forecast.outputs.formatting import Block, Figure, Table, figure_text, pct, sig

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure as MplFigure

    from forecast.analysis.results import Forecast
    from forecast.scenario import Scenario

#: the levels the report's table reads off each curve
TABLE_LEVELS = (0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.05)


def exceedance_targets(s: Scenario) -> list[str]:
    """The targets that get a curve: the total market (or, when the markets' units
    differ, the first market) in the headline year (:attr:`Scenario.headline_year`), then
    every metric that is one number per draw.

    Examples
    --------
    >>> import forecast
    >>> exceedance_targets(forecast.load(forecast.bundled()))
    ['total@2027']
    """
    year = s.headline_year
    units = {m.unit for m in s.markets}
    out = [f"total@{year}" if len(units) == 1 else f"market.{s.markets[0].id}@{year}"]
    # every metric that is one number per draw (an NPV, a total over years)
    from forecast.scenario.formula_checks import metric_infos

    out += [f"metric.{k}" for k, info in metric_infos(s).items() if not info.series]
    return out


def exceedance_frames(fc: Forecast) -> list[pd.DataFrame]:
    """One :meth:`Forecast.exceedance` table per target of :func:`exceedance_targets`
    whose draws are not all equal (a curve of a constant says nothing)."""
    from forecast.errors import ScenarioError

    out = []
    for t in exceedance_targets(fc.scenario):
        try:
            df = fc.exceedance(t)
        except ScenarioError:  # a kind of target this version cannot read yet
            continue
        if df["x"].iloc[-1] > df["x"].iloc[0]:
            out.append(df)
    return out


def _key(target: str) -> str:
    return "exceedance." + target.replace("@", "_").replace(".", "_")


def plan_items(
    frames: list[pd.DataFrame], labels: Mapping[str, str]
) -> list[tuple[str, str, str, str, Callable[[], MplFigure]]]:
    """``(key, file name, title, caption, draw)`` of each curve, for the figures' plan."""
    out: list[tuple[str, str, str, str, Callable[[], MplFigure]]] = []
    for df in frames:
        target = str(df["target"].iloc[0])
        label = labels.get(target, target)
        out.append(
            (
                _key(target),
                f"{_key(target).replace('.', '_')}.png",
                f"Exceedance: {label}",
                "The probability that the value exceeds each amount (1 minus the CDF of the draws); "
                "the band is ± 2 Monte Carlo standard errors.",
                functools.partial(_exceedance_figure, df, label),
            )
        )
    return out


def _exceedance_figure(df: pd.DataFrame, label: str) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(7.0, 3.6))
    ax = fig.add_subplot()
    p, e = df["probability"].to_numpy(), 2 * df["mcse"].to_numpy()
    ax.fill_between(df["x"], (p - e).clip(0, 1), (p + e).clip(0, 1), color="#9ecae1", linewidth=0)
    ax.plot(df["x"], p, color="#08519c")
    ax.set_ylim(0, 1)
    ax.set_xlabel(figure_text(label, 80))
    ax.set_ylabel("P(value > x)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def exceedance_blocks(fc: Forecast, figs: Mapping[str, Figure]) -> list[Block]:
    """A block per curve: the figure and the amounts exceeded with 95%, 90%, ... probability."""
    import numpy as np

    from forecast.analysis.sensitivity import parse_target

    blocks = []
    for df in exceedance_frames(fc):
        target = str(df["target"].iloc[0])
        t = parse_target(fc.scenario, target)
        y = np.asarray(t.of(fc), dtype=float)
        # every level from one partition of the draws (one call per level sorted a copy each)
        amounts = np.quantile(y, [1 - level for level in TABLE_LEVELS])
        rows = [[pct(level), sig(float(a))] for level, a in zip(TABLE_LEVELS, amounts, strict=True)]
        table = Table(
            f"table-{_key(target).replace('.', '-')}",
            ["Exceeded with probability", t.label],
            rows,
            [True, True],
        )
        blocks.append(
            Block(
                f"Exceedance: {t.label}",
                _key(target).replace(".", "-").replace("_", "-"),
                [f"How likely {t.label} is to exceed each amount (target {target})."],
                figs.get(_key(target)),
                [table],
            )
        )
    return blocks


def target_labels(fc: Forecast, frames: list[pd.DataFrame]) -> dict[str, str]:
    """Each curve's human label (its target's)."""
    from forecast.analysis.sensitivity import parse_target

    out: dict[str, Any] = {}
    for df in frames:
        target = str(df["target"].iloc[0])
        out[target] = parse_target(fc.scenario, target).label
    return out


def correlation_blocks(fc: Forecast) -> list[Block]:
    """The pairs' asked, applied and achieved rank correlations (none without pairs)."""
    from forecast.analysis.correlations import rank_correlations

    if not fc.scenario.correlation.pairs:
        return []
    df = rank_correlations(fc)
    rows = [
        [
            str(r["a"]),
            str(r["b"]),
            f"{r['asked']:.3f}",
            f"{r['used']:.3f}",
            f"{r['achieved']:.3f} ± {2 * r['se']:.3f}",
        ]
        for r in df.to_dict("records")
    ]
    table = Table(
        "table-correlation-pairs",
        ["Input", "Input", "Rank asked", "Rank applied", "Rank achieved (± 2 SE)"],
        rows,
        [False, False, True, True, True],
    )
    text = [
        "Rank (Spearman) correlations between inputs, applied by a Gaussian copula on each input's own "
        "latent, so every input keeps its stated distribution. A CAGR pair acts on the markets' growth "
        "beyond the common factor, which adds its own correlation; a discrete input's ties lower the "
        "rank correlation it can reach."
    ]
    if fc.scenario.correlation.repair and (df["used"] - df["asked"]).abs().max() > 5e-4:
        text.append(
            "The pairs as asked were inconsistent (no correlation matrix has them all); "
            "repair = true applied the nearest consistent matrix (Higham's), shown as 'applied'."
        )
    return [Block("Correlated inputs", "correlation-pairs", text, None, [table])]
