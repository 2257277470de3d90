"""Were we right? Scores of a scenario's versions against what happened.

:class:`Scorecard` takes the versions of one scenario (see
:mod:`forecast.analysis.history`) and the resolutions (see
:mod:`forecast.analysis.resolutions`) and scores every version that made each
resolved statement before it was resolved (``as_of`` earlier than the resolution
date):

- a prediction that came true or not, an outcome that came about or not: the
  Brier and log scores of the version's probability, and the same scores of a
  stated baseline (``uniform``: 50% for a prediction, 1/K for one of K outcomes;
  or ``previous``: the version before, uniform for the first);
- an observed quantity (a market size in a year): the CRPS of the version's draws,
  the PIT value (its probability of a lower value) and the log score of the draws'
  density where that is defined;
- per statement, the scores averaged over time: each version weighted by the days
  it stood (until the next version, or the resolution date);
- calibration of every scored binary forecast (see :func:`calibration`).

All scores are negatively oriented (lower is better), as in scoringrules.

Examples
--------
>>> card = Scorecard.load(["scenarios/deepseek.toml"], "scenarios/history/resolutions.toml")  # doctest: +SKIP
>>> card.binary()[["version", "statement", "probability", "brier"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

BINARY_COLUMNS = [
    "statement",
    "kind",
    "label",
    "version",
    "as_of",
    "resolved_on",
    "outcome",
    "probability",
    "brier",
    "log_score",
    "baseline",
    "baseline_probability",
    "baseline_brier",
    "baseline_log_score",
    "brier_skill",
    "note",
]
QUANTITY_COLUMNS = [
    "statement",
    "label",
    "version",
    "as_of",
    "resolved_on",
    "observed",
    "median",
    "q05",
    "q95",
    "crps",
    "pit",
    "log_score",
    "note",
]
SCORE_COLUMNS = [
    *BINARY_COLUMNS,
    *[c for c in QUANTITY_COLUMNS if c not in BINARY_COLUMNS],
]
AVERAGE_COLUMNS = ["statement", "kind", "versions", "days", "brier", "log_score", "crps"]
Baseline = Literal["uniform", "previous"]


@dataclass
class Scorecard:
    """Scores of the versions of one scenario against resolutions.

    Attributes
    ----------
    versions : list of Version
    resolutions : list of Resolution
        As read, plus the outcomes implied false by one that came about.
    baseline : {"uniform", "previous"}
    """

    versions: list[Any]
    resolutions: list[Any]
    baseline: Baseline = "uniform"
    seed: int = 0
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls,
        sources: Sequence[str | Path | Forecast],
        resolutions: str | Path,
        *,
        baseline: Baseline = "uniform",
        draws: int | None = None,
        seed: int | None = None,
    ) -> Scorecard:
        """Versions and resolutions checked against each other; raises
        :class:`~forecast.errors.ScenarioError` with every problem before any simulation."""
        from forecast.analysis import resolutions as res
        from forecast.analysis.history import load_versions

        versions = load_versions(sources, draws=draws, seed=seed, what="score")
        rs = res.check_against(res.read(resolutions), [v.scenario for v in versions])
        return cls(versions, rs, baseline)

    def _scored(self, r: Any) -> list[Any]:
        from forecast.analysis.resolutions import makes

        return [v for v in self.versions if makes(v.scenario, r) and v.as_of < r.date]

    def not_scored(self) -> pd.DataFrame:
        """Versions that made a resolved statement on or after its resolution date."""
        from forecast.analysis.resolutions import makes

        rows = [
            {
                "statement": r.statement,
                "version": v.name,
                "as_of": v.as_of.isoformat(),
                "resolved_on": r.date.isoformat(),
            }
            for r in self.resolutions
            for v in self.versions
            if makes(v.scenario, r) and v.as_of >= r.date
        ]
        return pd.DataFrame(rows, columns=["statement", "version", "as_of", "resolved_on"])

    # --- binary statements ----------------------------------------------------------

    def binary(self) -> pd.DataFrame:
        """One row per (resolved prediction or outcome, version that forecast it)."""
        if "binary" in self._cache:
            return self._cache["binary"]
        from forecast.analysis.scores import brier, log_score

        rows: list[dict[str, Any]] = []
        for r in self.resolutions:
            if r.kind == "quantity":
                continue
            prev: float | None = None
            for v in self._scored(r):
                p, label, k = self._probability(v, r)
                uniform = 1.0 / k
                base = prev if (self.baseline == "previous" and prev is not None) else uniform
                name = (
                    "previous version"
                    if (self.baseline == "previous" and prev is not None)
                    else (f"uniform ({uniform:.3g})")
                )
                prev = p
                rows.append(
                    {
                        "statement": r.statement,
                        "kind": r.kind,
                        "label": label,
                        "version": v.name,
                        "as_of": v.as_of.isoformat(),
                        "resolved_on": r.date.isoformat(),
                        "outcome": bool(r.value),
                        "probability": p,
                        "baseline": name,
                        "baseline_probability": base,
                    }
                )
        df = pd.DataFrame(rows, columns=BINARY_COLUMNS)
        if len(df):
            y = df["outcome"].to_numpy(float)
            df["brier"] = brier(df["probability"], y)
            df["log_score"] = log_score(df["probability"], y)
            df["baseline_brier"] = brier(df["baseline_probability"], y)
            df["baseline_log_score"] = log_score(df["baseline_probability"], y)
            with np.errstate(divide="ignore", invalid="ignore"):
                df["brier_skill"] = 1 - df["brier"] / df["baseline_brier"]
            # refused, not written as inf: a probability of exactly 0 or 1 that was wrong
            # (a Monte Carlo estimate in which no draw disagreed), or a perfect baseline
            notes = []
            for r in df.itertuples():
                why = []
                if not np.isfinite(float(r.log_score)):  # type: ignore[arg-type]
                    why.append("log score not defined: the version gave 0% to what happened")
                if not np.isfinite(float(r.baseline_log_score)):  # type: ignore[arg-type]
                    why.append("baseline log score not defined: it gave 0% to what happened")
                if not np.isfinite(float(r.brier_skill)):  # type: ignore[arg-type]
                    why.append("skill not defined: the baseline's Brier score is 0")
                notes.append("; ".join(why))
            df["note"] = notes
            for c in ("log_score", "baseline_log_score", "brier_skill"):
                df[c] = df[c].where(np.isfinite(df[c]))
        self._cache["binary"] = df
        return df

    def _probability(self, v: Any, r: Any) -> tuple[float, str, int]:
        """The version's probability of the statement, its label and the number of
        alternatives (2 for a prediction, K for one of K outcomes)."""
        if r.kind == "prediction":
            t = v.table("predictions")
            row = t[t["id"] == r.ref].iloc[0]
            return float(row["probability"]), str(row["statement"]), 2
        t = v.table("outcomes")
        row = t[t["outcome"] == r.ref].iloc[0]
        return float(row["probability"]), str(row["label"]), len(t)

    # --- quantities -----------------------------------------------------------------

    def quantities(self) -> pd.DataFrame:
        """One row per (observed quantity, version that forecast it)."""
        if "quantities" in self._cache:
            return self._cache["quantities"]
        from forecast.analysis.scores import crps, log_score_draws, pit
        from forecast.analysis.sensitivity import parse_target

        rows = []
        for r in self.resolutions:
            if r.kind != "quantity":
                continue
            for v in self._scored(r):
                target = parse_target(v.scenario, r.statement)
                x = target.of(v.forecast)
                y = float(r.value)
                ls = log_score_draws(x, y, positive=_positive(v.scenario, r.statement))
                rows.append(
                    {
                        "statement": r.statement,
                        "label": target.label,
                        "version": v.name,
                        "as_of": v.as_of.isoformat(),
                        "resolved_on": r.date.isoformat(),
                        "observed": y,
                        "median": float(np.median(x)),
                        "q05": float(np.quantile(x, 0.05)),
                        "q95": float(np.quantile(x, 0.95)),
                        "crps": crps(x, y),
                        "pit": pit(x, y),
                        "log_score": np.nan if ls is None else ls,
                        "note": ""
                        if ls is not None
                        else "log score not defined: the draws have no density here",
                    }
                )
        df = pd.DataFrame(rows, columns=QUANTITY_COLUMNS)
        for statement, (note, _) in self._unit_mistakes(df).items():
            at = df["statement"] == statement
            df.loc[at, "note"] = [f"{n}; {note}" if n else note for n in df.loc[at, "note"]]
        self._cache["quantities"] = df
        return df

    def unit_warnings(self) -> list[str]:
        """``file:line: value: why`` for each observed quantity a power of 1000 away from
        the median of the first version that forecast it: the likely unit mistake (``5e9``
        typed for a ``USD bn`` market, ``410000`` for a ``USD m`` metric), named with the
        unit it looks like. A warning, not a refusal: the value is scored as given, and
        its rows of :meth:`quantities` say so in their ``note``.
        """
        return [long for _, long in self._unit_mistakes(self.quantities()).values()]

    def _unit_mistakes(self, q: pd.DataFrame) -> dict[str, tuple[str, str]]:
        """``{statement: (note, warning)}`` of the likely unit mistakes among ``q``'s rows."""
        from forecast.scenario.observed_scale import likely_unit

        out = {}
        for r in self.resolutions:
            rows = q[q["statement"] == r.statement]
            if not len(rows):
                continue
            version = str(rows["version"].iloc[0])
            unit = _unit(next(v for v in self.versions if v.name == version).scenario, r.statement)
            y, median = float(r.value), float(rows["median"].iloc[0])
            if unit is None or y * median <= 0:  # a share, or a sign apart: not a unit mistake
                continue
            k = round(math.log10(y / median) / 3)
            if k == 0:
                continue
            factor = 1000.0**k
            likely = likely_unit(unit, factor) if unit else f"{factor:g} times the unit"
            out[r.statement] = (
                f"the observed value looks like {likely}, not {unit or 'the unit'} (a unit mistake?)",
                f"{r.where}: value: {y:g} is about {factor:g} times the median forecast of "
                f"{r.statement} ({median:.3g} {unit}, version {version}): it looks like {likely}, "
                f"not {unit}: {y:g} {likely} is {y / factor:g} {unit}",
            )
        return out

    # --- over time and over statements ---------------------------------------------

    def time_averaged(self) -> pd.DataFrame:
        """Per statement: scores averaged over its versions, each weighted by the days it
        stood (from its ``as_of`` to the next scored version's, the last one to the
        resolution date)."""
        by = {r.statement: r for r in self.resolutions}
        rows = []
        for _kind, df, cols in (
            ("binary", self.binary(), ("brier", "log_score")),
            ("quantity", self.quantities(), ("crps", "log_score")),
        ):
            for st, sub in df.groupby("statement", sort=False):
                r = by[str(st)]
                starts = pd.to_datetime(sub["as_of"]).dt.date.tolist()
                ends = [*starts[1:], r.date]
                days = np.array([(e - s).days for s, e in zip(starts, ends, strict=True)], float)
                row: dict[str, Any] = {
                    "statement": st,
                    "kind": r.kind,
                    "versions": len(sub),
                    "days": int(days.sum()),
                    "brier": np.nan,
                    "log_score": np.nan,
                    "crps": np.nan,
                }
                for c in cols:
                    vals = sub[c].to_numpy(float)
                    ok = np.isfinite(vals)
                    if ok.all():
                        row[c] = float(np.average(vals, weights=days))
                rows.append(row)
        return pd.DataFrame(rows, columns=AVERAGE_COLUMNS)

    def calibration(self, **kwargs: Any) -> Any:
        """CORP calibration of every scored binary forecast (see :func:`forecast.analysis.scores.calibration`)."""
        from forecast.analysis.scores import calibration

        key = f"calibration{sorted(kwargs.items())}"
        if key not in self._cache:
            b = self.binary()
            if not len(b):
                return None
            self._cache[key] = calibration(
                b["probability"], b["outcome"].astype(float), seed=self.seed, **kwargs
            )
        return self._cache[key]

    # --- all together -----------------------------------------------------------------

    def table(self) -> pd.DataFrame:
        """Binary and quantity scores in one table (:data:`SCORE_COLUMNS`): what
        :func:`forecast.score` returns. Columns that do not apply to a row are NaN."""
        b = self.binary().assign(
            observed=np.nan, median=np.nan, q05=np.nan, q95=np.nan, crps=np.nan, pit=np.nan
        )
        q = self.quantities().assign(kind="quantity")
        parts = [df for df in (b, q) if len(df)]
        if not parts:
            return pd.DataFrame(columns=SCORE_COLUMNS)
        return pd.concat(parts, ignore_index=True).reindex(columns=SCORE_COLUMNS)

    def resolution_table(self) -> pd.DataFrame:
        """The resolutions scored, with the outcomes implied by one that came about:
        ``statement, kind, value, date, source, where, versions`` (how many versions
        were scored on it)."""
        rows = [
            {
                "statement": r.statement,
                "kind": r.kind,
                "value": (str(r.value).lower() if isinstance(r.value, bool) else r.value),
                "date": r.date.isoformat(),
                "source": r.source,
                "versions": len(self._scored(r)),
            }
            for r in self.resolutions
        ]
        return pd.DataFrame(rows, columns=["statement", "kind", "value", "date", "source", "versions"])


def _positive(scenario: Any, statement: str) -> bool:
    """Whether a quantity is positive on every draw, so its log score is taken on the
    log scale: market sizes, totals and revenues are; a share is not (it may be 0); a
    metric is when its formula can only be positive (its signs, as the checker finds them).
    """
    if statement.startswith("share."):
        return False
    if statement.startswith("metric."):
        from forecast.scenario.formula_checks import metric_infos, parse_target

        return metric_infos(scenario)[parse_target(statement)[0]].signs == frozenset({1})
    return True


def _unit(scenario: Any, statement: str) -> str | None:
    """The unit an observed quantity is stated in; None for a share (a fraction: no unit
    to mistake)."""
    kind, _, rest = statement.partition(".")
    ref = rest.split("@", 1)[0]
    if statement.startswith("total@"):
        return str(scenario.markets[0].unit)
    if kind == "market":
        return str(scenario.market(ref).unit)
    if kind == "revenue":
        return str(scenario.market(scenario.position(ref).market).unit)
    if kind == "metric":
        return str(next(m for m in scenario.metrics if m.id == ref).unit or "")
    return None
