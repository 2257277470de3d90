"""Scenarios side by side: ``forecast compare`` and :class:`Comparison`.

Each scenario is simulated exactly as ``forecast run`` would (its own draws and seed,
or the ``--draws``/``--seed`` given for all), so every number in a comparison equals
the one in that scenario's own report. The comparison adds the differences from the
first scenario and fan charts drawn over each other.

A single file with ``--set`` is a what-if: the file as it is, against the file with
the overrides. With several files, ``--set`` applies to each of them.

The report folder holds ``report.html`` (self-contained), ``report.md``,
``markets.csv``, ``outcomes.csv``, ``predictions.csv`` (the contract's columns with a
leading ``scenario`` column), ``differences.csv``, ``figures/``,
``scenarios/<name>.toml`` (each scenario's resolved inputs) and ``manifest.json``;
it is written atomically like ``forecast run``'s (see :mod:`forecast.runner`).

Examples
--------
>>> import forecast
>>> base = forecast.load(forecast.bundled("deepseek"))
>>> slow = base.with_overrides({"markets.developer_tools.cagr": 0.30})
>>> cmp = Comparison.simulate([base, slow], names=["base", "slow"], draws=2000)  # doctest: +SKIP
>>> cmp.differences().query("quantity == 'outcome.independence'")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.errors import Problem, ScenarioError
from forecast.results import MARKET_COLUMNS, OUTCOME_COLUMNS, PREDICTION_COLUMNS, write_csv_tables

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from forecast.results import Forecast
    from forecast.scenario import Scenario

DIFFERENCE_COLUMNS = ["scenario", "vs", "quantity", "year", "value", "base", "difference", "mcse"]
#: one colour per scenario in overlaid charts (colour-blind safe, Okabe-Ito)
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
DPI = 110
WIDTH = 6.8


# --- the comparison -----------------------------------------------------------------


@dataclass
class Comparison:
    """Forecasts of several scenarios, with names, side by side.

    Attributes
    ----------
    forecasts : list of Forecast
    names : list of str
        Unique, in the order given; the first is the base of every difference.
    """

    forecasts: list[Forecast]
    names: list[str]
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.forecasts) != len(self.names):
            raise ValueError("one name per forecast")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"scenario names must be unique (got {self.names})")

    @classmethod
    def simulate(
        cls,
        scenarios: Sequence[Scenario],
        *,
        names: Sequence[str] | None = None,
        draws: int | None = None,
        seed: int | None = None,
    ) -> Comparison:
        """Simulate each scenario (its own draws and seed unless given) and compare.

        Examples
        --------
        >>> import forecast
        >>> s = forecast.load(forecast.bundled())
        >>> cmp = Comparison.simulate([s, s.with_overrides({"assessment.confidence": 5})],
        ...                           names=["base", "unsure"], draws=1000)  # doctest: +SKIP
        """
        import forecast

        fcs, timings = [], {}
        names = list(names) if names is not None else unique_names([s.id for s in scenarios])
        for name, s in zip(names, scenarios, strict=True):
            t = time.perf_counter()
            fcs.append(forecast.simulate(s, draws=draws, seed=seed))
            timings[f"simulate.{name}"] = time.perf_counter() - t
        return cls(fcs, list(names), timings)

    @property
    def base(self) -> str:
        return self.names[0]

    def _stack(self, frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        parts = [
            df.assign(scenario=name)[["scenario", *columns]]
            for name, df in zip(self.names, frames, strict=True)
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario", *columns])

    def markets(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.markets`, with a leading ``scenario`` column."""
        return self._stack([fc.markets() for fc in self.forecasts], MARKET_COLUMNS)

    def outcomes(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.outcomes`, with a leading ``scenario`` column."""
        return self._stack([fc.outcomes() for fc in self.forecasts], OUTCOME_COLUMNS)

    def predictions(self) -> pd.DataFrame:
        """Every scenario's :meth:`Forecast.predictions`, with a leading ``scenario`` column."""
        return self._stack([fc.predictions() for fc in self.forecasts], PREDICTION_COLUMNS)

    def differences(self) -> pd.DataFrame:
        """Each scenario minus the first, for every quantity both have.

        Rows: market medians by year (``quantity`` = ``market.<id>``, ``total``,
        ``share.<position>``, ``revenue.<position>``; ``value``/``base`` are the
        medians), outcome probabilities (``outcome.<id>``) and prediction
        probabilities (``prediction.<id>``). ``mcse`` is the Monte Carlo standard
        error of a probability difference, ``sqrt(mcse_a^2 + mcse_b^2)``: exact for
        independent runs and an upper bound when both used the same seed (their
        draws are then positively correlated). NaN for medians.
        """
        rows: list[dict[str, Any]] = []
        base = self.forecasts[0]
        bm = {(str(r["market"]), int(r["year"])): r for r in base.markets().to_dict("records")}
        bo = {str(r["outcome"]): r for r in base.outcomes().to_dict("records")}
        bp = {str(r["id"]): r for r in base.predictions().to_dict("records")}
        for name, fc in zip(self.names[1:], self.forecasts[1:], strict=True):
            for r in fc.markets().to_dict("records"):
                key = (str(r["market"]), int(r["year"]))
                if key in bm:
                    q = _market_quantity(key[0])
                    rows.append(_diff(name, self.base, q, key[1], r["q50"], bm[key]["q50"]))
            for r in fc.outcomes().to_dict("records"):
                if (b := bo.get(str(r["outcome"]))) is not None:
                    q = f"outcome.{r['outcome']}"
                    rows.append(
                        _diff(
                            name, self.base, q, None, r["probability"], b["probability"], r["mcse"], b["mcse"]
                        )
                    )
            for r in fc.predictions().to_dict("records"):
                if (b := bp.get(str(r["id"]))) is not None:
                    q = f"prediction.{r['id']}"
                    rows.append(
                        _diff(
                            name, self.base, q, None, r["probability"], b["probability"], r["mcse"], b["mcse"]
                        )
                    )
        df = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
        df["year"] = df["year"].astype("Int64")
        return df

    # --- output -------------------------------------------------------------------

    def write_tables(self, folder: str | Path) -> None:
        """``markets.csv``, ``outcomes.csv``, ``predictions.csv`` and ``differences.csv``."""
        write_csv_tables(
            folder,
            {
                "markets": self.markets(),
                "outcomes": self.outcomes(),
                "predictions": self.predictions(),
                "differences": self.differences(),
            },
        )

    def write_report(
        self, folder: str | Path, *, provenance: dict[str, Any] | None = None, figures: bool = True
    ) -> Path:
        """Write the comparison folder in place (``forecast compare`` makes it atomic).

        Returns the path of ``report.html``.
        """
        from forecast.report import _environment

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.write_tables(folder)
        sdir = folder / "scenarios"
        sdir.mkdir(exist_ok=True)
        for name, fc in zip(self.names, self.forecasts, strict=True):
            (sdir / f"{_slug(name)}.toml").write_text(fc.scenario.to_toml(), encoding="utf-8")
        figs = self._figures(folder) if figures else {}
        context = self._context(folder, figs, dict(provenance or {}))
        html = _environment().get_template("report.html.j2").render(**context)
        (folder / "report.html").write_text(html, encoding="utf-8")
        md = _environment(markdown=True).get_template("report.md.j2").render(**context)
        (folder / "report.md").write_text(md, encoding="utf-8")
        return folder / "report.html"

    # --- figures ------------------------------------------------------------------

    def _quantities(self) -> list[tuple[str, str, str]]:
        """(key in markets(), title, unit) of every charted quantity, in report order."""
        out: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for fc in self.forecasts:
            s = fc.scenario
            items = [(m.id, m.label, m.unit) for m in s.markets]
            if len(s.markets) > 1 and len({m.unit for m in s.markets}) == 1:
                items.insert(0, ("total", "Total market", s.markets[0].unit))
            for p in s.positions:
                items.append((f"revenue.{p.id}", f"{p.label}: revenue", s.market(p.market).unit))
                items.append((f"share.{p.id}", p.label, "share"))
            for key, title, unit in items:
                if key not in seen:
                    seen.add(key)
                    out.append((key, title, unit))
        return out

    def _figures(self, folder: Path) -> dict[str, str]:
        """Overlaid fan charts, one per quantity: ``{key: file}``."""
        (folder / "figures").mkdir(exist_ok=True)
        markets = self.markets()
        out = {}
        for key, title, unit in self._quantities():
            fig = overlay_fan(markets, key, title=title, ylabel=unit)
            file = f"figures/compare_{_slug(key)}.png"
            fig.savefig(folder / file, dpi=DPI, metadata={"Software": None})
            out[key] = file
        return out

    # --- the report context ---------------------------------------------------------

    def _context(self, folder: Path, figs: dict[str, str], prov: dict[str, Any]) -> dict[str, Any]:
        from forecast.report import (
            CSP,
            Block,
            Figure,
            Table,
            _data_uri,
            interval,
            package_versions,
            pct,
            pp,
            sig,
        )

        fcs, names = self.forecasts, self.names
        others = names[1:]
        markets = self.markets()
        diffs = self.differences()
        scen_rows = []
        for name, fc in zip(names, fcs, strict=True):
            s = fc.scenario
            scen_rows.append([name, s.title, s.origin, f"{fc.n_draws:,}", str(fc.seed), s.sha256()[:12]])
        intro = Table(
            "table-scenarios",
            ["Scenario", "Title", "File (and overrides)", "Draws", "Seed", "SHA-256"],
            scen_rows,
            [False, False, False, True, True, False],
        )
        text = [
            f"{len(names)} scenarios, each simulated as its own 'forecast run' would; differences are "
            f"each scenario minus the first ({self.base})."
        ]
        sections: list[dict[str, Any]] = [
            {
                "id": "scenarios",
                "title": "Scenarios compared",
                "summary": [{"title": "Headlines", "items": self._cards(markets, pct, sig, interval)}],
                "blocks": [Block("The scenarios", "scenarios-table", text, None, [intro])],
            }
        ]

        # markets: one block per quantity, its overlaid fan chart and a side-by-side table
        blocks = []
        for key, title, unit in self._quantities():
            is_share = unit == "share"
            fmt = pct if is_share else sig
            sub = markets[markets["market"] == key]
            years = sorted({int(y) for y in sub["year"]})
            headers = (
                ["Year"] + [f"{n}: median (90%)" for n in names] + [f"{n} − {self.base}" for n in others]
            )
            rows = []
            for y in years:
                row = [str(y)]
                for n in names:
                    r = sub[(sub["scenario"] == n) & (sub["year"] == y)]
                    row.append(
                        f"{fmt(r.q50.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0], fmt)})"
                        if len(r)
                        else "–"
                    )
                for n in others:
                    d = diffs[
                        (diffs["scenario"] == n)
                        & (diffs["quantity"] == _market_quantity(key))
                        & (diffs["year"] == y)
                    ]
                    row.append(_signed(d["difference"].iloc[0], is_share) if len(d) else "–")
                rows.append(row)
            fig = None
            if key in figs:
                fig = Figure(
                    key,
                    figs[key],
                    title,
                    f"Median (line) and 90% interval (band) of each scenario, {unit}.",
                    _data_uri(folder / figs[key]),
                )
            table = Table(f"table-{_slug(key)}", headers, rows, [False] + [True] * (len(headers) - 1))
            blocks.append(
                Block(
                    f"{title} ({unit})" if not is_share else title, f"market-{_slug(key)}", [], fig, [table]
                )
            )
        sections.append({"id": "markets", "title": "Markets", "summary": [], "blocks": blocks})

        outcomes = self.outcomes()
        if len(outcomes):
            ids = list(dict.fromkeys(outcomes["outcome"]))
            labels = dict(zip(outcomes["outcome"], outcomes["label"], strict=False))
            headers = ["Outcome"] + [f"{n} (90%)" for n in names] + [f"{n} − {self.base}" for n in others]
            rows = []
            for k in ids:
                row = [str(labels[k])]
                for n in names:
                    r = outcomes[(outcomes["scenario"] == n) & (outcomes["outcome"] == k)]
                    row.append(
                        f"{pct(r.probability.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0], pct)})"
                        if len(r)
                        else "–"
                    )
                for n in others:
                    d = diffs[(diffs["scenario"] == n) & (diffs["quantity"] == f"outcome.{k}")]
                    row.append(
                        f"{_signed(d['difference'].iloc[0], True)} ± {pp(d['mcse'].iloc[0])}"
                        if len(d)
                        else "–"
                    )
                rows.append(row)
            table = Table("table-outcomes", headers, rows, [False] + [True] * (len(headers) - 1))
            text = [
                "Probability of each outcome within the horizon (and the 90% interval of that probability)."
            ]
            sections.append(
                {"id": "outcomes", "title": "Outcomes", "summary": [], "blocks": [Block("Outcome probabilities", "outcomes-table", text, None, [table])]}
            )  # fmt: skip

        preds = self.predictions()
        if len(preds):
            ids = list(dict.fromkeys(preds["id"]))
            statements = dict(zip(preds["id"], preds["statement"], strict=False))
            deadlines = dict(zip(preds["id"], preds["deadline"], strict=False))
            headers = ["Prediction", "Deadline"] + list(names) + [f"{n} − {self.base}" for n in others]
            rows = []
            for k in ids:
                row = [str(statements[k]), str(deadlines[k])]
                for n in names:
                    r = preds[(preds["scenario"] == n) & (preds["id"] == k)]
                    row.append(f"{pct(r.probability.iloc[0])} ± {pp(r.mcse.iloc[0])}" if len(r) else "–")
                for n in others:
                    d = diffs[(diffs["scenario"] == n) & (diffs["quantity"] == f"prediction.{k}")]
                    row.append(
                        f"{_signed(d['difference'].iloc[0], True)} ± {pp(d['mcse'].iloc[0])}"
                        if len(d)
                        else "–"
                    )
                rows.append(row)
            table = Table("table-predictions", headers, rows, [False, True] + [True] * (len(headers) - 2))
            text = [
                "Probability that each prediction comes true by its deadline, ± its Monte Carlo standard error."
            ]
            sections.append(
                {"id": "predictions", "title": "Predictions", "summary": [], "blocks": [Block("Prediction probabilities", "predictions-table", text, None, [table])]}
            )  # fmt: skip

        if others:
            sections.append(
                {
                    "id": "differences",
                    "title": f"Differences from {self.base}",
                    "summary": [],
                    "blocks": self._difference_blocks(diffs, Table, Block, pct, pp, sig),
                }
            )

        versions = dict(prov.get("versions") or package_versions())
        rows = [["Command", str(prov.get("command") or "(Python API: Comparison.write_report)")]]
        rows += [[f"{n}: scenario SHA-256", fc.scenario.sha256()] for n, fc in zip(names, fcs, strict=True)]
        rows += [[f"{k} version", v] for k, v in versions.items()]
        timings = {**self.timings, **(prov.get("timings") or {})}
        rows += [[f"time: {k}", f"{sig(v, 2)} s"] for k, v in timings.items() if isinstance(v, int | float)]
        text = [
            "Each scenario's resolved inputs are in scenarios/; 'forecast run scenarios/<name>.toml' reproduces its numbers."
        ]
        repro = Table("table-reproducibility", ["Item", "Value"], rows, [False, False])
        sections.append(
            {"id": "reproducibility", "title": "Reproducibility", "summary": [], "blocks": [Block("Run details", "reproducibility", text, None, [repro])]}
        )  # fmt: skip

        draws = sorted({fc.n_draws for fc in fcs})
        seeds = sorted({fc.seed for fc in fcs})
        meta = (
            f"{' / '.join(f'{d:,}' for d in draws)} draws, seed{'s' if len(seeds) > 1 else ''} "
            f"{', '.join(map(str, seeds))}; differences vs {self.base}"
        )
        return {
            "csp": CSP,
            "scenario": {
                "id": "compare",
                "title": "Comparison: " + " vs ".join(names),
                "description": " · ".join(
                    f"{n}: {fc.scenario.title}" for n, fc in zip(names, fcs, strict=True)
                ),
                "as_of": fcs[0].scenario.as_of.isoformat(),
                "source": "",
            },
            "meta": meta,
            "warnings": [],
            "sections": sections,
        }

    def _cards(self, markets: pd.DataFrame, pct: Any, sig: Any, interval: Any) -> list[dict[str, str]]:
        """One card per scenario: the headline market in its key year and the first outcome."""
        from forecast.report import _key_year

        cards = []
        for name, fc in zip(self.names, self.forecasts, strict=True):
            s = fc.scenario
            year = _key_year(s)
            key = "total" if (markets["market"] == "total").any() and len(s.markets) > 1 else s.markets[0].id
            r = markets[
                (markets["scenario"] == name) & (markets["market"] == key) & (markets["year"] == year)
            ]
            label = "Total market" if key == "total" else s.markets[0].label
            detail = f"{label} {year}, median; 90% {interval(r.q05.iloc[0], r.q95.iloc[0])}" if len(r) else ""
            o = fc.outcomes()
            if len(o):
                detail += f"; {o.label.iloc[0]}: {pct(o.probability.iloc[0])}"
            value = f"{sig(r.q50.iloc[0])} {s.markets[0].unit}" if len(r) else "–"
            cards.append({"label": name, "value": value, "detail": detail})
        return cards

    def _difference_blocks(
        self, diffs: pd.DataFrame, Table: Any, Block: Any, pct: Any, pp: Any, sig: Any
    ) -> list[Any]:
        from forecast.report import _key_year

        year = _key_year(self.forecasts[0].scenario)
        sel = diffs[(diffs["year"].isna()) | (diffs["year"] == year)]
        rows = []
        for r in sel.itertuples():
            prob = not str(r.quantity).startswith(("market.", "total", "revenue.", "share."))
            share = str(r.quantity).startswith("share.")
            f = pct if prob or share else sig
            err = pp(r.mcse) if prob else "–"
            what = f"{r.quantity} {year} (median)" if not prob else str(r.quantity)
            rows.append(
                [str(r.scenario), what, f(r.base), f(r.value), _signed(r.difference, prob or share), err]
            )
        text = [
            f"Key-year medians and every probability, minus {self.base}'s. All years are in differences.csv. "
            "The Monte Carlo error of a difference is an upper bound when both scenarios used the same seed."
        ]
        table = Table(
            "table-differences",
            ["Scenario", "Quantity", self.base, "Scenario value", "Difference", "MC error"],
            rows,
            [False, False, True, True, True, True],
        )
        return [Block(f"What changes, {year} and probabilities", "differences-table", text, None, [table])]


def _market_quantity(key: str) -> str:
    return key if key == "total" or "." in key else f"market.{key}"


def _diff(
    name: str,
    base: str,
    quantity: str,
    year: int | None,
    value: Any,
    b: Any,
    m1: Any = np.nan,
    m2: Any = np.nan,
) -> dict[str, Any]:
    return {
        "scenario": name,
        "vs": base,
        "quantity": quantity,
        "year": year,
        "value": float(value),
        "base": float(b),
        "difference": float(value) - float(b),
        "mcse": float(np.hypot(float(m1), float(m2))),
    }


def _signed(x: Any, percent: bool) -> str:
    from forecast.report import DASH, sig

    x = float(x)
    if not np.isfinite(x):
        return DASH
    text = f"{sig(abs(100 * x) if percent else abs(x))}{' pp' if percent else ''}"
    return ("+" if x > 0 else "−" if x < 0 else "") + text


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


def unique_names(ids: Sequence[str]) -> list[str]:
    """Scenario ids made unique: a repeated id gets ``#2``, ``#3``...

    Examples
    --------
    >>> unique_names(["a", "b", "a"])
    ['a', 'b', 'a#2']
    """
    out: list[str] = []
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out


# --- charts -----------------------------------------------------------------------


def overlay_fan(
    markets: pd.DataFrame,
    key: str,
    *,
    title: str = "",
    ylabel: str = "",
    band: tuple[str, str] = ("q05", "q95"),
) -> MplFigure:
    """Each scenario's median and 90% band of one quantity, drawn over each other.

    ``markets`` is :meth:`Comparison.markets` (a ``scenario`` column plus the
    contract's market columns); ``key`` a value of its ``market`` column.

    Examples
    --------
    >>> fig = overlay_fan(cmp.markets(), "total", title="Total market")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    sub = markets[markets["market"] == key]
    fig = Figure(figsize=(WIDTH, 3.7), layout="constrained")
    ax = fig.subplots()
    scale = 100.0 if ylabel == "share" else 1.0
    for i, (name, d) in enumerate(sub.groupby("scenario", sort=False)):
        color = COLORS[i % len(COLORS)]
        x = d["year"].to_numpy()
        ax.fill_between(x, d[band[0]] * scale, d[band[1]] * scale, color=color, alpha=0.15, linewidth=0)
        ax.plot(x, d[band[0]] * scale, color=color, linewidth=0.8, linestyle=":")
        ax.plot(x, d[band[1]] * scale, color=color, linewidth=0.8, linestyle=":")
        ax.plot(x, d["q50"] * scale, color=color, linewidth=2, label=str(name))
    years = sorted({int(y) for y in sub["year"]})
    if years:
        ax.set_xticks(years) if len(years) <= 12 else None
        ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.set_xlabel("Year")
    ax.set_ylabel("share (%)" if ylabel == "share" else ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    fig.legend(
        loc="outside lower center",
        ncol=min(len(COLORS), max(1, sub["scenario"].nunique())),
        fontsize=8,
        frameon=False,
    )
    return fig


# --- the command --------------------------------------------------------------------


@dataclass
class CompareOptions:
    """What ``forecast compare`` was asked to do (see :func:`compare`)."""

    scenarios: Sequence[Path]
    out: Path | None = None
    sets: Sequence[str] = ()
    draws: int | None = None
    seed: int | None = None
    quiet: bool = False
    command: str = ""


def load_variants(opts: CompareOptions) -> tuple[list[Scenario], list[str]]:
    """The scenarios to compare and their names; raises :class:`ScenarioError` with
    every problem of every file.

    One file with ``--set``: the file, then the file with the overrides. Otherwise
    each file, with the overrides applied to each.
    """
    import forecast
    from forecast.runner import _parse_sets

    overrides, problems = _parse_sets(opts.sets)
    sim: dict[str, Any] = {}
    if opts.draws is not None:
        sim["simulation.draws"] = opts.draws
    if opts.seed is not None:
        sim["simulation.seed"] = opts.seed
    paths = list(opts.scenarios)
    what_if = len(paths) == 1 and bool(opts.sets)
    if len(paths) < 2 and not what_if:
        problems.append(
            Problem(
                "compare",
                "",
                "needs two or more scenario files, or one file with --set KEY=VALUE to compare it with",
            )
        )
    scenarios: list[Scenario] = []
    names: list[str] = []
    for path in paths:
        runs = [(sim, ""), ({**sim, **overrides}, " with --set")] if what_if else [({**sim, **overrides}, "")]
        for over, suffix in runs:
            try:
                s = forecast.load(path, overrides=over or None)
            except ScenarioError as e:
                problems += [p for p in e.problems if p not in problems]
                continue
            scenarios.append(s)
            names.append(s.id + suffix)
    if problems:
        raise ScenarioError(problems)
    return scenarios, unique_names(names)


def compare(opts: CompareOptions) -> int:
    """Run ``forecast compare``: exit 0 ok, 2 bad input (nothing written), 130/143
    interrupted (nothing written). The folder appears complete or not at all."""
    from forecast.runner import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, write_staged

    t0 = time.perf_counter()
    try:
        scenarios, names = load_variants(opts)
    except ScenarioError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    out = (
        opts.out
        if opts.out is not None
        else Path("reports") / ("compare-" + "-".join(_slug(n) for n in names))
    )
    status, cmp, pending = write_staged(
        out, "comparison", opts.quiet, lambda folder, steps: _work(scenarios, names, opts, folder, steps, t0)
    )
    if cmp is None:
        return status
    if not opts.quiet:
        _print_summary(cmp, out)
    if pending:
        print(f"forecast: interrupted after the comparison was complete ({out})", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _work(
    scenarios: list[Scenario], names: list[str], opts: CompareOptions, folder: Path, steps: Any, t0: float
) -> Comparison:
    import forecast
    from forecast.report import package_versions
    from forecast.runner import _file_hashes, _jsonable, parse_sets

    fcs, timings = [], {}
    for name, s in zip(names, scenarios, strict=True):
        with steps.step(f"Simulating {name} ({s.simulation.draws:,} draws)"):
            t = time.perf_counter()
            fcs.append(forecast.simulate(s))
            timings[f"simulate.{name}"] = time.perf_counter() - t
    cmp = Comparison(fcs, names, timings)
    versions = package_versions()
    command = opts.command or command_line(opts)
    with steps.step("Drawing figures and writing the comparison"):
        t = time.perf_counter()
        cmp.write_report(folder, provenance={"command": command, "versions": versions})
        timings["report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    manifest = {
        "forecast_version": versions.get("forecast"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "argv": list(sys.argv),
        "kind": "comparison",
        "base": names[0],
        "overrides": {k: _jsonable(v) for k, v in parse_sets(opts.sets).items()},
        "scenarios": [
            {
                "name": n,
                "id": fc.scenario.id,
                "title": fc.scenario.title,
                "file": fc.scenario.origin,
                "sha256": fc.scenario.sha256(),
                "seed": fc.seed,
                "draws": fc.n_draws,
                "method": "nuts" if fc.conditioned else "forward",
            }
            for n, fc in zip(names, fcs, strict=True)
        ],
        "versions": versions,
        "timings_seconds": {k: round(v, 4) for k, v in timings.items()},
        "files": _file_hashes(folder),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return cmp


def command_line(opts: CompareOptions) -> str:
    """The ``forecast compare`` command these options stand for.

    Examples
    --------
    >>> command_line(CompareOptions([Path("a.toml")], sets=["x.y=1"], seed=3))
    'forecast compare a.toml --seed 3 --set x.y=1'
    """
    import shlex

    parts = ["forecast", "compare", *map(str, opts.scenarios)]
    if opts.out is not None:
        parts += ["--out", str(opts.out)]
    if opts.draws is not None:
        parts += ["--draws", str(opts.draws)]
    if opts.seed is not None:
        parts += ["--seed", str(opts.seed)]
    for item in opts.sets:
        parts += ["--set", item]
    if opts.quiet:
        parts.append("--quiet")
    return shlex.join(parts)


def _print_summary(cmp: Comparison, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from forecast.report import _key_year, interval, pct, sig

    console = Console(highlight=False)
    markets = cmp.markets()
    year = _key_year(cmp.forecasts[0].scenario)
    t = Table(title=f"Median in {year} (90% interval)", title_justify="left")
    t.add_column("Quantity")
    for n in cmp.names:
        t.add_column(n, justify="right")
    for key, title, unit in cmp._quantities():
        if unit == "share":
            continue
        cells = []
        for n in cmp.names:
            r = markets[(markets["scenario"] == n) & (markets["market"] == key) & (markets["year"] == year)]
            cells.append(
                f"{sig(r.q50.iloc[0])} ({interval(r.q05.iloc[0], r.q95.iloc[0])})" if len(r) else "–"
            )
        t.add_row(f"{title} ({unit})", *cells)
    console.print(t)
    outcomes = cmp.outcomes()
    if len(outcomes):
        t = Table(title="Outcome probabilities", title_justify="left")
        t.add_column("Outcome")
        for n in cmp.names:
            t.add_column(n, justify="right")
        for _, sub in outcomes.groupby("outcome", sort=False):
            by = dict(zip(sub["scenario"], sub["probability"], strict=True))
            t.add_row(str(sub["label"].iloc[0]), *[pct(by[n]) if n in by else "–" for n in cmp.names])
        console.print(t)
    console.print(
        f"Comparison: {out / 'report.html'}  (also report.md, CSV tables with a scenario column, differences.csv)"
    )
