"""Driver references: the growth at which an outcome's stated odds hold.

Split from :mod:`forecast.scenario.schema` (which imports it): a driver's
``reference`` is filled in on the raw mapping before validation, when a file is read,
merged over its parent, or overridden.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

# --- the growth at which outcome probabilities are stated ---------------------------
#
# An outcome driver shifts the odds with a market's growth. For the stated
# probabilities to hold at the file's own numbers while a what-if that changes the
# market's growth moves the odds, the driver needs the growth it was stated at: its
# ``reference``, filled in on raw mappings as each layer (a file, a child file,
# ``--set``, ``with_overrides``) is applied.


def restate_references(
    data: dict[str, Any], *, restated: bool, written: frozenset[str] = frozenset()
) -> None:
    """Fill in each driver's ``reference``: the growth where its outcome odds hold.

    A driver's log-odds act on the market's growth measured from its reference, so the
    stated probabilities hold at the file's own numbers and a what-if that changes
    the market's growth (a child file, ``--set``, ``with_overrides``) moves the odds.
    A missing reference is the market's growth in ``data``. With ``restated`` (the
    layer being applied restated outcome probabilities or drivers), every reference is
    recomputed from ``data``, except the drivers of the outcomes in ``written``, whose
    references that layer wrote itself. Works on raw mappings, in place; a market
    that does not validate is left for validation to report.

    Examples
    --------
    >>> d = {"markets": [{"id": "m", "label": "M", "unit": "bn", "base_year": 2024,
    ...       "size": 1.0, "cagr": {"median": 0.3, "sigma": 0.1}}],
    ...      "assessment": {"outcomes": [{"id": "a", "drivers": [{"market": "m"}]}]}}
    >>> restate_references(d, restated=False)
    >>> d["assessment"]["outcomes"][0]["drivers"][0]["reference"]
    {'cagr': 0.3, 'growth_sd': 0.1}
    """
    assessment = data.get("assessment")
    markets = data.get("markets")
    if not isinstance(assessment, dict) or not isinstance(markets, list):
        return
    outcomes = assessment.get("outcomes")
    growth: dict[Any, dict[str, float] | None] = {}
    for outcome in outcomes if isinstance(outcomes, list) else []:
        drivers = outcome.get("drivers") if isinstance(outcome, dict) else None
        # an id that is not text (id = ["win"]) is for validation to report, not to hash
        if not isinstance(drivers, list) or (isinstance(outcome.get("id"), str) and outcome["id"] in written):
            continue
        for d in drivers:
            if not isinstance(d, dict) or (not restated and "reference" in d):
                continue
            mid = d.get("market")
            if not isinstance(mid, str):
                continue
            if mid not in growth:
                growth[mid] = _reference_of(markets, mid)
            ref = growth[mid]
            if ref is not None:
                d["reference"] = dict(ref)
            else:
                d.pop("reference", None)


def _reference_of(markets: list[Any], market_id: object) -> dict[str, float] | None:
    raw = next((m for m in markets if isinstance(m, dict) and m.get("id") == market_id), None)
    if raw is None:
        return None
    # here, not at the top: schema imports this module, and a market is validated only
    # to read its growth
    from forecast.scenario.schema import Market

    try:
        mu, sd, _ = Market.model_validate(raw).growth()
    except (ValidationError, ValueError, ArithmeticError, AssertionError):
        return None
    if not (sd > 0 and math.isfinite(mu) and math.isfinite(sd)):
        return None
    return {"cagr": _round(math.expm1(mu)), "growth_sd": _round(sd)}


def _round(x: float) -> float:
    # 12 significant digits: the file stays readable, the odds do not move
    return float(f"{x:.12g}")


def layer_restates(layer: Mapping[str, Any]) -> tuple[bool, frozenset[str]]:
    """Whether a file states outcome probabilities or drivers of its own, and the
    outcomes whose driver references it writes itself."""
    assessment = layer.get("assessment")
    outcomes = assessment.get("outcomes") if isinstance(assessment, dict) else None
    if not isinstance(outcomes, list):
        return False, frozenset()
    items = [o for o in outcomes if isinstance(o, dict)]
    restated = any("probability" in o or "drivers" in o for o in items)
    written = frozenset(
        str(o.get("id"))
        for o in items
        if isinstance(o.get("drivers"), list)
        and any(isinstance(d, dict) and "reference" in d for d in o["drivers"])
    )
    return restated, written
