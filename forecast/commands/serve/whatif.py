"""The what-if page's inputs, independent of the web framework.

:func:`controls` lists the inputs of a scenario a strategist would move in a
meeting (each market's size and CAGR or projection centre, each outcome's stated
probability, the assessment confidence, each signpost's observed state, the
common-factor strength, the draws and the seed), each with its dotted key path,
the value the file states and its source. The page turns the controls that differ
from the file into an overrides mapping, and :meth:`Scenario.with_overrides`
applies it with the same rules as ``forecast run --set``.

:func:`child_toml` writes those overrides as a scenario file that ``extends`` the
served one, so ``forecast run`` of the saved file reproduces what the page showed.

Examples
--------
>>> import forecast
>>> s = forecast.load(forecast.bundled("deepseek"))
>>> c = next(c for c in controls(s) if c.key == "markets.developer_tools.cagr")
>>> c.value, c.group
(0.47, 'Markets: Developer Tools')
>>> rebalance({"a": 0.4, "b": 0.35, "c": 0.25}, "a", 0.5)
{'a': 0.5, 'b': 0.2917, 'c': 0.2083}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from forecast.errors import Problem, ScenarioError
from forecast.scenario import Quantity, Scenario
from forecast.scenario.merging import domain_at, merge_quantity

Kind = Literal["number", "integer", "observed"]

#: the first line of a file written by "Save as scenario": such a file may be replaced
SAVED_HEADER = "# A what-if saved by `forecast serve`"
#: observed states of a signpost, as the page names them
OBSERVED = {"unknown": None, "true": True, "false": False}


@dataclass(frozen=True)
class Control:
    """One input on the page.

    Attributes
    ----------
    key : str
        Dotted key path, as in ``--set`` and error messages.
    group : str
        Heading it is shown under (the file's sections, in the file's order).
    label : str
    kind : {"number", "integer", "observed"}
    value : float, int, bool or None
        What the served file states (the centre of an uncertain input).
    stated : str
        How the file states it (``lognormal, 90% in [2.63, 3.654] USD bn``).
    source : str
        Where the number comes from (empty for an assumption without a source).
    step : float or None
        Step of the field's arrows.
    form : mapping or None
        The input as the file writes it (``{ low, high }``, ...), without its source.
    domain : str
        What values it takes (``positive``, ``unit``, ``growth``), for :func:`to_override`.
    """

    key: str
    group: str
    label: str
    kind: Kind
    value: float | int | bool | None
    stated: str = ""
    source: str = ""
    step: float | None = None
    form: Mapping[str, Any] | None = None
    domain: str = ""

    @property
    def input_id(self) -> str:
        """An HTML-safe id for the field: the key with every other character as ``_``."""
        return "in_" + "".join(ch if ch.isalnum() else "_" for ch in self.key)

    def changed(self, value: Any) -> bool:
        """Whether ``value`` (from the page) differs from the file's."""
        if self.kind == "observed" or value is None or self.value is None:
            return value != self.value
        return not math.isclose(float(value), float(self.value), rel_tol=1e-12, abs_tol=1e-12)


def _centre(q: Quantity, domain: Any) -> float:
    """The number a bare override replaces: the value or median as written, else the
    distribution's median rounded to 4 significant figures."""
    if q.value is not None:
        return q.value
    if q.median is not None and q.sigma is not None:
        return q.median
    return float(f"{float(q.canonical(domain).quantile(0.5)):.4g}")


def _quantity(
    key: str, group: str, label: str, q: Quantity, domain: Any, unit: str = "", step: float = 0.01
) -> Control:
    return Control(
        key=key,
        group=group,
        label=label,
        kind="number",
        value=_centre(q, domain),
        stated=q.canonical(domain).describe(unit),
        source=q.source or "",
        step=step,
        form=q.model_dump(exclude_none=True, exclude={"source", "note"}),
        domain=domain,
    )


def to_override(c: Control, x: Any) -> Any:
    """The value :meth:`Scenario.with_overrides` gets when the page sets ``c`` to ``x``:
    ``x`` itself. The page moves an input's centre and keeps its spread, which is what a
    bare number means to ``--set`` for every form (:meth:`Quantity.recentred`), so the
    page, ``--set`` and a sweep grid give the same scenario for the same number.

    Examples
    --------
    >>> c = Control("k", "g", "l", "number", 0.25, form={"low": 0.15, "high": 0.35}, domain="growth")
    >>> to_override(c, 0.30)
    0.3
    """
    return x


#: most draws a page visitor may ask for by default: an interactive page answers in
#: seconds (``forecast serve --max-draws N`` sets another cap)
PAGE_DRAWS = 200_000


#: domains whose values are fractions: the page shows them as the file writes a percent
FRACTIONS = ("growth", "unit")


def as_file(c: Control, v: Any) -> str:
    """A control's value as the scenario file writes it: a rate, probability or share as
    a percent string (``"30%"``), anything else as it is.

    Examples
    --------
    >>> as_file(Control("m.cagr", "g", "l", "number", 0.47, domain="growth"), 0.1958)
    '19.58%'
    """
    if c.domain in FRACTIONS and isinstance(v, int | float) and not isinstance(v, bool):
        return f"{round(100 * v, 10):g}%"
    return _plain(v)


def change_note(c: Control, v: Any) -> str:
    """The note beside a changed field: ``30%, was 47%`` for a fraction (the field holds
    0.3), ``changed, was 2.63`` otherwise."""
    if c.domain in FRACTIONS:
        return f"{as_file(c, v)}, was {as_file(c, c.value)}"
    return f"changed, was {as_file(c, c.value)}"


def change_line(c: Control, v: Any) -> str:
    """A change in the page's list of what-if changes: ``47% → 30%``."""
    return f"{as_file(c, c.value)} → {as_file(c, v)}"


def from_page(c: Control, value: Any) -> Any:
    """A value as the page's websocket delivered it, made safe: a number field gets a
    finite number or None (shown as "enter a number", as for a typed one), an observed
    field one of its states; a crafted value (text, a list, a bool) is no crash.

    Examples
    --------
    >>> c = Control("k", "g", "l", "number", 0.25)
    >>> from_page(c, 0.3), from_page(c, "abc"), from_page(c, [1]), from_page(c, True)
    (0.3, None, None, None)
    """
    if c.kind == "observed":
        return OBSERVED.get(value) if isinstance(value, str) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def overrides_for(
    cs: Sequence[Control], edits: Mapping[str, Any], max_draws: int = PAGE_DRAWS
) -> dict[str, Any]:
    """The page's new centres (``{key: number}``) as :meth:`Scenario.with_overrides` takes them;
    more draws than ``max_draws`` (the server's cap) are refused.

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek"))
    >>> overrides_for(controls(s), {"markets.developer_tools.cagr": 0.3})
    {'markets.developer_tools.cagr': 0.3}
    """
    draws = edits.get("simulation.draws")
    if isinstance(draws, int | float) and draws > max_draws:
        raise ScenarioError(
            [
                Problem.with_value(
                    "page", "simulation.draws", f"at most {max_draws:,} draws on this page", draws
                )
            ]
        )
    by_key = {c.key: c for c in cs}
    # a named share typed as a percent (39) would read as a positive number, not refused
    shares = [
        Problem.with_value("page", k, "must be between 0 and 1 (a share)" + _meant(v), v)
        for k, v in edits.items()
        if k.startswith("inputs.") and by_key[k].domain == "unit" and isinstance(v, int | float)
        and not 0 <= v <= 1
    ]  # fmt: skip
    if shares:
        raise ScenarioError(shares)
    # "not observed" over a signpost the file leaves unobserved changes nothing: no key
    return {
        k: to_override(by_key[k], v) for k, v in edits.items() if v is not None or by_key[k].value is not None
    }


def controls(s: Scenario) -> list[Control]:
    """The inputs of ``s`` the page shows, grouped in the order of the file.

    A market shows its size and CAGR centres, or its projection when it has no CAGR.
    Each field shows the centre (median) of its input; :func:`to_override` turns a new
    centre into an override that keeps the input's spread.

    Examples
    --------
    >>> import forecast
    >>> [c.key for c in controls(forecast.load(forecast.bundled("deepseek")))][:3]
    ['simulation.draws', 'simulation.seed', 'correlation.common_factor']
    """
    groups: dict[str, list[Control]] = {
        "simulation": [
            Control("simulation.draws", "Simulation", "Draws", "integer", s.simulation.draws, step=1000),
            Control("simulation.seed", "Simulation", "Random seed", "integer", s.simulation.seed, step=1),
        ],
        "correlation": [
            _quantity(
                "correlation.common_factor",
                "Correlation",
                "Common-factor strength (share of growth variance all markets share, 0-1)",
                s.correlation.common_factor,
                "unit",
            )
        ],
        "markets": [c for m in s.markets for c in _market_controls(m)],
    }
    if s.assessment:
        groups["assessment"] = _assessment_controls(s.assessment)
    if s.signposts:
        groups["signposts"] = [
            Control(
                f"signposts.{sp.id}.observed",
                "Signposts",
                sp.statement,
                "observed",
                sp.observed,
                stated=_plain(sp.observed),
                source=sp.source or "",
            )
            for sp in s.signposts
        ]
    if s.inputs:  # named inputs ([[inputs]]), addressed as inputs.<id>
        from forecast.scenario.formula_rules import input_domain

        groups["inputs"] = [
            _quantity(f"inputs.{i.id}", "Inputs", i.label + (f" ({i.unit})" if i.unit else ""), i.value,
                      input_domain(i), i.unit)
            for i in s.inputs
        ]  # fmt: skip
    # the file's order of sections (raw keeps the order they were read in)
    order = [k for k in s.raw if k in groups] + [k for k in groups if k not in s.raw]
    return [c for k in order for c in groups[k]]


def _market_controls(m: Any) -> list[Control]:
    """A market's size, and its CAGR (or its projection when it has no CAGR)."""
    g, k = f"Markets: {m.label}", f"markets.{m.id}"
    out = [_quantity(f"{k}.size", g, f"Size in {m.base_year} ({m.unit})", m.size, "positive", m.unit, 0.1)]
    if m.cagr is not None:
        out.append(_quantity(f"{k}.cagr", g, "CAGR (0.30 = 30% a year)", m.cagr, "growth"))
    elif m.projection is not None:
        label = f"Projection for {m.projection.year} ({m.unit})"
        out.append(_quantity(f"{k}.projection", g, label, m.projection, "positive", m.unit, 0.1))
    return out


def _assessment_controls(a: Any) -> list[Control]:
    """The assessment's confidence and each outcome's stated probability."""
    confidence = _quantity(
        "assessment.confidence",
        "Assessment",
        "Confidence (cases the judgment is worth)",
        a.confidence,
        "positive",
        step=1.0,
    )
    items = [dataclasses.replace(confidence, kind="number")]
    for o in a.outcomes:
        key = f"assessment.outcomes.{o.id}.probability"
        items.append(_quantity(key, "Assessment", f"P({o.label})", o.probability, "unit"))
    return items


def outcome_keys(cs: Sequence[Control]) -> list[str]:
    """The keys of the outcome probabilities, in order."""
    return [c.key for c in cs if c.key.startswith("assessment.outcomes.")]


def rebalance(probs: Mapping[str, float], changed: str, value: float, digits: int = 4) -> dict[str, float]:
    """Set ``probs[changed] = value`` and scale the others so that all sum to 1.

    The others keep their proportions, rounded to ``digits`` decimals; the largest
    takes the rounding remainder, so the sum is 1 to the last digit shown.
    A value outside (0, 1) is set alone: the page then shows why it is refused.

    Examples
    --------
    >>> rebalance({"a": 0.4, "b": 0.35, "c": 0.25}, "b", 0.45)
    {'a': 0.3385, 'b': 0.45, 'c': 0.2115}
    """
    out = dict(probs)
    out[changed] = value
    others = [k for k in probs if k != changed]
    if not others or not (0 < value < 1):
        return out
    rest = 1.0 - value
    total = sum(max(probs[k], 0.0) for k in others)
    for k in others:
        share = max(probs[k], 0.0) / total if total > 0 else 1 / len(others)
        out[k] = round(rest * share, digits)
    largest = max(others, key=lambda k: out[k])
    out[largest] = round(rest - sum(out[k] for k in others if k != largest), digits)
    return out


def problem_text(p: Problem) -> str:
    """A problem as ``forecast validate`` prints it, without the file name.

    Examples
    --------
    >>> problem_text(Problem("a.toml", "markets.x.size", "must be > 0", -1))
    'markets.x.size: must be > 0 (got -1)'
    """
    text = str(dataclasses.replace(p, file="-"))
    return text.removeprefix("-: ")


def place_problems(
    problems: Sequence[Problem], cs: Sequence[Control], typed: Mapping[str, Any] | None = None
) -> tuple[dict[str, list[str]], list[str]]:
    """Problems by the key of the control they belong to, and the rest.

    A problem belongs to a control when its path is the control's key or inside it
    (``markets.x.size`` or ``markets.x.size.median``). ``typed`` (the page's edits): a
    problem of an edited field quotes what was typed, not the moved input's numbers.
    """
    by_key: dict[str, list[str]] = {}
    rest: list[str] = []
    controls = {c.key: c for c in cs}
    for p in problems:
        owner = next((c.key for c in cs if p.path == c.key or p.path.startswith(c.key + ".")), None)
        if owner is None:
            rest.append(problem_text(p))
        elif typed is not None and owner in typed and not _quotes(p, typed[owner]):
            # the problem names numbers the page made from the typed one (a moved interval)
            by_key.setdefault(owner, []).append(_typed_text(p, controls[owner], typed[owner]))
        else:
            by_key.setdefault(owner, []).append(problem_text(p))
    return by_key, rest


def _quotes(p: Problem, value: Any) -> bool:
    """Whether the problem already shows ``value`` as typed: its ``got`` is the typed
    value itself. A problem without one speaks of what the page made of it (a moved
    interval's ``low=35.79``, a ``median=39``), so it is said again with the typed value."""
    if p.got is not None if p.has_got is None else p.has_got:
        return bool(p.got == value)
    typed = f"{value:g}" if isinstance(value, int | float) else str(value)
    return f"(got {typed})" in p.message


def _typed_text(p: Problem, c: Control, value: Any) -> str:
    """A problem of a field quoting what was typed in it; a rate or share typed as a
    percent (39 for 39%) gets the fraction and the percent string it meant.

    Examples
    --------
    >>> c = Control("m.cagr", "g", "l", "number", 0.3, domain="growth")
    >>> _typed_text(Problem("page", "m.cagr", "did you mean low = 0.3579 ...?", None), c, 39)
    'm.cagr: you typed 39; did you mean 0.39 or "39%"?'
    >>> _typed_text(Problem("page", "m.cagr.low", "must be > -1", None), c, -3)
    'm.cagr: must be > -1 (you typed -3)'
    """
    shown = f"{value:g}" if isinstance(value, int | float) else str(value)
    if c.domain in ("growth", "unit") and isinstance(value, int | float) and value >= 1:
        # the file's message speaks of the moved interval; the typo is the typed number
        return f'{c.key}: you typed {shown}; did you mean {value / 100:g} or "{shown}%"?'
    return f"{c.key}: {p.message} (you typed {shown})"


def _meant(v: float) -> str:
    """The hint for a percent typed as a number (39 for 39%), as ``forecast validate`` gives it."""
    return f"; did you mean {v / 100:g} ({v:g}%)?" if 1 < v <= 100 else ""


def set_items(overrides: Mapping[str, Any]) -> list[str]:
    """Overrides as ``forecast run --set`` arguments (VALUE is TOML).

    Examples
    --------
    >>> set_items({"markets.developer_tools.cagr": 0.3, "signposts.s.observed": True})
    ['markets.developer_tools.cagr=0.3', 'signposts.s.observed=true']
    >>> set_items({"correlation.common_factor": {"low": 0.4, "high": 0.9}})
    ['correlation.common_factor={ low = 0.4, high = 0.9 }']
    """
    return [f"{k}={_toml_value(v)}" for k, v in overrides.items()]


def _toml_value(v: Any) -> str:
    if isinstance(v, Mapping):
        return _inline(v)
    import tomli_w

    return tomli_w.dumps({"v": v}).strip().removeprefix("v = ")


def _inline(table: Mapping[str, Any]) -> str:
    """A flat table as a TOML inline table: ``{ low = 0.2, high = 0.4 }``."""
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in table.items()) + " }"


def _was(c: Control) -> str:
    was = _plain(c.value) if c.stated in ("", _plain(c.value)) else f"{_plain(c.value)}, {c.stated}"
    return f"assumption: what-if (was: {was}{'; ' + c.source if c.source else ''})"


def _child_line(c: Control, parts: list[str], value: Any, raw: Mapping[str, Any]) -> str:
    """One changed key as a line of the child file, saying what it was."""
    if c.kind == "observed" or c.kind == "integer":
        return f"{parts[-1]} = {_toml_value(value)}  # {_was(c)}"
    if isinstance(value, Mapping):
        # a complete form: it replaces the parent's, as with --set
        return f"{parts[-1]} = {_inline({**value, 'source': _was(c)})}"
    # the number as --set reads it: the parent's form moved to it, spread kept
    old = _lookup(raw, parts)
    moved = merge_quantity(old, value, domain_at(tuple(parts))) if isinstance(old, dict) else {}
    form = {k: v for k, v in moved.items() if k not in ("source", "note", "year")} or {"value": value}
    return f"{parts[-1]} = {_inline({**form, 'source': _was(c)})}"


def child_toml(
    parent: Path, dest: Path, base: Scenario, overrides: Mapping[str, Any], cs: Sequence[Control]
) -> str:
    """A scenario file that ``extends`` ``parent`` with ``overrides`` (only those keys).

    Each changed input says ``assumption: what-if (was: ...)``: in its ``source`` for
    an input that has one, in a comment for a setting (draws, seed, a signpost's
    observed state). A number over an uncertain input is written as its form moved to
    that centre (:meth:`Quantity.recentred`), which is what ``--set`` does with it, so
    the file and the page give the same numbers.

    Raises :class:`ScenarioError` when an override cannot be said in a child file
    (a signpost set back to unknown that the parent marks observed: TOML has no null).
    """
    by_key = {c.key: c for c in cs}
    rel = os.path.relpath(Path(parent).resolve(), Path(dest).resolve().parent)
    lines = [
        SAVED_HEADER + f" on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        f"# Only the inputs changed on the page; everything else comes from {Path(parent).name}.",
        "",
        f"extends = {_toml_value(Path(rel).as_posix())}",
    ]
    tables: dict[str, list[str]] = {}
    items: dict[tuple[str, str], list[str]] = {}
    problems: list[Problem] = []
    raw = base.raw
    for key, value in overrides.items():
        c = by_key[key]
        parts = key.split(".")
        if (c.kind == "observed" or c.kind == "integer") and value is None:
            problems.append(
                Problem(
                    str(dest),
                    key,
                    "a child file cannot take back a key its parent sets (TOML has no null); "
                    "edit the parent instead",
                )
            )
            continue
        line = _child_line(c, parts, value, raw)
        if parts[0] == "markets":
            items.setdefault(("markets", parts[1]), []).append(line)
        elif parts[0] == "signposts":
            items.setdefault(("signposts", parts[1]), []).append(line)
        elif parts[:2] == ["assessment", "outcomes"]:
            items.setdefault(("assessment.outcomes", parts[2]), []).append(line)
        else:
            tables.setdefault(".".join(parts[:-1]), []).append(line)
    if problems:
        raise ScenarioError(problems)
    for name, body in tables.items():
        lines += ["", f"[{name}]", *body]
    for (name, ident), body in items.items():
        lines += ["", f"[[{name}]]", f"id = {_toml_value(ident)}", *body]
    return "\n".join(lines) + "\n"


def _plain(v: Any) -> str:
    if v is None:
        return "not observed"
    if isinstance(v, bool):
        return f"observed {str(v).lower()}"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _lookup(raw: Mapping[str, Any], parts: Sequence[str]) -> Any:
    node: Any = raw
    for part in parts:
        if isinstance(node, list):
            node = next((i for i in node if isinstance(i, dict) and i.get("id") == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def place_in(workdir: Path, typed: str, what: str, folders: bool = False) -> tuple[Path | None, str]:
    """Where a name typed on the page is written: inside ``workdir`` or nowhere.

    Refused, with a message quoting what was typed: an empty name, an absolute path,
    ``..``, a backslash or a control character, a separator in a file name (a folder
    name may have ``/`` subfolders when ``folders``), and anything that resolves
    outside ``workdir`` (through a symbolic link) or onto it.

    Examples
    --------
    >>> place_in(Path("/w"), "../x.toml", "Scenario file")[1]
    "Scenario file: must be a name inside the working folder, without '..' (got '../x.toml')"
    """
    text = typed.strip()
    parts = text.replace("\\", "/").split("/")
    why = ""
    if not text:
        why = "is empty: type a name"
    elif text.startswith(("/", "~")) or Path(text).is_absolute() or ":" in parts[0]:
        why = "must be a name inside the working folder, not an absolute path"
    elif ".." in parts:
        why = "must be a name inside the working folder, without '..'"
    elif "\\" in text or any(ord(ch) < 32 for ch in text):
        why = "must not hold a backslash or a control character"
    elif len(parts) > 1 and not folders:
        why = "must be a file name, without '/' (it is saved in the working folder)"
    elif any(p in ("", ".") for p in parts):
        why = "must not have empty or '.' parts"
    if why:
        return None, f"{what}: {why} (got {typed!r})"
    root = Path(workdir).resolve()
    dest = (root / text).resolve()
    if dest == root or not dest.is_relative_to(root):
        return None, f"{what}: must be a name inside the working folder {root} (got {typed!r})"
    return dest, ""
