"""``--out``: replaced only when it is provably a report this tool wrote, atomically.

Fast (no simulation: a small fake report is written by the same staging code the
commands use), so every case runs on every CI run: a folder with a stray
``manifest.json`` (a web app), files a user added to a report, a changed file, the
input being run inside the folder, a symlinked ``--out``, two processes committing
the same folder at once, leftovers of a killed process, and a name too long to rerun.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from forecast.commands.common import EXIT_BAD_INPUT, EXIT_OK, write_staged
from forecast.outputs.staging import MAX_NAME_BYTES, Staging, file_hashes, remove_leftovers, report_problem
from tests.conftest import snapshot


def fake_report(folder: Path, text: str = "report") -> str:
    """What ``forecast run`` writes, in miniature: files, a subfolder, a manifest."""
    (folder / "report.md").write_text(f"# {text}\n")
    (folder / "figures").mkdir()
    (folder / "figures" / "a.png").write_bytes(text.encode() * 100)
    manifest = {"files": file_hashes(folder), "writer": text}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return text


def write(out: Path, text: str = "report", inputs: tuple[Path, ...] = ()) -> int:
    status, _, _ = write_staged(out, "report", True, lambda f, steps: fake_report(f, text), inputs=inputs)
    return status


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".old-" in p.name)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    out = tmp_path / "r"
    assert write(out, "first") == EXIT_OK
    return out


# --- what may be replaced ---------------------------------------------------------------


def test_a_report_this_tool_wrote_is_replaced(report: Path) -> None:
    assert report_problem(report) is None
    assert write(report, "second") == EXIT_OK
    assert json.loads((report / "manifest.json").read_text())["writer"] == "second"
    assert not leftovers(report.parent)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ("added_file", "did not write (notes.txt)"),
        ("added_folder", "did not write (drafts/)"),
        ("changed_file", "report.md was changed"),
        ("missing_file", "figures/a.png, listed in its manifest.json, is missing"),
        ("link", "did not write (figures/link.png)"),
        ("bad_manifest", "manifest.json is not one this tool writes"),
    ],
)
def test_a_report_with_anything_else_in_it_is_refused(
    report: Path, change: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if change == "added_file":
        (report / "notes.txt").write_text("my notes")
    elif change == "added_folder":
        (report / "drafts").mkdir()
    elif change == "changed_file":
        (report / "report.md").write_text("# edited by hand\n")
    elif change == "missing_file":
        (report / "figures" / "a.png").unlink()
    elif change == "link":
        (report / "figures" / "link.png").symlink_to(report / "report.md")
    else:
        (report / "manifest.json").write_text('{"name": "my-web-app"}')
    before = snapshot(report.parent)
    assert write(report, "second") == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert needle in err and "refusing to replace it" in err, err
    assert snapshot(report.parent) == before


def test_a_web_app_folder_with_a_manifest_json_is_not_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app"
    (app / "static").mkdir(parents=True)
    (app / "manifest.json").write_text('{"name": "PWA", "start_url": "/"}')
    (app / "index.html").write_text("<html></html>")
    before = snapshot(tmp_path)
    assert write(app) == EXIT_BAD_INPUT
    assert "not one this tool writes" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_a_folder_holding_the_input_being_run_is_refused(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = report / "scenario.toml"
    scenario.write_text('id = "x"\n')
    before = snapshot(report.parent)
    assert write(report, inputs=(scenario,)) == EXIT_BAD_INPUT
    assert "an input of this run" in capsys.readouterr().err
    assert snapshot(report.parent) == before


def test_a_folder_changed_during_the_run_is_kept(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def work(folder: Path, steps: Any) -> str:
        (report / "added-meanwhile.txt").write_text("mine")
        return fake_report(folder, "second")

    status, result, _ = write_staged(report, "report", True, work)
    assert (status, result) == (EXIT_BAD_INPUT, None)
    assert "did not write (added-meanwhile.txt)" in capsys.readouterr().err
    assert (report / "added-meanwhile.txt").read_text() == "mine"
    assert json.loads((report / "manifest.json").read_text())["writer"] == "first"
    assert not leftovers(report.parent)


def test_an_empty_folder_is_written(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert write(tmp_path / "empty") == EXIT_OK
    assert report_problem(tmp_path / "empty") is None


# --- symlinks: written through, nothing left behind -------------------------------------


def test_a_symlinked_out_is_written_through(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The rule: the folder the link points to is replaced (by the same rules), the link
    stays a link, and no staging or backup entry is left beside either."""
    link = report.parent / "latest"
    link.symlink_to(report, target_is_directory=True)
    for text in ("second", "third"):
        assert write(link, text) == EXIT_OK
        assert link.is_symlink() and link.resolve() == report.resolve()
        assert json.loads((report / "manifest.json").read_text())["writer"] == text
        assert not leftovers(report.parent)
    (report / "notes.txt").write_text("mine")
    assert write(link, "fourth") == EXIT_BAD_INPUT
    assert "did not write (notes.txt)" in capsys.readouterr().err


def test_a_dangling_symlinked_out_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest"
    link.symlink_to(tmp_path / "elsewhere" / "r")
    assert write(link) == EXIT_OK
    assert link.is_symlink() and report_problem(tmp_path / "elsewhere" / "r") is None
    assert not leftovers(tmp_path) and not leftovers(tmp_path / "elsewhere")


# --- two processes at once ---------------------------------------------------------------


def _commit_at_once(out: str, text: str, barrier: Any) -> int:
    """In a child process: stage a report, wait for the others, commit together."""

    def work(folder: Path, steps: Any) -> str:
        fake_report(folder, text)
        barrier.wait(timeout=60)
        return text

    status, _, _ = write_staged(Path(out), "report", True, work)
    return status


def test_processes_committing_the_same_out_at_once_all_succeed(tmp_path: Path) -> None:
    """One complete run ends up in the folder and every process exits cleanly (before:
    about 1 in 15 lost with "Directory not empty", exit 1)."""
    out = tmp_path / "r"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(3) as pool:
        for round_ in range(8):
            barrier = manager.Barrier(3)
            texts = [f"round{round_}-writer{i}" for i in range(3)]
            statuses = pool.starmap(_commit_at_once, [(str(out), t, barrier) for t in texts])
            assert statuses == [EXIT_OK] * 3, (round_, statuses)
            assert report_problem(out) is None
            assert json.loads((out / "manifest.json").read_text())["writer"] in texts
            assert (out / "report.md").read_text().strip("# \n") in texts
            assert sorted(p.name for p in tmp_path.iterdir()) == ["r"], round_


# --- leftovers of a killed process, names that cannot be rerun --------------------------


def test_leftovers_of_a_dead_process_are_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "r"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    pid = int(dead.stdout)
    staging = Staging.create(out)
    tag = staging.path.name.split(".partial-")[1].split("-")[0]
    staging.abort()
    stale = [tmp_path / f".r.partial-{tag}-{pid}-abc", tmp_path / f".r.old-{tag}-{pid}-123"]
    for p in stale:
        (p / "figures").mkdir(parents=True)
        (p / "figures" / "x.png").write_bytes(b"x")
    live = tmp_path / f".r.partial-{tag}-{os.getpid()}-live"  # a run still going: kept
    other_host = tmp_path / f".r.partial-00000000-{pid}-abc"  # another machine's: kept
    other_name = tmp_path / f".q.partial-{tag}-{pid}-abc"  # another target's: left for its run
    for p in (live, other_host, other_name):
        p.mkdir()
    assert write(out) == EXIT_OK
    assert not any(p.exists() for p in stale)
    assert live.is_dir() and other_host.is_dir() and other_name.is_dir()
    assert remove_leftovers(tmp_path / "q") == [other_name]


def test_an_out_name_too_long_to_rerun_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert write(tmp_path / ("r" * MAX_NAME_BYTES)) == EXIT_OK
    assert write(tmp_path / ("r" * MAX_NAME_BYTES)) == EXIT_OK  # and again: the rerun works
    assert write(tmp_path / ("r" * (MAX_NAME_BYTES + 1))) == EXIT_BAD_INPUT
    assert f"longer than {MAX_NAME_BYTES} bytes" in capsys.readouterr().err
    assert not leftovers(tmp_path)
