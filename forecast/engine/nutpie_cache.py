"""nutpie's numba backend, with its two C callbacks in numba's on-disk cache.

:func:`compile_pymc_model_cached` stands in for ``nutpie.compile_pymc_model(model,
var_names=...)`` (numba backend, default options) and returns the same
``nutpie.compile_pymc.CompiledPyMCModel``, so ``with_data`` and ``nutpie.sample``
work unchanged. A process that finds the callbacks in the cache compiles the
``deepseek-update`` sampler in ~2.4 s instead of ~21 s (measured on 2 cores; the
draws are bit-identical for the same seed).

Why nutpie's own callbacks are compiled afresh in every process (nutpie 0.16.11,
``_compile_pymc_model_numba``): they are closures, and numba keys a cached closure on
the pickle of what it captures, which here includes shared-variable keys nutpie draws
with ``uuid4()`` and numba dispatchers whose pickle carries a per-instance id (numba
issue #6264); ``compile_pymc_model(..., cache=True)`` writes a new entry every time
and never loads one. Here the same callbacks (nutpie's ``make_extraction_fn`` and
``make_user_data``, the same C signatures and return codes) are generated from
source with their captured values as globals, the shared-variable keys are
deterministic (``s0, s1, ...``), and PyTensor's numba cache locator files them under a
key covering PyTensor's own cache key of the logp and expand graphs, the
dimensions, the shared variables' ndim and dtype, the source and the versions of
nutpie, numba, llvmlite, PyTensor and PyMC.

It relies on nutpie's private helpers (``nutpie.compile_pymc._make_functions``,
``make_extraction_fn``, ``make_user_data``, ``_prepare_dims_and_coords``,
``_wrap_with_lock``, ``CompiledPyMCModel``) and PyTensor's
``pytensor.link.numba.cache``; ``pyproject.toml`` pins nutpie's minor version, and
:func:`forecast.engine.inference.compiled_sampler` falls back to nutpie's own compile, with a
warning, if this fails. Bump :data:`CACHE_VERSION` when the callbacks change.

Examples
--------
>>> compiled = compile_pymc_model_cached(model, var_names=["z_size"])  # doctest: +SKIP
>>> compiled.compiled_logp_func.cache_hits  # 1 when loaded from the disk cache  # doctest: +SKIP
1
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from typing import Any

import numpy as np

_LOGP_SRC = """
def nutpie_logp_cfunc(dim, x_, out_, logp_, user_data_):
    if dim != N_DIM:
        return -1
    try:
        x = numba.carray(x_, (N_DIM,))
        out = numba.carray(out_, (N_DIM,))
        logp = numba.carray(logp_, ())
        logp_val, grad = extract(x, user_data_)
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:  # noqa: BLE001
        return 1
    return 0
"""

_EXPAND_SRC = """
def nutpie_expand_cfunc(dim, expanded, x_, out_, user_data_):
    if dim != N_DIM:
        return -1
    if expanded != N_EXPANDED:
        return -1
    try:
        x = numba.carray(x_, (N_DIM,))
        out = numba.carray(out_, (N_EXPANDED,))
        (values,) = extract(x, user_data_)
        out[...] = values
    except Exception:  # noqa: BLE001
        return -2
    return 0
"""

#: part of every cache key: bump it when the callbacks' source or captures change
CACHE_VERSION = "nutpie-cfunc-cache-v1"


def _cached_cfunc(src: str, name: str, sig: Any, env: dict[str, Any], key_parts: tuple[Any, ...]) -> Any:
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    # numba pickles the function's environment by module name and re-imports that module
    # when it loads the cache: give it this (importable) module's name, and key on it (a
    # renamed module must not load entries that name the old one)
    key = hashlib.sha256(repr((CACHE_VERSION, __name__, src, key_parts)).encode()).hexdigest()
    env = {"__name__": __name__, **env}
    fn = compile_numba_function_src(src, name, global_env=env, cache_key=key)
    # compiles and saves on a miss, loads the object code on a hit; if numba ever refuses
    # to cache it warns "Cannot cache compiled function ..." (nutpie silences that warning,
    # this does not)
    return numba.cfunc(sig, cache=True)(fn)


def _pytensor_key(fn_pt: Any) -> str:
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    key = CACHED_SRC_FUNCTIONS.get(fn_pt.vm.jit_fn.py_func)
    if key is None:
        raise RuntimeError("PyTensor did not give this graph a numba cache key; cannot cache")
    return key


def compile_pymc_model_cached(model: Any, *, var_names: list[str] | None = None) -> Any:
    """``nutpie.compile_pymc_model(model, var_names=var_names)``, with disk-cached callbacks."""
    import numba
    from nutpie import compile_pymc as cp
    from pymc.initial_point import make_initial_point_fn

    # as compile_pymc_model does for backend="numba" with default arguments
    initial_point_fn = make_initial_point_fn(
        model=model,
        overrides=None,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    initial_point_fn = cp._wrap_with_lock(initial_point_fn)

    (n_dim, n_expanded, logp_fn_pt, expand_fn_pt, initial_point_fn, shape_info, reparameterized_names) = (
        cp._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=initial_point_fn,
            var_names=var_names,
        )
    )

    # deterministic keys (nutpie: uuid4().hex), in the same order as nutpie
    shared_data: dict[str, np.ndarray] = {}
    shared_var_keys: dict[Any, str] = {}
    for val in [*logp_fn_pt.get_shared(), *expand_fn_pt.get_shared()]:
        if val in shared_var_keys:
            continue
        key = f"s{len(shared_var_keys)}"
        shared_data[key] = np.array(val.get_value(), order="C", copy=True)
        shared_var_keys[val] = key
    for arr in shared_data.values():
        arr.flags.writeable = False
    user_data = cp.make_user_data(shared_var_keys, shared_data)
    shared_meta = tuple((k, v.ndim, v.dtype.str) for k, v in shared_data.items())
    versions = tuple(version(p) for p in ("nutpie", "numba", "llvmlite", "pytensor", "pymc"))

    sig_logp = numba.types.int64(
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )
    sig_expand = numba.types.int64(
        numba.types.uint64,
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )

    logp_keys = [shared_var_keys[v] for v in logp_fn_pt.get_shared()]
    extract_logp = cp.make_extraction_fn(logp_fn_pt.vm.jit_fn, shared_data, logp_keys, user_data.dtype)
    logp_cfunc = _cached_cfunc(
        _LOGP_SRC,
        "nutpie_logp_cfunc",
        sig_logp,
        {"numba": numba, "np": np, "N_DIM": n_dim, "extract": extract_logp},
        (versions, _pytensor_key(logp_fn_pt), n_dim, tuple(logp_keys), shared_meta, str(user_data.dtype)),
    )

    expand_keys = [shared_var_keys[v] for v in expand_fn_pt.get_shared()]
    extract_expand = cp.make_extraction_fn(expand_fn_pt.vm.jit_fn, shared_data, expand_keys, user_data.dtype)
    expand_cfunc = _cached_cfunc(
        _EXPAND_SRC,
        "nutpie_expand_cfunc",
        sig_expand,
        {"numba": numba, "np": np, "N_DIM": n_dim, "N_EXPANDED": n_expanded, "extract": extract_expand},
        (
            versions,
            _pytensor_key(expand_fn_pt),
            n_dim,
            n_expanded,
            tuple(expand_keys),
            shared_meta,
            str(user_data.dtype),
        ),
    )

    dims, coords = cp._prepare_dims_and_coords(model, shape_info, reparameterized_names)
    return cp.CompiledPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp_cfunc,
        compiled_expand_func=expand_cfunc,
        initial_point_func=initial_point_fn,
        shared_data=shared_data,
        shared_var_keys=shared_var_keys,
        user_data=user_data,
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=logp_fn_pt,
        expand_func=expand_fn_pt,
        reparameterized_names=reparameterized_names,
    )
