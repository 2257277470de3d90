"""Writing a folder atomically: built in a hidden staging folder, renamed into place.

Every command that writes a folder (``run``, ``compare``, and the later ones) uses
:class:`Staging`: the folder appears complete or not at all, and an older one is
replaced only by a complete one. SIGTERM is turned into an exception so cleanup runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so the cleanup code runs."""


class OutputError(Exception):
    """``--out`` cannot be used; the message says why."""


def jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- the staging directory ---------------------------------------------------------


@dataclass
class Staging:
    """A hidden temporary folder next to the target, renamed into place when complete."""

    target: Path
    path: Path
    created: list[Path]  # parent folders this run created (removed again on failure)

    @classmethod
    def create(cls, out: Path) -> Staging:
        """Check ``out`` and create the staging folder; raises :class:`OutputError`."""
        target = Path(os.path.abspath(out))
        if target.exists() or target.is_symlink():
            if not target.is_dir():
                raise OutputError("it exists and is not a folder")
            if target.resolve() == Path("/") or Path.cwd().resolve().is_relative_to(target.resolve()):
                raise OutputError("it is the working folder or one of its parents")
            if any(target.iterdir()) and not (target / "manifest.json").is_file():
                raise OutputError(
                    "it is a folder that is not a forecast report (no manifest.json); "
                    "refusing to replace it; choose another --out"
                )
        created: list[Path] = []
        try:
            missing = []
            p = target.parent
            while not p.exists():
                missing.append(p)
                p = p.parent
            for d in reversed(missing):
                d.mkdir()
                created.append(d)
            path = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        except OSError as e:
            _remove_empty(created)
            raise OutputError(e.strerror or str(e)) from None
        return cls(target, path, created)

    def commit(self) -> None:
        """Move the complete folder into place, replacing an older report."""
        # mkdtemp makes the folder private (0700); the report gets the usual mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}-{time.time_ns()}")
            os.rename(self.target, old)
        try:
            os.rename(self.path, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.created = []

    def abort(self) -> None:
        """Remove the staging folder and the parents this run created."""
        shutil.rmtree(self.path, ignore_errors=True)
        _remove_empty(self.created)
        self.created = []


def _remove_empty(folders: list[Path]) -> None:
    for d in reversed(folders):
        with suppress(OSError):
            d.rmdir()


# --- signals ------------------------------------------------------------------------


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM while the folder is renamed into place; yields those seen."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def handler(signum: int, frame: Any) -> None:
        pending.append(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield pending
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
