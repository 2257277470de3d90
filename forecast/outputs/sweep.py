"""What ``forecast sweep`` writes: the table (CSV and Parquet), the draws of every
case as one Zarr dataset with a ``case`` dim, and the sweep report (HTML and
Markdown) with the key numbers drawn against the swept inputs.

Examples
--------
>>> write_table(table, folder)  # doctest: +SKIP
>>> write_draws(cases, case_files, folder / "draws.zarr")  # doctest: +SKIP
>>> write_sweep_report(table, keys, folder, provenance={...})  # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.outputs.formatting import environment, mc_error, png_uri
from forecast.outputs.tables import write_csv_tables

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

TABLE = "sweep"  # sweep.csv and sweep.parquet
DPI = 110
#: at most this many figures per key number (one per combination of the other inputs)
MAX_PANELS = 12
#: cases written to draws.zarr per call (memory: this many cases' draws)
BLOCK = 16
#: the report lists at most this many cases (all are in sweep.csv)
MAX_ROWS = 500


# --- the table ----------------------------------------------------------------------


def write_table(table: pd.DataFrame, folder: Path) -> None:
    """``sweep.csv`` (the project's CSV format: 6 significant digits) and
    ``sweep.parquet`` (full precision, no pandas index; same bytes for the same table).

    Empty cells mean "does not apply": no year for an outcome or a prediction, no
    value or MCSE for a case that is invalid or failed (its ``status`` and
    ``problem`` say why). Any other missing or infinite number is refused."""
    write_csv_tables(folder, {TABLE: table}, optional={TABLE: ("year", "value", "mcse")})
    table.to_parquet(folder / f"{TABLE}.parquet", index=False, engine="pyarrow", compression="zstd")


# --- the draws ----------------------------------------------------------------------


def write_draws(cases: Sequence[Any], datasets: Mapping[int, Any], path: Path) -> None:
    """Every finished case's draws in one Zarr store, stacked along a ``case`` dim.

    ``datasets`` maps a case index to a callable returning its draws (an
    :class:`xarray.Dataset` with ``chain, draw, ...`` dims), opened one at a time, so
    memory holds one case, not the sweep. Coordinates ``case_key`` and ``scenario``
    name each case. Cases of different structure (a portfolio of files with other
    markets or outcomes) share the union of their coordinates: a case has NaN where
    its scenario has no such market, outcome or prediction (or fewer draws), and
    integer variables are then stored as floats so that NaN can say so.
    """
    import dask.array as da
    import xarray as xr

    order = [c for c in cases if c.index in datasets]
    if not order:
        return
    coords: dict[str, list[Any]] = {}
    dims: dict[str, tuple[str, ...]] = {}
    dtypes: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    signatures = set()
    for c in order:
        ds = datasets[c.index]()
        for name, idx in ds.indexes.items():
            known = coords.setdefault(str(name), [])
            known.extend(v for v in idx.tolist() if v not in known)
        for name, var in ds.data_vars.items():
            dims.setdefault(str(name), tuple(map(str, var.dims)))
            dtypes[str(name)] = np.result_type(dtypes.get(str(name), var.dtype), var.dtype)
        for dim, n in ds.sizes.items():
            sizes[str(dim)] = max(sizes.get(str(dim), 0), int(n))
        signatures.add(
            (
                tuple((str(k), tuple(v.tolist())) for k, v in sorted(ds.indexes.items())),
                tuple(sorted(map(str, ds.data_vars))),
                tuple(sorted((str(k), int(v)) for k, v in ds.sizes.items())),
            )
        )
    ragged = len(signatures) > 1
    if ragged:
        dtypes = {k: np.dtype("float64") if v.kind in "iub" else v for k, v in dtypes.items()}
    sizes.update({k: len(v) for k, v in coords.items()})
    n = len(order)
    skeleton = xr.Dataset(
        {
            name: (
                ("case", *d),
                da.zeros((n, *(sizes[x] for x in d)), dtype=dtypes[name], chunks=(1, *(sizes[x] for x in d))),
            )
            for name, d in dims.items()
        },
        coords={
            **{k: (k, np.asarray(v)) for k, v in coords.items()},
            "case": [c.index for c in order],
            "case_key": ("case", np.asarray([c.key for c in order], dtype=str)),
            "scenario": ("case", np.asarray([c.scenario for c in order], dtype=str)),
        },
        attrs={"description": "forecast sweep: the draws of every finished case, stacked along 'case'"},
    )
    skeleton.to_zarr(path, mode="w", compute=False, consolidated=False, zarr_format=3)
    import zarr

    # one chunk per case and variable, written straight into its array: xarray's
    # region writes re-read and check the store's metadata every time (~1 s a case)
    group = zarr.open_group(path, mode="r+")
    arrays: dict[str, Any] = {name: group[name] for name in dims}
    block: dict[str, list[Any]] = {name: [] for name in dims}
    for i, c in enumerate(order):
        ds = datasets[c.index]().drop_attrs()
        if ragged:
            positional = {d: np.arange(ds.sizes[d]) for d in ds.dims if d not in ds.indexes}
            target = {d: coords.get(str(d), np.arange(sizes[str(d)])) for d in ds.dims}
            ds = ds.assign_coords(positional).reindex(target, fill_value=np.nan)
            for name, d in dims.items():
                if name not in ds:
                    ds[name] = (d, np.full([sizes[x] for x in d], np.nan))
            ds = ds.astype(dtypes)
        for name, d in dims.items():
            block[name].append(ds[name].transpose(*d).values)
        if len(block[next(iter(dims))]) == BLOCK or i == n - 1:
            # a block of cases per write: zarr writes their chunks concurrently
            start = i + 1 - len(block[next(iter(dims))])
            for name, parts in block.items():
                arrays[name][start : i + 1] = np.stack(parts)
                parts.clear()


# --- the report ---------------------------------------------------------------------


def headline_quantities(table: pd.DataFrame, year: int | None = None) -> list[tuple[str, int | None, str]]:
    """The key numbers a sweep report draws: every outcome and prediction
    probability, then the median total and revenues in ``year`` (the scenario's
    headline year; the last year in the table when None): ``(quantity, year, statistic)``."""
    ok = table[table["status"] == "ok"]
    out: list[tuple[str, int | None, str]] = []
    for q in dict.fromkeys(ok["quantity"]):
        if q.startswith(("outcome.", "prediction.")):
            out.append((q, None, "probability"))
    years = ok["year"].dropna()
    if len(years):
        last = int(years.max()) if year is None else year
        for q in dict.fromkeys(ok["quantity"]):
            if q == "total" or q.startswith("revenue."):
                out.append((q, last, "q50"))
    if (ok["quantity"] == "decision").any():  # the chosen option's expected payoff
        out.append(("decision", None, "expected_payoff"))
    return out


def target_quantities(keys: Sequence[tuple[str, int | None, str]]) -> list[tuple[str, int | None, str]]:
    """The key numbers of ``--target`` keys (:func:`forecast.analysis.targets.target_key`)
    as rows of the sweep table: a median is its ``q50`` row.

    Examples
    --------
    >>> target_quantities([("metric.npv", None, "median"), ("outcome.win", None, "probability")])
    [('metric.npv', None, 'q50'), ('outcome.win', None, 'probability')]
    """
    return [(q, year, "q50" if stat == "median" else stat) for q, year, stat in keys]


def key_numbers(table: pd.DataFrame, keys: Sequence[str], what: tuple[str, int | None, str]) -> pd.DataFrame:
    """One key number of every ok case: the swept inputs, ``value`` and ``mcse``."""
    q, year, stat = what
    sel = (table["status"] == "ok") & (table["quantity"] == q) & (table["statistic"] == stat)
    sel &= table["year"].isna() if year is None else (table["year"] == year)
    return table.loc[sel, ["case", "scenario", *keys, "value", "mcse"]].reset_index(drop=True)


def write_sweep_report(
    table: pd.DataFrame,
    keys: Sequence[str],
    folder: Path,
    *,
    provenance: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    targets: Sequence[tuple[str, int | None, str]] = (),
    year: int | None = None,
) -> Path:
    """Write ``report.html`` (self-contained: figures inline) and ``report.md`` (figures
    in ``figures/``); returns the HTML path. ``labels`` (:func:`quantity_labels`) title
    the figures with names a reader knows, not ids.

    Each key number (:func:`headline_quantities`) is drawn against the swept inputs:
    a line with its MCSE band over one input, a heatmap over two (the first two
    swept inputs; one heatmap per value of any others, up to :data:`MAX_PANELS`),
    and as bars per scenario in a portfolio without a grid. ``targets`` (``--target``,
    :func:`target_quantities`) replace the default key numbers; ``year`` is the
    headline year they are read in.
    """
    swept = _axes(table, keys)
    figures = []
    fig_dir = folder / "figures"
    wanted = list(targets) or headline_quantities(table, year)
    for i, what in enumerate(wanted):
        df = key_numbers(table, list(keys), what)
        if df.empty:
            continue
        fig = _figure(df, swept, _label(what, labels))
        if fig is None:
            continue
        from forecast.outputs.figures import _png

        png = _png(fig)
        fig_dir.mkdir(exist_ok=True)
        name = f"{i:02d}-{_slug(_label(what))}.png"  # ids: file names stay stable
        (fig_dir / name).write_bytes(png)
        figures.append({"title": _label(what, labels), "uri": png_uri(png), "file": f"figures/{name}"})
    ctx = _context(table, keys, figures, provenance, wanted, labels)
    env = environment()
    html_path = folder / "report.html"
    html_path.write_text(env.get_template("sweep.html.j2").render(**ctx), encoding="utf-8")
    md = environment(markdown=True).get_template("sweep.md.j2").render(**ctx)
    (folder / "report.md").write_text(md, encoding="utf-8")
    return html_path


def _axes(table: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """The inputs that vary, as table columns: ``scenario`` first in a portfolio."""
    axes = [k for k in keys if table[k].nunique() > 1]
    if table["scenario"].nunique() > 1:
        axes = ["scenario", *axes]
    return axes


def quantity_labels(s: Any) -> dict[str, str]:
    """A reader's name for each quantity of a sweep table (``outcome.x`` -> its label,
    ``prediction.x`` -> its statement, markets and positions -> their labels).

    Examples
    --------
    >>> import forecast
    >>> quantity_labels(forecast.load(forecast.bundled("deepseek")))["total"]
    'Total market'
    >>> quantity_labels(forecast.load(forecast.bundled("deepseek")))["revenue.deepseek_devtools"]
    'Revenue from DeepSeek share of developer tools'
    """
    from forecast.analysis.sensitivity import revenue_label

    out = {"total": "Total market"}
    out |= {f"outcome.{o.id}": o.label for o in (s.assessment.outcomes if s.assessment else [])}
    out |= {f"prediction.{p.id}": _short(p.statement) for p in s.predictions}
    out |= {f"market.{m.id}": m.label for m in s.markets}
    for p in s.positions:
        out |= {f"share.{p.id}": p.label, f"revenue.{p.id}": revenue_label(p.label)}
    out |= {f"metric.{m.id}": m.label for m in s.metrics}
    out |= {f"option.{o.id}": o.label for o in s.options}
    if s.options:
        out["decision"] = "Expected payoff of the chosen option"
    return out


def _short(text: str, n: int = 60) -> str:
    """``text`` cut at a word boundary to at most ``n`` characters, marked with …"""
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + "…"


def _label(what: tuple[str, int | None, str], labels: Mapping[str, str] | None = None) -> str:
    q, year, stat = what
    kind, _, name = q.partition(".")
    when = "" if year is None else f" {year}"
    what_stat = {"q50": "median", "expected_payoff": "expected"}.get(stat, stat)
    if labels and q in labels:
        if q == "decision":
            return labels[q]
        return f"P({labels[q]})" if stat == "probability" else f"{labels[q]}: {what_stat}{when}"
    if stat == "probability":
        return f"P({name})" if kind == "prediction" else f"P(outcome {name})"
    return f"{q} {what_stat}" + (f", {year}" if year is not None else "")


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _figure(df: pd.DataFrame, axes: Sequence[str], title: str) -> MplFigure | None:
    from matplotlib.figure import Figure

    if not axes:
        return None
    if len(axes) == 1:
        fig = Figure(figsize=(6.8, 3.4), layout="constrained")
        ax = fig.subplots()
        _line(ax, df, axes[0])
        ax.set_title(title, loc="left", fontsize=10)
        return fig
    x, y, rest = axes[0], axes[1], list(axes[2:])
    groups = list(df.groupby(rest, sort=True)) if rest else [((), df)]
    groups = groups[:MAX_PANELS]
    ncols = min(3, len(groups))
    nrows = -(-len(groups) // ncols)
    fig = Figure(figsize=(3.4 * ncols + 0.6, 3.0 * nrows + 0.4), layout="constrained")
    axs = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    vmin, vmax = float(df["value"].min()), float(df["value"].max())
    image = None
    for ax, (name, part) in zip(axs, groups, strict=False):
        image = _heatmap(ax, part, x, y, vmin, vmax)
        if rest:
            values = name if isinstance(name, tuple) else (name,)
            ax.set_title(", ".join(f"{k}={v}" for k, v in zip(rest, values, strict=True)), fontsize=8)
    for ax in axs[len(groups) :]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=list(axs[: len(groups)]), shrink=0.9)
    fig.suptitle(title, x=0.02, ha="left", fontsize=10)
    return fig


def _line(ax: Any, df: pd.DataFrame, x: str) -> None:
    df = df.sort_values(x)
    xs = df[x].to_numpy()
    numeric = pd.api.types.is_numeric_dtype(df[x])
    pos = xs if numeric else np.arange(len(xs))
    v, se = df["value"].to_numpy(), df["mcse"].to_numpy()
    ax.plot(pos, v, marker="o", color="#0072B2")
    ax.fill_between(pos, v - 2 * se, v + 2 * se, color="#0072B2", alpha=0.25, lw=0, label="± 2 MCSE")
    if not numeric:
        ax.set_xticks(pos, [str(s) for s in xs], rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(x, fontsize=8)
    ax.legend(fontsize=7, loc="best")


def within_noise(df: pd.DataFrame) -> pd.Series:
    """Whether each case's ``value`` differs from the first case's (the base of the
    panel) by less than 2 standard errors of the difference, ``sqrt(se^2 + se0^2)``:
    conservative under common random numbers (positively correlated cases), so a mark
    never claims an effect the noise could make. The base itself is False.

    Examples
    --------
    >>> import pandas as pd
    >>> within_noise(pd.DataFrame({"value": [0.5, 0.51, 0.6], "mcse": [0.01, 0.01, 0.01]})).tolist()
    [False, True, False]
    """
    v, se = df["value"].to_numpy(dtype=float), df["mcse"].to_numpy(dtype=float)
    se = np.where(np.isfinite(se), se, 0.0)
    noise = 2 * np.sqrt(se**2 + se[0] ** 2)
    out = np.abs(v - v[0]) < noise
    out[0] = False
    return pd.Series(out, index=df.index)


def _heatmap(ax: Any, df: pd.DataFrame, x: str, y: str, vmin: float, vmax: float) -> Any:
    """The key number over two inputs; each cell its value and ± 2 MCSE, marked ``≈``
    when within 2 standard errors of the panel's first case."""
    df = df.sort_values("case").assign(near=lambda d: within_noise(d).astype(float))
    grid = df.pivot_table(index=y, columns=x, values="value", aggfunc="mean")
    errors = (
        df.pivot_table(index=y, columns=x, values="mcse", aggfunc="mean").reindex_like(grid).to_numpy(float)
    )
    near = df.pivot_table(index=y, columns=x, values="near", aggfunc="max").reindex_like(grid).to_numpy(float)
    image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns], fontsize=7, rotation=30)
    ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index], fontsize=7)
    ax.set_xlabel(x, fontsize=8)
    ax.set_ylabel(y, fontsize=8)
    values = grid.to_numpy()
    mid = (vmin + vmax) / 2
    for (r, c), v in np.ndenumerate(values):
        if np.isfinite(v):
            se = errors[r, c]
            text = ("≈ " if near[r, c] == 1 else "") + _tick(v)
            text += f"\n±{_tick(2 * se)}" if np.isfinite(se) else ""
            ax.text(c, r, text, ha="center", va="center", fontsize=6, color="white" if v < mid else "black")
    ax.text(
        0, -0.3, "± 2 MCSE; ≈ within 2 SE of the first case", transform=ax.transAxes, fontsize=6, va="top"
    )
    return image


def _tick(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.3g}"
    return str(v)


def problem_line(n: int, status: str) -> str:
    """The line ``forecast sweep`` prints on stderr counting the cases ``failed`` or
    ``invalid`` (one case, several).

    Examples
    --------
    >>> problem_line(1, "invalid")
    "forecast: 1 case invalid (marked 'invalid' in sweep.csv)"
    """
    from forecast.outputs.formatting import count

    line = f"forecast: {count(n, 'case')} {status} (marked '{status}' in sweep.csv)"
    if status == "failed":
        line += f"; run the same command again to retry {'it' if n == 1 else 'them'}"
    return line


def _context(
    table: pd.DataFrame,
    keys: Sequence[str],
    figures: list[dict[str, str]],
    provenance: Mapping[str, Any],
    headline: list[tuple[str, int | None, str]],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    from forecast.outputs.formatting import count, pct, sig

    per_case = table.drop_duplicates("case")
    n = len(per_case)
    bad = per_case[per_case["status"] != "ok"]
    portfolio = table["scenario"].nunique() > 1
    decided = "chosen_option" in table and bool((table["chosen_option"].astype(str) != "").any())
    numbers: list[dict[int, str]] = []
    for what in headline:
        df = key_numbers(table, list(keys), what)
        if what[2] == "probability":
            text = [f"{pct(v)} {mc_error(v, e)}" for v, e in zip(df["value"], df["mcse"], strict=True)]
        elif what[0] == "decision":
            text = [f"{sig(v)} ± {sig(e)}" for v, e in zip(df["value"], df["mcse"], strict=True)]
        else:
            text = [sig(v) for v in df["value"]]
        numbers.append(dict(zip(df["case"].astype(int), text, strict=True)))
    rows = []
    for rec in per_case.head(MAX_ROWS).to_dict("records"):
        case = int(rec["case"])
        cells = ([str(rec["scenario"])] if portfolio else []) + [str(rec[k]) for k in keys]
        cells += [str(rec["chosen_option"])] if decided else []
        rows.append(
            {
                "case": case,
                "cells": cells,
                "numbers": [col.get(case, "") for col in numbers],
                "status": str(rec["status"]),
            }
        )
    columns = (["scenario"] if table["scenario"].nunique() > 1 else []) + list(keys)
    columns += ["chosen option"] if decided else []
    return {
        "title": f"Sweep of {', '.join(dict.fromkeys(per_case['scenario']))}",
        "n_cases": n,
        "n_ok": n - len(bad),
        # the sentences a reader reads, counted in words (one case, several)
        "ok_text": f"{n - len(bad)} of {count(n, 'case')} ok",
        "bad_text": f"{count(len(bad), 'case')} not computed",
        "problems": [
            {"case": r["case"], "key": r["case_key"], "status": r["status"], "problem": r["problem"]}
            for r in bad.to_dict("records")
        ],
        "keys": list(keys),
        "figures": figures,
        "columns": columns,
        "headline": [_label(w, labels) for w in headline],
        # every case has the sweep's seed: a difference between cases is paired draw by draw
        "decision_note": (
            "The chosen option is the one each case's [decision] picks by its criterion; its expected "
            "payoff is shown ± its Monte Carlo error. Every case uses the same seed and stream layout "
            "(common random numbers), so the difference in expected payoff between two cases is far "
            "more precise than either case's own ±."
            if decided
            else ""
        ),
        "rows": rows,
        "rows_cut": n - len(rows),
        "command": str(provenance.get("command", "")),
        "versions": dict(provenance.get("versions", {})),
        "escape": html.escape,
    }
