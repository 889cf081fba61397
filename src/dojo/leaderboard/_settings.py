"""The one settings object of the leaderboard service, passed to ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dojo.leaderboard._db import default_db_url
from dojo.leaderboard._models import utc_now

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """Configuration of one leaderboard service.

    Nothing here is read from the environment: the CLI (or a test) builds it and hands it over.

    Attributes:
        db_url: SQLAlchemy URL; the default is the embedded SQLite file.
        grader_key: Shared secret graders sign award posts with; ``None`` refuses every award.
        clock: Returns the current aware time; inject a fake clock in tests.
        max_skew_seconds: How old (or how far in the future) a signed request may be.
        learner_rate: Requests a learner client may make per ``learner_period`` seconds...
        learner_period: ...on learner endpoints (join, own view, own settings). A client is its
            address plus its token, so a whole workshop joining from behind one NAT shares one
            budget for ``join``: keep the rate well above the class size per period.
        sqlite_synchronous: SQLite ``PRAGMA synchronous`` (FULL: durable through power loss).
        live_interval: Seconds the live stream waits to coalesce bursts of awards into one push.
        heartbeat_seconds: Seconds between keep-alive comments on idle live streams.
        title: Shown in the page header.
    """

    db_url: str = field(default_factory=default_db_url)
    grader_key: str | None = None
    clock: Callable[[], datetime] = utc_now
    max_skew_seconds: float = 300.0
    learner_rate: int = 120
    learner_period: float = 60.0
    sqlite_synchronous: str = "FULL"
    live_interval: float = 0.05
    heartbeat_seconds: float = 15.0
    title: str = "Serverless Dojo leaderboard"
