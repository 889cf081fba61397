"""A whole workshop: start, three learners submit at once, the board ranks them, stop exports."""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from dojo.course import Course
from dojo.leaderboard.client import LeaderboardClient
from dojo.workshop import WorkshopClient, start_workshop, stop_workshop
from tests.workshop.conftest import CHEAT, HONEST, PARTIAL, answered

pytestmark = pytest.mark.slow


def test_three_learners_are_graded_by_the_server_ranked_and_exported(
    fresh_course: Course, tmp_path: Path
) -> None:
    """Check that honest, partial and cheating submissions sent together end 10, 6 and 0, in that
    order on the learner and team boards, that hidden check text never reaches a learner, and
    that stopping exports the results."""
    session = start_workshop(fresh_course, "e2e", workers=2, detach=False)
    try:
        learners = [("Ada", "red", HONEST), ("Bob", "red", PARTIAL), ("Eve", "blue", CHEAT)]

        def play(name: str, team: str, answer: str):  # type: ignore[no-untyped-def]
            with WorkshopClient(session.url) as client:
                client.join(session.join_code, name, team)
                notebook = answered(fresh_course, answer, tmp_path / name)
                return client.submit_and_wait(notebook, timeout=180)

        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda args: play(*args), learners))

        assert [r.status for r in results] == ["done", "done", "done"], [r.error for r in results]
        assert [r.score for r in results] == [10, 6, 0]
        assert results[0].rank == 1 and results[0].learners == 3
        partial_reason = results[1].tasks[0]["reason"]
        assert "SECRET-HIDDEN-MESSAGE" not in str(results[1].raw)
        assert partial_reason == "1 hidden check failed"

        with LeaderboardClient(session.board_url) as board:
            entries = board.board("e2e")["entries"]
            teams = board.board("e2e-teams")["entries"]
        assert [(e["name"], e["total"]) for e in entries] == [("Ada", 10), ("Bob", 6), ("Eve", 0)]
        assert [(e["name"], e["total"]) for e in teams][:1] == [("red", 10)]
    finally:
        files = stop_workshop(fresh_course, "e2e", out=tmp_path / "export")

    with files["results"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["rank"], r["name"], r["team"], r["total"]) for r in rows] == [
        ("1", "Ada", "red", "10"),
        ("2", "Bob", "red", "6"),
        ("3", "Eve", "blue", "0"),
    ]
    page = files["board"].read_text()
    assert "Ada" in page and "<script" not in page and "<style>" in page
    assert files["teams"].read_text().count("red") >= 1
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{session.url}/api/health", timeout=2)
