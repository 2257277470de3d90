"""Observed values far from their market's scale: the likely unit mistake, named.

An observation typed in another unit than its market's (``5e9`` in a ``USD bn``
market: dollars, not billions) is a valid positive number, so nothing refuses it;
the sampler would then pull the market a billion-fold. :func:`unit_warnings` compares
each observation with the market's expected size in its year and, when the two are
a power of 1000 apart, says which unit the value looks like. ``forecast validate``
prints each as a ``warning:`` line.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forecast.scenario.schema import Scenario

#: unit words and their size in plain units
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mm": 1e6, "million": 1e6}
_SCALES |= {"b": 1e9, "bn": 1e9, "billion": 1e9, "tn": 1e12, "trillion": 1e12}
_NAMES = {1.0: "", 1e3: "k", 1e6: "m", 1e9: "bn", 1e12: "tn"}


def likely_unit(unit: str, factor: float) -> str:
    """The unit a value ``factor`` times too large for ``unit`` was probably typed in.

    Examples
    --------
    >>> likely_unit("USD bn", 1e9), likely_unit("USD bn", 1e3), likely_unit("units", 1e3)
    ('USD', 'USD m', 'units / 1000')
    """
    words = unit.split()
    scale = _SCALES.get(words[-1].lower()) if words else None
    prefix = " ".join(words[:-1]) if scale is not None else unit
    name = _NAMES.get(round((scale or 1.0) / factor, 6)) if scale is not None or factor < 1 else None
    if name is None:
        return f"{unit} / {factor:g}" if factor > 1 else f"{unit} x {1 / factor:g}"
    return f"{prefix} {name}".strip()


def unit_warnings(s: Scenario) -> list[tuple[str, str]]:
    """``(key path, why)`` for each observation a power of 1000 away from its market's
    expected size in its year (the stated size grown at the median trend).

    Examples
    --------
    >>> import forecast
    >>> unit_warnings(forecast.load(forecast.bundled("deepseek")))
    []
    """
    out = []
    for i, e in enumerate(s.evidence):
        m = next((m for m in s.markets if m.id == e.market), None)
        if m is None:
            continue
        mu, _, _ = m.growth()
        expected = float(m.size.canonical("positive").quantile(0.5)) * math.exp(mu * (e.year - m.base_year))
        k = round(math.log10(e.value / expected) / 3)
        if k == 0:
            continue
        factor = 1000.0**k
        likely = likely_unit(m.unit, factor)
        out.append(
            (
                f"evidence[{i}].value",
                f"{e.value:g} is about {factor:g} times the expected {e.year} size of {m.id} "
                f"({expected:.3g} {m.unit}): it looks like {likely}, not {m.unit}: "
                f"{e.value:g} {likely} is {e.value / factor:g} {m.unit}",
            )
        )
    return out


__all__ = ["likely_unit", "unit_warnings"]
