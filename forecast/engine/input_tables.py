"""The arrays of tabulated inputs and of the copula, for :func:`~forecast.engine.data.model_data`.

Every kind of transformed input (market sizes, volatilities, the common factor, share
points, event probabilities, named inputs) has, beside its ``(family, a, b)`` arrays, a ``*_tab``
array of ``N_KNOTS + 2 J`` numbers per input: the ``TABLE`` family's row (zeros for the
other families), ``J`` the most steps any tabulated input of the scenario has. The copula's arrays pick the
correlated latents and hold the Cholesky factor of their correlation (see
:mod:`forecast.scenario.copula`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.scenario import Scenario
from forecast.scenario.distributions import N_KNOTS, padded, steps_of
from forecast.scenario.formula_rules import input_domain
from forecast.scenario.inputs import Canonical, Family


def _rows(items: list[Canonical], shape: tuple[int, ...], steps: int) -> np.ndarray:
    width = N_KNOTS + 2 * steps
    out = np.zeros((len(items), width))
    out[:, N_KNOTS : N_KNOTS + steps] = np.inf
    for i, c in enumerate(items):
        if c.family == Family.TABLE and c.table is not None:
            out[i] = padded(c.table, steps)
    return out.reshape((*shape, width))


def table_arrays(s: Scenario, outcome_ids: list[str]) -> dict[str, np.ndarray]:
    """The ``*_tab`` arrays, in the order :func:`model_data` lists the inputs.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> t = table_arrays(s, s.outcome_ids)
    >>> t["size_tab"].shape[0], float(abs(t["size_tab"]).sum())
    (4, 0.0)
    """
    n_m = len(s.markets)
    vols = [m.volatility.canonical("positive" if m.volatility.value != 0 else "real") for m in s.markets]
    shares = [pt.share.canonical("unit") for pos in s.positions for pt in pos.path]
    events = []
    event_preds = [p for p in s.predictions if p.kind == "event"]
    for pr in event_preds:
        for k in outcome_ids:
            q = pr.probability if pr.probability is not None else pr.probability_by_outcome[k]  # type: ignore[index]
            events.append(q.canonical("unit"))
    sizes = [m.size.canonical("positive") for m in s.markets]
    rho = [s.correlation.common_factor.canonical("unit")]
    named = [i.value.canonical(input_domain(i)) for i in s.inputs]
    every = sizes + vols + rho + shares + events + named
    steps = max([steps_of(c.table) for c in every if c.table is not None] + [0])
    return {
        "size_tab": _rows(sizes, (n_m,), steps),
        "vol_tab": _rows(vols, (n_m,), steps),
        "rho_tab": _rows(rho, (), steps),
        "share_tab": _rows(shares, (len(shares),), steps),
        "event_tab": _rows(events, (len(event_preds), len(outcome_ids)), steps),
        "input_tab": _rows(named, (len(named),), steps),  # named inputs ([[inputs]])
    }


def copula_arrays(s: Scenario) -> dict[str, np.ndarray]:
    """``cop_base_idx`` (into ``[z_size, z_growth, z_volatility]``), ``cop_share_idx``
    (into the share points' own latents), ``cop_input_idx`` (into the named inputs'
    latents) and ``cop_chol``, in that order of the members."""
    from forecast.scenario.copula import copula

    c = copula(s)
    return {
        "cop_base_idx": np.array([lat.index for lat in c.latents if lat.block == "base"], dtype=np.int64),
        "cop_share_idx": np.array([lat.index for lat in c.latents if lat.block == "share"], dtype=np.int64),
        "cop_input_idx": np.array([lat.index for lat in c.latents if lat.block == "input"], dtype=np.int64),
        "cop_chol": np.asarray(c.chol, dtype=float).reshape(len(c.keys), len(c.keys)),
    }


def extra_coords(arrays: dict[str, np.ndarray]) -> dict[str, list[Any]]:
    """Coords of the dims these arrays add."""
    return {
        "table_column": list(range(arrays["size_tab"].shape[-1])),
        "cop_base": list(range(len(arrays["cop_base_idx"]))),
        "cop_share": list(range(len(arrays["cop_share_idx"]))),
        "cop_input": list(range(len(arrays["cop_input_idx"]))),
        "cop": list(range(arrays["cop_chol"].shape[0])),
        "cop_col": list(range(arrays["cop_chol"].shape[0])),
    }


#: dims of the arrays, in the model
EXTRA_DIMS: dict[str, tuple[str, ...]] = {
    "size_tab": ("market", "table_column"),
    "vol_tab": ("market", "table_column"),
    "rho_tab": ("table_column",),
    "share_tab": ("share_input", "table_column"),
    "event_tab": ("event", "outcome", "table_column"),
    "input_tab": ("input", "table_column"),
    "cop_base_idx": ("cop_base",),
    "cop_share_idx": ("cop_share",),
    "cop_input_idx": ("cop_input",),
    "cop_chol": ("cop", "cop_col"),
}
