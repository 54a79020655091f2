"""The FastAPI app: factory, lifespan that loads the index once, request ids, size cap, error replies."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
from anyio import to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embed.archive import Archive
from embed.config import Settings
from embed.errors import (
    ArticleNotFoundError,
    BadInputError,
    EmptyQueryError,
    IndexCorruptError,
    IndexNotFoundError,
    ModelLoadError,
    ModelMismatchError,
    PolicyQAError,
)

from .routes import router
from .server import check_port, serve
from .service import Loader, ServiceHolder, preloaded_loader

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
"""An incoming X-Request-ID is reused only when it is this tame (it ends up in logs and headers)."""

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The chat page loads nothing from elsewhere; saying so also stops any injected markup from running."""

BODY_IDLE_S = 5.0
"""Longest wait for the next piece of a request body: a client that promised more and stopped gets a 408."""

BODY_TOTAL_S = 30.0
"""Longest time for a whole request body (the 3 MB cap at 100 KB/s), so a byte-by-byte drip ends too."""

MAX_LISTED_ERRORS = 5
"""A 422 lists at most this many problems: a body with 200,000 unknown keys once made a 26 MB reply."""

MAX_ECHO_CHARS = 80
"""Each field name and message in a 422 is cut to this many characters (a key can be a megabyte long)."""


def _unavailable(exc: Exception) -> str:
    log.warning("index unavailable: %s", exc)
    return f"the index is unavailable: {exc}"


ERROR_TABLE: tuple[tuple[type[PolicyQAError], int, Callable[[Exception], str]], ...] = (
    (
        ArticleNotFoundError,
        404,
        lambda exc: f"no article with id {str(exc.args[0])[:80]!r}" if exc.args else "no such article",
    ),
    (EmptyQueryError, 422, lambda exc: "nothing searchable in the text" + (f": {exc}" if str(exc) else "")),
    (BadInputError, 422, lambda exc: _cut(str(exc), 200)),
    (IndexNotFoundError, 503, _unavailable),
    (IndexCorruptError, 503, _unavailable),
    (ModelMismatchError, 503, _unavailable),
    (ModelLoadError, 503, _unavailable),
)
"""The library's typed errors as HTTP answers, first match wins: (error class, status, detail). Any other
library error has no meaning for a client: it is a bug, answered like any crash (a JSON 500)."""


class RequestContextMiddleware:
    """Gives every request an id (X-Request-ID), adds security headers, and turns crashes into JSON 500s.

    Pure ASGI rather than BaseHTTPMiddleware: it adds no task or body buffering per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id attached; answer a JSON 500 if it crashes before responding."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                if not scope["path"].startswith(("/docs", "/redoc")):  # Swagger UI comes from a CDN
                    headers["Content-Security-Policy"] = PAGE_POLICY
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("request %s %s %s failed", request_id, scope["method"], scope["path"])
            if started:
                raise
            body = {"detail": "internal server error", "request_id": request_id}
            await JSONResponse(body, status_code=500)(scope, receive, send_with_headers)


class HeadAsGetMiddleware:
    """Answers HEAD like GET without the body (FastAPI routes list GET only, so HEAD would be a 405)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run HEAD as GET on a copy of the scope (the server keeps the original), then drop the body."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_head(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_head)


class BodyTimeoutMiddleware:
    """Answers 408 (and closes the connection) when a request body stops arriving or takes too long.

    uvicorn waits for a promised body for as long as the client likes; a handful of clients that send a
    header and then two bytes would each hold a connection and a request task forever.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bound every wait for body bytes; once the body is complete, later receives are not timed."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + BODY_TOTAL_S
        complete = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:  # waiting for a disconnect (streaming replies do) is not the client's to hurry
                return await receive()
            with anyio.move_on_after(min(BODY_IDLE_S, deadline - anyio.current_time())):
                message = await receive()
                complete = message["type"] != "http.request" or not message.get("more_body", False)
                return message
            raise HTTPException(
                status_code=408, detail="request body not received in time", headers={"Connection": "close"}
            )

        await self.app(scope, timed_receive, send)


class BodySizeLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413, by Content-Length or while streaming in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length up front, then count what actually arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body too large: the limit is {self.max_bytes} bytes"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # FastAPI lets an HTTPException from the body read through to the exception handlers.
                raise HTTPException(status_code=413, detail=detail)
            return message

        await self.app(scope, counted_receive, send)


def _cut(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_name(loc: tuple | list) -> str:
    parts = [_cut(str(p)) for p in loc if p not in ("body", "query", "path", "header")]
    return _cut(".".join(parts)) or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {}).get("error", "")
        return JSONResponse({"detail": f"malformed JSON body: {reason}".rstrip(": ")}, status_code=400)
    # No "input" echoed back (it can be a 200,000-character text), and only the first few problems, cut
    # short: what the client sent decides how many there are and how long their names are.
    shown = errors[:MAX_LISTED_ERRORS]
    listed = [
        {
            "loc": [p if isinstance(p, int) else _cut(str(p)) for p in e["loc"]],
            "msg": _cut(e["msg"], 2 * MAX_ECHO_CHARS),
            "type": e["type"],
        }
        for e in shown
    ]
    detail = "; ".join(f"{_field_name(e['loc'])}: {_cut(e['msg'], 2 * MAX_ECHO_CHARS)}" for e in shown)
    if len(errors) > len(shown):
        detail += f"; and {len(errors) - len(shown)} more problems"
    return JSONResponse({"detail": detail, "errors": listed}, status_code=422)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    for cls, status, detail in ERROR_TABLE:
        if isinstance(exc, cls):
            return JSONResponse({"detail": detail(exc)}, status_code=status)
    raise exc


async def _page() -> FileResponse:
    """The chat page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


def open_service(settings: Settings) -> Archive:
    """The index on disk as it is, never building one: what a reload serves.

    A reload that found no index used to build one from seeds/ inside the request; now it fails (503)
    and the service keeps the index it has.
    """
    return Archive.open(settings)


def _build_once_then_open() -> Loader:
    """Start-up builds the index from seeds/ when there is none (a fresh clone serves); reloads only open."""
    started: list[bool] = []

    def load(settings: Settings) -> Archive:
        if started:
            return open_service(settings)
        started.append(True)
        return Archive.load(settings)

    return load


def _lifespan(holder: ServiceHolder) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync handlers run in anyio's worker threads, 40 by default: on a few cores, CPU-bound requests
        # then take turns at the GIL and all finish late. Fewer threads queue the rest on the event loop.
        to_thread.current_default_thread_limiter().total_tokens = holder.settings.worker_threads()
        # Loading reads the index and the model from disk: seconds, so off the event loop.
        archive = await to_thread.run_sync(holder.load)
        articles, chunks = archive.counts()
        log.info("serving %d articles, %d chunks, model %s", articles, chunks, archive.model_name)
        yield

    return lifespan


def create_app(settings: Settings | None = None, *, loader: Loader | None = None) -> FastAPI:
    """Build the app; nothing is loaded until startup (the lifespan), so importing this is cheap.

    Args:
        settings: defaults to `Settings.from_env()`.
        loader: how to open the index (startup and /api/reload); tests pass one with a fake encoder.
            By default start-up builds a missing index and reloads only open what is on disk.
    """
    settings = settings or Settings.from_env()
    holder = ServiceHolder(settings, loader or _build_once_then_open())
    app = FastAPI(
        title="policyqa",
        summary="问答与摘要：中文新闻档案 — extractive answers with cited passages.",
        version="0.1.0",
        lifespan=_lifespan(holder),
    )
    app.state.settings = settings
    app.state.holder = holder
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(PolicyQAError, _domain_error)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyTimeoutMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RequestContextMiddleware)  # added last = outermost: sees every failure below
    app.include_router(router)
    # The page's assets under /static rather than a catch-all mount at "/", which would turn a wrong
    # method on an API path (GET /api/ask) into a 404 instead of a 405.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", _page, methods=["GET"], include_in_schema=False)
    return app


app = create_app()
"""For `uvicorn api.main:app`; `policyqa serve` calls create_app(settings) itself."""


def run(settings: Settings, host: str, port: int, on_ready: Callable[[str], None] = lambda url: None) -> None:
    """`policyqa serve`: check the port, open (or first build) the index once, serve until interrupted.

    The busy-port check comes before a first build that may take a minute; the index loaded here is the
    one the app starts with (it is not loaded twice), and reloads open what is on disk. `on_ready` gets
    the address once the index is open, just before the server starts.

    Raises:
        PortInUseError: another process listens on `host:port`.
    """
    check_port(host, port)
    first = Archive.load(settings)
    app = create_app(settings, loader=preloaded_loader(first, then=open_service))
    on_ready(f"http://{host}:{port}/")
    serve(app, host, port)
