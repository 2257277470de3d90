"""One what-if rule on every surface: a bare number moves an input's centre (its median)
and keeps its spread, whatever the input's form; ``point:X`` or ``{ value = X }`` makes
it a point; a key that cannot be set is refused, naming what can be set."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pytest

import forecast
from forecast.scenario import Scenario
from forecast.scenario.inputs import Quantity
from tests.conftest import VALID_TOML

#: (key, form written in the file, the key's domain); the key is set on VALID_TOML
FORMS = [
    ("markets.widgets.cagr", {"low": 0.20, "high": 0.40}, "growth"),
    ("markets.widgets.cagr", {"median": 0.26, "sigma": 0.05}, "growth"),
    ("markets.widgets.volatility", {"dist": "normal", "mean": 0.1, "sd": 0.01}, "positive"),
    ("markets.widgets.volatility", {"dist": "uniform", "low": 0.05, "high": 0.2}, "positive"),
    ("markets.widgets.size", {"low": 8.0, "high": 12.0}, "positive"),
    ("markets.widgets.size", {"dist": "lognormal", "median": 10.0, "sigma": 0.1}, "positive"),
    ("markets.widgets.size", {"dist": "normal", "low": 8.0, "high": 12.0}, "positive"),
    ("correlation.common_factor", {"low": 0.2, "high": 0.6}, "unit"),
    ("correlation.common_factor", {"dist": "logitnormal", "median": 0.4, "sigma": 0.3}, "unit"),
    ("positions.acme_widgets.path[1].share", {"low": 0.2, "high": 0.3}, "unit"),
]


def _with(key: str, form: dict[str, Any]) -> Scenario:
    base = Scenario.from_dict(tomllib.loads(VALID_TOML), origin="base.toml")
    if key == "markets.widgets.cagr":  # the trio: keep the size and the CAGR, drop the projection
        return base.with_overrides({"markets.widgets.projection": None, key: form})
    return base.with_overrides({key: form})


def _quantity(s: Scenario, key: str) -> Quantity:
    if key.startswith("markets.widgets."):
        return getattr(s.market("widgets"), key.rsplit(".", 1)[1])  # type: ignore[no-any-return]
    if key == "correlation.common_factor":
        return s.correlation.common_factor
    return s.position("acme_widgets").path[1].share


def _spread(q: Quantity, domain: Any) -> float:
    c = q.canonical(domain)
    return c.b - c.a if c.family.name == "UNIFORM" else c.b


@pytest.mark.parametrize(("key", "form", "domain"), FORMS)
def test_a_bare_number_moves_the_centre_and_keeps_the_spread(
    key: str, form: dict[str, Any], domain: Any
) -> None:
    base = _with(key, form)
    before = _quantity(base, key)
    centre = float(before.canonical(domain).quantile(0.5))
    new = centre * 1.1
    for value in (new, f"{100 * new!r}%"):
        moved = _quantity(base.with_overrides({key: value}), key)
        assert not moved.is_point
        assert math.isclose(float(moved.canonical(domain).quantile(0.5)), new, rel_tol=1e-9)
        assert math.isclose(_spread(moved, domain), _spread(before, domain), rel_tol=1e-9, abs_tol=1e-12)
        assert moved.canonical(domain).family == before.canonical(domain).family


@pytest.mark.parametrize("value", ["point:0.30", "point: 30%", {"value": 0.30}])
def test_point_or_a_value_table_makes_a_point(value: object) -> None:
    s = _with("correlation.common_factor", {"low": 0.2, "high": 0.6})
    rho = s.with_overrides({"correlation.common_factor": value}).correlation.common_factor
    assert rho.is_point and rho.value == pytest.approx(0.30, rel=1e-15)


def test_point_on_an_input_not_in_the_file_sets_it() -> None:
    base = Scenario.from_dict(tomllib.loads(VALID_TOML), origin="base.toml")
    s = base.with_overrides({"markets.gadgets.volatility": "point:0.1"})
    assert s.market("gadgets").volatility.value == 0.1


def test_a_centre_the_form_cannot_reach_is_refused_naming_point() -> None:
    base = _with("correlation.common_factor", {"low": 0.2, "high": 0.6})
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"correlation.common_factor": 0.0})
    [problem] = info.value.problems
    assert problem.path == "correlation.common_factor"
    assert "point:0" in problem.message and "spread" in problem.message


def test_a_malformed_point_is_refused() -> None:
    base = Scenario.from_dict(tomllib.loads(VALID_TOML), origin="base.toml")
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"markets.widgets.size": "point:abc"})
    [problem] = info.value.problems
    assert problem.path == "markets.widgets.size" and "point:" in problem.message


def test_a_form_without_a_centre_refuses_a_bare_number_by_default() -> None:
    """A distribution that cannot be moved (a new form that does not say how) refuses,
    naming ``point:``: never a silent point."""

    class Odd(Quantity):
        def _recentred_form(self, centre: float, domain: Any) -> dict[str, Any] | None:
            return None

    with pytest.raises(ValueError, match=r"point:0\.3"):
        Odd(low=0.1, high=0.5).recentred(0.3, "growth")


@pytest.mark.parametrize("key", ["extends", "extends.x"])
def test_extends_cannot_be_set(key: str) -> None:
    base = Scenario.from_dict(tomllib.loads(VALID_TOML), origin="base.toml")
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({key: "other.toml"})
    [problem] = info.value.problems
    assert problem.path == key
    assert "cannot be set" in problem.message and "markets.<id>.cagr" in problem.message


def test_removing_a_key_that_is_not_there_is_refused() -> None:
    base = Scenario.from_dict(tomllib.loads(VALID_TOML), origin="base.toml")
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"markets.widgets.cagrr": None})
    [problem] = info.value.problems
    assert problem.path == "markets.widgets.cagrr" and "did you mean 'cagr'" in problem.message


def test_the_what_if_says_which_happened() -> None:
    from forecast.outputs.whatif import changes

    base = _with("markets.widgets.cagr", {"low": 0.20, "high": 0.40})
    sets = {"markets.widgets.cagr": 0.3, "correlation.common_factor": "point:0.5", "simulation.draws": 2000}
    new = base.with_overrides(sets)
    how = {c.key: c.how for c in changes(base, new, sets)}
    assert how["markets.widgets.cagr"] == "centre moved, spread kept"
    assert how["correlation.common_factor"] == "made a point"
    assert how["simulation.draws"] == "set"


def test_serve_sends_what_set_sends() -> None:
    from forecast.commands.serve.whatif import controls, overrides_for

    s = _with("markets.widgets.cagr", {"low": 0.20, "high": 0.40})
    key = "markets.widgets.cagr"
    page = s.with_overrides(overrides_for(controls(s), {key: 0.33}))
    assert page.raw == s.with_overrides({key: 0.33}).raw


def test_validate_says_which_happened_and_refuses_extends(capsys: pytest.CaptureFixture[str]) -> None:
    from forecast.cli import main

    ev = str(forecast.bundled("ev-charging"))
    assert main(["validate", ev, "--set", "markets.public_dc_fast.cagr=0.3"]) == 0
    out = capsys.readouterr().out
    assert "markets.public_dc_fast.cagr: centre moved, spread kept: low " in out
    assert main(["validate", ev, "--set", "correlation.common_factor=point:0.3"]) == 0
    assert "correlation.common_factor: made a point: " in capsys.readouterr().out
    assert main(["validate", ev, "--set", "extends=deepseek.toml"]) == 2
    err = capsys.readouterr().err
    assert "extends: cannot be set" in err and "markets.<id>.cagr" in err
