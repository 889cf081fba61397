"""FastAPI dependencies: the app's services, the cohort in the path, and who is calling.

Everything comes from ``request.app.state`` (set by ``create_app``), never from module globals, so
tests can build as many apps as they like and swap any of these with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Header, HTTPException, Path, Request

from dojo.leaderboard._auth import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    verify,
)
from dojo.leaderboard._boards import Boards, Viewer
from dojo.leaderboard._live import Live
from dojo.leaderboard._models import Cohort, Learner, NotFound
from dojo.leaderboard._ratelimit import RateLimiter
from dojo.leaderboard._schemas import COHORT_PATTERN
from dojo.leaderboard._settings import Settings
from dojo.leaderboard._store import Store

__all__ = [
    "cohort_named",
    "get_boards",
    "get_cohort",
    "get_live",
    "get_settings",
    "get_store",
    "get_viewer",
    "rate_limit_learner",
    "require_admin",
    "require_grader",
    "require_learner",
    "viewer_for",
]


async def get_settings(request: Request) -> Settings:
    """The service settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    """The database store."""
    store: Store = request.app.state.store
    return store


async def get_boards(request: Request) -> Boards:
    """The board cache."""
    boards: Boards = request.app.state.boards
    return boards


async def get_live(request: Request) -> Live:
    """The live-update fan-out."""
    live: Live = request.app.state.live
    return live


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def get_cohort(
    boards: Annotated[Boards, Depends(get_boards)],
    cohort: Annotated[str, Path(pattern=COHORT_PATTERN, description="Cohort name.")],
) -> Cohort:
    """The cohort named in the path, or 404."""
    return await cohort_named(boards, cohort)


async def cohort_named(boards: Boards, name: str) -> Cohort:
    """Return a cohort by name (from the cache when possible), or raise 404."""
    cached = boards.cached_cohort(name)
    if cached is not None:
        return cached
    try:
        return await anyio.to_thread.run_sync(boards.cohort, name)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc


async def get_viewer(
    request: Request,
    cohort: Annotated[Cohort, Depends(get_cohort)],
    store: Annotated[Store, Depends(get_store)],
) -> Viewer:
    """Who is asking: the cohort admin, a learner of the cohort, or anyone (no token)."""
    return await viewer_for(request, cohort, store)


async def viewer_for(request: Request, cohort: Cohort, store: Store) -> Viewer:
    """Resolve the bearer token of ``request`` for ``cohort`` (401 for an unknown token)."""
    token = _bearer(request)
    if token is None:
        return Viewer()
    if await anyio.to_thread.run_sync(store.is_admin, cohort, token):
        return Viewer(admin=True)
    learner = await anyio.to_thread.run_sync(store.learner_by_token, cohort, token)
    if learner is None:
        raise HTTPException(
            401,
            f"the bearer token is neither the admin token nor a learner token of {cohort.name!r}",
        )
    return Viewer(learner=learner)


async def require_admin(viewer: Annotated[Viewer, Depends(get_viewer)]) -> Viewer:
    """Only the cohort's admin token passes."""
    if not viewer.admin:
        raise HTTPException(401, "this needs the cohort's admin token (Authorization: Bearer ...)")
    return viewer


async def require_learner(viewer: Annotated[Viewer, Depends(get_viewer)]) -> Learner:
    """Only a learner token of the cohort passes."""
    if viewer.learner is None:
        raise HTTPException(
            401, "this needs your learner token from joining (Authorization: Bearer ...)"
        )
    return viewer.learner


async def rate_limit_learner(request: Request) -> None:
    """Limit learner endpoints per client address and token (429 with Retry-After)."""
    limiter: RateLimiter = request.app.state.learner_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.hit(f"{client}|{_bearer(request) or ''}")
    if wait > 0:
        raise HTTPException(
            429,
            f"too many requests; try again in {wait:.0f} s",
            headers={"Retry-After": str(max(1, round(wait)))},
        )


async def require_grader(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    timestamp: Annotated[
        str | None, Header(alias=TIMESTAMP_HEADER, description="Unix seconds of signing.")
    ] = None,
    nonce: Annotated[
        str | None, Header(alias=NONCE_HEADER, description="8-64 characters, never reused.")
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            description="Hex HMAC-SHA256 of timestamp + LF + nonce + LF + body, grader key.",
        ),
    ] = None,
) -> str | None:
    """Accept only requests signed with the grader key: not forged, altered or stale.

    Returns the request's nonce: the route records it in the same transaction as its write, and
    a nonce seen before (a replay) is refused there with 401.
    """
    if not settings.grader_key:
        raise HTTPException(
            401, "this service has no grader key configured, so it accepts no awards"
        )
    body = await request.body()
    headers = {TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce, SIGNATURE_HEADER: signature}
    try:
        parts = verify(
            settings.grader_key, headers, body, settings.clock(), settings.max_skew_seconds
        )
    except SignatureError as exc:
        raise HTTPException(401, str(exc)) from exc
    return parts.nonce
