"""A :class:`Forecast`: the draws of a simulation, with the scenario that made them.

Summaries are DataFrames with the interface contract's CSV columns. Every
probability carries its Monte Carlo standard error: for independent forward draws
``sd / sqrt(n)``, for NUTS draws ArviZ's MCSE (which accounts for autocorrelation).

The module is longer than 600 lines: :class:`Forecast` keeps every table a strategist
reads in one place, each a short method over the same draws.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.engine import Computed, compute
from forecast.engine.data import model_data
from forecast.engine.dataset import pooled, to_netcdf
from forecast.engine.formulas import undefined_as_zero
from forecast.engine.inference import check
from forecast.engine.resources import check_memory
from forecast.errors import NonFiniteError, Problem, ScenarioError
from forecast.scenario import Scenario

if TYPE_CHECKING:
    from collections.abc import Callable

    import xarray as xr

#: the groups :attr:`Forecast.draws` reads, by whether NUTS ran
_GROUPS = {False: ("prior", "prior_predictive"), True: ("posterior", "posterior_predictive")}

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MARKET_COLUMNS = ["market", "year", "mean", "sd", "q05", "q25", "q50", "q75", "q95"]
OUTCOME_COLUMNS = ["outcome", "label", "stated", "probability", "q05", "q95", "mcse"]
#: beyond this a draw's square overflows a float64, so its SD (and the report) cannot be computed
MAX_MAGNITUDE = 1e150

PREDICTION_COLUMNS = ["id", "statement", "deadline", "probability", "mcse"]


class Forecast(Computed):
    """The result of :func:`simulate`: the engine's draws, read as a strategist's tables.

    Attributes
    ----------
    scenario : Scenario
        The (resolved) scenario simulated.
    data : xarray.DataTree
        ArviZ's groups (see :mod:`forecast.engine.dataset`): ``prior`` and
        ``prior_predictive``; when evidence was used also ``posterior``,
        ``posterior_predictive``, ``sample_stats`` and ``observed_data``. ``arviz_stats``
        and ``arviz_plots`` read it as they read a PyMC result.
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
        """The draws the summaries read, in one Dataset: ``posterior`` and
        ``posterior_predictive`` if NUTS ran, else ``prior`` and ``prior_predictive``."""
        return self._merged(_GROUPS[self.conditioned])

    @property
    def prior_draws(self) -> xr.Dataset:
        """The forward draws, before any evidence: ``prior`` and ``prior_predictive`` in
        one Dataset (the same as :attr:`draws` when nothing was observed)."""
        return self._merged(_GROUPS[False])

    def _merged(self, groups: tuple[str, str]) -> xr.Dataset:
        import xarray as xr

        found = [self.data[g].to_dataset() for g in groups if g in self.data.children]
        # the groups' attributes are the same apart from the inference library
        return xr.merge(found, join="exact", compat="equals", combine_attrs="override")

    def _variable(self, name: str) -> xr.DataArray:
        """One variable of :attr:`draws`, read from its group (no merge)."""
        for group in _GROUPS[self.conditioned]:
            if group in self.data.children and name in self.data[group].data_vars:
                return self.data[group][name]
        raise KeyError(f"no variable {name!r} in the draws of {self.scenario.id}")

    @property
    def n_draws(self) -> int:
        ds = self.data[_GROUPS[self.conditioned][0]]
        return int(ds.sizes["chain"] * ds.sizes["draw"])

    @property
    def warnings(self) -> list[str]:
        """Convergence warnings when NUTS ran (see :func:`forecast.engine.inference.check`),
        and evidence in conflict with the prior (see :func:`prior_data_conflicts`).

        Empty when R-hat ≤ 1.01, bulk and tail ESS ≥ 400, nothing diverged and no
        observation sits far in the tail of what the scenario expected, or when there
        was no NUTS run (forward draws are independent).
        """
        return check(self.diagnostics) + prior_data_conflicts(self)

    def values(self, name: str) -> np.ndarray:
        """Draws of one variable of :attr:`draws`, flattened to (draws, ...).

        Stored as ``int8``, prediction hits come back as 0.0/1.0 floats (their mean
        is the probability, and sums or products over draws cannot overflow) and the
        realized outcome as an ``int64`` index.
        """
        arr = self._variable(name).values
        if arr.dtype == np.int8:
            arr = arr.astype(np.float64 if name == "prediction_hit" else np.int64)
        return pooled(arr)

    def _mcse(self, name: str, x: np.ndarray | None = None, *, floor: bool = True) -> np.ndarray:
        """MCSE of the mean of each element of ``name`` (or of ``x``, shaped like it),
        a probability: never 0 (see :func:`mcse_floor`); ``floor=False`` for a mean in
        a quantity's own unit, which the rule of three does not bound."""
        da = self._variable(name)
        arr = np.asarray(da.values if x is None else x.reshape(da.shape), dtype=float)
        n = arr.shape[0] * arr.shape[1]
        if not self.conditioned:
            out = np.asarray(arr.std(axis=(0, 1), ddof=1) / np.sqrt(n))
        else:
            import arviz_stats as azs

            flat = arr.reshape(arr.shape[0], arr.shape[1], -1)
            out = np.array([_safe_mcse(azs, flat[:, :, i]) for i in range(flat.shape[-1])])
            out = out.reshape(arr.shape[2:])
        return np.maximum(out, mcse_floor(n)) if floor else out

    # --- display ------------------------------------------------------------

    def __repr__(self) -> str:
        """A few lines: how the draws were made, and the headline numbers."""
        from forecast.scenario.display import listing

        s, h = self.scenario, self._headline()
        lines = [f"<Forecast {s.id!r}: {s.title}>", h["method"]]
        if h["outcomes"]:
            lines.append("outcomes: " + listing([f"{k} {p:.1%}" for k, _, _, p, _ in h["outcomes"]]))
        if h["predictions"]:
            lines.append("predictions: " + listing([f"{k} {p:.1%}" for k, _, _, p in h["predictions"]]))
        year = h["year"]
        lines.append(
            f"markets in {year} (median): "
            + listing([f"{m} {_sig(q50)} {unit}".rstrip() for m, _, unit, q50, _, _ in h["markets"]])
        )
        if self.warnings:
            lines.append(f"{len(self.warnings)} sampler warnings: see .warnings")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The notebook view: outcomes, predictions and market sizes as small tables."""
        import html

        from forecast.scenario.display import html_table, section

        s, h = self.scenario, self._headline()
        parts = [
            f"<div><strong>Forecast</strong> <code>{html.escape(s.id)}</code>: {html.escape(s.title)}"
            f"<br><small>{html.escape(h['method'])}</small></div>"
        ]
        if self.warnings:
            items = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
            parts.append(f"<div><strong>Sampler warnings</strong><ul>{items}</ul></div>")
        if h["outcomes"]:
            rows = [
                [k, label, f"{st:.0%}" if st is not None else "", f"{p:.1%}", iv]
                for k, label, st, p, iv in h["outcomes"]
            ]
            parts.append(
                section(
                    "Outcomes",
                    html_table(
                        ["outcome", "label", "stated", "probability", "90% interval"],
                        rows,
                        [False, False, True, True, True],
                    ),
                )
            )
        if h["predictions"]:
            rows = [[k, statement, deadline, f"{p:.1%}"] for k, statement, deadline, p in h["predictions"]]
            parts.append(
                section(
                    "Predictions",
                    html_table(
                        ["id", "statement", "deadline", "probability"], rows, [False, False, False, True]
                    ),
                )
            )
        rows = [
            [m, label, unit, _sig(q50), f"{_sig(q05)} to {_sig(q95)}"]
            for m, label, unit, q50, q05, q95 in h["markets"]
        ]
        parts.append(
            section(
                f"Markets in {h['year']}",
                html_table(
                    ["market", "label", "unit", "median", "90% interval"],
                    rows,
                    [False, False, False, True, True],
                ),
            )
        )
        return "".join(parts)

    def _headline(self) -> dict[str, Any]:
        """The numbers a repr shows: means and quantiles straight from the draws (no
        MCSE, so it stays quick after NUTS too)."""
        s = self.scenario
        if self.conditioned:
            ds = self.data["posterior"]
            method = f"{self.n_draws:,} NUTS draws ({ds.sizes['chain']} chains), seed {self.seed}"
        else:
            method = f"{self.n_draws:,} forward draws, seed {self.seed}"
            if self.prior_only and s.has_evidence:
                method += ", evidence ignored (prior only)"
        outcomes = []
        if s.assessment:
            q = self.values("outcome_probability")
            for i, o in enumerate(s.assessment.outcomes):
                lo, hi = np.quantile(q[:, i], [0.05, 0.95])
                outcomes.append(
                    (o.id, o.label, o.probability.value, float(q[:, i].mean()), f"{lo:.1%} to {hi:.1%}")
                )
        predictions = []
        if s.predictions:
            hit = self.values("prediction_hit")
            predictions = [
                (p.id, p.statement, p.deadline.isoformat(), float(hit[:, i].mean()))
                for i, p in enumerate(s.predictions)
            ]
        size = self.values("market_size")[:, :, s.years.index(s.headline_year)]
        qs = np.quantile(size, [0.5, 0.05, 0.95], axis=0)
        markets = [
            (m.id, m.label, m.unit, float(qs[0, i]), float(qs[1, i]), float(qs[2, i]))
            for i, m in enumerate(s.markets)
        ]
        return {
            "method": method,
            "outcomes": outcomes,
            "predictions": predictions,
            "markets": markets,
            "year": s.headline_year,
        }

    # --- summaries --------------------------------------------------------

    def _table(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A summary table computed once per forecast, returned as a copy (a caller's
        edits stay its own): ``forecast run`` writes ``markets.csv``, draws the figures
        and lays out the report from the same tables; at 1e6 draws each recomputation
        sorted every column again (and after NUTS recomputed every MCSE)."""
        memo = self.__dict__.setdefault("_tables", {})
        key = (name, id(self.data))  # new draws (a replaced tree) are new tables
        if key not in memo:
            memo[key] = build()
        return memo[key].copy()

    def markets(self) -> pd.DataFrame:
        """Market size by market and year, plus total and company rows.

        Rows with ``market`` = a market id, ``total`` (when all markets share a
        unit), ``share.<position>`` and ``revenue.<position>``. Computed once per
        forecast (every quantile of a column once).
        """
        return self._table("markets", self._markets)

    def _markets(self) -> pd.DataFrame:
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
        return self._table("outcomes", self._outcomes)

    def _outcomes(self) -> pd.DataFrame:
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
        return self._table("predictions", self._predictions)

    def _predictions(self) -> pd.DataFrame:
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

    def metrics(self) -> pd.DataFrame:
        """Every ``[[metrics]]`` formula summarised (``metrics.csv``), see
        :func:`forecast.analysis.metrics.metric_table`."""
        out: pd.DataFrame = _delegate("metrics")(self)
        return out

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
                        "observed": sp.observed if self.conditioned else None,  # --prior-only ignored it
                        "p_true": p_true,
                        "outcome": k,
                        "now": float(now[i]),
                        "if_true": float(t[i]),
                        "if_false": float(f[i]),
                    }
                )
        return pd.DataFrame(rows, columns=cols)

    def by_outcome(self) -> pd.DataFrame:
        """Company share and revenue in the headline year (:attr:`Scenario.headline_year`),
        by realized outcome."""
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
        j = s.years.index(s.headline_year)
        share, revenue = self.values("share")[:, :, j], self.values("revenue")[:, :, j]
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

    def to_netcdf(self, path: str | Path) -> None:
        """Save :attr:`data` compressed, floats as ``float32`` (what ``forecast run`` writes
        as ``forecast.nc``; see :func:`forecast.engine.dataset.to_netcdf`). Read it back
        with ``xarray.open_datatree(path)``, or with ArviZ."""
        to_netcdf(self.data, path)

    # --- thin delegations to the stages that own the work (see DELEGATED) ----

    def sensitivity(self, target: str, **kwargs: Any) -> pd.DataFrame:
        """Variance-based indices of every uncertain input for ``target``, from these draws.

        ``target`` is e.g. ``"market.developer_tools@2027"``, ``"total@2027"``,
        ``"revenue.deepseek_devtools@2027"`` or ``"outcome.independence"``; see
        :func:`forecast.analysis.sensitivity.sensitivity`.
        """
        out: pd.DataFrame = _delegate("sensitivity")(self, target, **kwargs)
        return out

    def exceedance(self, target: str, points: int = 101) -> pd.DataFrame:
        """``P(X > x)`` over a grid of ``x`` for a target (``"total@2028"``): see
        :func:`forecast.analysis.exceedance.exceedance`."""
        out: pd.DataFrame = _delegate("exceedance")(self, target, points)
        return out

    def tornado(self, target: str, **kwargs: Any) -> pd.DataFrame:
        """The target with each input at its 10th and 90th percentile, others at their
        medians; see :func:`forecast.analysis.tornado.tornado`."""
        out: pd.DataFrame = _delegate("tornado")(self, target, **kwargs)
        return out

    def decision(self, values: Any = None, options: list[str] | None = None) -> Any:
        """The decision table of the scenario's ``[[options]]`` (or of payoff draws
        ``values``, ``(options, draws)``); see :func:`forecast.analysis.decision.decision`."""
        return _delegate("decision")(self, values, options)

    def value_of_information(self, values: Any = None, **kwargs: Any) -> pd.DataFrame:
        """EVPI, EVPPI (outcome, each input) and EVSI (signposts, evidence plans), in the
        payoff's unit with MCSE; see :func:`forecast.analysis.voi.value_of_information`."""
        out: pd.DataFrame = _delegate("value_of_information")(self, values, **kwargs)
        return out

    def discover(self, target: str, values: Any = None, **kwargs: Any) -> pd.DataFrame:
        """Where ``target`` (``option.<id>``, ``prediction.<id>``, ``outcome.<id>``) holds,
        as PRIM boxes; see :func:`forecast.analysis.discovery.discover`."""
        out: pd.DataFrame = _delegate("discover")(self, target, values, **kwargs)
        return out

    def write_tables(self, folder: str | Path) -> None:
        """Write ``markets.csv``, ``outcomes.csv`` and ``predictions.csv``."""
        _delegate("write_csv_tables")(
            folder,
            {"markets": self.markets(), "outcomes": self.outcomes(), "predictions": self.predictions()}
            | ({"metrics": self.metrics()} if self.scenario.metrics else {}),
            optional={"metrics": ["year"]},  # empty for a metric that is one number
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
    "exceedance": "forecast.analysis.exceedance:exceedance",
    "metrics": "forecast.analysis.metrics:metric_table",
    "tornado": "forecast.analysis.tornado:tornado",
    "decision": "forecast.analysis.decision:decision",
    "value_of_information": "forecast.analysis.voi:value_of_information",
    "discover": "forecast.analysis.discovery:discover",
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

    Raises
    ------
    forecast.ScenarioError
        A ``ValueError`` listing every problem: an argument out of range or of the
        wrong type (``draws`` from 100 to 10,000,000, ``seed`` from 0 to 2**64 - 1),
        a run that would not fit in memory (with the largest draws that fit), or
        results that are not finite numbers (:class:`~forecast.errors.NonFiniteError`).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> fc = forecast.simulate(s, draws=1000, seed=1)  # doctest: +SKIP
    >>> fc.outcomes()[["outcome", "probability"]]  # doctest: +SKIP
    """
    check_arguments(scenario, draws=draws, seed=seed, prior_only=prior_only, sampler=sampler)
    draws = scenario.simulation.draws if draws is None else draws
    seed = scenario.simulation.seed if seed is None else seed
    # the model's data once: the memory check, the simulation and the Dataset's
    # coordinates each built it again (~8 ms each, a third of the wrapping at 20,000 draws)
    t0 = time.perf_counter()
    data = model_data(scenario)
    data_seconds = time.perf_counter() - t0
    check_memory(scenario, draws, prior_only, coords=data.coords)
    computed = compute(
        scenario,
        draws=draws,
        seed=seed,
        prior_only=prior_only,
        sampler=sampler,
        progress=progress,
        data=data,
        data_seconds=data_seconds,
    )
    fc = Forecast.of(computed)
    problems = non_finite_draws(fc)
    if problems:
        raise NonFiniteError(problems)
    return fc


def check_arguments(
    scenario: Any, *, draws: Any = None, seed: Any = None, prior_only: Any = False, sampler: Any = None
) -> None:
    """Check :func:`simulate`'s arguments as the command line checks its options.

    Raises :class:`~forecast.errors.ScenarioError` (a ``ValueError``) listing every
    problem: ``draws=-1`` failed deep inside, ``draws=0`` silently meant the file's
    value and ``draws=True`` one draw.

    Examples
    --------
    >>> check_arguments(None, draws=True)
    Traceback (most recent call last):
    ...
    forecast.errors.ScenarioError: simulate(): scenario: must be a Scenario (from forecast.load) (got None)
    simulate(): draws: must be a whole number from 100 to 10,000,000 (got True)
    """
    from forecast.scenario.schema import Simulation

    where = "simulate()"
    problems = []
    if not isinstance(scenario, Scenario):
        problems.append(
            Problem.with_value(where, "scenario", "must be a Scenario (from forecast.load)", scenario)
        )
    lo, hi = _bounds(Simulation, "draws")
    if draws is not None and (not _is_int(draws) or not lo <= draws <= hi):
        problems.append(
            Problem.with_value(where, "draws", f"must be a whole number from {lo:,} to {hi:,}", draws)
        )
    lo, hi = _bounds(Simulation, "seed")
    if seed is not None and (not _is_int(seed) or not lo <= seed <= hi):
        problems.append(
            Problem.with_value(where, "seed", f"must be a whole number from {lo} to 2**64 - 1", seed)
        )
    if not isinstance(prior_only, bool):
        problems.append(Problem.with_value(where, "prior_only", "must be True or False", prior_only))
    if sampler is not None and sampler not in ("nutpie", "pymc"):
        problems.append(Problem.with_value(where, "sampler", 'must be "nutpie" or "pymc"', sampler))
    if problems:
        raise ScenarioError(problems)


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _bounds(model: Any, name: str) -> tuple[int, int]:
    """The ``ge``/``le`` bounds of an integer field of a pydantic model."""
    meta = model.model_fields[name].metadata
    lo = next(m.ge for m in meta if getattr(m, "ge", None) is not None)
    hi = next(m.le for m in meta if getattr(m, "le", None) is not None)
    return int(lo), int(hi)


#: two-sided tail probability below which an observation conflicts with the prior
CONFLICT_TAIL = 0.001


def prior_data_conflicts(fc: Forecast) -> list[str]:
    """Evidence that sits far in the tail of the prior predictive: a prior–data conflict.

    For each ``[[evidence]]`` item the prior predictive probability of seeing a value
    at most the observed one is the mean over prior draws of
    ``Phi((log value - log size) / rel_error)``; below ``CONFLICT_TAIL / 2`` or above
    ``1 - CONFLICT_TAIL / 2`` the evidence and the stated inputs disagree, and the
    posterior settles somewhere neither supports (evidence 1000x the projection once
    became a quiet 900x jump in one year). The answer is still computed; this says
    to check the value, its unit and ``rel_error``, or the inputs.

    Examples
    --------
    >>> prior_data_conflicts(fc)  # doctest: +SKIP
    ['Prior–data conflict: evidence[0] (developer_tools in 2025: 8.2e+03) ...']
    """
    if not fc.scenario.evidence or "prior" not in fc.data.children:
        return []
    from scipy.special import ndtr

    prior = fc.data["prior"].to_dataset()
    if "market_size" not in prior:
        return []
    size = prior["market_size"]
    out = []
    for j, ev in enumerate(fc.scenario.evidence):
        with np.errstate(divide="ignore"):
            x = np.log(size.sel(market=ev.market, year=ev.year).values.ravel())
        tail = float(np.mean(ndtr((np.log(ev.value) - x) / ev.rel_error)))
        if CONFLICT_TAIL / 2 <= tail <= 1 - CONFLICT_TAIL / 2:
            continue
        lo, hi = np.quantile(np.exp(x), [0.05, 0.95])
        side = "above" if tail > 0.5 else "below"
        chance = min(tail, 1 - tail)
        shown = f"{chance:.1e}" if chance >= 1e-12 else "below 1e-12"
        out.append(
            f"Prior–data conflict: evidence[{j}] ({ev.market} in {ev.year}: {ev.value:.3g}) is {side} "
            f"what the scenario expected (its 90% prior interval is {lo:.3g} to {hi:.3g}; chance of a value "
            f"this far out {shown}). The forecast follows the evidence; check its value, "
            "unit and rel_error, or the market's inputs."
        )
    return out


#: outputs that may be infinite: an event with probability 0 never happens (time inf)
_MAY_BE_INFINITE = ("event_time",)


def non_finite_draws(fc: Forecast) -> list[Problem]:
    """Recorded draws that are NaN, infinite where a number is expected, or so large that
    their summaries cannot be computed (a square of them overflows a float).

    Examples
    --------
    >>> non_finite_draws(fc)  # doctest: +SKIP
    []
    """
    out = []
    # the sampler's statistics may hold NaN by design; every group of draws is checked
    groups = ("prior", "prior_predictive", "posterior", "posterior_predictive")
    for group in groups:
        if group not in fc.data.children:
            continue
        for name, da in fc.data[group].to_dataset().data_vars.items():
            if da.dtype.kind != "f":
                continue
            values = da.values
            if _plainly_finite(values):
                continue
            # a lag's first years are NaN by design: the cells a formula leaves undefined
            # (zeroing them needs the metrics' formula data: only when something is off)
            values = undefined_as_zero(fc.scenario, str(name), values)
            if _plainly_finite(values):
                continue
            bad = np.isnan(values) if name in _MAY_BE_INFINITE else ~np.isfinite(values)
            with np.errstate(invalid="ignore"):
                huge = np.abs(np.where(np.isfinite(values), values, 0.0)) > MAX_MAGNITUDE
            if bad.any():
                what = f"is not a finite number in {bad.mean():.2%} of its values"
            elif huge.any():
                what = (
                    f"exceeds {MAX_MAGNITUDE:.0e} in {huge.mean():.2%} of its values, too large to summarise"
                )
            else:
                continue
            out.append(
                Problem(
                    fc.scenario.origin,
                    "",
                    f"the simulated {name} {what}: the inputs are beyond what can be computed "
                    "(check sizes, rates and confidence)",
                )
            )
    return out


def _plainly_finite(values: np.ndarray) -> bool:
    """Whether every value is a number no larger than :data:`MAX_MAGNITUDE`, from two
    reductions (a NaN propagates into both) and no temporary array: the masks of
    :func:`non_finite_draws` are built only when this says no (at 1e6 draws they cost
    several copies of every variable); an infinity, allowed or not, goes to the masks.

    >>> _plainly_finite(np.array([1.0, -2.0])), _plainly_finite(np.array([1.0, np.inf]))
    (True, False)
    """
    if values.size == 0:
        return True
    lo, hi = float(np.min(values)), float(np.max(values))
    return max(-lo, hi) <= MAX_MAGNITUDE  # False for NaN, and for inf (left to the masks)


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


def _sig(x: float) -> str:
    return f"{x:.3g}"


def _quantile_rows(name: str, years: list[int], x: np.ndarray) -> list[dict[str, Any]]:
    qs = np.quantile(x, QUANTILES, axis=0)
    # an overflow gives inf, which the CSV writer refuses with the row and column named
    with np.errstate(over="ignore", invalid="ignore"):
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
