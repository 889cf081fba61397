"""The leaderboard's records as the rest of the package sees them, and the store's errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dojo.leaderboard._ranking import Improvement, LearnerInfo, TaskInfo

__all__ = [
    "AuditEntry",
    "AwardResult",
    "Cohort",
    "Conflict",
    "Learner",
    "NewCohort",
    "NotFound",
    "Replayed",
    "Snapshot",
    "utc_now",
]


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (the default clock)."""
    return datetime.now(UTC)


class NotFound(LookupError):
    """A cohort, learner or task does not exist; the message names what was asked for."""


class Conflict(Exception):
    """A write contradicts what is stored (e.g. an idempotency key reused for another award)."""


@dataclass(frozen=True)
class Cohort:
    """A course run or a workshop."""

    id: int
    name: str
    title: str
    join_code: str
    freeze_at: datetime | None
    first_solve_bonus: int
    created_at: datetime


@dataclass(frozen=True)
class NewCohort:
    """A freshly created cohort and its admin token (shown once, stored only hashed)."""

    cohort: Cohort
    admin_token: str


@dataclass(frozen=True)
class Learner:
    """A learner of a cohort."""

    id: int
    key: str
    display_name: str
    pseudonym: str | None
    public_id: str
    hidden: bool
    banned: bool
    created_at: datetime

    @property
    def shown_name(self) -> str:
        """The name shown on public boards: the pseudonym when there is one."""
        return self.pseudonym or self.display_name

    def info(self) -> LearnerInfo:
        """Return the ranking's view of this learner."""
        return LearnerInfo(
            self.id,
            self.key,
            self.shown_name,
            self.public_id,
            self.created_at,
            self.hidden,
            self.banned,
        )


@dataclass(frozen=True)
class AwardResult:
    """What happened to one award post."""

    award_id: int
    created: bool
    learner: str
    assignment: str
    task: str
    points: int
    best: int
    delta: int


@dataclass(frozen=True)
class Snapshot:
    """Everything the ranking needs for one cohort."""

    learners: tuple[LearnerInfo, ...]
    tasks: tuple[TaskInfo, ...]
    improvements: tuple[Improvement, ...]


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class Replayed(Exception):
    """A signed request's nonce was seen before."""
