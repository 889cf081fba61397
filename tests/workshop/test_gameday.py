"""Game day: chaos in force is applied to a second grading; survivors earn ``gameday`` points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from dojo.course import Course
from dojo.leaderboard import LocalBoard
from dojo.leaderboard.client import LeaderboardClient
from dojo.workshop import WorkshopSettings, create_workshop_app
from dojo.workshop._grade import grade_in_process
from tests.workshop.conftest import answered
from tests.workshop.test_service import board, joined, send, settings, wait_done  # noqa: F401

FAULTS = [{"kind": "fail", "service": "dynamodb", "operation": "PutItem", "rate": 1.0}]
ADMIN_SPEC = {"faults": FAULTS}
# Works, unless a game-day fault is in force in the sandbox (as a lab that writes to DynamoDB).
FRAGILE = "def double(x):\n    import os\n    return 0 if os.environ.get('DOJO_CHAOS') else 2 * x"


def chaos_sensitive(points: float, under_chaos: float) -> Any:
    """A stand-in grader: ``points`` of 10 normally, ``under_chaos`` when chaos is passed."""

    def grade(
        course_root: Path, notebook: Path, assignment: str, *, chaos: Any = None, **_: Any
    ) -> dict[str, Any]:
        score = under_chaos if chaos else points
        task = {"task": "drill_double_check", "points": score, "max_points": 10, "reason": ""}
        return {"assignment": assignment, "notebook": notebook.stem, "score": score,
                "max_score": 10, "tasks": [task]}

    return grade


def _play(cfg: WorkshopSettings, grade: Any, chaos: dict[str, Any] | None) -> dict[str, Any]:
    admin = {"Authorization": f"Bearer {cfg.admin_token}"}
    with TestClient(create_workshop_app(cfg, grade=grade)) as client:
        if chaos is not None:
            assert client.put("/api/chaos", json=chaos, headers=admin).status_code == 200
        ada = joined(client, cfg, "Ada", team="Red")
        return wait_done(client, ada, send(client, ada).json()["id"])


def _gameday_points(board_url: str, cohort: str) -> list[tuple[str, int]]:
    with LeaderboardClient(board_url) as reader:
        entries = reader.board(cohort)["entries"]
    return [(e["name"], e["total"]) for e in entries]


def test_an_architecture_that_survives_the_chaos_earns_gameday_points(
    settings: WorkshopSettings, board: LocalBoard  # noqa: F811
) -> None:
    """Check that a submission scoring the same under chaos is marked survived and earns its
    score again in module gameday, on the learner and the team boards."""
    done = _play(settings, chaos_sensitive(8, 8), ADMIN_SPEC)
    assert done["survived"] is True
    assert done["result"]["gameday"]["points"] == 8
    assert _gameday_points(board.url, settings.cohort) == [("Ada", 16)]
    assert _gameday_points(board.url, settings.team_cohort) == [("Red", 16)]
    with LeaderboardClient(board.url) as reader:
        module = reader.board(settings.cohort, module="gameday")["entries"]
    assert [(e["name"], e["total"]) for e in module] == [("Ada", 8)]


def test_an_architecture_that_breaks_under_chaos_earns_nothing_more(
    settings: WorkshopSettings, board: LocalBoard  # noqa: F811
) -> None:
    """Check that a submission scoring less under chaos is marked not survived, worth 0 more."""
    done = _play(settings, chaos_sensitive(8, 3), ADMIN_SPEC)
    assert done["survived"] is False
    assert done["result"]["score"] == 8 and done["result"]["gameday"]["points"] == 0
    assert _gameday_points(board.url, settings.cohort) == [("Ada", 8)]


def test_without_chaos_there_is_no_second_grading(
    settings: WorkshopSettings, board: LocalBoard  # noqa: F811
) -> None:
    """Check that no chaos in force means one grading and survived None."""
    done = _play(settings, chaos_sensitive(8, 3), None)
    assert done["survived"] is None and "gameday" not in done["result"]
    assert _gameday_points(board.url, settings.cohort) == [("Ada", 8)]


def test_chaos_reaches_the_learners_sandbox_when_grading(
    drill_course: Course, tmp_path: Path
) -> None:
    """Check that the faults passed to the real grader reach the sandbox as DOJO_CHAOS: an answer
    that breaks under chaos loses its points there, and keeps them without chaos."""
    notebook = answered(drill_course, FRAGILE, tmp_path / "fragile")
    calm = grade_in_process(drill_course.root, notebook, "drill", timeout=240)
    stormy = grade_in_process(drill_course.root, notebook, "drill", timeout=240, chaos=FAULTS)
    assert calm["score"] == 10
    assert stormy["score"] < 10
