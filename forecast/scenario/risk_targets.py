"""Risks' effects on named inputs and metrics: ``{ target = "inputs.<id>", shift }``,
``{ target = "metric.<id>", shift }`` and their ``scale`` form.

On the draws where the risk happens the input (metric) is moved: ``shift`` is added,
in the target's own unit (a fraction, or a percent string such as ``"-5%"``, for a
share), or the value is multiplied by ``scale``. The file's value is the value
*without* the risk (the base case a business model starts from): a risk with
probability ``p`` and shift ``s`` moves the input's mean from ``v`` to ``v + p s``.
That differs on purpose from a growth effect, whose stated CAGR is already the
forecast's marginal one (a market table's number), so its shift is centred.

A metric is shifted where it is computed, before the metrics and payoffs that name it:
they follow, as they follow a shifted input. A yearly metric is shifted in every grid
year from the year of ``as_of`` on (the years being forecast, not the history).

This module also says what a formula may see of a shifted target: the signs it can
take with the shifts (:func:`widened_signs`), so that ``log(inputs.x)`` or a division
by a metric that a risk can push to 0 is refused as it would be without the risk.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled())
>>> target_effects(s)
[]
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np

from forecast.errors import Problem
from forecast.scenario.formula_rules import _SHARE_UNITS, add_signs, mul_signs, range_signs
from forecast.scenario.inputs import TAIL_Z, Quantity
from forecast.scenario.merging import hint

if TYPE_CHECKING:
    from forecast.scenario.risks import Effect
    from forecast.scenario.schema import Scenario

#: the target forms of an effect with ``shift`` (or ``scale``): a market's growth, a
#: named input (``[[inputs]]``) or a metric (``[[metrics]]``, as formulas name it)
TARGET_FORM = "markets.<id>.cagr', 'inputs.<id>' or 'metric.<id>"


def target_effects(s: Scenario) -> list[tuple[int, Effect]]:
    """Every risk effect on an input or a metric: ``(index of the risk, effect)``."""
    return [(i, e) for i, r in enumerate(s.risks) for e in r.effects if e.kind in ("input", "metric")]


def _range(q: Quantity, domain: str) -> tuple[float, float]:
    """Where a quantity lies: within :data:`TAIL_Z` SDs of its latent."""
    try:
        c = q.canonical(domain)  # type: ignore[arg-type]
        with np.errstate(all="ignore"):
            lo, hi = sorted(float(x) for x in c.transform(np.array([-TAIL_Z, TAIL_Z])))
    except (ValueError, ArithmeticError):
        return -np.inf, np.inf
    return (lo, lo) if c.is_point else (lo, hi)


def _signs(q: Quantity, domain: str) -> frozenset[int]:
    """The signs a quantity can take within :data:`TAIL_Z` SDs of its latent."""
    return range_signs(*_range(q, domain))


def input_signs_with_risks(s: Scenario, ident: str, lo: float, hi: float) -> frozenset[int]:
    """The signs input ``ident``, lying in ``[lo, hi]`` without risks, can take with every
    risk that shifts or scales it (by ranges: a margin of 0.4 shifted by -5 points stays
    positive).

    Examples
    --------
    >>> import forecast
    >>> sorted(input_signs_with_risks(forecast.load(forecast.bundled()), "x", 0.4, 0.4))
    [1]
    """
    for _, e in target_effects(s):
        if e.kind != "input" or e.ident != ident:
            continue
        if e.shift is not None:
            a, b = _range(e.shift, "real")
            lo, hi = min(lo, lo + a), max(hi, hi + b)
        elif e.scale is not None:
            a, b = _range(e.scale, "positive")
            ends = [lo, hi, lo * a, lo * b, hi * a, hi * b]
            lo, hi = min(ends), max(ends)
    return range_signs(lo, hi)


def widened_signs(s: Scenario, kind: str, ident: str, signs: frozenset[int]) -> frozenset[int]:
    """The signs input (``kind="input"``) or metric ``ident`` can take, with every risk
    that shifts or scales it happening or not (several may happen together).

    Examples
    --------
    >>> import forecast
    >>> widened_signs(forecast.load(forecast.bundled()), "input", "x", frozenset({1}))
    frozenset({1})
    """
    out = signs
    for _, e in target_effects(s):
        if e.kind != kind or e.ident != ident:
            continue
        if e.shift is not None:
            out = out | add_signs(out, _signs(e.shift, "real"))
        elif e.scale is not None:
            out = out | mul_signs(out, _signs(e.scale, "positive"))
    return out


def _numbers(q: Quantity) -> list[float]:
    return [
        float(v)
        for k, v in q.model_dump().items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k not in ("sd", "sigma")
    ]


def target_problems(
    s: Scenario, origin: str, path: str, e: Effect, computable: Collection[str] = ()
) -> list[Problem]:
    """Every problem of one effect on ``inputs.<id>`` or ``metric.<id>``; ``computable``
    are the metrics whose formulas check (:func:`~forecast.scenario.formula_checks.metric_infos`).

    Examples
    --------
    >>> import forecast
    >>> from forecast.scenario.risks import Effect
    >>> s = forecast.load(forecast.bundled())
    >>> str(target_problems(s, "f", "risks.r.effects[0]", Effect(target="inputs.nope", shift=1))[0])
    "f: risks.r.effects[0].target: no input with id 'nope'"
    """
    out: list[Problem] = []
    if e.shift is not None:
        out += [Problem(origin, f"{path}.shift", m) for m in e.shift.domain_problems("real")]
    elif e.scale is not None:
        out += [Problem(origin, f"{path}.scale", m) for m in e.scale.domain_problems("positive")]
    amount = e.shift if e.shift is not None else e.scale
    try:
        table = amount is not None and amount.canonical("real" if e.shift is not None else "positive").table
    except ValueError:  # its domain problem is above
        table = False
    if table is not None and table is not False:
        key = "shift" if e.shift is not None else "scale"
        out.append(
            Problem(
                origin,
                f"{path}.{key}",
                "takes a number, an interval or a normal, lognormal or uniform distribution "
                "(not a triangular, PERT, discrete, mixture or samples one, yet)",
            )
        )
    items = s.inputs if e.kind == "input" else s.metrics
    ids = [i.id for i in items]
    what = "input" if e.kind == "input" else "metric"
    if "@" in e.ident:
        out.append(
            Problem(
                origin,
                f"{path}.target",
                "names no year: a metric is shifted in every year from as_of on (write metric.<id>)",
                e.target,
                True,
            )
        )
        return out
    if e.ident not in ids:
        out.append(Problem(origin, f"{path}.target", f"no {what} with id {e.ident!r}{hint(e.ident, ids)}"))
        return out
    if e.kind == "metric" and e.ident not in computable:
        msg = f"metric {e.ident!r} cannot be computed (see its own problems)"
        out.append(Problem(origin, f"{path}.target", msg))
    unit = items[ids.index(e.ident)].unit.strip().lower()
    big = [v for v in _numbers(e.shift) if abs(v) >= 1] if e.shift is not None else []
    values = _numbers(items[ids.index(e.ident)].value) if e.kind == "input" else []  # type: ignore[union-attr]
    if unit in _SHARE_UNITS and big and all(0 <= v <= 1 for v in values):
        v = big[0]
        out.append(
            Problem(
                origin,
                f"{path}.shift",
                f'is in the {what}\'s unit, a share: you typed {v:g}; did you mean {v / 100:g} or "{v:g}%"?',
            )
        )
    return out
