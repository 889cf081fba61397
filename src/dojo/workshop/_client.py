"""The learner's side: join a workshop, submit a notebook, wait for the server's grading."""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from dojo.errors import DojoError

__all__ = ["Credentials", "SubmissionResult", "WorkshopClient", "credentials_file"]


def credentials_file(explicit: Path | None = None) -> Path:
    """Where the learner's workshop token is kept.

    ``explicit``, else ``$DOJO_WORKSHOP_CREDENTIALS``, else ``.grading/workshop-learner.json`` in
    the course folder, else ``~/.config/dojo/workshop.json``.
    """
    if explicit:
        return Path(explicit)
    if os.environ.get("DOJO_WORKSHOP_CREDENTIALS"):
        return Path(os.environ["DOJO_WORKSHOP_CREDENTIALS"])
    from dojo.course import Course

    try:
        return Course.find().grading / "workshop-learner.json"
    except DojoError:
        return Path.home() / ".config" / "dojo" / "workshop.json"


@dataclass(frozen=True)
class Credentials:
    """What joining gave the learner: where the workshop is and their token."""

    url: str
    token: str
    learner: str
    name: str
    cohort: str
    board_url: str
    team: str | None = None
    team_board_url: str | None = None

    def save(self, path: Path) -> Path:
        """Write them (mode 0600: the token is a password)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.__dict__, handle, indent=1)
        return path

    @classmethod
    def load(cls, path: Path) -> Credentials:
        try:
            return cls(**json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError):
            raise DojoError(
                f"not joined to a workshop yet ({path} missing): run dojo join CODE"
            ) from None


@dataclass(frozen=True)
class SubmissionResult:
    """A graded (or failed) submission as the server reported it."""

    id: str
    assignment: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    tasks: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    rank: int | None = None
    learners: int | None = None
    total: int | None = None
    board_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_status(cls, answer: dict[str, Any]) -> SubmissionResult:
        result = answer.get("result") or {}
        board = answer.get("board") or {}
        return cls(
            id=answer["id"],
            assignment=answer["assignment"],
            status=answer["status"],
            score=float(result.get("score", 0)),
            max_score=float(result.get("max_score", 0)),
            tasks=tuple(result.get("tasks", ())),
            error=answer.get("error"),
            rank=board.get("rank"),
            learners=board.get("learners"),
            total=board.get("total"),
            board_url=answer.get("board_url", ""),
            raw=answer,
        )

    def __str__(self) -> str:
        if self.status == "error":
            return f"{self.assignment}: not graded: {self.error}"
        lines = [
            f"{self.assignment}: {self.score:g} / {self.max_score:g} points (graded by the server)"
        ]
        for task in self.tasks:
            mark = "PASS" if task["points"] >= task["max_points"] else "FAIL"
            reason = f"  -- {task['reason']}" if task.get("reason") else ""
            lines.append(
                f"  {mark}  {task['task']}  {task['points']:g} / {task['max_points']:g}{reason}"
            )
        if self.rank is not None:
            lines.append(
                f"board: position {self.rank} of {self.learners}, {self.total} points"
                f"  {self.board_url}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self.status == "error":
            error = html.escape(self.error or "")
            return f"<p><b>{html.escape(self.assignment)}</b>: not graded: {error}</p>"
        rows = "".join(
            f"<tr><td>{html.escape(t['task'])}</td><td>{t['points']:g} / {t['max_points']:g}</td>"
            f"<td>{html.escape(t.get('reason') or '')}</td></tr>"
            for t in self.tasks
        )
        place = (
            f"<p>Board position <b>{self.rank}</b> of {self.learners} ({self.total} points)</p>"
            if self.rank is not None
            else ""
        )
        return (
            f"<p><b>{html.escape(self.assignment)}</b>: "
            f"{self.score:g} / {self.max_score:g} points</p><table>"
            "<tr><th>task</th><th>points</th><th>why points were lost</th></tr>"
            f"{rows}</table>{place}"
        )


class WorkshopClient:
    """Talk to a workshop service as a learner.

    Args:
        url: The workshop's URL (``dojo workshop start`` prints it).
        token: The learner token from :meth:`join`.
        timeout: Seconds per request.
        transport: An httpx transport instead of the network (tests).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WorkshopClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            error = WorkshopError(f"{detail}", response.status_code)
            error.retry_after = float(response.headers.get("retry-after", 0) or 0)
            raise error
        return response.json()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def join(self, code: str, name: str, team: str | None = None) -> Credentials:
        """Join with the session's code; the token is kept on this client and returned."""
        try:
            answer = self._answer(
                self._http.post("/api/join", json={"join_code": code, "name": name, "team": team})
            )
        except httpx.TransportError as error:
            raise DojoError(f"cannot reach the workshop at {self.url}: {error}") from None
        self.token = answer["token"]
        return Credentials(
            self.url,
            answer["token"],
            answer["learner"],
            answer["name"],
            answer["cohort"],
            answer["board_url"],
            answer.get("team"),
            answer.get("team_board_url"),
        )

    def submit(self, notebook: Path | str, assignment: str | None = None) -> dict[str, Any]:
        """Send a notebook for grading; returns its status (id, queue position)."""
        path = Path(notebook)
        try:
            content = path.read_text()
        except OSError as error:
            raise DojoError(f"cannot read {path}: {error.strerror}") from None
        body = {"notebook": path.name, "content": content, "assignment": assignment}
        return dict(
            self._answer(self._http.post("/api/submissions", json=body, headers=self._headers()))
        )

    def status(self, submission: str) -> dict[str, Any]:
        """A submission's current status."""
        return dict(
            self._answer(self._http.get(f"/api/submissions/{submission}", headers=self._headers()))
        )

    def wait(
        self,
        submission: str,
        *,
        timeout: float = 600.0,
        poll: float = 0.5,
        on_update: Callable[[dict[str, Any]], None] | None = None,
    ) -> SubmissionResult:
        """Poll until the submission is graded (or failed) and return the result.

        Polls every ``poll`` seconds while it is being graded or next in line, less often the
        further back in the queue it waits (a class polling together must not slow the graders).
        """
        deadline = time.monotonic() + timeout
        while True:
            answer = self.status(submission)
            if on_update:
                on_update(answer)
            if answer["status"] in ("done", "error"):
                return SubmissionResult.from_status(answer)
            if time.monotonic() > deadline:
                raise DojoError(
                    f"submission {submission} was not graded within {timeout:g} s "
                    f"(it is kept; ask again later: status {answer['status']})"
                )
            time.sleep(max(poll, min(5.0, 0.25 * answer.get("position", 0))))

    def submit_and_wait(
        self, notebook: Path | str, assignment: str | None = None, **options: Any
    ) -> SubmissionResult:
        """Submit and wait for the server's result."""
        return self.wait(self.submit(notebook, assignment)["id"], **options)

    def queue(self) -> dict[str, Any]:
        """Queue progress (public)."""
        return dict(self._answer(self._http.get("/api/queue")))


class WorkshopError(DojoError):
    """The workshop service refused a request (``status``; ``retry_after`` seconds for 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = 0.0
