"""Ranking rules: totals, tie-breaks, windows, freeze, hidden/banned, first-solve bonus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dojo.leaderboard._ranking import (
    Improvement,
    LearnerInfo,
    TaskInfo,
    progress,
    rank,
    window_start,
)

T0 = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # Wednesday


def L(i: int, key: str, **kw: object) -> LearnerInfo:
    return LearnerInfo(
        i, key, key.title(), f"{i:012x}", kw.pop("created_at", T0 - timedelta(days=60)), **kw
    )  # type: ignore[arg-type]


TASKS = [
    TaskInfo(1, "m01", "t1", "m01", 10),
    TaskInfo(2, "m01", "t2", "m01", 10),
    TaskInfo(3, "m02", "t1", "m02", 20),
]


def imp(learner: int, task: int, points: int, delta: int, at: datetime) -> Improvement:
    return Improvement(learner, task, points, delta, at)


def order(entries: list) -> list[str]:
    return [e.learner.key for e in entries]


def test_total_descending_then_earlier_time_then_id() -> None:
    """Check that higher totals rank first, ties go to who reached the total first, then to id."""
    people = [L(1, "cat"), L(2, "bob"), L(3, "ann"), L(4, "dan")]
    events = [
        imp(1, 1, 10, 10, T0),  # cat: 10 at T0
        imp(2, 1, 10, 10, T0 - timedelta(minutes=5)),  # bob: 10, earlier
        imp(3, 3, 15, 15, T0),  # ann: 15
        imp(4, 1, 10, 10, T0),  # dan: 10 at T0, same time as cat -> id decides
    ]
    board = rank(people, TASKS, events)
    assert order(board) == ["ann", "bob", "cat", "dan"]
    assert [e.rank for e in board] == [1, 2, 3, 4]
    assert board[1].reached_at == T0 - timedelta(minutes=5)


def test_reached_time_is_when_the_current_total_was_reached() -> None:
    """Check that the tie-break uses the latest improvement, not the first award."""
    people = [L(1, "early"), L(2, "late")]
    events = [
        imp(1, 1, 5, 5, T0 - timedelta(hours=3)),
        imp(1, 1, 10, 5, T0),  # early reaches 10 only at T0
        imp(2, 1, 10, 10, T0 - timedelta(hours=1)),  # late reaches 10 one hour before
    ]
    assert order(rank(people, TASKS, events)) == ["late", "early"]


def test_zero_point_learners_are_listed_last_by_id() -> None:
    """Check that learners without points still get a position (for "my position")."""
    people = [L(1, "zed"), L(2, "amy"), L(3, "kim")]
    board = rank(people, TASKS, [imp(1, 1, 1, 1, T0)])
    assert order(board) == ["zed", "amy", "kim"]
    assert board[1].total == 0 and board[1].reached_at is None


def test_module_board_counts_only_that_module() -> None:
    """Check that a module board sums only its own tasks."""
    people = [L(1, "ann"), L(2, "bob")]
    events = [imp(1, 3, 20, 20, T0), imp(2, 1, 10, 10, T0), imp(2, 2, 10, 10, T0)]
    assert [(e.learner.key, e.total) for e in rank(people, TASKS, events, module="m01")] == [
        ("bob", 20),
        ("ann", 0),
    ]
    assert [(e.learner.key, e.total) for e in rank(people, TASKS, events, module="m02")] == [
        ("ann", 20),
        ("bob", 0),
    ]


@pytest.mark.parametrize(
    ("window", "now", "start"),
    [
        ("all", T0, None),
        ("week", T0, datetime(2027, 3, 8, tzinfo=UTC)),  # Monday
        ("week", datetime(2027, 3, 8, 0, 0, tzinfo=UTC), datetime(2027, 3, 8, tzinfo=UTC)),
        ("week", datetime(2027, 3, 7, 23, 59, 59, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)),
        ("month", T0, datetime(2027, 3, 1, tzinfo=UTC)),
        ("month", datetime(2028, 2, 29, 23, 0, tzinfo=UTC), datetime(2028, 2, 1, tzinfo=UTC)),
        ("month", datetime(2027, 1, 1, 0, 0, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_window_start(window: str, now: datetime, start: datetime | None) -> None:
    """Check the window edges: weeks start Monday 00:00 UTC, months on the 1st 00:00 UTC."""
    assert window_start(window, now) == start


def test_unknown_window_is_refused_with_the_known_ones() -> None:
    """Check that an unknown window names the valid choices."""
    with pytest.raises(ValueError, match="all, month, week"):
        window_start("year", T0)


def test_window_counts_improvements_made_inside_it() -> None:
    """Check that a window counts the points gained in it, edge included."""
    people = [L(1, "ann"), L(2, "bob")]
    monday = datetime(2027, 3, 8, tzinfo=UTC)
    events = [
        imp(1, 1, 10, 10, monday - timedelta(microseconds=1)),  # last week
        imp(1, 2, 4, 4, monday),  # exactly at the edge: this week
        imp(2, 1, 6, 6, monday + timedelta(days=1)),
    ]
    week = rank(people, TASKS, events, since=window_start("week", T0))
    assert [(e.learner.key, e.total) for e in week] == [("bob", 6), ("ann", 4)]
    alltime = rank(people, TASKS, events)
    assert [(e.learner.key, e.total) for e in alltime] == [("ann", 14), ("bob", 6)]


def test_improvement_across_windows_counts_only_the_gain() -> None:
    """Check that raising a best score this week counts the rise, not the whole score, this week."""
    people = [L(1, "ann")]
    events = [imp(1, 1, 6, 6, T0 - timedelta(days=30)), imp(1, 1, 9, 3, T0)]
    assert rank(people, TASKS, events, since=window_start("week", T0))[0].total == 3
    assert rank(people, TASKS, events)[0].total == 9


def test_frozen_board_shows_the_state_at_freeze_time() -> None:
    """Check that a frozen board ignores later scores and later learners, derived numbers too."""
    freeze = T0
    people = [L(1, "ann"), L(2, "bob"), L(3, "newbie", created_at=freeze + timedelta(minutes=1))]
    events = [
        imp(1, 1, 10, 10, freeze - timedelta(hours=1)),
        imp(2, 1, 5, 5, freeze - timedelta(hours=2)),
        imp(2, 2, 10, 10, freeze + timedelta(seconds=1)),  # after the freeze
        imp(3, 3, 20, 20, freeze + timedelta(minutes=2)),
    ]
    frozen = rank(people, TASKS, events, as_of=freeze)
    assert [(e.learner.key, e.total, e.solved) for e in frozen] == [("ann", 10, 1), ("bob", 5, 0)]
    live = rank(people, TASKS, events)
    assert [(e.learner.key, e.total) for e in live] == [("newbie", 20), ("bob", 15), ("ann", 10)]
    view = progress(2, people, TASKS, events, as_of=freeze)
    m01 = next(m for m in view if m.module == "m01")
    assert (m01.points, m01.solved, m01.rank, m01.learners) == (5, 0, 2, 2)


def test_hidden_and_banned_learners_are_left_out() -> None:
    """Check that hidden and banned learners appear on no board and shift nobody's rank."""
    people = [L(1, "ann"), L(2, "bob", hidden=True), L(3, "cat", banned=True)]
    events = [imp(i, 1, 10, 10, T0 - timedelta(minutes=i)) for i in (1, 2, 3)]
    board = rank(people, TASKS, events)
    assert order(board) == ["ann"] and board[0].rank == 1


def test_first_solve_bonus_goes_to_the_first_full_marks() -> None:
    """Check that the first full-marks solve of each task earns the bonus, once."""
    people = [L(1, "ann"), L(2, "bob")]
    events = [
        imp(1, 1, 9, 9, T0 - timedelta(hours=3)),  # partial: no bonus
        imp(2, 1, 10, 10, T0 - timedelta(hours=2)),  # first full solve
        imp(1, 1, 10, 1, T0 - timedelta(hours=1)),
    ]
    board = rank(people, TASKS, events, first_solve_bonus=5)
    assert [(e.learner.key, e.total) for e in board] == [("bob", 15), ("ann", 10)]
    assert rank(people, TASKS, events)[0].total == 10  # without a bonus configured
    prog = progress(2, people, TASKS, events, first_solve_bonus=5)
    assert next(m for m in prog if m.module == "m01").bonus == 5


def test_banned_first_solver_does_not_take_the_bonus() -> None:
    """Check that a banned learner's solve does not block the bonus for the next solver."""
    people = [L(1, "cheat", banned=True), L(2, "bob")]
    events = [imp(1, 1, 10, 10, T0 - timedelta(hours=2)), imp(2, 1, 10, 10, T0)]
    board = rank(people, TASKS, events, first_solve_bonus=5)
    assert [(e.learner.key, e.total) for e in board] == [("bob", 15)]


def test_first_solve_bonus_respects_freeze() -> None:
    """Check that a bonus earned after the freeze is not shown on the frozen board."""
    people = [L(1, "ann")]
    events = [imp(1, 1, 10, 10, T0 + timedelta(minutes=1))]
    assert rank(people, TASKS, events, as_of=T0, first_solve_bonus=5)[0].total == 0
    assert rank(people, TASKS, events, first_solve_bonus=5)[0].total == 15


def test_progress_per_module() -> None:
    """Check that a learner's progress lists every module with points, maxima and solved tasks."""
    people = [L(1, "ann"), L(2, "bob")]
    events = [imp(1, 1, 10, 10, T0), imp(1, 2, 4, 4, T0), imp(2, 3, 20, 20, T0)]
    view = progress(1, people, TASKS, events)
    assert [(m.module, m.points, m.max_points, m.solved, m.tasks, m.rank) for m in view] == [
        ("m01", 14, 20, 1, 2, 1),
        ("m02", 0, 20, 0, 1, 2),
    ]
