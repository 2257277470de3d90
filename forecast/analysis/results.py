"""A :class:`Forecast`: the draws of a simulation, with the scenario that made them.

Summaries are DataFrames with the interface contract's CSV columns. Every
probability carries its Monte Carlo standard error: for independent forward draws
``sd / sqrt(n)``, for NUTS draws ArviZ's MCSE (which accounts for autocorrelation).
"""

from __future__ import annotations

import importlib
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.engine import Computed, compute
from forecast.engine.inference import check
from forecast.scenario import Scenario

if TYPE_CHECKING:
    import xarray as xr

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MARKET_COLUMNS = ["market", "year", "mean", "sd", "q05", "q25", "q50", "q75", "q95"]
OUTCOME_COLUMNS = ["outcome", "label", "stated", "probability", "q05", "q95", "mcse"]
PREDICTION_COLUMNS = ["id", "statement", "deadline", "probability", "mcse"]


class Forecast(Computed):
    """The result of :func:`simulate`: the engine's draws, read as a strategist's tables.

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

    Sensitivity, tornado, tables and report writing are done by the stages that own
    them; the methods here are thin delegations, listed in :data:`DELEGATED`.

    Examples
    --------
    >>> import forecast
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000)  # doctest: +SKIP
    >>> fc.markets().query("market == 'developer_tools'")  # doctest: +SKIP
    """

    @classmethod
    def of(cls, computed: Computed) -> Forecast:
        """The engine's result as a :class:`Forecast`."""
        return cls(**{f.name: getattr(computed, f.name) for f in fields(Computed)})

    # --- access -----------------------------------------------------------

    @property
    def conditioned(self) -> bool:
        """True when evidence or observed signposts shaped these draws (NUTS ran)."""
        return "posterior" in self.data.children

    @property
    def draws(self) -> xr.Dataset:
        """The draws the summaries read: the posterior if there is one, else the prior."""
        group = "posterior" if self.conditioned else "prior"
        return self.data[group].to_dataset()

    @property
    def n_draws(self) -> int:
        ds = self.draws
        return int(ds.sizes["chain"] * ds.sizes["draw"])

    @property
    def warnings(self) -> list[str]:
        """Convergence warnings when NUTS ran (see :func:`forecast.engine.inference.check`).

        Empty when R-hat ≤ 1.01, bulk and tail ESS ≥ 400 and nothing diverged, or
        when there was no NUTS run (forward draws are independent).
        """
        return check(self.diagnostics)

    def values(self, name: str) -> np.ndarray:
        """Draws of one variable, flattened to (draws, ...)."""
        arr = self.draws[name].values
        return arr.reshape(-1, *arr.shape[2:])

    def _mcse(self, name: str, x: np.ndarray | None = None) -> np.ndarray:
        """MCSE of the mean of each element of ``name`` (or of ``x``, shaped like it),
        a probability: never 0 (see :func:`mcse_floor`)."""
        da = self.draws[name]
        arr = da.values if x is None else x.reshape(da.shape)
        n = arr.shape[0] * arr.shape[1]
        if not self.conditioned:
            out = np.asarray(arr.std(axis=(0, 1), ddof=1) / np.sqrt(n))
        else:
            import arviz_stats as azs

            flat = arr.reshape(arr.shape[0], arr.shape[1], -1)
            out = np.array([_safe_mcse(azs, flat[:, :, i]) for i in range(flat.shape[-1])])
            out = out.reshape(arr.shape[2:])
        return np.maximum(out, mcse_floor(n))

    # --- summaries --------------------------------------------------------

    def markets(self) -> pd.DataFrame:
        """Market size by market and year, plus total and company rows.

        Rows with ``market`` = a market id, ``total`` (when all markets share a
        unit), ``share.<position>`` and ``revenue.<position>``.
        """
        s = self.scenario
        years = [int(y) for y in s.years]
        rows: list[dict[str, Any]] = []
        size = self.values("market_size")
        for i, m in enumerate(s.markets):
            rows += _quantile_rows(m.id, years, size[:, i, :])
        if len({m.unit for m in s.markets}) == 1 and len(s.markets) > 1:
            rows += _quantile_rows("total", years, self.values("total_market"))
        if s.positions:
            share, revenue = self.values("share"), self.values("revenue")
            for i, p in enumerate(s.positions):
                rows += _quantile_rows(f"share.{p.id}", years, share[:, i, :])
                rows += _quantile_rows(f"revenue.{p.id}", years, revenue[:, i, :])
        return pd.DataFrame(rows, columns=MARKET_COLUMNS)

    def outcomes(self) -> pd.DataFrame:
        """Outcome probabilities: stated vs simulated, with interval and MCSE.

        ``probability`` is the mean outcome probability over draws (its
        Rao-Blackwellised estimate); ``q05``/``q95`` bound how uncertain that
        probability itself is (the Dirichlet spread and the market drivers).
        """
        s = self.scenario
        if not s.assessment:
            return pd.DataFrame(columns=OUTCOME_COLUMNS)
        q = self.values("outcome_probability")
        mcse = self._mcse("outcome_probability")
        rows = []
        for i, o in enumerate(s.assessment.outcomes):
            rows.append(
                {
                    "outcome": o.id,
                    "label": o.label,
                    "stated": o.probability.value,
                    "probability": float(q[:, i].mean()),
                    "q05": float(np.quantile(q[:, i], 0.05)),
                    "q95": float(np.quantile(q[:, i], 0.95)),
                    "mcse": float(mcse[i]),
                }
            )
        return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)

    def predictions(self) -> pd.DataFrame:
        """Probability of each dated prediction coming true, with MCSE."""
        s = self.scenario
        if not s.predictions:
            return pd.DataFrame(columns=PREDICTION_COLUMNS)
        hit = self.values("prediction_hit")
        mcse = self._mcse("prediction_hit")
        rows = [
            {
                "id": p.id,
                "statement": p.statement,
                "deadline": p.deadline.isoformat(),
                "probability": float(hit[:, i].mean()),
                "mcse": float(mcse[i]),
            }
            for i, p in enumerate(s.predictions)
        ]
        return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)

    def signposts(self) -> pd.DataFrame:
        """For each signpost: P(observed true), and the outcome probabilities if it is
        observed true or false, by Bayes' rule from the current probabilities.

        Exact: the likelihoods do not depend on the draw, so
        ``P(k | true) = L_k E[q_k] / sum_j L_j E[q_j]``. When NUTS already conditioned on
        a signpost, its row starts from the odds without it (``E[q_k] / P(obs | k)``,
        renormalised), so ``if_true``/``if_false`` are the odds had it come out either
        way, not a second update on the same news.
        """
        s = self.scenario
        cols = ["signpost", "observed", "p_true", "outcome", "now", "if_true", "if_false"]
        if not s.signposts or not s.assessment:
            return pd.DataFrame(columns=cols)
        now = self.values("outcome_probability").mean(axis=0)
        rows = []
        for sp in s.signposts:
            lik = np.array([sp.likelihood[k] for k in s.outcome_ids])
            base = now
            if self.conditioned and sp.observed is not None:
                seen = lik if sp.observed else 1 - lik
                base = np.divide(now, seen, out=np.zeros_like(now), where=seen > 0)
                base = base / base.sum()
            p_true = float(base @ lik)
            t = base * lik / p_true if p_true > 0 else np.full_like(now, np.nan)
            f = base * (1 - lik) / (1 - p_true) if p_true < 1 else np.full_like(now, np.nan)
            for i, k in enumerate(s.outcome_ids):
                rows.append(
                    {
                        "signpost": sp.id,
                        "observed": sp.observed,
                        "p_true": p_true,
                        "outcome": k,
                        "now": float(now[i]),
                        "if_true": float(t[i]),
                        "if_false": float(f[i]),
                    }
                )
        return pd.DataFrame(rows, columns=cols)

    def by_outcome(self) -> pd.DataFrame:
        """Company share and revenue in the last year, by realized outcome."""
        s = self.scenario
        cols = [
            "position",
            "outcome",
            "probability",
            "share_q50",
            "revenue_mean",
            "revenue_q05",
            "revenue_q95",
        ]
        if not s.positions or not s.assessment:
            return pd.DataFrame(columns=cols)
        outcome = self.values("realized_outcome")
        share, revenue = self.values("share")[:, :, -1], self.values("revenue")[:, :, -1]
        rows = []
        for i, p in enumerate(s.positions):
            for k, o in enumerate(s.outcome_ids):
                sel = outcome == k
                if not sel.any():
                    continue
                rows.append(
                    {
                        "position": p.id,
                        "outcome": o,
                        "probability": float(sel.mean()),
                        "share_q50": float(np.median(share[sel, i])),
                        "revenue_mean": float(revenue[sel, i].mean()),
                        "revenue_q05": float(np.quantile(revenue[sel, i], 0.05)),
                        "revenue_q95": float(np.quantile(revenue[sel, i], 0.95)),
                    }
                )
        return pd.DataFrame(rows, columns=cols)

    # --- thin delegations to the stages that own the work (see DELEGATED) ----

    def sensitivity(self, target: str, **kwargs: Any) -> pd.DataFrame:
        """Variance-based indices of every uncertain input for ``target``, from these draws.

        ``target`` is e.g. ``"market.developer_tools@2027"``, ``"total@2027"``,
        ``"revenue.deepseek_devtools@2027"`` or ``"outcome.independence"``; see
        :func:`forecast.analysis.sensitivity.sensitivity`.
        """
        out: pd.DataFrame = _delegate("sensitivity")(self, target, **kwargs)
        return out

    def tornado(self, target: str, **kwargs: Any) -> pd.DataFrame:
        """The target with each input at its 10th and 90th percentile, others at their
        medians; see :func:`forecast.analysis.tornado.tornado`."""
        out: pd.DataFrame = _delegate("tornado")(self, target, **kwargs)
        return out

    def write_tables(self, folder: str | Path) -> None:
        """Write ``markets.csv``, ``outcomes.csv`` and ``predictions.csv``."""
        _delegate("write_csv_tables")(
            folder,
            {"markets": self.markets(), "outcomes": self.outcomes(), "predictions": self.predictions()},
        )

    def write_report(self, folder: str | Path, **kwargs: Any) -> Path:
        """Write the full report folder (see :func:`forecast.outputs.report.write_report`)."""
        out: Path = _delegate("write_report")(self, folder, **kwargs)
        return out


#: Every method of :class:`Forecast` that hands its work to another module: the name
#: and where the work is done. Writing belongs to a later stage (outputs), so it is
#: looked up when called instead of imported: no import runs back up the stages.
DELEGATED = {
    "sensitivity": "forecast.analysis.sensitivity:sensitivity",
    "tornado": "forecast.analysis.tornado:tornado",
    "write_csv_tables": "forecast.outputs.tables:write_csv_tables",
    "write_report": "forecast.outputs.report:write_report",
}


def _delegate(name: str) -> Any:
    module, attr = DELEGATED[name].split(":")
    return getattr(importlib.import_module(module), attr)


def simulate(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    prior_only: bool = False,
    sampler: str | None = None,
    progress: bool = False,
) -> Forecast:
    """Simulate a scenario and return a :class:`Forecast`.

    Without evidence (or with ``prior_only=True``) this is forward simulation in one
    batched call. With evidence or observed signposts it runs NUTS and a batched
    posterior predictive (see :func:`forecast.engine.compute`).

    Parameters
    ----------
    scenario : Scenario
    draws : int, optional
        Number of draws; defaults to ``scenario.simulation.draws``.
    seed : int, optional
        Seed; defaults to ``scenario.simulation.seed``. Same seed, same numbers.
    prior_only : bool
        Ignore evidence and observed signposts.
    sampler : {"nutpie", "pymc"}, optional
        NUTS implementation when evidence is present.
    progress : bool
        Show sampler progress.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> fc = forecast.simulate(s, draws=1000, seed=1)  # doctest: +SKIP
    >>> fc.outcomes()[["outcome", "probability"]]  # doctest: +SKIP
    """
    draws = draws or scenario.simulation.draws
    seed = scenario.simulation.seed if seed is None else seed
    computed = compute(
        scenario, draws=draws, seed=seed, prior_only=prior_only, sampler=sampler, progress=progress
    )
    return Forecast.of(computed)


def mcse_floor(n: int) -> float:
    """The Monte Carlo error reported for a probability on which all ``n`` draws agree.

    Their spread is 0, but that does not make the estimate exact: with no hit in
    ``n`` independent draws the probability is below ``3 / n`` at 95% (the rule of
    three), and likewise above ``1 - 3 / n`` with every draw a hit. That bound is the
    error reported (also the floor for any smaller estimate, which cannot be more
    precise than it), so a table never shows "0 ± 0".

    Examples
    --------
    >>> mcse_floor(20_000)
    0.00015
    """
    return 3.0 / n


def _safe_mcse(azs: Any, x: np.ndarray) -> float:
    if np.ptp(x) == 0:
        return 0.0
    return float(azs.mcse(x, method="mean"))


def _quantile_rows(name: str, years: list[int], x: np.ndarray) -> list[dict[str, Any]]:
    qs = np.quantile(x, QUANTILES, axis=0)
    mean, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
    return [
        {
            "market": name,
            "year": y,
            "mean": float(mean[j]),
            "sd": float(sd[j]),
            **{f"q{round(q * 100):02d}": float(qs[i, j]) for i, q in enumerate(QUANTILES)},
        }
        for j, y in enumerate(years)
    ]
