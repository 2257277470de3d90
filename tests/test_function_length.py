"""Functions a reader holds on one screen, in the modules split for it.

The style rule is about 60 lines a function. ``semantic_problems`` (289 lines),
``model_data`` (211) and the serve page's ``create_app`` (402, its ``server`` 301)
were split: the checks into a list of small rules, the arrays into one builder per
section, the page into Shiny modules (one per panel); ``write_score_report`` (273)
and the comparison page's ``_context`` (208) into one builder per section of the page,
``executive_summary`` (149) into one function per sentence, ``load_versions`` (107) and
``calibration`` (102) into their steps. This test keeps them split.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "forecast"
# module (or folder) -> the longest function it may hold, decorators and docstring included
LIMITS = {
    "scenario/checks.py": 60,
    "scenario/market_checks.py": 60,
    "engine/data.py": 60,
    "engine/arrays.py": 60,
    "engine/thresholds.py": 60,
    "engine/calibration.py": 60,
    "commands/serve/app.py": 60,
    "commands/serve/panels": 60,
    "commands/serve/whatif.py": 60,
    "outputs/score_report.py": 60,
    "outputs/comparison.py": 60,
    "outputs/comparison_sections.py": 60,
    "outputs/narrative.py": 60,
    "analysis/history.py": 60,
    "analysis/scores.py": 60,
    "analysis/tornado.py": 60,
    "outputs/pool_report.py": 60,
}


def _files(part: str) -> list[Path]:
    path = PACKAGE / part
    return sorted(path.glob("*.py")) if path.is_dir() else [path]


@pytest.mark.parametrize("part", sorted(LIMITS))
def test_functions_fit_on_a_screen(part: str) -> None:
    files = _files(part)
    assert files and all(f.is_file() for f in files), f"{part} is missing"
    long = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                n = (node.end_lineno or node.lineno) - start + 1
                if n > LIMITS[part]:
                    long.append(f"{path.name}:{node.lineno} {node.name} has {n} lines")
    assert not long, "\n".join(long)
