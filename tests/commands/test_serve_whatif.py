"""The what-if page's inputs and saved files, without a browser (forecast.commands.whatif)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import forecast
from forecast.commands.serve import whatif
from forecast.errors import Problem, ScenarioError


@pytest.fixture(scope="module")
def seed() -> forecast.Scenario:
    return forecast.load(forecast.bundled("deepseek"))


def _numbers(x: Any) -> Any:
    """A resolved scenario without its provenance text (what the model reads)."""
    if isinstance(x, dict):
        return {k: _numbers(v) for k, v in x.items() if k not in ("source", "note", "extends")}
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return x


def test_controls_cover_what_a_strategist_moves(seed: forecast.Scenario) -> None:
    keys = [c.key for c in whatif.controls(seed)]
    for m in seed.markets:
        assert f"markets.{m.id}.size" in keys and f"markets.{m.id}.cagr" in keys
    for o in seed.outcome_ids:
        assert f"assessment.outcomes.{o}.probability" in keys
    assert {"assessment.confidence", "correlation.common_factor", "simulation.draws"} <= set(keys)
    assert "signposts.next_model_release.observed" in keys
    # in the order of the file: [simulation], [correlation], markets, assessment, signposts
    groups = list(dict.fromkeys(c.group for c in whatif.controls(seed)))
    assert groups[:3] == ["Simulation", "Correlation", "Markets: Enterprise LLM APIs"]
    assert groups[-3:] == ["Assessment", "Signposts", "Inputs"]  # named inputs last, as in the file
    assert "inputs.discount_rate" in keys


def test_a_market_without_cagr_shows_its_projection(tmp_path: Path) -> None:
    from tests.conftest import VALID_TOML, edit

    text = edit(VALID_TOML, "cagr = 0.3\n", "projection = { year = 2027, value = 3.0 }\n")
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    keys = [c.key for c in whatif.controls(forecast.load(path))]
    assert "markets.gadgets.projection" in keys and "markets.gadgets.cagr" not in keys
    assert "markets.widgets.cagr" in keys


def test_every_control_centre_is_accepted_unchanged(seed: forecast.Scenario) -> None:
    # setting each control to the value it shows is a valid scenario
    cs = whatif.controls(seed)
    for c in cs:
        seed.with_overrides(whatif.overrides_for(cs, {c.key: c.value}))


@pytest.mark.parametrize(
    ("changed", "value", "expected"),
    [
        ("a", 0.5, {"a": 0.5, "b": 0.2917, "c": 0.2083}),
        ("c", 0.1, {"a": 0.48, "b": 0.42, "c": 0.1}),
        ("a", 1.2, {"a": 1.2, "b": 0.35, "c": 0.25}),  # refused later, not rescaled
    ],
)
def test_rebalance_keeps_the_sum_at_one(changed: str, value: float, expected: dict[str, float]) -> None:
    got = whatif.rebalance({"a": 0.4, "b": 0.35, "c": 0.25}, changed, value)
    assert got == expected
    if 0 < value < 1:
        assert abs(sum(got.values()) - 1) < 1e-9


def test_problems_sit_next_to_their_field(seed: forecast.Scenario) -> None:
    cs = whatif.controls(seed)
    with pytest.raises(ScenarioError) as e:
        seed.with_overrides({"assessment.outcomes.independence.probability": 1.2})
    by_key, rest = whatif.place_problems(e.value.problems, cs)
    assert by_key == {
        "assessment.outcomes.independence.probability": [
            "assessment.outcomes.independence.probability: must be between 0 and 1 (got 1.2)"
        ]
    }
    assert rest == ["assessment.outcomes: probabilities must sum to 1 (they sum to 1.8)"]
    assert whatif.problem_text(Problem("x.toml", "a.b", "is bad", 3)) == "a.b: is bad (got 3)"


OVERRIDES = {
    "simulation.draws": 5000,
    "correlation.common_factor": 0.7,
    "markets.developer_tools.cagr": 0.3,
    "markets.enterprise_llm_apis.size": 9.0,
    "assessment.confidence": 10.0,
    "assessment.outcomes.independence.probability": 0.5,
    "assessment.outcomes.acquired.probability": 0.2917,
    "assessment.outcomes.struggling.probability": 0.2083,
    "signposts.next_model_release.observed": True,
}


def test_a_saved_child_resolves_to_the_overridden_scenario(seed: forecast.Scenario, tmp_path: Path) -> None:
    cs = whatif.controls(seed)
    dest = tmp_path / "sub" / "what-if.toml"
    dest.parent.mkdir()
    text = whatif.child_toml(forecast.bundled("deepseek"), dest, seed, OVERRIDES, cs)
    dest.write_text(text, encoding="utf-8")
    saved = forecast.load(dest)
    assert _numbers(saved.raw) == _numbers(seed.with_overrides(OVERRIDES).raw)
    # only the changed keys, each marked with its old value
    assert text.count("assumption: what-if (was: ") == len(OVERRIDES)
    assert "vertical_solutions" not in text and "projection" not in text
    assert saved.market("developer_tools").cagr.source.startswith(  # type: ignore[union-attr]
        "assumption: what-if (was: 0.47, "
    )
    assert saved.market("developer_tools").projection is None  # a new CAGR drops it, as --set does


def test_set_items_are_what_forecast_run_parses() -> None:
    from forecast.commands.common import parse_sets

    items = whatif.set_items(OVERRIDES)
    assert parse_sets(items) == OVERRIDES


def test_a_signpost_set_back_to_unknown_cannot_be_saved(tmp_path: Path) -> None:
    update = forecast.load(forecast.bundled("deepseek-update"))
    cs = whatif.controls(update)
    with pytest.raises(ScenarioError) as e:
        whatif.child_toml(
            forecast.bundled("deepseek-update"),
            tmp_path / "w.toml",
            update,
            {"signposts.next_model_release.observed": None},
            cs,
        )
    assert "TOML has no null" in str(e.value)


def test_docstring_examples() -> None:
    import doctest

    result = doctest.testmod(whatif, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_a_new_centre_keeps_the_spread_of_every_form(tmp_path: Path) -> None:
    ev = forecast.load(forecast.bundled("ev-charging"))
    cs = {c.key: c for c in whatif.controls(ev)}
    for key, x in [
        ("markets.public_dc_fast.cagr", 0.30),  # { low, high }, growth
        ("markets.fleet_depot.projection", 5.0),  # { year, low, high }, positive
        ("correlation.common_factor", 0.5),  # { low, high }, unit
    ]:
        c = cs[key]
        before = forecast.scenario.Quantity(**{k: v for k, v in c.form.items() if k != "year"})  # type: ignore[union-attr]
        changed = ev.with_overrides(whatif.overrides_for(cs.values(), {key: x}))  # a driver keeps its spread
        parts = key.split(".")
        q = (
            changed.correlation.common_factor
            if parts[0] == "correlation"
            else getattr(changed.market(parts[1]), parts[2])
        )
        b, a = before.canonical(c.domain), q.canonical(c.domain)  # type: ignore[arg-type]
        assert float(a.quantile(0.5)) == pytest.approx(x, rel=1e-9)  # the new centre
        assert a.b == pytest.approx(b.b, rel=1e-9)  # the same spread
        if key.endswith("projection"):
            assert changed.market("fleet_depot").projection.year == 2030  # type: ignore[union-attr]
    # a centre outside the domain gets the message --set and validate give
    with pytest.raises(forecast.ScenarioError, match="must be > 0"):
        ev.with_overrides(whatif.overrides_for(cs.values(), {"markets.public_dc_fast.size": -1.0}))


def test_a_saved_child_of_interval_inputs_resolves_the_same(tmp_path: Path) -> None:
    ev = forecast.load(forecast.bundled("ev-charging"))
    cs = whatif.controls(ev)
    edits = {
        "markets.public_dc_fast.cagr": 0.3,
        "markets.fleet_depot.projection": 5.0,
        "correlation.common_factor": 0.5,
    }
    overrides = whatif.overrides_for(cs, edits)
    dest = tmp_path / "ev-what-if.toml"
    dest.write_text(
        whatif.child_toml(forecast.bundled("ev-charging"), dest, ev, overrides, cs), encoding="utf-8"
    )
    assert _numbers(forecast.load(dest).raw) == _numbers(ev.with_overrides(overrides).raw)
    from forecast.commands.common import parse_sets

    assert parse_sets(whatif.set_items(overrides)) == overrides


@pytest.mark.parametrize(
    ("typed", "folders", "needle"),
    [
        ("../escape.toml", False, "without '..'"),
        ("/tmp/escape.toml", False, "not an absolute path"),
        ("~/escape.toml", False, "not an absolute path"),
        ("sub/x.toml", False, "without '/'"),
        ("a\\b.toml", False, "backslash"),
        ("", False, "is empty"),
        ("reports/../../x", True, "without '..'"),
        (".", True, "'.' parts"),
    ],
)
def test_page_names_outside_the_working_folder_are_refused(
    tmp_path: Path, typed: str, folders: bool, needle: str
) -> None:
    dest, why = whatif.place_in(tmp_path, typed, "Scenario file", folders=folders)
    assert dest is None and needle in why and repr(typed) in why


def test_page_names_through_a_symlink_out_are_refused(tmp_path: Path) -> None:
    (tmp_path / "out").symlink_to("/tmp")
    dest, why = whatif.place_in(tmp_path, "out/x", "Report folder", folders=True)
    assert dest is None and "inside the working folder" in why
    ok, _ = whatif.place_in(tmp_path, "reports/deepseek-what-if", "Report folder", folders=True)
    assert ok == (tmp_path / "reports" / "deepseek-what-if").resolve()
    ok, _ = whatif.place_in(tmp_path, "deepseek-what-if.toml", "Scenario file")
    assert ok == (tmp_path / "deepseek-what-if.toml").resolve()


@pytest.mark.parametrize("crafted", ["abc", [1, 2], {"a": 1}, True, None, float("inf")])
def test_a_crafted_websocket_value_is_no_crash(seed: forecast.Scenario, crafted: object) -> None:
    """What the page's websocket delivers for a field is made safe before it is used:
    a number field gets None ("enter a number", as a typed non-number), never a crash."""
    for c in whatif.controls(seed):
        v = whatif.from_page(c, crafted)
        assert v is None or c.kind == "observed"
        c.changed(v)  # no TypeError or ValueError


def test_the_page_caps_the_draws(seed: forecast.Scenario) -> None:
    cs = whatif.controls(seed)
    with pytest.raises(forecast.ScenarioError, match="at most 200,000 draws"):
        whatif.overrides_for(cs, {"simulation.draws": 10_000_000})
    assert whatif.overrides_for(cs, {"simulation.draws": 50_000}) == {"simulation.draws": 50_000}


def test_the_draws_cap_is_a_server_option(
    seed: forecast.Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.cli import build_parser, main

    cs = whatif.controls(seed)
    with pytest.raises(forecast.ScenarioError, match="at most 10,000 draws"):
        whatif.overrides_for(cs, {"simulation.draws": 20_000}, max_draws=10_000)
    assert whatif.overrides_for(cs, {"simulation.draws": 300_000}, max_draws=500_000) == {
        "simulation.draws": 300_000
    }
    assert build_parser().parse_args(["serve"]).max_draws == whatif.PAGE_DRAWS == 200_000
    assert build_parser().parse_args(["serve", "--max-draws", "5000"]).max_draws == 5000
    # a cap below one draw is refused before anything is served
    assert main(["serve", "--max-draws", "0"]) == 2
    assert "--max-draws must be at least 1 (got 0)" in capsys.readouterr().err


def test_a_page_message_quotes_what_was_typed_and_suggests_the_fraction(seed: forecast.Scenario) -> None:
    """39 typed in a CAGR field: the message quotes 39 (never the moved interval's
    'low=35.79, high=42.48') and suggests 0.39 or "39%"."""
    ev = forecast.load(forecast.bundled("ev-charging"))  # its CAGR is { low, high }
    cs = whatif.controls(ev)
    key = "markets.public_dc_fast.cagr"
    with pytest.raises(forecast.ScenarioError) as e:
        ev.with_overrides(whatif.overrides_for(cs, {key: 39}), origin="page")
    by_key, _ = whatif.place_problems(e.value.problems, cs, typed={key: 39})
    text = " ".join(by_key[key])
    assert "35.9" not in text and "42.3" not in text
    assert 'you typed 39; did you mean 0.39 or "39%"?' in text
    # without what was typed (an old caller), the problem as validate prints it
    assert by_key != whatif.place_problems(e.value.problems, cs)[0]


def test_a_problem_that_already_quotes_the_typed_value_reads_as_validate_prints_it() -> None:
    from forecast.errors import Problem

    c = whatif.Control("assessment.outcomes.a.probability", "g", "l", "number", 0.4, domain="unit")
    p = Problem.with_value("page", c.key, "must be at most 1", 1.2)
    assert whatif.place_problems([p], [c], typed={c.key: 1.2})[0] == {c.key: [whatif.problem_text(p)]}
