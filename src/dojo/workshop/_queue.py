"""The durable submission queue: every notebook is on disk before its submission is acknowledged.

One SQLite file (``PRAGMA synchronous=FULL``) beside a folder of submitted notebooks. A
submission goes ``queued → grading → done`` (or ``error``); one found ``grading`` at start-up was
interrupted by a crash and goes back to the queue, and one that was interrupted twice is recorded
as an error rather than retried for ever. Nothing is ever deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Enrolment", "Submission", "SubmissionQueue", "hash_token"]

MAX_ATTEMPTS = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS learners (
    token_hash TEXT PRIMARY KEY,
    learner TEXT NOT NULL UNIQUE,
    public_id TEXT NOT NULL,
    name TEXT NOT NULL,
    team TEXT,
    joined_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    learner TEXT NOT NULL,
    assignment TEXT NOT NULL,
    notebook TEXT NOT NULL,
    path TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    submitted_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    awarded_at REAL,
    result TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS submissions_status ON submissions (status, seq);
CREATE TABLE IF NOT EXISTS chaos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
"""


def hash_token(token: str) -> str:
    """What is stored of a learner token: its SHA-256 (the token itself is never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Enrolment:
    """A learner who joined through this workshop."""

    learner: str
    public_id: str
    name: str
    team: str | None


@dataclass(frozen=True)
class Submission:
    """One submitted notebook and, once graded, its result."""

    seq: int
    id: str
    learner: str
    assignment: str
    notebook: str
    path: Path
    status: str
    attempts: int
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    awarded_at: float | None
    result: dict[str, Any] | None
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Submission:
        values = dict(row)
        values["path"] = Path(values["path"])
        values["result"] = json.loads(values["result"]) if values["result"] else None
        return cls(**values)


class SubmissionQueue:
    """Submissions and enrolments of one workshop, stored under ``folder``.

    Safe to share between threads (one connection behind a lock: every operation is short).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.notebooks = self.folder / "submissions"
        self.notebooks.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.folder / "workshop.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- learners --------------------------------------------------------------------------

    def enrol(self, token: str, enrolment: Enrolment) -> None:
        """Remember who holds ``token`` (only its hash is stored)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO learners VALUES (?, ?, ?, ?, ?, ?)",
                (
                    hash_token(token),
                    enrolment.learner,
                    enrolment.public_id,
                    enrolment.name,
                    enrolment.team,
                    time.time(),
                ),
            )

    def learner_for(self, token: str) -> Enrolment | None:
        """The learner holding ``token``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT learner, public_id, name, team FROM learners WHERE token_hash = ?",
                (hash_token(token),),
            ).fetchone()
        return Enrolment(**dict(row)) if row else None

    def enrolments(self) -> list[Enrolment]:
        """Every learner who joined, in joining order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT learner, public_id, name, team FROM learners ORDER BY joined_at"
            ).fetchall()
        return [Enrolment(**dict(row)) for row in rows]

    # -- submissions -----------------------------------------------------------------------

    def submit(self, learner: str, assignment: str, notebook: str, content: bytes) -> Submission:
        """Store the notebook durably (file and row fsynced), then queue it."""
        sub_id = secrets.token_hex(8)
        folder = self.notebooks / sub_id
        folder.mkdir()
        path = folder / notebook
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        for directory in (folder, self.notebooks):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        with self._tx() as db:
            db.execute(
                "INSERT INTO submissions (id, learner, assignment, notebook, path, status, "
                "submitted_at) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                (sub_id, learner, assignment, notebook, str(path), time.time()),
            )
        found = self.get(sub_id)
        assert found is not None
        return found

    def get(self, sub_id: str) -> Submission | None:
        """One submission by id."""
        with self._lock:
            row = self._db.execute("SELECT * FROM submissions WHERE id = ?", (sub_id,)).fetchone()
        return Submission.from_row(row) if row else None

    def claim(self) -> Submission | None:
        """Take the oldest queued submission for grading, or None when the queue is empty."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM submissions WHERE status = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE submissions SET status = 'grading', started_at = ?, "
                "attempts = attempts + 1 "
                "WHERE id = ?",
                (time.time(), row["id"]),
            )
        return self.get(row["id"])

    def finish(self, sub_id: str, result: dict[str, Any], *, awarded: bool = False) -> None:
        """Record a graded submission's result (and whether its points reached the board)."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "UPDATE submissions SET status = 'done', finished_at = ?, result = ?, "
                "awarded_at = ? "
                "WHERE id = ?",
                (now, json.dumps(result), now if awarded else None, sub_id),
            )

    def fail(self, sub_id: str, error: str) -> None:
        """Record that grading a submission failed (the submission itself is kept)."""
        with self._tx() as db:
            db.execute(
                "UPDATE submissions SET status = 'error', finished_at = ?, error = ? WHERE id = ?",
                (time.time(), error, sub_id),
            )

    def mark_awarded(self, sub_id: str) -> None:
        """Record that the result's points reached the leaderboard."""
        with self._tx() as db:
            db.execute("UPDATE submissions SET awarded_at = ? WHERE id = ?", (time.time(), sub_id))

    def recover(self) -> list[str]:
        """After a crash: re-queue interrupted gradings; fail those interrupted too often.

        Returns:
            The ids of the submissions put back in the queue.
        """
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, attempts FROM submissions WHERE status = 'grading'"
            ).fetchall()
            requeued = []
            for row in rows:
                if row["attempts"] >= MAX_ATTEMPTS:
                    db.execute(
                        "UPDATE submissions SET status = 'error', finished_at = ?, error = ? "
                        "WHERE id = ?",
                        (
                            time.time(),
                            f"grading was interrupted {row['attempts']} times "
                            "(the grader crashed on this submission)",
                            row["id"],
                        ),
                    )
                else:
                    db.execute(
                        "UPDATE submissions SET status = 'queued' WHERE id = ?", (row["id"],)
                    )
                    requeued.append(row["id"])
        return requeued

    def unawarded(self) -> list[Submission]:
        """Graded submissions whose points have not reached the board yet."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM submissions WHERE status = 'done' AND awarded_at IS NULL "
                "ORDER BY seq"
            ).fetchall()
        return [Submission.from_row(row) for row in rows]

    def position(self, sub: Submission) -> int:
        """Place in the queue: 1 is graded next, 0 means it is not waiting."""
        if sub.status != "queued":
            return 0
        with self._lock:
            ahead = self._db.execute(
                "SELECT COUNT(*) FROM submissions WHERE status = 'queued' AND seq < ?", (sub.seq,)
            ).fetchone()[0]
        return int(ahead) + 1

    def recent_count(self, learner: str, since: float) -> tuple[int, float | None]:
        """How many submissions ``learner`` made since ``since``, and when the oldest was."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*), MIN(submitted_at) FROM submissions "
                "WHERE learner = ? AND submitted_at >= ?",
                (learner, since),
            ).fetchone()
        return int(row[0]), row[1]

    def counts(self) -> dict[str, int]:
        """Submissions per status."""
        with self._lock:
            rows = self._db.execute(
                "SELECT status, COUNT(*) FROM submissions GROUP BY status"
            ).fetchall()
        counts = {"queued": 0, "grading": 0, "done": 0, "error": 0}
        counts.update({row[0]: int(row[1]) for row in rows})
        return counts

    def all(self) -> list[Submission]:
        """Every submission, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM submissions ORDER BY seq").fetchall()
        return [Submission.from_row(row) for row in rows]

    # -- chaos -----------------------------------------------------------------------------

    def set_chaos(self, spec: dict[str, Any] | None) -> None:
        """Replace the active chaos spec (None clears it); earlier specs stay on record."""
        with self._tx() as db:
            db.execute("UPDATE chaos SET active = 0")
            if spec is not None:
                db.execute(
                    "INSERT INTO chaos (spec, created_at) VALUES (?, ?)",
                    (json.dumps(spec), time.time()),
                )

    def chaos(self) -> dict[str, Any] | None:
        """The active chaos spec, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT spec FROM chaos WHERE active = 1 ORDER BY id DESC"
            ).fetchone()
        return json.loads(row[0]) if row else None
