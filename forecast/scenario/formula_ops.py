"""Operators and functions of the formula language: each checks its operands (units,
shapes, signs, years) and returns the node of :class:`~forecast.scenario.formula.Expr`.

This module never imports PyMC.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from forecast.scenario.formula_rules import (
    ANY_SIGN,
    FUNCTIONS,
    POLY,
    YEAR_ARGS,
    Context,
    Expr,
    Info,
    Refused,
    add_signs,
    col,
    input_range,
    mul_signs,
    order_signs,
    refuse,
    same_unit,
    syntax_name,
)
from forecast.scenario.merging import hint
from forecast.scenario.units import ONE, Unit, show

if TYPE_CHECKING:
    Node = tuple[Expr, Info]

_BIN = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_CMP = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
# signs of E where "E <op> 0" holds, and where it does not
_GUARD = {
    "gt": ({1}, {-1, 0}),
    "ge": ({0, 1}, {-1}),
    "lt": ({-1}, {0, 1}),
    "le": ({-1, 0}, {1}),
    "ne": ({-1, 1}, {0}),
    "eq": ({0}, {-1, 1}),
}
_FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "ne": "ne", "eq": "eq"}


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


def _u(unit: Unit) -> Unit:
    return ONE if unit is POLY else unit


def _shape(*infos: Info) -> tuple[bool, int]:
    return any(i.series for i in infos), max(i.first for i in infos)


def binary(node: ast.BinOp, a: Node, b: Node, ctx: Context) -> Node:
    """``a + b``, ``a - b``, ``a * b``, ``a / b``, ``a ** b``."""
    op = _BIN.get(type(node.op))
    if op is None:
        raise refuse(ctx, node, f"{syntax_name(node.op)} is not allowed in a formula")
    (ea, ia), (eb, ib) = a, b
    series, first = _shape(ia, ib)
    if op in ("add", "sub"):
        unit = same_unit(node, ctx, "adds {b} to {a}" if op == "add" else "subtracts {b} from {a}", [ia, ib])
        signs = add_signs(ia.signs, ib.signs if op == "add" else mul_signs(ib.signs, {-1}))
        return Expr(op, (ea, eb)), Info(unit, series, signs, first)
    if op == "pow":
        return _power(node, a, b, ctx)
    if op == "div" and 0 in ib.signs:
        r = _text(node.right)
        ctx.problems.append(
            f"divides by {r!r}, which can be 0,{col(node.right)}: guard it, as in where({r} > 0, ... / {r}, ...)"
        )
        raise Refused()
    both_numbers = ia.unit is POLY and ib.unit is POLY
    unit = POLY if both_numbers else (_u(ia.unit) * _u(ib.unit) if op == "mul" else _u(ia.unit) / _u(ib.unit))
    return Expr(op, (ea, eb)), Info(unit, series, mul_signs(ia.signs, ib.signs), first)


def _power(node: ast.BinOp, a: Node, b: Node, ctx: Context) -> Node:
    (ea, ia), (eb, ib) = a, b
    series, first = _shape(ia, ib)
    if not _u(ib.unit).dimensionless:
        raise refuse(ctx, node.right, f"the power must be a pure number, not {show(ib.unit)}")
    n = eb.value if eb.op == "num" else None
    if n is not None and float(n).is_integer():
        k = int(n)
        if k < 0 and 0 in ia.signs:
            raise refuse(ctx, node, f"raises {_text(node.left)!r}, which can be 0, to a negative power")
        unit = ia.unit if ia.unit is POLY else ia.unit.power(k)
        signs = (
            frozenset({1}) if k == 0 else (frozenset(abs(s) for s in ia.signs) if k % 2 == 0 else ia.signs)
        )
        return Expr("pow", (ea, eb)), Info(unit, series, signs, first)
    if not _u(ia.unit).dimensionless:
        raise refuse(
            ctx, node, f"a power that is not a whole number needs a pure number, not {show(ia.unit)}"
        )
    if not ia.signs <= {0, 1}:
        raise refuse(
            ctx,
            node,
            f"raises {_text(node.left)!r}, which can be negative, to a power that is not a whole number",
        )
    if 0 in ia.signs and not ib.signs <= {1}:
        raise refuse(
            ctx, node, f"raises {_text(node.left)!r}, which can be 0, to a power that can be 0 or negative"
        )
    return Expr("pow", (ea, eb)), Info(ia.unit, series, ia.signs, first)


def compare(node: ast.Compare, a: Node, b: Node, ctx: Context) -> Node:
    """``a < b`` and the other comparisons: 1 where true, else 0."""
    op = _CMP.get(type(node.ops[0]))
    if op is None:
        raise refuse(ctx, node, f"{syntax_name(node.ops[0])} is not allowed in a formula")
    same_unit(node, ctx, "compares {a} with {b}", [a[1], b[1]])
    series, first = _shape(a[1], b[1])
    return Expr(op, (a[0], b[0])), Info(ONE, series, frozenset({0, 1}), first)


def logical(node: ast.BoolOp, parts: list[Node], ctx: Context) -> Node:
    """``a and b``, ``a or b``: 1 or 0 (a value that is not 0 holds)."""
    op = "and" if isinstance(node.op, ast.And) else "or"
    expr = parts[0][0]
    for e, _ in parts[1:]:
        expr = Expr(op, (expr, e))
    series, first = _shape(*(i for _, i in parts))
    return expr, Info(ONE, series, frozenset({0, 1}), first)


def call(node: ast.Call, ctx: Context, depth: int) -> Node:
    """A call of one of :data:`FUNCTIONS`, arguments checked."""
    if not isinstance(node.func, ast.Name):
        raise refuse(ctx, node, f"only these functions can be called: {', '.join(FUNCTIONS)}")
    name = node.func.id
    if name not in FUNCTIONS:
        ctx.problems.append(f"unknown function {name!r}{col(node)}{hint(name, list(FUNCTIONS))}")
        raise Refused()
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise refuse(ctx, node, f"{name!r} takes plain arguments (no name=, no *)")
    lo, hi, _ = FUNCTIONS[name]
    n = len(node.args)
    if n < lo or (hi is not None and n > hi):
        want = f"at least {lo}" if hi is None else str(lo)
        raise refuse(ctx, node, f"{name!r} takes {want} arguments (got {n})")
    ints = _years(node, name, ctx)
    if name == "lag":
        ints = (_lag_years(node, ctx),)
    fixed = set(YEAR_ARGS.get(name, ())) | ({1} if name == "lag" else set())
    if name == "where":
        args = _where_args(node, ctx, depth)
    else:
        args = ctx.walk_all([a for i, a in enumerate(node.args) if i not in fixed], ctx, depth + 1)
    return _FUNCTION_RULES[name](node, name, args, ints, ctx)


def _years(node: ast.Call, name: str, ctx: Context) -> tuple[int, ...]:
    years = ctx.scenario.years
    out = []
    for i in YEAR_ARGS.get(name, ()):
        arg = node.args[i]
        y = arg.value if isinstance(arg, ast.Constant) else None
        if not isinstance(y, int) or isinstance(y, bool):
            raise refuse(
                ctx, arg, f"the year of {name!r} must be a year written as a whole number (got {_text(arg)})"
            )
        if y not in years:
            raise refuse(ctx, arg, f"year {y} is outside the simulated years {years[0]}-{years[-1]}")
        out.append(years.index(y))
    if name in ("sum", "mean") and out[0] > out[1]:
        raise refuse(
            ctx, node, f"{name!r} needs the first year before the last (got {years[out[0]]}, {years[out[1]]})"
        )
    return tuple(out)


def _lag_years(node: ast.Call, ctx: Context) -> int:
    arg = node.args[1]
    k = arg.value if isinstance(arg, ast.Constant) else None
    n = len(ctx.scenario.years)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k < n:
        raise refuse(
            ctx, arg, f"the years of 'lag' must be a whole number from 1 to {n - 1} (got {_text(arg)})"
        )
    return k


def _where_args(node: ast.Call, ctx: Context, depth: int) -> list[Node]:
    cond = ctx.walk(node.args[0], ctx, depth + 1)
    guard = _guard(node.args[0])
    out = [cond]
    for branch, arg in enumerate(node.args[1:]):
        saved = dict(ctx.guards)
        if guard is not None:
            key, signs = guard[0], frozenset(guard[2] if branch else guard[1])
            ctx.guards[key] = signs & ctx.guards.get(key, signs)
        try:
            out.append(ctx.walk(arg, ctx, depth + 1))
        finally:
            ctx.guards = saved
    return out


def _guard(cond: ast.AST) -> tuple[str, set[int], set[int]] | None:
    """``where(x > 0, ...)``: the signs of ``x`` in each branch."""
    if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1):
        return None
    op = _CMP.get(type(cond.ops[0]))
    left, right = cond.left, cond.comparators[0]

    def zero(n: ast.AST) -> bool:
        return isinstance(n, ast.Constant) and not isinstance(n.value, bool) and n.value == 0

    if op is None or not (zero(left) or zero(right)):
        return None
    expr, op = (left, op) if zero(right) else (right, _FLIP[op])
    yes, no = _GUARD[op]
    return ast.dump(expr), yes, no


def _series(node: ast.Call, name: str, info: Info, ctx: Context) -> None:
    if not info.series:
        raise refuse(
            ctx, node, f"{name!r} reads a yearly series; {_text(node.args[0])!r} is one number per draw"
        )


def _first_ok(node: ast.Call, name: str, info: Info, index: int, ctx: Context) -> None:
    if index < info.first:
        years = ctx.scenario.years
        raise refuse(
            ctx,
            node,
            f"{name!r} reads {years[index]}, before {years[info.first]}, the first year "
            f"{_text(node.args[0])!r} has a value",
        )


def _order(node: ast.Call, name: str, args: list[Node], ints: tuple[int, ...], ctx: Context) -> Node:
    unit = same_unit(node, ctx, f"{name!r} of {{a}} and {{b}}", [i for _, i in args])
    if name == "clip":
        (_, x), (_, lo), (_, hi) = args
        signs = order_signs(order_signs(x.signs, lo.signs, max), hi.signs, min)
    else:
        signs = args[0][1].signs
        for _, i in args[1:]:
            signs = order_signs(signs, i.signs, min if name == "min" else max)
    series, first = _shape(*(i for _, i in args))
    return Expr(name, tuple(e for e, _ in args)), Info(unit, series, signs, first)


def _pure(node: ast.Call, name: str, args: list[Node], ints: tuple[int, ...], ctx: Context) -> Node:
    (e, i), text = args[0], _text(node.args[0])
    if name == "abs":
        return Expr(name, (e,)), Info(i.unit, i.series, frozenset(abs(s) for s in i.signs), i.first)
    if name == "sqrt":
        if not i.signs <= {0, 1}:
            raise refuse(ctx, node, f"'sqrt' of {text!r}, which can be negative")
        unit = i.unit
        if unit is not POLY and any(p % 2 for _, p in unit.dims):
            raise refuse(ctx, node, f"'sqrt' of {show(unit)} has no unit")
        if unit is not POLY:
            unit = Unit(unit.factor**0.5, tuple((k, p // 2) for k, p in unit.dims))
        return Expr(name, (e,)), Info(unit, i.series, i.signs, i.first)
    if not _u(i.unit).dimensionless:
        raise refuse(ctx, node, f"{name!r} needs a pure number (got {show(i.unit)})")
    if name == "log" and not i.signs <= {1}:
        raise refuse(ctx, node, f"'log' of {text!r}, which can be 0 or negative")
    signs = frozenset({1}) if name == "exp" else ANY_SIGN
    return Expr(name, (e,)), Info(ONE, i.series, signs, i.first)


def _where(node: ast.Call, name: str, args: list[Node], ints: tuple[int, ...], ctx: Context) -> Node:
    (c, ic), (a, ia), (b, ib) = args
    unit = same_unit(node, ctx, "'where' chooses between {a} and {b}", [ia, ib])
    series, first = _shape(ic, ia, ib)
    return Expr(name, (c, a, b)), Info(unit, series, ia.signs | ib.signs, first)


def _over_years(node: ast.Call, name: str, args: list[Node], ints: tuple[int, ...], ctx: Context) -> Node:
    (e, i) = args[0]
    _series(node, name, i, ctx)
    for index in ints:
        _first_ok(node, name, i, index, ctx)
    if name == "npv":
        _rate(node, args[1], ctx)
    series = name in ("cumsum", "lag", "growth")
    first = i.first + (ints[0] if name == "lag" else 1 if name == "growth" else 0) if series else 0
    if name == "growth":
        if 0 in i.signs:
            raise refuse(
                ctx, node, f"'growth' divides by last year's {_text(node.args[0])!r}, which can be 0"
            )
        return Expr(name, (e,)), Info(ONE, True, ANY_SIGN, first)
    if first >= len(ctx.scenario.years):
        raise refuse(ctx, node, f"{name!r} leaves no year with a value")
    if name == "cumsum":
        ints = (i.first,)  # the running total starts where x has a value
    return Expr(name, tuple(x for x, _ in args), ints=ints), Info(i.unit, series, i.signs, first)


def _rate(node: ast.Call, rate: Node, ctx: Context) -> None:
    e, i = rate
    text = _text(node.args[1])
    if i.series:
        raise refuse(
            ctx, node.args[1], f"the rate of 'npv' must be one number per draw, not a yearly series ({text})"
        )
    if not _u(i.unit).dimensionless:
        raise refuse(ctx, node.args[1], f"the rate of 'npv' must be a pure number (got {show(i.unit)})")
    lo = -float("inf")
    if i.signs <= {0, 1}:
        lo = 0.0
    elif e.op == "num" and e.value is not None:
        lo = e.value
    elif e.op == "ref" and e.kind == "input":
        lo = input_range(ctx.scenario.inputs[e.ints[0]])[0]
    if not lo > -1:
        raise refuse(
            ctx, node.args[1], f"the rate of 'npv' must stay above -100% ({text} can reach {lo:.4g})"
        )


_FUNCTION_RULES = {
    "min": _order,
    "max": _order,
    "clip": _order,
    "abs": _pure,
    "exp": _pure,
    "log": _pure,
    "sqrt": _pure,
    "where": _where,
    "at": lambda node, name, args, ints, ctx: _at(node, args, ints, ctx),
    "sum": _over_years,
    "mean": _over_years,
    "cumsum": _over_years,
    "lag": _over_years,
    "growth": _over_years,
    "npv": _over_years,
}


def _at(node: ast.Call, args: list[Node], ints: tuple[int, ...], ctx: Context) -> Node:
    e, i = args[0]
    _series(node, "at", i, ctx)
    _first_ok(node, "at", i, ints[0], ctx)
    return Expr("at", (e,), ints=ints), Info(i.unit, False, i.signs, 0)
