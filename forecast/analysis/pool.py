"""Several analysts, one forecast: linear and logarithmic opinion pools of scenario files.

:class:`Pool` takes the forecasts of several analysts' files on one subject (checked by
:func:`forecast.analysis.pool_weights.subject_problems`) and their weights:

- **linear pool** (every quantity): a mixture of the analysts' draws in proportion to
  their weights, done generically over every variable of their draws, so every table
  of a single run (markets, shares, revenue, outcomes, predictions, metrics) exists for
  the pool (:attr:`Pool.forecast`). Which analyst each pooled draw comes from is fixed by
  deterministic stratified counts (largest remainder of ``weight x draws``, interleaved),
  not by a random pick: the pool holds exactly the stated proportions, so no
  multinomial noise is added to its Monte Carlo error, and it needs no seed of its own.
  Pooled draw ``r`` is draw ``r`` of its analyst, so no two pooled draws share random
  numbers even when the analysts ran with one seed. The MCSE reported (``sd / sqrt(n)``
  over the pooled draws) includes the spread between analysts, which stratification
  removes from the error: an upper bound, never an understatement.
- **logarithmic pool** (``method="log"``, outcome probabilities and event
  predictions): the normalised weighted geometric mean of the odds, optionally
  extremized (odds to the power ``d``); see :func:`log_pool`. Markets stay a linear
  pool: a geometric mean of densities of market sizes would be a narrower distribution
  than any analyst's (it multiplies their agreement), and "extremizing" a market size
  has no meaning; the log pool answers "how likely", not "how big".

A prediction only some analysts make is pooled over those who make it (their weights,
renormalised); its draws then come from those analysts alone and are not joint with the
other predictions' draws.

Examples
--------
>>> import forecast
>>> a = forecast.load("scenarios/team/analyst-a.toml")  # doctest: +SKIP
>>> p = forecast.pool(["scenarios/team/analyst-a.toml", "scenarios/team/analyst-b.toml"])  # doctest: +SKIP
>>> p.outcomes()[["outcome", "probability", "mcse"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from forecast.analysis.results import OUTCOME_COLUMNS, PREDICTION_COLUMNS, Forecast
from forecast.engine.dataset import pooled

if TYPE_CHECKING:
    import xarray as xr

Method = Literal["linear", "log"]
SAMPLE_DIMS = ("chain", "draw")
ANALYST_COLUMNS = ["analyst", "file", "weight", "draws", "pooled_draws", "seed", "method"]
DISAGREEMENT_COLUMNS = ["kind", "id", "label", "analyst", "value", "pool", "spread", "sd", "made_by"]
#: what the report says of each method
METHOD_TEXT = {
    "linear": "linear pool: the weighted mixture of the analysts' draws, for every quantity",
    "log": (
        "logarithmic pool for outcome probabilities and event predictions (the normalised weighted "
        "geometric mean of the odds{ext}); markets, shares, revenue and metrics stay a linear pool, "
        "since a product of market-size densities is narrower than any analyst's and has no odds to extremize"
    ),
}


# --- the arithmetic ----------------------------------------------------------------


def mixture_counts(weights: np.ndarray, n: int) -> np.ndarray:
    """How many of ``n`` pooled draws come from each analyst: ``weights x n`` rounded by
    largest remainder, so the counts sum to ``n`` and each is within 1 of its share.

    Examples
    --------
    >>> mixture_counts(np.array([0.5, 0.3, 0.2]), 7).tolist()
    [4, 2, 1]
    """
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * n
    counts = np.floor(exact).astype(int)
    short = n - int(counts.sum())
    # ties broken by analyst order, so the counts are reproducible
    order = np.lexsort((np.arange(len(w)), -(exact - counts)))
    counts[order[:short]] += 1
    return counts


def mixture_sources(counts: np.ndarray) -> np.ndarray:
    """The analyst of each pooled draw: each analyst's draws spread evenly over the pool
    (analyst ``i``'s ``j``-th at position ``(j + 1/2) / count_i``), so any stretch of
    the pool holds the stated proportions (a systematic, stratified mixture).

    Examples
    --------
    >>> mixture_sources(np.array([2, 1])).tolist()
    [0, 1, 0]
    """
    analyst = np.repeat(np.arange(len(counts)), counts)
    position = np.concatenate([(np.arange(c) + 0.5) / c for c in counts if c > 0] or [np.empty(0)])
    return np.asarray(analyst[np.lexsort((analyst, position))])


def log_pool(p: np.ndarray, weights: np.ndarray, extremize: float = 1.0) -> np.ndarray:
    """The logarithmic opinion pool of analysts' probabilities, optionally extremized.

    ``p`` is (analysts, K) probabilities of K exclusive, exhaustive alternatives (K = 2
    for a prediction: ``[p, 1 - p]``). The pool is ``prod_i p_ik^(w_i d)``, normalised
    over k: for two alternatives the weighted geometric mean of the odds, raised to ``d``
    (``d > 1`` extremizes, as in the Good Judgment Project's aggregates).

    Examples
    --------
    >>> log_pool(np.array([[0.8, 0.2], [0.5, 0.5]]), np.array([0.5, 0.5])).round(4).tolist()
    [0.6667, 0.3333]
    """
    p = np.asarray(p, dtype=float)
    w = np.asarray(weights, dtype=float)[:, None]
    with np.errstate(divide="ignore"):
        logp = np.where(w > 0, w * np.log(p), 0.0).sum(axis=0) * extremize
    logp -= logp.max()
    q = np.exp(logp)
    return np.asarray(q / q.sum())


def log_pool_mcse(
    p: np.ndarray,
    mcse: np.ndarray,
    weights: np.ndarray,
    extremize: float = 1.0,
    corr: np.ndarray | None = None,
) -> np.ndarray:
    """The Monte Carlo error of :func:`log_pool` by the delta method: an upper bound.

    The analysts' runs may share random numbers (one seed), so their contributions
    add as standard deviations (exact for identical runs, an upper bound for any
    correlation between them). Within a run the errors of the K probabilities
    are correlated (they sum to one): ``corr`` is (analysts, K, K), the correlation of
    each analyst's draws, by default ``-1 / (K - 1)`` between alternatives (exact for
    K = 2, where ``p`` and ``1 - p`` move together). With ``z_k = d sum_i w_i log p_ik``
    and the pool ``q = softmax(z)``, the gradient of ``q_k`` in analyst i's
    probabilities is ``g_ij = q_k (δ_kj - q_j) d w_i / p_ij`` and the error
    ``sum_i sqrt(g_i' C_i g_i)`` with ``C_i = diag(mcse_i) corr_i diag(mcse_i)``.

    Examples
    --------
    >>> float(log_pool_mcse(np.array([[0.5, 0.5]]), np.array([[0.01, 0.01]]), np.array([1.0]))[0])
    0.01
    """
    p, m = np.asarray(p, dtype=float), np.asarray(mcse, dtype=float)
    n, k = p.shape
    if corr is None:
        one = np.full((k, k), -1.0 / (k - 1) if k > 1 else 0.0)
        np.fill_diagonal(one, 1.0)
        corr = np.broadcast_to(one, (n, k, k))
    cov = m[:, :, None] * np.asarray(corr, dtype=float) * m[:, None, :]
    q = log_pool(p, weights, extremize)
    dz = extremize * np.asarray(weights, dtype=float)[:, None] / p  # (analysts, K): dz_j / dp_ij
    jac = q[:, None] * (np.eye(k) - q[None, :])  # dq_k / dz_j
    g = jac[None, :, :] * dz[:, None, :]  # (analysts, k, j)
    each = np.sqrt(np.maximum(np.einsum("ikj,ijl,ikl->ik", g, cov, g), 0.0))  # (analysts, k)
    # the analysts' errors add as SDs, not variances: runs with one seed share random
    # numbers, and a sum of SDs bounds the error whatever the correlation between runs
    return np.asarray(each.sum(axis=0))


def draw_correlation(q: np.ndarray) -> np.ndarray:
    """The correlation matrix of draws ``q`` (draws, K); a constant column correlates with
    nothing (0, and 1 with itself).

    Examples
    --------
    >>> draw_correlation(np.array([[0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])).round(6).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(np.asarray(q, dtype=float).T)
    c = np.nan_to_num(np.atleast_2d(c), nan=0.0)
    np.fill_diagonal(c, 1.0)
    return c


# --- the pool ------------------------------------------------------------------------


@dataclass
class Pool:
    """Several analysts' forecasts of one subject as one forecast.

    Attributes
    ----------
    forecasts : list of Forecast
        One per analyst, in the order given.
    names : list of str
        The analysts' names (file stems), unique.
    weights : numpy.ndarray
        Non-negative, summing to 1.
    method : {"linear", "log"}
    extremize : float
        ``d`` of the log pool (1: none).
    weight_source : str
        ``equal``, ``given`` or ``score``.
    scores : pandas.DataFrame or None
        The track record behind ``score`` weights.
    forecast : Forecast
        The linear pool as a :class:`Forecast` (every table of a run).
    notes : list of str
        What the report says about how the pool was made.
    """

    forecasts: list[Forecast]
    names: list[str]
    weights: np.ndarray
    method: Method = "linear"
    extremize: float = 1.0
    weight_source: str = "equal"
    scores: pd.DataFrame | None = None
    forecast: Forecast = field(init=False)
    notes: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=float)
        if len(self.forecasts) != len(self.names) or len(self.weights) != len(self.names):
            raise ValueError("one name and one weight per forecast")
        if self.method not in ("linear", "log"):
            raise ValueError(f"method must be 'linear' or 'log' (got {self.method!r})")
        if not (np.all(self.weights >= 0) and abs(self.weights.sum() - 1) <= 1e-6):
            raise ValueError(f"weights must be non-negative and sum to 1 (got {self.weights.tolist()})")
        if not (np.isfinite(self.extremize) and self.extremize > 0):
            raise ValueError(f"extremize must be a positive number (got {self.extremize})")
        if self.method == "linear" and self.extremize != 1:
            raise ValueError("extremize applies to the log pool only (method='log')")
        from forecast.analysis.pool_weights import subject_problems
        from forecast.errors import ScenarioError

        if problems := subject_problems([fc.scenario for fc in self.forecasts], self.names):
            raise ScenarioError(problems)
        self.forecast = self._mixture()

    @property
    def n_draws(self) -> int:
        """Pooled draws: the fewest any analyst has (each pooled draw is a distinct draw)."""
        return min(fc.n_draws for fc in self.forecasts)

    @property
    def description(self) -> str:
        ext = f", extremized: odds to the power {self.extremize:g}" if self.extremize != 1 else ""
        return METHOD_TEXT[self.method].format(ext=ext)

    # --- the linear mixture ----------------------------------------------------------

    def _mixture(self) -> Forecast:
        import xarray as xr

        fcs, n = self.forecasts, self.n_draws
        conditioned = any(fc.conditioned for fc in fcs)
        groups = ("posterior", "posterior_predictive") if conditioned else ("prior", "prior_predictive")
        draws = [fc.draws for fc in fcs]
        names: list[str] = []
        for ds in draws:
            names += [str(v) for v in ds.data_vars if v not in names and ds[v].dims[:2] == SAMPLE_DIMS]
        parts: dict[str, dict[str, xr.DataArray]] = {g: {} for g in groups}
        for name in names:
            arrays = [ds[name] if name in ds.data_vars else None for ds in draws]
            first = next(i for i, a in enumerate(arrays) if a is not None)
            own = fcs[first].data[_groups_of(fcs[first])[0]]
            parts[groups[0] if name in own.data_vars else groups[1]][name] = self._mix(name, arrays, n)
        scenario = self._scenario()
        attrs = {**fcs[0].data[_groups_of(fcs[0])[0]].attrs, "pool_of": ", ".join(self.names)}
        tree = xr.DataTree.from_dict(
            {f"/{g}": xr.Dataset(parts[g], attrs=attrs) for g in groups}
            | {"/constant_data": self._constant_data()}
        )
        pooled_fc = Forecast(scenario, tree, fcs[0].seed, {}, None, False)
        return pooled_fc

    def _mix(self, name: str, arrays: list[xr.DataArray | None], n: int) -> xr.DataArray:
        """One variable's pooled draws; per coordinate when the analysts' coordinates
        differ (a prediction only some make), over the analysts that have it."""
        import xarray as xr

        present = [i for i, a in enumerate(arrays) if a is not None]
        ref = arrays[present[0]]
        assert ref is not None
        other = [d for d in ref.dims if d not in SAMPLE_DIMS]
        differing = [
            d
            for d in other
            if any(not np.array_equal(arrays[i][d].values, ref[d].values) for i in present)  # type: ignore[index]
        ]
        if not differing:
            return self._mix_same(name, arrays, present, n)
        dim = differing[0]
        union: list[Any] = []
        for i in present:
            union += [c for c in arrays[i][dim].values.tolist() if c not in union]  # type: ignore[index]
        pieces = []
        for c in union:
            makers = [i for i in present if c in arrays[i][dim].values.tolist()]  # type: ignore[index]
            sub = [a.sel({dim: [c]}) if a is not None and i in makers else None for i, a in enumerate(arrays)]
            pieces.append(self._mix_same(name, sub, makers, n))
        return xr.concat(pieces, dim=dim)

    def _mix_same(
        self, name: str, arrays: list[xr.DataArray | None], present: list[int], n: int
    ) -> xr.DataArray:
        import xarray as xr

        w = self.weights[present]
        if w.sum() <= 0:  # only analysts of weight 0 have it: they share it equally
            self.notes.append(f"{name}: made only by analysts of weight 0, pooled over them equally")
            w = np.ones(len(present))
        source = np.asarray(present)[mixture_sources(mixture_counts(w, n))]
        ref = arrays[present[0]]
        assert ref is not None
        flat = {i: pooled(np.asarray(arrays[i].values))[:n] for i in present}  # type: ignore[union-attr]
        out = np.empty((n, *flat[present[0]].shape[1:]), dtype=flat[present[0]].dtype)
        for i in present:
            rows = source == i
            out[rows] = flat[i][rows]  # pooled draw r is draw r of its analyst
        dims = ("chain", "draw", *[d for d in ref.dims if d not in SAMPLE_DIMS])
        coords = {d: ref[d].values for d in dims[2:] if d in ref.coords}
        return xr.DataArray(out[None], dims=dims, coords={"chain": [0], "draw": np.arange(n), **coords})

    def _scenario(self) -> Any:
        """The first analyst's scenario, with every analyst's predictions (first's order,
        then others' new ones), so the pooled tables list every prediction."""
        first = self.forecasts[0].scenario
        predictions = list(first.predictions)
        for fc in self.forecasts[1:]:
            predictions += [p for p in fc.scenario.predictions if p.id not in {q.id for q in predictions}]
        return first.model_copy(update={"predictions": predictions})

    def _constant_data(self) -> xr.Dataset:
        ds = self.forecasts[0].data["constant_data"].to_dataset().copy()
        if "outcome_stated" in ds:
            ds["outcome_stated"] = ("outcome", self.stated())
        return ds

    def stated(self) -> np.ndarray:
        """The weighted mean of the analysts' stated outcome probabilities."""
        s = self.forecasts[0].scenario
        if not s.assessment:
            return np.empty(0)
        # an outcome stated without a single value has no stated mean: NaN (an empty cell)
        rows = []
        for fc in self.forecasts:
            assert fc.scenario.assessment is not None  # same outcomes in every file (checked)
            rows.append([o.probability.value for o in fc.scenario.assessment.outcomes])
        stated = np.array([[np.nan if v is None else float(v) for v in row] for row in rows])
        return np.asarray(self.weights @ stated)

    # --- tables --------------------------------------------------------------------

    def analysts(self) -> pd.DataFrame:
        """One row per analyst: file, weight, draws and how many pooled draws are theirs."""
        counts = mixture_counts(self.weights, self.n_draws)
        rows = [
            {
                "analyst": name,
                "file": fc.scenario.origin,
                "weight": float(w),
                "draws": fc.n_draws,
                "pooled_draws": int(c),
                "seed": fc.seed,
                "method": "nuts" if fc.conditioned else "forward",
            }
            for name, fc, w, c in zip(self.names, self.forecasts, self.weights, counts, strict=True)
        ]
        return pd.DataFrame(rows, columns=ANALYST_COLUMNS)

    def markets(self) -> pd.DataFrame:
        """Markets, shares and revenue of the linear pool (with either method)."""
        return self.forecast.markets()

    def outcomes(self) -> pd.DataFrame:
        """Outcome probabilities of the pool, ``stated`` the weighted mean of the analysts'.

        Linear: the mixture's table. Log: ``probability`` is :func:`log_pool` of the
        analysts' probabilities, ``mcse`` by :func:`log_pool_mcse`, and ``q05``/``q95``
        the quantiles of the log pool applied draw by draw (analyst ``i``'s draw ``r``
        with the others' draw ``r``: independent runs, so a sample of their joint
        uncertainty).
        """
        df = self.forecast.outcomes()
        if not len(df):
            return df
        df["stated"] = self.stated()
        if self.method == "log":
            tables = [fc.outcomes() for fc in self.forecasts]
            p = np.array([t["probability"].to_numpy(float) for t in tables])
            m = np.array([t["mcse"].to_numpy(float) for t in tables])
            df["probability"] = log_pool(p, self.weights, self.extremize)
            corr = np.array([draw_correlation(fc.values("outcome_probability")) for fc in self.forecasts])
            df["mcse"] = log_pool_mcse(p, m, self.weights, self.extremize, corr)
            draws = self._paired_log_pool()
            df["q05"], df["q95"] = np.quantile(draws, 0.05, axis=0), np.quantile(draws, 0.95, axis=0)
        return df[OUTCOME_COLUMNS]

    def _paired_log_pool(self) -> np.ndarray:
        n = self.n_draws
        q = np.stack([fc.values("outcome_probability")[:n] for fc in self.forecasts])  # (analysts, n, K)
        w = self.weights[:, None, None]
        with np.errstate(divide="ignore"):
            z = np.where(w > 0, w * np.log(q), 0.0).sum(axis=0) * self.extremize
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def predictions(self) -> pd.DataFrame:
        """Each prediction's pooled probability over the analysts who make it.

        Linear: the mixture's table. Log: :func:`log_pool` of ``[p, 1 - p]`` with the
        makers' weights renormalised (threshold predictions too: a probability is a
        probability, however it was simulated).
        """
        df = self.forecast.predictions()
        if self.method == "linear" or not len(df):
            return df
        for r, pid in enumerate(df["id"]):
            p, m, w = self._made(pid)
            pair = np.stack([p, 1 - p], axis=1)
            df.loc[r, "probability"] = float(log_pool(pair, w, self.extremize)[0])
            df.loc[r, "mcse"] = float(log_pool_mcse(pair, np.stack([m, m], axis=1), w, self.extremize)[0])
        return df[PREDICTION_COLUMNS]

    def _made(self, pid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The probabilities, errors and renormalised weights of the analysts making ``pid``."""
        p, m, w = [], [], []
        for fc, wi in zip(self.forecasts, self.weights, strict=True):
            t = fc.predictions()
            row = t[t["id"] == pid]
            if len(row):
                p.append(float(row["probability"].iloc[0]))
                m.append(float(row["mcse"].iloc[0]))
                w.append(float(wi))
        ww = np.array(w) if sum(w) > 0 else np.ones(len(w))
        return np.array(p), np.array(m), ww / ww.sum()

    def write_report(self, folder: Any, **kwargs: Any) -> Any:
        """Write the pool's report folder (see :func:`forecast.outputs.pool_report.write_pool_report`)."""
        import importlib

        return importlib.import_module("forecast.outputs.pool_report").write_pool_report(
            self, folder, **kwargs
        )


def _groups_of(fc: Forecast) -> tuple[str, str]:
    return ("posterior", "posterior_predictive") if fc.conditioned else ("prior", "prior_predictive")


def pool_names(paths: Sequence[Any]) -> list[str]:
    """Analyst names from file paths: the file's stem, made unique.

    Examples
    --------
    >>> pool_names(["team/alice.toml", "bob.toml", "x/alice.toml"])
    ['alice', 'bob', 'alice#2']
    """
    from pathlib import Path

    from forecast.analysis.comparison import unique_names

    return unique_names([Path(str(p)).stem for p in paths])


def pool(
    sources: Sequence[Any],
    *,
    weights: str | Sequence[float] | dict[str, float] = "equal",
    method: Method = "linear",
    extremize: float = 1.0,
    resolutions: Any = None,
    draws: int | None = None,
    seed: int | None = None,
    names: Sequence[str] | None = None,
) -> Pool:
    """Pool several analysts' scenario files (or Forecasts) on one subject.

    Parameters
    ----------
    sources : list of path or Forecast
        Two or more files with the same ``id``, outcomes, markets and years.
    weights : "equal", "score", "name=w,..." text, a list (one per source) or a dict by name
        ``score`` weighs by the track record (needs ``resolutions``; see
        :data:`forecast.analysis.pool_weights.WEIGHT_RULE`).
    method : {"linear", "log"}
    extremize : float
        Odds to this power in the log pool (1: none).
    resolutions : path, optional
        What happened (as for ``forecast score``).
    draws, seed : int, optional
        For every analyst's run (default: each file's own).
    names : list of str, optional
        The analysts' names (default: the files' stems, made unique).

    Raises
    ------
    forecast.ScenarioError
        Every problem at once: unreadable files, different subjects, bad weights.

    Examples
    --------
    >>> import forecast
    >>> p = forecast.pool(["scenarios/team/analyst-a.toml", "scenarios/team/analyst-b.toml"],
    ...                   method="log", draws=2000)  # doctest: +SKIP
    """
    from forecast.analysis.pool_weights import resolve_weights, subject_problems, weight_problems, weight_spec
    from forecast.analysis.results import simulate
    from forecast.errors import Problem, ScenarioError

    over = {k: v for k, v in (("simulation.draws", draws), ("simulation.seed", seed)) if v is not None}
    scenarios, fcs, problems = _read_sources(sources, over)
    names = (
        list(names)
        if names is not None
        else pool_names([s.scenario.origin if isinstance(s, Forecast) else s for s in sources])
    )
    if len(sources) < 2:
        problems.append(Problem("pool", "", "needs two or more scenario files"))
    if not problems:
        problems = subject_problems(scenarios, names)
    spec = weight_spec(weights, names)
    problems += weight_problems(weights, spec, names) + method_problems(method, extremize)
    if problems:
        raise ScenarioError(problems)
    forecasts = [fcs[i] if i in fcs else simulate(s) for i, s in enumerate(scenarios)]
    w, source, table = resolve_weights(spec, forecasts, names, resolutions)
    return Pool(forecasts, names, w, method, float(extremize), source, table)


def _read_sources(
    sources: Sequence[Any], over: dict[str, Any]
) -> tuple[list[Any], dict[int, Forecast], list[Any]]:
    """The sources' scenarios (files loaded with ``over``), the Forecasts given by
    position, and every problem of the files."""
    from forecast.errors import ScenarioError
    from forecast.scenario import load

    scenarios, problems, fcs = [], [], {}
    for i, src in enumerate(sources):
        if isinstance(src, Forecast):
            fcs[i] = src
            scenarios.append(src.scenario)
            continue
        try:
            scenarios.append(load(src, overrides=over or None))
        except ScenarioError as e:
            problems += e.problems
    return scenarios, fcs, problems


def method_problems(method: Any, extremize: Any) -> list[Any]:
    """``--method`` and ``--extremize`` checked together.

    Examples
    --------
    >>> [str(p) for p in method_problems("log", -1)]
    ['--extremize: must be a positive number (1: none; above 1 extremizes) (got -1)']
    """
    from forecast.errors import Problem

    out = []
    if method not in ("linear", "log"):
        out.append(Problem.with_value("--method", "", "must be linear or log", method))
    ok = isinstance(extremize, int | float) and not isinstance(extremize, bool) and np.isfinite(extremize)
    if not ok or extremize <= 0:
        out.append(
            Problem.with_value(
                "--extremize", "", "must be a positive number (1: none; above 1 extremizes)", extremize
            )
        )
    elif extremize != 1 and method == "linear":
        out.append(
            Problem.with_value("--extremize", "", "applies to the log pool only: add --method log", extremize)
        )
    return out
