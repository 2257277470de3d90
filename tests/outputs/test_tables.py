"""The CSV writer's refusal of NaN and infinite numbers names the row a reader can find."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.outputs.tables import non_finite


def test_a_nan_in_signposts_csv_is_named_by_signpost_kind_and_id() -> None:
    """The first two text columns of signposts.csv are the signpost and its (often
    empty) observed state: the row read 'sig None.if_true'."""
    df = pd.DataFrame(
        {
            "signpost": ["sig", "sig"],
            "observed": [None, None],
            "p_true": [0.0, 0.0],
            "kind": ["outcome", "outcome"],
            "id": ["exit", "stays"],
            "label": ["Exit", "Stays"],
            "if_true": [np.nan, 0.5],
        }
    )
    [problem] = non_finite("signposts.csv", df)
    assert problem.path == "sig outcome exit.if_true"


def test_market_rows_are_named_by_market_and_year() -> None:
    df = pd.DataFrame({"market": ["a", "a"], "year": [2024, 2025], "mean": [1.0, np.inf]})
    [problem] = non_finite("markets.csv", df)
    assert problem.path == "a 2025.mean"
