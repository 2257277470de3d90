"""The what-if page's and the terminal's sentences on every branch, written out whole.

The page: a signpost's line (open, observed true, observed false), the decision's
verdict (a clear choice, a close call; each criterion's words), the stated odds' sum
(100%, not 100%, within rounding). The terminal: compare's decision line (with a unit
or none; a close call or not). Small stand-ins; no simulation, no browser.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from forecast.commands.compare import decision_line
from forecast.commands.serve.tables import _verdict, signpost_words, sum_line


@pytest.mark.parametrize(
    ("observed", "words"),
    [
        (None, " (not observed; P(true) now 30.0%)"),
        # observed: p_true is the chance before the observation, and of what was seen
        (True, " (observed true; before it was observed, P(true) was 30.0%)"),
        (False, " (observed false; before it was observed, P(false) was 70.0%)"),
    ],
)
def test_a_signposts_line_on_the_page_says_its_state_and_the_chance_of_it(observed: Any, words: str) -> None:
    assert signpost_words(observed, 0.3) == words


def _decision(criterion: str = "expected", too_close: bool = False) -> Any:
    return SimpleNamespace(
        table=pd.DataFrame({"option": ["build", "wait"], "label": ["Build now", "Wait a year"]}),
        criterion=criterion,
        chosen="wait" if criterion == "p05" else "build",
        too_close=too_close,
        differences=pd.DataFrame([{"option": "build", "versus": "wait", "difference": 0.44, "mcse": 0.3149}]),
    )


@pytest.mark.parametrize(
    ("criterion", "too_close", "text"),
    [
        ("expected", False, "By expected payoff: Build now"),
        ("p05", False, "By 5th percentile: Wait a year"),
        (
            "expected",
            True,
            "By expected payoff: Build now; too close to call at these draws (Build now minus Wait a year: "
            "0.440 ± 0.31, within 2 Monte Carlo errors)",
        ),
    ],
)
def test_the_pages_verdict_names_the_chosen_option_and_a_close_call_whole(
    criterion: str, too_close: bool, text: str
) -> None:
    assert _verdict(_decision(criterion, too_close)) == text


@pytest.mark.parametrize(
    ("total", "line"),
    [
        (1.0, "Stated probabilities sum to 100%"),
        (1 + 5e-7, "Stated probabilities sum to 100%"),
        (0.95, "Stated probabilities sum to 95% (must be 100%)"),
        (1.05, "Stated probabilities sum to 105% (must be 100%)"),
    ],
)
def test_the_stated_odds_sum_is_flagged_only_when_it_is_not_100_percent(total: float, line: str) -> None:
    assert sum_line(total) == line


ROW = {"scenario": "slow", "criterion": "expected", "label": "Build now", "expected_payoff": 12.34}


@pytest.mark.parametrize(
    ("unit", "too_close", "line"),
    [
        ("USD m", False, "Decision in slow (expected): Build now, expected payoff 12.3 ± 0.456 USD m"),
        ("USD m", True, "Decision in slow (expected): Build now, expected payoff 12.3 ± 0.456 USD m, too close to call"),
        ("", False, "Decision in slow (expected): Build now, expected payoff 12.3 ± 0.456"),
        # no unit and a close call: no space before the comma
        ("", True, "Decision in slow (expected): Build now, expected payoff 12.3 ± 0.456, too close to call"),
    ],
)  # fmt: skip
def test_compares_decision_line_quotes_the_expected_payoff_its_error_and_a_close_call(
    unit: str, too_close: bool, line: str
) -> None:
    assert decision_line(ROW | {"unit": unit, "too_close": too_close, "expected_payoff_mcse": 0.456}) == line
