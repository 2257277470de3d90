"""Risks and open questions: the register a strategist keeps, in the scenario language.

A **risk** is an event with a probability by a deadline and effects: on an outcome's
log-odds while it holds, on a market's CAGR, or on a named input or metric (shifted by
a number in its own unit, or scaled by a factor, on the draws where the risk happens). A **question** is open with several
possible answers, each with a probability and either a likelihood under every outcome
(``P(answer | outcome)``, as a signpost's) or effects as a risk has. A risk is the
question "does it happen?" with the answers *happens* (its effects) and *does not*
(none); a signpost is the question "is it seen?" with the answers *true* and
*false*. The engine treats all three alike (:mod:`forecast.engine.answers`).

Effects are measured from the file's own numbers: the stated outcome probabilities
and CAGRs are the marginal ones, with every risk at its stated probability, so a
register splits the forecast into "if it happens" and "if not" without moving it.

Examples
--------
>>> r = Risk.model_validate({
...     "id": "dilution", "statement": "Research loses engineers to products",
...     "probability": 0.3, "deadline": "2027-01-01",
...     "effects": [{"outcome": "struggling", "log_odds": 0.8}]})
>>> r.effects[0].kind
'outcome'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from forecast.scenario.calendar import Date
from forecast.scenario.inputs import Quantity
from forecast.scenario.risk_targets import TARGET_FORM
from forecast.scenario.schema import Fraction, Id, Strict


class Effect(Strict):
    """What a risk (or an answer) does while it holds: ``{ outcome, log_odds }`` adds
    ``log_odds`` to the outcome's log-odds against every other outcome (as a driver
    does); ``{ target = "markets.<id>.cagr", shift }`` moves the market's CAGR by
    ``shift`` (``-0.05``: five points lower); ``{ target = "inputs.<id>", shift }``
    (or ``"metric.<id>"``) adds ``shift``, in the input's (metric's) own unit, on the
    draws where the risk happens, and ``{ target = ..., scale }`` multiplies it by
    ``scale`` there (``1.2``: 20% higher)."""

    outcome: str | None = None
    log_odds: Quantity | None = None
    target: str | None = Field(default=None, description=f"'{TARGET_FORM}'")
    shift: Quantity | None = Field(
        default=None,
        description="change of the target, in its unit: the CAGR's (a fraction), the input's or the metric's",
    )
    scale: Quantity | None = Field(
        default=None, description="factor on an input or metric where the risk happens (1.2: 20% higher)"
    )
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Effect:
        on_outcome = self.outcome is not None or self.log_odds is not None
        on_target = self.target is not None or self.shift is not None or self.scale is not None
        if on_outcome == on_target:
            raise ValueError("give either outcome and log_odds, or target and shift (or scale)")
        if on_outcome and (self.outcome is None or self.log_odds is None):
            raise ValueError("an outcome effect needs both outcome and log_odds")
        if on_target and (self.target is None or (self.shift is None) == (self.scale is None)):
            raise ValueError("an effect on a target needs the target and one of shift or scale")
        return self

    @property
    def kind(self) -> Literal["outcome", "market", "input", "metric"]:
        """What the effect moves: an outcome's odds, a market's growth, a named input or a
        metric (a target of no known form counts as a market: its check says why)."""
        if self.outcome is not None:
            return "outcome"
        head = (self.target or "").partition(".")[0]
        return "input" if head == "inputs" else "metric" if head == "metric" else "market"

    @property
    def ident(self) -> str:
        """The id the effect names: the outcome's, market's, input's or metric's.

        >>> Effect(target="inputs.margin", shift=-0.05).ident
        'margin'
        """
        if self.outcome is not None:
            return self.outcome
        return (self.target or "").partition(".")[2].removesuffix(".cagr")

    @property
    def amount(self) -> Quantity:
        """The effect's uncertain number: ``log_odds``, ``shift`` or ``scale``."""
        q = (
            self.log_odds
            if self.outcome is not None
            else self.shift
            if self.shift is not None
            else self.scale
        )
        assert q is not None
        return q

    @property
    def market(self) -> str | None:
        """The market id of a ``markets.<id>.cagr`` target (else None)."""
        if self.target is None:
            return None
        head, _, rest = self.target.partition(".")
        mid, _, field = rest.partition(".")
        return mid if head == "markets" and field == "cagr" and mid else None


class Risk(Strict):
    """A risk of the register: its chance of materialising by ``deadline`` and what it
    does while it holds. ``observed = true/false`` says it has (not) happened, and then
    it updates the outcome probabilities as a signpost does."""

    id: Id
    statement: str
    probability: Quantity = Field(description="chance the risk materialises by the deadline")
    deadline: Date
    effects: list[Effect] = Field(min_length=1)
    source: str | None = None
    note: str | None = None
    observed: bool | None = None


class Answer(Strict):
    """One possible answer of a question: its probability, and either its likelihood
    under every outcome (``P(answer | outcome)``) or effects as a risk has."""

    id: Id
    statement: str | None = None
    probability: Fraction | None = Field(default=None, ge=0, le=1)
    likelihood: dict[str, Fraction] | None = None
    effects: list[Effect] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None


class Question(Strict):
    """An open question with its possible answers. ``answered = "<answer id>"`` says
    which answer came, and then it updates the outcome probabilities as a signpost."""

    id: Id
    statement: str
    answers: list[Answer] = Field(min_length=2)
    source: str | None = None
    note: str | None = None
    answered: str | None = None
