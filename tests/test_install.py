"""A wheel of the project installs into a fresh virtual environment and works there.

The wheel is built with ``uv build``, installed into a new venv outside the
repository with the locked versions of the dependencies (``uv export``; uv's cache
serves them, offline where it can), and the installed ``forecast`` then runs the
bundled scenario, validates the bundled files from inside the installed package, and
answers ``python -m forecast --version`` with the version in ``pyproject.toml``.
Nothing from the repository is on the path: the bundled scenarios must come from the
wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UV = shutil.which("uv")

pytestmark = pytest.mark.skipif(UV is None, reason="uv is not on PATH")


def _uv(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run uv offline first (from its cache), then, if that failed, online."""
    assert UV is not None
    for offline in (["--offline"], []):
        proc = subprocess.run(
            [UV, *args, *offline], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        if proc.returncode == 0:
            return proc
    raise AssertionError(f"uv {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv with the built wheel installed: its python, forecast and site dir."""
    root = tmp_path_factory.mktemp("install")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT"}
    }
    _uv("build", "--wheel", "--out-dir", str(root / "dist"), str(REPO), cwd=root, env=env)
    (wheel,) = (root / "dist").glob("forecast-*.whl")
    locked = root / "locked.txt"
    _uv(
        "export",
        "--frozen",
        "--no-dev",
        "--no-hashes",
        "--no-emit-project",
        "--format",
        "requirements-txt",
        "--output-file",
        str(locked),
        cwd=REPO,
        env=env,
    )
    venv = root / "venv"
    _uv("venv", "--python", sys.executable, str(venv), cwd=root, env=env)
    python = venv / "bin" / "python"
    # the locked versions first, then the wheel: its own requirements must then already
    # be met, and `pip check` confirms the environment is consistent
    _uv("pip", "sync", "--python", str(python), str(locked), cwd=root, env=env)
    _uv("pip", "install", "--python", str(python), str(wheel), cwd=root, env=env)
    _uv("pip", "check", "--python", str(python), cwd=root, env=env)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import forecast, pathlib; print(pathlib.Path(forecast.__file__).parent)"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    return {"root": root, "python": python, "forecast": venv / "bin" / "forecast", "package": site}


def _run(installed: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    # let the fresh venv keep the bytecode it compiles: the second command reuses it
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["MPLBACKEND"] = "Agg"
    work = installed["root"] / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run(list(args), cwd=work, env=env, capture_output=True, text=True, timeout=900)


def test_the_wheel_carries_the_bundled_scenarios_and_schema(installed: dict[str, Path]) -> None:
    package = installed["package"]
    assert REPO not in package.parents, package  # the installed copy, not the repository
    shipped = sorted(p.name for p in (package / "scenarios").iterdir())
    in_repo = sorted(p.name for p in (REPO / "scenarios").iterdir())
    assert shipped == in_repo
    assert "scenario.schema.json" in shipped
    license_files = list(package.parent.glob("forecast-*.dist-info/licenses/LICENSE"))
    assert license_files and "MIT License" in license_files[0].read_text()


def test_installed_forecast_runs_the_bundled_scenario(installed: dict[str, Path]) -> None:
    out = installed["root"] / "work" / "report"
    proc = _run(installed, str(installed["forecast"]), "run", "--out", str(out), "--draws", "2000", "--quiet")
    assert proc.returncode == 0, proc.stderr
    for name in ("report.html", "report.md", "markets.csv", "outcomes.csv", "predictions.csv", "forecast.nc"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    # the scenario came from the wheel
    assert Path(manifest["scenario"]["file"]).resolve().parent == installed["package"] / "scenarios"


def test_installed_forecast_validates_the_bundled_files(installed: dict[str, Path]) -> None:
    files = sorted(str(p) for p in (installed["package"] / "scenarios").glob("*.toml"))
    assert len(files) >= 5
    proc = _run(installed, str(installed["forecast"]), "validate", *files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_python_m_forecast_reports_the_one_version(installed: dict[str, Path]) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    proc = _run(installed, str(installed["python"]), "-m", "forecast", "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"forecast {version}"
