"""Where the analysts of a :class:`~forecast.analysis.pool.Pool` disagree, and the pool as data.

- :func:`disagreement`: per outcome and prediction, each analyst's probability, the
  pool's and their spread;
- :func:`input_disagreement`: the inputs whose differences between the analysts move
  the headline most, by the sensitivity machinery of the report
  (:func:`forecast.analysis.sensitivity.sensitivity` on the pooled draws);
- :func:`pool_tree`: the pooled draws with an ``analysts`` group (``analyst`` dimension)
  and the pool's probabilities, as written to ``forecast.nc``.

Examples
--------
>>> disagreement(p).query("kind == 'outcome'")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xarray as xr

    from forecast.analysis.pool import Pool

DISAGREEMENT_COLUMNS = [
    "kind",
    "id",
    "label",
    "analyst",
    "weight",
    "probability",
    "pool",
    "spread",
    "sd",
    "made_by",
]
INPUT_COLUMNS = [
    "input",
    "label",
    "first_order",
    "between_share",
    "effect",
    "lowest",
    "highest",
    "analyst_means",
]
#: how the inputs table is ranked (shown in the report)
INPUT_RULE = (
    "inputs whose analysts' means differ beyond Monte Carlo noise (one-way ANOVA, p < 0.001), ranked by "
    "effect = first_order x between_share: the input's first-order index for the headline over the pooled "
    "draws (its share of the headline's variance), times the share of the input's pooled variance that lies "
    "between the analysts' means; inputs the analysts agree on score 0"
)


def disagreement(pool: Pool) -> pd.DataFrame:
    """One row per (outcome or prediction, analyst making it): the analyst's probability
    and weight, the pool's, the spread (highest minus lowest) and the weighted SD of the
    analysts' probabilities; ``made_by`` counts the analysts making it.

    Examples
    --------
    >>> disagreement(p)[["id", "analyst", "probability", "pool", "spread"]]  # doctest: +SKIP
    """
    rows: list[dict[str, Any]] = []
    items: list[tuple[str, str, str, list[tuple[str, float, float]]]] = []
    pooled_out = pool.outcomes()
    for r in pooled_out.itertuples():
        values = []
        for name, fc, w in zip(pool.names, pool.forecasts, pool.weights, strict=True):
            t = fc.outcomes()
            values.append((name, float(w), float(t.loc[t["outcome"] == r.outcome, "probability"].iloc[0])))
        items.append(("outcome", str(r.outcome), str(r.label), values))
    pooled_pred = pool.predictions()
    for r in pooled_pred.itertuples():
        values = []
        for name, fc, w in zip(pool.names, pool.forecasts, pool.weights, strict=True):
            t = fc.predictions()
            hit = t[t["id"] == r.id]
            if len(hit):
                values.append((name, float(w), float(hit["probability"].iloc[0])))
        items.append(("prediction", str(r.id), str(r.statement), values))
    pooled = dict(zip(pooled_out["outcome"], pooled_out["probability"], strict=True))
    pooled |= dict(zip(pooled_pred["id"], pooled_pred["probability"], strict=True))
    for kind, ident, label, values in items:
        p = np.array([v for _, _, v in values])
        w = np.array([w for _, w, _ in values])
        w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
        mean = float(w @ p)
        sd = float(np.sqrt(w @ (p - mean) ** 2))
        for name, weight, value in values:
            rows.append(
                {
                    "kind": kind,
                    "id": ident,
                    "label": label,
                    "analyst": name,
                    "weight": weight,
                    "probability": value,
                    "pool": float(pooled[ident]),
                    "spread": float(p.max() - p.min()),
                    "sd": sd,
                    "made_by": len(values),
                }
            )
    return pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)


def headline(pool: Pool) -> str:
    """The target the inputs table explains: the first outcome's probability, else the
    first headline target of the scenario."""
    from forecast.analysis.sensitivity import headline_targets

    return headline_targets(pool.forecast.scenario)[-1]


def input_disagreement(pool: Pool, target: str | None = None, *, top: int | None = None) -> pd.DataFrame:
    """The inputs the analysts disagree on, most consequential for ``target`` first (see
    :data:`INPUT_RULE`). ``analyst_means`` lists each analyst's mean of the input.

    Examples
    --------
    >>> input_disagreement(p, "outcome.independence").head(3)  # doctest: +SKIP
    """
    from forecast.analysis.sensitivity import input_matrix, sensitivity, uncertain_inputs

    target = target or headline(pool)
    fc = pool.forecast
    inputs = uncertain_inputs(fc)
    if not inputs:
        return pd.DataFrame(columns=INPUT_COLUMNS)
    sens = sensitivity(fc, target).set_index("input")
    pooled_var = input_matrix(fc, inputs).var(axis=0)
    rows = []
    differing: set[str] = set()
    for j, inp in enumerate(inputs):
        means = _analyst_means(pool, inp.key)
        if not means:
            continue
        if _differ(pool, means, float(pooled_var[j])):
            differing.add(inp.key)
        w = np.array([pool.weights[i] for i in means])
        m = np.array(list(means.values()))
        w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
        between = float(w @ (m - w @ m) ** 2) / float(pooled_var[j]) if pooled_var[j] > 0 else 0.0
        # NaN (an empty cell) when the headline does not vary: no index, not a zero
        first = float(sens["first_order"].get(inp.key, float("nan")))
        rows.append(
            {
                "input": inp.key,
                "label": inp.label,
                "first_order": first,
                "between_share": min(between, 1.0),
                "effect": max(first, 0.0) * min(between, 1.0) if np.isfinite(first) else float("nan"),
                "lowest": float(m.min()),
                "highest": float(m.max()),
                "analyst_means": "; ".join(f"{pool.names[i]} {v:.3g}" for i, v in means.items()),
            }
        )
    df = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    df = df[[k in differing for k in df["input"]]]
    df = df.sort_values(["effect", "first_order"], ascending=False, kind="stable").reset_index(drop=True)
    df.attrs["target"] = target
    return df.head(top) if top else df


#: an input's analysts differ when their means differ beyond Monte Carlo noise at this level
DIFFER_P = 0.001


def _differ(pool: Pool, means: dict[int, float], variance: float) -> bool:
    """Whether the analysts' means of an input differ beyond Monte Carlo noise: a one-way
    analysis of variance of their draws, ``sum_i n_i (m_i - m)^2 / s^2`` against a
    chi-square with (analysts - 1) degrees of freedom (``s^2`` the pooled variance, which
    includes the differences themselves: the test errs towards "no difference")."""
    from scipy.stats import chi2

    if len(means) < 2 or variance <= 0:
        return False
    n = np.array([pool.forecasts[i].n_draws for i in means], dtype=float)
    m = np.array(list(means.values()))
    grand = float(n @ m / n.sum())
    stat = float(n @ (m - grand) ** 2) / variance
    return bool(chi2.sf(stat, len(means) - 1) < DIFFER_P)


def _analyst_means(pool: Pool, key: str) -> dict[int, float]:
    """Each analyst's mean of the input ``key`` (by its recorded variable and coordinate),
    for the analysts whose draws have it."""
    variable, _, coord = key.partition("[")
    coord = coord.rstrip("]")
    out: dict[int, float] = {}
    for i, fc in enumerate(pool.forecasts):
        try:
            da = fc._variable(variable)
        except KeyError:
            continue
        other = [d for d in da.dims if d not in ("chain", "draw")]
        if coord and other:
            values = _coordinate_keys(fc, str(other[0]), da)
            if coord not in values:
                continue
            da = da.isel({other[0]: values.index(coord)})
        out[i] = float(np.asarray(da.values, dtype=float).mean())
    return out


def _coordinate_keys(fc: Any, dim: str, da: Any) -> list[str]:
    """The coordinate of each element along ``dim`` as :class:`~forecast.analysis.sensitivity.Input`
    keys name it: share-path points as ``position|date|outcome``."""
    if dim != "share_input":
        return [str(v) for v in da[dim].values]
    cd = fc.data["constant_data"]
    return [
        f"{p}|{d}|{o or 'any'}"
        for p, d, o in zip(
            cd["share_position"].values, cd["share_date"].values, cd["share_outcome"].values, strict=True
        )
    ]


def pool_tree(pool: Pool) -> xr.DataTree:
    """The pooled draws (as a run's ``forecast.nc``), with ``/analysts`` (dimension
    ``analyst``: weight, stated and simulated outcome probabilities, prediction
    probabilities, NaN where ``makes`` is false) and ``/pooled`` (the pool's outcome and
    prediction probabilities by its method).

    Examples
    --------
    >>> pool_tree(p)["analysts"]["weight"].values  # doctest: +SKIP
    """
    import xarray as xr

    outcomes, predictions = pool.outcomes(), pool.predictions()
    names = list(pool.names)
    pids = list(predictions["id"])
    made = np.zeros((len(names), len(pids)), dtype=bool)
    prob = np.full((len(names), len(pids)), np.nan)
    for i, fc in enumerate(pool.forecasts):
        t = fc.predictions().set_index("id")["probability"]
        for j, pid in enumerate(pids):
            if pid in t.index:
                made[i, j], prob[i, j] = True, float(t[pid])
    analysts = xr.Dataset(
        {
            "weight": ("analyst", pool.weights),
            "file": ("analyst", [fc.scenario.origin for fc in pool.forecasts]),
            "makes": (("analyst", "prediction"), made),
            "prediction_probability": (("analyst", "prediction"), prob),
        },
        coords={"analyst": names, "prediction": pids},
        attrs={"weights": pool.weight_source, "note": "prediction_probability is NaN where makes is false"},
    )
    if len(outcomes):
        analysts["outcome_probability"] = (
            ("analyst", "outcome"),
            np.array([fc.outcomes()["probability"].to_numpy(float) for fc in pool.forecasts]),
        )
        analysts["outcome_stated"] = (
            ("analyst", "outcome"),
            np.array([fc.outcomes()["stated"].to_numpy(float) for fc in pool.forecasts]),
        )
        analysts = analysts.assign_coords(outcome=list(outcomes["outcome"]))
    summary = xr.Dataset(
        {
            "outcome_probability": ("outcome", outcomes["probability"].to_numpy(float)),
            "outcome_mcse": ("outcome", outcomes["mcse"].to_numpy(float)),
            "prediction_probability": ("prediction", predictions["probability"].to_numpy(float)),
            "prediction_mcse": ("prediction", predictions["mcse"].to_numpy(float)),
        },
        coords={"outcome": list(outcomes["outcome"]), "prediction": pids},
        attrs={"method": pool.method, "extremize": pool.extremize, "description": pool.description},
    )
    tree = pool.forecast.data.copy()
    tree["analysts"] = xr.DataTree(analysts)
    tree["pooled"] = xr.DataTree(summary)
    return tree
