"""Group commit: many writes per SQLite transaction, each isolated in its own savepoint."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from dojo.leaderboard._db import make_engine
from dojo.leaderboard._writer import DirectWriter, GroupCommit, writer_for


def test_failing_job_does_not_undo_its_batch(tmp_path: Path) -> None:
    """Check that in concurrent batches a failing write is rolled back alone, the rest commit."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    writer = GroupCommit(engine)

    def job(n: int) -> int:
        def write(conn: sa.Connection) -> int:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
            if n % 3 == 0:
                raise ValueError(f"job {n} fails after writing")
            return n

        return writer.run(write)

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(job, n) for n in range(60)]
    for n, future in enumerate(futures):
        if n % 3 == 0:
            with pytest.raises(ValueError, match=f"job {n} fails"):
                future.result()
        else:
            assert future.result() == n
    with engine.connect() as conn:
        stored = {row[0] for row in conn.exec_driver_sql("SELECT n FROM t")}
    assert stored == {n for n in range(60) if n % 3}
    writer.close()
    engine.dispose()


def test_sqlite_gets_group_commit_and_others_direct_transactions(tmp_path: Path) -> None:
    """Check which writer each database gets."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    assert isinstance(writer_for(engine), GroupCommit)
    pg = sa.create_engine("postgresql+psycopg://u@/db?host=/nowhere")
    assert isinstance(writer_for(pg), DirectWriter)
