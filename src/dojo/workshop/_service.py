"""The workshop service: learners join and submit; the server grades and awards.

``create_workshop_app(settings)`` builds a FastAPI app whose lifespan runs a small pool of
grading workers. A learner's token is looked up in the workshop's own enrolment table (the
service joined them to the leaderboard and kept the token's hash), so the server, not the
learner, decides who submitted, and the score comes only from the server's own grading.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError

from dojo.workshop._grade import GradingFailed, grade_in_process, learner_view, public_messages
from dojo.workshop._queue import Enrolment, Submission, SubmissionQueue
from dojo.workshop._settings import WorkshopSettings

__all__ = ["Grader", "create_workshop_app", "team_id"]

Grader = Callable[..., dict[str, Any]]
"""``grade(course_root, notebook, assignment, *, slot, hide, timeout[, chaos]) -> result``."""

GAMEDAY = "gameday"
"""The task (and board module) of game-day points: a lab's score again if it survived the chaos."""

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,63}$"
_NAME = r"^[^\x00-\x1f\x7f]{1,64}$"
_NOTEBOOK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.ipynb$")


class JoinIn(BaseModel):
    """A learner joining the session."""

    join_code: str = Field(min_length=4, max_length=32)
    name: str = Field(pattern=_NAME)
    team: str | None = Field(None, pattern=_NAME)


class SubmitIn(BaseModel):
    """A submitted notebook (its JSON text) and, optionally, the assignment it belongs to."""

    notebook: str = Field(description="The notebook's file name, e.g. m03-s3-event-pipelines.ipynb")
    content: str = Field(description="The notebook file's text.")
    assignment: str | None = Field(None, pattern=_ID)


def team_id(team: str) -> str:
    """A team's id on the team board: a readable slug plus a short hash (names may collide)."""
    slug = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-")[:40] or "team"
    return f"{slug}-{hashlib.sha256(team.encode()).hexdigest()[:6]}"


class _Workers:
    """Grading threads: each takes the oldest queued submission, grades it, awards it."""

    def __init__(
        self,
        settings: WorkshopSettings,
        queue: SubmissionQueue,
        grade: Grader,
        board: Callable[[], Any],
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.grade = grade
        self.board = board
        self.wake = threading.Condition()
        self.stopping = False
        self.threads: list[threading.Thread] = []
        self.public_text: dict[str, str] = {}

    def start(self) -> None:
        self.queue.recover()
        for index in range(self.settings.workers):
            thread = threading.Thread(
                target=self._loop, args=(index,), name=f"grader-{index}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        with self.wake:
            self.stopping = True
            self.wake.notify_all()
        for thread in self.threads:
            thread.join(timeout=5)

    def notify(self) -> None:
        with self.wake:
            self.wake.notify()

    def _loop(self, index: int) -> None:
        client = self.board()
        try:
            if index == 0:
                for graded in self.queue.unawarded():  # graded before a crash, not on the board
                    if self._award(client, graded):
                        self.queue.mark_awarded(graded.id)
            while not self.stopping:
                sub = self.queue.claim()
                if sub is None:
                    with self.wake:
                        if not self.stopping:
                            self.wake.wait(timeout=1.0)
                    continue
                self._grade(client, sub, slot=60 + index)
        finally:
            client.close()

    def _grade(self, client: Any, sub: Submission, slot: int) -> None:
        try:
            result = self.grade(
                self.settings.course_root,
                sub.path,
                sub.assignment,
                slot=slot,
                hide=(self.settings.state_dir,),
                timeout=self.settings.grade_timeout,
            )
        except GradingFailed as error:
            self.queue.fail(sub.id, str(error))
            return
        except Exception as error:
            # A bug in grading is recorded against the submission, which is kept: never lost.
            self.queue.fail(sub.id, f"the grader failed: {type(error).__name__}: {error}")
            return
        chaos = self.queue.chaos()
        if chaos and chaos.get("faults") and sub.assignment in _open_assignments(self.settings):
            result = {**result, GAMEDAY: self._game_day(sub, slot, chaos, result)}
        # Award first, then publish the result: a learner who sees "done" finds their points on
        # the board. A crash in between re-grades on restart; awards are idempotent.
        awarded = self._award(client, replace(sub, result=result))
        self.queue.finish(sub.id, result, awarded=awarded)

    def _game_day(
        self, sub: Submission, slot: int, chaos: dict[str, Any], result: dict[str, Any]
    ) -> dict[str, Any]:
        """Grade ``sub`` again under the chaos in force: it survived if it scores the same.

        A survivor earns its score again as the ``gameday`` task; a grading that fails under
        chaos (crash, timeout) did not survive. Only the score under chaos is kept, not its
        tasks' reasons (they may quote hidden checks).
        """
        try:
            under = self.grade(
                self.settings.course_root,
                sub.path,
                sub.assignment,
                slot=slot,
                hide=(self.settings.state_dir,),
                timeout=self.settings.grade_timeout,
                chaos=chaos["faults"],
            )
            score: float | None = float(under["score"])
        except Exception:
            score = None
        survived = score is not None and score == float(result["score"])
        return {
            "chaos": chaos,
            "score_under_chaos": score,
            "survived": survived,
            "points": float(result["score"]) if survived else 0.0,
            "max_points": float(result["max_score"]),
        }

    def _award(self, client: Any, sub: Submission) -> bool:
        """Award each task (best score counts; repeats are no-ops); the team gets its best too."""
        from dojo.grading._batch import assignment_module, award_task

        assert sub.result is not None
        enrolment = next((e for e in self.queue.enrolments() if e.learner == sub.learner), None)
        module = assignment_module(sub.assignment)
        tasks = [{**task, "module": module} for task in sub.result["tasks"]]
        if GAMEDAY in sub.result:  # game-day points go to a module of their own
            tasks.append({"task": GAMEDAY, **sub.result[GAMEDAY], "module": GAMEDAY})
        try:
            for task in tasks:
                if task["module"] == module:
                    award_task(
                        client,
                        self.settings.cohort,
                        sub.assignment,
                        sub.learner,
                        task["task"],
                        task["points"],
                        task["max_points"],
                    )
                else:
                    points = round(task["points"])
                    what = (self.settings.cohort, sub.assignment, sub.learner, task["task"], points)
                    client.award(
                        self.settings.cohort,
                        sub.learner,
                        task["task"],
                        points,
                        round(task["max_points"]),
                        hashlib.sha256("|".join(map(str, what)).encode()).hexdigest(),
                        assignment=sub.assignment,
                        module=task["module"],
                    )
                if self.settings.teams and enrolment and enrolment.team:
                    team, points = team_id(enrolment.team), round(task["points"])
                    what = (self.settings.team_cohort, sub.assignment, team, task["task"], points)
                    key = hashlib.sha256("|".join(map(str, ("team", *what))).encode()).hexdigest()
                    client.award(
                        self.settings.team_cohort,
                        team,
                        task["task"],
                        points,
                        round(task["max_points"]),
                        key,
                        assignment=sub.assignment,
                        module=task["module"],
                        learner_name=enrolment.team,
                    )
        except Exception:  # the board is down: the result is kept and awarded at the next start
            return False
        return True


def _learner_of(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Enrolment:
    """The learner holding the bearer token (401 for anyone else)."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    found = request.app.state.queue.learner_for(token) if token else None
    if found is None:
        raise HTTPException(
            401,
            "join the workshop first (dojo join CODE): no valid learner token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found  # type: ignore[no-any-return]


def _require_admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Only the cohort's admin (the instructor) passes."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    expected = request.app.state.settings.admin_token
    if not (expected and secrets.compare_digest(token, expected)):
        raise HTTPException(401, "this needs the cohort's admin token")


Learner = Annotated[Enrolment, Depends(_learner_of)]


def create_workshop_app(
    settings: WorkshopSettings,
    *,
    grade: Grader = grade_in_process,
    board: Callable[[], Any] | None = None,
) -> FastAPI:
    """Build the workshop service.

    Args:
        settings: The session's configuration.
        grade: How one submission is graded (default: a sandboxed child process with hidden checks).
        board: Makes a leaderboard client signed with the grader key (tests inject one).

    Returns:
        The ASGI application; its lifespan starts and stops the grading workers.
    """
    from dojo.leaderboard.client import LeaderboardClient

    def make_board() -> Any:
        return LeaderboardClient(
            settings.board_url, grader_key=settings.grader_key, token=settings.admin_token or None
        )

    board = board or make_board
    queue = SubmissionQueue(settings.state_dir)
    workers = _Workers(settings, queue, grade, board)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from dojo._nbgrader import ensure_tools_on_path

        ensure_tools_on_path()  # nbgrader runs alembic from the environment's bin/
        workers.start()
        yield
        workers.stop()
        queue.close()

    app = FastAPI(title="Serverless Dojo workshop", version="1.0", lifespan=lifespan)
    app.state.settings, app.state.queue, app.state.workers = settings, queue, workers
    started = time.time()

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok"}

    @app.get("/api/session")
    async def session() -> dict[str, Any]:
        """What learners need to know: the cohort, the boards and the open assignments."""
        return {
            "cohort": settings.cohort,
            "board_url": _board_page(settings),
            "team_board_url": _board_page(settings, teams=True) if settings.teams else None,
            "assignments": _open_assignments(settings),
        }

    @app.post("/api/join", status_code=201)
    async def join(body: JoinIn) -> dict[str, Any]:
        """Join the session with its code; returns the learner token (shown once)."""
        from dojo.leaderboard.client import LeaderboardClient, LeaderboardError

        if not secrets.compare_digest(
            body.join_code.replace("-", "").upper(), settings.join_code.replace("-", "").upper()
        ):
            raise HTTPException(403, "that is not this workshop's join code")
        if body.team and not settings.teams:
            raise HTTPException(422, "this workshop has no teams")
        learner = f"ws-{secrets.token_hex(5)}"

        def call() -> dict[str, Any]:
            with LeaderboardClient(settings.board_url) as client:
                return client.join(settings.cohort, settings.join_code, body.name, learner=learner)

        try:
            joined = await anyio.to_thread.run_sync(call)
        except LeaderboardError as error:
            raise HTTPException(
                error.status if error.status < 500 else 502, str(error.detail)
            ) from None
        enrolment = Enrolment(learner, joined["public_id"], joined["name"], body.team)
        await anyio.to_thread.run_sync(queue.enrol, joined["token"], enrolment)
        return {
            "token": joined["token"],
            "learner": learner,
            "public_id": joined["public_id"],
            "name": joined["name"],
            "team": body.team,
            "cohort": settings.cohort,
            "board_url": _board_page(settings),
            "team_board_url": _board_page(settings, teams=True) if settings.teams else None,
        }

    @app.post("/api/submissions", status_code=202)
    async def submit(request: Request, learner: Learner) -> dict[str, Any]:
        """Queue a notebook for grading (stored durably first). 429 when submitting too often."""
        size = int(request.headers.get("content-length") or 0)
        if size > settings.max_notebook_bytes * 2:
            raise HTTPException(
                413, f"a notebook may be at most {settings.max_notebook_bytes} bytes"
            )
        try:
            body = SubmitIn.model_validate_json(await request.body())
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()
            )
            raise HTTPException(
                422, f"send {{notebook, content[, assignment]}} as JSON ({problems})"
            ) from None
        content = body.content.encode()
        if len(content) > settings.max_notebook_bytes:
            raise HTTPException(
                413, f"a notebook may be at most {settings.max_notebook_bytes} bytes"
            )
        if not _NOTEBOOK.match(body.notebook):
            raise HTTPException(422, f"{body.notebook!r} is not a notebook file name (name.ipynb)")
        try:
            json.loads(content)
        except ValueError:
            raise HTTPException(
                422, "the notebook is not valid JSON (save it and submit again)"
            ) from None
        assignment = _assignment_for(settings, body.notebook, body.assignment)
        now = time.time()
        count, oldest = await anyio.to_thread.run_sync(
            queue.recent_count, learner.learner, now - settings.submit_period
        )
        if count >= settings.submit_rate:
            wait = max(1, round((oldest or now) + settings.submit_period - now))
            raise HTTPException(
                429,
                f"at most {settings.submit_rate} submissions per "
                f"{settings.submit_period:g} s; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        sub = await anyio.to_thread.run_sync(
            queue.submit, learner.learner, assignment, body.notebook, content
        )
        workers.notify()
        return _status(settings, queue, sub, None)

    @app.get("/api/submissions/{sub_id}")
    async def status(sub_id: str, learner: Learner) -> dict[str, Any]:
        """A submission's state: its queue position, then its result and your board position."""
        sub = await anyio.to_thread.run_sync(queue.get, sub_id)
        if sub is None or sub.learner != learner.learner:
            raise HTTPException(404, f"you have no submission {sub_id!r}")
        rank = None
        if sub.status == "done":
            rank = await anyio.to_thread.run_sync(_rank, settings, board, learner)
        return _status(settings, queue, sub, rank, workers.public_text)

    @app.get("/api/queue")
    async def queue_status() -> dict[str, Any]:
        """Queue progress for everyone: how many wait, are being graded, are done."""
        counts = await anyio.to_thread.run_sync(queue.counts)
        return {**counts, "workers": settings.workers, "up_seconds": round(time.time() - started)}

    @app.put("/api/chaos", dependencies=[Depends(_require_admin)])
    async def put_chaos(spec: dict[str, Any]) -> dict[str, Any]:
        """Instructor: set the game-day chaos applied to lab gradings (empty object clears it)."""
        from dojo.workshop._chaos import validate_chaos

        checked = validate_chaos(spec)
        await anyio.to_thread.run_sync(queue.set_chaos, checked or None)
        return {"chaos": checked or None}

    @app.get("/api/chaos")
    async def get_chaos() -> dict[str, Any]:
        """The chaos in force (public: teams are told what their architecture must survive)."""
        return {"chaos": await anyio.to_thread.run_sync(queue.chaos)}

    return app


def _board_page(settings: WorkshopSettings, teams: bool = False) -> str:
    return f"{settings.board_url}/c/{settings.team_cohort if teams else settings.cohort}"


def _open_assignments(settings: WorkshopSettings) -> list[str]:
    exercises = settings.course_root / "exercises"
    released = (
        sorted(p.name for p in exercises.iterdir() if p.is_dir()) if exercises.is_dir() else []
    )
    if not settings.assignments:
        return released
    return [
        a
        for a in released
        if a in settings.assignments or a.split("-", 1)[0] in settings.assignments
    ]


def _assignment_for(settings: WorkshopSettings, notebook: str, assignment: str | None) -> str:
    """The open assignment the notebook belongs to (422 with the choices when there is none)."""
    open_ = _open_assignments(settings)
    exercises = settings.course_root / "exercises"
    owners = [a for a in open_ if (exercises / a / notebook).is_file()]
    if assignment is not None:
        owners = [a for a in owners if a == assignment]
    if len(owners) != 1:
        names = ", ".join(
            f"{a}/{p.name}" for a in open_ for p in sorted((exercises / a).glob("*.ipynb"))
        )
        raise HTTPException(
            422,
            f"{notebook!r} is not a notebook of an open assignment"
            f"{f' {assignment!r}' if assignment else ''}; open now: {names or 'none'}",
        )
    return owners[0]


def _rank(
    settings: WorkshopSettings, board: Callable[[], Any], learner: Enrolment
) -> dict[str, Any] | None:
    try:
        client = board()
        try:
            answer = client.board(settings.cohort, limit=1, learner=learner.public_id)
        finally:
            client.close()
    except Exception:  # the position is a courtesy: a board hiccup must not fail the status
        return None
    me = answer.get("me")
    return (
        {"rank": me["rank"], "total": me["total"], "learners": answer["learners"]} if me else None
    )


def _status(
    settings: WorkshopSettings,
    queue: SubmissionQueue,
    sub: Submission,
    rank: dict[str, Any] | None,
    public_text: dict[str, str] | None = None,
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": sub.id,
        "assignment": sub.assignment,
        "notebook": sub.notebook,
        "status": sub.status,
        "position": queue.position(sub),
        "submitted_at": sub.submitted_at,
        "result": None,
        "error": sub.error,
        "board": rank,
        "board_url": _board_page(settings),
        "survived": None,  # game day: whether it scored the same under the chaos in force
    }
    if sub.status == "queued":
        counts = queue.counts()
        answer["progress"] = (
            f"{answer['position'] - 1} submissions ahead of yours; "
            f"{counts['grading']} being graded by {settings.workers} workers"
        )
    if sub.result is not None:
        cache = public_text if public_text is not None else {}
        if sub.assignment not in cache:
            cache[sub.assignment] = public_messages(settings.course_root, sub.assignment)
        answer["result"] = learner_view(sub.result, cache[sub.assignment])
        if GAMEDAY in sub.result:
            answer["survived"] = sub.result[GAMEDAY]["survived"]
        answer["graded_at"] = sub.finished_at
    return answer
