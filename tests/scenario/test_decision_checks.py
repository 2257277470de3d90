"""``[[options]]`` and ``[decision]``: each bad input is a Problem with its key path,
all at once, through ``forecast validate`` (exit 2, nothing written)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import forecast
from forecast.cli import main
from forecast.scenario.decision import is_money
from tests.conftest import VALID_TOML, snapshot

Writer = Callable[..., Path]

DECISION = """
[decision]
label = "Build or partner"
criterion = "expected"
unit = "USD m"

[[options]]
id = "build"
label = "Build our own"
payoff = "npv(revenue.acme_widgets * 100 - 5, 0.1, 2025)"
source = "assumption: illustrative"

[[options]]
id = "partner"
label = "Partner"
payoff = "at(revenue.acme_widgets, 2027) * 40"
source = "assumption: illustrative"
"""


def _problems(text: str, write: Writer, capsys: pytest.CaptureFixture[str], workdir: Path) -> list[str]:
    path = write(text)
    before = snapshot(workdir)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and snapshot(workdir) == before
    return err.splitlines()


def test_a_decision_with_two_options_is_valid(write: Writer) -> None:
    s = forecast.load(write(VALID_TOML + DECISION))
    assert [o.id for o in s.options] == ["build", "partner"]
    assert s.decision is not None and s.decision.criterion == "expected" and s.decision.unit == "USD m"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'criterion = "expected"',
            'criterion = "expectd"',
            "decision.criterion: unknown criterion; did you mean 'expected'?",
        ),
        ('unit = "USD m"', 'unit = "share"', "decision.unit: is not a money unit"),
        ('id = "partner"', 'id = "build"', "options.build: duplicate id"),
        ('unit = "USD m"\n', "", "decision.unit: give the money unit the payoffs are in"),
    ],
)
def test_each_bad_decision_is_a_problem_with_its_key_path(
    old: str, new: str, expected: str, write: Writer, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    text = VALID_TOML + DECISION.replace(old, new, 1)
    assert any(expected in line for line in _problems(text, write, capsys, workdir))


def test_a_decision_with_one_option(write: Writer, capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    one = DECISION[: DECISION.index('[[options]]\nid = "partner"')]
    lines = _problems(VALID_TOML + one, write, capsys, workdir)
    assert any("options: a decision needs at least two options to choose between (got 1)" in x for x in lines)


def test_a_decision_without_options(write: Writer, capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    lines = _problems(VALID_TOML + DECISION[: DECISION.index("[[options]]")], write, capsys, workdir)
    assert any("decision: has no [[options]] to choose between" in x for x in lines)


def test_all_problems_at_once_with_a_plan(
    write: Writer, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    text = VALID_TOML + DECISION.replace('criterion = "expected"', 'criterion = "best"').replace(
        'id = "partner"', 'id = "build"'
    )
    text += '\n[[decision.plans]]\nmarket = "widget"\nyear = 2026\nrel_error = 0.1\n'
    lines = _problems(text, write, capsys, workdir)
    assert sum("decision.criterion" in x for x in lines) == 1
    assert sum("options.build: duplicate id" in x for x in lines) == 1
    assert (
        sum(
            "decision.plans[0].market: no market with id 'widget'; did you mean 'widgets'?" in x
            for x in lines
        )
        == 1
    )


def test_an_unknown_key_in_an_option_is_refused(
    write: Writer, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    lines = _problems(VALID_TOML + DECISION.replace("source =", "sorce =", 1), write, capsys, workdir)
    assert any("options" in x and "unknown key" in x for x in lines)


def test_a_payoff_that_is_not_one_number_in_money_is_a_problem(write: Writer) -> None:
    # the formula language infers each payoff's unit and shape
    text = DECISION.replace('"at(revenue.acme_widgets, 2027) * 40"', '"at(share.acme_widgets, 2027)"')
    text = text.replace('"npv(revenue.acme_widgets * 100 - 5, 0.1, 2025)"', '"revenue.acme_widgets"')
    with pytest.raises(forecast.ScenarioError) as info:
        forecast.load(write(VALID_TOML + text))
    messages = [str(p) for p in info.value.problems]
    assert any("options.partner.payoff: is in 'share', not money" in m for m in messages), messages
    assert any("options.build.payoff: must be one number per draw" in m for m in messages), messages


def test_money_units() -> None:
    assert all(is_money(u) for u in ("USD bn", "usd m", "EUR", "$bn", "£ million", "CNY bn"))
    assert not any(is_money(u) for u in ("share", "users", "USD per user", "", None, "bn"))
