"""Self-paced learners get their own leaderboard from `make lab`, fed by `dojo check`."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from dojo.course import Course
from dojo.grading import NotebookReport, TaskResult
from dojo.leaderboard.client import LeaderboardClient
from dojo.selfpaced import COHORT, award_reports, ensure_local_board, find_board

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A scratch course; the board it starts is stopped afterwards."""
    monkeypatch.delenv("DOJO_LEADERBOARD_URL", raising=False)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    course = Course(tmp_path)
    (course.grading).mkdir(exist_ok=True)
    yield course
    state = course.grading / "leaderboard.json"
    if state.exists():
        import json

        os.kill(json.loads(state.read_text())["pid"], signal.SIGTERM)


def test_make_lab_starts_one_board_and_reuses_it(course: Course) -> None:
    """Check that the first call starts a board with the self-paced cohort and the second reuses it."""
    first = ensure_local_board(course)
    second = ensure_local_board(course)
    assert first == second
    assert oct((course.grading / "leaderboard.json").stat().st_mode & 0o777) == "0o600"
    with LeaderboardClient(first.url) as client:
        assert client.board(COHORT)["entries"] == []


def test_a_configured_board_is_used_instead(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that DOJO_LEADERBOARD_URL wins and nothing is started."""
    monkeypatch.setenv("DOJO_LEADERBOARD_URL", "http://127.0.0.1:9/")
    assert ensure_local_board(course).url == "http://127.0.0.1:9/"
    assert not (course.grading / "leaderboard.json").exists()


def test_checked_work_climbs_the_local_board(course: Course) -> None:
    """Check that awarding a check report ranks the learner, once, with a better score counting."""
    access = ensure_local_board(course)
    report = NotebookReport("m00-orientation", "m00-orientation", (TaskResult("t1", 4, 6),))
    assert award_reports(access, [report], learner="ada") == 1
    assert award_reports(access, [report], learner="ada") == 0
    better = NotebookReport("m00-orientation", "m00-orientation", (TaskResult("t1", 6, 6),))
    assert award_reports(access, [better], learner="ada") == 1
    assert find_board(course) == access
    with LeaderboardClient(access.url) as client:
        entries = client.board(COHORT)["entries"]
    assert [(e["name"], e["total"]) for e in entries] == [("ada", 6)]
