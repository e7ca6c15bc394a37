"""A run part's time over all its attempts: batch_runs.seconds_all_attempts, nullable.

`batch_runs.seconds` holds the last attempt's time only (documented; scripts read it), which an
operator easily takes for the run's duration after a resume. The new column adds each attempt's
seconds as it ends. Parts stored before this migration hold NULL: how long their earlier attempts
took was never kept, so their sum stays unknown (a resume adds nothing to NULL) rather than wrong.

Adding a nullable column without a default is a catalogue change on both databases: no row is
rewritten.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add batch_runs.seconds_all_attempts (NULL, unknown, for the parts already there)."""
    op.add_column("batch_runs", sa.Column("seconds_all_attempts", sa.Float, nullable=True))


def downgrade() -> None:
    """Drop batch_runs.seconds_all_attempts (on SQLite this rebuilds batch_runs); the runs stay."""
    with op.batch_alter_table("batch_runs") as batch:
        batch.drop_column("seconds_all_attempts")
