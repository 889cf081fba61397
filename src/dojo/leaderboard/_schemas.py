"""Request (``*In``) and response (``*Out``) schemas of the HTTP API.

Inputs are strict: unknown fields are refused, ids follow one pattern, names are trimmed, bounded
and free of control characters (they end up on a projector), and points never exceed the maximum.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

__all__ = [
    "AuditEntryOut",
    "AuditOut",
    "AwardIn",
    "AwardOut",
    "BoardOut",
    "CohortCreatedOut",
    "CohortIn",
    "CohortOut",
    "CohortPatchIn",
    "EntryOut",
    "ErrorOut",
    "JoinIn",
    "JoinOut",
    "LearnerOut",
    "LearnerPatchIn",
    "MePatchIn",
    "ModuleOut",
    "ProgressOut",
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,63}$"
COHORT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
PUBLIC_ID_PATTERN = r"^[0-9a-f]{12}$"
KEY_PATTERN = r"^[A-Za-z0-9_.:/+=-]{8,128}$"
JOIN_CODE_PATTERN = r"^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$"


def _clean_name(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise ValueError(
            "names may not contain control, format, private-use or unassigned characters"
        )
    return value


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
CohortName = Annotated[str, StringConstraints(pattern=COHORT_PATTERN)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_clean_name),
]


def _json_integer(value: Any) -> Any:
    # JSON Schema's "integer" includes 30.0 but not "30" or true; pydantic's lax mode would take
    # the string and the boolean too, and strict mode would refuse 30.0.
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON integer, not a string or boolean")
    return value


Points = Annotated[int, Field(ge=0, le=100_000), BeforeValidator(_json_integer)]
MaxPoints = Annotated[int, Field(ge=1, le=100_000), BeforeValidator(_json_integer)]
Bonus = Annotated[int, Field(ge=0, le=10_000), BeforeValidator(_json_integer)]
Flag = Annotated[bool, Field(strict=True)]
Window = Literal["all", "month", "week"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class AwardIn(_In):
    """An award posted by a grader (signed)."""

    learner: Id = Field(description="The learner's id (created on first award).")
    assignment: Id
    task: Id
    module: Id | None = Field(
        None, description="Board the task counts towards; default: assignment."
    )
    points: Points
    max_points: MaxPoints
    idempotency_key: Annotated[str, StringConstraints(pattern=KEY_PATTERN)] = Field(
        description="Same key, same award: retries and duplicates are recorded once."
    )
    learner_name: Name | None = Field(None, description="Display name for a new learner.")

    @model_validator(mode="after")
    def _points_within_max(self) -> AwardIn:
        if self.points > self.max_points:
            raise ValueError(f"points ({self.points}) exceed max_points ({self.max_points})")
        return self


class CohortIn(_In):
    """A new cohort (posted by a grader, signed)."""

    name: CohortName
    title: Name | None = None
    freeze_at: AwareDatetime | None = None
    first_solve_bonus: Bonus = 0


class CohortPatchIn(_In):
    """Admin changes to a cohort; ``freeze_at: null`` unfreezes."""

    title: Name | None = None
    freeze_at: AwareDatetime | None = None
    first_solve_bonus: Bonus | None = None


class JoinIn(_In):
    """A learner joining with the cohort's code."""

    join_code: Annotated[str, StringConstraints(pattern=JOIN_CODE_PATTERN)]
    display_name: Name
    pseudonym: Name | None = None
    learner: Id | None = Field(None, description="Your learner id (e.g. your course user name).")


class LearnerPatchIn(_In):
    """Admin changes to a learner."""

    display_name: Name | None = None
    pseudonym: Name | None = None
    hidden: Flag | None = None
    banned: Flag | None = None


class MePatchIn(_In):
    """A learner's changes to their own names; ``pseudonym: null`` removes it."""

    display_name: Name | None = None
    pseudonym: Name | None = None


class ErrorOut(BaseModel):
    """An error: ``detail`` says what was asked and why it failed."""

    detail: Any


class AwardOut(BaseModel):
    """A recorded award; ``created`` is false for a repeat of a stored idempotency key."""

    award_id: int
    created: bool
    learner: str
    assignment: str
    task: str
    points: int
    best: int
    delta: int


class CohortOut(BaseModel):
    """A cohort as anyone sees it (the join code only for its admin)."""

    name: str
    title: str
    freeze_at: datetime | None
    frozen: bool
    first_solve_bonus: int
    join_code: str | None = None


class CohortCreatedOut(CohortOut):
    """A new cohort with its admin token (shown once)."""

    admin_token: str


class EntryOut(BaseModel):
    """One board row; ``id`` (the learner id) is shown to admins only."""

    rank: int
    learner: str
    name: str
    total: int
    reached_at: datetime | None
    solved: int
    id: str | None = None


class BoardOut(BaseModel):
    """A ranked board: top entries plus the viewer's own position."""

    cohort: str
    title: str
    module: str | None
    window: Window
    window_start: datetime | None
    frozen: bool
    as_of: datetime | None
    learners: int
    modules: list[str]
    entries: list[EntryOut]
    me: EntryOut | None


class ModuleOut(BaseModel):
    """A learner's progress in one module."""

    module: str
    points: int
    max_points: int
    solved: int
    tasks: int
    bonus: int
    rank: int | None
    learners: int


class ProgressOut(BaseModel):
    """A learner's view: overall position and progress per module."""

    cohort: str
    title: str
    learner: str
    name: str
    total: int
    rank: int | None
    learners: int
    frozen: bool
    as_of: datetime | None
    modules: list[ModuleOut]


class JoinOut(BaseModel):
    """A learner who joined, with the token for their own endpoints (shown once)."""

    learner: str
    public_id: str
    name: str
    token: str


class LearnerOut(BaseModel):
    """A learner as their admin (or they themselves) see them."""

    learner: str
    public_id: str
    display_name: str
    pseudonym: str | None
    hidden: bool
    banned: bool


class AuditEntryOut(BaseModel):
    """One audit log line."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class AuditOut(BaseModel):
    """A page of the audit log."""

    entries: list[AuditEntryOut]
