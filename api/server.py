"""How uvicorn serves the app: loopback by default, and deadlines for clients that send too slowly.

uvicorn closes a keep-alive connection that stays idle after a response (`timeout_keep_alive`), but it
has no deadline for a connection that never completes its request head: a client that connects and sends
nothing, or sends half a header, held a connection (and a file descriptor) for as long as it liked. The
protocol below adds one. The body is bounded by the app itself (api.main.BodyTimeoutMiddleware).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI

HEADER_TIMEOUT_S = 5.0
"""A connection must deliver a complete request head this soon after it opens or after its last response."""

KEEP_ALIVE_S = 5
"""An idle keep-alive connection is closed after this many seconds (uvicorn's default, said here)."""


class _HeadDeadline:
    """Mixin for a uvicorn HTTP protocol: close the connection when no request head arrives in time."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:  # noqa: D102 - asyncio's protocol
        super().connection_made(transport)  # type: ignore[misc]
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def on_response_complete(self) -> None:  # noqa: D102 - uvicorn's callback
        self._arm_head_timer()  # before the parent: it may start a pipelined request right away
        super().on_response_complete()  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102 - asyncio's protocol
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timeout)

    def _head_timeout(self) -> None:
        waiting = self.cycle is None or self.cycle.response_complete  # no request in flight
        if waiting and not self.transport.is_closing():
            self.transport.close()


def _protocol_class() -> type[asyncio.Protocol]:
    """The fastest available uvicorn HTTP protocol (httptools when installed, else h11) with the deadline."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # httptools is optional (uvicorn[standard])
        from uvicorn.protocols.http.h11_impl import H11Protocol as base  # type: ignore[assignment]
    return type("DeadlineHTTPProtocol", (_HeadDeadline, base), {})


def server_config(app: FastAPI, host: str = "127.0.0.1", port: int = 8000, **kwargs: Any) -> uvicorn.Config:
    """The uvicorn configuration `policyqa serve` uses (the tests' live servers use it too)."""
    return uvicorn.Config(
        app, host=host, port=port, http=_protocol_class(), timeout_keep_alive=KEEP_ALIVE_S, **kwargs
    )


class PortInUseError(OSError):
    """The address to serve on is taken (checked before the index is loaded, not after)."""


def check_port(host: str, port: int) -> None:
    """Bind and release `host:port` once, so that a busy port is said plainly before any work starts.

    Raises:
        PortInUseError: another process listens there.
        OSError: the host is not an address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        )  # as uvicorn binds: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"port {port} on {host} is already in use (another policyqa serve?): stop that process "
                    f"or choose another port with --port"
                ) from exc
            raise OSError(f"cannot serve on {host}:{port}: {exc.strerror}") from exc


def serve(app: FastAPI, host: str, port: int) -> None:
    """Run the app until interrupted."""
    uvicorn.Server(server_config(app, host, port, log_level="info")).run()
