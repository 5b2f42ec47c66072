"""Baken's app under another ASGI server, for `bench/load.py --server` (issue 21, item 2: compare
uvicorn's WebSocket implementations, granian and hypercorn by measurement).

`baken serve` runs uvicorn with Baken's own protocols (web/server.py: the slow-client guard, the
availability answer, `LeanWebSocketProtocol`). Here the same app, made the same way and with the
same collector settings, runs under:

- `uvicorn-sansio`: uvicorn's stock `websockets-sansio` implementation (what Baken's lean
  protocol subclasses), without Baken's changes;
- `uvicorn-websockets`: uvicorn's older `websockets` implementation (a task and stream buffers
  per socket);
- `uvicorn-wsproto`: uvicorn's `wsproto` implementation;
- `granian`: granian's ASGI interface (Rust HTTP and WebSocket stack, uvloop for the app);
- `hypercorn`: hypercorn on uvloop.

granian and hypercorn are not dependencies of Baken: install them somewhere apart
(`pip install --target /tmp/alt granian hypercorn`) and put that folder on `PYTHONPATH`.
The settings come from the environment as for `baken serve` (bench/benchlib.py sets them).

    python bench/alt_server.py SERVER HOST PORT
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

UVICORN_WS = {
    "uvicorn-sansio": "websockets-sansio",
    "uvicorn-websockets": "websockets",
    "uvicorn-wsproto": "wsproto",
}
SERVERS = (*UVICORN_WS, "granian", "hypercorn")


def make_app() -> Any:
    """The app as `baken serve` makes it, migrating at start-up; the collector is tuned once
    start-up is complete, as `TunedServer` does."""
    from baken.config import Settings
    from baken.web import gc_tuning
    from baken.web.app import create_app

    settings = Settings()
    logging.getLogger("uvicorn.access").disabled = True
    thresholds = gc_tuning.parse_thresholds(settings.gc_thresholds)
    app = create_app(settings, migrate=True)

    async def tuned(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_then_tune(message: Any) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc_tuning.freeze_startup_heap()
                gc_tuning.apply_thresholds(thresholds)
            await send(message)

        await app(scope, receive, send_then_tune)

    return tuned


def main() -> None:
    server, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if server not in SERVERS:
        raise SystemExit(f"unknown server {server!r}; one of {', '.join(SERVERS)}")
    if server.startswith("uvicorn-"):
        import uvicorn

        uvicorn.run(
            make_app(),
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            ws=UVICORN_WS[server],
            ws_per_message_deflate=False,
            ws_max_size=1024 * 1024,
            access_log=False,
            lifespan="on",
            log_level="warning",
        )
    elif server == "granian":
        # Replaces this process: granian imports the factory below in its own worker set-up.
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--loop",
                "uvloop",
                "--workers",
                "1",
                "--runtime-mode",
                "st",
                "--runtime-threads",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
                "--host",
                host,
                "--port",
                str(port),
                "--factory",
                "alt_server:make_app",
            ],
        )
    else:
        import uvloop
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"{host}:{port}"]
        config.accesslog = None
        config.loglevel = "WARNING"
        config.websocket_max_message_size = 1024 * 1024
        uvloop.install()
        asyncio.run(serve(make_app(), config))


if __name__ == "__main__":
    main()
