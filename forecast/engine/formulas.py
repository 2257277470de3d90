"""Named inputs and metric formulas in the model's graph.

A checked formula (:class:`~forecast.scenario.formula.Expr`, from
:mod:`forecast.scenario.formula`) becomes PyTensor operations inside the same
``pm.Model`` as markets and shares, so every metric exists in forward simulation,
in the posterior predictive after NUTS, and in ``forecast.nc``.

What a formula's numbers are (its constants, the market or position it names, the
years of ``at``/``sum``/``npv``, the years of ``lag``) is data: the arrays
``formula_num`` and ``formula_int``, read in the order of a depth-first walk of the
metrics. Only the formulas' shape (:meth:`Expr.skeleton`) is part of the model's
structure, so one compile serves every scenario whose formulas have the same shape.

Named inputs are ``f(a + b z)`` with one standard-normal latent each (the canonical
form of :mod:`forecast.scenario.inputs`, through the model's ``_transform``: a family
added there works for named inputs too).

Conventions: ``npv(x, rate, Y)`` is the value at the start of year ``Y`` of the flows
``x`` of ``Y`` and every later simulated year, each received at the end of its year
(Excel's NPV): ``sum_t x_t / (1 + rate) ** (t - Y + 1)``. ``lag(x, k)`` and ``growth(x)``
have no value in the first ``k`` (1) years: the recorded metric is NaN there and its
table starts later; ``at``/``sum``/``npv`` of such a year is refused when the file is
checked.

Examples
--------
>>> import forecast
>>> d = formula_data(forecast.load(forecast.bundled("deepseek")))
>>> d["formulas"].yearly, d["formulas"].scalar
(['devtools_revenue_m'], ['devtools_revenue_2025_2028', 'devtools_npv'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.engine.risk_effects import RISK_DIMS, RiskMoves, risk_effect_coords, risk_effect_data
from forecast.scenario.decision import payoff_formulas
from forecast.scenario.formula import Expr
from forecast.scenario.formula_checks import analyse
from forecast.scenario.formula_rules import input_domain

if TYPE_CHECKING:
    from forecast.scenario import Scenario

#: standard-normal latents of named inputs (drawn apart from the model's others)
FORMULA_LATENTS = ("z_input",)

#: the arrays formulas add to the model's data, with their dims
FORMULA_DIMS: dict[str, tuple[str, ...]] = {
    "input_fam": ("input",),
    "input_a": ("input",),
    "input_b": ("input",),
    "formula_num": ("formula_number",),
    "formula_int": ("formula_index",),
    "formula_year": ("year",),
    "metric_defined": ("yearly_metric", "year"),
    **RISK_DIMS,  # risks' effects on inputs and metrics (forecast.engine.risk_effects)
}


@dataclass(frozen=True)
class FormulaPlan:
    """The metrics to build, in dependency order: ``(index in the file, tree, yearly)``."""

    order: tuple[tuple[int, Expr, bool], ...]
    yearly: list[str]
    scalar: list[str]
    n_inputs: int
    #: the options' payoff formulas (``[[options]]``), each with its numbers, then the
    #: factor to the decision's unit, in the slots after the metrics'
    payoffs: tuple[Expr, ...] = ()
    #: risks' effects: (on an input, on a metric), or () without any
    risk_effects: tuple[bool, ...] = ()

    @property
    def key(self) -> tuple[Any, ...]:
        """What decides the graph: the formulas' shapes, whether there are inputs and
        which targets risks move."""
        if not self.order and not self.n_inputs and not self.payoffs:
            return ()
        metrics = tuple((i, e.skeleton(), s) for i, e, s in self.order)
        key = (self.n_inputs > 0, metrics, tuple(e.skeleton() for e in self.payoffs))
        return (*key, self.risk_effects) if self.risk_effects else key


def slots(expr: Expr, nums: list[float], ints: list[int]) -> None:
    """Append ``expr``'s numbers and indices in the walk order the engine reads them."""
    if expr.op == "num":
        assert expr.value is not None
        nums.append(expr.value)
    elif expr.op != "metric":
        ints.extend(expr.ints)
    for a in expr.args:
        slots(a, nums, ints)


def formula_data(s: Scenario) -> dict[str, Any]:
    """The arrays, coords and plan of a scenario's inputs and metrics (no PyMC).

    A scenario without inputs or metrics gets empty arrays and a plan with an empty
    key: its graph is the one it had before formulas existed.
    """
    checked, _ = analyse(s, s.origin) if s.metrics else ({}, [])
    index = {m.id: j for j, m in enumerate(s.metrics)}
    order = tuple((index[k], e, info.series) for k, (e, info) in checked.items())
    nums: list[float] = []
    ints: list[int] = []
    for _, e, _ in order:
        slots(e, nums, ints)
    payoffs = payoff_formulas(s, s.origin)[0] if s.options else []
    for e, factor in payoffs:
        slots(e, nums, ints)
        nums.append(factor)
    years = np.array(s.years, dtype=float)
    yearly, scalar = _metric_ids(s, checked)
    defined = np.array([[t >= checked[k][1].first for t in range(len(years))] for k in yearly], dtype=float)
    canon = [i.value.canonical(input_domain(i)) for i in s.inputs]
    risks = risk_effect_data(s)
    moved = risks.pop("risk_effects")
    return {
        **risks,
        "input_fam": np.array([c.family for c in canon], dtype=np.int64),
        "input_a": np.array([c.a for c in canon], dtype=float),
        "input_b": np.array([c.b for c in canon], dtype=float),
        "formula_num": np.array(nums, dtype=float),
        "formula_int": np.array(ints, dtype=np.int64),
        "formula_year": years,
        "metric_defined": defined.reshape(len(yearly), len(years)),
        "formulas": FormulaPlan(
            order, yearly, scalar, len(s.inputs), tuple(e for e, _ in payoffs), risk_effects=moved
        ),
    }


def _metric_ids(s: Scenario, checked: dict[str, Any] | None = None) -> tuple[list[str], list[str]]:
    """The ids of the yearly and of the scalar metrics, in the file's order (``checked``:
    ``analyse``'s answer when the caller has it)."""
    if checked is None:
        checked = analyse(s, s.origin)[0] if s.metrics else {}
    yearly = [m.id for m in s.metrics if m.id in checked and checked[m.id][1].series]
    scalar = [m.id for m in s.metrics if m.id in checked and not checked[m.id][1].series]
    return yearly, scalar


def formula_coords(s: Scenario, d: dict[str, Any]) -> dict[str, list[Any]]:
    """The dims the formula arrays and outputs add to the model's coords."""
    plan: FormulaPlan = d["formulas"]
    return {
        "input": [i.id for i in s.inputs],
        "option": [o.id for o in s.options],
        "yearly_metric": list(plan.yearly),
        "scalar_metric": list(plan.scalar),
        "formula_number": list(range(len(d["formula_num"]))),
        "formula_index": list(range(len(d["formula_int"]))),
        **risk_effect_coords(s),
    }


def formula_constants(s: Scenario) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What ``forecast.nc``'s ``constant_data`` says about inputs and metrics: label and
    unit by ``input``, label, unit and formula by ``yearly_metric`` and ``scalar_metric``.

    Examples
    --------
    >>> import forecast
    >>> fields, coords = formula_constants(forecast.load(forecast.bundled()))
    >>> fields["scalar_metric_unit"][1], coords["scalar_metric"]
    (['USD m', 'USD m'], ['devtools_revenue_2025_2028', 'devtools_npv'])
    """
    # the metrics' ids alone: formula_data also builds the risks' arrays (~3 ms)
    yearly, scalar = _metric_ids(s)
    by_id = {m.id: m for m in s.metrics}
    fields: dict[str, Any] = {
        "input_label": ("input", [i.label for i in s.inputs]),
        "input_unit": ("input", [i.unit for i in s.inputs]),
    }
    for dim, ids in (("yearly_metric", yearly), ("scalar_metric", scalar)):
        for name in ("label", "unit", "formula"):
            fields[f"{dim}_{name}"] = (dim, [getattr(by_id[i], name) for i in ids])
    coords = {"input": [i.id for i in s.inputs], "yearly_metric": yearly, "scalar_metric": scalar}
    return fields, coords


def formula_units(s: Scenario) -> dict[str, str]:
    """The ``units`` attribute of the inputs' and metrics' draws: their one unit when they
    share it (``1`` for a pure number), else where to find each one.

    >>> import forecast
    >>> formula_units(forecast.load(forecast.bundled()))["<scalar_metric>"]
    'USD m'
    """
    fields, _ = formula_constants(s)
    out = {}
    for key, field in (("<input>", "input_unit"), ("<yearly_metric>", "yearly_metric_unit"),
                       ("<scalar_metric>", "scalar_metric_unit")):  # fmt: skip
        units = set(fields[field][1])
        out[key] = (units.pop() or "1") if len(units) == 1 else f"per item: constant_data {field}"
    out["<decision>"] = s.decision.unit if s.decision is not None and s.decision.unit else ""
    return out


def undefined_as_zero(s: Scenario, name: str, values: np.ndarray) -> np.ndarray:
    """``values`` of a recorded output with the years a metric has no value in (NaN by
    design: a lag's first years) set to 0, for checks that every other value is finite.

    Examples
    --------
    >>> import forecast
    >>> undefined_as_zero(forecast.load(forecast.bundled()), "size", np.ones(2)).tolist()
    [1.0, 1.0]
    """
    if name != "metric_by_year":
        return values
    defined = formula_data(s)["metric_defined"] > 0
    return np.where(defined, values, 0.0)


@dataclass
class FormulaEnv:
    """What :func:`build_expression` reads: PyTensor (``pt``), the model's data ``x``,
    the tensors of ``refs`` (``market``, ``share``, ``revenue``: ``(item, year)``;
    ``input``; ``outcome``) and of the metrics built so far (by index in the file).

    Numbers and indices come from the data arrays ``formula_num``/``formula_int`` in
    the walk order of :func:`slots` (one compile per formula shape); with ``inline``,
    from the tree itself as constants (for a formula outside the file's metrics, such
    as an option's payoff, whose numbers are not in those arrays).
    """

    pt: Any
    x: dict[str, Any]
    refs: dict[str, Any]
    metrics: dict[int, Any]
    inline: bool = False
    num: int = 0
    int_: int = 0

    def take_num(self, value: float | None) -> Any:
        if self.inline:
            return self.pt.constant(float(value or 0.0))
        self.num += 1
        return self.x["formula_num"][self.num - 1]

    def take_int(self, value: int) -> Any:
        if self.inline:
            return self.pt.constant(int(value), dtype="int64")
        self.int_ += 1
        return self.x["formula_int"][self.int_ - 1]


def _copula_inputs(pt: Any, x: dict[str, Any], z: Any, raw: Any) -> Any:
    """The named inputs' latents with the copula's input members correlated: their rows
    of the lower-triangular factor ``L`` over the raw latents of the members before them
    (base and share, ``raw``) and their own (see :mod:`forecast.scenario.copula`)."""
    idx, chol = x["cop_input_idx"], x["cop_chol"]
    before = raw.shape[0]
    mixed = pt.dot(raw, chol[before:, :before].T) + pt.dot(z[idx], chol[before:, before:].T)
    return pt.set_subtensor(z[idx], mixed)


def build_metrics(
    pm: Any,
    pt: Any,
    x: dict[str, Any],
    plan: FormulaPlan | None,
    *,
    transform: Any,
    uniform: bool,
    cop_raw: Any = None,
    **refs: Any,
) -> Any:
    """Add the named inputs and every metric to the model being built (in its context).

    ``refs`` are the tensors formulas read per draw: ``market``, ``share``, ``revenue``
    (``(item, year)``) and ``outcome`` (the realized outcome, one-hot); ``transform`` is
    the model's map from a standard-normal latent to an input's value. Returns every
    metric's values in one flat vector (yearly ones by year, then the others), which
    threshold predictions read (:func:`metric_check`).
    """
    if plan is None or not plan.key:
        return pt.zeros((0,))
    moves = None
    if plan.risk_effects:  # risks that move inputs or metrics, drawn given the outcome
        moves = RiskMoves(pm, pt, x, refs["outcome"], transform=transform, uniform=uniform)
    if plan.n_inputs:
        z = pm.Normal("z_input", 0.0, 1.0, dims="input")
        if cop_raw is not None:  # correlation pairs: mixed with the members made before
            z = _copula_inputs(pt, x, z, cop_raw)
        value = transform(
            x["input_fam"], x["input_a"], x["input_b"], z, uniform=uniform, table=x["input_tab"]
        )
        if moves is not None and plan.risk_effects[0]:
            value = moves.inputs(value)
        refs["input"] = pm.Deterministic("input_value", value, dims="input")
    env = FormulaEnv(pt, x, refs, {})
    for index, expr, series in plan.order:
        env.metrics[index] = build_expression(expr, env)
        if moves is not None and plan.risk_effects[1]:
            # shifted before the metrics that name it are built: they follow
            env.metrics[index] = moves.metric(index, env.metrics[index], series)
    # recorded in the file's order of the metrics (built in the order they depend)
    yearly = [env.metrics[i] for i, _, s in sorted(plan.order, key=lambda o: o[0]) if s]
    scalar = [env.metrics[i] for i, _, s in sorted(plan.order, key=lambda o: o[0]) if not s]
    n_year = x["formula_year"].shape[0]
    flat = []
    if yearly:
        stacked = pt.stack([pt.broadcast_to(t, (n_year,)) for t in yearly])
        # a lag's first years have no value: NaN, never a number made up
        stacked = pt.switch(pt.gt(x["metric_defined"], 0.0), stacked, np.nan)
        flat.append(
            pm.Deterministic("metric_by_year", stacked, dims=("yearly_metric", "year")).reshape((-1,))
        )
    if scalar:
        flat.append(pm.Deterministic("metric_value", pt.stack(scalar), dims="scalar_metric"))
    if plan.payoffs:  # [[options]]: each payoff times its factor to the decision's unit
        pays = [build_expression(e, env) * env.take_num(None) for e in plan.payoffs]
        pm.Deterministic("payoff", pt.stack(pays), dims="option")
    return pt.concatenate(flat) if len(flat) > 1 else flat[0] if flat else pt.zeros((0,))


def metric_check(
    s: Scenario, target: str, t: int, interp: tuple[Any, Any, Any], block: int
) -> tuple[int, int, float]:
    """Where a threshold on ``metric.<id>[@YEAR]`` reads at query time ``t``: entries
    ``lo``, ``hi`` of the flat values (the metrics start at ``block``) and the weight
    ``u`` between them. A yearly metric is read like a market (between its grid years,
    linearly), at ``@YEAR`` in that year; a metric that is one number, as it is.
    """
    from forecast.scenario.formula_checks import parse_target

    plan: FormulaPlan = formula_data(s)["formulas"]
    ident, year = parse_target(target)
    n_y = len(s.years)
    if ident in plan.scalar:
        at = block + len(plan.yearly) * n_y + plan.scalar.index(ident)
        return at, at, 0.0
    row = block + plan.yearly.index(ident) * n_y
    if year is not None:
        return row + s.years.index(year), row + s.years.index(year), 0.0
    t_lo, t_hi, t_u = interp
    return row + int(t_lo[t]), row + int(t_hi[t]), float(t_u[t])


def build_expression(expr: Expr, env: Any) -> Any:
    """The PyTensor value of one checked formula (per draw: a scalar or a ``(year,)``
    series), reading its numbers from ``env`` in the walk order of :func:`slots`.

    This is the entry point for other formulas built into the model (an option's payoff):
    give it the :class:`Expr` of :func:`forecast.scenario.formula.parse_formula` and a
    :class:`FormulaEnv` (``inline=True`` for a tree whose numbers are not in the data).
    """
    pt = env.pt
    op = expr.op
    if op == "num":
        return env.take_num(expr.value)
    if op == "year":
        return env.x["formula_year"]
    if op == "ref":
        return env.refs[expr.kind][env.take_int(expr.ints[0])]
    if op == "metric":
        return env.metrics[expr.ints[0]]
    own = [env.take_int(v) for v in expr.ints]
    args = [build_expression(a, env) for a in expr.args]
    return _OPS[op](pt, env, args, own)


def _f(v: Any) -> Any:
    return v.astype("float64")


def _year_index(env: Any) -> Any:
    return env.pt.arange(env.x["formula_year"].shape[0])


def _between(env: Any, lo: Any, hi: Any | None = None) -> Any:
    t = _year_index(env)
    inside = env.pt.ge(t, lo)
    return inside if hi is None else env.pt.and_(inside, env.pt.le(t, hi))


def _sum(pt: Any, env: Any, a: list[Any], i: list[Any]) -> Any:
    return pt.switch(_between(env, i[0], i[1]), a[0], 0.0).sum(axis=-1)


def _npv(pt: Any, env: Any, a: list[Any], i: list[Any]) -> Any:
    x, rate = a
    k = _f(_year_index(env) - i[0] + 1)
    return pt.switch(_between(env, i[0]), x * (1.0 + rate) ** (-k), 0.0).sum(axis=-1)


def _cumsum(pt: Any, env: Any, a: list[Any], i: list[Any]) -> Any:
    # a product with the (year, year) matrix [s <= t], as the market shocks: a cumsum
    # costs numba a long compile
    t = _year_index(env)
    upto = _f(pt.le(t[:, None], t[None, :]))
    return pt.dot(pt.switch(_between(env, i[0]), a[0], 0.0), upto)


def _lag(pt: Any, env: Any, a: list[Any], i: list[Any]) -> Any:
    return a[0][pt.maximum(_year_index(env) - i[0], 0)]


def _growth(pt: Any, env: Any, a: list[Any], i: list[Any]) -> Any:
    return a[0] / a[0][pt.maximum(_year_index(env) - 1, 0)] - 1.0


def _fold(f: Any) -> Any:
    def run(pt: Any, env: Any, a: list[Any], i: list[Any]) -> Any:
        out = a[0]
        for v in a[1:]:
            out = getattr(pt, f)(out, v)
        return out

    return run


_OPS: dict[str, Any] = {
    "add": lambda pt, env, a, i: a[0] + a[1],
    "sub": lambda pt, env, a, i: a[0] - a[1],
    "mul": lambda pt, env, a, i: a[0] * a[1],
    "div": lambda pt, env, a, i: a[0] / a[1],
    "pow": lambda pt, env, a, i: a[0] ** a[1],
    "neg": lambda pt, env, a, i: -a[0],
    "lt": lambda pt, env, a, i: _f(pt.lt(a[0], a[1])),
    "le": lambda pt, env, a, i: _f(pt.le(a[0], a[1])),
    "gt": lambda pt, env, a, i: _f(pt.gt(a[0], a[1])),
    "ge": lambda pt, env, a, i: _f(pt.ge(a[0], a[1])),
    "eq": lambda pt, env, a, i: _f(pt.eq(a[0], a[1])),
    "ne": lambda pt, env, a, i: _f(pt.neq(a[0], a[1])),
    "and": lambda pt, env, a, i: _f(pt.and_(pt.neq(a[0], 0), pt.neq(a[1], 0))),
    "or": lambda pt, env, a, i: _f(pt.or_(pt.neq(a[0], 0), pt.neq(a[1], 0))),
    "not": lambda pt, env, a, i: _f(pt.eq(a[0], 0)),
    "min": _fold("minimum"),
    "max": _fold("maximum"),
    "abs": lambda pt, env, a, i: pt.abs(a[0]),
    "exp": lambda pt, env, a, i: pt.exp(a[0]),
    "log": lambda pt, env, a, i: pt.log(a[0]),
    "sqrt": lambda pt, env, a, i: pt.sqrt(a[0]),
    "clip": lambda pt, env, a, i: pt.minimum(pt.maximum(a[0], a[1]), a[2]),
    "where": lambda pt, env, a, i: pt.switch(pt.neq(a[0], 0), a[1], a[2]),
    "at": lambda pt, env, a, i: a[0][i[0]],
    "sum": _sum,
    "mean": lambda pt, env, a, i: _sum(pt, env, a, i) / _f(i[1] - i[0] + 1),
    "cumsum": _cumsum,
    "lag": _lag,
    "growth": _growth,
    "npv": _npv,
}
