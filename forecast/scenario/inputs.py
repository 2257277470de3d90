"""Uncertain inputs: a number, a 90% interval, or a named distribution.

Every uncertain input is reduced to one canonical form, ``x = f(a + b * z)`` with
``z ~ Normal(0, 1)`` (or ``x = a + (b - a) * Phi(z)`` for a uniform). The model then
needs only a vector of standard-normal latents and three data vectors (family, a,
b) per kind of input, so its graph has the same structure for every scenario with
the same counts, and NUTS samples well-conditioned, non-centred latents.

This module never imports PyMC.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidatorFunctionWrapHandler, model_validator

Z90 = statistics.NormalDist().inv_cdf(0.95)  # half-width of a 90% interval in SDs
TAIL_Z = 6.0  # support check: a distribution may not cross its domain within 6 SD


class Family(IntEnum):
    """How a standard-normal latent maps to an input's value."""

    NORMAL = 0  # x = a + b z
    LOGNORMAL = 1  # x = exp(a + b z)
    LOGITNORMAL = 2  # x = sigmoid(a + b z)
    GROWTH = 3  # x = exp(a + b z) - 1: log(1 + growth rate) is normal
    UNIFORM = 4  # x = a + (b - a) Phi(z)
    TABLE = 5  # x = Q(Phi(z)), Q tabulated (see forecast.scenario.distributions); a = median


Domain = Literal["real", "positive", "unit", "growth"]

_DEFAULT_FAMILY: dict[str, Family] = {
    "real": Family.NORMAL,
    "positive": Family.LOGNORMAL,
    "unit": Family.LOGITNORMAL,
    "growth": Family.GROWTH,
}

_DOMAIN_TEXT = {
    "real": "any real number",
    "positive": "> 0",
    "unit": "between 0 and 1",
    "growth": "> -1 (a rate above -100%)",
}


@dataclass(frozen=True)
class Canonical:
    """The canonical form ``(family, a, b)`` of an uncertain input.

    Examples
    --------
    >>> c = Canonical(Family.LOGNORMAL, 0.0, 0.0)
    >>> float(c.quantile(0.5))
    1.0
    """

    family: Family
    a: float
    b: float
    # TABLE only: the row of :func:`forecast.scenario.distributions.table`, and the form's name
    table: tuple[float, ...] | None = None
    form: str = ""

    def transform(self, z: np.ndarray | float) -> np.ndarray:
        """Map standard-normal values ``z`` to the input's values (numpy)."""
        # scipy is imported here, not at module level: it costs ~0.6 s (scipy.stats ~2 s),
        # which every `forecast` command, even --help, would otherwise pay.
        from scipy import special

        z = np.asarray(z, dtype=float)
        if self.family == Family.TABLE:
            from forecast.scenario.distributions import evaluate

            assert self.table is not None
            return evaluate(self.table, z)
        if self.family == Family.UNIFORM:
            return self.a + (self.b - self.a) * special.ndtr(z)
        y = self.a + self.b * z
        if self.family == Family.NORMAL:
            return y
        if self.family == Family.LOGNORMAL:
            return np.exp(y)
        if self.family == Family.LOGITNORMAL:
            return special.expit(y)
        return np.expm1(y)

    def quantile(self, q: npt.ArrayLike) -> np.ndarray:
        """Exact quantiles (every family is monotone in ``z``)."""
        from scipy import special

        return self.transform(special.ndtri(q))

    @property
    def is_point(self) -> bool:
        return self.family not in (Family.UNIFORM, Family.TABLE) and self.b == 0.0

    def describe(self, unit: str = "") -> str:
        """Short human text, the 5th, 50th and 95th percentiles whatever the form: ``8.2``
        or ``lognormal, median 8.2, 90% in [7.1, 9.4]``."""
        u = f" {unit}" if unit else ""
        if self.is_point:
            return f"{_fmt(float(self.transform(0.0)))}{u}"
        lo, mid, hi = self.quantile([0.05, 0.5, 0.95])
        name = self.form or self.family.name.lower()
        return f"{name}, median {_fmt(mid)}, 90% in [{_fmt(lo)}, {_fmt(hi)}]{u}"


def _fmt(x: float) -> str:
    return f"{x:.4g}"


_PERCENT = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*%\s*")
#: the number fields of an input that may be written as a percent string ("39%")
PERCENT_FIELDS = ("value", "low", "high", "median", "mean", "mode")


def percent(text: object) -> float | None:
    """The fraction a percent string stands for (``"39%"`` -> 0.39), else None.

    Examples
    --------
    >>> percent("39%"), percent("-2.5 %"), percent("39"), percent(0.39)
    (0.39, -0.025, None, None)
    """
    if not isinstance(text, str):
        return None
    m = _PERCENT.fullmatch(text)
    if m is None:
        return None
    # divide the decimal text, not the float: "39%" is 0.39, not 0.39000000000000001
    return _decimal_fraction(m[1])


def _decimal_fraction(text: str) -> float:
    from decimal import Decimal

    return float(Decimal(text) / 100)


def from_percent(value: object) -> object:
    """``"39%"`` -> 0.39; anything else unchanged (a pydantic before-validator).

    Examples
    --------
    >>> from_percent("25%"), from_percent(0.25), from_percent("abc")
    (0.25, 0.25, 'abc')
    """
    p = percent(value)
    return value if p is None else p


def _zero_spread_as_point(data: dict[str, Any]) -> dict[str, Any]:
    """``{ median = M, sigma = 0 }`` and ``{ mean = M, sd = 0 }`` are the point ``M``.

    Without this a zero-spread input was a distribution everywhere a check asked
    "is this a single number?" (a CAGR that drives outcomes, a projection...).
    """
    form = set(data) & {"value", "low", "high", "median", "sigma", "mean", "sd", "dist"}
    for centre, spread, dists in (
        ("median", "sigma", (None, "lognormal", "logitnormal")),
        ("mean", "sd", ("normal",)),
    ):
        if form - {"dist"} == {centre, spread} and data.get("dist") in dists:
            c, s = data[centre], data[spread]
            if _real(c) and _real(s) and s == 0:
                rest = {k: v for k, v in data.items() if k not in form}
                return {"value": c, **rest}
    return data


def _real(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_FORMS = (
    'a number, a percent string ("39%", for rates, probabilities and shares), { value = X }, a 90% '
    "interval { low = A, high = B }, { median = M, sigma = S } (S is the SD on the log or logit scale), "
    'or a named distribution: { dist = "normal", mean, sd }, { dist = "lognormal", median, sigma }, '
    '{ dist = "logitnormal", median, sigma }, { dist = "uniform", low, high }, '
    '{ dist = "triangular", low, mode, high }, { dist = "pert", low, mode, high } (optional lambda, default 4), '
    '{ dist = "beta", alpha, beta } or { dist = "beta", mean, sd }, { dist = "gamma", mean, sd }, '
    '{ dist = "discrete", values = [...], probabilities = [...] }, '
    '{ dist = "mixture", components = [{...}, {...}], weights = [...] }, '
    '{ dist = "samples", file = "x.csv", column = "..." }'
)
TableForm = Literal["triangular", "pert", "beta", "gamma", "discrete", "mixture", "samples"]


class Quantity(BaseModel):
    """An input that may be uncertain, with its provenance.

    Write it as a plain number, ``{ value = 8.2, source = "..." }``, a 90% interval
    ``{ low = 0.30, high = 0.48 }`` (lognormal for positive quantities,
    logit-normal for probabilities and shares, lognormal in 1 + rate for growth
    rates, unless ``dist`` says otherwise), or a named distribution: normal,
    lognormal, logit-normal, uniform, or one of the tabulated forms of
    :mod:`forecast.scenario.distributions` (triangular, PERT, beta, gamma, discrete,
    mixture, samples from a CSV column).

    Examples
    --------
    >>> Quantity(low=2.0, high=8.0).canonical("positive").family.name
    'LOGNORMAL'
    """

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, frozen=True, strict=True, populate_by_name=True
    )

    value: float | None = None
    low: float | None = None
    high: float | None = None
    dist: Literal["normal", "lognormal", "logitnormal", "uniform"] | TableForm | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sigma: float | None = None
    mode: float | None = Field(default=None, description="triangular and PERT: the most likely value")
    lambda_: float | None = Field(default=None, alias="lambda", description="PERT: weight of the mode (4)")
    alpha: float | None = Field(default=None, description="beta: first shape")
    beta: float | None = Field(default=None, description="beta: second shape")
    values: list[float] | None = Field(default=None, max_length=10_000, description="discrete: the values")
    probabilities: list[float] | None = Field(default=None, max_length=10_000, description="discrete")
    components: list[Quantity] | None = Field(default=None, max_length=100, description="mixture")
    weights: list[float] | None = Field(default=None, max_length=100, description="mixture")
    file: str | None = Field(default=None, max_length=1024, description="samples: a CSV file")
    column: str | None = Field(default=None, max_length=200, description="samples: its column")
    source: str | None = Field(default=None, max_length=10_000)
    note: str | None = Field(default=None, max_length=10_000)
    # which number fields were written as percent strings: a size of "39%" or a bare
    # CAGR of 39 are typos only the written form tells apart
    _percent: frozenset[str] = PrivateAttr(default=frozenset())

    @model_validator(mode="wrap")
    @classmethod
    def _from_number(cls, data: object, handler: ValidatorFunctionWrapHandler) -> Quantity:
        written: set[str] = set()
        if percent(data) is not None:
            data, written = {"value": percent(data)}, {"value"}
        # bool is an int in Python, but `size = true` is a mistake, not the number 1
        elif _real(data):
            data = {"value": data}
        elif isinstance(data, dict):
            data = dict(data)
            for k in PERCENT_FIELDS:
                p = percent(data.get(k))
                if p is not None:
                    data[k] = p
                    written.add(k)
            data = _zero_spread_as_point(data)
            written &= set(data)
        elif not isinstance(data, Quantity):
            raise ValueError(f"must be a number or a table: {_FORMS}")
        out = handler(data)
        if written:
            out._percent = frozenset(written)
        return out

    @property
    def percent_fields(self) -> frozenset[str]:
        """The number fields written as percent strings (``"39%"``)."""
        return self._percent

    @property
    def is_point(self) -> bool:
        """A single number: no spread (a ``{ median, sigma = 0 }`` is one too)."""
        return self.value is not None

    @model_validator(mode="after")
    def _one_form(self) -> Quantity:
        given = {
            k
            for k in ("value", "low", "high", "mean", "sd", "median", "sigma")
            if getattr(self, k) is not None
        }
        d = self.dist
        if d is None and given == {"value"}:
            return self
        if d in TABLE_FORMS:
            from forecast.scenario.distributions import form_problem

            problem = form_problem(self)
            if problem:
                raise ValueError(problem)
            return self
        if {k for k in TABLE_PARAMS if getattr(self, k) is not None}:
            raise ValueError(f"give exactly one form: {_FORMS} (got keys {sorted(self.model_fields_set)})")
        if given == {"low", "high"} and d in (None, "normal", "lognormal", "logitnormal", "uniform"):
            assert self.low is not None and self.high is not None
            if self.low >= self.high:
                raise ValueError(f"low must be < high (got low={self.low}, high={self.high})")
            return self
        if d == "normal" and given == {"mean", "sd"}:
            assert self.sd is not None
            if self.sd < 0:
                raise ValueError(f"sd must be >= 0 (got {self.sd})")
            return self
        if d in (None, "lognormal", "logitnormal") and given == {"median", "sigma"}:
            assert self.sigma is not None and self.median is not None
            if self.sigma < 0:
                raise ValueError(f"sigma must be >= 0 (got {self.sigma})")
            if d is not None and (self.median <= 0 or (d == "logitnormal" and self.median >= 1)):
                raise ValueError(f"median out of range for {d} (got {self.median})")
            return self
        raise ValueError(f"give exactly one form: {_FORMS} (got keys {sorted(given)})")

    @property
    def is_assumption(self) -> bool:
        """True unless a ``source`` is given that is not itself an assumption."""
        return not self.source or self.source.lower().startswith("assumption")

    def canonical(self, domain: Domain) -> Canonical:
        """The ``(family, a, b)`` form, defaulting the family by ``domain``."""
        if self.value is not None:
            return Canonical(Family.NORMAL, float(self.value), 0.0)
        if self.dist in TABLE_FORMS:
            return _table_canonical(self, domain)
        if self.dist == "uniform":
            assert self.low is not None and self.high is not None
            return Canonical(Family.UNIFORM, self.low, self.high)
        if self.low is not None and self.high is not None:
            fam = _DEFAULT_FAMILY[domain] if self.dist is None else _NAMED[self.dist]
            lo, hi = _forward(fam, self.low), _forward(fam, self.high)
            return Canonical(fam, (lo + hi) / 2, (hi - lo) / (2 * Z90))
        if self.dist == "normal":
            assert self.mean is not None and self.sd is not None
            return Canonical(Family.NORMAL, self.mean, self.sd)
        assert self.median is not None and self.sigma is not None
        fam = _DEFAULT_FAMILY[domain] if self.dist is None else _NAMED[self.dist]
        return Canonical(fam, _forward(fam, self.median), self.sigma)

    def recentred(self, centre: float, domain: Domain) -> dict[str, Any]:
        """This input's form with its median moved to ``centre`` and its spread kept.

        What a bare number means in a what-if (``--set``, a sweep grid,
        ``with_overrides``, the page): "what if the CAGR were 30%" moves the centre; a
        point is ``point:0.30`` or ``{ value = 0.30 }``. The spread is kept on the scale
        the form is defined on (the log scale of a lognormal, the width of a uniform). A
        form that cannot be moved there refuses, naming ``point:``.

        Examples
        --------
        >>> Quantity(median=0.39, sigma=0.08).recentred(0.30, "growth")
        {'median': 0.3, 'sigma': 0.08}
        >>> Quantity(dist="uniform", low=1.0, high=3.0).recentred(4.0, "real")
        {'low': 3.0, 'high': 5.0, 'dist': 'uniform'}
        """
        if not _in_domain(centre, domain):
            # no form can be centred there: the number, which validation then refuses
            # with the message `forecast validate` gives ("must be > 0 (got -3)")
            return {"value": centre}
        form = self._recentred_form(centre, domain)
        if form is None:
            raise ValueError(
                f"a bare number moves this input's centre and keeps its spread, and this "
                f"{self.canonical_name(domain)} cannot be centred on {centre:g}: write "
                f"point:{centre:g} for a single number, or give the whole form"
            )
        return form

    def canonical_name(self, domain: Domain) -> str:
        """The distribution's name as a reader knows it (``lognormal``, ``uniform``)."""
        try:
            return f"{self.canonical(domain).family.name.lower()} distribution"
        except (ValueError, OverflowError):
            return "distribution"

    def _recentred_form(self, centre: float, domain: Domain) -> dict[str, Any] | None:
        """:meth:`recentred`'s work, one branch per form; None when the form cannot be
        moved to ``centre`` (a new form that says nothing here refuses)."""
        form = self.model_dump(exclude_none=True, exclude={"source", "note"})
        if self.value is not None:
            return {"value": centre}
        if self.dist in TABLE_FORMS:  # triangular, PERT, ...: moved by its median's change
            from forecast.scenario.distributions import shifted

            return shifted(form, centre - self.canonical(domain).a)  # None for samples
        if self.median is not None:  # {median, sigma}, lognormal or logitnormal
            fam = _DEFAULT_FAMILY[domain] if self.dist is None else _NAMED[self.dist]
            return {**form, "median": centre} if _link_reaches(fam, centre) else None
        if self.mean is not None:  # normal
            return {**form, "mean": centre}
        if self.low is None or self.high is None:
            return None
        c = self.canonical(domain)
        if c.family == Family.UNIFORM:
            shift = centre - (c.a + c.b) / 2
            return {**form, "low": self.low + shift, "high": self.high + shift}
        if not _link_reaches(c.family, centre):
            return None
        low, high = Canonical(c.family, _forward(c.family, centre), c.b).quantile([0.05, 0.95])
        return {**form, "low": float(low), "high": float(high)}

    def domain_problems(self, domain: Domain) -> list[str]:
        """Why this input does not fit ``domain`` (empty when it does)."""
        if self.dist in TABLE_FORMS:
            return _table_domain_problems(self, domain)
        if self.low is not None and self.high is not None:
            fam = _DEFAULT_FAMILY[domain] if self.dist is None else _NAMED[self.dist]
            bad = [v for v in (self.low, self.high) if not _in_domain(v, domain)]
            if not bad and domain == "unit" and not _family_fits(fam, self.low, self.high):
                # 0 and 1 are shares, but no 90% interval of a logit-normal ends there
                return [
                    f"a 90% interval of a share must lie strictly between 0 and 1 (got low={self.low}, "
                    f'high={self.high}); for a share that can be 0 or 1, use dist = "pert" or "triangular"'
                ]
            if bad or not _family_fits(fam, self.low, self.high):
                hint = self._percent_hint(domain, {"low": self.low, "high": self.high})
                return [f"must be {_DOMAIN_TEXT[domain]}{hint} (got low={self.low}, high={self.high})"]
        if self.median is not None and self.dist is None and not _in_domain(self.median, domain):
            hint = self._percent_hint(domain, {"median": self.median})
            return [f"median must be {_DOMAIN_TEXT[domain]}{hint} (got {self.median})"]
        try:
            c = self.canonical(domain)
        except (ValueError, OverflowError):
            return [f"must be {_DOMAIN_TEXT[domain]}"]
        if c.is_point:
            # transform, not c.a: for a {median, sigma = 0} input c.a is on the log or
            # logit scale, and log(0.5) < 0 is no reason to reject a median of 0.5
            v = float(c.transform(0.0))
            if _in_domain(v, domain):
                return []
            return [f"must be {_DOMAIN_TEXT[domain]}{self._percent_hint(domain, {'value': v})} (got {v:g})"]
        # a huge spread overflows to inf, which _in_domain rejects; numpy's overflow
        # warning would only be noise in front of that message
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            lo, hi = (float(x) for x in c.transform(np.array([-TAIL_Z, TAIL_Z])))
        if not (_in_domain(lo, domain) and _in_domain(hi, domain)):
            default = _DEFAULT_FAMILY[domain]
            if c.family == default or domain == "real":
                hint = "; narrow its spread"
            elif domain == "growth":
                hint = "; drop dist (1 + rate is lognormal by default)"
            else:
                hint = f'; use dist = "{default.name.lower()}"'
            return [
                f"must be {_DOMAIN_TEXT[domain]}, but this {c.family.name.lower()} "
                f"distribution reaches [{lo:.4g}, {hi:.4g}] within {TAIL_Z:g} SD{hint}"
            ]
        return []

    def _percent_hint(self, domain: Domain, values: dict[str, float]) -> str:
        """``; did you mean 0.4 (40%)?`` when a probability or share looks like a percent."""
        if domain != "unit":
            return ""
        # from 2: a probability of 1.4 is more likely a slip than 1.4%
        return percent_hint(values, self._percent, lambda v: 2 <= v <= 100)


def percent_hint(values: dict[str, float], written: frozenset[str], typo: Any) -> str:
    """``; did you mean 0.39 (39%)?`` for the numbers among ``values`` that look like a
    percent typed as a fraction (``typo(v)`` true and not written as ``"39%"``).

    Examples
    --------
    >>> percent_hint({"value": 39.0}, frozenset(), lambda v: v >= 1)
    '; did you mean 0.39 (39%)?'
    >>> percent_hint({"low": 25.0, "high": 60.0}, frozenset(), lambda v: v >= 1)
    '; did you mean low = 0.25, high = 0.6 (25% to 60%)?'
    """
    bad = {k: v for k, v in values.items() if k not in written and typo(v)}
    # only when every number reads as a percent: { low = 0.5, high = 1.2 } is no typo of
    # { low = 0.005, high = 0.012 }
    if not bad or len(bad) < len(values):
        return ""
    if list(bad) == ["value"] or len(values) == 1:
        (v,) = bad.values()
        return f"; did you mean {_decimal_fraction(repr(v)):g} ({v:g}%)?"
    fixed = {k: (_decimal_fraction(repr(v)) if k in bad else v) for k, v in values.items()}
    text = ", ".join(f"{k} = {v:g}" for k, v in fixed.items())
    return f"; did you mean {text} ({' to '.join(f'{100 * v:g}%' for v in fixed.values())})?"


_NAMED: dict[str, Family] = {
    "normal": Family.NORMAL,
    "lognormal": Family.LOGNORMAL,
    "logitnormal": Family.LOGITNORMAL,
    "uniform": Family.UNIFORM,
}


def _forward(fam: Family, x: float) -> float:
    """Inverse of the family's link: the value on the normal scale."""
    if fam == Family.LOGNORMAL:
        return math.log(x)
    if fam == Family.LOGITNORMAL:
        return math.log(x / (1 - x))
    if fam == Family.GROWTH:
        return math.log1p(x)
    return x


def _link_reaches(fam: Family, x: float) -> bool:
    """Whether the family's values include ``x`` as a median (a lognormal's never 0)."""
    if not math.isfinite(x):
        return False
    return _family_fits(fam, x, x)


def _family_fits(fam: Family, lo: float, hi: float) -> bool:
    if fam == Family.LOGNORMAL:
        return lo > 0
    if fam == Family.LOGITNORMAL:
        return lo > 0 and hi < 1
    if fam == Family.GROWTH:
        return lo > -1
    return True


def _in_domain(v: float, domain: Domain) -> bool:
    if not math.isfinite(v):
        return False
    if domain == "positive":
        return v > 0
    if domain == "unit":
        return 0 <= v <= 1
    if domain == "growth":
        return v > -1
    return True


TABLE_FORMS = ("triangular", "pert", "beta", "gamma", "discrete", "mixture", "samples")
TABLE_PARAMS = ("mode", "lambda_", "alpha", "beta", "values", "probabilities", "components", "weights",
                "file", "column")  # fmt: skip


def _table_canonical(q: Quantity, domain: Domain) -> Canonical:
    """The ``TABLE`` canonical form of a triangular, PERT, ... input (``a`` = its median)."""
    from forecast.scenario.distributions import evaluate, shape_of, table

    row = table(shape_of(q, domain))
    return Canonical(Family.TABLE, float(evaluate(row, 0.0)), 1.0, row, str(q.dist))


def _table_domain_problems(q: Quantity, domain: Domain) -> list[str]:
    """A table form's support against ``domain``: its lowest and highest values."""
    from forecast.scenario.distributions import Z_MAX

    try:
        c = q.canonical(domain)
    except (ValueError, ArithmeticError) as e:
        return [f"cannot tabulate this {q.dist} distribution: {e}"]
    lo, hi = (float(x) for x in c.transform(np.array([-Z_MAX - 1, Z_MAX + 1])))
    if _in_domain(lo, domain) and _in_domain(hi, domain):
        return []
    if q.dist == "discrete" and q.values:
        values = {f"values[{i}]": v for i, v in enumerate(q.values) if not _in_domain(v, domain)}
        hint = percent_hint(values, frozenset(), lambda v: 2 <= v <= 100) if domain == "unit" else ""
        return [
            f"must be {_DOMAIN_TEXT[domain]}, but this discrete distribution takes {sorted(set(values.values()))}{hint}"
        ]
    from forecast.scenario.distributions import shape_of

    pieces = shape_of(q, domain).pieces  # its support, not the table's +-6 SD ends
    lo, hi = min(p[0] for p in pieces), max(p[1] for p in pieces)
    return [f"must be {_DOMAIN_TEXT[domain]}, but this {q.dist} distribution reaches [{lo:.4g}, {hi:.4g}]"]
