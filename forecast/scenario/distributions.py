"""Named distributions beyond the normal family, as tabulated quantile functions.

A triangular, PERT, beta, gamma, discrete, mixture or sampled input is written
``x = Q(Phi(z))`` with ``z ~ Normal(0, 1)``: its quantile function at the input's own
standard-normal latent, so it joins the canonical form of
:mod:`forecast.scenario.inputs` as one more family (``TABLE``) whose data is a row of
numbers, and the model keeps one graph per structure and non-centred latents.

The row holds ``Q`` as a *continuous part* tabulated at :data:`Z_KNOTS` (linear
interpolation in ``z``; knots every 1/100 SD from -6 to 6, beyond which lies 2e-9 of
the probability), plus up to :data:`MAX_STEPS` exact *steps* ``d_j [z > c_j]`` where
``Q`` jumps (between the values of a discrete input, or across a gap in a mixture's
support), so a discrete input takes only its own values, with exactly its stated
frequencies. The continuous part's interpolation error is ``h^2 / 8 max|Q''|`` with
``h = 1/100``: for the smooth forms (triangular, PERT, beta, gamma) below 5% of the
Monte Carlo error of a quantile at 20,000 draws (``tests/scenario/test_distributions.py``).
Where a mixture's quantile is steep or kinked (components that barely overlap, the
edge of an atom), linear interpolation is off only within the one knot interval
there: at most ``phi(z) h`` (< 0.004) of probability is moved, by at most the
quantile's rise over that interval.

A step has no gradient: NUTS (with evidence) cannot move a discrete market size
between its values, so a stepped input is refused where evidence informs it
(:func:`forecast.scenario.copula.stepped_problems`).

This module never imports PyMC; scipy is imported inside functions (CLI start-up).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# a Quantity of forecast.scenario.inputs (which imports this module: no import back)
Quantity = Any
Domain = str

Z_MAX = 6.0
Z_STEP = 1.0 / 100.0
N_KNOTS = round(2 * Z_MAX / Z_STEP) + 1
Z_KNOTS = np.linspace(-Z_MAX, Z_MAX, N_KNOTS)
MAX_STEPS = 255  # distinct values of a discrete input (less one), gaps of a mixture
# a row: the knots, then its J step cuts (in z), then the J step sizes; a scenario's
# rows are padded to its largest J (cut +inf, size 0), so inputs without steps cost
# nothing and the graph's (draws, inputs, J) step comparison is as wide as needed
TABLE_FORMS = ("triangular", "pert", "beta", "gamma", "discrete", "mixture", "samples")
PERT_LAMBDA = 4.0


@dataclass(frozen=True)
class Shape:
    """A distribution as its quantile function, CDF and support pieces.

    ``pieces`` are the closed intervals (``lo == hi`` for an atom) that hold all of its
    probability; a mixture's quantile jumps across the gaps between them.
    """

    name: str
    quantile: Callable[[np.ndarray], np.ndarray]
    cdf: Callable[[np.ndarray], np.ndarray]
    pieces: tuple[tuple[float, float], ...]


def triangular(low: float, mode: float, high: float) -> Shape:
    """Triangular on ``[low, high]`` with its peak at ``mode`` (closed-form quantile).

    Examples
    --------
    >>> float(triangular(0.0, 0.0, 1.0).quantile(np.array(0.75)))
    0.5
    """
    span, c = high - low, (mode - low) / (high - low)

    def q(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        left = low + np.sqrt(u * span * (mode - low))
        right = high - np.sqrt((1 - u) * span * (high - mode))
        return np.where(u < c, left, right)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(x, dtype=float), low, high)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = np.where(mode > low, (x - low) ** 2 / (span * (mode - low)), 0.0)
            right = np.where(high > mode, 1 - (high - x) ** 2 / (span * (high - mode)), 1.0)
        return np.where(x <= mode, left, right)

    return Shape("triangular", q, f, ((low, high),))


def scaled_beta(alpha: float, beta: float, low: float = 0.0, high: float = 1.0, name: str = "beta") -> Shape:
    """Beta(alpha, beta) scaled to ``[low, high]`` (PERT is one)."""
    from scipy import special

    span = high - low

    def q(u: np.ndarray) -> np.ndarray:
        return low + span * special.betaincinv(alpha, beta, np.asarray(u, dtype=float))

    def f(x: np.ndarray) -> np.ndarray:
        t = np.clip((np.asarray(x, dtype=float) - low) / span, 0.0, 1.0)
        return special.betainc(alpha, beta, t)

    return Shape(name, q, f, ((low, high),))


def pert_shape(low: float, mode: float, high: float, lam: float = PERT_LAMBDA) -> tuple[float, float]:
    """The beta shape of a PERT: ``1 + lam (mode - low) / span``, ``1 + lam (high - mode) / span``.

    Examples
    --------
    >>> pert_shape(0.0, 0.5, 1.0)
    (3.0, 3.0)
    """
    span = high - low
    return 1 + lam * (mode - low) / span, 1 + lam * (high - mode) / span


def beta_from_moments(mean: float, sd: float) -> tuple[float, float]:
    """Beta shape with this mean and SD (needs ``sd^2 < mean (1 - mean)``).

    Examples
    --------
    >>> [round(x, 9) for x in beta_from_moments(0.5, 12**-0.5)]  # the uniform
    [1.0, 1.0]
    """
    k = mean * (1 - mean) / sd**2 - 1
    return mean * k, (1 - mean) * k


def gamma(mean: float, sd: float) -> Shape:
    """Gamma with this mean and SD (shape ``(mean / sd)^2``, scale ``sd^2 / mean``)."""
    from scipy import special

    k, theta = (mean / sd) ** 2, sd**2 / mean

    def q(u: np.ndarray) -> np.ndarray:
        return theta * special.gammaincinv(k, np.asarray(u, dtype=float))

    def f(x: np.ndarray) -> np.ndarray:
        return special.gammainc(k, np.clip(np.asarray(x, dtype=float), 0.0, None) / theta)

    return Shape("gamma", q, f, ((0.0, math.inf),))


def discrete(values: Sequence[float], probabilities: Sequence[float], name: str = "discrete") -> Shape:
    """Values with probabilities (the step quantile; equal values merged).

    Examples
    --------
    >>> d = discrete([3.0, 1.0], [0.25, 0.75])
    >>> d.quantile(np.array([0.5, 0.8])).tolist()
    [1.0, 3.0]
    """
    merged: dict[float, float] = {}
    for v, p in zip(values, probabilities, strict=True):
        merged[float(v)] = merged.get(float(v), 0.0) + float(p)
    vs = np.array(sorted(k for k, p in merged.items() if p > 0))
    cum = np.cumsum([merged[v] for v in vs])
    cum /= cum[-1]

    def q(u: np.ndarray) -> np.ndarray:
        i = np.searchsorted(cum, np.asarray(u, dtype=float), side="right")
        return vs[np.clip(i, 0, len(vs) - 1)]

    def f(x: np.ndarray) -> np.ndarray:
        i = np.searchsorted(vs, np.asarray(x, dtype=float), side="right")
        return np.where(i > 0, cum[np.clip(i - 1, 0, None)], 0.0)

    return Shape(name, q, f, tuple((float(v), float(v)) for v in vs))


def samples(values: Sequence[float]) -> Shape:
    """The empirical distribution of observed values: each with weight ``1/n``.

    Resampling it is its inverse CDF at a uniform, so it is a discrete distribution:
    exactly, up to ``MAX_STEPS + 1`` distinct values; beyond, its quantile is
    tabulated without steps (between two neighbouring order statistics a draw may fall
    within one 0.01-SD knot interval of the quantile, not exactly on a sample).
    """
    d = discrete(values, [1.0 / len(values)] * len(values), name="samples")
    if len(d.pieces) <= MAX_STEPS + 1:
        return d
    return Shape("samples", d.quantile, d.cdf, ((d.pieces[0][0], d.pieces[-1][1]),))


def mixture(shapes: Sequence[Shape], weights: Sequence[float]) -> Shape:
    """A mixture: CDF ``sum w_i F_i``; its quantile found by bisection on the CDF."""
    w = np.asarray(weights, dtype=float) / float(np.sum(weights))
    atoms = [lo for s in shapes for lo, hi in s.pieces if lo == hi]

    def f(x: np.ndarray) -> np.ndarray:
        return sum(
            (wi * s.cdf(x) for wi, s in zip(w, shapes, strict=True)), np.zeros_like(np.asarray(x, float))
        )

    def q(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        # bracket: every component's own quantile at the extreme levels asked
        ends = np.array([s.quantile(np.array([max(np.min(u), 1e-300), np.max(u)])) for s in shapes])
        lo = np.full(u.shape, float(np.min(ends)))
        hi = np.full(u.shape, float(np.max(ends)))
        for _ in range(200):  # to the float's resolution of the bracket
            mid = 0.5 * (lo + hi)
            below = f(mid) < u
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        # the bisection stops within a float of an atom: put it on the atom
        for v in atoms:
            hi = np.where(np.abs(hi - v) <= 1e-9 * (1 + abs(v)), v, hi)
        return hi

    pieces = tuple(p for s in shapes for p in s.pieces)
    return Shape("mixture", q, f, pieces)


def gaps(shape: Shape) -> list[tuple[float, float, float]]:
    """Where the quantile jumps: ``(u, from, to)`` for each gap between support pieces.

    Examples
    --------
    >>> gaps(discrete([1.0, 2.0], [0.25, 0.75]))
    [(0.25, 1.0, 2.0)]
    """
    out: list[tuple[float, float, float]] = []
    pieces = sorted(shape.pieces)
    reach = pieces[0][1]
    for lo, hi in pieces[1:]:
        if lo > reach:
            out.append((float(shape.cdf(np.array(reach))), reach, lo))
        reach = max(reach, hi)
    return out


def table(shape: Shape) -> tuple[float, ...]:
    """The row of the ``TABLE`` family: continuous part at the knots, step cuts, step sizes."""
    from scipy import special

    jumps = gaps(shape)
    if len(jumps) > MAX_STEPS:
        raise ValueError(f"has {len(jumps) + 1} separate values or pieces; at most {MAX_STEPS + 1}")
    cuts = np.full(len(jumps), np.inf)
    sizes = np.zeros(len(jumps))
    for j, (u, lo, hi) in enumerate(jumps):
        cuts[j], sizes[j] = special.ndtri(u), hi - lo
    u = special.ndtr(Z_KNOTS)
    smooth = shape.quantile(u) - (Z_KNOTS[:, None] > cuts[None, :]) @ sizes
    # the one smooth value below an atom's cut: the quantile there is that atom exactly
    return tuple(float(v) for v in np.concatenate([smooth, cuts, sizes]))


def evaluate(row: Sequence[float] | np.ndarray, z: np.ndarray | float) -> np.ndarray:
    """A ``TABLE`` row at standard-normal values ``z`` (numpy; the graph's twin).

    Examples
    --------
    >>> row = table(discrete([1.0, 2.0], [0.5, 0.5]))
    >>> evaluate(row, np.array([-1.0, 1.0])).tolist()
    [1.0, 2.0]
    """
    r = np.asarray(row, dtype=float)
    z = np.asarray(z, dtype=float)
    smooth = np.interp(np.clip(z, -Z_MAX, Z_MAX), Z_KNOTS, r[:N_KNOTS])
    j = steps_of(r)
    cuts, sizes = r[N_KNOTS : N_KNOTS + j], r[N_KNOTS + j :]
    return smooth + ((z[..., None] > cuts) * sizes).sum(axis=-1)


def has_steps(row: Sequence[float]) -> bool:
    """Whether a row jumps (a discrete input, a mixture with a gap): no gradient there."""
    r = np.asarray(row)
    return bool(np.any(r[N_KNOTS + steps_of(r) :] != 0))


def steps_of(row: Sequence[float] | np.ndarray) -> int:
    """How many steps a row holds (its length is ``N_KNOTS + 2 J``)."""
    return (len(row) - N_KNOTS) // 2


def padded(row: Sequence[float], steps: int) -> np.ndarray:
    """A row widened to ``steps`` steps (cut +inf, size 0: never taken)."""
    r = np.asarray(row, dtype=float)
    j = steps_of(r)
    extra = steps - j
    return np.concatenate([r[: N_KNOTS + j], np.full(extra, np.inf), r[N_KNOTS + j :], np.zeros(extra)])


# --- the forms of a Quantity --------------------------------------------------------


def form_problem(q: Quantity) -> str | None:
    """Why a table form's parameters do not make a distribution (None when they do)."""
    d = q.dist
    given = {k for k in _PARAMS if getattr(q, k) is not None}
    wanted = _FORM_KEYS.get(str(d), ())
    if not any(given == set(w) for w in wanted):
        forms = " or ".join("{ " + ", ".join(w) + " }" for w in wanted)
        return f'dist = "{d}" takes {forms} (got keys {sorted(given)})'
    return _RULES[str(d)](q)


def _ordered(q: Quantity) -> str | None:
    lo, m, hi = q.low, q.mode, q.high
    assert lo is not None and m is not None and hi is not None
    if not lo <= m <= hi or lo >= hi:
        return f"needs low <= mode <= high and low < high (got low={lo:g}, mode={m:g}, high={hi:g})"
    if q.lambda_ is not None and q.lambda_ <= 0:
        return f"lambda must be > 0 (got {q.lambda_:g})"
    return None


def _beta_rule(q: Quantity) -> str | None:
    if q.alpha is not None and q.beta is not None:
        if q.alpha <= 0 or q.beta <= 0:
            return f"alpha and beta must be > 0 (got alpha={q.alpha:g}, beta={q.beta:g})"
        return None
    mean, sd = q.mean, q.sd
    assert mean is not None and sd is not None
    if not 0 < mean < 1 or sd <= 0 or sd**2 >= mean * (1 - mean):
        return (
            f"a beta needs 0 < mean < 1 and 0 < sd < sqrt(mean (1 - mean)) = {math.sqrt(max(mean * (1 - mean), 0)):.4g}"
            f" (got mean={mean:g}, sd={sd:g})"
        )
    return None


def _gamma_rule(q: Quantity) -> str | None:
    assert q.mean is not None and q.sd is not None
    if q.mean <= 0 or q.sd <= 0:
        return f"a gamma needs mean > 0 and sd > 0 (got mean={q.mean:g}, sd={q.sd:g})"
    return None


def _weights_rule(values: Sequence[Any], probs: Sequence[float], what: str) -> str | None:
    if not values or len(values) != len(probs):
        return f"needs as many {what} as values, at least one (got {len(values)} and {len(probs)})"
    if any(p < 0 for p in probs) or abs(sum(probs) - 1) > 1e-6:
        return f"{what} must be >= 0 and sum to 1 (they sum to {sum(probs):.6g})"
    return None


def _discrete_rule(q: Quantity) -> str | None:
    assert q.values is not None and q.probabilities is not None
    bad = _weights_rule(q.values, q.probabilities, "probabilities")
    if bad is None and len(set(q.values)) > MAX_STEPS + 1:
        return f"takes at most {MAX_STEPS + 1} distinct values (got {len(set(q.values))})"
    return bad


def _mixture_rule(q: Quantity) -> str | None:
    assert q.components is not None and q.weights is not None
    bad = _weights_rule(q.components, q.weights, "weights")
    if bad is None and any(c.dist in ("mixture", "samples") for c in q.components):
        return "a component cannot itself be a mixture or samples"
    return bad


def _samples_rule(q: Quantity) -> str | None:
    from forecast.scenario.samples import read_column

    try:
        read_column(str(q.file), str(q.column))
    except ValueError as e:
        return str(e)
    return None


_PARAMS = ("low", "mode", "high", "lambda_", "alpha", "beta", "mean", "sd", "values", "probabilities",
           "components", "weights", "file", "column")  # fmt: skip
_FORM_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "triangular": (("low", "mode", "high"),),
    "pert": (("low", "mode", "high"), ("low", "mode", "high", "lambda_")),
    "beta": (("alpha", "beta"), ("mean", "sd")),
    "gamma": (("mean", "sd"),),
    "discrete": (("values", "probabilities"),),
    "mixture": (("components", "weights"),),
    "samples": (("file", "column"),),
}
_RULES: dict[str, Callable[[Quantity], str | None]] = {
    "triangular": _ordered,
    "pert": _ordered,
    "beta": _beta_rule,
    "gamma": _gamma_rule,
    "discrete": _discrete_rule,
    "mixture": _mixture_rule,
    "samples": _samples_rule,
}


def shape_of(q: Quantity, domain: Domain) -> Shape:
    """The :class:`Shape` of a quantity (any form; normal-family forms via their
    canonical transform, so they can be mixture components)."""
    d = q.dist
    if d == "triangular":
        return triangular(q.low, q.mode, q.high)
    if d == "pert":
        lo, m, hi = q.low, q.mode, q.high
        a, b = pert_shape(lo, m, hi, q.lambda_ or PERT_LAMBDA)
        return scaled_beta(a, b, lo, hi, name="pert")
    if d == "beta":
        if q.alpha is not None and q.beta is not None:
            return scaled_beta(q.alpha, q.beta)
        return scaled_beta(*beta_from_moments(q.mean, q.sd))
    if d == "gamma":
        return gamma(q.mean, q.sd)
    if d == "discrete":
        return discrete(q.values, q.probabilities)
    if d == "samples":
        from forecast.scenario.samples import read_column

        return samples(read_column(str(q.file), str(q.column)))
    if d == "mixture":
        return mixture([shape_of(c, domain) for c in q.components], q.weights)
    return _canonical_shape(q, domain)


def _canonical_shape(q: Quantity, domain: Domain) -> Shape:
    from scipy import special

    c = q.canonical(domain)
    fam = c.family.name
    if c.is_point:
        v = float(c.transform(0.0))
        return discrete([v], [1.0], name="point")

    def f(x: np.ndarray) -> np.ndarray:
        # the exact CDF: the families are monotone maps of a normal (or a uniform)
        x = np.asarray(x, dtype=float)
        if fam == "UNIFORM":
            return np.clip((x - c.a) / (c.b - c.a), 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = {
                "NORMAL": x,
                "LOGNORMAL": np.log(np.where(x > 0, x, np.nan)),
                "LOGITNORMAL": special.logit(np.where((x > 0) & (x < 1), x, np.nan)),
                "GROWTH": np.log1p(np.where(x > -1, x, np.nan)),
            }[fam]
            below = x <= -1 if fam == "GROWTH" else x <= 0
            out = special.ndtr((y - c.a) / c.b)
        if fam == "NORMAL":
            return out
        return np.where(np.isnan(out), np.where(below, 0.0, 1.0), out)

    lo, hi = (float(v) for v in c.transform(np.array([-40.0, 40.0])))
    return Shape(c.family.name.lower(), c.quantile, f, ((lo, hi),))


def shifted(form: dict[str, Any], delta: float) -> dict[str, Any] | None:
    """A triangular, PERT, beta, gamma, discrete or mixture form moved by ``delta``
    (its spread kept): a what-if that moves an input's centre. None for samples (a
    file cannot be moved; the caller falls back to a number).

    ``low``/``mode``/``high``, the ``values`` and every component move by ``delta``;
    a beta or gamma given by ``mean``/``sd`` gets the mean moved (its shape is then the
    one with that mean and SD); a beta by ``alpha``/``beta`` becomes that mean/sd form.

    Examples
    --------
    >>> shifted({"dist": "pert", "low": 1.0, "mode": 2.0, "high": 4.0}, 0.5)
    {'dist': 'pert', 'low': 1.5, 'mode': 2.5, 'high': 4.5}
    """
    out = dict(form)
    d = form.get("dist")
    if d == "samples":
        return None
    if d == "beta" and "alpha" in form:
        a, b = float(form["alpha"]), float(form["beta"])
        mean, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        out = {k: v for k, v in form.items() if k not in ("alpha", "beta")} | {"mean": mean, "sd": sd}
    for k in ("low", "mode", "high", "mean", "value", "median"):
        if k in out:
            out[k] = float(out[k]) + delta
    if "values" in out:
        out["values"] = [float(v) + delta for v in out["values"]]
    if "components" in out:
        moved = [shifted(c, delta) if isinstance(c, dict) else float(c) + delta for c in out["components"]]
        if any(c is None for c in moved):
            return None
        out["components"] = moved
    return out
