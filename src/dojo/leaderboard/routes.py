"""HTTP routes: the JSON API (documented in the OpenAPI schema) and the web pages."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from dojo.leaderboard._assets import BOARD_CSS, BOARD_JS
from dojo.leaderboard._boards import Boards, Viewer
from dojo.leaderboard._live import Live
from dojo.leaderboard._models import Cohort, Learner
from dojo.leaderboard._page import board_page, index_page, learner_page
from dojo.leaderboard._schemas import (
    COHORT_PATTERN,
    ID_PATTERN,
    PUBLIC_ID_PATTERN,
    AuditOut,
    AwardIn,
    AwardOut,
    BoardOut,
    CohortCreatedOut,
    CohortIn,
    CohortOut,
    CohortPatchIn,
    ErrorOut,
    JoinIn,
    JoinOut,
    LearnerOut,
    LearnerPatchIn,
    MePatchIn,
    ProgressOut,
    Window,
)
from dojo.leaderboard._settings import Settings
from dojo.leaderboard._store import Store
from dojo.leaderboard.deps import (
    cohort_named,
    get_boards,
    get_cohort,
    get_live,
    get_settings,
    get_store,
    get_viewer,
    rate_limit_learner,
    require_admin,
    require_grader,
    require_learner,
    viewer_for,
)

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api")
pages = APIRouter(include_in_schema=False)

StoreDep = Annotated[Store, Depends(get_store)]
BoardsDep = Annotated[Boards, Depends(get_boards)]
LiveDep = Annotated[Live, Depends(get_live)]
CohortDep = Annotated[Cohort, Depends(get_cohort)]
ModuleQ = Annotated[
    str | None, Query(pattern=ID_PATTERN, description="Module board; omit for overall.")
]
WindowQ = Annotated[
    Window, Query(description="all, month (since the 1st) or week (since Monday), UTC.")
]
LimitQ = Annotated[int, Query(ge=1, le=100, description="How many top entries.")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


def _learner_out(learner: Learner) -> LearnerOut:
    return LearnerOut(
        learner=learner.key,
        public_id=learner.public_id,
        display_name=learner.display_name,
        pseudonym=learner.pseudonym,
        hidden=learner.hidden,
        banned=learner.banned,
    )


def _cohort_out(cohort: Cohort, boards: Boards, admin: bool) -> dict[str, Any]:
    return {
        "name": cohort.name,
        "title": cohort.title,
        "freeze_at": cohort.freeze_at,
        "frozen": boards.as_of(cohort, Viewer()) is not None,
        "first_solve_bonus": cohort.first_solve_bonus,
        "join_code": cohort.join_code if admin else None,
    }


async def _event_stream(live: Live, settings: Settings, key: tuple[Any, ...]) -> StreamingResponse:
    # Subscribing renders the first message, so an unknown module or learner is a 404 here.
    sub = await live.subscribe(key)
    return StreamingResponse(
        live.stream(sub, settings.heartbeat_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _changed(request: Request, cohort: str) -> None:
    request.app.state.boards.invalidate(cohort)
    request.app.state.live.changed(cohort)


# -- API -------------------------------------------------------------------------------------


@api.get("/health", tags=["service"])
async def health() -> dict[str, str]:
    """Liveness check."""
    return {"status": "ok"}


NonceDep = Annotated[str | None, Depends(require_grader)]


@api.post(
    "/cohorts",
    status_code=201,
    response_model=CohortCreatedOut,
    responses=_errors(401, 409, 422),
    tags=["cohorts"],
)
async def create_cohort(
    nonce: NonceDep, body: CohortIn, store: StoreDep, boards: BoardsDep
) -> CohortCreatedOut:
    """Create a cohort (signed by the grader key); returns its admin token and join code once."""
    new = await anyio.to_thread.run_sync(
        lambda: store.create_cohort(
            body.name,
            title=body.title,
            freeze_at=body.freeze_at,
            first_solve_bonus=body.first_solve_bonus,
            actor="grader",
            nonce=nonce,
        )
    )
    return CohortCreatedOut(**_cohort_out(new.cohort, boards, True), admin_token=new.admin_token)


@api.get(
    "/cohorts/{cohort}",
    response_model=CohortOut,
    responses=_errors(401, 404, 422),
    tags=["cohorts"],
)
async def get_cohort_info(
    cohort: CohortDep, boards: BoardsDep, viewer: Annotated[Viewer, Depends(get_viewer)]
) -> dict[str, Any]:
    """A cohort's settings; the join code is included for its admin."""
    return _cohort_out(cohort, boards, viewer.admin)


@api.patch(
    "/cohorts/{cohort}",
    response_model=CohortOut,
    responses=_errors(401, 404, 422),
    dependencies=[Depends(require_admin)],
    tags=["cohorts"],
)
async def patch_cohort(
    request: Request, body: CohortPatchIn, cohort: CohortDep, store: StoreDep, boards: BoardsDep
) -> dict[str, Any]:
    """Admin: set or clear the freeze time, the first-solve bonus or the title."""
    changes = body.model_dump(include=body.model_fields_set)
    if changes.get("title", "") is None or changes.get("first_solve_bonus", 0) is None:
        raise HTTPException(422, "title and first_solve_bonus cannot be null")
    updated = await anyio.to_thread.run_sync(
        lambda: store.update_cohort(cohort.name, actor="admin", **changes)
    )
    _changed(request, cohort.name)
    return _cohort_out(updated, boards, True)


@api.post(
    "/cohorts/{cohort}/awards",
    status_code=201,
    response_model=AwardOut,
    responses={
        200: {"model": AwardOut, "description": "Already recorded (same key)."},
        **_errors(401, 404, 409, 422),
    },
    tags=["awards"],
)
async def post_award(
    request: Request, nonce: NonceDep, body: AwardIn, cohort: CohortDep, store: StoreDep
) -> Response:
    """Award points (signed by the grader key). Recorded once per idempotency key; the best
    score per learner and task counts."""
    result = await anyio.to_thread.run_sync(
        lambda: store.award(
            cohort,
            learner=body.learner,
            assignment=body.assignment,
            task=body.task,
            module=body.module or body.assignment,
            points=body.points,
            max_points=body.max_points,
            key=body.idempotency_key,
            learner_name=body.learner_name,
            nonce=nonce,
        )
    )
    if result.created:
        _changed(request, cohort.name)
    # Serialised directly (the hot write path): the same fields AwardOut documents.
    return Response(
        json.dumps(asdict(result)),
        status_code=201 if result.created else 200,
        media_type="application/json",
    )


@api.get(
    "/cohorts/{cohort}/board",
    response_model=BoardOut,
    responses=_errors(401, 404, 422),
    tags=["boards"],
)
async def get_board(
    request: Request,
    boards: BoardsDep,
    store: StoreDep,
    cohort: Annotated[str, Path(pattern=COHORT_PATTERN)],
    module: ModuleQ = None,
    window: WindowQ = "all",
    limit: LimitQ = 10,
    learner: Annotated[
        str | None,
        Query(pattern=PUBLIC_ID_PATTERN, description="Public id whose position to include."),
    ] = None,
) -> Response:
    """A ranked board: top ``limit`` plus "me" (the learner of the bearer token, or ``learner``).

    Admins (bearer admin token) see through a freeze and see learner ids.
    """
    # Anonymous reads of cached boards never get here: _CachedBoardReads answers them first.
    found = await cohort_named(boards, cohort)
    if learner is None and "authorization" not in request.headers:
        data = await anyio.to_thread.run_sync(boards.board_bytes, found, module, window, limit)
        return Response(data, media_type="application/json")
    viewer = await viewer_for(request, found, store)
    me = viewer.learner
    if learner is not None:
        me = await anyio.to_thread.run_sync(store.learner_by_public_id, found, learner)
    board = await anyio.to_thread.run_sync(
        lambda: boards.board(found, module, window, limit, viewer, me)
    )
    return Response(BoardOut.model_validate(board).model_dump_json(), media_type="application/json")


@api.get(
    "/cohorts/{cohort}/learners/{public_id}",
    response_model=ProgressOut,
    responses=_errors(401, 404, 422),
    tags=["learners"],
)
async def get_learner_progress(
    cohort: CohortDep,
    boards: BoardsDep,
    store: StoreDep,
    viewer: Annotated[Viewer, Depends(get_viewer)],
    public_id: Annotated[str, Path(pattern=PUBLIC_ID_PATTERN)],
) -> dict[str, Any]:
    """A learner's progress per module and overall position (as their page shows it)."""
    learner = await anyio.to_thread.run_sync(store.learner_by_public_id, cohort, public_id)
    return await anyio.to_thread.run_sync(boards.learner_view, cohort, learner, viewer)


@api.post(
    "/cohorts/{cohort}/join",
    status_code=201,
    response_model=JoinOut,
    dependencies=[Depends(rate_limit_learner)],
    responses=_errors(403, 404, 409, 422, 429),
    tags=["learners"],
)
async def join(request: Request, body: JoinIn, cohort: CohortDep, store: StoreDep) -> JoinOut:
    """Join a cohort with its join code; returns your learner token (shown once)."""
    given = body.join_code.replace("-", "").upper()
    if not secrets.compare_digest(given, cohort.join_code.replace("-", "")):
        raise HTTPException(403, f"that is not the join code of cohort {cohort.name!r}")
    learner, token = await anyio.to_thread.run_sync(
        lambda: store.join(
            cohort,
            display_name=body.display_name,
            pseudonym=body.pseudonym,
            learner_key=body.learner,
        )
    )
    _changed(request, cohort.name)
    return JoinOut(
        learner=learner.key, public_id=learner.public_id, name=learner.shown_name, token=token
    )


@api.get(
    "/cohorts/{cohort}/me",
    response_model=ProgressOut,
    dependencies=[Depends(rate_limit_learner)],
    responses=_errors(401, 404, 422, 429),
    tags=["learners"],
)
async def get_me(
    cohort: CohortDep, boards: BoardsDep, learner: Annotated[Learner, Depends(require_learner)]
) -> dict[str, Any]:
    """Your own progress (learner token)."""
    return await anyio.to_thread.run_sync(
        boards.learner_view, cohort, learner, Viewer(learner=learner)
    )


@api.patch(
    "/cohorts/{cohort}/me",
    response_model=LearnerOut,
    dependencies=[Depends(rate_limit_learner)],
    responses=_errors(401, 404, 422, 429),
    tags=["learners"],
)
async def patch_me(
    request: Request,
    body: MePatchIn,
    cohort: CohortDep,
    store: StoreDep,
    learner: Annotated[Learner, Depends(require_learner)],
) -> LearnerOut:
    """Change your display name or pseudonym (learner token)."""
    changes = body.model_dump(include=body.model_fields_set)
    if "display_name" in changes and changes["display_name"] is None:
        raise HTTPException(422, "display_name cannot be null")
    updated = await anyio.to_thread.run_sync(
        lambda: store.update_learner(cohort, learner.key, actor=f"learner:{learner.key}", **changes)
    )
    _changed(request, cohort.name)
    return _learner_out(updated)


@api.get(
    "/cohorts/{cohort}/learners",
    response_model=list[LearnerOut],
    dependencies=[Depends(require_admin)],
    responses=_errors(401, 404, 422),
    tags=["admin"],
)
async def list_learners(cohort: CohortDep, store: StoreDep) -> list[LearnerOut]:
    """Admin: every learner, hidden and banned ones included."""
    return [_learner_out(lr) for lr in await anyio.to_thread.run_sync(store.learners, cohort)]


@api.patch(
    "/cohorts/{cohort}/admin/learners/{learner}",
    response_model=LearnerOut,
    dependencies=[Depends(require_admin)],
    responses=_errors(401, 404, 422),
    tags=["admin"],
)
async def patch_learner(
    request: Request,
    body: LearnerPatchIn,
    cohort: CohortDep,
    store: StoreDep,
    learner: Annotated[str, Path(pattern=ID_PATTERN)],
) -> LearnerOut:
    """Admin: hide, ban, rename or pseudonymise a learner (by learner id)."""
    changes = body.model_dump(include=body.model_fields_set)
    if any(changes.get(f, "") is None for f in ("display_name", "hidden", "banned")):
        raise HTTPException(422, "display_name, hidden and banned cannot be null")
    updated = await anyio.to_thread.run_sync(
        lambda: store.update_learner(cohort, learner, actor="admin", **changes)
    )
    _changed(request, cohort.name)
    return _learner_out(updated)


@api.get(
    "/cohorts/{cohort}/audit",
    response_model=AuditOut,
    dependencies=[Depends(require_admin)],
    responses=_errors(401, 404, 422),
    tags=["admin"],
)
async def get_audit(
    cohort: CohortDep,
    store: StoreDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,  # ids are 32-bit INTEGERs
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditOut:
    """Admin: the append-only audit log, oldest first, after entry ``after``."""
    entries = await anyio.to_thread.run_sync(
        lambda: store.audit(cohort, after_id=after, limit=limit)
    )
    return AuditOut.model_validate({"entries": [asdict(e) for e in entries]})


@api.get(
    "/cohorts/{cohort}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: `event: board`, data = a BoardOut.",
        },
        **_errors(404, 422),
    },
    tags=["boards"],
)
async def stream(
    cohort: CohortDep,
    live: LiveDep,
    settings: Annotated[Settings, Depends(get_settings)],
    module: ModuleQ = None,
    window: WindowQ = "all",
    limit: LimitQ = 10,
) -> StreamingResponse:
    """Live board: the current board at once, then a new one after every change."""
    return await _event_stream(live, settings, ("board", cohort.name, module, window, limit))


@api.get(
    "/cohorts/{cohort}/learners/{public_id}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: `event: learner`, data = a ProgressOut.",
        },
        **_errors(404, 422),
    },
    tags=["learners"],
)
async def learner_stream(
    cohort: CohortDep,
    live: LiveDep,
    settings: Annotated[Settings, Depends(get_settings)],
    public_id: Annotated[str, Path(pattern=PUBLIC_ID_PATTERN)],
) -> StreamingResponse:
    """Live learner view: their progress now, then again after every change to the cohort."""
    return await _event_stream(live, settings, ("learner", cohort.name, public_id))


# -- pages -----------------------------------------------------------------------------------


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text)


@pages.get("/")
async def index(
    store: StoreDep, settings: Annotated[Settings, Depends(get_settings)]
) -> HTMLResponse:
    """The list of cohorts."""
    cohorts = await anyio.to_thread.run_sync(store.cohorts)
    return _html(index_page([(c.name, c.title) for c in cohorts], settings.title))


async def _board_html(
    cohort: Cohort,
    boards: Boards,
    module: str | None,
    window: str,
    limit: int,
) -> HTMLResponse:
    board = await anyio.to_thread.run_sync(
        lambda: boards.board(cohort, module, window, limit, Viewer())
    )
    return _html(board_page(board, limit=limit))


@pages.get("/c/{cohort}")
async def board_html(
    cohort: CohortDep, boards: BoardsDep, window: WindowQ = "all", limit: LimitQ = 25
) -> HTMLResponse:
    """The live overall board page."""
    return await _board_html(cohort, boards, None, window, limit)


@pages.get("/c/{cohort}/m/{module}")
async def module_html(
    cohort: CohortDep,
    boards: BoardsDep,
    module: Annotated[str, Path(pattern=ID_PATTERN)],
    window: WindowQ = "all",
    limit: LimitQ = 25,
) -> HTMLResponse:
    """The live board page of one module."""
    return await _board_html(cohort, boards, module, window, limit)


@pages.get("/c/{cohort}/l/{public_id}")
async def learner_html(
    cohort: CohortDep,
    boards: BoardsDep,
    store: StoreDep,
    public_id: Annotated[str, Path(pattern=PUBLIC_ID_PATTERN)],
) -> HTMLResponse:
    """A learner's page: progress per module."""
    learner = await anyio.to_thread.run_sync(store.learner_by_public_id, cohort, public_id)
    view = await anyio.to_thread.run_sync(boards.learner_view, cohort, learner, Viewer())
    return _html(learner_page(view))


@pages.get("/favicon.ico")
async def favicon() -> Response:
    """No icon: answer 204 so browsers stop asking (and log no error)."""
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})


@pages.get("/static/board.css")
async def css() -> Response:
    """The page stylesheet."""
    return Response(BOARD_CSS, media_type="text/css", headers={"Cache-Control": "max-age=300"})


@pages.get("/static/board.js")
async def js() -> Response:
    """The page script."""
    return Response(
        BOARD_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=300"}
    )
