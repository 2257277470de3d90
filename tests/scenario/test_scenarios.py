"""The scenario files shipped in ``scenarios/``: the seed, its variants, another company."""

from __future__ import annotations

from typing import Any

import pytest

import forecast
from forecast.scenario import Scenario, load
from tests.conftest import SCENARIOS

_FORM_KEYS = {"value", "low", "high", "median", "sigma", "mean", "sd", "dist", "year"}


def quantities(node: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """Every uncertain input in a raw scenario, keyed by its dotted path."""
    out: dict[str, dict[str, Any]] = {}
    if isinstance(node, dict):
        if path and _FORM_KEYS & set(node) and not isinstance(node.get("id"), str):
            out[path] = node
        for key, value in node.items():
            out.update(quantities(value, f"{path}.{key}" if path else key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            name = item["id"] if isinstance(item, dict) and "id" in item else f"[{i}]"
            out.update(quantities(item, f"{path}.{name}"))
    return out


def numbers(q: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in q.items() if k in _FORM_KEYS}


def is_assumption(q: dict[str, Any]) -> bool:
    return str(q.get("source", "")).lower().startswith("assumption")


def test_quantities_helper_finds_nested_inputs() -> None:
    raw = {"markets": [{"id": "m", "size": {"value": 1}}], "x": {"p": {"low": 0, "high": 1, "source": "s"}}}
    assert set(quantities(raw)) == {"markets.m.size", "x.p"}


@pytest.mark.parametrize("name", ["deepseek-bull", "deepseek-bear"])
def test_every_changed_number_is_a_marked_assumption(name: str) -> None:
    parent = quantities(load(SCENARIOS / "deepseek.toml").raw)
    child = quantities(load(SCENARIOS / f"{name}.toml").raw)
    changed = {p: q for p, q in child.items() if p not in parent or numbers(parent[p]) != numbers(q)}
    assert changed, "a variant that changes nothing is not a variant"
    unmarked = [p for p, q in changed.items() if not is_assumption(q)]
    assert not unmarked
    # and each reason is one line of real text, not just the word
    for q in changed.values():
        reason = q["source"].split(":", 1)[1].strip()
        assert len(reason) > 20 and "\n" not in reason


def _outcomes(s: Scenario) -> dict[str, float]:
    assert s.assessment is not None
    return {o.id: o.probability.value for o in s.assessment.outcomes if o.probability.value is not None}


def _cagr_median(s: Scenario, market: str) -> float:
    cagr = s.market(market).cagr
    assert cagr is not None
    return float(cagr.canonical("growth").quantile(0.5))


def test_bull_and_bear_bracket_the_seed() -> None:
    base, bull, bear = (
        forecast.load(forecast.bundled(n)) for n in ("deepseek", "deepseek-bull", "deepseek-bear")
    )
    assert _outcomes(bull) == {"independence": 0.50, "acquired": 0.30, "struggling": 0.20}
    assert _outcomes(bear)["independence"] < _outcomes(base)["independence"] < _outcomes(bull)["independence"]
    assert _outcomes(bear)["struggling"] > _outcomes(base)["struggling"] > _outcomes(bull)["struggling"]
    for market in ("developer_tools", "enterprise_llm_apis"):
        assert _cagr_median(bear, market) < _cagr_median(base, market) < _cagr_median(bull, market)
        # a changed CAGR drops the seed's projection instead of contradicting it
        assert bull.market(market).projection is None and bear.market(market).projection is None
    # what the variants do not touch is the seed's
    for s in (bull, bear):
        assert s.market("vertical_solutions") == base.market("vertical_solutions")
        assert s.predictions == base.predictions
        assert s.simulation.seed == base.simulation.seed  # same random numbers: differences are the inputs'


def test_seed_scenario_encodes_the_seed_table() -> None:
    # the seed's market table: 2024 size, 2027 projection (USD bn) and CAGR
    table = {
        "enterprise_llm_apis": (8.2, 22.1, 0.39),
        "vertical_solutions": (4.7, 15.3, 0.48),
        "developer_tools": (3.1, 9.8, 0.47),
        "open_source_support": (0.9, 2.4, 0.39),
    }
    s = forecast.load(forecast.bundled("deepseek"))
    assert [m.id for m in s.markets] == list(table)
    for market_id, (size, projection, cagr) in table.items():
        m = s.market(market_id)
        assert m.base_year == 2024
        assert m.size.median == size
        assert m.projection is not None and (m.projection.year, m.projection.value) == (2027, projection)
        assert m.cagr is not None and m.cagr.median == cagr
    assert _outcomes(s) == {"independence": 0.40, "acquired": 0.35, "struggling": 0.25}
    assert [p.id for p in s.predictions] == [
        "devtools_leadership",
        "tiered_licensing",
        "strategic_partnership",
        "efficiency_erodes",
        "devtools_share_25_30",
    ]
    assert [sg.id for sg in s.signposts] == ["next_model_release"]


def test_every_seed_number_says_where_it_comes_from() -> None:
    raw = load(SCENARIOS / "deepseek.toml").raw
    for path, q in quantities(raw).items():
        source = str(q.get("source", ""))
        assert source.startswith(("seed:", "assumption")), path


def test_the_other_company_is_illustrative_and_all_assumption() -> None:
    path = SCENARIOS / "ev-charging.toml"
    s = load(path)
    assert "deepseek" not in str(s.raw).lower()  # the header comment may name the seed
    assert s.title.startswith("ILLUSTRATIVE")
    assert s.extends is None
    found = quantities(s.raw)
    assert len(found) > 20
    assert [p for p, q in found.items() if not is_assumption(q)] == []
    # it exercises every section of the language
    assert len(s.markets) == 3 and s.assessment is not None and s.positions and s.signposts
    assert {p.kind for p in s.predictions} == {"threshold", "event"}
    assert {p.quantity.partition(".")[0] for p in s.predictions if p.quantity} == {
        "market",
        "share",
        "revenue",
    }


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("path", sorted(SCENARIOS.rglob("*.toml")), ids=lambda p: p.name)
def test_sources_cite_documents_by_title_never_a_local_path(path: Any) -> None:
    # the report prints a scenario's source: a path such as shared/seed/x.txt exists
    # on no reader's machine; a title, a citation or a URL does
    import re
    import tomllib

    local = re.compile(r"(?<![:/\w])(?:\.{0,2}/)?(?:[\w.-]+/)+[\w.-]+\.(?:txt|md|pdf|csv|docx?|html?)\b")
    raw = tomllib.loads(path.read_text())
    found = [s for s in _strings(raw) if local.search(re.sub(r"https?://\S+", "", s))]
    assert found == []
