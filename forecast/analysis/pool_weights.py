"""Who may be pooled, and with what weights: the checks and weights of ``forecast pool``.

A pool is several analysts' scenario files on one subject (see
:mod:`forecast.analysis.pool`). This module says whether the files can be pooled
(:func:`subject_problems`), reads ``--weights`` (:func:`parse_weights`) and turns a
track record into weights (:func:`score_weights`), by :data:`WEIGHT_RULE`.

Examples
--------
>>> weights, problems = parse_weights("a=0.6,b=0.4", ["a", "b"])
>>> weights, problems
({'a': 0.6, 'b': 0.4}, [])
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.scenario import Scenario

#: how --weights score weighs the analysts (shown in the report)
WEIGHT_RULE = (
    "inverse mean Brier score, normalised: w_i = (1 / B_i) / sum_j (1 / B_j), where B_i is the mean "
    "Brier score of every resolved prediction and outcome analyst i forecast before it was resolved, "
    "scored as `forecast score` scores a version"
)
#: weights must sum to 1 within this
WEIGHT_TOLERANCE = 1e-6
SCORE_COLUMNS = ["analyst", "statements", "mean_brier", "weight"]


def subject_problems(scenarios: Sequence[Scenario], names: Sequence[str]) -> list[Problem]:
    """Why these files cannot be pooled: a different subject (``id``), outcome set,
    market set or unit, position, or simulated years than the first file's.

    Predictions may differ: one only some analysts make is pooled over those who make it.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled())
    >>> [p.path for p in subject_problems([s, s.with_overrides({"id": "other"})], ["a", "b"])]
    ['id']
    """
    if not scenarios:
        return [Problem("pool", "", "needs two or more scenario files")]
    first, name0 = scenarios[0], names[0]
    problems: list[Problem] = []
    for s in scenarios[1:]:
        where = f"{name0} ({first.origin})"
        if s.id != first.id:
            problems.append(_differs(s, "id", f"is {s.id!r}", s.id, repr(first.id), where))
            continue  # another subject: the rest would only repeat it
        problems += [_differs(s, *d, where) for d in _differences(s, first)]
    return problems


def _differences(s: Scenario, first: Scenario) -> list[tuple[str, str, Any, str]]:
    """(key path, what it is here, value, what it is in the first file) per difference."""
    out: list[tuple[str, str, Any, str]] = []
    if set(s.outcome_ids) != set(first.outcome_ids):
        out.append(
            ("assessment.outcomes", f"are {_ids(s.outcome_ids)}", s.outcome_ids, _ids(first.outcome_ids))
        )
    elif s.outcome_ids != first.outcome_ids:
        out.append(
            (
                "assessment.outcomes",
                f"are in the order {_ids(s.outcome_ids)}",
                s.outcome_ids,
                _ids(first.outcome_ids),
            )
        )
    units = {m.id: m.unit for m in first.markets}
    mine = {m.id: m.unit for m in s.markets}
    if list(mine) != list(units):
        out.append(("markets", f"are {_ids(list(mine))}", list(mine), _ids(list(units))))
    out += [
        (f"markets.{m.id}.unit", f"is {m.unit!r}", m.unit, repr(units[m.id]))
        for m in s.markets
        if m.id in units and m.unit != units[m.id]
    ]
    positions, theirs = [p.id for p in s.positions], [p.id for p in first.positions]
    if positions != theirs:
        out.append(("positions", f"are {_ids(positions)}", positions, _ids(theirs)))
    if [int(y) for y in s.years] != [int(y) for y in first.years]:
        span, span0 = f"{s.years[0]}-{s.years[-1]}", f"{first.years[0]}-{first.years[-1]}"
        out.append(("simulation.end_year", f"the years are {span}", span, span0))
    return out


def _differs(s: Scenario, path: str, what: str, mine: Any, theirs: str, where: str) -> Problem:
    return Problem.with_value(s.origin, path, f"{what} here but {theirs} in {where}: {_WHY}", mine)


_WHY = "pooled files must describe one subject with the same outcomes, markets (and units) and years"


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids) or "none"


def parse_weights(spec: str, names: Sequence[str]) -> tuple[str | dict[str, float], list[Problem]]:
    """``--weights``: ``"equal"``, ``"score"`` or ``"name=w,..."`` naming every analyst
    (the file's stem) with weights from 0 to 1 that sum to 1.

    Examples
    --------
    >>> parse_weights("equal", ["a", "b"])
    ('equal', [])
    >>> [str(p) for p in parse_weights("alice=0.5,bobb=0.5", ["alice", "bob"])[1]][0]
    "--weights: bobb: names no file (did you mean 'bob'?; the analysts are alice, bob) (got 'bobb')"
    """
    spec = spec.strip()
    if spec in ("equal", "score"):
        return spec, []
    out: dict[str, float] = {}
    problems: list[Problem] = []
    for item in spec.split(","):
        key, sep, value = (x.strip() for x in item.partition("="))
        try:
            w = float(value)
        except ValueError:
            w = float("nan")
        if not sep or not key or not np.isfinite(w):
            problems.append(
                Problem.with_value("--weights", key, "expected equal, score or NAME=WEIGHT,...", item)
            )
        elif key not in names:
            close = difflib.get_close_matches(key, list(names), n=1)
            hint = f"did you mean {close[0]!r}?; " if close else ""
            problems.append(
                Problem.with_value(
                    "--weights", key, f"names no file ({hint}the analysts are {_ids(names)})", key
                )
            )
        elif not 0 <= w <= 1:
            problems.append(Problem.with_value("--weights", key, "must be a weight from 0 to 1", value))
        else:
            out[key] = w
    if problems:
        return out, problems
    missing = [n for n in names if n not in out]
    if missing:
        problems.append(Problem("--weights", "", f"gives no weight to {_ids(missing)}: name every analyst"))
    elif abs(sum(out.values()) - 1) > WEIGHT_TOLERANCE:
        problems.append(Problem.with_value("--weights", "", "must sum to 1", f"sum {sum(out.values()):.6g}"))
    return out, problems


def score_weights(
    forecasts: Sequence[Forecast], names: Sequence[str], resolutions: str | Path
) -> tuple[np.ndarray, pd.DataFrame]:
    """Weights from each analyst's record, by :data:`WEIGHT_RULE`, and the table behind them.

    Each analyst's forecast is scored as ``forecast score`` scores a version (a
    :class:`~forecast.analysis.scorecard.Scorecard` of it against the resolutions).
    Raises :class:`ScenarioError` when the resolutions do not match the files, an
    analyst has no scored statement, or one has a perfect record (a weight of 1/0).

    Examples
    --------
    >>> w, table = score_weights(fcs, ["a", "b"], "resolutions.csv")  # doctest: +SKIP
    """
    from forecast.analysis import resolutions as res
    from forecast.analysis.history import load_versions
    from forecast.analysis.scorecard import Scorecard

    rs = res.check_against(res.read(resolutions), [fc.scenario for fc in forecasts])
    rows, problems = [], []
    for fc, name in zip(forecasts, names, strict=True):
        card = Scorecard(load_versions([fc], what="pool"), rs)
        brier = card.binary()["brier"].to_numpy(float)
        if len(brier) == 0:
            problems.append(
                Problem(
                    fc.scenario.origin,
                    "",
                    "has no prediction or outcome resolved after its as_of in "
                    f"{resolutions}: --weights score cannot weigh it (give weights by name)",
                )
            )
        elif float(brier.mean()) <= 0:
            problems.append(
                Problem(
                    fc.scenario.origin,
                    "",
                    "has a mean Brier score of 0 (every scored forecast certain and "
                    "right): an inverse-Brier weight is undefined (give weights by name)",
                )
            )
        rows.append(
            {
                "analyst": name,
                "statements": len(brier),
                "mean_brier": float(brier.mean()) if len(brier) else 0.0,
            }
        )
    if problems:
        raise ScenarioError(problems)
    table = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    inverse = 1.0 / table["mean_brier"].to_numpy(float)
    weights = inverse / inverse.sum()
    table["weight"] = weights
    return weights, table


def resolve_weights(
    spec: str, forecasts: Sequence[Forecast], names: Sequence[str], resolutions: str | Path | None
) -> tuple[np.ndarray, str, pd.DataFrame | None]:
    """The weights ``spec`` asks for: (weights in analyst order, how they were set, the
    score table for ``score``). Raises :class:`ScenarioError`.

    Examples
    --------
    >>> resolve_weights("equal", fcs, ["a", "b"], None)[0]  # doctest: +SKIP
    array([0.5, 0.5])
    """
    parsed, problems = parse_weights(spec, names)
    if problems:
        raise ScenarioError(problems)
    n = len(names)
    if parsed == "equal":
        return np.full(n, 1.0 / n), "equal", None
    if parsed == "score":
        if resolutions is None:
            raise ScenarioError([Problem("--weights", "score", "needs --resolutions FILE (what happened)")])
        w, table = score_weights(forecasts, names, resolutions)
        return w, "score", table
    assert isinstance(parsed, dict)
    return np.array([parsed[name] for name in names], dtype=float), "given", None


def weight_spec(weights: str | Sequence[float] | dict[str, float], names: Sequence[str]) -> str:
    """The weights as ``--weights`` text ("equal", "score", "name=w,...").

    Examples
    --------
    >>> weight_spec([1, 3], ["a", "b"]), weight_spec({"b": 0.5}, ["a", "b"])
    ('a=1.0,b=3.0', 'b=0.5')
    """
    if isinstance(weights, str):
        return weights
    if isinstance(weights, dict):
        return ",".join(f"{k}={v!r}" for k, v in weights.items())
    return ",".join(f"{n}={float(v)!r}" for n, v in zip(names, weights, strict=False))


def weight_problems(
    weights: str | Sequence[float] | dict[str, float], spec: str, names: Sequence[str]
) -> list[Any]:
    """A list of weights of the wrong length, and what ``--weights`` would say of ``spec``."""
    problems = []
    if not isinstance(weights, str | dict) and len(list(weights)) != len(names):
        problems.append(
            Problem.with_value("weights", "", f"needs one weight per file ({len(names)})", list(weights))
        )
    return problems + parse_weights(spec, names)[1]
