"""Liveness, readiness and metrics for operators. Nothing here names a person or holds content."""

from __future__ import annotations

import gc

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from baken.web.services import services_of


async def healthz(_request: Request) -> Response:
    """The process is alive and serving."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready for traffic: the database answers, and Redis too when several processes share it."""
    services = services_of(request.app)
    checks: dict[str, str] = {}
    checks["database"] = "ok" if await services.db.ping() else "unavailable"
    broker_ok = services.chat.broker.is_ready()
    if broker_ok is not None:
        checks["redis"] = "ok" if broker_ok else "unavailable"
    ready = all(value == "ok" for value in checks.values())
    # Issue 16: an operator sees here that a proxy's X-Forwarded-For is being ignored.
    untrusted = bool(getattr(request.app.state.address_keys, "untrusted_forwarding", False))
    return JSONResponse(
        {
            "status": "ready" if ready else "not_ready",
            "checks": checks,
            "untrusted_forwarded_for": untrusted,
        },
        status_code=200 if ready else 503,
    )


async def metrics(request: Request) -> Response:
    """Prometheus text format; counts only, no labels that could identify anyone."""
    chat = services_of(request.app).chat
    hub = chat.hub
    lines = [
        "# HELP baken_messages_stored_total Messages committed by this process.",
        "# TYPE baken_messages_stored_total counter",
        f"baken_messages_stored_total {chat.writer.stored}",
        "# HELP baken_write_batches_total Group-commit transactions by this process.",
        "# TYPE baken_write_batches_total counter",
        f"baken_write_batches_total {chat.writer.batches}",
        "# HELP baken_websockets_open WebSockets open on this process.",
        "# TYPE baken_websockets_open gauge",
        f"baken_websockets_open {len(hub.connections)}",
        "# HELP baken_queue_waiting Visitors waiting in the queue.",
        "# TYPE baken_queue_waiting gauge",
        f"baken_queue_waiting {hub.queue_total()}",
        "# HELP baken_timeout_sweeps_total Timeout sweeps run by this process (issue 15).",
        "# TYPE baken_timeout_sweeps_total counter",
        f"baken_timeout_sweeps_total {chat.timeouts.sweeps}",
        "# HELP baken_heap_frozen_objects Start-up objects the garbage collector no longer walks.",
        "# TYPE baken_heap_frozen_objects gauge",
        f"baken_heap_frozen_objects {gc.get_freeze_count()}",
        "# HELP baken_garbage_collections_total Garbage collections, by generation.",
        "# TYPE baken_garbage_collections_total counter",
        *(
            f'baken_garbage_collections_total{{generation="{gen}"}} {stat["collections"]}'
            for gen, stat in enumerate(gc.get_stats())
        ),
        "# HELP baken_frames_rejected_total Client frames answered with an error, by code.",
        "# TYPE baken_frames_rejected_total counter",
    ]
    lines += [
        f'baken_frames_rejected_total{{code="{code}"}} {count}'
        for code, count in sorted(chat.rejected.items())
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
