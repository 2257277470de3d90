"""``forecast serve``: listen, simulate the served scenario once, and run the page
until Ctrl-C.

The port is bound before anything slow happens, so a port in use is reported at once
(exit 2). The first simulation runs before the address is printed (it compiles the
model on a first run, as a first ``forecast run`` does), so the page opens on numbers.
Ctrl-C or SIGTERM shuts the server down cleanly (exit 0); a second Ctrl-C does not
wait for open pages to disconnect.

Examples
--------
>>> serve(None, host="127.0.0.1", port=8765)  # doctest: +SKIP
forecast serve: http://127.0.0.1:8765 (Ctrl-C stops it)
0
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast.errors import ScenarioError

DEFAULT_PORT = 8765
EXIT_OK = 0
EXIT_BAD_INPUT = 2


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; raises OSError (e.g. EADDRINUSE)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(
    scenario: Path | None, host: str, port: int, workdir: Path | None = None, max_draws: int | None = None
) -> int:
    """Serve the what-if page until Ctrl-C; returns the exit code. ``max_draws``: the
    most draws a visitor may ask for (default :data:`whatif.PAGE_DRAWS`)."""
    import forecast
    from forecast.commands.serve.whatif import PAGE_DRAWS

    cap = PAGE_DRAWS if max_draws is None else max_draws
    if cap < 1:
        print(f"forecast serve: --max-draws must be at least 1 (got {cap})", file=sys.stderr)
        return EXIT_BAD_INPUT

    path = Path(scenario) if scenario is not None else forecast.bundled("deepseek")
    ready = prepare(lambda: forecast.load(path), host, port)
    if ready is None:
        return EXIT_BAD_INPUT
    base, sock = ready
    with sock:
        print(
            f"forecast serve: simulating {path.name} (the first run also compiles the model)…",
            file=sys.stderr,
        )
        from forecast.commands.serve.app import create_app
        from forecast.commands.serve.view import Worker, compute

        first = compute(base, {})
        worker = Worker()
        app = create_app(path, base, first, worker, (workdir or Path.cwd()).resolve(), cap)
        return run_server(app, sock, host)


def refused(e: ScenarioError) -> int:
    """Print every problem of ``e`` on stderr, as ``forecast validate`` does; returns 2."""
    for p in e.problems:
        print(p, file=sys.stderr)
    return EXIT_BAD_INPUT


def prepare(load: Callable[[], Any], host: str, port: int) -> tuple[Any, socket.socket] | None:
    """What ``load()`` reads, checked before anything slow, and a listening socket; None
    after saying why not (every problem of the files, or why the port cannot be used)."""
    try:
        loaded = load()
    except ScenarioError as e:
        refused(e)
        return None
    sock = listen(host, port)
    return None if sock is None else (loaded, sock)


def listen(host: str, port: int) -> socket.socket | None:
    """A listening socket, or None after saying why not on stderr (a port in use, out of
    range, an address this machine does not have); warns when other machines can connect."""
    try:
        sock = bind(host, port)
    except OverflowError:
        print(f"forecast serve: --port must be between 0 and 65535 (got {port})", file=sys.stderr)
        return None
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            print(
                f"forecast serve: port {port} on {host} is in use; choose another with --port",
                file=sys.stderr,
            )
        else:
            print(f"forecast serve: cannot listen on {host}:{port}: {e.strerror or e}", file=sys.stderr)
        return None
    if not _loopback(host):
        print(
            f"forecast serve: warning: listening on {host}: other machines can open the page, "
            "and its buttons write files in this folder",
            file=sys.stderr,
        )
    return sock


def _loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run_server(app: Any, sock: socket.socket, host: str) -> int:
    """Run ``app`` on ``sock`` until Ctrl-C or SIGTERM; returns 0."""
    import uvicorn

    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host

    class Server(uvicorn.Server):
        def capture_signals(self) -> Any:
            # ours below: uvicorn's re-raises Ctrl-C after shutting down, which would
            # end the command as "interrupted" rather than stopped
            return contextlib.nullcontext()

    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = Server(config)

    def stop(signum: int, frame: Any) -> None:
        # a second Ctrl-C does not wait for open pages to disconnect
        server.force_exit = server.should_exit
        server.should_exit = True

    async def announce() -> None:
        while not server.started and not server.should_exit:
            await asyncio.sleep(0.05)
        if server.started:
            print(f"forecast serve: http://{shown}:{actual} (Ctrl-C stops it)", flush=True)

    async def main() -> None:
        task = asyncio.create_task(announce())
        await server.serve(sockets=[sock])
        task.cancel()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(main())
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("forecast serve: stopped", file=sys.stderr)
    return EXIT_OK
