"""The ``leaderboard`` click group and the background-server helper."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.leaderboard import LeaderboardClient, Store, start_local_board
from dojo.leaderboard.cli import leaderboard


def test_cohort_create_prints_token_and_join_code(tmp_path: Path) -> None:
    """Check that ``cohort create`` stores a cohort whose printed token is its admin token."""
    db = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    result = CliRunner().invoke(
        leaderboard,
        [
            "cohort",
            "create",
            "spring-2027",
            "--db",
            db,
            "--title",
            "Spring",
            "--first-solve-bonus",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.strip().splitlines())
    token, code = lines["admin token"].strip(), lines["join code"].strip()
    store = Store.open(db)
    cohort = store.cohort("spring-2027")
    assert cohort.join_code == code and cohort.first_solve_bonus == 5 and cohort.title == "Spring"
    assert store.is_admin(cohort, token)
    store.close()
    again = CliRunner().invoke(leaderboard, ["cohort", "create", "spring-2027", "--db", db])
    assert again.exit_code == 1 and "already exists" in again.output


def test_cohort_create_reads_the_database_from_the_environment(tmp_path: Path) -> None:
    """Check that DOJO_LEADERBOARD_DB selects the database when --db is not given."""
    db = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    result = CliRunner().invoke(
        leaderboard, ["cohort", "create", "w1"], env={"DOJO_LEADERBOARD_DB": db}
    )
    assert result.exit_code == 0, result.output
    assert [c.name for c in Store.open(db).cohorts()] == ["w1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cohort", "create", "Bad Name"], "lower-case letters"),
        (["cohort", "create", "ok", "--freeze-at", "2027-03-01T18:00:00"], "does not match"),
        (["cohort", "create", "ok", "--first-solve-bonus", "-1"], "-1"),
    ],
)
def test_cohort_create_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    """Check that bad names, naive times and negative bonuses are refused with a reason."""
    result = CliRunner().invoke(leaderboard, [*args, "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and message in result.output


def test_cohort_create_with_freeze_time(tmp_path: Path) -> None:
    """Check that --freeze-at with an offset is stored in UTC."""
    db = f"sqlite:///{tmp_path / 'f.sqlite3'}"
    result = CliRunner().invoke(
        leaderboard,
        ["cohort", "create", "f1", "--db", db, "--freeze-at", "2027-03-01T19:00:00+0100"],
    )
    assert result.exit_code == 0, result.output
    assert Store.open(db).cohort("f1").freeze_at.isoformat() == "2027-03-01T18:00:00+00:00"  # type: ignore[union-attr]


def test_serve_needs_a_grader_key(tmp_path: Path) -> None:
    """Check that ``serve`` refuses to start without a grader key and says how to give one."""
    result = CliRunner().invoke(
        leaderboard,
        ["serve", "--db", f"sqlite:///{tmp_path / 's.db'}"],
        env={"DOJO_GRADER_KEY": ""},
    )
    assert result.exit_code == 2 and "DOJO_GRADER_KEY" in result.output


@pytest.mark.slow
def test_start_local_board_runs_a_background_service(tmp_path: Path) -> None:
    """Check the helper the lab uses: a background server that accepts signed awards, then stops."""
    db = f"sqlite:///{tmp_path / 'lab.sqlite3'}"
    with start_local_board(db_url=db) as board:
        grader = LeaderboardClient(board.url, grader_key=board.grader_key)
        grader.create_cohort("lab")
        grader.award("lab", "ann", "m01/t1", 3, 5, "lab-award-1")
        assert grader.board("lab")["entries"][0]["total"] == 3
        board.write_state(tmp_path / "state.json")
        assert (tmp_path / "state.json").stat().st_mode & 0o777 == 0o600
    assert not LeaderboardClient(board.url).health()
