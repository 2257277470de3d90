"""Sweeps: many variants of scenarios (a grid of what-ifs, a portfolio of files), their
seeds, one case's summary rows, and the tidy table of every case.

A *case* is one scenario file with one combination of grid values. Its key names it
(``scenario=deepseek; markets.developer_tools.cagr=0.3; assessment.confidence=10``)
and every case uses the sweep's own seed (common random numbers: the same draws
of every latent input in every case, so an output the grid does not touch is
identical across cases and a difference between cases is the grid's effect, not
noise), whichever worker runs it, in whatever order, on whatever cluster. Its *digest* (:attr:`Case.digest`) is the
SHA-256 of its resolved inputs, which hold its draws and seed: a finished case
with the same digest need not run again.

A case runs as ``forecast run`` would run its resolved inputs
(:func:`run_case`): ``forecast run SCENARIO --set KEY=VALUE ... --draws N --seed
<sweep seed>`` gives the same numbers as the case's rows in the sweep table.

Examples
--------
>>> import forecast
>>> grid = parse_grid(["markets.developer_tools.cagr=0.3,0.5", "assessment.confidence=5,20"])
>>> cases = build_cases({"deepseek": forecast.load(forecast.bundled())}, grid, seed=1, draws=1000)
>>> len(cases), cases[0].key
(4, 'markets.developer_tools.cagr=0.3; assessment.confidence=5')
>>> {c.seed for c in cases}
{1}
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.analysis.sweep_rows import chosen_option, criterion_of, decision_rows, metric_series
from forecast.engine.dataset import pooled
from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.engine.executor import Executor
    from forecast.scenario import Scenario

#: the statistics of a market quantity in the sweep table, after ``mean``
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: the sweep table's columns; the swept keys (and ``scenario``) come after ``case_key``
TABLE_COLUMNS = ["status", "seed", "draws", "quantity", "year", "statistic", "value", "mcse", "problem"]
#: a case's decision, beside its rows (empty for a scenario without ``[[options]]``)
DECISION_COLUMNS = ["criterion", "chosen_option"]
#: each option's statistics in a case's rows (``option.<id>``): what every criterion reads
OPTION_STATISTICS = {
    "expected": "expected",
    "q05": None,
    "cvar05": "cvar05",
    "regret": "regret",
    "p_best": "p_best",
}
STATUS_OK, STATUS_INVALID, STATUS_FAILED = "ok", "invalid", "failed"


# --- the grid -----------------------------------------------------------------------


def split_values(text: str) -> list[str]:
    """Split ``V1,V2,...`` on the commas outside brackets, braces and quotes.

    Examples
    --------
    >>> split_values("0.3, 0.5")
    ['0.3', '0.5']
    >>> split_values("{ low = 0.2, high = 0.3 },0.4")
    ['{ low = 0.2, high = 0.3 }', '0.4']
    """
    out, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return out


def parse_value(text: str) -> Any:
    """A grid value, read as ``--set`` reads one: TOML, else text.

    Examples
    --------
    >>> parse_value("0.3"), parse_value("{ low = 1, high = 2 }"), parse_value("bull case")
    (0.3, {'low': 1, 'high': 2}, 'bull case')
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["KEY=V1,V2", ...]`` -> ``{KEY: [v1, v2]}``; raises :class:`ScenarioError`
    listing every malformed item at once.

    Examples
    --------
    >>> parse_grid(["assessment.confidence=5,10,20"])
    {'assessment.confidence': [5, 10, 20]}
    """
    grid: dict[str, list[Any]] = {}
    problems = []
    for item in items:
        key, sep, rest = item.partition("=")
        key = key.strip()
        values = split_values(rest) if sep else []
        if not sep or not key or not rest.strip() or any(v == "" for v in values):
            problems.append(
                Problem.with_value(
                    "--grid", key, "expected KEY=V1,V2,..., e.g. markets.developer_tools.cagr=0.3,0.4", item
                )
            )
            continue
        if key in grid:
            problems.append(Problem("--grid", key, "the same key is swept twice; give its values once"))
            continue
        parsed = [parse_value(v) for v in values]
        canon = [_canonical(v) for v in parsed]
        if len(set(canon)) != len(canon):
            problems.append(Problem.with_value("--grid", key, "a value is listed twice", rest.strip()))
            continue
        grid[key] = parsed
    if problems:
        raise ScenarioError(problems)
    return grid


def _canonical(value: Any) -> str:
    """The value as the case key shows it: ``0.30`` and ``0.3`` are the same case."""
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


# --- cases --------------------------------------------------------------------------


@dataclass
class Case:
    """One case of a sweep: a scenario with some inputs set.

    Attributes
    ----------
    index : int
        Position in the sweep (grid order; rows of the table follow it).
    scenario : str
        Name of the scenario file it starts from.
    settings : dict
        The swept inputs and their values for this case.
    key : str
        ``name=value`` of every swept input (and ``scenario=`` in a portfolio).
    seed, draws : int
    toml : str or None
        Its resolved inputs (what ``scenario.toml`` of its ``forecast run`` holds);
        ``None`` when the case is invalid.
    digest : str or None
        SHA-256 of ``toml``: the resume key.
    problems : list of str
        Why the case is invalid, each naming the key path.
    """

    index: int
    scenario: str
    settings: dict[str, Any]
    key: str
    seed: int
    draws: int
    origin: str = ""
    toml: str | None = None
    digest: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.toml is not None

    def job(self, keep_draws: bool = False) -> dict[str, Any]:
        """What a worker needs to run the case: plain data, no compiled objects.
        ``keep_draws``: send the case's draws back with its rows (``--keep-draws``;
        13 MB a case at 20,000 draws, where its rows are a few kB)."""
        return {
            "toml": self.toml,
            "origin": self.origin,
            "draws": self.draws,
            "seed": self.seed,
            "keep_draws": keep_draws,
        }

    def set_args(self) -> list[str]:
        """The ``--set`` items that make this case from its file (with ``--draws``/``--seed``).

        Examples
        --------
        >>> Case(0, "s", {"assessment.confidence": 5}, "k", 7, 1000).set_args()
        ['--set', 'assessment.confidence=5', '--draws', '1000', '--seed', '7']
        """
        out = []
        for k, v in self.settings.items():
            out += ["--set", f"{k}={_toml_value(v)}"]
        return [*out, "--draws", str(self.draws), "--seed", str(self.seed)]


def warm_texts(cases: Sequence[Case]) -> list[str]:
    """The resolved TOML of the first valid case of each scenario: what a local cluster's
    workers load their simulators from before the first case
    (:meth:`forecast.engine.executor.DaskExecutor.local`'s ``warm``).

    Examples
    --------
    >>> import forecast
    >>> s = {"deepseek": forecast.load(forecast.bundled())}
    >>> len(warm_texts(build_cases(s, {"assessment.confidence": [5, 20]}, seed=0)))
    1
    """
    first: dict[str, str] = {}
    for c in cases:
        if c.toml is not None:
            first.setdefault(c.scenario, c.toml)
    return list(first.values())


def _toml_value(v: Any) -> str:
    import tomli_w

    return tomli_w.dumps({"v": v}).partition("=")[2].strip()


def build_cases(
    scenarios: Mapping[str, Scenario],
    grid: Mapping[str, Sequence[Any]],
    *,
    seed: int,
    draws: int | None = None,
) -> list[Case]:
    """Every (scenario, grid point) case, in order: scenarios first, then the grid's
    product with its last key varying fastest.

    Each case is resolved and validated here (cheap: no model is built), so an
    invalid case is known before any work and carries its problems. ``draws`` of
    ``None`` keeps each case's own ``simulation.draws``.

    Examples
    --------
    >>> import forecast
    >>> s = {"deepseek": forecast.load(forecast.bundled())}
    >>> [c.valid for c in build_cases(s, {"assessment.confidence": [5, -1]}, seed=0)]
    [True, False]
    """
    keys = list(grid)
    portfolio = len(scenarios) > 1
    cases: list[Case] = []
    for name, base in scenarios.items():
        for values in itertools.product(*(grid[k] for k in keys)):
            settings = dict(zip(keys, values, strict=True))
            parts = [f"scenario={name}"] if portfolio else []
            parts += [f"{k}={_canonical(v)}" for k, v in settings.items()]
            key = "; ".join(parts) or f"scenario={name}"
            cases.append(_resolve(len(cases), name, base, settings, key, seed, draws))
    return cases


def _resolve(
    index: int,
    name: str,
    base: Scenario,
    settings: dict[str, Any],
    key: str,
    sweep_seed: int,
    draws: int | None,
) -> Case:
    # common random numbers: every case draws from the sweep's own seed with the same
    # stream layout, so an output the grid does not touch is identical in every case
    # and a difference between cases is the grid's effect, not noise
    seed = sweep_seed
    origin = base.origin
    try:
        # with_overrides names a problem "<file> with <origin>": the grid, not the file again
        s = base.with_overrides(settings, origin="--grid") if settings else base
        n = draws if draws is not None else s.simulation.draws
        # the case's own draws and seed are part of its inputs (and of its digest)
        s = s.with_overrides({"simulation.draws": n, "simulation.seed": seed}, origin="--draws and --seed")
    except ScenarioError as e:
        n = draws if draws is not None else base.simulation.draws
        return Case(index, name, settings, key, seed, n, origin, problems=[str(p) for p in e.problems])
    toml = s.to_toml()
    return Case(index, name, settings, key, seed, n, origin, toml, hashlib.sha256(toml.encode()).hexdigest())


# --- one case -----------------------------------------------------------------------

# A worker process may run several jobs at once on threads; the compiled simulator it
# reuses holds one scenario's data at a time, so its cases take turns.
_LOCK = threading.Lock()


def run_case(job: Mapping[str, Any]) -> dict[str, Any]:
    """Simulate one case from its job data (see :meth:`Case.job`); runs on a worker.

    Returns ``{"rows": [...], "draws": xarray.Dataset or None, "warnings": [...]}``:
    the case's summary rows (:func:`case_rows`) and, when the job asks to keep them,
    its draws.

    Examples
    --------
    >>> import forecast
    >>> case = build_cases({"d": forecast.load(forecast.bundled())}, {}, seed=1, draws=500)[0]
    >>> out = run_case(case.job())  # doctest: +SKIP
    """
    from forecast.analysis.results import simulate
    from forecast.scenario import Scenario

    scenario = Scenario.from_dict(tomllib.loads(job["toml"]), origin=job["origin"])
    with _LOCK:
        fc = simulate(scenario, draws=job["draws"], seed=job["seed"])
    draws = fc.draws if job.get("keep_draws") else None
    return {"rows": case_rows(fc), "draws": draws, "warnings": list(fc.warnings)}


def case_rows(fc: Forecast) -> list[dict[str, Any]]:
    """One case's numbers as tidy rows: ``quantity, year, statistic, value, mcse``.

    - ``outcome.<id>`` and ``prediction.<id>``: ``probability`` with its MCSE, as
      in ``outcomes.csv`` and ``predictions.csv``;
    - ``market.<id>``, ``total``, ``share.<position>``, ``revenue.<position>`` by
      year: ``mean`` and the quantiles ``q05`` ... ``q95`` of ``markets.csv``, each
      with its MCSE (:func:`quantile_mcse`);
    - ``metric.<id>``: the same statistics by year (as ``metrics.csv``), or with no
      year for a metric that is one number per draw;
    - ``option.<id>`` (with ``[[options]]``): ``expected``, ``q05``, ``cvar05``,
      ``regret`` and ``p_best`` of its payoff (the decision table's, every criterion's
      number), and ``decision``: the chosen option's ``expected_payoff`` with its MCSE.

    The values are those of the Forecast's own tables, so a case's rows equal what
    ``forecast run`` writes for it.
    """
    rows: list[dict[str, Any]] = []
    for r in fc.outcomes().itertuples():
        rows.append(_row(f"outcome.{r.outcome}", None, "probability", r.probability, r.mcse))
    for r in fc.predictions().itertuples():
        rows.append(_row(f"prediction.{r.id}", None, "probability", r.probability, r.mcse))
    markets = fc.markets()
    series: list[tuple[str, np.ndarray, list[dict[Any, Any]]]] = [
        (name, x, markets[markets["market"] == name.removeprefix("market.")].to_dict("records"))
        for name, x in _market_draws(fc).items()
    ]
    for name, x, records in series + metric_series(fc):
        mean_se, q_se = _mcse_mean(fc, x), quantile_mcse(fc, x, QUANTILES)
        for j, rec in enumerate(records):
            year = None if pd.isna(rec["year"]) else int(rec["year"])
            rows.append(_row(name, year, "mean", rec["mean"], mean_se[j]))
            for i, q in enumerate(QUANTILES):
                col = f"q{round(q * 100):02d}"
                rows.append(_row(name, year, col, rec[col], q_se[i, j]))
    return rows + decision_rows(fc)


def _row(quantity: str, year: int | None, statistic: str, value: Any, mcse: Any) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "year": year,
        "statistic": statistic,
        "value": float(value),
        "mcse": float(mcse),
    }


def _market_draws(fc: Forecast) -> dict[str, np.ndarray]:
    """The (chain, draw, year) draws behind each row group of ``markets.csv``."""
    s = fc.scenario
    ds = fc.draws
    out = {f"market.{m.id}": ds["market_size"].values[:, :, i, :] for i, m in enumerate(s.markets)}
    if len({m.unit for m in s.markets}) == 1 and len(s.markets) > 1:
        out["total"] = ds["total_market"].values
    for i, p in enumerate(s.positions):
        out[f"share.{p.id}"] = ds["share"].values[:, :, i, :]
        out[f"revenue.{p.id}"] = ds["revenue"].values[:, :, i, :]
    return out


def _mcse_mean(fc: Forecast, x: np.ndarray) -> np.ndarray:
    """MCSE of the mean of each year of ``x`` (chain, draw, year)."""
    if not fc.conditioned:
        n = x.shape[0] * x.shape[1]
        return np.asarray(x.std(axis=(0, 1), ddof=1) / np.sqrt(n))
    import arviz_stats as azs

    return np.array([_az(azs, x[:, :, j], "mean", None) for j in range(x.shape[2])])


def quantile_mcse(fc: Forecast | None, x: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """MCSE of each quantile in ``probs`` of each year of ``x`` (chain, draw, year).

    For independent draws (forward simulation; ``fc`` ``None`` or not conditioned),
    the quantile's own order statistics: the number of draws below the true
    ``p``-quantile is Binomial(n, p), so the central 68% of its Beta(np + 1,
    n(1 - p) + 1) posterior maps, through the sample's quantiles, to an interval
    whose half-width is the standard error (ArviZ's method, with the effective
    sample size equal to n). After NUTS, ArviZ's ``mcse(method="quantile")``,
    which uses the tail ESS of the chains. Shape ``(len(probs), years)``.

    Examples
    --------
    >>> x = np.random.default_rng(1).normal(size=(1, 10_000, 1))
    >>> se = quantile_mcse(None, x, [0.5])[0, 0]
    >>> bool(0.010 < se < 0.015)  # sqrt(0.25 / n) / phi(0) = 0.0125
    True
    """
    # betaincinv(a, b, q) is the Beta(a, b) quantile scipy.stats.beta.ppf returns, to
    # the last bit; importing scipy.stats for it cost a run ~0.6 s of CPU
    from scipy.special import betaincinv

    probs = list(probs)
    if fc is not None and fc.conditioned:
        import arviz_stats as azs

        return np.array([[_az(azs, x[:, :, j], "quantile", p) for j in range(x.shape[2])] for p in probs])
    flat = pooled(x)
    n = flat.shape[0]
    out = np.empty((len(probs), flat.shape[1]))
    for i, p in enumerate(probs):
        a, b = betaincinv(n * p + 1, n * (1 - p) + 1, [0.1586553, 0.8413447])
        lo, hi = np.quantile(flat, [a, b], axis=0)
        out[i] = (hi - lo) / 2
    return out


def _az(azs: Any, x: np.ndarray, method: str, prob: float | None) -> float:
    if np.ptp(x) == 0:
        return 0.0
    return float(azs.mcse(x, method=method, prob=prob))


# --- the table ----------------------------------------------------------------------


def case_frame(case: Case, status: str, rows: Sequence[Mapping[str, Any]], problem: str = "") -> pd.DataFrame:
    """A case's rows with its identity columns (see :func:`sweep_table`)."""
    if not rows:
        rows = [{"quantity": "", "year": None, "statistic": "", "value": np.nan, "mcse": np.nan}]
    df = pd.DataFrame(list(rows), columns=["quantity", "year", "statistic", "value", "mcse"])
    df.insert(0, "problem", problem)
    return df.assign(case=case.index, status=status, seed=case.seed, draws=case.draws)


def sweep_table(
    cases: Sequence[Case], frames: Mapping[int, pd.DataFrame], keys: Sequence[str]
) -> pd.DataFrame:
    """The tidy table of a sweep: one row per case and number, cases in sweep order.

    Columns: ``case`` (its index), ``case_key``, ``scenario``, one column per swept
    input (its value), then :data:`TABLE_COLUMNS` and :data:`DECISION_COLUMNS` (the
    criterion of the case's ``[decision]`` and the option it picks, from the case's
    ``option.<id>`` rows; empty without options). ``status`` is ``ok``,
    ``invalid`` (the inputs do not make a valid scenario; ``problem`` says why,
    naming the key path) or ``failed`` (the case could not be run; ``problem``
    says what happened); such cases have one row with no numbers. An ``ok`` case
    whose NUTS diagnostics missed their thresholds says so in ``problem``.
    """
    parts = []
    for case in cases:
        df = frames[case.index].copy()
        df["case_key"] = case.key
        df["scenario"] = case.scenario
        for k in keys:
            df[k] = _cell(case.settings.get(k))
        criterion = criterion_of(case.toml)
        df["chosen_option"] = chosen_option(df, criterion)
        df["criterion"] = criterion if df["chosen_option"].iloc[0] else ""
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    columns = ["case", "case_key", "scenario", *keys, *TABLE_COLUMNS, *DECISION_COLUMNS]
    out = out[columns]
    out["year"] = out["year"].astype("Int64")
    for k in keys:
        if not pd.api.types.is_numeric_dtype(out[k]):
            out[k] = out[k].astype(str)
    return out.reset_index(drop=True)


def _cell(v: Any) -> Any:
    """A swept value as a table cell: numbers stay numbers, anything else its TOML text."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return _toml_value(v) if not isinstance(v, str) else v
    return v


# --- the Python API -----------------------------------------------------------------


def sweep(
    scenario: str | Path | Scenario,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    scenarios: Sequence[str | Path | Scenario] = (),
    draws: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    max_cases: int = 10_000,
) -> pd.DataFrame:
    """Run every case of a sweep and return its tidy table (see :func:`sweep_table`).

    The same cases, seeds and numbers as ``forecast sweep`` (which also writes the
    draws and a report). Cases run here, one after the other, unless ``workers``
    (as ``forecast sweep --workers``: the cases start here, and a ``LocalCluster`` of
    that many processes is started, and closed here, only once the cases left would
    take more than 10 s here; a script that uses it must guard its work with
    ``if __name__ == "__main__":``),
    ``scheduler`` (the address of a running Dask scheduler) or an ``executor``
    (see :mod:`forecast.engine.executor`) is given. Invalid cases are rows with
    status ``invalid`` and their problem; a malformed grid or file raises
    :class:`~forecast.errors.ScenarioError`.

    Parameters
    ----------
    scenario : path or Scenario
    grid : mapping, optional
        Dotted key -> the values to try, as for ``with_overrides``; several keys
        make their product.
    scenarios : sequence of path or Scenario
        More scenarios: every one is swept over the same grid (a portfolio).
    draws, seed : int, optional
        Draws per case (default: each scenario's) and the sweep's seed (default: the
        first scenario's ``simulation.seed``), which every case uses (common random
        numbers: an output the grid does not touch is the same in every case).
    max_cases : int
        Refuse (:class:`~forecast.errors.ScenarioError`) a grid with more cases.

    Examples
    --------
    >>> import forecast
    >>> df = forecast.sweep(forecast.bundled(), {"assessment.confidence": [5, 20]}, draws=500)  # doctest: +SKIP
    >>> df.query("quantity == 'outcome.independence'")[["assessment.confidence", "value", "mcse"]]  # doctest: +SKIP
    """
    from forecast.analysis.comparison import unique_names
    from forecast.analysis.sweep_arguments import count_cases, sweep_problems
    from forecast.engine.executor import JobFailed, local_cluster_on_demand
    from forecast.scenario import Scenario, load

    grid = {k: list(v) for k, v in (grid or {}).items()}
    problems = sweep_problems(
        workers=workers,
        scheduler=scheduler if executor is None else None,
        draws=draws,
        seed=seed,
        cases=count_cases(grid, 1 + len(scenarios)),
        max_cases=max_cases,
    )
    if problems:
        raise ScenarioError(problems)
    loaded = [s if isinstance(s, Scenario) else load(s) for s in [scenario, *scenarios]]
    named = dict(zip(unique_names([s.id for s in loaded]), loaded, strict=True))
    cases = build_cases(named, grid, seed=loaded[0].simulation.seed if seed is None else seed, draws=draws)
    frames = {c.index: case_frame(c, STATUS_INVALID, [], "; ".join(c.problems)) for c in cases if not c.valid}
    valid = [c for c in cases if c.valid]
    owned = executor is None
    if executor is None:
        if scheduler is not None:
            from forecast.analysis.sweep_arguments import connect

            executor = connect(scheduler)
        else:  # as `forecast sweep --workers N`: a cluster only where it pays
            executor = local_cluster_on_demand(workers or 0, warm=warm_texts(valid))
    try:
        # rows only: the table is all this returns, so no case ships its draws back
        for i, result in executor.map(run_case, [c.job(keep_draws=False) for c in valid]):
            case = valid[i]
            if isinstance(result, JobFailed):
                frames[case.index] = case_frame(case, STATUS_FAILED, [], str(result.error))
            else:
                note = "; ".join(f"diagnostics: {w}" for w in result["warnings"])
                frames[case.index] = case_frame(case, STATUS_OK, result["rows"], note)
    finally:
        if owned:
            executor.close()
    return sweep_table(cases, frames, list(grid))
