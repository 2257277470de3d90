"""The outcome calibration: log-odds offsets that make the model's outcome
probabilities the stated ones on average (:func:`calibrate_outcomes`), kept once per
process and on disk, as :func:`~forecast.engine.data.model_data` asks for it on every
run of a scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from forecast.scenario.inputs import Canonical

CALIBRATION_DRAWS = 200_000
CALIBRATION_SEED = 20_240_101


def calibrate_outcomes(
    stated: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    rho: Canonical,
    *,
    draws: int = CALIBRATION_DRAWS,
    seed: int = CALIBRATION_SEED,
    tol: float = 1e-10,
) -> np.ndarray:
    """Log-odds offsets ``c`` so that ``E[softmax(log p + c + beta s)] = stated``.

    Drivers shift the odds with the markets' growth surprises; without this offset
    the shift would also move the marginal probabilities away from the stated ones.
    The expectation is over ``p ~ Dirichlet(alpha)`` and the same growth surprise
    ``s`` the model draws, estimated with fixed common random numbers; the fixed
    point ``c <- c + log(stated / E[q])`` converges in a few dozen steps.

    Examples
    --------
    >>> from forecast.scenario.inputs import Family
    >>> c = calibrate_outcomes(np.array([0.5, 0.5]), np.array([5.0, 5.0]),
    ...                        np.zeros((2, 1)), Canonical(Family.NORMAL, 0.0, 0.0))
    >>> c.tolist()
    [0.0, 0.0]
    """
    k = beta.shape[0]
    if k == 0 or not np.any(beta):
        return np.zeros(k)
    key = (stated.tobytes(), alpha.tobytes(), beta.tobytes(), beta.shape, rho, draws, seed, tol)
    if key not in _CALIBRATION_CACHE:
        path = _calibration_file(key)
        c = _read_calibration(path, k)
        if c is None:
            c = _calibrate(stated, alpha, beta, rho, draws, seed, tol)
            _write_calibration(path, c)
        _CALIBRATION_CACHE[key] = c
    return _CALIBRATION_CACHE[key].copy()


# model_data runs for every simulate, report and sensitivity run of a scenario: the
# calibration (~0.1 s; ~0.3 s at 64 markets on a busy machine) is the same every
# time, so it is computed once per process and kept on disk for the next process
_CALIBRATION_CACHE: dict[tuple[Any, ...], np.ndarray] = {}
#: part of the disk key: bump it when _calibrate changes what it computes
CALIBRATION_VERSION = "calibration-v1"


def _calibration_file(key: tuple[Any, ...]) -> Path | None:
    """Where the calibration of ``key`` is kept: under PyTensor's ``base_compiledir``
    (from ``PYTENSOR_FLAGS``, else ``~/.pytensor``), so that a benchmark or test that
    isolates the compile cache isolates this one too; keyed on every input, the
    estimator's version and numpy's (whose generator streams the draws). Found
    without importing PyTensor (~1 s), which the data stage does not need."""
    import hashlib
    import os

    root = None
    for item in os.environ.get("PYTENSOR_FLAGS", "").split(","):
        name, _, value = item.partition("=")
        if name.strip() == "base_compiledir" and value.strip():
            root = Path(value.strip()).expanduser()
    try:
        root = (root or Path.home() / ".pytensor") / "forecast-calibration"
    except RuntimeError:  # no home directory: compute in every process
        return None
    h = hashlib.sha256(repr((CALIBRATION_VERSION, np.__version__, key)).encode()).hexdigest()
    return root / f"{h}.npy"


def _read_calibration(path: Path | None, k: int) -> np.ndarray | None:
    if path is None or not path.is_file():
        return None
    try:
        c = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    ok = c.shape == (k,) and c.dtype == np.float64 and bool(np.all(np.isfinite(c)))
    return c if ok else None


def _write_calibration(path: Path | None, c: np.ndarray) -> None:
    """Write atomically (a concurrent reader sees the whole file or none); a cache
    that cannot be written is only slower."""
    if path is None:
        return
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, c, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        return


def _calibrate(
    stated: np.ndarray, alpha: np.ndarray, beta: np.ndarray, rho: Canonical, draws: int, seed: int, tol: float
) -> np.ndarray:
    """The fixed point of :func:`calibrate_outcomes` (uncached)."""
    k, m = beta.shape
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(alpha, size=draws)
    r = rho.transform(rng.standard_normal(draws))[:, None]
    s = np.sqrt(r) * rng.standard_normal((draws, 1)) + np.sqrt(1 - r) * rng.standard_normal((draws, m))
    base = np.log(np.clip(p, 1e-300, None)) + s @ beta.T
    # softmax(base + c) = e exp(c) / sum: exponentiate once, not every step; outcomes
    # first, so that every sum runs over long contiguous rows
    e = np.exp(base - base.max(axis=1, keepdims=True)).T.copy()
    c = np.zeros(k)
    for _ in range(500):
        num = e * np.exp(c)[:, None]
        mean = (num / num.sum(axis=0)).mean(axis=1)
        step = np.log(stated / mean)
        c += step
        c -= c.mean()
        if np.max(np.abs(step)) < tol:
            break
    return c
