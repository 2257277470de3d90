"""What the engine hands on: the draws as an xarray DataTree, with the scenario that made them."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.engine.model import OUTPUTS, model_data
from forecast.scenario import Scenario

if TYPE_CHECKING:
    import xarray as xr


@dataclass
class Computed:
    """The numbers for one scenario: draws, timings and (after NUTS) diagnostics.

    :class:`forecast.analysis.results.Forecast` extends it with the tables a
    strategist reads; the engine itself never formats anything.

    Attributes
    ----------
    scenario : Scenario
        The (resolved) scenario simulated.
    data : xarray.DataTree
        Groups ``prior`` (forward simulation) and, when evidence was used,
        ``posterior``, ``sample_stats`` and ``observed_data``.
    seed : int
    timings : dict
        Seconds spent compiling, simulating and sampling.
    diagnostics : pandas.DataFrame or None
        R-hat, bulk/tail ESS and divergences per variable when NUTS ran.
    prior_only : bool
        True when evidence was present but deliberately ignored.
    """

    scenario: Scenario
    data: Any
    seed: int
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: pd.DataFrame | None = None
    prior_only: bool = False

    @classmethod
    def from_draws(
        cls,
        scenario: Scenario,
        values: dict[str, np.ndarray],
        *,
        seed: int,
        timings: dict[str, float] | None = None,
        prior_only: bool = False,
    ) -> Any:
        """Wrap forward-simulated arrays (leading dim = draws)."""
        import xarray as xr

        tree = xr.DataTree.from_dict({"prior": to_dataset(scenario, values)})
        tree.attrs.update(tree_attrs(scenario, seed))
        return cls(scenario, tree, seed, dict(timings or {}), None, prior_only)


def to_dataset(scenario: Scenario, values: dict[str, np.ndarray], chains: int = 1) -> xr.Dataset:
    """Arrays with a leading draw dim (``chains * draws``) -> (chain, draw) Dataset."""
    import xarray as xr

    coords = model_data(scenario).coords
    data_vars = {}
    for name, dims in OUTPUTS.items():
        if name not in values:
            continue
        arr = np.asarray(values[name])
        arr = arr.reshape(chains, arr.shape[0] // chains, *arr.shape[1:])
        data_vars[name] = (("chain", "draw", *dims), arr)
    used = {d for _, (dims, _) in data_vars.items() for d in dims}
    return xr.Dataset(
        data_vars,
        coords={k: v for k, v in coords.items() if k in used and k != "series"},
    )


def tree_attrs(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Attributes of a result's DataTree: which scenario, which seed, which version."""
    return {
        "scenario_id": scenario.id,
        "scenario_sha256": scenario.sha256(),
        "seed": seed,
        "forecast_version": version("forecast"),
    }
