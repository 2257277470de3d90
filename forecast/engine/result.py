"""What the engine hands on: the draws as an xarray DataTree, with the scenario that made them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# the DataTree's layout lives in forecast.engine.dataset; these two were here before
from forecast.engine.dataset import group_attrs as tree_attrs
from forecast.engine.dataset import to_dataset
from forecast.scenario import Scenario


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
        ArviZ's groups (see :mod:`forecast.engine.dataset`): ``prior`` and
        ``prior_predictive``; when evidence was used also ``posterior``,
        ``posterior_predictive``, ``sample_stats`` and ``observed_data``.
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
        coords: Mapping[str, Any] | None = None,
    ) -> Any:
        """Wrap forward-simulated arrays (leading dim = draws); ``coords`` as in
        :func:`~forecast.engine.dataset.to_dataset`."""
        from forecast.engine.dataset import forward_tree

        tree = forward_tree(scenario, values, seed, coords)
        return cls(scenario, tree, seed, dict(timings or {}), None, prior_only)


__all__ = ["Computed", "to_dataset", "tree_attrs"]
