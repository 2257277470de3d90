"""Two sections of a comparison's report: the ``--target`` key numbers and the decision.

Both show each difference from the first scenario with its Monte Carlo error and mark
(≈) the differences smaller than 2 of their standard errors (see
:mod:`forecast.analysis.paired`).

Examples
--------
>>> target_section(cmp, ["metric.devtools_npv"])  # doctest: +SKIP
>>> decision_section(cmp)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from forecast.analysis.comparison import Comparison

#: under a table of differences: what the error is and what ≈ means
NOISE_NOTE = (
    "± is the Monte Carlo standard error. A difference's error comes from the paired draws where both "
    "are forward simulations of one size (common random numbers: one seed, one stream layout), so it is "
    "far smaller than either number's own; ≈ marks a difference within 2 standard errors (noise)."
)


def signed(x: Any, percent: bool) -> str:
    """A difference with its sign, in points (``pp``) for a probability or share.

    Examples
    --------
    >>> signed(0.031, True), signed(-2.5, False), signed(0.0, False)
    ('+3.10 pp', '−2.50', '0')
    """
    from forecast.outputs.formatting import DASH, sig

    x = float(x)
    if not np.isfinite(x):
        return DASH
    text = f"{sig(abs(100 * x) if percent else abs(x))}{' pp' if percent else ''}"
    return ("+" if x > 0 else "−" if x < 0 else "") + text


def _number(value: float, mcse: float, statistic: str) -> str:
    from forecast.outputs.formatting import mc_error, pct, sig

    if statistic == "probability":
        return f"{pct(value)} {mc_error(value, mcse)}"
    return f"{sig(value)} ± {sig(mcse)}" if np.isfinite(mcse) else sig(value)


def _difference(d: float, se: float, near: bool, statistic: str) -> str:
    from forecast.outputs.formatting import pp, sig

    if not np.isfinite(d):
        return "–"
    probability = statistic == "probability"
    err = (pp(se) if probability else sig(se)) if np.isfinite(se) else "–"
    return f"{signed(d, probability)} ± {err}" + (" ≈" if near else "")


def target_section(cmp: Comparison, targets: list[str]) -> dict[str, Any] | None:
    """The Targets section: each ``--target`` in each scenario and its difference."""
    from forecast.outputs.formatting import Block, Table

    if not targets:
        return None
    table = cmp.targets(targets)
    others = cmp.names[1:]
    headers = ["Target"] + list(cmp.names) + [f"{n} − {cmp.base}" for n in others]
    rows = []
    for spec, sub in table.groupby("target", sort=False):
        by = {str(r["scenario"]): r for r in sub.to_dict("records")}
        row = [str(spec)]
        row += [_number(by[n]["value"], by[n]["mcse"], by[n]["statistic"]) for n in cmp.names]
        row += [
            _difference(
                by[n]["difference"], by[n]["difference_mcse"], by[n]["within_noise"], by[n]["statistic"]
            )
            for n in others
        ]
        rows.append(row)
    text = [
        "The key numbers asked for with --target: a median (of a market, total, share, revenue or metric), "
        "a mean where a share's path depends on the outcome, or a probability."
    ]
    block = Block(
        "Targets",
        "targets-table",
        text,
        None,
        [Table("table-targets", headers, rows, [False] + [True] * (len(headers) - 1))],
    )
    block.notes.append(NOISE_NOTE)
    return {"id": "targets", "title": "Targets", "summary": [], "blocks": [block]}


def decision_section(cmp: Comparison) -> dict[str, Any] | None:
    """The Decision section: the option each scenario's decision picks, its expected
    payoff, and the difference of that payoff from the first scenario's."""
    from forecast.outputs.formatting import Block, Table

    decisions = cmp.decisions()
    if decisions.empty:
        return None
    diffs = cmp.differences()
    base = decisions[decisions["scenario"] == cmp.base]
    rows = []
    for r in decisions.to_dict("records"):
        d = diffs[
            (diffs["scenario"] == r["scenario"]) & (diffs["quantity"] == f"option.{r['chosen_option']}")
        ]
        change = (
            _difference(d["difference"].iloc[0], d["mcse"].iloc[0], bool(d["within_noise"].iloc[0]), "mean")
            if len(d)
            else "–"
        )
        close = " (too close to call)" if r["too_close"] else ""
        rows.append(
            [
                str(r["scenario"]),
                str(r["criterion"]),
                f"{r['label']}{close}",
                f"{_number(r['expected_payoff'], r['expected_payoff_mcse'], 'mean')} {r['unit']}".strip(),
                change,
            ]
        )
    headers = ["Scenario", "Criterion", "Chosen option", "Expected payoff", "Its change from the first"]
    text = [
        "The option each scenario's [decision] picks by its criterion, with the chosen option's expected "
        "payoff; every option's expected payoff is in differences.csv (option.<id>)."
    ]
    if len(base) and len(set(decisions["chosen_option"])) > 1:
        text.append("The choice changes between the scenarios compared.")
    table = Table("table-decisions", headers, rows, [False, False, False, True, True])
    block = Block("The option chosen", "decisions-table", text, None, [table])
    block.notes.append(NOISE_NOTE)
    return {"id": "decision", "title": "Decision", "summary": [], "blocks": [block]}
