"""Pure ranking rules: from score improvements to ordered boards.

The Code Developer University design re-summed a student's lessons on every award and left its
windows and tie-break to whoever wrote the SQL. Here the store keeps one row per *improvement* of a
learner's best score on a task (points gained and the time they were reached), and every board is a
deterministic function of those rows:

* a learner's total is the sum of the improvements that fall in the board's module, its window
  (``since``) and, for a frozen board, before the freeze (``as_of``);
* the first learner to reach full marks on a task earns the cohort's first-solve bonus at
  that moment;
* ranking is total descending, then the time the learner reached that total ascending (earlier is
  better), then learner id; positions are 1..n with no shared ranks;
* hidden and banned learners are left out, and never take a first-solve bonus from anyone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

__all__ = [
    "WINDOWS",
    "Entry",
    "Improvement",
    "LearnerInfo",
    "ModuleProgress",
    "TaskInfo",
    "progress",
    "rank",
    "window_start",
]

WINDOWS = ("all", "month", "week")
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LearnerInfo:
    """A learner as the ranking sees them."""

    id: int
    key: str
    name: str
    public_id: str
    created_at: datetime
    hidden: bool = False
    banned: bool = False

    @property
    def visible(self) -> bool:
        """Whether the learner may appear on boards."""
        return not (self.hidden or self.banned)


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """A gradable task."""

    id: int
    assignment: str
    task: str
    module: str
    max_points: int


class Improvement(NamedTuple):
    """A rise of one learner's best score on one task (a tuple: thousands are built per board)."""

    learner_id: int
    task_id: int
    points: int  # the new best score
    delta: int  # how much it rose
    at: datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of a ranked board."""

    rank: int
    learner: LearnerInfo
    total: int
    reached_at: datetime | None
    solved: int


@dataclass(slots=True)
class ModuleProgress:
    """A learner's progress in one module."""

    module: str
    points: int = 0
    max_points: int = 0
    solved: int = 0
    tasks: int = 0
    bonus: int = 0
    rank: int | None = None
    learners: int = 0
    task_points: dict[str, int] = field(default_factory=dict)


def window_start(window: str, now: datetime) -> datetime | None:
    """Return the start of a board window, in UTC.

    Args:
        window: ``all`` (no start), ``month`` (first day of the month) or ``week`` (Monday).
        now: The reference time (the freeze time for frozen boards).

    Returns:
        The window's inclusive start, or ``None`` for ``all``.

    Raises:
        ValueError: For an unknown window, naming the known ones.
    """
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "all":
        return None
    if window == "month":
        return midnight.replace(day=1)
    if window == "week":
        return midnight - timedelta(days=midnight.weekday())
    raise ValueError(f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")


def _counted(
    improvements: Iterable[Improvement],
    learners: dict[int, LearnerInfo],
    tasks: dict[int, TaskInfo],
    first_solve_bonus: int,
    as_of: datetime | None,
) -> tuple[list[Improvement], list[Improvement]]:
    """Return visible learners' improvements up to ``as_of``, and the first-solve bonus events."""
    visible = {lid for lid, lr in learners.items() if lr.visible}
    kept = [
        imp
        for imp in improvements
        if imp.learner_id in visible and imp.task_id in tasks and (as_of is None or imp.at <= as_of)
    ]
    bonuses: list[Improvement] = []
    if first_solve_bonus > 0:
        first: dict[int, Improvement] = {}
        for imp in kept:
            if imp.points < tasks[imp.task_id].max_points:
                continue
            best = first.get(imp.task_id)
            key = (imp.at, learners[imp.learner_id].key)
            if best is None or key < (best.at, learners[best.learner_id].key):
                first[imp.task_id] = imp
        bonuses = [
            Improvement(imp.learner_id, imp.task_id, imp.points, first_solve_bonus, imp.at)
            for imp in first.values()
        ]
    return kept, bonuses


def rank(
    learners: Sequence[LearnerInfo],
    tasks: Sequence[TaskInfo],
    improvements: Iterable[Improvement],
    *,
    module: str | None = None,
    since: datetime | None = None,
    as_of: datetime | None = None,
    first_solve_bonus: int = 0,
) -> list[Entry]:
    """Rank the visible learners of a cohort.

    Args:
        learners: Every learner of the cohort (hidden and banned ones are dropped here).
        tasks: Every task of the cohort.
        improvements: Every best-score improvement of the cohort.
        module: Restrict to one module's tasks (``None`` for the overall board).
        since: Only count improvements at or after this time (the window start).
        as_of: Only count what happened up to this time (a frozen board); learners who joined
            later are left out too.
        first_solve_bonus: Points for the first full-marks solve of each task.

    Returns:
        Entries in rank order, rank 1 first, including learners with zero points.
    """
    people = {
        lr.id: lr for lr in learners if lr.visible and (as_of is None or lr.created_at <= as_of)
    }
    task_map = {t.id: t for t in tasks}
    totals: dict[int, int] = dict.fromkeys(people, 0)
    reached: dict[int, datetime] = {}
    solved: dict[int, set[int]] = {lid: set() for lid in people}
    kept, bonuses = _counted(improvements, people, task_map, first_solve_bonus, as_of)
    for imp in itertools.chain(kept, bonuses):
        task = task_map[imp.task_id]
        if module is not None and task.module != module:
            continue
        if imp.points >= task.max_points:
            solved[imp.learner_id].add(imp.task_id)  # a set: a bonus re-adds the same task
        if since is not None and imp.at < since:
            continue
        totals[imp.learner_id] += imp.delta
        # Improvements only ever add points, so the running total reaches its current value at
        # the latest counted improvement.
        if imp.learner_id not in reached or imp.at > reached[imp.learner_id]:
            reached[imp.learner_id] = imp.at
    order = sorted(
        people.values(),
        key=lambda lr: (-totals[lr.id], reached.get(lr.id, _NEVER), lr.key),
    )
    return [
        Entry(
            rank=i,
            learner=lr,
            total=totals[lr.id],
            reached_at=reached.get(lr.id),
            solved=len(solved[lr.id]),
        )
        for i, lr in enumerate(order, start=1)
    ]


def progress(
    learner_id: int,
    learners: Sequence[LearnerInfo],
    tasks: Sequence[TaskInfo],
    improvements: Sequence[Improvement],
    *,
    as_of: datetime | None = None,
    first_solve_bonus: int = 0,
) -> list[ModuleProgress]:
    """Return one learner's progress per module (points, solved tasks, module rank).

    Args:
        learner_id: The learner's database id.
        learners: Every learner of the cohort.
        tasks: Every task of the cohort.
        improvements: Every best-score improvement of the cohort.
        as_of: Freeze time, if the viewer sees a frozen board.
        first_solve_bonus: The cohort's first-solve bonus.

    Returns:
        One entry per module, sorted by module name.
    """
    modules: dict[str, ModuleProgress] = {}
    for task in tasks:
        mp = modules.setdefault(task.module, ModuleProgress(task.module))
        mp.max_points += task.max_points
        mp.tasks += 1
        mp.task_points.setdefault(f"{task.assignment}/{task.task}", 0)
    people = {
        lr.id: lr for lr in learners if lr.visible and (as_of is None or lr.created_at <= as_of)
    }
    task_map = {t.id: t for t in tasks}
    kept, bonuses = _counted(improvements, people, task_map, first_solve_bonus, as_of)
    for imp in bonuses:
        if imp.learner_id == learner_id:
            mp = modules[task_map[imp.task_id].module]
            mp.bonus += imp.delta
            mp.points += imp.delta
    for imp in kept:
        if imp.learner_id != learner_id:
            continue
        task = task_map[imp.task_id]
        mp = modules[task.module]
        mp.task_points[f"{task.assignment}/{task.task}"] = imp.points
        if imp.points >= task.max_points:
            mp.solved += 1
        mp.points += imp.delta
    for mp in modules.values():
        board = rank(
            learners,
            tasks,
            improvements,
            module=mp.module,
            as_of=as_of,
            first_solve_bonus=first_solve_bonus,
        )
        mp.learners = len(board)
        mp.rank = next((e.rank for e in board if e.learner.id == learner_id), None)
    return sorted(modules.values(), key=lambda mp: mp.module)
