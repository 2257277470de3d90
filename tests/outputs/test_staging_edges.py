"""The atomic writer's edge cases, called directly (no command): what the mutation run
(tests/mutation.sh) showed no test pinned.

- the rules' messages (each is what a strategist reads after ``cannot write ... to``);
- a folder swapped for a file or a link while the run was writing;
- entries a command keeps in its own folder between runs (a sweep's ``cases/``);
- cleanup that cannot remove everything (a failure there must not turn a complete
  commit, or the report of the first error, into a different error);
- which leftovers belong to a dead process, and that checking never signals a live one.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecast.outputs import staging as staging_module
from forecast.outputs.staging import (
    _HOST,
    OutputError,
    Staging,
    Terminated,
    _alive,
    check_replaceable,
    file_hashes,
    jsonable,
    remove_leftovers,
    report_problem,
    write_bytes,
    write_netcdf,
)


def _report(folder: Path, text: str = "report") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(text, encoding="utf-8")
    (folder / "figures").mkdir(exist_ok=True)
    (folder / "figures" / "a.png").write_bytes(text.encode() * 3)
    (folder / "manifest.json").write_text(json.dumps({"files": file_hashes(folder)}), encoding="utf-8")


def _committed(out: Path, text: str = "old") -> None:
    st = Staging.create(out)
    _report(st.path, text)
    st.commit()


@pytest.fixture
def unremovable(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """File names that ``os.unlink`` refuses (as a file on a read-only mount would);
    shutil.rmtree removes files with ``os.unlink``."""
    names: set[str] = set()
    real = os.unlink

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).name in names:
            raise PermissionError(errno.EACCES, "simulated: cannot remove", str(path))
        real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    yield names


# --- the rules' messages ------------------------------------------------------------------


def test_a_file_at_out_is_refused_with_its_reason(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder")
    with pytest.raises(OutputError) as e:
        check_replaceable(target, ())
    assert str(e.value) == "it exists and is not a folder"


def test_the_working_folder_and_its_parents_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    _committed(target)  # a report this tool wrote: refused only for being where we work
    for cwd in (target, target / "figures"):
        monkeypatch.chdir(cwd)
        with pytest.raises(OutputError) as e:
            check_replaceable(target, ())
        assert str(e.value) == "it is the working folder or one of its parents"
    monkeypatch.chdir(tmp_path)
    check_replaceable(target, ())  # from beside it: fine


def test_entries_a_command_keeps_are_not_held_against_its_folder(tmp_path: Path) -> None:
    """A sweep keeps its resumable ``cases/`` in its folder, outside the manifest."""
    out = tmp_path / "out"
    _committed(out)
    (out / "cases").mkdir()
    (out / "cases" / "case-1.json").write_text("{}")
    with pytest.raises(OutputError, match="files this tool did not write"):
        check_replaceable(out, ())
    check_replaceable(out, (), own=("cases",))
    # as forecast sweep makes its staging folder (it checks the folder itself first)
    st = Staging(out, Path(tempfile.mkdtemp(prefix=".out.partial-", dir=tmp_path)), [], own=("cases",))
    _report(st.path, "new")
    st.commit()
    assert (out / "report.md").read_text(encoding="utf-8") == "new"


# --- the folder changed while the run was writing -------------------------------------------


@pytest.mark.parametrize("replacement", ["file", "link to a folder"])
def test_a_folder_swapped_during_the_run_is_not_replaced(tmp_path: Path, replacement: str) -> None:
    out = tmp_path / "out"
    _committed(out)
    st = Staging.create(out)
    _report(st.path, "new")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(out, tmp_path / "moved")
    if replacement == "file":
        out.write_text("a file now")
    else:
        out.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError) as e:
        st.commit()
    assert str(e.value) == "it was replaced by something that is not a folder during the run"
    st.abort()
    assert out.is_symlink() == (replacement != "file")
    assert list(elsewhere.iterdir()) == []


# --- cleanup that cannot remove everything -----------------------------------------------


def test_a_new_folder_that_cannot_be_moved_in_reports_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No older report: the failed rename's own error is what the caller sees."""
    st = Staging.create(tmp_path / "out")
    _report(st.path, "new")

    real = os.rename

    def rename(src: Any, dst: Any) -> None:
        if Path(src) == st.path:
            raise OSError(errno.EXDEV, "simulated: cross-device link")
        real(src, dst)

    monkeypatch.setattr(staging_module.os, "rename", rename)
    with pytest.raises(OSError) as e:
        st.commit()
    assert e.value.errno == errno.EXDEV
    monkeypatch.undo()
    st.abort()
    assert list(tmp_path.iterdir()) == []


def test_an_old_report_that_cannot_be_removed_does_not_fail_the_commit(
    tmp_path: Path, unremovable: set[str]
) -> None:
    out = tmp_path / "out"
    _committed(out)
    st = Staging.create(out)
    _report(st.path, "new")
    unremovable.add("a.png")
    st.commit()  # the new report is in place; the set-aside one stays, half removed
    assert (out / "report.md").read_text(encoding="utf-8") == "new"


def test_abort_when_the_staging_folder_cannot_be_removed(tmp_path: Path, unremovable: set[str]) -> None:
    """abort runs while another error is being reported: it must not raise its own."""
    st = Staging.create(tmp_path / "a" / "out")
    _report(st.path, "half")
    unremovable.add("a.png")
    st.abort()
    # the parent it created is not empty (the staging folder is still there): kept
    assert (tmp_path / "a").is_dir()


def test_commit_and_abort_can_follow_each_other(tmp_path: Path) -> None:
    """write_staged aborts after whatever failed, which may come after the commit."""
    out = tmp_path / "a" / "out"
    st = Staging.create(out)
    _report(st.path)
    st.commit()
    st.abort()  # the created parent now holds the report: not removed
    assert (out / "report.md").is_file()
    st2 = Staging.create(tmp_path / "b" / "out")
    st2.abort()
    st2.abort()
    assert not (tmp_path / "b").exists()


# --- leftovers of dead processes --------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_beside_a_missing_folder_are_none(tmp_path: Path) -> None:
    assert remove_leftovers(tmp_path / "missing" / "out") == []


def test_a_leftover_file_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    leftover = tmp_path / f".out.partial-{_HOST}-{_dead_pid()}-x"
    leftover.write_text("a half-written file where a folder was expected")
    assert remove_leftovers(tmp_path / "out") == [leftover]
    assert not leftover.exists()


def test_a_leftover_that_cannot_be_removed_does_not_stop_the_others(
    tmp_path: Path, unremovable: set[str]
) -> None:
    pid = _dead_pid()
    folders = [tmp_path / f".out.partial-{_HOST}-{pid}-{i}" for i in range(6)]
    for i, folder in enumerate(folders):
        folder.mkdir()
        (folder / f"file{i}").write_text("x")
    unremovable.add("file3")
    remove_leftovers(tmp_path / "out")
    assert [f.name for f in folders if f.exists()] == [folders[3].name]
    # every leftover is cleaned as far as it can be, whichever comes first
    unremovable.update(f"stuck{i}" for i in range(6))
    again = [tmp_path / f".out.old-{_HOST}-{pid}-{i}" for i in range(6)]
    for i, folder in enumerate(again):
        folder.mkdir()
        (folder / f"stuck{i}").write_text("x")
        (folder / f"free{i}").write_text("x")
    remove_leftovers(tmp_path / "out")
    assert all(not (folder / f"free{i}").exists() for i, folder in enumerate(again))


def test_checking_a_live_process_does_not_signal_it(monkeypatch: pytest.MonkeyPatch) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert _alive(child.pid)
        # signal 0 checks without signalling: a real signal (SIGHUP's default) would end
        # the child, and waiting for it would return at once
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=1)
    finally:
        child.kill()
        child.wait()
    assert not _alive(child.pid)
    assert _alive(os.getpid())

    def kill(pid: int, sig: int) -> None:
        raise PermissionError(errno.EPERM, "simulated: another user's process")

    monkeypatch.setattr(staging_module.os, "kill", kill)
    assert _alive(child.pid), "a process we may not signal is someone's: alive"


# --- small helpers ------------------------------------------------------------------------


def test_jsonable_writes_what_json_cannot_as_text(tmp_path: Path) -> None:
    assert jsonable({"path": tmp_path, "n": 3, "x": [1.5, None]}) == {
        "path": str(tmp_path),
        "n": 3,
        "x": [1.5, None],
    }
    write_bytes(tmp_path / "b.bin", memoryview(b"\x00\x01"))
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


def test_terminated_carries_its_signal() -> None:
    import signal

    assert Terminated().signum == signal.SIGTERM
    e = Terminated(signal.SIGHUP)
    assert e.signum == 1 and isinstance(e.signum, int)
    assert e.args == (signal.SIGHUP,)
    assert isinstance(e, KeyboardInterrupt)  # so the cleanup paths of Ctrl-C run


def test_write_netcdf_round_trips_a_tree(tmp_path: Path) -> None:
    import xarray as xr

    tree = xr.DataTree.from_dict({"prior": xr.Dataset({"x": ("draw", np.arange(3.0))})})
    write_netcdf(tree, tmp_path / "f.nc")
    with xr.open_datatree(tmp_path / "f.nc", engine="h5netcdf") as back:
        np.testing.assert_array_equal(back["prior"]["x"].values, [0.0, 1.0, 2.0])


# --- the staging folder itself ----------------------------------------------------------


def test_the_staging_folder_is_hidden_beside_the_target(tmp_path: Path) -> None:
    """Beside it, on the same filesystem: the final rename is then atomic."""
    out = tmp_path / "a" / "out"
    st = Staging.create(out)
    assert st.path.parent == out.parent
    assert st.path.name.startswith(f".out.partial-{_HOST}-{os.getpid()}-")
    st.abort()


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (OSError("a message of its own"), "a message of its own"),
    ],
)
def test_a_staging_folder_that_cannot_be_made_is_refused_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, message: str
) -> None:
    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        raise error

    monkeypatch.setattr(staging_module.tempfile, "mkdtemp", mkdtemp)
    with pytest.raises(OutputError) as e:
        Staging.create(tmp_path / "a" / "b" / "out")
    assert str(e.value) == message
    assert list(tmp_path.iterdir()) == [], "the parents it made are removed again"


# --- why a folder is not a report --------------------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        (None, "it is a folder that is not a forecast report (no manifest.json)"),
        ("{", "its manifest.json is not one this tool writes"),
        ('{"files": ["report.md"]}', "its manifest.json is not one this tool writes"),
        ('{"files": {"report.md": 3}}', "its manifest.json is not one this tool writes"),
    ],
)
def test_why_a_folder_is_not_a_report(tmp_path: Path, manifest: str | None, why: str) -> None:
    (tmp_path / "report.md").write_text("x")
    if manifest is not None:
        (tmp_path / "manifest.json").write_text(manifest)
    assert report_problem(tmp_path) == why


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        (["x1"], "x1"),
        (["x1", "x2", "x3"], "x1, x2, x3"),
        (["x1", "x2", "x3", "x4"], "x1, x2, x3 and 1 more"),
        (["x1", "x2", "x3", "x4", "x5"], "x1, x2, x3 and 2 more"),
    ],
)
def test_files_a_report_did_not_list_are_named_three_at_most(
    tmp_path: Path, extra: list[str], shown: str
) -> None:
    _report(tmp_path)
    for name in extra:
        (tmp_path / name).write_text("added")
    assert report_problem(tmp_path) == f"it holds files this tool did not write ({shown})"


def test_an_unlisted_folder_is_named_not_its_contents(tmp_path: Path) -> None:
    _report(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep")
    assert report_problem(tmp_path) == "it holds files this tool did not write (notes/)"


def test_a_signal_the_run_was_started_ignoring_stays_ignored() -> None:
    """`nohup forecast run ...` (SIGHUP ignored) or a background job (SIGINT ignored):
    the run keeps the disposition it was started with, so closing the terminal does not
    stop a run its user chose to detach (a handler installed over SIG_IGN would)."""
    import signal

    from forecast.outputs.staging import signals_as_exceptions, signals_deferred

    before = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGINT)}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with signals_as_exceptions():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)
            with signals_deferred() as pending:
                assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
                assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
                os.kill(os.getpid(), signal.SIGHUP)
            assert pending == []
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        for s, h in before.items():
            signal.signal(s, h)
