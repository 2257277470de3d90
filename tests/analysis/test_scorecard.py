"""Scores of versions against resolutions: which versions, baselines, time averages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scoringrules as sr

import forecast
from forecast.analysis.scorecard import Scorecard
from forecast.analysis.sensitivity import parse_target

RESOLUTIONS = (
    "id,value,date,source\n"
    "tiered_licensing,false,2026-01-02,made up\n"
    "outcome.independence,true,2028-01-05,made up\n"
    "market.developer_tools@2026,7.0,2027-03-01,made up\n"
    "efficiency_erodes,true,2025-03-01,made up: resolved between the versions\n"
)


@pytest.fixture(scope="module")
def versions() -> list[forecast.analysis.results.Forecast]:
    base = forecast.load(forecast.bundled("deepseek"))
    later = base.with_overrides(
        {"as_of": "2025-06-01", "predictions.tiered_licensing.probability": {"low": 0.1, "high": 0.4}}
    )
    return [forecast.simulate(s, draws=2000, seed=5) for s in (base, later)]


@pytest.fixture
def resolutions(tmp_path: Path) -> Path:
    p = tmp_path / "r.csv"
    p.write_text(RESOLUTIONS, encoding="utf-8")
    return p


def test_binary_scores_by_version_with_the_uniform_baseline(versions, resolutions: Path) -> None:
    card = Scorecard.load(versions, resolutions)
    b = card.binary()
    # tiered_licensing by both versions, the three outcomes (one true, two implied false)
    # by both, efficiency_erodes only by the version made before it resolved
    assert b.groupby("statement").size().to_dict() == {
        "outcome.acquired": 2,
        "outcome.independence": 2,
        "outcome.struggling": 2,
        "prediction.efficiency_erodes": 1,
        "prediction.tiered_licensing": 2,
    }
    assert card.not_scored()[["statement", "as_of"]].values.tolist() == [
        ["prediction.efficiency_erodes", "2025-06-01"]
    ]
    y = b["outcome"].to_numpy(float)
    np.testing.assert_allclose(b["brier"], sr.brier_score(y, b["probability"].to_numpy(float)), rtol=1e-12)
    np.testing.assert_allclose(b["log_score"], sr.log_score(y, b["probability"].to_numpy(float)), rtol=1e-12)
    base = b.set_index("statement")["baseline_probability"]
    assert base["outcome.independence"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert base["prediction.tiered_licensing"].tolist() == [0.5, 0.5]
    # the version's own probability, as its predictions/outcomes tables give it
    first = versions[0]
    p = first.predictions().set_index("id")["probability"]
    row = b[(b["statement"] == "prediction.tiered_licensing") & (b["as_of"] == "2025-01-01")].iloc[0]
    assert row["probability"] == pytest.approx(p["tiered_licensing"], rel=1e-5)


def test_the_previous_baseline_is_the_version_before(versions, resolutions: Path) -> None:
    b = Scorecard.load(versions, resolutions, baseline="previous").binary()
    t = b[b["statement"] == "prediction.tiered_licensing"]
    assert t["baseline_probability"].iloc[0] == 0.5  # the first version has none before it
    assert t["baseline_probability"].iloc[1] == t["probability"].iloc[0]
    assert t["baseline"].tolist() == ["uniform (0.5)", "previous version"]


def test_time_averages_weight_each_version_by_the_days_it_stood(versions, resolutions: Path) -> None:
    card = Scorecard.load(versions, resolutions)
    avg = card.time_averaged().set_index("statement")
    b = card.binary()
    t = b[b["statement"] == "prediction.tiered_licensing"]["brier"].to_numpy()
    days = np.array([151, 215])  # 2025-01-01 -> 2025-06-01 -> 2026-01-02
    assert avg.loc["prediction.tiered_licensing", "days"] == 366
    assert avg.loc["prediction.tiered_licensing", "brier"] == pytest.approx((t * days).sum() / days.sum())
    assert avg.loc["prediction.efficiency_erodes", "versions"] == 1


def test_quantity_scores_come_from_the_versions_draws(versions, resolutions: Path) -> None:
    q = Scorecard.load(versions, resolutions).quantities()
    assert len(q) == 2
    for fc, r in zip(versions, q.itertuples(), strict=True):
        x = parse_target(fc.scenario, "market.developer_tools@2026").of(fc)
        assert r.crps == pytest.approx(float(sr.crps_ensemble(7.0, x, estimator="fair")), rel=1e-12)
        assert r.pit == np.mean(x < 7.0)
        assert r.median == pytest.approx(np.median(x))
        assert np.isfinite(r.log_score) and r.note == ""


def test_forecast_score_returns_one_table(versions, resolutions: Path) -> None:
    s = forecast.score(versions, resolutions)
    assert set(s["kind"]) == {"prediction", "outcome", "quantity"}
    assert len(s) == 9 + 2
    assert s.loc[s["kind"] == "quantity", "brier"].isna().all()
    assert s.loc[s["kind"] != "quantity", "crps"].isna().all()


def test_a_certain_forecast_that_was_wrong_has_no_log_score_rather_than_inf(tmp_path: Path) -> None:
    import pandas as pd

    from forecast.analysis import resolutions as res
    from forecast.analysis.history import Version

    s = forecast.load(forecast.bundled("deepseek"))
    preds = pd.DataFrame(
        {
            "id": ["tiered_licensing"],
            "statement": ["x"],
            "deadline": ["2026-01-01"],
            "probability": [0.0],
            "mcse": [0.0],
        }
    )
    outcomes = pd.DataFrame(columns=["outcome", "label", "stated", "probability", "q05", "q95", "mcse"])
    v = Version("v", Path("v.toml"), s, "file", None, {"predictions": preds, "outcomes": outcomes})
    path = tmp_path / "r.csv"
    path.write_text("id,value,date\ntiered_licensing,true,2026-01-02\n", encoding="utf-8")
    card = Scorecard([v], res.check_against(res.read(path), [s]))
    row = card.binary().iloc[0]
    assert row["brier"] == 1.0
    assert np.isnan(row["log_score"]) and "log score not defined" in row["note"]
    d = card.calibration(resamples=20).decomposition.set_index("score_name")
    assert np.isnan(d.loc["log", "score"]) and "not defined" in d.loc["log", "note"]
    assert d.loc["brier", "score"] == 1.0
