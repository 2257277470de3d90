"""The package's layout: stages import only from the stages before them, and no cycles.

The stages, in data-flow order, are ``scenario`` → ``engine`` → ``analysis`` →
``outputs`` → ``commands`` (with ``cli``/``__main__`` on top); ``errors`` is shared by
all. Every ``import`` that runs counts, at module level or inside a function;
imports under ``if TYPE_CHECKING:`` are for annotations only and do not. ``Forecast``
reaches later stages only through the table in ``forecast.analysis.results.DELEGATED``.
"""

from __future__ import annotations

import ast
import importlib
import itertools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "forecast"

#: rank of each top-level part of the package; an import may not go to a higher rank
RANK = {
    "errors": 0,
    "scenario": 1,
    "engine": 2,
    "analysis": 3,
    "": 3,  # forecast/__init__.py: the public API re-exports scenario and analysis
    "outputs": 4,
    "commands": 5,
    "cli": 6,
    "__main__": 6,
}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _runtime_imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    me = _module_name(path)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "forecast")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "forecast":
            for a in node.names:
                # `from forecast.engine import inference` imports the submodule
                sub = f"{node.module}.{a.name}"
                out.add(sub if _exists(sub) else node.module)
    out.discard(me)
    return out


def _exists(module: str) -> bool:
    base = PACKAGE.parent / Path(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _runtime_imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_part_of_the_package_has_a_rank() -> None:
    stages = {_stage(m) for m in _graph()}
    assert stages <= set(RANK), f"unranked parts of the package: {stages - set(RANK)}"


def test_no_import_runs_back_up_the_stages() -> None:
    bad = [
        f"{m} ({_stage(m) or 'forecast'}) imports {t} ({_stage(t) or 'forecast'})"
        for m, targets in _graph().items()
        for t in targets
        if RANK[_stage(t)] > RANK[_stage(m)]
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                # a package importing its own submodules (re-exports) is not a cycle
                loop = [*stack[stack.index(t) :], t]
                if not all(b.startswith(a + ".") for a, b in itertools.pairwise(loop)):
                    cycles.append(" -> ".join(loop))
            elif t in graph and not state.get(t):
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m)
    assert not cycles, "\n".join(cycles)


def test_forecast_delegations_are_listed_in_one_place() -> None:
    from forecast.analysis import results

    for name, target in results.DELEGATED.items():
        module, attr = target.split(":")
        assert _exists(module), name
        assert callable(getattr(importlib.import_module(module), attr)), target


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_modules_are_short_or_say_why(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count("\n") > MAX_LINES:
        head = text[:3000].lower()
        assert "longer than" in head and "lines" in head, (
            f"{path.name} has {text.count(chr(10))} lines: split it, or say at its top why it is "
            f"longer than {MAX_LINES} lines"
        )
