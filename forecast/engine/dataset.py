"""The draws of a forecast as an :class:`xarray.DataTree` laid out the way ArviZ expects.

Groups follow ArviZ's conventions, so ``arviz_stats`` and ``arviz_plots`` read a
forecast (or the ``forecast.nc`` a run writes) as they read any PyMC result:

- ``prior``: the inputs drawn from their distributions and what follows from them
  alone: base-year sizes, growth, volatility, the common factor, market sizes, the
  outcome and signpost probabilities;
- ``prior_predictive``: what a forecast draws on top of those: the realized outcome,
  share paths and revenue, event probabilities and times, and whether each
  prediction came true;
- ``constant_data``: what the items along each dim are (labels, units, the
  position, date and outcome of each share anchor, the market and year of each
  evidence entry), one variable per field;
- after NUTS (evidence or observed signposts), ``posterior`` (the sampled latents and
  the same quantities as ``prior``, conditioned), ``posterior_predictive``,
  ``sample_stats`` and ``observed_data``; ``prior`` and ``prior_predictive`` stay,
  for comparison.

This is PyMC's own split: ``posterior`` holds what the sampler draws and its
deterministic functions, ``posterior_predictive`` what is drawn afresh given them.

Every group of draws has ``chain`` and ``draw`` coordinates; every group has the attributes
:func:`arviz_base.from_dict` would add (``created_at``, the creating and inference
libraries and their versions) plus the scenario's id and SHA-256 and the seed.
Variables carry ``units`` and a ``long_name``. Prediction hits are ``int8`` (1 when
the prediction came true in that draw), the realized outcome an ``int8`` index with
CF ``flag_values``/``flag_meanings``. Share anchors and evidence entries, which have
no id, are numbered (``share_input`` 0, 1, ...; ``evidence`` as in ``evidence[i]``
of the file); no coordinate packs several fields into one string.

:func:`to_netcdf` writes a tree compressed, floats as ``float32``: seven significant
digits, far finer than the Monte Carlo error of any summary.

Examples
--------
>>> import forecast
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000)  # doctest: +SKIP
>>> sorted(fc.data.children)  # doctest: +SKIP
['constant_data', 'prior', 'prior_predictive']
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.engine.data import PerScenario, model_data
from forecast.engine.formulas import formula_constants, formula_units
from forecast.engine.model import OUTPUTS
from forecast.scenario import Scenario

if TYPE_CHECKING:
    import xarray as xr

#: recorded outputs drawn afresh on top of the inputs: they go to ``prior_predictive``
#: (``posterior_predictive`` after NUTS); every other output to ``prior`` (``posterior``)
PREDICTIVE = (
    "realized_outcome",
    "share_anchor",
    "share",
    "revenue",
    "event_probability",
    "event_time",
    "prediction_hit",
    "input_value",
    "metric_by_year",
    "metric_value",
    "payoff",
    "risk_happens",
)

#: outputs stored as ``int8``: an outcome index and 0/1 hits
INT8_OUTPUTS = ("realized_outcome", "prediction_hit", "risk_happens")

# long name and units of each variable; "<market>" and "<position>" stand for the unit
# of the market (of the position's market), see _units
_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "size": ("market size in its base year", "<market>"),
    "growth": ("yearly growth rate (CAGR)", "1"),
    "volatility": ("SD of the yearly shock to log market size", "1"),
    "common_factor": ("share of growth and shock variance common to all markets", "1"),
    "growth_surprise": ("growth surprise, in SDs of the market's growth", "1"),
    "outcome_prior": ("outcome probabilities drawn around the stated ones", "1"),
    "market_size": ("market size", "<market>"),
    "total_market": ("total size of the markets", "<market>"),
    "outcome_probability": ("probability of each outcome within the horizon", "1"),
    "signpost_probability": ("probability that the signpost is observed true", "1"),
    "realized_outcome": ("the outcome that happens in this draw (index into outcome)", "1"),
    "share_anchor": ("company share at a point of the position's path", "1"),
    "share": ("company share of the market", "1"),
    "revenue": ("company revenue: share x market size", "<position>"),
    "event_probability": ("probability of the event by its deadline", "1"),
    "event_time": ("time until the event, in years after the scenario's as_of date", "year"),
    "prediction_hit": ("1 when the prediction came true in this draw, else 0", "1"),
    "evidence_observed": ("log of the observed market size", "1"),
    "evidence_value": ("observed market size", "<market>"),
    "evidence_rel_error": ("relative error of the observation (SD of its log)", "1"),
    "signpost_observed": ("1 when the signpost was observed true, 0 when false", "1"),
    "input_value": ("named input (inputs.<id>)", "<input>"),
    "metric_by_year": ("metric by year (a formula)", "<yearly_metric>"),
    "metric_value": ("metric, one number per draw (a formula)", "<scalar_metric>"),
    "payoff": ("an option's payoff, in the decision's unit (a formula)", "<decision>"),
    "risk_happens": ("1 when the risk happens in this draw (it moves inputs or metrics), else 0", "1"),
}


def to_dataset(
    scenario: Scenario,
    values: Mapping[str, np.ndarray],
    chains: int = 1,
    coords: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Arrays with a leading draw dim (``chains * draws``) -> a (chain, draw) Dataset.

    Every output of :data:`forecast.engine.model.OUTPUTS` found in ``values``, with
    coordinates, units and long names (see :func:`describe`); hits and the realized
    outcome as ``int8``. ``coords``: ``model_data(scenario).coords`` when the caller
    has them (building the model's data again costs ~8 ms a call).

    Examples
    --------
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("ev-charging"))
    >>> ds = to_dataset(s, {"growth": np.full((6, len(s.markets)), 0.1)}, chains=2)
    >>> dict(ds.sizes), ds["growth"].attrs["units"]
    ({'chain': 2, 'draw': 3, 'market': 3}, '1')
    """
    import xarray as xr

    known = model_data(scenario).coords  # built once per scenario
    coords = known if coords is None else coords
    arrays = {}
    for name, dims in OUTPUTS.items():
        if name not in values:
            continue
        arr = np.asarray(values[name])
        arr = arr.reshape(chains, arr.shape[0] // chains, *arr.shape[1:])
        arrays[name] = (("chain", "draw", *dims), arr.astype(np.int8) if name in INT8_OUTPUTS else arr)
    sizes = {d: n for dims, arr in arrays.values() for d, n in zip(dims, arr.shape, strict=True)}
    fresh: dict[str, Any] = {"chain": np.arange(chains), "draw": np.arange(sizes.get("draw", 0))}
    # items without an id are numbered, last (where describe's assign_coords put them)
    fresh |= {k: np.arange(sizes[k]) for k in _NUMBERED if k in sizes}
    made = xr.Coordinates(fresh)
    labelled = _labelled_index(scenario, coords, remember=coords is known)
    order = ["chain", "draw", *(k for k in labelled if k in sizes), *(k for k in _NUMBERED if k in sizes)]
    found = {k: (made.variables[k], made.xindexes[k]) if k in fresh else labelled[k] for k in order}
    # Variables that already carry their attributes, on indexes built once: the
    # Dataset then aligns nothing (xarray building and describing a Dataset of named
    # arrays was most of forecast.simulate's fixed cost at 20,000 draws)
    outcomes = [str(o) for o in coords["outcome"]] if "outcome" in sizes and "outcome" in coords else None
    outcomes = scenario.outcome_ids if outcomes is None else outcomes
    units = _UNITS.get(scenario, _units)
    variables = {
        name: xr.Variable(dims, arr, attrs=_attrs(name, units, outcomes))
        for name, (dims, arr) in arrays.items()
    }
    index = xr.Coordinates(
        {k: v for k, (v, _) in found.items()}, indexes={k: i for k, (_, i) in found.items()}
    )
    return xr.Dataset(variables, coords=index)


#: the labelled dims' index variables and indexes, and the units, of each live scenario
_INDEXES: PerScenario[dict[str, tuple[Any, Any]]] = PerScenario()
_UNITS: PerScenario[dict[str, str]] = PerScenario()


def _labelled_index(
    scenario: Scenario, coords: Mapping[str, Any], *, remember: bool
) -> dict[str, tuple[Any, Any]]:
    """Each labelled dim of ``coords`` (those with ids) as its index variable and
    index; built once per scenario when ``coords`` are its model data's (xarray's
    pandas indexes were half of :func:`to_dataset`'s cost). Indexes are immutable."""
    import xarray as xr

    def build(_: Scenario) -> dict[str, tuple[Any, Any]]:
        labelled = {k: v for k, v in coords.items() if k not in ("series", *_NUMBERED)}
        made = xr.Coordinates(labelled)
        return {k: (made.variables[k], made.xindexes[k]) for k in labelled}

    return _INDEXES.get(scenario, build) if remember else build(scenario)


#: dims whose items have no id: numbered 0, 1, ... (constant_data says what each is)
_NUMBERED = ("share_input", "evidence")


def describe(ds: xr.Dataset, scenario: Scenario) -> xr.Dataset:
    """``ds`` with units and long names on its variables, and the items that have no id
    (share anchors, evidence) numbered; :func:`constant_data` says what each one is.

    Examples
    --------
    >>> import xarray as xr
    >>> import forecast
    >>> s = forecast.load(forecast.bundled("deepseek-update"))
    >>> ds = describe(xr.Dataset({"evidence_value": ("evidence", [4.9])}), s)
    >>> ds["evidence"].values.tolist(), ds["evidence_value"].attrs["units"]
    ([0], 'USD bn')
    """
    # Plain integer indexes: ArviZ's summary stacks every variable of a group into one
    # table and fails on coordinates that only some variables have (such as a
    # per-share-anchor position), so the fields of an item live in constant_data.
    for dim in _NUMBERED:
        if dim in ds.dims:
            ds = ds.assign_coords({dim: np.arange(ds.sizes[dim])})
    units = _units(scenario)
    outcomes = [str(o) for o in ds["outcome"].values] if "outcome" in ds.coords else scenario.outcome_ids
    for name in ds.data_vars:
        ds[name].attrs.update(_attrs(str(name), units, outcomes))
    return ds


def _attrs(name: str, units: Mapping[str, str], outcomes: list[str]) -> dict[str, Any]:
    """A variable's ``long_name``, ``units`` (none when empty) and, for the realized
    outcome, CF's ``flag_values``/``flag_meanings``."""
    long_name, unit = _DESCRIPTIONS.get(name, (_latent_name(name), "1"))
    attrs: dict[str, Any] = {"long_name": long_name}
    unit = units.get(unit, unit)
    if unit:
        attrs["units"] = unit
    if name == "realized_outcome":
        attrs["flag_values"] = np.arange(len(outcomes), dtype=np.int8)
        attrs["flag_meanings"] = " ".join(outcomes)
    return attrs


def _latent_name(name: str) -> str:
    if name.startswith("z_"):
        return f"standard-normal latent behind {name[2:].replace('_', ' ')}"
    return name.replace("_", " ")


def _units(scenario: Scenario) -> dict[str, str]:
    """``<market>``/``<position>`` -> the unit, when one unit serves every market
    (position); else nothing (``market_unit`` in constant_data says)."""
    out = {"<market>": "", "<position>": ""}
    markets = {m.unit for m in scenario.markets}
    if len(markets) == 1:
        out["<market>"] = markets.pop()
    positions = {scenario.market(p.market).unit for p in scenario.positions}
    if len(positions) == 1:
        out["<position>"] = positions.pop()
    return out | formula_units(scenario)


def constant_data(scenario: Scenario) -> xr.Dataset:
    """What the labelled and numbered items of the draws are, one variable per field.

    ``market_label``/``market_unit`` by market, ``outcome_label``/``outcome_stated``
    by outcome, ``position_market``/``position_unit`` by position,
    ``prediction_deadline`` by prediction, and for the numbered dims
    ``share_position``, ``share_point`` (its index in the position's ``path``),
    ``share_date`` and ``share_outcome`` (``""``: whatever the outcome) by
    ``share_input``, ``evidence_market`` and ``evidence_year`` by ``evidence``
    (``evidence[i]`` of the file). ArviZ's group for model constants.

    Examples
    --------
    >>> import forecast
    >>> cd = constant_data(forecast.load(forecast.bundled("deepseek")))
    >>> [str(cd[field].values[0]) for field in ("share_position", "share_date", "share_outcome")]
    ['deepseek_devtools', '2025-01-01', '']
    """
    import xarray as xr

    s = scenario
    points = [(p.id, j, pt) for p in s.positions for j, pt in enumerate(p.path)]
    outcomes = s.assessment.outcomes if s.assessment else []
    data_vars: dict[str, Any] = {
        "market_label": ("market", [m.label for m in s.markets]),
        "market_unit": ("market", [m.unit for m in s.markets]),
        "outcome_label": ("outcome", [o.label for o in outcomes]),
        "outcome_stated": ("outcome", [float(o.probability.value or 0.0) for o in outcomes]),
        "position_market": ("position", [p.market for p in s.positions]),
        "position_unit": ("position", [s.market(p.market).unit for p in s.positions]),
        "prediction_deadline": ("prediction", [p.deadline.isoformat() for p in s.predictions]),
        "share_position": ("share_input", [p for p, _, _ in points]),
        "share_point": ("share_input", np.array([j for _, j, _ in points], dtype=np.int64)),
        "share_date": ("share_input", [pt.at.isoformat() for _, _, pt in points]),
        "share_outcome": ("share_input", [pt.outcome or "" for _, _, pt in points]),
        "evidence_market": ("evidence", [e.market for e in s.evidence]),
        "evidence_year": ("evidence", np.array([e.year for e in s.evidence], dtype=np.int64)),
    }
    coords = {
        "market": [m.id for m in s.markets],
        "outcome": [o.id for o in outcomes],
        "position": [p.id for p in s.positions],
        "prediction": [p.id for p in s.predictions],
        "share_input": np.arange(len(points)),
        "evidence": np.arange(len(s.evidence)),
    }
    if s.inputs or s.metrics:  # units and formulas of the named inputs and metrics
        fields, dims = formula_constants(s)
        data_vars, coords = {**data_vars, **fields}, {**coords, **dims}
    return xr.Dataset(data_vars, coords=coords)


# --- groups -----------------------------------------------------------------------------


def pooled(arr: np.ndarray) -> np.ndarray:
    """Draws ``(chain, draw, ...)`` pooled to ``(chain * draw, ...)``, chain-major.

    The draw count is named, not left to ``reshape(-1, ...)``, which numpy cannot
    infer when another dim is 0 (a scenario without predictions or positions).

    Examples
    --------
    >>> pooled(np.zeros((2, 5, 0))).shape
    (10, 0)
    """
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def split(ds: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset]:
    """(inputs and what follows from them, predictive quantities) of one draw Dataset."""
    predictive = [v for v in ds.data_vars if v in PREDICTIVE]
    return ds.drop_vars(predictive), ds[predictive]


def group_attrs(scenario: Scenario, seed: int, inference_library: str = "pymc") -> dict[str, Any]:
    """The attributes of every group: what :func:`arviz_base.from_dict` adds, plus the
    scenario's id and SHA-256 and the seed.

    Examples
    --------
    >>> import forecast
    >>> a = group_attrs(forecast.load(forecast.bundled()), seed=1)
    >>> a["creation_library"], a["inference_library"], len(a["scenario_sha256"])
    ('forecast', 'pymc', 64)
    """
    return {
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "creation_library": "forecast",
        "creation_library_version": _version("forecast"),
        "creation_library_language": "Python",
        "inference_library": inference_library,
        "inference_library_version": _version(inference_library),
        "scenario_id": scenario.id,
        "scenario_sha256": scenario.sha256(),
        "seed": seed,
    }


@functools.cache  # importlib.metadata reads the installed files: ~2.5 ms a call
def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def forward_tree(
    scenario: Scenario,
    values: Mapping[str, np.ndarray],
    seed: int,
    coords: Mapping[str, Any] | None = None,
) -> xr.DataTree:
    """The tree of a forward simulation: ``prior``, ``prior_predictive`` and ``constant_data``.

    The tree ``DataTree.from_dict`` gives, without its copies: ``from_dict`` copied
    each group twice (a new node, then a copy of it to attach) after ``assign_attrs``
    had copied it once; here each group is copied once, into its node (whose
    attributes are its own), and the nodes are attached as they are (the public
    ``children`` setter checks their alignment and copies nothing). ``constant_data``
    depends on the scenario alone: built once per scenario, its arrays read-only
    (each tree gets its own shallow copy).
    """
    import xarray as xr

    prior, predictive = split(to_dataset(scenario, values, coords=coords))
    attrs = group_attrs(scenario, seed)
    groups = {"prior": prior, "prior_predictive": predictive, "constant_data": _constant(scenario)}
    nodes = {}
    for name, ds in groups.items():
        nodes[name] = node = xr.DataTree(dataset=ds)
        node.attrs = {**ds.attrs, **attrs}
    tree = xr.DataTree()
    tree.attrs = dict(attrs)
    tree.children = nodes
    return tree


#: constant_data of each live scenario (~3 ms a build)
_CONSTANT: PerScenario[xr.Dataset] = PerScenario()


def _constant(scenario: Scenario) -> xr.Dataset:
    """:func:`constant_data`, built once per scenario and read-only (shared by its trees)."""

    def build(s: Scenario) -> xr.Dataset:
        ds = constant_data(s)
        for var in ds.variables.values():
            var.values.flags.writeable = False
        return ds

    return _CONSTANT.get(scenario, build)


def nuts_tree(
    scenario: Scenario,
    *,
    prior_values: Mapping[str, np.ndarray],
    posterior: xr.Dataset,
    sample_stats: xr.Dataset,
    observed_data: xr.Dataset,
    seed: int,
    sampler: str,
) -> xr.DataTree:
    """The tree after NUTS: the forward groups plus ``posterior``,
    ``posterior_predictive``, ``sample_stats`` and ``observed_data``.

    ``posterior`` holds every recorded output (see :func:`to_dataset`) and the NUTS
    latents; it is split here.
    """
    import xarray as xr

    forward = forward_tree(scenario, prior_values, seed)
    post, predictive = split(describe(posterior, scenario))
    attrs = group_attrs(scenario, seed, inference_library=sampler)
    groups = {
        "posterior": post,
        "posterior_predictive": predictive,
        "sample_stats": sample_stats,
        "observed_data": describe(observed_data, scenario),
    }
    tree = xr.DataTree.from_dict(
        {
            **{name: forward[name].to_dataset() for name in forward.children},
            **{name: ds.assign_attrs(attrs) for name, ds in groups.items()},
        }
    )
    tree.attrs.update(forward.attrs)
    return tree


# --- files ------------------------------------------------------------------------------


def netcdf_encoding(tree: xr.DataTree, complevel: int = 1) -> dict[str, dict[str, dict[str, Any]]]:
    """Per group and variable: zlib with shuffle, and floats as ``float32`` (a variable
    whose numbers ``float32`` cannot hold stays ``float64``, see :func:`fits_float32`).

    Draws carry Monte Carlo error far larger than ``float32``'s seven significant
    digits, and random mantissas barely compress: the halving is most of the saving.
    zlib's level 1 (not 4): the seed's file at 1e6 draws is 1.5% larger and costs 16%
    less CPU to write (``benchmarks/README.md``, session 8).
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for node in tree.subtree:
        enc: dict[str, dict[str, Any]] = {}
        for name, var in node.dataset.data_vars.items():
            if var.dtype.kind not in "biuf":
                continue
            e: dict[str, Any] = {"zlib": True, "complevel": complevel, "shuffle": True}
            if var.dtype.kind == "f" and fits_float32(var):
                e["dtype"] = "float32"
            enc[str(name)] = e
        if enc:
            out[node.path] = enc
    return out


_FLOAT32 = np.finfo(np.float32)


def fits_float32(var: xr.DataArray) -> bool:
    """Whether ``float32`` holds every number of ``var``: none beyond its largest (a
    market growing 150% a year for a century reaches 1e49, which became inf) and none so
    small it would flush to 0 (a silent zero). Such a variable stays ``float64``.

    Examples
    --------
    >>> import xarray as xr
    >>> fits_float32(xr.DataArray([1.0, 3e38])), fits_float32(xr.DataArray([1.0, 1e39]))
    (True, False)
    """
    values = np.asarray(var.values)
    if values.size:
        # one sign and no NaN or inf (the usual case): two reductions, no copy of the draws
        lo, hi, top = float(np.min(values)), float(np.max(values)), float(_FLOAT32.max)
        if 0 < lo <= hi <= top or -top <= lo <= hi < 0:
            return min(abs(lo), abs(hi)) >= float(_FLOAT32.tiny)
    a = np.abs(np.asarray(values, dtype=np.float64))
    a = a[np.isfinite(a) & (a > 0)]
    return not a.size or (float(a.max()) <= float(_FLOAT32.max) and float(a.min()) >= float(_FLOAT32.tiny))


def as_archived(tree: xr.DataTree) -> xr.DataTree:
    """``tree`` at the precision ``forecast.nc`` keeps: every float variable that
    :func:`netcdf_encoding` stores as ``float32`` (all that :func:`fits_float32`) cast
    to ``float32``.

    Numbers computed from a forecast simulated here and from the same forecast read
    back from its archived report are then the same to the last digit (a version of a
    forecast history can come from either).
    """
    out = tree.copy()
    for node in out.subtree:
        ds = node.dataset
        cast = {
            str(k): v.astype("float32")
            for k, v in ds.data_vars.items()
            if v.dtype.kind == "f" and fits_float32(v)
        }
        if cast:
            node.dataset = ds.assign(cast)
    return out


def to_netcdf(tree: xr.DataTree, path: str | Path) -> None:
    """Write ``tree`` to ``path`` (netCDF4 via h5netcdf), compressed: what ``forecast run``
    saves as ``forecast.nc``; open it with ``xarray.open_datatree(path)``.

    Examples
    --------
    >>> import forecast
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000)  # doctest: +SKIP
    >>> to_netcdf(fc.data, "forecast.nc")  # doctest: +SKIP
    """
    with open(path, "wb") as f:
        f.write(netcdf_bytes(tree))


def netcdf_bytes(tree: xr.DataTree) -> Any:
    """The netCDF file of ``tree``, compressed, built in memory.

    Writing it is then one plain write: when HDF5 itself hit "no space left on device"
    it raised and then crashed the process while closing the broken file (a segfault,
    exit 139); a plain write makes a full disk an ordinary ``OSError`` (ENOSPC).
    """
    return tree.to_netcdf(engine="h5netcdf", encoding=netcdf_encoding(tree))
