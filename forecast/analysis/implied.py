"""What the draws imply for a strategist's questions: growth, signposts, outcomes.

Three readings of a :class:`~forecast.analysis.results.Forecast` that the report, the
workbook and the terminal summary share, each a DataFrame with fixed columns:

:func:`implied_growth`
    The CAGR each market's simulated path implies (per draw, then its median and
    90% interval), from the base year to the projection year and to the end year,
    beside the stated one.
:func:`signpost_effects`
    For each signpost, every outcome's *and every prediction's* probability if the
    signpost is observed true or false, with its Monte Carlo standard error.
:func:`position_by_outcome`
    A company's share and revenue fan per outcome: the blend of outcome paths has a
    median that matches no path, so the report shows each path's own fan.

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000)  # doctest: +SKIP
>>> implied_growth(fc).query("market == 'total'")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.scenario import Market, Scenario

GROWTH_COLUMNS = [
    "market",
    "label",
    "from_year",
    "to_year",
    "stated",
    "stated_basis",
    "q05",
    "q50",
    "q95",
    "mcse",
]
SIGNPOST_COLUMNS = [
    "signpost",
    "observed",
    "p_true",
    "kind",
    "id",
    "label",
    "without",
    "now",
    "if_true",
    "if_false",
    "mcse_true",
    "mcse_false",
]
BY_OUTCOME_COLUMNS = [
    "market",
    "outcome",
    "year",
    "probability",
    "mean",
    "sd",
    "q05",
    "q25",
    "q50",
    "q75",
    "q95",
    "probability_mcse",  # the errors last, so the columns shared with markets.csv keep their places
    "mcse",
]


# --- growth -------------------------------------------------------------------------


def _median(q: Any, domain: Any) -> float:
    return float(q.canonical(domain).quantile(0.5))


def stated_cagr(m: Market, year: int) -> tuple[float, str]:
    """The CAGR the scenario states for ``m`` (towards ``year``), and what it comes from.

    The stated ``cagr`` (its median) when given, else the one the stated size and
    projection imply.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled())
    >>> rate, basis = stated_cagr(s.market("developer_tools"), 2027)
    >>> round(rate, 6), basis
    (0.47, 'stated CAGR')
    """
    if m.cagr is not None:
        return _median(m.cagr, "growth"), "stated CAGR"
    assert m.projection is not None  # a market states two of size, projection, CAGR
    n = m.projection.year - m.base_year
    ratio = _median(m.projection, "positive") / _median(m.size, "positive")
    return float(ratio ** (1.0 / n) - 1.0), "stated size and projection"


def _stated_size(m: Market, year: int) -> float:
    """The size the stated inputs give ``m`` in ``year`` (medians): its projection in
    the projection year, else the size grown at the stated CAGR."""
    if m.projection is not None and m.projection.year == year:
        return _median(m.projection, "positive")
    c, _ = stated_cagr(m, year)
    return _median(m.size, "positive") * (1.0 + c) ** (year - m.base_year)


def growth_spans(s: Scenario, m: Market | None = None) -> list[tuple[int, int]]:
    """``(from, to)`` years of the implied CAGR: base year to each projection year of
    the scenario (so markets compare over the same years), to the headline year and to
    the end year.
    ``m=None``: the total (every market's base year must be the same, else no span).

    Examples
    --------
    >>> import forecast
    >>> growth_spans(forecast.load(forecast.bundled()))
    [(2024, 2027), (2024, 2028)]
    """
    markets = [m] if m is not None else list(s.markets)
    bases = {mk.base_year for mk in markets}
    if len(bases) != 1:
        return []
    base = bases.pop()
    # the headline year too: the summary quotes the growth to it
    ends = sorted(
        {mk.projection.year for mk in s.markets if mk.projection is not None} | {s.years[-1], s.headline_year}
    )
    return [(base, y) for y in ends if base < y <= s.years[-1]]


def implied_growth(fc: Forecast) -> pd.DataFrame:
    """The CAGR each market's simulated path implies, with the stated one beside it.

    Per draw ``(size[to] / size[from]) ** (1 / (to - from)) - 1``; then its median and
    90% interval (the 5th and 95th percentiles). Rows per market and span (see
    :func:`growth_spans`), and ``total`` when every market shares a unit and a base
    year (its stated CAGR is that of the stated sizes summed).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GROWTH_COLUMNS`; ``stated_basis`` says where ``stated`` comes from;
        ``mcse`` is the Monte Carlo standard error of the median ``q50``.

    Examples
    --------
    >>> implied_growth(fc).iloc[0][["market", "from_year", "to_year"]].tolist()  # doctest: +SKIP
    ['enterprise_llm_apis', 2024, 2027]
    """
    from forecast.analysis.sweep import quantile_mcse

    s = fc.scenario
    years = [int(y) for y in s.years]
    size = fc.values("market_size")
    chains = int(fc.draws["market_size"].shape[0])
    rows: list[dict[str, Any]] = []

    def add(name: str, label: str, x: np.ndarray, a: int, b: int, stated: float, basis: str) -> None:
        ratio = x[:, years.index(b)] / x[:, years.index(a)]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = ratio ** (1.0 / (b - a)) - 1.0
        q05, q50, q95 = np.quantile(g, [0.05, 0.5, 0.95])
        rows.append(
            {
                "market": name,
                "label": label,
                "from_year": a,
                "to_year": b,
                "stated": stated,
                "stated_basis": basis,
                "q05": float(q05),
                "q50": float(q50),
                "q95": float(q95),
                # chain-major draws, as pooled: (chain, draw, 1) for the quantile's MCSE
                "mcse": float(quantile_mcse(fc, g.reshape(chains, -1, 1), [0.5])[0, 0]),
            }
        )

    if len(s.markets) > 1 and len({m.unit for m in s.markets}) == 1:
        total = fc.values("total_market")
        for a, b in growth_spans(s):
            start = sum(_median(m.size, "positive") for m in s.markets)
            end = sum(_stated_size(m, b) for m in s.markets)
            add(
                "total",
                "Total of all markets",
                total,
                a,
                b,
                (end / start) ** (1 / (b - a)) - 1,
                "stated markets summed",
            )
    for i, m in enumerate(s.markets):
        for a, b in growth_spans(s, m):
            stated, basis = stated_cagr(m, b)
            add(m.id, m.label, size[:, i, :], a, b, stated, basis)
    return pd.DataFrame(rows, columns=GROWTH_COLUMNS)


# --- signposts ------------------------------------------------------------------------


def signpost_effects(fc: Forecast) -> pd.DataFrame:
    """Every outcome's and every prediction's probability if each signpost is observed
    true or false.

    Outcomes: Bayes' rule on the mean outcome probabilities, exactly as
    :meth:`Forecast.signposts`. Predictions: a signpost depends only on the outcome,
    so observing it reweights each draw by its likelihood under the draw's realized
    outcome (``P(hit | s) = sum_d w_d hit_d / sum_d w_d``, ``w_d = P(s | outcome_d)``).
    Unobserved, every weight is 1 and ``now`` equals ``predictions.csv``.

    ``without`` is the probability without this signpost's observation: ``now`` when it
    is not observed (or a ``--prior-only`` run ignored it: then ``observed`` is empty); when NUTS conditioned on it, the draws are reweighted by
    ``1 / P(observed | outcome)`` first, so ``if_true``/``if_false`` are the odds had it
    come out either way, not a second update on the same news.

    ``mcse_true``/``mcse_false``: Monte Carlo standard errors (delta method on the
    draws' contributions, autocorrelation-aware for NUTS draws).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SIGNPOST_COLUMNS`; ``kind`` is ``outcome`` or ``prediction``,
        ``id``/``label`` name it.

    Examples
    --------
    >>> signpost_effects(fc).query("kind == 'prediction'").head(2)  # doctest: +SKIP
    """
    from forecast.analysis.answers import answer_effects
    from forecast.engine.answers import answer_sets

    s = fc.scenario
    if not s.signposts or not s.assessment:
        return pd.DataFrame(columns=SIGNPOST_COLUMNS)
    rows: list[dict[str, Any]] = []
    # a signpost is the question "is it seen?" with the answers true and false
    for sp, item in zip(s.signposts, answer_sets(s, ("signpost",)), strict=True):
        # a --prior-only run ignored the observation: the signpost is open in its draws,
        # and saying "observed true, it moved P(a) from 50% to 50%" would be wrong
        observed = sp.observed if fc.conditioned else None
        e = answer_effects(fc, item.likelihood, item.observed if fc.conditioned else None)
        common = {"signpost": sp.id, "observed": observed, "p_true": float(e.p_answer[0])}
        for i, o in enumerate(s.assessment.outcomes):
            rows.append(
                {
                    **common,
                    "kind": "outcome",
                    "id": o.id,
                    "label": o.label,
                    "without": float(e.without[i]),
                    "now": float(e.now[i]),
                    "if_true": float(e.outcome[0, i]),
                    "if_false": float(e.outcome[1, i]),
                    "mcse_true": float(e.outcome_mcse[0, i]),
                    "mcse_false": float(e.outcome_mcse[1, i]),
                }
            )
        for j, pr in enumerate(s.predictions):
            rows.append(
                {
                    **common,
                    "kind": "prediction",
                    "id": pr.id,
                    "label": pr.statement,
                    "without": float(e.pred_without[j]),
                    "now": float(e.pred_now[j]),
                    "if_true": float(e.pred[0, j]),
                    "if_false": float(e.pred[1, j]),
                    "mcse_true": float(e.pred_mcse[0, j]),
                    "mcse_false": float(e.pred_mcse[1, j]),
                }
            )
    return pd.DataFrame(rows, columns=SIGNPOST_COLUMNS)


# --- by outcome ---------------------------------------------------------------------


def path_depends_on_outcome(s: Scenario, position_id: str) -> bool:
    """True when a position's share path has outcome-specific points.

    Examples
    --------
    >>> import forecast
    >>> path_depends_on_outcome(forecast.load(forecast.bundled()), "deepseek_devtools")
    True
    """
    return bool(s.assessment) and any(pt.outcome for pt in s.position(position_id).path)


def position_by_outcome(fc: Forecast) -> pd.DataFrame:
    """Share and revenue fans of each position, among the draws of each outcome.

    Rows like ``markets.csv`` (``market`` = ``share.<position>`` or
    ``revenue.<position>``) with the ``outcome`` and its frequency in the draws
    (``probability``), and the Monte Carlo errors of that frequency
    (``probability_mcse``) and of the mean (``mcse``); only positions whose path
    depends on the outcome, and outcomes that occur in the draws.

    Examples
    --------
    >>> position_by_outcome(fc).query("outcome == 'independence'").head(1)  # doctest: +SKIP

    Computed once per forecast (the figures and the report both show it: every
    quantile of its columns once), handed out as copies.
    """
    return fc._table("position_by_outcome", lambda: _position_by_outcome(fc))


def _position_by_outcome(fc: Forecast) -> pd.DataFrame:
    from forecast.analysis.results import QUANTILES

    s = fc.scenario
    pos = [(i, p) for i, p in enumerate(s.positions) if path_depends_on_outcome(s, p.id)]
    if not pos:
        return pd.DataFrame(columns=BY_OUTCOME_COLUMNS)
    years = [int(y) for y in s.years]
    realized = fc.values("realized_outcome").astype(int)
    share, revenue = fc.values("share"), fc.values("revenue")
    rows: list[dict[str, Any]] = []
    for i, p in pos:
        for kind, arr in (("share", share), ("revenue", revenue)):
            for k, o in enumerate(s.outcome_ids):
                sel = realized == k
                if sel.sum() < 2:
                    continue
                x = arr[sel, i, :]
                qs = np.quantile(x, QUANTILES, axis=0)
                # an overflow gives inf, which the CSV writer refuses with row and column named
                with np.errstate(over="ignore", invalid="ignore"):
                    mean, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
                    errors = _errors_by_outcome(fc, sel, arr[:, i, :], mean)
                for j, y in enumerate(years):
                    rows.append(
                        {
                            "market": f"{kind}.{p.id}",
                            "outcome": o,
                            "year": y,
                            "probability": float(sel.mean()),
                            "mean": float(mean[j]),
                            "sd": float(sd[j]),
                            **{f"q{round(qq * 100):02d}": float(qs[n, j]) for n, qq in enumerate(QUANTILES)},
                            "probability_mcse": errors[0],
                            "mcse": float(errors[1][j]),
                        }
                    )
    return pd.DataFrame(rows, columns=BY_OUTCOME_COLUMNS)


def _errors_by_outcome(
    fc: Forecast, sel: np.ndarray, x: np.ndarray, mean: np.ndarray
) -> tuple[float, np.ndarray]:
    """The MCSE of an outcome's frequency (a probability: floored at ``3 / draws``) and
    of each year's mean among its draws: a ratio of two means over every draw, so the
    delta method's influence ``1[outcome] (x - mean) / frequency`` (autocorrelation-aware
    after NUTS, as every table's errors)."""
    w = sel.astype(float)
    p = float(w.mean())
    influence = w[:, None] * (x - mean) / p
    se_mean = np.array(
        [fc._mcse("realized_outcome", influence[:, j], floor=False) for j in range(x.shape[1])]
    )
    return float(fc._mcse("realized_outcome", w)), se_mean.reshape(-1)


def prediction_by_outcome(fc: Forecast) -> pd.DataFrame:
    """Each prediction's probability among the draws of each outcome, with its MCSE
    (binomial, from the number of draws of that outcome; at least the rule-of-three
    bound ``3 / draws``, so a 0 or 1 is never "± 0").

    Examples
    --------
    >>> prediction_by_outcome(fc).head(3)  # doctest: +SKIP

    Computed once per forecast (the figures and the report both show it), handed out
    as copies.
    """
    return fc._table("prediction_by_outcome", lambda: _prediction_by_outcome(fc))


def _prediction_by_outcome(fc: Forecast) -> pd.DataFrame:
    from forecast.analysis.results import mcse_floor

    s = fc.scenario
    cols = ["id", "outcome", "probability", "mcse", "draws"]
    if not s.predictions or not s.assessment:
        return pd.DataFrame(columns=cols)
    realized = fc.values("realized_outcome").astype(int)
    hit = fc.values("prediction_hit").astype(float)
    rows = []
    for j, pr in enumerate(s.predictions):
        for k, o in enumerate(s.outcome_ids):
            sel = realized == k
            n = int(sel.sum())
            if n == 0:
                continue
            p = float(hit[sel, j].mean())
            rows.append(
                {
                    "id": pr.id,
                    "outcome": o,
                    "probability": p,
                    # never "0 ± 0" when every draw of the outcome agrees: the rule of three
                    "mcse": max(float(np.sqrt(p * (1 - p) / n)), mcse_floor(n)),
                    "draws": n,
                }
            )
    return pd.DataFrame(rows, columns=cols)
