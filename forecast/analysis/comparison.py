"""Scenarios side by side: :class:`Comparison`, the tables of ``forecast compare``.

Each scenario is simulated exactly as ``forecast run`` would (its own draws and seed,
or the draws and seed given for all), so every number in a comparison equals the one
in that scenario's own report. The comparison adds the differences from the first
scenario; :mod:`forecast.outputs.comparison` draws and writes it, and
:mod:`forecast.commands.compare` is the command.

Examples
--------
>>> import forecast
>>> base = forecast.load(forecast.bundled("deepseek"))
>>> slow = base.with_overrides({"markets.developer_tools.cagr": 0.30})
>>> cmp = Comparison.simulate([base, slow], names=["base", "slow"], draws=2000)  # doctest: +SKIP
>>> cmp.differences().query("quantity == 'outcome.independence'")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.analysis.results import MARKET_COLUMNS, OUTCOME_COLUMNS, PREDICTION_COLUMNS, simulate
from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.engine.executor import Executor
    from forecast.scenario import Scenario

DIFFERENCE_COLUMNS = [
    "scenario",
    "vs",
    "quantity",
    "year",
    "value",
    "base",
    "difference",
    "mcse",
    "within_noise",
]
#: ``decisions.csv``: the option each scenario's decision picks
DECISION_COLUMNS = [
    "scenario",
    "criterion",
    "chosen_option",
    "label",
    "expected_payoff",
    "expected_payoff_mcse",
    "unit",
    "too_close",
]
#: ``targets.csv``: each ``--target`` in each scenario, and its difference from the first
TARGET_COLUMNS = [
    "target",
    "scenario",
    "statistic",
    "value",
    "mcse",
    "difference",
    "difference_mcse",
    "within_noise",
]
#: what the Monte Carlo error of a difference means (shown under the differences table)
DIFFERENCE_ERROR = (
    "The Monte Carlo error of a difference comes from the paired draws when both scenarios are forward "
    "simulations of one size: with one seed and one stream layout (common random numbers, as in a "
    "what-if of one file) an output the change does not touch differs by exactly 0, with no error, and "
    "any other difference is far more precise than either run alone. Otherwise (NUTS runs, other draw "
    "counts) it is the root sum of squares of the two runs' errors, their standard error as independent "
    "runs. ≈ marks a difference smaller than 2 of its standard errors: within Monte Carlo noise."
)


# --- the comparison -----------------------------------------------------------------


def unit_problems(scenarios: Sequence[Scenario], names: Sequence[str]) -> list[Problem]:
    """A market (or the total) in different units in two scenarios: refused, because a
    comparison subtracts one from the other (USD m minus USD bn is no difference).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled())
    >>> m = s.with_overrides({"markets.developer_tools.unit": "USD m"})
    >>> [p.path for p in unit_problems([s, m], ["base", "in_m"])]
    ['markets.developer_tools.unit']
    """
    problems: list[Problem] = []
    first: dict[str, tuple[str, str]] = {}  # market id -> (unit, name of the first scenario with it)
    for s, name in zip(scenarios, names, strict=True):
        for m in s.markets:
            unit, where = first.setdefault(m.id, (m.unit, name))
            if m.unit != unit:
                problems.append(
                    Problem(
                        s.origin,
                        f"markets.{m.id}.unit",
                        f"is in {m.unit!r} here but in {unit!r} in {where}: a comparison subtracts one "
                        "from the other, so a market needs one unit in every scenario",
                        m.unit,
                    )
                )
    return problems


@dataclass
class Comparison:
    """Forecasts of several scenarios, with names, side by side.

    Attributes
    ----------
    forecasts : list of Forecast
    names : list of str
        Unique, in the order given; the first is the base of every difference.
    """

    forecasts: list[Forecast]
    names: list[str]
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.forecasts) != len(self.names):
            raise ValueError("one name per forecast")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"scenario names must be unique (got {self.names})")

    @classmethod
    def simulate(
        cls,
        scenarios: Sequence[Scenario],
        *,
        names: Sequence[str] | None = None,
        draws: int | None = None,
        seed: int | None = None,
        executor: Executor | None = None,
    ) -> Comparison:
        """Simulate each scenario (its own draws and seed unless given) and compare.

        The runs are independent: an ``executor`` (:mod:`forecast.engine.executor`,
        e.g. a Dask cluster) runs them side by side, each scenario one job (see
        :func:`simulate_each`), with the same numbers as here.

        Examples
        --------
        >>> import forecast
        >>> s = forecast.load(forecast.bundled())
        >>> cmp = Comparison.simulate([s, s.with_overrides({"assessment.confidence": 5})],
        ...                           names=["base", "unsure"], draws=1000)  # doctest: +SKIP
        """
        names = list(names) if names is not None else unique_names([s.id for s in scenarios])
        if len(names) != len(scenarios):
            raise ValueError("one name per scenario")
        if problems := unit_problems(scenarios, names):
            raise ScenarioError(problems)
        fcs: list[Forecast | None] = [None] * len(scenarios)
        timings: dict[str, float] = {}
        for i, fc, seconds in simulate_each(scenarios, draws=draws, seed=seed, executor=executor):
            fcs[i] = fc
            timings[f"simulate.{names[i]}"] = seconds
        return cls([fc for fc in fcs if fc is not None], names, timings)

    @property
    def base(self) -> str:
        return self.names[0]

    def _stack(self, frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        parts = [
            df.assign(scenario=name)[["scenario", *columns]]
            for name, df in zip(self.names, frames, strict=True)
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario", *columns])

    def markets(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.markets`, with a leading ``scenario`` column."""
        return self._stack([fc.markets() for fc in self.forecasts], MARKET_COLUMNS)

    def outcomes(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.outcomes`, with a leading ``scenario`` column."""
        return self._stack([fc.outcomes() for fc in self.forecasts], OUTCOME_COLUMNS)

    def predictions(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.predictions`, with a leading ``scenario`` column."""
        return self._stack([fc.predictions() for fc in self.forecasts], PREDICTION_COLUMNS)

    def metrics(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.metrics` (its ``[[metrics]]``), with a leading
        ``scenario`` column; empty when no scenario has metrics."""
        from forecast.analysis.metrics import METRIC_COLUMNS

        frames = [
            fc.metrics() if fc.scenario.metrics else pd.DataFrame(columns=METRIC_COLUMNS)
            for fc in self.forecasts
        ]
        out = self._stack(frames, METRIC_COLUMNS)
        out["year"] = out["year"].astype("Int64")
        return out

    def decisions(self) -> pd.DataFrame:
        """The option each scenario's decision picks (:data:`DECISION_COLUMNS`): its
        criterion, the chosen option and its expected payoff with its Monte Carlo error,
        and whether the top two are too close to call; scenarios without payoff draws
        (no ``[[options]]``) have no row."""
        from forecast.analysis.paired import payoffs

        rows = []
        for name, fc in zip(self.names, self.forecasts, strict=True):
            if not payoffs(fc):
                continue
            result = fc.decision()
            chosen = result.table.set_index("option").loc[result.chosen]
            rows.append(
                {
                    "scenario": name,
                    "criterion": result.criterion,
                    "chosen_option": result.chosen,
                    "label": chosen["label"],
                    "expected_payoff": float(chosen["expected"]),
                    "expected_payoff_mcse": float(chosen["expected_mcse"]),
                    "unit": result.unit,
                    "too_close": result.too_close,
                }
            )
        return pd.DataFrame(rows, columns=DECISION_COLUMNS)

    def differences(self) -> pd.DataFrame:
        """Each scenario minus the first, for every quantity both have.

        Rows: market medians by year (``quantity`` = ``market.<id>``, ``total``,
        ``share.<position>``, ``revenue.<position>``; ``value``/``base`` are the
        medians), metric medians (``metric.<id>``, by year or one number), outcome
        probabilities (``outcome.<id>``), prediction probabilities (``prediction.<id>``)
        and options' expected payoffs (``option.<id>``). ``mcse`` is the Monte Carlo
        error of the difference (:data:`DIFFERENCE_ERROR`, :mod:`forecast.analysis.paired`):
        from the paired draws when both are forward simulations of one size (common
        random numbers when they share a seed: an output the change does not touch
        differs by exactly 0, with no error), else ``sqrt(mcse_a^2 + mcse_b^2)``.
        ``within_noise``: the difference is smaller than 2 of its errors.
        """
        from forecast.analysis.paired import can_pair, own_errors, paired_errors, within_noise

        rows: list[dict[str, Any]] = []
        base = self.forecasts[0]
        bsum, bown = _summary(base), own_errors(base)
        for name, fc in zip(self.names[1:], self.forecasts[1:], strict=True):
            paired = paired_errors(fc, base) if can_pair(fc, base) else None
            own = own_errors(fc) if paired is None else {}
            for key, (value, mcse) in _summary(fc).items():
                if key not in bsum:
                    continue
                b, bmcse = bsum[key]
                if paired is not None:
                    err = paired.get(key, np.nan)
                else:
                    err = float(np.hypot(own.get(key, mcse), bown.get(key, bmcse)))
                rows.append(_diff(name, self.base, key[0], key[1], value, b, err))
        df = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
        df["year"] = df["year"].astype("Int64")
        df["within_noise"] = within_noise(df["difference"], df["mcse"]).astype(bool)
        return df

    def targets(self, specs: Sequence[str]) -> pd.DataFrame:
        """The key numbers ``specs`` (``--target``: ``metric.<id>@2027``, ``total@2027``,
        ``outcome.<id>`` ..., see :mod:`forecast.analysis.targets`) in every scenario, with
        the difference from the first (:data:`TARGET_COLUMNS`); raises
        :class:`ScenarioError` when a target is not one of every scenario.
        """
        from forecast.analysis.targets import target_key, target_problems

        named = {n: fc.scenario for n, fc in zip(self.names, self.forecasts, strict=True)}
        if problems := target_problems(named, specs):
            raise ScenarioError(problems)
        from forecast.analysis.paired import target_rows

        rows = []
        for spec in specs:
            key = target_key(self.forecasts[0].scenario, spec)
            rows += [{"target": spec, **r} for r in target_rows(self.forecasts, self.names, key)]
        return pd.DataFrame(rows, columns=TARGET_COLUMNS)

    # --- output: thin delegations to forecast.outputs.comparison --------------------

    def write_tables(self, folder: str | Path) -> None:
        """``markets.csv``, ``outcomes.csv``, ``predictions.csv`` and ``differences.csv``."""
        importlib.import_module("forecast.outputs.comparison").write_tables(self, folder)

    def write_report(
        self,
        folder: str | Path,
        *,
        provenance: dict[str, Any] | None = None,
        figures: bool = True,
        targets: Sequence[str] = (),
    ) -> Path:
        """Write the comparison folder in place (``forecast compare`` makes it atomic).

        Returns the path of ``report.html``; see :func:`forecast.outputs.comparison.write_report`.
        """
        out: Path = importlib.import_module("forecast.outputs.comparison").write_report(
            self, folder, provenance=provenance, figures=figures, targets=targets
        )
        return out


def simulate_each(
    scenarios: Sequence[Scenario],
    *,
    draws: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> Iterator[tuple[int, Forecast, float]]:
    """Simulate each scenario; yield ``(index, forecast, seconds)`` as each finishes.

    Without an ``executor`` they run here, in order. With one, each scenario is one
    job carrying data only (:func:`scenario_job`: its resolved inputs as TOML, draws
    and seed), never a compiled object, and a worker compiles or reuses its own
    simulator; the forecast that comes back gets the caller's :class:`Scenario`
    object again (the same resolved inputs, so the same SHA-256). A job's numbers
    depend on its inputs alone, so the tables are byte-identical whatever ran them.
    A scenario that fails raises its error here, as it would in-process.

    Examples
    --------
    >>> import forecast
    >>> from forecast.engine.executor import InProcess
    >>> s = forecast.load(forecast.bundled())
    >>> [i for i, fc, t in simulate_each([s, s], draws=500, executor=InProcess())]  # doctest: +SKIP
    [0, 1]
    """
    if executor is None:
        for i, s in enumerate(scenarios):
            t = time.perf_counter()
            fc = simulate(s, draws=draws, seed=seed)
            yield i, fc, time.perf_counter() - t
        return
    from forecast.engine.executor import JobFailed

    jobs = [scenario_job(s, draws=draws, seed=seed) for s in scenarios]
    # a job's key names all it carries: Dask hands an unreleased future of the same key back
    keys = [f"scenario-{_digest(j)}" for j in jobs]
    for i, out in executor.map(simulate_job, jobs, keys=keys):
        if isinstance(out, JobFailed):
            raise out.error
        fc, seconds = out
        yield i, dataclasses.replace(fc, scenario=scenarios[i]), seconds


def scenario_job(scenario: Scenario, *, draws: int | None = None, seed: int | None = None) -> dict[str, Any]:
    """What a worker needs to simulate ``scenario``: plain data, no compiled objects.

    Examples
    --------
    >>> import forecast
    >>> sorted(scenario_job(forecast.load(forecast.bundled()), draws=500))
    ['draws', 'origin', 'seed', 'toml']
    """
    return {"toml": scenario.to_toml(), "origin": scenario.origin, "draws": draws, "seed": seed}


def _digest(job: Mapping[str, Any]) -> str:
    text = f"{job['toml']}\n{job['draws']}\n{job['seed']}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def simulate_job(job: Mapping[str, Any]) -> tuple[Forecast, float]:
    """Simulate one job of :func:`scenario_job` (runs on a worker); the forecast and
    the seconds it took."""
    from forecast.scenario import Scenario

    t = time.perf_counter()
    scenario = Scenario.from_dict(tomllib.loads(job["toml"]), origin=job["origin"])
    fc = simulate(scenario, draws=job["draws"], seed=job["seed"])
    return fc, time.perf_counter() - t


def _summary(fc: Any) -> dict[tuple[str, int | None], tuple[float, float]]:
    """Every number a comparison differences, from the forecast's own tables:
    ``{(quantity, year): (value, mcse)}`` (a median's error is NaN here: it comes from
    the draws, :func:`forecast.analysis.paired.own_errors`)."""
    from forecast.analysis.paired import payoffs

    out: dict[tuple[str, int | None], tuple[float, float]] = {}
    for r in fc.markets().to_dict("records"):
        out[(market_quantity(str(r["market"])), int(r["year"]))] = (float(r["q50"]), np.nan)
    if getattr(getattr(fc, "scenario", None), "metrics", None):
        for r in fc.metrics().to_dict("records"):
            year = None if pd.isna(r["year"]) else int(r["year"])
            out[(f"metric.{r['metric']}", year)] = (float(r["q50"]), np.nan)
    for r in fc.outcomes().to_dict("records"):
        out[(f"outcome.{r['outcome']}", None)] = (float(r["probability"]), float(r["mcse"]))
    for r in fc.predictions().to_dict("records"):
        out[(f"prediction.{r['id']}", None)] = (float(r["probability"]), float(r["mcse"]))
    if payoffs(fc):
        for r in fc.decision().table.to_dict("records"):
            out[(f"option.{r['option']}", None)] = (float(r["expected"]), float(r["expected_mcse"]))
    return out


def market_quantity(key: str) -> str:
    return key if key == "total" or "." in key else f"market.{key}"


def _diff(
    name: str, base: str, quantity: str, year: int | None, value: Any, b: Any, mcse: Any = np.nan
) -> dict[str, Any]:
    return {
        "scenario": name,
        "vs": base,
        "quantity": quantity,
        "year": year,
        "value": float(value),
        "base": float(b),
        "difference": float(value) - float(b),
        "mcse": float(mcse),
    }


def unique_names(ids: Sequence[str]) -> list[str]:
    """Scenario ids made unique: a repeated id gets ``#2``, ``#3``...

    Examples
    --------
    >>> unique_names(["a", "b", "a"])
    ['a', 'b', 'a#2']
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out
