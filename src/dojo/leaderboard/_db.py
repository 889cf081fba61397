"""Engines and migrations: one code path for the embedded SQLite file and for PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["default_db_url", "from_db", "make_engine", "migrate", "to_db", "write_tx"]

_MIGRATIONS = Path(__file__).with_name("migrations")


def default_db_url() -> str:
    """Return the embedded default: a SQLite file under the user's data directory.

    Returns:
        A ``sqlite:///`` URL under ``$XDG_DATA_HOME/dojo`` (``~/.local/share/dojo`` by default).
    """
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "dojo"
    return f"sqlite:///{base / 'leaderboard.sqlite3'}"


def normalise_url(url: str) -> str:
    """Pick psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """Create an engine configured for the leaderboard's write pattern.

    SQLite runs in WAL mode with ``synchronous`` FULL by default, so an acknowledged award survives
    a crash of the process or the machine; writes take the lock up front (``BEGIN IMMEDIATE``) so
    two writers never deadlock upgrading a read lock.

    Args:
        url: SQLAlchemy URL (``sqlite:///path`` or ``postgresql://...``).
        sqlite_synchronous: SQLite ``PRAGMA synchronous`` value.

    Returns:
        A new engine.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        pool_size=8,
        max_overflow=16,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" hook below issues BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("dojo_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """Open a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
    with engine.connect() as conn:
        conn.execution_options(dojo_write=True)
        with conn.begin():
            yield conn


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration of the leaderboard schema up to head.

    Args:
        engine: The engine whose database to upgrade.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with write_tx(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def to_db(value: datetime) -> datetime:
    """Convert an aware datetime to the naive UTC form stored in the database."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return value.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    """Convert a stored naive UTC datetime back to an aware one."""
    return value.replace(tzinfo=UTC)
