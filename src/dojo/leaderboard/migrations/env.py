"""Alembic environment: runs only programmatically, on a connection from ``_db.migrate``."""

from __future__ import annotations

from alembic import context

from dojo.leaderboard._tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables when a later
    # revision needs it.
    render_as_batch=connection.dialect.name == "sqlite",
    version_table="lb_alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
