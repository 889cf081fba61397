"""A Python client for the leaderboard service (used by ``dojo grade --push`` and the notebook
submit button).

Award posts are signed with the grader key and retried on connection failures and 5xx answers
with the *same* idempotency key (and a fresh nonce), so a retry can never award twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from dojo.leaderboard._auth import signed_headers

__all__ = ["LeaderboardClient", "LeaderboardError"]


class LeaderboardError(Exception):
    """The service refused a request.

    Attributes:
        status: HTTP status code.
        detail: The service's explanation.
    """

    def __init__(self, status: int, detail: Any, method: str, path: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {detail}")
        self.status = status
        self.detail = detail


class LeaderboardClient:
    """Talk to a leaderboard service.

    Args:
        url: Base URL, e.g. ``http://127.0.0.1:8765``.
        grader_key: Shared key for signing awards and cohort creation.
        token: Bearer token (a cohort admin token or a learner token).
        timeout: Seconds per request.
        retries: Extra attempts for awards after a connection failure or a 5xx answer.
        clock: Time source for signature timestamps.
        transport: An httpx transport to use instead of the network (tests).
    """

    def __init__(
        self,
        url: str,
        *,
        grader_key: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.grader_key = grader_key
        self.token = token
        self.retries = retries
        self.clock = clock
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> LeaderboardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------

    def _check(self, resp: httpx.Response) -> Any:
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except (ValueError, AttributeError):
                detail = resp.text
            raise LeaderboardError(
                resp.status_code, detail, resp.request.method, resp.request.url.path
            )
        return resp.json()

    def _auth(self, token: str | None = None) -> dict[str, str]:
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        return self._check(self._http.get(path, params=params, headers=self._auth()))

    def _patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._check(self._http.patch(path, json=body, headers=self._auth()))

    def _signed_post(self, path: str, payload: dict[str, Any]) -> Any:
        if not self.grader_key:
            raise ValueError("signed requests need grader_key=...")
        body = json.dumps(payload, separators=(",", ":")).encode()
        for attempt in range(self.retries + 1):
            headers = {
                "Content-Type": "application/json",
                **signed_headers(self.grader_key, body, self.clock()),
            }
            try:
                resp = self._http.post(path, content=body, headers=headers)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
            else:
                if resp.status_code < 500 or attempt == self.retries:
                    return self._check(resp)
            time.sleep(min(2.0, 0.2 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- API ---------------------------------------------------------------------------------

    def health(self) -> bool:
        """Whether the service answers."""
        try:
            return bool(self._http.get("/api/health").status_code == 200)
        except httpx.TransportError:
            return False

    def award(
        self,
        cohort: str,
        learner: str,
        task: str,
        points: int,
        max_points: int,
        key: str,
        *,
        assignment: str | None = None,
        module: str | None = None,
        learner_name: str | None = None,
    ) -> dict[str, Any]:
        """Award points once (signed with the grader key).

        Args:
            cohort: Cohort name.
            learner: Learner id.
            task: Task id, or ``"assignment/task"``.
            points: Points scored.
            max_points: The task's maximum.
            key: Idempotency key: the same key is recorded once, however often it is sent.
            assignment: Assignment (default: the part of ``task`` before ``/``, else ``module``).
            module: Module board (default: the assignment).
            learner_name: Display name if the learner is new.

        Returns:
            The stored award (``created`` is false for a repeat).
        """
        if assignment is None and "/" in task:
            assignment, task = task.split("/", 1)
        assignment = assignment or module or "course"
        payload: dict[str, Any] = {
            "learner": learner,
            "assignment": assignment,
            "task": task,
            "module": module or assignment,
            "points": points,
            "max_points": max_points,
            "idempotency_key": key,
        }
        if learner_name is not None:
            payload["learner_name"] = learner_name
        return dict(self._signed_post(f"/api/cohorts/{cohort}/awards", payload))

    def board(
        self,
        cohort: str,
        module: str | None = None,
        window: str = "all",
        *,
        limit: int = 10,
        learner: str | None = None,
    ) -> dict[str, Any]:
        """Return a ranked board (top ``limit``, plus "me" with a learner token)."""
        return dict(
            self._get(
                f"/api/cohorts/{cohort}/board",
                {"module": module, "window": window, "limit": limit, "learner": learner},
            )
        )

    def create_cohort(
        self,
        name: str,
        *,
        title: str | None = None,
        freeze_at: datetime | None = None,
        first_solve_bonus: int = 0,
    ) -> dict[str, Any]:
        """Create a cohort (signed); returns its admin token and join code."""
        payload: dict[str, Any] = {"name": name, "first_solve_bonus": first_solve_bonus}
        if title is not None:
            payload["title"] = title
        if freeze_at is not None:
            payload["freeze_at"] = freeze_at.isoformat()
        return dict(self._signed_post("/api/cohorts", payload))

    def cohort(self, cohort: str) -> dict[str, Any]:
        """Return a cohort's settings."""
        return dict(self._get(f"/api/cohorts/{cohort}"))

    def set_freeze(self, cohort: str, at: datetime | None) -> dict[str, Any]:
        """Admin: freeze the public board at ``at`` (``None`` unfreezes)."""
        return dict(
            self._patch(f"/api/cohorts/{cohort}", {"freeze_at": at.isoformat() if at else None})
        )

    def update_learner(self, cohort: str, learner: str, **changes: Any) -> dict[str, Any]:
        """Admin: change ``hidden``, ``banned``, ``display_name`` or ``pseudonym``."""
        return dict(self._patch(f"/api/cohorts/{cohort}/admin/learners/{learner}", changes))

    def audit(self, cohort: str, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Admin: audit log entries."""
        return list(
            self._get(f"/api/cohorts/{cohort}/audit", {"after": after, "limit": limit})["entries"]
        )

    def join(
        self,
        cohort: str,
        join_code: str,
        display_name: str,
        *,
        pseudonym: str | None = None,
        learner: str | None = None,
    ) -> dict[str, Any]:
        """Join a cohort; the returned learner token is also kept for :meth:`me`."""
        payload = {"join_code": join_code, "display_name": display_name}
        if pseudonym is not None:
            payload["pseudonym"] = pseudonym
        if learner is not None:
            payload["learner"] = learner
        out = dict(self._check(self._http.post(f"/api/cohorts/{cohort}/join", json=payload)))
        self.token = out["token"]
        return out

    def me(self, cohort: str) -> dict[str, Any]:
        """Your progress (learner token)."""
        return dict(self._get(f"/api/cohorts/{cohort}/me"))

    def progress(self, cohort: str, public_id: str) -> dict[str, Any]:
        """A learner's public progress page data."""
        return dict(self._get(f"/api/cohorts/{cohort}/learners/{public_id}"))
