"""Short text and HTML views for notebooks: what a cell that ends in a scenario (or a
forecast) shows. Plain Python, no pandas; every piece of text from a file is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecast.scenario.inputs import Quantity
    from forecast.scenario.schema import Scenario

#: items shown per line of a text repr before "..."
TEXT_ITEMS = 4


def number(x: float) -> str:
    """Four significant digits, no exponent for everyday sizes.

    Examples
    --------
    >>> number(8.2), number(22.123456), number(0.00012345)
    ('8.2', '22.12', '0.0001234')
    """
    return f"{x:.4g}"


def written(q: Quantity | None, unit: str = "") -> str:
    """An input the way the file states it: ``8.2``, ``7 to 9.5 (90%)``, ...

    Examples
    --------
    >>> from forecast.scenario.inputs import Quantity
    >>> written(Quantity(value=8.2), "USD bn"), written(Quantity(low=0.3, high=0.48))
    ('8.2 USD bn', '0.3 to 0.48 (90%)')
    >>> written(Quantity(median=0.39, sigma=0.1))
    'median 0.39, sigma 0.1'
    """
    if q is None:
        return ""
    u = f" {unit}" if unit else ""
    if q.value is not None:
        return f"{number(q.value)}{u}"
    if q.low is not None and q.high is not None:
        kind = f"{q.dist} " if q.dist == "uniform" else ""
        tail = "" if q.dist == "uniform" else " (90%)"
        return f"{kind}{number(q.low)} to {number(q.high)}{u}{tail}"
    if q.median is not None and q.sigma is not None:
        return f"median {number(q.median)}{u}, sigma {number(q.sigma)}"
    if q.mean is not None and q.sd is not None:
        return f"normal, mean {number(q.mean)}{u}, sd {number(q.sd)}"
    return "?"


def listing(items: Sequence[str], limit: int = TEXT_ITEMS) -> str:
    """``a, b, c, ...`` with at most ``limit`` items.

    Examples
    --------
    >>> listing(["a", "b", "c"], limit=2)
    'a, b, ... (3 in all)'
    """
    shown = list(items[:limit])
    more = f", ... ({len(items)} in all)" if len(items) > limit else ""
    return ", ".join(shown) + more


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] = ()) -> str:
    """A small escaped HTML table; ``numeric`` right-aligns columns.

    Examples
    --------
    >>> html_table(["id", "p"], [["<b>", "40%"]], [False, True])
    '<table><thead><tr><th style="text-align:left">id</th><th style="text-align:right">p</th></tr></thead><tbody><tr><td style="text-align:left">&lt;b&gt;</td><td style="text-align:right">40%</td></tr></tbody></table>'
    """
    align = [("right" if i < len(numeric) and numeric[i] else "left") for i in range(len(columns))]
    head = "".join(
        f'<th style="text-align:{a}">{html.escape(str(c))}</th>' for c, a in zip(columns, align, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{a}">{html.escape(str(v))}</td>' for v, a in zip(row, align, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(title: str, content: str, open_: bool = True) -> str:
    """A collapsible block (``<details>``) with an escaped title."""
    state = " open" if open_ else ""
    return f"<details{state}><summary>{html.escape(title)}</summary>{content}</details>"


def scenario_text(s: Scenario) -> str:
    """The text repr of a scenario: what it is and how much is in it."""
    counts = [
        _count(len(s.markets), "market"),
        _count(len(s.assessment.outcomes), "outcome") if s.assessment else "no outcomes",
        _count(len(s.positions), "position"),
        _count(len(s.predictions), "prediction"),
        _count(len(s.signposts), "signpost"),
        _count(len(s.evidence), "evidence entry", "evidence entries") if s.evidence else "no evidence",
    ]
    lines = [
        f"<Scenario {s.id!r}: {s.title}, as of {s.as_of.isoformat()}>",
        ", ".join(counts),
        f"markets: {listing([m.id for m in s.markets])}",
    ]
    if s.assessment:
        stated = [f"{o.id} {_pct(o.probability.value)}" for o in s.assessment.outcomes]
        lines.append(f"outcomes in {number(s.assessment.horizon_years)} years: {listing(stated)}")
    lines.append(f"from {s.origin}")
    return "\n".join(lines)


def scenario_html(s: Scenario) -> str:
    """The notebook view of a scenario: title, counts, and its markets, outcomes and
    predictions as small tables."""
    parts = [
        f"<div><strong>Scenario</strong> <code>{html.escape(s.id)}</code>: {html.escape(s.title)}"
        f"<br><small>as of {s.as_of.isoformat()}; from {html.escape(s.origin)}</small></div>"
    ]
    rows = [[m.id, m.label, m.unit, m.base_year, written(m.size), written(m.cagr)] for m in s.markets]
    parts.append(
        section(
            "Markets",
            html_table(
                ["market", "label", "unit", "base year", "size", "CAGR"],
                rows,
                [False, False, False, True, True, True],
            ),
        )
    )
    if s.assessment:
        rows = [[o.id, o.label, written(o.probability)] for o in s.assessment.outcomes]
        title = f"Outcomes within {number(s.assessment.horizon_years)} years"
        parts.append(section(title, html_table(["outcome", "label", "stated"], rows, [False, False, True])))
    if s.predictions:
        rows = [[p.id, p.statement, p.deadline.isoformat()] for p in s.predictions]
        parts.append(section("Predictions", html_table(["id", "statement", "deadline"], rows), open_=False))
    return "".join(parts)


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _pct(x: float | None) -> str:
    return "?" if x is None else f"{100 * x:.3g}%"
