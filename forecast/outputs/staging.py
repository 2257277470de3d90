"""Writing a folder atomically: built in a hidden staging folder, renamed into place.

Every command that writes a folder (``run``, ``compare``, and the later ones) uses
:class:`Staging`: the folder appears complete or not at all, and an older one is
replaced only by a complete one. SIGTERM is turned into an exception so cleanup runs.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, turned into an exception so the cleanup code runs.

    ``signum`` is the signal; the exit code is ``128 + signum`` (143, 129).
    """

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.signum = int(signum)


#: signals that end a run the way Ctrl-C does (cleanup, then exit 128 + signum):
#: SIGHUP is what a closed terminal or a dropped SSH session sends
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


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


def write_netcdf(tree: Any, path: Path) -> None:
    """Write a DataTree as netCDF (h5netcdf), failing cleanly on a full disk.

    HDF5 writes straight to the file, never the whole file in memory (at 1e6 draws
    270 MB), through a file that never fails a write (:class:`_NeverFails`): when HDF5
    itself hit "no space left on device" it raised and then crashed the process while
    closing the broken file (a segfault, exit 139). Here a full disk is an ordinary
    ``OSError`` (``ENOSPC``), raised once HDF5 is done, which
    :func:`forecast.commands.common.write_staged` reports, leaving nothing behind.

    Examples
    --------
    >>> write_netcdf(fc.data, Path("forecast.nc"))  # doctest: +SKIP
    """
    from forecast.engine.dataset import netcdf_encoding

    with open(path, "w+b", buffering=0) as f:
        target = _NeverFails(f)
        tree.to_netcdf(target, engine="h5netcdf", encoding=netcdf_encoding(tree))
        if target.error is not None:
            raise target.error


def _disk_write(f: Any, data: memoryview) -> int:
    """One write to the disk file ``f``: how many bytes it took (maybe fewer than given)."""
    return int(f.write(data) or 0)


class _NeverFails(io.RawIOBase):
    """The file HDF5 writes through: the disk file until a write fails, then (the file
    so far copied) memory, so that HDF5 finishes as if nothing happened; ``error`` holds
    the failure, for the caller to raise when HDF5 is done."""

    def __init__(self, f: Any) -> None:
        self.file: Any = f
        self.error: OSError | None = None

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if self.error is None:
            start, done = self.file.tell(), 0
            try:
                while done < len(view):
                    n = _disk_write(self.file, view[done:])
                    if n <= 0:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    done += n
                return done
            except OSError as e:
                self.error = e
                self._to_memory(start)
        return int(self.file.write(view))

    def _to_memory(self, position: int) -> None:
        self.file.seek(0)
        memory = io.BytesIO(self.file.read())
        memory.seek(position)
        self.file = memory

    def readinto(self, buffer: Any) -> int:
        return int(self.file.readinto(buffer))

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return int(self.file.seek(offset, whence))

    def tell(self) -> int:
        return int(self.file.tell())

    def truncate(self, size: int | None = None) -> int:
        if self.error is None:
            try:
                return int(self.file.truncate(size))
            except OSError as e:
                self.error = e
                self._to_memory(self.file.tell())
        return int(self.file.truncate(size))

    def flush(self) -> None:
        return None


def write_bytes(path: Path, data: Any) -> None:
    """Write ``data`` (bytes or a buffer) to ``path``."""
    with open(path, "wb") as f:
        f.write(data)


# --- the staging directory ---------------------------------------------------------

#: longest ``--out`` folder name: the staging and backup names beside it add ~45 bytes,
#: and most filesystems allow 255 (a longer name worked once, then failed every rerun)
MAX_NAME_BYTES = 200
# staging and backup folders carry this host's tag and the process id, so a later run
# can tell a dead process's leftovers from a live run's (on this host only)
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:partial|old)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-[^/]*$")


@dataclass
class Staging:
    """A hidden temporary folder next to the target, renamed into place when complete.

    The rules for ``--out`` (design: "replaces only a folder this tool provably
    wrote and that holds nothing else; the input being run is never deleted"):

    - a missing or empty folder is written;
    - an existing folder is replaced only when it is provably a report this tool
      wrote: its ``manifest.json`` lists every other file in it with its SHA-256,
      and the files there are exactly those, unchanged (:func:`report_problem`);
      anything else is refused, and so is a folder that holds an input of the run;
    - a symbolic link is written through: the folder it points to is replaced (by
      the same rules) and the link stays as it was;
    - commits to one parent folder take turns (a lock on the parent), so two runs
      committing the same folder at once both succeed, one after the other, and the
      folder holds one complete run;
    - staging folders left by a process that died (SIGKILL, the OOM killer, a power
      cut) are removed by the next run writing beside them.
    """

    target: Path
    path: Path
    created: list[Path]  # parent folders this run created (removed again on failure)
    # top-level entries of the target that this command keeps there itself between runs
    # (a sweep's resumable cases/): not held against replacing the folder
    own: tuple[str, ...] = ()

    @classmethod
    def create(cls, out: Path, inputs: Sequence[Path] = ()) -> Staging:
        """Check ``out`` and create the staging folder; raises :class:`OutputError`.

        ``inputs`` are the files the run reads (the scenario and its ``extends``
        parents): a folder holding one of them is never replaced.
        """
        target = Path(os.path.abspath(out))
        if target.is_symlink():
            target = Path(os.path.realpath(target))  # written through: the link stays
        if len(target.name.encode()) > MAX_NAME_BYTES:
            raise OutputError(f"its name is longer than {MAX_NAME_BYTES} bytes; choose a shorter --out")
        if target.exists():
            check_replaceable(target, inputs)
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
            remove_leftovers(target)
            prefix = f".{target.name}.partial-{_HOST}-{os.getpid()}-"
            path = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
        except OSError as e:
            _remove_empty(created)
            raise OutputError(e.strerror or str(e)) from None
        return cls(target, path, created)

    def commit(self) -> None:
        """Move the complete folder into place, replacing an older report.

        Raises :class:`OutputError` (and leaves the target as it was) when the target
        changed during the run into something that may not be replaced.
        """
        # mkdtemp makes the folder private (0700); the report gets the usual mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)
        old = None
        with _locked(self.target.parent):
            if os.path.lexists(self.target):
                if self.target.is_symlink() or not self.target.is_dir():
                    raise OutputError("it was replaced by something that is not a folder during the run")
                check_replaceable(self.target, (), own=self.own)
                old = self.target.with_name(f".{self.target.name}.old-{_HOST}-{os.getpid()}-{time.time_ns()}")
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


def check_replaceable(target: Path, inputs: Sequence[Path], own: Sequence[str] = ()) -> None:
    """Raise :class:`OutputError` unless the existing folder ``target`` may be replaced.

    ``own`` names top-level entries the command itself keeps in the folder between
    runs (a sweep's ``cases/``); they are left out of the check."""
    if not target.is_dir():
        raise OutputError("it exists and is not a folder")
    real = target.resolve()
    if real == Path("/") or Path.cwd().resolve().is_relative_to(real):
        raise OutputError("it is the working folder or one of its parents")
    for f in inputs:
        with suppress(OSError):
            if Path(f).resolve().is_relative_to(real):
                raise OutputError(
                    f"it holds {f}, an input of this run; refusing to replace it; choose another --out"
                )
    if not any(p.name not in own for p in target.iterdir()):
        return
    why = report_problem(target, ignore=own)
    if why is not None:
        raise OutputError(f"{why}; refusing to replace it; choose another --out")


def report_problem(folder: Path, ignore: Sequence[str] = ()) -> str | None:
    """Why ``folder`` is not provably a report this tool wrote, or ``None`` when it is.

    A report's ``manifest.json`` lists every other file with its SHA-256; the folder
    must hold exactly those files (no others, no links, no other folders), unchanged.

    Examples
    --------
    >>> report_problem(Path("."))  # doctest: +SKIP
    'it is a folder that is not a forecast report (no manifest.json)'
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise TypeError
    except FileNotFoundError:
        return "it is a folder that is not a forecast report (no manifest.json)"
    except (OSError, ValueError, KeyError, TypeError):
        return "its manifest.json is not one this tool writes"
    files = {k: v for k, v in files.items() if Path(k).parts[0] not in ignore}
    listed = {Path(name) for name in files}
    folders = {parent for name in listed for parent in name.parents if parent != Path(".")}
    extra: list[str] = []
    for root, subdirs, names in os.walk(folder):
        here = Path(root).relative_to(folder)
        if here == Path("."):
            subdirs[:] = [d for d in subdirs if d not in ignore]
            names = [n for n in names if n not in ignore]
        for d in subdirs:
            if here / d not in folders or (Path(root) / d).is_symlink():
                extra.append(f"{here / d}/")
        subdirs[:] = [d for d in subdirs if here / d in folders and not (Path(root) / d).is_symlink()]
        extra += [
            str(here / n)
            for n in names
            if (here / n not in listed and here / n != Path("manifest.json"))
            or not stat.S_ISREG((Path(root) / n).lstat().st_mode)
        ]
    if extra:
        shown = ", ".join(sorted(extra)[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        return f"it holds files this tool did not write ({shown})"
    for name, digest in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            return f"{name}, listed in its manifest.json, is missing"
        if _sha256(path) != digest:
            return f"{name} was changed after this tool wrote it"
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the staging and backup folders of dead processes beside ``target``.

    Only this host's, only of processes that no longer exist; returns what was removed.
    """
    removed = []
    with suppress(OSError):
        for entry in target.parent.iterdir():
            m = _LEFTOVER.match(entry.name)
            if m is None or m["name"] != target.name or m["host"] != _HOST or _alive(int(m["pid"])):
                continue
            if entry.is_symlink() or not entry.is_dir():
                entry.unlink(missing_ok=True)
            else:
                shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (where the OS has one; a no-op elsewhere)."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (ImportError, OSError):
        yield
        return
    try:
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_empty(folders: list[Path]) -> None:
    for d in reversed(folders):
        with suppress(OSError):
            d.rmdir()


# --- signals ------------------------------------------------------------------------


def _install(handler: Any, signums: Any) -> dict[int, Any]:
    """Install ``handler`` for each signal not started ignored; the dispositions replaced.

    A signal the process was started ignoring stays ignored: ``nohup`` ignores SIGHUP
    and a shell's background job ignores SIGINT so that the run outlives the terminal,
    and a handler over SIG_IGN would undo that choice.
    """
    return {s: signal.signal(s, handler) for s in signums if signal.getsignal(s) != signal.SIG_IGN}


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Terminated` (SIGINT already raises KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    previous = _install(handler, TERMINATING)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Hold SIGINT/SIGTERM/SIGHUP while the folder is renamed into place; yields those seen."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def handler(signum: int, frame: Any) -> None:
        pending.append(signum)

    previous = _install(handler, (signal.SIGINT, *TERMINATING))
    try:
        yield pending
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
