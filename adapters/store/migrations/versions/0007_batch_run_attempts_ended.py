"""A run part's attempts that ended, and when its current busy period began: batch_runs.attempts_ended, busy_since.

Two processes started on one part at once made `seconds_all_attempts` unknown: the later one found the
part `running` and could not tell a live attempt from one killed outright, so it set the sum to NULL.
Counting the attempts that ended (`attempts_ended`, against `attempts`, which counts those that began)
tells the two apart once every attempt has ended; `busy_since` (Unix seconds) is when the part last went
from no attempt under way to one, so overlapping attempts add their time together once, not twice.

The parts already there count every attempt as ended but one still `running` (its attempt may be alive
under the earlier release, which will not count its end: the sum then stays unknown, never wrong).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add batch_runs.attempts_ended (filled from attempts and status) and busy_since (NULL)."""
    op.add_column("batch_runs", sa.Column("attempts_ended", sa.Integer, nullable=True))
    op.add_column("batch_runs", sa.Column("busy_since", sa.Float, nullable=True))
    op.execute("UPDATE batch_runs SET attempts_ended = CASE WHEN status = 'running' THEN attempts - 1 "
               "ELSE attempts END")  # fmt: skip


def downgrade() -> None:
    """Drop the two columns (on SQLite this rebuilds batch_runs); the runs stay."""
    with op.batch_alter_table("batch_runs") as batch:
        batch.drop_column("busy_since")
        batch.drop_column("attempts_ended")
