"""The formula language of ``[[metrics]]``: text -> a checked expression tree (data).

A formula is parsed by :func:`ast.parse` in ``eval`` mode and walked against a
whitelist: numbers (percent strings too), the names ``market.<id>``, ``share.<id>``,
``revenue.<id>`` (yearly series), ``inputs.<id>``, ``outcome.<id>`` (one number per
draw; an outcome is 1 where it happened, else 0), ``metric.<id>`` and ``year``, the
operators ``+ - * / **``, comparisons, ``and or not``, and the functions of
:data:`FUNCTIONS`. Nothing else parses: no attribute access beyond those names, no
subscripts, lambdas, comprehensions or calls outside the list, and nothing is ever
evaluated as Python. The result is an :class:`Expr` tree that the engine
(:mod:`forecast.engine.formulas`) builds into the model's PyTensor graph.

The walk also checks, and reports with the formula's key path and the column:
unknown names (with a "did you mean"), arity, years outside the simulated grid,
units (:mod:`forecast.scenario.units`), a division (or ``growth``) by a quantity that
can be 0 where no ``where`` guards it, logs and roots of quantities that can be
negative, and cycles between metrics.

Entry point for other features (an option's payoff formula): :func:`parse_formula`.

This module never imports PyMC.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled("deepseek"))
>>> e, info, problems = parse_formula(s, "sum(revenue.deepseek_devtools, 2025, 2028)", "x", "f.toml")
>>> e.op, info.series, problems
('sum', False, [])
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from forecast.errors import Problem
from forecast.scenario.formula_ops import binary, call, compare, logical
from forecast.scenario.formula_rules import (
    FUNCTIONS,
    KINDS,
    MAX_DEPTH,
    MAX_FORMULA_CHARS,
    POLY,
    Context,
    Expr,
    Info,
    Refused,
    add_signs,
    col,
    input_range,
    mul_signs,
    refuse,
    syntax_name,
)
from forecast.scenario.inputs import percent
from forecast.scenario.merging import hint
from forecast.scenario.risk_targets import input_signs_with_risks
from forecast.scenario.units import ONE, parse_unit

if TYPE_CHECKING:
    from forecast.scenario.schema import Scenario


def scaled(e: Expr, factor: float) -> Expr:
    """``e`` converted by a unit factor (``e`` itself when the factor is 1)."""
    return e if factor == 1 else Expr("mul", (e, Expr("num", value=factor)))


def parse_formula(
    scenario: Scenario, text: str, path: str, origin: str, metric_infos: dict[str, Info] | None = None
) -> tuple[Expr | None, Info | None, list[Problem]]:
    """Parse and check one formula against a scenario: the public entry point.

    Parameters
    ----------
    scenario : Scenario
        Names, units and the year grid the formula may use.
    text : str
        The formula.
    path : str
        Its key path, for the problems (``metrics.gross_profit.formula``).
    origin : str
        The file, for the problems.
    metric_infos : dict, optional
        Units and shapes of the metrics it may name (``metric.<id>``): those of the
        scenario's own metrics are :func:`forecast.scenario.formula_checks.metric_infos`;
        by default it may name none.

    Returns
    -------
    (Expr or None, Info or None, list of Problem)
        The tree and its unit/shape, or None and every problem found (all at once).
        The engine builds the tree with :func:`forecast.engine.formulas.build_expression`.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> _, _, p = parse_formula(s, "revnue.deepseek_devtools * 2", "metrics.x.formula", "f")
    >>> print(p[0])
    f: metrics.x.formula: unknown name 'revnue.deepseek_devtools' at column 1; did you mean 'revenue.deepseek_devtools'?
    """
    ctx = Context(scenario, dict(metric_infos or {}), walk=walk, walk_all=walk_all)
    tree = _parse(text, ctx)
    if tree is None:
        return None, None, [Problem(origin, path, m) for m in ctx.problems]
    try:
        expr, info = _walk(tree, ctx, 0)
    except Refused:
        expr, info = None, None
    except RecursionError:
        ctx.problems.append("is nested too deeply")
        expr, info = None, None
    if ctx.problems:
        return None, None, [Problem(origin, path, m) for m in dict.fromkeys(ctx.problems)]
    return expr, info, []


def references(text: str) -> set[str]:
    """The metrics a formula names (``metric.<id>``), for the order and cycles.

    Examples
    --------
    >>> sorted(references("metric.a + 2 * metric.b"))
    ['a', 'b']
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "metric"
    }


def _parse(text: str, ctx: Context) -> ast.expr | None:
    if not text.strip():
        ctx.problems.append("is empty: write an expression such as 'revenue.x * 0.6'")
        return None
    if len(text) > MAX_FORMULA_CHARS:
        ctx.problems.append(f"is longer than {MAX_FORMULA_CHARS:,} characters (got {len(text):,})")
        return None
    try:
        return ast.parse(" ".join(text.split()), mode="eval").body
    except SyntaxError as e:
        col = f" at column {e.offset}" if e.offset else ""
        ctx.problems.append(f"is not a valid formula: {e.msg}{col}")
    except (ValueError, RecursionError, MemoryError):
        ctx.problems.append("is not a valid formula (nested too deeply or not text)")
    return None


def _walk(node: ast.expr, ctx: Context, depth: int) -> tuple[Expr, Info]:
    if depth > MAX_DEPTH:
        raise refuse(ctx, node, f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        return _constant(node, ctx)
    if isinstance(node, ast.Name | ast.Attribute):
        return _name(node, ctx)
    if isinstance(node, ast.UnaryOp):
        return _unary(node, ctx, depth)
    if isinstance(node, ast.BinOp):
        a, b = walk_all([node.left, node.right], ctx, depth + 1)
        return binary(node, a, b, ctx)
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise refuse(ctx, node, "chains comparisons; join them with 'and'")
        a, b = walk_all([node.left, node.comparators[0]], ctx, depth + 1)
        return compare(node, a, b, ctx)
    if isinstance(node, ast.BoolOp):
        return logical(node, walk_all(node.values, ctx, depth + 1), ctx)
    if isinstance(node, ast.Call):
        return call(node, ctx, depth)
    raise refuse(ctx, node, f"{syntax_name(node)} is not allowed in a formula")


def walk(node: ast.expr, ctx: Context, depth: int) -> tuple[Expr, Info]:
    """Check one sub-expression (for :mod:`forecast.scenario.formula_ops`)."""
    key = ast.dump(node)
    expr, info = _walk(node, ctx, depth)
    if key in ctx.guards:
        # inside where(x > 0, a / x, ...): x is known to be > 0 in that branch
        info = Info(info.unit, info.series, info.signs & ctx.guards[key] or info.signs, info.first)
    return expr, info


def walk_all(nodes: list[ast.expr], ctx: Context, depth: int) -> list[tuple[Expr, Info]]:
    """Check every operand, so that a formula's problems are all found at once."""
    out, failed = [], False
    for n in nodes:
        try:
            out.append(walk(n, ctx, depth))
        except Refused:
            failed = True
    if failed:
        raise Refused()
    return out


def _constant(node: ast.Constant, ctx: Context) -> tuple[Expr, Info]:
    v = node.value
    if isinstance(v, str) and percent(v) is not None:
        v = percent(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise refuse(ctx, node, f"{v!r} is not a number")
    x = float(v)
    if x != x or x in (float("inf"), float("-inf")):
        raise refuse(ctx, node, f"{v!r} is not a finite number")
    signs = frozenset({(x > 0) - (x < 0)})
    return Expr("num", value=x), Info(POLY, False, signs, 0)


def _name(node: ast.Name | ast.Attribute, ctx: Context) -> tuple[Expr, Info]:
    names = ctx.names()
    known = ["year", *(f"{k}.{i}" for k, ids in names.items() for i in ids)]
    if isinstance(node, ast.Name):
        if node.id == "year":
            years = ctx.scenario.years
            return Expr("year"), Info(ONE, True, frozenset({1} if years[0] > 0 else {-1, 0, 1}), 0)
        text = node.id
    elif isinstance(node.value, ast.Name):
        text = f"{node.value.id}.{node.attr}"
    else:
        text = ast.unparse(node)
    kind, _, ident = text.partition(".")
    if kind not in names or ident not in names[kind]:
        if kind in names and not ident:
            raise refuse(ctx, node, f"'{kind}' needs an id: {kind}.<id>")
        ctx.problems.append(f"unknown name {text!r}{col(node)}{hint(text, known)}")
        raise Refused()
    index = names[kind].index(ident)
    if kind == "metric":
        ctx.refs.add(ident)
        info = ctx.metric_infos.get(ident)
        if info is None:  # a metric that cannot be computed (its own problems say why)
            raise refuse(
                ctx, node, f"names metric {ident!r}, which cannot be computed (see its own problems)"
            )
        return Expr("metric", ints=(index,)), info
    if kind == "revenue" and ctx.scenario.positions[index].market not in [m.id for m in ctx.scenario.markets]:
        # the position names no market (its own problem says so): revenue has no unit
        raise refuse(ctx, node, f"names {text!r}, whose position names no market of the file")
    return Expr("ref", kind=KINDS[kind], ints=(index,)), _ref_info(ctx.scenario, kind, index)


def _ref_info(s: Scenario, kind: str, index: int) -> Info:
    if kind == "market":
        return Info(parse_unit(s.markets[index].unit), True, frozenset({1}), 0)
    if kind == "share":
        return Info(ONE, True, frozenset({1}), 0)
    if kind == "revenue":
        pos = s.positions[index]
        return Info(parse_unit(s.market(pos.market).unit), True, frozenset({1}), 0)
    if kind == "inputs":
        item = s.inputs[index]
        # with the risks that shift or scale it (forecast.scenario.risk_targets)
        signs = input_signs_with_risks(s, item.id, *input_range(item))
        return Info(parse_unit(item.unit), False, signs, 0)
    return Info(ONE, False, frozenset({0, 1}), 0)  # an outcome: 1 where it happened


def _unary(node: ast.UnaryOp, ctx: Context, depth: int) -> tuple[Expr, Info]:
    expr, info = walk(node.operand, ctx, depth + 1)
    if isinstance(node.op, ast.UAdd):
        return expr, info
    if isinstance(node.op, ast.USub):
        if expr.op == "num" and expr.value is not None:
            return Expr("num", value=-expr.value), Info(info.unit, False, mul_signs(info.signs, {-1}), 0)
        return Expr("neg", (expr,)), Info(info.unit, info.series, mul_signs(info.signs, {-1}), info.first)
    if isinstance(node.op, ast.Not):
        return Expr("not", (expr,)), Info(ONE, info.series, frozenset({0, 1}), info.first)
    raise refuse(ctx, node, f"{syntax_name(node.op)} is not allowed in a formula")


__all__ = ["FUNCTIONS", "Expr", "Info", "add_signs", "parse_formula", "references"]
