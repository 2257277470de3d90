"""The README's "What the numbers mean" says what the engine does: each stated number
or rule below is read back from the README and checked against the code that does it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_halfway_is_by_days_as_model_time_counts() -> None:
    from forecast.scenario.calendar import model_time

    assert "0.504 of the way" in README and "2025-01-01 is 2024.504" in README
    assert round(model_time(dt.date(2025, 1, 1)), 3) == 2024.504
    assert (dt.date(2025, 1, 1) - dt.date(2024, 7, 1)).days == 184


def test_before_the_first_point_and_after_the_last_the_share_is_held() -> None:
    from forecast.engine.data import _interp_weights

    assert "held, not extrapolated" in README and "reads that year's figure" in README
    w = _interp_weights(np.array([2024.0, 2025.25, 2027.0]), np.array([2024.5, 2026.0]))
    assert w.tolist() == [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]


def test_a_bare_resolution_id_is_the_prediction_statement() -> None:
    from forecast.analysis.resolutions import _statement

    assert "resolution id `x` (a bare prediction id) is the statement `prediction.x`" in README
    assert _statement("x") == ("prediction", "prediction.x")


@pytest.mark.parametrize("text", ["share × interpolated market", "float32", "six significant"])
def test_the_other_rules_are_written_down(text: str) -> None:
    assert text in README
