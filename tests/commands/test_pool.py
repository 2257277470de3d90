"""``forecast pool``: the bundled team example end to end, and every refusal (exit 2, nothing written)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from forecast.analysis.results import MARKET_COLUMNS, OUTCOME_COLUMNS, PREDICTION_COLUMNS
from forecast.cli import main
from tests.conftest import SCENARIOS, VALID_TOML, edit

TEAM = sorted(str(p) for p in (SCENARIOS / "team").glob("*.toml"))
RESOLUTIONS = str(SCENARIOS / "team" / "resolutions.csv")
ARGS = ["--draws", "2000", "--quiet"]


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pool") / "team"
    assert (
        main(["pool", *TEAM, "--weights", "score", "--resolutions", RESOLUTIONS, "--out", str(out), *ARGS])
        == 0
    )
    return out


def test_the_bundled_team_has_three_analysts_of_one_subject() -> None:
    assert [Path(p).name for p in TEAM] == ["analyst-a.toml", "analyst-b.toml", "analyst-c.toml"]


def test_pool_writes_a_run_s_tables_and_its_own(pooled: Path) -> None:
    for name in (
        "report.html",
        "report.md",
        "report.xlsx",
        "forecast.nc",
        "manifest.json",
        "figures/analysts.png",
    ):
        assert (pooled / name).is_file(), name
    assert list(pd.read_csv(pooled / "markets.csv").columns) == MARKET_COLUMNS
    assert list(pd.read_csv(pooled / "outcomes.csv").columns) == OUTCOME_COLUMNS
    assert list(pd.read_csv(pooled / "predictions.csv").columns) == PREDICTION_COLUMNS
    weights = pd.read_csv(pooled / "analysts.csv")["weight"]
    assert weights.sum() == pytest.approx(1.0, abs=1e-5)
    scores = pd.read_csv(pooled / "scores.csv")
    inverse = 1 / scores["mean_brier"]
    assert scores["weight"].to_numpy() == pytest.approx((inverse / inverse.sum()).to_numpy(), abs=1e-5)
    manifest = json.loads((pooled / "manifest.json").read_text())
    assert manifest["kind"] == "pool" and manifest["weights"] == "score"


def test_forecast_nc_has_an_analyst_dimension(pooled: Path) -> None:
    tree = xr.open_datatree(pooled / "forecast.nc")
    assert tree["analysts"].sizes["analyst"] == 3
    assert "outcome_probability" in tree["pooled"].data_vars


def test_a_prediction_only_one_analyst_makes_is_said_so(pooled: Path) -> None:
    dis = pd.read_csv(pooled / "disagreement.csv")
    assert dis[dis["id"] == "open_weights_flagship"]["analyst"].tolist() == ["analyst-c"]
    assert "'open_weights_flagship' is made by 1 of 3 analysts" in (pooled / "report.md").read_text()


def test_same_files_and_seed_give_byte_identical_tables(pooled: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert (
        main(["pool", *TEAM, "--weights", "score", "--resolutions", RESOLUTIONS, "--out", str(out), *ARGS])
        == 0
    )
    for name in (
        "markets",
        "outcomes",
        "predictions",
        "analysts",
        "disagreement",
        "disagreement_inputs",
        "scores",
    ):
        assert (out / f"{name}.csv").read_bytes() == (pooled / f"{name}.csv").read_bytes(), name


def test_log_pool_says_so_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "log"
    assert main(["pool", *TEAM, "--method", "log", "--extremize", "1.5", "--out", str(out), *ARGS]) == 0
    text = (out / "report.md").read_text()
    assert "logarithmic pool" in text and "odds to the power 1.5" in text and "stay a linear pool" in text


# --- refusals: exit 2, nothing written -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "extra", "message"),
    [
        (lambda t: edit(t, 'id = "acme"', 'id = "other"'), [], "id: is 'other' here"),
        (
            lambda t: (
                t.replace('"lose"', '"draw"').replace("lose =", "draw =").replace('= "lose"', '= "draw"')
            ),
            [],
            "assessment.outcomes: are win, draw",
        ),
        (lambda t: edit(t, 'unit = "USD bn"', 'unit = "USD m"'), [], "markets.widgets.unit: is 'USD m'"),
        (lambda t: t, ["--weights", "a=0.5,b=0.4"], "must sum to 1"),
        (lambda t: t, ["--weights", "a=0.5,c=0.5"], "names no file"),
        (lambda t: t, ["--method", "log", "--extremize", "-1"], "--extremize: must be a positive number"),
        (lambda t: t, ["--extremize", "2"], "applies to the log pool only"),
        (lambda t: t, ["--weights", "score"], "needs --resolutions"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(
    write: Callable[..., Path],
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[str], str],
    extra: list[str],
    message: str,
) -> None:
    a = write(VALID_TOML, "a.toml")
    b = write(change(VALID_TOML), "b.toml")
    out = workdir / "out"
    assert main(["pool", str(a), str(b), "--out", str(out), "--quiet", *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_one_file_is_refused(write: Callable[..., Path], workdir: Path) -> None:
    a = write(VALID_TOML, "a.toml")
    assert main(["pool", str(a), "--out", str(workdir / "out"), "--quiet"]) == 2
    assert not (workdir / "out").exists()


@pytest.mark.parametrize("name", ["analyst-b", "analyst-c"])
def test_every_number_a_colleague_changes_is_a_marked_illustrative_assumption(name: str) -> None:
    from forecast.scenario import load
    from tests.scenario.test_scenarios import is_assumption, numbers, quantities

    parent = quantities(load(SCENARIOS / "deepseek.toml").raw)
    child = quantities(load(SCENARIOS / "team" / f"{name}.toml").raw)
    changed = {p: q for p, q in child.items() if p not in parent or numbers(parent[p]) != numbers(q)}
    assert changed and all(is_assumption(q) and "illustrative" in q["source"] for q in changed.values())


def test_the_pooled_probabilities_errors_read_as_the_other_reports() -> None:
    """A pooled probability's Monte Carlo error in percentage points, and the rule-of-three
    bound where every draw agreed, as every other report writes it (it was a percentage:
    '0.344%' for 0.34 pp, '0.0150%' for the bound)."""
    from forecast.outputs.pool_report import _probabilities

    df = pd.DataFrame(
        {"id": ["a", "b"], "statement": ["A", "B"], "probability": [0.4, 0.0], "mcse": [0.003444, 0.00015]}
    )
    out = _probabilities(df, "id", "statement")
    assert list(out["probability"]) == ["40.0%", "0%"]
    assert list(out["mcse"]) == ["0.34 pp", "< 3/n = 0.015 pp"]
