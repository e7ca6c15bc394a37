"""Nightly batch bookkeeping: runs, the portfolio (ABC) pass, per-customer results and the work queue.

Revision ID: batch_0001
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.store.types import ExactDecimal

revision = "batch_0001"
down_revision = "0002"
branch_labels = None
depends_on = None

RUN_ID = sa.String(64)
ID = sa.String(64)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create batch_runs, batch_portfolio_runs, batch_portfolio, batch_results, batch_actions."""
    op.create_table(
        "batch_runs",
        sa.Column("run_id", RUN_ID, primary_key=True),
        sa.Column("part", sa.String(16), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("policy_version", ID, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("customers", sa.Integer),
        sa.Column("ok", sa.Integer),
        sa.Column("quarantined", sa.Integer),
        sa.Column("skipped", sa.Integer),
        sa.Column("seconds", sa.Float),
    )
    op.create_table(
        "batch_portfolio_runs",
        sa.Column("run_id", RUN_ID, primary_key=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("total_sales", ExactDecimal(), nullable=False),
        sa.Column("summary_json", sa.Text, nullable=False),
    )
    op.create_table(
        "batch_portfolio",
        sa.Column("run_id", RUN_ID, primary_key=True),
        sa.Column("customer_id", ID, primary_key=True),
        sa.Column("sales", ExactDecimal(), nullable=False),
        sa.Column("sales_key", sa.Float, nullable=False),
        sa.Column("sales_before", ExactDecimal(), nullable=False),
        sa.Column("value_class", sa.String(1), nullable=False),
        sa.Column("give_up", sa.Boolean, nullable=False),
    )
    op.create_index("ix_batch_portfolio_rank", "batch_portfolio", ["run_id", "sales_key"])
    op.create_table(
        "batch_results",
        sa.Column("run_id", RUN_ID, primary_key=True),
        sa.Column("customer_id", ID, primary_key=True),
        sa.Column("bucket", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grade", sa.String(3)),
        sa.Column("grade_class", sa.String(1)),
        sa.Column("value_class", sa.String(1)),
        sa.Column("score", sa.Float),
        sa.Column("credit_limit", ExactDecimal()),
        sa.Column("exposure", ExactDecimal()),
        sa.Column("currency", sa.String(3)),
        sa.Column("next_review_on", sa.Date),
        sa.Column("review_rule", sa.String(64)),
        sa.Column("prev_grade", sa.String(3)),
        sa.Column("prev_limit", ExactDecimal()),
        sa.Column("prev_value_class", sa.String(1)),
    )
    op.create_index("ix_batch_results_status", "batch_results", ["run_id", "status"])
    op.create_table(
        "batch_actions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", RUN_ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_batch_actions_due", "batch_actions", ["run_id", "due_on"])


def downgrade() -> None:
    """Drop the batch tables."""
    for table in ("batch_actions", "batch_results", "batch_portfolio", "batch_portfolio_runs", "batch_runs"):
        op.drop_table(table)
