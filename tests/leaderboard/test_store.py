"""The store on SQLite and on a real PostgreSQL server: awards once, best score, audit, nonces."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from dojo.leaderboard import Conflict, NotFound, Store
from dojo.leaderboard._db import make_engine
from dojo.leaderboard._models import Replayed

from .conftest import FakeClock


def _award(store: Store, cohort, **kw):  # type: ignore[no-untyped-def]
    args = {
        "learner": "ann",
        "assignment": "m01",
        "task": "t1",
        "module": "m01",
        "points": 5,
        "max_points": 10,
        "key": "award-0001",
    }
    args.update(kw)
    return store.award(cohort, **args)


def test_migrations_apply_once_and_reopen(db_url: str, clock: FakeClock) -> None:
    """Check that opening an already migrated database again is a no-op that keeps data."""
    s1 = Store.open(db_url, clock=clock)
    s1.create_cohort("c1")
    s1.close()
    s2 = Store.open(db_url, clock=clock)
    assert [c.name for c in s2.cohorts()] == ["c1"]
    with s2.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM lb_alembic_version").scalar() == "0001"
    s2.close()


def test_cohort_names_are_unique(store: Store) -> None:
    """Check that a second cohort of the same name is refused."""
    store.create_cohort("c1")
    with pytest.raises(Conflict, match="already exists"):
        store.create_cohort("c1")


def test_unknown_cohort_is_named_in_the_error(store: Store) -> None:
    """Check that looking up a missing cohort says which one."""
    with pytest.raises(NotFound, match="'nope'"):
        store.cohort("nope")


def test_award_is_recorded_once_per_key(store: Store) -> None:
    """Check that repeating an idempotency key returns the first award and stores nothing new."""
    c = store.create_cohort("c1").cohort
    first = _award(store, c)
    again = _award(store, c)
    assert first.created and not again.created
    assert again.award_id == first.award_id
    assert store.count_awards(c) == 1
    assert sum(i.delta for i in store.snapshot(c).improvements) == 5


def test_key_reused_for_another_award_is_refused(store: Store) -> None:
    """Check that reusing a key with different points is a conflict and changes nothing."""
    c = store.create_cohort("c1").cohort
    _award(store, c)
    with pytest.raises(Conflict, match="already used for a different award"):
        _award(store, c, points=9)
    assert store.count_awards(c) == 1
    assert [i.points for i in store.snapshot(c).improvements] == [5]


def test_best_score_counts_and_first_reach_time_is_kept(store: Store, clock: FakeClock) -> None:
    """Check that only improvements raise the best, each stamped with when it was first reached."""
    c = store.create_cohort("c1").cohort
    t1 = clock()
    assert _award(store, c, points=5, key="k-000001").delta == 5
    clock.advance(minutes=1)
    lower = _award(store, c, points=3, key="k-000002")
    assert (lower.created, lower.best, lower.delta) == (True, 5, 0)
    clock.advance(minutes=1)
    same = _award(store, c, points=5, key="k-000003")
    assert same.delta == 0
    clock.advance(minutes=1)
    t4 = clock()
    better = _award(store, c, points=8, key="k-000004")
    assert (better.best, better.delta) == (8, 3)
    history = store.snapshot(c).improvements
    assert [(i.points, i.delta, i.at) for i in history] == [(5, 5, t1), (8, 3, t4)]
    assert store.count_awards(c) == 4


def test_task_registered_with_another_maximum_is_refused(store: Store) -> None:
    """Check that an award disagreeing with the task's max points or module stores nothing."""
    c = store.create_cohort("c1").cohort
    _award(store, c)
    with pytest.raises(Conflict, match="max_points=10"):
        _award(store, c, max_points=20, key="award-0002")
    with pytest.raises(Conflict, match="module 'm01'"):
        _award(store, c, module="m02", key="award-0003")
    assert store.count_awards(c) == 1


def test_points_above_maximum_are_refused(store: Store) -> None:
    """Check that the store itself refuses impossible points."""
    c = store.create_cohort("c1").cohort
    with pytest.raises(ValueError, match="between 0 and max_points"):
        _award(store, c, points=11)
    assert store.count_awards(c) == 0


def test_fifty_parallel_copies_store_one_award(store: Store) -> None:
    """Check that 50 concurrent copies of one award store exactly one award and one improvement."""
    c = store.create_cohort("c1").cohort
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda _: _award(store, c, points=7), range(50)))
    assert sum(r.created for r in results) == 1
    assert {r.award_id for r in results} == {results[0].award_id}
    assert store.count_awards(c) == 1
    assert [(i.points, i.delta) for i in store.snapshot(c).improvements] == [(7, 7)]


def test_parallel_different_awards_for_one_task_sum_to_the_best(store: Store) -> None:
    """Check that concurrent different scores for one learner and task leave best = the maximum."""
    c = store.create_cohort("c1").cohort
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda p: _award(store, c, points=p % 11, key=f"par-{p:06d}"), range(40)))
    imps = store.snapshot(c).improvements
    assert sum(i.delta for i in imps) == 10
    assert [i.points for i in imps] == sorted(i.points for i in imps)
    assert store.count_awards(c) == 40


def test_audit_log_records_every_change_and_is_append_only(store: Store) -> None:
    """Check that writes are audited and the database refuses to edit or delete audit rows."""
    c = store.create_cohort("c1").cohort
    _award(store, c)
    learner = store.join(c, display_name="Bob")[0]
    store.update_learner(c, learner.key, actor="admin", banned=True)
    store.update_cohort("c1", actor="admin", first_solve_bonus=3)
    actions = [e.action for e in store.audit(c)]
    assert actions == ["cohort.create", "award", "learner.join", "learner.update", "cohort.update"]
    assert store.audit(c)[1].detail["points"] == 5
    for sql in ("UPDATE lb_audit_log SET actor = 'x'", "DELETE FROM lb_audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.exec_driver_sql(sql)
    assert len(store.audit(c)) == 5


def test_old_nonces_are_purged(store: Store, clock: FakeClock) -> None:
    """Check that nonces older than the keep period are eventually deleted."""
    c = store.create_cohort("c1").cohort
    _award(store, c, nonce="nonce-0001")
    clock.advance(hours=1)
    for i in range(300):  # clean-up is amortised over writes
        _award(store, c, key=f"later-{i:05d}", nonce=f"later-{i:05d}")
    with store.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM lb_nonces WHERE nonce = 'nonce-0001'"))
        assert left.scalar() == 0


def test_award_with_a_replayed_nonce_stores_nothing(store: Store) -> None:
    """Check that an award carrying a seen nonce is refused whole, even with a new key."""
    c = store.create_cohort("c1").cohort
    _award(store, c, nonce="nonce-aaaa")
    with pytest.raises(Replayed):
        _award(store, c, key="award-0002", points=9, nonce="nonce-aaaa")
    with pytest.raises(Replayed):
        _award(store, c, nonce="nonce-aaaa")  # even the same award resent
    assert store.count_awards(c) == 1


def test_join_issues_a_token_and_refuses_taken_ids(store: Store) -> None:
    """Check that joining returns a token that identifies the learner, and ids are unique."""
    c = store.create_cohort("c1").cohort
    learner, token = store.join(c, display_name="Ann", pseudonym="Owl", learner_key="ann")
    assert store.learner_by_token(c, token) == learner
    assert learner.shown_name == "Owl"
    assert store.learner_by_token(c, "not-a-token") is None
    with pytest.raises(Conflict, match="already taken"):
        store.join(c, display_name="Other", learner_key="ann")


def test_tokens_are_stored_hashed(store: Store) -> None:
    """Check that neither the admin token nor learner tokens are stored in clear."""
    new = store.create_cohort("c1")
    _, token = store.join(new.cohort, display_name="Ann")
    with store.engine.connect() as conn:
        dump = " ".join(
            str(v)
            for table in ("lb_cohorts", "lb_learners")
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
            for v in row
        )
    assert new.admin_token not in dump and token not in dump
    assert store.is_admin(new.cohort, new.admin_token)
    assert not store.is_admin(new.cohort, token)


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Check the embedded default's crash-safety settings."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()
