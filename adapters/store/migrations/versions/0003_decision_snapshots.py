"""Decision-log snapshots stored once by content: decision_snapshots, and decision_log.snapshot_json nullable.

Entries written from now on leave `decision_log.snapshot_json` NULL and reference the text in
`decision_snapshots` by `snapshot_hash` (sha256 of the text, the primary key; insert-if-absent).
Entries written before keep their own copy and are read as they are: nothing is moved, so the
upgrade neither rewrites the log's contents nor merges copies that might differ (a tampered old
copy stays where it is, still detected by its own hash).

On SQLite the NOT NULL is dropped by rebuilding decision_log (Alembic batch mode: copy, drop,
rename, indexes recreated), which takes time in proportion to the log; on PostgreSQL it is a
catalogue change.

Revision ID: 0003
Revises: batch_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "batch_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create decision_snapshots; let decision_log.snapshot_json be NULL."""
    op.create_table(
        "decision_snapshots",
        sa.Column("snapshot_hash", sa.String(64), primary_key=True),
        sa.Column("snapshot_json", sa.Text, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("decision_log") as batch:
        batch.alter_column("snapshot_json", existing_type=sa.Text, nullable=True)


def downgrade() -> None:
    """Copy each entry's snapshot back into decision_log, then drop decision_snapshots.

    Fails (NOT NULL) if an entry references a snapshot that is no longer stored.
    """
    op.execute(
        "UPDATE decision_log SET snapshot_json = (SELECT s.snapshot_json FROM decision_snapshots s "
        "WHERE s.snapshot_hash = decision_log.snapshot_hash) WHERE snapshot_json IS NULL"
    )
    with op.batch_alter_table("decision_log") as batch:
        batch.alter_column("snapshot_json", existing_type=sa.Text, nullable=False)
    op.drop_table("decision_snapshots")
