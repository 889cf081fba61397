"""The self-paced learner's own leaderboard: started by ``make lab``, fed by ``dojo check``.

Unless a leaderboard is configured (``DOJO_LEADERBOARD_URL``), ``make lab`` starts
one in the background with its database under ``.grading/`` and remembers where it
is in ``.grading/leaderboard.json`` (mode 0600, it holds the grader key). Each
``dojo check`` of an assignment then awards the learner's points there, so their
progress shows on the board.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path

from dojo.course import Course
from dojo.grading._results import NotebookReport

__all__ = ["COHORT", "BoardAccess", "award_reports", "ensure_local_board", "find_board"]

COHORT = "self-paced"


@dataclass(frozen=True)
class BoardAccess:
    """Where a leaderboard is and the key that signs awards to it."""

    url: str
    grader_key: str | None


def _state_file(course: Course) -> Path:
    return course.grading / "leaderboard.json"


def find_board(course: Course) -> BoardAccess | None:
    """The configured board, or the running local one, or None."""
    configured = os.environ.get("DOJO_LEADERBOARD_URL")
    if configured:
        return BoardAccess(configured, os.environ.get("DOJO_GRADER_KEY"))
    try:
        state = json.loads(_state_file(course).read_text())
    except (OSError, ValueError):
        return None
    access = BoardAccess(state["url"], state.get("grader_key"))
    return access if _answers(access.url) else None


def _answers(url: str) -> bool:
    from dojo.leaderboard.client import LeaderboardClient

    try:
        with LeaderboardClient(url, timeout=2) as client:
            return client.health()
    except Exception:  # any failure to answer means it is not there
        return False


def ensure_local_board(course: Course) -> BoardAccess:
    """The board to use: configured, already running, or started now in the background."""
    from dojo.leaderboard import start_local_board
    from dojo.leaderboard.client import LeaderboardClient, LeaderboardError

    found = find_board(course)
    if found:
        return found
    database = f"sqlite:///{course.grading / 'leaderboard.sqlite3'}"
    board = start_local_board(db_url=database, detach=True)
    board.write_state(_state_file(course))
    with LeaderboardClient(board.url, grader_key=board.grader_key) as client:
        try:
            client.create_cohort(COHORT, title="Self-paced")
        except LeaderboardError as error:
            if error.status != 409:  # 409: the cohort is there from an earlier session
                raise
    return BoardAccess(board.url, board.grader_key)


def award_reports(access: BoardAccess, reports: list[NotebookReport], learner: str | None = None) -> int:
    """Award the points of ``reports`` to the self-paced cohort; returns how many awards were new."""
    from dojo.grading._batch import award_task
    from dojo.leaderboard.client import LeaderboardClient

    learner = learner or getpass.getuser()
    with LeaderboardClient(access.url, grader_key=access.grader_key) as client:
        return sum(
            award_task(client, COHORT, report.assignment, learner, task.task, task.points, task.max_points)
            for report in reports
            for task in report.tasks
        )
