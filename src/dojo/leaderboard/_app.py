"""The application factory: ``create_app(settings)`` builds one independent service."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from dojo.leaderboard._boards import Boards
from dojo.leaderboard._live import Live
from dojo.leaderboard._models import Conflict, NotFound, Replayed
from dojo.leaderboard._ratelimit import RateLimiter
from dojo.leaderboard._settings import Settings
from dojo.leaderboard._store import Store
from dojo.leaderboard.routes import api, pages

__all__ = ["create_app"]

_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        b"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _SecurityHeaders:
    """Pure ASGI middleware (no per-request task, unlike BaseHTTPMiddleware; streams stay live)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _CachedBoardReads:
    """Answer anonymous board reads straight from the board cache, before routing.

    The board is what hundreds of projector pages and graders poll; once a board is cached,
    FastAPI's routing, dependency solving and validation are most of a read's cost. Only requests
    whose exact parameters were validated and cached by the route itself are answered here; all
    others (and every cache miss) go through the route as usual.
    """

    _PREFIX, _SUFFIX = "/api/cohorts/", "/board"

    def __init__(self, app: Any, boards: Boards) -> None:
        self.app = app
        self.boards = boards

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        data = self._lookup(scope) if scope["type"] == "http" else None
        if data is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    def _lookup(self, scope: Any) -> bytes | None:
        path: str = scope["path"]
        if scope["method"] != "GET" or not (
            path.startswith(self._PREFIX) and path.endswith(self._SUFFIX)
        ):
            return None
        cohort = path[len(self._PREFIX) : -len(self._SUFFIX)]
        if "/" in cohort or any(name == b"authorization" for name, _ in scope["headers"]):
            return None
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        if set(params) - {"module", "window", "limit"} or not params.get("limit", "10").isdigit():
            return None
        return self.boards.cached_board_bytes(
            cohort, params.get("module"), params.get("window", "all"), int(params.get("limit", 10))
        )


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """Build a leaderboard service.

    Connects to ``settings.db_url`` and applies migrations (unless a ready ``store`` is given);
    nothing is shared with other apps, so tests can build as many as they need.

    Args:
        settings: The service configuration.
        store: An already open store to use instead of opening ``settings.db_url``.

    Returns:
        The ASGI application.
    """
    store = store or Store.open(
        settings.db_url,
        clock=settings.clock,
        sqlite_synchronous=settings.sqlite_synchronous,
        nonce_keep=timedelta(seconds=2 * settings.max_skew_seconds),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="Serverless Dojo leaderboard",
        version="1.0",
        description=(
            "Points awarded once, ranked fairly, shown live. Graders sign award posts with "
            "HMAC-SHA256 over `timestamp \\n nonce \\n body` (headers X-Dojo-Timestamp, "
            "X-Dojo-Nonce, X-Dojo-Signature); admins and learners use bearer tokens."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.boards = boards = Boards(store, settings.clock)
    app.state.live = Live(boards, settings.live_interval)
    app.state.learner_limiter = RateLimiter(
        settings.learner_rate, settings.learner_period, settings.clock
    )

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default echoes each bad input back; a lone surrogate in it cannot be encoded
        # and turned a clear 422 into a 500. Say where and what, not the input itself.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        body = json.dumps({"detail": errors}, ensure_ascii=True, default=str)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(Replayed)
    async def _replayed(_request: Request, exc: Replayed) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=401)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    app.include_router(api)
    app.include_router(pages)
    app.add_middleware(_CachedBoardReads, boards=boards)
    app.add_middleware(_SecurityHeaders)  # added last: outermost, so it covers cached reads too
    return app
