"""Units of markets, inputs and metrics, and their algebra in formulas.

A unit is a scale factor times a product of base units with integer powers:
``USD bn`` is 1e9 x USD, ``USD m / GPU`` is 1e6 x USD x GPU^-1, a share (``share``,
``%``, ``fraction``, or no unit at all) is the pure number 1. A unit this module does
not know (``GPUs``, ``seats``) is a base unit of its own, named by its text, so it
combines only with itself: ``GPUs + seats`` is refused, ``GPUs * USD per GPUs`` is USD.

This module never imports PyMC.

Examples
--------
>>> parse_unit("USD bn").factor, parse_unit("USD bn").dims
(1000000000.0, (('USD', 1),))
>>> show(parse_unit("USD m") * parse_unit("share"))
'USD m'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: currencies and money scales the checker converts between (USD bn vs USD m is x 1000)
_CURRENCY = r"USD|EUR|GBP|CNY|JPY|CHF|INR|\$|€|£"
_SCALES = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "tn": 1e12,
    "trillion": 1e12,
}
_MONEY = re.compile(rf"^({_CURRENCY})\s*({'|'.join(k for k in _SCALES if k)})?$", re.IGNORECASE)
_SYMBOL = {"$": "USD", "€": "EUR", "£": "GBP"}
_CURRENCIES = {"USD", "EUR", "GBP", "CNY", "JPY", "CHF", "INR"}
#: texts that mean a pure number (a share, a rate, a ratio)
DIMENSIONLESS = frozenset(
    {"", "1", "share", "fraction", "ratio", "rate", "%", "percent", "probability", "x", "number"}
)
_SHOWN_SCALE = {1.0: "", 1e3: " k", 1e6: " m", 1e9: " bn", 1e12: " tn"}


@dataclass(frozen=True)
class Unit:
    """``factor`` x the product of ``dims`` (base unit, power), sorted by name.

    Examples
    --------
    >>> (parse_unit("USD bn") / parse_unit("USD m")).factor
    1000.0
    """

    factor: float = 1.0
    dims: tuple[tuple[str, int], ...] = ()

    def __mul__(self, other: Unit) -> Unit:
        powers = dict(self.dims)
        for name, p in other.dims:
            powers[name] = powers.get(name, 0) + p
        return Unit(self.factor * other.factor, tuple(sorted((k, v) for k, v in powers.items() if v)))

    def __truediv__(self, other: Unit) -> Unit:
        return self * other.power(-1)

    def power(self, n: int) -> Unit:
        return Unit(self.factor**n, tuple((k, v * n) for k, v in self.dims))

    @property
    def dimensionless(self) -> bool:
        return not self.dims

    def same_kind(self, other: Unit) -> bool:
        """Whether the two measure the same thing (they may differ by a factor)."""
        return self.dims == other.dims


ONE = Unit()


def parse_unit(text: str) -> Unit:
    """The unit a market's, input's or metric's ``unit`` text stands for.

    ``/`` or ``per`` divides; each side is a money unit (``USD bn``, ``EUR m``, ``$k``),
    a pure number (``share``, ``%``...) or a unit of its own named by its text.

    Examples
    --------
    >>> show(parse_unit("USD per GPU-hour"))
    'USD / GPU-hour'
    >>> parse_unit("%") == parse_unit("")
    True
    """
    parts = re.split(r"\s*/\s*|\s+per\s+", text.strip())
    out = _atom(parts[0])
    for part in parts[1:]:
        out = out / _atom(part)
    return out


def _atom(text: str) -> Unit:
    t = " ".join(text.split())
    if t.lower() in DIMENSIONLESS:
        return ONE
    m = _MONEY.match(t)
    if m:
        currency = _SYMBOL.get(m[1], m[1].upper())
        return Unit(_SCALES[(m[2] or "").lower()], ((currency, 1),))
    return Unit(1.0, ((t, 1),))


def show(unit: Unit) -> str:
    """The unit as text: ``USD bn``, ``USD m / GPU``, ``share`` for a pure number.

    Examples
    --------
    >>> show(parse_unit("USD bn") / parse_unit("GPUs")), show(ONE)
    ('USD bn / GPUs', 'share')
    """
    if not unit.dims:
        return "share" if unit.factor == 1 else f"x {unit.factor:g}"
    scale = _SHOWN_SCALE.get(unit.factor)
    money = next((k for k, p in unit.dims if p == 1 and k in _CURRENCIES), None)
    tail = "" if scale is not None and (money or unit.factor == 1) else f" x {unit.factor:g}"

    def atom(k: str, p: int) -> str:
        name = f"{k}{scale}" if k == money and not tail else k
        return name + (f"^{abs(p)}" if abs(p) != 1 else "")

    num = [atom(k, p) for k, p in unit.dims if p > 0]
    den = [atom(k, p) for k, p in unit.dims if p < 0]
    text = " x ".join(num) or "1"
    return text + (" / " + " x ".join(den) if den else "") + tail


def conversion(got: Unit, want: Unit) -> float | None:
    """The factor that turns a value in ``got`` into ``want``, or None when they measure
    different things.

    Examples
    --------
    >>> conversion(parse_unit("USD bn"), parse_unit("USD m"))
    1000.0
    >>> conversion(parse_unit("USD bn"), parse_unit("share")) is None
    True
    """
    if not got.same_kind(want):
        return None
    ratio = got.factor / want.factor
    return float(f"{ratio:.12g}") if math.isfinite(ratio) else None
