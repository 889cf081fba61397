"""Database tables of the leaderboard (SQLAlchemy Core, shared by SQLite and PostgreSQL).

Times are stored as naive UTC ``DATETIME``/``timestamp`` values: SQLite has no time zone type, and
storing one convention everywhere keeps comparisons identical on both engines.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

cohorts = Table(
    "lb_cohorts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("title", String(120), nullable=False),
    Column("join_code", String(32), nullable=False, unique=True),
    Column("admin_token_hash", String(64), nullable=False),
    Column("freeze_at", DateTime, nullable=True),
    Column("first_solve_bonus", Integer, nullable=False, default=0),
    Column("created_at", DateTime, nullable=False),
)

learners = Table(
    "lb_learners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cohort_id", Integer, ForeignKey("lb_cohorts.id"), nullable=False),
    Column("learner_key", String(64), nullable=False),
    Column("display_name", String(80), nullable=False),
    Column("pseudonym", String(80), nullable=True),
    # Public boards and learner pages name learners by this opaque id, never by learner_key
    # (often a university user name), so a pseudonym really hides who someone is.
    Column("public_id", String(16), nullable=False, unique=True),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("banned", Boolean, nullable=False, default=False),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("cohort_id", "learner_key", name="uq_lb_learners_cohort_key"),
)

tasks = Table(
    "lb_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cohort_id", Integer, ForeignKey("lb_cohorts.id"), nullable=False),
    Column("assignment", String(64), nullable=False),
    Column("task", String(64), nullable=False),
    Column("module", String(64), nullable=False),
    Column("max_points", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("cohort_id", "assignment", "task", name="uq_lb_tasks_cohort_task"),
)

awards = Table(
    "lb_awards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cohort_id", Integer, ForeignKey("lb_cohorts.id"), nullable=False),
    Column("learner_id", Integer, ForeignKey("lb_learners.id"), nullable=False),
    Column("task_id", Integer, ForeignKey("lb_tasks.id"), nullable=False),
    Column("points", Integer, nullable=False),
    # The unique (cohort, key) pair is what makes an award count once, however many times a
    # grader retries it and however many copies race each other.
    Column("idempotency_key", String(128), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("best_after", Integer, nullable=False),
    Column("delta", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("cohort_id", "idempotency_key", name="uq_lb_awards_cohort_key"),
)

best_scores = Table(
    "lb_best_scores",
    metadata,
    Column("learner_id", Integer, ForeignKey("lb_learners.id"), primary_key=True),
    Column("task_id", Integer, ForeignKey("lb_tasks.id"), primary_key=True),
    Column("points", Integer, nullable=False),
    Column("reached_at", DateTime, nullable=False),
)

score_history = Table(
    "lb_score_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cohort_id", Integer, ForeignKey("lb_cohorts.id"), nullable=False),
    Column("learner_id", Integer, ForeignKey("lb_learners.id"), nullable=False),
    Column("task_id", Integer, ForeignKey("lb_tasks.id"), nullable=False),
    Column("award_id", Integer, ForeignKey("lb_awards.id"), nullable=False),
    Column("points", Integer, nullable=False),
    Column("delta", Integer, nullable=False),
    Column("reached_at", DateTime, nullable=False),
    Index("ix_lb_score_history_cohort_time", "cohort_id", "reached_at"),
)

audit_log = Table(
    "lb_audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cohort_id", Integer, ForeignKey("lb_cohorts.id"), nullable=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_lb_audit_log_cohort", "cohort_id", "id"),
)

nonces = Table(
    "lb_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", DateTime, nullable=False),
    Index("ix_lb_nonces_seen_at", "seen_at"),
)
