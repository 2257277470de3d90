"""What a test sets up for a process it starts, instead of inheriting it.

A child inherits more than its arguments: signals the parent ignores (a script's
background job starts with SIGINT and SIGQUIT ignored, ``nohup`` adds SIGHUP) and
signals it blocks stay so across ``exec``, and every environment variable the suite
was started with reaches it (``FORECAST_FIGURE_WORKER``, ``FORECAST_DEBUG``,
``FORECAST_MODE``). A test that signals a child or reads its output starts it with
:func:`child_options`, so it behaves as when started from an interactive terminal
whatever started the suite.

Examples
--------
>>> import subprocess, sys
>>> subprocess.run([sys.executable, "-c", "pass"], **child_options()).returncode
0
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any

#: the signals a test sends or a shell may have left ignored or blocked
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def default_signals() -> None:
    """In the child, before ``exec``: every signal a test sends at its default
    disposition and none blocked, as a terminal starts a command."""
    for s in SIGNALS:
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def child_env(**settings: str) -> dict[str, str]:
    """This process's environment without the ``FORECAST_*`` settings, plus ``settings``.

    ``FORECAST_MODE`` (the compile mode) stays: a child's tables are compared with
    the suite's in-process ones, made in the mode the suite was started with.

    Examples
    --------
    >>> child_env(FORECAST_FIGURE_WORKER="1")["FORECAST_FIGURE_WORKER"]
    '1'
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORECAST_") or k == "FORECAST_MODE"}
    return {**env, **settings}


def child_options(**settings: str) -> dict[str, Any]:
    """Keyword arguments for :class:`subprocess.Popen`: default signals, no terminal
    input (a background job reading it would stop on SIGTTIN), the environment of
    :func:`child_env`."""
    return {"preexec_fn": default_signals, "stdin": subprocess.DEVNULL, "env": child_env(**settings)}
