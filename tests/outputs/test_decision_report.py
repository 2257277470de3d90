"""The Decision section, its CSV files, workbook sheets and summary sentence, on the
bundled ``deepseek-decision`` scenario with its payoffs computed here in numpy (the
payoff formulas are compiled by the formula language once it is merged; ``_payoffs``
is their reference: the compiled payoffs must equal it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.analysis.decision import with_payoffs

openpyxl = pytest.importorskip("openpyxl")


def _payoffs(fc: Any) -> np.ndarray:
    """The three payoff formulas of scenarios/deepseek-decision.toml, in numpy."""
    s = fc.scenario
    years = [int(y) for y in s.years]
    dev = fc.values("market_size")[:, [m.id for m in s.markets].index("developer_tools"), :]

    def total(a: int, b: int) -> np.ndarray:
        return np.asarray(dev[:, years.index(a) : years.index(b) + 1].sum(axis=1))

    struggling = (fc.values("realized_outcome") == s.outcome_ids.index("struggling")).astype(float)
    return np.stack(
        [
            0.02 * total(2025, 2028) * (1 - 0.7 * struggling) - 0.15,
            0.02 * total(2026, 2028) * (1 - 0.2 * struggling) - 0.15,
            0.014 * total(2025, 2028) - 0.10,
        ]
    )


@pytest.fixture(scope="module")
def decision_forecast() -> Any:
    fc = forecast.simulate(forecast.load(forecast.bundled("deepseek-decision")), draws=4000, seed=2)
    return with_payoffs(fc, _payoffs(fc))


@pytest.fixture(scope="module")
def decision_report(decision_forecast: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("decision") / "report"
    decision_forecast.write_report(out, figures=False)
    return out


def test_the_decision_files_have_one_row_per_item_and_an_error_beside_every_mean(
    decision_report: Path,
) -> None:
    table = pd.read_csv(decision_report / "decision.csv")
    assert list(table["option"]) == ["license_now", "wait_for_release", "western_api"]
    for column in ("expected", "p_loss", "cvar05", "regret", "p_best"):
        assert f"{column}_mcse" in table.columns
    assert table["p_best"].sum() == pytest.approx(1.0, abs=1e-5)
    voi = pd.read_csv(decision_report / "voi.csv")
    assert {"everything", "outcome", "signpost.next_model_release", "plan.developer_tools@2026"} <= set(
        voi["item"]
    )
    assert voi["mcse"].notna().all()
    discovery = pd.read_csv(decision_report / "discovery.csv")
    assert {"density_mcse", "coverage_mcse", "conditions"} <= set(discovery.columns)
    assert (decision_report / "decision_by_outcome.csv").is_file()


def test_the_report_has_a_decision_section_and_a_summary_sentence(decision_report: Path) -> None:
    md = (decision_report / "report.md").read_text(encoding="utf-8")
    assert re.search(r"^## \d+\. Decision$", md, re.MULTILINE)
    assert "Value of information" in md and "What must be true" in md
    assert "waiting for “DeepSeek's next major model release" in md
    assert "knowing the outcome outright" in md
    html = (decision_report / "report.html").read_text(encoding="utf-8")
    assert "table-decision" in html


def test_the_workbook_has_the_decision_sheets(decision_report: Path) -> None:
    wb = openpyxl.load_workbook(decision_report / "report.xlsx")
    assert {"Decision", "Value of information", "Discovery"} <= set(wb.sheetnames)


def test_the_bundled_decision_is_reported_from_its_own_payoff_formulas(tmp_path: Path) -> None:
    fc = forecast.simulate(forecast.load(forecast.bundled("deepseek-decision")), draws=500, seed=2)
    fc.write_report(tmp_path / "r", figures=False, workbook=False)
    table = pd.read_csv(tmp_path / "r" / "decision.csv")
    assert list(table["option"]) == ["license_now", "wait_for_release", "western_api"]
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "No decision table" not in md and "Decision" in md
