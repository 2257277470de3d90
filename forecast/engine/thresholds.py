"""When and how the thresholds are judged, for :func:`~forecast.engine.data.model_data`:
the query times the simulated quantities are read at (the grid years, the deadlines
and, for ``by`` thresholds, every month of the window), linear interpolation on them,
and each threshold's checks (see :class:`~forecast.engine.data.ModelData`).

Examples
--------
>>> import numpy as np
>>> _interp_index(_interp_weights(np.array([2025.25]), np.array([2025.0, 2026.0])))
(array([0]), array([1]), array([0.25]))
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from forecast.engine.formulas import metric_check
from forecast.scenario import Scenario, model_time

_SAME_TIME = 1e-9  # times closer than this (in years) are the same time
MONTHS = 12  # a "by" threshold is checked at least monthly


def _query_times(s: Scenario, years: np.ndarray) -> np.ndarray:
    """Times the simulated quantities are read at: the grid years first, then the
    threshold deadlines and, for ``by`` thresholds, every month from ``as_of`` to
    the deadline and every share-path date in between (on :func:`model_time`'s axis).

    Market sizes are log-linear between grid years, so their extremes in a window
    are at grid years or its ends; share paths bend only a little between points, and
    a monthly grid is as fine as a monthly deadline needs.
    """
    extra: list[float] = []
    start = model_time(s.as_of)
    for pr in s.predictions:
        if pr.kind != "threshold":
            continue
        end = model_time(pr.deadline)
        extra.append(end)
        if pr.judged == "by":
            first = dt.date(s.as_of.year, s.as_of.month, 1)
            i = 0
            while True:
                y, m = divmod(first.month - 1 + i, 12)
                t = model_time(dt.date(first.year + y, m + 1, 1))
                if t > end:
                    break
                if t >= start:
                    extra.append(t)
                i += 1
            extra.append(start)
            extra += [t for pos in s.positions for pt in pos.path if start <= (t := model_time(pt.at)) <= end]
    out: list[float] = []
    for t in sorted(extra):
        if not out or t - out[-1] > _SAME_TIME:
            out.append(t)
    return np.concatenate([years, np.array(out, dtype=float)])


def _interp_weights(x: np.ndarray, xp: np.ndarray) -> np.ndarray:
    """Rows of linear-interpolation weights of ``x`` on knots ``xp`` (flat outside)."""
    w = np.zeros((len(x), len(xp)))
    for i, xi in enumerate(x):
        if len(xp) == 1 or xi <= xp[0]:
            w[i, 0] = 1.0
        elif xi >= xp[-1]:
            w[i, -1] = 1.0
        else:
            j = int(np.searchsorted(xp, xi, side="right")) - 1
            t = (xi - xp[j]) / (xp[j + 1] - xp[j])
            w[i, j], w[i, j + 1] = 1 - t, t
    return w


def _interp_index(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of :func:`_interp_weights` as indices: ``(lo, hi, u)`` with row ``i`` equal
    to ``1 - u[i]`` at ``lo[i]`` and ``u[i]`` at ``hi[i]`` (``lo == hi``, ``u = 0`` on a knot
    or outside)."""
    lo = np.zeros(len(w), dtype=np.int64)
    hi = np.zeros(len(w), dtype=np.int64)
    u = np.zeros(len(w))
    for i, row in enumerate(w):
        nz = np.flatnonzero(row)
        if len(nz):
            lo[i], hi[i] = nz[0], nz[-1]
            u[i] = row[hi[i]] if hi[i] != lo[i] else 0.0
    return lo, hi, u


def _threshold_checks(
    s: Scenario,
    thresholds: list[Any],
    times: np.ndarray,
    interp: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_y: int,
    market_ids: list[str],
    position_ids: list[str],
) -> dict[str, np.ndarray]:
    """The checks of every threshold (see :class:`~forecast.engine.data.ModelData`): one
    per query time of its window, the deadline alone (``at``) or every query time from
    ``as_of`` to the deadline (``by``), reading its series of the flat values ``[log
    market (M x Y), share (P x T), revenue (P x T)]``."""
    columns: dict[str, list[Any]] = {k: [] for k in ("lo", "hi", "u", "sign", "value", "upper")}
    windows: list[list[int]] = []
    for pr in thresholds:
        assert pr.quantity is not None
        first = len(columns["lo"])
        bounds = _bounds(pr)
        for t in _window(s, pr, times):
            read = _read(s, pr.quantity, int(t), interp, n_y, market_ids, position_ids)
            for k, v in zip(("lo", "hi", "u", "sign", "value", "upper"), (*read, *bounds), strict=True):
                columns[k].append(v)
        windows.append(list(range(first, len(columns["lo"]))))
    width = max([len(w) for w in windows] + [1])
    thr_check = np.array([w + [w[-1]] * (width - len(w)) for w in windows], dtype=np.int64).reshape(
        len(windows), width
    )
    return {
        "check_lo": np.array(columns["lo"], dtype=np.int64),
        "check_hi": np.array(columns["hi"], dtype=np.int64),
        "check_u": np.array(columns["u"], dtype=float),
        "check_sign": np.array(columns["sign"], dtype=float),
        "check_value": np.array(columns["value"], dtype=float),
        "check_upper": np.array(columns["upper"], dtype=float),
        "thr_check": thr_check,
    }


def _window(s: Scenario, pr: Any, times: np.ndarray) -> np.ndarray:
    """The query times a threshold is checked at: from ``as_of`` to the deadline
    inclusive for ``by``; else (or when no query time is in that window) the query
    time nearest the deadline."""
    end = model_time(pr.deadline)
    if pr.judged == "by":
        start = model_time(s.as_of)
        win = np.flatnonzero((times >= start - _SAME_TIME) & (times <= end + _SAME_TIME))
    else:
        win = np.zeros(0, dtype=np.int64)
    if pr.judged != "by" or not len(win):
        win = np.array([int(np.argmin(np.abs(times - end)))])
    return win


def _read(
    s: Scenario,
    quantity: str,
    t: int,
    interp: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_y: int,
    market_ids: list[str],
    position_ids: list[str],
) -> tuple[int, int, float]:
    """Where one check reads ``quantity`` at query time ``t`` in the flat values:
    ``(lo, hi, u)``, the value being ``(1 - u) v[lo] + u v[hi]``."""
    n_m, n_p, n_t = len(market_ids), len(position_ids), len(interp[0])
    t_lo, t_hi, t_u = interp
    kind, _, ref = quantity.partition(".")
    if kind == "market":
        m = market_ids.index(ref)
        return m * n_y + int(t_lo[t]), m * n_y + int(t_hi[t]), float(t_u[t])
    if kind == "metric":  # the metrics follow revenue in the flat values
        return metric_check(s, quantity, t, interp, n_m * n_y + 2 * n_p * n_t)
    block = n_m * n_y + (0 if kind == "share" else n_p * n_t)
    at = block + position_ids.index(ref) * n_t + t
    return at, at, 0.0


def _bounds(pr: Any) -> tuple[float, float, float]:
    """A threshold's ``(sign, value, upper)``: +1 for ``>=``, -1 for ``<=``; the
    threshold and, for ``between``, the range's upper end (else inf), a market's in log."""
    kind = pr.quantity.partition(".")[0]
    sign = -1.0 if pr.op == "<=" else 1.0
    # "between" is ">= low" and "<= high" at the same time
    thr, top = (pr.low, pr.high) if pr.op == "between" else (pr.threshold, np.inf)
    thr, top = float(thr), float(top)
    if kind == "market":
        # compared in log: no market is exponentiated for a check; every market
        # size is positive, so a threshold <= 0 is always passed (>=) or missed (<=)
        thr = float(np.log(thr)) if thr > 0 else -np.inf
        top = float(np.log(top)) if top > 0 else -np.inf
    return sign, thr, top
