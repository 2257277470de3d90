"""The track-record reports' sentences on every branch, on small tables written by hand.

The history's and the scores' header line and the versions line (one version,
several), the score cards (one forecast, several; a log score refused or not; observed
quantities; the calibration card), the calibration section's words (one forecast, fewer
than 30, 30), and the pool report's sentences (analysts, weights, a prediction made by
one analyst or by some, inputs that differ or not, the markets' year). No simulation.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.outputs.history_report import _meta, versions_line
from forecast.outputs.pool_report import _parts
from forecast.outputs.score_report import _score_cards, calibration_words


def _versions(n: int) -> list[Any]:
    return [SimpleNamespace(as_of=dt.date(2026, 1 + i, 1)) for i in range(n)]


@pytest.mark.parametrize(
    ("n", "meta", "line"),
    [
        (1, "1 version, as of 2026-01-01", "1 version of scenario deepseek."),
        (3, "3 versions, 2026-01-01 to 2026-03-01", "3 versions of scenario deepseek, in as_of order."),
    ],
)
def test_the_header_and_the_versions_line_count_the_versions(n: int, meta: str, line: str) -> None:
    assert _meta(_versions(n)) == meta
    assert versions_line(_versions(n), "deepseek") == line


# --- scores ------------------------------------------------------------------------------


def _binary(briers: list[float], logs: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "brier": briers,
            "baseline_brier": [0.25] * len(briers),
            "log_score": logs,
            "baseline_log_score": [0.693] * len(briers),
        }
    )


CAL = SimpleNamespace(
    decomposition=pd.DataFrame(
        [{"score_name": "brier", "miscalibration": 0.0123, "p_value": 0.456, "discrimination": 0.0789}]
    )
)


def test_one_forecast_is_counted_in_the_singular_and_its_scores_quoted() -> None:
    cards = _score_cards(_binary([0.09], [0.105]), pd.DataFrame(), None)
    assert cards == [
        {"label": "Mean Brier score", "value": "0.0900", "detail": "baseline 0.250; 1 forecast"},
        {"label": "Mean log score", "value": "0.105", "detail": "baseline 0.693"},
    ]


def test_several_forecasts_their_means_a_refused_log_score_and_the_other_cards() -> None:
    quantities = pd.DataFrame({"pit": [0.2, 0.9, 0.5]})
    cards = _score_cards(_binary([0.09, 0.01, 0.5], [0.105, np.nan, 0.693]), quantities, CAL)
    # a log score refused (NaN) leaves its card out: a mean of the others would mislead
    assert cards == [
        {"label": "Mean Brier score", "value": "0.200", "detail": "baseline 0.250; 3 forecasts"},
        {"label": "Observed quantities", "value": "3 forecasts", "detail": "median PIT 0.50"},
        {
            "label": "Miscalibration (Brier)",
            "value": "0.0123",
            "detail": "p-value 0.46; discrimination 0.0789",
        },
    ]
    one = _score_cards(pd.DataFrame(), quantities.head(1), None)
    assert one == [{"label": "Observed quantities", "value": "1 forecast", "detail": "median PIT 0.20"}]


def _cal(counts: list[int]) -> Any:
    return SimpleNamespace(curve=pd.DataFrame({"n": counts}), level=0.9, share_inside=0.75, resamples=1000)


@pytest.mark.parametrize(
    ("counts", "n_words", "warning"),
    [
        ([1], "1 scored binary forecast", "WARNING: 1 forecast is few for a calibration diagram"),
        ([20, 9], "29 scored binary forecasts", "WARNING: 29 forecasts are few for a calibration diagram"),
        ([20, 10], "30 scored binary forecasts", None),
    ],
)
def test_the_calibration_words_count_the_forecasts_and_warn_below_30(
    counts: list[int], n_words: str, warning: str | None
) -> None:
    caption, text = calibration_words(_cal(counts))
    assert caption == (
        f"CORP: isotonic recalibration of {n_words}, with the 90% consistency band of calibrated forecasts."
    )
    assert text[0] == (
        f"{n_words} (75% of them on a part of the curve inside the band). MCB p-value: the probability "
        "that forecasts as calibrated as they claim show this much miscalibration (1000 resamples)."
    )
    if warning is None:
        assert len(text) == 1
    else:
        assert text[1] == (
            f"{warning}; read it as a sketch, and pool more statements (more scenarios, more versions) "
            "for a verdict."
        )


# --- pool ---------------------------------------------------------------------------------


def _pool(
    weight_source: str = "equal", made_by: tuple[int, ...] = (3, 3), differ: bool = True
) -> tuple[Any, dict]:
    names = ["ana", "ben", "cy"]
    pool = SimpleNamespace(
        names=names,
        forecasts=[SimpleNamespace(scenario=SimpleNamespace(id="deepseek"))],
        description="linear pool: the weighted mixture of the analysts' draws, for every quantity",
        weight_source=weight_source,
        notes=[],
        scores=None,
    )
    preds = pd.DataFrame(
        {"id": ["p1", "p2"], "statement": ["P1", "P2"], "probability": [0.3, 0.6], "mcse": [0.01, 0.01]}
    )
    dis = pd.DataFrame(
        [
            {"kind": "prediction", "id": pid, "analyst": a, "probability": 0.3, "pool": 0.3, "spread": 0.1,
             "sd": 0.05, "made_by": m}
            for pid, m in zip(["p1", "p2"], made_by, strict=True)
            for a in names[:m]
        ]
    )  # fmt: skip
    inputs = pd.DataFrame(
        {
            "label": ["CAGR"],
            "effect": [0.2],
            "first_order": [0.4],
            "between_share": [0.5],
            "analyst_means": ["x"],
        }
    )
    inputs = inputs if differ else inputs.head(0)
    inputs.attrs["target"] = "total@2030"
    markets = pd.DataFrame(
        {"market": ["m", "m"], "year": [2029, 2030], "q05": [1.0, 2.0], "q50": [2.0, 3.0], "q95": [3.0, 4.5]}
    )
    tables = {
        "outcomes": pd.DataFrame(),
        "analysts": pd.DataFrame({"analyst": names, "weight": [1 / 3] * 3}),
        "predictions": preds,
        "disagreement": dis,
        "disagreement_inputs": inputs,
        "markets": markets,
    }
    return pool, tables


def _texts(pool: Any, tables: dict) -> dict[str, list[str]]:
    return {p.heading: p.text for p in _parts(pool, tables)}


def test_the_pool_says_how_many_analysts_and_how_they_are_weighted() -> None:
    texts = _texts(*_pool("given"))
    first = texts["How the analysts were pooled"]
    assert first[:2] == [
        "3 analysts' files on 'deepseek', pooled as a linear pool: the weighted mixture of the analysts' "
        "draws, for every quantity.",
        "Weights: weights given with --weights.",
    ]
    assert _texts(*_pool("equal"))["How the analysts were pooled"][1] == "Weights: equal weights."
    # every analyst makes every prediction: nothing to say
    assert texts["Predictions"] == []


def test_a_prediction_made_by_some_analysts_or_by_one_says_whose_it_is() -> None:
    texts = _texts(*_pool(made_by=(2, 1)))
    assert texts["Predictions"] == [
        "'p1' is made by 2 of 3 analysts and pooled over them alone (their weights renormalised); its draws "
        "are not joint with the other predictions'.",
        "'p2' is made by 1 of 3 analysts and is that analyst's alone; its draws are not joint with the "
        "other predictions'.",
    ]


@pytest.mark.parametrize("differ", [True, False])
def test_the_inputs_part_says_when_no_input_differs_and_markets_are_read_in_the_last_year(
    differ: bool,
) -> None:
    texts = _texts(*_pool(differ=differ))
    words = texts["Inputs the analysts disagree on"]
    assert words[0].startswith("For the headline total@2030: ")
    assert words[1] == ("" if differ else "The analysts' inputs do not differ beyond Monte Carlo noise.")
    assert "Markets in 2030 (linear pool)" in texts


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "Only one version: nothing to compare it with."),
        (2, "The versions have the same inputs, evidence and signposts."),
    ],
)
def test_no_changes_between_versions_or_one_version_alone(n: int, text: str) -> None:
    from forecast.outputs.history_report import _change_blocks

    (block,) = _change_blocks(pd.DataFrame(), n)
    assert block.text == [text]


def test_each_change_is_listed_under_the_versions_it_is_between() -> None:
    from forecast.outputs.history_report import _change_blocks

    changes = pd.DataFrame(
        [
            {
                "version": "v2",
                "previous": "v1",
                "what": "input",
                "key": "a.cagr",
                "before": "0.3",
                "after": "",
            },
            {"version": "v3", "previous": "v2", "what": "evidence", "key": "e", "before": "", "after": "40%"},
        ]
    )
    blocks = _change_blocks(changes, 3)
    assert [b.title for b in blocks] == ["v1 → v2", "v2 → v3"]
    assert [b.tables[0].rows for b in blocks] == [
        [["input", "a.cagr", "0.3", "–"]],
        [["evidence", "e", "–", "40%"]],
    ]
