"""A metric can have actuals: ``metric.<id>@YEAR`` (a yearly metric) and ``metric.<id>``
(one number per draw) in a resolutions file are scored like a market size (CRPS, PIT,
log score), and refused like one (an unknown id with a hint, a year outside the grid,
a yearly metric without its year, a duplicate), with a unit-mistake warning in the
metric's unit.

The known answers use stand-in versions whose metric draws are ``1, 2, ..., 100``: the
fair CRPS at ``y`` is then ``mean|x - y| - (n + 1) / 6`` (the mean absolute difference
of distinct pairs of ``1..n`` is ``(n + 1) / 3``), the PIT a count.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import forecast
from forecast.analysis import resolutions as res
from forecast.analysis.resolutions import Resolution
from forecast.analysis.scorecard import Scorecard
from forecast.analysis.scores import log_score_draws
from forecast.errors import ScenarioError
from forecast.scenario import Scenario

BIZ: dict[str, Any] = {
    "id": "biz",
    "title": "Biz",
    "as_of": "2025-01-01",
    "simulation": {"end_year": 2027},
    "markets": [
        {"id": "gpu", "label": "GPU", "unit": "USD bn", "base_year": 2024, "size": 10.0, "cagr": 0.1}
    ],
    "positions": [
        {"id": "acme", "label": "Acme", "market": "gpu", "path": [{"at": "2025-06-30", "share": 0.1}]}
    ],
    "inputs": [{"id": "cost", "label": "Cost", "unit": "USD bn", "value": {"low": 0.5, "high": 0.9}}],
    "metrics": [
        {"id": "rev", "label": "Acme revenue", "unit": "USD bn", "formula": "revenue.acme"},
        {
            "id": "profit",
            "label": "Acme profit 2025-2027",
            "unit": "USD bn",
            "formula": "sum(revenue.acme, 2025, 2027) - inputs.cost",
        },
    ],
}
N = 100
X = np.arange(1.0, N + 1)  # the draws of every metric of a stand-in version
PAIRS = (N + 1) / 6  # half the mean |x - x'| over distinct pairs of 1..N


def scenario() -> Scenario:
    return Scenario.from_dict(BIZ, origin="biz.toml")


def version(name: str = "v1", as_of: str = "2025-01-01") -> Any:
    """A version of BIZ whose every metric, in every year, has the draws ``1..N``."""
    s = scenario()
    arrays = {
        "metric_value": np.tile(X[:, None], (1, 1)),
        "metric_by_year": np.tile(X[:, None, None], (1, 1, len(s.years))),
    }
    return SimpleNamespace(
        name=name,
        as_of=dt.date.fromisoformat(as_of),
        scenario=s,
        forecast=SimpleNamespace(values=arrays.__getitem__),
    )


def resolution(statement: str, value: float) -> Resolution:
    return Resolution(statement, "quantity", value, dt.date(2026, 6, 30), "made up", "r.csv:2")


def test_the_metric_forms_are_read_as_quantities_and_a_metric_may_be_negative(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("id,value,date\nmetric.profit,-3,2026-06-30\nmetric.rev@2026,2,2026-06-30\n")
    rs = res.read(p)
    assert [(r.statement, r.kind, r.value) for r in rs] == [
        ("metric.profit", "quantity", -3.0),
        ("metric.rev@2026", "quantity", 2.0),
    ]
    # a market size is still refused at 0 or below
    p.write_text("id,value,date\nmarket.gpu@2026,-3,2026-06-30\n")
    with pytest.raises(ScenarioError, match=r"must be > 0 \(a market size or revenue\)"):
        res.read(p)


def test_a_scalar_metric_scores_by_hand() -> None:
    [row] = Scorecard([version()], [resolution("metric.profit", 50.5)]).quantities().itertuples()
    assert row.label == "Acme profit 2025-2027 (USD bn)"
    assert (row.median, row.q05, row.q95) == pytest.approx((50.5, 5.95, 95.05))
    # mean |x - 50.5| over 1..100 is 25
    assert row.crps == pytest.approx(25 - PAIRS)
    assert row.pit == 0.5
    # profit can be negative (cost minus revenue): its density is taken as it is
    assert row.log_score == pytest.approx(log_score_draws(X, 50.5, positive=False))
    assert row.note == ""


def test_a_yearly_metric_in_a_year_scores_by_hand_on_the_log_scale_like_a_market() -> None:
    [row] = Scorecard([version()], [resolution("metric.rev@2026", 2.0)]).quantities().itertuples()
    assert row.label == "Acme revenue 2026 (USD bn)"
    # mean |x - 2| = (1 + 0 + 1 + 2 + ... + 98) / 100; one draw ties (counts half)
    assert row.crps == pytest.approx((1 + 98 * 99 / 2) / N - PAIRS)
    assert row.pit == pytest.approx(1.5 / N)
    # a revenue is positive on every draw: log scale, as a market size is scored
    ls = log_score_draws(X, 2.0, positive=True)
    assert ls is not None and row.log_score == pytest.approx(ls)
    assert ls != pytest.approx(log_score_draws(X, 2.0, positive=False))


def test_a_negative_actual_of_a_metric_that_can_be_negative_is_scored() -> None:
    [row] = Scorecard([version()], [resolution("metric.profit", -3.0)]).quantities().itertuples()
    assert row.crps == pytest.approx(50.5 + 3 - PAIRS)
    assert row.pit == 0.0


@pytest.mark.parametrize(
    ("statement", "value", "warning"),
    [
        (
            "metric.rev@2026",
            50.5e9,
            "r.csv:2: value: 5.05e+10 is about 1e+09 times the median forecast of metric.rev@2026 "
            "(50.5 USD bn, version v1): it looks like USD, not USD bn: 5.05e+10 USD is 50.5 USD bn",
        ),
        (
            "metric.profit",
            50500.0,
            "r.csv:2: value: 50500 is about 1000 times the median forecast of metric.profit "
            "(50.5 USD bn, version v1): it looks like USD m, not USD bn: 50500 USD m is 50.5 USD bn",
        ),
    ],
)
def test_a_value_a_power_of_1000_off_warns_in_the_metric_unit(
    statement: str, value: float, warning: str
) -> None:
    card = Scorecard([version()], [resolution(statement, value)])
    assert card.unit_warnings() == [warning]
    assert "(a unit mistake?)" in card.quantities()["note"].iloc[0]
    assert Scorecard([version()], [resolution(statement, 60.0)]).unit_warnings() == []


def test_a_metric_target_is_scored_on_a_real_forecast_as_numpy_recomputes_it(
    seed_forecast: Any, tmp_path: Path
) -> None:
    """Through ``Scorecard.load``: the draws are the forecast's own ``metric_value``."""
    from forecast.analysis.sensitivity import parse_target

    p = tmp_path / "r.csv"
    p.write_text("id,value,date\nmetric.devtools_npv,1000,2026-06-30\n")
    [row] = Scorecard.load([seed_forecast], p).quantities().itertuples()
    x = np.sort(parse_target(seed_forecast.scenario, "metric.devtools_npv").of(seed_forecast).astype(float))
    n = x.size
    # sum over ordered pairs |xi - xj| = 2 sum_i x_(i) (2i - n - 1), i = 1..n
    pairs = 2 * np.sum(x * (2 * np.arange(1, n + 1) - n - 1))
    assert row.crps == pytest.approx(np.mean(np.abs(x - 1000)) - pairs / (2 * n * (n - 1)), rel=1e-9)
    assert row.pit == np.mean(x < 1000)
    assert math.isfinite(row.log_score)


# --- refusals -------------------------------------------------------------------------

SEED = forecast.bundled("deepseek")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "metric.devtools_npx,900,2026-01-02",
            "id: no metric with id 'devtools_npx'; did you mean 'devtools_npv'? (got 'metric.devtools_npx')",
        ),
        (
            "metric.devtools_revenue_m@2031,900,2026-01-02",
            "id: year 2031 is outside the simulated years 2024-2028 (got 'metric.devtools_revenue_m@2031')",
        ),
        (
            "metric.devtools_revenue_m,900,2026-01-02",
            "id: metric 'devtools_revenue_m' is a yearly series: give the year, "
            "metric.devtools_revenue_m@YEAR (2024-2028) (got 'metric.devtools_revenue_m')",
        ),
        (
            "metric.devtools_npv@2027,900,2026-01-02",
            "id: metric 'devtools_npv' is one number per draw: write it without @2027 "
            "(got 'metric.devtools_npv@2027')",
        ),
        (
            "metric.devtools_npv,lots,2026-01-02",
            "value: must be a number for an observed quantity (got 'lots')",
        ),
        (
            "metric.devtools_npv,900,2024-06-01",
            "date: is before the as_of 2025-01-01 of the first version that forecast it (got '2024-06-01')",
        ),
    ],
)
def test_a_bad_metric_actual_exits_2_naming_file_and_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, message: str
) -> None:
    from forecast.cli import main

    path = tmp_path / "r.csv"
    path.write_text(f"id,value,date\n{row}\n", encoding="utf-8")
    for command in ("score", "history"):
        out = tmp_path / command
        assert main([command, str(SEED), "--resolutions", str(path), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert f"{path}:2: {message}" in err, err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


@pytest.mark.parametrize("statement", ["metric.devtools_npv", "metric.devtools_revenue_m@2026"])
def test_a_duplicate_metric_actual_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str
) -> None:
    from forecast.cli import main

    path = tmp_path / "r.csv"
    path.write_text(f"id,value,date\n{statement},900,2026-01-02\n{statement},901,2026-01-03\n")
    out = tmp_path / "o"
    assert main(["score", str(SEED), "--resolutions", str(path), "--out", str(out), "--quiet"]) == 2
    assert (
        f"{path}:3: id: duplicate resolution (first at {path}:2) (got {statement!r})"
        in capsys.readouterr().err
    )
    assert not out.exists()


def test_the_readme_csv_of_resolutions_reads_and_checks_against_the_seed(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("In the CSV form the same rows read:\n\n```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "resolutions.csv"
    path.write_text(block, encoding="utf-8")
    rs = res.check_against(res.read(path), [forecast.load(SEED)])
    assert [r.statement for r in rs][-2:] == ["metric.devtools_revenue_m@2025", "metric.devtools_npv"]


def test_score_and_history_take_a_metric_actual_and_warn_of_a_unit_mistake(
    seed_forecast: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end on the seed: the NPV typed in USD k (1000 times its USD m median) is
    scored as given, with a ``warning:`` naming the unit it looks like; a yearly metric's
    actual in its year is scored without one; ``history`` accepts both."""
    import pandas as pd

    from forecast.analysis.sensitivity import parse_target
    from forecast.cli import main

    npv = float(np.median(parse_target(seed_forecast.scenario, "metric.devtools_npv").of(seed_forecast)))
    path = tmp_path / "r.csv"
    path.write_text(
        f"id,value,date\nmetric.devtools_npv,{1000 * npv:.0f},2026-06-30\n"
        "metric.devtools_revenue_m@2025,400,2026-03-31\n",
        encoding="utf-8",
    )
    out = tmp_path / "scores"
    assert main(["score", str(SEED), "--resolutions", str(path), "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}:2: value: " in err and "it looks like USD k, not USD m" in err, err
    assert err.count("warning:") == 1
    q = pd.read_csv(out / "quantity_scores.csv", keep_default_na=False)
    assert q["statement"].tolist() == ["metric.devtools_npv", "metric.devtools_revenue_m@2025"]
    assert q["note"].tolist() == [
        # 1000 times the median: the kernel density of the draws is 0 there
        "log score not defined: the draws have no density here; "
        "the observed value looks like USD k, not USD m (a unit mistake?)",
        "",
    ]
    assert (q["crps"] > 0).all() and q["pit"].tolist()[0] == 1.0
    assert (
        main(["history", str(SEED), "--resolutions", str(path), "--out", str(tmp_path / "h"), "--quiet"]) == 0
    )
