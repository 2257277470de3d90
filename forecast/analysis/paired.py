"""The Monte Carlo error of a difference between two forecasts, and whether it is noise.

Forward simulations with the same seed and draw count use common random numbers: draw
``i`` of one forecast and draw ``i`` of the other come from the same random stream, so
an output that does not depend on what changed is identical draw by draw, and a
difference between the two is far more precise than either forecast alone. Its error
is then computed from the *paired* draws, ``d_i = a_i - b_i`` (:func:`paired_errors`):

- a probability or a mean: ``sd(d) / sqrt(n)``, the standard error of a mean of
  independent pairs (forward draws are independent from one draw to the next, whether
  the two forecasts share their random numbers or not, so it holds for both);
- a median: batch means over :data:`BATCHES` contiguous batches, the spread of the
  batches' median differences divided by ``sqrt(BATCHES)`` (the median of a batch of
  ``n / B`` draws varies ``B`` times as much as that of all ``n``).

An output the change does not touch has ``d_i = 0`` in every draw: a difference of 0
with an error of 0. NUTS draws (autocorrelated, each run on its own data) and forecasts
with different draw counts cannot be paired: their difference's error is the root sum
of squares of their own errors (:func:`own_errors`), the standard error of independent
runs.

A difference is *within noise* when it is smaller than :data:`NOISE` standard errors.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(4000, 1))
>>> float(median_difference_mcse(x, x)[0]), round(float(median_difference_mcse(x + 1, x)[0]), 12)
(0.0, 0.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast

#: contiguous batches behind a median difference's error (its relative error is about
#: 1 / sqrt(2 (BATCHES - 1)), 16%)
BATCHES = 20
#: a difference smaller than this many standard errors is within Monte Carlo noise
NOISE = 2.0

Key = tuple[str, int | None]


def mean_difference_mcse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Error of ``mean(a) - mean(b)`` from paired draws ``(draws, ...)``.

    Examples
    --------
    >>> a = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> mean_difference_mcse(a, a).tolist(), mean_difference_mcse(a, 2 * a).round(4).tolist()
    ([0.0], [0.6455])
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return np.asarray(d.std(axis=0, ddof=1) / np.sqrt(d.shape[0]))


def median_difference_mcse(a: np.ndarray, b: np.ndarray, batches: int = BATCHES) -> np.ndarray:
    """Error of ``median(a) - median(b)`` from paired draws ``(draws, ...)``, by batch means.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.normal(size=(20_000, 1)), rng.normal(size=(20_000, 1))
    >>> se = float(median_difference_mcse(a, b)[0])  # sqrt(2 * pi / 2 / n) = 0.0125
    >>> bool(0.008 < se < 0.017)
    True
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    size = a.shape[0] // batches
    m = size * batches
    if size < 2:
        return np.full(a.shape[1:], np.nan)
    shape = (batches, size, *a.shape[1:])
    d = np.median(a[:m].reshape(shape), axis=1) - np.median(b[:m].reshape(shape), axis=1)
    return np.asarray(d.std(axis=0, ddof=1) / np.sqrt(batches))


def can_pair(a: Any, b: Any) -> bool:
    """Whether the draws of forecasts ``a`` and ``b`` can be paired draw by draw: both
    forward simulations (independent draws) of the same size."""
    from forecast.analysis.results import Forecast

    return (
        isinstance(a, Forecast)
        and isinstance(b, Forecast)
        and not a.conditioned
        and not b.conditioned
        and a.n_draws == b.n_draws
    )


def quantity_draws(fc: Forecast) -> dict[str, tuple[np.ndarray, list[int | None], str]]:
    """Every quantity a comparison differences, as ``{quantity: (draws (n, k), years,
    statistic)}``; ``statistic`` is ``median``, ``probability`` or ``mean``.

    Quantities: ``market.<id>``, ``total``, ``share.<position>``, ``revenue.<position>``,
    ``metric.<id>`` (by year, or one number), ``outcome.<id>``, ``prediction.<id>``
    and ``option.<id>`` (the expected payoff, when the forecast has payoff draws).
    """
    s = fc.scenario
    years: list[int | None] = [int(y) for y in s.years]
    out: dict[str, tuple[np.ndarray, list[int | None], str]] = {}
    size = fc.values("market_size")
    for i, m in enumerate(s.markets):
        out[f"market.{m.id}"] = (size[:, i, :], years, "median")
    if len({m.unit for m in s.markets}) == 1 and len(s.markets) > 1:
        out["total"] = (fc.values("total_market"), years, "median")
    if s.positions:
        share, revenue = fc.values("share"), fc.values("revenue")
        for i, p in enumerate(s.positions):
            out[f"share.{p.id}"] = (share[:, i, :], years, "median")
            out[f"revenue.{p.id}"] = (revenue[:, i, :], years, "median")
    out |= _metric_draws(fc, years)
    if s.assessment:
        q = fc.values("outcome_probability")
        for k, oid in enumerate(s.outcome_ids):
            out[f"outcome.{oid}"] = (q[:, k : k + 1], [None], "probability")
    if s.predictions:
        hit = fc.values("prediction_hit")
        for k, pred in enumerate(s.predictions):
            out[f"prediction.{pred.id}"] = (hit[:, k : k + 1], [None], "probability")
    out |= {f"option.{o}": (x[:, None], [None], "mean") for o, x in payoffs(fc).items()}
    return out


def _metric_draws(
    fc: Forecast, years: list[int | None]
) -> dict[str, tuple[np.ndarray, list[int | None], str]]:
    """Yearly metrics on the years they have a value in (as ``metrics.csv``), and
    metrics that are one number per draw."""
    out: dict[str, tuple[np.ndarray, list[int | None], str]] = {}
    draws = fc.draws
    if "metric_by_year" in draws:
        x = fc.values("metric_by_year")
        for i, mid in enumerate(draws["yearly_metric"].values.tolist()):
            keep = [j for j in range(len(years)) if not np.isnan(x[:, i, j]).any()]
            out[f"metric.{mid}"] = (x[:, i, keep], [years[j] for j in keep], "median")
    if "metric_value" in draws:
        x = fc.values("metric_value")
        for i, mid in enumerate(draws["scalar_metric"].values.tolist()):
            out[f"metric.{mid}"] = (x[:, i : i + 1], [None], "median")
    return out


def payoffs(fc: Forecast) -> dict[str, np.ndarray]:
    """Each option's payoff draws, ``{option: (draws,)}``; empty without payoff draws."""
    from forecast.analysis.decision import PAYOFF_VARIABLE
    from forecast.analysis.results import Forecast

    if not isinstance(fc, Forecast):  # a stand-in with tables only
        return {}
    try:
        x = np.asarray(fc.values(PAYOFF_VARIABLE), dtype=float)
    except KeyError:
        return {}
    ids = [str(o) for o in fc.draws[PAYOFF_VARIABLE]["option"].values]
    return {o: x[:, i] for i, o in enumerate(ids)}


def paired_errors(a: Forecast, b: Forecast) -> dict[Key, float]:
    """The error of every difference ``a - b`` from their paired draws
    (``{(quantity, year): mcse}``), for the quantities and years both have.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled())
    >>> fc = forecast.simulate(s, draws=1000, seed=1)  # doctest: +SKIP
    >>> paired_errors(fc, fc)[("total", 2028)]  # doctest: +SKIP
    0.0
    """
    da, db = quantity_draws(a), quantity_draws(b)
    out: dict[Key, float] = {}
    for q, (xa, ya, stat) in da.items():
        if q not in db:
            continue
        xb, yb, _ = db[q]
        common = [y for y in ya if y in yb]
        if not common:
            continue
        ia, ib = [ya.index(y) for y in common], [yb.index(y) for y in common]
        pa, pb = xa[:, ia], xb[:, ib]
        se = median_difference_mcse(pa, pb) if stat == "median" else mean_difference_mcse(pa, pb)
        out |= {(q, y): float(e) for y, e in zip(common, se, strict=True)}
    return out


def own_errors(fc: Any) -> dict[Key, float]:
    """Each median's own Monte Carlo error (``{(quantity, year): mcse}``), for the
    root sum of squares of forecasts that cannot be paired; empty for a stand-in
    without draws."""
    from forecast.analysis.results import Forecast

    if not isinstance(fc, Forecast):
        return {}
    out: dict[Key, float] = {}
    for q, (x, years, stat) in quantity_draws(fc).items():
        if stat == "median":
            se = [median_mcse(fc, x[:, j]) for j in range(x.shape[1])]
            out |= {(q, y): float(e) for y, e in zip(years, se, strict=True)}
    return out


def median_mcse(fc: Forecast | None, x: np.ndarray) -> float:
    """The Monte Carlo error of the median of draws ``x`` (``(draws,)``), as the sweep
    table's (:func:`forecast.analysis.sweep.quantile_mcse`): for independent forward
    draws, half the width of the central 68% of the order statistics that bracket the
    median (the number of draws below it is Binomial(n, 1/2)); after NUTS, ArviZ's
    quantile MCSE from the chains' tail ESS.

    Examples
    --------
    >>> x = np.random.default_rng(1).normal(size=10_000)
    >>> bool(0.010 < median_mcse(None, x) < 0.015)  # sqrt(0.25 / n) / phi(0) = 0.0125
    True
    """
    from scipy.stats import beta

    x = np.asarray(x, dtype=float)
    if fc is not None and fc.conditioned:
        import arviz_stats as azs

        by_chain = x.reshape(int(fc.data["posterior"].sizes["chain"]), -1)
        return 0.0 if np.ptp(by_chain) == 0 else float(azs.mcse(by_chain, method="quantile", prob=0.5))
    n = x.size
    lo, hi = np.quantile(x, beta.ppf([0.1586553, 0.8413447], n / 2 + 1, n / 2 + 1))
    return float(hi - lo) / 2


def own_error(fc: Forecast, x: np.ndarray, statistic: str) -> float:
    """The Monte Carlo error of one number of ``fc`` from its draws ``x`` (``(draws,)``):
    of the median (:func:`forecast.analysis.sweep.quantile_mcse`), or of the mean (a
    probability's never below :func:`forecast.analysis.results.mcse_floor`), counting
    the chains' autocorrelation after NUTS."""
    from forecast.analysis.results import mcse_floor

    if statistic == "median":
        return median_mcse(fc, x)
    chains = int(fc.data["posterior" if fc.conditioned else "prior"].sizes["chain"])
    by_chain = np.asarray(x, dtype=float).reshape(chains, -1)
    if not fc.conditioned:
        se = float(by_chain.std(ddof=1) / np.sqrt(by_chain.size))
    else:
        import arviz_stats as azs

        se = 0.0 if np.ptp(by_chain) == 0 else float(azs.mcse(by_chain, method="mean"))
    return max(se, mcse_floor(by_chain.size)) if statistic == "probability" else se


def target_rows(
    forecasts: list[Forecast], names: list[str], key: tuple[str, int | None, str]
) -> list[dict[str, Any]]:
    """One target (``(quantity, year, statistic)``, :func:`forecast.analysis.targets.target_key`)
    in each forecast: its value and error, and its difference from the first with the
    difference's error (paired draws where they can be, else the root sum of squares)
    and whether it is within noise."""
    quantity, year, statistic = key
    draws = []
    for fc in forecasts:
        x, years, _ = quantity_draws(fc)[quantity]
        draws.append(x[:, years.index(year)])
    estimate = (
        (lambda x: float(np.quantile(x, 0.5))) if statistic == "median" else (lambda x: float(np.mean(x)))
    )
    errors = [own_error(fc, x, statistic) for fc, x in zip(forecasts, draws, strict=True)]
    rows = []
    for i, (name, fc, x) in enumerate(zip(names, forecasts, draws, strict=True)):
        value = estimate(x)
        row = {"scenario": name, "statistic": statistic, "value": value, "mcse": errors[i]}
        diff, err = np.nan, np.nan
        if i:
            diff = value - estimate(draws[0])
            if can_pair(fc, forecasts[0]):
                one = median_difference_mcse if statistic == "median" else mean_difference_mcse
                err = float(one(x[:, None], draws[0][:, None])[0])
            else:
                err = float(np.hypot(errors[i], errors[0]))
        noise = bool(within_noise(diff, err)) if i else False
        rows.append(row | {"difference": diff, "difference_mcse": err, "within_noise": noise})
    return rows


def within_noise(difference: Any, mcse: Any) -> Any:
    """Whether a difference is smaller than :data:`NOISE` of its standard errors (False
    where the error is unknown, and for an exact 0 with no error: that is no change).

    Examples
    --------
    >>> within_noise(np.array([0.01, 0.1, 0.0]), np.array([0.01, 0.01, 0.0])).tolist()
    [True, False, False]
    """
    d, e = np.abs(np.asarray(difference, dtype=float)), np.asarray(mcse, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(e) & (d < NOISE * e)
