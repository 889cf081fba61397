"""Write paths: one transaction per write (PostgreSQL), or group commit (SQLite).

SQLite has one writer at a time and, with ``synchronous=FULL``, each commit waits for the disk.
Letting every request commit on its own makes writers queue on the file lock (and back off in
SQLite's busy handler); :class:`GroupCommit` instead runs queued writes in one thread, each in its
own savepoint (so one failing write does not undo the others), and commits the batch once. Callers
get their result only after that commit: an acknowledged write is on disk.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from dojo.leaderboard._db import write_tx

__all__ = ["DirectWriter", "GroupCommit", "Writer", "writer_for"]

T = TypeVar("T")
Job = Callable[[Connection], Any]


class Writer:
    """Runs write jobs (functions of a connection inside a transaction)."""

    def run(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` in a write transaction and return its result once committed."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop accepting writes."""


class DirectWriter(Writer):
    """One transaction per job in the calling thread (PostgreSQL: row locks do the rest)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(self, job: Callable[[Connection], T]) -> T:
        with write_tx(self.engine) as conn:
            return job(conn)


class GroupCommit(Writer):
    """Batches concurrent jobs into one SQLite transaction with a savepoint per job.

    Args:
        engine: A SQLite engine from ``make_engine``.
        max_batch: Most jobs per transaction.
    """

    def __init__(self, engine: Engine, max_batch: int = 64) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, job: Callable[[Connection], T]) -> T:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._loop, name="dojo-lb-writer", daemon=True
                    )
                    self._thread.start()
        future: Future[T] = Future()
        self._queue.put((job, future))
        return future.result()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Job, Future[Any]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with write_tx(self.engine) as conn:
                for job, _ in batch:
                    try:
                        with conn.begin_nested():
                            outcomes.append((True, job(conn)))
                    except Exception as exc:  # this job only: its savepoint is rolled back
                        outcomes.append((False, exc))
        except Exception as exc:  # the commit itself failed: nothing in the batch is stored
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


def writer_for(engine: Engine) -> Writer:
    """Group commit for SQLite, direct transactions for other databases."""
    return GroupCommit(engine) if engine.dialect.name == "sqlite" else DirectWriter(engine)
