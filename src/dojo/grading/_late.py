"""Due dates and late penalties per assignment: none, zero, or a percentage per started day."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Unicode

from dojo.errors import DojoError

_PERCENT_PER_DAY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*/\s*day\s*$")


def penalty_for(policy: str, score: float, seconds_late: float) -> float:
    """Points to take off ``score`` for a submission ``seconds_late`` past its due date.

    ``policy`` is ``"none"``, ``"zero"`` (a late submission earns nothing) or
    ``"N%/day"`` (N percent of the score per started day late, at most all of it).

    Raises:
        DojoError: for a policy written any other way.
    """
    if seconds_late <= 0 or policy == "none":
        return 0.0
    if policy == "zero":
        return score
    match = _PERCENT_PER_DAY.match(policy)
    if not match:
        raise DojoError(f"late penalty {policy!r} is not 'none', 'zero' or a rate such as '10%/day'")
    days = math.ceil(seconds_late / 86400)
    return round(min(score, score * float(match.group(1)) / 100 * days), 6)


def parse_due(text: str) -> datetime:
    """A due date written in ISO 8601, e.g. ``2026-12-01T23:59:00+00:00``."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise DojoError(f"due date {text!r} is not an ISO 8601 date and time") from None


class LatePenalty(LateSubmissionPlugin):
    """nbgrader late-submission plugin that applies each assignment's own policy.

    Configured in ``nbgrader_config.py``::

        c.LatePenalty.policies = {"m03-s3-event-pipelines": {"due": "2026-12-01T23:59:00+00:00",
                                                             "penalty": "10%/day"}}
    """

    policies = Dict(
        help="Per assignment: {'due': ISO date, 'penalty': 'none' | 'zero' | 'N%/day'}."
    ).tag(config=True)
    default_penalty = Unicode("none", help="Penalty for assignments without a policy.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        assignment = getattr(self.parent, "assignment_id", None)
        policy: dict[str, Any] = self.policies.get(assignment, {})
        return penalty_for(policy.get("penalty", self.default_penalty), score, total_seconds_late)


def due_dates(policies: dict[str, dict[str, Any]]) -> dict[str, datetime]:
    """The due date of each assignment that has one."""
    return {name: parse_due(policy["due"]) for name, policy in policies.items() if policy.get("due")}
