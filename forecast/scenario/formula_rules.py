"""The closed lists and the small algebra behind formulas: functions, names, what a
node's value can be (unit, yearly or not, sign, first defined year).

A sign is the set of signs a value can take (``{1}``: always positive; ``{0, 1}``:
0 or positive; ``{-1, 0, 1}``: anything): enough to refuse a division by something that
can be 0, or a log of something that can be negative, before anything runs.

This module never imports PyMC.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.scenario.inputs import TAIL_Z, Domain
from forecast.scenario.units import Unit, show

if TYPE_CHECKING:
    from forecast.scenario.schema import Input, Scenario

MAX_FORMULA_CHARS = 2_000
MAX_DEPTH = 60  # nesting of a formula's expression (a walk per level)

#: function -> (fewest, most arguments, what it is); ``most`` None: any number
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "min": (2, None, "the smallest of its arguments, year by year"),
    "max": (2, None, "the largest of its arguments, year by year"),
    "abs": (1, 1, "the absolute value"),
    "exp": (1, 1, "e to the power of a pure number"),
    "log": (1, 1, "the natural log of a positive pure number"),
    "sqrt": (1, 1, "the square root of a quantity that cannot be negative"),
    "clip": (3, 3, "clip(x, lo, hi): x kept between lo and hi"),
    "where": (3, 3, "where(cond, a, b): a where cond holds (is not 0), else b"),
    "at": (2, 2, "at(x, 2027): a yearly series' value in one year"),
    "sum": (3, 3, "sum(x, 2025, 2029): the total over those years, both included"),
    "mean": (3, 3, "mean(x, 2025, 2029): the average over those years, both included"),
    "cumsum": (1, 1, "cumsum(x): the running total from the first year"),
    "lag": (2, 2, "lag(x, 1): the value k years earlier"),
    "growth": (1, 1, "growth(x): year-on-year growth, x / lag(x, 1) - 1"),
    "npv": (3, 3, "npv(x, rate, 2025): present value at the start of 2025, end-of-year flows"),
}
#: year arguments (grid years, written as whole numbers) of the functions that take them
YEAR_ARGS = {"at": (1,), "sum": (1, 2), "mean": (1, 2), "npv": (2,)}

#: the names a formula may use before the dot, and the kind the engine reads
KINDS = {
    "market": "market",
    "share": "share",
    "revenue": "revenue",
    "inputs": "input",
    "outcome": "outcome",
    "metric": "metric",
}

#: the unit of a plain number: it takes the unit of what it is added to or compared with
POLY = Unit(float("nan"), (("<number>", 0),))
ANY_SIGN = frozenset({-1, 0, 1})
_SHARE_UNITS = {"share", "fraction", "%", "percent", "probability"}
#: units whose values lie between 0 and 1 by definition (a percent can be -20% or 150%)
_BOUNDED_UNITS = {"share", "fraction", "probability"}


@dataclass(frozen=True)
class Info:
    """What a formula's value is: its unit, whether it is a yearly series, the signs it
    can take and the first grid year (an index) in which it is defined (``lag`` and
    ``growth`` have no value in the first years).

    Examples
    --------
    >>> Info(POLY, False, frozenset({1}), 0).series
    False
    """

    unit: Unit
    series: bool
    signs: frozenset[int]
    first: int = 0


def mul_signs(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> frozenset[int]:
    """The signs of a product (or a quotient) of values with signs ``a`` and ``b``.

    >>> sorted(mul_signs(frozenset({1}), frozenset({0, 1})))
    [0, 1]
    """
    return frozenset(x * y for x in a for y in b)


def add_signs(a: frozenset[int], b: frozenset[int]) -> frozenset[int]:
    """The signs of a sum.

    >>> sorted(add_signs(frozenset({1}), frozenset({0, 1}))), sorted(add_signs(frozenset({1}), frozenset({-1})))
    ([1], [-1, 0, 1])
    """
    for s in (1, -1):
        if a | b <= {0, s}:
            return frozenset({s}) if (s in a and 0 not in a) or (s in b and 0 not in b) else a | b
    return ANY_SIGN


def order_signs(a: frozenset[int], b: frozenset[int], pick: Callable[[int, int], int]) -> frozenset[int]:
    """The signs of ``min`` or ``max`` of two values (a sign is monotone in its value)."""
    return frozenset(pick(x, y) for x in a for y in b)


def input_domain(item: Input) -> Domain:
    """The domain an input's interval is read in (its default distribution): a share
    between 0 and 1 is logit-normal, a positive number lognormal, else normal.

    Examples
    --------
    >>> from forecast.scenario.schema import Input
    >>> input_domain(Input(id="m", label="M", unit="share", value={"low": 0.2, "high": 0.4}))
    'unit'
    """
    numbers = [
        v
        for k, v in item.value.model_dump().items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k not in ("sd", "sigma")
    ]
    unit = item.unit.strip().lower()
    if numbers and unit in _SHARE_UNITS and all(0 < v < 1 for v in numbers):
        return "unit"
    if numbers and unit in _BOUNDED_UNITS:
        # a share is read as one even where the file's numbers do not fit it, so that
        # the domain check refuses them (39 is a percent typed as a number, with its
        # hint; an interval from 0 would be a normal reaching below 0) instead of
        # taking them as a positive or real number
        return "unit"
    if numbers and all(v > 0 for v in numbers):
        return "positive"
    return "real"


def input_range(item: Input) -> tuple[float, float]:
    """Where an input lies: its value, or its values :data:`TAIL_Z` SDs out on its latent."""
    try:
        c = item.value.canonical(input_domain(item))
        with np.errstate(all="ignore"):
            lo, hi = (float(x) for x in c.transform(np.array([-TAIL_Z, TAIL_Z])))
    except (ValueError, ArithmeticError):
        return -np.inf, np.inf
    if c.is_point:
        return lo, lo
    return (lo, hi) if lo <= hi else (hi, lo)


def input_signs(item: Input) -> frozenset[int]:
    """The signs an input can take (within :data:`TAIL_Z` SDs of its latent)."""
    return range_signs(*input_range(item))


def range_signs(lo: float, hi: float) -> frozenset[int]:
    """The signs of a value lying in ``[lo, hi]``.

    >>> sorted(range_signs(0.2, 0.5)), sorted(range_signs(-1.0, 1.0))
    ([1], [-1, 0, 1])
    """
    if lo == hi:
        return frozenset({(lo > 0) - (lo < 0)})
    if lo > 0:
        return frozenset({1})
    if hi < 0:
        return frozenset({-1})
    return ANY_SIGN


@dataclass(frozen=True)
class Expr:
    """A node of a checked formula: pure data (hashable), never code.

    ``op`` is ``num`` (``value``), ``ref`` (``kind`` and ``ints = (index,)``), ``metric``
    (``ints = (metric index,)``), ``year``, an operator (``add sub mul div pow neg
    lt le gt ge eq ne and or not``) or a function of :data:`FUNCTIONS`, whose year
    and lag arguments are grid indices in ``ints``.

    Examples
    --------
    >>> Expr("num", value=2.0).skeleton()
    ('num', '', 0, ())
    """

    op: str
    args: tuple[Expr, ...] = ()
    kind: str = ""
    value: float | None = None
    ints: tuple[int, ...] = ()

    def skeleton(self) -> tuple[Any, ...]:
        """The tree without its numbers: what decides the compiled graph.

        Numbers and indices (``value``, ``ints``) are data, read from the model's arrays
        in the order of a depth-first walk, so two formulas of one shape share a compile;
        a metric reference stays in the skeleton (it picks another metric's tensor).
        """
        own = self.ints if self.op == "metric" else len(self.ints)
        return (self.op, self.kind, own, tuple(a.skeleton() for a in self.args))


@dataclass
class Context:
    """What a formula may name: the scenario's ids, units, grid and other metrics."""

    scenario: Scenario
    metric_infos: dict[str, Info] = field(default_factory=dict)
    guards: dict[str, frozenset[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)
    # the walk of a sub-expression (forecast.scenario.formula), for the operators
    walk: Any = None
    walk_all: Any = None

    def names(self) -> dict[str, list[str]]:
        s = self.scenario
        return {
            "market": [m.id for m in s.markets],
            "share": [p.id for p in s.positions],
            "revenue": [p.id for p in s.positions],
            "inputs": [i.id for i in s.inputs],
            "outcome": list(s.outcome_ids),
            "metric": [m.id for m in s.metrics],
        }


class Refused(Exception):
    """A formula problem that stops the walk of its branch (the message is recorded)."""


def col(node: ast.AST) -> str:
    return f" at column {getattr(node, 'col_offset', 0) + 1}"


def refuse(ctx: Context, node: ast.AST, message: str) -> Refused:
    ctx.problems.append(f"{message}{col(node)}")
    return Refused()


def same_unit(node: ast.AST, ctx: Context, what: str, infos: list[Info]) -> Unit:
    """The common unit of operands that must agree (a number takes the others' unit).

    ``what`` says what is done with two units, as ``adds {b} to {a}``."""
    units = [i.unit for i in infos if i.unit is not POLY]
    if not units:
        return POLY
    for u in units[1:]:
        if u != units[0]:
            a, b = show(units[0]), show(u)
            how = f"; a metric with unit {a!r} converts the {b}" if u.same_kind(units[0]) else ""
            ctx.problems.append(f"{what.format(a=a, b=b)}{col(node)}: the units differ{how}")
            raise Refused()
    return units[0]


_SYNTAX = {
    "Lambda": "lambda",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a comprehension",
    "Subscript": "indexing with [...]",
    "IfExp": "'x if c else y' (use where(c, x, y))",
    "NamedExpr": "':='",
    "Starred": "'*'",
    "JoinedStr": "an f-string",
    "List": "a list",
    "Tuple": "a tuple",
    "Set": "a set",
    "Dict": "a table",
    "Await": "await",
    "Yield": "yield",
    "Mod": "'%' (write a percent as \"25%\" in quotes or 0.25)",
    "FloorDiv": "'//'",
    "MatMult": "'@'",
    "BitAnd": "'&' (use 'and')",
    "BitOr": "'|' (use 'or')",
    "BitXor": "'^' (use '**' for a power)",
    "LShift": "'<<'",
    "RShift": "'>>'",
    "Invert": "'~' (use 'not')",
    "Is": "'is'",
    "IsNot": "'is not'",
    "In": "'in'",
    "NotIn": "'not in'",
}


def syntax_name(node: ast.AST) -> str:
    """A reader's name for a piece of syntax a formula may not use.

    >>> syntax_name(ast.parse("lambda: 1", mode="eval").body)
    'lambda'
    """
    name = type(node).__name__
    return _SYNTAX.get(name, f"'{name}'")
