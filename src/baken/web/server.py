"""The uvicorn settings Baken is served with, in one place for the CLI, tests and benchmarks."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import uvicorn

from baken.config import Settings
from baken.web import gc_tuning
from baken.web.app import create_app
from baken.web.availability_wire import answering_availability
from baken.web.lean_socket import LeanWebSocketProtocol
from baken.web.slow_clients import guarded_protocol


class TunedServer(uvicorn.Server):
    """The production server: the GC is tuned once start-up is complete (see gc_tuning)."""

    def __init__(
        self,
        config: uvicorn.Config,
        thresholds: tuple[int, int, int],
        on_started: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self.thresholds = thresholds
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc_tuning.freeze_startup_heap()
        gc_tuning.apply_thresholds(self.thresholds)
        # Said only once the socket is bound: a port in use ends start-up before this line.
        if self.started and self.on_started is not None:
            self.on_started()


class _WithoutStartupLine(logging.Filter):
    """Drops uvicorn's "Uvicorn running on http://…": its address comes out as "[addr]" (the log
    never shows addresses, logging_setup.py), and `baken serve` prints the real URLs itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Uvicorn running on")


_WITHOUT_STARTUP_LINE = _WithoutStartupLine()


def uvicorn_config(
    settings: Settings, *, migrate: bool = False, loop: str = "uvloop"
) -> uvicorn.Config:
    # No access log, ever: it would be a list of who came when. uvicorn still emits one when any
    # handler is attached to the root logger, so the logger itself is switched off.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("uvicorn.error").addFilter(_WITHOUT_STARTUP_LINE)  # added once, however often
    app = create_app(settings, migrate=migrate)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop=loop,
        # uvicorn's httptools protocol with time limits for headers and body and a cap on
        # half-open connections per address (issue 16: slow clients).
        http=answering_availability(
            guarded_protocol(
                settings.header_timeout_seconds,
                settings.body_timeout_seconds,
                settings.max_half_open_per_address,
                settings.trusted_proxies,
            ),
            # Issue 18: the availability answer, sent again from the bytes the app sent for it.
            app.state.availability_wire,
        ),
        # uvicorn's "websockets-sansio" protocol, keeping less per open socket (issue 21).
        ws=LeanWebSocketProtocol,
        # Compression costs CPU per frame and opens side channels on secrets; chat frames are small.
        ws_per_message_deflate=False,
        # Frames above 64 KiB get a clear error frame; far larger ones close the socket unread.
        ws_max_size=1024 * 1024,
        # No keep-alive ping of uvicorn's own: Baken's clients ping every heartbeat, and the chat
        # service closes a socket silent for three (ChatService._sweep_silent_sockets). uvicorn's
        # timer per socket was half a kilobyte of each of 18,000 waiting visitors (issue 21).
        ws_ping_interval=None,
        ws_ping_timeout=None,
        access_log=False,
        # X-Forwarded-For is read by Baken itself, only from BAKEN_TRUSTED_PROXIES
        # (abuse/address.py); uvicorn's own handling would believe any local peer.
        proxy_headers=False,
        server_header=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
