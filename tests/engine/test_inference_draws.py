"""Posterior draws are what was asked for, or the run says why not (issue 14)."""

from __future__ import annotations

import pytest

from forecast.engine.inference import CHAINS, MIN_DRAWS_PER_CHAIN, draws_note, draws_per_chain


@pytest.mark.parametrize("draws", [4000, 20_000, 200_000, 1_000_000])
def test_large_requests_are_honoured(draws: int) -> None:
    per_chain = draws_per_chain(draws)
    assert per_chain * CHAINS == draws  # no silent cap
    assert draws_note(draws, CHAINS, per_chain) == ""


def test_too_few_draws_are_raised_to_the_minimum_and_said() -> None:
    per_chain = draws_per_chain(2000)
    assert per_chain == MIN_DRAWS_PER_CHAIN
    note = draws_note(2000, CHAINS, per_chain)
    assert "4,000 posterior draws (2,000 requested)" in note and "ESS" in note


def test_uneven_requests_round_up_and_say_so() -> None:
    per_chain = draws_per_chain(20_001)
    assert per_chain * CHAINS >= 20_001 and (per_chain - 1) * CHAINS < 20_001
    assert "20,004 posterior draws (20,001 requested)" in draws_note(20_001, CHAINS, per_chain)
