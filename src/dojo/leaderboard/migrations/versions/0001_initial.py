"""Initial leaderboard schema: cohorts, learners, tasks, awards, scores, audit log, nonces.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lb_cohorts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("join_code", sa.String(32), nullable=False),
        sa.Column("admin_token_hash", sa.String(64), nullable=False),
        sa.Column("freeze_at", sa.DateTime, nullable=True),
        sa.Column("first_solve_bonus", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_lb_cohorts_name"),
        sa.UniqueConstraint("join_code", name="uq_lb_cohorts_join_code"),
    )
    op.create_table(
        "lb_learners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("lb_cohorts.id"), nullable=False),
        sa.Column("learner_key", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("pseudonym", sa.String(80), nullable=True),
        sa.Column("public_id", sa.String(16), nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("banned", sa.Boolean, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("cohort_id", "learner_key", name="uq_lb_learners_cohort_key"),
        sa.UniqueConstraint("public_id", name="uq_lb_learners_public_id"),
        sa.UniqueConstraint("token_hash", name="uq_lb_learners_token_hash"),
    )
    op.create_table(
        "lb_tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("lb_cohorts.id"), nullable=False),
        sa.Column("assignment", sa.String(64), nullable=False),
        sa.Column("task", sa.String(64), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("max_points", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("cohort_id", "assignment", "task", name="uq_lb_tasks_cohort_task"),
    )
    op.create_table(
        "lb_awards",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("lb_cohorts.id"), nullable=False),
        sa.Column("learner_id", sa.Integer, sa.ForeignKey("lb_learners.id"), nullable=False),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("lb_tasks.id"), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("best_after", sa.Integer, nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("cohort_id", "idempotency_key", name="uq_lb_awards_cohort_key"),
    )
    op.create_table(
        "lb_best_scores",
        sa.Column("learner_id", sa.Integer, sa.ForeignKey("lb_learners.id"), primary_key=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("lb_tasks.id"), primary_key=True),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("reached_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "lb_score_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("lb_cohorts.id"), nullable=False),
        sa.Column("learner_id", sa.Integer, sa.ForeignKey("lb_learners.id"), nullable=False),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("lb_tasks.id"), nullable=False),
        sa.Column("award_id", sa.Integer, sa.ForeignKey("lb_awards.id"), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("reached_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_lb_score_history_cohort_time", "lb_score_history", ["cohort_id", "reached_at"]
    )
    op.create_table(
        "lb_audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cohort_id", sa.Integer, sa.ForeignKey("lb_cohorts.id"), nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_lb_audit_log_cohort", "lb_audit_log", ["cohort_id", "id"])
    op.create_table(
        "lb_nonces",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_lb_nonces_seen_at", "lb_nonces", ["seen_at"])
    # The audit log is append-only in the database itself, not just by convention in our code.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER lb_audit_log_no_{verb.lower()} BEFORE {verb} ON lb_audit_log "
                "BEGIN SELECT RAISE(ABORT, 'lb_audit_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION lb_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'lb_audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER lb_audit_log_append_only BEFORE UPDATE OR DELETE ON lb_audit_log "
            "FOR EACH ROW EXECUTE FUNCTION lb_audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER lb_audit_log_append_only ON lb_audit_log")
        op.execute("DROP FUNCTION lb_audit_log_append_only()")
    for table in (
        "lb_nonces",
        "lb_audit_log",
        "lb_score_history",
        "lb_best_scores",
        "lb_awards",
        "lb_tasks",
        "lb_learners",
        "lb_cohorts",
    ):
        op.drop_table(table)
