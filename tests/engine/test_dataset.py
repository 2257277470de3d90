"""The DataTree of a forecast follows ArviZ's conventions, and ``forecast.nc`` keeps them.

Groups, coordinates, attributes, units and dtypes are checked on the seed forecast
(forward simulation); the groups after NUTS are checked in ``test_inference.py`` on the
update scenario it samples anyway. ``arviz_stats.summary`` and an ``arviz_plots`` plot
must run on the file as written, the way they run on any PyMC result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecast.engine.data import model_data
from forecast.engine.dataset import INT8_OUTPUTS, PREDICTIVE, netcdf_encoding
from forecast.engine.inference import DIAGNOSED_OUTPUTS
from forecast.engine.model import OUTPUTS, recorded

GROUP_ATTRS = {
    "created_at",
    "creation_library",
    "creation_library_version",
    "creation_library_language",
    "inference_library",
    "inference_library_version",
    "scenario_id",
    "scenario_sha256",
    "seed",
}


@pytest.fixture(scope="module")
def seed_file(seed_forecast: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nc") / "forecast.nc"
    seed_forecast.to_netcdf(path)
    return path


def test_predictive_outputs_are_those_nuts_does_not_determine() -> None:
    """The split of the groups is the sampler's: what NUTS diagnoses (functions of its
    latents) goes to prior/posterior, the rest is drawn afresh on top of it."""
    assert set(PREDICTIVE) <= set(OUTPUTS)
    assert set(OUTPUTS) - set(PREDICTIVE) == set(DIAGNOSED_OUTPUTS)


def test_forward_groups_coords_and_attrs(seed_forecast: Any) -> None:
    tree = seed_forecast.data
    assert sorted(tree.children) == ["constant_data", "prior", "prior_predictive"]
    prior, predictive = tree["prior"], tree["prior_predictive"]
    outputs = set(recorded(seed_forecast.draws))  # the seed has metrics, no options
    assert set(prior.data_vars) == outputs - set(PREDICTIVE)
    assert set(predictive.data_vars) == set(PREDICTIVE) & outputs
    for group in (prior, predictive):
        assert list(group["chain"].values) == [0]
        assert list(group["draw"].values) == list(range(20_000))
        assert set(group.attrs) >= GROUP_ATTRS
        assert group.attrs["creation_library"] == "forecast"
        assert group.attrs["inference_library"] == "pymc"
        assert group.attrs["scenario_sha256"] == seed_forecast.scenario.sha256()
    assert tree.attrs["scenario_sha256"] == seed_forecast.scenario.sha256()


def test_units_and_names_on_every_variable(seed_forecast: Any) -> None:
    draws = seed_forecast.draws
    for name in recorded(draws):
        assert draws[name].attrs["long_name"], name
        assert "units" in draws[name].attrs, name
    assert {m.unit for m in seed_forecast.scenario.markets} == {"USD bn"}
    assert draws["market_size"].attrs["units"] == "USD bn"
    assert draws["revenue"].attrs["units"] == "USD bn"
    assert draws["growth"].attrs["units"] == "1"
    constant = seed_forecast.data["constant_data"]
    assert list(constant["market_unit"].values) == ["USD bn"] * len(seed_forecast.scenario.markets)


def test_hits_and_the_outcome_are_small_integers(seed_forecast: Any) -> None:
    from forecast.engine.model import recorded

    draws = seed_forecast.draws
    for name in (n for n in INT8_OUTPUTS if n in recorded(list(draws.data_vars))):  # risk_happens: optional
        assert draws[name].dtype == np.int8, name
    assert set(np.unique(draws["prediction_hit"].values)) <= {0, 1}
    # read through values(), as every table does: floats for hits, an int64 index
    assert seed_forecast.values("prediction_hit").dtype == np.float64
    assert seed_forecast.values("realized_outcome").dtype == np.int64
    attrs = draws["realized_outcome"].attrs
    assert attrs["flag_meanings"].split() == seed_forecast.scenario.outcome_ids
    assert list(attrs["flag_values"]) == [0, 1, 2]


def test_no_coordinate_packs_fields_into_a_string(seed_forecast: Any) -> None:
    """Share anchors are numbered; constant_data has one variable per field, and they
    say the same as the labels the model uses internally (``position|date|outcome``).
    The draw groups have index coordinates only, which ArviZ's summary needs."""
    for group in seed_forecast.data.children.values():
        for name, coord in group.coords.items():
            if coord.dtype.kind == "U":
                assert not any("|" in str(v) or "@" in str(v) for v in coord.values), name
    for group in ("prior", "prior_predictive"):
        ds = seed_forecast.data[group]
        assert set(ds.coords) == set(ds.dims), group
    assert list(seed_forecast.data["prior_predictive"]["share_input"].values) == list(range(7))
    ds = seed_forecast.data["constant_data"]
    rebuilt = [
        f"{p}|{d}|{o or 'any'}"
        for p, d, o in zip(
            ds["share_position"].values, ds["share_date"].values, ds["share_outcome"].values, strict=True
        )
    ]
    assert rebuilt == model_data(seed_forecast.scenario).coords["share_input"]
    assert list(ds["share_input"].values) == list(range(len(rebuilt)))


def test_the_file_is_compressed_float32_and_reads_back(seed_forecast: Any, seed_file: Path) -> None:
    import xarray as xr

    raw = sum(int(node.dataset.nbytes) for node in seed_forecast.data.subtree)
    # float32 halves it, and zlib takes constant columns (point inputs) to almost nothing
    assert seed_file.stat().st_size < raw / 2, (seed_file.stat().st_size, raw)
    with xr.open_datatree(seed_file, engine="h5netcdf") as back:
        for group in ("prior", "prior_predictive"):
            ours = seed_forecast.data[group]
            for name in ours.data_vars:
                var = back[group][name]
                kind = ours[name].dtype.kind
                assert var.dtype == (np.float32 if kind == "f" else ours[name].dtype), name
                np.testing.assert_allclose(var.values, ours[name].values, rtol=2**-23, err_msg=name)
                assert var.attrs["long_name"] == ours[name].attrs["long_name"]
            assert back[group].attrs["scenario_sha256"] == seed_forecast.scenario.sha256()
        assert list(back["constant_data"]["share_outcome"].values) == list(
            seed_forecast.data["constant_data"]["share_outcome"].values
        )


def test_as_archived_is_what_the_file_reads_back(seed_forecast: Any, seed_file: Path) -> None:
    """A forecast simulated here and the same forecast read from its ``forecast.nc``
    hold the same numbers, to the bit and dtype (a history mixes both kinds of version)."""
    import xarray as xr

    from forecast.engine.dataset import as_archived

    here = as_archived(seed_forecast.data)
    assert seed_forecast.data["prior"]["market_size"].dtype == np.float64  # left as it was
    with xr.open_datatree(seed_file, engine="h5netcdf") as back:
        for node in back.subtree:
            for name, var in node.dataset.data_vars.items():
                ours = here[node.path][name]
                assert ours.dtype == var.dtype, (node.path, name)
                if var.dtype.kind in "biuf":
                    np.testing.assert_array_equal(ours.values, var.values, err_msg=f"{node.path}/{name}")


def test_encoding_leaves_strings_alone(seed_forecast: Any) -> None:
    enc = netcdf_encoding(seed_forecast.data)
    # zlib level 1: random mantissas barely compress at any level; 4 cost 16% more CPU
    # than 1 at 1e6 draws for a file 1.5% smaller (benchmarks/README.md, session 8)
    assert enc["/prior"]["market_size"] == {"zlib": True, "complevel": 1, "shuffle": True, "dtype": "float32"}
    assert "dtype" not in enc["/prior_predictive"]["prediction_hit"]


def test_a_float_beyond_float32_is_kept_as_float64(tmp_path: Path) -> None:
    """A market growing 150% a year for a century reaches 1e49: stored as float32 it was
    inf in forecast.nc (and a 99% decline underflowed to 0). Such a variable keeps its
    float64, in the file and in :func:`as_archived`; the others are still float32."""
    import xarray as xr

    from forecast.engine.dataset import as_archived, to_netcdf

    ds = xr.Dataset(
        {
            "huge": ("draw", np.array([1.0, 2.5e49])),
            "tiny": ("draw", np.array([1.0, 1e-60])),
            "plain": ("draw", np.array([1.0, 2.0])),
        }
    )
    tree = xr.DataTree.from_dict({"/prior": ds})
    enc = netcdf_encoding(tree)["/prior"]
    assert "dtype" not in enc["huge"] and "dtype" not in enc["tiny"] and enc["plain"]["dtype"] == "float32"
    kept = as_archived(tree)["prior"].dataset
    assert (kept["huge"].dtype, kept["tiny"].dtype, kept["plain"].dtype) == ("float64", "float64", "float32")
    to_netcdf(tree, tmp_path / "f.nc")
    with xr.open_datatree(tmp_path / "f.nc", engine="h5netcdf") as back:
        assert back["prior"]["huge"].values.tolist() == [1.0, 2.5e49]
        assert back["prior"]["tiny"].values.tolist() == [1.0, 1e-60]


def test_arviz_reads_the_file(seed_file: Path) -> None:
    """``arviz_stats.summary`` on both forward groups and an ``arviz_plots`` plot of the
    prior, on the file as written."""
    import arviz_plots as azp
    import arviz_stats as azs
    import matplotlib
    import xarray as xr

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with xr.open_datatree(seed_file, engine="h5netcdf") as tree:
        prior = azs.summary(tree, group="prior", var_names=["market_size", "growth"])
        assert "market_size[developer_tools, 2027]" in prior.index
        predictive = azs.summary(tree, group="prior_predictive")
        hit = predictive.loc["prediction_hit[devtools_leadership]", "mean"]
        assert 0 < float(hit) < 1
        pc = azp.plot_dist(tree, group="prior", var_names=["growth"])
        assert pc is not None
        plt.close("all")


def test_the_forward_tree_is_what_plain_xarray_builds() -> None:
    """``forward_tree`` builds its Datasets from ready Variables (issue 30: xarray's
    alignment was most of ``forecast.simulate``'s fixed cost); the tree must be the one
    the plain construction gives: a Dataset of every output, described, split in two."""
    import xarray as xr

    import forecast
    from forecast.engine.dataset import constant_data, describe, forward_tree, split
    from forecast.engine.forward import forward

    s = forecast.load(forecast.bundled("deepseek"))
    data = model_data(s)
    values, _ = forward(s, 300, 7, data)
    tree = forward_tree(s, values, 7, coords=data.coords)
    attrs = dict(tree.attrs)
    arrays = {
        name: (("chain", "draw", *dims), values[name][None].astype(np.int8 if name in INT8_OUTPUTS else None))
        for name, dims in OUTPUTS.items()
        if name in values
    }
    used = {d for dims, _ in arrays.values() for d in dims}
    plain = xr.Dataset(
        arrays,
        coords={
            "chain": [0],
            "draw": np.arange(300),
            **{k: v for k, v in data.coords.items() if k in used and k != "series"},
        },
    )
    prior, predictive = split(describe(plain, s))
    for group, want in (("prior", prior), ("prior_predictive", predictive)):
        assert tree[group].to_dataset().identical(want.assign_attrs(attrs)), group
        assert list(tree[group].to_dataset().variables) == list(want.variables), group
    assert tree["constant_data"].to_dataset().identical(constant_data(s).assign_attrs(attrs))


def test_the_forward_tree_is_what_from_dict_builds_and_its_groups_share_nothing_changeable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``forward_tree`` attaches its groups without ``DataTree.from_dict``'s two copies
    of each and builds ``constant_data`` once per scenario (issue 30): the tree must be
    the one ``from_dict`` gives, each group with its own attributes, and a forecast's
    tree must not change another's."""
    import xarray as xr

    import forecast
    from forecast.engine import dataset
    from forecast.engine.dataset import constant_data, forward_tree, group_attrs, split, to_dataset
    from forecast.engine.forward import forward

    s = forecast.load(forecast.bundled("deepseek"))
    data = model_data(s)
    values, _ = forward(s, 300, 7, data)
    tree = forward_tree(s, values, 7, coords=data.coords)
    attrs = {**group_attrs(s, 7), "created_at": tree.attrs["created_at"]}
    prior, predictive = split(to_dataset(s, values, coords=data.coords))
    want = xr.DataTree.from_dict(
        {
            "prior": prior.assign_attrs(attrs),
            "prior_predictive": predictive.assign_attrs(attrs),
            "constant_data": constant_data(s).assign_attrs(attrs),
        }
    )
    want.attrs.update(attrs)
    assert tree.identical(want)
    assert [node.path for node in tree.subtree] == [node.path for node in want.subtree]

    def no(*a: Any) -> Any:
        raise AssertionError("constant_data was built again")

    monkeypatch.setattr(dataset, "constant_data", no)
    again = forward_tree(s, values, 7, coords=data.coords)
    # each group's attributes and variables are its own
    tree["prior"].attrs["seed"] = -1
    tree["constant_data"]["market_label"].attrs["note"] = "changed"
    tree["constant_data"].attrs["seed"] = -1
    assert tree.attrs["seed"] == tree["prior_predictive"].attrs["seed"] == 7
    assert again["constant_data"].attrs["seed"] == 7
    assert "note" not in again["constant_data"]["market_label"].attrs
    with pytest.raises(ValueError, match="read-only"):
        tree["constant_data"]["market_label"].values[0] = "changed"
    later = again["constant_data"].to_dataset()
    assert later.assign_attrs(created_at=attrs["created_at"]).identical(want["constant_data"].to_dataset())
