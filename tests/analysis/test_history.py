"""History of a scenario's versions: order, probabilities, changes, bad input."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis.history import History, flatten, load_versions
from forecast.errors import ScenarioError

HISTORY = [
    forecast.bundled("deepseek"),
    forecast.bundled("history/deepseek-2025-06"),
    forecast.bundled("history/deepseek-2025-11"),
]


def test_the_bundled_versions_load_in_as_of_order_whatever_the_argument_order() -> None:
    versions = load_versions(list(reversed(HISTORY)))
    assert [v.name for v in versions] == ["deepseek", "deepseek-2025-06", "deepseek-2025-11"]
    assert [v.as_of.isoformat() for v in versions] == ["2025-01-01", "2025-06-15", "2025-11-15"]
    assert {v.scenario.id for v in versions} == {"deepseek"}
    assert all("illustrative" in v.scenario.title for v in versions[1:])


def test_changes_list_inputs_evidence_and_signposts() -> None:
    ch = History.load(HISTORY).changes()
    assert set(ch.columns) == {"version", "previous", "what", "key", "before", "after"}
    first = ch[ch["version"] == "deepseek-2025-06"]
    assert first[["what", "key", "before", "after"]].values.tolist() == [
        ["signpost", "signposts.next_model_release.observed", "", "true"]
    ]
    second = ch[ch["version"] == "deepseek-2025-11"].set_index("key")
    assert second.loc["evidence.developer_tools@2025", "after"] == "4.9 ± 10%"
    assert second.loc["evidence.developer_tools@2025", "what"] == "evidence"
    assert second.loc["predictions.tiered_licensing.probability", "before"] == "low 0.5, high 0.85"
    assert second.loc["predictions.tiered_licensing.probability", "after"] == "low 0.1, high 0.4"
    assert second.loc["signposts.enterprise_anchor_customer.observed", "after"] == "false"
    assert second.loc["signposts.enterprise_anchor_customer.observed", "what"] == "signpost"


def test_flatten_names_items_by_id_and_keeps_out_documentation() -> None:
    flat = flatten(forecast.load(forecast.bundled("deepseek")).raw)
    assert flat["markets.developer_tools.cagr"] == "median 0.47, sigma 0.08"
    assert flat["markets.developer_tools.projection"] == "year 2027, value 9.8"
    assert flat["assessment.outcomes.independence.probability"] == "0.4"
    assert not any(k.endswith((".source", ".note", ".label")) for k in flat)


@pytest.fixture(scope="module")
def two_versions() -> list[forecast.analysis.results.Forecast]:
    base = forecast.load(forecast.bundled("deepseek"))
    later = base.with_overrides(
        {"as_of": "2025-06-01", "predictions.tiered_licensing.probability": {"low": 0.1, "high": 0.4}}
    )
    return [forecast.simulate(s, draws=2000, seed=3) for s in (later, base)]


def test_table_holds_every_statement_of_every_version_with_its_change(two_versions) -> None:
    h = forecast.history(two_versions)
    assert list(h.columns) == [
        "version",
        "as_of",
        "kind",
        "id",
        "label",
        "deadline",
        "probability",
        "q05",
        "q95",
        "mcse",
        "change",
        "change_mcse",
    ]
    assert h["as_of"].unique().tolist() == ["2025-01-01", "2025-06-01"]  # sorted by as_of
    assert len(h) == 2 * (3 + 5)  # 3 outcomes, 5 predictions
    for fc in two_versions:
        rows = h[h["as_of"] == fc.scenario.as_of.isoformat()]
        want = fc.predictions().set_index("id")["probability"]
        got = rows[rows["kind"] == "prediction"].set_index("id")["probability"]
        # as forecast run writes them: 6 significant digits
        np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-5)
    later = h[h["as_of"] == "2025-06-01"].set_index("id")
    first = h[h["as_of"] == "2025-01-01"].set_index("id")
    assert first["change"].isna().all()
    d = later.loc["tiered_licensing"]
    assert d["change"] == pytest.approx(d["probability"] - first.loc["tiered_licensing", "probability"])
    assert d["change"] < -0.2  # the revision lowered it from about 70% to about 23%
    assert d["change_mcse"] == pytest.approx(np.hypot(d["mcse"], first.loc["tiered_licensing", "mcse"]))
    outcomes = h[h["kind"] == "outcome"]
    assert (outcomes["q05"] <= outcomes["probability"]).all() and (
        outcomes["probability"] <= outcomes["q95"]
    ).all()
    assert h[h["kind"] == "prediction"][["q05", "q95"]].isna().all().all()


def test_versions_of_different_scenarios_are_refused() -> None:
    with pytest.raises(ScenarioError) as e:
        load_versions([forecast.bundled("deepseek"), forecast.bundled("ev-charging")])
    (problem,) = e.value.problems
    assert "versions must be of one scenario" in str(problem)
    assert "ev-charging.toml" in str(problem)


def test_two_versions_with_one_as_of_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "copy.toml"
    copy.write_text(f'extends = "{forecast.bundled("deepseek")}"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="two versions are dated 2025-01-01"):
        load_versions([forecast.bundled("deepseek"), copy])


def test_a_folder_that_is_not_a_report_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is not a forecast report folder"):
        load_versions([tmp_path])


def test_a_file_version_takes_its_tables_from_the_full_precision_draws_as_run_writes_them(
    seed_forecast: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``forecast run`` computes outcomes.csv and predictions.csv from the draws at full
    precision and archives float32 draws; a quantile of the float32 draws can differ in
    the 6th digit (0.81207 for 0.812071, deepseek-2025-06 under NUTS). A version given
    as a file must take its tables as run writes them and its draws as forecast.nc
    keeps them. Here the simulated forecast's own tables are marked, so a table
    recomputed from the archived draws shows."""
    import pandas as pd

    from forecast.analysis import results
    from forecast.analysis.history import _as_written

    fc: Any = seed_forecast
    marked = fc.outcomes().assign(q95=0.8120705)
    simulated = SimpleNamespace(
        data=fc.data, seed=fc.seed, outcomes=lambda: marked, predictions=fc.predictions
    )
    monkeypatch.setattr(results, "simulate", lambda scenario: simulated)
    [v] = load_versions([HISTORY[0]])
    pd.testing.assert_frame_equal(v.table("outcomes"), _as_written(marked))
    assert v.forecast.values("market_size").dtype == np.float32
