"""Risks' effects on named inputs and metrics, in the model's graph.

A risk with an effect on ``inputs.<id>`` or ``metric.<id>`` (see
:mod:`forecast.scenario.risk_targets`) is drawn per draw: ``risk_happens`` is 1 on the
draws where it happens. It is drawn given the draw's realized outcome, with
``P(happens | outcome k) = L[k]``, the likelihood the register and an observation use
(:mod:`forecast.engine.answers`), so a risk that also moves the outcomes' odds happens
more often on the draws of the outcomes it favours, and the joint of risk and outcome
is the one the register reads. The risk's own uncertain probability moves these odds
on the logit scale per draw: ``logit P = logit L[k] + logit p_draw - logit p_median``
(exactly ``p_draw`` for a risk with no effect on the outcomes). A risk observed true
(false) happens on every (no) draw.

On the draws where it happens, each effect moves its target: ``x * scale`` or
``x + shift`` (scales first, then shifts; several risks on one target combine). The
inputs are moved before any formula reads them and a metric as soon as it is
computed, so every metric and payoff that names it follows. Everything is data
(``effect_risk`` and ``risk_effect`` dims, symbolic): one compile serves every file
with such effects; a file without them has the graph it had before.

Examples
--------
>>> import forecast
>>> d = risk_effect_data(forecast.load(forecast.bundled()))
>>> d["risk_lik"].shape, d["risk_effects"]
((0, 3), ())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.scenario.inputs import Canonical
from forecast.scenario.risk_targets import target_effects

if TYPE_CHECKING:
    from forecast.scenario import Scenario

#: standard-normal latents of the risks' draws (a block and a generator of their own)
RISK_LATENTS = ("z_risk_probability", "z_risk_happens", "z_risk_effect")

RISK_DIMS: dict[str, tuple[str, ...]] = {
    "risk_lik": ("effect_risk", "outcome"),
    "risk_p_fam": ("effect_risk",),
    "risk_p_a": ("effect_risk",),
    "risk_p_b": ("effect_risk",),
    "risk_p_logit": ("effect_risk",),
    "risk_fixed": ("effect_risk",),
    "eff_risk": ("risk_effect",),
    "eff_fam": ("risk_effect",),
    "eff_a": ("risk_effect",),
    "eff_b": ("risk_effect",),
    "eff_mul": ("risk_effect",),
    "eff_input": ("risk_effect", "input"),
    "eff_metric": ("risk_effect", "effect_metric"),
    "risk_years": ("year",),
}


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log(p) - np.log1p(-p))


def risk_effect_data(s: Scenario) -> dict[str, Any]:
    """The arrays of the risks' effects on inputs and metrics, and ``risk_effects``:
    what decides the graph (whether any input, any metric is moved)."""
    from forecast.engine.answers import answer_sets

    effects = target_effects(s)
    risks = sorted({i for i, _ in effects})
    n_k = len(s.outcome_ids)
    items = {a.id: a for a in answer_sets(s, ("risk",))}
    lik = np.array([items[s.risks[i].id].likelihood[0] for i in risks], dtype=float).reshape(len(risks), n_k)
    probs = [s.risks[i].probability.canonical("unit") for i in risks]
    medians = [float(c.transform(np.zeros(1))[0]) for c in probs]
    fixed = [-1 if s.risks[i].observed is None else int(bool(s.risks[i].observed)) for i in risks]
    amounts: list[Canonical] = [
        e.shift.canonical("real") if e.shift is not None else e.amount.canonical("positive")
        for _, e in effects
    ]
    inputs, metrics = [i.id for i in s.inputs], [m.id for m in s.metrics]
    on_input = np.zeros((len(effects), len(inputs)))
    on_metric = np.zeros((len(effects), len(metrics)))
    for j, (_, e) in enumerate(effects):
        if e.kind == "input" and e.ident in inputs:
            on_input[j, inputs.index(e.ident)] = 1.0
        elif e.kind == "metric" and e.ident in metrics:
            on_metric[j, metrics.index(e.ident)] = 1.0
    years = np.array(s.years, dtype=float)
    kinds = {e.kind for _, e in effects}
    return {
        "risk_lik": lik,
        "risk_p_fam": np.array([c.family for c in probs], dtype=np.int64),
        "risk_p_a": np.array([c.a for c in probs], dtype=float),
        "risk_p_b": np.array([c.b for c in probs], dtype=float),
        "risk_p_logit": np.array([_logit(p) for p in medians], dtype=float),
        "risk_fixed": np.array(fixed, dtype=float),
        "eff_risk": np.array([risks.index(i) for i, _ in effects], dtype=np.int64),
        "eff_fam": np.array([c.family for c in amounts], dtype=np.int64),
        "eff_a": np.array([c.a for c in amounts], dtype=float),
        "eff_b": np.array([c.b for c in amounts], dtype=float),
        "eff_mul": np.array([float(e.shift is None) for _, e in effects], dtype=float),
        "eff_input": on_input,
        "eff_metric": on_metric,
        # a yearly metric is shifted in the years being forecast: from as_of's year on
        "risk_years": (years >= s.as_of.year).astype(float),
        "risk_effects": ("input" in kinds, "metric" in kinds) if effects else (),
    }


def risk_effect_coords(s: Scenario) -> dict[str, list[Any]]:
    """The dims the arrays add: ``effect_risk`` (the risks drawn), ``risk_effect`` and
    ``effect_metric`` (every metric of the file, in its order)."""
    effects = target_effects(s)
    return {
        "effect_risk": [s.risks[i].id for i in sorted({i for i, _ in effects})],
        "risk_effect": list(range(len(effects))),
        "effect_metric": [m.id for m in s.metrics],
    }


class RiskMoves:
    """The risks' draws in the model being built: who happens, and what that does to
    the inputs (:meth:`inputs`) and to each metric as it is computed (:meth:`metric`)."""

    def __init__(self, pm: Any, pt: Any, x: dict[str, Any], outcome: Any, *, transform: Any, uniform: bool):
        self.pt, self.x = pt, x
        z_p = pm.Normal("z_risk_probability", 0.0, 1.0, dims="effect_risk")
        z_h = pm.Normal("z_risk_happens", 0.0, 1.0, dims="effect_risk")
        z_e = pm.Normal("z_risk_effect", 0.0, 1.0, dims="risk_effect")
        p_draw = transform(x["risk_p_fam"], x["risk_p_a"], x["risk_p_b"], z_p, uniform=uniform)
        p_draw = pt.clip(p_draw, 1e-12, 1.0 - 1e-12)
        # P(happens | the draw's outcome), moved by the draw's own probability of the risk
        lik = pt.clip(pt.dot(x["risk_lik"], outcome), 1e-12, 1.0 - 1e-12)
        logit = pt.log(lik) - pt.log1p(-lik) + pt.log(p_draw) - pt.log1p(-p_draw) - x["risk_p_logit"]
        # happens when the latent's normal CDF is below the probability (a Bernoulli draw
        # from the risks' own normal block)
        drawn = pt.lt(0.5 * pt.erfc(-z_h / np.sqrt(2.0)), pt.sigmoid(logit)).astype("float64")
        fixed = x["risk_fixed"]
        happens = pt.switch(pt.ge(fixed, 0.0), fixed, drawn)
        pm.Deterministic("risk_happens", happens, dims="effect_risk")
        amount = transform(x["eff_fam"], x["eff_a"], x["eff_b"], z_e, uniform=uniform)
        on = happens[x["eff_risk"]]
        mul = x["eff_mul"]
        # per effect: the factor (1 unless a scale that happens) and the shift (0 unless ...)
        self.log_factor = on * mul * pt.log(pt.switch(pt.gt(mul, 0.0), amount, 1.0))
        self.shift = on * (1.0 - mul) * amount

    def inputs(self, value: Any) -> Any:
        """The named inputs with every effect on them: scaled, then shifted."""
        pt, x = self.pt, self.x
        return value * pt.exp(pt.dot(self.log_factor, x["eff_input"])) + pt.dot(self.shift, x["eff_input"])

    def metric(self, index: int, value: Any, yearly: bool) -> Any:
        """Metric ``index`` (in the file's order) with every effect on it; a yearly one in
        the forecast years only (``risk_years``)."""
        pt, x = self.pt, self.x
        on = x["eff_metric"][:, index]
        factor, shift = pt.exp(pt.dot(self.log_factor, on)), pt.dot(self.shift, on)
        if yearly:
            years = x["risk_years"]
            factor = 1.0 + years * (factor - 1.0)
            shift = years * shift
        return value * factor + shift
