"""The leaderboard store: cohorts, learners, tasks, awards, audit log and nonces.

Every write is one transaction. An award is recorded once per ``(cohort, idempotency key)``
(a unique constraint, so concurrent copies cannot both land, on SQLite and PostgreSQL alike), raises
the learner's best score on the task only when it improves it, and appends an improvement row with
the time the new best was first reached. That replaces the CDU design's read-then-write completion
check and its re-summing of the total on every award.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from dojo.leaderboard import _tables as t
from dojo.leaderboard._auth import hash_token, new_join_code, new_token
from dojo.leaderboard._db import from_db, make_engine, migrate, to_db
from dojo.leaderboard._models import (
    AuditEntry,
    AwardResult,
    Cohort,
    Conflict,
    Learner,
    NewCohort,
    NotFound,
    Replayed,
    Snapshot,
    utc_now,
)
from dojo.leaderboard._ranking import Improvement, TaskInfo
from dojo.leaderboard._writer import writer_for

__all__ = ["Store"]


class _LostRace(Exception):
    """Another transaction stored the same idempotency key first."""


def _cohort(row: Row[Any]) -> Cohort:
    m = row._mapping
    return Cohort(
        id=m["id"],
        name=m["name"],
        title=m["title"],
        join_code=m["join_code"],
        freeze_at=from_db(m["freeze_at"]) if m["freeze_at"] else None,
        first_solve_bonus=m["first_solve_bonus"],
        created_at=from_db(m["created_at"]),
    )


def _learner(row: Row[Any]) -> Learner:
    m = row._mapping
    return Learner(
        id=m["id"],
        key=m["learner_key"],
        display_name=m["display_name"],
        pseudonym=m["pseudonym"],
        public_id=m["public_id"],
        hidden=bool(m["hidden"]),
        banned=bool(m["banned"]),
        created_at=from_db(m["created_at"]),
    )


class Store:
    """Transactional access to the leaderboard database.

    Args:
        engine: A SQLAlchemy engine from :func:`make_engine`.
        clock: Returns the current aware time; tests inject a fake one.
        nonce_keep: How long signed-request nonces are remembered.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utc_now,
        nonce_keep: timedelta = timedelta(minutes=10),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.nonce_keep = nonce_keep
        self._writer = writer_for(engine)
        # Learners and tasks are never deleted and a task's maximum and module never change, so
        # their ids can be remembered once committed: most awards then skip four statements.
        self._learner_ids: dict[tuple[int, str], int] = {}
        self._task_rows: dict[tuple[int, str, str], tuple[int, int, str]] = {}
        a, b, lr, tk = t.awards.c, t.best_scores.c, t.learners.c, t.tasks.c
        self._sql_existing = (
            select(t.awards, lr.learner_key, tk.assignment, tk.task)
            .join(t.learners, lr.id == a.learner_id)
            .join(t.tasks, tk.id == a.task_id)
            .where(a.cohort_id == bindparam("cid"), a.idempotency_key == bindparam("key"))
        )
        self._sql_learner_id = select(lr.id).where(
            lr.cohort_id == bindparam("cid"), lr.learner_key == bindparam("lkey")
        )
        self._sql_task = select(tk.id, tk.max_points, tk.module).where(
            tk.cohort_id == bindparam("cid"),
            tk.assignment == bindparam("asg"),
            tk.task == bindparam("tsk"),
        )
        self._sql_best = (
            select(b.points)
            .where(b.learner_id == bindparam("lid"), b.task_id == bindparam("tid"))
            .with_for_update()
        )
        self._sql_best_placeholder = self._insert(t.best_scores).on_conflict_do_nothing(
            index_elements=["learner_id", "task_id"]
        )
        self._sql_award = (
            self._insert(t.awards)
            .on_conflict_do_nothing(index_elements=["cohort_id", "idempotency_key"])
            .returning(a.id)
        )
        self._sql_nonce = (
            self._insert(t.nonces)
            .on_conflict_do_nothing(index_elements=["nonce"])
            .returning(t.nonces.c.nonce)
        )
        self._sql_best_update = (
            update(t.best_scores)
            .where(b.learner_id == bindparam("lid"), b.task_id == bindparam("tid"))
            .values(points=bindparam("new_best"), reached_at=bindparam("now"))
        )

    @classmethod
    def open(
        cls,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        sqlite_synchronous: str = "FULL",
        nonce_keep: timedelta = timedelta(minutes=10),
    ) -> Store:
        """Connect to ``url`` and apply migrations.

        Args:
            url: SQLAlchemy database URL.
            clock: The time source.
            sqlite_synchronous: SQLite ``PRAGMA synchronous`` value.
            nonce_keep: How long signed-request nonces are remembered.

        Returns:
            A ready store.
        """
        store = cls(
            make_engine(url, sqlite_synchronous=sqlite_synchronous),
            clock=clock,
            nonce_keep=nonce_keep,
        )
        migrate(store.engine)
        return store

    def close(self) -> None:
        """Finish pending writes and release the connection pool."""
        self._writer.close()
        self.engine.dispose()

    # -- helpers -----------------------------------------------------------------------------

    def _insert(self, table: Table) -> Any:
        return (pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(table)

    def _now(self) -> datetime:
        return to_db(self.clock())

    def _audit(
        self,
        conn: Connection,
        cohort_id: int | None,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any],
    ) -> None:
        conn.execute(
            t.audit_log.insert(),
            {
                "cohort_id": cohort_id,
                "at": self._now(),
                "actor": actor[:80],
                "action": action,
                "subject": subject[:200],
                "detail": json.dumps(detail, sort_keys=True, default=str),
            },
        )

    # -- cohorts -----------------------------------------------------------------------------

    def create_cohort(
        self,
        name: str,
        *,
        title: str | None = None,
        freeze_at: datetime | None = None,
        first_solve_bonus: int = 0,
        actor: str = "cli",
        nonce: str | None = None,
    ) -> NewCohort:
        """Create a cohort with a fresh join code and admin token.

        Raises:
            Conflict: If a cohort of that name exists.
            Replayed: If ``nonce`` (of a signed request) was seen before.
        """
        token = new_token()

        def job(conn: Connection, code: str) -> None:
            if nonce is not None:
                self._record_nonce(conn, nonce, self._now())
            if conn.execute(select(t.cohorts.c.id).where(t.cohorts.c.name == name)).first():
                raise Conflict(f"cohort {name!r} already exists")
            cid = conn.execute(
                t.cohorts.insert()
                .values(
                    name=name,
                    title=title or name,
                    join_code=code,
                    admin_token_hash=hash_token(token),
                    freeze_at=to_db(freeze_at) if freeze_at else None,
                    first_solve_bonus=first_solve_bonus,
                    created_at=self._now(),
                )
                .returning(t.cohorts.c.id)
            ).scalar_one()
            self._audit(
                conn,
                cid,
                actor,
                "cohort.create",
                name,
                {
                    "title": title or name,
                    "first_solve_bonus": first_solve_bonus,
                    "freeze_at": freeze_at,
                },
            )

        for _ in range(5):
            code = new_join_code()
            try:
                self._writer.run(lambda conn, code=code: job(conn, code))  # type: ignore[misc]
            except IntegrityError:
                continue  # a join-code collision (or a racing create): try again
            return NewCohort(self.cohort(name), token)
        raise Conflict(f"could not create cohort {name!r}")

    def cohort(self, name: str) -> Cohort:
        """Return a cohort by name.

        Raises:
            NotFound: Naming the cohort that was asked for.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(t.cohorts).where(t.cohorts.c.name == name)).first()
        if row is None:
            raise NotFound(f"no cohort named {name!r}")
        return _cohort(row)

    def cohorts(self) -> list[Cohort]:
        """Return every cohort, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.cohorts).order_by(t.cohorts.c.id)).all()
        return [_cohort(r) for r in rows]

    def update_cohort(self, name: str, *, actor: str, **changes: Any) -> Cohort:
        """Change ``title``, ``freeze_at`` (``None`` unfreezes) or ``first_solve_bonus``."""
        allowed = {"title", "freeze_at", "first_solve_bonus"}
        if unknown := set(changes) - allowed:
            raise ValueError(f"cannot change {sorted(unknown)}; changeable: {sorted(allowed)}")
        values = dict(changes)
        if values.get("freeze_at") is not None:
            values["freeze_at"] = to_db(values["freeze_at"])
        cohort = self.cohort(name)

        def job(conn: Connection) -> None:
            if values:
                conn.execute(update(t.cohorts).where(t.cohorts.c.id == cohort.id).values(**values))
            self._audit(conn, cohort.id, actor, "cohort.update", name, changes)

        self._writer.run(job)
        return self.cohort(name)

    def is_admin(self, cohort: Cohort, token: str) -> bool:
        """Whether ``token`` is the cohort's admin token."""
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(t.cohorts.c.admin_token_hash).where(t.cohorts.c.id == cohort.id)
            ).scalar_one()
        return secrets.compare_digest(stored, hash_token(token))

    # -- learners ----------------------------------------------------------------------------

    def _new_learner(
        self,
        conn: Connection,
        cohort_id: int,
        key: str,
        name: str,
        pseudonym: str | None = None,
        token_hash: str | None = None,
        now: datetime | None = None,
    ) -> None:
        conn.execute(
            self._insert(t.learners)
            .values(
                cohort_id=cohort_id,
                learner_key=key,
                display_name=name,
                pseudonym=pseudonym,
                public_id=secrets.token_hex(6),
                hidden=False,
                banned=False,
                token_hash=token_hash,
                created_at=now or self._now(),
            )
            .on_conflict_do_nothing(index_elements=["cohort_id", "learner_key"])
        )

    def join(
        self,
        cohort: Cohort,
        *,
        display_name: str,
        pseudonym: str | None = None,
        learner_key: str | None = None,
    ) -> tuple[Learner, str]:
        """Add a learner who joined with the cohort's code and issue their token.

        Raises:
            Conflict: If ``learner_key`` is already taken in this cohort.
        """
        key = learner_key or f"learner-{secrets.token_hex(4)}"
        token = new_token()

        def job(conn: Connection) -> None:
            exists = conn.execute(self._sql_learner_id, {"cid": cohort.id, "lkey": key}).first()
            if exists:
                raise Conflict(f"learner id {key!r} is already taken in cohort {cohort.name!r}")
            self._new_learner(conn, cohort.id, key, display_name, pseudonym, hash_token(token))
            self._audit(
                conn,
                cohort.id,
                f"learner:{key}",
                "learner.join",
                key,
                {"display_name": display_name, "pseudonym": pseudonym},
            )

        self._writer.run(job)
        return self.learner(cohort, key), token

    def learner(self, cohort: Cohort, key: str) -> Learner:
        """Return a learner by id.

        Raises:
            NotFound: Naming the learner and cohort.
        """
        return self._learner_where(cohort, t.learners.c.learner_key == key, f"id {key!r}")

    def learner_by_public_id(self, cohort: Cohort, public_id: str) -> Learner:
        """Return a learner by the opaque id used on public pages."""
        return self._learner_where(cohort, t.learners.c.public_id == public_id, f"{public_id!r}")

    def learner_by_token(self, cohort: Cohort, token: str) -> Learner | None:
        """Return the learner holding ``token`` in this cohort, if any."""
        try:
            return self._learner_where(
                cohort, t.learners.c.token_hash == hash_token(token), "with that token"
            )
        except NotFound:
            return None

    def _learner_where(self, cohort: Cohort, cond: Any, what: str) -> Learner:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.learners).where(t.learners.c.cohort_id == cohort.id, cond)
            ).first()
        if row is None:
            raise NotFound(f"no learner {what} in cohort {cohort.name!r}")
        return _learner(row)

    def learners(self, cohort: Cohort) -> list[Learner]:
        """Return every learner of a cohort, hidden and banned ones included."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.learners)
                .where(t.learners.c.cohort_id == cohort.id)
                .order_by(t.learners.c.id)
            ).all()
        return [_learner(r) for r in rows]

    def update_learner(self, cohort: Cohort, key: str, *, actor: str, **changes: Any) -> Learner:
        """Change ``display_name``, ``pseudonym``, ``hidden`` or ``banned``."""
        allowed = {"display_name", "pseudonym", "hidden", "banned"}
        if unknown := set(changes) - allowed:
            raise ValueError(f"cannot change {sorted(unknown)}; changeable: {sorted(allowed)}")
        learner = self.learner(cohort, key)

        def job(conn: Connection) -> None:
            if changes:
                conn.execute(
                    update(t.learners).where(t.learners.c.id == learner.id).values(**changes)
                )
            self._audit(conn, cohort.id, actor, "learner.update", key, changes)

        self._writer.run(job)
        return self.learner(cohort, key)

    # -- awards ------------------------------------------------------------------------------

    def award(
        self,
        cohort: Cohort,
        *,
        learner: str,
        assignment: str,
        task: str,
        module: str,
        points: int,
        max_points: int,
        key: str,
        learner_name: str | None = None,
        actor: str = "grader",
        nonce: str | None = None,
    ) -> AwardResult:
        """Record an award once; raise the learner's best score if it improves it.

        Args:
            cohort: The cohort.
            learner: The learner's id (created on first award if unknown).
            assignment: The assignment the task belongs to.
            task: The task id within the assignment.
            module: The module (board) the task counts towards.
            points: Points scored, ``0 <= points <= max_points``.
            max_points: The task's maximum; must match what is registered for the task.
            key: The idempotency key: the same key always means the same award.
            learner_name: Display name for a learner created by this award.
            actor: Who is awarding (for the audit log).
            nonce: The signed request's nonce, recorded in the same transaction.

        Returns:
            The stored award; ``created`` is false when the key had been recorded before.

        Raises:
            Conflict: The key was used for a different award, or the task is registered with
                another maximum or module.
            Replayed: The nonce was seen before.
        """
        if not 0 <= points <= max_points:
            raise ValueError(
                f"points must be between 0 and max_points ({max_points}), got {points}"
            )
        payload = {
            "learner": learner,
            "assignment": assignment,
            "task": task,
            "module": module,
            "points": points,
            "max_points": max_points,
        }
        request_hash = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        task_key = (cohort.id, assignment, task)
        if (known := self._task_rows.get(task_key)) is not None:
            self._check_task(known, payload)
        lid = self._learner_ids.get((cohort.id, learner))

        def job(conn: Connection) -> tuple[AwardResult, int, tuple[int, int, str]]:
            return self._award_job(
                conn, cohort, payload, key, request_hash, learner_name, actor, lid, known, nonce
            )

        try:
            result, lid, task_row = self._writer.run(job)
        except _LostRace:
            # PostgreSQL: a concurrent copy committed first and this transaction was rolled
            # back whole (nonce included); run again, and the copy is found and returned.
            result, lid, task_row = self._writer.run(job)
        if result.created:  # only now, after the commit, is it safe to remember the ids
            self._learner_ids[(cohort.id, learner)] = lid
            self._task_rows[task_key] = task_row
        return result

    def _existing_award(self, row: Row[Any], key: str, request_hash: str) -> AwardResult:
        m = row._mapping
        if m["request_hash"] != request_hash:
            raise Conflict(
                f"idempotency key {key!r} was already used for a different award "
                f"({m['learner_key']} {m['assignment']}/{m['task']} {m['points']} points)"
            )
        return AwardResult(
            m["id"],
            False,
            m["learner_key"],
            m["assignment"],
            m["task"],
            m["points"],
            m["best_after"],
            m["delta"],
        )

    @staticmethod
    def _check_task(row: tuple[int, int, str], p: dict[str, Any]) -> None:
        _, max_points, module = row
        if max_points != p["max_points"] or module != p["module"]:
            raise Conflict(
                f"task {p['assignment'] + '/' + p['task']!r} is registered with "
                f"max_points={max_points} in module {module!r}; this award says "
                f"max_points={p['max_points']} in module {p['module']!r}"
            )

    def _award_job(
        self,
        conn: Connection,
        cohort: Cohort,
        p: dict[str, Any],
        key: str,
        request_hash: str,
        learner_name: str | None,
        actor: str,
        learner_id: int | None,
        task_row: tuple[int, int, str] | None,
        nonce: str | None,
    ) -> tuple[AwardResult, int, tuple[int, int, str]]:
        now = self._now()
        if nonce is not None:
            self._record_nonce(conn, nonce, now)
        existing = conn.execute(self._sql_existing, {"cid": cohort.id, "key": key}).first()
        if existing is not None:
            return self._existing_award(existing, key, request_hash), 0, (0, 0, "")
        if learner_id is None:
            self._new_learner(conn, cohort.id, p["learner"], learner_name or p["learner"], now=now)
            learner_id = conn.execute(
                self._sql_learner_id, {"cid": cohort.id, "lkey": p["learner"]}
            ).scalar_one()
        if task_row is None:
            conn.execute(
                self._insert(t.tasks)
                .values(
                    cohort_id=cohort.id,
                    assignment=p["assignment"],
                    task=p["task"],
                    module=p["module"],
                    max_points=p["max_points"],
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["cohort_id", "assignment", "task"])
            )
            row = conn.execute(
                self._sql_task, {"cid": cohort.id, "asg": p["assignment"], "tsk": p["task"]}
            ).one()
            task_row = (row.id, row.max_points, row.module)
            self._check_task(task_row, p)
        task_id = task_row[0]
        ids = {"lid": learner_id, "tid": task_id}
        # Lock the learner's best score on this task: on PostgreSQL the placeholder row plus
        # FOR UPDATE serialise concurrent awards for one learner and task; on SQLite every write
        # is serialised anyway (and FOR UPDATE renders as nothing).
        conn.execute(
            self._sql_best_placeholder,
            {"learner_id": learner_id, "task_id": task_id, "points": 0, "reached_at": now},
        )
        best = conn.execute(self._sql_best, ids).scalar_one()
        new_best = max(best, p["points"])
        delta = new_best - best
        award_id = conn.execute(
            self._sql_award,
            {
                "cohort_id": cohort.id,
                "learner_id": learner_id,
                "task_id": task_id,
                "points": p["points"],
                "idempotency_key": key,
                "request_hash": request_hash,
                "best_after": new_best,
                "delta": delta,
                "created_at": now,
            },
        ).scalar_one_or_none()
        if award_id is None:
            raise _LostRace  # rolls back this transaction's placeholder rows too
        if delta > 0:
            conn.execute(self._sql_best_update, {**ids, "new_best": new_best, "now": now})
            conn.execute(
                t.score_history.insert(),
                {
                    "cohort_id": cohort.id,
                    "learner_id": learner_id,
                    "task_id": task_id,
                    "award_id": award_id,
                    "points": new_best,
                    "delta": delta,
                    "reached_at": now,
                },
            )
        name = f"{p['assignment']}/{p['task']}"
        self._audit(
            conn,
            cohort.id,
            actor,
            "award",
            f"{p['learner']} {name}",
            {**p, "key": key, "best": new_best, "delta": delta},
        )
        result = AwardResult(
            award_id, True, p["learner"], p["assignment"], p["task"], p["points"], new_best, delta
        )
        return result, learner_id, task_row

    def count_awards(self, cohort: Cohort) -> int:
        """Return how many distinct awards (idempotency keys) a cohort has."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(t.awards)
                    .where(t.awards.c.cohort_id == cohort.id)
                ).scalar_one()
            )

    def award_keys(self, cohort: Cohort) -> set[str]:
        """Return every stored idempotency key of a cohort."""
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(t.awards.c.idempotency_key).where(t.awards.c.cohort_id == cohort.id)
                ).scalars()
            )

    # -- nonces ------------------------------------------------------------------------------

    def _record_nonce(self, conn: Connection, nonce: str, now: datetime) -> None:
        """Record a signed request's nonce in the caller's transaction, or raise ``Replayed``.

        Nonces are kept for ``nonce_keep`` (twice the allowed clock skew is enough: an older
        request is rejected as stale before its nonce is looked at).
        """
        stored = conn.execute(self._sql_nonce, {"nonce": nonce, "seen_at": now}).first()
        if stored is None:
            raise Replayed("replayed request: this nonce was already used")
        if random.random() < 0.02:  # amortised clean-up, no background task needed
            conn.execute(delete(t.nonces).where(t.nonces.c.seen_at < now - self.nonce_keep))

    # -- reads for ranking -------------------------------------------------------------------

    def snapshot(self, cohort: Cohort) -> Snapshot:
        """Load a cohort's learners, tasks and improvements in one read transaction."""
        with self.engine.connect() as conn, conn.begin():
            lrows = conn.execute(
                select(t.learners).where(t.learners.c.cohort_id == cohort.id)
            ).all()
            trows = conn.execute(select(t.tasks).where(t.tasks.c.cohort_id == cohort.id)).all()
            h = t.score_history.c
            irows = conn.execute(
                select(h.learner_id, h.task_id, h.points, h.delta, h.reached_at)
                .where(h.cohort_id == cohort.id)
                .order_by(h.id)
            ).all()
        return Snapshot(
            learners=tuple(_learner(r).info() for r in lrows),
            tasks=tuple(
                TaskInfo(r.id, r.assignment, r.task, r.module, r.max_points) for r in trows
            ),
            improvements=tuple(
                Improvement(r.learner_id, r.task_id, r.points, r.delta, from_db(r.reached_at))
                for r in irows
            ),
        )

    def audit(self, cohort: Cohort, *, after_id: int = 0, limit: int = 100) -> list[AuditEntry]:
        """Return audit entries of a cohort, oldest first, after ``after_id``."""
        a = t.audit_log.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.audit_log)
                .where(a.cohort_id == cohort.id, a.id > after_id)
                .order_by(a.id)
                .limit(limit)
            ).all()
        return [
            AuditEntry(r.id, from_db(r.at), r.actor, r.action, r.subject, json.loads(r.detail))
            for r in rows
        ]
