"""The one settings object of a workshop service, passed to ``create_workshop_app(settings)``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["WorkshopSettings", "default_workers"]


def default_workers() -> int:
    """Grading workers for this machine: one per core.

    Each grading runs nbgrader plus a sandboxed kernel, about one core while it runs; the
    services themselves wait on the network almost all the time.
    """
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkshopSettings:
    """Configuration of one workshop service.

    Nothing here is read from the environment; ``dojo workshop start`` (or a test) builds it.
    The secrets (``grader_key``, ``admin_token``) are never written by :meth:`save`.

    Attributes:
        course_root: The instructor's course (with ``graders/`` for the hidden checks).
        state_dir: Where submissions, results and the queue live (durable across restarts).
        board_url: The leaderboard the scores go to.
        cohort: The cohort of this session; teams are ranked in ``<cohort>-teams``.
        grader_key: Signs awards to the leaderboard.
        admin_token: The cohort's admin token (join code look-up, exports).
        join_code: The code learners join with.
        assignments: Assignments open for submission (empty: every released one).
        workers: Parallel graders.
        submit_rate: Submissions a learner may make per ``submit_period`` seconds.
        submit_period: See ``submit_rate``.
        grade_timeout: Seconds one grading may take before it is recorded as an error.
        max_notebook_bytes: Largest notebook accepted.
        teams: Whether a team board is kept.
        public_url: The URL learners reach this service at (shown to them).
    """

    course_root: Path
    state_dir: Path
    board_url: str
    cohort: str
    grader_key: str = ""
    admin_token: str = ""
    join_code: str = ""
    assignments: tuple[str, ...] = ()
    workers: int = field(default_factory=default_workers)
    submit_rate: int = 6
    submit_period: float = 60.0
    grade_timeout: float = 300.0
    max_notebook_bytes: int = 5_000_000
    teams: bool = True
    public_url: str = ""

    @property
    def team_cohort(self) -> str:
        """The cohort whose "learners" are the teams."""
        return f"{self.cohort}-teams"[:64]

    def save(self, path: Path) -> None:
        """Write the settings without secrets as JSON (mode 0600)."""
        data: dict[str, Any] = asdict(self)
        for secret in ("grader_key", "admin_token"):
            data.pop(secret)
        data["course_root"], data["state_dir"] = str(self.course_root), str(self.state_dir)
        data["assignments"] = list(self.assignments)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1)

    @classmethod
    def load(cls, path: Path, **secrets: str) -> WorkshopSettings:
        """Read settings saved by :meth:`save`, adding the secrets given."""
        data: dict[str, Any] = json.loads(Path(path).read_text())
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["course_root"], data["state_dir"] = Path(data["course_root"]), Path(data["state_dir"])
        data["assignments"] = tuple(data.get("assignments", ()))
        return cls(**{**data, **secrets})
