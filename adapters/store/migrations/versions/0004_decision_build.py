"""The build of the decision code behind each logged decision: decision_log.build, nullable.

A decision depends on the rule files (its policy version) and on the code that computes the
features and applies the outcome; `build` records the latter (`policy_engine.build.build_id()`,
the package version and a hash of policy_engine's source, e.g. `0.1.0+3f9a1c0b72de`), so a replay
that does not reproduce can say whether the code changed since. Entries written before this
migration keep NULL: their build was not recorded.

Adding a nullable column without a default is a catalogue change on both databases (SQLite's
ALTER TABLE ADD COLUMN, PostgreSQL's likewise): no row is rewritten, whatever the size of the log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add decision_log.build (NULL for the entries already there)."""
    op.add_column("decision_log", sa.Column("build", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop decision_log.build (on SQLite this rebuilds decision_log, as 0003's upgrade does)."""
    with op.batch_alter_table("decision_log") as batch:
        batch.drop_column("build")
