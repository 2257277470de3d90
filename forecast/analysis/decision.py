"""Which option to take: the decision table, read from the payoff of every option per draw.

A decision is a set of options, each with a payoff (in a money unit) per draw of the
forecast. Because every option is evaluated on the same draws (common random numbers),
differences between options are far more precise than the options' own spreads.

For each option, from its payoff draws ``x``:

``expected`` (with ``expected_mcse``)
    the mean; its Monte Carlo standard error is ``sd / sqrt(n)`` for independent
    forward draws and ArviZ's MCSE (autocorrelation counted) for NUTS draws.
``median``, ``q05``, ``q95``
    the median and the 90% interval.
``p_loss``
    ``P(x < 0)``.
``cvar05``
    the mean of the worst 5% of draws (conditional value at risk). Its error is the
    asymptotic one of the empirical CVaR: ``sd(min(x - q05, 0)) / (0.05 sqrt(n))``.
``regret``
    the expected regret ``E[max_j x_j - x]`` (always >= 0). Since ``E[max_j x_j]`` is
    the same for every option, the option with the least expected regret is the one
    with the highest expected payoff: both criteria are offered because strategists
    ask for both.
``p_best``
    the probability of being the best option; a draw where several options tie for
    best counts ``1 / (number tied)`` for each, so the column sums to 1.

The criterion of ``[decision]`` (``expected``, ``p05``, ``cvar05``, ``regret``,
``p_best``) names the option recommended; the table says which option every criterion
picks. The top two options by expected payoff are "too close to call at these draws"
when their difference is within 2 of its own Monte Carlo errors.

Examples
--------
>>> import numpy as np
>>> p = Payoffs(np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]]), ("a", "b"))
>>> decision_table(p)[["option", "expected", "p_best"]].to_dict("list")
{'option': ['a', 'b'], 'expected': [2.5, 2.0], 'p_best': [0.625, 0.375]}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.errors import Problem, ScenarioError
from forecast.scenario.decision import CRITERIA

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

TAIL = 0.05  # CVaR's tail and the 90% interval's lower end
CLOSE_CALL = 2.0  # "too close to call": the top two are within this many of their errors

DECISION_COLUMNS = [
    "option",
    "label",
    "expected",
    "expected_mcse",
    "median",
    "q05",
    "q95",
    "p_loss",
    "p_loss_mcse",
    "cvar05",
    "cvar05_mcse",
    "regret",
    "regret_mcse",
    "p_best",
    "p_best_mcse",
    "picked_by",
]
BY_OUTCOME_COLUMNS = ["option", "outcome", "probability", "expected", "mcse", "best"]
DIFFERENCE_COLUMNS = ["option", "versus", "difference", "mcse", "too_close"]


@dataclass(frozen=True)
class Payoffs:
    """Every option's payoff per draw, with what the analyses need beside it.

    Attributes
    ----------
    values : numpy.ndarray
        ``(options, draws)``, in ``unit``. Draws are pooled chain after chain.
    options, labels : tuple of str
        Option ids and labels (labels default to the ids).
    unit : str
    outcome : numpy.ndarray or None
        The realized outcome's index per draw (``(draws,)``), when there are outcomes.
    outcome_ids : tuple of str
    chains : int
        Number of chains the draws were pooled from (1 for forward draws).
    independent : bool
        True for independent forward draws; False for NUTS draws, whose MCSE counts
        their autocorrelation.

    Examples
    --------
    >>> p = Payoffs(np.zeros((2, 100)), ("license", "wait"))
    >>> p.n_draws, p.labels
    (100, ('license', 'wait'))
    """

    values: np.ndarray
    options: tuple[str, ...]
    labels: tuple[str, ...] = ()
    unit: str = ""
    outcome: np.ndarray | None = None
    outcome_ids: tuple[str, ...] = ()
    chains: int = 1
    independent: bool = True
    criterion: str = "expected"

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        if values.ndim != 2 or values.shape[0] != len(self.options) or values.shape[1] < 2:
            raise ValueError(
                f"payoffs must be (options, draws) with {len(self.options)} options (got {values.shape})"
            )
        if not np.isfinite(values).all():
            raise ValueError("payoffs must be finite numbers in every draw")
        object.__setattr__(self, "values", values)
        if not self.labels:
            object.__setattr__(self, "labels", tuple(self.options))

    @property
    def n_draws(self) -> int:
        return int(self.values.shape[1])

    def mcse(self, x: np.ndarray) -> np.ndarray:
        """MCSE of the mean along the last axis of ``x`` (``(..., draws)``)."""
        x = np.asarray(x, dtype=float)
        if self.independent or self.chains < 1:
            return np.asarray(x.std(axis=-1, ddof=1) / np.sqrt(x.shape[-1]))
        import arviz_stats as azs

        flat = x.reshape(-1, self.chains, x.shape[-1] // self.chains)
        out = [0.0 if np.ptp(row) == 0 else float(azs.mcse(row, method="mean")) for row in flat]
        return np.asarray(out).reshape(x.shape[:-1])


def best_share(values: np.ndarray) -> np.ndarray:
    """Per draw, ``1 / (number tied)`` for the options tied for best, else 0.

    Examples
    --------
    >>> best_share(np.array([[1.0, 2.0], [1.0, 0.0]])).tolist()
    [[0.5, 1.0], [0.5, 0.0]]
    """
    top = values == values.max(axis=0, keepdims=True)
    return np.asarray(top / top.sum(axis=0, keepdims=True))


def _cvar(x: np.ndarray, n_independent: int) -> tuple[float, float]:
    """Mean of the worst ``TAIL`` of ``x`` and its asymptotic standard error."""
    q = float(np.quantile(x, TAIL))
    k = max(1, int(np.ceil(TAIL * x.size)))
    worst = np.sort(x)[:k]
    below = np.minimum(x - q, 0.0)
    return float(worst.mean()), float(below.std(ddof=1) / (TAIL * np.sqrt(n_independent)))


def decision_table(p: Payoffs) -> pd.DataFrame:
    """One row per option: expected payoff, spread, risk, regret and P(best), each mean
    or probability with its MCSE, and ``picked_by``: the criteria that pick it.

    Examples
    --------
    >>> p = Payoffs(np.array([[0.0, 4.0], [1.0, 1.0]]), ("risky", "safe"))
    >>> decision_table(p)[["option", "picked_by"]].to_dict("list")
    {'option': ['risky', 'safe'], 'picked_by': ['expected;regret', 'p05;cvar05;p_best']}
    """
    x = p.values
    regret = x.max(axis=0) - x
    best = best_share(x)
    loss = (x < 0).astype(float)
    mean_mcse = p.mcse(np.concatenate([x, regret, best, loss]))
    o = len(p.options)
    # the effective number of draws behind CVaR's error: that of the mean, from its MCSE
    sd = x.std(axis=1, ddof=1)
    n_eff = np.where(mean_mcse[:o] > 0, (sd / np.where(mean_mcse[:o] > 0, mean_mcse[:o], 1)) ** 2, p.n_draws)
    rows = []
    for i, option in enumerate(p.options):
        cvar, cvar_mcse = _cvar(x[i], int(max(2, round(float(n_eff[i])))))
        q05, median, q95 = np.quantile(x[i], [TAIL, 0.5, 1 - TAIL])
        rows.append(
            {
                "option": option,
                "label": p.labels[i],
                "expected": float(x[i].mean()),
                "expected_mcse": float(mean_mcse[i]),
                "median": float(median),
                "q05": float(q05),
                "q95": float(q95),
                "p_loss": float(loss[i].mean()),
                "p_loss_mcse": float(mean_mcse[3 * o + i]),
                "cvar05": cvar,
                "cvar05_mcse": cvar_mcse,
                "regret": float(regret[i].mean()),
                "regret_mcse": float(mean_mcse[o + i]),
                "p_best": float(best[i].mean()),
                "p_best_mcse": float(mean_mcse[2 * o + i]),
            }
        )
    table = pd.DataFrame(rows)
    chosen = picks(table)
    table["picked_by"] = [";".join(c for c in CRITERIA if chosen[c] == opt) for opt in table["option"]]
    return table[DECISION_COLUMNS]


def picks(table: pd.DataFrame) -> dict[str, str]:
    """The option each criterion picks from a :func:`decision_table` (the first listed
    on a tie).

    Examples
    --------
    >>> t = pd.DataFrame({"option": ["a", "b"], "expected": [1, 2], "q05": [0, -1],
    ...                   "cvar05": [0, -2], "regret": [1, 0], "p_best": [0.4, 0.6]})
    >>> picks(t)
    {'expected': 'b', 'p05': 'a', 'cvar05': 'a', 'regret': 'b', 'p_best': 'b'}
    """
    column = {"expected": "expected", "p05": "q05", "cvar05": "cvar05", "p_best": "p_best"}
    out = {c: str(table["option"].iloc[int(np.argmax(table[col].to_numpy()))]) for c, col in column.items()}
    out["regret"] = str(table["option"].iloc[int(np.argmin(table["regret"].to_numpy()))])
    return {c: out[c] for c in CRITERIA}


def by_outcome(p: Payoffs) -> pd.DataFrame:
    """The payoff table by outcome: each option's expected payoff among the draws where
    each outcome happened, with its MCSE, and whether it is the best under that outcome
    (every option tied for the highest mean is).

    Examples
    --------
    >>> p = Payoffs(np.array([[3.0, 5.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]), ("a", "b"),
    ...             outcome=np.array([0, 0, 1, 1]), outcome_ids=("up", "down"))
    >>> by_outcome(p)[["option", "outcome", "expected", "best"]].values.tolist()
    [['a', 'up', 4.0, True], ['b', 'up', 1.0, False], ['a', 'down', 0.0, False], ['b', 'down', 1.0, True]]
    """
    if p.outcome is None or not p.outcome_ids:
        return pd.DataFrame(columns=BY_OUTCOME_COLUMNS)
    rows = []
    for k, outcome in enumerate(p.outcome_ids):
        sel = p.outcome == k
        if sel.sum() < 2:
            continue
        x = p.values[:, sel]
        means = x.mean(axis=1)
        # the draws of one outcome are a subsample: their error is that of independent draws
        mcse = x.std(axis=1, ddof=1) / np.sqrt(sel.sum())
        for i, option in enumerate(p.options):
            rows.append(
                {
                    "option": option,
                    "outcome": outcome,
                    "probability": float(sel.mean()),
                    "expected": float(means[i]),
                    "mcse": float(mcse[i]),
                    # every option tied for the highest mean is best (the report: "tied best")
                    "best": bool(means[i] == means.max()),
                }
            )
    return pd.DataFrame(rows, columns=BY_OUTCOME_COLUMNS)


def differences(p: Payoffs) -> pd.DataFrame:
    """Every pair of options: the difference of expected payoffs on the same draws, its
    own MCSE (common random numbers: the spread of the per-draw difference), and
    ``too_close`` when it is within ``CLOSE_CALL`` errors of 0. Rows are ordered by
    expected payoff, so the first row compares the top two.

    Examples
    --------
    >>> p = Payoffs(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.5]]), ("a", "b"))
    >>> differences(p)[["option", "versus", "difference"]].values.tolist()
    [['b', 'a', 0.16666666666666666]]
    """
    order = np.argsort(-p.values.mean(axis=1), kind="stable")
    pairs = [(int(i), int(j)) for a, i in enumerate(order) for j in order[a + 1 :]]
    if not pairs:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    d = np.stack([p.values[i] - p.values[j] for i, j in pairs])
    mean, mcse = d.mean(axis=1), p.mcse(d)
    return pd.DataFrame(
        [
            {
                "option": p.options[i],
                "versus": p.options[j],
                "difference": float(mean[r]),
                "mcse": float(mcse[r]),
                "too_close": bool(abs(mean[r]) <= CLOSE_CALL * mcse[r]),
            }
            for r, (i, j) in enumerate(pairs)
        ],
        columns=DIFFERENCE_COLUMNS,
    )


@dataclass(frozen=True)
class DecisionResult:
    """What :meth:`Forecast.decision` returns: the tables and the recommendation.

    Attributes
    ----------
    table, by_outcome, differences : pandas.DataFrame
        See :func:`decision_table`, :func:`by_outcome`, :func:`differences`.
    criterion : str
    chosen : str
        The option the criterion picks.
    too_close : bool
        The top two options by expected payoff are within ``CLOSE_CALL`` errors.
    unit : str
    """

    table: pd.DataFrame
    by_outcome: pd.DataFrame
    differences: pd.DataFrame
    criterion: str
    chosen: str
    too_close: bool
    unit: str

    def __repr__(self) -> str:
        """The table's main columns and the recommendation."""
        shown = self.table[["option", "expected", "expected_mcse", "p_best", "picked_by"]]
        close = " (too close to call at these draws)" if self.too_close else ""
        unit = f" [{self.unit}]" if self.unit else ""
        return f"{shown.to_string(index=False)}\n{self.criterion}: {self.chosen}{close}{unit}"


def decide(p: Payoffs) -> DecisionResult:
    """All of the decision's tables from the payoffs.

    Examples
    --------
    >>> p = Payoffs(np.array([[0.0, 4.0], [1.0, 1.0]]), ("risky", "safe"), unit="USD m")
    >>> decide(p).chosen
    'risky'
    """
    table = decision_table(p)
    diffs = differences(p)
    return DecisionResult(
        table=table,
        by_outcome=by_outcome(p),
        differences=diffs,
        criterion=p.criterion,
        chosen=picks(table)[p.criterion],
        too_close=bool(len(diffs) and diffs["too_close"].iloc[0]),
        unit=p.unit,
    )


# --- from a forecast ------------------------------------------------------------

#: the recorded variable holding each option's payoff per draw (dims chain, draw, option)
PAYOFF_VARIABLE = "payoff"


def payoff_draws(fc: Forecast) -> np.ndarray:
    """Every option's payoff per draw, ``(options, draws)``: the one place payoffs come from.

    Payoffs are the variable ``payoff`` (dims ``chain, draw, option``) of the forecast's
    draws: recorded by the engine once options' payoff formulas are compiled into the
    model (the formula language, issue 26), or attached with :func:`with_payoffs`.

    The engine builds each ``[[options]].payoff`` in the model's graph
    (:func:`forecast.engine.formulas.build_metrics`), in ``[decision].unit``, and
    records it with every other output, in forward simulation and after NUTS.

    Raises
    ------
    ScenarioError
        When the forecast has no payoff draws.

    Examples
    --------
    >>> payoff_draws(with_payoffs(fc, values)).shape  # doctest: +SKIP
    (3, 20000)
    """
    try:
        return np.asarray(fc.values(PAYOFF_VARIABLE), dtype=float).T
    except KeyError:
        pass
    options = getattr(fc.scenario, "options", [])
    message = (
        "this forecast holds no payoff draws (made from a file without its [[options]]?): "
        "simulate the scenario again, or attach payoff draws with "
        "forecast.analysis.decision.with_payoffs(fc, values)"
        if options
        else "the scenario has no [[options]]: add options with payoffs, or attach payoff draws "
        "with forecast.analysis.decision.with_payoffs(fc, values, options=[...])"
    )
    raise ScenarioError([Problem(fc.scenario.origin, "options", message)])


def with_payoffs(fc: Forecast, values: Any, options: list[str] | None = None) -> Forecast:
    """A copy of ``fc`` with payoff draws attached: ``values`` is ``(options, draws)``,
    draws pooled chain after chain as :meth:`Forecast.values` gives them.

    Options are the scenario's ``[[options]]`` unless ``options`` names them (for payoffs
    computed in a notebook from the draws).

    Examples
    --------
    >>> rev = fc.values("revenue")[:, 0, -1]  # doctest: +SKIP
    >>> fc2 = with_payoffs(fc, [rev - 1.0, 0.5 * rev], options=["build", "partner"])  # doctest: +SKIP
    """
    import xarray as xr

    ids = options if options is not None else [o.id for o in getattr(fc.scenario, "options", [])]
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or arr.shape != (len(ids), fc.n_draws) or not ids:
        raise ValueError(f"payoffs must be (options, draws) = ({len(ids)}, {fc.n_draws}) (got {arr.shape})")
    if not np.isfinite(arr).all():
        raise ValueError("payoffs must be finite numbers in every draw")
    group = "posterior_predictive" if fc.conditioned else "prior_predictive"
    ds = fc.data[group].to_dataset()
    chains, draws = ds.sizes["chain"], ds.sizes["draw"]
    da = xr.DataArray(
        arr.T.reshape(chains, draws, len(ids)),
        dims=("chain", "draw", "option"),
        coords={"chain": ds["chain"], "draw": ds["draw"], "option": ids},
    )
    data = fc.data.copy()
    data[group] = xr.DataTree(ds.assign({PAYOFF_VARIABLE: da}))
    return replace(fc, data=data)


def payoffs_of(fc: Forecast, values: Any = None, options: list[str] | None = None) -> Payoffs:
    """The :class:`Payoffs` of a forecast: its payoff draws (or ``values``), its realized
    outcomes and the ``[decision]``'s criterion and unit."""
    s = fc.scenario
    listed = {o.id: o.label for o in getattr(s, "options", [])}
    if values is None:
        arr = payoff_draws(fc)
        ids = tuple(str(o) for o in fc.draws[PAYOFF_VARIABLE]["option"].values)
    else:
        arr = np.asarray(values, dtype=float)
        ids = tuple(
            options or (listed if len(listed) == len(arr) else [f"option_{i + 1}" for i in range(len(arr))])
        )
    labels = tuple(listed.get(i) or i for i in ids)
    decision = getattr(s, "decision", None)
    outcome = fc.values("realized_outcome") if s.assessment else None
    group = "posterior" if fc.conditioned else "prior"
    return Payoffs(
        arr,
        ids,
        labels,
        unit=(decision.unit if decision and decision.unit else ""),
        outcome=outcome,
        outcome_ids=tuple(s.outcome_ids),
        chains=int(fc.data[group].sizes["chain"]),
        independent=not fc.conditioned,
        criterion=(decision.criterion if decision else "expected"),
    )


def decision(fc: Forecast, values: Any = None, options: list[str] | None = None) -> DecisionResult:
    """The decision table of a forecast (see :meth:`Forecast.decision`)."""
    return decide(payoffs_of(fc, values, options))
