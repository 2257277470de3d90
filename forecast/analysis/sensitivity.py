"""Which input moves the answer most: variance-based indices and a tornado.

Two views of one question, for a *target* such as ``"market.developer_tools@2027"``:

:func:`sensitivity`
    Variance-based first-order indices of every uncertain input, estimated from the
    forecast's own draws (no re-running). ``first_order`` is
    ``Var(E[Y | X_i]) / Var(Y)``: the share of the target's variance that knowing
    input ``i`` alone would remove.
:func:`tornado`
    One input at a time (in :mod:`forecast.analysis.tornado`): the target's median
    when the input sits at its 10th and its 90th percentile and every other input at
    its median.

What counts as an input
-----------------------
The recorded per-draw inputs a strategist sets: ``size``, ``growth`` (the CAGR),
``volatility`` (by market), ``common_factor``, ``outcome_prior`` (the Dirichlet draw
around the stated outcome probabilities), ``share_anchor`` (each share-path point)
and ``event_probability`` (each event prediction). Only those that vary are listed.
The yearly market shocks, the realized outcome drawn from the outcome probabilities
and the event waiting times are uncertainty too, but nobody states them: they are
the *residual*, the variance no input accounts for (``1 - sum(first_order)`` roughly,
exactly so only for an additive model with independent inputs).

Targets
-------
``market.<id>@<year>``, ``total@<year>``, ``share.<position>@<year>``,
``revenue.<position>@<year>`` (the year defaults to the last simulated one),
``outcome.<id>`` (the outcome's probability) and ``prediction.<id>`` (whether a
prediction comes true).

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=5000)  # doctest: +SKIP
>>> fc.sensitivity("revenue.deepseek_devtools@2028").head(3)  # doctest: +SKIP
>>> fc.tornado("total@2027")  # doctest: +SKIP

This module is longer than 600 lines on purpose: the targets, the input bookkeeping,
the estimator and its bootstrap share private helpers and one set of conventions,
and read best together.
"""

from __future__ import annotations

import functools
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from forecast.errors import Problem, ScenarioError
from forecast.scenario import Scenario

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

SENSITIVITY_COLUMNS = ["input", "label", "first_order", "total", "conf", "independent", "independent_conf"]
TORNADO_COLUMNS = ["input", "label", "low", "high", "base", "low_value", "high_value", "swing"]

HARMONICS = 10  # EASI/RBD-FAST default: E[Y | X_i] is smooth enough in rank for 10 harmonics
RESAMPLES = 30  # bootstrap resamples for conf: a half-width good to about 13%
CONF_LEVEL = 0.95
TORNADO_DRAWS = 2500  # most draws a tornado run takes
# fewest: the median of 250 draws has a standard error of ~8% of the residual's SD (the
# yearly shocks', the realized outcome's), and common random numbers make the swings
# between runs steadier than that
TORNADO_MIN_DRAWS = 250
# a fixed allowance for the tornado, in recorded values (draws x values per draw): at
# 20-60 ns a value (benchmarks/scaling.py), 0.1-0.3 s of simulation
TORNADO_FIXED_VALUES = 5_000_000
REPORT_TOP = 12  # rows of the report's table per target (the tornado runs only for these)
# Indices at large draw counts: start from this many draws and stop there when their own
# bootstrap says the 95% half-widths are at most CONF_ENOUGH (two decimals, as printed);
# otherwise grow the subsample by (conf / CONF_ENOUGH)^2, since conf shrinks as 1/sqrt(n)
SUBSAMPLE_DRAWS = 20_000
CONF_ENOUGH = 0.01
# a Dirichlet this concentrated is a point: its components vary by ~1e-5 relative
POINT_CONCENTRATION = 1e10


# --- targets ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A scalar per draw to explain.

    Attributes
    ----------
    spec : str
        As written, e.g. ``"revenue.deepseek_devtools@2028"``.
    label : str
        Human text, e.g. ``"Revenue 2028 from DeepSeek share of developer tools (USD bn)"``.
    variable : str
        The recorded variable (``market_size``, ``total_market``, ...).
    index : tuple of int
        Index into the variable's non-draw dims.
    statistic : {"median", "mean"}
        What the tornado reports: the median of a size, the mean of a probability,
        and the mean of a company's share or revenue whose path depends on the
        outcome (the median of a blend of outcome paths matches none of them).
    """

    spec: str
    label: str
    variable: str
    index: tuple[int, ...]
    statistic: Literal["median", "mean"]

    def of(self, values: dict[str, np.ndarray] | Forecast) -> np.ndarray:
        """The target's draws, from a :class:`Forecast` or simulator outputs."""
        arr = values[self.variable] if isinstance(values, dict) else values.values(self.variable)
        return _take(np.asarray(arr), self.index)

    def summarize(self, y: np.ndarray) -> float:
        return float(np.median(y) if self.statistic == "median" else np.mean(y))


_TARGET = re.compile(r"^(?P<kind>[a-z]+)(?:\.(?P<ref>[a-z][a-z0-9_]*))?(?:@(?P<year>\d{4}))?$")
TARGET_FORMS = (
    "market.<id>@<year>, total@<year>, share.<position>@<year>, revenue.<position>@<year>, "
    "metric.<id>@<year> (metric.<id> for one number), outcome.<id> or prediction.<id>"
)


def parse_target(scenario: Scenario, spec: str) -> Target:
    """Resolve a target string against a scenario.

    Raises
    ------
    ScenarioError
        ``target: what is wrong (got 'spec')`` when it names nothing in the scenario.

    Examples
    --------
    >>> import forecast
    >>> t = parse_target(forecast.load(forecast.bundled()), "market.developer_tools@2027")
    >>> t.variable, t.index, t.statistic
    ('market_size', (2, 3), 'median')
    """
    s = scenario

    def bad(message: str) -> ScenarioError:
        return ScenarioError([Problem.with_value("target", "", message, spec)])

    def unknown(noun: str, ids: list[str]) -> ScenarioError:
        from forecast.scenario.merging import hint

        return bad(
            f"no {noun} {ref!r}" + (hint(ref or "", ids) or f"; {noun}s are {', '.join(ids) or 'none'}")
        )

    m = _TARGET.match(spec.strip())
    if not m:
        raise bad(f"is not a target; use {TARGET_FORMS}")
    kind, ref, year_text = m["kind"], m["ref"], m["year"]
    years = [int(y) for y in s.years]
    if kind in ("outcome", "prediction"):
        if year_text:
            raise bad(f"{kind} targets take no year")
        ids = s.outcome_ids if kind == "outcome" else [p.id for p in s.predictions]
        if ref not in ids:
            raise unknown(kind, list(ids))
        i = ids.index(ref)
        if kind == "outcome":
            assert s.assessment is not None
            return Target(spec, f"P({s.assessment.outcomes[i].label})", "outcome_probability", (i,), "mean")
        return Target(spec, f"P({ref} comes true)", "prediction_hit", (i,), "mean")
    if kind == "metric":
        return metric_target(s, spec, bad)
    year = int(year_text) if year_text else years[-1]
    if year not in years:
        raise bad(f"year {year} is not simulated; years are {years[0]}-{years[-1]}")
    j = years.index(year)
    if kind == "total":
        if ref:
            raise bad("total takes no id: total@<year>")
        if len({mk.unit for mk in s.markets}) != 1:
            raise bad("markets have different units, so there is no total")
        return Target(spec, f"Total market {year} ({s.markets[0].unit})", "total_market", (j,), "median")
    if kind == "market":
        ids = [mk.id for mk in s.markets]
        if ref not in ids:
            raise unknown("market", ids)
        mk = s.markets[ids.index(ref)]
        return Target(spec, f"{mk.label} {year} ({mk.unit})", "market_size", (ids.index(ref), j), "median")
    if kind in ("share", "revenue"):
        ids = [p.id for p in s.positions]
        if ref not in ids:
            raise unknown("position", ids)
        p = s.positions[ids.index(ref)]
        stat: Literal["median", "mean"] = (
            "mean" if s.assessment and any(pt.outcome for pt in p.path) else "median"
        )
        if kind == "share":
            return Target(spec, f"{p.label} {year}", "share", (ids.index(ref), j), stat)
        unit = s.market(p.market).unit
        return Target(spec, f"{revenue_label(p.label, year)} ({unit})", "revenue", (ids.index(ref), j), stat)
    raise bad(f"unknown kind {kind!r}; use {TARGET_FORMS}")


def revenue_label(position: str, year: int | None = None) -> str:
    """A position's revenue named as one thing, revenue, from the position (whose label
    often names a share: "X share of developer tools: revenue" mixed the two).

    Examples
    --------
    >>> revenue_label("DeepSeek share of developer tools", 2027)
    'Revenue 2027 from DeepSeek share of developer tools'
    """
    return f"Revenue {year} from {position}" if year is not None else f"Revenue from {position}"


def metric_target(s: Scenario, spec: str, bad: Any) -> Target:
    """The target ``metric.<id>@<year>`` (a yearly metric; the year defaults to the last)
    or ``metric.<id>`` (a metric that is one number per draw)."""
    from forecast.engine.formulas import formula_data
    from forecast.scenario.formula_checks import metric_target_problem, parse_target

    plan = formula_data(s)["formulas"]
    ident, year = parse_target(spec.strip())
    if ident in plan.yearly and year is None:
        year = s.years[-1]
    target = f"metric.{ident}" + (f"@{year}" if year is not None else "")
    problem = metric_target_problem(s, target)
    if problem:
        raise bad(problem)
    m = next(x for x in s.metrics if x.id == ident)
    unit = f" ({m.unit})" if m.unit else ""
    if ident in plan.scalar:
        return Target(spec, f"{m.label}{unit}", "metric_value", (plan.scalar.index(ident),), "median")
    assert year is not None  # a yearly metric's year defaults to the last
    row, j = plan.yearly.index(ident), s.years.index(year)
    return Target(spec, f"{m.label} {year}{unit}", "metric_by_year", (row, j), "median")


def headline_targets(scenario: Scenario) -> list[str]:
    """The targets the report explains by default.

    The total market (or the first market) and the first position's revenue in the
    headline year (:attr:`Scenario.headline_year`: the file's ``report.headline_year``,
    else the last stated projection year), and the first outcome's probability.

    Examples
    --------
    >>> import forecast
    >>> headline_targets(forecast.load(forecast.bundled()))
    ['total@2027', 'revenue.deepseek_devtools@2027', 'outcome.independence']
    """
    s = scenario
    year = s.headline_year
    has_total = len(s.markets) > 1 and len({mk.unit for mk in s.markets}) == 1
    out = [f"total@{year}" if has_total else f"market.{s.markets[0].id}@{year}"]
    if s.positions:
        out.append(f"revenue.{s.positions[0].id}@{year}")
    if s.assessment:
        out.append(f"outcome.{s.outcome_ids[0]}")
    return out


# --- inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One uncertain input as recorded per draw.

    ``key`` is the recorded variable with its coordinate, e.g.
    ``"growth[developer_tools]"``; ``group`` names inputs that are tied by
    construction (the components of the Dirichlet sum to one).
    """

    key: str
    label: str
    variable: str
    index: tuple[int, ...]
    group: str


def _take(arr: np.ndarray, index: tuple[int, ...]) -> np.ndarray:
    """``arr[:, *index]``: one element of every draw."""
    sel: tuple[Any, ...] = (slice(None), *index)
    return np.asarray(arr[sel])


def _varies(x: np.ndarray) -> bool:
    x = np.asarray(x, dtype=float)
    return bool(x.size) and float(np.std(x)) > 1e-12 * (1.0 + float(np.abs(x).mean()))


# the report asks for a forecast's inputs several times (indices, tornado budget and
# runs); finding them scans every draw of every input, so each forecast's are kept
# while it lives
_INPUTS_MEMO: dict[int, tuple[Any, list[Input]]] = {}


def uncertain_inputs(fc: Forecast) -> list[Input]:
    """The inputs that vary in a forecast's draws, in scenario order.

    Examples
    --------
    >>> import forecast
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000)  # doctest: +SKIP
    >>> [i.key for i in uncertain_inputs(fc)][:2]  # doctest: +SKIP
    ['size[enterprise_llm_apis]', 'size[vertical_solutions]']
    """
    memo = _INPUTS_MEMO.get(id(fc))
    if memo is not None and memo[0]() is fc:
        return list(memo[1])
    out = _find_inputs(fc)
    key = id(fc)
    _INPUTS_MEMO[key] = (weakref.ref(fc, lambda _: _INPUTS_MEMO.pop(key, None)), out)
    return list(out)


def _find_inputs(fc: Forecast) -> list[Input]:
    s = fc.scenario
    out: list[Input] = []

    def add(
        variable: str, index: tuple[int, ...], coord: str | None, label: str, group: str | None = None
    ) -> None:
        key = f"{variable}[{coord}]" if coord is not None else variable
        out.append(Input(key, label, variable, index, group or key))

    size, growth, vol = fc.values("size"), fc.values("growth"), fc.values("volatility")
    drivers = {d.market for o in (s.assessment.outcomes if s.assessment else []) for d in o.drivers}
    for i, mk in enumerate(s.markets):
        if _varies(size[:, i]):
            add("size", (i,), mk.id, f"{mk.label} size {mk.base_year}")
    for i, mk in enumerate(s.markets):
        if _varies(growth[:, i]):
            add("growth", (i,), mk.id, f"{mk.label} CAGR")
        elif mk.id in drivers:
            # a point CAGR still moves the outcome odds through its growth surprise
            add("growth_surprise", (i,), mk.id, f"{mk.label} growth surprise")
    for i, mk in enumerate(s.markets):
        if _varies(vol[:, i]):
            add("volatility", (i,), mk.id, f"{mk.label} volatility")
    if _varies(fc.values("common_factor")):
        add("common_factor", (), None, "Common market factor")
    if s.assessment:
        prior = fc.values("outcome_prior")
        outcomes = s.assessment.outcomes
        # of two outcomes, the second's probability is one minus the first's: listing
        # both would show one input twice, with the same index
        listed = outcomes[:1] if len(outcomes) == 2 else outcomes
        for i, o in enumerate(listed):
            if _varies(prior[:, i]):
                label = f"{o.label}: probability"
                if len(outcomes) == 2:
                    label += f" ({outcomes[1].label}: one minus it)"
                add("outcome_prior", (i,), o.id, label, group="outcome_prior")
    if s.positions:
        share = fc.values("share_anchor")
        j = 0
        for pos in s.positions:
            for pt in pos.path:
                if _varies(share[:, j]):
                    when = pt.at.strftime("%b %Y")
                    cond = f" if {pt.outcome}" if pt.outcome else ""
                    coord = f"{pos.id}|{pt.at.isoformat()}|{pt.outcome or 'any'}"
                    add("share_anchor", (j,), coord, f"{pos.label}, {when}{cond}")
                j += 1
    events = [p for p in s.predictions if p.kind == "event"]
    for i, p in enumerate(events):
        qs = [p.probability] if p.probability is not None else list((p.probability_by_outcome or {}).values())
        # the recorded event probability also moves with the realized outcome; it is an
        # input only when the analyst stated an uncertain probability
        if any(not q.canonical("unit").is_point for q in qs):
            add("event_probability", (i,), p.id, f"Probability of {p.id}")
    values = fc.values("input_value") if s.inputs else None
    for i, named in enumerate(s.inputs):  # named inputs ([[inputs]])
        if values is not None and _varies(values[:, i]):
            add("input_value", (i,), named.id, named.label)
    return out


def input_matrix(fc: Forecast, inputs: list[Input], rows: np.ndarray | None = None) -> np.ndarray:
    """The inputs' draws as columns of an ``(n_draws, n_inputs)`` array (only the
    draws ``rows``, when given)."""
    cache: dict[str, np.ndarray] = {}
    n = fc.n_draws if rows is None else len(rows)
    out = np.empty((n, len(inputs)))
    for j, inp in enumerate(inputs):
        if inp.variable not in cache:
            cache[inp.variable] = fc.values(inp.variable)
        col = _take(cache[inp.variable], inp.index)
        out[:, j] = col if rows is None else col[rows]
    return out


# --- the estimator ------------------------------------------------------------


def _easi_batch(y_perm: np.ndarray, harmonics: int) -> np.ndarray:
    """:func:`SALib.analyze.rbd_fast.compute_first_order` + ``unskew_S1`` for many rows.

    SALib's periodogram (``scipy.signal.periodogram``'s one-sided scaling: every bin
    but DC and, for an even length, Nyquist counts twice) needs only harmonics
    ``1..M`` over the sum of all bins but DC. The sum is ``n * sum((y - mean)^2)``
    (Parseval), and the ``M`` harmonics are one matrix product with their cosines
    and sines: ~3x faster than a full FFT of every row, and one BLAS call for every
    target and bootstrap resample. The tests check it equals SALib's.
    """
    n = y_perm.shape[-1]
    centred = y_perm - y_perm.mean(axis=-1, keepdims=True)
    total = n * np.einsum("...i,...i->...", centred, centred)
    coef = centred @ _harmonic_basis(n, harmonics)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = 2.0 * np.einsum("...i,...i->...", coef, coef) / total
    # SALib's rbd_fast.unskew_S1 (Tissot & Prieur 2012), written out: importing
    # SALib.analyze.rbd_fast imports scipy.signal and scipy.stats (~1 s a run)
    lamb = 2 * harmonics / n
    return np.asarray(s1 - lamb / (1 - lamb) * (1 - s1))


def _easi_points(Y: np.ndarray, X: np.ndarray, orders: np.ndarray | None, harmonics: int) -> np.ndarray:
    """:func:`_easi_batch` of every target ``Y`` (k, n) sorted by every input: ``(k, d)``.

    A permutation changes neither the mean nor the sum of squares of ``Y``, so they
    are computed once; per input only the harmonics of the folded order are left,
    gathered and multiplied for a block of inputs at a time.
    """
    n, d = X.shape
    centred = Y - Y.mean(axis=-1, keepdims=True)
    total = n * np.einsum("ki,ki->k", centred, centred)
    basis = _harmonic_basis(n, harmonics)
    lamb = 2 * harmonics / n
    out = np.empty((len(Y), d))
    block = max(1, 2_000_000 // max(n * len(Y), 1))  # ~16 MB of gathered draws at a time
    for start in range(0, d, block):
        cols = range(start, min(d, start + block))
        order = (
            orders[:, cols.start : cols.stop]
            if orders is not None
            else np.argsort(X[:, cols.start : cols.stop], axis=0)
        )
        folded = np.concatenate([order[::2], order[1::2][::-1]], axis=0)  # _fold, per column
        # (k, inputs, n) @ (n, 2M): every input's harmonics in one product
        coef = np.take(centred, folded.T, axis=1) @ basis
        with np.errstate(invalid="ignore", divide="ignore"):
            s1 = 2.0 * np.einsum("kih,kih->ki", coef, coef) / total[:, None]
        out[:, cols.start : cols.stop] = s1 - lamb / (1 - lamb) * (1 - s1)
    return out


@functools.lru_cache(maxsize=16)
def _harmonic_basis(n: int, harmonics: int) -> np.ndarray:
    """``(n, 2M)``: cos and sin of ``2 pi k t / n`` for ``k = 1..M``, ``t = 0..n-1``."""
    # k t reduced mod n in integers first: cos(2 pi k t / n) for k t up to 1e6 would
    # lose ~1e-10 of accuracy to the size of its argument
    kt = np.outer(np.arange(n), np.arange(1, harmonics + 1)) % n
    angle = 2.0 * np.pi * kt / n
    basis = np.concatenate([np.cos(angle), np.sin(angle)], axis=1)
    basis.flags.writeable = False
    return basis


def _fold(order: np.ndarray) -> np.ndarray:
    """SALib's ``rbd_fast.permute_outputs`` on the draw numbers ``order`` (sorted by the
    input): even ranks up then odd ranks down, so the output in this order is periodic
    in the input."""
    return np.concatenate([order[::2], order[1::2][::-1]])


def _resamples_sorted(order: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each bootstrap resample's draw numbers sorted by the input and folded as
    :func:`_fold` does: ``(resamples, size)``, where row ``r`` repeats the sorted
    draws ``order`` by their counts ``counts[r]`` (a counting sort: no sort per resample)."""
    by_rank = np.take(counts, order, axis=1)
    size = int(counts[0].sum())
    out = np.empty((len(counts), size), dtype=np.intp)
    up = (size + 1) // 2
    for r in range(len(counts)):
        row = np.repeat(order, by_rank[r])
        out[r, :up] = row[::2]
        out[r, up:] = row[1::2][::-1]
    return out


def first_order_indices(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    harmonics: int = HARMONICS,
    resamples: int = RESAMPLES,
    conf_level: float = CONF_LEVEL,
    seed: int = 0,
    conf_mask: np.ndarray | None = None,
    orders: np.ndarray | None = None,
    points: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """First-order indices ``Var(E[Y|X_i]) / Var(Y)`` of each column of ``X``, from given data.

    The estimator is EASI / RBD-FAST on given data (Plischke 2010; SALib's
    :mod:`SALib.analyze.rbd_fast`, with Tissot & Prieur's bias correction). Why this
    one, for a Monte Carlo sample of correlated, non-uniform inputs:

    - it needs no sampling design: it sorts the existing draws by ``X_i`` and reads
      ``E[Y | X_i]`` off the low harmonics of ``Y`` in that order, so it works on the
      simulation's own draws (Saltelli/Sobol' designs would need new model runs with
      independent uniform inputs);
    - it uses only the ranks of ``X_i``, so the inputs' distributions (lognormal,
      logit-normal, Dirichlet) do not matter;
    - the first-order index it estimates is defined whatever the dependence between
      inputs; with correlated inputs it includes what an input reveals about its
      correlated partners (see :func:`sensitivity`'s ``independent`` column);
    - it costs one sort and one FFT per input, so every input of every target is
      affordable at 20,000 draws. (SALib's ``delta`` also gives given-data first-order
      indices, by bins, but reseeds NumPy's global generator and costs a kernel
      density estimate per bin; ``pawn`` and the delta measure itself are not
      variance-based.)

    Parameters
    ----------
    X : array (n, d)
    Y : array (n,) or (n, k)
        The output, or ``k`` outputs (targets) explained by the same inputs: the
        sorting and resampling of each input is then shared.
    harmonics : int
        Harmonics summed (SALib's ``M``).
    resamples : int
        Bootstrap resamples for ``conf``; 0 skips it (``conf`` is NaN).
    conf_level : float
    seed : int
        Seed of the bootstrap.
    conf_mask : bool array (k, d) or (d,), optional
        Bootstrap only these (target, input) pairs; the others' ``conf`` is NaN. The
        resample counts are drawn once per call, so a pair's ``conf`` is the same
        whichever other pairs are bootstrapped (the report bootstraps only the rows
        it shows).
    orders : int array (n, d), optional
        ``np.argsort(X, axis=0)``, when the caller has it already (a sort per input
        is most of the cost).
    points : bool
        ``False`` skips the point estimates (``first_order`` is then NaN): for a
        caller that has them and wants only the bootstrap of a few.

    Returns
    -------
    first_order, conf : arrays (d,), or (k, d) for a 2-D ``Y``
        NaN for an output that does not vary. ``conf`` is SALib's: the half-width of a normal ``conf_level`` interval from
        the SD of estimates on half-size bootstrap resamples, so it is conservative
        (about sqrt(2) times the full-sample uncertainty).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20_000, 2))
    >>> s1, conf = first_order_indices(X, 2 * X[:, 0] + X[:, 1])
    >>> np.round(s1, 1).tolist()
    [0.8, 0.2]
    """
    from scipy.special import ndtri

    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    single = Y.ndim == 1
    Ys = Y[None, :] if single else np.ascontiguousarray(Y.T)  # (targets, n)
    n, d = X.shape
    k = Ys.shape[0]
    s1 = np.full((k, d), np.nan)
    conf = np.full((k, d), np.nan)
    live = [j for j in range(k) if n >= 4 * harmonics and _varies(Ys[j])]
    rng = np.random.default_rng(seed)
    # SALib's bootstrap draws n/2 of the n draws with replacement; drawing how often
    # each draw is picked (multinomial counts) instead lets one sort per input serve
    # every resample (repeat the sorted draws by their counts), and every target
    half = n // 2
    counts = rng.multinomial(half, np.full(n, 1.0 / n), size=resamples) if resamples > 0 and live else None
    z = float(ndtri(0.5 + conf_level / 2.0))
    mask = np.ones((k, d), dtype=bool) if conf_mask is None else np.broadcast_to(conf_mask, (k, d))
    if live and points:
        # numpy's default sort, as SALib's permute_outputs uses: the same order, ties included
        s1[live] = _easi_points(Ys[live], X, orders, harmonics)
    for i in range(d if live and counts is not None else 0):
        boot_rows = [j for j in live if mask[j, i]]
        if boot_rows and counts is not None:
            order = orders[:, i] if orders is not None else np.argsort(X[:, i])
            idx = _resamples_sorted(order, counts)
            boot = _easi_batch(np.take(Ys[boot_rows], idx, axis=1), harmonics)  # (targets, resamples)
            conf[boot_rows, i] = z * boot.std(axis=-1, ddof=1)
    if single:
        return s1[0], conf[0]
    return s1, conf


def _normal_scores(X: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Normal scores of each column's ranks; ``order`` is ``np.argsort(X, axis=0)``
    when the caller has it (the indices sort every input anyway)."""
    from scipy.special import ndtri

    n, d = X.shape
    if order is None:
        order = _column_orders(X)
    # every column's scores are the same n numbers, put where its ranks say: one
    # ndtri of n values, not of every element; row by row in the transposed layout,
    # where each input's draws are contiguous
    Zt = np.empty((d, n))
    np.put_along_axis(Zt, np.ascontiguousarray(order.T), ndtri((np.arange(n) + 0.5) / n)[None, :], axis=1)
    return Zt.T


def _column_orders(X: np.ndarray) -> np.ndarray:
    """``np.argsort(X, axis=0)`` (the same order), sorted as contiguous rows of ``X.T``:
    ~1.6x faster than sorting strided columns. Returned as the transposed view."""
    return np.argsort(np.ascontiguousarray(X.T), axis=1).T


def independent_parts(X: np.ndarray, groups: list[str], order: np.ndarray | None = None) -> np.ndarray:
    """Each column's part not explained by the columns outside its group.

    Inputs are mapped to normal scores (a Gaussian copula), and each is regressed
    on the others' scores; the residual is what the input carries on its own. A
    column fully explained by the others comes back as zeros.

    The regression of a column alone in its group on all the others comes from one
    inverse of the scores' correlation matrix ``P = C^-1``: its residual is
    ``Z P[:, i] / P[i, i]`` (the partial-regression identity), so every such residual
    is one ``(n, d) @ (d, d)`` product instead of ``d`` least-squares fits (``d^4``:
    seconds at 200 inputs). Columns of a group of several (the outcome Dirichlet's
    components, which sum to one) are regressed on the columns outside the group by
    least squares, as is every column when ``C`` is too ill-conditioned to invert.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal((2, 5000))
    >>> own = independent_parts(np.column_stack([a, a + 0.5 * b]), ["a", "b"])
    >>> round(float(np.corrcoef(own[:, 1], b)[0, 1]), 2)
    1.0
    """
    n, d = X.shape
    Z = _normal_scores(X, order)
    # normal scores have mean 0: the regressions need only their (d, d) cross-products
    C = Z.T @ Z / n
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    alone = np.array([sizes[g] == 1 for g in groups], dtype=bool)
    B = np.zeros((d, d))  # residual i = Z @ B[:, i]
    solved = np.zeros(d, dtype=bool)
    if alone.any() and np.linalg.cond(C) < 1e8:
        P = np.linalg.inv(C)
        # a column regressed on every other: residual = Z P[:, i] / P[i, i]
        B[:, alone] = P[:, alone] / np.diag(P)[alone]
        solved[alone] = True
    for i in np.flatnonzero(~solved):
        others = [j for j in range(d) if groups[j] != groups[i]]
        B[i, i] = 1.0
        if others:
            coef, *_ = np.linalg.lstsq(C[np.ix_(others, others)], C[others, i], rcond=None)
            B[others, i] = -coef
    out = Z @ B
    # an input the others explain (to rounding) has no own part
    explained = out.var(axis=0) <= 1e-8 * Z.var(axis=0)
    out[:, explained] = 0.0
    return out


# --- the two views --------------------------------------------------------------


def sensitivity(
    fc: Forecast,
    target: str,
    *,
    harmonics: int = HARMONICS,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Variance-based indices of every uncertain input for one target.

    Parameters
    ----------
    fc : Forecast
    target : str
        See :func:`parse_target`.
    harmonics, resamples, seed
        Passed to :func:`first_order_indices`.

    Returns
    -------
    pandas.DataFrame
        One row per uncertain input, most important first:

        ``input``, ``label``
            Recorded variable with its coordinate, and human text.
        ``first_order``, ``conf``
            ``Var(E[Y | X_i]) / Var(Y)`` from the draws, with the half-width of its
            95% interval. With correlated inputs (the markets' CAGRs share the
            common factor) it includes what the input reveals about its partners:
            another market's CAGR scores on the developer-tools target because it
            moves with the developer-tools CAGR. For NUTS draws (a conditioned
            forecast) the bootstrap, which treats draws as independent, is widened
            by ``sqrt(draws / ESS)`` of the target (see :func:`nuts_conf_factor`).
        ``independent``, ``independent_conf``
            The same index for the input's own part, the residual of its normal
            score regressed on the other inputs' (the "uncorrelated" index of Mara
            & Tarantola, 2012). It is what refining this one assumption could
            change, and it orders the rows (then ``first_order``). The components
            of the outcome Dirichlet are regressed only on the other inputs, since
            they sum to one.
        ``total``
            NaN: a total index needs ``Var(Y | all inputs but i)``, which given data
            cannot resolve for twenty-odd inputs and which new model runs would only
            give with each input resampled alone; the tornado covers interactions
            one input at a time instead.

        ``attrs["target"]`` holds the target's label and ``attrs["draws"]`` the
        number of draws used. Rows are NaN when the target does not vary.

    Examples
    --------
    >>> import forecast
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=5000)  # doctest: +SKIP
    >>> sensitivity(fc, "market.developer_tools@2027")[["label", "first_order"]]  # doctest: +SKIP
    """
    return sensitivities(fc, [target], harmonics=harmonics, resamples=resamples, seed=seed)[target]


def sensitivities(
    fc: Forecast,
    targets: list[str],
    *,
    harmonics: int = HARMONICS,
    resamples: int = RESAMPLES,
    seed: int = 0,
    independent_conf: bool = True,
    conf_top: int | None = None,
    subsample: int | None = SUBSAMPLE_DRAWS,
    conf_enough: float = CONF_ENOUGH,
) -> dict[str, pd.DataFrame]:
    """:func:`sensitivity` for several targets, sharing the inputs' preparation.

    Every target is checked before any work; the result maps each target string to
    its table. ``independent_conf=False`` skips the bootstrap of the own-part index
    (its column is then NaN), for callers that do not show it, as the report does
    not. ``conf_top=k`` bootstraps only each target's ``k`` most important rows (the
    others' ``conf`` is NaN); a row's ``conf`` is the same either way.

    Cost grows with the draws only up to what the indices need: above ``subsample``
    draws they are estimated on an evenly spaced subsample of that many (every chain
    alike), grown once to ``subsample * (conf / conf_enough)^2`` draws (at most all)
    when the largest 95% half-width it finds is above ``conf_enough``; the bootstrap
    half-width shrinks as one over the square root of the draws. ``attrs["draws"]``
    says how many draws were used, ``attrs["draws_available"]`` how many there were.
    ``subsample=None`` uses every draw.

    Examples
    --------
    >>> tables = sensitivities(fc, ["total@2027", "outcome.independence"], conf_top=12)  # doctest: +SKIP
    >>> tables["total@2027"].attrs["draws"]  # doctest: +SKIP
    20000
    """
    tgts = [parse_target(fc.scenario, t) for t in targets]
    inputs = uncertain_inputs(fc)
    n = fc.n_draws
    chains = int(fc.draws.sizes.get("chain", 1)) if fc.conditioned else 1

    def indices(m: int) -> tuple[np.ndarray, ...]:
        # only the subsample's draws are gathered: at a million draws, copying every
        # input's draws cost more than the indices on the subsample
        rows = subsample_rows(n, m) if m < n else None
        X = input_matrix(fc, inputs, rows)
        Y = np.column_stack([tgt.of(fc) if rows is None else tgt.of(fc)[rows] for tgt in tgts])
        return _indices(fc, inputs, X, Y, chains, harmonics, resamples, seed, independent_conf, conf_top)

    m = n if subsample is None or n <= subsample else _round_up(subsample, chains)
    res = indices(m)
    if m < n and resamples > 0:
        worst = float(np.nanmax(res[1], initial=0.0))
        if worst > conf_enough:
            m = min(n, _round_up(int(np.ceil(m * (worst / conf_enough) ** 2)), chains))
            res = indices(m)
    S1, CONF, SI, SI_CONF, _ = res
    out = {}
    for j, (spec, tgt) in enumerate(zip(targets, tgts, strict=True)):
        df = pd.DataFrame(
            {
                "input": [i.key for i in inputs],
                "label": [i.label for i in inputs],
                "first_order": S1[j],
                "total": np.full(len(inputs), np.nan),
                "conf": CONF[j],
                "independent": SI[j],
                "independent_conf": SI_CONF[j],
            },
            columns=SENSITIVITY_COLUMNS,
        )
        df = df.iloc[_ranked(SI[j], S1[j])].reset_index(drop=True)
        df.attrs.update(target=tgt.label, spec=tgt.spec, draws=m, draws_available=n)
        out[spec] = df
    return out


def _round_up(m: int, chains: int) -> int:
    return -(-m // chains) * chains


def subsample_rows(n: int, m: int) -> np.ndarray:
    """``m`` evenly spaced draw numbers of ``n`` (all of them when ``m >= n``).

    Draws are chain-major, so with ``m`` a multiple of the chains every chain gives
    the same number of draws, spread over its whole length.

    Examples
    --------
    >>> subsample_rows(10, 4).tolist()
    [0, 2, 5, 7]
    """
    if m >= n:
        return np.arange(n)
    return np.arange(m, dtype=np.int64) * n // m


def _indices(
    fc: Forecast,
    inputs: list[Input],
    Xs: np.ndarray,
    Ys: np.ndarray,
    chains: int,
    harmonics: int,
    resamples: int,
    seed: int,
    independent_conf: bool,
    conf_top: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The indices from these draws: ``(S1, conf, own, own_conf, alone)``, ``(k, d)`` each."""
    from forecast.engine.forward import one_blas_thread

    k, d = Ys.shape[1], Xs.shape[1]
    fo = functools.partial(first_order_indices, harmonics=harmonics, resamples=resamples, seed=seed)
    with one_blas_thread():
        # one sort per input serves its normal score and both of its indices
        orders = _column_orders(Xs)
        # the inputs' own parts do not depend on the target: one regression per input
        X_own = independent_parts(Xs, [i.group for i in inputs], orders)
        own_orders = _column_orders(X_own)
        # an input the others explain entirely has no own part: its index is 0 (its
        # estimate on a column of zeros would be noise, ranked as if it meant something)
        explained = ~np.any(X_own, axis=0)
        if conf_top is not None:
            # the point indices rank the rows as the table will; only the top ones get
            # a bootstrap
            S1, _ = fo(Xs, Ys, resamples=0, orders=orders)
            SI, _ = fo(X_own, Ys, resamples=0, orders=own_orders)
            S1, SI = np.atleast_2d(S1), np.atleast_2d(SI)
            SI = np.where(explained[None, :] & np.isfinite(S1), 0.0, SI)
            mask = np.zeros((k, d), dtype=bool)
            for j in range(k):
                mask[j, _ranked(SI[j], S1[j])[:conf_top]] = True
            _, CONF = fo(Xs, Ys, conf_mask=mask, orders=orders, points=False)
            SI_CONF = np.full((k, d), np.nan)
            if independent_conf:
                _, SI_CONF = fo(X_own, Ys, conf_mask=mask, orders=own_orders, points=False)
        else:
            S1, CONF = fo(Xs, Ys, orders=orders)
            SI, SI_CONF = fo(X_own, Ys, resamples=resamples if independent_conf else 0, orders=own_orders)
    S1, CONF, SI, SI_CONF = (np.atleast_2d(a).astype(float, copy=True) for a in (S1, CONF, SI, SI_CONF))
    factor = nuts_conf_factor(fc, Ys, chains)[:, None]
    CONF, SI_CONF = CONF * factor, SI_CONF * factor
    fixed = explained[None, :] & np.isfinite(S1)
    SI[fixed] = 0.0
    SI_CONF[fixed & np.isfinite(SI_CONF)] = 0.0  # NaN stays NaN: not computed
    return S1, CONF, SI, SI_CONF, explained


def _ranked(independent: np.ndarray, first_order: np.ndarray) -> np.ndarray:
    """The order of a sensitivity table's rows: by own-part index, then first-order
    index, both largest first; NaN last; full ties in input order.

    One function ranks the rows both for the table and for choosing which rows get a
    bootstrap (``conf_top``), so the rows shown first are the ones with a ``conf``.

    Examples
    --------
    >>> _ranked(np.array([0.0, 0.5, 0.0, np.nan]), np.array([0.1, 0.6, 0.3, 0.9])).tolist()
    [1, 2, 0, 3]
    """
    # lexsort is stable and sorts by its last key first; negated, NaN (as +inf) is last
    return np.lexsort((-np.nan_to_num(first_order, nan=-np.inf), -np.nan_to_num(independent, nan=-np.inf)))


def nuts_conf_factor(fc: Forecast, Y: np.ndarray, chains: int | None = None) -> np.ndarray:
    """How much wider ``conf`` must be for each target column of ``Y`` (the draws,
    chain-major): ``sqrt(draws / ESS)`` for NUTS draws, never below 1; 1 for forward
    draws, which are independent.

    The bootstrap resamples draws as if they were independent; autocorrelated NUTS
    draws carry the information of ESS independent ones, and an estimator's standard
    error grows as ``1 / sqrt(ESS)``. The target's bulk ESS stands in for that of the
    index (which also depends on the input's draws): an approximation, but the right
    order, where the plain bootstrap was too narrow by exactly this factor.

    Examples
    --------
    >>> nuts_conf_factor(fc, Y)  # doctest: +SKIP
    array([1.34, 1.02, 1.51])
    """
    k = Y.shape[1]
    if not fc.conditioned:
        return np.ones(k)
    import arviz_stats as azs

    n_chain = int(fc.draws.sizes["chain"]) if chains is None else chains
    out = np.ones(k)
    for j in range(k):
        y = Y[:, j].reshape(n_chain, -1)
        if np.ptp(y) == 0:
            continue
        ess = float(azs.ess(y, method="bulk"))
        if np.isfinite(ess) and ess > 0:
            out[j] = max(1.0, float(np.sqrt(y.size / ess)))
    return out
