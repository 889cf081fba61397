"""The workshop service with a stand-in grader: who submitted, rate limits, the durable queue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dojo.course import Course
from dojo.leaderboard import LocalBoard, start_local_board
from dojo.leaderboard.client import LeaderboardClient
from dojo.workshop import SubmissionQueue, WorkshopSettings, create_workshop_app
from dojo.workshop._grade import GradingFailed

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBoard]:
    """A leaderboard in a background process."""
    folder = tmp_path_factory.mktemp("board")
    with start_local_board(db_url=f"sqlite:///{folder / 'board.sqlite3'}") as running:
        yield running


_cohorts = iter(range(10_000))


@pytest.fixture
def settings(board: LocalBoard, drill_course: Course, tmp_path: Path) -> WorkshopSettings:
    """A fresh cohort on the board and the settings of a workshop for it."""
    name = f"unit-{next(_cohorts)}"
    with LeaderboardClient(board.url, grader_key=board.grader_key) as client:
        created = client.create_cohort(name)
        client.create_cohort(f"{name}-teams")
    return WorkshopSettings(
        course_root=drill_course.root,
        state_dir=tmp_path / "state",
        board_url=board.url,
        cohort=name,
        grader_key=board.grader_key,
        admin_token=created["admin_token"],
        join_code=created["join_code"],
        workers=1,
        submit_rate=3,
    )


def scores(points: float, reason: str = "") -> Any:
    """A stand-in grader that gives every submission ``points`` of 10."""

    def grade(course_root: Path, notebook: Path, assignment: str, **_: Any) -> dict[str, Any]:
        return {
            "assignment": assignment,
            "notebook": notebook.stem,
            "score": points,
            "max_score": 10,
            "tasks": [
                {"task": "drill_double_check", "points": points, "max_points": 10, "reason": reason}
            ],
        }

    return grade


def joined(
    client: TestClient, settings: WorkshopSettings, name: str = "Ada", team: str | None = None
) -> dict[str, str]:
    answer = client.post(
        "/api/join", json={"join_code": settings.join_code, "name": name, "team": team}
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def send(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post(
        "/api/submissions",
        headers=headers,
        json={"notebook": "drill.ipynb", "content": NOTEBOOK, **body},
    )


def wait_done(client: TestClient, headers: dict[str, str], sub_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = client.get(f"/api/submissions/{sub_id}", headers=headers).json()
        if answer["status"] in ("done", "error"):
            return dict(answer)
        time.sleep(0.05)
    raise AssertionError(f"submission {sub_id} not graded: {answer}")


def test_server_grades_awards_and_reports_position(settings: WorkshopSettings) -> None:
    """Check that a submission is graded by the server, awarded and answered with a position."""
    with TestClient(create_workshop_app(settings, grade=scores(7))) as client:
        ada = joined(client, settings)
        sent = send(client, ada)
        assert sent.status_code == 202 and sent.json()["assignment"] == "drill"
        done = wait_done(client, ada, sent.json()["id"])
    assert done["result"]["score"] == 7
    assert done["board"] == {"rank": 1, "total": 7, "learners": 1}


def test_claimed_scores_in_the_request_are_ignored(settings: WorkshopSettings) -> None:
    """Check that a learner posting a score of their own gets the server's grade, not theirs."""
    with TestClient(create_workshop_app(settings, grade=scores(0))) as client:
        ada = joined(client, settings)
        sent = send(client, ada, score=10, result={"score": 10})
        done = wait_done(client, ada, sent.json()["id"])
    assert done["result"]["score"] == 0


def test_requests_without_a_learner_token_are_refused(settings: WorkshopSettings) -> None:
    """Check that submitting needs a token issued by this workshop, and the join code is checked."""
    with TestClient(create_workshop_app(settings, grade=scores(1))) as client:
        assert send(client, {}).status_code == 401
        assert send(client, {"Authorization": "Bearer made-up"}).status_code == 401
        wrong = client.post("/api/join", json={"join_code": "WRONG-CODE", "name": "Eve"})
        assert wrong.status_code == 403


def test_a_learner_cannot_read_another_learners_submission(settings: WorkshopSettings) -> None:
    """Check that submission status is private to its learner."""
    with TestClient(create_workshop_app(settings, grade=scores(1))) as client:
        ada, eve = joined(client, settings, "Ada"), joined(client, settings, "Eve")
        sent = send(client, ada).json()
        assert client.get(f"/api/submissions/{sent['id']}", headers=eve).status_code == 404


def test_submissions_are_rate_limited_per_learner(settings: WorkshopSettings) -> None:
    """Check that the fourth submission within a minute gets 429 + Retry-After; others pass."""
    with TestClient(create_workshop_app(settings, grade=scores(1))) as client:
        ada, bob = joined(client, settings, "Ada"), joined(client, settings, "Bob")
        assert [send(client, ada).status_code for _ in range(3)] == [202, 202, 202]
        refused = send(client, ada)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert send(client, bob).status_code == 202


@pytest.mark.parametrize(
    ("notebook", "content", "status"),
    [
        ("other.ipynb", NOTEBOOK, 422),
        ("../drill.ipynb", NOTEBOOK, 422),
        ("drill.ipynb", "{not json", 422),
        ("drill.ipynb", "x" * 2_000, 413),
    ],
)
def test_bad_submissions_are_refused_with_a_reason(
    settings: WorkshopSettings, notebook: str, content: str, status: int
) -> None:
    """Check that unknown notebooks, path tricks, broken JSON and oversized files are refused."""
    small = replace(settings, max_notebook_bytes=1_000)
    with TestClient(create_workshop_app(small, grade=scores(1))) as client:
        ada = joined(client, small)
        answer = client.post(
            "/api/submissions", headers=ada, json={"notebook": notebook, "content": content}
        )
    assert answer.status_code == status
    assert answer.json()["detail"]


def test_a_crashing_grader_is_reported_and_the_submission_kept(settings: WorkshopSettings) -> None:
    """Check that a grading that fails leaves an error result and the stored notebook."""

    def crash(*_: Any, **__: Any) -> dict[str, Any]:
        raise GradingFailed("the grader crashed (exit status -9)")

    with TestClient(create_workshop_app(settings, grade=crash)) as client:
        ada = joined(client, settings)
        done = wait_done(client, ada, send(client, ada).json()["id"])
    assert done["status"] == "error" and "exit status -9" in done["error"]
    stored = SubmissionQueue(settings.state_dir)
    assert stored.all()[0].path.read_text() == NOTEBOOK
    stored.close()


def test_hidden_check_messages_never_reach_the_learner(settings: WorkshopSettings) -> None:
    """Check that only public check messages are shown; hidden ones become a count."""
    reason = "double(2) should be 4; SECRET-HIDDEN-MESSAGE: large and float inputs"
    with TestClient(create_workshop_app(settings, grade=scores(3, reason))) as client:
        ada = joined(client, settings)
        done = wait_done(client, ada, send(client, ada).json()["id"])
    assert done["result"]["tasks"][0]["reason"] == "double(2) should be 4; 1 hidden check failed"


def test_teams_are_ranked_by_their_best_member_per_task(
    settings: WorkshopSettings, board: LocalBoard
) -> None:
    """Check that the team board gets each task's best score among the team's members."""
    with TestClient(create_workshop_app(settings, grade=scores(4))) as client:
        ada = joined(client, settings, "Ada", team="Red Team")
        wait_done(client, ada, send(client, ada).json()["id"])
        client.app.state.workers.grade = scores(9)  # type: ignore[attr-defined]
        bob = joined(client, settings, "Bob", team="Red Team")
        wait_done(client, bob, send(client, bob).json()["id"])
        client.app.state.workers.grade = scores(6)  # type: ignore[attr-defined]
        eve = joined(client, settings, "Eve", team="Blue")
        wait_done(client, eve, send(client, eve).json()["id"])
    with LeaderboardClient(board.url) as reader:
        teams = reader.board(settings.team_cohort)["entries"]
    assert [(e["name"], e["total"]) for e in teams] == [("Red Team", 9), ("Blue", 6)]


def test_queue_position_and_progress_are_shown(settings: WorkshopSettings) -> None:
    """Check that waiting submissions see their place and the queue counts."""
    stalled = replace(settings, workers=1, submit_rate=10)
    gate: list[int] = []

    def slow(*args: Any, **kwargs: Any) -> dict[str, Any]:
        while not gate:
            time.sleep(0.02)
        return dict(scores(1)(*args, **kwargs))

    with TestClient(create_workshop_app(stalled, grade=slow)) as client:
        ada = joined(client, stalled)
        ids = [send(client, ada).json()["id"] for _ in range(3)]
        time.sleep(0.3)
        last = client.get(f"/api/submissions/{ids[2]}", headers=ada).json()
        queue = client.get("/api/queue").json()
        gate.append(1)
        wait_done(client, ada, ids[2])
    assert last["status"] == "queued" and last["position"] == 2
    assert "1 submissions ahead" in last["progress"]
    assert queue["queued"] == 2 and queue["grading"] == 1


def test_interrupted_gradings_are_resumed_after_a_restart(tmp_path: Path) -> None:
    """Check that a grading cut short by a crash is queued again, failed after a second."""
    queue = SubmissionQueue(tmp_path)
    first = queue.submit("ada", "drill", "drill.ipynb", b"{}")
    assert queue.claim() == replace(queue.get(first.id))  # type: ignore[arg-type]
    queue.close()
    queue = SubmissionQueue(tmp_path)  # the service restarted
    assert queue.recover() == [first.id]
    assert queue.claim() is not None  # second attempt, then another crash
    queue.close()
    queue = SubmissionQueue(tmp_path)
    assert queue.recover() == []
    found = queue.get(first.id)
    assert (
        found is not None
        and found.status == "error"
        and "interrupted 2 times" in (found.error or "")
    )
    queue.close()


def test_chaos_spec_needs_the_admin_token_and_is_validated(settings: WorkshopSettings) -> None:
    """Check that only the instructor sets game-day chaos and a wrong fault is refused."""
    spec = {"faults": [{"kind": "fail", "service": "dynamodb", "operation": "PutItem"}]}
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    with TestClient(create_workshop_app(settings, grade=scores(1))) as client:
        assert client.put("/api/chaos", json=spec).status_code == 401
        assert (
            client.put(
                "/api/chaos", json={"faults": [{"kind": "meteor"}]}, headers=admin
            ).status_code
            == 422
        )
        assert client.put("/api/chaos", json=spec, headers=admin).status_code == 200
        assert client.get("/api/chaos").json() == {"chaos": spec}


def test_a_body_that_is_not_json_is_refused_with_422(settings: WorkshopSettings) -> None:
    """Check that a malformed request is a 422 that says what to send, never a 500."""
    with TestClient(create_workshop_app(settings, grade=scores(1))) as client:
        ada = joined(client, settings)
        answer = client.post("/api/submissions", headers=ada, content=b"nonsense")
    assert answer.status_code == 422 and "as JSON" in answer.json()["detail"]


def test_untouched_answers_are_reported_as_such_not_as_hidden_failures() -> None:
    """Check that the 'not answered yet' reason reaches the learner unchanged."""
    from dojo.workshop._grade import learner_view

    reason = "not answered yet (the answer still raises NotImplementedError)"
    result = {"tasks": [{"task": "t", "points": 0, "max_points": 10, "reason": reason}]}
    assert learner_view(result, "")["tasks"][0]["reason"] == reason
