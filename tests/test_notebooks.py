"""The notebooks in ``notebooks/`` run top to bottom with a real kernel, and are committed clean.

Each notebook runs in a fresh ``python3`` kernel of the current environment (so it
imports the ``forecast`` under test) with the Agg backend, from the notebooks folder.
The kernels run concurrently: most of a notebook's time is single-threaded compiling
(numba) or importing, so on two cores the three finish in about the time of the
slowest. Forward-simulation models come from PyTensor's on-disk cache, which the
kernels share with the rest of the suite.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = [
    "01-quickstart.ipynb",
    "02-what-if.ipynb",
    "03-evidence.ipynb",
    "04-track-record.ipynb",
    "05-business-model.ipynb",
    "06-decisions.ipynb",
    "07-pool.ipynb",
]
CELL_TIMEOUT = 900  # seconds per cell; generous because a cold cache compiles inside a cell


async def _execute(path: Path) -> str | None:
    """Run one notebook; the error report, or None when every cell ran."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",  # jupyter_client starts the native kernel with sys.executable
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    env = {**os.environ, "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    try:
        await client.async_execute(env=env)
    except CellExecutionError as e:
        return str(e)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    return f"error outputs: {errors}" if errors else None


@pytest.fixture(scope="module")
def executed() -> dict[str, str | None]:
    """Every notebook, run once and concurrently: name -> error report or None."""

    async def run_all() -> list[str | None]:
        return await asyncio.gather(*(_execute(p) for p in NOTEBOOKS))

    return dict(zip((p.name for p in NOTEBOOKS), asyncio.run(run_all()), strict=True))


def test_every_notebook_is_here_and_linked_from_the_readme() -> None:
    assert [p.name for p in NOTEBOOKS] == EXPECTED
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\(notebooks/([^)]+\.ipynb)\)", readme)
    assert sorted(linked) == EXPECTED, linked


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_clean(path: Path) -> None:
    """No outputs or execution counts in git: diffs stay readable and stale numbers never ship."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert any(c.cell_type == "code" for c in nb.cells), f"{path.name}: no code cells"
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs != [] or c.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, executed: dict[str, str | None]) -> None:
    error = executed[path.name]
    if error is not None:
        pytest.fail(f"{path.name} failed:\n{error}", pytrace=False)
