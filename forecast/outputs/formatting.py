"""Presentation primitives shared by every report: number formats, tables, templates.

Numbers are shown with :func:`sig` (3 significant figures); probabilities as
percentages with 3 significant figures (:func:`pct`); Monte Carlo standard errors
in percentage points with 2 (:func:`pp`). Text from a scenario is escaped where it
lands: HTML by jinja2's autoescape, Markdown by :func:`md_cell`.
"""

from __future__ import annotations

import base64
import math
import platform
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecast.scenario import Scenario

#: Content-Security-Policy of report.html: images only from data: URIs, inline
#: styles, and nothing else (no scripts, fonts, frames, fetches or form posts)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

#: Packages whose versions the report and manifest record
VERSIONED = ("forecast", "pymc", "pytensor", "arviz", "arviz-base", "arviz-stats", "numpy", "nutpie", "numba")

DASH = "–"  # en dash between interval bounds


# --- number formatting --------------------------------------------------------------


def sig(x: Any, digits: int = 3) -> str:
    """``x`` rounded to ``digits`` significant figures, without an exponent between
    1e-9 and 1e15 (beyond, a float's own digits would show: ``5.80e+37``).

    Examples
    --------
    >>> [sig(v) for v in (22.093, 0.040573, 127.84, 1234.0, 99.96, 0, -3.14159, 5.8e37)]
    ['22.1', '0.0406', '128', '1,230', '100', '0', '-3.14', '5.80e+37']
    """
    if x is None:
        return DASH
    x = float(x)
    if not math.isfinite(x):
        return DASH
    if x == 0:
        return "0"
    if not 1e-9 <= abs(float(f"{x:.{digits - 1}e}")) < 1e15:
        return f"{x:.{digits - 1}e}"
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    r = round(x, decimals)
    if r != 0:
        # rounding can add a digit (99.96 -> 100.0): count decimals from the result
        decimals = digits - 1 - math.floor(math.log10(abs(r)))
        r = round(x, decimals)
    return f"{r:,.{max(decimals, 0)}f}"


def pct(p: Any, digits: int = 3) -> str:
    """A probability as a percentage with ``digits`` significant figures.

    Examples
    --------
    >>> pct(0.401266), pct(0.0404), pct(1.0)
    ('40.1%', '4.04%', '100%')
    """
    s = sig(None if p is None else 100 * float(p), digits)
    return s if s == DASH else f"{s}%"


def pp(se: Any) -> str:
    """A Monte Carlo standard error of a probability, in percentage points (2 s.f.).

    Examples
    --------
    >>> pp(0.003444)
    '0.34 pp'
    """
    s = sig(None if se is None else 100 * float(se), 2)
    return s if s == DASH else f"{s} pp"


def mc_error(p: Any, se: Any, *, sign: bool = True) -> str:
    """The Monte Carlo error of a probability ``p`` estimated from draws.

    ``± x pp`` in general (``x pp`` with ``sign=False``, for a column of errors); when
    every draw agreed (``p`` is 0 or 1) the error is not 0 but the rule-of-three
    bound the tables carry (:func:`forecast.analysis.results.mcse_floor`), shown as
    such.

    Examples
    --------
    >>> mc_error(0.4, 0.003444), mc_error(0.4, 0.003444, sign=False), mc_error(0.0, 0.00015)
    ('± 0.34 pp', '0.34 pp', '< 3/n = 0.015 pp')
    """
    if p is not None and math.isfinite(float(p)) and float(p) in (0.0, 1.0):
        return f"< 3/n = {pp(se)}"
    return f"± {pp(se)}" if sign else pp(se)


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, singular for one and plural (an ``s``) otherwise.

    Examples
    --------
    >>> count(1, "case"), count(2, "case"), count(1500, "draw")
    ('1 case', '2 cases', '1,500 draws')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def figure_text(text: str, width: int) -> str:
    """A scenario's text as figure text: on lines of ``width`` characters (a title or
    label must not run off the figure), ``$`` escaped (matplotlib reads text between two
    ``$`` as mathematics; a name is the scenario's text, never markup).

    Examples
    --------
    >>> print(figure_text("Cost in $m, from $low", 12))
    Cost in \\$m,
    from \\$low
    """
    return (textwrap.fill(text, width) or text).replace("$", r"\$")


def deadline_words(judged: str, deadline: Any) -> str:
    """How a prediction is judged against its deadline, in words.

    Examples
    --------
    >>> deadline_words("by", "2026-07-01"), deadline_words("at", "2026-07-01")
    ('by 2026-07-01', 'on 2026-07-01')
    """
    return f"{'on' if judged == 'at' else 'by'} {deadline}"


def interval(lo: Any, hi: Any, f: Any = sig) -> str:
    """``lo–hi`` formatted with ``f``.

    Examples
    --------
    >>> interval(12.796, 37.95)
    '12.8–38.0'
    >>> interval(-0.095, -0.064, pct)
    '-9.50% to -6.40%'
    """
    a, b = f(lo), f(hi)
    # "-9.50%–-6.40%" reads as a range to a negative dash; words keep the signs apart
    return f"{a} to {b}" if a.startswith("-") or b.startswith("-") else f"{a}{DASH}{b}"


# --- what templates render -----------------------------------------------------------


@dataclass
class Table:
    """A table of formatted cells, rendered identically in HTML and Markdown."""

    id: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns
    caption: str = ""


@dataclass
class Figure:
    """A figure with its file (for Markdown) and data URI (for HTML)."""

    key: str
    file: str
    title: str
    caption: str
    uri: str


@dataclass
class Block:
    """A titled part of a section: text, an optional figure, tables."""

    title: str
    id: str
    text: list[str] = field(default_factory=list)
    figure: Figure | None = None
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # after the tables: how it was computed


def environment(markdown: bool = False) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_cell
    return env


def md_cell(text: Any) -> str:
    r"""Text safe inside a Markdown table cell (and as inline Markdown).

    Escapes what would break a table or start markup; an underscore inside a word
    (``common_factor``) cannot start emphasis in CommonMark, so it stays readable.
    Text from a scenario never becomes a link, an image or a heading: brackets are
    escaped (``![t](http://evil.example/p.png)`` made a Markdown viewer fetch a
    remote image), so are the colon of a URL scheme and the dot of ``www.`` (bare
    URLs become links in GitHub's Markdown) and a leading ``#``, ``-``, ``+`` or
    ``1.``.

    Examples
    --------
    >>> md_cell("a|b *c* common_factor _x_")
    'a\\|b \\*c\\* common_factor \\_x\\_'
    >>> md_cell("![t](http://evil.example/p.png) www.x.org")
    '!\\[t\\](http\\://evil.example/p.png) www\\.x.org'
    """
    s = " ".join(str(text).split())
    for ch in ("\\", "|", "*", "`", "<", ">", "[", "]", "#"):
        s = s.replace(ch, "\\" + ch)
    s = re.sub(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//|[a-z0-9%])", r"\1\\:", s)  # http: javascript: data:
    s = re.sub(r"(?i)\bwww\.", r"www\\.", s)
    s = re.sub(r"^(\d*)([-+.)])(?=\s|$)", r"\1\\\2", s)  # a list marker, not -5% or 17.0
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", s)


def key_year(s: Scenario) -> int:
    """The year the headline numbers are for (:attr:`Scenario.headline_year`): the
    file's ``report.headline_year``, else the last stated projection year."""
    return s.headline_year


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers.

    Examples
    --------
    >>> sorted(package_versions())[:2]
    ['arviz', 'arviz-base']
    """
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return dict(sorted(out.items()))


def data_uri(path: Path) -> str:
    return png_uri(path.read_bytes())


def png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
