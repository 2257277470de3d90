"""How a scenario's odds moved: its dated versions side by side.

A *version* is one dated state of a scenario: a scenario file (simulated as
``forecast run`` would, with its own draws and seed) or a report folder that
``forecast run`` wrote (read back as archived: its CSV tables, ``scenario.toml``
and ``forecast.nc``). Versions of one scenario share its ``id`` and differ in
``as_of``; typically each later file ``extends`` the one before and adds evidence
or observed signposts.

:class:`History` puts them in ``as_of`` order and tabulates, per version, every
outcome and prediction probability with its uncertainty (the 90% interval of an
outcome's probability, the Monte Carlo standard error of both) and its change
from the version before, and lists what changed between versions: inputs,
evidence and signposts.

Numbers from a file are rounded as ``forecast run`` writes them to its CSV files
(6 significant digits), so a history made from files equals one made from the
report folders of the same files, and both equal those reports' CSV tables.

Examples
--------
>>> import forecast
>>> h = History.load(["scenarios/deepseek.toml", "scenarios/history/deepseek-2025-06.toml"])  # doctest: +SKIP
>>> h.table()[["version", "as_of", "id", "probability"]]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.scenario import Scenario

HISTORY_COLUMNS = [
    "version",
    "as_of",
    "kind",
    "id",
    "label",
    "deadline",
    "probability",
    "q05",
    "q95",
    "mcse",
    "change",
    "change_mcse",
]
CHANGE_COLUMNS = ["version", "previous", "what", "key", "before", "after"]
#: text that documents an input rather than changing it
_TEXT_KEYS = {
    "id",
    "source",
    "note",
    "notes",
    "title",
    "description",
    "label",
    "statement",
    "extends",
    "as_of",
}
_QUANTITY_KEYS = {"value", "low", "high", "median", "sigma", "mean", "sd", "dist"}


@dataclass
class Version:
    """One dated state of a scenario.

    Attributes
    ----------
    name : str
        The file's stem or the report folder's name (unique within a history).
    source : Path
        The scenario file or report folder.
    scenario : Scenario
    kind : {"file", "report"}
    """

    name: str
    source: Path
    scenario: Scenario
    kind: str
    _forecast: Forecast | None = field(default=None, repr=False)
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def as_of(self) -> dt.date:
        return self.scenario.as_of

    @property
    def forecast(self) -> Forecast:
        """The draws: simulated from the file, or read from the report's ``forecast.nc``."""
        if self._forecast is None:
            if self.kind == "report":
                self._forecast = _read_forecast(self.source, self.scenario)
            else:
                from forecast.analysis.results import Forecast, simulate
                from forecast.engine.dataset import as_archived

                fc = simulate(self.scenario)
                # a version gives the same numbers whether it comes from its file or from
                # its archived report, so each is taken as `forecast run` archives it:
                # the tables computed from the draws at full precision, then rounded as
                # the CSVs write them (quantiles of float32 draws can differ in the 6th
                # digit); the draws (scores of quantities) as forecast.nc keeps them
                for table in ("outcomes", "predictions"):
                    self._tables[table] = _as_written(getattr(fc, table)())
                self._forecast = Forecast(self.scenario, as_archived(fc.data), fc.seed)
        return self._forecast

    def table(self, name: str) -> pd.DataFrame:
        """``outcomes`` or ``predictions`` as the version's CSV holds them (a version
        given as a file: as ``forecast run`` would write them)."""
        if name not in self._tables:
            if self.kind == "report":
                df = pd.read_csv(self.source / f"{name}.csv", keep_default_na=False, na_values=[""])
            else:
                fc = self.forecast  # a file's version fills its tables here, when simulated
                if name in self._tables:
                    return self._tables[name]
                df = _as_written(fc.outcomes() if name == "outcomes" else fc.predictions())
            self._tables[name] = df
        return self._tables[name]


def _as_written(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as ``forecast run`` writes and this module reads it back (6 significant digits)."""
    text = df.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def _read_forecast(folder: Path, scenario: Scenario) -> Forecast:
    import xarray as xr

    from forecast.analysis.results import Forecast

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    with xr.open_datatree(folder / "forecast.nc", engine="h5netcdf") as tree:
        data = tree.load()
    return Forecast(scenario, data, int(manifest.get("seed", 0)))


#: the files of a report folder that history and score read numbers from
READ_FILES = ("scenario.toml", "outcomes.csv", "predictions.csv", "forecast.nc")


def report_problems(folder: Path) -> list[Problem]:
    """Every file :data:`READ_FILES` of a report folder whose SHA-256 differs from the
    one its ``manifest.json`` recorded (an edited table, a truncated ``forecast.nc``),
    each named; a manifest that does not read or lists no hashes is a problem too.

    Examples
    --------
    >>> report_problems(Path("reports/deepseek"))  # doctest: +SKIP
    []
    """
    import hashlib

    where = str(folder / "manifest.json")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return [Problem(where, "", f"does not read as the manifest of a report ({type(e).__name__})")]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return [
            Problem(where, "files", "lists no file hashes, so the report cannot be checked; run it again")
        ]
    out = []
    for name in READ_FILES:
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if files.get(name) != digest:
            out.append(
                Problem(
                    str(folder),
                    name,
                    "does not match the SHA-256 its manifest.json recorded: changed or damaged "
                    "after the run; run the report again",
                )
            )
    return out


def load_versions(
    sources: Sequence[str | Path | Forecast],
    *,
    draws: int | None = None,
    seed: int | None = None,
    what: str = "history",
) -> list[Version]:
    """The versions named by scenario files, report folders or Forecasts, in ``as_of`` order.

    Nothing is simulated yet (see :attr:`Version.forecast`). Raises
    :class:`ScenarioError` with every problem: unreadable files, report folders
    without their tables, versions of different scenarios, two versions with one
    ``as_of``.

    Examples
    --------
    >>> vs = load_versions(["scenarios/deepseek.toml"])  # doctest: +SKIP
    >>> vs[0].as_of  # doctest: +SKIP
    datetime.date(2025, 1, 1)
    """
    overrides: dict[str, Any] = {}
    if draws is not None:
        overrides["simulation.draws"] = draws
    if seed is not None:
        overrides["simulation.seed"] = seed
    if not sources:
        raise ScenarioError([Problem(what, "", "needs at least one scenario file or report folder")])
    problems: list[Problem] = []
    versions: list[Version] = []
    for src in sources:
        try:
            version = _version(src, overrides)
        except ScenarioError as e:
            problems += e.problems
            continue
        if version is not None:
            versions.append(version)
    if problems:
        raise ScenarioError(problems)
    _check_one_scenario(versions, what)
    versions.sort(key=lambda v: v.as_of)
    _check_dates(versions)
    names: dict[str, int] = {}
    for v in versions:
        names[v.name] = names.get(v.name, 0) + 1
        if names[v.name] > 1:
            v.name = f"{v.name}#{names[v.name]}"
    return versions


#: what a report folder must hold to be read as a version
REPORT_FILES = ("scenario.toml", "outcomes.csv", "predictions.csv", "forecast.nc", "manifest.json")


def _version(src: str | Path | Forecast, overrides: dict[str, Any]) -> Version | None:
    """One source as a version; raises :class:`ScenarioError` with its problems."""
    from forecast.analysis.results import Forecast
    from forecast.scenario import load

    if isinstance(src, Forecast):
        origin = Path(src.scenario.origin)
        # a forecast of a file is named like the file; one of a changed scenario by its date
        name = origin.stem if origin.is_file() else f"{src.scenario.id}-{src.scenario.as_of}"
        return Version(name, origin, src.scenario, "forecast", src)
    path = Path(src)
    if not path.is_dir():
        return Version(path.stem, path, load(path, overrides=overrides or None), "file")
    missing = [f for f in REPORT_FILES if not (path / f).is_file()]
    if missing:
        raise ScenarioError(
            [Problem(str(path), "", f"is not a forecast report folder (missing {', '.join(missing)})")]
        )
    changed = report_problems(path)
    if changed:
        raise ScenarioError(changed)
    return Version(path.name, path, load(path / "scenario.toml"), "report")


def _check_one_scenario(versions: Sequence[Version], what: str) -> None:
    """Versions of one scenario only (one id)."""
    ids = sorted({v.scenario.id for v in versions})
    if len(ids) > 1:
        listing = "; ".join(f"{v.source}: {v.scenario.id}" for v in versions)
        raise ScenarioError(
            [Problem(what, "", f"versions must be of one scenario (one id), got {len(ids)}: {listing}")]
        )


def _check_dates(versions: Sequence[Version]) -> None:
    """Each version dated apart (``versions`` in ``as_of`` order)."""
    problems = [
        Problem(
            str(b.source),
            "as_of",
            f"two versions are dated {b.as_of} ({a.source} and {b.source}); each version needs its own as_of",
        )
        for a, b in itertools.pairwise(versions)
        if a.as_of == b.as_of
    ]
    if problems:
        raise ScenarioError(problems)


@dataclass
class History:
    """The versions of one scenario, in ``as_of`` order.

    Examples
    --------
    >>> h = History.load(["scenarios/deepseek.toml"])  # doctest: +SKIP
    >>> h.table().columns.tolist()[:4]  # doctest: +SKIP
    ['version', 'as_of', 'kind', 'id']
    """

    versions: list[Version]

    @classmethod
    def load(cls, sources: Sequence[str | Path | Forecast], **kwargs: Any) -> History:
        """:func:`load_versions` wrapped in a History."""
        return cls(load_versions(sources, **kwargs))

    @property
    def scenario_id(self) -> str:
        return self.versions[0].scenario.id

    def table(self) -> pd.DataFrame:
        """Every outcome and prediction probability of every version, and its change.

        Columns: ``version, as_of, kind (outcome|prediction), id, label, deadline,
        probability, q05, q95, mcse, change, change_mcse``. ``q05``/``q95`` bound an
        outcome's probability (its own uncertainty; empty for predictions), ``mcse``
        is the Monte Carlo standard error, ``change`` the difference from the previous
        version that had the same id (empty for the first), ``change_mcse``
        ``sqrt(mcse^2 + mcse_prev^2)``.
        """
        rows: list[dict[str, Any]] = []
        last: dict[tuple[str, str], tuple[float, float]] = {}
        for v in self.versions:
            out = v.table("outcomes")
            for r in out.to_dict("records"):
                rows.append(
                    _row(v, "outcome", str(r["outcome"]), str(r["label"]), "", r, last, r["q05"], r["q95"])
                )
            pr = v.table("predictions")
            for r in pr.to_dict("records"):
                rows.append(
                    _row(v, "prediction", str(r["id"]), str(r["statement"]), str(r["deadline"]), r, last)
                )
        return pd.DataFrame(rows, columns=HISTORY_COLUMNS)

    def changes(self) -> pd.DataFrame:
        """What changed from each version to the next: ``version, previous, what, key, before, after``.

        ``what`` is ``input`` (markets, assessment, positions, predictions,
        correlation, simulation), ``evidence`` (an observed market size, keyed
        ``evidence.<market>@<year>``) or ``signpost``. Text that only documents
        (sources, notes, labels) is left out; ``before``/``after`` are empty when the
        key is new or gone.
        """
        rows = []
        for prev, v in zip(self.versions, self.versions[1:], strict=False):
            a, b = flatten(prev.scenario.raw), flatten(v.scenario.raw)
            for key in sorted(set(a) | set(b), key=lambda k: (_what(k), k)):
                if a.get(key) != b.get(key):
                    rows.append(
                        {
                            "version": v.name,
                            "previous": prev.name,
                            "what": _what(key),
                            "key": key,
                            "before": a.get(key, ""),
                            "after": b.get(key, ""),
                        }
                    )
        return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _row(
    v: Version,
    kind: str,
    ident: str,
    label: str,
    deadline: str,
    r: Mapping[Any, Any],
    last: dict[tuple[str, str], tuple[float, float]],
    q05: Any = np.nan,
    q95: Any = np.nan,
) -> dict[str, Any]:
    p, m = float(r["probability"]), float(r["mcse"])
    prev = last.get((kind, ident))
    last[(kind, ident)] = (p, m)
    return {
        "version": v.name,
        "as_of": v.as_of.isoformat(),
        "kind": kind,
        "id": ident,
        "label": label,
        "deadline": deadline,
        "probability": p,
        "q05": float(q05),
        "q95": float(q95),
        "mcse": m,
        "change": p - prev[0] if prev else np.nan,
        "change_mcse": float(np.hypot(m, prev[1])) if prev else np.nan,
    }


def _what(key: str) -> str:
    if key.startswith("evidence"):
        return "evidence"
    if key.startswith("signposts"):
        return "signpost"
    return "input"


def flatten(raw: dict[str, Any]) -> dict[str, str]:
    """A resolved scenario mapping as ``{dotted key: value text}``, for comparing versions.

    List items are named by id, evidence by ``<market>@<year>``, other items by
    position; an uncertain input is one value (``low 0.5, high 0.85``).

    Examples
    --------
    >>> flatten({"markets": [{"id": "m", "cagr": {"median": 0.3, "sigma": 0.1, "source": "x"}}]})
    {'markets.m.cagr': 'median 0.3, sigma 0.1'}
    >>> flatten({"evidence": [{"market": "m", "year": 2025, "value": 4.9, "rel_error": 0.1}]})
    {'evidence.m@2025': '4.9 ± 10%'}
    """
    out: dict[str, str] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            if _QUANTITY_KEYS & set(node):
                out[key] = _quantity_text(node)
                return
            for k, v in node.items():
                if k in _TEXT_KEYS:
                    continue
                walk(v, f"{key}.{k}" if key else k)
        elif isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
            for j, item in enumerate(node):
                if key == "evidence" and {"market", "year", "value"} <= set(item):
                    out[f"evidence.{item['market']}@{item['year']}"] = (
                        f"{_text(item['value'])} ± {_text(100 * float(item.get('rel_error', 0)))}%"
                    )
                    continue
                name = item.get("id") if isinstance(item.get("id"), str) else f"[{j}]"
                walk(item, f"{key}.{name}" if not name.startswith("[") else f"{key}{name}")
        else:
            out[key] = _text(node)

    walk(raw, "")
    return out


def _quantity_text(q: dict[str, Any]) -> str:
    keys = [k for k in q if k in _QUANTITY_KEYS or k == "year"]
    if keys == ["value"]:
        return _text(q["value"])
    return ", ".join(f"{k} {_text(q[k])}" for k in keys)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | dict):
        return json.dumps(v, default=str, sort_keys=True)
    return str(v)
