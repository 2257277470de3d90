"""Every branch of every summary sentence, on small tables written by hand.

Each test gives :func:`executive_summary` a table or two of round numbers and checks
the whole sentence, worked out here: which row it names (the most likely, the
furthest, the one that moves the odds most, the first of a tie) and each number it
quotes, formatted as the report formats it (3 significant figures, ``± x pp``, the
rule-of-three bound when every draw agreed). No simulation: a scenario is a stand-in
with the few attributes the sentences read.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecast.outputs.narrative import Sentence, executive_summary

EMPTY = pd.DataFrame()


def scenario(
    outcomes: tuple[tuple[str, str], ...] = (),
    predictions: tuple[tuple[str, str], ...] = (),
    signposts: tuple[tuple[str, str], ...] = (),
    positions: tuple[tuple[str, str], ...] = (),
) -> Any:
    """A stand-in scenario: outcomes and positions (id, label), predictions (id,
    judged), signposts (id, statement)."""
    found = {pid: SimpleNamespace(id=pid, label=label) for pid, label in positions}
    return SimpleNamespace(
        assessment=SimpleNamespace(outcomes=[SimpleNamespace(id=i, label=x) for i, x in outcomes])
        if outcomes
        else None,
        predictions=[SimpleNamespace(id=i, judged=j) for i, j in predictions],
        signposts=[SimpleNamespace(id=i, statement=x) for i, x in signposts],
        position=found.__getitem__,
    )


def summary(s: Any = None, *, conditioned: bool = False, **tables: Any) -> dict[str, str]:
    frames = {
        k: tables.get(k, EMPTY) for k in ("outcomes", "by_outcome", "growth", "predictions", "signposts")
    }
    out = executive_summary(
        s or scenario(), year=2027, conditioned=conditioned, sensitivity=tables.get("sensitivity"), **frames
    )
    assert all(isinstance(x, Sentence) for x in out)
    return {x.key: x.text for x in out}


# --- the most likely outcome --------------------------------------------------------


def _outcomes(*rows: tuple[str, float, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"label": a, "probability": p, "q05": lo, "q95": hi, "stated": st} for a, p, lo, hi, st in rows]
    )


def test_the_outcome_sentence_names_the_most_likely_and_the_next() -> None:
    o = _outcomes(
        ("Acquired", 0.25, 0.1, 0.4, 0.3), ("Independent", 0.5, 0.3, 0.7, 0.45), ("Gone", 0.25, 0, 0.5, 0.25)
    )
    assert summary(outcomes=o)["outcome"] == (
        "The most likely outcome is Independent: 50.0% (90% interval 30.0%–70.0%; stated 45.0%), "
        "ahead of Acquired at 25.0%."
    )


def test_a_tie_names_the_outcomes_in_the_order_the_scenario_gives_them() -> None:
    o = _outcomes(
        ("First", 0.4, 0.2, 0.6, 0.4), ("Second", 0.4, 0.2, 0.6, 0.4), ("Third", 0.2, 0.1, 0.3, 0.2)
    )
    assert summary(outcomes=o)["outcome"].startswith("The most likely outcome is First: 40.0%")
    assert summary(outcomes=o)["outcome"].endswith(", ahead of Second at 40.0%.")


def test_one_outcome_has_nothing_to_be_ahead_of_and_evidence_is_said() -> None:
    o = _outcomes(("Only", 1.0, 1.0, 1.0, 1.0))
    assert summary(outcomes=o, conditioned=True)["outcome"] == (
        "After the evidence, the most likely outcome is Only: 100% (90% interval 100%–100%; stated 100%)."
    )


# --- a company's share under each outcome --------------------------------------------


def _by_outcome(rows: list[tuple[str, str, int, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"market": m, "outcome": o, "year": y, "q05": a, "q50": b, "q95": c} for m, o, y, a, b, c in rows]
    )


def test_the_company_sentence_gives_a_share_under_each_outcome_in_the_headline_year() -> None:
    s = scenario(outcomes=(("up", "Up"), ("down", "Down")), positions=(("acme", "Acme"),))
    by = _by_outcome(
        [
            ("share.acme", "up", 2026, 0.01, 0.02, 0.03),  # another year: not quoted
            ("share.acme", "up", 2027, 0.1, 0.2, 0.3),
            ("share.acme", "down", 2027, 0.01, 0.05, 0.09),
            ("share.other", "up", 2027, 0.5, 0.6, 0.7),  # another company: not quoted
        ]
    )
    assert summary(s, by_outcome=by)["company"] == (
        "Acme in 2027 depends on the outcome: a median share of 20.0% (10.0%–30.0%) if Up and "
        "5.00% (1.00%–9.00%) if Down (90% intervals); a single blended median would match none of these paths."
    )


def test_three_outcomes_are_joined_with_commas_and_an_unknown_label_shows_its_id() -> None:
    s = scenario(outcomes=(("a", "A"), ("b", "B")), positions=(("acme", "Acme"),))
    by = _by_outcome([("share.acme", o, 2027, 0.1, 0.2, 0.3) for o in ("a", "b", "c")])
    text = summary(s, by_outcome=by)["company"]
    assert "20.0% (10.0%–30.0%) if A, 20.0% (10.0%–30.0%) if B and 20.0% (10.0%–30.0%) if c (90%" in text


def test_no_share_in_the_headline_year_means_no_company_sentence() -> None:
    s = scenario(outcomes=(("a", "A"),), positions=(("acme", "Acme"),))
    by = _by_outcome([("share.acme", "a", 2026, 0.1, 0.2, 0.3)])
    assert "company" not in summary(s, by_outcome=by)


# --- growth --------------------------------------------------------------------------


def _growth(*rows: tuple[str, str, float, float, float, float], to_year: int = 2027) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"market": m, "label": lab, "from_year": 2024, "to_year": to_year, "stated": st}
            | {"q05": a, "q50": b, "q95": c}
            for m, lab, st, a, b, c in rows
        ]
    )


def test_the_total_grows_and_the_market_furthest_from_its_stated_cagr_is_named() -> None:
    g = _growth(
        ("total", "Total", 0.2, 0.1, 0.2, 0.3),
        ("a", "Alpha", 0.2, 0.1, 0.25, 0.3),  # 5 pp above its stated CAGR
        ("b", "Beta", 0.3, 0.1, 0.22, 0.3),  # 8 pp below: the furthest
    )
    assert summary(growth=g)["growth"] == (
        "The total market grows a median 20.0% a year from 2024 to 2027 (90% interval 10.0%–30.0%), "
        "against 20.0% stated; of the markets, Beta is furthest from its stated CAGR: a median 22.0% "
        "(10.0%–30.0%) against 30.0%."
    )


def test_a_total_with_one_market_names_no_furthest_market() -> None:
    g = _growth(("total", "Total", 0.2, 0.1, 0.2, 0.3), ("a", "Alpha", 0.1, 0.1, 0.25, 0.3))
    assert summary(growth=g)["growth"] == (
        "The total market grows a median 20.0% a year from 2024 to 2027 (90% interval 10.0%–30.0%), "
        "against 20.0% stated."
    )


def test_a_cagr_of_exactly_zero_neither_grows_negatively_nor_shrinks() -> None:
    g = _growth(("total", "Total", 0.0, -0.05, 0.0, 0.05))
    assert summary(growth=g)["growth"] == (
        "The total market grows a median 0% a year from 2024 to 2027 (90% interval -5.00% to 5.00%), "
        "against 0% stated."
    )


def test_a_shrinking_total_says_shrinks() -> None:
    g = _growth(("total", "Total", -0.01, -0.05, -0.02, 0.01))
    assert summary(growth=g)["growth"] == (
        "The total market shrinks a median 2.00% a year from 2024 to 2027 (a CAGR of -2.00%, 90% "
        "interval -5.00% to 1.00%), against -1.00% stated."
    )


def test_growth_to_another_year_than_the_headline_is_not_quoted() -> None:
    assert "growth" not in summary(growth=_growth(("total", "Total", 0.2, 0.1, 0.2, 0.3), to_year=2026))


# --- predictions ---------------------------------------------------------------------


def _predictions(*rows: tuple[str, str, float, float, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"id": i, "statement": t, "probability": p, "mcse": e, "deadline": d} for i, t, p, e, d in rows]
    )


def test_the_most_and_least_likely_predictions_with_their_errors() -> None:
    s = scenario(predictions=(("p1", "by"), ("p2", "at"), ("p3", "by")))
    p = _predictions(
        ("p1", "Revenue doubles", 0.3, 0.004, "2026-12-31"),
        ("p2", "Listed", 0.6, 0.005, "2027-06-30"),
        ("p3", "Acquired", 0.1, 0.003, "2027-12-31"),
    )
    assert summary(s, predictions=p)["predictions"] == (
        "Of the 3 dated predictions, the most likely to come true is “Listed”: 60.0% on 2027-06-30 "
        "(± 0.50 pp); the least likely is “Acquired”: 10.0% by 2027-12-31 (± 0.30 pp)."
    )


def test_predictions_every_draw_agrees_on_quote_the_rule_of_three_bound() -> None:
    s = scenario(predictions=(("p1", "by"), ("p2", "by")))
    p = _predictions(("p1", "Sure", 1.0, 0.00015, "2026-01-01"), ("p2", "Never", 0.0, 0.00015, "2026-01-01"))
    assert summary(s, predictions=p)["predictions"] == (
        "Of the 2 dated predictions, the most likely to come true is “Sure”: 100% by 2026-01-01 "
        "(< 3/n = 0.015 pp); the least likely is “Never”: 0% by 2026-01-01 (< 3/n = 0.015 pp)."
    )


def test_tied_predictions_name_the_first_as_most_and_the_last_as_least_likely() -> None:
    s = scenario(predictions=(("p1", "by"), ("p2", "by")))
    p = _predictions(("p1", "One", 0.5, 0.004, "2026-01-01"), ("p2", "Two", 0.5, 0.004, "2026-01-01"))
    text = summary(s, predictions=p)["predictions"]
    assert "most likely to come true is “One”" in text and "least likely is “Two”" in text


def test_one_prediction_is_the_one_dated_prediction() -> None:
    s = scenario(predictions=(("p1", "at"),))
    p = _predictions(("p1", "Listed", 0.25, 0.0043, "2027-06-30"))
    assert summary(s, predictions=p)["predictions"] == (
        "The one dated prediction, “Listed”, comes true on 2027-06-30 with probability 25.0% "
        "(± 0.43 pp Monte Carlo error)."
    )


# --- signposts -----------------------------------------------------------------------


def _signposts(*rows: dict[str, Any]) -> pd.DataFrame:
    base = {"kind": "outcome", "observed": None, "mcse_true": 0.001, "mcse_false": 0.002}
    return pd.DataFrame([base | r for r in rows])


SIGNPOSTS = scenario(signposts=(("s1", "A release ships"), ("s2", "A rival folds")))


def test_the_open_signpost_that_moves_the_odds_most_either_way() -> None:
    sp = _signposts(
        {"signpost": "s1", "label": "Up", "now": 0.4, "if_true": 0.5, "if_false": 0.3, "without": 0.4},
        {"signpost": "s2", "label": "Up", "now": 0.4, "if_true": 0.45, "if_false": 0.1, "without": 0.4},
        # a prediction moves more, but the sentence is about outcomes
        {
            "signpost": "s1",
            "label": "P",
            "now": 0.4,
            "if_true": 1,
            "if_false": 0,
            "without": 0.4,
            "kind": "prediction",
        },
    )
    assert summary(SIGNPOSTS, signposts=sp)["signpost"] == (
        "The signpost that moves the odds most is “A rival folds”: observed true, P(Up) goes from 40.0% "
        "to 45.0% (± 0.10 pp); observed false, to 10.0% (± 0.20 pp)."
    )


def test_an_open_signpost_wins_over_one_observed_and_a_tie_names_the_first() -> None:
    sp = _signposts(
        {"signpost": "s1", "label": "Up", "now": 0.4, "if_true": 0.5, "if_false": 0.3, "without": 0.4},
        {"signpost": "s2", "label": "Up", "now": 0.4, "if_true": 0.5, "if_false": 0.3, "without": 0.4},
        {
            "signpost": "s2",
            "label": "Down",
            "now": 0.9,
            "if_true": 0.9,
            "if_false": 0.9,
            "without": 0.1,
            "observed": True,
        },
    )
    assert "moves the odds most is “A release ships”" in summary(SIGNPOSTS, signposts=sp)["signpost"]


@pytest.mark.parametrize(
    ("observed", "error"),
    [(True, "± 0.10 pp"), (False, "± 0.20 pp")],
    ids=["observed true", "observed false"],
)
def test_an_observed_signpost_says_what_it_did(observed: bool, error: str) -> None:
    sp = _signposts(
        {"signpost": "s1", "label": "Up", "now": 0.6, "if_true": 0.6, "if_false": 0.6, "without": 0.5},
        {"signpost": "s2", "label": "Up", "now": 0.2, "if_true": 0.2, "if_false": 0.2, "without": 0.5},
    )
    sp["observed"] = observed
    assert summary(SIGNPOSTS, signposts=sp)["signpost"] == (
        f"The signpost “A rival folds” was observed {'true' if observed else 'false'}: it moved P(Up) "
        f"from 50.0% to 20.0% ({error})."
    )


def test_signposts_that_move_only_predictions_make_no_sentence() -> None:
    sp = _signposts(
        {
            "signpost": "s1",
            "label": "P",
            "now": 0.4,
            "if_true": 1,
            "if_false": 0,
            "without": 0.4,
            "kind": "prediction",
        }
    )
    assert "signpost" not in summary(SIGNPOSTS, signposts=sp)


# --- what drives the headline ---------------------------------------------------------


def _sensitivity(rows: list[dict[str, Any]], **attrs: str) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.attrs.update(attrs)
    return df


def test_the_driver_is_the_row_with_the_largest_index_quoted_with_its_percentiles() -> None:
    # the table is ordered by the own-part index; the sentence quotes the first-order
    # index, so it names the largest first-order index (CAGR, not the first row Size)
    df = _sensitivity(
        [
            {"input": "Size", "first_order": 0.2, "conf": 0.01, "low": 1, "high": 2},
            {"input": "CAGR", "first_order": 0.4567, "conf": 0.0123, "low": 80.04, "high": 120.6},
        ],
        target="market.total.2027",
        target_label="Total 2027",
        statistic="mean",
    )
    assert summary(sensitivity=[df])["driver"] == (
        "What drives the uncertainty in Total 2027 most is CAGR: on its own it accounts for about 46% of "
        "the variance (± 1.2 pp); with it at its 10th and 90th percentiles the mean is 80.0 and 121."
    )


def test_a_negative_index_is_quoted_as_zero_and_no_percentiles_no_clause() -> None:
    df = _sensitivity([{"input": "CAGR", "first_order": -0.02, "conf": 0.03}], target="market.total.2027")
    assert summary(sensitivity=[EMPTY, df])["driver"] == (
        "What drives the uncertainty in market.total.2027 most is CAGR: on its own it accounts for about "
        "0% of the variance (± 3.0 pp)."
    )


# --- from the mutation run (tests/README.md): branches and ties it found open -------------


def test_two_outcomes_name_the_other_as_the_one_behind() -> None:
    o = _outcomes(("Up", 0.3, 0.2, 0.4, 0.3), ("Down", 0.7, 0.6, 0.8, 0.7))
    assert summary(outcomes=o)["outcome"].endswith("stated 70.0%), ahead of Up at 30.0%.")


def test_one_outcome_is_a_share_without_a_list() -> None:
    s = scenario(outcomes=(("a", "A"),), positions=(("acme", "Acme"),))
    by = _by_outcome([("share.acme", "a", 2027, 0.1, 0.2, 0.3)])
    assert summary(s, by_outcome=by)["company"].startswith(
        "Acme in 2027 depends on the outcome: a median share of 20.0% (10.0%–30.0%) if A (90% intervals)"
    )


def test_the_total_leads_wherever_its_row_is() -> None:
    g = _growth(
        ("a", "Alpha", 0.2, 0.1, 0.25, 0.3),
        ("b", "Beta", 0.3, 0.1, 0.22, 0.3),
        ("total", "Total", 0.2, 0.1, 0.21, 0.3),
    )
    assert summary(growth=g)["growth"].startswith("The total market grows a median 21.0% a year")
    assert "of the markets, Beta is furthest" in summary(growth=g)["growth"]


def test_without_a_total_the_first_market_leads_and_another_is_furthest() -> None:
    g = _growth(
        ("a", "Alpha", 0.2, 0.1, 0.5, 0.6),
        ("b", "Beta", 0.3, 0.1, 0.22, 0.3),
        ("c", "Gamma", 0.3, 0.1, 0.25, 0.3),
    )
    assert summary(growth=g)["growth"] == (
        "Alpha grows a median 50.0% a year from 2024 to 2027 (90% interval 10.0%–60.0%), against 20.0% stated; "
        "of the other markets, Beta is furthest from its stated CAGR: a median 22.0% (10.0%–30.0%) against 30.0%."
    )
    # of two markets without a total, the other one is named
    assert "of the other markets, Beta is furthest" in summary(growth=g.iloc[:2])["growth"]
    assert summary(growth=g.iloc[:1])["growth"].endswith("against 20.0% stated.")


def test_furthest_is_the_largest_gap_not_the_largest_rate() -> None:
    # Alpha 20 pp below its stated 30% (0.1 + 0.3 = 0.4), Beta 10 pp above its 40% (0.9)
    g = _growth(
        ("total", "Total", 0.2, 0.1, 0.2, 0.3),
        ("a", "Alpha", 0.3, 0.0, 0.1, 0.2),
        ("b", "Beta", 0.4, 0.4, 0.5, 0.6),
    )
    assert "of the markets, Alpha is furthest" in summary(growth=g)["growth"]


def test_certain_numbers_in_the_prediction_and_signpost_sentences_quote_the_bound() -> None:
    s = scenario(predictions=(("p1", "by"),), signposts=(("s1", "S"),))
    p = _predictions(("p1", "Sure", 1.0, 0.00015, "2026-01-01"))
    assert (
        "with probability 100% (< 3/n = 0.015 pp Monte Carlo error)."
        in summary(s, predictions=p)["predictions"]
    )
    sp = _signposts(
        {"signpost": "s1", "label": "Up", "now": 0.5, "if_true": 1.0, "if_false": 0.0, "without": 0.5}
    )
    sp[["mcse_true", "mcse_false"]] = 0.00015
    assert summary(s, signposts=sp)["signpost"].endswith(
        "goes from 50.0% to 100% (< 3/n = 0.015 pp); observed false, to 0% (< 3/n = 0.015 pp)."
    )
    sp["observed"], sp["now"], sp["without"] = True, 1.0, 0.5
    assert summary(s, signposts=sp)["signpost"].endswith("from 50.0% to 100% (< 3/n = 0.015 pp).")


def test_a_driver_without_its_statistic_is_the_median_and_half_a_range_is_no_range() -> None:
    row = {"input": "CAGR", "first_order": 0.5, "conf": 0.01, "low": 1.0, "high": 2.0}
    assert summary(sensitivity=[_sensitivity([row], target="t")])["driver"].endswith(
        "the median is 1.00 and 2.00."
    )
    half = _sensitivity([row | {"high": float("nan")}], target="t")
    assert summary(sensitivity=[half])["driver"].endswith("(± 1.0 pp).")
    # a table without the index columns (a tornado's) is not a driver
    assert "driver" not in summary(sensitivity=[pd.DataFrame([{"input": "CAGR", "swing": 1.0}])])


# 34 rows, 17 tied at the top and 17 tied below, shuffled: a sort that is not stable
# (numpy's quicksort on more than 16 rows) names another row of a tie than the first
TIED = np.r_[[0.5] * 17, [0.4] * 17][np.random.default_rng(1).permutation(34)]
FIRST_TOP, LAST_LOW = int(np.flatnonzero(TIED == 0.5)[0]), int(np.flatnonzero(TIED == 0.4)[-1])


def test_of_many_tied_outcomes_the_first_in_the_scenarios_order_leads() -> None:
    o = _outcomes(*[(f"O{i}", float(p), 0.1, 0.9, 0.3) for i, p in enumerate(TIED)])
    second = int(np.flatnonzero(TIED == 0.5)[1])
    assert summary(outcomes=o)["outcome"].startswith(f"The most likely outcome is O{FIRST_TOP}: 50.0%")
    assert summary(outcomes=o)["outcome"].endswith(f"ahead of O{second} at 50.0%.")


def test_of_many_tied_predictions_the_first_is_most_and_the_last_least_likely() -> None:
    s = scenario(predictions=tuple((f"p{i}", "by") for i in range(34)))
    p = _predictions(*[(f"p{i}", f"S{i}", float(q), 0.004, "2026-01-01") for i, q in enumerate(TIED)])
    text = summary(s, predictions=p)["predictions"]
    assert f"most likely to come true is “S{FIRST_TOP}”" in text and f"least likely is “S{LAST_LOW}”" in text


def test_of_many_tied_markets_and_signposts_the_first_is_named() -> None:
    g = _growth(
        ("total", "Total", 0.2, 0.1, 0.2, 0.3),
        *[(f"m{i}", f"M{i}", 0.0, 0.0, float(q), 1.0) for i, q in enumerate(TIED)],
    )
    assert f"of the markets, M{FIRST_TOP} is furthest" in summary(growth=g)["growth"]
    s = scenario(signposts=tuple((f"s{i}", f"S{i}") for i in range(34)))
    rows = [
        {"signpost": f"s{i}", "label": "Up", "now": 0.0, "if_true": float(q), "if_false": 0.0, "without": 0.0}
        for i, q in enumerate(TIED)
    ]
    assert f"moves the odds most is “S{FIRST_TOP}”" in summary(s, signposts=_signposts(*rows))["signpost"]
    seen = _signposts(*[r | {"now": r["if_true"], "observed": True} for r in rows])
    assert f"The signpost “S{FIRST_TOP}” was observed true" in summary(s, signposts=seen)["signpost"]


MATCH = (
    "The total market grows a median 20.0% a year from 2024 to 2027 (90% interval 10.0%–30.0%), "
    "against 20.0% stated; every market's median matches its stated CAGR (no gap exceeds twice its "
    "Monte Carlo error, 0.5 pp and a tenth of its 90% interval)."
)


def test_a_gap_within_monte_carlo_noise_is_no_market_furthest_from_its_cagr() -> None:
    # Alpha 3 pp, Beta 2 pp from their stated CAGRs (material: a tenth of 20 pp is 2 pp),
    # but each median's MCSE is 2 pp: both gaps lie within 2 MCSE, so every market matches
    g = _growth(
        ("total", "Total", 0.2, 0.1, 0.2, 0.3),
        ("a", "Alpha", 0.2, 0.1, 0.23, 0.3),
        ("b", "Beta", 0.3, 0.1, 0.28, 0.3),
    ).assign(mcse=0.02)
    assert summary(growth=g)["growth"] == MATCH
    # a gap beyond 2 MCSE and material is named; one within is never chosen over it
    g.loc[2, "q50"], g["mcse"] = 0.22, 0.002
    g.loc[1, "q50"] = 0.201  # 0.1 pp: within the noise (0.4 pp) and immaterial
    assert summary(growth=g)["growth"] == (
        "The total market grows a median 20.0% a year from 2024 to 2027 (90% interval 10.0%–30.0%), "
        "against 20.0% stated; of the markets, Beta is furthest from its stated CAGR: a median 22.0% "
        "(10.0%–30.0%) against 30.0%."
    )


def test_a_gap_beyond_the_noise_but_immaterial_is_no_market_furthest() -> None:
    """Issue 25: at many draws a 0.3-point gap is beyond 2 MCSE, but no strategist calls
    it a departure: a gap must also exceed 0.5 pp and a tenth of its 90% interval."""
    g = _growth(
        ("total", "Total", 0.2, 0.1, 0.2, 0.3),
        ("a", "Alpha", 0.2, 0.1, 0.203, 0.3),  # 0.3 pp: under 0.5 pp
        ("b", "Beta", 0.3, 0.1, 0.285, 0.3),  # 1.5 pp: under a tenth of its 20 pp interval
    ).assign(mcse=0.0005)  # 2 MCSE = 0.1 pp: both gaps are beyond the noise
    assert summary(growth=g)["growth"] == MATCH
    # a narrow interval (2 pp): its tenth is 0.2 pp, so the 0.5 pp floor decides
    g.loc[1, ["q05", "q95"]] = 0.19, 0.21
    assert summary(growth=g)["growth"] == MATCH
    g.loc[1, "q50"] = 0.206  # 0.6 pp: beyond 0.5 pp, 2 MCSE and a tenth of 2 pp
    assert summary(growth=g)["growth"].endswith(
        "of the markets, Alpha is furthest from its stated CAGR: a median 20.6% (19.0%–21.0%) against 20.0%."
    )
    # a gap of exactly a tenth of the interval is not beyond it
    g.loc[1, "q50"], g.loc[2, "q50"] = 0.2, 0.28  # Beta 2 pp = a tenth of 20 pp
    assert summary(growth=g)["growth"] == MATCH


def test_without_a_total_every_other_market_matches() -> None:
    g = _growth(("a", "Alpha", 0.2, 0.1, 0.25, 0.3), ("b", "Beta", 0.3, 0.1, 0.299, 0.4))
    assert summary(growth=g)["growth"].endswith(
        "; every other market's median matches its stated CAGR (no gap exceeds twice its Monte Carlo "
        "error, 0.5 pp and a tenth of its 90% interval)."
    )
