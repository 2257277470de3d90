"""Property tests of the scenario language.

(a) Any valid scenario survives ``to_toml`` -> ``tomllib`` -> ``from_dict`` unchanged.
(b) No corruption of a valid file, however odd, gets anything out of ``load`` but a
    scenario or a :class:`ScenarioError`, nor anything out of ``forecast validate``
    but exit 0 or 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import event, given
from hypothesis import strategies as st

from forecast.cli import main
from forecast.errors import ScenarioError
from forecast.scenario import Scenario, load
from tests.conftest import SCENARIOS, VALID_TOML

# --- (a) valid scenarios ----------------------------------------------------------------

ids = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
texts = st.text(max_size=30)  # any unicode: quotes, newlines, control characters, emoji


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def sourced(draw: st.DrawFn, form: dict[str, Any]) -> dict[str, Any]:
    """A quantity table, sometimes with a source and a note."""
    out = dict(form)
    if draw(st.booleans()):
        out["source"] = draw(texts)
    if draw(st.booleans()):
        out["note"] = draw(texts)
    return out


@st.composite
def quantity(draw: st.DrawFn, domain: str) -> tuple[Any, float]:
    """A valid uncertain input for ``domain`` and its median."""
    form = draw(st.sampled_from(["number", "value", "interval", "median"]))
    if domain == "positive":
        if form in ("number", "value"):
            x = draw(floats(1e-3, 1e6))
            return (x if form == "number" else draw(sourced({"value": x}))), x
        if form == "interval":
            lo, ratio = draw(floats(1e-3, 1e5)), draw(floats(1.01, 100.0))
            return draw(sourced({"low": lo, "high": lo * ratio})), math.sqrt(lo * lo * ratio)
        m = draw(floats(1e-3, 1e6))
        return draw(sourced({"median": m, "sigma": draw(floats(0.0, 1.0))})), m
    if domain == "unit":
        if form in ("number", "value"):
            x = draw(floats(0.0, 1.0))
            return (x if form == "number" else draw(sourced({"value": x}))), x
        if form == "interval":
            lo = draw(floats(0.01, 0.9))
            hi = draw(floats(lo + 0.01, 0.99))
            return draw(sourced({"low": lo, "high": hi})), math.nan
        m = draw(floats(0.01, 0.99))
        return draw(sourced({"median": m, "sigma": draw(floats(0.0, 1.0))})), m
    # growth: a bare number of 1 (100% a year) or more is refused as a likely typo,
    # but a percent string may say it
    if draw(st.booleans()):
        k = draw(st.integers(-50, 150))
        return f"{k}%", k / 100
    if form in ("number", "value"):
        x = draw(floats(-0.5, 0.99))
        return (x if form == "number" else draw(sourced({"value": x}))), x
    if form == "interval":
        lo = draw(floats(-0.5, 0.5))
        hi = draw(floats(lo + 0.01, 0.99))
        return draw(sourced({"low": lo, "high": hi})), math.expm1((math.log1p(lo) + math.log1p(hi)) / 2)
    m = draw(floats(-0.5, 0.99))
    return draw(sourced({"median": m, "sigma": draw(floats(0.0, 0.5))})), m


def is_point(q: Any) -> bool:
    # a zero spread is a point too
    return not isinstance(q, dict) or "value" in q or q.get("sigma") == 0


@st.composite
def markets(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for market_id in draw(st.lists(ids, min_size=1, max_size=4, unique=True)):
        base_year = draw(st.integers(2000, 2030))
        size, size_median = draw(quantity("positive"))
        m: dict[str, Any] = {
            "id": market_id,
            "label": draw(texts),
            "unit": draw(texts),
            "base_year": base_year,
            "size": size,
        }
        mode = draw(st.sampled_from(["cagr", "projection", "both"]))
        if mode in ("cagr", "both"):
            m["cagr"], cagr_median = draw(quantity("growth"))
        if mode == "projection":
            proj, _ = draw(quantity("positive"))
            proj = proj if isinstance(proj, dict) else {"value": proj}
            m["projection"] = {"year": base_year + draw(st.integers(1, 20)), **proj}
        if mode == "both":
            # all three must agree: the projection follows from the size and CAGR medians
            n = draw(st.integers(1, 20))
            m["projection"] = {"year": base_year + n, "value": size_median * (1 + cagr_median) ** n}
        if draw(st.booleans()):
            m["volatility"], _ = draw(quantity("positive"))
        if draw(st.booleans()):
            m["notes"] = draw(texts)
        out.append(m)
    return out


def growth_is_uncertain(m: dict[str, Any]) -> bool:
    return ("cagr" in m and not is_point(m["cagr"])) or ("projection" in m and not is_point(m["projection"]))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario mapping, as a TOML file would give it."""
    as_of = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
    mks = draw(markets())
    market_ids = [m["id"] for m in mks]

    def later() -> dt.date:
        return as_of + dt.timedelta(days=draw(st.integers(1, 3000)))

    d: dict[str, Any] = {"id": draw(ids), "title": draw(texts), "as_of": as_of, "markets": mks}
    if draw(st.booleans()):
        d["description"] = draw(texts)
    if draw(st.booleans()):
        d["simulation"] = {"draws": draw(st.integers(100, 10**6)), "seed": draw(st.integers(0, 2**63))}
    if draw(st.booleans()):
        d["correlation"] = {"common_factor": draw(quantity("unit"))[0]}

    outcome_ids: list[str] = []
    if draw(st.booleans()):
        outcome_ids = draw(st.lists(ids, min_size=2, max_size=4, unique=True))
        weights = draw(st.lists(st.integers(1, 100), min_size=len(outcome_ids), max_size=len(outcome_ids)))
        driven = [m["id"] for m in mks if growth_is_uncertain(m)]
        outcomes = []
        for k, w in zip(outcome_ids, weights, strict=True):
            o: dict[str, Any] = {"id": k, "label": draw(texts), "probability": w / sum(weights)}
            if len(driven) > 0 and draw(st.booleans()):
                o["drivers"] = [
                    {"market": draw(st.sampled_from(driven)), "log_odds_per_sd": draw(floats(-2, 2))}
                ]
            outcomes.append(o)
        d["assessment"] = {
            "horizon_years": draw(st.integers(1, 10)),
            # the concentration must be a single number (an uncertain one is an error), and
            # every outcome's share of it at least 0.02 cases (below, its draws underflow to 0)
            "confidence": draw(floats(max(0.5, 0.021 * sum(weights) / min(weights)), 200)),
            "outcomes": outcomes,
        }

    positions = []
    for pos_id in draw(st.lists(ids, max_size=2, unique=True)):
        path = []
        for i in range(draw(st.integers(1, 3))):
            point: dict[str, Any] = {"at": later(), "share": draw(quantity("unit"))[0]}
            # the first point is general: every outcome needs a path to fall back on
            if i > 0 and len(outcome_ids) > 0 and draw(st.booleans()):
                point["outcome"] = draw(st.sampled_from(outcome_ids))
            path.append(point)
        positions.append(
            {"id": pos_id, "label": draw(texts), "market": draw(st.sampled_from(market_ids)), "path": path}
        )
    if positions:
        d["positions"] = positions

    predictions = []
    for pred_id in draw(st.lists(ids, max_size=3, unique=True)):
        p: dict[str, Any] = {"id": pred_id, "statement": draw(texts), "deadline": later()}
        kinds = ["threshold", "event"] + (["by_outcome"] if outcome_ids else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "threshold":
            targets = [f"market.{i}" for i in market_ids]
            targets += [f"{k}.{pos['id']}" for pos in positions for k in ("share", "revenue")]
            p |= {"quantity": draw(st.sampled_from(targets)), "op": draw(st.sampled_from([">=", "<="]))}
            # a threshold some draw can cross: a share inside (0, 1), a size above 0
            share = p["quantity"].startswith("share.")
            p["threshold"] = draw(floats(0.001, 0.999) if share else floats(1e-6, 1e6))
        elif kind == "event":
            p["probability"] = draw(quantity("unit"))[0]
        else:
            p["probability_by_outcome"] = {k: draw(quantity("unit"))[0] for k in outcome_ids}
        if draw(st.booleans()):
            p["resolved"] = draw(st.booleans())
        predictions.append(p)
    if predictions:
        d["predictions"] = predictions

    if outcome_ids:
        signposts = []
        for sp_id in draw(st.lists(ids, max_size=2, unique=True)):
            observed = draw(st.sampled_from([None, True, False]))
            # an observation impossible under every outcome (all likelihoods 0, or all 1
            # and seen false) is invalid: an observed signpost's likelihoods stay inside
            lo, hi = (0.0, 1.0) if observed is None else (0.01, 0.99)
            likelihood = {k: draw(floats(lo, hi)) for k in outcome_ids}
            if set(likelihood.values()) in ({0.0}, {1.0}):
                # 1 (or 0) under every outcome makes one way of observing it 0/0: invalid
                likelihood[outcome_ids[0]] = 0.5
            sp: dict[str, Any] = {"id": sp_id, "statement": draw(texts), "likelihood": likelihood}
            if observed is not None:
                sp["observed"] = observed
            signposts.append(sp)
        if signposts:
            d["signposts"] = signposts

    evidence = [
        {
            "market": m["id"],
            "year": m["base_year"] + draw(st.integers(1, 10)),
            "value": draw(floats(1e-3, 1e6)),
            "rel_error": draw(floats(0.01, 5.0)),
        }
        for m in draw(st.lists(st.sampled_from(mks), max_size=2))
    ]
    if evidence:
        d["evidence"] = evidence
    return d


@given(scenarios())
def test_valid_scenarios_round_trip_through_toml(d: dict[str, Any]) -> None:
    s = Scenario.from_dict(d)
    text = s.to_toml()
    again = Scenario.from_dict(tomllib.loads(text))
    assert again == s
    assert again.to_toml() == text
    assert again.sha256() == s.sha256()


@given(scenarios())
def test_valid_scenarios_round_trip_through_a_file(d: dict[str, Any]) -> None:
    s = Scenario.from_dict(d)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.toml"
        path.write_text(s.to_toml(), encoding="utf-8")
        loaded = load(path)
    assert loaded.model_dump() == s.model_dump()
    assert loaded.years == s.years


# --- (b) corrupted files ------------------------------------------------------------------

SEEDS = {
    "small": VALID_TOML,
    "deepseek": (SCENARIOS / "deepseek.toml").read_text(encoding="utf-8"),
    "bull": (SCENARIOS / "deepseek-bull.toml").read_text(encoding="utf-8"),
    "ev": (SCENARIOS / "ev-charging.toml").read_text(encoding="utf-8"),
}

# fragments that TOML, and this language, give meaning to
TOKENS = st.sampled_from(
    [
        "=", "[", "]", "[[", "]]", "{", "}", ",", ".", '"', "'", '"""', "\n", "#", " ",
        "nan", "inf", "-inf", "-", "0", "-1", "1e309", "true", "2024", "2025-13-01", "1979-05-27T07:32:00Z",
        "[[markets]]", "[assessment]", "[[assessment.outcomes]]", "[simulation]", "extends = ",
        "id", "cagr", "size", "low", "high", "median", "sigma", "probability", "year", "value",
        "outcome", "market", "\\u0000", "\\", "\x00", "\ufeff", "é", "🙂",
    ]
)  # fmt: skip
junk = st.lists(TOKENS | st.text(max_size=5), max_size=4).map("".join)


@st.composite
def text_corruptions(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    text = SEEDS[name]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(junk) + text[i:]
        else:
            text = text[:i] + draw(junk) + text[j:]
    return name, text


toml_scalars = (
    st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()  # NaN and infinities included
    | st.text(max_size=10)
    | st.dates()
    | st.datetimes()
    | st.sampled_from([0, -1, 1, 0.5, 1.5, -0.0, 2024, "", "2026-07", "x", "developer_tools", "share.nope"])
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def tree_corruptions(draw: st.DrawFn) -> tuple[str, str]:
    """Drop keys and list items, or put values of any type anywhere, in a shipped file."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    return name, corrupt_tree(draw, tomllib.loads(SEEDS[name]))


@st.composite
def generated_corruptions(draw: st.DrawFn) -> tuple[str, str]:
    """The same, in a generated valid scenario (more shapes than the shipped files)."""
    tree = tomllib.loads(Scenario.from_dict(draw(scenarios())).to_toml())
    return "generated", corrupt_tree(draw, tree)


def corrupt_tree(draw: st.DrawFn, tree: dict[str, Any]) -> str:
    for _ in range(draw(st.integers(1, 3))):
        parent: Any = None
        key: Any = None
        node: Any = tree
        while isinstance(node, dict | list) and node and (parent is None or draw(st.booleans())):
            key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            parent, node = node, node[key]
        if parent is None:
            continue
        if draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(toml_values)
    return tomli_w.dumps(tree)


def check_never_crashes(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # the bull case's parent must be there for its `extends`
        (folder / "deepseek.toml").write_text(SEEDS["deepseek"], encoding="utf-8")
        path = folder / f"corrupt-{name}.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            s = load(path)
        except ScenarioError as e:
            assert e.problems
            assert all(str(p).startswith(f"{path}: ") or str(p).startswith(str(folder)) for p in e.problems)
        else:
            # what validates must also serialise and give a bounded grid of years
            tomllib.loads(s.to_toml())
            assert 1 <= len(s.years) <= 101

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["validate", str(path)])
        event(f"validate exit {status}")
        assert status in (0, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        assert (status == 0) == out.getvalue().startswith(f"ok: {path}\n")


@given(text_corruptions())
def test_corrupted_text_gives_only_scenario_errors(case: tuple[str, str]) -> None:
    check_never_crashes(*case)


@given(tree_corruptions())
def test_corrupted_values_give_only_scenario_errors(case: tuple[str, str]) -> None:
    check_never_crashes(*case)


@given(generated_corruptions())
def test_corrupted_generated_scenarios_give_only_scenario_errors(case: tuple[str, str]) -> None:
    check_never_crashes(*case)


@st.composite
def override_keys(draw: st.DrawFn, raw: dict[str, Any]) -> str:
    """A dotted key: a walk into the scenario (list items by id), maybe off its end."""
    parts: list[str] = []
    node: Any = raw
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        if isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)))
            parts.append(key)
            node = node[key]
        else:
            item = draw(st.sampled_from(node))
            if not (isinstance(item, dict) and isinstance(item.get("id"), str)):
                break
            parts.append(item["id"])
            node = item
    parts += draw(st.lists(st.sampled_from(["x", "id", "value", "cagr", "0", ""]), max_size=2))
    return ".".join(parts) or "title"


@given(st.data())
def test_overrides_give_only_scenario_errors(data: st.DataObject) -> None:
    base = load(SCENARIOS / "deepseek.toml")
    overrides = {
        data.draw(override_keys(base.raw)): data.draw(st.none() | toml_values)
        for _ in range(data.draw(st.integers(1, 3)))
    }
    try:
        s = base.with_overrides(overrides)
    except ScenarioError as e:
        assert e.problems
    else:
        tomllib.loads(s.to_toml())
        assert 1 <= len(s.years) <= 101
