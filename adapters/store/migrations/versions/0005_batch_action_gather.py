"""What to gather at a review, kept with the work queue: batch_actions.gather, nullable.

The review's items (review_information.yaml) were stored only inside the action's message, so the
queue's CSV could not give them a column of their own. The column holds the items as a JSON array
of strings; NULL when the action has none, and for every action stored before this migration (the
queue reads NULL as no items: their message still names them).

Adding a nullable column without a default is a catalogue change on both databases: no row of the
(large) table is rewritten.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add batch_actions.gather (NULL for the actions already there)."""
    op.add_column("batch_actions", sa.Column("gather", sa.Text, nullable=True))


def downgrade() -> None:
    """Drop batch_actions.gather (on SQLite this rebuilds batch_actions); the actions stay."""
    with op.batch_alter_table("batch_actions") as batch:
        batch.drop_column("gather")
