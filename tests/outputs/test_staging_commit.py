"""The atomic commit of a report folder, with its failure paths actually taken (the
rules for which folder may be replaced are in ``test_staging.py``).

A report is replaced in two renames: the old folder is set aside, the new one moved
into place, then the old one removed. These tests make each step fail and check that
the old report comes back byte for byte, and that it is set aside (not deleted)
before the swap.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from forecast.outputs import staging as staging_module
from forecast.outputs.staging import Staging, file_hashes
from tests.conftest import snapshot


def _report(folder: Path, text: str) -> None:
    """A folder shaped like a report this tool wrote: files and a manifest of their hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(text, encoding="utf-8")
    (folder / "figures").mkdir(exist_ok=True)
    (folder / "figures" / "a.png").write_bytes(text.encode() * 3)
    manifest = {"files": file_hashes(folder)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _old_report(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An existing report at ``tmp_path/out``, written by a first commit."""
    out = tmp_path / "out"
    first = Staging.create(out)
    _report(first.path, "old report")
    first.commit()
    return out, snapshot(out)


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_a_failed_swap_puts_the_old_report_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, before = _old_report(tmp_path)
    st = Staging.create(out)
    _report(st.path, "new report")
    real = os.rename
    calls: list[tuple[str, str]] = []

    def rename(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        calls.append((str(src), str(dst)))
        if Path(src) == st.path:  # the new folder moving into place
            raise OSError(errno.EIO, "simulated I/O error")
        real(src, dst)

    monkeypatch.setattr(staging_module.os, "rename", rename)
    with pytest.raises(OSError, match="simulated"):
        st.commit()
    monkeypatch.setattr(staging_module.os, "rename", real)
    assert snapshot(out) == before, "the old report must be back, byte for byte"
    assert any(Path(dst) == out for _, dst in calls[1:]), "the set-aside report was renamed back"
    st.abort()
    assert _hidden(tmp_path) == [], "no staging or set-aside folder left behind"


def test_the_old_report_is_set_aside_not_deleted_before_the_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = _old_report(tmp_path)
    st = Staging.create(out)
    _report(st.path, "new report")
    real = os.rename
    seen: dict[str, object] = {}

    def rename(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        if Path(src) == st.path:
            # at the moment of the swap the old report must still exist, whole, elsewhere
            aside = [p for p in tmp_path.iterdir() if p.name.startswith(".") and p != st.path]
            seen["aside"] = [snapshot(p) for p in aside]
            seen["target_exists"] = out.exists()
        real(src, dst)

    monkeypatch.setattr(staging_module.os, "rename", rename)
    st.commit()
    assert seen["target_exists"] is False
    assert before in seen["aside"], "the old report was not set aside intact before the swap"
    assert (out / "report.md").read_text(encoding="utf-8") == "new report"
    assert _hidden(tmp_path) == []


def test_a_failure_before_the_swap_leaves_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set-aside rename itself fails: nothing moved, the staging folder is removed."""
    out, before = _old_report(tmp_path)
    st = Staging.create(out)
    _report(st.path, "new report")

    def rename(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        raise OSError(errno.EACCES, "simulated permission error")

    monkeypatch.setattr(staging_module.os, "rename", rename)
    with pytest.raises(OSError, match="simulated"):
        st.commit()
    monkeypatch.undo()
    st.abort()
    assert snapshot(out) == before
    assert _hidden(tmp_path) == []


def test_abort_removes_the_parents_it_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    st = Staging.create(out)
    assert (tmp_path / "a" / "b").is_dir()
    st.abort()
    assert list(tmp_path.iterdir()) == []


def test_the_committed_folder_has_the_usual_mode(tmp_path: Path) -> None:
    """The staging folder is private while it is built (mkdtemp: 0700); the report that
    replaces it gets what any new folder would, 0777 less the umask."""
    umask = os.umask(0o022)
    try:
        st = Staging.create(tmp_path / "out")
        assert st.path.stat().st_mode & 0o777 == 0o700
        _report(st.path, "report")
        st.commit()
        assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    finally:
        os.umask(umask)
