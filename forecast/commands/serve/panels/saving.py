"""Writing what the what-if page found: a child scenario file that ``extends`` the
served one (:func:`save_child`), and the full report of the page's state
(:func:`write_report`), both run by :mod:`~forecast.commands.serve.panels.actions`.

Examples
--------
>>> write_report(bundled("deepseek"), Path("reports/x"), {"markets.developer_tools.cagr": 0.3})  # doctest: +SKIP
(0, '')
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.commands.serve import whatif
from forecast.errors import ScenarioError

if TYPE_CHECKING:
    from forecast.scenario import Scenario


def save_child(
    parent: Path, dest: Path, base: Scenario, overrides: Mapping[str, Any], cs: Sequence[Any]
) -> Any:
    """Write the child file and check it as ``forecast validate`` would.

    Returns the message the page shows: the path and "validate: ok", or why nothing
    was written (nothing changed, the served file itself, a file this page did not
    write, a change a child file cannot say). The file is written to a temporary
    name and renamed, so a failed save leaves no half-written file.
    """
    from shiny import ui

    from forecast.scenario import load

    if not overrides:
        return ui.div("Nothing changed: there is nothing to save.", class_="fc-problem", id="save-failed")
    if dest == parent.resolve():
        return ui.div(
            f"{dest} is the served file; a what-if is saved beside it, as a child that extends it.",
            class_="fc-problem",
            id="save-failed",
        )
    if dest.exists() and not _ours(dest):
        return ui.div(
            f"{dest} exists and was not saved by this page; choose another name.",
            class_="fc-problem",
            id="save-failed",
        )
    try:
        text = whatif.child_toml(parent, dest, base, overrides, cs)
    except ScenarioError as e:
        return ui.div(
            *[ui.div(whatif.problem_text(p)) for p in e.problems], class_="fc-problem", id="save-failed"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(dest)
    except OSError as e:
        return ui.div(f"Cannot write {dest}: {e.strerror}", class_="fc-problem", id="save-failed")
    try:
        load(dest)
    except ScenarioError as e:
        return ui.div(*[ui.div(str(p)) for p in e.problems], class_="fc-problem", id="save-failed")
    return ui.div(
        f"Saved {dest} (forecast validate: ok). Reproduce it with: forecast run {dest}",
        class_="text-success",
        id="save-done",
    )


def _ours(path: Path) -> bool:
    """Whether ``path`` is a file this page saved (which it may replace)."""
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().startswith(whatif.SAVED_HEADER)
    except (OSError, UnicodeDecodeError):
        return False


def write_report(scenario_path: Path, folder: Path, overrides: Mapping[str, Any]) -> tuple[int, str]:
    """The full report of the page's state, as ``forecast run SCENARIO --set KEY=VALUE ...
    --out FOLDER --quiet`` writes it (same pipeline: the folder appears complete or not at
    all, with its Sensitivity section), and the manifest records that command.

    Returns
    -------
    (int, str)
        The exit code of ``forecast run`` and what it said on stderr.

    Examples
    --------
    >>> write_report(bundled("deepseek"), Path("reports/x"), {"markets.developer_tools.cagr": 0.3})  # doctest: +SKIP
    (0, '')
    """
    if any(v is None for v in overrides.values()):
        # --set cannot remove a key either (TOML has no null)
        return 2, "a signpost set back to unknown that the file marks observed cannot be said with --set"
    from forecast.analysis.tornado import report_frames
    from forecast.commands.run import RunOptions, run

    err = io.StringIO()
    opts = RunOptions(
        scenario=scenario_path,
        out=folder,
        sets=whatif.set_items(overrides),
        quiet=True,
        sensitivity=lambda fc: report_frames(fc, []),
    )
    with contextlib.redirect_stderr(err):
        status = run(opts)
    return status, " ".join(err.getvalue().split())
