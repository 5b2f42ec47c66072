"""The two WebSocket endpoints, reached without the router's layers (issue 21, item 3).

Every open socket keeps the whole chain of coroutines that called its endpoint for as long as it
is open: for a waiting visitor that is minutes, and 18,000 of them must fit in 500 MB. Behind
Baken's middlewares, Starlette and FastAPI add about ten more layers to a socket (the exception
middleware and its wrapper, FastAPI's telemetry, body-limit and exit-stack middlewares, the
router, the route and its session wrapper with a second exception wrapper; docs/performance.md).
Installed innermost, inside the security headers, the address hashing and the organisation
entry, this calls the endpoint itself, with the same scope. The routes stay registered for all
that lists routes (tests/test_authorization_matrix.py, docs/security.md). Nothing the skipped
layers do applies to these endpoints: they take only the socket and raise no HTTP or WebSocket
exceptions, and an unexpected error still reaches the server error middleware outside, which
closes the socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

Endpoint = Callable[[WebSocket], Awaitable[None]]


class SocketEntry:
    def __init__(self, app: ASGIApp, endpoints: dict[str, Endpoint]) -> None:
        self.app = app
        self.endpoints = endpoints

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain function handing back the endpoint's coroutine: no frame of this layer either.
        if scope["type"] == "websocket":
            endpoint = self.endpoints.get(scope["path"])
            if endpoint is not None:
                return endpoint(WebSocket(scope, receive=receive, send=send))
        return self.app(scope, receive, send)
