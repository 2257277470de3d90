"""Issue 30: ``forecast.nc`` written straight to its file, never whole in memory.

At 1e6 draws the file built in memory (270 MB) was the run's second largest moment.
HDF5 crashes the process when a write of its own fails (a full disk: exit 139), so
the file it writes through never fails a write: on a failure the file so far moves to
memory, HDF5 finishes there, and the error is raised afterwards (``OSError``, which
``forecast run`` reports with nothing left behind).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast.outputs.staging as staging


def _tree(mb: float) -> Any:
    import xarray as xr

    rng = np.random.default_rng(3)
    n = int(mb * 1e6 / 5)  # float32 (not cast again on the way) and int8
    x = rng.standard_normal(n, dtype=np.float32)
    return xr.DataTree.from_dict(
        {"prior": xr.Dataset({"x": ("draw", x), "k": ("draw", np.arange(n, dtype=np.int8))})}
    )


def test_hdf5_writes_to_the_file_not_to_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``to_netcdf`` gets a file to write through (without one it returns the whole file
    as bytes: HDF5's memory, which tracemalloc does not see; at 1e6 draws the peak RSS
    of a run fell by about the file's size)."""
    import xarray as xr

    targets: list[Any] = []
    real = xr.DataTree.to_netcdf

    def spy(self: Any, filepath: Any = None, *args: Any, **kwargs: Any) -> Any:
        targets.append(filepath)
        return real(self, filepath, *args, **kwargs)

    monkeypatch.setattr(xr.DataTree, "to_netcdf", spy)
    staging.write_netcdf(_tree(1), tmp_path / "f.nc")
    assert len(targets) == 1 and targets[0] is not None and hasattr(targets[0], "write")


def test_what_is_written_reads_back(tmp_path: Path) -> None:
    import xarray as xr

    tree = _tree(2)
    staging.write_netcdf(tree, tmp_path / "f.nc")
    with xr.open_datatree(tmp_path / "f.nc", engine="h5netcdf") as back:
        np.testing.assert_array_equal(back["prior"]["k"].values, tree["prior"]["k"].values)
        np.testing.assert_array_equal(back["prior"]["x"].values, tree["prior"]["x"].values)


@pytest.mark.parametrize("room", [0, 1000, 700_000])
def test_a_disk_that_fills_up_is_an_oserror_after_hdf5_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    """The disk takes ``room`` bytes (a short write first), then refuses: HDF5 never sees
    the failure (it would crash the process), the error is raised when it is done."""
    real = staging._disk_write
    taken = {"n": 0, "refused": 0}

    def full(f: Any, data: memoryview) -> int:
        left = room - taken["n"]
        if left <= 0:
            taken["refused"] += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real(f, data[:left])
        taken["n"] += n
        return n

    monkeypatch.setattr(staging, "_disk_write", full)
    with pytest.raises(OSError) as e:
        staging.write_netcdf(_tree(2), tmp_path / "f.nc")
    assert e.value.errno == errno.ENOSPC
    assert taken["refused"] == 1  # the disk was not asked again after it refused
