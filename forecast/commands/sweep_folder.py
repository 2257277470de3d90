"""A sweep's folder: what may be in it, its case files, and who is writing it.

- :func:`check_out`: ``--out`` is new, empty, or a folder a sweep wrote that holds
  nothing else (every name in it is one a sweep writes); anything else is refused
  before any work, naming what is there.
- Case files (``cases/<digest>.npz``: the case's summary rows, and its draws with
  ``--keep-draws``) carry a SHA-256 of their own content: a file
  that is truncated, empty, edited or from another case is not read as done
  (:func:`verify_case`); the sweep runs that case again and says so.
- :func:`lock`: one sweep at a time writes a folder; a second is refused (exit 2)
  while the first holds ``cases/.lock``, so neither loses a finished case.

Examples
--------
>>> check_out(Path("a-new-folder-that-does-not-exist"))  # nothing to refuse
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.outputs.staging import OutputError

if TYPE_CHECKING:
    from forecast.analysis.sweep import Case

MARKER = ".forecast-sweep"  # in DIR/cases/: this folder is a sweep's
LOCK = ".lock"  # in DIR/cases/: held by the sweep writing the folder
RESULTS = ("sweep.csv", "sweep.parquet", "draws.zarr", "report.html", "report.md", "figures", "manifest.json")
_CASE_FILE = re.compile(r"^[0-9a-f]{64}\.npz$|^\.[0-9a-f]{64}\.npz\.partial-\d+$")


def check_out(out: Path) -> None:
    """Raise :class:`OutputError` unless ``out`` can hold this sweep (see the module doc)."""
    target = Path(os.path.abspath(out))
    if not (target.exists() or target.is_symlink()):
        return
    if not target.is_dir():
        raise OutputError("it exists and is not a folder")
    if target.resolve() == Path("/") or Path.cwd().resolve().is_relative_to(target.resolve()):
        raise OutputError("it is the working folder or one of its parents")
    if any(target.iterdir()) and not (target / "cases" / MARKER).is_file():
        raise OutputError(
            f"it is a folder that is not a forecast sweep (no cases/{MARKER}); "
            "refusing to write into it; choose another --out"
        )
    foreign = sorted(p.name for p in target.iterdir() if p.name not in (*RESULTS, "cases"))
    cases = target / "cases"
    if cases.is_dir():
        foreign += sorted(
            f"cases/{p.name}"
            for p in cases.iterdir()
            if p.name not in (MARKER, LOCK) and not _CASE_FILE.match(p.name)
        )
    if foreign:
        raise OutputError(
            f"it holds what a sweep did not write ({', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''}); move it away or choose another --out"
        )


@contextmanager
def lock(cases_dir: Path) -> Iterator[None]:
    """Hold ``cases/.lock`` while writing the folder; raise :class:`OutputError` when
    another sweep holds it (an advisory ``flock``: it ends with the process)."""
    import fcntl

    with open(cases_dir / LOCK, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                "another forecast sweep is writing it; wait for that one to finish, then run this again "
                "(its finished cases are kept)"
            ) from None
        yield


# --- the case files -------------------------------------------------------------------------


def case_path(cases_dir: Path, case: Case) -> Path:
    return cases_dir / f"{case.digest}.npz"


def _checksum(arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    """SHA-256 of every array (name, dtype, shape, bytes) and of the metadata."""
    import numpy as np

    h = hashlib.sha256(json.dumps({k: v for k, v in meta.items() if k != "sha256"}, sort_keys=True).encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_case(cases_dir: Path, case: Case, result: Mapping[str, Any]) -> Path:
    """Write one finished case atomically: a temporary file renamed into place.

    An uncompressed ``.npz``: ``__meta__`` (JSON: the case's key, digest, seed,
    draws, summary rows, warnings, and the SHA-256 of all of it) and, when the result
    carries them (``--keep-draws``), one array per variable of its draws with each
    variable's dims and the coordinates in ``__meta__``. Without draws it is a few
    kB: the summary rows are all the sweep's table and a resume need.
    """
    import numpy as np

    ds = result.get("draws")
    meta: dict[str, Any] = {
        "case_key": case.key,
        "digest": case.digest,
        "seed": case.seed,
        "draws": case.draws,
        "rows": result["rows"],
        "warnings": list(result.get("warnings", [])),
        "kept_draws": ds is not None,
        "dims": {} if ds is None else {str(k): [str(d) for d in v.dims] for k, v in ds.data_vars.items()},
        "coords": {} if ds is None else {str(k): v.values.tolist() for k, v in ds.coords.items()},
    }
    arrays = {} if ds is None else {str(k): np.asarray(v.values) for k, v in ds.data_vars.items()}
    meta["sha256"] = _checksum(arrays, meta)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    final = case_path(cases_dir, case)
    tmp = cases_dir / f".{final.name}.partial-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            np.savez(f, allow_pickle=False, **arrays)
        os.replace(tmp, final)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    return final


def verify_case(path: Path, case: Case) -> str | None:
    """Why the case file at ``path`` cannot be taken as ``case`` done, or None when it can.

    It must load, name this case's digest, and match the SHA-256 it was written with
    (so a truncated, empty or edited file, or one from another version, is run again).
    """
    import numpy as np

    try:
        # our own handle: np.load leaves its file open when the zip is damaged
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            meta = _meta(f)
            arrays = {name: f[name] for name in f.files if name != "__meta__"}
    except Exception as e:  # zip, npy, json and key errors: all mean "damaged"
        return f"it does not read ({type(e).__name__})"
    if meta.get("digest") != case.digest:
        return "it is the file of another case"
    if meta.get("sha256") != _checksum(arrays, meta):
        return "its content does not match the SHA-256 it was written with"
    return None


def finished_case(cases_dir: Path, case: Case, keep_draws: bool) -> bool:
    """Whether ``case`` is done: its file is there and sound. A damaged one (truncated,
    empty, edited) is removed, said, and the case runs again; so does one without
    draws when ``--keep-draws`` asks for them (its file is replaced when it is done)."""
    path = case_path(cases_dir, case)
    if not path.is_file():
        return False
    why = verify_case(path, case)
    if why is None and keep_draws and not has_draws(path):
        print(
            f"forecast: case {case.index} ({case.key}): cases/{path.name} holds no draws "
            "(written without --keep-draws); running it again",
            file=sys.stderr,
        )
        return False
    if why is None:
        return True
    print(
        f"forecast: case {case.index} ({case.key}): cases/{path.name} is damaged: {why}; running it again",
        file=sys.stderr,
    )
    path.unlink()
    return False


def prepare(cases_dir: Path) -> None:
    """Make ``cases/`` (marked as a sweep's) and remove what a killed run left half-written."""
    cases_dir.mkdir(parents=True, exist_ok=True)
    (cases_dir / MARKER).touch()
    for stale in cases_dir.glob(".*.partial-*"):  # a run killed while writing a case
        with suppress(OSError):
            stale.unlink()


def _meta(f: Any) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(f["__meta__"].tobytes().decode())
    if not isinstance(meta, dict):
        raise ValueError("case metadata is not a table")
    return meta


def has_draws(path: Path) -> bool:
    """Whether a (verified) case file holds its draws (written with ``--keep-draws``)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as f:
        return bool(_meta(f).get("kept_draws", True))


def read_case_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """A case file's summary rows and warnings (without reading its draws)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as f:
        meta = _meta(f)
    return meta["rows"], meta["warnings"]


def open_case(path: Path) -> Any:
    """A case file's draws as an :class:`xarray.Dataset`."""
    import numpy as np
    import xarray as xr

    with np.load(path, allow_pickle=False) as f:
        meta = _meta(f)
        data = {name: (dims, f[name]) for name, dims in meta["dims"].items()}
    return xr.Dataset(data, coords={k: (k, v) for k, v in meta["coords"].items()})
