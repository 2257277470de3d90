"""What must be true: scenario discovery by PRIM on the draws already simulated.

For a *target* that holds in some draws and not others ("license now is the best
option", "DeepSeek takes 25% of developer tools", "the outcome is acquisition"),
PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional data", Statistics and
Computing 9:123) finds a box of the uncertain inputs (and the realized outcome) where
the target holds far more often than overall, described as plain conditions:

    "license now is best in 81% of draws where Developer Tools CAGR > 44% and the
    outcome is independence; these are 30% of all draws"

*Density* is the share of the box's draws where the target holds; *coverage* the share
of all the target's draws that fall in the box; *mass* the share of all draws in the
box. The algorithm, compact and deterministic:

1. Peeling: from the box of all draws, repeatedly remove the slice that raises the
   density most: the lowest or highest ``PEEL`` of the box's draws along one input, or
   one category of a categorical input (the outcome), until the box holds fewer than
   ``MIN_MASS`` of all draws.
2. Choice: of the boxes along the way, the one with the highest F1 score of coverage and
   density (their harmonic mean): more density at the cost of coverage is not free.
3. Pasting: widen each limit by a ``PEEL`` slice while that raises the density.
4. Plain conditions: drop every limit whose removal lowers the density by less than
   two of its standard errors, so only the conditions that matter are shown.
5. Covering: the second box is found the same way on the draws outside the first, and
   kept when it covers at least ``MIN_NEW_COVERAGE`` of the target's draws anew.

Why not a package: ``prim`` (Project Platypus, one release in 2024) is GPL-3, which this
MIT project cannot ship with, and pulls in ``mplcursors`` for interactive use;
``ema-workbench`` (BSD) brings scikit-learn, statsmodels, seaborn, SALib and
platypus-opt for a feature that needs only numpy. The steps above are those of both
(peel, choose from the trajectory, paste, cover), over a few hundred lines less.

The errors shown (``density_mcse``, ``coverage_mcse``) are binomial MCSEs of the box's
draws; they do not count that the box was chosen on the same draws, which flatters a
small box a little.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(size=(4000, 3))
>>> y = ((X[:, 0] > 0.6) & (X[:, 1] < 0.5)).astype(float)
>>> box = prim(X, y)
>>> sorted(box.limits)  # only the two inputs that matter are restricted
[0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

PEEL = 0.05  # share of the box's draws removed per peel (Friedman & Fisher's alpha)
MIN_MASS = 0.05  # smallest box, as a share of all draws
BOXES = 2  # boxes per target (covering)
MIN_NEW_COVERAGE = 0.05  # a further box covers at least this share of the target's draws anew
DISCOVERY_COLUMNS = [
    "target",
    "box",
    "conditions",
    "density",
    "density_mcse",
    "coverage",
    "coverage_mcse",
    "mass",
    "base",
]


@dataclass(frozen=True)
class Box:
    """A PRIM box: limits on numeric columns, kept categories of categorical ones.

    ``limits[j] = (lo, hi)`` keeps draws with ``lo <= X[:, j] <= hi`` (an open side is
    infinite); ``categories[j]`` keeps draws whose ``X[:, j]`` is one of them.
    """

    limits: dict[int, tuple[float, float]] = field(default_factory=dict)
    categories: dict[int, frozenset[int]] = field(default_factory=dict)

    def inside(self, X: np.ndarray, skip: int | None = None) -> np.ndarray:
        """Which rows of ``X`` are in the box (ignoring column ``skip``)."""
        m = np.ones(len(X), dtype=bool)
        for j, (lo, hi) in self.limits.items():
            if j != skip:
                m &= (X[:, j] >= lo) & (X[:, j] <= hi)
        for j, cats in self.categories.items():
            if j != skip:
                m &= np.isin(X[:, j], list(cats))
        return m

    def without(self, j: int) -> Box:
        return Box(
            {k: v for k, v in self.limits.items() if k != j},
            {k: v for k, v in self.categories.items() if k != j},
        )


def _peels(X: np.ndarray, box: Box, m: np.ndarray, categorical: set[int]) -> list[tuple[Box, np.ndarray]]:
    """Every box one peel smaller than ``box`` (whose rows are ``m``), with its rows."""
    out = []
    k = max(1, int(np.ceil(PEEL * m.sum())))
    for j in range(X.shape[1]):
        col = X[:, j]
        v = col[m]
        if j in categorical:
            present = np.unique(v)
            if present.size > 1:
                for c in present:
                    keep = frozenset(present[present != c].tolist())
                    out.append((Box(box.limits, {**box.categories, j: keep}), m & (col != c)))
            continue
        lo, hi = box.limits.get(j, (-np.inf, np.inf))
        first, last = v.min(), v.max()
        if first == last:
            continue
        # remove at least k draws; ties at the cut go with the slice (next distinct value)
        low_cut = np.partition(v, k)[k]
        low_cut = low_cut if low_cut > first else v[v > first].min()
        high_cut = np.partition(v, v.size - k - 1)[v.size - k - 1]
        high_cut = high_cut if high_cut < last else v[v < last].max()
        out.append((Box({**box.limits, j: (float(low_cut), hi)}, box.categories), m & (col >= low_cut)))
        out.append((Box({**box.limits, j: (lo, float(high_cut))}, box.categories), m & (col <= high_cut)))
    return out


def _f1(coverage: float, density: float) -> float:
    return 0.0 if coverage + density == 0 else 2 * coverage * density / (coverage + density)


def prim(
    X: np.ndarray, y: np.ndarray, categorical: set[int] | None = None, rows: np.ndarray | None = None
) -> Box:
    """One PRIM box for ``y`` (0/1, or a share per draw) over the columns of ``X``.

    ``rows`` restricts the search to some draws (covering); coverage and mass are
    still measured against all draws. See the module's docstring for the steps.
    """
    categorical = categorical or set()
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    rows = np.ones(len(y), dtype=bool) if rows is None else rows
    total, n = max(float(y.sum()), 1e-300), len(y)
    box, m = Box(), rows.copy()
    best, best_score = box, _f1(float(y[m].sum()) / total, float(y[m].mean()))
    while True:
        candidates = []
        for c, cm in _peels(X, box, m, categorical):
            count = np.count_nonzero(cm)
            if count >= MIN_MASS * n:
                candidates.append((float(y[cm].sum()) / count, count, c, cm))
        if not candidates:
            break
        density, _, box, m = max(candidates, key=lambda t: (t[0], t[1]))
        score = _f1(float(y[m].sum()) / total, density)
        if score > best_score:
            best, best_score = box, score
    return _simplify(X, y, _paste(X, y, best, rows, categorical), rows)


def _paste(X: np.ndarray, y: np.ndarray, box: Box, rows: np.ndarray, categorical: set[int]) -> Box:
    """Widen limits by a peel's slice while that raises the density."""
    improved = True
    while improved:
        improved = False
        m = box.inside(X) & rows
        density = float(y[m].mean())
        for j, (lo, hi) in box.limits.items():
            others = box.inside(X, skip=j) & rows
            k = max(1, int(np.ceil(PEEL * m.sum())))
            below = np.sort(X[others & (X[:, j] < lo), j])[::-1][:k]
            above = np.sort(X[others & (X[:, j] > hi), j])[:k]
            for wider in ((below[-1], hi) if below.size else None, (lo, above[-1]) if above.size else None):
                if wider is None:
                    continue
                trial = Box({**box.limits, j: (float(wider[0]), float(wider[1]))}, box.categories)
                tm = trial.inside(X) & rows
                if float(y[tm].mean()) > density:
                    box, improved = trial, True
                    break
            if improved:
                break
    return box


def _simplify(X: np.ndarray, y: np.ndarray, box: Box, rows: np.ndarray) -> Box:
    """Drop the limits whose removal costs less than two standard errors of density."""
    for j in sorted({*box.limits, *box.categories}):
        m = box.inside(X) & rows
        d = float(y[m].mean())
        wider = box.without(j)
        wm = wider.inside(X) & rows
        se = float(np.sqrt(max(d * (1 - d), 1e-12) / m.sum()))
        if float(y[wm].mean()) >= d - 2 * se:
            box = wider
    return box


def boxes(X: np.ndarray, y: np.ndarray, categorical: set[int] | None = None, count: int = BOXES) -> list[Box]:
    """Up to ``count`` boxes by covering: each found on the draws outside the ones before.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.uniform(size=(2000, 2))
    >>> len(boxes(X, (X[:, 0] > 0.8).astype(float)))
    1
    """
    out: list[Box] = []
    rows = np.ones(len(y), dtype=bool)
    for _ in range(count):
        if y[rows].sum() == 0 or rows.sum() < 2 * MIN_MASS * len(y):
            break
        box = prim(X, y, categorical, rows)
        if not box.limits and not box.categories:
            if not out:
                out.append(box)  # no region does better than everywhere: say so once
            break
        inside = box.inside(X) & rows
        if out and y[inside].sum() < MIN_NEW_COVERAGE * y.sum():
            break  # a further box must explain target draws the earlier ones did not
        out.append(box)
        rows &= ~inside
    return out


def describe(box: Box, names: list[str], formats: list[Any]) -> str:
    """A box as plain conditions: ``Developer Tools CAGR > 44% and the outcome is ...``.

    ``formats[j]`` turns a value of column ``j`` into text (for a categorical column,
    a category index into its name).
    """
    parts = []
    for j in sorted({*box.limits, *box.categories}):
        if j in box.categories:
            cats = [formats[j](c) for c in sorted(box.categories[j])]
            parts.append(f"{names[j]} is {' or '.join(cats)}")
            continue
        lo, hi = box.limits[j]
        if np.isfinite(lo) and np.isfinite(hi):
            parts.append(f"{names[j]} is {formats[j](lo)} to {formats[j](hi)}")
        elif np.isfinite(lo):
            parts.append(f"{names[j]} ≥ {formats[j](lo)}")
        else:
            parts.append(f"{names[j]} ≤ {formats[j](hi)}")
    return " and ".join(parts) or "anywhere (no region does better than all draws)"


def summarize(
    target: str, X: np.ndarray, y: np.ndarray, found: list[Box], names: list[str], formats: list[Any]
) -> pd.DataFrame:
    """The :data:`DISCOVERY_COLUMNS` rows of a target's boxes."""
    total = float(y.sum())
    rows = []
    for b, box in enumerate(found, start=1):
        m = box.inside(X)
        d, c, mass = float(y[m].mean()), float(y[m].sum()) / total, float(m.mean())
        rows.append(
            {
                "target": target,
                "box": b,
                "conditions": describe(box, names, formats),
                "density": d,
                "density_mcse": float(np.sqrt(max(d * (1 - d), 0.0) / m.sum())),
                "coverage": c,
                "coverage_mcse": float(np.sqrt(max(c * (1 - c), 0.0) / max(total, 1.0))),
                "mass": mass,
                "base": float(y.mean()),
            }
        )
    return pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)


# --- from a forecast ------------------------------------------------------------

_PERCENT = ("growth", "volatility", "outcome_prior", "share_anchor", "event_probability")


def discover(fc: Forecast, target: str, values: Any = None, options: list[str] | None = None) -> pd.DataFrame:
    """Where a target holds, as PRIM boxes over the forecast's uncertain inputs and outcome.

    ``target`` is ``option.<id>`` (the option is the best one: a draw's share of best,
    as in P(best)), ``prediction.<id>`` (it comes true) or ``outcome.<id>``.

    Examples
    --------
    >>> fc.discover("prediction.devtools_share")  # doctest: +SKIP
    """
    from forecast.analysis.sensitivity import input_matrix, uncertain_inputs

    s = fc.scenario
    y, exclude_outcome = _target_draws(fc, target, values, options)
    found = uncertain_inputs(fc)
    X = input_matrix(fc, found)
    names = [i.label for i in found]
    formats: list[Any] = [
        (lambda v: f"{v:.0%}") if i.variable in _PERCENT else (lambda v: f"{v:.3g}") for i in found
    ]
    categorical: set[int] = set()
    if s.assessment and not exclude_outcome:
        X = np.column_stack([X, fc.values("realized_outcome")])
        categorical.add(X.shape[1] - 1)
        labels = [o.label for o in s.assessment.outcomes]
        names.append("the outcome")
        formats.append(lambda c: labels[int(c)])
    if y.min() == y.max():
        raise ScenarioError(
            [Problem("target", "", "holds in every draw or in none: nothing to discover", target)]
        )
    return summarize(target, X, y, boxes(X, y, categorical), names, formats)


def _target_draws(
    fc: Forecast, target: str, values: Any, options: list[str] | None
) -> tuple[np.ndarray, bool]:
    s = fc.scenario
    kind, _, ref = target.partition(".")
    if kind == "option":
        from forecast.analysis.decision import best_share, payoffs_of

        p = payoffs_of(fc, values, options)
        if ref in p.options:
            return best_share(p.values)[p.options.index(ref)], False
        known = list(p.options)
    elif kind == "prediction":
        known = [p.id for p in s.predictions]
        if ref in known:
            return fc.values("prediction_hit")[:, known.index(ref)], False
    elif kind == "outcome":
        known = s.outcome_ids
        if ref in known:
            return (fc.values("realized_outcome") == known.index(ref)).astype(float), True
    else:
        raise ScenarioError(
            [
                Problem(
                    "target", "", "is not a target; use option.<id>, prediction.<id> or outcome.<id>", target
                )
            ]
        )
    from forecast.scenario.merging import hint

    raise ScenarioError([Problem("target", "", f"no {kind} {ref!r}{hint(ref, known)}", target)])
