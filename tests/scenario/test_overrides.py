"""``extends``, :func:`merge` and :meth:`Scenario.with_overrides` semantics."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

import forecast
from forecast.scenario import Scenario, load, merge
from forecast.scenario.merging import merge_quantity
from tests.conftest import VALID_TOML

Writer = Callable[..., Path]


@pytest.fixture
def base() -> Scenario:
    return Scenario.from_dict(tomllib.loads(VALID_TOML), origin="base.toml")


def child_of_base(write: Writer, body: str) -> Scenario:
    write(VALID_TOML, name="base.toml")
    return load(write(f'extends = "base.toml"\n{body}', name="child.toml"))


# --- extends: the growth trio -------------------------------------------------------


def test_child_cagr_drops_parent_projection(write: Writer) -> None:
    s = child_of_base(write, '[[markets]]\nid = "widgets"\ncagr = { low = 0.30, high = 0.50 }\n')
    m = s.market("widgets")
    assert m.projection is None  # it would contradict the new CAGR
    assert m.cagr is not None and (m.cagr.low, m.cagr.high) == (0.30, 0.50)
    assert m.size.median == 10.0  # the size is kept: it and the CAGR make two


def test_child_projection_drops_parent_cagr(write: Writer) -> None:
    s = child_of_base(
        write, '[[markets]]\nid = "widgets"\nprojection = { year = 2028, low = 30.0, high = 50.0 }\n'
    )
    m = s.market("widgets")
    assert m.cagr is None
    assert m.projection is not None and (m.projection.year, m.projection.low) == (2028, 30.0)
    assert m.size.median == 10.0


def test_child_size_keeps_parent_cagr_and_drops_projection(write: Writer) -> None:
    s = child_of_base(write, '[[markets]]\nid = "widgets"\nsize = 12.0\n')
    m = s.market("widgets")
    assert (m.size.median, m.size.sigma) == (12.0, 0.1)
    assert m.cagr is not None and m.cagr.median == 0.26
    assert m.projection is None


def test_child_giving_all_three_keeps_all_three(write: Writer) -> None:
    s = child_of_base(
        write,
        '[[markets]]\nid = "widgets"\nsize = 10.0\nprojection = { year = 2027, value = 27.0 }\ncagr = 0.393\n',
    )
    m = s.market("widgets")
    assert m.projection is not None and m.cagr is not None and m.cagr.median == 0.393


def test_child_disagreeing_trio_is_still_an_error(write: Writer) -> None:
    write(VALID_TOML, name="base.toml")
    child = write(
        'extends = "base.toml"\n[[markets]]\nid = "widgets"\nsize = 10.0\n'
        "projection = { year = 2027, value = 27.0 }\ncagr = 0.10\n",
        name="child.toml",
    )
    with pytest.raises(forecast.ScenarioError) as info:
        load(child)
    [problem] = info.value.problems
    assert problem.path == "markets.widgets.cagr"
    assert "implies a CAGR of 39.2%" in problem.message


# --- extends: uncertain inputs and provenance ------------------------------------------


def test_bare_number_recentres_median_sigma_and_marks_assumption(write: Writer) -> None:
    s = child_of_base(write, '[[markets]]\nid = "widgets"\ncagr = 0.40\n')
    cagr = s.market("widgets").cagr
    assert cagr is not None
    assert (cagr.median, cagr.sigma) == (0.40, 0.05)  # the spread is kept
    assert cagr.value is None
    assert cagr.is_assumption
    assert cagr.source == "assumption: override (was: test: widget report)"


def test_bare_number_over_a_point_replaces_it() -> None:
    assert merge_quantity({"value": 0.3, "source": "report"}, 0.4) == {
        "value": 0.4,
        "source": "assumption: override (was: report)",
    }


def test_complete_form_replaces_the_parent_form() -> None:
    merged = merge_quantity(
        {"median": 0.39, "sigma": 0.08, "note": "n", "source": "s"}, {"low": 0.2, "high": 0.5}
    )
    assert merged == {"low": 0.2, "high": 0.5, "source": "assumption: override (was: s)"}


def test_partial_form_keeps_the_rest_of_the_parent() -> None:
    merged = merge_quantity({"median": 0.39, "sigma": 0.08, "source": "s"}, {"sigma": 0.2})
    assert merged == {"median": 0.39, "sigma": 0.2, "source": "assumption: override (was: s)"}


def test_child_source_is_kept(write: Writer) -> None:
    s = child_of_base(
        write,
        '[[markets]]\nid = "widgets"\ncagr = { low = 0.25, high = 0.35, source = "assumption: faster" }\n',
    )
    cagr = s.market("widgets").cagr
    assert cagr is not None and cagr.source == "assumption: faster"


def test_unchanged_inputs_keep_their_source(write: Writer) -> None:
    s = child_of_base(write, '[[markets]]\nid = "widgets"\ncagr = 0.40\n')
    assert s.market("widgets").size.source == "test: widget report"
    assert not s.market("widgets").size.is_assumption


# --- extends: tables and lists ------------------------------------------------------------


def test_lists_merge_by_id_and_new_ids_are_appended(write: Writer) -> None:
    s = child_of_base(
        write,
        'id = "acme_bull"\n'
        '[[markets]]\nid = "gadgets"\nlabel = "Gadgets (bull)"\n'
        '[[markets]]\nid = "gizmos"\nlabel = "Gizmos"\nunit = "USD bn"\nbase_year = 2024\nsize = 1.0\ncagr = 0.1\n',
    )
    assert s.id == "acme_bull"
    assert [m.id for m in s.markets] == ["widgets", "gadgets", "gizmos"]
    assert s.market("gadgets").label == "Gadgets (bull)"
    assert s.market("gadgets").cagr is not None  # untouched keys come from the parent


def test_outcome_probabilities_can_be_shifted_together(write: Writer) -> None:
    s = child_of_base(
        write,
        '[[assessment.outcomes]]\nid = "win"\nprobability = 0.7\n'
        '[[assessment.outcomes]]\nid = "lose"\nprobability = 0.3\n',
    )
    assert s.assessment is not None
    assert [o.probability.value for o in s.assessment.outcomes] == [0.7, 0.3]
    assert s.assessment.outcomes[0].drivers  # kept from the parent


def test_extends_is_relative_to_the_child_file(write: Writer) -> None:
    write(VALID_TOML, name="base.toml")
    child = write('extends = "../base.toml"\ntitle = "nested"\n', name="sub/child.toml")
    s = load(child)
    assert s.title == "nested"
    assert "extends" not in s.to_toml()


def test_grandparents_are_merged_in_order(write: Writer) -> None:
    write(VALID_TOML, name="base.toml")
    write('extends = "base.toml"\ntitle = "middle"\n[simulation]\ndraws = 500\n', name="middle.toml")
    s = load(write('extends = "middle.toml"\ntitle = "leaf"\n', name="leaf.toml"))
    assert (s.title, s.simulation.draws, s.simulation.seed) == ("leaf", 500, 1)


def test_merge_tables_key_by_key_and_replaces_plain_lists() -> None:
    parent = {"a": {"x": 1, "y": 2}, "tags": [1, 2], "keep": True}
    assert merge(parent, {"a": {"y": 3}, "tags": [9]}) == {"a": {"x": 1, "y": 3}, "tags": [9], "keep": True}
    assert parent == {"a": {"x": 1, "y": 2}, "tags": [1, 2], "keep": True}  # not mutated


# --- with_overrides ------------------------------------------------------------------


def test_with_overrides_returns_a_new_scenario(base: Scenario) -> None:
    s = base.with_overrides({"markets.widgets.cagr": 0.40, "simulation.draws": 2000})
    assert s.simulation.draws == 2000
    cagr = s.market("widgets").cagr
    assert cagr is not None and cagr.median == 0.40
    assert s.market("widgets").projection is None  # same rule as a child file
    # the original is untouched
    assert base.simulation.draws == 1000
    assert base.market("widgets").projection is not None


def test_with_overrides_accumulate(base: Scenario) -> None:
    s = base.with_overrides({"title": "one"}).with_overrides({"simulation.seed": 7})
    assert (s.title, s.simulation.seed) == ("one", 7)
    assert s.raw["title"] == "one"


def test_with_overrides_is_validated(base: Scenario) -> None:
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"assessment.outcomes.win.probability": 0.7})
    assert [str(p) for p in info.value.problems] == [
        "base.toml with <overrides>: assessment.outcomes: probabilities must sum to 1 (they sum to 1.1)"
    ]


def test_with_overrides_unknown_id_has_a_hint(base: Scenario) -> None:
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"markets.widget.cagr": 0.4}, origin="--set")
    assert str(info.value) == (
        "--set: markets.widget.cagr: no item with id 'widget' at markets.widget; did you mean 'widgets'? (got 0.4)"
    )


def test_a_bad_key_does_not_hide_the_problems_of_the_other_overrides(base: Scenario) -> None:
    """Two --set typos (an unknown market id, a misspelt key) are two problems at once;
    the first used to stop before the others were applied and checked."""
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"markets.widget.cagr": 0.4, "assessment.confidense": 3}, origin="--set")
    assert [str(p) for p in info.value.problems] == [
        "--set: markets.widget.cagr: no item with id 'widget' at markets.widget; did you mean 'widgets'? "
        "(got 0.4)",
        "base.toml with --set: assessment.confidense: unknown key; did you mean 'confidence'?",
    ]


DOTTED = "is not a dotted key like markets.developer_tools.cagr or positions.p.path[0].share"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("markets..cagr", DOTTED),
        ("markets.widgets", "names a whole item; set one of its fields, e.g. markets.widgets.<field>"),
        ("markets.widget", "no item with id 'widget' at markets.widget; did you mean 'widgets'?"),
        ("title.x.y", "title is a value, not a table"),
        ("positions.acme_widgets.path[3].share", "no item positions.acme_widgets.path[3]: "
         "positions.acme_widgets.path has 3 item(s)"),
        ("positions.acme_widgets.path[1]", "names a whole item; set one of its fields, "
         "e.g. positions.acme_widgets.path[1].<field>"),
        ("positions.acme_widgets.path.x", "no item with id 'x' at positions.acme_widgets.path.x; "
         "its items have no id: name one as positions.acme_widgets.path[0]"),
        ("title[0].x", "title is not a list"),
        ("evidence[-1].value", DOTTED),
        ("evidence[a].value", DOTTED),
    ],
)  # fmt: skip
def test_with_overrides_bad_keys(base: Scenario, key: str, message: str) -> None:
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({key: 1})
    [problem] = info.value.problems
    assert (problem.path, problem.message) == (key, message)


def test_list_items_without_id_are_set_by_position(base: Scenario) -> None:
    """As error messages name them: ``path[1]``, ``evidence[0]``; a bare number over an
    uncertain share moves it and keeps the spread, marked as an override."""
    s = base.with_overrides(
        {"positions.acme_widgets.path[0].share": 0.15, "evidence[0].value": 2.1},
        origin="--set",
    )
    path = s.positions[0].path
    assert path[0].share.value == 0.15
    assert path[1].share == base.positions[0].path[1].share
    assert s.evidence[0].value == 2.1
    assert s.evidence[0].rel_error == base.evidence[0].rel_error
    s = base.with_overrides({"positions.acme_widgets.path[1].share": {"low": 0.25, "high": 0.35}})
    assert (s.positions[0].path[1].share.low, s.positions[0].path[1].share.high) == (0.25, 0.35)


def test_with_overrides_unknown_field_is_reported_with_hint(base: Scenario) -> None:
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"markets.widgets.cgar": 0.4})
    assert [p.message for p in info.value.problems] == ["unknown key; did you mean 'cagr'?"]


def test_none_removes_a_key_and_the_result_still_serialises(base: Scenario) -> None:
    # regression: a None was kept in the raw inputs and to_toml() then raised TypeError
    s = base.with_overrides({"simulation.seed": None, "correlation.common_factor": None})
    assert s.simulation.seed == 0  # the default
    assert "seed" not in tomllib.loads(s.to_toml())["simulation"]


def test_from_dict_treats_none_as_absent() -> None:
    data = tomllib.loads(VALID_TOML)
    data["description"] = None
    s = Scenario.from_dict(data)
    assert s.description == ""
    tomllib.loads(s.to_toml())


def test_load_reports_every_bad_override_at_once(write: Writer) -> None:
    """forecast run --set markets.widget.cagr=0.4 --set assessment.confidense=3: two
    problems, not only the first."""
    path = write(VALID_TOML)
    with pytest.raises(forecast.ScenarioError) as info:
        load(path, overrides={"markets.widget.cagr": 0.4, "assessment.confidense": 3})
    assert [str(p) for p in info.value.problems] == [
        "--set: markets.widget.cagr: no item with id 'widget' at markets.widget; did you mean 'widgets'? "
        "(got 0.4)",
        f"{path}: assessment.confidense: unknown key; did you mean 'confidence'?",
    ]


def test_load_with_overrides_reports_set_as_the_origin(write: Writer) -> None:
    path = write(VALID_TOML)
    with pytest.raises(forecast.ScenarioError) as info:
        load(path, overrides={"positions.nope.label": "x"})
    assert (
        str(info.value) == "--set: positions.nope.label: no item with id 'nope' at positions.nope (got 'x')"
    )
    assert load(path, overrides={"title": "changed"}).title == "changed"


def test_overrides_on_the_bundled_scenario() -> None:
    s = forecast.load(forecast.bundled("deepseek"))
    what_if = s.with_overrides({"markets.developer_tools.cagr": 0.30})
    cagr = what_if.market("developer_tools").cagr
    assert cagr is not None and cagr.median == 0.30 and cagr.sigma == 0.08
    assert cagr.source is not None and cagr.source.startswith("assumption: override (was: seed:")
    assert what_if.market("developer_tools").projection is None


@pytest.mark.parametrize("bad_id", ["[]", "5", "{ a = 1 }"])
def test_child_item_with_a_non_text_id_is_reported_not_a_crash(write: Writer, bad_id: str) -> None:
    # regression: `id = []` in a child list crashed merge() with "unhashable type"
    write(VALID_TOML, name="base.toml")
    child = write(f'extends = "base.toml"\n[[markets]]\nid = {bad_id}\ncagr = 0.1\n', name="child.toml")
    with pytest.raises(forecast.ScenarioError) as info:
        load(child)
    assert "markets[2].id: input should be a valid string" in str(info.value)


@pytest.mark.parametrize("value", [False, [0.3], "0.3"])
def test_override_of_an_input_with_a_non_number_is_reported(base: Scenario, value: object) -> None:
    # regression: merge_quantity crashed (TypeError) on a bool or a list over an input
    with pytest.raises(forecast.ScenarioError) as info:
        base.with_overrides({"correlation.common_factor": value})
    [problem] = info.value.problems
    assert problem.path == "correlation.common_factor"
    assert problem.message.startswith("must be a number or a table")


def test_a_number_over_a_projection_keeps_its_year() -> None:
    # --set markets.m.projection=300 over { year, low, high }: the year is not part of
    # the form being replaced (it was dropped, and validation said "projection.year: is required")
    # a bare number moves the centre and keeps the spread (the one what-if rule)
    merged = merge_quantity({"year": 2027, "low": 250, "high": 330, "source": "IDC"}, 300, "positive")
    assert merged["year"] == 2027 and merged["source"] == "assumption: override (was: IDC)"
    assert (merged["low"] * merged["high"]) ** 0.5 == pytest.approx(300, rel=1e-12)
    assert merged["high"] / merged["low"] == pytest.approx(330 / 250, rel=1e-12)
    s = forecast.load(forecast.bundled("ev-charging"))
    m = next(m for m in s.markets if m.projection is not None and m.projection.value is None)
    moved = s.with_overrides({f"markets.{m.id}.projection": 5.0})
    assert moved.market(m.id).projection.year == m.projection.year
    assert moved.market(m.id).projection.canonical("positive").quantile(0.5) == pytest.approx(5.0, rel=1e-12)
    assert (
        moved.with_overrides({f"markets.{m.id}.projection": "point:5"}).market(m.id).projection.value == 5.0
    )
