"""Inputs a strategist can trust (issue 13): typos, percent strings, zero spreads, paths
without an outcome, inputs treated as exactly known, and the growth at which outcome
probabilities are stated."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import forecast
from forecast.cli import main
from forecast.errors import ScenarioError
from forecast.scenario import Scenario, exact_inputs, json_schema, load
from tests.conftest import SCENARIOS, VALID_TOML, edit

Writer = Callable[..., Path]

TYPO = 'growth above 100% a year must be written as a percent string, e.g. "150%"'


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    status = main(["validate", str(path)])
    out, err = capsys.readouterr()
    prefix = f"{path}: "
    return status, out.splitlines(), [line.removeprefix(prefix) for line in err.splitlines()]


# --- percent strings and typo-shaped rates ------------------------------------------------


def test_percent_strings_are_read_wherever_a_rate_probability_or_share_is_expected(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edit(VALID_TOML, "cagr = 0.3", 'cagr = "30%"')
    text = edit(text, "probability = 0.6", 'probability = "60%"')
    text = edit(text, "probability = 0.4", 'probability = "40%"')
    text = edit(text, "share = { low = 0.2, high = 0.3 }", 'share = { low = "20%", high = "30%" }')
    text = edit(
        text, "probability = { low = 0.3, high = 0.7 }", 'probability = { low = "30%", high = "70%" }'
    )
    text = edit(text, "threshold = 0.2", 'threshold = "20%"')
    text = edit(text, "win = 0.7", 'win = "70%"')
    path = write(text)
    status, _, err = validate(path, capsys)
    assert (status, err) == (0, [])
    s = load(path)
    assert s.market("gadgets").cagr.value == 0.30  # type: ignore[union-attr]
    assert [o.probability.value for o in s.assessment.outcomes] == [0.6, 0.4]  # type: ignore[union-attr]
    share = s.position("acme_widgets").path[1].share
    assert (share.low, share.high) == (0.2, 0.3)
    assert s.predictions[0].threshold == 0.2
    assert s.signposts[0].likelihood["win"] == 0.7
    # and the JSON Schema for editors says so
    jsonschema = pytest.importorskip("jsonschema")
    raw = json.loads(json.dumps(tomllib.loads(text), default=str))  # dates as text
    assert [e.message for e in jsonschema.Draft202012Validator(json_schema()).iter_errors(raw)] == []


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("cagr = 39", f"did you mean 0.39 (39%)? {TYPO} (got 39)"),
        ("cagr = 1", f"did you mean 0.01 (1%)? {TYPO} (got 1)"),
        (
            "cagr = { low = 25, high = 60 }",
            f"did you mean low = 0.25, high = 0.6 (25% to 60%)? {TYPO} (got low=25, high=60)",
        ),
        ("cagr = { median = 47, sigma = 0.08 }", f"did you mean 0.47 (47%)? {TYPO} (got median=47)"),
        # not a percent typed as a fraction, but still over 100% a year without saying so
        ("cagr = { low = 0.5, high = 1.2 }", f"{TYPO} (got low=0.5, high=1.2)"),
    ],
)
def test_a_bare_cagr_of_100_percent_or_more_is_refused_with_the_fraction_it_probably_meant(
    new: str, expected: str, write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = validate(write(edit(VALID_TOML, "cagr = 0.3", new)), capsys)
    assert (status, err) == (2, [f"markets.gadgets.cagr: {expected}"])


def test_growth_above_100_percent_written_as_a_percent_string_is_accepted(write: Writer) -> None:
    s = load(write(edit(VALID_TOML, "cagr = 0.3", 'cagr = { low = "50%", high = "150%" }')))
    c = s.market("gadgets").cagr
    assert c is not None and (c.low, c.high) == (0.5, 1.5)


def test_a_cagr_typo_is_refused_in_set_and_with_overrides(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(VALID_TOML)
    # --set: bare 39 over a { median, sigma } input moves its median to 39
    assert main(["run", str(path), "--set", "markets.widgets.cagr=39", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"markets.widgets.cagr: did you mean 0.39 (39%)? {TYPO} (got median=39)" in err
    s = load(path)
    with pytest.raises(ScenarioError) as e:
        s.with_overrides({"markets.gadgets.cagr": 39})
    assert [p.message for p in e.value.problems] == [f"did you mean 0.39 (39%)? {TYPO} (got 39)"]
    # the percent string is the way to say it, in both
    assert s.with_overrides({"markets.widgets.cagr": "30%"}).market("widgets").cagr.median == 0.3  # type: ignore[union-attr]
    assert load(path, {"markets.gadgets.cagr": "150%"}).market("gadgets").cagr.value == 1.5  # type: ignore[union-attr]


def test_a_probability_typed_as_a_percent_gets_the_fraction_as_a_hint(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edit(VALID_TOML, "share = { low = 0.2, high = 0.3 }", "share = { low = 20, high = 30 }")
    status, _, err = validate(write(text), capsys)
    assert (status, err) == (
        2,
        [
            "positions.acme_widgets.path[1].share: must be between 0 and 1; did you mean "
            "low = 0.2, high = 0.3 (20% to 30%)? (got low=20.0, high=30.0)"
        ],
    )


def test_a_size_is_not_a_rate(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    text = edit(VALID_TOML, "size = { low = 1.0, high = 2.0 }", 'size = "2%"')
    text = edit(text, "threshold = 0.2", 'threshold = "20%"\n[[predictions]]\nid = "big"\nstatement = "b"\n'
                'deadline = 2027-01-01\nquantity = "market.widgets"\nop = ">="\nthreshold = "5%"')  # fmt: skip
    status, _, err = validate(write(text), capsys)
    assert (status, err) == (
        2,
        [
            "markets.gadgets.size: is a size in USD bn, not a rate: write it without %",
            "predictions.big.threshold: is a market size, not a rate: write it without %",
        ],
    )


# --- zero spread, share paths, `when` ------------------------------------------------------


def test_a_zero_spread_is_a_point_everywhere(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    # a driver on a market whose growth has no spread: { median, sigma = 0 } is a point
    text = edit(VALID_TOML, "cagr = { median = 0.26, sigma = 0.05", "cagr = { median = 0.26, sigma = 0.0")
    status, _, err = validate(write(text), capsys)
    assert (status, err) == (
        2,
        [
            "assessment.outcomes.win.drivers[0].market: market 'widgets' has no growth uncertainty "
            "to drive outcomes: give its cagr or its projection a spread (got a point cagr and a point "
            "projection)"
        ],
    )
    # and growth's uncertainty may then come from the projection (given once, not twice)
    text = edit(
        text,
        "projection = { year = 2027, value = 20.0",
        "projection = { year = 2027, median = 20.0, sigma = 0.1",
    )
    s = load(write(text))
    assert s.market("widgets").cagr.is_point  # type: ignore[union-attr]
    assert s.market("widgets").growth()[1] == pytest.approx(0.1 / 3)


def test_a_driver_on_a_point_projection_names_the_projection(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    # size and a point projection, no cagr: the message must not blame "a point cagr"
    text = edit(VALID_TOML, "cagr = 0.3", "projection = { year = 2027, value = 2.9 }")
    text = edit(text, 'drivers = [{ market = "widgets"', 'drivers = [{ market = "gadgets"')
    status, _, err = validate(write(text), capsys)
    assert (status, err) == (
        2,
        [
            "assessment.outcomes.win.drivers[0].market: market 'gadgets' has no growth uncertainty "
            "to drive outcomes: give its cagr or its projection a spread (got a point projection)"
        ],
    )


def test_a_path_with_no_point_for_an_outcome_is_refused(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    # the general 2025 point removed: 'lose' has a point, 'win' has none and nothing to fall back on
    text = edit(VALID_TOML, "  { at = 2025-01-01, share = 0.1 },\n", "")
    text = edit(text, '  { at = 2026-07-01, outcome = "win", share = { low = 0.2, high = 0.3 } },\n', "")
    status, _, err = validate(write(text), capsys)
    assert (status, err) == (
        2,
        [
            "positions.acme_widgets.path: has no point for outcome 'win' and no general point "
            "(one without outcome) to fall back on: add one or the other"
        ],
    )


def test_when_is_by_or_at_and_only_for_thresholds(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    s = load(write(edit(VALID_TOML, "threshold = 0.2", 'threshold = 0.2\nwhen = "by"')))
    # "at" is the default for a threshold; an event's probability is by its deadline
    assert [(p.kind, p.judged) for p in s.predictions] == [
        ("threshold", "by"),
        ("event", "by"),
        ("event", "by"),
    ]
    default = load(write(VALID_TOML))
    assert [p.judged for p in default.predictions if p.kind == "threshold"] == ["at"]
    text = edit(
        VALID_TOML,
        "probability = { low = 0.3, high = 0.7 }",
        'probability = { low = 0.3, high = 0.7 }\nwhen = "by"',
    )
    status, _, err = validate(write(text), capsys)
    assert (status, err) == (
        2,
        [
            "predictions.launch.when: applies to threshold predictions; an event's probability is by its deadline"
        ],
    )


# --- inputs treated as exactly known -----------------------------------------------------

PAAS = """\
id = "paas"
title = "PaaS"
as_of = 2025-01-01

[[markets]]
id = "paas"
label = "Platform as a service"
unit = "USD bn"
base_year = 2024
size = { low = 150, high = 200 }
projection = { year = 2027, value = 290 }
volatility = 0.05
"""


def test_validate_lists_inputs_treated_as_exactly_known(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(PAAS)
    status, out, err = validate(path, capsys)
    assert (status, err) == (0, [])
    assert out == [
        f"ok: {path}",
        f"note: {path}: markets.paas.projection: 2027 projection of paas is a point: its year has no uncertainty",
    ]
    # a file with nothing uncertain has no such notes: every number is a point by design
    assert exact_inputs(load(write(edit(PAAS, "size = { low = 150, high = 200 }", "size = 170")))) == []
    # and the seed, whose points all sit beside an uncertain CAGR, has none either
    assert exact_inputs(load(SCENARIOS / "deepseek.toml")) == []


# --- the growth at which outcome probabilities hold ------------------------------------------


def _reference(s: Scenario, outcome: str = "independence") -> tuple[float, float]:
    assert s.assessment is not None
    d = next(o for o in s.assessment.outcomes if o.id == outcome).drivers[0]
    assert d.reference is not None
    return d.reference.cagr, d.reference.growth_sd


def test_a_driver_holds_at_the_growth_of_the_file_that_states_the_probabilities(tmp_path: Path) -> None:
    seed = load(SCENARIOS / "deepseek.toml")
    # the seed's growth: its 2027 projection over its 2024 size, with the CAGR's spread
    stated = ((9.8 / 3.1) ** (1 / 3) - 1, 0.08)
    assert _reference(seed) == pytest.approx(stated)
    # a what-if keeps it: the odds move with the market, not with the statement
    assert _reference(seed.with_overrides({"markets.developer_tools.cagr": 0.30})) == pytest.approx(stated)
    # a child file that changes only growth keeps it too
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{SCENARIOS / "deepseek.toml"}"\nid = "child"\n\n[[markets]]\nid = "developer_tools"\n'
        "cagr = { median = 0.30, sigma = 0.08 }\n",
        encoding="utf-8",
    )
    assert _reference(load(child)) == pytest.approx(stated)
    # the bull file restates the probabilities at its own growth: they hold there
    assert _reference(load(SCENARIOS / "deepseek-bull.toml")) == pytest.approx((0.55, 0.08))
    # and so does an override that restates them
    restated = seed.with_overrides(
        {
            "markets.developer_tools.cagr": 0.30,
            "assessment.outcomes.independence.probability": 0.30,
            "assessment.outcomes.struggling.probability": 0.35,
        }
    )
    assert _reference(restated) == pytest.approx((0.30, 0.08))


def test_the_resolved_scenario_keeps_the_reference_so_a_rerun_gives_the_same_odds(tmp_path: Path) -> None:
    whatif = load(SCENARIOS / "deepseek.toml", {"markets.developer_tools.cagr": 0.30})
    path = tmp_path / "scenario.toml"
    path.write_text(whatif.to_toml(), encoding="utf-8")
    again = load(path)
    assert again.model_dump() == whatif.model_dump()
    raw: dict[str, Any] = copy.deepcopy(again.raw)
    assert raw["assessment"]["outcomes"][0]["drivers"][0]["reference"]["growth_sd"] == 0.08


def test_bundled_scenarios_validate() -> None:
    for path in sorted(SCENARIOS.glob("*.toml")):
        forecast.load(path)
