"""Exceedance curves and the report's curve and correlation blocks (issue 27).

``P(X > x)`` is checked against the closed form of a lognormal market (size median
10, sigma 0.2, a point CAGR, no shocks: the 2026 size is exactly lognormal with median
10 x 1.1^2) within 4 Monte Carlo standard errors, ``sqrt(p (1 - p) / n)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import forecast
from forecast.errors import ScenarioError
from forecast.scenario import Scenario
from forecast.scenario.distributions import shifted

N = 20_000


def scenario(**extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "id": "exceed",
        "title": "Exceedance",
        "as_of": "2025-01-01",
        "simulation": {"end_year": 2026},
        "markets": [
            {
                "id": "m",
                "label": "M",
                "unit": "bn",
                "base_year": 2024,
                "cagr": 0.1,
                "size": {"median": 10.0, "sigma": 0.2},
            },
            {
                "id": "k",
                "label": "K",
                "unit": "bn",
                "base_year": 2024,
                "cagr": 0.1,
                "size": {"dist": "pert", "low": 1.0, "mode": 2.0, "high": 4.0},
            },
        ],
    }
    data.update(extra)
    return Scenario.from_dict(data)


@pytest.fixture(scope="module")
def fc() -> forecast.Forecast:
    return forecast.simulate(scenario(), draws=N, seed=4)


def test_exceedance_matches_the_closed_form(fc: forecast.Forecast) -> None:
    df = fc.exceedance("market.m@2026", points=41)
    assert list(df.columns) == ["target", "x", "probability", "mcse"]
    exact = stats.lognorm(0.2, scale=10 * 1.1**2).sf(df["x"].to_numpy())
    p = df["probability"].to_numpy()
    assert np.all(np.abs(p - exact) < 4 * np.sqrt(exact * (1 - exact) / N) + 3 / N)
    assert np.all(np.diff(p) <= 0) and np.all(df["mcse"] > 0)
    # the grid spans the 0.5th to 99.5th percentiles
    assert math.isclose(p[0], 0.995, abs_tol=1 / N) and math.isclose(p[-1], 0.005, abs_tol=1 / N)


def test_exceedance_takes_any_target_and_refuses_unknown_ones(fc: forecast.Forecast) -> None:
    assert fc.exceedance("total@2026")["target"].iloc[0] == "total@2026"
    with pytest.raises(ScenarioError, match="no market 'zz'"):
        fc.exceedance("market.zz@2026")


def test_the_report_draws_the_total_curve_and_the_pairs_table(tmp_path: Path) -> None:
    pairs = [{"a": "markets.m.size", "b": "markets.k.size", "rank": 0.5}]
    fc = forecast.simulate(scenario(correlation={"pairs": pairs}), draws=4000, seed=1)
    fc.write_report(tmp_path / "r")
    md = (tmp_path / "r" / "report.md").read_text()
    assert "### Exceedance: Total market 2026 (bn)" in md
    assert (tmp_path / "r" / "figures" / "exceedance_total_2026.png").is_file()
    assert "### Correlated inputs" in md
    row = next(line for line in md.splitlines() if line.startswith("| markets.m.size | markets.k.size"))
    cells = [c.strip() for c in row.split("|")]
    achieved, two_se = (float(v) for v in cells[5].split(" ± "))
    assert cells[3] == "0.500" and abs(achieved - 0.5) < 2 * two_se
    # every form's median and 90% interval in the inputs table
    assert "| markets.k.size | K, size in 2024 | pert, median 2.127, 90% in \\[1.328, 3.14\\] bn" in md


def test_a_what_if_moves_a_table_form_and_keeps_its_spread() -> None:
    form = {"dist": "pert", "low": 1.0, "mode": 2.0, "high": 4.0}
    assert shifted(form, 0.5) == {"dist": "pert", "low": 1.5, "mode": 2.5, "high": 4.5}
    mix = {
        "dist": "mixture",
        "components": [{"value": 0.0}, {"dist": "uniform", "low": 5.0, "high": 15.0}],
        "weights": [0.3, 0.7],
    }
    assert shifted(mix, 1.0)["components"] == [{"value": 1.0}, {"dist": "uniform", "low": 6.0, "high": 16.0}]  # type: ignore[index]
    assert shifted({"dist": "samples", "file": "x.csv", "column": "c"}, 1.0) is None
    from forecast.commands.serve.whatif import controls, to_override

    s = forecast.load(Path(__file__).parents[2] / "scenarios" / "gpu-cloud.toml")
    c = next(c for c in controls(s) if c.key == "markets.training_compute.size")
    moved = to_override(c, 30.0)
    s2 = s.with_overrides({c.key: moved})
    assert abs(float(s2.market("training_compute").size.canonical("positive").quantile(0.5)) - 30.0) < 1e-6
