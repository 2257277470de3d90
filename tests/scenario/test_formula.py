"""The formula language of ``[[metrics]]``: every error class with its exact message, and
no formula, however written, reaches Python or raises anything but a ScenarioError."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast.errors import ScenarioError
from forecast.scenario import Scenario
from forecast.scenario.formula import Expr, parse_formula
from forecast.scenario.formula_checks import analyse, metric_infos
from forecast.scenario.formula_rules import FUNCTIONS
from forecast.scenario.units import parse_unit, show

BASE: dict[str, Any] = {
    "id": "biz",
    "title": "Biz",
    "as_of": "2025-01-01",
    "simulation": {"end_year": 2029},
    "markets": [
        {"id": "gpu", "label": "GPU", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.1}
    ],
    "assessment": {
        "horizon_years": 3,
        "confidence": 10,
        "outcomes": [
            {"id": "win", "label": "Win", "probability": 0.6},
            {"id": "lose", "label": "Lose", "probability": 0.4},
        ],
    },
    "positions": [
        {"id": "acme", "label": "Acme", "market": "gpu", "path": [{"at": "2025-06-30", "share": 0.1}]}
    ],
    "inputs": [
        {"id": "margin", "label": "M", "unit": "share", "value": 0.4},
        {"id": "cost", "label": "C", "unit": "USD m", "value": {"low": 5, "high": 9}},
        {"id": "swing", "label": "S", "value": {"dist": "normal", "mean": 0, "sd": 1}},
    ],
}


def problems(formula: str, unit: str = "USD bn", extra: tuple[dict[str, Any], ...] = ()) -> list[str]:
    data = dict(BASE, metrics=[{"id": "x", "label": "X", "unit": unit, "formula": formula}, *extra])
    try:
        Scenario.from_dict(data, origin="f.toml")
    except ScenarioError as e:
        return [str(p) for p in e.problems]
    return []


P = "f.toml: metrics.x.formula: "

ERRORS = {
    "revnue.acme * 2": "unknown name 'revnue.acme' at column 1; did you mean 'revenue.acme'?",
    "at(market.gpu, 2027, 1)": "'at' takes 2 arguments (got 3) at column 1",
    "min(market.gpu)": "'min' takes at least 2 arguments (got 1) at column 1",
    "market.gpu / outcome.win": "divides by 'outcome.win', which can be 0, at column 14: guard it, as in "
    "where(outcome.win > 0, ... / outcome.win, ...)",
    "growth(revenue.acme * outcome.win)": "'growth' divides by last year's 'revenue.acme * outcome.win', which "
    "can be 0 at column 1",
    "at(market.gpu, 2031)": "year 2031 is outside the simulated years 2024-2029 at column 16",
    "sum(market.gpu, 2020, 2025)": "year 2020 is outside the simulated years 2024-2029 at column 17",
    "market.gpu + inputs.margin": "adds share to USD bn at column 1: the units differ",
    "market.gpu + inputs.cost": "adds USD m to USD bn at column 1: the units differ; a metric with unit "
    "'USD bn' converts the USD m",
    "growth(market.gpu) * 2": "gives share, but the metric's unit is 'USD bn': a formula must give its "
    "metric's unit (or one it converts to, as USD bn to USD m)",
    "lambda: 1": "lambda is not allowed in a formula at column 1",
    "market.gpu.__class__": "unknown name 'market.gpu.__class__' at column 1; did you mean 'market.gpu'?",
    "__import__('os')": "unknown function '__import__' at column 1",
    "[x for x in y]": "a comprehension is not allowed in a formula at column 1",
    "market['gpu']": "indexing with [...] is not allowed in a formula at column 1",
    "market.gpu.real.__class__.__mro__": "unknown name 'market.gpu.real.__class__.__mro__' at column 1",
    "log(inputs.swing)": "'log' of 'inputs.swing', which can be 0 or negative at column 1",
    "npv(market.gpu, inputs.swing, 2025)": "the rate of 'npv' must stay above -100% (inputs.swing can reach -6) "
    "at column 17",
    "at(inputs.margin, 2026)": "'at' reads a yearly series; 'inputs.margin' is one number per draw at column 1",
    "at(lag(market.gpu, 2), 2025)": "'at' reads 2025, before 2026, the first year 'lag(market.gpu, 2)' has a "
    "value at column 1",
    "exp(market.gpu)": "'exp' needs a pure number (got USD bn) at column 1",
    "1 +": "is not a valid formula: invalid syntax",
    "": "is empty: write an expression such as 'revenue.x * 0.6'",
}


@pytest.mark.parametrize("formula", list(ERRORS))
def test_each_error_class_has_its_exact_message(formula: str) -> None:
    assert problems(formula) == [P + ERRORS[formula]]


def test_every_problem_of_a_formula_at_once() -> None:
    got = problems("revnue.acme + at(market.gpu, 2031) + foo(1)")
    assert got == [
        P + "unknown name 'revnue.acme' at column 1; did you mean 'revenue.acme'?",
        P + "year 2031 is outside the simulated years 2024-2029 at column 30",
        P + "unknown function 'foo' at column 38",
    ]


def test_a_cycle_between_metrics_is_named() -> None:
    extra = ({"id": "y", "label": "Y", "unit": "USD bn", "formula": "metric.x * 2"},)
    assert problems("metric.y + market.gpu", extra=extra) == [
        "f.toml: metrics.x.formula: metric 'x' depends on itself: x -> y -> x"
    ]
    assert problems("metric.x") == ["f.toml: metrics.x.formula: metric 'x' depends on itself: x -> x"]


def test_where_guards_a_division_and_units_convert_at_the_metric() -> None:
    assert problems("where(outcome.win > 0, market.gpu / outcome.win, 0)") == []
    assert problems("where(outcome.win != 0, market.gpu / outcome.win, 0)") == []
    # the guard holds in its own branch only
    assert problems("where(outcome.win > 0, 0, market.gpu / outcome.win)")
    s = Scenario.from_dict(
        dict(BASE, metrics=[{"id": "x", "label": "X", "unit": "USD bn", "formula": "inputs.cost"}])
    )
    (expr, info) = analyse(s, "")[0]["x"]
    assert expr == Expr("mul", (Expr("ref", kind="input", ints=(1,)), Expr("num", value=0.001)))
    assert show(info.unit) == "USD bn" and not info.series


def test_units_algebra() -> None:
    assert show(parse_unit("USD m") * parse_unit("share")) == "USD m"
    assert show(parse_unit("USD bn") / parse_unit("GPUs")) == "USD bn / GPUs"
    assert parse_unit("GPUs") != parse_unit("seats")
    assert "the units differ" in problems("inputs.cost + inputs.cost * inputs.cost", unit="USD m")[0]


def test_the_public_entry_point_parses_a_payoff_against_the_seed() -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    expr, info, found = parse_formula(
        s, "metric.devtools_npv - 100", "options.a.payoff", "f", metric_infos=metric_infos(s)
    )
    assert found == [] and expr is not None and info is not None
    assert show(info.unit) == "USD m" and not info.series
    _, _, found = parse_formula(s, "metric.devtools_npv", "options.a.payoff", "f")
    assert [p.message for p in found] == [
        "names metric 'devtools_npv', which cannot be computed (see its own problems) at column 1"
    ]


# --- no formula reaches Python ------------------------------------------------------

TOKENS = [
    "market.gpu", "share.acme", "revenue.acme", "inputs.margin", "inputs.cost", "inputs.swing",
    "outcome.win", "year", "2", "0", "0.5", "'25%'", "2027", "+", "-", "*", "/", "**", "(", ")", ",",
    "<", ">=", "==", "and", "or", "not", "[", "]", "{", "}", ".", "__class__", "__import__", "lambda",
    ":", "for", "in", "if", "else", "'os'", "import", "@", "%", "//", "=", ";", "\\", "\n", "x",
    *(f"{f}(" for f in FUNCTIONS), "eval(", "exec(", "getattr(", "().__class__",
]  # fmt: skip
ALLOWED_OPS = {
    *FUNCTIONS, "num", "ref", "metric", "year", "add", "sub", "mul", "div", "pow", "neg",
    "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not",
}  # fmt: skip


def _ops(e: Expr) -> set[str]:
    return {e.op}.union(*(_ops(a) for a in e.args))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join), st.text(max_size=40)))
def test_random_formulas_and_junk_give_problems_never_a_traceback(formula: str) -> None:
    data = dict(BASE, metrics=[{"id": "x", "label": "X", "unit": "USD bn", "formula": formula}])
    try:
        s = Scenario.from_dict(data, origin="f.toml")
    except ScenarioError as e:
        assert all(p.path.startswith("metrics.x") for p in e.problems)
        return
    expr, _ = analyse(s, "")[0]["x"]
    assert _ops(expr) <= ALLOWED_OPS
    tree = ast.parse(formula.strip() or "0", mode="eval")
    assert not any(isinstance(n, ast.Call) and not isinstance(n.func, ast.Name) for n in ast.walk(tree))
    assert not any(isinstance(n, ast.Attribute) and n.attr.startswith("_") for n in ast.walk(tree))


def test_a_formula_is_never_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a formula reached eval/exec/compile")

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, refuse)
    assert problems("__import__('os').system('true')") == [
        P + "only these functions can be called: " + ", ".join(FUNCTIONS) + " at column 1"
    ]
    assert problems("sum(revenue.acme, 2025, 2028) * 1000", unit="USD m") == []


def test_revenue_of_a_position_whose_market_is_gone_is_a_problem_not_a_traceback() -> None:
    """Found by the property test: a position naming a market the file no longer has made
    the formula checker raise StopIteration (exit 1) instead of reporting problems."""
    import tomllib

    import forecast
    from forecast.scenario import Scenario

    data = tomllib.loads(forecast.bundled("deepseek").read_text(encoding="utf-8"))
    data["markets"] = [m for m in data["markets"] if m["id"] != "developer_tools"]
    with pytest.raises(forecast.ScenarioError) as e:
        Scenario.from_dict(data, origin="x.toml")
    messages = [str(p) for p in e.value.problems]
    assert "x.toml: positions.deepseek_devtools.market: no market with id 'developer_tools'" in messages
    assert any(
        m.startswith(
            "x.toml: metrics.devtools_revenue_m.formula: names 'revenue.deepseek_devtools', whose "
            "position names no market of the file"
        )
        for m in messages
    )


@pytest.mark.parametrize(
    ("unit", "value", "message"),
    [
        ("share", 39, "must be between 0 and 1; did you mean 0.39 (39%)? (got 39)"),
        ("probability", {"low": 0.5, "high": 39}, "must be between 0 and 1 (got low=0.5, high=39.0)"),
        ("fraction", -0.2, "must be between 0 and 1 (got -0.2)"),
    ],
)
def test_a_share_input_outside_0_and_1_is_refused(unit: str, value: Any, message: str) -> None:
    """An input whose unit says share, fraction or probability is between 0 and 1: 39
    there is a percent typed as a number, not a share of 3,900% (it used to pass as a
    positive number and scale every formula that multiplies by it)."""
    data = dict(BASE, inputs=[{"id": "margin", "label": "M", "unit": unit, "value": value}])
    with pytest.raises(ScenarioError) as e:
        Scenario.from_dict(data, origin="f.toml")
    assert [str(p) for p in e.value.problems] == [f"f.toml: inputs.margin.value: {message}"]


@pytest.mark.parametrize("value", [0, 1, 0.3, {"low": 0.1, "high": 0.3}, "39%"])
def test_a_share_input_between_0_and_1_is_accepted(value: Any) -> None:
    data = dict(BASE, inputs=[{"id": "margin", "label": "M", "unit": "share", "value": value}])
    assert Scenario.from_dict(data, origin="f.toml").inputs[0].id == "margin"


@pytest.mark.parametrize("unit", ["%", "percent", "ratio", "x"])
def test_a_percent_unit_may_exceed_1(unit: str) -> None:
    """A margin of -20% or growth of 150% is a percent outside 0-1: only share,
    fraction and probability are bounded."""
    data = dict(BASE, inputs=[{"id": "g", "label": "G", "unit": unit, "value": {"low": -0.2, "high": 1.5}}])
    assert Scenario.from_dict(data, origin="f.toml").inputs[0].id == "g"


def test_a_share_interval_from_0_says_why_and_what_to_write_instead() -> None:
    """0 is a share, but no 90% interval of a logit-normal starts there: the message says
    so instead of "must be between 0 and 1 (got low=0.0 ...)", and a named share input
    from 0 is no longer read as a normal reaching below 0."""
    data = dict(
        BASE, inputs=[{"id": "margin", "label": "M", "unit": "share", "value": {"low": 0, "high": 0.2}}]
    )
    with pytest.raises(ScenarioError) as e:
        Scenario.from_dict(data, origin="f.toml")
    assert [str(p) for p in e.value.problems] == [
        "f.toml: inputs.margin.value: a 90% interval of a share must lie strictly between 0 and 1 "
        '(got low=0.0, high=0.2); for a share that can be 0 or 1, use dist = "pert" or "triangular"'
    ]
    pert = {"dist": "pert", "low": 0, "mode": 0.05, "high": 0.2}
    data = dict(BASE, inputs=[{"id": "margin", "label": "M", "unit": "share", "value": pert}])
    assert Scenario.from_dict(data, origin="f.toml").inputs[0].value.dist == "pert"
