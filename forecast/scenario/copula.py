"""Rank correlation between uncertain inputs: ``[[correlation.pairs]]``.

A pair ``{ a = "markets.x.size", b = "positions.p.path[0].share", rank = 0.5 }`` asks
for a Spearman rank correlation between two inputs. It is applied by a Gaussian
copula on the inputs' own standard-normal latents (every input is ``x = F^-1(Phi(z))``
of its latent, :mod:`forecast.scenario.inputs`), so each marginal stays exactly as
stated: the latents get the Pearson correlation ``r = 2 sin(pi rank / 6)``, which
gives continuous inputs the rank correlation asked (a discrete input's ties lower
it; the report shows asked and achieved side by side).

How it composes with the structure already in the model: a pair acts on the inputs'
*own* latents. A market CAGR's own latent is its growth surprise beyond the common
growth factor (``h`` in :mod:`forecast.engine.data`), so two CAGRs correlate
``rho + (1 - rho) r`` on the normal scale (the pair is "beyond the common factor");
the common factor itself stays on the yearly shocks and the shared growth part. A
share point's own latent is its part beyond the position's persistence.

Which latent a key path names is decided in one place, :data:`RESOLVERS` (a prefix of
the key -> a function), so other kinds of inputs register there.

This module never imports PyMC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from forecast.errors import Problem

if TYPE_CHECKING:
    from forecast.scenario.schema import Scenario

PSD_TOLERANCE = 1e-10  # smallest eigenvalue accepted as >= 0
EIGEN_FLOOR = 1e-8  # a repaired matrix's smallest eigenvalue, so that Cholesky exists


class Pair(BaseModel):
    """A rank (Spearman) correlation between two uncertain inputs, by key path."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)

    a: str = Field(max_length=300, description="key path of an uncertain input, e.g. markets.x.size")
    b: str = Field(max_length=300, description="key path of another uncertain input")
    rank: float = Field(ge=-1, le=1, description="Spearman rank correlation, -1 to 1")
    source: str | None = Field(default=None, max_length=10_000)


@dataclass(frozen=True)
class Latent:
    """Which standard-normal latent a key path names: its block and index in it.

    ``base`` latents are in the inference model (``[z_size, z_growth, z_volatility]``,
    one per market each); ``share`` latents are the share points' own parts.
    """

    block: Literal["base", "share", "input"]
    index: int


def pearson(rank: float | np.ndarray) -> Any:
    """Pearson correlation of a Gaussian copula with Spearman ``rank``.

    Examples
    --------
    >>> round(pearson(0.5), 4)
    0.5176
    """
    return (
        2 * np.sin(np.pi * np.asarray(rank) / 6)
        if isinstance(rank, np.ndarray)
        else 2 * math.sin(math.pi * rank / 6)
    )


def spearman(r: float | np.ndarray) -> Any:
    """Spearman rank correlation of a Gaussian copula with Pearson ``r`` (inverse of :func:`pearson`)."""
    return 6 / np.pi * np.arcsin(np.asarray(r) / 2)


def _market_latent(s: Scenario, parts: list[str]) -> Latent | str:
    ids = [m.id for m in s.markets]
    if len(parts) != 3 or parts[1] not in ids:
        return f"no market input {'.'.join(parts)!r}: use markets.<id>.size, .cagr or .volatility"
    m, what, n = s.market(parts[1]), parts[2], len(ids)
    i = ids.index(parts[1])
    if what == "size":
        return (
            Latent("base", i)
            if not m.size.canonical("positive").is_point
            else "is a single number, not uncertain"
        )
    if what == "cagr":
        return (
            Latent("base", n + i)
            if m.growth()[1] > 0
            else "has no growth uncertainty (a point cagr and projection)"
        )
    if what == "volatility":
        vol = m.volatility
        return Latent("base", 2 * n + i) if not vol.is_point else "is a single number, not uncertain"
    return f"names no uncertain market input {what!r}: use size, cagr or volatility"


_PATH_POINT = re.compile(r"path\[(\d+)\]")


def _share_latent(s: Scenario, parts: list[str]) -> Latent | str:
    ids = [p.id for p in s.positions]
    m = _PATH_POINT.fullmatch(parts[2]) if len(parts) == 4 else None
    if m is None or parts[1] not in ids or parts[3] != "share":
        return f"no share point {'.'.join(parts)!r}: use positions.<id>.path[<i>].share"
    first = sum(len(p.path) for p in s.positions[: ids.index(parts[1])])
    path = s.position(parts[1]).path
    j = int(m[1])
    if j >= len(path):
        return f"position {parts[1]!r} has {len(path)} path points (got path[{j}])"
    if path[j].share.canonical("unit").is_point:
        return "is a single number, not uncertain"
    return Latent("share", first + j)


def _input_latent(s: Scenario, parts: list[str]) -> Latent | str:
    ids = [i.id for i in s.inputs]
    if len(parts) not in (2, 3) or parts[1] not in ids or parts[2:] not in ([], ["value"]):
        return f"no named input {'.'.join(parts)!r}: use inputs.<id>"
    item = s.inputs[ids.index(parts[1])]
    if item.value.is_point:
        return "is a single number, not uncertain"
    return Latent("input", ids.index(parts[1]))


#: key prefix -> resolver: the one place a key path becomes a latent
RESOLVERS: dict[str, Callable[[Scenario, list[str]], Latent | str]] = {
    "markets": _market_latent,
    "positions": _share_latent,
    "inputs": _input_latent,
}
#: the blocks in the order the model builds their latents: a block's members are
#: mixed with the raw latents of the blocks before it (the Cholesky factor is lower
#: triangular), so each block is correlated where its latents are made
BLOCKS = ("base", "share", "input")


def latent_of(s: Scenario, key: str) -> Latent | str:
    """The latent a pair's key path names, or why it names none.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> latent_of(s, "markets.developer_tools.size")
    Latent(block='base', index=2)
    """
    parts = key.split(".")
    resolver = RESOLVERS.get(parts[0])
    if resolver is None:
        return f"must start with one of {', '.join(sorted(RESOLVERS))}"
    return resolver(s, parts)


@dataclass(frozen=True)
class Copula:
    """The correlated latents: members (key, latent), base first; the Cholesky factor."""

    keys: list[str]
    latents: list[Latent]
    asked: np.ndarray  # Spearman, as asked (identity where no pair)
    used: np.ndarray  # Pearson correlation of the latents (repaired when asked)
    chol: np.ndarray
    repaired: bool


def copula(s: Scenario) -> Copula:
    """The copula of a valid scenario (no pairs: empty)."""
    pairs = s.correlation.pairs
    found: dict[str, Latent] = {}
    for p in pairs:
        for key in (p.a, p.b):
            lat = latent_of(s, key)
            assert isinstance(lat, Latent)
            found.setdefault(key, lat)
    keys = sorted(found, key=lambda k: (BLOCKS.index(found[k].block), found[k].index))
    n = len(keys)
    asked = np.eye(n)
    for p in pairs:
        i, j = keys.index(p.a), keys.index(p.b)
        asked[i, j] = asked[j, i] = p.rank
    r = pearson(asked)
    np.fill_diagonal(r, 1.0)
    repaired = n > 0 and float(np.linalg.eigvalsh(r).min()) < -PSD_TOLERANCE
    used = nearest_correlation(r) if repaired else r
    chol = np.linalg.cholesky(_floor(used)) if n else np.zeros((0, 0))
    return Copula(keys, [found[k] for k in keys], asked, used, chol, repaired)


def _floor(c: np.ndarray) -> np.ndarray:
    """``c`` with eigenvalues at least :data:`EIGEN_FLOOR`, unit diagonal again."""
    w, v = np.linalg.eigh(c)
    out = (v * np.maximum(w, EIGEN_FLOOR)) @ v.T
    d = np.sqrt(np.diag(out))
    return out / d[:, None] / d[None, :]


def nearest_correlation(a: np.ndarray, tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    """Higham's (2002) nearest correlation matrix: alternating projections with
    Dykstra's correction onto the PSD cone and the unit-diagonal matrices.

    Examples
    --------
    >>> a = np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    >>> bool(np.linalg.eigvalsh(nearest_correlation(a)).min() > -1e-9)
    True
    """
    y = np.array(a, dtype=float)
    ds = np.zeros_like(y)
    for _ in range(max_iter):
        r = y - ds
        w, v = np.linalg.eigh(r)
        x = (v * np.maximum(w, 0.0)) @ v.T
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        done = np.linalg.norm(y_new - y) <= tol * max(1.0, np.linalg.norm(y))
        y = y_new
        if done:
            break
    return (y + y.T) / 2


def copula_problems(s: Scenario, origin: str) -> list[Problem]:
    """Pairs naming no uncertain input, the same input twice or one pair twice, and a
    matrix that is not positive semidefinite (unless ``repair = true``)."""
    out: list[Problem] = []
    seen: set[frozenset[str]] = set()
    ok = True
    for i, p in enumerate(s.correlation.pairs):
        path = f"correlation.pairs[{i}]"
        for side, key in (("a", p.a), ("b", p.b)):
            lat = latent_of(s, key)
            if isinstance(lat, str):
                out.append(Problem(origin, f"{path}.{side}", lat, key, True))
                ok = False
        if latent_of(s, p.a) == latent_of(s, p.b):
            out.append(Problem(origin, f"{path}.b", "names the same input as a", p.b, True))
            ok = False
        if frozenset((p.a, p.b)) in seen:
            out.append(Problem(origin, path, "repeats an earlier pair", f"{p.a} ~ {p.b}", True))
            ok = False
        seen.add(frozenset((p.a, p.b)))
    if not ok or not s.correlation.pairs:
        return out
    c = copula(s)
    if c.repaired and not s.correlation.repair:
        near = spearman(c.used)
        entries = ", ".join(
            f"{c.keys[i]} ~ {c.keys[j]}: {near[i, j]:.3f}"
            for i in range(len(c.keys))
            for j in range(i)
            if abs(c.asked[i, j]) > 0 or abs(near[i, j]) > 5e-4
        )
        out.append(
            Problem(
                origin,
                "correlation.pairs",
                "the rank correlations asked are not consistent (the matrix is not positive "
                f"semidefinite); the nearest consistent ranks are {entries}: write those, or set "
                "correlation.repair = true to use them",
            )
        )
    return out


def stepped_problems(s: Scenario, origin: str) -> list[Problem]:
    """A discrete (stepped) market input where evidence needs NUTS: a step has no
    gradient, so the sampler could not move it between its values."""
    if not s.evidence:
        return []
    from forecast.scenario.distributions import has_steps
    from forecast.scenario.inputs import Family

    out: list[Problem] = []
    for m in s.markets:
        for what, q, domain in (("size", m.size, "positive"), ("volatility", m.volatility, "positive")):
            if q.dist is None or q.domain_problems(domain):  # type: ignore[arg-type]
                continue
            c = q.canonical(domain)  # type: ignore[arg-type]
            if c.family == Family.TABLE and c.table is not None and has_steps(c.table):
                out.append(
                    Problem(
                        origin,
                        f"markets.{m.id}.{what}",
                        f"is {q.dist} with separate values, and the evidence on this scenario is "
                        "weighed by NUTS, which needs a smooth input (a step has no gradient): use a "
                        "continuous form (pert, triangular, ...) or drop the evidence",
                    )
                )
    s_corr = s.correlation.common_factor
    if s_corr.dist in ("discrete", "mixture", "samples"):
        out.append(
            Problem(
                origin, "correlation.common_factor", "must be continuous where evidence is weighed by NUTS"
            )
        )
    return out


def between_problems(pr: Any, path: str, origin: str) -> list[Problem]:
    """A ``between`` prediction needs ``low < high`` and no ``threshold``; ``low`` and
    ``high`` belong to ``between`` only."""
    if pr.op != "between":
        return [Problem(origin, path, 'low and high belong to op = "between"; use threshold with >= or <=')]
    if pr.low is None or pr.high is None or pr.threshold is not None:
        return [Problem(origin, path, 'op = "between" takes low and high (and no threshold)')]
    if not pr.low < pr.high:
        return [Problem(origin, f"{path}.high", f"must be above low {pr.low:g}", pr.high)]
    if pr.quantity.startswith("share.") and not (pr.low >= 0 and pr.high <= 1):
        return [Problem(origin, path, "a share range must lie between 0 and 1", f"{pr.low:g} to {pr.high:g}")]
    return []
