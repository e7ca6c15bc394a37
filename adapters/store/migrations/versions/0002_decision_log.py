"""Audit log: every decision with its input, outputs and policy version; the rule files per version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.store.types import ExactDecimal

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(64)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create policy_versions and decision_log."""
    op.create_table(
        "policy_versions",
        sa.Column("version", ID, primary_key=True),
        sa.Column("files_json", sa.Text, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    )
    # No foreign key to customers: callers may send a full snapshot of a customer the store
    # does not hold, and that decision must be logged all the same.
    op.create_table(
        "decision_log",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("policy_version", ID, nullable=False),
        sa.Column("snapshot_hash", sa.String(64), nullable=False),
        sa.Column("snapshot_json", sa.Text, nullable=False),
        sa.Column("decision_json", sa.Text, nullable=False),
        sa.Column("order_json", sa.Text),
        sa.Column("order_request_json", sa.Text),
        sa.Column("fired_rules", sa.Text, nullable=False),
        sa.Column("grade", sa.String(3), nullable=False),
        sa.Column("credit_limit", ExactDecimal(), nullable=False),
        sa.Column("outcome", sa.String(20)),
        sa.Column("explained", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_decision_log_customer", "decision_log", ["customer_id", "id"])
    op.create_index("ix_decision_log_policy_version", "decision_log", ["policy_version"])


def downgrade() -> None:
    """Drop the audit log tables."""
    op.drop_table("decision_log")
    op.drop_table("policy_versions")
