"""``forecast validate`` on bad scenario files: one test per class of bad input.

Each test checks the exit code (2), the key path and wording of the message, and
that validating wrote nothing.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import forecast
import forecast.scenario.textfile
from forecast.cli import main
from tests.conftest import VALID_TOML, edit, snapshot

Writer = Callable[..., Path]


@pytest.fixture
def reject(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., list[str]]:
    """Run ``forecast validate`` expecting failure; return the problem lines."""

    def _reject(*paths: str | Path) -> list[str]:
        before = snapshot(workdir)
        status = main(["validate", *map(str, paths)])
        out, err = capsys.readouterr()
        assert status == 2, err
        assert out == ""
        assert "Traceback" not in err
        assert snapshot(workdir) == before, "validate must not write anything"
        lines = err.splitlines()
        assert lines
        return lines

    return _reject


def problems_of(text: str, write: Writer, reject: Callable[..., list[str]]) -> list[str]:
    """Problems of a scenario text, with the ``path: `` prefix checked and removed."""
    path = write(text)
    lines = reject(path)
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in lines), lines
    return [line.removeprefix(prefix) for line in lines]


def test_the_base_file_is_valid(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    # every test below is one edit away from this file, so it had better be valid
    path = write(VALID_TOML)
    assert main(["validate", str(path)]) == 0
    # the file's point CAGR and point share among uncertain inputs are listed, not refused,
    # and so is the volatility the file leaves out (read as 0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"ok: {path}"
    assert sorted(lines[1:]) == sorted(
        [
            f"note: {path}: markets.gadgets.cagr: cagr of gadgets is a point: its trend growth has no uncertainty",
            f"note: {path}: positions.acme_widgets.path[0].share: share of acme_widgets on 2025-01-01 is a point: "
            "it has no uncertainty",
            f"note: {path}: markets.gadgets.volatility: not stated, so 0: gadgets has no yearly shocks",
        ]
    )


# --- reading the file -------------------------------------------------------------


def test_toml_syntax_error_gives_line_and_column(write: Writer, reject: Callable[..., list[str]]) -> None:
    text = edit(VALID_TOML, 'label = "Widgets"', 'label = "Widgets')
    line_no = text.splitlines().index('label = "Widgets') + 1
    [problem] = problems_of(text, write, reject)
    assert problem.startswith("TOML syntax error: ")
    found = re.search(r"line (\d+), column (\d+)", problem)
    assert found, problem
    assert int(found[1]) == line_no


def test_missing_file(workdir: Path, reject: Callable[..., list[str]]) -> None:
    assert reject("nowhere.toml") == ["nowhere.toml: file not found"]


@pytest.mark.parametrize("content", ["", "   \n\n\t\n"], ids=["zero-bytes", "whitespace"])
def test_empty_file(content: str, write: Writer, reject: Callable[..., list[str]]) -> None:
    path = write(content)
    assert reject(path) == [f"{path}: file is empty"]


def test_unreadable_directory(workdir: Path, reject: Callable[..., list[str]]) -> None:
    (workdir / "folder.toml").mkdir()
    assert reject("folder.toml") == ["folder.toml: is a directory, not a scenario file"]


def test_unreadable_symlink_loop(workdir: Path, reject: Callable[..., list[str]]) -> None:
    # fails with ELOOP even for root, unlike a chmod 000 file
    os.symlink("loop.toml", workdir / "loop.toml")
    [problem] = reject("loop.toml")
    assert problem.startswith("loop.toml: cannot be read: ")
    assert "symbolic links" in problem


def test_unreadable_path_through_a_file(write: Writer, reject: Callable[..., list[str]]) -> None:
    write("id = 'x'\n", name="plain.toml")
    [problem] = reject("plain.toml/child.toml")
    assert problem == "plain.toml/child.toml: cannot be read: Not a directory"


def test_unreadable_permissions(
    write: Writer, reject: Callable[..., list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the user may not read. As root (CI runs as root) chmod 000 stops nothing,
    so the operating system's answer is simulated: ``os.open`` raises EACCES for it."""
    path = write(VALID_TOML)
    path.chmod(0)
    try:
        try:
            path.read_bytes()
        except PermissionError:
            pass
        else:
            real_open = os.open

            def denied(file: Any, *args: Any, **kwargs: Any) -> Any:
                if Path(file).resolve() == path.resolve():
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
                return real_open(file, *args, **kwargs)

            monkeypatch.setattr(forecast.scenario.textfile.os, "open", denied)
        [problem] = reject(path)
        assert problem == f"{path}: cannot be read: Permission denied"
    finally:
        monkeypatch.undo()
        path.chmod(0o644)


def test_file_too_large(
    write: Writer, reject: Callable[..., list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forecast.scenario.textfile, "MAX_FILE_BYTES", 2**20)
    path = write("# padding\n" * 2**17)
    assert reject(path) == [f"{path}: is larger than 1 MiB: not a scenario file"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_ends_with_a_message(reject: Callable[..., list[str]]) -> None:
    assert reject("/dev/zero") == ["/dev/zero: is not a regular file (a device)"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_not_waited_on(workdir: Path) -> None:
    """``validate`` and ``run`` on a FIFO with no writer hung forever; in a subprocess,
    so that a regression fails on the timeout instead of hanging the suite."""
    import subprocess
    import sys

    fifo = workdir / "pipe.toml"
    os.mkfifo(fifo)
    for command in (["validate", str(fifo)], ["run", str(fifo), "--out", "out"]):
        code = f"import sys; from forecast.cli import main; sys.exit(main({command!r}))"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == f"{fifo}: is not a regular file (a named pipe)"
    assert sorted(p.name for p in workdir.iterdir()) == ["pipe.toml"]


def test_non_utf8_file(write: Writer, reject: Callable[..., list[str]]) -> None:
    path = write('id = "café"\n'.encode("latin-1"))
    [problem] = reject(path)
    assert problem == rf"{path}: is not UTF-8 text (byte 9: b'\xe9')"


def test_utf8_byte_order_mark_is_accepted(write: Writer, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(b"\xef\xbb\xbf" + VALID_TOML.encode())
    assert main(["validate", str(path)]) == 0


# --- schema problems -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'title = "Acme widgets"',
            'title = "Acme widgets"\ndescriptoin = ""',
            "descriptoin: unknown key; did you mean 'description'?",
        ),
        ("base_year = 2024\nsize = { median", "base_yaer = 2024\nsize = { median", None),
        (
            "size = { low = 1.0, high = 2.0 }",
            "size = { lwo = 1.0, high = 2.0 }",
            "markets.gadgets.size.lwo: unknown key; did you mean 'low'?",
        ),
        (
            "horizon_years = 3",
            "horizon_years = 3\nhorizon = 3",
            "assessment.horizon: unknown key; did you mean 'horizon_years'?",
        ),
    ],
    ids=["top-level", "market", "quantity", "assessment"],
)
def test_unknown_key_with_did_you_mean(
    old: str, new: str, expected: str | None, write: Writer, reject: Callable[..., list[str]]
) -> None:
    problems = problems_of(edit(VALID_TOML, old, new), write, reject)
    if expected is None:  # renaming a required key also makes it missing
        assert problems == [
            "markets.widgets.base_year: is required",
            "markets.widgets.base_yaer: unknown key; did you mean 'base_year'?",
        ]
    else:
        assert problems == [expected]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "base_year = 2024\nsize = { median",
            'base_year = "2024"\nsize = { median',
            "markets.widgets.base_year: input should be a valid integer (got '2024')",
        ),
        ('label = "Widgets"', "label = 5", "markets.widgets.label: input should be a valid string (got 5)"),
        (
            "draws = 1000",
            "draws = 1e3",
            "simulation.draws: must be a whole number, written 1000 (got 1000.0)",
        ),
        (
            "draws = 1000",
            "draws = 2e5",
            "simulation.draws: must be a whole number, written 200_000 (got 200000.0)",
        ),
        ("draws = 1000", "draws = 1000.5", "simulation.draws: input should be a valid integer (got 1000.5)"),
        ("cagr = 0.3", "cagr = true", "markets.gadgets.cagr: must be a number or a table: "),
        ("cagr = 0.3", 'cagr = "thirty"', "markets.gadgets.cagr: must be a number or a table: "),
        (
            "threshold = 0.2",
            "threshold = [0.2]",
            "predictions.share_20.threshold: input should be a valid number",
        ),
        ("deadline = 2026-01-01", 'deadline = "soon"', "predictions.launch.deadline: must be a date like"),
        (
            '[[markets]]\nid = "widgets"',
            "[[markets]]\nid = 7",
            "markets[0].id: input should be a valid string",
        ),
    ],
    ids=[
        "int-as-string",
        "string-as-int",
        "int-as-float",
        "int-as-float-large",
        "int-as-fraction",
        "bool-quantity",
        "string-quantity",
        "list",
        "date",
        "id",
    ],
)
def test_wrong_types(
    old: str, new: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    [problem] = problems_of(edit(VALID_TOML, old, new), write, reject)
    assert problem.startswith(expected)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("size = { median = 10.0", "size = { median = nan", "markets.widgets.size.median"),
        ("cagr = 0.3", "cagr = nan", "markets.gadgets.cagr.value"),
        ("cagr = 0.3", "cagr = inf", "markets.gadgets.cagr.value"),
        (
            "size = { low = 1.0, high = 2.0 }",
            "size = { low = 1.0, high = +inf }",
            "markets.gadgets.size.high",
        ),
        ("size = { low = 1.0, high = 2.0 }", "size = { low = -inf, high = 2.0 }", "markets.gadgets.size.low"),
        ("threshold = 0.2", "threshold = nan", "predictions.share_20.threshold"),
        ("win = 0.7", "win = nan", "signposts.big_order.likelihood.win"),
        ("horizon_years = 3", "horizon_years = inf", "assessment.horizon_years"),
        (
            "log_odds_per_sd = 0.3",
            "log_odds_per_sd = -inf",
            "assessment.outcomes.win.drivers[0].log_odds_per_sd",
        ),
    ],
)
def test_nan_and_inf(old: str, new: str, key: str, write: Writer, reject: Callable[..., list[str]]) -> None:
    [problem] = problems_of(edit(VALID_TOML, old, new), write, reject)
    assert problem.startswith(f"{key}: must be a finite number (got ")
    assert re.search(r"\(got -?(nan|inf)\)$", problem)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("size = { low = 1.0, high = 2.0 }", "size = -5", "markets.gadgets.size: must be > 0 (got -5)"),
        ("size = { low = 1.0, high = 2.0 }", "size = 0", "markets.gadgets.size: must be > 0 (got 0)"),
        (
            "size = { low = 1.0, high = 2.0 }",
            "size = { low = -1.0, high = 2.0 }",
            "markets.gadgets.size: must be > 0 (got low=-1.0, high=2.0)",
        ),
        (
            "size = { median = 10.0, sigma = 0.1",
            "size = { median = 0.0, sigma = 0.1",
            "markets.widgets.size: median must be > 0 (got 0.0)",
        ),
        ("value = 1.9", "value = 0.0", "evidence[0].value: input should be greater than 0 (got 0.0)"),
    ],
    ids=["negative", "zero", "interval", "median", "evidence"],
)
def test_negative_or_zero_sizes(
    old: str, new: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, old, new), write, reject) == [expected]


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("cagr = -1.0", "must be > -1 (a market cannot shrink by 100% or more a year) (got -1.0)"),
        ("cagr = -1.5", "must be > -1 (a market cannot shrink by 100% or more a year) (got -1.5)"),
        ("cagr = { low = -1.2, high = 0.1 }", "must be > -1 (a rate above -100%) (got low=-1.2, high=0.1)"),
        ("cagr = { median = -1.0, sigma = 0.1 }", "median must be > -1 (a rate above -100%) (got -1.0)"),
    ],
)
def test_cagr_at_or_below_minus_100_percent(
    new: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, "cagr = 0.3", new), write, reject) == [
        f"markets.gadgets.cagr: {expected}"
    ]


def test_cagr_below_minus_100_percent_with_a_projection(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    # regression: the size/projection/CAGR agreement check took log1p of the median and
    # crashed (exit 1) instead of reporting the bad CAGR
    text = edit(
        VALID_TOML,
        "cagr = 0.3",
        "cagr = { median = -2.0, sigma = 0.1 }\nprojection = { year = 2027, value = 3.0 }",
    )
    assert problems_of(text, write, reject) == [
        "markets.gadgets.cagr: median must be > -1 (a rate above -100%) (got -2.0)"
    ]


@pytest.mark.parametrize(("p_lose", "total"), [("0.3", "0.9"), ("0.5", "1.1"), ("0.399", "0.999")])
def test_outcome_probabilities_must_sum_to_one(
    p_lose: str, total: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    text = edit(VALID_TOML, "probability = 0.4", f"probability = {p_lose}")
    assert problems_of(text, write, reject) == [
        f"assessment.outcomes: probabilities must sum to 1 (they sum to {total})"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "probability = 0.4",
            "probability = 1.4",
            # 0.6 + 1.4 = 2: the sum is reported too
            [
                "assessment.outcomes.lose.probability: must be between 0 and 1 (got 1.4)",
                "assessment.outcomes: probabilities must sum to 1 (they sum to 2)",
            ],
        ),
        (
            "win = 0.7, lose = 0.2",
            "win = 1.7, lose = 0.2",
            ["signposts.big_order.likelihood: likelihoods must be between 0 and 1 (got {'win': 1.7})"],
        ),
        (
            "win = 0.7, lose = 0.2",
            "win = 0.7, lose = -0.2",
            ["signposts.big_order.likelihood: likelihoods must be between 0 and 1 (got {'lose': -0.2})"],
        ),
        (
            "probability = { low = 0.3, high = 0.7 }",
            "probability = 1.2",
            ["predictions.launch.probability: must be between 0 and 1 (got 1.2)"],
        ),
        (
            "probability = { low = 0.3, high = 0.7 }",
            "probability = { low = 0.3, high = 1.7 }",
            ["predictions.launch.probability: must be between 0 and 1 (got low=0.3, high=1.7)"],
        ),
        (
            "win = 0.3, lose = 0.8",
            "win = -0.3, lose = 0.8",
            ["predictions.partner.probability_by_outcome.win: must be between 0 and 1 (got -0.3)"],
        ),
        (
            "share = 0.1",
            "share = 1.5",
            ["positions.acme_widgets.path[0].share: must be between 0 and 1 (got 1.5)"],
        ),
        (
            "common_factor = { low = 0.2, high = 0.6",
            "common_factor = { low = 0.2, high = 1.6",
            ["correlation.common_factor: must be between 0 and 1 (got low=0.2, high=1.6)"],
        ),
    ],
    ids=[
        "outcome",
        "likelihood-high",
        "likelihood-low",
        "event",
        "event-interval",
        "by-outcome",
        "share",
        "corr",
    ],
)
def test_probability_outside_unit_interval(
    old: str, new: str, expected: list[str], write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, old, new), write, reject) == expected


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("size = { low = 1.0, high = 2.0 }", "size = { low = 2.0, high = 1.0 }", "markets.gadgets.size"),
        ("size = { low = 1.0, high = 2.0 }", "size = { low = 2.0, high = 2.0 }", "markets.gadgets.size"),
        (
            "share = { low = 0.2, high = 0.3 }",
            "share = { low = 0.3, high = 0.2 }",
            "positions.acme_widgets.path[1].share",
        ),
        (
            "volatility = { low = 0.05, high = 0.2 }",
            "volatility = { low = 0.2, high = 0.05 }",
            "markets.widgets.volatility",
        ),
    ],
    ids=["reversed", "equal", "share", "volatility"],
)
def test_interval_low_not_below_high(
    old: str, new: str, key: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    [problem] = problems_of(edit(VALID_TOML, old, new), write, reject)
    assert re.fullmatch(rf"{re.escape(key)}: low must be < high \(got low=[\d.]+, high=[\d.]+\)", problem)


@pytest.mark.parametrize("year", [2024, 2020])
def test_projection_year_not_after_base_year(
    year: int, write: Writer, reject: Callable[..., list[str]]
) -> None:
    text = edit(VALID_TOML, "year = 2027", f"year = {year}")
    assert problems_of(text, write, reject) == [
        f"markets.widgets.projection.year: must be after base_year 2024 (got {year})"
    ]


def test_size_projection_and_cagr_disagree(write: Writer, reject: Callable[..., list[str]]) -> None:
    text = edit(VALID_TOML, "cagr = { median = 0.26", "cagr = { median = 0.40")
    [problem] = problems_of(text, write, reject)
    assert problem.startswith("markets.widgets.cagr: disagrees with size and projection: ")
    # 10 -> 20 in three years is 2^(1/3) - 1 = 26.0% a year
    assert "10 in 2024 to 20 in 2027 implies a CAGR of 26.0%, not 40.0%" in problem


def test_size_projection_and_cagr_within_tolerance_agree(
    write: Writer, capsys: pytest.CaptureFixture[str]
) -> None:
    # stated CAGRs are rounded; 26.5% against an implied 25.99% is the same statement
    path = write(edit(VALID_TOML, "cagr = { median = 0.26", "cagr = { median = 0.265"))
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'market = "widgets", log_odds_per_sd',
            'market = "gizmos", log_odds_per_sd',
            "assessment.outcomes.win.drivers[0].market: no market with id 'gizmos'",
        ),
        (
            'market = "widgets"\npath',
            'market = "widget"\npath',
            "positions.acme_widgets.market: no market with id 'widget'; did you mean 'widgets'?",
        ),
        (
            'outcome = "win"',
            'outcome = "wins"',
            "positions.acme_widgets.path[1].outcome: no outcome with id 'wins'; did you mean 'win'?",
        ),
        (
            'quantity = "share.acme_widgets"',
            'quantity = "share.acme_widget"',
            "predictions.share_20.quantity: no position with id 'acme_widget'; did you mean 'acme_widgets'?",
        ),
        (
            'quantity = "share.acme_widgets"',
            'quantity = "market.gadget"',
            "predictions.share_20.quantity: no market with id 'gadget'; did you mean 'gadgets'?",
        ),
        (
            'market = "gadgets"\nyear',
            'market = "gadget"\nyear',
            "evidence[0].market: no market with id 'gadget'; did you mean 'gadgets'?",
        ),
    ],
    ids=[
        "driver-market",
        "position-market",
        "path-outcome",
        "prediction-position",
        "prediction-market",
        "evidence",
    ],
)
def test_reference_to_nonexistent_id(
    old: str, new: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, old, new), write, reject) == [expected]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "likelihood = { win = 0.7, lose = 0.2 }",
            "likelihood = { win = 0.7, loose = 0.2 }",
            [
                "signposts.big_order.likelihood.loose: no outcome with id 'loose'; did you mean 'lose'?",
                "signposts.big_order.likelihood: needs a likelihood for every outcome; missing ['lose']",
            ],
        ),
        (
            "probability_by_outcome = { win = 0.3, lose = 0.8 }",
            "probability_by_outcome = { win = 0.3, lost = 0.8 }",
            [
                "predictions.partner.probability_by_outcome.lost: no outcome with id 'lost'; did you mean 'lose'?",
                "predictions.partner.probability_by_outcome: needs every outcome; missing ['lose']",
            ],
        ),
    ],
    ids=["signpost", "prediction"],
)
def test_outcome_keyed_tables_must_name_every_outcome(
    old: str, new: str, expected: list[str], write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, old, new), write, reject) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "\n[assessment]\n",
            '\n[[markets]]\nid = "widgets"\nlabel = "again"\nunit = "t"\nbase_year = 2024\nsize = 1\ncagr = 0.1\n\n[assessment]\n',
            "markets.widgets: duplicate id (got 'widgets')",
        ),
        ('id = "launch"', 'id = "share_20"', "predictions.share_20: duplicate id (got 'share_20')"),
        (
            "[[evidence]]",
            '[[signposts]]\nid = "big_order"\nstatement = "again"\nlikelihood = { win = 0.5, lose = 0.5 }\n\n[[evidence]]',
            "signposts.big_order: duplicate id (got 'big_order')",
        ),
        (
            "[[predictions]]",
            '[[positions]]\nid = "acme_widgets"\nlabel = "again"\nmarket = "gadgets"\npath = [{ at = 2025-01-01, share = 0.1 }]\n\n[[predictions]]',
            "positions.acme_widgets: duplicate id (got 'acme_widgets')",
        ),
    ],
    ids=["market", "prediction", "signpost", "position"],
)
def test_duplicate_ids(
    old: str, new: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, old, new), write, reject) == [expected]


def test_duplicate_outcome_ids(write: Writer, reject: Callable[..., list[str]]) -> None:
    problems = problems_of(edit(VALID_TOML, 'id = "lose"', 'id = "win"'), write, reject)
    assert problems[0] == "assessment.outcomes.win: duplicate id (got 'win')"
    # and what referred to the lost outcome is reported in the same run
    assert "positions.acme_widgets.path[2].outcome: no outcome with id 'lose'" in problems


def test_years_far_beyond_the_base_year(write: Writer, reject: Callable[..., list[str]]) -> None:
    # a typo'd year would otherwise ask the simulation for thousands of years
    text = edit(VALID_TOML, "year = 2025\nvalue = 1.9", "year = 20250\nvalue = 1.9")
    assert problems_of(text, write, reject) == [
        "evidence[0].year: is more than 100 years after the base year 2024 (got 20250)"
    ]


def test_evidence_after_simulation_end_year(write: Writer, reject: Callable[..., list[str]]) -> None:
    text = edit(VALID_TOML, "seed = 1", "seed = 1\nend_year = 2027")
    text = edit(text, "year = 2025\nvalue = 1.9", "year = 2028\nvalue = 1.9")
    assert problems_of(text, write, reject) == [
        "evidence[0].year: is after simulation.end_year 2027 (got 2028)"
    ]


def test_threshold_deadline_after_simulation_end_year(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    # 2026-07-01 reads the 2026 figure (a year's figure stands at mid-year)
    text = edit(VALID_TOML, "seed = 1", "seed = 1\nend_year = 2025")
    assert problems_of(text, write, reject) == [
        "predictions.share_20.deadline: is after simulation.end_year 2025 (got '2026-07-01')"
    ]


# --- extends ---------------------------------------------------------------------------


def test_extends_cycle(write: Writer, reject: Callable[..., list[str]]) -> None:
    a = write('extends = "b.toml"\n', name="a.toml")
    write('extends = "a.toml"\ntitle = "B"\n', name="b.toml")
    [problem] = reject(a)
    assert problem == f"{a}: extends: extends cycle: a.toml -> b.toml -> a.toml"


def test_extends_itself(write: Writer, reject: Callable[..., list[str]]) -> None:
    a = write('extends = "a.toml"\n', name="a.toml")
    assert reject(a) == [f"{a}: extends: extends cycle: a.toml -> a.toml"]


def test_extends_missing_parent(write: Writer, reject: Callable[..., list[str]]) -> None:
    child = write('extends = "base.toml"\ntitle = "child"\n', name="child.toml")
    assert reject(child) == [f"{child}: extends: parent scenario not found (got 'base.toml')"]


def test_extends_parent_with_a_syntax_error_names_the_parent(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    write("id = \n", name="base.toml")
    child = write('extends = "base.toml"\n', name="child.toml")
    [problem] = reject(child)
    assert problem.startswith(f"{child.parent / 'base.toml'}: TOML syntax error: ")


def test_extends_not_a_string(write: Writer, reject: Callable[..., list[str]]) -> None:
    child = write("extends = 5\n", name="child.toml")
    assert reject(child) == [f"{child}: extends: must be a file path (got 5)"]


# --- several problems -------------------------------------------------------------------


def test_several_schema_problems_are_reported_at_once(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    text = edit(VALID_TOML, 'title = "Acme widgets"', 'titel = "Acme widgets"')
    text = edit(text, "base_year = 2024\nsize = { median", 'base_year = "x"\nsize = { median')
    text = edit(text, "threshold = 0.2", "threshold = nan")
    problems = problems_of(text, write, reject)
    assert sorted(problems) == sorted(
        [
            "title: is required",
            "titel: unknown key; did you mean 'title'?",
            "markets.widgets.base_year: input should be a valid integer (got 'x')",
            "predictions.share_20.threshold: must be a finite number (got nan)",
        ]
    )


def test_several_semantic_problems_are_reported_at_once(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    text = edit(VALID_TOML, "probability = 0.4", "probability = 0.3")
    text = edit(text, "year = 2027", "year = 2023")
    text = edit(text, 'market = "widgets"\npath', 'market = "widget"\npath')
    text = edit(text, "size = { low = 1.0, high = 2.0 }", "size = -1")
    assert problems_of(text, write, reject) == [
        "markets.widgets.projection.year: must be after base_year 2024 (got 2023)",
        "markets.gadgets.size: must be > 0 (got -1)",
        "assessment.outcomes: probabilities must sum to 1 (they sum to 0.9)",
        "positions.acme_widgets.market: no market with id 'widget'; did you mean 'widgets'?",
    ]


def test_every_bad_file_is_reported_and_good_files_still_pass(
    write: Writer, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(VALID_TOML, name="good.toml")
    bad1 = write(edit(VALID_TOML, "probability = 0.4", "probability = 0.3"), name="bad1.toml")
    bad2 = write("", name="bad2.toml")
    before = snapshot(workdir)
    assert main(["validate", str(bad1), str(good), str(bad2)]) == 2
    out, err = capsys.readouterr()
    assert [line for line in out.splitlines() if not line.startswith("note: ")] == [f"ok: {good}"]
    assert err.splitlines() == [
        f"{bad1}: assessment.outcomes: probabilities must sum to 1 (they sum to 0.9)",
        f"{bad2}: file is empty",
    ]
    assert snapshot(workdir) == before


def test_uncertain_confidence_is_rejected(tmp_path, capsys):
    """The Dirichlet concentration already expresses the uncertainty of the stated odds;
    an interval on it would be silently reduced to its median."""
    from forecast.cli import main

    text = forecast_bundled_text().replace(
        "confidence = { value = 20,", "confidence = { low = 10, high = 30,"
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    assert "assessment.confidence: must be a single number" in capsys.readouterr().err


def forecast_bundled_text() -> str:
    import forecast

    return forecast.bundled("deepseek").read_text()


# --- cross-field checks no other test reached: each message, whole, from one edit ---


CHECK_CASES = [
    (
        "cagr = 0.3\n",
        "",
        "markets.gadgets: needs a cagr or a projection to grow from its base year",
    ),
    (
        "deadline = 2026-01-01\nprobability = { low = 0.3, high = 0.7 }",
        "deadline = 2026-01-01",
        "predictions.launch: give exactly one of: quantity (with op and threshold), probability, "
        "probability_by_outcome",
    ),
    (
        "cagr = { median = 0.26, sigma = 0.05",
        'cagr = { dist = "normal", mean = 0.26, sd = 0.05',
        "markets.widgets.cagr: takes a value, a 90% interval { low, high } or { median, sigma }; "
        "1 + CAGR is lognormal, so no dist (got 'normal')",
    ),
    (
        "projection = { year = 2027, value = 20.0",
        'projection = { year = 2027, dist = "normal", mean = 20.0, sd = 2.0',
        "markets.widgets.projection: is lognormal: give a value, { low, high } or { median, sigma } "
        "(got 'normal')",
    ),
    (
        "probability = 0.6",
        "probability = { low = 0.5, high = 0.7 }",
        "assessment.outcomes.win.probability: must be a single stated probability "
        "(the confidence sets its spread)",
    ),
    (
        'drivers = [{ market = "widgets"',
        'drivers = [{ market = "gadgets"',
        "assessment.outcomes.win.drivers[0].market: market 'gadgets' has no growth uncertainty "
        "to drive outcomes: give its cagr or its projection a spread (got a point cagr)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    CHECK_CASES,
    ids=[
        "no growth",
        "no prediction form",
        "cagr dist",
        "projection dist",
        "outcome interval",
        "point driver",
    ],
)
def test_one_edit_one_message(
    old: str, new: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    assert problems_of(edit(VALID_TOML, old, new), write, reject) == [expected]


@pytest.mark.parametrize(
    ("quantity", "threshold", "expected"),
    [
        # a share typed as a percent: ">= 20" could never come true (a silent 0)
        ("share.acme_widgets", "20", "a share must be between 0 and 1; did you mean 0.2 (20%)? (got 20)"),
        ("share.acme_widgets", "1.5", "a share must be between 0 and 1 (got 1.5)"),
        ("share.acme_widgets", "0", "a share must be between 0 and 1 (got 0)"),
        ("market.widgets", "-5", "must be > 0: a market size is always above it (got -5)"),
        ("revenue.acme_widgets", "0", "must be > 0: a revenue is always above it (got 0)"),
    ],
)
def test_a_threshold_no_draw_can_cross_is_refused(
    quantity: str, threshold: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    text = edit(VALID_TOML, 'quantity = "share.acme_widgets"', f'quantity = "{quantity}"')
    text = edit(text, "threshold = 0.2", f"threshold = {threshold}")
    assert problems_of(text, write, reject) == [f"predictions.share_20.threshold: {expected}"]


def test_a_schema_error_does_not_hide_the_other_problems(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    """A typo'd key, outcome probabilities summing to 0.99 and a deadline before as_of
    are three problems, reported at once (the schema error hid the other two)."""
    text = edit(VALID_TOML, "cagr = 0.3", 'cgar = "30%"')
    text = edit(text, "probability = 0.4", "probability = 0.39")
    text = edit(text, "deadline = 2026-01-01", "deadline = 2024-06-30")
    assert problems_of(text, write, reject) == [
        "markets.gadgets.cgar: unknown key; did you mean 'cagr'?",
        "assessment.outcomes: probabilities must sum to 1 (they sum to 0.99)",
        "predictions.launch.deadline: must be after as_of 2025-01-01 (got '2024-06-30')",
    ]


def test_problems_that_follow_from_a_schema_error_are_not_added(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    """What follows from the broken key is not a problem of its own: a bad op is not
    also 'a threshold prediction needs op', a market whose cagr is misspelt is not also
    'needs two of size, projection, cagr', nor 'no growth uncertainty' for a driver on it."""
    text = edit(VALID_TOML, 'op = ">="', 'op = ">"')
    text = edit(text, "confidence = 20", "confidence = 0.01")
    text = edit(text, "cagr = { median = 0.26, sigma = 0.05", "cagr_ = { median = 0.26, sigma = 0.05")
    assert problems_of(text, write, reject) == [
        "markets.widgets.cagr_: unknown key; did you mean 'cagr'?",
        "predictions.share_20.op: input should be '>=', '<=' or 'between' (got '>')",
        "assessment.confidence: must be at least 0.05 (a judgment worth less cannot be simulated: its "
        "outcome draws underflow to 0) (got 0.01)",
    ]


def test_an_outcome_too_small_to_simulate_is_refused(write: Writer, reject: Callable[..., list[str]]) -> None:
    """confidence x probability is the outcome's Dirichlet concentration: at 20 x 0.0009
    its draws underflow to exactly 0 in about 1 in 300,000 draws, and at 0.05 x 1e-6 in
    every draw, so a signpost seen only under it made every table NaN ('sig None.if_true')."""
    text = edit(VALID_TOML, "probability = 0.6", "probability = 0.9991")
    text = edit(text, "probability = 0.4", "probability = 0.0009")
    assert problems_of(text, write, reject) == [
        "assessment.outcomes.lose.probability: is too small to simulate at confidence 20: "
        "confidence x probability = 0.018 cases, and below 0.02 its draws come out exactly 0; "
        "raise either so that their product is at least 0.02 (got 0.0009)"
    ]
    assert main(["validate", str(write(edit(text, "confidence = 20", "confidence = 25")))]) == 0


def test_an_outcome_with_drivers_and_a_list_for_an_id_is_a_problem_not_a_crash(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    # the driver references were filled in before validation and hashed the id (exit 1)
    text = edit(VALID_TOML, 'id = "win"', 'id = ["win"]')
    problems = problems_of(text, write, reject)
    assert any(p.endswith("id: input should be a valid string (got ['win'])") for p in problems), problems


@pytest.mark.parametrize(
    ("likelihood", "expected"),
    [
        (
            "{ win = 1.0, lose = 1.0 }",
            "is 1 under every outcome: the signpost comes true whatever happens, so it cannot move the "
            "odds and 'observed false' is impossible; drop it or give the outcomes different likelihoods "
            "(got {'win': 1.0, 'lose': 1.0})",
        ),
        (
            '{ win = "0%", lose = 0 }',
            "is 0 under every outcome: the signpost never comes true, so it cannot move the odds and "
            "'observed true' is impossible; drop it or give the outcomes different likelihoods "
            "(got {'win': 0.0, 'lose': 0.0})",
        ),
    ],
)
def test_a_signpost_certain_either_way_is_refused(
    likelihood: str, expected: str, write: Writer, reject: Callable[..., list[str]]
) -> None:
    """Its 'if observed false' (or true) is 0/0: the run wrote NaN into signposts.csv and
    was refused only after simulating, as 'inputs beyond what can be computed'."""
    text = edit(VALID_TOML, "likelihood = { win = 0.7, lose = 0.2 }", f"likelihood = {likelihood}")
    assert problems_of(text, write, reject) == [f"signposts.big_order.likelihood: {expected}"]


def test_signposts_and_outcome_paths_need_an_assessment(
    write: Writer, reject: Callable[..., list[str]]
) -> None:
    start, end = VALID_TOML.index("[assessment]"), VALID_TOML.index("[[positions]]")
    problems = problems_of(VALID_TOML[:start] + VALID_TOML[end:], write, reject)
    assert problems == [
        "positions.acme_widgets.path[1].outcome: no outcome with id 'win'",
        "positions.acme_widgets.path[2].outcome: no outcome with id 'lose'",
        "predictions.partner.probability_by_outcome: needs an [assessment] with outcomes",
        "signposts.big_order: signposts need an [assessment] with outcomes",
    ]


def test_a_resolutions_file_is_named_as_such(reject: Callable[..., list[str]]) -> None:
    path = forecast.bundled("history/resolutions")
    assert reject(path) == [
        f"{path}: is a resolutions file, not a scenario: give it to forecast score --resolutions"
    ]


def test_a_date_without_its_zero_gets_the_date_hint(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('id = "x"\ntitle = "X"\nas_of = 2026-6-30\n', encoding="utf-8")
    with pytest.raises(forecast.ScenarioError) as info:
        forecast.load(path)
    assert "a date needs a two-digit month and day: 2026-06-30 (got 2026-6-30)" in str(info.value)
