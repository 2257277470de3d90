"""Reading a text file a user named, safely: bounded, never blocking, errors as problems.

Every input file (a scenario, an actuals CSV, a resolutions file) is read here, so each
gets the same protection: a FIFO, device or socket is refused instead of hanging the
process, a runaway file ends with a message instead of exhausting memory, and every
failure is a :class:`~forecast.errors.ScenarioError` naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from forecast.errors import Problem, ScenarioError

#: the largest input file read (the seed's scenario is 12 kB)
MAX_FILE_BYTES = 10 * 2**20


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "named pipe"), (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"))
    return next((name for test, name in kinds if test(mode)), "socket or special file")


def read_text(path: Path, what: str, *, missing: str = "file not found", empty_ok: bool = False) -> str:
    """The UTF-8 text of ``path``, which must be a regular file of at most 10 MiB.

    ``what`` names the kind of file in messages ("is a directory, not a {what}");
    ``missing`` is the message for a path that does not exist; an empty (or blank)
    file is refused unless ``empty_ok``. A byte-order mark is dropped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfid,value\\n")
    >>> read_text(p, "resolutions file")
    'id,value\\n'
    >>> try:
    ...     read_text(p.parent, "resolutions file")
    ... except ScenarioError as e:
    ...     print(e.problems[0].message)
    is a directory, not a resolutions file
    """
    name = str(path)
    try:
        # non-blocking, then checked: opening a FIFO with no writer blocks forever, so
        # anything but a regular file (FIFO, device, socket) is refused
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                raise ScenarioError([Problem(name, "", f"is not a regular file (a {_kind(mode)})")])
            # at most one byte past the limit: a runaway generator ends with a message
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(name, "", missing)]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(name, "", f"is a directory, not a {what}")]) from None
    except OSError as e:
        raise ScenarioError([Problem(name, "", f"cannot be read: {e.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            [Problem(name, "", f"is larger than {MAX_FILE_BYTES // 2**20} MiB: not a {what}")]
        )
    if not empty_ok and not raw.strip():
        raise ScenarioError([Problem(name, "", "file is empty")])
    try:
        # utf-8-sig: Windows editors save a byte-order mark
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(
            [Problem(name, "", f"is not UTF-8 text (byte {e.start}: {raw[e.start : e.start + 1]!r})")]
        ) from None
