"""The model's arrays of the bundled scenarios, byte for byte, as they were before
``model_data`` was split into one builder per section (7 December 2026).

A refactoring of :mod:`forecast.engine.data` must leave every array, dtype, shape,
coord and label as it was: the digest below hashes all of them. A digest pins the
arrays of one text of the scenario file: when a bundled file is edited (a new number,
a corrected citation) its digest is no longer this one, and the check of that file is
skipped, saying so; a change of the engine that changes the arrays of an unchanged
file fails here, and is either a bug or a change to record with its new digest
(``python tests/engine/test_data_digest.py`` prints the current ones).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

import forecast
from forecast.engine.data import ModelData, model_data

# name: (sha256 of the scenario file, first 16 hex digits; sha256 of its ModelData)
KNOWN = {
    "deepseek": ("4099ff11d2a6a16a", "c9ba277956d93aa4d07636a6797f019be54a4622d0298d22efffac9c9e8b8fef"),
    "deepseek-decision": (
        "682cc7ac4003d65d",
        "9e55eeae3f9cc12ad4f862b55c34658877b9107709dbb5dc5485d3b0d1400077",
    ),
    "deepseek-update": (
        "0a80f728c721c284",
        "83399ac4c920acddabd4d563fb34980733b53480e190aa58922c950acb5ad242",
    ),
    "ev-charging": ("b331b34926c8ce71", "3dc074c50f83d931fcb142ccf384eed5976470ddd6e6699e9babfa79027e2ae6"),
    "gpu-cloud": ("7e6f4623cd2ca30c", "983853f2297cf27256640d5d1896ccc78dae797d7edffdd8ddb7e0bcd550e9a7"),
}


def file_hash(name: str) -> str:
    return hashlib.sha256(forecast.bundled(name).read_bytes()).hexdigest()[:16]


def digest(d: ModelData) -> str:
    """sha256 of every array (name, dtype, shape, bytes), the coords, ``as_of``, the
    structure and the labels."""
    h = hashlib.sha256()
    for name, a in sorted(d.arrays().items()):
        a = np.ascontiguousarray(a)
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    h.update(repr(sorted(d.coords.items())).encode())
    h.update(repr(d.as_of).encode())
    h.update(repr(d.structure).encode())
    h.update(repr(sorted((k, np.asarray(v).tobytes()) for k, v in d.labels.items())).encode())
    return h.hexdigest()


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_the_arrays_are_byte_identical_to_before_the_split(name: str) -> None:
    text, known = KNOWN[name]
    if file_hash(name) != text:
        pytest.skip(f"{name}.toml changed since its digest was taken: record the new one")
    assert digest(model_data(forecast.load(forecast.bundled(name)))) == known


def test_the_digest_sees_a_one_ulp_change() -> None:
    d = model_data(forecast.load(forecast.bundled("deepseek")))
    before = digest(d)
    d = replace(d, calib=d.calib.copy())  # model_data's arrays are shared, read-only
    d.calib[0] = np.nextafter(d.calib[0], np.inf)
    assert digest(d) != before


if __name__ == "__main__":
    for name in sorted(KNOWN):
        print(name, file_hash(name), digest(model_data(forecast.load(forecast.bundled(name)))))
