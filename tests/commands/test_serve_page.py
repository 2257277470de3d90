"""What the what-if page shows, at the level of the page's server functions (no browser):
percents as the file writes them, named inputs and metric targets, the decision table
and how it follows a what-if, and a pool of analysts' files (issues 25, 26, 29, 32).

Known answers, not snapshots: each table the page renders is compared with what the
Python API gives for the same scenario and seed (the same simulation, so equal).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import forecast
from forecast.commands.serve import tables, whatif
from forecast.commands.serve.view import View, compute
from tests.conftest import SCENARIOS, VALID_TOML, edit

TEAM = sorted(SCENARIOS.glob("team/*.toml"))
CAGR = "markets.developer_tools.cagr"


def _attr(html: str, ident: str, name: str) -> float:
    """The number in attribute ``data-<name>`` of the element with id ``ident``."""
    m = re.search(rf'<[^>]*id="{re.escape(ident)}"[^>]*>', html)
    assert m, f"no element {ident}"
    value = re.search(rf'data-{name}="([^"]+)"', m[0])
    assert value, f"{ident} has no data-{name}"
    return float(value[1])


@pytest.fixture(scope="module")
def seed() -> forecast.Scenario:
    return forecast.load(forecast.bundled("deepseek"))


# --- issue 25: percents as the file writes them -------------------------------------


def test_fractions_show_as_percents_as_the_file_writes_them(seed: forecast.Scenario) -> None:
    cs = {c.key: c for c in whatif.controls(seed)}
    cagr = cs[CAGR]
    assert whatif.as_file(cagr, 0.1958) == "19.58%"
    assert whatif.change_note(cagr, 0.3) == "30%, was 47%"
    assert whatif.change_line(cagr, 0.3) == "47% → 30%"
    acquired = cs["assessment.outcomes.acquired.probability"]
    assert whatif.change_line(acquired, 0.2917) == "35% → 29.17%"
    assert whatif.as_file(cs["inputs.discount_rate"], 0.1) == "10%"
    assert whatif.as_file(cs["correlation.common_factor"], 0.7) == "70%"
    # a size, draws and a signpost are not fractions: shown as they are written
    size = cs["markets.developer_tools.size"]
    assert whatif.change_line(size, 3.0) == f"{size.value:g} → 3"
    assert whatif.change_note(size, 3.0) == f"changed, was {size.value:g}"
    assert whatif.change_line(cs["simulation.draws"], 5000) == "20000 → 5000"
    assert (
        whatif.change_line(cs["signposts.next_model_release.observed"], True)
        == "not observed → observed true"
    )
    assert tables.sum_line(1.0) == "Stated probabilities sum to 100%"
    assert tables.sum_line(1.8) == "Stated probabilities sum to 180% (must be 100%)"


def test_a_typed_percent_is_quoted_as_typed_on_every_fraction_field(seed: forecast.Scenario) -> None:
    """39 typed in a CAGR, probability or share field: the message quotes 39 and the percent
    it meant, never the numbers the page made from it."""
    cs = whatif.controls(seed)
    for key in (CAGR, "inputs.discount_rate", "correlation.common_factor"):
        with pytest.raises(forecast.ScenarioError) as e:
            seed.with_overrides(whatif.overrides_for(cs, {key: 39}), origin="page")
        by_key, rest = whatif.place_problems(e.value.problems, cs, typed={key: 39})
        text = " ".join(by_key[key] + rest)
        assert re.search(r"you typed 39;|\(got 39\)", text) and "did you mean 0.39" in text, text
        assert "low" not in text and "high" not in text and "median" not in text, text


def test_the_page_tables_show_percents_not_fractions(seed: forecast.Scenario) -> None:
    v = compute(seed, {})
    for what in ("outcome_table", "prediction_table", "signpost_table"):
        html = str(getattr(tables, what)(v))
        shown = re.sub(r"<[^>]+>|data-[a-z-]+=\"[^\"]*\"", " ", html)
        assert re.search(r"\d%", shown), what
        assert not re.search(r"(?<![\d.])0\.\d{2,}(?![\d%]| pp)", shown), (what, shown)


# --- issue 26: named inputs and metric targets on the page ---------------------------


def test_inputs_and_metric_targets_work_on_the_page(tmp_path: Path) -> None:
    path = tmp_path / "metric-targets.toml"
    path.write_text(
        f'extends = "{(SCENARIOS / "deepseek.toml").as_posix()}"\n'
        + "".join(
            f'\n[[predictions]]\nid = "{i}"\nstatement = "{i}"\ndeadline = {d}\n'
            f'source = "assumption: a test target"\nquantity = "{q}"\nop = ">="\nthreshold = {t}\n'
            for i, d, q, t in [
                ("npv_above_4bn", "2028-01-01", "metric.devtools_npv", 4000),
                ("revenue_2027", "2027-01-01", "metric.devtools_revenue_m@2027", 1500),
            ]
        ),
        encoding="utf-8",
    )
    s = forecast.load(path)
    cs = whatif.controls(s)
    assert "inputs.discount_rate" in [c.key for c in cs]
    v = compute(s, {})
    api = forecast.simulate(s).predictions().set_index("id")
    html = str(tables.prediction_table(v))
    for pid in ("npv_above_4bn", "revenue_2027"):
        assert _attr(html, f"pred-{pid}", "p") == float(api.loc[pid, "probability"])
    metrics = str(tables.metric_table(v))
    assert "Present value (start of 2025)" in metrics and "USD m" in metrics
    # a higher discount rate typed on the page lowers the NPV and its prediction, not the revenue
    over = whatif.overrides_for(cs, {"inputs.discount_rate": 0.3})
    v2 = compute(s.with_overrides(over, origin="page"), over)
    html2 = str(tables.prediction_table(v2))
    assert _attr(html2, "pred-npv_above_4bn", "p") < _attr(html, "pred-npv_above_4bn", "p")
    assert _attr(html2, "pred-revenue_2027", "p") == _attr(html, "pred-revenue_2027", "p")
    m1, m2 = str(tables.metric_table(v)), str(tables.metric_table(v2))
    assert _attr(m2, "metric-devtools_npv", "q50") < _attr(m1, "metric-devtools_npv", "q50")


def test_a_scenario_without_metrics_or_options_shows_neither(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(VALID_TOML, encoding="utf-8")
    v = compute(forecast.load(path), {})
    assert tables.metric_table(v) is None and tables.decision_table(v) is None


# --- issue 29: the decision table, updated by a what-if -----------------------------


@pytest.fixture(scope="module")
def decision_view() -> View:
    return compute(forecast.load(forecast.bundled("deepseek-decision")), {})


def test_the_page_shows_the_decision_table(decision_view: View) -> None:
    d = forecast.simulate(decision_view.scenario).decision()
    html = str(tables.decision_table(decision_view))
    for r in d.table.itertuples():
        assert r.label in html
        assert _attr(html, f"decision-{r.option}", "expected") == r.expected
        assert _attr(html, f"decision-{r.option}", "mcse") == r.expected_mcse
        assert _attr(html, f"decision-{r.option}", "p-best") == r.p_best
        for criterion in str(r.picked_by).split(";") if r.picked_by else []:
            assert re.search(
                rf'id="decision-{r.option}".*?{re.escape(tables.CRITERION_TEXT[criterion])}', html, re.S
            )
    assert f"± {d.table.expected_mcse.iloc[0]:.2g}" in html  # expected payoff ± its MC error
    assert "USD bn" in html and "How to source the models" in html
    assert d.too_close and "too close to call at these draws" in html
    chosen = d.table.set_index("option").loc[d.chosen, "label"]
    assert re.search(rf'id="decision-chosen"[^>]*>[^<]*{re.escape(chosen)}', html)


def test_the_decision_table_follows_a_what_if(decision_view: View) -> None:
    """A slower developer-tools market typed on the page: the table is that of the
    scenario with the change (same seed, so equal), and differs from the file's."""
    cs = whatif.controls(decision_view.scenario)
    over = whatif.overrides_for(cs, {CAGR: 0.2})
    after = decision_view.scenario.with_overrides(over, origin="page")
    v2 = compute(after, over)
    d2 = forecast.simulate(after).decision()
    html1, html2 = str(tables.decision_table(decision_view)), str(tables.decision_table(v2))
    for r in d2.table.itertuples():
        assert _attr(html2, f"decision-{r.option}", "expected") == r.expected
        assert _attr(html2, f"decision-{r.option}", "expected") != _attr(
            html1, f"decision-{r.option}", "expected"
        )


def test_a_clear_winner_is_not_too_close_to_call(decision_view: View) -> None:
    from forecast.analysis.decision import Payoffs, decide

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4000)) + np.array([[1.0], [0.0], [-1.0]])
    ids = tuple(o.id for o in decision_view.scenario.options)
    clear = dataclasses.replace(decision_view, decision=decide(Payoffs(x, ids, unit="USD bn")))
    html = str(tables.decision_table(clear))
    assert "too close to call" not in html
    assert re.search(rf'id="decision-chosen"[^>]*>[^<]*{ids[0]}', html)


# --- issue 32: a pool of analysts' files ----------------------------------------------


def test_serve_refuses_files_of_different_subjects(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from forecast.cli import main

    a = write(VALID_TOML, "a.toml")
    b = write(edit(VALID_TOML, 'id = "acme"', 'id = "other"'), "b.toml")
    assert main(["serve", str(a), str(b), "--port", "0"]) == 2
    assert "id: is 'other' here" in capsys.readouterr().err
    assert main(["serve", str(a), str(a), "--weights", "a=0.5,c=0.5", "--port", "0"]) == 2
    assert "names no file" in capsys.readouterr().err


def test_the_page_shows_a_pool_of_analysts() -> None:
    from forecast.commands.pool import PoolOptions
    from forecast.commands.serve.pool_page import compute_pool, create_pool_app, pool_ui

    opts = PoolOptions(TEAM, draws=2000)
    v = compute_pool(opts)
    api = forecast.pool(TEAM, draws=2000)
    assert v.pool is not None
    html = str(tables.analyst_table(v))
    for name in api.names:
        assert name in html
    outcomes = str(tables.outcome_table(v))
    for r in api.outcomes().itertuples():
        assert _attr(outcomes, f"odds-{r.outcome}", "p") == r.probability
    spread = str(tables.disagreement_table(v))
    from forecast.analysis.pool_tables import disagreement

    for r in disagreement(api).query("kind == 'outcome'").itertuples():
        assert _attr(spread, f"analyst-{r.id}-{r.analyst}", "p") == r.probability
    page = str(pool_ui(v))  # the whole page, as the browser gets it
    assert "Where the analysts disagree" in page and "what-if" in page
    assert 'id="analysts"' in page and 'id="disagreement"' in page and 'id="markets"' in page
    assert create_pool_app(v) is not None
    # the log pool, as forecast pool --method log gives it
    log = compute_pool(PoolOptions(TEAM, draws=2000, method="log"))
    api_log = forecast.pool(TEAM, draws=2000, method="log").outcomes()
    html_log = str(tables.outcome_table(log))
    for r in api_log.itertuples():
        assert _attr(html_log, f"odds-{r.outcome}", "p") == r.probability


def test_docstring_examples() -> None:
    import doctest

    result = doctest.testmod(tables, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_a_problem_quoting_the_typed_value_keeps_validates_words() -> None:
    """A problem whose ``got`` is the typed value reads as validate prints it, whether
    the value was passed positionally or with ``with_value``."""
    from forecast.errors import Problem

    c = whatif.Control("assessment.outcomes.a.probability", "g", "l", "number", 0.4, domain="unit")
    for p in (
        Problem("page", c.key, "must be between 0 and 1", 1.2),
        Problem.with_value("page", c.key, "x", 1.2),
        Problem("page", c.key, "must be between 0 and 1 (got 1.2)"),  # as with_overrides words it
    ):
        assert whatif.place_problems([p], [c], typed={c.key: 1.2})[0] == {c.key: [whatif.problem_text(p)]}
