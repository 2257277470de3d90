"""The forward simulator's rewritten function, kept on disk across processes.

A warm process used to rebuild the PyMC model, vectorize it and run PyTensor's
rewrites (several seconds) only to reach a graph already in numba's on-disk cache.
Here the rewritten function (its ``FunctionMaker``: the rewritten graph, its inputs
and outputs) is pickled once per structure beside PyTensor's compile directory and
linked again on load: numba then finds every kernel and the whole graph in its own
cache, and neither the model nor PyMC is built or imported.

Keyed so that nothing stale can load: the entry's file name is a hash of the model
structure (:attr:`~forecast.engine.data.ModelData.structure`), conditional or not,
the PyTensor mode, the source of the modules that build the graph (``engine/model.py``,
``engine/forward.py``, ``engine/data.py``, ``engine/function_cache.py``,
``scenario/inputs.py``), the versions of Python, numpy, PyTensor, PyMC, numba and
llvmlite and the PyTensor flags the graph depends on; the entry repeats its key and
is checked on load. A file that cannot be read, unpickled or checked is ignored (the
caller compiles and writes it again); writes are atomic.

numba keys the whole graph on every constant's hash, which covers its strides: an
empty array pickles back with other strides (``(8,)``, not ``(0,)``), so the strides of
empty constants are put back before linking, and an entry whose constants still hash
differently is not used (it would recompile every kernel, ~30 s, instead of loading).

Examples
--------
>>> key = cache_key((False, False, False), conditional=False, mode="NUMBA")
>>> len(key)
64
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

#: bump when what is stored changes
FORMAT = "forecast-simulator-v1"
_SOURCES = (
    "engine/model.py",
    "engine/forward.py",
    "engine/data.py",
    "engine/function_cache.py",
    "engine/formulas.py",
    "engine/risk_effects.py",
    "scenario/formula.py",
    "scenario/formula_ops.py",
    "scenario/inputs.py",
)
_PACKAGES = ("numpy", "pytensor", "pymc", "numba", "llvmlite")
_RECURSION = 20_000  # pickling walks the graph recursively


@dataclass
class Cached:
    """A linked function read from disk, with what the simulator needs around it."""

    fn: Any
    rngs: list[Any]  # its random generators, in the order the simulator reseeds them
    outputs: list[str]
    inputs: list[str]
    input_dims: dict[str, tuple[str, ...]]


def _versions() -> tuple[str, ...]:
    out = [sys.version]
    for name in _PACKAGES:
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=?")
    return tuple(out)


def _flags() -> tuple[Any, ...]:
    from pytensor import config

    return tuple(
        str(getattr(config, name, None))
        for name in ("floatX", "numba__fastmath", "numba__cache", "compute_test_value", "cast_policy")
    )


def cache_key(structure: tuple[Any, ...], *, conditional: bool, mode: str) -> str:
    """The entry's key: every thing the compiled function depends on (see the module).

    Examples
    --------
    >>> a = cache_key((False, False, False), conditional=False, mode="NUMBA")
    >>> a == cache_key((True, False, False), conditional=False, mode="NUMBA")
    False
    """
    root = Path(__file__).resolve().parents[1]
    sources = [hashlib.sha256((root / s).read_bytes()).hexdigest() for s in _SOURCES]
    text = repr((FORMAT, tuple(structure), bool(conditional), mode, sources, _versions(), _flags()))
    return hashlib.sha256(text.encode()).hexdigest()


def cache_dir() -> Path:
    """Beside PyTensor's compile cache (``PYTENSOR_FLAGS=base_compiledir`` moves both)."""
    from pytensor import config

    return Path(config.compiledir) / "forecast-simulator"


def _constants(fgraph: Any) -> list[Any]:
    """The graph's constants in a fixed order (its toposort: the same for the same graph)."""
    from pytensor.graph.basic import Constant

    seen: set[int] = set()
    out = []
    for node in fgraph.toposort():
        for v in node.inputs:
            if isinstance(v, Constant) and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def _constant_keys(constants: list[Any]) -> list[str]:
    from pytensor.link.numba.dispatch.basic import cache_key_for_constant

    return [str(cache_key_for_constant(c.data)) for c in constants]


def store(
    key: str, fn: Any, rngs: list[Any], outputs: list[str], inputs: list[str], input_dims: dict[str, Any]
) -> None:
    """Write the entry of ``key`` atomically; a cache that cannot be written is only slower."""
    from pytensor.compile.executor import _pickle_Function

    shared = list(fn.get_shared())
    try:
        rng_index = [next(i for i, v in enumerate(shared) if v is r) for r in rngs]
    except StopIteration:
        return
    constants = _constants(fn.maker.fgraph)
    payload = {
        "format": FORMAT,
        "key": key,
        "function": _pickle_Function(fn)[1],  # (maker, input storage, input data, trust_input)
        "rng_index": rng_index,
        "outputs": list(outputs),
        "inputs": list(inputs),
        "input_dims": dict(input_dims),
        "constant_strides": [getattr(c.data, "strides", None) for c in constants],
        "constant_keys": _constant_keys(constants),
    }
    path = cache_dir() / f"{key}.pkl"
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, _RECURSION))
        blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except Exception:  # unpicklable, disk full, read-only: compile next time
        return
    finally:
        sys.setrecursionlimit(limit)


def load(key: str) -> Cached | None:
    """The entry of ``key`` linked and ready, or ``None`` (absent, unreadable, stale)."""
    path = cache_dir() / f"{key}.pkl"
    if not path.is_file():
        return None
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, _RECURSION))
        payload = pickle.loads(path.read_bytes())
        if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("key") != key:
            return None
        maker, input_storage, inputs_data, trust_input = payload["function"]
        constants = _constants(maker.fgraph)
        if len(constants) != len(payload["constant_strides"]):
            return None
        for c, strides in zip(constants, payload["constant_strides"], strict=True):
            data = c.data
            if (
                isinstance(data, np.ndarray)
                and data.size == 0
                and strides is not None
                and data.strides != strides
            ):
                c.data = np.lib.stride_tricks.as_strided(np.empty(0, dtype=data.dtype), data.shape, strides)
        if _constant_keys(constants) != payload["constant_keys"]:
            return None
        from pytensor.compile.executor import _constructor_Function

        fn = _constructor_Function(maker, input_storage, inputs_data, trust_input)
        shared = list(fn.get_shared())
        rngs = [shared[i] for i in payload["rng_index"]]
        return Cached(
            fn, rngs, list(payload["outputs"]), list(payload["inputs"]), dict(payload["input_dims"])
        )
    except Exception:  # truncated, corrupt, from other code: compile instead
        return None
    finally:
        sys.setrecursionlimit(limit)
