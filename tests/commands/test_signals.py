"""SIGTERM during a real ``forecast run``: the same promise as Ctrl-C, with its own exit code.

``kill PID`` (a job scheduler, a container stopping, systemd) sends SIGTERM, not SIGINT:
the run must end with 143 (128 + 15), say so on one line, and leave no report folder,
no staging folder and no worker process behind.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.child import child_options
from tests.commands.test_run import FORECAST, _children, _wait_until_gone, leftovers


def test_sigterm_during_a_run_leaves_no_partial_folder(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "deepseek"
    proc = subprocess.Popen(
        [str(FORECAST), "run", "--out", str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # the figure worker runs only when a core is free; this test needs it running
        **child_options(FORECAST_FIGURE_WORKER="1"),
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if out.parent.is_dir() and leftovers(out.parent):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be stopped: {proc.communicate()}"
    while not (workers := _children(proc.pid)) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], sorted(str(p) for p in tmp_path.rglob("*"))
    assert workers, "no figure worker was running"
    assert _wait_until_gone(workers), "processes left running after SIGTERM"
